//! InterPodAffinity: place pods near (affinity) or away from (anti-affinity) other pods, per
//! topology domain (`pkg/scheduler/framework/plugins/interpodaffinity/{filtering,scoring}.go`).
//!
//! Filter, in upstream's order:
//! 1. every required affinity term of the incoming pod must find matching pods in the node's
//!    domain, unless no pod anywhere matches all the terms and the pod matches them itself
//!    (the first pod of a group) — UnschedulableAndUnresolvable;
//! 2. no pod matching a required anti-affinity term of the incoming pod may be in the node's
//!    domain — Unschedulable;
//! 3. no bound pod whose required anti-affinity term matches the incoming pod may be in the
//!    node's domain (symmetry) — Unschedulable.
//!
//! Score: each preferred term of the incoming pod adds (affinity) or subtracts (anti-affinity)
//! its weight for every matching pod in the node's domain; bound pods' terms that match the
//! incoming pod add `hardPodAffinityWeight` (required affinity) or their weight (preferred).
//! Normalized as `100 × (raw − min) / (max − min)`, truncated. With
//! `ignorePreferredTermsOfExistingPods`, a pod without preferred terms of its own is not
//! scored at all (PreScore skips, bound pods' terms included).
//!
//! Counts come from the scheduler's [`PodIndex`] (matching pods and term carriers per node),
//! so a cycle costs O(nodes × terms) and never walks the pods.

use super::names;
use crate::api::pod::Pod;
use crate::api::scheduler_config::{ExtensionPoint, InterPodAffinityArgs};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, FilterPlugin, MAX_NODE_SCORE, Plugin, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ScorePlugin, Status,
};
use crate::scheduler::pod_index::{
    CarriedKind, KeyId, Matcher, NO_DOMAIN, PodIndex, all_required_affinity,
};

/// Reason when required affinity is not met.
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// Reason when the pod's own anti-affinity is not met.
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// Reason when a bound pod's anti-affinity repels the pod.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// Per-domain numbers under one topology key, with each node's domain.
#[derive(Clone, Debug, Default)]
struct ByDomain {
    domains: Vec<u32>,
    values: Vec<i64>,
}

impl ByDomain {
    fn new(index: &PodIndex, key: KeyId) -> ByDomain {
        ByDomain {
            domains: index.domains(key).to_vec(),
            values: vec![0; index.domain_count(key)],
        }
    }

    /// Adds `weight × per_node[n]` to the domain of every node `n`.
    fn add(&mut self, per_node: &[u32], weight: i64) {
        for (&d, &c) in self.domains.iter().zip(per_node) {
            if d != NO_DOMAIN && c > 0 {
                self.values[d as usize] += weight * i64::from(c);
            }
        }
    }

    /// The node's domain, or `None` without the key.
    fn domain(&self, node: &NodeInfo) -> Option<usize> {
        match self.domains.get(node.id.0 as usize) {
            Some(&d) if d != NO_DOMAIN => Some(d as usize),
            _ => None,
        }
    }

    fn value(&self, node: &NodeInfo) -> Option<i64> {
        self.domain(node).map(|d| self.values[d])
    }
}

/// The plugin.
#[derive(Debug)]
pub struct InterPodAffinity {
    hard_pod_affinity_weight: i64,
    ignore_preferred_terms_of_existing_pods: bool,
    /// Required affinity: pods matching all terms, per domain of each term's key.
    affinity: Vec<ByDomain>,
    /// No bound pod matches all the required affinity terms, and the pod matches them itself.
    first_of_group: bool,
    /// Required anti-affinity: matching pods per domain, one entry per term.
    anti_affinity: Vec<ByDomain>,
    /// Bound pods whose required anti-affinity matches the incoming pod, per domain.
    existing_anti: Vec<ByDomain>,
    /// Score contributions per domain, one entry per topology key.
    scores: Vec<(KeyId, ByDomain)>,
}

impl Default for InterPodAffinity {
    fn default() -> Self {
        InterPodAffinity::with_args(InterPodAffinityArgs::default())
    }
}

