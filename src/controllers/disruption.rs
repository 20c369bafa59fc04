//! The disruption controller (`pkg/controller/disruption/disruption.go`, upstream's
//! `disruption-controller`): it keeps each PodDisruptionBudget's status, which the eviction
//! API (`store::eviction`) and the scheduler's DefaultPreemption read.
//!
//! A budget is synced when it is created or its status is written (upstream's `updateDB`
//! enqueues on every update, its own status writes and the eviction API's included), and
//! when a pod it selects is created, changed or deleted. As upstream's `getPdbForPod`, a pod
//! change queues only the first budget selecting the pod (kubesim: the first created;
//! upstream: the lister's first), recording `MultiplePodDisruptionBudgets` on the pod when
//! there are several. The controller watches no workload: a change of a controller's scale
//! reaches the budget at its next sync, which the pods that scale creates or deletes cause.
//!
//! A sync (`trySync`):
//! - the pods are the live pods of the budget's namespace its selector selects (an empty
//!   selector selects all of them, a missing one none), whatever their phase; none:
//!   `NoPods` `No matching pods found` (Normal);
//! - `expectedPods` and `desiredHealthy` (`getExpectedPodCount`): with an integer
//!   `minAvailable`, the number of pods and `minAvailable`; otherwise the summed scale of
//!   the pods' controllers (`getExpectedScale`: a Deployment through its ReplicaSet, a
//!   ReplicaSet, a ReplicationController, a StatefulSet, each counted once), with
//!   `minAvailable` as a percentage of it rounded up, or it minus `maxUnavailable` (rounded
//!   up, never below 0). Pods without a controller count nothing and are reported
//!   (`UnmanagedPods`, Warning). A controller kubesim cannot find (`found no controllers for
//!   pod "NAME"`) or one without a scale subresource (`daemonsets.apps does not implement the
//!   scale subresource`) fails the sync: `CalculateExpectedPodCountFailed` (Warning), and
//!   the status gets `disruptionsAllowed` 0 and the condition False `SyncFailed` (its
//!   `failSafe`), the rest as it was;
//! - `disruptedPods` keeps the pods the eviction API let go that still exist, are not yet
//!   being deleted and were let go at most `DeletionTimeout` (2 minutes) ago; an older one is
//!   dropped with `NotDeleted` (Warning) on the pod; the earliest deadline of those kept
//!   queues a recheck then;
//! - `currentHealthy`: the pods Ready, not being deleted, and not in `disruptedPods` (within
//!   the timeout) (`countHealthyPods`);
//! - `disruptionsAllowed = currentHealthy - desiredHealthy`, 0 when negative or when
//!   `expectedPods` is 0; `observedGeneration`, and the `DisruptionAllowed` condition (True
//!   `SufficientPods` when some disruption is allowed, else False `InsufficientPods`). The
//!   status is written only when it changes.
//!
//! A sync runs in the instant that queued it (`WorkQueue`), and a recheck goes through the
//! controller's rate limiter (`recheckQueue` then `AddRateLimited`: 5 ms later). Not
//! modelled: a failed sync is retried on the next change, not with the work queue's
//! back-off (upstream retries at 5 ms doubling to 1,000 s, each retry recording its Event
//! again); the stale `DisruptionTarget` condition clean-up (kubesim sets no such condition).

use super::queue::{RateLimiter, WorkQueue};
use crate::api::disruption::{GENERATION, PdbStatus, PodDisruptionBudget, SYNC_FAILED};
use crate::api::event::EventType;
use crate::api::meta::{OwnerReference, Uid};
use crate::api::node::ConditionStatus;
use crate::component::{Component, Context, Timer};
use crate::engine::SimTime;
use crate::store::{ArenaId, Change, ChangeKind, PdbId, PodId, Store, Watch};
use std::collections::{BTreeMap, BTreeSet};

/// `DeletionTimeout`: how long a pod the eviction API let go may take to be seen deleting.
pub const DELETION_TIMEOUT_MS: i64 = 2 * 60 * 1000;

/// Event reasons, in upstream's words.
pub const REASON_NO_PODS: &str = "NoPods";
/// The expected pods could not be counted.
pub const REASON_CALCULATE_FAILED: &str = "CalculateExpectedPodCountFailed";
/// Selected pods without a controller.
pub const REASON_UNMANAGED_PODS: &str = "UnmanagedPods";
/// A pod the eviction API let go was not deleted within the timeout.
pub const REASON_NOT_DELETED: &str = "NotDeleted";
/// A pod selected by several budgets.
pub const REASON_MULTIPLE_PDBS: &str = "MultiplePodDisruptionBudgets";

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisruptionEvent {
    /// Sync a budget.
    Sync(PdbId),
    /// A `disruptedPods` deadline of a budget: re-queue it, rate limited.
    Recheck(PdbId),
    /// The rate limiter's delay is over: queue the budget's sync.
    Requeue(PdbId),
}

