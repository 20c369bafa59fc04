//! The traffic and HPA series (`metrics.csv`) and their totals (`summary.json`): for each
//! flow's target (`service/NS/NAME`, or `deployment/...`, `statefulset/...`) the requests
//! offered, served and unserved and the latency percentiles at each sample; for each HPA
//! its current and desired replicas and each metric's value and target as its status last
//! said. Totals integrate the samples (each counts for the interval before it; rates are
//! averages over that interval).

use super::MetricSample;
use crate::api::hpa::{MetricSpec, MetricTarget};
use crate::engine::SimTime;
use crate::store::load::{FlowTarget, Load};
use crate::store::{HpaId, Store};
use std::sync::Arc;

/// One HPA's totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HpaTotals {
    /// `namespace/name`.
    pub name: String,
    /// Fewest and most current replicas seen.
    pub replicas: Option<(i32, i32)>,
    /// Rescales (`SuccessfulRescale`).
    pub scale_events: u64,
    /// Seconds with `maxReplicas` current.
    pub seconds_at_max: f64,
    /// Seconds with some metric above its target.
    pub seconds_above_target: f64,
    /// Requests its target's flows left unserved.
    pub unserved_requests: f64,
}

/// One flow's totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowTotals {
    /// Its object (`service/NS/NAME`), or `series/NAME`.
    pub object: String,
    /// Requests offered.
    pub offered: f64,
    /// Requests not served.
    pub unserved: f64,
    /// Each sample's p50 and p99 latency (s), where one was estimated.
    pub latencies: Vec<(f64, f64)>,
}

/// One HPA at the end of the run, for `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSummary {
    /// Its totals over the run.
    pub totals: HpaTotals,
    /// `spec.minReplicas`.
    pub min_replicas: i32,
    /// `spec.maxReplicas`.
    pub max_replicas: i32,
    /// Its status at the end.
    pub status: crate::api::hpa::HpaStatus,
    /// Its target's series object (`deployment/NS/NAME`), if the target exists.
    pub target: Option<String>,
    /// The series objects of the flows reaching its target.
    pub traffic: Vec<String>,
    /// Each metric: its series name, type, whether a utilization, and its target.
    pub metrics: Vec<(String, &'static str, bool, f64)>,
}

/// Every HPA at the end, with its totals (by HPA id).
pub fn hpa_summaries(store: &Store, series: &AutoscalingSeries) -> Vec<HpaSummary> {
    store
        .hpas()
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let target = store.scale_target(HpaId(i as u32));
            let traffic = target.map_or_else(Vec::new, |t| {
                (store.flows().iter())
                    .filter(|f| store.flow_reaches(f.target, t))
                    .map(|f| flow_object(store, f.target, f.traffic.name.as_deref()))
                    .collect()
            });
            let spec_target = &a.hpa.spec.target;
            HpaSummary {
                totals: series.hpas.get(i).cloned().unwrap_or_else(|| HpaTotals {
                    name: format!("{}/{}", a.hpa.namespace, a.hpa.name),
                    ..HpaTotals::default()
                }),
                min_replicas: a.hpa.spec.min_replicas,
                max_replicas: a.hpa.spec.max_replicas,
                status: a.status.clone(),
                target: target.map(|_| {
                    // The workload series' kinds: `deployment`, `replicaset`, ...
                    let kind = spec_target.kind.kind().to_lowercase();
                    format!("{kind}/{}/{}", a.hpa.namespace, spec_target.name)
                }),
                traffic,
                metrics: a.hpa.spec.metrics.iter().map(describe_metric).collect(),
            }
        })
        .collect()
}

/// The series and their totals.
#[derive(Clone, Debug, Default)]
pub struct AutoscalingSeries {
    flows: Vec<FlowTotals>,
    flow_objects: Vec<Arc<str>>,
    hpas: Vec<HpaTotals>,
    hpa_objects: Vec<(Arc<str>, Vec<Arc<str>>)>,
    /// Each HPA's last scale time seen (rescales are counted when it moves).
    last_scale: Vec<Option<SimTime>>,
    /// The flows reaching each HPA's target (by flow index), found at its first sample.
    hpa_flows: Vec<Vec<usize>>,
}

/// The metric's name as its series names it, and its target (percent, or base units).
fn metric_target(m: &MetricSpec) -> f64 {
    let t = match m {
        MetricSpec::Resource { target, .. }
        | MetricSpec::ContainerResource { target, .. }
        | MetricSpec::Object { target, .. }
        | MetricSpec::External { target, .. } => *target,
        MetricSpec::Pods { average_value, .. } => MetricTarget::AverageValue(*average_value),
    };
    match t {
        MetricTarget::Utilization(u) => f64::from(u),
        MetricTarget::AverageValue(v) | MetricTarget::Value(v) => v as f64 / 1000.0,
    }
}

/// A metric's series name, type, whether a utilization, and target.
fn describe_metric(m: &MetricSpec) -> (String, &'static str, bool, f64) {
    let (kind, utilization) = match m {
        MetricSpec::Resource { target, .. } => {
            ("Resource", matches!(target, MetricTarget::Utilization(_)))
        }
        MetricSpec::ContainerResource { target, .. } => (
            "ContainerResource",
            matches!(target, MetricTarget::Utilization(_)),
        ),
        MetricSpec::Pods { .. } => ("Pods", false),
        MetricSpec::Object { .. } => ("Object", false),
        MetricSpec::External { .. } => ("External", false),
    };
    (metric_name(m), kind, utilization, metric_target(m))
}

