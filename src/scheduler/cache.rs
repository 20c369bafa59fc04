//! The scheduler's view of each node (upstream `NodeInfo` in the scheduler cache): the node
//! object plus the summed requests of the pods bound to it.

use super::images::ImageId;
use super::pod_index::PodIndex;
use crate::api::pod::{HostPort, Pod, PodSpec};
use crate::api::{Node, Resources, TaintEffect};
use crate::store::NodeId;
use std::sync::{Arc, LazyLock};

/// The numbers every filter and score pass reads for each node, packed in one 64-byte cache
/// line so that a pass over hundreds of nodes stays in the L1 cache. They mirror
/// [`NodeInfo::requested`] and the node's allocatable, which stay authoritative for the other
/// resources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct NodeHot {
    /// Summed cpu requests of the pods on the node, millicores.
    pub requested_cpu_m: i64,
    /// Summed memory requests, bytes.
    pub requested_memory: i64,
    /// Summed cpu requests with the non-zero default (for scoring).
    pub nonzero_cpu_m: i64,
    /// Summed memory requests with the non-zero default (for scoring).
    pub nonzero_memory: i64,
    /// Allocatable cpu, millicores.
    pub allocatable_cpu_m: i64,
    /// Allocatable memory, bytes.
    pub allocatable_memory: i64,
    /// Pods on the node.
    pub pod_count: i32,
    /// Pods the node takes.
    pub allocatable_pods: i32,
    /// Number of PreferNoSchedule taints.
    pub prefer_no_schedule_taints: u16,
    /// `spec.unschedulable`.
    pub unschedulable: bool,
    /// Whether the node has any taint.
    pub has_taints: bool,
    _pad: u32,
}

/// The cpu and memory numbers of [`NodeHot`] that the resource score passes read, as
/// floating-point `[cpu, memory]` pairs, in their own cache line.
///
/// Each is `x as f64` of its integer, recomputed from the integer on every change. A score
/// formula divides in floating point anyway; holding the operands converted saves the
/// scalar integer-to-float conversions that otherwise dominate a pass over hundreds of
/// nodes, and the pairs let both resources go through one vector division. Below `2^53`
/// every value is exact, so sums and differences computed from the pairs equal the integer
/// ones converted; each pass states the bounds it relies on and checks them (per node, or
/// through [`NodeFacts::odd_capacity`]) before trusting the pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(64))]
pub struct ScoreNumbers {
    /// [`NodeHot::requested_cpu_m`] and [`NodeHot::requested_memory`].
    pub requested: [f64; 2],
    /// [`NodeHot::nonzero_cpu_m`] and [`NodeHot::nonzero_memory`].
    pub nonzero: [f64; 2],
    /// [`NodeHot::allocatable_cpu_m`] and [`NodeHot::allocatable_memory`].
    pub allocatable: [f64; 2],
}

impl ScoreNumbers {
    /// The pairs of `hot`.
    pub fn of(h: &NodeHot) -> ScoreNumbers {
        let pair = |c: i64, m: i64| [c as f64, m as f64];
        ScoreNumbers {
            requested: pair(h.requested_cpu_m, h.requested_memory),
            nonzero: pair(h.nonzero_cpu_m, h.nonzero_memory),
            allocatable: pair(h.allocatable_cpu_m, h.allocatable_memory),
        }
    }
}

/// One node as the scheduler sees it.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub struct NodeInfo {
    /// The hot numbers, first and alone in their cache line.
    pub hot: NodeHot,
    /// Their cpu and memory as floating point, for scoring, in the next line.
    pub score: ScoreNumbers,
    /// Summed effective requests of the pods on the node (all resources).
    pub requested: Resources,
    /// Copy of `node.allocatable`.
    pub allocatable: Resources,
    /// Store id.
    pub id: NodeId,
    /// The node object.
    pub node: Arc<Node>,
    /// Images the node holds, sorted (see [`super::images::ImageStates`]).
    pub images: Vec<ImageId>,
    /// Host ports taken by the pods on the node (upstream `UsedPorts`; a multiset).
    pub used_ports: Vec<HostPort>,
}

