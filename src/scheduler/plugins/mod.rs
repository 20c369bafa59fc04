//! In-tree plugins, one file each, and the registry that builds them by name
//! (`pkg/scheduler/framework/plugins/registry.go`). The research plugins (`kubesim.io/...`:
//! textbook and published algorithms) are under [`research`].

pub mod balanced_allocation;
pub mod default_binder;
pub mod default_preemption;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod names;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod normalize;
pub mod pod_topology_spread;
pub mod priority_sort;
pub mod research;
pub mod scheduling_gates;
pub mod taint_toleration;
pub mod volume_binding;
pub mod volume_zone;

use super::framework::Plugin;
pub use crate::api::scheduler_config::PluginArgs;
use balanced_allocation::BalancedAllocation;
use node_resources_fit::NodeResourcesFit;
use std::collections::BTreeMap;

/// What a factory builds a plugin from.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct BuildContext<'a> {
    /// The plugin's `pluginConfig` args, if the profile gives any.
    pub args: Option<&'a PluginArgs>,
    /// The run's seed. A plugin that needs random numbers derives them from it mixed with its
    /// own name (as the engine's named streams do), so it never shifts another component's
    /// draws.
    pub seed: u64,
    /// The profile's `schedulerName`.
    pub profile: &'a str,
}

impl<'a> BuildContext<'a> {
    /// A context without args.
    pub fn new(seed: u64, profile: &'a str) -> Self {
        BuildContext {
            args: None,
            seed,
            profile,
        }
    }

    /// The same context with these args.
    pub fn with_args(self, args: Option<&'a PluginArgs>) -> Self {
        BuildContext { args, ..self }
    }
}

