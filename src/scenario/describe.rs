//! Every resolved parameter that decides a run, as text (`scenario.resolved.txt`), seed
//! first: what the defaults, the pools and the admission rules made of the scenario, so that a
//! reader sees exactly what was simulated.

use super::model::Scenario;
use crate::api::arrival::{ArrivalTemplate, QuantityDraw, RequestDraws, Source};
use crate::api::duration::format_duration_ms;
use crate::api::pod::PodSpec;
use crate::api::{Labels, Node, ObjectMeta};
use std::fmt::Write;

/// The resolved scenario, one `key: value` line per parameter, objects one line each.
pub fn describe(s: &Scenario) -> String {
    let mut t = String::new();
    let mut line = |k: &str, v: &dyn std::fmt::Display| {
        let _ = writeln!(t, "{k}: {v}");
    };
    line("seed", &s.seed);
    line("scenario", &s.name);
    line("duration", &format_duration_ms(s.duration.ms()));
    line("timings.podStartup", &s.timings.pod_startup);
    line("timings.imagePull", &s.timings.image_pull);
    line(
        "timings.schedulingCycle",
        &s.scheduler_timings.scheduling_cycle,
    );
    line("timings.binding", &s.scheduler_timings.binding);
    line(
        "output.metricsInterval",
        &format_duration_ms(s.output.metrics_interval_ms),
    );
    line("output.explain", &s.output.explain);
    line(
        "output.plots",
        &s.output.plots.map_or("auto".to_string(), |p| p.to_string()),
    );
    line("output.events", &s.output.events.as_str());
    line("output.pods", &s.output.pods.text());
    line(
        "output.nodeMetrics",
        &s.output
            .node_metrics
            .map_or("auto".to_string(), |p| p.to_string()),
    );
    line("output.podMetrics", &s.output.pod_metrics);
    let pct = s.scheduler.percentage_of_nodes_to_score;
    line(
        "scheduler.percentageOfNodesToScore",
        &pct.map_or("adaptive".to_string(), |p| p.to_string()),
    );
    profiles(&mut t, s);
    cluster(&mut t, s);
    workloads(&mut t, s);
    autoscalers(&mut t, s);
    t
}

/// One line per HorizontalPodAutoscaler, defaults applied.
fn autoscalers(t: &mut String, s: &Scenario) {
    use crate::api::hpa::{MetricSpec, MetricTarget, ScalingRules};
    let target = |m: &MetricTarget| match m {
        MetricTarget::Utilization(p) => format!("utilization {p}%"),
        MetricTarget::AverageValue(v) => format!("averageValue {v}m"),
        MetricTarget::Value(v) => format!("value {v}m"),
    };
    let metric = |m: &MetricSpec| match m {
        MetricSpec::Resource { name, target: t } => format!("{} {}", name.as_str(), target(t)),
        MetricSpec::ContainerResource {
            name,
            container,
            target: t,
        } => format!("{} of {container} {}", name.as_str(), target(t)),
        MetricSpec::Pods {
            metric,
            average_value,
        } => format!("pods {} averageValue {average_value}m", metric.name),
        MetricSpec::Object {
            described,
            metric,
            target: t,
        } => format!(
            "object {}/{} {} {}",
            described.kind,
            described.name,
            metric.name,
            target(t)
        ),
        MetricSpec::External { metric, target: t } => {
            format!("external {} {}", metric.name, target(t))
        }
    };
    let rules = |r: &ScalingRules| {
        let policies: Vec<String> = r
            .policies
            .iter()
            .map(|p| format!("{:?} {}/{}s", p.kind, p.value, p.period_s))
            .collect();
        format!(
            "window={} select={:?} policies=[{}] tolerance={}",
            r.stabilization_window_s
                .map_or("controller".into(), |w| format!("{w}s")),
            r.select_policy,
            policies.join(", "),
            r.tolerance.map_or("controller".into(), |x| x.to_string())
        )
    };
    for h in s.hpas.iter().map(|h| &h.hpa) {
        let metrics: Vec<String> = h.spec.metrics.iter().map(metric).collect();
        let behavior = h.spec.behavior.as_ref().map_or("none".into(), |b| {
            format!(
                "scaleUp({}) scaleDown({})",
                rules(&b.scale_up),
                rules(&b.scale_down)
            )
        });
        let _ = writeln!(
            t,
            "horizontalPodAutoscaler {}/{}: target={}/{} replicas={}..{} metrics=[{}] \
             behavior={behavior}",
            h.namespace,
            h.name,
            h.spec.target.kind.kind(),
            h.spec.target.name,
            h.spec.min_replicas,
            h.spec.max_replicas,
            metrics.join(", ")
        );
    }
}

