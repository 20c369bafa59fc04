//! The scheduling framework: extension points as small traits, and the status they return
//! (`staging/src/k8s.io/kube-scheduler/framework/interface.go`).
//!
//! A plugin implements [`Plugin`] and, for each extension point it serves, that point's trait;
//! its `as_*` methods return `Some(self)` for exactly those points. State a plugin computes in
//! PreFilter or PreScore for the current pod lives in the plugin itself (`&mut self`), typed,
//! instead of upstream's string-keyed `CycleState`: the cycle runs one pod at a time.

use super::cache::{NodeInfo, NodeSet};
use super::images::ImageStates;
use super::queue::QueuedPodInfo;
use crate::api::Node;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::component::Recorder;
use crate::engine::SimTime;
use crate::store::{NodeId, PodId, Store};
use std::fmt;
use std::sync::LazyLock;

/// The highest score a plugin may give a node.
pub const MAX_NODE_SCORE: i64 = 100;
/// The lowest score a plugin may give a node.
pub const MIN_NODE_SCORE: i64 = 0;

/// The outcome class of a plugin call (upstream `framework.Code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The plugin ran and the pod may proceed.
    Success,
    /// An internal error: the pod goes to the back-off queue and is retried.
    Error,
    /// The pod does not fit this node now; preemption may help. The pod waits in the
    /// unschedulable pool until an event the plugin registered for.
    Unschedulable,
    /// The pod cannot fit this node and preemption would not help either.
    UnschedulableAndUnresolvable,
    /// The plugin does not apply to this pod: its later calls for this pod are skipped.
    Skip,
}

impl Code {
    /// The spelling used in `scheduling.jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Error => "Error",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Skip => "Skip",
        }
    }
}

/// One reason of a [`Status`]: a fixed upstream text or a formatted one.
pub type Reason = std::borrow::Cow<'static, str>;

/// The reasons of a [`Status`]. Nearly every status has at most one, which is held inline:
/// rejecting thousands of nodes allocates nothing.
pub type Reasons = smallvec::SmallVec<[Reason; 1]>;

/// What a plugin call returned: a code and the reasons, in upstream wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The outcome class.
    pub code: Code,
    /// Human-readable reasons (for events and `explain`); the fixed upstream reasons are
    /// borrowed, so rejecting thousands of nodes allocates no strings.
    pub reasons: Reasons,
}

impl Status {
    /// Success, with no reasons (allocates nothing).
    pub const fn success() -> Status {
        Status {
            code: Code::Success,
            reasons: Reasons::new_const(),
        }
    }

    /// Skip: the plugin does not apply to this pod.
    pub const fn skip() -> Status {
        Status {
            code: Code::Skip,
            reasons: Reasons::new_const(),
        }
    }

    /// Unschedulable with one reason.
    pub fn unschedulable(reason: impl Into<Reason>) -> Status {
        Status {
            code: Code::Unschedulable,
            reasons: smallvec::smallvec![reason.into()],
        }
    }

    /// UnschedulableAndUnresolvable with one reason.
    pub fn unresolvable(reason: impl Into<Reason>) -> Status {
        Status {
            code: Code::UnschedulableAndUnresolvable,
            reasons: smallvec::smallvec![reason.into()],
        }
    }

    /// An internal error.
    pub fn error(message: impl Into<Reason>) -> Status {
        Status {
            code: Code::Error,
            reasons: smallvec::smallvec![message.into()],
        }
    }

    /// True for Success.
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// True for Unschedulable and UnschedulableAndUnresolvable.
    pub fn is_rejection(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reasons.is_empty() {
            f.write_str(self.code.as_str())
        } else {
            f.write_str(&self.reasons.join(", "))
        }
    }
}

/// Kinds of cluster change a plugin can ask to be re-tried on (upstream `ClusterEvent`), as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClusterEvents(pub u32);

