//! The world: builds the cluster and its components from a [`Scenario`] and runs the event
//! loop.
//!
//! # Delivery order
//!
//! The components sit in one list, in this order: kube-scheduler, the kubelets, kube-proxy,
//! the Job, ReplicaSet, Deployment, DaemonSet, StatefulSet, HorizontalPodAutoscaler and
//! EndpointSlice controllers, the garbage collector, the node lifecycle, taint eviction and
//! disruption controllers, the PersistentVolume controller, the scheduling-gate remover, then one
//! arrival source per `spec.arrivals` entry (in scenario order), then the timeline's kubectl
//! and its faults.
//! Adding a controller is a new file and one `World::wire` line in [`World::new`].
//!
//! - At time 0 every component is started, in list order; then the first metric sample is
//!   scheduled.
//! - The loop pops the earliest event (time, then the order it was scheduled: see
//!   [`crate::engine`]) and hands it to the component it belongs to.
//! - After each event the store's changes are delivered until none are left: each change,
//!   in the order it was written, first to the observers, then to every component that
//!   watches its kind, in list order. Changes written while delivering are delivered in the
//!   next round. Once every watcher has seen a pod end, its spec is released.
//! - Then the Events and scheduling records of the step go to the sink.
//! - When a metric sample finds no other event waiting, nothing can change any more: the
//!   samples left count in the means, only the last one is written, and the run ends
//!   ([`World::quiet_from`] says when).
//!
//! Architecture invariants: components never hold references to each other (they share the
//! store and the event queue); the world never writes files (it hands records to a
//! [`Sink`]).

use crate::api::PodSpec;
use crate::api::event::Event as KubeEvent;
use crate::api::namespace::Namespace;
use crate::api::{ObjectMeta, RestartPolicy};
use crate::component::{
    AttemptRecord, CommandStatus, Component, ComponentMetrics, Delivery, Env, HpaRecord, Recorder,
    Wired, Wiring,
};
use crate::controllers::{
    DaemonSetController, DeploymentController, DisruptionController, EndpointSliceController,
    GarbageCollector, GateRemover, HpaController, JobController, ReplicaSetController,
    StatefulSetController, TaintEvictionController, VolumeController,
};
use crate::engine::{EventQueue, RngStreams, SimTime};
use crate::node::{KubeProxy, Kubelet};
use crate::observe::{
    ClusterState, FaultCost, PdbLog, PodTally, RolloutLog, Sampler, Sink, Summary, SummaryInput,
};
use crate::scenario::Scenario;
use crate::scheduler::Scheduler;
use crate::scheduler::plugins::Registry;
use crate::scheduler::pod_index::NamespaceLabels;
use crate::scheduler::profile::PluginsByPoint;
use crate::store::admission::object_counts;
use crate::store::load::Load;
use crate::store::{Change, Store, Watch, WorkloadId};
use crate::workload::{Arrivals, Kubectl};
use std::ops::ControlFlow;
use std::sync::Arc;

pub use crate::observe::NullSink;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// At the end of the simulated duration.
    Finished,
    /// Stopped by its caller at this simulated time.
    Stopped(SimTime),
}

/// A cluster ready to run.
pub struct World {
    queue: EventQueue<Delivery>,
    store: Store,
    recorder: Recorder,
    streams: RngStreams,
    /// The components, in delivery order, and the changes each watches.
    components: Vec<Box<dyn Wired>>,
    watches: Vec<Watch>,
    tally: PodTally,
    rollouts: RolloutLog,
    fault_cost: FaultCost,
    pdb_log: PdbLog,
    sampler: Sampler,
    /// When the run went quiet (see [`World::quiet_from`]).
    quiet_from: Option<SimTime>,
    /// When the run ended: its duration, or where its caller stopped it.
    ended: Option<SimTime>,
    duration: SimTime,
    metrics_interval_ms: i64,
    check_invariants: bool,
    changes: Vec<Change>,
    events: Vec<KubeEvent>,
    attempts: Vec<AttemptRecord>,
    hpa_syncs: Vec<HpaRecord>,
    name: String,
    /// The scenario's description and its translations, `en` first.
    descriptions: Vec<(String, String)>,
    seed: u64,
    warnings: Vec<String>,
    /// Each scheduler profile's plugins per extension point.
    profiles: Vec<(String, PluginsByPoint)>,
    /// Shared by every pod whose spec was released after it ended.
    released_spec: Arc<PodSpec>,
}

