//! `kubesim.io/v1alpha1` Simulation: the document that says how long to run, with which
//! seed, on which generated nodes, with which timings, arrivals and outputs.

pub(super) mod annotations;
mod arrival;
mod faults;
mod trace;
mod traffic;

#[cfg(test)]
pub(super) use arrival::TemplateRef;
pub(super) use arrival::{simulation_template_hints, with_template_kind_hints};

use super::core::{NodeSpec, NodeStatus, add_node, node};
use super::kinds::Manifest;
use super::meta::ObjectMeta;
use super::model::OutputOptions;
use super::resolver::{Doc, Resolver};
use super::yaml::{LoadError, Located, Spanned};
use crate::api::arrival::Source;
use crate::api::clock::{DEFAULT_START, parse_rfc3339};
use crate::api::duration::parse_duration_ms;
use crate::api::hpa::ControllerSettings;
use crate::api::kubelet::{KubeletTimings, SchedulerTimings};
use crate::api::names::NameRule;
use crate::api::node::{LABEL_HOSTNAME, LABEL_POOL, LABEL_ZONE};
use crate::api::output::{EventRows, PodRows};
use crate::api::{Distribution, Labels};
use crate::engine::SimTime;
use arrival::Arrival;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The largest node pool a scenario may declare (a guard against a typo that would exhaust
/// memory; a million nodes is far beyond any real cluster).
const MAX_POOL_NODES: i64 = 1_000_000;

/// The `kubesim.io/v1alpha1` Simulation document.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Simulation {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: SimulationSpec,
}

/// Simulation spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationSpec {
    /// Random seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The wall-clock instant of t = 0 (RFC 3339).
    #[serde(default)]
    pub start_time: Option<Spanned<String>>,
    /// Simulated duration (required), e.g. `2h`.
    pub duration: Spanned<String>,
    /// Generated cluster.
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// Timing models by name (`podStartup`, `imagePull`, ...): durations or distributions as text.
    #[serde(default)]
    pub timings: BTreeMap<String, Spanned<String>>,
    /// Workload arrivals.
    #[serde(default)]
    pub arrivals: Vec<Arrival>,
    /// Output settings.
    #[serde(default)]
    pub output: OutputSpec,
    /// Request rates per Service or workload.
    #[serde(default)]
    pub traffic: Vec<traffic::TrafficEntry>,
    /// kubectl commands at simulated times.
    #[serde(default)]
    pub timeline: Vec<super::kubectl::TimelineEntry>,
    /// Random failures.
    #[serde(default)]
    pub faults: Vec<faults::FaultEntry>,
}

/// Generated cluster.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterSpec {
    /// Node pools.
    pub node_pools: Vec<NodePool>,
}

/// A pool of identical nodes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NodePool {
    /// Pool name (node name prefix).
    pub name: String,
    /// Number of nodes.
    pub count: Spanned<i64>,
    /// Zones to spread the nodes over.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Node template.
    #[serde(default)]
    pub template: NodeTemplate,
}

/// Node template of a pool.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeTemplate {
    /// Metadata (labels, annotations).
    pub metadata: ObjectMeta,
    /// Spec (taints, unschedulable).
    pub spec: NodeSpec,
    /// Status (capacity, allocatable, images).
    pub status: NodeStatus,
}

/// Output settings.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutputSpec {
    /// Metrics sampling interval (duration text).
    pub metrics_interval: Option<Spanned<String>>,
    /// Produce plots and the report.
    pub plots: Option<bool>,
    /// Produce scheduling explanations.
    pub explain: Option<bool>,
    /// Which Events to write: all, warnings, none.
    pub events: Option<Spanned<String>>,
    /// Which pods to write: all, none, or a percentage.
    pub pods: Option<Spanned<String>>,
    /// Write per-node series.
    pub node_metrics: Option<bool>,
    /// Write per-pod usage series.
    pub pod_metrics: Option<bool>,
}

/// The Simulation document and where it is.
pub(super) struct TheSimulation<'a> {
    /// As written.
    pub sim: &'a Simulation,
    /// Its file.
    pub file: PathBuf,
    /// Its first line.
    pub line: u32,
}

