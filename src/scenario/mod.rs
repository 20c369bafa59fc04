//! Scenario loading: files -> documents -> manifests as written -> the resolved [`Scenario`].
//!
//! Staged like a compiler front end (the only module that knows YAML):
//! - [`files`] expands paths and splits files into documents; [`yaml`] reads one document
//!   into typed values that keep their line and column;
//! - `documents` dispatches each document on its `kind` through the one kind table,
//!   `kinds`, unpacking `kind: List`;
//! - one module per API group holds its kinds as written and their resolution: `core`,
//!   `apps`, `batch`, `autoscaling`, `policy`, `storage`, `scheduling`,
//!   `kubescheduler_config`, and `kubesim` (the Simulation, its arrivals and traces; the only
//!   CSV the loader reads), with `meta` for what every kind shares;
//! - [`load_scenario_checked`] resolves the kinds stage by stage (`kinds::Stage`),
//!   collecting every error as `file:line:col: field.path: message`, and builds the
//!   [`Scenario`] only when there is none.
//!
//! The loader builds `api` types and imports nothing above them (not the store, not a
//! component).

mod admission;
mod apps;
mod autoscaling;
mod batch;
mod core;
mod describe;
mod documents;
pub mod estimate;
pub mod files;
mod kinds;
mod kubectl;
mod kubescheduler_config;
mod kubesim;
mod list;
mod locate;
mod meta;
mod metrics;
mod model;
mod policy;
mod resolver;
mod scheduling;
pub mod schema;
mod storage;
#[cfg(test)]
mod testing;
mod workload_status;
pub mod yaml;

pub use crate::api::output::{EventRows, PodRows};
pub use describe::describe;
pub use kubesim::annotations::ANNOTATION_UNGATE_AFTER;
pub use model::{
    ClaimManifest, HpaManifest, JobManifest, NODE_SAMPLES_LIMIT, OutputOptions, PLOT_EVENTS_LIMIT,
    Scenario, VolumeManifest, WorkloadManifest,
};
pub use schema::ValidateMode;
pub use yaml::{LoadError, Location};

use crate::api::PriorityClass;
use crate::api::scheduler_config::SchedulerConfig;
use kinds::Stage;
use resolver::{Doc, Resolver};
use std::path::PathBuf;

/// The namespaces every cluster has.
const BUILT_IN_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Loads and validates a scenario from files and directories.
pub fn load_scenario(paths: &[PathBuf]) -> Result<Scenario, Vec<LoadError>> {
    load_scenario_checked(paths, &|_| Ok(Vec::new()))
}

/// Checks a scheduler configuration beyond its syntax (plugin names, extension points):
/// `Ok(warnings)` or `Err(errors)`. The scheduler supplies it; the loader cannot build one.
pub type SchedulerCheck<'a> = &'a dyn Fn(&SchedulerConfig) -> Result<Vec<String>, Vec<String>>;

/// Told how far loading is: what is being done (`"reading"` bytes of the files, then
/// `"resolving"` pods and Jobs), how much of it is done, of how much.
pub type LoadProgress<'a> = &'a dyn Fn(&'static str, u64, u64);

/// How a scenario is loaded.
#[derive(Clone, Copy, Default)]
pub struct LoadOptions<'a> {
    /// How unknown fields are treated (`--validate`).
    pub validate: ValidateMode,
    /// Where progress is reported, if anywhere.
    pub progress: Option<LoadProgress<'a>>,
    /// Create the namespaces objects name but no Namespace declares (`--create-namespaces`)
    /// instead of refusing them.
    pub create_namespaces: bool,
}

/// [`load_scenario`], also running `check` on the scheduler configuration and reporting what
/// it finds at the KubeSchedulerConfiguration document.
pub fn load_scenario_checked(
    paths: &[PathBuf],
    check: SchedulerCheck<'_>,
) -> Result<Scenario, Vec<LoadError>> {
    load_scenario_with(paths, check, LoadOptions::default())
}

