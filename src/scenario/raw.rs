//! Serde mirrors of the manifests kubesim reads (Kubernetes objects, the
//! scheduler configuration and the `Simulation` document).
//!
//! These types only capture the *shape* of the input: field names are the
//! Kubernetes camelCase ones, unknown fields are ignored, and leaves that need
//! further parsing (quantities, durations, distributions, operators, weights)
//! are kept as text or numbers wrapped in [`Spanned`] so the caller can point
//! at them when conversion fails.
//!
//! **Locations in [`Spanned`] are relative to the document text**, not to the
//! file: line 1 is the first line of the document as returned by
//! `documents::split_documents` (also the `line` of the `Located` wrapper).
//! Use [`abs_line`] to turn them into file lines.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

/// A value together with where it appears (lines relative to its document).
pub use serde_saphyr::Spanned;

/// The position type carried by [`Spanned`] (`.line()` / `.column()`, 1-based, 0 = unknown).
pub use serde_saphyr::Location as SpanLocation;

/// Converts a document-relative line (as found in [`Spanned`]) into a file line.
///
/// `doc_first_line` is the file line of the document's first line (the
/// `line` of `Located`). A relative line of 0 means "unknown" and yields 0.
pub fn abs_line(doc_first_line: u32, rel_line: u64) -> u32 {
    if rel_line == 0 {
        return 0;
    }
    let rel = u32::try_from(rel_line).unwrap_or(u32::MAX);
    doc_first_line.saturating_add(rel - 1)
}

/// File line and column of a [`Spanned`] leaf, given its document's first line.
pub fn abs_position<T>(doc_first_line: u32, leaf: &Spanned<T>) -> (u32, u32) {
    let column = u32::try_from(leaf.referenced.column()).unwrap_or(u32::MAX);
    (abs_line(doc_first_line, leaf.referenced.line()), column)
}

/// Text of a Kubernetes quantity; accepts a YAML string, integer or float and
/// keeps the spelling (`cpu: 0.5` -> `"0.5"`, `memory: 128974848` -> `"128974848"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct QuantityText(pub String);

impl QuantityText {
    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QuantityText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for QuantityText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = QuantityText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity (a string or a number, e.g. 500m, 2, 1Gi)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_string()))
            }
        }
        // The YAML deserializer hands any scalar's original text to a string
        // request; other deserializers may call the numeric visitors.
        d.deserialize_string(V)
    }
}

/// Resource quantities by resource name (`cpu`, `memory`, `nvidia.com/gpu`, ...).
pub type Quantities = BTreeMap<String, Spanned<QuantityText>>;

/// Marker for a field that is accepted but not modelled yet; only its presence is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IgnoredPresence;

impl<'de> Deserialize<'de> for IgnoredPresence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| IgnoredPresence)
    }
}

/// One recognised manifest.
#[derive(Clone, Debug, PartialEq)]
pub enum Manifest {
    /// `kubesim.io/v1alpha1` `Simulation`.
    Simulation(Box<Simulation>),
    /// `v1` `Node`.
    Node(Box<Node>),
    /// `v1` `Pod`.
    Pod(Box<Pod>),
    /// `batch/v1` `Job`.
    Job(Box<Job>),
    /// `scheduling.k8s.io/v1` `PriorityClass`.
    PriorityClass(PriorityClass),
    /// `v1` `Namespace`.
    Namespace(Namespace),
    /// `policy/v1` `PodDisruptionBudget`.
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    /// `v1` `Service`.
    Service(Box<Service>),
    /// `kubescheduler.config.k8s.io/v1` `KubeSchedulerConfiguration`.
    KubeSchedulerConfiguration(Box<KubeSchedulerConfiguration>),
    /// `v1` `PersistentVolume`.
    PersistentVolume(Box<PersistentVolume>),
    /// `v1` `PersistentVolumeClaim`.
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    /// `storage.k8s.io/v1` `StorageClass`.
    StorageClass(Box<StorageClass>),
    /// Reserved; the loader never produces it (unknown kinds become warnings).
    Other {
        /// The object's kind.
        kind: String,
    },
}

