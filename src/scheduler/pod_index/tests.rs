//! The index of bound pods: domains per key, matcher counts, carried terms.

use super::*;
use crate::scheduler::plugins::testing::{node, pod};

fn labelled(name: &str, labels: &[(&str, &str)]) -> Pod {
    let mut p = pod(name, 100, 0);
    let mut l = Labels::new();
    for (k, v) in labels {
        l.insert(k.to_string(), v.to_string());
    }
    p.meta.labels = Arc::new(l);
    p
}

#[test]
fn counts_follow_binds_and_registration_scans_bound_pods() {
    let mut idx = PodIndex::new(NamespaceLabels::default());
    for i in 0..3 {
        idx.add_node(&node(&format!("n{i}"), 1000, 1 << 30).node);
    }
    let web = labelled("w1", &[("app", "web")]);
    let db = labelled("d1", &[("app", "db")]);
    idx.pod_bound(&web, 1);
    let m = Matcher::in_namespace("default", LabelSelector::parse("app=web").unwrap());
    let bound = [(&web, 1usize)];
    let id = idx.ensure_matcher(&m, bound.iter().copied());
    assert_eq!(idx.per_node(id), &[0, 1, 0]);
    idx.pod_bound(&db, 2);
    idx.pod_bound(&web, 2);
    assert_eq!(idx.per_node(id), &[0, 1, 1]);
    assert_eq!(idx.total(id), 2);
    idx.pod_unbound(&web, 1);
    assert_eq!(idx.per_node(id), &[0, 0, 1]);
    let other = Matcher::in_namespace("other", LabelSelector::parse("app=web").unwrap());
    let id2 = idx.ensure_matcher(&other, std::iter::empty());
    assert_eq!(idx.total(id2), 0);
}

/// PodTopologySpread passes over terminating pods, InterPodAffinity does not: the index
/// keeps both counts, whether a pod begins terminating while counted, is counted while
/// terminating, or registration finds it terminating.
#[test]
fn terminating_pods_leave_the_live_counts_only() {
    let mut idx = PodIndex::new(NamespaceLabels::default());
    for i in 0..2 {
        idx.add_node(&node(&format!("n{i}"), 1000, 1 << 30).node);
    }
    let m = Matcher::in_namespace("default", LabelSelector::parse("app=web").unwrap());
    let id = idx.ensure_matcher(&m, std::iter::empty());
    let mut web = labelled("w1", &[("app", "web")]);
    idx.pod_bound(&web, 0);
    web.status.terminating = Some(SimTime::from_secs(5));
    idx.pod_terminating(&web, 0);
    assert_eq!(
        (idx.per_node(id), idx.live_per_node(id)),
        (&[1, 0][..], &[0, 0][..])
    );
    idx.pod_bound(&web, 1); // counted while terminating
    assert_eq!(
        (idx.per_node(id), idx.live_per_node(id)),
        (&[1, 1][..], &[0, 0][..])
    );
    idx.pod_unbound(&web, 0);
    let live = labelled("w2", &[("app", "web")]);
    idx.pod_bound(&live, 0);
    assert_eq!(
        (idx.per_node(id), idx.live_per_node(id)),
        (&[1, 1][..], &[1, 0][..])
    );
    let again = Matcher::in_namespace("default", LabelSelector::parse("app in (web)").unwrap());
    let bound = [(&web, 1usize), (&live, 0)];
    let id2 = idx.ensure_matcher(&again, bound.iter().copied());
    assert_eq!(
        (idx.per_node(id2), idx.live_per_node(id2)),
        (&[1, 1][..], &[1, 0][..])
    );
}

#[test]
fn namespace_selector_uses_the_name_label() {
    let ns = NamespaceLabels::default();
    let all = Matcher {
        parts: vec![(Namespaces::All, LabelSelector::default())],
    };
    let by_name = Matcher {
        parts: vec![(
            Namespaces::Selected(
                vec![],
                LabelSelector::parse("kubernetes.io/metadata.name=prod").unwrap(),
            ),
            LabelSelector::default(),
        )],
    };
    let l = Labels::new();
    assert!(all.matches("x", &l, &ns));
    assert!(by_name.matches("prod", &l, &ns));
    assert!(!by_name.matches("dev", &l, &ns));
}

#[test]
fn domains_are_assigned_per_key_in_node_order() {
    let mut idx = PodIndex::new(NamespaceLabels::default());
    let mut a = node("a", 1000, 1 << 30).node.as_ref().clone();
    let mut labels = Labels::new();
    labels.insert("zone".into(), "z2".into());
    a.meta.labels = Arc::new(labels);
    idx.add_node(&a);
    idx.add_node(&node("b", 1000, 1 << 30).node);
    let k = idx.ensure_key("zone");
    assert_eq!(idx.domains(k), &[0, NO_DOMAIN]);
    idx.add_node(&a);
    assert_eq!(idx.domains(k), &[0, NO_DOMAIN, 0]);
    assert_eq!(idx.domain_count(k), 1);
}

#[test]
fn a_relabelled_node_takes_its_pods_to_its_new_domain() {
    let zoned = |name: &str, zone: Option<&str>| {
        let mut n = node(name, 1000, 1 << 30).node.as_ref().clone();
        n.meta.labels = Arc::new(
            zone.map(|z| (LABEL_ZONE.to_string(), z.to_string()))
                .into_iter()
                .collect(),
        );
        n
    };
    let mut idx = PodIndex::new(NamespaceLabels::default());
    for (n, z) in [("a", "z1"), ("b", "z2"), ("c", "z1")] {
        idx.add_node(&zoned(n, Some(z)));
    }
    let k = idx.ensure_key(LABEL_ZONE);
    let m = Matcher::in_namespace("default", LabelSelector::parse("app=web").unwrap());
    let id = idx.ensure_matcher(&m, std::iter::empty());
    let web = labelled("w", &[("app", "web")]);
    idx.pod_bound(&web, 0);
    idx.pod_bound(&web, 0);
    idx.pod_bound(&web, 1);
    let by_zone = |idx: &PodIndex| idx.sum_by_domain(idx.per_node(id), k, |_| true);
    assert_eq!(by_zone(&idx), [2, 1]);
    // (node, its new zone, domains after, web pods per domain after)
    let steps = [
        (0, Some("z2"), [1, 1, 0], vec![0, 3]),
        (0, Some("z3"), [2, 1, 0], vec![0, 1, 2]),
        (0, None, [NO_DOMAIN, 1, 0], vec![0, 1, 0]),
    ];
    for (n, zone, domains, counts) in steps {
        idx.update_node(n, &zoned("a", zone));
        assert_eq!(idx.domains(k), domains, "{zone:?}");
        assert_eq!(by_zone(&idx), counts, "{zone:?}");
    }
    assert_eq!(idx.per_node(id), &[2, 1, 0], "per-node counts never move");
    // A key registered later reads the new labels.
    let mut racked = zoned("a", None);
    racked.meta.labels = Arc::new([("rack".to_string(), "r1".to_string())].into());
    idx.update_node(0, &racked);
    let rack = idx.ensure_key("rack");
    assert_eq!(idx.domains(rack), [0, NO_DOMAIN, NO_DOMAIN]);
}
