//! `pluginConfig[].args`: as written, then defaulted and validated as upstream's v1 args
//! (types: `staging/src/k8s.io/kube-scheduler/config/v1/types_pluginargs.go`; defaults:
//! `pkg/scheduler/apis/config/v1/defaults.go`; checks and their wording:
//! `pkg/scheduler/apis/config/validation/validation_pluginargs.go`), every error at its
//! field as `field.Error` renders it (`Invalid value: 0: not in valid range [0, 100]`).
//!
//! Which fields a plugin's args have is the schema's `args` table (`kubescheduler.txt`): the
//! field walk refuses the others as upstream's strict decoding does. A plugin without an
//! args kind (TaintToleration, an out-of-tree plugin) keeps its args undecoded and unused.
//!
//! Upstream validates NodeResourcesFit's args only when the plugin is built, with paths
//! relative to the args (its validation table keys them `NodeResourcesFitArgs`); here they
//! are checked like the others, with full paths.

mod placement;

use super::super::core::RawNodeAffinity;
use super::super::resolver::{Doc, Resolver};
use super::super::schema::Schema;
use super::super::yaml::{IgnoredPresence, Spanned};
use crate::api::duration::parse_duration_ms;
use crate::api::names::qualified_name;
use crate::api::scheduler_config::{
    BalancedAllocationArgs, DefaultPreemptionArgs, DynamicResourcesArgs, FitArgs,
    InterPodAffinityArgs, PluginArgs as Args, ResourceWeight as Weight, ScoringStrategyType,
    VolumeBindingArgs,
};
use placement::{node_affinity, topology_spread};
use serde::Deserialize;
use std::fmt::Display;

/// `pluginConfig[].args` as written: the fields of every args kind, each read only by the
/// plugin whose args have it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PluginArgs {
    /// `kind`: when given, `<plugin>Args`.
    pub kind: Option<Spanned<String>>,
    /// NodeResourcesFit: the scoring strategy.
    pub scoring_strategy: Option<ScoringStrategy>,
    /// NodeResourcesFit: extended resources the filter ignores.
    pub ignored_resources: Vec<String>,
    /// NodeResourcesFit: extended resource groups the filter ignores.
    pub ignored_resource_groups: Vec<String>,
    /// NodeResourcesBalancedAllocation: resources and weights.
    pub resources: Vec<ResourceWeight>,
    /// InterPodAffinity: weight of bound pods' required affinity terms.
    pub hard_pod_affinity_weight: Option<Spanned<i32>>,
    /// InterPodAffinity: skip PreScore for pods without preferred terms.
    pub ignore_preferred_terms_of_existing_pods: Option<bool>,
    /// NodeAffinity: affinity added to every pod of the profile.
    pub added_affinity: Option<RawNodeAffinity>,
    /// PodTopologySpread: constraints of pods without their own.
    pub default_constraints: Vec<DefaultConstraint>,
    /// PodTopologySpread: `System` or `List`.
    pub defaulting_type: Option<Spanned<String>>,
    /// DefaultPreemption.
    pub min_candidate_nodes_percentage: Option<Spanned<i32>>,
    /// DefaultPreemption.
    pub min_candidate_nodes_absolute: Option<Spanned<i32>>,
    /// VolumeBinding.
    pub bind_timeout_seconds: Option<Spanned<i64>>,
    /// VolumeBinding (feature gate StorageCapacityScoring).
    pub shape: Option<Vec<UtilizationShapePoint>>,
    /// DynamicResources.
    pub filter_timeout: Option<Spanned<String>>,
}

/// NodeResourcesFit scoring strategy.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScoringStrategy {
    /// `LeastAllocated`, `MostAllocated` or `RequestedToCapacityRatio` (no default).
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
    #[serde(default)]
    pub name: String,
    /// Weight (0 or unset means 1).
    #[serde(default)]
    pub weight: Option<Spanned<i64>>,
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

/// A PodTopologySpread default constraint (a `v1.TopologySpreadConstraint`, every field
/// optional so that upstream's checks can name what is missing).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DefaultConstraint {
    /// Largest allowed skew.
    pub max_skew: Option<Spanned<i32>>,
    /// Node label of the domains.
    pub topology_key: Option<Spanned<String>>,
    /// `DoNotSchedule` or `ScheduleAnyway`.
    pub when_unsatisfiable: Option<Spanned<String>>,
    /// Forbidden: the selector is deduced for each pod.
    pub label_selector: Option<IgnoredPresence>,
    /// Minimum number of domains.
    pub min_domains: Option<i32>,
    /// `Honor` or `Ignore`.
    pub node_affinity_policy: Option<Spanned<String>>,
    /// `Honor` or `Ignore`.
    pub node_taints_policy: Option<Spanned<String>>,
    /// Read and not used: upstream replaces the selector they would narrow.
    pub match_label_keys: Vec<String>,
}

