//! The admission objects of the core group (`v1`): ResourceQuotas and LimitRanges, as
//! written and resolved (`ValidateResourceQuota`, `ValidateLimitRange` in
//! `pkg/apis/core/validation/validation.go`; `SetDefaults_LimitRangeItem` in
//! `pkg/apis/core/v1/defaults.go`).

use super::meta::{ObjectMeta, meta};
use super::resolver::{Doc, Resolver, quantity, resources};
use super::yaml::{IgnoredPresence, Quantities, Spanned};
use crate::api::admission::{
    LimitItem, LimitKind, LimitRange as ApiLimitRange, ResourceQuota as ApiQuota,
};
use serde::Deserialize;

/// A `v1` ResourceQuota.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ResourceQuota {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    #[serde(default)]
    pub spec: ResourceQuotaSpec,
}

/// ResourceQuota spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceQuotaSpec {
    /// Hard limits by resource name.
    pub hard: Quantities,
    /// Scopes: presence only (not modelled).
    pub scopes: Option<IgnoredPresence>,
    /// Scope selector: presence only (not modelled).
    pub scope_selector: Option<IgnoredPresence>,
}

/// A `v1` LimitRange.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LimitRange {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    #[serde(default)]
    pub spec: LimitRangeSpec,
}

/// LimitRange spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LimitRangeSpec {
    /// The limits.
    pub limits: Vec<LimitRangeItem>,
}

/// One LimitRange item.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LimitRangeItem {
    /// `Container`, `Pod` or `PersistentVolumeClaim`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// Default limits.
    pub default: Quantities,
    /// Default requests.
    pub default_request: Quantities,
    /// Minimums.
    pub min: Quantities,
    /// Maximums.
    pub max: Quantities,
    /// Largest limit / request ratios.
    pub max_limit_request_ratio: Quantities,
}

/// The quota names kubesim charges.
const MODELLED: [&str; 19] = [
    "pods",
    "count/pods",
    "cpu",
    "requests.cpu",
    "limits.cpu",
    "memory",
    "requests.memory",
    "limits.memory",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
    "count/deployments.apps",
    "count/replicasets.apps",
    "count/statefulsets.apps",
    "count/daemonsets.apps",
    "count/jobs.batch",
    "count/replicationcontrollers",
    "replicationcontrollers",
    "count/services",
    "services",
];

/// A ResourceQuota manifest. Quota names the simulator charges: `pods`, `count/pods`,
/// `requests.cpu` (or `cpu`), `requests.memory` (or `memory`), `limits.cpu`,
/// `limits.memory`, ephemeral storage, and object counts (`count/deployments.apps`, ...).
pub(super) fn resource_quota(r: &mut Resolver, d: Doc, q: &ResourceQuota) {
    let Some(meta) = meta(r, d, "metadata", &q.metadata, 1) else {
        return;
    };
    if q.spec.scopes.is_some() || q.spec.scope_selector.is_some() {
        r.warn(d, "spec.scopes and spec.scopeSelector of a ResourceQuota are not modelled yet; the quota counts every pod");
    }
    let mut hard = Vec::new();
    let unmodelled: Vec<&str> = q
        .spec
        .hard
        .keys()
        .map(String::as_str)
        .filter(|n| !MODELLED.contains(n))
        .collect();
    if !unmodelled.is_empty() {
        let msg = format!(
            "spec.hard: {} not modelled yet: never charged, never refusing",
            unmodelled.join(", ")
        );
        r.warn(d, msg);
    }
    for (name, v) in &q.spec.hard {
        let unit = match name.as_str() {
            "cpu" | "requests.cpu" | "limits.cpu" => "cpu",
            _ => name.as_str(),
        };
        if let Some(amount) = quantity(r, d, &format!("spec.hard.{name}"), unit, v) {
            hard.push((name.clone(), amount));
        }
    }
    if r.quotas
        .iter()
        .any(|o| o.namespace == meta.namespace && o.name == meta.name)
    {
        r.doc(
            d,
            "metadata.name",
            format!("duplicate ResourceQuota {}/{}", meta.namespace, meta.name),
        );
        return;
    }
    r.quotas.push(ApiQuota {
        name: meta.name,
        namespace: meta.namespace,
        hard,
    });
}

/// A LimitRange manifest; a Container item's `default` falls back to `max`, its
/// `defaultRequest` to `default`, then `min`, as the API server defaults them.
pub(super) fn limit_range(r: &mut Resolver, d: Doc, l: &LimitRange) {
    let Some(meta) = meta(r, d, "metadata", &l.metadata, 1) else {
        return;
    };
    let mut limits = Vec::new();
    for (i, item) in l.spec.limits.iter().enumerate() {
        let path = format!("spec.limits[{i}]");
        let kind = match item.kind.as_ref().map(|k| (k, k.value.as_str())) {
            Some((_, "Container")) => Some(LimitKind::Container),
            Some((_, "Pod")) => Some(LimitKind::Pod),
            Some((_, "PersistentVolumeClaim")) => {
                r.warn(
                    d,
                    format!("{path}: PersistentVolumeClaim limits are not modelled yet; ignored"),
                );
                None
            }
            Some((k, other)) => {
                let msg = format!(
                    "Unsupported value: {other:?}: supported values: \"Container\", \"PersistentVolumeClaim\", \"Pod\""
                );
                r.at(d, k, &format!("{path}.type"), msg);
                continue;
            }
            None => {
                r.doc(d, &format!("{path}.type"), "Required value");
                continue;
            }
        };
        let mut it = LimitItem {
            kind,
            default: resources(r, d, &format!("{path}.default"), &item.default),
            default_request: resources(
                r,
                d,
                &format!("{path}.defaultRequest"),
                &item.default_request,
            ),
            min: resources(r, d, &format!("{path}.min"), &item.min),
            max: resources(r, d, &format!("{path}.max"), &item.max),
            max_ratio: Vec::new(),
        };
        for (name, v) in &item.max_limit_request_ratio {
            if let Some(milli) = quantity(
                r,
                d,
                &format!("{path}.maxLimitRequestRatio.{name}"),
                "cpu",
                v,
            ) {
                it.max_ratio.push((name.clone(), milli));
            }
        }
        if kind == Some(LimitKind::Container) {
            for name in ["cpu", "memory", "ephemeral-storage"] {
                if it.default.get(name) == 0 && it.max.get(name) != 0 {
                    let v = it.max.get(name);
                    it.default.set(name, v);
                }
                if it.default_request.get(name) == 0 {
                    let v = match it.default.get(name) {
                        0 => it.min.get(name),
                        v => v,
                    };
                    it.default_request.set(name, v);
                }
            }
        }
        limits.push(it);
    }
    r.limit_ranges.push(ApiLimitRange {
        name: meta.name,
        namespace: meta.namespace,
        limits,
    });
}
