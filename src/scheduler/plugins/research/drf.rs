//! `kubesim.io/DominantResourceFairness`: Dominant Resource Fairness as a QueueSort plugin.
//!
//! Source: A. Ghodsi, M. Zaharia, B. Hindman, A. Konwinski, S. Shenker and I. Stoica,
//! "Dominant Resource Fairness: fair allocation of multiple resource types", USENIX NSDI 2011.
//! A user's dominant share is the largest, over resources, of its allocation divided by the
//! cluster's capacity; DRF offers the next resources to the user with the smallest one.
//!
//! Mapping: users are namespaces; a namespace's allocation is the summed requests of its pods
//! bound and not ended (cpu and memory, as the scheduler's cache counts them), and capacity
//! is the summed allocatable of the nodes. The pod whose namespace has the smallest dominant
//! share pops first; ties go to the higher priority, then the earlier queue timestamp, then
//! entry order (the queue's own tie-break).
//!
//! Shares change whenever a pod binds or ends, so the heap key is dynamic. The plugin watches
//! the cluster ([`ClusterWatcher`]) to keep each namespace's usage and an exact integer key
//! `max(cpu_used * M, memory_used * C)` (the dominant share times `C * M`, with `C`, `M` the
//! cluster's cpu and memory; a resource the cluster has none of is left out), and puts each
//! pod in its namespace's group ([`QueueSortPlugin::group`]). Within a namespace the order is
//! static (priority, timestamp, entry), so the queue keeps one heap per namespace and at each
//! pop compares the namespaces' heads under the current shares: O(namespaces + log n) per
//! pop, no re-heapify, never a stale order. The scheduler's single queue means every profile
//! must use this plugin as its queueSort when one does (upstream requires one queueSort for
//! all profiles too).

use crate::api::Node;
use crate::api::pod::Pod;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{ClusterWatcher, Plugin, QueueSortPlugin};
use crate::scheduler::plugins::names;
use crate::scheduler::queue::QueuedPodInfo;
use std::collections::BTreeMap;

/// The plugin: usage per namespace and the cluster's capacity.
#[derive(Clone, Debug, Default)]
pub struct DominantResourceFairness {
    /// Namespace name to group index (lookup only).
    groups: BTreeMap<String, u32>,
    /// Per group: bound cpu (millicores) and memory (bytes).
    usage: Vec<(i64, i64)>,
    /// Per group: the dominant share times `C * M` (see the module doc).
    keys: Vec<i128>,
    /// The cluster's allocatable cpu (millicores) and memory (bytes).
    capacity: (i64, i64),
}

impl DominantResourceFairness {
    /// The group of a namespace, created on first sight.
    fn intern(&mut self, namespace: &str) -> usize {
        if let Some(&g) = self.groups.get(namespace) {
            return g as usize;
        }
        let g = self.usage.len();
        self.groups.insert(namespace.to_string(), g as u32);
        self.usage.push((0, 0));
        self.keys.push(0);
        g
    }

    fn key_of(&self, (cpu, memory): (i64, i64)) -> i128 {
        let (c, m) = self.capacity;
        let (cpu, memory) = (i128::from(cpu.max(0)), i128::from(memory.max(0)));
        match (c > 0, m > 0) {
            (true, true) => (cpu * i128::from(m)).max(memory * i128::from(c)),
            (true, false) => cpu,
            (false, true) => memory,
            (false, false) => 0,
        }
    }

    fn add_usage(&mut self, pod: &Pod, sign: i64) {
        let g = self.intern(&pod.meta.namespace);
        let (cpu, memory, _) = pod.request_record();
        let u = &mut self.usage[g];
        u.0 = u.0.saturating_add(sign * cpu);
        u.1 = u.1.saturating_add(sign * memory);
        self.keys[g] = self.key_of(self.usage[g]);
    }

