//! Observers: the event log, the metric sampler, the pod ledger and the run statistics
//! (`kubectl get events`, a metrics pipeline and a pod ledger, in Kubernetes terms). They read
//! the store, the store's changes, the recorder and the components' exported metrics; they
//! never change the simulation. [`Sink`] is where their records go; `output/` implements it
//! and reads nothing but what this module hands it.

mod autoscaling;
pub mod comparison;
mod disruption;
pub mod estimate;
mod fault_cost;
pub mod fragmentation;
mod ledger;
mod rollouts;
mod sampler;
pub mod snapshot;
mod stats;
mod tally;
mod workloads;

pub use crate::component::{
    AttemptRecord, FilterVerdict, HpaMetricRecord, HpaPodCounts, HpaRecord, NodeScores,
    PreemptionRecord,
};
pub use crate::store::admission::QuotaState;
pub use crate::store::autoscalers::Autoscaler;
pub use crate::store::{
    Condition, ConditionStatus, DaemonSet, Deployment, Job, PersistentVolume,
    PersistentVolumeClaim, ReplicaSet, StatefulSet,
};
pub use autoscaling::{
    AutoscalingSeries, FlowTotals, HpaSummary, HpaTotals, hpa_summaries, metric_name,
};
pub use disruption::{PdbLog, PdbSeries, PdbSummary};
pub use fault_cost::{FaultCost, FaultCostSummary, FaultRecovery, Replicas, WorkloadAvailability};
pub use fragmentation::FreeHistory;
pub use ledger::{PodRow, pod_rows};
pub use rollouts::{ConditionChange, DeploymentHistory, Rollout, RolloutLog, WorkloadSummary};
pub use sampler::{ClusterState, PoolState, Resources, Sampler};
pub use stats::{Percentiles, Summary, SummaryInput, percentiles};
pub use tally::PodTally;
pub use workloads::WorkloadSeries;

use crate::api::event::Event;
use crate::engine::SimTime;
use std::sync::Arc;

/// One row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSample {
    /// Sample time.
    pub time: SimTime,
    /// Series name.
    pub metric: &'static str,
    /// `cluster`, or `kind/name` of the object measured.
    pub object: Arc<str>,
    /// Value.
    pub value: f64,
}

/// Where the run's records go (the output layer implements it).
pub trait Sink {
    /// A Kubernetes Event.
    fn event(&mut self, event: &Event) -> std::io::Result<()>;
    /// A metric row.
    fn metric(&mut self, sample: &MetricSample) -> std::io::Result<()>;
    /// A scheduling attempt (only when explaining).
    fn attempt(&mut self, record: &AttemptRecord) -> std::io::Result<()>;
    /// An HPA sync (written only when explaining).
    fn hpa_sync(&mut self, _record: &HpaRecord) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that drops everything (for benchmarks and tests of the model alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn event(&mut self, _: &Event) -> std::io::Result<()> {
        Ok(())
    }
    fn metric(&mut self, _: &MetricSample) -> std::io::Result<()> {
        Ok(())
    }
    fn attempt(&mut self, _: &AttemptRecord) -> std::io::Result<()> {
        Ok(())
    }
}