impl NodeInfo {
    /// An empty node.
    pub fn new(id: NodeId, node: Arc<Node>) -> NodeInfo {
        let mut info = NodeInfo {
            hot: NodeHot::default(),
            score: ScoreNumbers::default(),
            requested: Resources::default(),
            allocatable: Resources::default(),
            id,
            node: node.clone(),
            images: Vec::new(),
            used_ports: Vec::new(),
        };
        info.set_node(node);
        info
    }

    /// Replaces the node object (an update of its labels, taints, `spec.unschedulable` or
    /// allocatable) and every number read from it, keeping the pods counted on it (upstream
    /// `NodeInfo.SetNode`).
    pub fn set_node(&mut self, node: Arc<Node>) {
        let prefer = node
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
            .count();
        let a = &node.allocatable;
        let h = &mut self.hot;
        h.allocatable_cpu_m = a.cpu_m;
        h.allocatable_memory = a.memory;
        h.allocatable_pods = i32::try_from(a.pods).unwrap_or(i32::MAX);
        h.prefer_no_schedule_taints = u16::try_from(prefer).unwrap_or(u16::MAX);
        h.unschedulable = node.unschedulable;
        h.has_taints = !node.taints.is_empty();
        self.score = ScoreNumbers::of(h);
        self.allocatable = a.clone();
        self.node = node;
    }

    /// Counts a pod on this node.
    pub fn add_pod(&mut self, pod: &Pod) {
        self.add_spec(&pod.spec);
    }

    /// Stops counting a pod on this node.
    pub fn remove_pod(&mut self, pod: &Pod) {
        self.remove_spec(&pod.spec);
    }

    /// Counts a pod of this spec on this node.
    pub fn add_spec(&mut self, spec: &PodSpec) {
        self.requested.add(&spec.requests);
        let h = &mut self.hot;
        h.requested_cpu_m = self.requested.cpu_m;
        h.requested_memory = self.requested.memory;
        h.nonzero_cpu_m += spec.nonzero_cpu_m;
        h.nonzero_memory += spec.nonzero_memory;
        h.pod_count += 1;
        self.score = ScoreNumbers::of(h);
        if !spec.host_ports.is_empty() {
            self.used_ports.extend(spec.host_ports.iter().cloned());
        }
    }

    /// Stops counting a pod of this spec on this node.
    pub fn remove_spec(&mut self, spec: &PodSpec) {
        self.requested.sub(&spec.requests);
        let h = &mut self.hot;
        h.requested_cpu_m = self.requested.cpu_m;
        h.requested_memory = self.requested.memory;
        h.nonzero_cpu_m -= spec.nonzero_cpu_m;
        h.nonzero_memory -= spec.nonzero_memory;
        h.pod_count -= 1;
        self.score = ScoreNumbers::of(h);
        for p in &spec.host_ports {
            if let Some(i) = self.used_ports.iter().position(|u| u == p) {
                self.used_ports.swap_remove(i);
            }
        }
    }

    /// Sets the requested amounts directly (for tests and benches that start from a given
    /// occupancy): cpu and memory, their non-zero variants equal, and the pod count.
    pub fn set_used(&mut self, cpu_m: i64, memory: i64, pods: i32) {
        self.requested.cpu_m = cpu_m;
        self.requested.memory = memory;
        self.hot.requested_cpu_m = cpu_m;
        self.hot.requested_memory = memory;
        self.hot.nonzero_cpu_m = cpu_m;
        self.hot.nonzero_memory = memory;
        self.hot.pod_count = pods;
        self.score = ScoreNumbers::of(&self.hot);
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        self.node.name()
    }
}

/// The key the node tree groups nodes by: region and zone together
/// ([`Node::region_and_zone`]); empty when the node has neither (upstream `GetZoneKey`).
pub fn zone_key(node: &Node) -> String {
    let (region, zone) = node.region_and_zone();
    if region.is_empty() && zone.is_empty() {
        return String::new();
    }
    format!("{region}:\0:{zone}")
}