impl TheSimulation<'_> {
    /// Its document.
    pub fn doc(&self) -> Doc<'_> {
        Doc {
            file: &self.file,
            line: self.line,
            item: None,
        }
    }
}

/// The one Simulation document (a second is an error; none is an error at the first path,
/// unless one was found and could not be read: its own errors say enough).
pub(super) fn simulation<'a>(
    r: &mut Resolver,
    manifests: &'a [Located<Manifest>],
    paths: &[PathBuf],
    unreadable: bool,
) -> Option<TheSimulation<'a>> {
    let mut found: Option<TheSimulation> = None;
    for m in manifests {
        let Manifest::Simulation(s) = &m.value else {
            continue;
        };
        match &found {
            None => {
                found = Some(TheSimulation {
                    sim: s,
                    file: m.file.clone(),
                    line: m.line,
                })
            }
            Some(first) => {
                let msg = format!(
                    "a second Simulation document; the first is at {}:{}",
                    first.file.display(),
                    first.line
                );
                r.doc(Doc::of(m), "", msg);
            }
        }
    }
    if found.is_none() && !unreadable {
        let file = paths.first().cloned().unwrap_or_default();
        r.errors.push(LoadError::in_file(
            &file,
            "no Simulation document (apiVersion: kubesim.io/v1alpha1, kind: Simulation) found",
        ));
    }
    found
}

/// The nodes of `spec.cluster.nodePools`, named `<pool>-1`, `<pool>-2`, ..., labelled with
/// their pool, hostname and (round robin) zone.
pub(super) fn node_pools(r: &mut Resolver, s: &TheSimulation) {
    let sd = s.doc();
    for (pi, pool) in s.sim.spec.cluster.node_pools.iter().enumerate() {
        let path = format!("spec.cluster.nodePools[{pi}]");
        if pool.count.value < 0 {
            r.at(
                sd,
                &pool.count,
                &format!("{path}.count"),
                format!("must not be negative, got {}", pool.count.value),
            );
            continue;
        }
        if pool.count.value > MAX_POOL_NODES {
            r.at(
                sd,
                &pool.count,
                &format!("{path}.count"),
                format!(
                    "at most {MAX_POOL_NODES} nodes per pool, got {}",
                    pool.count.value
                ),
            );
            continue;
        }
        let template = super::core::Node {
            metadata: pool.template.metadata.clone(),
            spec: pool.template.spec.clone(),
            status: pool.template.status.clone(),
        };
        let errors_before = r.errors.len();
        for i in 1..=pool.count.value {
            if r.errors.len() > errors_before {
                // The template is invalid: report it once, not once per node.
                break;
            }
            let name = format!("{}-{i}", pool.name);
            let mut extra = Labels::new();
            extra.insert(LABEL_POOL.into(), pool.name.clone());
            extra.insert(LABEL_HOSTNAME.into(), name.clone());
            if !pool.zones.is_empty() {
                extra.insert(
                    LABEL_ZONE.into(),
                    pool.zones[((i - 1) as usize) % pool.zones.len()].clone(),
                );
            }
            if let Some(n) = node(
                r,
                sd,
                &format!("{path}.template"),
                &template,
                name,
                extra,
                Some(pool.name.clone()),
            ) {
                add_node(r, sd, &format!("{path}.name"), n);
            }
        }
    }
}

/// What the Simulation's spec decides beyond the cluster.
pub(super) struct SimulationSpecResolved {
    /// `metadata.name`.
    pub name: String,
    /// `kubesim.io/description`.
    pub description: String,
    /// `kubesim.io/description.LANG` translations, sorted by tag.
    pub translations: Vec<(String, String)>,
    /// `spec.seed` (default 1).
    pub seed: u64,
    /// `spec.duration`.
    pub duration: SimTime,
    /// `spec.timings`: the kubelet's.
    pub timings: KubeletTimings,
    /// `spec.timings`: the scheduler's.
    pub scheduler_timings: SchedulerTimings,
    /// `spec.output`.
    pub output: OutputOptions,
    /// `spec.arrivals`.
    pub arrivals: Vec<Source>,
    /// `spec.timeline`'s kubectl commands, in time order.
    pub timeline: Vec<crate::api::kubectl::TimedCommand>,
    /// `spec.timeline`'s faults, in time order.
    pub faults: Vec<crate::api::fault::TimedFault>,
    /// `spec.faults`.
    pub generators: Vec<crate::api::fault::FaultGenerator>,
    /// `spec.startTime`, ms since the Unix epoch.
    pub start_unix_ms: i64,
    /// `spec.traffic`.
    pub traffic: Vec<crate::api::traffic::Traffic>,
    /// The HPA controller's and metrics-server's settings (`spec.timings`).
    pub autoscaling: crate::api::hpa::ControllerSettings,
}

