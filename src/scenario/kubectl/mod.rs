//! `spec.timeline`: kubectl commands at simulated times, read with kubectl's own syntax and
//! checked before the run: the verb, its flags, the types and the objects they name (those
//! a scenario can know: nodes, the workloads, Jobs, Services and budgets of its manifests
//! and of earlier `apply -f` entries; pods and the ReplicaSets a Deployment makes are named
//! by the run, so a name that does not exist then is reported by the run).

mod tokens;
mod verbs;

use super::documents;
use super::kinds::Manifest;
use super::resolver::{Doc, Resolver};
use super::yaml::{Located, Spanned};
use crate::api::duration::parse_duration_ms;
use crate::api::fault::{Fault, TimedFault};
use crate::api::kubectl::{Applied, Command, ObjectRef, Resource, Targets, TimedCommand};
use crate::api::node::LABEL_ZONE;
use crate::engine::SimTime;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// One `spec.timeline` entry as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TimelineEntry {
    /// When (a Go duration from the start).
    pub at: Spanned<String>,
    /// A kubectl command (with or without the leading `kubectl`).
    #[serde(default)]
    pub kubectl: Option<Spanned<String>>,
    /// A fault (modelled later).
    #[serde(default)]
    pub fault: Option<Spanned<String>>,
}

/// The objects that exist at a point of the timeline, as far as the scenario can know them.
#[derive(Clone, Debug, Default)]
pub struct Known {
    objects: BTreeSet<(Resource, String, String)>,
}

impl Known {
    /// The objects of the manifests resolved so far.
    pub(super) fn of(r: &Resolver) -> Known {
        let mut k = Known::default();
        for n in &r.node_names {
            k.add(Resource::Node, "", n);
        }
        for d in &r.deployments {
            k.add(Resource::Deployment, &d.meta.namespace, &d.meta.name);
        }
        for rs in &r.replica_sets {
            let resource = match rs.spec.kind {
                crate::api::apps::ReplicaSetKind::ReplicaSet => Resource::ReplicaSet,
                crate::api::apps::ReplicaSetKind::ReplicationController => {
                    Resource::ReplicationController
                }
            };
            k.add(resource, &rs.meta.namespace, &rs.meta.name);
        }
        for d in &r.daemon_sets {
            k.add(Resource::DaemonSet, &d.meta.namespace, &d.meta.name);
        }
        for d in &r.stateful_sets {
            k.add(Resource::StatefulSet, &d.meta.namespace, &d.meta.name);
        }
        for j in &r.jobs {
            k.add(Resource::Job, &j.meta.namespace, &j.meta.name);
        }
        for s in &r.services {
            k.add(Resource::Service, &s.namespace, &s.name);
        }
        for p in &r.pdbs {
            k.add(Resource::PodDisruptionBudget, &p.namespace, &p.name);
        }
        k
    }

    fn add(&mut self, resource: Resource, namespace: &str, name: &str) {
        self.objects
            .insert((resource, namespace.to_string(), name.to_string()));
    }

    /// `Err` with kubectl's NotFound when the object cannot exist then (pods and
    /// ReplicaSets pass: the run names them).
    pub fn check(&self, o: &ObjectRef) -> Result<(), String> {
        if matches!(o.resource, Resource::Pod | Resource::ReplicaSet) {
            return Ok(());
        }
        let key = (o.resource, o.namespace.clone(), o.name.clone());
        if self.objects.contains(&key) {
            return Ok(());
        }
        let plural = match o.resource.qualified().split_once('.') {
            Some((_, group)) => format!("{}.{group}", plural(o.resource)),
            None => plural(o.resource).to_string(),
        };
        Err(format!(
            "Error from server (NotFound): {plural} {:?} not found",
            o.name
        ))
    }

