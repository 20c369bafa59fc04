//! What a run will cost before it starts: how many pods it may create (kubesim keeps each in
//! memory) and roughly how many bytes each output file will take, so that a run that would
//! exhaust memory or fill a disk is refused or warned about before it begins.
//!
//! The byte figures are per-row sizes measured on `scenarios/bench-batch-1k.yaml` (README,
//! "Limits"); they are estimates, not bounds. The run itself stops at `--max-output`.

use super::{EventRows, PodRows, Scenario};
use crate::api::arrival::{ArrivalTemplate, Source};
use crate::engine::SimTime;

/// Bytes of one `pods.csv` row (measured: 118).
const POD_ROW: u64 = 120;
/// Bytes of the Events of one pod's life (measured: 4 Events of 90 bytes).
const POD_EVENTS: u64 = 360;
/// Bytes of one `metrics.csv` row (measured: 40).
const METRIC_ROW: u64 = 40;
/// Bytes per evaluated node of one `scheduling.jsonl` record (measured: 80), and its rest.
const EXPLAIN_PER_NODE: u64 = 80;
const EXPLAIN_RECORD: u64 = 400;
/// Metric rows per sample: the cluster's, five per node pool, two per node when written.
const CLUSTER_ROWS: u64 = 18;
const POOL_ROWS: u64 = 5;
const NODE_ROWS: u64 = 2;
/// In a run with faults, per sample: the cluster's `nodes_ready`, each node's `node_ready`
/// when node rows are written, and each Deployment's, DaemonSet's and StatefulSet's
/// `availability`.
const FAULT_CLUSTER_ROWS: u64 = 1;
const FAULT_NODE_ROWS: u64 = 1;
const FAULT_WORKLOAD_ROWS: u64 = 1;
/// Share of a pod's Events that are Warnings, for `output.events: warnings` (a rough figure:
/// a pod that schedules at once has none, one that waits has several).
const WARNING_SHARE: u64 = 4;
/// How long after its last arrival a run is assumed to stay busy, for the metric estimate
/// (a run that has gone quiet stops sampling).
const SETTLE_MS: i64 = 3_600_000;

/// A run's estimated cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Pods the run may create (static pods, one per Job completion, every arrival).
    pub pods: u64,
    /// Estimated bytes of each output file, in the order the run writes them.
    pub files: Vec<(&'static str, u64)>,
}

