//! The workloads that keep pods running: ReplicaSets (and the core group's
//! ReplicationControllers, kept by the same controller) and Deployments (`apps/v1`), with the
//! labels and annotations upstream's controllers stamp on them
//! (`pkg/controller/deployment/util/deployment_util.go`).

use super::intstr::IntOrPercent;
use super::meta::ObjectMeta;
use super::node::ConditionStatus;
use super::pod::PodSpec;
use super::selector::LabelSelector;
use crate::engine::SimTime;
use std::sync::Arc;

/// Label a Deployment adds to each ReplicaSet's selector, template and pods.
pub const LABEL_POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// A ReplicaSet's (and its Deployment's) revision.
pub const ANNOTATION_REVISION: &str = "deployment.kubernetes.io/revision";
/// Revisions a re-used ReplicaSet held before, comma-separated.
pub const ANNOTATION_REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// The Deployment's `spec.replicas` when it last scaled the ReplicaSet.
pub const ANNOTATION_DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's `spec.replicas + maxSurge` when it last scaled the ReplicaSet.
pub const ANNOTATION_MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// A pod's cost of deletion: a ReplicaSet scaling down deletes cheaper pods first.
pub const ANNOTATION_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// What `kubectl rollout restart` writes into a pod template.
pub const ANNOTATION_RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// One of a workload's `status.conditions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// `type` (`Available`, `Progressing`, `ReplicaFailure`).
    pub kind: &'static str,
    /// `status`.
    pub status: ConditionStatus,
    /// `reason`.
    pub reason: &'static str,
    /// `message`.
    pub message: String,
    /// `lastUpdateTime`.
    pub last_update: SimTime,
    /// `lastTransitionTime`: when `status` last changed.
    pub last_transition: SimTime,
}

/// The condition types and reasons the Deployment and ReplicaSet controllers write
/// (`pkg/controller/deployment/util/deployment_util.go`, `pkg/controller/replicaset`).
const CONDITION_WORDS: [&str; 15] = [
    "Available",
    "Progressing",
    "ReplicaFailure",
    "MinimumReplicasAvailable",
    "MinimumReplicasUnavailable",
    "ReplicaSetUpdated",
    "ReplicaSetCreateError",
    "NewReplicaSetCreated",
    "FoundNewReplicaSet",
    "NewReplicaSetAvailable",
    "ProgressDeadlineExceeded",
    "DeploymentPaused",
    "DeploymentResumed",
    "FailedCreate",
    "FailedDelete",
];

/// The condition type or reason spelled `s`, if the controllers write it.
pub fn condition_word(s: &str) -> Option<&'static str> {
    CONDITION_WORDS.iter().copied().find(|w| *w == s)
}

/// A pod template: the metadata and spec stamped on every pod of a workload.
#[derive(Clone, Debug, PartialEq)]
pub struct PodTemplate {
    /// Labels and annotations (name and namespace unused).
    pub meta: ObjectMeta,
    /// The spec every pod shares.
    pub spec: Arc<PodSpec>,
}

impl PodTemplate {
    /// Whether two templates are equal but for the `pod-template-hash` label
    /// (`EqualIgnoreHash` in `deployment_util.go`).
    pub fn equal_ignoring_hash(&self, other: &PodTemplate) -> bool {
        let labels = |t: &PodTemplate| {
            t.meta
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() != LABEL_POD_TEMPLATE_HASH)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        (Arc::ptr_eq(&self.spec, &other.spec) || self.spec == other.spec)
            && self.meta.annotations == other.meta.annotations
            && labels(self) == labels(other)
    }

    /// The `pod-template-hash` of the template (without that label) and a collision count:
    /// FNV-1a (32 bits) of a stable dump of the template, then the collision count, written
    /// in decimal with each digit mapped as upstream's `SafeEncodeString` maps it (so a hash
    /// is 1 to 10 characters of `456789bcdf`, `ComputeHash` in `controller_utils.go`).
    /// Upstream hashes Go's dump of its structs, which a simulator cannot reproduce: the
    /// names differ from a real cluster's, but are as stable.
    pub fn hash(&self, collisions: Option<u32>) -> String {
        let mut labels = (*self.meta.labels).clone();
        labels.remove(LABEL_POD_TEMPLATE_HASH);
        let dump = format!("{labels:?}{:?}{:?}", self.meta.annotations, self.spec);
        let mut h: u32 = 0x811c_9dc5;
        let mut write = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u32::from(b);
                h = h.wrapping_mul(0x0100_0193);
            }
        };
        write(dump.as_bytes());
        if let Some(c) = collisions {
            let mut extra = [0u8; 8];
            extra[..4].copy_from_slice(&c.to_le_bytes());
            write(&extra);
        }
        safe_encode(&h.to_string())
    }
}

