//! `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration: as written, and resolved
//! into the profiles' plugin sets and the arguments of the configurable plugins (checked as
//! `pkg/scheduler/apis/config/validation` checks them).

use super::kinds::Manifest;
use super::resolver::{Doc, Resolver};
use super::yaml::{Located, Spanned};
use crate::api::pod::DEFAULT_SCHEDULER;
use crate::api::scheduler_config::{
    BalancedAllocationArgs, ExtensionPoint, FitArgs, PluginArgs as Args, PluginRef as Ref,
    PluginSet as Set, ProfileConfig, ResourceWeight as Weight, SchedulerConfig,
    ScoringStrategyType,
};
use serde::Deserialize;
use std::path::PathBuf;

/// `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration (scoring-relevant subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeSchedulerConfiguration {
    /// Global percentage of nodes to score.
    pub percentage_of_nodes_to_score: Option<Spanned<i32>>,
    /// Back-off after a pod's first failed attempt.
    pub pod_initial_backoff_seconds: Option<Spanned<i64>>,
    /// Back-off cap.
    pub pod_max_backoff_seconds: Option<Spanned<i64>>,
    /// Scheduler profiles.
    pub profiles: Vec<Profile>,
}

/// A scheduler profile.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// Profile name (`default-scheduler` when absent).
    pub scheduler_name: Option<String>,
    /// Per-profile percentage of nodes to score.
    pub percentage_of_nodes_to_score: Option<Spanned<i32>>,
    /// Plugin enable/disable sets.
    pub plugins: Option<Plugins>,
    /// Plugin arguments.
    pub plugin_config: Vec<PluginConfig>,
}

/// Plugin sets per extension point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Plugins {
    /// PreEnqueue.
    pub pre_enqueue: Option<PluginSet>,
    /// QueueSort.
    pub queue_sort: Option<PluginSet>,
    /// PreFilter.
    pub pre_filter: Option<PluginSet>,
    /// Filter.
    pub filter: Option<PluginSet>,
    /// PostFilter.
    pub post_filter: Option<PluginSet>,
    /// PreScore.
    pub pre_score: Option<PluginSet>,
    /// Score.
    pub score: Option<PluginSet>,
    /// Reserve.
    pub reserve: Option<PluginSet>,
    /// Permit.
    pub permit: Option<PluginSet>,
    /// PreBind.
    pub pre_bind: Option<PluginSet>,
    /// Bind.
    pub bind: Option<PluginSet>,
    /// PostBind.
    pub post_bind: Option<PluginSet>,
    /// MultiPoint.
    pub multi_point: Option<PluginSet>,
}

/// Enabled and disabled plugins of one extension point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PluginSet {
    /// Enabled (in order).
    pub enabled: Vec<PluginRef>,
    /// Disabled (`*` disables all defaults).
    pub disabled: Vec<PluginRef>,
}

/// A plugin reference.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PluginRef {
    /// Plugin name.
    pub name: Spanned<String>,
    /// Score weight.
    #[serde(default)]
    pub weight: Option<Spanned<i32>>,
}

/// Arguments of one plugin.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PluginConfig {
    /// Plugin name.
    pub name: Spanned<String>,
    /// Arguments (all optional; the caller checks which apply).
    #[serde(default)]
    pub args: PluginArgs,
}

/// Union of the plugin arguments kubesim understands
/// (NodeResourcesFit, NodeResourcesBalancedAllocation, InterPodAffinity).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PluginArgs {
    /// NodeResourcesFit scoring strategy.
    pub scoring_strategy: Option<ScoringStrategy>,
    /// NodeResourcesFit: resources ignored by the filter.
    pub ignored_resources: Vec<String>,
    /// NodeResourcesFit: resource groups (prefixes) ignored by the filter.
    pub ignored_resource_groups: Vec<String>,
    /// NodeResourcesBalancedAllocation: resources and weights.
    pub resources: Vec<ResourceWeight>,
    /// InterPodAffinity: weight of existing pods' required affinity terms (0-100).
    pub hard_pod_affinity_weight: Option<Spanned<i32>>,
}

/// NodeResourcesFit scoring strategy.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScoringStrategy {
    /// `LeastAllocated`, `MostAllocated` or `RequestedToCapacityRatio` (unchecked).
    pub r#type: Option<Spanned<String>>,
    /// Resources and weights.
    pub resources: Vec<ResourceWeight>,
    /// Shape for `RequestedToCapacityRatio`.
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatio>,
}

