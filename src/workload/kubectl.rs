//! The user at the keyboard: runs `spec.timeline`'s kubectl commands at their times, as
//! kubectl would, through the API server (the store), and reports what kubectl would have
//! printed (`staging/src/k8s.io/kubectl/pkg/cmd/`). Controllers do the rest: a scaled
//! Deployment is reconciled by its controller, an image change rolls out, a drained node's
//! pods are replaced elsewhere.

mod apply;
mod drain;
mod edit;

use crate::api::kubectl::{Command, ObjectRef, Resource, Targets, TimedCommand};
use crate::component::{CommandStatus, Component, Context};
use crate::engine::SimTime;
use crate::store::{
    Change, ChangeKind, DaemonSetId, DeploymentId, NodeId, PodId, ReplicaSetId, StatefulSetId,
    Store, Watch,
};
use drain::DrainState;

/// The timeline's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubectlEvent {
    /// Run the command of this index.
    Run(usize),
    /// A drain retries the evictions its budgets refused (every 5 s, as kubectl does).
    DrainRetry(usize),
    /// A drain's `--timeout` passed.
    DrainTimeout(usize),
}

/// The timeline.
pub struct Kubectl {
    commands: Vec<TimedCommand>,
    /// The drains under way, by command index.
    drains: Vec<(usize, DrainState)>,
    /// The wall-clock instant of t = 0 (`spec.startTime`), ms since the epoch.
    start_unix_ms: i64,
}

type Ctx<'a, 'b> = &'a mut Context<'b, KubectlEvent>;

/// One object a command resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Pod(PodId),
    Node(NodeId),
    Deployment(DeploymentId),
    ReplicaSet(ReplicaSetId),
    DaemonSet(DaemonSetId),
    StatefulSet(StatefulSetId),
}

impl Kubectl {
    /// The timeline of these commands (in time order); `start_unix_ms` is `spec.startTime`.
    pub fn new(commands: Vec<TimedCommand>, start_unix_ms: i64) -> Self {
        Kubectl {
            commands,
            drains: Vec::new(),
            start_unix_ms,
        }
    }
}

impl Component for Kubectl {
    type Event = KubectlEvent;

    fn name(&self) -> &str {
        "kubectl"
    }

    fn watches(&self) -> Watch {
        if self
            .commands
            .iter()
            .any(|c| matches!(c.command, Command::Drain(_)))
        {
            Watch::of(&[ChangeKind::PodDeleted])
        } else {
            Watch::NONE
        }
    }

    fn start(&mut self, ctx: Ctx) {
        for (i, c) in self.commands.iter().enumerate() {
            ctx.at(c.at, KubectlEvent::Run(i));
        }
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        if let Change::PodDeleted(pod) = *change {
            self.pod_gone(pod, ctx);
        }
    }

    fn handle(&mut self, event: KubectlEvent, ctx: Ctx) {
        match event {
            KubectlEvent::Run(i) => self.run(i, ctx),
            KubectlEvent::DrainRetry(i) => self.drain_retry(i, ctx),
            KubectlEvent::DrainTimeout(i) => self.drain_timeout(i, ctx),
        }
    }
}

/// Finds one named object.
fn find(store: &Store, o: &ObjectRef) -> Option<Found> {
    Some(match o.resource {
        Resource::Pod => Found::Pod(store.pod_id(&o.namespace, &o.name)?),
        Resource::Node => Found::Node(store.node_id(&o.name)?),
        Resource::Deployment => Found::Deployment(store.deployment_id(&o.namespace, &o.name)?),
        Resource::ReplicaSet | Resource::ReplicationController => {
            let id = store.replica_set_id(&o.namespace, &o.name)?;
            let kind = store.replica_set(id).spec.kind.kind();
            (kind == o.resource.kind()).then_some(Found::ReplicaSet(id))?
        }
        Resource::DaemonSet => Found::DaemonSet(store.daemon_set_id(&o.namespace, &o.name)?),
        Resource::StatefulSet => Found::StatefulSet(store.stateful_set_id(&o.namespace, &o.name)?),
        Resource::Job | Resource::Service | Resource::PodDisruptionBudget => return None,
    })
}