impl Manifest {
    /// The manifest's kind as written in YAML.
    pub fn kind(&self) -> &str {
        match self {
            Manifest::Simulation(_) => "Simulation",
            Manifest::Node(_) => "Node",
            Manifest::Pod(_) => "Pod",
            Manifest::Job(_) => "Job",
            Manifest::PriorityClass(_) => "PriorityClass",
            Manifest::Namespace(_) => "Namespace",
            Manifest::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Manifest::Service(_) => "Service",
            Manifest::KubeSchedulerConfiguration(_) => "KubeSchedulerConfiguration",
            Manifest::PersistentVolume(_) => "PersistentVolume",
            Manifest::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Manifest::StorageClass(_) => "StorageClass",
            Manifest::Other { kind } => kind,
        }
    }

    /// The object's metadata, if it has any.
    pub fn metadata(&self) -> Option<&ObjectMeta> {
        match self {
            Manifest::Simulation(s) => Some(&s.metadata),
            Manifest::Node(n) => Some(&n.metadata),
            Manifest::Pod(p) => Some(&p.metadata),
            Manifest::Job(j) => Some(&j.metadata),
            Manifest::PriorityClass(p) => Some(&p.metadata),
            Manifest::Namespace(n) => Some(&n.metadata),
            Manifest::PodDisruptionBudget(p) => Some(&p.metadata),
            Manifest::Service(s) => Some(&s.metadata),
            Manifest::PersistentVolume(v) => Some(&v.metadata),
            Manifest::PersistentVolumeClaim(c) => Some(&c.metadata),
            Manifest::StorageClass(c) => Some(&c.metadata),
            Manifest::KubeSchedulerConfiguration(_) | Manifest::Other { .. } => None,
        }
    }
}

/// Standard object metadata (the subset kubesim uses).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    /// Object name.
    pub name: Option<String>,
    /// Prefix for generated names.
    pub generate_name: Option<String>,
    /// Namespace (namespaced kinds only).
    pub namespace: Option<String>,
    /// Unique id (a snapshot's objects carry theirs; ownerReferences point at them).
    pub uid: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Owners of this object.
    pub owner_references: Vec<OwnerReference>,
}

/// A reference to an owning object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    /// Owner's API version.
    pub api_version: String,
    /// Owner's kind.
    pub kind: String,
    /// Owner's name.
    pub name: String,
    /// Owner's UID.
    pub uid: String,
    /// Whether this owner is the managing controller.
    pub controller: Option<bool>,
    /// Whether the owner's foreground deletion waits for this object.
    pub block_owner_deletion: Option<bool>,
}

/// A `v1` Node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Node {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: NodeSpec,
    /// Status (capacity, allocatable, images).
    pub status: NodeStatus,
}

/// Node spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    /// Cordoned.
    pub unschedulable: bool,
    /// Taints.
    pub taints: Vec<Taint>,
}

/// A node taint.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value.
    #[serde(default)]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute` (unchecked).
    pub effect: String,
}

/// Node status.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    /// Total resources.
    pub capacity: Quantities,
    /// Resources available to pods.
    pub allocatable: Quantities,
    /// Images present on the node.
    pub images: Vec<ContainerImage>,
}

/// An image present on a node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerImage {
    /// Names (tags/digests) of the image.
    pub names: Vec<String>,
    /// Size in bytes.
    pub size_bytes: Option<i64>,
}

/// A `v1` Pod.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Pod {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: PodSpec,
}

/// Pod spec (the scheduling-relevant subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// Containers (required).
    pub containers: Vec<Container>,
    /// Init containers (including sidecars with `restartPolicy: Always`).
    #[serde(default)]
    pub init_containers: Vec<Container>,
    /// Pod overhead.
    #[serde(default)]
    pub overhead: Quantities,
    /// Node selector.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Pre-bound node.
    #[serde(default)]
    pub node_name: Option<String>,
    /// Affinity rules.
    #[serde(default)]
    pub affinity: Option<Affinity>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Explicit priority.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Priority class name.
    #[serde(default)]
    pub priority_class_name: Option<String>,
    /// `PreemptLowerPriority` or `Never` (unchecked).
    #[serde(default)]
    pub preemption_policy: Option<String>,
    /// Scheduler (profile) name.
    #[serde(default)]
    pub scheduler_name: Option<String>,
    /// Pod restart policy (unchecked).
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Grace period on termination.
    #[serde(default)]
    pub termination_grace_period_seconds: Option<i64>,
    /// Scheduling gates.
    #[serde(default)]
    pub scheduling_gates: Vec<SchedulingGate>,
    /// Topology spread constraints.
    #[serde(default)]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// Volumes (only PersistentVolumeClaim sources are modelled).
    #[serde(default)]
    pub volumes: Vec<Volume>,
}

