//! What every kind's resolution shares: where a document is, the [`Resolver`] that collects
//! errors and warnings and holds what earlier stages resolved, and quantities.

use super::model::{ClaimManifest, JobManifest, VolumeManifest, WorkloadManifest};
use super::yaml::{LoadError, Located, Quantities, QuantityText, Spanned, abs_position};
use crate::api::apps::{DaemonSetSpec, DeploymentSpec, ReplicaSetSpec, StatefulSetSpec};
use crate::api::disruption::PodDisruptionBudget;
use crate::api::hpa::ScaleKind;
use crate::api::names::NameRule;
use crate::api::pod::{Pod, PodSpec};
use crate::api::quantity::Quantity;
use crate::api::service::Service;
use crate::api::volume::StorageClass;
use crate::api::{Labels, Node, PriorityClass, Resources};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a document is: its file and first line.
#[derive(Clone, Copy)]
pub(super) struct Doc<'a> {
    /// The file.
    pub file: &'a Path,
    /// The file line the document starts on.
    pub line: u32,
    /// Its index in a `kind: List` document's items, if it is one.
    pub item: Option<u32>,
}

impl<'a> Doc<'a> {
    /// `path` within the file's document: `items[i].path` for an item of a List.
    pub fn path(&self, path: &str) -> String {
        match (self.item, path.is_empty()) {
            (Some(i), true) => format!("items[{i}]"),
            (Some(i), false) => format!("items[{i}].{path}"),
            (None, _) => path.to_owned(),
        }
    }

    /// The document of a located manifest.
    pub fn of<T>(m: &'a Located<T>) -> Doc<'a> {
        Doc {
            file: &m.file,
            line: m.line,
            item: m.item,
        }
    }
}

/// Resolution's state: every error and warning found so far, what later stages check
/// against (priority classes, profiles, node names, namespaces), and the objects built.
#[derive(Default)]
pub(super) struct Resolver {
    pub errors: Vec<LoadError>,
    pub warnings: Vec<String>,
    /// PriorityClasses by name, built-in ones included.
    pub classes: BTreeMap<String, PriorityClass>,
    /// The scheduler profiles' names.
    pub profiles: BTreeSet<String>,
    /// Names of the nodes resolved so far.
    pub node_names: BTreeSet<String>,
    /// Whether the node names are all known (without a Simulation the pools' are not).
    pub nodes_known: bool,
    /// Namespaces, declared or implied, in the order first seen.
    pub namespaces: Vec<String>,
    /// Labels of the Namespace objects given.
    pub namespace_labels: BTreeMap<String, Labels>,
    /// `(namespace, name)` of the pods resolved so far.
    pub pod_keys: BTreeSet<(String, String)>,
    /// The `metadata.uid`s given so far, with where (file, line): a uid names one object.
    pub uids: BTreeMap<String, (PathBuf, u32)>,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub jobs: Vec<JobManifest>,
    pub replica_sets: Vec<WorkloadManifest<ReplicaSetSpec>>,
    pub deployments: Vec<WorkloadManifest<DeploymentSpec>>,
    pub daemon_sets: Vec<WorkloadManifest<DaemonSetSpec>>,
    pub stateful_sets: Vec<WorkloadManifest<StatefulSetSpec>>,
    pub quotas: Vec<crate::api::admission::ResourceQuota>,
    pub limit_ranges: Vec<crate::api::admission::LimitRange>,
    pub storage_classes: Vec<StorageClass>,
    pub volumes: Vec<VolumeManifest>,
    pub claims: Vec<ClaimManifest>,
    pub pdbs: Vec<PodDisruptionBudget>,
    pub services: Vec<Service>,
    /// HorizontalPodAutoscalers, in the order of their documents.
    pub hpas: Vec<super::model::HpaManifest>,
    /// The usage PodMetrics documents give pods, in document order.
    pub pod_metrics: Vec<crate::api::metrics::PodUsageSeed>,
    /// The scalable workloads given (kind, namespace, name), whether they resolved or not.
    pub scalable_given: BTreeSet<(ScaleKind, String, String)>,
    /// Whether an HPA's `behavior.*.tolerance` was warned about (once per load).
    pub tolerance_warned: bool,
    /// How unknown fields of files read while resolving (arrival templates) are treated.
    pub validate: super::schema::ValidateMode,
    /// Whether an undeclared namespace is created rather than refused.
    pub create_namespaces: bool,
    /// `spec.startTime`, ms since the Unix epoch: a snapshot's instants are placed on the
    /// simulated clock by it.
    pub start_unix_ms: i64,
    /// Whether a snapshot time after `spec.startTime` was warned about (once per load).
    pub future_warned: bool,
    /// The specs of the pods resolved last: a pod whose spec equals one of them shares it.
    pub recent_specs: Vec<Arc<PodSpec>>,
}

/// How many recent pod specs are compared with each new one.
const RECENT_SPECS: usize = 8;

impl Resolver {
    /// `spec`, shared with an equal one of the pods resolved last: manifests of a large
    /// cluster repeat a few templates, and the run then keeps one spec per template, as it
    /// does for generated pods.
    pub fn share_spec(&mut self, spec: PodSpec) -> Arc<PodSpec> {
        if let Some(i) = self.recent_specs.iter().position(|s| **s == spec) {
            let shared = self.recent_specs.remove(i);
            self.recent_specs.push(shared.clone());
            return shared;
        }
        let spec = Arc::new(spec);
        if self.recent_specs.len() == RECENT_SPECS {
            self.recent_specs.remove(0);
        }
        self.recent_specs.push(spec.clone());
        spec
    }

