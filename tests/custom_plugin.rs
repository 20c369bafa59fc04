//! The external-plugin example (`examples/custom_plugin.rs`), run as a test: its plugins
//! register beside the in-tree ones and decide where the pods go.

mod common;
#[path = "../examples/custom_plugin.rs"]
#[allow(dead_code)]
mod custom_plugin;

use std::collections::BTreeMap;

#[test]
fn external_filter_and_score_plugins_place_the_example_pods() {
    let path = common::repo("examples/custom_plugin.yaml");
    let placements = custom_plugin::run(&path).expect("the example runs");
    assert_eq!(placements.len(), 12);
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for p in &placements {
        assert_ne!(
            p.zone.as_deref(),
            Some("zone-b"),
            "{p:?} is in the avoided zone"
        );
        *per_node
            .entry(p.node.clone().expect("every pod is bound"))
            .or_default() += 1;
    }
    // PreferFewerPods alone spreads 12 equal pods evenly over the 4 nodes outside zone-b.
    assert_eq!(per_node.len(), 4, "{per_node:?}");
    assert!(per_node.values().all(|&n| n == 3), "{per_node:?}");
}

#[test]
fn the_in_tree_registry_rejects_the_example_plugins_with_a_located_error() {
    use kubesim::scheduler::plugin::{Registry, check_config};
    let path = common::repo("examples/custom_plugin.yaml");
    let in_tree = Registry::in_tree();
    let err = kubesim::scenario::load_scenario_checked(&[path], &|c| check_config(c, &in_tree))
        .expect_err("unknown plugins");
    let text: Vec<String> = err.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("unknown plugin \"example.com/AvoidZoneB\"")),
        "{text:?}"
    );
    let mut r = custom_plugin::registry().expect("new names");
    assert!(
        r.register(
            custom_plugin::AVOID_ZONE_B,
            Box::new(|_| Box::new(custom_plugin::AvoidZoneB))
        )
        .is_err(),
        "a name is registered once"
    );
}