/// `field.Invalid` for a number or a boolean.
pub(super) fn invalid(v: impl Display, detail: &str) -> String {
    format!("Invalid value: {v}: {detail}")
}

/// `field.Invalid` for a string (quoted).
pub(super) fn invalid_str(v: &str, detail: &str) -> String {
    format!("Invalid value: {v:?}: {detail}")
}

/// `field.NotSupported`.
pub(super) fn unsupported(v: &str, supported: &[&str]) -> String {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    format!(
        "Unsupported value: {v:?}: supported values: {}",
        list.join(", ")
    )
}

/// An error at `leaf` when it is there, else at `path` (found by the locator).
pub(super) fn at<T>(r: &mut Resolver, d: Doc, leaf: Option<&Spanned<T>>, path: &str, msg: String) {
    match leaf {
        Some(l) => r.at(d, l, path, msg),
        None => r.doc(d, path, msg),
    }
}

/// The args of the plugin `name` at `path` (`profiles[i].pluginConfig[j]`), defaulted and
/// checked; `None` for a plugin without an args kind (accepted, not used).
pub(super) fn resolve(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    name: &str,
    a: &PluginArgs,
) -> Option<Args> {
    Schema::get().plugin_args(name)?;
    let path = format!("{path}.args");
    if let Some(k) = &a.kind
        && k.value != format!("{name}Args")
    {
        let msg = format!(
            "args for plugin {name} were not of type {name}Args.kubescheduler.config.k8s.io, \
             got {}.kubescheduler.config.k8s.io",
            k.value
        );
        r.at(d, k, &format!("{path}.kind"), msg);
    }
    Some(match name {
        "NodeResourcesFit" => Args::NodeResourcesFit(fit(r, d, &path, a)),
        "NodeResourcesBalancedAllocation" => Args::BalancedAllocation(balanced(r, d, &path, a)),
        "InterPodAffinity" => Args::InterPodAffinity(inter_pod_affinity(r, d, &path, a)),
        "NodeAffinity" => Args::NodeAffinity(node_affinity(r, d, &path, a)),
        "PodTopologySpread" => Args::PodTopologySpread(topology_spread(r, d, &path, a)),
        "DefaultPreemption" => Args::DefaultPreemption(preemption(r, d, &path, a)),
        "VolumeBinding" => Args::VolumeBinding(volume_binding(r, d, &path, a)),
        "DynamicResources" => {
            let msg = format!(
                "{path}: DynamicResources is not modelled yet; its args are checked and not \
                 used"
            );
            r.warn(d, msg);
            Args::DynamicResources(dynamic_resources(r, d, &path, a))
        }
        other => unreachable!("the schema names args for {other}, which has no resolver"),
    })
}

/// Label-name problems of `value` at `path`, in `ValidateLabelName`'s words.
pub(super) fn label_name(r: &mut Resolver, d: Doc, path: &str, value: &str) {
    for why in qualified_name(value) {
        r.doc(d, path, invalid_str(value, &why));
    }
}

