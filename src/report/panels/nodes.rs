//! Nodes over time: the CPU-allocation heatmap (from the `node/NAME` series of
//! `metrics.csv`) and, for small clusters, the Gantt chart of pods on nodes (from `pods.csv`,
//! with preemptions and evictions from `events.csv`).

use super::super::figure::{Bar, Body, Figure, Gantt, GanttMark, Heatmap, Marker};
use super::super::read::{PodRecord, Run, SeriesPoints};
use std::collections::BTreeMap;

/// Heatmap rows and columns at most: never more than 4,000 cells, whatever the cluster.
const MAX_ROWS: usize = 40;
const MAX_COLUMNS: usize = 100;

/// The Gantt chart is drawn for clusters up to this many nodes and bound pods.
pub const GANTT_MAX_NODES: usize = 50;
pub const GANTT_MAX_PODS: usize = 2000;

/// Colours of the Gantt chart (the last stands for all other groups).
const GANTT_COLORS: usize = 10;

/// The value of a sampled series at `t`: the last sample at or before it, else the first.
fn held(points: &SeriesPoints, t: f64) -> Option<f64> {
    let i = points.partition_point(|&(x, _)| x <= t);
    points.get(i.saturating_sub(1)).map(|&(_, v)| v)
}

/// Every node's CPU allocation over time, nodes grouped into at most [`MAX_ROWS`] rows and
/// time into at most [`MAX_COLUMNS`] columns (each cell the mean over its nodes of the value
/// held at the column's middle).
pub fn heatmap(run: &Run, markers: &[Marker]) -> Option<Figure> {
    let nodes: Vec<(&str, &SeriesPoints)> = run
        .metrics
        .objects_with_prefix("node/")
        .filter_map(|(o, _)| {
            let points = run.metrics.series(o, "cpu_allocation")?;
            Some((o.trim_start_matches("node/"), points))
        })
        .collect();
    let duration = run.duration();
    if nodes.is_empty() || duration <= 0.0 {
        return None;
    }
    let per_row = nodes.len().div_ceil(MAX_ROWS);
    let samples = nodes.iter().map(|(_, p)| p.len()).max().unwrap_or(1);
    let columns = samples.clamp(1, MAX_COLUMNS);
    let width = duration / columns as f64;
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    for group in nodes.chunks(per_row) {
        rows.push(match group {
            [(one, _)] => one.to_string(),
            [(first, _), .., (last, _)] => format!("{first} … {last}"),
            [] => String::new(),
        });
        let row = (0..columns)
            .map(|c| {
                let t = (c as f64 + 0.5) * width;
                let values: Vec<f64> = group.iter().filter_map(|(_, p)| held(p, t)).collect();
                if values.is_empty() {
                    f64::NAN
                } else {
                    values.iter().sum::<f64>() / values.len() as f64
                }
            })
            .collect();
        cells.push(row);
    }
    let grouped = if per_row > 1 {
        format!(" Each row averages {per_row} nodes, in node order.")
    } else {
        String::new()
    };
    Some(Figure {
        file: "cpu-allocation-heatmap".into(),
        title: "CPU allocation by node over time".into(),
        caption: format!("Share of each node's allocatable CPU requested by its pods.{grouped}"),
        body: Body::Heatmap(Heatmap {
            rows,
            row_label: if per_row > 1 { "nodes" } else { "node" }.into(),
            duration,
            cells,
            value_label: "CPU requested / allocatable".into(),
            markers: markers.to_vec(),
        }),
    })
}

/// The colour group of a pod: its controller, or for a standalone pod its name without a
/// trailing number (`web-3` is `web`).
fn group_of(p: &PodRecord) -> String {
    if !p.owner.is_empty() {
        return p.owner.clone();
    }
    let name = p.key.split_once('/').map_or(p.key.as_str(), |(_, n)| n);
    match name.rsplit_once('-') {
        Some((stem, tail)) if tail.chars().all(|c| c.is_ascii_digit()) => stem.to_string(),
        _ => name.to_string(),
    }
}

