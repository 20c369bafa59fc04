//! The resource metrics API's data (`metrics.k8s.io/v1beta1` PodMetrics) as a scenario gives
//! it: what a snapshot's pods used when it was taken.

/// One container's usage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerUsage {
    /// Container name.
    pub name: String,
    /// CPU, millicores.
    pub cpu_m: i64,
    /// Memory working set, bytes.
    pub memory: i64,
}

/// A pod's usage from a PodMetrics document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodUsageSeed {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// Per container, as listed.
    pub containers: Vec<ContainerUsage>,
}
