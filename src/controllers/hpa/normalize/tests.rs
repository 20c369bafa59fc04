//! Ported from `pkg/controller/podautoscaler/horizontal_test.go` (the normalisation tables),
//! plus the boundary rules of the stabilisation windows and policy periods.

use super::*;
use crate::api::hpa::ScalingPolicy;

const NOW: i64 = 1_000_000_000;
const MIN: i64 = 60_000;

fn rec(replicas: i32, ago_ms: i64) -> Recommendation {
    Recommendation {
        timestamp_ms: NOW - ago_ms,
        replicas,
    }
}

fn replicas(current: i32, desired: i32, min: i32, max: i32) -> Replicas {
    Replicas {
        current,
        desired,
        min,
        max,
    }
}

/// Upstream's `generateScalingRules(pods, podsPeriod, percent, percentPeriod, window)`:
/// selectPolicy Max, the Pods policy first, each only when its value is not 0.
fn rules(
    pods: i32,
    pods_period: i32,
    percent: i32,
    percent_period: i32,
    window: i32,
) -> ScalingRules {
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(ScalingPolicy {
            kind: PolicyKind::Pods,
            value: pods,
            period_s: pods_period,
        });
    }
    if percent != 0 {
        policies.push(ScalingPolicy {
            kind: PolicyKind::Percent,
            value: percent,
            period_s: percent_period,
        });
    }
    ScalingRules {
        stabilization_window_s: Some(window),
        select_policy: SelectPolicy::Max,
        policies,
        tolerance: None,
    }
}

/// Upstream's `generateEventsUniformDistribution`: the events spread over the last
/// `period_s` seconds, each in the middle of its segment (whole seconds, as upstream's
/// `time.Duration(float)` truncates).
fn events(changes: &[i32], period_s: i32) -> Vec<ScaleEvent> {
    let segment = f64::from(period_s) / changes.len() as f64;
    changes
        .iter()
        .enumerate()
        .map(|(i, &change)| {
            let ago = f64::from(period_s) - segment * (i + 1) as f64 + segment / 2.0;
            ScaleEvent {
                timestamp_ms: NOW - ago as i64 * 1000,
                change,
                outdated: false,
            }
        })
        .collect()
}

fn defaults() -> Behavior {
    Behavior {
        scale_up: ScalingRules::default_scale_up(),
        scale_down: ScalingRules::default_scale_down(),
    }
}

#[test]
fn convert_desired_replicas_with_rules() {
    // TestConvertDesiredReplicasWithRules
    let rows = [
        ((5, 7, 3, 8), 7, "DesiredWithinRange"),
        ((3, 1, 2, 8), 2, "TooFewReplicas"),
        ((1, 0, 0, 10), 0, "DesiredWithinRange"),
        ((20, 1000, 1, 10), 10, "TooManyReplicas"),
        ((3, 1000, 1, 2000), 6, "ScaleUpLimit"),
    ];
    for ((current, desired, min, max), expected, reason) in rows {
        let (got, why) = convert_with_rules(current, desired, min, max);
        assert_eq!(
            (got, why.0),
            (expected, reason),
            "{current} {desired} {min} {max}"
        );
    }
    // At least 4 from small counts; a limit equal to maxReplicas reads TooManyReplicas.
    assert_eq!(convert_with_rules(1, 10, 1, 100), (4, SCALE_UP_LIMIT));
    assert_eq!(convert_with_rules(2, 10, 1, 4), (4, TOO_MANY_REPLICAS));
}