fn cluster(t: &mut String, s: &Scenario) {
    let _ = writeln!(t, "nodes: {}", s.nodes.len());
    for n in &s.nodes {
        node(t, n);
    }
    for pc in &s.priority_classes {
        let _ = writeln!(
            t,
            "priorityClass {}: value={} globalDefault={} preemptionPolicy={:?}",
            pc.name, pc.value, pc.global_default, pc.preemption_policy
        );
    }
    let _ = writeln!(t, "namespaces: {}", s.namespaces.join(", "));
    for (ns, labels) in &s.namespace_labels {
        let _ = writeln!(t, "namespace {ns}: labels={}", labels_text(labels));
    }
    for svc in &s.services {
        let sel = labels_text(&svc.selector);
        let _ = writeln!(t, "service {}/{}: selector={sel}", svc.namespace, svc.name);
    }
    for b in &s.pdbs {
        let selector = b.selector.as_ref().map_or("none".into(), |s| s.to_string());
        let _ = writeln!(
            t,
            "podDisruptionBudget {}/{}: selector={selector} minAvailable={} maxUnavailable={}",
            b.namespace,
            b.name,
            int_or_percent(b.min_available),
            int_or_percent(b.max_unavailable)
        );
    }
    for c in &s.storage_classes {
        let _ = writeln!(
            t,
            "storageClass {}: provisioner={} volumeBindingMode={} default={} \
             allowedTopologies={:?}",
            c.name,
            c.provisioner,
            c.binding_mode,
            c.is_default,
            c.allowed_topologies
                .iter()
                .map(|t| &t.requirements)
                .collect::<Vec<_>>()
        );
    }
    for v in &s.volumes {
        let _ = writeln!(
            t,
            "persistentVolume {}: capacity={} accessModes={:?} class={:?} nodeAffinity={}",
            v.meta.name,
            v.spec.capacity,
            v.spec.access_modes,
            v.spec.storage_class,
            v.spec.node_affinity.is_some()
        );
    }
    for c in &s.claims {
        let _ = writeln!(
            t,
            "persistentVolumeClaim {}/{}: request={} accessModes={:?} class={:?} volume={:?}",
            c.meta.namespace,
            c.meta.name,
            c.spec.request,
            c.spec.access_modes,
            c.spec.storage_class,
            c.spec.volume_name
        );
    }
}

fn node(t: &mut String, n: &Node) {
    let taints: Vec<String> = n
        .taints
        .iter()
        .map(|x| format!("{}={}:{:?}", x.key, x.value, x.effect))
        .collect();
    let _ = writeln!(
        t,
        "node {}: pool={} capacity={} allocatable={} taints=[{}] unschedulable={} images=[{}] \
         labels={}",
        n.meta.name,
        n.pool.as_deref().unwrap_or("-"),
        n.capacity,
        n.allocatable,
        taints.join(", "),
        n.unschedulable,
        n.images
            .iter()
            .map(|i| i.names.join("|"))
            .collect::<Vec<_>>()
            .join(","),
        labels_text(&n.meta.labels)
    );
}

