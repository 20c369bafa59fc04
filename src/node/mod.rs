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
mod images;
mod lifecycle;
pub mod proxy;
#[cfg(test)]
mod tests;

pub use backoff::CrashLoopBackoff;
pub use proxy::{KubeProxy, ProxySync};

use crate::api::event::EventType;
pub use crate::api::kubelet::KubeletTimings;
use crate::api::node::{ConditionStatus, NodeConditionType, normalized_image_name};
use crate::api::pod::{Container, Phase, PodSpec};
use crate::component::{Component, ComponentMetrics, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, PodId, Watch};
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
            // A pod bound to a node whose machine is down waits for it.
            Change::PodBound { pod, node } if ctx.store.node_down_since(node).is_none() => {
                self.admit(pod, node, ctx);
            }
            Change::PodTerminating(pod) if self.on_down_node(pod, ctx) => {
                // No kubelet to stop it: the pod stays terminating until its node returns.
            }
            Change::PodTerminating(pod) => {
                // SIGTERM now; the pod keeps its node until the grace period ends
                // (`terminationGracePeriodSeconds`, the upper bound of a real shutdown).
                self.record_killing(pod, ctx);
                let grace = ctx.store.deletion_grace_ms(pod);
                ctx.after(grace, KubeletEvent::GraceExpired(pod));
            }
            Change::PodDeleted(pod) => {
                let p = ctx.store.pod(pod);
                if p.status.node.is_some()
                    && !p.phase().is_terminal()
                    && p.status.terminating.is_none()
                {
                    self.record_killing(pod, ctx);
                }
                self.stop(pod);
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: KubeletEvent, ctx: Ctx) {
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

    /// A node's machine stopped or came back. Down: every container on it is gone (each
    /// pod's queued events turn stale). Back: the kubelet starts again, finishes the
    /// deletions the API server asked for meanwhile, and starts the other pods bound there
    /// anew, as after a reboot (a new sandbox: init containers run again, each container
    /// counts a restart).
    fn machine(&mut self, node: NodeId, up: bool, ctx: Ctx) {
        let pods = ctx.store.pods_on_node(node).to_vec();
        let now = ctx.now();
        for pod in pods {
            if !up {
                self.stop(pod);
                continue;
            }
            let p = ctx.store.pod(pod);
            if p.status.deleted.is_some() || p.status.terminating.is_some() {
                ctx.store.delete_pod(pod, now);
                continue;
            }
            if p.phase().is_terminal() {
                continue;
            }
            ctx.store.set_ready(pod, false, now);
            ctx.store.record_restart(pod);
            self.admit(pod, node, ctx);
        }
        if up {
            // The kubelet's first status post: Ready (`recordNodeStatusEvent`).
            ctx.store
                .set_node_condition(node, NodeConditionType::Ready, ConditionStatus::True);
            let name = ctx.store.node(node).meta.name.clone();
            let msg = format!("Node {name} status is now: NodeReady");
            ctx.record(EventType::Normal, "NodeReady", format!("Node/{name}"), msg);
        }
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
            KubeletEvent::ImagesReady(p, i)
            | KubeletEvent::Started(p, i)
            | KubeletEvent::StepDone(p, i)
            | KubeletEvent::Ready(p, i)
            | KubeletEvent::ProbeFailed(p, i, _)
            | KubeletEvent::StartupFailed(p, i)
            | KubeletEvent::Exited(p, i)
            | KubeletEvent::Restart(p, i) => (p, i),
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
            KubeletEvent::ImagePulled(..) | KubeletEvent::GraceExpired(_) => {}
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