/// A resource name with a weight.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ResourceWeight {
    /// Resource name.
    pub name: String,
    /// Weight.
    pub weight: Spanned<i64>,
}

/// `RequestedToCapacityRatio` parameters.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RequestedToCapacityRatio {
    /// Utilization -> score points.
    pub shape: Vec<UtilizationShapePoint>,
}

/// One point of a utilization shape.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct UtilizationShapePoint {
    /// Utilization percentage.
    pub utilization: Spanned<i64>,
    /// Score at that utilization.
    pub score: Spanned<i64>,
}

/// The scheduler configuration: the one KubeSchedulerConfiguration document (a second is an
/// error), or the default profile; with its document's place.
pub(super) fn configuration(
    r: &mut Resolver,
    manifests: &[Located<Manifest>],
) -> (SchedulerConfig, Option<(PathBuf, u32)>) {
    let mut config = SchedulerConfig::default();
    let mut place: Option<(PathBuf, u32)> = None;
    for m in manifests {
        let Manifest::KubeSchedulerConfiguration(k) = &m.value else {
            continue;
        };
        let d = Doc::of(m);
        if let Some((f, l)) = &place {
            let msg = format!(
                "a second KubeSchedulerConfiguration; the first is at {}:{l}",
                f.display()
            );
            r.doc(d, "", msg);
            continue;
        }
        place = Some((m.file.clone(), m.line));
        config = scheduler_config(r, d, k);
    }
    (config, place)
}

/// One extension point's enabled and disabled plugins at `path`.
fn plugin_set(r: &mut Resolver, d: Doc, path: &str, s: &PluginSet) -> Set {
    let refs = |r: &mut Resolver, list: &[PluginRef], what: &str| -> Vec<Ref> {
        list.iter()
            .enumerate()
            .map(|(i, p)| {
                let weight = p.weight.as_ref().map_or(0, |w| {
                    if w.value < 0 {
                        r.at(
                            d,
                            w,
                            &format!("{path}.{what}[{i}].weight"),
                            format!("must not be negative, got {}", w.value),
                        );
                    }
                    i64::from(w.value)
                });
                Ref {
                    name: p.name.value.clone(),
                    weight,
                }
            })
            .collect()
    };
    Set {
        enabled: refs(r, &s.enabled, "enabled"),
        disabled: refs(r, &s.disabled, "disabled")
            .into_iter()
            .map(|p| p.name)
            .collect(),
    }
}

/// `percentageOfNodesToScore` (0-100; 0 means adaptive: a profile's 0 does not fall back to
/// the global value).
fn percentage(r: &mut Resolver, d: Doc, path: &str, p: &Option<Spanned<i32>>) -> Option<i32> {
    let p = p.as_ref()?;
    if !(0..=100).contains(&p.value) {
        let msg = format!("Invalid value: {}: not in valid range [0-100]", p.value);
        r.at(d, p, path, msg);
        return None;
    }
    Some(p.value)
}

/// `podInitialBackoffSeconds` and `podMaxBackoffSeconds`, checked as upstream's
/// `validation.go` checks them.
fn backoff(r: &mut Resolver, d: Doc, k: &KubeSchedulerConfiguration) -> (i64, i64) {
    let initial = match &k.pod_initial_backoff_seconds {
        Some(v) if v.value <= 0 => {
            let msg = format!("Invalid value: {}: must be greater than 0", v.value);
            r.at(d, v, "podInitialBackoffSeconds", msg);
            1
        }
        Some(v) => v.value,
        None => 1,
    };
    let max = match &k.pod_max_backoff_seconds {
        Some(v) if v.value < initial => {
            let msg = format!(
                "Invalid value: {}: must be greater than or equal to PodInitialBackoffSeconds",
                v.value
            );
            r.at(d, v, "podMaxBackoffSeconds", msg);
            initial
        }
        Some(v) => v.value,
        None => 10.max(initial),
    };
    (initial, max)
}

/// Resources and their weights (1-100 each).
fn resource_weights(r: &mut Resolver, d: Doc, path: &str, list: &[ResourceWeight]) -> Vec<Weight> {
    list.iter()
        .enumerate()
        .map(|(i, w)| {
            if !(1..=100).contains(&w.weight.value) {
                r.at(
                    d,
                    &w.weight,
                    &format!("{path}[{i}].weight"),
                    format!("must be between 1 and 100, got {}", w.weight.value),
                );
            }
            Weight {
                name: w.name.clone(),
                weight: w.weight.value,
            }
        })
        .collect()
}

