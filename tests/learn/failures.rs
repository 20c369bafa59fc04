//! The failure lessons (20 to 24): node crashes, tolerations, a zone outage, a week of random
//! failures and spot interruptions, each story's times and figures checked in its run.

use super::*;

impl Run {
    /// A workload's entry in summary.json's `availability` (`deployment/NS/NAME`).
    fn availability(&self, object: &str) -> serde_json::Value {
        self.summary["availability"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["object"] == object)
            .unwrap_or_else(|| panic!("no availability of {object} in summary.json"))
            .clone()
    }

    /// A workload's seconds short of ready pods, rounded to the second.
    fn downtime(&self, object: &str) -> f64 {
        self.availability(object)["downtime_s"]
            .as_f64()
            .unwrap()
            .round()
    }

    /// A flow's requests left unserved over the run (summary.json's `services`).
    fn unserved(&self, object: &str) -> f64 {
        let services = self.summary["services"].as_array().unwrap();
        let s = services.iter().find(|s| s["object"] == object).unwrap();
        s["unserved_requests"].as_f64().unwrap()
    }

    /// The pods of `prefix` created after the start (the replacements).
    fn replacements(&self, prefix: &str) -> Vec<String> {
        let names = self.pods_named(prefix).into_iter();
        names.filter(|p| self.t(p, "created_s") > 0.0).collect()
    }

    /// The times of the Events of `reason` on pod `default/name`.
    fn pod_times(&self, reason: &str, pod: &str) -> Vec<f64> {
        self.times(reason, &format!("Pod/default/{pod}"))
    }
}

#[test]
fn learn_20_a_crashed_node_s_pods_are_replaced_after_50_plus_300_seconds() {
    let name = "20-node-crash-at-peak";
    let r = run_learn(name, &[]);
    narratives_mention(
        name,
        &["300", "175", "355", "100", "655", "656", "301", "840"],
    );
    assert_eq!(r.times("NodeNotReady", "Node/general-2"), [355.0]);
    let lost = r.pods_on("general-2");
    assert_eq!(lost.len(), 2, "two web pods per node");
    for p in &lost {
        assert_eq!(r.pod_times("NodeNotReady", p), [355.0]);
        assert_eq!(r.pod_times("TaintManagerEviction", p), [655.0]);
        // Marked for deletion at 655 s, gone only when the node is back to finish it.
        assert_eq!(r.t(p, "deleted_s"), 840.0);
    }
    let new = r.replacements("web-");
    let mut nodes: Vec<String> = new.iter().map(|p| r.pod(p, "node")).collect();
    nodes.sort();
    assert_eq!(nodes, ["general-3", "general-4"]);
    for p in &new {
        assert_eq!((r.t(p, "created_s"), r.t(p, "ready_s")), (655.0, 656.0));
    }
    // A quarter of the requests go to the dead pods until they leave the endpoints (kube-proxy
    // syncs a second after the controller marks them not ready); then 6 pods serve 600/s.
    let unserved = |t: f64| r.at("unserved_rps", "service/default/web", t);
    assert_eq!(unserved(299.0), 0.0);
    for t in [301.0, 330.0, 356.0] {
        assert_eq!(unserved(t), 175.0, "at {t} s");
    }
    for t in [357.0, 500.0, 657.0] {
        assert_eq!(unserved(t), 100.0, "at {t} s");
    }
    assert_eq!((unserved(658.0), unserved(900.0)), (0.0, 0.0));
    let ready = |t: f64| r.at("nodes_ready", "cluster", t);
    assert_eq!(
        (ready(354.0), ready(355.0), ready(839.0), ready(840.0)),
        (4.0, 3.0, 3.0, 4.0)
    );
    assert!(r.pods_on("general-2").iter().all(|p| lost.contains(p)));
    assert_eq!(r.downtime("deployment/default/web"), 301.0);
    assert_eq!(r.summary["faults"][0]["time_to_recover_s"], 356.0);
}

