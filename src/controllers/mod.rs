//! kube-controller-manager: controllers that drive actual state toward desired state.

pub mod gates;
pub mod job;
pub mod volume;

pub use gates::{GateEvent, GateRemover};
pub use job::{JobController, JobEvent};
pub use volume::VolumeController;
