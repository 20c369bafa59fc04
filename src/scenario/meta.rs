//! `meta/v1`: what every kind shares. Object metadata (names, namespaces, labels, owner
//! references), label selectors and int-or-string values, as written and as resolved.

use super::resolver::{Doc, Resolver};
use super::yaml::Spanned;
use crate::api;
use crate::api::Labels;
use crate::api::disruption::IntOrPercent;
use crate::api::meta::{OwnerReference as OwnerRef, Uid};
use crate::api::names::NameRule;
use crate::api::selector::{Operator, Requirement, validate_label_key, validate_label_value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Standard object metadata (the subset kubesim uses).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    /// Object name.
    pub name: Option<String>,
    /// Prefix for generated names.
    pub generate_name: Option<String>,
    /// Namespace (namespaced kinds only).
    pub namespace: Option<String>,
    /// Unique id (a snapshot's objects carry theirs; ownerReferences point at them).
    pub uid: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Owners of this object.
    pub owner_references: Vec<OwnerReference>,
    /// When it was created (a snapshot's objects carry it; RFC 3339).
    pub creation_timestamp: Option<Spanned<String>>,
    /// When its deletion was asked for: the time by which it should be gone (RFC 3339).
    pub deletion_timestamp: Option<Spanned<String>>,
    /// How many times its spec changed (a snapshot's workloads carry it).
    pub generation: Option<Spanned<i64>>,
}

/// A reference to an owning object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    /// Owner's API version.
    pub api_version: String,
    /// Owner's kind.
    pub kind: String,
    /// Owner's name.
    pub name: String,
    /// Owner's UID.
    pub uid: String,
    /// Whether this owner is the managing controller.
    pub controller: Option<bool>,
    /// Whether the owner's foreground deletion waits for this object.
    pub block_owner_deletion: Option<bool>,
}

/// A label selector.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    /// Exact label matches.
    pub match_labels: BTreeMap<String, String>,
    /// Requirements.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// A label selector requirement.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist` (unchecked).
    pub operator: Spanned<String>,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A number or a string (Kubernetes `IntOrString`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// A number.
    Int(i64),
    /// A string such as `"25%"`.
    String(String),
}

/// Checks label keys and values as the API server does.
/// Whether every label key and value is valid (checked before a field path is made for an
/// error).
pub(super) fn labels_valid(labels: &Labels) -> bool {
    labels
        .iter()
        .all(|(k, v)| validate_label_key(k).is_ok() && validate_label_value(v).is_ok())
}

pub(super) fn check_labels(r: &mut Resolver, d: Doc, path: &str, labels: &Labels) {
    for (k, v) in labels {
        if let Err(e) = validate_label_key(k) {
            r.doc(d, &format!("{path}.{k}"), e);
        }
        if let Err(e) = validate_label_value(v) {
            r.doc(d, &format!("{path}.{k}"), e);
        }
    }
}

/// The object's namespace (`default` when absent). One never declared is refused as the
/// API server refuses it (NamespaceLifecycle: `namespaces "x" not found`), for each object
/// in it as `kubectl apply` reports each, or, with `--create-namespaces`, created with a
/// warning at the first object in it.
pub(super) fn namespace(r: &mut Resolver, d: Doc, ns: Option<&String>) -> String {
    let ns = ns.cloned().unwrap_or_else(|| "default".into());
    if !r.namespaces.contains(&ns) {
        if r.create_namespaces {
            let msg = format!("namespace {ns:?} is not declared; created (--create-namespaces)");
            r.warn(d, format!("{}: {msg}", d.path("metadata.namespace")));
            r.namespaces.push(ns.clone());
        } else {
            let msg = format!(
                "namespaces {ns:?} not found (declare a Namespace, or run with --create-namespaces)"
            );
            r.doc(d, "metadata.namespace", msg);
        }
    }
    ns
}