/// The controller.
#[derive(Debug, Default)]
pub struct DisruptionController {
    queue: WorkQueue<PdbId>,
    limiter: RateLimiter,
    /// Each budget's live selected pods (by budget index).
    members: Vec<Members>,
    /// Each pod as last seen (by pod index).
    seen: Vec<Seen>,
    /// Each budget's pending recheck and its time (by budget index).
    rechecks: Vec<Option<(SimTime, Timer)>>,
}

/// One pod as the controller last counted it.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// The budgets selecting it (none once it is gone), in creation order.
    budgets: Vec<PdbId>,
    /// Ready and not being deleted.
    healthy: bool,
    /// Its controller's uid.
    owner: Option<Uid>,
}

impl Seen {
    /// The pod now, among the first `budgets` budgets.
    fn of(store: &Store, pod: PodId, budgets: usize) -> Seen {
        let p = store.pod(pod);
        let (ns, labels) = (&p.meta.namespace, &p.meta.labels);
        let selecting = (0..budgets)
            .map(|i| PdbId(i as u32))
            .filter(|&b| store.pdb(b).selects(ns, labels));
        Seen {
            budgets: if p.status.deleted.is_none() {
                selecting.collect()
            } else {
                Vec::new()
            },
            healthy: p.status.ready && p.status.terminating.is_none(),
            owner: p.meta.controller().map(|o| o.uid.clone()),
        }
    }
}

/// A budget's live selected pods (whatever their phase), with what a sync counts of them,
/// kept as the pods change so that a sync costs the number of their controllers, not of
/// the pods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Members {
    pods: BTreeSet<PodId>,
    /// Of those, Ready and not being deleted.
    healthy: usize,
    /// The managed ones by their controller's uid.
    by_owner: BTreeMap<Uid, BTreeSet<PodId>>,
    /// Those without a controller.
    unmanaged: usize,
}

impl Members {
    /// These pods of `store`, all taken as selected.
    pub fn of(store: &Store, pods: &[PodId]) -> Members {
        let mut m = Members::default();
        for &p in pods {
            let seen = Seen::of(store, p, 0);
            m.add(p, &seen);
        }
        m
    }

    fn add(&mut self, pod: PodId, seen: &Seen) {
        self.pods.insert(pod);
        self.healthy += usize::from(seen.healthy);
        match &seen.owner {
            Some(uid) => {
                self.by_owner.entry(uid.clone()).or_default().insert(pod);
            }
            None => self.unmanaged += 1,
        }
    }

    fn remove(&mut self, pod: PodId, seen: &Seen) {
        self.pods.remove(&pod);
        self.healthy -= usize::from(seen.healthy);
        match &seen.owner {
            Some(uid) => {
                if let Some(set) = self.by_owner.get_mut(uid) {
                    set.remove(&pod);
                    if set.is_empty() {
                        self.by_owner.remove(uid);
                    }
                }
            }
            None => self.unmanaged -= 1,
        }
    }

    /// Whether no pod is selected.
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }
}

type Ctx<'a, 'b> = &'a mut Context<'b, DisruptionEvent>;

impl Component for DisruptionController {
    type Event = DisruptionEvent;

    fn name(&self) -> &str {
        "controllers/disruption"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::PdbCreated,
            ChangeKind::PdbStatus,
            ChangeKind::PodCreated,
            ChangeKind::PodUngated,
            ChangeKind::PodBound,
            ChangeKind::PodPhase,
            ChangeKind::PodReady,
            ChangeKind::PodNominated,
            ChangeKind::PodStatus,
            ChangeKind::PodMeta,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::PdbCreated(b) => self.pdb_created(b, ctx),
            Change::PdbStatus(b) => self.enqueue(b, ctx),
            Change::PodCreated(pod)
            | Change::PodUngated(pod)
            | Change::PodBound { pod, .. }
            | Change::PodPhase { pod, .. }
            | Change::PodReady { pod, .. }
            | Change::PodNominated { pod, .. }
            | Change::PodStatus { pod, .. }
            | Change::PodMeta(pod)
            | Change::PodTerminating(pod)
            | Change::PodDeleted(pod) => self.pod_changed(pod, ctx),
            _ => {}
        }
    }

    fn handle(&mut self, event: DisruptionEvent, ctx: Ctx) {
        match event {
            DisruptionEvent::Sync(b) => {
                self.queue.done(b);
                self.sync(b, ctx);
            }
            DisruptionEvent::Recheck(b) => {
                self.rechecks[b.index()] = None;
                let delay = self.limiter.delay(ctx.now().ms());
                ctx.after(delay, DisruptionEvent::Requeue(b));
            }
            DisruptionEvent::Requeue(b) => self.enqueue(b, ctx),
        }
    }
}

