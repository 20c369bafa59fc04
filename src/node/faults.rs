//! What the kubelet does when a fault strikes its machine: a crash or a repair, a network
//! partition and the catching up after it, a kubelet restart, a graceful node shutdown
//! (`pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go`), a container crash.

use super::{Ctx, Kubelet, KubeletEvent};
use crate::api::event::EventType;
use crate::api::node::{ConditionStatus, NodeConditionType};
use crate::api::pod::Phase;
use crate::store::{Incident, NodeId, PodId};

/// Priority from which a pod is critical to the kubelet (`SystemCriticalPriority`,
/// `pkg/apis/scheduling/types.go`): it is stopped in the shutdown's last part.
const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// What the kubelet of a partitioned node did but could not tell the API server, or was
/// told of but could not hear: replayed in order when the node rejoins.
#[derive(Clone, Copy, Debug)]
pub(super) enum Held {
    /// One of its own timed events.
    Event(KubeletEvent),
    /// The API server marked the pod for deletion.
    Terminating(PodId),
    /// The API server removed the pod.
    Deleted(PodId),
    /// The scheduler bound a pod to the node.
    Bound(PodId, NodeId),
}

impl Kubelet {
    /// The node a timed event is about.
    pub(super) fn event_node(event: KubeletEvent, ctx: Ctx) -> Option<NodeId> {
        let pod = match event {
            KubeletEvent::ImagePulled(node, _) | KubeletEvent::PowerOff(node) => {
                return Some(node);
            }
            KubeletEvent::GraceExpired(p)
            | KubeletEvent::ImagesReady(p, _)
            | KubeletEvent::Started(p, _)
            | KubeletEvent::StepDone(p, _)
            | KubeletEvent::Ready(p, _)
            | KubeletEvent::ProbeFailed(p, _, _)
            | KubeletEvent::StartupFailed(p, _)
            | KubeletEvent::Exited(p, _)
            | KubeletEvent::Restart(p, _)
            | KubeletEvent::ShutdownKill(p, _) => p,
        };
        ctx.store.pod(pod).status.node.map(NodeId)
    }

    /// Keeps `held` for when `node` rejoins, if it is partitioned; gives it back otherwise.
    pub(super) fn hold(&mut self, node: Option<NodeId>, held: Held) -> Option<Held> {
        match node.and_then(|n| self.partitioned.get_mut(&n)) {
            Some(queue) => {
                queue.push(held);
                None
            }
            None => Some(held),
        }
    }

    /// A node's machine stopped or lost the API server (down), or runs again or rejoins
    /// (up).
    pub(super) fn machine(&mut self, node: NodeId, up: bool, ctx: Ctx) {
        if !up && ctx.store.node_partitioned(node) {
            // The containers run on; only the API server is out of reach.
            self.partitioned.insert(node, Vec::new());
            return;
        }
        if up && let Some(held) = self.partitioned.remove(&node) {
            return self.rejoin(node, held, ctx);
        }
        if up {
            self.reboot(node, ctx);
        } else {
            for pod in ctx.store.pods_on_node(node).to_vec() {
                self.stop(pod);
            }
        }
    }

    /// The machine is back after a crash or a shutdown: the kubelet starts again, finishes
    /// the deletions the API server asked for meanwhile, and starts the other pods bound
    /// there anew, as after a reboot (a new sandbox: init containers run again, each
    /// container that had started counts a restart).
    fn reboot(&mut self, node: NodeId, ctx: Ctx) {
        let now = ctx.now();
        for pod in ctx.store.pods_on_node(node).to_vec() {
            let p = ctx.store.pod(pod);
            if p.status.deleted.is_some() || p.status.terminating.is_some() {
                ctx.store.delete_pod(pod, now);
                continue;
            }
            if p.phase().is_terminal() {
                continue;
            }
            let started = p.status.started.is_some();
            ctx.store.set_ready(pod, false, now);
            if started {
                ctx.store.record_restart(pod);
            }
            self.admit(pod, node, ctx);
        }
        self.shutting_down.remove(&node);
        self.report_ready(node, ctx);
    }

    /// The node reaches the API server again: the kubelet reports Ready, tells what its
    /// containers did meanwhile, hears of the pods deleted meanwhile and stops them with
    /// their grace period, and reports its ready pods ready again (the node lifecycle
    /// controller marked them not ready).
    fn rejoin(&mut self, node: NodeId, held: Vec<Held>, ctx: Ctx) {
        self.report_ready(node, ctx);
        for h in held {
            match h {
                Held::Event(event) => self.handle_event(event, ctx),
                Held::Terminating(pod) => self.terminating(pod, ctx),
                Held::Deleted(pod) => self.deleted(pod, ctx),
                Held::Bound(pod, node) => self.admit(pod, node, ctx),
            }
        }
        let now = ctx.now();
        for pod in ctx.store.pods_on_node(node).to_vec() {
            let p = ctx.store.pod(pod);
            let live = p.status.terminating.is_none() && !p.phase().is_terminal();
            if live && self.run(pod).ready && !p.status.ready {
                ctx.store.set_ready(pod, true, now);
            }
        }
    }

    /// The kubelet's status post after it starts: Ready (`recordNodeStatusEvent`).
    fn report_ready(&self, node: NodeId, ctx: Ctx) {
        ctx.store
            .set_node_condition(node, NodeConditionType::Ready, ConditionStatus::True);
        self.node_event(node, "NodeReady", ctx);
    }

    /// `Node NAME status is now: REASON`.
    fn node_event(&self, node: NodeId, reason: &'static str, ctx: Ctx) {
        let name = ctx.store.node(node).meta.name.clone();
        let msg = format!("Node {name} status is now: {reason}");
        ctx.record(EventType::Normal, reason, format!("Node/{name}"), msg);
    }

