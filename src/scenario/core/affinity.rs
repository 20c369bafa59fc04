//! Where a pod may go, as its spec says: node affinity, pod affinity and anti-affinity,
//! tolerations and topology spread constraints, as written and resolved (validated as the
//! API server validates them).

use super::super::meta::{LabelSelector, label_selector};
use super::super::resolver::{Doc, Resolver};
use super::super::yaml::Spanned;
use crate::api;
use crate::api::affinity::{FIELD_NODE_NAME, NodeSelectorTerm as Term, PreferredTerm};
use crate::api::pod_affinity::{
    InclusionPolicy, PodAffinityTerm as AffinityTerm, PodAffinityTerms, WhenUnsatisfiable,
};
use crate::api::selector::{Operator, Requirement, validate_label_key};
use crate::api::taint::{TaintEffect, TolerationOperator};
use serde::Deserialize;
use std::collections::BTreeSet;

/// A topology spread constraint.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopologySpreadConstraint {
    /// Largest allowed skew (required, at least 1).
    pub max_skew: Spanned<i32>,
    /// Node label of the domains (required).
    pub topology_key: Spanned<String>,
    /// `DoNotSchedule` or `ScheduleAnyway` (required).
    pub when_unsatisfiable: Spanned<String>,
    /// Pods counted.
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    /// Minimum number of domains.
    #[serde(default)]
    pub min_domains: Option<Spanned<i32>>,
    /// `Honor` or `Ignore`.
    #[serde(default)]
    pub node_affinity_policy: Option<Spanned<String>>,
    /// `Honor` or `Ignore`.
    #[serde(default)]
    pub node_taints_policy: Option<Spanned<String>>,
    /// Pod label keys ANDed into the selector.
    #[serde(default)]
    pub match_label_keys: Vec<String>,
}

/// Pod affinity or anti-affinity.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodAffinity {
    /// Hard terms.
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// Soft terms.
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// A pod affinity term.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodAffinityTerm {
    /// Pods the term is about.
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    /// Namespaces named explicitly.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Namespaces picked by labels.
    #[serde(default)]
    pub namespace_selector: Option<LabelSelector>,
    /// Node label that defines "together" (required).
    pub topology_key: Spanned<String>,
}

/// A weighted pod affinity term.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeightedPodAffinityTerm {
    /// Weight 1..=100 (required).
    pub weight: Spanned<i32>,
    /// The term (required).
    pub pod_affinity_term: PodAffinityTerm,
}

/// A toleration.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    /// Taint key (empty/absent matches all with `Exists`).
    pub key: Option<String>,
    /// `Exists` or `Equal` (unchecked).
    pub operator: Option<String>,
    /// Value for `Equal`.
    pub value: Option<String>,
    /// Effect to match (unchecked).
    pub effect: Option<String>,
    /// For `NoExecute`: how long the pod stays bound.
    pub toleration_seconds: Option<i64>,
}

/// Affinity rules.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Affinity {
    /// Node affinity.
    pub node_affinity: Option<NodeAffinity>,
    /// Pod affinity.
    pub pod_affinity: Option<PodAffinity>,
    /// Pod anti-affinity.
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// Node affinity.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAffinity {
    /// Hard requirement.
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// Soft preferences.
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// A node selector (terms are ORed).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelector {
    /// Terms.
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// One node selector term (requirements are ANDed).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorTerm {
    /// Requirements on labels.
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Requirements on fields.
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// A requirement `key operator values`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NodeSelectorRequirement {
    /// Label or field key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt` (unchecked).
    pub operator: Spanned<String>,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A weighted preferred term.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PreferredSchedulingTerm {
    /// Weight 1..=100 (unchecked).
    pub weight: Spanned<i32>,
    /// The term.
    pub preference: NodeSelectorTerm,
}