/// The nodes by zone (upstream `nodeTree`, `pkg/scheduler/backend/cache/node_tree.go`): zones
/// in the order they first appeared, nodes within a zone in the order they entered it. A
/// node whose zone changes leaves its zone (an emptied zone is dropped) and joins the end
/// of the new one.
#[derive(Clone, Debug, Default)]
pub struct NodeTree {
    zones: Vec<(String, Vec<usize>)>,
    len: usize,
}

impl NodeTree {
    /// Adds node `index` to its zone.
    pub fn add(&mut self, index: usize, node: &Node) {
        let zone = zone_key(node);
        match self.zones.iter_mut().find(|(z, _)| *z == zone) {
            Some((_, list)) => list.push(index),
            None => self.zones.push((zone, vec![index])),
        }
        self.len += 1;
    }

    /// Moves node `index` to the zone of `new` if it differs from that of `old`; returns
    /// whether it moved.
    pub fn update(&mut self, index: usize, old: &Node, new: &Node) -> bool {
        let (from, to) = (zone_key(old), zone_key(new));
        if from == to {
            return false;
        }
        if let Some(z) = self.zones.iter().position(|(z, _)| *z == from) {
            let list = &mut self.zones[z].1;
            if let Some(i) = list.iter().position(|&n| n == index) {
                list.remove(i);
                self.len -= 1;
            }
            if list.is_empty() {
                self.zones.remove(z);
            }
        }
        self.add(index, new);
        true
    }

    /// The walk order: zones round robin, one node of each per round (upstream
    /// `nodeTree.list()`).
    pub fn list(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.len);
        let mut depth = 0;
        while order.len() < self.len {
            for (_, list) in &self.zones {
                if let Some(&i) = list.get(depth) {
                    order.push(i);
                }
            }
            depth += 1;
        }
        order
    }
}

/// The walk order of nodes that joined in this order and never changed zone (see
/// [`NodeTree`]).
pub fn node_tree_order(nodes: &[NodeInfo]) -> Vec<usize> {
    let mut tree = NodeTree::default();
    for (i, n) in nodes.iter().enumerate() {
        tree.add(i, &n.node);
    }
    tree.list()
}

/// Cluster-wide counts about the nodes, kept by the scheduler as nodes come and go, that let
/// a plugin skip a pass it can prove changes nothing: with no cordoned node, NodeUnschedulable
/// passes every node. [`NodeFacts::UNKNOWN`] claims nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeFacts {
    /// Nodes with `spec.unschedulable`.
    pub unschedulable: u32,
    /// Nodes with a NoSchedule or NoExecute taint.
    pub filter_tainted: u32,
    /// Nodes with a PreferNoSchedule taint.
    pub prefer_no_schedule: u32,
    /// Nodes whose allocatable cpu or memory lies outside `(0, EXACT_CAPACITY)`, where the
    /// floating-point resource scores are not exact for every request.
    pub odd_capacity: u32,
}

/// Capacities below `2^45` keep every resource score dividend (at most 100 × capacity)
/// below `2^52`, where a floating-point division truncates to the integer quotient (see
/// [`crate::scheduler::plugins::node_resources_fit::div_floor`]).
pub const EXACT_CAPACITY: i64 = 1 << 45;

impl NodeFacts {
    /// No knowledge: every count may be non-zero.
    pub const UNKNOWN: NodeFacts = NodeFacts {
        unschedulable: u32::MAX,
        filter_tainted: u32::MAX,
        prefer_no_schedule: u32::MAX,
        odd_capacity: u32::MAX,
    };
    /// No nodes.
    pub const EMPTY: NodeFacts = NodeFacts {
        unschedulable: 0,
        filter_tainted: 0,
        prefer_no_schedule: 0,
        odd_capacity: 0,
    };

