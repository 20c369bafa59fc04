//! The Job controller: keeps `parallelism` pods running until `completions` succeed, replaces
//! failed pods after a back-off, and fails the Job past `backoffLimit`
//! (`pkg/controller/job/job_controller.go`, `pkg/controller/job/backoff_utils.go`).
//!
//! A Job's pods are the pods whose controller reference carries the Job's uid (the store's
//! index of pods by controller).

use super::pod_control::generate_name;
use crate::api::Labels;
use crate::api::event::EventType;
use crate::api::meta::{ObjectMeta, OwnerReference, Uid};
use crate::api::pod::{Phase, Pod, PodStatus};
use crate::component::{Component, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, JobId, JobStatus, PodId, Watch};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::job::{COMPLETION_INDEX, pod_generate_name};
pub use crate::api::job::{LABEL_JOB_NAME, LABEL_JOB_NAME_LEGACY};
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

/// What every pod of one Job shares: its labels and its owner reference.
struct PodTemplate {
    labels: Arc<Labels>,
    owners: Arc<[OwnerReference]>,
}

/// How a Job ends: its condition and the Event that says so.
struct Outcome {
    condition: &'static str,
    kind: EventType,
    reason: &'static str,
    message: &'static str,
}

const COMPLETE: Outcome = Outcome {
    condition: "Complete",
    kind: EventType::Normal,
    reason: "Completed",
    message: "Job completed",
};
const BACKOFF_LIMIT_EXCEEDED: Outcome = Outcome {
    condition: "Failed",
    kind: EventType::Warning,
    reason: "BackoffLimitExceeded",
    message: "Job has reached the specified backoff limit",
};
const DEADLINE_EXCEEDED: Outcome = Outcome {
    condition: "Failed",
    kind: EventType::Warning,
    reason: "DeadlineExceeded",
    message: "Job was active longer than specified deadline",
};

/// The controller.
#[derive(Default)]
pub struct JobController {
    templates: BTreeMap<JobId, PodTemplate>,
    last_failure: BTreeMap<JobId, SimTime>,
    /// Retry delays after refused creates.
    retries: super::pod_control::RetryBackoff<JobId>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, JobEvent>;

impl Component for JobController {
    type Event = JobEvent;

