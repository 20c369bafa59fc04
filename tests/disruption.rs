//! PodDisruptionBudgets and the disruption controller, through the binary on real YAML
//! (`tests/data/disruption/drain-and-crash.yaml`): each budget's status over time in
//! `metrics.csv`, as upstream's `disruption-controller` computes it
//! (`pkg/controller/disruption/disruption.go`), during a drain, which the eviction API holds
//! to the budgets (`pkg/registry/core/pod/storage/eviction.go`), and during a node crash,
//! which no budget holds.
//!
//! The run: 3 nodes; web, 6 pods (2 per node) under `minAvailable: 5`; api, 3 pods under
//! `maxUnavailable: 1`; pods Ready 13 s after creation (2 s pull, 1 s start, 10 s startup),
//! 15 s grace period. A sample at a time shows the status as it was written before that
//! instant's own syncs (the controller syncs in the instant of the change, after the sample
//! queued earlier).

mod common;

use common::{events_with as events, read, repo, run};
use std::collections::BTreeMap;
use std::path::Path;

/// `(expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed)` of `pdb/default/NAME`
/// at each sample time (whole seconds).
fn statuses(out: &Path, name: &str) -> BTreeMap<i64, (i64, i64, i64, i64)> {
    let object = format!("pdb/default/{name}");
    let mut m: BTreeMap<i64, [i64; 4]> = BTreeMap::new();
    for line in read(out, "metrics.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[2] != object {
            continue;
        }
        let i = match f[1] {
            "pdb_expected_pods" => 0,
            "pdb_desired_healthy" => 1,
            "pdb_current_healthy" => 2,
            "pdb_disruptions_allowed" => 3,
            other => panic!("unexpected metric {other}"),
        };
        let t = f[0].parse::<f64>().unwrap() as i64;
        m.entry(t).or_default()[i] = f[3].parse().unwrap();
    }
    m.into_iter()
        .map(|(t, v)| (t, (v[0], v[1], v[2], v[3])))
        .collect()
}

fn drain_and_crash() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run(
        &repo("tests/data/disruption/drain-and-crash.yaml"),
        &out,
        &[],
    );
    (tmp, out)
}

#[test]
fn a_drain_takes_one_disruption_at_a_time_as_the_status_allows() {
    let (_tmp, out) = drain_and_crash();
    let web = statuses(&out, "web");
    let api = statuses(&out, "api");
    // Before the first sync nothing is written; then the pods exist, none Ready: web counts
    // its 6 pods (an integer minAvailable), api the Deployment's scale, 3, less 1.
    assert_eq!(web[&0], (0, 0, 0, 0));
    assert_eq!(web[&1], (6, 5, 0, 0));
    assert_eq!(api[&1], (3, 2, 0, 0));
    // Ready at 13 s: one disruption each.
    assert_eq!(web[&13], (6, 5, 0, 0));
    assert_eq!(web[&14], (6, 5, 6, 1));
    assert_eq!(api[&14], (3, 2, 3, 1));
    // 60 s, the drain of n-1: the eviction API takes web's and api's one disruption (the
    // sample sees its decrement, before the controller's sync).
    assert_eq!(web[&60], (6, 5, 6, 0));
    assert_eq!(api[&60], (3, 2, 3, 0));
    // Then the controller: the evicted pod is not healthy; web's expected pods count it,
    // still terminating, and its replacement (7); api's stay the scale.
    assert_eq!(web[&61], (7, 5, 5, 0));
    assert_eq!(api[&61], (3, 2, 2, 0));
    // The replacements Ready at 71 s, a disruption again: kubectl's retry at 75 s takes
    // web's for its second pod.
    assert_eq!(web[&72], (7, 5, 6, 1));
    assert_eq!(api[&72], (3, 2, 3, 1));
    assert_eq!(web[&75], (7, 5, 6, 0));
    // The first evicted pod gone at 75 s, the second's replacement created: still 7.
    assert_eq!(web[&76], (7, 5, 5, 0));
    assert_eq!(web[&87], (7, 5, 6, 1));
    // The second evicted pod gone at 90 s.
    assert_eq!(web[&91], (6, 5, 6, 1));
    // web never had fewer than 5 healthy pods during the drain.
    assert!((14..=600).all(|t| web[&t].2 >= 5), "{web:?}");
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let drain = &summary["timeline"][0];
    assert_eq!(drain["status"], "done");
    let output: Vec<&str> = (drain["output"].as_array().unwrap().iter())
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(output.last(), Some(&"node/n-1 drained"));
    assert_eq!(
        output
            .iter()
            .filter(|l| l
                .ends_with("Cannot evict pod as it would violate the pod's disruption budget."))
            .count(),
        1,
        "{output:?}"
    );
    // The controller's own Events: NoPods at the first sync and at the one its status write
    // causes, before the ReplicaSets' pods exist; nothing for ordinary updates.
    let no_pods = events(&out, "NoPods");
    assert_eq!(no_pods.len(), 4, "{no_pods:?}");
    assert!(
        no_pods
            .iter()
            .all(|e| e.0 == 0.0 && e.2 == "No matching pods found")
    );
    for reason in [
        "UnmanagedPods",
        "CalculateExpectedPodCountFailed",
        "NotDeleted",
        "MultiplePodDisruptionBudgets",
    ] {
        assert!(events(&out, reason).is_empty(), "{reason}");
    }
}