#[test]
fn normalize_desired_replicas() {
    // TestNormalizeDesiredReplicas (downscale window 5 min)
    let rows: [(&str, Vec<Recommendation>, i32, i32, usize); 5] = [
        ("empty log", vec![], 5, 5, 1),
        ("stabilize", vec![rec(4, 2 * MIN), rec(5, MIN)], 3, 5, 3),
        ("no stabilize", vec![rec(1, 2 * MIN), rec(2, MIN)], 3, 3, 3),
        (
            "no stabilize - old recommendations",
            vec![rec(10, 10 * MIN), rec(9, 9 * MIN)],
            3,
            3,
            2,
        ),
        (
            "stabilize - old recommendations",
            vec![
                rec(10, 10 * MIN),
                rec(4, MIN),
                rec(5, 2 * MIN),
                rec(9, 9 * MIN),
            ],
            3,
            5,
            4,
        ),
    ];
    for (name, mut recs, desired, stabilized, len) in rows {
        assert_eq!(
            stabilize(&mut recs, NOW, 5 * MIN, desired),
            stabilized,
            "{name}"
        );
        assert_eq!(recs.len(), len, "{name}");
    }
    // The last old entry is the one replaced.
    let mut recs = vec![
        rec(10, 10 * MIN),
        rec(4, MIN),
        rec(5, 2 * MIN),
        rec(9, 9 * MIN),
    ];
    stabilize(&mut recs, NOW, 5 * MIN, 3);
    assert_eq!(recs[3], rec(3, 0));
    assert_eq!(recs[0], rec(10, 10 * MIN));
}

#[test]
fn without_behavior_conditions() {
    let mut recs = vec![rec(5, MIN)];
    let n = without_behavior(&mut recs, NOW, 5 * MIN, replicas(4, 3, 1, 10));
    assert_eq!(
        (n.replicas, n.stabilized, n.able),
        (5, 5, SCALE_DOWN_STABILIZED)
    );
    assert_eq!(
        n.limited,
        Limit {
            limited: false,
            reason: "DesiredWithinRange",
            message: "the desired count is within the acceptable range",
        }
    );
    // Stabilisation that raises the count still reads ScaleDownStabilized.
    let mut recs = vec![rec(7, MIN)];
    let n = without_behavior(&mut recs, NOW, 5 * MIN, replicas(3, 5, 1, 10));
    assert_eq!((n.replicas, n.able.0), (6, "ScaleDownStabilized"));
    assert_eq!(
        (n.limited.limited, n.limited.reason),
        (true, "ScaleUpLimit")
    );
    // Nothing to stabilise; held at minReplicas.
    let n = without_behavior(&mut Vec::new(), NOW, 5 * MIN, replicas(3, 1, 2, 10));
    assert_eq!((n.replicas, n.able), (2, READY_FOR_NEW_SCALE));
    assert_eq!(
        n.limited.message,
        "the desired replica count is less than the minimum replica count"
    );
}

#[test]
fn stabilization_window_boundaries() {
    // Without behavior a recommendation exactly window old is still in the window...
    let mut recs = vec![rec(9, 5 * MIN)];
    assert_eq!(stabilize(&mut recs, NOW, 5 * MIN, 3), 9);
    assert_eq!(recs.len(), 2);
    // ...with behavior it is out of it, yet not old enough to be replaced.
    let mut recs = vec![rec(9, 5 * MIN)];
    let windows = (0, 5 * MIN);
    let (r, _) = stabilize_with_behavior(&mut recs, NOW, windows, replicas(10, 3, 1, 10));
    assert_eq!((r, recs.len()), (3, 2));
    let mut recs = vec![rec(9, 5 * MIN - 1)];
    let (r, _) = stabilize_with_behavior(&mut recs, NOW, windows, replicas(10, 3, 1, 10));
    assert_eq!(r, 9);
}

#[test]
fn calculate_scale_limits_with_min_policy() {
    // TestCalculateScaleUpLimitWithScalingRules, TestCalculateScaleDownLimitWithBehaviors
    let mut r = rules(2, 60, 50, 60, 300);
    r.select_policy = SelectPolicy::Min;
    assert_eq!(scale_up_limit(1, &[], &[], &r, NOW), 2);
    assert_eq!(scale_down_limit(5, &[], &[], &r, NOW), 3);
    r.select_policy = SelectPolicy::Disabled;
    assert_eq!(scale_up_limit(5, &[], &[], &r, NOW), 5);
    assert_eq!(scale_down_limit(5, &[], &[], &r, NOW), 5);
}

/// One row of `TestScalingWithRules`: `convertDesiredReplicasWithBehaviorRate` with the
/// default rules where none are given.
struct RateCase {
    name: &'static str,
    up_events: Vec<ScaleEvent>,
    down_events: Vec<ScaleEvent>,
    min: i32,
    max: i32,
    up: Option<ScalingRules>,
    down: Option<ScalingRules>,
    current: i32,
    desired: i32,
    expected: i32,
    reason: &'static str,
}

