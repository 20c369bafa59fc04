//! HPA scenario tests: run the binary on real YAML and check the replica series against
//! values worked out by hand from upstream's formulas (`pkg/controller/podautoscaler`):
//! utilization = Σ usage × 100 / Σ request (integer), ratio = utilization / target,
//! proposal = ceil(ratio × pods) outside the tolerance band [0.9, 1.1], then stabilization
//! and the bounds.

mod common;

use common::{kubesim, read, repo, run};
use std::path::{Path, PathBuf};

/// The `SuccessfulRescale` events: (time, message).
fn rescales(out: &Path) -> Vec<(f64, String)> {
    (common::events_with(out, "SuccessfulRescale").into_iter())
        .map(|(t, _, message)| (t, message))
        .collect()
}

/// `steps.yaml` with its HPA document replaced by `hpa` (and anything after).
fn with_hpa(dir: &Path, name: &str, hpa: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("tests/data/hpa/steps.yaml")).unwrap();
    let i = text.find("apiVersion: autoscaling/v2").unwrap();
    let p = dir.join(name);
    std::fs::write(&p, format!("{}{hpa}", &text[..i])).unwrap();
    p
}

const REASON_CPU: &str = "cpu resource utilization (percentage of request) above target";

#[test]
fn cpu_utilization_series_matches_the_hand_worked_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("steps");
    run(&repo("tests/data/hpa/steps.yaml"), &out, &["--explain"]);
    // 0-5m, 50 requests/s over 2 pods: 10m + 25 × 2m = 60m of 200m = 30 %: ratio 0.6, 2.
    // 315 s (the first sync whose scrape window is all 400/s): 200/s a pod, 410m = 205 %,
    //   ratio 4.1, ceil(4.1 × 2) = 9; without behavior at most max(2 × 2, 4) = 4.
    // 330 s: the 2 new pods started at 320 and Ready at once have metrics (the scrape at 330
    //   is 10 s after their start); 100/s a pod, 210m = 105 %, ceil(2.1 × 4) = 9, at most 8.
    // 345 s: 8 pods, 50/s each, 110m = 55 %: ratio 1.1, within the tolerance: 8. The
    //   recommendation of 9 from 330 s is in the 5-minute window: 9, and the event's reason
    //   is empty (the metrics asked for no change), as upstream's.
    // 25m: 50/s over 9 pods, 21.1m each (22m rounded up) = 11 %: 2, but every recommendation
    //   of the last 5 minutes is 9 until the one at 1500 s (still 400/s in its scrape window)
    //   leaves the window: at 1815 s.
    assert_eq!(
        rescales(&out),
        [
            (315.0, format!("New size: 4; reason: {REASON_CPU}")),
            (330.0, format!("New size: 8; reason: {REASON_CPU}")),
            (345.0, "New size: 9; reason: ".to_string()),
            (
                1815.0,
                "New size: 2; reason: All metrics below target".to_string()
            ),
        ]
    );
    let syncs: Vec<serde_json::Value> = read(&out, "hpa.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(syncs.len(), 160, "every 15 s from 15 s to 40 min");
    let at = |t: f64| syncs.iter().find(|s| s["time_s"] == t).unwrap().clone();
    let s = at(315.0);
    assert_eq!(s["metrics"][0]["value"], 205.0);
    assert_eq!(s["metrics"][0]["proposal"], 9);
    assert_eq!(s["limit"]["reason"], "ScaleUpLimit");
    assert_eq!(s["pods"]["ready"], 2);
    assert_eq!(at(345.0)["metrics"][0]["value"], 55.0);
    assert_eq!(at(345.0)["recommendation"], 9);
    assert_eq!(at(1800.0)["metrics"][0]["proposal"], 2);
    assert_eq!(at(1800.0)["desired_replicas"], 9, "held by the window");
    // The first sync (15 s) sees the pods started at 5 s: 10 s old at the 15 s scrape.
    assert_eq!(at(15.0)["metrics"][0]["value"], 30.0);
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let h = &summary["hpa"][0];
    assert_eq!(h["name"], "default/web");
    assert_eq!(h["replicas"], serde_json::json!({"min": 2, "max": 9}));
    assert_eq!(h["scale_events"], 4);
    assert_eq!(h["traffic"][0], "service/default/web");
    assert_eq!(h["conditions"][0]["type"], "AbleToScale");
    let metrics = read(&out, "metrics.csv");
    assert!(metrics.contains("600.000,hpa_current_replicas,hpa/default/web,9\n"));
    assert!(metrics.contains("600.000,hpa_metric_target,hpa/default/web/cpu,50\n"));
    assert!(metrics.contains("600.000,offered_rps,service/default/web,400\n"));
}

