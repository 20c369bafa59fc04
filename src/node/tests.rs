//! The kubelet, component alone: pulls, starts, probes, init containers, exits.
use super::*;
use crate::api::pod::{Pod, PullPolicy, RestartPolicy};
use crate::api::probe::Probe;
use crate::api::{Distribution, Node};
use crate::component::Harness;
use crate::store::{PodField, check_invariants};
use std::sync::Arc;

fn node(name: &str) -> Node {
    crate::api::testing::node(name, 4000, 8 << 30, 110)
}

/// A pod that runs for `duration` and exits with `exit_code`, restarting as `restart`.
fn pod(name: &str, duration_ms: i64, exit_code: i32, restart: RestartPolicy) -> Pod {
    let mut p = crate::api::testing::pod(name, 500, 0);
    let spec = Arc::make_mut(&mut p.spec);
    spec.restart_policy = restart;
    spec.behaviour.duration = Some(Distribution::Constant(duration_ms));
    spec.behaviour.exit_code = exit_code;
    p
}

fn kubelet() -> Harness<Kubelet> {
    let timings = KubeletTimings {
        pod_startup: Distribution::Constant(1_000),
        image_pull: Distribution::Constant(5_000),
        ..KubeletTimings::default()
    };
    let mut h = Harness::new(Kubelet::new(timings));
    h.store.add_node(node("n1"));
    h.settle();
    h.record_changes();
    h
}

