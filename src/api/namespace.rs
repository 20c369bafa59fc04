//! Namespace (`v1`): a scope for names; its labels are what `namespaceSelector`s match.

use super::meta::ObjectMeta;

/// The namespaces every cluster has.
pub const BUILT_IN_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// A Namespace object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// Name and labels.
    pub meta: ObjectMeta,
}