#[test]
fn autoscaling_v1_converts_to_the_same_cpu_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = with_hpa(
        tmp.path(),
        "v1.yaml",
        "apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 20
  targetCPUUtilizationPercentage: 50
",
    );
    let (a, b) = (tmp.path().join("v1"), tmp.path().join("v2"));
    run(&v1, &a, &[]);
    run(&repo("tests/data/hpa/steps.yaml"), &b, &[]);
    assert_eq!(rescales(&a), rescales(&b));
}

#[test]
fn behavior_paces_scale_up_and_its_window_ends_a_sync_earlier() {
    let tmp = tempfile::tempdir().unwrap();
    let p = with_hpa(
        tmp.path(),
        "behavior.yaml",
        "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 20
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleUp:
      policies: [{type: Pods, value: 2, periodSeconds: 60}]
",
    );
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    // At most 2 pods per 60 s: +2 at 315 s; the event leaves the period at 375 s (an event
    // counts while strictly younger than the period). 375 s: 4 pods at 105 % propose 9,
    // 6 allowed. 435 s: 6 pods at 72 % (400/6 a pod: 143.3m, 144m rounded up) propose 9,
    // 8 allowed. 495 s: 8 pods at 55 %, within the tolerance: it stays at 8 (no recommendation
    // window upward with behavior: scaleUp's window is 0 s). The default scaleDown window
    // (300 s) counts a recommendation only while strictly younger than the window: the one of
    // 1500 s is out at 1800 s, a sync before the path without behavior.
    assert_eq!(
        rescales(&out),
        [
            (315.0, format!("New size: 4; reason: {REASON_CPU}")),
            (375.0, format!("New size: 6; reason: {REASON_CPU}")),
            (435.0, format!("New size: 8; reason: {REASON_CPU}")),
            (
                1800.0,
                "New size: 2; reason: All metrics below target".to_string()
            ),
        ]
    );
}

