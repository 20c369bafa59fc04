//! The recorder a component reports through: Kubernetes Events (upstream's `EventRecorder`)
//! and, when explaining, the scheduler's per-attempt records. Observers take what it holds
//! after each event and hand it to the sink.

use crate::api::event::{Event, EventType, Message};
use crate::engine::SimTime;
use crate::store::{ArenaId, PodId, Store};
use std::sync::Arc;

/// One node's filter verdict in a scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterVerdict {
    /// `Success`, `Unschedulable` or `UnschedulableAndUnresolvable`.
    pub status: &'static str,
    /// The plugin that rejected the node.
    pub plugin: Option<String>,
    /// Its reasons.
    pub reason: String,
}

/// One feasible node's scores in a scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeScores {
    /// Each score plugin's normalized score, before weighting.
    pub plugins: Vec<(String, i64)>,
    /// The weighted sum.
    pub total: i64,
}

/// One scheduling attempt, as `scheduling.jsonl` records it (`--explain`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// When.
    pub time: SimTime,
    /// `namespace/name`.
    pub pod: String,
    /// Profile (`schedulerName`).
    pub profile: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `Scheduled`, `Unschedulable` or `Error`.
    pub result: &'static str,
    /// Chosen node name.
    pub node: Option<String>,
    /// FailedScheduling message or error.
    pub message: Option<String>,
    /// Filter verdicts by node name.
    pub filter: Vec<(String, FilterVerdict)>,
    /// Scores by node name.
    pub scores: Vec<(String, NodeScores)>,
    /// The profile's score plugins and their weights (`total` = Σ weight × score).
    pub weights: Vec<(String, i64)>,
    /// What PostFilter (preemption) did, when it ran.
    pub preemption: Option<PreemptionRecord>,
}

/// The outcome of preemption in one attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreemptionRecord {
    /// The node freed for the pod (`None` when preemption found nothing).
    pub nominated_node: Option<String>,
    /// The evicted pods (`namespace/name`), most important first.
    pub victims: Vec<String>,
}

/// One metric of an HPA sync, as `hpa.jsonl` records it.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaMetricRecord {
    /// Column-free name (`cpu`, `app:cpu`, a custom metric's name).
    pub name: String,
    /// `Resource`, `ContainerResource`, `Pods`, `Object` or `External`.
    pub kind: &'static str,
    /// What it read: utilization in percent, values in base units; `None` when it failed.
    pub value: Option<f64>,
    /// Its target, in the same unit.
    pub target: f64,
    /// Whether value and target are percentages of the request (Utilization targets).
    pub utilization: bool,
    /// The replicas it proposed; `None` when it failed.
    pub proposal: Option<i32>,
    /// Why it failed.
    pub error: Option<String>,
}

/// How the pods of an HPA's target were counted (`groupPods`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HpaPodCounts {
    /// Counted, with a metric.
    pub ready: u32,
    /// Not yet ready (or CPU still initializing): left out, or counted as 0 on scale-up.
    pub unready: u32,
    /// Without a metric: filled in conservatively.
    pub missing: u32,
    /// Being deleted or failed: left out.
    pub ignored: u32,
}

/// One HPA sync, as `hpa.jsonl` records it (`--explain`).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaRecord {
    /// When.
    pub time: SimTime,
    /// `namespace/name`.
    pub hpa: String,
    /// The target's `spec.replicas`.
    pub current_replicas: i32,
    /// Each metric's reading and proposal.
    pub metrics: Vec<HpaMetricRecord>,
    /// The pods as the first pod-based metric counted them.
    pub pods: HpaPodCounts,
    /// The largest proposal (before stabilization), if any metric proposed.
    pub proposal: Option<i32>,
    /// The recommendation after stabilization.
    pub recommendation: i32,
    /// The bound that changed it: `(replicas, reason)` (`TooManyReplicas`, `ScaleUpLimit`,
    /// ...), if one did.
    pub limit: Option<(i32, &'static str)>,
    /// What the HPA set.
    pub desired_replicas: i32,
    /// The SuccessfulRescale reason, when it scaled.
    pub reason: Option<String>,
    /// Why it could not compute or scale, if it could not.
    pub error: Option<String>,
}

/// Where a timeline command stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandStatus {
    /// It did what it was asked.
    Done,
    /// kubectl reported an error.
    Failed,
    /// Still at work (a drain waiting for its pods) when last seen.
    Running,
}

impl CommandStatus {
    /// `done`, `failed` or `running`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Done => "done",
            CommandStatus::Failed => "failed",
            CommandStatus::Running => "running",
        }
    }
}

/// What one timeline command did, as kubectl would have printed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    /// When it ran.
    pub time: SimTime,
    /// The command (after `kubectl`).
    pub command: String,
    /// kubectl's output lines, in order.
    pub output: Vec<String>,
    /// Where it stands.
    pub status: CommandStatus,
    /// A fault (`node-crash n-1`), not a kubectl command.
    pub fault: bool,
    /// The pods a fault struck: those on its nodes, or those whose containers it crashed.
    pub struck: Vec<PodId>,
}

