//! A built profile: plugin instances wired to extension points, and one scheduling cycle
//! (`pkg/scheduler/schedule_one.go`, `pkg/scheduler/framework/runtime/framework.go`).

use super::cache::{NodeInfo, NodeSet};
use super::config::{
    ExtensionPoint, ProfileConfig, expand_point, merge_plugin_set, num_feasible_nodes_to_find,
};
use super::explain::{FilterEntry, ScoreEntry};
use super::framework::{
    ApiHandle, ClusterEvents, ClusterView, ClusterWatcher, Code, Nomination, Plugin,
    PostFilterInput, Status,
};
use super::plugins::{BuildContext, Registry, names};
use super::queue::QueuedPodInfo;
use crate::api::pod::Pod;
use crate::engine::SimRng;
use crate::store::{NodeId, PodId};
use rand::RngExt;
use smallvec::SmallVec;
use std::collections::BTreeMap;

/// Nodes filtered per batch (see [`Profile::run_cycle`]).
const FILTER_CHUNK: usize = 64;

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

/// What a filter walk goes through: the pod, the cluster, the nodes in walk order from the
/// round-robin `start`, how many feasible nodes end the search, and the filters to run.
struct WalkPlan<'a> {
    pod: &'a Pod,
    cluster: NodeSet<'a>,
    walk: &'a [usize],
    start: usize,
    to_find: usize,
    filters: &'a [(usize, &'a dyn super::framework::FilterPlugin)],
}

impl WalkPlan<'_> {
    /// The nodes in chunks, from `start` round the walk.
    fn chunks(&self) -> impl Iterator<Item = &[usize]> {
        self.walk[self.start..]
            .chunks(FILTER_CHUNK)
            .chain(self.walk[..self.start].chunks(FILTER_CHUNK))
    }
}

/// The filter walk with every status: each plugin's [`FilterPlugin::filter_nodes`] over a
/// chunk, then the nodes in walk order exactly as a node-by-node search would, each rejected
/// one with its first failing plugin's status in `diag`, until `to_find` nodes pass. Returns
/// how many nodes were processed, with `feasible` filled, or the error that ends the cycle.
fn walk_with_statuses(
    plan: &WalkPlan<'_>,
    plugins: &[Box<dyn Plugin>],
    feasible: &mut Vec<usize>,
    diag: &mut Diagnosis,
    mut detail: Option<&mut CycleDetail>,
) -> Result<usize, String> {
    let (pod, cluster, to_find) = (plan.pod, plan.cluster, plan.to_find);
    feasible.clear();
    let mut processed = 0usize;
    // Nodes are filtered a chunk at a time, plugin by plugin (a tight loop per plugin), then
    // walked in order exactly as a node-by-node search would: each node's verdict is its
    // first failing plugin, and the search stops at the same node. Verdicts computed past
    // the stop are discarded.
    let mut alive = [true; FILTER_CHUNK];
    // The plugin that rejected each node of the chunk. A plugin sees only the nodes still
    // alive, so each node is rejected at most once. The plugins push their statuses
    // straight onto `diag.rejected` (chunk indices, renumbered below), so a status is
    // never moved again: rejecting thousands of nodes stays cheap.
    let mut rejected_by = [0usize; FILTER_CHUNK];
    let mut last_rejecter = None;
    'search: for chunk_idx in plan.chunks() {
        let chunk = cluster.with_indices(chunk_idx);
        let alive = &mut alive[..chunk_idx.len()];
        alive.fill(true);
        let base = diag.rejected.len();
        for &(pi, f) in plan.filters {
            let from = diag.rejected.len();
            f.filter_nodes(pod, chunk, alive, &mut diag.rejected);
            for &(i, _) in &diag.rejected[from..] {
                rejected_by[i] = pi;
            }
        }
        let verdicts = &mut diag.rejected[base..];
        if !verdicts.is_sorted_by_key(|r| r.0) {
            verdicts.sort_by_key(|r| r.0);
        }
        let mut next = base;
        for (i, &ni) in chunk_idx.iter().enumerate() {
            processed += 1;
            if alive[i] {
                if let Some(d) = detail.as_deref_mut() {
                    d.filter.push(FilterEntry {
                        node: ni,
                        code: Code::Success,
                        plugin: None,
                        reason: String::new(),
                    });
                }
                feasible.push(ni);
                if feasible.len() >= to_find {
                    // Verdicts past the stop were never reached.
                    diag.rejected.truncate(next);
                    break 'search;
                }
                continue;
            }
            let Some((at, st)) = diag.rejected.get_mut(next).filter(|r| r.0 == i) else {
                return Err(format!(
                    "node {} was filtered out without a status",
                    cluster.all()[ni].name()
                ));
            };
            *at = ni;
            next += 1;
            let pi = rejected_by[i];
            if st.code == Code::Error {
                return Err(format!(
                    "running Filter plugin {:?}: {st}",
                    plugins[pi].name()
                ));
            }
            if let Some(d) = detail.as_deref_mut() {
                d.filter.push(FilterEntry {
                    node: ni,
                    code: st.code,
                    plugin: Some(plugins[pi].name().to_string()),
                    reason: st.reasons.join(", "),
                });
            }
            if last_rejecter != Some(pi) {
                last_rejecter = Some(pi);
                diag.requeue_on = diag.requeue_on.or(plugins[pi].events_to_register());
            }
        }
        if next != diag.rejected.len() {
            return Err(format!(
                "a Filter plugin rejected a node it was not given: {}",
                diag.rejected[next].1
            ));
        }
    }
    Ok(processed)
}