impl ClusterEvents {
    /// No event.
    pub const NONE: ClusterEvents = ClusterEvents(0);
    /// A node was added.
    pub const NODE_ADD: ClusterEvents = ClusterEvents(1);
    /// A node's labels changed (`UpdateNodeLabel`).
    pub const NODE_LABEL: ClusterEvents = ClusterEvents(1 << 1);
    /// A node's taints changed, or it was uncordoned (`UpdateNodeTaint`: upstream reports a
    /// `spec.unschedulable` change to false as a taint change and a cordon as nothing).
    pub const NODE_TAINT: ClusterEvents = ClusterEvents(1 << 2);
    /// A node's allocatable changed (`UpdateNodeAllocatable`).
    pub const NODE_ALLOCATABLE: ClusterEvents = ClusterEvents(1 << 3);
    /// A pod on a node was deleted or finished (its resources were freed).
    pub const ASSIGNED_POD_DELETE: ClusterEvents = ClusterEvents(1 << 4);
    /// A pod was bound to a node.
    pub const ASSIGNED_POD_ADD: ClusterEvents = ClusterEvents(1 << 5);
    /// A node's conditions changed (`UpdateNodeCondition`). No in-tree plugin registers it,
    /// so it moves only the pods that no plugin rejected (which every event moves).
    pub const NODE_CONDITION: ClusterEvents = ClusterEvents(1 << 6);
    /// A PersistentVolume was created or bound.
    pub const PV_ADD_OR_UPDATE: ClusterEvents = ClusterEvents(1 << 8);
    /// A PersistentVolumeClaim was created or bound.
    pub const PVC_ADD_OR_UPDATE: ClusterEvents = ClusterEvents(1 << 9);
    /// Every event.
    pub const ALL: ClusterEvents = ClusterEvents(u32::MAX);

    /// Union.
    pub const fn or(self, other: ClusterEvents) -> ClusterEvents {
        ClusterEvents(self.0 | other.0)
    }

    /// Whether the two sets share an event.
    pub const fn intersects(self, other: ClusterEvents) -> bool {
        self.0 & other.0 != 0
    }
}

/// What plugins may read besides the nodes: the API objects (upstream's listers, through the
/// framework handle) and the scheduler cache's image states. Borrowed for one cycle.
#[derive(Clone, Copy)]
pub struct ClusterView<'a> {
    /// The API server's objects (claims, volumes, storage classes).
    pub store: &'a Store,
    /// Image sizes and spread.
    pub images: &'a ImageStates,
}

static EMPTY_STORE: LazyLock<Store> = LazyLock::new(Store::new);
static EMPTY_IMAGES: LazyLock<ImageStates> = LazyLock::new(ImageStates::new);

impl ClusterView<'static> {
    /// A cluster with no API objects and no images (for tests and benches).
    pub fn empty() -> Self {
        ClusterView {
            store: &EMPTY_STORE,
            images: &EMPTY_IMAGES,
        }
    }
}

/// What every plugin is: a name, and the extension points it serves.
pub trait Plugin {
    /// The plugin's registered name (as in a KubeSchedulerConfiguration).
    fn name(&self) -> &str;
    /// The extension points this plugin may be enabled at: for an in-tree plugin, upstream's
    /// set (its interface assertions), even where kubesim has nothing to do at one; `None`
    /// for the points it implements here.
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        None
    }
    /// The cluster events that can make a pod this plugin rejected schedulable again.
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NONE
    }
    /// This plugin as a PreEnqueue plugin.
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        None
    }
    /// This plugin as a QueueSort plugin.
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        None
    }
    /// This plugin as a PreFilter plugin.
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilterPlugin> {
        None
    }
    /// This plugin as a Filter plugin.
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        None
    }
    /// This plugin as a PreScore plugin.
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScorePlugin> {
        None
    }
    /// This plugin as a Score plugin.
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        None
    }
    /// This plugin as a Reserve plugin.
    fn as_reserve(&mut self) -> Option<&mut dyn ReservePlugin> {
        None
    }
    /// This plugin as a PostFilter plugin.
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        None
    }
    /// This plugin as a PreBind plugin.
    fn as_pre_bind(&mut self) -> Option<&mut dyn PreBindPlugin> {
        None
    }
    /// This plugin as a Bind plugin.
    fn as_bind(&mut self) -> Option<&mut dyn BindPlugin> {
        None
    }
    /// This plugin as a watcher of the scheduler's cache (not an extension point: every
    /// plugin instantiated in a profile that returns `Some` hears about every node and pod).
    fn as_watcher(&mut self) -> Option<&mut dyn ClusterWatcher> {
        None
    }
}

