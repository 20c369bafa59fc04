//! The workloads: Deployments, ReplicaSets and ReplicationControllers, DaemonSets,
//! StatefulSets and Jobs, each with its spec, `metadata.generation` and the status a snapshot
//! carries.

use super::cluster::int_or_percent;
use super::pod::{Obj, label_selector, meta, template};
use super::{Clock, claim_spec, object};
use crate::api::ObjectMeta;
use crate::api::apps::{
    DaemonSetUpdate, DeploymentStrategy, PodManagement, ReplicaSetKind, RollingUpdate,
    StatefulSetUpdate,
};
use crate::api::selector::Operator;
use crate::observe::{
    Condition, ConditionStatus, DaemonSet, Deployment, Job, ReplicaSet, StatefulSet,
};
use serde_json::{Value, json};

fn rolling(r: &RollingUpdate) -> Value {
    json!({"maxSurge": int_or_percent(r.max_surge),
           "maxUnavailable": int_or_percent(r.max_unavailable)})
}

fn conditions(cs: &[Condition], clock: &Clock) -> Vec<Value> {
    cs.iter()
        .map(|c| {
            json!({
                "type": c.kind,
                "status": match c.status {
                    ConditionStatus::True => "True",
                    ConditionStatus::False => "False",
                    ConditionStatus::Unknown => "Unknown",
                },
                "reason": c.reason,
                "message": c.message,
                "lastUpdateTime": clock.instant(c.last_update),
                "lastTransitionTime": clock.instant(c.last_transition),
            })
        })
        .collect()
}

/// A workload's metadata with its `generation`.
fn workload_meta(m: &ObjectMeta, clock: &Clock, generation: u64) -> Value {
    let mut o = meta(m, clock, None);
    o.set("generation", generation);
    o.done()
}

pub(super) fn deployment(d: &Deployment, clock: &Clock) -> Value {
    let s = &d.spec;
    let strategy = match &s.strategy {
        DeploymentStrategy::Recreate => json!({"type": "Recreate"}),
        DeploymentStrategy::RollingUpdate(r) => {
            json!({"type": "RollingUpdate", "rollingUpdate": rolling(r)})
        }
    };
    // Upstream's "no deadline" is MaxInt32 seconds.
    let deadline = s
        .progress_deadline_ms
        .map_or(i64::from(i32::MAX), |ms| ms / 1000);
    let mut spec = Obj::default();
    spec.set("replicas", s.replicas)
        .set("selector", label_selector(&s.selector))
        .set("template", template(&s.template.meta, &s.template.spec))
        .set("strategy", strategy)
        .opt("minReadySeconds", s.min_ready_ms / 1000)
        .set("revisionHistoryLimit", s.revision_history_limit)
        .set("progressDeadlineSeconds", deadline)
        .opt("paused", s.paused);
    let st = &d.status;
    let mut status = Obj::default();
    status
        .set("observedGeneration", st.observed_generation)
        .opt("replicas", st.replicas)
        .opt("updatedReplicas", st.updated)
        .opt("readyReplicas", st.ready)
        .opt("availableReplicas", st.available)
        .opt("unavailableReplicas", st.unavailable)
        .opt("conditions", conditions(&st.conditions, clock));
    if let Some(c) = st.collision_count {
        status.set("collisionCount", c);
    }
    object(
        "apps/v1",
        "Deployment",
        workload_meta(&d.meta, clock, d.generation),
        json!({"spec": spec.done(), "status": status.done()}),
    )
}

pub(super) fn replica_set(rs: &ReplicaSet, clock: &Clock) -> Value {
    let s = &rs.spec;
    let selector = match s.kind {
        ReplicaSetKind::ReplicaSet => label_selector(&s.selector),
        // An equality selector: a plain map.
        ReplicaSetKind::ReplicationController => Value::Object(
            (s.selector.requirements.iter())
                .filter(|r| r.operator == Operator::In && r.values.len() == 1)
                .map(|r| (r.key.clone(), json!(r.values[0])))
                .collect(),
        ),
    };
    let mut spec = Obj::default();
    spec.set("replicas", s.replicas)
        .set("selector", selector)
        .opt("minReadySeconds", s.min_ready_ms / 1000)
        .set("template", template(&s.template.meta, &s.template.spec));
    let st = &rs.status;
    let mut status = Obj::default();
    status
        .set("replicas", st.replicas)
        .opt("readyReplicas", st.ready)
        .opt("availableReplicas", st.available)
        .set("observedGeneration", st.observed_generation);
    if let Some(c) = &st.failure {
        status.set("conditions", conditions(std::slice::from_ref(c), clock));
    }
    object(
        s.kind.api_version(),
        s.kind.kind(),
        workload_meta(&rs.meta, clock, rs.generation),
        json!({"spec": spec.done(), "status": status.done()}),
    )
}

