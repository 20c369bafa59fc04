//! Normalisation of a proposed replica count (`pkg/controller/podautoscaler/horizontal.go`):
//! stabilisation over the recent recommendations, then the bounds and rate limits, with the
//! AbleToScale and ScalingLimited reasons and messages the controller sets from them.
//!
//! Without `spec.behavior` (`normalizeDesiredReplicas`): the highest recommendation of the
//! downscale window, then `minReplicas` and `min(maxReplicas, max(2 × current, 4))`. With it
//! (`normalizeDesiredReplicasWithBehaviors`): the per-direction windows, then the policies'
//! rates over the recorded scale events. Times are milliseconds; the controller keeps the
//! recommendation and event lists per HPA, in order.

use crate::api::hpa::{Behavior, PolicyKind, ScalingPolicy, ScalingRules, SelectPolicy};

/// A condition's reason and message.
pub type Reason = (&'static str, &'static str);

/// AbleToScale True: the recommendation was not stabilised.
pub const READY_FOR_NEW_SCALE: Reason =
    ("ReadyForNewScale", "recommended size matches current size");
/// AbleToScale True: a higher recent recommendation held the count up.
pub const SCALE_DOWN_STABILIZED: Reason = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent \
     recommendation",
);
/// AbleToScale True: a lower recent recommendation held the count down.
pub const SCALE_UP_STABILIZED: Reason = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent \
     recommendation",
);
/// ScalingLimited False.
pub const DESIRED_WITHIN_RANGE: Reason = (
    "DesiredWithinRange",
    "the desired count is within the acceptable range",
);
/// ScalingLimited: held at `minReplicas`.
pub const TOO_FEW_REPLICAS: Reason = (
    "TooFewReplicas",
    "the desired replica count is less than the minimum replica count",
);
/// ScalingLimited: held at `maxReplicas`.
pub const TOO_MANY_REPLICAS: Reason = (
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
);
/// ScalingLimited: held at the scale-up rate.
pub const SCALE_UP_LIMIT: Reason = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
);
/// ScalingLimited: held at the scale-down rate.
pub const SCALE_DOWN_LIMIT: Reason = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
);

/// A past proposal (`timestampedRecommendation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    /// When it was made.
    pub timestamp_ms: i64,
    /// The proposed count, before normalisation.
    pub replicas: i32,
}

/// A past rescale in one direction (`timestampedScaleEvent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    /// When it happened.
    pub timestamp_ms: i64,
    /// How many replicas it added (scale-up list) or removed (scale-down list).
    pub change: i32,
    /// Older than the direction's longest policy period when last checked: reusable.
    pub outdated: bool,
}

/// The counts one normalisation works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replicas {
    /// `scale.spec.replicas`.
    pub current: i32,
    /// The proposal, the highest over the metrics.
    pub desired: i32,
    /// `minReplicas`.
    pub min: i32,
    /// `maxReplicas`.
    pub max: i32,
}

/// The ScalingLimited condition a normalisation sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Status True: the count returned differs from the stabilised one.
    pub limited: bool,
    /// Reason.
    pub reason: &'static str,
    /// Message.
    pub message: &'static str,
}

/// A normalised count and the conditions it sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalized {
    /// The count to scale to.
    pub replicas: i32,
    /// The stabilised recommendation, before bounds and rates.
    pub stabilized: i32,
    /// AbleToScale (status True): reason and message.
    pub able: Reason,
    /// ScalingLimited.
    pub limited: Limit,
}

fn finish(
    r: Replicas,
    stabilized: i32,
    stabilized_reason: Reason,
    bounded: (i32, Reason),
) -> Normalized {
    let (replicas, (reason, message)) = bounded;
    Normalized {
        replicas,
        stabilized,
        able: if stabilized != r.desired {
            stabilized_reason
        } else {
            READY_FOR_NEW_SCALE
        },
        limited: Limit {
            limited: replicas != stabilized,
            reason,
            message,
        },
    }
}

/// Normalises without `spec.behavior`: the highest of `desired` and the recommendations not
/// older than `window_ms` (`--horizontal-pod-autoscaler-downscale-stabilization`), then the
/// bounds of `convertDesiredReplicasWithRules`. Records `desired` in `recommendations`, over
/// the last one older than the window if any. AbleToScale reads ScaleDownStabilized whenever
/// stabilisation changed the count, even upward (upstream's wording).
pub fn without_behavior(
    recommendations: &mut Vec<Recommendation>,
    now_ms: i64,
    window_ms: i64,
    r: Replicas,
) -> Normalized {
    let stabilized = stabilize(recommendations, now_ms, window_ms, r.desired);
    let bounded = convert_with_rules(r.current, stabilized, r.min, r.max);
    finish(r, stabilized, SCALE_DOWN_STABILIZED, bounded)
}

