//! The taint eviction controller (`pkg/controller/tainteviction/taint_eviction.go`, upstream's
//! `taint-eviction-controller`, the node lifecycle controller's taint manager before 1.29):
//! it deletes the pods of nodes with NoExecute taints they do not tolerate.
//!
//! Each time a node's NoExecute taints change (or the node joins with some), the pods bound
//! to it are looked at, and so is a pod when it is bound to such a node. For a pod, with the
//! node's NoExecute taints:
//! - some taint no toleration of the pod tolerates: the pod is deleted now (a pending
//!   deletion is cancelled first, with its event);
//! - every taint tolerated: for each taint, the first toleration that tolerates it is the one
//!   used (`GetMatchingTolerations`, `pkg/apis/core/v1/helper/helpers.go`); the pod may stay
//!   for the least `tolerationSeconds` among them (`getMinTolerationTime`; `≤ 0` means now);
//!   when none of them has `tolerationSeconds` it stays for ever, and a pending deletion is
//!   cancelled;
//! - the taints gone from the node: pending deletions of its pods are cancelled.
//!
//! A deletion is scheduled from the moment the controller first decides it (upstream's
//! `processPodOnNode` counts from `time.Now()`, not from the taint's `timeAdded`); a pod
//! already scheduled keeps its time when it is looked at again while still tolerated (as
//! upstream, whose pending work is never moved later). When a deletion falls due the
//! controller records `TaintManagerEviction` `Marking for deletion Pod NS/NAME` on the pod
//! and deletes it through the API with the pod's own grace period (a pod already
//! terminating, a daemon pod the DaemonSet controller removed say, is left as it is); a
//! cancelled one is `Cancelling deletion of Pod NS/NAME`. A pod deleted is forgotten once it
//! is gone (a pod gone before its deletion fell due has it cancelled, with the event, as
//! upstream).
//!
//! Not modelled: the `DisruptionTarget` condition (`DeletionByTaintManager`) upstream patches
//! onto the pod before deleting it; pods that have ended (upstream also deletes those).

use crate::api::event::EventType;
use crate::api::taint::{Taint, TaintEffect, Toleration};
use crate::component::{Component, Context, Timer};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, NodeUpdate, PodId, Watch};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// The reason of the controller's events.
pub const REASON_TAINT_MANAGER_EVICTION: &str = "TaintManagerEviction";

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintEvictionEvent {
    /// A pod's deletion falls due.
    Evict(PodId),
}

/// A pod's deletion, as the controller's timed queue holds it (upstream's `TimedWorkerQueue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// Due at `due`; `timer` cancels it.
    Scheduled { timer: Timer, due: SimTime },
    /// Carried out: kept until the pod is gone, so that it is not scheduled again.
    Done,
}

/// The controller.
#[derive(Debug, Default)]
pub struct TaintEvictionController {
    /// Pending and carried-out deletions, by pod. Only looked up, never iterated.
    work: FxHashMap<PodId, Work>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, TaintEvictionEvent>;

/// The NoExecute taints of a list.
fn no_execute(taints: &[Taint]) -> Vec<&Taint> {
    (taints.iter())
        .filter(|t| t.effect == TaintEffect::NoExecute)
        .collect()
}

/// The toleration used for each taint, the first that tolerates it; `None` when some taint
/// is not tolerated (`GetMatchingTolerations`).
pub fn matching_tolerations<'a>(
    taints: &[&Taint],
    tolerations: &'a [Toleration],
) -> Option<Vec<&'a Toleration>> {
    taints
        .iter()
        .map(|taint| tolerations.iter().find(|t| t.tolerates(taint)))
        .collect()
}

/// How long (ms) the used tolerations let a pod stay: the least `tolerationSeconds`, 0 when
/// one is `≤ 0` or none is used, `None` (for ever) when none has `tolerationSeconds`
/// (`getMinTolerationTime`).
pub fn min_toleration_ms(used: &[&Toleration]) -> Option<i64> {
    if used.is_empty() {
        return Some(0);
    }
    let min = used.iter().filter_map(|t| t.toleration_seconds).min()?;
    Some(min.max(0).saturating_mul(1_000))
}

impl Component for TaintEvictionController {
    type Event = TaintEvictionEvent;

