//! `kubesim compare`: the same workload under several scheduler profiles, or several variants
//! of a scenario (an HPA's `behavior`, a node count), over several seeds, in parallel,
//! summarised as means with 95% confidence intervals.
//!
//! Each run is one arm (a scheduler profile or a variant) and one replicate. With
//! `--scheduler`, every pod, pod template, Job template and trace row of the scenario is
//! pointed at the profile (`spec.schedulerName`), so the profile schedules the whole workload;
//! with `--variant`, each arm is its own scenario, run as written. Replicate `i` (from 0) uses
//! seed [`replicate_seed`]`(seed, i)` = seed + i for every arm, the seed being the scenario's
//! (the first variant's), so the arms see the same arrivals, durations and noise (common
//! random numbers), whatever the thread count or the order in which the runs finish. Runs
//! write no files; results are collected in (arm, replicate) order, so the output bytes do
//! not depend on the threads.

use crate::api::quantity::Quantity;
use crate::observe::comparison::{
    CompareRun, METRICS, MetricEstimate, ReferenceOverride, RunMetrics, summarize,
};
use crate::output::compare::write_comparison;
use crate::output::destination::{self, OutputKind};
use crate::scenario::Scenario;
use crate::scheduler::plugins::Registry;
use crate::world::{NullSink, World};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Examples shown by `kubesim compare --help`.
pub const EXAMPLES: &str = "\
Examples:
  kubesim compare scenarios/compare-small.yaml --scheduler default-scheduler --scheduler bin-packing
  kubesim compare scenarios/bin-packing.yaml --scheduler default-scheduler --scheduler bin-packing \\
      --seeds 20 --threads 2 --reference-pod cpu=500m,memory=1Gi --out results/bp
  kubesim compare --seeds 5 \\
      --variant default=scenarios/hpa-spike/base.yaml,scenarios/hpa-spike/default.yaml \\
      --variant tuned=scenarios/hpa-spike/base.yaml,scenarios/hpa-spike/tuned.yaml";

/// Arguments of `kubesim compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Scenario files or directories (as for `run`), for --scheduler.
    #[arg(
        value_name = "SCENARIO",
        required_unless_present = "variants",
        conflicts_with = "variants"
    )]
    paths: Vec<PathBuf>,
    /// A scheduler profile (`schedulerName`) to compare; give it once per profile.
    #[arg(
        long = "scheduler",
        value_name = "NAME",
        required_unless_present = "variants",
        conflicts_with = "variants"
    )]
    schedulers: Vec<String>,
    /// A variant to compare, as NAME=SCENARIO[,SCENARIO...] (files or directories that make
    /// one scenario, as for `run`, run as written); give it once per variant. Every variant
    /// runs with the first one's seed.
    #[arg(
        long = "variant",
        value_name = "NAME=SCENARIO",
        value_parser = parse_variant
    )]
    variants: Vec<(String, Vec<PathBuf>)>,
    /// Replicates per profile; replicate i uses seed = scenario seed + i.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    seeds: u32,
    /// Output directory [default: results/compare-<simulation name>]. It must not exist, be
    /// empty, or hold an earlier comparison's files.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write into an --out directory that holds other files (kubesim's files are replaced,
    /// the others left alone).
    #[arg(long)]
    force: bool,
    /// Runs in parallel [default: available parallelism].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    threads: Option<u32>,
    /// Reference pod for the fragmentation metric, e.g. cpu=500m,memory=1Gi [default: the
    /// median cpu and memory request of each run's pods].
    #[arg(long, value_name = "cpu=Q,memory=Q", value_parser = parse_reference_pod)]
    reference_pod: Option<ReferenceOverride>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    validate: super::ValidateFlag,
    /// Refuse a comparison whose runs may each create more pods than this (every run keeps
    /// its pods in memory, and several run at once).
    #[arg(long, value_name = "N", default_value_t = 5_000_000)]
    max_pods: u64,
}

/// The seed of replicate `replicate` (from 0): `scenario_seed + replicate`, wrapping. It
/// depends on nothing else, so `kubesim run --seed` reproduces the workload of any replicate.
pub fn replicate_seed(scenario_seed: u64, replicate: u32) -> u64 {
    scenario_seed.wrapping_add(u64::from(replicate))
}