#[test]
fn a_node_crash_goes_below_min_available_while_a_drain_waits() {
    let (_tmp, out) = drain_and_crash();
    let web = statuses(&out, "web");
    let api = statuses(&out, "api");
    // n-2 crashes at 600 s and is marked Unknown at 655 s, its pods (3 of web, 2 of api) not
    // ready: web has 3 healthy pods where it wants 5. Nothing consulted the budget.
    assert_eq!(web[&655], (6, 5, 6, 1));
    assert_eq!(web[&656], (6, 5, 3, 0));
    assert_eq!(api[&656], (3, 2, 1, 0));
    assert!(web[&656].2 < web[&656].1, "below minAvailable");
    // The drain of n-3 at 660 s is refused for every pod until its 2m timeout.
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let drain = &summary["timeline"][2];
    assert_eq!(
        (drain["time_s"].as_f64(), drain["status"].as_str()),
        (Some(660.0), Some("failed"))
    );
    let output: Vec<&str> = (drain["output"].as_array().unwrap().iter())
        .map(|l| l.as_str().unwrap())
        .collect();
    let refused = |l: &&&str| {
        l.ends_with("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.")
    };
    assert_eq!(output.iter().filter(refused).count(), 4, "{output:?}");
    assert!(!output.iter().any(|l| l.ends_with(" evicted")));
    assert_eq!(web[&780], (6, 5, 3, 0));
    assert_eq!(api[&780], (3, 2, 1, 0));
    // 955 s: the taint eviction controller deletes n-2's pods after their 300 s
    // tolerations, budgets or not; the deletions wait for the node, so web counts those
    // pods still (an integer minAvailable counts pods): 3 there, 3 on n-3, 3 replacements
    // on n-1 (uncordoned at 840 s). api counts its scale.
    let taint = events(&out, "TaintManagerEviction");
    assert_eq!(taint.len(), 5);
    assert!(taint.iter().all(|e| e.0 == 955.0));
    assert_eq!(web[&956], (9, 5, 3, 0));
    assert_eq!(api[&956], (3, 2, 1, 0));
    // The replacements Ready at 966 s.
    assert_eq!(web[&967], (9, 5, 6, 1));
    assert_eq!(api[&967], (3, 2, 3, 1));
    assert_eq!(web[&1200], (9, 5, 6, 1));
    // summary.json: the final status and the time with no disruption allowed: [0, 13),
    // [60, 71), [75, 86) and [655, 966) for web; api had no second eviction.
    let pdbs = summary["pdbs"].as_array().unwrap();
    let (w, a) = (&pdbs[0], &pdbs[1]);
    assert_eq!(
        (&w["name"], &w["min_available"], &w["max_unavailable"]),
        (
            &serde_json::json!("web"),
            &serde_json::json!(5),
            &serde_json::Value::Null
        )
    );
    assert_eq!(a["max_unavailable"], 1);
    assert_eq!(
        w["seconds_no_disruption_allowed"],
        13.0 + 11.0 + 11.0 + 311.0
    );
    assert_eq!(a["seconds_no_disruption_allowed"], 13.0 + 11.0 + 311.0);
    let s = &w["status"];
    assert_eq!(
        (
            &s["expected_pods"],
            &s["desired_healthy"],
            &s["current_healthy"],
            &s["disruptions_allowed"],
            &s["observed_generation"]
        ),
        (
            &serde_json::json!(9),
            &serde_json::json!(5),
            &serde_json::json!(6),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
    let c = &s["conditions"][0];
    assert_eq!(
        (
            &c["type"],
            &c["status"],
            &c["reason"],
            &c["last_transition_s"]
        ),
        (
            &serde_json::json!("DisruptionAllowed"),
            &serde_json::json!("True"),
            &serde_json::json!("SufficientPods"),
            &serde_json::json!(966.0)
        )
    );
    assert_eq!(s["disrupted_pods"], serde_json::json!({}));
}

#[test]
fn a_budget_over_daemon_pods_by_max_unavailable_fails_its_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = r#"apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: ds}
spec:
  seed: 1
  duration: 3m
  cluster:
    nodePools:
    - name: n
      count: 2
      template: {status: {capacity: {cpu: "4", memory: 16Gi, pods: "110"}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: a, image: busybox, resources: {requests: {cpu: 100m}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: agent}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: agent}}
"#;
    let p = tmp.path().join("ds.yaml");
    std::fs::write(&p, yaml).unwrap();
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    // The first sync finds no pod yet; every later one fails (a DaemonSet has no scale
    // subresource), at the pod changes that queue it (0 s, and 6 s when the pods are
    // Ready): no retries in between.
    assert_eq!(
        events(&out, "NoPods"),
        [(
            0.0,
            "PodDisruptionBudget/default/agent".to_string(),
            "No matching pods found".to_string()
        )]
    );
    let failed = events(&out, "CalculateExpectedPodCountFailed");
    let message = "Failed to calculate the number of expected pods: daemonsets.apps does not \
                   implement the scale subresource";
    assert!(
        failed
            .iter()
            .all(|e| e.1 == "PodDisruptionBudget/default/agent" && e.2 == message),
        "{failed:?}"
    );
    let times: std::collections::BTreeSet<i64> = failed.iter().map(|e| e.0 as i64).collect();
    assert_eq!(times.into_iter().collect::<Vec<_>>(), [0, 6]);
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let s = &summary["pdbs"][0]["status"];
    // failSafe: nothing allowed and the condition says why; the figures stay those of the
    // first sync, which observed the budget.
    assert_eq!(
        (
            &s["disruptions_allowed"],
            &s["expected_pods"],
            &s["observed_generation"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(0),
            &serde_json::json!(1)
        )
    );
    let c = &s["conditions"][0];
    assert_eq!(
        (&c["status"], &c["reason"], &c["message"]),
        (
            &serde_json::json!("False"),
            &serde_json::json!("SyncFailed"),
            &serde_json::json!("daemonsets.apps does not implement the scale subresource")
        )
    );
    assert_eq!(summary["pdbs"][0]["seconds_no_disruption_allowed"], 180.0);
    assert!(read(&out, "metrics.csv").contains("pdb_disruptions_allowed,pdb/default/agent,0"));
}
