//! The HPAs and the traffic: for each HPA its replicas against its target's ready pods, the
//! requests reaching its target (offered, served, unserved) and each metric against its
//! target; for each Service with traffic its requests and its latency estimates. Which
//! flows reach which HPA's target comes from `summary.json` (`hpa[].traffic`).

use super::super::figure::{Figure, Marker, Series, Unit};
use super::super::read::Run;
use super::{file_stem, lines, styled};
use serde_json::Value;

/// The series the request and latency figures draw (the family rule leaves them out).
pub const DRAWN: &[&str] = &[
    "offered_rps",
    "served_rps",
    "unserved_rps",
    "latency_p50_s",
    "latency_p99_s",
];

/// The requests of one flow object: offered, served, unserved.
fn requests(run: &Run, object: &str) -> Vec<Series> {
    [
        ("offered_rps", "offered", 0, true),
        ("served_rps", "served", 4, false),
        ("unserved_rps", "unserved", 2, false),
    ]
    .into_iter()
    .filter_map(|(m, label, color, dashed)| {
        styled(
            run,
            (object, m),
            &format!("{object} {label}"),
            color,
            dashed,
        )
    })
    .collect()
}

/// Every HPA's and every traffic target's figures.
pub fn figures(run: &Run, markers: &[Marker]) -> Vec<Figure> {
    let mut out = Vec::new();
    let hpas = run.summary["hpa"].as_array().cloned().unwrap_or_default();
    for h in &hpas {
        out.extend(hpa(run, markers, h));
    }
    for (object, metrics) in &run.metrics.objects {
        if !metrics.iter().any(|(m, _)| m == "offered_rps") {
            continue;
        }
        let caption = format!(
            "Requests/s offered to {object}, served by its ready endpoints, and left unserved \
             (above what the pods can serve, or with no endpoint ready)."
        );
        out.extend(lines(
            run,
            markers,
            (
                file_stem(&format!("{object}-requests")),
                format!("{object}: requests"),
                caption,
            ),
            ("requests/s", Unit::Value),
            requests(run, object),
        ));
        let latency: Vec<Series> = [("latency_p50_s", "p50", 0), ("latency_p99_s", "p99", 2)]
            .into_iter()
            .filter_map(|(m, label, color)| styled(run, (object, m), label, color, false))
            .collect();
        let caption = format!(
            "Estimated response time of {object}'s requests (each ready endpoint an M/M/1 queue \
             at its share of the requests), median and 99th percentile."
        );
        out.extend(lines(
            run,
            markers,
            (
                file_stem(&format!("{object}-latency")),
                format!("{object}: latency"),
                caption,
            ),
            ("response time", Unit::Seconds),
            latency,
        ));
    }
    out
}

/// One HPA's figures: replicas, the traffic reaching its target, each metric against its
/// target.
fn hpa(run: &Run, markers: &[Marker], h: &Value) -> Vec<Figure> {
    let name = h["name"].as_str().unwrap_or_default();
    let object = format!("hpa/{name}");
    let mut out = Vec::new();
    let mut replicas: Vec<Series> = [
        ("hpa_current_replicas", "current (HPA status)", 0, false),
        ("hpa_desired_replicas", "desired (HPA status)", 1, true),
    ]
    .into_iter()
    .filter_map(|(m, label, color, dashed)| styled(run, (&object, m), label, color, dashed))
    .collect();
    if let Some(target) = h["target"].as_str() {
        replicas.extend(styled(
            run,
            (target, "replicas_ready"),
            &format!("{target} ready"),
            4,
            false,
        ));
    }
    let (min, max) = (
        h["min_replicas"].as_i64().unwrap_or(0),
        h["max_replicas"].as_i64().unwrap_or(0),
    );
    let caption = format!(
        "The HPA's current and desired replicas (bounds {min} to {max}) and its target's ready \
         pods: new replicas serve only once Ready."
    );
    out.extend(lines(
        run,
        markers,
        (
            file_stem(&format!("{object}-replicas")),
            format!("{object}: replicas"),
            caption,
        ),
        ("replicas", Unit::Count),
        replicas,
    ));
    let traffic: Vec<Series> = (h["traffic"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .flat_map(|o| requests(run, o))
        .collect();
    let caption = format!(
        "The requests/s reaching {object}'s target: offered, served, and unserved while the \
         pods are too few or not yet Ready."
    );
    out.extend(lines(
        run,
        markers,
        (
            file_stem(&format!("{object}-traffic")),
            format!("{object}: traffic"),
            caption,
        ),
        ("requests/s", Unit::Value),
        traffic,
    ));
    for m in h["metrics"].as_array().into_iter().flatten() {
        let metric = m["name"].as_str().unwrap_or_default();
        let mobject = format!("{object}/{metric}");
        let utilization = m["utilization"].as_bool().unwrap_or(false);
        let series: Vec<Series> = [
            ("hpa_metric_value", "value (HPA status)", 0, false),
            ("hpa_metric_target", "target", 2, true),
        ]
        .into_iter()
        .filter_map(|(k, label, color, dashed)| styled(run, (&mobject, k), label, color, dashed))
        .collect();
        let (y, what) = if utilization {
            (
                "% of request",
                "utilization, in percent of the pods' requests",
            )
        } else {
            ("value", "value")
        };
        let caption = format!(
            "{metric} ({}) as the HPA last read it, its {what}, against the target: above it \
             the HPA scales up, below it (outside the 10% tolerance) down.",
            m["type"].as_str().unwrap_or_default()
        );
        out.extend(lines(
            run,
            markers,
            (
                file_stem(&mobject),
                format!("{mobject}: value vs target"),
                caption,
            ),
            (y, Unit::Value),
            series,
        ));
    }
    out
}
