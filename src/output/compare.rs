//! The files of `kubesim compare`: `comparison.csv` (long format: one row per scheduler and
//! metric) and `runs.csv` (one row per run), each written to a temporary file and renamed
//! into place.

use super::format_value;
use crate::observe::comparison::{CompareRun, METRICS, MetricEstimate, pending_percentiles};
use std::fs;
use std::io;
use std::path::Path;

/// Column header of `comparison.csv`.
pub const COMPARISON_HEADER: &str = "scheduler,metric,mean,ci95_low,ci95_high,n";

/// Column header of `runs.csv`: the run, then every metric, then the reference pod.
pub fn runs_header() -> String {
    let mut h = String::from("scheduler,replicate,seed");
    for m in METRICS {
        h.push(',');
        h.push_str(m);
    }
    h.push_str(",reference_cpu_m,reference_memory_bytes");
    h
}

fn opt(v: Option<f64>) -> String {
    v.map(format_value).unwrap_or_default()
}

/// The text of `comparison.csv`.
pub fn comparison_csv(estimates: &[MetricEstimate]) -> io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(COMPARISON_HEADER.split(','))?;
    for e in estimates {
        let (mean, low, high, n) = match &e.estimate {
            Some(ci) => (Some(ci.mean), ci.low(), ci.high(), ci.n),
            None => (None, None, None, 0),
        };
        w.write_record([
            e.scheduler.as_str(),
            e.metric,
            &opt(mean),
            &opt(low),
            &opt(high),
            &n.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// The text of `runs.csv`.
pub fn runs_csv(runs: &[CompareRun]) -> io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(runs_header().split(','))?;
    for r in runs {
        let mut row = vec![
            r.scheduler.clone(),
            r.replicate.to_string(),
            r.seed.to_string(),
        ];
        row.extend(r.metrics.values().iter().map(|v| opt(*v)));
        row.push(r.metrics.reference.cpu_m.to_string());
        row.push(r.metrics.reference.memory.to_string());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// Column header of `pending.csv`.
pub const PENDING_HEADER: &str = "scheduler,percentile,pending_time_s";

/// The text of `pending.csv`: percentiles 0 to 100 of each scheduler's pending times.
pub fn pending_csv(percentiles: &[(String, Vec<f64>)]) -> io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(PENDING_HEADER.split(','))?;
    for (scheduler, values) in percentiles {
        for (p, v) in values.iter().enumerate() {
            w.write_record([scheduler.as_str(), &p.to_string(), &format_value(*v)])?;
        }
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// Writes `bytes` to `dir/name` through a temporary file in the same directory and a rename,
/// so a reader never sees half a file.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, dir.join(name)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` if needed and writes `comparison.csv` and `runs.csv` into it.
pub fn write_comparison(
    dir: &Path,
    estimates: &[MetricEstimate],
    runs: &[CompareRun],
    schedulers: &[String],
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    write_atomically(dir, "runs.csv", &runs_csv(runs)?)?;
    let pending = pending_percentiles(runs, schedulers);
    write_atomically(dir, "pending.csv", &pending_csv(&pending)?)?;
    write_atomically(dir, "comparison.csv", &comparison_csv(estimates)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::comparison::{RunMetrics, summarize};

    fn run(scheduler: &str, replicate: u32, scheduled: u64) -> CompareRun {
        CompareRun {
            scheduler: scheduler.into(),
            replicate,
            seed: 42 + u64::from(replicate),
            metrics: RunMetrics {
                pods_scheduled: scheduled,
                cpu_allocation_mean: 0.25,
                ..Default::default()
            },
        }
    }

    #[test]
    fn long_comparison_and_wide_runs() {
        let runs = vec![run("a", 0, 10), run("a", 1, 12), run("b", 0, 9)];
        let est = summarize(&runs, &["a".into(), "b".into()]);
        let text = String::from_utf8(comparison_csv(&est).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], COMPARISON_HEADER);
        assert_eq!(lines.len(), 1 + 2 * METRICS.len());
        // mean 11, s = sqrt(2), half-width 12.706 * sqrt(2) / sqrt(2) = 12.706.
        assert_eq!(lines[1], "a,pods_scheduled,11,-1.706,23.706,2");
        assert!(lines.contains(&"b,pods_scheduled,9,,,1"), "{text}");
        assert!(lines.contains(&"b,makespan_s,,,,0"), "{text}");

        let text = String::from_utf8(runs_csv(&runs).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], runs_header());
        assert!(lines[0].starts_with("scheduler,replicate,seed,pods_scheduled,"));
        assert_eq!(lines[1], "a,0,42,10,,,0,0.25,0,0,0,,0,,0,,,,0,0");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn atomic_write_leaves_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write_atomically(dir.path(), "x.csv", b"a,b\n").unwrap();
        write_atomically(dir.path(), "x.csv", b"c,d\n").unwrap();
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x.csv"]);
        assert_eq!(fs::read(dir.path().join("x.csv")).unwrap(), b"c,d\n");
    }
}
