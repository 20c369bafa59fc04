//! The autoscaling API group: HorizontalPodAutoscalers as written (`autoscaling/v2`, and
//! `autoscaling/v1` converted to it as the API server converts it) and resolved, with
//! upstream's defaults (`pkg/apis/autoscaling/v2/defaults.go`, `v1/defaults.go`,
//! `v1/conversion.go`) and validation (`pkg/apis/autoscaling/validation/validation.go`), in its
//! words.
//!
//! One raw type reads both versions; the document's `apiVersion` decides which fields count.
//! Under `autoscaling/v1`, `spec.metrics` and `spec.behavior` are unknown fields (reported by
//! the schema check, then ignored, as the API server drops them) and
//! `targetCPUUtilizationPercentage: N` becomes one cpu Utilization metric of N %; under
//! `autoscaling/v2`, `targetCPUUtilizationPercentage` is the unknown one. Either way no metric
//! means cpu Utilization 80 %.
//!
//! Feature gates (Kubernetes v1.34 defaults) and what kubesim does:
//! - `HPAScaleToZero` (alpha, off): `minReplicas: 0` is refused as the API server refuses it
//!   (`must be greater than or equal to 1`, the message naming the gate), with upstream's
//!   second error when no Object or External metric is given.
//! - `HPAConfigurableTolerance` (alpha, off): the API server silently drops
//!   `behavior.scaleUp.tolerance` / `scaleDown.tolerance`; kubesim keeps it, checks it is not
//!   negative (as with the gate on) and honours it as if the gate were on, warning once per
//!   load. It is read to a thousandth (`0.0001` counts as `0.001`).
//!
//! Beyond upstream's validation, kubesim refuses at load what upstream accepts but can never
//! use at run time (the HPA would report `FailedGetScale` or a failed metric): a
//! `scaleTargetRef` of another kind than Deployment, ReplicaSet, StatefulSet or
//! ReplicationController, of another API group than its kind's, or naming no such workload in
//! the HPA's namespace (`deployments.apps "web" not found`); an Object metric whose
//! `target.type` has no matching value; resources other than cpu and memory; Object metrics of
//! other kinds than Service, Deployment and StatefulSet. The `autoscaling.alpha.kubernetes.io/`
//! annotations by which a v1 object carries v2 fields are not read (a warning says so).
//!
//! A snapshot's HPA (`kubectl get hpa -o yaml`, `kubesim run --snapshot`) keeps its
//! `metadata.creationTimestamp` and its `status`, which the first sync starts from
//! ([`status`]); a v1 object's conditions and readings, kept in annotations, are not read.

mod status;
#[cfg(test)]
mod tests;

use super::meta::{LabelSelector, ObjectMeta, label_selector, meta};
use super::model::HpaManifest;
use super::resolver::{Doc, Resolver};
use super::yaml::{QuantityText, SpanLocation, Spanned};
use crate::api::apps::ReplicaSetKind;
use crate::api::hpa::{
    Behavior, DEFAULT_CPU_UTILIZATION, HorizontalPodAutoscaler as Hpa, HpaSpec, MetricId,
    MetricSpec, MetricTarget, ObjectRef, PolicyKind, ResourceName, ScaleKind, ScaleTargetRef,
    ScalingPolicy, ScalingRules, SelectPolicy,
};
use crate::api::names::NameRule;
use crate::api::quantity::Quantity;
use serde::Deserialize;

/// A HorizontalPodAutoscaler, `autoscaling/v2` or `autoscaling/v1`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HorizontalPodAutoscaler {
    /// `autoscaling/v2` or `autoscaling/v1` (the kind table refuses others): which fields
    /// count.
    #[serde(default, rename = "apiVersion")]
    pub api_version: Option<String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: Spanned<HpaSpecRaw>,
    /// Status, as a snapshot gives it: restored.
    #[serde(default)]
    pub status: Option<status::HpaStatusRaw>,
}

/// `spec`, of either version.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaSpecRaw {
    /// The workload scaled (required).
    pub scale_target_ref: Option<Spanned<CrossVersionRef>>,
    /// Lower bound (default 1).
    pub min_replicas: Option<Spanned<i32>>,
    /// Upper bound (required).
    pub max_replicas: Option<Spanned<i32>>,
    /// `autoscaling/v1` only: the cpu utilization aimed at, in percent.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: Option<Spanned<i32>>,
    /// `autoscaling/v2` only: what is scaled on.
    pub metrics: Option<Spanned<Vec<Spanned<MetricRaw>>>>,
    /// `autoscaling/v2` only: how fast.
    pub behavior: Option<Spanned<BehaviorRaw>>,
}

/// `CrossVersionObjectReference`: `scaleTargetRef`, an Object metric's `describedObject`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CrossVersionRef {
    /// Its group and version (the group is what counts).
    pub api_version: Option<Spanned<String>>,
    /// Its kind.
    pub kind: Option<Spanned<String>>,
    /// Its name.
    pub name: Option<Spanned<String>>,
}

