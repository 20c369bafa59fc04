//! Replica proposals, one per metric (`pkg/controller/podautoscaler/replica_calculator.go` and
//! `pkg/controller/podautoscaler/metrics/utilization.go`, v1.34): which pods count, how the
//! gaps left by missing and unready pods are filled, and the tolerance band around 1.0.
//!
//! Pure functions over what the pod lister and the metrics APIs returned. Errors are upstream's
//! inner messages; the controller wraps them per metric type. Sums run in 128 bits and the
//! results saturate, where upstream's 64-bit arithmetic would overflow.

use crate::api::Phase;
use crate::api::hpa::{Behavior, ResourceName};
use std::fmt;

/// The controller's tolerance (`--horizontal-pod-autoscaler-tolerance`).
pub const DEFAULT_TOLERANCE: f64 = 0.1;

/// The selector matched no pod.
pub const NO_PODS: &str = "no pods returned by selector while calculating replica count";
/// No metric left once ignored and unready pods are set aside.
pub const NO_READY_METRICS: &str =
    "did not receive metrics for targeted pods (pods might be unready)";
/// No metric belongs to a listed pod with a request (`GetResourceUtilizationRatio`).
pub const NO_MATCHING_METRICS: &str = "no metrics returned matched known pods";
/// The resource metrics API listed no PodMetrics (`metrics/client.go`).
pub const NO_RESOURCE_METRICS: &str = "no metrics returned from resource metrics API";

/// The error of a Resource metric whose metrics could not be read, as `GetResourceReplicas`
/// words it: `unable to get metrics for resource cpu: <inner>`.
pub fn resource_fetch_error(resource: ResourceName, inner: &str) -> String {
    format!(
        "unable to get metrics for resource {}: {inner}",
        resource.as_str()
    )
}

/// How far the usage ratio may stray from 1.0 before the replica count changes
/// (`Tolerances`, KEP-4951).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Below 1.0.
    pub scale_down: f64,
    /// Above 1.0.
    pub scale_up: f64,
}

impl Tolerances {
    /// The same tolerance both ways.
    pub fn uniform(tolerance: f64) -> Tolerances {
        Tolerances {
            scale_down: tolerance,
            scale_up: tolerance,
        }
    }

    /// The controller's tolerance, replaced per direction by `behavior.scale{Up,Down}.tolerance`
    /// where set (`tolerancesForHpa`; the field only survives admission with the
    /// HPAConfigurableTolerance gate on).
    pub fn for_hpa(controller: f64, behavior: Option<&Behavior>) -> Tolerances {
        let rule = |pick: fn(&Behavior) -> Option<f64>| behavior.and_then(pick);
        Tolerances {
            scale_down: rule(|b| b.scale_down.tolerance).unwrap_or(controller),
            scale_up: rule(|b| b.scale_up.tolerance).unwrap_or(controller),
        }
    }

    /// Whether `ratio` is close enough to 1.0 to keep the count: `1 - down <= ratio <= 1 + up`.
    pub fn is_within(self, ratio: f64) -> bool {
        1.0 - self.scale_down <= ratio && ratio <= 1.0 + self.scale_up
    }
}

impl fmt::Display for Tolerances {
    /// `[down:10.0%, up:10.0%]`, as upstream logs it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (down, up) = (self.scale_down * 100.0, self.scale_up * 100.0);
        write!(f, "[down:{down:.1}%, up:{up:.1}%]")
    }
}

