//! Plots and report.html of the 1,000-node, 100,000-pod benchmark run: reading its files back
//! (hash-checked), drawing every panel as SVG and PNG, and writing the page.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::observe::pod_rows;
use kubesim::output::RunOutput;
use kubesim::report::read::Check;
use kubesim::report::render_run;
use kubesim::scenario::load_scenario;
use kubesim::scheduler::plugins::Registry;
use kubesim::world::World;
use std::path::PathBuf;

fn report(c: &mut Criterion) {
    let scenario_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-batch-1k.yaml");
    let out = std::env::temp_dir().join("kubesim-bench-report");
    let _ = std::fs::remove_dir_all(&out);
    let scenario = load_scenario(std::slice::from_ref(&scenario_path)).expect("scenario loads");
    let mut world = World::new(&scenario, &Registry::in_tree()).expect("world builds");
    let mut output = RunOutput::create(&out, false, Default::default()).expect("output dir");
    world.run(&mut output, &mut |_, _| {}).expect("run");
    let summary = world.summary(0.0);
    output
        .finish(pod_rows(world.store()), &summary, "")
        .and_then(|f| f.install())
        .expect("outputs written");
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.bench_function("bench-batch-1k", |b| {
        b.iter(|| {
            let drawn = render_run(&out, Check::Hashes).expect("the run renders");
            assert!(drawn.plots() >= 7);
            drawn
        })
    });
    g.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
