//! `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration: as written, and resolved
//! into the profiles' plugin sets and the arguments of the configurable plugins (checked as
//! `pkg/scheduler/apis/config/validation` checks them; the args in [`args`]).

mod args;

use super::kinds::Manifest;
use super::resolver::{Doc, Resolver};
use super::yaml::{Located, Spanned};
use crate::api::pod::DEFAULT_SCHEDULER;
use crate::api::scheduler_config::{
    ExtensionPoint, PluginRef as Ref, PluginSet as Set, ProfileConfig, SchedulerConfig,
};
pub use args::PluginArgs;
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
    /// Arguments (all optional; each plugin reads its own).
    #[serde(default)]
    pub args: Option<PluginArgs>,
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
    plugin_configs(r, d, path, p, &mut cfg);
    cfg
}

/// A profile's `pluginConfig`: every entry's args checked (also for a plugin the profile
/// does not enable, as upstream's validation does), the first entry of each plugin kept.
fn plugin_configs(r: &mut Resolver, d: Doc, path: &str, p: &Profile, cfg: &mut ProfileConfig) {
    for (ci, pc) in p.plugin_config.iter().enumerate() {
        let cpath = format!("{path}.pluginConfig[{ci}]");
        let name = &pc.name.value;
        let first = !p.plugin_config[..ci].iter().any(|o| o.name.value == *name);
        if !first {
            r.doc(d, &cpath, format!("Duplicate value: {name:?}"));
        }
        let none = PluginArgs::default();
        let raw = pc.args.as_ref().unwrap_or(&none);
        if let Some(args) = args::resolve(r, d, &cpath, name, raw)
            && first
        {
            cfg.plugin_args.push((name.clone(), args));
        }
    }
}

#[cfg(test)]
mod tests;
