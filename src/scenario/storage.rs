//! The storage API group (`storage.k8s.io/v1`): StorageClasses, as written and resolved.

use super::meta::ObjectMeta;
use super::resolver::{Doc, Resolver};
use super::yaml::Spanned;
use crate::api::volume::{ANNOTATION_DEFAULT_CLASS, TopologyTerm, VolumeBindingMode};
use serde::Deserialize;

/// A `storage.k8s.io/v1` StorageClass.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StorageClass {
    /// Metadata (the default-class annotation is read).
    pub metadata: ObjectMeta,
    /// Provisioner name (required).
    pub provisioner: Option<String>,
    /// `Immediate` or `WaitForFirstConsumer`.
    pub volume_binding_mode: Option<Spanned<String>>,
    /// Where provisioned volumes may go.
    pub allowed_topologies: Vec<TopologySelectorTerm>,
}

/// One `allowedTopologies` term.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopologySelectorTerm {
    /// Requirements (AND-ed).
    pub match_label_expressions: Vec<TopologySelectorRequirement>,
}

/// A label key and its allowed values.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TopologySelectorRequirement {
    /// Label key.
    pub key: String,
    /// Allowed values.
    pub values: Vec<String>,
}

/// A StorageClass manifest.
pub(super) fn storage_class(r: &mut Resolver, d: Doc, c: &StorageClass) {
    let Some(name) = c.metadata.name.clone().filter(|n| !n.is_empty()) else {
        r.doc(d, "metadata.name", "is required");
        return;
    };
    if r.storage_classes.iter().any(|o| o.name == name) {
        r.doc(
            d,
            "metadata.name",
            format!("StorageClass {name:?} is defined twice"),
        );
        return;
    }
    let provisioner = match &c.provisioner {
        Some(p) if !p.is_empty() => p.clone(),
        _ => {
            r.doc(
                d,
                "provisioner",
                "is required (use kubernetes.io/no-provisioner for volumes created by hand)",
            );
            String::new()
        }
    };
    let binding_mode = match &c.volume_binding_mode {
        None => VolumeBindingMode::Immediate,
        Some(m) => VolumeBindingMode::parse(&m.value).unwrap_or_else(|| {
            r.at(
                d,
                m,
                "volumeBindingMode",
                format!(
                    "expected Immediate or WaitForFirstConsumer, got {:?}",
                    m.value
                ),
            );
            VolumeBindingMode::Immediate
        }),
    };
    let mut allowed_topologies = Vec::new();
    for (i, t) in c.allowed_topologies.iter().enumerate() {
        let mut term = TopologyTerm::default();
        for (j, e) in t.match_label_expressions.iter().enumerate() {
            let path = format!("allowedTopologies[{i}].matchLabelExpressions[{j}]");
            if e.values.is_empty() {
                r.doc(d, &format!("{path}.values"), "needs at least one value");
            }
            term.requirements.push((e.key.clone(), e.values.clone()));
        }
        allowed_topologies.push(term);
    }
    let is_default = c
        .metadata
        .annotations
        .get(ANNOTATION_DEFAULT_CLASS)
        .is_some_and(|v| v == "true");
    r.storage_classes.push(crate::api::volume::StorageClass {
        name,
        provisioner,
        binding_mode,
        allowed_topologies,
        is_default,
    });
}

/// Warns when several classes claim to be the default (claims without a class take the
/// first).
pub(super) fn warn_several_defaults(r: &mut Resolver) {
    let defaults: Vec<&str> = r
        .storage_classes
        .iter()
        .filter(|c| c.is_default)
        .map(|c| c.name.as_str())
        .collect();
    if defaults.len() > 1 {
        let warning = format!(
            "several default StorageClasses ({}); claims without a class get {:?}",
            defaults.join(", "),
            defaults[0]
        );
        r.warnings.push(warning);
    }
}
