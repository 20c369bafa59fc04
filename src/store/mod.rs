//! The object store: what the API server and etcd hold.
//!
//! Typed arenas of nodes, pods and jobs with stable integer ids, indices (pods by node, objects
//! by name), and a change log that the world hands to the components watching it (the
//! informers of a real control plane). Components never talk to each other directly: they
//! write here and read what others wrote.

mod check;

pub use check::check_invariants;

use crate::api::disruption::PodDisruptionBudget;
use crate::api::event::{Event, EventType, Message};
use crate::api::pod::{Phase, Pod};
use crate::api::service::Service;
use crate::api::volume::{PersistentVolumeClaimSpec, PersistentVolumeSpec, StorageClass};
use crate::api::{ContainerImage, JobSpec, Node, ObjectMeta, PriorityClass};
use crate::engine::SimTime;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The pod status reason of a pod waiting for its scheduling gates to be removed.
pub const REASON_SCHEDULING_GATED: &str = "SchedulingGated";

/// Index of a node in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Index of a pod in the store. Pods are never removed from the arena (deleted pods keep
/// their record for the outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodId(pub u32);

/// Index of a job in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u32);

/// Index of a PersistentVolume in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PvId(pub u32);

/// Index of a PersistentVolumeClaim in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PvcId(pub u32);

/// A change to the store, delivered to watchers in the order it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A node joined the cluster.
    NodeAdded(NodeId),
    /// A pod was created.
    PodCreated(PodId),
    /// A pod was bound to a node.
    PodBound(PodId, NodeId),
    /// A pod's phase changed.
    PodPhase(PodId, Phase),
    /// A pod's deletion was requested; it stops after its grace period.
    PodTerminating(PodId),
    /// A pod was deleted.
    PodDeleted(PodId),
    /// A job was created.
    JobCreated(JobId),
    /// An image joined a node's `status.images` (the index in that list).
    NodeImageAdded(NodeId, u32),
    /// A pod's scheduling gates were removed.
    PodUngated(PodId),
    /// A PersistentVolume was created.
    PvCreated(PvId),
    /// A PersistentVolumeClaim was created.
    PvcCreated(PvcId),
    /// A claim was bound to a volume.
    ClaimBound(PvcId, PvId),
}

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

/// What the Job controller records about a Job.
#[derive(Clone, Debug, Default)]
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

/// The API server's objects.
#[derive(Default)]
pub struct Store {
    nodes: Vec<Arc<Node>>,
    node_by_name: BTreeMap<String, NodeId>,
    pods: Vec<Pod>,
    /// Live pods by namespace, then name (looked up by `&str`, without allocating). Only looked
    /// up, never iterated, so the hash order cannot reach behaviour.
    pod_by_key: FxHashMap<String, FxHashMap<String, PodId>>,
    pods_on_node: Vec<Vec<PodId>>,
    /// Summed cpu (millicores) and memory (bytes) requests of each node's `pods_on_node`.
    requested_on_node: Vec<(i64, i64)>,
    jobs: Vec<Job>,
    priority_classes: BTreeMap<String, PriorityClass>,
    pdbs: Vec<PodDisruptionBudget>,
    services: Vec<Service>,
    namespaces: Vec<String>,
    changes: Vec<Change>,
    events: Vec<Event>,
    /// `Pod/namespace/name` of pods that have had events, by pod id.
    pod_objects: Vec<Option<Arc<str>>>,
    storage_classes: BTreeMap<String, StorageClass>,
    pvs: Vec<PersistentVolume>,
    pv_by_name: BTreeMap<String, PvId>,
    /// Volumes by storage class name, in creation order.
    pvs_by_class: BTreeMap<String, Vec<PvId>>,
    pvcs: Vec<PersistentVolumeClaim>,
    /// Claims by namespace, then name; only looked up.
    pvc_by_key: FxHashMap<String, FxHashMap<String, PvcId>>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // ---- nodes ----

    /// Adds a node.
    pub fn add_node(&mut self, node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.node_by_name.insert(node.meta.name.clone(), id);
        self.nodes.push(Arc::new(node));
        self.pods_on_node.push(Vec::new());
        self.requested_on_node.push((0, 0));
        self.changes.push(Change::NodeAdded(id));
        id
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Arc<Node> {
        &self.nodes[id.0 as usize]
    }

    /// All nodes, in id order.
    pub fn nodes(&self) -> &[Arc<Node>] {
        &self.nodes
    }

    /// Looks a node up by name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.node_by_name.get(name).copied()
    }

