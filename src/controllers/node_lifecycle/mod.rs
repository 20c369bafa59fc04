//! The node lifecycle controller (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`):
//! a node whose kubelet has not renewed its Lease for `nodeMonitorGracePeriod` (50 s since
//! v1.32) has its conditions set to Unknown at the controller's next 5 s monitor pass, its
//! pods marked not ready, and the `node.kubernetes.io/unreachable` taints: NoSchedule at
//! once, NoExecute through the zone's eviction rate limiter (0.1 nodes a second, a burst of
//! one: `--node-eviction-rate`). When the kubelet reports Ready again, the NoSchedule taint
//! goes at once and the NoExecute one at the next monitor pass.
//!
//! Heartbeats are not simulated one by one: a running kubelet's last heartbeat is always
//! "now", and the controller looks at a node only when its machine stops or returns, at the
//! monitor pass where the grace period has run out ([`due`]). A week of a thousand healthy
//! nodes costs nothing.
//!
//! Not modelled yet: the zones' PartialDisruption and FullDisruption states (their slower
//! or stopped eviction rates), Ready=False from a running kubelet (`not-ready` taints), and
//! the 60 s startup grace of nodes that never reported.

use crate::api::event::EventType;
use crate::api::node::{ConditionStatus, LABEL_ZONE, NodeConditionType};
use crate::api::{Taint, TaintEffect};
use crate::component::{Component, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, Watch};
use std::collections::BTreeMap;

/// The unreachable taint's key.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// `--node-monitor-period`.
pub const MONITOR_PERIOD_MS: i64 = 5_000;
/// `--node-monitor-grace-period` (50 s since v1.32).
pub const GRACE_PERIOD_MS: i64 = 50_000;
/// One node per this long per zone (`--node-eviction-rate` 0.1).
pub const EVICTION_INTERVAL_MS: i64 = 10_000;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeLifecycleEvent {
    /// A monitor pass looks at a node (with the node's generation when it was scheduled).
    Monitor(NodeId, u32),
    /// The zone's rate limiter lets the node's NoExecute taint through.
    TaintNoExecute(NodeId, u32),
}

/// What the controller keeps per node.
#[derive(Clone, Copy, Debug, Default)]
struct Watched {
    /// Bumped by each machine change: events of an older generation are stale.
    generation: u32,
    /// The controller set Ready to Unknown and has not seen it Ready since.
    unknown: bool,
}

/// The node lifecycle controller.
#[derive(Debug, Default)]
pub struct NodeLifecycleController {
    nodes: Vec<Watched>,
    /// Per zone, when its rate limiter next lets a NoExecute taint through.
    zone_next: BTreeMap<String, SimTime>,
}

/// The first monitor pass strictly more than the grace period after `heartbeat`.
pub fn due(heartbeat: SimTime) -> SimTime {
    let deadline = heartbeat.ms() + GRACE_PERIOD_MS;
    SimTime((deadline.div_euclid(MONITOR_PERIOD_MS) + 1) * MONITOR_PERIOD_MS)
}

/// The first monitor pass at or after `now`.
fn next_pass(now: SimTime) -> SimTime {
    let k = (now.ms() + MONITOR_PERIOD_MS - 1).div_euclid(MONITOR_PERIOD_MS);
    SimTime(k * MONITOR_PERIOD_MS)
}

type Ctx<'a, 'b> = &'a mut Context<'b, NodeLifecycleEvent>;

