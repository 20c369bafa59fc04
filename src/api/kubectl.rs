//! What a timeline entry's `kubectl` command does, parsed and checked: the verbs kubesim
//! models, the objects they name, and the objects `kubectl apply -f` creates.

use super::apps::{DeploymentSpec, ReplicaSetSpec};
use super::disruption::PodDisruptionBudget;
use super::job::JobSpec;
use super::meta::ObjectMeta;
use super::pod::Pod;
use super::resources::Resources;
use super::selector::LabelSelector;
use super::service::Service;
use super::taint::{Taint, TaintEffect};
use crate::engine::SimTime;

/// A resource type as kubectl names it (`deployment`, `deploy`, `deployments.apps`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// `pods`, `pod`, `po`.
    Pod,
    /// `nodes`, `node`, `no`.
    Node,
    /// `deployments`, `deployment`, `deploy`.
    Deployment,
    /// `replicasets`, `replicaset`, `rs`.
    ReplicaSet,
    /// `replicationcontrollers`, `replicationcontroller`, `rc`.
    ReplicationController,
    /// `daemonsets`, `daemonset`, `ds`.
    DaemonSet,
    /// `statefulsets`, `statefulset`, `sts`.
    StatefulSet,
    /// `jobs`, `job`.
    Job,
    /// `services`, `service`, `svc`.
    Service,
    /// `poddisruptionbudgets`, `poddisruptionbudget`, `pdb`.
    PodDisruptionBudget,
}

impl Resource {
    /// Every type with its names: plural first (kubectl's output), then singular and short
    /// names, then the group it is served by.
    const NAMES: [(Resource, &'static [&'static str], &'static str); 10] = [
        (Resource::Pod, &["pods", "pod", "po"], ""),
        (Resource::Node, &["nodes", "node", "no"], ""),
        (
            Resource::Deployment,
            &["deployments", "deployment", "deploy"],
            "apps",
        ),
        (
            Resource::ReplicaSet,
            &["replicasets", "replicaset", "rs"],
            "apps",
        ),
        (
            Resource::ReplicationController,
            &["replicationcontrollers", "replicationcontroller", "rc"],
            "",
        ),
        (
            Resource::DaemonSet,
            &["daemonsets", "daemonset", "ds"],
            "apps",
        ),
        (
            Resource::StatefulSet,
            &["statefulsets", "statefulset", "sts"],
            "apps",
        ),
        (Resource::Job, &["jobs", "job"], "batch"),
        (Resource::Service, &["services", "service", "svc"], ""),
        (
            Resource::PodDisruptionBudget,
            &["poddisruptionbudgets", "poddisruptionbudget", "pdb"],
            "policy",
        ),
    ];

    /// Parses a type as kubectl does: any of its names, optionally `NAME.GROUP`
    /// (`deployments.apps`), case-insensitively.
    pub fn parse(s: &str) -> Option<Resource> {
        let lower = s.to_ascii_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((n, g)) => (n, Some(g)),
            None => (lower.as_str(), None),
        };
        Resource::NAMES
            .iter()
            .find(|(_, names, g)| names.contains(&name) && group.is_none_or(|x| x == *g))
            .map(|(r, _, _)| *r)
    }

    /// kubectl's name for output: `deployment.apps`, `pod`, ...
    pub fn qualified(self) -> String {
        let (_, names, group) = Resource::NAMES
            .iter()
            .find(|(r, _, _)| *r == self)
            .expect("every type is listed");
        match *group {
            "" => names[1].to_string(),
            g => format!("{}.{g}", names[1]),
        }
    }

    /// The object kind (`Deployment`).
    pub fn kind(self) -> &'static str {
        match self {
            Resource::Pod => "Pod",
            Resource::Node => "Node",
            Resource::Deployment => "Deployment",
            Resource::ReplicaSet => "ReplicaSet",
            Resource::ReplicationController => "ReplicationController",
            Resource::DaemonSet => "DaemonSet",
            Resource::StatefulSet => "StatefulSet",
            Resource::Job => "Job",
            Resource::Service => "Service",
            Resource::PodDisruptionBudget => "PodDisruptionBudget",
        }
    }

    /// Whether objects of this type live in a namespace.
    pub fn namespaced(self) -> bool {
        self != Resource::Node
    }
}

/// An object a command names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// Its type.
    pub resource: Resource,
    /// Its namespace (empty for nodes).
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    /// `deployment.apps/web`, as kubectl prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.resource.qualified(), self.name)
    }
}

/// The objects a command acts on: named, or chosen by a label selector (or `--all`) in a
/// namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Targets {
    /// Named objects.
    Named(Vec<ObjectRef>),
    /// Every object of the type in the namespace whose labels match (`-l`; empty: `--all`).
    Selected {
        /// The type.
        resource: Resource,
        /// The namespace.
        namespace: String,
        /// The labels.
        selector: LabelSelector,
    },
}

