//! The apps API group (`apps/v1`): ReplicaSets and Deployments, and the core group's
//! ReplicationControllers, as written and resolved, with upstream's defaults
//! (`pkg/apis/apps/v1/defaults.go`, `pkg/apis/core/v1/defaults.go`) and validation
//! (`ValidateReplicaSetSpec`, `ValidateDeploymentSpec` in `pkg/apis/apps/validation/validation.go`,
//! `ValidateReplicationControllerSpec` in `pkg/apis/core/validation/validation.go`).

use super::core::{PersistentVolumeClaim, PodTemplate, claim_spec, pod};
use super::meta::{IntOrString, LabelSelector, ObjectMeta, int_or_percent, label_selector, meta};
use super::model::WorkloadManifest;
use super::resolver::{Doc, Resolver};
use super::workload_status::{WorkloadStatus, restored};
use super::yaml::Spanned;
use crate::api;
use crate::api::apps::{
    DaemonSetUpdate, DeploymentStrategy, PodManagement, ReplicaSetKind, RollingUpdate,
    StatefulSetUpdate,
};
use crate::api::hpa::ScaleKind;
use crate::api::intstr::IntOrPercent;
use crate::api::names::NameRule;
use serde::Deserialize;
use std::collections::BTreeMap;

/// An `apps/v1` ReplicaSet.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReplicaSet {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: ReplicaSetSpec,
    /// Status, as a snapshot gives it: its replica counts are kept.
    #[serde(default)]
    pub status: Option<WorkloadStatus>,
}

/// ReplicaSet spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSetSpec {
    /// Pods wanted (default 1).
    #[serde(default)]
    pub replicas: Option<Spanned<i64>>,
    /// Seconds a pod stays Ready before it counts as available.
    #[serde(default)]
    pub min_ready_seconds: Option<Spanned<i64>>,
    /// The pods counted (required).
    #[serde(default)]
    pub selector: Option<Spanned<LabelSelector>>,
    /// What the pods are made from (required).
    pub template: PodTemplate,
}

/// A `v1` ReplicationController.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReplicationController {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: ReplicationControllerSpec,
    /// Status, as a snapshot gives it: its replica counts are kept.
    #[serde(default)]
    pub status: Option<WorkloadStatus>,
}

/// ReplicationController spec: an equality selector, defaulted to the template's labels.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationControllerSpec {
    /// Pods wanted (default 1).
    #[serde(default)]
    pub replicas: Option<Spanned<i64>>,
    /// Seconds a pod stays Ready before it counts as available.
    #[serde(default)]
    pub min_ready_seconds: Option<Spanned<i64>>,
    /// The pods counted (default: the template's labels).
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    /// What the pods are made from (required).
    pub template: Option<PodTemplate>,
}

/// An `apps/v1` Deployment.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Deployment {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: DeploymentSpec,
    /// Status, as a snapshot gives it: its conditions and collision count are kept.
    #[serde(default)]
    pub status: Option<WorkloadStatus>,
}

/// Deployment spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// Pods wanted (default 1).
    #[serde(default)]
    pub replicas: Option<Spanned<i64>>,
    /// The pods and ReplicaSets owned (required).
    #[serde(default)]
    pub selector: Option<Spanned<LabelSelector>>,
    /// What the pods are made from (required).
    pub template: PodTemplate,
    /// How new pods replace old ones.
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// Seconds a pod stays Ready before it counts as available.
    #[serde(default)]
    pub min_ready_seconds: Option<Spanned<i64>>,
    /// Old ReplicaSets kept (default 10).
    #[serde(default)]
    pub revision_history_limit: Option<Spanned<i64>>,
    /// Seconds without progress before the rollout is reported stalled (default 600).
    #[serde(default)]
    pub progress_deadline_seconds: Option<Spanned<i64>>,
    /// Template changes wait while paused.
    #[serde(default)]
    pub paused: Option<bool>,
}

/// An `apps/v1` DaemonSet.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DaemonSet {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: DaemonSetSpec,
}