impl NodeLifecycleController {
    fn watched(&mut self, node: NodeId) -> &mut Watched {
        let i = node.0 as usize;
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, Watched::default());
        }
        &mut self.nodes[i]
    }

    /// The grace period ran out: conditions Unknown, pods not ready, taints.
    fn mark_unknown(&mut self, node: NodeId, ctx: Ctx) {
        let now = ctx.now();
        self.watched(node).unknown = true;
        for kind in [
            NodeConditionType::Ready,
            NodeConditionType::MemoryPressure,
            NodeConditionType::DiskPressure,
            NodeConditionType::PidPressure,
        ] {
            if ctx
                .store
                .node(node)
                .conditions
                .iter()
                .any(|c| c.kind == kind)
            {
                ctx.store
                    .set_node_condition(node, kind, ConditionStatus::Unknown);
            }
        }
        let name = ctx.store.node(node).meta.name.clone();
        let msg = format!("Node {name} status is now: NodeNotReady");
        ctx.record(
            EventType::Normal,
            "NodeNotReady",
            format!("Node/{name}"),
            msg,
        );
        // `MarkPodsNotReady` (pkg/controller/util/node).
        for pod in ctx.store.pods_on_node(node).to_vec() {
            if ctx.store.pod(pod).status.ready {
                ctx.store.set_ready(pod, false, now);
                ctx.record_pod(
                    pod,
                    EventType::Warning,
                    "NodeNotReady",
                    "Node is not ready".to_string(),
                );
            }
        }
        self.set_taint(node, TaintEffect::NoSchedule, true, ctx);
        // The zone's rate limiter (a token bucket of 0.1 a second, burst 1).
        let zone = ctx.store.node(node).meta.labels.get(LABEL_ZONE).cloned();
        let next = self.zone_next.entry(zone.unwrap_or_default()).or_default();
        let at = (*next).max(now);
        *next = SimTime(at.ms() + EVICTION_INTERVAL_MS);
        let generation = self.watched(node).generation;
        ctx.at(at, NodeLifecycleEvent::TaintNoExecute(node, generation));
    }

    /// Adds or removes the unreachable taint of `effect`.
    fn set_taint(&self, node: NodeId, effect: TaintEffect, on: bool, ctx: Ctx) {
        let now = ctx.now();
        let mut taints = ctx.store.node(node).taints.clone();
        let has = |t: &Taint| t.key == TAINT_UNREACHABLE && t.effect == effect;
        match (on, taints.iter().any(has)) {
            (true, false) => taints.push(Taint {
                key: TAINT_UNREACHABLE.into(),
                value: String::new(),
                effect,
                time_added: (effect == TaintEffect::NoExecute).then_some(now),
            }),
            (false, true) => taints.retain(|t| !has(t)),
            _ => return,
        }
        ctx.store.set_node_taints(node, taints);
    }
}

impl Component for NodeLifecycleController {
    type Event = NodeLifecycleEvent;

    fn name(&self) -> &str {
        "controllers/nodelifecycle"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[ChangeKind::NodeMachine, ChangeKind::NodeUpdated])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::NodeMachine { node, up } => {
                let now = ctx.now();
                let w = self.watched(node);
                w.generation += 1;
                let generation = w.generation;
                if !up {
                    let heartbeat = ctx.store.last_heartbeat(node, now);
                    ctx.at(
                        due(heartbeat),
                        NodeLifecycleEvent::Monitor(node, generation),
                    );
                }
            }
            Change::NodeUpdated { node, .. } => {
                let ready = (ctx.store.node(node).conditions.iter()).any(|c| {
                    c.kind == NodeConditionType::Ready && c.status == ConditionStatus::True
                });
                if ready && self.watched(node).unknown {
                    // The kubelet reports Ready again: the condition taint goes now, the
                    // eviction taint at the next monitor pass.
                    self.watched(node).unknown = false;
                    self.set_taint(node, TaintEffect::NoSchedule, false, ctx);
                    let generation = self.watched(node).generation;
                    let at = next_pass(ctx.now());
                    ctx.at(at, NodeLifecycleEvent::Monitor(node, generation));
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: NodeLifecycleEvent, ctx: Ctx) {
        match event {
            NodeLifecycleEvent::Monitor(node, generation) => {
                if self.watched(node).generation != generation {
                    return;
                }
                if ctx.store.node_down_since(node).is_some() {
                    if !self.watched(node).unknown {
                        self.mark_unknown(node, ctx);
                    }
                } else if !self.watched(node).unknown {
                    self.set_taint(node, TaintEffect::NoExecute, false, ctx);
                }
            }
            NodeLifecycleEvent::TaintNoExecute(node, generation) => {
                let w = *self.watched(node);
                if w.generation == generation && w.unknown {
                    self.set_taint(node, TaintEffect::NoExecute, true, ctx);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_at_the_first_pass_after_the_grace_period() {
        // Last heartbeat at 600 s: 650 s is not past the deadline, 655 s is.
        assert_eq!(due(SimTime(600_000)), SimTime(655_000));
        assert_eq!(due(SimTime(602_000)), SimTime(655_000));
        assert_eq!(due(SimTime(605_000)), SimTime(660_000));
        assert_eq!(next_pass(SimTime(700_000)), SimTime(700_000));
        assert_eq!(next_pass(SimTime(700_001)), SimTime(705_000));
    }
}
