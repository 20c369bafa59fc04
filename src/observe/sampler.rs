//! The metric sampler: cluster, node-pool and (when kept) per-node figures at a fixed
//! interval, read from the store, the pod tally and the components' exported metrics. A
//! run with faults also gets the nodes that are Ready (`nodes_ready`, and each node's
//! `node_ready` with the per-node rows) and the workloads' `availability`.

use super::{FreeHistory, MetricSample, PodTally};
use crate::api::Phase;
use crate::api::node::{ConditionStatus, NodeConditionType};
use crate::api::output::PodRows;
use crate::component::ComponentMetrics;
use crate::engine::SimTime;
use crate::store::load::{Load, steady_usage};
use crate::store::{NodeId, PodId, Store};
use std::sync::Arc;

/// Requested, allocatable and used resources: cpu in millicores, memory in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// Summed cpu requests of pods on the nodes.
    pub cpu_requested_m: i64,
    /// Summed allocatable cpu.
    pub cpu_allocatable_m: i64,
    /// CPU used by running pods.
    pub cpu_usage_m: i64,
    /// Summed memory requests.
    pub memory_requested: i64,
    /// Summed allocatable memory.
    pub memory_allocatable: i64,
    /// Memory used by running pods.
    pub memory_usage: i64,
}

impl Resources {
    fn add(&mut self, o: &Resources) {
        self.cpu_requested_m += o.cpu_requested_m;
        self.cpu_allocatable_m += o.cpu_allocatable_m;
        self.cpu_usage_m += o.cpu_usage_m;
        self.memory_requested += o.memory_requested;
        self.memory_allocatable += o.memory_allocatable;
        self.memory_usage += o.memory_usage;
    }

    /// Requested cpu and memory as fractions of allocatable.
    fn allocation(&self) -> (f64, f64) {
        (
            ratio(self.cpu_requested_m, self.cpu_allocatable_m),
            ratio(self.memory_requested, self.memory_allocatable),
        )
    }

    /// Used cpu and memory as fractions of allocatable.
    fn usage(&self) -> (f64, f64) {
        (
            ratio(self.cpu_usage_m, self.cpu_allocatable_m),
            ratio(self.memory_usage, self.memory_allocatable),
        )
    }
}

/// Cluster totals at one instant, from which the sampler writes its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterState {
    /// Nodes in the cluster.
    pub nodes: u64,
    /// Nodes whose `Ready` condition is `True`.
    pub nodes_ready: u64,
    /// Pods by phase (Pending, Running, Succeeded, Failed).
    pub pods_pending: u64,
    /// Running pods.
    pub pods_running: u64,
    /// Succeeded pods.
    pub pods_succeeded: u64,
    /// Failed pods.
    pub pods_failed: u64,
    /// The cluster's resources.
    pub resources: Resources,
    /// Scheduler queue: activeQ, backoffQ, unschedulable pool.
    pub queue: (u64, u64, u64),
    /// Per node pool, in pool order.
    pub pools: Vec<PoolState>,
    /// Every node's resources, in node order; filled only when asked for
    /// ([`ClusterState::read`]'s `per_node`).
    pub node_resources: Vec<Resources>,
    /// Whether each node is Ready, in node order; filled with `node_resources`.
    pub node_ready: Vec<bool>,
}

/// The resources of one node pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolState {
    /// Pool name.
    pub name: String,
    /// Nodes in the pool.
    pub nodes: u64,
    /// Their resources.
    pub resources: Resources,
}

impl ClusterState {
    /// The cluster now: nodes and their requests from the store, pods and usage from the
    /// tally, the scheduler's queues from its metrics. With `per_node`, each node's resources
    /// too.
    pub fn read(
        store: &Store,
        tally: &PodTally,
        metrics: &ComponentMetrics,
        load: &Load,
        per_node: bool,
    ) -> ClusterState {
        let mut s = ClusterState {
            nodes: store.nodes().len() as u64,
            ..Default::default()
        };
        // The pods traffic reaches use what it costs them, not their steady usage.
        let mut traffic_delta: Vec<(i64, i64)> = Vec::new();
        for (&pod, usage) in &load.pods {
            let Some(node) = store.pod(pod).status.node else {
                continue;
            };
            let steady = steady_usage(store.pod(pod));
            let n = node as usize;
            if traffic_delta.len() <= n {
                traffic_delta.resize(n + 1, (0, 0));
            }
            traffic_delta[n].0 += (usage.cpu_m - steady.cpu_m).round() as i64;
            traffic_delta[n].1 += (usage.memory - steady.memory).round() as i64;
        }
        for (i, node) in store.nodes().iter().enumerate() {
            let (cpu, memory) = store.requested_on_node(NodeId(i as u32));
            let (cpu_used, memory_used) = tally.usage_on(i);
            let (dc, dm) = traffic_delta.get(i).copied().unwrap_or_default();
            let (cpu_used, memory_used) = (cpu_used + dc, memory_used + dm);
            let a = &node.allocatable;
            let r = Resources {
                cpu_requested_m: cpu,
                cpu_allocatable_m: a.cpu_m,
                cpu_usage_m: cpu_used,
                memory_requested: memory,
                memory_allocatable: a.memory,
                memory_usage: memory_used,
            };
            let ready = node.condition(NodeConditionType::Ready) == Some(ConditionStatus::True);
            s.nodes_ready += u64::from(ready);
            if per_node {
                s.node_resources.push(r);
                s.node_ready.push(ready);
            }
            s.resources.add(&r);
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
                s.pools[i].nodes += 1;
                s.pools[i].resources.add(&r);
            }
        }
        [
            s.pods_pending,
            s.pods_running,
            s.pods_succeeded,
            s.pods_failed,
        ] = tally.by_phase();
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
    /// Write `node/NAME` rows; the objects' names, in node order, once known.
    node_rows: Option<Vec<Arc<str>>>,
    /// Write what faults cost: `nodes_ready`, `node_ready` (with the node rows).
    fault_rows: bool,
    /// Write `pod/NS/NAME` usage rows for the pods `output.pods` keeps; their objects' names,
    /// by pod id, once known.
    pod_rows: Option<(PodRows, Vec<Option<Arc<str>>>)>,
    /// The rows of the last sample (reused: a sample allocates nothing new once warm).
    rows: Vec<MetricSample>,
    /// The workloads' replica series.
    workloads: super::WorkloadSeries,
    /// The disruption budgets' series.
    pdbs: super::PdbSeries,
    /// The traffic and HPA series.
    autoscaling: super::AutoscalingSeries,
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

