//! The resolved scenario: plain typed data, validated, nothing running yet.

use crate::api::apps::{Condition, DaemonSetSpec, DeploymentSpec, ReplicaSetSpec, StatefulSetSpec};
use crate::api::arrival::Source;
use crate::api::disruption::PodDisruptionBudget;
use crate::api::kubelet::{KubeletTimings, SchedulerTimings};
use crate::api::output::{EventRows, PodRows};
use crate::api::pod::Pod;
use crate::api::scheduler_config::SchedulerConfig;
use crate::api::service::Service;
use crate::api::volume::{PersistentVolumeClaimSpec, PersistentVolumeSpec, StorageClass};
use crate::api::{JobSpec, Labels, Node, ObjectMeta, PriorityClass};
use crate::engine::SimTime;
use std::collections::BTreeMap;

/// Output options of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputOptions {
    /// Metric sampling interval, ms (default 15 s).
    pub metrics_interval_ms: i64,
    /// Draw plots and `report.html`; `None` decides after the run ([`PLOT_EVENTS_LIMIT`]).
    pub plots: Option<bool>,
    /// Write `scheduling.jsonl`.
    pub explain: bool,
    /// Which Events `events.csv` holds.
    pub events: EventRows,
    /// Which pods `pods.csv` holds.
    pub pods: PodRows,
    /// Write each node's series (`node/NAME`); `None` decides by size
    /// ([`NODE_SAMPLES_LIMIT`]).
    pub node_metrics: Option<bool>,
    /// Write each running pod's usage series (`pod/NS/NAME`, for the pods `pods` keeps).
    pub pod_metrics: bool,
}

/// Without `output.plots`, a run draws its plots when it processed fewer events than this.
pub const PLOT_EVENTS_LIMIT: u64 = 1_000_000;

/// Without `output.nodeMetrics`, per-node series are written when nodes x samples stays
/// within this (two rows each: about 70 MB).
pub const NODE_SAMPLES_LIMIT: u64 = 1_000_000;

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            metrics_interval_ms: 15_000,
            plots: None,
            explain: false,
            events: EventRows::All,
            pods: PodRows::All,
            node_metrics: None,
            pod_metrics: false,
        }
    }
}

/// A Job given as a manifest, created at time 0.
#[derive(Clone, Debug)]
pub struct JobManifest {
    /// Name and namespace.
    pub meta: ObjectMeta,
    /// Spec.
    pub spec: JobSpec,
}

/// A workload given as a manifest (a ReplicaSet, a Deployment), created at time 0.
#[derive(Clone, Debug)]
pub struct WorkloadManifest<S> {
    /// Name, namespace, labels, annotations.
    pub meta: ObjectMeta,
    /// Spec.
    pub spec: S,
    /// What a snapshot says of it that its controller does not recompute.
    pub restored: Restored,
}

/// What a snapshot's workload keeps beyond its spec: its `metadata.generation`, a
/// Deployment's conditions (the progress deadline runs from `Progressing`'s last update) and
/// `collisionCount` (it names the next ReplicaSet), and the replica counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    /// `metadata.generation` (1 when not given).
    pub generation: u64,
    /// `status.conditions` of a Deployment.
    pub conditions: Vec<Condition>,
    /// `status.collisionCount` of a Deployment.
    pub collision_count: Option<u32>,
    /// The replica counts of a Deployment's or ReplicaSet's status.
    pub counts: Option<ReplicaCounts>,
}

/// The replica counts of a workload's status (a ReplicaSet has no `updatedReplicas` nor
/// `unavailableReplicas`: 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaCounts {
    /// `replicas`.
    pub replicas: u32,
    /// `updatedReplicas` (a Deployment's).
    pub updated: u32,
    /// `readyReplicas`.
    pub ready: u32,
    /// `availableReplicas`.
    pub available: u32,
    /// `unavailableReplicas` (a Deployment's).
    pub unavailable: u32,
}

impl Default for Restored {
    fn default() -> Self {
        Restored {
            generation: 1,
            conditions: Vec::new(),
            collision_count: None,
            counts: None,
        }
    }
}

