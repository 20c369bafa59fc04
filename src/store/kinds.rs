//! The objects the store holds that pair an API spec with the status controllers write, and
//! how every kind is named in its arena.

use super::arena::{
    JobId, NamespaceId, NodeId, Object, PdbId, PodId, PriorityClassId, PvId, PvcId, ServiceId,
    StorageClassId, object_with_meta,
};
use crate::api::disruption::PodDisruptionBudget;
use crate::api::namespace::Namespace;
use crate::api::pod::Pod;
use crate::api::service::Service;
use crate::api::volume::{PersistentVolumeClaimSpec, PersistentVolumeSpec, StorageClass};
use crate::api::{JobSpec, Node, ObjectMeta, PriorityClass};
use crate::engine::SimTime;

/// A PersistentVolume object: its spec and the claim it is bound to.
#[derive(Clone, Debug)]
pub struct PersistentVolume {
    /// Name and labels (VolumeZone reads the zone labels).
    pub meta: ObjectMeta,
    /// Capacity, modes, class, node affinity.
    pub spec: PersistentVolumeSpec,
    /// The claim holding it (`spec.claimRef`); `None` while Available.
    pub claim: Option<PvcId>,
}

/// A PersistentVolumeClaim object: its spec and the volume it is bound to.
#[derive(Clone, Debug)]
pub struct PersistentVolumeClaim {
    /// Name and namespace.
    pub meta: ObjectMeta,
    /// Class, request, modes, requested volume.
    pub spec: PersistentVolumeClaimSpec,
    /// The bound volume; `None` while Pending.
    pub volume: Option<PvId>,
}

impl PersistentVolumeClaim {
    /// `PersistentVolumeClaim/namespace/name`, the object of its Events.
    pub fn object(&self) -> String {
        format!(
            "PersistentVolumeClaim/{}/{}",
            self.meta.namespace, self.meta.name
        )
    }
}

/// A Service's endpoints (its EndpointSlices, flattened): the selected pods that have an
/// address (bound to a node, not finished), by condition (`podToEndpoint` in
/// `staging/src/k8s.io/endpointslice/utils.go`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// `ready`: Ready and not terminating.
    pub ready: Vec<PodId>,
    /// `serving` and `terminating`: Ready, being deleted (kube-proxy's fallback when no
    /// endpoint is ready).
    pub serving_terminating: Vec<PodId>,
    /// Neither.
    pub not_ready: Vec<PodId>,
}

/// Endpoints per EndpointSlice (`--max-endpoints-per-slice`, default 100).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

impl Endpoints {
    /// Every endpoint.
    pub fn len(&self) -> usize {
        self.ready.len() + self.serving_terminating.len() + self.not_ready.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The EndpointSlices they fill (a Service without endpoints still has one).
    pub fn slices(&self) -> usize {
        self.len().div_ceil(MAX_ENDPOINTS_PER_SLICE).max(1)
    }
}

/// What the Job controller records about a Job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobStatus {
    /// Pods created so far.
    pub created: u32,
    /// Pods currently active (not terminal, not deleted).
    pub active: u32,
    /// Pods that succeeded.
    pub succeeded: u32,
    /// Pods that failed.
    pub failed: u32,
    /// Failures since the last success (for the replacement back-off).
    pub failures_since_success: u32,
    /// Time the Job started.
    pub start: SimTime,
    /// When the Job completed or failed.
    pub finished: Option<SimTime>,
    /// `Complete` or `Failed`, once finished.
    pub condition: Option<&'static str>,
    /// `completedIndexes` of an Indexed Job.
    pub completed_indexes: crate::api::job::Indexes,
}

/// A Job object.
#[derive(Clone, Debug)]
pub struct Job {
    /// Name and namespace.
    pub meta: ObjectMeta,
    /// What to run.
    pub spec: JobSpec,
    /// Progress.
    pub status: JobStatus,
}

impl Job {
    /// `Job/namespace/name`, the object of its Events.
    pub fn object(&self) -> String {
        format!("Job/{}/{}", self.meta.namespace, self.meta.name)
    }
}

object_with_meta!(Node, NodeId);
object_with_meta!(Pod, PodId, false);
object_with_meta!(Job, JobId);
object_with_meta!(PersistentVolume, PvId);
object_with_meta!(PersistentVolumeClaim, PvcId);
object_with_meta!(Namespace, NamespaceId);

impl Object for Service {
    type Id = ServiceId;
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Object for PodDisruptionBudget {
    type Id = PdbId;
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Object for StorageClass {
    type Id = StorageClassId;
    fn namespace(&self) -> &str {
        ""
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Object for PriorityClass {
    type Id = PriorityClassId;
    fn namespace(&self) -> &str {
        ""
    }
    fn name(&self) -> &str {
        &self.name
    }
}
