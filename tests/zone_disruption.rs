//! Zone disruption states of the node lifecycle controller (`handleDisruption`,
//! `pkg/controller/nodelifecycle/node_lifecycle_controller.go`), run through the binary on
//! `tests/data/faults/zone-disruption.yaml` and variants of it: nodes crash at 600 s, are
//! marked Unknown at the 655 s monitor pass, and their pods, which tolerate the unreachable
//! taint for DefaultTolerationSeconds' 300 s, are evicted 300 s after their node's NoExecute
//! taint; when that taint goes on depends on the zone's state.

mod common;

use common::{events_with, read, repo, row, run};
use std::path::{Path, PathBuf};

/// The base scenario with `count` nodes round robin over `zones`, a pod on each, and these
/// timeline entries (`(at, fault)`).
fn scenario(dir: &Path, count: usize, zones: &str, timeline: &[(&str, String)]) -> PathBuf {
    let text = std::fs::read_to_string(repo("tests/data/faults/zone-disruption.yaml")).unwrap();
    let (head, rest) = text.split_once("  timeline:\n").unwrap();
    let (_, manifests) = rest.split_once("---\n").unwrap();
    let mut out = head
        .replacen("count: 12", &format!("count: {count}"), 1)
        .replacen("zones: [a, b, c]", &format!("zones: [{zones}]"), 1);
    out.push_str("  timeline:\n");
    for (at, fault) in timeline {
        out.push_str(&format!("  - {{at: {at}, fault: \"{fault}\"}}\n"));
    }
    out.push_str("---\n");
    out.push_str(&manifests.replacen("replicas: 12", &format!("replicas: {count}"), 1));
    let p = dir.join("zones.yaml");
    std::fs::write(&p, out).unwrap();
    p
}

/// The crashes of these nodes at `at`.
fn crashes(
    at: &'static str,
    nodes: impl IntoIterator<Item = usize>,
) -> Vec<(&'static str, String)> {
    (nodes.into_iter())
        .map(|n| (at, format!("node-crash n-{n}")))
        .collect()
}

/// The run's taint evictions: (time, the evicted pod's node, marking or cancelling).
fn evictions(out: &Path) -> Vec<(f64, String, &'static str)> {
    let pods = read(out, "pods.csv");
    events_with(out, "TaintManagerEviction")
        .into_iter()
        .map(|(t, object, message)| {
            let pod = object.rsplit('/').next().unwrap();
            let what = if message.starts_with("Marking for deletion") {
                "marking"
            } else {
                assert!(message.starts_with("Cancelling deletion"), "{message}");
                "cancelling"
            };
            (t, row(&pods, pod)[3].clone(), what)
        })
        .collect()
}

fn marking(list: &[(f64, &str)]) -> Vec<(f64, String, &'static str)> {
    (list.iter())
        .map(|&(t, n)| (t, n.to_string(), "marking"))
        .collect()
}

#[test]
fn a_small_partially_disrupted_zone_is_not_tainted_until_it_is_normal_again() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&repo("tests/data/faults/zone-disruption.yaml"), &out, &[]);
    // All four marked Unknown at 655 s.
    let not_ready: Vec<(f64, String)> = events_with(&out, "NodeNotReady")
        .into_iter()
        .filter(|e| e.1.starts_with("Node/"))
        .map(|e| (e.0, e.1))
        .collect();
    let at_655 = |n: &str| (655.0, format!("Node/{n}"));
    assert_eq!(
        not_ready,
        [at_655("n-1"), at_655("n-4"), at_655("n-7"), at_655("n-2")]
    );
    // Zone b (one of four not ready, Normal) taints n-2 at 655 s: evicted at 955 s. Zone a
    // (three of four, PartialDisruption, 4 nodes <= 50) taints nothing until n-1 returns at
    // 1200 s: two of four not ready, Normal, a limiter swapped in empty: n-4 at 1210 s, n-7
    // at 1220 s, evicted 300 s later.
    assert_eq!(
        evictions(&out),
        marking(&[(955.0, "n-2"), (1510.0, "n-4"), (1520.0, "n-7")])
    );
    // n-1's pod was never evicted: it runs again.
    let pods = read(&out, "pods.csv");
    let on_n1: Vec<&str> = (pods.lines())
        .filter(|l| l.split(',').nth(3) == Some("n-1"))
        .collect();
    assert_eq!(on_n1.len(), 1, "{pods}");
    let f: Vec<&str> = on_n1[0].split(',').collect();
    assert_eq!((f[4], f[10]), ("Running", ""), "{}", on_n1[0]);
}

