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
pub mod plugin;
pub mod plugins;
pub mod pod_index;
pub mod profile;
pub mod queue;

use crate::api::event::{EventType, Message};
use crate::engine::{Outbox, RngStreams, SimRng, SimTime};
use crate::store::{Change, NodeId, PodId, Store};
use cache::{NodeFacts, NodeInfo, NodeSet, node_tree_order};
use config::SchedulerConfig;
use explain::{AttemptRecord, PreemptionRecord};
use framework::Nomination;
use framework::{ClusterEvents, ClusterView};
use images::ImageStates;
use plugins::Registry;
use pod_index::{NamespaceLabels, PodIndex};
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
    /// Pods evicted as preemption victims. Nothing increments it yet: PostFilter preemption
    /// is not modelled, and when it lands it counts each victim here.
    pub preemptions: u64,
}

/// The kube-scheduler component.
pub struct Scheduler {
    profiles: Vec<Profile>,
    profile_by_name: BTreeMap<String, usize>,
    queue: SchedulingQueue,
    nodes: Vec<NodeInfo>,
    /// Cluster-wide counts over `nodes`.
    facts: NodeFacts,
    /// Bound pods by selector and topology domain.
    pods: PodIndex,
    /// Pods nominated to a node by preemption (node index).
    nominated: BTreeMap<PodId, usize>,
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
    /// Whether any profile has a plugin that watches the cluster.
    watched: bool,
}

/// Checks a scheduler configuration against a registry by building its profiles:
/// `Ok(warnings)` or `Err(every error)`. This is the check
/// [`crate::scenario::load_scenario_checked`] takes; pass the registry the run will use.
pub fn check_config(
    config: &SchedulerConfig,
    registry: &Registry,
) -> Result<Vec<String>, Vec<String>> {
    Scheduler::new(config, registry, 0, false).map(|(_, w)| w)
}

