//! What a snapshot's HorizontalPodAutoscaler (`kubectl get hpa -o yaml`) restores beyond its
//! spec: its creation time and the status its controller last wrote (replicas, last scale
//! time, each metric's reading, the conditions), so that the first sync of the run starts
//! from it: a condition keeps its `lastTransitionTime` unless its status flips.
//!
//! Not restored, as upstream's controller loses them on a restart too: the recent
//! recommendations (stabilization starts over from the replicas the first sync finds) and
//! the recent rescales (`behavior`'s rate policies start over).

use super::super::core::instant;
use super::super::meta::ObjectMeta;
use super::super::resolver::{Doc, Resolver};
use super::super::yaml::{QuantityText, Spanned};
use crate::api::hpa::{HpaCondition, HpaStatus, MetricSpec, MetricStatus, condition_words};
use crate::api::quantity::Quantity;
use crate::engine::SimTime;
use serde::Deserialize;

/// `status` of an `autoscaling/v2` HPA, as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaStatusRaw {
    /// `currentReplicas`.
    pub current_replicas: Option<Spanned<i64>>,
    /// `desiredReplicas`.
    pub desired_replicas: Option<Spanned<i64>>,
    /// `lastScaleTime` (RFC 3339).
    pub last_scale_time: Option<Spanned<String>>,
    /// `currentMetrics`, one per metric of the spec.
    pub current_metrics: Option<Spanned<Vec<Spanned<MetricStatusRaw>>>>,
    /// `conditions`.
    pub conditions: Vec<Spanned<HpaConditionRaw>>,
}

/// `currentMetrics[i]`: its `type` (empty for a metric that failed) and its source.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricStatusRaw {
    /// `Resource`, `ContainerResource`, `Pods`, `Object`, `External` or empty.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// `type: Resource`.
    pub resource: Option<ResourceStatusRaw>,
    /// `type: ContainerResource`.
    pub container_resource: Option<ResourceStatusRaw>,
    /// `type: Pods`.
    pub pods: Option<SourceStatusRaw>,
    /// `type: Object` (its `describedObject` is the spec's).
    pub object: Option<SourceStatusRaw>,
    /// `type: External`.
    pub external: Option<SourceStatusRaw>,
}

/// A Resource or ContainerResource reading.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceStatusRaw {
    /// The resource.
    pub name: Option<Spanned<String>>,
    /// The container (ContainerResource).
    pub container: Option<Spanned<String>>,
    /// The value read.
    pub current: Option<Spanned<CurrentRaw>>,
}

/// A Pods, Object or External reading.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SourceStatusRaw {
    /// The metric (its selector is the spec's).
    pub metric: Option<MetricNameRaw>,
    /// The value read.
    pub current: Option<Spanned<CurrentRaw>>,
}

/// `metric` of a reading.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MetricNameRaw {
    /// Its name.
    pub name: Option<Spanned<String>>,
}

/// `current` (`MetricValueStatus`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CurrentRaw {
    /// A total.
    pub value: Option<Spanned<QuantityText>>,
    /// A per-pod value.
    pub average_value: Option<Spanned<QuantityText>>,
    /// A percentage of the pods' requests.
    pub average_utilization: Option<Spanned<i32>>,
}

/// `conditions[i]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaConditionRaw {
    /// `AbleToScale`, `ScalingActive` or `ScalingLimited`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// `True` or `False` (`Unknown` is left out).
    pub status: Option<Spanned<String>>,
    /// Machine-readable reason.
    pub reason: Option<Spanned<String>>,
    /// Human-readable message.
    pub message: String,
    /// RFC 3339.
    pub last_transition_time: Option<Spanned<String>>,
}

/// What an HPA manifest restores, its readings not yet checked against the spec's metrics.
pub(in super::super) struct Restored {
    /// `metadata.creationTimestamp` on the simulated clock (0 when not given).
    pub created: SimTime,
    /// The status, when given.
    pub status: Option<HpaStatus>,
    /// Each reading's `type` and where `currentMetrics` is.
    kinds: Option<(Vec<String>, Spanned<()>)>,
}

/// A replica count of the status: 0 to 2^31 - 1.
fn replicas(r: &mut Resolver, d: Doc, field: &str, v: Option<&Spanned<i64>>) -> i32 {
    let Some(n) = v else {
        return 0;
    };
    i32::try_from(n.value)
        .ok()
        .filter(|n| *n >= 0)
        .unwrap_or_else(|| {
            let msg = format!(
                "Invalid value: {}: must be greater than or equal to 0",
                n.value
            );
            r.at(d, n, &format!("status.{field}"), msg);
            0
        })
}

