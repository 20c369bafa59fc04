//! kube-scheduler: the queue, the framework, the plugins and the profiles.
//!
//! The scheduler watches the store like upstream's informers: unbound pods enter its queue,
//! bound pods are counted in its per-node cache, node and pod changes move waiting pods. One
//! [`SchedulerEvent::ScheduleOne`] event runs one cycle for the head of the active queue
//! (`pkg/scheduler/schedule_one.go`); the cycle itself takes no simulated time.

pub mod cache;
pub mod config;
pub mod explain;
pub mod framework;
pub mod images;
pub mod plugins;
pub mod profile;
pub mod queue;

use crate::api::event::{EventType, Message};
use crate::engine::{Outbox, SimRng, SimTime};
use crate::store::{Change, NodeId, PodId, Store};
use cache::{NodeFacts, NodeInfo, node_tree_order};
use config::SchedulerConfig;
use explain::AttemptRecord;
use framework::{ClusterEvents, ClusterView};
use images::ImageStates;
use plugins::Registry;
use profile::{CycleDetail, CycleResult, Profile};
use queue::{BACKOFF_FLUSH_MS, SchedulingQueue, UNSCHEDULABLE_FLUSH_MS};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The scheduler's own timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerEvent {
    /// Run one scheduling cycle.
    ScheduleOne,
    /// The 1-second back-off flush.
    FlushBackoff,
    /// The 30-second unschedulable-pool sweep.
    FlushUnschedulable,
}

/// Counters the run summary reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    /// Cycles run.
    pub attempts: u64,
    /// Pods bound.
    pub scheduled: u64,
    /// Cycles that found no node.
    pub unschedulable: u64,
    /// Cycles that failed with an error.
    pub errors: u64,
}

/// The kube-scheduler component.
pub struct Scheduler {
    profiles: Vec<Profile>,
    profile_by_name: BTreeMap<String, usize>,
    queue: SchedulingQueue,
    nodes: Vec<NodeInfo>,
    /// Cluster-wide counts over `nodes`.
    facts: NodeFacts,
    /// Image sizes and the nodes holding them.
    images: ImageStates,
    /// Node names, shared by the Scheduled events.
    node_names: Vec<Arc<str>>,
    order: Vec<usize>,
    order_stale: bool,
    next_start: usize,
    rng: SimRng,
    counted: Vec<bool>,
    cycle_pending: bool,
    backoff_tick_pending: bool,
    unschedulable_tick_pending: bool,
    explain: Option<Vec<AttemptRecord>>,
    stats: SchedulerStats,
}

