//! The HPA at scale (issue target): a 24-hour diurnal day with 100 HPA-scaled Deployments,
//! each behind its Service with its own traffic (a diurnal curve with noise, peaks spread
//! over the day), on 500 nodes, in under 2 s. Each iteration loads the scenario, builds the
//! world and runs it to its end without writing files; metrics are sampled every 15 s as a
//! run writing its files would.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::observe::NullSink;
use kubesim::scenario::load_scenario;
use kubesim::scheduler::plugins::Registry;
use kubesim::world::World;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Deployments (each with a Service, an HPA and a traffic entry).
const APPS: usize = 100;

/// The scenario: 500 nodes of 16 cores, APPS apps of 2 to 30 replicas.
fn scenario() -> String {
    let mut s = String::from(
        "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: diurnal-100-hpas}
spec:
  seed: 7
  duration: 24h
  cluster:
    nodePools:
      - name: n
        count: 500
        zones: [a, b, c]
        template:
          status: {capacity: {cpu: \"16\", memory: 64Gi, pods: \"110\"}}
  output: {metricsInterval: 15s, plots: false, events: none, pods: none}
  traffic:
",
    );
    for i in 0..APPS {
        // Peaks spread over the day; means from 100 to 595 requests/s.
        let _ = write!(
            s,
            "  - target: service/app{i}
    rps: {{diurnal: {{mean: {mean}, amplitude: {amp}, period: 24h, peak: {peak}m}}}}
    noise: {{stddev: 0.05, every: 1m}}
    perRequest: {{cpu: 5m}}
    perPod: {{cpu: 20m}}
",
            mean = 100 + 5 * i,
            amp = 80 + 4 * i,
            peak = (i * 37) % 1440,
        );
    }
    for i in 0..APPS {
        let _ = write!(
            s,
            "---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}}}}}
    spec:
      containers: [{{name: app, image: app, resources: {{requests: {{cpu: 500m, memory: 256Mi}}, limits: {{cpu: \"1\"}}}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: app{i}}}
spec:
  selector: {{app: app{i}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: app{i}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app{i}}}
  minReplicas: 2
  maxReplicas: 30
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 60}}}}
"
        );
    }
    s
}

fn run(path: &PathBuf) -> World {
    let scenario = load_scenario(std::slice::from_ref(path)).expect("scenario loads");
    let mut world = World::new(&scenario, &Registry::in_tree()).expect("world builds");
    world.run(&mut NullSink, &mut |_, _| {}).expect("run");
    world
}

fn autoscaling(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("kubesim-bench-autoscaling");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("diurnal-100-hpas.yaml");
    std::fs::write(&path, scenario()).expect("scenario written");
    let mut g = c.benchmark_group("autoscaling");
    g.sample_size(10);
    g.bench_function("diurnal_24h_100_hpas_500_nodes", |b| {
        b.iter(|| {
            let w = run(&path);
            // Every HPA followed its day: scaled up above its minimum at some point.
            let scaled = (w.store().hpas().iter())
                .filter(|h| h.status.last_scale_time.is_some())
                .count();
            assert_eq!(scaled, APPS);
        })
    });
    g.finish();
}

criterion_group!(benches, autoscaling);
criterion_main!(benches);
