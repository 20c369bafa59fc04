//! Node updates: the scheduler's per-node state and the cluster events they amount to.

use super::event_handlers::node_update_events;
use super::framework::ClusterEvents;
use super::*;
use crate::api::pod::Pod;
use crate::api::pod_affinity::{
    InclusionPolicy, PodAffinity, PodAffinityTerm, TopologySpreadConstraint, WhenUnsatisfiable,
};
use crate::api::selector::LabelSelector;
use crate::api::{Labels, Node, Resources, Taint, TaintEffect};
use crate::component::Harness;
use crate::scheduler::plugins::testing::{node, pod};
use crate::store::{NodeId, Store, check_invariants};

const ZONE: &str = crate::api::node::LABEL_ZONE;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A 1-cpu node object.
fn node_obj(name: &str) -> Node {
    (*node(name, 1000, 1 << 30).node).clone()
}

fn taint(key: &str, effect: TaintEffect) -> Taint {
    Taint {
        key: key.into(),
        value: String::new(),
        effect,
        time_added: None,
    }
}

fn cpu(cpu_m: i64) -> Resources {
    Resources {
        cpu_m,
        memory: 1 << 30,
        pods: 110,
        ..Resources::default()
    }
}

fn harness() -> Harness<Scheduler> {
    let (s, _) =
        Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
    Harness::new(s)
}

/// A write to a node.
type Update = fn(&mut Store, NodeId);

/// How a node starts, what pod waits for it, and what update is made at 30 s.
struct Case {
    name: &'static str,
    node: fn(&mut Node),
    pod: fn(&mut Pod),
    update: Update,
}

fn tainted(n: &mut Node) {
    n.taints = vec![taint("k", TaintEffect::NoSchedule)];
}
fn cordoned(n: &mut Node) {
    n.unschedulable = true;
}
fn as_is(_: &mut Node) {}
fn big(p: &mut Pod) {
    p.spec = Arc::new(pod("p", 2000, 0).spec.as_ref().clone());
}
fn wants_ssd(p: &mut Pod) {
    Arc::make_mut(&mut p.spec).node_selector = labels(&[("disk", "ssd")]);
}
fn plain(_: &mut Pod) {}
/// Labelled `app=web`, spread over zones with maxSkew 1.
fn spread(p: &mut Pod) {
    p.meta.labels = Arc::new(labels(&[("app", "web")]));
    Arc::make_mut(&mut p.spec)
        .topology_spread_constraints
        .push(TopologySpreadConstraint {
            max_skew: 1,
            topology_key: ZONE.into(),
            when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
            label_selector: Some(LabelSelector::parse("app=web").unwrap()),
            min_domains: None,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
            match_label_keys: Vec::new(),
        });
}
/// Labelled `app=web`, with required affinity to `app=web` pods in its zone.
fn with_zone_affinity(p: &mut Pod) {
    p.meta.labels = Arc::new(labels(&[("app", "web")]));
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector::parse("app=web").unwrap()),
        namespaces: Vec::new(),
        namespace_selector: None,
        topology_key: ZONE.into(),
    };
    let mut affinity = PodAffinity::default();
    affinity.affinity.required.push(term);
    Arc::make_mut(&mut p.spec).pod_affinity = Some(affinity);
}

/// Runs a case to 30 s (one failed attempt), makes its update, runs to `until`: the
/// pod's attempts and when it was bound.
fn run(c: &Case, until: SimTime) -> (u32, Option<SimTime>) {
    let mut h = harness();
    let mut n = node_obj("n1");
    (c.node)(&mut n);
    let nid = h.store.add_node(n);
    let mut p = pod("p", 500, 0);
    (c.pod)(&mut p);
    let id = h.store.create_pod(p);
    h.run_until(SimTime::from_secs(30));
    let pod = h.store.pod(id);
    assert_eq!(
        (pod.status.scheduling_attempts, pod.status.node),
        (1, None),
        "{}: rejected once before the update",
        c.name
    );
    (c.update)(&mut h.store, nid);
    h.run_until(until);
    assert_eq!(
        check_invariants(&h.store),
        Vec::<String>::new(),
        "{}",
        c.name
    );
    let pod = h.store.pod(id);
    (pod.status.scheduling_attempts, pod.status.scheduled)
}