/// [`load_scenario_checked`] with options.
pub fn load_scenario_with(
    paths: &[PathBuf],
    check: SchedulerCheck<'_>,
    options: LoadOptions<'_>,
) -> Result<Scenario, Vec<LoadError>> {
    load_scenario_reporting(paths, check, options).map_err(|failure| failure.errors)
}

/// Why a scenario did not load: every error, and the warnings found on the way.
#[derive(Clone, Debug)]
pub struct LoadFailure {
    /// The errors, each with its file, position and field path.
    pub errors: Vec<LoadError>,
    /// The warnings (unknown fields under `--validate=warn`, unmodelled fields, ...).
    pub warnings: Vec<String>,
}

/// [`load_scenario_with`], keeping the warnings when loading fails.
pub fn load_scenario_reporting(
    paths: &[PathBuf],
    check: SchedulerCheck<'_>,
    options: LoadOptions<'_>,
) -> Result<Scenario, LoadFailure> {
    load_unlocated(paths, check, options).map_err(|mut failure| {
        locate::errors(&mut failure.errors);
        locate::sort(&mut failure.errors);
        // A field read twice (a Deployment's namespace, for itself and its pods) is one error.
        failure.errors.dedup();
        failure
    })
}

/// Reports every 1,024th deferred document resolved.
fn report_resolving(progress: Option<LoadProgress<'_>>, n: usize, total: u64) {
    if let Some(p) = progress.filter(|_| n.is_multiple_of(1024)) {
        p("resolving", n as u64, total);
    }
}