/// `metrics[i]`: its `type` and the one source of that type.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricRaw {
    /// `Resource`, `ContainerResource`, `Pods`, `Object` or `External`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// `type: Resource`.
    pub resource: Option<Spanned<ResourceSource>>,
    /// `type: ContainerResource`.
    pub container_resource: Option<Spanned<ResourceSource>>,
    /// `type: Pods`.
    pub pods: Option<Spanned<MetricSource>>,
    /// `type: Object`.
    pub object: Option<Spanned<MetricSource>>,
    /// `type: External`.
    pub external: Option<Spanned<MetricSource>>,
}

/// A Resource or ContainerResource source.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSource {
    /// The resource.
    pub name: Option<Spanned<String>>,
    /// The container (ContainerResource only; an unknown field of Resource).
    pub container: Option<Spanned<String>>,
    /// What is aimed at.
    pub target: Option<Spanned<TargetRaw>>,
}

/// A Pods, Object or External source.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricSource {
    /// Object only: the object the metric describes.
    pub described_object: Option<Spanned<CrossVersionRef>>,
    /// The metric.
    pub metric: Option<Spanned<MetricIdRaw>>,
    /// What is aimed at.
    pub target: Option<Spanned<TargetRaw>>,
}

/// `metric`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MetricIdRaw {
    /// Its name.
    pub name: Option<Spanned<String>>,
    /// Its selector.
    pub selector: Option<LabelSelector>,
}

/// `target`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetRaw {
    /// `Utilization`, `Value` or `AverageValue`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// A total.
    pub value: Option<Spanned<QuantityText>>,
    /// A per-pod value.
    pub average_value: Option<Spanned<QuantityText>>,
    /// A percentage of the pods' requests.
    pub average_utilization: Option<Spanned<i32>>,
}

/// `behavior`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BehaviorRaw {
    /// Scaling up.
    pub scale_up: Option<Spanned<RulesRaw>>,
    /// Scaling down.
    pub scale_down: Option<Spanned<RulesRaw>>,
}

/// `scaleUp` / `scaleDown`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RulesRaw {
    /// Seconds of recommendations considered.
    pub stabilization_window_seconds: Option<Spanned<i32>>,
    /// `Max`, `Min` or `Disabled`.
    pub select_policy: Option<Spanned<String>>,
    /// The policies (at least one when given).
    pub policies: Option<Spanned<Vec<Spanned<PolicyRaw>>>>,
    /// The tolerance (alpha gate HPAConfigurableTolerance).
    pub tolerance: Option<Spanned<QuantityText>>,
}

/// `policies[i]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyRaw {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// How many pods, or what percentage.
    pub value: Option<Spanned<i32>>,
    /// Over how many seconds.
    pub period_seconds: Option<Spanned<i32>>,
}

/// The metric sources, in `metrics[i]`'s field names and `type`s.
const SOURCES: [(&str, &str); 5] = [
    ("object", "Object"),
    ("external", "External"),
    ("pods", "Pods"),
    ("resource", "Resource"),
    ("containerResource", "ContainerResource"),
];

/// The v1.34 limits of `behavior` (`MaxStabilizationWindowSeconds`, `MaxPeriodSeconds`).
const MAX_WINDOW_S: i32 = 3600;
const MAX_PERIOD_S: i32 = 1800;

/// Where an error about a field that is not written goes: the mapping it is missing from.
fn here(at: SpanLocation) -> Spanned<()> {
    Spanned::new((), at)
}

/// An error at `leaf` if written, else at `parent`.
fn at_or<T>(
    r: &mut Resolver,
    d: Doc,
    leaf: Option<&Spanned<T>>,
    parent: SpanLocation,
    path: &str,
    msg: impl Into<String>,
) {
    match leaf {
        Some(l) => r.at(d, l, path, msg),
        None => r.at(d, &here(parent), path, msg),
    }
}

/// `Unsupported value: "x": supported values: "a", "b"`, as upstream's NotSupported reads.
fn not_supported(value: &str, supported: &[&str]) -> String {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    format!(
        "Unsupported value: {value:?}: supported values: {}",
        list.join(", ")
    )
}

/// What is wrong with a name used in a URL path (`IsValidPathSegmentName`).
fn path_segment_problems(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"]
        .iter()
        .filter(|c| name.contains(*c))
        .map(|c| format!("may not contain '{c}'"))
        .collect()
}

/// A required string that is a path segment (a kind, a name, a metric name); `required` is
/// the Required message's detail.
fn segment(
    r: &mut Resolver,
    d: Doc,
    v: Option<&Spanned<String>>,
    parent: SpanLocation,
    path: &str,
    required: &str,
) -> Option<String> {
    let Some(s) = v.filter(|s| !s.value.is_empty()) else {
        let msg = match required {
            "" => "Required value".to_string(),
            detail => format!("Required value: {detail}"),
        };
        at_or(r, d, v, parent, path, msg);
        return None;
    };
    let problems = path_segment_problems(&s.value);
    for p in &problems {
        r.at(d, s, path, format!("Invalid value: {:?}: {p}", s.value));
    }
    problems.is_empty().then(|| s.value.clone())
}

