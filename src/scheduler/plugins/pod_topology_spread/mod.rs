//! PodTopologySpread: keep matching pods evenly spread over topology domains
//! (`pkg/scheduler/framework/plugins/podtopologyspread/{common,filtering,scoring}.go`).
//!
//! Hard (`DoNotSchedule`) constraints filter: placing the pod in a domain must not make that
//! domain's matching-pod count exceed the smallest domain's count by more than `maxSkew`. Soft
//! (`ScheduleAnyway`) constraints score: fewer matching pods in the node's domain, weighted by
//! `ln(number of domains + 2)`, scores higher. The counts come from the scheduler's
//! [`PodIndex`], kept up to date as pods bind, so a
//! cycle costs O(nodes) rather than O(pods).
//!
//! A pod without constraints of its own gets the profile's default constraints when a Service
//! selects it (kubesim has no ReplicaSets, ReplicationControllers or StatefulSets yet, whose
//! selectors upstream adds too): by default the system defaults (`defaultingType: System`),
//! which only score; with `defaultingType: List`, the `defaultConstraints` given, which filter
//! too when DoNotSchedule (`plugin.go`, `common.go`).

use super::names;
use crate::api::affinity::node_selector_matches;
use crate::api::node::LABEL_HOSTNAME;
use crate::api::pod::Pod;
use crate::api::pod_affinity::{InclusionPolicy, TopologySpreadConstraint, WhenUnsatisfiable};
use crate::api::scheduler_config::{DefaultingType, ExtensionPoint, PodTopologySpreadArgs};
use crate::api::taint::{TaintEffect, tolerated};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, ClusterView, FilterPlugin, MAX_NODE_SCORE, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ScorePlugin, Status,
};
use crate::scheduler::pod_index::{
    KeyId, Matcher, NO_DOMAIN, PodIndex, default_constraints, system_default_constraints,
};

/// Reason when a node lacks a constraint's topology key.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
/// Reason when placing the pod would break a constraint's maxSkew.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";

/// A resolved constraint for one cycle.
#[derive(Clone, Debug)]
struct Resolved {
    /// Each node's domain under the constraint's key (copied from the index for the cycle).
    domains: Vec<u32>,
    max_skew: i64,
    /// Matching pods per domain over the counted nodes.
    counts: Vec<u64>,
    /// Whether the incoming pod matches the selector itself.
    self_match: bool,
    /// Hard constraints: the smallest count over counted domains (or 0 with too few domains).
    min_match: i64,
    /// Soft constraints: `ln(domains among candidates + 2)`.
    weight: f64,
    /// Soft constraints on the hostname key count the node's own pods.
    per_node: Option<Vec<u32>>,
}

/// The plugin.
#[derive(Debug)]
pub struct PodTopologySpread {
    hard: Vec<Resolved>,
    soft: Vec<Resolved>,
    /// Whether nodes missing a soft constraint's key are ignored (upstream's
    /// `requireAllTopologies`: always, but for the system defaults).
    require_all: bool,
    /// The constraints of pods without their own, before their selectors are deduced.
    defaults: Vec<TopologySpreadConstraint>,
    /// Whether `defaults` are the system defaults.
    system_defaulted: bool,
    /// Whether any of `defaults` is DoNotSchedule (else PreFilter need not deduce them).
    hard_defaults: bool,
}

impl Default for PodTopologySpread {
    fn default() -> Self {
        PodTopologySpread::new(&PodTopologySpreadArgs::default())
    }
}

impl PodTopologySpread {
    /// The plugin with these args.
    pub fn new(args: &PodTopologySpreadArgs) -> PodTopologySpread {
        let system_defaulted = args.defaulting_type == DefaultingType::System;
        let defaults = if system_defaulted {
            system_default_constraints()
        } else {
            args.default_constraints.clone()
        };
        PodTopologySpread {
            hard: Vec::new(),
            soft: Vec::new(),
            require_all: false,
            hard_defaults: defaults
                .iter()
                .any(|c| c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule),
            defaults,
            system_defaulted,
        }
    }