#[test]
fn learn_21_a_30_second_toleration_heals_faster_and_moves_pods_for_a_short_partition() {
    let name = "21-short-toleration-seconds";
    let r = run_learn(name, &[]);
    narratives_mention(
        name,
        &[
            "30", "300", "355", "385", "386", "655", "600", "685", "686", "720", "62", "365",
            "21075", "55075", "4900", "8400",
        ],
    );
    assert_eq!(r.times("NodeNotReady", "Node/general-2"), [355.0]);
    assert_eq!(r.times("NodeNotReady", "Node/general-3"), [655.0]);
    assert_eq!(r.times("NodeReady", "Node/general-3"), [720.0]);
    let on = |node: &str, app: &str| -> Vec<String> {
        let pods = r.pods_on(node).into_iter();
        pods.filter(|p| p.starts_with(app)).collect()
    };
    // The crash: web's pods evicted after 30 s, api's after 300 s.
    for (app, evicted) in [("web-", 385.0), ("api-", 655.0)] {
        let crashed = on("general-2", app);
        assert_eq!(crashed.len(), 2);
        for p in &crashed {
            assert_eq!(r.pod_times("TaintManagerEviction", p), [evicted], "{p}");
        }
    }
    // The partition: web's pods marked for deletion at 685 s while they still run, stopped
    // when the node rejoins; api's kept, their deletion cancelled.
    for p in on("general-3", "web-") {
        assert_eq!(r.pod_times("TaintManagerEviction", &p), [685.0]);
        assert_eq!(r.pod_times("Killing", &p), [720.0]);
        assert_eq!(r.t(&p, "deleted_s"), 750.0, "{p}: 30 s grace period");
    }
    for p in on("general-3", "api-") {
        let e = r.events("TaintManagerEviction", &format!("Pod/default/{p}"));
        let cancelled = format!("Cancelling deletion of Pod default/{p}");
        assert_eq!(e, [(720.0, cancelled)]);
        assert_eq!(r.pod(&p, "deleted_s"), "");
    }
    let ready = |prefix: &str| -> Vec<(f64, f64)> {
        let pods = r.replacements(prefix).into_iter();
        let mut t: Vec<(f64, f64)> = pods
            .map(|p| (r.t(&p, "created_s"), r.t(&p, "ready_s")))
            .collect();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        t
    };
    assert_eq!(
        ready("web-"),
        [
            (385.0, 386.0),
            (385.0, 386.0),
            (685.0, 686.0),
            (685.0, 686.0)
        ]
    );
    assert_eq!(ready("api-"), [(655.0, 656.0), (655.0, 656.0)]);
    assert_eq!(r.downtime("deployment/default/web"), 62.0);
    assert_eq!(r.downtime("deployment/default/api"), 365.0);
    assert_eq!(r.unserved("service/default/web"), 21075.0);
    assert_eq!(r.unserved("service/default/api"), 55075.0);
    // Of which, before the first fault: the seconds before the pods were Ready (each sample
    // counts the second before it).
    let start_up = |svc: &str| -> f64 {
        let s = r.series("unserved_rps", &format!("service/default/{svc}"));
        s.iter()
            .filter(|p| p.0 > 0.0 && p.0 < 300.0)
            .map(|p| p.1)
            .sum()
    };
    assert_eq!((start_up("web"), start_up("api")), (4900.0, 8400.0));
    // The partitioned node's pods served on until they left the endpoints.
    assert_eq!(r.at("unserved_rps", "service/default/web", 650.0), 0.0);
}