/// The pod changes recorded, as text.
fn pod_changes(h: &mut Harness<Kubelet>) -> Vec<String> {
    h.changes()
        .into_iter()
        .filter_map(|c| match c {
            Change::PodPhase { from, to, .. } => Some(format!("{from:?}->{to:?}")),
            Change::PodReady { ready, .. } => Some(format!("ready={ready}")),
            Change::PodStatus { field, .. } => Some(match field {
                PodField::Reason { to, .. } => format!("reason={}", to.unwrap_or("")),
                PodField::Restarts { to, .. } => format!("restarts={to}"),
                PodField::SchedulingAttempts { to, .. } => format!("attempts={to}"),
            }),
            Change::PodDeleted(_) => Some("deleted".into()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_pod_runs_through_the_store_pull_start_ready_and_exit_each_a_change() {
    let mut h = kubelet();
    let id = h
        .store
        .create_pod(pod("p", 60_000, 0, RestartPolicy::Never));
    h.store.bind(id, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(3_600_000));
    assert_eq!(
        pod_changes(&mut h),
        [
            "Pending->Running",
            "ready=true",
            "ready=false",
            "reason=Completed",
            "Running->Succeeded"
        ]
    );
    let events = h.events();
    let reasons: Vec<&str> = events
        .iter()
        .map(|e| e.split(' ').next().unwrap())
        .collect();
    assert_eq!(reasons, ["Pulling", "Pulled", "Created", "Started"]);
    let st = &h.store.pod(id).status;
    assert_eq!(st.started, Some(SimTime(6_000)), "5 s pull, then 1 s start");
    assert_eq!(st.first_ready, Some(SimTime(6_000)));
    assert_eq!(st.finished, Some(SimTime(66_000)));
    assert_eq!(check_invariants(&h.store), Vec::<String>::new());
}

#[test]
fn a_pod_placed_during_a_pull_waits_for_it() {
    let mut h = kubelet();
    let a = h
        .store
        .create_pod(pod("a", 60_000, 0, RestartPolicy::Never));
    h.store.bind(a, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(2_000));
    let b = h
        .store
        .create_pod(pod("b", 60_000, 0, RestartPolicy::Never));
    h.store.bind(b, NodeId(0), SimTime(2_000));
    h.run_until(SimTime(3_600_000));
    // The image is there when the first pull ends (5 s), not when it starts.
    assert_eq!(h.store.pod(b).status.started, Some(SimTime(6_000)));
    let events = h.events();
    let b_events: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("Pod/default/b"))
        .collect();
    assert!(b_events[0].starts_with("Pulling "), "{b_events:?}");
    assert!(
        b_events[1].ends_with("in 0s (5s including waiting)"),
        "{b_events:?}"
    );
    assert!(
        !events.iter().any(|e| e.contains("already present")),
        "{events:?}"
    );
    // A pod placed after the pull finds the image present.
    let c = h
        .store
        .create_pod(pod("c", 60_000, 0, RestartPolicy::Never));
    h.store.bind(c, NodeId(0), h.now());
    h.run_until(SimTime(7_200_000));
    assert!(
        h.events()
            .iter()
            .any(|e| e.contains("already present on machine"))
    );
}

#[test]
fn a_failing_container_restarts_with_back_off_and_each_restart_is_a_change() {
    let mut h = kubelet();
    let id = h
        .store
        .create_pod(pod("crash", 1_000, 1, RestartPolicy::Always));
    h.store.bind(id, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(60_000));
    let changes = pod_changes(&mut h);
    let restarts = changes
        .iter()
        .filter(|c| c.starts_with("restarts="))
        .count();
    assert!(restarts >= 2, "{changes:?}");
    assert_eq!(h.store.pod(id).status.restarts as usize, restarts);
    assert!(changes.contains(&"ready=false".to_string()), "{changes:?}");
    assert!(changes.contains(&"restarts=2".to_string()), "{changes:?}");
    assert!(h.events().iter().any(|e| e.starts_with(
        "BackOff Pod/default/crash: Back-off restarting failed container main in pod crash_default("
    )),);
    assert_eq!(h.store.pod(id).status.reason, Some("CrashLoopBackOff"));
}

/// The events of the run, as `Reason message` lines without the object.
fn lines(h: &mut Harness<Kubelet>) -> Vec<String> {
    h.events()
        .iter()
        .map(|e| {
            let (reason, rest) = e.split_once(' ').unwrap();
            let message = rest.split_once(": ").map_or(rest, |(_, m)| m);
            format!("{reason} {message}")
        })
        .collect()
}

fn container(name: &str, image: &str, sidecar: bool) -> crate::api::pod::Container {
    let mut c = crate::api::testing::pod("x", 0, 0).spec.containers[0].clone();
    c.name = name.into();
    c.image = image.into();
    c.sidecar = sidecar;
    c
}

#[test]
fn init_containers_run_one_after_another_before_the_app_containers() {
    let mut h = kubelet();
    let mut p = pod("p", 60_000, 0, RestartPolicy::Never);
    let spec = Arc::make_mut(&mut p.spec);
    spec.init_containers = vec![
        container("migrate", "tool:1", false),
        container("proxy", "envoy:1", true),
        container("warm", "tool:1", false),
    ];
    spec.behaviour.init_duration = Some(Distribution::Constant(10_000));
    let id = h.store.create_pod(p);
    h.store.bind(id, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(3_600_000));
    assert_eq!(
        lines(&mut h),
        [
            "Pulling Pulling image \"tool:1\"",
            "Pulled Successfully pulled image \"tool:1\" in 5s (5s including waiting)",
            "Created Created container: migrate",
            "Started Started container migrate",
            "Pulling Pulling image \"envoy:1\"",
            "Pulled Successfully pulled image \"envoy:1\" in 5s (5s including waiting)",
            "Created Created container: proxy",
            "Started Started container proxy",
            "Pulled Container image \"tool:1\" already present on machine",
            "Created Created container: warm",
            "Started Started container warm",
            "Pulling Pulling image \"img\"",
            "Pulled Successfully pulled image \"img\" in 5s (5s including waiting)",
            "Created Created container: main",
            "Started Started container main",
            "Killing Stopping container proxy",
        ]
    );
    // migrate: pull 5 s, start 1 s, runs 10 s (16 s); proxy: pull 5, start 1 (22 s); warm:
    // start 1, runs 10 (33 s); main: pull 5, start 1.
    let st = &h.store.pod(id).status;
    assert_eq!(st.started, Some(SimTime(39_000)));
    assert_eq!(st.first_ready, Some(SimTime(39_000)));
    assert_eq!(st.finished, Some(SimTime(99_000)));
    assert_eq!(
        h.store.pod(id).phase(),
        Phase::Succeeded,
        "the sidecar does not block it"
    );
}

#[test]
fn probes_decide_when_the_pod_is_ready() {
    let mut h = kubelet();
    let mut p = pod("p", 600_000, 0, RestartPolicy::Always);
    let spec = Arc::make_mut(&mut p.spec);
    spec.behaviour.startup = Some(Distribution::Constant(25_000));
    spec.containers[0].readiness_probe = Some(Probe {
        initial_delay_ms: 5_000,
        ..Probe::default()
    });
    let id = h.store.create_pod(p);
    h.store.bind(id, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(120_000));
    // Started at 6 s; the app answers at 31 s; probes at 16 s and 26 s fail, 36 s passes.
    assert_eq!(h.store.pod(id).status.first_ready, Some(SimTime(36_000)));
    let unhealthy = lines(&mut h)
        .into_iter()
        .filter(|l| l.starts_with("Unhealthy Readiness probe failed"))
        .count();
    assert_eq!(unhealthy, 2);
}

#[test]
fn a_failing_startup_probe_kills_and_restarts_the_container() {
    let mut h = kubelet();
    let mut p = pod("p", 600_000, 0, RestartPolicy::Always);
    let spec = Arc::make_mut(&mut p.spec);
    spec.behaviour.startup = Some(Distribution::Constant(60_000));
    spec.containers[0].startup_probe = Some(Probe::default());
    let id = h.store.create_pod(p);
    h.store.bind(id, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(60_000));
    let lines = lines(&mut h);
    let kill = (lines.iter())
        .position(|l| l == "Killing Container main failed startup probe, will be restarted")
        .expect("killed");
    let failed = lines[..kill]
        .iter()
        .filter(|l| l.starts_with("Unhealthy Startup probe failed"))
        .count();
    assert_eq!(failed, 3, "failureThreshold 3: {lines:?}");
    // The first restart is at once, the next after the 10 s back-off.
    assert!(lines[kill + 1..].iter().any(|l| l.starts_with("BackOff ")));
    assert!(h.store.pod(id).status.restarts >= 1);
    assert!(!h.store.pod(id).status.ready);
}

#[test]
fn pull_policies_always_and_never() {
    let mut h = kubelet();
    let mut a = pod("a", 60_000, 0, RestartPolicy::Never);
    Arc::make_mut(&mut a.spec).containers[0].pull_policy = PullPolicy::Always;
    let a = h.store.create_pod(a);
    h.store.bind(a, NodeId(0), SimTime::ZERO);
    h.run_until(SimTime(100_000));
    // A second pod with `Always` pulls again although the image is there, and waits for
    // nothing.
    let mut b = pod("b", 60_000, 0, RestartPolicy::Never);
    Arc::make_mut(&mut b.spec).containers[0].pull_policy = PullPolicy::Always;
    let b = h.store.create_pod(b);
    h.store.bind(b, NodeId(0), h.now());
    // `Never` for an image the node lacks: the pod stays Pending.
    let mut c = pod("c", 60_000, 0, RestartPolicy::Never);
    let spec = Arc::make_mut(&mut c.spec);
    spec.containers[0].pull_policy = PullPolicy::Never;
    spec.containers[0].image = "absent:1".into();
    let c = h.store.create_pod(c);
    h.store.bind(c, NodeId(0), h.now());
    h.run_until(SimTime(300_000));
    let events = h.events();
    let of = |name: &str| -> Vec<String> {
        (events.iter())
            .filter(|e| e.contains(&format!("Pod/default/{name}:")))
            .map(|e| e.split_once(": ").unwrap().1.to_string())
            .collect()
    };
    assert_eq!(
        of("b")[..2],
        [
            "Pulling image \"img\"".to_string(),
            "Successfully pulled image \"img\" in 0s (0s including waiting)".to_string()
        ]
    );
    assert_eq!(
        of("c"),
        [
            "Container image \"absent:1\" is not present with pull policy of Never",
            "Error: ErrImageNeverPull"
        ]
    );
    assert_eq!(h.store.pod(c).phase(), Phase::Pending);
    assert_eq!(h.store.pod(c).status.reason, Some("ErrImageNeverPull"));
    assert_eq!(h.store.pod(b).phase(), Phase::Succeeded);
}
