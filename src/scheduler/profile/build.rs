//! Building a profile from its configuration: the multiPoint defaults merged with the user's
//! sets as upstream's `mergePlugins` does, each plugin instantiated once, and every point's
//! list checked (`pkg/scheduler/apis/config/v1/default_plugins.go`,
//! `pkg/scheduler/framework/runtime/framework.go`).

use super::Profile;
use crate::api::pod_affinity::TopologySpreadConstraint;
use crate::scheduler::config::{
    ExtensionPoint, PluginSet, ProfileConfig, default_multi_point, expand_point, merge_plugin_set,
};
use crate::scheduler::framework::Plugin;
use crate::scheduler::plugins::pod_topology_spread::PodTopologySpread;
use crate::scheduler::plugins::{BuildContext, PluginArgs, Registry, names};
use std::collections::BTreeMap;

impl Profile {
    /// Builds a profile from its configuration: merge over the defaults, expand multiPoint,
    /// instantiate each plugin once (factories get the run's `seed`). Returns the profile and
    /// warnings, or every error found.
    pub fn build(
        cfg: &ProfileConfig,
        global_pct: Option<i32>,
        registry: &Registry,
        seed: u64,
    ) -> Result<(Profile, Vec<String>), Vec<String>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let default_multi = PluginSet {
            enabled: default_multi_point(),
            disabled: vec![],
        };
        let multi = merge_plugin_set(&default_multi, &cfg.plugins.multi_point);
        let profile_label = &cfg.scheduler_name;