#[test]
fn learn_22_spreading_limits_a_zone_s_loss_and_a_hard_constraint_waits_for_the_zone() {
    let name = "22-zone-outage-and-topology-spread";
    let r = run_learn(name, &[]);
    narratives_mention(
        name,
        &[
            "300", "355", "655", "665", "675", "685", "686", "666", "1500", "331", "311", "1146",
            "2-2-2",
        ],
    );
    let zone = |p: &str| r.pod(p, "node")[..6].to_string();
    let spread = |app: &str| -> [usize; 3] {
        let first = r
            .pods_named(app)
            .into_iter()
            .filter(|p| r.t(p, "created_s") == 0.0);
        let mut n = [0; 3];
        for p in first {
            n[["zone-a", "zone-b", "zone-c"]
                .iter()
                .position(|z| *z == zone(&p))
                .unwrap()] += 1;
        }
        n
    };
    assert_eq!(spread("checkout-"), [4, 1, 1]);
    assert_eq!(spread("search-"), [2, 2, 2]);
    assert_eq!(spread("cart-"), [2, 2, 2]);
    for i in 1..=4 {
        let node = format!("Node/zone-a-{i}");
        assert_eq!(r.times("NodeNotReady", &node), [355.0], "{node}");
    }
    // The taints 10 s apart: each node's pods evicted together, 300 s after its taint.
    let mut evicted: Vec<f64> = (1..=4)
        .flat_map(|i| r.pods_on(&format!("zone-a-{i}")))
        .flat_map(|p| r.events("TaintManagerEviction", &format!("Pod/default/{p}")))
        .filter(|(_, m)| m.starts_with("Marking for deletion"))
        .map(|(t, _)| t)
        .collect();
    evicted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    evicted.dedup();
    assert_eq!(evicted, [655.0, 665.0, 675.0, 685.0]);
    let last_ready = |app: &str| -> f64 {
        let new = r.replacements(app).into_iter();
        new.map(|p| r.t(&p, "ready_s")).fold(0.0, f64::max)
    };
    assert_eq!(last_ready("checkout-"), 686.0);
    assert_eq!(last_ready("search-"), 666.0);
    // cart's replacements wait for zone a, then go there.
    let cart = r.replacements("cart-");
    assert_eq!(cart.len(), 2);
    for p in &cart {
        assert_eq!(r.t(p, "scheduled_s"), 1500.0);
        assert_eq!(zone(p), "zone-a");
        let created = r.t(p, "created_s");
        let why = failed_at(&r, p, created);
        assert!(
            why.contains("2 node(s) didn't match pod topology spread constraints")
                && why
                    .contains("4 node(s) had untolerated taint {node.kubernetes.io/unreachable: }"),
            "{why}"
        );
    }
    let avail = |app: &str| r.availability(&format!("deployment/default/{app}"));
    assert_eq!(avail("checkout")["min"], 1.0 / 3.0);
    assert_eq!(avail("search")["min"], 4.0 / 6.0);
    assert_eq!(avail("cart")["min"], 4.0 / 6.0);
    assert_eq!(r.downtime("deployment/default/checkout"), 331.0);
    assert_eq!(r.downtime("deployment/default/search"), 311.0);
    assert_eq!(r.downtime("deployment/default/cart"), 1146.0);
}

