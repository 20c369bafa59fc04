//! Workload controllers end to end, from real YAML through the binary: a Deployment's rolling
//! update within its surge and unavailability bounds at every step, proportional scaling
//! mid-rollout, a stalled rollout reaching its progress deadline, `rollout undo`; a
//! ReplicaSet healing itself; a drain held by a PodDisruptionBudget.

mod common;

use common::{read, repo, run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Each ScalingReplicaSet event: time, ReplicaSet, from, to.
fn scalings(events: &str) -> Vec<(f64, String, i64, i64)> {
    events
        .lines()
        .filter(|l| l.contains(",ScalingReplicaSet,"))
        .map(|l| {
            let time: f64 = l.split(',').next().unwrap().parse().unwrap();
            let msg = l.rsplit(',').next().unwrap();
            // Scaled up replica set NAME from A to B
            let w: Vec<&str> = msg.split(' ').collect();
            (
                time,
                w[4].to_string(),
                w[6].parse().unwrap(),
                w[8].parse().unwrap(),
            )
        })
        .collect()
}

/// The rows of a metric of one object: time, value.
fn series(metrics: &str, object: &str, metric: &str) -> Vec<(f64, f64)> {
    metrics
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 4 && f[1] == metric && f[2] == object)
                .then(|| (f[0].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect()
}

fn run_scenario(path: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    run(&repo(path), &dir, &[]);
    (tmp, dir)
}

#[test]
fn a_rolling_update_keeps_its_bounds_scales_in_proportion_stalls_and_rolls_back() {
    let (_tmp, dir) = run_scenario("scenarios/rolling-update.yaml");
    let events = read(&dir, "events.csv");
    let s = scalings(&events);
    // The first rollout, as upstream's controller does it: the new ReplicaSet at the surge
    // (3), the old one down by maxUnavailable (2) in the same sync, then step by step.
    let first: Vec<(f64, i64, i64)> = s.iter().take(7).map(|(t, _, a, b)| (*t, *a, *b)).collect();
    assert_eq!(
        first,
        [
            (0.0, 0, 10),
            (60.0, 0, 3),
            (60.0, 10, 8),
            (60.0, 3, 5),
            (76.0, 8, 3),
            (76.0, 5, 10),
            (87.0, 3, 0)
        ]
    );
    // At every scaling, the ReplicaSets' sizes stay within replicas + maxSurge.
    let mut sizes: BTreeMap<String, i64> = BTreeMap::new();
    for (t, rs, from, to) in &s {
        assert_eq!(sizes.get(rs).copied().unwrap_or(0), *from, "{rs} at {t}");
        sizes.insert(rs.clone(), *to);
        let total: i64 = sizes.values().sum();
        let replicas = if *t < 185.0 { 10 } else { 20 };
        let surge = (replicas + 3) / 4; // 25 %, rounded up
        assert!(
            total <= replicas + surge,
            "{total} pods wanted at {t}s: {sizes:?}"
        );
    }
    // Scaled to 20 at 185 s in the middle of a rollout: 12 more replicas shared in proportion
    // to the ReplicaSets' sizes (8 and 5 of 13): 7 and 5.
    let at_185: Vec<(i64, i64)> = s
        .iter()
        .filter(|x| x.0 == 185.0)
        .map(|x| (x.2, x.3))
        .collect();
    assert_eq!(at_185, [(8, 15), (5, 10)]);
    // Available pods never fall below replicas - maxUnavailable during the first rollout.
    let metrics = read(&dir, "metrics.csv");
    let available = series(&metrics, "deployment/default/web", "replicas_available");
    let current = series(&metrics, "deployment/default/web", "replicas_current");
    assert!(!available.is_empty());
    for &(t, a) in available.iter().filter(|(t, _)| (20.0..180.0).contains(t)) {
        assert!(a >= 8.0, "{a} available at {t}s");
    }
    for &(t, c) in current.iter().filter(|(t, _)| *t < 185.0) {
        assert!(c <= 13.0, "{c} pods at {t}s");
    }
    // The stalled rollout and the rollback, in summary.json.
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let web = &summary["workloads"][0];
    assert_eq!(web["name"], "web");
    let changes = web["condition_changes"].as_array().unwrap();
    let exceeded = changes
        .iter()
        .find(|c| c["reason"] == "ProgressDeadlineExceeded")
        .expect("the deadline passed");
    assert_eq!(
        exceeded["time_s"], 481.0,
        "120 s after the last progress at 360 s, checked a second after"
    );
    assert_eq!(exceeded["status"], "False");
    assert!(
        exceeded["message"]
            .as_str()
            .unwrap()
            .ends_with("has timed out progressing.")
    );
    let rollouts = web["rollouts"].as_array().unwrap();
    let revisions: Vec<&str> = rollouts
        .iter()
        .map(|r| r["revision"].as_str().unwrap())
        .collect();
    assert_eq!(revisions, ["1", "2", "3", "4", "5"]);
    assert!(rollouts[3]["end_s"].is_null(), "revision 4 never completed");
    assert_eq!(rollouts[1]["min_available"], 8);
    assert_eq!(web["replicas"]["available"], 20);
    // The rollback re-used revision 3's ReplicaSet, now revision 5.
    let rs3 = summary["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["revision"] == "5" && w["kind"] == "ReplicaSet")
        .unwrap();
    assert_eq!(rs3["replicas"]["desired"], 20);
    let timeline = summary["timeline"].as_array().unwrap();
    assert_eq!(timeline[4]["output"][0], "deployment.apps/web rolled back");
    // pods.csv names each pod's ReplicaSet.
    let pods = read(&dir, "pods.csv");
    assert!(
        pods.lines()
            .skip(1)
            .all(|l| l.split(',').nth(2).unwrap().starts_with("ReplicaSet/web-"))
    );
}

fn write_scenario(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("s.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

const SIM: &str = "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: t}
spec:
  duration: 5m
  cluster:
    nodePools:
      - name: n
        count: 3
        template:
          status: {capacity: {cpu: \"8\", memory: 32Gi, pods: \"110\"}}
";

const WEB: &str = "---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers: [{name: web, image: nginx:1.27, resources: {requests: {cpu: 100m}}}]
";

#[test]
fn a_replica_set_replaces_the_pods_deleted_from_it() {
    let tmp = tempfile::tempdir().unwrap();
    let timeline = "  timeline:\n    - {at: 1m, kubectl: \"delete pods -l app=web\"}\n";
    let p = write_scenario(tmp.path(), &format!("{SIM}{timeline}{WEB}"));
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    let events = read(&out, "events.csv");
    let created: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("SuccessfulCreate,ReplicaSet/default/web"))
        .collect();
    assert_eq!(created.len(), 6, "three at 0 s, three replacements at 60 s");
    assert!(created[3..].iter().all(|l| l.starts_with("60.000,")));
    let killing = events
        .lines()
        .filter(|l| l.starts_with("60.000,Normal,Killing,"))
        .count();
    assert_eq!(killing, 3);
    let pods = read(&out, "pods.csv");
    let deleted: Vec<&str> = pods
        .lines()
        .filter(|l| l.split(',').nth(10) == Some("70.000"))
        .collect();
    assert_eq!(deleted.len(), 3, "gone after their 10 s grace period");
}

#[test]
fn a_drain_waits_for_the_disruption_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let timeline =
        "  timeline:\n    - {at: 1m, kubectl: \"drain n-1 --ignore-daemonsets --timeout=2m\"}\n";
    let pdb = "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  minAvailable: 3\n  selector: {matchLabels: {app: web}}\n";
    let p = write_scenario(tmp.path(), &format!("{SIM}{timeline}{WEB}{pdb}"));
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    let summary: Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let drain = &summary["timeline"][0];
    let output: Vec<&str> = drain["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(output[0], "node/n-1 cordoned");
    assert!(output.iter().any(|l| l.ends_with("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.")), "{output:?}");
    assert_eq!(drain["status"], "failed");
    assert!(
        output
            .last()
            .unwrap()
            .contains("global timeout reached: 2m"),
        "{output:?}"
    );
    let warnings = summary["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("drain n-1")),
        "{warnings:?}"
    );
    // Nothing left the node.
    let events = read(&out, "events.csv");
    assert!(!events.contains(",Killing,"));
}

#[test]
fn a_daemon_set_follows_its_nodes_and_rolls_one_node_at_a_time() {
    let (_tmp, dir) = run_scenario("tests/data/daemonset/scenario.yaml");
    let events = read(&dir, "events.csv");
    let on = |prefix: &str| -> Vec<String> {
        events
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.split(',').nth(2).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        on("0.000,Normal,SuccessfulCreate,DaemonSet"),
        ["SuccessfulCreate"; 3]
    );
    // The node applied at 1m gets its pod; the NoExecute taint at 2m takes one away.
    assert!(events.contains("60.000,Normal,Scheduled,Pod/kube-system/node-exporter-"));
    assert!(
        events
            .lines()
            .any(|l| l.starts_with("60.000,") && l.ends_with(" to general-4"))
    );
    assert_eq!(
        on("120.000,Normal,SuccessfulDelete,DaemonSet"),
        ["SuccessfulDelete"]
    );
    // The new image replaces one node's pod at a time (maxUnavailable 1): an old pod goes,
    // its node gets the new pod once it is gone (30 s grace period), and the next old pod
    // goes only when that new pod is available (pulled, started, Ready: 11 s later).
    let deletes: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",SuccessfulDelete,DaemonSet"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(deletes, ["120.000", "180.000", "221.000", "262.000"]);
    let creates: Vec<&str> = events
        .lines()
        .filter(|l| {
            l.contains(",SuccessfulCreate,DaemonSet")
                && !l.starts_with("0.000")
                && !l.starts_with("60.000")
        })
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(creates, ["210.000", "251.000", "292.000"]);
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let ds = &summary["workloads"][0];
    assert_eq!(ds["kind"], "DaemonSet");
    assert_eq!(ds["replicas"]["desired"], 3);
    assert_eq!(ds["replicas"]["updated"], 3);
    // A drain stops at daemon pods unless told to ignore them.
    let t = &summary["timeline"];
    assert_eq!(t[3]["status"], "failed");
    assert!(
        t[3]["output"][1]
            .as_str()
            .unwrap()
            .contains("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
    );
    assert_eq!(t[4]["output"][2], "node/general-3 drained");
    let metrics = read(&dir, "metrics.csv");
    let desired = series(
        &metrics,
        "daemonset/kube-system/node-exporter",
        "replicas_desired",
    );
    assert!(
        desired.iter().any(|&(t, v)| t == 90.0 && v == 4.0),
        "4 nodes after general-4 joined"
    );
}

#[test]
fn a_stateful_set_starts_updates_and_scales_down_in_order() {
    let (_tmp, dir) = run_scenario("tests/data/statefulset.yaml");
    let events = read(&dir, "events.csv");
    let set: Vec<(f64, String)> = events
        .lines()
        .filter(|l| l.contains(",StatefulSet/default/web,") && l.contains(" Pod web-"))
        .map(|l| {
            let f: Vec<&str> = l.splitn(5, ',').collect();
            (f[0].parse().unwrap(), f[4].to_string())
        })
        .collect();
    let at = |t: f64| {
        set.iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
    };
    // The upstream documentation's example: one pod at a time, each after the previous one is
    // Ready and available for minReadySeconds (10 s, looked at again a second later).
    assert_eq!(
        at(0.0),
        [
            "create Claim www-web-0 Pod web-0 in StatefulSet web success",
            "create Pod web-0 in StatefulSet web successful"
        ]
    );
    assert_eq!(
        at(17.0)[1],
        "create Pod web-1 in StatefulSet web successful"
    );
    assert_eq!(
        at(34.0)[1],
        "create Pod web-2 in StatefulSet web successful"
    );
    // The new image from the highest ordinal down; the claims are kept and re-used.
    let deletes: Vec<&str> = set
        .iter()
        .filter(|(_, m)| m.starts_with("delete"))
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(
        deletes,
        [
            "delete Pod web-4 in StatefulSet web successful",
            "delete Pod web-3 in StatefulSet web successful",
            "delete Pod web-2 in StatefulSet web successful",
            "delete Pod web-1 in StatefulSet web successful",
            "delete Pod web-0 in StatefulSet web successful",
            "delete Pod web-4 in StatefulSet web successful",
            "delete Pod web-3 in StatefulSet web successful",
            "delete Pod web-2 in StatefulSet web successful",
        ]
    );
    let claims = set
        .iter()
        .filter(|(_, m)| m.starts_with("create Claim"))
        .count();
    assert_eq!(claims, 5, "one claim per ordinal, never made twice");
    // Scaled to 2: web-4, web-3, web-2 go one after the other, each once the one above is gone.
    let down: Vec<f64> = set
        .iter()
        .filter(|(t, m)| *t >= 420.0 && m.starts_with("delete"))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(down, [420.0, 430.0, 440.0]);
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let sts = &summary["workloads"][0];
    assert_eq!(sts["kind"], "StatefulSet");
    assert_eq!(sts["replicas"]["updated"], 2);
    let pods = read(&dir, "pods.csv");
    assert!(
        pods.lines()
            .skip(1)
            .all(|l| l.split(',').nth(2) == Some("StatefulSet/web"))
    );
}

#[test]
fn a_quota_blocks_a_scale_up_and_a_limit_range_fills_in_requests() {
    let (_tmp, dir) = run_scenario("tests/data/quota.yaml");
    let events = read(&dir, "events.csv");
    let failed: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",FailedCreate,"))
        .collect();
    assert!(
        failed.len() > 10,
        "retried with the work queue's back-off: {}",
        failed.len()
    );
    assert!(failed[0].starts_with("60.000,Warning,FailedCreate,ReplicaSet/team-a/web-"));
    assert!(failed[0].contains(
        "is forbidden: exceeded quota: team-quota, requested: pods=1,requests.cpu=500m, used: pods=4,requests.cpu=2, limited: pods=4,requests.cpu=2"
    ));
    // The retries spread out: 5 ms, 10 ms, 20 ms, ... after each failure.
    let times: Vec<f64> = failed
        .iter()
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[1] >= w[0]));
    assert!(*times.last().unwrap() > 200.0 && *times.last().unwrap() < 300.0);
    // Only four pods ever ran at once (the quota's `pods: 4`); the LimitRange gave each
    // container its default request.
    let pods = read(&dir, "pods.csv");
    assert_eq!(pods.lines().count() - 1, 4);
    assert!(
        pods.lines()
            .skip(1)
            .all(|l| l.split(',').nth(13) == Some("500"))
    );
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let changes = summary["workloads"][0]["condition_changes"]
        .as_array()
        .unwrap();
    let unavailable = changes
        .iter()
        .find(|c| c["reason"] == "MinimumReplicasUnavailable" && c["time_s"] == 60.0);
    assert!(unavailable.is_some(), "{changes:?}");
    let failure = changes
        .iter()
        .find(|c| c["type"] == "ReplicaFailure")
        .expect("the ReplicaSet's failure, copied");
    assert_eq!(failure["reason"], "FailedCreate");
}

#[test]
fn an_undeclared_namespace_is_refused_unless_asked_to_create_it() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = |name: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n"
        )
    };
    let text = format!("{SIM}{}{}", pod("p"), pod("q"));
    let p = write_scenario(tmp.path(), &text);
    let o = common::kubesim().arg("validate").arg(&p).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    // Each object in it is refused, as `kubectl apply` refuses each.
    let refused = "metadata.namespace: namespaces \"shop\" not found (declare a Namespace, or run with --create-namespaces)";
    assert_eq!(e.matches(refused).count(), 2, "{e}");
    assert!(e.contains("2 error(s)"), "{e}");
    let o = common::kubesim()
        .arg("validate")
        .arg("--create-namespaces")
        .arg(&p)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_snapshot_keeps_its_running_pods_times_and_owners() {
    let (_tmp, dir) = run_scenario("tests/data/snapshot.yaml");
    let pods = read(&dir, "pods.csv");
    // startTime 12:00: the pod created at 11:00, bound at 11:00:01, started at 11:00:02 and
    // Ready at 11:00:09 keeps those instants, before t = 0, and its restarts.
    let a = common::row(&pods, "web-5d8c55696b-abcde");
    assert_eq!(
        &a[2..13],
        [
            "ReplicaSet/web-5d8c55696b",
            "n-1",
            "Running",
            "-3600.000",
            "-3599.000",
            "-3598.000",
            "-3591.000",
            "",
            "",
            "0",
            "2"
        ]
    );
    // The pod being deleted goes at its deletionTimestamp (20 s after t = 0), and its
    // ReplicaSet replaces it at once; no other pod is created, no new ReplicaSet.
    let b = common::row(&pods, "web-5d8c55696b-fghij");
    assert_eq!(b[10], "20.000");
    assert_eq!(pods.lines().count() - 1, 3);
    let events = read(&dir, "events.csv");
    assert!(
        !events.contains("ScalingReplicaSet"),
        "the snapshot's ReplicaSet is the Deployment's"
    );
    assert!(
        !events.contains("Pod/default/web-5d8c55696b-abcde"),
        "taken up as it runs: no pull, no start"
    );
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let web = &summary["workloads"][0];
    assert_eq!(web["revision"], "3");
    assert_eq!(web["replicas"]["available"], 2);
    // Its 2 restarts happened before the run: the run's own count none.
    assert_eq!(summary["restarts"], 0);
}

#[test]
fn a_deployment_scaled_up_long_after_its_rollout_gets_there() {
    // At 4m the Progressing condition (NewReplicaSetAvailable, which never times out) is past
    // its 60 s deadline: the rollout is re-checked rate-limited until it completes, as the
    // clock moves (it was re-checked at the same instant for ever).
    let tmp = tempfile::tempdir().unwrap();
    let timeline = "  timeline:\n    - {at: 4m, kubectl: \"scale deployment/web --replicas=4\"}\n";
    let web = "---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  progressDeadlineSeconds: 60
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, resources: {requests: {cpu: 100m}}}]
";
    let p = write_scenario(tmp.path(), &format!("{SIM}{timeline}{web}"));
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let web = (summary["workloads"].as_array().unwrap().iter())
        .find(|w| w["kind"] == "Deployment")
        .unwrap();
    assert_eq!(web["replicas"]["available"], 4, "{web}");
}
