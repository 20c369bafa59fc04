//! Research plugins: textbook and published scheduling algorithms cast as framework plugins,
//! registered as `kubesim.io/<Name>` in [`super::Registry::in_tree`] and usable in any
//! profile (multiPoint or their extension point, with a weight). Each file's doc gives the
//! source and how the algorithm maps onto the framework.
//!
//! | plugin | point | rule |
//! |---|---|---|
//! | [`first_fit::FirstFit`] | Score | the feasible node created first gets 100, others 0 |
//! | [`random::Random`] | Score | uniform in `[0, 100]`, a hash of (seed, pod, attempt, node) |
//! | [`best_fit::BestFit`] | Score | least capacity left after placement wins |
//! | [`worst_fit::WorstFit`] | Score | most capacity left after placement wins |
//! | [`tetris::Tetris`] | Score | demand · free, each normalized by allocatable |
//! | [`drf::DominantResourceFairness`] | QueueSort | smallest namespace dominant share first |

pub mod best_fit;
pub mod drf;
pub mod first_fit;
pub mod random;
pub mod tetris;
pub mod worst_fit;

use crate::scheduler::cache::NodeInfo;

/// Scale of the fine-grained raw scores: parts per billion of a fraction.
pub const PPB: i128 = 1_000_000_000;

/// `floor(PPB * n / d)` for `0 <= n <= d`, `0 < d` (the caller clamps); exact.
pub(crate) fn ppb(n: i64, d: i64) -> i128 {
    PPB * i128::from(n.clamp(0, d)) / i128::from(d)
}

/// The node's allocatable and requested cpu (millicores) and memory (bytes), by the actual
/// requests of the pods counted on it: `[(allocatable, requested); 2]`.
pub(crate) fn cpu_memory(node: &NodeInfo) -> [(i64, i64); 2] {
    let h = &node.hot;
    [
        (h.allocatable_cpu_m, h.requested_cpu_m),
        (h.allocatable_memory, h.requested_memory),
    ]
}