/// The API group of a kind kubesim reads.
fn group_of(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" => "apps",
        _ => "",
    }
}

/// Checks a reference's `apiVersion` as upstream's controller maps it: only its group counts
/// (any version of it is found), and it must be the kind's. `must_name_group` is the API
/// server's rule for `scaleTargetRef` (a group is required but for ReplicationController).
fn api_group(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    v: Option<&Spanned<String>>,
    parent: SpanLocation,
    kind: &str,
    must_name_group: bool,
) -> bool {
    let text = v.map_or("", |v| v.value.as_str());
    let path = format!("{path}.apiVersion");
    let want = group_of(kind);
    let hint = match want {
        "" => format!("a {kind} is v1"),
        g => format!("a {kind} is {g}/v1"),
    };
    let group = match text.split('/').count() {
        1 => "",
        2 => text.split('/').next().unwrap_or_default(),
        _ => {
            let msg = format!("Invalid value: {text:?}: unexpected GroupVersion string: {text}");
            at_or(r, d, v, parent, &path, msg);
            return false;
        }
    };
    if group == want {
        return true;
    }
    let msg = if group.is_empty() && must_name_group {
        format!("Invalid value: {text:?}: apiVersion must specify API group ({hint})")
    } else {
        format!("no matches for kind {kind:?} in group {group:?} ({hint})")
    };
    at_or(r, d, v, parent, &path, msg);
    false
}

/// A HorizontalPodAutoscaler manifest: defaulted and checked, then kept in `r.hpas`.
pub(super) fn horizontal_pod_autoscaler(r: &mut Resolver, d: Doc, m: &HorizontalPodAutoscaler) {
    let Some(meta) = meta(r, d, "metadata", &m.metadata, 1) else {
        return;
    };
    let (namespace, name) = (meta.namespace.clone(), meta.name.clone());
    if r.hpas
        .iter()
        .any(|h| h.hpa.namespace == namespace && h.hpa.name == name)
    {
        let msg = format!("duplicate HorizontalPodAutoscaler {namespace}/{name}");
        r.doc(d, "metadata.name", msg);
        return;
    }
    let v1 = m.api_version.as_deref() == Some("autoscaling/v1");
    let s = &m.spec.value;
    let at = m.spec.referenced;
    let errors_before = r.errors.len();
    let (min_replicas, max_replicas) = bounds(r, d, s, at);
    let target = scale_target(r, d, &namespace, s.scale_target_ref.as_ref(), at);
    let (metrics, behavior) = if v1 {
        v1_annotations(r, d, &m.metadata);
        (v1_metrics(r, d, s), None)
    } else {
        let metrics = s.metrics.as_ref().map_or(Vec::new(), |ms| {
            ms.value
                .iter()
                .enumerate()
                .filter_map(|(i, m)| metric(r, d, &format!("spec.metrics[{i}]"), m))
                .collect()
        });
        let behavior = s.behavior.as_ref().map(|b| behavior(r, d, b));
        (metrics, behavior)
    };
    scale_to_zero(r, d, s, v1, min_replicas, at);
    let restored = status::restore(r, d, &m.metadata, m.status.as_ref());
    let Some(target) = target.filter(|_| r.errors.len() == errors_before) else {
        return;
    };
    let metrics = match metrics.is_empty() {
        true => vec![MetricSpec::Resource {
            name: ResourceName::Cpu,
            target: MetricTarget::Utilization(DEFAULT_CPU_UTILIZATION),
        }],
        false => metrics,
    };
    if let Some(other) = (r.hpas.iter().map(|h| &h.hpa))
        .find(|h| h.namespace == namespace && h.spec.target == target)
    {
        let msg = format!(
            "HorizontalPodAutoscalers {namespace}/{} and {namespace}/{name} both scale {} \
             {namespace}/{}: upstream's controller finds their pods controlled by several \
             HPAs (AmbiguousSelector) and scales with neither",
            other.name,
            target.kind.kind(),
            target.name
        );
        r.warn(d, msg);
    }
    let (created, status) = restored.finish(r, d, &metrics);
    let hpa = Hpa {
        name,
        namespace,
        spec: HpaSpec {
            target,
            min_replicas,
            max_replicas,
            metrics,
            behavior,
        },
    };
    r.hpas.push(HpaManifest {
        hpa,
        created,
        status,
    });
}

/// `minReplicas` (default 1) and `maxReplicas` (required), checked as upstream checks them.
fn bounds(r: &mut Resolver, d: Doc, s: &HpaSpecRaw, at: SpanLocation) -> (i32, i32) {
    let min = s.min_replicas.as_ref().map_or(1, |m| m.value);
    if let Some(m) = s.min_replicas.as_ref().filter(|m| m.value < 1) {
        let gate = match m.value {
            0 => {
                " (scaling to zero needs the alpha feature gate HPAScaleToZero, off in \
                  Kubernetes v1.34, and an Object or External metric)"
            }
            _ => "",
        };
        let msg = format!(
            "Invalid value: {}: must be greater than or equal to 1{gate}",
            m.value
        );
        r.at(d, m, "spec.minReplicas", msg);
    }
    let max = s.max_replicas.as_ref().map_or(0, |m| m.value);
    let max_at = s.max_replicas.as_ref();
    if max < 1 {
        let msg = format!("Invalid value: {max}: must be greater than 0");
        at_or(r, d, max_at, at, "spec.maxReplicas", msg);
    }
    if max < min {
        let msg = format!("Invalid value: {max}: must be greater than or equal to `minReplicas`");
        at_or(r, d, max_at, at, "spec.maxReplicas", msg);
    }
    (min, max)
}