    /// An error at a leaf: its own line and column (a leaf without a position, such as a
    /// plain `rps: N` read as `{constant: N}`, is found from its path).
    pub fn at<T>(&mut self, d: Doc, leaf: &Spanned<T>, path: &str, msg: impl Into<String>) {
        if leaf.referenced.line() == 0 {
            return self.doc(d, path, msg);
        }
        let (line, col) = abs_position(d.line, leaf);
        self.errors
            .push(LoadError::at(d.file, line, col, d.path(path), msg));
    }

    /// An error about a field without a position of its own: the document's first line.
    pub fn doc(&mut self, d: Doc, path: &str, msg: impl Into<String>) {
        self.errors
            .push(LoadError::at(d.file, d.line, 0, d.path(path), msg));
    }

    /// A warning, with the document's file and line.
    pub fn warn(&mut self, d: Doc, msg: impl AsRef<str>) {
        self.warnings
            .push(format!("{}:{}: {}", d.file.display(), d.line, msg.as_ref()));
    }

    /// A warning at a leaf: its own line and column, and the field's path.
    pub fn warn_at<T>(&mut self, d: Doc, leaf: &Spanned<T>, path: &str, msg: impl AsRef<str>) {
        let (line, col) = abs_position(d.line, leaf);
        self.warnings.push(format!(
            "{}:{line}:{col}: {}: {}",
            d.file.display(),
            d.path(path),
            msg.as_ref()
        ));
    }

    /// `metadata.name` of an object whose names follow `rule`, reported as the API server
    /// does when missing, empty or malformed.
    pub fn name(&mut self, d: Doc, name: &Option<String>, rule: NameRule) -> Option<String> {
        self.name_at(d, "metadata.name", name.as_deref(), rule)
    }

    /// A name at `path` (required, following `rule`).
    pub fn name_at(
        &mut self,
        d: Doc,
        path: &str,
        name: Option<&str>,
        rule: NameRule,
    ) -> Option<String> {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            self.doc(d, path, "Required value: name or generateName is required");
            return None;
        };
        let problems = rule.invalid(name);
        let valid = problems.is_empty();
        for p in problems {
            self.doc(d, path, p);
        }
        valid.then(|| name.to_owned())
    }
}

/// A quantity as an integer: millicores for `cpu`, base units for every other resource.
pub(super) fn quantity(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    name: &str,
    q: &Spanned<QuantityText>,
) -> Option<i64> {
    quantity_at(r, d, || path.to_string(), name, q)
}

/// [`quantity`] with its field path made only for an error (a pod has many quantities).
fn quantity_at(
    r: &mut Resolver,
    d: Doc,
    path: impl FnOnce() -> String,
    name: &str,
    q: &Spanned<QuantityText>,
) -> Option<i64> {
    let parsed = match Quantity::parse(q.value.as_str()) {
        Ok(v) => v,
        Err(e) => {
            r.at(d, q, &path(), e.to_string());
            return None;
        }
    };
    let v = if name == "cpu" {
        parsed.as_milli_i64()
    } else {
        parsed.as_units_i64()
    };
    match v {
        Some(v) if v >= 0 => Some(v),
        _ => {
            let msg = format!(
                "must be a non-negative quantity that fits 64 bits, got {:?}",
                q.value.as_str()
            );
            r.at(d, q, &path(), msg);
            None
        }
    }
}

/// A resource list (`requests`, `capacity`, ...) as [`Resources`].
pub(super) fn resources(r: &mut Resolver, d: Doc, path: &str, qs: &Quantities) -> Resources {
    resources_at(r, d, &|| path.to_string(), qs)
}

/// [`resources`] with its field path made only for an error.
pub(super) fn resources_at(
    r: &mut Resolver,
    d: Doc,
    path: &dyn Fn() -> String,
    qs: &Quantities,
) -> Resources {
    let mut out = Resources::default();
    for (name, q) in qs {
        if let Some(v) = quantity_at(r, d, || format!("{}.{name}", path()), name, q) {
            out.set(name, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn bad_quantity_points_at_the_value() {
        let text = sim("").replace("memory: 16Gi", "memory: 1..5Gi");
        let (file, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        let (line, col) = position(&text, "1..5Gi");
        let shown = errs[0].to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}:{col}: ", file.display())),
            "{shown}"
        );
        assert!(
            shown.contains("spec.cluster.nodePools[0].template.status.capacity.memory"),
            "{shown}"
        );
        assert!(shown.contains("invalid quantity"), "{shown}");
    }

    #[test]
    fn bad_quantity_in_a_later_document_has_the_file_line() {
        let pod = POD.replace("cpu: 500m", "cpu: 5x");
        let text = format!("{}---\n# a comment\n{pod}", sim(""));
        let (file, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        let (line, col) = position(&text, "5x");
        assert_eq!(
            errs[0].to_string(),
            format!(
                "{}:{line}:{col}: spec.containers[0].resources.requests.cpu: {}",
                file.display(),
                errs[0].message
            )
        );
        assert!(errs[0].message.contains("invalid quantity"));
    }
}
