//! Containers as written (`spec.containers`, `spec.initContainers`) and resolved: names,
//! images and their pull policy, requests and limits, probes, host ports.

use super::super::resolver::{Doc, Resolver, resources_at};
use super::super::yaml::{IgnoredPresence, Quantities, Spanned};
use super::pod::PodSpec;
use crate::api::names::NameRule;
use crate::api::pod::{
    BIND_ALL_HOST_IP, Container as ApiContainer, HostPort, Protocol, PullPolicy,
};
use crate::api::probe::Probe;
use crate::api::quantity::Quantity;
use serde::Deserialize;
use std::sync::Arc;

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
    /// `Always`, `IfNotPresent` or `Never` (defaulted from the image).
    #[serde(default)]
    pub image_pull_policy: Option<String>,
    /// When the container counts as started.
    #[serde(default)]
    pub startup_probe: Option<ProbeSpec>,
    /// When the container counts as ready.
    #[serde(default)]
    pub readiness_probe: Option<ProbeSpec>,
}

/// A probe: its handler (only whether one is given) and its timing.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProbeSpec {
    /// `exec`.
    pub exec: Option<IgnoredPresence>,
    /// `httpGet`.
    pub http_get: Option<IgnoredPresence>,
    /// `tcpSocket`.
    pub tcp_socket: Option<IgnoredPresence>,
    /// `grpc`.
    pub grpc: Option<IgnoredPresence>,
    /// Seconds after the container's start before the first probe.
    pub initial_delay_seconds: Option<i64>,
    /// Seconds between probes (default 10).
    pub period_seconds: Option<i64>,
    /// Seconds a probe may take (default 1; not modelled: probes answer at once).
    pub timeout_seconds: Option<i64>,
    /// Consecutive successes to pass (default 1).
    pub success_threshold: Option<i64>,
    /// Consecutive failures to fail (default 3).
    pub failure_threshold: Option<i64>,
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

/// At least one container; container names are RFC 1123 labels, unique across app and init
/// containers (a clash is reported at the init container, as upstream).
pub(super) fn container_names(r: &mut Resolver, d: Doc, path: &str, s: &PodSpec) {
    if s.containers.is_empty() {
        r.doc(d, &format!("{path}.containers"), "Required value");
    }
    let mut seen = std::collections::BTreeSet::new();
    let apps = (s.containers.iter().enumerate()).map(|(i, c)| ("containers", i, c));
    let inits = (s.init_containers.iter().enumerate()).map(|(i, c)| ("initContainers", i, c));
    for (list, i, c) in apps.chain(inits) {
        // The path is made only for an error.
        let valid = !c.name.is_empty() && NameRule::Label.check(&c.name).is_empty();
        if valid && seen.insert(c.name.as_str()) {
            continue;
        }
        let field = format!("{path}.{list}[{i}].name");
        if c.name.is_empty() {
            r.doc(d, &field, "Required value");
        } else if valid {
            r.doc(d, &field, format!("Duplicate value: {:?}", c.name));
        } else {
            r.name_at(d, &field, Some(&c.name), NameRule::Label);
        }
    }
}

/// One container at `path`; `init` for `initContainers` (whose `restartPolicy: Always` marks
/// a sidecar).
pub(super) fn container(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    c: &Container,
    init: bool,
) -> ApiContainer {
    let (given, limit_qs) = (&c.resources.requests, &c.resources.limits);
    let mut requests = resources_at(r, d, &|| format!("{path}.resources.requests"), given);
    // Limits are checked at their own path; a request left out defaults to its limit.
    let limits = resources_at(r, d, &|| format!("{path}.resources.limits"), limit_qs);
    for name in limit_qs.keys().filter(|n| !given.contains_key(*n)) {
        requests.set(name, limits.get(name));
    }
    check_requests_within_limits(r, d, path, &c.resources);
    let sidecar = init && c.restart_policy.as_deref() == Some("Always");
    let image = c.image.as_deref().unwrap_or_default();
    let set = |name: &str| given.contains_key(name) || limit_qs.contains_key(name);
    if c.image.as_deref().unwrap_or("").is_empty() {
        r.doc(d, &format!("{path}.image"), "is required");
    }
    ApiContainer {
        name: Arc::from(c.name.as_str()),
        image: Arc::from(image),
        pull_policy: pull_policy(r, d, path, c, image),
        startup_probe: probe(
            r,
            d,
            path,
            "startupProbe",
            &c.startup_probe,
            init && !sidecar,
        ),
        readiness_probe: probe(
            r,
            d,
            path,
            "readinessProbe",
            &c.readiness_probe,
            init && !sidecar,
        ),
        cpu_request_set: set("cpu"),
        memory_request_set: set("memory"),
        requests,
        limits,
        sidecar,
    }
}

