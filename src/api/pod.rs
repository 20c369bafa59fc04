//! Pod: spec, status and the effective resource request the scheduler uses
//! (`staging/src/k8s.io/component-helpers/resource/helpers.go`).

use super::affinity::NodeAffinity;
use super::distribution::Distribution;
use super::meta::ObjectMeta;
use super::pod_affinity::{PodAffinity, TopologySpreadConstraint};
use super::probe::Probe;
use super::resources::{ResourceName, Resources};
use super::selector::Labels;
use super::taint::Toleration;
use crate::engine::SimTime;
use std::sync::Arc;

/// CPU counted for a regular container with no CPU request, for scoring only (100m).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory counted for a regular container with no memory request, for scoring only (200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// The default scheduler name.
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";

/// A container (regular or init).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    /// Container name (shared: thousands of pods copy one template).
    pub name: Arc<str>,
    /// Image reference.
    pub image: Arc<str>,
    /// `resources.requests` (a request left out takes its limit's value).
    pub requests: Resources,
    /// `resources.limits` (what is not limited is zero).
    pub limits: Resources,
    /// Whether a cpu request was written (an explicit 0 stays 0 for scoring).
    pub cpu_request_set: bool,
    /// Whether a memory request was written.
    pub memory_request_set: bool,
    /// An init container with `restartPolicy: Always` (a sidecar).
    pub sidecar: bool,
    /// `imagePullPolicy`, defaulted from the image as upstream.
    pub pull_policy: PullPolicy,
    /// `startupProbe`.
    pub startup_probe: Option<Probe>,
    /// `readinessProbe`.
    pub readiness_probe: Option<Probe>,
}

/// `imagePullPolicy` (`pkg/kubelet/images/image_manager.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull on every container start, present or not.
    Always,
    /// Pull only when the node lacks the image.
    IfNotPresent,
    /// Never pull: the container cannot start without the image (`ErrImageNeverPull`).
    Never,
}

impl PullPolicy {
    /// Upstream's default (`SetDefaults_Container` in `pkg/apis/core/v1/defaults.go`):
    /// `Always` for the tag `latest`, or no tag and no digest; `IfNotPresent` otherwise.
    pub fn default_for(image: &str) -> PullPolicy {
        let (name, digest) = match image.split_once('@') {
            Some((n, _)) => (n, true),
            None => (image, false),
        };
        // A tag follows the last ':' after the last '/' (a registry may carry a port).
        let last = name.rsplit('/').next().unwrap_or(name);
        let tag = last.rsplit_once(':').map(|(_, t)| t);
        match tag {
            Some("latest") => PullPolicy::Always,
            None if !digest => PullPolicy::Always,
            _ => PullPolicy::IfNotPresent,
        }
    }

    /// Parses the upstream spelling.
    pub fn parse(s: &str) -> Option<PullPolicy> {
        match s {
            "Always" => Some(PullPolicy::Always),
            "IfNotPresent" => Some(PullPolicy::IfNotPresent),
            "Never" => Some(PullPolicy::Never),
            _ => None,
        }
    }
}

/// `spec.restartPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Restart containers whatever their exit code (the default).
    Always,
    /// Restart containers that exit non-zero.
    OnFailure,
    /// Never restart: the pod ends Succeeded or Failed.
    Never,
}

/// `spec.preemptionPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreemptionPolicy {
    /// May preempt lower-priority pods (the default).
    PreemptLowerPriority,
    /// Never preempts.
    Never,
}

/// Pod phase (`status.phase`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Accepted, containers not all running yet (includes unscheduled pods).
    Pending,
    /// Bound and at least one container running.
    Running,
    /// All containers exited 0 and will not restart.
    Succeeded,
    /// All containers ended, at least one in failure.
    Failed,
}

impl Phase {
    /// The upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }

