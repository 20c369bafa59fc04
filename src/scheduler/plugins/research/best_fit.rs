//! `kubesim.io/BestFit`: best-fit bin packing as a Score plugin.
//!
//! Source: best-fit puts each item into the bin it fits in with the least room left (D. S.
//! Johnson, "Fast algorithms for bin packing", J. Computer and System Sciences 8(3), 1974;
//! E. G. Coffman, M. R. Garey and D. S. Johnson, "Approximation algorithms for bin packing: a
//! survey", 1996). With cpu and memory, "room left" is the mean of the two free fractions.
//!
//! Formula, exact integers: with `r` the node's requested amount plus the pod's (actual
//! requests), `a` the node's allocatable, and `ppb(r, a) = floor(10^9 * min(r, a) / a)`,
//! the raw score is `used = floor((ppb(r_cpu, a_cpu) + ppb(r_mem, a_mem)) / 2)` (a resource
//! with no allocatable is left out; none left scores 0). NormalizeScore gives the node(s)
//! with the highest `used` 100 and every other node `min(99, floor(100 * used / max))`.
//!
//! How it differs from upstream `NodeResourcesFit` MostAllocated, which ranks the same way in
//! spirit: MostAllocated counts a pod without requests as 100m cpu and 200 MiB, truncates each
//! resource to a whole percent before averaging, and so ties every node within about a point
//! (the seeded draw then picks among them); BestFit uses the actual requests, resolves the
//! used fraction to parts per billion, and only the strictly tightest node(s) reach 100, so
//! alone it is the textbook rule, ties broken by the seeded draw instead of the lowest index.

use super::{PPB, cpu_memory, ppb};
use crate::api::pod::Pod;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{MAX_NODE_SCORE, Plugin, ScorePlugin};
use crate::scheduler::plugins::names;

/// The plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct BestFit;

impl Plugin for BestFit {
    fn name(&self) -> &str {
        names::BEST_FIT
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for BestFit {
    /// The node's used fraction after placing the pod, in parts per billion.
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        used_after_ppb(pod, node)
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        normalize_best_is_100(scores);
    }
}

/// The mean over cpu and memory of `(requested + pod request) / allocatable`, each capped at
/// 1, in parts per billion (0 when the node has neither resource).
pub fn used_after_ppb(pod: &Pod, node: &NodeInfo) -> i64 {
    let req = &pod.spec.requests;
    let [(ac, rc), (am, rm)] = cpu_memory(node);
    let (mut sum, mut n) = (0i128, 0i128);
    for (a, r) in [
        (ac, rc.saturating_add(req.cpu_m)),
        (am, rm.saturating_add(req.memory)),
    ] {
        if a > 0 {
            sum += ppb(r, a);
            n += 1;
        }
    }
    if n == 0 { 0 } else { (sum / n) as i64 }
}

/// The free fraction in parts per billion: `10^9 - used`.
pub fn free_after_ppb(pod: &Pod, node: &NodeInfo) -> i64 {
    PPB as i64 - used_after_ppb(pod, node)
}

/// 100 for the highest raw score(s), `min(99, floor(100 * s / max))` for the others: the
/// best node wins alone even when the others are within a percent of it.
pub fn normalize_best_is_100(scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in scores.iter_mut() {
        *s = if *s == max {
            MAX_NODE_SCORE
        } else {
            // `s < max`, so `max > 0` here for non-negative scores.
            (i128::from((*s).max(0)) * i128::from(MAX_NODE_SCORE) / i128::from(max.max(1)))
                .min(i128::from(MAX_NODE_SCORE - 1)) as i64
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::cache::NodeSet;
    use crate::scheduler::plugins::node_resources_fit::ScoringStrategyType;
    use crate::scheduler::plugins::node_resources_fit::{FitArgs, NodeResourcesFit};
    use crate::scheduler::plugins::testing::{check_batch_calls_agree, node, pod, with_used};

    const GI: i64 = 1 << 30;

    #[test]
    fn used_fraction_table() {
        let cases = [
            // (name, node cpu, mem, used cpu, mem, pod cpu, mem, ppb)
            ("empty node", 4000, 8 * GI, 0, 0, 1000, 2 * GI, 250_000_000),
            (
                "half used",
                4000,
                8 * GI,
                1000,
                2 * GI,
                1000,
                2 * GI,
                500_000_000,
            ),
            (
                "cpu full, memory empty",
                4000,
                8 * GI,
                3000,
                0,
                1000,
                0,
                500_000_000,
            ),
            ("thirds", 3000, 3 * GI, 0, 0, 1000, GI, 333_333_333),
            (
                "over capacity caps at 1",
                1000,
                GI,
                900,
                GI,
                500,
                GI,
                1_000_000_000,
            ),
        ];
        for (name, c, m, uc, um, pc, pm, want) in cases {
            let n = with_used(node(name, c, m), uc, um, 1);
            assert_eq!(used_after_ppb(&pod("p", pc, pm), &n), want, "{name}");
        }
        let no_alloc = node("none", 0, 0);
        assert_eq!(used_after_ppb(&pod("p", 100, 0), &no_alloc), 0);
    }

    #[test]
    fn the_tightest_node_alone_gets_100_where_most_allocated_ties() {
        // After the pod: 80.0% and 80.4% cpu used, memory equal; MostAllocated sees 80 and 80.
        let nodes = vec![
            with_used(node("a", 10_000, 10 * GI), 7_000, 5 * GI, 1),
            with_used(node("b", 10_000, 10 * GI), 7_040, 5 * GI, 1),
            with_used(node("c", 10_000, 10 * GI), 0, 0, 0),
        ];
        let which = [0, 1, 2];
        let set = NodeSet::new(&nodes, &which);
        let p = pod("p", 1000, GI);
        let mut s = Vec::new();
        BestFit.score_nodes(&p, set, &mut s);
        assert_eq!(s, [700_000_000, 702_000_000, 100_000_000]);
        BestFit.normalize(&p, &mut s);
        assert_eq!(s, [99, 100, 14]);
        let most = NodeResourcesFit::new(FitArgs {
            strategy: ScoringStrategyType::MostAllocated,
            ..FitArgs::default()
        });
        let mut m = Vec::new();
        most.score_nodes(&p, set, &mut m);
        assert_eq!(m[0], m[1], "MostAllocated ties a and b");
        check_batch_calls_agree(&BestFit);
    }
}