impl RateCase {
    fn new(name: &'static str, (current, desired, min, max): (i32, i32, i32, i32)) -> RateCase {
        RateCase {
            name,
            up_events: Vec::new(),
            down_events: Vec::new(),
            min,
            max,
            up: None,
            down: None,
            current,
            desired,
            expected: 0,
            reason: "",
        }
    }

    fn expect(mut self, expected: i32, reason: &'static str) -> RateCase {
        self.expected = expected;
        self.reason = reason;
        self
    }

    fn up(mut self, rules: ScalingRules) -> RateCase {
        self.up = Some(rules);
        self
    }

    fn down(mut self, rules: ScalingRules) -> RateCase {
        self.down = Some(rules);
        self
    }

    fn events(mut self, up: Vec<ScaleEvent>, down: Vec<ScaleEvent>) -> RateCase {
        self.up_events = up;
        self.down_events = down;
        self
    }

    fn check(self) {
        let mut behavior = defaults();
        if let Some(up) = self.up {
            behavior.scale_up = up;
        }
        if let Some(down) = self.down {
            behavior.scale_down = down;
        }
        let r = replicas(self.current, self.desired, self.min, self.max);
        let (got, why) =
            convert_with_behavior_rate(&self.up_events, &self.down_events, NOW, &behavior, r);
        assert_eq!((got, why.0), (self.expected, self.reason), "{}", self.name);
    }
}

#[test]
fn scaling_with_rules_bounds() {
    // TestScalingWithRules, rows without events
    let rows = [
        RateCase::new("within range", (5, 7, 3, 8)).expect(7, "DesiredWithinRange"),
        RateCase::new("< minReplicas", (3, 1, 2, 8)).expect(2, "TooFewReplicas"),
        RateCase::new("within range, min 0", (1, 0, 0, 10)).expect(0, "DesiredWithinRange"),
        RateCase::new("max < scaleUpLimit", (20, 1000, 1, 10)).expect(10, "TooManyReplicas"),
        RateCase::new("more than max", (100, 1000, 100, 150)).expect(150, "TooManyReplicas"),
        RateCase::new("user policies", (3, 1000, 1, 2000))
            .up(rules(0, 0, 1, 60, 0))
            .expect(4, "ScaleUpLimit"),
        // Upstream skips this row (testThis); it holds all the same.
        RateCase::new("scaleDownLimit > min, user policies", (1000, 3, 3, 2000))
            .down(rules(20, 60, 0, 0, 0))
            .expect(980, "ScaleDownLimit"),
        RateCase::new("scaleUp with default behavior", (10, 50, 1, 1000))
            .expect(20, "ScaleUpLimit"),
    ];
    rows.into_iter().for_each(RateCase::check);
}

#[test]
fn scaling_with_rules_policies() {
    // TestScalingWithRules, "scaleUp/scaleDown with ... policy ..." rows without events
    let rows = [
        RateCase::new("pods > percent", (10, 500, 1, 1000))
            .up(rules(100, 60, 100, 60, 0))
            .expect(110, "ScaleUpLimit"),
        RateCase::new("percent > pods", (10, 500, 1, 1000))
            .up(rules(2, 60, 100, 60, 0))
            .expect(20, "ScaleUpLimit"),
        RateCase::new("max with large pod policy", (10, 50, 1, 1000))
            .up(rules(100, 60, 0, 0, 0))
            .expect(50, "DesiredWithinRange"),
        RateCase::new("max with large percent policy", (10, 50, 1, 1000))
            .up(rules(10000, 60, 0, 0, 0))
            .expect(50, "DesiredWithinRange"),
        RateCase::new("pod policy limitation", (10, 50, 1, 1000))
            .up(rules(30, 60, 0, 0, 0))
            .expect(40, "ScaleUpLimit"),
        RateCase::new("percent policy limitation", (10, 50, 1, 1000))
            .up(rules(0, 0, 200, 60, 0))
            .expect(30, "ScaleUpLimit"),
        RateCase::new("down: percent > pods", (100, 2, 1, 1000))
            .down(rules(20, 60, 1, 60, 300))
            .expect(80, "ScaleDownLimit"),
        RateCase::new("down: pods > percent", (100, 2, 1, 1000))
            .down(rules(2, 60, 1, 60, 300))
            .expect(98, "ScaleDownLimit"),
        RateCase::new("down: MinReplicas=nil, large pod policy", (10, 0, 1, 1000))
            .down(rules(100, 60, 0, 0, 300))
            .expect(1, "TooFewReplicas"),
        RateCase::new("down: MinReplicas, large percent policy", (10, 2, 5, 1000))
            .down(rules(0, 0, 100, 60, 300))
            .expect(5, "TooFewReplicas"),
        RateCase::new("down: pod policy limitation", (10, 2, 1, 1000))
            .down(rules(5, 60, 0, 0, 300))
            .expect(5, "ScaleDownLimit"),
        RateCase::new("down: percent policy limitation", (10, 5, 1, 1000))
            .down(rules(0, 0, 50, 60, 300))
            .expect(5, "DesiredWithinRange"),
    ];
    rows.into_iter().for_each(RateCase::check);
}

