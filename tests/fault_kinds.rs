//! The fault kinds beyond a crash, and random faults, run through the binary on real YAML:
//! zone outages, network partitions, container crashes with the kubelet's back-off,
//! graceful node shutdowns and spot interruptions, `spec.faults`.

mod common;

use common::{events_with as events, kubesim, read, refused, repo, run};
use std::path::Path;

/// pods.csv's rows, split.
fn pods(out: &Path) -> Vec<Vec<String>> {
    read(out, "pods.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&read(out, "summary.json")).unwrap()
}

#[test]
fn a_zone_outage_takes_every_node_of_the_zone_and_brings_them_back() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("zone");
    run(&repo("tests/data/faults/zone-outage.yaml"), &out, &[]);
    // Zone a holds n-1 and n-4 (pools spread round robin over a, b, c).
    let not_ready: Vec<(f64, String)> = (events(&out, "NodeNotReady").into_iter())
        .filter(|e| e.1.starts_with("Node/"))
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(
        not_ready,
        [(655.0, "Node/n-1".into()), (655.0, "Node/n-4".into())]
    );
    // One NoExecute taint per 10 s in the zone, then the 300 s tolerations.
    let evicted: Vec<f64> = events(&out, "TaintManagerEviction")
        .iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(evicted, [955.0, 965.0]);
    let rows = pods(&out);
    let replacements: Vec<&Vec<String>> = rows.iter().filter(|f| f[5] != "0.000").collect();
    assert_eq!(replacements.len(), 2);
    assert!(
        replacements
            .iter()
            .all(|f| !["n-1", "n-4"].contains(&f[3].as_str()))
    );
    // Back at 1500 s, 15 minutes after the outage.
    let back: Vec<(f64, String)> = (events(&out, "Starting").into_iter())
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(
        back,
        [(1500.0, "Node/n-1".into()), (1500.0, "Node/n-4".into())]
    );
    assert_eq!(
        summary(&out)["timeline"][0]["fault"],
        "zone-outage a for 15m"
    );
}

#[test]
fn crashed_containers_restart_at_once_then_after_the_back_off() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("crash");
    let o = run(&repo("tests/data/faults/pod-crash.yaml"), &out, &[]);
    // The first crash (300 s) restarts at once; the second (305 s) waits 10 s.
    let backoff = events(&out, "BackOff");
    assert_eq!(backoff.len(), 6);
    assert!(backoff.iter().all(|e| {
        e.0 == 305.0
            && e.2
                .starts_with("Back-off restarting failed container app in pod web-")
            && e.2.contains("_default(")
            && e.2.ends_with(')')
    }));
    let started: Vec<f64> = (events(&out, "Started").iter())
        .map(|e| e.0)
        .filter(|&t| t > 3.0)
        .collect();
    assert_eq!(started, [[301.0; 6], [316.0; 6]].concat());
    for f in pods(&out) {
        assert_eq!((f[4].as_str(), f[12].as_str()), ("Running", "2"), "{f:?}");
    }
    // A pod fault that finds no pod fails, on the timeline.
    let s = summary(&out);
    assert_eq!(s["timeline"][2]["fault"], "pod-crash no-such-pod");
    assert_eq!(s["timeline"][2]["status"], "failed");
    // It struck nothing: not a fault injected, but a run warning, also on stderr.
    assert_eq!(s["faults_injected"], 2);
    let warning = "timeline 360.000: fault pod-crash no-such-pod: no running pod matches";
    let warnings = s["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with(warning)),
        "{warnings:?}"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(&format!("warning: {warning}")), "{stderr}");
}

#[test]
fn a_partitioned_node_keeps_its_containers_and_catches_up_when_it_rejoins() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("partition");
    run(&repo("tests/data/faults/partition.yaml"), &out, &[]);
    // Both partitions start at 600 s: Unknown at 655 s.
    let nodes: Vec<(f64, String)> = (events(&out, "NodeNotReady").into_iter())
        .filter(|e| e.1.starts_with("Node/"))
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(
        nodes,
        [(655.0, "Node/n-1".into()), (655.0, "Node/n-2".into())]
    );
    // n-2 rejoins at 780 s, before its pods' tolerations run out: nothing is evicted there
    // and its pods, never stopped, count no restart.
    let ready: Vec<(f64, String)> = (events(&out, "NodeReady").into_iter())
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(
        ready,
        [(780.0, "Node/n-2".into()), (1200.0, "Node/n-1".into())]
    );
    let evictions = events(&out, "TaintManagerEviction");
    let marked: Vec<&(f64, String, String)> = (evictions.iter())
        .filter(|e| e.2.starts_with("Marking"))
        .collect();
    assert_eq!(marked.len(), 1, "{evictions:?}");
    assert_eq!(marked[0].0, 955.0);
    let rows = pods(&out);
    let evicted = rows.iter().find(|f| marked[0].1.ends_with(&f[1])).unwrap();
    assert_eq!(evicted[3], "n-1");
    // Its replacement comes at once; the evicted pod's containers run on, out of reach,
    // until n-1 rejoins at 1200 s and stops them within the 30 s grace period.
    assert!(rows.iter().any(|f| f[5] == "955.000" && f[3] != "n-1"));
    assert_eq!(evicted[10], "1230.000");
    let killing = events(&out, "Killing");
    assert_eq!(killing.len(), 1);
    assert_eq!(killing[0].0, 1200.0);
    assert!(rows.iter().all(|f| f[12] == "0"), "no restarts: {rows:?}");
    // No `Starting kubelet.`: the kubelet never stopped.
    assert!(events(&out, "Starting").is_empty());
}