/// A HorizontalPodAutoscaler given as a manifest, with what a snapshot says of it.
#[derive(Clone, Debug)]
pub struct HpaManifest {
    /// The HPA (`autoscaling/v1` converted to v2), defaulted.
    pub hpa: crate::api::hpa::HorizontalPodAutoscaler,
    /// `metadata.creationTimestamp` on the simulated clock (0 when not given).
    pub created: SimTime,
    /// `status` as a snapshot gives it (replicas, last scale time, readings, conditions);
    /// `None` when not given: the first sync writes it.
    pub status: Option<crate::api::hpa::HpaStatus>,
}

/// A PersistentVolume given as a manifest.
#[derive(Clone, Debug)]
pub struct VolumeManifest {
    /// Name and labels.
    pub meta: ObjectMeta,
    /// Spec.
    pub spec: PersistentVolumeSpec,
}

/// A PersistentVolumeClaim given as a manifest (class defaulted).
#[derive(Clone, Debug)]
pub struct ClaimManifest {
    /// Name and namespace.
    pub meta: ObjectMeta,
    /// Spec.
    pub spec: PersistentVolumeClaimSpec,
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `metadata.name` of the Simulation.
    pub name: String,
    /// `kubesim.io/description`.
    pub description: String,
    /// Translations of the description (`kubesim.io/description.LANG`): language tag and
    /// text, sorted by tag.
    pub translations: Vec<(String, String)>,
    /// Seed of every random stream.
    pub seed: u64,
    /// Simulated duration.
    pub duration: SimTime,
    /// Nodes (pool nodes first, in pool order, then Node manifests in file order).
    pub nodes: Vec<Node>,
    /// Pods given as manifests (bound ones have `status.node` unset but `spec.node_name` set).
    pub pods: Vec<Pod>,
    /// Jobs given as manifests.
    pub jobs: Vec<JobManifest>,
    /// ReplicaSets and ReplicationControllers given as manifests.
    pub replica_sets: Vec<WorkloadManifest<ReplicaSetSpec>>,
    /// Deployments given as manifests.
    pub deployments: Vec<WorkloadManifest<DeploymentSpec>>,
    /// DaemonSets given as manifests.
    pub daemon_sets: Vec<WorkloadManifest<DaemonSetSpec>>,
    /// StatefulSets given as manifests.
    pub stateful_sets: Vec<WorkloadManifest<StatefulSetSpec>>,
    /// ResourceQuotas.
    pub quotas: Vec<crate::api::admission::ResourceQuota>,
    /// LimitRanges.
    pub limit_ranges: Vec<crate::api::admission::LimitRange>,
    /// StorageClasses.
    pub storage_classes: Vec<StorageClass>,
    /// PersistentVolumes given as manifests.
    pub volumes: Vec<VolumeManifest>,
    /// PersistentVolumeClaims given as manifests.
    pub claims: Vec<ClaimManifest>,
    /// PriorityClasses (built-in ones included).
    pub priority_classes: Vec<PriorityClass>,
    /// Namespaces (default ones included).
    pub namespaces: Vec<String>,
    /// Labels of the Namespace objects given (by name).
    pub namespace_labels: BTreeMap<String, Labels>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<PodDisruptionBudget>,
    /// Services.
    pub services: Vec<Service>,
    /// HorizontalPodAutoscalers (`autoscaling/v1` ones converted to v2), defaulted, in the
    /// order of their documents; each names a workload of its namespace given in the scenario.
    pub hpas: Vec<HpaManifest>,
    /// The usage `PodMetrics` documents give the scenario's pods.
    pub pod_metrics: Vec<crate::api::metrics::PodUsageSeed>,
    /// The scheduler configuration (default profile when none was given).
    pub scheduler: SchedulerConfig,
    /// Kubelet timings.
    pub timings: KubeletTimings,
    /// How long a scheduling cycle and a binding take.
    pub scheduler_timings: SchedulerTimings,
    /// Work arriving over time.
    pub arrivals: Vec<Source>,
    /// `spec.traffic`, in order.
    pub traffic: Vec<crate::api::traffic::Traffic>,
    /// The HPA controller's and metrics-server's settings.
    pub autoscaling: crate::api::hpa::ControllerSettings,
    /// kubectl commands at simulated times, in time order.
    pub timeline: Vec<crate::api::kubectl::TimedCommand>,
    /// `spec.timeline`'s faults, in time order.
    pub faults: Vec<crate::api::fault::TimedFault>,
    /// `spec.faults`: random failures, one generator each.
    pub fault_generators: Vec<crate::api::fault::FaultGenerator>,
    /// `spec.startTime`: the wall-clock instant of t = 0, ms since the Unix epoch.
    pub start_unix_ms: i64,
    /// Output options.
    pub output: OutputOptions,
    /// Warnings found while loading (one line each).
    pub warnings: Vec<String>,
}

