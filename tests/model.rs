//! Model tests through the library: the store's invariant checker runs after every event.

use kubesim::scenario::load_scenario;
use kubesim::scheduler::plugins::Registry;
use kubesim::world::{NullSink, World};
use std::path::Path;

fn run_checked(scenario: &str, duration: Option<&str>) -> World {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario);
    let mut s = load_scenario(&[path]).expect("scenario loads");
    if let Some(d) = duration {
        s.duration =
            kubesim::engine::SimTime(kubesim::api::duration::parse_duration_ms(d).unwrap());
    }
    let mut w = World::new(&s, &Registry::in_tree()).expect("world builds");
    w.set_check_invariants(true);
    w.run(&mut NullSink, &mut |_, _| {}).expect("run");
    w
}

#[test]
fn invariants_hold_after_every_event_in_every_small_scenario() {
    for s in [
        "scenarios/quickstart.yaml",
        "scenarios/bin-packing.yaml",
        "scenarios/trace-replay.yaml",
        "scenarios/volumes-and-ports.yaml",
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
