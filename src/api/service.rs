//! Service (`v1`): a named set of pods chosen by a label selector. The scheduler reads the
//! selector for its default topology spreading; traffic over Services comes with kube-proxy.

use super::selector::Labels;

/// A Service, as far as kubesim reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Name.
    pub name: String,
    /// Namespace of the Service and of its pods.
    pub namespace: String,
    /// `spec.selector` (equality only, as upstream); empty selects no pod.
    pub selector: Labels,
}

impl Service {
    /// Whether the Service selects a pod of this namespace and labels.
    pub fn selects(&self, namespace: &str, labels: &Labels) -> bool {
        namespace == self.namespace
            && !self.selector.is_empty()
            && self.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    }
}