/// `spec.affinity` (`path` ends in `spec`): the node affinity and the pod (anti-)affinity,
/// each `None` when it says nothing.
pub(in super::super) fn affinity(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    a: &Affinity,
) -> (
    Option<api::NodeAffinity>,
    Option<api::pod_affinity::PodAffinity>,
) {
    let terms = |r: &mut Resolver, field: &str, raw: &Option<PodAffinity>| {
        raw.as_ref()
            .map(|pa| pod_affinity_terms(r, d, &format!("{path}.affinity.{field}"), pa))
            .unwrap_or_default()
    };
    let pa = api::pod_affinity::PodAffinity {
        affinity: terms(r, "podAffinity", &a.pod_affinity),
        anti_affinity: terms(r, "podAntiAffinity", &a.pod_anti_affinity),
    };
    let pod_affinity = (!pa.is_empty()).then_some(pa);
    let node_affinity = a.node_affinity.as_ref().map(|na| {
        let path = format!("{path}.affinity.nodeAffinity");
        node_affinity(r, d, &path, na)
    });
    (node_affinity, pod_affinity)
}

/// `nodeAffinity` at `path`.
fn node_affinity(r: &mut Resolver, d: Doc, path: &str, na: &NodeAffinity) -> api::NodeAffinity {
    let required = na
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .map(|ns| {
            let path = format!("{path}.requiredDuringSchedulingIgnoredDuringExecution");
            selector_terms(r, d, &path, ns)
        });
    let mut preferred = Vec::new();
    for (i, p) in na
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
    {
        let pp = format!("{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
        if !(1..=100).contains(&p.weight.value) {
            r.at(
                d,
                &p.weight,
                &format!("{pp}.weight"),
                format!("must be between 1 and 100, got {}", p.weight.value),
            );
        }
        preferred.push(PreferredTerm {
            weight: p.weight.value,
            term: term(r, d, &format!("{pp}.preference"), &p.preference),
        });
    }
    api::NodeAffinity {
        required,
        preferred,
    }
}

/// The terms of a node selector at `path` (ORed).
pub(in super::super) fn selector_terms(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    ns: &NodeSelector,
) -> Vec<Term> {
    ns.node_selector_terms
        .iter()
        .enumerate()
        .map(|(i, t)| term(r, d, &format!("{path}.nodeSelectorTerms[{i}]"), t))
        .collect()
}

/// `spec.topologySpreadConstraints` (`path` ends in `spec`); upstream allows one constraint
/// per (topologyKey, whenUnsatisfiable).
pub(in super::super) fn spread_constraints(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    list: &[TopologySpreadConstraint],
) -> Vec<api::pod_affinity::TopologySpreadConstraint> {
    let spread: Vec<_> = list
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            spread_constraint(r, d, &format!("{path}.topologySpreadConstraints[{i}]"), c)
        })
        .collect();
    let mut seen = BTreeSet::new();
    for (i, c) in spread.iter().enumerate() {
        if !seen.insert((&c.topology_key, c.when_unsatisfiable)) {
            r.doc(
                d,
                &format!("{path}.topologySpreadConstraints[{i}]"),
                format!(
                    "duplicate constraint for topologyKey {:?} and whenUnsatisfiable {:?}",
                    c.topology_key, c.when_unsatisfiable
                ),
            );
        }
    }
    spread
}