    fn name(&self) -> &str {
        "controllers/taint-eviction"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::NodeAdded,
            ChangeKind::NodeUpdated,
            ChangeKind::PodBound,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match change {
            Change::NodeAdded(node) => self.node_updated(*node, ctx),
            Change::NodeUpdated { node, old, what } => {
                let new = &ctx.store.node(*node).taints;
                if what.contains(NodeUpdate::TAINTS) && no_execute(&old.taints) != no_execute(new) {
                    self.node_updated(*node, ctx);
                }
            }
            Change::PodBound { pod, node } => {
                // The common case, a node without NoExecute taints, costs no allocation.
                let n = ctx.store.node(*node);
                if !n.taints.iter().any(|t| t.effect == TaintEffect::NoExecute) {
                    return;
                }
                let p = ctx.store.pod(*pod);
                if p.status.deleted.is_none() && !p.phase().is_terminal() {
                    let n = Arc::clone(n);
                    self.process(*pod, &no_execute(&n.taints), ctx);
                }
            }
            Change::PodDeleted(pod) => {
                self.cancel(*pod, ctx);
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: TaintEvictionEvent, ctx: Ctx) {
        let TaintEvictionEvent::Evict(pod) = event;
        let now = ctx.now();
        match self.work.get(&pod) {
            Some(Work::Scheduled { due, .. }) if *due == now => {}
            _ => return, // cancelled (or replaced) since
        }
        self.work.insert(pod, Work::Done);
        let p = ctx.store.pod(pod);
        let msg = format!(
            "Marking for deletion Pod {}/{}",
            p.meta.namespace, p.meta.name
        );
        ctx.record_pod(pod, EventType::Normal, REASON_TAINT_MANAGER_EVICTION, msg);
        ctx.recorder.evicted(pod);
        ctx.store.request_deletion(pod, now);
    }
}

impl TaintEvictionController {
    /// A node's NoExecute taints changed (`handleNodeUpdate`): each of its pods looked at
    /// again, or, with none left, their pending deletions cancelled.
    fn node_updated(&mut self, node: NodeId, ctx: Ctx) {
        let n = Arc::clone(ctx.store.node(node));
        let taints = no_execute(&n.taints);
        let pods = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            if taints.is_empty() {
                self.cancel(pod, ctx);
            } else {
                self.process(pod, &taints, ctx);
            }
        }
    }

    /// One pod on a node with these NoExecute taints (`processPodOnNode`).
    fn process(&mut self, pod: PodId, taints: &[&Taint], ctx: Ctx) {
        let spec = ctx.store.pod(pod).spec.clone();
        let stay_ms = match matching_tolerations(taints, &spec.tolerations) {
            None => {
                self.cancel(pod, ctx);
                Some(0)
            }
            Some(used) => min_toleration_ms(&used),
        };
        let Some(stay_ms) = stay_ms else {
            self.cancel(pod, ctx);
            return;
        };
        if self.work.contains_key(&pod) {
            return; // scheduled earlier (its time kept), or carried out already
        }
        let due = ctx.now() + stay_ms;
        let timer = ctx.at(due, TaintEvictionEvent::Evict(pod));
        self.work.insert(pod, Work::Scheduled { timer, due });
    }

    /// Cancels a pod's pending deletion, with its event (`cancelWorkWithEvent`); one carried
    /// out is forgotten without a word.
    fn cancel(&mut self, pod: PodId, ctx: Ctx) {
        match self.work.remove(&pod) {
            Some(Work::Scheduled { timer, .. }) => {
                ctx.cancel(timer);
                let p = ctx.store.pod(pod);
                let msg = format!(
                    "Cancelling deletion of Pod {}/{}",
                    p.meta.namespace, p.meta.name
                );
                ctx.record_pod(pod, EventType::Normal, REASON_TAINT_MANAGER_EVICTION, msg);
            }
            Some(Work::Done) | None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::taint::TolerationOperator;
    use crate::api::testing;
    use crate::component::Harness;

    fn taint(key: &str) -> Taint {
        Taint {
            key: key.into(),
            value: "x".into(),
            effect: TaintEffect::NoExecute,
            time_added: None,
        }
    }

    fn tol(key: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: seconds,
        }
    }

    /// A harness with node `n` and pod `p` (with these tolerations) bound to it.
    fn setup(tolerations: Vec<Toleration>) -> (Harness<TaintEvictionController>, NodeId, PodId) {
        let mut h = Harness::new(TaintEvictionController::default());
        let node = h.store.add_node(testing::node("n", 4_000, 1 << 34, 110));
        let mut pod = testing::pod("p", 100, 0);
        Arc::make_mut(&mut pod.spec).tolerations = tolerations;
        let pod = h.store.create_pod(pod);
        h.store.bind(pod, node, SimTime::ZERO);
        h.settle();
        (h, node, pod)
    }

    fn deleting(h: &Harness<TaintEvictionController>, pod: PodId) -> Option<SimTime> {
        h.store.pod(pod).status.terminating
    }

    const MARKING: &str = "TaintManagerEviction Pod/default/p: Marking for deletion Pod default/p";
    const CANCELLING: &str =
        "TaintManagerEviction Pod/default/p: Cancelling deletion of Pod default/p";

    #[test]
    fn the_first_tolerating_toleration_is_used_per_taint() {
        let (a, b) = (taint("a"), taint("b"));
        let tolerations = [tol("a", Some(10)), tol("", Some(5)), tol("b", None)];
        let used = matching_tolerations(&[&a, &b], &tolerations).unwrap();
        assert_eq!(used, [&tolerations[0], &tolerations[1]]);
        assert_eq!(matching_tolerations(&[&a, &b], &tolerations[..1]), None);
        assert_eq!(matching_tolerations(&[], &tolerations[..0]), Some(vec![]));
    }

    #[test]
    fn min_toleration_time_table() {
        let cases: [(&str, Vec<Toleration>, Option<i64>); 5] = [
            ("none used: now", vec![], Some(0)),
            ("no seconds: for ever", vec![tol("a", None)], None),
            (
                "the least seconds, those without ignored",
                vec![tol("a", Some(60)), tol("b", None), tol("c", Some(20))],
                Some(20_000),
            ),
            (
                "zero: now",
                vec![tol("a", Some(60)), tol("b", Some(0))],
                Some(0),
            ),
            ("negative: now", vec![tol("a", Some(-5))], Some(0)),
        ];
        for (name, tolerations, want) in cases {
            let used: Vec<&Toleration> = tolerations.iter().collect();
            assert_eq!(min_toleration_ms(&used), want, "{name}");
        }
    }

    #[test]
    fn an_untolerated_taint_deletes_the_pod_now() {
        let (mut h, node, pod) = setup(vec![]);
        h.store.set_node_taints(node, vec![taint("dedicated")]);
        h.run_until(SimTime::ZERO);
        assert_eq!(deleting(&h, pod), Some(SimTime::ZERO));
        assert_eq!(h.events(), [MARKING]);
        // Looked at again while it terminates (a second taint): deleted again, as upstream
        // would, which the API server takes as a no-op.
        h.store
            .set_node_taints(node, vec![taint("dedicated"), taint("other")]);
        h.run_until(SimTime::ZERO);
        assert_eq!(h.events(), [MARKING]);
        assert_eq!(deleting(&h, pod), Some(SimTime::ZERO));
    }

    #[test]
    fn other_effects_and_the_default_tolerations_do_not_evict() {
        let (mut h, node, pod) = setup(vec![]);
        let mut no_schedule = taint("dedicated");
        no_schedule.effect = TaintEffect::NoSchedule;
        h.store.set_node_taints(node, vec![no_schedule]);
        h.run_until(SimTime(600_000));
        assert_eq!(deleting(&h, pod), None);
        // The pod got DefaultTolerationSeconds' tolerations when it was created: an
        // unreachable node keeps it 300 s.
        h.store
            .set_node_taints(node, vec![taint(crate::api::taint::TAINT_NODE_UNREACHABLE)]);
        h.run_until(SimTime(299_999));
        assert_eq!(deleting(&h, pod), None);
        h.run_until(SimTime(300_000));
        assert_eq!(deleting(&h, pod), Some(SimTime(300_000)));
        assert_eq!(h.events(), [MARKING]);
    }

    #[test]
    fn a_toleration_without_seconds_keeps_the_pod_for_ever() {
        let (mut h, node, pod) = setup(vec![tol("dedicated", None)]);
        h.store.set_node_taints(node, vec![taint("dedicated")]);
        h.run_until(SimTime(3_600_000));
        assert_eq!(deleting(&h, pod), None);
        assert!(h.events().is_empty());
    }

    #[test]
    fn the_least_toleration_seconds_of_the_matching_tolerations_wins() {
        let tolerations = vec![tol("a", Some(60)), tol("b", Some(20)), tol("c", Some(1))];
        let (mut h, node, pod) = setup(tolerations);
        h.store.set_node_taints(node, vec![taint("a"), taint("b")]);
        h.run_until(SimTime(19_999));
        assert_eq!(deleting(&h, pod), None);
        h.run_until(SimTime(60_000));
        assert_eq!(deleting(&h, pod), Some(SimTime(20_000)));
        assert_eq!(h.events(), [MARKING]);
    }

    #[test]
    fn zero_or_negative_seconds_mean_now() {
        for seconds in [0, -1] {
            let (mut h, node, pod) = setup(vec![tol("a", Some(seconds))]);
            h.store.set_node_taints(node, vec![taint("a")]);
            h.run_until(SimTime::ZERO);
            assert_eq!(deleting(&h, pod), Some(SimTime::ZERO), "{seconds}");
        }
    }

    #[test]
    fn removing_the_taint_cancels_and_tainting_again_starts_over() {
        let (mut h, node, pod) = setup(vec![tol("a", Some(30))]);
        h.store.set_node_taints(node, vec![taint("a")]);
        h.run_until(SimTime::ZERO);
        h.store.set_node_taints(node, vec![]);
        h.run_until(SimTime(10_000));
        assert_eq!(h.events(), [CANCELLING]);
        // Removing it again says nothing; tainting again counts 30 s from now.
        h.store.set_node_taints(node, vec![taint("a")]);
        h.run_until(SimTime::ZERO);
        h.run_until(SimTime(29_999));
        assert_eq!(deleting(&h, pod), None);
        h.run_until(SimTime(30_000));
        assert_eq!(deleting(&h, pod), Some(SimTime(30_000)));
        assert_eq!(h.events(), [MARKING]);
    }

    #[test]
    fn tolerated_for_ever_after_a_change_cancels() {
        let (mut h, node, pod) = setup(vec![tol("a", Some(30)), tol("b", None)]);
        h.store.set_node_taints(node, vec![taint("a")]);
        h.run_until(SimTime::ZERO);
        h.store.set_node_taints(node, vec![taint("b")]);
        h.run_until(SimTime(60_000));
        assert_eq!(deleting(&h, pod), None);
        assert_eq!(h.events(), [CANCELLING]);
    }

    #[test]
    fn an_untolerated_taint_replaces_a_pending_deletion() {
        let (mut h, node, pod) = setup(vec![tol("a", Some(30))]);
        h.store.set_node_taints(node, vec![taint("a")]);
        h.run_until(SimTime::ZERO);
        h.store.set_node_taints(node, vec![taint("a"), taint("b")]);
        h.run_until(SimTime::ZERO);
        assert_eq!(deleting(&h, pod), Some(SimTime::ZERO));
        assert_eq!(h.events(), [CANCELLING, MARKING]);
        h.run_until(SimTime(60_000));
        assert!(h.events().is_empty());
    }

    #[test]
    fn a_pending_deletion_keeps_its_time_when_the_taints_change() {
        let (mut h, node, pod) = setup(vec![tol("a", Some(30)), tol("b", Some(5))]);
        h.store.set_node_taints(node, vec![taint("a")]);
        h.run_until(SimTime::ZERO);
        h.store.set_node_taints(node, vec![taint("a"), taint("b")]);
        h.run_until(SimTime(29_999));
        assert_eq!(deleting(&h, pod), None);
        h.run_until(SimTime(30_000));
        assert_eq!(deleting(&h, pod), Some(SimTime(30_000)));
    }

    #[test]
    fn a_pod_bound_to_a_tainted_node_is_looked_at() {
        let mut h = Harness::new(TaintEvictionController::default());
        let mut n = testing::node("n", 4_000, 1 << 34, 110);
        n.taints = vec![taint("a")];
        let node = h.store.add_node(n);
        h.settle();
        let pod = h.store.create_pod(testing::pod("p", 100, 0));
        h.store.bind(pod, node, SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        assert_eq!(deleting(&h, pod), Some(SimTime::ZERO));
        assert_eq!(h.events(), [MARKING]);
    }

    #[test]
    fn a_pod_bound_to_a_node_without_no_execute_taints_is_left_alone() {
        let mut h = Harness::new(TaintEvictionController::default());
        let mut n = testing::node("n", 4_000, 1 << 34, 110);
        let mut no_schedule = taint("a");
        no_schedule.effect = TaintEffect::NoSchedule;
        n.taints = vec![no_schedule];
        let node = h.store.add_node(n);
        h.settle();
        let pod = h.store.create_pod(testing::pod("p", 100, 0));
        h.store.bind(pod, node, SimTime::ZERO);
        h.run_until(SimTime(600_000));
        assert_eq!(deleting(&h, pod), None);
        assert!(h.events().is_empty());
    }

    #[test]
    fn a_pod_gone_before_its_time_has_its_deletion_cancelled() {
        let (mut h, node, pod) = setup(vec![tol("a", Some(30))]);
        h.store.set_node_taints(node, vec![taint("a")]);
        h.run_until(SimTime::ZERO);
        h.store.delete_pod(pod, SimTime::ZERO);
        h.run_until(SimTime(60_000));
        assert_eq!(h.events(), [CANCELLING]);
    }
}
