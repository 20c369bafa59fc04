//! HorizontalPodAutoscaler (`autoscaling/v2`; `autoscaling/v1` converts to it): which
//! workload to scale, between which bounds, on which metrics, and how fast.
//!
//! Defaults are applied when the loader builds these (`pkg/apis/autoscaling/v2/defaults.go`):
//! minReplicas 1, no metrics means CPU utilization 80 %, and, only when `behavior` is given,
//! each direction's missing rules. The one default the controller fills is the scale-down
//! stabilization window ([`ScalingRules::stabilization_window_s`] `None`), from
//! `--horizontal-pod-autoscaler-downscale-stabilization`.

use super::selector::LabelSelector;

/// CPU utilization target when an HPA names no metric (`DefaultCPUUtilization`,
/// `pkg/apis/autoscaling/annotations.go`).
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// A HorizontalPodAutoscaler.
#[derive(Clone, Debug, PartialEq)]
pub struct HorizontalPodAutoscaler {
    /// Name.
    pub name: String,
    /// Namespace of the HPA and its target.
    pub namespace: String,
    /// What it scales.
    pub spec: HpaSpec,
}

/// `spec`.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// `scaleTargetRef`.
    pub target: ScaleTargetRef,
    /// `minReplicas` (default 1; 0 only with an Object or External metric, and the loader
    /// refuses 0 as the API server does while the alpha gate HPAScaleToZero is off).
    pub min_replicas: i32,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// `metrics`, in order (never empty once defaulted).
    pub metrics: Vec<MetricSpec>,
    /// `behavior`, defaulted per direction; `None` is the path without behavior.
    pub behavior: Option<Behavior>,
}

/// The kinds an HPA scales here (those with a scale subresource).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScaleKind {
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `v1` ReplicationController.
    ReplicationController,
}

impl ScaleKind {
    /// The kind as written.
    pub fn kind(self) -> &'static str {
        match self {
            ScaleKind::Deployment => "Deployment",
            ScaleKind::ReplicaSet => "ReplicaSet",
            ScaleKind::StatefulSet => "StatefulSet",
            ScaleKind::ReplicationController => "ReplicationController",
        }
    }

    /// The qualified resource, as API server messages name it (`deployments.apps`).
    pub fn resource(self) -> &'static str {
        match self {
            ScaleKind::Deployment => "deployments.apps",
            ScaleKind::ReplicaSet => "replicasets.apps",
            ScaleKind::StatefulSet => "statefulsets.apps",
            ScaleKind::ReplicationController => "replicationcontrollers",
        }
    }

    /// The `apiVersion` a `scaleTargetRef` to it is written with.
    pub fn api_version(self) -> &'static str {
        match self {
            ScaleKind::ReplicationController => "v1",
            _ => "apps/v1",
        }
    }

    /// The kind of `kind` as written, if an HPA can scale it.
    pub fn parse(kind: &str) -> Option<ScaleKind> {
        Some(match kind {
            "Deployment" => ScaleKind::Deployment,
            "ReplicaSet" => ScaleKind::ReplicaSet,
            "StatefulSet" => ScaleKind::StatefulSet,
            "ReplicationController" => ScaleKind::ReplicationController,
            _ => return None,
        })
    }
}

/// `scaleTargetRef`: a workload of the HPA's namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleTargetRef {
    /// Its kind.
    pub kind: ScaleKind,
    /// Its name.
    pub name: String,
}

/// A compute resource a Resource metric reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceName {
    /// `cpu`, in millicores.
    Cpu,
    /// `memory`, in bytes.
    Memory,
}

impl ResourceName {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
        }
    }
}

/// What a metric aims at. Values are in milli-units (`500m` is 500; `1` is 1000; memory
/// `1Mi` is 1048576000), as upstream computes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricTarget {
    /// `type: Utilization`, `averageUtilization` percent of the request.
    Utilization(i32),
    /// `type: AverageValue`, per pod.
    AverageValue(i64),
    /// `type: Value`, in total.
    Value(i64),
}

