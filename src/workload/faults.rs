//! Faults acting on the machines and containers under the cluster: the timeline's, at their
//! times ([`Faults`]), and `spec.faults`' random ones ([`FaultGenerator`], one component
//! and random stream each). A crashed node's kubelet stops
//! ([`crate::store::Store::crash_node`]); the control plane is not told, and the node
//! lifecycle controller notices the heartbeats stopping, as upstream's does.

use crate::api::fault::{Fault, FaultGenerator as Generator, GeneratedKind, PodTarget, TimedFault};
use crate::api::node::LABEL_ZONE;
use crate::component::CommandStatus;
use crate::component::{Component, Context};
use crate::store::{Change, ChangeKind, Incident, NodeId, PodId, Watch};
use std::collections::BTreeSet;

/// What a fault leaves to happen later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUp {
    /// The machine is repaired, or the partition heals.
    Recover(NodeId),
    /// A spot instance's notice ran out: it shuts down.
    Shutdown(NodeId),
}

/// Applies `fault` now, recording it; returns what it leaves for later (delay in ms).
fn strike<E>(fault: &TimedFault, ctx: &mut Context<'_, E>) -> Vec<(i64, FollowUp)> {
    let now = ctx.now();
    let record = ctx.recorder.fault(now, &fault.text);
    let mut later = Vec::new();
    let node = fault.fault.node().and_then(|n| ctx.store.node_id(n));
    if let Some(id) = node
        && !matches!(
            fault.fault,
            Fault::KubeletRestart { .. } | Fault::NodeRecover { .. }
        )
    {
        ctx.recorder
            .struck(record, ctx.store.pods_on_node(id).iter().copied());
    }
    match (&fault.fault, node) {
        (Fault::NodeCrash { .. }, Some(id)) => ctx.store.crash_node(id, now),
        (Fault::NodeRecover { .. }, Some(id)) => recover(id, ctx),
        (Fault::NetworkPartition { for_ms, .. }, Some(id)) => {
            ctx.store.partition_node(id, now);
            later.push((*for_ms, FollowUp::Recover(id)));
        }
        (Fault::KubeletRestart { .. }, Some(id)) => {
            ctx.store.incident(Incident::KubeletRestart(id));
        }
        (Fault::NodeShutdown { .. }, Some(id)) => ctx.store.incident(Incident::Shutdown(id)),
        (Fault::SpotInterruption { notice_ms, .. }, Some(id)) => {
            later.push((*notice_ms, FollowUp::Shutdown(id)));
        }
        (Fault::ZoneOutage { zone, for_ms }, _) => {
            let ids: Vec<NodeId> = (0..ctx.store.nodes().len())
                .map(|i| NodeId(i as u32))
                .filter(|&id| ctx.store.node(id).meta.labels.get(LABEL_ZONE) == Some(zone))
                .collect();
            for id in ids {
                if ctx.store.node_down_since(id).is_none() {
                    ctx.recorder
                        .struck(record, ctx.store.pods_on_node(id).iter().copied());
                    ctx.store.crash_node(id, now);
                    later.push((*for_ms, FollowUp::Recover(id)));
                }
            }
        }
        (
            Fault::PodCrash {
                namespace,
                target,
                exit_code,
            },
            _,
        ) => {
            let pods = target_pods(namespace, target, ctx);
            let line = match pods.len() {
                0 => format!("no running pod matches {:?}", fault.text),
                n => format!("{n} pod(s) crashed"),
            };
            let status = if pods.is_empty() {
                CommandStatus::Failed
            } else {
                CommandStatus::Done
            };
            ctx.recorder.command_output(record, line, status);
            ctx.recorder.struck(record, pods.iter().copied());
            for pod in pods {
                let exit_code = *exit_code;
                ctx.store.incident(Incident::ContainersCrashed {
                    pod,
                    exit_code,
                    oom: false,
                });
            }
        }
        (_, None) => {
            let line = format!("node {:?} not found", fault.fault.node().unwrap_or(""));
            ctx.recorder
                .command_output(record, line, CommandStatus::Failed);
        }
    }
    later
}

/// The machine runs again: its kubelet starts (`Starting kubelet.`, `pkg/kubelet/kubelet.go`).
fn recover<E>(id: NodeId, ctx: &mut Context<'_, E>) {
    if ctx.store.node_down_since(id).is_none() {
        return;
    }
    let partitioned = ctx.store.node_partitioned(id);
    ctx.store.recover_node(id, ctx.now());
    if !partitioned {
        let object = format!("Node/{}", ctx.store.node(id).meta.name);
        let msg = "Starting kubelet.".to_string();
        ctx.record(
            crate::api::event::EventType::Normal,
            "Starting",
            object,
            msg,
        );
    }
}

