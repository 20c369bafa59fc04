//! The typed arguments of the configurable in-tree plugins (`pluginConfig[].args`), defaulted
//! as upstream's v1 types are (`staging/src/k8s.io/kube-scheduler/config/v1/types_pluginargs.go`,
//! defaults in `pkg/scheduler/apis/config/v1/defaults.go`). The loader builds them from YAML
//! after validating them; plugins take them as they are.

use super::affinity::NodeAffinity;
use super::pod_affinity::TopologySpreadConstraint;
use super::resources::names as res;

/// Typed arguments of one configurable plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PluginArgs {
    /// `NodeResourcesFitArgs`.
    NodeResourcesFit(FitArgs),
    /// `NodeResourcesBalancedAllocationArgs`.
    BalancedAllocation(BalancedAllocationArgs),
    /// `InterPodAffinityArgs`.
    InterPodAffinity(InterPodAffinityArgs),
    /// `NodeAffinityArgs`.
    NodeAffinity(NodeAffinityArgs),
    /// `PodTopologySpreadArgs`.
    PodTopologySpread(PodTopologySpreadArgs),
    /// `DefaultPreemptionArgs`.
    DefaultPreemption(DefaultPreemptionArgs),
    /// `VolumeBindingArgs`.
    VolumeBinding(VolumeBindingArgs),
    /// `DynamicResourcesArgs` (the plugin is not modelled: read, checked and not used).
    DynamicResources(DynamicResourcesArgs),
}

/// How nodes are ranked by requested resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoringStrategyType {
    /// Prefer nodes with more free resources (spreads pods; the default).
    LeastAllocated,
    /// Prefer nodes with fewer free resources (packs pods).
    MostAllocated,
    /// Map utilisation through a piecewise-linear shape.
    RequestedToCapacityRatio,
}

/// A resource and its weight in a score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceWeight {
    /// Resource name (`cpu`, `memory`, `nvidia.com/gpu`, ...).
    pub name: String,
    /// Weight, 1..=100 (0 or unset in the configuration means 1).
    pub weight: i64,
}

/// Typed `NodeResourcesFitArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitArgs {
    /// Scoring strategy (default LeastAllocated).
    pub strategy: ScoringStrategyType,
    /// Resources scored and their weights (default cpu 1, memory 1).
    pub resources: Vec<ResourceWeight>,
    /// RequestedToCapacityRatio shape: (utilisation 0..=100, score 0..=10) points, ascending.
    pub shape: Vec<(i64, i64)>,
    /// Extended resources the filter ignores (`ignoredResources`).
    pub ignored_resources: Vec<String>,
    /// Extended resource groups (`example.com` in `example.com/foo`) the filter ignores.
    pub ignored_resource_groups: Vec<String>,
}

impl Default for FitArgs {
    fn default() -> Self {
        FitArgs {
            strategy: ScoringStrategyType::LeastAllocated,
            resources: default_resources(),
            shape: Vec::new(),
            ignored_resources: Vec::new(),
            ignored_resource_groups: Vec::new(),
        }
    }
}

/// cpu and memory with weight 1: the default for every resource-based score.
pub fn default_resources() -> Vec<ResourceWeight> {
    vec![
        ResourceWeight {
            name: res::CPU.into(),
            weight: 1,
        },
        ResourceWeight {
            name: res::MEMORY.into(),
            weight: 1,
        },
    ]
}

/// Typed `NodeResourcesBalancedAllocationArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancedAllocationArgs {
    /// Resources compared (default cpu and memory; every weight is 1).
    pub resources: Vec<ResourceWeight>,
}

impl Default for BalancedAllocationArgs {
    fn default() -> Self {
        BalancedAllocationArgs {
            resources: default_resources(),
        }
    }
}

/// Typed `InterPodAffinityArgs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterPodAffinityArgs {
    /// The weight bound pods' required affinity terms add when scoring (0-100, default 1).
    pub hard_pod_affinity_weight: i32,
    /// When the incoming pod has no preferred (anti-)affinity terms, PreScore skips: bound
    /// pods' terms are not scored either (default false).
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl Default for InterPodAffinityArgs {
    fn default() -> Self {
        InterPodAffinityArgs {
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: false,
        }
    }
}

/// Typed `NodeAffinityArgs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAffinityArgs {
    /// Node affinity applied to every pod of the profile on top of its own
    /// (`addedAffinity`): its required terms filter, its preferred terms score.
    pub added_affinity: Option<NodeAffinity>,
}

/// How PodTopologySpread finds the constraints of a pod that has none of its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DefaultingType {
    /// The built-in defaults: hostname maxSkew 3 and zone maxSkew 5, ScheduleAnyway.
    #[default]
    System,
    /// The `defaultConstraints` given (none when the list is empty).
    List,
}

/// Typed `PodTopologySpreadArgs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodTopologySpreadArgs {
    /// Constraints of pods without their own (with `List`); their selectors are deduced per
    /// pod, so `label_selector` is `None` here.
    pub default_constraints: Vec<TopologySpreadConstraint>,
    /// `defaultingType` (default System).
    pub defaulting_type: DefaultingType,
}

/// Typed `DefaultPreemptionArgs`: how many candidate nodes the dry run looks for at least.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultPreemptionArgs {
    /// Percentage of the potential nodes (0-100, default 10).
    pub min_candidate_nodes_percentage: i32,
    /// Absolute number (at least 0, default 100).
    pub min_candidate_nodes_absolute: i32,
}

impl Default for DefaultPreemptionArgs {
    fn default() -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

impl DefaultPreemptionArgs {
    /// How many candidates to find among `potential` nodes (`calculateNumCandidates` in
    /// `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`): the
    /// percentage of them, raised to the absolute number, capped at all of them.
    pub fn num_candidates(&self, potential: usize) -> usize {
        let n = potential as i64 * i64::from(self.min_candidate_nodes_percentage) / 100;
        let n = n.max(i64::from(self.min_candidate_nodes_absolute));
        usize::try_from(n).unwrap_or(0).min(potential)
    }
}

/// Typed `VolumeBindingArgs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolumeBindingArgs {
    /// How long PreBind waits for volumes to bind (default 600). kubesim binds and
    /// provisions volumes at once, so the wait never runs out.
    pub bind_timeout_seconds: i64,
}

impl Default for VolumeBindingArgs {
    fn default() -> Self {
        VolumeBindingArgs {
            bind_timeout_seconds: 600,
        }
    }
}

/// Typed `DynamicResourcesArgs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DynamicResourcesArgs {
    /// How long Filter may take per node, in ms (default 10 s; 0 means no limit).
    pub filter_timeout_ms: i64,
}

impl Default for DynamicResourcesArgs {
    fn default() -> Self {
        DynamicResourcesArgs {
            filter_timeout_ms: 10_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_counts_as_upstream_calculates_them() {
        let d = DefaultPreemptionArgs::default();
        // (potential nodes, percentage, absolute, candidates)
        let cases = [
            (50, d.min_candidate_nodes_percentage, 100, 50),
            (5000, 10, 100, 500),
            (500, 10, 100, 100),
            (500, 0, 1, 1),
            (500, 50, 0, 250),
            (3, 100, 0, 3),
            (0, 10, 100, 0),
        ];
        for (potential, pct, abs, want) in cases {
            let a = DefaultPreemptionArgs {
                min_candidate_nodes_percentage: pct,
                min_candidate_nodes_absolute: abs,
            };
            assert_eq!(a.num_candidates(potential), want, "{potential} {pct} {abs}");
        }
    }
}