/// Resolves object metadata; `path` is its field path (`metadata`,
/// `spec.template.metadata`, ...) and `index` numbers a `generateName`.
pub(super) fn meta(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    m: &ObjectMeta,
    index: u64,
) -> Option<api::ObjectMeta> {
    let name = match (&m.name, &m.generate_name) {
        (Some(n), _) if !n.is_empty() => {
            r.name_at(d, &format!("{path}.name"), Some(n), NameRule::Subdomain)?
        }
        (_, Some(g)) if !g.is_empty() => r.name_at(
            d,
            &format!("{path}.generateName"),
            Some(&format!("{g}{index}")),
            NameRule::Subdomain,
        )?,
        _ => {
            r.doc(
                d,
                &format!("{path}.name"),
                "Required value: name or generateName is required",
            );
            return None;
        }
    };
    if !labels_valid(&m.labels) {
        check_labels(r, d, &format!("{path}.labels"), &m.labels);
    }
    if path == "metadata" {
        given_uid(r, d, m);
    }
    let owner_references = if m.owner_references.is_empty() {
        Arc::from([])
    } else {
        owner_references(r, d, &format!("{path}.ownerReferences"), m)
    };
    Some(api::ObjectMeta {
        name,
        namespace: namespace(r, d, m.namespace.as_ref()),
        uid: m
            .uid
            .as_deref()
            .map_or(Uid::Unset, |u| Uid::Given(u.into())),
        labels: Arc::new(m.labels.clone()),
        annotations: Arc::new(m.annotations.clone()),
        owner_references,
    })
}

/// The uid a top-level manifest gives, checked to be unique.
pub(super) fn given_uid(r: &mut Resolver, d: Doc, m: &ObjectMeta) -> Uid {
    match &m.uid {
        Some(uid) => {
            unique_uid(r, d, uid);
            Uid::Given(uid.as_str().into())
        }
        None => Uid::Unset,
    }
}

/// A uid given in a manifest names one object: a second object with it is an error (the
/// store finds owners by uid).
fn unique_uid(r: &mut Resolver, d: Doc, uid: &str) {
    if uid.is_empty() {
        r.doc(d, "metadata.uid", "must not be empty when given");
        return;
    }
    match r.uids.get(uid) {
        Some((file, line)) => {
            let msg = format!(
                "uid {uid:?} is already the uid of the object at {}:{line}",
                file.display()
            );
            r.doc(d, "metadata.uid", msg);
        }
        None => {
            r.uids
                .insert(uid.to_string(), (d.file.to_path_buf(), d.line));
        }
    }
}

/// `metadata.ownerReferences`, checked as the API server does
/// (`ValidateOwnerReferences` in `apimachinery/pkg/api/validation/objectmeta.go`): apiVersion,
/// kind, name and uid are required, and at most one reference is the controller.
fn owner_references(r: &mut Resolver, d: Doc, path: &str, m: &ObjectMeta) -> Arc<[OwnerRef]> {
    let mut refs = Vec::with_capacity(m.owner_references.len());
    for (i, o) in m.owner_references.iter().enumerate() {
        for (field, value) in [
            ("apiVersion", &o.api_version),
            ("kind", &o.kind),
            ("name", &o.name),
            ("uid", &o.uid),
        ] {
            if value.is_empty() {
                r.doc(d, &format!("{path}[{i}].{field}"), "must not be empty");
            }
        }
        refs.push(OwnerRef {
            api_version: o.api_version.as_str().into(),
            kind: o.kind.as_str().into(),
            name: o.name.as_str().into(),
            uid: Uid::Given(o.uid.as_str().into()),
            controller: o.controller == Some(true),
            block_owner_deletion: o.block_owner_deletion == Some(true),
        });
    }
    let controllers: Vec<String> = refs
        .iter()
        .filter(|o| o.controller)
        .map(|o| o.to_string())
        .collect();
    if controllers.len() > 1 {
        let msg = format!(
            "only one reference can have controller set to true, found {}: {}",
            controllers.len(),
            controllers.join(", ")
        );
        r.doc(d, path, msg);
    }
    refs.into()
}