/// DaemonSet spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonSetSpec {
    /// The pods owned (required).
    #[serde(default)]
    pub selector: Option<Spanned<LabelSelector>>,
    /// What each node's pod is made from (required).
    pub template: PodTemplate,
    /// How new pods replace old ones.
    #[serde(default)]
    pub update_strategy: Option<Strategy>,
    /// Seconds a pod stays Ready before it counts as available.
    #[serde(default)]
    pub min_ready_seconds: Option<Spanned<i64>>,
    /// Old revisions kept (read, not modelled: kubesim keeps no ControllerRevisions).
    #[serde(default)]
    pub revision_history_limit: Option<Spanned<i64>>,
}

/// An `apps/v1` StatefulSet.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StatefulSet {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: StatefulSetSpec,
}

/// StatefulSet spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatefulSetSpec {
    /// Pods wanted (default 1).
    #[serde(default)]
    pub replicas: Option<Spanned<i64>>,
    /// The pods owned (required).
    #[serde(default)]
    pub selector: Option<Spanned<LabelSelector>>,
    /// What each pod is made from (required).
    pub template: PodTemplate,
    /// The Service its pods' host names live under (optional since v1.33).
    #[serde(default)]
    pub service_name: Option<Spanned<String>>,
    /// `OrderedReady` (default) or `Parallel`.
    #[serde(default)]
    pub pod_management_policy: Option<Spanned<String>>,
    /// How new pods replace old ones.
    #[serde(default)]
    pub update_strategy: Option<StatefulSetStrategy>,
    /// Seconds a pod stays Ready before it counts as available.
    #[serde(default)]
    pub min_ready_seconds: Option<Spanned<i64>>,
    /// The claims each pod gets.
    #[serde(default)]
    pub volume_claim_templates: Vec<PersistentVolumeClaim>,
    /// `ordinals.start`.
    #[serde(default)]
    pub ordinals: Option<Ordinals>,
    /// Old revisions kept (read, not modelled).
    #[serde(default)]
    pub revision_history_limit: Option<Spanned<i64>>,
    /// What happens to claims when pods go: Retain is modelled.
    #[serde(default)]
    pub persistent_volume_claim_retention_policy: Option<RetentionPolicy>,
}

/// `spec.updateStrategy` of a StatefulSet.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatefulSetStrategy {
    /// `RollingUpdate` (default) or `OnDelete`.
    #[serde(default, rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// Its partition.
    #[serde(default)]
    pub rolling_update: Option<StatefulSetRolling>,
}

/// `spec.updateStrategy.rollingUpdate` of a StatefulSet.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatefulSetRolling {
    /// Ordinals below it keep their revision.
    pub partition: Option<Spanned<i64>>,
    /// Alpha (`MaxUnavailableStatefulSet`, off by default in 1.34): read, not modelled.
    pub max_unavailable: Option<Spanned<IntOrString>>,
}

/// `spec.ordinals`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Ordinals {
    /// The first ordinal.
    pub start: Option<Spanned<i64>>,
}

/// `spec.persistentVolumeClaimRetentionPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetentionPolicy {
    /// `Retain` (default) or `Delete`.
    pub when_deleted: Option<Spanned<String>>,
    /// `Retain` (default) or `Delete`.
    pub when_scaled: Option<Spanned<String>>,
}

/// `spec.strategy`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    /// `RollingUpdate` (default) or `Recreate`.
    #[serde(default, rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// The bounds of a rolling update.
    #[serde(default)]
    pub rolling_update: Option<RollingUpdateRaw>,
}

/// `spec.strategy.rollingUpdate`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RollingUpdateRaw {
    /// Pods above `replicas` (default 25%).
    pub max_surge: Option<Spanned<IntOrString>>,
    /// Pods below `replicas` (default 25%).
    pub max_unavailable: Option<Spanned<IntOrString>>,
}

/// A count that must not be negative (upstream's `ValidateNonnegativeField`); `default` when
/// absent.
fn nonnegative(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    v: Option<&Spanned<i64>>,
    default: i64,
) -> i64 {
    match v {
        Some(n) if n.value < 0 => {
            r.at(
                d,
                n,
                path,
                format!(
                    "Invalid value: {}: must be greater than or equal to 0",
                    n.value
                ),
            );
            default
        }
        Some(n) => n.value,
        None => default,
    }
}

