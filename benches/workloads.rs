//! The workload controllers at scale (issue targets): a rolling update of one
//! 10,000-replica Deployment over 1,000 nodes (under 1 s), and 1,000 Deployments of 100
//! replicas each reconciling to available (under 2 s). Each iteration loads the scenario,
//! builds the world and runs it to its end, without writing files. Then the 100,000 pods'
//! end state written as a snapshot, and the snapshot loaded again.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::observe::NullSink;
use kubesim::observe::snapshot::cluster;
use kubesim::output::snapshot::{self, About};
use kubesim::scenario::load_scenario;
use kubesim::scheduler::plugins::Registry;
use kubesim::world::World;
use std::path::PathBuf;

/// A Simulation on 1,000 nodes of 32 cores, with `timeline` entries.
fn simulation(name: &str, timeline: &str) -> String {
    format!(
        "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {{name: {name}}}
spec:
  duration: 30m
  cluster:
    nodePools:
      - name: n
        count: 1000
        zones: [a, b, c]
        template:
          status: {{capacity: {{cpu: \"32\", memory: 128Gi, pods: \"110\"}}}}
  output: {{plots: false, nodeMetrics: false, events: none, pods: none}}
{timeline}"
    )
}

/// A Deployment of `replicas` pods of 100m and 128Mi.
fn deployment(name: &str, replicas: u32) -> String {
    format!(
        "---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: web, image: \"nginx:1.26\", resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}}}]
"
    )
}

/// Writes a scenario into the system's temporary directory.
fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("kubesim-bench-workloads");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).expect("scenario written");
    path
}

fn run(path: &PathBuf) -> World {
    let scenario = load_scenario(std::slice::from_ref(path)).expect("scenario loads");
    let mut world = World::new(&scenario, &Registry::in_tree()).expect("world builds");
    world.run(&mut NullSink, &mut |_, _| {}).expect("run");
    world
}

fn workloads(c: &mut Criterion) {
    let rolling = write(
        "rolling-10k",
        &(simulation(
            "rolling-10k",
            "  timeline:\n    - {at: 5m, kubectl: \"set image deployment/web web=nginx:1.27\"}\n",
        ) + &deployment("web", 10_000)),
    );
    let many = write(
        "many-deployments",
        &(simulation("many-deployments", "")
            + &(0..1_000)
                .map(|i| deployment(&format!("d{i}"), 100))
                .collect::<String>()),
    );
    let mut g = c.benchmark_group("workloads");
    g.sample_size(10);
    g.bench_function("rolling_update_10k_replicas_1k_nodes", |b| {
        b.iter(|| {
            let w = run(&rolling);
            let d = &w.store().deployments()[0];
            assert_eq!((d.status.updated, d.status.available), (10_000, 10_000));
        })
    });
    g.bench_function("1k_deployments_of_100_to_available", |b| {
        b.iter(|| {
            let w = run(&many);
            assert!(
                w.store()
                    .deployments()
                    .iter()
                    .all(|d| d.status.available == 100)
            );
        })
    });
    // The end state of the 100,000 pods written as a snapshot, and loaded again.
    let world = run(&many);
    let about = About {
        simulation: "many-deployments",
        seed: 0,
        start_unix_ms: 0,
        at: world.duration(),
    };
    let text = snapshot::render(&cluster(world.store()), &about);
    g.bench_function("snapshot_write_100k_pods", |b| {
        b.iter(|| snapshot::render(&cluster(world.store()), &about).len())
    });
    let dump = write("snapshot-100k", &text);
    let next = write(
        "continue-100k",
        "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: continued}\nspec:\n  duration: 1s\n  startTime: \"1970-01-01T00:30:00Z\"\n",
    );
    g.bench_function("snapshot_load_100k_pods", |b| {
        b.iter(|| {
            let s = load_scenario(&[next.clone(), dump.clone()]).expect("snapshot loads");
            assert_eq!(s.pods.len(), 100_000);
        })
    });
    g.finish();
}

criterion_group!(benches, workloads);
criterion_main!(benches);