pub(super) fn daemon_set(ds: &DaemonSet, clock: &Clock) -> Value {
    let s = &ds.spec;
    let update = match &s.update {
        DaemonSetUpdate::OnDelete => json!({"type": "OnDelete"}),
        DaemonSetUpdate::RollingUpdate(r) => {
            json!({"type": "RollingUpdate", "rollingUpdate": rolling(r)})
        }
    };
    let mut spec = Obj::default();
    spec.set("selector", label_selector(&s.selector))
        .set("template", template(&s.template.meta, &s.template.spec))
        .set("updateStrategy", update)
        .opt("minReadySeconds", s.min_ready_ms / 1000);
    let st = &ds.status;
    let status = json!({
        "desiredNumberScheduled": st.desired,
        "currentNumberScheduled": st.current,
        "numberMisscheduled": st.misscheduled,
        "numberReady": st.ready,
        "numberAvailable": st.available,
        "updatedNumberScheduled": st.updated,
        "observedGeneration": st.observed_generation,
    });
    object(
        "apps/v1",
        "DaemonSet",
        workload_meta(&ds.meta, clock, ds.generation),
        json!({"spec": spec.done(), "status": status}),
    )
}

pub(super) fn stateful_set(ss: &StatefulSet, clock: &Clock) -> Value {
    let s = &ss.spec;
    let update = match s.update {
        StatefulSetUpdate::OnDelete => json!({"type": "OnDelete"}),
        StatefulSetUpdate::RollingUpdate { partition } => {
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": partition}})
        }
    };
    let claims: Vec<Value> = (s.claim_templates.iter())
        .map(|(name, spec)| json!({"metadata": {"name": name}, "spec": claim_spec(spec)}))
        .collect();
    let policy = match s.pod_management {
        PodManagement::OrderedReady => "OrderedReady",
        PodManagement::Parallel => "Parallel",
    };
    let mut spec = Obj::default();
    spec.set("replicas", s.replicas)
        .set("selector", label_selector(&s.selector))
        .set("template", template(&s.template.meta, &s.template.spec))
        .opt("serviceName", s.service_name.clone())
        .set("podManagementPolicy", policy)
        .set("updateStrategy", update)
        .opt("minReadySeconds", s.min_ready_ms / 1000)
        .opt("volumeClaimTemplates", claims);
    if s.ordinals_start != 0 {
        spec.set("ordinals", json!({"start": s.ordinals_start}));
    }
    let st = &ss.status;
    let mut status = Obj::default();
    status
        .set("replicas", st.replicas)
        .opt("readyReplicas", st.ready)
        .opt("availableReplicas", st.available)
        .opt("currentReplicas", st.current)
        .opt("updatedReplicas", st.updated)
        .opt("currentRevision", st.current_revision.as_str())
        .opt("updateRevision", st.update_revision.as_str())
        .set("observedGeneration", st.observed_generation);
    object(
        "apps/v1",
        "StatefulSet",
        workload_meta(&ss.meta, clock, ss.generation),
        json!({"spec": spec.done(), "status": status.done()}),
    )
}

pub(super) fn job(j: &Job, clock: &Clock) -> Value {
    let s = &j.spec;
    let mut spec = Obj::default();
    spec.set("parallelism", s.parallelism)
        .set("backoffLimit", s.backoff_limit)
        .set("template", template(&s.template_meta, &s.template));
    if let Some(c) = s.completions {
        spec.set("completions", c);
    }
    if let Some(ms) = s.active_deadline_ms {
        spec.set("activeDeadlineSeconds", ms / 1000);
    }
    if s.indexed {
        spec.set("completionMode", "Indexed");
    }
    let st = &j.status;
    let mut status = Obj::default();
    status
        .set("startTime", clock.instant(st.start))
        .opt("active", st.active)
        .opt("succeeded", st.succeeded)
        .opt("failed", st.failed);
    object(
        "batch/v1",
        "Job",
        meta(&j.meta, clock, None).done(),
        json!({"spec": spec.done(), "status": status.done()}),
    )
}