/// A change to one container's resources (`kubectl set resources`): only what was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceChange {
    /// `--requests`, with which resources were written.
    pub requests: Resources,
    /// Resource names given in `--requests`.
    pub requests_given: Vec<String>,
    /// `--limits`.
    pub limits: Resources,
    /// Resource names given in `--limits`.
    pub limits_given: Vec<String>,
}

/// Label or annotation edits (`kubectl label`, `kubectl annotate`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaEdit {
    /// `key=value` to set.
    pub set: Vec<(String, String)>,
    /// `key-` to remove.
    pub remove: Vec<String>,
    /// `--overwrite`: an existing key may change value.
    pub overwrite: bool,
}

/// An object `kubectl apply -f` creates (or updates, when it exists).
#[derive(Clone, Debug)]
pub enum Applied {
    /// A Pod.
    Pod(Box<Pod>),
    /// A Deployment.
    Deployment(ObjectMeta, Box<DeploymentSpec>),
    /// A ReplicaSet or ReplicationController.
    ReplicaSet(ObjectMeta, Box<ReplicaSetSpec>),
    /// A DaemonSet.
    DaemonSet(ObjectMeta, Box<super::apps::DaemonSetSpec>),
    /// A StatefulSet.
    StatefulSet(ObjectMeta, Box<super::apps::StatefulSetSpec>),
    /// A Job.
    Job(ObjectMeta, Box<JobSpec>),
    /// A Service.
    Service(Service),
    /// A PodDisruptionBudget.
    PodDisruptionBudget(PodDisruptionBudget),
    /// A Node joining the cluster.
    Node(Box<super::Node>),
}

/// What `kubectl drain` is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drain {
    /// The node.
    pub node: String,
    /// `--ignore-daemonsets`.
    pub ignore_daemonsets: bool,
    /// `--force`: pods without a controller are deleted too.
    pub force: bool,
    /// `--grace-period`, ms (`None`: each pod's own).
    pub grace_ms: Option<i64>,
    /// `--timeout`, ms (`None`: forever).
    pub timeout_ms: Option<i64>,
    /// `--disable-eviction`: pods are deleted, bypassing disruption budgets.
    pub disable_eviction: bool,
}

/// One modelled kubectl command.
#[derive(Clone, Debug)]
pub enum Command {
    /// `apply -f FILE`.
    Apply(Vec<Applied>),
    /// `delete`.
    Delete {
        /// What.
        targets: Targets,
        /// `--grace-period`, ms (`None`: each pod's own).
        grace_ms: Option<i64>,
        /// `--cascade=orphan`: dependents are kept.
        orphan: bool,
    },
    /// `scale --replicas=N`.
    Scale {
        /// What.
        targets: Targets,
        /// To.
        replicas: u32,
    },
    /// `set image CONTAINER=IMAGE ...` (`*` for every container).
    SetImage {
        /// What.
        targets: Targets,
        /// Container name and image.
        images: Vec<(String, String)>,
    },
    /// `set resources [-c CONTAINER] --requests=... --limits=...`.
    SetResources {
        /// What.
        targets: Targets,
        /// The containers (`None`: every one).
        containers: Option<String>,
        /// The change.
        change: ResourceChange,
    },
    /// `rollout restart`.
    RolloutRestart(Targets),
    /// `rollout undo [--to-revision=N]`.
    RolloutUndo {
        /// What.
        targets: Targets,
        /// The revision (`None`: the previous one).
        to_revision: Option<u64>,
    },
    /// `rollout pause`.
    RolloutPause(Targets),
    /// `rollout resume`.
    RolloutResume(Targets),
    /// `cordon NODE`.
    Cordon(String),
    /// `uncordon NODE`.
    Uncordon(String),
    /// `drain NODE`.
    Drain(Drain),
    /// `label`.
    Label(Targets, MetaEdit),
    /// `annotate`.
    Annotate(Targets, MetaEdit),
    /// `taint NODE ...`.
    Taint {
        /// The nodes.
        nodes: Targets,
        /// Taints to add or update.
        add: Vec<Taint>,
        /// Taints to remove: key, and effect (`None`: every effect).
        remove: Vec<(String, Option<TaintEffect>)>,
        /// `--overwrite`.
        overwrite: bool,
    },
}

/// One `spec.timeline` entry with a `kubectl` command.
#[derive(Clone, Debug)]
pub struct TimedCommand {
    /// When.
    pub at: SimTime,
    /// The command as written (after `kubectl`).
    pub text: String,
    /// What it does.
    pub command: Command,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_by_every_name_and_group() {
        for s in [
            "deploy",
            "deployment",
            "Deployments",
            "deployments.apps",
            "deployment.apps",
        ] {
            assert_eq!(Resource::parse(s), Some(Resource::Deployment), "{s}");
        }
        assert_eq!(Resource::parse("deployments.batch"), None);
        assert_eq!(Resource::parse("rs"), Some(Resource::ReplicaSet));
        assert_eq!(Resource::parse("no"), Some(Resource::Node));
        assert_eq!(Resource::parse("widgets"), None);
        assert_eq!(Resource::Deployment.qualified(), "deployment.apps");
        assert_eq!(Resource::Pod.qualified(), "pod");
    }
}
