//! `kubesim run --snapshot FILE`: the cluster's end state as a `kind: List`, which a run that
//! continues loads again. The round trip is checked on scenarios that use every kind kubesim
//! writes: the continuing run's own snapshot (taken 1 s later, with nothing scheduled to
//! happen) is the same file, and its pods are the first run's live pods, on the same nodes,
//! taken up without restarting.

mod common;

use common::{kubesim, read, repo, run};
use serde_json::Value;
use std::path::Path;

/// The scenarios of the round trip: Deployments mid-rollout and stalled, DaemonSets on
/// joined and tainted nodes, StatefulSets with claims, volumes and zones, quotas, budgets,
/// cordoned nodes, affinity and spread, priority classes, a snapshot of a live cluster, HPAs
/// (every metric type, behavior, a failed metric, ScalingActive False).
const ROUND_TRIP: &[&str] = &[
    "scenarios/rolling-update.yaml",
    "scenarios/learn/05-pod-affinity-and-topology-spread.yaml",
    "scenarios/learn/06-priority-and-preemption.yaml",
    "scenarios/learn/07-volumes-and-zones.yaml",
    "scenarios/learn/11-rolling-update.yaml",
    "scenarios/learn/12-daemonset-growing-pool.yaml",
    "scenarios/learn/13-statefulset-ordered-scale-up.yaml",
    "scenarios/learn/14-quota-blocks-scale-up.yaml",
    "scenarios/learn/15-drain-held-by-pdb.yaml",
    "tests/data/snapshot.yaml",
    "tests/data/hpa/steps.yaml",
    "tests/data/hpa/snapshot-kinds.yaml",
    "tests/data/taint-eviction/evict.yaml",
];

/// The instant of a snapshot, from its header.
fn instant(snapshot: &str) -> String {
    let header = snapshot.lines().next().unwrap();
    assert!(header.starts_with("# kubesim snapshot"), "{header}");
    let at = header.rsplit(", ").next().unwrap().trim_end_matches('.');
    assert!(at.ends_with('Z'), "{header}");
    at.to_string()
}

