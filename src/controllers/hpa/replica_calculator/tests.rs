//! Ported from `pkg/controller/podautoscaler/replica_calculator_test.go` (names as in the
//! v1.34-era file; the newest tree groups the resource cases in `TestReplicaCalcResourceScale`,
//! whose case names are quoted). Upstream's fixture: tolerance 0.1, CPU initialization 2 min,
//! readiness delay 10 s; pods `test-pod-N` with two containers, each requesting the listed
//! request and reporting the listed level, so a pod requests and uses twice as much; Ready
//! True and Running unless listed; start time, Ready transition and sample timestamp unset
//! (Go's zero time) unless listed; a one-minute sample window; "hot" pods start now, "cool"
//! ones three minutes ago. Levels past the pod count belong to no listed pod.

use super::*;

/// "Now" of the tests; Go's zero time is 0.
const NOW: i64 = 1_000_000_000;
const HOT: i64 = NOW;
const COOL: i64 = NOW - 180_000;

fn testing_readiness() -> Readiness {
    Readiness {
        cpu_initialization_period_ms: 120_000,
        initial_readiness_delay_ms: 10_000,
    }
}

fn tol() -> Tolerances {
    Tolerances::uniform(0.1)
}

/// Upstream's `replicaCalcTestCase`, per container.
#[derive(Clone)]
struct Case {
    current: i32,
    /// Per container; pods past the list have no request.
    requests: Vec<i64>,
    /// Per container; pods past the list have no sample.
    levels: Vec<i64>,
    ready: Vec<bool>,
    start: Vec<i64>,
    phase: Vec<Phase>,
    deleting: Vec<bool>,
    /// Pods (from the front) whose sample the metrics client dropped.
    dropped: Vec<usize>,
    /// 2 for the pod's sum, 1 for a ContainerResource metric of one container.
    containers: i64,
    tolerances: Tolerances,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            current: 0,
            requests: Vec::new(),
            levels: Vec::new(),
            ready: Vec::new(),
            start: Vec::new(),
            phase: Vec::new(),
            deleting: Vec::new(),
            dropped: Vec::new(),
            containers: 2,
            tolerances: tol(),
        }
    }
}

impl Case {
    fn pod_count(&self) -> usize {
        (self.current.max(0) as usize).max(self.phase.len())
    }

    fn pods(&self) -> Vec<PodView> {
        (0..self.pod_count())
            .map(|i| PodView {
                phase: self.phase.get(i).copied().unwrap_or(Phase::Running),
                deleting: self.deleting.get(i).copied().unwrap_or(false),
                ready: Some(self.ready.get(i).copied().unwrap_or(true)),
                ready_transition_ms: Some(0),
                start_ms: Some(self.start.get(i).copied().unwrap_or(0)),
                request: match self.requests.get(i) {
                    Some(r) => Ok(r * self.containers),
                    None => Err(format!(
                        "missing request for cpu in container container1 of Pod test-pod-{i}"
                    )),
                },
                sample: self
                    .levels
                    .get(i)
                    .filter(|_| !self.dropped.contains(&i))
                    .map(|l| Sample {
                        value: l * self.containers,
                        timestamp_ms: 0,
                        window_ms: 60_000,
                    }),
            })
            .collect()
    }

    fn stray(&self) -> Vec<i64> {
        let n = self.pod_count().min(self.levels.len());
        self.levels[n..]
            .iter()
            .map(|l| l * self.containers)
            .collect()
    }

    /// `GetResourceReplicas` on CPU.
    fn resource(&self, target: i32) -> Result<Proposal, String> {
        let (pods, stray) = (self.pods(), self.stray());
        let metrics = PodMetrics {
            pods: &pods,
            stray: &stray,
        };
        let r = testing_readiness();
        resource_replicas(
            self.current,
            target,
            metrics,
            true,
            NOW,
            &r,
            self.tolerances,
        )
    }

    /// (replicas, utilization, raw value) of a successful `GetResourceReplicas`.
    fn resource_ok(&self, target: i32) -> (i32, i32, i64) {
        let p = self.resource(target).expect("a proposal");
        (p.replicas, p.utilization.expect("a utilization"), p.usage)
    }

    /// `GetMetricReplicas`: levels are per pod.
    fn pods_metric(&self, target: i64) -> (i32, i64) {
        let pods = Case {
            containers: 1,
            ..self.clone()
        }
        .pods();
        let p = pods_replicas(
            self.current,
            target,
            PodMetrics::new(&pods),
            self.tolerances,
        )
        .expect("a proposal");
        (p.replicas, p.usage)
    }
}

