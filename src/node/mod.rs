//! The kubelet and container runtime of every node: admission, image pulls, init containers
//! and sidecars, container start, startup and readiness probes, exits, restarts with back-off
//! (`pkg/kubelet/`); and kube-proxy ([`proxy`]).
//!
//! A pod runs in steps: each regular or sidecar init container alone, in spec order, then
//! all app containers together. Each step ensures its images (the pull policy), creates and
//! starts its containers, and ends when a regular init container exits 0 or a sidecar counts
//! as started. Wording of the Events follows the kubelet (`pkg/kubelet/events/event.go`
//! reasons).

mod backoff;
mod faults;
mod images;
mod lifecycle;
pub mod memory;
pub mod proxy;
#[cfg(test)]
mod tests;

pub use backoff::CrashLoopBackoff;
pub use proxy::{KubeProxy, ProxySync};

use crate::api::event::EventType;
pub use crate::api::kubelet::KubeletTimings;
use crate::api::node::normalized_image_name;
use crate::api::pod::{Container, Phase, PodSpec};
use crate::component::{Component, ComponentMetrics, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, PodId, Watch};
use faults::Held;
use images::NodeState;
use std::collections::{BTreeMap, BTreeSet};

/// Which probe an `Unhealthy` event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    /// `startupProbe`.
    Startup,
    /// `readinessProbe`.
    Readiness,
}

/// The kubelet's timed events. Those about a pod carry the incarnation of its containers:
/// an event of an older incarnation is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletEvent {
    /// The images of the pod's current step are on the node: create its containers.
    ImagesReady(PodId, u32),
    /// The containers of the current step are running.
    Started(PodId, u32),
    /// A regular init container exited 0, or a sidecar counts as started: the next step.
    StepDone(PodId, u32),
    /// The pod's containers are all ready.
    Ready(PodId, u32),
    /// A probe failed (an `Unhealthy` event).
    ProbeFailed(PodId, u32, ProbeKind),
    /// A startup probe failed `failureThreshold` times: the containers are killed.
    StartupFailed(PodId, u32),
    /// The containers exited.
    Exited(PodId, u32),
    /// The crash back-off ended: the app containers start again.
    Restart(PodId, u32),
    /// The grace period of a terminating pod ended: the pod is removed.
    GraceExpired(PodId),
    /// A node shutting down stopped the pod's containers.
    ShutdownKill(PodId, u32),
    /// A node's shutdown grace period is over: the machine stops.
    PowerOff(NodeId),
    /// A pull finished: the node reports the image (an index into the kubelet's image names)
    /// in its `status.images`.
    ImagePulled(NodeId, u32),
}

/// Where one pod's containers are.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    /// Incarnation (0: no containers to track).
    inc: u32,
    /// The step under way: an init container's index, or the number of init containers
    /// for the app containers.
    step: u16,
    /// When every sidecar started so far is ready.
    sidecars_ready: SimTime,
    /// The containers passed their readiness checks and have not exited since.
    ready: bool,
    /// The app containers have started and not exited since.
    running: bool,
}

/// The kubelets of all nodes.
pub struct Kubelet {
    timings: KubeletTimings,
    nodes: Vec<NodeState>,
    /// Each pod's run, by pod id.
    runs: Vec<Run>,
    backoff: BTreeMap<PodId, CrashLoopBackoff>,
    /// `Pulled` messages of a step, written when its images are ready.
    pulled: BTreeMap<PodId, Vec<String>>,
    image_pulls: u64,
    /// Image sizes from the nodes' `status.images` (normalized names): a pulled image takes
    /// the size some node already reported for it, else 0 (unknown).
    sizes: BTreeMap<String, i64>,
    /// Names of pulled images, indexed by [`KubeletEvent::ImagePulled`].
    image_names: Vec<String>,
    image_ids: BTreeMap<String, u32>,
    /// Partitioned nodes, with what their kubelets hold until they rejoin.
    partitioned: BTreeMap<NodeId, Vec<Held>>,
    /// Nodes shutting down gracefully.
    shutting_down: BTreeSet<NodeId>,
}

impl Kubelet {
    /// Kubelets with these timings.
    pub fn new(timings: KubeletTimings) -> Self {
        Kubelet {
            timings,
            nodes: Vec::new(),
            runs: Vec::new(),
            backoff: BTreeMap::new(),
            pulled: BTreeMap::new(),
            image_pulls: 0,
            sizes: BTreeMap::new(),
            image_names: Vec::new(),
            image_ids: BTreeMap::new(),
            partitioned: BTreeMap::new(),
            shutting_down: BTreeSet::new(),
        }
    }

    fn run(&self, pod: PodId) -> Run {
        self.runs.get(pod.0 as usize).copied().unwrap_or_default()
    }

    fn run_mut(&mut self, pod: PodId) -> &mut Run {
        let i = pod.0 as usize;
        if self.runs.len() <= i {
            self.runs.resize(i + 1, Run::default());
        }
        &mut self.runs[i]
    }

