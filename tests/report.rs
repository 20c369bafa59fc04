//! Plots and report.html: what a run draws, `kubesim plot` drawing the same files again, the
//! output controls, and every way a run directory can be unfit to plot.

mod common;

use common::{kubesim, read, repo, run};
use std::fs;
use std::path::{Path, PathBuf};

/// Every file under `dir` (recursively): relative path and bytes, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The pictures of a run: `report.html` and `plots/*`.
fn pictures(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .filter(|(n, _)| n == "report.html" || n.starts_with("plots"))
        .collect()
}

fn plot(dir: &Path) -> std::process::Output {
    kubesim().arg("plot").arg(dir).output().unwrap()
}

fn quickstart(root: &Path) -> PathBuf {
    let out = root.join("qs");
    run(&repo("scenarios/quickstart.yaml"), &out, &[]);
    out
}

#[test]
fn a_run_draws_its_plots_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = quickstart(tmp.path());
    let names: Vec<String> = pictures(&out).into_iter().map(|(n, _)| n).collect();
    for panel in [
        "pods-by-phase",
        "nodes",
        "cpu",
        "memory",
        "cpu-by-pool",
        "scheduler-queues",
        "pod-times-cdf",
        "failed-scheduling",
        "cpu-allocation-heatmap",
        "pods-on-nodes",
    ] {
        for ext in ["png", "svg"] {
            let f = format!("plots/{panel}.{ext}");
            assert!(names.contains(&f), "no {f} in {names:?}");
        }
    }
    let html = read(&out, "report.html");
    assert!(html.contains("<h1>quickstart</h1>"));
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("<script"), "the report runs no script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched"
    );
    // Every plot inlined (names holds report.html and an SVG and a PNG per plot), the events
    // table, the resolved parameters.
    let plots = (names.len() - 1) / 2;
    assert_eq!(html.matches("data:image/svg+xml;base64,").count(), plots);
    assert!(html.contains("<td>FailedScheduling</td>"));
    assert!(html.contains("Resolved parameters"));
    assert!(html.contains("Insufficient cpu"));
}

#[test]
fn plot_redraws_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = quickstart(tmp.path());
    let drawn = pictures(&out);
    let data = files(&out);
    fs::remove_dir_all(out.join("plots")).unwrap();
    fs::remove_file(out.join("report.html")).unwrap();
    let o = plot(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("plots and the report written"));
    assert!(pictures(&out) == drawn, "kubesim plot drew different files");
    // Again over its own output: replaced in place, the data untouched.
    assert!(plot(&out).status.success());
    assert!(files(&out) == data);
    // Nothing left beside the run.
    let beside: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);
}

fn fails_with(dir: &Path, wanted: &[&str]) {
    let o = plot(dir);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    for w in wanted {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn plot_refuses_what_is_not_a_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    fails_with(&tmp.path().join("nope"), &["nope: no such directory"]);
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    fails_with(
        &empty,
        &["summary.json", "not the output directory of a kubesim run"],
    );

    let out = quickstart(tmp.path());
    let before = pictures(&out);
    let pods = fs::read_to_string(out.join("pods.csv")).unwrap();

    // Truncated in the middle of a row.
    fs::write(out.join("pods.csv"), &pods[..pods.len() - 40]).unwrap();
    fails_with(&out, &["pods.csv:", "columns", "not the one the run wrote"]);
    // Hand-edited, still well-formed.
    fs::write(
        out.join("pods.csv"),
        pods.replacen("general-1", "general-2", 1),
    )
    .unwrap();
    fails_with(&out, &["pods.csv", "was changed after the run"]);
    // A bad value: file and line named.
    let line = pods.lines().nth(7).unwrap();
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[5] = "soon";
    fs::write(
        out.join("pods.csv"),
        pods.replacen(line, &fields.join(","), 1),
    )
    .unwrap();
    fails_with(
        &out,
        &["pods.csv:8: column created_s: expected a number, got \"soon\""],
    );
    fs::write(out.join("pods.csv"), &pods).unwrap();
    // Missing.
    fs::remove_file(out.join("metrics.csv")).unwrap();
    fails_with(&out, &["metrics.csv: is missing from the run directory"]);
    // Not JSON.
    fs::write(out.join("summary.json"), "{\"seed\": ").unwrap();
    fails_with(&out, &["summary.json:1: not valid JSON"]);
    // Nothing was half-written: the pictures are the run's, nothing is beside the run.
    assert!(pictures(&out) == before);
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
}

#[test]
fn output_controls_choose_the_rows_and_the_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let base = fs::read_to_string(repo("scenarios/bench-batch-1k.yaml")).unwrap();
    let small = base
        .replace("count: 1000\n", "count: 20\n")
        .replace("count: 100000\n", "count: 2000\n")
        .replace("exponential(48400us)", "exponential(2s)");
    let with = |extra: &str| {
        let text = small.replace(
            "    metricsInterval: 60s",
            &format!("    metricsInterval: 60s\n{extra}"),
        );
        let f = dir.join(format!("s{}.yaml", text.len()));
        fs::write(&f, text).unwrap();
        f
    };
    let all = dir.join("all");
    run(&with(""), &all, &[]);
    assert!(all.join("report.html").exists());
    let metrics = read(&all, "metrics.csv");
    assert!(metrics.contains(",cpu_allocation,node/worker-1,"));

    let some = dir.join("some");
    let o = run(
        &with("    plots: false\n    events: warnings\n    pods: 10%\n    nodeMetrics: false"),
        &some,
        &[],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("no plots (output.plots: false)"));
    assert!(!some.join("report.html").exists() && !some.join("plots").exists());
    let events = read(&some, "events.csv");
    assert!(events.lines().skip(1).all(|l| l.contains(",Warning,")));
    let rows = read(&some, "pods.csv").lines().count() - 1;
    assert!(
        (120..=280).contains(&rows),
        "{rows} rows for a 10% sample of 2,000"
    );
    assert!(!read(&some, "metrics.csv").contains("node/"));
    let summary: serde_json::Value = serde_json::from_str(&read(&some, "summary.json")).unwrap();
    assert_eq!(summary["output"]["pods"], "10%");
    assert_eq!(summary["output"]["pod_rows"], rows);
    assert_eq!(
        summary["pods"]["created"], 2000,
        "the summary counts every pod"
    );
    // The same pods are sampled under another seed.
    let other = dir.join("other");
    run(
        &with("    plots: false\n    pods: 10%"),
        &other,
        &["--seed", "9"],
    );
    let names = |d: &Path| -> Vec<String> {
        read(d, "pods.csv")
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&some), names(&other));
    // Plots drawn later from a sampled run say so.
    assert!(plot(&some).status.success());
    let html = read(&some, "report.html");
    assert!(
        html.contains("a 10% sample of pods"),
        "the summary table says so"
    );
    assert!(read(&some, "plots/pod-times-cdf.svg").contains("(a 10% sample: "));
}