#[test]
fn learn_23_a_spare_node_cuts_a_week_s_downtime_but_misses_three_nines() {
    let name = "23-a-week-of-node-failures";
    let r = run_learn(name, &[]);
    narratives_mention(
        name,
        &[
            "72h", "30m", "20", "343", "353", "82", "8180", "16383", "99.32", "3421", "99.86",
            "99.9", "350",
        ],
    );
    let faults = r.summary["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 20);
    assert_eq!(r.summary["faults_injected"], 20);
    let in_pool = |pool: &str| -> Vec<&serde_json::Value> {
        let prefix = format!("node-crash {pool}-");
        faults
            .iter()
            .filter(|f| f["fault"].as_str().unwrap().starts_with(&prefix))
            .collect()
    };
    let (tight, spare) = (in_pool("tight"), in_pool("spare"));
    assert_eq!((tight.len(), spare.len()), (5, 15));
    let empty = faults
        .iter()
        .filter(|f| f["workloads_affected"] == 0)
        .count();
    assert_eq!(empty, 3, "crashes of nodes without pods");
    let recoveries = |fs: &[&serde_json::Value]| -> Vec<f64> {
        let hit = fs.iter().filter(|f| f["workloads_affected"] == 1);
        let mut t: Vec<f64> = hit
            .map(|f| f["time_to_recover_s"].as_f64().unwrap().round())
            .collect();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        t
    };
    let spare_t = recoveries(&spare);
    // Replaced after 50 s + 300 s (less the time since the last heartbeat), but for two
    // repairs that came first.
    let (usual, early): (Vec<f64>, Vec<f64>) =
        spare_t.iter().partition(|t| (343.0..=353.0).contains(*t));
    assert_eq!(
        (usual.len(), early),
        (10, vec![229.0, 273.0]),
        "{spare_t:?}"
    );
    let tight_t = recoveries(&tight);
    assert_eq!(
        (tight_t.first(), tight_t.last()),
        (Some(&82.0), Some(&8180.0))
    );
    let mean = |d: &str| {
        r.availability(&format!("deployment/default/{d}"))["mean"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(format!("{:.2}", 100.0 * mean("orders")), "99.32");
    assert_eq!(format!("{:.2}", 100.0 * mean("payments")), "99.86");
    assert_eq!(r.downtime("deployment/default/orders"), 16383.0);
    assert_eq!(r.downtime("deployment/default/payments"), 3421.0);
    assert!(r.summary["wall_seconds"].as_f64().unwrap() < 5.0);
}

#[test]
fn learn_24_a_spot_notice_reaches_only_a_handler_and_a_graceful_shutdown_replaces_at_once() {
    let name = "24-spot-interruptions-under-load";
    let r = run_learn(name, &[]);
    narratives_mention(
        name,
        &[
            "12", "1000", "300", "100", "420", "30s", "10s", "20", "440", "441", "446", "200", "7",
        ],
    );
    let timeline = r.summary["timeline"].as_array().unwrap();
    let drain = timeline
        .iter()
        .find(|c| c["action"] == "drain spot-2 --ignore-daemonsets");
    assert_eq!(drain.unwrap()["status"], "done");
    // spot-2's pods evicted at the notice and replaced at once; one replacement on spot-1.
    let drained = r.pods_on("spot-2");
    assert_eq!(drained.len(), 3);
    for p in &drained {
        assert_eq!(r.pod_times("Killing", p), [300.0]);
    }
    let mut early: Vec<String> = (r.replacements("web-").into_iter())
        .filter(|p| r.t(p, "created_s") == 300.0)
        .map(|p| r.pod(&p, "node"))
        .collect();
    early.sort();
    assert_eq!(early, ["spot-1", "spot-3", "spot-4"]);
    // spot-1 shuts down at the end of the notice: its 4 pods stopped in 20 s, Failed.
    assert_eq!(r.times("Shutdown", "Node/spot-1"), [420.0]);
    let stopped = r.pods_on("spot-1");
    assert_eq!(stopped.len(), 4);
    for p in &stopped {
        assert_eq!(r.pod_times("Killing", p), [420.0]);
        assert_eq!(r.pod(p, "phase"), "Failed");
        assert_eq!(r.pod(p, "reason"), "Terminated");
        assert_eq!(r.t(p, "finished_s"), 440.0);
    }
    let mut late: Vec<(String, f64)> = (r.replacements("web-").into_iter())
        .filter(|p| r.t(p, "created_s") == 440.0)
        .map(|p| (r.pod(&p, "node"), r.t(&p, "ready_s")))
        .collect();
    late.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let want = [
        ("on-demand-1", 446.0),
        ("on-demand-2", 446.0),
        ("spot-3", 441.0),
        ("spot-4", 441.0),
    ];
    assert_eq!(late, want.map(|(n, t)| (n.to_string(), t)));
    // The stopping pods serve through their 20 s; their replacements take over a second
    // after they fail (kube-proxy's sync).
    let unserved = |t: f64| r.at("unserved_rps", "service/default/web", t);
    assert_eq!(
        (unserved(301.0), unserved(302.0), unserved(303.0)),
        (0.0, 100.0, 0.0)
    );
    for t in 420..=441 {
        assert_eq!(unserved(f64::from(t)), 0.0, "at {t} s");
    }
    assert_eq!((unserved(442.0), unserved(443.0)), (200.0, 0.0));
    assert_eq!(r.downtime("deployment/default/web"), 7.0);
}
