//! What a snapshot's workloads keep of their status (`kubectl get deployments -o yaml`): their
//! `metadata.generation`, a Deployment's conditions and collision count, and the replica
//! counts of Deployments and ReplicaSets (a Deployment compares its counts with the last ones
//! to tell progress, and reads its ReplicaSets' before their controller has counted the pods
//! again). The rest is recomputed by the controllers from the pods.

use super::core::instant;
use super::meta::ObjectMeta;
use super::model::{ReplicaCounts, Restored};
use super::resolver::{Doc, Resolver};
use super::yaml::Spanned;
use crate::api::apps::{Condition, condition_word};
use crate::api::node::ConditionStatus;
use crate::engine::SimTime;
use serde::Deserialize;

/// A Deployment's or ReplicaSet's status as written (the fields kubesim keeps).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkloadStatus {
    /// `Available`, `Progressing`, `ReplicaFailure`.
    pub conditions: Vec<ConditionRaw>,
    /// Hash collisions met naming ReplicaSets (a Deployment's).
    pub collision_count: Option<Spanned<i64>>,
    /// Pods counted (a ReplicaSet's).
    pub replicas: Option<Spanned<i64>>,
    /// Ready pods.
    pub ready_replicas: Option<Spanned<i64>>,
    /// Available pods.
    pub available_replicas: Option<Spanned<i64>>,
    /// Pods of the current template (a Deployment's).
    pub updated_replicas: Option<Spanned<i64>>,
    /// Pods short of available (a Deployment's).
    pub unavailable_replicas: Option<Spanned<i64>>,
}

/// One of `status.conditions` as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionRaw {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// `True`, `False` or `Unknown`.
    pub status: Spanned<String>,
    /// Machine-readable reason.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// RFC 3339.
    pub last_update_time: Option<Spanned<String>>,
    /// RFC 3339.
    pub last_transition_time: Option<Spanned<String>>,
}

/// A replica count of a status: a non-negative integer.
fn count(r: &mut Resolver, d: Doc, field: &str, v: &Option<Spanned<i64>>) -> u32 {
    match v {
        None => 0,
        Some(n) => u32::try_from(n.value).unwrap_or_else(|_| {
            let msg = format!(
                "Invalid value: {}: must be greater than or equal to 0",
                n.value
            );
            r.at(d, n, &format!("status.{field}"), msg);
            0
        }),
    }
}

/// What a workload manifest restores of its metadata and status.
pub(super) fn restored(
    r: &mut Resolver,
    d: Doc,
    m: &ObjectMeta,
    status: Option<&WorkloadStatus>,
) -> Restored {
    let mut out = Restored::default();
    if let Some(g) = &m.generation {
        match u64::try_from(g.value) {
            Ok(g) if g > 0 => out.generation = g,
            _ => r.at(
                d,
                g,
                "metadata.generation",
                format!("Invalid value: {}: must be greater than 0", g.value),
            ),
        }
    }
    let Some(status) = status else {
        return out;
    };
    if status.replicas.is_some() {
        out.counts = Some(ReplicaCounts {
            replicas: count(r, d, "replicas", &status.replicas),
            updated: count(r, d, "updatedReplicas", &status.updated_replicas),
            ready: count(r, d, "readyReplicas", &status.ready_replicas),
            available: count(r, d, "availableReplicas", &status.available_replicas),
            unavailable: count(r, d, "unavailableReplicas", &status.unavailable_replicas),
        });
    }
    if let Some(c) = &status.collision_count {
        match u32::try_from(c.value) {
            Ok(n) => out.collision_count = Some(n),
            Err(_) => r.at(
                d,
                c,
                "status.collisionCount",
                format!(
                    "Invalid value: {}: must be greater than or equal to 0",
                    c.value
                ),
            ),
        }
    }
    for (i, c) in status.conditions.iter().enumerate() {
        let path = |field: &str| format!("status.conditions[{i}].{field}");
        let cond_status = match c.status.value.as_str() {
            "True" => ConditionStatus::True,
            "False" => ConditionStatus::False,
            "Unknown" => ConditionStatus::Unknown,
            other => {
                let msg = format!(
                    "Unsupported value: {other:?}: supported values: \"True\", \"False\", \"Unknown\""
                );
                r.at(d, &c.status, &path("status"), msg);
                continue;
            }
        };
        let (Some(kind), Some(reason)) = (condition_word(&c.kind.value), condition_word(&c.reason))
        else {
            r.warn(
                d,
                format!(
                    "{}: condition {:?} with reason {:?} is not one the Deployment controller writes; left out",
                    path("type"),
                    c.kind.value,
                    c.reason
                ),
            );
            continue;
        };
        let mut at = |field: &str, t: &Option<Spanned<String>>| {
            t.as_ref()
                .and_then(|t| instant(r, d, &path(field), t))
                .unwrap_or(SimTime::ZERO)
        };
        let last_update = at("lastUpdateTime", &c.last_update_time);
        let last_transition = at("lastTransitionTime", &c.last_transition_time);
        out.conditions.push(Condition {
            kind,
            status: cond_status,
            reason,
            message: c.message.clone(),
            last_update,
            last_transition,
        });
    }
    out
}
