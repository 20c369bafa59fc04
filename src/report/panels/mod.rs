//! Which plots a run gets, decided from its files alone. Each panel is drawn only when the run
//! has its data; every series family `metrics.csv` gains gets charts by one rule
//! ([`families`]), so a new capability adds plots by adding series.

mod autoscaling;
mod cluster;
mod families;
mod faults;
mod nodes;
mod pods;

use super::figure::{Body, Figure, Lines, Marker, Series, Unit};
use super::read::{Run, SeriesPoints};

/// The figures for `run`, in the order the report shows them.
pub fn figures(run: &Run) -> Vec<Figure> {
    let markers: Vec<Marker> = run
        .markers()
        .into_iter()
        .map(|(time, label)| Marker { time, label })
        .collect();
    let mut out = Vec::new();
    out.extend(cluster::figures(run, &markers));
    out.extend(faults::figures(run, &markers));
    out.extend(pods::pod_times(run));
    out.extend(pods::failed_scheduling(run, &markers));
    out.extend(nodes::heatmap(run, &markers));
    out.extend(nodes::gantt(run, &markers));
    out.extend(autoscaling::figures(run, &markers));
    out.extend(families::figures(run, &markers));
    out
}

/// A series of `run`'s metrics, if written, up to where the time axes end.
fn series(run: &Run, object: &str, metric: &str, label: &str) -> Option<Series> {
    run.metrics
        .series(object, metric)
        .map(|p: &SeriesPoints| Series::new(label, clip(p, run.duration())))
}

/// A figure of time series, when at least one has data.
fn lines(
    run: &Run,
    markers: &[Marker],
    (file, title, caption): (impl Into<String>, impl Into<String>, impl Into<String>),
    (y_label, unit): (&str, Unit),
    series: Vec<Series>,
) -> Option<Figure> {
    (!series.is_empty()).then(|| Figure {
        file: file.into(),
        title: title.into(),
        caption: caption.into(),
        body: Body::Lines(Lines {
            y_label: y_label.into(),
            unit,
            series,
            duration: run.duration(),
            markers: markers.to_vec(),
            stacked: false,
        }),
    })
}

/// `metric` of `object` in a fixed colour, dashed or not.
fn styled(
    run: &Run,
    (object, metric): (&str, &str),
    label: &str,
    color: usize,
    dashed: bool,
) -> Option<Series> {
    let mut s = series(run, object, metric, label)?;
    s.color = Some(color);
    s.dashed = dashed;
    Some(s)
}

/// The points of a sampled series up to `end`, the value then held to `end`.
pub fn clip(points: &[(f64, f64)], end: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = points.iter().copied().take_while(|p| p.0 <= end).collect();
    match (out.last(), points.get(out.len())) {
        (Some(&(t, v)), Some(_)) if t < end => out.push((end, v)),
        _ => {}
    }
    out
}

/// Points of a cumulative distribution of `values`: at most `max` points, the last at 1.
pub fn cdf_points(values: &mut [f64], max: usize) -> Vec<(f64, f64)> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(max.max(1)).max(1);
    let mut points: Vec<(f64, f64)> = (0..n)
        .step_by(step)
        .map(|i| (values[i], (i + 1) as f64 / n as f64))
        .collect();
    if points.last().is_some_and(|&(_, f)| f < 1.0) {
        points.push((values[n - 1], 1.0));
    }
    points
}

/// A name usable as a file stem: `deployment/default/web` gives `deployment-default-web`.
pub fn file_stem(text: &str) -> String {
    let mut stem: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while stem.contains("--") {
        stem = stem.replace("--", "-");
    }
    stem.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests;