/// Upstream's second error for `minReplicas: 0`: an Object or External metric is needed.
fn scale_to_zero(r: &mut Resolver, d: Doc, s: &HpaSpecRaw, v1: bool, min: i32, at: SpanLocation) {
    let object_or_external = !v1
        && s.metrics.as_ref().is_some_and(|ms| {
            ms.value.iter().any(|m| {
                m.value
                    .kind
                    .as_ref()
                    .is_some_and(|k| k.value == "Object" || k.value == "External")
            })
        });
    if min != 0 || object_or_external {
        return;
    }
    let msg = "Forbidden: must specify at least one Object or External metric to support \
               scaling to zero replicas";
    match (&s.metrics, &s.min_replicas) {
        (Some(ms), _) if !v1 => r.at(d, ms, "spec.metrics", msg),
        (_, Some(m)) => r.at(d, m, "spec.metrics", msg),
        _ => r.at(d, &here(at), "spec.metrics", msg),
    }
}

/// `scaleTargetRef`: a workload kubesim scales, of the HPA's namespace, given in the scenario.
fn scale_target(
    r: &mut Resolver,
    d: Doc,
    namespace: &str,
    t: Option<&Spanned<CrossVersionRef>>,
    spec_at: SpanLocation,
) -> Option<ScaleTargetRef> {
    let path = "spec.scaleTargetRef";
    let at = t.map_or(spec_at, |t| t.referenced);
    let empty = CrossVersionRef::default();
    let t = t.map_or(&empty, |t| &t.value);
    let kind = segment(r, d, t.kind.as_ref(), at, &format!("{path}.kind"), "");
    let name = segment(r, d, t.name.as_ref(), at, &format!("{path}.name"), "");
    let kind = kind.and_then(|k| {
        let scalable = ScaleKind::parse(&k);
        if scalable.is_none() {
            let msg = format!(
                "{} (the kinds kubesim scales)",
                not_supported(
                    &k,
                    &[
                        "Deployment",
                        "ReplicaSet",
                        "StatefulSet",
                        "ReplicationController"
                    ]
                )
            );
            at_or(r, d, t.kind.as_ref(), at, &format!("{path}.kind"), msg);
        }
        scalable
    })?;
    let group_ok = api_group(
        r,
        d,
        path,
        t.api_version.as_ref(),
        at,
        kind.kind(),
        kind != ScaleKind::ReplicationController,
    );
    let name = name.filter(|_| group_ok)?;
    let ns = namespace;
    let exists = match kind {
        ScaleKind::Deployment => r
            .deployments
            .iter()
            .any(|w| w.meta.namespace == ns && w.meta.name == name),
        ScaleKind::StatefulSet => r
            .stateful_sets
            .iter()
            .any(|w| w.meta.namespace == ns && w.meta.name == name),
        ScaleKind::ReplicaSet | ScaleKind::ReplicationController => {
            let rs_kind = match kind {
                ScaleKind::ReplicaSet => ReplicaSetKind::ReplicaSet,
                _ => ReplicaSetKind::ReplicationController,
            };
            r.replica_sets
                .iter()
                .any(|w| w.spec.kind == rs_kind && w.meta.namespace == ns && w.meta.name == name)
        }
    };
    if !exists {
        // A workload given with errors has its own; not found would be one too many.
        if !r
            .scalable_given
            .contains(&(kind, ns.to_string(), name.clone()))
        {
            let msg = format!("{} {name:?} not found", kind.resource());
            at_or(r, d, t.name.as_ref(), at, &format!("{path}.name"), msg);
        }
        return None;
    }
    Some(ScaleTargetRef { kind, name })
}

/// `autoscaling/v1`'s one metric: `targetCPUUtilizationPercentage` as a cpu Utilization
/// target (`Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler`).
fn v1_metrics(r: &mut Resolver, d: Doc, s: &HpaSpecRaw) -> Vec<MetricSpec> {
    let Some(pct) = &s.target_cpu_utilization_percentage else {
        return Vec::new();
    };
    if pct.value < 1 {
        let msg = format!("Invalid value: {}: must be greater than 0", pct.value);
        r.at(d, pct, "spec.targetCPUUtilizationPercentage", msg);
    }
    vec![MetricSpec::Resource {
        name: ResourceName::Cpu,
        target: MetricTarget::Utilization(pct.value),
    }]
}

