//! The plots and report of `kubesim compare`, drawn from its files alone: per metric, each
//! profile's mean and 95% interval side by side (`comparison.csv`), and the profiles'
//! pending-time distributions overlaid (`pending.csv`).

use super::figure::{Body, Cdf, Figure, Group, Intervals, Series, Unit};
use super::html::{STYLE, escape};
use super::panels::file_stem;
use super::read::{ReadError, csv_error};
use crate::output::compare::{COMPARISON_HEADER, PENDING_HEADER, runs_header};
use std::fmt::Write;
use std::path::Path;

/// One row of `comparison.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Scheduler profile.
    pub scheduler: String,
    /// Metric.
    pub metric: String,
    /// Mean, if any run had the value.
    pub mean: Option<f64>,
    /// The 95% interval, when there is one.
    pub interval: Option<(f64, f64)>,
    /// Runs.
    pub n: u64,
}

/// A comparison as its files hold it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// `comparison.csv`, in file order.
    pub estimates: Vec<Estimate>,
    /// `pending.csv`: per scheduler, percentiles 0 to 100 in seconds.
    pub pending: Vec<(String, Vec<f64>)>,
    /// `runs.csv`: the seeds the runs used, sorted, each once.
    pub seeds: Vec<u64>,
}

fn rows(dir: &Path, name: &str, header: &str) -> Result<Vec<(u64, Vec<String>)>, ReadError> {
    let path = dir.join(name);
    let fail = |line: Option<u64>, message: String| ReadError {
        file: path.clone(),
        line,
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::NotFound {
            "is missing from the comparison directory".to_string()
        } else {
            e.to_string()
        };
        fail(None, what)
    })?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in r.records().enumerate() {
        let record = record.map_err(|e| csv_error(&path, e))?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        let fields: Vec<String> = record.iter().map(String::from).collect();
        if i == 0 {
            if fields.join(",") != header {
                return Err(fail(Some(1), format!("expected the header {header:?}")));
            }
            continue;
        }
        out.push((line, fields));
    }
    Ok(out)
}

/// Reads the comparison in `dir`.
pub fn read_comparison(dir: &Path) -> Result<Comparison, ReadError> {
    let number =
        |file: &str, line: u64, column: &str, text: &str| -> Result<Option<f64>, ReadError> {
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| ReadError {
                    file: dir.join(file),
                    line: Some(line),
                    message: format!("column {column}: expected a number, got {text:?}"),
                })
        };
    let mut c = Comparison::default();
    for (line, f) in rows(dir, "comparison.csv", COMPARISON_HEADER)? {
        let n = |i: usize, col: &str| number("comparison.csv", line, col, &f[i]);
        let (low, high) = (n(3, "ci95_low")?, n(4, "ci95_high")?);
        c.estimates.push(Estimate {
            scheduler: f[0].clone(),
            metric: f[1].clone(),
            mean: n(2, "mean")?,
            interval: low.zip(high),
            n: n(5, "n")?.unwrap_or(0.0) as u64,
        });
    }
    for (line, f) in rows(dir, "pending.csv", PENDING_HEADER)? {
        let v = number("pending.csv", line, "pending_time_s", &f[2])?.unwrap_or(0.0);
        match c.pending.last_mut() {
            Some((s, values)) if *s == f[0] => values.push(v),
            _ => c.pending.push((f[0].clone(), vec![v])),
        }
    }
    for (line, f) in rows(dir, "runs.csv", &runs_header())? {
        let seed = f[2].parse::<u64>().map_err(|_| ReadError {
            file: dir.join("runs.csv"),
            line: Some(line),
            message: format!("column seed: expected a whole number, got {:?}", f[2]),
        })?;
        if let Err(i) = c.seeds.binary_search(&seed) {
            c.seeds.insert(i, seed);
        }
    }
    Ok(c)
}

/// Axis text of a comparison metric.
fn metric_label(metric: &str) -> String {
    match metric.rsplit_once('_') {
        Some((what, "s")) => format!("{} (s)", what.replace('_', " ")),
        _ => metric.replace('_', " "),
    }
}

