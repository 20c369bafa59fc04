//! What a component is handed with each change and each of its events.

use super::recorder::Recorder;
use super::wiring::{Delivery, Pending};
use crate::api::event::{EventType, Message};
use crate::engine::{EventId, EventQueue, SimRng, SimTime};
use crate::store::{PodId, Store};
use std::sync::Arc;

/// A scheduled event of a component, to cancel it with [`Context::cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timer {
    pub(super) slot: u32,
    pub(super) id: EventId,
}

/// The clock, the store, the component's random stream, its timers and the event recorder.
pub struct Context<'a, E> {
    /// The API server's objects; every write records a change for the watchers.
    pub store: &'a mut Store,
    /// The component's own random stream (see [`crate::engine::rng`]).
    pub rng: &'a mut SimRng,
    /// Where Kubernetes Events (and scheduling records) go.
    pub recorder: &'a mut Recorder,
    pub(super) queue: &'a mut EventQueue<Delivery>,
    pub(super) pending: &'a mut Pending<E>,
    pub(super) component: u16,
}

impl<E> Context<'_, E> {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Schedules `event` for this component at `time` (not before now: that is a bug, and
    /// panics).
    pub fn at(&mut self, time: SimTime, event: E) -> Timer {
        let slot = self.pending.reserve();
        let id = self.queue.schedule(
            time,
            Delivery::Component {
                component: self.component,
                slot,
            },
        );
        self.pending.fill(slot, event, id);
        Timer { slot, id }
    }

    /// Schedules `event` `delay_ms` milliseconds from now (a negative delay means now).
    pub fn after(&mut self, delay_ms: i64, event: E) -> Timer {
        let time = self.now() + delay_ms.max(0);
        self.at(time, event)
    }

    /// Cancels a scheduled event; one already delivered or cancelled is left alone.
    pub fn cancel(&mut self, timer: Timer) {
        if self.pending.cancel(timer.slot, timer.id) {
            self.queue.cancel(timer.id);
        }
    }

    /// Records a Kubernetes Event about an object (`Kind/namespace/name`), now.
    pub fn record(
        &mut self,
        kind: EventType,
        reason: &'static str,
        object: impl Into<Arc<str>>,
        message: impl Into<Message>,
    ) {
        let now = self.now();
        self.recorder.event(now, kind, reason, object, message);
    }

    /// Records a Kubernetes Event about a pod, now.
    pub fn record_pod(
        &mut self,
        pod: PodId,
        kind: EventType,
        reason: &'static str,
        message: impl Into<Message>,
    ) {
        let now = self.now();
        self.recorder
            .pod_event(self.store, now, pod, kind, reason, message);
    }

    /// `Pod/namespace/name` of a pod, as its Events name it (shared).
    pub fn pod_object(&mut self, pod: PodId) -> Arc<str> {
        self.recorder.pod_object(self.store, pod)
    }
}