/// When a CPU sample of a starting pod is trusted (the controller's readiness flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`.
    pub cpu_initialization_period_ms: i64,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`.
    pub initial_readiness_delay_ms: i64,
}

impl Default for Readiness {
    /// Upstream's defaults: 5 minutes and 30 seconds.
    fn default() -> Self {
        Readiness {
            cpu_initialization_period_ms: 300_000,
            initial_readiness_delay_ms: 30_000,
        }
    }
}

/// One pod's metric value as the metrics API returned it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The value, in milli-units.
    pub value: i64,
    /// Its `timestamp`.
    pub timestamp_ms: i64,
    /// Its `window`.
    pub window_ms: i64,
}

/// One pod as the HPA's pod lister sees it, with its metric. Times unset upstream (Go's zero
/// time) are `None` and come before every other time.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    /// `status.phase`.
    pub phase: Phase,
    /// Whether `deletionTimestamp` is set.
    pub deleting: bool,
    /// The Ready condition's status (`Some(false)` is False); `None` without the condition.
    pub ready: Option<bool>,
    /// The Ready condition's `lastTransitionTime`.
    pub ready_transition_ms: Option<i64>,
    /// `status.startTime`.
    pub start_ms: Option<i64>,
    /// The request of the metric's resource in milli-units (summed over the containers
    /// considered), or upstream's error, e.g. `missing request for cpu in container app of Pod
    /// web-1`. Unused by Pods metrics.
    pub request: Result<i64, String>,
    /// The metric value returned for this pod, if any.
    pub sample: Option<Sample>,
}

impl PodView {
    /// Running with the Ready condition True (`getReadyPodsCount`).
    pub fn is_running_and_ready(&self) -> bool {
        self.phase == Phase::Running && self.ready == Some(true)
    }
}

/// What the lister and a pod metrics API returned for one metric. Pods come in a fixed order
/// (the first failing request is the one reported).
#[derive(Clone, Copy, Debug)]
pub struct PodMetrics<'a> {
    /// The pods the selector matches, with their samples.
    pub pods: &'a [PodView],
    /// Values returned for pods the lister does not hold (milli-units): they count as metrics,
    /// never as pods.
    pub stray: &'a [i64],
}

impl<'a> PodMetrics<'a> {
    /// The pods, with no stray values.
    pub fn new(pods: &'a [PodView]) -> PodMetrics<'a> {
        PodMetrics { pods, stray: &[] }
    }
}

/// How many pods fell in each group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    /// Counted with their metric.
    pub ready: u32,
    /// Pending, or (CPU) not yet trusted.
    pub unready: u32,
    /// Without a metric.
    pub missing: u32,
    /// Deleting or Failed.
    pub ignored: u32,
}

/// Indices into the pods of each group, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Groups {
    /// Counted with their metric.
    pub ready: Vec<usize>,
    /// Pending, or (CPU) not yet trusted.
    pub unready: Vec<usize>,
    /// Without a metric.
    pub missing: Vec<usize>,
    /// Deleting or Failed.
    pub ignored: Vec<usize>,
}

impl Groups {
    /// The size of each group.
    pub fn counts(&self) -> PodCounts {
        let n = |v: &Vec<usize>| u32::try_from(v.len()).unwrap_or(u32::MAX);
        PodCounts {
            ready: n(&self.ready),
            unready: n(&self.unready),
            missing: n(&self.missing),
            ignored: n(&self.ignored),
        }
    }
}

/// Sorts the pods as `groupPods` does: deleting or Failed pods are ignored, Pending ones
/// unready, pods without a sample missing; for CPU (`cpu`), a pod without Ready condition or
/// start time is unready, and so is one still in its CPU initialization period that is not
/// Ready or whose sample predates one window after its last readiness change, or one past it
/// that is not Ready and never was (its readiness changed within the initial readiness delay
/// of its start). Every comparison is strict.
pub fn group_pods(pods: &[PodView], cpu: bool, now_ms: i64, readiness: &Readiness) -> Groups {
    let mut groups = Groups::default();
    for (i, pod) in pods.iter().enumerate() {
        let group = if pod.deleting || pod.phase == Phase::Failed {
            &mut groups.ignored
        } else if pod.phase == Phase::Pending {
            &mut groups.unready
        } else {
            match pod.sample {
                None => &mut groups.missing,
                Some(s) if cpu && cpu_unready(pod, s, now_ms, readiness) => &mut groups.unready,
                Some(_) => &mut groups.ready,
            }
        };
        group.push(i);
    }
    groups
}

/// The CPU readiness rule of `groupPods` for a pod with a sample.
fn cpu_unready(pod: &PodView, sample: Sample, now_ms: i64, readiness: &Readiness) -> bool {
    let (Some(ready), Some(start)) = (pod.ready, pod.start_ms) else {
        return true;
    };
    let transition = pod.ready_transition_ms.unwrap_or(i64::MIN);
    if start.saturating_add(readiness.cpu_initialization_period_ms) > now_ms {
        !ready || sample.timestamp_ms < transition.saturating_add(sample.window_ms)
    } else {
        !ready && start.saturating_add(readiness.initial_readiness_delay_ms) > transition
    }
}

