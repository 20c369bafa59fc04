//! What the node lifecycle controller does with the conditions a running kubelet reports:
//! the NoSchedule taints of `TaintNodesByCondition` (`doNoScheduleTaintingPass`, at once on
//! each node update) and, for `Ready=False`, the `not-ready` NoExecute taint through the
//! zone's queue with the pods marked not ready at the next monitor pass
//! (`monitorNodeHealth`, `processTaintBaseEviction`).

use super::{Ctx, NodeLifecycleController, NodeLifecycleEvent, has_no_execute, next_pass, ready};
use crate::api::TaintEffect;
use crate::api::node::{ConditionStatus, Node, NodeConditionType};
use crate::api::taint::{TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE};
use crate::store::NodeId;

/// The condition taints (`nodeConditionToTaintKeyStatusMap`): a condition in this status
/// puts on the NoSchedule taint of this key.
const CONDITION_TAINTS: [(NodeConditionType, ConditionStatus, &str); 5] = [
    (
        NodeConditionType::Ready,
        ConditionStatus::False,
        TAINT_NODE_NOT_READY,
    ),
    (
        NodeConditionType::Ready,
        ConditionStatus::Unknown,
        TAINT_NODE_UNREACHABLE,
    ),
    (
        NodeConditionType::MemoryPressure,
        ConditionStatus::True,
        "node.kubernetes.io/memory-pressure",
    ),
    (
        NodeConditionType::DiskPressure,
        ConditionStatus::True,
        "node.kubernetes.io/disk-pressure",
    ),
    (
        NodeConditionType::PidPressure,
        ConditionStatus::True,
        "node.kubernetes.io/pid-pressure",
    ),
];

/// The condition taints a node's conditions call for, and those they do not.
fn condition_taints(node: &Node) -> (Vec<&'static str>, Vec<&'static str>) {
    CONDITION_TAINTS
        .iter()
        .map(|&(kind, status, key)| (node.condition(kind) == Some(status), key))
        .fold(
            (Vec::new(), Vec::new()),
            |(mut on, mut off), (wanted, key)| {
                if wanted {
                    on.push(key)
                } else {
                    off.push(key)
                }
                (on, off)
            },
        )
}

impl NodeLifecycleController {
    /// A node's conditions changed: its condition taints follow them now; a kubelet
    /// reporting `Ready=False` is looked at in the next monitor pass.
    pub(super) fn conditions_changed(
        &mut self,
        node: NodeId,
        was: Option<ConditionStatus>,
        ctx: Ctx,
    ) {
        let (on, off) = condition_taints(ctx.store.node(node));
        let add: Vec<_> = on.iter().map(|&k| (k, TaintEffect::NoSchedule)).collect();
        let remove: Vec<_> = off.iter().map(|&k| (k, TaintEffect::NoSchedule)).collect();
        self.set_taints(node, &add, &remove, ctx);
        let now = ready(ctx.store.node(node));
        if now == Some(ConditionStatus::False) && was != now {
            ctx.at(next_pass(ctx.now()), NodeLifecycleEvent::NotReady(node));
        }
    }

    /// The monitor pass after a kubelet reported `Ready=False`: the `not-ready` NoExecute
    /// taint (swapped for an `unreachable` one at once, else through the zone's queue). The
    /// kubelet recorded the node's NodeNotReady itself; the controller records one and marks
    /// the pods not ready only when it turns a `True` it reads to Unknown (`monitorNodeHealth`
    /// compares with the condition the API holds, here already `False`).
    pub(super) fn mark_not_ready(&mut self, node: NodeId, ctx: Ctx) {
        if ready(ctx.store.node(node)) != Some(ConditionStatus::False)
            || self.watched(node).not_ready
        {
            return;
        }
        self.watched(node).not_ready = true;
        let n = ctx.store.node(node);
        if has_no_execute(n, TAINT_NODE_UNREACHABLE) {
            let add = [(TAINT_NODE_NOT_READY, TaintEffect::NoExecute)];
            let remove = [(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute)];
            return self.set_taints(node, &add, &remove, ctx);
        }
        if !has_no_execute(n, TAINT_NODE_NOT_READY) {
            let z = self.zone(super::zones::ZoneKey::of(n));
            let queue = &mut self.zones[z].queue;
            if !queue.contains(&node) {
                queue.push_back(node);
            }
        }
        self.end_pass(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::NodeCondition;

    #[test]
    fn conditions_call_for_their_taints() {
        let mut n = crate::api::testing::node("n", 1000, 1 << 30, 110);
        n.conditions = vec![
            NodeCondition {
                kind: NodeConditionType::Ready,
                status: ConditionStatus::False,
            },
            NodeCondition {
                kind: NodeConditionType::MemoryPressure,
                status: ConditionStatus::True,
            },
        ];
        let (on, off) = condition_taints(&n);
        assert_eq!(
            on,
            [TAINT_NODE_NOT_READY, "node.kubernetes.io/memory-pressure"]
        );
        assert_eq!(off.len(), 3);
        assert!(off.contains(&TAINT_NODE_UNREACHABLE));
    }
}
