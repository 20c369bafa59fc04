//! The disruption controller's status computation, one store at a time, and its syncs in a
//! one-component harness.

use super::*;
use crate::api::apps::{PodTemplate, ReplicaSetKind, ReplicaSetSpec};
use crate::api::disruption::{INSUFFICIENT_PODS, IntOrPercent, SUFFICIENT_PODS};
use crate::api::meta::ObjectMeta;
use crate::api::pod::Phase;
use crate::api::{LabelSelector, Labels};
use crate::component::Harness;
use crate::store::ReplicaSetId;
use std::sync::Arc;

fn web() -> Labels {
    [("app".to_string(), "web".to_string())].into()
}

fn budget(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PodDisruptionBudget {
    PodDisruptionBudget {
        name: "web".into(),
        namespace: "default".into(),
        selector: Some(LabelSelector::from_parts(&web(), &[]).unwrap()),
        min_available: min,
        max_unavailable: max,
    }
}

fn replica_set(store: &mut Store, replicas: u32) -> ReplicaSetId {
    let spec = ReplicaSetSpec {
        kind: ReplicaSetKind::ReplicaSet,
        replicas,
        selector: LabelSelector::from_parts(&web(), &[]).unwrap(),
        min_ready_ms: 0,
        template: PodTemplate {
            meta: ObjectMeta {
                labels: Arc::new(web()),
                ..ObjectMeta::default()
            },
            spec: crate::api::testing::pod("t", 100, 0).spec,
        },
    };
    store.create_replica_set(ObjectMeta::named("default", "web"), spec, SimTime::ZERO)
}

/// A running `app=web` pod on the store's first node, of the controller `kind` (`apiVersion`
/// `api`) with this uid, Ready or not.
fn pod(store: &mut Store, name: &str, owner: Option<(&str, &str, Uid)>, ready: bool) -> PodId {
    if store.nodes().is_empty() {
        store.add_node(crate::api::testing::node("n1", 64_000, 1 << 36, 110));
    }
    let mut p = crate::api::testing::pod(name, 100, 0);
    p.meta.labels = Arc::new(web());
    if let Some((api, kind, uid)) = owner {
        p.meta.owner_references = Arc::from([OwnerReference {
            api_version: api.into(),
            kind: kind.into(),
            name: "web".into(),
            uid,
            controller: true,
            block_owner_deletion: true,
        }]);
    }
    let id = store.create_pod(p);
    let node = store.node_id("n1").unwrap();
    store.bind(id, node, SimTime::ZERO);
    store.set_phase(id, Phase::Running, SimTime::ZERO);
    store.set_ready(id, ready, SimTime::ZERO);
    id
}

#[test]
fn expected_pods_and_desired_healthy_table() {
    use IntOrPercent::*;
    // (minAvailable, maxUnavailable, ReplicaSet scale or bare pods, pods (ready?)) ->
    // (expectedPods, desiredHealthy, unmanaged)
    let cases = [
        // An integer minAvailable counts the pods, Ready or not.
        (Some(Int(2)), None, Some(5), [true, true, false], (3, 2, 0)),
        (Some(Int(2)), None, None, [true, true, false], (3, 2, 0)),
        // A percentage counts the controller's scale: 50% of 5 rounds up to 3.
        (
            Some(Percent(50)),
            None,
            Some(5),
            [true, true, false],
            (5, 3, 0),
        ),
        // maxUnavailable too: 5 - 1.
        (None, Some(Int(1)), Some(5), [true, true, true], (5, 4, 0)),
        // 25% of 5 unavailable rounds up to 2.
        (
            None,
            Some(Percent(25)),
            Some(5),
            [true, true, true],
            (5, 3, 0),
        ),
        // Pods without a controller count nothing (and are reported).
        (None, Some(Int(1)), None, [true, true, true], (0, 0, 3)),
        (
            Some(Percent(100)),
            None,
            None,
            [true, true, true],
            (0, 0, 3),
        ),
    ];
    for (min, max, scale, ready, want) in cases {
        let mut store = Store::new();
        let owner = scale.map(|n| {
            let rs = replica_set(&mut store, n);
            (
                "apps/v1",
                "ReplicaSet",
                store.replica_set(rs).meta.uid.clone(),
            )
        });
        let pods: Vec<PodId> = (ready.iter().enumerate())
            .map(|(i, &r)| pod(&mut store, &format!("web-{i}"), owner.clone(), r))
            .collect();
        let f = expected_pod_count(&store, &budget(min, max), &Members::of(&store, &pods)).unwrap();
        assert_eq!(
            (f.expected, f.desired, f.unmanaged),
            want,
            "{min:?} {max:?} {scale:?}"
        );
    }
}

#[test]
fn controllers_without_a_scale_or_not_found_fail_with_upstream_errors() {
    let max = budget(None, Some(IntOrPercent::Int(1)));
    let cases = [
        (
            ("apps/v1", "DaemonSet"),
            "daemonsets.apps does not implement the scale subresource",
        ),
        (
            ("batch/v1", "Job"),
            "jobs.batch does not implement the scale subresource",
        ),
        (
            ("apps/v1", "ReplicaSet"),
            "found no controllers for pod \"web-0\"",
        ),
        (
            ("example.com/v1", "Widget"),
            "no matches for kind \"Widget\" in version \"example.com/v1\"",
        ),
    ];
    for ((api, kind), want) in cases {
        let mut store = Store::new();
        let p = pod(
            &mut store,
            "web-0",
            Some((api, kind, Uid::Assigned(99))),
            true,
        );
        assert_eq!(
            expected_pod_count(&store, &max, &Members::of(&store, &[p])),
            Err(want.to_string())
        );
        // An integer minAvailable never looks at the controllers.
        let min = budget(Some(IntOrPercent::Int(1)), None);
        assert!(expected_pod_count(&store, &min, &Members::of(&store, &[p])).is_ok());
    }
}

#[test]
fn a_disrupted_pod_is_unhealthy_until_its_deadline_and_kept_through_it() {
    let mut store = Store::new();
    let p = pod(&mut store, "web-0", None, true);
    let q = pod(&mut store, "web-1", None, true);
    let old = BTreeMap::from([
        ("web-0".to_string(), SimTime(1_000)),
        ("gone".to_string(), SimTime(1_000)),
    ]);
    let deadline = SimTime(1_000 + DELETION_TIMEOUT_MS);
    let pods = Members::of(&store, &[p, q]);
    // Before the deadline: kept, a recheck at it, not healthy.
    let m = disrupted_pod_map(&store, &pods, &old, SimTime(5_000));
    assert_eq!(
        m.kept.keys().collect::<Vec<_>>(),
        ["web-0"],
        "a pod gone is dropped"
    );
    assert_eq!(m.recheck, Some(deadline));
    assert_eq!(count_healthy(&store, &pods, &m.kept, SimTime(5_000)), 1);
    // At the deadline: still kept (not before now), but healthy again (not after now).
    let m = disrupted_pod_map(&store, &pods, &old, deadline);
    assert_eq!(m.kept.len(), 1);
    assert_eq!(count_healthy(&store, &pods, &m.kept, deadline), 2);
    // Past it: dropped, and reported.
    let m = disrupted_pod_map(&store, &pods, &old, deadline + 1);
    assert!(m.kept.is_empty() && m.recheck.is_none());
    assert_eq!(m.not_deleted, [p]);
    // A pod being deleted leaves the map and the healthy count at once.
    store.request_deletion(p, SimTime(6_000));
    let pods = Members::of(&store, &[p, q]);
    let m = disrupted_pod_map(&store, &pods, &old, SimTime(6_000));
    assert!(m.kept.is_empty() && m.not_deleted.is_empty());
    assert_eq!(count_healthy(&store, &pods, &m.kept, SimTime(6_000)), 1);
}

#[test]
fn the_status_written_table() {
    let f = |expected, desired| Figures {
        expected,
        desired,
        unmanaged: 0,
    };
    // (healthy, figures) -> (disruptionsAllowed, reason)
    let cases = [
        (3, f(3, 2), 1, SUFFICIENT_PODS),
        (2, f(3, 2), 0, INSUFFICIENT_PODS),
        (1, f(3, 2), 0, INSUFFICIENT_PODS),
        (6, f(6, 5), 1, SUFFICIENT_PODS),
        // Nothing expected: nothing allowed, whatever is healthy.
        (3, f(0, 0), 0, INSUFFICIENT_PODS),
        (4, f(5, 0), 4, SUFFICIENT_PODS),
    ];
    for (healthy, figures, allowed, reason) in cases {
        let s = updated_status(
            &PdbStatus::default(),
            healthy,
            figures,
            BTreeMap::new(),
            SimTime(7_000),
        );
        let c = s.condition.as_ref().unwrap();
        assert_eq!(
            (
                s.observed_generation,
                s.current_healthy,
                s.desired_healthy,
                s.expected_pods,
                s.disruptions_allowed,
                c.reason,
                c.last_transition
            ),
            (
                1,
                healthy,
                figures.desired,
                figures.expected,
                allowed,
                reason,
                SimTime(7_000)
            )
        );
        // The same figures later write nothing new.
        let again = updated_status(&s, healthy, figures, BTreeMap::new(), SimTime(9_000));
        assert_eq!(again, s);
    }
    // failSafe keeps the figures, allows nothing, and says why.
    let ok = updated_status(
        &PdbStatus::default(),
        3,
        f(3, 2),
        BTreeMap::new(),
        SimTime(1),
    );
    let failed = fail_safe(&ok, "boom".into(), SimTime(2));
    let c = failed.condition.as_ref().unwrap();
    assert_eq!(
        (
            failed.disruptions_allowed,
            failed.current_healthy,
            c.status,
            c.reason,
            &*c.message
        ),
        (0, 3, ConditionStatus::False, SYNC_FAILED, "boom")
    );
}

fn harness() -> Harness<DisruptionController> {
    Harness::new(DisruptionController::default())
}

/// `(expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed)`.
fn figures(h: &Harness<DisruptionController>, b: PdbId) -> (i64, i64, i64, i64) {
    let s = h.store.pdb_status(b);
    (
        s.expected_pods,
        s.desired_healthy,
        s.current_healthy,
        s.disruptions_allowed,
    )
}

#[test]
fn the_status_follows_readiness_deletion_and_the_scale() {
    let mut h = harness();
    let rs = replica_set(&mut h.store, 4);
    let uid = h.store.replica_set(rs).meta.uid.clone();
    let pods: Vec<PodId> = (0..4)
        .map(|i| {
            let owner = Some(("apps/v1", "ReplicaSet", uid.clone()));
            pod(&mut h.store, &format!("web-{i}"), owner, false)
        })
        .collect();
    let b = h.store.add_pdb(budget(None, Some(IntOrPercent::Int(1))));
    h.run_until(SimTime::ZERO);
    assert_eq!(figures(&h, b), (4, 3, 0, 0));
    assert_eq!(h.store.pdb_status(b).observed_generation, 1);
    for &p in &pods {
        h.store.set_ready(p, true, SimTime(1_000));
    }
    h.run_until(SimTime(1_000));
    assert_eq!(figures(&h, b), (4, 3, 4, 1));
    let c = h.store.pdb_status(b).condition.clone().unwrap();
    assert_eq!(
        (c.status, c.reason),
        (ConditionStatus::True, SUFFICIENT_PODS)
    );
    // A pod being deleted is not healthy.
    h.store.request_deletion(pods[0], SimTime(2_000));
    h.run_until(SimTime(2_000));
    assert_eq!(figures(&h, b), (4, 3, 3, 0));
    // The scale is read at the next sync a pod change causes.
    h.store.update_replica_set(rs, |_, s| s.replicas = 6);
    h.run_until(SimTime(3_000));
    assert_eq!(figures(&h, b).0, 4, "no pod changed yet");
    h.store.set_ready(pods[1], false, SimTime(4_000));
    h.run_until(SimTime(4_000));
    assert_eq!(figures(&h, b), (6, 5, 2, 0));
    assert!(h.events().is_empty(), "{:?}", h.events());
}

#[test]
fn an_eviction_is_confirmed_once_the_pod_is_deleting_or_dropped_after_the_timeout() {
    let mut h = harness();
    let pods: Vec<PodId> = (0..3)
        .map(|i| pod(&mut h.store, &format!("web-{i}"), None, true))
        .collect();
    let b = h.store.add_pdb(budget(Some(IntOrPercent::Int(1)), None));
    h.run_until(SimTime::ZERO);
    assert_eq!(figures(&h, b), (3, 1, 3, 2));
    // The eviction API's own bookkeeping, without the deletion that follows it (as if the
    // deletion had failed): the pod stays unhealthy for two minutes.
    let mut s = h.store.pdb_status(b).clone();
    s.disruptions_allowed -= 1;
    s.disrupted_pods.insert("web-0".into(), SimTime(10_000));
    h.store.set_pdb_status(b, s);
    h.run_until(SimTime(10_000));
    assert_eq!(figures(&h, b), (3, 1, 2, 1));
    h.run_until(SimTime(130_004));
    assert_eq!(h.store.pdb_status(b).disrupted_pods.len(), 1);
    // The recheck at the deadline goes through the rate limiter: 5 ms later the entry is
    // dropped, with upstream's event (which names the namespace twice).
    h.run_until(SimTime(130_005));
    assert_eq!(figures(&h, b), (3, 1, 3, 2));
    assert!(h.store.pdb_status(b).disrupted_pods.is_empty());
    assert_eq!(
        h.events(),
        [
            "NotDeleted Pod/default/web-0: Pod was expected by PDB default/default to be deleted but it wasn't"
        ]
    );
    // A pod being deleted leaves the map at the next sync.
    let mut s = h.store.pdb_status(b).clone();
    s.disrupted_pods.insert("web-1".into(), SimTime(200_000));
    h.store.set_pdb_status(b, s);
    h.store.request_deletion(pods[1], SimTime(200_000));
    h.run_until(SimTime(200_000));
    assert!(h.store.pdb_status(b).disrupted_pods.is_empty());
    assert_eq!(figures(&h, b), (3, 1, 2, 1));
}

#[test]
fn upstream_events_no_pods_unmanaged_multiple_and_failed() {
    let mut h = harness();
    let b = h.store.add_pdb(budget(None, Some(IntOrPercent::Int(1))));
    h.run_until(SimTime::ZERO);
    // The first sync, then the one its own status write causes.
    let no_pods = "NoPods PodDisruptionBudget/default/web: No matching pods found";
    assert_eq!(h.events(), [no_pods, no_pods]);
    let c = h.store.pdb_status(b).condition.clone().unwrap();
    assert_eq!(c.reason, INSUFFICIENT_PODS);
    // A bare pod under maxUnavailable: unmanaged.
    pod(&mut h.store, "web-0", None, true);
    h.run_until(SimTime(1_000));
    let unmanaged = "UnmanagedPods PodDisruptionBudget/default/web: Pods selected by this \
        PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: \
        web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As \
        a result, the status of the PDB cannot be calculated correctly, which may result in \
        undefined behavior. To account for these pods please set \".spec.minAvailable\" field \
        of the PDB to an integer value.";
    let events = h.events();
    assert!(
        !events.is_empty() && events.iter().all(|e| e == unmanaged),
        "{events:?}"
    );
    // A second budget over the same pods: the first one is chosen.
    let mut other = budget(Some(IntOrPercent::Int(1)), None);
    other.name = "web-too".into();
    h.store.add_pdb(other);
    h.run_until(SimTime(2_000));
    h.events();
    let q = pod(
        &mut h.store,
        "web-1",
        Some(("apps/v1", "DaemonSet", Uid::Assigned(7))),
        true,
    );
    h.run_until(SimTime(3_000));
    let events = h.events();
    assert!(
        events.contains(
            &"MultiplePodDisruptionBudgets Pod/default/web-1: Pod \"default\"/\"web-1\" matches \
          multiple PodDisruptionBudgets.  Chose \"web\" arbitrarily."
                .to_string()
        )
    );
    // A daemon pod under maxUnavailable fails the sync: nothing allowed, SyncFailed.
    let failed = "CalculateExpectedPodCountFailed PodDisruptionBudget/default/web: Failed to \
        calculate the number of expected pods: daemonsets.apps does not implement the scale \
        subresource";
    assert!(events.contains(&failed.to_string()), "{events:?}");
    let s = h.store.pdb_status(b);
    let c = s.condition.as_ref().unwrap();
    assert_eq!(
        (s.disruptions_allowed, c.reason, &*c.message),
        (
            0,
            SYNC_FAILED,
            "daemonsets.apps does not implement the scale subresource"
        )
    );
    let _ = q;
}

#[test]
fn the_counts_kept_as_pods_change_are_those_counted_afresh() {
    let mut store = Store::new();
    let rs = replica_set(&mut store, 3);
    let uid = store.replica_set(rs).meta.uid.clone();
    let b = store.add_pdb(budget(None, Some(IntOrPercent::Int(1))));
    let mut c = DisruptionController {
        members: vec![Members::default()],
        rechecks: vec![None],
        ..DisruptionController::default()
    };
    let owned = Some(("apps/v1", "ReplicaSet", uid.clone()));
    let pods: Vec<PodId> = (0..4)
        .map(|i| pod(&mut store, &format!("web-{i}"), owned.clone(), i % 2 == 0))
        .collect();
    let bare = pod(&mut store, "web-bare", None, true);
    let check = |c: &mut DisruptionController, store: &Store, changed: &[PodId]| {
        for &p in changed {
            c.update_memberships(p, store);
        }
        let live: Vec<PodId> = (0..store.pods().len())
            .map(|i| PodId(i as u32))
            .filter(|&p| {
                let pod = store.pod(p);
                pod.status.deleted.is_none()
                    && store.pdb(b).selects(&pod.meta.namespace, &pod.meta.labels)
            })
            .collect();
        assert_eq!(c.members[0], Members::of(store, &live));
    };
    let all: Vec<PodId> = pods.iter().copied().chain([bare]).collect();
    check(&mut c, &store, &all);
    assert_eq!((c.members[0].healthy, c.members[0].unmanaged), (3, 1));
    store.set_ready(pods[1], true, SimTime(1));
    check(&mut c, &store, &[pods[1]]);
    store.request_deletion(pods[0], SimTime(2));
    check(&mut c, &store, &[pods[0]]);
    // Released by its controller, then relabelled out of the budget, then gone.
    store.set_pod_controller(pods[2], None);
    check(&mut c, &store, &[pods[2]]);
    assert_eq!(c.members[0].unmanaged, 2);
    store.edit_pod_meta(pods[3], |l, _| {
        l.insert("app".into(), "debug".into());
    });
    check(&mut c, &store, &[pods[3]]);
    store.delete_pod(bare, SimTime(3));
    check(&mut c, &store, &[bare]);
    assert_eq!(
        (
            c.members[0].pods.len(),
            c.members[0].healthy,
            c.members[0].unmanaged
        ),
        (3, 2, 1)
    );
}
