//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! One YAML scenario (a `Simulation` document plus ordinary Kubernetes manifests) goes in; a
//! seeded, faster-than-real-time run of the cluster comes out as CSV and JSON files. The
//! modules follow the Kubernetes architecture: [`store`] is the API server, [`scheduler`] is
//! kube-scheduler, [`controllers`] is kube-controller-manager, [`node`] is the kubelet.
//! See `ARCHITECTURE.md` in the design documents for the data flow and the invariants.
#![warn(missing_docs)]

pub mod api;
pub mod cli;
pub mod controllers;
pub mod engine;
pub mod node;
pub mod observe;
pub mod output;
pub mod scenario;
pub mod scheduler;
pub mod store;
pub mod workload;
pub mod world;
