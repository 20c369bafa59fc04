//! Pod placement relative to other pods: topology spread constraints and inter-pod affinity
//! (`core/v1` `TopologySpreadConstraint`, `PodAffinity`, `PodAntiAffinity`).

use super::selector::LabelSelector;

/// What the scheduler does when a spread constraint cannot be met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WhenUnsatisfiable {
    /// A hard constraint: PodTopologySpread's Filter rejects nodes that break it.
    DoNotSchedule,
    /// A soft constraint: PodTopologySpread's Score prefers nodes that keep it.
    ScheduleAnyway,
}

/// Whether node affinity or taints decide which nodes count when spreading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InclusionPolicy {
    /// Only nodes the pod could be placed on count.
    Honor,
    /// Every node counts.
    Ignore,
}

/// One `topologySpreadConstraints` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopologySpreadConstraint {
    /// The largest allowed difference in matching pods between two domains (at least 1).
    pub max_skew: i32,
    /// The node label whose values are the domains.
    pub topology_key: String,
    /// Hard or soft.
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// The pods counted; `None` counts none.
    pub label_selector: Option<LabelSelector>,
    /// With fewer domains than this, the global minimum is taken as 0 (hard constraints only).
    pub min_domains: Option<i32>,
    /// Whether the pod's node affinity and nodeSelector limit the counted nodes (default Honor).
    pub node_affinity_policy: InclusionPolicy,
    /// Whether the pod's tolerations limit the counted nodes (default Ignore).
    pub node_taints_policy: InclusionPolicy,
    /// Pod label keys whose values (taken from the incoming pod) are ANDed into the selector.
    pub match_label_keys: Vec<String>,
}

/// One pod (anti-)affinity term: pods matching `label_selector` in `namespaces` (or in the
/// namespaces `namespace_selector` picks), grouped by `topology_key`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodAffinityTerm {
    /// The pods the term is about; `None` matches none.
    pub label_selector: Option<LabelSelector>,
    /// Namespaces named explicitly.
    pub namespaces: Vec<String>,
    /// Namespaces picked by their labels; `Some(empty)` means every namespace. With neither
    /// this nor `namespaces`, the term means the pod's own namespace.
    pub namespace_selector: Option<LabelSelector>,
    /// The node label that defines "together".
    pub topology_key: String,
}

/// A preferred term with its weight (1-100).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WeightedPodAffinityTerm {
    /// Weight in 1..=100.
    pub weight: i32,
    /// The term.
    pub term: PodAffinityTerm,
}

/// Required and preferred terms of one kind (affinity or anti-affinity).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodAffinityTerms {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    pub required: Vec<PodAffinityTerm>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<WeightedPodAffinityTerm>,
}

impl PodAffinityTerms {
    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }
}

/// A pod's affinity and anti-affinity to other pods.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodAffinity {
    /// `podAffinity`: be near such pods.
    pub affinity: PodAffinityTerms,
    /// `podAntiAffinity`: stay away from such pods.
    pub anti_affinity: PodAffinityTerms,
}

impl PodAffinity {
    /// Whether there are no terms at all.
    pub fn is_empty(&self) -> bool {
        self.affinity.is_empty() && self.anti_affinity.is_empty()
    }
}