    /// Keeps track of what a command creates and deletes.
    fn follow(&mut self, c: &Command) {
        match c {
            Command::Apply(objects) => {
                for a in objects {
                    let (resource, ns, name) = match a {
                        Applied::Pod(p) => (Resource::Pod, &p.meta.namespace, &p.meta.name),
                        Applied::Deployment(m, _) => (Resource::Deployment, &m.namespace, &m.name),
                        Applied::ReplicaSet(m, s) => (
                            match s.kind {
                                crate::api::apps::ReplicaSetKind::ReplicaSet => {
                                    Resource::ReplicaSet
                                }
                                crate::api::apps::ReplicaSetKind::ReplicationController => {
                                    Resource::ReplicationController
                                }
                            },
                            &m.namespace,
                            &m.name,
                        ),
                        Applied::Job(m, _) => (Resource::Job, &m.namespace, &m.name),
                        Applied::DaemonSet(m, _) => (Resource::DaemonSet, &m.namespace, &m.name),
                        Applied::StatefulSet(m, _) => {
                            (Resource::StatefulSet, &m.namespace, &m.name)
                        }
                        Applied::Service(s) => (Resource::Service, &s.namespace, &s.name),
                        Applied::PodDisruptionBudget(p) => {
                            (Resource::PodDisruptionBudget, &p.namespace, &p.name)
                        }
                        Applied::Node(n) => (Resource::Node, &n.meta.namespace, &n.meta.name),
                    };
                    self.add(resource, ns, name);
                }
            }
            Command::Delete {
                targets: Targets::Named(refs),
                ..
            } => {
                for o in refs {
                    self.objects
                        .remove(&(o.resource, o.namespace.clone(), o.name.clone()));
                }
            }
            _ => {}
        }
    }
}

/// kubectl's plural of a type.
fn plural(r: Resource) -> &'static str {
    match r {
        Resource::Pod => "pods",
        Resource::Node => "nodes",
        Resource::Deployment => "deployments",
        Resource::ReplicaSet => "replicasets",
        Resource::ReplicationController => "replicationcontrollers",
        Resource::DaemonSet => "daemonsets",
        Resource::StatefulSet => "statefulsets",
        Resource::Job => "jobs",
        Resource::Service => "services",
        Resource::PodDisruptionBudget => "poddisruptionbudgets",
    }
}

/// The timeline's commands and faults, each in time order (entries at the same time keep
/// their order).
pub(super) fn timeline(
    r: &mut Resolver,
    sd: Doc,
    entries: &[TimelineEntry],
    duration: SimTime,
) -> (Vec<TimedCommand>, Vec<TimedFault>) {
    let mut known = Known::of(r);
    let mut out = Vec::new();
    let mut faults = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let path = format!("spec.timeline[{i}]");
        let at = match parse_duration_ms(&e.at.value) {
            Ok(ms) if ms >= 0 => SimTime(ms),
            Ok(_) => {
                r.at(sd, &e.at, &format!("{path}.at"), "must not be negative");
                continue;
            }
            Err(err) => {
                r.at(sd, &e.at, &format!("{path}.at"), err.to_string());
                continue;
            }
        };
        if at > duration {
            let msg = format!(
                "{} is after the end of the run ({}); it never happens",
                e.at.value,
                crate::api::duration::format_duration_ms(duration.ms())
            );
            r.warn_at(sd, &e.at, &format!("{path}.at"), msg);
        }
        match (&e.kubectl, &e.fault) {
            (Some(k), None) => {
                let field = format!("{path}.kubectl");
                match command(r, sd, &k.value, &known) {
                    Ok(command) => {
                        known.follow(&command);
                        let text = k
                            .value
                            .trim()
                            .trim_start_matches("kubectl ")
                            .trim()
                            .to_string();
                        out.push(TimedCommand { at, text, command });
                    }
                    Err(msg) => r.at(sd, k, &field, msg),
                }
            }
            (None, Some(f)) => match fault(r, &f.value) {
                Ok(fault) => faults.push(TimedFault {
                    at,
                    text: f.value.trim().to_string(),
                    fault,
                }),
                Err(msg) => r.at(sd, f, &format!("{path}.fault"), msg),
            },
            _ => r.doc(sd, &path, "give exactly one of `kubectl` and `fault`"),
        }
    }
    out.sort_by_key(|c| c.at);
    faults.sort_by_key(|f| f.at);
    (out, faults)
}

