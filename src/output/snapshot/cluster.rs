//! The cluster's objects: Namespaces, PriorityClasses, StorageClasses, Nodes,
//! PersistentVolumes and claims, Services, PodDisruptionBudgets, ResourceQuotas (with their
//! usage) and LimitRanges.

use super::pod::{Obj, label_selector, meta, node_selector_terms, quantity, resources, string_map};
use super::{Clock, claim_spec, object};
use crate::api::admission::LimitRange;
use crate::api::disruption::PodDisruptionBudget;
use crate::api::intstr::IntOrPercent;
use crate::api::node::NodeConditionType;
use crate::api::resources::names;
use crate::api::volume::{ANNOTATION_DEFAULT_CLASS, NOT_SUPPORTED_PROVISIONER, StorageClass};
use crate::api::{Node, PreemptionPolicy, PriorityClass};
use crate::observe::QuotaState;
use crate::observe::snapshot::{Claim, Volume};
use serde_json::{Value, json};

/// The metadata of a kind kubesim keeps no more of than its name.
fn named(namespace: &str, name: &str) -> Value {
    let mut o = Obj::default();
    o.set("name", name).opt("namespace", namespace);
    o.done()
}

/// `maxSurge`, `minAvailable`, ...: a number or `"25%"`.
pub(super) fn int_or_percent(v: IntOrPercent) -> Value {
    match v {
        IntOrPercent::Int(n) => json!(n),
        IntOrPercent::Percent(p) => json!(format!("{p}%")),
    }
}

pub(super) fn priority_class(pc: &PriorityClass) -> Value {
    let mut rest = Obj::default();
    rest.set("value", pc.value)
        .opt("globalDefault", pc.global_default);
    if pc.preemption_policy == PreemptionPolicy::Never {
        rest.set("preemptionPolicy", "Never");
    }
    object(
        "scheduling.k8s.io/v1",
        "PriorityClass",
        named("", &pc.name),
        rest.done(),
    )
}

pub(super) fn storage_class(sc: &StorageClass) -> Value {
    let mut m = Obj::default();
    m.set("name", sc.name.as_str());
    if sc.is_default {
        m.set("annotations", json!({ANNOTATION_DEFAULT_CLASS: "true"}));
    }
    let topologies: Vec<Value> = (sc.allowed_topologies.iter())
        .map(|t| {
            let exprs: Vec<Value> = (t.requirements.iter())
                .map(|(k, vs)| json!({"key": k, "values": vs}))
                .collect();
            json!({"matchLabelExpressions": exprs})
        })
        .collect();
    let provisioner = if sc.provisioner.is_empty() {
        NOT_SUPPORTED_PROVISIONER
    } else {
        sc.provisioner.as_str()
    };
    object(
        "storage.k8s.io/v1",
        "StorageClass",
        m.done(),
        json!({"provisioner": provisioner, "volumeBindingMode": sc.binding_mode.to_string(),
               "allowedTopologies": topologies}),
    )
}

pub(super) fn node(n: &Node, clock: &Clock) -> Value {
    let taints: Vec<Value> = (n.taints.iter())
        .map(|t| {
            let mut o = Obj::default();
            o.set("key", t.key.as_str())
                .opt("value", t.value.as_str())
                .set("effect", t.effect.as_str());
            if let Some(at) = t.time_added {
                o.set("timeAdded", clock.instant(at));
            }
            o.done()
        })
        .collect();
    let mut spec = Obj::default();
    spec.opt("taints", taints)
        .opt("unschedulable", n.unschedulable);
    let conditions: Vec<Value> = (n.conditions.iter())
        .map(|c| {
            let kind = match c.kind {
                NodeConditionType::Ready => "Ready",
                NodeConditionType::MemoryPressure => "MemoryPressure",
                NodeConditionType::DiskPressure => "DiskPressure",
                NodeConditionType::PidPressure => "PidPressure",
                NodeConditionType::NetworkUnavailable => "NetworkUnavailable",
            };
            json!({"type": kind, "status": c.status.as_str()})
        })
        .collect();
    let images: Vec<Value> = (n.images.iter())
        .map(|i| json!({"names": i.names, "sizeBytes": i.size_bytes}))
        .collect();
    let mut status = Obj::default();
    status
        .set("capacity", resources(&n.capacity, true, true))
        .set("allocatable", resources(&n.allocatable, true, true))
        .opt("conditions", conditions)
        .opt("images", images);
    object(
        "v1",
        "Node",
        meta(&n.meta, clock, None).done(),
        json!({"spec": spec.done(), "status": status.done()}),
    )
}