impl Estimate {
    /// Estimated bytes of all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, b)| b).sum()
    }

    /// `pods.csv ≈ 12 MB, events.csv ≈ 36 MB, ...`, largest first.
    pub fn breakdown(&self) -> String {
        let mut files = self.files.clone();
        files.sort_by_key(|f| std::cmp::Reverse(f.1));
        files
            .iter()
            .map(|(name, b)| format!("{name} ≈ {}", bytes_text(*b)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Estimates what running `s` costs.
pub fn estimate(s: &Scenario) -> Estimate {
    let mut pods = s.pods.len() as u64;
    let mut last_arrival = SimTime::ZERO;
    for job in &s.jobs {
        pods = pods.saturating_add(job_pods(job.spec.completions, job.spec.parallelism));
    }
    for source in &s.arrivals {
        match source {
            Source::Stream(a) => {
                let per = match &a.template {
                    ArrivalTemplate::Pod { .. } => 1,
                    ArrivalTemplate::Job { spec, .. } => {
                        job_pods(spec.completions, spec.parallelism)
                    }
                };
                pods = pods.saturating_add(a.count.saturating_mul(per));
                let span = a.every.mean_ms() * a.count as f64;
                let end = a.start.ms() as f64 + span;
                last_arrival = last_arrival.max(SimTime(end.min(i64::MAX as f64 / 2.0) as i64));
            }
            Source::Trace { rows, .. } => {
                pods = pods.saturating_add(rows.len() as u64);
                if let Some(r) = rows.last() {
                    last_arrival = last_arrival.max(SimTime(r.arrival_ms));
                }
            }
        }
    }
    let busy_ms = (last_arrival.ms().saturating_add(SETTLE_MS)).min(s.duration.ms());
    let samples = (busy_ms / s.output.metrics_interval_ms.max(1)) as u64 + 2;
    let pools = s
        .nodes
        .iter()
        .filter_map(|n| n.pool.as_deref())
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    let nodes = if s.writes_node_metrics() {
        s.nodes.len() as u64
    } else {
        0
    };
    let mut per_sample = CLUSTER_ROWS + POOL_ROWS * pools + NODE_ROWS * nodes;
    if s.has_faults() {
        let workloads = s.deployments.len() + s.daemon_sets.len() + s.stateful_sets.len();
        per_sample +=
            FAULT_CLUSTER_ROWS + FAULT_NODE_ROWS * nodes + FAULT_WORKLOAD_ROWS * workloads as u64;
    }
    let metric_rows = samples.saturating_mul(per_sample);
    let pod_rows = match s.output.pods {
        PodRows::All => pods,
        PodRows::None => 0,
        PodRows::Sample { ppm } => pods.saturating_mul(u64::from(ppm)) / 1_000_000,
    };
    let event_bytes = match s.output.events {
        EventRows::All => POD_EVENTS,
        EventRows::Warnings => POD_EVENTS / WARNING_SHARE,
        EventRows::None => 0,
    };
    let mut files = vec![
        ("pods.csv", pod_rows.saturating_mul(POD_ROW)),
        ("events.csv", pods.saturating_mul(event_bytes)),
        ("metrics.csv", metric_rows.saturating_mul(METRIC_ROW)),
    ];
    if s.output.explain {
        let per_attempt = EXPLAIN_RECORD + EXPLAIN_PER_NODE * s.nodes.len() as u64;
        files.push(("scheduling.jsonl", pods.saturating_mul(per_attempt)));
    }
    Estimate { pods, files }
}

/// Pods of one Job: its completions (or its parallelism when it has none).
fn job_pods(completions: Option<u32>, parallelism: u32) -> u64 {
    u64::from(completions.unwrap_or(parallelism).max(1))
}

/// `1.2 GB`, `340 MB`, `12 kB` (decimal units, as `ls -h --si`).
pub fn bytes_text(b: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 || v >= 10.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parses a size such as `4GB`, `500MB`, `2GiB` or a plain number of bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("expected a size such as 4GB or 500MiB, got {text:?}"))?;
    let scale: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0f64.powi(4),
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?} (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"
            ));
        }
    };
    Ok((n * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::testing::{POD, sim};

    fn scenario(text: &str) -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, text).unwrap();
        crate::scenario::load_scenario(&[path]).unwrap()
    }

    #[test]
    fn counts_every_pod_the_run_may_create() {
        let arrivals = "  arrivals:\n  - name: a\n    count: 10000000000\n    every: 0s\n    template: {kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}\n";
        let s = scenario(&format!("{}---\n{POD}", sim(arrivals)));
        let e = estimate(&s);
        assert_eq!(e.pods, 10_000_000_001);
        assert_eq!(e.files[0], ("pods.csv", 10_000_000_001 * POD_ROW));
        // Every arrival comes at once: the metric estimate stops an hour later.
        let metrics = e.files[2].1;
        assert!(metrics < 1_000_000, "{metrics}");
    }

    #[test]
    fn output_controls_shrink_the_estimate() {
        let arrivals = "  arrivals:\n  - name: a\n    count: 100000\n    every: 10ms\n    template: {kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}\n";
        let full = estimate(&scenario(&sim(arrivals)));
        let controlled = |output: &str| {
            let text = format!("{}  output:\n{output}", sim(arrivals));
            estimate(&scenario(&text))
        };
        let sampled = controlled("    pods: 1%\n    events: none\n    nodeMetrics: false\n");
        assert_eq!(sampled.files[0].1, 1_000 * POD_ROW);
        assert_eq!(sampled.files[1].1, 0);
        // A one-hour run sampled every 15 s: 242 samples estimated; three nodes add two rows each.
        let per_sample = |e: &Estimate| e.files[2].1 / METRIC_ROW / 242;
        assert_eq!(per_sample(&full), CLUSTER_ROWS + POOL_ROWS + 3 * NODE_ROWS);
        assert_eq!(per_sample(&sampled), CLUSTER_ROWS + POOL_ROWS);
        let warnings = controlled("    events: warnings\n");
        assert_eq!(warnings.files[1].1, full.files[1].1 / WARNING_SHARE);
    }

    #[test]
    fn faults_add_their_series() {
        let faults = "  faults:\n  - {type: node-crash, mtbf: 72h, mttr: 30m}\n";
        let deployment = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x}]}\n";
        let without = estimate(&scenario(&format!("{}{deployment}", sim(""))));
        let with = estimate(&scenario(&format!("{}{deployment}", sim(faults))));
        let per_sample = |e: &Estimate| e.files[2].1 / METRIC_ROW / 242;
        // nodes_ready, three nodes' node_ready and web's availability.
        assert_eq!(per_sample(&with), per_sample(&without) + 1 + 3 + 1);
    }

    #[test]
    fn sizes_read_and_print() {
        assert_eq!(parse_bytes("4GB").unwrap(), 4_000_000_000);
        assert_eq!(parse_bytes("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_bytes("1.5 MB").unwrap(), 1_500_000);
        assert_eq!(parse_bytes("123").unwrap(), 123);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("4 parsecs").is_err());
        assert_eq!(bytes_text(8_049_011_192), "8.0 GB");
        assert_eq!(bytes_text(999), "999 B");
        assert_eq!(bytes_text(35_843_697), "36 MB");
    }
}
