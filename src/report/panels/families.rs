//! The rule for every other series family `metrics.csv` holds (workloads, Services, HPAs,
//! faults, ...): one chart per object, with each of its metrics as a line. Objects are named
//! `kind/...`; the kinds the other panels draw are left out.

use super::super::figure::{Body, Figure, Lines, Marker, Series, Unit};
use super::super::read::Run;
use super::{clip, file_stem};
use std::collections::BTreeMap;

/// Object kinds other panels draw.
const DRAWN_ELSEWHERE: &[&str] = &["cluster", "nodepool", "node", "hpa"];

/// Charts per family at most; a family with more objects names the rest in its last caption.
pub const MAX_PER_FAMILY: usize = 24;

/// One chart per object of every family not drawn elsewhere.
pub fn figures(run: &Run, markers: &[Marker]) -> Vec<Figure> {
    let mut per_family: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out: Vec<Figure> = Vec::new();
    for (object, metrics) in &run.metrics.objects {
        let family = object.split('/').next().unwrap_or(object);
        if DRAWN_ELSEWHERE.contains(&family) {
            continue;
        }
        let n = per_family.entry(family).or_default();
        *n += 1;
        if *n > MAX_PER_FAMILY {
            continue;
        }
        // The traffic panels draw the request and latency series, the fault panels the
        // availability.
        let series: Vec<Series> = metrics
            .iter()
            .filter(|(metric, _)| {
                let m = metric.as_str();
                !super::autoscaling::DRAWN.contains(&m) && !super::faults::DRAWN.contains(&m)
            })
            .map(|(metric, points)| Series::new(metric.clone(), clip(points, run.duration())))
            .collect();
        if series.is_empty() {
            continue;
        }
        out.push(Figure {
            file: file_stem(object),
            title: object.clone(),
            caption: format!(
                "The {family} series of {object} in metrics.csv, one line per metric."
            ),
            body: Body::Lines(Lines {
                y_label: "value".into(),
                unit: Unit::Value,
                series,
                duration: run.duration(),
                markers: markers.to_vec(),
                stacked: false,
            }),
        });
    }
    for (family, n) in per_family {
        if n > MAX_PER_FAMILY
            && let Some(last) = out
                .iter_mut()
                .rev()
                .find(|f| f.title.split('/').next() == Some(family))
        {
            last.caption.push_str(&format!(
                " {} more {family} objects are in metrics.csv but not drawn.",
                n - MAX_PER_FAMILY
            ));
        }
    }
    out
}
