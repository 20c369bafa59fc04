//! The taint eviction controller and DefaultTolerationSeconds, on real YAML
//! (`tests/data/taint-eviction/`): a Deployment of 3 on two nodes and a pod on `n-1` that
//! tolerates `dedicated:NoExecute` for 30 s; `kubectl taint nodes n-1 dedicated=x:NoExecute`
//! at 1m. `daemonset.yaml`: the same taint on a DaemonSet's node.

mod common;

use common::{read, repo, row, run};

fn run_data(file: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    run(
        &repo(&format!("tests/data/taint-eviction/{file}")),
        &dir,
        &[],
    );
    (tmp, dir)
}

/// The events from `from` seconds on, without the start-up ones.
fn events_from(events: &str, from: f64) -> Vec<String> {
    events
        .lines()
        .skip(1)
        .filter(|l| l.split(',').next().unwrap().parse::<f64>().unwrap() >= from)
        .map(String::from)
        .collect()
}

/// `(name, node, deleted_s)` of each pod, in pods.csv order.
fn pods(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let pods = read(dir, "pods.csv");
    pods.lines()
        .skip(1)
        .map(|l| {
            let name = l.split(',').nth(1).unwrap();
            let r = row(&pods, name);
            (r[1].clone(), r[3].clone(), r[10].clone())
        })
        .collect()
}

const WEB_N1: &str = "web-6b4b59cfb5-x8hgw";
const REPLACEMENT: &str = "web-6b4b59cfb5-8vv2f";