/// The Simulation's name, seed, duration, timings, outputs and arrivals (after every other
/// kind: arrival templates are checked like the manifests).
pub(super) fn spec(r: &mut Resolver, s: &TheSimulation) -> SimulationSpecResolved {
    let sd = s.doc();
    let spec = &s.sim.spec;
    let duration = match parse_duration_ms(&spec.duration.value) {
        Ok(ms) if ms > 0 => ms,
        Ok(_) => {
            r.at(sd, &spec.duration, "spec.duration", "must be positive");
            1
        }
        Err(e) => {
            r.at(sd, &spec.duration, "spec.duration", e.to_string());
            1
        }
    };
    let (timings, scheduler_timings, autoscaling) = timings(r, sd, &spec.timings);
    let generators = faults::faults(r, sd, &spec.faults);
    let traffic = traffic::traffic(r, sd, &spec.traffic);
    let output = output(r, sd, &spec.output);
    let arrivals = arrival::arrivals(r, sd, &spec.arrivals);
    let (timeline, faults) = super::kubectl::timeline(r, sd, &spec.timeline, SimTime(duration));
    let start_unix_ms = start_time(r, sd, spec.start_time.as_ref());
    // The name names the default output directory (`results/<name>`): a subdomain cannot
    // leave it.
    let name = r
        .name(sd, &s.sim.metadata.name, NameRule::Subdomain)
        .unwrap_or_default();
    let description = s
        .sim
        .metadata
        .annotations
        .get("kubesim.io/description")
        .cloned()
        .unwrap_or_default();
    // BTreeMap order: sorted by language tag.
    let translations = s
        .sim
        .metadata
        .annotations
        .iter()
        .filter_map(|(k, v)| {
            let lang = k.strip_prefix("kubesim.io/description.")?;
            Some((lang.to_string(), v.clone()))
        })
        .collect();
    SimulationSpecResolved {
        name,
        description,
        translations,
        seed: spec.seed.unwrap_or(1),
        duration: SimTime(duration),
        timings,
        scheduler_timings,
        output,
        arrivals,
        timeline,
        faults,
        generators,
        start_unix_ms,
        traffic,
        autoscaling,
    }
}

/// `spec.startTime` as given, or the default (its errors are reported by [`spec`]).
pub(super) fn start_unix_ms(sim: Option<&TheSimulation>) -> i64 {
    let given = sim.and_then(|s| s.sim.spec.start_time.as_ref());
    given
        .and_then(|t| parse_rfc3339(&t.value).ok())
        .unwrap_or_else(|| parse_rfc3339(DEFAULT_START).expect("the default start parses"))
}

/// `spec.startTime` (default [`DEFAULT_START`]).
fn start_time(r: &mut Resolver, sd: Doc, t: Option<&Spanned<String>>) -> i64 {
    let default = parse_rfc3339(DEFAULT_START).expect("the default start parses");
    let Some(t) = t else {
        return default;
    };
    parse_rfc3339(&t.value).unwrap_or_else(|e| {
        r.at(sd, t, "spec.startTime", e);
        default
    })
}

