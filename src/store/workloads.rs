//! Workloads: ReplicaSets (and ReplicationControllers) and Deployments, with the status their
//! controllers write and the index of ReplicaSets by the Deployment controlling them.
//!
//! Each kind has the same four writes, each recording a change ([`WorkloadChange`]):
//! creation, a client's edit of the spec or metadata (`kubectl scale`, `set image`, the
//! Deployment controller scaling its ReplicaSets), the controller's status update, and
//! deletion.

use super::arena::{DaemonSetId, DeploymentId, ReplicaSetId, StatefulSetId, object_with_meta};
use super::{Change, Store};
use crate::api::ObjectMeta;
use crate::api::apps::{DaemonSetSpec, DeploymentSpec, ReplicaSetSpec, StatefulSetSpec};
use crate::api::meta::Uid;
use crate::engine::SimTime;

/// What a [`Change`] about a workload says happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkloadChange {
    /// It was created.
    Created,
    /// Its spec or metadata was edited (a client's write).
    Spec,
    /// Its controller wrote its status.
    Status,
    /// It was deleted (its record stays as a tombstone).
    Deleted,
}

pub use crate::api::apps::Condition;
pub use crate::api::node::ConditionStatus;

/// A workload object: metadata, the spec clients write, the status its controller writes.
#[derive(Clone, Debug)]
pub struct Workload<Spec, Status> {
    /// Name, namespace, uid, labels, annotations, owner.
    pub meta: ObjectMeta,
    /// What is wanted.
    pub spec: Spec,
    /// What the controller observed.
    pub status: Status,
    /// `metadata.creationTimestamp`.
    pub created: SimTime,
    /// `metadata.generation`: bumped by each change of the spec.
    pub generation: u64,
}

/// A ReplicaSet's (or ReplicationController's) status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaSetStatus {
    /// Its pods neither terminating nor finished.
    pub replicas: u32,
    /// Those Ready.
    pub ready: u32,
    /// Those Ready for `minReadySeconds`.
    pub available: u32,
    /// The generation this status describes.
    pub observed_generation: u64,
    /// The `ReplicaFailure` condition, while creating or deleting pods fails.
    pub failure: Option<Condition>,
}

/// A Deployment's status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStatus {
    /// Pods of all its ReplicaSets.
    pub replicas: u32,
    /// Pods of its newest ReplicaSet.
    pub updated: u32,
    /// Pods Ready.
    pub ready: u32,
    /// Pods available.
    pub available: u32,
    /// Wanted pods not available.
    pub unavailable: u32,
    /// The generation this status describes.
    pub observed_generation: u64,
    /// Hash collisions met naming a new ReplicaSet.
    pub collision_count: Option<u32>,
    /// `Available`, `Progressing` and `ReplicaFailure`.
    pub conditions: Vec<Condition>,
}

impl DeploymentStatus {
    /// The condition of this type.
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}

/// A DaemonSet's status, node by node (`updateDaemonSetStatus`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaemonSetStatus {
    /// Nodes that should run its pod (`desiredNumberScheduled`).
    pub desired: u32,
    /// Of those, nodes that have one (`currentNumberScheduled`).
    pub current: u32,
    /// Nodes running one that should not (`numberMisscheduled`).
    pub misscheduled: u32,
    /// Nodes whose pod is Ready (`numberReady`).
    pub ready: u32,
    /// Nodes whose pod is available (`numberAvailable`).
    pub available: u32,
    /// Nodes whose pod has the current template (`updatedNumberScheduled`).
    pub updated: u32,
    /// The generation this status describes.
    pub observed_generation: u64,
}

/// A StatefulSet's status (`computeReplicaStatus`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatefulSetStatus {
    /// Its pods that exist (being deleted included).
    pub replicas: u32,
    /// Running and Ready.
    pub ready: u32,
    /// Ready for `minReadySeconds`.
    pub available: u32,
    /// Pods of the current revision.
    pub current: u32,
    /// Pods of the update revision.
    pub updated: u32,
    /// `currentRevision` (`SET-HASH`).
    pub current_revision: String,
    /// `updateRevision`.
    pub update_revision: String,
    /// The generation this status describes.
    pub observed_generation: u64,
}

