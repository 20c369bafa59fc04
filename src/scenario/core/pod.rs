//! `v1` Pod and the pod template every workload kind carries: as written, and resolved
//! into an [`api::PodSpec`] (containers and their requests, the scheduling fields, priority,
//! host ports, volumes and kubesim's behaviour annotations).

use super::super::kubesim::annotations::{ANNOTATION_UNGATE_AFTER, behaviour};
use super::super::meta::{ObjectMeta, check_labels, meta};
use super::super::resolver::{Doc, Resolver, resources};
use super::super::yaml::{Quantities, Spanned};
use super::affinity::{self, Affinity, Toleration, TopologySpreadConstraint};
use super::volume::{Volume, pod_volumes};
use crate::api;
use crate::api::names::NameRule;
use crate::api::pod::{
    BIND_ALL_HOST_IP, Container as ApiContainer, DEFAULT_SCHEDULER, HostPort, PodStatus,
    PreemptionPolicy, Protocol, RestartPolicy,
};
use crate::api::quantity::Quantity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A `v1` Pod.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Pod {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: PodSpec,
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

/// A container.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Container name (required).
    pub name: String,
    /// Image reference.
    #[serde(default)]
    pub image: Option<String>,
    /// Requests and limits.
    #[serde(default)]
    pub resources: ResourceRequirements,
    /// `Always` for sidecar init containers.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Ports.
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
}

/// Container resources.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceRequirements {
    /// Requests.
    pub requests: Quantities,
    /// Limits.
    pub limits: Quantities,
}

/// A container port.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// Port in the container (required).
    pub container_port: i32,
    /// Port on the host.
    #[serde(default)]
    pub host_port: Option<Spanned<i32>>,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// Host address the port binds (`0.0.0.0` when absent).
    #[serde(rename = "hostIP", default)]
    pub host_ip: Option<String>,
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
    r.pods.push(api::pod::Pod {
        meta,
        spec: Arc::new(spec),
        status: PodStatus::default(),
    });
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
    let meta = meta(r, d, &meta_path, m, 1)?;
    container_names(r, d, path, s);
    let containers = s
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| container(r, d, &format!("{path}.containers[{i}]"), c, false))
        .collect();
    let inits = s
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| container(r, d, &format!("{path}.initContainers[{i}]"), c, true))
        .collect();
    let overhead = resources(r, d, &format!("{path}.overhead"), &s.overhead);
    check_labels(r, d, &format!("{path}.nodeSelector"), &s.node_selector);
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
    spec.behaviour = behaviour(r, d, &meta_path, &meta.annotations);
    if spec.behaviour.ungate_after.is_some() && spec.scheduling_gates.is_empty() {
        let field = format!("{meta_path}.annotations.{ANNOTATION_UNGATE_AFTER}");
        r.warn(
            d,
            format!("{field}: the pod has no schedulingGates; ignored"),
        );
    }
    Some((meta, spec))
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

/// At least one container; container names are RFC 1123 labels, unique across app and init
/// containers (a clash is reported at the init container, as upstream).
fn container_names(r: &mut Resolver, d: Doc, path: &str, s: &PodSpec) {
    if s.containers.is_empty() {
        r.doc(d, &format!("{path}.containers"), "Required value");
    }
    let mut seen = std::collections::BTreeSet::new();
    let apps =
        (s.containers.iter().enumerate()).map(|(i, c)| (format!("{path}.containers[{i}].name"), c));
    let inits = (s.init_containers.iter().enumerate())
        .map(|(i, c)| (format!("{path}.initContainers[{i}].name"), c));
    for (field, c) in apps.chain(inits) {
        if c.name.is_empty() {
            r.doc(d, &field, "Required value");
        } else if r
            .name_at(d, &field, Some(&c.name), NameRule::Label)
            .is_some()
            && !seen.insert(c.name.as_str())
        {
            r.doc(d, &field, format!("Duplicate value: {:?}", c.name));
        }
    }
}