fn cpu(n: usize, milli: i64) -> Vec<i64> {
    vec![milli; n]
}

// ---- TestReplicaCalcResourceScale (1.34: TestReplicaCalcScaleUp... / ScaleDown...) ----

#[test]
fn scale_up() {
    // "scale up" / TestReplicaCalcScaleUp
    let c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![300, 500, 700],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (5, 50, 1000));
}

#[test]
fn scale_up_container_metric() {
    // "scale up: container metric": container2 levels 300/500/700
    let c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![300, 500, 700],
        containers: 1,
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (5, 50, 500));
}

#[test]
fn scale_up_unready_pod_scales_less() {
    // "scale up: unready pod scales less" / TestReplicaCalcScaleUpUnreadyLessScale
    let c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![300, 500, 700],
        ready: vec![false, true, true],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (4, 60, 1200));
    let p = c.resource(30).unwrap();
    let counts = PodCounts {
        ready: 2,
        unready: 1,
        missing: 0,
        ignored: 0,
    };
    assert_eq!(p.counts, counts);
}

#[test]
fn scale_up_hot_cpu_scales_less() {
    // "scale up: hot-CPU pod scales less" / TestReplicaCalcScaleUpHotCpuLessScale, and
    // "scale up: hot-CPU container scales less"
    let mut c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![300, 500, 700],
        start: vec![HOT, COOL, COOL],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (4, 60, 1200));
    c.containers = 1;
    assert_eq!(c.resource_ok(30), (4, 60, 600));
}

#[test]
fn no_scale_unready_pods_ignored() {
    // "no scale: unready pods ignored" / TestReplicaCalcScaleUpUnreadyNoScale, and
    // "no scale: hot-CPU pods ignored" / TestReplicaCalcScaleHotCpuNoScale
    let mut c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![400, 500, 700],
        ready: vec![true, false, false],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (3, 40, 800));
    c.start = vec![COOL, HOT, HOT];
    assert_eq!(c.resource_ok(30), (3, 40, 800));
}

#[test]
fn scale_up_failed_pods_ignored() {
    // "scale up: failed pods ignored" / TestReplicaCalcScaleUpIgnoresFailedPods
    let mut c = Case {
        current: 2,
        requests: cpu(4, 1000),
        levels: vec![500, 700],
        ready: vec![true, true, false, false],
        phase: vec![Phase::Running, Phase::Running, Phase::Failed, Phase::Failed],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (4, 60, 1200));
    // "scale up: failed pods ignored with missing container metric": container2 levels
    // 500/700, the failed pods report container1 only (dropped).
    c.containers = 1;
    c.levels = vec![500, 700, 1000, 9000];
    c.dropped = vec![2, 3];
    assert_eq!(c.resource_ok(30), (4, 60, 600));
    // "scale up: container metrics with failed pods ignored"
    c.levels = vec![500, 700];
    c.dropped = Vec::new();
    assert_eq!(c.resource_ok(30), (4, 60, 600));
}

#[test]
fn scale_up_deleted_pods_ignored() {
    // "scale up: pods being deleted are ignored" / TestReplicaCalcScaleUpIgnoresDeletionPods,
    // and "scale up: container metrics with pods being deleted ignored"
    let mut c = Case {
        current: 2,
        requests: cpu(4, 1000),
        levels: vec![500, 700],
        ready: vec![true, true, false, false],
        phase: vec![Phase::Running; 4],
        deleting: vec![false, false, true, true],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (4, 60, 1200));
    c.containers = 1;
    assert_eq!(c.resource_ok(30), (4, 60, 600));
}

#[test]
fn scale_down() {
    // "scale down" / TestReplicaCalcScaleDown, and "scale down: container metric"
    let mut c = Case {
        current: 5,
        requests: cpu(5, 1000),
        levels: vec![100, 300, 500, 250, 250],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (3, 28, 560));
    c.containers = 1;
    assert_eq!(c.resource_ok(50), (3, 28, 280));
}

#[test]
fn scale_down_excludes_unready_pods() {
    // "scale down: exclude unready pods" / TestReplicaCalcScaleDownExcludeUnreadyPods, and
    // "scale down: container metric excludes unready pods"
    let mut c = Case {
        current: 5,
        requests: cpu(5, 1000),
        levels: vec![100, 300, 500, 250, 250],
        ready: vec![true, true, true, false, false],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (2, 30, 600));
    c.containers = 1;
    assert_eq!(c.resource_ok(50), (2, 30, 300));
}

