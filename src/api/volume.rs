//! Storage: StorageClasses, PersistentVolumes and PersistentVolumeClaims as the scheduler and
//! the volume controller see them, and the matching rules they share
//! (`staging/src/k8s.io/component-helpers/storage/volume/pv_helpers.go`,
//! `staging/src/k8s.io/api/storage/v1/types.go`).
//!
//! The bound state (which claim a volume holds) lives in the store; these are the specs.

use super::affinity::NodeSelectorTerm;
use super::node::{LABEL_HOSTNAME, LABEL_ZONE};
use super::selector::{Labels, Operator, Requirement};
use std::fmt;
use std::sync::Arc;

/// The provisioner name upstream uses for classes that never provision (local volumes).
pub const NOT_SUPPORTED_PROVISIONER: &str = "kubernetes.io/no-provisioner";
/// Annotation that makes a StorageClass the default for claims that name none.
pub const ANNOTATION_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// Access modes of a volume or a claim, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccessModes(u8);

impl AccessModes {
    /// `ReadWriteOnce`.
    pub const READ_WRITE_ONCE: AccessModes = AccessModes(1);
    /// `ReadOnlyMany`.
    pub const READ_ONLY_MANY: AccessModes = AccessModes(1 << 1);
    /// `ReadWriteMany`.
    pub const READ_WRITE_MANY: AccessModes = AccessModes(1 << 2);
    /// `ReadWriteOncePod`.
    pub const READ_WRITE_ONCE_POD: AccessModes = AccessModes(1 << 3);
    /// The spellings kubesim accepts, for error messages.
    pub const NAMES: &'static str =
        "ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod";

    /// Parses one mode name.
    pub fn parse(s: &str) -> Option<AccessModes> {
        Some(match s {
            "ReadWriteOnce" => Self::READ_WRITE_ONCE,
            "ReadOnlyMany" => Self::READ_ONLY_MANY,
            "ReadWriteMany" => Self::READ_WRITE_MANY,
            "ReadWriteOncePod" => Self::READ_WRITE_ONCE_POD,
            _ => return None,
        })
    }

    /// Union.
    pub fn with(self, other: AccessModes) -> AccessModes {
        AccessModes(self.0 | other.0)
    }

    /// Whether every mode of `wanted` is among these (upstream `CheckAccessModes`).
    pub fn contains_all(self, wanted: AccessModes) -> bool {
        self.0 & wanted.0 == wanted.0
    }
}

/// `volumeBindingMode` of a StorageClass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeBindingMode {
    /// Claims are bound (or provisioned) as soon as they are created (the default).
    Immediate,
    /// Claims wait for the first pod that uses them; the scheduler picks the volume with the node.
    WaitForFirstConsumer,
}

impl VolumeBindingMode {
    /// Parses the upstream spelling.
    pub fn parse(s: &str) -> Option<VolumeBindingMode> {
        match s {
            "Immediate" => Some(VolumeBindingMode::Immediate),
            "WaitForFirstConsumer" => Some(VolumeBindingMode::WaitForFirstConsumer),
            _ => None,
        }
    }
}

/// One term of `allowedTopologies`: every `(key, values)` requirement must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopologyTerm {
    /// `matchLabelExpressions`: a label key and the values it may take.
    pub requirements: Vec<(String, Vec<String>)>,
}

impl TopologyTerm {
    /// Whether node labels satisfy the term.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements
            .iter()
            .all(|(k, vals)| labels.get(k).is_some_and(|v| vals.contains(v)))
    }
}

/// A StorageClass (`storage.k8s.io/v1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageClass {
    /// Object name.
    pub name: String,
    /// The provisioner; empty or [`NOT_SUPPORTED_PROVISIONER`] means volumes are never created.
    pub provisioner: String,
    /// When claims of this class are bound.
    pub binding_mode: VolumeBindingMode,
    /// Where provisioned volumes may live (OR-ed terms); empty allows every node.
    pub allowed_topologies: Vec<TopologyTerm>,
    /// Marked as the default class.
    pub is_default: bool,
}

impl StorageClass {
    /// Whether the class creates volumes on demand.
    pub fn can_provision(&self) -> bool {
        !self.provisioner.is_empty() && self.provisioner != NOT_SUPPORTED_PROVISIONER
    }

    /// Whether a node with these labels may host a volume provisioned from this class
    /// (upstream `MatchTopologySelectorTerms`: no terms match everything).
    pub fn allows_node(&self, labels: &Labels) -> bool {
        self.allowed_topologies.is_empty()
            || self.allowed_topologies.iter().any(|t| t.matches(labels))
    }
}

/// The spec of a PersistentVolume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistentVolumeSpec {
    /// `capacity.storage`, bytes.
    pub capacity: i64,
    /// `accessModes`.
    pub access_modes: AccessModes,
    /// `storageClassName` (empty: no class).
    pub storage_class: String,
    /// `nodeAffinity.required.nodeSelectorTerms` (OR-ed); `None`: reachable from every node.
    pub node_affinity: Option<Arc<Vec<NodeSelectorTerm>>>,
}