    fn name(&self) -> &str {
        "controllers/job"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::JobCreated,
            ChangeKind::PodPhase,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    /// New Jobs, and pods of Jobs that finished, or were deleted before they finished.
    ///
    /// A pod deleted before it succeeded counts as failed as soon as its deletion starts
    /// (upstream's `isPodFailed`, `pkg/controller/job/job_controller.go`, for a Job without
    /// `podFailurePolicy`, whose `podReplacementPolicy` is then `TerminatingOrFailed`): its
    /// replacement comes after the failure back-off, without waiting for the grace period.
    /// Its later end is not counted again.
    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        let now = ctx.now();
        match *change {
            Change::JobCreated(job) => self.sync(job, ctx),
            Change::PodTerminating(pod) => self.deletion_started(pod, ctx),
            Change::PodDeleted(pod) if ctx.store.pod(pod).status.terminating.is_none() => {
                self.deletion_started(pod, ctx)
            }
            Change::PodPhase { pod, to, .. }
                if to.is_terminal() && ctx.store.pod(pod).status.terminating.is_some() => {}
            Change::PodPhase { pod, to, .. } if to.is_terminal() => {
                let Some(job) = job_of(pod, ctx) else {
                    return;
                };
                let index = completion_index(ctx.store.pod(pod));
                ctx.store.update_job_status(job, |st| {
                    st.active = st.active.saturating_sub(1);
                    if to == Phase::Succeeded {
                        // An Indexed Job counts each index once.
                        match index {
                            Some(i) => {
                                st.completed_indexes.insert(i);
                                st.succeeded = st.completed_indexes.len();
                            }
                            None => st.succeeded += 1,
                        }
                        st.failures_since_success = 0;
                    } else {
                        st.failed += 1;
                        st.failures_since_success += 1;
                    }
                });
                if to == Phase::Failed {
                    self.last_failure.insert(job, now);
                }
                self.sync(job, ctx);
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: JobEvent, ctx: Ctx) {
        match event {
            JobEvent::Sync(job) => self.sync(job, ctx),
        }
    }
}

/// The completion index of an Indexed Job's pod (its annotation).
fn completion_index(pod: &Pod) -> Option<u32> {
    pod.meta.annotations.get(COMPLETION_INDEX)?.parse().ok()
}

/// The Job controlling a pod, if any.
fn job_of(pod: PodId, ctx: Ctx) -> Option<JobId> {
    let owner = ctx.store.pod(pod).meta.controller()?;
    if &*owner.kind != "Job" {
        return None;
    }
    ctx.store.job_by_uid(&owner.uid)
}

impl JobController {
    /// A Job's pod that had not finished is being deleted: a failure.
    fn deletion_started(&mut self, pod: PodId, ctx: Ctx) {
        if ctx.store.pod(pod).phase().is_terminal() {
            return;
        }
        let Some(job) = job_of(pod, ctx) else {
            return;
        };
        if ctx.store.job(job).status.finished.is_some() {
            // The Job's own clean-up of its active pods.
            ctx.store
                .update_job_status(job, |st| st.active = st.active.saturating_sub(1));
            return;
        }
        ctx.store.update_job_status(job, |st| {
            st.active = st.active.saturating_sub(1);
            st.failed += 1;
            st.failures_since_success += 1;
        });
        self.last_failure.insert(job, ctx.now());
        self.sync(job, ctx);
    }

    fn sync(&mut self, job: JobId, ctx: Ctx) {
        let now = ctx.now();
        let j = ctx.store.job(job);
        if j.status.finished.is_some() {
            return;
        }
        let spec = j.spec.clone();
        let st = j.status.clone();
        if st.failed > spec.backoff_limit {
            return self.finish(job, ctx, &BACKOFF_LIMIT_EXCEEDED);
        }
        if let Some(limit) = spec.active_deadline_ms
            && now - st.start >= limit
        {
            return self.finish(job, ctx, &DEADLINE_EXCEEDED);
        }
        let complete = match spec.completions {
            Some(c) => st.succeeded >= c,
            None => st.succeeded >= 1 && st.active == 0,
        };
        if complete {
            return self.finish(job, ctx, &COMPLETE);
        }
        let wanted = match spec.completions {
            Some(c) => spec.parallelism.min(c - st.succeeded),
            None if st.succeeded >= 1 => 0,
            None => spec.parallelism,
        };
        if st.active >= wanted {
            return;
        }
        if let Some(until) = self.backing_off(job, &st, now) {
            ctx.at(until, JobEvent::Sync(job));
            return;
        }
        if spec.indexed {
            // The lowest indexes neither succeeded nor running (`firstPendingIndexes`): a
            // failed pod's replacement gets its index.
            let uid = ctx.store.job(job).meta.uid.clone();
            let running: std::collections::BTreeSet<u32> = (ctx.store.pods_of_controller(&uid))
                .iter()
                .filter(|&&p| {
                    let p = ctx.store.pod(p);
                    // A pod being deleted no longer holds its index (upstream's active
                    // pods are those not terminating).
                    !p.phase().is_terminal()
                        && p.status.deleted.is_none()
                        && p.status.terminating.is_none()
                })
                .filter_map(|&p| completion_index(ctx.store.pod(p)))
                .collect();
            let pending: Vec<u32> = (0..spec.completions.unwrap_or(0))
                .filter(|i| !st.completed_indexes.contains(*i) && !running.contains(i))
                .take((wanted - st.active) as usize)
                .collect();
            for i in pending {
                if self.create_pod(job, Some(i), ctx).is_err() {
                    break;
                }
            }
        } else {
            for _ in st.active..wanted {
                if self.create_pod(job, None, ctx).is_err() {
                    break;
                }
            }
        }
        if let Some(limit) = spec.active_deadline_ms {
            ctx.at(st.start + limit, JobEvent::Sync(job));
        }
    }

    /// Replacements for failed pods wait 10 s * 2^(f-1), capped at 10 minutes: the end of
    /// the wait, while it lasts.
    fn backing_off(&self, job: JobId, st: &JobStatus, now: SimTime) -> Option<SimTime> {
        if st.failures_since_success == 0 {
            return None;
        }
        let last = *self.last_failure.get(&job)?;
        let shift = (st.failures_since_success - 1).min(16);
        let delay = (BACKOFF_BASE_MS << shift).min(BACKOFF_MAX_MS);
        (now < last + delay).then_some(last + delay)
    }

    fn finish(&mut self, job: JobId, ctx: Ctx, outcome: &Outcome) {
        let now = ctx.now();
        ctx.store.update_job_status(job, |st| {
            st.finished = Some(now);
            st.condition = Some(outcome.condition);
        });
        let j = ctx.store.job(job);
        let (object, uid) = (j.object(), j.meta.uid.clone());
        ctx.record(
            outcome.kind,
            outcome.reason,
            object,
            outcome.message.to_string(),
        );
        if outcome.condition == "Failed" {
            let active: Vec<PodId> = ctx
                .store
                .pods_of_controller(&uid)
                .iter()
                .copied()
                .filter(|&p| !ctx.store.pod(p).phase().is_terminal())
                .collect();
            for p in active {
                ctx.store.delete_pod(p, now);
            }
        }
        self.templates.remove(&job);
    }

    /// A pod for the Job; an Indexed Job's carries its index in its name, a label and an
    /// annotation (`pkg/controller/job/indexed_job_utils.go`).
    /// A refused create (a quota) is a `FailedCreate` Event and a retry after the work
    /// queue's back-off.
    fn create_pod(&mut self, job: JobId, index: Option<u32>, ctx: Ctx) -> Result<(), ()> {
        let now = ctx.now();
        let j = ctx.store.job(job);
        let template = self.templates.entry(job).or_insert_with(|| {
            let mut labels = (*j.spec.template_meta.labels).clone();
            labels.insert(LABEL_JOB_NAME.to_string(), j.meta.name.clone());
            labels.insert(LABEL_JOB_NAME_LEGACY.to_string(), j.meta.name.clone());
            PodTemplate {
                labels: Arc::new(labels),
                owners: Arc::from([OwnerReference {
                    api_version: "batch/v1".into(),
                    kind: "Job".into(),
                    name: j.meta.name.as_str().into(),
                    uid: j.meta.uid.clone(),
                    controller: true,
                    block_owner_deletion: true,
                }]),
            }
        });
        let namespace = j.meta.namespace.clone();
        let prefix = pod_generate_name(&j.meta.name, index);
        let name = generate_name(ctx.store, ctx.rng, &namespace, &prefix);
        let (mut labels, mut annotations) = (
            template.labels.clone(),
            j.spec.template_meta.annotations.clone(),
        );
        if let Some(i) = index {
            Arc::make_mut(&mut labels).insert(COMPLETION_INDEX.to_string(), i.to_string());
            Arc::make_mut(&mut annotations).insert(COMPLETION_INDEX.to_string(), i.to_string());
        }
        let pod = Pod {
            meta: ObjectMeta {
                name: name.clone(),
                namespace,
                uid: Uid::Unset,
                labels,
                annotations,
                owner_references: template.owners.clone(),
            },
            spec: j.spec.template.clone(),
            status: PodStatus {
                created: now,
                ..Default::default()
            },
        };
        let object: Arc<str> = j.object().into();
        if super::pod_control::create(pod, &object, ctx).is_err() {
            self.retries.retry(job, JobEvent::Sync(job), ctx);
            return Err(());
        }
        self.retries.forget(&job);
        ctx.store.update_job_status(job, |st| {
            st.active += 1;
            st.created += 1;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::pod;
    use crate::component::Harness;

    fn job(parallelism: u32, completions: u32, backoff_limit: u32) -> crate::api::JobSpec {
        crate::api::JobSpec {
            parallelism,
            completions: Some(completions),
            backoff_limit,
            active_deadline_ms: None,
            indexed: false,
            template_meta: ObjectMeta::default(),
            template: pod("t", 100, 0).spec,
        }
    }

    fn job_pods(h: &Harness<JobController>, job: JobId) -> Vec<PodId> {
        h.store
            .pods_of_controller(&h.store.job(job).meta.uid)
            .to_vec()
    }

    fn active(h: &Harness<JobController>, job: JobId) -> Vec<PodId> {
        let live = job_pods(h, job);
        live.into_iter()
            .filter(|&p| !h.store.pod(p).phase().is_terminal())
            .collect()
    }

    #[test]
    fn pods_carry_the_job_as_controller_and_failures_are_replaced_after_a_back_off() {
        let mut h = Harness::new(JobController::default());
        let meta = ObjectMeta::named("default", "report");
        let id = h.store.create_job(meta, job(2, 3, 1), SimTime::ZERO);
        h.settle();
        let pods = job_pods(&h, id);
        assert_eq!(pods.len(), 2, "parallelism 2");
        let p = h.store.pod(pods[0]);
        let owner = p.meta.controller().expect("a controller reference");
        assert_eq!(owner.to_string(), "Job/report");
        assert_eq!(owner.uid, h.store.job(id).meta.uid);
        assert!(owner.block_owner_deletion);
        assert_eq!(
            p.meta.labels.get(LABEL_JOB_NAME).map(String::as_str),
            Some("report")
        );
        let events = h.events();
        assert_eq!(events.len(), 2);
        assert!(events[0].starts_with("SuccessfulCreate Job/default/report: Created pod: report-"));

        // One succeeds: the next pod starts at once. One fails: its replacement waits 10 s.
        h.store.set_phase(pods[0], Phase::Succeeded, SimTime::ZERO);
        h.settle();
        assert_eq!(active(&h, id).len(), 2, "a new pod for the success");
        h.store.set_phase(pods[1], Phase::Failed, SimTime::ZERO);
        h.settle();
        assert_eq!(active(&h, id).len(), 1, "no replacement yet");
        h.run_until(SimTime::from_secs(9));
        assert_eq!(active(&h, id).len(), 1);
        h.run_until(SimTime::from_secs(10));
        assert_eq!(h.now(), SimTime::from_secs(10));
        let running = active(&h, id);
        assert_eq!(running.len(), 2, "the replacement at 10 s");
        let st = &h.store.job(id).status;
        assert_eq!(
            (st.created, st.active, st.succeeded, st.failed),
            (4, 2, 1, 1)
        );

        // A second failure passes backoffLimit 1: the Job fails and its active pods go.
        h.store
            .set_phase(running[0], Phase::Failed, SimTime::from_secs(10));
        h.settle();
        assert_eq!(h.store.job(id).status.condition, Some("Failed"));
        let events = h.events();
        assert_eq!(
            events.last().map(String::as_str),
            Some(
                "BackoffLimitExceeded Job/default/report: Job has reached the specified backoff limit"
            )
        );
        assert!(active(&h, id).is_empty());
        assert_eq!(
            job_pods(&h, id).len(),
            3,
            "the succeeded and failed pods remain"
        );
    }

    #[test]
    fn a_failed_job_deletes_its_active_pods() {
        let mut h = Harness::new(JobController::default());
        let mut spec = job(3, 3, 0);
        spec.active_deadline_ms = Some(60_000);
        let id = h
            .store
            .create_job(ObjectMeta::named("default", "j"), spec, SimTime::ZERO);
        h.run_until(SimTime::from_secs(60));
        assert_eq!(h.store.job(id).status.condition, Some("Failed"));
        assert!(
            job_pods(&h, id).is_empty(),
            "the index holds live pods only"
        );
        assert!(h.store.pods().iter().all(|p| p.status.deleted.is_some()));
        assert_eq!(h.store.job(id).status.active, 0);
    }

    #[test]
    fn an_indexed_job_gives_each_pod_an_index_and_a_replacement_the_same_one() {
        let mut h = Harness::new(JobController::default());
        let meta = ObjectMeta::named("default", "render");
        let spec = crate::api::JobSpec {
            indexed: true,
            ..job(2, 4, 6)
        };
        let id = h.store.create_job(meta, spec, SimTime::ZERO);
        h.settle();
        let index_of = |h: &Harness<JobController>, p: PodId| -> String {
            let pod = h.store.pod(p);
            let label = pod.meta.labels.get(COMPLETION_INDEX).cloned().unwrap();
            assert_eq!(pod.meta.annotations.get(COMPLETION_INDEX), Some(&label));
            assert!(pod.meta.name.starts_with(&format!("render-{label}-")));
            label
        };
        let pods = job_pods(&h, id);
        let first: Vec<String> = pods.iter().map(|&p| index_of(&h, p)).collect();
        assert_eq!(first, ["0", "1"]);
        // Index 1 succeeds: index 2 starts. Index 0 fails: after the back-off its
        // replacement runs index 0 again.
        h.store.set_phase(pods[1], Phase::Succeeded, SimTime::ZERO);
        h.settle();
        h.store.set_phase(pods[0], Phase::Failed, SimTime::ZERO);
        h.run_until(SimTime::from_secs(10));
        let running: Vec<String> = active(&h, id).iter().map(|&p| index_of(&h, p)).collect();
        assert_eq!(running, ["2", "0"]);
        for p in active(&h, id) {
            h.store
                .set_phase(p, Phase::Succeeded, SimTime::from_secs(10));
            h.settle();
        }
        let st = &h.store.job(id).status;
        assert_eq!(st.completed_indexes.to_string(), "0-2");
        assert_eq!(st.succeeded, 3);
        let last = active(&h, id);
        assert_eq!(index_of(&h, last[0]), "3");
        h.store
            .set_phase(last[0], Phase::Succeeded, SimTime::from_secs(10));
        h.settle();
        assert_eq!(h.store.job(id).status.condition, Some("Complete"));
    }

    #[test]
    fn a_pod_being_deleted_counts_as_failed_and_is_replaced_without_waiting_for_its_grace() {
        let mut h = Harness::new(JobController::default());
        let meta = ObjectMeta::named("default", "train");
        let id = h.store.create_job(meta, job(1, 1, 1), SimTime::ZERO);
        h.settle();
        let first = job_pods(&h, id)[0];
        let node = h
            .store
            .add_node(crate::api::testing::node("n", 4000, 8 << 30, 110));
        h.store.bind(first, node, SimTime::ZERO);
        h.store.set_phase(first, Phase::Running, SimTime::ZERO);
        // Preempted, say: a 30 s grace period starts.
        assert!(h.store.request_deletion(first, SimTime::ZERO));
        h.settle();
        let st = &h.store.job(id).status;
        assert_eq!(
            (st.active, st.failed),
            (0, 1),
            "failed as soon as it terminates"
        );
        h.run_until(SimTime::from_secs(10));
        let pods = job_pods(&h, id);
        assert_eq!(
            pods.len(),
            2,
            "the replacement after the 10 s back-off, not at 30 s"
        );
        // Its end is not counted again.
        h.store
            .set_phase(first, Phase::Failed, SimTime::from_secs(30));
        h.store.delete_pod(first, SimTime::from_secs(30));
        h.settle();
        let st = &h.store.job(id).status;
        assert_eq!((st.active, st.failed), (1, 1));
        assert!(st.finished.is_none());
        // A second deletion, of a pod never bound, passes backoffLimit 1.
        assert!(h.store.request_deletion(pods[1], SimTime::from_secs(31)));
        h.settle();
        let st = &h.store.job(id).status;
        assert_eq!(st.failed, 2);
        assert_eq!(st.condition, Some(BACKOFF_LIMIT_EXCEEDED.condition));
    }
}
