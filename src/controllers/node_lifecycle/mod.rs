//! The node lifecycle controller (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`):
//! a node whose kubelet has not renewed its Lease for `nodeMonitorGracePeriod` (50 s since
//! v1.32) has its conditions set to Unknown at the controller's next 5 s monitor pass, its
//! pods marked not ready, and the `node.kubernetes.io/unreachable` taints: NoSchedule at
//! once, NoExecute through its zone's rate limited queue. When the kubelet reports Ready
//! again, the NoSchedule taint goes at once, and the NoExecute taint (or the node's place in
//! the queue) at the next monitor pass. The taints the controller adds carry `timeAdded`
//! (`SwapNodeControllerTaint`, `pkg/controller/util/node/controller_utils.go`).
//!
//! Zones ([`zones`]; a zone is a region and zone label pair). At the end of a monitor pass
//! each zone's state comes from its nodes' `Ready` conditions (True: ready; False, Unknown or
//! none: not ready; nodes labelled `node.kubernetes.io/exclude-disruption` not counted):
//! FullDisruption with no node ready and one not, PartialDisruption with more than two not
//! ready and at least 55 % of them, Normal otherwise. A zone whose state changes gets the
//! rate limiter of its new state (`handleDisruption`, `setLimiterInZone`): Normal 0.1 nodes a
//! second; PartialDisruption 0.01 in a zone of more than 50 nodes, none (no NoExecute taint
//! at all) in a smaller one; FullDisruption the normal rate. A limiter swapped in starts with
//! its token, unless the old one had none left (`SwapLimiter`). When every zone is fully
//! disrupted (master disruption mode, which upstream takes for a problem of its own rather
//! than of all the nodes), the controller removes the `unreachable` and `not-ready` NoExecute
//! taints from every node, empties the queues and stops all tainting; when some zone is no
//! longer fully disrupted, each zone gets the limiter of its state, every node's grace period
//! counts anew from then, and the nodes still Unknown are queued again. Upstream logs these
//! transitions (klog) and records no Event for them; nor does kubesim.
//!
//! Heartbeats are not simulated one by one: a running kubelet's last heartbeat is always
//! "now", and the controller looks at a node only when its machine stops or returns, at the
//! monitor pass where the grace period has run out ([`due`]); it computes the zones' states
//! only at the end of a monitor pass after something they depend on changed (a `Ready`
//! condition, a node's zone or exclusion label, a node joining while some zone is not
//! Normal), which gives the states upstream's every pass would. A week of a thousand healthy
//! nodes costs nothing. Where upstream races, kubesim chooses: at a pass, the zones' states
//! are settled before the pass's NoExecute taints go on (upstream's tainting loop runs beside
//! the monitor pass every 100 ms, so one may slip in first, and be removed at the pass's end
//! in master disruption mode); a zone's queue is first in, first out (upstream queues its
//! nodes again at every pass, all at the same time, in no set order).
//!
//! A running kubelet's conditions ([`conditions`]): the NoSchedule taints of
//! `TaintNodesByCondition` follow them at once (`not-ready`, `memory-pressure`, ...); a
//! kubelet reporting `Ready=False` (a node shutting down) has its pods marked not ready and
//! the `not-ready` NoExecute taint queued at the next monitor pass.
//!
//! Not modelled yet: the 60 s startup grace of nodes that never reported.

mod conditions;
pub mod zones;

use crate::api::event::EventType;
use crate::api::node::{ConditionStatus, NodeConditionType};
use crate::api::taint::{TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE};
use crate::api::{Node, Taint, TaintEffect};
use crate::component::{Component, Context, Timer};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, NodeUpdate, Store, Watch};
use std::collections::{BTreeMap, VecDeque};
use zones::{Limiter, ZoneKey, ZoneState};

/// The unreachable taint's key.
pub const TAINT_UNREACHABLE: &str = TAINT_NODE_UNREACHABLE;
/// `--node-monitor-period`.
pub const MONITOR_PERIOD_MS: i64 = 5_000;
/// `--node-monitor-grace-period` (50 s since v1.32).
pub const GRACE_PERIOD_MS: i64 = 50_000;
/// One node per this long per zone (`--node-eviction-rate` 0.1).
pub const EVICTION_INTERVAL_MS: i64 = zones::EVICTION_INTERVAL_MS;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeLifecycleEvent {
    /// A monitor pass looks at a node whose machine stopped (with the node's generation when
    /// it was scheduled).
    Monitor(NodeId, u32),
    /// A monitor pass looks at a node whose kubelet reported Ready again.
    Reachable(NodeId),
    /// A monitor pass looks at a node whose kubelet reported Ready=False.
    NotReady(NodeId),
    /// The end of the monitor pass at this time: the zones' states, then the tainting.
    PassEnd,
    /// A zone's rate limiter has its token again (the zone's index).
    Taint(u32),
}

