//! The learning gallery, `scenarios/learn/`: every scenario run through the binary, and the
//! facts its narrative (`kubesim.io/description` and its `.zh-Hans` translation) states
//! checked in the run's own files, so that a change of behaviour cannot leave a narrative
//! silently wrong. Each test also checks that both narratives still mention the times it
//! asserts: update the scenario's annotations together with the numbers here.

#[path = "../common/mod.rs"]
mod common;
mod failures;

use common::{kubesim, read, repo, run};
use std::path::{Path, PathBuf};

/// The gallery, in reading order. A file in `scenarios/learn/` that is not listed here (and
/// so has no test of its story) fails `every_learn_scenario_is_listed_and_tested`.
const LEARN: &[&str] = &[
    "01-scheduling-insufficient-cpu",
    "02-labels-and-selectors",
    "03-taints-and-tolerations",
    "04-node-affinity",
    "05-pod-affinity-and-topology-spread",
    "06-priority-and-preemption",
    "07-volumes-and-zones",
    "08-jobs-and-retries",
    "09-crashloopbackoff",
    "10-replicaset-self-healing",
    "11-rolling-update",
    "12-daemonset-growing-pool",
    "13-statefulset-ordered-scale-up",
    "14-quota-blocks-scale-up",
    "15-drain-held-by-pdb",
    "16-hpa-traffic-spike",
    "17-hpa-diurnal-day",
    "18-hpa-scale-down-stabilization",
    "19-hpa-new-pods-without-metrics",
    "20-node-crash-at-peak",
    "21-short-toleration-seconds",
    "22-zone-outage-and-topology-spread",
    "23-a-week-of-node-failures",
    "24-spot-interruptions-under-load",
];

fn scenario(name: &str) -> PathBuf {
    repo(&format!("scenarios/learn/{name}.yaml"))
}

/// One run of a gallery scenario, its files read.
struct Run {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    pods: String,
    events: String,
    metrics: String,
    summary: serde_json::Value,
}

fn run_learn(name: &str, extra: &[&str]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    run(&scenario(name), &dir, extra);
    Run {
        pods: read(&dir, "pods.csv"),
        events: read(&dir, "events.csv"),
        metrics: read(&dir, "metrics.csv"),
        summary: serde_json::from_str(&read(&dir, "summary.json")).unwrap(),
        dir,
        _tmp: tmp,
    }
}