    /// A namespace's dominant share as a fraction (for tests and reports): `None` when the
    /// namespace has not been seen.
    pub fn dominant_share(&self, namespace: &str) -> Option<f64> {
        let g = *self.groups.get(namespace)? as usize;
        let (cpu, memory) = self.usage[g];
        let (c, m) = self.capacity;
        let f = |used: i64, cap: i64| {
            if cap > 0 {
                used as f64 / cap as f64
            } else {
                0.0
            }
        };
        Some(f(cpu, c).max(f(memory, m)))
    }

    fn key(&self, info: &QueuedPodInfo) -> i128 {
        info.group
            .and_then(|g| self.keys.get(g as usize))
            .copied()
            .unwrap_or(0)
    }
}

impl Plugin for DominantResourceFairness {
    fn name(&self) -> &str {
        names::DOMINANT_RESOURCE_FAIRNESS
    }
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        Some(self)
    }
    fn as_watcher(&mut self) -> Option<&mut dyn ClusterWatcher> {
        Some(self)
    }
}

impl QueueSortPlugin for DominantResourceFairness {
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        let (ka, kb) = (self.key(a), self.key(b));
        ka < kb
            || (ka == kb
                && (a.priority > b.priority
                    || (a.priority == b.priority && a.timestamp < b.timestamp)))
    }

    /// The namespace's group. The scheduler announces every pod ([`ClusterWatcher::pod_created`])
    /// before queueing it; a pod of a namespace never announced gets no group (share 0).
    fn group(&self, pod: &Pod) -> Option<u32> {
        self.groups.get(&pod.meta.namespace).copied()
    }
}

impl DominantResourceFairness {
    /// Adds `sign` times a node's allocatable cpu and memory to the capacity, and re-keys.
    fn add_capacity(&mut self, (cpu, memory): (i64, i64), sign: i64) {
        self.capacity.0 = self.capacity.0.saturating_add(sign * cpu);
        self.capacity.1 = self.capacity.1.saturating_add(sign * memory);
        for g in 0..self.usage.len() {
            self.keys[g] = self.key_of(self.usage[g]);
        }
    }
}

impl ClusterWatcher for DominantResourceFairness {
    fn node_added(&mut self, node: &NodeInfo) {
        let h = &node.hot;
        self.add_capacity((h.allocatable_cpu_m, h.allocatable_memory), 1);
    }

    /// The capacity follows a change of the node's allocatable.
    fn node_updated(&mut self, old: &Node, node: &NodeInfo) {
        let (a, h) = (&old.allocatable, &node.hot);
        if (a.cpu_m, a.memory) != (h.allocatable_cpu_m, h.allocatable_memory) {
            self.add_capacity((a.cpu_m, a.memory), -1);
            self.add_capacity((h.allocatable_cpu_m, h.allocatable_memory), 1);
        }
    }

    fn pod_created(&mut self, pod: &Pod) {
        self.intern(&pod.meta.namespace);
    }

    fn pod_assigned(&mut self, pod: &Pod, _node: &NodeInfo) {
        self.add_usage(pod, 1);
    }

