//! The world: builds the cluster and its components from a [`Scenario`] and runs the event
//! loop, handing each event to the component that owns it and each store change to every
//! watcher, in a fixed order.
//!
//! Architecture invariants: components never hold references to each other (they share the
//! store and the event queue); the world never writes files (it hands records to a [`Sink`]).

use crate::api::PodSpec;
use crate::api::event::Event as KubeEvent;
use crate::api::pod::Phase;
use crate::controllers::{GateEvent, GateRemover, JobController, JobEvent, VolumeController};
use crate::engine::{EventQueue, Outbox, RngStreams, SimTime};
use crate::node::{Kubelet, KubeletEvent};
use crate::observe::{ClusterState, MetricSample, PoolState, Sampler, Summary, SummaryInput};
use crate::scenario::Scenario;
use crate::scheduler::explain::AttemptRecord;
use crate::scheduler::plugins::Registry;
use crate::scheduler::pod_index::NamespaceLabels;
use crate::scheduler::{Scheduler, SchedulerEvent};
use crate::store::{Change, Store};
use crate::workload::{ArrivalEvent, Arrivals};
use std::sync::Arc;

/// Every kind of event, by owning component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// kube-scheduler.
    Scheduler(SchedulerEvent),
    /// Kubelets.
    Kubelet(KubeletEvent),
    /// Job controller.
    Job(JobEvent),
    /// Scheduling gate remover.
    Gates(GateEvent),
    /// Workload arrivals.
    Arrival(ArrivalEvent),
    /// Metric sample.
    Sample,
}

/// Where the run's records go (the output layer implements it).
pub trait Sink {
    /// A Kubernetes Event.
    fn event(&mut self, event: &KubeEvent) -> std::io::Result<()>;
    /// A metric row.
    fn metric(&mut self, sample: &MetricSample) -> std::io::Result<()>;
    /// A scheduling attempt (only when explaining).
    fn attempt(&mut self, record: &AttemptRecord) -> std::io::Result<()>;
}

/// A sink that drops everything (for benchmarks and tests of the model alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn event(&mut self, _: &KubeEvent) -> std::io::Result<()> {
        Ok(())
    }
    fn metric(&mut self, _: &MetricSample) -> std::io::Result<()> {
        Ok(())
    }
    fn attempt(&mut self, _: &AttemptRecord) -> std::io::Result<()> {
        Ok(())
    }
}

/// A cluster ready to run.
pub struct World {
    queue: EventQueue<Event>,
    store: Store,
    scheduler: Scheduler,
    kubelet: Kubelet,
    jobs: JobController,
    volumes: VolumeController,
    gates: GateRemover,
    arrivals: Arrivals,
    sampler: Sampler,
    duration: SimTime,
    metrics_interval_ms: i64,
    check_invariants: bool,
    usage: (i64, i64),
    counts: [u64; 4],
    changes: Vec<Change>,
    events: Vec<KubeEvent>,
    attempts: Vec<AttemptRecord>,
    name: String,
    seed: u64,
    warnings: Vec<String>,
    /// Shared by every pod whose spec was released after it ended.
    released_spec: Arc<PodSpec>,
    /// The components' outboxes, reused from one handler call to the next.
    out: Outboxes,
}

/// One outbox per component that schedules its own events.
#[derive(Default)]
struct Outboxes {
    scheduler: Outbox<SchedulerEvent>,
    kubelet: Outbox<KubeletEvent>,
    jobs: Outbox<JobEvent>,
    gates: Outbox<GateEvent>,
    arrivals: Outbox<ArrivalEvent>,
}

