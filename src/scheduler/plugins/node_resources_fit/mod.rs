//! NodeResourcesFit: does the pod's request fit the node's free allocatable, and how do the
//! scoring strategies rank nodes
//! (`pkg/scheduler/framework/plugins/noderesources/{fit.go,resource_allocation.go,least_allocated.go,most_allocated.go,requested_to_capacity_ratio.go}`).

use super::names;
use crate::api::pod::Pod;
use crate::api::resources::names as res;
use crate::api::scheduler_config::ExtensionPoint;
pub use crate::api::scheduler_config::{
    FitArgs, ResourceWeight, ScoringStrategyType, default_resources,
};
pub use crate::scheduler::cache::EXACT_CAPACITY;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, FilterPlugin, MAX_NODE_SCORE, Plugin, PreFilterPlugin, PreFilterResult, Reasons,
    ScorePlugin, Status, filter_where,
};

/// Reason when the node has no room for another pod.
pub const ERR_TOO_MANY_PODS: &str = "Too many pods";

/// Which number a scored resource reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    Cpu,
    Memory,
    Ephemeral,
    Scalar(String),
}

impl ResourceKind {
    pub(crate) fn of(name: &str) -> ResourceKind {
        match name {
            res::CPU => ResourceKind::Cpu,
            res::MEMORY => ResourceKind::Memory,
            res::EPHEMERAL_STORAGE => ResourceKind::Ephemeral,
            other => ResourceKind::Scalar(other.to_string()),
        }
    }

    /// `(allocatable, node requested + pod request)` for scoring, or `None` when the
    /// resource is skipped (an extended resource the pod does not request, or none on the
    /// node). With `nonzero`, cpu and memory use the non-zero-default sums.
    pub(crate) fn alloc_and_request(
        &self,
        pod: &Pod,
        node: &NodeInfo,
        nonzero: bool,
    ) -> Option<(i64, i64)> {
        let (a, h) = (&node.allocatable, &node.hot);
        let (alloc, req) = match self {
            ResourceKind::Cpu if nonzero => (
                h.allocatable_cpu_m,
                h.nonzero_cpu_m + pod.spec.nonzero_cpu_m,
            ),
            ResourceKind::Memory if nonzero => (
                h.allocatable_memory,
                h.nonzero_memory + pod.spec.nonzero_memory,
            ),
            ResourceKind::Cpu => (
                h.allocatable_cpu_m,
                h.requested_cpu_m + pod.spec.requests.cpu_m,
            ),
            ResourceKind::Memory => (
                h.allocatable_memory,
                h.requested_memory + pod.spec.requests.memory,
            ),
            ResourceKind::Ephemeral => (
                a.ephemeral_storage,
                node.requested.ephemeral_storage + pod.spec.requests.ephemeral_storage,
            ),
            ResourceKind::Scalar(name) => {
                let p = pod.spec.requests.scalar(name);
                if p == 0 {
                    return None;
                }
                (a.scalar(name), node.requested.scalar(name) + p)
            }
        };
        (alloc != 0).then_some((alloc, req))
    }
}

/// The plugin.
#[derive(Debug)]
pub struct NodeResourcesFit {
    args: FitArgs,
    kinds: Vec<(ResourceKind, i64)>,
}

impl NodeResourcesFit {
    /// A plugin with these (validated) args.
    pub fn new(args: FitArgs) -> Self {
        let kinds = args
            .resources
            .iter()
            .map(|r| (ResourceKind::of(&r.name), r.weight))
            .collect();
        NodeResourcesFit { args, kinds }
    }

    /// Whether the filter ignores a request of `name`: only an extended resource can be
    /// ignored, by its name or by its group (the domain before `/`) (`fitsRequest` in
    /// `pkg/scheduler/framework/plugins/noderesources/fit.go`).
    fn ignored(&self, name: &str) -> bool {
        let (names, groups) = (
            &self.args.ignored_resources,
            &self.args.ignored_resource_groups,
        );
        if names.is_empty() && groups.is_empty() {
            return false;
        }
        crate::api::resources::is_extended(name)
            && (names.iter().any(|r| r == name)
                || name
                    .split_once('/')
                    .is_some_and(|(group, _)| groups.iter().any(|g| g == group)))
    }
}