/// A ReplicaSet or ReplicationController.
pub type ReplicaSet = Workload<ReplicaSetSpec, ReplicaSetStatus>;
/// A Deployment.
pub type Deployment = Workload<DeploymentSpec, DeploymentStatus>;

object_with_meta!(ReplicaSet, ReplicaSetId);
/// A DaemonSet.
pub type DaemonSet = Workload<DaemonSetSpec, DaemonSetStatus>;

object_with_meta!(Deployment, DeploymentId);
object_with_meta!(DaemonSet, DaemonSetId);
object_with_meta!(StatefulSet, StatefulSetId);

/// A StatefulSet.
pub type StatefulSet = Workload<StatefulSetSpec, StatefulSetStatus>;

impl StatefulSet {
    /// `StatefulSet/namespace/name`, the object of its Events.
    pub fn object(&self) -> String {
        format!("StatefulSet/{}/{}", self.meta.namespace, self.meta.name)
    }
}

impl ReplicaSet {
    /// `ReplicaSet/namespace/name` (or `ReplicationController/...`), the object of its Events.
    pub fn object(&self) -> String {
        format!(
            "{}/{}/{}",
            self.spec.kind.kind(),
            self.meta.namespace,
            self.meta.name
        )
    }
}

impl DaemonSet {
    /// `DaemonSet/namespace/name`, the object of its Events.
    pub fn object(&self) -> String {
        format!("DaemonSet/{}/{}", self.meta.namespace, self.meta.name)
    }
}

impl Deployment {
    /// `Deployment/namespace/name`, the object of its Events.
    pub fn object(&self) -> String {
        format!("Deployment/{}/{}", self.meta.namespace, self.meta.name)
    }
}

/// Applies a client's edit; bumps the generation when the spec changed. Whether anything
/// changed.
fn edit_spec<S: Clone + PartialEq, St>(
    w: &mut Workload<S, St>,
    edit: impl FnOnce(&mut ObjectMeta, &mut S),
) -> bool {
    let (meta, spec) = (w.meta.clone(), w.spec.clone());
    edit(&mut w.meta, &mut w.spec);
    let spec_changed = w.spec != spec;
    if spec_changed {
        w.generation += 1;
    }
    spec_changed || w.meta != meta
}

/// Applies a controller's status write; whether it changed anything.
fn edit_status<S, St: Clone + PartialEq>(
    w: &mut Workload<S, St>,
    edit: impl FnOnce(&mut St),
) -> bool {
    let before = w.status.clone();
    edit(&mut w.status);
    w.status != before
}

/// A workload of any kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadId {
    /// A ReplicaSet or ReplicationController.
    ReplicaSet(ReplicaSetId),
    /// A Deployment.
    Deployment(DeploymentId),
    /// A DaemonSet.
    DaemonSet(DaemonSetId),
    /// A StatefulSet.
    StatefulSet(StatefulSetId),
}

impl Store {
    /// Sets a workload's `metadata.generation` as a snapshot gave it, when it is created
    /// (not an API write: a client's edits bump it).
    pub fn restore_generation(&mut self, id: WorkloadId, generation: u64) {
        match id {
            WorkloadId::ReplicaSet(i) => self.replica_sets.get_mut(i).generation = generation,
            WorkloadId::Deployment(i) => self.deployments.get_mut(i).generation = generation,
            WorkloadId::DaemonSet(i) => self.daemon_sets.get_mut(i).generation = generation,
            WorkloadId::StatefulSet(i) => self.stateful_sets.get_mut(i).generation = generation,
        }
    }

    // ---- replica sets ----

