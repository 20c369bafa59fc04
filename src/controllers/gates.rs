//! Removes scheduling gates on a timer: kubesim's stand-in for the external controller (a
//! quota manager, say) that would patch `spec.schedulingGates` away. A pod annotated
//! `kubesim.io/ungate-after: <duration or distribution>` loses its gates that long after it
//! was created.

use crate::engine::{Outbox, SimRng};
use crate::store::{Change, PodId, Store};

/// The gate remover's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateEvent {
    /// Remove the pod's gates.
    Ungate(PodId),
}

/// The gate remover.
pub struct GateRemover {
    rng: SimRng,
}

impl GateRemover {
    /// A remover drawing delays from `rng`.
    pub fn new(rng: SimRng) -> Self {
        GateRemover { rng }
    }

    /// Reacts to store changes: a new gated pod with the annotation gets its timer.
    pub fn on_change(&mut self, change: Change, store: &Store, out: &mut Outbox<GateEvent>) {
        if let Change::PodCreated(id) = change {
            let pod = store.pod(id);
            if pod.spec.scheduling_gates.is_empty() {
                return;
            }
            if let Some(d) = &pod.spec.behaviour.ungate_after {
                let delay = d.sample(&mut self.rng);
                out.after(delay, GateEvent::Ungate(id));
            }
        }
    }

    /// Handles a timer: the gates go (unless the pod is gone).
    pub fn handle(&mut self, event: GateEvent, store: &mut Store) {
        let GateEvent::Ungate(id) = event;
        if store.pod(id).status.deleted.is_none() {
            store.remove_scheduling_gates(id);
        }
    }
}
