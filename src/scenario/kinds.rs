//! The kinds the loader reads: one line each in [`kinds!`], giving the kind's name, the
//! `apiVersion`s it is served under, its raw (as written) type, the stage it is resolved in
//! and the function that resolves it. This table is the one place the loader dispatches on
//! `kind`: adding a kind to the loader is its raw type and resolution in its API group's
//! module plus one line here (and, for the simulation, where it resolves into: a field of the
//! `Scenario`, and the store's arena and writes for it).

use super::resolver::{Doc, Resolver};
use super::{
    admission, apps, autoscaling, batch, core, kubescheduler_config, kubesim, metrics, policy,
    scheduling, storage,
};
use serde::Deserialize;
use serde::de::Deserializer;

/// When a kind is resolved: each stage sees everything the earlier ones built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    /// The Simulation and the scheduler configuration, one of each, read before anything
    /// else (pods are checked against the scheduler's profiles).
    Config,
    /// Namespaces, before the objects in them (so that none is taken for undeclared).
    Namespaces,
    /// The objects pods are checked against: PriorityClasses, Services,
    /// PodDisruptionBudgets.
    Cluster,
    /// Nodes (after the Simulation's node pools).
    Nodes,
    /// StorageClasses (claims take the default one).
    StorageClasses,
    /// PersistentVolumes (claims may name one).
    Volumes,
    /// PersistentVolumeClaims.
    Claims,
    /// Pods and the objects that make pods.
    Workloads,
    /// HorizontalPodAutoscalers (their `scaleTargetRef` names a workload).
    Autoscalers,
}

impl Stage {
    /// The stages after [`Stage::Config`], in order.
    pub const RESOLVED_IN_ORDER: [Stage; 8] = [
        Stage::Namespaces,
        Stage::Cluster,
        Stage::Nodes,
        Stage::StorageClasses,
        Stage::Volumes,
        Stage::Claims,
        Stage::Workloads,
        Stage::Autoscalers,
    ];
}

/// What happens to a document whose `apiVersion` is not one its kind is served under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OtherVersions {
    /// It is refused, as kubectl refuses it (`no matches for kind ... in version ...`).
    Refuse,
    /// It is read as the first version, with a warning.
    Warn,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kind {
    /// `kind` as written.
    pub name: &'static str,
    /// The `apiVersion`s it is served under, preferred first.
    pub versions: &'static [&'static str],
    /// Whether a document must give its `apiVersion`.
    pub version_required: bool,
    /// What happens with another version.
    pub other_versions: OtherVersions,
    /// When it is resolved.
    pub stage: Stage,
}

impl Kind {
    /// The row of `kind`.
    pub fn named(kind: &str) -> Option<&'static Kind> {
        KINDS.iter().find(|k| k.name == kind)
    }

    /// Checks a document's `apiVersion`: `Ok(None)` when it is served, `Ok(Some(warning))`
    /// when it is read anyway, `Err(message)` when it is refused.
    pub fn check_version(&self, version: Option<&str>) -> Result<Option<String>, String> {
        let preferred = self.versions[0];
        match version {
            None if self.version_required => Err(format!(
                "kind {} needs `apiVersion: {preferred}`",
                self.name
            )),
            None => Ok(None),
            Some(v) if self.versions.contains(&v) => Ok(None),
            Some(v) => match self.other_versions {
                OtherVersions::Refuse => Err(format!(
                    "no matches for kind {:?} in version {v:?} (kubesim reads {})",
                    self.name,
                    self.versions.join(", ")
                )),
                OtherVersions::Warn => Ok(Some(format!(
                    "{} apiVersion `{v}` is not {preferred}; reading it as {preferred}",
                    self.name
                ))),
            },
        }
    }
}

/// Declares the table: the [`Manifest`] enum, [`KINDS`], deserialization by kind and
/// resolution by stage.
macro_rules! kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident: $name:literal [$($version:literal),+] $required:literal $other:ident,
            $raw:ty, $stage:ident $(=> $resolve:path)?;
    )*) => {
        /// One manifest of a known kind, as written.
        #[derive(Clone, Debug, PartialEq)]
        pub(super) enum Manifest {
            $($(#[$doc])* $variant(Box<$raw>),)*
        }

        /// Every kind the loader reads.
        pub(super) const KINDS: &[Kind] = &[$(Kind {
            name: $name,
            versions: &[$($version),+],
            version_required: $required,
            other_versions: OtherVersions::$other,
            stage: Stage::$stage,
        },)*];

        impl Manifest {
            /// Its kind as written.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Manifest::$variant(_) => $name,)*
                }
            }

            /// When it is resolved.
            pub fn stage(&self) -> Stage {
                match self {
                    $(Manifest::$variant(_) => Stage::$stage,)*
                }
            }

            /// Resolves it into the resolver's objects (kinds of [`Stage::Config`] are
            /// resolved by the pipeline itself).
            pub fn resolve(&self, r: &mut Resolver, d: Doc) {
                match self {
                    $(Manifest::$variant(_m) => {
                        $($resolve(r, d, _m);)?
                    })*
                }
            }

            /// Deserializes a document of kind `kind` (a name of [`KINDS`]).
            pub fn deserialize<'de, D: Deserializer<'de>>(
                kind: &str,
                d: D,
            ) -> Result<Manifest, D::Error> {
                match kind {
                    $($name => Ok(Manifest::$variant(Box::new(<$raw>::deserialize(d)?))),)*
                    other => Err(serde::de::Error::custom(format!("unknown kind {other}"))),
                }
            }
        }
    };
}

