//! Scenario tests of the volume, port, image and gate plugins: run the `kubesim` binary and
//! check placements in pods.csv and the upstream wording in events.csv.

mod common;

use common::{read, repo, row};
use std::path::Path;

/// Runs a scenario into `out` and returns (pods.csv, events.csv).
fn run(scenario: &Path, out: &Path) -> (String, String) {
    common::run(scenario, out, &[]);
    (read(out, "pods.csv"), read(out, "events.csv"))
}

const NODE: usize = 3;
const PHASE: usize = 4;
const SCHEDULED: usize = 6;
const REASON: usize = 16;

#[test]
fn volumes_ports_images_and_gates_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let (pods, events) = run(
        &repo("scenarios/volumes-and-ports.yaml"),
        &tmp.path().join("vp"),
    );

    // VolumeZone: the claim is bound to a zone-b volume; general-2 is the zone-b node.
    assert_eq!(row(&pods, "postgres")[NODE], "general-2");
    // VolumeBinding, WaitForFirstConsumer: the only local SSD is on general-3.
    assert_eq!(row(&pods, "cache")[NODE], "general-3");
    // Dynamic provisioning of the default class.
    assert!(events.contains(
        "Normal,ProvisioningSucceeded,PersistentVolumeClaim/default/scratch,Successfully provisioned volume pvc-default-scratch"
    ));
    assert!(events.contains("Normal,WaitForFirstConsumer,PersistentVolumeClaim/default/cache-data,waiting for first consumer to be created before binding"));
    assert!(events.contains("Normal,FailedBinding,PersistentVolumeClaim/default/archive,no persistent volumes available for this claim and no storage class is set"));
    // ImageLocality: only ml-1 holds the 6 GiB image.
    assert_eq!(row(&pods, "trainer")[NODE], "ml-1");

    // NodePorts: four nodes, five pods on host port 8080.
    let edge_nodes: std::collections::BTreeSet<String> = (1..=4)
        .map(|i| row(&pods, &format!("edge-{i}"))[NODE].clone())
        .collect();
    assert_eq!(edge_nodes.len(), 4, "one per node: {edge_nodes:?}");
    let edge5 = row(&pods, "edge-5");
    assert_eq!(
        (edge5[PHASE].as_str(), edge5[REASON].as_str()),
        ("Pending", "Unschedulable")
    );
    assert!(events.contains("Warning,FailedScheduling,Pod/default/edge-5,0/4 nodes are available: 4 node(s) didn't have free ports for the requested pod ports."));

    // SchedulingGates: no attempt while gated; ungated after 2 minutes.
    let held = row(&pods, "held");
    assert_eq!(held[PHASE], "Pending");
    assert_eq!(held[REASON], "SchedulingGated");
    assert_eq!(held[11], "0", "no scheduling attempt");
    assert!(
        !events.contains("Pod/default/held"),
        "no event for a gated pod"
    );
    let gated = row(&pods, "gated");
    assert_eq!(gated[PHASE], "Running");
    assert_eq!(gated[SCHEDULED], "120.000");
    assert_eq!(gated[REASON], "");

    // Claims that do not exist or cannot bind.
    assert!(events.contains("Warning,FailedScheduling,Pod/default/orphan,\"0/4 nodes are available: persistentvolumeclaim \"\"does-not-exist\"\" not found. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling..\""));
    assert!(events.contains("Warning,FailedScheduling,Pod/default/big-data,0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.."));
    assert_eq!(row(&pods, "orphan")[PHASE], "Pending");
}

/// Two nodes of one pool; a tainted "catalog" node tells the image's size. The first pod pulls
/// `app:1` onto one node; once the kubelet reports the image, ImageLocality draws the second
/// pod to the same node.
const IMAGE_CACHE: &str = "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata:
  name: image-cache
  annotations: {kubesim.io/description: pulled images reach the scheduler}
spec:
  seed: 5
  duration: 5m
  cluster:
    nodePools:
      - {name: n, count: 3, template: {status: {capacity: {cpu: \"8\", memory: 32Gi}}}}
  timings: {imagePull: 10s, podStartup: 1s}
  arrivals:
    - name: second
      count: 1
      every: 1s
      start: 60s
      template:
        kind: Pod
        metadata: {name: second}
        spec:
          containers: [{name: c, image: app:1, resources: {requests: {cpu: 100m, memory: 128Mi}}}]
---
apiVersion: v1
kind: Node
metadata: {name: catalog}
spec:
  taints: [{key: dedicated, value: catalog, effect: NoSchedule}]
status:
  capacity: {cpu: \"8\", memory: 32Gi}
  images: [{names: [\"app:1\"], sizeBytes: 4294967296}]
---
apiVersion: v1
kind: Pod
metadata: {name: first}
spec:
  containers: [{name: c, image: app:1, resources: {requests: {cpu: 100m, memory: 128Mi}}}]
";

#[test]
fn pulled_images_draw_later_pods_to_the_node() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("image-cache.yaml");
    std::fs::write(&file, IMAGE_CACHE).unwrap();
    let (pods, events) = run(&file, &tmp.path().join("out"));
    let first = row(&pods, "first")[NODE].clone();
    assert!(first.starts_with("n-"), "{first}");
    assert!(
        events.contains("0.000,Normal,Pulling,Pod/default/first,\"Pulling image \"\"app:1\"\"\"")
    );
    let second = row(&pods, "second-1");
    assert_eq!(
        second[NODE], first,
        "ImageLocality prefers the node that pulled app:1"
    );
    assert!(
        events.contains("Normal,Pulled,Pod/default/second-1,\"Container image \"\"app:1\"\" already present on machine\""),
        "{events}"
    );

    // Control: without ImageLocality, LeastAllocated sends the second pod to an empty node.
    let off = tmp.path().join("off.yaml");
    let config = "---\napiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n  - schedulerName: default-scheduler\n    plugins:\n      multiPoint:\n        disabled: [{name: ImageLocality}]\n";
    std::fs::write(&off, format!("{IMAGE_CACHE}{config}")).unwrap();
    let (pods, _) = run(&off, &tmp.path().join("off"));
    assert_ne!(row(&pods, "second-1")[NODE], row(&pods, "first")[NODE]);
}