/// `NodeResourcesFitArgs`.
fn fit(r: &mut Resolver, d: Doc, path: &str, a: &PluginArgs) -> FitArgs {
    for (i, name) in a.ignored_resources.iter().enumerate() {
        label_name(r, d, &format!("{path}.ignoredResources[{i}]"), name);
    }
    for (i, group) in a.ignored_resource_groups.iter().enumerate() {
        let p = format!("{path}.ignoredResourceGroups[{i}]");
        if group.contains('/') {
            r.doc(
                d,
                &p,
                invalid_str(group, "resource group name can't contain '/'"),
            );
        }
        label_name(r, d, &p, group);
    }
    let mut fit = FitArgs {
        ignored_resources: a.ignored_resources.clone(),
        ignored_resource_groups: a.ignored_resource_groups.clone(),
        ..FitArgs::default()
    };
    let Some(ss) = &a.scoring_strategy else {
        return fit;
    };
    let spath = format!("{path}.scoringStrategy");
    let given = ss.r#type.as_ref().map_or("", |t| t.value.as_str());
    fit.strategy = match given {
        "LeastAllocated" => ScoringStrategyType::LeastAllocated,
        "MostAllocated" => ScoringStrategyType::MostAllocated,
        "RequestedToCapacityRatio" => ScoringStrategyType::RequestedToCapacityRatio,
        other => {
            let supported = [
                "LeastAllocated",
                "MostAllocated",
                "RequestedToCapacityRatio",
            ];
            let msg = unsupported(other, &supported);
            at(r, d, ss.r#type.as_ref(), &format!("{spath}.type"), msg);
            ScoringStrategyType::LeastAllocated
        }
    };
    if !ss.resources.is_empty() {
        let rpath = format!("{spath}.resources");
        fit.resources = ss
            .resources
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let weight = weight_or_one(w);
                if !(1..=100).contains(&weight) {
                    let detail =
                        format!("resource weight of {} not in valid range (0, 100]", w.name);
                    let msg = invalid(weight, &detail);
                    at(
                        r,
                        d,
                        w.weight.as_ref(),
                        &format!("{rpath}[{i}].weight"),
                        msg,
                    );
                }
                Weight {
                    name: w.name.clone(),
                    weight,
                }
            })
            .collect();
    }
    let rtcr_path = format!("{spath}.requestedToCapacityRatio");
    let rtcr = fit.strategy == ScoringStrategyType::RequestedToCapacityRatio;
    match (rtcr, &ss.requested_to_capacity_ratio) {
        (true, None) => r.doc(
            d,
            &rtcr_path,
            "Required value: must be specified when type is RequestedToCapacityRatio",
        ),
        (true, Some(p)) => fit.shape = shape(r, d, &format!("{rtcr_path}.shape"), &p.shape),
        (false, Some(_)) => r.doc(
            d,
            &rtcr_path,
            "Forbidden: must be nil when type is not RequestedToCapacityRatio",
        ),
        (false, None) => {}
    }
    fit
}

/// A resource's weight, 0 or unset meaning 1.
fn weight_or_one(w: &ResourceWeight) -> i64 {
    match w.weight.as_ref().map(|s| s.value) {
        None | Some(0) => 1,
        Some(v) => v,
    }
}

/// A utilization shape (`validateFunctionShape`): at least one point, utilizations strictly
/// increasing (the first violation reported) within [0, 100], scores within [0, 10].
fn shape(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    points: &[UtilizationShapePoint],
) -> Vec<(i64, i64)> {
    if points.is_empty() {
        r.doc(
            d,
            path,
            "Required value: at least one point must be specified",
        );
        return Vec::new();
    }
    if let Some(i) =
        (1..points.len()).find(|&i| points[i - 1].utilization.value >= points[i].utilization.value)
    {
        let u = &points[i].utilization;
        let msg = invalid(u.value, "values must be sorted in increasing order");
        r.at(d, u, &format!("{path}[{i}].utilization"), msg);
    }
    for (i, pt) in points.iter().enumerate() {
        let (u, s) = (&pt.utilization, &pt.score);
        if !(0..=100).contains(&u.value) {
            let msg = invalid(u.value, "not in valid range [0, 100]");
            r.at(d, u, &format!("{path}[{i}].utilization"), msg);
        }
        if !(0..=10).contains(&s.value) {
            let msg = invalid(s.value, "not in valid range [0, 10]");
            r.at(d, s, &format!("{path}[{i}].score"), msg);
        }
    }
    points
        .iter()
        .map(|p| (p.utilization.value, p.score.value))
        .collect()
}

/// `NodeResourcesBalancedAllocationArgs`: each resource once, each weight 1.
fn balanced(r: &mut Resolver, d: Doc, path: &str, a: &PluginArgs) -> BalancedAllocationArgs {
    if a.resources.is_empty() {
        return BalancedAllocationArgs::default();
    }
    let mut resources: Vec<Weight> = Vec::new();
    for (i, w) in a.resources.iter().enumerate() {
        let p = format!("{path}.resources[{i}]");
        if resources.iter().any(|o| o.name == w.name) {
            r.doc(
                d,
                &format!("{p}.name"),
                format!("Duplicate value: {:?}", w.name),
            );
        }
        let weight = weight_or_one(w);
        if weight != 1 {
            at(
                r,
                d,
                w.weight.as_ref(),
                &format!("{p}.weight"),
                invalid(weight, "must be 1"),
            );
        }
        resources.push(Weight {
            name: w.name.clone(),
            weight,
        });
    }
    BalancedAllocationArgs { resources }
}