/// An update that lifts the rejection moves the pod out of the unschedulable pool at
/// once (its 1 s back-off is long over), not at the 5-minute sweep.
#[test]
fn an_update_that_lifts_the_rejection_requeues_the_pod_at_once() {
    let cases = [
        Case {
            name: "TaintToleration: taint removed",
            node: tainted,
            pod: plain,
            update: |s, n| s.set_node_taints(n, vec![]),
        },
        Case {
            name: "NodeUnschedulable: uncordoned",
            node: cordoned,
            pod: plain,
            update: |s, n| s.set_unschedulable(n, false),
        },
        Case {
            name: "NodeResourcesFit: allocatable raised",
            node: as_is,
            pod: big,
            update: |s, n| s.set_node_allocatable(n, cpu(4000)),
        },
        Case {
            name: "NodeAffinity: label added",
            node: as_is,
            pod: wants_ssd,
            update: |s, n| s.set_node_labels(n, labels(&[("disk", "ssd")])),
        },
        Case {
            name: "PodTopologySpread: topology label added",
            node: as_is,
            pod: spread,
            update: |s, n| s.set_node_labels(n, labels(&[(ZONE, "z1")])),
        },
        Case {
            name: "InterPodAffinity: topology label added",
            node: as_is,
            pod: with_zone_affinity,
            update: |s, n| s.set_node_labels(n, labels(&[(ZONE, "z1")])),
        },
    ];
    for c in &cases {
        let got = run(c, SimTime::from_secs(60));
        assert_eq!(got, (2, Some(SimTime::from_secs(30))), "{}", c.name);
    }
}

/// An update none of the rejecting plugins registered for leaves the pod in the
/// unschedulable pool until the 5-minute sweep (upstream moves a pod only on an event
/// a plugin that rejected it registered: `MoveAllToActiveOrBackoffQueue`).
#[test]
fn an_update_the_rejecting_plugin_did_not_register_for_leaves_the_pod_waiting() {
    let cases = [
        Case {
            name: "TaintToleration, label added",
            node: tainted,
            pod: plain,
            update: |s, n| s.set_node_labels(n, labels(&[("disk", "ssd")])),
        },
        Case {
            name: "TaintToleration, allocatable raised",
            node: tainted,
            pod: plain,
            update: |s, n| s.set_node_allocatable(n, cpu(4000)),
        },
        Case {
            name: "NodeUnschedulable, label added",
            node: cordoned,
            pod: plain,
            update: |s, n| s.set_node_labels(n, labels(&[("disk", "ssd")])),
        },
        Case {
            name: "NodeResourcesFit, PreferNoSchedule taint",
            node: as_is,
            pod: big,
            update: |s, n| s.set_node_taints(n, vec![taint("soft", TaintEffect::PreferNoSchedule)]),
        },
        Case {
            name: "NodeResourcesFit, cordoned (a cordon is no event)",
            node: as_is,
            pod: big,
            update: |s, n| s.set_unschedulable(n, true),
        },
        Case {
            name: "NodeAffinity, taint removed",
            node: |n| {
                tainted(n);
                n.taints[0].effect = TaintEffect::PreferNoSchedule;
            },
            pod: wants_ssd,
            update: |s, n| s.set_node_taints(n, vec![]),
        },
    ];
    for c in &cases {
        let got = run(c, SimTime::from_secs(299));
        assert_eq!(got, (1, None), "{}: still waiting at 4m59s", c.name);
    }
    // The sweep then retries it: the waiting was the queue's, not a lost pod.
    let got = run(&cases[0], SimTime::from_secs(330));
    assert_eq!(got.0, 2, "retried by the 5-minute sweep");
}

