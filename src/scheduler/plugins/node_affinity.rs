//! NodeAffinity: `spec.nodeSelector` and required node affinity filter, preferred terms score
//! (`pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`). A profile's
//! `addedAffinity` applies to every pod: its required terms are checked first in Filter, its
//! preferred terms' weights add to the pod's own in Score.

use super::names;
use super::normalize::default_normalize_score;
use crate::api::affinity::node_selector_matches;
use crate::api::pod::Pod;
use crate::api::scheduler_config::{ExtensionPoint, NodeAffinityArgs};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, FilterPlugin, Plugin, PreFilterPlugin, PreFilterResult, PreScorePlugin,
    ScorePlugin, Status,
};
use crate::store::NodeId;

/// Reason when a node fails the pod's nodeSelector or required affinity.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// Reason when a node fails the profile's `addedAffinity`.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
/// Reason when the `metadata.name` field terms of the pod intersect to nothing.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// The plugin.
#[derive(Debug, Default)]
pub struct NodeAffinity {
    /// `addedAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    added_required: Option<Vec<crate::api::NodeSelectorTerm>>,
    /// `addedAffinity.preferredDuringSchedulingIgnoredDuringExecution` (`None` when empty).
    added_preferred: Option<crate::api::NodeAffinity>,
}

impl NodeAffinity {
    /// The plugin with these args.
    pub fn new(args: NodeAffinityArgs) -> NodeAffinity {
        let Some(added) = args.added_affinity else {
            return NodeAffinity::default();
        };
        NodeAffinity {
            added_required: added.required,
            added_preferred: (!added.preferred.is_empty()).then_some(crate::api::NodeAffinity {
                required: None,
                preferred: added.preferred,
            }),
        }
    }
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &str {
        names::NODE_AFFINITY
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[
            ExtensionPoint::PreFilter,
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD.or(ClusterEvents::NODE_LABEL)
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

impl PreFilterPlugin for NodeAffinity {
    /// Skip when the pod has neither a nodeSelector nor required affinity and the profile adds
    /// no required affinity; when every required term of the pod names nodes through
    /// `metadata.name In [...]`, only those nodes are filtered.
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        let required = pod
            .spec
            .node_affinity
            .as_ref()
            .and_then(|a| a.required.as_ref());
        if pod.spec.node_selector.is_empty() && required.is_none() && self.added_required.is_none()
        {
            return (Status::skip(), None);
        }
        let Some(terms) = required else {
            return (Status::success(), None);
        };
        let mut names: Vec<String> = Vec::new();
        for term in terms {
            match term.node_names() {
                None => return (Status::success(), None),
                Some(n) => names.extend(n),
            }
        }
        if names.is_empty() {
            return (Status::unresolvable(ERR_REASON_CONFLICT), None);
        }
        let ids: Vec<NodeId> = nodes
            .iter()
            .filter(|n| names.iter().any(|name| name == n.name()))
            .map(|n| n.id)
            .collect();
        (Status::success(), Some(ids))
    }
}

impl FilterPlugin for NodeAffinity {
    #[inline]
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        let labels = &node.node.meta.labels;
        if let Some(terms) = &self.added_required
            && !terms.iter().any(|t| t.matches(labels, node.name()))
        {
            return Status::unresolvable(ERR_REASON_ENFORCED);
        }
        let selector_ok = node_selector_matches(&pod.spec.node_selector, labels);
        let affinity_ok = pod
            .spec
            .node_affinity
            .as_ref()
            .is_none_or(|a| a.required_matches(labels, node.name()));
        if selector_ok && affinity_ok {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_POD)
        }
    }
}

impl PreScorePlugin for NodeAffinity {
    /// Skip when neither the pod nor the profile has preferred terms.
    fn pre_score(&mut self, pod: &Pod, _nodes: NodeSet<'_>) -> Status {
        match &pod.spec.node_affinity {
            Some(a) if !a.preferred.is_empty() => Status::success(),
            _ if self.added_preferred.is_some() => Status::success(),
            _ => Status::skip(),
        }
    }
}