#[test]
fn random_faults_follow_their_streams_and_repair_each_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("random");
    run(&repo("tests/data/faults/random.yaml"), &out, &[]);
    let s = summary(&out);
    let timeline = s["timeline"].as_array().unwrap();
    let faults: Vec<&str> = timeline
        .iter()
        .map(|t| t["fault"].as_str().unwrap())
        .collect();
    let crashes: Vec<&&str> = faults
        .iter()
        .filter(|f| f.starts_with("node-crash"))
        .collect();
    let recoveries = faults
        .iter()
        .filter(|f| f.starts_with("node-recover"))
        .count();
    let pod_crashes = faults.iter().filter(|f| f.starts_with("pod-crash")).count();
    // Six nodes with a mean of 8 h between failures for a day: about 18 crashes; six pods
    // crashing twice an hour: about 288.
    assert!((8..=30).contains(&crashes.len()), "{}", crashes.len());
    assert!(recoveries + 6 >= crashes.len() && recoveries <= crashes.len());
    assert!((200..=380).contains(&pod_crashes), "{pod_crashes}");
    // Each crash is seen by the node lifecycle controller at the first 5 s pass 50 s after
    // the last Lease renewal (every 10 s): between 40 and 55 s after it.
    let not_ready = events(&out, "NodeNotReady");
    for t in timeline
        .iter()
        .filter(|t| t["fault"].as_str().unwrap().starts_with("node-crash"))
    {
        let at = t["time_s"].as_f64().unwrap();
        let node = t["fault"]
            .as_str()
            .unwrap()
            .trim_start_matches("node-crash ");
        let object = format!("Node/{node}");
        let repaired = timeline.iter().any(|r| {
            r["fault"] == format!("node-recover {node}")
                && (at..at + 50.0).contains(&r["time_s"].as_f64().unwrap())
        });
        if repaired {
            continue;
        }
        assert!(
            not_ready
                .iter()
                .any(|e| e.1 == object && e.0 > at + 40.0 && e.0 <= at + 55.0),
            "no NodeNotReady for the crash of {node} at {at}"
        );
    }
    // Same seed, same faults; another seed, others.
    let again = tmp.path().join("again");
    run(&repo("tests/data/faults/random.yaml"), &again, &[]);
    assert_eq!(read(&out, "events.csv"), read(&again, "events.csv"));
    let other = tmp.path().join("other");
    run(
        &repo("tests/data/faults/random.yaml"),
        &other,
        &["--seed", "12"],
    );
    assert_ne!(read(&out, "events.csv"), read(&other, "events.csv"));
}

#[test]
fn fault_entries_are_checked_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/faults/random.yaml")).unwrap();
    let line =
        "  - {type: node-crash, selector: kubesim.io/pool=n, mtbf: 8h, mttr: \"weibull(20m, 2)\"}";
    assert!(text.contains(line));
    for (to, expected) in [
        (
            "  - {type: node-crash, selector: kubesim.io/pool=n, mtbf: 0s, mttr: 1m}",
            "spec.faults[0].mtbf: must be a positive duration",
        ),
        (
            "  - {type: node-crash, selector: kubesim.io/pool=n, mtbf: 8h, mttr: soon}",
            "spec.faults[0].mttr: ",
        ),
        (
            "  - {type: node-crash, mtbf: 8h}",
            "spec.faults[0]: `mttr` is required",
        ),
        (
            "  - {type: meteor, mtbf: 8h, mttr: 1m}",
            "unknown fault type \"meteor\"",
        ),
        (
            "  - {type: node-crash, mtbf: 8h, rate: 1/h, mttr: 1m}",
            "give exactly one of `mtbf` and `rate`",
        ),
        (
            "  - {type: node-crash, selector: \"a in (\", mtbf: 8h, mttr: 1m}",
            "spec.faults[0].selector: invalid label selector",
        ),
    ] {
        refused(tmp.path(), &text.replacen(line, to, 1), expected, 17);
    }
    // A selector that matches no node is a warning, and a zone no node is in an error.
    let p = tmp.path().join("warn.yaml");
    let to = "  - {type: node-crash, selector: pool=none, mtbf: 8h, mttr: 1m}";
    std::fs::write(&p, text.replacen(line, to, 1)).unwrap();
    let o = kubesim().arg("validate").arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warn.yaml:17:") && err.contains("selects no node"),
        "{err}"
    );
    let zone = std::fs::read_to_string(repo("tests/data/faults/zone-outage.yaml")).unwrap();
    let p = tmp.path().join("zone.yaml");
    std::fs::write(
        &p,
        zone.replacen("zone-outage a for", "zone-outage d for", 1),
    )
    .unwrap();
    let o = kubesim().arg("validate").arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no node is in zone \"d\"") && err.contains("the zones are: a, b, c"),
        "{err}"
    );
}