/// Parses `NAME=SCENARIO[,SCENARIO...]` (the name of letters, digits, `-`, `_` and `.`).
pub fn parse_variant(s: &str) -> Result<(String, Vec<PathBuf>), String> {
    let Some((name, path)) = s.split_once('=') else {
        return Err(format!("expected NAME=SCENARIO, got {s:?}"));
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || !name.chars().all(ok) {
        return Err(format!(
            "{name:?}: a variant's name is letters, digits, '-', '_' and '.'"
        ));
    }
    let paths: Vec<PathBuf> = path.split(',').map(PathBuf::from).collect();
    if paths.iter().any(|p| p.as_os_str().is_empty()) {
        return Err(format!(
            "{name}: expected scenario files or directories after '=', separated by ','"
        ));
    }
    Ok((name.to_string(), paths))
}

/// Parses `cpu=500m,memory=1Gi` (either key may be left out; it then keeps the median).
pub fn parse_reference_pod(s: &str) -> Result<ReferenceOverride, String> {
    let mut r = ReferenceOverride::default();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!(
                "expected cpu=QUANTITY,memory=QUANTITY, got {part:?}"
            ));
        };
        let q = Quantity::parse(value.trim()).map_err(|e| e.to_string())?;
        if q < Quantity::default() {
            return Err(format!("{part:?}: must not be negative"));
        }
        match key.trim() {
            "cpu" => r.cpu_m = Some(q.as_milli_i64().ok_or("cpu: value out of range")?),
            "memory" => r.memory = Some(q.as_units_i64().ok_or("memory: value out of range")?),
            other => {
                return Err(format!(
                    "unknown resource {other:?}: expected cpu and/or memory"
                ));
            }
        }
    }
    if r == ReferenceOverride::default() {
        return Err("expected cpu=QUANTITY and/or memory=QUANTITY".to_string());
    }
    Ok(r)
}

/// One arm of a comparison: its label, its scenario, and the files that reproduce a run.
struct Arm {
    label: String,
    scenario: Scenario,
    paths: Vec<PathBuf>,
}

/// The arms of `--scheduler` (one scenario, pointed at each profile in turn).
fn scheduler_arms(args: &CompareArgs) -> Result<Vec<Arm>, ExitCode> {
    let mut seen: Vec<&str> = Vec::new();
    for s in &args.schedulers {
        if seen.contains(&s.as_str()) {
            eprintln!("error: --scheduler {s:?} is given twice");
            return Err(ExitCode::from(2));
        }
        seen.push(s);
    }
    let scenario = super::load_with(&args.paths, args.validate, args.quiet)?;
    if let Err(e) = super::check_pods(&scenario, args.max_pods) {
        eprintln!("error: {e}");
        return Err(ExitCode::from(1));
    }
    let known: Vec<&str> = scenario
        .scheduler
        .profiles
        .iter()
        .map(|p| p.scheduler_name.as_str())
        .collect();
    let unknown: Vec<&String> = args
        .schedulers
        .iter()
        .filter(|s| !known.contains(&s.as_str()))
        .collect();
    if !unknown.is_empty() {
        for s in unknown {
            eprintln!(
                "error: --scheduler {s:?}: the scenario has no scheduler profile of that name; known profiles: {}",
                known.join(", ")
            );
        }
        return Err(ExitCode::from(1));
    }
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
    Ok(args
        .schedulers
        .iter()
        .map(|name| Arm {
            label: name.clone(),
            scenario: scenario.with_scheduler_name(name),
            paths: args.paths.clone(),
        })
        .collect())
}

/// The arms of `--variant` (each its own scenario, as written).
fn variant_arms(args: &CompareArgs) -> Result<Vec<Arm>, ExitCode> {
    let mut arms: Vec<Arm> = Vec::new();
    for (name, paths) in &args.variants {
        if arms.iter().any(|a| &a.label == name) {
            eprintln!("error: --variant {name:?} is given twice");
            return Err(ExitCode::from(2));
        }
        let paths = paths.clone();
        let scenario = super::load_with(&paths, args.validate, args.quiet)?;
        if let Err(e) = super::check_pods(&scenario, args.max_pods) {
            eprintln!("error: variant {name}: {e}");
            return Err(ExitCode::from(1));
        }
        for w in &scenario.warnings {
            eprintln!("warning: variant {name}: {w}");
        }
        if let Some(first) = arms.first()
            && first.scenario.seed != scenario.seed
        {
            eprintln!(
                "warning: variant {name} has seed {}; it runs with {}'s seed {}, as every variant does",
                scenario.seed, first.label, first.scenario.seed
            );
        }
        arms.push(Arm {
            label: name.clone(),
            scenario,
            paths,
        });
    }
    Ok(arms)
}