/// The annotations an `autoscaling/v1` object carries v2 fields in: not read.
fn v1_annotations(r: &mut Resolver, d: Doc, m: &ObjectMeta) {
    for (key, what) in [
        ("autoscaling.alpha.kubernetes.io/metrics", "metrics"),
        ("autoscaling.alpha.kubernetes.io/behavior", "behavior"),
    ] {
        if m.annotations.contains_key(key) {
            r.warn(
                d,
                format!(
                    "metadata.annotations[{key}]: not read: kubesim converts an \
                     autoscaling/v1 HorizontalPodAutoscaler without the {what} this \
                     annotation carries (write it as autoscaling/v2 to give them)"
                ),
            );
        }
    }
}

/// `metrics[i]`: its type, exactly its one source, and that source.
fn metric(r: &mut Resolver, d: Doc, path: &str, m: &Spanned<MetricRaw>) -> Option<MetricSpec> {
    let s = &m.value;
    let at = m.referenced;
    let given: [Option<SpanLocation>; 5] = [
        s.object.as_ref().map(|x| x.referenced),
        s.external.as_ref().map(|x| x.referenced),
        s.pods.as_ref().map(|x| x.referenced),
        s.resource.as_ref().map(|x| x.referenced),
        s.container_resource.as_ref().map(|x| x.referenced),
    ];
    let type_path = format!("{path}.type");
    let expected = match s.kind.as_ref().map(|k| k.value.as_str()) {
        None | Some("") => {
            let msg = "Required value: must specify a metric source type";
            at_or(r, d, s.kind.as_ref(), at, &type_path, msg);
            None
        }
        Some(t) => {
            let found = SOURCES.iter().position(|(_, name)| *name == t);
            if found.is_none() {
                let mut names: Vec<&str> = SOURCES.iter().map(|(_, n)| *n).collect();
                names.sort_unstable();
                at_or(
                    r,
                    d,
                    s.kind.as_ref(),
                    at,
                    &type_path,
                    not_supported(t, &names),
                );
            }
            found
        }
    };
    if let Some(i) = expected
        && given[i].is_none()
    {
        let msg = "Required value: must populate information for the given metric source";
        r.at(d, &here(at), &format!("{path}.{}", SOURCES[i].0), msg);
    }
    if given.iter().flatten().count() > 1 {
        for (i, g) in given.iter().enumerate() {
            if let Some(g) = g.filter(|_| Some(i) != expected) {
                let msg = "Forbidden: must populate the given metric source only";
                r.at(d, &here(g), &format!("{path}.{}", SOURCES[i].0), msg);
            }
        }
    }
    let i = expected?;
    let source_path = format!("{path}.{}", SOURCES[i].0);
    match i {
        0 => object_metric(r, d, &source_path, s.object.as_ref()?),
        1 => external_metric(r, d, &source_path, s.external.as_ref()?),
        2 => pods_metric(r, d, &source_path, s.pods.as_ref()?),
        3 => resource_metric(r, d, &source_path, s.resource.as_ref()?, false),
        _ => resource_metric(r, d, &source_path, s.container_resource.as_ref()?, true),
    }
}

/// A target, checked (`validateMetricTarget`): its type, its values in milli-units.
struct Target {
    kind: Option<Spanned<String>>,
    value: Option<i64>,
    average_value: Option<i64>,
    at: SpanLocation,
}

fn target(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    t: Option<&Spanned<TargetRaw>>,
    parent: SpanLocation,
) -> Target {
    let at = t.map_or(parent, |t| t.referenced);
    let empty = TargetRaw::default();
    let t = t.map_or(&empty, |t| &t.value);
    let type_path = format!("{path}.type");
    match t.kind.as_ref().map(|k| k.value.as_str()) {
        None | Some("") => {
            let msg = "Required value: must specify a metric target type";
            at_or(r, d, t.kind.as_ref(), at, &type_path, msg);
        }
        Some("Utilization" | "Value" | "AverageValue") => {}
        Some(other) => {
            let msg = format!(
                "Invalid value: {other:?}: must be either Utilization, Value, or AverageValue"
            );
            at_or(r, d, t.kind.as_ref(), at, &type_path, msg);
        }
    }
    let value = t
        .value
        .as_ref()
        .and_then(|q| positive_milli(r, d, &format!("{path}.value"), q));
    let average_value = t
        .average_value
        .as_ref()
        .and_then(|q| positive_milli(r, d, &format!("{path}.averageValue"), q));
    if let Some(u) = t.average_utilization.as_ref().filter(|u| u.value < 1) {
        let msg = format!("Invalid value: {}: must be greater than 0", u.value);
        r.at(d, u, &format!("{path}.averageUtilization"), msg);
    }
    Target {
        kind: t.kind.clone(),
        value,
        average_value,
        at,
    }
}

/// A quantity in milli-units (`500m` is 500, `1` is 1000), which must be positive.
fn positive_milli(r: &mut Resolver, d: Doc, path: &str, q: &Spanned<QuantityText>) -> Option<i64> {
    let parsed = match Quantity::parse(q.value.as_str()) {
        Ok(v) => v,
        Err(e) => {
            r.at(d, q, path, e.to_string());
            return None;
        }
    };
    let text = q.value.as_str();
    if parsed.milli() <= 0 {
        r.at(
            d,
            q,
            path,
            format!("Invalid value: {text:?}: must be positive"),
        );
        return None;
    }
    let milli = parsed.as_milli_i64();
    if milli.is_none() {
        let msg = format!("Invalid value: {text:?}: must fit 64 bits in milli-units");
        r.at(d, q, path, msg);
    }
    milli
}

