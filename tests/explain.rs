//! `kubesim explain`: run the quickstart with `--explain`, then explain its pods, and check
//! the error cases.

mod common;

use common::{kubesim, repo, run};
use std::path::Path;
use std::process::Output;

fn explain(dir: &Path, pod: &str) -> Output {
    kubesim()
        .arg("explain")
        .arg(dir)
        .arg(pod)
        .output()
        .expect("binary runs")
}

fn quickstart_run(dir: &Path) {
    run(&repo("scenarios/quickstart.yaml"), dir, &["--explain"]);
}

#[test]
fn explains_the_chosen_node_the_scores_and_the_failed_scheduling_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qs");
    quickstart_run(&dir);
    let pods = std::fs::read_to_string(dir.join("pods.csv")).unwrap();
    let node_of = |name: &str| {
        pods.lines()
            .find(|l| l.split(',').nth(1) == Some(name))
            .and_then(|l| l.split(',').nth(3))
            .unwrap()
            .to_string()
    };

    let o = explain(&dir, "pod/default/batch-7");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let node = node_of("batch-7");
    assert!(
        text.contains(&format!("Scheduled on {node}")),
        "the node of pods.csv: {text}"
    );
    assert!(
        text.contains(&format!("chosen: {node} with total ")),
        "{text}"
    );
    assert!(
        text.contains("weights: ImageLocality 1, InterPodAffinity 2, NodeAffinity 2, NodeResourcesBalancedAllocation 1, NodeResourcesFit 1, PodTopologySpread 2, TaintToleration 3"),
        "{text}"
    );
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("node "))
        .expect("a score table");
    assert!(
        header.contains("NodeResourcesFit×1") && header.trim_end().ends_with("total"),
        "{header}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with(&format!("* {node} "))),
        "the chosen row is marked: {text}"
    );
    assert!(
        text.contains("TaintToleration rejected 1 node (UnschedulableAndUnresolvable)"),
        "{text}"
    );
    assert!(
        text.contains("runner-up: ") || text.contains("the seeded random draw"),
        "{text}"
    );

    let o = explain(&dir, "pod/default/too-big");
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains(
            "attempts 1-45 (45 alike) at 0.000s … 1590.000s, profile default-scheduler: Unschedulable"
        ),
        "{text}"
    );
    assert!(text.contains("FailedScheduling: 0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."), "{text}");
    assert!(text.contains("NodeResourcesFit rejected 3 nodes (Unschedulable): Insufficient cpu\n      general-1, general-2, general-3"), "{text}");

    let o = explain(&dir, "pod/default/trainer");
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Scheduled on gpu-1"), "{text}");
    assert!(text.contains("gpu-1 was the only feasible node"), "{text}");
}

#[test]
fn errors_missing_run_pod_not_found_and_bad_argument() {
    let tmp = tempfile::tempdir().unwrap();
    let o = explain(&tmp.path().join("missing"), "pod/default/x");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("kubesim run SCENARIO --explain"));

    let o = explain(tmp.path(), "pod/default/x");
    assert_eq!(o.status.code(), Some(1), "no scheduling.jsonl");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--explain"));

    let dir = tmp.path().join("qs");
    quickstart_run(&dir);
    let o = explain(&dir, "pod/default/batch-700");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no scheduling attempt of pod default/batch-700"),
        "{err}"
    );
    let similar = err.split("similar pods: ").nth(1).expect("suggestions");
    let names: Vec<&str> = similar.split(')').next().unwrap().split(", ").collect();
    assert_eq!(names.len(), 5, "{err}");
    assert!(names.contains(&"default/batch-7"), "{err}");

    for bad in ["default/batch-7", "pod/default", "node/default/x"] {
        let o = explain(&dir, bad);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}

/// Explaining a run only adds `scheduling.jsonl`: every decision, and so every output file,
/// is the same as without it (the cycle takes a different path when it keeps details).
#[test]
fn explaining_does_not_change_the_run() {
    let digest = |scenario: &str, explain: bool| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut cmd = kubesim();
        cmd.arg("run")
            .arg(repo(scenario))
            .arg("--quiet")
            .arg("--out")
            .arg(&dir);
        if explain {
            cmd.arg("--explain");
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(dir.join("scheduling.jsonl").exists(), explain);
        let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
        v["output_sha256"].as_str().unwrap().to_string()
    };
    for scenario in [
        "scenarios/quickstart.yaml",
        "scenarios/pod-placement.yaml",
        "scenarios/preemption.yaml",
        "scenarios/bin-packing.yaml",
    ] {
        assert_eq!(
            digest(scenario, true),
            digest(scenario, false),
            "{scenario}"
        );
    }
}
