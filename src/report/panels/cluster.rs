//! The cluster over time: pods by phase, nodes, CPU and memory against allocatable (cluster
//! and node pools), and the scheduler's queues. All from `metrics.csv`.

use super::super::figure::{Figure, Marker, Series, Unit};
use super::super::read::Run;
use super::{lines, series, styled};

/// Palette indices with a fixed meaning.
const BLUE: usize = 0;
const ORANGE: usize = 1;
const RED: usize = 2;
const GREEN: usize = 4;
const GREY: usize = 9;

/// The cluster-wide figures.
pub fn figures(run: &Run, markers: &[Marker]) -> Vec<Figure> {
    let c = "cluster";
    let phases = [
        ("pods_pending", "Pending", ORANGE),
        ("pods_running", "Running", BLUE),
        ("pods_succeeded", "Succeeded", GREEN),
        ("pods_failed", "Failed", RED),
    ];
    let pools: Vec<&str> = run
        .metrics
        .objects_with_prefix("nodepool/")
        .map(|(o, _)| o.as_str())
        .collect();
    let mut out = Vec::new();
    out.extend(lines(
        run,
        markers,
        (
            "pods-by-phase",
            "Pods by phase",
            "Pods that exist at each sample, by phase.",
        ),
        ("pods", Unit::Count),
        phases
            .iter()
            .filter_map(|(m, label, color)| styled(run, (c, m), label, *color, false))
            .collect(),
    ));
    let mut nodes: Vec<Series> = series(run, c, "nodes", "cluster").into_iter().collect();
    if pools.len() > 1 {
        nodes.extend(
            pools
                .iter()
                .filter_map(|p| series(run, p, "nodes", p.trim_start_matches("nodepool/"))),
        );
    }
    out.extend(lines(
        run,
        markers,
        (
            "nodes",
            "Nodes",
            "Nodes in the cluster and in each node pool.",
        ),
        ("nodes", Unit::Count),
        nodes,
    ));
    for (resource, unit, suffix) in [
        ("cpu", Unit::Cores, "cores"),
        ("memory", Unit::Bytes, "bytes"),
    ] {
        let upper = if resource == "cpu" { "CPU" } else { "Memory" };
        let metric = |what: &str| format!("{resource}_{what}_{suffix}");
        out.extend(lines(
            run,
            markers,
            (
                resource,
                &format!("{upper}: requested and used against allocatable"),
                &format!(
                    "{upper} requested by the pods on nodes and used by running pods; the \
                     dashed line is what the nodes can allocate."
                ),
            ),
            (upper, unit),
            [
                styled(run, (c, &metric("allocatable")), "allocatable", GREY, true),
                styled(run, (c, &metric("requested")), "requested", BLUE, false),
                styled(run, (c, &metric("usage")), "used", ORANGE, false),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ));
        if pools.len() > 1 {
            let mut by_pool = Vec::new();
            for (i, p) in pools.iter().enumerate() {
                let name = p.trim_start_matches("nodepool/");
                let alloc = format!("{resource}_allocation");
                let usage = format!("{resource}_usage");
                by_pool.extend(styled(
                    run,
                    (p, &alloc),
                    &format!("{name} requested"),
                    i,
                    false,
                ));
                by_pool.extend(styled(run, (p, &usage), &format!("{name} used"), i, true));
            }
            out.extend(lines(
                run,
                markers,
                (
                    &format!("{resource}-by-pool"),
                    &format!("{upper} allocation by node pool"),
                    &format!(
                        "{upper} requested (solid) and used (dashed) in each node pool, as a \
                         share of the pool's allocatable {resource}."
                    ),
                ),
                (&format!("{resource} of allocatable"), Unit::Percent),
                by_pool,
            ));
        }
    }
    out.extend(lines(
        run,
        markers,
        (
            "scheduler-queues",
            "Scheduler queues",
            "Pods waiting in the scheduler's activeQ, backoffQ and unschedulable pool.",
        ),
        ("pods", Unit::Count),
        [
            ("scheduler_queue_active", "activeQ", BLUE),
            ("scheduler_queue_backoff", "backoffQ", ORANGE),
            ("scheduler_queue_unschedulable", "unschedulable", RED),
        ]
        .iter()
        .filter_map(|(m, label, color)| styled(run, (c, m), label, *color, false))
        .collect(),
    ));
    out
}
