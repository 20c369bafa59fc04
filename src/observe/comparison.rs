//! The per-run metrics `kubesim compare` reports, and their means with 95% intervals over
//! replicate runs.

use super::Sampler;
use super::estimate::{MeanCi, mean_ci95};
use super::fragmentation::ReferencePod;
use super::stats::{Summary, percentiles};
use crate::store::Store;

/// Metric names, in report order (the `metric` column of `comparison.csv` and the metric
/// columns of `runs.csv`).
pub const METRICS: [&str; 15] = [
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
    "cpu_usage_mean",
    "unserved_share",
    "hpa_scale_events",
    "hpa_seconds_at_max",
];

/// Metrics of one finished run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunMetrics {
    /// Pods bound by the scheduler (pods given with `spec.nodeName` are not counted).
    pub pods_scheduled: u64,
    /// Median time from creation to binding over those pods, seconds (nearest rank).
    pub scheduling_latency_p50_s: Option<f64>,
    /// 99th percentile of the same, seconds.
    pub scheduling_latency_p99_s: Option<f64>,
    /// Scheduling cycles run.
    pub scheduling_attempts: u64,
    /// Mean CPU allocation (requested / allocatable) over the metric samples.
    pub cpu_allocation_mean: f64,
    /// Peak CPU allocation.
    pub cpu_allocation_peak: f64,
    /// Mean memory allocation.
    pub memory_allocation_mean: f64,
    /// Peak memory allocation.
    pub memory_allocation_peak: f64,
    /// Time-averaged stranded share of free CPU (see [`super::fragmentation`]); `None` when
    /// the sampler did not keep per-node free resources.
    pub fragmentation: Option<f64>,
    /// Pods preempted (the scheduler's counter; 0 until preemption is modelled).
    pub preemptions: u64,
    /// When the last pod finished, seconds, if the workload is finite and every pod and Job
    /// finished within the run; `None` otherwise.
    pub makespan_s: Option<f64>,
    /// Mean CPU usage (used / allocatable) over the metric samples.
    pub cpu_usage_mean: f64,
    /// Requests unserved over requests offered, over every flow with a target; `None`
    /// without traffic.
    pub unserved_share: Option<f64>,
    /// Rescales of every HPA; `None` without HPAs.
    pub hpa_scale_events: Option<u64>,
    /// Seconds each HPA spent at `maxReplicas`, summed; `None` without HPAs.
    pub hpa_seconds_at_max: Option<f64>,
    /// The reference pod the fragmentation was judged with.
    pub reference: ReferencePod,
    /// Every started pod's pending time (creation to Running), milliseconds, sorted.
    pub pending_ms: Vec<i64>,
}

/// Requests that replace the run's median in the reference pod (`None` keeps the median).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferenceOverride {
    /// CPU request, millicores.
    pub cpu_m: Option<i64>,
    /// Memory request, bytes.
    pub memory: Option<i64>,
}

