//! NodeAffinity: `spec.nodeSelector` and required node affinity filter, preferred terms score
//! (`pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`).

use super::names;
use super::normalize::default_normalize_score;
use crate::api::affinity::node_selector_matches;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, FilterPlugin, Plugin, PreFilterPlugin, PreFilterResult, PreScorePlugin,
    ScorePlugin, Status,
};
use crate::store::NodeId;

/// Reason when a node fails the pod's nodeSelector or required affinity.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// Reason when the `metadata.name` field terms of the pod intersect to nothing.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// The plugin.
#[derive(Debug, Default)]
pub struct NodeAffinity;

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
    /// Skip when the pod has neither a nodeSelector nor required affinity; when every required
    /// term names nodes through `metadata.name In [...]`, only those nodes are filtered.
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        let required = pod
            .spec
            .node_affinity
            .as_ref()
            .and_then(|a| a.required.as_ref());
        if pod.spec.node_selector.is_empty() && required.is_none() {
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
    fn pre_score(&mut self, pod: &Pod, _nodes: NodeSet<'_>) -> Status {
        match &pod.spec.node_affinity {
            Some(a) if !a.preferred.is_empty() => Status::success(),
            _ => Status::skip(),
        }
    }
}

impl ScorePlugin for NodeAffinity {
    /// The summed weights of the preferred terms the node matches.
    #[inline]
    fn score(&self, pod: &Pod, node: &NodeInfo) -> i64 {
        pod.spec.node_affinity.as_ref().map_or(0, |a| {
            a.preferred_score(&node.node.meta.labels, node.name())
        })
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
        let p = NodeAffinity;
        assert!(p.filter(&sel, &ssd).is_success());
        assert_eq!(p.filter(&sel, &hdd), Status::unresolvable(ERR_REASON_POD));
        assert!(p.filter(&aff, &hdd).is_success());
        assert!(!p.filter(&aff, &ssd).is_success());
    }

    #[test]
    fn prefilter_skips_plain_pods_and_narrows_by_name() {
        let nodes = vec![node("a", 1, 1), node("b", 1, 1)];
        let all = NodeSet::new(&nodes, &[0, 1]);
        let mut p = NodeAffinity;
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
        let p = NodeAffinity;
        let mut s: Vec<i64> = nodes.iter().map(|n| p.score(&pd, n)).collect();
        assert_eq!(s, [5, 1, 0]);
        p.normalize(&pd, &mut s);
        assert_eq!(s, [100, 20, 0]);
    }
}