/// A topology spread constraint.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopologySpreadConstraint {
    /// Largest allowed skew (required, at least 1).
    pub max_skew: Spanned<i32>,
    /// Node label of the domains (required).
    pub topology_key: Spanned<String>,
    /// `DoNotSchedule` or `ScheduleAnyway` (required).
    pub when_unsatisfiable: Spanned<String>,
    /// Pods counted.
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    /// Minimum number of domains.
    #[serde(default)]
    pub min_domains: Option<Spanned<i32>>,
    /// `Honor` or `Ignore`.
    #[serde(default)]
    pub node_affinity_policy: Option<Spanned<String>>,
    /// `Honor` or `Ignore`.
    #[serde(default)]
    pub node_taints_policy: Option<Spanned<String>>,
    /// Pod label keys ANDed into the selector.
    #[serde(default)]
    pub match_label_keys: Vec<String>,
}

/// Pod affinity or anti-affinity.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodAffinity {
    /// Hard terms.
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// Soft terms.
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// A pod affinity term.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodAffinityTerm {
    /// Pods the term is about.
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    /// Namespaces named explicitly.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Namespaces picked by labels.
    #[serde(default)]
    pub namespace_selector: Option<LabelSelector>,
    /// Node label that defines "together" (required).
    pub topology_key: Spanned<String>,
}

/// A weighted pod affinity term.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeightedPodAffinityTerm {
    /// Weight 1..=100 (required).
    pub weight: Spanned<i32>,
    /// The term (required).
    pub pod_affinity_term: PodAffinityTerm,
}

/// A pod volume.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Volume name.
    pub name: String,
    /// A PersistentVolumeClaim source.
    #[serde(default)]
    pub persistent_volume_claim: Option<ClaimSource>,
    /// A generic ephemeral volume: presence only (not modelled).
    #[serde(default)]
    pub ephemeral: Option<IgnoredPresence>,
}

/// `volumes[].persistentVolumeClaim`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimSource {
    /// The claim, in the pod's namespace.
    pub claim_name: Spanned<String>,
    /// Read-only mount (accepted, not used).
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// A scheduling gate.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SchedulingGate {
    /// Gate name.
    pub name: String,
}

/// A container.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Container name (required).
    pub name: String,
    /// Image reference.
    #[serde(default)]
    pub image: Option<String>,
    /// Requests and limits.
    #[serde(default)]
    pub resources: ResourceRequirements,
    /// `Always` for sidecar init containers.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Ports.
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
}

/// Container resources.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceRequirements {
    /// Requests.
    pub requests: Quantities,
    /// Limits.
    pub limits: Quantities,
}

/// A container port.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// Port in the container (required).
    pub container_port: i32,
    /// Port on the host.
    #[serde(default)]
    pub host_port: Option<Spanned<i32>>,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// Host address the port binds (`0.0.0.0` when absent).
    #[serde(rename = "hostIP", default)]
    pub host_ip: Option<String>,
}

/// A toleration.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    /// Taint key (empty/absent matches all with `Exists`).
    pub key: Option<String>,
    /// `Exists` or `Equal` (unchecked).
    pub operator: Option<String>,
    /// Value for `Equal`.
    pub value: Option<String>,
    /// Effect to match (unchecked).
    pub effect: Option<String>,
    /// For `NoExecute`: how long the pod stays bound.
    pub toleration_seconds: Option<i64>,
}

