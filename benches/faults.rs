//! A week of random node failures at scale (issue target): 1,000 nodes in three zones,
//! 200 Deployments of 100 pods (20,000 pods), every node crashing with a mean of 72 h
//! between failures and repaired in a mean of 30 minutes (both exponential), in under 5 s.
//! Each iteration loads the scenario, builds the world and runs it to its end without
//! writing files; metrics are sampled every minute as a run writing its files would.
//!
//! What it exercises: about 2,300 crashes and repairs, the node lifecycle controller's
//! NotReady marks and taints, some 45,000 taint-based evictions and their replacements
//! scheduled on the other nodes, and the Deployment controller's rate-limited re-checks
//! of Deployments short of available pods.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::observe::NullSink;
use kubesim::scenario::load_scenario;
use kubesim::scheduler::plugins::Registry;
use kubesim::world::World;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Deployments, of [`REPLICAS`] pods each.
const APPS: usize = 200;
const REPLICAS: usize = 100;

fn scenario() -> String {
    let mut s = String::from(
        "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: week-of-failures}
spec:
  seed: 7
  duration: 168h
  cluster:
    nodePools:
      - name: n
        count: 1000
        zones: [a, b, c]
        template:
          status: {capacity: {cpu: \"16\", memory: 64Gi, pods: \"110\"}}
  faults:
    - {type: node-crash, selector: kubesim.io/pool=n, mtbf: 72h, mttr: 30m}
  output: {metricsInterval: 1m, plots: false, events: none, pods: none}
",
    );
    for i in 0..APPS {
        let _ = write!(
            s,
            "---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}}}
spec:
  replicas: {REPLICAS}
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}}}}}
    spec:
      containers: [{{name: app, image: app, resources: {{requests: {{cpu: 500m, memory: 256Mi}}}}}}]
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

fn faults(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("kubesim-bench-faults");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("week-of-failures.yaml");
    std::fs::write(&path, scenario()).expect("scenario written");
    let mut g = c.benchmark_group("faults");
    g.sample_size(10);
    g.bench_function("week_1000_nodes_20000_pods_mtbf_72h", |b| {
        b.iter(|| {
            let w = run(&path);
            // 1,000 nodes x 168 h / 72.5 h per cycle: about 2,300 crashes, each costing the
            // node's pods; so tens of thousands of replacements were created.
            let created = w.store().pods().len();
            assert!(created > APPS * REPLICAS + 20_000, "{created} pods");
        })
    });
    g.finish();
}

criterion_group!(benches, faults);
criterion_main!(benches);
