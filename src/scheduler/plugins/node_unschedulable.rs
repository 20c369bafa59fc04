//! NodeUnschedulable: cordoned nodes take no new pods, unless the pod tolerates the
//! `node.kubernetes.io/unschedulable:NoSchedule` taint
//! (`pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`).

use super::names;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::api::taint::{Taint, TaintEffect, tolerated};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{ClusterEvents, FilterPlugin, Plugin, Status, filter_where};

/// Reason when a node is cordoned.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// The taint a cordoned node implies.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// The plugin.
#[derive(Debug, Default)]
pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &str {
        names::NODE_UNSCHEDULABLE
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::Filter])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD.or(ClusterEvents::NODE_TAINT)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn filter_nodes(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        failures: &mut Vec<(usize, Status)>,
    ) {
        if nodes.facts().unschedulable == 0 {
            return;
        }
        filter_where(self, pod, nodes, alive, failures, |n| n.hot.unschedulable);
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        if !node.hot.unschedulable {
            return Status::success();
        }
        let taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.to_string(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
            time_added: None,
        };
        if tolerated(&pod.spec.tolerations, &taint) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::taint::{Toleration, TolerationOperator};
    use crate::scheduler::plugins::testing::{node, pod};

    #[test]
    fn filter_table() {
        let mut cordoned = node("n1", 4000, 1 << 30);
        cordoned.node = std::sync::Arc::new({
            let mut n = (*cordoned.node).clone();
            n.unschedulable = true;
            n
        });
        cordoned.hot.unschedulable = true;
        let plain = pod("p", 100, 0);
        let mut tolerant = pod("t", 100, 0);
        std::sync::Arc::make_mut(&mut tolerant.spec)
            .tolerations
            .push(Toleration {
                key: TAINT_NODE_UNSCHEDULABLE.into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoSchedule),
                toleration_seconds: None,
            });
        let p = NodeUnschedulable;
        assert!(p.filter(&plain, &node("ok", 4000, 1 << 30)).is_success());
        assert_eq!(
            p.filter(&plain, &cordoned),
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        );
        assert!(p.filter(&tolerant, &cordoned).is_success());
    }
}
