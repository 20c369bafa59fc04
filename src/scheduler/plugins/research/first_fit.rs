//! `kubesim.io/FirstFit`: first-fit bin packing as a Score plugin.
//!
//! Source: first-fit puts each item into the lowest-indexed bin it fits in (D. S. Johnson,
//! "Fast algorithms for bin packing", J. Computer and System Sciences 8(3), 1974; for items
//! with several resources, M. R. Garey, R. L. Graham, D. S. Johnson and A. C. Yao, "Resource
//! constrained scheduling as generalized bin packing", J. Combinatorial Theory A 21(3), 1976).
//! Bins are nodes, indexed in creation order (`NodeId`).
//!
//! Mapping: Filter decides which nodes fit. The raw score is `u32::MAX - node id`, so older
//! nodes score higher; NormalizeScore gives the highest (the feasible node created first)
//! 100 and every other node 0, so there is never a tie to draw. Alone (the other Score
//! plugins disabled), or with a weight larger than the others' combined range, the first
//! feasible node always wins. With `percentageOfNodesToScore: 100` (and in any cluster under
//! 100 nodes) every node is filtered and this is textbook first-fit; otherwise the filter
//! stops after `numFeasibleNodesToFind` feasible nodes from its round-robin start, and this
//! is first-fit among those sampled nodes.

use crate::api::pod::Pod;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{MAX_NODE_SCORE, MIN_NODE_SCORE, Plugin, ScorePlugin};
use crate::scheduler::plugins::names;

/// The plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct FirstFit;

impl Plugin for FirstFit {
    fn name(&self) -> &str {
        names::FIRST_FIT
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for FirstFit {
    /// `u32::MAX - node id`: larger for nodes created earlier.
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> i64 {
        i64::from(u32::MAX - node.id.0)
    }

    /// 100 for the highest raw score (the earliest node), 0 for the others.
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        let best = scores.iter().copied().max().unwrap_or(0);
        for s in scores.iter_mut() {
            *s = if *s == best {
                MAX_NODE_SCORE
            } else {
                MIN_NODE_SCORE
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::cache::NodeSet;
    use crate::scheduler::plugins::testing::{check_batch_calls_agree, node, pod};
    use crate::store::NodeId;

    #[test]
    fn the_earliest_feasible_node_gets_100_whatever_the_walk_order() {
        let nodes: Vec<NodeInfo> = [7, 3, 9, 4]
            .iter()
            .map(|&id| {
                let mut n = node(&format!("n{id}"), 1000, 1 << 30);
                n.id = NodeId(id);
                n
            })
            .collect();
        let which = [2, 0, 3, 1];
        let p = pod("p", 100, 0);
        let mut scores = Vec::new();
        FirstFit.score_nodes(&p, NodeSet::new(&nodes, &which), &mut scores);
        FirstFit.normalize(&p, &mut scores);
        // Walked as n9, n7, n4, n3: n3 was created first.
        assert_eq!(scores, [0, 0, 0, 100]);
        check_batch_calls_agree(&FirstFit);
    }
}