impl Scheduler {
    /// Builds every profile of `config`, plugins from `registry`. The tie-break stream is the
    /// `scheduler` stream of `seed`; plugin factories get `seed` itself. Errors list every
    /// problem found.
    pub fn new(
        config: &SchedulerConfig,
        registry: &Registry,
        seed: u64,
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
            match Profile::build(cfg, config.percentage_of_nodes_to_score, registry, seed) {
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
        // One queue serves every profile, so they must sort it alike (upstream validation).
        if let Some((first, rest)) = profiles.split_first() {
            for p in rest {
                if p.queue_sort_name() != first.queue_sort_name() {
                    errors.push(format!(
                        "profile {}: queueSort plugin {} differs from {} of profile {}: the scheduling queue is shared, so every profile must use the same queueSort plugin",
                        p.name,
                        p.queue_sort_name(),
                        first.queue_sort_name(),
                        first.name
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let watched = profiles.iter().any(Profile::has_watchers);
        let s = Scheduler {
            profiles,
            profile_by_name,
            queue: SchedulingQueue::new(),
            nodes: Vec::new(),
            facts: NodeFacts::EMPTY,
            pods: PodIndex::default(),
            nominated: BTreeMap::new(),
            images: ImageStates::new(),
            node_names: Vec::new(),
            order: Vec::new(),
            order_stale: false,
            next_start: 0,
            rng: RngStreams::new(seed).stream("scheduler"),
            counted: Vec::new(),
            cycle_pending: false,
            backoff_tick_pending: false,
            unschedulable_tick_pending: false,
            explain: explain.then(Vec::new),
            stats: SchedulerStats::default(),
            watched,
        };
        Ok((s, warnings))
    }

    /// Sets the namespace labels `namespaceSelector`s match (before any pod is bound).
    pub fn set_namespace_labels(&mut self, labels: NamespaceLabels) {
        self.pods = PodIndex::new(labels);
        for n in &self.nodes {
            self.pods.add_node(&n.node);
        }
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
                self.pods.add_node(store.node(id));
                self.node_names.push(Arc::from(store.node(id).name()));
                if self.watched
                    && let Some(n) = self.nodes.last()
                {
                    for p in &mut self.profiles {
                        p.for_each_watcher(|w| w.node_added(n));
                    }
                }
                self.order_stale = true;
                self.cluster_event(ClusterEvents::NODE_ADD, now);
            }
            Change::PodCreated(id) => {
                if self.watched {
                    let pod = store.pod(id);
                    for p in &mut self.profiles {
                        p.for_each_watcher(|w| w.pod_created(pod));
                    }
                }
                self.enqueue(id, store, now);
            }
            Change::PodUngated(id) => self.enqueue(id, store, now),
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
                self.nominated.remove(&id);
                self.ensure_counted_len(id);
                if !self.counted[id.0 as usize] {
                    self.counted[id.0 as usize] = true;
                    let (pod, n) = (store.pod(id), &mut self.nodes[node.0 as usize]);
                    n.add_pod(pod);
                    self.pods.pod_bound(pod, node.0 as usize);
                    self.pods.list_bound(id, pod, node.0 as usize);
                    if self.watched {
                        for p in &mut self.profiles {
                            p.for_each_watcher(|w| w.pod_assigned(pod, n));
                        }
                    }
                }
                self.cluster_event(ClusterEvents::ASSIGNED_POD_ADD, now);
            }
            Change::PodPhase(id, phase) if phase.is_terminal() => self.forget(id, store, now),
            Change::PodDeleted(id) => {
                self.nominated.remove(&id);
                let profiles = &self.profiles;
                self.queue.remove(id, &|a, b| profiles[0].less(a, b));
                self.forget(id, store, now);
            }
            Change::PodPhase(..) | Change::PodTerminating(_) | Change::JobCreated(_) => {}
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
        let group = profiles[0].queue_group(pod);
        self.queue.add(id, pod.spec.priority, group, now, &|a, b| {
            profiles[0].less(a, b)
        });
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
                self.pods.pod_unbound(pod, n as usize);
                self.pods.unlist_bound(id, n as usize);
                let n = &mut self.nodes[n as usize];
                n.remove_pod(pod);
                if self.watched {
                    for p in &mut self.profiles {
                        p.for_each_watcher(|w| w.pod_unassigned(pod, n));
                    }
                }
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
        // Pods that count other pods need their selectors indexed before the cycle.
        if pod.spec.pod_affinity.is_some()
            || !pod.spec.topology_spread_constraints.is_empty()
            || !store.services().is_empty()
        {
            for m in self.pods.prepare(pod, store.services()) {
                let counted = &self.counted;
                let bound = counted
                    .iter()
                    .enumerate()
                    .filter(|&(_, c)| *c)
                    .filter_map(|(i, _)| {
                        let p = store.pod(PodId(i as u32));
                        p.status.node.map(|n| (p, n as usize))
                    });
                self.pods.ensure_matcher(&m, bound);
            }
        }
        // Pods nominated to a node by preemption, of at least this pod's priority, hold their
        // place there while this pod is filtered (upstream's RunFilterPluginsWithNominatedPods).
        let holding: Vec<(PodId, usize)> = self
            .nominated
            .iter()
            .filter(|&(&p, _)| p != pod_id && store.pod(p).spec.priority >= pod.spec.priority)
            .map(|(&p, &n)| (p, n))
            .collect();
        for &(p, n) in &holding {
            self.nodes[n].add_pod(store.pod(p));
        }
        let mut detail = self.explain.as_ref().map(|_| CycleDetail::default());
        let cluster = NodeSet::new(&self.nodes, &self.order)
            .with_facts(self.facts)
            .with_pods(&self.pods);
        let view = ClusterView {
            store: &*store,
            images: &self.images,
        };
        let mut result = self.profiles[pi].run_cycle(
            pod,
            cluster,
            view,
            &mut self.next_start,
            &mut self.rng,
            detail.as_mut(),
        );
        // PostFilter (preemption) when no node fits.
        let post = match &result {
            CycleResult::Unschedulable(diag) => {
                self.profiles[pi].post_filter(pod, cluster, view, diag, &mut self.rng)
            }
            _ => None,
        };
        for &(p, n) in &holding {
            self.nodes[n].remove_pod(store.pod(p));
        }
        // The binding cycle: PreBind plugins make their API changes before the pod is bound.
        if let CycleResult::Scheduled(ni) = result
            && let Err(e) = self.profiles[pi].pre_bind(pod_id, NodeId(ni as u32), store, now)
        {
            result = CycleResult::Error(e);
        }
        let mut preemption = None;
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
                let mut msg = diag.message();
                match post {
                    Some((status, Some(nomination))) if status.is_success() => {
                        preemption = Some(self.nominate(pod_id, nomination, store, now));
                    }
                    Some((status, _)) => {
                        // Upstream's FitError appends the PostFilter message as " %v.".
                        msg = format!("{msg} {}.", status.reasons.join(", "));
                        preemption = Some(PreemptionRecord::default());
                    }
                    None => {}
                }
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
                weights: self.profiles[pi].score_weights(),
                preemption,
            });
        }
    }

    /// Carries out a preemption: the victims are deleted with their grace period and told
    /// why, lower-priority pods nominated to the node lose their nomination, and the pod is
    /// nominated (it is not bound in this cycle).
    fn nominate(
        &mut self,
        pod_id: PodId,
        nomination: Nomination,
        store: &mut Store,
        now: SimTime,
    ) -> PreemptionRecord {
        let node = nomination.node;
        let node_name = self.node_names[node].clone();
        let preemptor = store.pod(pod_id).key();
        let priority = store.pod(pod_id).spec.priority;
        let mut victims = Vec::with_capacity(nomination.victims.len());
        for &v in &nomination.victims {
            victims.push(store.pod(v).key());
            if store.pod(v).status.terminating.is_none() {
                let msg = format!("Preempted by pod {preemptor} on node {node_name}");
                store.record_pod(now, v, EventType::Normal, "Preempted", msg);
                store.pod_status_mut(v).reason = Some("Preempted");
                store.request_deletion(v, now);
            }
        }
        let losing: Vec<PodId> = self
            .nominated
            .iter()
            .filter(|&(&p, &n)| n == node && p != pod_id && store.pod(p).spec.priority < priority)
            .map(|(&p, _)| p)
            .collect();
        for p in losing {
            self.nominated.remove(&p);
            store.pod_status_mut(p).nominated_node = None;
        }
        self.nominated.insert(pod_id, node);
        store.pod_status_mut(pod_id).nominated_node = Some(node as u32);
        self.stats.preemptions += nomination.victims.len() as u64;
        PreemptionRecord {
            nominated_node: Some(node_name.to_string()),
            victims,
        }
    }
}

/// The first multiple of `period` strictly after `now`.
fn next_multiple(now: SimTime, period: i64) -> SimTime {
    SimTime((now.ms() / period + 1) * period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::config::{ExtensionPoint, PluginRef, ProfileConfig};

    /// A pod whose `schedulerName` no profile has is not this scheduler's: it stays Pending,
    /// untouched, as upstream's kube-scheduler ignores pods for other schedulers. (The loader
    /// rejects such pods, so only code that creates pods at run time can hand one over.)
    #[test]
    fn a_pod_for_another_scheduler_stays_pending_untouched() {
        use crate::scheduler::plugins::testing::{node, pod};
        let (mut sched, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
        let mut store = Store::new();
        store.add_node((*node("n1", 4000, 1 << 30).node).clone());
        let mut p = pod("elsewhere", 100, 0);
        Arc::make_mut(&mut p.spec).scheduler_name = "other-scheduler".into();
        let id = store.create_pod(p);
        let mut out = Outbox::new(SimTime::ZERO);
        let mut changes = Vec::new();
        store.take_changes(&mut changes);
        for c in changes {
            sched.on_change(c, &store, &mut out);
        }
        assert!(out.drain().next().is_none(), "no scheduling cycle is armed");
        sched.handle(SchedulerEvent::ScheduleOne, &mut store, &mut out);
        assert_eq!(store.pod(id).status.node, None);
        assert_eq!(store.pod(id).status.scheduling_attempts, 0);
        let mut events = Vec::new();
        store.take_events(&mut events);
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn every_profile_must_sort_the_shared_queue_alike() {
        let mut drf = ProfileConfig::named("drf");
        let qs = drf.plugins.at_mut(ExtensionPoint::QueueSort);
        qs.enabled.push(PluginRef {
            name: plugins::names::DOMINANT_RESOURCE_FAIRNESS.into(),
            weight: 0,
        });
        qs.disabled.push(plugins::names::PRIORITY_SORT.into());
        let config = |profiles| SchedulerConfig {
            percentage_of_nodes_to_score: None,
            profiles,
        };
        let registry = Registry::in_tree();
        let mixed = config(vec![ProfileConfig::named("default-scheduler"), drf.clone()]);
        let errors = check_config(&mixed, &registry).expect_err("two queue sorts");
        assert_eq!(
            errors,
            [
                "profile drf: queueSort plugin kubesim.io/DominantResourceFairness differs from PrioritySort of profile default-scheduler: the scheduling queue is shared, so every profile must use the same queueSort plugin"
            ]
        );
        let mut other = drf.clone();
        other.scheduler_name = "other".into();
        assert!(check_config(&config(vec![drf, other]), &registry).is_ok());
    }
}
