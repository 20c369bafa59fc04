//! A built profile: plugin instances wired to extension points, and one scheduling cycle
//! (`pkg/scheduler/schedule_one.go`, `pkg/scheduler/framework/runtime/framework.go`).
//! Building a profile from its configuration is in `build`, the filter walk in `walk`.

mod build;
mod walk;

use walk::{WalkPlan, feasible_first, walk_verdicts_only, walk_with_statuses};

use super::cache::{NodeInfo, NodeSet};
use super::config::num_feasible_nodes_to_find;
use super::explain::{FilterEntry, ScoreEntry};
use super::framework::{
    ApiHandle, ClusterEvents, ClusterView, ClusterWatcher, Code, Nomination, Plugin,
    PostFilterInput, Status,
};
use super::queue::QueuedPodInfo;
use crate::api::pod::Pod;
use crate::api::pod_affinity::TopologySpreadConstraint;
use crate::engine::SimRng;
use crate::store::{NodeId, PodId};
use rand::RngExt;
use smallvec::SmallVec;

/// What PreFilter leaves for Filter: the plugins to skip, and the nodes to search (`None`:
/// every node).
type PreFilterOutcome = (SmallVec<[usize; 8]>, Option<Vec<NodeId>>);

/// A profile ready to schedule.
pub struct Profile {
    /// `schedulerName`.
    pub name: String,
    plugins: Vec<Box<dyn Plugin>>,
    pre_enqueue: Vec<usize>,
    queue_sort: usize,
    pre_filter: Vec<usize>,
    filter: Vec<usize>,
    post_filter: Vec<usize>,
    /// Filter plugins the last cycle's PreFilter skipped (the dry run of PostFilter skips them).
    last_filter_skip: Vec<usize>,
    pre_score: Vec<usize>,
    score: Vec<(usize, i64)>,
    reserve: Vec<usize>,
    pre_bind: Vec<usize>,
    bind: Vec<usize>,
    /// Plugins that watch the cluster (any point, or none).
    watchers: Vec<usize>,
    percentage: Option<i32>,
    /// PodTopologySpread's constraints for pods without their own (selectors not deduced).
    spread_defaults: Vec<TopologySpreadConstraint>,
    // Scratch buffers reused across cycles.
    feasible: Vec<usize>,
    totals: Vec<i64>,
    column: Vec<i64>,
    scratch: Vec<(usize, Status)>,
}