    /// Creates a ReplicaSet or ReplicationController.
    pub fn create_replica_set(
        &mut self,
        meta: ObjectMeta,
        spec: ReplicaSetSpec,
        now: SimTime,
    ) -> ReplicaSetId {
        let mut rs = Workload {
            meta,
            spec,
            status: ReplicaSetStatus::default(),
            created: now,
            generation: 1,
        };
        self.assign_uid(&mut rs);
        let owner = rs.meta.controller().map(|o| o.uid.clone());
        let id = self.replica_sets.insert(rs);
        if let Some(uid) = owner {
            self.replica_sets_by_controller
                .entry(uid)
                .or_default()
                .push(id);
        }
        self.push(Change::ReplicaSet {
            id,
            what: WorkloadChange::Created,
        });
        id
    }

    /// The ReplicaSet with this id (live or deleted).
    pub fn replica_set(&self, id: ReplicaSetId) -> &ReplicaSet {
        self.replica_sets.get(id)
    }

    /// Every ReplicaSet ever created, in creation order.
    pub fn replica_sets(&self) -> &[ReplicaSet] {
        self.replica_sets.all()
    }

    /// Whether a ReplicaSet has not been deleted.
    pub fn replica_set_is_live(&self, id: ReplicaSetId) -> bool {
        self.replica_sets.is_live(id)
    }

    /// The live ReplicaSets, in creation order.
    pub fn live_replica_sets(&self) -> impl Iterator<Item = (ReplicaSetId, &ReplicaSet)> {
        self.replica_sets.live()
    }

    /// Looks a live ReplicaSet up by namespace and name.
    pub fn replica_set_id(&self, namespace: &str, name: &str) -> Option<ReplicaSetId> {
        self.replica_sets.find(namespace, name)
    }

    /// The live ReplicaSet with this uid.
    pub fn replica_set_by_uid(&self, uid: &Uid) -> Option<ReplicaSetId> {
        self.replica_sets.find_uid(uid)
    }

    /// The live ReplicaSets whose controller has this uid, in creation order.
    pub fn replica_sets_of_controller(&self, uid: &Uid) -> &[ReplicaSetId] {
        self.replica_sets_by_controller
            .get(uid)
            .map_or(&[], Vec::as_slice)
    }

    /// A client's edit of a ReplicaSet's metadata or spec.
    pub fn update_replica_set(
        &mut self,
        id: ReplicaSetId,
        edit: impl FnOnce(&mut ObjectMeta, &mut ReplicaSetSpec),
    ) {
        if edit_spec(self.replica_sets.get_mut(id), edit) {
            self.push(Change::ReplicaSet {
                id,
                what: WorkloadChange::Spec,
            });
        }
    }

    /// The ReplicaSet controller's status write.
    pub fn update_replica_set_status(
        &mut self,
        id: ReplicaSetId,
        edit: impl FnOnce(&mut ReplicaSetStatus),
    ) {
        if edit_status(self.replica_sets.get_mut(id), edit) {
            self.push(Change::ReplicaSet {
                id,
                what: WorkloadChange::Status,
            });
        }
    }

    /// Deletes a ReplicaSet (its pods are the garbage collector's); `false` if it was
    /// deleted already.
    pub fn delete_replica_set(&mut self, id: ReplicaSetId) -> bool {
        if !self.replica_sets.remove(id) {
            return false;
        }
        let rs = self.replica_sets.get(id);
        let (ns, kind) = (rs.meta.namespace.clone(), rs.spec.kind.kind());
        self.release_count(&ns, super::admission::object_counts(kind).1);
        if let Some(uid) = self.replica_sets.get(id).meta.controller().map(|o| &o.uid)
            && let Some(list) = self.replica_sets_by_controller.get_mut(uid)
        {
            list.retain(|&r| r != id);
            if list.is_empty() {
                self.replica_sets_by_controller.remove(uid);
            }
        }
        self.push(Change::ReplicaSet {
            id,
            what: WorkloadChange::Deleted,
        });
        true
    }

    // ---- deployments ----

    /// Creates a Deployment.
    pub fn create_deployment(
        &mut self,
        meta: ObjectMeta,
        spec: DeploymentSpec,
        now: SimTime,
    ) -> DeploymentId {
        let mut d = Workload {
            meta,
            spec,
            status: DeploymentStatus::default(),
            created: now,
            generation: 1,
        };
        self.assign_uid(&mut d);
        let id = self.deployments.insert(d);
        self.push(Change::Deployment {
            id,
            what: WorkloadChange::Created,
        });
        id
    }

