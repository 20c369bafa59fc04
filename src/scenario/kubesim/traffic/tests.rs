use super::super::super::testing::*;
use crate::api::traffic::{Pattern, TargetKind};

const WEB: &str = "---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m}}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
";

fn with(traffic: &str) -> String {
    format!("{}{WEB}", sim(&format!("  traffic:\n{traffic}")))
}

#[test]
fn every_pattern_resolves_and_adds_up() {
    let text = with(
        "  - target: deployment/web
    rps:
    - {constant: 50}
    - {steps: [[0s, 100], [10m, 600]]}
    - {ramp: {from: 0, to: 10, start: 1m, end: 2m}}
    - {diurnal: {mean: 100, trough: 20, period: 24h, peak: 14h}}
    - {spikes: [{at: 10m, for: 5m, rps: 400}]}
    - {csv: day.csv}
    noise: {stddev: 0.1, every: 30s}
    perRequest: {cpu: 4m, memory: 1Mi}
    perPod: {cpu: 20m, memory: 64Mi}
    capacityPerPod: 100
  - target: service/default/web
    rps: {constant: 5}
    noise: 0.05
  - name: queue
    rps: {constant: 7}
",
    );
    let s = ok(&[("sim.yaml", &text), ("day.csv", "time_s,rps\n0,1\n60,3\n")]);
    assert_eq!(s.traffic.len(), 3);
    let t = &s.traffic[0];
    let target = t.target.as_ref().unwrap();
    assert_eq!(
        (target.kind, target.name.as_str()),
        (TargetKind::Deployment, "web")
    );
    assert_eq!(t.rps.len(), 6);
    assert_eq!(t.rps[5], Pattern::Series(vec![(0, 1.0), (60_000, 3.0)]));
    assert!(matches!(t.rps[3], Pattern::Diurnal { amplitude, .. } if amplitude == 80.0));
    assert_eq!((t.per_request.cpu_m, t.per_pod.memory), (4.0, 67_108_864.0));
    assert_eq!(t.capacity_per_pod, Some(100.0));
    assert_eq!(t.noise.as_ref().unwrap().every_ms, 30_000);
    assert_eq!(s.traffic[1].noise.as_ref().unwrap().stddev, 0.05);
    assert_eq!(s.traffic[2].name.as_deref(), Some("queue"));
    // At 12 minutes: 50 + 600 + 10 + diurnal + 400 + 3 (the series' last value).
    let rate = t.rps.iter().map(|p| p.at(720_000)).sum::<f64>();
    assert!(rate > 1063.0 && rate < 1163.0, "{rate}");
}

/// A plain number is a constant rate, alone or in a list.
#[test]
fn a_plain_number_is_a_constant_rate() {
    let text = with(
        "  - target: deployment/web\n    rps: 700\n  - target: service/web\n    rps: [50, {spikes: [{at: 1m, for: 1m, rps: 4}]}]\n",
    );
    let s = ok(&[("sim.yaml", &text)]);
    assert_eq!(s.traffic[0].rps, [Pattern::Constant(700.0)]);
    assert_eq!(s.traffic[1].rps[0], Pattern::Constant(50.0));
    assert_eq!(s.traffic[1].rps.len(), 2);
}

#[test]
fn bad_traffic_is_a_located_error() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "  - target: deployment/nope\n    rps: {constant: 1}\n",
            "spec.traffic[0].target",
            "matches nothing: no Deployment \"nope\" in namespace \"default\"",
        ),
        (
            "  - target: service/other/web\n    rps: {constant: 1}\n",
            "spec.traffic[0].target",
            "no Service \"web\" in namespace \"other\"",
        ),
        (
            "  - target: deployment/web\n    rps: {constant: -3}\n",
            "spec.traffic[0].rps.constant",
            "a rate must be a number ≥ 0, got -3",
        ),
        (
            "  - target: deployment/web\n    rps: -3\n",
            "spec.traffic[0].rps.constant",
            "a rate must be a number ≥ 0, got -3",
        ),
        (
            "  - target: deployment/web\n    rps: [{constant: 1, steps: []}]\n",
            "spec.traffic[0].rps",
            "give exactly one of constant",
        ),
        (
            "  - target: pod/web\n    rps: {constant: 1}\n",
            "spec.traffic[0].target",
            "traffic goes to a service, deployment or statefulset",
        ),
        (
            "  - target: deployment/web\n    rps: {steps: [[10m, 1], [5m, 2]]}\n",
            "spec.traffic[0].rps.steps[1][0]",
            "steps must be in time order",
        ),
        (
            "  - rps: {constant: 1}\n",
            "spec.traffic[0]",
            "needs a target",
        ),
        (
            "  - target: deployment/web\n    rps: {constant: 1}\n  - target: deploy/web\n    \
             rps: {constant: 2}\n",
            "spec.traffic[1]",
            "a second entry for deployment/default/web",
        ),
    ];
    for (traffic, path, message) in cases {
        let (_, e) = errs(&[("sim.yaml", &with(traffic))]);
        assert_eq!(e.len(), 1, "{traffic}: {e:?}");
        assert_eq!(e[0].path, *path, "{traffic}");
        assert!(
            e[0].message.contains(message),
            "{traffic}: {}",
            e[0].message
        );
        assert!(
            e[0].location.as_ref().is_some_and(|l| l.line > 0),
            "{traffic}: located"
        );
    }
}

#[test]
fn a_malformed_series_names_its_file_line_and_column() {
    let text = with("  - target: deployment/web\n    rps: {csv: s.csv}\n");
    let (dir, _, r) = load(&[("sim.yaml", &text), ("s.csv", "time_s,rps\n0,1\n30,x\n")]);
    let e = r.unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].file, dir.path().join("s.csv"));
    assert_eq!(
        (e[0].location.as_ref().map(|l| l.line), e[0].path.as_str()),
        (Some(3), "rps")
    );
    assert!(
        e[0].message.contains("\"x\": expected a number"),
        "{}",
        e[0]
    );
    for (csv, message) in [
        ("t,rps\n0,1\n", "the header must name time_s and rps"),
        ("time_s,rps\n0,-1\n", "a rate must be ≥ 0"),
        ("time_s,rps\n10,1\n5,1\n", "times must increase"),
    ] {
        let (_, _, r) = load(&[("sim.yaml", &text), ("s.csv", csv)]);
        let e = r.unwrap_err();
        assert!(e[0].message.contains(message), "{csv}: {}", e[0]);
    }
}
