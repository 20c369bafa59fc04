//! The scheduling queue: activeQ, backoffQ and the unschedulable pool
//! (`pkg/scheduler/backend/queue/scheduling_queue.go`).
//!
//! - activeQ is a heap ordered by the profile's QueueSort plugin (PrioritySort: higher priority
//!   first, then earlier queue timestamp); a sequence number makes equal pods pop in the order
//!   they were queued. A sort whose order changes with the cluster (DominantResourceFairness)
//!   puts pods in groups: activeQ then keeps one heap per group and a pop takes the best of
//!   the group heads under the order of that moment (see [`QueueSortPlugin`]).
//! - backoffQ holds pods whose back-off has not expired: `min(1 s * 2^(attempts-1), 10 s)`
//!   after their last failure. A flush every second moves expired pods to activeQ.
//! - the unschedulable pool holds pods that failed; a cluster event that one of the plugins
//!   which rejected a pod registered for moves it to backoffQ (still backing off) or activeQ.
//!   A sweep every 30 s moves pods that have waited longer than 5 minutes.

use super::framework::ClusterEvents;
#[cfg(doc)]
use super::framework::QueueSortPlugin;
use crate::engine::SimTime;
use crate::store::PodId;
use std::collections::BTreeMap;

/// Initial back-off after a failed attempt (`podInitialBackoffSeconds` defaults to 1).
pub const INITIAL_BACKOFF_MS: i64 = 1_000;
/// Back-off cap (`podMaxBackoffSeconds` defaults to 10).
pub const MAX_BACKOFF_MS: i64 = 10_000;

/// The back-off of a pod that failed: initial, doubling up to a cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// After the first failure, ms.
    pub initial_ms: i64,
    /// At most, ms.
    pub max_ms: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_ms: INITIAL_BACKOFF_MS,
            max_ms: MAX_BACKOFF_MS,
        }
    }
}

impl Backoff {
    /// Back-off after `attempts` failed attempts: `min(initial * 2^(attempts-1), max)`; 0
    /// before any.
    pub fn after(self, attempts: u32) -> i64 {
        if attempts == 0 {
            return 0;
        }
        let shift = (attempts - 1).min(30);
        self.initial_ms.saturating_mul(1 << shift).min(self.max_ms)
    }
}
/// How often expired back-offs are flushed to activeQ.
pub const BACKOFF_FLUSH_MS: i64 = 1_000;
/// How often the unschedulable pool is swept.
pub const UNSCHEDULABLE_FLUSH_MS: i64 = 30_000;
/// How long a pod may stay in the unschedulable pool before the sweep moves it.
pub const MAX_IN_UNSCHEDULABLE_MS: i64 = 5 * 60_000;

/// A queued pod with its scheduling history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedPodInfo {
    /// The pod.
    pub pod: PodId,
    /// Its priority (copied from the spec for the sort).
    pub priority: i32,
    /// When it was added to or last moved within the queue.
    pub timestamp: SimTime,
    /// When it was first queued.
    pub initial_timestamp: SimTime,
    /// Scheduling attempts so far.
    pub attempts: u32,
    /// When the last attempt failed.
    pub last_failure: SimTime,
    /// Events that can make it schedulable (union over the plugins that rejected it; empty
    /// means any event).
    pub requeue_on: ClusterEvents,
    /// Order of entry into activeQ, for a deterministic tie-break.
    pub seq: u64,
    /// The QueueSort group (see [`QueueSortPlugin::group`]); `None` for a static order.
    pub group: Option<u32>,
}

impl QueuedPodInfo {
    /// When its back-off ends.
    pub fn backoff_expiry(&self, backoff: Backoff) -> SimTime {
        self.last_failure + backoff.after(self.attempts)
    }
}

/// Back-off duration after `attempts` failed attempts, with the default back-off.
pub fn backoff_ms(attempts: u32) -> i64 {
    Backoff::default().after(attempts)
}

/// Comparator deciding activeQ order: true when `a` pops before `b`.
pub type Less<'a> = &'a dyn Fn(&QueuedPodInfo, &QueuedPodInfo) -> bool;

/// The three pools.
#[derive(Default)]
pub struct SchedulingQueue {
    /// activeQ's heap of the pods without a group.
    active: Vec<QueuedPodInfo>,
    /// activeQ's heap of each group that has pods (an emptied group is removed).
    groups: BTreeMap<u32, Vec<QueuedPodInfo>>,
    /// Pods in `groups`.
    grouped_len: usize,
    backoff: BTreeMap<(SimTime, u64), QueuedPodInfo>,
    unschedulable: BTreeMap<PodId, QueuedPodInfo>,
    next_seq: u64,
    /// The back-off configured.
    backoff_policy: Backoff,
}

