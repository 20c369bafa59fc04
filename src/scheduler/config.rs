//! Scheduler configuration: profiles, plugin sets per extension point, plugin args, and the
//! merge of a user's KubeSchedulerConfiguration over the default profile
//! (`pkg/scheduler/apis/config/v1/default_plugins.go`, `pkg/scheduler/framework/runtime/framework.go`).

use super::plugins::names;
pub use crate::api::scheduler_config::{
    ExtensionPoint, PluginRef, PluginSet, Plugins, ProfileConfig, SchedulerConfig,
};

/// The default profile's multi-point plugins with their weights, in upstream order.
pub fn default_multi_point() -> Vec<PluginRef> {
    let w = |name: &str, weight: i64| PluginRef {
        name: name.to_string(),
        weight,
    };
    vec![
        w(names::SCHEDULING_GATES, 0),
        w(names::PRIORITY_SORT, 0),
        w(names::NODE_UNSCHEDULABLE, 0),
        w(names::NODE_NAME, 0),
        w(names::TAINT_TOLERATION, 3),
        w(names::NODE_AFFINITY, 2),
        w(names::NODE_PORTS, 0),
        w(names::NODE_RESOURCES_FIT, 1),
        w("VolumeRestrictions", 0),
        w("NodeVolumeLimits", 0),
        w(names::VOLUME_BINDING, 0),
        w(names::VOLUME_ZONE, 0),
        w(names::POD_TOPOLOGY_SPREAD, 2),
        w(names::INTER_POD_AFFINITY, 2),
        w(names::DEFAULT_PREEMPTION, 0),
        w(names::NODE_RESOURCES_BALANCED_ALLOCATION, 1),
        w(names::IMAGE_LOCALITY, 1),
        w(names::DEFAULT_BINDER, 0),
    ]
}

/// Lays a user's plugin set over a default one (`mergePluginSet`): disabled names (or `*`)
/// drop out of the defaults, a default the user re-enables keeps its place with the user's
/// settings, and other user plugins are appended.
pub fn merge_plugin_set(default: &PluginSet, custom: &PluginSet) -> PluginSet {
    let mut disabled: Vec<String> = custom.disabled.clone();
    disabled.extend(default.disabled.iter().cloned());
    let all_disabled = disabled.iter().any(|d| d == "*");
    let mut replaced = vec![false; custom.enabled.len()];
    let mut enabled = Vec::new();
    if !all_disabled {
        for d in &default.enabled {
            if disabled.contains(&d.name) {
                continue;
            }
            match custom.enabled.iter().position(|c| c.name == d.name) {
                Some(i) => {
                    replaced[i] = true;
                    enabled.push(custom.enabled[i].clone());
                }
                None => enabled.push(d.clone()),
            }
        }
    }
    for (i, c) in custom.enabled.iter().enumerate() {
        if !replaced[i] {
            enabled.push(c.clone());
        }
    }
    PluginSet { enabled, disabled }
}

/// The effective plugin list at one point after the multi-point expansion: plugins the point
/// names itself that also appear in multiPoint first (user overrides), then the remaining
/// multiPoint plugins that implement the point, then the point's other plugins.
/// `implements(name)` says whether a plugin serves this point.
pub fn expand_point(
    multi_point: &PluginSet,
    point: &PluginSet,
    implements: &dyn Fn(&str) -> bool,
) -> Vec<PluginRef> {
    if point.disabled.iter().any(|d| d == "*") {
        return point.enabled.clone();
    }
    let mut from_multi: Vec<PluginRef> = Vec::new();
    for p in &multi_point.enabled {
        if !implements(&p.name)
            || point.disabled.contains(&p.name)
            || point.enabled.iter().any(|e| e.name == p.name)
            || from_multi.iter().any(|e| e.name == p.name)
        {
            continue;
        }
        from_multi.push(p.clone());
    }
    let in_multi = |name: &str| multi_point.enabled.iter().any(|m| m.name == name);
    let mut out: Vec<PluginRef> = point
        .enabled
        .iter()
        .filter(|e| in_multi(&e.name))
        .cloned()
        .collect();
    out.extend(from_multi);
    out.extend(point.enabled.iter().filter(|e| !in_multi(&e.name)).cloned());
    out
}

/// How many feasible nodes the filter phase looks for (`numFeasibleNodesToFind`).
pub fn num_feasible_nodes_to_find(percentage: Option<i32>, num_all_nodes: usize) -> usize {
    const MIN_FEASIBLE: usize = 100;
    const MIN_PERCENTAGE: i64 = 5;
    let n = num_all_nodes;
    let pct = i64::from(percentage.unwrap_or(0));
    if n < MIN_FEASIBLE || pct >= 100 {
        return n;
    }
    let mut adaptive = pct;
    if adaptive <= 0 {
        adaptive = (50 - n as i64 / 125).max(MIN_PERCENTAGE);
    }
    let k = (n as i64 * adaptive / 100) as usize;
    k.max(MIN_FEASIBLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, weight: i64) -> PluginRef {
        PluginRef {
            name: name.into(),
            weight,
        }
    }

    #[test]
    fn feasible_nodes_table() {
        let cases = [
            (None, 50, 50),
            (None, 99, 99),
            (None, 100, 100),
            (None, 500, 230),
            (None, 1000, 420),
            (None, 5000, 500),
            (None, 100_000, 5000),
            (Some(100), 5000, 5000),
            (Some(1), 5000, 100),
            (Some(30), 1000, 300),
        ];
        for (pct, n, want) in cases {
            assert_eq!(
                num_feasible_nodes_to_find(pct, n),
                want,
                "pct={pct:?} n={n}"
            );
        }
    }

    #[test]
    fn merge_keeps_order_and_appends() {
        let default = PluginSet {
            enabled: vec![r("A", 1), r("B", 2), r("C", 3)],
            disabled: vec![],
        };
        let custom = PluginSet {
            enabled: vec![r("X", 5), r("B", 9)],
            disabled: vec!["C".into()],
        };
        let m = merge_plugin_set(&default, &custom);
        assert_eq!(m.enabled, [r("A", 1), r("B", 9), r("X", 5)]);
        let star = PluginSet {
            enabled: vec![r("X", 5)],
            disabled: vec!["*".into()],
        };
        assert_eq!(merge_plugin_set(&default, &star).enabled, [r("X", 5)]);
    }

    #[test]
    fn expansion_orders_overrides_multipoint_then_specific() {
        let multi = PluginSet {
            enabled: vec![r("A", 1), r("B", 1), r("C", 1)],
            disabled: vec![],
        };
        let point = PluginSet {
            enabled: vec![r("Z", 1), r("B", 7)],
            disabled: vec!["C".into()],
        };
        let got = expand_point(&multi, &point, &|n| n != "A");
        assert_eq!(got, [r("B", 7), r("Z", 1)]);
    }
}