#[test]
fn scale_down_excludes_unscheduled_pods() {
    // "scale down: exclude unscheduled pods" / TestReplicaCalcScaleDownExcludeUnscheduledPods
    let mut c = Case {
        current: 5,
        requests: cpu(5, 1000),
        levels: vec![100],
        ready: vec![true, false, false, false, false],
        phase: [[Phase::Running].as_slice(), &[Phase::Pending; 4]].concat(),
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (1, 10, 200));
    // "scale down: container metric excludes unscheduled pods": the Pending pods' metrics
    // are dropped with them.
    c.containers = 1;
    c.levels = vec![100, 300, 500, 250, 250];
    assert_eq!(c.resource_ok(50), (1, 10, 100));
}

#[test]
fn scale_down_ignores_hot_cpu_pods() {
    // "scale down: ignore hot-CPU pods" / TestReplicaCalcScaleDownIgnoreHotCpuPods, and
    // "scale down: container metric ignores hot-CPU pods" (container2 1000 on the hot ones)
    let mut c = Case {
        current: 5,
        requests: cpu(5, 1000),
        levels: vec![100, 300, 500, 250, 250],
        start: vec![COOL, COOL, COOL, HOT, HOT],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (2, 30, 600));
    c.containers = 1;
    c.levels = vec![100, 300, 500, 1000, 1000];
    assert_eq!(c.resource_ok(50), (2, 30, 300));
}

#[test]
fn scale_down_ignores_failed_and_deleted_pods() {
    // "scale down: failed pods ignored" / TestReplicaCalcScaleDownIgnoresFailedPods,
    // "scale down: pods being deleted are ignored" / ...IgnoresDeletionPods, "scale down:
    // still-running pods being deleted are ignored" and the container variants
    let running = [Phase::Running; 5];
    let mut c = Case {
        current: 5,
        requests: cpu(7, 1000),
        levels: vec![100, 300, 500, 250, 250],
        ready: vec![true, true, true, true, true, false, false],
        phase: [running.as_slice(), &[Phase::Failed; 2]].concat(),
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (3, 28, 560));
    c.containers = 1;
    assert_eq!(c.resource_ok(50), (3, 28, 280));
    c.containers = 2;
    c.phase = vec![Phase::Running; 7];
    c.deleting = vec![false, false, false, false, false, true, true];
    assert_eq!(c.resource_ok(50), (3, 28, 560));
    c.containers = 1;
    assert_eq!(c.resource_ok(50), (3, 28, 280));
}

// ---- the other resource tests ----

#[test]
fn tolerance() {
    // TestReplicaCalcTolerance
    let c = Case {
        current: 3,
        requests: vec![900, 1000, 1100],
        levels: vec![1010, 1030, 1020],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(100), (3, 102, 2040));
}

#[test]
fn configurable_tolerance() {
    // TestReplicaCalcConfigurableTolerance
    let rows: [(f64, f64, [i64; 3], i32, i32, i64); 5] = [
        (0.0, 0.0, [909, 1010, 1111], 4, 101, 2020), // "Outside of a 0% tolerance"
        (0.1, 2.0, [1890, 1910, 1900], 3, 190, 3800), // "Within a 200% scale-up tolerance"
        (2.0, 0.08, [1100, 1080, 1090], 4, 109, 2180), // "Outside 8% scale-up tolerance"
        (0.36, 0.1, [660, 640, 650], 3, 65, 1300),   // "Within a 36% scale-down tolerance"
        (0.34, 0.1, [660, 640, 650], 2, 65, 1300),   // "Outside a 34% scale-down tolerance"
    ];
    for (down, up, levels, replicas, utilization, raw) in rows {
        let c = Case {
            current: 3,
            requests: vec![900, 1000, 1100],
            levels: levels.to_vec(),
            tolerances: Tolerances {
                scale_down: down,
                scale_up: up,
            },
            ..Case::default()
        };
        assert_eq!(
            c.resource_ok(100),
            (replicas, utilization, raw),
            "{down} {up}"
        );
    }
}

#[test]
fn superfluous_metrics() {
    // TestReplicaCalcSuperfluousMetrics: six samples for four pods
    let c = Case {
        current: 4,
        requests: cpu(4, 1000),
        levels: vec![4000, 9500, 3000, 7000, 3200, 2000],
        ..Case::default()
    };
    assert_eq!(c.stray(), [6400, 4000]);
    assert_eq!(c.resource_ok(100), (24, 587, 11750));
}

