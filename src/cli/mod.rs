//! The command line: `kubesim run`, `kubesim validate`, `kubesim compare` and
//! `kubesim explain`.
//!
//! Exit codes: 0 success, 1 invalid input or a failed run, 2 usage error.

mod compare;
mod explain;
mod explain_hpa;
mod interrupt;
mod plot;

use crate::api::duration::{format_duration_ms, parse_duration_ms};
use crate::api::scheduler_config::SchedulerConfig;
use crate::engine::SimTime;
use crate::observe::pod_rows;
use crate::output::destination::{self, OutputKind};
use crate::output::{Rows, RunOutput, snapshot};
use crate::scenario::estimate::{bytes_text, estimate, parse_bytes};
use crate::scenario::{LoadOptions, Scenario, ValidateMode, load_scenario_reporting};
use crate::scheduler::check_config;
use crate::scheduler::plugins::Registry;
use crate::world::{RunEnd, World};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const EXAMPLES: &str = "\
Examples:
  kubesim run scenarios/quickstart.yaml
  kubesim run scenarios/bench-batch-1k.yaml --out results/bench --seed 7
  kubesim run manifests/ --duration 30m --explain
  kubesim validate scenarios/quickstart.yaml
  kubesim compare scenarios/compare-small.yaml --scheduler default-scheduler --scheduler bin-packing
  kubesim explain results/quickstart pod/default/too-big
  kubesim plot results/quickstart";

/// kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
#[derive(Parser, Debug)]
#[command(name = "kubesim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write its outputs.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Check scenario files: a one-line summary and exit 0, or every error and exit 1.
    Validate {
        /// Scenario files or directories.
        #[arg(required = true, value_name = "FILE_OR_DIR")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        validate: ValidateFlag,
    },
    /// Run one workload under several scheduler profiles and seeds, and compare them.
    #[command(after_help = compare::EXAMPLES)]
    Compare(compare::CompareArgs),
    /// Explain one pod's scheduling attempts (scheduling.jsonl) or an HPA's syncs (hpa.jsonl).
    #[command(after_help = explain::EXAMPLES)]
    Explain(explain::ExplainArgs),
    /// Draw a finished run's plots and report.html again from its files.
    #[command(after_help = plot::EXAMPLES)]
    Plot(plot::PlotArgs),
}

/// `--validate`, shared by the commands that load a scenario.
#[derive(clap::Args, Debug, Clone, Copy)]
pub(crate) struct ValidateFlag {
    /// Unknown fields: strict (an error, as kubectl), warn, or ignore.
    #[arg(
        long = "validate",
        value_name = "MODE",
        default_value = "strict",
        value_parser = ValidateMode::parse
    )]
    mode: ValidateMode,
    /// Create the namespaces objects name but no Namespace manifest declares (by default
    /// they are refused, as the API server refuses them).
    #[arg(long)]
    create_namespaces: bool,
}

/// Arguments of `kubesim run`.
#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Scenario files or directories (every *.yaml / *.yml inside, sorted).
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    paths: Vec<PathBuf>,
    /// Output directory [default: results/<simulation name>]. It must not exist, be empty, or
    /// hold an earlier run's files.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write into an --out directory that holds other files (kubesim's files are replaced,
    /// the others left alone).
    #[arg(long)]
    force: bool,
    /// Override the scenario's seed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Override the simulated duration (Go duration, e.g. 30m).
    #[arg(long, value_name = "D")]
    duration: Option<String>,
    /// Write scheduling.jsonl (one record per scheduling attempt) and hpa.jsonl (one per HPA
    /// sync).
    #[arg(long)]
    explain: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    validate: ValidateFlag,
    /// Also write the cluster's end state to FILE as a `kind: List` (YAML) that a later run
    /// can start from. FILE must be new or an earlier snapshot.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Refuse a run that may create more pods than this (kubesim keeps every pod in memory).
    #[arg(long, value_name = "N", default_value_t = 5_000_000)]
    max_pods: u64,
    /// Refuse a run whose files are estimated above this size, and stop one that reaches it
    /// (e.g. 4GB, 500MiB).
    #[arg(long, value_name = "SIZE", default_value = "4GB", value_parser = parse_bytes)]
    max_output: u64,
}

/// Above this estimate a run says how much it will write.
const WARN_OUTPUT_BYTES: u64 = 1_000_000_000;

/// Memory a pod takes in a run (measured on the 100,000-pod benchmark, README "Limits").
const BYTES_PER_POD: u64 = 700;

/// Refuses a run that may create more than `max_pods` pods (each kept in memory).
pub(crate) fn check_pods(s: &Scenario, max_pods: u64) -> Result<(), String> {
    let pods = estimate(s).pods;
    if pods > max_pods {
        return Err(format!(
            "the run may create {pods} pods, more than --max-pods {max_pods} allows; kubesim keeps every pod in memory (about {} for these); raise --max-pods to run it anyway",
            bytes_text(pods.saturating_mul(BYTES_PER_POD))
        ));
    }
    Ok(())
}

