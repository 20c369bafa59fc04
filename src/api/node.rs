//! Node: a machine that runs pods.

use super::meta::ObjectMeta;
use super::resources::Resources;
use super::taint::Taint;

/// An image a node already holds (`status.images`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerImage {
    /// The names (tags, digests) of the image.
    pub names: Vec<String>,
    /// Size in bytes (0 when unknown).
    pub size_bytes: i64,
}

/// A Node object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Name, labels (including `kubernetes.io/hostname` and, for pool nodes, the zone and pool).
    pub meta: ObjectMeta,
    /// `status.capacity`.
    pub capacity: Resources,
    /// `status.allocatable` (capacity when not given).
    pub allocatable: Resources,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// Images present at start.
    pub images: Vec<ContainerImage>,
    /// The node pool it came from, if any.
    pub pool: Option<String>,
}

/// Label that names a node's zone.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// Label that names a node.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// Label kubesim puts on pool nodes.
pub const LABEL_POOL: &str = "kubesim.io/pool";

impl Node {
    /// The node's name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The node's zone label, if any.
    pub fn zone(&self) -> Option<&str> {
        self.meta.labels.get(LABEL_ZONE).map(String::as_str)
    }
}
