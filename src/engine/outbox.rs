//! How a component asks for future events without seeing the world's event type.

use super::SimTime;

/// Events a component wants delivered back to itself, collected during one handler call and
/// moved into the global queue by the world afterwards (in the order they were pushed).
#[derive(Debug)]
pub struct Outbox<E> {
    now: SimTime,
    items: Vec<(SimTime, E)>,
}

impl<E> Outbox<E> {
    /// An empty outbox at `now`.
    pub fn new(now: SimTime) -> Self {
        Outbox {
            now,
            items: Vec::new(),
        }
    }

    /// Moves an emptied outbox to `now`, keeping its buffer.
    pub fn reset(&mut self, now: SimTime) {
        debug_assert!(self.items.is_empty(), "outbox reset before it was drained");
        self.now = now;
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Asks for `event` at `time` (not before now).
    pub fn at(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event requested in the past");
        self.items.push((time.max(self.now), event));
    }

    /// Asks for `event` `delay_ms` from now.
    pub fn after(&mut self, delay_ms: i64, event: E) {
        self.items.push((self.now + delay_ms.max(0), event));
    }

    /// Takes the requested events.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (SimTime, E)> {
        self.items.drain(..)
    }
}

impl<E> Default for Outbox<E> {
    /// An empty outbox at time zero.
    fn default() -> Self {
        Outbox::new(SimTime::ZERO)
    }
}