/// `metrics[i]`: one metric the HPA scales on.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricSpec {
    /// `type: Resource`: the pods' usage of a resource (summed over containers).
    Resource {
        /// The resource.
        name: ResourceName,
        /// Utilization or AverageValue.
        target: MetricTarget,
    },
    /// `type: ContainerResource`: one container's usage.
    ContainerResource {
        /// The resource.
        name: ResourceName,
        /// The container.
        container: String,
        /// Utilization or AverageValue.
        target: MetricTarget,
    },
    /// `type: Pods`: a per-pod custom metric, averaged (AverageValue).
    Pods {
        /// The metric.
        metric: MetricId,
        /// Its per-pod target (milli-units).
        average_value: i64,
    },
    /// `type: Object`: a metric of one object (Value or AverageValue).
    Object {
        /// `describedObject`: kind and name in the HPA's namespace.
        described: ObjectRef,
        /// The metric.
        metric: MetricId,
        /// Value or AverageValue.
        target: MetricTarget,
    },
    /// `type: External`: a metric from outside the cluster (Value or AverageValue).
    External {
        /// The metric.
        metric: MetricId,
        /// Value or AverageValue.
        target: MetricTarget,
    },
}

/// `describedObject` of an Object metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// `kind`.
    pub kind: String,
    /// `name`.
    pub name: String,
}

/// `metric`: a custom or external metric's name and optional selector.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricId {
    /// `name`.
    pub name: String,
    /// `selector`.
    pub selector: Option<LabelSelector>,
}

/// `behavior`: scaling rules for each direction, defaulted.
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    /// `scaleUp`.
    pub scale_up: ScalingRules,
    /// `scaleDown`.
    pub scale_down: ScalingRules,
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the biggest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// A policy's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// `Pods`: at most `value` pods per period.
    Pods,
    /// `Percent`: at most `value` percent of the pods at the start of the period.
    Percent,
}

/// One scaling policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalingPolicy {
    /// `type`.
    pub kind: PolicyKind,
    /// `value` (> 0).
    pub value: i32,
    /// `periodSeconds` (1 to 1800).
    pub period_s: i32,
}

/// `scaleUp` / `scaleDown` (`HPAScalingRules`), defaulted.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds`; `None` (scale down only) takes the controller's
    /// downscale stabilization window.
    pub stabilization_window_s: Option<i32>,
    /// `selectPolicy`.
    pub select_policy: SelectPolicy,
    /// `policies` (never empty).
    pub policies: Vec<ScalingPolicy>,
    /// `tolerance` (feature gate HPAConfigurableTolerance); `None` takes the controller's.
    pub tolerance: Option<f64>,
}

impl ScalingRules {
    /// The scale-up defaults: no window, the larger of 4 pods and 100 % per 15 s.
    pub fn default_scale_up() -> ScalingRules {
        ScalingRules {
            stabilization_window_s: Some(0),
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy {
                    kind: PolicyKind::Pods,
                    value: 4,
                    period_s: 15,
                },
                ScalingPolicy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period_s: 15,
                },
            ],
            tolerance: None,
        }
    }

    /// The scale-down defaults: the controller's window, 100 % per 15 s.
    pub fn default_scale_down() -> ScalingRules {
        ScalingRules {
            stabilization_window_s: None,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy {
                kind: PolicyKind::Percent,
                value: 100,
                period_s: 15,
            }],
            tolerance: None,
        }
    }
}

impl MetricSpec {
    /// `type`: `Resource`, `ContainerResource`, `Pods`, `Object` or `External`.
    pub fn kind(&self) -> &'static str {
        match self {
            MetricSpec::Resource { .. } => "Resource",
            MetricSpec::ContainerResource { .. } => "ContainerResource",
            MetricSpec::Pods { .. } => "Pods",
            MetricSpec::Object { .. } => "Object",
            MetricSpec::External { .. } => "External",
        }
    }
}

impl HpaSpec {
    /// Whether `metrics` holds an Object or External metric (needed to scale to zero).
    pub fn has_object_or_external(&self) -> bool {
        self.metrics
            .iter()
            .any(|m| matches!(m, MetricSpec::Object { .. } | MetricSpec::External { .. }))
    }
}

/// The HPA controller's flags and metrics-server's resolution (`spec.timings`), with
/// upstream's defaults (`pkg/controller/podautoscaler/config/v1alpha1/defaults.go`; the
/// metric resolution of metrics-server's release manifests).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ControllerSettings {
    /// `--horizontal-pod-autoscaler-sync-period` (15 s).
    pub sync_period_ms: i64,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1).
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min).
    pub cpu_initialization_period_ms: i64,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub initial_readiness_delay_ms: i64,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5 min).
    pub downscale_stabilization_ms: i64,
    /// metrics-server's `--metric-resolution` (15 s in its release manifests).
    pub metric_resolution_ms: i64,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        ControllerSettings {
            sync_period_ms: 15_000,
            tolerance: 0.1,
            cpu_initialization_period_ms: 300_000,
            initial_readiness_delay_ms: 30_000,
            downscale_stabilization_ms: 300_000,
            metric_resolution_ms: 15_000,
        }
    }
}

