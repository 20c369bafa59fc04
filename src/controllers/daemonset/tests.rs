use super::*;
use crate::api::ObjectMeta;
use crate::api::apps::{DaemonSetSpec, RollingUpdate};
use crate::api::intstr::IntOrPercent;
use crate::api::taint::Taint;
use crate::api::{LabelSelector, Labels};
use crate::component::Harness;

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta::named("default", name)
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn spec(node_selector: Labels) -> DaemonSetSpec {
    let mut pod = (*crate::api::testing::pod("t", 50, 0).spec).clone();
    pod.node_selector = node_selector;
    DaemonSetSpec {
        selector: LabelSelector::from_parts(&labels(&[("app", "agent")]), &[]).unwrap(),
        template: PodTemplate {
            meta: ObjectMeta {
                labels: Arc::new(labels(&[("app", "agent")])),
                ..ObjectMeta::default()
            },
            spec: Arc::new(pod),
        },
        update: DaemonSetUpdate::RollingUpdate(RollingUpdate {
            max_surge: IntOrPercent::Int(0),
            max_unavailable: IntOrPercent::Int(1),
        }),
        min_ready_ms: 0,
    }
}

fn node(name: &str, labels_: &[(&str, &str)]) -> Node {
    let mut n = crate::api::testing::node(name, 4_000, 1 << 34, 110);
    n.meta.labels = Arc::new(labels(labels_));
    n
}

/// Live pods not being deleted, by their target node's name.
fn placement(h: &Harness<DaemonSetController>, ds: DaemonSetId) -> Vec<String> {
    let uid = &h.store.daemon_set(ds).meta.uid;
    let mut out: Vec<String> = h
        .store
        .pods_of_controller(uid)
        .iter()
        .filter(|&&p| h.store.pod(p).status.terminating.is_none())
        .map(|&p| {
            let n = target_node(&h.store, h.store.pod(p)).unwrap();
            h.store.node(n).name().to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_pod_per_matching_node_following_nodes_as_they_come_and_change() {
    let mut h = Harness::new(DaemonSetController::default());
    h.store.add_node(node("a", &[("disk", "ssd")]));
    h.store.add_node(node("b", &[]));
    let ds = h.store.create_daemon_set(
        meta("agent"),
        spec(labels(&[("disk", "ssd")])),
        SimTime::ZERO,
    );
    h.run_until(SimTime::ZERO);
    assert_eq!(placement(&h, ds), ["a"]);
    let pod = h
        .store
        .pod(h.store.pods_of_controller(&h.store.daemon_set(ds).meta.uid)[0]);
    // Bound by the scheduler through its node affinity; the daemon tolerations added.
    let terms = pod
        .spec
        .node_affinity
        .as_ref()
        .unwrap()
        .required
        .as_ref()
        .unwrap();
    assert_eq!(terms[0].node_names(), Some(vec!["a".to_string()]));
    assert!(
        pod.spec
            .tolerations
            .iter()
            .any(|t| t.key == "node.kubernetes.io/unschedulable")
    );
    assert!(pod.meta.labels.contains_key(LABEL_CONTROLLER_REVISION_HASH));
    assert!(
        h.events()[0].starts_with("SuccessfulCreate DaemonSet/default/agent: Created pod: agent-")
    );
    // A new matching node gets a pod.
    h.store.add_node(node("c", &[("disk", "ssd")]));
    h.run_until(SimTime::ZERO);
    assert_eq!(placement(&h, ds), ["a", "c"]);
    // A node losing the label loses its pod.
    let a = h.store.node_id("a").unwrap();
    h.store.set_node_labels(a, Labels::new());
    h.run_until(SimTime::ZERO);
    assert_eq!(placement(&h, ds), ["c"]);
    // A NoSchedule taint keeps the pod there; a NoExecute one does not.
    let c = h.store.node_id("c").unwrap();
    let taint = |effect| Taint {
        key: "dedicated".into(),
        value: "x".into(),
        effect,
        time_added: None,
    };
    h.store
        .set_node_taints(c, vec![taint(TaintEffect::NoSchedule)]);
    h.run_until(SimTime::ZERO);
    assert_eq!(placement(&h, ds), ["c"]);
    h.store
        .set_node_taints(c, vec![taint(TaintEffect::NoExecute)]);
    h.run_until(SimTime::ZERO);
    assert!(placement(&h, ds).is_empty());
    assert_eq!(h.store.daemon_set(ds).status.desired, 0);
}

#[test]
fn daemon_pods_tolerate_cordons_and_node_trouble_but_not_other_taints() {
    let mut n = node("a", &[]);
    let mut spec = (*crate::api::testing::pod("t", 1, 0).spec).clone();
    n.taints = vec![Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
        time_added: None,
    }];
    assert_eq!(node_should_run(&spec, &n), (true, true));
    n.taints.push(Taint {
        key: "gpu".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
        time_added: None,
    });
    assert_eq!(node_should_run(&spec, &n), (false, true));
    spec.node_name = Some("b".into());
    assert_eq!(node_should_run(&spec, &n), (false, false));
}

#[test]
fn a_rolling_update_replaces_one_node_at_a_time() {
    let mut h = Harness::new(DaemonSetController::default());
    for name in ["a", "b", "c"] {
        h.store.add_node(node(name, &[]));
    }
    let ds = h
        .store
        .create_daemon_set(meta("agent"), spec(Labels::new()), SimTime::ZERO);
    h.run_until(SimTime::ZERO);
    let uid = h.store.daemon_set(ds).meta.uid.clone();
    let ready_all = |h: &mut Harness<DaemonSetController>| {
        for p in h.store.pods_of_controller(&uid).to_vec() {
            let n = target_node(&h.store, h.store.pod(p)).unwrap();
            if h.store.pod(p).status.node.is_none() {
                h.store.bind(p, n, SimTime::ZERO);
            }
            h.store.set_ready(p, true, SimTime::ZERO);
        }
    };
    ready_all(&mut h);
    h.run_until(SimTime::ZERO);
    assert_eq!(h.store.daemon_set(ds).status.available, 3);
    h.events();
    // A new template: one old pod is deleted (maxUnavailable 1); the others wait.
    h.store.update_daemon_set(ds, |_, s| {
        let mut t = (*s.template.spec).clone();
        t.containers[0].image = "img:2".into();
        s.template.spec = Arc::new(t);
    });
    h.run_until(SimTime::ZERO);
    let deleted = h
        .events()
        .iter()
        .filter(|e| e.starts_with("SuccessfulDelete"))
        .count();
    assert_eq!(deleted, 1);
    assert_eq!(h.store.daemon_set(ds).status.updated, 0);
}