impl DisruptionController {
    fn enqueue(&mut self, b: PdbId, ctx: Ctx) {
        self.queue.add(b, DisruptionEvent::Sync(b), ctx);
    }

    fn pdb_created(&mut self, b: PdbId, ctx: Ctx) {
        let i = b.index();
        if self.members.len() <= i {
            self.members.resize_with(i + 1, Members::default);
            self.rechecks.resize(i + 1, None);
        }
        let pods: Vec<PodId> = (0..ctx.store.pods().len())
            .map(|p| PodId(p as u32))
            .filter(|&p| ctx.store.pod(p).status.deleted.is_none())
            .collect();
        for p in pods {
            self.update_memberships(p, ctx.store);
        }
        self.enqueue(b, ctx);
    }

    /// Re-counts a pod in the budgets it left and joined; returns the budgets selecting it
    /// by its labels now (a pod gone included), in creation order.
    fn update_memberships(&mut self, pod: PodId, store: &Store) -> Vec<PdbId> {
        let now = Seen::of(store, pod, self.members.len());
        if self.seen.len() <= pod.index() {
            self.seen.resize_with(pod.index() + 1, Seen::default);
        }
        let before = std::mem::replace(&mut self.seen[pod.index()], now);
        let now = &self.seen[pod.index()];
        for b in &before.budgets {
            self.members[b.index()].remove(pod, &before);
        }
        for b in &now.budgets {
            self.members[b.index()].add(pod, now);
        }
        if store.pod(pod).status.deleted.is_some() {
            let p = store.pod(pod);
            return (0..self.members.len())
                .map(|i| PdbId(i as u32))
                .filter(|&b| store.pdb(b).selects(&p.meta.namespace, &p.meta.labels))
                .collect();
        }
        now.budgets.clone()
    }

    /// Upstream's `addPod`, `updatePod` and `deletePod`: the first budget selecting the pod
    /// is queued.
    fn pod_changed(&mut self, pod: PodId, ctx: Ctx) {
        if self.members.is_empty() {
            return;
        }
        let budgets = self.update_memberships(pod, ctx.store);
        let Some(&first) = budgets.first() else {
            return;
        };
        if budgets.len() > 1 {
            let p = ctx.store.pod(pod);
            let message = format!(
                "Pod {:?}/{:?} matches multiple PodDisruptionBudgets.  Chose {:?} arbitrarily.",
                p.meta.namespace,
                p.meta.name,
                ctx.store.pdb(first).name
            );
            ctx.record_pod(pod, EventType::Warning, REASON_MULTIPLE_PDBS, message);
        }
        self.enqueue(first, ctx);
    }

    fn sync(&mut self, b: PdbId, ctx: Ctx) {
        let now = ctx.now();
        let budget = ctx.store.pdb(b).clone();
        let object = format!("PodDisruptionBudget/{}/{}", budget.namespace, budget.name);
        let pods = &self.members[b.index()];
        if pods.is_empty() {
            ctx.record(
                EventType::Normal,
                REASON_NO_PODS,
                object.clone(),
                "No matching pods found".to_string(),
            );
        }
        let old = ctx.store.pdb_status(b).clone();
        let figures = match expected_pod_count(ctx.store, &budget, pods) {
            Ok(f) => f,
            Err(e) => {
                let message = format!("Failed to calculate the number of expected pods: {e}");
                ctx.record(EventType::Warning, REASON_CALCULATE_FAILED, object, message);
                ctx.store.set_pdb_status(b, fail_safe(&old, e, now));
                return;
            }
        };
        if figures.unmanaged > 0 {
            let message = format!(
                "Pods selected by this PodDisruptionBudget (selector: {}) were found to be \
                 unmanaged. As a result, the status of the PDB cannot be calculated correctly, \
                 which may result in undefined behavior. To account for these pods please set \
                 \".spec.minAvailable\" field of the PDB to an integer value.",
                budget.selector_go_string()
            );
            ctx.record(EventType::Warning, REASON_UNMANAGED_PODS, object, message);
        }
        let map = disrupted_pod_map(ctx.store, pods, &old.disrupted_pods, now);
        for &pod in &map.not_deleted {
            // Upstream formats the budget as `%s/%s` of its namespace twice.
            let ns = &budget.namespace;
            let message = format!("Pod was expected by PDB {ns}/{ns} to be deleted but it wasn't");
            ctx.record_pod(pod, EventType::Warning, REASON_NOT_DELETED, message);
        }
        let healthy = count_healthy(ctx.store, pods, &map.kept, now);
        let status = updated_status(&old, healthy, figures, map.kept, now);
        ctx.store.set_pdb_status(b, status);
        if let Some(at) = map.recheck {
            self.recheck_at(b, at, ctx);
        }
    }

