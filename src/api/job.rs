//! Job: run pods until a number of them succeed (`pkg/controller/job/job_controller.go`).

use super::meta::ObjectMeta;
use super::pod::PodSpec;
use std::sync::Arc;

/// The parts of a Job spec the simulator acts on.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// Pods running at once (default 1).
    pub parallelism: u32,
    /// Successful pods needed. `None` is upstream's work-queue mode: the Job is complete once
    /// one pod has succeeded and none is still active.
    pub completions: Option<u32>,
    /// Failed pods tolerated before the Job fails (default 6).
    pub backoff_limit: u32,
    /// Wall limit for the whole Job, ms.
    pub active_deadline_ms: Option<i64>,
    /// Metadata stamped on each pod.
    pub template_meta: ObjectMeta,
    /// Spec of each pod.
    pub template: Arc<PodSpec>,
}