    /// The Deployment with this id (live or deleted).
    pub fn deployment(&self, id: DeploymentId) -> &Deployment {
        self.deployments.get(id)
    }

    /// Every Deployment ever created, in creation order.
    pub fn deployments(&self) -> &[Deployment] {
        self.deployments.all()
    }

    /// Whether a Deployment has not been deleted.
    pub fn deployment_is_live(&self, id: DeploymentId) -> bool {
        self.deployments.is_live(id)
    }

    /// Looks a live Deployment up by namespace and name.
    pub fn deployment_id(&self, namespace: &str, name: &str) -> Option<DeploymentId> {
        self.deployments.find(namespace, name)
    }

    /// The live Deployment with this uid.
    pub fn deployment_by_uid(&self, uid: &Uid) -> Option<DeploymentId> {
        self.deployments.find_uid(uid)
    }

    /// A client's edit of a Deployment's metadata or spec.
    pub fn update_deployment(
        &mut self,
        id: DeploymentId,
        edit: impl FnOnce(&mut ObjectMeta, &mut DeploymentSpec),
    ) {
        if edit_spec(self.deployments.get_mut(id), edit) {
            self.push(Change::Deployment {
                id,
                what: WorkloadChange::Spec,
            });
        }
    }

    /// The Deployment controller's status write.
    pub fn update_deployment_status(
        &mut self,
        id: DeploymentId,
        edit: impl FnOnce(&mut DeploymentStatus),
    ) {
        if edit_status(self.deployments.get_mut(id), edit) {
            self.push(Change::Deployment {
                id,
                what: WorkloadChange::Status,
            });
        }
    }

    /// Deletes a Deployment (its ReplicaSets are the garbage collector's).
    pub fn delete_deployment(&mut self, id: DeploymentId) -> bool {
        if !self.deployments.remove(id) {
            return false;
        }
        let ns = self.deployments.get(id).meta.namespace.clone();
        self.release_count(&ns, super::admission::object_counts("Deployment").1);
        self.push(Change::Deployment {
            id,
            what: WorkloadChange::Deleted,
        });
        true
    }

    // ---- daemon sets ----

    /// Creates a DaemonSet.
    pub fn create_daemon_set(
        &mut self,
        meta: ObjectMeta,
        spec: DaemonSetSpec,
        now: SimTime,
    ) -> DaemonSetId {
        let mut d = Workload {
            meta,
            spec,
            status: DaemonSetStatus::default(),
            created: now,
            generation: 1,
        };
        self.assign_uid(&mut d);
        let id = self.daemon_sets.insert(d);
        self.push(Change::DaemonSet {
            id,
            what: WorkloadChange::Created,
        });
        id
    }

    /// The DaemonSet with this id (live or deleted).
    pub fn daemon_set(&self, id: DaemonSetId) -> &DaemonSet {
        self.daemon_sets.get(id)
    }

    /// The live DaemonSets, in creation order.
    pub fn live_daemon_sets(&self) -> impl Iterator<Item = (DaemonSetId, &DaemonSet)> {
        self.daemon_sets.live()
    }

    /// Whether a DaemonSet has not been deleted.
    pub fn daemon_set_is_live(&self, id: DaemonSetId) -> bool {
        self.daemon_sets.is_live(id)
    }

    /// Looks a live DaemonSet up by namespace and name.
    pub fn daemon_set_id(&self, namespace: &str, name: &str) -> Option<DaemonSetId> {
        self.daemon_sets.find(namespace, name)
    }

    /// The live DaemonSet with this uid.
    pub fn daemon_set_by_uid(&self, uid: &Uid) -> Option<DaemonSetId> {
        self.daemon_sets.find_uid(uid)
    }

