//! The timeline's faults, acting on the machines under the cluster at their times: a node
//! crashing stops its kubelet ([`crate::store::Store::crash_node`]), a node recovering starts
//! it again. The control plane is not told: the node lifecycle controller notices the
//! heartbeats stopping, as upstream's does.

use crate::api::event::EventType;
use crate::api::fault::{Fault, TimedFault};
use crate::component::{Component, Context};
use crate::store::Watch;

/// The event of a fault falling due (its index in the timeline's faults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultDue(pub usize);

/// The scripted faults.
pub struct Faults {
    faults: Vec<TimedFault>,
}

impl Faults {
    /// The component for these faults (in time order).
    pub fn new(faults: Vec<TimedFault>) -> Self {
        Faults { faults }
    }
}

impl Component for Faults {
    type Event = FaultDue;

    fn name(&self) -> &str {
        "faults"
    }

    fn watches(&self) -> Watch {
        Watch::NONE
    }

    fn start(&mut self, ctx: &mut Context<'_, FaultDue>) {
        for (i, f) in self.faults.iter().enumerate() {
            ctx.at(f.at, FaultDue(i));
        }
    }

    fn handle(&mut self, FaultDue(i): FaultDue, ctx: &mut Context<'_, FaultDue>) {
        let now = ctx.now();
        ctx.recorder.fault(now, &self.faults[i].text);
        let fault = &self.faults[i].fault;
        let Some(id) = ctx.store.node_id(fault.node()) else {
            return;
        };
        match fault {
            Fault::NodeCrash { .. } => ctx.store.crash_node(id, now),
            Fault::NodeRecover { .. } => {
                if ctx.store.node_down_since(id).is_some() {
                    ctx.store.recover_node(id, now);
                    // The kubelet starting again (`pkg/kubelet/kubelet.go`).
                    let object = format!("Node/{}", fault.node());
                    ctx.record(
                        EventType::Normal,
                        "Starting",
                        object,
                        "Starting kubelet.".to_string(),
                    );
                }
            }
        }
    }
}