/// The Ready and Running pods, `None` when the selector matches no pod (the count the Object
/// and External Value proposals scale).
pub fn ready_pod_count(pods: &[PodView]) -> Option<i32> {
    if pods.is_empty() {
        return None;
    }
    let n = pods.iter().filter(|p| p.is_running_and_ready()).count();
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

/// One metric's proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The proposed replica count.
    pub replicas: i32,
    /// The current value as upstream reports it (milli-units): the average per counted pod for
    /// pod metrics, the value (or sum) for Object and External Value, `ceil(value / status
    /// replicas)` for AverageValue.
    pub usage: i64,
    /// Resource Utilization: the percentage of the requests.
    pub utilization: Option<i32>,
    /// The pod groups (pod metrics only; zero otherwise).
    pub counts: PodCounts,
}

/// One entry of upstream's metrics map: the pod it belongs to (`None` for a stray value).
#[derive(Clone, Copy, Debug)]
struct Entry {
    pod: Option<usize>,
    value: i64,
}

/// The metrics left once ignored and unready pods are dropped: ready pods' and stray ones.
fn entries(metrics: PodMetrics<'_>, groups: &Groups) -> Vec<Entry> {
    let pods = groups.ready.iter().filter_map(|&i| {
        let s = metrics.pods[i].sample?;
        Some(Entry {
            pod: Some(i),
            value: s.value,
        })
    });
    let stray = metrics
        .stray
        .iter()
        .map(|&value| Entry { pod: None, value });
    pods.chain(stray).collect()
}