/// `replicas` as a count of pods.
fn replicas(r: &mut Resolver, d: Doc, v: Option<&Spanned<i64>>) -> u32 {
    let n = nonnegative(r, d, "spec.replicas", v, 1);
    u32::try_from(n).unwrap_or_else(|_| {
        r.doc(
            d,
            "spec.replicas",
            format!("Invalid value: {n}: must be at most {}", u32::MAX),
        );
        1
    })
}

/// The pod template of a workload (`spec.template`): its pods restart always, as
/// `ValidatePodTemplateSpecForReplicaSet` requires.
fn template(
    r: &mut Resolver,
    d: Doc,
    owner: &api::ObjectMeta,
    t: &PodTemplate,
) -> Option<api::apps::PodTemplate> {
    let mut tmeta = t.metadata.clone();
    tmeta.name.get_or_insert_with(|| "template".into());
    tmeta
        .namespace
        .get_or_insert_with(|| owner.namespace.clone());
    let (meta, spec) = pod(r, d, &tmeta, &t.spec, "spec.template.", false)?;
    if spec.restart_policy != api::RestartPolicy::Always {
        let msg = format!(
            "Unsupported value: {:?}: supported values: \"Always\"",
            t.spec.restart_policy.as_deref().unwrap_or_default()
        );
        r.doc(d, "spec.template.spec.restartPolicy", msg);
    }
    let meta = api::ObjectMeta {
        name: String::new(),
        namespace: String::new(),
        ..meta
    };
    Some(api::apps::PodTemplate {
        meta,
        spec: r.share_spec(spec),
    })
}

/// The selector of a ReplicaSet or Deployment: required, not empty, and selecting the
/// template's labels.
fn selector(
    r: &mut Resolver,
    d: Doc,
    written: Option<&Spanned<LabelSelector>>,
    template: &api::apps::PodTemplate,
    kind: &str,
) -> Option<api::LabelSelector> {
    let Some(written) = written else {
        r.doc(d, "spec.selector", "Required value");
        return None;
    };
    let s = label_selector(r, d, "spec.selector", &written.value)?;
    if s.is_everything() {
        let msg = format!("Invalid value: {{}}: empty selector is invalid for {kind}");
        r.at(d, written, "spec.selector", msg);
        return None;
    }
    matches_template(r, d, &s, template)?;
    Some(s)
}

fn matches_template(
    r: &mut Resolver,
    d: Doc,
    s: &api::LabelSelector,
    t: &api::apps::PodTemplate,
) -> Option<()> {
    if s.matches(&t.meta.labels) {
        return Some(());
    }
    let msg = format!(
        "Invalid value: {:?}: `selector` does not match template `labels`",
        t.meta.labels
    );
    r.doc(d, "spec.template.metadata.labels", msg);
    None
}

/// Whether the name is taken among the workloads of its kind resolved so far.
fn taken<S>(list: &[WorkloadManifest<S>], meta: &api::ObjectMeta) -> bool {
    list.iter()
        .any(|o| o.meta.namespace == meta.namespace && o.meta.name == meta.name)
}

/// Notes a workload an HorizontalPodAutoscaler may name as written, whether or not it
/// resolves: an HPA naming one that failed is not also told it is not found.
fn given(r: &mut Resolver, kind: ScaleKind, meta: &api::ObjectMeta) {
    let key = (kind, meta.namespace.clone(), meta.name.clone());
    r.scalable_given.insert(key);
}

fn duplicate(r: &mut Resolver, d: Doc, kind: &str, meta: &api::ObjectMeta) {
    let msg = format!("duplicate {kind} {}/{}", meta.namespace, meta.name);
    r.doc(d, "metadata.name", msg);
}

/// A ReplicaSet manifest.
pub(super) fn replica_set(r: &mut Resolver, d: Doc, m: &ReplicaSet) {
    let Some(meta) = meta(r, d, "metadata", &m.metadata, 1) else {
        return;
    };
    given(r, ScaleKind::ReplicaSet, &meta);
    let replicas = replicas(r, d, m.spec.replicas.as_ref());
    let min_ready = nonnegative(
        r,
        d,
        "spec.minReadySeconds",
        m.spec.min_ready_seconds.as_ref(),
        0,
    );
    let Some(template) = template(r, d, &meta, &m.spec.template) else {
        return;
    };
    let Some(selector) = selector(r, d, m.spec.selector.as_ref(), &template, "deployment") else {
        return;
    };
    if taken(&r.replica_sets, &meta) {
        return duplicate(r, d, "ReplicaSet", &meta);
    }
    let spec = api::apps::ReplicaSetSpec {
        kind: ReplicaSetKind::ReplicaSet,
        replicas,
        selector,
        min_ready_ms: min_ready.saturating_mul(1000),
        template,
    };
    let restored = restored(r, d, &m.metadata, m.status.as_ref());
    r.replica_sets.push(WorkloadManifest {
        meta,
        spec,
        restored,
    });
}

