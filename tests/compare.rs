//! `kubesim compare`: run the binary on a small two-profile workload and check the table,
//! the CSV files, their independence from the thread count, and the argument errors.

mod common;

use common::{kubesim, read, repo};
use std::path::Path;
use std::process::Output;
use std::time::Instant;

const SCHEDULERS: [&str; 2] = ["default-scheduler", "bin-packing"];

fn compare(out: &Path, extra: &[&str]) -> Output {
    let mut cmd = kubesim();
    cmd.arg("compare").arg(repo("scenarios/compare-small.yaml"));
    for s in SCHEDULERS {
        cmd.args(["--scheduler", s]);
    }
    let o = cmd
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("binary runs");
    assert!(
        o.status.success(),
        "compare failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn compare_prints_a_row_per_scheduler_and_bytes_do_not_depend_on_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("t1"), tmp.path().join("t2"));
    let started = Instant::now();
    let o = compare(&one, &["--seeds", "4", "--threads", "1"]);
    compare(&two, &["--seeds", "4", "--threads", "2"]);
    eprintln!("two compares of 8 runs each: {:?}", started.elapsed());

    // The table: a header, then one row per scheduler with n = seeds.
    let table = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + SCHEDULERS.len(), "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "scheduler",
            "n",
            "pods_scheduled",
            "scheduling_latency_p50_s",
            "scheduling_latency_p99_s",
            "scheduling_attempts",
            "cpu_allocation_mean",
            "cpu_allocation_peak",
            "memory_allocation_mean",
            "memory_allocation_peak",
            "fragmentation",
            "preemptions",
            "makespan_s",
            "cpu_usage_mean"
        ],
        "no traffic and no HPAs: their columns are left out"
    );
    for (line, s) in lines[1..].iter().zip(SCHEDULERS) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&cells[..2], [s, "4"], "{line}");
        assert!(line.contains(" ± "), "mean ± ci95: {line}");
    }

    // Byte-identical files whatever the thread count, plots included.
    for f in [
        "comparison.csv",
        "runs.csv",
        "pending.csv",
        "report.html",
        "plots/pending-time-cdf.png",
    ] {
        assert!(
            read_bytes(&one, f) == read_bytes(&two, f),
            "{f} depends on the threads"
        );
    }
    let mut leftovers: Vec<_> = std::fs::read_dir(&one)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        [
            "comparison.csv",
            "pending.csv",
            "plots",
            "report.html",
            "runs.csv"
        ]
    );

    // runs.csv: every run, in (scheduler, replicate) order, seeds shared across schedulers.
    let runs = read(&one, "runs.csv");
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 8);
    let keys: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(keys[0], ("default-scheduler", "0", "7"));
    assert_eq!(keys[3], ("default-scheduler", "3", "10"));
    assert_eq!(keys[4], ("bin-packing", "0", "7"), "common random numbers");

    // comparison.csv: long format, n = seeds, the schedulers differ somewhere.
    let comparison = read(&one, "comparison.csv");
    let mut lines = comparison.lines();
    assert_eq!(
        lines.next(),
        Some("scheduler,metric,mean,ci95_low,ci95_high,n")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 15);
    let traffic = ["unserved_share", "hpa_scale_events", "hpa_seconds_at_max"];
    assert!(
        (rows.iter()).all(|r| r[5] == if traffic.contains(&r[1]) { "0" } else { "4" }),
        "every metric in every run, but those of traffic and HPAs (none here): {comparison}"
    );
    let mean = |s: &str, m: &str| {
        rows.iter()
            .find(|r| r[0] == s && r[1] == m)
            .map(|r| r[2].to_string())
            .unwrap()
    };
    let differing: Vec<&str> = [
        "scheduling_latency_p50_s",
        "scheduling_latency_p99_s",
        "scheduling_attempts",
        "fragmentation",
        "makespan_s",
    ]
    .into_iter()
    .filter(|m| mean(SCHEDULERS[0], m) != mean(SCHEDULERS[1], m))
    .collect();
    assert!(!differing.is_empty(), "the profiles give different results");
    assert_eq!(mean(SCHEDULERS[0], "pods_scheduled"), "80");
    assert_eq!(mean(SCHEDULERS[0], "preemptions"), "0");
}

