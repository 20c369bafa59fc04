//! How the world drives components of different types through one list and one event queue.
//!
//! The queue holds [`Delivery`] values: which component an event is for and the slot where
//! that component's [`Wiring`] keeps the event itself, typed. A [`Wiring`] owns a component,
//! its random stream and its pending events, and hides their types behind [`Wired`], so the
//! world keeps a plain `Vec<Box<dyn Wired>>`.

use super::Component;
use super::context::Context;
use super::metrics::ComponentMetrics;
use super::recorder::Recorder;
use crate::engine::{EventId, EventQueue, SimRng};
use crate::store::{Change, Store, Watch};

/// What the event queue holds: an event of a component (by its place in the world's list
/// and the slot of the event in its [`Wiring`]), or a sample for the observers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// An event of a component.
    Component {
        /// Index in the world's list.
        component: u16,
        /// Slot in the component's pending events.
        slot: u32,
    },
    /// The observers' metric sample.
    Sample,
}

/// The shared state a component's context borrows from the world.
pub struct Env<'a> {
    /// The store.
    pub store: &'a mut Store,
    /// The event queue.
    pub queue: &'a mut EventQueue<Delivery>,
    /// The recorder.
    pub recorder: &'a mut Recorder,
}

/// A component's scheduled events, by slot; freed slots are reused first.
pub(super) struct Pending<E> {
    slots: Vec<Option<(E, EventId)>>,
    free: Vec<u32>,
}

impl<E> Default for Pending<E> {
    fn default() -> Self {
        Pending {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<E> Pending<E> {
    /// A free slot.
    pub(super) fn reserve(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 pending events")
        })
    }

    pub(super) fn fill(&mut self, slot: u32, event: E, id: EventId) {
        self.slots[slot as usize] = Some((event, id));
    }

    /// Takes the event due in `slot`.
    fn take(&mut self, slot: u32) -> Option<E> {
        let (event, _) = self.slots[slot as usize].take()?;
        self.free.push(slot);
        Some(event)
    }

    /// Drops the event of `slot` if it is still the one scheduled as `id`.
    pub(super) fn cancel(&mut self, slot: u32, id: EventId) -> bool {
        match &self.slots[slot as usize] {
            Some((_, held)) if *held == id => {
                self.slots[slot as usize] = None;
                self.free.push(slot);
                true
            }
            _ => false,
        }
    }

    fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

/// A component behind its types: what the world's delivery loop calls.
pub trait Wired {
    /// The component's name.
    fn name(&self) -> &str;
    /// The changes it watches.
    fn watches(&self) -> Watch;
    /// Starts it (time 0).
    fn start(&mut self, env: &mut Env);
    /// Hands it a change it watches.
    fn on_change(&mut self, change: &Change, env: &mut Env);
    /// Hands it the event held in `slot`.
    fn deliver(&mut self, slot: u32, env: &mut Env);
    /// Its metrics.
    fn export(&self, metrics: &mut ComponentMetrics);
    /// Events scheduled and not yet delivered or cancelled.
    fn pending(&self) -> usize;
}

/// A component with its random stream and its pending events.
pub struct Wiring<C: Component> {
    component: C,
    rng: SimRng,
    pending: Pending<C::Event>,
    index: u16,
}

impl<C: Component> Wiring<C> {
    /// Wires `component` as the `index`-th of the world's list, drawing from `rng`.
    pub fn new(component: C, rng: SimRng, index: u16) -> Self {
        Wiring {
            component,
            rng,
            pending: Pending::default(),
            index,
        }
    }

    fn context<'a>(&'a mut self, env: &'a mut Env) -> (&'a mut C, Context<'a, C::Event>) {
        let ctx = Context {
            store: env.store,
            rng: &mut self.rng,
            recorder: env.recorder,
            queue: env.queue,
            pending: &mut self.pending,
            component: self.index,
        };
        (&mut self.component, ctx)
    }
}

impl<C: Component> Wired for Wiring<C> {
    fn name(&self) -> &str {
        self.component.name()
    }

    fn watches(&self) -> Watch {
        self.component.watches()
    }

    fn start(&mut self, env: &mut Env) {
        let (c, mut ctx) = self.context(env);
        c.start(&mut ctx);
    }

    fn on_change(&mut self, change: &Change, env: &mut Env) {
        let (c, mut ctx) = self.context(env);
        c.on_change(change, &mut ctx);
    }

    fn deliver(&mut self, slot: u32, env: &mut Env) {
        // A cancelled event never reaches here: the queue drops it.
        let Some(event) = self.pending.take(slot) else {
            return;
        };
        let (c, mut ctx) = self.context(env);
        c.handle(event, &mut ctx);
    }

    fn export(&self, metrics: &mut ComponentMetrics) {
        self.component.export(metrics);
    }

    fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RngStreams, SimTime};
    use crate::store::{ChangeKind, Watch};

    /// Schedules three events, cancels the middle one, and logs what it is handed.
    #[derive(Default)]
    struct Probe {
        log: Vec<String>,
        timers: Vec<super::super::Timer>,
    }

    impl Component for Probe {
        type Event = u32;
        fn name(&self) -> &str {
            "probe"
        }
        fn watches(&self) -> Watch {
            Watch::of(&[ChangeKind::NodeAdded])
        }
        fn start(&mut self, ctx: &mut Context<'_, u32>) {
            for i in 0..3 {
                self.timers.push(ctx.after(10 * (i as i64 + 1), i));
            }
            let t = self.timers[1];
            ctx.cancel(t);
            ctx.cancel(t); // twice changes nothing
        }
        fn handle(&mut self, event: u32, ctx: &mut Context<'_, u32>) {
            self.log.push(format!("{} event {event}", ctx.now()));
            if event == 2 {
                // Cancelling one already delivered is harmless, and its slot is reused.
                let t = self.timers[0];
                ctx.cancel(t);
                ctx.after(5, 7);
            }
        }
    }

    #[test]
    fn events_reach_their_component_and_cancelled_ones_never_do() {
        let mut store = Store::new();
        let mut queue = EventQueue::new();
        let mut recorder = Recorder::default();
        let mut w = Wiring::new(Probe::default(), RngStreams::new(1).stream("probe"), 0);
        let mut env = Env {
            store: &mut store,
            queue: &mut queue,
            recorder: &mut recorder,
        };
        w.start(&mut env);
        assert_eq!(w.pending(), 2);
        while let Some((_, d)) = env.queue.pop() {
            let Delivery::Component { component, slot } = d else {
                panic!("{d:?}");
            };
            assert_eq!(component, 0);
            w.deliver(slot, &mut env);
        }
        assert_eq!(
            w.component.log,
            ["0.010 event 0", "0.030 event 2", "0.035 event 7"]
        );
        assert_eq!(w.pending(), 0);
        assert_eq!(env.queue.now(), SimTime(35));
        assert_eq!(
            env.queue.processed(),
            3,
            "the cancelled event is not counted"
        );
    }
}
