//! The resource metrics API group (`metrics.k8s.io/v1beta1`): PodMetrics and PodMetricsList
//! documents as `kubectl get --raw /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods` (or
//! `kubectl get podmetrics -o yaml`) gives them. Beside a snapshot of the cluster they give
//! its pods' usage when the run starts: each named pod uses what its PodMetrics says (per
//! container) for as long as no traffic drives it, so the HPAs' first syncs read the
//! cluster's real metrics ("what will my HPA do next?"). A PodMetrics naming a pod the
//! scenario does not hold is warned about and ignored.

use super::meta::ObjectMeta;
use super::resolver::{Doc, Resolver, quantity};
use super::yaml::{QuantityText, Spanned};
use crate::api::metrics::{ContainerUsage, PodUsageSeed};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A PodMetrics as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PodMetrics {
    /// Names the pod.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// When metrics-server scraped it (RFC 3339; read, not used).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The window of its CPU rate (read, not used).
    #[serde(default)]
    pub window: Option<String>,
    /// Per container.
    #[serde(default)]
    pub containers: Vec<ContainerMetrics>,
    /// `kind` (items of a list may carry it).
    #[serde(default)]
    pub kind: Option<String>,
    /// `apiVersion`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: Option<String>,
}

/// One container's usage as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ContainerMetrics {
    /// Container name.
    pub name: String,
    /// `cpu` and `memory` quantities.
    #[serde(default)]
    pub usage: BTreeMap<String, Spanned<QuantityText>>,
}

/// A PodMetricsList as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PodMetricsList {
    /// The PodMetrics.
    #[serde(default)]
    pub items: Vec<PodMetrics>,
}

/// A PodMetrics document.
pub(super) fn pod_metrics(r: &mut Resolver, d: Doc, m: &PodMetrics) {
    one(r, d, "", m);
}

/// A PodMetricsList document.
pub(super) fn pod_metrics_list(r: &mut Resolver, d: Doc, l: &PodMetricsList) {
    for (i, m) in l.items.iter().enumerate() {
        one(r, d, &format!("items[{i}]."), m);
    }
}

/// One PodMetrics: its pod must be in the scenario.
fn one(r: &mut Resolver, d: Doc, prefix: &str, m: &PodMetrics) {
    let Some(name) = m.metadata.name.clone() else {
        r.doc(
            d,
            &format!("{prefix}metadata.name"),
            "Required value: name is required",
        );
        return;
    };
    let namespace = m
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    if !r.pod_keys.contains(&(namespace.clone(), name.clone())) {
        r.warn(
            d,
            format!(
                "{prefix}metadata.name: PodMetrics of pod {namespace}/{name}, which the scenario \
                 does not have; ignored"
            ),
        );
        return;
    }
    let mut containers = Vec::new();
    for (j, c) in m.containers.iter().enumerate() {
        let mut usage = ContainerUsage {
            name: c.name.clone(),
            cpu_m: 0,
            memory: 0,
        };
        for (resource, q) in &c.usage {
            let path = format!("{prefix}containers[{j}].usage.{resource}");
            match resource.as_str() {
                "cpu" => usage.cpu_m = quantity(r, d, &path, "cpu", q).unwrap_or(0),
                "memory" => usage.memory = quantity(r, d, &path, "memory", q).unwrap_or(0),
                _ => {}
            }
        }
        containers.push(usage);
    }
    r.pod_metrics.push(PodUsageSeed {
        namespace,
        name,
        containers,
    });
}