/// The events an update amounts to, in upstream's order (`events.go`).
#[test]
fn node_update_events_follow_upstream() {
    fn not_ready(n: &mut Node) {
        n.conditions[0].status = crate::api::node::ConditionStatus::Unknown;
    }
    let base = node_obj("n");
    let with = |f: fn(&mut Node)| {
        let mut n = base.clone();
        f(&mut n);
        n
    };
    let cases: [(&str, Node, Node, Vec<ClusterEvents>); 8] = [
        ("nothing", base.clone(), base.clone(), vec![]),
        (
            "uncordon",
            with(cordoned),
            base.clone(),
            vec![ClusterEvents::NODE_TAINT],
        ),
        ("cordon", base.clone(), with(cordoned), vec![]),
        (
            "taints",
            base.clone(),
            with(tainted),
            vec![ClusterEvents::NODE_TAINT],
        ),
        (
            "labels",
            base.clone(),
            with(|n| n.meta.labels = Arc::new(labels(&[("a", "b")]))),
            vec![ClusterEvents::NODE_LABEL],
        ),
        (
            "allocatable",
            base.clone(),
            with(|n| n.allocatable.cpu_m = 2000),
            vec![ClusterEvents::NODE_ALLOCATABLE],
        ),
        (
            "conditions",
            base.clone(),
            with(not_ready),
            vec![ClusterEvents::NODE_CONDITION],
        ),
        (
            "all at once, in upstream's order",
            with(|n| {
                cordoned(n);
                tainted(n);
            }),
            with(|n| {
                n.allocatable.cpu_m = 2000;
                n.meta.labels = Arc::new(labels(&[("a", "b")]));
                not_ready(n);
            }),
            vec![
                ClusterEvents::NODE_TAINT,
                ClusterEvents::NODE_ALLOCATABLE,
                ClusterEvents::NODE_LABEL,
                ClusterEvents::NODE_TAINT,
                ClusterEvents::NODE_CONDITION,
            ],
        ),
    ];
    for (name, old, new, want) in cases {
        assert_eq!(node_update_events(&old, &new), want, "{name}");
    }
}

/// Replays the store's changes into `s` directly (no timers, no cycles).
fn replay(s: &mut Scheduler, store: &mut Store) {
    let mut changes = Vec::new();
    store.take_changes(&mut changes);
    for c in &changes {
        if s.watches().contains(c.kind()) {
            s.react(c, store, SimTime::ZERO);
        }
    }
}

/// After any update, the cache equals one built from scratch from the store: node
/// objects, hot and score numbers, cluster facts, and the pods' topology domains (the
/// bound pod moves with its node).
#[test]
fn an_update_reaches_every_per_node_structure() {
    let updates: [(&str, Update); 6] = [
        ("taint NoExecute", |s, n| {
            s.set_node_taints(n, vec![taint("k", TaintEffect::NoExecute)])
        }),
        ("taint PreferNoSchedule", |s, n| {
            s.set_node_taints(n, vec![taint("k", TaintEffect::PreferNoSchedule)])
        }),
        ("cordon", |s, n| s.set_unschedulable(n, true)),
        ("allocatable", |s, n| {
            s.set_node_allocatable(n, cpu(1 << 50))
        }),
        ("zone moved", |s, n| {
            s.set_node_labels(n, labels(&[(ZONE, "z2"), ("rack", "r9")]))
        }),
        ("labels dropped", |s, n| s.set_node_labels(n, Labels::new())),
    ];
    let fresh = || {
        Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false)
            .unwrap()
            .0
    };
    for (name, update) in updates {
        let mut store = Store::new();
        let mut s = fresh();
        for (n, zone) in [("a", "z1"), ("b", "z2"), ("c", "z1")] {
            let mut obj = node_obj(n);
            obj.meta.labels = Arc::new(labels(&[(ZONE, zone), ("rack", "r1")]));
            store.add_node(obj);
        }
        let bound = store.create_pod(pod("bound", 300, 0));
        store.bind(bound, NodeId(0), SimTime::ZERO);
        replay(&mut s, &mut store);
        let keys = [ZONE, "rack"].map(|k| s.pods.ensure_key(k));
        update(&mut store, NodeId(0));
        replay(&mut s, &mut store);
        // The same store replayed into a new scheduler.
        let mut again = Store::new();
        for n in store.nodes() {
            again.add_node((**n).clone());
        }
        let p = again.create_pod(store.pod(bound).clone());
        again.bind(p, NodeId(0), SimTime::ZERO);
        let mut want = fresh();
        replay(&mut want, &mut again);
        let want_keys = [ZONE, "rack"].map(|k| want.pods.ensure_key(k));
        assert_eq!(s.facts, want.facts, "{name}: facts");
        for (got, want) in s.nodes.iter().zip(&want.nodes) {
            assert_eq!(got.node, want.node, "{name}: node object");
            assert_eq!(got.hot, want.hot, "{name}: hot numbers of {}", got.name());
            assert_eq!(got.score, want.score, "{name}: score numbers");
            assert_eq!(got.allocatable, want.allocatable, "{name}: allocatable");
            assert_eq!(got.requested, want.requested, "{name}: requested");
        }
        // Domain ids are given in the order values are first seen: compare which nodes
        // share a domain, and that the bound pod counts where its node now is.
        for (k, wk) in keys.iter().zip(&want_keys) {
            let (d, wd) = (s.pods.domains(*k), want.pods.domains(*wk));
            for i in 0..3 {
                for j in 0..3 {
                    assert_eq!(
                        d[i] == d[j],
                        wd[i] == wd[j],
                        "{name}: nodes {i} and {j} under key {k:?}"
                    );
                }
                assert_eq!(d[i] == pod_index::NO_DOMAIN, wd[i] == pod_index::NO_DOMAIN);
            }
        }
    }
}

