//! What the faults cost (`summary.json`'s `faults_injected`, `evictions`, `restarts`,
//! `pods_lost`, `availability`, `faults`; `metrics.csv`'s `nodes_ready`, `node_ready` and
//! `availability`), run through the binary on tests/data/faults/node-crash.yaml: three
//! nodes, web's six pods two per node, Ready at 3 s (a 2 s pull, a 1 s start); n-1 crashes
//! at 600 s and is repaired at 1800 s. The times come from tests/faults.rs: n-1 and its two
//! pods not ready at 655 s, the pods evicted at 955 s and replaced at once on the other
//! nodes, whose image is there: Ready at 956 s.

mod common;

use common::{read, repo, run};
use serde_json::Value;
use std::path::Path;

fn summary(out: &Path) -> Value {
    serde_json::from_str(&read(out, "summary.json")).unwrap()
}

/// `(time_s, value)` of one series of `metrics.csv`.
fn series(out: &Path, object: &str, metric: &str) -> Vec<(f64, f64)> {
    read(out, "metrics.csv")
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1] == metric && f[2] == object)
                .then(|| (f[0].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect()
}

/// The value of a series at `t`.
fn at(points: &[(f64, f64)], t: f64) -> f64 {
    points
        .iter()
        .find(|p| p.0 == t)
        .unwrap_or_else(|| panic!("no sample at {t}"))
        .1
}

/// The node-crash scenario with its repair at `recover` instead of 30m.
fn crash_run(dir: &Path, recover: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo("tests/data/faults/node-crash.yaml")).unwrap();
    let p = dir.join(format!("crash-{recover}.yaml"));
    std::fs::write(
        &p,
        text.replacen(
            "{at: 30m, fault: \"node-recover",
            &format!("{{at: {recover}, fault: \"node-recover"),
            1,
        ),
    )
    .unwrap();
    let out = dir.join(format!("out-{recover}"));
    run(&p, &out, &[]);
    out
}