/// Upstream's `SafeEncodeString`: each character replaced by the one of its byte value in
/// `bcdfghjklmnpqrstvwxz2456789`, modulo 27 (no vowels, no look-alike digits).
fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// Which API a [`ReplicaSetSpec`] was given as: both are kept by the same controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReplicaSetKind {
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `v1` ReplicationController (an equality selector).
    ReplicationController,
}

impl ReplicaSetKind {
    /// `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            ReplicaSetKind::ReplicaSet => "ReplicaSet",
            ReplicaSetKind::ReplicationController => "ReplicationController",
        }
    }

    /// `apiVersion`.
    pub fn api_version(self) -> &'static str {
        match self {
            ReplicaSetKind::ReplicaSet => "apps/v1",
            ReplicaSetKind::ReplicationController => "v1",
        }
    }

    /// The object series name in `metrics.csv` (`replicaset/NS/NAME`).
    pub fn series(self) -> &'static str {
        match self {
            ReplicaSetKind::ReplicaSet => "replicaset",
            ReplicaSetKind::ReplicationController => "replicationcontroller",
        }
    }
}

/// A ReplicaSet's (or ReplicationController's) spec.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaSetSpec {
    /// Which API it was given as.
    pub kind: ReplicaSetKind,
    /// `spec.replicas` (default 1).
    pub replicas: u32,
    /// The pods it counts (checked to select the template's labels).
    pub selector: LabelSelector,
    /// `spec.minReadySeconds`, ms: a pod is available this long after it became Ready.
    pub min_ready_ms: i64,
    /// What each pod is made from.
    pub template: PodTemplate,
}

/// A rolling update's bounds, as written (resolved against the replicas by
/// [`resolve_fenceposts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollingUpdate {
    /// Pods above `replicas` during the update (default 25 %).
    pub max_surge: IntOrPercent,
    /// Pods below `replicas` during the update (default 25 %).
    pub max_unavailable: IntOrPercent,
}

impl Default for RollingUpdate {
    fn default() -> Self {
        RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        }
    }
}

/// `spec.strategy` of a Deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStrategy {
    /// Every old pod is gone before a new one is created.
    Recreate,
    /// New pods replace old ones within the bounds.
    RollingUpdate(RollingUpdate),
}

/// A Deployment's spec.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentSpec {
    /// `spec.replicas` (default 1).
    pub replicas: u32,
    /// The pods (and ReplicaSets) it owns.
    pub selector: LabelSelector,
    /// The pods it wants.
    pub template: PodTemplate,
    /// How a new template replaces the old.
    pub strategy: DeploymentStrategy,
    /// `spec.minReadySeconds`, ms.
    pub min_ready_ms: i64,
    /// Old ReplicaSets kept for `rollout undo` (default 10).
    pub revision_history_limit: u32,
    /// `spec.progressDeadlineSeconds`, ms (default 600 s); `None` never times out.
    pub progress_deadline_ms: Option<i64>,
    /// `spec.paused`: template changes wait until resumed.
    pub paused: bool,
}

impl DeploymentSpec {
    /// `(maxSurge, maxUnavailable)` for the current replicas; zeros for Recreate.
    pub fn fenceposts(&self) -> (i64, i64) {
        match self.strategy {
            DeploymentStrategy::Recreate => (0, 0),
            DeploymentStrategy::RollingUpdate(r) => {
                resolve_fenceposts(r.max_surge, r.max_unavailable, i64::from(self.replicas))
            }
        }
    }

    /// `maxUnavailable` as the Available condition uses it (0 for Recreate or no replicas).
    pub fn max_unavailable(&self) -> i64 {
        if self.replicas == 0 {
            return 0;
        }
        self.fenceposts().1.min(i64::from(self.replicas))
    }
}

/// Label with the hash of the template a DaemonSet's pod was made from.
pub const LABEL_CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";

/// `spec.updateStrategy` of a DaemonSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonSetUpdate {
    /// Old pods are replaced only when deleted by hand.
    OnDelete,
    /// Old pods are replaced node by node within the bounds (`maxSurge` and
    /// `maxUnavailable`, both rounded up against the nodes that should run a pod).
    RollingUpdate(RollingUpdate),
}

