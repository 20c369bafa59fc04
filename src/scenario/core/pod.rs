//! `v1` Pod and the pod template every workload kind carries: as written, and resolved
//! into an [`api::PodSpec`] (containers and their requests, the scheduling fields, priority,
//! host ports, volumes and kubesim's behaviour annotations).

use super::super::kubesim::annotations::{ANNOTATION_UNGATE_AFTER, behaviour};
use super::super::meta::{ObjectMeta, check_labels, labels_valid, meta};
use super::super::resolver::{Doc, Resolver, resources, resources_at};
use super::super::yaml::{Quantities, Spanned};
use super::affinity::{self, Affinity, Toleration, TopologySpreadConstraint};
use super::container::{
    Container, ResourceRequirements, check_requests_within_limits, container, container_names,
    host_ports,
};
use super::volume::{Volume, pod_volumes};
use crate::api;
use crate::api::pod::effective_requests;
use crate::api::pod::{
    Container as ApiContainer, DEFAULT_SCHEDULER, PreemptionPolicy, RestartPolicy,
};
use crate::api::quantity::format_amount;
use crate::api::resources::{ResourceName, Resources};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A `v1` Pod.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Pod {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: PodSpec,
    /// Status, as a snapshot (`kubectl get pods -o yaml`) gives it.
    #[serde(default)]
    pub status: Option<PodStatusRaw>,
}

/// A pod's status as written in a snapshot: what kubesim keeps of it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatusRaw {
    /// `Pending`, `Running`, `Succeeded`, `Failed`.
    pub phase: Option<Spanned<String>>,
    /// When the kubelet took the pod (RFC 3339).
    pub start_time: Option<Spanned<String>>,
    /// `PodScheduled`, `Ready`, ...
    pub conditions: Vec<PodConditionRaw>,
    /// The containers' restart counts.
    pub container_statuses: Vec<ContainerStatusRaw>,
}

/// One of a snapshot pod's `status.conditions`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodConditionRaw {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `True`, `False`, `Unknown`.
    pub status: String,
    /// RFC 3339.
    pub last_transition_time: Option<Spanned<String>>,
}

/// One of a snapshot pod's `status.containerStatuses`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatusRaw {
    /// `restartCount`.
    pub restart_count: u32,
}

/// Pod spec (the scheduling-relevant subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// Containers (required).
    pub containers: Vec<Container>,
    /// Init containers (including sidecars with `restartPolicy: Always`).
    #[serde(default)]
    pub init_containers: Vec<Container>,
    /// Pod overhead.
    #[serde(default)]
    pub overhead: Quantities,
    /// Pod-level requests and limits (cpu, memory, `hugepages-*`).
    #[serde(default)]
    pub resources: Option<ResourceRequirements>,
    /// Node selector.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Pre-bound node.
    #[serde(default)]
    pub node_name: Option<String>,
    /// Affinity rules.
    #[serde(default)]
    pub affinity: Option<Affinity>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Explicit priority.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Priority class name.
    #[serde(default)]
    pub priority_class_name: Option<String>,
    /// `PreemptLowerPriority` or `Never` (unchecked).
    #[serde(default)]
    pub preemption_policy: Option<String>,
    /// Scheduler (profile) name.
    #[serde(default)]
    pub scheduler_name: Option<String>,
    /// Pod restart policy (unchecked).
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Grace period on termination.
    #[serde(default)]
    pub termination_grace_period_seconds: Option<i64>,
    /// Scheduling gates.
    #[serde(default)]
    pub scheduling_gates: Vec<SchedulingGate>,
    /// Topology spread constraints.
    #[serde(default)]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// Volumes (only PersistentVolumeClaim sources are modelled).
    #[serde(default)]
    pub volumes: Vec<Volume>,
}

/// A scheduling gate.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SchedulingGate {
    /// Gate name.
    pub name: String,
}

/// A pod template.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PodTemplate {
    /// Pod metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Pod spec (required).
    pub spec: PodSpec,
}

