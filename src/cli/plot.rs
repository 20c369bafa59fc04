//! `kubesim plot RUN_DIR`: draws a finished run's plots and `report.html` again from its
//! files, exactly as the run drew them; and the drawing step of `kubesim run`.

use super::interrupt;
use crate::output::Finished;
use crate::output::destination::{self, Install, OutputKind};
use crate::report::read::Check;
use crate::report::{Rendered, is_comparison, render_comparison, render_run};
use crate::scenario::PLOT_EVENTS_LIMIT;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Examples shown by `kubesim plot --help`.
pub const EXAMPLES: &str = "\
Examples:
  kubesim run scenarios/quickstart.yaml --out results/qs
  kubesim plot results/qs            # results/qs/report.html and results/qs/plots/
  kubesim plot results/compare-small # a comparison's plots and report";

/// Arguments of `kubesim plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// Output directory of a finished `kubesim run` or `kubesim compare`.
    #[arg(value_name = "RUN_DIR")]
    run_dir: PathBuf,
}

/// Runs `kubesim plot`.
pub(super) fn plot(args: PlotArgs) -> ExitCode {
    let dir = &args.run_dir;
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a directory"
        } else {
            "no such directory"
        };
        eprintln!(
            "error: {}: {what}; give the output directory of a kubesim run or comparison",
            dir.display()
        );
        return ExitCode::from(1);
    }
    let (kind, rendered) = if is_comparison(dir) {
        (OutputKind::Comparison, render_comparison(dir))
    } else {
        (OutputKind::Run, render_run(dir, Check::Hashes))
    };
    destination::sweep_debris(dir, kind);
    let rendered = match rendered {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}\nnothing was written");
            return ExitCode::from(1);
        }
    };
    let armed = interrupt::arm();
    let written = install_report(dir, &rendered, kind);
    drop(armed);
    match written {
        Ok(()) => {
            println!(
                "{} plots and the report written: {}",
                rendered.plots(),
                dir.join("report.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing into {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}

/// Writes `plots/` and `report.html` beside a temporary name, then moves them into `dir`.
pub(super) fn install_report(
    dir: &Path,
    rendered: &Rendered,
    kind: OutputKind,
) -> std::io::Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
    let result = std::fs::create_dir(&tmp)
        .and_then(|()| rendered.write(&tmp))
        .and_then(|()| destination::install(&tmp, dir, kind, Install::Written));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// The drawing step of `kubesim run`: draws into the finished files' directory when plots are
/// on (`output.plots`, or by default under [`PLOT_EVENTS_LIMIT`] events). Returns the text
/// for the run's log line.
pub(super) fn draw_run(finished: &Finished, plots: Option<bool>, events: u64) -> String {
    if let Some(why) = no_plots(plots, events) {
        return format!("; no plots ({why})");
    }
    // The files were hashed as they were written: no need to read them twice.
    let drawn = render_run(finished.dir(), Check::JustWritten).and_then(|r| {
        r.write(finished.dir())
            .map(|()| r.plots())
            .map_err(|e| e.to_string())
    });
    match drawn {
        Ok(n) => format!("; {n} plots and report.html"),
        Err(e) => {
            // The data files are whole; only the pictures are missing.
            let _ = std::fs::remove_dir_all(finished.dir().join("plots"));
            let _ = std::fs::remove_file(finished.dir().join("report.html"));
            eprintln!("warning: the plots could not be drawn: {e}");
            "; no plots (drawing failed)".into()
        }
    }
}

/// Why a run draws no plots (`output.plots`, or by default [`PLOT_EVENTS_LIMIT`] events or
/// more), or `None` when it draws them.
fn no_plots(plots: Option<bool>, events: u64) -> Option<String> {
    match plots {
        Some(true) => None,
        Some(false) => Some("output.plots: false".into()),
        None if events < PLOT_EVENTS_LIMIT => None,
        None => Some(format!(
            "{events} events, over the {PLOT_EVENTS_LIMIT} drawn by default: set output.plots: \
             true, or run kubesim plot on the output"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_drawn_by_default_under_a_million_events_and_as_asked_otherwise() {
        assert_eq!(no_plots(None, 999_999), None);
        let why = no_plots(None, 1_000_000).unwrap();
        assert!(why.starts_with("1000000 events, over the 1000000"), "{why}");
        assert!(why.contains("kubesim plot"), "{why}");
        assert_eq!(no_plots(Some(true), 5_000_000), None);
        assert_eq!(
            no_plots(Some(false), 10).as_deref(),
            Some("output.plots: false")
        );
    }
}
