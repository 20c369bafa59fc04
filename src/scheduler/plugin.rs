//! The public plugin API in one import, for plugins written outside this crate:
//! `use kubesim::scheduler::plugin::*;`.
//!
//! A plugin is a type implementing [`Plugin`] (its name, the cluster events that may make a
//! pod it rejected fit again, and an `as_*` method returning `Some(self)` for each extension
//! point it serves) plus that point's trait: [`FilterPlugin`], [`ScorePlugin`],
//! [`QueueSortPlugin`], and so on. A [`Factory`] registered under the plugin's name in a
//! [`Registry`] (start from [`Registry::in_tree`]) builds one instance per profile that
//! enables it; any KubeSchedulerConfiguration profile can then name it, with a weight. To
//! run a scenario with such a registry: load it with
//! [`crate::scenario::load_scenario_checked`] and [`check_config`], then build the world
//! with [`crate::world::World::new`]. `examples/custom_plugin.rs` does all of this.

pub use super::cache::{NodeHot, NodeInfo, NodeSet};
pub use super::check_config;
pub use super::framework::{
    ApiHandle, BindPlugin, ClusterEvents, ClusterWatcher, Code, FilterPlugin, MAX_NODE_SCORE,
    MIN_NODE_SCORE, Plugin, PreBindPlugin, PreFilterPlugin, PreFilterResult, PreScorePlugin,
    QueueSortPlugin, ReservePlugin, ScorePlugin, Status, filter_where,
};
pub use super::plugins::normalize::default_normalize_score;
pub use super::plugins::{BuildContext, Factory, PluginArgs, Registry};
pub use super::queue::QueuedPodInfo;
pub use crate::api::pod::Pod;
pub use crate::api::{Node, Resources};
pub use crate::store::{NodeId, PodId};