#[test]
fn missing_metrics() {
    // TestReplicaCalcMissingMetrics
    let c = Case {
        current: 4,
        requests: cpu(4, 1000),
        levels: vec![400, 95],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(100), (3, 24, 495));
}

#[test]
fn empty_metrics() {
    // TestReplicaCalcEmptyMetrics: the metrics client's error, wrapped
    let err = resource_fetch_error(ResourceName::Cpu, NO_RESOURCE_METRICS);
    assert_eq!(
        err,
        "unable to get metrics for resource cpu: no metrics returned from resource metrics API"
    );
}

#[test]
fn empty_cpu_request() {
    // TestReplicaCalcEmptyCPURequest
    let c = Case {
        current: 1,
        levels: vec![200],
        ..Case::default()
    };
    let err = c.resource(100).unwrap_err();
    assert_eq!(
        err,
        "missing request for cpu in container container1 of Pod test-pod-0"
    );
}

#[test]
fn missing_metrics_no_change() {
    // TestReplicaCalcMissingMetricsNoChangeEq, ...Gt, ...Lt
    for (level, utilization) in [(1000, 100), (1900, 190), (600, 60)] {
        let c = Case {
            current: 2,
            requests: cpu(2, 1000),
            levels: vec![level],
            ..Case::default()
        };
        assert_eq!(c.resource_ok(100), (2, utilization, 2 * level));
    }
}

#[test]
fn missing_metrics_unready_or_hot_no_change() {
    // TestReplicaCalcMissingMetricsUnreadyChange, TestReplicaCalcMissingMetricsHotCpuNoChange
    let mut c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![100, 450],
        ready: vec![false, true, true],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (3, 45, 900));
    c.ready = Vec::new();
    c.start = vec![HOT, COOL, COOL];
    assert_eq!(c.resource_ok(50), (3, 45, 900));
}

#[test]
fn missing_metrics_unready_scale_up() {
    // TestReplicaCalcMissingMetricsUnreadyScaleUp, TestReplicaCalcMissingMetricsHotCpuScaleUp
    let mut c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![100, 2000],
        ready: vec![false, true, true],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (4, 200, 4000));
    c.start = vec![HOT, COOL, COOL];
    assert_eq!(c.resource_ok(50), (4, 200, 4000));
}

#[test]
fn missing_metrics_unready_scale_down() {
    // TestReplicaCalcMissingMetricsUnreadyScaleDown
    let c = Case {
        current: 4,
        requests: cpu(4, 1000),
        levels: vec![100, 100, 100],
        ready: vec![false, true, true, true],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (3, 10, 200));
}

#[test]
fn missing_metrics_scale_down_target_over_100() {
    // TestReplicaCalcMissingMetricsScaleDownTargetOver100: the missing pod counts as 300 % of
    // its request
    let c = Case {
        current: 4,
        requests: vec![1000, 1000, 2000, 2000],
        levels: vec![200, 100, 100],
        ready: vec![false, true, true, true],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(300), (2, 6, 200));
}

#[test]
fn during_rolling_update_with_max_surge() {
    // TestReplicaCalcDuringRollingUpdateWithMaxSurge: the third pod's fill would scale up
    let c = Case {
        current: 2,
        requests: cpu(3, 1000),
        levels: vec![100, 100],
        phase: vec![Phase::Running; 3],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (2, 10, 200));
}

#[test]
fn disjoint_resources_metrics() {
    // TestReplicaCalcDisjointResourcesMetrics: the only sample names another pod
    let pods = Case {
        current: 1,
        requests: vec![1000],
        ..Case::default()
    }
    .pods();
    let metrics = PodMetrics {
        pods: &pods,
        stray: &[200],
    };
    let r = testing_readiness();
    let err = resource_replicas(1, 100, metrics, true, NOW, &r, tol()).unwrap_err();
    assert_eq!(err, "no metrics returned matched known pods");
}

#[test]
fn computed_tolerance_alg_implementation() {
    // TestReplicaCalcComputedToleranceAlgImplementation: 10 pods using 150m per container,
    // requests around 300m; targets int32((1 / (2 × 0.9) + .01) × 100) = 56 and
    // int32((1 / 1.8 + .004) × 100) = 55
    let c = Case {
        current: 10,
        requests: vec![400, 200, 310, 290, 302, 298, 301, 299, 300, 300],
        levels: vec![150; 10],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(56), (9, 50, 300));
    assert_eq!(c.resource_ok(55), (10, 50, 300));
}

