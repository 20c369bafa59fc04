//! Which extension points each in-tree plugin may be enabled at, checked against upstream's
//! interface assertions (`var _ framework.XPlugin = &Y{}`) in kube-scheduler v1.34.

use super::{BuildContext, Registry};
use crate::api::scheduler_config::ExtensionPoint::{self, *};

/// Upstream's points per plugin, with the file (under `pkg/scheduler/framework/plugins/`)
/// that asserts them.
const UPSTREAM: &[(&str, &[ExtensionPoint], &str)] = &[
    ("PrioritySort", &[QueueSort], "queuesort/priority_sort.go"),
    (
        "SchedulingGates",
        &[PreEnqueue],
        "schedulinggates/scheduling_gates.go",
    ),
    (
        "NodeUnschedulable",
        &[Filter],
        "nodeunschedulable/node_unschedulable.go",
    ),
    ("NodeName", &[Filter], "nodename/node_name.go"),
    (
        "TaintToleration",
        &[Filter, PreScore, Score],
        "tainttoleration/taint_toleration.go",
    ),
    (
        "NodeAffinity",
        &[PreFilter, Filter, PreScore, Score],
        "nodeaffinity/node_affinity.go",
    ),
    ("NodePorts", &[PreFilter, Filter], "nodeports/node_ports.go"),
    (
        "NodeResourcesFit",
        &[PreFilter, Filter, PreScore, Score],
        "noderesources/fit.go",
    ),
    (
        "VolumeBinding",
        &[PreFilter, Filter, PreScore, Score, Reserve, PreBind],
        "volumebinding/volume_binding.go",
    ),
    (
        "VolumeZone",
        &[PreFilter, Filter],
        "volumezone/volume_zone.go",
    ),
    (
        "PodTopologySpread",
        &[PreFilter, Filter, PreScore, Score],
        "podtopologyspread/plugin.go",
    ),
    (
        "InterPodAffinity",
        &[PreFilter, Filter, PreScore, Score],
        "interpodaffinity/plugin.go",
    ),
    (
        "DefaultPreemption",
        &[PreEnqueue, PostFilter],
        "defaultpreemption/default_preemption.go",
    ),
    (
        "NodeResourcesBalancedAllocation",
        &[PreScore, Score],
        "noderesources/balanced_allocation.go",
    ),
    ("ImageLocality", &[Score], "imagelocality/image_locality.go"),
    ("DefaultBinder", &[Bind], "defaultbinder/default_binder.go"),
];

/// Points kubesim runs a plugin at that upstream's plugin does not extend: work upstream does
/// elsewhere (the profile runs it wherever the plugin is enabled; it cannot be enabled there).
const KUBESIM_ONLY: &[(&str, ExtensionPoint)] = &[("ImageLocality", PreScore)];

#[test]
fn every_in_tree_plugin_extends_upstreams_points() {
    let registry = Registry::in_tree();
    for (name, points, source) in UPSTREAM {
        let ctx = BuildContext::new(1, "test");
        let mut plugin = registry
            .build(name, &ctx)
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(plugin.extends(), Some(*points), "{name} ({source})");
        let implemented = [
            (PreEnqueue, plugin.as_pre_enqueue().is_some()),
            (QueueSort, plugin.as_queue_sort().is_some()),
            (PreFilter, plugin.as_pre_filter().is_some()),
            (Filter, plugin.as_filter().is_some()),
            (PostFilter, plugin.as_post_filter().is_some()),
            (PreScore, plugin.as_pre_score().is_some()),
            (Score, plugin.as_score().is_some()),
            (Reserve, plugin.as_reserve().is_some()),
            (PreBind, plugin.as_pre_bind().is_some()),
            (Bind, plugin.as_bind().is_some()),
        ];
        for (point, runs) in implemented {
            if runs && !points.contains(&point) {
                assert!(
                    KUBESIM_ONLY.contains(&(name, point)),
                    "{name} runs at {point:?}, which upstream's does not extend ({source})"
                );
            }
        }
    }
}