/// Plugin names per extension point (`score` entries as `Name:weight`).
pub type PluginsByPoint = Vec<(&'static str, Vec<String>)>;

/// Why no node was chosen.
#[derive(Clone, Debug, Default)]
pub struct Diagnosis {
    /// Rejected nodes: (node index, plugin, status).
    pub rejected: Vec<(usize, Status)>,
    /// A PreFilter rejection that failed every node.
    pub pre_filter_message: Option<String>,
    /// The code of that PreFilter rejection (every node has it, for PostFilter).
    pub pre_filter_code: Option<Code>,
    /// Number of nodes in the cluster.
    pub num_all_nodes: usize,
    /// Events that can help: the union over the rejecting plugins.
    pub requeue_on: ClusterEvents,
}

impl Diagnosis {
    /// The FailedScheduling message, as upstream's `FitError.Error()`:
    /// `0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.`
    pub fn message(&self) -> String {
        if self.num_all_nodes == 0 {
            return "no nodes available to schedule pods".to_string();
        }
        let mut msg = format!("0/{} nodes are available:", self.num_all_nodes);
        if let Some(p) = &self.pre_filter_message {
            msg.push_str(&format!(" {p}."));
            return msg;
        }
        // A handful of distinct reasons over thousands of nodes: a short list, searched from
        // the reason seen last, beats a map.
        let mut histogram: Vec<(&str, usize)> = Vec::new();
        let mut last = 0;
        for (_, s) in &self.rejected {
            for r in &s.reasons {
                let r: &str = r;
                if histogram.get(last).is_none_or(|(h, _)| *h != r) {
                    last = match histogram.iter().position(|(h, _)| *h == r) {
                        Some(i) => i,
                        None => {
                            histogram.push((r, 0));
                            histogram.len() - 1
                        }
                    };
                }
                histogram[last].1 += 1;
            }
        }
        let mut parts: Vec<String> = histogram.iter().map(|(r, c)| format!("{c} {r}")).collect();
        parts.sort();
        if !parts.is_empty() {
            msg.push_str(&format!(" {}.", parts.join(", ")));
        }
        msg
    }
}

/// The result of one cycle.
pub enum CycleResult {
    /// Bind the pod to this node index.
    Scheduled(usize),
    /// No node fits.
    Unschedulable(Diagnosis),
    /// A plugin failed.
    Error(String),
}

/// Per-node detail of one cycle, kept only when explaining.
#[derive(Default)]
pub struct CycleDetail {
    /// Filter verdicts of the evaluated nodes.
    pub filter: Vec<FilterEntry>,
    /// Scores of the feasible nodes.
    pub scores: Vec<ScoreEntry>,
}

impl Profile {
    /// Whether `a` pops before `b` under this profile's QueueSort.
    pub fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        self.plugins[self.queue_sort]
            .as_queue_sort()
            .is_some_and(|q| q.less(a, b))
    }

    /// The QueueSort group of a pod about to be queued (see
    /// [`super::framework::QueueSortPlugin::group`]).
    pub fn queue_group(&self, pod: &Pod) -> Option<u32> {
        self.plugins[self.queue_sort]
            .as_queue_sort()
            .and_then(|q| q.group(pod))
    }

    /// The name of this profile's QueueSort plugin.
    pub fn queue_sort_name(&self) -> &str {
        self.plugins[self.queue_sort].name()
    }

    /// The spread constraints this profile gives pods without their own (PodTopologySpread's
    /// system defaults or `defaultConstraints`), before their selectors are deduced.
    pub fn spread_defaults(&self) -> &[TopologySpreadConstraint] {
        &self.spread_defaults
    }

    /// Whether any plugin of this profile watches the cluster.
    pub fn has_watchers(&self) -> bool {
        !self.watchers.is_empty()
    }

    /// Calls `f` on each plugin of this profile that watches the cluster, in profile order.
    pub fn for_each_watcher(&mut self, mut f: impl FnMut(&mut dyn ClusterWatcher)) {
        for &i in &self.watchers {
            if let Some(w) = self.plugins[i].as_watcher() {
                f(w);
            }
        }
    }

    /// Runs the PreEnqueue plugins: `None` lets the pod into the queue, `Some(status)` is the
    /// first rejection.
    pub fn pre_enqueue(&self, pod: &Pod) -> Option<Status> {
        self.pre_enqueue.iter().find_map(|&i| {
            let s = self.plugins[i].as_pre_enqueue()?.pre_enqueue(pod);
            (!s.is_success()).then_some(s)
        })
    }

    /// Runs the PreBind plugins for a pod the last cycle placed on `node`: `Err` with the
    /// failing plugin's message, and the pod is not bound.
    pub fn pre_bind(
        &mut self,
        pod: PodId,
        node: NodeId,
        api: &mut ApiHandle<'_>,
    ) -> Result<(), String> {
        for k in 0..self.pre_bind.len() {
            let pi = self.pre_bind[k];
            let plugin = &mut self.plugins[pi];
            if let Some(p) = plugin.as_pre_bind() {
                let s = p.pre_bind(pod, node, api);
                if !s.is_success() {
                    let name = self.plugins[pi].name();
                    return Err(format!("running PreBind plugin {name:?}: {s}"));
                }
            }
        }
        Ok(())
    }

    /// Names of the plugins at each point, for `validate` and the resolved-parameters file.
    pub fn describe(&self) -> PluginsByPoint {
        let n = |i: &usize| self.plugins[*i].name().to_string();
        vec![
            ("preEnqueue", self.pre_enqueue.iter().map(n).collect()),
            ("queueSort", vec![n(&self.queue_sort)]),
            ("preFilter", self.pre_filter.iter().map(n).collect()),
            ("filter", self.filter.iter().map(n).collect()),
            ("postFilter", self.post_filter.iter().map(n).collect()),
            ("preScore", self.pre_score.iter().map(n).collect()),
            (
                "score",
                self.score
                    .iter()
                    .map(|(i, w)| format!("{}:{w}", n(i)))
                    .collect(),
            ),
            ("reserve", self.reserve.iter().map(n).collect()),
            ("preBind", self.pre_bind.iter().map(n).collect()),
            ("bind", self.bind.iter().map(n).collect()),
        ]
    }

    /// The score plugins and their weights, in score order.
    pub fn score_weights(&self) -> Vec<(String, i64)> {
        self.score
            .iter()
            .map(|(i, w)| (self.plugins[*i].name().to_string(), *w))
            .collect()
    }

    /// One scheduling cycle for `pod` over the nodes of `cluster` (every node, in walk order,
    /// with the cluster facts and bound pods), walked from `*next_start`.
    /// Ties between the best nodes are broken uniformly with one draw from `rng` (upstream's
    /// `selectHost` samples a reservoir; the distribution is the same). With `detail`, per-node verdicts and scores are recorded.
    #[allow(clippy::too_many_arguments)]
    pub fn run_cycle(
        &mut self,
        pod: &Pod,
        cluster: NodeSet<'_>,
        view: ClusterView<'_>,
        next_start: &mut usize,
        rng: &mut SimRng,
        mut detail: Option<&mut CycleDetail>,
    ) -> CycleResult {
        let (nodes, order) = (cluster.all(), cluster.indices());
        let num_all = order.len();
        let mut diag = Diagnosis {
            num_all_nodes: num_all,
            ..Default::default()
        };
        if num_all == 0 {
            return CycleResult::Unschedulable(diag);
        }

        let (filter_skip, subset) = match self.pre_filter_pass(pod, cluster, view, &mut diag) {
            Ok(done) => done,
            Err(result) => return result,
        };
        let candidates: Vec<usize>;
        let walk: &[usize] = match &subset {
            None => order,
            Some(ids) => {
                candidates = order
                    .iter()
                    .copied()
                    .filter(|&i| ids.binary_search(&nodes[i].id).is_ok())
                    .collect();
                &candidates
            }
        };

        // Filter, round robin from the saved start index, until enough feasible nodes.
        let to_find = num_feasible_nodes_to_find(self.percentage, walk.len());
        self.last_filter_skip.clear();
        self.last_filter_skip.extend_from_slice(&filter_skip);
        let filters: SmallVec<[(usize, &dyn super::framework::FilterPlugin); 16]> = self
            .filter
            .iter()
            .filter(|i| !filter_skip.contains(i))
            .filter_map(|&i| self.plugins[i].as_filter().map(|f| (i, f)))
            .collect();
        let feasible = &mut self.feasible;
        feasible.clear();
        let len = walk.len();
        let start = if len > 0 { *next_start % len } else { 0 };
        // A cycle that finds a node needs only the verdicts; one that finds none needs every
        // status for its diagnosis and so walks again, with statuses.
        let plan = WalkPlan {
            pod,
            cluster,
            walk,
            start,
            to_find,
            filters: &filters,
        };
        let quick = if detail.is_none() {
            walk_verdicts_only(&plan, feasible, &mut self.scratch)
        } else {
            None
        };
        let processed = match quick {
            Some(processed) => processed,
            None => match walk_with_statuses(
                &plan,
                &self.plugins,
                feasible,
                &mut diag,
                detail.as_deref_mut(),
            ) {
                Ok(processed) => processed,
                Err(e) => return CycleResult::Error(e),
            },
        };
        *next_start = (*next_start + processed) % num_all.max(1);
        drop(filters);
        if feasible.is_empty() {
            return CycleResult::Unschedulable(diag);
        }
        if feasible.len() == 1 {
            return self.reserve_and_bind(pod, nodes, feasible_first(&self.feasible));
        }

        // PreScore and Score.
        if let Err(e) = self.score_pass(pod, cluster, view, detail) {
            return CycleResult::Error(e);
        }
        let chosen = self.select_host(rng);
        let node = self.feasible[chosen];
        self.reserve_and_bind(pod, nodes, node)
    }

    /// PreFilter: the plugins to skip at Filter and the nodes the plugins narrow the search
    /// to (`None`: every node), or the cycle's end (an error, or a rejection recorded in
    /// `diag`).
    fn pre_filter_pass(
        &mut self,
        pod: &Pod,
        cluster: NodeSet<'_>,
        view: ClusterView<'_>,
        diag: &mut Diagnosis,
    ) -> Result<PreFilterOutcome, CycleResult> {
        let mut filter_skip: SmallVec<[usize; 8]> = SmallVec::new();
        let mut subset: Option<Vec<NodeId>> = None;
        for &pi in &self.pre_filter {
            let Some(pf) = self.plugins[pi].as_pre_filter() else {
                continue;
            };
            let (status, result) = pf.pre_filter_with(pod, cluster, view);
            match status.code {
                Code::Success => {}
                Code::Skip => {
                    filter_skip.push(pi);
                    continue;
                }
                Code::Error => {
                    return Err(CycleResult::Error(format!(
                        "running PreFilter plugin {:?}: {status}",
                        self.plugins[pi].name()
                    )));
                }
                _ => {
                    diag.pre_filter_message = Some(status.reasons.join(", "));
                    diag.pre_filter_code = Some(status.code);
                    diag.requeue_on = self.plugins[pi].events_to_register();
                    return Err(CycleResult::Unschedulable(std::mem::take(diag)));
                }
            }
            if let Some(mut ids) = result {
                ids.sort();
                subset = Some(match subset {
                    None => ids,
                    Some(prev) => prev
                        .into_iter()
                        .filter(|i| ids.binary_search(i).is_ok())
                        .collect(),
                });
            }
        }
        Ok((filter_skip, subset))
    }

    /// PreScore and Score over the feasible nodes of `cluster`: each node's weighted total
    /// in `self.totals` (and, when explaining, every plugin's score in `detail`).
    fn score_pass(
        &mut self,
        pod: &Pod,
        cluster: NodeSet<'_>,
        view: ClusterView<'_>,
        mut detail: Option<&mut CycleDetail>,
    ) -> Result<(), String> {
        let feasible_nodes = cluster.with_indices(&self.feasible);
        let mut score_skip: SmallVec<[usize; 8]> = SmallVec::new();
        for &pi in &self.pre_score {
            let Some(ps) = self.plugins[pi].as_pre_score() else {
                continue;
            };
            let s = ps.pre_score_with(pod, feasible_nodes, view);
            match s.code {
                Code::Success => {}
                Code::Skip => score_skip.push(pi),
                _ => {
                    let name = self.plugins[pi].name();
                    return Err(format!("running PreScore plugin {name:?}: {s}"));
                }
            }
        }
        let m = feasible_nodes.len();
        self.totals.clear();
        self.totals.resize(m, 0);
        if let Some(d) = detail.as_deref_mut() {
            d.scores = self
                .feasible
                .iter()
                .map(|&ni| ScoreEntry {
                    node: ni,
                    plugins: Vec::new(),
                    total: 0,
                })
                .collect();
        }
        // A plugin that gives every node the same score adds the same to every total: that
        // cannot change which nodes are best, so it is kept aside for the explain record.
        let mut uniform_total = 0;
        for &(pi, weight) in &self.score {
            if score_skip.contains(&pi) {
                continue;
            }
            let Some(sp) = self.plugins[pi].as_score() else {
                continue;
            };
            self.column.clear();
            if let Some(s) = sp.uniform_score(pod, feasible_nodes) {
                uniform_total += s * weight;
                if detail.is_some() {
                    self.column.resize(m, s);
                }
            } else {
                sp.score_nodes(pod, feasible_nodes, &mut self.column);
                sp.normalize(pod, &mut self.column);
                let totals = self.totals.iter_mut().zip(&self.column);
                if weight == 1 {
                    // The default weight of most plugins: an add the compiler vectorizes
                    // (a 64-bit multiply has no vector form before AVX-512).
                    totals.for_each(|(t, s)| *t += s);
                } else {
                    totals.for_each(|(t, s)| *t += s * weight);
                }
            }
            if let Some(d) = detail.as_deref_mut() {
                let name = self.plugins[pi].name().to_string();
                for (e, s) in d.scores.iter_mut().zip(&self.column) {
                    e.plugins.push((name.clone(), *s));
                }
            }
        }
        if let Some(d) = detail {
            for (e, t) in d.scores.iter_mut().zip(&self.totals) {
                e.total = *t + uniform_total;
            }
        }

        Ok(())
    }

    /// selectHost: the index in `self.feasible` of the node with the best total.
    fn select_host(&self, rng: &mut SimRng) -> usize {
        // selectHost: the best total wins. The best total, how many nodes share it and the
        // first of them, in passes without a branch per node (which node leads so far is
        // as unpredictable as the scores).
        let best = self.totals.iter().copied().fold(i64::MIN, i64::max);
        let ties = self.totals.iter().filter(|&&t| t == best).count();
        let first = self.totals.iter().position(|&t| t == best).unwrap_or(0);
        // One uniform draw among the best nodes: the same distribution as upstream's reservoir
        // sampling in selectHost, with one random number instead of one per tie.
        if ties > 1 {
            let pick = rng.random_range(0..ties);
            self.totals[first..]
                .iter()
                .enumerate()
                .filter(|(_, t)| **t == best)
                .nth(pick)
                .map_or(first, |(j, _)| first + j)
        } else {
            first
        }
    }

    /// Runs the PostFilter plugins after a cycle found no node (`diag`): `None` without any,
    /// else the first success or the last failure.
    pub fn post_filter(
        &self,
        pod: &Pod,
        cluster: NodeSet<'_>,
        view: ClusterView<'_>,
        diag: &Diagnosis,
        rng: &mut SimRng,
    ) -> Option<(Status, Option<Nomination>)> {
        if self.post_filter.is_empty() {
            return None;
        }
        let statuses: Vec<(usize, Code)> = match diag.pre_filter_code {
            // A PreFilter rejection holds for every node.
            Some(code) => cluster.indices().iter().map(|&n| (n, code)).collect(),
            None => diag.rejected.iter().map(|(n, s)| (*n, s.code)).collect(),
        };
        let active: Vec<&dyn super::framework::FilterPlugin> = self
            .filter
            .iter()
            .filter(|pi| !self.last_filter_skip.contains(pi))
            .filter_map(|&pi| self.plugins[pi].as_filter())
            .collect();
        let filters = |p: &Pod, n: &NodeInfo| -> Status {
            for f in &active {
                let s = f.filter(p, n);
                if !s.is_success() {
                    return s;
                }
            }
            Status::success()
        };
        let mut draw = |n: usize| if n > 1 { rng.random_range(0..n) } else { 0 };
        let mut input = PostFilterInput {
            nodes: cluster,
            statuses: &statuses,
            view,
            filters: &filters,
            draw: &mut draw,
        };
        let mut last = None;
        for &pi in &self.post_filter {
            if let Some(pf) = self.plugins[pi].as_post_filter() {
                let r = pf.post_filter(pod, &mut input);
                if r.0.is_success() {
                    return Some(r);
                }
                last = Some(r);
            }
        }
        last
    }

    fn reserve_and_bind(&mut self, pod: &Pod, nodes: &[NodeInfo], node: usize) -> CycleResult {
        let info = &nodes[node];
        for k in 0..self.reserve.len() {
            let pi = self.reserve[k];
            if let Some(r) = self.plugins[pi].as_reserve() {
                let s = r.reserve(pod, info);
                if !s.is_success() {
                    for &pj in self.reserve[..k].iter().rev() {
                        if let Some(u) = self.plugins[pj].as_reserve() {
                            u.unreserve(pod, info);
                        }
                    }
                    return CycleResult::Error(format!(
                        "running Reserve plugin {:?}: {s}",
                        self.plugins[pi].name()
                    ));
                }
            }
        }
        for k in 0..self.bind.len() {
            let pi = self.bind[k];
            if let Some(b) = self.plugins[pi].as_bind() {
                let s = b.bind(pod, info);
                match s.code {
                    Code::Skip => continue,
                    Code::Success => return CycleResult::Scheduled(node),
                    _ => {
                        return CycleResult::Error(format!(
                            "running Bind plugin {:?}: {s}",
                            self.plugins[pi].name()
                        ));
                    }
                }
            }
        }
        CycleResult::Error("no bind plugin bound the pod".to_string())
    }
}

#[cfg(test)]
mod tests;
