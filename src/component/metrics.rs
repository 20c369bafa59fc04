//! What components export on their `/metrics` endpoints, read by the observers when they
//! sample (never by other components).

/// Counters and gauges of the components, summed over the components that export each one.
/// The upstream metric each stands for is named beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ComponentMetrics {
    /// Pods in the scheduler's activeQ (`scheduler_pending_pods{queue="active"}`).
    pub scheduler_active: u64,
    /// Pods in its backoffQ (`scheduler_pending_pods{queue="backoff"}`).
    pub scheduler_backoff: u64,
    /// Pods in its unschedulable pool (`scheduler_pending_pods{queue="unschedulable"}`).
    pub scheduler_unschedulable: u64,
    /// Scheduling cycles run (`scheduler_schedule_attempts_total`).
    pub schedule_attempts: u64,
    /// Pods the scheduler deleted as preemption victims (`scheduler_preemption_victims`,
    /// summed).
    pub preemption_victims: u64,
    /// Images pulled by the kubelets (`kubelet_image_pull_duration_seconds_count`).
    pub image_pulls: u64,
    /// Arrivals (stream objects and trace rows) not yet created.
    pub arrivals_remaining: u64,
}
