//! Nodes: joining, updates (`kubectl label`, `taint`, `cordon`, a kubelet reporting a new
//! allocatable), the images they report, and the pods bound to each.

use super::{Change, NodeId, NodeUpdate, PodId, Store};
use crate::api::node::{ConditionStatus, NodeCondition, NodeConditionType};
use crate::api::{ContainerImage, Labels, Node, Resources, Taint};
use crate::engine::SimTime;
use std::sync::Arc;

/// How often a kubelet renews its node's Lease: a quarter of the 40 s lease duration
/// (`pkg/kubelet/nodelease`, `nodeLeaseDurationSeconds`), 10 s.
pub const LEASE_RENEW_MS: i64 = 10_000;

/// A node's machine, as the faults leave it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Machine {
    /// When it last started (0 for a node that never stopped).
    up_since: SimTime,
    /// When it stopped (or lost the API server), while it is down.
    down_since: Option<SimTime>,
    /// Down by a network partition: the machine runs but cannot reach the API server.
    partitioned: bool,
}

impl Store {
    /// Adds a node.
    pub fn add_node(&mut self, mut node: Node) -> NodeId {
        self.assign_uid(&mut node);
        let id = self.nodes.insert(Arc::new(node));
        self.pods_on_node.push(Vec::new());
        self.requested_on_node.push((0, 0));
        self.machines.push(Machine::default());
        self.push(Change::NodeAdded(id));
        id
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Arc<Node> {
        self.nodes.get(id)
    }

    /// All nodes, in id order.
    pub fn nodes(&self) -> &[Arc<Node>] {
        self.nodes.all()
    }

    /// Looks a node up by name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.nodes.find("", name)
    }

    /// Applies `edit` to a node and records what it changed, with the node as it was
    /// before. Nothing is recorded when nothing changed.
    fn update_node(&mut self, id: NodeId, what: NodeUpdate, edit: impl FnOnce(&mut Node) -> bool) {
        let old = self.nodes.get(id).clone();
        let mut node = (*old).clone();
        if !edit(&mut node) {
            return;
        }
        *self.nodes.get_mut(id) = Arc::new(node);
        self.push(Change::NodeUpdated {
            node: id,
            old,
            what,
        });
    }

    /// Replaces a node's labels (`kubectl label node`).
    pub fn set_node_labels(&mut self, id: NodeId, labels: Labels) {
        self.update_node(id, NodeUpdate::LABELS, |n| {
            let changed = *n.meta.labels != labels;
            n.meta.labels = Arc::new(labels);
            changed
        });
    }

    /// Replaces a node's annotations (`kubectl annotate node`).
    pub fn set_node_annotations(
        &mut self,
        id: NodeId,
        annotations: std::collections::BTreeMap<String, String>,
    ) {
        self.update_node(id, NodeUpdate::ANNOTATIONS, |n| {
            let changed = *n.meta.annotations != annotations;
            n.meta.annotations = Arc::new(annotations);
            changed
        });
    }

    /// Replaces a node's taints (`kubectl taint node`, the node lifecycle controller).
    pub fn set_node_taints(&mut self, id: NodeId, taints: Vec<Taint>) {
        self.update_node(id, NodeUpdate::TAINTS, |n| {
            let changed = n.taints != taints;
            n.taints = taints;
            changed
        });
    }

    /// Sets `spec.unschedulable` (`kubectl cordon` / `uncordon`).
    pub fn set_unschedulable(&mut self, id: NodeId, unschedulable: bool) {
        self.update_node(id, NodeUpdate::UNSCHEDULABLE, |n| {
            let changed = n.unschedulable != unschedulable;
            n.unschedulable = unschedulable;
            changed
        });
    }

    /// Sets a node's allocatable (the kubelet reporting a new `status.allocatable`).
    pub fn set_node_allocatable(&mut self, id: NodeId, allocatable: Resources) {
        self.update_node(id, NodeUpdate::ALLOCATABLE, |n| {
            let changed = n.allocatable != allocatable;
            n.allocatable = allocatable;
            changed
        });
    }

    /// Sets the status of one of a node's `status.conditions` (the kubelet reporting, or the
    /// node lifecycle controller marking `Ready` Unknown); a condition the node did not report
    /// is added.
    pub fn set_node_condition(
        &mut self,
        id: NodeId,
        kind: NodeConditionType,
        status: ConditionStatus,
    ) {
        self.update_node(id, NodeUpdate::CONDITIONS, |n| {
            match n.conditions.iter_mut().find(|c| c.kind == kind) {
                Some(c) if c.status == status => false,
                Some(c) => {
                    c.status = status;
                    true
                }
                None => {
                    n.conditions.push(NodeCondition { kind, status });
                    true
                }
            }
        });
    }

    /// Adds an image to a node's `status.images` (the kubelet reports a pull).
    pub fn add_node_image(&mut self, id: NodeId, image: ContainerImage) {
        let node = Arc::make_mut(self.nodes.get_mut(id));
        node.images.push(image);
        let index = u32::try_from(node.images.len() - 1).unwrap_or(u32::MAX);
        self.push(Change::NodeImageAdded { node: id, index });
    }