    /// The constraints this profile gives pods without their own (selectors not deduced).
    pub fn defaults(&self) -> &[TopologySpreadConstraint] {
        &self.defaults
    }
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &str {
        names::POD_TOPOLOGY_SPREAD
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/podtopologyspread/plugin.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[
            ExtensionPoint::PreFilter,
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ])
    }
    /// Bound pods coming and going, and nodes joining or changing their labels (a topology
    /// key) or taints (`plugin.go`).
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD
            .or(ClusterEvents::NODE_LABEL)
            .or(ClusterEvents::NODE_TAINT)
            .or(ClusterEvents::ASSIGNED_POD_DELETE)
            .or(ClusterEvents::ASSIGNED_POD_ADD)
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// Whether `node` counts for the constraints `cs` of `pod`: it has every key, and passes the
/// pod's node affinity and taints where the policies say so.
fn counted(pod: &Pod, node: &NodeInfo, cs: &[&TopologySpreadConstraint]) -> bool {
    let labels = &node.node.meta.labels;
    if !cs.iter().all(|c| labels.contains_key(&c.topology_key)) {
        return false;
    }
    let honor_affinity = cs
        .iter()
        .any(|c| c.node_affinity_policy == InclusionPolicy::Honor);
    if honor_affinity {
        let ok = node_selector_matches(&pod.spec.node_selector, labels)
            && pod
                .spec
                .node_affinity
                .as_ref()
                .is_none_or(|a| a.required_matches(labels, node.name()));
        if !ok {
            return false;
        }
    }
    let honor_taints = cs
        .iter()
        .any(|c| c.node_taints_policy == InclusionPolicy::Honor);
    if honor_taints && node.hot.has_taints {
        let untolerated = node.node.taints.iter().any(|t| {
            matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !tolerated(&pod.spec.tolerations, t)
        });
        if untolerated {
            return false;
        }
    }
    true
}

fn constraints(pod: &Pod, when: WhenUnsatisfiable) -> Vec<&TopologySpreadConstraint> {
    pod.spec
        .topology_spread_constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == when)
        .collect()
}

/// Matching pods per domain of `key`, over the nodes of `all` that `eligible` accepts, and
/// which domains those nodes cover.
fn domain_counts(
    index: &PodIndex,
    pod: &Pod,
    c: &TopologySpreadConstraint,
    key: KeyId,
    eligible: &[bool],
) -> (Vec<u64>, Vec<bool>) {
    let domains = index.domains(key);
    let mut present = vec![false; index.domain_count(key)];
    for (n, &d) in domains.iter().enumerate() {
        if d != NO_DOMAIN && eligible[n] {
            present[d as usize] = true;
        }
    }
    let counts = match Matcher::for_spread(pod, c).and_then(|m| index.matcher(&m)) {
        Some(id) => index.sum_by_domain(index.live_per_node(id), key, |n| eligible[n]),
        None => vec![0; present.len()],
    };
    (counts, present)
}

fn self_match(pod: &Pod, c: &TopologySpreadConstraint) -> bool {
    c.label_selector
        .as_ref()
        .is_some_and(|s| s.matches(&pod.meta.labels))
}

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        self.pre_filter_with(pod, nodes, ClusterView::empty())
    }

    /// Counts matching pods per domain for each hard constraint (the pod's own, or the
    /// DoNotSchedule defaults for a pod without any); Skip without any.
    fn pre_filter_with(
        &mut self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        view: ClusterView<'_>,
    ) -> (Status, PreFilterResult) {
        self.hard.clear();
        let defaults = if self.hard_defaults {
            default_constraints(pod, view.store.services(), &self.defaults)
        } else {
            Vec::new()
        };
        let cs: Vec<&TopologySpreadConstraint> = if defaults.is_empty() {
            constraints(pod, WhenUnsatisfiable::DoNotSchedule)
        } else {
            defaults
                .iter()
                .filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule)
                .collect()
        };
        if cs.is_empty() {
            return (Status::skip(), None);
        }
        let index = nodes.pods();
        let all = nodes.all();
        let eligible: Vec<bool> = all.iter().map(|n| counted(pod, n, &cs)).collect();
        for c in &cs {
            let Some(key) = index.key(&c.topology_key) else {
                return (
                    Status::error(format!("topology key {:?} not indexed", c.topology_key)),
                    None,
                );
            };
            let (counts, present) = domain_counts(index, pod, c, key, &eligible);
            let domains = present.iter().filter(|&&p| p).count();
            let min_match = if domains < c.min_domains.unwrap_or(1).max(1) as usize {
                0
            } else {
                counts
                    .iter()
                    .zip(&present)
                    .filter(|(_, p)| **p)
                    .map(|(&c, _)| c as i64)
                    .min()
                    .unwrap_or(i64::from(i32::MAX))
            };
            self.hard.push(Resolved {
                domains: index.domains(key).to_vec(),
                max_skew: i64::from(c.max_skew),
                counts,
                self_match: self_match(pod, c),
                min_match,
                weight: 0.0,
                per_node: None,
            });
        }
        (Status::success(), None)
    }
}