/// The objects of a command, with their printed names (`deployment.apps/web`), or the
/// errors kubectl prints for those not found.
fn resolve(store: &Store, targets: &Targets) -> (Vec<(Found, String)>, Vec<String>) {
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    match targets {
        Targets::Named(refs) => {
            for o in refs {
                match find(store, o) {
                    Some(f) => found.push((f, o.to_string())),
                    None => errors.push(not_found(o)),
                }
            }
        }
        Targets::Selected {
            resource,
            namespace,
            selector,
        } => {
            let name = |n: &str| format!("{}/{n}", resource.qualified());
            match resource {
                Resource::Pod => {
                    for (i, p) in store.pods().iter().enumerate() {
                        if p.status.deleted.is_none()
                            && &p.meta.namespace == namespace
                            && selector.matches(&p.meta.labels)
                        {
                            found.push((Found::Pod(PodId(i as u32)), name(&p.meta.name)));
                        }
                    }
                }
                Resource::Node => {
                    for (i, n) in store.nodes().iter().enumerate() {
                        if selector.matches(&n.meta.labels) {
                            found.push((Found::Node(NodeId(i as u32)), name(&n.meta.name)));
                        }
                    }
                }
                Resource::Deployment => {
                    for (i, d) in store.deployments().iter().enumerate() {
                        let id = DeploymentId(i as u32);
                        if store.deployment_is_live(id)
                            && &d.meta.namespace == namespace
                            && selector.matches(&d.meta.labels)
                        {
                            found.push((Found::Deployment(id), name(&d.meta.name)));
                        }
                    }
                }
                Resource::ReplicaSet | Resource::ReplicationController => {
                    for (id, rs) in store.live_replica_sets() {
                        if rs.spec.kind.kind() == resource.kind()
                            && &rs.meta.namespace == namespace
                            && selector.matches(&rs.meta.labels)
                        {
                            found.push((Found::ReplicaSet(id), name(&rs.meta.name)));
                        }
                    }
                }
                Resource::StatefulSet => {
                    for (id, ss) in store.live_stateful_sets() {
                        if &ss.meta.namespace == namespace && selector.matches(&ss.meta.labels) {
                            found.push((Found::StatefulSet(id), name(&ss.meta.name)));
                        }
                    }
                }
                Resource::DaemonSet => {
                    for (id, ds) in store.live_daemon_sets() {
                        if &ds.meta.namespace == namespace && selector.matches(&ds.meta.labels) {
                            found.push((Found::DaemonSet(id), name(&ds.meta.name)));
                        }
                    }
                }
                _ => {}
            }
            if found.is_empty() {
                errors.push(match namespace.as_str() {
                    "" => "No resources found".to_string(),
                    ns => format!("No resources found in {ns} namespace."),
                });
            }
        }
    }
    (found, errors)
}

/// kubectl's NotFound.
fn not_found(o: &ObjectRef) -> String {
    let q = o.resource.qualified();
    let plural = match q.split_once('.') {
        Some((kind, group)) => format!("{kind}s.{group}"),
        None => format!("{q}s"),
    };
    format!(
        "Error from server (NotFound): {plural} {:?} not found",
        o.name
    )
}

impl Kubectl {
    fn run(&mut self, i: usize, ctx: Ctx) {
        let c = self.commands[i].clone();
        let index = ctx.recorder.command(ctx.now(), &c.text);
        let mut out = Output {
            index,
            failed: false,
        };
        match &c.command {
            Command::Apply(objects) => self.apply(objects, &mut out, ctx),
            Command::Drain(d) => return self.drain(i, index, d, ctx),
            Command::Cordon(node) | Command::Uncordon(node) => {
                let cordon = matches!(c.command, Command::Cordon(_));
                edit::cordon(node, cordon, &mut out, ctx);
            }
            other => {
                let targets = match other {
                    Command::Delete { targets, .. }
                    | Command::Scale { targets, .. }
                    | Command::SetImage { targets, .. }
                    | Command::SetResources { targets, .. }
                    | Command::RolloutRestart(targets)
                    | Command::RolloutUndo { targets, .. }
                    | Command::RolloutPause(targets)
                    | Command::RolloutResume(targets)
                    | Command::Label(targets, _)
                    | Command::Annotate(targets, _)
                    | Command::Taint { nodes: targets, .. } => targets,
                    Command::Apply(_)
                    | Command::Drain(_)
                    | Command::Cordon(_)
                    | Command::Uncordon(_) => unreachable!("handled above"),
                };
                let (found, errors) = resolve(ctx.store, targets);
                for (f, name) in found {
                    edit::one(other, f, &name, self.start_unix_ms, &mut out, ctx);
                }
                for e in errors {
                    out.error(e, ctx);
                }
            }
        }
        out.finish(ctx);
    }
}

/// The output of one command.
pub(crate) struct Output {
    index: usize,
    failed: bool,
}

impl Output {
    /// A line of output.
    pub(crate) fn line(&mut self, line: String, ctx: Ctx) {
        ctx.recorder
            .command_output(self.index, line, CommandStatus::Running);
    }

    /// An error line (`error: ...`, or the server's error as given).
    pub(crate) fn error(&mut self, e: String, ctx: Ctx) {
        self.failed = true;
        let line = if e.starts_with("Error from server") || e.starts_with("No resources") {
            e
        } else {
            format!("error: {e}")
        };
        ctx.recorder
            .command_output(self.index, line, CommandStatus::Failed);
    }

    /// The command ended.
    fn finish(self, ctx: Ctx) {
        let status = if self.failed {
            CommandStatus::Failed
        } else {
            CommandStatus::Done
        };
        ctx.recorder.set_command_status(self.index, status);
    }
}

/// `SimTime` as the RFC 3339 instant kubectl writes (`kubectl rollout restart`).
pub(crate) fn rfc3339(start_unix_ms: i64, t: SimTime) -> String {
    crate::api::clock::format_rfc3339(start_unix_ms + t.ms())
}