fn workloads(t: &mut String, s: &Scenario) {
    for p in &s.pods {
        let _ = writeln!(
            t,
            "pod {}: labels={} {}",
            key(&p.meta),
            labels_text(&p.meta.labels),
            pod_spec(&p.spec)
        );
    }
    for j in &s.jobs {
        let _ = writeln!(
            t,
            "job {}: parallelism={} completions={:?} backoffLimit={} activeDeadline={} \
             template: labels={} {}",
            key(&j.meta),
            j.spec.parallelism,
            j.spec.completions,
            j.spec.backoff_limit,
            j.spec
                .active_deadline_ms
                .map_or("none".into(), format_duration_ms),
            labels_text(&j.spec.template_meta.labels),
            pod_spec(&j.spec.template)
        );
    }
    for source in &s.arrivals {
        let stream = source.stream_name();
        match source {
            Source::Stream(a) => {
                let what = match &a.template {
                    ArrivalTemplate::Pod { meta, spec } => format!(
                        "Pod {}: labels={} {}",
                        key(meta),
                        labels_text(&meta.labels),
                        pod_spec(spec)
                    ),
                    ArrivalTemplate::Job { meta, spec } => format!(
                        "Job {}: parallelism={} completions={:?} backoffLimit={} template: \
                         labels={} {}",
                        key(meta),
                        spec.parallelism,
                        spec.completions,
                        spec.backoff_limit,
                        labels_text(&spec.template_meta.labels),
                        pod_spec(&spec.template)
                    ),
                };
                let _ = writeln!(
                    t,
                    "arrivals {} (random stream {stream}): count={} every={} start={} \
                     requests={} creates {what}",
                    a.name,
                    a.count,
                    a.every,
                    format_duration_ms(a.start.ms()),
                    draws(a.requests.as_ref())
                );
            }
            Source::Trace { name, rows, base } => {
                let span = match (rows.first(), rows.last()) {
                    (Some(f), Some(l)) => format!(
                        "{}..{}",
                        format_duration_ms(f.arrival_ms),
                        format_duration_ms(l.arrival_ms)
                    ),
                    _ => "-".into(),
                };
                let _ = writeln!(
                    t,
                    "trace {name} (random stream {stream}): rows={} arrivals={span} base: {}",
                    rows.len(),
                    pod_spec(base)
                );
            }
        }
    }
}

/// What decides a pod's fate: scheduler, priority, requests, limits, placement fields,
/// behaviour.
fn pod_spec(s: &PodSpec) -> String {
    let limits: Vec<String> = s.containers.iter().map(|c| c.limits.to_string()).collect();
    let b = &s.behaviour;
    let dist =
        |d: &Option<crate::api::Distribution>| d.as_ref().map_or("-".into(), |d| d.to_string());
    let tolerations: Vec<String> = s
        .tolerations
        .iter()
        .map(|t| {
            let effect = t.effect.map_or(String::new(), |e| format!(":{e:?}"));
            let secs = t
                .toleration_seconds
                .map_or(String::new(), |x| format!(" for {x}s"));
            format!("{}{:?}{}{effect}{secs}", t.key, t.operator, t.value)
        })
        .collect();
    let spread: Vec<String> = s
        .topology_spread_constraints
        .iter()
        .map(|c| {
            format!(
                "{} maxSkew {} {:?} selector {} minDomains {:?}",
                c.topology_key,
                c.max_skew,
                c.when_unsatisfiable,
                selector_text(&c.label_selector),
                c.min_domains
            )
        })
        .collect();
    let ports: Vec<String> = s
        .host_ports
        .iter()
        .map(|h| format!("{}:{}/{:?}", h.ip, h.port, h.protocol))
        .collect();
    let volumes: Vec<&str> = s.volumes.iter().map(|v| &*v.claim_name).collect();
    format!(
        "scheduler={} priority={} preemptionPolicy={:?} requests={} limits=[{}] nodeName={} \
         nodeSelector={} tolerations=[{}] nodeAffinity={} podAffinity={} spread=[{}] \
         gates=[{}] hostPorts=[{}] claims=[{}] restartPolicy={:?} gracePeriod={} \
         duration={} startup={} exitCode={} cpuUsage={} memoryUsage={} ungateAfter={}",
        s.scheduler_name,
        s.priority,
        s.preemption_policy,
        s.requests,
        limits.join("; "),
        s.node_name.as_deref().unwrap_or("-"),
        labels_text(&s.node_selector),
        tolerations.join(", "),
        s.node_affinity
            .as_ref()
            .map_or("-".into(), node_affinity_text),
        s.pod_affinity
            .as_ref()
            .map_or("-".into(), pod_affinity_text),
        spread.join("; "),
        s.scheduling_gates.join(", "),
        ports.join(", "),
        volumes.join(", "),
        s.restart_policy,
        format_duration_ms(s.termination_grace_ms),
        dist(&b.duration),
        dist(&b.startup),
        b.exit_code,
        b.cpu_usage_m.map_or("-".into(), |m| format!("{m}m")),
        b.memory_usage.map_or("-".into(), |m| m.to_string()),
        dist(&b.ungate_after),
    )
}

