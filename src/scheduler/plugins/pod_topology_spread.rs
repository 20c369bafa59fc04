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
//! A pod without constraints of its own gets the system defaults when a Service selects it
//! (kubesim has no ReplicaSets, ReplicationControllers or StatefulSets yet, whose selectors
//! upstream adds too).

use super::names;
use crate::api::affinity::node_selector_matches;
use crate::api::node::LABEL_HOSTNAME;
use crate::api::pod::Pod;
use crate::api::pod_affinity::{InclusionPolicy, TopologySpreadConstraint, WhenUnsatisfiable};
use crate::api::scheduler_config::ExtensionPoint;
use crate::api::taint::{TaintEffect, tolerated};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, ClusterView, FilterPlugin, MAX_NODE_SCORE, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ScorePlugin, Status,
};
use crate::scheduler::pod_index::{
    KeyId, Matcher, NO_DOMAIN, PodIndex, system_default_constraints,
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
#[derive(Debug, Default)]
pub struct PodTopologySpread {
    hard: Vec<Resolved>,
    soft: Vec<Resolved>,
    /// Whether the soft constraints are the pod's own (nodes missing a key are ignored).
    require_all: bool,
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
        Some(id) => index.sum_by_domain(index.per_node(id), key, |n| eligible[n]),
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
    /// Counts matching pods per domain for each hard constraint; Skip without any.
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        self.hard.clear();
        let cs = constraints(pod, WhenUnsatisfiable::DoNotSchedule);
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

    /// The pod's soft constraints, or the system defaults for a pod without any constraint
    /// that a Service selects.
    fn pre_score_with(&mut self, pod: &Pod, nodes: NodeSet<'_>, view: ClusterView<'_>) -> Status {
        self.soft.clear();
        let own = pod.spec.topology_spread_constraints.is_empty();
        let cs: Vec<TopologySpreadConstraint> = if own {
            system_default_constraints(pod, view.store.services())
        } else {
            constraints(pod, WhenUnsatisfiable::ScheduleAnyway)
                .into_iter()
                .cloned()
                .collect()
        };
        if cs.is_empty() {
            return Status::skip();
        }
        // With its own constraints a pod ignores nodes missing a key; with the system defaults
        // such nodes are scored on the keys they have.
        self.require_all = !own;
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
                    .map_or_else(|| vec![0; all.len()], |id| index.per_node(id).to_vec())
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
mod tests {
    use super::*;
    use crate::api::Labels;
    use crate::api::pod_affinity::TopologySpreadConstraint;
    use crate::api::selector::LabelSelector;
    use crate::scheduler::plugins::testing::{node, pod, with_labels};
    use crate::scheduler::pod_index::NamespaceLabels;
    use std::sync::Arc;

    fn labelled(mut p: Pod, labels: &[(&str, &str)]) -> Pod {
        let mut l = Labels::new();
        for (k, v) in labels {
            l.insert(k.to_string(), v.to_string());
        }
        p.meta.labels = Arc::new(l);
        p
    }

    fn constraint(key: &str, skew: i32, when: WhenUnsatisfiable) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew: skew,
            topology_key: key.into(),
            when_unsatisfiable: when,
            label_selector: Some(LabelSelector::parse("app=web").unwrap()),
            min_domains: None,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
            match_label_keys: vec![],
        }
    }

    /// Nodes `n0..` with the given zones, pods `app=web` bound per node as `bound[i]`, and
    /// an incoming web pod with `cs`.
    fn setup(
        zones: &[&str],
        bound: &[u32],
        cs: Vec<TopologySpreadConstraint>,
    ) -> (Vec<NodeInfo>, PodIndex, Pod) {
        let nodes: Vec<NodeInfo> = zones
            .iter()
            .enumerate()
            .map(|(i, z)| {
                let name = format!("n{i}");
                let mut n = with_labels(node(&name, 4000, 1 << 30), &[("zone", z)]);
                let mut labels = (*n.node.meta.labels).clone();
                labels.insert(LABEL_HOSTNAME.into(), name.clone());
                labels.insert(crate::api::node::LABEL_ZONE.into(), z.to_string());
                Arc::make_mut(&mut n.node).meta.labels = Arc::new(labels);
                n.id = crate::store::NodeId(i as u32);
                n
            })
            .collect();
        let mut index = PodIndex::new(NamespaceLabels::default());
        for n in &nodes {
            index.add_node(&n.node);
        }
        let mut incoming = labelled(pod("in", 100, 0), &[("app", "web")]);
        Arc::make_mut(&mut incoming.spec).topology_spread_constraints = cs;
        for m in index.prepare(&incoming, &[]) {
            index.ensure_matcher(&m, std::iter::empty());
        }
        for (i, &k) in bound.iter().enumerate() {
            for j in 0..k {
                let p = labelled(pod(&format!("b{i}-{j}"), 100, 0), &[("app", "web")]);
                index.pod_bound(&p, i);
            }
        }
        (nodes, index, incoming)
    }

    #[test]
    fn hard_constraint_filters_by_skew() {
        // zone a: 2 pods, zone b: 0 pods, maxSkew 1: only zone b fits.
        let c = constraint("zone", 1, WhenUnsatisfiable::DoNotSchedule);
        let (nodes, index, p) = setup(&["a", "a", "b"], &[1, 1, 0], vec![c]);
        let order = [0usize, 1, 2];
        let set = NodeSet::new(&nodes, &order).with_pods(&index);
        let mut pl = PodTopologySpread::default();
        assert!(pl.pre_filter(&p, set).0.is_success());
        let mut alive = [true; 3];
        let mut failures = Vec::new();
        pl.filter_nodes(&p, set, &mut alive, &mut failures);
        assert_eq!(alive, [false, false, true]);
        assert_eq!(
            failures[0].1.reasons[..],
            [ERR_REASON_CONSTRAINTS_NOT_MATCH]
        );
    }

    #[test]
    fn missing_key_is_unresolvable_and_min_domains_zeroes_the_minimum() {
        let mut c = constraint("zone", 1, WhenUnsatisfiable::DoNotSchedule);
        c.min_domains = Some(3);
        // Two domains with 1 pod each: with minDomains 3 the minimum is 0, so skew = 1+1-0 = 2.
        let (mut nodes, index, p) = setup(&["a", "b"], &[1, 1], vec![c]);
        let order = [0usize, 1];
        let set = NodeSet::new(&nodes, &order).with_pods(&index);
        let mut pl = PodTopologySpread::default();
        pl.pre_filter(&p, set);
        let mut alive = [true; 2];
        let mut failures = Vec::new();
        pl.filter_nodes(&p, set, &mut alive, &mut failures);
        assert_eq!(alive, [false, false]);
        // A node without the key.
        let mut labels = (*nodes[1].node.meta.labels).clone();
        labels.remove("zone");
        Arc::make_mut(&mut nodes[1].node).meta.labels = Arc::new(labels);
        let mut index2 = PodIndex::new(NamespaceLabels::default());
        for n in &nodes {
            index2.add_node(&n.node);
        }
        for m in index2.prepare(&p, &[]) {
            index2.ensure_matcher(&m, std::iter::empty());
        }
        let set = NodeSet::new(&nodes, &order).with_pods(&index2);
        pl.pre_filter(&p, set);
        let mut alive = [true; 2];
        failures.clear();
        pl.filter_nodes(&p, set, &mut alive, &mut failures);
        assert!(!alive[1]);
        assert_eq!(failures[0].1.reasons[..], [ERR_REASON_NODE_LABEL_NOT_MATCH]);
    }

    #[test]
    fn soft_constraint_reference_example() {
        // The reference doc's example: 4 hostname domains with 2/1/0/3 matching pods,
        // maxSkew 1: weight ln 6, raw 4,2,0,5, scores 20,60,100,0.
        let c = constraint(LABEL_HOSTNAME, 1, WhenUnsatisfiable::ScheduleAnyway);
        let (nodes, index, p) = setup(&["a", "a", "a", "a"], &[2, 1, 0, 3], vec![c]);
        let order = [0usize, 1, 2, 3];
        let set = NodeSet::new(&nodes, &order).with_pods(&index);
        let mut pl = PodTopologySpread::default();
        assert!(pl.pre_score(&p, set).is_success());
        let mut raw = Vec::new();
        pl.score_nodes(&p, set, &mut raw);
        assert_eq!(raw, [4, 2, 0, 5]);
        pl.normalize(&p, &mut raw);
        assert_eq!(raw, [20, 60, 100, 0]);
    }

    #[test]
    fn a_service_gives_pods_without_constraints_the_system_defaults() {
        use crate::api::service::Service;
        use crate::scheduler::images::ImageStates;
        use crate::store::Store;
        // Bound web pods 2, 0, 1 on n0 (zone a), n1 (zone b), n2 (zone a).
        let (nodes, mut index, _) = setup(&["a", "b", "a"], &[2, 0, 1], vec![]);
        let p = labelled(pod("plain", 100, 0), &[("app", "web")]);
        let mut store = Store::new();
        let mut selector = Labels::new();
        selector.insert("app".into(), "web".into());
        store.add_service(Service {
            name: "web".into(),
            namespace: "default".into(),
            selector,
        });
        // The index learns the defaults' selector and keys (the bound pods come from setup).
        let bound: Vec<(Pod, usize)> = [2, 0, 1]
            .iter()
            .enumerate()
            .flat_map(|(n, &k)| {
                (0..k).map(move |j| {
                    (
                        labelled(pod(&format!("b{n}-{j}"), 100, 0), &[("app", "web")]),
                        n,
                    )
                })
            })
            .collect();
        for m in index.prepare(&p, store.services()) {
            index.ensure_matcher(&m, bound.iter().map(|(p, n)| (p, *n)));
        }
        let order = [0usize, 1, 2];
        let set = NodeSet::new(&nodes, &order).with_pods(&index);
        let images = ImageStates::new();
        let view = ClusterView {
            store: &store,
            images: &images,
        };
        let mut pl = PodTopologySpread::default();
        assert!(pl.pre_score_with(&p, set, view).is_success());
        // hostname (maxSkew 3, weight ln 5) and zone (maxSkew 5, weight ln 4):
        // raw 13, 6, 12 -> 100 × (13 + 6 − raw) / 13 = 46, 100, 53.
        let mut s: Vec<i64> = nodes.iter().map(|n| pl.score(&p, n)).collect();
        assert_eq!(s, [13, 6, 12]);
        pl.normalize(&p, &mut s);
        assert_eq!(s, [46, 100, 53]);
        // Without a Service selecting it, the pod is not spread.
        let empty = Store::new();
        let view = ClusterView {
            store: &empty,
            images: &images,
        };
        assert_eq!(
            pl.pre_score_with(&p, set, view).code,
            crate::scheduler::framework::Code::Skip
        );
    }

    #[test]
    fn pods_without_constraints_skip_both_phases() {
        let (nodes, index, _) = setup(&["a"], &[0], vec![]);
        let p = pod("plain", 100, 0);
        let order = [0usize];
        let set = NodeSet::new(&nodes, &order).with_pods(&index);
        let mut pl = PodTopologySpread::default();
        assert_eq!(
            pl.pre_filter(&p, set).0.code,
            crate::scheduler::framework::Code::Skip
        );
        assert_eq!(
            pl.pre_score(&p, set).code,
            crate::scheduler::framework::Code::Skip
        );
    }
}
