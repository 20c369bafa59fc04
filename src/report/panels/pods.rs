//! Pod timings and scheduling failures: the scheduling-latency and pending-time
//! distributions (from `pods.csv`) and FailedScheduling reasons over time (from `events.csv`).

use super::super::figure::{Body, Cdf, Figure, Lines, Marker, Series, Unit};
use super::super::read::Run;
use super::cdf_points;
use std::collections::BTreeMap;

/// Points per distribution: enough for a smooth curve, few enough for a small SVG.
const CDF_POINTS: usize = 400;

/// Time buckets of the FailedScheduling plot.
const REASON_BUCKETS: usize = 60;

/// Reasons drawn one by one; the rest are summed as "other reasons".
const TOP_REASONS: usize = 6;

/// The scheduling-latency and pending-time distributions.
pub fn pod_times(run: &Run) -> Option<Figure> {
    let mut latency: Vec<f64> = run
        .pods
        .iter()
        .filter_map(|p| Some(p.scheduled? - p.created))
        .collect();
    let mut pending: Vec<f64> = run
        .pods
        .iter()
        .filter_map(|p| Some(p.started? - p.created))
        .collect();
    let mut series = Vec::new();
    for (label, values) in [
        ("scheduling latency (created to bound)", &mut latency),
        ("pending time (created to running)", &mut pending),
    ] {
        if !values.is_empty() {
            let mut s = Series::new(
                format!("{label}, {} pods", values.len()),
                cdf_points(values, CDF_POINTS),
            );
            s.color = Some(series.len());
            series.push(s);
        }
    }
    if series.is_empty() {
        return None;
    }
    let sampled = run.sample_note();
    Some(Figure {
        file: "pod-times-cdf".into(),
        title: format!("Scheduling latency and pending time{}", run.sample_title()),
        caption: format!(
            "Share of pods bound (or running) within a given time of their creation.{sampled}"
        ),
        body: Body::Cdf(Cdf {
            x_label: "time since creation".into(),
            unit: Unit::Seconds,
            series,
        }),
    })
}

/// The reasons a FailedScheduling message gives for the nodes that did not fit
/// (`0/4 nodes are available: 1 node(s) had untolerated taint {...}, 3 Insufficient cpu.
/// preemption: ...` gives the taint and `Insufficient cpu`).
pub fn failure_reasons(message: &str) -> Vec<String> {
    let Some((_, rest)) = message.split_once("nodes are available: ") else {
        return vec![message.chars().take(60).collect()];
    };
    let end = rest
        .find(". preemption:")
        .or_else(|| rest.rfind('.'))
        .unwrap_or(rest.len());
    rest[..end]
        .split(", ")
        .map(|part| {
            part.trim_start_matches(|c: char| c.is_ascii_digit())
                .trim()
                .to_string()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// FailedScheduling Events per time bucket, by the reason they give.
pub fn failed_scheduling(run: &Run, markers: &[Marker]) -> Option<Figure> {
    let events = &run.events.failed_scheduling;
    let duration = run.duration();
    if events.is_empty() || duration <= 0.0 {
        return None;
    }
    let width = duration / REASON_BUCKETS as f64;
    let mut counts: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (time, message) in events {
        let bucket = ((time / width) as usize).min(REASON_BUCKETS - 1);
        for reason in failure_reasons(message) {
            counts
                .entry(reason)
                .or_insert_with(|| vec![0.0; REASON_BUCKETS])[bucket] += 1.0;
        }
    }
    let mut ranked: Vec<(String, Vec<f64>)> = counts.into_iter().collect();
    // Most cited first; ties by name (the map's order, kept by a stable sort).
    ranked.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    let mut shown: Vec<(String, Vec<f64>)> = Vec::new();
    for (i, (reason, c)) in ranked.into_iter().enumerate() {
        if i < TOP_REASONS {
            shown.push((reason, c));
        } else if i == TOP_REASONS {
            shown.push(("other reasons".into(), c));
        } else {
            let other = &mut shown[TOP_REASONS].1;
            other.iter_mut().zip(c).for_each(|(o, x)| *o += x);
        }
    }
    let series = shown
        .into_iter()
        .map(|(reason, c)| {
            // Each bucket's count holds over the bucket.
            let mut points: Vec<(f64, f64)> = c
                .iter()
                .enumerate()
                .map(|(i, n)| (i as f64 * width, *n))
                .collect();
            points.push((duration, c[REASON_BUCKETS - 1]));
            Series::new(reason, points)
        })
        .collect();
    Some(Figure {
        file: "failed-scheduling".into(),
        title: "FailedScheduling reasons over time".into(),
        caption: format!(
            "FailedScheduling Events per {}, stacked by the reasons they cite (an Event citing \
             several reasons counts once for each, so the stack counts citations).",
            bucket_text(width)
        ),
        body: Body::Lines(Lines {
            y_label: format!("reasons cited per {}", bucket_text(width)),
            unit: Unit::Count,
            series,
            duration,
            markers: markers.to_vec(),
            stacked: true,
        }),
    })
}

/// `30 s`, `2.5 min`, `1.2 h`.
fn bucket_text(seconds: f64) -> String {
    let round = |v: f64| {
        let s = format!("{v:.1}");
        s.trim_end_matches(".0").to_string()
    };
    if seconds < 120.0 {
        format!("{} s", round(seconds))
    } else if seconds < 7200.0 {
        format!("{} min", round(seconds / 60.0))
    } else {
        format!("{} h", round(seconds / 3600.0))
    }
}