/// A ReplicationController manifest: its selector and labels default to the template's.
pub(super) fn replication_controller(r: &mut Resolver, d: Doc, m: &ReplicationController) {
    let Some(meta) = meta(r, d, "metadata", &m.metadata, 1) else {
        return;
    };
    given(r, ScaleKind::ReplicationController, &meta);
    let replicas = replicas(r, d, m.spec.replicas.as_ref());
    let min_ready = nonnegative(
        r,
        d,
        "spec.minReadySeconds",
        m.spec.min_ready_seconds.as_ref(),
        0,
    );
    let Some(raw) = &m.spec.template else {
        r.doc(d, "spec.template", "Required value");
        return;
    };
    let Some(template) = template(r, d, &meta, raw) else {
        return;
    };
    let labels = if m.spec.selector.is_empty() {
        (*template.meta.labels).clone()
    } else {
        m.spec.selector.clone()
    };
    if labels.is_empty() {
        r.doc(d, "spec.selector", "Required value");
        return;
    }
    let Ok(selector) = api::LabelSelector::from_parts(&labels, &[]) else {
        super::meta::check_labels(r, d, "spec.selector", &labels);
        return;
    };
    if matches_template(r, d, &selector, &template).is_none() {
        return;
    }
    let meta = match meta.labels.is_empty() {
        true => api::ObjectMeta {
            labels: template.meta.labels.clone(),
            ..meta
        },
        false => meta,
    };
    if taken(&r.replica_sets, &meta) {
        return duplicate(r, d, "ReplicationController", &meta);
    }
    let spec = api::apps::ReplicaSetSpec {
        kind: ReplicaSetKind::ReplicationController,
        replicas,
        selector,
        min_ready_ms: min_ready.saturating_mul(1000),
        template,
    };
    let restored = restored(r, d, &m.metadata, m.status.as_ref());
    r.replica_sets.push(WorkloadManifest {
        meta,
        spec,
        restored,
    });
}

/// A Deployment manifest.
pub(super) fn deployment(r: &mut Resolver, d: Doc, m: &Deployment) {
    let Some(meta) = meta(r, d, "metadata", &m.metadata, 1) else {
        return;
    };
    given(r, ScaleKind::Deployment, &meta);
    let s = &m.spec;
    let replicas = replicas(r, d, s.replicas.as_ref());
    let min_ready = nonnegative(
        r,
        d,
        "spec.minReadySeconds",
        s.min_ready_seconds.as_ref(),
        0,
    );
    let history = nonnegative(
        r,
        d,
        "spec.revisionHistoryLimit",
        s.revision_history_limit.as_ref(),
        10,
    );
    let deadline = nonnegative(
        r,
        d,
        "spec.progressDeadlineSeconds",
        s.progress_deadline_seconds.as_ref(),
        600,
    );
    if let Some(p) = &s.progress_deadline_seconds
        && p.value >= 0
        && p.value <= min_ready
    {
        r.at(
            d,
            p,
            "spec.progressDeadlineSeconds",
            format!(
                "Invalid value: {}: must be greater than minReadySeconds",
                p.value
            ),
        );
    }
    let strategy = strategy(r, d, s.strategy.as_ref());
    let Some(template) = template(r, d, &meta, &s.template) else {
        return;
    };
    let Some(selector) = selector(r, d, s.selector.as_ref(), &template, "deployment") else {
        return;
    };
    let Some(strategy) = strategy else {
        return;
    };
    if taken(&r.deployments, &meta) {
        return duplicate(r, d, "Deployment", &meta);
    }
    let spec = api::apps::DeploymentSpec {
        replicas,
        selector,
        template,
        strategy,
        min_ready_ms: min_ready.saturating_mul(1000),
        revision_history_limit: u32::try_from(history).unwrap_or(u32::MAX),
        // upstream's "no deadline" is MaxInt32 seconds
        progress_deadline_ms: (deadline < i64::from(i32::MAX)).then(|| deadline * 1000),
        paused: s.paused == Some(true),
    };
    let restored = restored(r, d, &m.metadata, m.status.as_ref());
    r.deployments.push(WorkloadManifest {
        meta,
        spec,
        restored,
    });
}

