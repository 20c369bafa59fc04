//! Sizing a Deployment's ReplicaSets: the new ReplicaSet and its annotations
//! (`getNewReplicaSet` in `sync.go`, `SetNewReplicaSetAnnotations` in `deployment_util.go`),
//! scaling one with its `ScalingReplicaSet` Event (`scaleReplicaSet`), proportional scaling
//! when `spec.replicas` changes mid-rollout (`scale`, `GetProportion`), and the clean-up of
//! old ReplicaSets beyond `revisionHistoryLimit` (`cleanupDeployment`).

use super::{Ctx, DeploymentController, Sets, by_creation, revision, size};
use crate::api::ObjectMeta;
use crate::api::apps::{
    ANNOTATION_DESIRED_REPLICAS, ANNOTATION_MAX_REPLICAS, ANNOTATION_REVISION,
    ANNOTATION_REVISION_HISTORY, LABEL_POD_TEMPLATE_HASH, PodTemplate, ReplicaSetKind,
    ReplicaSetSpec,
};
use crate::api::event::EventType;
use crate::controllers::pod_control::controller_ref;
use crate::store::{ConditionStatus, DeploymentId, ReplicaSetId, Store};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Longest `revision-history` annotation kept (`maxRevHistoryLengthInChars`).
const MAX_REVISION_HISTORY_CHARS: usize = 2000;

/// Deployment annotations not copied onto its ReplicaSets (`annotationsToSkip`).
const NOT_COPIED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    ANNOTATION_REVISION,
    ANNOTATION_REVISION_HISTORY,
    ANNOTATION_DESIRED_REPLICAS,
    ANNOTATION_MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// Whether an active ReplicaSet was last scaled for another `spec.replicas`
/// (`isScalingEvent`).
pub(super) fn is_scaling_event(store: &Store, d: DeploymentId, sets: &Sets) -> bool {
    let replicas = store.deployment(d).spec.replicas.to_string();
    sets.all().any(|rs| {
        let r = store.replica_set(rs);
        r.spec.replicas > 0
            && r.meta
                .annotations
                .get(ANNOTATION_DESIRED_REPLICAS)
                .is_some_and(|v| v.parse::<i64>().is_ok() && *v != replicas)
    })
}

