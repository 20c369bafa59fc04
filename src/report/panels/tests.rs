use super::super::figure::Body;
use super::super::read::{EventRecord, Events, Metrics, PodRecord, Run};
use super::pods::failure_reasons;
use super::*;
use serde_json::json;

fn pod(name: &str, node: &str, scheduled: Option<f64>, end: Option<f64>) -> PodRecord {
    PodRecord {
        key: format!("default/{name}"),
        owner: String::new(),
        node: node.into(),
        created: 0.0,
        scheduled,
        started: scheduled.map(|s| s + 1.0),
        finished: end,
        deleted: None,
        phase: "Running".into(),
        priority: 0,
    }
}

fn run_with(metrics: Metrics, pods: Vec<PodRecord>) -> Run {
    Run {
        summary: json!({"simulated_seconds": 600.0, "output_sha256": "x", "timeline": [
            {"time_s": 120.0, "action": "cordon general-1"}
        ]}),
        resolved: String::new(),
        pods,
        events: Events::default(),
        metrics,
    }
}

fn figure<'a>(figs: &'a [Figure], file: &str) -> Option<&'a Figure> {
    figs.iter().find(|f| f.file == file)
}

#[test]
fn reasons_are_read_from_the_upstream_message() {
    let m = "0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, \
             3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not \
             helpful for scheduling, 3 No preemption victims found for incoming pod..";
    assert_eq!(
        failure_reasons(m),
        [
            "node(s) had untolerated taint {nvidia.com/gpu: present}",
            "Insufficient cpu"
        ]
    );
    assert_eq!(
        failure_reasons("0/2 nodes are available: 2 Insufficient memory."),
        ["Insufficient memory"]
    );
    assert_eq!(
        failure_reasons("no nodes available"),
        ["no nodes available"]
    );
}

#[test]
fn cdf_points_are_bounded_sorted_and_end_at_one() {
    let mut values: Vec<f64> = (0..10_000).rev().map(f64::from).collect();
    let points = cdf_points(&mut values, 400);
    assert!(points.len() <= 401, "{}", points.len());
    assert!(
        points
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
    );
    assert_eq!(points.last(), Some(&(9999.0, 1.0)));
    assert_eq!(cdf_points(&mut [], 10), vec![]);
    assert_eq!(cdf_points(&mut [3.0], 10), vec![(3.0, 1.0)]);
}

#[test]
fn panels_appear_only_with_their_data() {
    let empty = run_with(Metrics::default(), Vec::new());
    assert!(figures(&empty).is_empty());
    let mut m = Metrics::default();
    m.push("cluster", "pods_running", (0.0, 1.0));
    m.push("cluster", "pods_running", (15.0, 2.0));
    let figs = figures(&run_with(m, Vec::new()));
    let names: Vec<&str> = figs.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(names, ["pods-by-phase"]);
    let Body::Lines(l) = &figs[0].body else {
        panic!("lines")
    };
    assert_eq!(l.series.len(), 1);
    assert_eq!(l.series[0].label, "Running");
    // Every time axis carries the timeline's markers.
    assert_eq!(l.markers[0].time, 120.0);
    assert_eq!(l.markers[0].label, "cordon general-1");
}

#[test]
fn a_new_series_family_gets_one_chart_per_object() {
    let mut m = Metrics::default();
    for t in [0.0, 15.0] {
        m.push("deployment/default/web", "replicas_desired", (t, 3.0));
        m.push("deployment/default/web", "replicas_ready", (t, 2.0));
        m.push("statefulset/default/db", "replicas_ready", (t, 1.0));
        // HPA series are drawn by the autoscaling panels, not by family.
        m.push("hpa/default/web/cpu", "hpa_metric_value", (t, 80.0));
        m.push("cluster", "nodes", (t, 3.0));
    }
    let figs = figures(&run_with(m, Vec::new()));
    let web = figure(&figs, "deployment-default-web").expect("deployment chart");
    assert_eq!(web.title, "deployment/default/web");
    let Body::Lines(l) = &web.body else {
        panic!("lines")
    };
    let labels: Vec<&str> = l.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["replicas_desired", "replicas_ready"]);
    assert!(figure(&figs, "statefulset-default-db").is_some());
    assert!(figure(&figs, "hpa-default-web-cpu").is_none());
    assert!(figure(&figs, "nodes").is_some());
}

#[test]
fn the_heatmap_stays_small_whatever_the_cluster() {
    let mut m = Metrics::default();
    for t in 0..500 {
        for n in 0..1000 {
            let v = f64::from(n % 10) / 10.0;
            m.push(
                &format!("node/n-{n}"),
                "cpu_allocation",
                (f64::from(t) * 15.0, v),
            );
        }
    }
    let mut run = run_with(m, Vec::new());
    run.summary["simulated_seconds"] = json!(7500.0);
    let figs = figures(&run);
    let h = figure(&figs, "cpu-allocation-heatmap").expect("heatmap");
    let Body::Heatmap(h) = &h.body else {
        panic!("heatmap")
    };
    let cells: usize = h.cells.iter().map(Vec::len).sum();
    assert!(cells <= 4000, "{cells} cells");
    assert_eq!(h.rows.len(), 40);
    assert_eq!(h.rows[0], "n-0 … n-24");
    // Each row averages 25 nodes whose values cycle 0.0..0.9: row 0 holds 0..9, 0..9 and
    // 0..4 tenths, a mean of 10 / 25.
    let row0 = h.cells[0][0];
    assert!((row0 - 0.4).abs() < 1e-9, "{row0}");
    // No Gantt chart for 1,000 nodes.
    assert!(figure(&figs, "pods-on-nodes").is_none());
}

