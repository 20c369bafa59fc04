//! The admission plugins a pod passes when it is created, in the API server's order:
//! LimitRanger's defaults and limits (`plugin/pkg/admission/limitranger/admission.go`), then
//! ResourceQuota (`staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/`,
//! `pkg/quota/v1/evaluator/core/pods.go`). Plain functions over the objects; the store
//! keeps the quotas' usage and runs them.

use super::pod::{Container, PodSpec};
use super::quantity::format_amount;
use super::resources::{Resources, names};

/// A `v1` ResourceQuota: hard limits on what a namespace's objects may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceQuota {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `spec.hard`, by resource name (`requests.cpu` in millicores, the others in units),
    /// sorted by name.
    pub hard: Vec<(String, i64)>,
}

/// What a LimitRange item applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// Each container.
    Container,
    /// The pod's containers summed.
    Pod,
}

impl LimitKind {
    /// The spelling of its messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Container => "Container",
            LimitKind::Pod => "Pod",
        }
    }
}

/// One of `spec.limits`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LimitItem {
    /// `type`.
    pub kind: Option<LimitKind>,
    /// `default`: a container's missing limits.
    pub default: Resources,
    /// `defaultRequest`: a container's missing requests.
    pub default_request: Resources,
    /// `min`.
    pub min: Resources,
    /// `max`.
    pub max: Resources,
    /// `maxLimitRequestRatio`, by resource, in thousandths.
    pub max_ratio: Vec<(String, i64)>,
}

/// A `v1` LimitRange.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitRange {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `spec.limits`.
    pub limits: Vec<LimitItem>,
}

/// The resources a LimitRange item names, in upstream's order.
fn named(r: &Resources) -> Vec<(&str, i64)> {
    let mut out = Vec::new();
    for name in [names::CPU, names::MEMORY, names::EPHEMERAL_STORAGE] {
        if r.get(name) != 0 {
            out.push((name, r.get(name)));
        }
    }
    out.extend(r.scalars.iter().map(|(n, v)| (&**n, *v)));
    out
}

/// Whether a container wrote a request for `name`.
fn has_request(c: &Container, name: &str) -> bool {
    match name {
        names::CPU => c.cpu_request_set,
        names::MEMORY => c.memory_request_set,
        _ => c.requests.get(name) != 0,
    }
}

/// The spec with the LimitRanges' defaults applied to containers missing limits or
/// requests, and the `kubernetes.io/limit-ranger` annotation that says what was set;
/// `None` when nothing was (`mergePodResourceRequirements`).
pub fn apply_defaults(spec: &PodSpec, ranges: &[LimitRange]) -> Option<(PodSpec, String)> {
    let items: Vec<&LimitItem> = ranges
        .iter()
        .flat_map(|r| &r.limits)
        .filter(|i| i.kind == Some(LimitKind::Container))
        .collect();
    if items.is_empty() {
        return None;
    }
    let mut out = spec.clone();
    let mut notes = Vec::new();
    for c in out
        .init_containers
        .iter_mut()
        .chain(out.containers.iter_mut())
    {
        let (mut requests_set, mut limits_set) = (Vec::new(), Vec::new());
        for item in &items {
            for (name, v) in named(&item.default_request) {
                if !has_request(c, name) && !requests_set.contains(&name) {
                    c.requests.set(name, v);
                    requests_set.push(name);
                }
            }
            for (name, v) in named(&item.default) {
                if c.limits.get(name) == 0 && !limits_set.contains(&name) {
                    c.limits.set(name, v);
                    limits_set.push(name);
                    // A limit with no request gives the request (API defaulting runs first
                    // upstream; the default request, when given, was set above).
                    if !has_request(c, name) && !requests_set.contains(&name) {
                        c.requests.set(name, v);
                        requests_set.push(name);
                    }
                }
            }
        }
        for name in &requests_set {
            match *name {
                names::CPU => c.cpu_request_set = true,
                names::MEMORY => c.memory_request_set = true,
                _ => {}
            }
        }
        if !requests_set.is_empty() {
            notes.push(format!(
                "{} request for container {}",
                requests_set.join(", "),
                c.name
            ));
        }
        if !limits_set.is_empty() {
            notes.push(format!(
                "{} limit for container {}",
                limits_set.join(", "),
                c.name
            ));
        }
    }
    if notes.is_empty() {
        return None;
    }
    out.recompute_requests();
    Some((out, format!("LimitRanger plugin set: {}", notes.join("; "))))
}

