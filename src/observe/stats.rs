//! Run statistics for `summary.json`.

use crate::api::pod::Phase;
use crate::engine::SimTime;
use crate::store::Store;
use std::collections::BTreeMap;

/// Nearest-rank percentiles of a sample, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    /// Sample size.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

/// Nearest-rank percentiles (the smallest value with at least p% of the sample at or below
/// it) of `values` in ms, reported in seconds.
pub fn percentiles(values: &mut [i64]) -> Percentiles {
    if values.is_empty() {
        return Percentiles::default();
    }
    values.sort_unstable();
    let n = values.len();
    let rank = |p: f64| {
        let r = ((p / 100.0) * n as f64).ceil() as usize;
        values[r.clamp(1, n) - 1] as f64 / 1000.0
    };
    Percentiles {
        count: n as u64,
        p50: rank(50.0),
        p90: rank(90.0),
        p99: rank(99.0),
        max: values[n - 1] as f64 / 1000.0,
    }
}

/// What the summary is computed from besides the store.
#[derive(Clone, Debug, Default)]
pub struct SummaryInput {
    /// Scenario name.
    pub scenario: String,
    /// The scenario's description: language tag and text, English (`en`) first.
    pub descriptions: Vec<(String, String)>,
    /// Seed.
    pub seed: u64,
    /// Simulated duration.
    pub duration: SimTime,
    /// Wall-clock seconds the run took (the only non-deterministic figure).
    pub wall_seconds: f64,
    /// Events processed by the engine.
    pub events_processed: u64,
    /// Scheduling cycles run.
    pub scheduling_attempts: u64,
    /// Image pulls.
    pub image_pulls: u64,
    /// Pods preempted by the scheduler (0 until preemption is modelled).
    pub preemptions: u64,
    /// Mean and peak of cpu/memory allocation and usage.
    pub means: [f64; 4],
    /// Peaks of the same.
    pub peaks: [f64; 4],
    /// Warnings from loading.
    pub warnings: Vec<String>,
    /// When nothing could change any more, if before the end.
    pub quiet_from: Option<SimTime>,
    /// The timeline's commands and what each did.
    pub timeline: Vec<crate::component::CommandRecord>,
    /// The workloads at the end.
    pub workloads: Vec<super::WorkloadSummary>,
    /// The HPAs at the end, with their totals.
    pub hpas: Vec<super::HpaSummary>,
    /// The traffic flows' totals.
    pub flows: Vec<super::FlowTotals>,
    /// What the faults cost.
    pub fault_cost: super::FaultCostSummary,
    /// The PodDisruptionBudgets at the end.
    pub pdbs: Vec<super::PdbSummary>,
}

/// Everything `summary.json` reports.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Inputs carried over.
    pub input: SummaryInput,
    /// Pods by phase at the end (deleted pods counted as `Deleted`).
    pub pods_by_phase: BTreeMap<&'static str, u64>,
    /// Pods created in all.
    pub pods_created: u64,
    /// Time from creation to binding, over bound pods.
    pub scheduling_latency: Percentiles,
    /// Time from creation to Running, over pods that started (and, separately counted, the
    /// still-pending pods' waits so far are not included).
    pub pending_time: Percentiles,
    /// Pods still not bound at the end.
    pub unscheduled_at_end: u64,
    /// Jobs by final condition (`Complete`, `Failed`, `Running`).
    pub jobs: BTreeMap<&'static str, u64>,
    /// Last pod finish time among finished pods (makespan), seconds.
    pub makespan_s: Option<f64>,
}

impl Summary {
    /// Computes the summary at the end of a run.
    pub fn compute(store: &Store, input: SummaryInput) -> Summary {
        let mut by_phase: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut latency = Vec::new();
        let mut pending = Vec::new();
        let mut unscheduled = 0;
        let mut makespan: Option<SimTime> = None;
        for p in store.pods() {
            let key = if p.status.deleted.is_some() && !p.phase().is_terminal() {
                "Deleted"
            } else {
                p.phase().as_str()
            };
            *by_phase.entry(key).or_default() += 1;
            match p.status.scheduled {
                Some(s) => latency.push(s - p.status.created),
                None if p.status.deleted.is_none() && p.phase() == Phase::Pending => {
                    unscheduled += 1
                }
                None => {}
            }
            if let Some(s) = p.status.started {
                pending.push(s - p.status.created);
            }
            if let Some(f) = p.status.finished {
                makespan = Some(makespan.map_or(f, |m| m.max(f)));
            }
        }
        let mut jobs: BTreeMap<&'static str, u64> = BTreeMap::new();
        for j in store.jobs() {
            *jobs
                .entry(j.status.condition.unwrap_or("Running"))
                .or_default() += 1;
        }
        Summary {
            pods_created: store.pods().len() as u64,
            pods_by_phase: by_phase,
            scheduling_latency: percentiles(&mut latency),
            pending_time: percentiles(&mut pending),
            unscheduled_at_end: unscheduled,
            jobs,
            makespan_s: makespan.map(|m| m.as_secs_f64()),
            input,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<i64> = (1..=100).map(|x| x * 1000).collect();
        let p = percentiles(&mut v);
        assert_eq!(
            (p.p50, p.p90, p.p99, p.max, p.count),
            (50.0, 90.0, 99.0, 100.0, 100)
        );
        let mut one = vec![1500];
        assert_eq!(percentiles(&mut one).p99, 1.5);
        assert_eq!(percentiles(&mut []).count, 0);
    }
}