/// A Pod manifest.
pub(in super::super) fn pod_manifest(r: &mut Resolver, d: Doc, p: &Pod) {
    let Some((meta, spec)) = pod(r, d, &p.metadata, &p.spec, "", false) else {
        return;
    };
    if !r
        .pod_keys
        .insert((meta.namespace.clone(), meta.name.clone()))
    {
        r.doc(
            d,
            "metadata.name",
            format!("duplicate pod {}/{}", meta.namespace, meta.name),
        );
    }
    let spec = r.share_spec(spec);
    let Some(status) = super::snapshot::pod_status(r, d, p, &spec) else {
        return; // a finished pod of a snapshot: left out, with a warning
    };
    r.pods.push(api::pod::Pod { meta, spec, status });
}

/// A pod's metadata and spec. `prefix` is the field path of the object holding `metadata`
/// and `spec`, with a trailing dot (empty for a Pod manifest, `spec.template.` for a Job's
/// pod template, ...); `in_job` applies the Job's restart policy rule.
pub(in super::super) fn pod(
    r: &mut Resolver,
    d: Doc,
    m: &ObjectMeta,
    s: &PodSpec,
    prefix: &str,
    in_job: bool,
) -> Option<(api::ObjectMeta, api::PodSpec)> {
    let meta_path = format!("{prefix}metadata");
    let path = format!("{prefix}spec");
    let path = path.as_str();
    // A bad name does not stop the spec's checks: every error is reported at once.
    let meta = meta(r, d, &meta_path, m, 1);
    container_names(r, d, path, s);
    let containers: Vec<ApiContainer> = s
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| container(r, d, &format!("{path}.containers[{i}]"), c, false))
        .collect();
    let inits: Vec<ApiContainer> = s
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| container(r, d, &format!("{path}.initContainers[{i}]"), c, true))
        .collect();
    let pod_requests = match &s.resources {
        Some(res) => pod_level(r, d, path, res, &containers, &inits),
        None => Vec::new(),
    };
    let overhead = resources_at(r, d, &|| format!("{path}.overhead"), &s.overhead);
    if !labels_valid(&s.node_selector) {
        check_labels(r, d, &format!("{path}.nodeSelector"), &s.node_selector);
    }
    let (node_affinity, pod_affinity) = match &s.affinity {
        Some(a) => affinity::affinity(r, d, path, a),
        None => (None, None),
    };
    let tolerations = affinity::tolerations(r, d, path, &s.tolerations);
    let scheduler_name = scheduler_name(r, d, path, s);
    let restart_policy = restart_policy(r, d, path, s, in_job);
    let mut spec = api::PodSpec::new(
        containers,
        inits,
        overhead,
        s.node_selector.clone(),
        node_affinity,
        tolerations,
        scheduler_name,
        restart_policy,
    );
    spec.pod_affinity = pod_affinity;
    if !pod_requests.is_empty() {
        spec.pod_requests = pod_requests;
        spec.recompute_requests();
    }
    spec.topology_spread_constraints =
        affinity::spread_constraints(r, d, path, &s.topology_spread_constraints);
    if let Some(n) = &s.node_name {
        if r.nodes_known && !r.node_names.contains(n) {
            r.doc(
                d,
                &format!("{path}.nodeName"),
                format!("no node is named {n:?}"),
            );
        }
        spec.node_name = Some(n.clone());
    }
    priority(r, d, path, s, &mut spec);
    if let Some(g) = s.termination_grace_period_seconds {
        if g < 0 {
            // pkg/api/pod/warnings.go: a warning, and the kubelet then gives 1 s.
            r.warn(
                d,
                format!(
                    "{path}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"
                ),
            );
        }
        spec.termination_grace_ms = if g < 0 { 1000 } else { g.saturating_mul(1000) };
    }
    spec.scheduling_gates = s.scheduling_gates.iter().map(|g| g.name.clone()).collect();
    if !spec.scheduling_gates.is_empty() && spec.node_name.is_some() {
        r.doc(
            d,
            &format!("{path}.nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        );
    }
    spec.host_ports = host_ports(r, d, path, s);
    spec.volumes = pod_volumes(r, d, path, &s.volumes);
    spec.behaviour = behaviour(r, d, &meta_path, &m.annotations);
    if spec.behaviour.ungate_after.is_some() && spec.scheduling_gates.is_empty() {
        let field = format!("{meta_path}.annotations.{ANNOTATION_UNGATE_AFTER}");
        r.warn(
            d,
            format!("{field}: the pod has no schedulingGates; ignored"),
        );
    }
    Some((meta?, spec))
}

/// Pod-level `spec.resources` (beta and on by default in 1.34): cpu, memory and
/// `hugepages-*` only, requests within limits, no request below what the containers
/// together request, no container limit above the pod's (`validatePodResources` in
/// `pkg/apis/core/validation/validation.go`). A limit without a request gives the request:
/// the containers' aggregate when they request any, else the limit
/// (`pkg/apis/core/v1/defaults.go`). The requests that replace the containers' aggregate.
fn pod_level(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    res: &ResourceRequirements,
    containers: &[ApiContainer],
    inits: &[ApiContainer],
) -> Vec<(ResourceName, i64)> {
    let rpath = format!("{path}.resources");
    let supported = |n: &str| n == "cpu" || n == "memory" || n.starts_with("hugepages-");
    for (kind, qs) in [("requests", &res.requests), ("limits", &res.limits)] {
        for name in qs.keys().filter(|n| !supported(n)) {
            let msg = format!(
                "Unsupported value: {name:?}: supported values: \"cpu\", \"hugepages-\", \"memory\""
            );
            r.doc(d, &format!("{rpath}.{kind}.{name}"), msg);
        }
    }
    let requests = resources(r, d, &format!("{rpath}.requests"), &res.requests);
    let limits = resources(r, d, &format!("{rpath}.limits"), &res.limits);
    check_requests_within_limits(r, d, path, res);
    let aggregate = effective_requests(containers, inits, &Resources::default(), false);
    let mut out = Vec::new();
    let names = res.requests.keys().chain(res.limits.keys());
    let names: std::collections::BTreeSet<&String> = names.filter(|n| supported(n)).collect();
    for name in names {
        let value = match res.requests.get(name) {
            Some(q) => {
                let (want, have) = (requests.get(name), aggregate.get(name));
                if want < have {
                    let msg = format!(
                        "Invalid value: {:?}: must be greater than or equal to aggregate container requests of {}",
                        q.value.as_str(),
                        format_amount(name, have)
                    );
                    r.doc(d, &format!("{rpath}.requests.{name}"), msg);
                }
                want
            }
            None if aggregate.get(name) > 0 => aggregate.get(name),
            None => limits.get(name),
        };
        out.push((ResourceName::from(name.as_str()), value));
    }
    let all = (containers.iter().enumerate()).map(|(i, c)| (format!("containers[{i}]"), c));
    let all =
        all.chain((inits.iter().enumerate()).map(|(i, c)| (format!("initContainers[{i}]"), c)));
    for (cpath, c) in all {
        for (name, q) in res.limits.iter().filter(|(n, _)| supported(n)) {
            let (own, pod) = (c.limits.get(name), limits.get(name));
            if own > pod {
                let msg = format!(
                    "Invalid value: {:?}: must be less than or equal to pod limits of {}",
                    format_amount(name, own),
                    q.value.as_str()
                );
                r.doc(d, &format!("{path}.{cpath}.resources.limits.{name}"), msg);
            }
        }
    }
    out
}

/// `spec.schedulerName`, which a profile must define.
fn scheduler_name(r: &mut Resolver, d: Doc, path: &str, s: &PodSpec) -> String {
    let name = s
        .scheduler_name
        .clone()
        .unwrap_or_else(|| DEFAULT_SCHEDULER.to_string());
    if !r.profiles.contains(&name) {
        let known = r.profiles.iter().cloned().collect::<Vec<_>>().join(", ");
        r.doc(
            d,
            &format!("{path}.schedulerName"),
            format!("no scheduler profile is named {name:?}; profiles: {known}"),
        );
    }
    name
}

/// `spec.restartPolicy`: `Always` by default; a Job's pods must say `Never` or `OnFailure`.
fn restart_policy(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    s: &PodSpec,
    in_job: bool,
) -> RestartPolicy {
    match s.restart_policy.as_deref() {
        None if in_job => {
            r.doc(
                d,
                &format!("{path}.restartPolicy"),
                "a Job's pods must set restartPolicy Never or OnFailure",
            );
            RestartPolicy::Never
        }
        None | Some("Always") if in_job => {
            r.doc(
                d,
                &format!("{path}.restartPolicy"),
                "a Job's pods must set restartPolicy Never or OnFailure, got Always",
            );
            RestartPolicy::Never
        }
        None | Some("Always") => RestartPolicy::Always,
        Some("OnFailure") => RestartPolicy::OnFailure,
        Some("Never") => RestartPolicy::Never,
        Some(o) => {
            r.doc(
                d,
                &format!("{path}.restartPolicy"),
                format!("expected Always, OnFailure or Never, got {o:?}"),
            );
            RestartPolicy::Always
        }
    }
}

/// Priority and preemption policy: the explicit value, then the class's, then the global
/// default class's (the Priority admission plugin).
fn priority(r: &mut Resolver, d: Doc, path: &str, s: &PodSpec, spec: &mut api::PodSpec) {
    // An empty name is no name (the Priority admission plugin).
    let class_name = s.priority_class_name.as_ref().filter(|c| !c.is_empty());
    let class = match class_name {
        Some(c) => match r.classes.get(c) {
            Some(pc) => Some(pc.clone()),
            None => {
                r.doc(
                    d,
                    &format!("{path}.priorityClassName"),
                    format!("no PriorityClass is named {c:?}"),
                );
                None
            }
        },
        None => r.classes.values().find(|c| c.global_default).cloned(),
    };
    spec.priority = s.priority.or(class.as_ref().map(|c| c.value)).unwrap_or(0);
    spec.priority_class_name = class_name.cloned();
    spec.preemption_policy = match s.preemption_policy.as_deref() {
        Some("Never") => PreemptionPolicy::Never,
        Some("PreemptLowerPriority") => PreemptionPolicy::PreemptLowerPriority,
        Some(o) => {
            r.doc(
                d,
                &format!("{path}.preemptionPolicy"),
                format!("expected PreemptLowerPriority or Never, got {o:?}"),
            );
            PreemptionPolicy::PreemptLowerPriority
        }
        None => class.map_or(PreemptionPolicy::PreemptLowerPriority, |c| {
            c.preemption_policy
        }),
    };
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::*;
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, crate::yaml::DeError> {
        crate::yaml::from_str(s)
    }

    #[test]
    fn pod_spec_requires_containers() {
        let e = parse::<Pod>("spec: {}\n").unwrap_err();
        assert!(e.to_string().contains("containers"), "{e}");
    }

    #[test]
    fn unknown_fields_ignored_and_presence_recorded() {
        let p: Pod = parse(
            "metadata: {name: a, uid: x}\nspec:\n  hostNetwork: true\n  containers: [{name: c}]\n  affinity:\n    podAntiAffinity: {x: 1}\n",
        )
        .unwrap();
        let aff = p.spec.affinity.unwrap();
        assert!(aff.pod_affinity.is_none());
        assert!(aff.pod_anti_affinity.is_some());
    }

    #[test]
    fn requests_default_to_limits_and_sidecars_are_marked() {
        let text = format!(
            "{}---
apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  initContainers:
  - name: setup
    image: x
    resources: {{requests: {{cpu: 100m}}}}
  - name: proxy
    image: envoy
    restartPolicy: Always
    resources: {{requests: {{cpu: 200m}}}}
  containers:
  - name: main
    image: x
    resources:
      limits: {{cpu: \"2\", memory: 1Gi}}
  - name: half
    image: x
    resources:
      requests: {{cpu: 100m}}
      limits: {{cpu: 500m, memory: 2Gi}}
  - name: none
    image: x
",
            sim("")
        );
        let s = ok(&[("sim.yaml", &text)]);
        let p = &s.pods[0];
        let c = &p.spec.containers;
        assert_eq!((c[0].requests.cpu_m, c[0].requests.memory), (2000, 1 << 30));
        assert!(c[0].cpu_request_set && c[0].memory_request_set);
        assert_eq!((c[1].requests.cpu_m, c[1].requests.memory), (100, 2 << 30));
        assert_eq!((c[2].requests.cpu_m, c[2].requests.memory), (0, 0));
        assert!(!c[2].cpu_request_set && !c[2].memory_request_set);
        let inits = &p.spec.init_containers;
        assert!(!inits[0].sidecar);
        assert!(inits[1].sidecar);
        // An Always restart policy on a regular container does not make it a sidecar.
        assert!(c.iter().all(|c| !c.sidecar));
        // Limits stay on the pod (for the usage model to come); what is not limited is 0.
        assert_eq!((c[0].limits.cpu_m, c[0].limits.memory), (2000, 1 << 30));
        assert_eq!((c[1].limits.cpu_m, c[1].limits.memory), (500, 2 << 30));
        assert_eq!((c[2].limits.cpu_m, c[2].limits.memory), (0, 0));
    }

    #[test]
    fn a_bad_name_does_not_hide_the_specs_errors() {
        let text = format!(
            "{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: Bad_Name}}\nspec:\n  containers:\n  - {{name: c, image: x:1, resources: {{requests: {{cpu: lots}}}}}}\n",
            sim("")
        );
        let (_, e) = errs(&[("sim.yaml", &text)]);
        let paths: Vec<&str> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["metadata.name", "spec.containers[0].resources.requests.cpu"],
            "{}",
            display(&e)
        );
    }

    #[test]
    fn a_request_above_its_limit_is_refused_as_the_api_server_refuses_it() {
        let text = format!(
            "{}---
apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
  - name: c
    image: x
    resources:
      requests: {{cpu: \"2\", memory: 1Gi}}
      limits: {{cpu: 1500m, memory: 1Gi}}
",
            sim("")
        );
        let (file, e) = errs(&[("sim.yaml", &text)]);
        assert_eq!(e.len(), 1, "{}", display(&e));
        let (line, col) = position(&text, "\"2\"");
        assert_eq!(
            e[0].to_string(),
            format!(
                "{}:{line}:{col}: spec.containers[0].resources.requests: Invalid value: \"2\": \
                 must be less than or equal to cpu limit of 1500m",
                file.display()
            )
        );
    }

    #[test]
    fn bad_limit_is_reported_at_its_own_path() {
        let text = format!(
            "{}---\n{}",
            sim(""),
            POD.replace(
                "resources: {requests: {cpu: 500m, memory: 1Gi}}",
                "resources: {requests: {cpu: 500m}, limits: {cpu: 1, memory: 1..5Gi}}"
            )
        );
        let (file, e) = errs(&[("sim.yaml", &text)]);
        assert_eq!(e.len(), 1, "{}", display(&e));
        let (line, col) = position(&text, "1..5Gi");
        assert_eq!(
            e[0].to_string(),
            format!(
                "{}:{line}:{col}: spec.containers[0].resources.limits.memory: {}",
                file.display(),
                e[0].message
            )
        );

        // A bad limit is an error even when the request is given.
        let text = format!(
            "{}---\n{}",
            sim(""),
            POD.replace(
                "resources: {requests: {cpu: 500m, memory: 1Gi}}",
                "resources: {requests: {cpu: 500m}, limits: {cpu: lots}}"
            )
        );
        let (_, e) = errs(&[("sim.yaml", &text)]);
        assert_eq!(e.len(), 1, "{}", display(&e));
        assert_eq!(e[0].path, "spec.containers[0].resources.limits.cpu");
    }

    #[test]
    fn ungate_annotation_is_a_distribution_and_warns_without_gates() {
        let pod = "---
kind: Pod
metadata:
  name: g
  annotations: {kubesim.io/ungate-after: 30s}
spec:
  schedulingGates: [{name: x}]
  containers: [{name: c, image: busybox}]
---
kind: Pod
metadata:
  name: free
  annotations: {kubesim.io/ungate-after: 30s}
spec:
  containers: [{name: c, image: busybox}]
";
        let (_d, _, r) = load(&[("s.yaml", &format!("{}{pod}", sim("")))]);
        let s = r.unwrap();
        assert!(s.pods[0].spec.behaviour.ungate_after.is_some());
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("has no schedulingGates")),
            "{:?}",
            s.warnings
        );
        let bad = pod.replace("30s}", "soon}");
        let (_d, _, r) = load(&[("s.yaml", &format!("{}{bad}", sim("")))]);
        let errs = r.expect_err("bad distribution");
        assert!(
            errs[0]
                .path
                .ends_with("annotations.kubesim.io/ungate-after"),
            "{:?}",
            errs
        );
        let bound = pod.replace(
            "spec:\n  schedulingGates",
            "spec:\n  nodeName: pool-1\n  schedulingGates",
        );
        let (_d, _, r) = load(&[("s.yaml", &format!("{}{bound}", sim("")))]);
        let errs = r.expect_err("gates with nodeName");
        assert_eq!(errs[0].path, "spec.nodeName");
        assert_eq!(
            errs[0].message,
            "cannot be set until all schedulingGates have been cleared"
        );
    }
}