impl PersistentVolumeSpec {
    /// Whether a node may use the volume (upstream `CheckNodeAffinity`).
    pub fn node_affinity_matches(&self, labels: &Labels, node_name: &str) -> bool {
        affinity_matches(self.node_affinity.as_deref(), labels, node_name)
    }
}

/// Whether a node satisfies optional required node selector terms (none: every node does).
pub fn affinity_matches(
    terms: Option<&Vec<NodeSelectorTerm>>,
    labels: &Labels,
    name: &str,
) -> bool {
    terms.is_none_or(|t| t.iter().any(|t| t.matches(labels, name)))
}

/// The spec of a PersistentVolumeClaim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistentVolumeClaimSpec {
    /// `storageClassName` after defaulting (empty: no class).
    pub storage_class: String,
    /// `resources.requests.storage`, bytes.
    pub request: i64,
    /// `accessModes`.
    pub access_modes: AccessModes,
    /// `volumeName`: the volume the claim asks for by name (pre-bound).
    pub volume_name: Option<String>,
}

impl PersistentVolumeClaimSpec {
    /// The node-independent part of upstream `FindMatchingVolume`: an unclaimed volume of the
    /// same class, large enough, offering every mode the claim asks for.
    pub fn accepts(&self, pv: &PersistentVolumeSpec) -> bool {
        pv.storage_class == self.storage_class
            && pv.capacity >= self.request
            && pv.access_modes.contains_all(self.access_modes)
    }
}

/// Node selector terms that pin a volume to one label value (`key In [value]`), or `None`
/// when the pair is not a valid requirement.
pub fn pinned_to(key: &str, value: &str) -> Option<Arc<Vec<NodeSelectorTerm>>> {
    let req = Requirement::new(key, Operator::In, vec![value.to_string()]).ok()?;
    Some(Arc::new(vec![NodeSelectorTerm {
        match_expressions: vec![req],
        match_fields: vec![],
    }]))
}

/// The volume a provisioner creates for `claim` once its pod is placed on a node: the
/// claim's size, modes and class, reachable from the node's zone, or from that node alone when
/// it has no zone label (kubesim's stand-in for a CSI driver's topology).
pub fn provisioned_for_node(
    claim: &PersistentVolumeClaimSpec,
    node_labels: &Labels,
    node_name: &str,
) -> PersistentVolumeSpec {
    let affinity = match node_labels.get(LABEL_ZONE) {
        Some(zone) => pinned_to(LABEL_ZONE, zone),
        None => pinned_to(LABEL_HOSTNAME, node_name),
    };
    PersistentVolumeSpec {
        capacity: claim.request,
        access_modes: claim.access_modes,
        storage_class: claim.storage_class.clone(),
        node_affinity: affinity,
    }
}

/// The volume an Immediate class provisions as soon as the claim exists: placed in the first
/// value of each requirement of the first allowed topology term, or reachable everywhere when
/// the class allows every node.
pub fn provisioned_immediately(
    claim: &PersistentVolumeClaimSpec,
    class: &StorageClass,
) -> PersistentVolumeSpec {
    let affinity = class.allowed_topologies.first().and_then(|t| {
        let reqs: Option<Vec<Requirement>> = t
            .requirements
            .iter()
            .map(|(k, vals)| {
                let v = vals.first()?;
                Requirement::new(k, Operator::In, vec![v.clone()]).ok()
            })
            .collect();
        let reqs = reqs.filter(|r| !r.is_empty())?;
        Some(Arc::new(vec![NodeSelectorTerm {
            match_expressions: reqs,
            match_fields: vec![],
        }]))
    });
    PersistentVolumeSpec {
        capacity: claim.request,
        access_modes: claim.access_modes,
        storage_class: claim.storage_class.clone(),
        node_affinity: affinity,
    }
}

/// The smallest of `candidates` (volume name, spec) that `accept` admits, ties broken by name:
/// upstream picks the smallest matching volume (and leaves ties to list order).
pub fn smallest_matching<'a, K>(
    candidates: impl IntoIterator<Item = (K, &'a str, &'a PersistentVolumeSpec)>,
    mut accept: impl FnMut(&K, &PersistentVolumeSpec) -> bool,
) -> Option<K> {
    let mut best: Option<(i64, &str, K)> = None;
    for (k, name, spec) in candidates {
        if !accept(&k, spec) {
            continue;
        }
        let better = match &best {
            None => true,
            Some((cap, n, _)) => (spec.capacity, name) < (*cap, *n),
        };
        if better {
            best = Some((spec.capacity, name, k));
        }
    }
    best.map(|(_, _, k)| k)
}

/// The zone and region labels VolumeZone compares, beta spellings first
/// (`pkg/scheduler/framework/plugins/volumezone/volume_zone.go`).
pub const TOPOLOGY_LABELS: [&str; 4] = [
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
];

/// The GA spelling of a beta topology label (other labels unchanged).
pub fn ga_topology_label(key: &str) -> &str {
    match key {
        "failure-domain.beta.kubernetes.io/zone" => "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region" => "topology.kubernetes.io/region",
        other => other,
    }
}

