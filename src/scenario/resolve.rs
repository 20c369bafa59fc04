//! Validation and resolution: raw manifests -> [`Scenario`]. Every error is collected, each
//! with `file:line:col: field.path: message`; nothing is built when any error was found.

use super::documents::{self, LoadError, Located};
use super::model::KubeletTimings;
use super::model::{JobManifest, OutputOptions, Scenario};
use super::raw::{self, Manifest, Spanned, abs_position};
use crate::api::affinity::{FIELD_NODE_NAME, NodeAffinity, NodeSelectorTerm, PreferredTerm};
use crate::api::disruption::{IntOrPercent, PodDisruptionBudget};
use crate::api::duration::parse_duration_ms;
use crate::api::meta::{ObjectMeta, OwnerReference, Uid};
use crate::api::node::{LABEL_HOSTNAME, LABEL_POOL, LABEL_ZONE};
use crate::api::pod::{
    Behaviour, Container, DEFAULT_SCHEDULER, Pod, PodSpec, PodStatus, PreemptionPolicy,
    RestartPolicy,
};
use crate::api::pod_affinity::{
    InclusionPolicy, PodAffinity, PodAffinityTerm, PodAffinityTerms, TopologySpreadConstraint,
    WeightedPodAffinityTerm, WhenUnsatisfiable,
};
use crate::api::quantity::Quantity;
use crate::api::scheduler_config::{
    BalancedAllocationArgs, ExtensionPoint, FitArgs, PluginArgs, PluginRef, PluginSet,
    ProfileConfig, ResourceWeight, SchedulerConfig, ScoringStrategyType,
};
use crate::api::selector::{
    LabelSelector, Operator, Requirement, validate_label_key, validate_label_value,
};
use crate::api::service::Service;
use crate::api::taint::{Taint, TaintEffect, Toleration, TolerationOperator};
use crate::api::{ContainerImage, Distribution, JobSpec, Labels, Node, PriorityClass, Resources};
use crate::engine::SimTime;
use crate::workload::{
    ArrivalStream, ArrivalTemplate, QuantityDraw, RequestDraws, Source, read_csv_trace,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod storage;

/// The largest node pool a scenario may declare (a guard against a typo that would exhaust
/// memory; a million nodes is far beyond any real cluster).
const MAX_POOL_NODES: i64 = 1_000_000;

/// Annotation that removes a pod's scheduling gates this long after it is created.
pub const ANNOTATION_UNGATE_AFTER: &str = "kubesim.io/ungate-after";

/// Where a document is: its file and first line.
#[derive(Clone, Copy)]
struct Doc<'a> {
    file: &'a Path,
    line: u32,
}

#[derive(Default)]
struct Resolver {
    errors: Vec<LoadError>,
    warnings: Vec<String>,
    classes: BTreeMap<String, PriorityClass>,
    profiles: BTreeSet<String>,
    node_names: BTreeSet<String>,
    namespaces: Vec<String>,
    namespace_labels: BTreeMap<String, Labels>,
    pdbs: Vec<PodDisruptionBudget>,
    services: Vec<Service>,
}

impl Resolver {
    fn at<T>(&mut self, d: Doc, leaf: &Spanned<T>, path: &str, msg: impl Into<String>) {
        let (line, col) = abs_position(d.line, leaf);
        self.errors
            .push(LoadError::at(d.file, line, col, path, msg));
    }
    fn doc(&mut self, d: Doc, path: &str, msg: impl Into<String>) {
        self.errors
            .push(LoadError::at(d.file, d.line, 0, path, msg));
    }
    fn warn(&mut self, d: Doc, msg: impl AsRef<str>) {
        self.warnings
            .push(format!("{}:{}: {}", d.file.display(), d.line, msg.as_ref()));
    }
}

/// Loads and validates a scenario from files and directories.
pub fn load_scenario(paths: &[PathBuf]) -> Result<Scenario, Vec<LoadError>> {
    load_scenario_checked(paths, &|_| Ok(Vec::new()))
}

/// Checks a scheduler configuration beyond its syntax (plugin names, extension points):
/// `Ok(warnings)` or `Err(errors)`. The scheduler supplies it; this module cannot build one.
pub type SchedulerCheck<'a> = &'a dyn Fn(&SchedulerConfig) -> Result<Vec<String>, Vec<String>>;