/// Builds a plugin instance for one profile.
pub type Factory = Box<dyn Fn(&BuildContext<'_>) -> Box<dyn Plugin> + Send + Sync>;

/// Plugin factories by name.
pub struct Registry {
    factories: BTreeMap<String, Factory>,
}

impl Registry {
    /// A registry without any plugin (to build one from scratch).
    pub fn empty() -> Registry {
        Registry {
            factories: BTreeMap::new(),
        }
    }

    /// The in-tree plugins, the research ones included: one line each.
    pub fn in_tree() -> Registry {
        let mut r = Registry::empty();
        let entries: [(&str, Factory); 22] = [
            (
                names::SCHEDULING_GATES,
                Box::new(|_| Box::new(scheduling_gates::SchedulingGates)),
            ),
            (
                names::PRIORITY_SORT,
                Box::new(|_| Box::new(priority_sort::PrioritySort)),
            ),
            (
                names::NODE_UNSCHEDULABLE,
                Box::new(|_| Box::new(node_unschedulable::NodeUnschedulable)),
            ),
            (
                names::NODE_NAME,
                Box::new(|_| Box::new(node_name::NodeName)),
            ),
            (
                names::TAINT_TOLERATION,
                Box::new(|_| Box::new(taint_toleration::TaintToleration::default())),
            ),
            (
                names::NODE_AFFINITY,
                Box::new(|ctx| match ctx.args {
                    Some(PluginArgs::NodeAffinity(a)) => {
                        Box::new(node_affinity::NodeAffinity::new(a.clone()))
                    }
                    _ => Box::new(node_affinity::NodeAffinity::default()),
                }),
            ),
            (
                names::NODE_PORTS,
                Box::new(|_| Box::new(node_ports::NodePorts)),
            ),
            (
                names::NODE_RESOURCES_FIT,
                Box::new(|ctx| match ctx.args {
                    Some(PluginArgs::NodeResourcesFit(a)) => {
                        Box::new(NodeResourcesFit::new(a.clone()))
                    }
                    _ => Box::new(NodeResourcesFit::default()),
                }),
            ),
            (
                names::NODE_RESOURCES_BALANCED_ALLOCATION,
                Box::new(|ctx| match ctx.args {
                    Some(PluginArgs::BalancedAllocation(a)) => {
                        Box::new(BalancedAllocation::new(a.clone()))
                    }
                    _ => Box::new(BalancedAllocation::default()),
                }),
            ),
            (
                names::POD_TOPOLOGY_SPREAD,
                Box::new(|ctx| match ctx.args {
                    Some(PluginArgs::PodTopologySpread(a)) => {
                        Box::new(pod_topology_spread::PodTopologySpread::new(a))
                    }
                    _ => Box::new(pod_topology_spread::PodTopologySpread::default()),
                }),
            ),
            (
                names::INTER_POD_AFFINITY,
                Box::new(|ctx| match ctx.args {
                    Some(PluginArgs::InterPodAffinity(a)) => {
                        Box::new(inter_pod_affinity::InterPodAffinity::with_args(*a))
                    }
                    _ => Box::new(inter_pod_affinity::InterPodAffinity::default()),
                }),
            ),
            (
                names::VOLUME_BINDING,
                Box::new(|_| Box::new(volume_binding::VolumeBinding::default())),
            ),
            (
                names::VOLUME_ZONE,
                Box::new(|_| Box::new(volume_zone::VolumeZone::default())),
            ),
            (
                names::IMAGE_LOCALITY,
                Box::new(|_| Box::new(image_locality::ImageLocality::default())),
            ),
            (
                names::DEFAULT_PREEMPTION,
                Box::new(|ctx| match ctx.args {
                    Some(PluginArgs::DefaultPreemption(a)) => {
                        Box::new(default_preemption::DefaultPreemption::new(*a))
                    }
                    _ => Box::new(default_preemption::DefaultPreemption::default()),
                }),
            ),
            (
                names::DEFAULT_BINDER,
                Box::new(|_| Box::new(default_binder::DefaultBinder)),
            ),
            (
                names::FIRST_FIT,
                Box::new(|_| Box::new(research::first_fit::FirstFit)),
            ),
            (
                names::RANDOM,
                Box::new(|ctx| Box::new(research::random::Random::new(ctx.seed))),
            ),
            (
                names::BEST_FIT,
                Box::new(|_| Box::new(research::best_fit::BestFit)),
            ),
            (
                names::WORST_FIT,
                Box::new(|_| Box::new(research::worst_fit::WorstFit)),
            ),
            (
                names::TETRIS,
                Box::new(|_| Box::new(research::tetris::Tetris)),
            ),
            (
                names::DOMINANT_RESOURCE_FAIRNESS,
                Box::new(|_| Box::new(research::drf::DominantResourceFairness::default())),
            ),
        ];
        for (name, f) in entries {
            // In-tree names are distinct by construction.
            let _ = r.register(name, f);
        }
        r
    }

    /// Adds a plugin; a name already taken is an error.
    pub fn register(&mut self, name: &str, factory: Factory) -> Result<(), String> {
        if self.factories.contains_key(name) {
            return Err(format!("a plugin named {name:?} is already registered"));
        }
        self.factories.insert(name.to_string(), factory);
        Ok(())
    }

    /// Whether a plugin of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    /// Builds the plugin called `name`.
    pub fn build(&self, name: &str, ctx: &BuildContext<'_>) -> Option<Box<dyn Plugin>> {
        self.factories.get(name).map(|f| f(ctx))
    }

    /// Registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod extension_points;

/// Fixtures for plugin tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::api::pod::Pod;
    use crate::api::{Node, ObjectMeta, Resources, Taint};
    use crate::scheduler::cache::{NodeFacts, NodeInfo, NodeSet};
    use crate::store::NodeId;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    static NEXT: AtomicU32 = AtomicU32::new(0);

    /// An empty node with 110 pods of room.
    pub fn node(name: &str, cpu_m: i64, memory: i64) -> NodeInfo {
        let alloc = Resources {
            cpu_m,
            memory,
            ephemeral_storage: 0,
            pods: 110,
            scalars: vec![],
        };
        let n = Node {
            meta: ObjectMeta {
                name: name.into(),
                ..Default::default()
            },
            capacity: alloc.clone(),
            allocatable: alloc,
            taints: vec![],
            unschedulable: false,
            images: vec![],
            pool: None,
            conditions: crate::api::node::NodeCondition::healthy(),
        };
        NodeInfo::new(NodeId(NEXT.fetch_add(1, Ordering::Relaxed)), Arc::new(n))
    }

    /// The node with these taints.
    pub fn with_taints(mut n: NodeInfo, taints: Vec<Taint>) -> NodeInfo {
        let mut node = (*n.node).clone();
        node.taints = taints;
        n = NodeInfo::new(n.id, Arc::new(node));
        n
    }

    /// The node with these labels.
    pub fn with_labels(n: NodeInfo, labels: &[(&str, &str)]) -> NodeInfo {
        let mut node = (*n.node).clone();
        node.meta.labels = Arc::new(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        NodeInfo::new(n.id, Arc::new(node))
    }

    /// `count` nodes and `count` pods of random sizes for checking a batch score or filter
    /// against the per-node one: capacities from zero through the bounds of the exact
    /// floating-point paths (2^45, 2^53) and beyond, usage below, at and above capacity.
    pub fn random_nodes_and_pods(seed: u64, count: usize) -> (Vec<NodeInfo>, Vec<Pod>) {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const EDGES: [i64; 8] = [
            0,
            1,
            1 << 45,
            (1 << 45) - 1,
            1 << 53,
            (1 << 53) + 1,
            1 << 61,
            7,
        ];
        let mut size = |scale: i64| match next() % 8 {
            0 => EDGES[(next() % 8) as usize],
            1..=2 => (next() % (1 << 40)) as i64,
            _ => (next() % scale as u64) as i64,
        };
        let nodes = (0..count)
            .map(|i| {
                let (c, m) = (size(64_000), size(256 << 30));
                let (uc, um) = (size(c.max(1) * 2), size(m.max(1) * 2));
                with_used(node(&format!("n{i}"), c, m), uc, um, 3)
            })
            .collect();
        let pods = (0..count)
            .map(|i| pod(&format!("p{i}"), size(8_000), size(32 << 30)))
            .collect();
        (nodes, pods)
    }

    /// Nodes with their indices and cluster facts, to lend out as a [`NodeSet`].
    pub struct OwnedNodeSet {
        nodes: Vec<NodeInfo>,
        which: Vec<usize>,
        facts: NodeFacts,
    }

    impl OwnedNodeSet {
        /// All the nodes, in order, with their facts.
        pub fn new(nodes: Vec<NodeInfo>) -> Self {
            let facts = NodeFacts::of(nodes.iter().map(|n| &*n.node));
            let which = (0..nodes.len()).collect();
            OwnedNodeSet {
                nodes,
                which,
                facts,
            }
        }

        /// The set.
        pub fn set(&self) -> NodeSet<'_> {
            NodeSet::new(&self.nodes, &self.which).with_facts(self.facts)
        }
    }

    /// `nodes` as a set, and its nodes with capacities in `(0, EXACT_CAPACITY)` as another
    /// (the clusters where the floating-point resource scores apply), with their facts.
    pub fn node_sets(nodes: Vec<NodeInfo>) -> (OwnedNodeSet, OwnedNodeSet) {
        let exact: Vec<NodeInfo> = nodes
            .iter()
            .filter(|n| NodeFacts::of([&*n.node]).odd_capacity == 0)
            .cloned()
            .collect();
        assert!(exact.len() > 100, "the exact paths must be exercised");
        let (all, exact) = (OwnedNodeSet::new(nodes), OwnedNodeSet::new(exact));
        assert!(all.facts.odd_capacity > 0, "the other paths too");
        (all, exact)
    }

    /// The node with this much already requested by `pods` pods.
    pub fn with_used(mut n: NodeInfo, cpu_m: i64, memory: i64, pods: i64) -> NodeInfo {
        n.set_used(cpu_m, memory, pods as i32);
        n
    }

    pub use crate::api::testing::pod;

    /// Checks that a plugin's batch calls agree with its per-node calls on varied nodes.
    pub fn check_batch_calls_agree(plugin: &dyn crate::scheduler::framework::Plugin) {
        use crate::scheduler::cache::NodeSet;
        let mut nodes = Vec::new();
        for i in 0..200i64 {
            let cpu = [0, 1000, 4000, 16000][(i % 4) as usize];
            let mem = [0, 1 << 30, 8 << 30, 64 << 30][((i / 4) % 4) as usize];
            let mut n = with_used(
                node(&format!("n{i}"), cpu, mem),
                (i * 137) % 17000,
                ((i * 7919) << 20) % (70 << 30),
                i % 120,
            );
            n.hot.unschedulable = i % 13 == 0;
            nodes.push(n);
        }
        let which: Vec<usize> = (0..nodes.len()).rev().collect();
        let set = NodeSet::new(&nodes, &which);
        for (cpu, mem) in [
            (0, 0),
            (100, 0),
            (250, 1 << 30),
            (4000, 6 << 30),
            (20000, 100 << 30),
        ] {
            let p = pod("p", cpu, mem);
            if let Some(s) = plugin.as_score() {
                let mut batch = Vec::new();
                s.score_nodes(&p, set, &mut batch);
                let single: Vec<i64> = set.iter().map(|n| s.score(&p, n)).collect();
                assert_eq!(
                    batch,
                    single,
                    "{} score_nodes vs score, pod {cpu}m/{mem}",
                    plugin.name()
                );
            }
            if let Some(f) = plugin.as_filter() {
                let mut alive = vec![true; which.len()];
                let mut failures = Vec::new();
                f.filter_nodes(&p, set, &mut alive, &mut failures);
                for (i, n) in set.iter().enumerate() {
                    let s = f.filter(&p, n);
                    assert_eq!(
                        alive[i],
                        s.is_success(),
                        "{} filter_nodes vs filter on {}",
                        plugin.name(),
                        n.name()
                    );
                    if !s.is_success() {
                        assert!(failures.contains(&(i, s)));
                    }
                }
            }
        }
    }

    #[test]
    fn factories_get_the_seed_and_names_are_registered_once() {
        use super::*;
        use crate::scheduler::framework::ScorePlugin;
        let r = Registry::in_tree();
        let (n, p) = (node("n", 1000, 1 << 30), pod("p", 100, 0));
        let score = |seed| {
            let plugin = r
                .build(names::RANDOM, &BuildContext::new(seed, "profile"))
                .expect("registered");
            plugin.as_score().map(|s| s.score(&p, &n))
        };
        let direct = research::random::Random::new(42).score(&p, &n);
        assert_eq!(score(42), Some(direct));
        assert!((1..20).any(|seed| score(seed) != Some(direct)));
        let mut r = Registry::in_tree();
        let again = r.register(
            names::FIRST_FIT,
            Box::new(|_| Box::new(research::first_fit::FirstFit)),
        );
        assert!(again.is_err());
        assert!(
            r.register(
                "example.com/Mine",
                Box::new(|_| Box::new(research::first_fit::FirstFit))
            )
            .is_ok()
        );
        assert!(r.contains("example.com/Mine"));
    }

    #[test]
    fn batch_calls_agree_with_single_calls() {
        use super::*;
        check_batch_calls_agree(&node_resources_fit::NodeResourcesFit::default());
        check_batch_calls_agree(&NodeResourcesFit::new(node_resources_fit::FitArgs {
            strategy: node_resources_fit::ScoringStrategyType::MostAllocated,
            ..node_resources_fit::FitArgs::default()
        }));
        check_batch_calls_agree(&BalancedAllocation::default());
        check_batch_calls_agree(&node_unschedulable::NodeUnschedulable);
        check_batch_calls_agree(&node_name::NodeName);
        check_batch_calls_agree(&taint_toleration::TaintToleration::default());
        check_batch_calls_agree(&node_ports::NodePorts);
        check_batch_calls_agree(&image_locality::ImageLocality::default());
    }
}