/// The whole configuration: each profile's plugins and plugin arguments; the default profile
/// when none is given.
fn scheduler_config(r: &mut Resolver, d: Doc, k: &KubeSchedulerConfiguration) -> SchedulerConfig {
    let global = percentage(
        r,
        d,
        "percentageOfNodesToScore",
        &k.percentage_of_nodes_to_score,
    );
    let mut profiles: Vec<ProfileConfig> = k
        .profiles
        .iter()
        .enumerate()
        .map(|(pi, p)| profile(r, d, &format!("profiles[{pi}]"), p))
        .collect();
    if profiles.is_empty() {
        profiles.push(ProfileConfig::named(DEFAULT_SCHEDULER));
    }
    let (pod_initial_backoff_s, pod_max_backoff_s) = backoff(r, d, k);
    SchedulerConfig {
        percentage_of_nodes_to_score: global,
        pod_initial_backoff_s,
        pod_max_backoff_s,
        profiles,
    }
}

/// One profile at `path`.
fn profile(r: &mut Resolver, d: Doc, path: &str, p: &Profile) -> ProfileConfig {
    let mut cfg = ProfileConfig::named(p.scheduler_name.as_deref().unwrap_or(DEFAULT_SCHEDULER));
    cfg.percentage_of_nodes_to_score = percentage(
        r,
        d,
        &format!("{path}.percentageOfNodesToScore"),
        &p.percentage_of_nodes_to_score,
    );
    if let Some(pl) = &p.plugins {
        let points = [
            (ExtensionPoint::PreEnqueue, &pl.pre_enqueue, "preEnqueue"),
            (ExtensionPoint::QueueSort, &pl.queue_sort, "queueSort"),
            (ExtensionPoint::PreFilter, &pl.pre_filter, "preFilter"),
            (ExtensionPoint::Filter, &pl.filter, "filter"),
            (ExtensionPoint::PostFilter, &pl.post_filter, "postFilter"),
            (ExtensionPoint::PreScore, &pl.pre_score, "preScore"),
            (ExtensionPoint::Score, &pl.score, "score"),
            (ExtensionPoint::Reserve, &pl.reserve, "reserve"),
            (ExtensionPoint::Permit, &pl.permit, "permit"),
            (ExtensionPoint::PreBind, &pl.pre_bind, "preBind"),
            (ExtensionPoint::Bind, &pl.bind, "bind"),
            (ExtensionPoint::PostBind, &pl.post_bind, "postBind"),
        ];
        for (point, set, name) in points {
            if let Some(s) = set {
                *cfg.plugins.at_mut(point) = plugin_set(r, d, &format!("{path}.plugins.{name}"), s);
            }
        }
        if let Some(s) = &pl.multi_point {
            cfg.plugins.multi_point = plugin_set(r, d, &format!("{path}.plugins.multiPoint"), s);
        }
    }
    for (ci, pc) in p.plugin_config.iter().enumerate() {
        let cpath = format!("{path}.pluginConfig[{ci}].args");
        let args = match pc.name.value.as_str() {
            "NodeResourcesFit" => fit_args(r, d, &cpath, &pc.args),
            "NodeResourcesBalancedAllocation" => {
                let mut b = BalancedAllocationArgs::default();
                if !pc.args.resources.is_empty() {
                    let p = format!("{cpath}.resources");
                    b.resources = resource_weights(r, d, &p, &pc.args.resources);
                }
                Args::BalancedAllocation(b)
            }
            "InterPodAffinity" => inter_pod_affinity_args(r, d, &cpath, &pc.args),
            other => {
                let msg = format!(
                    "pluginConfig for {other} is not supported; configurable plugins: \
                     NodeResourcesFit, NodeResourcesBalancedAllocation, InterPodAffinity"
                );
                r.at(d, &pc.name, &format!("{path}.pluginConfig[{ci}].name"), msg);
                continue;
            }
        };
        cfg.plugin_args.push((pc.name.value.clone(), args));
    }
    cfg
}