/// A follow-up falling due.
fn follow_up<E>(f: FollowUp, ctx: &mut Context<'_, E>) {
    match f {
        FollowUp::Recover(id) => recover(id, ctx),
        FollowUp::Shutdown(id) => ctx.store.incident(Incident::Shutdown(id)),
    }
}

/// The running pods a pod fault names.
fn target_pods<E>(namespace: &str, target: &PodTarget, ctx: &Context<'_, E>) -> Vec<PodId> {
    let store = &*ctx.store;
    let running = |id: PodId| {
        let p = store.pod(id);
        p.phase() == crate::api::Phase::Running && p.status.deleted.is_none()
    };
    match target {
        PodTarget::Name(name) => (store.pod_id(namespace, name).into_iter())
            .filter(|&id| running(id))
            .collect(),
        PodTarget::Selector(sel) => (0..store.pods().len())
            .map(|i| PodId(i as u32))
            .filter(|&id| {
                let p = store.pod(id);
                p.meta.namespace == namespace && sel.matches(&p.meta.labels) && running(id)
            })
            .collect(),
    }
}

/// The timeline faults' events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultEvent {
    /// A fault falls due (its index in the timeline's faults).
    Due(usize),
    /// What a fault left for later.
    Then(FollowUp),
}

/// The scripted faults.
pub struct Faults {
    faults: Vec<TimedFault>,
}

impl Faults {
    /// The component for these faults (in time order).
    pub fn new(faults: Vec<TimedFault>) -> Self {
        Faults { faults }
    }
}

impl Component for Faults {
    type Event = FaultEvent;

    fn name(&self) -> &str {
        "faults"
    }

    fn watches(&self) -> Watch {
        Watch::NONE
    }

    fn start(&mut self, ctx: &mut Context<'_, FaultEvent>) {
        for (i, f) in self.faults.iter().enumerate() {
            ctx.at(f.at, FaultEvent::Due(i));
        }
    }

    fn handle(&mut self, event: FaultEvent, ctx: &mut Context<'_, FaultEvent>) {
        match event {
            FaultEvent::Due(i) => {
                for (delay, f) in strike(&self.faults[i], ctx) {
                    ctx.after(delay, FaultEvent::Then(f));
                }
            }
            FaultEvent::Then(f) => follow_up(f, ctx),
        }
    }
}

/// A generator's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneratorEvent {
    /// The node fails.
    Fail(NodeId),
    /// The node is repaired.
    Repair(NodeId),
    /// What a failure left for later (a spot notice running out).
    Then(FollowUp),
    /// The pod's containers crash.
    Crash(PodId),
}

/// One `spec.faults` entry at work: each node it selects fails after a time to failure,
/// comes back after a time to repair, and fails again; each pod it selects crashes after a
/// time to failure from when it starts running, and again after each crash.
pub struct FaultGenerator {
    spec: Generator,
    component: String,
    /// Pods whose crashes are scheduled.
    pods: BTreeSet<PodId>,
}

impl FaultGenerator {
    /// The component for one entry (its name: `faults/<name>`, its random stream's).
    pub fn new(spec: Generator) -> Self {
        let component = format!("faults/{}", spec.name);
        FaultGenerator {
            spec,
            component,
            pods: BTreeSet::new(),
        }
    }

    /// The fault of a node failing, for `repair_ms`.
    fn failure(&self, node: &str, repair_ms: i64) -> Fault {
        let node = node.to_string();
        match self.spec.kind {
            GeneratedKind::NodeCrash => Fault::NodeCrash { node },
            GeneratedKind::NodeShutdown => Fault::NodeShutdown { node },
            GeneratedKind::KubeletRestart => Fault::KubeletRestart { node },
            GeneratedKind::SpotInterruption => Fault::SpotInterruption {
                node,
                notice_ms: crate::api::fault::SPOT_NOTICE_MS,
            },
            GeneratedKind::NetworkPartition => Fault::NetworkPartition {
                node,
                for_ms: repair_ms,
            },
            GeneratedKind::PodCrash { .. } => unreachable!("pods crash through `crash`"),
        }
    }

