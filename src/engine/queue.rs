//! The future-event list: a binary heap ordered by `(time, sequence number)`, with a FIFO
//! lane for events scheduled at the current time.
//!
//! Many events are due the moment they are scheduled (a scheduling cycle after a pod is
//! created, a container start when its images are already present). They would be pushed
//! onto the heap only to be popped straight back. They go to the lane instead, and the order
//! stays exactly `(time, seq)`: an event on the heap due now was scheduled before the clock
//! reached now, so its sequence number is below that of every event in the lane, and the
//! lane is empty whenever the clock moves on.

use super::SimTime;
use rustc_hash::FxHashSet;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// Identifies a scheduled event, so that it can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events. Pops in `(time, seq)` order; see the module docs of [`crate::engine`].
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// Events due at `now`, scheduled once the clock had reached it, in `seq` order.
    lane: VecDeque<(u64, E)>,
    now: SimTime,
    next_seq: u64,
    /// Membership only, never iterated.
    cancelled: FxHashSet<u64>,
    popped: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            lane: VecDeque::new(),
            now: SimTime::ZERO,
            next_seq: 0,
            cancelled: FxHashSet::default(),
            popped: 0,
        }
    }

    /// The time of the event popped last (the current simulated time).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of events popped so far (cancelled ones excluded).
    pub fn processed(&self) -> u64 {
        self.popped
    }

    /// Number of events waiting, cancelled ones included.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lane.len()
    }

    /// True when no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.lane.is_empty()
    }

    /// Schedules `event` at `time`.
    ///
    /// # Panics
    /// If `time` is before the current time: an event in the past is a simulator bug.
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventId {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time} < now {}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        if time == self.now {
            self.lane.push_back((seq, event));
        } else {
            self.heap.push(Entry { time, seq, event });
        }
        EventId(seq)
    }

    /// Schedules `event` `delay_ms` milliseconds from now.
    pub fn schedule_in(&mut self, delay_ms: i64, event: E) -> EventId {
        let t = self.now + delay_ms.max(0);
        self.schedule(t, event)
    }

    /// Cancels a pending event; it will be skipped when its time comes.
    pub fn cancel(&mut self, id: EventId) {
        self.cancelled.insert(id.0);
    }

    /// The time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.drop_cancelled();
        if !self.lane.is_empty() {
            return Some(self.now);
        }
        self.heap.peek().map(|top| top.time)
    }

    /// Removes the earliest live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.drop_cancelled();
        // The heap's events due now come before the lane's (see the module docs).
        let heap_first = self.heap.peek().is_some_and(|top| top.time == self.now);
        let (time, event) = if heap_first || self.lane.is_empty() {
            let entry = self.heap.pop()?;
            (entry.time, entry.event)
        } else {
            let (_, event) = self.lane.pop_front()?;
            (self.now, event)
        };
        self.now = time;
        self.popped += 1;
        Some((time, event))
    }

    /// Discards cancelled events from the fronts of the heap and the lane, so that both
    /// fronts are live.
    fn drop_cancelled(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(top) = self.heap.peek() {
            if !self.cancelled.remove(&top.seq) {
                break;
            }
            self.heap.pop();
        }
        while let Some(&(seq, _)) = self.lane.front() {
            if !self.cancelled.remove(&seq) {
                break;
            }
            self.lane.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_schedule_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), "c");
        q.schedule(SimTime(1), "a");
        q.schedule(SimTime(5), "d");
        q.schedule(SimTime(1), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.now(), SimTime(5));
        assert_eq!(q.processed(), 4);
    }

    #[test]
    fn cancelled_events_are_skipped() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), 1);
        q.schedule(SimTime(2), 2);
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(SimTime(2)));
        assert_eq!(q.pop(), Some((SimTime(2), 2)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn events_due_now_keep_schedule_order_after_the_heap() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), "heap-1");
        q.schedule(SimTime(5), "heap-2");
        assert_eq!(q.pop(), Some((SimTime(5), "heap-1")));
        // Scheduled at the current time: after the heap's event due now, in order.
        let cancelled = q.schedule(SimTime(5), "lane-0");
        q.schedule(SimTime(5), "lane-1");
        q.schedule(SimTime(6), "later");
        q.schedule(SimTime(5), "lane-2");
        q.cancel(cancelled);
        assert_eq!(q.len(), 5);
        assert_eq!(q.peek_time(), Some(SimTime(5)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["heap-2", "lane-1", "lane-2", "later"]);
        assert!(q.is_empty());
    }

    #[test]
    fn the_lane_matches_a_plain_heap_on_a_random_stream() {
        // Every event is scheduled from a handler of a popped one, some due at once: the
        // pop order must be exactly `(time, seq)`, as a heap alone gives it.
        let mut q = EventQueue::new();
        let mut plain = BinaryHeap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut seq = 0u64;
        for _ in 0..50 {
            q.schedule(SimTime(0), seq);
            plain.push(std::cmp::Reverse((0i64, seq)));
            seq += 1;
        }
        while let Some((t, e)) = q.pop() {
            let std::cmp::Reverse((pt, pe)) = plain.pop().expect("same length");
            assert_eq!((t.0, e), (pt, pe));
            if seq < 20_000 {
                for _ in 0..2 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(3) {
                        continue;
                    }
                    let at = t.0 + [0, 0, 1, 7][(x >> 8) as usize % 4];
                    q.schedule(SimTime(at), seq);
                    plain.push(std::cmp::Reverse((at, seq)));
                    seq += 1;
                }
            }
        }
        assert!(plain.is_empty());
    }

    #[test]
    #[should_panic(expected = "event scheduled in the past")]
    fn scheduling_into_the_past_panics() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(9), ());
    }
}
