//! Reading an HPA's metrics and turning each into a replica proposal
//! (`computeReplicasForMetric` and the `computeStatusFor*Metric` functions of
//! `pkg/controller/podautoscaler/horizontal.go`), with upstream's error texts and the names
//! its events and conditions give each metric.
//!
//! Where the values come from: Resource and ContainerResource metrics from the resource
//! metrics API ([`crate::store::metrics_api`]); Pods metrics are the requests/s each pod
//! serves, Object metrics the requests/s offered to the described Service or workload, and
//! External metrics the rate of the `spec.traffic` series of that name, whatever the
//! metric's name (the custom and external metrics adapters a cluster would run).

use super::replica_calculator::{
    self as calc, PodCounts, PodMetrics, PodView, Proposal, Readiness, Sample, Tolerances,
};
use crate::api::Phase;
use crate::api::hpa::{
    ControllerSettings, HorizontalPodAutoscaler, MetricSpec, MetricStatus, MetricTarget,
    ResourceName,
};
use crate::api::traffic::TargetKind;
use crate::engine::SimTime;
use crate::store::autoscalers::Scale;
use crate::store::load::{FlowTarget, Load};
use crate::store::metrics_api::PodMetrics as PodMetricsDoc;
use crate::store::{PodId, Store};

/// What one metric gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Column-free name (`cpu`, `app:cpu`, a custom metric's name).
    pub name: String,
    /// `Resource`, `ContainerResource`, `Pods`, `Object`, `External`.
    pub kind: &'static str,
    /// Its target, as written out (percent, or base units).
    pub target: f64,
    /// Whether target and value are percentages of the request.
    pub utilization: bool,
    /// Its reading, or why it failed.
    pub result: Result<Reading, Failure>,
}

/// A metric read and its proposal.
#[derive(Clone, Debug)]
pub struct Reading {
    /// The replicas it proposes.
    pub replicas: i32,
    /// How the rescale reason and `ValidMetricFound` name it
    /// (`cpu resource utilization (percentage of request)`).
    pub described: String,
    /// Its value as written out (percent, or base units).
    pub value: f64,
    /// `status.currentMetrics` entry.
    pub status: MetricStatus,
    /// How the pods were counted (pod-based metrics).
    pub counts: Option<PodCounts>,
}

/// Why a metric failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Event and ScalingActive reason (`FailedGetResourceMetric`, ...).
    pub reason: &'static str,
    /// The event's message (and the condition's, after `the HPA was unable to compute the
    /// replica count: `).
    pub message: String,
    /// The error `invalid metrics (...)` quotes.
    pub wrapped: String,
}

/// Everything a sync reads its metrics with.
pub struct Inputs<'a> {
    /// The store.
    pub store: &'a Store,
    /// The HPA.
    pub hpa: &'a HorizontalPodAutoscaler,
    /// Its target's scale.
    pub scale: &'a Scale,
    /// The flows at metrics-server's last scrape.
    pub load: &'a Load,
    /// That scrape.
    pub tick: SimTime,
    /// Now.
    pub now: SimTime,
    /// The controller's settings.
    pub settings: &'a ControllerSettings,
    /// The tolerances in force.
    pub tolerances: Tolerances,
}

/// Milli-units of a count per second.
fn milli(x: f64) -> i64 {
    (x * 1000.0).round() as i64
}

