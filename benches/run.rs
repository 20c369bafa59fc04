//! The whole `kubesim run` of `scenarios/bench-batch-1k.yaml`, outputs included: load, build,
//! simulate 100,000 pods on 1,000 nodes, write every data file (the plots are measured by
//! `benches/report.rs`).

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::observe::pod_rows;
use kubesim::output::RunOutput;
use kubesim::scenario::load_scenario;
use kubesim::scheduler::plugins::Registry;
use kubesim::world::World;
use std::path::PathBuf;

fn whole_run(c: &mut Criterion) {
    let scenario_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-batch-1k.yaml");
    let out = std::env::temp_dir().join("kubesim-bench-run");
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    g.bench_function("bench-batch-1k", |b| {
        b.iter(|| {
            let scenario =
                load_scenario(std::slice::from_ref(&scenario_path)).expect("scenario loads");
            let mut world = World::new(&scenario, &Registry::in_tree()).expect("world builds");
            let mut output =
                RunOutput::create(&out, false, Default::default()).expect("output dir");
            world.run(&mut output, &mut |_, _| {}).expect("run");
            let summary = world.summary(0.0);
            output
                .finish(pod_rows(world.store()), &summary, "")
                .and_then(|f| f.install())
                .expect("outputs written")
        })
    });
    g.finish();
}

criterion_group!(benches, whole_run);
criterion_main!(benches);