#[test]
fn the_gantt_chart_puts_overlapping_pods_in_lanes_and_marks_preemptions() {
    let pods = vec![
        pod("web-1", "a", Some(0.0), Some(100.0)),
        pod("web-2", "a", Some(50.0), None),
        pod("web-3", "a", Some(100.0), Some(200.0)),
        pod("db-1", "b", Some(10.0), None),
        pod("queued", "", None, None),
    ];
    let mut run = run_with(Metrics::default(), pods);
    run.events.disruptions = vec![(60.0, "default/web-2".into(), "Preempted".into())];
    run.events.by_reason.push(super::super::read::ReasonEvents {
        kind: "Normal".into(),
        reason: "Preempted".into(),
        count: 1,
        first: vec![EventRecord {
            time: 60.0,
            kind: "Normal".into(),
            reason: "Preempted".into(),
            object: "Pod/default/web-2".into(),
            message: "Preempted by pod x on node a".into(),
        }],
    });
    let figs = figures(&run);
    let g = figure(&figs, "pods-on-nodes").expect("gantt");
    let Body::Gantt(g) = &g.body else {
        panic!("gantt")
    };
    assert_eq!(g.nodes, ["a", "b"]);
    assert_eq!(g.lanes, [2, 1]);
    // web-3 starts when web-1 ends: it reuses web-1's lane.
    let lanes: Vec<(usize, usize)> = g.bars.iter().map(|b| (b.row, b.lane)).collect();
    assert_eq!(lanes, [(0, 0), (1, 0), (0, 1), (0, 0)]);
    // Standalone pods are grouped by name: web and db.
    assert_eq!(g.legend, ["web", "db"]);
    assert_eq!(g.colored_by, "owner");
    // Bars are in binding order; db-1, still running, ends with the run.
    assert_eq!(g.bars[1].end, 600.0);
    assert!(g.bars.iter().all(|b| !b.failed));
    assert_eq!(g.marks.len(), 1);
    assert_eq!((g.marks[0].row, g.marks[0].lane), (0, 1));
}

#[test]
fn the_gantt_chart_is_coloured_by_priority_when_owners_do_not_differ() {
    let mut low = pod("a-1", "n", Some(0.0), None);
    low.priority = 10;
    let mut high = pod("a-2", "n", Some(0.0), None);
    high.priority = 1000;
    let figs = figures(&run_with(Metrics::default(), vec![low, high]));
    let Body::Gantt(g) = &figure(&figs, "pods-on-nodes").unwrap().body else {
        panic!("gantt")
    };
    assert_eq!(g.colored_by, "priority");
    assert_eq!(g.legend, ["priority 10", "priority 1000"]);
}

#[test]
fn file_stems_are_safe() {
    assert_eq!(
        file_stem("deployment/default/web"),
        "deployment-default-web"
    );
    assert_eq!(file_stem("hpa/ns/Web App//cpu"), "hpa-ns-web-app-cpu");
}

#[test]
fn a_failed_pod_is_marked_on_the_gantt_chart() {
    let mut failed = pod("job-1", "n", Some(0.0), Some(30.0));
    failed.phase = "Failed".into();
    let ok = pod("job-2", "n", Some(30.0), Some(60.0));
    let figs = figures(&run_with(Metrics::default(), vec![failed, ok]));
    let Body::Gantt(g) = &figure(&figs, "pods-on-nodes").unwrap().body else {
        panic!("gantt")
    };
    let failed: Vec<bool> = g.bars.iter().map(|b| b.failed).collect();
    assert_eq!(failed, [true, false]);
}

#[test]
fn fault_panels_are_drawn_for_runs_with_faults_lowest_availability_first() {
    let mut m = Metrics::default();
    for (t, ready) in [(0.0, 3.0), (15.0, 2.0), (30.0, 3.0)] {
        m.push("cluster", "nodes", (t, 3.0));
        m.push("cluster", "nodes_ready", (t, ready));
        m.push("deployment/default/web", "replicas_ready", (t, ready));
        m.push("deployment/default/web", "availability", (t, ready / 3.0));
        m.push("statefulset/default/db", "availability", (t, 1.0));
        for i in 0..faults::MAX_WORKLOADS {
            let v = if t == 15.0 { 0.5 } else { 1.0 };
            m.push(&format!("daemonset/default/d{i}"), "availability", (t, v));
        }
    }
    let calm = figures(&run_with(m.clone(), Vec::new()));
    assert!(figure(&calm, "nodes-ready").is_none());
    assert!(figure(&calm, "availability").is_none());
    let mut run = run_with(m, Vec::new());
    run.summary["faults_injected"] = json!(1);
    let figs = figures(&run);
    let Body::Lines(nodes) = &figure(&figs, "nodes-ready").expect("nodes ready").body else {
        panic!("lines")
    };
    let labels: Vec<&str> = nodes.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["nodes", "Ready"]);
    let a = figure(&figs, "availability").expect("availability");
    let Body::Lines(l) = &a.body else {
        panic!("lines")
    };
    // The ten DaemonSets fell to 50%, web to 67%, db never: web and db are left out.
    assert_eq!(l.series.len(), faults::MAX_WORKLOADS);
    assert_eq!(l.series[0].label, "daemonset/default/d0");
    assert_eq!(l.series[9].label, "daemonset/default/d9");
    assert!(l.series.iter().all(|s| s.label.starts_with("daemonset/")));
    assert!(
        a.caption.contains("2 more are in metrics.csv"),
        "{}",
        a.caption
    );
    assert_eq!(l.unit, Unit::Percent);
    // The family chart of web leaves its availability to that panel.
    let Body::Lines(web) = &figure(&figs, "deployment-default-web").unwrap().body else {
        panic!("lines")
    };
    let labels: Vec<&str> = web.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["replicas_ready"]);
}