impl ScorePlugin for NodeAffinity {
    /// The summed weights of the preferred terms (the profile's and the pod's) the node
    /// matches.
    #[inline]
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        let labels = &node.node.meta.labels;
        let added = self
            .added_preferred
            .as_ref()
            .map_or(0, |a| a.preferred_score(labels, node.name()));
        added
            + pod
                .spec
                .node_affinity
                .as_ref()
                .map_or(0, |a| a.preferred_score(labels, node.name()))
    }

    /// `raw * 100 / max` (all 0 when max is 0).
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        default_normalize_score(scores, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::affinity::{
        FIELD_NODE_NAME, NodeAffinity as Aff, NodeSelectorTerm, PreferredTerm,
    };
    use crate::api::selector::{Operator, Requirement};
    use crate::scheduler::plugins::testing::{node, pod, with_labels};
    use std::sync::Arc;

    fn req(k: &str, op: Operator, v: &[&str]) -> Requirement {
        Requirement::new(k, op, v.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    #[test]
    fn filter_table() {
        let ssd = with_labels(node("a", 1, 1), &[("disk", "ssd")]);
        let hdd = with_labels(node("b", 1, 1), &[("disk", "hdd")]);
        let mut sel = pod("sel", 0, 0);
        Arc::make_mut(&mut sel.spec)
            .node_selector
            .insert("disk".into(), "ssd".into());
        let mut aff = pod("aff", 0, 0);
        Arc::make_mut(&mut aff.spec).node_affinity = Some(Aff {
            required: Some(vec![NodeSelectorTerm {
                match_expressions: vec![req("disk", Operator::NotIn, &["ssd"])],
                match_fields: vec![],
            }]),
            preferred: vec![],
        });
        let p = NodeAffinity::default();
        assert!(p.filter(&sel, &ssd).is_success());
        assert_eq!(p.filter(&sel, &hdd), Status::unresolvable(ERR_REASON_POD));
        assert!(p.filter(&aff, &hdd).is_success());
        assert!(!p.filter(&aff, &ssd).is_success());
    }

    #[test]
    fn prefilter_skips_plain_pods_and_narrows_by_name() {
        let nodes = vec![node("a", 1, 1), node("b", 1, 1)];
        let all = NodeSet::new(&nodes, &[0, 1]);
        let mut p = NodeAffinity::default();
        assert_eq!(
            p.pre_filter(&pod("x", 0, 0), all).0.code,
            crate::scheduler::framework::Code::Skip
        );
        let mut named = pod("n", 0, 0);
        Arc::make_mut(&mut named.spec).node_affinity = Some(Aff {
            required: Some(vec![NodeSelectorTerm {
                match_expressions: vec![],
                match_fields: vec![req(FIELD_NODE_NAME, Operator::In, &["b"])],
            }]),
            preferred: vec![],
        });
        let (s, r) = p.pre_filter(&named, all);
        assert!(s.is_success());
        assert_eq!(r, Some(vec![nodes[1].id]));
    }

    fn zone_term(zone: &str) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![req("zone", Operator::In, &[zone])],
            match_fields: vec![],
        }
    }

    /// `addedAffinity`: its required terms are checked before the pod's own, with their own
    /// reason, and keep PreFilter from skipping; its preferred terms add to the pod's.
    #[test]
    fn added_affinity_filters_first_and_scores_with_the_pods_terms() {
        let z1 = with_labels(node("a", 1, 1), &[("zone", "z1")]);
        let z2 = with_labels(node("b", 1, 1), &[("zone", "z2")]);
        let nodes = [z1, z2];
        let mut p = NodeAffinity::new(NodeAffinityArgs {
            added_affinity: Some(Aff {
                required: Some(vec![zone_term("z1"), zone_term("z2")]),
                preferred: vec![PreferredTerm {
                    weight: 3,
                    term: zone_term("z2"),
                }],
            }),
        });
        let plain = pod("plain", 0, 0);
        let set = NodeSet::new(&nodes, &[0, 1]);
        assert!(p.pre_filter(&plain, set).0.is_success());
        assert!(p.filter(&plain, &nodes[0]).is_success());
        assert!(p.pre_score(&plain, set).is_success());
        assert_eq!(
            [p.score(&plain, &nodes[0]), p.score(&plain, &nodes[1])],
            [0, 3]
        );

        let mut only_z1 = NodeAffinity::new(NodeAffinityArgs {
            added_affinity: Some(Aff {
                required: Some(vec![zone_term("z1")]),
                preferred: vec![],
            }),
        });
        assert_eq!(
            only_z1.filter(&plain, &nodes[1]),
            Status::unresolvable(ERR_REASON_ENFORCED)
        );
        assert_eq!(
            only_z1.pre_score(&plain, set).code,
            crate::scheduler::framework::Code::Skip
        );
        // The enforced reason comes first even when the pod's own selector fails too.
        let mut sel = pod("sel", 0, 0);
        Arc::make_mut(&mut sel.spec)
            .node_selector
            .insert("zone".into(), "z1".into());
        assert_eq!(
            only_z1.filter(&sel, &nodes[1]),
            Status::unresolvable(ERR_REASON_ENFORCED)
        );
        let mut pref = pod("pref", 0, 0);
        Arc::make_mut(&mut pref.spec).node_affinity = Some(Aff {
            required: None,
            preferred: vec![PreferredTerm {
                weight: 5,
                term: zone_term("z2"),
            }],
        });
        assert_eq!(p.score(&pref, &nodes[1]), 8);
    }

    #[test]
    fn score_sums_matching_weights_then_scales() {
        let nodes = [
            with_labels(node("a", 1, 1), &[("zone", "z1")]),
            with_labels(node("b", 1, 1), &[("zone", "z2")]),
            node("c", 1, 1),
        ];
        let mut pd = pod("p", 0, 0);
        Arc::make_mut(&mut pd.spec).node_affinity = Some(Aff {
            required: None,
            preferred: vec![
                PreferredTerm {
                    weight: 4,
                    term: NodeSelectorTerm {
                        match_expressions: vec![req("zone", Operator::In, &["z1"])],
                        match_fields: vec![],
                    },
                },
                PreferredTerm {
                    weight: 1,
                    term: NodeSelectorTerm {
                        match_expressions: vec![req("zone", Operator::Exists, &[])],
                        match_fields: vec![],
                    },
                },
            ],
        });
        let p = NodeAffinity::default();
        let mut s: Vec<i64> = nodes.iter().map(|n| p.score(&pd, n)).collect();
        assert_eq!(s, [5, 1, 0]);
        p.normalize(&pd, &mut s);
        assert_eq!(s, [100, 20, 0]);
    }
}