    fn fail(&mut self, id: NodeId, ctx: &mut Context<'_, GeneratorEvent>) {
        let next = self.spec.time_to_failure.sample(ctx.rng);
        if ctx.store.node_down_since(id).is_some() {
            // Down already (another fault): this one comes later.
            ctx.after(next, GeneratorEvent::Fail(id));
            return;
        }
        if self.spec.kind == GeneratedKind::KubeletRestart {
            let name = ctx.store.node(id).meta.name.clone();
            strike(
                &TimedFault::generated(ctx.now(), self.failure(&name, 0)),
                ctx,
            );
            ctx.after(next, GeneratorEvent::Fail(id));
            return;
        }
        let repair = self.spec.time_to_repair.sample(ctx.rng);
        let name = ctx.store.node(id).meta.name.clone();
        let fault = TimedFault::generated(ctx.now(), self.failure(&name, repair));
        let mut notice = 0;
        for (delay, f) in strike(&fault, ctx) {
            // A partition's end is the repair below; a spot notice runs out first.
            if let FollowUp::Shutdown(_) = f {
                notice = delay;
                ctx.after(delay, GeneratorEvent::Then(f));
            }
        }
        ctx.after(notice + repair, GeneratorEvent::Repair(id));
    }

    fn crash(&mut self, pod: PodId, ctx: &mut Context<'_, GeneratorEvent>) {
        let p = ctx.store.pod(pod);
        if p.phase().is_terminal() || p.status.deleted.is_some() {
            self.pods.remove(&pod);
            return;
        }
        let GeneratedKind::PodCrash { exit_code } = self.spec.kind else {
            return;
        };
        let fault = Fault::PodCrash {
            namespace: p.meta.namespace.clone(),
            target: PodTarget::Name(p.meta.name.clone()),
            exit_code,
        };
        if p.phase() == crate::api::Phase::Running {
            strike(&TimedFault::generated(ctx.now(), fault), ctx);
        }
        let next = self.spec.time_to_failure.sample(ctx.rng);
        ctx.after(next, GeneratorEvent::Crash(pod));
    }
}

impl Component for FaultGenerator {
    type Event = GeneratorEvent;

    fn name(&self) -> &str {
        &self.component
    }

    fn watches(&self) -> Watch {
        match self.spec.kind {
            GeneratedKind::PodCrash { .. } => Watch::of(&[ChangeKind::PodPhase]),
            _ => Watch::NONE,
        }
    }

    fn start(&mut self, ctx: &mut Context<'_, GeneratorEvent>) {
        if matches!(self.spec.kind, GeneratedKind::PodCrash { .. }) {
            return;
        }
        let nodes: Vec<NodeId> = (0..ctx.store.nodes().len())
            .map(|i| NodeId(i as u32))
            .filter(|&id| self.spec.selector.matches(&ctx.store.node(id).meta.labels))
            .collect();
        for id in nodes {
            let first = self.spec.time_to_failure.sample(ctx.rng);
            ctx.after(first, GeneratorEvent::Fail(id));
        }
    }

    fn on_change(&mut self, change: &Change, ctx: &mut Context<'_, GeneratorEvent>) {
        let Change::PodPhase { pod, to, .. } = *change else {
            return;
        };
        if to != crate::api::Phase::Running || self.pods.contains(&pod) {
            return;
        }
        let p = ctx.store.pod(pod);
        let namespace_ok = (self.spec.namespace.as_ref()).is_none_or(|ns| *ns == p.meta.namespace);
        if namespace_ok && self.spec.selector.matches(&p.meta.labels) {
            self.pods.insert(pod);
            let first = self.spec.time_to_failure.sample(ctx.rng);
            ctx.after(first, GeneratorEvent::Crash(pod));
        }
    }

    fn handle(&mut self, event: GeneratorEvent, ctx: &mut Context<'_, GeneratorEvent>) {
        match event {
            GeneratorEvent::Fail(id) => self.fail(id, ctx),
            GeneratorEvent::Repair(id) => {
                let name = ctx.store.node(id).meta.name.clone();
                let fault = TimedFault::generated(ctx.now(), Fault::NodeRecover { node: name });
                strike(&fault, ctx);
                let next = self.spec.time_to_failure.sample(ctx.rng);
                ctx.after(next, GeneratorEvent::Fail(id));
            }
            GeneratorEvent::Then(f) => follow_up(f, ctx),
            GeneratorEvent::Crash(pod) => self.crash(pod, ctx),
        }
    }
}
