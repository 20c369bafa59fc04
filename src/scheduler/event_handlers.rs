//! How the scheduler follows the store (upstream's informer event handlers,
//! `pkg/scheduler/eventhandlers.go`): unbound pods enter the queue, bound pods and node
//! changes update the scheduler's cache, and each change is a cluster event that may move
//! waiting pods back to the active queue.

use super::Scheduler;
use super::cache::NodeInfo;
use super::framework::ClusterEvents;
use crate::api::Node;
use crate::api::pod::Pod;
use crate::engine::SimTime;
use crate::store::{Change, NodeId, PodId, Store};
use std::sync::Arc;

impl Scheduler {
    /// Reacts to a store change (the informers' event handlers).
    pub(super) fn react(&mut self, change: &Change, store: &Store, now: SimTime) {
        match *change {
            Change::NodeAdded(id) => {
                debug_assert_eq!(id.0 as usize, self.nodes.len());
                let mut info = NodeInfo::new(id, store.node(id).clone());
                self.images.add_node(&mut info, &store.node(id).images);
                self.nodes.push(info);
                self.facts.count(store.node(id), true);
                self.pods.add_node(store.node(id));
                self.tree.add(id.0 as usize, store.node(id));
                self.node_names.push(Arc::from(store.node(id).name()));
                if self.watched
                    && let Some(n) = self.nodes.last()
                {
                    for p in &mut self.profiles {
                        p.for_each_watcher(|w| w.node_added(n));
                    }
                }
                self.order_stale = true;
                self.cluster_event(ClusterEvents::NODE_ADD, now);
            }
            Change::NodeUpdated { node, .. } => self.update_node(node, store, now),
            Change::PodCreated(id) => {
                if self.watched {
                    let pod = store.pod(id);
                    for p in &mut self.profiles {
                        p.for_each_watcher(|w| w.pod_created(pod));
                    }
                }
                self.enqueue(id, store, now);
            }
            Change::PodUngated(id) => self.enqueue(id, store, now),
            Change::NodeImageAdded { node, index } => {
                if let Some(image) = store.node(node).images.get(index as usize) {
                    self.images
                        .add_image(&mut self.nodes[node.0 as usize], image);
                }
            }
            Change::PvCreated(_) => self.cluster_event(ClusterEvents::PV_ADD_OR_UPDATE, now),
            Change::PvcCreated(_) => self.cluster_event(ClusterEvents::PVC_ADD_OR_UPDATE, now),
            Change::ClaimBound { .. } => self.cluster_event(
                ClusterEvents::PV_ADD_OR_UPDATE.or(ClusterEvents::PVC_ADD_OR_UPDATE),
                now,
            ),
            Change::PodBound { pod: id, node } => {
                self.nominated.remove(&id);
                self.assumed.remove(&id);
                let pod = store.pod(id);
                // Its start time for preemption: a snapshot's `status.startTime`, else when
                // it was bound.
                let at = match (&pod.status.resume, pod.status.started) {
                    (Some(_), Some(started)) => started,
                    _ => pod.status.scheduled.unwrap_or(pod.status.created),
                };
                self.count_on_node(id, pod, node.0 as usize, at);
                self.cluster_event(ClusterEvents::ASSIGNED_POD_ADD, now);
            }
            Change::PodPhase { pod, to, .. } if to.is_terminal() => self.forget(pod, store, now),
            Change::PodTerminating(id) => self.terminating(id, store),
            Change::PodDeleted(id) => {
                self.nominated.remove(&id);
                let profiles = &self.profiles;
                self.queue.remove(id, &|a, b| profiles[0].less(a, b));
                self.forget(id, store, now);
            }
            _ => {}
        }
    }

    /// A node was updated (upstream `updateNodeInCache`, `pkg/scheduler/eventhandlers.go`):
    /// every per-node structure takes the store's node, then the events the update amounts
    /// to move the unschedulable pods that wait for them.
    ///
    /// The cache's own copy is the "before": the store may already hold later updates whose
    /// changes are still to come, and those then find nothing left to do.
    fn update_node(&mut self, id: NodeId, store: &Store, now: SimTime) {
        let i = id.0 as usize;
        let new = store.node(id).clone();
        let old = self.nodes[i].node.clone();
        self.facts.count(&old, false);
        self.facts.count(&new, true);
        self.pods.update_node(i, &new);
        // The tree follows a zone change now; the walk order picks it up when a node next
        // joins, as upstream's `UpdateSnapshot` rebuilds its node list only then
        // (`pkg/scheduler/backend/cache/cache.go`).
        self.tree.update(i, &old, &new);
        self.nodes[i].set_node(new.clone());
        if self.watched {
            let n = &self.nodes[i];
            for p in &mut self.profiles {
                p.for_each_watcher(|w| w.node_updated(&old, n));
            }
        }
        for event in node_update_events(&old, &new) {
            self.cluster_event(event, now);
        }
    }