#[test]
fn errors_in_upstream_order() {
    let r = testing_readiness();
    let none = resource_replicas(3, 50, PodMetrics::new(&[]), true, NOW, &r, tol());
    assert_eq!(none.unwrap_err(), NO_PODS);
    // Every pod unready: no metric left, checked before the requests.
    let c = Case {
        current: 2,
        levels: vec![100, 100],
        ready: vec![false, false],
        ..Case::default()
    };
    let err = c.resource(50).unwrap_err();
    assert_eq!(
        err,
        "did not receive metrics for targeted pods (pods might be unready)"
    );
    // A Failed pod without a request still fails the metric.
    let c = Case {
        current: 2,
        requests: vec![1000],
        levels: vec![100],
        phase: vec![Phase::Running, Phase::Failed],
        ..Case::default()
    };
    let err = c.resource(50).unwrap_err();
    assert_eq!(
        err,
        "missing request for cpu in container container1 of Pod test-pod-1"
    );
}

// ---- Pods metrics ----

#[test]
fn pods_metric_scale_up() {
    // TestReplicaCalcScaleUpCM
    let c = Case {
        current: 3,
        levels: vec![20000, 10000, 30000],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(15000), (4, 20000));
}

#[test]
fn pods_metric_ignores_readiness() {
    // TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale
    let c = Case {
        current: 3,
        levels: vec![50000, 10000, 30000],
        ready: vec![true, true, false],
        start: vec![COOL, COOL, HOT],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(15000), (6, 30000));
    // TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown
    let c = Case {
        current: 3,
        levels: vec![50000, 15000, 30000],
        ready: vec![false, true, false],
        start: vec![HOT, COOL, HOT],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(15000), (7, 31666));
}

#[test]
fn pods_metric_scale_down_and_tolerance() {
    // TestReplicaCalcScaleDownCM
    let c = Case {
        current: 5,
        levels: vec![12000; 5],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(20000), (3, 12000));
    // TestReplicaCalcToleranceCM, TestReplicaCalcConfigurableToleranceCM
    let mut c = Case {
        current: 3,
        levels: vec![20000, 21000, 21000],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(20000), (3, 20666));
    c.tolerances = Tolerances {
        scale_down: 0.1,
        scale_up: 0.01,
    };
    assert_eq!(c.pods_metric(20000), (4, 20666));
}

#[test]
fn pods_metric_missing() {
    // TestPlainMetricReplicaCalcMissingMetricsNoChangeEq: at exactly 1.0 missing pods stay out
    let c = Case {
        current: 5,
        levels: vec![20000, 19000, 21000],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(20000), (5, 20000));
    // TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM
    let c = Case {
        current: 2,
        levels: vec![10000, 10000],
        phase: vec![Phase::Running; 3],
        ..Case::default()
    };
    assert_eq!(c.pods_metric(17000), (2, 10000));
}

#[test]
fn raw_resource_uses_cpu_readiness() {
    // GetRawResourceReplicas: the Resource AverageValue path groups CPU pods by readiness.
    let c = Case {
        current: 3,
        requests: cpu(3, 1000),
        levels: vec![300, 500, 700],
        ready: vec![false, true, true],
        ..Case::default()
    };
    let pods = c.pods();
    let r = testing_readiness();
    let p = raw_resource_replicas(3, 600, PodMetrics::new(&pods), true, NOW, &r, tol()).unwrap();
    // Ready pods average 1200m (ratio 2); the unready one counts 0: 800m → ceil(1.333 × 3).
    assert_eq!((p.replicas, p.usage, p.utilization), (4, 1200, None));
    let p = raw_resource_replicas(3, 600, PodMetrics::new(&pods), false, NOW, &r, tol()).unwrap();
    assert_eq!((p.replicas, p.usage), (5, 1000));
}

// ---- Object and External metrics ----

#[test]
fn object_value() {
    // TestReplicaCalcScaleUpCMObject, TestReplicaCalcScaleDownCMObject,
    // TestReplicaCalcToleranceCMObject, TestReplicaCalcConfigurableToleranceCMObject
    let up = Tolerances {
        scale_down: 0.1,
        scale_up: 0.01,
    };
    for (current, value, target, t, replicas) in [
        (3, 20000, 15000, tol(), 4),
        (5, 12000, 20000, tol(), 3),
        (3, 20666, 20000, tol(), 3),
        (3, 20666, 20000, up, 4),
    ] {
        let p = object_replicas(current, value, target, Some(current), t).unwrap();
        assert_eq!((p.replicas, p.usage), (replicas, value));
    }
}