#[test]
fn object_and_external_metrics_read_the_traffic() {
    let tmp = tempfile::tempdir().unwrap();
    let p = with_hpa(
        tmp.path(),
        "object.yaml",
        "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 6
  metrics:
  - type: Object
    object:
      describedObject: {apiVersion: v1, kind: Service, name: web}
      metric: {name: requests_per_second}
      target: {type: Value, value: \"100\"}
  - type: External
    external:
      metric: {name: queue}
      target: {type: AverageValue, averageValue: \"40\"}
",
    );
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "  traffic:\n",
        "  traffic:\n  - name: queue\n    rps: {constant: 120}\n",
    );
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("out");
    run(&p, &out, &["--explain"]);
    // 15 s: the Service is offered 50/s against a Value target of 100: ratio 0.5,
    // ceil(0.5 × 2 ready pods) = 1; the queue's 120 over an average of 40 a pod: 3 pods.
    // The largest proposal wins: 2 -> 3.
    let r = rescales(&out);
    assert_eq!(
        r[0],
        (
            15.0,
            "New size: 3; reason: external metric queue(<nil>) above target".into()
        )
    );
    // 315 s: 400/s against 100 with 3 ready pods: ratio 4, 12, bounded by maxReplicas 6.
    assert_eq!(
        r[1],
        (
            315.0,
            "New size: 6; reason: Service metric requests_per_second above target".into()
        )
    );
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert!(summary["hpa"][0]["seconds_at_max"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_missing_cpu_request_fails_the_metric_without_crashing() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/hpa/steps.yaml"))
        .unwrap()
        .replace(
            "resources: {requests: {cpu: 200m, memory: 128Mi}, limits: {cpu: 500m}}",
            "resources: {requests: {memory: 128Mi}}",
        );
    let p = tmp.path().join("norequest.yaml");
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    assert!(rescales(&out).is_empty());
    let events = read(&out, "events.csv");
    let line = events
        .lines()
        .find(|l| l.contains(",FailedGetResourceMetric,"))
        .expect("a warning event");
    assert!(
        line.contains(
            "failed to get cpu utilization: missing request for cpu in container app of Pod web-"
        ),
        "{line}"
    );
    assert!(events.contains(
        "FailedComputeMetricsReplicas,HorizontalPodAutoscaler/default/web,\"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod web-"
    ));
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let active = &summary["hpa"][0]["conditions"][1];
    assert_eq!(active["type"], "ScalingActive");
    assert_eq!(active["status"], "False");
    assert_eq!(active["reason"], "FailedGetResourceMetric");
}

#[test]
fn explain_tells_each_change_and_each_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("steps");
    run(&repo("tests/data/hpa/steps.yaml"), &out, &["--explain"]);
    let o = kubesim()
        .args(["explain"])
        .arg(&out)
        .arg("hpa/default/web")
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    for expected in [
        "315s  2 -> 4 replicas",
        "cpu (Resource) at 205% of its request (target 50%) proposes 9",
        "bounded to 4 by ScaleUpLimit",
        "345s  8 -> 9 replicas",
        "a higher recommendation of the stabilization window makes it 9",
        "1515s to 1800s  holds at 9 (20 syncs): the metrics propose 2, but the stabilization \
         window holds",
        "1815s  9 -> 2 replicas",
        "4 change(s) of replicas; between 2 and 9 replicas.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let o = kubesim()
        .args(["explain"])
        .arg(&out)
        .arg("hpa/default/nope")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("recorded: hpa/default/web"));
}

#[test]
fn bad_hpa_and_traffic_input_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(repo("tests/data/hpa/steps.yaml")).unwrap();
    for (edit, expected) in [
        (
            ("name: web}\n  minReplicas", "name: nope}\n  minReplicas"),
            "spec.scaleTargetRef.name: deployments.apps \"nope\" not found",
        ),
        (
            ("maxReplicas: 20", "maxReplicas: 1"),
            "spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`",
        ),
        (
            ("target: service/web", "target: service/api"),
            "spec.traffic[0].target: matches nothing: no Service \"api\" in namespace \"default\"",
        ),
        (
            ("[25m, 50]", "[25m, -50]"),
            "spec.traffic[0].rps.steps[2][1]: a rate must be a number ≥ 0, got -50",
        ),
        (("type: Resource\n", "type: Custom\n"), "Unsupported value"),
    ] {
        let p = tmp.path().join("bad.yaml");
        assert!(base.contains(edit.0), "{edit:?}");
        std::fs::write(&p, base.replace(edit.0, edit.1)).unwrap();
        let o = kubesim()
            .args(["run", "--quiet", "--out"])
            .arg(tmp.path().join("out"))
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{edit:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{expected:?} not in {err}");
        assert!(err.contains("bad.yaml:"), "located: {err}");
        assert!(!tmp.path().join("out").exists(), "nothing written");
    }
}

#[test]
fn podmetrics_of_a_snapshot_drive_the_first_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pm");
    let o = run(
        &repo("tests/data/hpa/podmetrics.yaml"),
        &out,
        &["--explain"],
    );
    // The PodMetricsList names a pod the scenario does not have: a warning, at its line.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("podmetrics.yaml:58: items[2].metadata.name: PodMetrics of pod default/gone"),
        "{err}"
    );
    // The pods have been Ready for an hour and metrics-server knew them: the first sync (15 s)
    // reads 300123456n (301m, rounded up as MilliValue does) and 299m of 200m requests: 150 %,
    // ratio 3, 6 replicas, at most max(2 x 2, 4) = 4.
    let first: serde_json::Value =
        serde_json::from_str(read(&out, "hpa.jsonl").lines().next().unwrap()).unwrap();
    assert_eq!(first["time_s"], 15.0);
    assert_eq!(first["metrics"][0]["value"], 150.0);
    assert_eq!(first["metrics"][0]["proposal"], 6);
    assert_eq!(first["pods"]["ready"], 2);
    assert_eq!(
        rescales(&out)[0],
        (15.0, format!("New size: 4; reason: {REASON_CPU}"))
    );
}