    fn pod_unassigned(&mut self, pod: &Pod, _node: &NodeInfo) {
        self.add_usage(pod, -1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::scheduler::plugins::testing::{node, pod};
    use crate::scheduler::queue::{Less, SchedulingQueue};
    use crate::store::PodId;
    use std::sync::Arc;

    const GI: i64 = 1 << 30;

    fn in_ns(name: &str, ns: &str, cpu: i64, mem: i64) -> Pod {
        let mut p = pod(name, cpu, mem);
        p.meta.namespace = ns.into();
        p
    }

    #[test]
    fn dominant_shares_follow_binds_and_ends() {
        let mut d = DominantResourceFairness::default();
        let n = node("n", 10_000, 10 * GI);
        d.node_added(&n);
        d.node_added(&node("m", 10_000, 10 * GI));
        // Cluster: 20 cores, 20 GiB. a: 4 cores + 1 GiB -> cpu 0.2 dominant.
        let a = in_ns("a1", "a", 4000, GI);
        // b: 1 core + 6 GiB -> memory 0.3 dominant.
        let b = in_ns("b1", "b", 1000, 6 * GI);
        for p in [&a, &b] {
            d.pod_created(p);
            d.pod_assigned(p, &n);
        }
        assert_eq!(d.dominant_share("a"), Some(0.2));
        assert_eq!(d.dominant_share("b"), Some(0.3));
        assert_eq!(d.dominant_share("c"), None);
        d.pod_unassigned(&b, &n);
        assert_eq!(d.dominant_share("b"), Some(0.0));
    }

    #[test]
    fn the_capacity_follows_a_node_allocatable_change() {
        let mut d = DominantResourceFairness::default();
        let n = node("n", 10_000, 10 * GI);
        d.node_added(&n);
        d.node_added(&node("m", 10_000, 10 * GI));
        let a = in_ns("a1", "a", 4000, GI);
        d.pod_created(&a);
        d.pod_assigned(&a, &n);
        assert_eq!(d.dominant_share("a"), Some(0.2));
        // n shrinks to 6 cores (the cluster to 16), then a label change leaves it alone.
        let mut smaller = (*n.node).clone();
        smaller.allocatable.cpu_m = 6000;
        let mut after = n.clone();
        after.set_node(Arc::new(smaller));
        d.node_updated(&n.node, &after);
        assert_eq!(d.dominant_share("a"), Some(0.25));
        assert_eq!(d.capacity, (16_000, 20 * GI));
        d.node_updated(&after.node, &after);
        assert_eq!(d.capacity, (16_000, 20 * GI));
    }

    #[test]
    fn queue_pops_the_smallest_dominant_share_first_as_shares_change() {
        let mut d = DominantResourceFairness::default();
        let n = node("n", 10_000, 10 * GI);
        d.node_added(&n);
        let mut q = SchedulingQueue::new();
        // Two pending pods per namespace, queued a before b; a's second has priority 5.
        let pending = [
            in_ns("a1", "a", 1000, GI),
            in_ns("a2", "a", 1000, GI),
            in_ns("b1", "b", 1000, GI),
            in_ns("b2", "b", 1000, GI),
        ];
        for (i, p) in pending.iter().enumerate() {
            d.pod_created(p);
            let priority = if i == 1 { 5 } else { 0 };
            let less: Less = &|x, y| d.less(x, y);
            q.add(
                PodId(i as u32),
                priority,
                d.group(p),
                SimTime(i as i64),
                less,
            );
        }
        let mut order = Vec::new();
        for _ in 0..pending.len() {
            let info = q.pop(&|x, y| d.less(x, y)).expect("one pod per push");
            let p = &pending[info.pod.0 as usize];
            order.push(p.meta.name.clone());
            // Binding the popped pod raises its namespace's share before the next pop.
            d.pod_assigned(p, &n);
        }
        // All shares 0: a2 (priority 5). Then b (0 < 0.1): b1. Then a and b tie at 0.1 and
        // a1's earlier timestamp wins.
        assert_eq!(order, ["a2", "b1", "a1", "b2"]);
        assert_eq!(q.active_len(), 0);
    }

    #[test]
    fn ties_go_to_priority_then_timestamp() {
        let d = DominantResourceFairness::default();
        let info = |priority, t| QueuedPodInfo {
            pod: PodId(0),
            priority,
            timestamp: SimTime(t),
            initial_timestamp: SimTime(t),
            attempts: 0,
            last_failure: SimTime(t),
            requeue_on: crate::scheduler::framework::ClusterEvents::NONE,
            seq: 0,
            group: None,
        };
        assert!(d.less(&info(1, 9), &info(0, 1)));
        assert!(d.less(&info(0, 1), &info(0, 2)));
        assert!(!d.less(&info(0, 1), &info(0, 1)));
    }
}