/// Runs `kubesim compare`.
pub(super) fn compare(args: CompareArgs) -> ExitCode {
    let arms = if args.variants.is_empty() {
        scheduler_arms(&args)
    } else {
        variant_arms(&args)
    };
    let mut arms = match arms {
        Ok(a) => a,
        Err(code) => return code,
    };
    let first = &arms[0].scenario;
    let (seed, name) = (first.seed, first.name.clone());
    let all_paths: Vec<PathBuf> = arms.iter().flat_map(|a| a.paths.clone()).collect();
    let dest = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("compare-{name}")));
    if let Err(e) = destination::check(&dest, OutputKind::Comparison, &all_paths, args.force) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let kind = if args.variants.is_empty() {
        "scheduler"
    } else {
        "variant"
    };
    let started = Instant::now();
    for a in &mut arms {
        a.scenario.output.explain = false;
    }
    let labels: Vec<String> = arms.iter().map(|a| a.label.clone()).collect();
    let jobs: Vec<(usize, u32)> = (0..arms.len())
        .flat_map(|k| (0..args.seeds).map(move |i| (k, i)))
        .collect();
    let threads = args.threads.map(|t| t as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.min(jobs.len()).max(1))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start {threads} threads: {e}");
            return ExitCode::from(1);
        }
    };
    let bar = progress_bar(args.quiet, jobs.len() as u64);
    let reference = args.reference_pod.unwrap_or_default();
    let results: Vec<Result<CompareRun, String>> = pool.install(|| {
        jobs.par_iter()
            .map(|&(k, i)| {
                let seed = replicate_seed(seed, i);
                let r = run_one(&arms[k].scenario, seed, reference).map(|metrics| CompareRun {
                    scheduler: arms[k].label.clone(),
                    replicate: i,
                    seed,
                    metrics,
                });
                if let Some(b) = &bar {
                    b.inc(1);
                }
                r.map_err(|e| {
                    format!(
                        "{} {} seed {seed}: {e}\nreproduce the workload with: kubesim run {} --seed {seed}",
                        kind,
                        arms[k].label,
                        paths_text(&arms[k].paths)
                    )
                })
            })
            .collect()
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut runs = Vec::with_capacity(results.len());
    let mut failed = false;
    for r in results {
        match r {
            Ok(run) => runs.push(run),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return ExitCode::from(1);
    }
    let estimates = summarize(&runs, &labels);
    let armed = super::interrupt::arm();
    let written = write_comparison(&dest, &estimates, &runs, &labels);
    drop(armed);
    if let Err(e) = written {
        eprintln!("error: writing {}: {e}", dest.display());
        return ExitCode::from(1);
    }
    let plots = draw_comparison(&dest);
    let table = render_table(kind, &labels, args.seeds as usize, &estimates);
    let _ = std::io::stdout().lock().write_all(table.as_bytes());
    let reference_text = match args.reference_pod {
        None => "the median cpu and memory request of each run's pods".to_string(),
        Some(r) => format!(
            "cpu {}, memory {} (each run's median where not given)",
            r.cpu_m.map_or("median".into(), |c| format!("{c}m")),
            r.memory.map_or("median".into(), |m| format!("{m} bytes"))
        ),
    };
    eprintln!(
        "{} runs ({} {kind}(s) x {} seed(s) from seed {seed}) in {:.2}s on {} thread(s); mean ± 95% CI half-width (Student t); fragmentation reference pod: {reference_text}; wrote {}, {} and pending.csv{plots}",
        runs.len(),
        arms.len(),
        args.seeds,
        started.elapsed().as_secs_f64(),
        pool.current_num_threads(),
        dest.join("comparison.csv").display(),
        dest.join("runs.csv").display()
    );
    ExitCode::SUCCESS
}

/// Draws the comparison's plots and report; returns the text for the log line.
fn draw_comparison(dest: &Path) -> String {
    let drawn = crate::report::render_comparison(dest).and_then(|r| {
        super::plot::install_report(dest, &r, OutputKind::Comparison)
            .map(|()| r.plots())
            .map_err(|e| e.to_string())
    });
    match drawn {
        Ok(n) => format!(", {n} plots and {}", dest.join("report.html").display()),
        Err(e) => {
            eprintln!("warning: the plots could not be drawn: {e}");
            String::new()
        }
    }
}

fn paths_text(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One run, single-threaded, without files.
fn run_one(
    scenario: &Scenario,
    seed: u64,
    reference: ReferenceOverride,
) -> Result<RunMetrics, String> {
    let mut s = scenario.clone();
    s.seed = seed;
    let mut world = World::new(&s, &Registry::in_tree()).map_err(|e| e.join("; "))?;
    world.keep_node_free();
    world
        .run(&mut NullSink, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    let summary = world.summary(0.0);
    Ok(RunMetrics::compute(
        world.store(),
        &summary,
        world.sampler(),
        world.arrivals_remaining(),
        reference,
    ))
}

fn progress_bar(quiet: bool, runs: u64) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(runs);
    let style = indicatif::ProgressStyle::with_template("{spinner} runs {pos}/{len} [{bar:40}]")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    Some(bar)
}

/// Decimals shown for each metric of [`METRICS`] in the terminal table.
const DECIMALS: [usize; 15] = [1, 2, 2, 1, 3, 3, 3, 3, 3, 1, 1, 3, 4, 1, 1];

/// One cell: `mean ± half-width`, just the mean for one value, `-` for none, and the count
/// when some runs had no value.
fn cell(e: &MetricEstimate, decimals: usize, runs: usize) -> String {
    let Some(ci) = &e.estimate else {
        return "-".to_string();
    };
    let mut s = match ci.half_width {
        Some(h) => format!("{:.*} ± {:.*}", decimals, ci.mean, decimals, h),
        None => format!("{:.*}", decimals, ci.mean),
    };
    if ci.n != runs {
        s.push_str(&format!(" (n={})", ci.n));
    }
    s
}

/// The terminal table: a header (`kind`: scheduler or variant), then one row per arm with `n`
/// and every metric some run has as `mean ± ci95 half-width`, columns separated by at least
/// two spaces.
pub fn render_table(
    kind: &str,
    arms: &[String],
    runs: usize,
    estimates: &[MetricEstimate],
) -> String {
    let shown: Vec<(usize, &str)> = (METRICS.iter().copied().enumerate())
        .filter(|(_, m)| (estimates.iter()).any(|e| e.metric == *m && e.estimate.is_some()))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(arms.len() + 1);
    let mut header = vec![kind.to_string(), "n".to_string()];
    header.extend(shown.iter().map(|(_, m)| m.to_string()));
    rows.push(header);
    for s in arms {
        let mut row = vec![s.clone(), runs.to_string()];
        for &(k, metric) in &shown {
            let text = estimates
                .iter()
                .find(|e| &e.scheduler == s && e.metric == metric)
                .map_or("-".to_string(), |e| cell(e, DECIMALS[k], runs));
            row.push(text);
        }
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(text, w)| format!("{text:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::estimate::MeanCi;

    #[test]
    fn reference_pod_argument() {
        let r = parse_reference_pod("cpu=500m,memory=1Gi").unwrap();
        assert_eq!((r.cpu_m, r.memory), (Some(500), Some(1 << 30)));
        let r = parse_reference_pod("memory=2Gi").unwrap();
        assert_eq!((r.cpu_m, r.memory), (None, Some(2 << 30)));
        assert_eq!(parse_reference_pod("cpu=2").unwrap().cpu_m, Some(2000));
        for bad in ["", "cpu", "cpu=abc", "gpu=1", "cpu=-1", ","] {
            assert!(parse_reference_pod(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seeds_depend_on_the_scenario_seed_and_replicate_only() {
        assert_eq!(replicate_seed(42, 0), 42);
        assert_eq!(replicate_seed(42, 3), 45);
        assert_eq!(replicate_seed(u64::MAX, 1), 0);
    }

    #[test]
    fn table_has_a_header_and_a_row_per_scheduler() {
        let est = |s: &str, metric: &'static str, n: usize, hw: Option<f64>| MetricEstimate {
            scheduler: s.into(),
            metric,
            estimate: Some(MeanCi {
                n,
                mean: 1.0,
                half_width: hw,
            }),
        };
        let estimates = vec![
            est("a", "pods_scheduled", 3, Some(0.5)),
            est("a", "makespan_s", 2, Some(0.3)),
            est("b", "pods_scheduled", 3, Some(0.0)),
        ];
        let t = render_table("scheduler", &["a".into(), "b".into()], 3, &estimates);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("scheduler  n  pods_scheduled"));
        assert!(lines[1].starts_with("a          3  1.0 ± 0.5"), "{t}");
        assert!(lines[1].contains("1.0 ± 0.3 (n=2)"), "{t}");
        assert!(lines[2].contains("1.0 ± 0.0"), "{t}");
    }
}