/// Affinity rules.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Affinity {
    /// Node affinity.
    pub node_affinity: Option<NodeAffinity>,
    /// Pod affinity.
    pub pod_affinity: Option<PodAffinity>,
    /// Pod anti-affinity.
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// Node affinity.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAffinity {
    /// Hard requirement.
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// Soft preferences.
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// A node selector (terms are ORed).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelector {
    /// Terms.
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// One node selector term (requirements are ANDed).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorTerm {
    /// Requirements on labels.
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Requirements on fields.
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// A requirement `key operator values`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NodeSelectorRequirement {
    /// Label or field key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt` (unchecked).
    pub operator: Spanned<String>,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A weighted preferred term.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PreferredSchedulingTerm {
    /// Weight 1..=100 (unchecked).
    pub weight: Spanned<i32>,
    /// The term.
    pub preference: NodeSelectorTerm,
}

/// A label selector.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    /// Exact label matches.
    pub match_labels: BTreeMap<String, String>,
    /// Requirements.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// A label selector requirement.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist` (unchecked).
    pub operator: Spanned<String>,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A `v1` Service (the selector; ports and the rest are ignored for now).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Service {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    #[serde(default)]
    pub spec: ServiceSpec,
}

/// Service spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ServiceSpec {
    /// Pods selected by label equality.
    pub selector: BTreeMap<String, String>,
}

/// A `policy/v1` PodDisruptionBudget.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PodDisruptionBudget {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: PodDisruptionBudgetSpec,
}

/// PodDisruptionBudget spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodDisruptionBudgetSpec {
    /// Pods that must stay available: a count or a percentage (`"50%"`).
    #[serde(default)]
    pub min_available: Option<Spanned<IntOrString>>,
    /// Pods that may be unavailable: a count or a percentage.
    #[serde(default)]
    pub max_unavailable: Option<Spanned<IntOrString>>,
    /// The pods covered.
    #[serde(default)]
    pub selector: Option<LabelSelector>,
}

/// A number or a string (Kubernetes `IntOrString`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// A number.
    Int(i64),
    /// A string such as `"25%"`.
    String(String),
}

/// A `batch/v1` Job.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Job {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: JobSpec,
}

/// Job spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// Pods running at once.
    #[serde(default)]
    pub parallelism: Option<i32>,
    /// Successful pods needed.
    #[serde(default)]
    pub completions: Option<i32>,
    /// Retries before failing.
    #[serde(default)]
    pub backoff_limit: Option<i32>,
    /// Deadline for the whole job.
    #[serde(default)]
    pub active_deadline_seconds: Option<i64>,
    /// Pod selector.
    #[serde(default)]
    pub selector: Option<LabelSelector>,
    /// Pod template (required).
    pub template: PodTemplate,
}

/// A pod template.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PodTemplate {
    /// Pod metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Pod spec (required).
    pub spec: PodSpec,
}

/// A `scheduling.k8s.io/v1` PriorityClass.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorityClass {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Priority value (required).
    pub value: i32,
    /// Default for pods without a class.
    #[serde(default)]
    pub global_default: bool,
    /// `PreemptLowerPriority` or `Never` (unchecked).
    #[serde(default)]
    pub preemption_policy: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A `v1` PersistentVolume.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PersistentVolume {
    /// Metadata (zone labels are read).
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PersistentVolumeSpec,
}

/// PersistentVolume spec (the scheduling-relevant subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersistentVolumeSpec {
    /// `storage`.
    pub capacity: Quantities,
    /// Access modes.
    pub access_modes: Vec<Spanned<String>>,
    /// Storage class.
    pub storage_class_name: Option<String>,
    /// Which nodes can reach the volume.
    pub node_affinity: Option<VolumeNodeAffinity>,
}

/// `spec.nodeAffinity` of a PersistentVolume.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct VolumeNodeAffinity {
    /// Required terms.
    pub required: Option<NodeSelector>,
}

/// A `v1` PersistentVolumeClaim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PersistentVolumeClaim {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PersistentVolumeClaimSpec,
}

