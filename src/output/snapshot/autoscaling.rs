//! HorizontalPodAutoscalers as `kubectl get hpa -o yaml` prints them (`autoscaling/v2`): the
//! spec as the loader reads it back (defaulted `behavior` included), and the status the
//! controller last wrote: replicas, last scale time, each metric's reading and the
//! conditions.

use super::Clock;
use super::pod::{Obj, label_selector};
use crate::api::hpa::{
    Behavior, HpaCondition, MetricId, MetricSpec, MetricStatus, MetricTarget, ObjectRef,
    PolicyKind, ResourceName, ScalingRules, SelectPolicy,
};
use crate::api::quantity::{format_amount, format_milli};
use crate::api::resources::names;
use crate::observe::Autoscaler;
use serde_json::{Value, json};

/// A metric's value in milli-units, in the canonical form of its unit: cpu `500m` or `2`,
/// memory (milli-bytes) `128Mi`, anything else as a decimal quantity (`20`, `1500m`, `10k`).
fn quantity(resource: Option<ResourceName>, milli: i64) -> Value {
    Value::String(match resource {
        Some(ResourceName::Cpu) => format_amount(names::CPU, milli),
        Some(ResourceName::Memory) if milli % 1000 == 0 => {
            format_amount(names::MEMORY, milli / 1000)
        }
        _ => format_milli(milli),
    })
}

/// `target`.
fn target(t: MetricTarget, resource: Option<ResourceName>) -> Value {
    match t {
        MetricTarget::Utilization(u) => json!({"type": "Utilization", "averageUtilization": u}),
        MetricTarget::AverageValue(v) => {
            json!({"type": "AverageValue", "averageValue": quantity(resource, v)})
        }
        MetricTarget::Value(v) => json!({"type": "Value", "value": quantity(resource, v)}),
    }
}

/// `metric`: name and selector.
fn metric_id(m: &MetricId) -> Value {
    let mut o = Obj::default();
    o.set("name", m.name.as_str());
    if let Some(s) = &m.selector {
        o.set("selector", label_selector(s));
    }
    o.done()
}

/// `describedObject`, with the API version of its kind.
fn described(o: &ObjectRef) -> Value {
    let api_version = if o.kind == "Service" { "v1" } else { "apps/v1" };
    json!({"apiVersion": api_version, "kind": o.kind, "name": o.name})
}

/// The field of `metrics[i]` (and of `currentMetrics[i]`) holding a source of this type.
fn source_field(m: &MetricSpec) -> &'static str {
    match m {
        MetricSpec::Resource { .. } => "resource",
        MetricSpec::ContainerResource { .. } => "containerResource",
        MetricSpec::Pods { .. } => "pods",
        MetricSpec::Object { .. } => "object",
        MetricSpec::External { .. } => "external",
    }
}

/// `metrics[i]`.
fn metric(m: &MetricSpec) -> Value {
    let source = match m {
        MetricSpec::Resource { name, target: t } => {
            json!({"name": name.as_str(), "target": target(*t, Some(*name))})
        }
        MetricSpec::ContainerResource {
            name,
            container,
            target: t,
        } => json!({"name": name.as_str(), "container": container,
                    "target": target(*t, Some(*name))}),
        MetricSpec::Pods {
            metric,
            average_value,
        } => json!({"metric": metric_id(metric),
                    "target": target(MetricTarget::AverageValue(*average_value), None)}),
        MetricSpec::Object {
            described: o,
            metric,
            target: t,
        } => json!({"describedObject": described(o), "metric": metric_id(metric),
                    "target": target(*t, None)}),
        MetricSpec::External { metric, target: t } => {
            json!({"metric": metric_id(metric), "target": target(*t, None)})
        }
    };
    json!({"type": m.kind(), source_field(m): source})
}

/// `currentMetrics[i]`: the reading of `spec` (its `current` value as the controller writes
/// it: `value` for a Value target of an Object or External metric, else `averageValue`, with
/// `averageUtilization` for a Utilization target); a failed metric is `type: ""`, as upstream
/// writes the empty status it keeps for it.
fn current_metric(spec: &MetricSpec, status: Option<&MetricStatus>) -> Value {
    let Some(s) = status else {
        return json!({"type": ""});
    };
    let resource = match spec {
        MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } => {
            Some(*name)
        }
        _ => None,
    };
    let mut current = Obj::default();
    match spec {
        MetricSpec::Object {
            target: MetricTarget::Value(_),
            ..
        }
        | MetricSpec::External {
            target: MetricTarget::Value(_),
            ..
        } => current.set("value", quantity(None, s.value)),
        _ => current.set("averageValue", quantity(resource, s.value)),
    };
    if let Some(u) = s.utilization {
        current.set("averageUtilization", u);
    }
    let current = current.done();
    let source = match spec {
        MetricSpec::Resource { name, .. } => json!({"name": name.as_str(), "current": current}),
        MetricSpec::ContainerResource {
            name, container, ..
        } => json!({"name": name.as_str(), "container": container, "current": current}),
        MetricSpec::Pods { metric, .. } | MetricSpec::External { metric, .. } => {
            json!({"metric": metric_id(metric), "current": current})
        }
        MetricSpec::Object {
            described: o,
            metric,
            ..
        } => json!({"describedObject": described(o), "metric": metric_id(metric),
                    "current": current}),
    };
    json!({"type": spec.kind(), source_field(spec): source})
}

