//! The Job controller: keeps `parallelism` pods running until `completions` succeed, replaces
//! failed pods after a back-off, and fails the Job past `backoffLimit`
//! (`pkg/controller/job/job_controller.go`, `pkg/controller/job/backoff_utils.go`).

use crate::api::event::EventType;
use crate::api::meta::{ObjectMeta, OwnerReference, Uid};
use crate::api::pod::{Phase, Pod, PodStatus};
use crate::engine::{Outbox, SimRng, SimTime};
use crate::store::{Change, JobId, PodId, Store};
use rand::RngExt;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Label the Job controller puts on its pods.
pub const LABEL_JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// The older spelling of the same label, still set upstream.
pub const LABEL_JOB_NAME_LEGACY: &str = "job-name";
/// Replacement back-off base.
pub const BACKOFF_BASE_MS: i64 = 10_000;
/// Replacement back-off cap.
pub const BACKOFF_MAX_MS: i64 = 600_000;

/// The Job controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEvent {
    /// Reconcile a Job.
    Sync(JobId),
}

/// The controller.
pub struct JobController {
    rng: SimRng,
    pods_of: BTreeMap<PodId, JobId>,
    pod_labels: BTreeMap<JobId, Arc<crate::api::Labels>>,
    last_failure: BTreeMap<JobId, SimTime>,
}

impl JobController {
    /// A controller naming pods from `rng`.
    pub fn new(rng: SimRng) -> Self {
        JobController {
            rng,
            pods_of: BTreeMap::new(),
            pod_labels: BTreeMap::new(),
            last_failure: BTreeMap::new(),
        }
    }

    /// Reacts to store changes: new Jobs, and pods of Jobs that finished or were deleted.
    pub fn on_change(&mut self, change: Change, store: &mut Store, out: &mut Outbox<JobEvent>) {
        let now = out.now();
        match change {
            Change::JobCreated(job) => self.sync(job, store, out),
            Change::PodPhase(pod, phase) if phase.is_terminal() => {
                let Some(&job) = self.pods_of.get(&pod) else {
                    return;
                };
                let st = store.job_status_mut(job);
                st.active = st.active.saturating_sub(1);
                if phase == Phase::Succeeded {
                    st.succeeded += 1;
                    st.failures_since_success = 0;
                } else {
                    st.failed += 1;
                    st.failures_since_success += 1;
                    self.last_failure.insert(job, now);
                }
                self.pods_of.remove(&pod);
                self.sync(job, store, out);
            }
            Change::PodDeleted(pod) => {
                if let Some(job) = self.pods_of.remove(&pod) {
                    let st = store.job_status_mut(job);
                    st.active = st.active.saturating_sub(1);
                    self.sync(job, store, out);
                }
            }
            _ => {}
        }
    }

    /// Handles the controller's own events.
    pub fn handle(&mut self, event: JobEvent, store: &mut Store, out: &mut Outbox<JobEvent>) {
        match event {
            JobEvent::Sync(job) => self.sync(job, store, out),
        }
    }

    fn sync(&mut self, job: JobId, store: &mut Store, out: &mut Outbox<JobEvent>) {
        let now = out.now();
        let j = store.job(job);
        if j.status.finished.is_some() {
            return;
        }
        let object = format!("Job/{}/{}", j.meta.namespace, j.meta.name);
        let spec = j.spec.clone();
        let st = j.status.clone();
        if st.failed > spec.backoff_limit {
            self.finish(
                job,
                store,
                now,
                "Failed",
                EventType::Warning,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                &object,
            );
            return;
        }
        if let Some(limit) = spec.active_deadline_ms
            && now - st.start >= limit
        {
            self.finish(
                job,
                store,
                now,
                "Failed",
                EventType::Warning,
                "DeadlineExceeded",
                "Job was active longer than specified deadline",
                &object,
            );
            return;
        }
        let complete = match spec.completions {
            Some(c) => st.succeeded >= c,
            None => st.succeeded >= 1 && st.active == 0,
        };
        if complete {
            self.finish(
                job,
                store,
                now,
                "Complete",
                EventType::Normal,
                "Completed",
                "Job completed",
                &object,
            );
            return;
        }
        let wanted = match spec.completions {
            Some(c) => spec.parallelism.min(c - st.succeeded),
            None if st.succeeded >= 1 => 0,
            None => spec.parallelism,
        };
        if st.active >= wanted {
            return;
        }
        // Replacements for failed pods wait 10 s * 2^(f-1), capped at 10 minutes.
        if st.failures_since_success > 0
            && let Some(&last) = self.last_failure.get(&job)
        {
            let shift = (st.failures_since_success - 1).min(16);
            let delay = (BACKOFF_BASE_MS << shift).min(BACKOFF_MAX_MS);
            if now < last + delay {
                out.at(last + delay, JobEvent::Sync(job));
                return;
            }
        }
        for _ in st.active..wanted {
            self.create_pod(job, store, now, &object);
        }
        if let Some(limit) = spec.active_deadline_ms {
            out.at(st.start + limit, JobEvent::Sync(job));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        job: JobId,
        store: &mut Store,
        now: SimTime,
        condition: &'static str,
        kind: EventType,
        reason: &'static str,
        message: &str,
        object: &str,
    ) {
        let st = store.job_status_mut(job);
        st.finished = Some(now);
        st.condition = Some(condition);
        store.record(now, kind, reason, object.to_string(), message.to_string());
        if condition == "Failed" {
            let active: Vec<PodId> = self
                .pods_of
                .iter()
                .filter(|(_, j)| **j == job)
                .map(|(p, _)| *p)
                .collect();
            for p in active {
                self.pods_of.remove(&p);
                store.delete_pod(p, now);
            }
        }
        self.pod_labels.remove(&job);
    }

    fn create_pod(&mut self, job: JobId, store: &mut Store, now: SimTime, object: &str) {
        let j = store.job(job);
        let labels = self
            .pod_labels
            .entry(job)
            .or_insert_with(|| {
                let mut l = (*j.spec.template_meta.labels).clone();
                l.insert(LABEL_JOB_NAME.to_string(), j.meta.name.clone());
                l.insert(LABEL_JOB_NAME_LEGACY.to_string(), j.meta.name.clone());
                Arc::new(l)
            })
            .clone();
        let namespace = j.meta.namespace.clone();
        let mut name;
        loop {
            name = format!("{}-{}", j.meta.name, random_suffix(&mut self.rng));
            if !store.pod_exists(&namespace, &name) {
                break;
            }
        }
        let pod = Pod {
            meta: ObjectMeta {
                name: name.clone(),
                namespace,
                labels,
                annotations: j.spec.template_meta.annotations.clone(),
                uid: Uid::Unset,
                owner_references: Arc::from([OwnerReference {
                    api_version: "batch/v1".into(),
                    kind: "Job".into(),
                    name: j.meta.name.as_str().into(),
                    uid: j.meta.uid.clone(),
                    controller: true,
                    block_owner_deletion: true,
                }]),
            },
            spec: j.spec.template.clone(),
            status: PodStatus {
                created: now,
                ..Default::default()
            },
        };
        let id = store.create_pod(pod);
        self.pods_of.insert(id, job);
        let st = store.job_status_mut(job);
        st.active += 1;
        st.created += 1;
        store.record(
            now,
            EventType::Normal,
            "SuccessfulCreate",
            object.to_string(),
            format!("Created pod: {name}"),
        );
    }
}

/// Five characters from the alphabet upstream's `generateName` uses.
pub fn random_suffix(rng: &mut SimRng) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