/// [`load_scenario`], also running `check` on the scheduler configuration and reporting what
/// it finds at the KubeSchedulerConfiguration document.
pub fn load_scenario_checked(
    paths: &[PathBuf],
    check: SchedulerCheck<'_>,
) -> Result<Scenario, Vec<LoadError>> {
    let outcome = documents::load(paths);
    let mut r = Resolver {
        errors: outcome.errors,
        warnings: outcome.warnings,
        ..Default::default()
    };
    let manifests = outcome.manifests;
    let doc = |m: &Located<Manifest>| -> (PathBuf, u32) { (m.file.clone(), m.line) };

    // The Simulation document: exactly one.
    let mut sim: Option<(&raw::Simulation, (PathBuf, u32))> = None;
    for m in &manifests {
        if let Manifest::Simulation(s) = &m.value {
            match &sim {
                None => sim = Some((s, doc(m))),
                Some((_, (f, l))) => {
                    let msg = format!(
                        "a second Simulation document; the first is at {}:{l}",
                        f.display()
                    );
                    r.doc(
                        Doc {
                            file: &m.file,
                            line: m.line,
                        },
                        "",
                        msg,
                    );
                }
            }
        }
    }
    // The scheduler configuration: at most one.
    let mut scheduler = SchedulerConfig::default();
    let mut sched_doc: Option<(PathBuf, u32)> = None;
    for m in &manifests {
        if let Manifest::KubeSchedulerConfiguration(k) = &m.value {
            let d = Doc {
                file: &m.file,
                line: m.line,
            };
            if let Some((f, l)) = &sched_doc {
                let msg = format!(
                    "a second KubeSchedulerConfiguration; the first is at {}:{l}",
                    f.display()
                );
                r.doc(d, "", msg);
                continue;
            }
            sched_doc = Some(doc(m));
            scheduler = scheduler_config(&mut r, d, k);
        }
    }
    r.profiles = scheduler
        .profiles
        .iter()
        .map(|p| p.scheduler_name.clone())
        .collect();

    // Cluster-scoped objects.
    for pc in PriorityClass::built_in() {
        r.classes.insert(pc.name.clone(), pc);
    }
    r.namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .map(String::from)
        .to_vec();
    for m in &manifests {
        let d = Doc {
            file: &m.file,
            line: m.line,
        };
        match &m.value {
            Manifest::PriorityClass(pc) => {
                let Some(name) = pc.metadata.name.clone() else {
                    r.doc(d, "metadata.name", "is required");
                    continue;
                };
                if pc.value > 1_000_000_000 {
                    r.doc(
                        d,
                        "value",
                        format!(
                            "must not exceed 1000000000 for user classes, got {}",
                            pc.value
                        ),
                    );
                }
                let policy = match pc.preemption_policy.as_deref() {
                    None | Some("PreemptLowerPriority") => PreemptionPolicy::PreemptLowerPriority,
                    Some("Never") => PreemptionPolicy::Never,
                    Some(o) => {
                        r.doc(
                            d,
                            "preemptionPolicy",
                            format!("expected PreemptLowerPriority or Never, got {o:?}"),
                        );
                        PreemptionPolicy::PreemptLowerPriority
                    }
                };
                if r.classes.contains_key(&name) {
                    let what = if name.starts_with("system-") {
                        "is reserved for the built-in classes"
                    } else {
                        "is defined twice"
                    };
                    r.doc(d, "metadata.name", format!("PriorityClass {name:?} {what}"));
                    continue;
                }
                if pc.global_default && r.classes.values().any(|c| c.global_default) {
                    r.doc(
                        d,
                        "globalDefault",
                        "only one PriorityClass may be the global default",
                    );
                }
                r.classes.insert(
                    name.clone(),
                    PriorityClass {
                        name,
                        value: pc.value,
                        global_default: pc.global_default,
                        preemption_policy: policy,
                    },
                );
            }
            Manifest::Service(svc) => {
                let Some(name) = svc.metadata.name.clone() else {
                    r.doc(d, "metadata.name", "is required");
                    continue;
                };
                let namespace = namespace(&mut r, d, svc.metadata.namespace.as_ref());
                check_labels(&mut r, d, "spec.selector", &svc.spec.selector);
                r.services.push(Service {
                    name,
                    namespace,
                    selector: svc.spec.selector.clone(),
                });
            }
            Manifest::PodDisruptionBudget(p) => {
                if let Some(b) = disruption_budget(&mut r, d, p) {
                    r.pdbs.push(b);
                }
            }
            Manifest::Namespace(ns) => match &ns.metadata.name {
                Some(n) => {
                    if !r.namespaces.contains(n) {
                        r.namespaces.push(n.clone());
                    }
                    check_labels(&mut r, d, "metadata.labels", &ns.metadata.labels);
                    r.namespace_labels
                        .insert(n.clone(), ns.metadata.labels.clone());
                }
                None => r.doc(d, "metadata.name", "is required"),
            },
            _ => {}
        }
    }

    let Some((sim, (sim_file, sim_line))) = sim else {
        let file = paths.first().cloned().unwrap_or_default();
        r.errors.push(LoadError::in_file(
            &file,
            "no Simulation document (apiVersion: kubesim.io/v1alpha1, kind: Simulation) found",
        ));
        return Err(r.errors);
    };
    let sd = Doc {
        file: &sim_file,
        line: sim_line,
    };
    let spec = &sim.spec;

    // Nodes: pools first, then Node manifests.
    let mut nodes = Vec::new();
    for (pi, pool) in spec.cluster.node_pools.iter().enumerate() {
        let path = format!("spec.cluster.nodePools[{pi}]");
        if pool.count.value < 0 {
            r.at(
                sd,
                &pool.count,
                &format!("{path}.count"),
                format!("must not be negative, got {}", pool.count.value),
            );
            continue;
        }
        if pool.count.value > MAX_POOL_NODES {
            r.at(
                sd,
                &pool.count,
                &format!("{path}.count"),
                format!(
                    "at most {MAX_POOL_NODES} nodes per pool, got {}",
                    pool.count.value
                ),
            );
            continue;
        }
        let template = raw::Node {
            metadata: pool.template.metadata.clone(),
            spec: pool.template.spec.clone(),
            status: pool.template.status.clone(),
        };
        let errors_before = r.errors.len();
        for i in 1..=pool.count.value {
            if r.errors.len() > errors_before {
                // The template is invalid: report it once, not once per node.
                break;
            }
            let name = format!("{}-{i}", pool.name);
            let mut extra = Labels::new();
            extra.insert(LABEL_POOL.into(), pool.name.clone());
            extra.insert(LABEL_HOSTNAME.into(), name.clone());
            if !pool.zones.is_empty() {
                extra.insert(
                    LABEL_ZONE.into(),
                    pool.zones[((i - 1) as usize) % pool.zones.len()].clone(),
                );
            }
            if let Some(n) = node(
                &mut r,
                sd,
                &format!("{path}.template"),
                &template,
                name,
                extra,
                Some(pool.name.clone()),
            ) {
                nodes.push(n);
            }
        }
    }
    for m in &manifests {
        if let Manifest::Node(n) = &m.value {
            let d = Doc {
                file: &m.file,
                line: m.line,
            };
            let Some(name) = n.metadata.name.clone() else {
                r.doc(d, "metadata.name", "is required");
                continue;
            };
            let mut extra = Labels::new();
            extra.insert(LABEL_HOSTNAME.into(), name.clone());
            if let Some(node) = node(&mut r, d, "", n, name, extra, None) {
                nodes.push(node);
            }
        }
    }
    for n in &nodes {
        if !r.node_names.insert(n.meta.name.clone()) {
            r.doc(sd, "", format!("duplicate node name {:?}", n.meta.name));
        }
    }

    // Storage: classes, volumes, claims.
    let storage_classes = storage::storage_classes(&mut r, &manifests);
    let volumes = storage::volumes(&mut r, &manifests);
    let claims = storage::claims(&mut r, &manifests, &storage_classes, &volumes);

    // Pods and Jobs given as manifests.
    let mut pods = Vec::new();
    let mut jobs = Vec::new();
    let mut pod_keys = BTreeSet::new();
    for m in &manifests {
        let d = Doc {
            file: &m.file,
            line: m.line,
        };
        match &m.value {
            Manifest::Pod(p) => {
                let Some((meta, spec)) = pod(&mut r, d, &p.metadata, &p.spec, "", false) else {
                    continue;
                };
                if !pod_keys.insert((meta.namespace.clone(), meta.name.clone())) {
                    r.doc(
                        d,
                        "metadata.name",
                        format!("duplicate pod {}/{}", meta.namespace, meta.name),
                    );
                }
                pods.push(Pod {
                    meta,
                    spec: Arc::new(spec),
                    status: PodStatus::default(),
                });
            }
            Manifest::Job(j) => {
                if let Some(job) = job(&mut r, d, j) {
                    jobs.push(job);
                }
            }
            _ => {}
        }
    }

    // The Simulation's own fields.
    let duration = match parse_duration_ms(&spec.duration.value) {
        Ok(ms) if ms > 0 => ms,
        Ok(_) => {
            r.at(sd, &spec.duration, "spec.duration", "must be positive");
            1
        }
        Err(e) => {
            r.at(sd, &spec.duration, "spec.duration", e.to_string());
            1
        }
    };
    let mut timings = KubeletTimings::default();
    for (key, value) in &spec.timings {
        let path = format!("spec.timings.{key}");
        let slot = match key.as_str() {
            "podStartup" => &mut timings.pod_startup,
            "imagePull" => &mut timings.image_pull,
            "hpaSyncPeriod" | "nodeMonitorGracePeriod" => {
                r.warn(sd, format!("{path} is not modelled yet; ignored"));
                continue;
            }
            _ => {
                r.at(
                    sd,
                    value,
                    &path,
                    "unknown timing; expected podStartup or imagePull",
                );
                continue;
            }
        };
        match Distribution::parse(&value.value) {
            Ok(dist) => *slot = dist,
            Err(e) => r.at(sd, value, &path, e.to_string()),
        }
    }
    for (present, field) in [
        (spec.traffic.is_some(), "traffic"),
        (spec.timeline.is_some(), "timeline"),
        (spec.faults.is_some(), "faults"),
    ] {
        if present {
            r.warn(sd, format!("spec.{field} is not modelled yet; ignored"));
        }
    }
    let mut output = OutputOptions {
        plots: spec.output.plots.unwrap_or(false),
        explain: spec.output.explain.unwrap_or(false),
        ..Default::default()
    };
    if let Some(iv) = &spec.output.metrics_interval {
        match parse_duration_ms(&iv.value) {
            Ok(ms) if ms > 0 => output.metrics_interval_ms = ms,
            Ok(_) => r.at(sd, iv, "spec.output.metricsInterval", "must be positive"),
            Err(e) => r.at(sd, iv, "spec.output.metricsInterval", e.to_string()),
        }
    }
    let mut arrivals = Vec::new();
    for (i, a) in spec.arrivals.iter().enumerate() {
        if let Some(src) = arrival(&mut r, sd, i, a) {
            arrivals.push(src);
        }
    }
    let name = match &sim.metadata.name {
        Some(n) if !n.is_empty() => n.clone(),
        _ => {
            r.doc(sd, "metadata.name", "is required");
            String::new()
        }
    };

    // Plugin names and extension points, checked by the scheduler itself.
    let (f, l) = sched_doc.clone().unwrap_or((sim_file.clone(), sim_line));
    match check(&scheduler) {
        Ok(warnings) => {
            let d = Doc { file: &f, line: l };
            for w in warnings {
                r.warn(d, w);
            }
        }
        Err(errs) => {
            for e in errs {
                r.errors.push(LoadError::at(&f, l, 0, "", e));
            }
        }
    }
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    Ok(Scenario {
        name,
        description: sim
            .metadata
            .annotations
            .get("kubesim.io/description")
            .cloned()
            .unwrap_or_default(),
        seed: spec.seed.unwrap_or(1),
        duration: SimTime(duration),
        nodes,
        pods,
        jobs,
        storage_classes,
        volumes,
        claims,
        priority_classes: r.classes.values().cloned().collect(),
        namespaces: r.namespaces,
        namespace_labels: r.namespace_labels,
        pdbs: r.pdbs,
        services: r.services,
        scheduler,
        timings,
        arrivals,
        output,
        warnings: r.warnings,
    })
}

fn quantity(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    name: &str,
    q: &Spanned<raw::QuantityText>,
) -> Option<i64> {
    let parsed = match Quantity::parse(q.value.as_str()) {
        Ok(v) => v,
        Err(e) => {
            r.at(d, q, path, e.to_string());
            return None;
        }
    };
    let v = if name == "cpu" {
        parsed.as_milli_i64()
    } else {
        parsed.as_units_i64()
    };
    match v {
        Some(v) if v >= 0 => Some(v),
        _ => {
            r.at(
                d,
                q,
                path,
                format!(
                    "must be a non-negative quantity that fits 64 bits, got {:?}",
                    q.value.as_str()
                ),
            );
            None
        }
    }
}

fn resources(r: &mut Resolver, d: Doc, path: &str, qs: &raw::Quantities) -> Resources {
    let mut out = Resources::default();
    for (name, q) in qs {
        if let Some(v) = quantity(r, d, &format!("{path}.{name}"), name, q) {
            out.set(name, v);
        }
    }
    out
}

fn node(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    n: &raw::Node,
    name: String,
    extra: Labels,
    pool: Option<String>,
) -> Option<Node> {
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    };
    let capacity = resources(
        r,
        d,
        &format!("{prefix}status.capacity"),
        &n.status.capacity,
    );
    let mut allocatable = capacity.clone();
    if !n.status.allocatable.is_empty() {
        let given = resources(
            r,
            d,
            &format!("{prefix}status.allocatable"),
            &n.status.allocatable,
        );
        for k in n.status.allocatable.keys() {
            allocatable.set(k, given.get(k));
        }
    }
    if allocatable.pods == 0
        && !n.status.capacity.contains_key("pods")
        && !n.status.allocatable.contains_key("pods")
    {
        allocatable.pods = 110;
    }
    let mut taints = Vec::new();
    for (i, t) in n.spec.taints.iter().enumerate() {
        match TaintEffect::parse(&t.effect) {
            Some(effect) => taints.push(Taint {
                key: t.key.clone(),
                value: t.value.clone().unwrap_or_default(),
                effect,
            }),
            None => r.doc(
                d,
                &format!("{prefix}spec.taints[{i}].effect"),
                format!(
                    "expected NoSchedule, PreferNoSchedule or NoExecute, got {:?}",
                    t.effect
                ),
            ),
        }
    }
    let mut labels = n.metadata.labels.clone();
    labels.extend(extra);
    check_labels(r, d, &format!("{prefix}metadata.labels"), &labels);
    Some(Node {
        meta: ObjectMeta {
            name,
            namespace: String::new(),
            labels: Arc::new(labels),
            annotations: Arc::new(n.metadata.annotations.clone()),
            ..ObjectMeta::default()
        },
        capacity: if capacity.pods == 0 {
            Resources {
                pods: allocatable.pods,
                ..capacity
            }
        } else {
            capacity
        },
        allocatable,
        taints,
        unschedulable: n.spec.unschedulable,
        images: n
            .status
            .images
            .iter()
            .map(|i| ContainerImage {
                names: i.names.clone(),
                size_bytes: i.size_bytes.unwrap_or(0),
            })
            .collect(),
        pool,
    })
}

fn check_labels(r: &mut Resolver, d: Doc, path: &str, labels: &Labels) {
    for (k, v) in labels {
        if let Err(e) = validate_label_key(k) {
            r.doc(d, &format!("{path}.{k}"), e);
        }
        if let Err(e) = validate_label_value(v) {
            r.doc(d, &format!("{path}.{k}"), e);
        }
    }
}

fn namespace(r: &mut Resolver, d: Doc, ns: Option<&String>) -> String {
    let ns = ns.cloned().unwrap_or_else(|| "default".into());
    if !r.namespaces.contains(&ns) {
        r.warn(
            d,
            format!("namespace {ns:?} is not declared; created implicitly"),
        );
        r.namespaces.push(ns.clone());
    }
    ns
}