/// The condition types of an HPA's status.
pub const ABLE_TO_SCALE: &str = "AbleToScale";
/// See [`ABLE_TO_SCALE`].
pub const SCALING_ACTIVE: &str = "ScalingActive";
/// See [`ABLE_TO_SCALE`].
pub const SCALING_LIMITED: &str = "ScalingLimited";

/// Each condition type with the reasons upstream's controller gives it
/// (`pkg/controller/podautoscaler/horizontal.go`): those kubesim's controller writes, and
/// `FailedUpdateScale`, `InvalidSelector`, `AmbiguousSelector` and `InvalidMetricSourceType`,
/// which it never meets but a live cluster's snapshot may hold.
pub const CONDITION_REASONS: [(&str, &[&str]); 3] = [
    (
        ABLE_TO_SCALE,
        &[
            "SucceededGetScale",
            "FailedGetScale",
            "SucceededRescale",
            "FailedUpdateScale",
            "ReadyForNewScale",
            "ScaleDownStabilized",
            "ScaleUpStabilized",
        ],
    ),
    (
        SCALING_ACTIVE,
        &[
            "ValidMetricFound",
            "ScalingDisabled",
            "InvalidSelector",
            "AmbiguousSelector",
            "InvalidMetricSourceType",
            "FailedGetResourceMetric",
            "FailedGetContainerResourceMetric",
            "FailedGetPodsMetric",
            "FailedGetObjectMetric",
            "FailedGetExternalMetric",
        ],
    ),
    (
        SCALING_LIMITED,
        &[
            "DesiredWithinRange",
            "TooFewReplicas",
            "TooManyReplicas",
            "ScaleUpLimit",
            "ScaleDownLimit",
        ],
    ),
];

/// A condition's type and reason as the static words of [`CONDITION_REASONS`], if upstream's
/// controller gives that type that reason.
pub fn condition_words(kind: &str, reason: &str) -> Option<(&'static str, &'static str)> {
    let (kind, reasons) = CONDITION_REASONS.iter().find(|(k, _)| *k == kind)?;
    let reason = reasons.iter().find(|r| **r == reason)?;
    Some((kind, reason))
}

/// One of an HPA's `status.conditions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpaCondition {
    /// `type`: `AbleToScale`, `ScalingActive` or `ScalingLimited`.
    pub kind: &'static str,
    /// `status`: True or False.
    pub status: bool,
    /// `reason`.
    pub reason: &'static str,
    /// `message`.
    pub message: String,
    /// `lastTransitionTime`: when `status` last flipped.
    pub last_transition: crate::engine::SimTime,
}

/// One of an HPA's `status.currentMetrics`: what a metric read at the last sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricStatus {
    /// The metric's column-free name (`cpu`, `memory`, `app:cpu` for a container, a custom
    /// or external metric's name).
    pub name: String,
    /// `averageValue` or `value` (milli-units).
    pub value: i64,
    /// `averageUtilization` (percent of the request), for Utilization targets.
    pub utilization: Option<i32>,
}

/// `status` of an HPA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HpaStatus {
    /// `currentReplicas`.
    pub current_replicas: i32,
    /// `desiredReplicas`.
    pub desired_replicas: i32,
    /// `lastScaleTime`.
    pub last_scale_time: Option<crate::engine::SimTime>,
    /// `currentMetrics` (a metric that failed has none).
    pub current_metrics: Vec<Option<MetricStatus>>,
    /// `conditions`, in the order first set.
    pub conditions: Vec<HpaCondition>,
}

impl HpaStatus {
    /// Sets a condition: its reason and message always, its transition time only when its
    /// status flips (`setConditionInList`, `horizontal.go`).
    pub fn set_condition(
        &mut self,
        kind: &'static str,
        status: bool,
        reason: &'static str,
        message: String,
        now: crate::engine::SimTime,
    ) {
        match self.conditions.iter_mut().find(|c| c.kind == kind) {
            Some(c) => {
                if c.status != status {
                    c.last_transition = now;
                }
                c.status = status;
                c.reason = reason;
                c.message = message;
            }
            None => self.conditions.push(HpaCondition {
                kind,
                status,
                reason,
                message,
                last_transition: now,
            }),
        }
    }

    /// The condition of a type, if set.
    pub fn condition(&self, kind: &str) -> Option<&HpaCondition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}
