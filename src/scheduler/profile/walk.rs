//! The filter walk: the nodes in round-robin order from the saved start, in chunks, each
//! filter plugin over a chunk at once, until enough feasible nodes are found
//! (`findNodesThatPassFilters` in `pkg/scheduler/schedule_one.go`).

use super::{CycleDetail, Diagnosis};
use crate::api::pod::Pod;
use crate::scheduler::cache::NodeSet;
use crate::scheduler::explain::FilterEntry;
use crate::scheduler::framework::{Code, FilterPlugin, Plugin, Status};

/// Nodes filtered per batch (see [`super::Profile::run_cycle`]).
const FILTER_CHUNK: usize = 64;

/// What a filter walk goes through: the pod, the cluster, the nodes in walk order from the
/// round-robin `start`, how many feasible nodes end the search, and the filters to run.
pub(super) struct WalkPlan<'a> {
    pub(super) pod: &'a Pod,
    pub(super) cluster: NodeSet<'a>,
    pub(super) walk: &'a [usize],
    pub(super) start: usize,
    pub(super) to_find: usize,
    pub(super) filters: &'a [(usize, &'a dyn FilterPlugin)],
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
pub(super) fn walk_with_statuses(
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
pub(super) fn walk_verdicts_only(
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
        let passing = crate::scheduler::framework::count_true(alive);
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

/// The first feasible node.
pub(super) fn feasible_first(v: &[usize]) -> usize {
    v[0]
}
