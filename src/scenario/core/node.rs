//! `v1` Node: as written, and resolved (capacity and allocatable with the kubelet's
//! defaults, taints, images, the hostname label).

use super::super::meta::{ObjectMeta, check_labels, given_uid};
use super::super::resolver::{Doc, Resolver, resources};
use super::super::yaml::{Quantities, Spanned};
use super::snapshot::instant;
use crate::api;
use crate::api::names::NameRule;
use crate::api::node::LABEL_HOSTNAME;
use crate::api::taint::TaintEffect;
use crate::api::{ContainerImage as Image, Labels, Resources};
use serde::Deserialize;
use std::sync::Arc;

/// A `v1` Node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Node {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: NodeSpec,
    /// Status (capacity, allocatable, images).
    pub status: NodeStatus,
}

/// Node spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    /// Cordoned.
    pub unschedulable: bool,
    /// Taints.
    pub taints: Vec<Taint>,
}

/// A node taint.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value.
    #[serde(default)]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute` (unchecked).
    pub effect: String,
    /// `timeAdded` (RFC 3339), placed on the run's clock by `spec.startTime`.
    #[serde(default)]
    pub time_added: Option<Spanned<String>>,
}

/// Node status.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    /// Total resources.
    pub capacity: Quantities,
    /// Resources available to pods.
    pub allocatable: Quantities,
    /// Images present on the node.
    pub images: Vec<ContainerImage>,
}

/// An image present on a node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerImage {
    /// Names (tags/digests) of the image.
    pub names: Vec<String>,
    /// Size in bytes.
    pub size_bytes: Option<i64>,
}

/// A Node manifest.
pub(in super::super) fn node_manifest(r: &mut Resolver, d: Doc, n: &Node) {
    let Some(name) = r.name(d, &n.metadata.name, NameRule::Subdomain) else {
        return;
    };
    let mut extra = Labels::new();
    extra.insert(LABEL_HOSTNAME.into(), name.clone());
    if let Some(mut node) = node(r, d, "", n, name, extra, None) {
        node.meta.uid = given_uid(r, d, &n.metadata);
        add_node(r, d, "metadata.name", node);
    }
}

/// Adds a resolved node, unless one of that name exists (`path`: the field that named it).
pub(in super::super) fn add_node(r: &mut Resolver, d: Doc, path: &str, node: api::Node) {
    if r.node_names.insert(node.meta.name.clone()) {
        r.nodes.push(node);
    } else {
        r.doc(d, path, format!("duplicate node name {:?}", node.meta.name));
    }
}

/// Resolves a node named `name`, `extra` labels added, from a manifest or a pool's template
/// at `path`.
pub(in super::super) fn node(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    n: &Node,
    name: String,
    extra: Labels,
    pool: Option<String>,
) -> Option<api::Node> {
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    };
    let capacity = resources(
        r,
        d,
        &format!("{prefix}status.capacity"),
        &n.status.capacity,
    );
    let mut allocatable = capacity.clone();
    if !n.status.allocatable.is_empty() {
        let given = resources(
            r,
            d,
            &format!("{prefix}status.allocatable"),
            &n.status.allocatable,
        );
        for k in n.status.allocatable.keys() {
            allocatable.set(k, given.get(k));
        }
    }
    if allocatable.pods == 0
        && !n.status.capacity.contains_key("pods")
        && !n.status.allocatable.contains_key("pods")
    {
        allocatable.pods = 110;
    }
    let mut taints = Vec::new();
    for (i, t) in n.spec.taints.iter().enumerate() {
        match TaintEffect::parse(&t.effect) {
            Some(effect) => {
                let path = format!("{prefix}spec.taints[{i}].timeAdded");
                let time_added = (t.time_added.as_ref()).and_then(|at| instant(r, d, &path, at));
                taints.push(api::Taint {
                    key: t.key.clone(),
                    value: t.value.clone().unwrap_or_default(),
                    effect,
                    time_added,
                })
            }
            None => r.doc(
                d,
                &format!("{prefix}spec.taints[{i}].effect"),
                format!(
                    "expected NoSchedule, PreferNoSchedule or NoExecute, got {:?}",
                    t.effect
                ),
            ),
        }
    }
    let mut labels = n.metadata.labels.clone();
    labels.extend(extra);
    check_labels(r, d, &format!("{prefix}metadata.labels"), &labels);
    crate::api::node::add_kubelet_labels(&mut labels);
    Some(api::Node {
        meta: api::ObjectMeta {
            name,
            namespace: String::new(),
            labels: Arc::new(labels),
            annotations: Arc::new(n.metadata.annotations.clone()),
            ..api::ObjectMeta::default()
        },
        capacity: if capacity.pods == 0 {
            Resources {
                pods: allocatable.pods,
                ..capacity
            }
        } else {
            capacity
        },
        allocatable,
        taints,
        unschedulable: n.spec.unschedulable,
        images: n
            .status
            .images
            .iter()
            .map(|i| Image {
                names: i.names.clone(),
                size_bytes: i.size_bytes.unwrap_or(0),
            })
            .collect(),
        pool,
        conditions: api::node::NodeCondition::healthy(),
    })
}