/// Pods on nodes over time, for small clusters.
pub fn gantt(run: &Run, markers: &[Marker]) -> Option<Figure> {
    let duration = run.duration();
    let bound: Vec<&PodRecord> = run
        .pods
        .iter()
        .filter(|p| !p.node.is_empty() && p.scheduled.is_some())
        .collect();
    // Nodes: those the metrics name (empty ones included), else those pods ran on.
    let mut nodes: Vec<String> = run
        .metrics
        .objects_with_prefix("node/")
        .map(|(o, _)| o.trim_start_matches("node/").to_string())
        .collect();
    if bound.is_empty() || nodes.len() > GANTT_MAX_NODES || bound.len() > GANTT_MAX_PODS {
        return None;
    }
    for p in &bound {
        if !nodes.contains(&p.node) {
            if nodes.len() == GANTT_MAX_NODES {
                return None;
            }
            nodes.push(p.node.clone());
        }
    }
    let (colored_by, keys): (&str, Vec<String>) = {
        let groups: Vec<String> = bound.iter().map(|p| group_of(p)).collect();
        let distinct = |v: &[String]| v.iter().collect::<std::collections::BTreeSet<_>>().len();
        let priorities: Vec<String> = bound
            .iter()
            .map(|p| format!("priority {}", p.priority))
            .collect();
        if distinct(&groups) < 2 && distinct(&priorities) > 1 {
            ("priority", priorities)
        } else {
            ("owner", groups)
        }
    };
    // Legend: groups by first appearance; beyond the palette, one "other".
    let mut legend: Vec<String> = Vec::new();
    let mut color_of: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &keys {
        if !color_of.contains_key(k.as_str()) {
            let c = if legend.len() < GANTT_COLORS - 1 {
                legend.push(k.clone());
                legend.len() - 1
            } else {
                if legend.len() == GANTT_COLORS - 1 {
                    legend.push("other".into());
                }
                GANTT_COLORS - 1
            };
            color_of.insert(k, c);
        }
    }
    let row_of: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut lane_ends: Vec<Vec<f64>> = vec![Vec::new(); nodes.len()];
    let mut bars = Vec::new();
    let mut bar_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut order: Vec<usize> = (0..bound.len()).collect();
    order.sort_by(|&a, &b| {
        bound[a]
            .scheduled
            .partial_cmp(&bound[b].scheduled)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for i in order {
        let p = bound[i];
        let row = row_of[p.node.as_str()];
        let start = p.scheduled.unwrap_or(p.created);
        let end = [p.finished, p.deleted]
            .into_iter()
            .flatten()
            .fold(duration, f64::min)
            .max(start);
        let ends = &mut lane_ends[row];
        let lane = match ends.iter().position(|&e| e <= start) {
            Some(l) => l,
            None => {
                ends.push(0.0);
                ends.len() - 1
            }
        };
        ends[lane] = end;
        bar_of.insert(p.key.as_str(), bars.len());
        bars.push(Bar {
            row,
            lane,
            start,
            end,
            color: color_of[keys[i].as_str()],
            failed: p.phase == "Failed" && p.finished.is_some(),
        });
    }
    let marks = run
        .events
        .disruptions
        .iter()
        .filter_map(|(time, pod, reason)| {
            let b = &bars[*bar_of.get(pod.as_str())?];
            Some(GanttMark {
                row: b.row,
                lane: b.lane,
                time: *time,
                reason: reason.clone(),
            })
        })
        .collect();
    let lanes = lane_ends.iter().map(|l| l.len().max(1)).collect();
    Some(Figure {
        file: "pods-on-nodes".into(),
        title: format!("Pods on nodes{}", run.sample_title()),
        caption: format!(
            "Each bar is a pod from binding to its end, on its node's row, coloured by \
             {colored_by}; a dark end marks a pod that failed, a cross one preempted or \
             evicted.{}",
            run.sample_note()
        ),
        body: Body::Gantt(Gantt {
            nodes,
            lanes,
            bars,
            legend,
            colored_by: colored_by.into(),
            marks,
            duration,
            markers: markers.to_vec(),
        }),
    })
}