/// PersistentVolumeClaim spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersistentVolumeClaimSpec {
    /// Access modes.
    pub access_modes: Vec<Spanned<String>>,
    /// Storage class (absent: the default class; empty: none).
    pub storage_class_name: Option<String>,
    /// `requests.storage`.
    pub resources: ResourceRequirements,
    /// A volume asked for by name.
    pub volume_name: Option<String>,
    /// Label selector over volumes: presence only (not modelled).
    pub selector: Option<IgnoredPresence>,
}

/// A `storage.k8s.io/v1` StorageClass.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StorageClass {
    /// Metadata (the default-class annotation is read).
    pub metadata: ObjectMeta,
    /// Provisioner name (required).
    pub provisioner: Option<String>,
    /// `Immediate` or `WaitForFirstConsumer`.
    pub volume_binding_mode: Option<Spanned<String>>,
    /// Where provisioned volumes may go.
    pub allowed_topologies: Vec<TopologySelectorTerm>,
}

/// One `allowedTopologies` term.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopologySelectorTerm {
    /// Requirements (AND-ed).
    pub match_label_expressions: Vec<TopologySelectorRequirement>,
}

/// A label key and its allowed values.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TopologySelectorRequirement {
    /// Label key.
    pub key: String,
    /// Allowed values.
    pub values: Vec<String>,
}

/// A `v1` Namespace.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Namespace {
    /// Metadata.
    pub metadata: ObjectMeta,
}

/// `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration (scoring-relevant subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeSchedulerConfiguration {
    /// Global percentage of nodes to score.
    pub percentage_of_nodes_to_score: Option<Spanned<i32>>,
    /// Scheduler profiles.
    pub profiles: Vec<Profile>,
}

/// A scheduler profile.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// Profile name (`default-scheduler` when absent).
    pub scheduler_name: Option<String>,
    /// Per-profile percentage of nodes to score.
    pub percentage_of_nodes_to_score: Option<Spanned<i32>>,
    /// Plugin enable/disable sets.
    pub plugins: Option<Plugins>,
    /// Plugin arguments.
    pub plugin_config: Vec<PluginConfig>,
}

/// Plugin sets per extension point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Plugins {
    /// PreEnqueue.
    pub pre_enqueue: Option<PluginSet>,
    /// QueueSort.
    pub queue_sort: Option<PluginSet>,
    /// PreFilter.
    pub pre_filter: Option<PluginSet>,
    /// Filter.
    pub filter: Option<PluginSet>,
    /// PostFilter.
    pub post_filter: Option<PluginSet>,
    /// PreScore.
    pub pre_score: Option<PluginSet>,
    /// Score.
    pub score: Option<PluginSet>,
    /// Reserve.
    pub reserve: Option<PluginSet>,
    /// Permit.
    pub permit: Option<PluginSet>,
    /// PreBind.
    pub pre_bind: Option<PluginSet>,
    /// Bind.
    pub bind: Option<PluginSet>,
    /// PostBind.
    pub post_bind: Option<PluginSet>,
    /// MultiPoint.
    pub multi_point: Option<PluginSet>,
}

/// Enabled and disabled plugins of one extension point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PluginSet {
    /// Enabled (in order).
    pub enabled: Vec<PluginRef>,
    /// Disabled (`*` disables all defaults).
    pub disabled: Vec<PluginRef>,
}

/// A plugin reference.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PluginRef {
    /// Plugin name.
    pub name: Spanned<String>,
    /// Score weight.
    #[serde(default)]
    pub weight: Option<Spanned<i32>>,
}

/// Arguments of one plugin.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PluginConfig {
    /// Plugin name.
    pub name: Spanned<String>,
    /// Arguments (all optional; the caller checks which apply).
    #[serde(default)]
    pub args: PluginArgs,
}

/// Union of the plugin arguments kubesim understands
/// (NodeResourcesFit, NodeResourcesBalancedAllocation, InterPodAffinity).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PluginArgs {
    /// NodeResourcesFit scoring strategy.
    pub scoring_strategy: Option<ScoringStrategy>,
    /// NodeResourcesFit: resources ignored by the filter.
    pub ignored_resources: Vec<String>,
    /// NodeResourcesFit: resource groups (prefixes) ignored by the filter.
    pub ignored_resource_groups: Vec<String>,
    /// NodeResourcesBalancedAllocation: resources and weights.
    pub resources: Vec<ResourceWeight>,
    /// InterPodAffinity: weight of existing pods' required affinity terms (0-100).
    pub hard_pod_affinity_weight: Option<Spanned<i32>>,
}