/// `spec.strategy`, defaulted and checked (`ValidateDeploymentStrategy`,
/// `ValidateRollingUpdateDeployment`).
fn strategy(r: &mut Resolver, d: Doc, s: Option<&Strategy>) -> Option<DeploymentStrategy> {
    let kind = s.and_then(|s| s.kind.as_ref());
    let rolling = s.and_then(|s| s.rolling_update.as_ref());
    match kind.map(|k| k.value.as_str()) {
        None | Some("RollingUpdate") => {}
        Some("Recreate") => {
            if rolling.is_some() {
                let msg = "Forbidden: may not be specified when strategy `type` is 'Recreate'";
                r.doc(d, "spec.strategy.rollingUpdate", msg);
                return None;
            }
            return Some(DeploymentStrategy::Recreate);
        }
        Some(other) => {
            let msg = format!(
                "Unsupported value: {other:?}: supported values: \"Recreate\", \"RollingUpdate\""
            );
            if let Some(k) = kind {
                r.at(d, k, "spec.strategy.type", msg);
            }
            return None;
        }
    }
    let raw = rolling.cloned().unwrap_or_default();
    let path = "spec.strategy.rollingUpdate";
    let (surge, unavailable) = bounds(r, d, path, &raw, RollingUpdate::default())?;
    if value(surge) == 0 && value(unavailable) == 0 {
        let msg = format!("Invalid value: {unavailable}: may not be 0 when `maxSurge` is 0");
        let field = format!("{path}.maxUnavailable");
        match &raw.max_unavailable {
            Some(v) => r.at(d, v, &field, msg),
            None => r.doc(d, &field, msg),
        }
        return None;
    }
    Some(DeploymentStrategy::RollingUpdate(RollingUpdate {
        max_surge: surge,
        max_unavailable: unavailable,
    }))
}

/// The number or percentage an `IntOrPercent` holds (`getIntOrPercentValue`).
fn value(v: IntOrPercent) -> i64 {
    match v {
        IntOrPercent::Int(n) | IntOrPercent::Percent(n) => n,
    }
}

/// `maxSurge` and `maxUnavailable` of a `rollingUpdate` at `path`, each defaulted when
/// absent.
fn bounds(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    raw: &RollingUpdateRaw,
    defaults: RollingUpdate,
) -> Option<(IntOrPercent, IntOrPercent)> {
    let mut field = |name: &str, v: &Option<Spanned<IntOrString>>, default| match v {
        Some(v) => int_or_percent(r, d, &format!("{path}.{name}"), v),
        None => Some(default),
    };
    let surge = field("maxSurge", &raw.max_surge, defaults.max_surge);
    let unavailable = field(
        "maxUnavailable",
        &raw.max_unavailable,
        defaults.max_unavailable,
    );
    Some((surge?, unavailable?))
}

/// A DaemonSet manifest (`ValidateDaemonSetSpec`; `updateStrategy` defaults to RollingUpdate
/// with `maxUnavailable` 1 and `maxSurge` 0).
pub(super) fn daemon_set(r: &mut Resolver, d: Doc, m: &DaemonSet) {
    let Some(meta) = meta(r, d, "metadata", &m.metadata, 1) else {
        return;
    };
    let s = &m.spec;
    let min_ready = nonnegative(
        r,
        d,
        "spec.minReadySeconds",
        s.min_ready_seconds.as_ref(),
        0,
    );
    nonnegative(
        r,
        d,
        "spec.revisionHistoryLimit",
        s.revision_history_limit.as_ref(),
        10,
    );
    let update = daemon_update(r, d, s.update_strategy.as_ref());
    let Some(template) = template(r, d, &meta, &s.template) else {
        return;
    };
    let Some(selector) = selector(r, d, s.selector.as_ref(), &template, "daemonset") else {
        return;
    };
    let Some(update) = update else {
        return;
    };
    if taken(&r.daemon_sets, &meta) {
        return duplicate(r, d, "DaemonSet", &meta);
    }
    let spec = api::apps::DaemonSetSpec {
        selector,
        template,
        update,
        min_ready_ms: min_ready.saturating_mul(1000),
    };
    let restored = restored(r, d, &m.metadata, None);
    r.daemon_sets.push(WorkloadManifest {
        meta,
        spec,
        restored,
    });
}