    /// Forgets a pod's containers: every event still queued for them is stale.
    fn stop(&mut self, pod: PodId) {
        if let Some(run) = self.runs.get_mut(pod.0 as usize) {
            *run = Run::default();
        }
        self.backoff.remove(&pod);
    }
}

/// The containers of step `step`: one init container, or every app container.
fn step_containers(spec: &PodSpec, step: u16) -> &[Container] {
    let i = usize::from(step);
    match spec.init_containers.get(i) {
        Some(_) => &spec.init_containers[i..=i],
        None => &spec.containers,
    }
}

/// The number of init containers, as a step index: the app containers' step.
fn app_step(spec: &PodSpec) -> u16 {
    u16::try_from(spec.init_containers.len()).unwrap_or(u16::MAX)
}

type Ctx<'a, 'b> = &'a mut Context<'b, KubeletEvent>;

impl Component for Kubelet {
    type Event = KubeletEvent;

    fn name(&self) -> &str {
        "kubelet"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::NodeAdded,
            ChangeKind::NodeMachine,
            ChangeKind::Incident,
            ChangeKind::PodBound,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    /// A node joining, a pod bound to a node, a pod terminating or deleted.
    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::NodeAdded(id) => {
                let node = ctx.store.node(id);
                let mut images = BTreeSet::new();
                for image in &node.images {
                    for name in &image.names {
                        let name = normalized_image_name(name).into_owned();
                        let size = self.sizes.entry(name.clone()).or_default();
                        if *size == 0 {
                            *size = image.size_bytes.max(0);
                        }
                        images.insert(name);
                    }
                }
                debug_assert_eq!(id.0 as usize, self.nodes.len());
                self.nodes.push(NodeState::with_images(images));
            }
            Change::NodeMachine { node, up } => self.machine(node, up, ctx),
            Change::Incident(incident) => self.incident(incident, ctx),
            Change::PodBound { pod, node } => {
                if self.hold(Some(node), Held::Bound(pod, node)).is_none() {
                } else if self.shutting_down.contains(&node) {
                    self.reject_shutting_down(pod, ctx);
                } else if ctx.store.node_down_since(node).is_none() {
                    // (A pod bound to a node whose machine is down waits for it.)
                    self.admit(pod, node, ctx);
                }
            }
            Change::PodTerminating(pod) => {
                let node = ctx.store.pod(pod).status.node.map(NodeId);
                // No kubelet to stop a pod on a down node: it stays terminating until the
                // node returns.
                if self.hold(node, Held::Terminating(pod)).is_some() && !self.on_down_node(pod, ctx)
                {
                    self.terminating(pod, ctx);
                }
            }
            Change::PodDeleted(pod) => {
                let node = ctx.store.pod(pod).status.node.map(NodeId);
                if self.hold(node, Held::Deleted(pod)).is_some() {
                    self.deleted(pod, ctx);
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: KubeletEvent, ctx: Ctx) {
        if !self.partitioned.is_empty() {
            let node = Self::event_node(event, ctx);
            if self.hold(node, Held::Event(event)).is_none() {
                return;
            }
        }
        self.handle_event(event, ctx);
    }

    fn export(&self, metrics: &mut ComponentMetrics) {
        metrics.image_pulls += self.image_pulls;
    }
}

impl Kubelet {
    /// Whether `pod` is bound to a node whose machine is down.
    fn on_down_node(&self, pod: PodId, ctx: Ctx) -> bool {
        let node = ctx.store.pod(pod).status.node;
        node.is_some_and(|n| ctx.store.node_down_since(NodeId(n)).is_some())
    }

    /// The API server marked a pod for deletion: SIGTERM now; the pod keeps its node until
    /// the grace period ends (`terminationGracePeriodSeconds`, the upper bound of a real
    /// shutdown).
    fn terminating(&mut self, pod: PodId, ctx: Ctx) {
        self.record_killing(pod, ctx);
        let grace = ctx.store.deletion_grace_ms(pod);
        ctx.after(grace, KubeletEvent::GraceExpired(pod));
    }

    /// The API server removed a pod: its containers, if any still run, are killed.
    fn deleted(&mut self, pod: PodId, ctx: Ctx) {
        let p = ctx.store.pod(pod);
        if p.status.node.is_some() && !p.phase().is_terminal() && p.status.terminating.is_none() {
            self.record_killing(pod, ctx);
        }
        self.stop(pod);
    }

    /// `Killing` for each running container: the app containers, then the sidecars started
    /// so far in reverse order (upstream stops sidecars last).
    fn record_killing(&self, pod: PodId, ctx: Ctx) {
        let run = self.run(pod);
        let spec = ctx.store.pod(pod).spec.clone();
        let started_inits = usize::from(run.step).min(spec.init_containers.len());
        let app = if run.step >= app_step(&spec) {
            &spec.containers[..]
        } else {
            &[]
        };
        let sidecars = spec.init_containers[..started_inits]
            .iter()
            .rev()
            .filter(|c| c.sidecar);
        for c in app.iter().chain(sidecars) {
            let msg = format!("Stopping container {}", c.name);
            ctx.record_pod(pod, EventType::Normal, "Killing", msg);
        }
    }

    fn admit(&mut self, pod: PodId, node: NodeId, ctx: Ctx) {
        let now = ctx.now();
        if ctx.store.pod(pod).status.resume.is_some() {
            return self.resume(pod, ctx);
        }
        // Admission: the node must still have room (it may not when the pod came pre-bound).
        let store = &*ctx.store;
        let alloc = &store.node(node).allocatable;
        let want = &store.pod(pod).spec.requests;
        // What the other pods on the node request (the pod itself is already counted).
        let (mut used_cpu, mut used_memory) = store.requested_on_node(node);
        if store.pods_on_node(node).contains(&pod) {
            used_cpu -= want.cpu_m;
            used_memory -= want.memory;
        }
        let short = [
            ("cpu", want.cpu_m, used_cpu, alloc.cpu_m),
            ("memory", want.memory, used_memory, alloc.memory),
        ]
        .into_iter()
        .find(|(_, w, u, a)| *w > 0 && w + u > *a);
        if let Some((res, w, u, a)) = short {
            let reason: &'static str = if res == "cpu" {
                "OutOfcpu"
            } else {
                "OutOfmemory"
            };
            let msg = format!(
                "Node didn't have enough resource: {res}, requested: {w}, used: {u}, capacity: {a}"
            );
            ctx.record_pod(pod, EventType::Warning, reason, msg);
            ctx.store.set_pod_reason(pod, Some(reason));
            ctx.store.set_phase(pod, Phase::Failed, now);
            return;
        }
        let run = self.run_mut(pod);
        *run = Run {
            inc: run.inc + 1,
            step: 0,
            sidecars_ready: now,
            ready: false,
            running: false,
        };
        self.begin_step(pod, node, ctx);
    }

    fn handle_event(&mut self, event: KubeletEvent, ctx: Ctx) {
        let (pod, inc) = match event {
            KubeletEvent::ImagePulled(node, index) => {
                self.image_pulled(node, index, ctx);
                return;
            }
            KubeletEvent::GraceExpired(pod) => {
                if !self.on_down_node(pod, ctx) {
                    let now = ctx.now();
                    ctx.store.delete_pod(pod, now);
                }
                return;
            }
            KubeletEvent::PowerOff(node) => {
                let now = ctx.now();
                ctx.store.crash_node(node, now);
                return;
            }
            KubeletEvent::ImagesReady(p, i)
            | KubeletEvent::Started(p, i)
            | KubeletEvent::StepDone(p, i)
            | KubeletEvent::Ready(p, i)
            | KubeletEvent::ProbeFailed(p, i, _)
            | KubeletEvent::StartupFailed(p, i)
            | KubeletEvent::Exited(p, i)
            | KubeletEvent::Restart(p, i)
            | KubeletEvent::ShutdownKill(p, i) => (p, i),
        };
        if inc == 0 || self.run(pod).inc != inc {
            return; // stale: the pod was deleted or restarted since
        }
        {
            let p = ctx.store.pod(pod);
            if p.status.deleted.is_some() || p.phase().is_terminal() {
                return;
            }
        }
        match event {
            KubeletEvent::ImagePulled(..)
            | KubeletEvent::GraceExpired(_)
            | KubeletEvent::PowerOff(_) => {}
            KubeletEvent::ShutdownKill(..) => self.shutdown_kill(pod, ctx),
            KubeletEvent::ImagesReady(..) => self.create(pod, inc, ctx),
            KubeletEvent::Started(..) => self.started(pod, inc, ctx),
            KubeletEvent::StepDone(..) => {
                let run = self.run_mut(pod);
                run.step += 1;
                let node = ctx.store.pod(pod).status.node;
                if let Some(node) = node {
                    self.begin_step(pod, NodeId(node), ctx);
                }
            }
            KubeletEvent::Ready(..) => {
                let now = ctx.now();
                self.run_mut(pod).ready = true;
                ctx.store.set_ready(pod, true, now);
            }
            KubeletEvent::ProbeFailed(_, _, kind) => {
                let what = match kind {
                    ProbeKind::Startup => "Startup",
                    ProbeKind::Readiness => "Readiness",
                };
                let msg = format!("{what} probe failed: the application is not answering yet");
                ctx.record_pod(pod, EventType::Warning, "Unhealthy", msg);
            }
            KubeletEvent::StartupFailed(..) => self.startup_failed(pod, ctx),
            KubeletEvent::Exited(..) => {
                let code = ctx.store.pod(pod).spec.behaviour.exit_code;
                self.exited(pod, code, ctx);
            }
            KubeletEvent::Restart(..) => {
                // The restart count counts containers started again, as the kubelet's
                // restartCount does: not the crash, but the new container after the back-off
                // (whose CrashLoopBackOff wait is then over).
                ctx.store.record_restart(pod);
                if ctx.store.pod(pod).status.reason == Some("CrashLoopBackOff") {
                    ctx.store.set_pod_reason(pod, None);
                }
                let node = ctx.store.pod(pod).status.node;
                if let Some(node) = node {
                    self.begin_step(pod, NodeId(node), ctx);
                }
            }
        }
    }
}
