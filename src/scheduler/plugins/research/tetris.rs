//! `kubesim.io/Tetris`: the alignment score of Tetris as a Score plugin.
//!
//! Source: R. Grandl, G. Ananthanarayanan, S. Kandula, S. Rao and A. Akella, "Multi-resource
//! packing for cluster schedulers", ACM SIGCOMM 2014. Tetris places a task where its demand
//! vector and the machine's free-resource vector point the same way, which packs several
//! resources at once and avoids fragmenting any one of them.
//!
//! Formula, exact integers: alignment is the dot product `sum_r (d_r / a_r) * (f_r / a_r)`
//! over cpu and memory, with `d` the pod's requests, `f` the node's free allocatable before
//! placing the pod (`a - requested`, at least 0), and `a` the node's allocatable, each
//! resource normalized by the node's allocatable as in the paper. The raw score is
//! `sum_r floor(floor(10^9 * min(d_r, a_r) / a_r) * f_r / a_r)` (resources with no
//! allocatable left out); NormalizeScore scales by the largest over the feasible nodes,
//! `floor(100 * raw / max)` (all 0 when the max is 0, e.g. for a pod without requests).
//!
//! As in the paper the free vector is not rescaled to unit length, so among nodes whose free
//! resources have the same shape the emptier one scores higher.
//!
//! Left out: the paper's disk and network dimensions (kubesim models cpu and memory), its
//! shortest-remaining-work term and its fairness knob; feasibility is the Filter plugins'.

use super::{cpu_memory, ppb};
use crate::api::pod::Pod;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Plugin, ScorePlugin};
use crate::scheduler::plugins::names;
use crate::scheduler::plugins::normalize::default_normalize_score;

/// The plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tetris;

impl Plugin for Tetris {
    fn name(&self) -> &str {
        names::TETRIS
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for Tetris {
    /// The alignment of the pod's demand with the node's free resources, times 10^9.
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        let req = &pod.spec.requests;
        let [(ac, rc), (am, rm)] = cpu_memory(node);
        let mut sum = 0i128;
        for (a, used, d) in [(ac, rc, req.cpu_m), (am, rm, req.memory)] {
            if a > 0 {
                let free = a.saturating_sub(used).clamp(0, a);
                sum += ppb(d, a) * i128::from(free) / i128::from(a);
            }
        }
        sum as i64
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        default_normalize_score(scores, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::cache::NodeSet;
    use crate::scheduler::plugins::testing::{check_batch_calls_agree, node, pod, with_used};

    const GI: i64 = 1 << 30;

    #[test]
    fn alignment_prefers_free_resources_the_pod_needs() {
        // A cpu-heavy pod: 2 cores, 1 GiB on 8-core, 8-GiB nodes.
        let nodes = vec![
            // cpu free 6/8, memory free 2/8: 0.25 * 0.75 + 0.125 * 0.25 = 0.21875
            with_used(node("cpu-free", 8000, 8 * GI), 2000, 6 * GI, 2),
            // cpu free 2/8, memory free 6/8: 0.25 * 0.25 + 0.125 * 0.75 = 0.15625
            with_used(node("mem-free", 8000, 8 * GI), 6000, 2 * GI, 2),
            // all free: 0.25 + 0.125 = 0.375
            node("empty", 8000, 8 * GI),
        ];
        let which = [0, 1, 2];
        let p = pod("p", 2000, GI);
        let mut s = Vec::new();
        Tetris.score_nodes(&p, NodeSet::new(&nodes, &which), &mut s);
        assert_eq!(s, [218_750_000, 156_250_000, 375_000_000]);
        Tetris.normalize(&p, &mut s);
        assert_eq!(s, [58, 41, 100]);
        let mut none = vec![Tetris.score(&pod("be", 0, 0), &nodes[0])];
        Tetris.normalize(&p, &mut none);
        assert_eq!(none, [0], "a pod without requests aligns with nothing");
        check_batch_calls_agree(&Tetris);
    }
}
