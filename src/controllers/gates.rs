//! Removes scheduling gates on a timer: kubesim's stand-in for the external controller (a
//! quota manager, say) that would patch `spec.schedulingGates` away. A pod annotated
//! `kubesim.io/ungate-after: <duration or distribution>` loses its gates that long after it
//! was created.

use crate::component::{Component, Context};
use crate::store::{Change, ChangeKind, PodId, Watch};

/// The gate remover's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateEvent {
    /// Remove the pod's gates.
    Ungate(PodId),
}

/// The gate remover.
#[derive(Debug, Default)]
pub struct GateRemover;

impl Component for GateRemover {
    type Event = GateEvent;

    fn name(&self) -> &str {
        "controllers/gates"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[ChangeKind::PodCreated])
    }

    /// A new gated pod with the annotation gets its timer.
    fn on_change(&mut self, change: &Change, ctx: &mut Context<'_, GateEvent>) {
        if let Change::PodCreated(id) = *change {
            let pod = ctx.store.pod(id);
            if pod.spec.scheduling_gates.is_empty() {
                return;
            }
            if let Some(d) = &pod.spec.behaviour.ungate_after {
                let delay = d.sample(ctx.rng);
                ctx.after(delay, GateEvent::Ungate(id));
            }
        }
    }

    /// The gates go (unless the pod is gone).
    fn handle(&mut self, event: GateEvent, ctx: &mut Context<'_, GateEvent>) {
        let GateEvent::Ungate(id) = event;
        if ctx.store.pod(id).status.deleted.is_none() {
            ctx.store.remove_scheduling_gates(id);
        }
    }
}