/// NodeResourcesFit's arguments at `path`: the scoring strategy, its resources and shape.
fn fit_args(r: &mut Resolver, d: Doc, path: &str, args: &PluginArgs) -> Args {
    let mut fit = FitArgs {
        ignored_resources: args.ignored_resources.clone(),
        ignored_resource_groups: args.ignored_resource_groups.clone(),
        ..FitArgs::default()
    };
    let spath = format!("{path}.scoringStrategy");
    if let Some(ss) = &args.scoring_strategy {
        if let Some(t) = &ss.r#type {
            fit.strategy = match t.value.as_str() {
                "LeastAllocated" => ScoringStrategyType::LeastAllocated,
                "MostAllocated" => ScoringStrategyType::MostAllocated,
                "RequestedToCapacityRatio" => ScoringStrategyType::RequestedToCapacityRatio,
                o => {
                    let msg = format!(
                        "expected LeastAllocated, MostAllocated or RequestedToCapacityRatio, \
                         got {o:?}"
                    );
                    r.at(d, t, &format!("{spath}.type"), msg);
                    ScoringStrategyType::LeastAllocated
                }
            };
        }
        if !ss.resources.is_empty() {
            let p = format!("{spath}.resources");
            fit.resources = resource_weights(r, d, &p, &ss.resources);
        }
        if let Some(rtcr) = &ss.requested_to_capacity_ratio {
            fit.shape = shape(r, d, &format!("{spath}.requestedToCapacityRatio"), rtcr);
        }
    }
    if fit.strategy == ScoringStrategyType::RequestedToCapacityRatio && fit.shape.is_empty() {
        r.doc(
            d,
            &format!("{spath}.requestedToCapacityRatio.shape"),
            "RequestedToCapacityRatio needs at least one shape point",
        );
    }
    Args::NodeResourcesFit(fit)
}

/// A RequestedToCapacityRatio shape: utilization 0-100, strictly increasing; score 0-10.
fn shape(r: &mut Resolver, d: Doc, path: &str, rtcr: &RequestedToCapacityRatio) -> Vec<(i64, i64)> {
    let mut prev = -1;
    let mut out = Vec::new();
    for (i, pt) in rtcr.shape.iter().enumerate() {
        let sp = format!("{path}.shape[{i}]");
        let u = pt.utilization.value;
        if !(0..=100).contains(&u) || u <= prev {
            let msg = "must be 0..100 and strictly increasing";
            r.at(d, &pt.utilization, &format!("{sp}.utilization"), msg);
        }
        if !(0..=10).contains(&pt.score.value) {
            let msg = format!("must be between 0 and 10, got {}", pt.score.value);
            r.at(d, &pt.score, &format!("{sp}.score"), msg);
        }
        prev = u;
        out.push((u, pt.score.value));
    }
    out
}

/// InterPodAffinity's arguments at `path`: `hardPodAffinityWeight` (0-100, default 1).
fn inter_pod_affinity_args(r: &mut Resolver, d: Doc, path: &str, args: &PluginArgs) -> Args {
    let mut weight = 1;
    if let Some(w) = &args.hard_pod_affinity_weight {
        if (0..=100).contains(&w.value) {
            weight = w.value;
        } else {
            let msg = format!("must be between 0 and 100, got {}", w.value);
            r.at(d, w, &format!("{path}.hardPodAffinityWeight"), msg);
        }
    }
    Args::InterPodAffinity {
        hard_pod_affinity_weight: weight,
    }
}

#[cfg(test)]
mod tests {
    use super::super::load_scenario_checked;
    use super::super::testing::*;
    use super::*;
    use crate::api::scheduler_config::ScoringStrategyType;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, crate::yaml::DeError> {
        crate::yaml::from_str(s)
    }