    /// Counts `node` in (`add`) or out of the facts.
    pub fn count(&mut self, node: &Node, add: bool) {
        let bump = |c: &mut u32, yes: bool| {
            if yes {
                *c = if add {
                    c.saturating_add(1)
                } else {
                    c.saturating_sub(1)
                };
            }
        };
        let has = |e: &[TaintEffect]| node.taints.iter().any(|t| e.contains(&t.effect));
        bump(&mut self.unschedulable, node.unschedulable);
        bump(
            &mut self.filter_tainted,
            has(&[TaintEffect::NoSchedule, TaintEffect::NoExecute]),
        );
        bump(
            &mut self.prefer_no_schedule,
            has(&[TaintEffect::PreferNoSchedule]),
        );
        let exact = |c: i64| 0 < c && c < EXACT_CAPACITY;
        bump(
            &mut self.odd_capacity,
            !(exact(node.allocatable.cpu_m) && exact(node.allocatable.memory)),
        );
    }

    /// The facts of `nodes`.
    pub fn of<'n>(nodes: impl IntoIterator<Item = &'n Node>) -> NodeFacts {
        let mut facts = NodeFacts::EMPTY;
        for n in nodes {
            facts.count(n, true);
        }
        facts
    }
}

/// Some nodes of the scheduler's cache, in a given order: what the batch calls of the
/// extension points receive (no per-cycle list of references is built), with the
/// cluster-wide [`NodeFacts`].
#[derive(Clone, Copy, Debug)]
pub struct NodeSet<'a> {
    all: &'a [NodeInfo],
    which: &'a [usize],
    facts: NodeFacts,
    pods: &'a PodIndex,
}

/// The index a [`NodeSet`] built without one refers to: no pods anywhere.
static NO_PODS: LazyLock<PodIndex> = LazyLock::new(PodIndex::default);

impl<'a> NodeSet<'a> {
    /// The nodes `all[which[0]], all[which[1]], ...`, with unknown facts and no bound pods.
    pub fn new(all: &'a [NodeInfo], which: &'a [usize]) -> Self {
        NodeSet {
            all,
            which,
            facts: NodeFacts::UNKNOWN,
            pods: &NO_PODS,
        }
    }

    /// The same nodes, with the facts of the cluster they belong to.
    pub fn with_facts(self, facts: NodeFacts) -> Self {
        NodeSet { facts, ..self }
    }

    /// The same nodes, with the index of the pods bound in the cluster.
    pub fn with_pods(self, pods: &'a PodIndex) -> Self {
        NodeSet { pods, ..self }
    }

