//! The cluster as a snapshot shows it (`kubectl get -o yaml` of every kind): the live objects,
//! with the names a manifest would hold where the store keeps ids (a pod's node, a volume's
//! claim). `output::snapshot` writes it.

use crate::api::admission::LimitRange;
use crate::api::disruption::PodDisruptionBudget;
use crate::api::namespace::Namespace;
use crate::api::pod::Pod;
use crate::api::service::Service;
use crate::api::volume::StorageClass;
use crate::api::{Node, ObjectMeta, PriorityClass};
use crate::store::admission::QuotaState;
use crate::store::autoscalers::Autoscaler;
use crate::store::{
    DaemonSet, Deployment, DeploymentId, Job, PersistentVolume, PersistentVolumeClaim, ReplicaSet,
    StatefulSet, Store,
};
use std::sync::Arc;

/// A PersistentVolume and the claim it is bound to.
pub struct Volume<'a> {
    /// The volume.
    pub pv: &'a PersistentVolume,
    /// Its claim's metadata (`spec.claimRef`).
    pub claim: Option<&'a ObjectMeta>,
}

/// A PersistentVolumeClaim and the volume it is bound to.
pub struct Claim<'a> {
    /// The claim.
    pub pvc: &'a PersistentVolumeClaim,
    /// The bound volume's name.
    pub volume: Option<&'a str>,
}

/// A live, unfinished pod.
pub struct PodState<'a> {
    /// The pod.
    pub pod: &'a Pod,
    /// The node it is bound to.
    pub node: Option<&'a str>,
    /// The grace period of its pending deletion, ms.
    pub deletion_grace_ms: i64,
}

/// Every live object, by kind, in creation order.
pub struct Cluster<'a> {
    /// Namespaces.
    pub namespaces: &'a [Namespace],
    /// PriorityClasses but the built-in ones (which cannot be created).
    pub priority_classes: Vec<&'a PriorityClass>,
    /// StorageClasses.
    pub storage_classes: Vec<&'a StorageClass>,
    /// Nodes.
    pub nodes: &'a [Arc<Node>],
    /// PersistentVolumes.
    pub volumes: Vec<Volume<'a>>,
    /// PersistentVolumeClaims.
    pub claims: Vec<Claim<'a>>,
    /// Services.
    pub services: &'a [Service],
    /// PodDisruptionBudgets.
    pub pdbs: &'a [PodDisruptionBudget],
    /// ResourceQuotas with their usage.
    pub quotas: &'a [QuotaState],
    /// LimitRanges.
    pub limit_ranges: &'a [LimitRange],
    /// Deployments.
    pub deployments: Vec<&'a Deployment>,
    /// ReplicaSets and ReplicationControllers.
    pub replica_sets: Vec<&'a ReplicaSet>,
    /// DaemonSets.
    pub daemon_sets: Vec<&'a DaemonSet>,
    /// StatefulSets.
    pub stateful_sets: Vec<&'a StatefulSet>,
    /// Unfinished Jobs (a loader would run a finished one again).
    pub jobs: Vec<&'a Job>,
    /// HorizontalPodAutoscalers with their status.
    pub hpas: &'a [Autoscaler],
    /// Live pods that have not finished (a loader leaves finished ones out).
    pub pods: Vec<PodState<'a>>,
}

/// The cluster in `store` now.
pub fn cluster(store: &Store) -> Cluster<'_> {
    let built_in = PriorityClass::built_in();
    let node_name = |n: u32| store.nodes()[n as usize].meta.name.as_str();
    let pods = store
        .pods()
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.phase().is_terminal() && p.status.deleted.is_none())
        .map(|(i, p)| PodState {
            pod: p,
            node: p.status.node.map(node_name),
            deletion_grace_ms: store.deletion_grace_ms(crate::store::PodId(i as u32)),
        })
        .collect();
    Cluster {
        namespaces: store.namespaces(),
        priority_classes: store
            .priority_classes()
            .filter(|pc| !built_in.contains(pc))
            .collect(),
        storage_classes: store.storage_classes().collect(),
        nodes: store.nodes(),
        volumes: store
            .pvs()
            .iter()
            .map(|pv| Volume {
                pv,
                claim: pv.claim.map(|c| &store.pvc(c).meta),
            })
            .collect(),
        claims: store
            .pvcs()
            .iter()
            .map(|pvc| Claim {
                pvc,
                volume: pvc.volume.map(|v| store.pv(v).meta.name.as_str()),
            })
            .collect(),
        services: store.services(),
        pdbs: store.pdbs(),
        quotas: store.quotas(),
        limit_ranges: store.limit_ranges(),
        deployments: (store.deployments().iter().enumerate())
            .filter(|(i, _)| store.deployment_is_live(DeploymentId(*i as u32)))
            .map(|(_, d)| d)
            .collect(),
        replica_sets: store.live_replica_sets().map(|(_, rs)| rs).collect(),
        daemon_sets: store.live_daemon_sets().map(|(_, ds)| ds).collect(),
        stateful_sets: store.live_stateful_sets().map(|(_, ss)| ss).collect(),
        jobs: (store.jobs().iter())
            .filter(|j| j.status.finished.is_none())
            .collect(),
        hpas: store.hpas(),
        pods,
    }
}
