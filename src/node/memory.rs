//! Memory running out, on every node: the kernel's OOM killer for a pod above its memory
//! limit, and the kubelet's eviction manager when the node's `memory.available` falls
//! below the hard threshold (`pkg/kubelet/eviction/eviction_manager.go`, `helpers.go`:
//! `memory.available<100Mi`, a look every 10 s, one pod evicted per look, ranked by usage
//! above requests, then priority, then usage above requests; the MemoryPressure condition
//! kept 5 minutes after the pressure ends).
//!
//! Usage comes from [`crate::store::load`] (traffic, `kubesim.io/memory-usage`, requests).
//! The monitor looks only once some pod can use more memory than it requests (a traffic
//! entry with a memory cost, a `kubesim.io/memory-usage` annotation): otherwise no pod can
//! pass its limit nor the node its capacity, and it costs nothing.

use crate::api::event::EventType;
use crate::api::node::{ConditionStatus, NodeConditionType};
use crate::api::quantity::format_amount;
use crate::component::{Component, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, Incident, NodeId, PodId, Store, Watch};
use std::collections::BTreeMap;

/// How often the eviction manager and the OOM watch look (`housekeeping` and
/// `evictionMonitoringPeriod`, 10 s).
pub const MONITOR_PERIOD_MS: i64 = 10_000;
/// The hard eviction threshold `memory.available<100Mi`.
pub const THRESHOLD_BYTES: i64 = 100 << 20;
/// `evictionPressureTransitionPeriod`: how long MemoryPressure stays after the pressure.
pub const PRESSURE_TRANSITION_MS: i64 = 300_000;
/// From this priority a pod is critical and never evicted (`SystemCriticalPriority`).
const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// The monitor's tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look;

/// The OOM killer and the kubelets' eviction managers.
#[derive(Debug, Default)]
pub struct MemoryMonitor {
    active: bool,
    /// Nodes under MemoryPressure, with when the threshold was last met.
    pressure: BTreeMap<NodeId, SimTime>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, Look>;

/// A pod's memory limit (bytes): the sum of its containers' when each has one.
fn memory_limit(store: &Store, pod: PodId) -> Option<i64> {
    let c = &store.pod(pod).spec.containers;
    (!c.is_empty() && c.iter().all(|c| c.limits.memory > 0))
        .then(|| c.iter().map(|c| c.limits.memory).sum())
}

/// Whether some pod may use more memory than it requests.
fn memory_varies(store: &Store) -> bool {
    store.flows().iter().any(|f| {
        let t = &f.traffic;
        t.per_request.memory > 0.0 || t.per_pod.memory > 0.0
    })
}

impl MemoryMonitor {
    fn activate(&mut self, ctx: Ctx) {
        if !self.active {
            self.active = true;
            let next = (ctx.now().ms() / MONITOR_PERIOD_MS + 1) * MONITOR_PERIOD_MS;
            ctx.at(SimTime(next), Look);
        }
    }

    /// One look at every running pod and every node.
    fn look(&mut self, ctx: Ctx) {
        let now = ctx.now();
        let load = ctx.store.load(now, 0);
        let mut on_node: BTreeMap<NodeId, Vec<(PodId, i64)>> = BTreeMap::new();
        let mut oom = Vec::new();
        // The live pods of each node (not every pod ever created: a long run ends most).
        for n in 0..ctx.store.nodes().len() {
            let node = NodeId(n as u32);
            for &pod in ctx.store.pods_on_node(node) {
                if ctx.store.pod(pod).phase() != crate::api::Phase::Running {
                    continue;
                }
                let used = ctx.store.pod_usage(pod, &load).memory.round() as i64;
                if memory_limit(ctx.store, pod).is_some_and(|limit| used > limit) {
                    oom.push(pod);
                } else {
                    on_node.entry(node).or_default().push((pod, used));
                }
            }
        }
        for pod in oom {
            self.oom_kill(pod, ctx);
        }
        for (node, pods) in on_node {
            self.node_look(node, &pods, ctx);
        }
        // Pressure ends once the threshold has not been met for the transition period.
        let ended: Vec<NodeId> = (self.pressure.iter())
            .filter(|(_, met)| now.ms() - met.ms() >= PRESSURE_TRANSITION_MS)
            .map(|(&n, _)| n)
            .collect();
        for node in ended {
            self.pressure.remove(&node);
            ctx.store.set_node_condition(
                node,
                NodeConditionType::MemoryPressure,
                ConditionStatus::False,
            );
            node_event(node, "NodeHasSufficientMemory", ctx);
        }
        ctx.after(MONITOR_PERIOD_MS, Look);
    }