pub(super) fn volume(v: &Volume, clock: &Clock) -> Value {
    let s = &v.pv.spec;
    let mut spec = Obj::default();
    spec.set(
        "capacity",
        json!({"storage": quantity("storage", s.capacity)}),
    )
    .set("accessModes", super::access_modes(s.access_modes))
    .opt("storageClassName", s.storage_class.as_str());
    if let Some(terms) = &s.node_affinity {
        spec.set(
            "nodeAffinity",
            json!({"required": node_selector_terms(terms)}),
        );
    }
    if let Some(c) = v.claim {
        spec.set(
            "claimRef",
            json!({"kind": "PersistentVolumeClaim", "namespace": c.namespace,
                   "name": c.name, "uid": c.uid.to_string()}),
        );
    }
    let phase = if v.claim.is_some() {
        "Bound"
    } else {
        "Available"
    };
    object(
        "v1",
        "PersistentVolume",
        meta(&v.pv.meta, clock, None).done(),
        json!({"spec": spec.done(), "status": {"phase": phase}}),
    )
}

pub(super) fn claim(c: &Claim, clock: &Clock) -> Value {
    let mut spec = claim_spec(&c.pvc.spec);
    if let (Some(v), Value::Object(m)) = (c.volume, &mut spec) {
        m.insert("volumeName".into(), json!(v));
    }
    let phase = if c.volume.is_some() {
        "Bound"
    } else {
        "Pending"
    };
    object(
        "v1",
        "PersistentVolumeClaim",
        meta(&c.pvc.meta, clock, None).done(),
        json!({"spec": spec, "status": {"phase": phase}}),
    )
}

pub(super) fn service(s: &crate::api::service::Service) -> Value {
    object(
        "v1",
        "Service",
        named(&s.namespace, &s.name),
        json!({"spec": {"selector": string_map(s.selector.iter())}}),
    )
}

pub(super) fn pdb(b: &PodDisruptionBudget) -> Value {
    let mut spec = Obj::default();
    if let Some(s) = &b.selector {
        spec.set("selector", label_selector(s));
    }
    if let Some(v) = b.min_available {
        spec.set("minAvailable", int_or_percent(v));
    }
    if let Some(v) = b.max_unavailable {
        spec.set("maxUnavailable", int_or_percent(v));
    }
    object(
        "policy/v1",
        "PodDisruptionBudget",
        named(&b.namespace, &b.name),
        json!({"spec": spec.done()}),
    )
}

/// A resource list of a quota (`requests.cpu`, `pods`, `count/deployments.apps`, ...).
fn quota_list(values: &[(String, i64)]) -> Value {
    let mut o = Obj::default();
    for (n, v) in values {
        o.set(n, quantity(n, *v));
    }
    o.done()
}

pub(super) fn quota(q: &QuotaState) -> Value {
    let hard = quota_list(&q.quota.hard);
    object(
        "v1",
        "ResourceQuota",
        named(&q.quota.namespace, &q.quota.name),
        json!({"spec": {"hard": hard.clone()},
               "status": {"hard": hard, "used": quota_list(&q.used)}}),
    )
}

pub(super) fn limit_range(lr: &LimitRange) -> Value {
    let limits: Vec<Value> = (lr.limits.iter())
        .map(|l| {
            let mut ratio = Obj::default();
            for (n, v) in &l.max_ratio {
                // Thousandths, written as a quantity (1500m is 1.5).
                ratio.set(n, quantity(names::CPU, *v));
            }
            let mut o = Obj::default();
            if let Some(k) = l.kind {
                o.set("type", k.as_str());
            }
            o.opt("default", resources(&l.default, false, false))
                .opt(
                    "defaultRequest",
                    resources(&l.default_request, false, false),
                )
                .opt("min", resources(&l.min, false, false))
                .opt("max", resources(&l.max, false, false))
                .opt("maxLimitRequestRatio", ratio.done());
            o.done()
        })
        .collect();
    object(
        "v1",
        "LimitRange",
        named(&lr.namespace, &lr.name),
        json!({"spec": {"limits": limits}}),
    )
}