/// Decides whether a pod may enter the scheduling queue at all.
pub trait PreEnqueuePlugin {
    /// Success lets the pod in; a rejection keeps it out until an event the plugin registered
    /// for (no scheduling attempt, no FailedScheduling event).
    fn pre_enqueue(&self, pod: &Pod) -> Status;
}

/// Orders the active queue.
///
/// The order may depend on more than the two queued pods (on cluster state that changes as
/// pods bind and end, say), provided it splits into groups: [`QueueSortPlugin::group`] puts
/// each pod in a group when it is queued, `less` between two pods of one group must never
/// change, and `less` between groups may change at any time. The queue keeps one heap per
/// group and compares the heads of the groups at each pop, so a pop costs O(groups + log n)
/// and never sees a stale order.
pub trait QueueSortPlugin {
    /// Whether `a` should be scheduled before `b`.
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool;
    /// The group of a pod about to be queued (its [`QueuedPodInfo::group`]); `None`, the
    /// default, when `less` depends only on the pods compared.
    fn group(&self, _pod: &Pod) -> Option<u32> {
        None
    }
}

/// Hears about the pods and nodes the scheduler's cache counts: kubesim's stand-in for the
/// informer event handlers an upstream plugin registers through its framework handle. A
/// plugin that keeps cluster-wide state (usage per namespace, say) implements it and returns
/// itself from [`Plugin::as_watcher`]. Calls come in the order of the store's changes, before
/// the next scheduling cycle; every method defaults to doing nothing.
pub trait ClusterWatcher {
    /// A node joined the cluster (`node` as the cache now counts it).
    fn node_added(&mut self, _node: &NodeInfo) {}
    /// A node's labels, taints, `spec.unschedulable` or allocatable changed: `old` is the
    /// node object the cache counted before, `node` the cache's entry now.
    fn node_updated(&mut self, _old: &Node, _node: &NodeInfo) {}
    /// A pod was created; for an unbound pod this comes before it is queued.
    fn pod_created(&mut self, _pod: &Pod) {}
    /// A pod was bound and is now counted on `node`.
    fn pod_assigned(&mut self, _pod: &Pod, _node: &NodeInfo) {}
    /// A counted pod ended or was deleted: its requests on `node` are free again.
    fn pod_unassigned(&mut self, _pod: &Pod, _node: &NodeInfo) {}
}

/// What PreFilter may return besides a status: the only nodes worth filtering.
pub type PreFilterResult = Option<Vec<NodeId>>;

/// Runs once per pod per cycle, before any node is filtered.
pub trait PreFilterPlugin {
    /// Computes per-pod state from every node of the cluster (in the scheduler's walk order,
    /// with the cluster facts and the index of bound pods); `Skip` disables this plugin's
    /// Filter for the cycle; a rejection fails the cycle for every node.
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult);
    /// [`PreFilterPlugin::pre_filter`] for plugins that read the cluster beyond the nodes; the
    /// framework calls this one. Default: ignores `cluster`.
    fn pre_filter_with(
        &mut self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        _cluster: ClusterView<'_>,
    ) -> (Status, PreFilterResult) {
        self.pre_filter(pod, nodes)
    }
}

