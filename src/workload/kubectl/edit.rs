//! The commands that edit objects: `delete`, `scale`, `set image`, `set resources`,
//! `rollout restart|undo|pause|resume`, `label`, `annotate`, `taint`, `cordon` and
//! `uncordon`, each with kubectl's output (`deployment.apps/web scaled`) and errors
//! (`staging/src/k8s.io/kubectl/pkg/cmd/`, `pkg/polymorphichelpers/rollback.go`).

use super::{Ctx, Found, Output, rfc3339};
use crate::api::apps::{
    ANNOTATION_RESTARTED_AT, ANNOTATION_REVISION, LABEL_POD_TEMPLATE_HASH, PodTemplate,
};
use crate::api::kubectl::{Command, MetaEdit, ResourceChange};
use crate::api::pod::PodSpec;
use crate::api::resources::names;
use crate::api::taint::{Taint, TaintEffect};
use crate::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Applies `command` to one object found, named `name` as kubectl prints it.
pub(super) fn one(
    command: &Command,
    f: Found,
    name: &str,
    start_unix_ms: i64,
    out: &mut Output,
    ctx: Ctx,
) {
    let result = match command {
        Command::Delete { grace_ms, .. } => delete(f, *grace_ms, ctx),
        Command::Scale { replicas, .. } => {
            scale(f, *replicas, ctx).map(|_| format!("{name} scaled"))
        }
        Command::SetImage { images, .. } => {
            edit_template(f, ctx, |t| set_image(t, images)).map(|changed| match changed {
                true => format!("{name} image updated"),
                false => format!("{name} image unchanged"),
            })
        }
        Command::SetResources {
            containers, change, ..
        } => edit_template(f, ctx, |t| set_resources(t, containers.as_deref(), change))
            .map(|_| format!("{name} resource requirements updated")),
        Command::RolloutRestart(_) => {
            restart(f, start_unix_ms, ctx).map(|_| format!("{name} restarted"))
        }
        Command::RolloutUndo { to_revision, .. } => undo(f, *to_revision, name, ctx),
        Command::RolloutPause(_) | Command::RolloutResume(_) => {
            let pause = matches!(command, Command::RolloutPause(_));
            pause_resume(f, pause, name, ctx)
        }
        Command::Label(_, edit) => meta_edit(f, edit, true, ctx).map(|changed| match changed {
            true => format!("{name} labeled"),
            false => format!("{name} not labeled"),
        }),
        Command::Annotate(_, edit) => {
            meta_edit(f, edit, false, ctx).map(|_| format!("{name} annotated"))
        }
        Command::Taint {
            add,
            remove,
            overwrite,
            ..
        } => taint(f, add, remove, *overwrite, name, ctx),
        Command::Apply(_) | Command::Drain(_) | Command::Cordon(_) | Command::Uncordon(_) => {
            Ok(String::new())
        }
    };
    match result {
        Ok(line) => out.line(line, ctx),
        Err(e) => out.error(e, ctx),
    }
}

/// `delete`: a pod with its (or the given) grace period; a workload at once, its dependents
/// left to the garbage collector.
fn delete(f: Found, grace_ms: Option<i64>, ctx: Ctx) -> Result<String, String> {
    let now = ctx.now();
    let store = &mut *ctx.store;
    match f {
        Found::Pod(p) => {
            let name = store.pod(p).meta.name.clone();
            store.request_deletion_with_grace(p, now, grace_ms);
            Ok(format!("pod {name:?} deleted"))
        }
        Found::Deployment(d) => {
            let name = store.deployment(d).meta.name.clone();
            store.delete_deployment(d);
            Ok(format!("deployment.apps {name:?} deleted"))
        }
        Found::ReplicaSet(rs) => {
            let r = store.replica_set(rs);
            let kind = match r.spec.kind.kind() {
                "ReplicaSet" => "replicaset.apps",
                _ => "replicationcontroller",
            };
            let line = format!("{kind} {:?} deleted", r.meta.name);
            store.delete_replica_set(rs);
            Ok(line)
        }
        Found::DaemonSet(ds) => {
            let line = format!(
                "daemonset.apps {:?} deleted",
                store.daemon_set(ds).meta.name
            );
            store.delete_daemon_set(ds);
            Ok(line)
        }
        Found::StatefulSet(ss) => {
            let line = format!(
                "statefulset.apps {:?} deleted",
                store.stateful_set(ss).meta.name
            );
            store.delete_stateful_set(ss);
            Ok(line)
        }
        Found::Node(_) => Err("deleting nodes is not modelled: drain the node instead".into()),
    }
}