kinds! {
    /// `kubesim.io/v1alpha1` Simulation.
    Simulation: "Simulation" ["kubesim.io/v1alpha1"] true Refuse,
        kubesim::Simulation, Config;
    /// `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration.
    KubeSchedulerConfiguration: "KubeSchedulerConfiguration"
        ["kubescheduler.config.k8s.io/v1"] false Warn,
        kubescheduler_config::KubeSchedulerConfiguration, Config;
    /// `scheduling.k8s.io/v1` PriorityClass.
    PriorityClass: "PriorityClass" ["scheduling.k8s.io/v1"] false Refuse,
        scheduling::PriorityClass, Cluster => scheduling::priority_class;
    /// `v1` Namespace.
    Namespace: "Namespace" ["v1"] false Refuse,
        core::Namespace, Namespaces => core::namespace;
    /// `v1` ResourceQuota.
    ResourceQuota: "ResourceQuota" ["v1"] false Refuse, admission::ResourceQuota, Cluster
        => admission::resource_quota;
    /// `v1` LimitRange.
    LimitRange: "LimitRange" ["v1"] false Refuse, admission::LimitRange, Cluster
        => admission::limit_range;
    /// `v1` Service.
    Service: "Service" ["v1"] false Refuse, core::Service, Cluster => core::service;
    /// `policy/v1` PodDisruptionBudget.
    PodDisruptionBudget: "PodDisruptionBudget" ["policy/v1"] false Refuse,
        policy::PodDisruptionBudget, Cluster => policy::disruption_budget;
    /// `v1` Node.
    Node: "Node" ["v1"] false Refuse, core::Node, Nodes => core::node_manifest;
    /// `storage.k8s.io/v1` StorageClass.
    StorageClass: "StorageClass" ["storage.k8s.io/v1"] false Refuse,
        storage::StorageClass, StorageClasses => storage::storage_class;
    /// `v1` PersistentVolume.
    PersistentVolume: "PersistentVolume" ["v1"] false Refuse,
        core::PersistentVolume, Volumes => core::volume;
    /// `v1` PersistentVolumeClaim.
    PersistentVolumeClaim: "PersistentVolumeClaim" ["v1"] false Refuse,
        core::PersistentVolumeClaim, Claims => core::claim;
    /// `v1` Pod.
    Pod: "Pod" ["v1"] false Refuse, core::Pod, Workloads => core::pod_manifest;
    /// `batch/v1` Job.
    Job: "Job" ["batch/v1"] false Refuse, batch::Job, Workloads => batch::job_manifest;
    /// `apps/v1` ReplicaSet.
    ReplicaSet: "ReplicaSet" ["apps/v1"] true Refuse, apps::ReplicaSet, Workloads
        => apps::replica_set;
    /// `v1` ReplicationController.
    ReplicationController: "ReplicationController" ["v1"] false Refuse,
        apps::ReplicationController, Workloads => apps::replication_controller;
    /// `apps/v1` Deployment.
    Deployment: "Deployment" ["apps/v1"] true Refuse, apps::Deployment, Workloads
        => apps::deployment;
    /// `apps/v1` DaemonSet.
    DaemonSet: "DaemonSet" ["apps/v1"] true Refuse, apps::DaemonSet, Workloads
        => apps::daemon_set;
    /// `apps/v1` StatefulSet.
    StatefulSet: "StatefulSet" ["apps/v1"] true Refuse, apps::StatefulSet, Workloads
        => apps::stateful_set;
    /// `metrics.k8s.io/v1beta1` PodMetrics (a snapshot's pods' usage).
    PodMetrics: "PodMetrics" ["metrics.k8s.io/v1beta1"] false Refuse, metrics::PodMetrics,
        Autoscalers => metrics::pod_metrics;
    /// `metrics.k8s.io/v1beta1` PodMetricsList (`kubectl get --raw`'s answer).
    PodMetricsList: "PodMetricsList" ["metrics.k8s.io/v1beta1"] false Refuse,
        metrics::PodMetricsList, Autoscalers => metrics::pod_metrics_list;
    /// `autoscaling/v2` HorizontalPodAutoscaler (`autoscaling/v1` converted to it).
    HorizontalPodAutoscaler: "HorizontalPodAutoscaler" ["autoscaling/v2", "autoscaling/v1"]
        true Refuse, autoscaling::HorizontalPodAutoscaler, Autoscalers
        => autoscaling::horizontal_pod_autoscaler;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_named_once_and_checks_its_version() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(
                KINDS[..i].iter().all(|o| o.name != k.name),
                "{} twice",
                k.name
            );
            assert_eq!(Kind::named(k.name).map(|n| n.name), Some(k.name));
            assert_eq!(k.check_version(Some(k.versions[0])), Ok(None));
        }
        assert!(Kind::named("CronJob").is_none());
        let pod = Kind::named("Pod").unwrap();
        assert_eq!(pod.check_version(None), Ok(None));
        assert_eq!(
            pod.check_version(Some("apps/v1")),
            Err("no matches for kind \"Pod\" in version \"apps/v1\" (kubesim reads v1)".into())
        );
        let sim = Kind::named("Simulation").unwrap();
        assert!(
            sim.check_version(None)
                .unwrap_err()
                .contains("needs `apiVersion")
        );
        let ksc = Kind::named("KubeSchedulerConfiguration").unwrap();
        assert!(
            ksc.check_version(Some("kubescheduler.config.k8s.io/v1beta3"))
                .unwrap()
                .is_some()
        );
    }
}
