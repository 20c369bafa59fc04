//! KubeSchedulerConfiguration (`kubescheduler.config.k8s.io/v1`) as typed data: profiles,
//! plugin sets per extension point (`pkg/scheduler/apis/config/types.go`), and the typed args
//! of configurable plugins (in [`super::plugin_args`], re-exported here). How these are merged over the
//! default profile is kube-scheduler behaviour and lives in `scheduler::config`.

pub use super::plugin_args::*;
use super::pod::DEFAULT_SCHEDULER;

/// A plugin named in a plugin set, with its score weight (0 = default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRef {
    /// Registered name.
    pub name: String,
    /// Score weight; 0 means "the default" (1, or the default profile's weight).
    pub weight: i64,
}

/// Enabled and disabled plugins at one extension point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginSet {
    /// Enabled, in order.
    pub enabled: Vec<PluginRef>,
    /// Disabled names (`*` disables all defaults).
    pub disabled: Vec<String>,
}

/// The extension points a profile configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExtensionPoint {
    /// `preEnqueue`.
    PreEnqueue,
    /// `queueSort`.
    QueueSort,
    /// `preFilter`.
    PreFilter,
    /// `filter`.
    Filter,
    /// `postFilter`.
    PostFilter,
    /// `preScore`.
    PreScore,
    /// `score`.
    Score,
    /// `reserve`.
    Reserve,
    /// `permit`.
    Permit,
    /// `preBind`.
    PreBind,
    /// `bind`.
    Bind,
    /// `postBind`.
    PostBind,
}

impl ExtensionPoint {
    /// Every point, in cycle order.
    pub const ALL: [ExtensionPoint; 12] = [
        ExtensionPoint::PreEnqueue,
        ExtensionPoint::QueueSort,
        ExtensionPoint::PreFilter,
        ExtensionPoint::Filter,
        ExtensionPoint::PostFilter,
        ExtensionPoint::PreScore,
        ExtensionPoint::Score,
        ExtensionPoint::Reserve,
        ExtensionPoint::Permit,
        ExtensionPoint::PreBind,
        ExtensionPoint::Bind,
        ExtensionPoint::PostBind,
    ];

    /// Upstream's interface name for the point (`PreScorePlugin`), as its errors say it.
    pub fn interface(self) -> &'static str {
        match self {
            ExtensionPoint::PreEnqueue => "PreEnqueuePlugin",
            ExtensionPoint::QueueSort => "QueueSortPlugin",
            ExtensionPoint::PreFilter => "PreFilterPlugin",
            ExtensionPoint::Filter => "FilterPlugin",
            ExtensionPoint::PostFilter => "PostFilterPlugin",
            ExtensionPoint::PreScore => "PreScorePlugin",
            ExtensionPoint::Score => "ScorePlugin",
            ExtensionPoint::Reserve => "ReservePlugin",
            ExtensionPoint::Permit => "PermitPlugin",
            ExtensionPoint::PreBind => "PreBindPlugin",
            ExtensionPoint::Bind => "BindPlugin",
            ExtensionPoint::PostBind => "PostBindPlugin",
        }
    }

    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionPoint::PreEnqueue => "preEnqueue",
            ExtensionPoint::QueueSort => "queueSort",
            ExtensionPoint::PreFilter => "preFilter",
            ExtensionPoint::Filter => "filter",
            ExtensionPoint::PostFilter => "postFilter",
            ExtensionPoint::PreScore => "preScore",
            ExtensionPoint::Score => "score",
            ExtensionPoint::Reserve => "reserve",
            ExtensionPoint::Permit => "permit",
            ExtensionPoint::PreBind => "preBind",
            ExtensionPoint::Bind => "bind",
            ExtensionPoint::PostBind => "postBind",
        }
    }
}

/// `profiles[].plugins`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plugins {
    /// `multiPoint`: plugins enabled at every point they implement.
    pub multi_point: PluginSet,
    /// Per-point sets, indexed like [`ExtensionPoint::ALL`].
    pub points: [PluginSet; ExtensionPoint::ALL.len()],
}

impl Plugins {
    /// The set at one point.
    pub fn at(&self, p: ExtensionPoint) -> &PluginSet {
        &self.points[p as usize]
    }

    /// The set at one point, mutably.
    pub fn at_mut(&mut self, p: ExtensionPoint) -> &mut PluginSet {
        &mut self.points[p as usize]
    }
}

/// One scheduling profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileConfig {
    /// Pods naming this in `spec.schedulerName` use the profile.
    pub scheduler_name: String,
    /// Overrides the global percentage.
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Plugins as the user wrote them (merged over the defaults when built).
    pub plugins: Plugins,
    /// `pluginConfig`.
    pub plugin_args: Vec<(String, PluginArgs)>,
}

impl ProfileConfig {
    /// A profile with the default plugins and no overrides.
    pub fn named(name: &str) -> ProfileConfig {
        ProfileConfig {
            scheduler_name: name.to_string(),
            percentage_of_nodes_to_score: None,
            plugins: Plugins::default(),
            plugin_args: Vec::new(),
        }
    }
}

/// A whole KubeSchedulerConfiguration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// Global `percentageOfNodesToScore` (None or 0 = adaptive).
    pub percentage_of_nodes_to_score: Option<i32>,
    /// `podInitialBackoffSeconds` (default 1).
    pub pod_initial_backoff_s: i64,
    /// `podMaxBackoffSeconds` (default 10).
    pub pod_max_backoff_s: i64,
    /// Profiles (at least one).
    pub profiles: Vec<ProfileConfig>,
}

impl Default for SchedulerConfig {
    /// One `default-scheduler` profile with the default plugins.
    fn default() -> Self {
        SchedulerConfig {
            percentage_of_nodes_to_score: None,
            pod_initial_backoff_s: 1,
            pod_max_backoff_s: 10,
            profiles: vec![ProfileConfig::named(DEFAULT_SCHEDULER)],
        }
    }
}
