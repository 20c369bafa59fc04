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
        "output.metricsInterval",
        &format_duration_ms(s.output.metrics_interval_ms),
    );
    line("output.explain", &s.output.explain);
    line("output.plots", &s.output.plots);
    let pct = s.scheduler.percentage_of_nodes_to_score;
    line(
        "scheduler.percentageOfNodesToScore",
        &pct.map_or("adaptive".to_string(), |p| p.to_string()),
    );
    cluster(&mut t, s);
    workloads(&mut t, s);
    t
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
            "podDisruptionBudget {}/{}: selector={selector} minAvailable={:?} \
             maxUnavailable={:?}",
            b.namespace, b.name, b.min_available, b.max_unavailable
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
        "node {}: pool={} capacity={} allocatable={} taints=[{}] unschedulable={} images={} \
         labels={}",
        n.meta.name,
        n.pool.as_deref().unwrap_or("-"),
        n.capacity,
        n.allocatable,
        taints.join(", "),
        n.unschedulable,
        n.images.len(),
        labels_text(&n.meta.labels)
    );
}

fn workloads(t: &mut String, s: &Scenario) {
    for p in &s.pods {
        let _ = writeln!(t, "pod {}: {}", key(&p.meta), pod_spec(&p.spec));
    }
    for j in &s.jobs {
        let _ = writeln!(
            t,
            "job {}: parallelism={} completions={:?} backoffLimit={} activeDeadline={} \
             template: {}",
            key(&j.meta),
            j.spec.parallelism,
            j.spec.completions,
            j.spec.backoff_limit,
            j.spec
                .active_deadline_ms
                .map_or("none".into(), format_duration_ms),
            pod_spec(&j.spec.template)
        );
    }
    for source in &s.arrivals {
        let stream = source.stream_name();
        match source {
            Source::Stream(a) => {
                let what = match &a.template {
                    ArrivalTemplate::Pod { meta, spec } => {
                        format!("Pod {}: {}", key(meta), pod_spec(spec))
                    }
                    ArrivalTemplate::Job { meta, spec } => format!(
                        "Job {}: parallelism={} completions={:?} backoffLimit={} template: {}",
                        key(meta),
                        spec.parallelism,
                        spec.completions,
                        spec.backoff_limit,
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
    format!(
        "scheduler={} priority={} preemptionPolicy={:?} requests={} limits=[{}] \
         nodeName={} nodeSelector={} tolerations={} affinity={} spread={} gates={} \
         hostPorts={} volumes={} restartPolicy={:?} gracePeriod={} duration={} startup={} \
         exitCode={}",
        s.scheduler_name,
        s.priority,
        s.preemption_policy,
        s.requests,
        limits.join("; "),
        s.node_name.as_deref().unwrap_or("-"),
        labels_text(&s.node_selector),
        s.tolerations.len(),
        s.node_affinity.is_some() || s.pod_affinity.is_some(),
        s.topology_spread_constraints.len(),
        s.scheduling_gates.len(),
        s.host_ports.len(),
        s.volumes.len(),
        s.restart_policy,
        format_duration_ms(s.termination_grace_ms),
        b.duration.as_ref().map_or("-".into(), |d| d.to_string()),
        b.startup.as_ref().map_or("-".into(), |d| d.to_string()),
        b.exit_code
    )
}

fn draws(d: Option<&RequestDraws>) -> String {
    let Some(d) = d else {
        return "template".into();
    };
    let one = |q: &Option<QuantityDraw>| q.as_ref().map_or("-".into(), |q| format!("{q:?}"));
    format!(
        "cpu={} memory={} memoryPerCpu={}",
        one(&d.cpu),
        one(&d.memory),
        one(&d.memory_per_cpu)
    )
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
            "pod default/p: scheduler=default-scheduler priority=0",
        ] {
            assert!(d.contains(want), "{want:?} missing from\n{d}");
        }
    }
}