/// A metric's column-free name.
pub fn metric_name(m: &MetricSpec) -> String {
    match m {
        MetricSpec::Resource { name, .. } => name.as_str().to_string(),
        MetricSpec::ContainerResource {
            name, container, ..
        } => format!("{container}:{}", name.as_str()),
        MetricSpec::Pods { metric, .. }
        | MetricSpec::Object { metric, .. }
        | MetricSpec::External { metric, .. } => metric.name.clone(),
    }
}

impl AutoscalingSeries {
    /// Appends the rows at `time` (the flows' `load`: rates over the interval before it),
    /// counting this sample for the interval before it in the totals (the first, at 0, for
    /// nothing).
    pub fn rows(
        &mut self,
        store: &Store,
        load: &Load,
        time: SimTime,
        interval_ms: i64,
        rows: &mut Vec<MetricSample>,
    ) {
        let dt = interval_ms.min(time.ms()) as f64 / 1000.0;
        let mut row = |object: &Arc<str>, metric: &'static str, value: f64| {
            rows.push(MetricSample {
                time,
                metric,
                object: object.clone(),
                value,
            })
        };
        for (i, (flow, l)) in store.flows().iter().zip(&load.flows).enumerate() {
            if self.flows.len() <= i {
                let object = flow_object(store, flow.target, flow.traffic.name.as_deref());
                self.flow_objects.push(Arc::from(object.as_str()));
                self.flows.push(FlowTotals {
                    object,
                    ..FlowTotals::default()
                });
            }
            let o = &self.flow_objects[i];
            row(o, "offered_rps", l.offered);
            if flow.target == FlowTarget::Series {
                continue;
            }
            row(o, "served_rps", l.served);
            row(o, "unserved_rps", l.unserved());
            if let (Some(p50), Some(p99)) = (l.p50_s, l.p99_s) {
                row(o, "latency_p50_s", p50);
                row(o, "latency_p99_s", p99);
                self.flows[i].latencies.push((p50, p99));
            }
            let t = &mut self.flows[i];
            t.offered += l.offered * dt;
            t.unserved += l.unserved() * dt;
        }
        for (i, a) in store.hpas().iter().enumerate() {
            if self.hpas.len() <= i {
                let name = format!("{}/{}", a.hpa.namespace, a.hpa.name);
                let metrics = a.hpa.spec.metrics.iter();
                let per_metric = metrics
                    .map(|m| Arc::from(format!("hpa/{name}/{}", metric_name(m))))
                    .collect();
                self.hpa_objects
                    .push((Arc::from(format!("hpa/{name}")), per_metric));
                self.hpas.push(HpaTotals {
                    name,
                    ..HpaTotals::default()
                });
                self.last_scale.push(None);
                let reaching = store
                    .scale_target(HpaId(i as u32))
                    .map_or_else(Vec::new, |t| {
                        (store.flows().iter().enumerate())
                            .filter(|(_, f)| store.flow_reaches(f.target, t))
                            .map(|(j, _)| j)
                            .collect()
                    });
                self.hpa_flows.push(reaching);
            }
            let (o, per_metric) = &self.hpa_objects[i];
            let s = &a.status;
            row(o, "hpa_current_replicas", f64::from(s.current_replicas));
            row(o, "hpa_desired_replicas", f64::from(s.desired_replicas));
            let mut above = false;
            for (j, m) in a.hpa.spec.metrics.iter().enumerate() {
                let target = metric_target(m);
                let value = s
                    .current_metrics
                    .get(j)
                    .and_then(|v| v.as_ref())
                    .map(|v| v.utilization.map_or(v.value as f64 / 1000.0, f64::from));
                if let Some(v) = value {
                    row(&per_metric[j], "hpa_metric_value", v);
                    above |= v > target;
                }
                row(&per_metric[j], "hpa_metric_target", target);
            }
            let t = &mut self.hpas[i];
            if s.last_scale_time != self.last_scale[i] {
                self.last_scale[i] = s.last_scale_time;
                t.scale_events += 1;
            }
            if s.current_replicas > 0 || s.desired_replicas > 0 {
                let (lo, hi) = t
                    .replicas
                    .unwrap_or((s.current_replicas, s.current_replicas));
                t.replicas = Some((lo.min(s.current_replicas), hi.max(s.current_replicas)));
            }
            if s.current_replicas >= a.hpa.spec.max_replicas {
                t.seconds_at_max += dt;
            }
            if above {
                t.seconds_above_target += dt;
            }
            let unserved: f64 = (self.hpa_flows[i].iter())
                .filter_map(|&j| load.flows.get(j))
                .map(|l| l.unserved())
                .sum();
            self.hpas[i].unserved_requests += unserved * dt;
        }
    }

    /// Each HPA's totals, by HPA.
    pub fn hpas(&self) -> &[HpaTotals] {
        &self.hpas
    }

    /// Each flow's totals, in scenario order.
    pub fn flows(&self) -> &[FlowTotals] {
        &self.flows
    }
}

/// The series object of a flow: its target's, or `series/NAME`.
fn flow_object(store: &Store, target: FlowTarget, name: Option<&str>) -> String {
    match target {
        FlowTarget::Service(s) => {
            let svc = store.service(s);
            format!("service/{}/{}", svc.namespace, svc.name)
        }
        FlowTarget::Deployment(d) => {
            let d = store.deployment(d);
            format!("deployment/{}/{}", d.meta.namespace, d.meta.name)
        }
        FlowTarget::StatefulSet(s) => {
            let s = store.stateful_set(s);
            format!("statefulset/{}/{}", s.meta.namespace, s.meta.name)
        }
        FlowTarget::Series => format!("series/{}", name.unwrap_or("")),
    }
}