impl Scenario {
    /// Whether the run has faults, scripted (`timeline`) or random (`spec.faults`).
    pub fn has_faults(&self) -> bool {
        !self.faults.is_empty() || !self.fault_generators.is_empty()
    }

    /// Whether a run writes each node's series: as `output.nodeMetrics` says, or when
    /// nodes x samples stays within [`NODE_SAMPLES_LIMIT`].
    pub fn writes_node_metrics(&self) -> bool {
        self.output
            .node_metrics
            .unwrap_or_else(|| self.nodes.len() as u64 * self.samples() <= NODE_SAMPLES_LIMIT)
    }

    /// Metric samples over the whole duration (the first at 0).
    pub fn samples(&self) -> u64 {
        (self.duration.ms() / self.output.metrics_interval_ms.max(1)).max(0) as u64 + 1
    }

    /// A copy in which every pod, pod template, Job template and trace row names the
    /// scheduler profile `name` (`spec.schedulerName`), so that one profile schedules the
    /// whole workload. The caller checks that the profile exists.
    pub fn with_scheduler_name(&self, name: &str) -> Scenario {
        use crate::api::arrival::ArrivalTemplate;
        use std::sync::Arc;
        let name: Arc<str> = Arc::from(name);
        let set = |spec: &mut Arc<crate::api::pod::PodSpec>| {
            if spec.scheduler_name != name {
                Arc::make_mut(spec).scheduler_name = name.clone();
            }
        };
        let mut s = self.clone();
        for pod in &mut s.pods {
            set(&mut pod.spec);
        }
        for job in &mut s.jobs {
            set(&mut job.spec.template);
        }
        for rs in &mut s.replica_sets {
            set(&mut rs.spec.template.spec);
        }
        for d in &mut s.deployments {
            set(&mut d.spec.template.spec);
        }
        for d in &mut s.daemon_sets {
            set(&mut d.spec.template.spec);
        }
        for d in &mut s.stateful_sets {
            set(&mut d.spec.template.spec);
        }
        for source in &mut s.arrivals {
            match source {
                Source::Stream(a) => match &mut a.template {
                    ArrivalTemplate::Pod { spec, .. } => set(spec),
                    ArrivalTemplate::Job { spec, .. } => set(&mut spec.template),
                },
                Source::Trace { base, .. } => set(base),
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::api::arrival::{ArrivalTemplate, Source};
    use std::path::Path;

    fn load(name: &str) -> super::Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        crate::scenario::load_scenario(&[path]).expect("shipped scenario loads")
    }

    #[test]
    fn with_scheduler_name_reaches_pods_jobs_streams_and_traces() {
        for file in ["quickstart.yaml", "bin-packing.yaml", "trace-replay.yaml"] {
            let s = load(file);
            let t = s.with_scheduler_name("other");
            let mut names: Vec<&str> = Vec::new();
            names.extend(t.pods.iter().map(|p| &*p.spec.scheduler_name));
            names.extend(t.jobs.iter().map(|j| &*j.spec.template.scheduler_name));
            for src in &t.arrivals {
                names.push(match src {
                    Source::Stream(a) => match &a.template {
                        ArrivalTemplate::Pod { spec, .. } => &spec.scheduler_name,
                        ArrivalTemplate::Job { spec, .. } => &spec.template.scheduler_name,
                    },
                    Source::Trace { base, .. } => &base.scheduler_name,
                });
            }
            assert!(!names.is_empty(), "{file}");
            assert!(names.iter().all(|n| *n == "other"), "{file}: {names:?}");
            assert!(
                s.pods.iter().all(|p| &*p.spec.scheduler_name != "other"),
                "the original is unchanged"
            );
        }
    }
}
