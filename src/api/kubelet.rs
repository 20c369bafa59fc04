//! How long the kubelet and the container runtime take (the Simulation's `spec.timings`):
//! plain data the loader builds and the kubelet reads.

use crate::api::Distribution;

/// How long the runtime takes for things (`timings` in the Simulation).
#[derive(Clone, Debug, PartialEq)]
pub struct KubeletTimings {
    /// Container create + start.
    pub pod_startup: Distribution,
    /// Pulling an image that is not cached on the node.
    pub image_pull: Distribution,
}

impl Default for KubeletTimings {
    fn default() -> Self {
        KubeletTimings {
            pod_startup: Distribution::Constant(1_000),
            image_pull: Distribution::Constant(5_000),
        }
    }
}