    /// The kernel kills the pod's containers: exit code 137, reason OOMKilled.
    fn oom_kill(&self, pod: PodId, ctx: Ctx) {
        ctx.store.incident(Incident::ContainersCrashed {
            pod,
            exit_code: crate::api::fault::SIGKILL_EXIT_CODE,
            oom: true,
        });
    }

    /// The eviction manager of one node: MemoryPressure and one eviction when
    /// `memory.available` is below the threshold.
    fn node_look(&mut self, node: NodeId, pods: &[(PodId, i64)], ctx: Ctx) {
        let capacity = ctx.store.node(node).capacity.memory;
        if capacity <= 0 || ctx.store.node_down_since(node).is_some() {
            return;
        }
        let available = capacity - pods.iter().map(|(_, u)| u).sum::<i64>();
        if available >= THRESHOLD_BYTES {
            return;
        }
        if self.pressure.insert(node, ctx.now()).is_none() {
            ctx.store.set_node_condition(
                node,
                NodeConditionType::MemoryPressure,
                ConditionStatus::True,
            );
            node_event(node, "NodeHasInsufficientMemory", ctx);
        }
        let Some(&(victim, used)) = rank(ctx.store, pods).first() else {
            return;
        };
        let p = ctx.store.pod(victim);
        let mut msg = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}. ",
            format_amount("memory", THRESHOLD_BYTES),
            format_amount("memory", available),
        );
        let request = p.spec.requests.memory;
        if used > request {
            let c = &p.spec.containers[0].name;
            msg.push_str(&format!(
                "Container {c} was using {}, request is {}, has larger consumption of memory. ",
                format_amount("memory", used),
                format_amount("memory", request),
            ));
        }
        ctx.record_pod(victim, EventType::Warning, "Evicted", msg);
        ctx.recorder.evicted(victim);
        ctx.store.incident(Incident::Evicted(victim));
    }
}

/// The eviction order under memory pressure (`rankMemoryPressure`): pods using more than
/// they request first, then lower priority, then larger usage above the request; critical
/// pods never.
fn rank(store: &Store, pods: &[(PodId, i64)]) -> Vec<(PodId, i64)> {
    let mut ranked: Vec<(PodId, i64)> = (pods.iter().copied())
        .filter(|&(p, _)| store.pod(p).spec.priority < SYSTEM_CRITICAL_PRIORITY)
        .collect();
    ranked.sort_by_key(|&(p, used)| {
        let s = &store.pod(p).spec;
        let over = used - s.requests.memory;
        (over <= 0, s.priority, std::cmp::Reverse(over), p)
    });
    ranked
}

/// `Node NAME status is now: REASON` (the kubelet's `recordNodeStatusEvent`).
fn node_event(node: NodeId, reason: &'static str, ctx: Ctx) {
    let name = ctx.store.node(node).meta.name.clone();
    let msg = format!("Node {name} status is now: {reason}");
    ctx.record(EventType::Normal, reason, format!("Node/{name}"), msg);
}

impl Component for MemoryMonitor {
    type Event = Look;

    fn name(&self) -> &str {
        "kubelet/memory"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[ChangeKind::PodCreated])
    }

    fn start(&mut self, ctx: Ctx) {
        if memory_varies(ctx.store) {
            self.activate(ctx);
        }
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        if let Change::PodCreated(pod) = *change
            && !self.active
            && ctx.store.pod(pod).spec.behaviour.memory_usage.is_some()
        {
            self.activate(ctx);
        }
    }

    fn handle(&mut self, _: Look, ctx: Ctx) {
        self.look(ctx);
    }
}