impl InterPodAffinity {
    /// With `hardPodAffinityWeight` (and the other args defaulted).
    pub fn new(hard_pod_affinity_weight: i32) -> InterPodAffinity {
        InterPodAffinity::with_args(InterPodAffinityArgs {
            hard_pod_affinity_weight,
            ..InterPodAffinityArgs::default()
        })
    }

    /// With these args.
    pub fn with_args(args: InterPodAffinityArgs) -> InterPodAffinity {
        InterPodAffinity {
            hard_pod_affinity_weight: i64::from(args.hard_pod_affinity_weight),
            ignore_preferred_terms_of_existing_pods: args.ignore_preferred_terms_of_existing_pods,
            affinity: Vec::new(),
            first_of_group: false,
            anti_affinity: Vec::new(),
            existing_anti: Vec::new(),
            scores: Vec::new(),
        }
    }

    fn score_row(&mut self, index: &PodIndex, key: KeyId) -> &mut ByDomain {
        let i = match self.scores.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.scores.push((key, ByDomain::new(index, key)));
                self.scores.len() - 1
            }
        };
        &mut self.scores[i].1
    }
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &str {
        names::INTER_POD_AFFINITY
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/interpodaffinity/plugin.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[
            ExtensionPoint::PreFilter,
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ])
    }
    /// Bound pods coming and going, and nodes joining or changing their labels (a topology
    /// key) or taints (upstream registers `UpdateNodeTaint` for nodes that join not ready).
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD
            .or(ClusterEvents::NODE_LABEL)
            .or(ClusterEvents::NODE_TAINT)
            .or(ClusterEvents::ASSIGNED_POD_ADD)
            .or(ClusterEvents::ASSIGNED_POD_DELETE)
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

fn matches_pod(m: &Matcher, pod: &Pod, index: &PodIndex) -> bool {
    m.matches(
        &pod.meta.namespace,
        &pod.meta.labels,
        index.namespace_labels(),
    )
}

impl PreFilterPlugin for InterPodAffinity {
    /// Counts, per domain, the pods the incoming pod's required terms match and the bound pods
    /// whose anti-affinity repels it; Skip when there is nothing to check.
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        self.affinity.clear();
        self.anti_affinity.clear();
        self.existing_anti.clear();
        self.first_of_group = false;
        let index = nodes.pods();
        for g in index.carried() {
            if g.kind == CarriedKind::RequiredAntiAffinity
                && g.total > 0
                && matches_pod(&g.matcher, pod, index)
            {
                let mut b = ByDomain::new(index, g.key);
                b.add(&g.per_node, 1);
                self.existing_anti.push(b);
            }
        }
        let terms = pod.spec.pod_affinity.as_ref();
        let required = terms.map_or(&[][..], |t| &t.affinity.required[..]);
        let anti = terms.map_or(&[][..], |t| &t.anti_affinity.required[..]);
        if required.is_empty() && anti.is_empty() && self.existing_anti.is_empty() {
            return (Status::skip(), None);
        }
        let ns = &pod.meta.namespace;
        if !required.is_empty() {
            let all = all_required_affinity(pod).and_then(|m| index.matcher(&m).map(|id| (m, id)));
            for t in required {
                let Some(key) = index.key(&t.topology_key) else {
                    return (Status::error("affinity topology key not indexed"), None);
                };
                let mut b = ByDomain::new(index, key);
                if let Some((_, id)) = &all {
                    b.add(index.per_node(*id), 1);
                }
                self.affinity.push(b);
            }
            let none_counted = self
                .affinity
                .iter()
                .all(|b| b.values.iter().all(|&v| v == 0));
            let self_match = all
                .as_ref()
                .is_some_and(|(m, _)| matches_pod(m, pod, index));
            self.first_of_group = none_counted && self_match;
        }
        for t in anti {
            let Some(key) = index.key(&t.topology_key) else {
                return (
                    Status::error("anti-affinity topology key not indexed"),
                    None,
                );
            };
            let mut b = ByDomain::new(index, key);
            if let Some(id) = Matcher::for_term(ns, t).and_then(|m| index.matcher(&m)) {
                b.add(index.per_node(id), 1);
            }
            self.anti_affinity.push(b);
        }
        (Status::success(), None)
    }
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        if !self.affinity.is_empty() {
            let mut pods_exist = true;
            for b in &self.affinity {
                match b.value(node) {
                    None => return Status::unresolvable(ERR_REASON_AFFINITY),
                    Some(c) if c <= 0 => pods_exist = false,
                    Some(_) => {}
                }
            }
            if !pods_exist && !self.first_of_group {
                return Status::unresolvable(ERR_REASON_AFFINITY);
            }
        }
        if self
            .anti_affinity
            .iter()
            .any(|b| b.value(node).is_some_and(|c| c > 0))
        {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY);
        }
        if self
            .existing_anti
            .iter()
            .any(|b| b.value(node).is_some_and(|c| c > 0))
        {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
        }
        Status::success()
    }
}