#[test]
fn scaling_with_rules_scale_up_events() {
    // TestScalingWithRules, scale-up rows with events [1, 5, 9] over 120 s (at -100, -60 and
    // -20 s: a 60 s period sees only the last)
    let ev = || events(&[1, 5, 9], 120);
    let rows = [
        RateCase::new("max, large pod policy, events", (100, 500, 1, 200))
            .events(ev(), vec![])
            .up(rules(300, 60, 0, 0, 0))
            .expect(200, "TooManyReplicas"),
        RateCase::new("max, large percent policy, events", (100, 500, 1, 200))
            .events(ev(), vec![])
            .up(rules(0, 0, 10000, 60, 0))
            .expect(200, "TooManyReplicas"),
        RateCase::new("limit below current", (100, 500, 1, 1000))
            .events(ev(), vec![])
            .up(rules(5, 120, 0, 0, 0))
            .expect(100, "ScaleUpLimit"),
        RateCase::new("pod policy and previous events", (100, 500, 1, 1000))
            .events(ev(), vec![])
            .up(rules(150, 120, 0, 0, 0))
            .expect(235, "ScaleUpLimit"),
        RateCase::new("percent policy and previous events", (100, 500, 1, 1000))
            .events(ev(), vec![])
            .up(rules(0, 0, 200, 120, 0))
            .expect(255, "ScaleUpLimit"),
        RateCase::new("percent policy, up and down events", (6, 24, 1, 1000))
            .events(events(&[4], 120), events(&[2], 120))
            .up(rules(0, 0, 300, 300, 0))
            .expect(16, "ScaleUpLimit"),
    ];
    rows.into_iter().for_each(RateCase::check);
}

#[test]
fn scaling_with_rules_scale_down_events() {
    // TestScalingWithRules, scale-down rows with events
    let ev = || events(&[1, 5, 9], 120);
    let rows = [
        RateCase::new("default policy and previous events", (10, 5, 1, 1000))
            .events(vec![], ev())
            .expect(5, "DesiredWithinRange"),
        RateCase::new(
            "MinReplicas=nil, large pod policy, events",
            (100, 0, 1, 1000),
        )
        .events(vec![], ev())
        .down(rules(115, 120, 0, 0, 300))
        .expect(1, "TooFewReplicas"),
        RateCase::new("MinReplicas, large pod policy, events", (100, 0, 5, 1000))
            .events(vec![], ev())
            .down(rules(130, 120, 0, 0, 300))
            .expect(5, "TooFewReplicas"),
        RateCase::new(
            "MinReplicas, large percent policy, events",
            (100, 2, 5, 1000),
        )
        .events(vec![], ev())
        .down(rules(0, 0, 100, 120, 300))
        .expect(5, "TooFewReplicas"),
        RateCase::new("pod policy limitation and events", (100, 2, 1, 1000))
            .events(vec![], ev())
            .down(rules(5, 120, 0, 0, 300))
            .expect(100, "ScaleDownLimit"),
        RateCase::new("percent policy limitation and events", (100, 0, 1, 1000))
            .events(vec![], events(&[2, 4, 6], 120))
            .down(rules(0, 0, 50, 120, 300))
            .expect(56, "ScaleDownLimit"),
        RateCase::new("percent policy, up and down events", (10, 1, 1, 1000))
            .events(events(&[2], 120), events(&[4], 120))
            .down(rules(0, 0, 50, 180, 0))
            .expect(6, "ScaleDownLimit"),
        RateCase::new("events preventing further scale down", (100, 0, 1, 1000))
            .events(vec![], events(&[10, 10, 10], 120))
            .down(rules(0, 0, 10, 120, 300))
            .expect(100, "ScaleDownLimit"),
        RateCase::new("events still allowing more scale down", (10, 5, 1, 1000))
            .events(vec![], events(&[10, 10, 10], 120))
            .down(rules(0, 0, 1000, 120, 300))
            .expect(5, "DesiredWithinRange"),
    ];
    rows.into_iter().for_each(RateCase::check);
}

