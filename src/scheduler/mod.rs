//! kube-scheduler: the queue, the framework, the plugins and the profiles.
//!
//! The scheduler watches the store like upstream's informers: unbound pods enter its queue,
//! bound pods are counted in its per-node cache, node and pod changes move waiting pods. One
//! [`SchedulerEvent::ScheduleOne`] event runs one cycle for the head of the active queue
//! (`schedule_one`, as `pkg/scheduler/schedule_one.go`); a cycle and a binding take the
//! simulated time the Simulation's `timings.schedulingCycle` and `timings.binding` say
//! (none by default).

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
mod schedule_one;

use crate::api::kubelet::SchedulerTimings;
use crate::component::{Component, ComponentMetrics, Context, PreemptionRecord};
use crate::engine::{RngStreams, SimRng, SimTime};
use crate::store::{Change, ChangeKind, PodId, Watch};
use cache::{NodeFacts, NodeInfo, NodeTree};
use config::SchedulerConfig;
use images::ImageStates;
use plugins::Registry;
use pod_index::{NamespaceLabels, PodIndex};
use profile::Profile;
use queue::{BACKOFF_FLUSH_MS, QueuedPodInfo, SchedulingQueue, UNSCHEDULABLE_FLUSH_MS};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The scheduler's own timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerEvent {
    /// Run one scheduling cycle.
    ScheduleOne,
    /// The scheduling cycle under way ends (a cycle that takes time).
    CycleDone,
    /// The binding of an assumed pod ends (a binding that takes time).
    Bind(PodId),
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

/// The random stream of the scheduler's timings.
pub const TIMINGS_STREAM: &str = "scheduler/timings";

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
    /// How long a cycle and a binding take.
    timings: SchedulerTimings,
    /// The stream the timings are drawn from (`scheduler/timings`), so that drawing them
    /// never shifts the tie-breaks of the `scheduler` stream.
    timing_rng: SimRng,
    /// The pod whose cycle is under way, when cycles take time.
    in_cycle: Option<QueuedPodInfo>,
    /// Pods assumed on a node (index) whose binding is under way.
    assumed: BTreeMap<PodId, usize>,
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
            timings: SchedulerTimings::default(),
            timing_rng: RngStreams::new(seed).stream(TIMINGS_STREAM),
            in_cycle: None,
            assumed: BTreeMap::new(),
        };
        Ok((s, warnings))
    }

    /// Sets how long a scheduling cycle and a binding take (before the run starts).
    pub fn set_timings(&mut self, timings: SchedulerTimings) {
        self.timings = timings;
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
            ChangeKind::PodTerminating,
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
            SchedulerEvent::CycleDone => self.cycle_done(ctx),
            SchedulerEvent::Bind(pod) => self.binding_done(pod, ctx),
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