    /// Queues a recheck of `b` at `at`, unless one is queued no later (upstream's delaying
    /// queue keeps each item's earliest time).
    fn recheck_at(&mut self, b: PdbId, at: SimTime, ctx: Ctx) {
        let slot = &mut self.rechecks[b.index()];
        if let Some((t, timer)) = *slot {
            if t <= at {
                return;
            }
            ctx.cancel(timer);
        }
        *slot = Some((at, ctx.at(at, DisruptionEvent::Recheck(b))));
    }
}

/// What `getExpectedPodCount` finds for a budget's pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// `expectedPods`.
    pub expected: i64,
    /// `desiredHealthy`.
    pub desired: i64,
    /// Pods without a controller, when the scale counts (`unmanagedPods`).
    pub unmanaged: usize,
}

/// `expectedPods` and `desiredHealthy` of `budget` over its `pods` (see the module's doc), or
/// upstream's error. Each controller is looked up once, with its first pod, in pod order
/// (upstream walks the pods and stops at the first error).
pub fn expected_pod_count(
    store: &Store,
    budget: &PodDisruptionBudget,
    pods: &Members,
) -> Result<Figures, String> {
    if !budget.counts_scale() {
        let expected = pods.pods.len() as i64;
        return Ok(Figures {
            expected,
            desired: budget.desired_healthy(expected),
            unmanaged: 0,
        });
    }
    let mut owners: Vec<PodId> = (pods.by_owner.values())
        .filter_map(|set| set.first().copied())
        .collect();
    owners.sort_unstable();
    // Each controller counted once, by uid (upstream's `controllerScale` map).
    let mut scales: BTreeMap<Uid, i64> = BTreeMap::new();
    for p in owners {
        let pod = store.pod(p);
        let Some(owner) = pod.meta.controller() else {
            continue;
        };
        match controller_scale(store, owner, &pod.meta.namespace)? {
            Some((uid, scale)) => {
                scales.entry(uid).or_insert(scale);
            }
            None => return Err(format!("found no controllers for pod {:?}", pod.meta.name)),
        }
    }
    let expected = scales.values().sum();
    Ok(Figures {
        expected,
        desired: budget.desired_healthy(expected),
        unmanaged: pods.unmanaged,
    })
}

/// The scale of a pod's controller through upstream's finders (`getPodReplicationController`,
/// `getPodDeployment`, `getPodReplicaSet`, `getPodStatefulSet`, then `getScaleController`),
/// keyed by the uid of the object whose scale it is; `Ok(None)` when none finds it; `Err`
/// for a kind without a scale subresource, or one the API server does not serve.
fn controller_scale(
    store: &Store,
    owner: &OwnerReference,
    namespace: &str,
) -> Result<Option<(Uid, i64)>, String> {
    let key = |uid: &Uid| uid.clone();
    let group = owner.api_version.split_once('/').map_or("", |(g, _)| g);
    let apps = matches!(group, "apps" | "extensions");
    match (&*owner.kind, group) {
        ("ReplicationController", "") | ("ReplicaSet", "apps" | "extensions") => {
            let Some(id) = store.replica_set_id(namespace, &owner.name) else {
                return Ok(None);
            };
            let rs = store.replica_set(id);
            if rs.meta.uid != owner.uid || rs.spec.kind.kind() != &*owner.kind {
                return Ok(None);
            }
            // A ReplicaSet of a live Deployment counts as the Deployment.
            if let Some(d) = rs.meta.controller()
                && &*d.kind == "Deployment"
                && let Some(dep) = store.deployment_id(namespace, &d.name)
                && store.deployment(dep).meta.uid == d.uid
            {
                let dep = store.deployment(dep);
                return Ok(Some((key(&dep.meta.uid), i64::from(dep.spec.replicas))));
            }
            Ok(Some((key(&rs.meta.uid), i64::from(rs.spec.replicas))))
        }
        ("StatefulSet", "apps") => Ok(store
            .stateful_set_id(namespace, &owner.name)
            .map(|id| store.stateful_set(id))
            .filter(|s| s.meta.uid == owner.uid)
            .map(|s| (key(&s.meta.uid), i64::from(s.spec.replicas)))),
        ("Deployment", _) if apps => Ok(store
            .deployment_id(namespace, &owner.name)
            .map(|id| store.deployment(id))
            .filter(|d| d.meta.uid == owner.uid)
            .map(|d| (key(&d.meta.uid), i64::from(d.spec.replicas)))),
        (kind, _) => match without_scale(kind) {
            Some(resource) => Err(format!(
                "{resource} does not implement the scale subresource"
            )),
            None => Err(format!(
                "no matches for kind {kind:?} in version {:?}",
                owner.api_version
            )),
        },
    }
}