/// `scaleUp` / `scaleDown`: every field the loader defaulted, the window and tolerance only
/// when set (unset, they are the controller's).
fn rules(r: &ScalingRules) -> Value {
    let policies: Vec<Value> = (r.policies.iter())
        .map(|p| {
            let kind = match p.kind {
                PolicyKind::Pods => "Pods",
                PolicyKind::Percent => "Percent",
            };
            json!({"type": kind, "value": p.value, "periodSeconds": p.period_s})
        })
        .collect();
    let select = match r.select_policy {
        SelectPolicy::Max => "Max",
        SelectPolicy::Min => "Min",
        SelectPolicy::Disabled => "Disabled",
    };
    let mut o = Obj::default();
    o.set("selectPolicy", select).set("policies", policies);
    if let Some(w) = r.stabilization_window_s {
        o.set("stabilizationWindowSeconds", w);
    }
    if let Some(t) = r.tolerance {
        o.set("tolerance", format_milli((t * 1000.0).round() as i64));
    }
    o.done()
}

fn behavior(b: &Behavior) -> Value {
    json!({"scaleUp": rules(&b.scale_up), "scaleDown": rules(&b.scale_down)})
}

fn condition(c: &HpaCondition, clock: &Clock) -> Value {
    json!({
        "type": c.kind,
        "status": if c.status { "True" } else { "False" },
        "lastTransitionTime": clock.instant(c.last_transition),
        "reason": c.reason,
        "message": c.message,
    })
}