/// Warns when `type` names another value than the one upstream's controller reads (it picks
/// by the value given, not by `type`, for all but Object metrics).
fn warn_type(r: &mut Resolver, d: Doc, path: &str, t: &Target, reads: &str, field: &str) {
    if let Some(k) = t.kind.as_ref().filter(|k| k.value != reads) {
        let msg = format!(
            "target type {} but {field} is given: upstream's controller reads {field} ({reads})",
            k.value
        );
        r.warn_at(d, k, &format!("{path}.type"), msg);
    }
}

/// A Resource (or, with `container`, ContainerResource) metric.
fn resource_metric(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    src: &Spanned<ResourceSource>,
    container: bool,
) -> Option<MetricSpec> {
    let (s, at) = (&src.value, src.referenced);
    let name_path = format!("{path}.name");
    let name = match s.name.as_ref().map(|n| n.value.as_str()) {
        None | Some("") => {
            let msg = "Required value: must specify a resource name";
            at_or(r, d, s.name.as_ref(), at, &name_path, msg);
            None
        }
        Some("cpu") => Some(ResourceName::Cpu),
        Some("memory") => Some(ResourceName::Memory),
        Some(other) => {
            let msg = format!(
                "{} (kubesim models the cpu and memory pods use, no other resource)",
                not_supported(other, &["cpu", "memory"])
            );
            at_or(r, d, s.name.as_ref(), at, &name_path, msg);
            None
        }
    };
    let container_name = match container {
        true => container_of(r, d, path, s.container.as_ref(), at),
        false => None,
    };
    let target_path = format!("{path}.target");
    let t = target(r, d, &target_path, s.target.as_ref(), at);
    let raw = s.target.as_ref().map(|t| &t.value);
    let utilization = raw.and_then(|t| t.average_utilization.as_ref());
    let average = raw.and_then(|t| t.average_value.as_ref());
    let target = match (utilization, average) {
        (None, None) => {
            let msg = "Required value: must set either a target raw value or a target utilization";
            let p = format!("{target_path}.averageUtilization");
            r.at(d, &here(t.at), &p, msg);
            None
        }
        (Some(_), Some(v)) => {
            let msg = "Forbidden: may not set both a target raw value and a target utilization";
            r.at(d, v, &format!("{target_path}.averageValue"), msg);
            None
        }
        (None, Some(_)) => {
            warn_type(r, d, &target_path, &t, "AverageValue", "averageValue");
            t.average_value.map(MetricTarget::AverageValue)
        }
        (Some(u), None) => {
            warn_type(r, d, &target_path, &t, "Utilization", "averageUtilization");
            Some(MetricTarget::Utilization(u.value))
        }
    };
    let (name, target) = (name?, target?);
    Some(match container {
        false => MetricSpec::Resource { name, target },
        true => MetricSpec::ContainerResource {
            name,
            container: container_name?,
            target,
        },
    })
}

/// A ContainerResource metric's `container`: required, a DNS label.
fn container_of(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    c: Option<&Spanned<String>>,
    at: SpanLocation,
) -> Option<String> {
    let path = format!("{path}.container");
    let Some(c) = c.filter(|c| !c.value.is_empty()) else {
        at_or(
            r,
            d,
            c,
            at,
            &path,
            "Required value: must specify a container",
        );
        return None;
    };
    let problems = NameRule::Label.invalid(&c.value);
    let ok = problems.is_empty();
    for p in problems {
        r.at(d, c, &path, p);
    }
    ok.then(|| c.value.clone())
}

/// `metric`: a name (a path segment) and an optional selector.
fn metric_id(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    m: Option<&Spanned<MetricIdRaw>>,
    parent: SpanLocation,
) -> Option<MetricId> {
    let at = m.map_or(parent, |m| m.referenced);
    let name_path = format!("{path}.metric.name");
    let raw_name = m.and_then(|m| m.value.name.as_ref());
    let name = segment(r, d, raw_name, at, &name_path, "must specify a metric name");
    let selector = match m.and_then(|m| m.value.selector.as_ref()) {
        Some(s) => Some(label_selector(r, d, &format!("{path}.metric.selector"), s)?),
        None => None,
    };
    Some(MetricId {
        name: name?,
        selector,
    })
}

/// A Pods metric: a per-pod AverageValue.
fn pods_metric(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    src: &Spanned<MetricSource>,
) -> Option<MetricSpec> {
    let (s, at) = (&src.value, src.referenced);
    let metric = metric_id(r, d, path, s.metric.as_ref(), at);
    let target_path = format!("{path}.target");
    let t = target(r, d, &target_path, s.target.as_ref(), at);
    let written = s
        .target
        .as_ref()
        .and_then(|t| t.value.average_value.as_ref());
    if written.is_none() {
        let msg = "Required value: must specify a positive target averageValue";
        r.at(d, &here(t.at), &format!("{target_path}.averageValue"), msg);
    } else {
        warn_type(r, d, &target_path, &t, "AverageValue", "averageValue");
    }
    Some(MetricSpec::Pods {
        metric: metric?,
        average_value: t.average_value?,
    })
}

