//! The Deployment controller (`pkg/controller/deployment/`): owns ReplicaSets, one per
//! template, and moves pods from the old ones to the new one by its strategy.
//!
//! One sync (`syncDeployment`), queued per Deployment and run once per instant:
//!
//! 1. the Progressing condition says whether the Deployment is paused ([`status`]);
//! 2. paused, or `spec.replicas` changed since the ReplicaSets were last scaled (their
//!    `desired-replicas` annotation): scale the ReplicaSets, proportionally during a
//!    rollout ([`scale`]), and write the status;
//! 3. otherwise roll out by the strategy ([`rollout`]): RollingUpdate or Recreate, then the
//!    status with the Progressing condition, the old ReplicaSets beyond
//!    `revisionHistoryLimit` deleted once the rollout is complete.
//!
//! A Deployment's ReplicaSets are the live ones whose controller reference carries its uid
//! (the store's index); it syncs when one of them changes, and, for Recreate, when an old
//! pod is gone.

mod rollout;
mod scale;
mod status;

use crate::api::apps::ANNOTATION_REVISION;
use crate::component::{Component, Context, Timer};
use crate::engine::SimTime;
use crate::store::{
    ArenaId, Change, ChangeKind, DeploymentId, ReplicaSetId, Store, Watch, WorkloadChange,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentEvent {
    /// Reconcile a Deployment.
    Sync(DeploymentId),
    /// See whether a stalled rollout passed its progress deadline.
    DeadlineCheck(DeploymentId),
}

/// The controller.
#[derive(Default)]
pub struct DeploymentController {
    queue: super::queue::WorkQueue<DeploymentId>,
    /// The object of each Deployment's Events, by index.
    objects: Vec<Option<Arc<str>>>,
    /// The progress-deadline check scheduled for each Deployment.
    deadline_checks: BTreeMap<DeploymentId, (SimTime, Timer)>,
    /// The work queue's rate limiter (a stuck rollout's re-checks).
    limiter: super::queue::RateLimiter,
    /// Per Deployment, what its last sync saw ([`Memo`]).
    memo: Vec<Memo>,
}

/// What tells whether a Deployment's re-check would repeat its last sync.
#[derive(Clone, Copy, Debug, Default)]
struct Memo {
    /// Changes that touched the Deployment (itself, its ReplicaSets, its pods' deletions).
    touched: u64,
    /// `touched` when its last sync began.
    synced: u64,
    /// Whether that sync ended by re-queueing it as stuck.
    requeued: bool,
}

type Ctx<'a, 'b> = &'a mut Context<'b, DeploymentEvent>;

/// A Deployment's ReplicaSets as a sync sees them: the one whose template is the
/// Deployment's (the new one) and the others, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Sets {
    new: Option<ReplicaSetId>,
    old: Vec<ReplicaSetId>,
}

impl Sets {
    /// Every ReplicaSet, the old ones then the new one.
    fn all(&self) -> impl Iterator<Item = ReplicaSetId> + '_ {
        self.old.iter().copied().chain(self.new)
    }
}

impl Component for DeploymentController {
    type Event = DeploymentEvent;

