//! The object store: what the API server and etcd hold.
//!
//! One generic [`Arena`] per kind, with stable typed ids, lookups by name and uid and
//! tombstones for deleted objects; indices kept beside them (pods by node, by controller);
//! and a change log. Every write is a method here that records a [`Change`] saying what
//! changed from and to, which the world hands to the components watching that kind of
//! change (the informers of a real control plane). Components never talk to each other
//! directly: they write here and read what others wrote. There is no way to change an
//! object's status without a change being recorded. (One write is not an API write and
//! records none: [`Store::release_spec`], which drops the spec of a pod every watcher has
//! seen end, to bound memory.)
//!
//! The methods are grouped by kind: [`nodes`] (`add_node`, `update_node`, ...), [`pods`]
//! (`create_pod`, `bind`, `set_phase`, `set_ready`, deletion, ...) and [`objects`] (Jobs,
//! volumes and claims, Services, PodDisruptionBudgets, classes, namespaces).

pub mod admission;
pub mod arena;
pub mod autoscalers;
mod change;
mod check;
pub mod eviction;
mod kinds;
pub mod load;
pub mod metrics_api;
pub mod nodes;
pub mod objects;
pub mod pods;
pub mod workloads;

pub use arena::{
    Arena, ArenaId, DaemonSetId, DeploymentId, HpaId, JobId, NamespaceId, NodeId, Object, PdbId,
    PodId, PriorityClassId, PvId, PvcId, ReplicaSetId, ServiceId, StatefulSetId, StorageClassId,
};
pub use change::{Change, ChangeKind, Incident, NodeUpdate, PodField, Watch};
pub use check::check_invariants;
pub use eviction::EvictionRefused;
pub use kinds::{
    Endpoints, Job, JobStatus, MAX_ENDPOINTS_PER_SLICE, PersistentVolume, PersistentVolumeClaim,
};
pub use pods::REASON_SCHEDULING_GATED;
pub use workloads::{
    Condition, ConditionStatus, DaemonSet, DaemonSetStatus, Deployment, DeploymentStatus,
    ReplicaSet, ReplicaSetStatus, StatefulSet, StatefulSetStatus, Workload, WorkloadChange,
    WorkloadId,
};

use crate::api::disruption::PodDisruptionBudget;
use crate::api::meta::Uid;
use crate::api::namespace::Namespace;
use crate::api::pod::Pod;
use crate::api::service::Service;
use crate::api::volume::StorageClass;
use crate::api::{Node, PriorityClass};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The API server's objects.
#[derive(Default)]
pub struct Store {
    nodes: Arena<Arc<Node>>,
    pods: Arena<Pod>,
    jobs: Arena<Job>,
    pvs: Arena<PersistentVolume>,
    pvcs: Arena<PersistentVolumeClaim>,
    services: Arena<Service>,
    pdbs: Arena<PodDisruptionBudget>,
    /// Each budget's status, by budget index.
    pdb_status: Vec<crate::api::disruption::PdbStatus>,
    storage_classes: Arena<StorageClass>,
    priority_classes: Arena<PriorityClass>,
    namespaces: Arena<Namespace>,
    replica_sets: Arena<ReplicaSet>,
    deployments: Arena<Deployment>,
    daemon_sets: Arena<DaemonSet>,
    stateful_sets: Arena<StatefulSet>,
    /// Each Service's endpoints, by service index.
    endpoints: Vec<Endpoints>,
    /// The endpoints kube-proxy has programmed for each Service.
    proxy_endpoints: Vec<Arc<[PodId]>>,
    /// Live, bound, non-terminal pods of each node, in the order they were bound (a pod
    /// leaving swaps the last one into its place).
    pods_on_node: Vec<Vec<PodId>>,
    /// Summed cpu (millicores) and memory (bytes) requests of each node's `pods_on_node`.
    requested_on_node: Vec<(i64, i64)>,
    /// Each node's machine: up since, or down since (faults).
    machines: Vec<nodes::Machine>,
    /// Live pods by the uid of their controller (`ownerReferences` with `controller: true`),
    /// in creation order. Only looked up, never iterated.
    pods_by_controller: FxHashMap<Uid, Vec<PodId>>,
    /// Live ReplicaSets by the uid of their controller (a Deployment), in creation order.
    /// Only looked up, never iterated.
    replica_sets_by_controller: FxHashMap<Uid, Vec<ReplicaSetId>>,
    /// Volumes by storage class name, in creation order.
    pvs_by_class: BTreeMap<String, Vec<PvId>>,
    /// The grace periods deletions asked for, when not the pods' own (few: kept aside).
    deletion_grace: FxHashMap<PodId, i64>,
    /// Quotas, LimitRanges and what each pod was charged.
    admission: admission::Admission,
    /// Uids assigned so far (the next object without one gets `Uid::Assigned(next_uid)`).
    next_uid: u64,
    changes: Vec<Change>,
    /// HorizontalPodAutoscalers, by id (never deleted).
    hpas: Vec<autoscalers::Autoscaler>,
    /// `spec.traffic`, in order.
    flows: Vec<load::Flow>,
    /// Usage `PodMetrics` documents gave pods (a snapshot's), by pod.
    seeded_metrics: FxHashMap<PodId, Vec<metrics_api::ContainerMetrics>>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives `object` a uid unless its manifest gave one.
    fn assign_uid<T: Object>(&mut self, object: &mut T) {
        if !object.uid().is_set() {
            object.set_uid(Uid::Assigned(self.next_uid));
            self.next_uid += 1;
        }
    }

    fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    // ---- watch ----

    /// Takes the changes recorded since the last call, oldest first.
    pub fn take_changes(&mut self, into: &mut Vec<Change>) {
        into.append(&mut self.changes);
    }

    /// Whether changes are waiting to be delivered.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}
