//! The scheduler's view of each node (upstream `NodeInfo` in the scheduler cache): the node
//! object plus the summed requests of the pods bound to it.

use crate::api::pod::Pod;
use crate::api::{Node, Resources, TaintEffect};
use crate::store::NodeId;
use std::sync::Arc;

/// One node as the scheduler sees it.
///
/// The fields the filter and score loops read on every node come first, in declaration order
/// (`repr(C)`), so that they share as few cache lines as possible.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct NodeInfo {
    /// Summed effective requests of the pods on the node.
    pub requested: Resources,
    /// Summed cpu requests with the non-zero default (for scoring).
    pub nonzero_cpu_m: i64,
    /// Summed memory requests with the non-zero default (for scoring).
    pub nonzero_memory: i64,
    /// Number of pods on the node.
    pub pod_count: i64,
    /// Number of PreferNoSchedule taints (the TaintToleration score reads it often).
    pub prefer_no_schedule_taints: u32,
    /// Copy of `node.unschedulable`.
    pub unschedulable: bool,
    /// Whether the node has any taint.
    pub has_taints: bool,
    /// Copy of `node.allocatable`, kept here so the hot loops read contiguous memory.
    pub allocatable: Resources,
    /// Store id.
    pub id: NodeId,
    /// The node object.
    pub node: Arc<Node>,
}

impl NodeInfo {
    /// An empty node.
    pub fn new(id: NodeId, node: Arc<Node>) -> NodeInfo {
        let prefer_no_schedule_taints = node
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
            .count() as u32;
        NodeInfo {
            id,
            allocatable: node.allocatable.clone(),
            unschedulable: node.unschedulable,
            has_taints: !node.taints.is_empty(),
            node,
            requested: Resources::default(),
            nonzero_cpu_m: 0,
            nonzero_memory: 0,
            pod_count: 0,
            prefer_no_schedule_taints,
        }
    }

    /// Counts a pod on this node.
    pub fn add_pod(&mut self, pod: &Pod) {
        self.requested.add(&pod.spec.requests);
        self.nonzero_cpu_m += pod.spec.nonzero_cpu_m;
        self.nonzero_memory += pod.spec.nonzero_memory;
        self.pod_count += 1;
    }

    /// Stops counting a pod on this node.
    pub fn remove_pod(&mut self, pod: &Pod) {
        self.requested.sub(&pod.spec.requests);
        self.nonzero_cpu_m -= pod.spec.nonzero_cpu_m;
        self.nonzero_memory -= pod.spec.nonzero_memory;
        self.pod_count -= 1;
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        self.node.name()
    }
}

/// The order in which the scheduler walks nodes: zones round robin, nodes within a zone in
/// the order they joined (upstream `nodeTree.list()`, `pkg/scheduler/backend/cache/node_tree.go`).
pub fn node_tree_order(nodes: &[NodeInfo]) -> Vec<usize> {
    let mut zones: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        // Upstream keys zones by region and zone together.
        let zone = n.node.zone().unwrap_or("");
        match zones.iter_mut().find(|(z, _)| *z == zone) {
            Some((_, list)) => list.push(i),
            None => zones.push((zone, vec![i])),
        }
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut depth = 0;
    while order.len() < nodes.len() {
        for (_, list) in &zones {
            if let Some(&i) = list.get(depth) {
                order.push(i);
            }
        }
        depth += 1;
    }
    order
}

/// Some nodes of the scheduler's cache, in a given order: what the batch calls of the
/// extension points receive (no per-cycle list of references is built).
#[derive(Clone, Copy, Debug)]
pub struct NodeSet<'a> {
    all: &'a [NodeInfo],
    which: &'a [usize],
}

impl<'a> NodeSet<'a> {
    /// The nodes `all[which[0]], all[which[1]], ...`.
    pub fn new(all: &'a [NodeInfo], which: &'a [usize]) -> Self {
        NodeSet { all, which }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.which.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.which.is_empty()
    }

    /// The nodes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a NodeInfo> + 'a {
        let all = self.all;
        self.which.iter().map(move |&i| &all[i])
    }
}
