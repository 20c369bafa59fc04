//! The cycle, the walk and profile building, on small clusters.

use super::*;
use crate::engine::RngStreams;
use crate::scheduler::config::ProfileConfig;
use crate::scheduler::plugins::Registry;
use crate::scheduler::plugins::testing::{node, pod, with_used};

fn default_profile() -> Profile {
    Profile::build(
        &ProfileConfig::named("default-scheduler"),
        None,
        &Registry::in_tree(),
        1,
    )
    .expect("default profile builds")
    .0
}

fn nodes(n: usize) -> Vec<NodeInfo> {
    (0..n)
        .map(|i| {
            let mut info = node(&format!("n{i}"), 4000, 8 << 30);
            info.id = NodeId(i as u32);
            info
        })
        .collect()
}

#[test]
fn evaluates_num_feasible_nodes_from_the_round_robin_start() {
    // 300 nodes: adaptive percentage 50 - 300/125 = 48% -> 144 nodes per cycle.
    let nodes = nodes(300);
    let order: Vec<usize> = (0..300).collect();
    let mut p = default_profile();
    let mut start = 0;
    let mut rng = RngStreams::new(1).stream("t");
    for want_start in [144, 288, 132] {
        let mut d = CycleDetail::default();
        let r = p.run_cycle(
            &pod("p", 100, 0),
            NodeSet::new(&nodes, &order),
            ClusterView::empty(),
            &mut start,
            &mut rng,
            Some(&mut d),
        );
        assert!(matches!(r, CycleResult::Scheduled(_)));
        assert_eq!(d.filter.len(), 144);
        assert_eq!(d.scores.len(), 144);
        assert_eq!(start, want_start);
    }
}

/// Without details the walk keeps only verdicts (and walks again with statuses when no
/// node passes); it must choose the same nodes and advance the start index the same way.
#[test]
fn the_verdict_only_walk_matches_the_detailed_walk() {
    // 300 nodes, every third one full: some chunks stop the search midway.
    let nodes: Vec<NodeInfo> = nodes(300)
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            if i % 3 == 0 {
                with_used(n, 4000, 0, 1)
            } else {
                n
            }
        })
        .collect();
    let order: Vec<usize> = (0..300).collect();
    let run = |explain: bool| {
        let mut p = default_profile();
        let (mut start, mut rng) = (7, RngStreams::new(1).stream("t"));
        let mut seen = Vec::new();
        for cpu in [100, 3000, 5000, 100, 2000] {
            let mut d = CycleDetail::default();
            let r = p.run_cycle(
                &pod("p", cpu, 0),
                NodeSet::new(&nodes, &order),
                ClusterView::empty(),
                &mut start,
                &mut rng,
                explain.then_some(&mut d),
            );
            let outcome = match r {
                CycleResult::Scheduled(n) => format!("node {n}"),
                CycleResult::Unschedulable(diag) => diag.message(),
                CycleResult::Error(e) => e,
            };
            seen.push((outcome, start));
        }
        seen
    };
    let quick = run(false);
    assert_eq!(quick, run(true));
    assert_eq!(
        quick[2].0,
        "0/300 nodes are available: 300 Insufficient cpu."
    );
}

#[test]
fn default_profile_wires_gates_ports_volumes_and_images() {
    let p = default_profile();
    let d = p.describe();
    let at = |point: &str| d.iter().find(|(n, _)| *n == point).unwrap().1.clone();
    assert_eq!(at("preEnqueue"), ["SchedulingGates"]);
    assert_eq!(
        at("preFilter"),
        [
            "NodeAffinity",
            "NodePorts",
            "NodeResourcesFit",
            "VolumeBinding",
            "VolumeZone",
            "PodTopologySpread",
            "InterPodAffinity"
        ]
    );
    assert_eq!(at("postFilter"), ["DefaultPreemption"]);
    assert_eq!(at("preBind"), ["VolumeBinding"]);
    assert!(at("score").contains(&"ImageLocality:1".to_string()));
    let mut gated = pod("g", 100, 0);
    assert!(p.pre_enqueue(&gated).is_none());
    std::sync::Arc::make_mut(&mut gated.spec).scheduling_gates = vec!["x".into()];
    assert_eq!(
        p.pre_enqueue(&gated).map(|s| s.to_string()).as_deref(),
        Some("waiting for scheduling gates: [x]")
    );
}

