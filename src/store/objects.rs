//! The other kinds: Jobs and their status, PersistentVolumes and claims with their binding,
//! Services, PodDisruptionBudgets, StorageClasses, PriorityClasses and Namespaces.

use super::{
    Arena, ArenaId, Change, Endpoints, Job, JobId, JobStatus, NamespaceId, PdbId, PersistentVolume,
    PersistentVolumeClaim, PodId, PriorityClassId, PvId, PvcId, ServiceId, StorageClassId, Store,
};
use crate::api::disruption::{PdbStatus, PodDisruptionBudget};
use crate::api::meta::Uid;
use crate::api::namespace::Namespace;
use crate::api::service::Service;
use crate::api::volume::{PersistentVolumeClaimSpec, PersistentVolumeSpec, StorageClass};
use crate::api::{JobSpec, ObjectMeta, PriorityClass};
use crate::engine::SimTime;
use std::sync::Arc;

impl Store {
    // ---- jobs ----

    /// Creates a Job.
    pub fn create_job(&mut self, meta: ObjectMeta, spec: JobSpec, now: SimTime) -> JobId {
        let status = JobStatus {
            start: now,
            ..Default::default()
        };
        let mut job = Job { meta, spec, status };
        self.assign_uid(&mut job);
        let id = self.jobs.insert(job);
        self.push(Change::JobCreated(id));
        id
    }

    /// The Job with this id.
    pub fn job(&self, id: JobId) -> &Job {
        self.jobs.get(id)
    }

    /// Looks a live Job up by namespace and name.
    pub fn job_id(&self, namespace: &str, name: &str) -> Option<JobId> {
        self.jobs.find(namespace, name)
    }

    /// The live Job with this uid.
    pub fn job_by_uid(&self, uid: &Uid) -> Option<JobId> {
        self.jobs.find_uid(uid)
    }

    /// Every Job, in creation order.
    pub fn jobs(&self) -> &[Job] {
        self.jobs.all()
    }

    /// Writes a Job's status (the Job controller's status update); records a change when
    /// `edit` changed it.
    pub fn update_job_status(&mut self, id: JobId, edit: impl FnOnce(&mut JobStatus)) {
        let status = &mut self.jobs.get_mut(id).status;
        let before = status.clone();
        edit(status);
        if *status != before {
            self.push(Change::JobStatus {
                job: id,
                old: Box::new(before),
            });
        }
    }

    // ---- volumes and claims ----

    /// Creates a PersistentVolume (names are unique: the loader checks manifests, the
    /// provisioner picks free names).
    pub fn create_pv(&mut self, meta: ObjectMeta, spec: PersistentVolumeSpec) -> PvId {
        let class = spec.storage_class.clone();
        let mut pv = PersistentVolume {
            meta,
            spec,
            claim: None,
        };
        self.assign_uid(&mut pv);
        let id = self.pvs.insert(pv);
        self.pvs_by_class.entry(class).or_default().push(id);
        self.push(Change::PvCreated(id));
        id
    }

