//! Scenario test for DefaultPreemption: `scenarios/preemption.yaml` run through the binary.

mod common;

use common::{repo, row};
use std::path::Path;

fn run(out: &Path) {
    common::run(&repo("scenarios/preemption.yaml"), out, &["--explain"]);
}

#[test]
fn critical_pods_preempt_one_victim_each_and_wait_for_its_grace_period() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pre");
    run(&out);
    let pods = std::fs::read_to_string(out.join("pods.csv")).unwrap();
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let victims: Vec<Vec<String>> = pods
        .lines()
        .filter(|l| l.ends_with(",Preempted"))
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(victims.len(), 2, "{pods}");
    for c in ["critical-1", "critical-2"] {
        let r = row(&pods, c);
        assert_eq!(r[4], "Running", "{r:?}");
        // The preemptor lands where its victim was, once the victim's 30 s grace is over.
        let victim = victims
            .iter()
            .find(|v| v[3] == r[3])
            .unwrap_or_else(|| panic!("no victim on {}", r[3]));
        assert_eq!(r[6], victim[10], "bound when the victim was deleted");
        let preempted_at: f64 = events
            .lines()
            .find(|l| {
                l.contains(",Preempted,") && l.contains(&format!("Pod/default/{}", victim[1]))
            })
            .and_then(|l| l.split(',').next())
            .unwrap()
            .parse()
            .unwrap();
        let deleted_at: f64 = victim[10].parse().unwrap();
        assert_eq!(deleted_at - preempted_at, 30.0);
        assert!(
            events.contains(&format!("Preempted by pod default/{c} on node {}", r[3])),
            "{events}"
        );
    }
    // preemptionPolicy: Never waits, and says why.
    assert_eq!(row(&pods, "polite-1")[4], "Pending");
    assert!(events.contains(
        "0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.."
    ));
    // scheduling.jsonl records the nomination and the victims.
    let jsonl = std::fs::read_to_string(out.join("scheduling.jsonl")).unwrap();
    assert!(jsonl.contains("\"preemption\":{\"nominated_node\":\"general-"));
    // The explain command shows them.
    let o = common::kubesim()
        .arg("explain")
        .arg(&out)
        .arg("pod/default/critical-1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("filler-"), "{text}");
}

#[test]
fn same_priority_pods_never_preempt_each_other() {
    // The quickstart's pods all have priority 0: its unschedulable pods get the upstream
    // preemption diagnosis and evict nothing.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    common::run(&repo("scenarios/quickstart.yaml"), &out, &[]);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(!events.contains(",Preempted,"));
    assert!(events.contains(
        "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.."
    ));
}

/// One 4-cpu node, a low-priority pod on it, and two higher-priority pods that each need 3
/// cpu: `mid` (priority 500) at 1m preempts the low pod, which then has 30 s of grace;
/// `top` (priority 1000) at 1m10s finds the node still full, and its preemption picks the
/// same still-terminating pod (and takes `mid`'s nomination).
const SHARED_VICTIM: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata:
  name: shared-victim
spec:
  seed: 1
  duration: 5m
  cluster:
    nodePools:
      - name: only
        count: 1
        template:
          status:
            capacity: {cpu: "4", memory: 16Gi, pods: "110"}
  arrivals:
    - {name: low, count: 1, every: 1s, template: {apiVersion: v1, kind: Pod, metadata: {name: low}, spec: {priorityClassName: low, containers: [{name: c, image: busybox:1.36, resources: {requests: {cpu: "3"}}}]}}}
    - {name: mid, count: 1, every: 1s, start: 1m, template: {apiVersion: v1, kind: Pod, metadata: {name: mid}, spec: {priorityClassName: mid, containers: [{name: c, image: busybox:1.36, resources: {requests: {cpu: "3"}}}]}}}
    - {name: top, count: 1, every: 1s, start: 70s, template: {apiVersion: v1, kind: Pod, metadata: {name: top}, spec: {priorityClassName: top, containers: [{name: c, image: busybox:1.36, resources: {requests: {cpu: "3"}}}]}}}
---
{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: low}, value: 100}
---
{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: mid}, value: 500}
---
{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: top}, value: 1000}
"#;

/// A victim that a later preemption chooses again while it is still terminating is deleted
/// once, and counted once: `SchedulerStats::preemptions`, the summary's `preemptions`,
/// counts the pods the scheduler deleted (upstream's `prepareCandidate` makes no deletion
/// call for a victim that already has a deletionTimestamp).
#[test]
fn a_victim_chosen_twice_while_terminating_is_counted_once() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("shared-victim.yaml");
    std::fs::write(&scenario, SHARED_VICTIM).unwrap();
    let out = tmp.path().join("out");
    common::run(&scenario, &out, &["--explain"]);
    let read = |f: &str| common::read(&out, f);
    // Both preemptions chose the low pod.
    let jsonl = read("scheduling.jsonl");
    let chose_low: Vec<&str> = jsonl
        .lines()
        .filter(|l| l.contains("\"victims\":[\"default/low"))
        .collect();
    let preemptor = |l: &str| {
        ["mid", "top"]
            .into_iter()
            .find(|p| l.contains(&format!("\"pod\":\"default/{p}")))
    };
    assert_eq!(
        chose_low.iter().map(|l| preemptor(l)).collect::<Vec<_>>(),
        [Some("mid"), Some("top")],
        "{jsonl}"
    );
    // It was told and deleted once, and the summary counts it once.
    let events = read("events.csv");
    assert_eq!(events.matches(",Preempted,").count(), 1, "{events}");
    assert!(events.contains("Preempted by pod default/mid"), "{events}");
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    assert_eq!(summary["preemptions"], 1, "{summary}");
    // Deleted at the end of the grace mid's preemption gave it (1m + 30 s), when `top`
    // takes the node; `mid` has nothing left to preempt.
    let pods = read("pods.csv");
    let (low, mid, top) = (
        row(&pods, "low-1"),
        row(&pods, "mid-1"),
        row(&pods, "top-1"),
    );
    assert_eq!(
        (low[10].as_str(), low[16].as_str()),
        ("90.000", "Preempted"),
        "{pods}"
    );
    assert_eq!(
        (top[4].as_str(), top[6].as_str()),
        ("Running", "90.000"),
        "{pods}"
    );
    assert_eq!(mid[4], "Pending", "{pods}");
}