#[test]
fn a_crash_costs_web_a_third_of_its_pods_from_655_s_to_956_s() {
    let tmp = tempfile::tempdir().unwrap();
    let out = crash_run(tmp.path(), "30m");
    let s = summary(&out);
    // One fault ran (the repair is not one); the taint eviction controller evicted n-1's two pods, the pods that
    // were on n-1 as it left Ready. They were deleted, not restarted.
    assert_eq!(s["faults_injected"], 1);
    assert_eq!(s["evictions"], 2);
    assert_eq!(s["pods_lost"], 2);
    assert_eq!(s["restarts"], 0);
    // web: whole from 3 s, 4 of 6 ready from 655 s to 956 s (301 s), whole again to the end
    // at 2400 s: the mean over the 2397 s counted is 1 - 301 * (1/3) / 2397.
    let a = &s["availability"][0];
    assert_eq!(a["object"], "deployment/default/web");
    assert_eq!(a["since_s"], 3.0);
    assert_eq!(a["downtime_s"], 301.0);
    assert!(
        (a["min"].as_f64().unwrap() - 4.0 / 6.0).abs() < 1e-12,
        "{a}"
    );
    let mean = 1.0 - 301.0 / 3.0 / 2397.0;
    assert!((a["mean"].as_f64().unwrap() - mean).abs() < 1e-12, "{a}");
    assert_eq!(s["availability"].as_array().unwrap().len(), 1);
    // The crash at 600 s: web whole again at 956 s, 356 s later. Nothing lost availability
    // after the repair at 1800 s (the evicted pods were replaced long before).
    let faults = s["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1);
    assert_eq!(
        (&faults[0]["time_s"], &faults[0]["fault"]),
        (&Value::from(600.0), &Value::from("node-crash n-1"))
    );
    assert_eq!(faults[0]["time_to_recover_s"], 356.0);
    assert_eq!(faults[0]["workloads_affected"], 1);
}

#[test]
fn nodes_ready_and_availability_are_sampled_every_15_s() {
    let tmp = tempfile::tempdir().unwrap();
    let out = crash_run(tmp.path(), "30m");
    // n-1 is Unknown from 655 s (the first sample after is 660 s) to its NodeReady at 1800 s,
    // which the sample at 1800 s sees (the fault runs before it in that instant).
    let ready = series(&out, "cluster", "nodes_ready");
    // Every 15 s from 0 to 1815 s, when the run goes quiet, and the last at 2400 s.
    assert_eq!(ready.len(), 123);
    assert_eq!(summary(&out)["quiet_from_s"], 1815.0);
    let n1 = series(&out, "node/n-1", "node_ready");
    for (t, cluster, node) in [
        (0.0, 3.0, 1.0),
        (645.0, 3.0, 1.0),
        (660.0, 2.0, 0.0),
        (1785.0, 2.0, 0.0),
        (1800.0, 3.0, 1.0),
        (2400.0, 3.0, 1.0),
    ] {
        assert_eq!((at(&ready, t), at(&n1, t)), (cluster, node), "at {t}");
    }
    assert_eq!(
        ready.iter().filter(|p| p.1 == 2.0).count(),
        76,
        "660 s to 1785 s"
    );
    assert!(
        series(&out, "node/n-2", "node_ready")
            .iter()
            .all(|p| p.1 == 1.0)
    );
    let web = series(&out, "deployment/default/web", "availability");
    assert_eq!(web.len(), 123);
    for (t, v) in [
        (0.0, 0.0),
        (15.0, 1.0),
        (645.0, 1.0),
        (945.0, 2.0 / 3.0),
        (960.0, 1.0),
    ] {
        assert!((at(&web, t) - v).abs() < 1e-6, "at {t}: {}", at(&web, t));
    }
    // The ReplicaSet's series are unchanged: availability is the workloads'.
    assert!(!read(&out, "metrics.csv").contains("availability,replicaset/"));
    // The run had faults: the report draws both.
    for plot in ["nodes-ready", "availability"] {
        assert!(out.join(format!("plots/{plot}.svg")).exists(), "{plot}");
    }
}

#[test]
fn a_short_crash_costs_restarts_and_no_evictions() {
    let tmp = tempfile::tempdir().unwrap();
    // Repaired at 720 s, before the tolerations ran out: the pods start again in place,
    // Ready at 721 s (a 1 s start, the image still there), with one restart each.
    let out = crash_run(tmp.path(), "12m");
    let s = summary(&out);
    assert_eq!(s["faults_injected"], 1);
    assert_eq!(s["evictions"], 0);
    assert_eq!(s["restarts"], 2);
    assert_eq!(s["pods_lost"], 2, "on n-1 as it left Ready");
    let a = &s["availability"][0];
    assert_eq!(a["downtime_s"], 66.0, "655 s to 721 s");
    assert_eq!(s["faults"][0]["time_to_recover_s"], 121.0, "600 s to 721 s");
    assert_eq!(
        s["faults"].as_array().unwrap().len(),
        1,
        "the repair is no fault"
    );
}

#[test]
fn a_run_without_faults_counts_none_and_writes_no_fault_series() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/faults/node-crash.yaml")).unwrap();
    let start = text.find("  timeline:").unwrap();
    let end = text.find("---").unwrap();
    let p = tmp.path().join("calm.yaml");
    std::fs::write(&p, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let out = tmp.path().join("calm");
    run(&p, &out, &[]);
    let s = summary(&out);
    for key in ["faults_injected", "evictions", "pods_lost", "restarts"] {
        assert_eq!(s[key], 0, "{key}");
    }
    assert_eq!(s["faults"], Value::Array(Vec::new()));
    // Availability is still in the summary: whole from 3 s to the end.
    let a = &s["availability"][0];
    assert_eq!(
        (&a["downtime_s"], &a["mean"], &a["min"]),
        (&0.0.into(), &1.0.into(), &1.0.into())
    );
    // Every node stays Ready without faults: no fault series, and no fault panels.
    let metrics = read(&out, "metrics.csv");
    for metric in [",nodes_ready,", ",node_ready,", ",availability,"] {
        assert!(!metrics.contains(metric), "{metric}");
    }
    assert!(!out.join("plots/nodes-ready.svg").exists());
    assert!(!out.join("plots/availability.svg").exists());
}

#[test]
fn drain_evictions_count_without_faults() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("drain");
    run(
        &repo("scenarios/learn/15-drain-held-by-pdb.yaml"),
        &out,
        &[],
    );
    let s = summary(&out);
    // The eviction API let four web pods go (two per drained node); db's budget kept it.
    assert_eq!(s["faults_injected"], 0);
    assert_eq!(s["evictions"], 4);
    assert_eq!(s["pods_lost"], 4);
}