/// `path` is the field path of the metadata (`metadata`, `spec.template.metadata`, ...).
fn meta(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    m: &raw::ObjectMeta,
    index: u64,
) -> Option<ObjectMeta> {
    let name = match (&m.name, &m.generate_name) {
        (Some(n), _) if !n.is_empty() => n.clone(),
        (_, Some(g)) => format!("{g}{index}"),
        _ => {
            r.doc(d, &format!("{path}.name"), "is required");
            return None;
        }
    };
    check_labels(r, d, &format!("{path}.labels"), &m.labels);
    let owner_references = owner_references(r, d, &format!("{path}.ownerReferences"), m);
    Some(ObjectMeta {
        name,
        namespace: namespace(r, d, m.namespace.as_ref()),
        uid: m
            .uid
            .as_deref()
            .map_or(Uid::Unset, |u| Uid::Given(u.into())),
        labels: Arc::new(m.labels.clone()),
        annotations: Arc::new(m.annotations.clone()),
        owner_references,
    })
}

/// `metadata.ownerReferences`, checked as the API server does
/// (`ValidateOwnerReferences` in `apimachinery/pkg/api/validation/objectmeta.go`): apiVersion,
/// kind, name and uid are required, and at most one reference is the controller.
fn owner_references(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    m: &raw::ObjectMeta,
) -> Arc<[OwnerReference]> {
    let mut refs = Vec::with_capacity(m.owner_references.len());
    for (i, o) in m.owner_references.iter().enumerate() {
        for (field, value) in [
            ("apiVersion", &o.api_version),
            ("kind", &o.kind),
            ("name", &o.name),
            ("uid", &o.uid),
        ] {
            if value.is_empty() {
                r.doc(d, &format!("{path}[{i}].{field}"), "must not be empty");
            }
        }
        refs.push(OwnerReference {
            api_version: o.api_version.as_str().into(),
            kind: o.kind.as_str().into(),
            name: o.name.as_str().into(),
            uid: Uid::Given(o.uid.as_str().into()),
            controller: o.controller == Some(true),
            block_owner_deletion: o.block_owner_deletion == Some(true),
        });
    }
    let controllers: Vec<String> = refs
        .iter()
        .filter(|o| o.controller)
        .map(|o| o.to_string())
        .collect();
    if controllers.len() > 1 {
        let msg = format!(
            "only one reference can have controller set to true, found {}: {}",
            controllers.len(),
            controllers.join(", ")
        );
        r.doc(d, path, msg);
    }
    refs.into()
}

fn container(r: &mut Resolver, d: Doc, path: &str, c: &raw::Container, init: bool) -> Container {
    let (given, limit_qs) = (&c.resources.requests, &c.resources.limits);
    let mut requests = resources(r, d, &format!("{path}.resources.requests"), given);
    // Limits are checked at their own path; a request left out defaults to its limit.
    let limits = resources(r, d, &format!("{path}.resources.limits"), limit_qs);
    for name in limit_qs.keys().filter(|n| !given.contains_key(*n)) {
        requests.set(name, limits.get(name));
    }
    let set = |name: &str| given.contains_key(name) || limit_qs.contains_key(name);
    if c.image.as_deref().unwrap_or("").is_empty() {
        r.doc(d, &format!("{path}.image"), "is required");
    }
    Container {
        name: Arc::from(c.name.as_str()),
        image: Arc::from(c.image.as_deref().unwrap_or_default()),
        cpu_request_set: set("cpu"),
        memory_request_set: set("memory"),
        requests,
        sidecar: init && c.restart_policy.as_deref() == Some("Always"),
    }
}

/// A `metav1.LabelSelector`; errors name the offending requirement.
fn label_selector(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    sel: &raw::LabelSelector,
) -> Option<LabelSelector> {
    check_labels(r, d, &format!("{path}.matchLabels"), &sel.match_labels);
    let mut ok = true;
    let mut exprs = Vec::new();
    for (i, e) in sel.match_expressions.iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        match Operator::parse(&e.operator.value) {
            Ok(Operator::Gt | Operator::Lt) | Err(_) => {
                r.at(
                    d,
                    &e.operator,
                    &format!("{p}.operator"),
                    format!(
                        "expected one of In, NotIn, Exists, DoesNotExist, got {:?}",
                        e.operator.value
                    ),
                );
                ok = false;
            }
            Ok(op) => match Requirement::new(&e.key, op, e.values.clone()) {
                Ok(_) => exprs.push((e.key.clone(), e.operator.value.clone(), e.values.clone())),
                Err(err) => {
                    r.doc(d, &p, err.to_string());
                    ok = false;
                }
            },
        }
    }
    if !ok {
        return None;
    }
    match LabelSelector::from_parts(&sel.match_labels, &exprs) {
        Ok(s) => Some(s),
        Err(e) => {
            r.doc(d, path, e.to_string());
            None
        }
    }
}

/// A count (at least 0) or a percentage `"N%"` (0-100).
fn int_or_percent(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    v: &Spanned<raw::IntOrString>,
) -> Option<IntOrPercent> {
    let bad = |r: &mut Resolver, msg: String| {
        r.at(d, v, path, msg);
        None
    };
    match &v.value {
        raw::IntOrString::Int(n) if *n >= 0 => Some(IntOrPercent::Int(*n)),
        raw::IntOrString::Int(n) => bad(r, format!("must not be negative, got {n}")),
        raw::IntOrString::String(t) => match t.strip_suffix('%').map(str::parse::<i64>) {
            Some(Ok(p)) if (0..=100).contains(&p) => Some(IntOrPercent::Percent(p)),
            _ => bad(
                r,
                format!("expected a count or a percentage such as \"50%\", got {t:?}"),
            ),
        },
    }
}

fn disruption_budget(
    r: &mut Resolver,
    d: Doc,
    p: &raw::PodDisruptionBudget,
) -> Option<PodDisruptionBudget> {
    let Some(name) = p.metadata.name.clone() else {
        r.doc(d, "metadata.name", "is required");
        return None;
    };
    let namespace = namespace(r, d, p.metadata.namespace.as_ref());
    let min = p
        .spec
        .min_available
        .as_ref()
        .and_then(|v| int_or_percent(r, d, "spec.minAvailable", v));
    let max = p
        .spec
        .max_unavailable
        .as_ref()
        .and_then(|v| int_or_percent(r, d, "spec.maxUnavailable", v));
    if p.spec.min_available.is_some() == p.spec.max_unavailable.is_some() {
        r.doc(
            d,
            "spec",
            "exactly one of minAvailable and maxUnavailable must be set",
        );
        return None;
    }
    let selector = p
        .spec
        .selector
        .as_ref()
        .and_then(|s| label_selector(r, d, "spec.selector", s));
    Some(PodDisruptionBudget {
        name,
        namespace,
        selector,
        min_available: min,
        max_unavailable: max,
    })
}

/// `Honor` or `Ignore`, defaulting to `default`.
fn inclusion_policy(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    v: &Option<Spanned<String>>,
    default: InclusionPolicy,
) -> InclusionPolicy {
    match v.as_ref().map(|s| (s, s.value.as_str())) {
        None => default,
        Some((_, "Honor")) => InclusionPolicy::Honor,
        Some((_, "Ignore")) => InclusionPolicy::Ignore,
        Some((leaf, other)) => {
            r.at(
                d,
                leaf,
                path,
                format!("expected Honor or Ignore, got {other:?}"),
            );
            default
        }
    }
}

fn spread_constraint(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    c: &raw::TopologySpreadConstraint,
) -> Option<TopologySpreadConstraint> {
    let errors = r.errors.len();
    if c.max_skew.value < 1 {
        r.at(
            d,
            &c.max_skew,
            &format!("{path}.maxSkew"),
            format!("must be at least 1, got {}", c.max_skew.value),
        );
    }
    if c.topology_key.value.is_empty() {
        r.at(
            d,
            &c.topology_key,
            &format!("{path}.topologyKey"),
            "must not be empty",
        );
    } else if let Err(e) = validate_label_key(&c.topology_key.value) {
        r.at(d, &c.topology_key, &format!("{path}.topologyKey"), e);
    }
    let when = match c.when_unsatisfiable.value.as_str() {
        "DoNotSchedule" => WhenUnsatisfiable::DoNotSchedule,
        "ScheduleAnyway" => WhenUnsatisfiable::ScheduleAnyway,
        other => {
            r.at(
                d,
                &c.when_unsatisfiable,
                &format!("{path}.whenUnsatisfiable"),
                format!("expected DoNotSchedule or ScheduleAnyway, got {other:?}"),
            );
            WhenUnsatisfiable::DoNotSchedule
        }
    };
    if let Some(m) = &c.min_domains {
        if m.value < 1 {
            r.at(
                d,
                m,
                &format!("{path}.minDomains"),
                format!("must be at least 1, got {}", m.value),
            );
        } else if when != WhenUnsatisfiable::DoNotSchedule {
            r.at(
                d,
                m,
                &format!("{path}.minDomains"),
                "may only be set with whenUnsatisfiable: DoNotSchedule",
            );
        }
    }
    let label_selector = c
        .label_selector
        .as_ref()
        .and_then(|s| label_selector(r, d, &format!("{path}.labelSelector"), s));
    for (i, k) in c.match_label_keys.iter().enumerate() {
        let p = format!("{path}.matchLabelKeys[{i}]");
        if let Err(e) = validate_label_key(k) {
            r.doc(d, &p, e);
        }
        if c.label_selector.as_ref().is_some_and(|s| {
            s.match_labels.contains_key(k) || s.match_expressions.iter().any(|e| &e.key == k)
        }) {
            r.doc(
                d,
                &p,
                format!("{k:?} must not also be a key of labelSelector"),
            );
        }
    }
    let node_affinity_policy = inclusion_policy(
        r,
        d,
        &format!("{path}.nodeAffinityPolicy"),
        &c.node_affinity_policy,
        InclusionPolicy::Honor,
    );
    let node_taints_policy = inclusion_policy(
        r,
        d,
        &format!("{path}.nodeTaintsPolicy"),
        &c.node_taints_policy,
        InclusionPolicy::Ignore,
    );
    (r.errors.len() == errors).then(|| TopologySpreadConstraint {
        max_skew: c.max_skew.value,
        topology_key: c.topology_key.value.clone(),
        when_unsatisfiable: when,
        label_selector,
        min_domains: c.min_domains.as_ref().map(|m| m.value),
        node_affinity_policy,
        node_taints_policy,
        match_label_keys: c.match_label_keys.clone(),
    })
}

