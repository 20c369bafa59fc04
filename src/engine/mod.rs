//! The discrete-event core: simulated time, the event queue and named random streams.
//!
//! # Ordering contract
//!
//! Events run in increasing [`SimTime`]; events scheduled for the same time run in the order
//! they were scheduled (a sequence number breaks ties). Scheduling an event before the current
//! time is a bug and panics. Nothing here reads the wall clock or iterates a hash map.

mod outbox;
mod queue;
mod rng;
mod time;

pub use outbox::Outbox;
pub use queue::{EventId, EventQueue};
pub use rng::{RngStreams, SimRng};
pub use time::SimTime;
