//! The StatefulSet controller (`pkg/controller/statefulset/stateful_set_control.go`,
//! `stateful_pod_control.go`, `stateful_set_utils.go`): pods with stable names `SET-0`,
//! `SET-1`, ..., each with its own claims `CLAIM-SET-ORDINAL` that outlive it.
//!
//! One sync (`updateStatefulSet`), in ordinal order:
//!
//! 1. each missing pod is created (its claims first); a finished pod is deleted, to be
//!    created again by the next sync. With `OrderedReady` (the default) the sync stops after
//!    one creation and at the first pod not Running and Ready (and available for
//!    `minReadySeconds`); with `Parallel` it goes on;
//! 2. pods beyond `replicas` are deleted from the highest ordinal, one per sync under
//!    `OrderedReady`, each once it and those below it are healthy;
//! 3. RollingUpdate: from the highest ordinal down to `partition`, the first pod of an older
//!    revision is deleted (one per sync; it comes back at the new revision), waiting while a
//!    pod is unhealthy.
//!
//! A revision is `SET-HASH` of the template (upstream's ControllerRevision name), in each
//! pod's `controller-revision-hash` label; a pod below the partition is created at the
//! current revision, whose template the controller keeps. Claims stay when pods go
//! (`persistentVolumeClaimRetentionPolicy` Retain, the default).