fn pod_affinity_term(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    t: &raw::PodAffinityTerm,
) -> PodAffinityTerm {
    if t.topology_key.value.is_empty() {
        r.at(
            d,
            &t.topology_key,
            &format!("{path}.topologyKey"),
            "must not be empty",
        );
    } else if let Err(e) = validate_label_key(&t.topology_key.value) {
        r.at(d, &t.topology_key, &format!("{path}.topologyKey"), e);
    }
    PodAffinityTerm {
        label_selector: t
            .label_selector
            .as_ref()
            .and_then(|s| label_selector(r, d, &format!("{path}.labelSelector"), s)),
        namespaces: t.namespaces.clone(),
        namespace_selector: t
            .namespace_selector
            .as_ref()
            .and_then(|s| label_selector(r, d, &format!("{path}.namespaceSelector"), s)),
        topology_key: t.topology_key.value.clone(),
    }
}

fn pod_affinity_terms(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    a: &raw::PodAffinity,
) -> PodAffinityTerms {
    let required = a
        .required_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = format!("{path}.requiredDuringSchedulingIgnoredDuringExecution[{i}]");
            pod_affinity_term(r, d, &p, t)
        })
        .collect();
    let preferred = a
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let p = format!("{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            if !(1..=100).contains(&w.weight.value) {
                r.at(
                    d,
                    &w.weight,
                    &format!("{p}.weight"),
                    format!("must be between 1 and 100, got {}", w.weight.value),
                );
            }
            WeightedPodAffinityTerm {
                weight: w.weight.value,
                term: pod_affinity_term(
                    r,
                    d,
                    &format!("{p}.podAffinityTerm"),
                    &w.pod_affinity_term,
                ),
            }
        })
        .collect();
    PodAffinityTerms {
        required,
        preferred,
    }
}

fn term(r: &mut Resolver, d: Doc, path: &str, t: &raw::NodeSelectorTerm) -> NodeSelectorTerm {
    let mut out = NodeSelectorTerm::default();
    for (field, list, is_fields) in [
        ("matchExpressions", &t.match_expressions, false),
        ("matchFields", &t.match_fields, true),
    ] {
        for (i, e) in list.iter().enumerate() {
            let p = format!("{path}.{field}[{i}]");
            let op = match Operator::parse(&e.operator.value) {
                Ok(op) => op,
                Err(err) => {
                    r.at(d, &e.operator, &format!("{p}.operator"), err.to_string());
                    continue;
                }
            };
            if is_fields
                && (e.key != FIELD_NODE_NAME || !matches!(op, Operator::In | Operator::NotIn))
            {
                r.doc(
                    d,
                    &p,
                    "matchFields supports only metadata.name with In or NotIn",
                );
                continue;
            }
            match Requirement::new(&e.key, op, e.values.clone()) {
                Ok(req) if is_fields => out.match_fields.push(req),
                Ok(req) => out.match_expressions.push(req),
                Err(err) => r.doc(d, &p, err.to_string()),
            }
        }
    }
    out
}

