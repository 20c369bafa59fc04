//! Job: run pods until a number of them succeed (`pkg/controller/job/job_controller.go`).

use super::meta::ObjectMeta;
use super::pod::PodSpec;
use std::sync::Arc;

/// Label the API server adds to a Job's pod template (unless `manualSelector`), and so to
/// its pods (`pkg/registry/batch/job/strategy.go`).
pub const LABEL_JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// The older spelling of the same label, still set upstream.
pub const LABEL_JOB_NAME_LEGACY: &str = "job-name";
/// Label with the Job's uid, added with [`LABEL_JOB_NAME`].
pub const LABEL_CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
/// The older spelling of the same label.
pub const LABEL_CONTROLLER_UID_LEGACY: &str = "controller-uid";

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