#[test]
fn object_value_ignores_unready_pods() {
    // TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods
    let c = Case {
        current: 3,
        ready: vec![false, true, false],
        ..Case::default()
    };
    let ready = ready_pod_count(&c.pods());
    assert_eq!(ready, Some(1));
    let p = object_replicas(3, 50000, 10000, ready, tol()).unwrap();
    assert_eq!((p.replicas, p.usage), (5, 50000));
    // TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods
    let p = external_replicas(3, &[8600], 4400, ready, tol()).unwrap();
    assert_eq!((p.replicas, p.usage), (2, 8600));
}

#[test]
fn object_value_edges() {
    // From zero replicas: ceil(ratio), no tolerance, no pods needed.
    assert_eq!(
        object_replicas(0, 1000, 20000, None, tol())
            .unwrap()
            .replicas,
        1
    );
    assert_eq!(
        object_replicas(0, 0, 20000, None, tol()).unwrap().replicas,
        0
    );
    let err = object_replicas(2, 50000, 10000, None, tol()).unwrap_err();
    assert_eq!(
        err,
        "unable to calculate ready pods: no pods returned by selector while calculating replica \
         count"
    );
    // TestReplicaCalcScaleUpOverflow
    let p = object_replicas(3, i64::MAX, 1, Some(3), tol()).unwrap();
    assert_eq!((p.replicas, p.usage), (i32::MAX, i64::MAX));
}

#[test]
fn external_value() {
    // TestReplicaCalcScaleDownCMExternal, TestReplicaCalcToleranceCMExternal,
    // TestReplicaCalcConfigurableToleranceCMExternal
    let up = Tolerances {
        scale_down: 0.1,
        scale_up: 0.01,
    };
    for (current, value, target, t, replicas) in [
        (5, 8600, 14334, tol(), 3),
        (3, 8600, 8888, tol(), 3),
        (3, 8900, 8800, up, 4),
    ] {
        let p = external_replicas(current, &[value], target, Some(current), t).unwrap();
        assert_eq!((p.replicas, p.usage), (replicas, value));
    }
    // TestReplicaCalcExternalMetricUsageOverflow: the sum stops at i64::MAX
    let half = i64::MAX / 2 + 1;
    let p = external_replicas(3, &[half, half], i64::MAX, Some(3), tol()).unwrap();
    assert_eq!((p.replicas, p.usage), (3, i64::MAX));
}

#[test]
fn per_pod_object_and_external() {
    // TestReplicaCalcScaleUpCMPerPodObject, TestReplicaCalcScaleDownPerPodCMObject,
    // TestReplicaCalcTolerancePerPodCMObject,
    // TestReplicaCalcConfigurableTolerancePerPodCMObject,
    // TestReplicaCalcScaleUpPerPodCMExternal, TestReplicaCalcScaleDownPerPodCMExternal,
    // TestReplicaCalcTolerancePerPodCMExternal,
    // TestReplicaCalcConfigurableTolerancePerPodCMExternal
    let up = Tolerances {
        scale_down: 0.1,
        scale_up: 0.01,
    };
    for (status, value, target, t, replicas, usage) in [
        (3, 20000, 5000, tol(), 4, 6667),
        (5, 6000, 2000, tol(), 3, 1200),
        (4, 20166, 5000, tol(), 4, 5042),
        (4, 20208, 5000, up, 5, 5052),
        (3, 8600, 2150, tol(), 4, 2867),
        (5, 8600, 2867, tol(), 3, 1720),
        (3, 8600, 2900, tol(), 3, 2867),
        (3, 8600, 2800, up, 4, 2867),
    ] {
        let p = per_pod_replicas(status, value, target, t);
        assert_eq!((p.replicas, p.usage), (replicas, usage), "{value}/{target}");
        let p = external_per_pod_replicas(status, &[value], target, t);
        assert_eq!((p.replicas, p.usage), (replicas, usage), "{value}/{target}");
    }
    // TestExternalPerPodMetricReplicaOverflow, TestExternalPerPodMetricUsageOverflow
    let p = external_per_pod_replicas(1, &[i64::MAX], 1, tol());
    assert_eq!((p.replicas, p.usage), (i32::MAX, i64::MAX));
    let p = external_per_pod_replicas(1, &[i64::MAX], i64::MAX, tol());
    assert_eq!((p.replicas, p.usage), (1, i64::MAX));
    // A negative running sum is taken for an overflow.
    let p = external_per_pod_replicas(2, &[-5], 1000, tol());
    assert_eq!(p.usage, i64::MAX);
}