impl RunMetrics {
    /// Metrics of a finished run from its store, summary and sampler. `arrivals_remaining`
    /// is the number of arrivals not yet created when the run ended (a makespan needs 0).
    pub fn compute(
        store: &Store,
        summary: &Summary,
        sampler: &Sampler,
        arrivals_remaining: u64,
        reference: ReferenceOverride,
    ) -> RunMetrics {
        let mut waits: Vec<i64> = store
            .pods()
            .iter()
            .filter(|p| p.status.scheduling_attempts > 0)
            .filter_map(|p| p.status.scheduled.map(|s| s - p.status.created))
            .collect();
        let pending = percentiles(&mut waits);
        let median = ReferencePod::median_of(store);
        let reference = ReferencePod {
            cpu_m: reference.cpu_m.unwrap_or(median.cpu_m),
            memory: reference.memory.unwrap_or(median.memory),
        };
        let (means, peaks) = sampler.means_and_peaks();
        let mut pending_ms: Vec<i64> = store
            .pods()
            .iter()
            .filter_map(|p| p.status.started.map(|s| s - p.status.created))
            .collect();
        pending_ms.sort_unstable();
        let (flows, hpas) = (&summary.input.flows, &summary.input.hpas);
        let offered: f64 = flows.iter().map(|f| f.offered).sum();
        let unserved: f64 = flows.iter().map(|f| f.unserved).sum();
        RunMetrics {
            pending_ms,
            pods_scheduled: pending.count,
            scheduling_latency_p50_s: (pending.count > 0).then_some(pending.p50),
            scheduling_latency_p99_s: (pending.count > 0).then_some(pending.p99),
            scheduling_attempts: summary.input.scheduling_attempts,
            cpu_allocation_mean: means[0],
            cpu_allocation_peak: peaks[0],
            memory_allocation_mean: means[1],
            memory_allocation_peak: peaks[1],
            fragmentation: sampler.node_free().map(|h| h.fragmentation(reference)),
            preemptions: summary.input.preemptions,
            makespan_s: makespan(store, arrivals_remaining),
            cpu_usage_mean: means[2],
            unserved_share: (offered > 0.0).then(|| unserved / offered),
            hpa_scale_events: (!hpas.is_empty())
                .then(|| hpas.iter().map(|h| h.totals.scale_events).sum()),
            hpa_seconds_at_max: (!hpas.is_empty())
                .then(|| hpas.iter().map(|h| h.totals.seconds_at_max).sum()),
            reference,
        }
    }

    /// The values in [`METRICS`] order (`None` where a value does not exist).
    pub fn values(&self) -> [Option<f64>; 15] {
        [
            Some(self.pods_scheduled as f64),
            self.scheduling_latency_p50_s,
            self.scheduling_latency_p99_s,
            Some(self.scheduling_attempts as f64),
            Some(self.cpu_allocation_mean),
            Some(self.cpu_allocation_peak),
            Some(self.memory_allocation_mean),
            Some(self.memory_allocation_peak),
            self.fragmentation,
            Some(self.preemptions as f64),
            self.makespan_s,
            Some(self.cpu_usage_mean),
            self.unserved_share,
            self.hpa_scale_events.map(|n| n as f64),
            self.hpa_seconds_at_max,
        ]
    }
}

/// The latest finish (or deletion) time over all pods, in seconds, when no arrival is still
/// due, every Job has a final condition and every pod has finished or been deleted.
fn makespan(store: &Store, arrivals_remaining: u64) -> Option<f64> {
    if arrivals_remaining > 0
        || store.pods().is_empty()
        || store.jobs().iter().any(|j| j.status.condition.is_none())
    {
        return None;
    }
    let mut last = None;
    for p in store.pods() {
        let end = p.status.finished.or(p.status.deleted)?;
        last = Some(last.map_or(end, |l: crate::engine::SimTime| l.max(end)));
    }
    last.map(|t| t.as_secs_f64())
}

/// One run of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRun {
    /// Scheduler profile every pod used.
    pub scheduler: String,
    /// Replicate number, from 0.
    pub replicate: u32,
    /// The run's seed.
    pub seed: u64,
    /// Its metrics.
    pub metrics: RunMetrics,
}

/// One metric of one scheduler across its replicates.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricEstimate {
    /// Scheduler profile.
    pub scheduler: String,
    /// Metric name (from [`METRICS`]).
    pub metric: &'static str,
    /// Mean and interval over the runs where the value exists (`None` if in none).
    pub estimate: Option<MeanCi>,
}