impl SchedulingQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue with this back-off.
    pub fn with_backoff(backoff_policy: Backoff) -> Self {
        SchedulingQueue {
            backoff_policy,
            ..Self::default()
        }
    }

    /// Pods in activeQ.
    pub fn active_len(&self) -> usize {
        self.active.len() + self.grouped_len
    }

    /// Pods in backoffQ.
    pub fn backoff_len(&self) -> usize {
        self.backoff.len()
    }

    /// Pods in the unschedulable pool.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }

    /// A new pod enters activeQ, in `group` (see [`QueueSortPlugin::group`]).
    pub fn add(&mut self, pod: PodId, priority: i32, group: Option<u32>, now: SimTime, less: Less) {
        let info = QueuedPodInfo {
            pod,
            priority,
            timestamp: now,
            initial_timestamp: now,
            attempts: 0,
            last_failure: now,
            requeue_on: ClusterEvents::NONE,
            seq: 0,
            group,
        };
        self.push_active(info, less);
    }

    /// Pops the head of activeQ: the best of the ungrouped heap's head and each group's head,
    /// compared under `less` as it is now.
    pub fn pop(&mut self, less: Less) -> Option<QueuedPodInfo> {
        if self.groups.is_empty() {
            return heap_pop(&mut self.active, less);
        }
        let mut best: Option<(Option<u32>, &QueuedPodInfo)> =
            self.active.first().map(|i| (None, i));
        for (&g, heap) in &self.groups {
            if let Some(head) = heap.first()
                && best.is_none_or(|(_, b)| before(head, b, less))
            {
                best = Some((Some(g), head));
            }
        }
        match best.map(|(g, _)| g) {
            None => None,
            Some(None) => heap_pop(&mut self.active, less),
            Some(Some(g)) => {
                let heap = self.groups.get_mut(&g)?;
                let top = heap_pop(heap, less);
                if heap.is_empty() {
                    self.groups.remove(&g);
                }
                self.grouped_len -= 1;
                top
            }
        }
    }

    /// A pod whose attempt failed as unschedulable goes to the unschedulable pool.
    pub fn add_unschedulable(&mut self, mut info: QueuedPodInfo, now: SimTime) {
        info.timestamp = now;
        info.last_failure = now;
        self.unschedulable.insert(info.pod, info);
    }

    /// A pod whose attempt failed with an error goes to backoffQ.
    pub fn add_backoff(&mut self, mut info: QueuedPodInfo, now: SimTime) {
        info.timestamp = now;
        info.last_failure = now;
        self.push_backoff(info);
    }

    /// Removes a pod from every pool (it was deleted or bound by someone else).
    pub fn remove(&mut self, pod: PodId, less: Less) {
        self.unschedulable.remove(&pod);
        self.backoff.retain(|_, i| i.pod != pod);
        if heap_remove(&mut self.active, pod, less) || self.groups.is_empty() {
            return;
        }
        let found = self
            .groups
            .iter_mut()
            .find_map(|(&g, heap)| heap_remove(heap, pod, less).then_some((g, heap.is_empty())));
        if let Some((g, emptied)) = found {
            self.grouped_len -= 1;
            if emptied {
                self.groups.remove(&g);
            }
        }
    }

    /// Moves unschedulable pods that `event` may help to backoffQ or activeQ. Returns how
    /// many moved.
    pub fn on_cluster_event(&mut self, event: ClusterEvents, now: SimTime, less: Less) -> usize {
        let movable: Vec<PodId> = self
            .unschedulable
            .values()
            .filter(|i| i.requeue_on == ClusterEvents::NONE || i.requeue_on.intersects(event))
            .map(|i| i.pod)
            .collect();
        for pod in &movable {
            if let Some(info) = self.unschedulable.remove(pod) {
                self.requeue(info, now, less);
            }
        }
        movable.len()
    }

    /// The 1-second flush: back-offs that have expired move to activeQ.
    pub fn flush_backoff(&mut self, now: SimTime, less: Less) {
        while let Some((&(expiry, _), _)) = self.backoff.first_key_value() {
            if expiry > now {
                break;
            }
            if let Some((_, mut info)) = self.backoff.pop_first() {
                info.timestamp = now;
                self.push_active(info, less);
            }
        }
    }

    /// The 30-second sweep: pods unschedulable for longer than 5 minutes are requeued.
    pub fn flush_unschedulable(&mut self, now: SimTime, less: Less) {
        let stale: Vec<PodId> = self
            .unschedulable
            .values()
            .filter(|i| now - i.timestamp > MAX_IN_UNSCHEDULABLE_MS)
            .map(|i| i.pod)
            .collect();
        for pod in stale {
            if let Some(info) = self.unschedulable.remove(&pod) {
                self.requeue(info, now, less);
            }
        }
    }

    fn requeue(&mut self, mut info: QueuedPodInfo, now: SimTime, less: Less) {
        info.timestamp = now;
        if info.backoff_expiry(self.backoff_policy) > now {
            self.push_backoff(info);
        } else {
            self.push_active(info, less);
        }
    }

    fn push_backoff(&mut self, info: QueuedPodInfo) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.backoff
            .insert((info.backoff_expiry(self.backoff_policy), seq), info);
    }

    fn push_active(&mut self, mut info: QueuedPodInfo, less: Less) {
        info.seq = self.next_seq;
        self.next_seq += 1;
        let heap = match info.group {
            None => &mut self.active,
            Some(g) => {
                self.grouped_len += 1;
                self.groups.entry(g).or_default()
            }
        };
        heap.push(info);
        let i = heap.len() - 1;
        sift_up(heap, i, less);
    }
}

