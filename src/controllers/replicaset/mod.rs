//! The ReplicaSet controller, which also keeps ReplicationControllers
//! (`pkg/controller/replicaset/replica_set.go`; upstream runs the same code for both).
//!
//! A ReplicaSet's pods are the live pods whose controller reference carries its uid. The
//! controller keeps, per ReplicaSet, how many of them are active (neither finished nor being
//! deleted) and Ready, from the pod changes it watches, so a sync costs no scan of the pods
//! unless it deletes some or `minReadySeconds` asks when each became Ready. A sync:
//!
//! - adopts matching orphans of its namespace;
//! - creates the missing pods in slow-start batches (1, 2, 4, ...), at most 500 per sync, or
//!   deletes the surplus in the order of [`victims`];
//! - writes the status as it found it (the pods it just created or deleted are counted by
//!   the next sync, which their changes trigger).
//!
//! Syncs are queued per ReplicaSet: the changes of one instant that ask for one get a single
//! sync (upstream's work queue). Every change of a ReplicaSet asks, its status too
//! (`updateRS` in `replica_set.go` enqueues on every update, the controller's own status
//! writes included), so a sync that changed the status is followed by one that finds it as
//! it is, or fails its creates again. A delayed sync (the back-off after a failed create, the
//! `minReadySeconds` re-check) coming due is an add like any other, joining a sync queued
//! already (`AddAfter`, then `Add`, in `client-go/util/workqueue/delaying_queue.go`), and a
//! sync queued meanwhile runs at once without cancelling it.

pub mod victims;