impl Inputs<'_> {
    /// Reads one metric.
    pub fn outcome(&self, spec: &MetricSpec) -> Outcome {
        match spec {
            MetricSpec::Resource { name, target } => self.resource(*name, None, *target),
            MetricSpec::ContainerResource {
                name,
                container,
                target,
            } => self.resource(*name, Some(container), *target),
            MetricSpec::Pods {
                metric,
                average_value,
            } => self.pods(&metric.name, *average_value),
            MetricSpec::Object {
                described,
                metric,
                target,
            } => self.object(&described.kind, &described.name, &metric.name, *target),
            MetricSpec::External { metric, target } => self.external(&metric.name, *target),
        }
    }

    fn readiness(&self) -> Readiness {
        Readiness {
            cpu_initialization_period_ms: self.settings.cpu_initialization_period_ms,
            initial_readiness_delay_ms: self.settings.initial_readiness_delay_ms,
        }
    }

    /// The pods as the HPA's lister sees them, each with `value(pod)` as its sample.
    fn views(
        &self,
        request: impl Fn(PodId) -> Result<i64, String>,
        value: impl Fn(PodId, &PodMetricsDoc) -> Option<i64>,
    ) -> Vec<PodView> {
        let res = self.settings.metric_resolution_ms;
        self.scale
            .pods
            .iter()
            .map(|&id| {
                let p = self.store.pod(id);
                let st = &p.status;
                let scheduled = st.scheduled.map(SimTime::ms);
                let sample = self
                    .store
                    .pod_metrics(id, self.tick, res, self.load)
                    .and_then(|m| {
                        Some(Sample {
                            value: value(id, &m)?,
                            timestamp_ms: m.timestamp.ms(),
                            window_ms: m.window_ms,
                        })
                    });
                PodView {
                    phase: st.phase.unwrap_or(Phase::Pending),
                    deleting: st.terminating.is_some(),
                    ready: scheduled.map(|_| st.ready),
                    ready_transition_ms: if st.ready {
                        st.ready_since.map(SimTime::ms)
                    } else {
                        scheduled
                    },
                    start_ms: scheduled,
                    request: request(id),
                    sample,
                }
            })
            .collect()
    }

    /// A Resource or ContainerResource metric.
    fn resource(
        &self,
        name: ResourceName,
        container: Option<&String>,
        target: MetricTarget,
    ) -> Outcome {
        let res = name.as_str();
        let store = self.store;
        let request = |id: PodId| pod_request(store, id, name, container.map(String::as_str));
        let value = |_: PodId, m: &PodMetricsDoc| {
            let pick = |cpu: i64, memory: i64| match name {
                ResourceName::Cpu => cpu,
                ResourceName::Memory => memory * 1000,
            };
            match container {
                None => Some(pick(m.cpu_m(), m.memory())),
                Some(c) => {
                    let c = m.containers.iter().find(|x| &*x.name == c.as_str())?;
                    Some(pick(c.cpu_m, c.memory))
                }
            }
        };
        let pods = self.views(request, value);
        let cpu = name == ResourceName::Cpu;
        let (kind, reason, column) = match container {
            None => ("Resource", "FailedGetResourceMetric", res.to_string()),
            Some(c) => (
                "ContainerResource",
                "FailedGetContainerResourceMetric",
                format!("{c}:{res}"),
            ),
        };
        let scope = if container.is_some() {
            "container resource"
        } else {
            "resource"
        };
        let current = self.scale.spec_replicas;
        let now = self.now.ms();
        let no_metrics = pods.iter().all(|p| p.sample.is_none());
        let fail = |inner: String, utilization: bool| {
            let step2 = if utilization {
                format!("failed to get {res} utilization: {inner}")
            } else {
                format!("failed to get {res} usage: {inner}")
            };
            let step3 = match container {
                None => format!("failed to get {res} resource metric value: {step2}"),
                Some(c) => format!("failed to get {c} container metric value: {step2}"),
            };
            Failure {
                reason,
                message: step2,
                wrapped: step3,
            }
        };
        let utilization = matches!(target, MetricTarget::Utilization(_));
        let r = if no_metrics {
            Err(calc::resource_fetch_error(name, calc::NO_RESOURCE_METRICS))
        } else {
            let (metrics, readiness) = (PodMetrics::new(&pods), self.readiness());
            match target {
                MetricTarget::Utilization(t) => calc::resource_replicas(
                    current,
                    t,
                    metrics,
                    cpu,
                    now,
                    &readiness,
                    self.tolerances,
                ),
                MetricTarget::AverageValue(t) | MetricTarget::Value(t) => {
                    calc::raw_resource_replicas(
                        current,
                        t,
                        metrics,
                        cpu,
                        now,
                        &readiness,
                        self.tolerances,
                    )
                }
            }
        };
        let (described, target_shown) = match target {
            MetricTarget::Utilization(t) => (
                format!("{res} {scope} utilization (percentage of request)"),
                f64::from(t),
            ),
            MetricTarget::AverageValue(t) | MetricTarget::Value(t) => {
                (format!("{res} {scope}"), base(t, name))
            }
        };
        let result = r
            .map(|p| reading(p, described, &column, utilization, name))
            .map_err(|e| fail(e, utilization));
        Outcome {
            name: column,
            kind,
            target: target_shown,
            utilization,
            result,
        }
    }

    /// A Pods metric: each pod's requests/s.
    fn pods(&self, metric: &str, target: i64) -> Outcome {
        let load = self.load;
        let pods = self.views(
            |_| Ok(0),
            |id, _| Some(milli(load.pods.get(&id).map_or(0.0, |u| u.rps))),
        );
        let result = calc::pods_replicas(
            self.scale.spec_replicas,
            target,
            PodMetrics::new(&pods),
            self.tolerances,
        )
        .map(|p| {
            let value = p.usage as f64 / 1000.0;
            Reading {
                replicas: p.replicas,
                described: format!("pods metric {metric}"),
                value,
                status: MetricStatus {
                    name: metric.to_string(),
                    value: p.usage,
                    utilization: None,
                },
                counts: Some(p.counts),
            }
        })
        .map_err(|e| {
            let inner = format!("unable to get metric {metric}: {e}");
            Failure {
                reason: "FailedGetPodsMetric",
                wrapped: format!("failed to get pods metric value: {inner}"),
                message: inner,
            }
        });
        Outcome {
            name: metric.to_string(),
            kind: "Pods",
            target: target as f64 / 1000.0,
            utilization: false,
            result,
        }
    }

    /// The rate (milli requests/s) of the flows matching `pick`, if any does.
    fn flow_rate(&self, pick: impl Fn(&crate::store::load::Flow) -> bool) -> Option<i64> {
        let mut found = None;
        for (flow, l) in self.store.flows().iter().zip(&self.load.flows) {
            if pick(flow) {
                *found.get_or_insert(0) += milli(l.offered);
            }
        }
        found
    }

    /// An Object metric: the requests/s offered to the described object.
    fn object(&self, kind: &str, name: &str, metric: &str, target: MetricTarget) -> Outcome {
        let ns = &self.hpa.namespace;
        let want = match kind {
            "Service" => Some(TargetKind::Service),
            "Deployment" => Some(TargetKind::Deployment),
            "StatefulSet" => Some(TargetKind::StatefulSet),
            _ => None,
        };
        let value = self.flow_rate(|f| {
            f.traffic
                .target
                .as_ref()
                .is_some_and(|t| Some(t.kind) == want && &t.namespace == ns && t.name == name)
                && f.target != FlowTarget::Series
        });
        let current = self.scale.spec_replicas;
        let value = value.ok_or_else(|| {
            format!(
                "unable to get metric {metric}: unable to fetch metrics from custom metrics API: \
                 the server could not find the metric {metric} for {} {name} on {kind} {ns}/{name}",
                kind.to_lowercase() + "s"
            )
        });
        let (result, t) = match target {
            MetricTarget::AverageValue(t) => {
                let r = value.map(|v| {
                    calc::per_pod_replicas(self.scale.status_replicas, v, t, self.tolerances)
                });
                let described = format!("external metric {metric}(<nil>)");
                let result = r.map(|p| plain(p, described, metric)).map_err(|inner| {
                    let step2 = format!("failed to get {metric} object metric: {inner}");
                    Failure {
                        reason: "FailedGetObjectMetric",
                        wrapped: format!("failed to get object metric value: {step2}"),
                        message: step2,
                    }
                });
                (result, t)
            }
            other => {
                // Value (the loader refuses Utilization here).
                let t = target_value(other);
                let ready = self.ready_pods();
                let r = value
                    .and_then(|v| calc::object_replicas(current, v, t, ready, self.tolerances));
                let described = format!("{kind} metric {metric}");
                let result = r
                    .map(|p| plain(p, described, metric))
                    .map_err(|inner| Failure {
                        reason: "FailedGetObjectMetric",
                        wrapped: format!("failed to get object metric value: {inner}"),
                        message: inner,
                    });
                (result, t)
            }
        };
        Outcome {
            name: metric.to_string(),
            kind: "Object",
            target: t as f64 / 1000.0,
            utilization: false,
            result,
        }
    }

    /// An External metric: the rate of the `spec.traffic` entries of its name.
    fn external(&self, metric: &str, target: MetricTarget) -> Outcome {
        let ns = &self.hpa.namespace;
        let value = self
            .flow_rate(|f| f.traffic.name.as_deref() == Some(metric))
            .ok_or_else(|| {
                format!(
                    "unable to get external metric {ns}/{metric}/<nil>: unable to fetch metrics \
                     from external metrics API: no metrics returned from external metrics API"
                )
            });
        let described = format!("external metric {metric}(<nil>)");
        let (result, t) = match target {
            MetricTarget::AverageValue(t) => {
                let r = value.map(|v| {
                    calc::external_per_pod_replicas(
                        self.scale.status_replicas,
                        &[v],
                        t,
                        self.tolerances,
                    )
                });
                let result = r.map(|p| plain(p, described, metric)).map_err(|inner| {
                    let step2 = format!("failed to get {metric} external metric: {inner}");
                    Failure {
                        reason: "FailedGetExternalMetric",
                        wrapped: format!("failed to get {metric} external metric value: {step2}"),
                        message: step2,
                    }
                });
                (result, t)
            }
            other => {
                // Value (the loader refuses Utilization here).
                let t = target_value(other);
                let ready = self.ready_pods();
                let current = self.scale.spec_replicas;
                let r = value.and_then(|v| {
                    calc::external_replicas(current, &[v], t, ready, self.tolerances)
                });
                let result = r.map(|p| plain(p, described, metric)).map_err(|inner| {
                    let step2 = format!("failed to get external metric {metric}: {inner}");
                    Failure {
                        reason: "FailedGetExternalMetric",
                        wrapped: format!("failed to get {metric} external metric value: {step2}"),
                        message: step2,
                    }
                });
                (result, t)
            }
        };
        Outcome {
            name: metric.to_string(),
            kind: "External",
            target: t as f64 / 1000.0,
            utilization: false,
            result,
        }
    }

    /// The target's pods Running and Ready (`readyPodCount` of an Object Value metric);
    /// `None` when it has none.
    fn ready_pods(&self) -> Option<i32> {
        let ready = self.scale.pods.iter().filter(|&&p| {
            let st = &self.store.pod(p).status;
            st.phase == Some(Phase::Running) && st.ready
        });
        (!self.scale.pods.is_empty()).then(|| ready.count() as i32)
    }
}

