//! TaintToleration: NoSchedule / NoExecute taints filter, PreferNoSchedule taints score
//! (`pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`).

use super::names;
use super::normalize::default_normalize_score;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::api::taint::{TaintEffect, Toleration, tolerated};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, FilterPlugin, MAX_NODE_SCORE, Plugin, PreScorePlugin, ScorePlugin, Status,
    filter_where,
};

/// The plugin. PreScore keeps the pod's tolerations that can tolerate PreferNoSchedule
/// taints (effect empty or PreferNoSchedule).
#[derive(Debug, Default)]
pub struct TaintToleration {
    prefer_tolerations: Vec<Toleration>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &str {
        names::TAINT_TOLERATION
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD.or(ClusterEvents::NODE_TAINT)
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

impl FilterPlugin for TaintToleration {
    fn filter_nodes(
        &self,
        pod: &Pod,
        nodes: NodeSet<'_>,
        alive: &mut [bool],
        failures: &mut Vec<(usize, Status)>,
    ) {
        if nodes.facts().filter_tainted == 0 {
            return;
        }
        filter_where(self, pod, nodes, alive, failures, |n| n.hot.has_taints);
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        if !node.hot.has_taints {
            return Status::success();
        }
        let untolerated = node.node.taints.iter().find(|t| {
            matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !tolerated(&pod.spec.tolerations, t)
        });
        match untolerated {
            None => Status::success(),
            Some(t) => Status::unresolvable(format!("node(s) had untolerated taint {t}")),
        }
    }
}

impl PreScorePlugin for TaintToleration {
    fn pre_score(&mut self, pod: &Pod, _nodes: NodeSet<'_>) -> Status {
        self.prefer_tolerations = pod
            .spec
            .tolerations
            .iter()
            .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
            .cloned()
            .collect();
        Status::success()
    }
}

impl ScorePlugin for TaintToleration {
    /// The number of PreferNoSchedule taints the pod does not tolerate.
    #[inline]
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> i64 {
        if node.hot.prefer_no_schedule_taints == 0 {
            return 0;
        }
        node.node
            .taints
            .iter()
            .filter(|t| {
                t.effect == TaintEffect::PreferNoSchedule && !tolerated(&self.prefer_tolerations, t)
            })
            .count() as i64
    }

    /// Fewer untolerated taints score higher: `100 - raw * 100 / max` (all 100 when max is 0).
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        default_normalize_score(scores, true);
    }

    /// With no PreferNoSchedule taint in the cluster every raw score is 0, so every node
    /// normalizes to 100.
    fn uniform_score(&self, _pod: &Pod, nodes: NodeSet<'_>) -> Option<i64> {
        (nodes.facts().prefer_no_schedule == 0).then_some(MAX_NODE_SCORE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::taint::{Taint, TolerationOperator};
    use crate::scheduler::plugins::testing::{node, pod, with_taints};
    use std::sync::Arc;

    fn taint(k: &str, v: &str, e: TaintEffect) -> Taint {
        Taint {
            key: k.into(),
            value: v.into(),
            effect: e,
            time_added: None,
        }
    }

    #[test]
    fn filter_reports_first_untolerated_taint() {
        let n = with_taints(
            node("n", 1, 1),
            vec![
                taint("a", "1", TaintEffect::PreferNoSchedule),
                taint("k", "v", TaintEffect::NoSchedule),
            ],
        );
        let p = TaintToleration::default();
        assert_eq!(
            p.filter(&pod("p", 0, 0), &n),
            Status::unresolvable("node(s) had untolerated taint {k: v}")
        );
        let mut tolerant = pod("t", 0, 0);
        Arc::make_mut(&mut tolerant.spec)
            .tolerations
            .push(Toleration {
                key: "k".into(),
                operator: TolerationOperator::Equal,
                value: "v".into(),
                effect: None,
                toleration_seconds: None,
            });
        assert!(p.filter(&tolerant, &n).is_success());
    }

    #[test]
    fn score_counts_prefer_no_schedule_and_reverses() {
        let nodes = [
            with_taints(node("a", 1, 1), vec![]),
            with_taints(
                node("b", 1, 1),
                vec![taint("x", "", TaintEffect::PreferNoSchedule)],
            ),
            with_taints(
                node("c", 1, 1),
                vec![
                    taint("x", "", TaintEffect::PreferNoSchedule),
                    taint("y", "", TaintEffect::PreferNoSchedule),
                ],
            ),
        ];
        let mut p = TaintToleration::default();
        let pd = pod("p", 0, 0);
        p.pre_score(&pd, NodeSet::new(&nodes, &[0, 1, 2]));
        let mut s: Vec<i64> = nodes.iter().map(|n| p.score(&pd, n)).collect();
        assert_eq!(s, [0, 1, 2]);
        p.normalize(&pd, &mut s);
        assert_eq!(s, [100, 50, 0]);
        let mut zeros = vec![0, 0];
        p.normalize(&pd, &mut zeros);
        assert_eq!(zeros, [100, 100]);
    }
}