// ---- TestGroupPods ----

fn pod(phase: Phase, ready: Option<bool>, transition: Option<i64>, start: Option<i64>) -> PodView {
    PodView {
        phase,
        deleting: false,
        ready,
        ready_transition_ms: transition,
        start_ms: start,
        request: Ok(0),
        sample: Some(Sample {
            value: 1,
            timestamp_ms: 0,
            window_ms: 0,
        }),
    }
}

fn group_one(p: PodView, cpu: bool) -> PodCounts {
    group_pods(&[p], cpu, NOW, &testing_readiness()).counts()
}

const READY: PodCounts = PodCounts {
    ready: 1,
    unready: 0,
    missing: 0,
    ignored: 0,
};
const UNREADY: PodCounts = PodCounts {
    ready: 0,
    unready: 1,
    missing: 0,
    ignored: 0,
};

#[test]
fn group_pods_rows() {
    let min = 60_000;
    assert_eq!(
        group_pods(&[], true, NOW, &testing_readiness()),
        Groups::default()
    ); // "void"
    // "count in a ready pod - memory"
    assert_eq!(
        group_one(pod(Phase::Succeeded, None, None, None), false),
        READY
    );
    // "unready a pod without ready condition - CPU"
    assert_eq!(
        group_one(pod(Phase::Succeeded, None, None, Some(NOW)), true),
        UNREADY
    );
    // "count in a ready pod with fresh metrics during initialization period - CPU", and
    // "unready a ready pod without fresh metrics during initialization period - CPU"
    let mut p = pod(
        Phase::Succeeded,
        Some(true),
        Some(NOW - 30_000),
        Some(NOW - min),
    );
    p.sample = Some(Sample {
        value: 1,
        timestamp_ms: NOW,
        window_ms: 30_000,
    });
    assert_eq!(group_one(p.clone(), true), READY);
    p.sample = Some(Sample {
        window_ms: 60_000,
        ..p.sample.unwrap()
    });
    assert_eq!(group_one(p, true), UNREADY);
    // "unready an unready pod during initialization period - CPU" (past it in fact: readiness
    // changed 6 s after the start, within the 10 s delay)
    let start = Some(NOW - 10 * min);
    let p = pod(
        Phase::Succeeded,
        Some(false),
        Some(NOW - 9 * min - 54_000),
        start,
    );
    assert_eq!(group_one(p, true), UNREADY);
    // "count in a ready pod without fresh metrics after initialization period - CPU"
    let mut p = pod(
        Phase::Succeeded,
        Some(true),
        Some(NOW - 3 * min),
        Some(NOW - 3 * min),
    );
    p.sample = Some(Sample {
        value: 1,
        timestamp_ms: NOW - 2 * min,
        window_ms: min,
    });
    assert_eq!(group_one(p, true), READY);
    // "count in an unready pod that was ready after initialization period - CPU"
    let p = pod(Phase::Succeeded, Some(false), Some(NOW - 9 * min), start);
    assert_eq!(group_one(p, true), READY);
    // "unready pod that has never been ready after initialization period - CPU": the change
    // at exactly start + 10 s counts as ready
    let p = pod(
        Phase::Succeeded,
        Some(false),
        Some(NOW - 9 * min - 50_000),
        start,
    );
    assert_eq!(group_one(p, true), READY);
}

#[test]
fn group_pods_several() {
    // "a missing pod", "several pods", "pending pods are unreadied", "ignore pods with
    // deletion timestamps", "ignore pods in a failed state"
    let lucretius = pod(Phase::Succeeded, None, None, Some(NOW));
    let niccolo = pod(
        Phase::Succeeded,
        Some(true),
        Some(NOW - 180_000),
        Some(NOW - 180_000),
    );
    let mut epicurus = pod(Phase::Succeeded, None, None, Some(NOW - 180_000));
    epicurus.sample = None;
    let mut unscheduled = pod(Phase::Pending, None, None, None);
    unscheduled.sample = None;
    let mut deleted = pod(Phase::Pending, None, None, None);
    deleted.deleting = true;
    let failed = pod(Phase::Failed, None, None, None);
    let pods = [lucretius, niccolo, epicurus, unscheduled, deleted, failed];
    let groups = group_pods(&pods, true, NOW, &testing_readiness());
    let expected = Groups {
        ready: vec![1],
        unready: vec![0, 3],
        missing: vec![2],
        ignored: vec![4, 5],
    };
    assert_eq!(groups, expected);
}

