//! The contract every component keeps: kube-scheduler, the kubelets, each controller, the
//! workload generators, and the ones to come.
//!
//! A component is a plain struct implementing [`Component`]. It declares the store changes it
//! watches ([`Component::watches`]); the world hands it each such change
//! ([`Component::on_change`], upstream's informer event handlers) and each of its own timed
//! events ([`Component::handle`]). Both get a [`Context`]: the clock, the store (every write
//! records a change that other components watch), the component's own random stream, timers
//! that schedule and cancel its events, and the [`Recorder`] of Kubernetes Events.
//! Components never hold references to each other: what one needs from another, it reads
//! from the store or learns from a change.
//!
//! ```
//! use kubesim::component::{Component, Context};
//! use kubesim::store::{Change, ChangeKind, Watch};
//!
//! /// Counts the pods created, and checks the count every minute.
//! #[derive(Default)]
//! struct PodCounter {
//!     seen: u64,
//! }
//!
//! #[derive(Clone, Copy, Debug)]
//! struct Tick;
//!
//! impl Component for PodCounter {
//!     type Event = Tick;
//!     fn name(&self) -> &str {
//!         "example/pod-counter"
//!     }
//!     fn watches(&self) -> Watch {
//!         Watch::of(&[ChangeKind::PodCreated])
//!     }
//!     fn start(&mut self, ctx: &mut Context<'_, Tick>) {
//!         ctx.after(60_000, Tick);
//!     }
//!     fn on_change(&mut self, _change: &Change, _ctx: &mut Context<'_, Tick>) {
//!         self.seen += 1;
//!     }
//!     fn handle(&mut self, _tick: Tick, ctx: &mut Context<'_, Tick>) {
//!         assert_eq!(self.seen as usize, ctx.store.pods().len());
//!         ctx.after(60_000, Tick);
//!     }
//! }
//! ```

mod context;
mod harness;
mod metrics;
mod recorder;
mod wiring;

pub use context::{Context, Timer};
pub use harness::Harness;
pub use metrics::ComponentMetrics;
pub use recorder::{
    AttemptRecord, CommandRecord, CommandStatus, FilterVerdict, HpaMetricRecord, HpaPodCounts,
    HpaRecord, NodeScores, PreemptionRecord, Recorder,
};
pub use wiring::{Delivery, Env, Wired, Wiring};

use crate::store::{Change, Watch};

/// A part of the cluster that reacts to store changes and to its own timed events.
pub trait Component {
    /// The component's own timed events.
    type Event: std::fmt::Debug;

    /// Its name, unique in a run: it names the component's random stream (the streams are
    /// listed in [`crate::engine::rng`]).
    fn name(&self) -> &str;

    /// The store changes the component is handed.
    fn watches(&self) -> Watch;

    /// Runs once, at time 0, before any change or event is delivered: schedules the first
    /// events of a component that acts on its own.
    fn start(&mut self, _ctx: &mut Context<'_, Self::Event>) {}

    /// Reacts to a store change of a kind it watches.
    fn on_change(&mut self, _change: &Change, _ctx: &mut Context<'_, Self::Event>) {}

    /// Handles one of its own events.
    fn handle(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>);

    /// Adds the component's counters and gauges (its `/metrics` endpoint) into `metrics`.
    fn export(&self, _metrics: &mut ComponentMetrics) {}
}
