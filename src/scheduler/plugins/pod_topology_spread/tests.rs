//! PodTopologySpread on small clusters: hard and soft constraints, and the defaults of pods
//! without constraints of their own.

use super::*;
use crate::api::Labels;
use crate::api::pod_affinity::TopologySpreadConstraint;
use crate::api::selector::LabelSelector;
use crate::scheduler::plugins::testing::{node, pod, with_labels};
use crate::scheduler::pod_index::NamespaceLabels;
use std::sync::Arc;

fn labelled(mut p: Pod, labels: &[(&str, &str)]) -> Pod {
    let mut l = Labels::new();
    for (k, v) in labels {
        l.insert(k.to_string(), v.to_string());
    }
    p.meta.labels = Arc::new(l);
    p
}

fn constraint(key: &str, skew: i32, when: WhenUnsatisfiable) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: when,
        label_selector: Some(LabelSelector::parse("app=web").unwrap()),
        min_domains: None,
        node_affinity_policy: InclusionPolicy::Honor,
        node_taints_policy: InclusionPolicy::Ignore,
        match_label_keys: vec![],
    }
}

/// Nodes `n0..` with the given zones, pods `app=web` bound per node as `bound[i]`, and
/// an incoming web pod with `cs`.
fn setup(
    zones: &[&str],
    bound: &[u32],
    cs: Vec<TopologySpreadConstraint>,
) -> (Vec<NodeInfo>, PodIndex, Pod) {
    let nodes: Vec<NodeInfo> = zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let name = format!("n{i}");
            let mut n = with_labels(node(&name, 4000, 1 << 30), &[("zone", z)]);
            let mut labels = (*n.node.meta.labels).clone();
            labels.insert(LABEL_HOSTNAME.into(), name.clone());
            labels.insert(crate::api::node::LABEL_ZONE.into(), z.to_string());
            Arc::make_mut(&mut n.node).meta.labels = Arc::new(labels);
            n.id = crate::store::NodeId(i as u32);
            n
        })
        .collect();
    let mut index = PodIndex::new(NamespaceLabels::default());
    for n in &nodes {
        index.add_node(&n.node);
    }
    let mut incoming = labelled(pod("in", 100, 0), &[("app", "web")]);
    Arc::make_mut(&mut incoming.spec).topology_spread_constraints = cs;
    for m in index.prepare(&incoming, &[], &[]) {
        index.ensure_matcher(&m, std::iter::empty());
    }
    for (i, &k) in bound.iter().enumerate() {
        for j in 0..k {
            let p = labelled(pod(&format!("b{i}-{j}"), 100, 0), &[("app", "web")]);
            index.pod_bound(&p, i);
        }
    }
    (nodes, index, incoming)
}

#[test]
fn hard_constraint_filters_by_skew() {
    // zone a: 2 pods, zone b: 0 pods, maxSkew 1: only zone b fits.
    let c = constraint("zone", 1, WhenUnsatisfiable::DoNotSchedule);
    let (nodes, index, p) = setup(&["a", "a", "b"], &[1, 1, 0], vec![c]);
    let order = [0usize, 1, 2];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    let mut pl = PodTopologySpread::default();
    assert!(pl.pre_filter(&p, set).0.is_success());
    let mut alive = [true; 3];
    let mut failures = Vec::new();
    pl.filter_nodes(&p, set, &mut alive, &mut failures);
    assert_eq!(alive, [false, false, true]);
    assert_eq!(
        failures[0].1.reasons[..],
        [ERR_REASON_CONSTRAINTS_NOT_MATCH]
    );
}

#[test]
fn missing_key_is_unresolvable_and_min_domains_zeroes_the_minimum() {
    let mut c = constraint("zone", 1, WhenUnsatisfiable::DoNotSchedule);
    c.min_domains = Some(3);
    // Two domains with 1 pod each: with minDomains 3 the minimum is 0, so skew = 1+1-0 = 2.
    let (mut nodes, index, p) = setup(&["a", "b"], &[1, 1], vec![c]);
    let order = [0usize, 1];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    let mut pl = PodTopologySpread::default();
    pl.pre_filter(&p, set);
    let mut alive = [true; 2];
    let mut failures = Vec::new();
    pl.filter_nodes(&p, set, &mut alive, &mut failures);
    assert_eq!(alive, [false, false]);
    // A node without the key.
    let mut labels = (*nodes[1].node.meta.labels).clone();
    labels.remove("zone");
    Arc::make_mut(&mut nodes[1].node).meta.labels = Arc::new(labels);
    let mut index2 = PodIndex::new(NamespaceLabels::default());
    for n in &nodes {
        index2.add_node(&n.node);
    }
    for m in index2.prepare(&p, &[], &[]) {
        index2.ensure_matcher(&m, std::iter::empty());
    }
    let set = NodeSet::new(&nodes, &order).with_pods(&index2);
    pl.pre_filter(&p, set);
    let mut alive = [true; 2];
    failures.clear();
    pl.filter_nodes(&p, set, &mut alive, &mut failures);
    assert!(!alive[1]);
    assert_eq!(failures[0].1.reasons[..], [ERR_REASON_NODE_LABEL_NOT_MATCH]);
}

