//! The resource metrics API (`metrics.k8s.io/v1beta1` PodMetrics), served through the API
//! server by metrics-server.
//!
//! metrics-server scrapes every kubelet each `--metric-resolution` (ticks at multiples of
//! it) and keeps two points per container; CPU is the rate between them, memory the last
//! working set (`pkg/storage/pod.go`, `pkg/storage/types.go` in kubernetes-sigs/
//! metrics-server). So a pod has metrics from the first tick at least 10 s after its
//! containers started (a fresh container gets a synthetic start point), with a window of
//! the time since its start, then of one resolution. This model serves a read with what the
//! last tick scraped, computed when read: the flows' rates averaged over the window, the
//! pods' shares as the endpoints are now. Nothing runs between reads, so a cluster without
//! HPAs pays nothing for it.

use super::load::{Load, PodUsage};
use super::{PodId, Store};
use crate::api::Phase;
use crate::engine::SimTime;
use std::sync::Arc;

/// How long a container must have run before a scrape reports it
/// (`freshContainerMinMetricsResolution`).
pub const FRESH_CONTAINER_MIN_MS: i64 = 10_000;

/// One container's usage in a PodMetrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerMetrics {
    /// Container name.
    pub name: Arc<str>,
    /// CPU, millicores (rounded up, as `Quantity.MilliValue` of nanocores).
    pub cpu_m: i64,
    /// Memory working set, bytes.
    pub memory: i64,
}

/// A pod's PodMetrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodMetrics {
    /// The scrape's time.
    pub timestamp: SimTime,
    /// The window the CPU rate is over (ms).
    pub window_ms: i64,
    /// By container, in spec order.
    pub containers: Vec<ContainerMetrics>,
}

impl PodMetrics {
    /// The pod's CPU (millicores), summed over containers.
    pub fn cpu_m(&self) -> i64 {
        self.containers.iter().map(|c| c.cpu_m).sum()
    }

    /// The pod's memory (bytes), summed over containers.
    pub fn memory(&self) -> i64 {
        self.containers.iter().map(|c| c.memory).sum()
    }
}

/// metrics-server's last scrape at or before `now`, scraping every `resolution_ms`.
pub fn last_scrape(now: SimTime, resolution_ms: i64) -> SimTime {
    let r = resolution_ms.max(1);
    SimTime(now.ms().div_euclid(r) * r)
}

impl Store {
    /// Records the usage a `PodMetrics` document gave a pod (a snapshot's): its steady
    /// usage from then on, per container, reported from the first scrape (metrics-server
    /// already knew the pod).
    pub fn seed_pod_metrics(&mut self, pod: PodId, containers: Vec<ContainerMetrics>) {
        self.seeded_metrics.insert(pod, containers);
    }

    /// The PodMetrics metrics-server holds for `pod` from its scrape at `tick`, given the
    /// flows' `load` at that tick; `None` when it has none (not running, or started less
    /// than 10 s before the tick).
    pub fn pod_metrics(
        &self,
        pod: PodId,
        tick: SimTime,
        resolution_ms: i64,
        load: &Load,
    ) -> Option<PodMetrics> {
        let p = self.pod(pod);
        if p.status.phase != Some(Phase::Running) || p.status.deleted.is_some() {
            return None;
        }
        // A pod a PodMetrics document gave usage was scraped before the run began.
        let seeded = self.seeded_metrics.contains_key(&pod);
        let started = p.status.started?;
        let age = tick.ms() - started.ms();
        if age < FRESH_CONTAINER_MIN_MS && !seeded {
            return None;
        }
        let window_ms = if seeded {
            resolution_ms
        } else {
            age.min(resolution_ms)
        };
        let containers = match (load.pods.get(&pod), self.seeded_metrics.get(&pod)) {
            (None, Some(seeded)) => seeded.clone(),
            (usage, _) => {
                let usage = usage.copied().unwrap_or_else(|| self.pod_usage(pod, load));
                split(p, usage)
            }
        };
        Some(PodMetrics {
            timestamp: tick,
            window_ms,
            containers,
        })
    }
}

/// A pod's usage split over its containers in proportion to their requests (evenly when
/// none requests the resource).
fn split(pod: &crate::api::pod::Pod, usage: PodUsage) -> Vec<ContainerMetrics> {
    let cs = &pod.spec.containers;
    let total_cpu: i64 = cs.iter().map(|c| c.requests.cpu_m).sum();
    let total_mem: i64 = cs.iter().map(|c| c.requests.memory).sum();
    let n = cs.len().max(1) as f64;
    let part = |own: i64, total: i64| {
        if total > 0 {
            own as f64 / total as f64
        } else {
            1.0 / n
        }
    };
    cs.iter()
        .map(|c| ContainerMetrics {
            name: c.name.clone(),
            cpu_m: round_up(usage.cpu_m * part(c.requests.cpu_m, total_cpu)),
            memory: (usage.memory * part(c.requests.memory, total_mem)).round() as i64,
        })
        .collect()
}

/// Rounds up, ignoring float noise below a millionth.
fn round_up(x: f64) -> i64 {
    (x - 1e-6).ceil().max(0.0) as i64
}