    /// Adds an image to a node's `status.images` (the kubelet reports a pull).
    pub fn add_node_image(&mut self, id: NodeId, image: ContainerImage) {
        let node = Arc::make_mut(&mut self.nodes[id.0 as usize]);
        node.images.push(image);
        let index = u32::try_from(node.images.len() - 1).unwrap_or(u32::MAX);
        self.changes.push(Change::NodeImageAdded(id, index));
    }

    /// Pods bound to a node and not yet terminal or deleted.
    pub fn pods_on_node(&self, id: NodeId) -> &[PodId] {
        &self.pods_on_node[id.0 as usize]
    }

    /// The summed cpu (millicores) and memory (bytes) requests of the pods on a node
    /// ([`Store::pods_on_node`]), kept as pods come and go.
    pub fn requested_on_node(&self, id: NodeId) -> (i64, i64) {
        self.requested_on_node[id.0 as usize]
    }

    // ---- pods ----

    /// Creates a pod (it must not exist yet; the scenario loader guarantees unique names). A
    /// pod with scheduling gates gets the `SchedulingGated` reason, as the API server sets the
    /// PodScheduled condition (`pkg/registry/core/pod/strategy.go`).
    pub fn create_pod(&mut self, mut pod: Pod) -> PodId {
        let id = PodId(self.pods.len() as u32);
        if !pod.spec.scheduling_gates.is_empty() {
            pod.status.reason = Some(REASON_SCHEDULING_GATED);
        }
        self.pod_by_key
            .entry(pod.meta.namespace.clone())
            .or_default()
            .insert(pod.meta.name.clone(), id);
        self.pods.push(pod);
        self.changes.push(Change::PodCreated(id));
        id
    }

    /// Whether a pod with this namespace and name exists (deleted pods free their name).
    pub fn pod_exists(&self, namespace: &str, name: &str) -> bool {
        self.pod_id(namespace, name).is_some()
    }