/// `spec.timings`: each a duration or a distribution; the kubelet's and the scheduler's.
fn timings(
    r: &mut Resolver,
    sd: Doc,
    given: &BTreeMap<String, Spanned<String>>,
) -> (KubeletTimings, SchedulerTimings, ControllerSettings) {
    let mut timings = KubeletTimings::default();
    let mut scheduler = SchedulerTimings::default();
    let mut autoscaling = ControllerSettings::default();
    for (key, value) in given {
        let path = format!("spec.timings.{key}");
        let slot = match key.as_str() {
            "podStartup" => &mut timings.pod_startup,
            "imagePull" => &mut timings.image_pull,
            "kubeProxySync" => &mut timings.kube_proxy_sync,
            "schedulingCycle" => &mut scheduler.scheduling_cycle,
            "binding" => &mut scheduler.binding,
            "hpaSyncPeriod"
            | "hpaCpuInitializationPeriod"
            | "hpaInitialReadinessDelay"
            | "hpaDownscaleStabilization"
            | "metricResolution" => {
                autoscaling_timing(r, sd, &path, key, value, &mut autoscaling);
                continue;
            }
            "shutdownGracePeriod" | "shutdownGracePeriodCriticalPods" => {
                match parse_duration_ms(&value.value) {
                    Ok(ms) if ms >= 0 => match key.as_str() {
                        "shutdownGracePeriod" => timings.shutdown_grace_period_ms = ms,
                        _ => timings.shutdown_grace_period_critical_pods_ms = ms,
                    },
                    Ok(_) => r.at(sd, value, &path, "must not be negative"),
                    Err(e) => r.at(sd, value, &path, e.to_string()),
                }
                continue;
            }
            "nodeMonitorGracePeriod" => {
                r.warn(sd, format!("{path} is not modelled yet; ignored"));
                continue;
            }
            _ => {
                r.at(
                    sd,
                    value,
                    &path,
                    "unknown timing; expected podStartup, imagePull, kubeProxySync, \
                     schedulingCycle, binding, hpaSyncPeriod, hpaCpuInitializationPeriod, \
                     hpaInitialReadinessDelay, hpaDownscaleStabilization, metricResolution, \
                     shutdownGracePeriod or shutdownGracePeriodCriticalPods",
                );
                continue;
            }
        };
        match Distribution::parse(&value.value) {
            Ok(dist) => *slot = dist,
            Err(e) => r.at(sd, value, &path, e.to_string()),
        }
    }
    if timings.shutdown_grace_period_critical_pods_ms > timings.shutdown_grace_period_ms {
        // The kubelet's own check (`pkg/kubelet/apis/config/validation`).
        let path = "spec.timings.shutdownGracePeriodCriticalPods";
        let value = &given["shutdownGracePeriodCriticalPods"];
        r.at(sd, value, path, "must not exceed shutdownGracePeriod");
    }
    (timings, scheduler, autoscaling)
}

/// One of the HPA controller's or metrics-server's durations (constants, not distributions:
/// upstream's flags).
fn autoscaling_timing(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    key: &str,
    value: &Spanned<String>,
    settings: &mut ControllerSettings,
) {
    let ms = match parse_duration_ms(&value.value) {
        Ok(ms) => ms,
        Err(e) => return r.at(sd, value, path, e.to_string()),
    };
    let (slot, least) = match key {
        "hpaSyncPeriod" => (&mut settings.sync_period_ms, 1),
        "hpaCpuInitializationPeriod" => (&mut settings.cpu_initialization_period_ms, 0),
        "hpaInitialReadinessDelay" => (&mut settings.initial_readiness_delay_ms, 0),
        "hpaDownscaleStabilization" => (&mut settings.downscale_stabilization_ms, 0),
        _ => (&mut settings.metric_resolution_ms, 10_000),
    };
    if ms < least {
        let what = if least == 1 {
            "positive".to_string()
        } else {
            format!("at least {least} ms")
        };
        return r.at(sd, value, path, format!("must be {what}"));
    }
    *slot = ms;
}

