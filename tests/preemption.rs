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