#[test]
fn a_plugin_not_modelled_is_warned_about_once() {
    let mut cfg = ProfileConfig::named("p");
    let r = crate::scheduler::config::PluginRef {
        name: "VolumeRestrictions".into(),
        weight: 0,
    };
    cfg.plugins
        .at_mut(crate::scheduler::config::ExtensionPoint::Score)
        .enabled
        .push(r.clone());
    cfg.plugins.multi_point.enabled.push(r);
    let (_, warnings) = Profile::build(&cfg, None, &Registry::in_tree(), 1).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn plugins_may_be_enabled_where_upstreams_extend_and_nowhere_else() {
    use crate::scheduler::config::{ExtensionPoint as P, PluginRef};
    let build = |point: P, name: &str| {
        let mut cfg = ProfileConfig::named("p");
        cfg.plugins.at_mut(point).enabled.push(PluginRef {
            name: name.into(),
            weight: 0,
        });
        Profile::build(&cfg, None, &Registry::in_tree(), 1).map(|_| ())
    };
    // Upstream's NodeResourcesFit, VolumeBinding and DefaultPreemption extend these points,
    // although kubesim has nothing to do at some of them.
    for (point, name) in [
        (P::PreScore, "NodeResourcesFit"),
        (P::Reserve, "VolumeBinding"),
        (P::Score, "VolumeBinding"),
        (P::PreEnqueue, "DefaultPreemption"),
    ] {
        assert_eq!(build(point, name), Ok(()), "{name} at {point:?}");
    }
    let e = build(P::PreScore, "ImageLocality").unwrap_err();
    assert_eq!(
        e,
        [
            "profile p: plugins.preScore: plugin \"ImageLocality\" does not extend PreScorePlugin plugin"
        ]
    );
    assert!(build(P::Filter, "ImageLocality").is_err());
}

#[test]
fn ties_are_broken_by_the_seeded_stream() {
    let nodes = nodes(50);
    let order: Vec<usize> = (0..50).collect();
    let pick = |seed: u64| {
        let mut p = default_profile();
        let mut rng = RngStreams::new(seed).stream("scheduler");
        match p.run_cycle(
            &pod("p", 100, 0),
            NodeSet::new(&nodes, &order),
            ClusterView::empty(),
            &mut 0,
            &mut rng,
            None,
        ) {
            CycleResult::Scheduled(n) => n,
            _ => panic!("identical empty nodes all fit"),
        }
    };
    assert_eq!(pick(1), pick(1), "same seed, same node");
    let distinct: std::collections::BTreeSet<usize> = (1..20).map(pick).collect();
    assert!(
        distinct.len() > 5,
        "seeds spread the choice over the tied nodes: {distinct:?}"
    );
}

#[test]
fn the_least_allocated_node_wins_and_messages_histogram_reasons() {
    let mut nodes = nodes(3);
    nodes[0] = with_used(nodes[0].clone(), 3000, 0, 1);
    nodes[2] = with_used(nodes[2].clone(), 1000, 0, 1);
    let order = vec![0, 1, 2];
    let mut p = default_profile();
    let mut rng = RngStreams::new(1).stream("t");
    let r = p.run_cycle(
        &pod("p", 500, 1 << 30),
        NodeSet::new(&nodes, &order),
        ClusterView::empty(),
        &mut 0,
        &mut rng,
        None,
    );
    assert!(
        matches!(r, CycleResult::Scheduled(1)),
        "the empty node scores highest"
    );
    let r = p.run_cycle(
        &pod("big", 3500, 1 << 30),
        NodeSet::new(&nodes, &order),
        ClusterView::empty(),
        &mut 0,
        &mut rng,
        None,
    );
    let CycleResult::Scheduled(n) = r else {
        panic!("fits on n1 and n2")
    };
    assert!(n == 1 || n == 2);
    match p.run_cycle(
        &pod("huge", 5000, 0),
        NodeSet::new(&nodes, &order),
        ClusterView::empty(),
        &mut 0,
        &mut rng,
        None,
    ) {
        CycleResult::Unschedulable(d) => {
            assert_eq!(d.message(), "0/3 nodes are available: 3 Insufficient cpu.")
        }
        _ => panic!("fits nowhere"),
    }
}

/// Args for a plugin the profile does not enable are accepted and not used (upstream builds
/// only the plugins it enables); PodTopologySpread's defaults reach the profile for the
/// scheduler's index.
#[test]
fn args_of_a_disabled_plugin_are_accepted_and_spread_defaults_are_the_profiles() {
    use crate::api::scheduler_config::{
        DefaultPreemptionArgs, DefaultingType, PluginArgs, PodTopologySpreadArgs,
    };
    let mut cfg = ProfileConfig::named("p");
    cfg.plugins
        .multi_point
        .disabled
        .push("DefaultPreemption".into());
    cfg.plugin_args.push((
        "DefaultPreemption".into(),
        PluginArgs::DefaultPreemption(DefaultPreemptionArgs::default()),
    ));
    let (p, warnings) = Profile::build(&cfg, None, &Registry::in_tree(), 1).expect("builds");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(
        p.describe()
            .iter()
            .all(|(_, names)| { names.iter().all(|n| n != "DefaultPreemption") })
    );
    let keys = |p: &Profile| -> Vec<String> {
        p.spread_defaults()
            .iter()
            .map(|c| format!("{}:{}", c.topology_key, c.max_skew))
            .collect()
    };
    assert_eq!(
        keys(&p),
        ["kubernetes.io/hostname:3", "topology.kubernetes.io/zone:5"]
    );
    cfg.plugin_args.push((
        "PodTopologySpread".into(),
        PluginArgs::PodTopologySpread(PodTopologySpreadArgs {
            default_constraints: vec![],
            defaulting_type: DefaultingType::List,
        }),
    ));
    let (p, _) = Profile::build(&cfg, None, &Registry::in_tree(), 1).expect("builds");
    assert!(keys(&p).is_empty());
}