use super::pod_control::controller_ref;
use crate::api::ObjectMeta;
use crate::api::apps::{
    LABEL_CONTROLLER_REVISION_HASH, LABEL_POD_INDEX, LABEL_STATEFULSET_POD_NAME, PodManagement,
    PodTemplate, StatefulSetUpdate,
};
use crate::api::event::EventType;
use crate::api::meta::{OwnerReference, Uid};
use crate::api::pod::{Phase, Pod, PodStatus, PodVolume};
use crate::component::{Component, Context};
use crate::engine::SimTime;
use crate::store::{
    ArenaId, Change, ChangeKind, PodId, StatefulSetId, Store, Watch, WorkloadChange,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatefulSetEvent {
    /// Reconcile a StatefulSet.
    Sync(StatefulSetId),
}

/// What the controller keeps per StatefulSet.
#[derive(Default)]
struct SetState {
    owners: Option<Arc<[OwnerReference]>>,
    object: Option<Arc<str>>,
    /// The templates of its revisions, by revision name (upstream's ControllerRevisions).
    revisions: BTreeMap<String, PodTemplate>,
}

/// The controller.
#[derive(Default)]
pub struct StatefulSetController {
    sets: Vec<SetState>,
    /// Retry delays after refused creates.
    retries: super::pod_control::RetryBackoff<StatefulSetId>,
    queue: super::queue::WorkQueue<StatefulSetId>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, StatefulSetEvent>;

impl Component for StatefulSetController {
    type Event = StatefulSetEvent;

    fn name(&self) -> &str {
        "controllers/statefulset"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::StatefulSet,
            ChangeKind::PodCreated,
            ChangeKind::PodPhase,
            ChangeKind::PodReady,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::StatefulSet { id, what } => match what {
                WorkloadChange::Created | WorkloadChange::Spec => self.enqueue(id, ctx),
                WorkloadChange::Status | WorkloadChange::Deleted => {}
            },
            Change::PodCreated(pod)
            | Change::PodPhase { pod, .. }
            | Change::PodReady { pod, .. }
            | Change::PodTerminating(pod)
            | Change::PodDeleted(pod) => {
                let Some(set) = set_of(ctx.store, pod) else {
                    return;
                };
                self.enqueue(set, ctx);
                let min_ready = ctx.store.stateful_set(set).spec.min_ready_ms;
                if matches!(change, Change::PodReady { ready: true, .. }) && min_ready > 0 {
                    ctx.after(min_ready + 1_000, StatefulSetEvent::Sync(set));
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: StatefulSetEvent, ctx: Ctx) {
        match event {
            StatefulSetEvent::Sync(set) => {
                self.queue.done(set);
                if ctx.store.stateful_set_is_live(set) {
                    self.sync(set, ctx);
                }
            }
        }
    }
}

/// The live StatefulSet controlling a pod.
fn set_of(store: &Store, pod: PodId) -> Option<StatefulSetId> {
    let owner = store.pod(pod).meta.controller()?;
    if &*owner.kind != "StatefulSet" {
        return None;
    }
    store.stateful_set_by_uid(&owner.uid)
}

/// Running and Ready, not being deleted (`isRunningAndReady`, `isHealthy`).
fn healthy(pod: &Pod) -> bool {
    pod.phase() == Phase::Running && pod.status.ready && pod.status.terminating.is_none()
}

/// Ready for `min_ready` (`IsPodAvailable`).
fn available(pod: &Pod, min_ready: i64, now: SimTime) -> bool {
    pod.status.ready
        && pod
            .status
            .ready_since
            .is_some_and(|t| min_ready == 0 || t.ms() + min_ready < now.ms())
}

/// A pod's revision (`controller-revision-hash`).
fn revision(pod: &Pod) -> Option<&str> {
    pod.meta
        .labels
        .get(LABEL_CONTROLLER_REVISION_HASH)
        .map(String::as_str)
}

/// What a sync does next, after a step: go on, or stop here.
enum Step {
    Continue,
    Stop,
}

impl StatefulSetController {
    fn state(&mut self, set: StatefulSetId) -> &mut SetState {
        if self.sets.len() <= set.index() {
            self.sets.resize_with(set.index() + 1, SetState::default);
        }
        &mut self.sets[set.index()]
    }

    fn enqueue(&mut self, set: StatefulSetId, ctx: Ctx) {
        self.queue.add(set, StatefulSetEvent::Sync(set), ctx);
    }

    /// The set's pods by ordinal (names `SET-N`; others are not its).
    fn pods(store: &Store, set: StatefulSetId) -> BTreeMap<u32, PodId> {
        let s = store.stateful_set(set);
        let prefix = format!("{}-", s.meta.name);
        store
            .pods_of_controller(&s.meta.uid)
            .iter()
            .filter_map(|&p| {
                let ordinal = store.pod(p).meta.name.strip_prefix(&prefix)?.parse().ok()?;
                Some((ordinal, p))
            })
            .collect()
    }

    fn sync(&mut self, set: StatefulSetId, ctx: Ctx) {
        let s = ctx.store.stateful_set(set);
        let update_rev = format!("{}-{}", s.meta.name, s.spec.template.hash(None));
        let current_rev = match s.status.current_revision.as_str() {
            "" => update_rev.clone(),
            r => r.to_string(),
        };
        let template = s.spec.template.clone();
        self.state(set)
            .revisions
            .entry(update_rev.clone())
            .or_insert(template);
        let _ = self.reconcile(set, &current_rev, &update_rev, ctx);
        self.write_status(set, &current_rev, &update_rev, ctx);
    }

    /// Steps 1-3 of the sync.
    fn reconcile(
        &mut self,
        set: StatefulSetId,
        current_rev: &str,
        update_rev: &str,
        ctx: Ctx,
    ) -> Step {
        let s = ctx.store.stateful_set(set);
        let (start, replicas) = (s.spec.ordinals_start, s.spec.replicas);
        let monotonic = s.spec.pod_management == PodManagement::OrderedReady;
        let (min_ready, update) = (s.spec.min_ready_ms, s.spec.update);
        let pods = Self::pods(ctx.store, set);
        let now = ctx.now();
        let in_range = |o: u32| o >= start && o < start.saturating_add(replicas);
        // The lowest unhealthy pod, in range first (`firstUnhealthyPod`).
        let first_unhealthy = pods
            .iter()
            .filter(|(o, _)| in_range(**o))
            .chain(pods.iter().filter(|(o, _)| !in_range(**o)))
            .find(|(_, p)| !healthy(ctx.store.pod(**p)))
            .map(|(_, p)| *p);
        for ordinal in start..start.saturating_add(replicas) {
            let step = match pods.get(&ordinal) {
                None => {
                    let rev = match update {
                        StatefulSetUpdate::RollingUpdate { partition }
                            if ordinal < start.saturating_add(partition) =>
                        {
                            current_rev
                        }
                        _ => update_rev,
                    };
                    self.create(set, ordinal, rev, ctx);
                    if monotonic {
                        Step::Stop
                    } else {
                        Step::Continue
                    }
                }
                Some(&p) => {
                    let pod = ctx.store.pod(p);
                    if pod.phase().is_terminal() && pod.status.terminating.is_none() {
                        // Deleted, to be created again; `Parallel` goes on with the others.
                        self.delete(set, p, ctx);
                        if monotonic {
                            Step::Stop
                        } else {
                            Step::Continue
                        }
                    } else if monotonic && (!healthy(pod) || !available(pod, min_ready, now)) {
                        Step::Stop
                    } else {
                        Step::Continue
                    }
                }
            };
            if let Step::Stop = step {
                return Step::Stop;
            }
        }
        // Scale down, highest ordinal first.
        for (&ordinal, &p) in pods.iter().rev().filter(|(o, _)| !in_range(**o)) {
            let _ = ordinal;
            let pod = ctx.store.pod(p);
            if pod.status.terminating.is_some() {
                if monotonic {
                    return Step::Stop;
                }
                continue;
            }
            if monotonic
                && !(healthy(pod) && available(pod, min_ready, now))
                && Some(p) != first_unhealthy
            {
                return Step::Stop;
            }
            self.delete(set, p, ctx);
            if monotonic {
                return Step::Stop;
            }
        }
        // Rolling update, highest ordinal first down to the partition.
        if let StatefulSetUpdate::RollingUpdate { partition } = update {
            for ordinal in (start.saturating_add(partition)..start.saturating_add(replicas)).rev() {
                let Some(&p) = pods.get(&ordinal) else {
                    return Step::Stop; // just created: not healthy yet
                };
                let pod = ctx.store.pod(p);
                if revision(pod) != Some(update_rev) && pod.status.terminating.is_none() {
                    self.delete(set, p, ctx);
                    return Step::Stop;
                }
                if !healthy(pod) {
                    return Step::Stop;
                }
            }
        }
        Step::Continue
    }

    /// The owner reference of a set's pods and the object of its Events.
    fn identity(&mut self, set: StatefulSetId, store: &Store) -> (Arc<[OwnerReference]>, Arc<str>) {
        let s = store.stateful_set(set);
        let st = self.state(set);
        let owners = st
            .owners
            .get_or_insert_with(|| Arc::from([controller_ref("apps/v1", "StatefulSet", &s.meta)]))
            .clone();
        let object = st.object.get_or_insert_with(|| s.object().into()).clone();
        (owners, object)
    }

    /// Creates pod `ordinal` at revision `rev`, its missing claims first
    /// (`CreateStatefulPod`, `createPersistentVolumeClaims`).
    fn create(&mut self, set: StatefulSetId, ordinal: u32, rev: &str, ctx: Ctx) {
        let (owners, object) = self.identity(set, ctx.store);
        let s = ctx.store.stateful_set(set);
        let (set_name, namespace) = (s.meta.name.clone(), s.meta.namespace.clone());
        let name = format!("{set_name}-{ordinal}");
        let claims = s.spec.claim_templates.clone();
        let claim_labels = s.spec.template.meta.labels.clone();
        let template = self
            .state(set)
            .revisions
            .get(rev)
            .cloned()
            .unwrap_or_else(|| ctx.store.stateful_set(set).spec.template.clone());
        let mut spec = (*template.spec).clone();
        for (claim, claim_spec) in &claims {
            let pvc = format!("{claim}-{set_name}-{ordinal}");
            spec.volumes.retain(|v| *v.name != **claim);
            spec.volumes.push(PodVolume {
                name: claim.as_str().into(),
                claim_name: pvc.as_str().into(),
            });
            if ctx.store.pvc_id(&namespace, &pvc).is_some() {
                continue;
            }
            let meta = ObjectMeta {
                labels: claim_labels.clone(),
                ..ObjectMeta::named(&namespace, &pvc)
            };
            ctx.store.create_pvc(meta, claim_spec.clone());
            let msg = format!("create Claim {pvc} Pod {name} in StatefulSet {set_name} success");
            ctx.record(EventType::Normal, "SuccessfulCreate", object.clone(), msg);
        }
        let mut labels = (*template.meta.labels).clone();
        labels.insert(LABEL_STATEFULSET_POD_NAME.into(), name.clone());
        labels.insert(LABEL_POD_INDEX.into(), ordinal.to_string());
        labels.insert(LABEL_CONTROLLER_REVISION_HASH.into(), rev.to_string());
        let pod = Pod {
            meta: ObjectMeta {
                name: name.clone(),
                namespace,
                uid: Uid::Unset,
                labels: Arc::new(labels),
                annotations: template.meta.annotations.clone(),
                owner_references: owners,
            },
            spec: Arc::new(spec),
            status: PodStatus {
                created: ctx.now(),
                ..Default::default()
            },
        };
        match ctx.store.admit_pod(pod) {
            Ok(_) => {
                self.retries.forget(&set);
                let msg = format!("create Pod {name} in StatefulSet {set_name} successful");
                ctx.record(EventType::Normal, "SuccessfulCreate", object, msg);
            }
            Err(e) => {
                let msg = format!("create Pod {name} in StatefulSet {set_name} failed error: {e}");
                ctx.record(EventType::Warning, "FailedCreate", object, msg);
                self.retries.retry(set, StatefulSetEvent::Sync(set), ctx);
            }
        }
    }

    /// Deletes a pod with its grace period (`DeleteStatefulPod`).
    fn delete(&mut self, set: StatefulSetId, pod: PodId, ctx: Ctx) {
        let (_, object) = self.identity(set, ctx.store);
        let now = ctx.now();
        if ctx.store.request_deletion(pod, now) {
            let msg = format!(
                "delete Pod {} in StatefulSet {} successful",
                ctx.store.pod(pod).meta.name,
                ctx.store.stateful_set(set).meta.name
            );
            ctx.record(EventType::Normal, "SuccessfulDelete", object, msg);
        }
    }

    /// The status (`computeReplicaStatus`); a rolling update whose pods are all updated and
    /// ready makes the update revision current (`completeRollingUpdate`).
    fn write_status(&mut self, set: StatefulSetId, current_rev: &str, update_rev: &str, ctx: Ctx) {
        let s = ctx.store.stateful_set(set);
        let (min_ready, generation, spec_replicas) =
            (s.spec.min_ready_ms, s.generation, s.spec.replicas);
        let rolling = matches!(s.spec.update, StatefulSetUpdate::RollingUpdate { .. });
        let now = ctx.now();
        let mut st = crate::store::StatefulSetStatus {
            current_revision: current_rev.to_string(),
            update_revision: update_rev.to_string(),
            observed_generation: generation,
            ..Default::default()
        };
        for &p in Self::pods(ctx.store, set).values() {
            let pod = ctx.store.pod(p);
            st.replicas += 1;
            if pod.phase() == Phase::Running && pod.status.ready {
                st.ready += 1;
                st.available += u32::from(available(pod, min_ready, now));
            }
            if pod.status.terminating.is_none() {
                st.current += u32::from(revision(pod) == Some(current_rev));
                st.updated += u32::from(revision(pod) == Some(update_rev));
            }
        }
        if rolling
            && st.updated == st.ready
            && st.ready == st.replicas
            && st.replicas == spec_replicas
        {
            st.current_revision = update_rev.to_string();
            st.current = st.updated;
        }
        ctx.store.update_stateful_set_status(set, |x| *x = st);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::StatefulSetSpec;
    use crate::api::{LabelSelector, Labels};
    use crate::component::Harness;

    fn labels() -> Labels {
        [("app".to_string(), "db".to_string())].into()
    }

    fn spec(replicas: u32, pod_management: PodManagement) -> StatefulSetSpec {
        StatefulSetSpec {
            replicas,
            selector: LabelSelector::from_parts(&labels(), &[]).unwrap(),
            template: PodTemplate {
                meta: ObjectMeta {
                    labels: Arc::new(labels()),
                    ..ObjectMeta::default()
                },
                spec: crate::api::testing::pod("t", 100, 0).spec,
            },
            service_name: Some("db".into()),
            pod_management,
            update: StatefulSetUpdate::RollingUpdate { partition: 0 },
            min_ready_ms: 0,
            claim_templates: vec![(
                "data".into(),
                crate::api::volume::PersistentVolumeClaimSpec {
                    storage_class: String::new(),
                    request: 1 << 30,
                    access_modes: Default::default(),
                    volume_name: None,
                },
            )],
            ordinals_start: 0,
        }
    }

    /// Binds every live pod of the store and makes it Running and Ready.
    fn run_all(h: &mut Harness<StatefulSetController>) {
        let t = h.now();
        let node = match h.store.node_id("n1") {
            Some(n) => n,
            None => h
                .store
                .add_node(crate::api::testing::node("n1", 100_000, 1 << 40, 110)),
        };
        for i in 0..h.store.pods().len() {
            let p = PodId(i as u32);
            if h.store.pod(p).status.deleted.is_none() && !h.store.pod(p).status.ready {
                h.store.bind(p, node, t);
                h.store.set_phase(p, Phase::Running, t);
                h.store.set_ready(p, true, t);
            }
        }
        h.run_until(t);
    }

    fn names(h: &Harness<StatefulSetController>) -> Vec<String> {
        let mut n: Vec<String> = h
            .store
            .pods()
            .iter()
            .filter(|p| p.status.deleted.is_none() && p.status.terminating.is_none())
            .map(|p| p.meta.name.clone())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn ordered_ready_creates_one_pod_at_a_time_with_its_claim() {
        let mut h = Harness::new(StatefulSetController::default());
        h.store.create_stateful_set(
            ObjectMeta::named("default", "db"),
            spec(3, PodManagement::OrderedReady),
            SimTime::ZERO,
        );
        h.run_until(SimTime::ZERO);
        assert_eq!(names(&h), ["db-0"]);
        assert_eq!(
            h.events(),
            [
                "SuccessfulCreate StatefulSet/default/db: create Claim data-db-0 Pod db-0 in StatefulSet db success",
                "SuccessfulCreate StatefulSet/default/db: create Pod db-0 in StatefulSet db successful",
            ]
        );
        let p = h.store.pod(h.store.pod_id("default", "db-0").unwrap());
        assert_eq!(
            p.meta.labels.get(LABEL_POD_INDEX).map(String::as_str),
            Some("0")
        );
        assert_eq!(&*p.spec.volumes[0].claim_name, "data-db-0");
        run_all(&mut h);
        assert_eq!(names(&h), ["db-0", "db-1"]);
        run_all(&mut h);
        assert_eq!(names(&h), ["db-0", "db-1", "db-2"]);
        run_all(&mut h);
        // Scale down from the highest ordinal, one at a time; claims stay.
        let set = h.store.stateful_set_id("default", "db").unwrap();
        h.store.update_stateful_set(set, |_, s| s.replicas = 1);
        h.run_until(h.now());
        assert_eq!(names(&h), ["db-0", "db-1"]);
        let db2 = h
            .store
            .pods()
            .iter()
            .position(|p| p.meta.name == "db-2")
            .unwrap();
        h.store.delete_pod(PodId(db2 as u32), h.now());
        h.run_until(h.now());
        assert_eq!(names(&h), ["db-0"]);
        assert!(h.store.pvc_id("default", "data-db-2").is_some());
    }

    #[test]
    fn parallel_creates_every_pod_at_once() {
        let mut h = Harness::new(StatefulSetController::default());
        h.store.create_stateful_set(
            ObjectMeta::named("default", "db"),
            spec(3, PodManagement::Parallel),
            SimTime::ZERO,
        );
        h.run_until(SimTime::ZERO);
        assert_eq!(names(&h), ["db-0", "db-1", "db-2"]);
    }
}