/// The LimitRanges' min, max and ratio checks (`PodValidateLimitFunc`), in upstream's words;
/// several failures are listed as upstream aggregates them.
pub fn check_limits(spec: &PodSpec, ranges: &[LimitRange]) -> Result<(), String> {
    let mut errors = Vec::new();
    for item in ranges.iter().flat_map(|r| &r.limits) {
        let Some(kind) = item.kind else {
            continue;
        };
        let t = kind.as_str();
        let subjects: Vec<(Resources, Resources)> = match kind {
            LimitKind::Container => spec
                .init_containers
                .iter()
                .chain(&spec.containers)
                .map(|c| (c.requests.clone(), c.limits.clone()))
                .collect(),
            LimitKind::Pod => {
                let (mut req, mut lim) = (Resources::default(), Resources::default());
                for c in &spec.containers {
                    req.add(&c.requests);
                    lim.add(&c.limits);
                }
                vec![(req, lim)]
            }
        };
        for (req, lim) in subjects {
            for (name, min) in named(&item.min) {
                let (r, l) = (req.get(name), lim.get(name));
                let q = format_amount(name, min);
                if r == 0 {
                    errors.push(format!(
                        "minimum {name} usage per {t} is {q}.  No request is specified"
                    ));
                } else if r < min {
                    errors.push(format!(
                        "minimum {name} usage per {t} is {q}, but request is {}",
                        format_amount(name, r)
                    ));
                } else if l != 0 && l < min {
                    errors.push(format!(
                        "minimum {name} usage per {t} is {q}, but limit is {}",
                        format_amount(name, l)
                    ));
                }
            }
            for (name, max) in named(&item.max) {
                let (r, l) = (req.get(name), lim.get(name));
                let q = format_amount(name, max);
                if l == 0 {
                    errors.push(format!(
                        "maximum {name} usage per {t} is {q}.  No limit is specified"
                    ));
                } else if l > max {
                    errors.push(format!(
                        "maximum {name} usage per {t} is {q}, but limit is {}",
                        format_amount(name, l)
                    ));
                } else if r > max {
                    errors.push(format!(
                        "maximum {name} usage per {t} is {q}, but request is {}",
                        format_amount(name, r)
                    ));
                }
            }
            for (name, ratio) in &item.max_ratio {
                let (r, l) = (req.get(name), lim.get(name));
                let shown = format_amount(names::CPU, *ratio);
                if r == 0 {
                    errors.push(format!("{name} max limit to request ratio per {t} is {shown}, but no request is specified or request is 0"));
                } else if l == 0 {
                    errors.push(format!("{name} max limit to request ratio per {t} is {shown}, but no limit is specified or limit is 0"));
                } else if l as f64 / r as f64 > *ratio as f64 / 1000.0 {
                    errors.push(format!("{name} max limit to request ratio per {t} is {shown}, but provided ratio is {:.6}", l as f64 / r as f64));
                }
            }
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(format!("[{}]", errors.join(", "))),
    }
}

/// Quota resource names a pod is charged for, with the pod's amount (`PodUsageFunc`): the
/// pod counts, its requests and limits summed as the scheduler sums them.
pub fn pod_usage(spec: &PodSpec) -> Vec<(&'static str, i64)> {
    let mut limits = Resources::default();
    for c in &spec.containers {
        limits.add(&c.limits);
    }
    let r = &spec.requests;
    vec![
        ("count/pods", 1),
        ("cpu", r.cpu_m),
        ("limits.cpu", limits.cpu_m),
        ("limits.ephemeral-storage", limits.ephemeral_storage),
        ("limits.memory", limits.memory),
        ("memory", r.memory),
        ("pods", 1),
        ("requests.cpu", r.cpu_m),
        ("requests.ephemeral-storage", r.ephemeral_storage),
        ("requests.memory", r.memory),
    ]
}

/// The resource a quota name measures, for printing its amounts.
fn unit_of(name: &str) -> &'static str {
    match name {
        "cpu" | "requests.cpu" | "limits.cpu" => names::CPU,
        "memory" | "requests.memory" | "limits.memory" => names::MEMORY,
        _ => "",
    }
}

/// `name=quantity` as the quota's messages print them.
fn item(name: &str, amount: i64) -> String {
    match unit_of(name) {
        "" if name.starts_with("count/") || !name.contains('.') => format!("{name}={amount}"),
        u => format!(
            "{name}={}",
            format_amount(if u.is_empty() { names::MEMORY } else { u }, amount)
        ),
    }
}

