//! Scheduling decisions per second under the default profile (upstream
//! percentageOfNodesToScore), in a steady state: each bound pod finishes before the next one
//! arrives, so node occupancy stays fixed.
//!
//! - `decision/N-nodes`: plain pods (every default plugin enabled; the pod-counting plugins
//!   skip them);
//! - `anti-affinity/5000-nodes`: 50,000 bound pods of 100 apps, each with required
//!   anti-affinity to its own app per node; every incoming pod has the same term.
//! - `preemption/5000-nodes`: every node full of low-priority pods; each decision is a
//!   high-priority pod that must preempt (the PostFilter dry run over `max(10%, 100)` nodes).
//!   Only the cycle is timed; restoring the cluster afterwards is not.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubesim::api::pod::{Container, Phase, Pod, PodSpec, PodStatus, RestartPolicy};
use kubesim::api::pod_affinity::{PodAffinity, PodAffinityTerm, PodAffinityTerms};
use kubesim::api::selector::LabelSelector;
use kubesim::api::{Node, ObjectMeta, Resources};
use kubesim::component::Harness;
use kubesim::engine::SimTime;
use kubesim::scheduler::Scheduler;
use kubesim::scheduler::config::SchedulerConfig;
use kubesim::scheduler::plugins::Registry;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    labels.insert("kubernetes.io/hostname".into(), format!("node-{i}"));
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
        conditions: kubesim::api::node::NodeCondition::healthy(),
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
        limits: Resources::default(),
        sidecar: false,
        pull_policy: kubesim::api::pod::PullPolicy::IfNotPresent,
        startup_probe: None,
        readiness_probe: None,
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

/// A spec with required anti-affinity to pods labelled `app=<app>` on the same node.
fn anti_affinity_spec(app: &str) -> Arc<PodSpec> {
    let mut s = (*spec(500, 2 << 30)).clone();
    s.pod_affinity = Some(PodAffinity {
        affinity: PodAffinityTerms::default(),
        anti_affinity: PodAffinityTerms {
            required: vec![PodAffinityTerm {
                label_selector: Some(LabelSelector::parse(&format!("app={app}")).unwrap()),
                namespaces: vec![],
                namespace_selector: None,
                topology_key: "kubernetes.io/hostname".into(),
            }],
            preferred: vec![],
        },
    });
    Arc::new(s)
}

struct Bench {
    /// The scheduler wired to a store alone.
    h: Harness<Scheduler>,
    specs: Vec<Arc<PodSpec>>,
    /// Per spec, the pod labels.
    labels: Vec<Arc<kubesim::api::Labels>>,
    n: u64,
}

impl Bench {
    fn new(nodes: usize) -> Bench {
        let mut b = Bench::empty(nodes);
        for (cpu, gib) in [(250, 1), (500, 2), (1000, 4), (2000, 8), (4000, 16)] {
            b.specs.push(spec(cpu, gib << 30));
            b.labels.push(Arc::default());
        }
        // Fill the cluster to about half its CPU with long-running pods.
        for _ in 0..(nodes * 5) {
            b.decide(false);
        }
        b
    }

    /// `pods` bound pods of 100 apps, each repelling its own app per node.
    fn anti_affinity(nodes: usize, pods: usize) -> Bench {
        let mut b = Bench::empty(nodes);
        for k in 0..100 {
            let app = format!("app-{k}");
            b.specs.push(anti_affinity_spec(&app));
            let mut l = kubesim::api::Labels::new();
            l.insert("app".into(), app);
            b.labels.push(Arc::new(l));
        }
        for _ in 0..pods {
            b.decide(false);
        }
        b
    }

    fn empty(nodes: usize) -> Bench {
        let (scheduler, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false)
                .expect("default profile builds");
        let mut b = Bench {
            h: Harness::new(scheduler),
            specs: Vec::new(),
            labels: Vec::new(),
            n: 0,
        };
        for i in 0..nodes {
            b.h.store.add_node(node(i));
        }
        b.deliver();
        b
    }

    fn deliver(&mut self) {
        self.h.settle();
    }

    /// One scheduling cycle: the pod just created is the only one queued, so the scheduler's
    /// earliest event is its cycle, due now (the clock stays at 0).
    fn cycle(&mut self) {
        assert!(self.h.step(), "a cycle was armed");
        debug_assert_eq!(self.h.now(), SimTime::ZERO);
    }

    /// Creates one pod, runs one cycle; with `finish`, the pod completes at once.
    /// Every node full of 4-CPU pods of priority 0.
    fn full(nodes: usize) -> Bench {
        let mut b = Bench::empty(nodes);
        b.specs.push(spec(4000, 8 << 30));
        b.labels.push(Arc::default());
        for _ in 0..(nodes * 4) {
            b.decide(false);
        }
        b
    }

    /// One high-priority pod that must preempt: the time of its cycle. Afterwards the victims
    /// go at once and a low-priority pod takes their place again.
    fn preempt(&mut self) -> Duration {
        self.n += 1;
        let mut spec = (*self.specs[0]).clone();
        spec.priority = 1000;
        let pod = Pod {
            meta: ObjectMeta {
                name: format!("high{}", self.n),
                namespace: "default".into(),
                ..Default::default()
            },
            spec: Arc::new(spec),
            status: PodStatus::default(),
        };
        let id = self.h.store.create_pod(pod);
        self.deliver();
        let started = Instant::now();
        self.cycle();
        let took = started.elapsed();
        self.deliver();
        let terminating: Vec<_> = (0..self.h.store.pods().len() as u32)
            .map(kubesim::store::PodId)
            .filter(|&p| {
                let s = &self.h.store.pod(p).status;
                s.terminating.is_some() && s.deleted.is_none()
            })
            .collect();
        assert!(!terminating.is_empty(), "the pod preempted");
        for v in terminating {
            self.h.store.delete_pod(v, SimTime::ZERO);
        }
        self.h.store.delete_pod(id, SimTime::ZERO);
        self.deliver();
        self.decide(false);
        took
    }

    fn decide(&mut self, finish: bool) {
        self.n += 1;
        let k = (self.n % self.specs.len() as u64) as usize;
        let spec = self.specs[k].clone();
        let pod = Pod {
            meta: ObjectMeta {
                name: format!("p{}", self.n),
                namespace: "default".into(),
                labels: self.labels[k].clone(),
                ..Default::default()
            },
            spec,
            status: PodStatus::default(),
        };
        let id = self.h.store.create_pod(pod);
        self.deliver();
        self.cycle();
        self.deliver();
        if finish {
            self.h.store.set_phase(id, Phase::Succeeded, SimTime::ZERO);
            self.deliver();
        }
    }
}

fn decisions(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    g.throughput(Throughput::Elements(1));
    // Each cluster is built on the first call of its closure, so a filter that skips a bench
    // also skips building its cluster.
    for nodes in [1000usize, 5000] {
        let mut b = None;
        g.bench_function(format!("decision/{nodes}-nodes"), |bench| {
            let b = b.get_or_insert_with(|| Bench::new(nodes));
            bench.iter(|| b.decide(black_box(true)))
        });
    }
    let mut b = None;
    g.bench_function("anti-affinity/5000-nodes", |bench| {
        let b = b.get_or_insert_with(|| Bench::anti_affinity(5000, 50_000));
        bench.iter(|| b.decide(black_box(true)))
    });
    drop(b);
    let mut b = None;
    g.bench_function("preemption/5000-nodes", |bench| {
        let b = b.get_or_insert_with(|| Bench::full(5000));
        bench.iter_custom(|iters| (0..iters).map(|_| b.preempt()).sum())
    });
    g.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