    /// Looks a live pod up by namespace and name.
    pub fn pod_id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.pod_by_key.get(namespace)?.get(name).copied()
    }

    /// The pod with this id.
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.0 as usize]
    }

    /// Mutable access for status fields that no watcher needs to hear about (timestamps,
    /// counters). Phase, binding and deletion go through their own methods.
    pub fn pod_status_mut(&mut self, id: PodId) -> &mut crate::api::pod::PodStatus {
        &mut self.pods[id.0 as usize].status
    }

    /// Replaces the spec of a pod that has ended with `empty`, keeping only what the outputs
    /// report ([`Pod::request_record`]). Call once every watcher has seen the pod end.
    pub fn release_spec(&mut self, pod: PodId, empty: &Arc<crate::api::PodSpec>) {
        let p = &mut self.pods[pod.0 as usize];
        if p.status.released.is_none() && (p.phase().is_terminal() || p.status.deleted.is_some()) {
            p.status.released = Some(p.request_record());
            p.spec = empty.clone();
            if let Some(o) = self.pod_objects.get_mut(pod.0 as usize) {
                *o = None;
            }
        }
    }

    /// Every pod ever created, in creation order.
    pub fn pods(&self) -> &[Pod] {
        &self.pods
    }

    /// Removes a pod's scheduling gates (a `kubectl patch` by whoever owns them).
    pub fn remove_scheduling_gates(&mut self, pod: PodId) {
        let p = &mut self.pods[pod.0 as usize];
        if p.spec.scheduling_gates.is_empty() || p.status.released.is_some() {
            return;
        }
        Arc::make_mut(&mut p.spec).scheduling_gates.clear();
        if p.status.reason == Some(REASON_SCHEDULING_GATED) {
            p.status.reason = None;
        }
        self.changes.push(Change::PodUngated(pod));
    }

    /// Binds a pod to a node (the `pods/binding` subresource).
    pub fn bind(&mut self, pod: PodId, node: NodeId, now: SimTime) {
        let p = &mut self.pods[pod.0 as usize];
        debug_assert!(p.status.node.is_none(), "pod bound twice");
        p.status.node = Some(node.0);
        p.status.scheduled = Some(now);
        self.pods_on_node[node.0 as usize].push(pod);
        let (r, sum) = (
            &p.spec.requests,
            &mut self.requested_on_node[node.0 as usize],
        );
        *sum = (sum.0 + r.cpu_m, sum.1 + r.memory);
        self.changes.push(Change::PodBound(pod, node));
    }

    /// Sets a pod's phase. A terminal phase releases the pod's place on its node.
    pub fn set_phase(&mut self, pod: PodId, phase: Phase, now: SimTime) {
        let p = &mut self.pods[pod.0 as usize];
        if p.status.phase == Some(phase) {
            return;
        }
        let was_terminal = p.phase().is_terminal();
        p.status.phase = Some(phase);
        match phase {
            Phase::Running if p.status.started.is_none() => p.status.started = Some(now),
            Phase::Succeeded | Phase::Failed => p.status.finished = Some(now),
            _ => {}
        }
        if phase.is_terminal() && !was_terminal {
            self.unlink_from_node(pod);
        }
        self.changes.push(Change::PodPhase(pod, phase));
    }

    /// Requests a pod's deletion with its grace period (a `DELETE` without
    /// `gracePeriodSeconds: 0`): a bound, running pod is marked terminating and the kubelet
    /// removes it when the grace period ends; any other pod is deleted at once.
    pub fn request_deletion(&mut self, pod: PodId, now: SimTime) {
        let p = &mut self.pods[pod.0 as usize];
        if p.status.deleted.is_some() || p.status.terminating.is_some() {
            return;
        }
        if p.status.node.is_none() || p.phase().is_terminal() || p.spec.termination_grace_ms <= 0 {
            self.delete_pod(pod, now);
            return;
        }
        p.status.terminating = Some(now);
        self.changes.push(Change::PodTerminating(pod));
    }

    /// PodDisruptionBudgets.
    pub fn pdbs(&self) -> &[PodDisruptionBudget] {
        &self.pdbs
    }

    /// Services.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Adds a Service.
    pub fn add_service(&mut self, service: Service) {
        self.services.push(service);
    }

    /// Adds a PodDisruptionBudget.
    pub fn add_pdb(&mut self, pdb: PodDisruptionBudget) {
        self.pdbs.push(pdb);
    }

    /// Deletes a pod: its record stays for the outputs, its name and node place are freed.
    pub fn delete_pod(&mut self, pod: PodId, now: SimTime) {
        let p = &mut self.pods[pod.0 as usize];
        if p.status.deleted.is_some() {
            return;
        }
        p.status.deleted = Some(now);
        let terminal = p.phase().is_terminal();
        if let Some(names) = self.pod_by_key.get_mut(&p.meta.namespace)
            && names.get(&p.meta.name) == Some(&pod)
        {
            names.remove(&p.meta.name);
        }
        if !terminal {
            self.unlink_from_node(pod);
        }
        self.changes.push(Change::PodDeleted(pod));
    }

    fn unlink_from_node(&mut self, pod: PodId) {
        let p = &self.pods[pod.0 as usize];
        if let Some(n) = p.status.node {
            let list = &mut self.pods_on_node[n as usize];
            if let Some(i) = list.iter().position(|&p| p == pod) {
                list.swap_remove(i);
                let (r, sum) = (&p.spec.requests, &mut self.requested_on_node[n as usize]);
                *sum = (sum.0 - r.cpu_m, sum.1 - r.memory);
            }
        }
    }

    // ---- jobs ----

    /// Creates a job.
    pub fn create_job(&mut self, meta: ObjectMeta, spec: JobSpec, now: SimTime) -> JobId {
        let id = JobId(self.jobs.len() as u32);
        self.jobs.push(Job {
            meta,
            spec,
            status: JobStatus {
                start: now,
                ..Default::default()
            },
        });
        self.changes.push(Change::JobCreated(id));
        id
    }

    /// The job with this id.
    pub fn job(&self, id: JobId) -> &Job {
        &self.jobs[id.0 as usize]
    }

    /// Mutable job status.
    pub fn job_status_mut(&mut self, id: JobId) -> &mut JobStatus {
        &mut self.jobs[id.0 as usize].status
    }

    /// Every job, in creation order.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    // ---- cluster-scoped objects ----

    /// Registers a PriorityClass.
    pub fn add_priority_class(&mut self, pc: PriorityClass) {
        self.priority_classes.insert(pc.name.clone(), pc);
    }

    /// Looks up a PriorityClass.
    pub fn priority_class(&self, name: &str) -> Option<&PriorityClass> {
        self.priority_classes.get(name)
    }

    /// Registers a namespace.
    pub fn add_namespace(&mut self, name: &str) {
        if !self.namespaces.iter().any(|n| n == name) {
            self.namespaces.push(name.to_string());
        }
    }

    /// Known namespaces, in registration order.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    // ---- storage ----

    /// Registers a StorageClass.
    pub fn add_storage_class(&mut self, class: StorageClass) {
        self.storage_classes.insert(class.name.clone(), class);
    }

    /// Looks up a StorageClass by name.
    pub fn storage_class(&self, name: &str) -> Option<&StorageClass> {
        self.storage_classes.get(name)
    }

    /// Creates a PersistentVolume (names are unique: the loader checks manifests, the
    /// provisioner picks free names).
    pub fn create_pv(&mut self, meta: ObjectMeta, spec: PersistentVolumeSpec) -> PvId {
        let id = PvId(self.pvs.len() as u32);
        self.pv_by_name.insert(meta.name.clone(), id);
        self.pvs_by_class
            .entry(spec.storage_class.clone())
            .or_default()
            .push(id);
        self.pvs.push(PersistentVolume {
            meta,
            spec,
            claim: None,
        });
        self.changes.push(Change::PvCreated(id));
        id
    }

    /// `base`, or `base-2`, `base-3`, ... : the first name no volume has.
    pub fn free_pv_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 1;
        while self.pv_by_name.contains_key(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        name
    }

    /// The volume with this id.
    pub fn pv(&self, id: PvId) -> &PersistentVolume {
        &self.pvs[id.0 as usize]
    }

    /// Looks a volume up by name.
    pub fn pv_id(&self, name: &str) -> Option<PvId> {
        self.pv_by_name.get(name).copied()
    }

    /// The volumes of a storage class (empty name: no class), in creation order.
    pub fn pvs_of_class(&self, class: &str) -> &[PvId] {
        self.pvs_by_class.get(class).map_or(&[], Vec::as_slice)
    }

    /// Every volume, in creation order.
    pub fn pvs(&self) -> &[PersistentVolume] {
        &self.pvs
    }

    /// Creates a PersistentVolumeClaim (unique per namespace; the loader checks).
    pub fn create_pvc(&mut self, meta: ObjectMeta, spec: PersistentVolumeClaimSpec) -> PvcId {
        let id = PvcId(self.pvcs.len() as u32);
        self.pvc_by_key
            .entry(meta.namespace.clone())
            .or_default()
            .insert(meta.name.clone(), id);
        self.pvcs.push(PersistentVolumeClaim {
            meta,
            spec,
            volume: None,
        });
        self.changes.push(Change::PvcCreated(id));
        id
    }

    /// The claim with this id.
    pub fn pvc(&self, id: PvcId) -> &PersistentVolumeClaim {
        &self.pvcs[id.0 as usize]
    }

    /// Looks a claim up by namespace and name.
    pub fn pvc_id(&self, namespace: &str, name: &str) -> Option<PvcId> {
        self.pvc_by_key.get(namespace)?.get(name).copied()
    }

    /// Every claim, in creation order.
    pub fn pvcs(&self) -> &[PersistentVolumeClaim] {
        &self.pvcs
    }

    /// Binds a claim to a volume (both sides, as the volume controller does). Either already
    /// bound elsewhere is refused: `false`, nothing changed.
    pub fn bind_claim(&mut self, pvc: PvcId, pv: PvId) -> bool {
        let claim_free = self.pvcs[pvc.0 as usize].volume.is_none();
        let volume_free = self.pvs[pv.0 as usize].claim.is_none_or(|c| c == pvc);
        if !claim_free || !volume_free {
            return false;
        }
        self.pvcs[pvc.0 as usize].volume = Some(pv);
        self.pvs[pv.0 as usize].claim = Some(pvc);
        self.changes.push(Change::ClaimBound(pvc, pv));
        true
    }

    // ---- watch ----

    /// Takes the changes recorded since the last call, oldest first.
    pub fn take_changes(&mut self, into: &mut Vec<Change>) {
        into.append(&mut self.changes);
    }

    // ---- events ----

    /// Records a Kubernetes Event about an object (`kind/namespace/name`).
    pub fn record(
        &mut self,
        time: SimTime,
        kind: EventType,
        reason: &'static str,
        object: impl Into<Arc<str>>,
        message: String,
    ) {
        self.events.push(Event {
            time,
            kind,
            reason,
            object: object.into(),
            message: Message::Text(message),
        });
    }

    /// Records an Event about a pod. The pod's object name is built once and shared.
    pub fn record_pod(
        &mut self,
        time: SimTime,
        pod: PodId,
        kind: EventType,
        reason: &'static str,
        message: impl Into<Message>,
    ) {
        let object = self.pod_object(pod);
        self.events.push(Event {
            time,
            kind,
            reason,
            object,
            message: message.into(),
        });
    }

    /// `Pod/namespace/name` of a pod, built once and shared by its events.
    pub fn pod_object(&mut self, pod: PodId) -> Arc<str> {
        let i = pod.0 as usize;
        if self.pod_objects.len() <= i {
            self.pod_objects.resize(i + 1, None);
        }
        let p = &self.pods[i];
        self.pod_objects[i]
            .get_or_insert_with(|| {
                Arc::from(["Pod/", &p.meta.namespace, "/", &p.meta.name].concat())
            })
            .clone()
    }

    /// Takes the Events recorded since the last call, oldest first.
    pub fn take_events(&mut self, into: &mut Vec<Event>) {
        into.append(&mut self.events);
    }

    /// Whether changes are waiting to be delivered.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}