    #[test]
    fn scheduler_config_parses() {
        let c: KubeSchedulerConfiguration = parse(
            "profiles:\n- schedulerName: s\n  plugins:\n    score:\n      enabled: [{name: NodeResourcesFit, weight: 2}]\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources: [{name: cpu, weight: 1}]\n",
        )
        .unwrap();
        let p = &c.profiles[0];
        let score = p.plugins.as_ref().unwrap().score.as_ref().unwrap();
        assert_eq!(score.enabled[0].weight.as_ref().unwrap().value, 2);
        let s = p.plugin_config[0].args.scoring_strategy.as_ref().unwrap();
        assert_eq!(s.r#type.as_ref().unwrap().value, "MostAllocated");
        assert_eq!(s.resources[0].weight.referenced.line(), 11);
    }

    const KSC: &str = "---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
";

    #[test]
    fn scheduler_configuration() {
        let config = |body: &str| format!("{}{KSC}{body}", sim(""));

        // Plugin names are checked by the scheduler (tests/scenarios.rs); the check given to
        // `load_scenario_checked` reports at the configuration document.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sim.yaml");
        std::fs::write(&file, config("profiles:\n- schedulerName: x\n")).unwrap();
        let e = load_scenario_checked(std::slice::from_ref(&file), &|_| {
            Err(vec!["bad plugin".into()])
        })
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file, file);
        assert!(
            e[0].location.as_ref().is_some_and(|l| l.line > 1),
            "{}",
            e[0]
        );

        // NodeResourcesFit with MostAllocated.
        let s = ok(&[(
            "sim.yaml",
            &config(
                "percentageOfNodesToScore: 50\nprofiles:\n- schedulerName: packer\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources: [{name: cpu, weight: 3}, {name: memory, weight: 1}]\n",
            ),
        )]);
        assert_eq!(s.scheduler.percentage_of_nodes_to_score, Some(50));
        assert_eq!(s.scheduler.profiles.len(), 1);
        let p = &s.scheduler.profiles[0];
        assert_eq!(p.scheduler_name, "packer");
        let [(name, Args::NodeResourcesFit(fit))] = p.plugin_args.as_slice() else {
            panic!("{:?}", p.plugin_args)
        };
        assert_eq!(name, "NodeResourcesFit");
        assert_eq!(fit.strategy, ScoringStrategyType::MostAllocated);
        let weights: Vec<_> = fit
            .resources
            .iter()
            .map(|w| (w.name.as_str(), w.weight))
            .collect();
        assert_eq!(weights, [("cpu", 3), ("memory", 1)]);

        // Weight out of 1..=100.
        let text = config(
            "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        resources:\n        - name: cpu\n          weight: 101\n",
        );
        let (file, e) = errs(&[("sim.yaml", &text)]);
        assert_eq!(e.len(), 1, "{}", display(&e));
        let (line, col) = position(&text, "101");
        let path = "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight";
        assert_eq!(e[0].path, path);
        assert!(
            e[0].to_string()
                .starts_with(&format!("{}:{line}:{col}: {path}: ", file.display())),
            "{}",
            e[0]
        );

        // percentageOfNodesToScore out of range, global and per profile.
        for body in [
            "percentageOfNodesToScore: 150\n",
            "profiles:\n- percentageOfNodesToScore: 150\n",
        ] {
            let (_, e) = errs(&[("sim.yaml", &config(body))]);
            assert_eq!(e.len(), 1, "{}", display(&e));
            assert!(e[0].path.ends_with("percentageOfNodesToScore"), "{}", e[0]);
            assert_eq!(
                e[0].message,
                "Invalid value: 150: not in valid range [0-100]"
            );
        }

        // Back-off as upstream validates it; a profile's 0 is adaptive, not the global value.
        let (_, e) = errs(&[(
            "sim.yaml",
            &config("podInitialBackoffSeconds: 0\npodMaxBackoffSeconds: 5\n"),
        )]);
        assert_eq!(e[0].path, "podInitialBackoffSeconds");
        assert_eq!(e[0].message, "Invalid value: 0: must be greater than 0");
        let (_, e) = errs(&[(
            "sim.yaml",
            &config("podInitialBackoffSeconds: 4\npodMaxBackoffSeconds: 2\n"),
        )]);
        assert_eq!(
            e[0].message,
            "Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds"
        );
        let s = ok(&[(
            "sim.yaml",
            &config(
                "percentageOfNodesToScore: 30\npodInitialBackoffSeconds: 2\npodMaxBackoffSeconds: 60\nprofiles:\n- percentageOfNodesToScore: 0\n",
            ),
        )]);
        assert_eq!(
            s.scheduler.profiles[0].percentage_of_nodes_to_score,
            Some(0)
        );
        assert_eq!(
            (
                s.scheduler.pod_initial_backoff_s,
                s.scheduler.pod_max_backoff_s
            ),
            (2, 60)
        );

        // A pluginConfig for a plugin that takes no args, and a bad strategy type.
        let (_, e) = errs(&[(
            "sim.yaml",
            &config(
                "profiles:\n- pluginConfig:\n  - name: TaintToleration\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: Random}}\n",
            ),
        )]);
        let paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "profiles[0].pluginConfig[0].name",
                "profiles[0].pluginConfig[1].args.scoringStrategy.type",
            ],
            "{}",
            display(&e)
        );

        // Pods may name a configured profile.
        let text = format!(
            "{}---\n{}",
            config("profiles:\n- schedulerName: packer\n"),
            POD.replace("spec:\n", "spec:\n  schedulerName: packer\n")
        );
        let s = ok(&[("sim.yaml", &text)]);
        assert_eq!(&*s.pods[0].spec.scheduler_name, "packer");
    }
}
