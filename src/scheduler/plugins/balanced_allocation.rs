//! NodeResourcesBalancedAllocation: prefer nodes whose resources would be used evenly
//! (`pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go`).

use super::names;
use super::node_resources_fit::ResourceKind;
use crate::api::pod::Pod;
pub use crate::api::scheduler_config::BalancedAllocationArgs;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{MAX_NODE_SCORE, Plugin, PreScorePlugin, ScorePlugin, Status};

/// The plugin.
#[derive(Debug)]
pub struct BalancedAllocation {
    kinds: Vec<ResourceKind>,
}

impl BalancedAllocation {
    /// A plugin with these args.
    pub fn new(args: BalancedAllocationArgs) -> Self {
        BalancedAllocation {
            kinds: args
                .resources
                .iter()
                .map(|r| ResourceKind::of(&r.name))
                .collect(),
        }
    }
}

impl Default for BalancedAllocation {
    fn default() -> Self {
        Self::new(BalancedAllocationArgs::default())
    }
}

impl Plugin for BalancedAllocation {
    fn name(&self) -> &str {
        names::NODE_RESOURCES_BALANCED_ALLOCATION
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::PreScore, ExtensionPoint::Score])
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreScorePlugin for BalancedAllocation {
    /// Skip best-effort pods (no request for any configured resource), as upstream 1.33+.
    fn pre_score(&mut self, pod: &Pod, _nodes: NodeSet<'_>) -> Status {
        let r = &pod.spec.requests;
        let requests_any = self.kinds.iter().any(|k| match k {
            ResourceKind::Cpu => r.cpu_m != 0,
            ResourceKind::Memory => r.memory != 0,
            ResourceKind::Ephemeral => r.ephemeral_storage != 0,
            ResourceKind::Scalar(n) => r.scalar(n) != 0,
        });
        if requests_any {
            Status::success()
        } else {
            Status::skip()
        }
    }
}

impl ScorePlugin for BalancedAllocation {
    /// `int((1 - std) * 100)` over the used fractions (capped at 1) of the resources.
    #[inline]
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        let fraction = |k: &ResourceKind| {
            k.alloc_and_request(pod, node, false)
                .map(|(alloc, req)| (req as f64 / alloc as f64).min(1.0))
        };
        if let [a, b] = self.kinds.as_slice() {
            // The common case (cpu and memory) without a buffer.
            return match (fraction(a), fraction(b)) {
                (Some(x), Some(y)) => balanced_score(&[x, y]),
                (Some(x), None) | (None, Some(x)) => balanced_score(&[x]),
                (None, None) => balanced_score(&[]),
            };
        }
        let fs: Vec<f64> = self.kinds.iter().filter_map(fraction).collect();
        balanced_score(&fs)
    }

    fn score_nodes(&self, pod: &Pod, nodes: NodeSet<'_>, out: &mut Vec<i64>) {
        if self.kinds != [ResourceKind::Cpu, ResourceKind::Memory] {
            out.extend(nodes.iter().map(|n| self.score(pod, n)));
            return;
        }
        // cpu and memory: the same arithmetic as `score` on the floating-point pairs, both
        // resources in one vector division. Sums below 2^53 are exact, so they equal the
        // integer sums converted; positive capacities (no node with odd capacities in the
        // cluster) keep the fractions in [0, 1] and the score in [50, 100], so the cast does
        // not saturate.
        let (pc, pm) = (pod.spec.requests.cpu_m, pod.spec.requests.memory);
        let pod_pair = [pc as f64, pm as f64];
        const EXACT_SUM: f64 = (1u64 << 53) as f64;
        let capped = |f: f64| if f < 1.0 { f } else { 1.0 };
        let exact = nodes.facts().odd_capacity == 0
            && nodes.score_numbers(out, |s| {
                let r = [s.requested[0] + pod_pair[0], s.requested[1] + pod_pair[1]];
                let a = s.allocatable;
                let (fc, fm) = (capped(r[0] / a[0]), capped(r[1] / a[1]));
                let score = ((1.0 - ((fc - fm) / 2.0).abs()) * MAX_NODE_SCORE as f64) as i32;
                (i64::from(score), (r[0] < EXACT_SUM) & (r[1] < EXACT_SUM))
            });
        if exact {
            return;
        }
        out.extend(nodes.iter().map(|n| {
            let h = &n.hot;
            let (ac, am) = (h.allocatable_cpu_m, h.allocatable_memory);
            let fc = ((h.requested_cpu_m + pc) as f64 / ac as f64).min(1.0);
            let fm = ((h.requested_memory + pm) as f64 / am as f64).min(1.0);
            match (ac != 0, am != 0) {
                (true, true) => ((1.0 - ((fc - fm) / 2.0).abs()) * MAX_NODE_SCORE as f64) as i64,
                _ => MAX_NODE_SCORE,
            }
        }));
    }
}

/// The score for a set of used fractions.
pub fn balanced_score(fractions: &[f64]) -> i64 {
    let std = match fractions.len() {
        0 | 1 => 0.0,
        2 => ((fractions[0] - fractions[1]) / 2.0).abs(),
        n => {
            let mean = fractions.iter().sum::<f64>() / n as f64;
            (fractions
                .iter()
                .map(|f| (f - mean) * (f - mean))
                .sum::<f64>()
                / n as f64)
                .sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::{node, pod, with_used};

    const GI: i64 = 1 << 30;

    #[test]
    fn batch_scores_agree_with_node_scores() {
        use crate::scheduler::plugins::testing::{node_sets, random_nodes_and_pods};
        let (nodes, pods) = random_nodes_and_pods(0x2545_f491_4f6c_dd1d, 400);
        let (all, exact) = node_sets(nodes);
        let b = BalancedAllocation::default();
        for p in &pods {
            for set in [all.set(), exact.set()] {
                let mut batch = Vec::new();
                b.score_nodes(p, set, &mut batch);
                let one: Vec<i64> = set.iter().map(|n| b.score(p, n)).collect();
                assert_eq!(batch, one);
            }
        }
    }

    #[test]
    fn formula_table() {
        assert_eq!(balanced_score(&[0.5, 0.5]), 100);
        assert_eq!(
            balanced_score(&[0.25, 0.6]),
            82,
            "(1-0.175)*100 = 82.4999.. truncates"
        );
        assert_eq!(balanced_score(&[1.0, 0.0]), 50);
        assert_eq!(balanced_score(&[0.3]), 100);
        // population std of 0.1, 0.2, 0.6 = 0.2160 -> 78
        assert_eq!(balanced_score(&[0.1, 0.2, 0.6]), 78);
    }

    #[test]
    fn uses_actual_requests_and_skips_best_effort() {
        let n = with_used(node("n", 4000, 8 * GI), 0, 0, 0);
        let mut p = BalancedAllocation::default();
        let best_effort = pod("be", 0, 0);
        assert_eq!(
            p.pre_score(&best_effort, NodeSet::new(std::slice::from_ref(&n), &[0]))
                .code,
            crate::scheduler::framework::Code::Skip
        );
        let pd = pod("p", 1000, 6 * GI);
        assert!(
            p.pre_score(&pd, NodeSet::new(std::slice::from_ref(&n), &[0]))
                .is_success()
        );
        // cpu 0.25, memory 0.75 -> std 0.25 -> 75
        assert_eq!(p.score(&pd, &n), 75);
    }
}