    fn name(&self) -> &str {
        "controllers/deployment"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::Deployment,
            ChangeKind::ReplicaSet,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::Deployment { id, what } => match what {
                // Its own status writes too, as upstream's `updateDeployment` enqueues on
                // every update: the sync after a rollout completes cleans up old revisions.
                WorkloadChange::Created | WorkloadChange::Spec | WorkloadChange::Status => {
                    self.enqueue(id, ctx)
                }
                WorkloadChange::Deleted => {}
            },
            Change::ReplicaSet { id, .. } => {
                if let Some(d) = owner_of(ctx.store, id) {
                    self.enqueue(d, ctx);
                }
            }
            Change::PodDeleted(pod) => {
                // Recreate waits for the old pods to be gone.
                let Some(owner) = ctx.store.pod(pod).meta.controller() else {
                    return;
                };
                if &*owner.kind == "ReplicaSet"
                    && let Some(rs) = ctx.store.replica_set_by_uid(&owner.uid)
                    && let Some(d) = owner_of(ctx.store, rs)
                    && ctx.store.deployment(d).spec.fenceposts() == (0, 0)
                {
                    self.enqueue(d, ctx);
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: DeploymentEvent, ctx: Ctx) {
        match event {
            DeploymentEvent::Sync(d) => {
                self.queue.done(d);
                if ctx.store.deployment_is_live(d) {
                    self.sync(d, ctx);
                }
            }
            DeploymentEvent::DeadlineCheck(d) => {
                self.deadline_checks.remove(&d);
                if !ctx.store.deployment_is_live(d) {
                } else if self.repeats_last_sync(d, ctx.store) {
                    // A stuck rollout re-checked 10 times a second while nothing changes:
                    // the sync would write nothing and re-queue it; only the re-queue is
                    // done, with the same draw on the rate limiter.
                    self.requeue_if_stuck(d, ctx);
                } else {
                    self.sync(d, ctx);
                }
            }
        }
    }
}

/// The live Deployment controlling a ReplicaSet.
fn owner_of(store: &Store, rs: ReplicaSetId) -> Option<DeploymentId> {
    let owner = store.replica_set(rs).meta.controller()?;
    if &*owner.kind != "Deployment" {
        return None;
    }
    store.deployment_by_uid(&owner.uid)
}

impl DeploymentController {
    /// Queues a sync of `d` now, unless one is queued.
    fn enqueue(&mut self, d: DeploymentId, ctx: Ctx) {
        self.memo_mut(d).touched += 1;
        self.queue.add(d, DeploymentEvent::Sync(d), ctx);
    }

    fn memo_mut(&mut self, d: DeploymentId) -> &mut Memo {
        if self.memo.len() <= d.index() {
            self.memo.resize(d.index() + 1, Memo::default());
        }
        &mut self.memo[d.index()]
    }

    /// Whether a sync of `d` now would do exactly what its last one did: nothing touched it
    /// since, that sync ended by re-queueing it as stuck, and its rollout is complete
    /// (`NewReplicaSetAvailable`: no deadline, so the time does not matter), not paused.
    fn repeats_last_sync(&self, d: DeploymentId, store: &Store) -> bool {
        let Some(m) = self.memo.get(d.index()) else {
            return false;
        };
        let dep = store.deployment(d);
        m.touched == m.synced
            && m.requeued
            && !dep.spec.paused
            && (dep.status.condition("Progressing"))
                .is_some_and(|c| c.reason == "NewReplicaSetAvailable")
    }

    /// Schedules the progress-deadline check of `d` at `at` (one per Deployment: a later
    /// sync moves it).
    fn check_at(&mut self, d: DeploymentId, at: SimTime, ctx: Ctx) {
        if let Some((when, timer)) = self.deadline_checks.get(&d).copied() {
            if when == at {
                return;
            }
            ctx.cancel(timer);
        }
        let timer = ctx.at(at, DeploymentEvent::DeadlineCheck(d));
        self.deadline_checks.insert(d, (at, timer));
    }

    /// `Deployment/namespace/name`, the object of the Deployment's Events.
    fn object(&mut self, d: DeploymentId, store: &Store) -> Arc<str> {
        if self.objects.len() <= d.index() {
            self.objects.resize(d.index() + 1, None);
        }
        self.objects[d.index()]
            .get_or_insert_with(|| store.deployment(d).object().into())
            .clone()
    }

    fn sync(&mut self, d: DeploymentId, ctx: Ctx) {
        let m = self.memo_mut(d);
        m.synced = m.touched;
        m.requeued = false;
        status::check_paused_conditions(d, ctx);
        let dep = ctx.store.deployment(d);
        if dep.spec.paused {
            let sets = self.sets(d, false, ctx);
            self.scale(d, &sets, ctx);
            self.cleanup(d, &sets, ctx);
            return status::sync_status(d, &sets, ctx);
        }
        let sets = self.sets(d, false, ctx);
        if scale::is_scaling_event(ctx.store, d, &sets) {
            self.scale(d, &sets, ctx);
            return status::sync_status(d, &sets, ctx);
        }
        if ctx.store.deployment(d).spec.fenceposts() == (0, 0) {
            self.rollout_recreate(d, sets, ctx);
        } else {
            self.rollout_rolling(d, ctx);
        }
    }

    /// The Deployment's ReplicaSets, the new one created when asked and missing
    /// (`getAllReplicaSetsAndSyncRevision`): the new one's revision is raised above the old
    /// ones', and the Deployment's revision follows it.
    fn sets(&mut self, d: DeploymentId, create: bool, ctx: Ctx) -> Sets {
        let dep = ctx.store.deployment(d);
        let mut owned: Vec<ReplicaSetId> =
            ctx.store.replica_sets_of_controller(&dep.meta.uid).to_vec();
        owned.sort_by(|&a, &b| by_creation(ctx.store, a, b));
        let new = owned.iter().copied().find(|&rs| {
            ctx.store
                .replica_set(rs)
                .spec
                .template
                .equal_ignoring_hash(&dep.spec.template)
        });
        let old: Vec<ReplicaSetId> = owned.into_iter().filter(|&rs| Some(rs) != new).collect();
        let max_old = old
            .iter()
            .filter_map(|&rs| revision(ctx.store, rs))
            .max()
            .unwrap_or(0);
        let new = match new {
            Some(rs) => {
                scale::sync_new_annotations(d, rs, max_old + 1, ctx);
                Some(rs)
            }
            None if create => self.create_new(d, &old, max_old + 1, ctx),
            None => None,
        };
        if let Some(rs) = new
            && let Some(rev) = revision(ctx.store, rs)
        {
            let rev = rev.to_string();
            let annotations = &ctx.store.deployment(d).meta.annotations;
            if annotations.get(ANNOTATION_REVISION) != Some(&rev) {
                ctx.store.update_deployment(d, |meta, _| {
                    Arc::make_mut(&mut meta.annotations).insert(ANNOTATION_REVISION.into(), rev);
                });
            }
        }
        Sets { new, old }
    }
}

/// A ReplicaSet's `deployment.kubernetes.io/revision`.
fn revision(store: &Store, rs: ReplicaSetId) -> Option<u64> {
    store
        .replica_set(rs)
        .meta
        .annotations
        .get(ANNOTATION_REVISION)?
        .parse()
        .ok()
}

/// Older first, equal times by name (`ReplicaSetsByCreationTimestamp`).
fn by_creation(store: &Store, a: ReplicaSetId, b: ReplicaSetId) -> std::cmp::Ordering {
    let (a, b) = (store.replica_set(a), store.replica_set(b));
    (a.created, &a.meta.name).cmp(&(b.created, &b.meta.name))
}

/// `spec.replicas` of a ReplicaSet.
fn size(store: &Store, rs: ReplicaSetId) -> i64 {
    i64::from(store.replica_set(rs).spec.replicas)
}