impl Default for NodeResourcesFit {
    fn default() -> Self {
        Self::new(FitArgs::default())
    }
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &str {
        names::NODE_RESOURCES_FIT
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/noderesources/fit.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[
            ExtensionPoint::PreFilter,
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD
            .or(ClusterEvents::NODE_ALLOCATABLE)
            .or(ClusterEvents::ASSIGNED_POD_DELETE)
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreFilterPlugin for NodeResourcesFit {
    /// Upstream computes the pod's request here; kubesim keeps it on the spec already.
    fn pre_filter(&mut self, _pod: &Pod, _nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        (Status::success(), None)
    }
}

/// What a pod needs of a node's hot numbers to fit: a request of zero is not checked
/// (upstream skips it even on an over-committed node), so it needs "at least `i64::MIN`".
#[derive(Clone, Copy)]
struct Need {
    cpu_m: i64,
    memory: i64,
}

impl Need {
    /// `None` when the pod requests ephemeral storage or extended resources, which the hot
    /// numbers do not hold.
    fn of(pod: &Pod) -> Option<Need> {
        let p = &pod.spec.requests;
        let need = |x: i64| if x == 0 { i64::MIN } else { x };
        (p.ephemeral_storage == 0 && p.scalars.is_empty()).then(|| Need {
            cpu_m: need(p.cpu_m),
            memory: need(p.memory),
        })
    }

    /// Whether the pod fits, without building reasons (the common case in the hot loop).
    /// The tests are combined without short-circuits, so that the loop has no branch.
    #[inline]
    fn fits(self, node: &NodeInfo) -> bool {
        let h = &node.hot;
        (h.pod_count < h.allocatable_pods)
            & (h.allocatable_cpu_m - h.requested_cpu_m >= self.cpu_m)
            & (h.allocatable_memory - h.requested_memory >= self.memory)
    }
}

impl FilterPlugin for NodeResourcesFit {
    fn filter_nodes(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        failures: &mut Vec<(usize, Status)>,
    ) {
        match Need::of(pod) {
            Some(need) => filter_where(self, pod, nodes, alive, failures, |n| !need.fits(n)),
            None => filter_where(self, pod, nodes, alive, failures, |_| true),
        }
    }

    /// The test alone: for a pod without ephemeral-storage or extended requests it decides
    /// exactly as `filter` (pod count, cpu, memory), and never errs.
    fn filter_alive(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        scratch: &mut Vec<(usize, Status)>,
    ) -> bool {
        let Some(need) = Need::of(pod) else {
            scratch.clear();
            self.filter_nodes(pod, nodes, alive, scratch);
            return true;
        };
        let all = nodes.all();
        for (a, &ni) in alive.iter_mut().zip(nodes.indices()) {
            *a &= need.fits(&all[ni]);
        }
        true
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        let a = &node.allocatable;
        let u = &node.requested;
        let p = &pod.spec.requests;
        let mut reasons = Reasons::new();
        if i64::from(node.hot.pod_count) + 1 > a.pods {
            reasons.push(ERR_TOO_MANY_PODS.into());
        }
        if p.cpu_m == 0 && p.memory == 0 && p.ephemeral_storage == 0 && p.scalars.is_empty() {
            return if reasons.is_empty() {
                Status::success()
            } else {
                Status {
                    code: crate::scheduler::framework::Code::Unschedulable,
                    reasons,
                }
            };
        }
        if p.cpu_m > 0 && a.cpu_m < p.cpu_m + u.cpu_m {
            reasons.push("Insufficient cpu".into());
        }
        if p.memory > 0 && a.memory < p.memory + u.memory {
            reasons.push("Insufficient memory".into());
        }
        if p.ephemeral_storage > 0
            && a.ephemeral_storage < p.ephemeral_storage + u.ephemeral_storage
        {
            reasons.push("Insufficient ephemeral-storage".into());
        }
        for (name, want) in &p.scalars {
            if *want > 0 && !self.ignored(name) && a.scalar(name) < want + u.scalar(name) {
                reasons.push(format!("Insufficient {name}").into());
            }
        }
        if reasons.is_empty() {
            Status::success()
        } else {
            Status {
                code: crate::scheduler::framework::Code::Unschedulable,
                reasons,
            }
        }
    }
}

impl ScorePlugin for NodeResourcesFit {
    #[inline]
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        let pairs = self.kinds.iter().filter_map(|(k, w)| {
            k.alloc_and_request(pod, node, true)
                .map(|(a, r)| (a, r, *w))
        });
        match self.args.strategy {
            ScoringStrategyType::LeastAllocated => weighted_mean(pairs, least_requested_score),
            ScoringStrategyType::MostAllocated => weighted_mean(pairs, most_requested_score),
            ScoringStrategyType::RequestedToCapacityRatio => {
                requested_to_capacity_ratio(pairs, &self.args.shape)
            }
        }
    }

    fn score_nodes(&self, pod: &Pod, nodes: NodeSet<'_>, out: &mut Vec<i64>) {
        let [(ResourceKind::Cpu, wc), (ResourceKind::Memory, wm)] = self.kinds.as_slice() else {
            out.extend(nodes.iter().map(|n| self.score(pod, n)));
            return;
        };
        let (pc, pm) = (pod.spec.nonzero_cpu_m, pod.spec.nonzero_memory);
        if wc == wm && *wc > 0 && equal_weight_scores(nodes, (pc, pm), self.args.strategy, out) {
            return;
        }
        match self.args.strategy {
            ScoringStrategyType::LeastAllocated => {
                cpu_memory_scores(nodes, (pc, pm), (*wc, *wm), least_requested_score, out)
            }
            ScoringStrategyType::MostAllocated => {
                cpu_memory_scores(nodes, (pc, pm), (*wc, *wm), most_requested_score, out)
            }
            ScoringStrategyType::RequestedToCapacityRatio => {
                out.extend(nodes.iter().map(|n| self.score(pod, n)))
            }
        }
    }
}

/// The cpu-and-memory case with equal weights, from the floating-point pairs of
/// [`crate::scheduler::cache::ScoreNumbers`]: the mean of two scores is `(a + b) / 2`, a
/// shift, and each score is its dividend divided by the capacity in floating point, both
/// resources in one vector division. With capacities in `(0, EXACT_CAPACITY)` this is the
/// integer formula exactly (see [`div_floor`]): the dividends are integers below `2^52`, a
/// requested sum too large to be exact is far above the capacity and clamps the same way,
/// and the quotient lies in `[0, 100]`, so the cast does not saturate. Returns false, with
/// `out` unchanged, when some node of the cluster has capacities outside those bounds
/// ([`crate::scheduler::cache::NodeFacts::odd_capacity`]), or the strategy has no such form.
fn equal_weight_scores(
    nodes: NodeSet<'_>,
    (pc, pm): (i64, i64),
    strategy: ScoringStrategyType,
    out: &mut Vec<i64>,
) -> bool {
    const MAX: f64 = MAX_NODE_SCORE as f64;
    if nodes.facts().odd_capacity != 0 {
        return false;
    }
    let pod_pair = [pc as f64, pm as f64];
    // Each step is written out on both lanes so that it compiles to vector instructions.
    // Both quotients are truncated in one instruction, summed exactly (integers up to 200)
    // and converted once: the same as converting each.
    let scores = |q: [f64; 2]| i64::from(((q[0].trunc() + q[1].trunc()) as i32) >> 1);
    match strategy {
        ScoringStrategyType::LeastAllocated => nodes.score_numbers(out, |s| {
            let (z, a) = (s.nonzero, s.allocatable);
            let r = [z[0] + pod_pair[0], z[1] + pod_pair[1]];
            let f = [a[0] - r[0], a[1] - r[1]];
            let f = [
                if f[0] > 0.0 { f[0] } else { 0.0 },
                if f[1] > 0.0 { f[1] } else { 0.0 },
            ];
            let q = [f[0] * MAX / a[0], f[1] * MAX / a[1]];
            (scores(q), true)
        }),
        ScoringStrategyType::MostAllocated => nodes.score_numbers(out, |s| {
            let (z, a) = (s.nonzero, s.allocatable);
            let r = [z[0] + pod_pair[0], z[1] + pod_pair[1]];
            let u = [
                if r[0] < a[0] { r[0] } else { a[0] },
                if r[1] < a[1] { r[1] } else { a[1] },
            ];
            let q = [u[0] * MAX / a[0], u[1] * MAX / a[1]];
            (scores(q), true)
        }),
        ScoringStrategyType::RequestedToCapacityRatio => false,
    }
}

/// The cpu-and-memory case of [`weighted_mean`] over many nodes, in a loop the compiler can
/// inline `f` into (the same arithmetic as `score`): for the clusters and weights where
/// [`equal_weight_scores`] does not apply.
fn cpu_memory_scores(
    nodes: NodeSet<'_>,
    (pc, pm): (i64, i64),
    (wc, wm): (i64, i64),
    f: impl Fn(i64, i64) -> i64,
    out: &mut Vec<i64>,
) {
    out.extend(nodes.iter().map(|n| {
        let h = &n.hot;
        let (ac, am) = (h.allocatable_cpu_m, h.allocatable_memory);
        let (mut sum, mut weights) = (0, 0);
        if ac != 0 {
            sum += f(h.nonzero_cpu_m + pc, ac) * wc;
            weights += wc;
        }
        if am != 0 {
            sum += f(h.nonzero_memory + pm, am) * wm;
            weights += wm;
        }
        if weights == 0 {
            0
        } else {
            div_floor(sum, weights)
        }
    }));
}

/// `Σ score_i * w_i / Σ w_i` with integer division; 0 when no resource is scored.
fn weighted_mean(pairs: impl Iterator<Item = (i64, i64, i64)>, f: fn(i64, i64) -> i64) -> i64 {
    let (mut sum, mut weights) = (0i64, 0i64);
    for (alloc, req, w) in pairs {
        sum += f(req, alloc) * w;
        weights += w;
    }
    if weights == 0 { 0 } else { sum / weights }
}

/// `(capacity - requested) * 100 / capacity`, 0 when over capacity.
#[inline]
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    div_floor((capacity - requested) * MAX_NODE_SCORE, capacity)
}

/// `min(requested, capacity) * 100 / capacity`.
#[inline]
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    div_floor(requested.min(capacity) * MAX_NODE_SCORE, capacity)
}

