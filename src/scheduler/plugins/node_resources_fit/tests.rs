//! The filter and the scoring strategies, per node and in batch.

use super::*;
use crate::scheduler::plugins::testing::{node, pod, with_used};

const GI: i64 = 1 << 30;

#[test]
fn filter_reports_every_insufficient_resource() {
    let n = with_used(node("n", 4000, 8 * GI), 3500, 7 * GI, 2);
    let f = NodeResourcesFit::default();
    let s = f.filter(&pod("p", 1000, 2 * GI), &n);
    assert_eq!(s.code, crate::scheduler::framework::Code::Unschedulable);
    assert_eq!(s.reasons[..], ["Insufficient cpu", "Insufficient memory"]);
    assert!(
        f.filter(&pod("fits", 500, GI), &n).is_success(),
        "equality fits"
    );
    let mut full = with_used(node("f", 4000, 8 * GI), 0, 0, 110);
    full.node = std::sync::Arc::new({
        let mut x = (*full.node).clone();
        x.allocatable.pods = 110;
        x
    });
    full.allocatable.pods = 110;
    assert_eq!(
        f.filter(&pod("zero", 0, 0), &full).reasons[..],
        [ERR_TOO_MANY_PODS]
    );
}

#[test]
fn extended_resources_and_ignored_groups() {
    let mut n = node("n", 4000, 8 * GI);
    std::sync::Arc::make_mut(&mut n.node)
        .allocatable
        .set("nvidia.com/gpu", 1);
    let mut p = pod("p", 100, 0);
    std::sync::Arc::make_mut(&mut p.spec)
        .requests
        .set("nvidia.com/gpu", 2);
    assert_eq!(
        NodeResourcesFit::default().filter(&p, &n).reasons[..],
        ["Insufficient nvidia.com/gpu"]
    );
    let ignoring = NodeResourcesFit::new(FitArgs {
        ignored_resource_groups: vec!["nvidia.com".into()],
        ..FitArgs::default()
    });
    assert!(ignoring.filter(&p, &n).is_success());
    let by_name = NodeResourcesFit::new(FitArgs {
        ignored_resources: vec!["nvidia.com/gpu".into()],
        ..FitArgs::default()
    });
    assert!(by_name.filter(&p, &n).is_success());
}

/// Only extended resources can be ignored: native scalars (hugepages, names under
/// `kubernetes.io/`) are checked whatever the args say.
#[test]
fn native_resources_are_never_ignored() {
    let mut n = node("n", 4000, 8 * GI);
    let mut p = pod("p", 100, 0);
    for name in ["hugepages-2Mi", "example.kubernetes.io/x"] {
        std::sync::Arc::make_mut(&mut n.node)
            .allocatable
            .set(name, 1);
        std::sync::Arc::make_mut(&mut p.spec).requests.set(name, 2);
    }
    let ignoring = NodeResourcesFit::new(FitArgs {
        ignored_resources: vec!["hugepages-2Mi".into(), "example.kubernetes.io/x".into()],
        ignored_resource_groups: vec!["example.kubernetes.io".into()],
        ..FitArgs::default()
    });
    let mut reasons = ignoring.filter(&p, &n).reasons.to_vec();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "Insufficient example.kubernetes.io/x",
            "Insufficient hugepages-2Mi"
        ]
    );
}

#[test]
fn float_division_matches_integer_division() {
    let cases = [
        (0, 1),
        (99, 100),
        (100, 100),
        (6_871_947_673_500, 68_719_476_736),
        (6_871_947_673_599, 68_719_476_736),
        ((1 << 52) - 1, 3),
        (7, (1 << 52) - 1),
    ];
    for (a, b) in cases {
        assert_eq!(div_floor(a, b), a / b, "{a}/{b}");
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = (x % (1 << 40)) as i64 + 1;
        let a = ((x >> 3) % (b as u64 * 101)) as i64;
        assert_eq!(div_floor(a, b), a / b, "{a}/{b}");
        assert_eq!(div_floor(b * 100 - 1, b), (b * 100 - 1) / b);
    }
}

#[test]
fn float_scores_match_the_formulas_below_the_exact_capacity() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..200_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Capacities of every size up to the limit, requests below, at and above them.
        let cap = ((x % (EXACT_CAPACITY as u64 >> (i % 40))) as i64).max(1);
        let req = ((x >> 7) % (cap as u64 * 2 + 2)) as i64;
        // The arithmetic of `equal_weight_scores`, on one lane.
        let least = |r: f64, c: f64| ((c - r).max(0.0) * 100.0 / c).trunc() as i64;
        let most = |r: f64, c: f64| (r.min(c) * 100.0 / c).trunc() as i64;
        for (r, c) in [
            (req, cap),
            (cap, cap),
            (0, cap),
            (EXACT_CAPACITY - 2, EXACT_CAPACITY - 1),
        ] {
            let (rf, cf) = (r as f64, c as f64);
            assert_eq!(least(rf, cf), least_requested_score(r, c), "{r}/{c}");
            assert_eq!(most(rf, cf), most_requested_score(r, c), "{r}/{c}");
        }
    }
}