    /// A node's machine stops at `now` (a crash): its kubelet neither runs pods nor renews
    /// its Lease any more. Nothing happens if it is down already.
    pub fn crash_node(&mut self, id: NodeId, now: SimTime) {
        let m = &mut self.machines[id.0 as usize];
        if m.down_since.is_none() {
            m.down_since = Some(now);
            self.push(Change::NodeMachine {
                node: id,
                up: false,
            });
        }
    }

    /// A node loses the API server at `now` (a network partition): its Lease renewals stop
    /// as after a crash, but its containers keep running. Nothing happens if it is down.
    pub fn partition_node(&mut self, id: NodeId, now: SimTime) {
        let m = &mut self.machines[id.0 as usize];
        if m.down_since.is_none() {
            m.down_since = Some(now);
            m.partitioned = true;
            self.push(Change::NodeMachine {
                node: id,
                up: false,
            });
        }
    }

    /// Whether a node is down by a network partition (rather than stopped).
    pub fn node_partitioned(&self, id: NodeId) -> bool {
        self.machines[id.0 as usize].partitioned
    }

    /// A fault strikes a running machine or container: the kubelet acts on it.
    pub fn incident(&mut self, incident: super::Incident) {
        self.push(Change::Incident(incident));
    }

    /// A node's machine runs again, or rejoins the API server, from `now` (a repair, the end
    /// of a partition). Nothing happens if it is up.
    pub fn recover_node(&mut self, id: NodeId, now: SimTime) {
        let m = &mut self.machines[id.0 as usize];
        if m.down_since.take().is_some() {
            m.partitioned = false;
            m.up_since = now;
            self.push(Change::NodeMachine { node: id, up: true });
        }
    }

    /// When a node's machine stopped, if it is down.
    pub fn node_down_since(&self, id: NodeId) -> Option<SimTime> {
        self.machines[id.0 as usize].down_since
    }

    /// The kubelet's last heartbeat (Lease renewal) at or before `now`: `now` while the
    /// machine runs (heartbeats are not simulated one by one); for a machine that is down,
    /// the last renewal before it stopped, renewals coming every [`LEASE_RENEW_MS`] from
    /// when it last started.
    pub fn last_heartbeat(&self, id: NodeId, now: SimTime) -> SimTime {
        let m = &self.machines[id.0 as usize];
        match m.down_since {
            None => now,
            Some(down) => {
                let up = m.up_since.ms();
                SimTime(up + (down.ms() - up).div_euclid(LEASE_RENEW_MS) * LEASE_RENEW_MS)
            }
        }
    }

    /// Pods bound to a node and not yet terminal or deleted.
    pub fn pods_on_node(&self, id: NodeId) -> &[PodId] {
        &self.pods_on_node[id.0 as usize]
    }

    /// The summed cpu (millicores) and memory (bytes) requests of the pods on a node
    /// ([`Store::pods_on_node`]), kept as pods come and go.
    pub fn requested_on_node(&self, id: NodeId) -> (i64, i64) {
        self.requested_on_node[id.0 as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaintEffect;

    fn node(name: &str) -> Node {
        crate::api::testing::node(name, 0, 0, 0)
    }

    #[test]
    fn node_updates_carry_the_node_before_and_what_changed() {
        let mut s = Store::new();
        let id = s.add_node(node("n1"));
        s.set_unschedulable(id, false); // no change: nothing recorded
        s.set_unschedulable(id, true);
        let taint = Taint {
            key: "k".into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
            time_added: None,
        };
        s.set_node_taints(id, vec![taint.clone()]);
        let mut labels = Labels::new();
        labels.insert("disk".into(), "ssd".into());
        s.set_node_labels(id, labels.clone());
        s.set_node_condition(id, NodeConditionType::Ready, ConditionStatus::True); // as it was
        s.set_node_condition(id, NodeConditionType::Ready, ConditionStatus::Unknown);
        let mut changes = Vec::new();
        s.take_changes(&mut changes);
        assert_eq!(changes.len(), 5, "{changes:?}");
        assert_eq!(changes[0], Change::NodeAdded(id));
        let Change::NodeUpdated { old, what, .. } = &changes[1] else {
            panic!("{:?}", changes[1]);
        };
        assert_eq!(
            (*what, old.unschedulable),
            (NodeUpdate::UNSCHEDULABLE, false)
        );
        let Change::NodeUpdated { old, what, .. } = &changes[2] else {
            panic!("{:?}", changes[2]);
        };
        assert_eq!(*what, NodeUpdate::TAINTS);
        assert!(
            old.taints.is_empty() && old.unschedulable,
            "old is the state just before"
        );
        let Change::NodeUpdated { old, what, .. } = &changes[3] else {
            panic!("{:?}", changes[3]);
        };
        assert_eq!(*what, NodeUpdate::LABELS);
        assert!(old.meta.labels.is_empty());
        let Change::NodeUpdated { old, what, .. } = &changes[4] else {
            panic!("{:?}", changes[4]);
        };
        assert_eq!(*what, NodeUpdate::CONDITIONS);
        assert_eq!(
            old.condition(NodeConditionType::Ready),
            Some(ConditionStatus::True)
        );
        assert_eq!(
            s.node(id).condition(NodeConditionType::Ready),
            Some(ConditionStatus::Unknown)
        );
        let now = s.node(id);
        assert_eq!((&now.taints, &*now.meta.labels), (&vec![taint], &labels));
        assert!(now.meta.uid.is_set(), "the store assigned a uid");
    }
}
