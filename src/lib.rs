//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! One YAML scenario (a `Simulation` document plus ordinary Kubernetes manifests) goes in; a
//! seeded, faster-than-real-time run of the cluster comes out as CSV and JSON files. The
//! modules follow the Kubernetes architecture: [`store`] is the API server, [`scheduler`] is
//! kube-scheduler, [`controllers`] is kube-controller-manager, [`node`] is the kubelet.
//! See `ARCHITECTURE.md` in the design documents for the data flow and the invariants.
//! Scheduler plugins can be written outside the crate: see [`scheduler::plugin`] and
//! `examples/custom_plugin.rs`.
//!
//! Running a scenario from Rust, without writing files:
//!
//! ```
//! use kubesim::scenario::load_scenario;
//! use kubesim::scheduler::plugins::Registry;
//! use kubesim::observe::NullSink;
//! use kubesim::world::World;
//!
//! let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml");
//! let scenario = load_scenario(&[path]).expect("the quickstart is valid");
//! let mut world = World::new(&scenario, &Registry::in_tree()).expect("profiles build");
//! world.run(&mut NullSink, &mut |_now, _events| {}).expect("no output to fail");
//! let summary = world.summary(0.0);
//! assert_eq!(summary.unscheduled_at_end, 2); // too-big and wants-ssd stay Pending
//! ```
#![warn(missing_docs)]

pub mod api;
pub mod cli;
pub mod component;
pub mod controllers;
pub mod engine;
pub mod node;
pub mod observe;
pub mod output;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod store;
pub mod workload;
pub mod world;
pub mod yaml;