/// Whether `a` pops before `b`: by `less`, then by entry order.
fn before(a: &QueuedPodInfo, b: &QueuedPodInfo, less: Less) -> bool {
    if less(a, b) {
        true
    } else if less(b, a) {
        false
    } else {
        a.seq < b.seq
    }
}

fn heap_pop(heap: &mut Vec<QueuedPodInfo>, less: Less) -> Option<QueuedPodInfo> {
    if heap.is_empty() {
        return None;
    }
    let last = heap.len() - 1;
    heap.swap(0, last);
    let top = heap.pop();
    sift_down(heap, 0, less);
    top
}

/// Removes `pod` from the heap; false when it is not there.
fn heap_remove(heap: &mut Vec<QueuedPodInfo>, pod: PodId, less: Less) -> bool {
    let Some(i) = heap.iter().position(|i| i.pod == pod) else {
        return false;
    };
    let last = heap.len() - 1;
    heap.swap(i, last);
    heap.pop();
    if i < heap.len() {
        sift_down(heap, i, less);
        sift_up(heap, i, less);
    }
    true
}

fn sift_up(heap: &mut [QueuedPodInfo], mut i: usize, less: Less) {
    while i > 0 {
        let parent = (i - 1) / 2;
        if before(&heap[i], &heap[parent], less) {
            heap.swap(i, parent);
            i = parent;
        } else {
            break;
        }
    }
}