impl Scheduler {
    /// Builds every profile of `config`. Errors list every problem found.
    pub fn new(
        config: &SchedulerConfig,
        registry: &Registry,
        rng: SimRng,
        explain: bool,
    ) -> Result<(Scheduler, Vec<String>), Vec<String>> {
        let mut profiles = Vec::new();
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        let mut profile_by_name = BTreeMap::new();
        for cfg in &config.profiles {
            if profile_by_name.contains_key(&cfg.scheduler_name) {
                errors.push(format!(
                    "duplicate profile schedulerName {:?}",
                    cfg.scheduler_name
                ));
                continue;
            }
            match Profile::build(cfg, config.percentage_of_nodes_to_score, registry) {
                Ok((p, w)) => {
                    profile_by_name.insert(cfg.scheduler_name.clone(), profiles.len());
                    profiles.push(p);
                    warnings.extend(w);
                }
                Err(e) => errors.extend(e),
            }
        }
        if profiles.is_empty() && errors.is_empty() {
            errors.push("at least one scheduler profile is required".to_string());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let s = Scheduler {
            profiles,
            profile_by_name,
            queue: SchedulingQueue::new(),
            nodes: Vec::new(),
            facts: NodeFacts::EMPTY,
            images: ImageStates::new(),
            node_names: Vec::new(),
            order: Vec::new(),
            order_stale: false,
            next_start: 0,
            rng,
            counted: Vec::new(),
            cycle_pending: false,
            backoff_tick_pending: false,
            unschedulable_tick_pending: false,
            explain: explain.then(Vec::new),
            stats: SchedulerStats::default(),
        };
        Ok((s, warnings))
    }

    /// The built profiles.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// Counters so far.
    pub fn stats(&self) -> SchedulerStats {
        self.stats
    }

    /// Sizes of activeQ, backoffQ and the unschedulable pool.
    pub fn queue_lengths(&self) -> (usize, usize, usize) {
        (
            self.queue.active_len(),
            self.queue.backoff_len(),
            self.queue.unschedulable_len(),
        )
    }

    /// Takes the explain records produced since the last call.
    pub fn take_explain(&mut self, into: &mut Vec<AttemptRecord>) {
        if let Some(v) = &mut self.explain {
            into.append(v);
        }
    }

    /// The scheduler's per-node view.
    pub fn node_infos(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// Reacts to a store change (the informers' event handlers).
    pub fn on_change(&mut self, change: Change, store: &Store, out: &mut Outbox<SchedulerEvent>) {
        let now = out.now();
        match change {
            Change::NodeAdded(id) => {
                debug_assert_eq!(id.0 as usize, self.nodes.len());
                let mut info = NodeInfo::new(id, store.node(id).clone());
                self.images.add_node(&mut info, &store.node(id).images);
                self.nodes.push(info);
                self.facts.count(store.node(id), true);
                self.node_names.push(Arc::from(store.node(id).name()));
                self.order_stale = true;
                self.cluster_event(ClusterEvents::NODE_ADD, now);
            }
            Change::PodCreated(id) | Change::PodUngated(id) => self.enqueue(id, store, now),
            Change::NodeImageAdded(id, index) => {
                if let Some(image) = store.node(id).images.get(index as usize) {
                    self.images.add_image(&mut self.nodes[id.0 as usize], image);
                }
            }
            Change::PvCreated(_) => self.cluster_event(ClusterEvents::PV_ADD_OR_UPDATE, now),
            Change::PvcCreated(_) => self.cluster_event(ClusterEvents::PVC_ADD_OR_UPDATE, now),
            Change::ClaimBound(..) => self.cluster_event(
                ClusterEvents::PV_ADD_OR_UPDATE.or(ClusterEvents::PVC_ADD_OR_UPDATE),
                now,
            ),
            Change::PodBound(id, node) => {
                self.ensure_counted_len(id);
                if !self.counted[id.0 as usize] {
                    self.counted[id.0 as usize] = true;
                    self.nodes[node.0 as usize].add_pod(store.pod(id));
                }
                self.cluster_event(ClusterEvents::ASSIGNED_POD_ADD, now);
            }
            Change::PodPhase(id, phase) if phase.is_terminal() => self.forget(id, store, now),
            Change::PodDeleted(id) => {
                let profiles = &self.profiles;
                self.queue.remove(id, &|a, b| profiles[0].less(a, b));
                self.forget(id, store, now);
            }
            Change::PodPhase(..) | Change::JobCreated(_) => {}
        }
        self.arm_timers(out);
    }

    /// Adds an unbound pod to the queue if its profile's PreEnqueue plugins let it in. A pod
    /// with scheduling gates never enters, whatever the plugins: the API server would refuse
    /// to bind it.
    fn enqueue(&mut self, id: PodId, store: &Store, now: SimTime) {
        let pod = store.pod(id);
        if pod.status.node.is_some() || pod.status.deleted.is_some() {
            return;
        }
        let Some(&pi) = self.profile_by_name.get(&*pod.spec.scheduler_name) else {
            return;
        };
        if !pod.spec.scheduling_gates.is_empty() || self.profiles[pi].pre_enqueue(pod).is_some() {
            return;
        }
        let profiles = &self.profiles;
        self.queue
            .add(id, pod.spec.priority, now, &|a, b| profiles[0].less(a, b));
    }

    fn ensure_counted_len(&mut self, id: PodId) {
        if self.counted.len() <= id.0 as usize {
            self.counted.resize(id.0 as usize + 1, false);
        }
    }

    fn forget(&mut self, id: PodId, store: &Store, now: SimTime) {
        self.ensure_counted_len(id);
        if self.counted[id.0 as usize] {
            self.counted[id.0 as usize] = false;
            let pod = store.pod(id);
            if let Some(n) = pod.status.node {
                self.nodes[n as usize].remove_pod(pod);
            }
            self.cluster_event(ClusterEvents::ASSIGNED_POD_DELETE, now);
        }
    }

    fn cluster_event(&mut self, event: ClusterEvents, now: SimTime) {
        if self.queue.unschedulable_len() == 0 {
            return;
        }
        let profiles = &self.profiles;
        self.queue
            .on_cluster_event(event, now, &|a, b| profiles[0].less(a, b));
    }

    fn arm_timers(&mut self, out: &mut Outbox<SchedulerEvent>) {
        let now = out.now();
        if self.queue.active_len() > 0 && !self.cycle_pending {
            self.cycle_pending = true;
            out.at(now, SchedulerEvent::ScheduleOne);
        }
        if self.queue.backoff_len() > 0 && !self.backoff_tick_pending {
            self.backoff_tick_pending = true;
            out.at(
                next_multiple(now, BACKOFF_FLUSH_MS),
                SchedulerEvent::FlushBackoff,
            );
        }
        if self.queue.unschedulable_len() > 0 && !self.unschedulable_tick_pending {
            self.unschedulable_tick_pending = true;
            out.at(
                next_multiple(now, UNSCHEDULABLE_FLUSH_MS),
                SchedulerEvent::FlushUnschedulable,
            );
        }
    }

    /// Handles one of the scheduler's own events.
    pub fn handle(
        &mut self,
        event: SchedulerEvent,
        store: &mut Store,
        out: &mut Outbox<SchedulerEvent>,
    ) {
        let now = out.now();
        let profiles = &self.profiles;
        match event {
            SchedulerEvent::ScheduleOne => {
                self.cycle_pending = false;
                self.schedule_one(store, now);
            }
            SchedulerEvent::FlushBackoff => {
                self.backoff_tick_pending = false;
                self.queue
                    .flush_backoff(now, &|a, b| profiles[0].less(a, b));
            }
            SchedulerEvent::FlushUnschedulable => {
                self.unschedulable_tick_pending = false;
                self.queue
                    .flush_unschedulable(now, &|a, b| profiles[0].less(a, b));
            }
        }
        self.arm_timers(out);
    }

    fn schedule_one(&mut self, store: &mut Store, now: SimTime) {
        let profiles = &self.profiles;
        let Some(mut info) = self.queue.pop(&|a, b| profiles[0].less(a, b)) else {
            return;
        };
        let pod_id = info.pod;
        {
            let pod = store.pod(pod_id);
            if pod.status.deleted.is_some() || pod.status.node.is_some() {
                return;
            }
        }
        info.attempts += 1;
        store.pod_status_mut(pod_id).scheduling_attempts = info.attempts;
        self.stats.attempts += 1;
        let pod = store.pod(pod_id);
        let Some(&pi) = self.profile_by_name.get(&*pod.spec.scheduler_name) else {
            return;
        };
        if self.order_stale {
            self.order = node_tree_order(&self.nodes);
            self.order_stale = false;
        }
        let mut detail = self.explain.as_ref().map(|_| CycleDetail::default());
        let cluster = ClusterView {
            store: &*store,
            images: &self.images,
        };
        let mut result = self.profiles[pi].run_cycle(
            pod,
            &self.nodes,
            cluster,
            self.facts,
            &self.order,
            &mut self.next_start,
            &mut self.rng,
            detail.as_mut(),
        );
        // The binding cycle: PreBind plugins make their API changes before the pod is bound.
        if let CycleResult::Scheduled(ni) = result
            && let Err(e) = self.profiles[pi].pre_bind(pod_id, NodeId(ni as u32), store, now)
        {
            result = CycleResult::Error(e);
        }
        let (result_str, node_name, message) = match result {
            CycleResult::Scheduled(ni) => {
                let node_id = NodeId(ni as u32);
                self.stats.scheduled += 1;
                store.bind(pod_id, node_id, now);
                store.pod_status_mut(pod_id).reason = None;
                let object = store.pod_object(pod_id);
                let node = self.node_names[ni].clone();
                let msg = Message::Assigned {
                    object,
                    node: node.clone(),
                };
                store.record_pod(now, pod_id, EventType::Normal, "Scheduled", msg);
                ("Scheduled", Some(node), None)
            }
            CycleResult::Unschedulable(diag) => {
                self.stats.unschedulable += 1;
                let msg = diag.message();
                info.requeue_on = diag.requeue_on;
                self.queue.add_unschedulable(info.clone(), now);
                store.pod_status_mut(pod_id).reason = Some("Unschedulable");
                store.record_pod(
                    now,
                    pod_id,
                    EventType::Warning,
                    "FailedScheduling",
                    msg.clone(),
                );
                ("Unschedulable", None, Some(msg))
            }
            CycleResult::Error(e) => {
                self.stats.errors += 1;
                self.queue.add_backoff(info.clone(), now);
                store.record_pod(
                    now,
                    pod_id,
                    EventType::Warning,
                    "FailedScheduling",
                    e.clone(),
                );
                ("Error", None, Some(e))
            }
        };
        if let (Some(records), Some(d)) = (&mut self.explain, detail) {
            let name = |i: usize| self.nodes[i].name().to_string();
            records.push(AttemptRecord {
                time: now,
                pod: store.pod(pod_id).key(),
                profile: self.profiles[pi].name.clone(),
                attempt: info.attempts,
                result: result_str,
                node: node_name.map(|n| n.to_string()),
                message,
                filter: d.filter.into_iter().map(|f| (name(f.node), f)).collect(),
                scores: d.scores.into_iter().map(|s| (name(s.node), s)).collect(),
            });
        }
    }
}

/// The first multiple of `period` strictly after `now`.
fn next_multiple(now: SimTime, period: i64) -> SimTime {
    SimTime((now.ms() / period + 1) * period)
}