/// The zones of a multi-zone label value (`a__b`), as upstream `LabelZonesToSet` splits it;
/// empty parts are dropped.
pub fn label_zones(value: &str) -> Vec<String> {
    value
        .split("__")
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(String::from)
        .collect()
}

impl fmt::Display for VolumeBindingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VolumeBindingMode::Immediate => "Immediate",
            VolumeBindingMode::WaitForFirstConsumer => "WaitForFirstConsumer",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(cap: i64, modes: AccessModes, class: &str) -> PersistentVolumeSpec {
        PersistentVolumeSpec {
            capacity: cap,
            access_modes: modes,
            storage_class: class.into(),
            node_affinity: None,
        }
    }

    #[test]
    fn access_modes_parse_and_cover() {
        let rwo = AccessModes::parse("ReadWriteOnce").unwrap();
        let rwx = AccessModes::parse("ReadWriteMany").unwrap();
        assert!(AccessModes::parse("ReadWriteSometimes").is_none());
        assert!(rwo.with(rwx).contains_all(rwo));
        assert!(!rwo.contains_all(rwo.with(rwx)));
        assert!(rwo.contains_all(AccessModes::default()));
    }

    #[test]
    fn claims_accept_large_enough_volumes_of_their_class_and_modes() {
        let claim = PersistentVolumeClaimSpec {
            storage_class: "fast".into(),
            request: 10,
            access_modes: AccessModes::READ_WRITE_ONCE,
            volume_name: None,
        };
        let rwo = AccessModes::READ_WRITE_ONCE;
        assert!(claim.accepts(&pv(10, rwo, "fast")));
        assert!(!claim.accepts(&pv(9, rwo, "fast")), "too small");
        assert!(!claim.accepts(&pv(10, rwo, "slow")), "other class");
        assert!(!claim.accepts(&pv(10, AccessModes::READ_ONLY_MANY, "fast")));
    }

    #[test]
    fn the_smallest_match_wins_and_ties_go_to_the_first_name() {
        let a = pv(20, AccessModes::READ_WRITE_ONCE, "");
        let b = pv(10, AccessModes::READ_WRITE_ONCE, "");
        let c = pv(10, AccessModes::READ_WRITE_ONCE, "");
        let list = [(0, "pv-a", &a), (1, "pv-c", &c), (2, "pv-b", &b)];
        assert_eq!(smallest_matching(list, |_, _| true), Some(2));
        assert_eq!(smallest_matching(list, |k, _| *k != 2), Some(1));
        assert_eq!(smallest_matching(list, |_, s| s.capacity > 10), Some(0));
        assert_eq!(smallest_matching(list, |_, _| false), None);
    }

    #[test]
    fn topology_terms_and_zone_labels() {
        let labels: Labels = [("zone".to_string(), "a".to_string())].into();
        let class = |terms: Vec<TopologyTerm>| StorageClass {
            name: "c".into(),
            provisioner: "csi.example.com".into(),
            binding_mode: VolumeBindingMode::WaitForFirstConsumer,
            allowed_topologies: terms,
            is_default: false,
        };
        assert!(class(vec![]).allows_node(&labels));
        let term = |v: &str| TopologyTerm {
            requirements: vec![("zone".into(), vec![v.into()])],
        };
        assert!(class(vec![term("b"), term("a")]).allows_node(&labels));
        assert!(!class(vec![term("b")]).allows_node(&labels));
        assert!(class(vec![]).can_provision());
        let mut none = class(vec![]);
        none.provisioner = NOT_SUPPORTED_PROVISIONER.into();
        assert!(!none.can_provision());
        assert_eq!(label_zones("a__b"), ["a", "b"]);
        let claim = PersistentVolumeClaimSpec {
            storage_class: "c".into(),
            request: 5,
            access_modes: AccessModes::READ_WRITE_ONCE,
            volume_name: None,
        };
        let zonal: Labels = [(LABEL_ZONE.to_string(), "z1".to_string())].into();
        let pv = provisioned_for_node(&claim, &zonal, "n1");
        assert_eq!((pv.capacity, pv.storage_class.as_str()), (5, "c"));
        assert!(pv.node_affinity_matches(&zonal, "other-node"));
        assert!(!pv.node_affinity_matches(&Labels::new(), "n1"));
        let pv = provisioned_for_node(&claim, &Labels::new(), "n1");
        let host: Labels = [(LABEL_HOSTNAME.to_string(), "n1".to_string())].into();
        assert!(pv.node_affinity_matches(&host, "n1"));
        let c = class(vec![term("b"), term("a")]);
        let pv = provisioned_immediately(&claim, &c);
        let zone_b: Labels = [("zone".to_string(), "b".to_string())].into();
        assert!(pv.node_affinity_matches(&zone_b, "x"));
        assert!(!pv.node_affinity_matches(&labels, "x"));
        assert!(
            provisioned_immediately(&claim, &class(vec![]))
                .node_affinity
                .is_none()
        );
        assert_eq!(ga_topology_label(TOPOLOGY_LABELS[0]), TOPOLOGY_LABELS[2]);
    }
}
