//! Faults on the timeline and the node lifecycle controller, run through the binary on real
//! YAML: the times come from upstream's defaults (Lease renewed every 10 s, a 50 s grace
//! period, 5 s monitor passes; `pkg/controller/nodelifecycle`).

mod common;

use common::{events_with as events, read, refused, repo, run};

#[test]
fn a_crashed_node_goes_unknown_after_the_grace_period_and_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("crash");
    run(&repo("tests/data/faults/node-crash.yaml"), &out, &[]);
    // Crash at 600 s, right after a Lease renewal: 650 s is not past the grace period,
    // the monitor pass at 655 s is.
    let not_ready = events(&out, "NodeNotReady");
    assert_eq!(
        not_ready[0],
        (
            655.0,
            "Node/n-1".into(),
            "Node n-1 status is now: NodeNotReady".into()
        )
    );
    let pods = read(&out, "pods.csv");
    let on_n1: Vec<&str> = (pods.lines())
        .filter(|l| l.split(',').nth(3) == Some("n-1"))
        .collect();
    assert_eq!(on_n1.len(), 2, "{pods}");
    // Each of its pods is marked not ready then, in upstream's words.
    assert_eq!(not_ready.len(), 1 + on_n1.len());
    assert!(
        not_ready[1..]
            .iter()
            .all(|e| e.0 == 655.0 && e.2 == "Node is not ready")
    );
    // The repair at 1800 s: the kubelet starts, reports Ready, and runs the pods again.
    assert_eq!(events(&out, "Starting")[0].0, 1800.0);
    assert_eq!(
        events(&out, "NodeReady")[0],
        (
            1800.0,
            "Node/n-1".into(),
            "Node n-1 status is now: NodeReady".into()
        )
    );
    // The faults are on the timeline of summary.json (and the plots' markers).
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let timeline = summary["timeline"].as_array().unwrap();
    assert_eq!(timeline[0]["fault"], "node-crash n-1");
    assert_eq!(
        (
            timeline[1]["time_s"].as_f64(),
            timeline[1]["status"].as_str()
        ),
        (Some(1800.0), Some("done"))
    );
    // The unreachable NoExecute taint (655 s) and the default 300 s tolerations: evicted at
    // 955 s, replaced at once on the other nodes; the kubelet, back at 1800 s, finishes the
    // deletions.
    let evictions = events(&out, "TaintManagerEviction");
    assert_eq!(evictions.len(), 2);
    assert!(
        evictions
            .iter()
            .all(|e| e.0 == 955.0 && e.2.starts_with("Marking for deletion Pod default/web-"))
    );
    for l in &on_n1 {
        assert_eq!(
            l.split(',').nth(10),
            Some("1800.000"),
            "deleted on return: {l}"
        );
    }
    let replacements: Vec<&str> = (pods.lines())
        .filter(|l| l.split(',').nth(5) == Some("955.000"))
        .collect();
    assert_eq!(replacements.len(), 2, "{pods}");
    assert!(
        replacements
            .iter()
            .all(|l| l.split(',').nth(3) != Some("n-1"))
    );
}

#[test]
fn a_short_crash_restarts_the_pods_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/faults/node-crash.yaml")).unwrap();
    let p = tmp.path().join("short.yaml");
    std::fs::write(
        &p,
        text.replacen(
            "{at: 30m, fault: \"node-recover",
            "{at: 12m, fault: \"node-recover",
            1,
        ),
    )
    .unwrap();
    let out = tmp.path().join("short");
    run(&p, &out, &[]);
    // Back at 720 s, before the tolerations ran out: the taint goes, the pending deletions
    // are cancelled, and the pods run again.
    let evictions = events(&out, "TaintManagerEviction");
    assert_eq!(evictions.len(), 2);
    assert!(
        evictions
            .iter()
            .all(|e| e.0 == 720.0 && e.2.starts_with("Cancelling deletion of Pod"))
    );
    let pods = read(&out, "pods.csv");
    let on_n1: Vec<&str> = (pods.lines())
        .filter(|l| l.split(',').nth(3) == Some("n-1"))
        .collect();
    assert_eq!(on_n1.len(), 2, "{pods}");
    for l in on_n1 {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(
            (f[4], f[12]),
            ("Running", "1"),
            "running again, one restart: {l}"
        );
    }
}

#[test]
fn an_unreachable_node_takes_no_new_pods() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/faults/node-crash.yaml")).unwrap();
    let text = text.replacen(
        "  - {at: 30m, fault: \"node-recover n-1\"}",
        "  - {at: 12m, kubectl: \"scale deployment/web --replicas=12\"}",
        1,
    );
    let p = tmp.path().join("scale.yaml");
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("scale");
    run(&p, &out, &[]);
    // The unreachable NoSchedule taint keeps the six new pods off n-1.
    let pods = read(&out, "pods.csv");
    let late: Vec<Vec<&str>> = (pods.lines().skip(1))
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[5] == "720.000")
        .collect();
    assert_eq!(late.len(), 6, "{pods}");
    assert!(late.iter().all(|f| f[3] != "n-1"), "{pods}");
}

#[test]
fn faults_are_checked_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/faults/node-crash.yaml")).unwrap();
    for (from, to, expected) in [
        (
            "node-crash n-1",
            "node-crash n-9",
            "spec.timeline[0].fault: nodes \"n-9\" not found",
        ),
        ("node-crash n-1", "meteor n-1", "unknown fault \"meteor\""),
        (
            "node-crash n-1",
            "node-crash",
            "expected \"node-crash NODE\"",
        ),
    ] {
        refused(tmp.path(), &text.replacen(from, to, 1), expected, 18);
    }
}