    /// Also write each node's `cpu_allocation` and `memory_allocation` (object `node/NAME`).
    pub fn write_node_rows(&mut self) {
        self.node_rows.get_or_insert_with(Vec::new);
    }

    /// Also write the series of a run with faults: the cluster's `nodes_ready`, each node's
    /// `node_ready` when the node rows are written, and the workloads' `availability`.
    pub fn write_fault_rows(&mut self) {
        self.fault_rows = true;
        self.workloads.write_availability();
    }

    /// Also write each running pod's `cpu_usage_cores` and `memory_usage_bytes` (object
    /// `pod/NS/NAME`), for the pods `rows` keeps.
    pub fn write_pod_rows(&mut self, rows: PodRows) {
        self.pod_rows.get_or_insert_with(|| (rows, Vec::new()));
    }

    /// Whether samples need every node's resources.
    pub fn wants_nodes(&self) -> bool {
        self.node_free.is_some() || self.node_rows.is_some()
    }

    /// The per-node free resources of every sample, when kept.
    pub fn node_free(&self) -> Option<&FreeHistory> {
        self.node_free.as_ref()
    }

    /// Rows for one sample of `state` at `time` (`store` names the nodes; `load` is the
    /// traffic then), the sample standing for `interval_ms`.
    pub fn sample(
        &mut self,
        time: SimTime,
        s: &ClusterState,
        store: &Store,
        load: &Load,
        interval_ms: i64,
    ) -> &[MetricSample] {
        if let Some(h) = &mut self.node_free {
            h.push_sample(s.node_resources.iter().map(|r| {
                (
                    r.cpu_allocatable_m - r.cpu_requested_m,
                    r.memory_allocatable - r.memory_requested,
                )
            }));
        }
        let c = &s.resources;
        let (cpu_allocation, memory_allocation) = c.allocation();
        let (cpu_usage, memory_usage) = c.usage();
        let fractions = [cpu_allocation, memory_allocation, cpu_usage, memory_usage];
        self.samples += 1;
        self.last = fractions;
        for (i, f) in fractions.iter().enumerate() {
            self.sums[i] += f;
            self.peaks[i] = self.peaks[i].max(*f);
        }
        let cluster: Arc<str> = Arc::from("cluster");
        let row = |object: &Arc<str>, metric: &'static str, value: f64| MetricSample {
            time,
            metric,
            object: object.clone(),
            value,
        };
        let rows = &mut self.rows;
        rows.clear();
        rows.extend([
            row(&cluster, "nodes", s.nodes as f64),
            row(&cluster, "pods_pending", s.pods_pending as f64),
            row(&cluster, "pods_running", s.pods_running as f64),
            row(&cluster, "pods_succeeded", s.pods_succeeded as f64),
            row(&cluster, "pods_failed", s.pods_failed as f64),
            row(
                &cluster,
                "cpu_requested_cores",
                c.cpu_requested_m as f64 / 1000.0,
            ),
            row(
                &cluster,
                "memory_requested_bytes",
                c.memory_requested as f64,
            ),
            row(&cluster, "cpu_allocation", cpu_allocation),
            row(&cluster, "memory_allocation", memory_allocation),
            row(&cluster, "cpu_usage", cpu_usage),
            row(&cluster, "memory_usage", memory_usage),
            row(&cluster, "scheduler_queue_active", s.queue.0 as f64),
            row(&cluster, "scheduler_queue_backoff", s.queue.1 as f64),
            row(&cluster, "scheduler_queue_unschedulable", s.queue.2 as f64),
            row(
                &cluster,
                "cpu_allocatable_cores",
                c.cpu_allocatable_m as f64 / 1000.0,
            ),
            row(
                &cluster,
                "memory_allocatable_bytes",
                c.memory_allocatable as f64,
            ),
            row(&cluster, "cpu_usage_cores", c.cpu_usage_m as f64 / 1000.0),
            row(&cluster, "memory_usage_bytes", c.memory_usage as f64),
        ]);
        if self.fault_rows {
            rows.push(row(&cluster, "nodes_ready", s.nodes_ready as f64));
        }
        for p in &s.pools {
            let object: Arc<str> = Arc::from(format!("nodepool/{}", p.name));
            let (cpu, memory) = p.resources.allocation();
            let (cpu_used, memory_used) = p.resources.usage();
            rows.extend([
                row(&object, "nodes", p.nodes as f64),
                row(&object, "cpu_allocation", cpu),
                row(&object, "memory_allocation", memory),
                row(&object, "cpu_usage", cpu_used),
                row(&object, "memory_usage", memory_used),
            ]);
        }
        if let Some(objects) = &mut self.node_rows {
            for (i, r) in s.node_resources.iter().enumerate() {
                if objects.len() <= i {
                    let name = store.node(NodeId(i as u32)).name();
                    objects.push(Arc::from(format!("node/{name}")));
                }
                let (cpu, memory) = r.allocation();
                rows.push(row(&objects[i], "cpu_allocation", cpu));
                rows.push(row(&objects[i], "memory_allocation", memory));
                if self.fault_rows {
                    let ready = s.node_ready.get(i).copied().unwrap_or(false);
                    rows.push(row(&objects[i], "node_ready", f64::from(u8::from(ready))));
                }
            }
        }
        self.workloads.rows(store, time, rows);
        self.pdbs.rows(store, time, rows);
        self.autoscaling.rows(store, load, time, interval_ms, rows);
        if let Some((keep, objects)) = &mut self.pod_rows {
            pod_usage_rows(store, load, *keep, objects, time, rows);
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

    /// The traffic and HPA series' totals.
    pub fn autoscaling(&self) -> &super::AutoscalingSeries {
        &self.autoscaling
    }

    /// Mean and peak of (cpu allocation, memory allocation, cpu usage, memory usage), as
    /// fractions of allocatable.
    pub fn means_and_peaks(&self) -> ([f64; 4], [f64; 4]) {
        let n = self.samples.max(1) as f64;
        (self.sums.map(|s| s / n), self.peaks)
    }
}

/// Each running pod's usage (what traffic costs it, else its steady usage), in pod order.
fn pod_usage_rows(
    store: &Store,
    load: &Load,
    keep: PodRows,
    objects: &mut Vec<Option<Arc<str>>>,
    time: SimTime,
    rows: &mut Vec<MetricSample>,
) {
    objects.resize(store.pods().len(), None);
    for (i, pod) in store.pods().iter().enumerate() {
        if pod.status.phase != Some(Phase::Running) || pod.status.node.is_none() {
            continue;
        }
        let meta = &pod.meta;
        let object = match &objects[i] {
            Some(o) => o.clone(),
            None if keep.keeps(&meta.namespace, &meta.name) => {
                let o: Arc<str> = Arc::from(format!("pod/{}/{}", meta.namespace, meta.name));
                objects[i] = Some(o.clone());
                o
            }
            None => continue,
        };
        let usage = (load.pods.get(&PodId(i as u32)).copied()).unwrap_or_else(|| steady_usage(pod));
        rows.push(MetricSample {
            time,
            metric: "cpu_usage_cores",
            object: object.clone(),
            value: usage.cpu_m / 1000.0,
        });
        rows.push(MetricSample {
            time,
            metric: "memory_usage_bytes",
            object,
            value: usage.memory,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::node;

    /// `(metric, object, value)` of the rows about Ready nodes, in row order.
    fn ready_rows(faults: bool) -> Vec<(&'static str, String, f64)> {
        let mut store = Store::new();
        let a = store.add_node(node("a", 1000, 1 << 30, 10));
        store.add_node(node("b", 1000, 1 << 30, 10));
        store.set_node_condition(a, NodeConditionType::Ready, ConditionStatus::Unknown);
        let (tally, metrics, load) = Default::default();
        let state = ClusterState::read(&store, &tally, &metrics, &load, true);
        let mut sampler = Sampler::default();
        sampler.write_node_rows();
        if faults {
            sampler.write_fault_rows();
        }
        (sampler
            .sample(SimTime::ZERO, &state, &store, &load, 15_000)
            .iter())
        .filter(|r| r.metric.contains("ready"))
        .map(|r| (r.metric, r.object.to_string(), r.value))
        .collect()
    }

    #[test]
    fn a_run_with_faults_counts_the_ready_nodes() {
        assert_eq!(
            ready_rows(true),
            [
                ("nodes_ready", "cluster".to_string(), 1.0),
                ("node_ready", "node/a".to_string(), 0.0),
                ("node_ready", "node/b".to_string(), 1.0),
            ]
        );
        assert_eq!(ready_rows(false), []);
    }
}
