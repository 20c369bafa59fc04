//! NodeName: a pod that names a node fits only that node
//! (`pkg/scheduler/framework/plugins/nodename/node_name.go`).

use super::names;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{ClusterEvents, FilterPlugin, Plugin, Status, filter_where};

/// Reason when the node is not the one named.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// The plugin. Pods created with `spec.nodeName` never reach the scheduler; this filter
/// matters for pods whose name was set by a nomination or a user edit.
#[derive(Debug, Default)]
pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &str {
        names::NODE_NAME
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/nodename/node_name.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::Filter])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for NodeName {
    fn filter_nodes(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        failures: &mut Vec<(usize, Status)>,
    ) {
        // Only a pod that names a node can fail.
        if pod.spec.node_name.is_some() {
            filter_where(self, pod, nodes, alive, failures, |_| true);
        }
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        match &pod.spec.node_name {
            Some(want) if want != node.name() => Status::unresolvable(ERR_REASON),
            _ => Status::success(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::{node, pod};
    use std::sync::Arc;

    #[test]
    fn filter_table() {
        let mut named = pod("p", 0, 0);
        Arc::make_mut(&mut named.spec).node_name = Some("n2".into());
        let p = NodeName;
        assert!(p.filter(&pod("q", 0, 0), &node("n1", 1, 1)).is_success());
        assert!(p.filter(&named, &node("n2", 1, 1)).is_success());
        assert_eq!(
            p.filter(&named, &node("n1", 1, 1)),
            Status::unresolvable(ERR_REASON)
        );
    }
}