impl Resolved {
    fn domain_of(&self, node: &NodeInfo) -> u32 {
        self.domains
            .get(node.id.0 as usize)
            .copied()
            .unwrap_or(NO_DOMAIN)
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        if self.hard.iter().any(|c| c.domain_of(node) == NO_DOMAIN) {
            return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        }
        for c in &self.hard {
            let d = c.domain_of(node) as usize;
            let match_num = c.counts.get(d).copied().unwrap_or(0) as i64;
            let skew = match_num + i64::from(c.self_match) - c.min_match;
            if skew > c.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

/// Score of a node that lacks a soft constraint's key (upstream's ignored nodes): 0 after
/// normalizing.
const IGNORED: i64 = -1;

impl PreScorePlugin for PodTopologySpread {
    /// Resolves the soft constraints over the candidate nodes; Skip without any.
    fn pre_score(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> Status {
        self.pre_score_with(pod, nodes, ClusterView::empty())
    }

    /// The pod's soft constraints, or the ScheduleAnyway defaults for a pod without any
    /// constraint that a Service selects.
    fn pre_score_with(&mut self, pod: &Pod, nodes: NodeSet<'_>, view: ClusterView<'_>) -> Status {
        self.soft.clear();
        let own = !pod.spec.topology_spread_constraints.is_empty();
        let cs: Vec<TopologySpreadConstraint> = if own {
            constraints(pod, WhenUnsatisfiable::ScheduleAnyway)
                .into_iter()
                .cloned()
                .collect()
        } else {
            let mut cs = default_constraints(pod, view.store.services(), &self.defaults);
            cs.retain(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway);
            cs
        };
        if cs.is_empty() {
            return Status::skip();
        }
        // A pod ignores nodes missing a key, but with the system defaults such nodes are
        // scored on the keys they have.
        self.require_all = own || !self.system_defaulted;
        let index = nodes.pods();
        let all = nodes.all();
        let refs: Vec<&TopologySpreadConstraint> = cs.iter().collect();
        let has_all_keys = |n: &NodeInfo| {
            cs.iter()
                .all(|c| n.node.meta.labels.contains_key(&c.topology_key))
        };
        let candidates: Vec<&NodeInfo> = nodes
            .iter()
            .filter(|n| !self.require_all || has_all_keys(n))
            .collect();
        for c in &cs {
            let Some(key) = index.key(&c.topology_key) else {
                return Status::error(format!("topology key {:?} not indexed", c.topology_key));
            };
            let eligible: Vec<bool> = if self.require_all {
                all.iter().map(|n| counted(pod, n, &refs)).collect()
            } else {
                all.iter().map(|n| counted(pod, n, &[c])).collect()
            };
            let hostname = c.topology_key == LABEL_HOSTNAME;
            let domains = index.domains(key);
            let size = if hostname {
                candidates.len()
            } else {
                let mut seen = vec![false; index.domain_count(key)];
                for n in &candidates {
                    let d = domains[n.id.0 as usize];
                    if d != NO_DOMAIN {
                        seen[d as usize] = true;
                    }
                }
                seen.iter().filter(|&&s| s).count()
            };
            let per_node = hostname.then(|| {
                Matcher::for_spread(pod, c)
                    .and_then(|m| index.matcher(&m))
                    .map_or_else(|| vec![0; all.len()], |id| index.live_per_node(id).to_vec())
            });
            let counts = if hostname {
                Vec::new()
            } else {
                domain_counts(index, pod, c, key, &eligible).0
            };
            self.soft.push(Resolved {
                domains: domains.to_vec(),
                max_skew: i64::from(c.max_skew),
                counts,
                self_match: false,
                min_match: 0,
                weight: ((size + 2) as f64).ln(),
                per_node,
            });
        }
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    /// `round(Σ count × ln(domains + 2) + (maxSkew − 1))` over the constraints whose key the
    /// node has; `IGNORED` for a node missing a key.
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> i64 {
        let mut sum = 0.0f64;
        for c in &self.soft {
            let d = c.domain_of(node);
            if d == NO_DOMAIN {
                if self.require_all {
                    return IGNORED;
                }
                continue;
            }
            let count = match &c.per_node {
                Some(per_node) => u64::from(per_node[node.id.0 as usize]),
                None => c.counts.get(d as usize).copied().unwrap_or(0),
            };
            sum += count as f64 * c.weight + (c.max_skew - 1) as f64;
        }
        sum.round() as i64
    }

    /// `100 × (max + min − raw) / max` over the scored nodes (100 for all when max is 0);
    /// ignored nodes get 0.
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        let scored = scores.iter().copied().filter(|&s| s != IGNORED);
        let (min, max) = scored.fold((i64::MAX, i64::MIN), |(lo, hi), s| (lo.min(s), hi.max(s)));
        for s in scores.iter_mut() {
            *s = if *s == IGNORED {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *s) / max
            };
        }
    }
}

#[cfg(test)]
mod tests;
