//! What the faults cost, for `summary.json`: the faults run, evictions, pods lost, container
//! restarts, each workload's availability and each fault's time to recover. Followed from
//! the store's changes and the recorder as they happen (exact, not read from the samples),
//! so any fault kind is covered: it shows as nodes leaving Ready, pods evicted and
//! workloads short of ready replicas.
//!
//! - A workload's availability is `ready / desired` (at most 1; 1 when nothing is desired):
//!   a Deployment's or StatefulSet's `spec.replicas` and `status.readyReplicas`, a
//!   DaemonSet's `desiredNumberScheduled` and `numberReady`. It is counted from the first
//!   moment the workload had something desired and all of it ready (its first rollout is
//!   not downtime), or from its creation if that never happened, to the end of the run (or
//!   its deletion). States that last no time (several writes in one instant) do not count.
//! - A workload loses availability when its ready replicas fall and it is then short
//!   (`ready < desired`); the loss is put down to the latest fault at or before it that
//!   struck one of its pods (on the fault's nodes, or crashed by it), else to the latest
//!   fault at or before it (a replacement preempting it, a node's memory running out). A
//!   fault's time to recover runs from the fault until every workload that lost
//!   availability because of it is whole again (`ready >= desired`): 0 when none did,
//!   `None` when one was still short at the end.
//! - A pod is lost when it was bound to a node and not ended as the node's `Ready`
//!   condition left `True`, or when eviction deleted it; each pod counts once.

use crate::api::node::{ConditionStatus, NodeConditionType};
use crate::component::{CommandRecord, CommandStatus};
use crate::engine::SimTime;
use crate::store::{
    ArenaId, Change, ChangeKind, DaemonSetId, DeploymentId, NodeId, NodeUpdate, PodId,
    StatefulSetId, Store, Watch, WorkloadChange,
};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A workload's ready and desired replicas at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replicas {
    /// Ready replicas (a DaemonSet's: nodes with a ready daemon pod).
    pub ready: u32,
    /// Desired replicas (a DaemonSet's: nodes that should run it).
    pub desired: u32,
}

impl Replicas {
    /// `ready / desired`, at most 1; 1 when nothing is desired.
    pub fn availability(self) -> f64 {
        if self.desired == 0 {
            1.0
        } else {
            f64::from(self.ready.min(self.desired)) / f64::from(self.desired)
        }
    }

    /// Every desired replica is ready.
    pub fn whole(self) -> bool {
        self.ready >= self.desired
    }
}

/// The workloads whose availability is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Deployment,
    DaemonSet,
    StatefulSet,
}

impl Kind {
    /// The object's kind in `metrics.csv`.
    fn series(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::DaemonSet => "daemonset",
            Kind::StatefulSet => "statefulset",
        }
    }
}

/// The replicas of a Deployment, DaemonSet or StatefulSet, as the availability series reads
/// them, and its namespace and name.
fn read(store: &Store, kind: Kind, index: usize) -> (Replicas, &str, &str) {
    match kind {
        Kind::Deployment => {
            let d = store.deployment(DeploymentId::from_index(index));
            let r = Replicas {
                ready: d.status.ready,
                desired: d.spec.replicas,
            };
            (r, &d.meta.namespace, &d.meta.name)
        }
        Kind::DaemonSet => {
            let d = store.daemon_set(DaemonSetId::from_index(index));
            let r = Replicas {
                ready: d.status.ready,
                desired: d.status.desired,
            };
            (r, &d.meta.namespace, &d.meta.name)
        }
        Kind::StatefulSet => {
            let s = store.stateful_set(StatefulSetId::from_index(index));
            let r = Replicas {
                ready: s.status.ready,
                desired: s.spec.replicas,
            };
            (r, &s.meta.namespace, &s.meta.name)
        }
    }
}

/// One fault and the workloads waiting to be whole again after it.
#[derive(Clone, Debug)]
struct FaultTrack {
    time: SimTime,
    text: String,
    /// The workloads whose pods it struck.
    struck: BTreeSet<(Kind, usize)>,
    /// Workloads (track indices) that lost availability because of it.
    affected: BTreeSet<usize>,
    /// How many of them are still short.
    open: usize,
    /// When the last of them was whole again (the fault's time while none was).
    recovered: SimTime,
}

/// The latest fault at or before `t` that struck workload `w`, else the latest fault at or
/// before `t` (faults are recorded in time order).
fn latest_fault(faults: &[FaultTrack], t: SimTime, w: (Kind, usize)) -> Option<usize> {
    let before = faults.partition_point(|f| f.time <= t);
    (0..before)
        .rev()
        .find(|&i| faults[i].struck.contains(&w))
        .or(before.checked_sub(1))
}