/// `prefix` is the field path of the object holding `metadata` and `spec`, with a trailing
/// dot (empty for a Pod manifest, `spec.template.` for a Job's pod template, ...).
fn pod(
    r: &mut Resolver,
    d: Doc,
    m: &raw::ObjectMeta,
    s: &raw::PodSpec,
    prefix: &str,
    in_job: bool,
) -> Option<(ObjectMeta, PodSpec)> {
    let meta_path = format!("{prefix}metadata");
    let path = format!("{prefix}spec");
    let path = path.as_str();
    let meta = meta(r, d, &meta_path, m, 1)?;
    let containers: Vec<Container> = s
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| container(r, d, &format!("{path}.containers[{i}]"), c, false))
        .collect();
    let inits: Vec<Container> = s
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| container(r, d, &format!("{path}.initContainers[{i}]"), c, true))
        .collect();
    let overhead = resources(r, d, &format!("{path}.overhead"), &s.overhead);
    check_labels(r, d, &format!("{path}.nodeSelector"), &s.node_selector);
    let mut affinity = None;
    let mut pod_affinity = None;
    if let Some(a) = &s.affinity {
        let terms = |r: &mut Resolver, field: &str, raw: &Option<raw::PodAffinity>| {
            raw.as_ref()
                .map(|pa| pod_affinity_terms(r, d, &format!("{path}.affinity.{field}"), pa))
                .unwrap_or_default()
        };
        let pa = PodAffinity {
            affinity: terms(r, "podAffinity", &a.pod_affinity),
            anti_affinity: terms(r, "podAntiAffinity", &a.pod_anti_affinity),
        };
        if !pa.is_empty() {
            pod_affinity = Some(pa);
        }
        if let Some(na) = &a.node_affinity {
            let required = na.required_during_scheduling_ignored_during_execution.as_ref().map(|ns| {
                ns.node_selector_terms.iter().enumerate().map(|(i, t)| term(r, d, &format!("{path}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}]"), t)).collect()
            });
            let mut preferred = Vec::new();
            for (i, p) in na
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .enumerate()
            {
                let pp = format!(
                    "{path}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
                );
                if !(1..=100).contains(&p.weight.value) {
                    r.at(
                        d,
                        &p.weight,
                        &format!("{pp}.weight"),
                        format!("must be between 1 and 100, got {}", p.weight.value),
                    );
                }
                preferred.push(PreferredTerm {
                    weight: p.weight.value,
                    term: term(r, d, &format!("{pp}.preference"), &p.preference),
                });
            }
            affinity = Some(NodeAffinity {
                required,
                preferred,
            });
        }
    }
    let spread: Vec<TopologySpreadConstraint> = s
        .topology_spread_constraints
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            spread_constraint(r, d, &format!("{path}.topologySpreadConstraints[{i}]"), c)
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (i, c) in spread.iter().enumerate() {
        // Upstream validation: one constraint per (topologyKey, whenUnsatisfiable).
        if !seen.insert((&c.topology_key, c.when_unsatisfiable)) {
            r.doc(
                d,
                &format!("{path}.topologySpreadConstraints[{i}]"),
                format!(
                    "duplicate constraint for topologyKey {:?} and whenUnsatisfiable {:?}",
                    c.topology_key, c.when_unsatisfiable
                ),
            );
        }
    }
    let mut tolerations = Vec::new();
    for (i, t) in s.tolerations.iter().enumerate() {
        let p = format!("{path}.tolerations[{i}]");
        let operator = match t.operator.as_deref() {
            None | Some("Equal") => TolerationOperator::Equal,
            Some("Exists") => TolerationOperator::Exists,
            Some(o) => {
                r.doc(
                    d,
                    &format!("{p}.operator"),
                    format!("expected Equal or Exists, got {o:?}"),
                );
                continue;
            }
        };
        if operator == TolerationOperator::Exists
            && t.value.as_deref().is_some_and(|v| !v.is_empty())
        {
            r.doc(
                d,
                &format!("{p}.value"),
                "must be empty when operator is Exists",
            );
        }
        let effect = match t.effect.as_deref() {
            None | Some("") => None,
            Some(e) => match TaintEffect::parse(e) {
                Some(e) => Some(e),
                None => {
                    r.doc(
                        d,
                        &format!("{p}.effect"),
                        format!("expected NoSchedule, PreferNoSchedule or NoExecute, got {e:?}"),
                    );
                    continue;
                }
            },
        };
        tolerations.push(Toleration {
            key: t.key.clone().unwrap_or_default(),
            operator,
            value: t.value.clone().unwrap_or_default(),
            effect,
            toleration_seconds: t.toleration_seconds,
        });
    }
    let scheduler_name = s
        .scheduler_name
        .clone()
        .unwrap_or_else(|| DEFAULT_SCHEDULER.to_string());
    if !r.profiles.contains(&scheduler_name) {
        let known = r.profiles.iter().cloned().collect::<Vec<_>>().join(", ");
        r.doc(
            d,
            &format!("{path}.schedulerName"),
            format!("no scheduler profile is named {scheduler_name:?}; profiles: {known}"),
        );
    }
    let restart_policy = match s.restart_policy.as_deref() {
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
    };
    let mut spec = PodSpec::new(
        containers,
        inits,
        overhead,
        s.node_selector.clone(),
        affinity,
        tolerations,
        scheduler_name,
        restart_policy,
    );
    spec.pod_affinity = pod_affinity;
    spec.topology_spread_constraints = spread;
    if let Some(n) = &s.node_name {
        if !r.node_names.contains(n) {
            r.doc(
                d,
                &format!("{path}.nodeName"),
                format!("no node is named {n:?}"),
            );
        }
        spec.node_name = Some(n.clone());
    }
    // Priority: explicit value, then the class, then the global default.
    let class = match &s.priority_class_name {
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
    spec.priority_class_name = s.priority_class_name.clone();
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
    if let Some(g) = s.termination_grace_period_seconds {
        spec.termination_grace_ms = g.max(0).saturating_mul(1000);
    }
    spec.scheduling_gates = s.scheduling_gates.iter().map(|g| g.name.clone()).collect();
    if !spec.scheduling_gates.is_empty() && spec.node_name.is_some() {
        r.doc(
            d,
            &format!("{path}.nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        );
    }
    spec.host_ports = storage::host_ports(r, d, path, s);
    spec.volumes = storage::pod_volumes(r, d, path, s);
    spec.behaviour = behaviour(r, d, &meta_path, &meta.annotations);
    if spec.behaviour.ungate_after.is_some() && spec.scheduling_gates.is_empty() {
        r.warn(
            d,
            format!("{meta_path}.annotations.{ANNOTATION_UNGATE_AFTER}: the pod has no schedulingGates; ignored"),
        );
    }
    Some((meta, spec))
}

fn behaviour(
    r: &mut Resolver,
    d: Doc,
    meta_path: &str,
    ann: &BTreeMap<String, String>,
) -> Behaviour {
    let mut b = Behaviour::default();
    let dist = |r: &mut Resolver, key: &str| -> Option<Distribution> {
        let v = ann.get(key)?;
        Distribution::parse(v)
            .map_err(|e| r.doc(d, &format!("{meta_path}.annotations.{key}"), e.to_string()))
            .ok()
    };
    b.duration = dist(r, "kubesim.io/duration");
    b.startup = dist(r, "kubesim.io/startup");
    b.ungate_after = dist(r, ANNOTATION_UNGATE_AFTER);
    if let Some(v) = ann.get("kubesim.io/exit-code") {
        match v.parse::<i32>() {
            Ok(c) => b.exit_code = c,
            Err(_) => r.doc(
                d,
                &format!("{meta_path}.annotations.kubesim.io/exit-code"),
                format!("expected an integer, got {v:?}"),
            ),
        }
    }
    for (key, milli) in [
        ("kubesim.io/cpu-usage", true),
        ("kubesim.io/memory-usage", false),
    ] {
        if let Some(v) = ann.get(key) {
            let q = Quantity::parse(v).ok().and_then(|q| {
                if milli {
                    q.as_milli_i64()
                } else {
                    q.as_units_i64()
                }
            });
            match q {
                Some(x) if x >= 0 => {
                    if milli {
                        b.cpu_usage_m = Some(x)
                    } else {
                        b.memory_usage = Some(x)
                    }
                }
                _ => r.doc(
                    d,
                    &format!("{meta_path}.annotations.{key}"),
                    format!("invalid quantity {v:?}"),
                ),
            }
        }
    }
    b
}

fn job(r: &mut Resolver, d: Doc, j: &raw::Job) -> Option<JobManifest> {
    let meta = meta(r, d, "metadata", &j.metadata, 1)?;
    let js = job_spec(r, d, "", &j.spec, &meta.namespace)?;
    Some(JobManifest { meta, spec: js })
}

/// `prefix`: field path of the Job with a trailing dot (empty for a Job manifest).
fn job_spec(r: &mut Resolver, d: Doc, prefix: &str, s: &raw::JobSpec, ns: &str) -> Option<JobSpec> {
    let mut tmeta = s.template.metadata.clone();
    tmeta.name.get_or_insert_with(|| "template".into());
    tmeta.namespace.get_or_insert_with(|| ns.to_string());
    let (template_meta, spec) = pod(
        r,
        d,
        &tmeta,
        &s.template.spec,
        &format!("{prefix}spec.template."),
        true,
    )?;
    let nonneg = |r: &mut Resolver, v: Option<i32>, field: &str| -> Option<u32> {
        match v {
            Some(x) if x < 0 => {
                r.doc(
                    d,
                    &format!("{prefix}spec.{field}"),
                    format!("must not be negative, got {x}"),
                );
                None
            }
            Some(x) => Some(x as u32),
            None => None,
        }
    };
    let parallelism = nonneg(r, s.parallelism, "parallelism").unwrap_or(1);
    let completions = nonneg(r, s.completions, "completions");
    let completions = if s.completions.is_none() && s.parallelism.is_none() {
        Some(1)
    } else {
        completions
    };
    Some(JobSpec {
        parallelism,
        completions,
        backoff_limit: nonneg(r, s.backoff_limit, "backoffLimit").unwrap_or(6),
        active_deadline_ms: match s.active_deadline_seconds {
            Some(x) if x <= 0 => {
                r.doc(
                    d,
                    &format!("{prefix}spec.activeDeadlineSeconds"),
                    format!("must be positive, got {x}"),
                );
                None
            }
            other => other.map(|x| x.saturating_mul(1000)),
        },
        template_meta,
        template: Arc::new(spec),
    })
}

fn arrival(r: &mut Resolver, sd: Doc, i: usize, a: &raw::Arrival) -> Option<Source> {
    let path = format!("spec.arrivals[{i}]");
    match (&a.template, &a.trace) {
        (Some(_), Some(_)) | (None, None) => {
            r.doc(
                sd,
                &path,
                "give either template (with count and every) or trace",
            );
            None
        }
        (None, Some(t)) => {
            if t.format.value != "csv" {
                r.at(
                    sd,
                    &t.format,
                    &format!("{path}.trace.format"),
                    format!("expected csv, got {:?}", t.format.value),
                );
                return None;
            }
            let base_dir = sd.file.parent().unwrap_or(Path::new("."));
            let file = base_dir.join(&t.path.value);
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    r.at(
                        sd,
                        &t.path,
                        &format!("{path}.trace.path"),
                        format!("cannot read {}: {e}", file.display()),
                    );
                    return None;
                }
            };
            let rows = match read_csv_trace(&text) {
                Ok(rows) => rows,
                Err(e) => {
                    r.errors.push(LoadError::in_file(&file, e));
                    return None;
                }
            };
            for row in &rows {
                if let Some(ns) = &row.namespace
                    && !r.namespaces.contains(ns)
                {
                    r.namespaces.push(ns.clone());
                }
            }
            let c = Container {
                name: "main".into(),
                image: "kubesim.io/trace-task".into(),
                requests: Resources::default(),
                cpu_request_set: true,
                memory_request_set: true,
                sidecar: false,
            };
            let mut base = PodSpec::new(
                vec![c],
                vec![],
                Resources::default(),
                Labels::new(),
                None,
                vec![],
                DEFAULT_SCHEDULER,
                RestartPolicy::Never,
            );
            base.priority = r
                .classes
                .values()
                .find(|c| c.global_default)
                .map_or(0, |c| c.value);
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("trace-{i}"));
            Some(Source::Trace {
                name,
                rows: Arc::new(rows),
                base: Arc::new(base),
            })
        }
        (Some(tref), None) => {
            let located;
            // Field paths: from the Simulation for inline templates, from the template's own
            // document for templates in a file (where the error's location is).
            let prefix = match tref {
                raw::TemplateRef::Inline(_) => format!("{path}.template."),
                raw::TemplateRef::Path(_) => String::new(),
            };
            let (manifest, d) = match tref {
                raw::TemplateRef::Inline(m) => (m.as_ref(), sd),
                raw::TemplateRef::Path(rel) => match documents::load_template(sd.file, rel) {
                    Ok(l) => {
                        located = l;
                        (
                            &located.value,
                            Doc {
                                file: &located.file,
                                line: located.line,
                            },
                        )
                    }
                    Err(e) => {
                        r.errors.extend(e);
                        return None;
                    }
                },
            };
            let count = match &a.count {
                Some(c) if c.value < 0 => {
                    r.at(
                        sd,
                        c,
                        &format!("{path}.count"),
                        format!("must not be negative, got {}", c.value),
                    );
                    return None;
                }
                Some(c) => c.value as u64,
                None => {
                    r.doc(sd, &format!("{path}.count"), "is required with a template");
                    return None;
                }
            };
            let every = match &a.every {
                Some(e) => match Distribution::parse(&e.value) {
                    Ok(dist) => dist,
                    Err(err) => {
                        r.at(sd, e, &format!("{path}.every"), err.to_string());
                        return None;
                    }
                },
                None => {
                    r.doc(sd, &format!("{path}.every"), "is required with a template");
                    return None;
                }
            };
            let start = match &a.start {
                Some(s) => match parse_duration_ms(&s.value) {
                    Ok(ms) if ms >= 0 => SimTime(ms),
                    Ok(_) => {
                        r.at(sd, s, &format!("{path}.start"), "must not be negative");
                        SimTime::ZERO
                    }
                    Err(e) => {
                        r.at(sd, s, &format!("{path}.start"), e.to_string());
                        SimTime::ZERO
                    }
                },
                None => SimTime::ZERO,
            };
            let mut draws = RequestDraws::default();
            let mut any = false;
            for (key, v) in a.requests.iter().flatten() {
                let slot = match key.as_str() {
                    "cpu" => &mut draws.cpu,
                    "memory" => &mut draws.memory,
                    "memoryPerCpu" => &mut draws.memory_per_cpu,
                    _ => {
                        r.at(
                            sd,
                            v,
                            &format!("{path}.requests.{key}"),
                            "unknown key; expected cpu, memory or memoryPerCpu",
                        );
                        continue;
                    }
                };
                match QuantityDraw::parse(&v.value) {
                    Ok(q) => {
                        *slot = Some(q);
                        any = true;
                    }
                    Err(e) => r.at(sd, v, &format!("{path}.requests.{key}"), e),
                }
            }
            let template = match manifest {
                Manifest::Pod(p) => {
                    let (meta, spec) = pod(r, d, &p.metadata, &p.spec, &prefix, false)?;
                    ArrivalTemplate::Pod {
                        meta,
                        spec: Arc::new(spec),
                    }
                }
                Manifest::Job(j) => {
                    let meta = meta(r, d, &format!("{prefix}metadata"), &j.metadata, 1)?;
                    let spec = job_spec(r, d, &prefix, &j.spec, &meta.namespace)?;
                    ArrivalTemplate::Job { meta, spec }
                }
                other => {
                    r.doc(
                        d,
                        &format!("{path}.template"),
                        format!("must be a Pod or a Job, got {}", other.kind()),
                    );
                    return None;
                }
            };
            let name = a.name.clone().unwrap_or_else(|| match &template {
                ArrivalTemplate::Pod { meta, .. } | ArrivalTemplate::Job { meta, .. } => {
                    meta.name.clone()
                }
            });
            Some(Source::Stream(Box::new(ArrivalStream {
                name,
                template,
                count,
                every,
                start,
                requests: any.then_some(draws),
            })))
        }
    }
}

fn plugin_set(r: &mut Resolver, d: Doc, path: &str, s: &raw::PluginSet) -> PluginSet {
    let refs = |r: &mut Resolver, list: &[raw::PluginRef], what: &str| -> Vec<PluginRef> {
        list.iter()
            .enumerate()
            .map(|(i, p)| {
                let weight = p.weight.as_ref().map_or(0, |w| {
                    if w.value < 0 {
                        r.at(
                            d,
                            w,
                            &format!("{path}.{what}[{i}].weight"),
                            format!("must not be negative, got {}", w.value),
                        );
                    }
                    i64::from(w.value)
                });
                PluginRef {
                    name: p.name.value.clone(),
                    weight,
                }
            })
            .collect()
    };
    PluginSet {
        enabled: refs(r, &s.enabled, "enabled"),
        disabled: refs(r, &s.disabled, "disabled")
            .into_iter()
            .map(|p| p.name)
            .collect(),
    }
}