#[test]
fn scaling_with_rules_outdated_flags() {
    // TestScalingWithRules, "check ... 'outdated' ..." rows: events [8, 12, 9, 11] over 120 s
    let ev = || events(&[8, 12, 9, 11], 120);
    let mut rows = Vec::new();
    for (pods_period, percent, percent_period) in [(60, 0, 0), (120, 100, 60), (30, 100, 60)] {
        rows.push(
            RateCase::new("up", (100, 200, 1, 1000))
                .events(ev(), vec![])
                .up(rules(1000, pods_period, percent, percent_period, 0))
                .expect(200, "DesiredWithinRange"),
        );
        rows.push(
            RateCase::new("down", (100, 5, 1, 1000))
                .events(vec![], ev())
                .down(rules(1000, pods_period, percent, percent_period, 300))
                .expect(5, "DesiredWithinRange"),
        );
    }
    rows.into_iter().for_each(RateCase::check);
}

/// A `TestStoreScaleEvents` row: name, events before, rules, (change, outdated) after, and
/// the change within the last 60 s before.
type StoreRow = (
    &'static str,
    Vec<ScaleEvent>,
    ScalingRules,
    Vec<(i32, bool)>,
    i32,
);

#[test]
fn store_scale_events() {
    // TestStoreScaleEvents, rows with a behavior (without one the controller stores nothing)
    let ev = |change: i32, ago_s: i64| ScaleEvent {
        timestamp_ms: NOW - ago_s * 1000,
        change,
        outdated: false,
    };
    let rows: [StoreRow; 6] = [
        (
            "empty entries with two-policy-behavior",
            vec![],
            rules(10, 60, 100, 60, 0),
            vec![(5, false)],
            0,
        ),
        (
            "one outdated entry to be replaced with behavior",
            vec![ev(7, 61)],
            rules(10, 60, 100, 60, 0),
            vec![(5, false)],
            0,
        ),
        (
            "one actual entry to be not touched with behavior",
            vec![ev(7, 58)],
            rules(10, 60, 100, 60, 0),
            vec![(7, false), (5, false)],
            7,
        ),
        (
            "two entries, one of them to be replaced",
            vec![ev(7, 61), ev(6, 59)],
            rules(10, 60, 0, 0, 0),
            vec![(5, false), (6, false)],
            6,
        ),
        (
            "replace one entry, use policies with different periods",
            vec![ev(8, 29), ev(6, 59), ev(7, 61), ev(9, 61)],
            rules(10, 60, 100, 30, 0),
            vec![(8, false), (6, false), (7, true), (5, false)],
            14,
        ),
        (
            "two entries, both actual",
            vec![ev(7, 58), ev(6, 59)],
            rules(10, 120, 100, 30, 0),
            vec![(7, false), (6, false), (5, false)],
            13,
        ),
    ];
    for (name, prev, r, expected, change_in_60s) in rows {
        assert_eq!(changes_in_period(&prev, 60, NOW), change_in_60s, "{name}");
        let behavior = Behavior {
            scale_up: r.clone(),
            scale_down: r,
        };
        let (mut up, mut down) = (prev.clone(), prev);
        record_rescale(&mut up, &mut Vec::new(), &behavior, NOW, 10, 15);
        record_rescale(&mut Vec::new(), &mut down, &behavior, NOW, 10, 5);
        for list in [up, down] {
            let got: Vec<(i32, bool)> = list.iter().map(|e| (e.change, e.outdated)).collect();
            assert_eq!(got, expected, "{name}");
        }
    }
}