        let (mut plugins, index_of) =
            instantiate(cfg, &multi, registry, seed, &mut errors, &mut warnings);
        let caps = capabilities(&mut plugins, &index_of);
        let mut point_lists = point_lists(cfg, &multi, &caps, &index_of, &mut errors);
        let take = |p: ExtensionPoint, lists: &mut BTreeMap<ExtensionPoint, Vec<(usize, i64)>>| {
            lists.remove(&p).unwrap_or_default()
        };
        let queue_sorts = take(ExtensionPoint::QueueSort, &mut point_lists);
        let bind = take(ExtensionPoint::Bind, &mut point_lists);
        if queue_sorts.len() != 1 {
            errors.push(format!(
                "profile {profile_label}: exactly one queueSort plugin must be enabled, found {}",
                queue_sorts.len()
            ));
        }
        if bind.is_empty() {
            errors.push(format!(
                "profile {profile_label}: at least one bind plugin must be enabled"
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let idx = |v: Vec<(usize, i64)>| v.into_iter().map(|(i, _)| i).collect::<Vec<_>>();
        let watchers = (0..plugins.len())
            .filter(|&i| plugins[i].as_watcher().is_some())
            .collect();
        let profile = Profile {
            name: cfg.scheduler_name.clone(),
            pre_enqueue: idx(take(ExtensionPoint::PreEnqueue, &mut point_lists)),
            queue_sort: queue_sorts[0].0,
            pre_filter: idx(take(ExtensionPoint::PreFilter, &mut point_lists)),
            filter: idx(take(ExtensionPoint::Filter, &mut point_lists)),
            post_filter: idx(take(ExtensionPoint::PostFilter, &mut point_lists)),
            last_filter_skip: Vec::new(),
            pre_score: idx(take(ExtensionPoint::PreScore, &mut point_lists)),
            score: take(ExtensionPoint::Score, &mut point_lists),
            reserve: idx(take(ExtensionPoint::Reserve, &mut point_lists)),
            pre_bind: idx(take(ExtensionPoint::PreBind, &mut point_lists)),
            bind: idx(bind),
            watchers,
            // A profile's own value, 0 (adaptive) included, wins over the global one.
            percentage: cfg.percentage_of_nodes_to_score.or(global_pct),
            spread_defaults: spread_defaults(cfg),
            plugins,
            feasible: Vec::new(),
            scratch: Vec::new(),
            totals: Vec::new(),
            column: Vec::new(),
        };
        Ok((profile, warnings))
    }
}

/// Per plugin, by name: the points kubesim runs it at (the probes need a mutable plugin),
/// and the points it may be enabled at (upstream's, for an in-tree plugin).
type Capabilities = BTreeMap<String, ([bool; ExtensionPoint::ALL.len()], Vec<ExtensionPoint>)>;

/// Instantiates every plugin a profile names once, with its arguments; reports unknown
/// plugins, and warns about plugins not modelled.
fn instantiate(
    cfg: &ProfileConfig,
    multi: &PluginSet,
    registry: &Registry,
    seed: u64,
    errors: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> (Vec<Box<dyn Plugin>>, BTreeMap<String, usize>) {
    let profile_label = &cfg.scheduler_name;
    let mut plugins: Vec<Box<dyn Plugin>> = Vec::new();
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut names_seen: Vec<String> = multi.enabled.iter().map(|p| p.name.clone()).collect();
    for p in ExtensionPoint::ALL {
        names_seen.extend(cfg.plugins.at(p).enabled.iter().map(|r| r.name.clone()));
    }
    let mut handled: Vec<String> = Vec::new();
    for name in names_seen {
        if handled.contains(&name) {
            continue;
        }
        handled.push(name.clone());
        if index_of.contains_key(&name) {
            continue;
        }
        if names::NOT_YET_MODELLED.contains(&name.as_str()) {
            let explicit = cfg
                .plugins
                .multi_point
                .enabled
                .iter()
                .any(|r| r.name == name)
                || ExtensionPoint::ALL
                    .iter()
                    .any(|p| cfg.plugins.at(*p).enabled.iter().any(|r| r.name == name));
            if explicit {
                warnings.push(format!(
                    "profile {profile_label}: plugin {name} is not modelled yet; it is left out"
                ));
            }
            continue;
        }
        let args = cfg
            .plugin_args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| a);
        let ctx = BuildContext::new(seed, profile_label).with_args(args);
        match registry.build(&name, &ctx) {
            Some(plugin) => {
                index_of.insert(name, plugins.len());
                plugins.push(plugin);
            }
            None => errors.push(format!(
                "profile {profile_label}: unknown plugin {name:?}; known plugins: {}",
                registry.names().collect::<Vec<_>>().join(", ")
            )),
        }
    }
    // Args of a plugin the profile does not enable are not used (upstream looks args up
    // only for the plugins it builds); the loader has checked them.
    (plugins, index_of)
}

/// The extension points each instantiated plugin serves.
fn capabilities(
    plugins: &mut [Box<dyn Plugin>],
    index_of: &BTreeMap<String, usize>,
) -> Capabilities {
    let mut caps = Capabilities::new();
    for (name, &i) in index_of {
        let p = &mut plugins[i];
        let mut c = [false; ExtensionPoint::ALL.len()];
        c[ExtensionPoint::PreEnqueue as usize] = p.as_pre_enqueue().is_some();
        c[ExtensionPoint::PreBind as usize] = p.as_pre_bind().is_some();
        c[ExtensionPoint::QueueSort as usize] = p.as_queue_sort().is_some();
        c[ExtensionPoint::PreFilter as usize] = p.as_pre_filter().is_some();
        c[ExtensionPoint::Filter as usize] = p.as_filter().is_some();
        c[ExtensionPoint::PostFilter as usize] = p.as_post_filter().is_some();
        c[ExtensionPoint::PreScore as usize] = p.as_pre_score().is_some();
        c[ExtensionPoint::Score as usize] = p.as_score().is_some();
        c[ExtensionPoint::Reserve as usize] = p.as_reserve().is_some();
        c[ExtensionPoint::Bind as usize] = p.as_bind().is_some();
        let extends = match p.extends() {
            Some(points) => points.to_vec(),
            None => ExtensionPoint::ALL
                .into_iter()
                .filter(|q| c[*q as usize])
                .collect(),
        };
        caps.insert(name.clone(), (c, extends));
    }

    caps
}

/// Each extension point's plugins (index, weight): the multiPoint set expanded and the
/// point's own set laid over it, as upstream's `mergePlugins`; reports plugins enabled at a
/// point they do not serve, and negative weights.
fn point_lists(
    cfg: &ProfileConfig,
    multi: &PluginSet,
    caps: &Capabilities,
    index_of: &BTreeMap<String, usize>,
    errors: &mut Vec<String>,
) -> BTreeMap<ExtensionPoint, Vec<(usize, i64)>> {
    let profile_label = &cfg.scheduler_name;
    let mut point_lists: BTreeMap<ExtensionPoint, Vec<(usize, i64)>> = BTreeMap::new();
    for point in ExtensionPoint::ALL {
        let set = cfg.plugins.at(point);
        for r in &set.enabled {
            if let Some((_, extends)) = caps.get(&r.name)
                && !extends.contains(&point)
            {
                errors.push(format!(
                    "profile {profile_label}: plugins.{}: plugin {:?} does not extend {} plugin",
                    point.as_str(),
                    r.name,
                    point.interface()
                ));
            }
            if r.weight < 0 {
                errors.push(format!("profile {profile_label}: plugins.{}: weight of {:?} must not be negative, got {}", point.as_str(), r.name, r.weight));
            }
        }
        // A plugin runs where kubesim implements it; enabled at another point upstream's
        // plugin extends, it has nothing to do there.
        let has = |name: &str| caps.get(name).is_some_and(|(c, _)| c[point as usize]);
        let list = expand_point(multi, set, &has);
        let mut resolved = Vec::new();
        for r in list {
            let Some(&i) = index_of.get(&r.name) else {
                continue;
            };
            if !has(&r.name) {
                continue;
            }
            resolved.push((i, if r.weight == 0 { 1 } else { r.weight }));
        }
        point_lists.insert(point, resolved);
    }
    // Work kubesim does at a point upstream's plugin does not extend (ImageLocality resolves
    // the pod's images in PreScore; upstream does it inside Score) runs wherever the plugin
    // is enabled at all.
    let enabled: Vec<usize> = point_lists.values().flatten().map(|(i, _)| *i).collect();
    for (name, (runs, extends)) in caps {
        let Some(&i) = index_of.get(name) else {
            continue;
        };
        for point in ExtensionPoint::ALL {
            let list = point_lists.entry(point).or_default();
            if runs[point as usize]
                && !extends.contains(&point)
                && enabled.contains(&i)
                && !list.iter().any(|(j, _)| *j == i)
            {
                list.push((i, 1));
            }
        }
    }
    point_lists
}

/// The spread constraints the profile gives pods without their own (PodTopologySpread's
/// defaults), for the scheduler's index of bound pods to count.
fn spread_defaults(cfg: &ProfileConfig) -> Vec<TopologySpreadConstraint> {
    let args = cfg
        .plugin_args
        .iter()
        .find(|(n, _)| n == names::POD_TOPOLOGY_SPREAD);
    match args {
        Some((_, PluginArgs::PodTopologySpread(a))) => {
            PodTopologySpread::new(a).defaults().to_vec()
        }
        _ => PodTopologySpread::default().defaults().to_vec(),
    }
}