fn percentage(r: &mut Resolver, d: Doc, path: &str, p: &Option<Spanned<i32>>) -> Option<i32> {
    let p = p.as_ref()?;
    if !(0..=100).contains(&p.value) {
        r.at(
            d,
            p,
            path,
            format!("must be between 0 and 100, got {}", p.value),
        );
        return None;
    }
    (p.value > 0).then_some(p.value)
}

fn resource_weights(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    list: &[raw::ResourceWeight],
) -> Vec<ResourceWeight> {
    list.iter()
        .enumerate()
        .map(|(i, w)| {
            if !(1..=100).contains(&w.weight.value) {
                r.at(
                    d,
                    &w.weight,
                    &format!("{path}[{i}].weight"),
                    format!("must be between 1 and 100, got {}", w.weight.value),
                );
            }
            ResourceWeight {
                name: w.name.clone(),
                weight: w.weight.value,
            }
        })
        .collect()
}

fn scheduler_config(
    r: &mut Resolver,
    d: Doc,
    k: &raw::KubeSchedulerConfiguration,
) -> SchedulerConfig {
    let global = percentage(
        r,
        d,
        "percentageOfNodesToScore",
        &k.percentage_of_nodes_to_score,
    );
    let mut profiles = Vec::new();
    for (pi, p) in k.profiles.iter().enumerate() {
        let path = format!("profiles[{pi}]");
        let mut cfg =
            ProfileConfig::named(p.scheduler_name.as_deref().unwrap_or(DEFAULT_SCHEDULER));
        cfg.percentage_of_nodes_to_score = percentage(
            r,
            d,
            &format!("{path}.percentageOfNodesToScore"),
            &p.percentage_of_nodes_to_score,
        );
        if let Some(pl) = &p.plugins {
            let points = [
                (ExtensionPoint::PreEnqueue, &pl.pre_enqueue, "preEnqueue"),
                (ExtensionPoint::QueueSort, &pl.queue_sort, "queueSort"),
                (ExtensionPoint::PreFilter, &pl.pre_filter, "preFilter"),
                (ExtensionPoint::Filter, &pl.filter, "filter"),
                (ExtensionPoint::PostFilter, &pl.post_filter, "postFilter"),
                (ExtensionPoint::PreScore, &pl.pre_score, "preScore"),
                (ExtensionPoint::Score, &pl.score, "score"),
                (ExtensionPoint::Reserve, &pl.reserve, "reserve"),
                (ExtensionPoint::Permit, &pl.permit, "permit"),
                (ExtensionPoint::PreBind, &pl.pre_bind, "preBind"),
                (ExtensionPoint::Bind, &pl.bind, "bind"),
                (ExtensionPoint::PostBind, &pl.post_bind, "postBind"),
            ];
            for (point, set, name) in points {
                if let Some(s) = set {
                    *cfg.plugins.at_mut(point) =
                        plugin_set(r, d, &format!("{path}.plugins.{name}"), s);
                }
            }
            if let Some(s) = &pl.multi_point {
                cfg.plugins.multi_point =
                    plugin_set(r, d, &format!("{path}.plugins.multiPoint"), s);
            }
        }
        for (ci, pc) in p.plugin_config.iter().enumerate() {
            let cpath = format!("{path}.pluginConfig[{ci}].args");
            let args = &pc.args;
            match pc.name.value.as_str() {
                "NodeResourcesFit" => {
                    let mut fit = FitArgs { ignored_resources: args.ignored_resources.clone(), ignored_resource_groups: args.ignored_resource_groups.clone(), ..FitArgs::default() };
                    if let Some(ss) = &args.scoring_strategy {
                        if let Some(t) = &ss.r#type {
                            fit.strategy = match t.value.as_str() {
                                "LeastAllocated" => ScoringStrategyType::LeastAllocated,
                                "MostAllocated" => ScoringStrategyType::MostAllocated,
                                "RequestedToCapacityRatio" => ScoringStrategyType::RequestedToCapacityRatio,
                                o => {
                                    r.at(d, t, &format!("{cpath}.scoringStrategy.type"), format!("expected LeastAllocated, MostAllocated or RequestedToCapacityRatio, got {o:?}"));
                                    ScoringStrategyType::LeastAllocated
                                }
                            };
                        }
                        if !ss.resources.is_empty() {
                            fit.resources = resource_weights(r, d, &format!("{cpath}.scoringStrategy.resources"), &ss.resources);
                        }
                        if let Some(rtcr) = &ss.requested_to_capacity_ratio {
                            let mut prev = -1;
                            for (i, pt) in rtcr.shape.iter().enumerate() {
                                let sp = format!("{cpath}.scoringStrategy.requestedToCapacityRatio.shape[{i}]");
                                if !(0..=100).contains(&pt.utilization.value) || pt.utilization.value <= prev {
                                    r.at(d, &pt.utilization, &format!("{sp}.utilization"), "must be 0..100 and strictly increasing");
                                }
                                if !(0..=10).contains(&pt.score.value) {
                                    r.at(d, &pt.score, &format!("{sp}.score"), format!("must be between 0 and 10, got {}", pt.score.value));
                                }
                                prev = pt.utilization.value;
                                fit.shape.push((pt.utilization.value, pt.score.value));
                            }
                        }
                    }
                    if fit.strategy == ScoringStrategyType::RequestedToCapacityRatio && fit.shape.is_empty() {
                        r.doc(d, &format!("{cpath}.scoringStrategy.requestedToCapacityRatio.shape"), "RequestedToCapacityRatio needs at least one shape point");
                    }
                    cfg.plugin_args.push(("NodeResourcesFit".into(), PluginArgs::NodeResourcesFit(fit)));
                }
                "NodeResourcesBalancedAllocation" => {
                    let mut b = BalancedAllocationArgs::default();
                    if !args.resources.is_empty() {
                        b.resources = resource_weights(r, d, &format!("{cpath}.resources"), &args.resources);
                    }
                    cfg.plugin_args.push(("NodeResourcesBalancedAllocation".into(), PluginArgs::BalancedAllocation(b)));
                }
                "InterPodAffinity" => {
                    let mut weight = 1;
                    if let Some(w) = &args.hard_pod_affinity_weight {
                        if (0..=100).contains(&w.value) {
                            weight = w.value;
                        } else {
                            r.at(d, w, &format!("{cpath}.hardPodAffinityWeight"), format!("must be between 0 and 100, got {}", w.value));
                        }
                    }
                    cfg.plugin_args.push(("InterPodAffinity".into(), PluginArgs::InterPodAffinity { hard_pod_affinity_weight: weight }));
                }
                other => r.at(d, &pc.name, &format!("{path}.pluginConfig[{ci}].name"), format!("pluginConfig for {other} is not supported; configurable plugins: NodeResourcesFit, NodeResourcesBalancedAllocation, InterPodAffinity")),
            }
        }
        profiles.push(cfg);
    }
    if profiles.is_empty() {
        profiles.push(ProfileConfig::named(DEFAULT_SCHEDULER));
    }
    SchedulerConfig {
        percentage_of_nodes_to_score: global,
        profiles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Pod;
    use crate::api::scheduler_config::ScoringStrategyType;

    /// A minimal Simulation: one pool of 3 nodes over zones a and b; `extra` is appended
    /// to the document (indent it by two spaces to add `spec` fields).
    fn sim(extra: &str) -> String {
        format!(
            "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {{name: t}}
spec:
  duration: 1h
  cluster:
    nodePools:
    - name: pool
      count: 3
      zones: [a, b]
      template:
        status:
          capacity:
            cpu: \"4\"
            memory: 16Gi
{extra}"
        )
    }

    const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: 500m, memory: 1Gi}}