/// `stabilizeRecommendation`: a recommendation is old iff before `now - window`.
fn stabilize(recs: &mut Vec<Recommendation>, now_ms: i64, window_ms: i64, desired: i32) -> i32 {
    let cutoff = now_ms.saturating_sub(window_ms);
    let mut highest = desired;
    let mut old = None;
    for (i, rec) in recs.iter().enumerate() {
        if rec.timestamp_ms < cutoff {
            old = Some(i);
        } else {
            highest = highest.max(rec.replicas);
        }
    }
    record(recs, old, now_ms, desired);
    highest
}

/// Stores `desired` over the entry at `old`, or appends it.
fn record(recs: &mut Vec<Recommendation>, old: Option<usize>, now_ms: i64, desired: i32) {
    let fresh = Recommendation {
        timestamp_ms: now_ms,
        replicas: desired,
    };
    match old {
        Some(i) => recs[i] = fresh,
        None => recs.push(fresh),
    }
}

/// `convertDesiredReplicasWithRules`: at least `min` (TooFewReplicas, checked first), at most
/// `min(max, max(2 × current, 4))` (ScaleUpLimit iff `max` is above the rate limit, else
/// TooManyReplicas).
fn convert_with_rules(current: i32, desired: i32, min: i32, max: i32) -> (i32, Reason) {
    let rate = (2.0 * f64::from(current)).max(4.0) as i32;
    let (upper, upper_reason) = if max > rate {
        (rate, SCALE_UP_LIMIT)
    } else {
        (max, TOO_MANY_REPLICAS)
    };
    if desired < min {
        (min, TOO_FEW_REPLICAS)
    } else if desired > upper {
        (upper, upper_reason)
    } else {
        (desired, DESIRED_WITHIN_RANGE)
    }
}

/// Normalises with `spec.behavior` (`normalizeDesiredReplicasWithBehaviors`): stabilises over
/// both directions' windows (a scale-down window left unset takes `downscale_window_ms`, in
/// whole seconds), records `desired`, then limits the change by the policies over the scale
/// events `up` and `down` and by the bounds.
pub fn with_behavior(
    recommendations: &mut Vec<Recommendation>,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    now_ms: i64,
    behavior: &Behavior,
    downscale_window_ms: i64,
    r: Replicas,
) -> Normalized {
    let up_window_ms = i64::from(behavior.scale_up.stabilization_window_s.unwrap_or(0)) * 1000;
    let down_window_ms = match behavior.scale_down.stabilization_window_s {
        Some(s) => i64::from(s) * 1000,
        None => downscale_window_ms / 1000 * 1000,
    };
    let windows = (up_window_ms, down_window_ms);
    let (stabilized, reason) = stabilize_with_behavior(recommendations, now_ms, windows, r);
    let limited = Replicas {
        desired: stabilized,
        ..r
    };
    let bounded = convert_with_behavior_rate(up, down, now_ms, behavior, limited);
    finish(r, stabilized, reason, bounded)
}

/// `stabilizeRecommendationWithBehaviors`: `current` raised to the lowest recommendation
/// inside the scale-up window, then lowered to the highest inside the scale-down window (both
/// counting `desired`; inside means after `now - window`). A recommendation before both
/// cutoffs may be replaced by `desired`. The reason is ScaleUpStabilized iff
/// `desired >= current`.
fn stabilize_with_behavior(
    recs: &mut Vec<Recommendation>,
    now_ms: i64,
    (up_window_ms, down_window_ms): (i64, i64),
    r: Replicas,
) -> (i32, Reason) {
    let up_cutoff = now_ms.saturating_sub(up_window_ms);
    let down_cutoff = now_ms.saturating_sub(down_window_ms);
    let (mut lowest, mut highest) = (r.desired, r.desired);
    let mut old = None;
    for (i, rec) in recs.iter().enumerate() {
        if rec.timestamp_ms > up_cutoff {
            lowest = lowest.min(rec.replicas);
        }
        if rec.timestamp_ms > down_cutoff {
            highest = highest.max(rec.replicas);
        }
        if rec.timestamp_ms < up_cutoff && rec.timestamp_ms < down_cutoff {
            old = Some(i);
        }
    }
    let stabilized = r.current.max(lowest).min(highest);
    record(recs, old, now_ms, r.desired);
    let reason = if r.desired >= r.current {
        SCALE_UP_STABILIZED
    } else {
        SCALE_DOWN_STABILIZED
    };
    (stabilized, reason)
}

/// `convertDesiredReplicasWithBehaviorRate`: a scale-up stops at `min(max, rate limit)`
/// (ScaleUpLimit iff `max` is above the limit), a scale-down at `max(min, rate limit)`
/// (ScaleDownLimit iff `min` is below it); a limit past `current` is `current`.
fn convert_with_behavior_rate(
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    now_ms: i64,
    behavior: &Behavior,
    r: Replicas,
) -> (i32, Reason) {
    if r.desired > r.current {
        let limit = scale_up_limit(r.current, up, down, &behavior.scale_up, now_ms).max(r.current);
        let (allowed, reason) = if r.max > limit {
            (limit, SCALE_UP_LIMIT)
        } else {
            (r.max, TOO_MANY_REPLICAS)
        };
        if r.desired > allowed {
            return (allowed, reason);
        }
    } else if r.desired < r.current {
        let rules = &behavior.scale_down;
        let limit = scale_down_limit(r.current, up, down, rules, now_ms).min(r.current);
        let (allowed, reason) = if r.min < limit {
            (limit, SCALE_DOWN_LIMIT)
        } else {
            (r.min, TOO_FEW_REPLICAS)
        };
        if r.desired < allowed {
            return (allowed, reason);
        }
    }
    (r.desired, DESIRED_WITHIN_RANGE)
}