    /// Succeeded or Failed.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

/// Simulated behaviour of a pod's containers, from `kubesim.io/*` annotations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Behaviour {
    /// `kubesim.io/duration`: containers exit after this long; `None` runs until deleted.
    pub duration: Option<Distribution>,
    /// `kubesim.io/exit-code` (default 0).
    pub exit_code: i32,
    /// `kubesim.io/startup`: time from container start to Ready.
    pub startup: Option<Distribution>,
    /// `kubesim.io/cpu-usage` in millicores (default: the request).
    pub cpu_usage_m: Option<i64>,
    /// `kubesim.io/memory-usage` in bytes (default: the request).
    pub memory_usage: Option<i64>,
    /// `kubesim.io/ungate-after`: the scheduling gates are removed this long after creation.
    pub ungate_after: Option<Distribution>,
    /// `kubesim.io/init-duration`: how long each regular init container runs before it
    /// exits 0 (default: it exits as soon as it started).
    pub init_duration: Option<Distribution>,
}

/// `ports[].protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// Parses the upstream spelling.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

/// The host IP that binds every address.
pub const BIND_ALL_HOST_IP: &str = "0.0.0.0";

/// A port a container takes on its node (`ports[]` with a `hostPort`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    /// `hostIP`, [`BIND_ALL_HOST_IP`] when not given.
    pub ip: Arc<str>,
    /// `protocol`.
    pub protocol: Protocol,
    /// `hostPort`, 1..=65535.
    pub port: u16,
}

/// A pod volume backed by a PersistentVolumeClaim (other volume sources are not modelled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodVolume {
    /// `volumes[].name`.
    pub name: Arc<str>,
    /// `volumes[].persistentVolumeClaim.claimName`, in the pod's namespace.
    pub claim_name: Arc<str>,
}

/// A pod spec with its derived scheduling data. Shared (`Arc`) by all pods of one template.
#[derive(Clone, Debug, PartialEq)]
pub struct PodSpec {
    /// Regular containers.
    pub containers: Vec<Container>,
    /// Init containers (sidecars included, marked).
    pub init_containers: Vec<Container>,
    /// `spec.overhead`.
    pub overhead: Resources,
    /// `spec.resources.requests` (pod-level resources: cpu, memory, `hugepages-*`), sorted by
    /// name; each replaces the containers' aggregate for that resource.
    pub pod_requests: Vec<(ResourceName, i64)>,
    /// `spec.nodeName` as written in the manifest.
    pub node_name: Option<String>,
    /// `spec.nodeSelector`.
    pub node_selector: Labels,
    /// `spec.affinity.nodeAffinity`.
    pub node_affinity: Option<NodeAffinity>,
    /// `spec.tolerations`.
    pub tolerations: Vec<Toleration>,
    /// `spec.affinity.podAffinity` and `podAntiAffinity` (`None` when neither has a term).
    pub pod_affinity: Option<PodAffinity>,
    /// `spec.topologySpreadConstraints`.
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// Resolved priority (from `priority`, the class, or the global default; 0 otherwise).
    pub priority: i32,
    /// `spec.priorityClassName`.
    pub priority_class_name: Option<String>,
    /// Resolved preemption policy.
    pub preemption_policy: PreemptionPolicy,
    /// `spec.schedulerName`.
    pub scheduler_name: Arc<str>,
    /// `spec.restartPolicy`.
    pub restart_policy: RestartPolicy,
    /// `spec.terminationGracePeriodSeconds`, ms (default 30 s).
    pub termination_grace_ms: i64,
    /// `spec.schedulingGates` names.
    pub scheduling_gates: Vec<String>,
    /// Host ports of the containers and sidecars (upstream `GetHostPorts`).
    pub host_ports: Vec<HostPort>,
    /// PersistentVolumeClaim volumes.
    pub volumes: Vec<PodVolume>,
    /// kubesim behaviour annotations.
    pub behaviour: Behaviour,
    /// Effective request (init containers, sidecars, overhead), no defaults.
    pub requests: Resources,
    /// CPU request with the non-zero default for scoring.
    pub nonzero_cpu_m: i64,
    /// Memory request with the non-zero default for scoring.
    pub nonzero_memory: i64,
}