";

    /// Writes `files` (relative name, text) into a fresh directory and loads the first one.
    fn load(
        files: &[(&str, &str)],
    ) -> (tempfile::TempDir, PathBuf, Result<Scenario, Vec<LoadError>>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
        let main = dir.path().join(files[0].0);
        let result = load_scenario(std::slice::from_ref(&main));
        (dir, main, result)
    }

    fn ok(files: &[(&str, &str)]) -> Scenario {
        let (_dir, _, result) = load(files);
        match result {
            Ok(s) => s,
            Err(errs) => panic!("unexpected errors:\n{}", display(&errs)),
        }
    }

    /// Loads and expects errors; checks each one's Display starts with a loaded file's path.
    fn errs(files: &[(&str, &str)]) -> (PathBuf, Vec<LoadError>) {
        let (dir, main, result) = load(files);
        let errs = match result {
            Ok(_) => panic!("expected errors for {files:?}"),
            Err(e) => e,
        };
        assert!(!errs.is_empty());
        for e in &errs {
            let shown = e.to_string();
            assert!(
                shown.starts_with(&dir.path().display().to_string()),
                "{shown}"
            );
        }
        (main, errs)
    }

    fn display(errs: &[LoadError]) -> String {
        errs.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn pod_named<'a>(s: &'a Scenario, name: &str) -> &'a Pod {
        s.pods
            .iter()
            .find(|p| p.meta.name == name)
            .unwrap_or_else(|| panic!("no pod {name}"))
    }

    /// Line and column (1-based) of the first occurrence of `needle` in `text`.
    fn position(text: &str, needle: &str) -> (u32, u32) {
        for (i, line) in text.lines().enumerate() {
            if let Some(c) = line.find(needle) {
                return (i as u32 + 1, c as u32 + 1);
            }
        }
        panic!("{needle:?} not in text")
    }

    #[test]
    fn owner_references_keep_uid_and_controller_and_are_checked_as_upstream() {
        let owned = |refs: &str| {
            format!(
                "{}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: 5e1f\n  ownerReferences:\n{refs}spec:\n  containers: [{{name: c, image: x}}]\n",
                sim("")
            )
        };
        let good = "  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: a1, controller: true, blockOwnerDeletion: true}\n  - {apiVersion: v1, kind: Service, name: web, uid: b2}\n";
        let s = ok(&[("sim.yaml", &owned(good))]);
        let p = pod_named(&s, "p");
        assert_eq!(p.meta.uid, Uid::Given("5e1f".into()));
        let c = p.meta.controller().expect("a controller");
        assert_eq!(
            (c.to_string(), &c.uid),
            ("ReplicaSet/web-1".into(), &Uid::Given("a1".into()))
        );
        assert!(c.block_owner_deletion);
        assert_eq!(p.meta.owner_references.len(), 2);
        assert!(!p.meta.owner_references[1].controller);

        let bad = "  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: a1, controller: true}\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: b, controller: true}\n";
        let (_, e) = errs(&[("sim.yaml", &owned(bad))]);
        let shown = display(&e);
        assert!(
            shown.contains("metadata.ownerReferences[1].uid: must not be empty"),
            "{shown}"
        );
        assert!(
            shown.contains("metadata.ownerReferences: only one reference can have controller set to true, found 2: ReplicaSet/a, ReplicaSet/b"),
            "{shown}"
        );
    }

    #[test]
    fn minimal_scenario_resolves() {
        let s = ok(&[("sim.yaml", &sim(""))]);
        assert_eq!(s.name, "t");
        assert_eq!(s.duration, SimTime(3_600_000));
        assert_eq!(s.seed, 1);
        let names: Vec<_> = s.nodes.iter().map(|n| n.name()).collect();
        assert_eq!(names, ["pool-1", "pool-2", "pool-3"]);
        let zones: Vec<_> = s.nodes.iter().map(|n| n.zone().unwrap()).collect();
        assert_eq!(zones, ["a", "b", "a"]);
        for n in &s.nodes {
            assert_eq!(
                n.meta.labels.get(LABEL_POOL).map(String::as_str),
                Some("pool")
            );
            assert_eq!(
                n.meta.labels.get(LABEL_HOSTNAME).map(String::as_str),
                Some(n.name())
            );
            assert_eq!(n.pool.as_deref(), Some("pool"));
            assert_eq!(n.capacity.cpu_m, 4000);
            assert_eq!(n.capacity.memory, 16 << 30);
            assert_eq!(n.allocatable.pods, 110);
            assert_eq!(n.capacity.pods, 110);
            assert_eq!(n.allocatable, n.capacity);
        }
        assert_eq!(s.scheduler.profiles.len(), 1);
        assert_eq!(s.scheduler.profiles[0].scheduler_name, DEFAULT_SCHEDULER);
        assert!(s.namespaces.iter().any(|n| n == "default"));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn explicit_allocatable_and_pods_override_defaults() {
        let text = sim("").replace(
            "            memory: 16Gi\n",
            "            memory: 16Gi\n            pods: 20\n          allocatable: {cpu: 3500m}\n",
        );
        let s = ok(&[("sim.yaml", &text)]);
        let n = &s.nodes[0];
        assert_eq!(n.capacity.cpu_m, 4000);
        assert_eq!(n.allocatable.cpu_m, 3500);
        assert_eq!(n.allocatable.memory, 16 << 30);
        assert_eq!(n.allocatable.pods, 20);
    }

    #[test]
    fn bad_quantity_points_at_the_value() {
        let text = sim("").replace("memory: 16Gi", "memory: 1..5Gi");
        let (file, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        let (line, col) = position(&text, "1..5Gi");
        let shown = errs[0].to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}:{col}: ", file.display())),
            "{shown}"
        );
        assert!(
            shown.contains("spec.cluster.nodePools[0].template.status.capacity.memory"),
            "{shown}"
        );
        assert!(shown.contains("invalid quantity"), "{shown}");
    }

    #[test]
    fn bad_quantity_in_a_later_document_has_the_file_line() {
        let pod = POD.replace("cpu: 500m", "cpu: 5x");
        let text = format!("{}---\n# a comment\n{pod}", sim(""));
        let (file, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        let (line, col) = position(&text, "5x");
        assert_eq!(
            errs[0].to_string(),
            format!(
                "{}:{line}:{col}: spec.containers[0].resources.requests.cpu: {}",
                file.display(),
                errs[0].message
            )
        );
        assert!(errs[0].message.contains("invalid quantity"));
    }

    #[test]
    fn each_invalid_input_is_a_clear_error_with_its_path() {
        let job = "apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: c, image: busybox}]
";
        let second_sim = format!("{}---\n{}", sim(""), sim(""));
        let pod_class = format!(
            "{}---\n{}",
            sim(""),
            POD.replace("spec:\n", "spec:\n  priorityClassName: nope\n")
        );
        let pod_sched = format!(
            "{}---\n{}",
            sim(""),
            POD.replace("spec:\n", "spec:\n  schedulerName: my-scheduler\n")
        );
        let job_doc = format!("{}---\n{job}", sim(""));
        let arrival = "  arrivals:
  - count: -4
    every: 1s
    template:
      kind: Pod
      metadata: {name: a}
      spec:
        containers: [{name: c, image: busybox}]
";
        let cases: Vec<(&str, String, &str, &str)> = vec![
            (
                "unknown priority class",
                pod_class,
                "spec.priorityClassName",
                "no PriorityClass is named \"nope\"",
            ),
            (
                "unknown schedulerName",
                pod_sched,
                "spec.schedulerName",
                "no scheduler profile is named \"my-scheduler\"",
            ),
            (
                "negative pool count",
                sim("").replace("count: 3", "count: -2"),
                "spec.cluster.nodePools[0].count",
                "must not be negative, got -2",
            ),
            (
                "second Simulation",
                second_sim,
                "",
                "a second Simulation document; the first is at",
            ),
            (
                "no Simulation",
                POD.to_string(),
                "",
                "no Simulation document",
            ),
            (
                "Job template restartPolicy Always",
                job_doc,
                "spec.template.spec.restartPolicy",
                "Never or OnFailure",
            ),
            (
                "unknown timing key",
                sim("  timings: {podStartup: 1s, bogus: 2s}\n"),
                "spec.timings.bogus",
                "unknown timing",
            ),
            (
                "negative arrival count",
                sim(arrival),
                "spec.arrivals[0].count",
                "must not be negative, got -4",
            ),
            (
                "bad duration",
                sim("").replace("duration: 1h", "duration: 1 hour"),
                "spec.duration",
                "",
            ),
            (
                "huge pool count",
                sim("").replace("count: 3", "count: 5000000"),
                "spec.cluster.nodePools[0].count",
                "at most 1000000 nodes per pool",
            ),
            (
                "non-positive Job deadline",
                format!(
                    "{}---\n{}",
                    sim(""),
                    job.replace("restartPolicy: Always", "restartPolicy: Never")
                        .replace(
                            "spec:\n  template:",
                            "spec:\n  activeDeadlineSeconds: 0\n  template:"
                        )
                ),
                "spec.activeDeadlineSeconds",
                "must be positive, got 0",
            ),
            (
                "PriorityClass defined twice",
                format!(
                    "{}---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: hi}}\nvalue: 5\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: hi}}\nvalue: 6\n",
                    sim("")
                ),
                "metadata.name",
                "PriorityClass \"hi\" is defined twice",
            ),
            (
                "PriorityClass named like a built-in",
                format!(
                    "{}---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: system-node-critical}}\nvalue: 5\n",
                    sim("")
                ),
                "metadata.name",
                "is reserved for the built-in classes",
            ),
            (
                "zero metrics interval",
                sim("  output: {metricsInterval: 0s}\n"),
                "spec.output.metricsInterval",
                "must be positive",
            ),
        ];
        for (name, text, path, message) in cases {
            let (file, errs) = errs(&[("sim.yaml", &text)]);
            assert_eq!(errs.len(), 1, "{name}: {}", display(&errs));
            let e = &errs[0];
            assert_eq!(e.file, file, "{name}");
            assert_eq!(e.path, path, "{name}: {e}");
            assert!(e.message.contains(message), "{name}: {e}");
            if !path.is_empty() {
                assert!(
                    e.to_string().contains(&format!(": {path}: ")),
                    "{name}: {e}"
                );
            }
        }
    }

    #[test]
    fn scalar_errors_point_at_their_value() {
        let cases = [
            (
                sim("").replace("count: 3", "count: -2"),
                "-2",
                "spec.cluster.nodePools[0].count",
            ),
            (
                sim("  timings: {imagePull: 1s, bogus: 2s}\n"),
                "2s}",
                "spec.timings.bogus",
            ),
            (
                sim("  timings:\n    podStartup: uniform(3s)\n"),
                "uniform(3s)",
                "spec.timings.podStartup",
            ),
        ];
        for (text, needle, path) in cases {
            let (file, errs) = errs(&[("sim.yaml", &text)]);
            let (line, col) = position(&text, needle);
            let shown = errs[0].to_string();
            assert!(
                shown.starts_with(&format!("{}:{line}:{col}: {path}: ", file.display())),
                "{shown}"
            );
        }
    }

    #[test]
    fn global_default_priority_class_applies_and_explicit_priority_wins() {
        let text = format!(
            "{}---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: batch}}
value: 500
globalDefault: true
preemptionPolicy: Never
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: high}}
value: 1000
---
{}---
{}---
{}",
            sim(
                "  arrivals:\n  - {count: 1, every: 1s, template: {kind: Pod, metadata: {name: s}, spec: {containers: [{name: c, image: x}]}}}\n"
            ),
            POD.replace("name: p}", "name: plain}"),
            POD.replace("name: p}", "name: explicit}")
                .replace("spec:\n", "spec:\n  priority: 7\n"),
            POD.replace("name: p}", "name: classed}")
                .replace("spec:\n", "spec:\n  priorityClassName: high\n"),
        );
        let s = ok(&[("sim.yaml", &text)]);
        let plain = pod_named(&s, "plain");
        assert_eq!(plain.spec.priority, 500);
        assert_eq!(plain.spec.preemption_policy, PreemptionPolicy::Never);
        assert_eq!(pod_named(&s, "explicit").spec.priority, 7);
        let classed = pod_named(&s, "classed");
        assert_eq!(classed.spec.priority, 1000);
        assert_eq!(
            classed.spec.preemption_policy,
            PreemptionPolicy::PreemptLowerPriority
        );
        let Source::Stream(stream) = &s.arrivals[0] else {
            panic!("expected a stream")
        };
        let ArrivalTemplate::Pod { spec, .. } = &stream.template else {
            panic!("expected a Pod template")
        };
        assert_eq!(spec.priority, 500);
        assert!(
            s.priority_classes
                .iter()
                .any(|c| c.name == "batch" && c.global_default)
        );
    }

    #[test]
    fn two_global_defaults_are_an_error() {
        let pc = |n: &str| {
            format!(
                "---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: {n}}}\nvalue: 5\nglobalDefault: true\n"
            )
        };
        let text = format!("{}{}{}", sim(""), pc("a"), pc("b"));
        let (_, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        assert_eq!(errs[0].path, "globalDefault");
    }

    #[test]
    fn trace_arrival_loads_relative_to_the_simulation_file() {
        let text = sim("  arrivals:\n  - trace: {format: csv, path: traces/day1.csv}\n");
        let csv =
            "arrival_s,duration_s,cpu,memory,name,namespace\n0,10,500m,1Gi,a,batch\n2.5,,1,2Gi,,\n";
        let s = ok(&[("sim/sim.yaml", &text), ("sim/traces/day1.csv", csv)]);
        assert_eq!(s.arrivals.len(), 1);
        let Source::Trace { name, rows, base } = &s.arrivals[0] else {
            panic!("expected a trace")
        };
        assert_eq!(name, "day1.csv");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cpu_m, 500);
        assert_eq!(rows[0].memory, 1 << 30);
        assert_eq!(rows[0].duration_ms, Some(10_000));
        assert_eq!(rows[1].arrival_ms, 2_500);
        assert_eq!(rows[1].duration_ms, None);
        assert_eq!(&*base.scheduler_name, DEFAULT_SCHEDULER);
        assert!(s.namespaces.iter().any(|n| n == "batch"));
    }

    #[test]
    fn trace_errors() {
        let missing = sim("  arrivals:\n  - trace: {format: csv, path: nope.csv}\n");
        let (_, e) = errs(&[("sim.yaml", &missing)]);
        assert_eq!(e[0].path, "spec.arrivals[0].trace.path");
        assert!(e[0].message.contains("cannot read"), "{}", e[0]);

        let format = sim("  arrivals:\n  - trace: {format: parquet, path: t.csv}\n");
        let (_, e) = errs(&[("sim.yaml", &format), ("t.csv", "arrival_s\n")]);
        assert_eq!(e[0].path, "spec.arrivals[0].trace.format");

        let bad = sim("  arrivals:\n  - trace: {format: csv, path: t.csv}\n");
        let (dir, _, r) = load(&[
            ("sim.yaml", &bad),
            ("t.csv", "arrival_s,duration_s,cpu,memory\n0,1,lots,1Gi\n"),
        ]);
        let e = r.unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file, dir.path().join("t.csv"));
        assert!(e[0].message.contains("line 2"), "{}", e[0]);

        let both =
            sim("  arrivals:\n  - trace: {format: csv, path: t.csv}\n    template: p.yaml\n");
        let (_, e) = errs(&[("sim.yaml", &both)]);
        assert_eq!(e[0].path, "spec.arrivals[0]");
    }

    #[test]
    fn arrival_template_given_as_a_path() {
        let text = sim(
            "  arrivals:\n  - count: 5\n    every: exponential(2s)\n    start: 1m\n    template: pods/web.yaml\n    requests: {cpu: \"choice(250m, 500m)\"}\n",
        );
        let s = ok(&[("sim.yaml", &text), ("pods/web.yaml", POD)]);
        let Source::Stream(stream) = &s.arrivals[0] else {
            panic!("expected a stream")
        };
        assert_eq!(stream.name, "p");
        assert_eq!(stream.count, 5);
        assert_eq!(stream.start, SimTime(60_000));
        assert!(stream.requests.as_ref().unwrap().cpu.is_some());
        let ArrivalTemplate::Pod { meta, spec } = &stream.template else {
            panic!("expected a Pod template")
        };
        assert_eq!(meta.name, "p");
        assert_eq!(spec.containers[0].requests.cpu_m, 500);
        // The template file is not a manifest of the scenario.
        assert!(s.pods.is_empty());
    }

    #[test]
    fn errors_in_a_template_file_point_into_that_file() {
        let text = sim("  arrivals:\n  - {count: 5, every: 1s, template: pods/web.yaml}\n");
        let web = format!("# web\n{}", POD.replace("cpu: 500m", "cpu: 5x"));
        let (dir, _, r) = load(&[("sim.yaml", &text), ("pods/web.yaml", &web)]);
        let e = r.unwrap_err();
        assert_eq!(e.len(), 1, "{}", display(&e));
        let (line, col) = position(&web, "5x");
        assert_eq!(
            e[0].to_string(),
            format!(
                "{}:{line}:{col}: spec.containers[0].resources.requests.cpu: {}",
                dir.path().join("pods/web.yaml").display(),
                e[0].message
            )
        );

        let (_, e) = errs(&[("sim.yaml", &text)]);
        assert!(e[0].message.contains("cannot open"), "{}", e[0]);
    }

    #[test]
    fn inline_template_errors_carry_the_arrival_path() {
        let pod = sim(
            "  arrivals:\n  - count: 1\n    every: 1s\n    template:\n      kind: Pod\n      metadata:\n        annotations: {kubesim.io/duration: forever}\n      spec:\n        containers: [{name: c, image: x}]\n",
        );
        let (_, e) = errs(&[("sim.yaml", &pod)]);
        let paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["spec.arrivals[0].template.metadata.name"],
            "{}",
            display(&e)
        );

        let job = sim(
            "  arrivals:\n  - count: 1\n    every: 1s\n    template:\n      kind: Job\n      metadata: {name: j}\n      spec:\n        parallelism: -1\n        template:\n          metadata:\n            annotations: {kubesim.io/duration: forever}\n          spec:\n            restartPolicy: Always\n            containers: [{name: c, image: x}]\n",
        );
        let (_, e) = errs(&[("sim.yaml", &job)]);
        let mut paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "spec.arrivals[0].template.spec.parallelism",
                "spec.arrivals[0].template.spec.template.metadata.annotations.kubesim.io/duration",
                "spec.arrivals[0].template.spec.template.spec.restartPolicy",
            ],
            "{}",
            display(&e)
        );
    }

    #[test]
    fn every_error_is_collected() {
        let text = format!(
            "{}---\n{}",
            sim("  timings: {bogus: 1s}\n").replace("count: 3", "count: -1"),
            POD.replace("cpu: 500m", "cpu: lots")
        );
        let (_, errs) = errs(&[("sim.yaml", &text)]);
        let mut paths: Vec<_> = errs.iter().map(|e| e.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "spec.cluster.nodePools[0].count",
                "spec.containers[0].resources.requests.cpu",
                "spec.timings.bogus",
            ],
            "{}",
            display(&errs)
        );
    }

    const KSC: &str = "---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