/// The group and resource (`daemonsets.apps`) of a kind the API server serves without a
/// scale subresource.
fn without_scale(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "DaemonSet" => "daemonsets.apps",
        "Job" => "jobs.batch",
        "CronJob" => "cronjobs.batch",
        "Node" => "nodes",
        "Pod" => "pods",
        _ => return None,
    })
}

/// What `buildDisruptedPodMap` keeps of a budget's `disruptedPods`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisruptedPods {
    /// The entries kept.
    pub kept: BTreeMap<String, SimTime>,
    /// The earliest deadline among them, when to look again.
    pub recheck: Option<SimTime>,
    /// Pods past the timeout and still not being deleted.
    pub not_deleted: Vec<PodId>,
}

/// Keeps the entries of `old` whose pods are among `pods`, not being deleted, and let go no
/// more than the timeout before `now` (an entry exactly at its deadline stays).
pub fn disrupted_pod_map(
    store: &Store,
    pods: &Members,
    old: &BTreeMap<String, SimTime>,
    now: SimTime,
) -> DisruptedPods {
    let mut out = DisruptedPods::default();
    for (name, &at) in old {
        let Some(p) = member(store, pods, name) else {
            continue;
        };
        if store.pod(p).status.terminating.is_some() {
            continue;
        }
        let deadline = at + DELETION_TIMEOUT_MS;
        if deadline < now {
            out.not_deleted.push(p);
        } else {
            out.recheck = Some(out.recheck.map_or(deadline, |r| r.min(deadline)));
            out.kept.insert(name.clone(), at);
        }
    }
    out
}

/// The member pod of this name (the members share their budget's namespace).
fn member(store: &Store, pods: &Members, name: &str) -> Option<PodId> {
    let first = *pods.pods.first()?;
    let ns = &store.pod(first).meta.namespace;
    store.pod_id(ns, name).filter(|p| pods.pods.contains(p))
}

/// `countHealthyPods`: pods Ready, not being deleted, and not let go by the eviction API
/// less than the timeout ago (`disrupted`: the entries kept, none of them being deleted).
pub fn count_healthy(
    store: &Store,
    pods: &Members,
    disrupted: &BTreeMap<String, SimTime>,
    now: SimTime,
) -> i64 {
    let held = (disrupted.iter())
        .filter(|&(_, &at)| at + DELETION_TIMEOUT_MS > now)
        .filter_map(|(name, _)| member(store, pods, name))
        .filter(|&p| store.pod(p).status.ready)
        .count();
    (pods.healthy - held) as i64
}

/// The status `updatePdbStatus` writes (the old one when nothing changed).
pub fn updated_status(
    old: &PdbStatus,
    healthy: i64,
    figures: Figures,
    disrupted: BTreeMap<String, SimTime>,
    now: SimTime,
) -> PdbStatus {
    let mut allowed = healthy - figures.desired;
    if figures.expected <= 0 || allowed <= 0 {
        allowed = 0;
    }
    let unchanged = old.current_healthy == healthy
        && old.desired_healthy == figures.desired
        && old.expected_pods == figures.expected
        && old.disruptions_allowed == allowed
        && old.disrupted_pods == disrupted
        && old.observed_generation == GENERATION
        && old.condition_up_to_date();
    if unchanged {
        return old.clone();
    }
    let mut s = PdbStatus {
        observed_generation: GENERATION,
        disrupted_pods: disrupted,
        disruptions_allowed: allowed,
        current_healthy: healthy,
        desired_healthy: figures.desired,
        expected_pods: figures.expected,
        condition: old.condition.clone(),
    };
    s.update_condition(now);
    s
}

/// `failSafe`: no disruption allowed, and the condition says why; the rest as it was.
pub fn fail_safe(old: &PdbStatus, error: String, now: SimTime) -> PdbStatus {
    let mut s = old.clone();
    s.disruptions_allowed = 0;
    s.set_condition(ConditionStatus::False, SYNC_FAILED, error, now);
    s
}

#[cfg(test)]
mod tests;
