//! Plots and `report.html`, drawn from a finished run's files alone ([`read`]), so that
//! `kubesim plot RUN_DIR` gives the same files as the run did. The panels decide what to draw
//! ([`panels`]), the renderer draws it as SVG and PNG ([`draw`]), and [`html`] writes the page.

pub mod compare;
pub mod draw;
pub mod figure;
pub mod html;
pub mod panels;
mod raster;
pub mod read;

use crate::output::destination::{PLOTS, PLOTS_INDEX};
use rayon::prelude::*;
use std::path::Path;

/// The drawn files of a report: paths relative to the run directory, and their bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    /// `plots/NAME.svg`, `plots/NAME.png`, ..., then `report.html`.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Rendered {
    /// Writes the files under `dir`: `plots/` with its index first (the names of the plots,
    /// so that kubesim later replaces only its own files there), then the plots and the page.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let plots = dir.join(PLOTS);
        std::fs::create_dir_all(&plots)?;
        let index: String = self
            .files
            .iter()
            .filter_map(|(n, _)| n.strip_prefix("plots/"))
            .map(|n| format!("{n}\n"))
            .collect();
        std::fs::write(plots.join(PLOTS_INDEX), index)?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }

    /// How many plots (PNG and SVG pairs).
    pub fn plots(&self) -> usize {
        self.files
            .iter()
            .filter(|(n, _)| n.ends_with(".png"))
            .count()
    }
}

/// Draws the plots and the report of the run in `dir` (its files checked as `check` says).
pub fn render_run(dir: &Path, check: read::Check) -> Result<Rendered, String> {
    let run = read::read_run(dir, check).map_err(|e| e.to_string())?;
    let figures = panels::figures(&run);
    render(&figures, |svgs| html::page(&run, svgs))
}

/// Draws the plots and the report of the `kubesim compare` output in `dir`.
pub fn render_comparison(dir: &Path) -> Result<Rendered, String> {
    let c = compare::read_comparison(dir).map_err(|e| e.to_string())?;
    let figures = compare::figures(&c);
    render(&figures, |svgs| compare::page(&c, svgs))
}

/// Whether `dir` holds the output of `kubesim compare` (rather than of a run).
pub fn is_comparison(dir: &Path) -> bool {
    dir.join("comparison.csv").is_file() && !dir.join("summary.json").exists()
}

/// Draws `figures` as SVG and PNG, and the page `page` makes of them.
fn render(
    figures: &[figure::Figure],
    page: impl FnOnce(&[(&figure::Figure, &str)]) -> String,
) -> Result<Rendered, String> {
    // Each figure is drawn on its own; the results are collected in figure order.
    let drawn: Vec<(String, Vec<u8>)> = figures
        .par_iter()
        .map(|f| Ok((draw::svg(f)?, draw::png(f)?)))
        .collect::<Result<_, String>>()?;
    let svgs: Vec<(&figure::Figure, &str)> = figures
        .iter()
        .zip(&drawn)
        .map(|(f, (svg, _))| (f, svg.as_str()))
        .collect();
    let page = page(&svgs);
    let mut files = Vec::with_capacity(drawn.len() * 2 + 1);
    for (f, (svg, png)) in figures.iter().zip(drawn) {
        files.push((format!("plots/{}.svg", f.file), svg.into_bytes()));
        files.push((format!("plots/{}.png", f.file), png));
    }
    files.push(("report.html".into(), page.into_bytes()));
    Ok(Rendered { files })
}