";

    #[test]
    fn scheduler_configuration() {
        let config = |body: &str| format!("{}{KSC}{body}", sim(""));

        // Plugin names are checked by the scheduler (tests/scenarios.rs); the check given to
        // `load_scenario_checked` reports at the configuration document.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sim.yaml");
        std::fs::write(&file, config("profiles:\n- schedulerName: x\n")).unwrap();
        let e = load_scenario_checked(std::slice::from_ref(&file), &|_| {
            Err(vec!["bad plugin".into()])
        })
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file, file);
        assert!(
            e[0].location.as_ref().is_some_and(|l| l.line > 1),
            "{}",
            e[0]
        );

        // NodeResourcesFit with MostAllocated.
        let s = ok(&[(
            "sim.yaml",
            &config(
                "percentageOfNodesToScore: 50\nprofiles:\n- schedulerName: packer\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources: [{name: cpu, weight: 3}, {name: memory, weight: 1}]\n",
            ),
        )]);
        assert_eq!(s.scheduler.percentage_of_nodes_to_score, Some(50));
        assert_eq!(s.scheduler.profiles.len(), 1);
        let p = &s.scheduler.profiles[0];
        assert_eq!(p.scheduler_name, "packer");
        let [(name, PluginArgs::NodeResourcesFit(fit))] = p.plugin_args.as_slice() else {
            panic!("{:?}", p.plugin_args)
        };
        assert_eq!(name, "NodeResourcesFit");
        assert_eq!(fit.strategy, ScoringStrategyType::MostAllocated);
        let weights: Vec<_> = fit
            .resources
            .iter()
            .map(|w| (w.name.as_str(), w.weight))
            .collect();
        assert_eq!(weights, [("cpu", 3), ("memory", 1)]);

        // Weight out of 1..=100.
        let text = config(
            "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        resources:\n        - name: cpu\n          weight: 101\n",
        );
        let (file, e) = errs(&[("sim.yaml", &text)]);
        assert_eq!(e.len(), 1, "{}", display(&e));
        let (line, col) = position(&text, "101");
        let path = "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight";
        assert_eq!(e[0].path, path);
        assert!(
            e[0].to_string()
                .starts_with(&format!("{}:{line}:{col}: {path}: ", file.display())),
            "{}",
            e[0]
        );

        // percentageOfNodesToScore out of range, global and per profile.
        for body in [
            "percentageOfNodesToScore: 150\n",
            "profiles:\n- percentageOfNodesToScore: 150\n",
        ] {
            let (_, e) = errs(&[("sim.yaml", &config(body))]);
            assert_eq!(e.len(), 1, "{}", display(&e));
            assert!(e[0].path.ends_with("percentageOfNodesToScore"), "{}", e[0]);
            assert!(e[0].message.contains("between 0 and 100"), "{}", e[0]);
        }

        // A pluginConfig for a plugin that takes no args, and a bad strategy type.
        let (_, e) = errs(&[(
            "sim.yaml",
            &config(
                "profiles:\n- pluginConfig:\n  - name: TaintToleration\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: Random}}\n",
            ),
        )]);
        let paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "profiles[0].pluginConfig[0].name",
                "profiles[0].pluginConfig[1].args.scoringStrategy.type",
            ],
            "{}",
            display(&e)
        );

        // Pods may name a configured profile.
        let text = format!(
            "{}---\n{}",
            config("profiles:\n- schedulerName: packer\n"),
            POD.replace("spec:\n", "spec:\n  schedulerName: packer\n")
        );
        let s = ok(&[("sim.yaml", &text)]);
        assert_eq!(&*s.pods[0].spec.scheduler_name, "packer");
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
}
