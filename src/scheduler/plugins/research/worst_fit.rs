//! `kubesim.io/WorstFit`: worst-fit bin packing as a Score plugin, the mirror of
//! [`super::best_fit`].
//!
//! Source: worst-fit puts each item into the bin it fits in with the most room left (D. S.
//! Johnson, "Fast algorithms for bin packing", J. Computer and System Sciences 8(3), 1974;
//! E. G. Coffman, M. R. Garey and D. S. Johnson, "Approximation algorithms for bin packing: a
//! survey", 1996). It spreads load, the opposite of best-fit.
//!
//! Formula, exact integers: the raw score is `free = 10^9 - used`, with `used` the parts per
//! billion of [`super::best_fit::used_after_ppb`] (the mean over cpu and memory of the used
//! fraction after placing the pod, actual requests); NormalizeScore gives the node(s) with
//! the most room 100 and every other node `min(99, floor(100 * free / max))`.
//!
//! How it differs from upstream `NodeResourcesFit` LeastAllocated: as BestFit differs from
//! MostAllocated (actual requests instead of the non-zero defaults, parts per billion instead
//! of whole percents per resource, only the emptiest node(s) at 100).

use super::best_fit::{free_after_ppb, normalize_best_is_100};
use crate::api::pod::Pod;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Plugin, ScorePlugin};
use crate::scheduler::plugins::names;

/// The plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct WorstFit;

impl Plugin for WorstFit {
    fn name(&self) -> &str {
        names::WORST_FIT
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for WorstFit {
    /// The node's free fraction after placing the pod, in parts per billion.
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        free_after_ppb(pod, node)
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        normalize_best_is_100(scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::cache::NodeSet;
    use crate::scheduler::plugins::testing::{check_batch_calls_agree, node, pod, with_used};

    const GI: i64 = 1 << 30;

    #[test]
    fn the_emptiest_node_gets_100() {
        let nodes = vec![
            with_used(node("a", 10_000, 10 * GI), 7_000, 5 * GI, 1),
            with_used(node("b", 10_000, 10 * GI), 0, 0, 0),
            with_used(node("c", 10_000, 10 * GI), 40, 0, 1),
        ];
        let which = [0, 1, 2];
        let p = pod("p", 1000, GI);
        let mut s = Vec::new();
        WorstFit.score_nodes(&p, NodeSet::new(&nodes, &which), &mut s);
        assert_eq!(s, [300_000_000, 900_000_000, 898_000_000]);
        WorstFit.normalize(&p, &mut s);
        assert_eq!(s, [33, 100, 99]);
        check_batch_calls_agree(&WorstFit);
    }
}