/// A pod's request of a resource (milli-units; memory in milli-bytes as upstream), or
/// upstream's error for a container without one.
fn pod_request(
    store: &Store,
    id: PodId,
    name: ResourceName,
    container: Option<&str>,
) -> Result<i64, String> {
    let pod = store.pod(id);
    let mut sum = 0;
    let mut found = false;
    for c in &pod.spec.containers {
        if container.is_some_and(|want| *c.name != *want) {
            continue;
        }
        found = true;
        let (set, v) = match name {
            ResourceName::Cpu => (c.cpu_request_set, c.requests.cpu_m),
            ResourceName::Memory => (c.memory_request_set, c.requests.memory * 1000),
        };
        if !set {
            return Err(format!(
                "missing request for {} in container {} of Pod {}",
                name.as_str(),
                c.name,
                pod.meta.name
            ));
        }
        sum += v;
    }
    match container {
        Some(c) if !found && !pod.spec.containers.is_empty() => {
            Err(format!("container {c} not found in Pod {}", pod.meta.name))
        }
        _ => Ok(sum),
    }
}

/// A Value target's value.
fn target_value(t: MetricTarget) -> i64 {
    match t {
        MetricTarget::Value(v) | MetricTarget::AverageValue(v) => v,
        MetricTarget::Utilization(u) => i64::from(u),
    }
}

/// A value in base units: millicores to cores, milli-bytes to bytes.
fn base(milli: i64, _name: ResourceName) -> f64 {
    milli as f64 / 1000.0
}

/// A resource proposal as a reading.
fn reading(
    p: Proposal,
    described: String,
    column: &str,
    utilization: bool,
    name: ResourceName,
) -> Reading {
    let value = match (utilization, p.utilization) {
        (true, Some(u)) => f64::from(u),
        _ => base(p.usage, name),
    };
    Reading {
        replicas: p.replicas,
        described,
        value,
        status: MetricStatus {
            name: column.to_string(),
            value: p.usage,
            utilization: p.utilization.filter(|_| utilization),
        },
        counts: Some(p.counts),
    }
}

/// An Object or External proposal as a reading.
fn plain(p: Proposal, described: String, metric: &str) -> Reading {
    Reading {
        replicas: p.replicas,
        described,
        value: p.usage as f64 / 1000.0,
        status: MetricStatus {
            name: metric.to_string(),
            value: p.usage,
            utilization: None,
        },
        counts: None,
    }
}
