//! Pods, pod templates and the parts of them other kinds share (metadata, selectors,
//! quantities), as `kubectl get -o yaml` prints them.

use super::Clock;
use crate::api::affinity::{NodeAffinity, NodeSelectorTerm};
use crate::api::meta::ObjectMeta;
use crate::api::pod::{Container, PodSpec, PreemptionPolicy, Protocol, PullPolicy, RestartPolicy};
use crate::api::pod_affinity::{
    InclusionPolicy, PodAffinityTerm, PodAffinityTerms, TopologySpreadConstraint, WhenUnsatisfiable,
};
use crate::api::probe::Probe;
use crate::api::quantity::format_amount;
use crate::api::resources::{Resources, names};
use crate::api::selector::{LabelSelector, Operator, Requirement};
use crate::api::taint::{Toleration, TolerationOperator};
use crate::observe::snapshot::PodState;
use crate::output::yaml;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// A mapping built field by field, leaving out what is empty.
#[derive(Default)]
pub(super) struct Obj(pub Map<String, Value>);

impl Obj {
    /// Sets `key`.
    pub fn set(&mut self, key: &str, v: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_string(), v.into());
        self
    }

    /// Sets `key` unless `v` is null, false, zero, an empty string, list or mapping.
    pub fn opt(&mut self, key: &str, v: impl Into<Value>) -> &mut Self {
        let v = v.into();
        let empty = match &v {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
        };
        if !empty {
            self.0.insert(key.to_string(), v);
        }
        self
    }

    /// The mapping.
    pub fn done(&mut self) -> Value {
        Value::Object(std::mem::take(&mut self.0))
    }
}