impl PodSpec {
    /// Builds a spec and computes its effective requests.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        containers: Vec<Container>,
        init_containers: Vec<Container>,
        overhead: Resources,
        node_selector: Labels,
        node_affinity: Option<NodeAffinity>,
        tolerations: Vec<Toleration>,
        scheduler_name: impl Into<Arc<str>>,
        restart_policy: RestartPolicy,
    ) -> PodSpec {
        let mut spec = PodSpec {
            containers,
            init_containers,
            overhead,
            pod_requests: Vec::new(),
            node_name: None,
            node_selector,
            node_affinity,
            tolerations,
            pod_affinity: None,
            topology_spread_constraints: Vec::new(),
            priority: 0,
            priority_class_name: None,
            preemption_policy: PreemptionPolicy::PreemptLowerPriority,
            scheduler_name: scheduler_name.into(),
            restart_policy,
            termination_grace_ms: 30_000,
            scheduling_gates: Vec::new(),
            host_ports: Vec::new(),
            volumes: Vec::new(),
            behaviour: Behaviour::default(),
            requests: Resources::default(),
            nonzero_cpu_m: 0,
            nonzero_memory: 0,
        };
        spec.recompute_requests();
        spec
    }

    /// Recomputes the derived requests after containers or overhead changed.
    pub fn recompute_requests(&mut self) {
        let requests = |nonzero| {
            let mut r = effective_requests(
                &self.containers,
                &self.init_containers,
                &Resources::default(),
                nonzero,
            );
            for (name, value) in &self.pod_requests {
                r.set(name, *value);
            }
            r.add(&self.overhead);
            r
        };
        self.requests = requests(false);
        let nz = requests(true);
        self.nonzero_cpu_m = nz.cpu_m;
        self.nonzero_memory = nz.memory;
    }

    /// The image of every container, init containers first.
    pub fn images(&self) -> impl Iterator<Item = &Arc<str>> {
        self.init_containers
            .iter()
            .chain(&self.containers)
            .map(|c| &c.image)
    }
}

/// Effective pod request: `max(Σ regular + Σ sidecars, max_i(init_i + sidecars before i)) +
/// overhead` (pod-level requests, which replace the aggregate, are applied by
/// [`PodSpec::recompute_requests`]). With `nonzero`, regular containers without a cpu / memory request count
/// [`DEFAULT_MILLI_CPU_REQUEST`] / [`DEFAULT_MEMORY_REQUEST`].
pub fn effective_requests(
    containers: &[Container],
    init_containers: &[Container],
    overhead: &Resources,
    nonzero: bool,
) -> Resources {
    let mut sum = Resources::default();
    for c in containers {
        let mut r = c.requests.clone();
        if nonzero {
            if !c.cpu_request_set {
                r.cpu_m = DEFAULT_MILLI_CPU_REQUEST;
            }
            if !c.memory_request_set {
                r.memory = DEFAULT_MEMORY_REQUEST;
            }
        }
        sum.add(&r);
    }
    let mut sidecars = Resources::default();
    let mut init_max = Resources::default();
    for c in init_containers {
        if c.sidecar {
            sidecars.add(&c.requests);
            sum.add(&c.requests);
        } else {
            let mut r = c.requests.clone();
            r.add(&sidecars);
            init_max.max_with(&r);
        }
    }
    sum.max_with(&init_max);
    sum.add(overhead);
    sum
}

/// A pod object: metadata, shared spec and status.
#[derive(Clone, Debug)]
pub struct Pod {
    /// Name, namespace, labels, owner.
    pub meta: ObjectMeta,
    /// The spec (shared by pods of one template).
    pub spec: Arc<PodSpec>,
    /// Lifecycle status.
    pub status: PodStatus,
}

/// A running pod of a snapshot: what the kubelet takes up at time 0 instead of starting it
/// (times on the simulated clock, before 0 when in the past).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resume {
    /// When it was bound (its PodScheduled condition; else its creation).
    pub scheduled: SimTime,
    /// When its Ready condition turned True, if it is Ready.
    pub ready_since: Option<SimTime>,
    /// Its `metadata.deletionTimestamp`: it is being deleted and goes by then.
    pub delete_by: Option<SimTime>,
}