/// The comparison's figures: one per metric that has values, then the pending times.
pub fn figures(c: &Comparison) -> Vec<Figure> {
    let mut metrics: Vec<&str> = Vec::new();
    for e in &c.estimates {
        if !metrics.contains(&e.metric.as_str()) {
            metrics.push(&e.metric);
        }
    }
    let mut out: Vec<Figure> = metrics
        .iter()
        .filter_map(|m| {
            let groups: Vec<Group> = c
                .estimates
                .iter()
                .filter(|e| e.metric == *m)
                .filter_map(|e| {
                    Some(Group {
                        label: e.scheduler.clone(),
                        mean: e.mean?,
                        interval: e.interval,
                    })
                })
                .collect();
            (!groups.is_empty()).then(|| Figure {
                file: format!("compare-{}", file_stem(m)),
                title: m.to_string(),
                caption: format!(
                    "{m}: each arm's mean over its runs (a scheduler profile or a variant), with the 95% confidence interval \
                     (Student t) where there are two runs or more."
                ),
                body: Body::Intervals(Intervals {
                    y_label: metric_label(m),
                    groups,
                }),
            })
        })
        .collect();
    if !c.pending.is_empty() {
        let series = c
            .pending
            .iter()
            .map(|(s, values)| {
                let points = values
                    .iter()
                    .enumerate()
                    .map(|(p, v)| (*v, p as f64 / 100.0))
                    .collect();
                Series::new(s.clone(), points)
            })
            .collect();
        out.push(Figure {
            file: "pending-time-cdf".into(),
            title: "Pending time by arm".into(),
            caption: "Share of pods running within a given time of their creation, every run \
                      of each arm pooled (percentiles from pending.csv)."
                .into(),
            body: Body::Cdf(Cdf {
                x_label: "pending time".into(),
                unit: Unit::Seconds,
                series,
            }),
        });
    }
    out
}

/// `7, 8, 9` or `7 to 16` (consecutive seeds, as `kubesim compare` draws them).
fn seeds_text(seeds: &[u64]) -> String {
    match seeds {
        [] => "none".into(),
        [a, .., b] if seeds.len() > 3 && b - a + 1 == seeds.len() as u64 => {
            format!("{a} to {b}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The comparison's page.
pub fn page(c: &Comparison, figures: &[(&Figure, &str)]) -> String {
    let mut profiles: Vec<&str> = Vec::new();
    for e in &c.estimates {
        if !profiles.contains(&e.scheduler.as_str()) {
            profiles.push(&e.scheduler);
        }
    }
    let title = profiles.join(" vs ");
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(super::html::CSP);
    let _ = writeln!(h, "<title>{} · kubesim comparison</title>", escape(&title));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        h,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">kubesim compare: each arm (a scheduler \
         profile, or a variant of the scenario) ran with the same {} seed(s), {}</p>\n</header>\n<main>",
        escape(&title),
        c.seeds.len(),
        seeds_text(&c.seeds)
    );
    h.push_str("<h2 id=\"summary\">Means and 95% intervals</h2>\n<div class=\"scroll\"><table>\n");
    h.push_str(
        "<tr><th>arm</th><th>metric</th><th>mean</th><th>95% interval</th><th>runs</th></tr>\n",
    );
    for e in &c.estimates {
        let mean = e.mean.map_or("–".into(), |m| format!("{m:.4}"));
        let ci = e
            .interval
            .map_or("–".into(), |(l, u)| format!("{l:.4} – {u:.4}"));
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{mean}</td><td class=\"num\">{ci}</td>\
             <td class=\"num\">{}</td></tr>",
            escape(&e.scheduler),
            escape(&e.metric),
            e.n
        );
    }
    h.push_str("</table></div>\n");
    super::html::plots(&mut h, figures, None);
    let _ = writeln!(
        h,
        "</main>\n<footer>Written by kubesim {} from comparison.csv and pending.csv.</footer>\n\
         </body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}
