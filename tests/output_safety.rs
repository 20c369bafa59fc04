//! A run never loses a user's file: where it may write, what it may replace, names that
//! could leave `results/`, and an interrupted run.

mod common;

use common::{kubesim, read, repo};
use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn run_into(cwd: &Path, scenario: &Path, out: &str, extra: &[&str]) -> Output {
    kubesim()
        .current_dir(cwd)
        .arg("run")
        .arg(scenario)
        .args(["--out", out, "--quiet"])
        .args(extra)
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn a_directory_of_other_files_is_refused_and_kept() {
    let root = tempfile::tempdir().unwrap();
    let results = root.path().join("results");
    fs::create_dir(&results).unwrap();
    fs::write(results.join("BENCHMARKS.md"), "figures").unwrap();
    let scenario = repo("scenarios/bin-packing.yaml");

    let o = run_into(root.path(), &scenario, "results", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o)
            .contains("results exists and was not written by kubesim (it holds BENCHMARKS.md)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(&results), ["BENCHMARKS.md"]);

    // --force writes kubesim's files beside the user's and leaves those alone.
    let o = run_into(root.path(), &scenario, "results", &["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&results, "BENCHMARKS.md"), "figures");
    assert!(results.join("summary.json").exists());
    assert_eq!(
        names(root.path()),
        ["results"],
        "no temporary directory left"
    );
}

#[test]
fn the_working_directory_and_its_parents_are_never_written() {
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    fs::create_dir(&work).unwrap();
    let scenario = work.join("s.yaml");
    fs::copy(repo("scenarios/bin-packing.yaml"), &scenario).unwrap();
    for out in [".", "..", "./sub/../.."] {
        let o = run_into(&work, &scenario, out, &["--force"]);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(
            stderr(&o).contains("working directory"),
            "{out}: {}",
            stderr(&o)
        );
    }
    // A directory holding the scenario is refused too.
    let o = run_into(root.path(), &scenario, "work", &["--force"]);
    assert!(stderr(&o).contains("holds the input"), "{}", stderr(&o));
    assert_eq!(names(&work), ["s.yaml"]);
}

#[test]
fn an_earlier_run_is_replaced_with_its_stale_files() {
    let root = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/bin-packing.yaml");
    let o = run_into(root.path(), &scenario, "out", &["--explain"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(root.path().join("out/scheduling.jsonl").exists());
    let o = run_into(root.path(), &scenario, "out", &["--seed", "9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(&root.path().join("out"), "summary.json").contains("\"seed\": 9"));
    // The earlier run's explanation would not match this run: gone.
    assert!(!root.path().join("out/scheduling.jsonl").exists());
    // An earlier run with a file of the user's in it is not replaced.
    fs::write(root.path().join("out/notes.md"), "mine").unwrap();
    let o = run_into(root.path(), &scenario, "out", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("notes.md"), "{}", stderr(&o));
}

#[test]
fn a_simulation_name_cannot_name_a_path() {
    let root = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(repo("scenarios/bin-packing.yaml")).unwrap();
    for name in ["..", "../../x", "Bad_Name", "a/b"] {
        let s = root.path().join("s.yaml");
        fs::write(
            &s,
            text.replacen("name: bin-packing", &format!("name: {name:?}"), 1),
        )
        .unwrap();
        let o = kubesim()
            .current_dir(root.path())
            .args(["run", "s.yaml", "--quiet"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{name}");
        let e = stderr(&o);
        assert!(
            e.contains(&format!(
                "metadata.name: Invalid value: {name:?}: a lowercase RFC 1123 subdomain"
            )),
            "{name}: {e}"
        );
        assert_eq!(names(root.path()), ["s.yaml"], "{name}: nothing written");
    }
}

#[test]
fn an_interrupted_run_leaves_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    // A run of many seconds: a million pods arriving one per 10 ms.
    let s = root.path().join("long.yaml");
    fs::write(
        &s,
        "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: long}\nspec:\n  duration: 100000h\n  cluster:\n    nodePools: [{name: n, count: 100, template: {status: {capacity: {cpu: '64', memory: 256Gi, pods: '1000'}}}}]\n  arrivals:\n    - name: pods\n      count: 1000000\n      every: 10ms\n      template:\n        kind: Pod\n        metadata: {name: p}\n        spec:\n          containers: [{name: c, image: x, resources: {requests: {cpu: 10m}}}]\n",
    )
    .unwrap();
    let mut child = kubesim()
        .current_dir(root.path())
        .args(["run", "long.yaml", "--quiet", "--out", "out"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is writing (its temporary directory exists), then interrupt it.
    let started = Instant::now();
    while !names(root.path())
        .iter()
        .any(|n| n.starts_with(".out.tmp-"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "run never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was interrupted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("interrupted at ") && stderr(&o).contains("nothing was written to out"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(root.path()), ["long.yaml"]);
}

fn scenario_with(root: &Path, count: &str, duration: &str) -> std::path::PathBuf {
    let s = root.join("s.yaml");
    fs::write(
        &s,
        format!("apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {{name: big}}\nspec:\n  duration: {duration}\n  cluster:\n    nodePools: [{{name: n, count: 3, template: {{status: {{capacity: {{cpu: '64', memory: 256Gi, pods: '1000'}}}}}}}}]\n  arrivals:\n    - name: pods\n      count: {count}\n      every: 0s\n      template: {{kind: Pod, metadata: {{name: p}}, spec: {{containers: [{{name: c, image: x}}]}}}}\n"),
    )
    .unwrap();
    s
}

#[test]
fn a_run_too_large_for_memory_or_disk_is_refused_before_it_starts() {
    let root = tempfile::tempdir().unwrap();
    let s = scenario_with(root.path(), "10000000000", "1h");
    let started = Instant::now();
    let o = run_into(root.path(), &s, "out", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the run may create 10000000000 pods, more than --max-pods 5000000"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // compare keeps the pods of several runs in memory at once: the same bound.
    let o = kubesim()
        .args([
            "compare",
            "--scheduler",
            "default-scheduler",
            "--seeds",
            "1",
            "--quiet",
        ])
        .arg(&s)
        .arg("--out")
        .arg(root.path().join("cmp"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the run may create 10000000000 pods, more than --max-pods 5000000"),
        "{}",
        stderr(&o)
    );
    assert!(!root.path().join("cmp").exists());
    let o = run_into(root.path(), &s, "out", &["--max-pods", "20000000000"]);
    assert!(
        stderr(&o).contains("more than --max-output 4.0 GB allows"),
        "{}",
        stderr(&o)
    );
    // Under the estimate but over the limit while running: stopped, nothing written.
    // Pods that never fit are retried and reported all hour: more Events than estimated.
    let s = scenario_with(root.path(), "100", "1h");
    let text = fs::read_to_string(&s).unwrap();
    fs::write(
        &s,
        text.replace(
            "image: x}",
            "image: x, resources: {requests: {cpu: '100'}}}",
        ),
    )
    .unwrap();
    let o = run_into(root.path(), &s, "out", &["--max-output", "350kB"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("reached the limit"), "{}", stderr(&o));
    assert_eq!(names(root.path()), ["s.yaml"]);
}

#[test]
fn a_long_quiet_run_costs_only_its_work() {
    let root = tempfile::tempdir().unwrap();
    let s = scenario_with(root.path(), "10", "1000000h");
    let started = Instant::now();
    let o = run_into(root.path(), &s, "out", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(5));
    let metrics = read(&root.path().join("out"), "metrics.csv");
    assert!(metrics.len() < 10_000, "{} bytes", metrics.len());
    assert!(
        metrics
            .lines()
            .last()
            .unwrap()
            .starts_with("3600000000.000,")
    );
    let summary = read(&root.path().join("out"), "summary.json");
    assert!(summary.contains("\"quiet_from_s\": 15.0"), "{summary}");
}
