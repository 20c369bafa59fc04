//! Plugins from outside the crate: a Filter (`example.com/AvoidZoneB`) and a Score
//! (`example.com/PreferFewerPods`) written against `kubesim::scheduler::plugin`, registered
//! beside the in-tree plugins, used by a profile of `examples/custom_plugin.yaml`.
//!
//!   cargo run --release --example custom_plugin
//!
//! `tests/custom_plugin.rs` runs the same code and checks where the pods went.

use kubesim::scenario::load_scenario_checked;
use kubesim::scheduler::plugin::*;
use kubesim::world::{NullSink, World};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The Filter's registered name.
pub const AVOID_ZONE_B: &str = "example.com/AvoidZoneB";
/// The Score's registered name.
pub const PREFER_FEWER_PODS: &str = "example.com/PreferFewerPods";

/// Filter: no pod goes to a node in zone `zone-b`.
pub struct AvoidZoneB;

impl Plugin for AvoidZoneB {
    fn name(&self) -> &str {
        AVOID_ZONE_B
    }
    // A rejected pod is retried when a node joins or a node's labels change.
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD.or(ClusterEvents::NODE_LABEL)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for AvoidZoneB {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        if node.node.zone() == Some("zone-b") {
            Status::unresolvable("node(s) were in zone-b")
        } else {
            Status::success()
        }
    }
}

/// Score: the fewer pods a node runs, the higher it scores.
pub struct PreferFewerPods;

impl Plugin for PreferFewerPods {
    fn name(&self) -> &str {
        PREFER_FEWER_PODS
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for PreferFewerPods {
    /// The raw score is the pod count ...
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> i64 {
        i64::from(node.hot.pod_count)
    }
    /// ... reversed into `[0, 100]`: the emptiest node gets 100.
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) {
        default_normalize_score(scores, true);
    }
}

/// The in-tree plugins plus the two above.
pub fn registry() -> Result<Registry, String> {
    let mut r = Registry::in_tree();
    r.register(AVOID_ZONE_B, Box::new(|_| Box::new(AvoidZoneB)))?;
    r.register(PREFER_FEWER_PODS, Box::new(|_| Box::new(PreferFewerPods)))?;
    Ok(r)
}

/// Where a pod ended up.
#[derive(Debug)]
pub struct Placement {
    /// `namespace/name`.
    pub pod: String,
    /// Its node, if bound.
    pub node: Option<String>,
    /// That node's zone.
    pub zone: Option<String>,
}

/// Loads `scenario` with the custom registry, runs it, and reports every pod's placement.
pub fn run(scenario: &Path) -> Result<Vec<Placement>, Vec<String>> {
    let registry = registry().map_err(|e| vec![e])?;
    // The loader checks plugin names with the registry the run will use.
    let scenario =
        load_scenario_checked(&[scenario.to_path_buf()], &|c| check_config(c, &registry))
            .map_err(|errors| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
    let mut world = World::new(&scenario, &registry)?;
    world
        .run(&mut NullSink, &mut |_, _| {})
        .map_err(|e| vec![e.to_string()])?;
    let store = world.store();
    Ok(store
        .pods()
        .iter()
        .map(|p| {
            let node = p.status.node.map(|n| store.node(NodeId(n)));
            Placement {
                pod: p.key(),
                node: node.map(|n| n.name().to_string()),
                zone: node.and_then(|n| n.zone()).map(str::to_string),
            }
        })
        .collect())
}

fn main() -> ExitCode {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/custom_plugin.yaml");
    match run(&path) {
        Ok(placements) => {
            for p in &placements {
                println!(
                    "{:<16} {:<10} {}",
                    p.pod,
                    p.node.as_deref().unwrap_or("<pending>"),
                    p.zone.as_deref().unwrap_or("")
                );
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