/// NodeResourcesFit scoring strategy.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScoringStrategy {
    /// `LeastAllocated`, `MostAllocated` or `RequestedToCapacityRatio` (unchecked).
    pub r#type: Option<Spanned<String>>,
    /// Resources and weights.
    pub resources: Vec<ResourceWeight>,
    /// Shape for `RequestedToCapacityRatio`.
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatio>,
}

/// A resource name with a weight.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ResourceWeight {
    /// Resource name.
    pub name: String,
    /// Weight.
    pub weight: Spanned<i64>,
}

/// `RequestedToCapacityRatio` parameters.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RequestedToCapacityRatio {
    /// Utilization -> score points.
    pub shape: Vec<UtilizationShapePoint>,
}

/// One point of a utilization shape.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct UtilizationShapePoint {
    /// Utilization percentage.
    pub utilization: Spanned<i64>,
    /// Score at that utilization.
    pub score: Spanned<i64>,
}

/// The `kubesim.io/v1alpha1` Simulation document.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Simulation {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: SimulationSpec,
}

/// Simulation spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationSpec {
    /// Random seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Simulated duration (required), e.g. `2h`.
    pub duration: Spanned<String>,
    /// Generated cluster.
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// Timing models by name (`podStartup`, `imagePull`, ...): durations or distributions as text.
    #[serde(default)]
    pub timings: BTreeMap<String, Spanned<String>>,
    /// Workload arrivals.
    #[serde(default)]
    pub arrivals: Vec<Arrival>,
    /// Output settings.
    #[serde(default)]
    pub output: OutputSpec,
    /// Traffic: presence only (later feature).
    #[serde(default)]
    pub traffic: Option<IgnoredPresence>,
    /// Timeline: presence only (later feature).
    #[serde(default)]
    pub timeline: Option<IgnoredPresence>,
    /// Faults: presence only (later feature).
    #[serde(default)]
    pub faults: Option<IgnoredPresence>,
}

/// Generated cluster.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterSpec {
    /// Node pools.
    pub node_pools: Vec<NodePool>,
}

/// A pool of identical nodes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NodePool {
    /// Pool name (node name prefix).
    pub name: String,
    /// Number of nodes.
    pub count: Spanned<i64>,
    /// Zones to spread the nodes over.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Node template.
    #[serde(default)]
    pub template: NodeTemplate,
}

/// Node template of a pool.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeTemplate {
    /// Metadata (labels, annotations).
    pub metadata: ObjectMeta,
    /// Spec (taints, unschedulable).
    pub spec: NodeSpec,
    /// Status (capacity, allocatable, images).
    pub status: NodeStatus,
}

/// Output settings.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutputSpec {
    /// Metrics sampling interval (duration text).
    pub metrics_interval: Option<Spanned<String>>,
    /// Produce plots.
    pub plots: Option<bool>,
    /// Produce scheduling explanations.
    pub explain: Option<bool>,
}

/// A workload arrival: either generated (`template`, `count`, `every`, ...) or
/// replayed from a `trace`. All fields are optional; the caller checks which
/// combination is present.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Arrival {
    /// Arrival name.
    pub name: Option<String>,
    /// Object to create: inline Pod/Job or a path to a manifest file.
    pub template: Option<TemplateRef>,
    /// Number of objects.
    pub count: Option<Spanned<i64>>,
    /// Inter-arrival distribution text, e.g. `exponential(2s)`.
    pub every: Option<Spanned<String>>,
    /// Start offset (duration text).
    pub start: Option<Spanned<String>>,
    /// Request overrides as distribution text (e.g. `cpu: choice(250m, 500m, 1)`).
    pub requests: Option<BTreeMap<String, Spanned<String>>>,
    /// Replay a trace instead of generating.
    pub trace: Option<TraceSpec>,
}