    /// A client's edit of a DaemonSet's metadata or spec.
    pub fn update_daemon_set(
        &mut self,
        id: DaemonSetId,
        edit: impl FnOnce(&mut ObjectMeta, &mut DaemonSetSpec),
    ) {
        if edit_spec(self.daemon_sets.get_mut(id), edit) {
            self.push(Change::DaemonSet {
                id,
                what: WorkloadChange::Spec,
            });
        }
    }

    /// The DaemonSet controller's status write.
    pub fn update_daemon_set_status(
        &mut self,
        id: DaemonSetId,
        edit: impl FnOnce(&mut DaemonSetStatus),
    ) {
        if edit_status(self.daemon_sets.get_mut(id), edit) {
            self.push(Change::DaemonSet {
                id,
                what: WorkloadChange::Status,
            });
        }
    }

    /// Deletes a DaemonSet (its pods are the garbage collector's).
    pub fn delete_daemon_set(&mut self, id: DaemonSetId) -> bool {
        if !self.daemon_sets.remove(id) {
            return false;
        }
        let ns = self.daemon_sets.get(id).meta.namespace.clone();
        self.release_count(&ns, super::admission::object_counts("DaemonSet").1);
        self.push(Change::DaemonSet {
            id,
            what: WorkloadChange::Deleted,
        });
        true
    }

    // ---- stateful sets ----

    /// Creates a StatefulSet.
    pub fn create_stateful_set(
        &mut self,
        meta: ObjectMeta,
        spec: StatefulSetSpec,
        now: SimTime,
    ) -> StatefulSetId {
        let mut d = Workload {
            meta,
            spec,
            status: StatefulSetStatus::default(),
            created: now,
            generation: 1,
        };
        self.assign_uid(&mut d);
        let id = self.stateful_sets.insert(d);
        self.push(Change::StatefulSet {
            id,
            what: WorkloadChange::Created,
        });
        id
    }

    /// The StatefulSet with this id (live or deleted).
    pub fn stateful_set(&self, id: StatefulSetId) -> &StatefulSet {
        self.stateful_sets.get(id)
    }

    /// The live StatefulSets, in creation order.
    pub fn live_stateful_sets(&self) -> impl Iterator<Item = (StatefulSetId, &StatefulSet)> {
        self.stateful_sets.live()
    }

    /// Whether a StatefulSet has not been deleted.
    pub fn stateful_set_is_live(&self, id: StatefulSetId) -> bool {
        self.stateful_sets.is_live(id)
    }

    /// Looks a live StatefulSet up by namespace and name.
    pub fn stateful_set_id(&self, namespace: &str, name: &str) -> Option<StatefulSetId> {
        self.stateful_sets.find(namespace, name)
    }

    /// The live StatefulSet with this uid.
    pub fn stateful_set_by_uid(&self, uid: &Uid) -> Option<StatefulSetId> {
        self.stateful_sets.find_uid(uid)
    }

    /// A client's edit of a StatefulSet's metadata or spec.
    pub fn update_stateful_set(
        &mut self,
        id: StatefulSetId,
        edit: impl FnOnce(&mut ObjectMeta, &mut StatefulSetSpec),
    ) {
        if edit_spec(self.stateful_sets.get_mut(id), edit) {
            self.push(Change::StatefulSet {
                id,
                what: WorkloadChange::Spec,
            });
        }
    }

    /// The StatefulSet controller's status write.
    pub fn update_stateful_set_status(
        &mut self,
        id: StatefulSetId,
        edit: impl FnOnce(&mut StatefulSetStatus),
    ) {
        if edit_status(self.stateful_sets.get_mut(id), edit) {
            self.push(Change::StatefulSet {
                id,
                what: WorkloadChange::Status,
            });
        }
    }

    /// Deletes a StatefulSet (its pods are the garbage collector's; its claims stay).
    pub fn delete_stateful_set(&mut self, id: StatefulSetId) -> bool {
        if !self.stateful_sets.remove(id) {
            return false;
        }
        let ns = self.stateful_sets.get(id).meta.namespace.clone();
        self.release_count(&ns, super::admission::object_counts("StatefulSet").1);
        self.push(Change::StatefulSet {
            id,
            what: WorkloadChange::Deleted,
        });
        true
    }
}