/// A `metav1.LabelSelector`; errors name the offending requirement.
pub(super) fn label_selector(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    sel: &LabelSelector,
) -> Option<api::LabelSelector> {
    check_labels(r, d, &format!("{path}.matchLabels"), &sel.match_labels);
    let mut ok = true;
    let mut exprs = Vec::new();
    for (i, e) in sel.match_expressions.iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        match Operator::parse(&e.operator.value) {
            Ok(Operator::Gt | Operator::Lt) | Err(_) => {
                r.at(
                    d,
                    &e.operator,
                    &format!("{p}.operator"),
                    format!(
                        "expected one of In, NotIn, Exists, DoesNotExist, got {:?}",
                        e.operator.value
                    ),
                );
                ok = false;
            }
            Ok(op) => match Requirement::new(&e.key, op, e.values.clone()) {
                Ok(_) => exprs.push((e.key.clone(), e.operator.value.clone(), e.values.clone())),
                Err(err) => {
                    r.doc(d, &p, err.to_string());
                    ok = false;
                }
            },
        }
    }
    if !ok {
        return None;
    }
    match api::LabelSelector::from_parts(&sel.match_labels, &exprs) {
        Ok(s) => Some(s),
        Err(e) => {
            r.doc(d, path, e.to_string());
            None
        }
    }
}

/// A count (at least 0) or a percentage `"N%"` (0-100).
pub(super) fn int_or_percent(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    v: &Spanned<IntOrString>,
) -> Option<IntOrPercent> {
    let bad = |r: &mut Resolver, msg: String| {
        r.at(d, v, path, msg);
        None
    };
    match &v.value {
        IntOrString::Int(n) if *n >= 0 => Some(IntOrPercent::Int(*n)),
        IntOrString::Int(n) => bad(r, format!("must not be negative, got {n}")),
        IntOrString::String(t) => match t.strip_suffix('%').map(str::parse::<i64>) {
            Some(Ok(p)) if (0..=100).contains(&p) => Some(IntOrPercent::Percent(p)),
            _ => bad(
                r,
                format!("expected a count or a percentage such as \"50%\", got {t:?}"),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::api::meta::Uid;

    #[test]
    fn owner_references_keep_uid_and_controller_and_are_checked_as_upstream() {
        let owned = |refs: &str| {
            format!(
                "{}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: 5e1f\n  ownerReferences:\n{refs}spec:\n  containers: [{{name: c, image: x}}]\n",
                sim("")
            )
        };
        let good = "  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: a1, controller: true, blockOwnerDeletion: true}\n  - {apiVersion: v1, kind: Service, name: web, uid: b2}\n";
        let s = ok(&[("sim.yaml", &owned(good))]);
        let p = pod_named(&s, "p");
        assert_eq!(p.meta.uid, Uid::Given("5e1f".into()));
        let c = p.meta.controller().expect("a controller");
        assert_eq!(
            (c.to_string(), &c.uid),
            ("ReplicaSet/web-1".into(), &Uid::Given("a1".into()))
        );
        assert!(c.block_owner_deletion);
        assert_eq!(p.meta.owner_references.len(), 2);
        assert!(!p.meta.owner_references[1].controller);

        let bad = "  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: a1, controller: true}\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: b, controller: true}\n";
        let (_, e) = errs(&[("sim.yaml", &owned(bad))]);
        let shown = display(&e);
        assert!(
            shown.contains("metadata.ownerReferences[1].uid: must not be empty"),
            "{shown}"
        );
        assert!(
            shown.contains("metadata.ownerReferences: only one reference can have controller set to true, found 2: ReplicaSet/a, ReplicaSet/b"),
            "{shown}"
        );
    }
}