/// A trace to replay.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TraceSpec {
    /// Trace format.
    pub format: Spanned<String>,
    /// Trace file path (relative to the Simulation file).
    pub path: Spanned<String>,
}

/// An arrival template: an inline manifest or a path to one.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplateRef {
    /// Inline Pod or Job.
    Inline(Box<Manifest>),
    /// Path relative to the Simulation's file (see `documents::load_template`).
    Path(String),
}

thread_local! {
    /// Kinds of the inline templates of the document being deserialized, in
    /// document order (`None` for path templates or unknown kinds). Only
    /// consulted when `spec` precedes `kind` in an inline template.
    static TEMPLATE_KIND_HINTS: RefCell<VecDeque<Option<String>>> = const { RefCell::new(VecDeque::new()) };
}

/// Runs `f` with the given template kind hints installed (restoring the previous ones after).
pub(crate) fn with_template_kind_hints<R>(hints: Vec<Option<String>>, f: impl FnOnce() -> R) -> R {
    let previous = TEMPLATE_KIND_HINTS.with(|h| h.replace(hints.into()));
    let result = f();
    TEMPLATE_KIND_HINTS.with(|h| h.replace(previous));
    result
}

fn next_template_kind_hint() -> Option<String> {
    TEMPLATE_KIND_HINTS.with(|h| h.borrow_mut().pop_front().flatten())
}

enum TemplateBody {
    Pod(Box<PodSpec>),
    Job(Box<JobSpec>),
}

impl<'de> Deserialize<'de> for TemplateRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V {
            hint: Option<String>,
        }
        impl<'de> Visitor<'de> for V {
            type Value = TemplateRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an inline Pod or Job manifest, or a path to a manifest file")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TemplateRef::Path(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut kind: Option<String> = None;
                let mut metadata: Option<ObjectMeta> = None;
                let mut body: Option<TemplateBody> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "kind" => {
                            let k: String = map.next_value()?;
                            check_template_kind::<A::Error>(&k)?;
                            kind = Some(k);
                        }
                        "metadata" => metadata = Some(map.next_value()?),
                        "spec" => {
                            let k = kind.clone().or_else(|| self.hint.clone());
                            let k = k.ok_or_else(|| {
                                de::Error::custom(
                                    "inline template needs `kind: Pod` or `kind: Job` before `spec`",
                                )
                            })?;
                            check_template_kind::<A::Error>(&k)?;
                            body = Some(if k == "Pod" {
                                TemplateBody::Pod(map.next_value()?)
                            } else {
                                TemplateBody::Job(map.next_value()?)
                            });
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
                let metadata = metadata.unwrap_or_default();
                let manifest = match (kind.as_str(), body) {
                    ("Pod", Some(TemplateBody::Pod(spec))) => Manifest::Pod(Box::new(Pod {
                        metadata,
                        spec: *spec,
                    })),
                    ("Job", Some(TemplateBody::Job(spec))) => Manifest::Job(Box::new(Job {
                        metadata,
                        spec: *spec,
                    })),
                    (_, None) => return Err(de::Error::missing_field("spec")),
                    (k, Some(_)) => {
                        return Err(de::Error::custom(format!(
                            "inline template `kind: {k}` does not match the kind its `spec` was read as"
                        )));
                    }
                };
                Ok(TemplateRef::Inline(Box::new(manifest)))
            }
        }
        let hint = next_template_kind_hint();
        d.deserialize_any(V { hint })
    }
}

