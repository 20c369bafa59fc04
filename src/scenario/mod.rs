//! Scenario loading: files -> documents -> raw typed manifests -> the resolved [`Scenario`].
//!
//! Staged like a compiler front end: `documents` splits files and deserializes each document
//! with its location; `raw` mirrors the manifests; `resolve` validates everything, collecting
//! every error with `file:line:col: field.path: message`, and builds the [`Scenario`].

pub mod documents;
mod model;
pub mod raw;
mod resolve;

pub use documents::{LoadError, Location};
pub use model::{
    ClaimManifest, JobManifest, KubeletTimings, OutputOptions, Scenario, VolumeManifest,
};
pub use resolve::{SchedulerCheck, load_scenario, load_scenario_checked};
