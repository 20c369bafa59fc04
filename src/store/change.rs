//! What the store tells its watchers: one [`Change`] per write, carrying what changed from
//! and to, in the order the writes happened (the informers' add, update and delete
//! notifications of a real control plane).

use super::arena::{
    DaemonSetId, DeploymentId, HpaId, JobId, NamespaceId, NodeId, PdbId, PodId, PriorityClassId,
    PvId, PvcId, ReplicaSetId, ServiceId, StatefulSetId, StorageClassId,
};
use super::kinds::JobStatus;
use super::workloads::WorkloadChange;
use crate::api::Node;
use crate::api::pod::Phase;
use std::sync::Arc;

/// What an update changed on a node, as bits (the cases of upstream's
/// `nodeSchedulingPropertiesChange` in `pkg/scheduler/eventhandlers.go`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeUpdate(u8);

impl NodeUpdate {
    /// `metadata.labels`.
    pub const LABELS: NodeUpdate = NodeUpdate(1);
    /// `spec.taints`.
    pub const TAINTS: NodeUpdate = NodeUpdate(1 << 1);
    /// `spec.unschedulable` (cordon, uncordon).
    pub const UNSCHEDULABLE: NodeUpdate = NodeUpdate(1 << 2);
    /// `status.allocatable` (and capacity).
    pub const ALLOCATABLE: NodeUpdate = NodeUpdate(1 << 3);
    /// `status.conditions`.
    pub const CONDITIONS: NodeUpdate = NodeUpdate(1 << 4);
    /// `metadata.annotations`.
    pub const ANNOTATIONS: NodeUpdate = NodeUpdate(1 << 5);

    /// Union.
    pub const fn or(self, other: NodeUpdate) -> NodeUpdate {
        NodeUpdate(self.0 | other.0)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: NodeUpdate) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether nothing changed.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A pod status field without a change kind of its own, from and to
/// ([`Change::PodStatus`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PodField {
    /// `status.reason` (`Unschedulable`, `Completed`, `OutOfcpu`, ...).
    Reason {
        /// Before.
        from: Option<&'static str>,
        /// Now.
        to: Option<&'static str>,
    },
    /// The scheduling attempts made for the pod.
    SchedulingAttempts {
        /// Before.
        from: u32,
        /// Now.
        to: u32,
    },
    /// The containers' restart count.
    Restarts {
        /// Before.
        from: u32,
        /// Now.
        to: u32,
    },
}