fn scale(f: Found, replicas: u32, ctx: Ctx) -> Result<(), String> {
    match f {
        Found::Deployment(d) => ctx.store.update_deployment(d, |_, s| s.replicas = replicas),
        Found::ReplicaSet(rs) => ctx
            .store
            .update_replica_set(rs, |_, s| s.replicas = replicas),
        Found::StatefulSet(ss) => ctx
            .store
            .update_stateful_set(ss, |_, s| s.replicas = replicas),
        _ => return Err("only workloads scale".into()),
    }
    Ok(())
}

/// The template of a workload, edited by `edit` (which says whether it changed anything)
/// and written back when it did.
fn edit_template(
    f: Found,
    ctx: Ctx,
    edit: impl FnOnce(&mut PodTemplate) -> Result<bool, String>,
) -> Result<bool, String> {
    let mut t = match f {
        Found::Deployment(d) => ctx.store.deployment(d).spec.template.clone(),
        Found::ReplicaSet(rs) => ctx.store.replica_set(rs).spec.template.clone(),
        Found::DaemonSet(ds) => ctx.store.daemon_set(ds).spec.template.clone(),
        Found::StatefulSet(ss) => ctx.store.stateful_set(ss).spec.template.clone(),
        _ => return Err("only workloads have a pod template".into()),
    };
    if !edit(&mut t)? {
        return Ok(false);
    }
    match f {
        Found::Deployment(d) => ctx.store.update_deployment(d, |_, s| s.template = t),
        Found::ReplicaSet(rs) => ctx.store.update_replica_set(rs, |_, s| s.template = t),
        Found::DaemonSet(ds) => ctx.store.update_daemon_set(ds, |_, s| s.template = t),
        Found::StatefulSet(ss) => ctx.store.update_stateful_set(ss, |_, s| s.template = t),
        _ => {}
    }
    Ok(true)
}

/// The containers (init ones too) called `name`, or all for `*` / `None`.
fn containers<'a>(
    spec: &'a mut PodSpec,
    name: Option<&'a str>,
) -> impl Iterator<Item = &'a mut crate::api::Container> + 'a {
    spec.init_containers
        .iter_mut()
        .chain(spec.containers.iter_mut())
        .filter(move |c| name.is_none_or(|n| n == "*" || *c.name == *n))
}

fn set_image(t: &mut PodTemplate, images: &[(String, String)]) -> Result<bool, String> {
    let mut spec = (*t.spec).clone();
    for (name, image) in images {
        let mut found = false;
        for c in containers(&mut spec, Some(name)) {
            found = true;
            c.image = image.as_str().into();
        }
        if !found {
            return Err(format!("unable to find container named {name:?}"));
        }
    }
    let changed = spec != *t.spec;
    t.spec = Arc::new(spec);
    Ok(changed)
}

fn set_resources(
    t: &mut PodTemplate,
    name: Option<&str>,
    change: &ResourceChange,
) -> Result<bool, String> {
    let mut spec = (*t.spec).clone();
    let mut found = false;
    for c in containers(&mut spec, name) {
        found = true;
        for r in &change.requests_given {
            c.requests.set(r, change.requests.get(r));
            match r.as_str() {
                names::CPU => c.cpu_request_set = true,
                names::MEMORY => c.memory_request_set = true,
                _ => {}
            }
        }
        for r in &change.limits_given {
            c.limits.set(r, change.limits.get(r));
        }
    }
    if !found {
        return Err(format!(
            "unable to find container named {:?}",
            name.unwrap_or("*")
        ));
    }
    spec.recompute_requests();
    let changed = spec != *t.spec;
    t.spec = Arc::new(spec);
    Ok(changed)
}

