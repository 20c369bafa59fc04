//! Object metadata shared by every kind.

use super::selector::Labels;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The controlling owner of an object (`metadata.ownerReferences` with `controller: true`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerRef {
    /// Kind of the owner, e.g. `Job`.
    pub kind: String,
    /// Name of the owner, in the same namespace.
    pub name: String,
}

impl std::fmt::Display for OwnerRef {
    /// `kind/name`, as `pods.csv` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// Name, namespace, labels and annotations of an object.
///
/// Labels and annotations sit behind `Arc` because thousands of pods stamped from one
/// template share them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (`default` when absent for namespaced kinds).
    pub namespace: String,
    /// `metadata.labels`.
    pub labels: Arc<Labels>,
    /// `metadata.annotations`.
    pub annotations: Arc<BTreeMap<String, String>>,
    /// The controlling owner, if any.
    pub owner: Option<OwnerRef>,
}