fn selector_text(s: &Option<crate::api::LabelSelector>) -> String {
    s.as_ref().map_or("none".into(), |s| format!("{{{s}}}"))
}

fn term_text(t: &crate::api::NodeSelectorTerm) -> String {
    let parts: Vec<String> = t
        .match_expressions
        .iter()
        .chain(&t.match_fields)
        .map(|r| r.to_string())
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn node_affinity_text(a: &crate::api::NodeAffinity) -> String {
    let required: Vec<String> = a.required.iter().flatten().map(term_text).collect();
    let preferred: Vec<String> = a
        .preferred
        .iter()
        .map(|p| format!("{}×{}", p.weight, term_text(&p.term)))
        .collect();
    format!(
        "required [{}] preferred [{}]",
        required.join(" or "),
        preferred.join(", ")
    )
}

fn pod_affinity_text(a: &crate::api::pod_affinity::PodAffinity) -> String {
    let terms = |t: &crate::api::pod_affinity::PodAffinityTerms| {
        let one = |x: &crate::api::pod_affinity::PodAffinityTerm| {
            format!("{} by {}", selector_text(&x.label_selector), x.topology_key)
        };
        let required: Vec<String> = t.required.iter().map(one).collect();
        let preferred: Vec<String> = t
            .preferred
            .iter()
            .map(|w| format!("{}×{}", w.weight, one(&w.term)))
            .collect();
        format!(
            "required [{}] preferred [{}]",
            required.join(", "),
            preferred.join(", ")
        )
    };
    format!(
        "affinity {} anti-affinity {}",
        terms(&a.affinity),
        terms(&a.anti_affinity)
    )
}

fn draws(d: Option<&RequestDraws>) -> String {
    let Some(d) = d else {
        return "template".into();
    };
    let one = |q: &Option<QuantityDraw>| q.as_ref().map_or("-".into(), |q| q.to_string());
    format!(
        "cpu={} memory={} memoryPerCpu={}",
        one(&d.cpu),
        one(&d.memory),
        one(&d.memory_per_cpu)
    )
}

/// Each profile's own settings: percentage of nodes to score and plugin arguments (the
/// plugins per extension point come from the built scheduler).
fn profiles(t: &mut String, s: &Scenario) {
    for p in &s.scheduler.profiles {
        let pct = p
            .percentage_of_nodes_to_score
            .map_or("global".to_string(), |x| x.to_string());
        let _ = writeln!(
            t,
            "profile {}: percentageOfNodesToScore={pct}",
            p.scheduler_name
        );
        for (name, args) in &p.plugin_args {
            let _ = writeln!(t, "  pluginConfig {name}: {}", plugin_args_text(args));
        }
    }
}

fn weights_text(w: &[crate::api::scheduler_config::ResourceWeight]) -> String {
    let parts: Vec<String> = w
        .iter()
        .map(|r| format!("{}:{}", r.name, r.weight))
        .collect();
    parts.join(",")
}

fn plugin_args_text(args: &crate::api::scheduler_config::PluginArgs) -> String {
    use crate::api::scheduler_config::PluginArgs;
    match args {
        PluginArgs::NodeResourcesFit(f) => format!(
            "scoringStrategy.type={:?} resources={} shape={:?} ignoredResources={:?} \
             ignoredResourceGroups={:?}",
            f.strategy,
            weights_text(&f.resources),
            f.shape,
            f.ignored_resources,
            f.ignored_resource_groups
        ),
        PluginArgs::BalancedAllocation(b) => format!("resources={}", weights_text(&b.resources)),
        PluginArgs::InterPodAffinity(a) => format!(
            "hardPodAffinityWeight={} ignorePreferredTermsOfExistingPods={}",
            a.hard_pod_affinity_weight, a.ignore_preferred_terms_of_existing_pods
        ),
        PluginArgs::NodeAffinity(a) => format!(
            "addedAffinity={}",
            a.added_affinity
                .as_ref()
                .map_or("-".to_string(), node_affinity_text)
        ),
        PluginArgs::PodTopologySpread(a) => {
            let constraints: Vec<String> = a
                .default_constraints
                .iter()
                .map(|c| {
                    format!(
                        "{}:{}:{:?}:minDomains={}:{:?}/{:?}",
                        c.topology_key,
                        c.max_skew,
                        c.when_unsatisfiable,
                        c.min_domains.map_or("-".to_string(), |m| m.to_string()),
                        c.node_affinity_policy,
                        c.node_taints_policy
                    )
                })
                .collect();
            format!(
                "defaultingType={:?} defaultConstraints=[{}]",
                a.defaulting_type,
                constraints.join(",")
            )
        }
        PluginArgs::DefaultPreemption(a) => format!(
            "minCandidateNodesPercentage={} minCandidateNodesAbsolute={}",
            a.min_candidate_nodes_percentage, a.min_candidate_nodes_absolute
        ),
        PluginArgs::VolumeBinding(a) => {
            format!("bindTimeoutSeconds={}", a.bind_timeout_seconds)
        }
        PluginArgs::DynamicResources(a) => format!(
            "filterTimeout={} (not modelled)",
            format_duration_ms(a.filter_timeout_ms)
        ),
    }
}

fn int_or_percent(v: Option<crate::api::disruption::IntOrPercent>) -> String {
    use crate::api::disruption::IntOrPercent;
    match v {
        None => "-".into(),
        Some(IntOrPercent::Int(n)) => n.to_string(),
        Some(IntOrPercent::Percent(p)) => format!("{p}%"),
    }
}

fn key(m: &ObjectMeta) -> String {
    format!("{}/{}", m.namespace, m.name)
}

fn labels_text(l: &Labels) -> String {
    let pairs: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", pairs.join(","))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn every_resolved_parameter_is_written_seed_first() {
        let text = format!(
            "{}---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: high}}
value: 1000
---
apiVersion: batch/v1
kind: Job
metadata: {{name: pi}}
spec:
  parallelism: 2
  template:
    spec:
      priorityClassName: high
      restartPolicy: Never
      containers: [{{name: c, image: perl, resources: {{limits: {{cpu: 500m}}}}}}]
---
{POD}",
            sim(
                "  seed: 7\n  arrivals:\n  - name: web\n    count: 5\n    every: exponential(2s)\n    requests: {cpu: \"choice(250m, 500m)\"}\n    template: {kind: Pod, metadata: {name: w}, spec: {containers: [{name: c, image: i}]}}\n"
            )
        );
        let d = describe(&ok(&[("s.yaml", &text)]));
        assert!(
            d.starts_with("seed: 7\nscenario: t\nduration: 1h0m0s\n"),
            "{d}"
        );
        for want in [
            "timings.podStartup: 1s",
            "output.metricsInterval: 15s",
            "scheduler.percentageOfNodesToScore: adaptive",
            "nodes: 3",
            "node pool-2: pool=pool capacity=cpu=4000m,memory=17179869184,pods=110",
            "priorityClass high: value=1000 globalDefault=false",
            "job default/pi: parallelism=2 completions=None backoffLimit=6",
            "priority=1000",
            "limits=[cpu=500m]",
            "arrivals web (random stream arrivals/web): count=5 every=exponential(2s) start=0s",
            "pod default/p: labels={} scheduler=default-scheduler priority=0",
            "requests=cpu=choice(250m, 500m) memory=- memoryPerCpu=-",
        ] {
            assert!(d.contains(want), "{want:?} missing from\n{d}");
        }
    }
}