/// Checks a run's estimated cost against the limits: an error, or warnings.
fn check_cost(s: &Scenario, args: &RunArgs) -> Result<(), String> {
    check_pods(s, args.max_pods)?;
    let e = estimate(s);
    let total = e.bytes();
    let hint = if s.output.explain {
        " (or leave out --explain)"
    } else {
        ""
    };
    if total > args.max_output {
        return Err(format!(
            "the run would write about {} ({}), more than --max-output {} allows; raise --max-output to run it anyway{hint}",
            bytes_text(total),
            e.breakdown(),
            bytes_text(args.max_output)
        ));
    }
    if total > WARN_OUTPUT_BYTES {
        eprintln!(
            "warning: the run will write about {} ({})",
            bytes_text(total),
            e.breakdown()
        );
    }
    Ok(())
}

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    interrupt::install();
    match cli.command {
        Command::Validate {
            paths,
            validate: mode,
        } => validate(&paths, mode),
        Command::Compare(args) => compare::compare(args),
        Command::Explain(args) => explain::explain(args),
        Command::Plot(args) => plot::plot(args),
        Command::Run(args) => run(args),
    }
}

/// Checks a scheduler configuration by building its profiles.
fn check_scheduler(config: &SchedulerConfig) -> Result<Vec<String>, Vec<String>> {
    check_config(config, &Registry::in_tree())
}

pub(crate) fn load_with(
    paths: &[PathBuf],
    flags: ValidateFlag,
    quiet: bool,
) -> Result<Scenario, ExitCode> {
    let bar = loading_bar(quiet);
    let report = |what: &'static str, done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_message(what);
            bar.set_length(total.max(1));
            bar.set_position(done);
        }
    };
    let options = LoadOptions {
        validate: flags.mode,
        progress: Some(&report),
        create_namespaces: flags.create_namespaces,
    };
    let loaded = load_scenario_reporting(paths, &check_scheduler, options);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    loaded.map_err(|failure| {
        for w in &failure.warnings {
            eprintln!("warning: {w}");
        }
        let errors = failure.errors;
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!("{} error(s); nothing was run", errors.len());
        ExitCode::from(1)
    })
}

fn validate(paths: &[PathBuf], mode: ValidateFlag) -> ExitCode {
    let scenario = match load_with(paths, mode, false) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // The scheduler profiles were built and checked while loading.
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "ok: simulation {:?}: {} nodes, {} pods, {} jobs, {} arrival sources, {} scheduler profile(s), seed {}, duration {}",
        scenario.name,
        scenario.nodes.len(),
        scenario.pods.len(),
        scenario.jobs.len(),
        scenario.arrivals.len(),
        scenario.scheduler.profiles.len(),
        scenario.seed,
        format_duration_ms(scenario.duration.ms())
    );
    // The process ends here: freeing a large cluster's objects one by one would take longer
    // than loading them did.
    std::mem::forget(scenario);
    ExitCode::SUCCESS
}

fn run(args: RunArgs) -> ExitCode {
    let paths = &args.paths;
    let mut scenario = match load_with(paths, args.validate, args.quiet) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(code) = apply_overrides(&mut scenario, &args) {
        return code;
    }
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
    if let Err(e) = check_cost(&scenario, &args) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    // The name was validated as a DNS-1123 subdomain: it cannot leave `results/`.
    let dest = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&scenario.name));
    if let Err(e) = destination::check(&dest, OutputKind::Run, paths, args.force) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    if let Some(path) = &args.snapshot
        && let Err(e) = snapshot::check_destination(path)
    {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let started = Instant::now();
    let mut world = match World::new(&scenario, &Registry::in_tree()) {
        Ok(w) => w,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return ExitCode::from(1);
        }
    };
    let reproduce = format!(
        "kubesim run {} --seed {}",
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        scenario.seed
    );
    let armed = interrupt::arm();
    let rows = Rows {
        events: scenario.output.events,
        pods: scenario.output.pods,
    };
    let mut output = match RunOutput::create(&dest, scenario.output.explain, rows) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", dest.display());
            return ExitCode::from(1);
        }
    };
    output.limit_bytes(args.max_output);
    let bar = progress_bar(args.quiet, world.duration());
    let mut on_progress = |now: SimTime, events: u64| {
        if let Some(b) = &bar {
            b.set_position(now.ms().max(0) as u64);
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!(
                "{events} events, {:.0} events/s",
                events as f64 / secs
            ));
        }
        if interrupt::interrupted() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let end = world.run_until(&mut output, &mut on_progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    match end {
        Ok(RunEnd::Finished) => {}
        Ok(RunEnd::Stopped(at)) => {
            drop(output);
            eprintln!(
                "interrupted at {} of {} simulated; nothing was written to {} (its temporary files were removed)",
                format_duration_ms(at.ms()),
                format_duration_ms(scenario.duration.ms()),
                dest.display()
            );
            return ExitCode::from(interrupt::EXIT_INTERRUPTED);
        }
        Err(e) => {
            eprintln!("error: writing outputs: {e}\nreproduce with: {reproduce}");
            return ExitCode::from(1);
        }
    }
    let snapshot_text = args.snapshot.as_ref().map(|_| end_state(&scenario, &world));
    let summary = world.summary(started.elapsed().as_secs_f64());
    let resolved = resolved_parameters(&scenario, &world);
    let finished = output
        .finish(pod_rows(world.store()), &summary, &resolved)
        .and_then(|f| {
            let plots = plot::draw_run(&f, scenario.output.plots, summary.input.events_processed);
            f.install().map(|digest| (digest, plots))
        })
        .and_then(|done| write_snapshot(args.snapshot.as_deref(), &snapshot_text).map(|()| done));
    drop(armed);
    let quiet_from = world.quiet_from();
    let run_warnings = world.run_warnings();
    // The process ends here: freeing every pod, node and event one by one would only cost time.
    std::mem::forget(world);
    match finished {
        Ok((digest, plots)) => {
            let notes = ResultNotes {
                wall_seconds: started.elapsed().as_secs_f64(),
                quiet_from,
                snapshot: args.snapshot.as_deref(),
                plots: &plots,
            };
            print_result(&scenario, &summary, &dest, &digest, &notes);
            for w in &run_warnings {
                eprintln!("warning: {w}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: writing {}: {e}\nreproduce with: {reproduce}",
                dest.display()
            );
            ExitCode::from(1)
        }
    }
}

/// What the result line says besides the summary.
struct ResultNotes<'a> {
    wall_seconds: f64,
    quiet_from: Option<SimTime>,
    snapshot: Option<&'a std::path::Path>,
    plots: &'a str,
}

