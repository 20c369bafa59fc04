//! The discrete-event core: simulated time, the event queue and named random streams.
//!
//! # Ordering contract
//!
//! Events run in increasing [`SimTime`]; events scheduled for the same time run in the order
//! they were scheduled (a sequence number breaks ties). Scheduling an event before the current
//! time is a bug and panics. Nothing here reads the wall clock or iterates a hash map.
//!
//! ```
//! use kubesim::engine::{EventQueue, SimTime};
//! let mut q = EventQueue::new();
//! q.schedule(SimTime(5), "later");
//! q.schedule(SimTime(1), "first");
//! q.schedule(SimTime(5), "last");
//! let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
//! assert_eq!(order, ["first", "later", "last"]);
//! ```
//!
//! ```should_panic
//! use kubesim::engine::{EventQueue, SimTime};
//! let mut q = EventQueue::new();
//! q.schedule(SimTime(10), ());
//! q.pop();
//! q.schedule(SimTime(9), ()); // in the past: panics
//! ```

mod queue;
pub mod rng;
mod time;

pub use queue::{EventId, EventQueue};
pub use rng::{RngStreams, SimRng};
pub use time::{SimTime, TimeBuf};