/// `(time_s, value)` of one series of `metrics.csv`.
fn series(out: &Path, metric: &str, object: &str) -> Vec<(f64, f64)> {
    read(out, "metrics.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1] == metric && f[2] == object)
                .then(|| (f[0].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect()
}

#[test]
fn the_capacity_scenario_shows_what_its_header_says() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cap");
    run(&repo("scenarios/hpa-capacity.yaml"), &out, &[]);
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    // Three 4-core nodes hold nine frontend pods beside checkout.
    let ready = series(&out, "replicas_ready", "deployment/shop/frontend");
    assert_eq!(ready.iter().map(|r| r.1 as i64).max(), Some(9));
    // From about 18:00 a tenth pod waits for room.
    let events = read(&out, "events.csv");
    let first_pending: f64 = (events.lines())
        .find(|l| l.contains(",FailedScheduling,Pod/shop/frontend-"))
        .and_then(|l| l.split(',').next()?.parse().ok())
        .unwrap();
    assert!(
        (17.5 * 3600.0..18.5 * 3600.0).contains(&first_pending),
        "{first_pending}"
    );
    assert!(events.contains("Insufficient cpu"));
    // The sale asks for 16; what the nine cannot serve is unserved during the sale only.
    let frontend = &summary["hpa"][0];
    assert_eq!(frontend["name"], "shop/frontend");
    assert_eq!(frontend["replicas"]["max"], 16);
    let unserved = series(&out, "unserved_rps", "service/shop/frontend");
    assert!(
        (unserved.iter().filter(|u| u.0 > 0.0 && u.1 > 0.0))
            .all(|u| (20.0 * 3600.0..20.0 * 3600.0 + 21.0 * 60.0).contains(&u.0)),
        "unserved outside the sale"
    );
    let service = &summary["services"][0];
    assert_eq!(service["object"], "service/shop/frontend");
    let share = service["unserved_share"].as_f64().unwrap();
    assert!((0.006..0.01).contains(&share), "{share}");
    assert!(service["latency_p99_s"]["max"].as_f64().unwrap() > 1.0);
    assert_eq!(summary["services"][1]["unserved_requests"], 0.0);
    // A fourth node serves the sale.
    let text = std::fs::read_to_string(repo("scenarios/hpa-capacity.yaml")).unwrap();
    let four = tmp.path().join("four.yaml");
    std::fs::write(
        &four,
        text.replacen("        count: 3", "        count: 4", 1),
    )
    .unwrap();
    let out = tmp.path().join("four");
    run(&four, &out, &[]);
    let summary: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["unserved_requests"], 0.0);
}

#[test]
fn pod_metrics_add_up_to_the_cluster_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("tests/data/hpa/steps.yaml")).unwrap();
    let p = tmp.path().join("pm.yaml");
    let text = text.replacen("  traffic:", "  output: {podMetrics: true}\n  traffic:", 1);
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("out");
    run(&p, &out, &[]);
    let metrics = read(&out, "metrics.csv");
    let at = |t: &str, metric: &str, prefix: &str| -> f64 {
        (metrics.lines())
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[0] == t && f[1] == metric && f[2].starts_with(prefix))
            .map(|f| f[3].parse::<f64>().unwrap())
            .sum()
    };
    // At 10m the step to 400/s has settled on 9 pods: each serves 44.4/s, 10m + 2m × 44.4;
    // the flow costs no memory, so each pod's memory is its request (128Mi).
    for metric in ["cpu_usage_cores", "memory_usage_bytes"] {
        let pods = at("600.000", metric, "pod/default/web-");
        let cluster = at("600.000", metric, "cluster");
        // The cluster's figure rounds each pod's traffic to whole millicores and bytes.
        let slack = if metric == "cpu_usage_cores" {
            0.005
        } else {
            9.0
        };
        assert!(pods > 0.0 && (pods - cluster).abs() <= slack, "{metric}");
    }
    assert!(
        (at("600.000", "cpu_usage_cores", "pod/") - (0.010 * 9.0 + 0.002 * 400.0)).abs() < 1e-5
    );
    assert_eq!(
        at("600.000", "memory_usage_bytes", "pod/"),
        9.0 * 128.0 * 1024.0 * 1024.0
    );
    // Without the option, no pod rows.
    let plain = tmp.path().join("plain");
    run(&repo("tests/data/hpa/steps.yaml"), &plain, &[]);
    assert!(!read(&plain, "metrics.csv").contains(",pod/"));
}