    /// Adds an unbound pod to the queue if its profile's PreEnqueue plugins let it in. A pod
    /// with scheduling gates never enters, whatever the plugins: the API server would refuse
    /// to bind it.
    pub(super) fn enqueue(&mut self, id: PodId, store: &Store, now: SimTime) {
        let pod = store.pod(id);
        if pod.status.node.is_some() || pod.status.deleted.is_some() {
            return;
        }
        let Some(&pi) = self.profile_by_name.get(&*pod.spec.scheduler_name) else {
            return;
        };
        if !pod.spec.scheduling_gates.is_empty() || self.profiles[pi].pre_enqueue(pod).is_some() {
            return;
        }
        let profiles = &self.profiles;
        let group = profiles[0].queue_group(pod);
        self.queue.add(id, pod.spec.priority, group, now, &|a, b| {
            profiles[0].less(a, b)
        });
    }

    pub(super) fn ensure_counted_len(&mut self, id: PodId) {
        if self.counted.len() <= id.0 as usize {
            self.counted.resize(id.0 as usize + 1, false);
        }
    }

    /// Counts pod `id` on node `node` in the cache and the index of bound pods, once
    /// (bound at `at`): when it is bound, or assumed there before.
    pub(super) fn count_on_node(&mut self, id: PodId, pod: &Pod, node: usize, at: SimTime) {
        self.ensure_counted_len(id);
        if self.counted[id.0 as usize] {
            return;
        }
        self.counted[id.0 as usize] = true;
        let n = &mut self.nodes[node];
        n.add_pod(pod);
        self.pods.pod_bound(pod, node);
        self.pods.list_bound(id, pod, node, at);
        if self.watched {
            for p in &mut self.profiles {
                p.for_each_watcher(|w| w.pod_assigned(pod, n));
            }
        }
    }

    /// A counted pod began terminating: PodTopologySpread stops counting it.
    fn terminating(&mut self, id: PodId, store: &Store) {
        if !self.counted.get(id.0 as usize).copied().unwrap_or(false) {
            return;
        }
        let pod = store.pod(id);
        let node = (pod.status.node.map(|n| n as usize)).or_else(|| self.assumed.get(&id).copied());
        if let Some(n) = node {
            self.pods.pod_terminating(pod, n);
        }
    }

    pub(super) fn forget(&mut self, id: PodId, store: &Store, now: SimTime) {
        self.ensure_counted_len(id);
        let assumed = self.assumed.remove(&id);
        if self.counted[id.0 as usize] {
            self.counted[id.0 as usize] = false;
            let pod = store.pod(id);
            if let Some(n) = pod.status.node.or(assumed.map(|n| n as u32)) {
                self.pods.pod_unbound(pod, n as usize);
                self.pods.unlist_bound(id, n as usize);
                let n = &mut self.nodes[n as usize];
                n.remove_pod(pod);
                if self.watched {
                    for p in &mut self.profiles {
                        p.for_each_watcher(|w| w.pod_unassigned(pod, n));
                    }
                }
            }
            self.cluster_event(ClusterEvents::ASSIGNED_POD_DELETE, now);
        }
    }

    pub(super) fn cluster_event(&mut self, event: ClusterEvents, now: SimTime) {
        if self.queue.unschedulable_len() == 0 {
            return;
        }
        let profiles = &self.profiles;
        self.queue
            .on_cluster_event(event, now, &|a, b| profiles[0].less(a, b));
    }
}

/// The cluster events a node update amounts to, in upstream's order
/// (`NodeSchedulingPropertiesChange`, `pkg/scheduler/framework/events.go`): uncordoning is
/// `UpdateNodeTaint` and cordoning nothing; allocatable, labels and taints each when they
/// differ; conditions when they differ.
pub(super) fn node_update_events(old: &Node, new: &Node) -> Vec<ClusterEvents> {
    let checks = [
        (
            old.unschedulable && !new.unschedulable,
            ClusterEvents::NODE_TAINT,
        ),
        (
            old.allocatable != new.allocatable,
            ClusterEvents::NODE_ALLOCATABLE,
        ),
        (
            old.meta.labels != new.meta.labels,
            ClusterEvents::NODE_LABEL,
        ),
        (old.taints != new.taints, ClusterEvents::NODE_TAINT),
        (
            old.conditions != new.conditions,
            ClusterEvents::NODE_CONDITION,
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(changed, event)| changed.then_some(event))
        .collect()
}