/// `spec.updateStrategy` of a DaemonSet (`ValidateDaemonSetUpdateStrategy`).
fn daemon_update(r: &mut Resolver, d: Doc, s: Option<&Strategy>) -> Option<DaemonSetUpdate> {
    let kind = s.and_then(|s| s.kind.as_ref());
    match kind.map(|k| k.value.as_str()) {
        None | Some("RollingUpdate") => {}
        Some("OnDelete") => return Some(DaemonSetUpdate::OnDelete),
        Some(other) => {
            let msg = format!(
                "Unsupported value: {other:?}: supported values: \"OnDelete\", \"RollingUpdate\""
            );
            if let Some(k) = kind {
                r.at(d, k, "spec.updateStrategy.type", msg);
            }
            return None;
        }
    }
    let raw = s.and_then(|s| s.rolling_update.clone()).unwrap_or_default();
    let path = "spec.updateStrategy.rollingUpdate";
    let defaults = RollingUpdate {
        max_surge: IntOrPercent::Int(0),
        max_unavailable: IntOrPercent::Int(1),
    };
    let (surge, unavailable) = bounds(r, d, path, &raw, defaults)?;
    // Exactly one of the two is non-zero (`ValidateRollingUpdateDaemonSet`).
    match (value(surge) != 0, value(unavailable) != 0) {
        (false, false) => {
            let msg = "Required value: cannot be 0 when maxSurge is 0";
            r.doc(d, &format!("{path}.maxUnavailable"), msg);
            None
        }
        (true, true) => {
            let msg =
                format!("Invalid value: {surge}: may not be set when maxUnavailable is non-zero");
            r.doc(d, &format!("{path}.maxSurge"), msg);
            None
        }
        _ => Some(DaemonSetUpdate::RollingUpdate(RollingUpdate {
            max_surge: surge,
            max_unavailable: unavailable,
        })),
    }
}

/// A StatefulSet manifest (`ValidateStatefulSetSpec`).
pub(super) fn stateful_set(r: &mut Resolver, d: Doc, m: &StatefulSet) {
    let Some(meta) = meta(r, d, "metadata", &m.metadata, 1) else {
        return;
    };
    given(r, ScaleKind::StatefulSet, &meta);
    let s = &m.spec;
    let replicas = replicas(r, d, s.replicas.as_ref());
    let min_ready = nonnegative(
        r,
        d,
        "spec.minReadySeconds",
        s.min_ready_seconds.as_ref(),
        0,
    );
    nonnegative(
        r,
        d,
        "spec.revisionHistoryLimit",
        s.revision_history_limit.as_ref(),
        10,
    );
    let start = s.ordinals.as_ref().and_then(|o| o.start.as_ref());
    let start = nonnegative(r, d, "spec.ordinals.start", start, 0);
    if let Some(name) = &s.service_name
        && !name.value.is_empty()
    {
        for why in NameRule::Label.check(&name.value) {
            r.at(
                d,
                name,
                "spec.serviceName",
                format!("Invalid value: {:?}: {why}", name.value),
            );
        }
    }
    let pod_management = match s
        .pod_management_policy
        .as_ref()
        .map(|p| (p, p.value.as_str()))
    {
        None | Some((_, "OrderedReady")) => PodManagement::OrderedReady,
        Some((_, "Parallel")) => PodManagement::Parallel,
        Some((p, other)) => {
            let msg = format!(
                "Unsupported value: {other:?}: supported values: \"OrderedReady\", \"Parallel\""
            );
            r.at(d, p, "spec.podManagementPolicy", msg);
            return;
        }
    };
    let update = stateful_update(r, d, s.update_strategy.as_ref());
    retention(r, d, s.persistent_volume_claim_retention_policy.as_ref());
    let mut claim_templates = Vec::new();
    for (i, c) in s.volume_claim_templates.iter().enumerate() {
        let path = format!("spec.volumeClaimTemplates[{i}]");
        let Some(name) = r.name_at(
            d,
            &format!("{path}.metadata.name"),
            c.metadata.name.as_deref(),
            NameRule::Subdomain,
        ) else {
            continue;
        };
        let spec = claim_spec(r, d, &format!("{path}.spec"), &c.spec);
        claim_templates.push((name, spec));
    }
    let Some(template) = template(r, d, &meta, &s.template) else {
        return;
    };
    let Some(selector) = selector(r, d, s.selector.as_ref(), &template, "statefulset") else {
        return;
    };
    let Some(update) = update else {
        return;
    };
    if taken(&r.stateful_sets, &meta) {
        return duplicate(r, d, "StatefulSet", &meta);
    }
    let spec = api::apps::StatefulSetSpec {
        replicas,
        selector,
        template,
        service_name: s
            .service_name
            .as_ref()
            .map(|n| n.value.clone())
            .filter(|n| !n.is_empty()),
        pod_management,
        update,
        min_ready_ms: min_ready.saturating_mul(1000),
        claim_templates,
        ordinals_start: u32::try_from(start).unwrap_or(0),
    };
    let restored = restored(r, d, &m.metadata, None);
    r.stateful_sets.push(WorkloadManifest {
        meta,
        spec,
        restored,
    });
}

