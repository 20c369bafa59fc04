//! HorizontalPodAutoscalers: the objects and their status.

use super::{HpaId, Store};
use crate::api::hpa::{HorizontalPodAutoscaler, HpaStatus};
use crate::engine::SimTime;

/// An HPA in the store.
#[derive(Clone, Debug)]
pub struct Autoscaler {
    /// As applied.
    pub hpa: HorizontalPodAutoscaler,
    /// What the controller last wrote.
    pub status: HpaStatus,
    /// `metadata.creationTimestamp`.
    pub created: SimTime,
}

impl Autoscaler {
    /// `HorizontalPodAutoscaler/namespace/name`, the object of its Events.
    pub fn object(&self) -> String {
        format!(
            "HorizontalPodAutoscaler/{}/{}",
            self.hpa.namespace, self.hpa.name
        )
    }
}

impl Store {
    /// Creates an HPA.
    pub fn create_hpa(&mut self, hpa: HorizontalPodAutoscaler, now: SimTime) -> HpaId {
        let id = HpaId(u32::try_from(self.hpas.len()).expect("fewer than 2^32 HPAs"));
        self.hpas.push(Autoscaler {
            hpa,
            status: HpaStatus::default(),
            created: now,
        });
        self.push(super::Change::HpaCreated(id));
        id
    }

    /// An HPA.
    pub fn hpa(&self, id: HpaId) -> &Autoscaler {
        &self.hpas[id.0 as usize]
    }

    /// Every HPA, by id.
    pub fn hpas(&self) -> &[Autoscaler] {
        &self.hpas
    }

    /// The controller's write of an HPA's status (`UpdateStatus`).
    pub fn set_hpa_status(&mut self, id: HpaId, status: HpaStatus) {
        self.hpas[id.0 as usize].status = status;
    }
}

/// A workload's scale subresource, as the HPA reads it.
#[derive(Clone, Debug)]
pub struct Scale {
    /// `spec.replicas`.
    pub spec_replicas: i32,
    /// `status.replicas`.
    pub status_replicas: i32,
    /// `status.selector`, parsed.
    pub selector: crate::api::LabelSelector,
    /// The workload's live pods (through its ReplicaSets for a Deployment), in creation
    /// order.
    pub pods: Vec<super::PodId>,
}

/// A workload an HPA scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleTarget {
    /// A Deployment.
    Deployment(super::DeploymentId),
    /// A ReplicaSet or ReplicationController.
    ReplicaSet(super::ReplicaSetId),
    /// A StatefulSet.
    StatefulSet(super::StatefulSetId),
}

impl Store {
    /// The live workload an HPA's `scaleTargetRef` names, if any.
    pub fn scale_target(&self, id: HpaId) -> Option<ScaleTarget> {
        use crate::api::apps::ReplicaSetKind;
        use crate::api::hpa::ScaleKind;
        let hpa = &self.hpa(id).hpa;
        let (ns, name) = (hpa.namespace.as_str(), hpa.spec.target.name.as_str());
        match hpa.spec.target.kind {
            ScaleKind::Deployment => self.deployment_id(ns, name).map(ScaleTarget::Deployment),
            ScaleKind::StatefulSet => self.stateful_set_id(ns, name).map(ScaleTarget::StatefulSet),
            kind => {
                let rs = self.replica_set_id(ns, name)?;
                let want = if kind == ScaleKind::ReplicaSet {
                    ReplicaSetKind::ReplicaSet
                } else {
                    ReplicaSetKind::ReplicationController
                };
                (self.replica_set(rs).spec.kind == want).then_some(ScaleTarget::ReplicaSet(rs))
            }
        }
    }

    /// A workload's scale subresource.
    pub fn scale(&self, target: ScaleTarget) -> Scale {
        match target {
            ScaleTarget::Deployment(d) => {
                let d = self.deployment(d);
                let mut pods = Vec::new();
                for &rs in self.replica_sets_of_controller(&d.meta.uid) {
                    pods.extend_from_slice(self.pods_of_controller(&self.replica_set(rs).meta.uid));
                }
                pods.sort_unstable();
                Scale {
                    spec_replicas: d.spec.replicas as i32,
                    status_replicas: d.status.replicas as i32,
                    selector: d.spec.selector.clone(),
                    pods,
                }
            }
            ScaleTarget::ReplicaSet(rs) => {
                let rs = self.replica_set(rs);
                Scale {
                    spec_replicas: rs.spec.replicas as i32,
                    status_replicas: rs.status.replicas as i32,
                    selector: rs.spec.selector.clone(),
                    pods: self.pods_of_controller(&rs.meta.uid).to_vec(),
                }
            }
            ScaleTarget::StatefulSet(ss) => {
                let ss = self.stateful_set(ss);
                Scale {
                    spec_replicas: ss.spec.replicas as i32,
                    status_replicas: ss.status.replicas as i32,
                    selector: ss.spec.selector.clone(),
                    pods: self.pods_of_controller(&ss.meta.uid).to_vec(),
                }
            }
        }
    }

    /// Whether a flow reaches a scaled workload's pods: it targets the workload, or a Service
    /// selecting the workload's pod template.
    pub fn flow_reaches(&self, flow: super::load::FlowTarget, target: ScaleTarget) -> bool {
        use super::load::FlowTarget as F;
        let template = match target {
            ScaleTarget::Deployment(d) => &self.deployment(d).spec.template,
            ScaleTarget::ReplicaSet(rs) => &self.replica_set(rs).spec.template,
            ScaleTarget::StatefulSet(ss) => &self.stateful_set(ss).spec.template,
        };
        match (flow, target) {
            (F::Deployment(a), ScaleTarget::Deployment(b)) => a == b,
            (F::StatefulSet(a), ScaleTarget::StatefulSet(b)) => a == b,
            (F::Service(svc), _) => {
                let ns = match target {
                    ScaleTarget::Deployment(d) => &self.deployment(d).meta.namespace,
                    ScaleTarget::ReplicaSet(rs) => &self.replica_set(rs).meta.namespace,
                    ScaleTarget::StatefulSet(ss) => &self.stateful_set(ss).meta.namespace,
                };
                self.service(svc).selects(ns, &template.meta.labels)
            }
            _ => false,
        }
    }

    /// The HPA controller's write of a workload's `spec.replicas` (its scale subresource).
    pub fn set_scale(&mut self, target: ScaleTarget, replicas: i32) {
        let replicas = replicas.max(0) as u32;
        match target {
            ScaleTarget::Deployment(d) => self.update_deployment(d, |_, s| s.replicas = replicas),
            ScaleTarget::ReplicaSet(rs) => {
                self.update_replica_set(rs, |_, s| s.replicas = replicas)
            }
            ScaleTarget::StatefulSet(ss) => {
                self.update_stateful_set(ss, |_, s| s.replicas = replicas)
            }
        }
    }
}