/// What an HPA manifest restores of its metadata and status.
pub(in super::super) fn restore(
    r: &mut Resolver,
    d: Doc,
    m: &ObjectMeta,
    status: Option<&HpaStatusRaw>,
) -> Restored {
    let created = m
        .creation_timestamp
        .as_ref()
        .and_then(|t| instant(r, d, "metadata.creationTimestamp", t))
        .unwrap_or(SimTime::ZERO);
    let mut out = Restored {
        created,
        status: None,
        kinds: None,
    };
    let Some(s) = status else {
        return out;
    };
    let last_scale_time = s
        .last_scale_time
        .as_ref()
        .and_then(|t| instant(r, d, "status.lastScaleTime", t));
    let mut readings = Vec::new();
    if let Some(ms) = &s.current_metrics {
        let mut kinds = Vec::new();
        for (i, e) in ms.value.iter().enumerate() {
            let (kind, reading) = reading(r, d, &format!("status.currentMetrics[{i}]"), e);
            kinds.push(kind);
            readings.push(reading);
        }
        out.kinds = Some((kinds, Spanned::new((), ms.referenced)));
    }
    out.status = Some(HpaStatus {
        current_replicas: replicas(r, d, "currentReplicas", s.current_replicas.as_ref()),
        desired_replicas: replicas(r, d, "desiredReplicas", s.desired_replicas.as_ref()),
        last_scale_time,
        current_metrics: readings,
        conditions: conditions(r, d, &s.conditions),
    });
    out
}

/// A string field's text, empty when not given.
fn text(v: &Option<Spanned<String>>) -> &str {
    v.as_ref().map_or("", |v| v.value.as_str())
}

/// A value of a reading, in milli-units.
fn milli(r: &mut Resolver, d: Doc, path: &str, q: &Spanned<QuantityText>) -> i64 {
    match Quantity::parse(q.value.as_str()).map(Quantity::as_milli_i64) {
        Ok(Some(v)) => v,
        Ok(None) => {
            let msg = format!(
                "Invalid value: {:?}: must fit 64 bits in milli-units",
                q.value.as_str()
            );
            r.at(d, q, path, msg);
            0
        }
        Err(e) => {
            r.at(d, q, path, e.to_string());
            0
        }
    }
}

/// One reading: its `type`, and what the controller keeps of it (`None` for a metric that
/// failed, written `type: ""`).
fn reading(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    e: &Spanned<MetricStatusRaw>,
) -> (String, Option<MetricStatus>) {
    let s = &e.value;
    let kind = s.kind.as_ref().map_or("", |k| k.value.as_str());
    // The name the controller gives each kind's reading (`app:cpu` for a container's).
    let (field, name, current) = match kind {
        "" => return (String::new(), None),
        "Resource" | "ContainerResource" => {
            let (field, src) = match kind {
                "Resource" => ("resource", s.resource.as_ref()),
                _ => ("containerResource", s.container_resource.as_ref()),
            };
            let name = src.map(|x| match &x.container {
                Some(c) if field == "containerResource" => {
                    format!("{}:{}", c.value, text(&x.name))
                }
                _ => text(&x.name).to_string(),
            });
            (field, name, src.and_then(|x| x.current.as_ref()))
        }
        "Pods" | "Object" | "External" => {
            let (field, src) = match kind {
                "Pods" => ("pods", s.pods.as_ref()),
                "Object" => ("object", s.object.as_ref()),
                _ => ("external", s.external.as_ref()),
            };
            let name = src.map(|x| x.metric.as_ref().map_or("", |m| text(&m.name)).to_string());
            (field, name, src.and_then(|x| x.current.as_ref()))
        }
        other => {
            let msg = format!(
                "Unsupported value: {other:?}: supported values: \"\", \"ContainerResource\", \
                 \"External\", \"Object\", \"Pods\", \"Resource\""
            );
            let k = s.kind.as_ref().expect("a type was given");
            r.at(d, k, &format!("{path}.type"), msg);
            return (other.to_string(), None);
        }
    };
    let Some(name) = name else {
        let msg = "Required value: must populate information for the given metric source";
        r.at(d, e, &format!("{path}.{field}"), msg);
        return (kind.to_string(), None);
    };
    let cur = current.map(|c| &c.value);
    let current_path = format!("{path}.{field}.current");
    let value = match cur.and_then(|c| c.average_value.as_ref().or(c.value.as_ref())) {
        Some(q) => {
            let which = if cur.is_some_and(|c| c.average_value.is_some()) {
                "averageValue"
            } else {
                "value"
            };
            milli(r, d, &format!("{current_path}.{which}"), q)
        }
        None => {
            let msg = "Required value: must set either a value or an averageValue";
            let at = current.map_or(e.referenced, |c| c.referenced);
            r.at(d, &Spanned::new((), at), &current_path, msg);
            0
        }
    };
    let utilization = cur.and_then(|c| c.average_utilization.as_ref().map(|u| u.value));
    let status = MetricStatus {
        name,
        value,
        utilization,
    };
    (kind.to_string(), Some(status))
}