/// Mean and 95% interval of every metric for each scheduler, in the order of `schedulers`
/// and [`METRICS`]; the values are taken in the order of `runs`.
pub fn summarize(runs: &[CompareRun], schedulers: &[String]) -> Vec<MetricEstimate> {
    let mut out = Vec::with_capacity(schedulers.len() * METRICS.len());
    for s in schedulers {
        let values: Vec<[Option<f64>; 15]> = runs
            .iter()
            .filter(|r| &r.scheduler == s)
            .map(|r| r.metrics.values())
            .collect();
        for (k, metric) in METRICS.iter().enumerate() {
            let column: Vec<f64> = values.iter().filter_map(|v| v[k]).collect();
            out.push(MetricEstimate {
                scheduler: s.clone(),
                metric,
                estimate: mean_ci95(&column),
            });
        }
    }
    out
}

/// Percentiles 0, 1, ..., 100 of the pending times of each scheduler's runs pooled (nearest
/// rank, seconds), in the order of `schedulers`; a scheduler whose pods never started has none.
pub fn pending_percentiles(runs: &[CompareRun], schedulers: &[String]) -> Vec<(String, Vec<f64>)> {
    schedulers
        .iter()
        .filter_map(|s| {
            let mut all: Vec<i64> = runs
                .iter()
                .filter(|r| &r.scheduler == s)
                .flat_map(|r| r.metrics.pending_ms.iter().copied())
                .collect();
            if all.is_empty() {
                return None;
            }
            all.sort_unstable();
            let n = all.len();
            let at = |p: usize| {
                let rank = (p * n).div_ceil(100).clamp(1, n);
                all[rank - 1] as f64 / 1000.0
            };
            Some((s.clone(), (0..=100).map(at).collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(scheduler: &str, replicate: u32, scheduled: u64, makespan: Option<f64>) -> CompareRun {
        CompareRun {
            scheduler: scheduler.into(),
            replicate,
            seed: 1 + u64::from(replicate),
            metrics: RunMetrics {
                pods_scheduled: scheduled,
                makespan_s: makespan,
                ..Default::default()
            },
        }
    }

    #[test]
    fn summaries_follow_scheduler_then_metric_order_and_skip_missing_values() {
        let runs = vec![
            run("a", 0, 10, Some(100.0)),
            run("a", 1, 12, None),
            run("b", 0, 7, None),
        ];
        let s = summarize(&runs, &["b".to_string(), "a".to_string()]);
        assert_eq!(s.len(), 2 * METRICS.len());
        assert_eq!(
            (s[0].scheduler.as_str(), s[0].metric),
            ("b", "pods_scheduled")
        );
        let a_sched = &s[METRICS.len()];
        assert_eq!(a_sched.scheduler, "a");
        let e = a_sched.estimate.unwrap();
        assert_eq!((e.n, e.mean), (2, 11.0));
        let a_makespan = s
            .iter()
            .find(|m| m.scheduler == "a" && m.metric == "makespan_s");
        let e = a_makespan.unwrap().estimate.unwrap();
        assert_eq!((e.n, e.mean, e.half_width), (1, 100.0, None));
        let b_makespan = s
            .iter()
            .find(|m| m.scheduler == "b" && m.metric == "makespan_s");
        assert_eq!(b_makespan.unwrap().estimate, None);
    }

    #[test]
    fn pending_percentiles_pool_each_schedulers_runs() {
        let run = |scheduler: &str, pending_ms: Vec<i64>| CompareRun {
            scheduler: scheduler.into(),
            replicate: 0,
            seed: 1,
            metrics: RunMetrics {
                pending_ms,
                ..Default::default()
            },
        };
        let runs = vec![
            run("a", (1..=50).map(|s| s * 1000).collect()),
            run("a", (51..=100).map(|s| s * 1000).collect()),
            run("b", vec![]),
        ];
        let p = pending_percentiles(&runs, &["a".into(), "b".into()]);
        assert_eq!(p.len(), 1, "b has no started pod");
        let (name, values) = &p[0];
        assert_eq!(name, "a");
        assert_eq!(values.len(), 101);
        assert_eq!(
            (values[0], values[50], values[99], values[100]),
            (1.0, 50.0, 99.0, 100.0)
        );
    }
}