fn check_template_kind<E: de::Error>(kind: &str) -> Result<(), E> {
    if kind == "Pod" || kind == "Job" {
        Ok(())
    } else {
        Err(E::custom(format!(
            "inline template must be a Pod or a Job, not `{kind}`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, serde_saphyr::Error> {
        serde_saphyr::from_str(s)
    }

    #[test]
    fn abs_line_adds_offset() {
        assert_eq!(abs_line(10, 1), 10);
        assert_eq!(abs_line(10, 5), 14);
        assert_eq!(abs_line(10, 0), 0);
        assert_eq!(abs_line(u32::MAX, u64::MAX), u32::MAX);
    }

    #[test]
    fn quantities_accept_numbers_and_keep_text() {
        let r: ResourceRequirements =
            parse("requests:\n  cpu: 0.5\n  memory: 128974848\n  gpu: '1'\nlimits: {cpu: 2}\n")
                .unwrap();
        assert_eq!(r.requests["cpu"].value.as_str(), "0.5");
        assert_eq!(r.requests["memory"].value.as_str(), "128974848");
        assert_eq!(r.requests["gpu"].value.as_str(), "1");
        assert_eq!(r.limits["cpu"].value.to_string(), "2");
        assert_eq!(r.requests["memory"].referenced.line(), 3);
        assert_eq!(r.requests["memory"].referenced.column(), 11);
    }

    #[test]
    fn quantity_rejects_mapping() {
        assert!(parse::<ResourceRequirements>("requests: {cpu: {a: 1}}\n").is_err());
    }

    #[test]
    fn pod_spec_requires_containers() {
        let e = parse::<Pod>("spec: {}\n").unwrap_err();
        assert!(e.to_string().contains("containers"), "{e}");
    }

    #[test]
    fn unknown_fields_ignored_and_presence_recorded() {
        let p: Pod = parse(
            "metadata: {name: a, uid: x}\nspec:\n  hostNetwork: true\n  containers: [{name: c}]\n  affinity:\n    podAntiAffinity: {x: 1}\n",
        )
        .unwrap();
        let aff = p.spec.affinity.unwrap();
        assert!(aff.pod_affinity.is_none());
        assert!(aff.pod_anti_affinity.is_some());
    }

    #[test]
    fn template_ref_path_and_inline() {
        let a: Arrival = parse("template: pods/web.yaml\n").unwrap();
        assert_eq!(
            a.template.unwrap(),
            TemplateRef::Path("pods/web.yaml".into())
        );
        let a: Arrival = parse(
            "template:\n  apiVersion: batch/v1\n  kind: Job\n  spec:\n    template:\n      spec:\n        containers: [{name: c}]\n",
        )
        .unwrap();
        match a.template.unwrap() {
            TemplateRef::Inline(m) => assert_eq!(m.kind(), "Job"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn template_spec_before_kind_uses_hint_or_errors() {
        let yaml = "template:\n  spec:\n    containers: [{name: c}]\n  kind: Pod\n";
        assert!(parse::<Arrival>(yaml).is_err());
        let a: Arrival =
            with_template_kind_hints(vec![Some("Pod".into())], || parse(yaml)).unwrap();
        assert!(matches!(
            a.template.unwrap(),
            TemplateRef::Inline(m) if m.kind() == "Pod"
        ));
    }

    #[test]
    fn template_of_other_kind_is_rejected() {
        let e = parse::<Arrival>("template: {kind: Deployment, spec: {}}\n").unwrap_err();
        assert!(e.to_string().contains("Pod or a Job"), "{e}");
    }

    #[test]
    fn integer_fields_reject_floats() {
        let e = parse::<NodePool>("name: a\ncount: 1.5\n").unwrap_err();
        assert_eq!(e.location().unwrap().line(), 2);
    }

    #[test]
    fn scheduler_config_parses() {
        let c: KubeSchedulerConfiguration = parse(
            "profiles:\n- schedulerName: s\n  plugins:\n    score:\n      enabled: [{name: NodeResourcesFit, weight: 2}]\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources: [{name: cpu, weight: 1}]\n",
        )
        .unwrap();
        let p = &c.profiles[0];
        let score = p.plugins.as_ref().unwrap().score.as_ref().unwrap();
        assert_eq!(score.enabled[0].weight.as_ref().unwrap().value, 2);
        let s = p.plugin_config[0].args.scoring_strategy.as_ref().unwrap();
        assert_eq!(s.r#type.as_ref().unwrap().value, "MostAllocated");
        assert_eq!(s.resources[0].weight.referenced.line(), 11);
    }

    #[test]
    fn manifest_accessors() {
        let m = Manifest::Namespace(Namespace::default());
        assert_eq!(m.kind(), "Namespace");
        assert!(m.metadata().is_some());
        assert!(Manifest::Other { kind: "X".into() }.metadata().is_none());
    }
}