/// One container at `path`; `init` for `initContainers` (whose `restartPolicy: Always` marks
/// a sidecar).
fn container(r: &mut Resolver, d: Doc, path: &str, c: &Container, init: bool) -> ApiContainer {
    let (given, limit_qs) = (&c.resources.requests, &c.resources.limits);
    let mut requests = resources(r, d, &format!("{path}.resources.requests"), given);
    // Limits are checked at their own path; a request left out defaults to its limit.
    let limits = resources(r, d, &format!("{path}.resources.limits"), limit_qs);
    for name in limit_qs.keys().filter(|n| !given.contains_key(*n)) {
        requests.set(name, limits.get(name));
    }
    check_requests_within_limits(r, d, path, &c.resources);
    let set = |name: &str| given.contains_key(name) || limit_qs.contains_key(name);
    if c.image.as_deref().unwrap_or("").is_empty() {
        r.doc(d, &format!("{path}.image"), "is required");
    }
    ApiContainer {
        name: Arc::from(c.name.as_str()),
        image: Arc::from(c.image.as_deref().unwrap_or_default()),
        cpu_request_set: set("cpu"),
        memory_request_set: set("memory"),
        requests,
        limits,
        sidecar: init && c.restart_policy.as_deref() == Some("Always"),
    }
}

/// A request above its limit is refused, as the API server refuses it
/// (`ValidateContainerResourceRequirements` in `pkg/apis/core/validation/validation.go`).
fn check_requests_within_limits(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    given: &ResourceRequirements,
) {
    for (name, request) in &given.requests {
        let Some(limit) = given.limits.get(name) else {
            continue;
        };
        let (Ok(rq), Ok(lq)) = (
            Quantity::parse(request.value.as_str()),
            Quantity::parse(limit.value.as_str()),
        ) else {
            continue; // reported where it was parsed
        };
        if rq > lq {
            let msg = format!(
                "Invalid value: {:?}: must be less than or equal to {name} limit of {}",
                request.value.as_str(),
                limit.value.as_str()
            );
            r.at(d, request, &format!("{path}.resources.requests"), msg);
        }
    }
}

/// The host ports of a pod: those of its sidecars (init containers with
/// `restartPolicy: Always`) and its containers, as upstream `GetHostPorts` lists them.
fn host_ports(r: &mut Resolver, d: Doc, path: &str, s: &PodSpec) -> Vec<HostPort> {
    let mut out = Vec::new();
    let sidecars = s
        .init_containers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.restart_policy.as_deref() == Some("Always"))
        .map(|(i, c)| (format!("{path}.initContainers[{i}]"), c));
    let regular = s
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{path}.containers[{i}]"), c));
    for (cpath, c) in sidecars.chain(regular) {
        for (j, p) in c.ports.iter().enumerate() {
            let ppath = format!("{cpath}.ports[{j}]");
            let protocol = match &p.protocol {
                None => Protocol::Tcp,
                Some(v) => match Protocol::parse(&v.value) {
                    Some(pr) => pr,
                    None => {
                        let msg = format!("expected TCP, UDP or SCTP, got {:?}", v.value);
                        r.at(d, v, &format!("{ppath}.protocol"), msg);
                        continue;
                    }
                },
            };
            let Some(hp) = &p.host_port else {
                continue;
            };
            let port = match u16::try_from(hp.value) {
                Ok(0) => continue,
                Ok(port) => port,
                Err(_) => {
                    let msg = format!("must be between 1 and 65535, got {}", hp.value);
                    r.at(d, hp, &format!("{ppath}.hostPort"), msg);
                    continue;
                }
            };
            let ip = p
                .host_ip
                .as_deref()
                .filter(|ip| !ip.is_empty())
                .unwrap_or(BIND_ALL_HOST_IP);
            out.push(HostPort {
                ip: Arc::from(ip),
                protocol,
                port,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::*;
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, serde_saphyr::Error> {
        serde_saphyr::from_str(s)
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