/// The snapshot without its header comment.
fn body(snapshot: &str) -> String {
    snapshot
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Simulation that continues from a snapshot for one second.
fn continuation(dir: &Path, start: &str) -> std::path::PathBuf {
    let path = dir.join("continue.yaml");
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {{name: continued}}\nspec:\n  seed: 1\n  duration: 1s\n  startTime: \"{start}\"\n  output: {{plots: false}}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `name -> (node, restarts)` of the pods.csv rows `keep` selects.
fn pods(csv: &str, keep: impl Fn(&[&str]) -> bool) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| keep(f))
        .map(|f| (f[1].to_string(), f[3].to_string(), f[12].to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_snapshot_loaded_again_gives_the_same_cluster() {
    for scenario in ROUND_TRIP {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a.yaml"), tmp.path().join("b.yaml"));
        let snap = |p: &Path| vec!["--snapshot".to_string(), p.display().to_string()];
        let args = snap(&a);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&repo(scenario), &tmp.path().join("run-a"), &args);
        let first = std::fs::read_to_string(&a).unwrap();
        let next = continuation(tmp.path(), &instant(&first));
        let args = snap(&b);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push(a.to_str().unwrap());
        run(&next, &tmp.path().join("run-b"), &args);
        let second = std::fs::read_to_string(&b).unwrap();
        assert!(
            body(&first) == body(&second),
            "{scenario}: the continued cluster differs from the snapshot it was loaded from"
        );
        // The first run's live pods are the second run's, on the same nodes, not restarted.
        let live = pods(&read(&tmp.path().join("run-a"), "pods.csv"), |f| {
            f[10].is_empty() && (f[4] == "Pending" || f[4] == "Running")
        });
        let loaded = pods(&read(&tmp.path().join("run-b"), "pods.csv"), |f| {
            f[5].starts_with('-') || f[5] == "0.000"
        });
        assert_eq!(live, loaded, "{scenario}");
        assert!(!live.is_empty(), "{scenario}: no pod to carry over");
    }
}

#[test]
fn the_snapshot_is_a_list_kubectl_reads_with_owners_revisions_and_status() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("end.yaml");
    let arg = file.display().to_string();
    let scenario = repo("scenarios/learn/11-rolling-update.yaml");
    run(&scenario, &tmp.path().join("run"), &["--snapshot", &arg]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("(spec.startTime: \"2026-01-01T00:05:00Z\")"),
        "the header says where to continue:\n{}",
        &text[..300]
    );
    let list: Value = kubesim::yaml::from_str(&body(&text)).unwrap();
    assert_eq!(
        (&list["apiVersion"], &list["kind"]),
        (&"v1".into(), &"List".into())
    );
    let items = list["items"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&Value> { items.iter().filter(|i| i["kind"] == kind).collect() };
    // A Deployment's ReplicaSets keep their revision and owner; its pods their ReplicaSet.
    let web = of("Deployment")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "web")
        .unwrap();
    assert_eq!(
        web["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    assert_eq!(web["status"]["availableReplicas"], 4);
    let new_rs = of("ReplicaSet")
        .into_iter()
        .find(|rs| {
            rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
                && rs["metadata"]["ownerReferences"][0]["name"] == "web"
        })
        .unwrap();
    assert_eq!(
        new_rs["metadata"]["ownerReferences"][0]["uid"],
        web["metadata"]["uid"]
    );
    let pods = of("Pod");
    let owned: Vec<_> = pods
        .iter()
        .filter(|p| p["metadata"]["ownerReferences"][0]["uid"] == new_rs["metadata"]["uid"])
        .collect();
    assert_eq!(owned.len(), 4);
    for p in owned {
        assert_eq!(p["status"]["phase"], "Running");
        assert!(p["spec"]["nodeName"].is_string());
        let ready = &p["status"]["conditions"][1];
        assert_eq!(
            (&ready["type"], &ready["status"]),
            (&"Ready".into(), &"True".into())
        );
        assert!(
            p["status"]["startTime"]
                .as_str()
                .unwrap()
                .starts_with("2026-01-01T00:0")
        );
    }
    // The stalled Deployment keeps its ProgressDeadlineExceeded condition.
    let api = of("Deployment")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "api")
        .unwrap();
    let progressing = api["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .unwrap();
    assert_eq!(progressing["reason"], "ProgressDeadlineExceeded");
    assert_eq!(progressing["lastUpdateTime"], "2026-01-01T00:02:01Z");
    // No finished pod, no built-in class.
    assert!(pods.iter().all(|p| p["status"]["phase"] != "Succeeded"));
    assert!(of("PriorityClass").iter().all(|c| {
        !c["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("system-")
    }));
}

#[test]
fn the_snapshot_replaces_only_an_earlier_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/learn/10-replicaset-self-healing.yaml");
    let file = tmp.path().join("notes.yaml");
    std::fs::write(&file, "my notes\n").unwrap();
    let out = tmp.path().join("run");
    let o = kubesim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&scenario)
        .arg("--snapshot")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not a kubesim snapshot"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my notes\n");
    assert!(!out.exists(), "a refused run writes nothing");
    // A missing directory is refused before the run.
    let o = kubesim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&scenario)
        .arg("--snapshot")
        .arg(tmp.path().join("no/such/dir/end.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
    // An earlier snapshot is replaced, byte for byte the same for the same run, and no
    // temporary file is left beside it.
    let snap = tmp.path().join("end.yaml");
    let arg = snap.display().to_string();
    run(&scenario, &out, &["--snapshot", &arg]);
    let first = std::fs::read(&snap).unwrap();
    run(&scenario, &out, &["--snapshot", &arg]);
    assert_eq!(std::fs::read(&snap).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("kubesim-tmp")),
        "{names:?}"
    );
}

/// The HPAs of a snapshot: name -> (currentReplicas, lastScaleTime, each condition's type,
/// status, reason and lastTransitionTime).
type Hpas = Vec<(String, i64, String, Vec<[String; 4]>)>;

fn hpas(snapshot: &str) -> Hpas {
    let list: Value = kubesim::yaml::from_str(&body(snapshot)).unwrap();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (list["items"].as_array().unwrap().iter())
        .filter(|i| i["kind"] == "HorizontalPodAutoscaler")
        .map(|h| {
            let st = &h["status"];
            let conditions = (st["conditions"].as_array().unwrap().iter())
                .map(|c| {
                    [
                        s(&c["type"]),
                        s(&c["status"]),
                        s(&c["reason"]),
                        s(&c["lastTransitionTime"]),
                    ]
                })
                .collect();
            let current = st["currentReplicas"].as_i64().unwrap();
            (
                s(&h["metadata"]["name"]),
                current,
                s(&st["lastScaleTime"]),
                conditions,
            )
        })
        .collect()
}

#[test]
fn an_hpa_goes_on_from_the_status_its_snapshot_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.yaml"), tmp.path().join("b.yaml"));
    let scenario = repo("tests/data/hpa/snapshot-kinds.yaml");
    run(
        &scenario,
        &tmp.path().join("run-a"),
        &["--snapshot", a.to_str().unwrap()],
    );
    let first = std::fs::read_to_string(&a).unwrap();
    let cond = |t: &str, s: &str, r: &str, at: &str| [t, s, r, at].map(String::from);
    let at = |hms: &str| format!("2026-01-01T00:{hms}Z");
    let before = hpas(&first);
    assert_eq!(
        before[1],
        (
            "api".to_string(),
            5,
            at("11:30"),
            vec![
                cond("AbleToScale", "True", "SucceededGetScale", &at("00:15")),
                cond(
                    "ScalingActive",
                    "False",
                    "FailedGetExternalMetric",
                    &at("30:15")
                ),
                cond(
                    "ScalingLimited",
                    "False",
                    "DesiredWithinRange",
                    &at("11:30")
                ),
            ]
        )
    );
    // 30 s on, without traffic: web's pods use what they request (100 % of it against
    // 50 %): it doubles at 15 s and 30 s; api's Object metric fails too now. Each condition
    // whose status holds keeps its lastTransitionTime from the first run.
    let next = continuation(tmp.path(), &instant(&first));
    let text = std::fs::read_to_string(&next)
        .unwrap()
        .replace("duration: 1s", "duration: 30s");
    std::fs::write(&next, text).unwrap();
    let args = ["--snapshot", b.to_str().unwrap(), a.to_str().unwrap()];
    run(&next, &tmp.path().join("run-b"), &args);
    let after = hpas(&std::fs::read_to_string(&b).unwrap());
    assert_eq!(
        after[0],
        (
            "web".to_string(),
            4,
            at("40:30"),
            vec![
                cond("AbleToScale", "True", "SucceededRescale", &at("00:15")),
                cond("ScalingActive", "True", "ValidMetricFound", &at("00:15")),
                cond(
                    "ScalingLimited",
                    "False",
                    "DesiredWithinRange",
                    &at("05:45")
                ),
            ]
        )
    );
    assert_eq!(before[0].3[2], after[0].3[2]);
    assert_eq!(
        after[1].3[1],
        cond(
            "ScalingActive",
            "False",
            "FailedGetObjectMetric",
            &at("30:15")
        )
    );
    assert_eq!((after[1].1, &after[1].2), (5, &at("11:30")));
}