/// What the controller keeps per node.
#[derive(Clone, Copy, Debug, Default)]
struct Watched {
    /// Bumped by each machine change and grace period restart: a `Monitor` of an older
    /// generation is stale.
    generation: u32,
    /// The controller set Ready to Unknown and has not seen it Ready since.
    unknown: bool,
    /// The controller saw the kubelet report Ready=False and has not seen it Ready since.
    not_ready: bool,
}

/// What the controller keeps per zone.
#[derive(Debug)]
struct Zone {
    key: ZoneKey,
    /// `None` while the zone has no state (not computed yet, or no node counted).
    state: Option<ZoneState>,
    limiter: Limiter,
    /// Nodes waiting for their NoExecute taint, first in first out.
    queue: VecDeque<NodeId>,
    /// The scheduled `Taint` event, and its time.
    tick: Option<(Timer, SimTime)>,
}

/// The node lifecycle controller.
#[derive(Debug, Default)]
pub struct NodeLifecycleController {
    nodes: Vec<Watched>,
    /// The zones seen so far, in the order they were seen (never removed, as upstream's
    /// queues are not).
    zones: Vec<Zone>,
    zone_index: BTreeMap<ZoneKey, usize>,
    /// Something the zones' states depend on changed since they were last computed.
    dirty: bool,
    /// The scheduled `PassEnd`.
    pass_end: Option<SimTime>,
    /// Each node's zone index, read from its labels once (and again when they change).
    node_zones: Vec<u32>,
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

/// The status of a node's `Ready` condition.
fn ready(node: &Node) -> Option<ConditionStatus> {
    node.condition(NodeConditionType::Ready)
}

/// Whether a node has the NoExecute taint of this key.
fn has_no_execute(node: &Node, key: &str) -> bool {
    (node.taints.iter()).any(|t| t.key == key && t.effect == TaintEffect::NoExecute)
}

/// A node's zone not read yet ([`NodeLifecycleController::node_zone`]).
const ZONE_UNKNOWN: u32 = u32::MAX;
/// A node counted in no zone (`node.kubernetes.io/exclude-disruption`).
const ZONE_EXCLUDED: u32 = u32::MAX - 1;

type Ctx<'a, 'b> = &'a mut Context<'b, NodeLifecycleEvent>;

/// A node left Ready: its `NodeNotReady` Event, and its ready pods marked not ready
/// (`MarkPodsNotReady`, pkg/controller/util/node).
fn mark_pods_not_ready(node: NodeId, ctx: Ctx) {
    let now = ctx.now();
    let name = ctx.store.node(node).meta.name.clone();
    let msg = format!("Node {name} status is now: NodeNotReady");
    ctx.record(
        EventType::Normal,
        "NodeNotReady",
        format!("Node/{name}"),
        msg,
    );
    for pod in ctx.store.pods_on_node(node).to_vec() {
        if ctx.store.pod(pod).status.ready {
            ctx.store.set_ready(pod, false, now);
            let msg = "Node is not ready".to_string();
            ctx.record_pod(pod, EventType::Warning, "NodeNotReady", msg);
        }
    }
}

impl NodeLifecycleController {
    fn watched(&mut self, node: NodeId) -> &mut Watched {
        let i = node.0 as usize;
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, Watched::default());
        }
        &mut self.nodes[i]
    }

    /// The index of a zone, added with a new rate limiter if not seen yet.
    /// The index of a node's zone, `None` when it counts in none.
    fn node_zone(&mut self, id: usize, node: &Node) -> Option<usize> {
        if self.node_zones.len() <= id {
            self.node_zones.resize(id + 1, ZONE_UNKNOWN);
        }
        if self.node_zones[id] == ZONE_UNKNOWN {
            self.node_zones[id] = if zones::excluded(node) {
                ZONE_EXCLUDED
            } else {
                self.zone(ZoneKey::of(node)) as u32
            };
        }
        (self.node_zones[id] != ZONE_EXCLUDED).then_some(self.node_zones[id] as usize)
    }

    /// Per zone, the nodes counted ready and not ready (`zoneToNodeConditions`).
    fn zone_counts(&mut self, store: &Store) -> BTreeMap<ZoneKey, (usize, usize)> {
        let mut counts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
        for (i, node) in store.nodes().iter().enumerate() {
            let Some(z) = self.node_zone(i, node) else {
                continue;
            };
            let c = counts.entry(z).or_default();
            if ready(node) == Some(ConditionStatus::True) {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
        (counts.into_iter())
            .map(|(z, c)| (self.zones[z].key.clone(), c))
            .collect()
    }

    fn zone(&mut self, key: ZoneKey) -> usize {
        if let Some(&z) = self.zone_index.get(&key) {
            return z;
        }
        let z = self.zones.len();
        self.zone_index.insert(key.clone(), z);
        self.zones.push(Zone {
            key,
            state: None,
            limiter: Limiter::default(),
            queue: VecDeque::new(),
            tick: None,
        });
        z
    }

    /// Makes sure the current (or next) monitor pass ends with a `PassEnd`.
    fn end_pass(&mut self, ctx: Ctx) {
        if self.pass_end.is_none() {
            let at = next_pass(ctx.now());
            self.pass_end = Some(at);
            ctx.at(at, NodeLifecycleEvent::PassEnd);
        }
    }

    /// Something the zones' states depend on changed: they are computed again at the end of
    /// the next monitor pass.
    fn zones_changed(&mut self, ctx: Ctx) {
        self.dirty = true;
        self.end_pass(ctx);
    }

    /// The grace period ran out: conditions Unknown, pods not ready, taints.
    fn mark_unknown(&mut self, node: NodeId, ctx: Ctx) {
        self.watched(node).unknown = true;
        for kind in [
            NodeConditionType::Ready,
            NodeConditionType::MemoryPressure,
            NodeConditionType::DiskPressure,
            NodeConditionType::PidPressure,
        ] {
            if ctx.store.node(node).condition(kind).is_some() {
                ctx.store
                    .set_node_condition(node, kind, ConditionStatus::Unknown);
            }
        }
        // The Event and `MarkPodsNotReady` (pkg/controller/util/node) come with the step
        // from Ready, not from a Ready=False the kubelet reported before it stopped.
        if !std::mem::take(&mut self.watched(node).not_ready) {
            mark_pods_not_ready(node, ctx);
        }
        self.set_taints(
            node,
            &[(TAINT_UNREACHABLE, TaintEffect::NoSchedule)],
            &[],
            ctx,
        );
        self.queue_for_taint(node, ctx);
    }

    /// `processTaintBaseEviction` for an Unknown node: a `not-ready` NoExecute taint is
    /// swapped for the `unreachable` one at once; otherwise the node joins its zone's queue
    /// (once).
    fn queue_for_taint(&mut self, node: NodeId, ctx: Ctx) {
        let n = ctx.store.node(node);
        if has_no_execute(n, TAINT_NODE_NOT_READY) {
            let add = [(TAINT_UNREACHABLE, TaintEffect::NoExecute)];
            let remove = [(TAINT_NODE_NOT_READY, TaintEffect::NoExecute)];
            return self.set_taints(node, &add, &remove, ctx);
        }
        if has_no_execute(n, TAINT_UNREACHABLE) {
            return;
        }
        let z = self.zone(ZoneKey::of(n));
        let queue = &mut self.zones[z].queue;
        if !queue.contains(&node) {
            queue.push_back(node);
        }
    }

    /// `markNodeAsReachable`: the NoExecute taints go, and the node leaves its zone's queue.
    fn mark_reachable(&mut self, node: NodeId, ctx: Ctx) {
        self.remove_no_execute(node, ctx);
        for zone in &mut self.zones {
            zone.queue.retain(|&n| n != node);
        }
    }

    /// Removes the `unreachable` and `not-ready` NoExecute taints from a node.
    fn remove_no_execute(&self, node: NodeId, ctx: Ctx) {
        let remove = [
            (TAINT_UNREACHABLE, TaintEffect::NoExecute),
            (TAINT_NODE_NOT_READY, TaintEffect::NoExecute),
        ];
        self.set_taints(node, &[], &remove, ctx);
    }

    /// Adds and removes taints by key and effect; an added one carries `timeAdded`, now.
    fn set_taints(
        &self,
        node: NodeId,
        add: &[(&str, TaintEffect)],
        remove: &[(&str, TaintEffect)],
        ctx: Ctx,
    ) {
        let now = ctx.now();
        let current = &ctx.store.node(node).taints;
        let is =
            |t: &Taint, &(key, effect): &(&str, TaintEffect)| t.key == key && t.effect == effect;
        let adds = add.iter().any(|a| !current.iter().any(|t| is(t, a)));
        let removes = current.iter().any(|t| remove.iter().any(|r| is(t, r)));
        if !adds && !removes {
            return;
        }
        let mut taints = current.clone();
        taints.retain(|t| !remove.iter().any(|r| is(t, r)));
        for a in add {
            if !taints.iter().any(|t| is(t, a)) {
                taints.push(Taint {
                    key: a.0.into(),
                    value: String::new(),
                    effect: a.1,
                    time_added: Some(now),
                });
            }
        }
        ctx.store.set_node_taints(node, taints);
    }

    /// Taints the nodes at the head of a zone's queue while its limiter lets them through
    /// (`doNoExecuteTaintingPass`), then schedules the zone's next try. A node whose kubelet
    /// is Ready again by then is let go, its token spent.
    fn try_taint(&mut self, z: usize, ctx: Ctx) {
        let now = ctx.now();
        while let Some(&node) = self.zones[z].queue.front() {
            if !self.zones[z].limiter.try_accept(now) {
                break;
            }
            self.zones[z].queue.pop_front();
            let (add, opposite) = match ready(ctx.store.node(node)) {
                Some(ConditionStatus::Unknown) => (TAINT_UNREACHABLE, TAINT_NODE_NOT_READY),
                Some(ConditionStatus::False) => (TAINT_NODE_NOT_READY, TAINT_UNREACHABLE),
                _ => continue,
            };
            let add = [(add, TaintEffect::NoExecute)];
            self.set_taints(node, &add, &[(opposite, TaintEffect::NoExecute)], ctx);
        }
        let zone = &mut self.zones[z];
        let want = if zone.queue.is_empty() {
            None
        } else {
            zone.limiter.next_token()
        };
        if zone.tick.map(|(_, at)| at) != want {
            if let Some((timer, _)) = zone.tick.take() {
                ctx.cancel(timer);
            }
            let event = NodeLifecycleEvent::Taint(z as u32);
            zone.tick = want.map(|at| (ctx.at(at, event), at));
        }
    }

    /// The zones' states, and what changes with them (`handleDisruption`).
    fn handle_disruption(&mut self, ctx: Ctx) {
        let now = ctx.now();
        let counts = self.zone_counts(ctx.store);
        // (zone, new state, nodes counted)
        let mut new: Vec<(usize, ZoneState, usize)> = Vec::with_capacity(counts.len());
        for (key, &(ready, not_ready)) in &counts {
            let z = self.zone(key.clone());
            new.push((z, zones::zone_state(ready, not_ready), ready + not_ready));
            self.zones[z].state.get_or_insert(ZoneState::Initial);
        }
        for zone in &mut self.zones {
            if !counts.contains_key(&zone.key) {
                zone.state = None;
            }
        }
        let all_are = new.iter().all(|&(_, s, _)| s == ZoneState::FullDisruption);
        let all_were =
            (self.zones.iter().filter_map(|z| z.state)).all(|s| s == ZoneState::FullDisruption);
        if all_are && all_were {
            return;
        }
        if all_are {
            // Master disruption mode: no NoExecute taint, no tainting.
            for i in 0..ctx.store.nodes().len() {
                self.remove_no_execute(NodeId(i as u32), ctx);
            }
            for zone in &mut self.zones {
                zone.queue.clear();
            }
            for &(z, _, _) in &new {
                self.zones[z].limiter.swap(None, now);
                self.zones[z].state = Some(ZoneState::FullDisruption);
            }
            return;
        }
        if all_were {
            // Out of master disruption mode: every limiter set for its zone's state.
            self.restart_grace_periods(ctx);
            for &(z, state, size) in &new {
                let interval = zones::eviction_interval(state, size);
                self.zones[z].limiter.swap(interval, now);
                self.zones[z].state = Some(state);
            }
            return;
        }
        for &(z, state, size) in &new {
            if self.zones[z].state != Some(state) {
                let interval = zones::eviction_interval(state, size);
                self.zones[z].limiter.swap(interval, now);
                self.zones[z].state = Some(state);
            }
        }
    }

    /// Leaving master disruption mode, upstream counts every node's grace period from now:
    /// a stopped machine not yet marked Unknown is looked at again 50 s on; the nodes marked
    /// Unknown go back to their zones' queues, as every pass would have put them.
    fn restart_grace_periods(&mut self, ctx: Ctx) {
        let now = ctx.now();
        for i in 0..ctx.store.nodes().len() {
            let node = NodeId(i as u32);
            if ctx.store.node_down_since(node).is_none() {
                continue;
            }
            let w = self.watched(node);
            if w.unknown {
                if ready(ctx.store.node(node)) == Some(ConditionStatus::Unknown) {
                    self.queue_for_taint(node, ctx);
                }
            } else {
                w.generation += 1;
                let event = NodeLifecycleEvent::Monitor(node, w.generation);
                ctx.at(due(now), event);
            }
        }
    }
}

impl Component for NodeLifecycleController {
    type Event = NodeLifecycleEvent;

    fn name(&self) -> &str {
        "controllers/nodelifecycle"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::NodeAdded,
            ChangeKind::NodeMachine,
            ChangeKind::NodeUpdated,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match change {
            Change::NodeAdded(_) => {
                // Only a zone out of the Normal state can change with a node more.
                let normal = Some(ZoneState::Normal);
                if self
                    .zones
                    .iter()
                    .any(|z| z.state.is_some() && z.state != normal)
                {
                    self.zones_changed(ctx);
                }
            }
            Change::NodeMachine { node, up } => {
                let now = ctx.now();
                let w = self.watched(*node);
                w.generation += 1;
                let generation = w.generation;
                if !*up {
                    let heartbeat = ctx.store.last_heartbeat(*node, now);
                    ctx.at(
                        due(heartbeat),
                        NodeLifecycleEvent::Monitor(*node, generation),
                    );
                }
            }
            Change::NodeUpdated { node, old, what } => {
                let new = ctx.store.node(*node);
                let ready_changed =
                    what.contains(NodeUpdate::CONDITIONS) && ready(old) != ready(new);
                let zone_changed = what.contains(NodeUpdate::LABELS)
                    && (ZoneKey::of(old) != ZoneKey::of(new)
                        || zones::excluded(old) != zones::excluded(new));
                let was_down = {
                    let w = self.watched(*node);
                    w.unknown || w.not_ready
                };
                if ready(new) == Some(ConditionStatus::True) && was_down {
                    // The kubelet reports Ready again: the condition taint goes now, the
                    // eviction taint at the next monitor pass.
                    let w = self.watched(*node);
                    (w.unknown, w.not_ready) = (false, false);
                    let at = next_pass(ctx.now());
                    ctx.at(at, NodeLifecycleEvent::Reachable(*node));
                }
                if what.contains(NodeUpdate::CONDITIONS) {
                    let was = ready(old);
                    self.conditions_changed(*node, was, ctx);
                }
                if what.contains(NodeUpdate::LABELS)
                    && let Some(z) = self.node_zones.get_mut(node.0 as usize)
                {
                    *z = ZONE_UNKNOWN;
                }
                if ready_changed || zone_changed {
                    self.zones_changed(ctx);
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: NodeLifecycleEvent, ctx: Ctx) {
        match event {
            NodeLifecycleEvent::Monitor(node, generation) => {
                let w = *self.watched(node);
                if w.generation == generation
                    && !w.unknown
                    && ctx.store.node_down_since(node).is_some()
                {
                    self.mark_unknown(node, ctx);
                    self.end_pass(ctx);
                }
            }
            NodeLifecycleEvent::NotReady(node) => self.mark_not_ready(node, ctx),
            NodeLifecycleEvent::Reachable(node) => {
                if ready(ctx.store.node(node)) == Some(ConditionStatus::True) {
                    self.mark_reachable(node, ctx);
                }
            }
            NodeLifecycleEvent::PassEnd => {
                self.pass_end = None;
                if std::mem::take(&mut self.dirty) {
                    self.handle_disruption(ctx);
                }
                for z in 0..self.zones.len() {
                    self.try_taint(z, ctx);
                }
            }
            NodeLifecycleEvent::Taint(z) => {
                let z = z as usize;
                self.zones[z].tick = None;
                self.try_taint(z, ctx);
            }
        }
    }
}

#[cfg(test)]
mod tests;
