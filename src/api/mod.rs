//! API objects: the typed, validated data the simulator works on.
//!
//! Plain data with no IO; `scenario/` builds these from YAML after validation, so nothing here
//! can fail on user input once constructed. Parsers for the Kubernetes text formats
//! (quantities, Go durations, label selectors) live here too, because every layer above uses
//! them.

pub mod admission;
pub mod affinity;
pub mod apps;
pub mod arrival;
pub mod clock;
pub mod disruption;
pub mod distribution;
pub mod duration;
pub mod event;
pub mod fault;
pub mod hpa;
pub mod intstr;
pub mod job;
pub mod kubectl;
pub mod kubelet;
pub mod meta;
pub mod metrics;
pub mod names;
pub mod namespace;
pub mod node;
pub mod output;
pub mod plugin_args;
pub mod pod;
pub mod pod_affinity;
pub mod probe;
pub mod quantity;
pub mod resources;
pub mod scheduler_config;
pub mod selector;
pub mod service;
pub mod serving;
pub mod taint;
#[cfg(test)]
pub(crate) mod testing;
pub mod traffic;
pub mod volume;

pub use affinity::{NodeAffinity, NodeSelectorTerm, PreferredTerm};
pub use distribution::Distribution;
pub use job::JobSpec;
pub use meta::{ObjectMeta, OwnerReference, Uid};
pub use node::{ContainerImage, Node};
pub use pod::{Container, Phase, PodSpec, PreemptionPolicy, RestartPolicy};
pub use quantity::Quantity;
pub use resources::{ResourceName, Resources};
pub use selector::{LabelSelector, Labels};
pub use taint::{Taint, TaintEffect, Toleration, TolerationOperator};

/// A PriorityClass: a name for a pod priority value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityClass {
    /// Object name, referenced by `spec.priorityClassName`.
    pub name: String,
    /// The priority value pods of this class get.
    pub value: i32,
    /// Pods without a class name get this class (at most one class may set it).
    pub global_default: bool,
    /// `Never` keeps pods of this class from preempting others.
    pub preemption_policy: PreemptionPolicy,
}

impl PriorityClass {
    /// The two classes every cluster has (`pkg/apis/scheduling/types.go`).
    pub fn built_in() -> [PriorityClass; 2] {
        [
            PriorityClass {
                name: "system-cluster-critical".into(),
                value: 2_000_000_000,
                global_default: false,
                preemption_policy: PreemptionPolicy::PreemptLowerPriority,
            },
            PriorityClass {
                name: "system-node-critical".into(),
                value: 2_000_001_000,
                global_default: false,
                preemption_policy: PreemptionPolicy::PreemptLowerPriority,
            },
        ]
    }
}
