//! Scenario test for the pod-counting plugins: `scenarios/pod-placement.yaml` run through the
//! binary, placements checked against the constraints, and the bad-input errors of the
//! constraint fields.

use std::collections::BTreeMap;
mod common;

use common::{kubesim, repo, run};
use std::path::Path;

/// `name -> (node, phase)` from pods.csv.
fn placements(dir: &Path) -> BTreeMap<String, (String, String)> {
    let pods = std::fs::read_to_string(dir.join("pods.csv")).unwrap();
    pods.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), (f[3].to_string(), f[4].to_string()))
        })
        .collect()
}

/// Node `general-N` is in zone `N % 3` (pools spread nodes over zones in turn).
fn zone(node: &str) -> usize {
    let i: usize = node.rsplit('-').next().unwrap().parse().unwrap();
    (i - 1) % 3
}

#[test]
fn spread_anti_affinity_and_affinity_place_pods_as_constrained() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pp");
    run(&repo("scenarios/pod-placement.yaml"), &out, &["--explain"]);
    let p = placements(&out);
    let of = |prefix: &str| -> Vec<(String, String)> {
        p.iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect()
    };

    // Web: 9 pods, maxSkew 1 over three zones -> exactly 3 per zone.
    let web = of("web-");
    assert_eq!(web.len(), 9);
    let mut per_zone = [0; 3];
    for (node, _) in &web {
        per_zone[zone(node)] += 1;
    }
    assert_eq!(per_zone, [3, 3, 3], "{web:?}");

    // Db: one per node; the seventh stays Pending.
    let db = of("db-");
    assert_eq!(db.len(), 7);
    let mut nodes: Vec<&String> = db
        .iter()
        .filter(|(_, ph)| ph == "Running")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(nodes.len(), 6, "{db:?}");
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes.len(), 6, "two db pods share a node: {db:?}");
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains("0/6 nodes are available: 6 node(s) didn't match pod anti-affinity rules."),
        "{events}"
    );

    // Cache: with web pods in every zone, the preferred zone-a wins.
    for (node, phase) in of("cache-") {
        assert_eq!(phase, "Running");
        assert_eq!(zone(&node), 0, "cache on {node}");
    }

    // The explain record shows the plugins' scores.
    let jsonl = std::fs::read_to_string(out.join("scheduling.jsonl")).unwrap();
    assert!(jsonl.contains("\"InterPodAffinity\""));
}

#[test]
fn bad_constraints_are_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("bad.yaml");
    std::fs::write(
        &f,
        r#"apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: bad}
spec:
  duration: 1m
  cluster:
    nodePools:
      - name: n
        count: 1
        template:
          status:
            capacity: {cpu: "1", memory: 1Gi}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  topologySpreadConstraints:
    - maxSkew: 0
      topologyKey: zone
      whenUnsatisfiable: Sometimes
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 500
          podAffinityTerm:
            topologyKey: ""
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {"bad key!": web}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: b}
spec:
  minAvailable: "150%"
"#,
    )
    .unwrap();
    let o = kubesim().arg("validate").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "bad.yaml:19:",
        "spec.topologySpreadConstraints[0].maxSkew: must be at least 1, got 0",
        "spec.topologySpreadConstraints[0].whenUnsatisfiable: expected DoNotSchedule or ScheduleAnyway, got \"Sometimes\"",
        "preferredDuringSchedulingIgnoredDuringExecution[0].weight: must be between 1 and 100, got 500",
        "podAffinityTerm.topologyKey: must not be empty",
        "spec.selector.bad key!:",
        "spec.minAvailable: expected a count or a percentage such as \"50%\", got \"150%\"",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}
