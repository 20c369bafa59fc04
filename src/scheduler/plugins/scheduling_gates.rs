//! SchedulingGates: a pod with `spec.schedulingGates` does not enter the scheduling queue
//! until its gates are removed (`pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go`).

use super::names;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::framework::{Plugin, PreEnqueuePlugin, Status};

/// The plugin.
#[derive(Debug, Default)]
pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &str {
        names::SCHEDULING_GATES
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::PreEnqueue])
    }
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        Some(self)
    }
}

impl PreEnqueuePlugin for SchedulingGates {
    /// UnschedulableAndUnresolvable while gates remain, naming them as Go prints a string
    /// slice: `waiting for scheduling gates: [a b]`.
    fn pre_enqueue(&self, pod: &Pod) -> Status {
        let gates = &pod.spec.scheduling_gates;
        if gates.is_empty() {
            return Status::success();
        }
        Status::unresolvable(format!(
            "waiting for scheduling gates: [{}]",
            gates.join(" ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::pod;

    #[test]
    fn gated_pods_wait_with_the_gate_names() {
        let mut p = pod("p", 0, 0);
        assert!(SchedulingGates.pre_enqueue(&p).is_success());
        std::sync::Arc::make_mut(&mut p.spec).scheduling_gates =
            vec!["example.com/quota".into(), "b".into()];
        assert_eq!(
            SchedulingGates.pre_enqueue(&p),
            Status::unresolvable("waiting for scheduling gates: [example.com/quota b]")
        );
    }
}
