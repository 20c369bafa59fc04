//! What the faults cost, drawn only for a run that had some (`summary.json`'s
//! `faults_injected`): the nodes Ready against the nodes in the cluster, and the
//! availability of the workloads (those that fell lowest first).

use super::super::figure::{Figure, Marker, Series, Unit};
use super::super::read::Run;
use super::{lines, series, styled};

/// The series these figures draw (the family rule leaves them out).
pub const DRAWN: &[&str] = &["availability"];

/// Workloads drawn at most; the caption counts the others.
pub const MAX_WORKLOADS: usize = 10;

/// Palette indices with a fixed meaning.
const GREEN: usize = 4;
const GREY: usize = 9;

/// The figures of a run with faults.
pub fn figures(run: &Run, markers: &[Marker]) -> Vec<Figure> {
    if run.summary["faults_injected"].as_u64().unwrap_or(0) == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    out.extend(lines(
        run,
        markers,
        (
            "nodes-ready",
            "Nodes ready",
            "Nodes whose Ready condition is True; the dashed line is every node of the cluster.",
        ),
        ("nodes", Unit::Count),
        [
            styled(run, ("cluster", "nodes"), "nodes", GREY, true),
            styled(run, ("cluster", "nodes_ready"), "Ready", GREEN, false),
        ]
        .into_iter()
        .flatten()
        .collect(),
    ));
    out.extend(availability(run, markers));
    out
}

/// The lowest and the mean sampled value of a series.
fn low_and_mean(points: &[(f64, f64)]) -> (f64, f64) {
    let low = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len().max(1) as f64;
    (low, mean)
}

/// Each workload's availability, the lowest first (by lowest sample, then mean).
fn availability(run: &Run, markers: &[Marker]) -> Option<Figure> {
    let mut workloads: Vec<(&str, (f64, f64))> = run
        .metrics
        .objects
        .iter()
        .filter_map(|(object, _)| {
            let points = run.metrics.series(object, "availability")?;
            Some((object.as_str(), low_and_mean(points)))
        })
        .collect();
    workloads.sort_by(|(_, a), (_, b)| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let left_out = workloads.len().saturating_sub(MAX_WORKLOADS);
    let drawn: Vec<Series> = (workloads.iter().take(MAX_WORKLOADS))
        .filter_map(|(object, _)| series(run, object, "availability", object))
        .collect();
    let mut caption = "Each workload's ready replicas as a share of those desired (at most \
                       100%), sampled; summary.json has the exact figures."
        .to_string();
    if left_out > 0 {
        caption.push_str(&format!(
            " The {MAX_WORKLOADS} that fell lowest; {left_out} more are in metrics.csv."
        ));
    }
    lines(
        run,
        markers,
        ("availability", "Workload availability", caption),
        ("ready of desired", Unit::Percent),
        drawn,
    )
}