    /// `base`, or `base-2`, `base-3`, ... : the first name no volume has.
    pub fn free_pv_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 1;
        while self.pvs.find("", &name).is_some() {
            n += 1;
            name = format!("{base}-{n}");
        }
        name
    }

    /// The volume with this id.
    pub fn pv(&self, id: PvId) -> &PersistentVolume {
        self.pvs.get(id)
    }

    /// Looks a volume up by name.
    pub fn pv_id(&self, name: &str) -> Option<PvId> {
        self.pvs.find("", name)
    }

    /// The volumes of a storage class (empty name: no class), in creation order.
    pub fn pvs_of_class(&self, class: &str) -> &[PvId] {
        self.pvs_by_class.get(class).map_or(&[], Vec::as_slice)
    }

    /// Every volume, in creation order.
    pub fn pvs(&self) -> &[PersistentVolume] {
        self.pvs.all()
    }

    /// Creates a PersistentVolumeClaim (unique per namespace; the loader checks).
    pub fn create_pvc(&mut self, meta: ObjectMeta, spec: PersistentVolumeClaimSpec) -> PvcId {
        let mut pvc = PersistentVolumeClaim {
            meta,
            spec,
            volume: None,
        };
        self.assign_uid(&mut pvc);
        let id = self.pvcs.insert(pvc);
        self.push(Change::PvcCreated(id));
        id
    }

    /// The claim with this id.
    pub fn pvc(&self, id: PvcId) -> &PersistentVolumeClaim {
        self.pvcs.get(id)
    }

    /// Looks a claim up by namespace and name.
    pub fn pvc_id(&self, namespace: &str, name: &str) -> Option<PvcId> {
        self.pvcs.find(namespace, name)
    }

    /// Every claim, in creation order.
    pub fn pvcs(&self) -> &[PersistentVolumeClaim] {
        self.pvcs.all()
    }

    /// Binds a claim to a volume (both sides, as the volume controller does). Either already
    /// bound elsewhere is refused: `false`, nothing changed.
    pub fn bind_claim(&mut self, pvc: PvcId, pv: PvId) -> bool {
        let claim_free = self.pvcs.get(pvc).volume.is_none();
        let volume_free = self.pvs.get(pv).claim.is_none_or(|c| c == pvc);
        if !claim_free || !volume_free {
            return false;
        }
        self.pvcs.get_mut(pvc).volume = Some(pv);
        self.pvs.get_mut(pv).claim = Some(pvc);
        self.push(Change::ClaimBound { pvc, pv });
        true
    }

    // ---- services and disruption budgets ----

    /// Adds a Service.
    pub fn add_service(&mut self, service: Service) -> ServiceId {
        let id = self.services.insert(service);
        self.endpoints.push(Endpoints::default());
        self.proxy_endpoints.push(Arc::from([]));
        self.push(Change::ServiceCreated(id));
        id
    }

    /// The Service with this id.
    pub fn service(&self, id: ServiceId) -> &Service {
        self.services.get(id)
    }

    /// A Service's endpoints, as the EndpointSlice controller last published them.
    pub fn endpoints(&self, id: ServiceId) -> &Endpoints {
        &self.endpoints[id.index()]
    }

    /// The EndpointSlice controller's write of a Service's endpoints.
    pub fn set_endpoints(&mut self, id: ServiceId, endpoints: Endpoints) {
        if self.endpoints[id.index()] != endpoints {
            self.endpoints[id.index()] = endpoints;
            self.push(Change::Endpoints(id));
        }
    }

    /// The pods kube-proxy sends a Service's traffic to, in equal shares: the endpoints it
    /// has programmed.
    pub fn proxy_endpoints(&self, id: ServiceId) -> &Arc<[PodId]> {
        &self.proxy_endpoints[id.index()]
    }

    /// kube-proxy's sync of a Service's rules.
    pub fn set_proxy_endpoints(&mut self, id: ServiceId, pods: Arc<[PodId]>) {
        if *self.proxy_endpoints[id.index()] != *pods {
            self.proxy_endpoints[id.index()] = pods;
            self.push(Change::ProxyRules(id));
        }
    }

    /// The Services, in creation order.
    pub fn services(&self) -> &[Service] {
        self.services.all()
    }

    /// Adds a PodDisruptionBudget, with an empty status (`observedGeneration` 0: the
    /// eviction API refuses its pods until the disruption controller has synced it).
    pub fn add_pdb(&mut self, pdb: PodDisruptionBudget) -> PdbId {
        let id = self.pdbs.insert(pdb);
        if self.pdb_status.len() <= id.index() {
            self.pdb_status.resize(id.index() + 1, PdbStatus::default());
        }
        self.push(Change::PdbCreated(id));
        id
    }

    /// The PodDisruptionBudgets, in creation order (index `i` is `PdbId(i)`).
    pub fn pdbs(&self) -> &[PodDisruptionBudget] {
        self.pdbs.all()
    }

    /// A PodDisruptionBudget.
    pub fn pdb(&self, id: PdbId) -> &PodDisruptionBudget {
        self.pdbs.get(id)
    }

    /// A PodDisruptionBudget by namespace and name.
    pub fn pdb_id(&self, namespace: &str, name: &str) -> Option<PdbId> {
        self.pdbs.find(namespace, name)
    }

    /// A budget's status.
    pub fn pdb_status(&self, id: PdbId) -> &PdbStatus {
        &self.pdb_status[id.index()]
    }

    /// Writes a budget's status (`UpdateStatus`); a write that changes nothing records no
    /// change. Returns whether it changed.
    pub fn set_pdb_status(&mut self, id: PdbId, status: PdbStatus) -> bool {
        let slot = &mut self.pdb_status[id.index()];
        if *slot == status {
            return false;
        }
        *slot = status;
        self.push(Change::PdbStatus(id));
        true
    }

    // ---- cluster-scoped objects ----

    /// Registers a StorageClass.
    pub fn add_storage_class(&mut self, class: StorageClass) -> StorageClassId {
        let id = self.storage_classes.insert(class);
        self.push(Change::StorageClassCreated(id));
        id
    }

    /// Looks up a StorageClass by name.
    pub fn storage_class(&self, name: &str) -> Option<&StorageClass> {
        lookup(&self.storage_classes, name)
    }

    /// The StorageClasses, in creation order.
    pub fn storage_classes(&self) -> impl Iterator<Item = &StorageClass> {
        self.storage_classes.live().map(|(_, c)| c)
    }

    /// Registers a PriorityClass.
    pub fn add_priority_class(&mut self, pc: PriorityClass) -> PriorityClassId {
        let id = self.priority_classes.insert(pc);
        self.push(Change::PriorityClassCreated(id));
        id
    }

    /// Looks up a PriorityClass.
    pub fn priority_class(&self, name: &str) -> Option<&PriorityClass> {
        lookup(&self.priority_classes, name)
    }

    /// The PriorityClasses, in creation order.
    pub fn priority_classes(&self) -> impl Iterator<Item = &PriorityClass> {
        self.priority_classes.live().map(|(_, c)| c)
    }

    /// Creates a Namespace (once: a second one of the same name is ignored).
    pub fn add_namespace(&mut self, mut ns: Namespace) -> NamespaceId {
        if let Some(id) = self.namespaces.find("", &ns.meta.name) {
            return id;
        }
        self.assign_uid(&mut ns);
        let id = self.namespaces.insert(ns);
        self.push(Change::NamespaceCreated(id));
        id
    }

    /// The namespaces, in creation order.
    pub fn namespaces(&self) -> &[Namespace] {
        self.namespaces.all()
    }
}

fn lookup<'a, T: super::Object>(arena: &'a Arena<T>, name: &str) -> Option<&'a T> {
    arena.find("", name).map(|id| arena.get(id))
}
