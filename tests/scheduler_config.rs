//! Scenario tests for the plugin args of a KubeSchedulerConfiguration: real YAML run through
//! the binary, placements and events checked (`addedAffinity`, PodTopologySpread's
//! `defaultConstraints`, DefaultPreemption's `minCandidateNodes*`).

mod common;

use common::{read, run};
use std::collections::BTreeMap;
use std::path::Path;

/// Writes `yaml` into `dir` and runs it with `extra` flags; the run directory.
fn run_yaml(dir: &Path, name: &str, yaml: &str, extra: &[&str]) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    let out = dir.join(format!("{name}-out"));
    run(&file, &out, extra);
    out
}

/// `pod name -> (node, phase)` from pods.csv.
fn placements(out: &Path) -> BTreeMap<String, (String, String)> {
    read(out, "pods.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), (f[3].to_string(), f[4].to_string()))
        })
        .collect()
}

const ADDED_AFFINITY: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: added-affinity}
spec:
  seed: 3
  duration: 10m
  cluster:
    nodePools:
      - {name: gpu, count: 2, template: {metadata: {labels: {pool: gpu}}, status: {capacity: {cpu: "8", memory: 32Gi}}}}
      - {name: fast, count: 2, template: {metadata: {labels: {pool: cpu, tier: fast}}, status: {capacity: {cpu: "8", memory: 32Gi}}}}
      - {name: slow, count: 2, template: {metadata: {labels: {pool: cpu}}, status: {capacity: {cpu: "8", memory: 32Gi}}}}
  arrivals:
    - name: batch
      count: 8
      every: 1s
      template:
        kind: Pod
        metadata: {name: batch}
        spec:
          schedulerName: batch
          containers: [{name: c, image: busybox, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: wants-gpu}
spec:
  schedulerName: batch
  nodeSelector: {pool: gpu}
  containers: [{name: c, image: busybox, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: default-gpu}
spec:
  nodeSelector: {pool: gpu}
  containers: [{name: c, image: busybox, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
  - schedulerName: batch
    pluginConfig:
      - name: NodeAffinity
        args:
          addedAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions: [{key: pool, operator: In, values: [cpu]}]
            preferredDuringSchedulingIgnoredDuringExecution:
              - weight: 100
                preference:
                  matchExpressions: [{key: tier, operator: In, values: [fast]}]
"#;

/// The `batch` profile's `addedAffinity` keeps its pods on `pool: cpu` nodes and prefers the
/// fast ones; a batch pod asking for a GPU node fits nowhere, the enforced reason named for
/// the GPU nodes; the default profile is untouched.
#[test]
fn added_affinity_applies_to_every_pod_of_its_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_yaml(tmp.path(), "added", ADDED_AFFINITY, &[]);
    let p = placements(&out);
    let batch: Vec<&(String, String)> = p
        .iter()
        .filter(|(n, _)| n.starts_with("batch-"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(batch.len(), 8);
    for (node, phase) in &batch {
        assert_eq!(phase, "Running");
        assert!(node.starts_with("fast-"), "batch pod on {node}: {p:?}");
    }
    assert_eq!(p["wants-gpu"].1, "Pending");
    assert!(p["default-gpu"].0.starts_with("gpu-"), "{p:?}");
    let events = read(&out, "events.csv");
    assert!(
        events.contains(
            "0/6 nodes are available: 2 node(s) didn't match scheduler-enforced node affinity, 4 node(s) didn't match Pod's node affinity/selector."
        ),
        "{events}"
    );
}

/// Two big nodes in zones a and b, one small node in zone c; a Service selects the web
/// pods, which have no constraints of their own; the profile is `profile`.
fn spread_scenario(profile: &str) -> String {
    format!(
        r#"
apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {{name: default-constraints}}
spec:
  seed: 5
  duration: 10m
  cluster:
    nodePools:
      - {{name: big, count: 2, zones: [a, b], template: {{status: {{capacity: {{cpu: "8", memory: 32Gi}}}}}}}}
      - {{name: small, count: 1, zones: [c], template: {{status: {{capacity: {{cpu: "1", memory: 32Gi}}}}}}}}
  arrivals:
    - name: web
      count: 4
      every: 1s
      template:
        kind: Pod
        metadata: {{name: web, labels: {{app: web}}}}
        spec:
          schedulerName: {profile}
          containers: [{{name: c, image: busybox, resources: {{requests: {{cpu: "2", memory: 1Gi}}}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec: {{selector: {{app: web}}}}
---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
  - schedulerName: zonal
    pluginConfig:
      - name: PodTopologySpread
        args:
          defaultingType: List
          defaultConstraints:
            - {{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}}
"#
    )
}

/// A listed DoNotSchedule default constraint keeps the Service's pods within maxSkew 1 over
/// the zones: zone c has no room, so only one pod runs in each of a and b and the others
/// wait; under the system defaults (which only score) all four run.
#[test]
fn listed_default_constraints_filter_the_pods_a_service_selects() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_yaml(tmp.path(), "zonal", &spread_scenario("zonal"), &[]);
    let p = placements(&out);
    let running: Vec<&String> = p
        .values()
        .filter(|(_, phase)| phase == "Running")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(running.len(), 2, "{p:?}");
    assert_ne!(running[0], running[1]);
    let events = read(&out, "events.csv");
    assert!(
        events.contains("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match pod topology spread constraints."),
        "{events}"
    );

    let out = run_yaml(
        tmp.path(),
        "system",
        &spread_scenario("default-scheduler"),
        &[],
    );
    let p = placements(&out);
    assert!(p.values().all(|(_, phase)| phase == "Running"), "{p:?}");
}

/// Ten full one-cpu nodes: the victim on `node-1` has priority 1, the others 50. A
/// priority-100 pod preempts. With the default args every node is a candidate, so the
/// cheapest victim goes; with `minCandidateNodesAbsolute: 1` (and 0 %) the search stops at the
/// first candidate from the random offset.
fn preemption_scenario(args: &str) -> String {
    let mut victims = String::new();
    for i in 1..=10 {
        let class = if i == 1 { "low" } else { "mid" };
        victims.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: victim-{i}}}\nspec:\n  nodeName: node-{i}\n  priorityClassName: {class}\n  containers: [{{name: c, image: busybox, resources: {{requests: {{cpu: \"1\", memory: 1Gi}}}}}}]\n"
        ));
    }
    format!(
        r#"
apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {{name: candidates}}
spec:
  duration: 5m
  cluster:
    nodePools:
      - {{name: node, count: 10, template: {{status: {{capacity: {{cpu: "1", memory: 32Gi}}}}}}}}
  arrivals:
    - name: urgent
      count: 1
      every: 1s
      start: 1m
      template:
        kind: Pod
        metadata: {{name: urgent}}
        spec:
          priorityClassName: high
          containers: [{{name: c, image: busybox, resources: {{requests: {{cpu: "1", memory: 1Gi}}}}}}]
---
{{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: low}}, value: 1}}
---
{{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: mid}}, value: 50}}
---
{{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: high}}, value: 100}}
{victims}---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - pluginConfig:
      - name: DefaultPreemption
        args: {args}
"#
    )
}

/// The pod preempted in `out`.
fn victim(out: &Path) -> String {
    let events = read(out, "events.csv");
    let preempted: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Preempted,"))
        .collect();
    assert_eq!(preempted.len(), 1, "{events}");
    let object = preempted[0].split(',').nth(3).unwrap();
    object.rsplit('/').next().unwrap().to_string()
}

#[test]
fn min_candidate_nodes_bound_the_preemption_search() {
    let tmp = tempfile::tempdir().unwrap();
    let mut narrow = Vec::new();
    for seed in 1..=4 {
        let seed = seed.to_string();
        let dir = tmp.path().join(&seed);
        std::fs::create_dir(&dir).unwrap();
        let all = run_yaml(&dir, "all", &preemption_scenario("{}"), &["--seed", &seed]);
        assert_eq!(victim(&all), "victim-1", "seed {seed}");
        let one =
            preemption_scenario("{minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1}");
        let first = run_yaml(&dir, "first", &one, &["--seed", &seed]);
        narrow.push(victim(&first));
    }
    assert!(
        narrow.iter().any(|v| v != "victim-1"),
        "one candidate is the first the random offset reaches: {narrow:?}"
    );
}
