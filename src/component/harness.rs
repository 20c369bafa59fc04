//! A one-component world, for tests and benchmarks of one component: a store, the queue, a recorder and one component,
//! with the world's delivery rules (every change to the component if it watches its kind,
//! then its events in time order).

use super::wiring::{Delivery, Env, Wired, Wiring};
use super::{Component, Recorder};
use crate::api::event::Event;
use crate::engine::{EventQueue, RngStreams, SimTime};
use crate::store::{Change, Store};

/// The environment of the harness's fields, borrowed beside its wiring.
macro_rules! env {
    ($h:expr) => {
        Env {
            store: &mut $h.store,
            queue: &mut $h.queue,
            recorder: &mut $h.recorder,
        }
    };
}

/// A store and one component wired to it.
pub struct Harness<C: Component> {
    /// The store (write to it, then [`Harness::settle`]).
    pub store: Store,
    queue: EventQueue<Delivery>,
    recorder: Recorder,
    wiring: Wiring<C>,
    watches: crate::store::Watch,
    started: bool,
    /// Every change taken from the store, when recording ([`Harness::record_changes`]).
    seen: Option<Vec<Change>>,
}

impl<C: Component> Harness<C> {
    /// `component` with an empty store, drawing from its stream of seed 1.
    pub fn new(component: C) -> Self {
        let rng = RngStreams::new(1).stream(component.name());
        let watches = component.watches();
        Harness {
            store: Store::new(),
            queue: EventQueue::new(),
            recorder: Recorder::default(),
            wiring: Wiring::new(component, rng, 0),
            watches,
            started: false,
            seen: None,
        }
    }

    /// Keeps every change the store records from now on (watched by the component or not),
    /// for [`Harness::changes`].
    pub fn record_changes(&mut self) {
        self.seen.get_or_insert_with(Vec::new);
    }

    /// The changes recorded since the last call, oldest first.
    pub fn changes(&mut self) -> Vec<Change> {
        self.seen.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Starts the component (once), then hands it the store's changes until none are left.
    pub fn settle(&mut self) {
        if !self.started {
            self.started = true;
            self.wiring.start(&mut env!(self));
        }
        let mut changes: Vec<Change> = Vec::new();
        while self.store.has_changes() {
            self.store.take_changes(&mut changes);
            for c in changes.drain(..) {
                if self.watches.contains(c.kind()) {
                    self.wiring.on_change(&c, &mut env!(self));
                }
                if let Some(seen) = &mut self.seen {
                    seen.push(c);
                }
            }
        }
    }

    /// Settles, then delivers the component's events up to `until`, settling after each.
    pub fn run_until(&mut self, until: SimTime) {
        self.settle();
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            let Some((_, Delivery::Component { slot, .. })) = self.queue.pop() else {
                continue;
            };
            self.wiring.deliver(slot, &mut env!(self));
            self.settle();
        }
    }

    /// Runs until `until` ([`Harness::run_until`]), then moves the clock there, as if some
    /// other component's event fell due then: what the test then writes to the store
    /// happens at `until`.
    pub fn advance_to(&mut self, until: SimTime) {
        self.run_until(until);
        if self.now() < until {
            // A delivery no component takes: only the clock moves.
            self.queue.schedule(until, Delivery::Sample);
            self.run_until(until);
        }
    }

    /// Delivers the component's earliest event, without settling the changes it makes;
    /// `false` when none is scheduled.
    pub fn step(&mut self) -> bool {
        let Some((_, delivery)) = self.queue.pop() else {
            return false;
        };
        if let Delivery::Component { slot, .. } = delivery {
            self.wiring.deliver(slot, &mut env!(self));
        }
        true
    }

    /// The current time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// The timeline commands run so far, with their output.
    pub fn commands(&self) -> &[super::CommandRecord] {
        self.recorder.commands()
    }

    /// Events recorded since the last call, as `Reason Kind/ns/name: message`.
    pub fn events(&mut self) -> Vec<String> {
        let mut events: Vec<Event> = Vec::new();
        self.recorder.take_events(&mut events);
        events
            .iter()
            .map(|e| format!("{} {}: {}", e.reason, e.object, e.message))
            .collect()
    }
}