/// `spec.tolerations` (`path` ends in `spec`); an invalid toleration is reported and left out.
pub(in super::super) fn tolerations(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    list: &[Toleration],
) -> Vec<api::Toleration> {
    let mut tolerations = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let p = format!("{path}.tolerations[{i}]");
        let operator = match t.operator.as_deref() {
            None | Some("Equal") => TolerationOperator::Equal,
            Some("Exists") => TolerationOperator::Exists,
            Some(o) => {
                r.doc(
                    d,
                    &format!("{p}.operator"),
                    format!("expected Equal or Exists, got {o:?}"),
                );
                continue;
            }
        };
        if operator == TolerationOperator::Exists
            && t.value.as_deref().is_some_and(|v| !v.is_empty())
        {
            r.doc(
                d,
                &format!("{p}.value"),
                "must be empty when operator is Exists",
            );
        }
        let effect = match t.effect.as_deref() {
            None | Some("") => None,
            Some(e) => match TaintEffect::parse(e) {
                Some(e) => Some(e),
                None => {
                    r.doc(
                        d,
                        &format!("{p}.effect"),
                        format!("expected NoSchedule, PreferNoSchedule or NoExecute, got {e:?}"),
                    );
                    continue;
                }
            },
        };
        tolerations.push(api::Toleration {
            key: t.key.clone().unwrap_or_default(),
            operator,
            value: t.value.clone().unwrap_or_default(),
            effect,
            toleration_seconds: t.toleration_seconds,
        });
    }
    tolerations
}

/// `Honor` or `Ignore`, defaulting to `default`.
pub(in super::super) fn inclusion_policy(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    v: &Option<Spanned<String>>,
    default: InclusionPolicy,
) -> InclusionPolicy {
    match v.as_ref().map(|s| (s, s.value.as_str())) {
        None => default,
        Some((_, "Honor")) => InclusionPolicy::Honor,
        Some((_, "Ignore")) => InclusionPolicy::Ignore,
        Some((leaf, other)) => {
            r.at(
                d,
                leaf,
                path,
                format!("expected Honor or Ignore, got {other:?}"),
            );
            default
        }
    }
}

fn spread_constraint(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    c: &TopologySpreadConstraint,
) -> Option<api::pod_affinity::TopologySpreadConstraint> {
    let errors = r.errors.len();
    if c.max_skew.value < 1 {
        r.at(
            d,
            &c.max_skew,
            &format!("{path}.maxSkew"),
            format!("must be at least 1, got {}", c.max_skew.value),
        );
    }
    if c.topology_key.value.is_empty() {
        r.at(
            d,
            &c.topology_key,
            &format!("{path}.topologyKey"),
            "must not be empty",
        );
    } else if let Err(e) = validate_label_key(&c.topology_key.value) {
        r.at(d, &c.topology_key, &format!("{path}.topologyKey"), e);
    }
    let when = match c.when_unsatisfiable.value.as_str() {
        "DoNotSchedule" => WhenUnsatisfiable::DoNotSchedule,
        "ScheduleAnyway" => WhenUnsatisfiable::ScheduleAnyway,
        other => {
            r.at(
                d,
                &c.when_unsatisfiable,
                &format!("{path}.whenUnsatisfiable"),
                format!("expected DoNotSchedule or ScheduleAnyway, got {other:?}"),
            );
            WhenUnsatisfiable::DoNotSchedule
        }
    };
    if let Some(m) = &c.min_domains {
        if m.value < 1 {
            r.at(
                d,
                m,
                &format!("{path}.minDomains"),
                format!("must be at least 1, got {}", m.value),
            );
        } else if when != WhenUnsatisfiable::DoNotSchedule {
            r.at(
                d,
                m,
                &format!("{path}.minDomains"),
                "may only be set with whenUnsatisfiable: DoNotSchedule",
            );
        }
    }
    let label_selector = c
        .label_selector
        .as_ref()
        .and_then(|s| label_selector(r, d, &format!("{path}.labelSelector"), s));
    for (i, k) in c.match_label_keys.iter().enumerate() {
        let p = format!("{path}.matchLabelKeys[{i}]");
        if let Err(e) = validate_label_key(k) {
            r.doc(d, &p, e);
        }
        if c.label_selector.as_ref().is_some_and(|s| {
            s.match_labels.contains_key(k) || s.match_expressions.iter().any(|e| &e.key == k)
        }) {
            r.doc(
                d,
                &p,
                format!("{k:?} must not also be a key of labelSelector"),
            );
        }
    }
    let node_affinity_policy = inclusion_policy(
        r,
        d,
        &format!("{path}.nodeAffinityPolicy"),
        &c.node_affinity_policy,
        InclusionPolicy::Honor,
    );
    let node_taints_policy = inclusion_policy(
        r,
        d,
        &format!("{path}.nodeTaintsPolicy"),
        &c.node_taints_policy,
        InclusionPolicy::Ignore,
    );
    (r.errors.len() == errors).then(|| api::pod_affinity::TopologySpreadConstraint {
        max_skew: c.max_skew.value,
        topology_key: c.topology_key.value.clone(),
        when_unsatisfiable: when,
        label_selector,
        min_domains: c.min_domains.as_ref().map(|m| m.value),
        node_affinity_policy,
        node_taints_policy,
        match_label_keys: c.match_label_keys.clone(),
    })
}