    /// Other nodes of the same cluster (indices into [`NodeSet::all`]), with the same facts
    /// and pods.
    pub fn with_indices<'b>(&self, which: &'b [usize]) -> NodeSet<'b>
    where
        'a: 'b,
    {
        NodeSet { which, ..*self }
    }

    /// Cluster-wide facts about the nodes.
    pub fn facts(&self) -> NodeFacts {
        self.facts
    }

    /// The index of bound pods (by selector and topology domain).
    pub fn pods(&self) -> &'a PodIndex {
        self.pods
    }

    /// Every node of the cluster, by node index (`NodeId` order), not only this set's.
    pub fn all(&self) -> &'a [NodeInfo] {
        self.all
    }

    /// The node indices of this set, in order.
    pub fn indices(&self) -> &'a [usize] {
        self.which
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.which.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.which.is_empty()
    }

    /// Appends `f` of each node's [`ScoreNumbers`] to `out`, in order, in a loop without
    /// bounds or capacity checks that the compiler can vectorize. `f` returns the score and
    /// whether the node's numbers were within the bounds where it is exact; when one node's
    /// were not, `out` is left as it was and the result is false.
    #[inline]
    pub fn score_numbers(
        &self,
        out: &mut Vec<i64>,
        f: impl Fn(&ScoreNumbers) -> (i64, bool),
    ) -> bool {
        let base = out.len();
        let mut exact = true;
        // Written in place as they are computed: no zero fill first.
        out.extend(self.which.iter().map(|&i| {
            let (score, ok) = f(&self.all[i].score);
            exact &= ok;
            score
        }));
        if !exact {
            out.truncate(base);
        }
        exact
    }

    /// The nodes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a NodeInfo> + 'a {
        let all = self.all;
        self.which.iter().map(move |&i| &all[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ObjectMeta;
    use crate::api::node::LABEL_ZONE;
    use crate::api::taint::Taint;

    fn labelled(pairs: &[(&str, &str)]) -> Node {
        Node {
            meta: ObjectMeta {
                labels: Arc::new(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..ObjectMeta::named("", "n")
            },
            capacity: Resources::default(),
            allocatable: Resources::default(),
            taints: vec![],
            unschedulable: false,
            images: vec![],
            pool: None,
            conditions: crate::api::node::NodeCondition::healthy(),
        }
    }

    #[test]
    fn zone_key_is_region_and_zone_the_beta_labels_first() {
        let region = "topology.kubernetes.io/region";
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[], ""),
            (&[(LABEL_ZONE, "a")], ":\0:a"),
            (&[(region, "r"), (LABEL_ZONE, "a")], "r:\0:a"),
            (&[(region, "r")], "r:\0:"),
            (
                &[
                    ("failure-domain.beta.kubernetes.io/zone", "old"),
                    ("failure-domain.beta.kubernetes.io/region", "r"),
                    (LABEL_ZONE, "new"),
                ],
                "r:\0:old",
            ),
        ];
        for (labels, want) in cases {
            assert_eq!(zone_key(&labelled(labels)), want, "{labels:?}");
        }
    }

    /// Upstream's `nodeTree`: zones round robin in the order they appeared; a node that
    /// changes zone leaves its old one (an emptied zone goes) and joins the end of the new.
    #[test]
    fn node_tree_follows_zone_changes_as_upstream() {
        let z = |zone: &str| labelled(&[(LABEL_ZONE, zone)]);
        let mut tree = NodeTree::default();
        for (i, zone) in ["z1", "z2", "z1", "z2"].into_iter().enumerate() {
            tree.add(i, &z(zone));
        }
        assert_eq!(tree.list(), [0, 1, 2, 3]);
        // (node, from, to, the list after)
        let steps: [(usize, &str, &str, &[usize]); 4] = [
            (0, "z1", "z1", &[0, 1, 2, 3]),
            (0, "z1", "z3", &[2, 1, 0, 3]),
            (2, "z1", "z2", &[1, 0, 3, 2]),
            (1, "z2", "z3", &[3, 0, 2, 1]),
        ];
        for (node, from, to, want) in steps {
            assert_eq!(tree.update(node, &z(from), &z(to)), from != to);
            assert_eq!(tree.list(), want, "node {node} {from} -> {to}");
        }
    }

    #[test]
    fn set_node_refreshes_what_is_read_from_the_node_and_keeps_the_pods() {
        let mut info = NodeInfo::new(NodeId(0), Arc::new(labelled(&[])));
        info.set_used(500, 1 << 20, 3);
        let mut n = labelled(&[]);
        n.allocatable = Resources {
            cpu_m: 4000,
            memory: 8 << 30,
            pods: 20,
            ..Resources::default()
        };
        n.unschedulable = true;
        n.taints = ["a", "b"]
            .map(|k| Taint {
                key: k.into(),
                value: String::new(),
                effect: TaintEffect::PreferNoSchedule,
                time_added: None,
            })
            .to_vec();
        info.set_node(Arc::new(n.clone()));
        let mut want = NodeInfo::new(NodeId(0), Arc::new(n));
        want.set_used(500, 1 << 20, 3);
        assert_eq!(
            (info.hot, info.score, &info.allocatable),
            (want.hot, want.score, &want.allocatable)
        );
        assert_eq!(info.hot.prefer_no_schedule_taints, 2);
        assert_eq!(info.hot.pod_count, 3);
    }
}
