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

use crate::api::Node;
use crate::api::event::{EventType, Message};
use crate::component::{
    AttemptRecord, Component, ComponentMetrics, Context, FilterVerdict, NodeScores,
    PreemptionRecord,
};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, NodeUpdate, PodId, Store, Watch};
use cache::{NodeFacts, NodeInfo, NodeSet, NodeTree};
use config::SchedulerConfig;
use framework::{ApiHandle, ClusterEvents, ClusterView, Nomination};
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
    /// Pods the scheduler deleted as preemption victims (victims already terminating when
    /// a preemption chose them are not counted again).
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
    /// The nodes by zone.
    tree: NodeTree,
    /// The walk order: `tree` listed when a node last joined (upstream's snapshot rebuilds
    /// its node list only when a node is added or removed).
    order: Vec<usize>,
    order_stale: bool,
    next_start: usize,
    counted: Vec<bool>,
    cycle_pending: bool,
    backoff_tick_pending: bool,
    unschedulable_tick_pending: bool,
    /// Whether each attempt is recorded in detail (`--explain`).
    explain: bool,
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
    /// Builds every profile of `config`, plugins from `registry`. Plugin factories get `seed`
    /// (the tie-breaks draw from the component's stream, `scheduler`). Errors list every
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
            tree: NodeTree::default(),
            order: Vec::new(),
            order_stale: false,
            next_start: 0,
            counted: Vec::new(),
            cycle_pending: false,
            backoff_tick_pending: false,
            unschedulable_tick_pending: false,
            explain,
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

    /// The scheduler's per-node view.
    pub fn node_infos(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// Reacts to a store change (the informers' event handlers).
    fn react(&mut self, change: &Change, store: &Store, now: SimTime) {
        match *change {
            Change::NodeAdded(id) => {
                debug_assert_eq!(id.0 as usize, self.nodes.len());
                let mut info = NodeInfo::new(id, store.node(id).clone());
                self.images.add_node(&mut info, &store.node(id).images);
                self.nodes.push(info);
                self.facts.count(store.node(id), true);
                self.pods.add_node(store.node(id));
                self.tree.add(id.0 as usize, store.node(id));
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
            Change::NodeUpdated { node, what, .. } => self.update_node(node, what, store, now),
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
            Change::NodeImageAdded { node, index } => {
                if let Some(image) = store.node(node).images.get(index as usize) {
                    self.images
                        .add_image(&mut self.nodes[node.0 as usize], image);
                }
            }
            Change::PvCreated(_) => self.cluster_event(ClusterEvents::PV_ADD_OR_UPDATE, now),
            Change::PvcCreated(_) => self.cluster_event(ClusterEvents::PVC_ADD_OR_UPDATE, now),
            Change::ClaimBound { .. } => self.cluster_event(
                ClusterEvents::PV_ADD_OR_UPDATE.or(ClusterEvents::PVC_ADD_OR_UPDATE),
                now,
            ),
            Change::PodBound { pod: id, node } => {
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
            Change::PodPhase { pod, to, .. } if to.is_terminal() => self.forget(pod, store, now),
            Change::PodDeleted(id) => {
                self.nominated.remove(&id);
                let profiles = &self.profiles;
                self.queue.remove(id, &|a, b| profiles[0].less(a, b));
                self.forget(id, store, now);
            }
            _ => {}
        }
    }

    /// A node was updated (upstream `updateNodeInCache`, `pkg/scheduler/eventhandlers.go`):
    /// every per-node structure takes the store's node, then the events the update amounts
    /// to move the unschedulable pods that wait for them.
    ///
    /// The cache's own copy is the "before": the store may already hold later updates whose
    /// changes are still to come, and those then find nothing left to do.
    fn update_node(&mut self, id: NodeId, what: NodeUpdate, store: &Store, now: SimTime) {
        let i = id.0 as usize;
        let new = store.node(id).clone();
        let old = self.nodes[i].node.clone();
        self.facts.count(&old, false);
        self.facts.count(&new, true);
        self.pods.update_node(i, &new);
        // The tree follows a zone change now; the walk order picks it up when a node next
        // joins, as upstream's `UpdateSnapshot` rebuilds its node list only then
        // (`pkg/scheduler/backend/cache/cache.go`).
        self.tree.update(i, &old, &new);
        self.nodes[i].set_node(new.clone());
        if self.watched {
            let n = &self.nodes[i];
            for p in &mut self.profiles {
                p.for_each_watcher(|w| w.node_updated(&old, n));
            }
        }
        for event in node_update_events(&old, &new, what) {
            self.cluster_event(event, now);
        }
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

    fn arm_timers(&mut self, ctx: Ctx) {
        let now = ctx.now();
        if self.queue.active_len() > 0 && !self.cycle_pending {
            self.cycle_pending = true;
            ctx.at(now, SchedulerEvent::ScheduleOne);
        }
        if self.queue.backoff_len() > 0 && !self.backoff_tick_pending {
            self.backoff_tick_pending = true;
            let at = next_multiple(now, BACKOFF_FLUSH_MS);
            ctx.at(at, SchedulerEvent::FlushBackoff);
        }
        if self.queue.unschedulable_len() > 0 && !self.unschedulable_tick_pending {
            self.unschedulable_tick_pending = true;
            let at = next_multiple(now, UNSCHEDULABLE_FLUSH_MS);
            ctx.at(at, SchedulerEvent::FlushUnschedulable);
        }
    }

    fn schedule_one(&mut self, ctx: Ctx) {
        let now = ctx.now();
        let store = &mut *ctx.store;
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
        store.set_scheduling_attempts(pod_id, info.attempts);
        self.stats.attempts += 1;
        let pod = store.pod(pod_id);
        let Some(&pi) = self.profile_by_name.get(&*pod.spec.scheduler_name) else {
            return;
        };
        if self.order_stale {
            self.order = self.tree.list();
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
        let mut detail = self.explain.then(CycleDetail::default);
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
            ctx.rng,
            detail.as_mut(),
        );
        // PostFilter (preemption) when no node fits.
        let post = match &result {
            CycleResult::Unschedulable(diag) => {
                self.profiles[pi].post_filter(pod, cluster, view, diag, ctx.rng)
            }
            _ => None,
        };
        for &(p, n) in &holding {
            self.nodes[n].remove_pod(store.pod(p));
        }
        // The binding cycle: PreBind plugins make their API changes before the pod is bound.
        if let CycleResult::Scheduled(ni) = result {
            let mut api = ApiHandle {
                store: &mut *ctx.store,
                recorder: &mut *ctx.recorder,
                now,
            };
            if let Err(e) = self.profiles[pi].pre_bind(pod_id, NodeId(ni as u32), &mut api) {
                result = CycleResult::Error(e);
            }
        }
        let store = &mut *ctx.store;
        let mut preemption = None;
        let (result_str, node_name, message) = match result {
            CycleResult::Scheduled(ni) => {
                let node_id = NodeId(ni as u32);
                self.stats.scheduled += 1;
                store.bind(pod_id, node_id, now);
                store.set_pod_reason(pod_id, None);
                let object = ctx.pod_object(pod_id);
                let node = self.node_names[ni].clone();
                let msg = Message::Assigned {
                    object,
                    node: node.clone(),
                };
                ctx.record_pod(pod_id, EventType::Normal, "Scheduled", msg);
                ("Scheduled", Some(node), None)
            }
            CycleResult::Unschedulable(diag) => {
                self.stats.unschedulable += 1;
                let mut msg = diag.message();
                match post {
                    Some((status, Some(nomination))) if status.is_success() => {
                        preemption = Some(self.nominate(pod_id, nomination, ctx));
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
                ctx.store.set_pod_reason(pod_id, Some("Unschedulable"));
                let reason = "FailedScheduling";
                ctx.record_pod(pod_id, EventType::Warning, reason, msg.clone());
                ("Unschedulable", None, Some(msg))
            }
            CycleResult::Error(e) => {
                self.stats.errors += 1;
                self.queue.add_backoff(info.clone(), now);
                ctx.record_pod(pod_id, EventType::Warning, "FailedScheduling", e.clone());
                ("Error", None, Some(e))
            }
        };
        if let Some(d) = detail {
            let name = |i: usize| self.nodes[i].name().to_string();
            let filter = d.filter.into_iter().map(|f| {
                let verdict = FilterVerdict {
                    status: f.code.as_str(),
                    plugin: f.plugin,
                    reason: f.reason,
                };
                (name(f.node), verdict)
            });
            let scores = d.scores.into_iter().map(|s| {
                let scores = NodeScores {
                    plugins: s.plugins,
                    total: s.total,
                };
                (name(s.node), scores)
            });
            ctx.recorder.attempt(AttemptRecord {
                time: now,
                pod: ctx.store.pod(pod_id).key(),
                profile: self.profiles[pi].name.clone(),
                attempt: info.attempts,
                result: result_str,
                node: node_name.map(|n| n.to_string()),
                message,
                filter: filter.collect(),
                scores: scores.collect(),
                weights: self.profiles[pi].score_weights(),
                preemption,
            });
        }
    }

    /// Carries out a preemption: the victims are deleted with their grace period and told
    /// why, lower-priority pods nominated to the node lose their nomination, and the pod is
    /// nominated (it is not bound in this cycle).
    fn nominate(&mut self, pod_id: PodId, nomination: Nomination, ctx: Ctx) -> PreemptionRecord {
        let now = ctx.now();
        let node = nomination.node;
        let node_name = self.node_names[node].clone();
        let preemptor = ctx.store.pod(pod_id).key();
        let priority = ctx.store.pod(pod_id).spec.priority;
        let mut victims = Vec::with_capacity(nomination.victims.len());
        for &v in &nomination.victims {
            victims.push(ctx.store.pod(v).key());
            if ctx.store.pod(v).status.terminating.is_none() {
                let msg = format!("Preempted by pod {preemptor} on node {node_name}");
                ctx.record_pod(v, EventType::Normal, "Preempted", msg);
                ctx.store.set_pod_reason(v, Some("Preempted"));
                if ctx.store.request_deletion(v, now) {
                    self.stats.preemptions += 1;
                }
            }
        }
        let losing: Vec<PodId> = self
            .nominated
            .iter()
            .filter(|&(&p, &n)| {
                n == node && p != pod_id && ctx.store.pod(p).spec.priority < priority
            })
            .map(|(&p, _)| p)
            .collect();
        for p in losing {
            self.nominated.remove(&p);
            ctx.store.set_nominated_node(p, None);
        }
        self.nominated.insert(pod_id, node);
        ctx.store
            .set_nominated_node(pod_id, Some(NodeId(node as u32)));
        PreemptionRecord {
            nominated_node: Some(node_name.to_string()),
            victims,
        }
    }
}

type Ctx<'a, 'b> = &'a mut Context<'b, SchedulerEvent>;

impl Component for Scheduler {
    type Event = SchedulerEvent;

    fn name(&self) -> &str {
        "scheduler"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::NodeAdded,
            ChangeKind::NodeUpdated,
            ChangeKind::NodeImageAdded,
            ChangeKind::PodCreated,
            ChangeKind::PodUngated,
            ChangeKind::PodBound,
            ChangeKind::PodPhase,
            ChangeKind::PodDeleted,
            ChangeKind::PvCreated,
            ChangeKind::PvcCreated,
            ChangeKind::ClaimBound,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        self.react(change, ctx.store, ctx.now());
        self.arm_timers(ctx);
    }

    fn handle(&mut self, event: SchedulerEvent, ctx: Ctx) {
        let now = ctx.now();
        let profiles = &self.profiles;
        match event {
            SchedulerEvent::ScheduleOne => {
                self.cycle_pending = false;
                self.schedule_one(ctx);
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
        self.arm_timers(ctx);
    }

    fn export(&self, m: &mut ComponentMetrics) {
        m.scheduler_active += self.queue.active_len() as u64;
        m.scheduler_backoff += self.queue.backoff_len() as u64;
        m.scheduler_unschedulable += self.queue.unschedulable_len() as u64;
        m.schedule_attempts += self.stats.attempts;
        m.preemption_victims += self.stats.preemptions;
    }
}

/// The first multiple of `period` strictly after `now`.
fn next_multiple(now: SimTime, period: i64) -> SimTime {
    SimTime((now.ms() / period + 1) * period)
}

/// The cluster events a node update amounts to, in upstream's order
/// (`NodeSchedulingPropertiesChange`, `pkg/scheduler/framework/events.go`): uncordoning is
/// `UpdateNodeTaint` and cordoning nothing; allocatable, labels and taints each when they
/// differ; conditions, which the node object does not carry, when the store says so.
fn node_update_events(old: &Node, new: &Node, what: NodeUpdate) -> Vec<ClusterEvents> {
    let checks = [
        (
            old.unschedulable && !new.unschedulable,
            ClusterEvents::NODE_TAINT,
        ),
        (
            old.allocatable != new.allocatable,
            ClusterEvents::NODE_ALLOCATABLE,
        ),
        (
            old.meta.labels != new.meta.labels,
            ClusterEvents::NODE_LABEL,
        ),
        (old.taints != new.taints, ClusterEvents::NODE_TAINT),
        (
            what.contains(NodeUpdate::CONDITIONS),
            ClusterEvents::NODE_CONDITION,
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(changed, event)| changed.then_some(event))
        .collect()
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
        use crate::component::Harness;
        use crate::scheduler::plugins::testing::{node, pod};
        let (sched, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
        let mut h = Harness::new(sched);
        h.store.add_node((*node("n1", 4000, 1 << 30).node).clone());
        let mut p = pod("elsewhere", 100, 0);
        Arc::make_mut(&mut p.spec).scheduler_name = "other-scheduler".into();
        let id = h.store.create_pod(p);
        h.run_until(SimTime::from_secs(3600));
        assert_eq!(h.now(), SimTime::ZERO, "no scheduling cycle was armed");
        assert_eq!(h.store.pod(id).status.node, None);
        assert_eq!(h.store.pod(id).status.scheduling_attempts, 0);
        assert!(h.events().is_empty());
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

/// Node updates: the scheduler's per-node state and the cluster events they amount to.
#[cfg(test)]
mod node_update_tests {
    use super::*;
    use crate::api::pod::Pod;
    use crate::api::pod_affinity::{
        InclusionPolicy, PodAffinity, PodAffinityTerm, TopologySpreadConstraint, WhenUnsatisfiable,
    };
    use crate::api::selector::LabelSelector;
    use crate::api::{Labels, Resources, Taint, TaintEffect};
    use crate::component::Harness;
    use crate::scheduler::plugins::testing::{node, pod};
    use crate::store::check_invariants;

    const ZONE: &str = crate::api::node::LABEL_ZONE;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A 1-cpu node object.
    fn node_obj(name: &str) -> Node {
        (*node(name, 1000, 1 << 30).node).clone()
    }

    fn taint(key: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: String::new(),
            effect,
        }
    }

    fn cpu(cpu_m: i64) -> Resources {
        Resources {
            cpu_m,
            memory: 1 << 30,
            pods: 110,
            ..Resources::default()
        }
    }

    fn harness() -> Harness<Scheduler> {
        let (s, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
        Harness::new(s)
    }

    /// A write to a node.
    type Update = fn(&mut Store, NodeId);

    /// How a node starts, what pod waits for it, and what update is made at 30 s.
    struct Case {
        name: &'static str,
        node: fn(&mut Node),
        pod: fn(&mut Pod),
        update: Update,
    }

    fn tainted(n: &mut Node) {
        n.taints = vec![taint("k", TaintEffect::NoSchedule)];
    }
    fn cordoned(n: &mut Node) {
        n.unschedulable = true;
    }
    fn as_is(_: &mut Node) {}
    fn big(p: &mut Pod) {
        p.spec = Arc::new(pod("p", 2000, 0).spec.as_ref().clone());
    }
    fn wants_ssd(p: &mut Pod) {
        Arc::make_mut(&mut p.spec).node_selector = labels(&[("disk", "ssd")]);
    }
    fn plain(_: &mut Pod) {}
    /// Labelled `app=web`, spread over zones with maxSkew 1.
    fn spread(p: &mut Pod) {
        p.meta.labels = Arc::new(labels(&[("app", "web")]));
        Arc::make_mut(&mut p.spec)
            .topology_spread_constraints
            .push(TopologySpreadConstraint {
                max_skew: 1,
                topology_key: ZONE.into(),
                when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                label_selector: Some(LabelSelector::parse("app=web").unwrap()),
                min_domains: None,
                node_affinity_policy: InclusionPolicy::Honor,
                node_taints_policy: InclusionPolicy::Ignore,
                match_label_keys: Vec::new(),
            });
    }
    /// Labelled `app=web`, with required affinity to `app=web` pods in its zone.
    fn with_zone_affinity(p: &mut Pod) {
        p.meta.labels = Arc::new(labels(&[("app", "web")]));
        let term = PodAffinityTerm {
            label_selector: Some(LabelSelector::parse("app=web").unwrap()),
            namespaces: Vec::new(),
            namespace_selector: None,
            topology_key: ZONE.into(),
        };
        let mut affinity = PodAffinity::default();
        affinity.affinity.required.push(term);
        Arc::make_mut(&mut p.spec).pod_affinity = Some(affinity);
    }

    /// Runs a case to 30 s (one failed attempt), makes its update, runs to `until`: the
    /// pod's attempts and when it was bound.
    fn run(c: &Case, until: SimTime) -> (u32, Option<SimTime>) {
        let mut h = harness();
        let mut n = node_obj("n1");
        (c.node)(&mut n);
        let nid = h.store.add_node(n);
        let mut p = pod("p", 500, 0);
        (c.pod)(&mut p);
        let id = h.store.create_pod(p);
        h.run_until(SimTime::from_secs(30));
        let pod = h.store.pod(id);
        assert_eq!(
            (pod.status.scheduling_attempts, pod.status.node),
            (1, None),
            "{}: rejected once before the update",
            c.name
        );
        (c.update)(&mut h.store, nid);
        h.run_until(until);
        assert_eq!(
            check_invariants(&h.store),
            Vec::<String>::new(),
            "{}",
            c.name
        );
        let pod = h.store.pod(id);
        (pod.status.scheduling_attempts, pod.status.scheduled)
    }

    /// An update that lifts the rejection moves the pod out of the unschedulable pool at
    /// once (its 1 s back-off is long over), not at the 5-minute sweep.
    #[test]
    fn an_update_that_lifts_the_rejection_requeues_the_pod_at_once() {
        let cases = [
            Case {
                name: "TaintToleration: taint removed",
                node: tainted,
                pod: plain,
                update: |s, n| s.set_node_taints(n, vec![]),
            },
            Case {
                name: "NodeUnschedulable: uncordoned",
                node: cordoned,
                pod: plain,
                update: |s, n| s.set_unschedulable(n, false),
            },
            Case {
                name: "NodeResourcesFit: allocatable raised",
                node: as_is,
                pod: big,
                update: |s, n| s.set_node_allocatable(n, cpu(4000)),
            },
            Case {
                name: "NodeAffinity: label added",
                node: as_is,
                pod: wants_ssd,
                update: |s, n| s.set_node_labels(n, labels(&[("disk", "ssd")])),
            },
            Case {
                name: "PodTopologySpread: topology label added",
                node: as_is,
                pod: spread,
                update: |s, n| s.set_node_labels(n, labels(&[(ZONE, "z1")])),
            },
            Case {
                name: "InterPodAffinity: topology label added",
                node: as_is,
                pod: with_zone_affinity,
                update: |s, n| s.set_node_labels(n, labels(&[(ZONE, "z1")])),
            },
        ];
        for c in &cases {
            let got = run(c, SimTime::from_secs(60));
            assert_eq!(got, (2, Some(SimTime::from_secs(30))), "{}", c.name);
        }
    }

    /// An update none of the rejecting plugins registered for leaves the pod in the
    /// unschedulable pool until the 5-minute sweep (upstream moves a pod only on an event
    /// a plugin that rejected it registered: `MoveAllToActiveOrBackoffQueue`).
    #[test]
    fn an_update_the_rejecting_plugin_did_not_register_for_leaves_the_pod_waiting() {
        let cases = [
            Case {
                name: "TaintToleration, label added",
                node: tainted,
                pod: plain,
                update: |s, n| s.set_node_labels(n, labels(&[("disk", "ssd")])),
            },
            Case {
                name: "TaintToleration, allocatable raised",
                node: tainted,
                pod: plain,
                update: |s, n| s.set_node_allocatable(n, cpu(4000)),
            },
            Case {
                name: "NodeUnschedulable, label added",
                node: cordoned,
                pod: plain,
                update: |s, n| s.set_node_labels(n, labels(&[("disk", "ssd")])),
            },
            Case {
                name: "NodeResourcesFit, PreferNoSchedule taint",
                node: as_is,
                pod: big,
                update: |s, n| {
                    s.set_node_taints(n, vec![taint("soft", TaintEffect::PreferNoSchedule)])
                },
            },
            Case {
                name: "NodeResourcesFit, cordoned (a cordon is no event)",
                node: as_is,
                pod: big,
                update: |s, n| s.set_unschedulable(n, true),
            },
            Case {
                name: "NodeAffinity, taint removed",
                node: |n| {
                    tainted(n);
                    n.taints[0].effect = TaintEffect::PreferNoSchedule;
                },
                pod: wants_ssd,
                update: |s, n| s.set_node_taints(n, vec![]),
            },
        ];
        for c in &cases {
            let got = run(c, SimTime::from_secs(299));
            assert_eq!(got, (1, None), "{}: still waiting at 4m59s", c.name);
        }
        // The sweep then retries it: the waiting was the queue's, not a lost pod.
        let got = run(&cases[0], SimTime::from_secs(330));
        assert_eq!(got.0, 2, "retried by the 5-minute sweep");
    }

    /// The events an update amounts to, in upstream's order (`events.go`).
    #[test]
    fn node_update_events_follow_upstream() {
        let base = node_obj("n");
        let with = |f: fn(&mut Node)| {
            let mut n = base.clone();
            f(&mut n);
            n
        };
        let cases: [(&str, Node, Node, NodeUpdate, Vec<ClusterEvents>); 8] = [
            (
                "nothing",
                base.clone(),
                base.clone(),
                NodeUpdate::default(),
                vec![],
            ),
            (
                "uncordon",
                with(cordoned),
                base.clone(),
                NodeUpdate::UNSCHEDULABLE,
                vec![ClusterEvents::NODE_TAINT],
            ),
            (
                "cordon",
                base.clone(),
                with(cordoned),
                NodeUpdate::UNSCHEDULABLE,
                vec![],
            ),
            (
                "taints",
                base.clone(),
                with(tainted),
                NodeUpdate::TAINTS,
                vec![ClusterEvents::NODE_TAINT],
            ),
            (
                "labels",
                base.clone(),
                with(|n| n.meta.labels = Arc::new(labels(&[("a", "b")]))),
                NodeUpdate::LABELS,
                vec![ClusterEvents::NODE_LABEL],
            ),
            (
                "allocatable",
                base.clone(),
                with(|n| n.allocatable.cpu_m = 2000),
                NodeUpdate::ALLOCATABLE,
                vec![ClusterEvents::NODE_ALLOCATABLE],
            ),
            (
                "conditions (not on the object)",
                base.clone(),
                base.clone(),
                NodeUpdate::CONDITIONS,
                vec![ClusterEvents::NODE_CONDITION],
            ),
            (
                "all at once, in upstream's order",
                with(|n| {
                    cordoned(n);
                    tainted(n);
                }),
                with(|n| {
                    n.allocatable.cpu_m = 2000;
                    n.meta.labels = Arc::new(labels(&[("a", "b")]));
                }),
                NodeUpdate::CONDITIONS,
                vec![
                    ClusterEvents::NODE_TAINT,
                    ClusterEvents::NODE_ALLOCATABLE,
                    ClusterEvents::NODE_LABEL,
                    ClusterEvents::NODE_TAINT,
                    ClusterEvents::NODE_CONDITION,
                ],
            ),
        ];
        for (name, old, new, what, want) in cases {
            assert_eq!(node_update_events(&old, &new, what), want, "{name}");
        }
    }

    /// Replays the store's changes into `s` directly (no timers, no cycles).
    fn replay(s: &mut Scheduler, store: &mut Store) {
        let mut changes = Vec::new();
        store.take_changes(&mut changes);
        for c in &changes {
            if s.watches().contains(c.kind()) {
                s.react(c, store, SimTime::ZERO);
            }
        }
    }

    /// After any update, the cache equals one built from scratch from the store: node
    /// objects, hot and score numbers, cluster facts, and the pods' topology domains (the
    /// bound pod moves with its node).
    #[test]
    fn an_update_reaches_every_per_node_structure() {
        let updates: [(&str, Update); 6] = [
            ("taint NoExecute", |s, n| {
                s.set_node_taints(n, vec![taint("k", TaintEffect::NoExecute)])
            }),
            ("taint PreferNoSchedule", |s, n| {
                s.set_node_taints(n, vec![taint("k", TaintEffect::PreferNoSchedule)])
            }),
            ("cordon", |s, n| s.set_unschedulable(n, true)),
            ("allocatable", |s, n| {
                s.set_node_allocatable(n, cpu(1 << 50))
            }),
            ("zone moved", |s, n| {
                s.set_node_labels(n, labels(&[(ZONE, "z2"), ("rack", "r9")]))
            }),
            ("labels dropped", |s, n| s.set_node_labels(n, Labels::new())),
        ];
        let fresh = || {
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false)
                .unwrap()
                .0
        };
        for (name, update) in updates {
            let mut store = Store::new();
            let mut s = fresh();
            for (n, zone) in [("a", "z1"), ("b", "z2"), ("c", "z1")] {
                let mut obj = node_obj(n);
                obj.meta.labels = Arc::new(labels(&[(ZONE, zone), ("rack", "r1")]));
                store.add_node(obj);
            }
            let bound = store.create_pod(pod("bound", 300, 0));
            store.bind(bound, NodeId(0), SimTime::ZERO);
            replay(&mut s, &mut store);
            let keys = [ZONE, "rack"].map(|k| s.pods.ensure_key(k));
            update(&mut store, NodeId(0));
            replay(&mut s, &mut store);
            // The same store replayed into a new scheduler.
            let mut again = Store::new();
            for n in store.nodes() {
                again.add_node((**n).clone());
            }
            let p = again.create_pod(store.pod(bound).clone());
            again.bind(p, NodeId(0), SimTime::ZERO);
            let mut want = fresh();
            replay(&mut want, &mut again);
            let want_keys = [ZONE, "rack"].map(|k| want.pods.ensure_key(k));
            assert_eq!(s.facts, want.facts, "{name}: facts");
            for (got, want) in s.nodes.iter().zip(&want.nodes) {
                assert_eq!(got.node, want.node, "{name}: node object");
                assert_eq!(got.hot, want.hot, "{name}: hot numbers of {}", got.name());
                assert_eq!(got.score, want.score, "{name}: score numbers");
                assert_eq!(got.allocatable, want.allocatable, "{name}: allocatable");
                assert_eq!(got.requested, want.requested, "{name}: requested");
            }
            // Domain ids are given in the order values are first seen: compare which nodes
            // share a domain, and that the bound pod counts where its node now is.
            for (k, wk) in keys.iter().zip(&want_keys) {
                let (d, wd) = (s.pods.domains(*k), want.pods.domains(*wk));
                for i in 0..3 {
                    for j in 0..3 {
                        assert_eq!(
                            d[i] == d[j],
                            wd[i] == wd[j],
                            "{name}: nodes {i} and {j} under key {k:?}"
                        );
                    }
                    assert_eq!(d[i] == pod_index::NO_DOMAIN, wd[i] == pod_index::NO_DOMAIN);
                }
            }
        }
    }

    /// The walk order takes a zone change when the next node joins, not before: upstream's
    /// snapshot rebuilds its node list only when a node is added or removed.
    #[test]
    fn the_walk_order_takes_a_zone_change_when_a_node_next_joins() {
        let mut store = Store::new();
        let (mut s, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
        for (n, zone) in [("a", "z1"), ("b", "z2"), ("c", "z1")] {
            let mut obj = node_obj(n);
            obj.meta.labels = Arc::new(labels(&[(ZONE, zone)]));
            store.add_node(obj);
        }
        replay(&mut s, &mut store);
        assert!(s.order_stale);
        s.order = s.tree.list();
        s.order_stale = false;
        assert_eq!(s.order, [0, 1, 2]);
        store.set_node_labels(NodeId(0), labels(&[(ZONE, "z3")]));
        replay(&mut s, &mut store);
        assert!(!s.order_stale, "an update leaves the walk order");
        assert_eq!(
            s.tree.list(),
            [2, 1, 0],
            "the tree moved a to the new zone z3"
        );
        store.add_node(node_obj("d"));
        replay(&mut s, &mut store);
        assert!(s.order_stale);
        assert_eq!(s.tree.list(), [2, 1, 0, 3]);
    }

    fn spread_pod(name: &str) -> Pod {
        let mut p = pod(name, 100, 0);
        spread(&mut p);
        p
    }

    /// A zone change takes the pods bound on the node to the new zone: a (z1) holds the one
    /// web pod, b is in z1 and c in z2. With maxSkew 1 the next web pod must go to z2 (c);
    /// once a moves to z2 with its pod, z1 (b) is the empty zone.
    #[test]
    fn a_zone_change_moves_the_bound_pods_spread_counts() {
        for (relabel, want) in [(false, "c"), (true, "b")] {
            let mut h = harness();
            for (n, zone) in [("a", "z1"), ("b", "z1"), ("c", "z2")] {
                let mut obj = node_obj(n);
                obj.meta.labels = Arc::new(labels(&[(ZONE, zone)]));
                h.store.add_node(obj);
            }
            let first = h.store.create_pod(spread_pod("web-0"));
            h.store.bind(first, NodeId(0), SimTime::ZERO);
            h.settle();
            if relabel {
                h.store.set_node_labels(NodeId(0), labels(&[(ZONE, "z2")]));
            }
            let next = h.store.create_pod(spread_pod("web-1"));
            h.run_until(SimTime::from_secs(1));
            let node = h
                .store
                .pod(next)
                .status
                .node
                .map(|n| h.store.node(NodeId(n)).name());
            assert_eq!(node, Some(want), "relabelled: {relabel}");
            assert_eq!(check_invariants(&h.store), Vec::<String>::new());
        }
    }
}