/// Container restarts, summed over every pod.
fn total_restarts(store: &Store) -> u64 {
    store
        .pods()
        .iter()
        .map(|p| u64::from(p.status.restarts))
        .sum()
}

/// The workload that owns a pod: its controller, or its ReplicaSet's Deployment.
fn owner(store: &Store, pod: PodId) -> Option<(Kind, usize)> {
    let owner = store.pod(pod).meta.controller()?;
    match &*owner.kind {
        "ReplicaSet" => {
            let rs = store.replica_set(store.replica_set_by_uid(&owner.uid)?);
            let d = store.deployment_by_uid(&rs.meta.controller()?.uid)?;
            Some((Kind::Deployment, d.index()))
        }
        "DaemonSet" => Some((
            Kind::DaemonSet,
            store.daemon_set_by_uid(&owner.uid)?.index(),
        )),
        "StatefulSet" => Some((
            Kind::StatefulSet,
            store.stateful_set_by_uid(&owner.uid)?.index(),
        )),
        _ => None,
    }
}

/// One workload's availability over time.
#[derive(Clone, Debug)]
struct Track {
    kind: Kind,
    index: usize,
    object: Arc<str>,
    created: SimTime,
    /// From when it counts: first whole with something desired.
    since: Option<SimTime>,
    /// The current instant, and the replicas held before it and now.
    at: SimTime,
    held: Replicas,
    now: Replicas,
    /// ∫ availability dt, in ms, over the counted time.
    area_ms: f64,
    down_ms: i64,
    min: Option<f64>,
    /// Faults waiting for it to be whole again.
    waiting: Vec<usize>,
    /// When it was deleted.
    ended: Option<SimTime>,
}

impl Track {
    fn new(kind: Kind, index: usize, object: Arc<str>, t: SimTime, r: Replicas) -> Track {
        Track {
            kind,
            index,
            object,
            created: t,
            since: None,
            at: t,
            held: r,
            now: r,
            area_ms: 0.0,
            down_ms: 0,
            min: None,
            waiting: Vec::new(),
            ended: None,
        }
    }

    /// The replicas are `r` at `t` (not before the last update).
    fn update(&mut self, id: usize, t: SimTime, r: Replicas, faults: &mut [FaultTrack]) {
        if t > self.at {
            self.close(id, faults);
            self.hold(t);
        }
        self.now = r;
    }

    /// The instant `at` is over: what changed from the replicas held before it.
    fn close(&mut self, id: usize, faults: &mut [FaultTrack]) {
        let (held, now, t) = (self.held, self.now, self.at);
        if self.since.is_none() && now.desired > 0 && now.whole() {
            self.since = Some(t);
            (self.area_ms, self.down_ms, self.min) = (0.0, 0, None);
        }
        if now.ready < held.ready
            && !now.whole()
            && let Some(f) = latest_fault(faults, t, (self.kind, self.index))
        {
            if !self.waiting.contains(&f) {
                self.waiting.push(f);
                faults[f].open += 1;
            }
            faults[f].affected.insert(id);
        }
        if now.whole() {
            self.release(t, faults);
        }
        self.held = now;
    }

    /// The replicas now hold until `t`.
    fn hold(&mut self, t: SimTime) {
        let dt = t - self.at;
        if dt > 0 {
            let a = self.now.availability();
            self.area_ms += a * dt as f64;
            if !self.now.whole() {
                self.down_ms += dt;
            }
            self.min = Some(self.min.map_or(a, |m| m.min(a)));
        }
        self.at = t;
    }

    /// The faults waiting for it are done with it at `t`.
    fn release(&mut self, t: SimTime, faults: &mut [FaultTrack]) {
        for f in self.waiting.drain(..) {
            let fault = &mut faults[f];
            fault.open -= 1;
            fault.recovered = fault.recovered.max(t);
        }
    }

    /// Counts up to `end` (the end of the run, or its deletion).
    fn finish(&mut self, id: usize, end: SimTime, faults: &mut [FaultTrack]) {
        let end = self.ended.unwrap_or(end).max(self.at);
        self.close(id, faults);
        self.hold(end);
    }

    fn summary(&self, end: SimTime) -> WorkloadAvailability {
        let end = self.ended.unwrap_or(end);
        let from = self.since.unwrap_or(self.created);
        let span = end - from;
        WorkloadAvailability {
            object: self.object.to_string(),
            since: self.since,
            mean: if span > 0 {
                self.area_ms / span as f64
            } else {
                self.now.availability()
            },
            downtime_s: self.down_ms as f64 / 1000.0,
            min: self.min.unwrap_or_else(|| self.now.availability()),
        }
    }
}