impl World {
    /// Builds the world for `scenario` (with its seed) and the given plugin registry.
    pub fn new(scenario: &Scenario, registry: &Registry) -> Result<World, Vec<String>> {
        let (mut scheduler, mut warnings) = Scheduler::new(
            &scenario.scheduler,
            registry,
            scenario.seed,
            scenario.output.explain,
        )?;
        scheduler.set_namespace_labels(NamespaceLabels::new(scenario.namespace_labels.clone()));
        scheduler.set_timings(scenario.scheduler_timings.clone());
        // A scenario loaded with the scheduler check already carries these (located).
        warnings.retain(|w| !scenario.warnings.iter().any(|s| s.ends_with(w.as_str())));
        warnings.splice(0..0, scenario.warnings.iter().cloned());
        let profiles = scheduler
            .profiles()
            .iter()
            .map(|p| (p.name.clone(), p.describe()))
            .collect();
        let mut world = World {
            queue: EventQueue::new(),
            store: Store::new(),
            recorder: Recorder::default(),
            streams: RngStreams::new(scenario.seed),
            components: Vec::new(),
            watches: Vec::new(),
            tally: PodTally::default(),
            rollouts: RolloutLog::default(),
            fault_cost: FaultCost::default(),
            pdb_log: PdbLog::default(),
            sampler: Sampler::default(),
            quiet_from: None,
            ended: None,
            duration: scenario.duration,
            metrics_interval_ms: scenario.output.metrics_interval_ms.max(1),
            check_invariants: false,
            changes: Vec::new(),
            events: Vec::new(),
            attempts: Vec::new(),
            hpa_syncs: Vec::new(),
            name: scenario.name.clone(),
            descriptions: std::iter::once(("en".to_string(), scenario.description.clone()))
                .filter(|(_, text)| !text.is_empty())
                .chain(scenario.translations.iter().cloned())
                .collect(),
            seed: scenario.seed,
            warnings,
            profiles,
            released_spec: Arc::new(PodSpec::new(
                vec![],
                vec![],
                Default::default(),
                Default::default(),
                None,
                vec![],
                String::new(),
                RestartPolicy::Never,
            )),
        };
        // The components, in delivery order.
        world.wire(scheduler)?;
        world.wire(Kubelet::new(scenario.timings.clone()))?;
        world.wire(crate::node::memory::MemoryMonitor::default())?;
        world.wire(KubeProxy::new(scenario.timings.kube_proxy_sync.clone()))?;
        world.wire(JobController::default())?;
        world.wire(ReplicaSetController::default())?;
        world.wire(DeploymentController::default())?;
        world.wire(DaemonSetController::default())?;
        world.wire(StatefulSetController::default())?;
        world.wire(HpaController::new(scenario.autoscaling))?;
        world.wire(EndpointSliceController::default())?;
        world.wire(GarbageCollector)?;
        world.wire(crate::controllers::node_lifecycle::NodeLifecycleController::default())?;
        world.wire(TaintEvictionController::default())?;
        world.wire(DisruptionController::default())?;
        world.wire(VolumeController)?;
        world.wire(GateRemover)?;
        for source in &scenario.arrivals {
            world.wire(Arrivals::new(source.clone()))?;
        }
        if !scenario.timeline.is_empty() {
            world.wire(Kubectl::new(
                scenario.timeline.clone(),
                scenario.start_unix_ms,
            ))?;
        }
        if !scenario.faults.is_empty() {
            world.wire(crate::workload::faults::Faults::new(
                scenario.faults.clone(),
            ))?;
        }
        for generator in &scenario.fault_generators {
            world.wire(crate::workload::faults::FaultGenerator::new(
                generator.clone(),
            ))?;
        }
        world.apply_manifests(scenario);
        // A snapshot's pods bring the restarts they had: the run counts its own.
        world.fault_cost.restarts_before(&world.store);
        if scenario.writes_node_metrics() {
            world.sampler.write_node_rows();
        }
        if scenario.output.pod_metrics {
            world.sampler.write_pod_rows(scenario.output.pods);
        }
        // Without faults every node stays Ready and every loss of availability is a
        // rollout's: the fault series would say nothing (and every digest would change).
        if scenario.has_faults() {
            world.sampler.write_fault_rows();
        }
        let mut env = Env {
            store: &mut world.store,
            queue: &mut world.queue,
            recorder: &mut world.recorder,
        };
        for c in &mut world.components {
            c.start(&mut env);
        }
        world.queue.schedule(SimTime::ZERO, Delivery::Sample);
        // The changes made here reach the watchers (and their Events the sink) when `run` starts.
        Ok(world)
    }