#[test]
fn event_period_boundary() {
    // An event exactly one period old no longer counts; one a millisecond younger does.
    let at = |ago_ms: i64| ScaleEvent {
        timestamp_ms: NOW - ago_ms,
        change: 3,
        outdated: false,
    };
    assert_eq!(changes_in_period(&[at(60_000)], 60, NOW), 0);
    assert_eq!(changes_in_period(&[at(59_999)], 60, NOW), 3);
    // Marked outdated only once strictly older than the longest period.
    let mut list = vec![at(60_000)];
    store_scale_event(&mut list, 60, NOW, 1);
    assert_eq!(list.len(), 2);
    assert_eq!(longest_period_s(&rules(1, 30, 1, 90, 0)), 90);
    assert_eq!(longest_period_s(&rules(0, 0, 0, 0, 0)), 0);
}

#[test]
fn rounding_of_percent_policies() {
    // Scale-up Percent rounds up: 3 × 1.1 = 3.3 → 4; scale-down truncates: 3 × 0.9 = 2.7 → 2.
    let r = rules(0, 0, 10, 60, 0);
    assert_eq!(scale_up_limit(3, &[], &[], &r, NOW), 4);
    assert_eq!(scale_down_limit(3, &[], &[], &r, NOW), 2);
    // 10 % of 10 is exactly 1 either way.
    assert_eq!(scale_up_limit(10, &[], &[], &r, NOW), 11);
    assert_eq!(scale_down_limit(10, &[], &[], &r, NOW), 9);
}

/// One row of `TestNormalizeDesiredReplicasWithBehavior`.
fn stabilize_row(
    recs: &[Recommendation],
    (current, desired): (i32, i32),
    (up_s, down_s): (i64, i64),
) -> (i32, Vec<i32>) {
    let mut recs = recs.to_vec();
    let r = replicas(current, desired, 1, 1000);
    let (got, _) = stabilize_with_behavior(&mut recs, NOW, (up_s * 1000, down_s * 1000), r);
    (got, recs.iter().map(|r| r.replicas).collect())
}

/// A `TestNormalizeDesiredReplicasWithBehavior` row: name, recommendations, (current,
/// desired), (up, down) windows in seconds, the stabilised count, the stored counts.
type BehaviorRow<'a> = (
    &'a str,
    &'a [Recommendation],
    (i32, i32),
    (i64, i64),
    i32,
    &'a [i32],
);

#[test]
fn normalize_desired_replicas_with_behavior() {
    // TestNormalizeDesiredReplicasWithBehavior (windows default to 0 in that test)
    let recent = [rec(4, 2 * MIN), rec(5, MIN)];
    let old = [rec(10, 10 * MIN), rec(9, 9 * MIN)];
    let rows: [BehaviorRow<'_>; 9] = [
        (
            "empty recommendations for scaling down",
            &[],
            (100, 5),
            (0, 0),
            5,
            &[5],
        ),
        (
            "simple scale down stabilization",
            &recent,
            (100, 3),
            (0, 180),
            5,
            &[4, 5, 3],
        ),
        (
            "simple scale up stabilization",
            &recent,
            (1, 7),
            (300, 0),
            4,
            &[4, 5, 7],
        ),
        (
            "no scale down stabilization",
            &[rec(1, 2 * MIN), rec(2, MIN)],
            (100, 3),
            (300, 0),
            3,
            &[1, 2, 3],
        ),
        (
            "no scale up stabilization",
            &recent,
            (1, 3),
            (0, 300),
            3,
            &[4, 5, 3],
        ),
        (
            "no scale down stabilization, reuse",
            &old,
            (100, 3),
            (0, 0),
            3,
            &[10, 3],
        ),
        (
            "no scale up stabilization, reuse",
            &old,
            (1, 100),
            (0, 0),
            100,
            &[10, 100],
        ),
        (
            "scale down stabilization, reuse one of obsolete",
            &[
                rec(10, 10 * MIN),
                rec(4, MIN),
                rec(5, 2 * MIN),
                rec(9, 9 * MIN),
            ],
            (100, 3),
            (0, 180),
            5,
            &[10, 4, 5, 3],
        ),
        (
            "scale up stabilization, reuse one of obsolete",
            &[
                rec(10, 100 * MIN),
                rec(6, MIN),
                rec(5, 2 * MIN),
                rec(9, 3 * MIN),
            ],
            (1, 100),
            (300, 0),
            5,
            &[100, 6, 5, 9],
        ),
    ];
    for (name, recs, counts, windows, stabilized, stored) in rows {
        assert_eq!(
            stabilize_row(recs, counts, windows),
            (stabilized, stored.to_vec()),
            "{name}"
        );
    }
    // "scale up and down stabilization, do not scale up/down when prenormalized rec goes
    // down/up"
    let (got, _) = stabilize_row(&[rec(2, 100 * MIN), rec(3, 3 * MIN)], (2, 1), (300, 300));
    assert_eq!(got, 2);
    let (got, _) = stabilize_row(&[rec(2, 100 * MIN), rec(1, 3 * MIN)], (2, 3), (300, 300));
    assert_eq!(got, 2);
}