fn load_unlocated(
    paths: &[PathBuf],
    check: SchedulerCheck<'_>,
    options: LoadOptions<'_>,
) -> Result<Scenario, LoadFailure> {
    // Pods and Jobs are read when their stage comes, each dropped once resolved.
    let progress = options.progress;
    let mut c = documents::collect(paths, options.validate, true, progress);
    let mut r = Resolver {
        errors: std::mem::take(&mut c.outcome.errors),
        warnings: std::mem::take(&mut c.outcome.warnings),
        namespaces: BUILT_IN_NAMESPACES.map(String::from).to_vec(),
        validate: options.validate,
        create_namespaces: options.create_namespaces,
        ..Default::default()
    };
    for pc in PriorityClass::built_in() {
        r.classes.insert(pc.name.clone(), pc);
    }
    let manifests = std::mem::take(&mut c.outcome.manifests);
    let deferred = std::mem::take(&mut c.deferred);
    let deferred_total = deferred.len() as u64;
    let mut deferred = deferred.into_iter().enumerate().peekable();
    // Stage::Config: the one Simulation and the scheduler configuration.
    let unreadable = c.outcome.simulation_unreadable;
    let sim = kubesim::simulation(&mut r, &manifests, paths, unreadable);
    r.start_unix_ms = kubesim::start_unix_ms(sim.as_ref());
    let (scheduler, scheduler_doc) = kubescheduler_config::configuration(&mut r, &manifests);
    r.profiles = scheduler
        .profiles
        .iter()
        .map(|p| p.scheduler_name.clone())
        .collect();
    // Without a Simulation every other document is still checked, so that all errors show
    // (but `nodeName`s, which may name pool nodes).
    r.nodes_known = sim.is_some();
    for stage in Stage::RESOLVED_IN_ORDER {
        if stage == Stage::Nodes
            && let Some(sim) = &sim
        {
            kubesim::node_pools(&mut r, sim);
        }
        let last = stage == Stage::Workloads;
        for (i, m) in manifests.iter().enumerate() {
            if m.value.stage() != stage {
                continue;
            }
            while let Some((n, d)) = deferred.next_if(|(_, d)| last && d.after <= i) {
                report_resolving(progress, n, deferred_total);
                if let Some(m) = c.read_deferred(d) {
                    m.value.resolve(&mut r, Doc::of(&m));
                }
            }
            m.value.resolve(&mut r, Doc::of(m));
        }
        if last {
            for (n, d) in deferred.by_ref() {
                report_resolving(progress, n, deferred_total);
                if let Some(m) = c.read_deferred(d) {
                    m.value.resolve(&mut r, Doc::of(&m));
                }
            }
        }
    }
    let rest = c.finish();
    r.errors.extend(rest.errors);
    r.warnings.extend(rest.warnings);
    storage::warn_several_defaults(&mut r);
    let Some(sim) = sim else {
        return Err(LoadFailure {
            errors: r.errors,
            warnings: r.warnings,
        });
    };
    let spec = kubesim::spec(&mut r, &sim);
    // Plugin names and extension points, checked by the scheduler itself.
    let (file, line) = scheduler_doc.unwrap_or((sim.file.clone(), sim.line));
    match check(&scheduler) {
        Ok(warnings) => {
            for w in warnings {
                r.warn(
                    Doc {
                        file: &file,
                        line,
                        item: None,
                    },
                    w,
                );
            }
        }
        Err(errs) => {
            for e in errs {
                r.errors.push(LoadError::at(&file, line, 0, "", e));
            }
        }
    }
    if !r.errors.is_empty() {
        return Err(LoadFailure {
            errors: r.errors,
            warnings: r.warnings,
        });
    }
    Ok(Scenario {
        name: spec.name,
        description: spec.description,
        translations: spec.translations,
        seed: spec.seed,
        duration: spec.duration,
        nodes: r.nodes,
        pods: r.pods,
        jobs: r.jobs,
        replica_sets: r.replica_sets,
        deployments: r.deployments,
        daemon_sets: r.daemon_sets,
        stateful_sets: r.stateful_sets,
        quotas: r.quotas,
        limit_ranges: r.limit_ranges,
        storage_classes: r.storage_classes,
        volumes: r.volumes,
        claims: r.claims,
        priority_classes: r.classes.into_values().collect(),
        namespaces: r.namespaces,
        namespace_labels: r.namespace_labels,
        pdbs: r.pdbs,
        services: r.services,
        hpas: r.hpas,
        pod_metrics: r.pod_metrics,
        scheduler,
        timings: spec.timings,
        scheduler_timings: spec.scheduler_timings,
        arrivals: spec.arrivals,
        timeline: spec.timeline,
        faults: spec.faults,
        fault_generators: spec.generators,
        traffic: spec.traffic,
        autoscaling: spec.autoscaling,
        start_unix_ms: spec.start_unix_ms,
        output: spec.output,
        warnings: r.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::testing::*;

    #[test]
    fn each_invalid_input_is_a_clear_error_with_its_path() {
        let job = "apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: c, image: busybox}]
";
        let second_sim = format!("{}---\n{}", sim(""), sim(""));
        let pod_class = format!(
            "{}---\n{}",
            sim(""),
            POD.replace("spec:\n", "spec:\n  priorityClassName: nope\n")
        );
        let pod_sched = format!(
            "{}---\n{}",
            sim(""),
            POD.replace("spec:\n", "spec:\n  schedulerName: my-scheduler\n")
        );
        let job_doc = format!("{}---\n{job}", sim(""));
        let arrival = "  arrivals:
  - count: -4
    every: 1s
    template:
      kind: Pod
      metadata: {name: a}
      spec:
        containers: [{name: c, image: busybox}]
";
        let cases: Vec<(&str, String, &str, &str)> = vec![
            (
                "unknown priority class",
                pod_class,
                "spec.priorityClassName",
                "no PriorityClass is named \"nope\"",
            ),
            (
                "unknown schedulerName",
                pod_sched,
                "spec.schedulerName",
                "no scheduler profile is named \"my-scheduler\"",
            ),
            (
                "negative pool count",
                sim("").replace("count: 3", "count: -2"),
                "spec.cluster.nodePools[0].count",
                "must not be negative, got -2",
            ),
            (
                "second Simulation",
                second_sim,
                "",
                "a second Simulation document; the first is at",
            ),
            (
                "no Simulation",
                POD.to_string(),
                "",
                "no Simulation document",
            ),
            (
                "Job template restartPolicy Always",
                job_doc,
                "spec.template.spec.restartPolicy",
                "Never or OnFailure",
            ),
            (
                "unknown timing key",
                sim("  timings: {podStartup: 1s, bogus: 2s}\n"),
                "spec.timings.bogus",
                "unknown timing",
            ),
            (
                "negative arrival count",
                sim(arrival),
                "spec.arrivals[0].count",
                "must not be negative, got -4",
            ),
            (
                "bad duration",
                sim("").replace("duration: 1h", "duration: 1 hour"),
                "spec.duration",
                "",
            ),
            (
                "huge pool count",
                sim("").replace("count: 3", "count: 5000000"),
                "spec.cluster.nodePools[0].count",
                "at most 1000000 nodes per pool",
            ),
            (
                "non-positive Job deadline",
                format!(
                    "{}---\n{}",
                    sim(""),
                    job.replace("restartPolicy: Always", "restartPolicy: Never")
                        .replace(
                            "spec:\n  template:",
                            "spec:\n  activeDeadlineSeconds: 0\n  template:"
                        )
                ),
                "spec.activeDeadlineSeconds",
                "must be positive, got 0",
            ),
            (
                "PriorityClass defined twice",
                format!(
                    "{}---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: hi}}\nvalue: 5\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: hi}}\nvalue: 6\n",
                    sim("")
                ),
                "metadata.name",
                "PriorityClass \"hi\" is defined twice",
            ),
            (
                "PriorityClass named like a built-in",
                format!(
                    "{}---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: system-node-critical}}\nvalue: 5\n",
                    sim("")
                ),
                "metadata.name",
                "is reserved for the built-in classes",
            ),
            (
                "zero metrics interval",
                sim("  output: {metricsInterval: 0s}\n"),
                "spec.output.metricsInterval",
                "must be positive",
            ),
        ];
        for (name, text, path, message) in cases {
            let (file, errs) = errs(&[("sim.yaml", &text)]);
            assert_eq!(errs.len(), 1, "{name}: {}", display(&errs));
            let e = &errs[0];
            assert_eq!(e.file, file, "{name}");
            assert_eq!(e.path, path, "{name}: {e}");
            assert!(e.message.contains(message), "{name}: {e}");
            if !path.is_empty() {
                assert!(
                    e.to_string().contains(&format!(": {path}: ")),
                    "{name}: {e}"
                );
            }
        }
    }

    #[test]
    fn scalar_errors_point_at_their_value() {
        let cases = [
            (
                sim("").replace("count: 3", "count: -2"),
                "-2",
                "spec.cluster.nodePools[0].count",
            ),
            (
                sim("  timings: {imagePull: 1s, bogus: 2s}\n"),
                "2s}",
                "spec.timings.bogus",
            ),
            (
                sim("  timings:\n    podStartup: uniform(3s)\n"),
                "uniform(3s)",
                "spec.timings.podStartup",
            ),
        ];
        for (text, needle, path) in cases {
            let (file, errs) = errs(&[("sim.yaml", &text)]);
            let (line, col) = position(&text, needle);
            let shown = errs[0].to_string();
            assert!(
                shown.starts_with(&format!("{}:{line}:{col}: {path}: ", file.display())),
                "{shown}"
            );
        }
    }

    #[test]
    fn an_unreadable_simulation_is_not_also_missing() {
        let text = sim("").replace("duration: 1h", "duration: 1h\n  seed: abc");
        assert_ne!(text, sim(""));
        let (_, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        assert_eq!(errs[0].path, "spec.seed");
    }

    #[test]
    fn every_error_is_collected() {
        let text = format!(
            "{}---\n{}",
            sim("  timings: {bogus: 1s}\n").replace("count: 3", "count: -1"),
            POD.replace("cpu: 500m", "cpu: lots")
        );
        let (_, errs) = errs(&[("sim.yaml", &text)]);
        let mut paths: Vec<_> = errs.iter().map(|e| e.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "spec.cluster.nodePools[0].count",
                "spec.containers[0].resources.requests.cpu",
                "spec.timings.bogus",
            ],
            "{}",
            display(&errs)
        );
    }
}