/// What components reported since observers last took it.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Vec<Event>,
    attempts: Vec<AttemptRecord>,
    hpa_syncs: Vec<HpaRecord>,
    /// Every timeline command run so far (kept to the end: a drain goes on reporting).
    commands: Vec<CommandRecord>,
    /// `Pod/namespace/name` of pods that have had events, by pod id (built once, shared by
    /// every event of the pod).
    pod_objects: Vec<Option<Arc<str>>>,
    /// Pods evicted since observers last took them.
    evicted: Vec<PodId>,
}

impl Recorder {
    /// Records a Kubernetes Event about an object (`Kind/namespace/name`).
    pub fn event(
        &mut self,
        time: SimTime,
        kind: EventType,
        reason: &'static str,
        object: impl Into<Arc<str>>,
        message: impl Into<Message>,
    ) {
        self.events.push(Event {
            time,
            kind,
            reason,
            object: object.into(),
            message: message.into(),
        });
    }

    /// Records an Event about a pod.
    pub fn pod_event(
        &mut self,
        store: &Store,
        time: SimTime,
        pod: PodId,
        kind: EventType,
        reason: &'static str,
        message: impl Into<Message>,
    ) {
        let object = self.pod_object(store, pod);
        self.event(time, kind, reason, object, message);
    }

    /// `Pod/namespace/name` of a pod, built once and shared by its events.
    pub fn pod_object(&mut self, store: &Store, pod: PodId) -> Arc<str> {
        let i = pod.index();
        if self.pod_objects.len() <= i {
            self.pod_objects.resize(i + 1, None);
        }
        self.pod_objects[i]
            .get_or_insert_with(|| {
                let m = &store.pod(pod).meta;
                Arc::from(["Pod/", &m.namespace, "/", &m.name].concat())
            })
            .clone()
    }

    /// Drops a pod's shared object name (once it has ended: it has no more events).
    pub fn forget_pod(&mut self, pod: PodId) {
        if let Some(o) = self.pod_objects.get_mut(pod.index()) {
            *o = None;
        }
    }

    /// Records a scheduling attempt.
    pub fn attempt(&mut self, record: AttemptRecord) {
        self.attempts.push(record);
    }

    /// Records an HPA sync.
    pub fn hpa_sync(&mut self, record: HpaRecord) {
        self.hpa_syncs.push(record);
    }

    /// Takes the HPA sync records since the last call, oldest first.
    pub fn take_hpa_syncs(&mut self, into: &mut Vec<HpaRecord>) {
        into.append(&mut self.hpa_syncs);
    }

    /// Records a timeline command that started; its index, to report more with
    /// [`Recorder::command_output`].
    pub fn command(&mut self, time: SimTime, command: &str) -> usize {
        self.commands.push(CommandRecord {
            time,
            command: command.to_string(),
            output: Vec::new(),
            status: CommandStatus::Running,
            fault: false,
            struck: Vec::new(),
        });
        self.commands.len() - 1
    }

    /// Records a fault that happened; its index, to report more with
    /// [`Recorder::command_output`].
    pub fn fault(&mut self, time: SimTime, fault: &str) -> usize {
        self.commands.push(CommandRecord {
            time,
            command: fault.to_string(),
            output: Vec::new(),
            status: CommandStatus::Done,
            fault: true,
            struck: Vec::new(),
        });
        self.commands.len() - 1
    }

    /// Records the pods fault `index` struck.
    pub fn struck(&mut self, index: usize, pods: impl IntoIterator<Item = PodId>) {
        self.commands[index].struck.extend(pods);
    }

    /// Adds a line to a command's output and sets where it stands.
    pub fn command_output(&mut self, index: usize, line: String, status: CommandStatus) {
        let c = &mut self.commands[index];
        c.output.push(line);
        c.status = status;
    }

    /// Sets where a command stands.
    pub fn set_command_status(&mut self, index: usize, status: CommandStatus) {
        self.commands[index].status = status;
    }

    /// Every timeline command run so far.
    pub fn commands(&self) -> &[CommandRecord] {
        &self.commands
    }

    /// Takes the Events recorded since the last call, oldest first.
    pub fn take_events(&mut self, into: &mut Vec<Event>) {
        into.append(&mut self.events);
    }

    /// Records an eviction: the taint eviction controller marking a pod for deletion, the
    /// eviction API accepting one (`kubectl drain`), a kubelet evicting one under pressure.
    pub fn evicted(&mut self, pod: PodId) {
        self.evicted.push(pod);
    }

    /// Takes the pods evicted since the last call, in order.
    pub fn take_evicted(&mut self, into: &mut Vec<PodId>) {
        into.append(&mut self.evicted);
    }

    /// Takes the attempt records since the last call, oldest first.
    pub fn take_attempts(&mut self, into: &mut Vec<AttemptRecord>) {
        into.append(&mut self.attempts);
    }
}
