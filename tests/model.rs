//! Model tests through the library: the store's invariant checker runs after every event.

mod common;

use kubesim::world::World;

/// Runs `scenario` (for `duration` when given) with the invariant checker.
fn run_checked(scenario: &str, duration: Option<&str>) -> World {
    let mut s = common::load(scenario);
    if let Some(d) = duration {
        s.duration =
            kubesim::engine::SimTime(kubesim::api::duration::parse_duration_ms(d).unwrap());
    }
    common::run_checked(&s)
}

#[test]
fn invariants_hold_after_every_event_in_every_small_scenario() {
    for s in [
        "scenarios/quickstart.yaml",
        "scenarios/bin-packing.yaml",
        "scenarios/trace-replay.yaml",
        "scenarios/volumes-and-ports.yaml",
        "scenarios/pod-lifecycle.yaml",
    ] {
        let w = run_checked(s, None);
        assert!(
            kubesim::store::check_invariants(w.store()).is_empty(),
            "{s}"
        );
    }
}

#[test]
fn invariants_hold_under_load() {
    // 90 simulated seconds of the 1,000-node batch workload (about 1,800 pods), checked after
    // every event: resources never over-committed, indices consistent.
    let w = run_checked("scenarios/bench-batch-1k.yaml", Some("90s"));
    let pods = w.store().pods().len();
    assert!(pods > 1_000, "{pods} pods");
}