/// An Object metric: of a Service, Deployment or StatefulSet of the HPA's namespace; its
/// target's type picks its value, as upstream's controller picks it.
fn object_metric(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    src: &Spanned<MetricSource>,
) -> Option<MetricSpec> {
    let (s, at) = (&src.value, src.referenced);
    let described = described_object(r, d, path, s.described_object.as_ref(), at);
    let metric = metric_id(r, d, path, s.metric.as_ref(), at);
    let target_path = format!("{path}.target");
    let t = target(r, d, &target_path, s.target.as_ref(), at);
    let raw = s.target.as_ref().map(|t| &t.value);
    let (value_given, average_given) = (
        raw.is_some_and(|t| t.value.is_some()),
        raw.is_some_and(|t| t.average_value.is_some()),
    );
    if !value_given && !average_given {
        let msg = "Required value: must set either a target value or averageValue";
        r.at(d, &here(t.at), &format!("{target_path}.averageValue"), msg);
        return None;
    }
    let target = match t.kind.as_ref().map(|k| k.value.as_str()) {
        Some("Value") if value_given => t.value.map(MetricTarget::Value),
        Some("AverageValue") if average_given => t.average_value.map(MetricTarget::AverageValue),
        Some(k @ ("Value" | "AverageValue" | "Utilization")) => {
            let msg = format!(
                "Invalid value: {k:?}: an Object metric is read by its target type: Value with \
                 target.value, AverageValue with target.averageValue (upstream's controller \
                 fails this one: invalid object metric source: neither a value target nor an \
                 average value target was set)"
            );
            at_or(
                r,
                d,
                t.kind.as_ref(),
                t.at,
                &format!("{target_path}.type"),
                msg,
            );
            None
        }
        _ => None,
    };
    Some(MetricSpec::Object {
        described: described?,
        metric: metric?,
        target: target?,
    })
}

/// `describedObject`: a kind kubesim has metrics of, by name.
fn described_object(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    o: Option<&Spanned<CrossVersionRef>>,
    parent: SpanLocation,
) -> Option<ObjectRef> {
    let path = format!("{path}.describedObject");
    let at = o.map_or(parent, |o| o.referenced);
    let empty = CrossVersionRef::default();
    let o = o.map_or(&empty, |o| &o.value);
    let kind = segment(r, d, o.kind.as_ref(), at, &format!("{path}.kind"), "");
    let name = segment(r, d, o.name.as_ref(), at, &format!("{path}.name"), "");
    let kind = kind?;
    if !matches!(kind.as_str(), "Service" | "Deployment" | "StatefulSet") {
        let msg = format!(
            "{} (the kinds kubesim has Object metrics of)",
            not_supported(&kind, &["Deployment", "Service", "StatefulSet"])
        );
        at_or(r, d, o.kind.as_ref(), at, &format!("{path}.kind"), msg);
        return None;
    }
    if !api_group(r, d, &path, o.api_version.as_ref(), at, &kind, false) {
        return None;
    }
    Some(ObjectRef { kind, name: name? })
}

/// An External metric: per pod (AverageValue) or in total (Value), by the value given.
fn external_metric(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    src: &Spanned<MetricSource>,
) -> Option<MetricSpec> {
    let (s, at) = (&src.value, src.referenced);
    let metric = metric_id(r, d, path, s.metric.as_ref(), at);
    let target_path = format!("{path}.target");
    let t = target(r, d, &target_path, s.target.as_ref(), at);
    let raw = s.target.as_ref().map(|t| &t.value);
    let value = raw.and_then(|t| t.value.as_ref());
    let average = raw.and_then(|t| t.average_value.as_ref());
    let target = match (value, average) {
        (None, None) => {
            let msg = "Required value: must set either a target value for metric or a per-pod \
                       target";
            r.at(d, &here(t.at), &format!("{target_path}.averageValue"), msg);
            None
        }
        (Some(v), Some(_)) => {
            let msg = "Forbidden: may not set both a target value for metric and a per-pod \
                       target";
            r.at(d, v, &format!("{target_path}.value"), msg);
            None
        }
        (None, Some(_)) => {
            warn_type(r, d, &target_path, &t, "AverageValue", "averageValue");
            t.average_value.map(MetricTarget::AverageValue)
        }
        (Some(_), None) => {
            warn_type(r, d, &target_path, &t, "Value", "value");
            t.value.map(MetricTarget::Value)
        }
    };
    Some(MetricSpec::External {
        metric: metric?,
        target: target?,
    })
}

