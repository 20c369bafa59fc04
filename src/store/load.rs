//! What the outside world's requests (`spec.traffic`) do to the pods: each flow's rate, the
//! endpoints it reaches, what each pod serves and uses, and what goes unserved. The kubelets'
//! cAdvisor view of the pods (what metrics-server scrapes) and the Services' request figures
//! (what the sampler writes) are both read from here.
//!
//! Everything is a function of the store and the instant: nothing runs per request or per
//! second. A flow to a Service reaches the endpoints kube-proxy has programmed
//! ([`Store::proxy_endpoints`]); a flow to a Deployment or StatefulSet reaches its Ready pods
//! not being deleted. Each reached pod gets an equal share and serves at most its capacity
//! ([`crate::api::serving`]), none on a machine that stopped. Every running pod of the
//! target uses `perPod`; a reached pod adds `perRequest` × what it serves; CPU above the
//! pod's limit is throttled. A pod no flow reaches uses its `kubesim.io/cpu-usage` /
//! `kubesim.io/memory-usage` annotations, or else its requests; so does a reached pod for a
//! resource its flows give no cost for.

use super::{DeploymentId, PodId, ServiceId, StatefulSetId, Store};
use crate::api::Phase;
use crate::api::pod::Pod;
use crate::api::serving::{PodLoad, latency_quantile};
use crate::api::traffic::{TargetKind, Traffic};
use crate::engine::SimTime;
use rustc_hash::FxHashMap;

/// A `spec.traffic` entry and the object it reaches.
#[derive(Clone, Debug)]
pub struct Flow {
    /// As the scenario gives it.
    pub traffic: Traffic,
    /// What it reaches.
    pub target: FlowTarget,
}

/// The object a flow reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowTarget {
    /// A Service.
    Service(ServiceId),
    /// A Deployment.
    Deployment(DeploymentId),
    /// A StatefulSet.
    StatefulSet(StatefulSetId),
    /// Nothing: a series External metrics read.
    Series,
}

/// A flow's figures at an instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FlowLoad {
    /// Requests/s offered.
    pub offered: f64,
    /// Requests/s served.
    pub served: f64,
    /// Endpoints reached.
    pub endpoints: u32,
    /// Median response time (s), when a capacity is known and something is served.
    pub p50_s: Option<f64>,
    /// 99th percentile response time (s).
    pub p99_s: Option<f64>,
}

impl FlowLoad {
    /// Requests/s not served (0 when the shares' rounding is all that differs).
    pub fn unserved(&self) -> f64 {
        let d = self.offered - self.served;
        if d <= self.offered * 1e-9 { 0.0 } else { d }
    }
}

/// A pod's usage while the flows add up, and whether some flow costs it cpu, memory.
#[derive(Default)]
struct Costed {
    usage: PodUsage,
    cpu: bool,
    memory: bool,
}

impl Costed {
    /// Pod `p`'s usage in `pods`, marked as costed `(cpu, memory)` by the flow at hand.
    fn of(
        pods: &mut FxHashMap<PodId, Costed>,
        p: PodId,
        (cpu, memory): (bool, bool),
    ) -> &mut PodUsage {
        let c = pods.entry(p).or_default();
        c.cpu |= cpu;
        c.memory |= memory;
        &mut c.usage
    }
}

/// One pod's usage.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PodUsage {
    /// CPU, millicores.
    pub cpu_m: f64,
    /// Memory, bytes.
    pub memory: f64,
    /// Requests/s it serves.
    pub rps: f64,
}

/// Every flow's figures and the usage of every pod a flow reaches, at one instant.
#[derive(Clone, Debug, Default)]
pub struct Load {
    /// By flow, in scenario order.
    pub flows: Vec<FlowLoad>,
    /// Pods some flow reaches (running pods of a target), by id.
    pub pods: FxHashMap<PodId, PodUsage>,
}

impl Store {
    /// Adds a `spec.traffic` entry (at time 0, after the objects it names).
    pub fn add_traffic(&mut self, traffic: Traffic) {
        let target = match &traffic.target {
            None => FlowTarget::Series,
            Some(t) => {
                let found = match t.kind {
                    TargetKind::Service => self
                        .services
                        .find(&t.namespace, &t.name)
                        .map(FlowTarget::Service),
                    TargetKind::Deployment => self
                        .deployment_id(&t.namespace, &t.name)
                        .map(FlowTarget::Deployment),
                    TargetKind::StatefulSet => self
                        .stateful_set_id(&t.namespace, &t.name)
                        .map(FlowTarget::StatefulSet),
                };
                // The loader checked the target; one refused by a quota reaches nothing.
                found.unwrap_or(FlowTarget::Series)
            }
        };
        self.flows.push(Flow { traffic, target });
    }