fn sift_down(heap: &mut [QueuedPodInfo], mut i: usize, less: Less) {
    let n = heap.len();
    loop {
        let l = 2 * i + 1;
        let r = l + 1;
        let mut best = i;
        if l < n && before(&heap[l], &heap[best], less) {
            best = l;
        }
        if r < n && before(&heap[r], &heap[best], less) {
            best = r;
        }
        if best == i {
            break;
        }
        heap.swap(i, best);
        i = best;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priority_sort(a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        a.priority > b.priority || (a.priority == b.priority && a.timestamp < b.timestamp)
    }

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        let got: Vec<i64> = (0..7).map(backoff_ms).collect();
        assert_eq!(got, [0, 1000, 2000, 4000, 8000, 10000, 10000]);
        assert_eq!(backoff_ms(u32::MAX), 10000);
        // podInitialBackoffSeconds: 2, podMaxBackoffSeconds: 60.
        let b = Backoff {
            initial_ms: 2_000,
            max_ms: 60_000,
        };
        let got: Vec<i64> = (0..7).map(|a| b.after(a)).collect();
        assert_eq!(got, [0, 2000, 4000, 8000, 16000, 32000, 60000]);
        assert_eq!(b.after(u32::MAX), 60_000);
    }

    #[test]
    fn active_queue_pops_by_priority_then_time_then_entry() {
        let mut q = SchedulingQueue::new();
        let less: Less = &priority_sort;
        q.add(PodId(1), 0, None, SimTime(5), less);
        q.add(PodId(2), 10, None, SimTime(9), less);
        q.add(PodId(3), 0, None, SimTime(1), less);
        q.add(PodId(4), 0, None, SimTime(1), less);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop(less))
            .map(|i| i.pod.0)
            .collect();
        assert_eq!(order, [2, 3, 4, 1]);
    }

    #[test]
    fn grouped_pops_follow_group_keys_that_change_between_pops() {
        use std::cell::Cell;
        // Group key (smaller first), then priority: the keys change after the pushes.
        let keys = [Cell::new(0i64), Cell::new(0i64)];
        let by_group = |a: &QueuedPodInfo, b: &QueuedPodInfo| {
            let k = |i: &QueuedPodInfo| keys[i.group.unwrap_or(0) as usize].get();
            k(a) < k(b) || (k(a) == k(b) && a.priority > b.priority)
        };
        let less: Less = &by_group;
        let mut q = SchedulingQueue::new();
        q.add(PodId(1), 0, Some(0), SimTime(0), less);
        q.add(PodId(2), 5, Some(0), SimTime(0), less);
        q.add(PodId(3), 1, Some(1), SimTime(0), less);
        q.add(PodId(4), 9, Some(1), SimTime(0), less);
        assert_eq!(q.active_len(), 4);
        keys[1].set(10);
        assert_eq!(
            q.pop(less).map(|i| i.pod.0),
            Some(2),
            "group 0 is now first"
        );
        keys[0].set(20);
        assert_eq!(q.pop(less).map(|i| i.pod.0), Some(4), "then group 1");
        q.remove(PodId(3), less);
        assert_eq!(q.pop(less).map(|i| i.pod.0), Some(1));
        assert_eq!((q.pop(less), q.active_len()), (None, 0));
        // Equal keys across groups: entry order decides.
        keys[0].set(0);
        keys[1].set(0);
        q.add(PodId(5), 0, Some(1), SimTime(0), less);
        q.add(PodId(6), 0, Some(0), SimTime(0), less);
        q.add(PodId(7), 0, None, SimTime(0), less);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop(less))
            .map(|i| i.pod.0)
            .collect();
        assert_eq!(order, [5, 6, 7]);
    }

    #[test]
    fn unschedulable_pods_move_on_registered_events_only() {
        let mut q = SchedulingQueue::new();
        let less: Less = &priority_sort;
        q.add(PodId(1), 0, None, SimTime(0), less);
        let mut info = q.pop(less).unwrap();
        info.attempts = 1;
        info.requeue_on = ClusterEvents::ASSIGNED_POD_DELETE;
        q.add_unschedulable(info, SimTime(0));
        assert_eq!(
            q.on_cluster_event(ClusterEvents::NODE_LABEL, SimTime(100), less),
            0
        );
        // Still backing off (1 s after the failure): goes to backoffQ.
        assert_eq!(
            q.on_cluster_event(ClusterEvents::ASSIGNED_POD_DELETE, SimTime(500), less),
            1
        );
        assert_eq!((q.active_len(), q.backoff_len()), (0, 1));
        q.flush_backoff(SimTime(999), less);
        assert_eq!(q.active_len(), 0);
        q.flush_backoff(SimTime(1000), less);
        assert_eq!(q.active_len(), 1);
    }

    #[test]
    fn backed_off_pod_goes_straight_to_active() {
        let mut q = SchedulingQueue::new();
        let less: Less = &priority_sort;
        q.add(PodId(1), 0, None, SimTime(0), less);
        let mut info = q.pop(less).unwrap();
        info.attempts = 1;
        q.add_unschedulable(info, SimTime(0));
        q.on_cluster_event(ClusterEvents::NODE_ADD, SimTime(1000), less);
        assert_eq!(q.active_len(), 1);
    }

    #[test]
    fn unschedulable_sweep_after_five_minutes() {
        let mut q = SchedulingQueue::new();
        let less: Less = &priority_sort;
        q.add(PodId(1), 0, None, SimTime(0), less);
        let mut info = q.pop(less).unwrap();
        info.attempts = 1;
        info.requeue_on = ClusterEvents::NODE_ADD;
        q.add_unschedulable(info, SimTime(0));
        q.flush_unschedulable(SimTime(300_000), less);
        assert_eq!(
            q.unschedulable_len(),
            1,
            "exactly 5 minutes is not longer than 5 minutes"
        );
        q.flush_unschedulable(SimTime(300_001), less);
        assert_eq!(q.active_len(), 1);
    }
}
