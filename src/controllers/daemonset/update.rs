//! A DaemonSet's rolling update (`rollingUpdate` in `pkg/controller/daemon/update.go`), over
//! the nodes in node order (upstream walks a map, in no set order).
//!
//! Both bounds are percentages of the nodes that should run a pod, rounded up; both zero
//! makes `maxUnavailable` 1. Without surge, old pods are deleted (and replaced by the next
//! syncs) while fewer than `maxUnavailable` nodes lack an available pod; an old pod not
//! available is replaced at once. With surge, new pods start beside old ones on up to
//! `maxSurge` nodes, and each old pod goes once its new one is available.

use super::{NodePods, available, node_should_run};
use crate::api::apps::{DaemonSetUpdate, LABEL_CONTROLLER_REVISION_HASH};
use crate::engine::SimTime;
use crate::store::{DaemonSetId, NodeId, PodId, Store};
use std::collections::BTreeMap;

/// The old and new running pod of a node; `None` when it has several of one kind
/// (`findUpdatedPodsOnNode`).
fn old_and_new(
    store: &Store,
    pods: &NodePods,
    hash: &str,
) -> Option<(Option<PodId>, Option<PodId>)> {
    let (mut old, mut new) = (None, None);
    for &p in &pods.running {
        let updated = store
            .pod(p)
            .meta
            .labels
            .get(LABEL_CONTROLLER_REVISION_HASH)
            .map(String::as_str)
            == Some(hash);
        let slot = if updated { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(p);
    }
    Some((old, new))
}

/// The pods to delete and the nodes to give a new pod, for this sync.
pub(super) fn rolling_update(
    ds: DaemonSetId,
    hash: &str,
    by_node: &BTreeMap<Option<NodeId>, NodePods>,
    store: &Store,
    now: SimTime,
) -> (Vec<PodId>, Vec<NodeId>) {
    let d = store.daemon_set(ds);
    let DaemonSetUpdate::RollingUpdate(bounds) = d.spec.update else {
        return (Vec::new(), Vec::new());
    };
    let desired = store
        .nodes()
        .iter()
        .filter(|n| node_should_run(&d.spec.template.spec, n).0)
        .count() as i64;
    let mut max_unavailable = bounds.max_unavailable.scaled(desired);
    let max_surge = bounds.max_surge.scaled(desired);
    if max_unavailable == 0 && max_surge == 0 {
        max_unavailable = 1;
    }
    let min_ready = d.spec.min_ready_ms;
    let is_available = |p: PodId| available(store.pod(p), min_ready, now);
    // Every node that should run the pod (one without a pod counts as unavailable,
    // `updatedDesiredNodeCounts`) and every node that has one, in node order; with whether
    // it should run the pod.
    let none = NodePods::default();
    let nodes: Vec<(NodeId, &NodePods, bool)> = store
        .nodes()
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let n = NodeId(i as u32);
            let run = node_should_run(&d.spec.template.spec, node).0;
            let pods = by_node.get(&Some(n)).unwrap_or(&none);
            (run || !pods.running.is_empty()).then_some((n, pods, run))
        })
        .collect();
    if max_surge == 0 {
        let mut unavailable = 0;
        let (mut replace, mut candidates) = (Vec::new(), Vec::new());
        for (_, pods, _) in nodes {
            match old_and_new(store, pods, hash) {
                None | Some((None, None)) | Some((Some(_), Some(_))) => unavailable += 1,
                Some((None, Some(new))) => unavailable += i64::from(!is_available(new)),
                Some((Some(old), None)) if !is_available(old) => replace.push(old),
                Some((Some(_), None)) if unavailable >= max_unavailable => {}
                Some((Some(old), None)) => candidates.push(old),
            }
        }
        let room = (max_unavailable - unavailable).clamp(0, candidates.len() as i64) as usize;
        replace.extend(candidates.into_iter().take(room));
        return (replace, Vec::new());
    }
    let mut surged = 0;
    let (mut delete, mut allowed, mut candidates) = (Vec::new(), Vec::new(), Vec::new());
    for (n, pods, run) in nodes {
        match old_and_new(store, pods, hash) {
            None => surged += 1,
            Some((None, _)) => {}
            // A node that should not start the pod any more gets no surge pod.
            Some((Some(_), None)) if !run => {}
            Some((Some(old), None)) if !is_available(old) => allowed.push(n),
            Some((Some(_), None)) if surged >= max_surge => {}
            Some((Some(_), None)) => candidates.push(n),
            Some((Some(_), Some(new))) if !is_available(new) => surged += 1,
            Some((Some(old), Some(_))) => delete.push(old),
        }
    }
    let room = (max_surge - surged).clamp(0, candidates.len() as i64) as usize;
    allowed.extend(candidates.into_iter().take(room));
    (delete, allowed)
}