/// What happened to a pod and when.
#[derive(Clone, Debug, Default)]
pub struct PodStatus {
    /// Phase.
    pub phase: Option<Phase>,
    /// Node index in the store, once bound.
    pub node: Option<u32>,
    /// Created (entered the API server).
    pub created: SimTime,
    /// Bound to a node.
    pub scheduled: Option<SimTime>,
    /// First container started (phase Running).
    pub started: Option<SimTime>,
    /// The Ready condition.
    pub ready: bool,
    /// When the pod first became Ready.
    pub first_ready: Option<SimTime>,
    /// `lastTransitionTime` of the Ready condition while it is True (a workload counts the
    /// pod available `minReadySeconds` after it).
    pub ready_since: Option<SimTime>,
    /// Reached Succeeded or Failed.
    pub finished: Option<SimTime>,
    /// Deleted from the API server.
    pub deleted: Option<SimTime>,
    /// Deletion requested (`metadata.deletionTimestamp`): the pod keeps its node until its
    /// grace period ends.
    pub terminating: Option<SimTime>,
    /// `status.nominatedNodeName`: the node preemption freed for this pod (node index).
    pub nominated_node: Option<u32>,
    /// Scheduling attempts so far.
    pub scheduling_attempts: u32,
    /// Container restarts.
    pub restarts: u32,
    /// Last reason (e.g. `Unschedulable`, `Completed`, `Error`).
    pub reason: Option<&'static str>,
    /// A snapshot's running pod, taken up as it is (`None` for every pod the run starts).
    pub resume: Option<Box<Resume>>,
    /// Set when the pod ended and its spec was released to save memory: the cpu request
    /// (millicores), memory request (bytes) and priority the outputs still report.
    pub released: Option<(i64, i64, i32)>,
}

impl Pod {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.meta.namespace, self.meta.name)
    }

    /// Effective cpu request (millicores), memory request (bytes) and priority, also after
    /// the spec was released.
    pub fn request_record(&self) -> (i64, i64, i32) {
        self.status.released.unwrap_or((
            self.spec.requests.cpu_m,
            self.spec.requests.memory,
            self.spec.priority,
        ))
    }

    /// The current phase (Pending until told otherwise).
    pub fn phase(&self) -> Phase {
        self.status.phase.unwrap_or(Phase::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(cpu: Option<i64>, mem: Option<i64>, sidecar: bool) -> Container {
        Container {
            name: "c".into(),
            image: "img".into(),
            requests: Resources {
                cpu_m: cpu.unwrap_or(0),
                memory: mem.unwrap_or(0),
                ..Default::default()
            },
            cpu_request_set: cpu.is_some(),
            limits: Resources::default(),
            memory_request_set: mem.is_some(),
            sidecar,
            pull_policy: PullPolicy::IfNotPresent,
            startup_probe: None,
            readiness_probe: None,
        }
    }

    #[test]
    fn init_container_max_against_sum() {
        let r = effective_requests(
            &[c(Some(100), Some(10), false), c(Some(200), Some(10), false)],
            &[c(Some(500), Some(5), false)],
            &Resources::default(),
            false,
        );
        assert_eq!((r.cpu_m, r.memory), (500, 20));
    }

    #[test]
    fn sidecars_add_to_sum_and_to_later_inits() {
        // sidecar 100 then init 300: init needs 300+100 = 400; regular 200 + sidecar 100 = 300.
        let r = effective_requests(
            &[c(Some(200), None, false)],
            &[c(Some(100), None, true), c(Some(300), None, false)],
            &Resources::default(),
            false,
        );
        assert_eq!(r.cpu_m, 400);
        // init declared before the sidecar does not count it.
        let r = effective_requests(
            &[c(Some(200), None, false)],
            &[c(Some(300), None, false), c(Some(100), None, true)],
            &Resources::default(),
            false,
        );
        assert_eq!(r.cpu_m, 300);
    }

    #[test]
    fn overhead_is_added() {
        let oh = Resources {
            cpu_m: 50,
            ..Default::default()
        };
        let r = effective_requests(&[c(Some(100), None, false)], &[], &oh, false);
        assert_eq!(r.cpu_m, 150);
    }

    #[test]
    fn nonzero_defaults_only_for_missing_requests() {
        let r = effective_requests(
            &[c(None, None, false), c(Some(0), Some(0), false)],
            &[],
            &Resources::default(),
            true,
        );
        assert_eq!(r.cpu_m, DEFAULT_MILLI_CPU_REQUEST);
        assert_eq!(r.memory, DEFAULT_MEMORY_REQUEST);
        let r = effective_requests(&[], &[], &Resources::default(), true);
        assert!(r.is_zero(), "a pod with no containers requests nothing");
    }
}