fn pod_affinity_term(r: &mut Resolver, d: Doc, path: &str, t: &PodAffinityTerm) -> AffinityTerm {
    if t.topology_key.value.is_empty() {
        r.at(
            d,
            &t.topology_key,
            &format!("{path}.topologyKey"),
            "must not be empty",
        );
    } else if let Err(e) = validate_label_key(&t.topology_key.value) {
        r.at(d, &t.topology_key, &format!("{path}.topologyKey"), e);
    }
    AffinityTerm {
        label_selector: t
            .label_selector
            .as_ref()
            .and_then(|s| label_selector(r, d, &format!("{path}.labelSelector"), s)),
        namespaces: t.namespaces.clone(),
        namespace_selector: t
            .namespace_selector
            .as_ref()
            .and_then(|s| label_selector(r, d, &format!("{path}.namespaceSelector"), s)),
        topology_key: t.topology_key.value.clone(),
    }
}

fn pod_affinity_terms(r: &mut Resolver, d: Doc, path: &str, a: &PodAffinity) -> PodAffinityTerms {
    let required = a
        .required_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = format!("{path}.requiredDuringSchedulingIgnoredDuringExecution[{i}]");
            pod_affinity_term(r, d, &p, t)
        })
        .collect();
    let preferred = a
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let p = format!("{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            if !(1..=100).contains(&w.weight.value) {
                r.at(
                    d,
                    &w.weight,
                    &format!("{p}.weight"),
                    format!("must be between 1 and 100, got {}", w.weight.value),
                );
            }
            api::pod_affinity::WeightedPodAffinityTerm {
                weight: w.weight.value,
                term: pod_affinity_term(
                    r,
                    d,
                    &format!("{p}.podAffinityTerm"),
                    &w.pod_affinity_term,
                ),
            }
        })
        .collect();
    PodAffinityTerms {
        required,
        preferred,
    }
}

/// One node selector term at `path` (requirements ANDed).
pub(in super::super) fn term(r: &mut Resolver, d: Doc, path: &str, t: &NodeSelectorTerm) -> Term {
    let mut out = Term::default();
    for (field, list, is_fields) in [
        ("matchExpressions", &t.match_expressions, false),
        ("matchFields", &t.match_fields, true),
    ] {
        for (i, e) in list.iter().enumerate() {
            let p = format!("{path}.{field}[{i}]");
            let op = match Operator::parse(&e.operator.value) {
                Ok(op) => op,
                Err(err) => {
                    r.at(d, &e.operator, &format!("{p}.operator"), err.to_string());
                    continue;
                }
            };
            if is_fields
                && (e.key != FIELD_NODE_NAME || !matches!(op, Operator::In | Operator::NotIn))
            {
                r.doc(
                    d,
                    &p,
                    "matchFields supports only metadata.name with In or NotIn",
                );
                continue;
            }
            match Requirement::new(&e.key, op, e.values.clone()) {
                Ok(req) if is_fields => out.match_fields.push(req),
                Ok(req) => out.match_expressions.push(req),
                Err(err) => r.doc(d, &p, err.to_string()),
            }
        }
    }
    out
}