#[test]
fn an_untolerated_no_execute_taint_evicts_at_once_and_a_toleration_for_its_seconds() {
    let (_tmp, dir) = run_data("evict.yaml");
    assert_eq!(
        pods(&dir),
        [
            ("tolerant", "n-1", "120.000"),
            ("web-6b4b59cfb5-jf6q8", "n-2", ""),
            (WEB_N1, "n-1", "90.000"),
            ("web-6b4b59cfb5-g7r9g", "n-2", ""),
            (REPLACEMENT, "n-2", ""),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    // The Deployment's pod on n-1 goes at 60 s (gone after its 30 s grace period), its
    // replacement lands on n-2; the tolerating pod goes at 90 s.
    let events = read(&dir, "events.csv");
    assert_eq!(
        events_from(&events, 60.0),
        [
            format!(
                "60.000,Normal,TaintManagerEviction,Pod/default/{WEB_N1},\
                 Marking for deletion Pod default/{WEB_N1}"
            ),
            format!("60.000,Normal,Killing,Pod/default/{WEB_N1},Stopping container web"),
            format!(
                "60.000,Normal,SuccessfulCreate,ReplicaSet/default/web-6b4b59cfb5,\
                 Created pod: {REPLACEMENT}"
            ),
            format!(
                "60.000,Normal,Scheduled,Pod/default/{REPLACEMENT},\
                 Successfully assigned default/{REPLACEMENT} to n-2"
            ),
            format!(
                "60.000,Normal,Pulled,Pod/default/{REPLACEMENT},\
                 \"Container image \"\"nginx:1.27\"\" already present on machine\""
            ),
            format!("60.000,Normal,Created,Pod/default/{REPLACEMENT},Created container: web"),
            format!("61.000,Normal,Started,Pod/default/{REPLACEMENT},Started container web"),
            "90.000,Normal,TaintManagerEviction,Pod/default/tolerant,\
             Marking for deletion Pod default/tolerant"
                .to_string(),
            "90.000,Normal,Killing,Pod/default/tolerant,Stopping container app".to_string(),
        ]
    );
}

#[test]
fn removing_the_taint_cancels_the_pending_deletion() {
    let (_tmp, dir) = run_data("cancel.yaml");
    let all = pods(&dir);
    assert_eq!(
        all.iter()
            .map(|(n, _, d)| (n.as_str(), d.as_str()))
            .collect::<Vec<_>>(),
        [
            ("tolerant", ""),
            ("web-6b4b59cfb5-jf6q8", ""),
            (WEB_N1, "90.000"),
            ("web-6b4b59cfb5-g7r9g", ""),
            (REPLACEMENT, ""),
        ]
    );
    let pods_csv = read(&dir, "pods.csv");
    assert_eq!(row(&pods_csv, "tolerant")[4], "Running");
    let events = read(&dir, "events.csv");
    let eviction: Vec<String> = events_from(&events, 60.0)
        .into_iter()
        .filter(|l| l.contains(",TaintManagerEviction,"))
        .collect();
    assert_eq!(
        eviction,
        [
            format!(
                "60.000,Normal,TaintManagerEviction,Pod/default/{WEB_N1},\
                 Marking for deletion Pod default/{WEB_N1}"
            ),
            "80.000,Normal,TaintManagerEviction,Pod/default/tolerant,\
             Cancelling deletion of Pod default/tolerant"
                .to_string(),
        ]
    );
    assert!(!events.contains("Killing,Pod/default/tolerant"));
}

#[test]
fn snapshots_carry_the_default_tolerations_and_the_taint() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("end.yaml");
    run(
        &repo("tests/data/taint-eviction/evict.yaml"),
        &tmp.path().join("out"),
        &["--snapshot", snap.to_str().unwrap()],
    );
    let text = std::fs::read_to_string(&snap).unwrap();
    // kubectl's NoExecute taint, without `timeAdded`: neither upstream's kubectl nor its API
    // server sets it.
    assert!(
        text.contains("    - effect: NoExecute\n      key: dedicated\n      value: x\n"),
        "{text}"
    );
    assert!(!text.contains("timeAdded"), "{text}");
    // DefaultTolerationSeconds' tolerations, after the pod's own.
    assert!(
        text.contains(
            "    - effect: NoExecute\n      key: node.kubernetes.io/not-ready\n      \
             operator: Exists\n      tolerationSeconds: 300\n    - effect: NoExecute\n      \
             key: node.kubernetes.io/unreachable\n      operator: Exists\n      \
             tolerationSeconds: 300\n"
        ),
        "{text}"
    );
}

#[test]
fn a_daemon_pod_on_a_node_with_an_untolerated_no_execute_taint_goes_once_and_stays_away() {
    let (_tmp, dir) = run_data("daemonset.yaml");
    // One daemon pod per node; n-1's goes when the taint comes (its 30 s grace period: gone
    // at 90 s) and is not replaced: the DaemonSet controller, like upstream's
    // (`NodeShouldRunDaemonPod`, `pkg/controller/daemon/daemon_controller.go`), keeps its
    // pods off a node whose NoSchedule and NoExecute taints they do not tolerate, and takes
    // them off one with such a NoExecute taint.
    let all = pods(&dir);
    assert_eq!(all.len(), 2, "{all:?}");
    let on_n1: Vec<_> = all.iter().filter(|p| p.1 == "n-1").collect();
    assert_eq!(on_n1.len(), 1, "{all:?}");
    assert_eq!(on_n1[0].2, "90.000");
    assert!(all.iter().any(|p| p.1 == "n-2" && p.2.is_empty()));
    // Both controllers act at 60 s, as upstream's would (the order of their Events is a race
    // there): the DaemonSet controller deletes the pod, the taint eviction controller's own
    // deletion finds it terminating already. One deletion: one Killing.
    let pod = &on_n1[0].0;
    let events = read(&dir, "events.csv");
    assert_eq!(
        events_from(&events, 60.0),
        [
            format!("60.000,Normal,SuccessfulDelete,DaemonSet/default/agent,Deleted pod: {pod}"),
            format!("60.000,Normal,Killing,Pod/default/{pod},Stopping container agent"),
            format!(
                "60.000,Normal,TaintManagerEviction,Pod/default/{pod},\
                 Marking for deletion Pod default/{pod}"
            ),
        ]
    );
    let summary: serde_json::Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    assert_eq!(summary["workloads"][0]["replicas"]["desired"], 1);
}
