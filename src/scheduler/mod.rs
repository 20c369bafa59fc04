//! kube-scheduler: the queue, the framework, the plugins and the profiles.
//!
//! The scheduler watches the store like upstream's informers: unbound pods enter its queue,
//! bound pods are counted in its per-node cache, node and pod changes move waiting pods. One
//! [`SchedulerEvent::ScheduleOne`] event runs one cycle for the head of the active queue
//! (`pkg/scheduler/schedule_one.go`); the cycle itself takes no simulated time.

pub mod cache;
pub mod config;
mod event_handlers;
pub mod explain;
pub mod framework;
pub mod images;
pub mod plugin;
pub mod plugins;
pub mod pod_index;
pub mod profile;
pub mod queue;

use crate::api::event::{EventType, Message};
use crate::component::{
    AttemptRecord, Component, ComponentMetrics, Context, FilterVerdict, NodeScores,
    PreemptionRecord,
};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, PodId, Store, Watch};
use cache::{NodeFacts, NodeInfo, NodeSet, NodeTree};
use config::SchedulerConfig;
use framework::{ApiHandle, ClusterView, Nomination};
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

/// What a scheduling attempt came to, for its explain record.
struct Outcome {
    /// `Scheduled`, `Unschedulable` or `Error`.
    result: &'static str,
    /// The node chosen.
    node: Option<Arc<str>>,
    /// The FailedScheduling message or the error.
    message: Option<String>,
    /// What preemption did, when it ran.
    preemption: Option<PreemptionRecord>,
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
            queue: SchedulingQueue::with_backoff(queue::Backoff {
                initial_ms: config.pod_initial_backoff_s.saturating_mul(1000),
                max_ms: config.pod_max_backoff_s.saturating_mul(1000),
            }),
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
        self.index_selectors(pod_id, pi, store);
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
            let outcome = Outcome {
                result: result_str,
                node: node_name,
                message,
                preemption,
            };
            self.record_attempt(ctx, pod_id, pi, info.attempts, d, outcome);
        }
    }

    /// Indexes the selectors a pod that counts other pods needs (its affinity terms, spread
    /// constraints and the Services selecting it for profile `pi`'s default constraints),
    /// before its cycle.
    fn index_selectors(&mut self, pod_id: PodId, pi: usize, store: &Store) {
        let pod = store.pod(pod_id);
        if pod.spec.pod_affinity.is_some()
            || !pod.spec.topology_spread_constraints.is_empty()
            || !store.services().is_empty()
        {
            let defaults = self.profiles[pi].spread_defaults();
            for m in self.pods.prepare(pod, store.services(), defaults) {
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
    }

    /// Records an attempt in detail (`--explain`).
    fn record_attempt(
        &self,
        ctx: Ctx,
        pod_id: PodId,
        pi: usize,
        attempt: u32,
        d: CycleDetail,
        outcome: Outcome,
    ) {
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
            time: ctx.now(),
            pod: ctx.store.pod(pod_id).key(),
            profile: self.profiles[pi].name.clone(),
            attempt,
            result: outcome.result,
            node: outcome.node.map(|n| n.to_string()),
            message: outcome.message,
            filter: filter.collect(),
            scores: scores.collect(),
            weights: self.profiles[pi].score_weights(),
            preemption: outcome.preemption,
        });
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
            profiles,
            ..SchedulerConfig::default()
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

#[cfg(test)]
mod node_update_tests;
