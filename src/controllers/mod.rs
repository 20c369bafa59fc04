//! kube-controller-manager: controllers that drive actual state toward desired state.

pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod garbage_collector;
pub mod gates;
pub mod hpa;
pub mod job;
pub mod node_lifecycle;
pub mod pod_control;
pub mod queue;
pub mod replicaset;
pub mod statefulset;
pub mod taint_eviction;
pub mod volume;

pub use daemonset::{DaemonSetController, DaemonSetEvent};
pub use deployment::{DeploymentController, DeploymentEvent};
pub use disruption::{DisruptionController, DisruptionEvent};
pub use endpoints::{EndpointSliceController, EndpointsEvent};
pub use garbage_collector::GarbageCollector;
pub use gates::{GateEvent, GateRemover};
pub use hpa::{HpaController, HpaEvent};
pub use job::{JobController, JobEvent};
pub use replicaset::{ReplicaSetController, ReplicaSetEvent};
pub use statefulset::{StatefulSetController, StatefulSetEvent};
pub use taint_eviction::{TaintEvictionController, TaintEvictionEvent};
pub use volume::VolumeController;