/// Decides whether a pod may run on a node.
pub trait FilterPlugin {
    /// Success, or why the node is rejected.
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status;
    /// Filters the nodes still `alive`: a rejected node is marked dead and its index and
    /// status appended to `failures`. The default calls [`FilterPlugin::filter`] per node.
    fn filter_nodes(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        failures: &mut Vec<(usize, Status)>,
    ) {
        filter_where(self, pod, nodes, alive, failures, |_| true);
    }
    /// [`FilterPlugin::filter_nodes`] when only the verdicts matter: marks the rejected nodes
    /// dead, and returns false when something went wrong (an error status, or a node marked
    /// dead without one), so that the framework filters again with statuses. A cycle that
    /// finds a node never reads why the others were rejected, so a plugin that can decide
    /// without building statuses saves that work here. The default calls `filter_nodes` and
    /// drops the statuses (`scratch` is a buffer for them); an override must mark exactly
    /// the nodes `filter_nodes` would.
    fn filter_alive(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        scratch: &mut Vec<(usize, Status)>,
    ) -> bool {
        scratch.clear();
        let before = count_true(alive);
        self.filter_nodes(pod, nodes, alive, scratch);
        let after = count_true(alive);
        before - after == scratch.len() && scratch.iter().all(|(_, s)| s.code != Code::Error)
    }
}

/// How many of `flags` are true, in a loop the compiler vectorizes (a `filter().count()`
/// over bools stays a byte-at-a-time loop).
pub fn count_true(flags: &[bool]) -> usize {
    // Byte counters, 255 flags at a time, add sixteen flags per vector instruction.
    flags
        .chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |n, &f| n + u8::from(f))))
        .sum()
}

/// The loop of [`FilterPlugin::filter_nodes`] for a plugin with a cheap test that proves a
/// node passes: `filter` runs only on the live nodes where `may_fail` holds.
///
/// Which nodes may fail is often as unpredictable as a coin (is there room for this pod?),
/// so the test runs without a branch over a block of nodes, collecting the suspects, and
/// only the suspects are visited again: a mispredicted branch per node would cost more than
/// the test.
#[inline]
pub fn filter_where<P: FilterPlugin + ?Sized>(
    plugin: &P,
    pod: &Pod,
    nodes: NodeSet<'_>,
    alive: &mut [bool],
    failures: &mut Vec<(usize, Status)>,
    may_fail: impl Fn(&NodeInfo) -> bool,
) {
    const BLOCK: usize = 64;
    let (all, which) = (nodes.all(), nodes.indices());
    let mut suspects = [0u8; BLOCK];
    for (b, block) in which.chunks(BLOCK).enumerate() {
        let base = b * BLOCK;
        let mut k = 0;
        for (j, &ni) in block.iter().enumerate() {
            suspects[k] = j as u8;
            k += usize::from(alive[base + j] & may_fail(&all[ni]));
        }
        for &j in &suspects[..k] {
            let i = base + usize::from(j);
            let s = plugin.filter(pod, &all[which[i]]);
            if !s.is_success() {
                alive[i] = false;
                failures.push((i, s));
            }
        }
    }
}