/// `ceil(x)` as an `int32` conversion, saturating.
fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// A 128-bit intermediate back in 64 bits, saturating.
fn narrow(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

/// Resource Utilization target (`GetResourceReplicas`): `target` percent of the requests.
/// Missing pods count as using `max(100, target)` % of their request on a scale-down and
/// nothing on a scale-up, where unready pods count as using nothing too; the proposal keeps
/// `current` if that turns the direction. `usage` is the raw average of the counted pods.
pub fn resource_replicas(
    current: i32,
    target: i32,
    metrics: PodMetrics<'_>,
    cpu: bool,
    now_ms: i64,
    readiness: &Readiness,
    tolerances: Tolerances,
) -> Result<Proposal, String> {
    if metrics.pods.is_empty() {
        return Err(NO_PODS.to_string());
    }
    let groups = group_pods(metrics.pods, cpu, now_ms, readiness);
    let mut entries = entries(metrics, &groups);
    if entries.is_empty() {
        return Err(NO_READY_METRICS.to_string());
    }
    let mut requests = Vec::with_capacity(metrics.pods.len());
    for pod in metrics.pods {
        requests.push(pod.request.clone()?);
    }
    let (ratio, utilization, raw) = utilization_ratio(&entries, &requests, target)?;
    let fallback = i128::from(target.max(100));
    let fill = |i: usize| narrow(i128::from(requests[i]) * fallback / 100);
    let recompute = |e: &[Entry]| utilization_ratio(e, &requests, target).map(|r| r.0);
    let replicas = settle(
        current,
        ratio,
        &groups,
        &mut entries,
        tolerances,
        &fill,
        &recompute,
    )?;
    Ok(Proposal {
        replicas,
        usage: raw,
        utilization: Some(utilization),
        counts: groups.counts(),
    })
}

/// `GetResourceUtilizationRatio`: over the entries of listed pods (stray ones are skipped), the
/// utilization `Σ usage × 100 / Σ request` (integer), the ratio to `target` and the raw average.
fn utilization_ratio(
    entries: &[Entry],
    requests: &[i64],
    target: i32,
) -> Result<(f64, i32, i64), String> {
    let (mut usage, mut requested, mut n) = (0i128, 0i128, 0i128);
    for (pod, value) in entries.iter().filter_map(|e| Some((e.pod?, e.value))) {
        usage += i128::from(value);
        requested += i128::from(requests[pod]);
        n += 1;
    }
    if requested == 0 {
        return Err(NO_MATCHING_METRICS.to_string());
    }
    let percent = usage * 100 / requested;
    let utilization =
        i32::try_from(percent).unwrap_or(if percent < 0 { i32::MIN } else { i32::MAX });
    let ratio = f64::from(utilization) / f64::from(target);
    Ok((ratio, utilization, narrow(usage / n)))
}

/// Resource AverageValue target (`GetRawResourceReplicas`): `target` milli-units per pod, with
/// the CPU readiness rules when `cpu`.
pub fn raw_resource_replicas(
    current: i32,
    target: i64,
    metrics: PodMetrics<'_>,
    cpu: bool,
    now_ms: i64,
    readiness: &Readiness,
    tolerances: Tolerances,
) -> Result<Proposal, String> {
    let groups = |pods: &[PodView]| group_pods(pods, cpu, now_ms, readiness);
    plain_replicas(current, target, metrics, &groups, tolerances)
}

/// Pods metric (`GetMetricReplicas`): `target` milli-units per pod on average; readiness does
/// not matter.
pub fn pods_replicas(
    current: i32,
    target: i64,
    metrics: PodMetrics<'_>,
    tolerances: Tolerances,
) -> Result<Proposal, String> {
    let groups = |pods: &[PodView]| group_pods(pods, false, 0, &Readiness::default());
    plain_replicas(current, target, metrics, &groups, tolerances)
}

/// `calcPlainMetricReplicas`: the average of the counted values against `target`; missing pods
/// count as `target` on a scale-down and nothing on a scale-up.
fn plain_replicas(
    current: i32,
    target: i64,
    metrics: PodMetrics<'_>,
    group: &dyn Fn(&[PodView]) -> Groups,
    tolerances: Tolerances,
) -> Result<Proposal, String> {
    if metrics.pods.is_empty() {
        return Err(NO_PODS.to_string());
    }
    let groups = group(metrics.pods);
    let mut entries = entries(metrics, &groups);
    if entries.is_empty() {
        return Err(NO_READY_METRICS.to_string());
    }
    let (ratio, usage) = usage_ratio(&entries, target);
    let recompute = |e: &[Entry]| Ok(usage_ratio(e, target).0);
    let replicas = settle(
        current,
        ratio,
        &groups,
        &mut entries,
        tolerances,
        &|_| target,
        &recompute,
    )?;
    Ok(Proposal {
        replicas,
        usage,
        utilization: None,
        counts: groups.counts(),
    })
}

/// `GetMetricUsageRatio`: the integer average of every entry and its ratio to `target`.
fn usage_ratio(entries: &[Entry], target: i64) -> (f64, i64) {
    let total: i128 = entries.iter().map(|e| i128::from(e.value)).sum();
    let usage = narrow(total / entries.len().max(1) as i128);
    (usage as f64 / target as f64, usage)
}

/// The rest of both pod-metric algorithms once the first `ratio` is known. With every pod
/// counted (no missing pod, and no unready pod on a scale-up): `current` within tolerance,
/// else `ceil(ratio × ready)`. Otherwise missing pods get `fill` (scale-down) or 0 (scale-up;
/// untouched at exactly 1.0), unready pods 0 on a scale-up, and the ratio is recomputed:
/// `current` if within tolerance or across 1.0 from the first, else `ceil(ratio' × entries)`
/// unless that moves against `ratio'`.
fn settle(
    current: i32,
    ratio: f64,
    groups: &Groups,
    entries: &mut Vec<Entry>,
    tolerances: Tolerances,
    fill: &dyn Fn(usize) -> i64,
    recompute: &dyn Fn(&[Entry]) -> Result<f64, String>,
) -> Result<i32, String> {
    let up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
    if !up_with_unready && groups.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return Ok(current);
        }
        return Ok(ceil_i32(ratio * groups.ready.len() as f64));
    }
    let filled = |i: usize, value: i64| Entry {
        pod: Some(i),
        value,
    };
    if ratio < 1.0 {
        entries.extend(groups.missing.iter().map(|&i| filled(i, fill(i))));
    } else if ratio > 1.0 {
        entries.extend(groups.missing.iter().map(|&i| filled(i, 0)));
    }
    if up_with_unready {
        entries.extend(groups.unready.iter().map(|&i| filled(i, 0)));
    }
    let new = recompute(entries)?;
    if tolerances.is_within(new) || (ratio < 1.0 && new > 1.0) || (ratio > 1.0 && new < 1.0) {
        return Ok(current);
    }
    let replicas = ceil_i32(new * entries.len() as f64);
    if (new < 1.0 && replicas > current) || (new > 1.0 && replicas < current) {
        return Ok(current);
    }
    Ok(replicas)
}