#[test]
fn soft_constraint_reference_example() {
    // The reference doc's example: 4 hostname domains with 2/1/0/3 matching pods,
    // maxSkew 1: weight ln 6, raw 4,2,0,5, scores 20,60,100,0.
    let c = constraint(LABEL_HOSTNAME, 1, WhenUnsatisfiable::ScheduleAnyway);
    let (nodes, index, p) = setup(&["a", "a", "a", "a"], &[2, 1, 0, 3], vec![c]);
    let order = [0usize, 1, 2, 3];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    let mut pl = PodTopologySpread::default();
    assert!(pl.pre_score(&p, set).is_success());
    let mut raw = Vec::new();
    pl.score_nodes(&p, set, &mut raw);
    assert_eq!(raw, [4, 2, 0, 5]);
    pl.normalize(&p, &mut raw);
    assert_eq!(raw, [20, 60, 100, 0]);
}

#[test]
fn a_service_gives_pods_without_constraints_the_system_defaults() {
    use crate::api::service::Service;
    use crate::scheduler::images::ImageStates;
    use crate::store::Store;
    // Bound web pods 2, 0, 1 on n0 (zone a), n1 (zone b), n2 (zone a).
    let (nodes, mut index, _) = setup(&["a", "b", "a"], &[2, 0, 1], vec![]);
    let p = labelled(pod("plain", 100, 0), &[("app", "web")]);
    let mut store = Store::new();
    let mut selector = Labels::new();
    selector.insert("app".into(), "web".into());
    store.add_service(Service {
        name: "web".into(),
        namespace: "default".into(),
        selector,
    });
    // The index learns the defaults' selector and keys (the bound pods come from setup).
    let bound: Vec<(Pod, usize)> = [2, 0, 1]
        .iter()
        .enumerate()
        .flat_map(|(n, &k)| {
            (0..k).map(move |j| {
                (
                    labelled(pod(&format!("b{n}-{j}"), 100, 0), &[("app", "web")]),
                    n,
                )
            })
        })
        .collect();
    for m in index.prepare(&p, store.services(), &system_default_constraints()) {
        index.ensure_matcher(&m, bound.iter().map(|(p, n)| (p, *n)));
    }
    let order = [0usize, 1, 2];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    let images = ImageStates::new();
    let view = ClusterView {
        store: &store,
        images: &images,
    };
    let mut pl = PodTopologySpread::default();
    assert!(pl.pre_score_with(&p, set, view).is_success());
    // hostname (maxSkew 3, weight ln 5) and zone (maxSkew 5, weight ln 4):
    // raw 13, 6, 12 -> 100 × (13 + 6 − raw) / 13 = 46, 100, 53.
    let mut s: Vec<i64> = nodes.iter().map(|n| pl.score(&p, n)).collect();
    assert_eq!(s, [13, 6, 12]);
    pl.normalize(&p, &mut s);
    assert_eq!(s, [46, 100, 53]);
    // Without a Service selecting it, the pod is not spread.
    let empty = Store::new();
    let view = ClusterView {
        store: &empty,
        images: &images,
    };
    assert_eq!(
        pl.pre_score_with(&p, set, view).code,
        crate::scheduler::framework::Code::Skip
    );
}

#[test]
fn pods_without_constraints_skip_both_phases() {
    let (nodes, index, _) = setup(&["a"], &[0], vec![]);
    let p = pod("plain", 100, 0);
    let order = [0usize];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    let mut pl = PodTopologySpread::default();
    assert_eq!(
        pl.pre_filter(&p, set).0.code,
        crate::scheduler::framework::Code::Skip
    );
    assert_eq!(
        pl.pre_score(&p, set).code,
        crate::scheduler::framework::Code::Skip
    );
}

/// A store with one Service selecting `app=web`, and the bound web pods of `setup` with
/// `bound` per node registered for the defaults `defaults` of `p`.
fn with_web_service(
    index: &mut PodIndex,
    p: &Pod,
    bound: &[u32],
    defaults: &[TopologySpreadConstraint],
) -> crate::store::Store {
    use crate::api::service::Service;
    let mut store = crate::store::Store::new();
    let mut selector = Labels::new();
    selector.insert("app".into(), "web".into());
    store.add_service(Service {
        name: "web".into(),
        namespace: "default".into(),
        selector,
    });
    let bound: Vec<(Pod, usize)> = bound
        .iter()
        .enumerate()
        .flat_map(|(n, &k)| {
            (0..k).map(move |j| {
                let name = format!("b{n}-{j}");
                (labelled(pod(&name, 100, 0), &[("app", "web")]), n)
            })
        })
        .collect();
    for m in index.prepare(p, store.services(), defaults) {
        index.ensure_matcher(&m, bound.iter().map(|(p, n)| (p, *n)));
    }
    store
}

