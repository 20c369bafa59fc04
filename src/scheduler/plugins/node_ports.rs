//! NodePorts: a pod's host ports must be free on the node
//! (`pkg/scheduler/framework/plugins/nodeports/node_ports.go`; the conflict rule is
//! `HostPortInfo.CheckConflict` in `pkg/scheduler/framework/types.go`).

use super::names;
use crate::api::pod::{BIND_ALL_HOST_IP, HostPort, Pod};
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, FilterPlugin, Plugin, PreFilterPlugin, PreFilterResult, Status, filter_where,
};

/// Reason when a wanted host port is taken.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// The plugin. The wanted ports are the pod's own (`PodSpec::host_ports`), so no state is kept.
#[derive(Debug, Default)]
pub struct NodePorts;

impl Plugin for NodePorts {
    fn name(&self) -> &str {
        names::NODE_PORTS
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/nodeports/node_ports.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::PreFilter, ExtensionPoint::Filter])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::ASSIGNED_POD_DELETE.or(ClusterEvents::NODE_ADD)
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

/// Whether `want` collides with a port in use: same protocol and port, and either side binds
/// every address (`0.0.0.0`) or both bind the same one.
pub fn conflicts(used: &[HostPort], want: &HostPort) -> bool {
    used.iter().any(|u| {
        u.port == want.port
            && u.protocol == want.protocol
            && (&*want.ip == BIND_ALL_HOST_IP || &*u.ip == BIND_ALL_HOST_IP || u.ip == want.ip)
    })
}

impl PreFilterPlugin for NodePorts {
    /// Skip for a pod without host ports: its Filter never runs.
    fn pre_filter(&mut self, pod: &Pod, _nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        if pod.spec.host_ports.is_empty() {
            (Status::skip(), None)
        } else {
            (Status::success(), None)
        }
    }
}

impl FilterPlugin for NodePorts {
    fn filter_nodes(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        failures: &mut Vec<(usize, Status)>,
    ) {
        if pod.spec.host_ports.is_empty() {
            return;
        }
        filter_where(self, pod, nodes, alive, failures, |n| {
            !n.used_ports.is_empty()
        });
    }

    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        let taken = pod
            .spec
            .host_ports
            .iter()
            .any(|p| conflicts(&node.used_ports, p));
        if taken {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::success()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Protocol;
    use crate::scheduler::plugins::testing::{node, pod};
    use std::sync::Arc;

    fn hp(ip: &str, protocol: Protocol, port: u16) -> HostPort {
        HostPort {
            ip: Arc::from(ip),
            protocol,
            port,
        }
    }

    fn with_ports(ports: Vec<HostPort>) -> Pod {
        let mut p = pod("p", 100, 0);
        Arc::make_mut(&mut p.spec).host_ports = ports;
        p
    }

    #[test]
    fn conflict_table() {
        use Protocol::{Tcp, Udp};
        let all = BIND_ALL_HOST_IP;
        // (used, wanted, conflict)
        let cases = [
            (hp(all, Tcp, 80), hp(all, Tcp, 80), true),
            (hp(all, Tcp, 80), hp("10.0.0.1", Tcp, 80), true),
            (hp("10.0.0.1", Tcp, 80), hp(all, Tcp, 80), true),
            (hp("10.0.0.1", Tcp, 80), hp("10.0.0.1", Tcp, 80), true),
            (hp("10.0.0.1", Tcp, 80), hp("10.0.0.2", Tcp, 80), false),
            (hp(all, Tcp, 80), hp(all, Udp, 80), false),
            (hp(all, Tcp, 80), hp(all, Tcp, 8080), false),
        ];
        for (used, want, expected) in cases {
            assert_eq!(
                conflicts(std::slice::from_ref(&used), &want),
                expected,
                "{used:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn prefilter_skips_pods_without_host_ports_and_filter_uses_the_node_cache() {
        let mut plugin = NodePorts;
        assert_eq!(
            plugin.pre_filter(&pod("p", 0, 0), NodeSet::new(&[], &[])).0,
            Status::skip()
        );
        let web = with_ports(vec![hp(BIND_ALL_HOST_IP, Protocol::Tcp, 8080)]);
        assert!(
            plugin
                .pre_filter(&web, NodeSet::new(&[], &[]))
                .0
                .is_success()
        );
        let mut n = node("n", 4000, 1 << 30);
        assert!(plugin.filter(&web, &n).is_success());
        n.add_pod(&web);
        assert_eq!(n.used_ports.len(), 1);
        assert_eq!(
            plugin.filter(&web, &n),
            Status::unschedulable("node(s) didn't have free ports for the requested pod ports")
        );
        n.remove_pod(&web);
        assert!(n.used_ports.is_empty());
        assert!(plugin.filter(&web, &n).is_success());
    }
}
