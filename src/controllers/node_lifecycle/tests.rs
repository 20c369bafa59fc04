use super::*;
use crate::api::node::LABEL_ZONE;
use crate::component::Harness;
use std::sync::Arc;

#[test]
fn unknown_at_the_first_pass_after_the_grace_period() {
    // Last heartbeat at 600 s: 650 s is not past the deadline, 655 s is.
    assert_eq!(due(SimTime(600_000)), SimTime(655_000));
    assert_eq!(due(SimTime(602_000)), SimTime(655_000));
    assert_eq!(due(SimTime(605_000)), SimTime(660_000));
    assert_eq!(next_pass(SimTime(700_000)), SimTime(700_000));
    assert_eq!(next_pass(SimTime(700_001)), SimTime(705_000));
}

/// A harness with one node per zone name given (`n-1` in the first, ...).
fn cluster(zones: &[&str]) -> (Harness<NodeLifecycleController>, Vec<NodeId>) {
    let mut h = Harness::new(NodeLifecycleController::default());
    let nodes = (zones.iter().enumerate())
        .map(|(i, zone)| {
            let mut n = crate::api::testing::node(&format!("n-{}", i + 1), 4_000, 1 << 34, 110);
            n.meta.labels = Arc::new([(LABEL_ZONE.to_string(), zone.to_string())].into());
            h.store.add_node(n)
        })
        .collect();
    h.settle();
    (h, nodes)
}

/// A node's taints, as `key:Effect@seconds added`.
fn taints(h: &Harness<NodeLifecycleController>, node: NodeId) -> Vec<String> {
    (h.store.node(node).taints.iter())
        .map(|t| {
            let at = t.time_added.map_or(-1, |a| a.ms() / 1000);
            format!("{}:{}@{at}", t.key, t.effect.as_str())
        })
        .collect()
}

const NO_SCHEDULE: &str = "node.kubernetes.io/unreachable:NoSchedule";
const NO_EXECUTE: &str = "node.kubernetes.io/unreachable:NoExecute";

/// What the kubelet does when its machine returns: Ready.
fn recover(h: &mut Harness<NodeLifecycleController>, node: NodeId, now: SimTime) {
    h.advance_to(now);
    h.store.recover_node(node, now);
    h.store
        .set_node_condition(node, NodeConditionType::Ready, ConditionStatus::True);
}

#[test]
fn a_zone_of_two_with_both_down_keeps_the_normal_rate_while_another_zone_is_up() {
    let (mut h, n) = cluster(&["a", "a", "b"]);
    h.store.crash_node(n[0], SimTime::ZERO);
    h.store.crash_node(n[1], SimTime::ZERO);
    h.run_until(SimTime::from_secs(60));
    // Zone a is fully disrupted, b is not: the normal rate, one taint per 10 s.
    assert_eq!(
        taints(&h, n[0]),
        [format!("{NO_SCHEDULE}@55"), format!("{NO_EXECUTE}@55")]
    );
    assert_eq!(taints(&h, n[1]), [format!("{NO_SCHEDULE}@55")]);
    h.run_until(SimTime::from_secs(65));
    assert_eq!(
        taints(&h, n[1]),
        [format!("{NO_SCHEDULE}@55"), format!("{NO_EXECUTE}@65")]
    );
    assert!(taints(&h, n[2]).is_empty());
    // No Event tells of the zones' states (upstream only logs them).
    assert!(h.events().iter().all(|e| e.starts_with("NodeNotReady ")));
}