/// One fault, its node or zone checked against the scenario's.
fn fault(r: &Resolver, text: &str) -> Result<Fault, String> {
    let fault = Fault::parse(text)?;
    if let Some(node) = fault.node()
        && !r.node_names.contains(node)
    {
        return Err(format!("nodes {node:?} not found"));
    }
    if let Fault::ZoneOutage { zone, .. } = &fault {
        let zones: BTreeSet<&str> = (r.nodes.iter())
            .filter_map(|n| n.meta.labels.get(LABEL_ZONE).map(String::as_str))
            .collect();
        if !zones.contains(zone.as_str()) {
            let known = zones.into_iter().collect::<Vec<_>>().join(", ");
            return Err(format!(
                "no node is in zone {zone:?} (label {LABEL_ZONE}); the zones are: {}",
                if known.is_empty() { "none" } else { &known }
            ));
        }
    }
    Ok(fault)
}

/// One command line.
fn command(r: &mut Resolver, sd: Doc, line: &str, known: &Known) -> Result<Command, String> {
    let mut words = tokens::split(line)?;
    if words.first().is_some_and(|w| w == "kubectl") {
        words.remove(0);
    }
    match words.first().map(String::as_str) {
        Some("apply") | Some("create") => apply(r, sd, &words[1..]),
        _ => verbs::command(&words, &verbs::Env { known }),
    }
}

/// `apply -f FILE_OR_DIR`: the objects of the file, read and checked as the scenario's own
/// manifests are, relative to the Simulation's file.
fn apply(r: &mut Resolver, sd: Doc, words: &[String]) -> Result<Command, String> {
    let args = tokens::parse(
        words,
        &[
            tokens::flag("filename", Some('f'), true),
            tokens::flag("namespace", Some('n'), true),
        ],
    )?;
    let file = args
        .get("filename")
        .ok_or("must specify one of -f and -k")?;
    if let Some(extra) = args.positional.first() {
        return Err(format!(
            "unexpected argument {extra:?}: apply reads its objects from -f"
        ));
    }
    let path = sd.file.parent().unwrap_or(Path::new("")).join(file);
    if !path.exists() {
        return Err(format!("the path {file:?} does not exist"));
    }
    let c = documents::collect(&[path], r.validate, false, None);
    let failed = !c.outcome.errors.is_empty();
    let manifests = c.outcome.manifests.clone();
    let outcome = c.finish();
    r.errors.extend(outcome.errors);
    r.warnings.extend(outcome.warnings);
    if failed {
        return Err(format!("{file:?} has errors (above)"));
    }
    let ns = args.get("namespace");
    resolve_applied(r, &manifests, ns)
}

/// Resolves the objects of an applied file apart from the scenario's (an object the
/// scenario has is updated by the run, not a duplicate).
fn resolve_applied(
    r: &mut Resolver,
    manifests: &[Located<Manifest>],
    ns: Option<&str>,
) -> Result<Command, String> {
    for m in manifests {
        let allowed = matches!(
            m.value,
            Manifest::Pod(_)
                | Manifest::Deployment(_)
                | Manifest::ReplicaSet(_)
                | Manifest::ReplicationController(_)
                | Manifest::DaemonSet(_)
                | Manifest::StatefulSet(_)
                | Manifest::Job(_)
                | Manifest::Service(_)
                | Manifest::PodDisruptionBudget(_)
                | Manifest::Node(_)
        );
        if !allowed {
            return Err(format!(
                "{}:{}: kind {} cannot be applied during the run (kubesim applies Nodes, Pods, Deployments, ReplicaSets, ReplicationControllers, DaemonSets, StatefulSets, Jobs, Services and PodDisruptionBudgets)",
                m.file.display(),
                m.line,
                m.value.kind()
            ));
        }
    }
    let errors_before = r.errors.len();
    let saved = Saved::take(r);
    for stage in super::kinds::Stage::RESOLVED_IN_ORDER {
        for m in manifests.iter().filter(|m| m.value.stage() == stage) {
            let mut m = m.clone();
            if let Some(ns) = ns {
                set_namespace(&mut m.value, ns);
            }
            m.value.resolve(r, Doc::of(&m));
        }
    }
    let applied = saved.restore(r);
    if r.errors.len() > errors_before {
        return Err("the applied objects have errors (above)".into());
    }
    Ok(Command::Apply(applied))
}

