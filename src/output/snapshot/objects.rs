//! Every kind but pods: the cluster's objects (namespaces, classes, nodes, volumes, Services,
//! budgets, quotas) and the workloads (Deployments, ReplicaSets, ReplicationControllers,
//! DaemonSets, StatefulSets, Jobs), each with the status a snapshot carries.

use super::Clock;
use super::pod::{
    Obj, label_selector, meta, node_selector_terms, quantity, resources, string_map, template,
};
use crate::api::apps::{
    DaemonSetUpdate, DeploymentStrategy, PodManagement, ReplicaSetKind, RollingUpdate,
    StatefulSetUpdate,
};
use crate::api::intstr::IntOrPercent;
use crate::api::node::NodeConditionType;
use crate::api::resources::names;
use crate::api::selector::Operator;
use crate::api::volume::{ANNOTATION_DEFAULT_CLASS, AccessModes, PersistentVolumeClaimSpec};
use crate::api::{ObjectMeta, PreemptionPolicy};
use crate::store::{Condition, ConditionStatus, Store};
use serde_json::{Value, json};

/// A whole object: `apiVersion`, `kind`, `metadata`, and the other top-level fields.
fn object(api_version: &str, kind: &str, metadata: Value, rest: Value) -> Value {
    let mut o = Obj::default();
    o.set("apiVersion", api_version)
        .set("kind", kind)
        .set("metadata", metadata);
    if let Value::Object(m) = rest {
        for (k, v) in m {
            o.opt(&k, v);
        }
    }
    o.done()
}

/// The metadata of a kind kubesim keeps no more of than its name.
fn named(namespace: &str, name: &str) -> Value {
    let mut o = Obj::default();
    o.set("name", name).opt("namespace", namespace);
    o.done()
}

fn int_or_percent(v: IntOrPercent) -> Value {
    match v {
        IntOrPercent::Int(n) => json!(n),
        IntOrPercent::Percent(p) => json!(format!("{p}%")),
    }
}

fn rolling(r: &RollingUpdate) -> Value {
    json!({"maxSurge": int_or_percent(r.max_surge), "maxUnavailable": int_or_percent(r.max_unavailable)})
}

fn access_modes(m: AccessModes) -> Vec<&'static str> {
    [
        (AccessModes::READ_WRITE_ONCE, "ReadWriteOnce"),
        (AccessModes::READ_ONLY_MANY, "ReadOnlyMany"),
        (AccessModes::READ_WRITE_MANY, "ReadWriteMany"),
        (AccessModes::READ_WRITE_ONCE_POD, "ReadWriteOncePod"),
    ]
    .into_iter()
    .filter(|(mode, _)| m.contains_all(*mode))
    .map(|(_, name)| name)
    .collect()
}

