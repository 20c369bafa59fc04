//! How long the kubelet and the container runtime take, and how long kube-scheduler takes
//! (the Simulation's `spec.timings`): plain data the loader builds and the kubelet and the
//! scheduler read.

use crate::api::Distribution;

/// How long the runtime takes for things (`timings` in the Simulation).
#[derive(Clone, Debug, PartialEq)]
pub struct KubeletTimings {
    /// Container create + start.
    pub pod_startup: Distribution,
    /// Pulling an image that is not cached on the node.
    pub image_pull: Distribution,
    /// From an endpoint change to kube-proxy's rules following it.
    pub kube_proxy_sync: Distribution,
    /// The kubelet's `shutdownGracePeriod` (ms): how long a node shutting down waits for
    /// its pods. 0, upstream's default, turns graceful node shutdown off.
    pub shutdown_grace_period_ms: i64,
    /// `shutdownGracePeriodCriticalPods` (ms): the part of it kept for critical pods.
    pub shutdown_grace_period_critical_pods_ms: i64,
}

/// How long kube-scheduler takes (`schedulingCycle` and `binding` in the Simulation's
/// `timings`; both 0 by default: a cycle takes no simulated time).
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerTimings {
    /// One pod's scheduling cycle (PreFilter to Reserve). The scheduler runs one cycle at a
    /// time, so the next pod's cycle starts when this one ends.
    pub scheduling_cycle: Distribution,
    /// The binding cycle (PreBind to Bind), after the cycle has assumed the pod on its node:
    /// asynchronous, so the next cycle does not wait for it.
    pub binding: Distribution,
}

impl Default for SchedulerTimings {
    fn default() -> Self {
        SchedulerTimings {
            scheduling_cycle: Distribution::Constant(0),
            binding: Distribution::Constant(0),
        }
    }
}

impl Default for KubeletTimings {
    fn default() -> Self {
        KubeletTimings {
            pod_startup: Distribution::Constant(1_000),
            image_pull: Distribution::Constant(5_000),
            kube_proxy_sync: Distribution::Constant(1_000),
            shutdown_grace_period_ms: 0,
            shutdown_grace_period_critical_pods_ms: 0,
        }
    }
}