/// `a / b` for `0 <= a` and `0 < b`, as Go's integer division, computed in floating point when
/// that is exact: a 64-bit integer division costs tens of cycles on common x86 cores and these
/// run for every scored node. If `a + b < 2^53`, both are exact doubles and the correctly
/// rounded quotient truncates to the integer quotient: it cannot fall below `k = a div b`
/// (rounding is monotonic and `k` is exact), and it cannot reach `k + 1`, which lies at least
/// `1/b` above `a/b` while half an ulp of `k + 1` is below `(k + 1) / 2^53 <= 1/b`.
/// Otherwise it divides as integers.
#[inline]
pub fn div_floor(a: i64, b: i64) -> i64 {
    const LIMIT: u64 = 1 << 52;
    // Both in [0, 2^52) (a negative value is huge as u64), and b non-zero.
    if ((a as u64) | (b as u64)) < LIMIT && b != 0 {
        (a as f64 / b as f64) as i64
    } else {
        a / b
    }
}

/// The broken-linear shape, scores scaled by 10: constant outside the points, linear (integer)
/// between them.
pub fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(u, s)) in shape.iter().enumerate() {
        if p <= u {
            if i == 0 {
                return s * 10;
            }
            let (u0, s0) = shape[i - 1];
            return s0 * 10 + (s * 10 - s0 * 10) * (p - u0) / (u - u0);
        }
    }
    shape.last().map_or(0, |&(_, s)| s * 10)
}

fn requested_to_capacity_ratio(
    pairs: impl Iterator<Item = (i64, i64, i64)>,
    shape: &[(i64, i64)],
) -> i64 {
    let (mut sum, mut weights) = (0f64, 0i64);
    for (alloc, req, w) in pairs {
        let util = if req > alloc { 100 } else { req * 100 / alloc };
        let s = broken_linear(shape, util);
        if s > 0 {
            sum += (s * w) as f64;
            weights += w;
        }
    }
    if weights == 0 {
        0
    } else {
        (sum / weights as f64).round() as i64
    }
}

#[cfg(test)]
mod tests;