/// `spec.output`.
fn output(r: &mut Resolver, sd: Doc, o: &OutputSpec) -> OutputOptions {
    let mut output = OutputOptions {
        plots: o.plots,
        explain: o.explain.unwrap_or(false),
        node_metrics: o.node_metrics,
        pod_metrics: o.pod_metrics.unwrap_or(false),
        ..Default::default()
    };
    if let Some(e) = &o.events {
        output.events = match e.value.as_str() {
            "all" => EventRows::All,
            "warnings" => EventRows::Warnings,
            "none" => EventRows::None,
            other => {
                r.at(
                    sd,
                    e,
                    "spec.output.events",
                    format!("{other:?}: expected all, warnings or none"),
                );
                EventRows::All
            }
        };
    }
    if let Some(p) = &o.pods {
        match PodRows::parse(&p.value) {
            Ok(rows) => output.pods = rows,
            Err(e) => r.at(sd, p, "spec.output.pods", e),
        }
    }
    if let Some(iv) = &o.metrics_interval {
        match parse_duration_ms(&iv.value) {
            Ok(ms) if ms > 0 => output.metrics_interval_ms = ms,
            Ok(_) => r.at(sd, iv, "spec.output.metricsInterval", "must be positive"),
            Err(e) => r.at(sd, iv, "spec.output.metricsInterval", e.to_string()),
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    use crate::api::node::{LABEL_HOSTNAME, LABEL_POOL};
    use crate::api::pod::DEFAULT_SCHEDULER;
    use crate::engine::SimTime;

    use super::*;
    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, crate::yaml::DeError> {
        crate::yaml::from_str(s)
    }

    #[test]
    fn integer_fields_reject_floats() {
        let e = parse::<NodePool>("name: a\ncount: 1.5\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn minimal_scenario_resolves() {
        let s = ok(&[("sim.yaml", &sim(""))]);
        assert_eq!(s.name, "t");
        assert_eq!(s.duration, SimTime(3_600_000));
        assert_eq!(s.seed, 1);
        let names: Vec<_> = s.nodes.iter().map(|n| n.name()).collect();
        assert_eq!(names, ["pool-1", "pool-2", "pool-3"]);
        let zones: Vec<_> = s.nodes.iter().map(|n| n.zone().unwrap()).collect();
        assert_eq!(zones, ["a", "b", "a"]);
        for n in &s.nodes {
            assert_eq!(
                n.meta.labels.get(LABEL_POOL).map(String::as_str),
                Some("pool")
            );
            assert_eq!(
                n.meta.labels.get(LABEL_HOSTNAME).map(String::as_str),
                Some(n.name())
            );
            assert_eq!(n.pool.as_deref(), Some("pool"));
            assert_eq!(n.capacity.cpu_m, 4000);
            assert_eq!(n.capacity.memory, 16 << 30);
            assert_eq!(n.allocatable.pods, 110);
            assert_eq!(n.capacity.pods, 110);
            assert_eq!(n.allocatable, n.capacity);
        }
        assert_eq!(s.scheduler.profiles.len(), 1);
        assert_eq!(s.scheduler.profiles[0].scheduler_name, DEFAULT_SCHEDULER);
        assert!(s.namespaces.iter().any(|n| n == "default"));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn scheduler_timings_default_to_zero_and_take_durations_or_distributions() {
        use crate::api::Distribution;
        let s = ok(&[("sim.yaml", &sim(""))]);
        assert_eq!(s.scheduler_timings, SchedulerTimings::default());
        assert_eq!(
            s.scheduler_timings.scheduling_cycle,
            Distribution::Constant(0)
        );
        let s = ok(&[(
            "sim.yaml",
            &sim("  timings: {schedulingCycle: 5ms, binding: 'uniform(1ms, 3ms)'}\n"),
        )]);
        assert_eq!(
            s.scheduler_timings.scheduling_cycle,
            Distribution::Constant(5)
        );
        assert_eq!(s.scheduler_timings.binding.to_string(), "uniform(1ms, 3ms)");
        let (_, e) = errs(&[("sim.yaml", &sim("  timings: {binding: soon}\n"))]);
        assert_eq!(e[0].path, "spec.timings.binding");
    }

    #[test]
    fn explicit_allocatable_and_pods_override_defaults() {
        let text = sim("").replace(
            "            memory: 16Gi\n",
            "            memory: 16Gi\n            pods: 20\n          allocatable: {cpu: 3500m}\n",
        );
        let s = ok(&[("sim.yaml", &text)]);
        let n = &s.nodes[0];
        assert_eq!(n.capacity.cpu_m, 4000);
        assert_eq!(n.allocatable.cpu_m, 3500);
        assert_eq!(n.allocatable.memory, 16 << 30);
        assert_eq!(n.allocatable.pods, 20);
    }
}