/// `InterPodAffinityArgs`.
fn inter_pod_affinity(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    a: &PluginArgs,
) -> InterPodAffinityArgs {
    let mut args = InterPodAffinityArgs {
        ignore_preferred_terms_of_existing_pods: a
            .ignore_preferred_terms_of_existing_pods
            .unwrap_or(false),
        ..InterPodAffinityArgs::default()
    };
    if let Some(w) = &a.hard_pod_affinity_weight {
        if (0..=100).contains(&w.value) {
            args.hard_pod_affinity_weight = w.value;
        } else {
            let msg = invalid(w.value, "not in valid range [0, 100]");
            r.at(d, w, &format!("{path}.hardPodAffinityWeight"), msg);
        }
    }
    args
}

/// `DefaultPreemptionArgs`: the percentage within [0, 100], the absolute number not
/// negative, and not both zero.
fn preemption(r: &mut Resolver, d: Doc, path: &str, a: &PluginArgs) -> DefaultPreemptionArgs {
    let mut args = DefaultPreemptionArgs::default();
    let (pct, abs) = (
        &a.min_candidate_nodes_percentage,
        &a.min_candidate_nodes_absolute,
    );
    let ppath = format!("{path}.minCandidateNodesPercentage");
    let apath = format!("{path}.minCandidateNodesAbsolute");
    if let Some(p) = pct {
        args.min_candidate_nodes_percentage = p.value;
        if !(0..=100).contains(&p.value) {
            r.at(
                d,
                p,
                &ppath,
                invalid(p.value, "not in valid range [0, 100]"),
            );
        }
    }
    if let Some(n) = abs {
        args.min_candidate_nodes_absolute = n.value;
        if n.value < 0 {
            r.at(
                d,
                n,
                &apath,
                invalid(n.value, "not in valid range [0, inf)"),
            );
        }
    }
    if args.min_candidate_nodes_percentage == 0 && args.min_candidate_nodes_absolute == 0 {
        let msg = |other: &str| invalid(0, &format!("cannot be zero at the same time as {other}"));
        at(r, d, pct.as_ref(), &ppath, msg("minCandidateNodesAbsolute"));
        at(
            r,
            d,
            abs.as_ref(),
            &apath,
            msg("minCandidateNodesPercentage"),
        );
    }
    args
}

/// `VolumeBindingArgs`: the timeout not negative; `shape` refused, as upstream refuses it
/// while the feature gate StorageCapacityScoring is off (alpha and off by default in 1.34,
/// `pkg/features/kube_features.go`).
fn volume_binding(r: &mut Resolver, d: Doc, path: &str, a: &PluginArgs) -> VolumeBindingArgs {
    let mut args = VolumeBindingArgs::default();
    if let Some(t) = &a.bind_timeout_seconds {
        args.bind_timeout_seconds = t.value;
        if t.value < 0 {
            let msg = invalid(
                t.value,
                "invalid BindTimeoutSeconds, should not be a negative value",
            );
            r.at(d, t, &format!("{path}.bindTimeoutSeconds"), msg);
        }
    }
    if let Some(points) = &a.shape {
        // The value as Go's `%#v` prints the slice.
        let shown: Vec<String> = points
            .iter()
            .map(|p| {
                format!(
                    "config.UtilizationShapePoint{{Utilization:{}, Score:{}}}",
                    p.utilization.value, p.score.value
                )
            })
            .collect();
        let value = format!("[]config.UtilizationShapePoint{{{}}}", shown.join(", "));
        let detail = "unexpected field `shape`, remove it or turn on the feature gate \
                      StorageCapacityScoring";
        r.doc(d, &format!("{path}.shape"), invalid(value, detail));
    }
    args
}

/// `DynamicResourcesArgs`: `filterTimeout` zero or positive (the feature gate
/// DRASchedulerFilterTimeout is beta and on in 1.34).
fn dynamic_resources(r: &mut Resolver, d: Doc, path: &str, a: &PluginArgs) -> DynamicResourcesArgs {
    let mut args = DynamicResourcesArgs::default();
    if let Some(t) = &a.filter_timeout {
        let p = format!("{path}.filterTimeout");
        match parse_duration_ms(&t.value) {
            Ok(ms) if ms < 0 => r.at(d, t, &p, invalid(&t.value, "must be zero or positive")),
            Ok(ms) => args.filter_timeout_ms = ms,
            Err(e) => r.at(d, t, &p, e.to_string()),
        }
    }
    args
}
