//! Node: a machine that runs pods.

use super::meta::ObjectMeta;
use super::resources::Resources;
use super::taint::Taint;
use std::borrow::Cow;

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
    /// `status.conditions`, one per type, as the kubelet reports them.
    pub conditions: Vec<NodeCondition>,
}

/// A node condition type (`status.conditions[].type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeConditionType {
    /// The kubelet is healthy and ready to accept pods.
    Ready,
    /// The node is short of memory.
    MemoryPressure,
    /// The node is short of disk.
    DiskPressure,
    /// The node is short of process ids.
    PidPressure,
    /// The node's network is not configured.
    NetworkUnavailable,
}

/// A condition's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// It does not.
    False,
    /// The node controller has not heard from the kubelet (`Ready` only).
    Unknown,
}

impl ConditionStatus {
    /// The upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        }
    }
}

/// One entry of `status.conditions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeCondition {
    /// Which condition.
    pub kind: NodeConditionType,
    /// Its status.
    pub status: ConditionStatus,
}

impl NodeCondition {
    /// What a healthy kubelet reports: Ready, and no pressure (`pkg/kubelet/nodestatus`).
    pub fn healthy() -> Vec<NodeCondition> {
        use NodeConditionType::*;
        [
            (Ready, ConditionStatus::True),
            (MemoryPressure, ConditionStatus::False),
            (DiskPressure, ConditionStatus::False),
            (PidPressure, ConditionStatus::False),
        ]
        .into_iter()
        .map(|(kind, status)| NodeCondition { kind, status })
        .collect()
    }
}

/// Label that names a node's zone.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// Label that names a node.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// Label kubesim puts on pool nodes.
pub const LABEL_POOL: &str = "kubesim.io/pool";

impl Node {
    /// The node's region and zone as upstream's `GetZoneKey` reads them
    /// (`staging/src/k8s.io/component-helpers/node/topology/helpers.go`): each from the
    /// deprecated `failure-domain.beta.kubernetes.io` label when the node has it, else from the
    /// `topology.kubernetes.io` one; empty without either.
    pub fn region_and_zone(&self) -> (&str, &str) {
        let label = |beta: &str, ga: &str| {
            let l = &self.meta.labels;
            l.get(beta).or_else(|| l.get(ga)).map_or("", String::as_str)
        };
        (
            label(
                "failure-domain.beta.kubernetes.io/region",
                "topology.kubernetes.io/region",
            ),
            label("failure-domain.beta.kubernetes.io/zone", LABEL_ZONE),
        )
    }
}

/// The labels every kubelet gives its Node, with their values unless a manifest gives its own
/// (`pkg/kubelet/kubelet_node_status.go`: the operating system and architecture, also under
/// their beta names).
pub const KUBELET_LABELS: [(&str, &str); 4] = [
    ("kubernetes.io/os", "linux"),
    ("kubernetes.io/arch", "amd64"),
    ("beta.kubernetes.io/os", "linux"),
    ("beta.kubernetes.io/arch", "amd64"),
];

/// Well-known labels set in pairs, stable and beta (`updateDefaultLabels`): a node given one
/// gets the other with the same value.
pub const LABEL_PAIRS: [(&str, &str); 5] = [
    ("kubernetes.io/os", "beta.kubernetes.io/os"),
    ("kubernetes.io/arch", "beta.kubernetes.io/arch"),
    (
        "node.kubernetes.io/instance-type",
        "beta.kubernetes.io/instance-type",
    ),
    (LABEL_ZONE, "failure-domain.beta.kubernetes.io/zone"),
    (
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/region",
    ),
];

/// Adds the labels the kubelet sets: each label of [`LABEL_PAIRS`] under its other name too,
/// then [`KUBELET_LABELS`] where still absent.
pub fn add_kubelet_labels(labels: &mut crate::api::Labels) {
    for (stable, beta) in LABEL_PAIRS {
        let value = labels.get(stable).or_else(|| labels.get(beta)).cloned();
        if let Some(v) = value {
            labels.entry(stable.to_owned()).or_insert_with(|| v.clone());
            labels.entry(beta.to_owned()).or_insert(v);
        }
    }
    for (key, value) in KUBELET_LABELS {
        labels
            .entry(key.to_owned())
            .or_insert_with(|| value.to_owned());
    }
}

impl Node {
    /// The status of a condition (`None` when the node does not report it).
    pub fn condition(&self, kind: NodeConditionType) -> Option<ConditionStatus> {
        self.conditions
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.status)
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The node's zone label, if any.
    pub fn zone(&self) -> Option<&str> {
        self.meta.labels.get(LABEL_ZONE).map(String::as_str)
    }
}

/// The name an image is known by on a node: `:latest` is appended when the reference has no
/// tag (no `:` after the last `/`), as upstream `normalizedImageName` does
/// (`pkg/scheduler/framework/plugins/imagelocality/image_locality.go`). Registries are not
/// filled in: `nginx` and `docker.io/library/nginx:latest` stay different names.
pub fn normalized_image_name(name: &str) -> Cow<'_, str> {
    let colon = name.rfind(':');
    let slash = name.rfind('/');
    let tagged = match (colon, slash) {
        (Some(c), Some(s)) => c > s,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if tagged {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{name}:latest"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_the_kubelet_labels_and_their_beta_twins() {
        let mut labels: crate::api::Labels = [
            ("kubernetes.io/arch".to_string(), "arm64".to_string()),
            (
                "node.kubernetes.io/instance-type".into(),
                "m7g.large".into(),
            ),
        ]
        .into();
        add_kubelet_labels(&mut labels);
        let get = |k: &str| labels.get(k).map(String::as_str);
        assert_eq!(get("kubernetes.io/os"), Some("linux"));
        assert_eq!(get("beta.kubernetes.io/os"), Some("linux"));
        assert_eq!(get("kubernetes.io/arch"), Some("arm64"));
        assert_eq!(get("beta.kubernetes.io/arch"), Some("arm64"));
        assert_eq!(get("beta.kubernetes.io/instance-type"), Some("m7g.large"));
        assert_eq!(get("topology.kubernetes.io/region"), None);
    }

    #[test]
    fn untagged_images_get_latest() {
        assert_eq!(normalized_image_name("nginx"), "nginx:latest");
        assert_eq!(normalized_image_name("nginx:1.27"), "nginx:1.27");
        assert_eq!(
            normalized_image_name("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
        assert_eq!(
            normalized_image_name("registry.k8s.io/pause:3.10"),
            "registry.k8s.io/pause:3.10"
        );
        assert!(matches!(normalized_image_name("a/b:1"), Cow::Borrowed(_)));
    }
}