#[test]
fn batch_scores_agree_with_node_scores() {
    use crate::scheduler::plugins::testing::{node_sets, random_nodes_and_pods};
    let (nodes, pods) = random_nodes_and_pods(0x9e37_79b9_7f4a_7c15, 400);
    let (all, exact) = node_sets(nodes);
    for strategy in [
        ScoringStrategyType::LeastAllocated,
        ScoringStrategyType::MostAllocated,
    ] {
        for weights in [(1, 1), (1, 3)] {
            let weight = |name: &str, weight| ResourceWeight {
                name: name.into(),
                weight,
            };
            let f = NodeResourcesFit::new(FitArgs {
                strategy,
                resources: vec![weight("cpu", weights.0), weight("memory", weights.1)],
                ..FitArgs::default()
            });
            for p in &pods {
                for set in [all.set(), exact.set()] {
                    let mut batch = Vec::new();
                    f.score_nodes(p, set, &mut batch);
                    let one: Vec<i64> = set.iter().map(|n| f.score(p, n)).collect();
                    assert_eq!(batch, one, "{strategy:?} {weights:?}");
                }
            }
        }
    }
}

#[test]
fn the_batch_filter_agrees_with_the_node_filter() {
    use crate::scheduler::cache::NodeSet;
    let f = NodeResourcesFit::default();
    let mut nodes = Vec::new();
    for (cpu, mem, pods) in [
        (0, 0, 0),
        (3500, 7 * GI, 2),
        (4000, 8 * GI, 0),
        (5000, GI, 1),
    ] {
        let mut n = with_used(node("n", 4000, 8 * GI), cpu, mem, pods);
        n.hot.allocatable_pods = 2;
        n.allocatable.pods = 2;
        nodes.push(n);
    }
    let which: Vec<usize> = (0..nodes.len()).collect();
    for (cpu, mem) in [(0, 0), (500, GI), (1, 0), (0, 1), (4000, 8 * GI), (4001, 0)] {
        let p = pod("p", cpu, mem);
        let mut alive = vec![true; nodes.len()];
        let mut failures = Vec::new();
        f.filter_nodes(&p, NodeSet::new(&nodes, &which), &mut alive, &mut failures);
        for (i, n) in nodes.iter().enumerate() {
            let s = f.filter(&p, n);
            assert_eq!(alive[i], s.is_success(), "pod {cpu}/{mem} node {i}");
            if !alive[i] {
                assert!(failures.contains(&(i, s)));
            }
        }
    }
}

#[test]
fn strategy_formulas() {
    assert_eq!(least_requested_score(3000, 4000), 25);
    assert_eq!(least_requested_score(5000, 4000), 0);
    assert_eq!(most_requested_score(3000, 4000), 75);
    assert_eq!(most_requested_score(5000, 4000), 100);
    let shape = [(0, 10), (100, 0)];
    assert_eq!(broken_linear(&shape, 0), 100);
    assert_eq!(broken_linear(&shape, 30), 70);
    assert_eq!(broken_linear(&shape, 100), 0);
    assert_eq!(broken_linear(&[(50, 5)], 10), 50);
}

#[test]
fn least_allocated_uses_nonzero_requests() {
    // Node 4 cores / 8 GiB with 1 core and 2 GiB used; pod asks nothing: counted 100m / 200 MiB.
    let n = with_used(node("n", 4000, 8 * GI), 1000, 2 * GI, 1);
    let s = NodeResourcesFit::default().score(&pod("p", 0, 0), &n);
    let cpu = (4000 - 1100) * 100 / 4000;
    let mem = (8 * GI - 2 * GI - 200 * 1024 * 1024) * 100 / (8 * GI);
    assert_eq!(s, (cpu + mem) / 2);
}

#[test]
fn most_allocated_and_rtcr() {
    let n = with_used(node("n", 4000, 8 * GI), 1000, 2 * GI, 1);
    let most = NodeResourcesFit::new(FitArgs {
        strategy: ScoringStrategyType::MostAllocated,
        ..FitArgs::default()
    });
    assert_eq!(most.score(&pod("p", 1000, 2 * GI), &n), 50);
    let rtcr = NodeResourcesFit::new(FitArgs {
        strategy: ScoringStrategyType::RequestedToCapacityRatio,
        shape: vec![(0, 0), (100, 10)],
        ..FitArgs::default()
    });
    // utilisation 50% cpu, 50% memory -> 50 each.
    assert_eq!(rtcr.score(&pod("p", 1000, 2 * GI), &n), 50);
}