#[test]
fn group_pods_boundaries() {
    let r = testing_readiness();
    // The CPU initialization period ends at start + period exactly: then the long-run rule
    // applies (Ready True counts even with a stale sample).
    let mut p = pod(
        Phase::Running,
        Some(true),
        Some(NOW),
        Some(NOW - r.cpu_initialization_period_ms),
    );
    assert_eq!(group_one(p.clone(), true), READY);
    p.start_ms = Some(NOW - r.cpu_initialization_period_ms + 1);
    assert_eq!(group_one(p.clone(), true), UNREADY);
    // Unset Ready transition: Go's zero time, before everything.
    p.ready_transition_ms = None;
    assert_eq!(group_one(p.clone(), true), READY);
    // No start time: unready for CPU, ready otherwise.
    p.start_ms = None;
    assert_eq!(group_one(p.clone(), true), UNREADY);
    assert_eq!(group_one(p, false), READY);
}

// ---- tolerances, formulas of k8s-behaviour §15.3 ----

#[test]
fn tolerance_band_is_inclusive() {
    let t = tol();
    assert!(t.is_within(90.0 / 100.0) && t.is_within(110.0 / 100.0));
    assert!(!t.is_within(89.0 / 100.0) && !t.is_within(111.0 / 100.0));
    // Pods request 1000m; utilization is level / 5 against a 100 % target. 110 % and 90 % keep
    // 3 pods; 111 % makes ceil(3.33) = 4; 89 % ceil(2.67) = 3 all the same.
    for (level, replicas) in [(550, 3), (555, 4), (450, 3), (445, 3)] {
        let c = Case {
            current: 3,
            requests: cpu(3, 500),
            levels: vec![level; 3],
            ..Case::default()
        };
        assert_eq!(c.resource_ok(100).0, replicas, "{level}");
    }
    // 85 % of 5 pods: ceil(4.25) = 5, no change although outside the band.
    let c = Case {
        current: 5,
        requests: cpu(5, 500),
        levels: vec![425; 5],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(100), (5, 85, 850));
}

#[test]
fn utilization_truncates() {
    // 602 × 100 / 1800 = 33 % (not 33.4), a ratio of 1.1 to a 30 % target: within the band.
    // The raw average truncates too: 602 / 3 = 200.
    let c = Case {
        current: 3,
        requests: cpu(3, 300),
        levels: vec![100, 100, 101],
        ..Case::default()
    };
    let p = c.resource(30).unwrap();
    assert_eq!((p.utilization, p.usage, p.replicas), (Some(33), 200, 3));
}

#[test]
fn tolerances_for_hpa_and_display() {
    let mut behavior = Behavior {
        scale_up: crate::api::hpa::ScalingRules::default_scale_up(),
        scale_down: crate::api::hpa::ScalingRules::default_scale_down(),
    };
    assert_eq!(Tolerances::for_hpa(0.1, None), Tolerances::uniform(0.1));
    behavior.scale_up.tolerance = Some(0.05);
    let t = Tolerances::for_hpa(0.1, Some(&behavior));
    assert_eq!((t.scale_down, t.scale_up), (0.1, 0.05));
    assert_eq!(t.to_string(), "[down:10.0%, up:5.0%]");
    assert_eq!(Readiness::default().cpu_initialization_period_ms, 300_000);
    assert_eq!(Readiness::default().initial_readiness_delay_ms, 30_000);
}

#[test]
fn controller_level_cpu_proposals() {
    // The CPU proposals behind horizontal_test.go's TestScaleUpOneMetricEmpty (3 → 4, which
    // the failing External metric does not stop) and TestNoScaleDownOneMetricInvalid /
    // TestNoScaleDownOneMetricEmpty (a proposal of 3 the controller refuses next to a failed
    // metric).
    let c = Case {
        current: 3,
        requests: cpu(3, 500),
        levels: vec![150, 200, 250],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(30), (4, 40, 400));
    let c = Case {
        current: 5,
        requests: cpu(5, 500),
        levels: vec![50, 150, 250, 125, 125],
        ..Case::default()
    };
    assert_eq!(c.resource_ok(50), (3, 28, 280));
}