/// The replica count at the start of `policy`'s period: `current` less the scale-ups plus
/// the scale-downs of the period.
fn period_start(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    p: &ScalingPolicy,
    now_ms: i64,
) -> i32 {
    current
        .wrapping_sub(changes_in_period(up, p.period_s, now_ms))
        .wrapping_add(changes_in_period(down, p.period_s, now_ms))
}

/// `calculateScaleUpLimitWithScalingRules`: per policy, Pods `start + value`, Percent
/// `ceil(start × (1 + value / 100))`; the largest (Max) or smallest (Min); `current` when
/// Disabled.
fn scale_up_limit(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &ScalingRules,
    now_ms: i64,
) -> i32 {
    let mut result = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        SelectPolicy::Min => i32::MAX,
        SelectPolicy::Max => i32::MIN,
    };
    for p in &rules.policies {
        let start = period_start(current, up, down, p, now_ms);
        let proposed = match p.kind {
            PolicyKind::Pods => start.wrapping_add(p.value),
            PolicyKind::Percent => {
                (f64::from(start) * (1.0 + f64::from(p.value) / 100.0)).ceil() as i32
            }
        };
        result = match rules.select_policy {
            SelectPolicy::Min => result.min(proposed),
            _ => result.max(proposed),
        };
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors`: per policy, Pods `start - value`, Percent
/// `trunc(start × (1 - value / 100))`; the smallest (Max) or largest (Min); `current` when
/// Disabled.
fn scale_down_limit(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &ScalingRules,
    now_ms: i64,
) -> i32 {
    let mut result = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        SelectPolicy::Min => i32::MIN,
        SelectPolicy::Max => i32::MAX,
    };
    for p in &rules.policies {
        let start = period_start(current, up, down, p, now_ms);
        let proposed = match p.kind {
            PolicyKind::Pods => start.wrapping_sub(p.value),
            PolicyKind::Percent => (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32,
        };
        result = match rules.select_policy {
            SelectPolicy::Min => result.max(proposed),
            _ => result.min(proposed),
        };
    }
    result
}

/// `getReplicasChangePerPeriod`: the changes of the events after `now - period`.
fn changes_in_period(events: &[ScaleEvent], period_s: i32, now_ms: i64) -> i32 {
    let cutoff = now_ms.saturating_sub(i64::from(period_s) * 1000);
    events
        .iter()
        .filter(|e| e.timestamp_ms > cutoff)
        .fold(0i32, |sum, e| sum.wrapping_add(e.change))
}

/// `getLongestPolicyPeriod`: the longest `periodSeconds` of the rules (0 without policies).
pub fn longest_period_s(rules: &ScalingRules) -> i32 {
    rules
        .policies
        .iter()
        .map(|p| p.period_s)
        .max()
        .unwrap_or(0)
        .max(0)
}

/// `storeScaleEvent` for one direction: marks the events before `now - longest_period_s`
/// outdated, then stores `change` over the last outdated one, or appends it.
pub fn store_scale_event(
    events: &mut Vec<ScaleEvent>,
    longest_period_s: i32,
    now_ms: i64,
    change: i32,
) {
    let cutoff = now_ms.saturating_sub(i64::from(longest_period_s) * 1000);
    for e in events.iter_mut() {
        if e.timestamp_ms < cutoff {
            e.outdated = true;
        }
    }
    let fresh = ScaleEvent {
        timestamp_ms: now_ms,
        change,
        outdated: false,
    };
    match events.iter().rposition(|e| e.outdated) {
        Some(i) => events[i] = fresh,
        None => events.push(fresh),
    }
}

/// Records a rescale from `previous` to `new` replicas (upstream stores events only for an HPA
/// with `spec.behavior`): a scale-up in `up`, anything else in `down`, as a positive change.
pub fn record_rescale(
    up: &mut Vec<ScaleEvent>,
    down: &mut Vec<ScaleEvent>,
    behavior: &Behavior,
    now_ms: i64,
    previous: i32,
    new: i32,
) {
    if new > previous {
        let longest = longest_period_s(&behavior.scale_up);
        store_scale_event(up, longest, now_ms, new.wrapping_sub(previous));
    } else {
        let longest = longest_period_s(&behavior.scale_down);
        store_scale_event(down, longest, now_ms, previous.wrapping_sub(new));
    }
}

#[cfg(test)]
mod tests;