/// A workload's availability over the run, for `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadAvailability {
    /// `deployment/NS/NAME`, `daemonset/...` or `statefulset/...`, as in `metrics.csv`.
    pub object: String,
    /// When it first had something desired and all of it ready (counted from then).
    pub since: Option<SimTime>,
    /// Time-weighted mean availability.
    pub mean: f64,
    /// Seconds with fewer ready replicas than desired.
    pub downtime_s: f64,
    /// The lowest availability held for some time.
    pub min: f64,
}

/// A fault and how long the workloads took to recover from it.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRecovery {
    /// When it happened.
    pub time: SimTime,
    /// The timeline's text (`node-crash n-1`).
    pub fault: String,
    /// Workloads that lost availability because of it.
    pub workloads_affected: usize,
    /// From the fault until they were all whole again; `None`: not within the run.
    pub time_to_recover: Option<i64>,
}

/// What the faults cost over the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultCostSummary {
    /// Each fault run, in order.
    pub faults: Vec<FaultRecovery>,
    /// The taint eviction controller's marks for deletion and the pods the eviction API let
    /// go.
    pub evictions: u64,
    /// Container restarts during the run, summed over every pod.
    pub restarts: u64,
    /// Pods lost (see the module docs).
    pub pods_lost: u64,
    /// Each Deployment, DaemonSet and StatefulSet, by kind then creation.
    pub availability: Vec<WorkloadAvailability>,
}

/// Follows the faults, evictions, nodes and workloads of a run.
#[derive(Clone, Debug, Default)]
pub struct FaultCost {
    faults: Vec<FaultTrack>,
    /// Recorder commands looked at so far.
    commands_seen: usize,
    tracks: Vec<Track>,
    /// Track index by kind and arena index.
    by_kind: [Vec<Option<usize>>; 3],
    evictions: u64,
    /// Pod indices lost.
    lost: BTreeSet<u32>,
    /// Container restarts the pods had before the run (a snapshot's `restartCount`).
    restarts_before: u64,
}

impl FaultCost {
    /// The changes it follows.
    pub const WATCHES: Watch = Watch::of(&[
        ChangeKind::NodeUpdated,
        ChangeKind::Deployment,
        ChangeKind::DaemonSet,
        ChangeKind::StatefulSet,
    ]);

    /// Takes the faults recorded since the last call (the recorder's commands so far), the
    /// pods they struck still in `store`.
    pub fn on_commands(&mut self, commands: &[CommandRecord], store: &Store) {
        // A repair (`node-recover`) ends a fault rather than being one: what follows it is
        // still put down to the fault before. A fault that failed (a pod fault that found
        // no pod) struck nothing.
        let faults = (commands.iter().skip(self.commands_seen)).filter(|c| {
            c.fault && c.status != CommandStatus::Failed && !c.command.starts_with("node-recover")
        });
        for c in faults {
            self.faults.push(FaultTrack {
                time: c.time,
                text: c.command.clone(),
                struck: c.struck.iter().filter_map(|&p| owner(store, p)).collect(),
                affected: BTreeSet::new(),
                open: 0,
                recovered: c.time,
            });
        }
        self.commands_seen = commands.len();
    }

    /// The restarts the pods of `store` had before the run: not the run's.
    pub fn restarts_before(&mut self, store: &Store) {
        self.restarts_before = total_restarts(store);
    }

    /// Takes the evictions recorded since the last call.
    pub fn on_evictions(&mut self, pods: &[PodId]) {
        self.evictions += pods.len() as u64;
        self.lost.extend(pods.iter().map(|p| p.0));
    }

    /// Follows one change (the store as it is after it) at `now`.
    pub fn on_change(&mut self, change: &Change, store: &Store, now: SimTime) {
        match change {
            Change::NodeUpdated { node, old, what } if what.contains(NodeUpdate::CONDITIONS) => {
                let ready = |c: Option<ConditionStatus>| c == Some(ConditionStatus::True);
                let was = ready(old.condition(NodeConditionType::Ready));
                let is = ready(store.node(*node).condition(NodeConditionType::Ready));
                if was && !is {
                    self.node_lost(store, *node);
                }
            }
            Change::Deployment { id, what } => {
                self.workload(store, Kind::Deployment, id.index(), *what, now)
            }
            Change::DaemonSet { id, what } => {
                self.workload(store, Kind::DaemonSet, id.index(), *what, now)
            }
            Change::StatefulSet { id, what } => {
                self.workload(store, Kind::StatefulSet, id.index(), *what, now)
            }
            _ => {}
        }
    }