#[test]
fn every_zone_fully_disrupted_removes_the_no_execute_taints_until_one_recovers() {
    let (mut h, n) = cluster(&["a", "b", "b"]);
    h.store.crash_node(n[0], SimTime::ZERO);
    h.run_until(SimTime::from_secs(60));
    assert_eq!(
        taints(&h, n[0]),
        [format!("{NO_SCHEDULE}@55"), format!("{NO_EXECUTE}@55")]
    );
    // Zone b goes down too: at 155 s every zone is fully disrupted, the NoExecute taint
    // goes and none is put on.
    h.advance_to(SimTime::from_secs(100));
    h.store.crash_node(n[1], SimTime::from_secs(100));
    h.store.crash_node(n[2], SimTime::from_secs(100));
    h.run_until(SimTime::from_secs(300));
    for &node in &n {
        assert_eq!(taints(&h, node).len(), 1, "{:?}", taints(&h, node));
        assert!(taints(&h, node)[0].starts_with(NO_SCHEDULE));
    }
    // n-1 returns at 400 s: out of master disruption mode at that pass. Zone a is Normal,
    // zone b (fully disrupted, the normal rate) gets a drained limiter: its nodes are
    // tainted from 410 s, 10 s apart.
    recover(&mut h, n[0], SimTime::from_secs(400));
    h.run_until(SimTime::from_secs(405));
    assert!(taints(&h, n[0]).is_empty());
    assert_eq!(taints(&h, n[1]), [format!("{NO_SCHEDULE}@155")]);
    h.run_until(SimTime::from_secs(430));
    assert_eq!(
        taints(&h, n[1]),
        [format!("{NO_SCHEDULE}@155"), format!("{NO_EXECUTE}@410")]
    );
    assert_eq!(
        taints(&h, n[2]),
        [format!("{NO_SCHEDULE}@155"), format!("{NO_EXECUTE}@420")]
    );
}

#[test]
fn out_of_master_disruption_mode_each_zone_gets_the_limiter_of_its_state() {
    let (mut h, n) = cluster(&["a", "b", "c"]);
    h.store.crash_node(n[0], SimTime::ZERO);
    h.store.crash_node(n[1], SimTime::ZERO);
    h.advance_to(SimTime::from_secs(10));
    h.store.crash_node(n[2], SimTime::from_secs(10));
    // 55 s: a and b fully disrupted, c not: both tainted at the normal rate. 65 s: every
    // zone fully disrupted, the taints removed.
    h.run_until(SimTime::from_secs(60));
    assert_eq!(taints(&h, n[1])[1], format!("{NO_EXECUTE}@55"));
    h.run_until(SimTime::from_secs(70));
    assert!(n.iter().all(|&node| taints(&h, node).len() == 1));
    // b returns at 100 s: out of the mode. a and c, fully disrupted (the normal rate), get
    // limiters swapped in drained: each tainted at 110 s.
    recover(&mut h, n[1], SimTime::from_secs(100));
    h.run_until(SimTime::from_secs(200));
    assert!(taints(&h, n[1]).is_empty());
    assert_eq!(taints(&h, n[0])[1], format!("{NO_EXECUTE}@110"));
    assert_eq!(taints(&h, n[2])[1], format!("{NO_EXECUTE}@110"));
}

#[test]
fn leaving_master_disruption_mode_restarts_the_grace_period_of_stopped_nodes() {
    let (mut h, n) = cluster(&["a", "b", "b"]);
    // n-3 counts in no zone: zone b is n-2 alone.
    let mut labels = (*h.store.node(n[2]).meta.labels).clone();
    labels.insert(zones::LABEL_EXCLUDE_DISRUPTION.into(), String::new());
    h.store.set_node_labels(n[2], labels);
    h.store.crash_node(n[0], SimTime::ZERO);
    h.store.crash_node(n[1], SimTime::ZERO);
    h.advance_to(SimTime::from_secs(70)); // both Unknown at 55 s: master disruption mode
    h.store.crash_node(n[2], SimTime::from_secs(70)); // Unknown at 125 s, were it not for...
    recover(&mut h, n[1], SimTime::from_secs(100)); // ... the mode ending at 100 s
    h.run_until(SimTime::from_secs(150));
    let ready = |h: &Harness<_>| h.store.node(n[2]).condition(NodeConditionType::Ready);
    assert_eq!(ready(&h), Some(ConditionStatus::True));
    h.run_until(SimTime::from_secs(154));
    assert_eq!(ready(&h), Some(ConditionStatus::True));
    h.run_until(SimTime::from_secs(155));
    assert_eq!(ready(&h), Some(ConditionStatus::Unknown));
    // Zone b is Normal again: n-3 (in its queue) is tainted at once.
    assert_eq!(taints(&h, n[2])[1], format!("{NO_EXECUTE}@155"));
}