    /// A fault strikes a machine that keeps running, or a pod's containers.
    pub(super) fn incident(&mut self, incident: Incident, ctx: Ctx) {
        match incident {
            Incident::KubeletRestart(node) => {
                // A new process: `Starting kubelet.`; the containers run on.
                if ctx.store.node_down_since(node).is_none() {
                    let name = ctx.store.node(node).meta.name.clone();
                    let msg = "Starting kubelet.".to_string();
                    ctx.record(EventType::Normal, "Starting", format!("Node/{name}"), msg);
                }
            }
            Incident::Shutdown(node) => self.shutdown(node, ctx),
            Incident::Evicted(pod) => self.evicted(pod, ctx),
            Incident::ContainersCrashed {
                pod,
                exit_code,
                oom,
            } => {
                let p = ctx.store.pod(pod);
                let running = p.phase() == Phase::Running
                    && p.status.terminating.is_none()
                    && self.run(pod).running;
                let node = p.status.node.map(NodeId);
                let reachable = node.is_some_and(|n| ctx.store.node_down_since(n).is_none());
                if running && reachable {
                    if oom {
                        oom_event(pod, ctx);
                    }
                    self.exited(pod, exit_code, ctx);
                    if oom && ctx.store.pod(pod).phase() == Phase::Failed {
                        ctx.store.set_pod_reason(pod, Some("OOMKilled"));
                    }
                }
            }
        }
    }

    /// Graceful node shutdown: with `shutdownGracePeriod` 0 (upstream's default) the
    /// machine just stops. Otherwise the kubelet reports NotReady ("node is shutting
    /// down"), rejects new pods, stops the regular pods within the grace period less the
    /// critical pods' part and then the critical ones, each pod Failed with reason
    /// Terminated, and the machine stops when the grace period is over.
    fn shutdown(&mut self, node: NodeId, ctx: Ctx) {
        let now = ctx.now();
        let grace = self.timings.shutdown_grace_period_ms;
        if ctx.store.node_down_since(node).is_some() || self.shutting_down.contains(&node) {
            return;
        }
        if grace == 0 {
            return ctx.store.crash_node(node, now);
        }
        self.shutting_down.insert(node);
        let name = ctx.store.node(node).meta.name.clone();
        let msg = "Shutdown manager detected shutdown event".to_string();
        ctx.record(EventType::Normal, "Shutdown", format!("Node/{name}"), msg);
        ctx.store
            .set_node_condition(node, NodeConditionType::Ready, ConditionStatus::False);
        self.node_event(node, "NodeNotReady", ctx);
        let critical = self.timings.shutdown_grace_period_critical_pods_ms;
        let regular = grace - critical;
        for pod in ctx.store.pods_on_node(node).to_vec() {
            let p = ctx.store.pod(pod);
            if p.phase().is_terminal() || p.status.terminating.is_some() {
                continue;
            }
            let own = ctx.store.deletion_grace_ms(pod);
            let at = if p.spec.priority >= SYSTEM_CRITICAL_PRIORITY {
                regular + own.min(critical)
            } else {
                own.min(regular)
            };
            self.record_killing(pod, ctx);
            let inc = self.run(pod).inc;
            ctx.after(at, KubeletEvent::ShutdownKill(pod, inc));
        }
        ctx.after(grace, KubeletEvent::PowerOff(node));
    }

    /// A pod's containers are gone in a shutdown: the pod failed.
    pub(super) fn shutdown_kill(&mut self, pod: PodId, ctx: Ctx) {
        let now = ctx.now();
        ctx.store.set_ready(pod, false, now);
        ctx.store.set_pod_reason(pod, Some("Terminated"));
        ctx.store.set_phase(pod, Phase::Failed, now);
        self.stop(pod);
    }

    /// The eviction manager evicts a pod: its containers are killed at once (a hard
    /// threshold has no grace period) and it fails with reason Evicted.
    fn evicted(&mut self, pod: PodId, ctx: Ctx) {
        let p = ctx.store.pod(pod);
        if p.phase().is_terminal() || p.status.deleted.is_some() {
            return;
        }
        let now = ctx.now();
        self.record_killing(pod, ctx);
        ctx.store.set_ready(pod, false, now);
        ctx.store.set_pod_reason(pod, Some("Evicted"));
        ctx.store.set_phase(pod, Phase::Failed, now);
        self.stop(pod);
    }

    /// A pod bound to a node that is shutting down: rejected (`Admit` of the shutdown
    /// manager).
    pub(super) fn reject_shutting_down(&self, pod: PodId, ctx: Ctx) {
        let now = ctx.now();
        let msg = "Pod was rejected as the node is shutting down.".to_string();
        ctx.record_pod(pod, EventType::Warning, "NodeShutdown", msg);
        ctx.store.set_pod_reason(pod, Some("NodeShutdown"));
        ctx.store.set_phase(pod, Phase::Failed, now);
    }
}

/// The kernel's OOM kill of a pod's process, as node-problem-detector's kernel monitor
/// reports it on the node (`OOMKilling`).
fn oom_event(pod: PodId, ctx: Ctx) {
    let p = ctx.store.pod(pod);
    let container = p.spec.containers[0].name.clone();
    let (ns, name) = (p.meta.namespace.clone(), p.meta.name.clone());
    let Some(node) = p.status.node.map(NodeId) else {
        return;
    };
    let node = ctx.store.node(node).meta.name.clone();
    let msg =
        format!("Memory cgroup out of memory: Killed process ({container}) of pod {ns}/{name}");
    ctx.record(
        EventType::Warning,
        "OOMKilling",
        format!("Node/{node}"),
        msg,
    );
}