#[test]
fn a_pod_above_its_memory_limit_is_oom_killed_again_and_again() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("memory");
    run(&repo("tests/data/faults/memory.yaml"), &out, &[]);
    // leaky uses 200Mi under a 128Mi limit: killed at each 10 s look after it starts; the
    // first restart is at once, then the back-off waits 10, 20, 40, 80, 160 s.
    let oom: Vec<f64> = (events(&out, "OOMKilling").iter())
        .filter(|e| e.2.ends_with("of pod default/leaky"))
        .map(|e| e.0)
        .collect();
    assert_eq!(oom, [10.0, 20.0, 40.0, 70.0, 120.0, 210.0, 380.0]);
    let backoff = events(&out, "BackOff");
    assert_eq!(backoff.len(), 6);
    let rows = pods(&out);
    let leaky = rows.iter().find(|f| f[1] == "leaky").unwrap();
    assert_eq!((leaky[4].as_str(), leaky[12].as_str()), ("Running", "6"));
    // Four web pods using 300Mi each on a 1Gi node: 1024 - 1200 = -176Mi available, below
    // the 100Mi threshold (n-2; n-1 also holds leaky, killed at that look).
    let pressure = events(&out, "NodeHasInsufficientMemory");
    let pressure: Vec<f64> = pressure.iter().map(|e| e.0).collect();
    assert_eq!(pressure, [10.0, 10.0, 320.0, 320.0]);
    let evicted = events(&out, "Evicted");
    let first: Vec<&(f64, String, String)> = evicted.iter().filter(|e| e.0 == 10.0).collect();
    assert_eq!(first.len(), 2);
    assert!(first.iter().any(|e| e.2
        == "The node was low on resource: memory. Threshold quantity: 100Mi, available: -176Mi. \
            Container app was using 300Mi, request is 100Mi, has larger consumption of memory. "));
    // The memory-pressure taint keeps the replacements off both nodes until the condition
    // clears, 5 minutes after the threshold was last met; then the same happens again.
    let times: Vec<f64> = evicted.iter().map(|e| e.0).collect();
    assert_eq!(times, [10.0, 10.0, 320.0, 320.0]);
    let cleared: Vec<f64> = (events(&out, "NodeHasSufficientMemory").iter())
        .map(|e| e.0)
        .collect();
    assert_eq!(cleared, [310.0, 310.0]);
    let waiting = events(&out, "FailedScheduling");
    assert!(
        waiting[0]
            .2
            .contains("untolerated taint {node.kubernetes.io/memory-pressure: }")
    );
    for e in &first {
        let name = e.1.rsplit('/').next().unwrap();
        let row = rows.iter().find(|f| f[1] == name).unwrap();
        assert_eq!((row[4].as_str(), row[16].as_str()), ("Failed", "Evicted"));
    }
}

#[test]
fn a_graceful_shutdown_fails_the_pods_in_time_and_a_spot_notice_precedes_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shutdown");
    run(&repo("tests/data/faults/shutdown.yaml"), &out, &[]);
    // n-1 at 600 s; n-2's spot notice at 720 s runs out at 840 s.
    let shutdown: Vec<(f64, String)> = (events(&out, "Shutdown").into_iter())
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(
        shutdown,
        [(600.0, "Node/n-1".into()), (840.0, "Node/n-2".into())]
    );
    assert!(
        events(&out, "Shutdown")
            .iter()
            .all(|e| e.2 == "Shutdown manager detected shutdown event")
    );
    // The regular pods get 30 - 10 s: Failed with reason Terminated 20 s later, replaced at
    // once on the nodes left; the not-ready taint keeps the replacements off the node.
    let rows = pods(&out);
    for (node, at) in [("n-1", "620.000"), ("n-2", "860.000")] {
        let stopped: Vec<&Vec<String>> = rows
            .iter()
            .filter(|f| f[3] == node && f[5] == "0.000")
            .collect();
        assert!(!stopped.is_empty());
        for f in &stopped {
            assert_eq!((f[4].as_str(), f[9].as_str()), ("Failed", at), "{f:?}");
            assert_eq!(f[16], "Terminated");
        }
        let replaced = rows.iter().filter(|f| f[5] == at).count();
        assert_eq!(replaced, stopped.len());
    }
    assert!(
        rows.iter()
            .filter(|f| f[5] != "0.000")
            .all(|f| f[3] != "n-1" && f[3] != "n-2")
    );
    // The kubelet's NodeNotReady at 600 s is the only one: the controller records one only
    // for a Ready node it finds silent (the machine stops at 630 s, Unknown at 685 s, when
    // the node was not Ready already).
    let node_not_ready: Vec<f64> = (events(&out, "NodeNotReady").iter())
        .filter(|e| e.1 == "Node/n-1")
        .map(|e| e.0)
        .collect();
    assert_eq!(node_not_ready, [600.0], "the kubelet's");
}