/// `spec.updateStrategy` of a StatefulSet.
fn stateful_update(
    r: &mut Resolver,
    d: Doc,
    s: Option<&StatefulSetStrategy>,
) -> Option<StatefulSetUpdate> {
    let kind = s.and_then(|s| s.kind.as_ref());
    let rolling = s.and_then(|s| s.rolling_update.as_ref());
    match kind.map(|k| k.value.as_str()) {
        None | Some("RollingUpdate") => {}
        Some("OnDelete") => {
            if rolling.is_some() {
                let msg = "Invalid value: only allowed for updateStrategy 'RollingUpdate'";
                r.doc(d, "spec.updateStrategy.rollingUpdate", msg);
                return None;
            }
            return Some(StatefulSetUpdate::OnDelete);
        }
        Some(other) => {
            let msg = format!(
                "Unsupported value: {other:?}: supported values: \"OnDelete\", \"RollingUpdate\""
            );
            if let Some(k) = kind {
                r.at(d, k, "spec.updateStrategy.type", msg);
            }
            return None;
        }
    }
    let partition = rolling.and_then(|r| r.partition.as_ref());
    let partition = nonnegative(
        r,
        d,
        "spec.updateStrategy.rollingUpdate.partition",
        partition,
        0,
    );
    if rolling.is_some_and(|r| r.max_unavailable.is_some()) {
        let msg = "spec.updateStrategy.rollingUpdate.maxUnavailable needs the MaxUnavailableStatefulSet feature gate (alpha, off in v1.34); ignored";
        r.warn(d, msg);
    }
    Some(StatefulSetUpdate::RollingUpdate {
        partition: u32::try_from(partition).unwrap_or(u32::MAX),
    })
}

/// `persistentVolumeClaimRetentionPolicy`: Retain is what kubesim models.
fn retention(r: &mut Resolver, d: Doc, p: Option<&RetentionPolicy>) {
    let Some(p) = p else {
        return;
    };
    for (field, v) in [
        ("whenDeleted", &p.when_deleted),
        ("whenScaled", &p.when_scaled),
    ] {
        let path = format!("spec.persistentVolumeClaimRetentionPolicy.{field}");
        match v.as_ref().map(|v| (v, v.value.as_str())) {
            None | Some((_, "Retain")) => {}
            Some((_, "Delete")) => r.warn(
                d,
                format!("{path}: Delete is not modelled yet; claims are retained"),
            ),
            Some((v, other)) => {
                let msg = format!(
                    "Unsupported value: {other:?}: supported values: \"Retain\", \"Delete\""
                );
                r.at(d, v, &path, msg);
            }
        }
    }
}