/// `desired-replicas` and `max-replicas` as the Deployment wants them now.
fn replicas_annotations(store: &Store, d: DeploymentId) -> [(&'static str, String); 2] {
    let spec = &store.deployment(d).spec;
    let replicas = i64::from(spec.replicas);
    [
        (ANNOTATION_DESIRED_REPLICAS, replicas.to_string()),
        (
            ANNOTATION_MAX_REPLICAS,
            (replicas + spec.fenceposts().0).to_string(),
        ),
    ]
}

/// The Deployment's annotations a ReplicaSet carries (`copyDeploymentAnnotationsToReplicaSet`);
/// whether any changed.
fn copy_annotations(from: &BTreeMap<String, String>, to: &mut BTreeMap<String, String>) -> bool {
    let mut changed = false;
    for (k, v) in from {
        if NOT_COPIED.contains(&k.as_str()) || to.get(k) == Some(v) {
            continue;
        }
        to.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// Raises a ReplicaSet's revision to `new` (keeping the one it had in its history) and
/// copies the Deployment's annotations (`SetNewReplicaSetAnnotations`).
fn set_new_annotations(
    from: &BTreeMap<String, String>,
    to: &mut BTreeMap<String, String>,
    new: u64,
) {
    copy_annotations(from, to);
    let old = to.get(ANNOTATION_REVISION).cloned();
    let old_number = old.as_deref().map_or(Some(0), |o| o.parse::<u64>().ok());
    let Some(old_number) = old_number else {
        return; // an unreadable revision is left alone, as upstream leaves it
    };
    if old_number >= new {
        return;
    }
    to.insert(ANNOTATION_REVISION.into(), new.to_string());
    let Some(old) = old else {
        return;
    };
    // Re-used as the new ReplicaSet (a rollback): its old revision joins its history.
    let history = to
        .get(ANNOTATION_REVISION_HISTORY)
        .cloned()
        .unwrap_or_default();
    let mut revisions: Vec<&str> = history.split(',').filter(|r| !r.is_empty()).collect();
    revisions.push(&old);
    while revisions.len() > 1 && revisions.join(",").len() > MAX_REVISION_HISTORY_CHARS {
        revisions.remove(0);
    }
    to.insert(ANNOTATION_REVISION_HISTORY.into(), revisions.join(","));
}

impl DeploymentController {
    /// Sets a ReplicaSet's size for the Deployment, refreshing its replicas annotations;
    /// records `Scaled up|down replica set NAME from A to B` when the size changed. Whether
    /// it did.
    pub(super) fn scale_rs(
        &mut self,
        d: DeploymentId,
        rs: ReplicaSetId,
        to: i64,
        ctx: Ctx,
    ) -> bool {
        let from = size(ctx.store, rs);
        let wanted = replicas_annotations(ctx.store, d);
        let to = to.max(0);
        ctx.store.update_replica_set(rs, |meta, spec| {
            spec.replicas = to as u32;
            for (k, v) in &wanted {
                if meta.annotations.get(*k) != Some(v) {
                    Arc::make_mut(&mut meta.annotations).insert((*k).into(), v.clone());
                }
            }
        });
        if from == to {
            return false;
        }
        let name = ctx.store.replica_set(rs).meta.name.clone();
        let way = if from < to { "up" } else { "down" };
        let object = self.object(d, ctx.store);
        let msg = format!("Scaled {way} replica set {name} from {from} to {to}");
        ctx.record(EventType::Normal, "ScalingReplicaSet", object, msg);
        true
    }

    /// Scales a ReplicaSet whose size differs (`scaleReplicaSetAndRecordEvent`).
    pub(super) fn scale_if_needed(
        &mut self,
        d: DeploymentId,
        rs: ReplicaSetId,
        to: i64,
        ctx: Ctx,
    ) -> bool {
        size(ctx.store, rs) != to && self.scale_rs(d, rs, to, ctx)
    }

    /// Creates the ReplicaSet of the Deployment's template, named by its hash, at its
    /// first size (`getNewReplicaSet` with `createIfNotExisted`). A name taken by another
    /// ReplicaSet counts a collision; the next sync hashes again.
    pub(super) fn create_new(
        &mut self,
        d: DeploymentId,
        old: &[ReplicaSetId],
        revision: u64,
        ctx: Ctx,
    ) -> Option<ReplicaSetId> {
        let dep = ctx.store.deployment(d);
        let hash = dep.spec.template.hash(dep.status.collision_count);
        let name = format!("{}-{hash}", dep.meta.name);
        if ctx
            .store
            .replica_set_id(&dep.meta.namespace, &name)
            .is_some()
        {
            let count = dep.status.collision_count.unwrap_or(0) + 1;
            ctx.store
                .update_deployment_status(d, |st| st.collision_count = Some(count));
            return None;
        }
        let mut template = dep.spec.template.clone();
        Arc::make_mut(&mut template.meta.labels)
            .insert(LABEL_POD_TEMPLATE_HASH.into(), hash.clone());
        let mut annotations = BTreeMap::new();
        set_new_annotations(&dep.meta.annotations, &mut annotations, revision);
        for (k, v) in replicas_annotations(ctx.store, d) {
            annotations.insert(k.into(), v);
        }
        let meta = ObjectMeta {
            labels: template.meta.labels.clone(),
            annotations: Arc::new(annotations),
            owner_references: Arc::from([controller_ref("apps/v1", "Deployment", &dep.meta)]),
            ..ObjectMeta::named(&dep.meta.namespace, &name)
        };
        let spec = ReplicaSetSpec {
            kind: ReplicaSetKind::ReplicaSet,
            replicas: 0,
            selector: dep.spec.selector.with_label(LABEL_POD_TEMPLATE_HASH, &hash),
            min_ready_ms: dep.spec.min_ready_ms,
            template: PodTemplate {
                meta: template.meta,
                spec: template.spec,
            },
        };
        let replicas = self.first_size(d, old, ctx.store);
        let (resource, counts) = crate::store::admission::object_counts("ReplicaSet");
        if let Err(e) = ctx
            .store
            .admit_count(&meta.namespace, resource, &name, counts)
        {
            // `ReplicaSetCreateError`; the next sync tries again.
            let object = self.object(d, ctx.store);
            let msg = format!("Failed to create new replica set {name:?}: {e}");
            ctx.record(
                EventType::Warning,
                "ReplicaSetCreateError",
                object,
                msg.clone(),
            );
            if ctx.store.deployment(d).spec.progress_deadline_ms.is_some() {
                super::status::set_condition(
                    d,
                    "Progressing",
                    ConditionStatus::False,
                    "ReplicaSetCreateError",
                    msg,
                    ctx,
                );
            }
            return None;
        }
        let rs = ctx.store.create_replica_set(
            meta,
            ReplicaSetSpec {
                replicas: replicas as u32,
                ..spec
            },
            ctx.now(),
        );
        let object = self.object(d, ctx.store);
        if replicas > 0 {
            let msg = format!("Scaled up replica set {name} from 0 to {replicas}");
            ctx.record(EventType::Normal, "ScalingReplicaSet", object, msg);
        }
        if ctx.store.deployment(d).spec.progress_deadline_ms.is_some() {
            let msg = format!("Created new replica set {name:?}");
            super::status::set_condition(
                d,
                "Progressing",
                ConditionStatus::True,
                "NewReplicaSetCreated",
                msg,
                ctx,
            );
        }
        Some(rs)
    }

    /// The new ReplicaSet's first size (`NewRSNewReplicas` with no new pods yet): all the
    /// replicas for Recreate, what the surge allows for RollingUpdate.
    fn first_size(&self, d: DeploymentId, old: &[ReplicaSetId], store: &Store) -> i64 {
        let spec = &store.deployment(d).spec;
        let replicas = i64::from(spec.replicas);
        match spec.fenceposts() {
            (0, 0) => replicas,
            _ => {
                let current: i64 = old.iter().map(|&rs| size(store, rs)).sum();
                super::rollout::new_rs_replicas(replicas, surge(store, d), current, 0)
            }
        }
    }

    /// Scales the ReplicaSets to `spec.replicas` without rolling out (`scale` in `sync.go`):
    /// the only active one (or the newest) takes them all; a saturated new one leaves the
    /// old ones none; otherwise, during a rolling update, the change is shared in
    /// proportion to their sizes.
    pub(super) fn scale(&mut self, d: DeploymentId, sets: &Sets, ctx: Ctx) {
        let replicas = i64::from(ctx.store.deployment(d).spec.replicas);
        let mut active: Vec<ReplicaSetId> =
            sets.all().filter(|&rs| size(ctx.store, rs) > 0).collect();
        if active.len() <= 1 {
            let target = active.first().copied().or(sets.new).or_else(|| {
                sets.old
                    .iter()
                    .copied()
                    .max_by(|&a, &b| by_creation(ctx.store, a, b))
            });
            if let Some(rs) = target {
                self.scale_if_needed(d, rs, replicas, ctx);
            }
            return;
        }
        if let Some(new) = sets.new
            && is_saturated(ctx.store, d, new)
        {
            for rs in active.into_iter().filter(|&rs| rs != new) {
                self.scale_if_needed(d, rs, 0, ctx);
            }
            return;
        }
        if ctx.store.deployment(d).spec.fenceposts() == (0, 0) {
            return; // Recreate shares nothing
        }
        let allowed = if replicas > 0 {
            replicas + surge(ctx.store, d)
        } else {
            0
        };
        let to_add = allowed - active.iter().map(|&rs| size(ctx.store, rs)).sum::<i64>();
        // Larger first; equal sizes newer first when growing, older first when shrinking.
        active.sort_by(|&a, &b| {
            size(ctx.store, b)
                .cmp(&size(ctx.store, a))
                .then_with(|| match to_add > 0 {
                    true => by_creation(ctx.store, b, a),
                    false => by_creation(ctx.store, a, b),
                })
        });
        let mut added = 0;
        let mut sizes: Vec<i64> = Vec::with_capacity(active.len());
        for &rs in &active {
            let mut n = size(ctx.store, rs);
            if to_add != 0 {
                let p = proportion(ctx.store, d, rs, to_add, added);
                n += p;
                added += p;
            }
            sizes.push(n);
        }
        if to_add != 0 {
            sizes[0] = (sizes[0] + to_add - added).max(0);
        }
        for (rs, n) in active.into_iter().zip(sizes) {
            self.scale_rs(d, rs, n, ctx);
        }
    }

    /// Deletes the oldest revisions of ReplicaSets scaled to nothing beyond
    /// `revisionHistoryLimit` (`cleanupDeployment`).
    pub(super) fn cleanup(&mut self, d: DeploymentId, sets: &Sets, ctx: Ctx) {
        let limit = ctx.store.deployment(d).spec.revision_history_limit as usize;
        let mut old = sets.old.clone();
        if old.len() <= limit {
            return;
        }
        old.sort_by(|&a, &b| {
            revision(ctx.store, a)
                .unwrap_or(0)
                .cmp(&revision(ctx.store, b).unwrap_or(0))
                .then_with(|| by_creation(ctx.store, a, b))
        });
        let diff = old.len() - limit;
        for rs in old.into_iter().take(diff) {
            let r = ctx.store.replica_set(rs);
            if r.status.replicas == 0
                && r.spec.replicas == 0
                && r.generation <= r.status.observed_generation
            {
                ctx.store.delete_replica_set(rs);
            }
        }
    }
}

/// The Deployment's resolved `maxSurge` (0 for Recreate).
pub(super) fn surge(store: &Store, d: DeploymentId) -> i64 {
    store.deployment(d).spec.fenceposts().0
}

/// Whether the new ReplicaSet holds every replica, all available (`IsSaturated`).
fn is_saturated(store: &Store, d: DeploymentId, rs: ReplicaSetId) -> bool {
    let replicas = store.deployment(d).spec.replicas;
    let r = store.replica_set(rs);
    let desired = r
        .meta
        .annotations
        .get(ANNOTATION_DESIRED_REPLICAS)
        .and_then(|v| v.parse::<u32>().ok());
    r.spec.replicas == replicas && desired == Some(replicas) && r.status.available == replicas
}

/// A ReplicaSet's share of `to_add` replicas, `added` being given out already
/// (`GetProportion`, `getReplicaSetFraction`): its size scaled by the Deployment's new
/// `replicas + maxSurge` over the one of its `max-replicas` annotation, rounded half away
/// from zero, bounded by what is left to give.
fn proportion(store: &Store, d: DeploymentId, rs: ReplicaSetId, to_add: i64, added: i64) -> i64 {
    let n = size(store, rs);
    if n == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let dep = store.deployment(d);
    let replicas = i64::from(dep.spec.replicas);
    let fraction = if replicas == 0 {
        -n
    } else {
        let max_now = replicas + surge(store, d);
        let before = store
            .replica_set(rs)
            .meta
            .annotations
            .get(ANNOTATION_MAX_REPLICAS)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|&m| m != 0)
            .unwrap_or(i64::from(dep.status.replicas));
        if before == 0 {
            0
        } else {
            ((n * max_now) as f64 / before as f64).round() as i64 - n
        }
    };
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// Brings an existing new ReplicaSet's annotations and `minReadySeconds` up to date.
pub(super) fn sync_new_annotations(d: DeploymentId, rs: ReplicaSetId, revision: u64, ctx: Ctx) {
    let dep = ctx.store.deployment(d);
    let (from, min_ready) = (dep.meta.annotations.clone(), dep.spec.min_ready_ms);
    let has_deadline = dep.spec.progress_deadline_ms.is_some();
    let no_condition = dep.status.condition("Progressing").is_none();
    let current = ctx.store.replica_set(rs);
    let mut annotations = (*current.meta.annotations).clone();
    set_new_annotations(&from, &mut annotations, revision);
    // Most syncs change nothing here: skip the write (and its comparison of the whole spec).
    if annotations != *current.meta.annotations || current.spec.min_ready_ms != min_ready {
        ctx.store.update_replica_set(rs, |meta, spec| {
            if annotations != *meta.annotations {
                meta.annotations = Arc::new(annotations);
            }
            spec.min_ready_ms = min_ready;
        });
    }
    if has_deadline && no_condition {
        let name = ctx.store.replica_set(rs).meta.name.clone();
        let msg = format!("Found new replica set {name:?}");
        super::status::set_condition(
            d,
            "Progressing",
            ConditionStatus::True,
            "FoundNewReplicaSet",
            msg,
            ctx,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_replica_set_keeps_its_old_revisions() {
        let deployment: BTreeMap<String, String> = [
            ("team".to_string(), "a".to_string()),
            (ANNOTATION_REVISION.into(), "9".into()),
        ]
        .into();
        let mut rs = BTreeMap::new();
        set_new_annotations(&deployment, &mut rs, 1);
        assert_eq!(rs.get(ANNOTATION_REVISION).map(String::as_str), Some("1"));
        assert_eq!(rs.get("team").map(String::as_str), Some("a"));
        assert!(!rs.contains_key(ANNOTATION_REVISION_HISTORY));
        // Rolled back to: revision 1 becomes 4, then 6.
        set_new_annotations(&deployment, &mut rs, 4);
        set_new_annotations(&deployment, &mut rs, 6);
        assert_eq!(rs.get(ANNOTATION_REVISION).map(String::as_str), Some("6"));
        assert_eq!(
            rs.get(ANNOTATION_REVISION_HISTORY).map(String::as_str),
            Some("1,4")
        );
        // Never lowered.
        set_new_annotations(&deployment, &mut rs, 2);
        assert_eq!(rs.get(ANNOTATION_REVISION).map(String::as_str), Some("6"));
    }
}