/// The walk order takes a zone change when the next node joins, not before: upstream's
/// snapshot rebuilds its node list only when a node is added or removed.
#[test]
fn the_walk_order_takes_a_zone_change_when_a_node_next_joins() {
    let mut store = Store::new();
    let (mut s, _) =
        Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
    for (n, zone) in [("a", "z1"), ("b", "z2"), ("c", "z1")] {
        let mut obj = node_obj(n);
        obj.meta.labels = Arc::new(labels(&[(ZONE, zone)]));
        store.add_node(obj);
    }
    replay(&mut s, &mut store);
    assert!(s.order_stale);
    s.order = s.tree.list();
    s.order_stale = false;
    assert_eq!(s.order, [0, 1, 2]);
    store.set_node_labels(NodeId(0), labels(&[(ZONE, "z3")]));
    replay(&mut s, &mut store);
    assert!(!s.order_stale, "an update leaves the walk order");
    assert_eq!(
        s.tree.list(),
        [2, 1, 0],
        "the tree moved a to the new zone z3"
    );
    store.add_node(node_obj("d"));
    replay(&mut s, &mut store);
    assert!(s.order_stale);
    assert_eq!(s.tree.list(), [2, 1, 0, 3]);
}

fn spread_pod(name: &str) -> Pod {
    let mut p = pod(name, 100, 0);
    spread(&mut p);
    p
}

/// A zone change takes the pods bound on the node to the new zone: a (z1) holds the one
/// web pod, b is in z1 and c in z2. With maxSkew 1 the next web pod must go to z2 (c);
/// once a moves to z2 with its pod, z1 (b) is the empty zone.
#[test]
fn a_zone_change_moves_the_bound_pods_spread_counts() {
    for (relabel, want) in [(false, "c"), (true, "b")] {
        let mut h = harness();
        for (n, zone) in [("a", "z1"), ("b", "z1"), ("c", "z2")] {
            let mut obj = node_obj(n);
            obj.meta.labels = Arc::new(labels(&[(ZONE, zone)]));
            h.store.add_node(obj);
        }
        let first = h.store.create_pod(spread_pod("web-0"));
        h.store.bind(first, NodeId(0), SimTime::ZERO);
        h.settle();
        if relabel {
            h.store.set_node_labels(NodeId(0), labels(&[(ZONE, "z2")]));
        }
        let next = h.store.create_pod(spread_pod("web-1"));
        h.run_until(SimTime::from_secs(1));
        let node = h
            .store
            .pod(next)
            .status
            .node
            .map(|n| h.store.node(NodeId(n)).name());
        assert_eq!(node, Some(want), "relabelled: {relabel}");
        assert_eq!(check_invariants(&h.store), Vec::<String>::new());
    }
}