/// `imagePullPolicy`, or upstream's default for the image.
fn pull_policy(r: &mut Resolver, d: Doc, path: &str, c: &Container, image: &str) -> PullPolicy {
    match c.image_pull_policy.as_deref() {
        None | Some("") => PullPolicy::default_for(image),
        Some(p) => PullPolicy::parse(p).unwrap_or_else(|| {
            let msg = format!(
                "Unsupported value: {p:?}: supported values: \"Always\", \"IfNotPresent\", \"Never\""
            );
            r.doc(d, &format!("{path}.imagePullPolicy"), msg);
            PullPolicy::IfNotPresent
        }),
    }
}

/// A startup or readiness probe (`field`), validated and defaulted as upstream
/// (`validateProbe` in `pkg/apis/core/validation/validation.go`, `SetDefaults_Probe`).
/// `regular_init`: a regular init container may have none.
fn probe(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    field: &str,
    spec: &Option<ProbeSpec>,
    regular_init: bool,
) -> Option<Probe> {
    let p = spec.as_ref()?;
    let path = format!("{path}.{field}");
    if regular_init {
        let msg = "Forbidden: may not be set for init containers without restartPolicy=Always";
        r.doc(d, &path, msg);
        return None;
    }
    let handlers = [&p.exec, &p.http_get, &p.tcp_socket, &p.grpc];
    match handlers.iter().filter(|h| h.is_some()).count() {
        0 => r.doc(d, &path, "Required value: must specify a handler type"),
        1 => {}
        _ => r.doc(
            d,
            &path,
            "Forbidden: may not specify more than 1 handler type",
        ),
    }
    let startup = field == "startupProbe";
    let mut number = |name: &str, value: Option<i64>, default: i64| -> i64 {
        match value {
            Some(v) if v < 0 => {
                let msg = format!("Invalid value: {v}: must be greater than or equal to 0");
                r.doc(d, &format!("{path}.{name}"), msg);
                default
            }
            Some(0) | None => default,
            Some(v) => v,
        }
    };
    let initial_delay = number("initialDelaySeconds", p.initial_delay_seconds, 0);
    number("timeoutSeconds", p.timeout_seconds, 1);
    let period = number("periodSeconds", p.period_seconds, 10);
    let success = number("successThreshold", p.success_threshold, 1);
    let failure = number("failureThreshold", p.failure_threshold, 3);
    if startup && success != 1 {
        let msg = format!("Invalid value: {success}: must be 1");
        r.doc(d, &format!("{path}.successThreshold"), msg);
    }
    let clamp = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Some(Probe {
        initial_delay_ms: initial_delay.saturating_mul(1000),
        period_ms: period.saturating_mul(1000),
        success_threshold: clamp(success),
        failure_threshold: clamp(failure),
    })
}