/// `rollout restart`: the template's `restartedAt` annotation set to now.
fn restart(f: Found, start_unix_ms: i64, ctx: Ctx) -> Result<(), String> {
    if let Found::Deployment(d) = f
        && ctx.store.deployment(d).spec.paused
    {
        return Err("can't restart paused deployment (run rollout resume first)".into());
    }
    let at = rfc3339(start_unix_ms, ctx.now());
    edit_template(f, ctx, |t| {
        Arc::make_mut(&mut t.meta.annotations).insert(ANNOTATION_RESTARTED_AT.into(), at);
        Ok(true)
    })
    .map(|_| ())
}

/// `rollout undo`: the Deployment's template becomes the one of the ReplicaSet of the
/// previous revision (or `--to-revision`), as kubectl's `DeploymentRollbacker` does.
fn undo(f: Found, to: Option<u64>, name: &str, ctx: Ctx) -> Result<String, String> {
    let Found::Deployment(d) = f else {
        return Err("rollout undo works on deployments".into());
    };
    let dep = ctx.store.deployment(d);
    if dep.spec.paused {
        return Err(format!(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{}' and try again",
            dep.meta.name
        ));
    }
    let mut by_revision: BTreeMap<u64, PodTemplate> = BTreeMap::new();
    for &rs in ctx.store.replica_sets_of_controller(&dep.meta.uid) {
        let r = ctx.store.replica_set(rs);
        if let Some(rev) = r
            .meta
            .annotations
            .get(ANNOTATION_REVISION)
            .and_then(|v| v.parse().ok())
        {
            by_revision.insert(rev, r.spec.template.clone());
        }
    }
    let (revision, mut template) = match to {
        Some(n) => {
            let t = by_revision
                .get(&n)
                .ok_or_else(|| format!("unable to find specified revision {n} in history"))?;
            (n, t.clone())
        }
        None => {
            let mut latest = by_revision.iter().rev();
            latest.next();
            let (n, t) = latest.next().ok_or_else(|| {
                format!(
                    "no rollout history found for deployment {:?}",
                    dep.meta.name
                )
            })?;
            (*n, t.clone())
        }
    };
    Arc::make_mut(&mut template.meta.labels).remove(LABEL_POD_TEMPLATE_HASH);
    if template.equal_ignoring_hash(&dep.spec.template) {
        return Ok(format!(
            "{name} skipped rollback (current template already matches revision {revision})"
        ));
    }
    ctx.store.update_deployment(d, |_, s| s.template = template);
    Ok(format!("{name} rolled back"))
}

fn pause_resume(f: Found, pause: bool, name: &str, ctx: Ctx) -> Result<String, String> {
    let Found::Deployment(d) = f else {
        return Err("rollout pause and resume work on deployments".into());
    };
    let dep = ctx.store.deployment(d);
    if dep.spec.paused == pause {
        let state = if pause {
            "already paused"
        } else {
            "not paused"
        };
        return Err(format!("deployments.apps {:?} is {state}", dep.meta.name));
    }
    ctx.store.update_deployment(d, |_, s| s.paused = pause);
    Ok(format!(
        "{name} {}",
        if pause { "paused" } else { "resumed" }
    ))
}

/// Applies label or annotation edits to a map; whether it changed.
fn apply_edit(map: &mut BTreeMap<String, String>, edit: &MetaEdit) -> Result<bool, String> {
    let before = map.clone();
    for (k, v) in &edit.set {
        if let Some(old) = map.get(k)
            && old != v
            && !edit.overwrite
        {
            return Err(format!(
                "'{k}' already has a value ({old}), and --overwrite is false"
            ));
        }
        map.insert(k.clone(), v.clone());
    }
    for k in &edit.remove {
        map.remove(k);
    }
    Ok(*map != before)
}