/// A change to the store, delivered to watchers in the order it happened.
///
/// Deleted objects stay in the store as tombstones with their final state, so a watcher of a
/// deletion reads what was deleted.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A node joined the cluster.
    NodeAdded(NodeId),
    /// A node's labels, taints, `spec.unschedulable`, allocatable or conditions changed;
    /// `old` is the node before the update (the store holds the new one).
    NodeUpdated {
        /// The node.
        node: NodeId,
        /// Its previous state.
        old: Arc<Node>,
        /// What changed.
        what: NodeUpdate,
    },
    /// A node's machine stopped (`up: false`: crashed) or came back (`up: true`). Not an
    /// API change: the kubelet acts on it; the control plane learns of it from heartbeats.
    NodeMachine {
        /// The node.
        node: NodeId,
        /// Whether the machine runs now.
        up: bool,
    },
    /// A fault struck a running machine or container ([`Incident`]). Not an API change: the
    /// kubelet acts on it.
    Incident(Incident),
    /// An image joined a node's `status.images` (its index in that list).
    NodeImageAdded {
        /// The node.
        node: NodeId,
        /// Index into `status.images`.
        index: u32,
    },
    /// A pod was created.
    PodCreated(PodId),
    /// A pod's scheduling gates were removed.
    PodUngated(PodId),
    /// A pod was bound to a node.
    PodBound {
        /// The pod.
        pod: PodId,
        /// Its node.
        node: NodeId,
    },
    /// A pod's phase changed.
    PodPhase {
        /// The pod.
        pod: PodId,
        /// The phase before.
        from: Phase,
        /// The phase now.
        to: Phase,
    },
    /// A pod's Ready condition changed.
    PodReady {
        /// The pod.
        pod: PodId,
        /// Whether it is Ready now.
        ready: bool,
    },
    /// A pod's `status.nominatedNodeName` changed.
    PodNominated {
        /// The pod.
        pod: PodId,
        /// The node it was nominated to before.
        from: Option<NodeId>,
        /// The node it is nominated to now.
        to: Option<NodeId>,
    },
    /// Another status field of a pod changed.
    PodStatus {
        /// The pod.
        pod: PodId,
        /// Which field, from and to.
        field: PodField,
    },
    /// A pod's labels, annotations or owner references changed.
    PodMeta(PodId),
    /// A pod's deletion was requested; it stops after its grace period.
    PodTerminating(PodId),
    /// A pod was deleted (its record stays as a tombstone).
    PodDeleted(PodId),
    /// A Job was created.
    JobCreated(JobId),
    /// A Job's status changed; `old` is the status before (the store holds the new one).
    JobStatus {
        /// The Job.
        job: JobId,
        /// Its previous status.
        old: Box<JobStatus>,
    },
    /// A PersistentVolume was created.
    PvCreated(PvId),
    /// A PersistentVolumeClaim was created.
    PvcCreated(PvcId),
    /// A claim was bound to a volume (both sides).
    ClaimBound {
        /// The claim.
        pvc: PvcId,
        /// The volume.
        pv: PvId,
    },
    /// A Service was created.
    ServiceCreated(ServiceId),
    /// The EndpointSlice controller published a Service's endpoints.
    Endpoints(ServiceId),
    /// kube-proxy programmed a Service's endpoints.
    ProxyRules(ServiceId),
    /// A PodDisruptionBudget was created.
    PdbCreated(PdbId),
    /// A PodDisruptionBudget's status was written (by the disruption controller, or by the
    /// eviction API taking one of its disruptions).
    PdbStatus(PdbId),
    /// A StorageClass was created.
    StorageClassCreated(StorageClassId),
    /// A PriorityClass was created.
    PriorityClassCreated(PriorityClassId),
    /// A Namespace was created.
    NamespaceCreated(NamespaceId),
    /// A ReplicaSet (or ReplicationController) was created, edited, its status written, or
    /// deleted.
    ReplicaSet {
        /// The ReplicaSet.
        id: ReplicaSetId,
        /// What happened.
        what: WorkloadChange,
    },
    /// A Deployment was created, edited, its status written, or deleted.
    Deployment {
        /// The Deployment.
        id: DeploymentId,
        /// What happened.
        what: WorkloadChange,
    },
    /// A DaemonSet was created, edited, its status written, or deleted.
    DaemonSet {
        /// The DaemonSet.
        id: DaemonSetId,
        /// What happened.
        what: WorkloadChange,
    },
    /// A StatefulSet was created, edited, its status written, or deleted.
    StatefulSet {
        /// The StatefulSet.
        id: StatefulSetId,
        /// What happened.
        what: WorkloadChange,
    },
    /// A HorizontalPodAutoscaler was created.
    HpaCreated(HpaId),
}

/// What a fault does to a machine that keeps running, or to a pod's containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incident {
    /// The node's kubelet process restarts.
    KubeletRestart(NodeId),
    /// The node's machine is told to shut down: the kubelet's graceful node shutdown.
    Shutdown(NodeId),
    /// The running containers of a pod exit with this code.
    ContainersCrashed {
        /// The pod.
        pod: PodId,
        /// Their exit code.
        exit_code: i32,
        /// Killed by the kernel's OOM killer (reason OOMKilled).
        oom: bool,
    },
    /// The node's kubelet evicts the pod (its eviction manager, under pressure).
    Evicted(PodId),
}

/// The kind of a [`Change`], without its data: what a watcher subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // each is the variant of Change of the same name
pub enum ChangeKind {
    NodeAdded,
    NodeUpdated,
    NodeImageAdded,
    NodeMachine,
    Incident,
    PodCreated,
    PodUngated,
    PodBound,
    PodPhase,
    PodReady,
    PodNominated,
    PodStatus,
    PodMeta,
    PodTerminating,
    PodDeleted,
    JobCreated,
    JobStatus,
    PvCreated,
    PvcCreated,
    ClaimBound,
    ServiceCreated,
    Endpoints,
    ProxyRules,
    PdbCreated,
    PdbStatus,
    StorageClassCreated,
    PriorityClassCreated,
    NamespaceCreated,
    ReplicaSet,
    Deployment,
    DaemonSet,
    StatefulSet,
    HpaCreated,
}