impl PreScorePlugin for InterPodAffinity {
    /// Sums, per domain, the weights of the preferred terms and of bound pods' terms that
    /// match; Skip when the pod has no preferred terms and no bound pod carries a term.
    fn pre_score(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> Status {
        self.scores.clear();
        let index = nodes.pods();
        let terms = pod.spec.pod_affinity.as_ref();
        let has_preferred = terms.is_some_and(|t| {
            !t.affinity.preferred.is_empty() || !t.anti_affinity.preferred.is_empty()
        });
        if !has_preferred && (self.ignore_preferred_terms_of_existing_pods || !index.any_carried())
        {
            return Status::skip();
        }
        let ns = &pod.meta.namespace;
        if let Some(t) = terms {
            let weighted = t
                .affinity
                .preferred
                .iter()
                .map(|w| (i64::from(w.weight), &w.term))
                .chain(
                    t.anti_affinity
                        .preferred
                        .iter()
                        .map(|w| (-i64::from(w.weight), &w.term)),
                );
            for (weight, term) in weighted {
                let Some(key) = index.key(&term.topology_key) else {
                    continue;
                };
                if let Some(id) = Matcher::for_term(ns, term).and_then(|m| index.matcher(&m)) {
                    self.score_row(index, key).add(index.per_node(id), weight);
                }
            }
        }
        for g in index.carried() {
            let weight = match g.kind {
                CarriedKind::RequiredAntiAffinity => continue,
                CarriedKind::RequiredAffinity => self.hard_pod_affinity_weight,
                CarriedKind::PreferredAffinity(w) => i64::from(w),
                CarriedKind::PreferredAntiAffinity(w) => -i64::from(w),
            };
            if weight != 0 && g.total > 0 && matches_pod(&g.matcher, pod, index) {
                self.score_row(index, g.key).add(&g.per_node, weight);
            }
        }
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    /// The summed contributions of the node's domains.
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> i64 {
        self.scores.iter().filter_map(|(_, b)| b.value(node)).sum()
    }

    /// `int(100 × (raw − min) / (max − min))` (0 for all when every raw score is equal).
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        let min = scores.iter().copied().min().unwrap_or(0);
        let max = scores.iter().copied().max().unwrap_or(0);
        let diff = max - min;
        for s in scores.iter_mut() {
            *s = if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64
            } else {
                0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Labels;
    use crate::api::pod_affinity::{
        PodAffinity, PodAffinityTerm, PodAffinityTerms, WeightedPodAffinityTerm,
    };
    use crate::api::selector::LabelSelector;
    use crate::scheduler::plugins::testing::{node, pod, with_labels};
    use crate::scheduler::pod_index::NamespaceLabels;
    use crate::store::NodeId;
    use std::sync::Arc;

    fn labelled(name: &str, labels: &[(&str, &str)]) -> Pod {
        let mut p = pod(name, 100, 0);
        let mut l = Labels::new();
        for (k, v) in labels {
            l.insert(k.to_string(), v.to_string());
        }
        p.meta.labels = Arc::new(l);
        p
    }

    fn term(sel: &str, key: &str) -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: Some(LabelSelector::parse(sel).unwrap()),
            namespaces: vec![],
            namespace_selector: None,
            topology_key: key.into(),
        }
    }

    fn with_affinity(mut p: Pod, a: PodAffinity) -> Pod {
        Arc::make_mut(&mut p.spec).pod_affinity = Some(a);
        p
    }

    struct Cluster {
        nodes: Vec<NodeInfo>,
        index: PodIndex,
        order: Vec<usize>,
        bound: Vec<(Pod, usize)>,
    }

    impl Cluster {
        /// Nodes `n0..` in the given zones.
        fn new(zones: &[&str]) -> Cluster {
            let nodes: Vec<NodeInfo> = zones
                .iter()
                .enumerate()
                .map(|(i, z)| {
                    let mut n = with_labels(node(&format!("n{i}"), 4000, 1 << 30), &[("zone", z)]);
                    n.id = NodeId(i as u32);
                    n
                })
                .collect();
            let mut index = PodIndex::new(NamespaceLabels::default());
            for n in &nodes {
                index.add_node(&n.node);
            }
            let order = (0..nodes.len()).collect();
            Cluster {
                nodes,
                index,
                order,
                bound: Vec::new(),
            }
        }

        fn bind(&mut self, p: &Pod, node: usize) {
            self.index.pod_bound(p, node);
            self.bound.push((p.clone(), node));
        }

        fn prepare(&mut self, p: &Pod) {
            for m in self.index.prepare(p, &[], &[]) {
                let bound = self.bound.iter().map(|(p, n)| (p, *n));
                self.index.ensure_matcher(&m, bound);
            }
        }

        /// Runs PreFilter and Filter for `p` on every node: the statuses' reasons.
        fn filter(&mut self, p: &Pod) -> Vec<String> {
            self.prepare(p);
            let set = NodeSet::new(&self.nodes, &self.order).with_pods(&self.index);
            let mut pl = InterPodAffinity::default();
            let (s, _) = pl.pre_filter(p, set);
            if s.code == crate::scheduler::framework::Code::Skip {
                return vec!["skip".into(); self.nodes.len()];
            }
            self.nodes
                .iter()
                .map(|n| pl.filter(p, n).reasons.join(", "))
                .collect()
        }

        fn scores(&mut self, p: &Pod) -> Vec<i64> {
            self.prepare(p);
            let set = NodeSet::new(&self.nodes, &self.order).with_pods(&self.index);
            let mut pl = InterPodAffinity::default();
            assert!(pl.pre_score(p, set).is_success());
            let mut s: Vec<i64> = self.nodes.iter().map(|n| pl.score(p, n)).collect();
            pl.normalize(p, &mut s);
            s
        }
    }

    #[test]
    fn required_affinity_needs_a_matching_pod_in_the_domain_or_is_the_first() {
        let mut c = Cluster::new(&["a", "a", "b"]);
        let web = with_affinity(
            labelled("web", &[("app", "web")]),
            PodAffinity {
                affinity: PodAffinityTerms {
                    required: vec![term("app=cache", "zone")],
                    preferred: vec![],
                },
                ..Default::default()
            },
        );
        // No cache pod anywhere, and web does not match its own term: nowhere.
        assert_eq!(c.filter(&web), vec![ERR_REASON_AFFINITY; 3]);
        c.bind(&labelled("cache-1", &[("app", "cache")]), 1);
        assert_eq!(c.filter(&web), ["", "", ERR_REASON_AFFINITY]);
        // A pod matching its own term may start a group.
        let mut c = Cluster::new(&["a", "b"]);
        let cache = with_affinity(
            labelled("cache", &[("app", "cache")]),
            PodAffinity {
                affinity: PodAffinityTerms {
                    required: vec![term("app=cache", "zone")],
                    preferred: vec![],
                },
                ..Default::default()
            },
        );
        assert_eq!(c.filter(&cache), ["", ""]);
    }

    #[test]
    fn anti_affinity_both_ways() {
        let mut c = Cluster::new(&["a", "b", "c"]);
        let spread = |name: &str| {
            with_affinity(
                labelled(name, &[("app", "db")]),
                PodAffinity {
                    anti_affinity: PodAffinityTerms {
                        required: vec![term("app=db", "zone")],
                        preferred: vec![],
                    },
                    ..Default::default()
                },
            )
        };
        c.bind(&spread("db-0"), 0);
        // The incoming db pod's own anti-affinity rejects zone a (checked before symmetry).
        assert_eq!(
            c.filter(&spread("db-1")),
            [ERR_REASON_ANTI_AFFINITY, "", ""]
        );
        // A plain db pod is repelled by the bound pod's anti-affinity.
        let plain = labelled("db-plain", &[("app", "db")]);
        assert_eq!(
            c.filter(&plain),
            [ERR_REASON_EXISTING_ANTI_AFFINITY, "", ""]
        );
        // A pod the terms do not match is not affected, and skips the filter.
        assert_eq!(c.filter(&labelled("web", &[("app", "web")])), ["skip"; 3]);
    }

    #[test]
    fn preferred_terms_and_existing_pods_score() {
        let mut c = Cluster::new(&["a", "b", "c"]);
        c.bind(&labelled("cache-0", &[("app", "cache")]), 0);
        c.bind(&labelled("cache-1", &[("app", "cache")]), 0);
        c.bind(&labelled("cache-2", &[("app", "cache")]), 1);
        let web = with_affinity(
            labelled("web", &[("app", "web")]),
            PodAffinity {
                affinity: PodAffinityTerms {
                    required: vec![],
                    preferred: vec![WeightedPodAffinityTerm {
                        weight: 10,
                        term: term("app=cache", "zone"),
                    }],
                },
                ..Default::default()
            },
        );
        // raw 20, 10, 0 -> 100, 50, 0.
        assert_eq!(c.scores(&web), [100, 50, 0]);
        // A bound pod preferring to avoid web pods pulls the score of its zone down.
        let shy = with_affinity(
            labelled("shy", &[("app", "shy")]),
            PodAffinity {
                anti_affinity: PodAffinityTerms {
                    required: vec![],
                    preferred: vec![WeightedPodAffinityTerm {
                        weight: 30,
                        term: term("app=web", "zone"),
                    }],
                },
                ..Default::default()
            },
        );
        c.bind(&shy, 0);
        // raw -10, 10, 0 -> 0, 100, 50.
        assert_eq!(c.scores(&web), [0, 100, 50]);
    }

    /// `ignorePreferredTermsOfExistingPods`: a pod without preferred terms is not scored at
    /// all, though a bound pod's term matches it; a pod with some still is.
    #[test]
    fn ignoring_existing_pods_terms_skips_pods_without_preferred_terms() {
        let mut c = Cluster::new(&["a", "b"]);
        let fan = with_affinity(
            labelled("fan", &[("app", "fan")]),
            PodAffinity {
                affinity: PodAffinityTerms {
                    required: vec![],
                    preferred: vec![WeightedPodAffinityTerm {
                        weight: 40,
                        term: term("app=web", "zone"),
                    }],
                },
                ..Default::default()
            },
        );
        c.bind(&fan, 0);
        let web = labelled("web", &[("app", "web")]);
        c.prepare(&web);
        let set = NodeSet::new(&c.nodes, &c.order).with_pods(&c.index);
        let mut plain = InterPodAffinity::default();
        assert!(plain.pre_score(&web, set).is_success());
        assert_eq!(plain.score(&web, &c.nodes[0]), 40);
        let mut ignoring = InterPodAffinity::with_args(InterPodAffinityArgs {
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: true,
        });
        let skip = crate::scheduler::framework::Code::Skip;
        assert_eq!(ignoring.pre_score(&web, set).code, skip);
        assert!(ignoring.pre_score(&fan, set).is_success());
    }
}