#[test]
fn a_zone_with_three_of_six_down_is_normal_one_taint_every_10_s() {
    let tmp = tempfile::tempdir().unwrap();
    // Zone a is n-1, n-3, ..., n-11: three of six not ready is 0.5, under 0.55.
    let p = scenario(tmp.path(), 12, "a, b", &crashes("10m", [1, 3, 5]));
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    assert_eq!(
        evictions(&out),
        marking(&[(955.0, "n-1"), (965.0, "n-3"), (975.0, "n-5")])
    );
}

#[test]
fn a_large_partially_disrupted_zone_taints_one_node_every_100_s() {
    let tmp = tempfile::tempdir().unwrap();
    // One zone of 60 nodes (more than 50), 40 of them down: PartialDisruption at 0.01 nodes
    // a second. The normal limiter still had its token at 655 s, so the new one starts
    // full: n-1 at 655 s, n-2 at 755 s, ...; evicted from 955 s to the end (2400 s).
    let p = scenario(tmp.path(), 60, "a", &crashes("10m", 1..=40));
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    let want: Vec<(f64, String)> = (0..15)
        .map(|k| (955.0 + 100.0 * k as f64, format!("n-{}", k + 1)))
        .collect();
    let want: Vec<(f64, &str)> = want.iter().map(|(t, n)| (*t, n.as_str())).collect();
    assert_eq!(evictions(&out), marking(&want));
}

#[test]
fn with_every_zone_fully_disrupted_nothing_is_evicted_until_a_node_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let mut timeline = crashes("10m", 1..=12);
    let p = scenario(tmp.path(), 12, "a, b, c", &timeline);
    let out = tmp.path().join("all");
    run(&p, &out, &[]);
    assert_eq!(
        events_with(&out, "NodeNotReady").len(),
        24,
        "12 nodes, 12 pods"
    );
    assert_eq!(evictions(&out), []);
    // n-1 returns at 20m: out of master disruption mode. Zone a, three of four down, is
    // partially disrupted (no taints); zones b and c, fully disrupted while another zone is
    // not, taint at the normal rate with limiters swapped in empty: from 1210 s, 10 s apart,
    // one node of each zone at a time.
    timeline.push(("20m", "node-recover n-1".to_string()));
    let p = scenario(tmp.path(), 12, "a, b, c", &timeline);
    let out = tmp.path().join("back");
    run(&p, &out, &[]);
    assert_eq!(
        evictions(&out),
        marking(&[
            (1510.0, "n-2"),
            (1510.0, "n-3"),
            (1520.0, "n-5"),
            (1520.0, "n-6"),
            (1530.0, "n-8"),
            (1530.0, "n-9"),
            (1540.0, "n-11"),
            (1540.0, "n-12"),
        ])
    );
}

#[test]
fn the_last_zone_going_down_removes_the_no_execute_taints_and_cancels_the_evictions() {
    let tmp = tempfile::tempdir().unwrap();
    // Zone a goes down at 10m (fully disrupted, the others not: the normal rate, 655 s to
    // 685 s); the rest at 12m: at 775 s every zone is fully disrupted, the taints go, and
    // with them the pending deletions.
    let mut timeline = crashes("10m", [1, 4, 7, 10]);
    timeline.extend(crashes("12m", [2, 3, 5, 6, 8, 9, 11, 12]));
    let p = scenario(tmp.path(), 12, "a, b, c", &timeline);
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    let cancelling = |n: &str| (775.0, n.to_string(), "cancelling");
    assert_eq!(
        evictions(&out),
        [
            cancelling("n-1"),
            cancelling("n-4"),
            cancelling("n-7"),
            cancelling("n-10")
        ]
    );
}