#[test]
fn bad_output_controls_are_refused_with_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.yaml");
    let text = fs::read_to_string(repo("scenarios/quickstart.yaml"))
        .unwrap()
        .replace(
            "  output:\n",
            "  output:\n    events: some\n    pods: 150%\n",
        );
    assert!(
        text.contains("events: some"),
        "quickstart has an output section"
    );
    fs::write(&f, text).unwrap();
    let o = kubesim().arg("validate").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("spec.output.events: \"some\": expected all, warnings or none"),
        "{err}"
    );
    assert!(
        err.contains("spec.output.pods: \"150%\": a sample must be above 0% and at most 100%"),
        "{err}"
    );
}

#[test]
fn a_users_file_in_plots_is_never_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = quickstart(tmp.path());
    let index = read(&out, "plots/index.txt");
    assert!(index.lines().any(|l| l == "pods-by-phase.png"), "{index}");
    // A file of the user's, even an image, beside kubesim's plots.
    fs::write(out.join("plots/my-diagram.png"), "mine").unwrap();
    fs::write(out.join("plots/notes.txt"), "notes").unwrap();
    let o = plot(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read(&out, "plots/my-diagram.png"), "mine");
    assert_eq!(read(&out, "plots/notes.txt"), "notes");
    assert!(out.join("plots/pods-by-phase.png").exists());
    // A new run refuses the directory, naming the user's files...
    let scenario = repo("scenarios/quickstart.yaml");
    let rerun = |extra: &[&str]| {
        kubesim()
            .args(["run", "--quiet", "--out"])
            .arg(&out)
            .arg(&scenario)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = rerun(&[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("plots/my-diagram.png, plots/notes.txt"),
        "{err}"
    );
    // ...and with --force replaces kubesim's files only.
    let o = rerun(&["--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read(&out, "plots/my-diagram.png"), "mine");
    assert_eq!(read(&out, "plots/notes.txt"), "notes");
    assert!(out.join("report.html").exists());
}

#[test]
fn a_run_without_plots_removes_the_earlier_runs_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let out = quickstart(tmp.path());
    let f = tmp.path().join("s.yaml");
    let text = fs::read_to_string(repo("scenarios/quickstart.yaml"))
        .unwrap()
        .replace("  output:\n", "  output:\n    plots: false\n");
    fs::write(&f, text).unwrap();
    run(&f, &out, &[]);
    assert!(!out.join("plots").exists() && !out.join("report.html").exists());
    assert!(out.join("summary.json").exists());
}

#[test]
fn compare_draws_intervals_and_pending_times_and_plot_redraws_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = kubesim()
        .args(["compare", "--quiet", "--seeds", "3"])
        .args([
            "--scheduler",
            "default-scheduler",
            "--scheduler",
            "bin-packing",
        ])
        .arg("--out")
        .arg(&out)
        .arg(repo("scenarios/compare-small.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pending = read(&out, "pending.csv");
    assert!(pending.starts_with("scheduler,percentile,pending_time_s\n"));
    assert_eq!(pending.lines().count(), 1 + 2 * 101, "0..=100 per profile");
    let drawn = pictures(&out);
    let names: Vec<&str> = drawn.iter().map(|(n, _)| n.as_str()).collect();
    for f in [
        "plots/compare-scheduling_latency_p99_s.svg",
        "plots/compare-fragmentation.png",
        "plots/pending-time-cdf.svg",
        "report.html",
    ] {
        assert!(names.contains(&f), "no {f} in {names:?}");
    }
    let svg = read(&out, "plots/pending-time-cdf.svg");
    assert!(svg.contains("default-scheduler") && svg.contains("bin-packing"));
    let html = read(&out, "report.html");
    assert!(html.contains("<td>bin-packing</td><td>makespan_s</td>"));
    fs::remove_dir_all(out.join("plots")).unwrap();
    let o = plot(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        pictures(&out) == drawn,
        "kubesim plot drew the comparison differently"
    );
    // A broken comparison file is named with its line.
    let c = read(&out, "comparison.csv").replacen(",80,", ",eighty,", 1);
    fs::write(out.join("comparison.csv"), c).unwrap();
    fails_with(
        &out,
        &["comparison.csv:2: column mean: expected a number, got \"eighty\""],
    );
}