/// `-n NS` for objects that name no namespace.
fn set_namespace(m: &mut Manifest, ns: &str) {
    let meta = match m {
        Manifest::Pod(p) => &mut p.metadata,
        Manifest::Deployment(d) => &mut d.metadata,
        Manifest::ReplicaSet(s) => &mut s.metadata,
        Manifest::ReplicationController(s) => &mut s.metadata,
        Manifest::Job(j) => &mut j.metadata,
        Manifest::Service(s) => &mut s.metadata,
        Manifest::PodDisruptionBudget(p) => &mut p.metadata,
        Manifest::DaemonSet(d) => &mut d.metadata,
        Manifest::StatefulSet(d) => &mut d.metadata,
        _ => return,
    };
    meta.namespace.get_or_insert_with(|| ns.to_string());
}

/// The scenario's objects, set aside while an applied file is resolved.
struct Saved {
    nodes: Vec<crate::api::Node>,
    pods: Vec<crate::api::pod::Pod>,
    pod_keys: BTreeSet<(String, String)>,
    deployments: Vec<super::model::WorkloadManifest<crate::api::apps::DeploymentSpec>>,
    daemon_sets: Vec<super::model::WorkloadManifest<crate::api::apps::DaemonSetSpec>>,
    stateful_sets: Vec<super::model::WorkloadManifest<crate::api::apps::StatefulSetSpec>>,
    replica_sets: Vec<super::model::WorkloadManifest<crate::api::apps::ReplicaSetSpec>>,
    jobs: Vec<super::model::JobManifest>,
    services: Vec<crate::api::service::Service>,
    pdbs: Vec<crate::api::disruption::PodDisruptionBudget>,
}

impl Saved {
    fn take(r: &mut Resolver) -> Saved {
        Saved {
            nodes: std::mem::take(&mut r.nodes),
            daemon_sets: std::mem::take(&mut r.daemon_sets),
            stateful_sets: std::mem::take(&mut r.stateful_sets),
            pods: std::mem::take(&mut r.pods),
            pod_keys: std::mem::take(&mut r.pod_keys),
            deployments: std::mem::take(&mut r.deployments),
            replica_sets: std::mem::take(&mut r.replica_sets),
            jobs: std::mem::take(&mut r.jobs),
            services: std::mem::take(&mut r.services),
            pdbs: std::mem::take(&mut r.pdbs),
        }
    }

    /// Puts the scenario's objects back; what was resolved meanwhile, as applied objects.
    fn restore(self, r: &mut Resolver) -> Vec<Applied> {
        let mut out = Vec::new();
        out.extend(
            std::mem::replace(&mut r.nodes, self.nodes)
                .into_iter()
                .map(|n| Applied::Node(Box::new(n))),
        );
        out.extend(
            std::mem::replace(&mut r.services, self.services)
                .into_iter()
                .map(Applied::Service),
        );
        out.extend(
            std::mem::replace(&mut r.pdbs, self.pdbs)
                .into_iter()
                .map(Applied::PodDisruptionBudget),
        );
        out.extend(
            std::mem::replace(&mut r.deployments, self.deployments)
                .into_iter()
                .map(|d| Applied::Deployment(d.meta, Box::new(d.spec))),
        );
        out.extend(
            std::mem::replace(&mut r.replica_sets, self.replica_sets)
                .into_iter()
                .map(|s| Applied::ReplicaSet(s.meta, Box::new(s.spec))),
        );
        out.extend(
            std::mem::replace(&mut r.stateful_sets, self.stateful_sets)
                .into_iter()
                .map(|d| Applied::StatefulSet(d.meta, Box::new(d.spec))),
        );
        out.extend(
            std::mem::replace(&mut r.daemon_sets, self.daemon_sets)
                .into_iter()
                .map(|d| Applied::DaemonSet(d.meta, Box::new(d.spec))),
        );
        out.extend(
            std::mem::replace(&mut r.jobs, self.jobs)
                .into_iter()
                .map(|j| Applied::Job(j.meta, Box::new(j.spec))),
        );
        out.extend(
            std::mem::replace(&mut r.pods, self.pods)
                .into_iter()
                .map(|p| Applied::Pod(Box::new(p))),
        );
        r.pod_keys = self.pod_keys;
        out
    }
}