/// `behavior`: each direction filled from upstream's defaults, field by field.
fn behavior(r: &mut Resolver, d: Doc, b: &Spanned<BehaviorRaw>) -> Behavior {
    let up = b.value.scale_up.as_ref();
    let down = b.value.scale_down.as_ref();
    Behavior {
        scale_up: rules(
            r,
            d,
            "spec.behavior.scaleUp",
            up,
            ScalingRules::default_scale_up(),
        ),
        scale_down: rules(
            r,
            d,
            "spec.behavior.scaleDown",
            down,
            ScalingRules::default_scale_down(),
        ),
    }
}

/// `scaleUp` / `scaleDown` over `defaults` (`copyHPAScalingRules`), checked
/// (`validateScalingRules`).
fn rules(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    given: Option<&Spanned<RulesRaw>>,
    defaults: ScalingRules,
) -> ScalingRules {
    let Some(given) = given else {
        return defaults;
    };
    let g = &given.value;
    let mut out = defaults;
    if let Some(w) = &g.stabilization_window_seconds {
        let wpath = format!("{path}.stabilizationWindowSeconds");
        if w.value < 0 {
            let msg = format!(
                "Invalid value: {}: must be greater than or equal to zero",
                w.value
            );
            r.at(d, w, &wpath, msg);
        } else if w.value > MAX_WINDOW_S {
            let msg = format!(
                "Invalid value: {}: must be less than or equal to {MAX_WINDOW_S}",
                w.value
            );
            r.at(d, w, &wpath, msg);
        }
        out.stabilization_window_s = Some(w.value);
    }
    if let Some(p) = &g.select_policy {
        match p.value.as_str() {
            "Max" => out.select_policy = SelectPolicy::Max,
            "Min" => out.select_policy = SelectPolicy::Min,
            "Disabled" => out.select_policy = SelectPolicy::Disabled,
            other => {
                let msg = not_supported(other, &["Disabled", "Max", "Min"]);
                r.at(d, p, &format!("{path}.selectPolicy"), msg);
            }
        }
    }
    if let Some(ps) = &g.policies {
        let ppath = format!("{path}.policies");
        if ps.value.is_empty() {
            r.at(
                d,
                ps,
                &ppath,
                "Required value: must specify at least one Policy",
            );
        }
        out.policies = ps
            .value
            .iter()
            .enumerate()
            .filter_map(|(i, p)| policy(r, d, &format!("{ppath}[{i}]"), p))
            .collect();
    }
    if let Some(t) = &g.tolerance {
        out.tolerance = tolerance(r, d, &format!("{path}.tolerance"), t);
    }
    out
}

/// `policies[i]` (`validateScalingPolicy`).
fn policy(r: &mut Resolver, d: Doc, path: &str, p: &Spanned<PolicyRaw>) -> Option<ScalingPolicy> {
    let (s, at) = (&p.value, p.referenced);
    let kind = match s.kind.as_ref().map_or("", |k| k.value.as_str()) {
        "Pods" => Some(PolicyKind::Pods),
        "Percent" => Some(PolicyKind::Percent),
        other => {
            let msg = not_supported(other, &["Percent", "Pods"]);
            at_or(r, d, s.kind.as_ref(), at, &format!("{path}.type"), msg);
            None
        }
    };
    let value = s.value.as_ref().map_or(0, |v| v.value);
    if value <= 0 {
        let msg = format!("Invalid value: {value}: must be greater than zero");
        at_or(r, d, s.value.as_ref(), at, &format!("{path}.value"), msg);
    }
    let period = s.period_seconds.as_ref().map_or(0, |v| v.value);
    let ppath = format!("{path}.periodSeconds");
    if period <= 0 {
        let msg = format!("Invalid value: {period}: must be greater than zero");
        at_or(r, d, s.period_seconds.as_ref(), at, &ppath, msg);
    } else if period > MAX_PERIOD_S {
        let msg = format!("Invalid value: {period}: must be less than or equal to {MAX_PERIOD_S}");
        at_or(r, d, s.period_seconds.as_ref(), at, &ppath, msg);
    }
    Some(ScalingPolicy {
        kind: kind?,
        value,
        period_s: period,
    })
}

/// `tolerance`: not negative; kept as if the alpha gate HPAConfigurableTolerance were on
/// (upstream's API server drops it with the gate off), with one warning per load.
fn tolerance(r: &mut Resolver, d: Doc, path: &str, t: &Spanned<QuantityText>) -> Option<f64> {
    let text = t.value.as_str();
    let q = match Quantity::parse(text) {
        Ok(q) => q,
        Err(e) => {
            r.at(d, t, path, e.to_string());
            return None;
        }
    };
    if q.milli() < 0 {
        let msg = format!("Invalid value: {text:?}: must be greater than or equal to 0");
        r.at(d, t, path, msg);
        return None;
    }
    if !r.tolerance_warned {
        r.tolerance_warned = true;
        r.warn_at(
            d,
            t,
            path,
            "tolerance needs the alpha feature gate HPAConfigurableTolerance, off in \
             Kubernetes v1.34 (the API server drops the field without it); kubesim honours it \
             as if the gate were on",
        );
    }
    Some(q.milli() as f64 / 1000.0)
}