fn claim_spec(s: &PersistentVolumeClaimSpec) -> Value {
    let mut o = Obj::default();
    o.set("accessModes", access_modes(s.access_modes))
        .set("storageClassName", s.storage_class.as_str())
        .set(
            "resources",
            json!({"requests": {"storage": quantity("storage", s.request)}}),
        );
    o.opt("volumeName", s.volume_name.clone());
    o.done()
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

/// Namespaces, PriorityClasses, StorageClasses, Nodes, PersistentVolumes and claims,
/// Services, PodDisruptionBudgets, ResourceQuotas and LimitRanges, in that order.
pub(super) fn cluster(store: &Store, clock: &Clock, items: &mut Vec<Value>) {
    for ns in store.namespaces() {
        items.push(object(
            "v1",
            "Namespace",
            meta(&ns.meta, clock, None).done(),
            json!({}),
        ));
    }
    // The built-in classes every cluster has are not written (they cannot be created).
    let built_in = crate::api::PriorityClass::built_in();
    for pc in store.priority_classes().filter(|pc| !built_in.contains(pc)) {
        let mut rest = Obj::default();
        rest.set("value", pc.value)
            .opt("globalDefault", pc.global_default);
        if pc.preemption_policy == PreemptionPolicy::Never {
            rest.set("preemptionPolicy", "Never");
        }
        items.push(object(
            "scheduling.k8s.io/v1",
            "PriorityClass",
            named("", &pc.name),
            rest.done(),
        ));
    }
    for sc in store.storage_classes() {
        let mut m = Obj::default();
        m.set("name", sc.name.as_str());
        if sc.is_default {
            m.set("annotations", json!({ANNOTATION_DEFAULT_CLASS: "true"}));
        }
        let topologies: Vec<Value> = sc
            .allowed_topologies
            .iter()
            .map(|t| {
                let exprs: Vec<Value> = t
                    .requirements
                    .iter()
                    .map(|(k, vs)| json!({"key": k, "values": vs}))
                    .collect();
                json!({"matchLabelExpressions": exprs})
            })
            .collect();
        let provisioner = if sc.provisioner.is_empty() {
            crate::api::volume::NOT_SUPPORTED_PROVISIONER
        } else {
            sc.provisioner.as_str()
        };
        items.push(object(
            "storage.k8s.io/v1",
            "StorageClass",
            m.done(),
            json!({"provisioner": provisioner, "volumeBindingMode": sc.binding_mode.to_string(),
                   "allowedTopologies": topologies}),
        ));
    }
    for n in store.nodes() {
        let mut spec = Obj::default();
        let taints: Vec<Value> = n
            .taints
            .iter()
            .map(|t| {
                let mut o = Obj::default();
                o.set("key", t.key.as_str())
                    .opt("value", t.value.as_str())
                    .set("effect", t.effect.as_str());
                o.done()
            })
            .collect();
        spec.opt("taints", taints)
            .opt("unschedulable", n.unschedulable);
        let conditions: Vec<Value> = n
            .conditions
            .iter()
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
        let images: Vec<Value> = n
            .images
            .iter()
            .map(|i| json!({"names": i.names, "sizeBytes": i.size_bytes}))
            .collect();
        let mut status = Obj::default();
        status
            .set("capacity", resources(&n.capacity, true, true))
            .set("allocatable", resources(&n.allocatable, true, true))
            .opt("conditions", conditions)
            .opt("images", images);
        items.push(object(
            "v1",
            "Node",
            meta(&n.meta, clock, None).done(),
            json!({"spec": spec.done(), "status": status.done()}),
        ));
    }
    for pv in store.pvs() {
        let mut spec = Obj::default();
        spec.set(
            "capacity",
            json!({"storage": quantity("storage", pv.spec.capacity)}),
        )
        .set("accessModes", access_modes(pv.spec.access_modes))
        .opt("storageClassName", pv.spec.storage_class.as_str());
        if let Some(terms) = &pv.spec.node_affinity {
            spec.set(
                "nodeAffinity",
                json!({"required": node_selector_terms(terms)}),
            );
        }
        if let Some(c) = pv.claim {
            let c = store.pvc(c);
            spec.set(
                "claimRef",
                json!({"kind": "PersistentVolumeClaim", "namespace": c.meta.namespace,
                       "name": c.meta.name, "uid": c.meta.uid.to_string()}),
            );
        }
        let phase = if pv.claim.is_some() {
            "Bound"
        } else {
            "Available"
        };
        items.push(object(
            "v1",
            "PersistentVolume",
            meta(&pv.meta, clock, None).done(),
            json!({"spec": spec.done(), "status": {"phase": phase}}),
        ));
    }
    for c in store.pvcs() {
        let mut spec = claim_spec(&c.spec);
        if let (Some(v), Value::Object(m)) = (c.volume, &mut spec) {
            m.insert("volumeName".into(), json!(store.pv(v).meta.name));
        }
        let phase = if c.volume.is_some() {
            "Bound"
        } else {
            "Pending"
        };
        items.push(object(
            "v1",
            "PersistentVolumeClaim",
            meta(&c.meta, clock, None).done(),
            json!({"spec": spec, "status": {"phase": phase}}),
        ));
    }
    for s in store.services() {
        items.push(object(
            "v1",
            "Service",
            named(&s.namespace, &s.name),
            json!({"spec": {"selector": string_map(s.selector.iter())}}),
        ));
    }
    for b in store.pdbs() {
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
        items.push(object(
            "policy/v1",
            "PodDisruptionBudget",
            named(&b.namespace, &b.name),
            json!({"spec": spec.done()}),
        ));
    }
    for q in store.quotas() {
        let list = |values: &[(String, i64)]| {
            let mut o = Obj::default();
            for (n, v) in values {
                o.set(n, quantity(n, *v));
            }
            o.done()
        };
        let hard = list(&q.quota.hard);
        items.push(object(
            "v1",
            "ResourceQuota",
            named(&q.quota.namespace, &q.quota.name),
            json!({"spec": {"hard": hard.clone()}, "status": {"hard": hard, "used": list(&q.used)}}),
        ));
    }
    for lr in store.limit_ranges() {
        let limits: Vec<Value> = lr
            .limits
            .iter()
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
        items.push(object(
            "v1",
            "LimitRange",
            named(&lr.namespace, &lr.name),
            json!({"spec": {"limits": limits}}),
        ));
    }
}

/// A workload's metadata with its `generation`.
fn workload_meta(m: &ObjectMeta, clock: &Clock, generation: u64) -> Value {
    let mut o = meta(m, clock, None);
    o.set("generation", generation);
    o.done()
}

/// Deployments, ReplicaSets and ReplicationControllers, DaemonSets, StatefulSets and Jobs.
pub(super) fn workloads(store: &Store, clock: &Clock, items: &mut Vec<Value>) {
    for (i, d) in store.deployments().iter().enumerate() {
        if !store.deployment_is_live(crate::store::DeploymentId(i as u32)) {
            continue;
        }
        let s = &d.spec;
        let strategy = match &s.strategy {
            DeploymentStrategy::Recreate => json!({"type": "Recreate"}),
            DeploymentStrategy::RollingUpdate(r) => {
                json!({"type": "RollingUpdate", "rollingUpdate": rolling(r)})
            }
        };
        let mut spec = Obj::default();
        spec.set("replicas", s.replicas)
            .set("selector", label_selector(&s.selector))
            .set("template", template(&s.template.meta, &s.template.spec))
            .set("strategy", strategy)
            .opt("minReadySeconds", s.min_ready_ms / 1000)
            .set("revisionHistoryLimit", s.revision_history_limit)
            .set(
                "progressDeadlineSeconds",
                s.progress_deadline_ms
                    .map_or(i64::from(i32::MAX), |ms| ms / 1000),
            )
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
        items.push(object(
            "apps/v1",
            "Deployment",
            workload_meta(&d.meta, clock, d.generation),
            json!({"spec": spec.done(), "status": status.done()}),
        ));
    }
    for (_, rs) in store.live_replica_sets() {
        let s = &rs.spec;
        let selector = match s.kind {
            ReplicaSetKind::ReplicaSet => label_selector(&s.selector),
            // An equality selector: a plain map.
            ReplicaSetKind::ReplicationController => Value::Object(
                s.selector
                    .requirements
                    .iter()
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
        items.push(object(
            s.kind.api_version(),
            s.kind.kind(),
            workload_meta(&rs.meta, clock, rs.generation),
            json!({"spec": spec.done(), "status": status.done()}),
        ));
    }
    for (_, ds) in store.live_daemon_sets() {
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
        items.push(object(
            "apps/v1",
            "DaemonSet",
            workload_meta(&ds.meta, clock, ds.generation),
            json!({"spec": spec.done(), "status": status}),
        ));
    }
    for (_, ss) in store.live_stateful_sets() {
        let s = &ss.spec;
        let update = match s.update {
            StatefulSetUpdate::OnDelete => json!({"type": "OnDelete"}),
            StatefulSetUpdate::RollingUpdate { partition } => {
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": partition}})
            }
        };
        let claims: Vec<Value> = s
            .claim_templates
            .iter()
            .map(|(name, spec)| json!({"metadata": {"name": name}, "spec": claim_spec(spec)}))
            .collect();
        let mut spec = Obj::default();
        spec.set("replicas", s.replicas)
            .set("selector", label_selector(&s.selector))
            .set("template", template(&s.template.meta, &s.template.spec))
            .opt("serviceName", s.service_name.clone())
            .set(
                "podManagementPolicy",
                match s.pod_management {
                    PodManagement::OrderedReady => "OrderedReady",
                    PodManagement::Parallel => "Parallel",
                },
            )
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
        items.push(object(
            "apps/v1",
            "StatefulSet",
            workload_meta(&ss.meta, clock, ss.generation),
            json!({"spec": spec.done(), "status": status.done()}),
        ));
    }
    // A finished Job is left out: a loader would run it again.
    for j in store.jobs().iter().filter(|j| j.status.finished.is_none()) {
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
        items.push(object(
            "batch/v1",
            "Job",
            meta(&j.meta, clock, None).done(),
            json!({"spec": spec.done(), "status": status.done()}),
        ));
    }
}
