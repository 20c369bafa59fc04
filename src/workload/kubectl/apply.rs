//! `kubectl apply -f`: each object created through admission (a pod through LimitRanger and
//! ResourceQuota, a workload through its object-count quotas), or, when it exists, its spec
//! replaced (kubesim does not keep `last-applied-configuration`: the applied spec is the
//! whole new spec). Pods, Jobs, Services and budgets that exist are left `unchanged`.

use super::{Ctx, Kubectl, Output};
use crate::api::ObjectMeta;
use crate::api::kubectl::Applied;
use crate::store::Store;
use crate::store::admission::object_counts;

/// What applying one object did, as kubectl prints it.
enum Outcome {
    Created,
    Configured,
    Unchanged,
}

/// A new workload's object-count quotas, in the API server's words when refused.
fn admit(store: &mut Store, kind: &str, meta: &ObjectMeta) -> Result<(), String> {
    let (resource, counts) = object_counts(kind);
    store
        .admit_count(&meta.namespace, resource, &meta.name, counts)
        .map_err(|e| format!("Error from server (Forbidden): {e}"))
}

/// Creates or updates a workload: `get` finds it, `same` compares its spec, `update` and
/// `create` write it.
fn upsert<I: Copy>(
    store: &mut Store,
    kind: &str,
    meta: &ObjectMeta,
    get: impl Fn(&Store) -> Option<I>,
    same: impl Fn(&Store, I) -> bool,
    update: impl FnOnce(&mut Store, I),
    create: impl FnOnce(&mut Store),
) -> Result<Outcome, String> {
    match get(store) {
        Some(id) if same(store, id) => Ok(Outcome::Unchanged),
        Some(id) => {
            update(store, id);
            Ok(Outcome::Configured)
        }
        None => {
            admit(store, kind, meta)?;
            create(store);
            Ok(Outcome::Created)
        }
    }
}

impl Kubectl {
    /// `apply -f`: each object created, or updated when it exists.
    pub(super) fn apply(&mut self, objects: &[Applied], out: &mut Output, ctx: Ctx) {
        let now = ctx.now();
        for a in objects {
            let (name, result) = apply_one(a, ctx.store, now);
            match result {
                Ok(o) => {
                    let verb = match o {
                        Outcome::Created => "created",
                        Outcome::Configured => "configured",
                        Outcome::Unchanged => "unchanged",
                    };
                    out.line(format!("{name} {verb}"), ctx);
                }
                Err(e) => out.error(e, ctx),
            }
        }
    }
}

/// Applies one object: its printed name and what happened.
fn apply_one(
    a: &Applied,
    store: &mut Store,
    now: crate::engine::SimTime,
) -> (String, Result<Outcome, String>) {
    match a {
        Applied::Deployment(meta, spec) => (
            format!("deployment.apps/{}", meta.name),
            upsert(
                store,
                "Deployment",
                meta,
                |s| s.deployment_id(&meta.namespace, &meta.name),
                |s, id| s.deployment(id).spec == **spec,
                |s, id| s.update_deployment(id, |_, x| *x = (**spec).clone()),
                |s| {
                    s.create_deployment(meta.clone(), (**spec).clone(), now);
                },
            ),
        ),
        Applied::ReplicaSet(meta, spec) => (
            match spec.kind.kind() {
                "ReplicaSet" => format!("replicaset.apps/{}", meta.name),
                _ => format!("replicationcontroller/{}", meta.name),
            },
            upsert(
                store,
                spec.kind.kind(),
                meta,
                |s| s.replica_set_id(&meta.namespace, &meta.name),
                |s, id| s.replica_set(id).spec == **spec,
                |s, id| s.update_replica_set(id, |_, x| *x = (**spec).clone()),
                |s| {
                    s.create_replica_set(meta.clone(), (**spec).clone(), now);
                },
            ),
        ),
        Applied::DaemonSet(meta, spec) => (
            format!("daemonset.apps/{}", meta.name),
            upsert(
                store,
                "DaemonSet",
                meta,
                |s| s.daemon_set_id(&meta.namespace, &meta.name),
                |s, id| s.daemon_set(id).spec == **spec,
                |s, id| s.update_daemon_set(id, |_, x| *x = (**spec).clone()),
                |s| {
                    s.create_daemon_set(meta.clone(), (**spec).clone(), now);
                },
            ),
        ),
        Applied::StatefulSet(meta, spec) => (
            format!("statefulset.apps/{}", meta.name),
            upsert(
                store,
                "StatefulSet",
                meta,
                |s| s.stateful_set_id(&meta.namespace, &meta.name),
                |s, id| s.stateful_set(id).spec == **spec,
                |s, id| s.update_stateful_set(id, |_, x| *x = (**spec).clone()),
                |s| {
                    s.create_stateful_set(meta.clone(), (**spec).clone(), now);
                },
            ),
        ),
        Applied::Job(meta, spec) => (
            format!("job.batch/{}", meta.name),
            upsert(
                store,
                "Job",
                meta,
                |s| s.job_id(&meta.namespace, &meta.name),
                |_, _| true,
                |_, _| {},
                |s| {
                    s.create_job(meta.clone(), (**spec).clone(), now);
                },
            ),
        ),
        Applied::Pod(pod) => {
            let name = format!("pod/{}", pod.meta.name);
            if store.pod_exists(&pod.meta.namespace, &pod.meta.name) {
                return (name, Ok(Outcome::Unchanged));
            }
            let mut p = (**pod).clone();
            p.status.created = now;
            let result = store.admit_pod(p).map(|id| {
                let node = pod.spec.node_name.as_deref().and_then(|n| store.node_id(n));
                if let Some(node) = node {
                    store.bind(id, node, now);
                }
                Outcome::Created
            });
            (
                name,
                result.map_err(|e| format!("Error from server (Forbidden): {e}")),
            )
        }
        Applied::Service(svc) => {
            let name = format!("service/{}", svc.name);
            if store
                .services()
                .iter()
                .any(|o| o.namespace == svc.namespace && o.name == svc.name)
            {
                return (name, Ok(Outcome::Unchanged));
            }
            let meta = ObjectMeta::named(&svc.namespace, &svc.name);
            let result = admit(store, "Service", &meta).map(|()| {
                store.add_service(svc.clone());
                Outcome::Created
            });
            (name, result)
        }
        Applied::PodDisruptionBudget(b) => {
            let name = format!("poddisruptionbudget.policy/{}", b.name);
            if store
                .pdbs()
                .iter()
                .any(|o| o.namespace == b.namespace && o.name == b.name)
            {
                return (name, Ok(Outcome::Unchanged));
            }
            store.add_pdb(b.clone());
            (name, Ok(Outcome::Created))
        }
        Applied::Node(node) => {
            let name = format!("node/{}", node.meta.name);
            if store.node_id(&node.meta.name).is_some() {
                return (name, Ok(Outcome::Unchanged));
            }
            store.add_node((**node).clone());
            (name, Ok(Outcome::Created))
        }
    }
}