use super::pod_control::{self, controller_ref, generate_name, pod_from_template};
use super::queue::WorkQueue;
use crate::api::apps::ReplicaSetKind;
use crate::api::meta::OwnerReference;
use crate::component::{Component, Context};
use crate::store::{
    ArenaId, Change, ChangeKind, Condition, ConditionStatus, PodId, ReplicaSetId, Watch,
    WorkloadChange,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Pods created or deleted per sync at most (`BurstReplicas`).
pub const BURST_REPLICAS: usize = 500;
/// A pod Ready for `minReadySeconds` is looked at again this long after, as upstream
/// re-queues it (`minReadySeconds + 1 s`, in `updatePod`).
const MIN_READY_SLACK_MS: i64 = 1_000;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaSetEvent {
    /// Reconcile a ReplicaSet (queued by [`WorkQueue::add`]).
    Sync(ReplicaSetId),
    /// A delayed add coming due (`AddAfter`: the back-off after a failed create, or the
    /// `minReadySeconds` re-check): queues a sync, unless one is queued already.
    Requeue(ReplicaSetId),
}

/// What the controller counts of one ReplicaSet's pods.
#[derive(Clone, Debug, Default)]
struct Tally {
    active: u32,
    ready: u32,
    /// The reference its pods carry (shared by all of them).
    owners: Option<Arc<[OwnerReference]>>,
    /// `Kind/namespace/name`, the object of its Events.
    object: Option<Arc<str>>,
}

impl Tally {
    /// Adds (`sign` 1) or removes (-1) a pod counted as `bits`.
    fn add(&mut self, bits: u8, sign: i64) {
        let count = |n: u32, bit: u8| (i64::from(n) + sign * i64::from(bits & bit != 0)) as u32;
        self.active = count(self.active, ACTIVE);
        self.ready = count(self.ready, READY);
    }
}

/// A pod's counted state: active, and Ready.
const ACTIVE: u8 = 1;
const READY: u8 = 2;

/// The controller.
#[derive(Default)]
pub struct ReplicaSetController {
    tallies: Vec<Tally>,
    /// Where each pod (by index) is counted, and as what.
    counted: Vec<(Option<ReplicaSetId>, u8)>,
    /// Live pods without a controller, which a ReplicaSet of their namespace may adopt
    /// (one bit per pod index).
    orphans: Vec<u64>,
    /// The live ReplicaSets of each namespace, in creation order.
    by_namespace: BTreeMap<String, Vec<ReplicaSetId>>,
    /// Retry delays after failed creates.
    retries: pod_control::RetryBackoff<ReplicaSetId>,
    queue: WorkQueue<ReplicaSetId>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, ReplicaSetEvent>;

impl Component for ReplicaSetController {
    type Event = ReplicaSetEvent;

    fn name(&self) -> &str {
        "controllers/replicaset"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::ReplicaSet,
            ChangeKind::PodCreated,
            ChangeKind::PodReady,
            ChangeKind::PodPhase,
            ChangeKind::PodMeta,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::ReplicaSet { id, what } => match what {
                WorkloadChange::Created => self.created(id, ctx),
                // Upstream's `updateRS` enqueues on any update, its own status writes too.
                WorkloadChange::Spec | WorkloadChange::Status => self.enqueue(id, ctx),
                WorkloadChange::Deleted => {
                    self.tallies[id.index()] = Tally::default();
                    let ns = &ctx.store.replica_set(id).meta.namespace;
                    if let Some(list) = self.by_namespace.get_mut(ns) {
                        list.retain(|&r| r != id);
                    }
                }
            },
            Change::PodCreated(pod) | Change::PodMeta(pod) => {
                if self.release_if_unmatched(pod, ctx) {
                    return; // its own change follows
                }
                if ctx.store.pod(pod).meta.controller().is_none() {
                    self.recount(pod, ctx);
                    self.orphan(pod, ctx);
                } else {
                    self.set_orphan(pod, false);
                    self.recount(pod, ctx);
                }
            }
            Change::PodReady { pod, ready } => {
                if let Some(rs) = self.recount(pod, ctx) {
                    let min_ready = ctx.store.replica_set(rs).spec.min_ready_ms;
                    if ready && min_ready > 0 {
                        ctx.after(min_ready + MIN_READY_SLACK_MS, ReplicaSetEvent::Requeue(rs));
                    }
                }
            }
            Change::PodPhase { pod, .. } | Change::PodTerminating(pod) => {
                self.recount(pod, ctx);
            }
            Change::PodDeleted(pod) => {
                self.set_orphan(pod, false);
                self.recount(pod, ctx);
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: ReplicaSetEvent, ctx: Ctx) {
        match event {
            ReplicaSetEvent::Sync(rs) => {
                self.queue.done(rs);
                if ctx.store.replica_set_is_live(rs) {
                    self.sync(rs, ctx);
                }
            }
            // `AddAfter` coming due is an `Add`: it joins a sync queued already.
            ReplicaSetEvent::Requeue(rs) => {
                if ctx.store.replica_set_is_live(rs) {
                    self.enqueue(rs, ctx);
                }
            }
        }
    }
}

impl ReplicaSetController {
    /// The tally of `rs`.
    fn tally(&mut self, rs: ReplicaSetId) -> &mut Tally {
        if self.tallies.len() <= rs.index() {
            self.tallies.resize_with(rs.index() + 1, Tally::default);
        }
        &mut self.tallies[rs.index()]
    }

    /// Queues a sync of `rs` now, unless one is queued.
    fn enqueue(&mut self, rs: ReplicaSetId, ctx: Ctx) {
        self.tally(rs);
        self.queue.add(rs, ReplicaSetEvent::Sync(rs), ctx);
    }

    /// A new ReplicaSet: counts the pods that already name it (a snapshot's), and syncs.
    fn created(&mut self, rs: ReplicaSetId, ctx: Ctx) {
        self.tally(rs);
        let ns = ctx.store.replica_set(rs).meta.namespace.clone();
        self.by_namespace.entry(ns).or_default().push(rs);
        let uid = ctx.store.replica_set(rs).meta.uid.clone();
        let pods = ctx.store.pods_of_controller(&uid).to_vec();
        for pod in pods {
            self.recount(pod, ctx);
        }
        self.enqueue(rs, ctx);
    }

    fn set_orphan(&mut self, pod: PodId, on: bool) {
        let (word, bit) = (pod.index() / 64, pod.index() % 64);
        if self.orphans.len() <= word {
            if !on {
                return;
            }
            self.orphans.resize(word + 1, 0);
        }
        if on {
            self.orphans[word] |= 1 << bit;
        } else {
            self.orphans[word] &= !(1 << bit);
        }
    }

    /// A live pod without a controller: the first ReplicaSet of its namespace (in creation
    /// order) whose selector matches it adopts it; else it waits, for one to come.
    fn orphan(&mut self, pod: PodId, ctx: Ctx) {
        let p = ctx.store.pod(pod);
        if p.status.deleted.is_some() {
            return;
        }
        self.set_orphan(pod, true);
        let adopter = self.by_namespace.get(&p.meta.namespace).and_then(|list| {
            list.iter().copied().find(|&rs| {
                ctx.store
                    .replica_set(rs)
                    .spec
                    .selector
                    .matches(&p.meta.labels)
            })
        });
        if let Some(rs) = adopter {
            self.adopt(rs, &[pod], ctx);
        }
    }

    /// Brings a pod's contribution to its ReplicaSet's tally up to date (moving it when the
    /// pod changed owner); its ReplicaSet, if it has one. A tally that changed queues a sync.
    fn recount(&mut self, pod: PodId, ctx: Ctx) -> Option<ReplicaSetId> {
        let p = ctx.store.pod(pod);
        let rs = p
            .meta
            .controller()
            .filter(|o| matches!(&*o.kind, "ReplicaSet" | "ReplicationController"))
            .and_then(|o| ctx.store.replica_set_by_uid(&o.uid));
        let active = rs.is_some()
            && !p.phase().is_terminal()
            && p.status.terminating.is_none()
            && p.status.deleted.is_none();
        let bits = (u8::from(active) * ACTIVE) | (u8::from(active && p.status.ready) * READY);
        if rs.is_none() && self.counted.get(pod.index()).is_none_or(|c| c.0.is_none()) {
            return None; // never counted anywhere: nothing to move
        }
        if self.counted.len() <= pod.index() {
            self.counted.resize(pod.index() + 1, (None, 0));
        }
        let (old_rs, old_bits) = std::mem::replace(&mut self.counted[pod.index()], (rs, bits));
        if (old_rs, old_bits) != (rs, bits) {
            if let Some(o) = old_rs {
                self.tally(o).add(old_bits, -1);
                self.enqueue(o, ctx);
            }
            if let Some(n) = rs {
                self.tally(n).add(bits, 1);
                self.enqueue(n, ctx);
            }
        }
        rs
    }

    /// A pod whose labels no longer match its ReplicaSet's selector is released
    /// (`ReleasePod`): it loses its controller reference and becomes an orphan.
    fn release_if_unmatched(&mut self, pod: PodId, ctx: Ctx) -> bool {
        let p = ctx.store.pod(pod);
        let Some(rs) = p
            .meta
            .controller()
            .filter(|o| matches!(&*o.kind, "ReplicaSet" | "ReplicationController"))
            .and_then(|o| ctx.store.replica_set_by_uid(&o.uid))
        else {
            return false;
        };
        if ctx
            .store
            .replica_set(rs)
            .spec
            .selector
            .matches(&p.meta.labels)
        {
            return false;
        }
        ctx.store.set_pod_controller(pod, None);
        true
    }

    fn sync(&mut self, rs: ReplicaSetId, ctx: Ctx) {
        let r = ctx.store.replica_set(rs);
        if r.generation != r.status.observed_generation {
            // The selector may have changed: pods it no longer selects are released.
            for pod in ctx.store.pods_of_controller(&r.meta.uid).to_vec() {
                if self.release_if_unmatched(pod, ctx) {
                    self.recount(pod, ctx);
                    self.orphan(pod, ctx);
                }
            }
        }
        let r = ctx.store.replica_set(rs);
        if r.generation != r.status.observed_generation {
            self.adopt_orphans(rs, ctx);
        }
        let r = ctx.store.replica_set(rs);
        let (replicas, min_ready, generation) =
            (r.spec.replicas, r.spec.min_ready_ms, r.generation);
        let t = &self.tallies[rs.index()];
        let (active, ready) = (t.active, t.ready);
        let available = if min_ready > 0 {
            self.available(rs, ctx)
        } else {
            ready
        };
        let failure = match i64::from(active) - i64::from(replicas) {
            diff if diff < 0 => self.create_pods(rs, (-diff) as usize, ctx).err(),
            diff if diff > 0 => {
                self.delete_pods(rs, diff as usize, ctx);
                None
            }
            _ => None,
        };
        let now = ctx.now();
        // A failed create: the ReplicaFailure condition, and a retry after the work
        // queue's back-off (`manageReplicas` returning an error).
        let condition = match failure {
            Some(message) => {
                self.retries.retry(rs, ReplicaSetEvent::Requeue(rs), ctx);
                Some(Condition {
                    kind: "ReplicaFailure",
                    status: ConditionStatus::True,
                    reason: "FailedCreate",
                    message,
                    last_update: now,
                    last_transition: now,
                })
            }
            None => {
                self.retries.forget(&rs);
                None
            }
        };
        ctx.store.update_replica_set_status(rs, |st| {
            st.replicas = active;
            st.ready = ready;
            st.available = available;
            st.observed_generation = generation;
            // `calculateStatus` (`pkg/controller/replicaset/replica_set_utils.go`) sets
            // ReplicaFailure only when it is absent, so the first failure's message stays
            // while creates keep failing, and removes it once a sync manages its pods.
            if st.failure.is_none() || condition.is_none() {
                st.failure = condition;
            }
        });
    }

    /// Active pods Ready for longer than `minReadySeconds` (`IsPodAvailable`).
    fn available(&self, rs: ReplicaSetId, ctx: &Context<'_, ReplicaSetEvent>) -> u32 {
        let r = ctx.store.replica_set(rs);
        let now = ctx.now();
        let n = ctx
            .store
            .pods_of_controller(&r.meta.uid)
            .iter()
            .filter(|&&p| {
                self.counted
                    .get(p.index())
                    .is_some_and(|c| c.1 & READY != 0)
                    && ctx
                        .store
                        .pod(p)
                        .status
                        .ready_since
                        .is_some_and(|t| t.ms() + r.spec.min_ready_ms < now.ms())
            })
            .count();
        n as u32
    }

    /// The orphans of the namespace the selector matches (looked for when the ReplicaSet
    /// is new or its spec changed: later orphans find their ReplicaSet themselves).
    fn adopt_orphans(&mut self, rs: ReplicaSetId, ctx: Ctx) {
        let r = ctx.store.replica_set(rs);
        let mut found = Vec::new();
        for (w, &bits) in self.orphans.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let p = PodId((w * 64 + bits.trailing_zeros() as usize) as u32);
                bits &= bits - 1;
                let pod = ctx.store.pod(p);
                if pod.meta.namespace == r.meta.namespace
                    && r.spec.selector.matches(&pod.meta.labels)
                {
                    found.push(p);
                }
            }
        }
        self.adopt(rs, &found, ctx);
    }

    /// `rs` adopts these orphans unless they are being deleted or finished (`ClaimPods`,
    /// `AdoptPod`); they count in this sync, as `claimPods` returns them.
    fn adopt(&mut self, rs: ReplicaSetId, pods: &[PodId], ctx: Ctx) {
        let r = ctx.store.replica_set(rs);
        let owner = controller_ref(r.spec.kind.api_version(), r.spec.kind.kind(), &r.meta);
        for &p in pods {
            let pod = ctx.store.pod(p);
            if pod.status.terminating.is_some()
                || pod.phase().is_terminal()
                || pod.status.deleted.is_some()
            {
                continue;
            }
            self.set_orphan(p, false);
            ctx.store.set_pod_controller(p, Some(owner.clone()));
            self.recount(p, ctx);
        }
    }

    /// Creates `missing` pods (at most [`BURST_REPLICAS`]) in slow-start batches; a batch
    /// with a refusal ends the creations (`slowStartBatch`), and the first refusal is
    /// returned.
    fn create_pods(&mut self, rs: ReplicaSetId, missing: usize, ctx: Ctx) -> Result<(), String> {
        let r = ctx.store.replica_set(rs);
        let template = r.spec.template.clone();
        let namespace = r.meta.namespace.clone();
        let base = format!("{}-", r.meta.name);
        let (owners, object) = self.identity(rs, ctx);
        for batch in pod_control::slow_start_batches(missing.min(BURST_REPLICAS)) {
            let mut refused = None;
            for _ in 0..batch {
                let name = generate_name(ctx.store, ctx.rng, &namespace, &base);
                let pod = pod_from_template(&template, &namespace, name, owners.clone(), ctx);
                if let Err(e) = pod_control::create(pod, &object, ctx) {
                    refused.get_or_insert(e);
                }
            }
            if let Some(e) = refused {
                return Err(e);
            }
        }
        if missing > BURST_REPLICAS {
            self.enqueue(rs, ctx);
        }
        Ok(())
    }

    /// Deletes `surplus` active pods (at most [`BURST_REPLICAS`]), cheapest first.
    fn delete_pods(&mut self, rs: ReplicaSetId, surplus: usize, ctx: Ctx) {
        let r = ctx.store.replica_set(rs);
        let is_active = |p: &PodId| {
            self.counted
                .get(p.index())
                .is_some_and(|c| c.1 & ACTIVE != 0)
        };
        let pods: Vec<PodId> = ctx
            .store
            .pods_of_controller(&r.meta.uid)
            .iter()
            .copied()
            .filter(is_active)
            .collect();
        // Related pods: those of every ReplicaSet of the same owner (a Deployment's).
        let related: Vec<PodId> = match r.meta.controller() {
            Some(owner) => ctx
                .store
                .replica_sets_of_controller(&owner.uid)
                .iter()
                .flat_map(|&s| {
                    let uid = &ctx.store.replica_set(s).meta.uid;
                    ctx.store.pods_of_controller(uid).iter().copied()
                })
                .filter(is_active)
                .collect(),
            None => pods.clone(),
        };
        let count = surplus.min(BURST_REPLICAS);
        let victims = victims::pods_to_delete(ctx.store, &pods, &related, count, ctx.now());
        let (_, object) = self.identity(rs, ctx);
        for p in victims {
            pod_control::delete(p, &object, ctx);
        }
        if surplus > BURST_REPLICAS {
            self.enqueue(rs, ctx);
        }
    }

    /// The owner reference of a ReplicaSet's pods and the object of its Events.
    fn identity(&mut self, rs: ReplicaSetId, ctx: Ctx) -> (Arc<[OwnerReference]>, Arc<str>) {
        let r = ctx.store.replica_set(rs);
        let t = self.tally(rs);
        let kind: ReplicaSetKind = r.spec.kind;
        let owners = t
            .owners
            .get_or_insert_with(|| {
                Arc::from([controller_ref(kind.api_version(), kind.kind(), &r.meta)])
            })
            .clone();
        let object = t.object.get_or_insert_with(|| r.object().into()).clone();
        (owners, object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::{PodTemplate, ReplicaSetSpec};
    use crate::api::meta::ObjectMeta;
    use crate::api::pod::Phase;
    use crate::api::{LabelSelector, Labels};
    use crate::component::Harness;
    use crate::engine::SimTime;

    fn labels(app: &str) -> Labels {
        [("app".to_string(), app.to_string())].into()
    }

    fn spec(replicas: u32) -> ReplicaSetSpec {
        ReplicaSetSpec {
            kind: ReplicaSetKind::ReplicaSet,
            replicas,
            selector: LabelSelector::from_parts(&labels("web"), &[]).unwrap(),
            min_ready_ms: 0,
            template: PodTemplate {
                meta: ObjectMeta {
                    labels: Arc::new(labels("web")),
                    ..ObjectMeta::default()
                },
                spec: crate::api::testing::pod("t", 100, 0).spec,
            },
        }
    }

    fn live(h: &Harness<ReplicaSetController>, rs: ReplicaSetId) -> Vec<PodId> {
        let uid = &h.store.replica_set(rs).meta.uid;
        h.store
            .pods_of_controller(uid)
            .iter()
            .copied()
            .filter(|&p| h.store.pod(p).status.terminating.is_none())
            .collect()
    }

    #[test]
    fn creates_named_owned_pods_and_replaces_a_deleted_one() {
        let mut h = Harness::new(ReplicaSetController::default());
        let rs =
            h.store
                .create_replica_set(ObjectMeta::named("default", "web"), spec(3), SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        let pods = live(&h, rs);
        assert_eq!(pods.len(), 3);
        let p = h.store.pod(pods[0]);
        assert!(
            p.meta.name.starts_with("web-") && p.meta.name.len() == 9,
            "{}",
            p.meta.name
        );
        let owner = p.meta.controller().unwrap();
        assert_eq!(
            (owner.to_string(), &owner.uid),
            ("ReplicaSet/web".into(), &h.store.replica_set(rs).meta.uid)
        );
        let events = h.events();
        assert_eq!(events.len(), 3);
        assert!(
            events[0].starts_with("SuccessfulCreate ReplicaSet/default/web: Created pod: web-"),
            "{events:?}"
        );
        assert_eq!(h.store.replica_set(rs).status.replicas, 3);
        // A deleted pod is replaced.
        h.store.delete_pod(pods[1], SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        assert_eq!(live(&h, rs).len(), 3);
        assert!(!live(&h, rs).contains(&pods[1]));
        // A failed pod too (it stays, not counted).
        h.store.set_phase(pods[0], Phase::Failed, SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        let active: Vec<PodId> = live(&h, rs)
            .into_iter()
            .filter(|&p| !h.store.pod(p).phase().is_terminal())
            .collect();
        assert_eq!(active.len(), 3);
    }

    #[test]
    fn creations_stop_at_the_burst_and_continue_in_the_next_sync() {
        let mut h = Harness::new(ReplicaSetController::default());
        let rs = h.store.create_replica_set(
            ObjectMeta::named("default", "big"),
            spec(1_200),
            SimTime::ZERO,
        );
        h.settle();
        assert!(h.step(), "the first sync");
        assert_eq!(h.store.pods().len(), BURST_REPLICAS);
        h.run_until(SimTime::ZERO);
        assert_eq!(live(&h, rs).len(), 1_200);
        assert_eq!(h.store.replica_set(rs).status.replicas, 1_200);
    }

    #[test]
    fn scale_down_takes_unscheduled_pods_first() {
        let mut h = Harness::new(ReplicaSetController::default());
        let node = h
            .store
            .add_node(crate::api::testing::node("n1", 100_000, 1 << 40, 110));
        let rs =
            h.store
                .create_replica_set(ObjectMeta::named("default", "web"), spec(4), SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        let pods = live(&h, rs);
        for &p in &pods[..3] {
            h.store.bind(p, node, SimTime::ZERO);
        }
        h.store.update_replica_set(rs, |_, s| s.replicas = 2);
        h.events();
        h.run_until(SimTime::ZERO);
        let left = live(&h, rs);
        assert_eq!(left.len(), 2);
        assert!(!left.contains(&pods[3]), "the unscheduled pod went first");
        let deleted: Vec<String> = h.events();
        assert_eq!(deleted.len(), 2);
        assert!(
            deleted.iter().all(
                |e| e.starts_with("SuccessfulDelete ReplicaSet/default/web: Deleted pod: web-")
            )
        );
    }

    #[test]
    fn orphans_are_adopted_and_relabelled_pods_released() {
        let mut h = Harness::new(ReplicaSetController::default());
        let mut orphan = crate::api::testing::pod("stray", 100, 0);
        orphan.meta.labels = Arc::new(labels("web"));
        let stray = h.store.create_pod(orphan);
        let rs =
            h.store
                .create_replica_set(ObjectMeta::named("default", "web"), spec(2), SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        let pods = live(&h, rs);
        assert_eq!(pods.len(), 2);
        assert!(pods.contains(&stray), "adopted, so only one was created");
        assert_eq!(
            h.store.pod(stray).meta.controller().map(|o| o.to_string()),
            Some("ReplicaSet/web".into())
        );
        // `kubectl label pod stray app=debug --overwrite`: released, and replaced.
        h.store.edit_pod_meta(stray, |l, _| {
            l.insert("app".into(), "debug".into());
        });
        h.run_until(SimTime::ZERO);
        assert!(h.store.pod(stray).meta.controller().is_none());
        let pods = live(&h, rs);
        assert_eq!(pods.len(), 2);
        assert!(!pods.contains(&stray));
    }

    /// A ResourceQuota of `pods` pods in `default`.
    fn quota(h: &mut Harness<ReplicaSetController>, pods: i64) {
        h.store.add_quota(crate::api::admission::ResourceQuota {
            name: "q".into(),
            namespace: "default".into(),
            hard: vec![("pods".into(), pods)],
        });
    }

    /// The times (ms) of the events recorded since the last call whose line starts `prefix`.
    fn times(h: &mut Harness<ReplicaSetController>, prefix: &str) -> Vec<i64> {
        let now = h.now().ms();
        h.events()
            .iter()
            .filter(|e| e.starts_with(prefix))
            .map(|_| now)
            .collect()
    }

    #[test]
    fn its_own_status_write_queues_a_sync_and_the_back_off_still_runs() {
        let mut h = Harness::new(ReplicaSetController::default());
        quota(&mut h, 0);
        let rs =
            h.store
                .create_replica_set(ObjectMeta::named("default", "web"), spec(2), SimTime::ZERO);
        // At 0: the first sync is refused and writes ReplicaFailure; that status update
        // queues a second sync at once, refused too (`updateRS` enqueues every update).
        h.run_until(SimTime::ZERO);
        assert_eq!(times(&mut h, "FailedCreate"), [0, 0]);
        // The back-off retry queued by the first failure still comes at 5 ms; each failure
        // lengthened the back-off, so the next one is 20 ms later, then 40 ms.
        let mut refused = Vec::new();
        for ms in [5, 25, 65] {
            h.run_until(SimTime::from_ms(ms - 1));
            assert!(h.events().is_empty(), "nothing before {ms} ms");
            h.run_until(SimTime::from_ms(ms));
            refused.extend(times(&mut h, "FailedCreate"));
        }
        assert_eq!(refused, [5, 25, 65]);
        assert_eq!(h.store.replica_set(rs).status.replicas, 0);
    }

    #[test]
    fn replica_failure_keeps_its_first_message_until_a_sync_manages_its_pods() {
        let mut h = Harness::new(ReplicaSetController::default());
        quota(&mut h, 0);
        let rs =
            h.store
                .create_replica_set(ObjectMeta::named("default", "web"), spec(1), SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        let first = h.events()[0].clone();
        let failure = h.store.replica_set(rs).status.failure.clone().unwrap();
        assert_eq!(
            (failure.kind, failure.reason, failure.status),
            ("ReplicaFailure", "FailedCreate", ConditionStatus::True)
        );
        assert_eq!(
            first,
            format!(
                "FailedCreate ReplicaSet/default/web: Error creating: {}",
                failure.message
            )
        );
        // Later refusals name other pods: the condition keeps the first message and time.
        h.run_until(SimTime::from_ms(1_000));
        let later = h.events();
        assert!(later.len() >= 3, "{later:?}");
        assert!(later.iter().all(|e| !e.ends_with(&failure.message)));
        assert_eq!(h.store.replica_set(rs).status.failure, Some(failure));
        // Scaled to 0, the sync has nothing to create: the condition is removed.
        h.store.update_replica_set(rs, |_, s| s.replicas = 0);
        h.run_until(SimTime::from_ms(1_000));
        assert_eq!(h.store.replica_set(rs).status.failure, None);
    }
}