/// The conditions upstream's controller sets, in order; any other (an unknown type or
/// reason, an `Unknown` status, a type given twice) is left out, with one warning per
/// document.
fn conditions(r: &mut Resolver, d: Doc, given: &[Spanned<HpaConditionRaw>]) -> Vec<HpaCondition> {
    let mut out: Vec<HpaCondition> = Vec::new();
    let mut warned = false;
    for (i, c) in given.iter().enumerate() {
        let path = |field: &str| format!("status.conditions[{i}].{field}");
        let (kind, reason) = (text(&c.value.kind), text(&c.value.reason));
        let status = match c.value.status.as_ref() {
            Some(s) if s.value == "True" => Some(true),
            Some(s) if s.value == "False" => Some(false),
            Some(s) if s.value == "Unknown" => None,
            other => {
                let shown = other.map_or("", |s| s.value.as_str());
                let msg = format!(
                    "Unsupported value: {shown:?}: supported values: \"True\", \"False\", \
                     \"Unknown\""
                );
                match other {
                    Some(s) => r.at(d, s, &path("status"), msg),
                    None => r.at(d, c, &path("status"), msg),
                }
                continue;
            }
        };
        let words = condition_words(kind, reason);
        let twice = words.is_some_and(|(k, _)| out.iter().any(|x| x.kind == k));
        let why = match (words, status) {
            (Some((kind, reason)), Some(status)) if !twice => {
                let last_transition = c
                    .value
                    .last_transition_time
                    .as_ref()
                    .and_then(|t| instant(r, d, &path("lastTransitionTime"), t))
                    .unwrap_or(SimTime::ZERO);
                out.push(HpaCondition {
                    kind,
                    status,
                    reason,
                    message: c.value.message.clone(),
                    last_transition,
                });
                continue;
            }
            (None, _) => format!(
                "condition {kind:?} with reason {reason:?} is not one the HPA controller sets"
            ),
            (Some(_), None) => format!("condition {kind} has status Unknown"),
            (Some(_), Some(_)) => format!("a second {kind} condition"),
        };
        if !warned {
            warned = true;
            let msg = format!("{why}: left out (the HPA's first sync sets its conditions again)");
            let at = c.value.reason.as_ref().filter(|_| words.is_none());
            match at {
                Some(reason) => r.warn_at(d, reason, &path("reason"), msg),
                None => r.warn_at(d, c, &format!("status.conditions[{i}]"), msg),
            }
        }
    }
    out
}

impl Restored {
    /// The creation time and the status, its readings checked against the spec's `metrics`:
    /// readings that do not match them one for one in type are left out with a warning (the
    /// first sync reads the metrics again).
    pub fn finish(
        self,
        r: &mut Resolver,
        d: Doc,
        metrics: &[MetricSpec],
    ) -> (SimTime, Option<HpaStatus>) {
        let mut status = self.status;
        if let (Some(st), Some((kinds, at))) = (&mut status, &self.kinds) {
            // None at all is what the controller writes when it skips the metrics.
            let matches = kinds.is_empty()
                || (kinds.len() == metrics.len()
                    && (kinds.iter().zip(metrics)).all(|(k, m)| k.is_empty() || k == m.kind()));
            if !matches {
                let given: Vec<&str> = kinds
                    .iter()
                    .map(|k| if k.is_empty() { "\"\"" } else { k.as_str() })
                    .collect();
                let spec: Vec<&str> = metrics.iter().map(MetricSpec::kind).collect();
                let msg = format!(
                    "readings of types [{}] do not match spec.metrics [{}] one for one: left \
                     out (the HPA's first sync reads its metrics again)",
                    given.join(", "),
                    spec.join(", ")
                );
                r.warn_at(d, at, "status.currentMetrics", msg);
                st.current_metrics.clear();
            }
        }
        (self.created, status)
    }
}