#[test]
fn unknown_scheduler_is_bad_input_and_a_missing_one_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("none");
    let o = kubesim()
        .arg("compare")
        .arg(repo("scenarios/compare-small.yaml"))
        .args(["--scheduler", "default-scheduler", "--scheduler", "nope"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("\"nope\"") && err.contains("known profiles: default-scheduler, bin-packing"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is run or written");

    let o = kubesim()
        .arg("compare")
        .arg(repo("scenarios/compare-small.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "no --scheduler");
    let o = kubesim()
        .arg("compare")
        .arg(repo("scenarios/compare-small.yaml"))
        .args(["--scheduler", "default-scheduler", "--seeds", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "--seeds 0");
    let o = kubesim()
        .arg("compare")
        .arg(repo("scenarios/compare-small.yaml"))
        .args([
            "--scheduler",
            "default-scheduler",
            "--reference-pod",
            "gpu=1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "bad --reference-pod");
}

#[test]
fn bad_scenario_gives_the_located_errors_of_run() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: bad}\nspec:\n  duration: 10m\n  cluster:\n    nodePools:\n      - name: p\n        count: -2\n        template: {status: {capacity: {cpu: \"1\"}}}\n",
    )
    .unwrap();
    let o = kubesim()
        .arg("compare")
        .arg(&bad)
        .args(["--scheduler", "default-scheduler"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.yaml:9:16: spec.cluster.nodePools[0].count: must not be negative"),
        "{err}"
    );
}

fn read_bytes(dir: &std::path::Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

/// `--variant NAME=base.yaml,overlay.yaml` for the two HPAs of `scenarios/hpa-spike`.
fn spike_variants(out: &Path, seeds: &str) -> Output {
    let spike = |f: &str| {
        repo(&format!("scenarios/hpa-spike/{f}"))
            .display()
            .to_string()
    };
    kubesim()
        .arg("compare")
        .args([
            "--variant",
            &format!("default={},{}", spike("base.yaml"), spike("default.yaml")),
        ])
        .args([
            "--variant",
            &format!("tuned={},{}", spike("base.yaml"), spike("tuned.yaml")),
        ])
        .args(["--seeds", seeds, "--quiet", "--out"])
        .arg(out)
        .output()
        .expect("binary runs")
}

#[test]
fn variants_of_a_scenario_compare_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("spike");
    let o = spike_variants(&out, "3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("variant  n  pods_scheduled"),
        "{table}"
    );
    for m in ["unserved_share", "hpa_scale_events", "hpa_seconds_at_max"] {
        assert!(lines[0].contains(m), "{m} in {table}");
    }
    // The same seeds for both: runs.csv pairs them.
    let runs = read(&out, "runs.csv");
    let seeds: Vec<&str> = (runs.lines().skip(1))
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(seeds, ["16", "17", "18", "16", "17", "18"]);
    // The tuned scale-up turns fewer requests away, in fewer rescales, on every seed.
    let mean = |arm: &str, metric: &str| -> f64 {
        let row = (read(&out, "comparison.csv").lines())
            .find(|l| l.starts_with(&format!("{arm},{metric},")))
            .map(str::to_string)
            .unwrap();
        row.split(',').nth(2).unwrap().parse().unwrap()
    };
    assert!(mean("tuned", "unserved_share") < mean("default", "unserved_share") * 0.7);
    assert!(mean("tuned", "hpa_scale_events") < mean("default", "hpa_scale_events"));
    assert!(mean("default", "hpa_scale_events") >= 5.0);
    let report = read(&out, "report.html");
    assert!(
        report.contains("default vs tuned"),
        "the report names the variants"
    );
}

#[test]
fn variant_arguments_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let spike = repo("scenarios/hpa-spike/base.yaml").display().to_string();
    for (args, code, expected) in [
        (
            vec!["--variant", "a b=x.yaml"],
            2,
            "a variant's name is letters",
        ),
        (vec!["--variant", "a="], 2, "expected scenario files"),
        (vec!["--variant", "nopath"], 2, "expected NAME=SCENARIO"),
        (
            vec!["--variant", &format!("a={spike}"), "--scheduler", "x"],
            2,
            "cannot be used with",
        ),
        (
            vec![
                "--variant",
                &format!("a={spike}"),
                "--variant",
                &format!("a={spike}"),
            ],
            2,
            "--variant \"a\" is given twice",
        ),
        (vec!["--variant", "a=missing.yaml"], 1, "missing.yaml"),
    ] {
        let o = kubesim()
            .arg("compare")
            .args(&args)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: {expected:?} not in {err}"
        );
        assert!(!tmp.path().join("out").exists(), "nothing written");
    }
}