/// Runs once per pod per cycle before scoring.
pub trait PreScorePlugin {
    /// Computes per-pod state over the feasible nodes; `Skip` drops this plugin from scoring
    /// for this pod (it contributes 0).
    fn pre_score(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> Status;
    /// [`PreScorePlugin::pre_score`] for plugins that read the cluster beyond the nodes; the
    /// framework calls this one. Default: ignores `cluster`.
    fn pre_score_with(
        &mut self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        _cluster: ClusterView<'_>,
    ) -> Status {
        self.pre_score(pod, nodes)
    }
}

/// Ranks feasible nodes.
pub trait ScorePlugin {
    /// The raw score of a node.
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64;
    /// The raw scores of several nodes, appended to `out` in order. The default calls
    /// [`ScorePlugin::score`] per node; a plugin may override it with a loop the compiler can
    /// pipeline across nodes. Both must give the same numbers.
    fn score_nodes(&self, pod: &Pod, nodes: NodeSet<'_>, out: &mut Vec<i64>) {
        out.extend(nodes.iter().map(|n| self.score(pod, n)));
    }
    /// Maps raw scores (one per feasible node, in order) into `[0, 100]`. Default: unchanged.
    fn normalize(&self, _pod: &Pod, _scores: &mut [i64]) {}
    /// The normalized score every node of `nodes` gets, when the plugin can tell without
    /// scoring them (say, no node has what it scores); the framework then skips
    /// [`ScorePlugin::score_nodes`] and [`ScorePlugin::normalize`] for this pod. Default: `None`.
    fn uniform_score(&self, _pod: &Pod, _nodes: NodeSet<'_>) -> Option<i64> {
        None
    }
}

/// Reserves resources on the chosen node before binding.
pub trait ReservePlugin {
    /// Reserve; a failure aborts the binding and the pod is retried.
    fn reserve(&mut self, pod: &Pod, node: &NodeInfo) -> Status;
    /// Undo `reserve` after a later failure.
    fn unreserve(&mut self, _pod: &Pod, _node: &NodeInfo) {}
}

/// Makes the API changes the binding needs (volume bindings) once the node is chosen, before
/// the pod is bound. It runs after the cycle, with write access to the store.
pub trait PreBindPlugin {
    /// Success lets the binding proceed; anything else sends the pod back with back-off.
    fn pre_bind(&mut self, pod: PodId, node: NodeId, api: &mut ApiHandle<'_>) -> Status;
}

/// What a binding-cycle plugin writes through (upstream's framework handle: its clientset and
/// its event recorder): the store, where every write records a change, and the recorder.
pub struct ApiHandle<'a> {
    /// The API server's objects.
    pub store: &'a mut Store,
    /// Where Kubernetes Events go.
    pub recorder: &'a mut Recorder,
    /// The current time.
    pub now: SimTime,
}

/// Binds a pod to its node.
pub trait BindPlugin {
    /// Success binds; Skip passes to the next bind plugin.
    fn bind(&mut self, pod: &Pod, node: &NodeInfo) -> Status;
}

/// What a PostFilter plugin sees when no node fits the pod.
pub struct PostFilterInput<'a> {
    /// Every node, in the scheduler's walk order, with the cluster facts and bound pods.
    pub nodes: NodeSet<'a>,
    /// The rejected nodes (node index) and their filter codes.
    pub statuses: &'a [(usize, Code)],
    /// The API objects.
    pub view: ClusterView<'a>,
    /// Runs the profile's filters for a pod on a node as given (say, with pods removed):
    /// success, or the first rejection.
    pub filters: &'a dyn Fn(&Pod, &NodeInfo) -> Status,
    /// A uniform draw in `0..n` from the scheduler's seeded stream.
    pub draw: &'a mut dyn FnMut(usize) -> usize,
}

/// A node freed for the pod by evicting other pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nomination {
    /// The node (index).
    pub node: usize,
    /// The pods to evict, most important first.
    pub victims: Vec<PodId>,
}

/// Runs when no node fits (upstream: DefaultPreemption).
pub trait PostFilterPlugin {
    /// Success with a nomination, or why nothing can be done (the message is appended to the
    /// FailedScheduling event).
    fn post_filter(
        &self,
        pod: &Pod,
        input: &mut PostFilterInput<'_>,
    ) -> (Status, Option<Nomination>);
}

#[cfg(test)]
mod tests {
    use super::count_true;

    #[test]
    fn count_true_counts_past_a_byte() {
        for len in [0, 1, 64, 254, 255, 256, 600, 1000] {
            for every in [1, 2, 3, 7] {
                let flags: Vec<bool> = (0..len).map(|i| i % every == 0).collect();
                let want = flags.iter().filter(|&&f| f).count();
                assert_eq!(count_true(&flags), want, "{len} {every}");
            }
        }
    }
}
