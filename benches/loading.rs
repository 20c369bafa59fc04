//! Loading static manifests: 10,000 Pod documents of a dozen lines each (a generated file,
//! as in results/BENCHMARKS.md "Loading static manifests"), read, checked field by field
//! and resolved.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubesim::scenario::{LoadOptions, ValidateMode, load_scenario_with};

const PODS: usize = 10_000;

fn manifests() -> String {
    let mut text = String::from(
        "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: load}\nspec:\n  duration: 1m\n  cluster:\n    nodePools: [{name: n, count: 10, template: {status: {capacity: {cpu: '64', memory: 256Gi, pods: '110'}}}}]\n",
    );
    for i in 0..PODS {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p-{i}\n  labels: {{app: web, tier: t{}}}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    resources:\n      requests: {{cpu: 100m, memory: 128Mi}}\n",
            i % 10
        ));
    }
    text
}

fn loading(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("pods.yaml");
    let text = manifests();
    std::fs::write(&path, &text).expect("written");
    let paths = [path];
    let mut group = c.benchmark_group("loading");
    group.throughput(Throughput::Elements(PODS as u64));
    for (name, validate) in [
        ("strict", ValidateMode::Strict),
        ("ignore", ValidateMode::Ignore),
    ] {
        group.bench_function(format!("10k_pods_{name}"), |b| {
            b.iter(|| {
                let options = LoadOptions {
                    validate,
                    progress: None,
                    create_namespaces: false,
                };
                let s = load_scenario_with(&paths, &|_| Ok(Vec::new()), options)
                    .expect("the manifests load");
                assert_eq!(s.pods.len(), PODS);
                s
            })
        });
    }
    group.finish();
}

criterion_group!(benches, loading);
criterion_main!(benches);