/// `label` (`labels`) or `annotate` on any object found.
fn meta_edit(f: Found, edit: &MetaEdit, labels: bool, ctx: Ctx) -> Result<bool, String> {
    let store: &mut Store = ctx.store;
    let meta = match f {
        Found::Pod(p) => &store.pod(p).meta,
        Found::Node(n) => &store.node(n).meta,
        Found::Deployment(d) => &store.deployment(d).meta,
        Found::ReplicaSet(rs) => &store.replica_set(rs).meta,
        Found::DaemonSet(ds) => &store.daemon_set(ds).meta,
        Found::StatefulSet(ss) => &store.stateful_set(ss).meta,
    };
    let (mut l, mut a) = (meta.labels.clone(), meta.annotations.clone());
    let target = if labels {
        Arc::make_mut(&mut l)
    } else {
        Arc::make_mut(&mut a)
    };
    if !apply_edit(target, edit)? {
        return Ok(false);
    }
    match f {
        Found::Pod(p) => store.edit_pod_meta(p, |pl, pa| {
            *pl = (*l).clone();
            *pa = (*a).clone();
        }),
        Found::Node(n) if labels => store.set_node_labels(n, (*l).clone()),
        Found::Node(n) => store.set_node_annotations(n, (*a).clone()),
        Found::Deployment(d) => store.update_deployment(d, |m, _| {
            m.labels = l;
            m.annotations = a;
        }),
        Found::ReplicaSet(rs) => store.update_replica_set(rs, |m, _| {
            m.labels = l;
            m.annotations = a;
        }),
        Found::DaemonSet(ds) => store.update_daemon_set(ds, |m, _| {
            m.labels = l;
            m.annotations = a;
        }),
        Found::StatefulSet(ss) => store.update_stateful_set(ss, |m, _| {
            m.labels = l;
            m.annotations = a;
        }),
    }
    Ok(true)
}

/// `taint`: taints added (or changed, with `--overwrite`) and removed. As upstream's
/// kubectl (`staging/src/k8s.io/kubectl/pkg/cmd/taint`), it sends no `timeAdded`, and the API
/// server sets none (only the node lifecycle controller writes it, on the taints it adds).
fn taint(
    f: Found,
    add: &[Taint],
    remove: &[(String, Option<TaintEffect>)],
    overwrite: bool,
    name: &str,
    ctx: Ctx,
) -> Result<String, String> {
    let Found::Node(n) = f else {
        return Err("only nodes are tainted".into());
    };
    let node = ctx.store.node(n);
    let mut taints = node.taints.clone();
    for t in add {
        if let Some(old) = taints
            .iter_mut()
            .find(|o| o.key == t.key && o.effect == t.effect)
        {
            if old.value != t.value && !overwrite {
                return Err(format!(
                    "node {} already has {} taint(s) with same effect(s) and --overwrite is false",
                    node.meta.name, t.key
                ));
            }
            old.value = t.value.clone();
            old.time_added = t.time_added;
        } else {
            taints.push(t.clone());
        }
    }
    for (key, effect) in remove {
        let before = taints.len();
        taints.retain(|t| !(t.key == *key && effect.is_none_or(|e| e == t.effect)));
        if taints.len() == before {
            let spec = match effect {
                Some(e) => format!("{key}:{}", e.as_str()),
                None => key.clone(),
            };
            return Err(format!("taint {spec:?} not found"));
        }
    }
    ctx.store.set_node_taints(n, taints);
    Ok(match (add.is_empty(), remove.is_empty()) {
        (false, true) => format!("{name} tainted"),
        (true, false) => format!("{name} untainted"),
        _ => format!("{name} modified"),
    })
}

/// `cordon` and `uncordon`.
pub(super) fn cordon(node: &str, on: bool, out: &mut Output, ctx: Ctx) {
    let Some(n) = ctx.store.node_id(node) else {
        return out.error(
            format!("Error from server (NotFound): nodes {node:?} not found"),
            ctx,
        );
    };
    let verb = if on { "cordoned" } else { "uncordoned" };
    if ctx.store.node(n).unschedulable == on {
        return out.line(format!("node/{node} already {verb}"), ctx);
    }
    ctx.store.set_unschedulable(n, on);
    out.line(format!("node/{node} {verb}"), ctx);
}