/// Object metric, Value target (`GetObjectMetricReplicas`): `ratio = value / target`; with
/// `current` replicas, `current` within tolerance, else `ceil(ratio × ready_pods)` (capped at
/// `i32::MAX`); from zero replicas, `ceil(ratio)`. `ready_pods` is [`ready_pod_count`].
pub fn object_replicas(
    current: i32,
    value: i64,
    target: i64,
    ready_pods: Option<i32>,
    tolerances: Tolerances,
) -> Result<Proposal, String> {
    let ratio = value as f64 / target as f64;
    let replicas = usage_ratio_replicas(current, ratio, ready_pods, tolerances)?;
    Ok(Proposal {
        replicas,
        usage: value,
        utilization: None,
        counts: PodCounts::default(),
    })
}

/// External metric, Value target (`GetExternalMetricReplicas`): as [`object_replicas`] on the
/// sum of the returned series (capped at `i64::MAX`).
pub fn external_replicas(
    current: i32,
    values: &[i64],
    target: i64,
    ready_pods: Option<i32>,
    tolerances: Tolerances,
) -> Result<Proposal, String> {
    let mut sum = 0i64;
    for &v in values {
        if v > 0 && sum > i64::MAX - v {
            sum = i64::MAX;
            break;
        }
        sum = sum.wrapping_add(v);
    }
    object_replicas(current, sum, target, ready_pods, tolerances)
}

/// `getUsageRatioReplicaCount`.
fn usage_ratio_replicas(
    current: i32,
    ratio: f64,
    ready_pods: Option<i32>,
    tolerances: Tolerances,
) -> Result<i32, String> {
    if current == 0 {
        return Ok(ceil_i32(ratio));
    }
    if tolerances.is_within(ratio) {
        return Ok(current);
    }
    let ready = ready_pods.ok_or_else(|| format!("unable to calculate ready pods: {NO_PODS}"))?;
    let replicas = ratio * f64::from(ready);
    Ok(if replicas > f64::from(i32::MAX) {
        i32::MAX
    } else {
        ceil_i32(replicas)
    })
}

/// Object or External metric, AverageValue target (`GetObjectPerPodMetricReplicas`,
/// `GetExternalPerPodMetricReplicas`): `ratio = value / (target × status_replicas)`; outside
/// tolerance `ceil(value / target)`, else `status_replicas`; usage `ceil(value /
/// status_replicas)`, saturating.
pub fn per_pod_replicas(
    status_replicas: i32,
    value: i64,
    target: i64,
    tolerances: Tolerances,
) -> Proposal {
    let ratio = value as f64 / (target as f64 * f64::from(status_replicas));
    let replicas = if tolerances.is_within(ratio) {
        status_replicas
    } else {
        ceil_i32(value as f64 / target as f64)
    };
    let usage = if value as f64 >= i64::MAX as f64 {
        i64::MAX
    } else {
        (value as f64 / f64::from(status_replicas)).ceil() as i64
    };
    Proposal {
        replicas,
        usage,
        utilization: None,
        counts: PodCounts::default(),
    }
}

/// External metric, AverageValue target: [`per_pod_replicas`] on the sum of the series, which
/// becomes `i64::MAX` once it turns negative (upstream's overflow check).
pub fn external_per_pod_replicas(
    status_replicas: i32,
    values: &[i64],
    target: i64,
    tolerances: Tolerances,
) -> Proposal {
    let mut sum = 0i64;
    for &v in values {
        sum = sum.wrapping_add(v);
        if sum < 0 {
            sum = i64::MAX;
            break;
        }
    }
    per_pod_replicas(status_replicas, sum, target, tolerances)
}

#[cfg(test)]
mod tests;
