//! The research plugins end to end: `scenarios/research-algorithms.yaml` run through the
//! library, each placement checked against the textbook rule it implements, and the DRF queue
//! sort compared with PrioritySort on the same workload.

use kubesim::api::scheduler_config::{ExtensionPoint, PluginSet};
use kubesim::engine::SimTime;
mod common;

use common::run_checked as run;
use kubesim::scenario::Scenario;
use kubesim::world::World;

fn scenario() -> Scenario {
    common::load("scenarios/research-algorithms.yaml")
}

/// A bound pod: node index, [scheduled, finished), cpu and memory requests.
#[derive(Clone, Copy, Debug)]
struct Placed {
    node: u32,
    from: SimTime,
    to: Option<SimTime>,
    cpu: i64,
    memory: i64,
}

/// Every bound pod whose name starts with `prefix`, in binding order.
fn placed(w: &World, prefix: &str) -> Vec<Placed> {
    let mut v: Vec<Placed> = w
        .store()
        .pods()
        .iter()
        .filter(|p| p.meta.name.starts_with(prefix))
        .filter_map(|p| {
            let (cpu, memory, _) = p.request_record();
            Some(Placed {
                node: p.status.node?,
                from: p.status.scheduled?,
                to: p.status.finished,
                cpu,
                memory,
            })
        })
        .collect();
    v.sort_by_key(|p| p.from);
    v
}

/// A node just before a bind: index, allocatable cpu and memory, requested cpu and memory.
type NodeState = (u32, i64, i64, i64, i64);

/// For each pod of `prefix` bound at a moment without a simultaneous end in its pool: the
/// state of every node of the pool just before, and the pod. Nodes are in creation order.
fn decisions(w: &World, prefix: &str) -> Vec<(Vec<NodeState>, Placed)> {
    let pods = placed(w, prefix);
    let nodes: Vec<u32> = w
        .store()
        .nodes()
        .iter()
        .enumerate()
        .filter(|(_, n)| n.pool.as_deref() == Some(prefix))
        .map(|(i, _)| i as u32)
        .collect();
    let mut out = Vec::new();
    for (k, p) in pods.iter().enumerate() {
        if pods.iter().any(|q| q.to == Some(p.from)) {
            continue; // an end at the same instant: its order against this bind is not visible
        }
        let state = nodes
            .iter()
            .map(|&n| {
                let alloc = &w.store().node(kubesim::store::NodeId(n)).allocatable;
                let (mut cpu, mut mem) = (0, 0);
                for q in &pods[..k] {
                    if q.node == n && q.to.is_none_or(|t| t > p.from) {
                        cpu += q.cpu;
                        mem += q.memory;
                    }
                }
                (n, alloc.cpu_m, alloc.memory, cpu, mem)
            })
            .collect();
        out.push((state, *p));
    }
    out
}

fn fits(p: &Placed, (_, ac, am, uc, um): NodeState) -> bool {
    uc + p.cpu <= ac && um + p.memory <= am
}

/// Mean over cpu and memory of the used fraction after placing `p`, as a float (the test
/// only compares clearly different values).
fn used_after(p: &Placed, (_, ac, am, uc, um): NodeState) -> f64 {
    ((uc + p.cpu) as f64 / ac as f64 + (um + p.memory) as f64 / am as f64) / 2.0
}

#[test]
fn first_fit_best_fit_and_worst_fit_follow_their_textbook_rules() {
    let w = run(&scenario());
    let ff = decisions(&w, "first-fit");
    assert!(ff.len() >= 20, "{} first-fit decisions", ff.len());
    for (state, p) in &ff {
        let first = state.iter().find(|s| fits(p, **s)).map(|s| s.0);
        assert_eq!(first, Some(p.node), "first-fit: {p:?} in {state:?}");
    }
    for (prefix, best) in [("best-fit", true), ("worst-fit", false)] {
        let ds = decisions(&w, prefix);
        assert!(ds.len() >= 20, "{} {prefix} decisions", ds.len());
        for (state, p) in &ds {
            let chosen = state.iter().find(|s| s.0 == p.node).copied().unwrap();
            for s in state.iter().filter(|s| fits(p, **s)) {
                let (c, o) = (used_after(p, chosen), used_after(p, *s));
                let ok = if best { c >= o - 1e-9 } else { c <= o + 1e-9 };
                assert!(ok, "{prefix}: chose {chosen:?} over {s:?} for {p:?}");
            }
        }
    }
    // Tetris and Random place every pod somewhere in their pools.
    for prefix in ["tetris", "random"] {
        assert_eq!(placed(&w, prefix).len(), 24, "{prefix}");
    }
}

/// Mean wait (bind - create, seconds) of team-b's pods.
fn team_b_mean_wait(w: &World) -> f64 {
    let waits: Vec<f64> = w
        .store()
        .pods()
        .iter()
        .filter(|p| p.meta.namespace == "team-b")
        .map(|p| (p.status.scheduled.expect("bound").0 - p.status.created.0) as f64 / 1000.0)
        .collect();
    assert_eq!(waits.len(), 24);
    waits.iter().sum::<f64>() / waits.len() as f64
}

#[test]
fn drf_hands_freed_room_to_the_namespace_with_the_smaller_dominant_share() {
    let drf = scenario();
    let mut fifo = drf.clone();
    for p in &mut fifo.scheduler.profiles {
        *p.plugins.at_mut(ExtensionPoint::QueueSort) = PluginSet::default();
    }
    let (with_drf, with_fifo) = (run(&drf), run(&fifo));
    let (a, b) = (team_b_mean_wait(&with_drf), team_b_mean_wait(&with_fifo));
    assert!(
        a + 60.0 < b,
        "team-b waits {a:.1}s on average under DRF, {b:.1}s under PrioritySort"
    );
    // Under DRF team-b gets room as soon as team-a's first pods end.
    let first_b = |w: &World| {
        w.store()
            .pods()
            .iter()
            .filter(|p| p.meta.namespace == "team-b")
            .filter_map(|p| p.status.scheduled)
            .min()
            .unwrap()
    };
    let first_a_end = with_drf
        .store()
        .pods()
        .iter()
        .filter(|p| p.meta.namespace == "team-a")
        .filter_map(|p| p.status.finished)
        .min()
        .unwrap();
    assert_eq!(first_b(&with_drf), first_a_end);
    assert!(first_b(&with_fifo) > first_a_end);
}
