//! `kubesim.io/Random`: a uniform random score, the baseline every placement policy should
//! beat.
//!
//! Source: random placement, the usual null baseline of scheduling studies (e.g. the "random
//! choice" of M. Mitzenmacher, "The power of two choices in randomized load balancing", IEEE
//! TPDS 12(10), 2001).
//!
//! Mapping: the score of a node is `h * 101 >> 64` for the 64-bit hash
//! `h = splitmix64(pod_key ^ splitmix64(node id))`, where `pod_key` mixes the run's seed,
//! this plugin's name, the pod's `namespace/name` (FNV-1a) and its scheduling attempt: uniform
//! in `[0, 100]`, fixed for a seed and independent of the order nodes are evaluated in (and of
//! every other random stream, as it draws from none). A retried pod gets fresh scores. Alone,
//! the highest score wins; its rare ties go to the scheduler's seeded draw.

use crate::api::pod::Pod;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{MAX_NODE_SCORE, Plugin, ScorePlugin};
use crate::scheduler::plugins::names;

/// The plugin.
#[derive(Clone, Copy, Debug)]
pub struct Random {
    key: u64,
}

impl Random {
    /// The plugin for a run with this seed.
    pub fn new(seed: u64) -> Self {
        Random {
            key: splitmix64(fnv1a(seed, names::RANDOM.as_bytes())),
        }
    }

    /// The per-pod part of the hash.
    fn pod_key(&self, pod: &Pod) -> u64 {
        let h = fnv1a(self.key, pod.meta.namespace.as_bytes());
        let h = fnv1a(h ^ 0x2f, pod.meta.name.as_bytes());
        splitmix64(h ^ u64::from(pod.status.scheduling_attempts))
    }
}

impl Plugin for Random {
    fn name(&self) -> &str {
        names::RANDOM
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// The score for a pod key and a node.
fn draw(pod_key: u64, node: &NodeInfo) -> i64 {
    let h = splitmix64(pod_key ^ splitmix64(u64::from(node.id.0)));
    ((u128::from(h) * (MAX_NODE_SCORE as u128 + 1)) >> 64) as i64
}

impl ScorePlugin for Random {
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        draw(self.pod_key(pod), node)
    }

    fn score_nodes(&self, pod: &Pod, nodes: NodeSet<'_>, out: &mut Vec<i64>) {
        let k = self.pod_key(pod);
        out.extend(nodes.iter().map(|n| draw(k, n)));
    }
}

/// SplitMix64's finalizer (Steele, Lea and Flood, OOPSLA 2014): a bijective 64-bit mix.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over `bytes`, starting from `state`.
fn fnv1a(state: u64, bytes: &[u8]) -> u64 {
    let mut h = state ^ 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::{check_batch_calls_agree, node, pod};
    use crate::store::NodeId;

    fn nodes(n: u32) -> Vec<NodeInfo> {
        (0..n)
            .map(|i| {
                let mut x = node(&format!("n{i}"), 1000, 1 << 30);
                x.id = NodeId(i);
                x
            })
            .collect()
    }

    #[test]
    fn scores_are_fixed_by_seed_pod_attempt_and_node_only() {
        let nodes = nodes(8);
        let r = Random::new(42);
        let p = pod("p", 100, 0);
        let fwd: Vec<i64> = nodes.iter().map(|n| r.score(&p, n)).collect();
        let back: Vec<i64> = nodes.iter().rev().map(|n| r.score(&p, n)).collect();
        assert_eq!(fwd, back.into_iter().rev().collect::<Vec<_>>());
        assert_eq!(fwd, [86, 96, 73, 39, 0, 90, 98, 57], "pinned draws");
        assert_eq!(
            fwd,
            nodes
                .iter()
                .map(|n| Random::new(42).score(&p, n))
                .collect::<Vec<_>>()
        );
        let other_seed: Vec<i64> = nodes.iter().map(|n| Random::new(7).score(&p, n)).collect();
        assert_ne!(fwd, other_seed);
        let mut retried = p.clone();
        retried.status.scheduling_attempts = 2;
        let again: Vec<i64> = nodes.iter().map(|n| r.score(&retried, n)).collect();
        assert_ne!(fwd, again, "a new attempt draws anew");
        check_batch_calls_agree(&r);
    }

    #[test]
    fn scores_cover_0_to_100_about_uniformly() {
        let nodes = nodes(2000);
        let r = Random::new(1);
        let mut counts = [0u32; 101];
        for i in 0..20 {
            let p = pod(&format!("p{i}"), 100, 0);
            for n in &nodes {
                counts[r.score(&p, n) as usize] += 1;
            }
        }
        // 40,000 draws over 101 values: about 396 each.
        assert!(
            counts.iter().all(|&c| (300..500).contains(&c)),
            "{counts:?}"
        );
    }
}
