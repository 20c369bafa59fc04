//! Scenario test for the scheduler's timings (`spec.timings.schedulingCycle` and
//! `spec.timings.binding`): a burst of pods drains one cycle at a time, and the scheduling
//! latency shows it.

mod common;

use common::{read, run};
use std::path::Path;

/// 1,000 small pods created at once on 50 nodes, with `timings` added to the Simulation.
fn burst(timings: &str) -> String {
    format!(
        r#"
apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {{name: burst}}
spec:
  seed: 7
  duration: 1h
  {timings}
  cluster:
    nodePools:
      - {{name: node, count: 50, zones: [a, b], template: {{status: {{capacity: {{cpu: "32", memory: 128Gi}}}}}}}}
  arrivals:
    - name: burst
      count: 1000
      every: 0s
      template:
        kind: Pod
        metadata: {{name: burst, annotations: {{kubesim.io/duration: 10m}}}}
        spec:
          containers: [{{name: c, image: busybox, resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}}}]
"#
    )
}

/// `(created_s, scheduled_s)` of every pod, in pods.csv order.
fn times(out: &Path) -> Vec<(f64, f64)> {
    read(out, "pods.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[5].parse().unwrap(), f[6].parse().unwrap())
        })
        .collect()
}

/// The summary's scheduling latency percentile `p` (`p50`, `p99`, `max`).
fn latency(out: &Path, p: &str) -> f64 {
    let summary: serde_json::Value = serde_json::from_str(&read(out, "summary.json")).unwrap();
    summary["scheduling_latency_s"][p].as_f64().unwrap()
}

#[test]
fn a_burst_drains_one_cycle_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let go = |name: &str, timings: &str| {
        let file = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&file, burst(timings)).unwrap();
        let out = tmp.path().join(name);
        run(&file, &out, &[]);
        out
    };

    // Without timings every pod is bound when it is created.
    let instant = go("instant", "");
    let t = times(&instant);
    assert_eq!(t.len(), 1000);
    assert!(t.iter().all(|&(c, s)| c == 0.0 && s == 0.0), "{t:?}");
    assert_eq!(latency(&instant, "max"), 0.0);

    // 5 ms a cycle: pod i is bound when the i-th cycle ends, the last ≈5 s after the first.
    let cycled = go("cycled", "timings: {schedulingCycle: 5ms}");
    let mut bound: Vec<f64> = times(&cycled).iter().map(|&(_, s)| s).collect();
    bound.sort_by(f64::total_cmp);
    assert_eq!(bound[0], 0.005);
    assert!(
        (bound[999] - 5.0).abs() < 1e-9,
        "last bound at {}",
        bound[999]
    );
    for w in bound.windows(2) {
        assert!((w[1] - w[0] - 0.005).abs() < 1e-9, "{w:?}");
    }
    let (p50, p99) = (latency(&cycled, "p50"), latency(&cycled, "p99"));
    assert!((2.4..=2.6).contains(&p50), "p50 {p50}");
    assert!((4.9..=5.0).contains(&p99), "p99 {p99}");

    // A binding of 20 ms after each cycle adds 20 ms to every pod, not 20 ms per pod: the
    // next cycle does not wait for it.
    let bound_later = go("bound", "timings: {schedulingCycle: 5ms, binding: 20ms}");
    let mut later: Vec<f64> = times(&bound_later).iter().map(|&(_, s)| s).collect();
    later.sort_by(f64::total_cmp);
    assert_eq!(later[0], 0.025);
    assert!(
        (later[999] - 5.02).abs() < 1e-9,
        "last bound at {}",
        later[999]
    );

    // The timings are in the resolved parameters.
    let resolved = read(&bound_later, "scenario.resolved.txt");
    assert!(
        resolved.contains("timings.schedulingCycle: 5ms\n"),
        "{resolved}"
    );
    assert!(resolved.contains("timings.binding: 20ms\n"), "{resolved}");
}