    /// The flows, in scenario order.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    /// The flows' figures and the usage of the pods they reach at `now`, the rates averaged
    /// over the `window_ms` before it (what a counter read at both ends would give).
    pub fn load(&self, now: SimTime, window_ms: i64) -> Load {
        let targets: Vec<_> = (self.flows.iter())
            .map(|f| self.flow_pods(f.target))
            .collect();
        let mut flows = Vec::with_capacity(self.flows.len());
        let mut pods: FxHashMap<PodId, Costed> = FxHashMap::default();
        pods.reserve(targets.iter().map(|(members, _)| members.len()).sum());
        for (flow, (members, reached)) in self.flows.iter().zip(&targets) {
            let rate = flow
                .traffic
                .mean_rate(now.ms() - window_ms.max(0), now.ms());
            flows.push(self.flow_load(flow, rate, members, reached, &mut pods));
        }
        let pods = pods
            .into_iter()
            .map(|(pod, c)| {
                let mut usage = c.usage;
                // What no flow reaching the pod costs is its steady usage.
                if !c.cpu || !c.memory {
                    let steady = steady_usage(self.pod(pod));
                    if !c.cpu {
                        usage.cpu_m = steady.cpu_m;
                    }
                    if !c.memory {
                        usage.memory = steady.memory;
                    }
                }
                if let Some(limit) = cpu_limit(self.pod(pod)) {
                    usage.cpu_m = usage.cpu_m.min(limit as f64);
                }
                (pod, usage)
            })
            .collect();
        Load { flows, pods }
    }

    /// One flow at `rate`: adds its pods' usage into `pods`, and the resources it costs.
    fn flow_load(
        &self,
        flow: &Flow,
        rate: f64,
        members: &[PodId],
        reached: &[PodId],
        pods: &mut FxHashMap<PodId, Costed>,
    ) -> FlowLoad {
        let t = &flow.traffic;
        let cpu = t.per_pod.cpu_m > 0.0 || t.per_request.cpu_m > 0.0;
        let memory = t.per_pod.memory > 0.0 || t.per_request.memory > 0.0;
        let costs = (cpu, memory);
        for &m in members {
            let u = Costed::of(pods, m, costs);
            u.cpu_m += t.per_pod.cpu_m;
            u.memory += t.per_pod.memory;
        }
        let n = reached.len();
        if n == 0 {
            return FlowLoad {
                offered: rate,
                ..FlowLoad::default()
            };
        }
        let share = rate / n as f64;
        // Pods by capacity (bit pattern, so equal capacities group), for the latency mixture.
        let mut groups: Vec<(u64, u32, PodLoad)> = Vec::new();
        let mut served = 0.0;
        for &p in reached {
            // kube-proxy still sends a share to a pod whose machine stopped, until the node
            // lifecycle controller marks it not ready: those connections fail.
            let capacity = if self.on_stopped_machine(p) {
                Some(0.0)
            } else {
                self.capacity(p, t)
            };
            let l = PodLoad::new(share, capacity);
            served += l.served;
            let u = Costed::of(pods, p, costs);
            u.cpu_m += t.per_request.cpu_m * l.served;
            u.memory += t.per_request.memory * l.served;
            u.rps += l.served;
            let key = l.capacity.map_or(u64::MAX, f64::to_bits);
            match groups.iter_mut().find(|(k, _, _)| *k == key) {
                Some(g) => g.1 += 1,
                None => groups.push((key, 1, l)),
            }
        }
        let groups: Vec<(u32, PodLoad)> = groups.into_iter().map(|(_, n, l)| (n, l)).collect();
        FlowLoad {
            offered: rate,
            served,
            endpoints: n as u32,
            p50_s: latency_quantile(&groups, 0.5),
            p99_s: latency_quantile(&groups, 0.99),
        }
    }