/// The run's result line: what was simulated, how fast, the pods by phase, where it went.
fn print_result(
    scenario: &Scenario,
    summary: &crate::observe::Summary,
    dest: &std::path::Path,
    digest: &str,
    notes: &ResultNotes<'_>,
) {
    let snapshot_note =
        (notes.snapshot).map_or(String::new(), |p| format!(", snapshot {}", p.display()));
    let quiet_note = (notes.quiet_from)
        .map(|t| format!("; quiet from {}", format_duration_ms(t.ms())))
        .unwrap_or_default();
    let phases: Vec<String> = (summary.pods_by_phase.iter())
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    println!(
        "simulated {} in {:.2}s: {} events, {} pods ({}){quiet_note}, output {} (sha256 {}){snapshot_note}{}",
        format_duration_ms(scenario.duration.ms()),
        notes.wall_seconds,
        summary.input.events_processed,
        summary.pods_created,
        phases.join(", "),
        dest.display(),
        &digest[..16],
        notes.plots
    );
}

/// The cluster's end state as a snapshot (`--snapshot`).
fn end_state(scenario: &Scenario, world: &World) -> String {
    let about = snapshot::About {
        simulation: &scenario.name,
        seed: scenario.seed,
        start_unix_ms: scenario.start_unix_ms,
        at: scenario.duration,
    };
    snapshot::render(&crate::observe::snapshot::cluster(world.store()), &about)
}

/// Writes the snapshot, if asked for; an error names the file.
fn write_snapshot(path: Option<&std::path::Path>, text: &Option<String>) -> std::io::Result<()> {
    let (Some(path), Some(text)) = (path, text) else {
        return Ok(());
    };
    snapshot::write(path, text)
        .map_err(|e| std::io::Error::new(e.kind(), format!("the snapshot {}: {e}", path.display())))
}

/// `--seed`, `--duration` and `--explain` over the scenario's own values.
fn apply_overrides(scenario: &mut Scenario, args: &RunArgs) -> Result<(), ExitCode> {
    if let Some(s) = args.seed {
        scenario.seed = s;
    }
    if let Some(d) = &args.duration {
        match parse_duration_ms(d) {
            Ok(ms) if ms > 0 => scenario.duration = SimTime(ms),
            Ok(_) => {
                eprintln!("error: --duration: must be positive, got {d:?}");
                return Err(ExitCode::from(2));
            }
            Err(e) => {
                eprintln!("error: --duration: {e}");
                return Err(ExitCode::from(2));
            }
        }
    }
    scenario.output.explain |= args.explain;
    Ok(())
}

/// A bar for loading on a terminal, redrawn four times a second (a large input takes seconds).
fn loading_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} loading: {msg} {percent:>3}% [{bar:40}]",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(1),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    bar.set_style(style);
    Some(bar)
}

fn progress_bar(quiet: bool, duration: SimTime) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(duration.ms().max(0) as u64);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} simulated {percent:>3}% [{bar:40}] {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    Some(bar)
}

/// The fully resolved parameters of a run, seed first, written beside the outputs: the
/// scenario as resolved, then what the world built from it (each scheduler profile's plugins
/// and weights, the components in delivery order, each drawing from the random stream of its
/// name).
fn resolved_parameters(s: &Scenario, world: &World) -> String {
    let mut t = crate::scenario::describe(s);
    for (name, points) in world.profile_plugins() {
        t.push_str(&format!("profile {name} plugins:\n"));
        for (point, plugins) in points {
            t.push_str(&format!("  {point}: {}\n", plugins.join(", ")));
        }
    }
    t.push_str(&format!(
        "components: {}\n",
        world.component_names().join(", ")
    ));
    t
}
