//! The metric sampler: cluster and node-pool totals at a fixed interval, read from the store,
//! the pod tally and the components' exported metrics.

use super::{FreeHistory, MetricSample, PodTally};
use crate::component::ComponentMetrics;
use crate::engine::SimTime;
use crate::store::{NodeId, Store};

/// Cluster totals at one instant, from which the sampler writes its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterState {
    /// Nodes in the cluster.
    pub nodes: u64,
    /// Pods by phase (Pending, Running, Succeeded, Failed).
    pub pods_pending: u64,
    /// Running pods.
    pub pods_running: u64,
    /// Succeeded pods.
    pub pods_succeeded: u64,
    /// Failed pods.
    pub pods_failed: u64,
    /// Summed cpu requests of pods on nodes, millicores.
    pub cpu_requested_m: i64,
    /// Summed allocatable cpu, millicores.
    pub cpu_allocatable_m: i64,
    /// Summed memory requests, bytes.
    pub memory_requested: i64,
    /// Summed allocatable memory, bytes.
    pub memory_allocatable: i64,
    /// CPU used by running pods, millicores.
    pub cpu_usage_m: i64,
    /// Memory used by running pods, bytes.
    pub memory_usage: i64,
    /// Scheduler queue: activeQ, backoffQ, unschedulable pool.
    pub queue: (u64, u64, u64),
    /// Per node pool, in pool order: the same requested / allocatable sums.
    pub pools: Vec<PoolState>,
    /// Free (allocatable - requested) cpu millicores and memory bytes of every node, in node
    /// order; filled only when the sampler keeps them ([`Sampler::keeps_node_free`]).
    pub node_free: Vec<(i64, i64)>,
}

/// Requested and allocatable resources of one node pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolState {
    /// Pool name.
    pub name: String,
    /// Nodes in the pool.
    pub nodes: u64,
    /// Summed cpu requests, millicores.
    pub cpu_requested_m: i64,
    /// Summed allocatable cpu, millicores.
    pub cpu_allocatable_m: i64,
    /// Summed memory requests, bytes.
    pub memory_requested: i64,
    /// Summed allocatable memory, bytes.
    pub memory_allocatable: i64,
}

impl ClusterState {
    /// The cluster now: nodes and their requests from the store, pods from the tally, the
    /// scheduler's queues from its metrics. With `keep_free`, each node's free resources too.
    pub fn read(
        store: &Store,
        tally: &PodTally,
        metrics: &ComponentMetrics,
        keep_free: bool,
    ) -> ClusterState {
        let mut s = ClusterState {
            nodes: store.nodes().len() as u64,
            ..Default::default()
        };
        for (i, node) in store.nodes().iter().enumerate() {
            let (cpu, memory) = store.requested_on_node(NodeId(i as u32));
            let a = &node.allocatable;
            if keep_free {
                s.node_free.push((a.cpu_m - cpu, a.memory - memory));
            }
            s.cpu_requested_m += cpu;
            s.memory_requested += memory;
            s.cpu_allocatable_m += a.cpu_m;
            s.memory_allocatable += a.memory;
            if let Some(pool) = &node.pool {
                let i = match s.pools.iter().position(|p| &p.name == pool) {
                    Some(i) => i,
                    None => {
                        s.pools.push(PoolState {
                            name: pool.clone(),
                            ..Default::default()
                        });
                        s.pools.len() - 1
                    }
                };
                let p = &mut s.pools[i];
                p.nodes += 1;
                p.cpu_requested_m += cpu;
                p.memory_requested += memory;
                p.cpu_allocatable_m += a.cpu_m;
                p.memory_allocatable += a.memory;
            }
        }
        [
            s.pods_pending,
            s.pods_running,
            s.pods_succeeded,
            s.pods_failed,
        ] = tally.by_phase();
        (s.cpu_usage_m, s.memory_usage) = tally.usage();
        s.queue = (
            metrics.scheduler_active,
            metrics.scheduler_backoff,
            metrics.scheduler_unschedulable,
        );
        s
    }
}