/// A string map.
pub(super) fn string_map<'a>(m: impl IntoIterator<Item = (&'a String, &'a String)>) -> Value {
    Value::Object(
        m.into_iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// `metadata`: name, namespace (for namespaced kinds), uid, labels, annotations, owners and
/// `creationTimestamp` when known.
pub(super) fn meta(m: &ObjectMeta, clock: &Clock, created: Option<crate::engine::SimTime>) -> Obj {
    let mut o = Obj::default();
    o.set("name", m.name.as_str())
        .opt("namespace", m.namespace.as_str())
        .opt("uid", m.uid.to_string())
        .opt("labels", string_map(m.labels.iter()))
        .opt("annotations", string_map(m.annotations.iter()));
    if let Some(t) = created {
        o.set("creationTimestamp", clock.instant(t));
    }
    let owners: Vec<Value> = m
        .owner_references
        .iter()
        .map(|r| {
            Obj::default()
                .set("apiVersion", &*r.api_version)
                .set("kind", &*r.kind)
                .set("name", &*r.name)
                .set("uid", r.uid.to_string())
                .opt("controller", r.controller)
                .opt("blockOwnerDeletion", r.block_owner_deletion)
                .done()
        })
        .collect();
    o.opt("ownerReferences", owners);
    o
}

/// An amount of the resource `name` (`requests.cpu` counts as cpu), as upstream prints it.
pub(super) fn quantity(name: &str, value: i64) -> Value {
    let base = name.rsplit('.').next().unwrap_or(name);
    let unit = if base == names::CPU { names::CPU } else { name };
    Value::String(format_amount(unit, value))
}

/// A resource list of the non-zero amounts (and cpu / memory when `keep` says so).
pub(super) fn resources(r: &Resources, keep_cpu: bool, keep_memory: bool) -> Value {
    let mut o = Obj::default();
    if r.cpu_m != 0 || keep_cpu {
        o.set(names::CPU, quantity(names::CPU, r.cpu_m));
    }
    if r.memory != 0 || keep_memory {
        o.set(names::MEMORY, quantity(names::MEMORY, r.memory));
    }
    if r.ephemeral_storage != 0 {
        o.set(
            names::EPHEMERAL_STORAGE,
            quantity(names::EPHEMERAL_STORAGE, r.ephemeral_storage),
        );
    }
    if r.pods != 0 {
        o.set(names::PODS, quantity(names::PODS, r.pods));
    }
    for (n, v) in &r.scalars {
        o.set(n, quantity(n, *v));
    }
    o.done()
}

fn requirement(r: &Requirement) -> Value {
    let mut o = Obj::default();
    o.set("key", r.key.as_str())
        .set("operator", r.operator.as_str());
    o.opt("values", r.values.clone());
    o.done()
}

/// A `metav1.LabelSelector`: one-value `In` requirements as `matchLabels` (the first per
/// key), the rest as `matchExpressions`.
pub(super) fn label_selector(s: &LabelSelector) -> Value {
    let mut labels = Map::new();
    let mut expressions = Vec::new();
    for r in &s.requirements {
        if r.operator == Operator::In && r.values.len() == 1 && !labels.contains_key(&r.key) {
            labels.insert(r.key.clone(), Value::String(r.values[0].clone()));
        } else {
            expressions.push(requirement(r));
        }
    }
    let mut o = Obj::default();
    o.opt("matchLabels", Value::Object(labels))
        .opt("matchExpressions", expressions);
    o.done()
}

fn node_selector_term(t: &NodeSelectorTerm) -> Value {
    Obj::default()
        .opt(
            "matchExpressions",
            t.match_expressions
                .iter()
                .map(requirement)
                .collect::<Vec<_>>(),
        )
        .opt(
            "matchFields",
            t.match_fields.iter().map(requirement).collect::<Vec<_>>(),
        )
        .done()
}

/// `nodeSelectorTerms` (also a PersistentVolume's node affinity).
pub(super) fn node_selector_terms(terms: &[NodeSelectorTerm]) -> Value {
    json!({"nodeSelectorTerms": terms.iter().map(node_selector_term).collect::<Vec<_>>()})
}

fn node_affinity(a: &NodeAffinity) -> Value {
    let mut o = Obj::default();
    if let Some(req) = &a.required {
        o.set(
            "requiredDuringSchedulingIgnoredDuringExecution",
            node_selector_terms(req),
        );
    }
    let preferred: Vec<Value> = a
        .preferred
        .iter()
        .map(|p| json!({"weight": p.weight, "preference": node_selector_term(&p.term)}))
        .collect();
    o.opt("preferredDuringSchedulingIgnoredDuringExecution", preferred);
    o.done()
}

fn pod_affinity_term(t: &PodAffinityTerm) -> Value {
    let mut o = Obj::default();
    o.set("topologyKey", t.topology_key.as_str());
    if let Some(s) = &t.label_selector {
        o.set("labelSelector", label_selector(s));
    }
    if let Some(s) = &t.namespace_selector {
        o.set("namespaceSelector", label_selector(s));
    }
    o.opt("namespaces", t.namespaces.clone());
    o.done()
}

fn pod_affinity_terms(t: &PodAffinityTerms) -> Value {
    let preferred: Vec<Value> = t
        .preferred
        .iter()
        .map(|w| json!({"weight": w.weight, "podAffinityTerm": pod_affinity_term(&w.term)}))
        .collect();
    Obj::default()
        .opt(
            "requiredDuringSchedulingIgnoredDuringExecution",
            t.required.iter().map(pod_affinity_term).collect::<Vec<_>>(),
        )
        .opt("preferredDuringSchedulingIgnoredDuringExecution", preferred)
        .done()
}

fn spread(c: &TopologySpreadConstraint) -> Value {
    let policy = |p: InclusionPolicy| match p {
        InclusionPolicy::Honor => "Honor",
        InclusionPolicy::Ignore => "Ignore",
    };
    let mut o = Obj::default();
    o.set("maxSkew", c.max_skew)
        .set("topologyKey", c.topology_key.as_str())
        .set(
            "whenUnsatisfiable",
            match c.when_unsatisfiable {
                WhenUnsatisfiable::DoNotSchedule => "DoNotSchedule",
                WhenUnsatisfiable::ScheduleAnyway => "ScheduleAnyway",
            },
        )
        .set("nodeAffinityPolicy", policy(c.node_affinity_policy))
        .set("nodeTaintsPolicy", policy(c.node_taints_policy))
        .opt("matchLabelKeys", c.match_label_keys.clone());
    if let Some(s) = &c.label_selector {
        o.set("labelSelector", label_selector(s));
    }
    if let Some(m) = c.min_domains {
        o.set("minDomains", m);
    }
    o.done()
}

fn toleration(t: &Toleration) -> Value {
    let mut o = Obj::default();
    o.opt("key", t.key.as_str())
        .set(
            "operator",
            match t.operator {
                TolerationOperator::Equal => "Equal",
                TolerationOperator::Exists => "Exists",
            },
        )
        .opt("value", t.value.as_str());
    if let Some(e) = t.effect {
        o.set("effect", e.as_str());
    }
    if let Some(s) = t.toleration_seconds {
        o.set("tolerationSeconds", s);
    }
    o.done()
}

/// A probe's timing. kubesim keeps no handler; the snapshot names one that always succeeds,
/// so that the API server accepts the probe.
fn probe(p: &Probe) -> Value {
    json!({
        "exec": {"command": ["true"]},
        "initialDelaySeconds": p.initial_delay_ms / 1000,
        "periodSeconds": p.period_ms / 1000,
        "successThreshold": p.success_threshold,
        "failureThreshold": p.failure_threshold,
    })
}

fn container(c: &Container, ports: Vec<Value>) -> Value {
    let mut o = Obj::default();
    o.set("name", &*c.name).set("image", &*c.image).set(
        "imagePullPolicy",
        match c.pull_policy {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        },
    );
    let requests = resources(&c.requests, c.cpu_request_set, c.memory_request_set);
    let limits = resources(&c.limits, false, false);
    o.set(
        "resources",
        Obj::default()
            .opt("requests", requests)
            .opt("limits", limits)
            .done(),
    );
    o.opt("ports", ports);
    if c.sidecar {
        o.set("restartPolicy", "Always");
    }
    if let Some(p) = &c.startup_probe {
        o.set("startupProbe", probe(p));
    }
    if let Some(p) = &c.readiness_probe {
        o.set("readinessProbe", probe(p));
    }
    o.done()
}

/// A pod spec; `node` is the node it is bound to, if any.
pub(super) fn pod_spec(s: &PodSpec, node: Option<&str>) -> Value {
    let mut v = spec_without_node(s);
    if let (Some(n), Value::Object(m)) = (node.or(s.node_name.as_deref()), &mut v) {
        m.insert("nodeName".into(), n.into());
    }
    v
}

/// A pod spec without `nodeName`.
fn spec_without_node(s: &PodSpec) -> Value {
    // Host ports are kept per pod: they are written on the first regular container.
    let host_ports: Vec<Value> = s
        .host_ports
        .iter()
        .map(|h| {
            let mut o = Obj::default();
            o.set("containerPort", h.port).set("hostPort", h.port).set(
                "protocol",
                match h.protocol {
                    Protocol::Tcp => "TCP",
                    Protocol::Udp => "UDP",
                    Protocol::Sctp => "SCTP",
                },
            );
            if &*h.ip != crate::api::pod::BIND_ALL_HOST_IP {
                o.set("hostIP", &*h.ip);
            }
            o.done()
        })
        .collect();
    let mut ports = Some(host_ports);
    let containers: Vec<Value> = s
        .containers
        .iter()
        .map(|c| container(c, ports.take().unwrap_or_default()))
        .collect();
    let mut o = Obj::default();
    o.set("containers", containers).opt(
        "initContainers",
        s.init_containers
            .iter()
            .map(|c| container(c, Vec::new()))
            .collect::<Vec<_>>(),
    );
    o.opt("nodeSelector", string_map(s.node_selector.iter()));
    let mut affinity = Obj::default();
    if let Some(a) = &s.node_affinity {
        affinity.set("nodeAffinity", node_affinity(a));
    }
    if let Some(a) = &s.pod_affinity {
        affinity
            .opt("podAffinity", pod_affinity_terms(&a.affinity))
            .opt("podAntiAffinity", pod_affinity_terms(&a.anti_affinity));
    }
    o.opt("affinity", affinity.done())
        .opt(
            "tolerations",
            s.tolerations.iter().map(toleration).collect::<Vec<_>>(),
        )
        .opt(
            "topologySpreadConstraints",
            s.topology_spread_constraints
                .iter()
                .map(spread)
                .collect::<Vec<_>>(),
        )
        .set("priority", s.priority)
        .opt("priorityClassName", s.priority_class_name.clone())
        .set(
            "preemptionPolicy",
            match s.preemption_policy {
                PreemptionPolicy::PreemptLowerPriority => "PreemptLowerPriority",
                PreemptionPolicy::Never => "Never",
            },
        )
        .set("schedulerName", &*s.scheduler_name)
        .set(
            "restartPolicy",
            match s.restart_policy {
                RestartPolicy::Always => "Always",
                RestartPolicy::OnFailure => "OnFailure",
                RestartPolicy::Never => "Never",
            },
        )
        .set(
            "terminationGracePeriodSeconds",
            s.termination_grace_ms / 1000,
        )
        .opt(
            "schedulingGates",
            s.scheduling_gates
                .iter()
                .map(|g| json!({"name": g}))
                .collect::<Vec<_>>(),
        )
        .opt(
            "volumes",
            s.volumes
                .iter()
                .map(|v| json!({"name": &*v.name, "persistentVolumeClaim": {"claimName": &*v.claim_name}}))
                .collect::<Vec<_>>(),
        );
    if !s.overhead.is_zero() {
        o.set("overhead", resources(&s.overhead, false, false));
    }
    if !s.pod_requests.is_empty() {
        let mut r = Obj::default();
        for (n, v) in &s.pod_requests {
            r.set(n, quantity(n, *v));
        }
        o.set("resources", json!({"requests": r.done()}));
    }
    o.done()
}

/// A pod template: labels, annotations and spec.
pub(super) fn template(m: &ObjectMeta, spec: &PodSpec) -> Value {
    let mut meta = Obj::default();
    meta.opt("labels", string_map(m.labels.iter()))
        .opt("annotations", string_map(m.annotations.iter()));
    json!({"metadata": meta.done(), "spec": pod_spec(spec, None)})
}

/// Writes a live, unfinished pod with what a snapshot keeps of its status, as an item of the
/// list. `specs` holds the YAML of each spec written so far (by its address: pods of one
/// template share it), without `nodeName`, which is written after it.
pub(super) fn write(
    out: &mut String,
    ps: &PodState,
    clock: &Clock,
    specs: &mut FxHashMap<*const PodSpec, String>,
) {
    let (p, node) = (ps.pod, ps.node);
    let st = &p.status;
    let mut m = meta(&p.meta, clock, Some(st.created));
    if let Some(t) = st.terminating {
        let grace = ps.deletion_grace_ms;
        m.set("deletionTimestamp", clock.instant(t + grace))
            .set("deletionGracePeriodSeconds", grace / 1000);
    }
    let head = json!({"apiVersion": "v1", "kind": "Pod", "metadata": m.done()});
    yaml::list_item(out, &head);
    let spec = specs.entry(Arc::as_ptr(&p.spec)).or_insert_with(|| {
        let mut text = String::from("  spec:\n");
        if let Value::Object(m) = spec_without_node(&p.spec) {
            yaml::entries(&mut text, &m, 4);
        }
        text
    });
    out.push_str(spec);
    if let Some(n) = node.or(p.spec.node_name.as_deref()) {
        out.push_str("    nodeName: ");
        yaml::push_string(out, n);
        out.push('\n');
    }
    let mut status = Obj::default();
    status.set("phase", p.phase().as_str());
    if let Some(at) = st.scheduled {
        let condition = |kind: &str, ok: bool, at| {
            json!({"type": kind, "status": if ok { "True" } else { "False" },
                   "lastTransitionTime": clock.instant(at)})
        };
        let ready_at = st.ready_since.or(st.started).unwrap_or(at);
        status.set(
            "conditions",
            vec![
                condition("PodScheduled", true, at),
                condition("Ready", st.ready, ready_at),
            ],
        );
    }
    if let Some(t) = st.started {
        status.set("startTime", clock.instant(t));
        let statuses: Vec<Value> = p
            .spec
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({"name": &*c.name, "image": &*c.image, "ready": st.ready,
                       "restartCount": if i == 0 { st.restarts } else { 0 }})
            })
            .collect();
        status.set("containerStatuses", statuses);
    }
    let mut tail = Map::new();
    tail.insert("status".into(), status.done());
    yaml::entries(out, &tail, 2);
}