/// `defaultingType: List`: a DoNotSchedule default constraint filters the pods a Service
/// selects that have no constraints of their own; pods with their own keep them, and an
/// empty list spreads nobody.
#[test]
fn listed_default_constraints_filter_and_score_pods_without_their_own() {
    use crate::api::scheduler_config::{DefaultingType, PodTopologySpreadArgs};
    use crate::scheduler::framework::Code;
    use crate::scheduler::images::ImageStates;
    let mut zone = constraint("zone", 1, WhenUnsatisfiable::DoNotSchedule);
    zone.label_selector = None;
    let args = PodTopologySpreadArgs {
        default_constraints: vec![zone],
        defaulting_type: DefaultingType::List,
    };
    let mut pl = PodTopologySpread::new(&args);
    // zone a: 2 web pods, zone b: 0.
    let (nodes, mut index, _) = setup(&["a", "a", "b"], &[1, 1, 0], vec![]);
    let p = labelled(pod("plain", 100, 0), &[("app", "web")]);
    let store = with_web_service(&mut index, &p, &[1, 1, 0], pl.defaults());
    let images = ImageStates::new();
    let view = ClusterView {
        store: &store,
        images: &images,
    };
    let order = [0usize, 1, 2];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    assert!(pl.pre_filter_with(&p, set, view).0.is_success());
    let verdicts: Vec<bool> = nodes
        .iter()
        .map(|n| pl.filter(&p, n).is_success())
        .collect();
    assert_eq!(verdicts, [false, false, true]);
    // Only soft constraints are scored: none here.
    assert_eq!(pl.pre_score_with(&p, set, view).code, Code::Skip);
    // A pod the Service does not select is not spread.
    let other = labelled(pod("other", 100, 0), &[("app", "db")]);
    assert_eq!(pl.pre_filter_with(&other, set, view).0.code, Code::Skip);
    // The system defaults never filter.
    let mut system = PodTopologySpread::default();
    assert_eq!(system.pre_filter_with(&p, set, view).0.code, Code::Skip);
    // An empty list spreads nobody.
    let mut none = PodTopologySpread::new(&PodTopologySpreadArgs {
        default_constraints: vec![],
        defaulting_type: DefaultingType::List,
    });
    assert_eq!(none.pre_filter_with(&p, set, view).0.code, Code::Skip);
    assert_eq!(none.pre_score_with(&p, set, view).code, Code::Skip);
}

/// Listed ScheduleAnyway defaults score as a pod's own constraints do: a node missing the
/// key is ignored (scored 0), where the system defaults score it on the keys it has.
#[test]
fn listed_soft_defaults_ignore_nodes_missing_a_key() {
    use crate::api::scheduler_config::{DefaultingType, PodTopologySpreadArgs};
    use crate::scheduler::images::ImageStates;
    let mut zone = constraint("zone", 1, WhenUnsatisfiable::ScheduleAnyway);
    zone.label_selector = None;
    let mut pl = PodTopologySpread::new(&PodTopologySpreadArgs {
        default_constraints: vec![zone],
        defaulting_type: DefaultingType::List,
    });
    let (mut nodes, _, _) = setup(&["a", "a", "b"], &[0, 0, 0], vec![]);
    // n2 has no `zone` label.
    let mut labels = (*nodes[2].node.meta.labels).clone();
    labels.remove("zone");
    Arc::make_mut(&mut nodes[2].node).meta.labels = Arc::new(labels);
    let mut index = PodIndex::new(NamespaceLabels::default());
    for n in &nodes {
        index.add_node(&n.node);
    }
    let p = labelled(pod("plain", 100, 0), &[("app", "web")]);
    let store = with_web_service(&mut index, &p, &[2, 0, 0], pl.defaults());
    let images = ImageStates::new();
    let view = ClusterView {
        store: &store,
        images: &images,
    };
    let order = [0usize, 1, 2];
    let set = NodeSet::new(&nodes, &order).with_pods(&index);
    assert!(pl.pre_score_with(&p, set, view).is_success());
    let mut s: Vec<i64> = nodes.iter().map(|n| pl.score(&p, n)).collect();
    assert_eq!(s[2], IGNORED);
    pl.normalize(&p, &mut s);
    assert_eq!(s, [100, 100, 0]);
}