/// A request above its limit is refused, as the API server refuses it
/// (`ValidateContainerResourceRequirements` in `pkg/apis/core/validation/validation.go`).
pub(super) fn check_requests_within_limits(
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
pub(super) fn host_ports(r: &mut Resolver, d: Doc, path: &str, s: &PodSpec) -> Vec<HostPort> {
    let mut out = Vec::new();
    let sidecars = s
        .init_containers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.restart_policy.as_deref() == Some("Always"))
        .map(|(i, c)| ("initContainers", i, c));
    let regular = (s.containers.iter().enumerate()).map(|(i, c)| ("containers", i, c));
    for (list, i, c) in sidecars.chain(regular) {
        for (j, p) in c.ports.iter().enumerate() {
            // The path is made only for an error.
            let ppath = || format!("{path}.{list}[{i}].ports[{j}]");
            let protocol = match &p.protocol {
                None => Protocol::Tcp,
                Some(v) => match Protocol::parse(&v.value) {
                    Some(pr) => pr,
                    None => {
                        let msg = format!("expected TCP, UDP or SCTP, got {:?}", v.value);
                        r.at(d, v, &format!("{}.protocol", ppath()), msg);
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
                    r.at(d, hp, &format!("{}.hostPort", ppath()), msg);
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
    use crate::api::pod::PullPolicy;

    fn pod(spec: &str) -> String {
        format!(
            "{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{spec}",
            sim("")
        )
    }

    #[test]
    fn pull_policy_defaults_from_the_tag_as_upstream() {
        assert_eq!(PullPolicy::default_for("nginx"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("nginx:latest"), PullPolicy::Always);
        assert_eq!(
            PullPolicy::default_for("nginx:1.27"),
            PullPolicy::IfNotPresent
        );
        assert_eq!(
            PullPolicy::default_for("registry:5000/team/app"),
            PullPolicy::Always,
            "a registry port is no tag"
        );
        assert_eq!(
            PullPolicy::default_for("nginx@sha256:0123"),
            PullPolicy::IfNotPresent
        );
        let text = pod(
            "  containers:\n  - {name: a, image: nginx, imagePullPolicy: Never}\n  - {name: b, image: nginx}\n",
        );
        let s = ok(&[("sim.yaml", &text)]);
        let c = &s.pods[0].spec.containers;
        assert_eq!(
            (c[0].pull_policy, c[1].pull_policy),
            (PullPolicy::Never, PullPolicy::Always)
        );
        let text = pod("  containers:\n  - {name: a, image: nginx, imagePullPolicy: Sometimes}\n");
        let (_, e) = errs(&[("sim.yaml", &text)]);
        assert!(
            display(&e).contains("spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""),
            "{}",
            display(&e)
        );
    }

    #[test]
    fn probes_are_defaulted_and_validated_as_upstream() {
        let text = pod(
            "  containers:\n  - name: a\n    image: nginx:1\n    readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 5}\n    startupProbe: {exec: {command: [true]}, failureThreshold: 30}\n",
        );
        let s = ok(&[("sim.yaml", &text)]);
        let c = &s.pods[0].spec.containers[0];
        let r = c.readiness_probe.unwrap();
        assert_eq!(
            (
                r.initial_delay_ms,
                r.period_ms,
                r.success_threshold,
                r.failure_threshold
            ),
            (5000, 10_000, 1, 3)
        );
        assert_eq!(c.startup_probe.unwrap().failure_threshold, 30);
        for (probe, message) in [
            (
                "readinessProbe: {periodSeconds: 5}",
                "spec.containers[0].readinessProbe: Required value: must specify a handler type",
            ),
            (
                "readinessProbe: {exec: {}, httpGet: {port: 1}}",
                "spec.containers[0].readinessProbe: Forbidden: may not specify more than 1 handler type",
            ),
            (
                "startupProbe: {exec: {}, successThreshold: 2}",
                "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1",
            ),
            (
                "readinessProbe: {exec: {}, periodSeconds: -1}",
                "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
            ),
        ] {
            let text = pod(&format!(
                "  containers:\n  - name: a\n    image: nginx:1\n    {probe}\n"
            ));
            let (_, e) = errs(&[("sim.yaml", &text)]);
            assert!(display(&e).contains(message), "{probe}: {}", display(&e));
        }
        let text = pod(
            "  initContainers:\n  - {name: i, image: x:1, readinessProbe: {exec: {}}}\n  containers:\n  - {name: a, image: x:1}\n",
        );
        let (_, e) = errs(&[("sim.yaml", &text)]);
        assert!(
            display(&e).contains("spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"),
            "{}",
            display(&e)
        );
    }

    #[test]
    fn pod_level_resources_replace_the_containers_aggregate() {
        let text = pod(
            "  resources:\n    requests: {cpu: \"2\"}\n    limits: {memory: 4Gi}\n  containers:\n  - {name: a, image: x:1, resources: {requests: {cpu: 500m, memory: 1Gi}}}\n  - {name: b, image: x:1, resources: {requests: {cpu: 500m}}}\n",
        );
        let s = ok(&[("sim.yaml", &text)]);
        let r = &s.pods[0].spec.requests;
        // cpu from the pod; memory: no pod request, a pod limit, containers request 1Gi.
        assert_eq!((r.cpu_m, r.memory), (2000, 1 << 30));
        let text = pod(
            "  resources:\n    limits: {memory: 4Gi}\n  containers:\n  - {name: a, image: x:1}\n",
        );
        let s = ok(&[("sim.yaml", &text)]);
        assert_eq!(
            s.pods[0].spec.requests.memory,
            4 << 30,
            "no container request: the limit"
        );
        for (resources, message) in [
            (
                "{requests: {cpu: 500m}}",
                "spec.resources.requests.cpu: Invalid value: \"500m\": must be greater than or equal to aggregate container requests of 1",
            ),
            (
                "{requests: {ephemeral-storage: 1Gi, cpu: \"2\"}}",
                "spec.resources.requests.ephemeral-storage: Unsupported value: \"ephemeral-storage\": supported values: \"cpu\", \"hugepages-\", \"memory\"",
            ),
            (
                "{requests: {cpu: \"3\"}, limits: {cpu: \"2\"}}",
                "spec.resources.requests: Invalid value: \"3\": must be less than or equal to cpu limit of 2",
            ),
            (
                "{limits: {cpu: 800m}}",
                "spec.containers[0].resources.limits.cpu: Invalid value: \"1\": must be less than or equal to pod limits of 800m",
            ),
        ] {
            let text = pod(&format!(
                "  resources: {resources}\n  containers:\n  - {{name: a, image: x:1, resources: {{limits: {{cpu: \"1\"}}}}}}\n"
            ));
            let (_, e) = errs(&[("sim.yaml", &text)]);
            assert!(
                display(&e).contains(message),
                "{resources}: {}",
                display(&e)
            );
        }
    }
}