    /// Adds a component at the end of the delivery order, with the random stream of its name.
    fn wire<C: Component + 'static>(&mut self, component: C) -> Result<(), Vec<String>> {
        let name = component.name().to_string();
        if self.components.iter().any(|c| c.name() == name) {
            return Err(vec![format!(
                "two components are named {name:?}: each draws from the random stream of its \
                 name, so names must be unique"
            )]);
        }
        let index = u16::try_from(self.components.len())
            .map_err(|_| vec!["more than 65,535 components".to_string()])?;
        self.watches.push(component.watches());
        let rng = self.streams.stream(&name);
        self.components
            .push(Box::new(Wiring::new(component, rng, index)));
        Ok(())
    }

    /// Time 0: the cluster-scoped objects, the nodes, then the objects given as manifests,
    /// as `kubectl apply` would create them.
    fn apply_manifests(&mut self, scenario: &Scenario) {
        let store = &mut self.store;
        for pc in &scenario.priority_classes {
            store.add_priority_class(pc.clone());
        }
        for ns in &scenario.namespaces {
            let labels = scenario.namespace_labels.get(ns).cloned();
            store.add_namespace(Namespace {
                meta: ObjectMeta {
                    labels: Arc::new(labels.unwrap_or_default()),
                    ..ObjectMeta::named("", ns)
                },
            });
        }
        for pdb in &scenario.pdbs {
            store.add_pdb(pdb.clone());
        }
        for svc in &scenario.services {
            store.add_service(svc.clone());
        }
        for node in &scenario.nodes {
            store.add_node(node.clone());
        }
        for class in &scenario.storage_classes {
            store.add_storage_class(class.clone());
        }
        for v in &scenario.volumes {
            store.create_pv(v.meta.clone(), v.spec.clone());
        }
        for c in &scenario.claims {
            store.create_pvc(c.meta.clone(), c.spec.clone());
        }
        for q in &scenario.quotas {
            store.add_quota(q.clone());
        }
        for lr in &scenario.limit_ranges {
            store.add_limit_range(lr.clone());
        }
        // What the API server refuses (a quota), as `kubectl apply` reports it.
        let mut refused = Vec::new();
        let admit =
            |store: &mut Store, refused: &mut Vec<String>, kind: &str, meta: &ObjectMeta| {
                let (resource, counts) = object_counts(kind);
                match store.admit_count(&meta.namespace, resource, &meta.name, counts) {
                    Ok(()) => true,
                    Err(e) => {
                        refused.push(format!("Error from server (Forbidden): {e}"));
                        false
                    }
                }
            };
        for d in &scenario.deployments {
            if admit(store, &mut refused, "Deployment", &d.meta) {
                let id = store.create_deployment(d.meta.clone(), d.spec.clone(), SimTime::ZERO);
                store.restore_generation(WorkloadId::Deployment(id), d.restored.generation);
                store.update_deployment_status(id, |st| {
                    st.conditions = d.restored.conditions.clone();
                    st.collision_count = d.restored.collision_count;
                    if let Some(c) = d.restored.counts {
                        st.replicas = c.replicas;
                        st.updated = c.updated;
                        st.ready = c.ready;
                        st.available = c.available;
                        st.unavailable = c.unavailable;
                    }
                });
            }
        }
        for rs in &scenario.replica_sets {
            if admit(store, &mut refused, rs.spec.kind.kind(), &rs.meta) {
                let id = store.create_replica_set(rs.meta.clone(), rs.spec.clone(), SimTime::ZERO);
                store.restore_generation(WorkloadId::ReplicaSet(id), rs.restored.generation);
                if let Some(c) = rs.restored.counts {
                    store.update_replica_set_status(id, |st| {
                        (st.replicas, st.ready, st.available) = (c.replicas, c.ready, c.available);
                    });
                }
            }
        }
        for ds in &scenario.daemon_sets {
            if admit(store, &mut refused, "DaemonSet", &ds.meta) {
                let id = store.create_daemon_set(ds.meta.clone(), ds.spec.clone(), SimTime::ZERO);
                store.restore_generation(WorkloadId::DaemonSet(id), ds.restored.generation);
            }
        }
        for ss in &scenario.stateful_sets {
            if admit(store, &mut refused, "StatefulSet", &ss.meta) {
                let id = store.create_stateful_set(ss.meta.clone(), ss.spec.clone(), SimTime::ZERO);
                store.restore_generation(WorkloadId::StatefulSet(id), ss.restored.generation);
            }
        }
        for pod in &scenario.pods {
            let id = match store.admit_pod(pod.clone()) {
                Ok(id) => id,
                Err(e) => {
                    refused.push(format!("Error from server (Forbidden): {e}"));
                    continue;
                }
            };
            if let Some(name) = &pod.spec.node_name
                && let Some(node) = store.node_id(name)
            {
                // A snapshot's running pod keeps when it was scheduled, and its deletion.
                let resume = pod.status.resume.as_deref();
                store.bind(id, node, resume.map_or(SimTime::ZERO, |r| r.scheduled));
                if let Some(r) = resume {
                    // Running (and Ready) as the snapshot says, before any controller looks;
                    // the kubelet takes the containers up at 0.
                    store.set_phase(id, crate::api::Phase::Running, SimTime::ZERO);
                    if let Some(since) = r.ready_since {
                        store.restore_ready(id, since);
                    }
                }
                if let Some(by) = resume.and_then(|r| r.delete_by) {
                    store.request_deletion_with_grace(id, SimTime::ZERO, Some(by.ms().max(0)));
                }
            }
        }
        for job in &scenario.jobs {
            if admit(store, &mut refused, "Job", &job.meta) {
                store.create_job(job.meta.clone(), job.spec.clone(), SimTime::ZERO);
            }
        }
        apply_autoscaling(store, scenario);
        for t in &scenario.traffic {
            // Each entry's noise draws from its own stream.
            let mut t = t.clone();
            let stream = self.streams.stream(&t.stream_name());
            if let Some(n) = &mut t.noise {
                n.stream = Some(stream);
            }
            store.add_traffic(t);
        }
        self.warnings.extend(refused);
    }

    /// Runs the store's invariant checker after every event (slow; for tests).
    pub fn set_check_invariants(&mut self, on: bool) {
        self.check_invariants = on;
    }

    /// The object store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The simulated end time.
    pub fn duration(&self) -> SimTime {
        self.duration
    }

    /// The components' names, in delivery order (each is also its random stream's name).
    pub fn component_names(&self) -> Vec<&str> {
        self.components.iter().map(|c| c.name()).collect()
    }

    /// Keeps every node's free resources at each metric sample (for the fragmentation
    /// metric of `kubesim compare`; memory grows with samples x nodes).
    pub fn keep_node_free(&mut self) {
        self.sampler.keep_node_free();
    }

    /// The metric sampler (means, peaks and, when kept, per-node free resources).
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// The components' metrics, summed.
    pub fn metrics(&self) -> ComponentMetrics {
        let mut m = ComponentMetrics::default();
        for c in &self.components {
            c.export(&mut m);
        }
        m
    }

    /// Arrivals (stream objects and trace rows) not yet created.
    pub fn arrivals_remaining(&self) -> u64 {
        self.metrics().arrivals_remaining
    }

    /// Each scheduler profile's plugins per extension point (`score` entries carry weights).
    pub fn profile_plugins(&self) -> &[(String, PluginsByPoint)] {
        &self.profiles
    }

    /// Runs to the end, sending records to `sink`; `progress(now, events)` is called every
    /// few thousand events.
    pub fn run(
        &mut self,
        sink: &mut dyn Sink,
        progress: &mut dyn FnMut(SimTime, u64),
    ) -> std::io::Result<()> {
        self.run_until(sink, &mut |now, events| {
            progress(now, events);
            ControlFlow::Continue(())
        })
        .map(|_| ())
    }

    /// Runs to the end or until `progress(now, events)`, called every few thousand events,
    /// breaks; says which.
    pub fn run_until(
        &mut self,
        sink: &mut dyn Sink,
        progress: &mut dyn FnMut(SimTime, u64) -> ControlFlow<()>,
    ) -> std::io::Result<RunEnd> {
        self.settle(sink)?;
        let mut since_progress = 0u32;
        while let Some(t) = self.queue.peek_time() {
            if t > self.duration {
                break;
            }
            let Some((now, delivery)) = self.queue.pop() else {
                break;
            };
            self.dispatch(now, delivery, sink)?;
            self.settle(sink)?;
            if self.check_invariants {
                let errors = crate::store::check_invariants(&self.store);
                assert!(errors.is_empty(), "invariants broken at {now}: {errors:?}");
            }
            since_progress += 1;
            if since_progress == 4096 {
                since_progress = 0;
                if progress(now, self.queue.processed()).is_break() {
                    self.ended = Some(now);
                    return Ok(RunEnd::Stopped(now));
                }
            }
        }
        if progress(self.duration, self.queue.processed()).is_break() {
            self.ended = Some(self.queue.now());
            return Ok(RunEnd::Stopped(self.queue.now()));
        }
        self.ended = Some(self.duration);
        Ok(RunEnd::Finished)
    }

    /// The time from which nothing could change any more (no event was left but the
    /// metric samples), if the run went quiet before its end.
    pub fn quiet_from(&self) -> Option<SimTime> {
        self.quiet_from
    }

    fn dispatch(&mut self, now: SimTime, d: Delivery, sink: &mut dyn Sink) -> std::io::Result<()> {
        match d {
            Delivery::Component { component, slot } => {
                let mut env = Env {
                    store: &mut self.store,
                    queue: &mut self.queue,
                    recorder: &mut self.recorder,
                };
                self.components[component as usize].deliver(slot, &mut env);
            }
            Delivery::Sample => {
                let per_node = self.sampler.wants_nodes();
                let metrics = self.metrics();
                let load = if self.store.flows().is_empty() {
                    Load::default()
                } else {
                    // Rates averaged over the interval before the sample, as a rate() query.
                    self.store.load(now, self.metrics_interval_ms.min(now.ms()))
                };
                let state = ClusterState::read(&self.store, &self.tally, &metrics, &load, per_node);
                let interval = self.metrics_interval_ms;
                for row in self
                    .sampler
                    .sample(now, &state, &self.store, &load, interval)
                {
                    sink.metric(row)?;
                }
                let left = (self.duration.ms() - now.ms()) / interval;
                // Traffic changes with time: a run with flows is never quiet.
                if left > 0 && self.queue.is_empty() && self.store.flows().is_empty() {
                    // Nothing is left to happen: every later sample would repeat this one.
                    // They count in the means, and only the last is written, at its time.
                    self.quiet_from = Some(now);
                    self.sampler.repeat_last((left - 1) as u64);
                    let last = SimTime(now.ms() + left * interval);
                    let rows = self
                        .sampler
                        .sample(last, &state, &self.store, &load, interval);
                    for row in rows {
                        sink.metric(row)?;
                    }
                } else if left > 0 {
                    self.queue.schedule(now + interval, Delivery::Sample);
                }
            }
        }
        Ok(())
    }

    /// Delivers store changes to the observers and the watching components until none are
    /// left, then hands the recorded Events and scheduling attempts to the sink.
    fn settle(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        self.fault_cost
            .on_commands(self.recorder.commands(), &self.store);
        while self.store.has_changes() {
            let mut changes = std::mem::take(&mut self.changes);
            self.store.take_changes(&mut changes);
            for change in &changes {
                let kind = change.kind();
                if PodTally::WATCHES.contains(kind) {
                    self.tally.on_change(change, &self.store);
                }
                if RolloutLog::WATCHES.contains(kind) {
                    self.rollouts
                        .on_change(change, &self.store, self.queue.now());
                }
                if FaultCost::WATCHES.contains(kind) {
                    self.fault_cost
                        .on_change(change, &self.store, self.queue.now());
                }
                if PdbLog::WATCHES.contains(kind) {
                    self.pdb_log
                        .on_change(change, &self.store, self.queue.now());
                }
                let mut env = Env {
                    store: &mut self.store,
                    queue: &mut self.queue,
                    recorder: &mut self.recorder,
                };
                for (c, w) in self.components.iter_mut().zip(&self.watches) {
                    if w.contains(kind) {
                        c.on_change(change, &mut env);
                    }
                }
                // Every watcher has seen the pod end: its spec is no longer needed.
                if let Change::PodPhase { pod, to, .. } = *change
                    && to.is_terminal()
                {
                    self.store.release_spec(pod, &self.released_spec);
                    self.recorder.forget_pod(pod);
                }
            }
            changes.clear();
            self.changes = changes;
        }
        let mut evicted = Vec::new();
        self.recorder.take_evicted(&mut evicted);
        self.fault_cost.on_evictions(&evicted);
        self.recorder.take_events(&mut self.events);
        for e in self.events.drain(..) {
            sink.event(&e)?;
        }
        self.recorder.take_attempts(&mut self.attempts);
        for a in self.attempts.drain(..) {
            sink.attempt(&a)?;
        }
        self.recorder.take_hpa_syncs(&mut self.hpa_syncs);
        for h in self.hpa_syncs.drain(..) {
            sink.hpa_sync(&h)?;
        }
        Ok(())
    }

    /// The loading warnings, and the run's ([`World::run_warnings`]).
    fn warnings(&self) -> Vec<String> {
        let mut w = self.warnings.clone();
        w.extend(self.run_warnings());
        w
    }

    /// A line for each timeline command or fault that failed (a pod fault that found no
    /// pod) or was still at work at the end (a drain its budgets held).
    pub fn run_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for c in self.recorder.commands() {
            let what = if c.fault { "fault" } else { "kubectl" };
            let last = c
                .output
                .iter()
                .rev()
                .find(|l| !l.is_empty())
                .cloned()
                .unwrap_or_default();
            match c.status {
                CommandStatus::Done => {}
                CommandStatus::Failed => {
                    w.push(format!("timeline {}: {what} {}: {last}", c.time, c.command))
                }
                CommandStatus::Running => w.push(format!(
                    "timeline {}: {what} {}: not finished at the end of the run ({last})",
                    c.time, c.command
                )),
            }
        }
        w
    }

    /// The run's summary (call after [`World::run`]).
    pub fn summary(&self, wall_seconds: f64) -> Summary {
        let (means, peaks) = self.sampler.means_and_peaks();
        let metrics = self.metrics();
        Summary::compute(
            &self.store,
            SummaryInput {
                scenario: self.name.clone(),
                descriptions: self.descriptions.clone(),
                seed: self.seed,
                duration: self.duration,
                wall_seconds,
                events_processed: self.queue.processed(),
                scheduling_attempts: metrics.schedule_attempts,
                image_pulls: metrics.image_pulls,
                preemptions: metrics.preemption_victims,
                means,
                peaks,
                warnings: self.warnings(),
                quiet_from: self.quiet_from,
                timeline: self.recorder.commands().to_vec(),
                workloads: self.rollouts.summaries(&self.store),
                hpas: crate::observe::hpa_summaries(&self.store, self.sampler.autoscaling()),
                flows: self.sampler.autoscaling().flows().to_vec(),
                fault_cost: self.fault_cost.summary(&self.store, self.duration),
                pdbs: self
                    .pdb_log
                    .summaries(&self.store, self.ended.unwrap_or(self.queue.now())),
            },
        )
    }
}

/// Time 0, after the pods: the usage `PodMetrics` documents give them, then the HPAs (a
/// snapshot's with the status it had, which their first sync starts from).
fn apply_autoscaling(store: &mut Store, scenario: &Scenario) {
    for seed in &scenario.pod_metrics {
        if let Some(pod) = store.pod_id(&seed.namespace, &seed.name) {
            let containers = (seed.containers.iter())
                .map(|c| crate::store::metrics_api::ContainerMetrics {
                    name: Arc::from(c.name.as_str()),
                    cpu_m: c.cpu_m,
                    memory: c.memory,
                })
                .collect();
            store.seed_pod_metrics(pod, containers);
        }
    }
    for h in &scenario.hpas {
        let id = store.create_hpa(h.hpa.clone(), h.created);
        if let Some(status) = &h.status {
            store.set_hpa_status(id, status.clone());
        }
    }
}