/// Samples the cluster at a fixed interval and keeps the running means and peaks for the
/// summary.
#[derive(Clone, Debug, Default)]
pub struct Sampler {
    samples: u64,
    sums: [f64; 4],
    peaks: [f64; 4],
    /// The fractions of the last sample.
    last: [f64; 4],
    node_free: Option<FreeHistory>,
    /// The rows of the last sample (reused: a sample allocates nothing new once warm).
    rows: Vec<MetricSample>,
}

fn ratio(a: i64, b: i64) -> f64 {
    if b <= 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Sampler {
    /// Also keep every node's free resources at each sample (for the fragmentation metric;
    /// memory grows with samples x nodes).
    pub fn keep_node_free(&mut self) {
        self.node_free.get_or_insert_with(FreeHistory::default);
    }

    /// Whether per-node free resources are kept.
    pub fn keeps_node_free(&self) -> bool {
        self.node_free.is_some()
    }

    /// The per-node free resources of every sample, when kept.
    pub fn node_free(&self) -> Option<&FreeHistory> {
        self.node_free.as_ref()
    }

    /// Rows for one sample of `state` at `time`.
    pub fn sample(&mut self, time: SimTime, s: &ClusterState) -> &[MetricSample] {
        if let Some(h) = &mut self.node_free {
            h.push_sample(s.node_free.iter().copied());
        }
        let fractions = [
            ratio(s.cpu_requested_m, s.cpu_allocatable_m),
            ratio(s.memory_requested, s.memory_allocatable),
            ratio(s.cpu_usage_m, s.cpu_allocatable_m),
            ratio(s.memory_usage, s.memory_allocatable),
        ];
        self.samples += 1;
        self.last = fractions;
        for (i, f) in fractions.iter().enumerate() {
            self.sums[i] += f;
            self.peaks[i] = self.peaks[i].max(*f);
        }
        let row = |metric: &'static str, value: f64| MetricSample {
            time,
            metric,
            object: "cluster".to_string(),
            value,
        };
        let rows = &mut self.rows;
        rows.clear();
        rows.extend([
            row("nodes", s.nodes as f64),
            row("pods_pending", s.pods_pending as f64),
            row("pods_running", s.pods_running as f64),
            row("pods_succeeded", s.pods_succeeded as f64),
            row("pods_failed", s.pods_failed as f64),
            row("cpu_requested_cores", s.cpu_requested_m as f64 / 1000.0),
            row("memory_requested_bytes", s.memory_requested as f64),
            row("cpu_allocation", fractions[0]),
            row("memory_allocation", fractions[1]),
            row("cpu_usage", fractions[2]),
            row("memory_usage", fractions[3]),
            row("scheduler_queue_active", s.queue.0 as f64),
            row("scheduler_queue_backoff", s.queue.1 as f64),
            row("scheduler_queue_unschedulable", s.queue.2 as f64),
        ]);
        for p in &s.pools {
            let object = format!("nodepool/{}", p.name);
            let pool_row = |metric: &'static str, value: f64| MetricSample {
                time,
                metric,
                object: object.clone(),
                value,
            };
            rows.push(pool_row("nodes", p.nodes as f64));
            rows.push(pool_row(
                "cpu_allocation",
                ratio(p.cpu_requested_m, p.cpu_allocatable_m),
            ));
            rows.push(pool_row(
                "memory_allocation",
                ratio(p.memory_requested, p.memory_allocatable),
            ));
        }
        rows
    }

    /// Counts the last sample `k` more times in the means (the run is quiet: the samples
    /// not taken would repeat it).
    pub fn repeat_last(&mut self, k: u64) {
        self.samples += k;
        for (sum, last) in self.sums.iter_mut().zip(self.last) {
            *sum += last * k as f64;
        }
        if let Some(h) = &mut self.node_free {
            h.repeat_last(k);
        }
    }

    /// Mean and peak of (cpu allocation, memory allocation, cpu usage, memory usage), as
    /// fractions of allocatable.
    pub fn means_and_peaks(&self) -> ([f64; 4], [f64; 4]) {
        let n = self.samples.max(1) as f64;
        (self.sums.map(|s| s / n), self.peaks)
    }
}