/// Checks one quota against what it has used and what an object adds (`checkRequest`):
/// every tracked resource must stay within its hard limit, and a pod must say the requests
/// and limits the quota tracks (`must specify`).
pub fn check_quota(
    quota: &ResourceQuota,
    used: &[(String, i64)],
    adds: &[(&str, i64)],
    spec: Option<&PodSpec>,
) -> Result<(), String> {
    if let Some(spec) = spec {
        let mut missing: Vec<&str> = Vec::new();
        for (name, _) in &quota.hard {
            let unset = |c: &Container| match name.as_str() {
                "requests.cpu" | "cpu" => !c.cpu_request_set,
                "requests.memory" | "memory" => !c.memory_request_set,
                "limits.cpu" => c.limits.cpu_m == 0,
                "limits.memory" => c.limits.memory == 0,
                _ => false,
            };
            if spec.containers.iter().any(unset) {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            return Err(format!(
                "failed quota: {}: must specify {}",
                quota.name,
                missing.join(",")
            ));
        }
    }
    let mut over: Vec<(&str, i64, i64, i64)> = Vec::new();
    for (name, hard) in &quota.hard {
        let Some(&(_, add)) = adds.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let now = used.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v);
        if add > 0 && now + add > *hard {
            over.push((name, add, now, *hard));
        }
    }
    if over.is_empty() {
        return Ok(());
    }
    // Column 1 is what is requested, 2 what is used, 3 the limit.
    let list = |column: usize| -> String {
        over.iter()
            .map(|o| item(o.0, [o.1, o.2, o.3][column - 1]))
            .collect::<Vec<_>>()
            .join(",")
    };
    Err(format!(
        "exceeded quota: {}, requested: {}, used: {}, limited: {}",
        quota.name,
        list(1),
        list(2),
        list(3),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(cpu: Option<i64>, cpu_limit: i64) -> PodSpec {
        let mut s = (*crate::api::testing::pod("p", cpu.unwrap_or(0), 0).spec).clone();
        s.containers[0].cpu_request_set = cpu.is_some();
        s.containers[0].memory_request_set = false;
        s.containers[0].limits.cpu_m = cpu_limit;
        s.recompute_requests();
        s
    }

    fn quota(hard: &[(&str, i64)]) -> ResourceQuota {
        ResourceQuota {
            name: "compute-quota".into(),
            namespace: "default".into(),
            hard: hard.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn a_quota_refuses_in_upstream_words() {
        let q = quota(&[("requests.cpu", 2_000), ("pods", 10)]);
        let s = spec(Some(500), 0);
        let used = vec![("requests.cpu".to_string(), 1_500), ("pods".to_string(), 3)];
        assert_eq!(check_quota(&q, &used, &pod_usage(&s), Some(&s)), Ok(()));
        let used = vec![("requests.cpu".to_string(), 1_600)];
        assert_eq!(
            check_quota(&q, &used, &pod_usage(&s), Some(&s)),
            Err("exceeded quota: compute-quota, requested: requests.cpu=500m, used: requests.cpu=1600m, limited: requests.cpu=2".into())
        );
        let q = quota(&[("limits.cpu", 4_000), ("requests.cpu", 2_000)]);
        assert_eq!(
            check_quota(&q, &[], &pod_usage(&spec(None, 0)), Some(&spec(None, 0))),
            Err("failed quota: compute-quota: must specify limits.cpu,requests.cpu".into())
        );
        let q = quota(&[("count/deployments.apps", 1)]);
        let used = vec![("count/deployments.apps".to_string(), 1)];
        assert_eq!(
            check_quota(&q, &used, &[("count/deployments.apps", 1)], None),
            Err("exceeded quota: compute-quota, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1".into())
        );
    }

    #[test]
    fn limit_ranges_default_and_bound_containers() {
        let mut item = LimitItem {
            kind: Some(LimitKind::Container),
            ..Default::default()
        };
        item.default.cpu_m = 1_000;
        item.default_request.cpu_m = 500;
        item.max.cpu_m = 800;
        let lr = LimitRange {
            name: "cpu".into(),
            namespace: "default".into(),
            limits: vec![item],
        };
        let (out, note) = apply_defaults(&spec(None, 0), std::slice::from_ref(&lr)).unwrap();
        assert_eq!(
            (
                out.containers[0].requests.cpu_m,
                out.containers[0].limits.cpu_m
            ),
            (500, 1_000)
        );
        assert_eq!(
            note,
            "LimitRanger plugin set: cpu request for container main; cpu limit for container main"
        );
        assert_eq!(out.requests.cpu_m, 500);
        assert_eq!(
            check_limits(&out, std::slice::from_ref(&lr)),
            Err("maximum cpu usage per Container is 800m, but limit is 1".into())
        );
        assert_eq!(check_limits(&spec(Some(100), 700), &[lr]), Ok(()));
    }
}
