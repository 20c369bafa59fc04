//! PrioritySort: higher `spec.priority` first, then the earlier queue timestamp
//! (`pkg/scheduler/framework/plugins/queuesort/priority_sort.go`).

use super::names;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::framework::{Plugin, QueueSortPlugin};
use crate::scheduler::queue::QueuedPodInfo;

/// The default queue sort.
#[derive(Debug, Default)]
pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &str {
        names::PRIORITY_SORT
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/queuesort/priority_sort.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::QueueSort])
    }
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        Some(self)
    }
}

impl QueueSortPlugin for PrioritySort {
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        a.priority > b.priority || (a.priority == b.priority && a.timestamp < b.timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::scheduler::framework::ClusterEvents;
    use crate::store::PodId;

    fn info(priority: i32, t: i64) -> QueuedPodInfo {
        QueuedPodInfo {
            pod: PodId(0),
            priority,
            timestamp: SimTime(t),
            initial_timestamp: SimTime(t),
            attempts: 0,
            last_failure: SimTime(t),
            requeue_on: ClusterEvents::NONE,
            seq: 0,
            group: None,
        }
    }

    #[test]
    fn ordering_table() {
        let p = PrioritySort;
        let cases = [
            ("higher priority first", info(10, 9), info(0, 1), true),
            ("lower priority later", info(0, 1), info(10, 9), false),
            (
                "same priority earlier time first",
                info(5, 1),
                info(5, 2),
                true,
            ),
            ("equal is not less", info(5, 1), info(5, 1), false),
        ];
        for (name, a, b, want) in cases {
            assert_eq!(p.less(&a, &b), want, "{name}");
        }
    }
}