    /// Requests/s pod `p` serves at most: `capacityPerPod`, and what its CPU limit leaves
    /// after the idle usage at `perRequest.cpu` each; `None` when neither is known.
    fn capacity(&self, p: PodId, t: &Traffic) -> Option<f64> {
        let by_cpu = cpu_limit(self.pod(p))
            .filter(|_| t.per_request.cpu_m > 0.0)
            .map(|limit| ((limit as f64 - t.per_pod.cpu_m) / t.per_request.cpu_m).max(0.0));
        match (t.capacity_per_pod, by_cpu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether pod `p` is bound to a node whose machine stopped (a crash, a power-off; not a
    /// network partition, whose pods keep serving).
    fn on_stopped_machine(&self, p: PodId) -> bool {
        self.pod(p).status.node.is_some_and(|n| {
            let n = super::NodeId(n);
            self.node_down_since(n).is_some() && !self.node_partitioned(n)
        })
    }

    /// A target's running pods, and those of them the requests reach.
    fn flow_pods(&self, target: FlowTarget) -> (Vec<PodId>, Vec<PodId>) {
        // A pod on a stopped machine uses nothing, but may still be reached (and fail).
        let api_running = |p: &PodId| self.pod(*p).status.phase == Some(Phase::Running);
        let running = |p: &PodId| api_running(p) && !self.on_stopped_machine(*p);
        match target {
            FlowTarget::Series => (Vec::new(), Vec::new()),
            FlowTarget::Service(svc) => {
                let e = self.endpoints(svc);
                let members = (e.ready.iter())
                    .chain(&e.serving_terminating)
                    .chain(&e.not_ready)
                    .copied()
                    .filter(running)
                    .collect();
                (members, self.proxy_endpoints(svc).to_vec())
            }
            FlowTarget::Deployment(_) | FlowTarget::StatefulSet(_) => {
                let pods: Vec<PodId> = self
                    .workload_pods(target)
                    .into_iter()
                    .filter(api_running)
                    .collect();
                let reached = (pods.iter().copied())
                    .filter(|&p| {
                        let pod = self.pod(p);
                        pod.status.ready && pod.status.terminating.is_none()
                    })
                    .collect();
                (pods.into_iter().filter(running).collect(), reached)
            }
        }
    }

    /// The live pods of a Deployment (through its ReplicaSets) or a StatefulSet.
    fn workload_pods(&self, target: FlowTarget) -> Vec<PodId> {
        match target {
            FlowTarget::Deployment(d) if self.deployment_is_live(d) => {
                let uid = &self.deployment(d).meta.uid;
                let mut pods = Vec::new();
                for &rs in self.replica_sets_of_controller(uid) {
                    pods.extend_from_slice(self.pods_of_controller(&self.replica_set(rs).meta.uid));
                }
                pods
            }
            FlowTarget::StatefulSet(s) if self.stateful_set_is_live(s) => self
                .pods_of_controller(&self.stateful_set(s).meta.uid)
                .to_vec(),
            _ => Vec::new(),
        }
    }

    /// What a pod uses at `now` given the flows' `load`: the flows' figures for a pod they
    /// reach, else its steady usage.
    pub fn pod_usage(&self, pod: PodId, load: &Load) -> PodUsage {
        if let Some(u) = load.pods.get(&pod) {
            return *u;
        }
        match self.seeded_metrics.get(&pod) {
            Some(seeded) => PodUsage {
                cpu_m: seeded.iter().map(|c| c.cpu_m as f64).sum(),
                memory: seeded.iter().map(|c| c.memory as f64).sum(),
                rps: 0.0,
            },
            None => steady_usage(self.pod(pod)),
        }
    }
}

/// A pod's CPU limit (millicores): the sum of its containers' limits when every container
/// has one; `None` when some container may use the whole node.
pub fn cpu_limit(pod: &Pod) -> Option<i64> {
    let c = &pod.spec.containers;
    (!c.is_empty() && c.iter().all(|c| c.limits.cpu_m > 0))
        .then(|| c.iter().map(|c| c.limits.cpu_m).sum())
}

/// A pod's usage when no traffic reaches it: its `kubesim.io/*-usage` annotations, else its
/// requests.
pub fn steady_usage(pod: &Pod) -> PodUsage {
    let b = &pod.spec.behaviour;
    PodUsage {
        cpu_m: b.cpu_usage_m.unwrap_or(pod.spec.requests.cpu_m) as f64,
        memory: b.memory_usage.unwrap_or(pod.spec.requests.memory) as f64,
        rps: 0.0,
    }
}
