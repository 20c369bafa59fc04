//! A state checker outside the model: invariants that must hold after every event.

use super::{NodeId, PodId, Store};
use crate::api::Resources;

/// Checks the store's invariants and returns every violation found (empty when sound):
/// - each pod on a node's list is bound to that node, live and not terminal;
/// - each live, bound, non-terminal pod is on its node's list;
/// - the summed requests of a node's pods fit its allocatable;
/// - claims and volumes point at each other.
pub fn check_invariants(store: &Store) -> Vec<String> {
    let mut errors = Vec::new();
    for (i, node) in store.nodes().iter().enumerate() {
        let id = NodeId(i as u32);
        let mut sum = Resources::default();
        for &pid in store.pods_on_node(id) {
            let p = store.pod(pid);
            if p.status.node != Some(id.0) {
                errors.push(format!(
                    "pod {} listed on {} but bound elsewhere",
                    p.key(),
                    node.name()
                ));
            }
            if p.phase().is_terminal() || p.status.deleted.is_some() {
                errors.push(format!(
                    "terminal or deleted pod {} still on {}",
                    p.key(),
                    node.name()
                ));
            }
            sum.add(&p.spec.requests);
        }
        if store.requested_on_node(id) != (sum.cpu_m, sum.memory) {
            errors.push(format!(
                "node {} keeps requests {:?}, its pods sum to ({}, {})",
                node.name(),
                store.requested_on_node(id),
                sum.cpu_m,
                sum.memory
            ));
        }
        let a = &node.allocatable;
        let over = sum.cpu_m > a.cpu_m
            || sum.memory > a.memory
            || sum.ephemeral_storage > a.ephemeral_storage
            || sum.scalars.iter().any(|(n, v)| *v > a.scalar(n))
            || store.pods_on_node(id).len() as i64 > a.pods;
        if over {
            errors.push(format!(
                "node {} over-committed: requests {sum} > allocatable {a}",
                node.name()
            ));
        }
    }
    for (i, c) in store.pvcs().iter().enumerate() {
        if let Some(pv) = c.volume
            && store.pv(pv).claim != Some(super::PvcId(i as u32))
        {
            errors.push(format!(
                "claim {}/{} bound to {} which holds another claim",
                c.meta.namespace,
                c.meta.name,
                store.pv(pv).meta.name
            ));
        }
    }
    for (i, p) in store.pods().iter().enumerate() {
        if let Some(n) = p.status.node
            && p.status.deleted.is_none()
            && !p.phase().is_terminal()
            && !store.pods_on_node(NodeId(n)).contains(&PodId(i as u32))
        {
            errors.push(format!(
                "pod {} bound but missing from its node's list",
                p.key()
            ));
        }
    }
    errors
}