    /// The pods of a node that left Ready are lost.
    fn node_lost(&mut self, store: &Store, node: NodeId) {
        self.lost
            .extend(store.pods_on_node(node).iter().map(|p| p.0));
    }

    fn workload(
        &mut self,
        store: &Store,
        kind: Kind,
        index: usize,
        what: WorkloadChange,
        t: SimTime,
    ) {
        let (r, namespace, name) = read(store, kind, index);
        let slots = &mut self.by_kind[kind as usize];
        if slots.len() <= index {
            slots.resize(index + 1, None);
        }
        let id = *slots[index].get_or_insert_with(|| {
            let object = format!("{}/{namespace}/{name}", kind.series());
            self.tracks
                .push(Track::new(kind, index, Arc::from(object), t, r));
            self.tracks.len() - 1
        });
        let track = &mut self.tracks[id];
        if track.ended.is_some() {
            return;
        }
        track.update(id, t, r, &mut self.faults);
        if what == WorkloadChange::Deleted {
            track.close(id, &mut self.faults);
            track.release(t, &mut self.faults);
            track.ended = Some(t);
        }
    }

    /// The figures at `end`, the end of the run.
    pub fn summary(&self, store: &Store, end: SimTime) -> FaultCostSummary {
        let mut faults = self.faults.clone();
        let mut tracks = self.tracks.clone();
        for (id, t) in tracks.iter_mut().enumerate() {
            t.finish(id, end, &mut faults);
        }
        tracks.sort_by_key(|t| (t.kind, t.index));
        FaultCostSummary {
            faults: faults
                .iter()
                .map(|f| FaultRecovery {
                    time: f.time,
                    fault: f.text.clone(),
                    workloads_affected: f.affected.len(),
                    time_to_recover: (f.open == 0).then(|| f.recovered - f.time),
                })
                .collect(),
            evictions: self.evictions,
            restarts: total_restarts(store).saturating_sub(self.restarts_before),
            pods_lost: self.lost.len() as u64,
            availability: tracks.iter().map(|t| t.summary(end)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::{DeploymentSpec, DeploymentStrategy, PodTemplate, RollingUpdate};
    use crate::api::meta::ObjectMeta;
    use crate::api::{LabelSelector, Labels};

    /// A store with a Deployment of `replicas`, and its id.
    fn deployment(replicas: u32) -> (Store, DeploymentId) {
        let mut store = Store::new();
        let labels: Labels = [("app".to_string(), "web".to_string())].into();
        let spec = DeploymentSpec {
            replicas,
            selector: LabelSelector::from_parts(&labels, &[]).unwrap(),
            template: PodTemplate {
                meta: ObjectMeta {
                    labels: Arc::new(labels),
                    ..ObjectMeta::default()
                },
                spec: crate::api::testing::pod("t", 100, 0).spec,
            },
            strategy: DeploymentStrategy::RollingUpdate(RollingUpdate::default()),
            min_ready_ms: 0,
            revision_history_limit: 10,
            progress_deadline_ms: Some(600_000),
            paused: false,
        };
        let id = store.create_deployment(ObjectMeta::named("default", "web"), spec, SimTime::ZERO);
        (store, id)
    }

    fn fault(seconds: i64, text: &str) -> CommandRecord {
        CommandRecord {
            time: SimTime::from_secs(seconds),
            command: text.into(),
            output: Vec::new(),
            status: CommandStatus::Done,
            fault: true,
            struck: Vec::new(),
        }
    }

    /// Follows a Deployment through `steps` of (ms, ready replicas), with `faults` recorded
    /// as they fall due; the figures at `end_s`.
    fn follow(
        replicas: u32,
        steps: &[(i64, u32)],
        faults: &[CommandRecord],
        end_s: i64,
    ) -> FaultCostSummary {
        let (mut store, id) = deployment(replicas);
        let mut cost = FaultCost::default();
        let change = |cost: &mut FaultCost, store: &Store, what, ms| {
            let recorded: Vec<CommandRecord> = (faults.iter())
                .filter(|f| f.time.ms() <= ms)
                .cloned()
                .collect();
            cost.on_commands(&recorded, store);
            let change = Change::Deployment { id, what };
            cost.on_change(&change, store, SimTime::from_ms(ms));
        };
        change(&mut cost, &store, WorkloadChange::Created, 0);
        for &(ms, ready) in steps {
            store.update_deployment_status(id, |st| st.ready = ready);
            change(&mut cost, &store, WorkloadChange::Status, ms);
        }
        cost.on_commands(faults, &store);
        cost.summary(&store, SimTime::from_secs(end_s))
    }

    #[test]
    fn availability_counts_from_the_first_rollout_and_the_fault_waits_for_the_workload() {
        // Ready at 3 s; a crash at 600 s costs one of two replicas from 655 s to 956 s.
        let s = follow(
            2,
            &[(3_000, 2), (655_000, 1), (956_000, 2)],
            &[
                fault(600, "node-crash n-1"),
                fault(1800, "node-recover n-1"),
            ],
            2400,
        );
        let a = &s.availability[0];
        assert_eq!(a.object, "deployment/default/web");
        assert_eq!(a.since, Some(SimTime::from_secs(3)));
        assert_eq!((a.downtime_s, a.min), (301.0, 0.5));
        assert!(
            (a.mean - (1.0 - 301.0 * 0.5 / 2397.0)).abs() < 1e-12,
            "{}",
            a.mean
        );
        let recoveries: Vec<(&str, usize, Option<i64>)> = (s.faults.iter())
            .map(|f| (f.fault.as_str(), f.workloads_affected, f.time_to_recover))
            .collect();
        // The repair is not a fault of its own.
        assert_eq!(recoveries, [("node-crash n-1", 1, Some(356_000))]);
    }

    /// Two nodes crash 34 s apart and the first one's pods go not ready after the second:
    /// the loss is the first crash's, which struck the workload.
    #[test]
    fn a_loss_goes_to_the_latest_fault_that_struck_the_workload() {
        let track = |secs: i64, struck: &[(Kind, usize)]| FaultTrack {
            time: SimTime::from_secs(secs),
            text: String::new(),
            struck: struck.iter().copied().collect(),
            affected: BTreeSet::new(),
            open: 0,
            recovered: SimTime::ZERO,
        };
        let (web, db) = ((Kind::Deployment, 0), (Kind::StatefulSet, 0));
        let faults = [track(100, &[web]), track(440, &[web]), track(474, &[db])];
        let at = SimTime::from_secs(485);
        assert_eq!(latest_fault(&faults, at, web), Some(1));
        assert_eq!(latest_fault(&faults, at, db), Some(2));
        // A workload no fault struck: the latest fault before the loss.
        assert_eq!(latest_fault(&faults, at, (Kind::DaemonSet, 0)), Some(2));
        assert_eq!(latest_fault(&faults, SimTime::from_secs(450), db), Some(1));
        assert_eq!(latest_fault(&faults, SimTime::from_secs(50), web), None);
    }

    #[test]
    fn a_workload_still_short_at_the_end_leaves_its_fault_unrecovered() {
        let s = follow(
            4,
            &[(1_000, 4), (70_000, 2)],
            &[fault(60, "node-crash n-1")],
            100,
        );
        assert_eq!(s.faults[0].time_to_recover, None);
        assert_eq!(s.faults[0].workloads_affected, 1);
        let a = &s.availability[0];
        assert_eq!((a.downtime_s, a.min), (30.0, 0.5));
    }

    #[test]
    fn losses_before_any_fault_and_states_of_no_time_are_nobody_s() {
        // Short from 10 s to 20 s with no fault yet; at 30 s a replica drops and returns in
        // the same instant; the fault at 40 s costs nothing.
        let s = follow(
            2,
            &[
                (1_000, 2),
                (10_000, 1),
                (20_000, 2),
                (30_000, 1),
                (30_000, 2),
            ],
            &[fault(40, "node-crash n-1")],
            100,
        );
        let a = &s.availability[0];
        assert_eq!((a.downtime_s, a.min), (10.0, 0.5));
        assert_eq!(s.faults[0].workloads_affected, 0);
        assert_eq!(s.faults[0].time_to_recover, Some(0));
    }

    #[test]
    fn a_workload_never_whole_counts_from_its_creation() {
        let s = follow(3, &[(5_000, 1)], &[], 10);
        let a = &s.availability[0];
        assert_eq!(a.since, None);
        assert_eq!((a.downtime_s, a.min), (10.0, 0.0));
        assert!((a.mean - 5.0 / 3.0 / 10.0).abs() < 1e-12, "{}", a.mean);
    }

    #[test]
    fn availability_is_capped_at_one_and_one_when_nothing_is_desired() {
        let r = |ready, desired| Replicas { ready, desired }.availability();
        assert_eq!((r(3, 2), r(0, 0), r(1, 4)), (1.0, 1.0, 0.25));
    }
}