impl Change {
    /// The change's kind.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::NodeAdded(_) => ChangeKind::NodeAdded,
            Change::NodeUpdated { .. } => ChangeKind::NodeUpdated,
            Change::NodeImageAdded { .. } => ChangeKind::NodeImageAdded,
            Change::NodeMachine { .. } => ChangeKind::NodeMachine,
            Change::Incident(_) => ChangeKind::Incident,
            Change::PodCreated(_) => ChangeKind::PodCreated,
            Change::PodUngated(_) => ChangeKind::PodUngated,
            Change::PodBound { .. } => ChangeKind::PodBound,
            Change::PodPhase { .. } => ChangeKind::PodPhase,
            Change::PodReady { .. } => ChangeKind::PodReady,
            Change::PodNominated { .. } => ChangeKind::PodNominated,
            Change::PodStatus { .. } => ChangeKind::PodStatus,
            Change::PodMeta(_) => ChangeKind::PodMeta,
            Change::PodTerminating(_) => ChangeKind::PodTerminating,
            Change::PodDeleted(_) => ChangeKind::PodDeleted,
            Change::JobCreated(_) => ChangeKind::JobCreated,
            Change::JobStatus { .. } => ChangeKind::JobStatus,
            Change::PvCreated(_) => ChangeKind::PvCreated,
            Change::PvcCreated(_) => ChangeKind::PvcCreated,
            Change::ClaimBound { .. } => ChangeKind::ClaimBound,
            Change::ServiceCreated(_) => ChangeKind::ServiceCreated,
            Change::Endpoints(_) => ChangeKind::Endpoints,
            Change::ProxyRules(_) => ChangeKind::ProxyRules,
            Change::PdbCreated(_) => ChangeKind::PdbCreated,
            Change::PdbStatus(_) => ChangeKind::PdbStatus,
            Change::StorageClassCreated(_) => ChangeKind::StorageClassCreated,
            Change::PriorityClassCreated(_) => ChangeKind::PriorityClassCreated,
            Change::NamespaceCreated(_) => ChangeKind::NamespaceCreated,
            Change::ReplicaSet { .. } => ChangeKind::ReplicaSet,
            Change::Deployment { .. } => ChangeKind::Deployment,
            Change::DaemonSet { .. } => ChangeKind::DaemonSet,
            Change::StatefulSet { .. } => ChangeKind::StatefulSet,
            Change::HpaCreated(_) => ChangeKind::HpaCreated,
        }
    }
}

/// A set of [`ChangeKind`]s: the changes a watcher is handed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Watch(u64);

impl Watch {
    /// No change.
    pub const NONE: Watch = Watch(0);
    /// Every change.
    pub const ALL: Watch = Watch(u64::MAX);

    /// The set of these kinds.
    pub const fn of(kinds: &[ChangeKind]) -> Watch {
        let mut bits = 0;
        let mut i = 0;
        while i < kinds.len() {
            bits |= 1 << kinds[i] as u64;
            i += 1;
        }
        Watch(bits)
    }

    /// Whether the set holds `kind`.
    pub const fn contains(self, kind: ChangeKind) -> bool {
        self.0 & (1 << kind as u64) != 0
    }

    /// Union.
    pub const fn or(self, other: Watch) -> Watch {
        Watch(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_holds_exactly_its_kinds() {
        let w = Watch::of(&[ChangeKind::PodCreated, ChangeKind::NamespaceCreated]);
        assert!(w.contains(ChangeKind::PodCreated));
        assert!(w.contains(ChangeKind::NamespaceCreated));
        assert!(!w.contains(ChangeKind::PodDeleted));
        assert!(!Watch::NONE.contains(ChangeKind::NodeAdded));
        assert!(Watch::ALL.contains(ChangeKind::NamespaceCreated));
        assert_eq!(
            Change::PodPhase {
                pod: PodId(1),
                from: Phase::Pending,
                to: Phase::Running
            }
            .kind(),
            ChangeKind::PodPhase
        );
        let u = NodeUpdate::LABELS.or(NodeUpdate::TAINTS);
        assert!(u.contains(NodeUpdate::TAINTS) && !u.contains(NodeUpdate::CONDITIONS));
    }
}
