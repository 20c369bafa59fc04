//! The core API group (`v1`): Nodes, Pods, Namespaces, Services, PersistentVolumes and
//! claims, as written and as resolved.

mod affinity;
mod container;
mod node;
mod pod;
mod snapshot;
mod volume;

pub(super) use affinity::{
    NodeAffinity as RawNodeAffinity, inclusion_policy, selector_terms, term as selector_term,
};
pub(super) use node::{Node, NodeSpec, NodeStatus, add_node, node, node_manifest};
pub(super) use pod::{Pod, PodSpec, PodTemplate, pod, pod_manifest};
pub(super) use snapshot::instant;
pub(super) use volume::{PersistentVolume, PersistentVolumeClaim, claim, claim_spec, volume};

use super::meta::{ObjectMeta, check_labels, namespace as namespace_of};
use super::resolver::{Doc, Resolver};
use crate::api;
use crate::api::names::NameRule;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A `v1` Service (the selector; ports and the rest are ignored for now).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Service {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    #[serde(default)]
    pub spec: ServiceSpec,
}

/// Service spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ServiceSpec {
    /// Pods selected by label equality.
    pub selector: BTreeMap<String, String>,
}

/// A `v1` Namespace.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Namespace {
    /// Metadata.
    pub metadata: ObjectMeta,
}

/// A Namespace manifest: declares it, with its labels.
pub(super) fn namespace(r: &mut Resolver, d: Doc, ns: &Namespace) {
    let Some(n) = r.name(d, &ns.metadata.name, NameRule::Label) else {
        return;
    };
    if !r.namespaces.contains(&n) {
        r.namespaces.push(n.clone());
    }
    check_labels(r, d, "metadata.labels", &ns.metadata.labels);
    r.namespace_labels.insert(n, ns.metadata.labels.clone());
}

/// A Service manifest (its selector).
pub(super) fn service(r: &mut Resolver, d: Doc, svc: &Service) {
    let Some(name) = r.name(d, &svc.metadata.name, NameRule::Dns1035Label) else {
        return;
    };
    let namespace = namespace_of(r, d, svc.metadata.namespace.as_ref());
    if r.services
        .iter()
        .any(|s| s.namespace == namespace && s.name == name)
    {
        let msg = format!("duplicate Service {namespace}/{name}");
        r.doc(d, "metadata.name", msg);
        return;
    }
    check_labels(r, d, "spec.selector", &svc.spec.selector);
    r.services.push(api::service::Service {
        name,
        namespace,
        selector: svc.spec.selector.clone(),
    });
}