#[test]
fn with_behavior_conditions() {
    // Scale-down held by the 3-minute window, then by the default 100 %/15 s policy: none.
    let mut recs = vec![rec(4, 2 * MIN), rec(5, MIN)];
    let mut behavior = defaults();
    behavior.scale_down.stabilization_window_s = Some(180);
    let n = with_behavior(
        &mut recs,
        &[],
        &[],
        NOW,
        &behavior,
        300_000,
        replicas(100, 3, 1, 200),
    );
    assert_eq!(
        (n.replicas, n.stabilized, n.able),
        (5, 5, SCALE_DOWN_STABILIZED)
    );
    assert_eq!(n.limited.reason, "DesiredWithinRange");
    // Scale-up with a 5-minute window: held at the lowest recent recommendation.
    behavior.scale_up.stabilization_window_s = Some(300);
    let mut recs = vec![rec(4, 2 * MIN), rec(5, MIN)];
    let n = with_behavior(
        &mut recs,
        &[],
        &[],
        NOW,
        &behavior,
        300_000,
        replicas(1, 7, 1, 200),
    );
    assert_eq!((n.replicas, n.able), (4, SCALE_UP_STABILIZED));
    // Default rules, 10 → 50: 4 pods or 100 % per 15 s allow 20.
    let n = with_behavior(
        &mut Vec::new(),
        &[],
        &[],
        NOW,
        &defaults(),
        300_000,
        replicas(10, 50, 1, 1000),
    );
    assert_eq!(
        (n.replicas, n.stabilized, n.able),
        (20, 50, READY_FOR_NEW_SCALE)
    );
    assert_eq!(
        n.limited,
        Limit {
            limited: true,
            reason: "ScaleUpLimit",
            message: "the desired replica count is increasing faster than the maximum scale rate",
        }
    );
    // Scale-down window unset: the controller's (here 90.5 s, taken as 90 s).
    let mut recs = vec![rec(8, 90_000), rec(7, 89_999)];
    let n = with_behavior(
        &mut recs,
        &[],
        &[],
        NOW,
        &defaults(),
        90_500,
        replicas(10, 2, 1, 10),
    );
    assert_eq!((n.replicas, n.able.0), (7, "ScaleDownStabilized"));
    let n = with_behavior(
        &mut Vec::new(),
        &[],
        &[],
        NOW,
        &defaults(),
        300_000,
        replicas(10, 2, 3, 10),
    );
    assert_eq!(
        (n.replicas, n.limited.reason, n.limited.limited),
        (3, "TooFewReplicas", true)
    );
}

#[test]
fn every_reason_set_here_is_one_a_snapshot_restores() {
    use crate::api::hpa::{ABLE_TO_SCALE, SCALING_LIMITED, condition_words};
    for (kind, reasons) in [
        (
            ABLE_TO_SCALE,
            [
                READY_FOR_NEW_SCALE,
                SCALE_DOWN_STABILIZED,
                SCALE_UP_STABILIZED,
            ]
            .as_slice(),
        ),
        (
            SCALING_LIMITED,
            &[
                DESIRED_WITHIN_RANGE,
                TOO_FEW_REPLICAS,
                TOO_MANY_REPLICAS,
                SCALE_UP_LIMIT,
                SCALE_DOWN_LIMIT,
            ],
        ),
    ] {
        for (reason, _) in reasons {
            assert_eq!(condition_words(kind, reason), Some((kind, *reason)));
        }
    }
}
