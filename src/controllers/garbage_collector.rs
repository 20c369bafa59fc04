//! The garbage collector (`pkg/controller/garbagecollector/`): when an owner is deleted, its
//! dependents go too (background propagation, the default): a Deployment's ReplicaSets, a
//! ReplicaSet's, DaemonSet's or StatefulSet's pods
//! (a StatefulSet's claims stay), each pod with its grace period. Dependents are found through the
//! controller references the store indexes.

use crate::component::{Component, Context};
use crate::store::{Change, ChangeKind, Watch, WorkloadChange};

/// The collector (no state: the store's indices say who owns what).
#[derive(Debug, Default)]
pub struct GarbageCollector;

/// It acts on changes only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcEvent {}

impl Component for GarbageCollector {
    type Event = GcEvent;

    fn name(&self) -> &str {
        "controllers/garbage-collector"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::ReplicaSet,
            ChangeKind::Deployment,
            ChangeKind::DaemonSet,
            ChangeKind::StatefulSet,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: &mut Context<'_, GcEvent>) {
        let now = ctx.now();
        match *change {
            Change::Deployment {
                id,
                what: WorkloadChange::Deleted,
            } => {
                let uid = ctx.store.deployment(id).meta.uid.clone();
                for rs in ctx.store.replica_sets_of_controller(&uid).to_vec() {
                    ctx.store.delete_replica_set(rs);
                }
            }
            Change::ReplicaSet {
                id,
                what: WorkloadChange::Deleted,
            } => {
                let uid = ctx.store.replica_set(id).meta.uid.clone();
                for pod in ctx.store.pods_of_controller(&uid).to_vec() {
                    ctx.store.request_deletion(pod, now);
                }
            }
            Change::StatefulSet {
                id,
                what: WorkloadChange::Deleted,
            } => {
                let uid = ctx.store.stateful_set(id).meta.uid.clone();
                for pod in ctx.store.pods_of_controller(&uid).to_vec() {
                    ctx.store.request_deletion(pod, now);
                }
            }
            Change::DaemonSet {
                id,
                what: WorkloadChange::Deleted,
            } => {
                let uid = ctx.store.daemon_set(id).meta.uid.clone();
                for pod in ctx.store.pods_of_controller(&uid).to_vec() {
                    ctx.store.request_deletion(pod, now);
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: GcEvent, _ctx: &mut Context<'_, GcEvent>) {
        match event {}
    }
}