impl World {
    /// Builds the world for `scenario` (with its seed) and the given plugin registry.
    pub fn new(scenario: &Scenario, registry: &Registry) -> Result<World, Vec<String>> {
        let streams = RngStreams::new(scenario.seed);
        let (mut scheduler, mut warnings) = Scheduler::new(
            &scenario.scheduler,
            registry,
            scenario.seed,
            scenario.output.explain,
        )?;
        scheduler.set_namespace_labels(NamespaceLabels::new(scenario.namespace_labels.clone()));
        // A scenario loaded with the scheduler check already carries these (located).
        warnings.retain(|w| !scenario.warnings.iter().any(|s| s.ends_with(w.as_str())));
        warnings.splice(0..0, scenario.warnings.iter().cloned());
        let mut store = Store::new();
        for pc in &scenario.priority_classes {
            store.add_priority_class(pc.clone());
        }
        for ns in &scenario.namespaces {
            store.add_namespace(ns);
        }
        for pdb in &scenario.pdbs {
            store.add_pdb(pdb.clone());
        }
        for svc in &scenario.services {
            store.add_service(svc.clone());
        }
        let mut world = World {
            queue: EventQueue::new(),
            store,
            scheduler,
            kubelet: Kubelet::new(scenario.timings.clone(), streams.stream("kubelet")),
            jobs: JobController::new(streams.stream("controllers/job")),
            volumes: VolumeController::new(),
            gates: GateRemover::new(streams.stream("controllers/gates")),
            arrivals: Arrivals::new(scenario.arrivals.clone(), &streams),
            sampler: Sampler::default(),
            duration: scenario.duration,
            metrics_interval_ms: scenario.output.metrics_interval_ms.max(1),
            check_invariants: false,
            usage: (0, 0),
            counts: [0; 4],
            changes: Vec::new(),
            events: Vec::new(),
            attempts: Vec::new(),
            name: scenario.name.clone(),
            seed: scenario.seed,
            warnings,
            released_spec: Arc::new(PodSpec::new(
                vec![],
                vec![],
                Default::default(),
                Default::default(),
                None,
                vec![],
                String::new(),
                crate::api::RestartPolicy::Never,
            )),
            out: Outboxes::default(),
        };
        // Time 0: nodes, then the objects given as manifests, as `kubectl apply` would.
        for node in &scenario.nodes {
            world.store.add_node(node.clone());
        }
        for class in &scenario.storage_classes {
            world.store.add_storage_class(class.clone());
        }
        for v in &scenario.volumes {
            world.store.create_pv(v.meta.clone(), v.spec.clone());
        }
        for c in &scenario.claims {
            world.store.create_pvc(c.meta.clone(), c.spec.clone());
        }
        for pod in &scenario.pods {
            let id = world.store.create_pod(pod.clone());
            if let Some(name) = &pod.spec.node_name
                && let Some(node) = world.store.node_id(name)
            {
                world.store.bind(id, node, SimTime::ZERO);
            }
        }
        for job in &scenario.jobs {
            world
                .store
                .create_job(job.meta.clone(), job.spec.clone(), SimTime::ZERO);
        }
        let mut out = Outbox::new(SimTime::ZERO);
        world.arrivals.start(&mut out);
        for (t, e) in out.drain() {
            world.queue.schedule(t, Event::Arrival(e));
        }
        world.queue.schedule(SimTime::ZERO, Event::Sample);
        // The changes made here reach the watchers (and their Events the sink) when `run` starts.
        Ok(world)
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

    /// Keeps every node's free resources at each metric sample (for the fragmentation
    /// metric of `kubesim compare`; memory grows with samples x nodes).
    pub fn keep_node_free(&mut self) {
        self.sampler.keep_node_free();
    }

    /// The metric sampler (means, peaks and, when kept, per-node free resources).
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// Arrivals (stream objects and trace rows) not yet created.
    pub fn arrivals_remaining(&self) -> u64 {
        self.arrivals.remaining()
    }

    /// Each scheduler profile's plugins per extension point (`score` entries carry weights).
    pub fn profile_plugins(&self) -> Vec<(String, crate::scheduler::profile::PluginsByPoint)> {
        self.scheduler
            .profiles()
            .iter()
            .map(|p| (p.name.clone(), p.describe()))
            .collect()
    }

    /// Runs to the end, sending records to `sink`; `progress(now, events)` is called every
    /// few thousand events.
    pub fn run(
        &mut self,
        sink: &mut dyn Sink,
        progress: &mut dyn FnMut(SimTime, u64),
    ) -> std::io::Result<()> {
        self.settle(sink)?;
        let mut since_progress = 0u32;
        while let Some(t) = self.queue.peek_time() {
            if t > self.duration {
                break;
            }
            let Some((now, event)) = self.queue.pop() else {
                break;
            };
            self.dispatch(now, event, sink)?;
            self.settle(sink)?;
            if self.check_invariants {
                let errors = crate::store::check_invariants(&self.store);
                assert!(errors.is_empty(), "invariants broken at {now}: {errors:?}");
            }
            since_progress += 1;
            if since_progress == 4096 {
                since_progress = 0;
                progress(now, self.queue.processed());
            }
        }
        progress(self.duration, self.queue.processed());
        Ok(())
    }

    fn dispatch(&mut self, now: SimTime, event: Event, sink: &mut dyn Sink) -> std::io::Result<()> {
        match event {
            Event::Scheduler(e) => {
                self.out.scheduler.reset(now);
                self.scheduler
                    .handle(e, &mut self.store, &mut self.out.scheduler);
                for (t, e) in self.out.scheduler.drain() {
                    self.queue.schedule(t, Event::Scheduler(e));
                }
            }
            Event::Kubelet(e) => {
                self.out.kubelet.reset(now);
                self.kubelet
                    .handle(e, &mut self.store, &mut self.out.kubelet);
                for (t, e) in self.out.kubelet.drain() {
                    self.queue.schedule(t, Event::Kubelet(e));
                }
            }
            Event::Job(e) => {
                self.out.jobs.reset(now);
                self.jobs.handle(e, &mut self.store, &mut self.out.jobs);
                for (t, e) in self.out.jobs.drain() {
                    self.queue.schedule(t, Event::Job(e));
                }
            }
            Event::Gates(e) => self.gates.handle(e, &mut self.store),
            Event::Arrival(e) => {
                self.out.arrivals.reset(now);
                self.arrivals
                    .handle(e, &mut self.store, &mut self.out.arrivals);
                for (t, e) in self.out.arrivals.drain() {
                    self.queue.schedule(t, Event::Arrival(e));
                }
            }
            Event::Sample => {
                let state = self.cluster_state();
                for row in self.sampler.sample(now, &state) {
                    sink.metric(row)?;
                }
                let next = now + self.metrics_interval_ms;
                if next <= self.duration {
                    self.queue.schedule(next, Event::Sample);
                }
            }
        }
        Ok(())
    }

    /// Delivers store changes to every watcher until none are left, then hands the recorded
    /// Events and scheduling attempts to the sink.
    fn settle(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        let now = self.queue.now();
        while self.store.has_changes() {
            let mut changes = std::mem::take(&mut self.changes);
            self.store.take_changes(&mut changes);
            for &change in &changes {
                self.observe(change);
                self.out.scheduler.reset(now);
                self.scheduler
                    .on_change(change, &self.store, &mut self.out.scheduler);
                for (t, e) in self.out.scheduler.drain() {
                    self.queue.schedule(t, Event::Scheduler(e));
                }
                self.out.kubelet.reset(now);
                self.kubelet
                    .on_change(change, &mut self.store, &mut self.out.kubelet);
                for (t, e) in self.out.kubelet.drain() {
                    self.queue.schedule(t, Event::Kubelet(e));
                }
                self.out.jobs.reset(now);
                self.jobs
                    .on_change(change, &mut self.store, &mut self.out.jobs);
                for (t, e) in self.out.jobs.drain() {
                    self.queue.schedule(t, Event::Job(e));
                }
                self.volumes.on_change(change, &mut self.store, now);
                self.out.gates.reset(now);
                self.gates
                    .on_change(change, &self.store, &mut self.out.gates);
                for (t, e) in self.out.gates.drain() {
                    self.queue.schedule(t, Event::Gates(e));
                }
                // Every watcher has seen the pod end: its spec is no longer needed.
                if let Change::PodPhase(id, phase) = change
                    && phase.is_terminal()
                {
                    self.store.release_spec(id, &self.released_spec);
                }
            }
            changes.clear();
            self.changes = changes;
        }
        self.store.take_events(&mut self.events);
        for e in self.events.drain(..) {
            sink.event(&e)?;
        }
        self.scheduler.take_explain(&mut self.attempts);
        for a in self.attempts.drain(..) {
            sink.attempt(&a)?;
        }
        Ok(())
    }

    /// Keeps the phase counts and resource usage current.
    fn observe(&mut self, change: Change) {
        let idx = |p: Phase| p as usize;
        match change {
            Change::PodCreated(_) => self.counts[idx(Phase::Pending)] += 1,
            Change::PodPhase(id, phase) => {
                // The store only reports real transitions; the previous phase is Pending
                // before Running, and Running or Pending before a terminal phase.
                let p = self.store.pod(id);
                let prev = if phase == Phase::Running || p.status.started.is_none() {
                    Phase::Pending
                } else {
                    Phase::Running
                };
                self.counts[idx(prev)] = self.counts[idx(prev)].saturating_sub(1);
                self.counts[idx(phase)] += 1;
                let (cpu, mem) = usage_of(p);
                if phase == Phase::Running {
                    self.usage.0 += cpu;
                    self.usage.1 += mem;
                } else if prev == Phase::Running {
                    self.usage.0 -= cpu;
                    self.usage.1 -= mem;
                }
            }
            Change::PodDeleted(id) => {
                let p = self.store.pod(id);
                if !p.phase().is_terminal() {
                    let ph = p.phase();
                    self.counts[idx(ph)] = self.counts[idx(ph)].saturating_sub(1);
                    if ph == Phase::Running {
                        let (cpu, mem) = usage_of(p);
                        self.usage.0 -= cpu;
                        self.usage.1 -= mem;
                    }
                }
            }
            _ => {}
        }
    }

    fn cluster_state(&self) -> ClusterState {
        let mut s = ClusterState {
            nodes: self.store.nodes().len() as u64,
            ..Default::default()
        };
        let keep_free = self.sampler.keeps_node_free();
        for n in self.scheduler.node_infos() {
            if keep_free {
                s.node_free.push((
                    n.allocatable.cpu_m - n.requested.cpu_m,
                    n.allocatable.memory - n.requested.memory,
                ));
            }
            s.cpu_requested_m += n.requested.cpu_m;
            s.memory_requested += n.requested.memory;
            s.cpu_allocatable_m += n.allocatable.cpu_m;
            s.memory_allocatable += n.allocatable.memory;
            if let Some(pool) = &n.node.pool {
                let i = match s.pools.iter().position(|p| &p.name == pool) {
                    Some(i) => i,
                    None => {
                        s.pools.push(PoolState {
                            name: pool.clone(),
                            ..Default::default()
                        });
                        s.pools.len() - 1
                    }
                };
                let p = &mut s.pools[i];
                p.nodes += 1;
                p.cpu_requested_m += n.requested.cpu_m;
                p.memory_requested += n.requested.memory;
                p.cpu_allocatable_m += n.allocatable.cpu_m;
                p.memory_allocatable += n.allocatable.memory;
            }
        }
        s.pods_pending = self.counts[Phase::Pending as usize];
        s.pods_running = self.counts[Phase::Running as usize];
        s.pods_succeeded = self.counts[Phase::Succeeded as usize];
        s.pods_failed = self.counts[Phase::Failed as usize];
        s.cpu_usage_m = self.usage.0;
        s.memory_usage = self.usage.1;
        let (a, b, u) = self.scheduler.queue_lengths();
        s.queue = (a as u64, b as u64, u as u64);
        s
    }

    /// The run's summary (call after [`World::run`]).
    pub fn summary(&self, wall_seconds: f64) -> Summary {
        let (means, peaks) = self.sampler.means_and_peaks();
        Summary::compute(
            &self.store,
            SummaryInput {
                scenario: self.name.clone(),
                seed: self.seed,
                duration: self.duration,
                wall_seconds,
                events_processed: self.queue.processed(),
                scheduling_attempts: self.scheduler.stats().attempts,
                image_pulls: self.kubelet.image_pulls(),
                preemptions: self.scheduler.stats().preemptions,
                means,
                peaks,
                warnings: self.warnings.clone(),
            },
        )
    }
}

/// CPU (millicores) and memory (bytes) a running pod uses: its `kubesim.io/*-usage`
/// annotations, or its requests.
fn usage_of(p: &crate::api::pod::Pod) -> (i64, i64) {
    let b = &p.spec.behaviour;
    (
        b.cpu_usage_m.unwrap_or(p.spec.requests.cpu_m),
        b.memory_usage.unwrap_or(p.spec.requests.memory),
    )
}