impl Run {
    /// A pods.csv field of the pod `name`, by column name.
    fn pod(&self, name: &str, column: &str) -> String {
        let header: Vec<&str> = self.pods.lines().next().unwrap().split(',').collect();
        let i = header
            .iter()
            .position(|h| *h == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        common::row(&self.pods, name)[i].clone()
    }

    /// A pods.csv time field, in seconds.
    fn t(&self, name: &str, column: &str) -> f64 {
        let v = self.pod(name, column);
        v.parse()
            .unwrap_or_else(|_| panic!("{name}.{column} is {v:?}, not a time"))
    }

    /// The names of the pods whose name starts with `prefix`, in pods.csv order.
    fn pods_named(&self, prefix: &str) -> Vec<String> {
        self.pods
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1))
            .filter(|n| n.starts_with(prefix))
            .map(String::from)
            .collect()
    }

    /// The pods bound to `node`.
    fn pods_on(&self, node: &str) -> Vec<String> {
        self.pods
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(3) == Some(node))
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    }

    /// The Events of `reason` on `object` (`Kind/namespace/name`): time and message.
    fn events(&self, reason: &str, object: &str) -> Vec<(f64, String)> {
        self.events
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.splitn(5, ',').collect();
                (f[2] == reason && f[3] == object).then(|| {
                    let msg = f[4]
                        .strip_prefix('"')
                        .and_then(|m| m.strip_suffix('"'))
                        .unwrap_or(f[4])
                        .replace("\"\"", "\"");
                    (f[0].parse().unwrap(), msg)
                })
            })
            .collect()
    }

    /// The times of the Events of `reason` on `object`.
    fn times(&self, reason: &str, object: &str) -> Vec<f64> {
        self.events(reason, object)
            .into_iter()
            .map(|e| e.0)
            .collect()
    }

    /// The samples of one metrics.csv series: time and value.
    fn series(&self, metric: &str, object: &str) -> Vec<(f64, f64)> {
        self.metrics
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.len() == 4 && f[1] == metric && f[2] == object)
                    .then(|| (f[0].parse().unwrap(), f[3].parse().unwrap()))
            })
            .collect()
    }

    fn peak(&self, metric: &str, object: &str) -> f64 {
        self.series(metric, object)
            .into_iter()
            .map(|s| s.1)
            .fold(f64::MIN, f64::max)
    }

    /// The value of one metrics.csv series at `at` seconds.
    fn at(&self, metric: &str, object: &str, at: f64) -> f64 {
        self.series(metric, object)
            .into_iter()
            .find(|s| s.0 == at)
            .unwrap_or_else(|| panic!("no {metric} of {object} at {at} s"))
            .1
    }

    /// The `hpa.jsonl` records of one HPA (`namespace/name`; runs with `--explain`).
    fn syncs(&self, hpa: &str) -> Vec<serde_json::Value> {
        read(&self.dir, "hpa.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["hpa"] == hpa)
            .collect()
    }

    /// The `hpa.jsonl` record of one HPA's sync at `at` seconds.
    fn sync(&self, hpa: &str, at: f64) -> serde_json::Value {
        self.syncs(hpa)
            .into_iter()
            .find(|r| r["time_s"] == at)
            .unwrap_or_else(|| panic!("no sync of {hpa} at {at} s"))
    }

    /// The SuccessfulRescale Events of HPA `default/name`: time and new size, each message
    /// checked to be `New size: N; reason: <reason>`.
    fn rescales(&self, name: &str, reason: &str) -> Vec<(f64, i64)> {
        let object = format!("HorizontalPodAutoscaler/default/{name}");
        self.events("SuccessfulRescale", &object)
            .into_iter()
            .map(|(t, m)| {
                let size = m
                    .strip_prefix("New size: ")
                    .and_then(|m| m.split_once("; reason: "))
                    .filter(|(_, r)| reason.is_empty() || *r == reason)
                    .unwrap_or_else(|| panic!("{name} at {t} s: {m:?}"))
                    .0;
                (t, size.parse().unwrap())
            })
            .collect()
    }

    /// One HPA's entry in summary.json.
    fn hpa_summary(&self, hpa: &str) -> serde_json::Value {
        self.summary["hpa"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == hpa)
            .unwrap_or_else(|| panic!("no HPA {hpa} in summary.json"))
            .clone()
    }

    /// `kubesim explain RUN_DIR what`: its output.
    fn explain(&self, what: &str) -> String {
        let o = kubesim()
            .arg("explain")
            .arg(&self.dir)
            .arg(what)
            .output()
            .expect("binary runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }

    /// The `scheduling.jsonl` records of one pod (runs with `--explain`).
    fn attempts(&self, pod: &str) -> Vec<serde_json::Value> {
        read(&self.dir, "scheduling.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["pod"] == format!("default/{pod}"))
            .collect()
    }
}

/// The one FailedScheduling message a pod got at `at` seconds.
fn failed_at(r: &Run, pod: &str, at: f64) -> String {
    let object = format!("Pod/default/{pod}");
    r.events("FailedScheduling", &object)
        .into_iter()
        .find(|e| e.0 == at)
        .unwrap_or_else(|| panic!("no FailedScheduling for {pod} at {at} s:\n{}", r.events))
        .1
}

/// The Simulation document's annotations of a scenario file, read by kubesim's YAML reader.
fn annotations(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let sim = text
        .split("\n---\n")
        .map(|d| kubesim::yaml::from_str::<serde_json::Value>(d).unwrap())
        .find(|d| d["kind"] == "Simulation")
        .unwrap_or_else(|| panic!("{}: no Simulation document", path.display()));
    sim["metadata"]["annotations"]
        .as_object()
        .unwrap_or_else(|| panic!("{}: no annotations", path.display()))
        .clone()
}

/// Both narratives of a scenario mention each of `facts` (numbers and names the test asserts).
fn narratives_mention(name: &str, facts: &[&str]) {
    let ann = annotations(&scenario(name));
    for key in ["kubesim.io/description", "kubesim.io/description.zh-Hans"] {
        let text = ann[key].as_str().unwrap();
        for fact in facts {
            assert!(
                text.contains(fact),
                "{name}: {key} no longer mentions {fact:?}; update the narrative with the test"
            );
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

#[test]
fn every_learn_scenario_is_listed_and_tested() {
    let mut files: Vec<String> = std::fs::read_dir(repo("scenarios/learn"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "yaml").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    files.sort();
    assert_eq!(
        files, LEARN,
        "a gallery scenario without a test of its story"
    );
    let readme = std::fs::read_to_string(repo("scenarios/learn/README.md")).unwrap();
    for name in LEARN {
        assert!(
            readme.contains(&format!("{name}.yaml")),
            "README.md does not list {name}"
        );
    }
}

#[test]
fn every_learn_scenario_tells_its_story_in_english_and_chinese() {
    for name in LEARN {
        let ann = annotations(&scenario(name));
        let en = ann
            .get("kubesim.io/description")
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{name}: no kubesim.io/description"));
        let zh = ann
            .get("kubesim.io/description.zh-Hans")
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{name}: no kubesim.io/description.zh-Hans"));
        let words = en.split_whitespace().count();
        assert!(
            (80..=200).contains(&words),
            "{name}: the English narrative has {words} words"
        );
        assert!(!en.chars().any(is_cjk), "{name}: CJK in the English text");
        assert!(
            zh.chars().filter(|&c| is_cjk(c)).count() > 100,
            "{name}: the zh-Hans narrative is not in Chinese: {zh}"
        );
        // The loader reads the English one (and accepts the other annotation).
        let s = common::load(&format!("scenarios/learn/{name}.yaml"));
        assert_eq!(s.description, en, "{name}");
    }
}

#[test]
fn every_learn_scenario_runs_twice_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    for name in LEARN {
        let digest = |i: u32| {
            let out = tmp.path().join(format!("{name}-{i}"));
            run(&scenario(name), &out, &[]);
            let s: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
            assert_eq!(
                s["seed"],
                name[..2].parse::<u64>().unwrap(),
                "{name}: fixed seed"
            );
            s["output_sha256"].as_str().unwrap().to_string()
        };
        assert_eq!(digest(1), digest(2), "{name}: two runs differ");
    }
}

#[test]
fn learn_01_a_pod_waits_for_cpu_and_is_scheduled_when_room_frees_up() {
    let r = run_learn("01-scheduling-insufficient-cpu", &[]);
    // Four batch pods fill both nodes, two each, and finish after 3 minutes.
    for (i, at) in [0.0, 1.0, 2.0, 3.0].into_iter().enumerate() {
        assert_eq!(r.t(&format!("batch-{}", i + 1), "scheduled_s"), at);
    }
    assert_eq!(
        r.pods_on("general-1").len(),
        3,
        "batch-1, batch-3, report-1"
    );
    assert_eq!(r.peak("cpu_allocation", "nodepool/general"), 1.0);
    let first_done = ["batch-1", "batch-2", "batch-3", "batch-4"]
        .iter()
        .map(|p| r.t(p, "finished_s"))
        .fold(f64::MAX, f64::min);
    assert_eq!(first_done, 186.0);
    assert_eq!(r.t("batch-1", "finished_s"), 186.0);
    assert_eq!(r.t("batch-3", "finished_s"), 186.0);
    assert_eq!(r.pod("batch-3", "node"), "general-1");

    // report-1 arrives at 60 s, is told "Insufficient cpu", and waits.
    assert_eq!(r.t("report-1", "created_s"), 60.0);
    let msg = failed_at(&r, "report-1", 60.0);
    assert!(
        msg.starts_with("0/2 nodes are available: 2 Insufficient cpu."),
        "{msg}"
    );
    assert!(
        r.series("scheduler_queue_unschedulable", "cluster")
            .iter()
            .any(|&(t, v)| t > 60.0 && t < 186.0 && v == 2.0),
        "both pods wait in the unschedulable queue"
    );
    // ... and is bound the moment the first batch pod finishes, on the node it left.
    assert_eq!(r.t("report-1", "scheduled_s"), first_done);
    assert_eq!(r.pod("report-1", "node"), "general-1");
    assert_eq!(
        r.t("report-1", "scheduled_s") - r.t("report-1", "created_s"),
        126.0
    );
    assert_eq!(r.t("report-1", "started_s"), 192.0);
    assert_eq!(r.summary["pending_time_s"]["max"], 132.0);

    // too-big never fits: retried when pods leave, Pending to the end.
    assert_eq!(r.pod("too-big", "phase"), "Pending");
    assert_eq!(r.pod("too-big", "reason"), "Unschedulable");
    let tries = r.events("FailedScheduling", "Pod/default/too-big");
    assert_eq!(
        tries.iter().map(|e| e.0).collect::<Vec<_>>(),
        [0.0, 186.0, 188.0, 312.0]
    );
    assert!(tries.iter().all(|e| {
        e.1.starts_with("0/2 nodes are available: 2 Insufficient cpu.")
    }));
    narratives_mention(
        "01-scheduling-insufficient-cpu",
        &[
            "0/2 nodes are available: 2 Insufficient cpu",
            "60",
            "186",
            "188",
            "312",
            "126",
            "192",
            "NodeResourcesFit",
        ],
    );
}

#[test]
fn learn_02_selectors_choose_the_nodes() {
    let r = run_learn("02-labels-and-selectors", &[]);
    assert_eq!(r.pod("db", "node"), "ssd-1");
    assert_eq!(r.t("db", "scheduled_s"), 0.0);
    assert_eq!(r.pod("db-dev", "phase"), "Pending");
    assert!(failed_at(&r, "db-dev", 0.0).starts_with(
        "0/5 nodes are available: 5 node(s) didn't match Pod's node affinity/selector."
    ));
    assert_eq!(r.pod("scratch", "node"), "dev-1");
    let batch = r.pods_named("batch-");
    assert_eq!(batch.len(), 6);
    let on = |node: &str| batch.iter().filter(|b| r.pod(b, "node") == node).count();
    assert_eq!((on("hdd-1"), on("hdd-2")), (3, 3), "only the hdd nodes");
    assert_eq!(r.t("batch-1", "created_s"), 30.0);
    let last = batch
        .iter()
        .map(|b| r.t(b, "finished_s"))
        .fold(0.0, f64::max);
    assert_eq!(last, 176.0);
    assert!(batch.iter().all(|b| r.pod(b, "phase") == "Succeeded"));
    assert_eq!(r.pod("log-shipper", "node"), r.pod("db", "node"));
    narratives_mention(
        "02-labels-and-selectors",
        &[
            "0/5 nodes are available: 5 node(s) didn't match Pod's node affinity/selector",
            "DoesNotExist",
            "NotIn",
            "30",
            "176",
            "ssd-1",
            "dev-1",
            "NodeAffinity",
            "InterPodAffinity",
        ],
    );
}

#[test]
fn learn_03_untolerating_pods_never_land_on_the_tainted_node() {
    let r = run_learn("03-taints-and-tolerations", &["--explain"]);
    assert_eq!(r.pod("trainer", "node"), "gpu-1");
    assert_eq!(r.t("trainer", "scheduled_s"), 0.0);
    assert_eq!(
        r.pods_on("gpu-1"),
        ["trainer"],
        "no web pod on the NoSchedule node"
    );
    for i in 1..=8 {
        let node = r.pod(&format!("web-{i}"), "node");
        assert!(node.starts_with("general-"), "web-{i} on {node}");
    }
    for (i, at) in (9..=12).zip([80.0, 90.0, 100.0, 110.0]) {
        assert_eq!(r.pod(&format!("web-{i}"), "node"), "spot-1");
        assert_eq!(r.t(&format!("web-{i}"), "scheduled_s"), at);
    }
    // The PreferNoSchedule taint costs spot-1 the TaintToleration score (weight 3).
    let first = &r.attempts("web-1")[0];
    for (node, total) in [("general-1", 474), ("general-2", 474), ("spot-1", 174)] {
        assert_eq!(first["scores"][node]["total"], total, "{node}");
    }
    assert_eq!(first["scores"]["spot-1"]["TaintToleration"], 0);
    assert_eq!(first["filter"]["gpu-1"]["plugin"], "TaintToleration");
    // web-13 finds no node it may use with room, although gpu-1 has 4 CPUs free.
    assert_eq!(r.pod("web-13", "phase"), "Pending");
    assert!(
        failed_at(&r, "web-13", 120.0).starts_with(
            "0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu."
        )
    );
    assert_eq!(r.peak("cpu_allocation", "nodepool/gpu"), 0.5);
    assert_eq!(r.peak("cpu_allocation", "nodepool/spot"), 1.0);
    narratives_mention(
        "03-taints-and-tolerations",
        &[
            "1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient cpu",
            "474",
            "174",
            "80",
            "120",
            "TaintToleration",
            "PreferNoSchedule",
        ],
    );
}

#[test]
fn learn_04_required_affinity_waits_preferred_affinity_gives_way() {
    let r = run_learn("04-node-affinity", &["--explain"]);
    for (i, at) in [0.0, 10.0, 20.0, 30.0].into_iter().enumerate() {
        let pod = format!("cache-{}", i + 1);
        assert_eq!(r.pod(&pod, "node"), "highmem-1");
        assert_eq!(r.t(&pod, "scheduled_s"), at);
    }
    // cache-5: highmem-1 is full, the weight-20 zone-c term decides.
    assert_eq!(r.pod("cache-5", "node"), "general-3");
    assert_eq!(r.t("cache-5", "scheduled_s"), 40.0);
    let a = &r.attempts("cache-5")[0];
    assert_eq!(a["filter"]["highmem-1"]["plugin"], "NodeResourcesFit");
    assert_eq!(a["scores"]["general-3"]["total"], 650);
    assert_eq!(a["scores"]["general-3"]["NodeAffinity"], 100);
    assert_eq!(a["scores"]["general-1"]["total"], 450);
    assert_eq!(a["scores"]["general-2"]["total"], 450);
    // zonal pods: only zone-a, and zonal-3 waits while general-2 stays empty.
    assert_eq!(r.pod("zonal-1", "node"), "general-1");
    assert_eq!(r.pod("zonal-2", "node"), "general-1");
    assert_eq!(r.t("zonal-1", "scheduled_s"), 60.0);
    assert_eq!(r.t("zonal-2", "scheduled_s"), 70.0);
    assert!(failed_at(&r, "zonal-3", 80.0).starts_with(
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector."
    ));
    assert!(r.pods_on("general-2").is_empty());
    assert_eq!(r.t("zonal-1", "finished_s"), 186.0);
    assert_eq!(r.t("zonal-3", "scheduled_s"), 186.0);
    assert_eq!(r.pod("zonal-3", "node"), "general-1");
    narratives_mention(
        "04-node-affinity",
        &[
            "1 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector",
            "650",
            "450",
            "40",
            "60",
            "70",
            "80",
            "186",
            "preferredDuringSchedulingIgnoredDuringExecution",
            "requiredDuringSchedulingIgnoredDuringExecution",
        ],
    );
}

#[test]
fn learn_05_spread_and_pod_affinity_leave_pods_pending() {
    let r = run_learn("05-pod-affinity-and-topology-spread", &[]);
    let zone = |pod: &str| r.pod(pod, "node")[5..6].to_string(); // node-a1 -> "a"
    let count = |pods: std::ops::RangeInclusive<u32>| {
        let mut c = [0; 3];
        for i in pods {
            c[(zone(&format!("web-{i}")).as_bytes()[0] - b'a') as usize] += 1;
        }
        c
    };
    assert_eq!(count(1..=6), [2, 2, 2]);
    assert_eq!(count(1..=8), [3, 3, 2]);
    assert_eq!(r.pods_on("node-c1").len(), 2, "zone-c's 2 CPUs are full");
    let b1_cpu: i64 = r
        .pods_on("node-b1")
        .iter()
        .filter(|p| r.t(p, "scheduled_s") < 80.0)
        .map(|p| r.pod(p, "cpu_request_m").parse::<i64>().unwrap())
        .sum();
    assert_eq!(b1_cpu, 3500, "db and three web pods leave node-b1 0.5 CPU");
    assert_eq!(r.pod("web-9", "phase"), "Pending");
    assert!(failed_at(&r, "web-9", 80.0).starts_with(
        "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) didn't match pod topology spread constraints."
    ));
    assert_eq!(r.pod("db", "node"), "node-b1");
    assert_eq!(r.pod("cache-1", "node"), "node-b1");
    assert_eq!(r.t("cache-1", "scheduled_s"), 120.0);
    assert_eq!(r.pod("cache-2", "phase"), "Pending");
    assert!(failed_at(&r, "cache-2", 130.0).starts_with(
        "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod anti-affinity rules, 2 node(s) didn't match pod affinity rules."
    ));
    narratives_mention(
        "05-pod-affinity-and-topology-spread",
        &[
            "2 Insufficient cpu, 2 node(s) didn't match pod topology spread constraints",
            "1 Insufficient cpu, 1 node(s) didn't match pod anti-affinity rules, 2 node(s) didn't match pod affinity rules",
            "2-2-2",
            "3-3-2",
            "0.5 CPU",
            "80",
            "120",
            "130",
            "PodTopologySpread",
            "InterPodAffinity",
        ],
    );
}

#[test]
fn learn_06_a_critical_pod_preempts_the_least_important_victim() {
    let r = run_learn("06-priority-and-preemption", &["--explain"]);
    for (pod, prio) in [
        ("batch-1", "100"),
        ("service-1", "10000"),
        ("critical-1", "1000000"),
        ("late-batch-1", "100"),
    ] {
        assert_eq!(r.pod(pod, "priority"), prio, "{pod}");
    }
    assert_eq!(r.pod("batch-2", "node"), "general-1");
    // batch-2 was bound after batch-1: the less important of two equal priorities.
    assert_eq!(r.t("batch-1", "scheduled_s"), 0.0);
    assert_eq!(r.t("batch-2", "scheduled_s"), 1.0);
    assert_eq!(r.pod("service-1", "node"), "general-2");
    assert_eq!(
        failed_at(&r, "critical-1", 60.0),
        "0/2 nodes are available: 2 Insufficient cpu."
    );
    assert_eq!(
        r.events("Preempted", "Pod/default/batch-2"),
        [(
            60.0,
            "Preempted by pod default/critical-1 on node general-1".to_string()
        )]
    );
    assert_eq!(r.times("Killing", "Pod/default/batch-2"), [60.0]);
    assert_eq!(r.pod("batch-2", "reason"), "Preempted");
    assert_eq!(r.t("batch-2", "deleted_s"), 90.0);
    assert_eq!(r.pod("batch-1", "deleted_s"), "", "one victim is enough");
    assert_eq!(r.pod("service-1", "deleted_s"), "");
    assert_eq!(r.summary["preemptions"], 1);
    let first = &r.attempts("critical-1")[0];
    assert_eq!(first["preemption"]["nominated_node"], "general-1");
    assert_eq!(
        first["preemption"]["victims"],
        serde_json::json!(["default/batch-2"])
    );
    assert_eq!(r.t("critical-1", "scheduled_s"), 90.0);
    assert_eq!(r.pod("critical-1", "node"), "general-1");
    assert_eq!(r.pod("late-batch-1", "phase"), "Pending");
    assert!(
        failed_at(&r, "late-batch-1", 120.0)
            .contains("2 No preemption victims found for incoming pod")
    );
    narratives_mention(
        "06-priority-and-preemption",
        &[
            "0/2 nodes are available: 2 Insufficient cpu",
            "Preempted by pod default/critical-1 on node general-1",
            "No preemption victims found for incoming pod",
            "nominatedNodeName",
            "DefaultPreemption",
            "60",
            "90",
            "120",
            "30",
        ],
    );
}

#[test]
fn learn_07_pods_follow_their_volumes_zone() {
    let r = run_learn("07-volumes-and-zones", &["--explain"]);
    assert_eq!(r.pod("postgres", "node"), "general-2");
    assert_eq!(r.t("postgres", "scheduled_s"), 0.0);
    // analytics: zone-b is too full, the other zones have no volume for it.
    assert_eq!(r.pod("analytics", "phase"), "Pending");
    let tries = r.events("FailedScheduling", "Pod/default/analytics");
    assert_eq!(tries[0].0, 0.0);
    assert!(
        tries
            .iter()
            .all(|e| e.1.contains("node(s) had no available volume zone")),
        "{tries:?}"
    );
    // scratch waits for its first consumer, then is provisioned in its zone.
    let claim = "PersistentVolumeClaim/default/scratch";
    assert_eq!(
        r.events("WaitForFirstConsumer", claim),
        [(
            0.0,
            "waiting for first consumer to be created before binding".to_string()
        )]
    );
    assert_eq!(
        r.events("ProvisioningSucceeded", claim),
        [(
            0.0,
            "Successfully provisioned volume pvc-default-scratch".to_string()
        )]
    );
    assert_eq!(r.pod("writer", "node"), "general-3");
    let w = &r.attempts("writer")[0];
    assert_eq!(
        w["scores"]["general-3"]["total"], w["scores"]["general-1"]["total"],
        "general-3 won a tie"
    );
    assert_eq!(
        r.t("writer", "finished_s") - r.t("writer", "started_s"),
        120.0
    );
    // reader follows the volume.
    assert_eq!(r.t("reader-1", "scheduled_s"), 240.0);
    assert_eq!(r.pod("reader-1", "node"), r.pod("writer", "node"));
    let a = &r.attempts("reader-1")[0];
    for node in ["general-1", "general-2"] {
        assert_eq!(a["filter"][node]["plugin"], "VolumeBinding");
        assert_eq!(
            a["filter"][node]["reason"],
            "node(s) had volume node affinity conflict"
        );
    }
    narratives_mention(
        "07-volumes-and-zones",
        &[
            "node(s) had no available volume zone",
            "node(s) had volume node affinity conflict",
            "pvc-default-scratch",
            "WaitForFirstConsumer",
            "ProvisioningSucceeded",
            "VolumeZone",
            "VolumeBinding",
            "240",
            "general-3",
        ],
    );
}

#[test]
fn learn_08_a_job_completes_and_a_failing_job_backs_off_to_its_limit() {
    let r = run_learn("08-jobs-and-retries", &[]);
    let job_pods = |job: &str| -> Vec<String> {
        r.pods
            .lines()
            .filter(|l| l.split(',').nth(2) == Some(&format!("Job/{job}")))
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    };
    // render: six successes, two at a time.
    let render = job_pods("render");
    assert_eq!(render.len(), 6);
    assert!(render.iter().all(|p| r.pod(p, "phase") == "Succeeded"));
    let created: Vec<f64> = render.iter().map(|p| r.t(p, "created_s")).collect();
    assert_eq!(created, [0.0, 0.0, 66.0, 66.0, 127.0, 127.0]);
    assert_eq!(r.times("SuccessfulCreate", "Job/default/render").len(), 6);
    assert_eq!(
        r.events("Completed", "Job/default/render"),
        [(188.0, "Job completed".to_string())]
    );
    // migrate: four failures, replaced after 10 s, 20 s, 40 s, then the limit.
    let migrate = job_pods("migrate");
    assert_eq!(
        migrate.len(),
        4,
        "backoffLimit 3: the fourth failure ends it"
    );
    assert!(
        migrate
            .iter()
            .all(|p| r.pod(p, "phase") == "Failed" && r.pod(p, "reason") == "Error")
    );
    let failed: Vec<f64> = migrate.iter().map(|p| r.t(p, "finished_s")).collect();
    let created: Vec<f64> = migrate.iter().map(|p| r.t(p, "created_s")).collect();
    assert_eq!(failed, [16.0, 32.0, 58.0, 104.0]);
    assert_eq!(created, [0.0, 26.0, 52.0, 98.0]);
    let waits: Vec<f64> = (0..3).map(|i| created[i + 1] - failed[i]).collect();
    assert_eq!(waits, [10.0, 20.0, 40.0]);
    assert_eq!(
        r.events("BackoffLimitExceeded", "Job/default/migrate"),
        [(
            104.0,
            "Job has reached the specified backoff limit".to_string()
        )]
    );
    assert_eq!(
        r.times("SuccessfulCreate", "Job/default/migrate"),
        [0.0, 26.0, 52.0, 98.0]
    );
    assert_eq!(r.peak("pods_failed", "cluster"), 4.0);
    assert_eq!(r.peak("pods_succeeded", "cluster"), 6.0);
    assert_eq!(r.summary["jobs"]["Complete"], 1);
    assert_eq!(r.summary["jobs"]["Failed"], 1);
    narratives_mention(
        "08-jobs-and-retries",
        &[
            "Job completed",
            "Job has reached the specified backoff limit",
            "BackoffLimitExceeded",
            "backoffLimit 3",
            "66",
            "127",
            "188",
            "16",
            "32",
            "58",
            "26",
            "52",
            "98",
            "104",
        ],
    );
}

#[test]
fn learn_09_a_crashing_container_backs_off_to_five_minutes() {
    let r = run_learn("09-crashloopbackoff", &[]);
    let api = "Pod/default/api";
    assert_eq!(
        r.times("Started", api),
        [6.0, 27.0, 58.0, 99.0, 160.0, 261.0, 442.0, 763.0]
    );
    let backoffs = r.events("BackOff", api);
    assert_eq!(
        backoffs.iter().map(|e| e.0).collect::<Vec<_>>(),
        [47.0, 78.0, 119.0, 180.0, 281.0, 462.0, 783.0]
    );
    assert!(backoffs.iter().all(|e| {
        e.1.starts_with("Back-off restarting failed container api in pod api_default(")
            && e.1.ends_with(')')
    }));
    // Each wait runs from the crash (its BackOff event) to the next Created.
    let created = r.times("Created", api);
    let waits: Vec<f64> = backoffs
        .iter()
        .filter_map(|b| created.iter().find(|&&c| c > b.0).map(|c| c - b.0))
        .collect();
    assert_eq!(waits, [10.0, 20.0, 40.0, 80.0, 160.0, 300.0]);
    // The first crash, at 26 s, is restarted at once: no BackOff.
    assert!(created.contains(&26.0));
    assert_eq!(r.pod("api", "phase"), "Running");
    assert_eq!(r.pod("api", "reason"), "CrashLoopBackOff");
    // Seven restarts have happened by the end: like upstream's restartCount, the column
    // counts containers started again, not the restart due at 1083 s.
    assert_eq!(r.pod("api", "restarts"), "7");
    assert_eq!(r.pod("web", "restarts"), "0");
    assert_eq!(r.pod("web", "phase"), "Running");
    assert!(
        r.series("pods_running", "cluster")
            .iter()
            .filter(|s| s.0 >= 15.0)
            .all(|s| s.1 == 2.0),
        "the crashing pod stays Running"
    );
    narratives_mention(
        "09-crashloopbackoff",
        &[
            "Back-off restarting failed container api in pod api_default",
            "CrashLoopBackOff",
            "300",
            "26",
            "27",
            "47",
            "78",
            "119",
            "180",
            "281",
            "462",
            "783",
            "58",
            "99",
            "160",
            "261",
            "442",
            "763",
            "8",
        ],
    );
}

#[test]
fn learn_10_a_replica_set_replaces_a_deleted_pod_and_lets_a_relabelled_one_go() {
    let r = run_learn("10-replicaset-self-healing", &[]);
    let rs = "ReplicaSet/default/web-6f6bd5655f";
    assert_eq!(
        r.events("ScalingReplicaSet", "Deployment/default/web"),
        [(
            0.0,
            "Scaled up replica set web-6f6bd5655f from 0 to 3".to_string()
        )]
    );
    let created = r.events("SuccessfulCreate", rs);
    let at = |t: f64| -> Vec<String> {
        created
            .iter()
            .filter(|e| e.0 == t)
            .map(|e| e.1.clone())
            .collect()
    };
    assert_eq!(at(0.0).len(), 3);
    assert!(at(0.0).contains(&"Created pod: web-6f6bd5655f-2gchb".to_string()));
    assert_eq!(at(60.0), ["Created pod: web-6f6bd5655f-vjlwz"]);
    assert_eq!(at(120.0), ["Created pod: web-6f6bd5655f-n86hq"]);
    // The deleted pod: Killing at 60 s, gone after its 20 s grace period.
    assert_eq!(
        r.times("Killing", "Pod/default/web-6f6bd5655f-2gchb"),
        [60.0]
    );
    assert_eq!(r.t("web-6f6bd5655f-2gchb", "deleted_s"), 80.0);
    assert_eq!(r.t("web-6f6bd5655f-2gchb", "ready_s"), 11.0);
    assert_eq!(r.t("web-6f6bd5655f-vjlwz", "ready_s"), 66.0);
    // The relabelled pod runs on, released: no owner.
    assert_eq!(r.pod("web-6f6bd5655f-k8bgp", "owner"), "");
    assert_eq!(r.pod("web-6f6bd5655f-k8bgp", "phase"), "Running");
    assert_eq!(
        r.pod("web-6f6bd5655f-n86hq", "owner"),
        "ReplicaSet/web-6f6bd5655f"
    );
    let ready = r.series("replicas_ready", "replicaset/default/web-6f6bd5655f");
    let dips: Vec<f64> = ready.iter().filter(|s| s.1 == 2.0).map(|s| s.0).collect();
    assert_eq!(
        dips,
        [65.0, 125.0],
        "down to 2 Ready until each replacement is Ready"
    );
    assert_eq!(ready.last().unwrap().1, 3.0);
    assert_eq!(r.series("pods_running", "cluster").last().unwrap().1, 4.0);
    narratives_mention(
        "10-replicaset-self-healing",
        &[
            "web-6f6bd5655f",
            "Scaled up replica set web-6f6bd5655f from 0 to 3",
            "Created pod: web-6f6bd5655f-2gchb",
            "web-6f6bd5655f-vjlwz",
            "web-6f6bd5655f-k8bgp",
            "web-6f6bd5655f-n86hq",
            "app=debug",
            "11",
            "60",
            "80",
            "120",
            "20",
            "6",
        ],
    );
}

#[test]
fn learn_11_a_rolling_update_keeps_its_bounds_and_a_stalled_one_times_out() {
    let r = run_learn("11-rolling-update", &[]);
    let web = r.events("ScalingReplicaSet", "Deployment/default/web");
    let steps: Vec<(f64, &str)> = web.iter().map(|e| (e.0, e.1.as_str())).collect();
    assert_eq!(
        steps[1],
        (60.0, "Scaled up replica set web-854f4f86bd from 0 to 1")
    );
    assert_eq!(
        steps[2],
        (76.0, "Scaled down replica set web-6479f6dd45 from 4 to 3")
    );
    let downs: Vec<f64> = web
        .iter()
        .filter(|e| e.1.starts_with("Scaled down"))
        .map(|e| e.0)
        .collect();
    assert_eq!(downs, [76.0, 92.0, 103.0, 114.0]);
    let current = r.series("replicas_current", "deployment/default/web");
    let available = r.series("replicas_available", "deployment/default/web");
    assert!(
        current.iter().all(|s| s.1 <= 5.0),
        "never above replicas + maxSurge"
    );
    assert!(
        current
            .iter()
            .filter(|s| (61.0..=114.0).contains(&s.0))
            .all(|s| s.1 == 5.0)
    );
    assert!(
        available.iter().filter(|s| s.0 >= 20.0).all(|s| s.1 >= 4.0),
        "maxUnavailable 0"
    );
    let api = r.events("ScalingReplicaSet", "Deployment/default/api");
    assert_eq!(
        api.last().unwrap(),
        &(
            60.0,
            "Scaled up replica set api-684f4bff6d from 0 to 1".to_string()
        )
    );
    let changes = r.summary["workloads"][1]["condition_changes"]
        .as_array()
        .unwrap()
        .clone();
    let exceeded = changes
        .iter()
        .find(|c| c["reason"] == "ProgressDeadlineExceeded")
        .unwrap();
    assert_eq!(exceeded["time_s"], 121.0);
    assert_eq!(
        exceeded["message"],
        "ReplicaSet \"api-684f4bff6d\" has timed out progressing."
    );
    assert_eq!(r.summary["workloads"][1]["replicas"]["available"], 2);
    narratives_mention(
        "11-rolling-update",
        &[
            "Scaled up replica set web-854f4f86bd from 0 to 1",
            "Scaled down replica set web-6479f6dd45 from 4 to 3",
            "76",
            "92",
            "103",
            "114",
            "61",
            "121",
            "ProgressDeadlineExceeded",
            "2 Insufficient cpu",
            "has timed out progressing.",
        ],
    );
}

#[test]
fn learn_12_a_daemon_set_gives_each_joining_node_it_selects_a_pod() {
    let r = run_learn("12-daemonset-growing-pool", &[]);
    assert_eq!(
        r.events("SuccessfulCreate", "DaemonSet/kube-system/log-agent"),
        [
            (0.0, "Created pod: log-agent-zxtpg".to_string()),
            (0.0, "Created pod: log-agent-txq8z".to_string()),
            (60.0, "Created pod: log-agent-kvk89".to_string()),
            (120.0, "Created pod: log-agent-tjdqr".to_string()),
        ]
    );
    for (pod, node, created, ready) in [
        ("log-agent-zxtpg", "general-1", 0.0, 9.0),
        ("log-agent-txq8z", "general-2", 0.0, 9.0),
        ("log-agent-kvk89", "general-3", 60.0, 69.0),
        ("log-agent-tjdqr", "gpu-1", 120.0, 129.0),
    ] {
        assert_eq!(r.pod(pod, "node"), node, "{pod}");
        assert_eq!(
            r.t(pod, "scheduled_s"),
            created,
            "{pod}: placed the second it is made"
        );
        assert_eq!(r.t(pod, "ready_s"), ready, "{pod}");
    }
    // The nodes the timeline applied, each created by kubectl.
    let timeline = r.summary["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 3);
    for (entry, (at, node)) in
        timeline
            .iter()
            .zip([(60.0, "general-3"), (120.0, "gpu-1"), (180.0, "win-1")])
    {
        assert_eq!(entry["time_s"], at);
        assert_eq!(entry["status"], "done");
        assert_eq!(entry["output"][0], format!("node/{node} created"));
    }
    // The new nodes hold only the daemon pods; win-1, not selected, holds nothing.
    assert_eq!(r.pods_on("general-3"), ["log-agent-kvk89"]);
    assert_eq!(r.pods_on("gpu-1"), ["log-agent-tjdqr"]);
    assert!(r.pods_on("win-1").is_empty());
    let web = r.pods_named("web-");
    assert_eq!(web.len(), 4);
    for p in &web {
        let node = r.pod(p, "node");
        assert!(node == "general-1" || node == "general-2", "{p} on {node}");
        assert_eq!(r.pod(p, "deleted_s"), "", "{p} stays where it is");
    }
    // The series, sampled each second: a change shows in the next sample.
    let obj = "daemonset/kube-system/log-agent";
    let first = |metric: &str, v: f64| {
        r.series(metric, obj)
            .into_iter()
            .find(|s| s.1 == v)
            .map(|s| s.0)
            .unwrap_or_else(|| panic!("{metric} never {v}"))
    };
    let mut steps: Vec<f64> = r
        .series("replicas_desired", obj)
        .into_iter()
        .map(|s| s.1)
        .collect();
    steps.dedup();
    assert_eq!(
        steps,
        [0.0, 2.0, 3.0, 4.0],
        "2, 3, 4, and still 4 after win-1"
    );
    for (n, joined) in [(3.0, 60.0), (4.0, 120.0)] {
        assert_eq!(first("replicas_desired", n), joined + 1.0);
        assert_eq!(
            first("replicas_ready", n) - first("replicas_desired", n),
            9.0
        );
    }
    let ds = r.summary["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "DaemonSet")
        .unwrap();
    assert_eq!(ds["replicas"]["desired"], 4);
    assert_eq!(ds["replicas"]["ready"], 4);
    narratives_mention(
        "12-daemonset-growing-pool",
        &[
            "log-agent-zxtpg",
            "log-agent-txq8z",
            "log-agent-kvk89",
            "log-agent-tjdqr",
            "node/general-3 created",
            "nvidia.com/gpu=present:NoSchedule",
            "kubernetes.io/os=linux",
            "kubernetes.io/os=windows",
            "metadata.name",
            "replicas_desired",
            "9",
            "60",
            "69",
            "120",
            "129",
            "180",
        ],
    );
}

#[test]
fn learn_13_a_stateful_set_scales_up_one_ready_pod_at_a_time_and_keeps_its_claims() {
    let r = run_learn("13-statefulset-ordered-scale-up", &["--explain"]);
    let created = r.events("SuccessfulCreate", "StatefulSet/default/db");
    let pods: Vec<(f64, &str)> = created
        .iter()
        .filter(|e| e.1.starts_with("create Pod"))
        .map(|e| (e.0, e.1.as_str()))
        .collect();
    let made = |n: u32| format!("create Pod db-{n} in StatefulSet db successful");
    assert_eq!(
        pods,
        [
            (0.0, made(0).as_str()),
            (16.0, made(1).as_str()),
            (60.0, made(2).as_str()),
            (76.0, made(3).as_str()),
            (87.0, made(4).as_str()),
            (300.0, made(2).as_str()),
        ]
    );
    // One claim per ordinal, made just before its first pod, never twice.
    let claims: Vec<(f64, &str)> = created
        .iter()
        .filter(|e| e.1.starts_with("create Claim"))
        .map(|e| (e.0, e.1.as_str()))
        .collect();
    assert_eq!(claims.len(), 5);
    assert_eq!(
        claims[0],
        (
            0.0,
            "create Claim data-db-0 Pod db-0 in StatefulSet db success"
        )
    );
    assert_eq!(
        claims.iter().map(|c| c.0).collect::<Vec<_>>(),
        [0.0, 16.0, 60.0, 76.0, 87.0]
    );
    // Each pod is made the second the one before it is Ready.
    let rows: Vec<Vec<String>> = r
        .pods
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let col = |c: &str| {
        r.pods
            .lines()
            .next()
            .unwrap()
            .split(',')
            .position(|h| h == c)
            .unwrap()
    };
    let (name, node, created_s, ready_s, deleted_s) = (
        col("name"),
        col("node"),
        col("created_s"),
        col("ready_s"),
        col("deleted_s"),
    );
    let table: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|f| {
            (
                f[name].as_str(),
                f[node].as_str(),
                f[created_s].as_str(),
                f[ready_s].as_str(),
                f[deleted_s].as_str(),
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            ("db-0", "general-1", "0.000", "16.000", ""),
            ("db-1", "general-3", "16.000", "32.000", ""),
            ("db-2", "general-2", "60.000", "76.000", "210.000"),
            ("db-3", "general-1", "76.000", "87.000", "200.000"),
            ("db-4", "general-2", "87.000", "98.000", "190.000"),
            ("db-2", "general-2", "300.000", "311.000", ""),
        ]
    );
    // Scale-down from the highest ordinal, each once the one above is gone (10 s grace).
    assert_eq!(
        r.events("SuccessfulDelete", "StatefulSet/default/db"),
        [
            (
                180.0,
                "delete Pod db-4 in StatefulSet db successful".to_string()
            ),
            (
                190.0,
                "delete Pod db-3 in StatefulSet db successful".to_string()
            ),
            (
                200.0,
                "delete Pod db-2 in StatefulSet db successful".to_string()
            ),
        ]
    );
    // The claims stay: db-2's comes back bound, provisioned once, in general-2's zone.
    assert_eq!(
        r.times(
            "ProvisioningSucceeded",
            "PersistentVolumeClaim/default/data-db-2"
        ),
        [60.0]
    );
    let last = r.attempts("db-2").pop().unwrap();
    assert_eq!(last["time_s"], 300.0);
    assert_eq!(last["node"], "general-2");
    for node in ["general-1", "general-3"] {
        assert_eq!(last["filter"][node]["plugin"], "VolumeBinding");
        assert_eq!(
            last["filter"][node]["reason"],
            "node(s) had volume node affinity conflict"
        );
    }
    let mut ready: Vec<f64> = r
        .series("replicas_ready", "statefulset/default/db")
        .into_iter()
        .map(|s| s.1)
        .collect();
    ready.dedup();
    assert_eq!(ready, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0, 3.0]);
    narratives_mention(
        "13-statefulset-ordered-scale-up",
        &[
            "create Claim data-db-0 Pod db-0 in StatefulSet db success",
            "delete Pod db-4 in StatefulSet db successful",
            "node(s) had volume node affinity conflict",
            "OrderedReady",
            "data-db-2",
            "zone-b",
            "VolumeBinding",
            "16",
            "60",
            "76",
            "87",
            "180",
            "190",
            "200",
            "300",
            "311",
            "10",
        ],
    );
}

#[test]
fn learn_14_a_quota_refuses_a_scale_up_until_the_job_frees_it_and_the_retry_comes() {
    let r = run_learn("14-quota-blocks-scale-up", &[]);
    let rs = "ReplicaSet/team-a/web-546f84d8c4";
    assert_eq!(
        r.events("ScalingReplicaSet", "Deployment/team-a/web")
            .last()
            .unwrap(),
        &(
            60.0,
            "Scaled up replica set web-546f84d8c4 from 2 to 4".to_string()
        )
    );
    let refused = r.events("FailedCreate", rs);
    assert_eq!(refused.len(), 15);
    assert_eq!(
        refused[0],
        (
            60.0,
            "Error creating: pods \"web-546f84d8c4-r7cxd\" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=2, limited: requests.cpu=2".to_string()
        )
    );
    assert!(refused.iter().all(|e| e.1.ends_with(
        "is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=2, limited: requests.cpu=2"
    )));
    // The first refusal writes ReplicaFailure into the ReplicaSet's status, and that update
    // queues a second sync at once (`updateRS` enqueues every update), refused too. Then the
    // work queue's back-off: 5 ms after the first refusal, doubling with each refusal (the
    // second one at 60 s counted), so 20 ms after the retry at 60.005 s, then 40 ms, ...
    let ms: Vec<i64> = refused
        .iter()
        .map(|e| (e.0 * 1000.0).round() as i64)
        .collect();
    let gaps: Vec<i64> = ms.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps[..3], [0, 5, 20], "{gaps:?}");
    assert!(gaps[2..].windows(2).all(|g| g[1] == 2 * g[0]), "{gaps:?}");
    assert_eq!(*ms.last().unwrap(), 141_905);
    // The Job's pods end at 186 s; the next retry, 81.92 s after the last, creates both.
    assert_eq!(
        r.events("Completed", "Job/team-a/report"),
        [(186.0, "Job completed".to_string())]
    );
    let created = r.times("SuccessfulCreate", rs);
    assert_eq!(created, [0.0, 0.0, 223.825, 223.825]);
    assert_eq!(
        ((created[2] - refused.last().unwrap().0) * 1000.0).round(),
        81_920.0
    );
    let late: Vec<String> = r
        .pods_named("web-546f84d8c4-")
        .into_iter()
        .filter(|p| r.t(p, "created_s") == 223.825)
        .collect();
    assert_eq!(late.len(), 2);
    assert!(late.iter().all(|p| r.t(p, "ready_s") == 229.825));
    // The quota held: never more than 2 CPUs requested.
    assert_eq!(r.peak("cpu_requested_cores", "cluster"), 2.0);
    // The Deployment's conditions.
    let web = r.summary["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "Deployment" && w["name"] == "web")
        .unwrap()
        .clone();
    let changes = web["condition_changes"].as_array().unwrap();
    let at = |t: f64, kind: &str| {
        changes
            .iter()
            .find(|c| c["time_s"] == t && c["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} change at {t}: {changes:?}"))
    };
    let failure = at(60.0, "ReplicaFailure");
    assert_eq!(failure["reason"], "FailedCreate");
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .starts_with("pods \"web-546f84d8c4-r7cxd\" is forbidden: exceeded quota: compute")
    );
    assert_eq!(
        at(60.0, "Available")["reason"],
        "MinimumReplicasUnavailable"
    );
    assert_eq!(at(60.0, "Available")["status"], "False");
    // ReplicaFailure gone with the creations: recorded as Unknown, without reason or message.
    let gone = at(223.825, "ReplicaFailure");
    assert_eq!(
        (&gone["status"], &gone["reason"], &gone["message"]),
        (&"Unknown".into(), &"".into(), &"".into())
    );
    assert_eq!(
        at(229.825, "Available")["reason"],
        "MinimumReplicasAvailable"
    );
    let now: Vec<&str> = web["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert!(!now.contains(&"ReplicaFailure"), "{now:?}");
    assert_eq!(web["replicas"]["available"], 4);
    narratives_mention(
        "14-quota-blocks-scale-up",
        &[
            "Scaled up replica set web-546f84d8c4 from 2 to 4",
            "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=2, limited: requests.cpu=2",
            "web-546f84d8c4-r7cxd",
            "ReplicaFailure",
            "MinimumReplicasUnavailable",
            "Job completed",
            "25%",
            "5 ",
            "15",
            "60",
            "141.905",
            "186",
            "81.92",
            "223.825",
            "229.825",
        ],
    );
}

#[test]
fn learn_15_a_drain_waits_for_each_budget_and_times_out_on_one_that_allows_nothing() {
    let r = run_learn("15-drain-held-by-pdb", &[]);
    let timeline = r.summary["timeline"].as_array().unwrap();
    let output = |i: usize| {
        timeline[i]["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<Vec<_>>()
    };
    let refusal = |pod: &str| {
        format!(
            "error when evicting pods/\"{pod}\" -n \"default\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."
        )
    };
    assert_eq!(timeline[0]["time_s"], 60.0);
    assert_eq!(timeline[0]["status"], "done");
    assert_eq!(
        output(0),
        [
            "node/general-2 cordoned",
            "Warning: ignoring DaemonSet-managed Pods: kube-system/node-exporter-mj2tm",
            "evicting pod default/web-794dd4bbd5-pjdbm",
            "evicting pod default/web-794dd4bbd5-6cln6",
            refusal("web-794dd4bbd5-6cln6").as_str(),
            "pod/web-794dd4bbd5-pjdbm evicted",
            "pod/web-794dd4bbd5-6cln6 evicted",
            "node/general-2 drained",
        ]
    );
    // One web pod at a time: the second goes at the first retry after the replacement of
    // the first is Ready (retries at 65, 70, 75 s; Ready at 71 s).
    let pod = |n: &str| format!("Pod/default/web-794dd4bbd5-{n}");
    assert_eq!(r.times("Killing", &pod("pjdbm")), [60.0]);
    assert_eq!(r.t("web-794dd4bbd5-hmws2", "created_s"), 60.0);
    assert_eq!(r.t("web-794dd4bbd5-hmws2", "ready_s"), 71.0);
    assert_eq!(r.times("Killing", &pod("6cln6")), [75.0]);
    assert_eq!(r.t("web-794dd4bbd5-6cln6", "deleted_s"), 90.0);
    assert!(
        r.series("replicas_available", "deployment/default/web")
            .iter()
            .filter(|s| s.0 >= 22.0)
            .all(|s| s.1 >= 5.0),
        "maxUnavailable 1"
    );
    // The second drain: web pods at 180 and 195 s, db never.
    assert_eq!(timeline[1]["time_s"], 180.0);
    assert_eq!(
        timeline[1]["action"],
        "drain general-1 --ignore-daemonsets --timeout=2m"
    );
    assert_eq!(timeline[1]["status"], "failed");
    let second = output(1);
    assert!(
        second.contains(&refusal("db-587756d78f-b7fh5").as_str()),
        "{second:?}"
    );
    // At the timeout, kubectl's end of a failed drain (`RunDrain`, `deleteOrEvictPodsSimple`):
    // the pods left, the node left, and the error `evictPods` returned for db.
    let timeout = "error when evicting pods/\"db-587756d78f-b7fh5\" -n \"default\": global timeout reached: 2m0s";
    assert_eq!(
        second[second.len() - 6..],
        [
            format!(
                "There are pending pods in node \"general-1\" when an error occurred: {timeout}"
            ),
            "pod/db-587756d78f-b7fh5".to_string(),
            format!(
                "error: unable to drain node \"general-1\" due to error: {timeout}, continuing command..."
            ),
            "There are pending nodes to be drained:".to_string(),
            " general-1".to_string(),
            timeout.to_string(),
        ]
    );
    assert_eq!(r.times("Killing", &pod("4ntpr")), [180.0]);
    assert_eq!(r.t("web-794dd4bbd5-lp496", "ready_s"), 191.0);
    assert_eq!(r.times("Killing", &pod("rnlq8")), [195.0]);
    let db = "db-587756d78f-b7fh5";
    assert!(r.times("Killing", &format!("Pod/default/{db}")).is_empty());
    assert_eq!(r.pod(db, "node"), "general-1");
    assert_eq!(r.pod(db, "deleted_s"), "");
    assert!(
        r.summary["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("drain general-1"))
    );
    // Every web pod left is on general-3.
    let left: Vec<String> = r
        .pods_named("web-")
        .into_iter()
        .filter(|p| r.pod(p, "deleted_s").is_empty())
        .collect();
    assert_eq!(left.len(), 6);
    assert!(left.iter().all(|p| r.pod(p, "node") == "general-3"));
    narratives_mention(
        "15-drain-held-by-pdb",
        &[
            "Warning: ignoring DaemonSet-managed Pods",
            "Cannot evict pod as it would violate the pod's disruption budget.",
            "node/general-2 drained",
            "global timeout reached: 2m0s",
            "web-794dd4bbd5-pjdbm",
            "web-794dd4bbd5-6cln6",
            "maxUnavailable 1",
            "minAvailable 1",
            "--timeout=2m",
            "general-3",
            "5",
            "60",
            "71",
            "75",
            "90",
            "180",
            "195",
            "300",
        ],
    );
}

/// One HPA sync as the tests below read it: the CPU value (percent of the request), the pods
/// (ready, unready, missing, ignored), the largest proposal, the ScalingLimited bound if any,
/// and the replicas decided.
type Sync = (f64, [u64; 4], i64, Option<i64>, i64);

fn sync_row(r: &serde_json::Value) -> Sync {
    let p = &r["pods"];
    let n = |k: &str| p[k].as_u64().unwrap();
    (
        r["metrics"][0]["value"].as_f64().unwrap(),
        [n("ready"), n("unready"), n("missing"), n("ignored")],
        r["proposal"].as_i64().unwrap(),
        r["limit"]["replicas"].as_i64(),
        r["desired_replicas"].as_i64().unwrap(),
    )
}

/// `HH:MM` of a time of day in seconds.
fn hhmm(t: f64) -> String {
    let s = t as i64;
    format!("{:02}:{:02}", s / 3600, s % 3600 / 60)
}

const CPU_ABOVE: &str = "cpu resource utilization (percentage of request) above target";

#[test]
fn learn_16_a_tuned_scale_up_policy_meets_a_spike_sooner_than_the_default() {
    let r = run_learn("16-hpa-traffic-spike", &["--explain"]);
    // Both services get 24 requests/s from 20 s, 600 from 130 s to 310 s. Each sample of
    // metrics.csv is the mean over the second before it, so a step at T shows first in the
    // sample at T+1 (at T it sits on the window's edge and weighs nothing).
    for svc in ["service/default/shop", "service/default/shop-tuned"] {
        assert_eq!(r.at("offered_rps", svc, 20.0), 0.0);
        assert_eq!(r.at("offered_rps", svc, 21.0), 24.0);
        assert_eq!(r.at("offered_rps", svc, 130.0), 24.0);
        assert_eq!(r.at("offered_rps", svc, 131.0), 600.0);
        assert_eq!(r.at("offered_rps", svc, 310.0), 600.0);
        assert_eq!(r.at("offered_rps", svc, 311.0), 24.0);
    }
    // The replica series, worked out by hand. Each sync at a multiple of 15 s reads
    // metrics-server's scrape of the same instant; the 600 requests/s are shared by the
    // ready endpoints, a pod serves at most 100 (its CPU limit of 1000m at 10m a request),
    // and its utilization is served x 10m / 250m. Target 60%, tolerance 0.1.
    // A pod started less than 5 minutes ago is "unready" for CPU unless it is Ready and its
    // sample's window (the time since it started, at most 15 s) began after it became Ready:
    // the pods created at sync T start at T+1, are Ready at T+6, and at T+15 their 14 s
    // window began at T+1: unready for one sync. On a scale-up (ratio > 1) unready pods
    // count at 0% and take part in the second ratio (ratio').
    //   135 s: the scrape averages the rate over (120 s, 135 s], 10 s at 24 and 5 s at 600
    //          (midpoints 122.5, 127.5 and 132.5 s): 216 requests/s, more than the 2 pods
    //          serve: 100 each, 1000m = 400%; ratio 6.67, ceil(6.67 x 2) = 14.
    //          shop: no behavior, at most max(2 x 2, 4) = 4 (ScaleUpLimit).
    //          shop-tuned: Percent 900 per 15 s, up to ceil(2 x 10) = 20: 14.
    //   shop  150 s: 4 pods, 2 trusted at 400% (150 offered each, 100 served), 2 unready:
    //               ratio' = 2 x 1000 / (4 x 250) / 60% = 3.33, ceil(3.33 x 4) = 14; max 8.
    //         165 s: 8 pods, 4 trusted at 75 req/s = 300%, 4 unready:
    //               ratio' = 4 x 750 / (8 x 250) / 60% = 2.5, ceil(2.5 x 8) = 20; max 16.
    //         180 s: 16 pods, 8 trusted at 37.5 = 150% (375m), 8 unready:
    //               ratio' = 8 x 375 / (16 x 250) / 60% = 1.25, ceil(1.25 x 16) = 20.
    //         195 s: 20 pods, 16 trusted at 30 = 120%, 4 unready:
    //               ratio' = 16 x 300 / (20 x 250) / 60% = 1.6, ceil(1.6 x 20) = 32.
    //         210 s: 32 pods, 20 trusted at 18.75 = 188m (rounded up) = 75% (integer
    //               division), 12 unready: ratio 1.25 but ratio' = 20 x 188 / (32 x 250)
    //               = 47% / 60% = 0.78, on the other side of 1: keep 32.
    //         225 s: 32 trusted at 75%: ceil(1.25 x 32) = 40 = maxReplicas.
    //   tuned 150 s: 14 pods, 2 trusted at 600/14 = 42.86 req/s = 429m = 171%, 12 unready:
    //               ratio' = 2 x 429 / (14 x 250) / 60% = 0.41, other side of 1: keep 14.
    //         165 s: 14 trusted at 171%: ceil(2.85 x 14) = 40.
    for p in r.pods_named("shop-") {
        let created = r.t(&p, "created_s");
        if created > 0.0 {
            assert_eq!(r.t(&p, "started_s"), created + 1.0, "{p}");
            assert_eq!(r.t(&p, "ready_s"), created + 6.0, "{p}");
        }
    }
    let table = |hpa: &str, rows: &[(f64, Sync)]| {
        for (t, want) in rows {
            assert_eq!(sync_row(&r.sync(hpa, *t)), *want, "{hpa} at {t} s");
        }
    };
    table(
        "default/shop",
        &[
            (120.0, (48.0, [2, 0, 0, 0], 2, None, 2)),
            (135.0, (400.0, [2, 0, 0, 0], 14, Some(4), 4)),
            (150.0, (400.0, [2, 2, 0, 0], 14, Some(8), 8)),
            (165.0, (300.0, [4, 4, 0, 0], 20, Some(16), 16)),
            (180.0, (150.0, [8, 8, 0, 0], 20, None, 20)),
            (195.0, (120.0, [16, 4, 0, 0], 32, None, 32)),
            (210.0, (75.0, [20, 12, 0, 0], 32, None, 32)),
            (225.0, (75.0, [32, 0, 0, 0], 40, None, 40)),
            (255.0, (60.0, [40, 0, 0, 0], 40, None, 40)),
        ],
    );
    table(
        "default/shop-tuned",
        &[
            (135.0, (400.0, [2, 0, 0, 0], 14, None, 14)),
            (150.0, (171.0, [2, 12, 0, 0], 14, None, 14)),
            (165.0, (171.0, [14, 0, 0, 0], 40, None, 40)),
            (195.0, (60.0, [40, 0, 0, 0], 40, None, 40)),
        ],
    );
    assert_eq!(
        r.sync("default/shop", 135.0)["limit"]["reason"],
        "ScaleUpLimit"
    );
    for limited in [150.0, 165.0] {
        assert_eq!(
            r.sync("default/shop", limited)["limit"]["reason"],
            "ScaleUpLimit"
        );
    }
    assert_eq!(
        r.rescales("shop", CPU_ABOVE),
        [
            (135.0, 4),
            (150.0, 8),
            (165.0, 16),
            (180.0, 20),
            (195.0, 32),
            (225.0, 40)
        ]
    );
    assert_eq!(
        r.rescales("shop-tuned", CPU_ABOVE),
        [(135.0, 14), (165.0, 40)]
    );
    // What the spike costs: 400 requests/s turned away by the 2 saturated pods of each until
    // 143 s (the new pods Ready at 141 s, in kube-proxy's rules at 143 s), then 200 more for
    // shop's 4 pods until its 8 serve everything at 158 s. In metrics.csv, from the sample at
    // 131 s (the first whose second, from 130 s, is in the spike); each sample's served share
    // is what the endpoints in the rules at its instant serve.
    let (shop, tuned) = ("service/default/shop", "service/default/shop-tuned");
    for t in 131..=142 {
        assert_eq!(r.at("unserved_rps", shop, f64::from(t)), 400.0, "{t}");
        assert_eq!(r.at("unserved_rps", tuned, f64::from(t)), 400.0, "{t}");
        assert_eq!(
            format!("{:.1}", r.at("latency_p99_s", tuned, f64::from(t))),
            "4.6"
        );
    }
    for t in 143..=157 {
        assert_eq!(r.at("unserved_rps", shop, f64::from(t)), 200.0, "{t}");
        assert_eq!(
            format!("{:.1}", r.at("latency_p99_s", shop, f64::from(t))),
            "4.6",
            "{t}: shop's pods saturated"
        );
        assert_eq!(r.at("unserved_rps", tuned, f64::from(t)), 0.0, "{t}");
    }
    // A pod serves at most 100 requests/s: the 2 pods of each serve 200 of the 600.
    for svc in [shop, tuned] {
        assert_eq!(r.at("endpoints_ready", svc, 135.0), 2.0);
        assert_eq!(r.at("served_rps", svc, 135.0), 200.0);
    }
    assert_eq!(r.at("endpoints_ready", tuned, 143.0), 14.0);
    assert_eq!(r.at("served_rps", tuned, 143.0), 600.0);
    assert_eq!(
        format!("{:.3}", r.at("latency_p99_s", tuned, 143.0)),
        "0.081"
    );
    assert_eq!(r.at("endpoints_ready", shop, 158.0), 8.0);
    assert_eq!(r.at("served_rps", shop, 158.0), 600.0);
    assert_eq!(
        format!("{:.3}", r.at("latency_p99_s", shop, 158.0)),
        "0.184"
    );
    assert!(
        r.series("unserved_rps", shop)
            .iter()
            .chain(&r.series("unserved_rps", tuned))
            .all(|s| s.1 == 0.0 || (131.0..158.0).contains(&s.0)),
        "nothing unserved outside the spike's first seconds"
    );
    // summary.json adds up those one-second samples: 12 x 400 = 4800 for shop-tuned (the
    // samples at 131 to 142 s), 4800 + 15 x 200 = 7800 for shop (143 to 157 s as well). The
    // sample at 143 s credits its whole second to the 14 endpoints in the rules at 143 s,
    // so the second from 142 s to 143 s, when 400 requests/s were still turned away, counts
    // nothing.
    let (s, st) = (
        r.hpa_summary("default/shop"),
        r.hpa_summary("default/shop-tuned"),
    );
    assert_eq!(
        (&s["unserved_requests"], &st["unserved_requests"]),
        (&7800.0.into(), &4800.0.into())
    );
    assert_eq!(
        (&s["scale_events"], &st["scale_events"]),
        (&6.into(), &2.into())
    );
    for h in [&s, &st] {
        assert_eq!(h["replicas"]["max"], 40);
        assert_eq!(
            h["current_replicas"], 40,
            "both keep 40 pods after the spike"
        );
        let able = h["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "AbleToScale")
            .unwrap();
        assert_eq!(able["reason"], "ScaleDownStabilized");
    }
    assert_eq!(
        r.summary["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (
                s["object"].as_str().unwrap(),
                s["unserved_requests"].as_f64().unwrap()
            ))
            .collect::<Vec<_>>(),
        [(shop, 7800.0), (tuned, 4800.0)]
    );
    narratives_mention(
        "16-hpa-traffic-spike",
        &[
            "New size: 4",
            "SuccessfulRescale",
            "ScaleUpLimit",
            "ScaleDownStabilized",
            "Percent",
            "900",
            "stabilizationWindowSeconds 0",
            "400%",
            "60%",
            "250m",
            "24",
            "600",
            "100",
            "14",
            "20 ",
            "130",
            "135",
            "143",
            "150",
            "158",
            "165",
            "180",
            "195",
            "225",
            "310",
            "0.081",
            "0.184",
            "4.6",
            "131",
            "142",
            "157",
            "4800",
            "7800",
        ],
    );
}

#[test]
fn learn_17_an_hpa_follows_a_day_of_traffic_in_well_under_a_second() {
    let r = run_learn("17-hpa-diurnal-day", &["--explain"]);
    let day = r.rescales("shop", "");
    assert_eq!(
        day,
        [
            (2115.0, 2),
            (13215.0, 3),
            (16965.0, 4),
            (18615.0, 5),
            (20745.0, 6),
            (22590.0, 7),
            (23955.0, 8),
            (25560.0, 9),
            (27360.0, 11),
            (30705.0, 13),
            (33315.0, 15),
            (38415.0, 18),
            (48015.0, 21),
            (55740.0, 19),
            (62115.0, 16),
            (66915.0, 14),
            (70410.0, 13),
            (71025.0, 12),
            (72915.0, 11),
            (73515.0, 10),
            (74190.0, 9),
            (75915.0, 8),
            (77910.0, 7),
            (79980.0, 6),
            (80820.0, 5),
            (83115.0, 4),
            (85470.0, 3),
        ]
    );
    // The rate: about 20 requests/s at 02:00 and 300 at 14:00 (the noise moves it by a few
    // percent).
    let offered = |t: f64| r.at("offered_rps", "service/default/shop", t);
    assert!(
        (offered(7200.0) / 20.0 - 1.0).abs() < 0.15,
        "{}",
        offered(7200.0)
    );
    assert!(
        (offered(50400.0) / 300.0 - 1.0).abs() < 0.15,
        "{}",
        offered(50400.0)
    );
    // Up through the morning, one to three pods a step, down from the afternoon.
    let (up, down): (Vec<_>, Vec<_>) = day.windows(2).partition(|w| w[1].1 > w[0].1);
    let morning: Vec<(f64, i64)> = day
        .iter()
        .copied()
        .filter(|e| (13215.0..=48015.0).contains(&e.0))
        .collect();
    assert_eq!(morning.len(), 12);
    assert!(
        morning
            .windows(2)
            .all(|w| (1..=3).contains(&(w[1].1 - w[0].1)))
    );
    assert!(up.iter().all(|w| w[1].0 <= 48015.0));
    assert!(down.iter().all(|w| w[1].0 >= 55740.0));
    assert_eq!(
        day[0],
        (2115.0, 2),
        "from 3 pods to the minimum, the night's only step"
    );
    let s = r.hpa_summary("default/shop");
    assert_eq!(s["replicas"]["min"], 2);
    assert_eq!(s["replicas"]["max"], 21);
    assert_eq!(s["scale_events"], 27);
    // Each step down is the highest proposal of the syncs of the 5 minutes up to it (the
    // default downscale stabilization window, which counts a recommendation exactly 300 s
    // old).
    let syncs = r.syncs("default/shop");
    assert_eq!(syncs.len(), 5760, "a sync every 15 s for 24 h");
    for &(t, size) in day.iter().filter(|e| e.0 > 50_000.0 || e.0 < 3_000.0) {
        let highest = syncs
            .iter()
            .filter(|s| {
                let at = s["time_s"].as_f64().unwrap();
                at >= t - 300.0 && at <= t && s["error"].is_null()
            })
            .map(|s| s["proposal"].as_i64().unwrap())
            .max()
            .unwrap();
        assert_eq!(highest, size, "step down at {t} s");
    }
    // A day simulated in well under a second (in a release build; a debug build is slower).
    let wall = r.summary["wall_seconds"].as_f64().unwrap();
    if !cfg!(debug_assertions) {
        assert!(wall < 1.0, "the day took {wall} s of wall time");
    }
    assert_eq!(r.summary["simulated_seconds"], 86400.0);
    // The clock times the narratives give, each beside its second or its replicas.
    let ann = annotations(&scenario("17-hpa-diurnal-day"));
    let (en, zh) = (
        ann["kubesim.io/description"].as_str().unwrap(),
        ann["kubesim.io/description.zh-Hans"].as_str().unwrap(),
    );
    for (t, clock) in [
        (2115.0, "00:35"),
        (13215.0, "03:40"),
        (48015.0, "13:20"),
        (55740.0, "15:29"),
        (85470.0, "23:44"),
    ] {
        assert_eq!(hhmm(t), clock);
        assert!(en.contains(&format!("{clock} ({t} s)")), "{clock}");
        assert!(zh.contains(&format!("{clock}（{t} 秒）")), "{clock}");
    }
    for (t, n) in [(25560.0, 9), (33315.0, 15), (73515.0, 10)] {
        assert!(day.contains(&(t, n)));
        let clock = hhmm(t);
        assert!(en.contains(&format!("{n} at {clock}")), "{clock}");
        assert!(zh.contains(&format!("{clock} 为 {n} 个")), "{clock}");
    }
    narratives_mention(
        "17-hpa-diurnal-day",
        &[
            "160",
            "20",
            "02:00",
            "300",
            "14:00",
            "4%",
            "10",
            "60%",
            "250m",
            "15",
            "2115",
            "13215",
            "48015",
            "55740",
            "85470",
            "00:35",
            "03:40",
            "07:06",
            "09:15",
            "13:20",
            "15:29",
            "20:25",
            "23:44",
            "12",
            "21",
            "27",
            "5760",
            "SuccessfulRescale",
            "wall_seconds",
        ],
    );
}

#[test]
fn learn_18_the_stabilization_window_holds_a_scale_down_for_five_minutes() {
    let r = run_learn("18-hpa-scale-down-stabilization", &["--explain"]);
    let svc = "service/default/web";
    // The drop at 180 s shows in the sample at 181 s, the mean of the second before it.
    assert_eq!(r.at("offered_rps", svc, 180.0), 90.0);
    assert_eq!(r.at("offered_rps", svc, 181.0), 24.0);
    // Worked out by hand. Each sync reads the scrape of the same instant, the rate averaged
    // over the 15 s before it. 6 pods share 90 requests/s: 15 each, 150m of a 250m request,
    // 60% = the target, so ratio 1 and a recommendation of 6 (from 30 s: at 15 s the pods,
    // started at 6 s, have no sample yet). At 180 s the window (165 s, 180 s] ends at the drop,
    // which weighs nothing there: 90 requests/s, 60%, 6 again; the sync at 180 s is the last to
    // recommend 6. From 195 s (the window (180 s, 195 s] all at 24 requests/s): 4 requests/s a
    // pod, 40m, 16%, ratio 0.27, ceil(0.27 x 6) = 2. The HPA without behavior applies the
    // highest recommendation not older than 300 s: the 6 of 180 s counts until the sync at
    // 480 s (exactly 300 s old still counts); at 495 s it is gone and the count drops to 2 in
    // one step (no rate limit on a scale-down without behavior). Then 2 pods at 12 requests/s:
    // 48%, ceil(0.8 x 2) = 2.
    for t in (30..=180).step_by(15) {
        assert_eq!(
            sync_row(&r.sync("default/web", f64::from(t))),
            (60.0, [6, 0, 0, 0], 6, None, 6),
            "{t}"
        );
    }
    for t in (195..=480).step_by(15) {
        let s = r.sync("default/web", f64::from(t));
        assert_eq!(sync_row(&s), (16.0, [6, 0, 0, 0], 2, None, 6), "{t}");
        assert_eq!(s["recommendation"], 6, "{t}");
    }
    let down = r.sync("default/web", 495.0);
    assert_eq!(sync_row(&down), (16.0, [6, 0, 0, 0], 2, None, 2));
    assert_eq!(
        sync_row(&r.sync("default/web", 510.0)),
        (48.0, [2, 0, 0, 4], 2, None, 2),
        "the 4 terminating pods are ignored"
    );
    for t in (525..=600).step_by(15) {
        assert_eq!(
            sync_row(&r.sync("default/web", f64::from(t))),
            (48.0, [2, 0, 0, 0], 2, None, 2)
        );
    }
    assert_eq!(
        r.events("SuccessfulRescale", "HorizontalPodAutoscaler/default/web"),
        [(
            495.0,
            "New size: 2; reason: All metrics below target".to_string()
        )]
    );
    assert_eq!(
        r.times("ScalingReplicaSet", "Deployment/default/web"),
        [0.0, 495.0]
    );
    // The scale-down comes 300 s after the first proposal of 2.
    let first_two = r
        .syncs("default/web")
        .into_iter()
        .find(|s| s["proposal"] == 2)
        .unwrap();
    assert_eq!(first_two["time_s"], 195.0);
    // hpa_desired_replicas stays at 6 while the window holds.
    for (t, v) in r.series("hpa_desired_replicas", "hpa/default/web") {
        if (30.0..495.0).contains(&t) {
            assert_eq!(v, 6.0, "{t}");
        } else if t > 495.0 {
            assert_eq!(v, 2.0, "{t}");
        }
    }
    let story = r.explain("hpa/default/web");
    for line in [
        "195s to 480s  holds at 6 (20 syncs): the metrics propose 2, but the stabilization window \
         holds a recommendation of 6",
        "495s  6 -> 2 replicas",
        "cpu (Resource) at 16% of its request (target 60%) proposes 2",
        "event SuccessfulRescale: New size: 2; reason: All metrics below target",
    ] {
        assert!(story.contains(line), "{line:?} not in:\n{story}");
    }
    narratives_mention(
        "18-hpa-scale-down-stabilization",
        &[
            "holds at 6 (20 syncs): the metrics propose 2, but the stabilization window holds a \
             recommendation of 6",
            "New size: 2; reason: All metrics below target",
            "ceil(16/60 x 6) = 2",
            "ceil(48/60 x 2) = 2",
            "hpa_desired_replicas",
            "ignored",
            "90",
            "24",
            "150m",
            "250m",
            "60%",
            "16%",
            "48%",
            "180",
            "195",
            "300",
            "495",
            "510",
        ],
    );
}

#[test]
fn learn_19_new_pods_without_trusted_metrics_make_the_hpa_blind_then_cautious() {
    let r = run_learn("19-hpa-new-pods-without-metrics", &["--explain"]);
    let hpa = "HorizontalPodAutoscaler/default/api";
    // The first pods start at 20 s (a 14 s image pull, 6 s to start) and are Ready at 40 s.
    let first = r.pods_named("api-");
    assert_eq!(first.len(), 10);
    for p in &first[..2] {
        assert_eq!((r.t(p, "started_s"), r.t(p, "ready_s")), (20.0, 40.0));
    }
    for p in &first[2..4] {
        assert_eq!((r.t(p, "created_s"), r.t(p, "started_s")), (60.0, 66.0));
    }
    // Blind: at 15 s metrics-server has no sample (the pods are not even running); at 30 and
    // 45 s it has, but the pods are in their CPU initialization period and not Ready (30 s),
    // then Ready since 40 s with a sample whose 15 s window began before (45 s).
    let no_api = "no metrics returned from resource metrics API";
    let unready = "did not receive metrics for targeted pods (pods might be unready)";
    let get = r.events("FailedGetResourceMetric", hpa);
    assert_eq!(
        get,
        [
            (
                15.0,
                format!(
                    "failed to get cpu utilization: unable to get metrics for resource cpu: {no_api}"
                )
            ),
            (30.0, format!("failed to get cpu utilization: {unready}")),
            (45.0, format!("failed to get cpu utilization: {unready}")),
        ]
    );
    let compute = r.events("FailedComputeMetricsReplicas", hpa);
    assert_eq!(
        compute.iter().map(|e| e.0).collect::<Vec<_>>(),
        [15.0, 30.0, 45.0]
    );
    assert_eq!(
        compute[0].1,
        format!(
            "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: {no_api}"
        )
    );
    assert!(compute[1].1.ends_with(unready));
    for t in [15.0, 30.0, 45.0] {
        let s = r.sync("default/api", t);
        assert!(s["error"].as_str().unwrap().starts_with("invalid metrics"));
        assert_eq!(s["current_replicas"], 2);
    }
    // Then cautious. 150 requests/s over the ready endpoints, 10m each, of a 250m request.
    //   60 s: 2 pods at 75 req/s = 300%, ratio 5, ceil(5 x 2) = 10; at most max(2 x 2, 4) = 4.
    //   75 s: the 2 new pods started at 66 s: no scrape 10 s after, missing, counted at 0:
    //         ratio' = 2 x 750 / (4 x 250) / 60% = 2.5, ceil(2.5 x 4) = 10; at most 8.
    //   90 s: 4 endpoints, 37.5 req/s each = 150% on the 2 trusted pods; the 2 of 60 s are
    //         Ready since 86 s with a window from 76 s: unready; the 4 of 75 s (started at
    //         81 s) missing. All 6 at 0: ratio' = 2 x 375 / (8 x 250) / 60% = 0.625, below 1
    //         while ratio 2.5 is above: keep 8. Stabilization without behavior takes the
    //         highest recommendation of 5 minutes, 10 (of 60 and 75 s): 10, and since the
    //         metric did not ask for more than the current 8 the event has no reason.
    //   135 s: 10 pods, 15 req/s each: 60%.
    let rows: [(f64, Sync); 6] = [
        (60.0, (300.0, [2, 0, 0, 0], 10, Some(4), 4)),
        (75.0, (300.0, [2, 0, 2, 0], 10, Some(8), 8)),
        (90.0, (150.0, [2, 2, 4, 0], 8, None, 10)),
        (105.0, (75.0, [4, 4, 2, 0], 10, None, 10)),
        (120.0, (60.0, [8, 2, 0, 0], 10, None, 10)),
        (135.0, (60.0, [10, 0, 0, 0], 10, None, 10)),
    ];
    for (t, want) in rows {
        assert_eq!(sync_row(&r.sync("default/api", t)), want, "{t}");
    }
    assert_eq!(r.sync("default/api", 90.0)["recommendation"], 10);
    assert_eq!(
        r.sync("default/api", 60.0)["limit"]["reason"],
        "ScaleUpLimit"
    );
    assert_eq!(
        r.events("SuccessfulRescale", hpa),
        [
            (60.0, format!("New size: 4; reason: {CPU_ABOVE}")),
            (75.0, format!("New size: 8; reason: {CPU_ABOVE}")),
            (90.0, "New size: 10; reason: ".to_string()),
        ]
    );
    let story = r.explain("hpa/default/api");
    assert!(
        story.contains(
            "largest proposal 8; a higher recommendation of the stabilization window makes it 10"
        ),
        "{story}"
    );
    narratives_mention(
        "19-hpa-new-pods-without-metrics",
        &[
            "FailedGetResourceMetric",
            "FailedComputeMetricsReplicas",
            "no metrics returned from resource metrics API",
            "did not receive metrics for targeted pods (pods might be unready)",
            "New size: 10; reason: ",
            "ScaleUpLimit",
            "hpa.jsonl",
            "150",
            "250m",
            "60%",
            "300%",
            "150%",
            "15",
            "20",
            "30",
            "40",
            "45",
            "60",
            "66",
            "75",
            "90",
            "135",
        ],
    );
}