pub(super) fn hpa(a: &Autoscaler, clock: &Clock) -> Value {
    let h = &a.hpa;
    let s = &h.spec;
    let mut meta = Obj::default();
    meta.set("name", h.name.as_str())
        .opt("namespace", h.namespace.as_str())
        .set("creationTimestamp", clock.instant(a.created));
    let mut spec = Obj::default();
    spec.set(
        "scaleTargetRef",
        json!({"apiVersion": s.target.kind.api_version(), "kind": s.target.kind.kind(),
               "name": s.target.name}),
    )
    .set("minReplicas", s.min_replicas)
    .set("maxReplicas", s.max_replicas)
    .set("metrics", s.metrics.iter().map(metric).collect::<Vec<_>>());
    if let Some(b) = &s.behavior {
        spec.set("behavior", behavior(b));
    }
    let st = &a.status;
    let current: Vec<Value> = (s.metrics.iter())
        .zip(&st.current_metrics)
        .map(|(m, c)| current_metric(m, c.as_ref()))
        .collect();
    let conditions: Vec<Value> = (st.conditions.iter())
        .map(|c| condition(c, clock))
        .collect();
    let mut status = Obj::default();
    status
        .opt("currentReplicas", st.current_replicas)
        .set("desiredReplicas", st.desired_replicas)
        .opt("currentMetrics", current)
        .opt("conditions", conditions);
    if let Some(t) = st.last_scale_time {
        status.set("lastScaleTime", clock.instant(t));
    }
    super::object(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        meta.done(),
        json!({"spec": spec.done(), "status": status.done()}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::hpa::{
        HorizontalPodAutoscaler, HpaSpec, HpaStatus, ScaleKind, ScaleTargetRef, ScalingPolicy,
    };
    use crate::engine::SimTime;
    use crate::output::yaml;

    fn clock() -> Clock {
        // 2026-01-01T00:00:00Z
        Clock {
            start_unix_ms: 1_767_225_600_000,
        }
    }

    fn web(metrics: Vec<MetricSpec>, behavior: Option<Behavior>, status: HpaStatus) -> Autoscaler {
        Autoscaler {
            hpa: HorizontalPodAutoscaler {
                name: "web".into(),
                namespace: "default".into(),
                spec: HpaSpec {
                    target: ScaleTargetRef {
                        kind: ScaleKind::Deployment,
                        name: "web".into(),
                    },
                    min_replicas: 2,
                    max_replicas: 20,
                    metrics,
                    behavior,
                },
            },
            status,
            created: SimTime::ZERO,
        }
    }

    fn render(a: &Autoscaler) -> String {
        let mut out = String::new();
        yaml::list_item(&mut out, &hpa(a, &clock()));
        out
    }

    #[test]
    fn a_status_with_conditions_and_metrics_renders_as_kubectl_prints_it() {
        let mut status = HpaStatus {
            current_replicas: 4,
            desired_replicas: 8,
            last_scale_time: Some(SimTime::from_secs(330)),
            current_metrics: vec![Some(MetricStatus {
                name: "cpu".into(),
                value: 210,
                utilization: Some(105),
            })],
            conditions: Vec::new(),
        };
        let at = SimTime::from_secs(15);
        let msg = "the HPA controller was able to update the target scale to 8";
        status.set_condition("AbleToScale", true, "SucceededRescale", msg.into(), at);
        let msg = "the HPA was able to successfully calculate a replica count from cpu resource \
                   utilization (percentage of request)";
        status.set_condition("ScalingActive", true, "ValidMetricFound", msg.into(), at);
        let cpu = MetricSpec::Resource {
            name: ResourceName::Cpu,
            target: MetricTarget::Utilization(50),
        };
        let text = render(&web(vec![cpu], None, status));
        assert_eq!(
            text,
            r#"- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata:
    creationTimestamp: "2026-01-01T00:00:00Z"
    name: web
    namespace: default
  spec:
    maxReplicas: 20
    metrics:
    - resource:
        name: cpu
        target:
          averageUtilization: 50
          type: Utilization
      type: Resource
    minReplicas: 2
    scaleTargetRef:
      apiVersion: apps/v1
      kind: Deployment
      name: web
  status:
    conditions:
    - lastTransitionTime: "2026-01-01T00:00:15Z"
      message: "the HPA controller was able to update the target scale to 8"
      reason: SucceededRescale
      status: "True"
      type: AbleToScale
    - lastTransitionTime: "2026-01-01T00:00:15Z"
      message: "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"
      reason: ValidMetricFound
      status: "True"
      type: ScalingActive
    currentMetrics:
    - resource:
        current:
          averageUtilization: 105
          averageValue: "210m"
        name: cpu
      type: Resource
    currentReplicas: 4
    desiredReplicas: 8
    lastScaleTime: "2026-01-01T00:05:30Z"
"#
        );
    }

    #[test]
    fn every_metric_type_behavior_and_a_failed_metric() {
        let id = |name: &str| MetricId {
            name: name.into(),
            selector: None,
        };
        let metrics = vec![
            MetricSpec::ContainerResource {
                name: ResourceName::Memory,
                container: "app".into(),
                target: MetricTarget::AverageValue(100 * 1024 * 1024 * 1000),
            },
            MetricSpec::Pods {
                metric: id("rps"),
                average_value: 20_000,
            },
            MetricSpec::Object {
                described: ObjectRef {
                    kind: "Service".into(),
                    name: "web".into(),
                },
                metric: id("rps"),
                target: MetricTarget::Value(100_000_000),
            },
            MetricSpec::External {
                metric: id("queue"),
                target: MetricTarget::AverageValue(500),
            },
        ];
        let reading = |name: &str, value| {
            Some(MetricStatus {
                name: name.into(),
                value,
                utilization: None,
            })
        };
        let status = HpaStatus {
            current_replicas: 3,
            desired_replicas: 3,
            current_metrics: vec![
                reading("app:memory", 64 * 1024 * 1024 * 1000),
                reading("rps", 16_667),
                reading("rps", 50_000),
                None,
            ],
            ..HpaStatus::default()
        };
        let mut b = Behavior {
            scale_up: ScalingRules::default_scale_up(),
            scale_down: ScalingRules::default_scale_down(),
        };
        b.scale_up.tolerance = Some(0.05);
        b.scale_down.select_policy = SelectPolicy::Min;
        b.scale_down.policies.push(ScalingPolicy {
            kind: PolicyKind::Pods,
            value: 1,
            period_s: 60,
        });
        let text = render(&web(metrics, Some(b), status));
        for want in [
            "    behavior:\n      scaleDown:\n        policies:\n        - periodSeconds: 15\n          type: Percent\n          value: 100\n        - periodSeconds: 60\n          type: Pods\n          value: 1\n        selectPolicy: Min\n      scaleUp:\n",
            "        selectPolicy: Max\n        stabilizationWindowSeconds: 0\n        tolerance: \"50m\"\n",
            "    - containerResource:\n        container: app\n        name: memory\n        target:\n          averageValue: \"100Mi\"\n          type: AverageValue\n      type: ContainerResource\n",
            "    - pods:\n        metric:\n          name: rps\n        target:\n          averageValue: \"20\"\n          type: AverageValue\n      type: Pods\n",
            "    - object:\n        describedObject:\n          apiVersion: v1\n          kind: Service\n          name: web\n        metric:\n          name: rps\n        target:\n          type: Value\n          value: \"100k\"\n      type: Object\n",
            "          averageValue: \"500m\"\n          type: AverageValue\n      type: External\n",
            "    currentMetrics:\n    - containerResource:\n        container: app\n        current:\n          averageValue: \"64Mi\"\n        name: memory\n      type: ContainerResource\n",
            "    - pods:\n        current:\n          averageValue: \"16667m\"\n        metric:\n          name: rps\n      type: Pods\n",
            "        current:\n          value: \"50\"\n",
            "    - type: \"\"\n    currentReplicas: 3\n    desiredReplicas: 3\n",
        ] {
            assert!(text.contains(want), "{want}\nnot in:\n{text}");
        }
        // The scale-down window is the controller's: not written.
        assert_eq!(text.matches("stabilizationWindowSeconds").count(), 1);
    }
}
