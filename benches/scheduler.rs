//! Scheduling decisions per second at 5,000 nodes under the default profile (upstream
//! percentageOfNodesToScore), in a steady state: each bound pod finishes before the next one
//! arrives, so node occupancy stays fixed.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubesim::api::pod::{Container, Phase, Pod, PodSpec, PodStatus, RestartPolicy};
use kubesim::api::{Node, ObjectMeta, Resources};
use kubesim::engine::{Outbox, SimTime};
use kubesim::scheduler::config::SchedulerConfig;
use kubesim::scheduler::plugins::Registry;
use kubesim::scheduler::{Scheduler, SchedulerEvent};
use kubesim::store::{Change, Store};
use std::hint::black_box;
use std::sync::Arc;

fn node(i: usize) -> Node {
    let alloc = Resources {
        cpu_m: 16_000,
        memory: 64 << 30,
        ephemeral_storage: 0,
        pods: 110,
        scalars: vec![],
    };
    let mut labels = kubesim::api::Labels::new();
    labels.insert(
        "topology.kubernetes.io/zone".into(),
        format!("zone-{}", i % 3),
    );
    Node {
        meta: ObjectMeta {
            name: format!("node-{i}"),
            labels: Arc::new(labels),
            ..Default::default()
        },
        capacity: alloc.clone(),
        allocatable: alloc,
        taints: vec![],
        unschedulable: false,
        images: vec![],
        pool: None,
    }
}

fn spec(cpu_m: i64, memory: i64) -> Arc<PodSpec> {
    let c = Container {
        name: "main".into(),
        image: "img".into(),
        requests: Resources {
            cpu_m,
            memory,
            ..Default::default()
        },
        cpu_request_set: true,
        memory_request_set: true,
        sidecar: false,
    };
    Arc::new(PodSpec::new(
        vec![c],
        vec![],
        Resources::default(),
        Default::default(),
        None,
        vec![],
        "default-scheduler",
        RestartPolicy::Never,
    ))
}

struct Bench {
    store: Store,
    scheduler: Scheduler,
    changes: Vec<Change>,
    specs: Vec<Arc<PodSpec>>,
    n: u64,
}

impl Bench {
    fn new(nodes: usize) -> Bench {
        let (scheduler, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false)
                .expect("default profile builds");
        let mut b = Bench {
            store: Store::new(),
            scheduler,
            changes: Vec::new(),
            specs: Vec::new(),
            n: 0,
        };
        for i in 0..nodes {
            b.store.add_node(node(i));
        }
        b.deliver();
        for (cpu, gib) in [(250, 1), (500, 2), (1000, 4), (2000, 8), (4000, 16)] {
            b.specs.push(spec(cpu, gib << 30));
        }
        // Fill the cluster to about half its CPU with long-running pods.
        for _ in 0..(nodes * 5) {
            b.decide(false);
        }
        b
    }

    fn deliver(&mut self) {
        let mut out = Outbox::new(SimTime::ZERO);
        while self.store.has_changes() {
            self.store.take_changes(&mut self.changes);
            for c in self.changes.drain(..) {
                self.scheduler.on_change(c, &self.store, &mut out);
            }
        }
        out.drain().for_each(drop);
    }

    /// Creates one pod, runs one cycle; with `finish`, the pod completes at once.
    fn decide(&mut self, finish: bool) {
        self.n += 1;
        let spec = self.specs[(self.n % self.specs.len() as u64) as usize].clone();
        let pod = Pod {
            meta: ObjectMeta {
                name: format!("p{}", self.n),
                namespace: "default".into(),
                ..Default::default()
            },
            spec,
            status: PodStatus::default(),
        };
        let id = self.store.create_pod(pod);
        self.deliver();
        let mut out = Outbox::new(SimTime::ZERO);
        self.scheduler
            .handle(SchedulerEvent::ScheduleOne, &mut self.store, &mut out);
        out.drain().for_each(drop);
        self.deliver();
        if finish {
            self.store.set_phase(id, Phase::Succeeded, SimTime::ZERO);
            self.deliver();
        }
    }
}

fn decisions(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    g.throughput(Throughput::Elements(1));
    for nodes in [1000usize, 5000] {
        let mut b = Bench::new(nodes);
        g.bench_function(format!("decision/{nodes}-nodes"), |bench| {
            bench.iter(|| b.decide(black_box(true)))
        });
    }
    g.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
