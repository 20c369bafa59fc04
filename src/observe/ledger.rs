//! The pod ledger: one row per pod ever created, what `pods.csv` holds, read from the store
//! (deleted pods stay there as tombstones).

use crate::api::meta::OwnerReference;
use crate::api::pod::Phase;
use crate::engine::SimTime;
use crate::store::{NodeId, Store};

/// One pod's lifecycle.
#[derive(Clone, Debug, PartialEq)]
pub struct PodRow<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// The controller (`ownerReferences` with `controller: true`).
    pub owner: Option<&'a OwnerReference>,
    /// The node it was bound to.
    pub node: Option<&'a str>,
    /// Its last phase.
    pub phase: Phase,
    /// Created.
    pub created: SimTime,
    /// Bound.
    pub scheduled: Option<SimTime>,
    /// First container started.
    pub started: Option<SimTime>,
    /// First Ready.
    pub ready: Option<SimTime>,
    /// Reached Succeeded or Failed.
    pub finished: Option<SimTime>,
    /// Deleted.
    pub deleted: Option<SimTime>,
    /// Scheduling attempts.
    pub scheduling_attempts: u32,
    /// Container restarts.
    pub restarts: u32,
    /// CPU request, millicores.
    pub cpu_request_m: i64,
    /// Memory request, bytes.
    pub memory_request: i64,
    /// Priority.
    pub priority: i32,
    /// Last reason.
    pub reason: Option<&'static str>,
}

/// Every pod's row, in creation order.
pub fn pod_rows(store: &Store) -> impl Iterator<Item = PodRow<'_>> {
    store.pods().iter().map(|p| {
        let s = &p.status;
        let (cpu_request_m, memory_request, priority) = p.request_record();
        PodRow {
            namespace: &p.meta.namespace,
            name: &p.meta.name,
            owner: p.meta.controller(),
            node: s.node.map(|n| store.node(NodeId(n)).name()),
            phase: p.phase(),
            created: s.created,
            scheduled: s.scheduled,
            started: s.started,
            ready: s.first_ready,
            finished: s.finished,
            deleted: s.deleted,
            scheduling_attempts: s.scheduling_attempts,
            restarts: s.restarts,
            cpu_request_m,
            memory_request,
            priority,
            reason: s.reason,
        }
    })
}
