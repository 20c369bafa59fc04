//! kube-controller-manager: controllers that drive actual state toward desired state.

pub mod job;

pub use job::{JobController, JobEvent};