/// The filter walk when only the feasible nodes matter: each plugin's
/// [`FilterPlugin::filter_alive`] over a chunk, then the passing nodes in walk order until
/// `to_find`. Returns how many nodes were processed, with `feasible` filled; `None` when the
/// walk must be redone with statuses (a plugin erred, or no node passed and the diagnosis is
/// needed).
fn walk_verdicts_only(
    plan: &WalkPlan<'_>,
    feasible: &mut Vec<usize>,
    scratch: &mut Vec<(usize, Status)>,
) -> Option<usize> {
    let to_find = plan.to_find;
    feasible.clear();
    let mut alive = [true; FILTER_CHUNK];
    let mut processed = 0;
    for chunk_idx in plan.chunks() {
        let chunk = plan.cluster.with_indices(chunk_idx);
        let alive = &mut alive[..chunk_idx.len()];
        alive.fill(true);
        for &(_, f) in plan.filters {
            if !f.filter_alive(plan.pod, chunk, alive, scratch) {
                return None;
            }
        }
        let passing = super::framework::count_true(alive);
        if feasible.len() + passing < to_find {
            // The search goes on past this chunk: append its passing nodes without a branch
            // per node (whether a node passes is as unpredictable as a coin).
            let from = feasible.len();
            feasible.resize(from + chunk_idx.len(), 0);
            let mut k = from;
            for (&ni, &a) in chunk_idx.iter().zip(alive.iter()) {
                feasible[k] = ni;
                k += usize::from(a);
            }
            feasible.truncate(k);
            processed += chunk_idx.len();
            continue;
        }
        for (&ni, &a) in chunk_idx.iter().zip(alive.iter()) {
            processed += 1;
            if a {
                feasible.push(ni);
                if feasible.len() >= to_find {
                    return Some(processed);
                }
            }
        }
    }
    (!feasible.is_empty()).then_some(processed)
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
    /// Builds a profile from its configuration: merge over the defaults, expand multiPoint,
    /// instantiate each plugin once (factories get the run's `seed`). Returns the profile and
    /// warnings, or every error found.
    pub fn build(
        cfg: &ProfileConfig,
        global_pct: Option<i32>,
        registry: &Registry,
        seed: u64,
    ) -> Result<(Profile, Vec<String>), Vec<String>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let default_multi = super::config::PluginSet {
            enabled: super::config::default_multi_point(),
            disabled: vec![],
        };
        let multi = merge_plugin_set(&default_multi, &cfg.plugins.multi_point);
        let profile_label = &cfg.scheduler_name;

        let (mut plugins, index_of) =
            instantiate(cfg, &multi, registry, seed, &mut errors, &mut warnings);
        let caps = capabilities(&mut plugins, &index_of);
        let mut point_lists = point_lists(cfg, &multi, &caps, &index_of, &mut errors);
        let take = |p: ExtensionPoint, lists: &mut BTreeMap<ExtensionPoint, Vec<(usize, i64)>>| {
            lists.remove(&p).unwrap_or_default()
        };
        let queue_sorts = take(ExtensionPoint::QueueSort, &mut point_lists);
        let bind = take(ExtensionPoint::Bind, &mut point_lists);
        if queue_sorts.len() != 1 {
            errors.push(format!(
                "profile {profile_label}: exactly one queueSort plugin must be enabled, found {}",
                queue_sorts.len()
            ));
        }
        if bind.is_empty() {
            errors.push(format!(
                "profile {profile_label}: at least one bind plugin must be enabled"
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let idx = |v: Vec<(usize, i64)>| v.into_iter().map(|(i, _)| i).collect::<Vec<_>>();
        let watchers = (0..plugins.len())
            .filter(|&i| plugins[i].as_watcher().is_some())
            .collect();
        let profile = Profile {
            name: cfg.scheduler_name.clone(),
            pre_enqueue: idx(take(ExtensionPoint::PreEnqueue, &mut point_lists)),
            queue_sort: queue_sorts[0].0,
            pre_filter: idx(take(ExtensionPoint::PreFilter, &mut point_lists)),
            filter: idx(take(ExtensionPoint::Filter, &mut point_lists)),
            post_filter: idx(take(ExtensionPoint::PostFilter, &mut point_lists)),
            last_filter_skip: Vec::new(),
            pre_score: idx(take(ExtensionPoint::PreScore, &mut point_lists)),
            score: take(ExtensionPoint::Score, &mut point_lists),
            reserve: idx(take(ExtensionPoint::Reserve, &mut point_lists)),
            pre_bind: idx(take(ExtensionPoint::PreBind, &mut point_lists)),
            bind: idx(bind),
            watchers,
            percentage: cfg
                .percentage_of_nodes_to_score
                .filter(|p| *p > 0)
                .or(global_pct),
            plugins,
            feasible: Vec::new(),
            scratch: Vec::new(),
            totals: Vec::new(),
            column: Vec::new(),
        };
        Ok((profile, warnings))
    }

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

fn feasible_first(v: &[usize]) -> usize {
    v[0]
}

/// Which extension points each plugin serves, by name (the probes need a mutable plugin).
type Capabilities = BTreeMap<String, [bool; ExtensionPoint::ALL.len()]>;

/// Instantiates every plugin a profile names once, with its arguments; reports unknown
/// plugins and arguments for plugins not enabled, and warns about plugins not modelled.
fn instantiate(
    cfg: &ProfileConfig,
    multi: &super::config::PluginSet,
    registry: &Registry,
    seed: u64,
    errors: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> (Vec<Box<dyn Plugin>>, BTreeMap<String, usize>) {
    let profile_label = &cfg.scheduler_name;
    let mut plugins: Vec<Box<dyn Plugin>> = Vec::new();
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut names_seen: Vec<String> = multi.enabled.iter().map(|p| p.name.clone()).collect();
    for p in ExtensionPoint::ALL {
        names_seen.extend(cfg.plugins.at(p).enabled.iter().map(|r| r.name.clone()));
    }
    let mut handled: Vec<String> = Vec::new();
    for name in names_seen {
        if handled.contains(&name) {
            continue;
        }
        handled.push(name.clone());
        if index_of.contains_key(&name) {
            continue;
        }
        if names::NOT_YET_MODELLED.contains(&name.as_str()) {
            let explicit = cfg
                .plugins
                .multi_point
                .enabled
                .iter()
                .any(|r| r.name == name)
                || ExtensionPoint::ALL
                    .iter()
                    .any(|p| cfg.plugins.at(*p).enabled.iter().any(|r| r.name == name));
            if explicit {
                warnings.push(format!(
                    "profile {profile_label}: plugin {name} is not modelled yet; it is left out"
                ));
            }
            continue;
        }
        let args = cfg
            .plugin_args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| a);
        let ctx = BuildContext::new(seed, profile_label).with_args(args);
        match registry.build(&name, &ctx) {
            Some(plugin) => {
                index_of.insert(name, plugins.len());
                plugins.push(plugin);
            }
            None => errors.push(format!(
                "profile {profile_label}: unknown plugin {name:?}; known plugins: {}",
                registry.names().collect::<Vec<_>>().join(", ")
            )),
        }
    }
    for (name, _) in &cfg.plugin_args {
        if !index_of.contains_key(name) {
            errors.push(format!("profile {profile_label}: pluginConfig for {name:?}, which is not enabled in this profile"));
        }
    }

    (plugins, index_of)
}

/// The extension points each instantiated plugin serves.
fn capabilities(
    plugins: &mut [Box<dyn Plugin>],
    index_of: &BTreeMap<String, usize>,
) -> Capabilities {
    let mut caps: BTreeMap<String, [bool; ExtensionPoint::ALL.len()]> = BTreeMap::new();
    for (name, &i) in index_of {
        let p = &mut plugins[i];
        let mut c = [false; ExtensionPoint::ALL.len()];
        c[ExtensionPoint::PreEnqueue as usize] = p.as_pre_enqueue().is_some();
        c[ExtensionPoint::PreBind as usize] = p.as_pre_bind().is_some();
        c[ExtensionPoint::QueueSort as usize] = p.as_queue_sort().is_some();
        c[ExtensionPoint::PreFilter as usize] = p.as_pre_filter().is_some();
        c[ExtensionPoint::Filter as usize] = p.as_filter().is_some();
        c[ExtensionPoint::PostFilter as usize] = p.as_post_filter().is_some();
        c[ExtensionPoint::PreScore as usize] = p.as_pre_score().is_some();
        c[ExtensionPoint::Score as usize] = p.as_score().is_some();
        c[ExtensionPoint::Reserve as usize] = p.as_reserve().is_some();
        c[ExtensionPoint::Bind as usize] = p.as_bind().is_some();
        caps.insert(name.clone(), c);
    }

    caps
}

/// Each extension point's plugins (index, weight): the multiPoint set expanded and the
/// point's own set laid over it, as upstream's `mergePlugins`; reports plugins enabled at a
/// point they do not serve, and negative weights.
fn point_lists(
    cfg: &ProfileConfig,
    multi: &super::config::PluginSet,
    caps: &Capabilities,
    index_of: &BTreeMap<String, usize>,
    errors: &mut Vec<String>,
) -> BTreeMap<ExtensionPoint, Vec<(usize, i64)>> {
    let profile_label = &cfg.scheduler_name;
    let mut point_lists: BTreeMap<ExtensionPoint, Vec<(usize, i64)>> = BTreeMap::new();
    for point in ExtensionPoint::ALL {
        let set = cfg.plugins.at(point);
        for r in &set.enabled {
            if let Some(c) = caps.get(&r.name)
                && !c[point as usize]
            {
                errors.push(format!("profile {profile_label}: plugin {:?} does not implement the {} extension point", r.name, point.as_str()));
            }
            if r.weight < 0 {
                errors.push(format!("profile {profile_label}: plugins.{}: weight of {:?} must not be negative, got {}", point.as_str(), r.name, r.weight));
            }
        }
        let has = |name: &str| caps.get(name).is_some_and(|c| c[point as usize]);
        let list = expand_point(multi, set, &has);
        let mut resolved = Vec::new();
        for r in list {
            let Some(&i) = index_of.get(&r.name) else {
                continue;
            };
            if !has(&r.name) {
                continue;
            }
            resolved.push((i, if r.weight == 0 { 1 } else { r.weight }));
        }
        point_lists.insert(point, resolved);
    }
    point_lists
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use crate::scheduler::config::ProfileConfig;
    use crate::scheduler::plugins::testing::{node, pod, with_used};

    fn default_profile() -> Profile {
        Profile::build(
            &ProfileConfig::named("default-scheduler"),
            None,
            &Registry::in_tree(),
            1,
        )
        .expect("default profile builds")
        .0
    }

    fn nodes(n: usize) -> Vec<NodeInfo> {
        (0..n)
            .map(|i| {
                let mut info = node(&format!("n{i}"), 4000, 8 << 30);
                info.id = NodeId(i as u32);
                info
            })
            .collect()
    }

    #[test]
    fn evaluates_num_feasible_nodes_from_the_round_robin_start() {
        // 300 nodes: adaptive percentage 50 - 300/125 = 48% -> 144 nodes per cycle.
        let nodes = nodes(300);
        let order: Vec<usize> = (0..300).collect();
        let mut p = default_profile();
        let mut start = 0;
        let mut rng = RngStreams::new(1).stream("t");
        for want_start in [144, 288, 132] {
            let mut d = CycleDetail::default();
            let r = p.run_cycle(
                &pod("p", 100, 0),
                NodeSet::new(&nodes, &order),
                ClusterView::empty(),
                &mut start,
                &mut rng,
                Some(&mut d),
            );
            assert!(matches!(r, CycleResult::Scheduled(_)));
            assert_eq!(d.filter.len(), 144);
            assert_eq!(d.scores.len(), 144);
            assert_eq!(start, want_start);
        }
    }

    /// Without details the walk keeps only verdicts (and walks again with statuses when no
    /// node passes); it must choose the same nodes and advance the start index the same way.
    #[test]
    fn the_verdict_only_walk_matches_the_detailed_walk() {
        // 300 nodes, every third one full: some chunks stop the search midway.
        let nodes: Vec<NodeInfo> = nodes(300)
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                if i % 3 == 0 {
                    with_used(n, 4000, 0, 1)
                } else {
                    n
                }
            })
            .collect();
        let order: Vec<usize> = (0..300).collect();
        let run = |explain: bool| {
            let mut p = default_profile();
            let (mut start, mut rng) = (7, RngStreams::new(1).stream("t"));
            let mut seen = Vec::new();
            for cpu in [100, 3000, 5000, 100, 2000] {
                let mut d = CycleDetail::default();
                let r = p.run_cycle(
                    &pod("p", cpu, 0),
                    NodeSet::new(&nodes, &order),
                    ClusterView::empty(),
                    &mut start,
                    &mut rng,
                    explain.then_some(&mut d),
                );
                let outcome = match r {
                    CycleResult::Scheduled(n) => format!("node {n}"),
                    CycleResult::Unschedulable(diag) => diag.message(),
                    CycleResult::Error(e) => e,
                };
                seen.push((outcome, start));
            }
            seen
        };
        let quick = run(false);
        assert_eq!(quick, run(true));
        assert_eq!(
            quick[2].0,
            "0/300 nodes are available: 300 Insufficient cpu."
        );
    }

    #[test]
    fn default_profile_wires_gates_ports_volumes_and_images() {
        let p = default_profile();
        let d = p.describe();
        let at = |point: &str| d.iter().find(|(n, _)| *n == point).unwrap().1.clone();
        assert_eq!(at("preEnqueue"), ["SchedulingGates"]);
        assert_eq!(
            at("preFilter"),
            [
                "NodeAffinity",
                "NodePorts",
                "NodeResourcesFit",
                "VolumeBinding",
                "VolumeZone",
                "PodTopologySpread",
                "InterPodAffinity"
            ]
        );
        assert_eq!(at("postFilter"), ["DefaultPreemption"]);
        assert_eq!(at("preBind"), ["VolumeBinding"]);
        assert!(at("score").contains(&"ImageLocality:1".to_string()));
        let mut gated = pod("g", 100, 0);
        assert!(p.pre_enqueue(&gated).is_none());
        std::sync::Arc::make_mut(&mut gated.spec).scheduling_gates = vec!["x".into()];
        assert_eq!(
            p.pre_enqueue(&gated).map(|s| s.to_string()).as_deref(),
            Some("waiting for scheduling gates: [x]")
        );
    }

    #[test]
    fn a_plugin_not_modelled_is_warned_about_once() {
        let mut cfg = ProfileConfig::named("p");
        let r = crate::scheduler::config::PluginRef {
            name: "VolumeRestrictions".into(),
            weight: 0,
        };
        cfg.plugins
            .at_mut(crate::scheduler::config::ExtensionPoint::Score)
            .enabled
            .push(r.clone());
        cfg.plugins.multi_point.enabled.push(r);
        let (_, warnings) = Profile::build(&cfg, None, &Registry::in_tree(), 1).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn ties_are_broken_by_the_seeded_stream() {
        let nodes = nodes(50);
        let order: Vec<usize> = (0..50).collect();
        let pick = |seed: u64| {
            let mut p = default_profile();
            let mut rng = RngStreams::new(seed).stream("scheduler");
            match p.run_cycle(
                &pod("p", 100, 0),
                NodeSet::new(&nodes, &order),
                ClusterView::empty(),
                &mut 0,
                &mut rng,
                None,
            ) {
                CycleResult::Scheduled(n) => n,
                _ => panic!("identical empty nodes all fit"),
            }
        };
        assert_eq!(pick(1), pick(1), "same seed, same node");
        let distinct: std::collections::BTreeSet<usize> = (1..20).map(pick).collect();
        assert!(
            distinct.len() > 5,
            "seeds spread the choice over the tied nodes: {distinct:?}"
        );
    }

    #[test]
    fn the_least_allocated_node_wins_and_messages_histogram_reasons() {
        let mut nodes = nodes(3);
        nodes[0] = with_used(nodes[0].clone(), 3000, 0, 1);
        nodes[2] = with_used(nodes[2].clone(), 1000, 0, 1);
        let order = vec![0, 1, 2];
        let mut p = default_profile();
        let mut rng = RngStreams::new(1).stream("t");
        let r = p.run_cycle(
            &pod("p", 500, 1 << 30),
            NodeSet::new(&nodes, &order),
            ClusterView::empty(),
            &mut 0,
            &mut rng,
            None,
        );
        assert!(
            matches!(r, CycleResult::Scheduled(1)),
            "the empty node scores highest"
        );
        let r = p.run_cycle(
            &pod("big", 3500, 1 << 30),
            NodeSet::new(&nodes, &order),
            ClusterView::empty(),
            &mut 0,
            &mut rng,
            None,
        );
        let CycleResult::Scheduled(n) = r else {
            panic!("fits on n1 and n2")
        };
        assert!(n == 1 || n == 2);
        match p.run_cycle(
            &pod("huge", 5000, 0),
            NodeSet::new(&nodes, &order),
            ClusterView::empty(),
            &mut 0,
            &mut rng,
            None,
        ) {
            CycleResult::Unschedulable(d) => {
                assert_eq!(d.message(), "0/3 nodes are available: 3 Insufficient cpu.")
            }
            _ => panic!("fits nowhere"),
        }
    }
}