/// A DaemonSet's spec.
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonSetSpec {
    /// The pods it owns.
    pub selector: LabelSelector,
    /// What each node's pod is made from.
    pub template: PodTemplate,
    /// How a new template replaces the old (default RollingUpdate, maxUnavailable 1,
    /// maxSurge 0).
    pub update: DaemonSetUpdate,
    /// `spec.minReadySeconds`, ms.
    pub min_ready_ms: i64,
}

/// Label with a StatefulSet pod's name.
pub const LABEL_STATEFULSET_POD_NAME: &str = "statefulset.kubernetes.io/pod-name";
/// Label with a StatefulSet pod's ordinal.
pub const LABEL_POD_INDEX: &str = "apps.kubernetes.io/pod-index";

/// `spec.podManagementPolicy` of a StatefulSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodManagement {
    /// One pod at a time, each Running and Ready before the next (the default).
    OrderedReady,
    /// All at once.
    Parallel,
}

/// `spec.updateStrategy` of a StatefulSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatefulSetUpdate {
    /// Pods are replaced only when deleted by hand.
    OnDelete,
    /// Pods from the highest ordinal down to `partition` are replaced one at a time.
    RollingUpdate {
        /// Ordinals below it keep the current revision.
        partition: u32,
    },
}

/// A StatefulSet's spec.
#[derive(Clone, Debug, PartialEq)]
pub struct StatefulSetSpec {
    /// `spec.replicas` (default 1).
    pub replicas: u32,
    /// The pods it owns.
    pub selector: LabelSelector,
    /// What each pod is made from.
    pub template: PodTemplate,
    /// `spec.serviceName`: the Service its pods' host names live under.
    pub service_name: Option<String>,
    /// `spec.podManagementPolicy`.
    pub pod_management: PodManagement,
    /// `spec.updateStrategy`.
    pub update: StatefulSetUpdate,
    /// `spec.minReadySeconds`, ms.
    pub min_ready_ms: i64,
    /// `spec.volumeClaimTemplates`: name and spec; each pod gets the claim
    /// `NAME-SET-ORDINAL`, kept when the pod goes.
    pub claim_templates: Vec<(String, super::volume::PersistentVolumeClaimSpec)>,
    /// `spec.ordinals.start`.
    pub ordinals_start: u32,
}

/// `maxSurge` rounded up and `maxUnavailable` rounded down against `replicas`; both 0 makes
/// `maxUnavailable` 1 (`ResolveFenceposts` in `deployment_util.go`).
pub fn resolve_fenceposts(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    replicas: i64,
) -> (i64, i64) {
    let surge = max_surge.scaled_rounding(replicas, true);
    let unavailable = max_unavailable.scaled_rounding(replicas, false);
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOrPercent::*;

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        // The reference's cases: 25 % of 10 is 3 up, 2 down.
        assert_eq!(resolve_fenceposts(Percent(25), Percent(25), 10), (3, 2));
        assert_eq!(resolve_fenceposts(Percent(25), Percent(25), 1), (1, 0));
        assert_eq!(resolve_fenceposts(Int(0), Percent(10), 5), (0, 1));
        assert_eq!(resolve_fenceposts(Int(0), Int(0), 5), (0, 1));
        assert_eq!(resolve_fenceposts(Int(2), Int(0), 5), (2, 0));
        assert_eq!(resolve_fenceposts(Percent(100), Percent(0), 3), (3, 0));
    }

    #[test]
    fn the_hash_is_stable_safe_and_changes_with_the_template_and_collisions() {
        let spec = crate::api::testing::pod("t", 100, 0).spec;
        let mut t = PodTemplate {
            meta: ObjectMeta::default(),
            spec,
        };
        let h = t.hash(None);
        assert!(!h.is_empty() && h.len() <= 10, "{h}");
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        assert_eq!(h, t.hash(None));
        assert_ne!(h, t.hash(Some(1)));
        // The hash label itself does not count.
        let mut labelled = t.clone();
        Arc::make_mut(&mut labelled.meta.labels).insert(LABEL_POD_TEMPLATE_HASH.into(), h.clone());
        assert_eq!(labelled.hash(None), h);
        assert!(labelled.equal_ignoring_hash(&t));
        Arc::make_mut(&mut t.meta.annotations).insert("a".into(), "b".into());
        assert_ne!(t.hash(None), h);
        assert!(!labelled.equal_ignoring_hash(&t));
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }
}
