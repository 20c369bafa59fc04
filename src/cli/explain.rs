//! `kubesim explain RUN_DIR pod/NAMESPACE/NAME`: every scheduling attempt of one pod, read
//! from the run's `scheduling.jsonl` (written by `kubesim run --explain`): which filters
//! rejected which nodes, the score table, why the chosen node won, or why none fitted.
//! `kubesim explain RUN_DIR hpa/NAMESPACE/NAME` tells an HPA's story instead
//! ([`super::explain_hpa`]).

use crate::api::names::edit_distance;
use crate::output::scheduling::{
    ReadError, RecordedAttempt, RecordedScore, read_pod_attempts, recorded_pods,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Examples shown by `kubesim explain --help`.
pub const EXAMPLES: &str = "\
Examples:
  kubesim run scenarios/quickstart.yaml --explain --out results/qs
  kubesim explain results/qs pod/default/too-big
  kubesim explain results/qs pod/default/batch-7
  kubesim run scenarios/learn/16-hpa-spike.yaml --explain --out results/spike
  kubesim explain results/spike hpa/default/web";

/// Score rows shown per attempt.
const TOP_NODES: usize = 10;
/// Node names listed per filter group.
const NAMES_PER_GROUP: usize = 5;

/// Arguments of `kubesim explain`.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// Output directory of a run made with `kubesim run --explain`.
    #[arg(value_name = "RUN_DIR")]
    run_dir: PathBuf,
    /// The pod (pod/NAMESPACE/NAME) or HorizontalPodAutoscaler (hpa/NAMESPACE/NAME).
    #[arg(value_name = "pod/NAMESPACE/NAME | hpa/NAMESPACE/NAME", value_parser = parse_ref)]
    object: Explained,
}

/// What `kubesim explain` is asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Explained {
    /// A pod, `NAMESPACE/NAME`.
    Pod(String),
    /// An HPA, `NAMESPACE/NAME`.
    Hpa(String),
}

/// Parses `pod/NAMESPACE/NAME` or `hpa/NAMESPACE/NAME`.
pub fn parse_ref(s: &str) -> Result<Explained, String> {
    match s.split('/').collect::<Vec<_>>().as_slice() {
        [
            "hpa" | "horizontalpodautoscaler" | "horizontalpodautoscalers",
            ns,
            name,
        ] if !ns.is_empty() && !name.is_empty() => Ok(Explained::Hpa(format!("{ns}/{name}"))),
        _ => parse_pod_ref(s)
            .map(Explained::Pod)
            .map_err(|_| format!("expected pod/NAMESPACE/NAME or hpa/NAMESPACE/NAME, got {s:?}")),
    }
}

/// Parses `pod/NAMESPACE/NAME` into `NAMESPACE/NAME`.
pub fn parse_pod_ref(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        ["pod" | "pods", ns, name] if !ns.is_empty() && !name.is_empty() => {
            Ok(format!("{ns}/{name}"))
        }
        _ => Err(format!("expected pod/NAMESPACE/NAME, got {s:?}")),
    }
}

/// Runs `kubesim explain`.
pub(super) fn explain(args: ExplainArgs) -> ExitCode {
    let dir = &args.run_dir;
    let pod = match &args.object {
        Explained::Pod(p) => p.clone(),
        Explained::Hpa(h) => return explain_hpa(dir, h),
    };
    let file = dir.join("scheduling.jsonl");
    let hint = format!(
        "write it with: kubesim run SCENARIO --explain --out {}",
        dir.display()
    );
    if !dir.is_dir() {
        eprintln!("error: no run directory {}; {hint}", dir.display());
        return ExitCode::from(1);
    }
    if !file.is_file() {
        eprintln!(
            "error: {} has no scheduling.jsonl (the run was made without --explain); {hint}",
            dir.display()
        );
        return ExitCode::from(1);
    }
    let fail = |e: ReadError| {
        eprintln!("error: {}: {e}", file.display());
        ExitCode::from(1)
    };
    let attempts = match read_pod_attempts(&file, &pod) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if attempts.is_empty() {
        let pods = match recorded_pods(&file) {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        let similar = similar_names(&pod, &pods, 5);
        let listed = if similar.is_empty() {
            "the file has no scheduling records".to_string()
        } else {
            format!("similar pods: {}", similar.join(", "))
        };
        eprintln!(
            "error: no scheduling attempt of pod {} in {} ({listed}); a pod bound through spec.nodeName has none",
            pod,
            file.display()
        );
        return ExitCode::from(1);
    }
    let text = render(&pod, &file, &attempts);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// `kubesim explain RUN_DIR hpa/NAMESPACE/NAME`.
fn explain_hpa(dir: &Path, hpa: &str) -> ExitCode {
    let file = dir.join("hpa.jsonl");
    if !file.is_file() {
        eprintln!(
            "error: {} has no hpa.jsonl (the run was made without --explain); write it with: \
             kubesim run SCENARIO --explain --out {}",
            dir.display(),
            dir.display()
        );
        return ExitCode::from(1);
    }
    match super::explain_hpa::story(&file, hpa) {
        Ok(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Up to `limit` of `names` closest to `wanted` (edit distance, then name).
pub fn similar_names(wanted: &str, names: &[String], limit: usize) -> Vec<String> {
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|n| (edit_distance(wanted, n), n))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(limit)
        .map(|(_, n)| n.clone())
        .collect()
}

/// The whole report for one pod.
pub fn render(pod: &str, file: &Path, attempts: &[RecordedAttempt]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pod {pod}: {} scheduling attempt(s) in {}",
        attempts.len(),
        file.display()
    );
    // Consecutive attempts that read the same (a pod retried against an unchanged cluster)
    // are shown once.
    let mut i = 0;
    while i < attempts.len() {
        let a = &attempts[i];
        let (head, body) = (outcome(a), attempt_body(a));
        let mut j = i + 1;
        while j < attempts.len()
            && attempts[j].profile == a.profile
            && outcome(&attempts[j]) == head
            && attempt_body(&attempts[j]) == body
        {
            j += 1;
        }
        let last = &attempts[j - 1];
        out.push('\n');
        if j - i == 1 {
            let _ = writeln!(
                out,
                "attempt {} at {:.3}s, profile {}: {head}",
                a.attempt, a.time_s, a.profile
            );
        } else {
            let _ = writeln!(
                out,
                "attempts {}-{} ({} alike) at {:.3}s … {:.3}s, profile {}: {head}",
                a.attempt,
                last.attempt,
                j - i,
                a.time_s,
                last.time_s,
                a.profile
            );
        }
        out.push_str(&body);
        i = j;
    }
    out
}

/// `Scheduled on NODE`, `Unschedulable`, ...
fn outcome(a: &RecordedAttempt) -> String {
    match (&a.node, a.result.as_str()) {
        (Some(n), _) => format!("{} on {n}", a.result),
        (None, r) => r.to_string(),
    }
}

/// Everything shown of an attempt below its first line.
fn attempt_body(a: &RecordedAttempt) -> String {
    let mut out = String::new();
    render_attempt(&mut out, a);
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn list_names(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_PER_GROUP).copied().collect();
    let mut s = shown.join(", ");
    if names.len() > NAMES_PER_GROUP {
        let _ = write!(s, " … and {} more", names.len() - NAMES_PER_GROUP);
    }
    s
}

fn render_attempt(out: &mut String, a: &RecordedAttempt) {
    // Filter: rejected nodes grouped by plugin and reason.
    let feasible = a.filter.iter().filter(|(_, f)| f.plugin.is_none()).count();
    let _ = writeln!(
        out,
        "  filter: {} evaluated, {feasible} feasible, {} rejected",
        plural(a.filter.len(), "node", "nodes"),
        a.filter.len() - feasible
    );
    let mut groups: BTreeMap<(&str, &str), (&str, Vec<&str>)> = BTreeMap::new();
    for (node, f) in &a.filter {
        if let Some(p) = &f.plugin {
            let reason = f.reason.as_deref().unwrap_or("");
            groups
                .entry((p.as_str(), reason))
                .or_insert_with(|| (f.status.as_str(), Vec::new()))
                .1
                .push(node);
        }
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|x, y| y.1.1.len().cmp(&x.1.1.len()).then(x.0.cmp(&y.0)));
    for ((plugin, reason), (status, nodes)) in &groups {
        let _ = writeln!(
            out,
            "    {plugin} rejected {} ({status}): {reason}\n      {}",
            plural(nodes.len(), "node", "nodes"),
            list_names(nodes)
        );
    }

    // Score table and the decision.
    if !a.scores.is_empty() {
        render_scores(out, a);
    } else if let (Some(n), 1) = (&a.node, feasible) {
        let _ = writeln!(out, "  score: skipped, {n} was the only feasible node");
    }
    if let Some(m) = &a.message {
        let label = if a.result == "Unschedulable" {
            "FailedScheduling"
        } else {
            "error"
        };
        let _ = writeln!(out, "  {label}: {m}");
    }
    if let Some(p) = &a.preemption {
        let victims = if p.victims.is_empty() {
            "none".to_string()
        } else {
            list_names(&p.victims.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let _ = write!(
            out,
            "  preemption: victims {victims}; nominated node {}",
            p.nominated_node.as_deref().unwrap_or("none")
        );
        if let Some(o) = &p.other {
            let _ = write!(out, "; {o}");
        }
        out.push('\n');
    }
}

fn render_scores(out: &mut String, a: &RecordedAttempt) {
    let mut plugins: Vec<&str> = a
        .scores
        .iter()
        .flat_map(|s| s.plugins.keys().map(String::as_str))
        .collect();
    plugins.sort();
    plugins.dedup();
    let mut ranked: Vec<&RecordedScore> = a.scores.iter().collect();
    ranked.sort_by(|x, y| y.total.cmp(&x.total).then(x.node.cmp(&y.node)));

    match &a.weights {
        Some(w) => {
            let list: Vec<String> = w.iter().map(|(p, w)| format!("{p} {w}")).collect();
            let unscored: Vec<&str> = w
                .keys()
                .map(String::as_str)
                .filter(|p| !plugins.contains(p))
                .collect();
            let _ = write!(
                out,
                "  score: {} scored, total = Σ weight × score; weights: {}",
                plural(a.scores.len(), "node", "nodes"),
                list.join(", ")
            );
            if !unscored.is_empty() {
                let _ = write!(
                    out,
                    "; not scored in this cycle (PreScore skip): {}",
                    unscored.join(", ")
                );
            }
            out.push('\n');
        }
        None => {
            let _ = writeln!(
                out,
                "  score: {} scored (weights not recorded in this file)",
                plural(a.scores.len(), "node", "nodes")
            );
        }
    }
    render_table(out, a, &plugins, &ranked);
    render_choice(out, a, &plugins, &ranked);
}

/// The recorded weight of a score plugin.
fn weight_of(a: &RecordedAttempt, plugin: &str) -> Option<i64> {
    a.weights.as_ref().and_then(|w| w.get(plugin).copied())
}

/// The score table: the top nodes by total, each plugin's score, the chosen node marked.
fn render_table(
    out: &mut String,
    a: &RecordedAttempt,
    plugins: &[&str],
    ranked: &[&RecordedScore],
) {
    let mut header = vec!["node".to_string()];
    header.extend(plugins.iter().map(|p| match weight_of(a, p) {
        Some(w) => format!("{p}×{w}"),
        None => p.to_string(),
    }));
    header.push("total".to_string());
    let mut rows = vec![header];
    for s in ranked.iter().take(TOP_NODES) {
        let mark = if a.node.as_deref() == Some(s.node.as_str()) {
            "* "
        } else {
            "  "
        };
        let mut row = vec![format!("{mark}{}", s.node)];
        row.extend(
            plugins
                .iter()
                .map(|p| s.plugins.get(*p).map_or("-".into(), |v| v.to_string())),
        );
        row.push(s.total.to_string());
        rows.push(row);
    }
    rows[0][0] = format!("  {}", rows[0][0]);
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, t)| {
                let w = widths[c];
                if c == 0 {
                    format!("{t:<w$}")
                } else {
                    format!("{t:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "    {}", cells.join("  ").trim_end());
    }
    if ranked.len() > TOP_NODES {
        let _ = writeln!(
            out,
            "    … and {} more scored node(s)",
            ranked.len() - TOP_NODES
        );
    }
}

/// The chosen node, and why the runner-up lost (or that a tie was broken by the draw).
fn render_choice(
    out: &mut String,
    a: &RecordedAttempt,
    plugins: &[&str],
    ranked: &[&RecordedScore],
) {
    let Some(chosen) = a
        .node
        .as_deref()
        .and_then(|n| a.scores.iter().find(|s| s.node == n))
    else {
        return;
    };
    let _ = writeln!(out, "  chosen: {} with total {}", chosen.node, chosen.total);
    let others: Vec<&&RecordedScore> = ranked.iter().filter(|s| s.node != chosen.node).collect();
    let Some(runner_up) = others.first() else {
        return;
    };
    if runner_up.total == chosen.total {
        let tied: Vec<&str> = others
            .iter()
            .filter(|s| s.total == chosen.total)
            .map(|s| s.node.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  tie: {} also scored {} ({}); the seeded random draw of the scheduler stream picked {}",
            plural(tied.len(), "other node", "other nodes"),
            chosen.total,
            list_names(&tied),
            chosen.node
        );
        return;
    }
    let mut diffs: Vec<(i64, &str, i64, i64, Option<i64>)> = plugins
        .iter()
        .map(|p| {
            let w_score = chosen.plugins.get(*p).copied().unwrap_or(0);
            let r_score = runner_up.plugins.get(*p).copied().unwrap_or(0);
            let w = weight_of(a, p);
            (
                (w_score - r_score) * w.unwrap_or(1),
                *p,
                w_score,
                r_score,
                w,
            )
        })
        .filter(|d| d.0 != 0)
        .collect();
    diffs.sort_by(|x, y| y.0.abs().cmp(&x.0.abs()).then(x.1.cmp(y.1)));
    let parts: Vec<String> = diffs
        .iter()
        .map(|(d, p, ws, rs, w)| match w {
            Some(w) => format!("{p} {d:+} ({w} × ({ws} - {rs}))"),
            None => format!("{p} {d:+} (score {ws} vs {rs})"),
        })
        .collect();
    let _ = writeln!(
        out,
        "  runner-up: {} with total {}, {} lower; the winner's weighted scores differ by: {}",
        runner_up.node,
        runner_up.total,
        chosen.total - runner_up.total,
        if parts.is_empty() {
            "nothing recorded".to_string()
        } else {
            parts.join(", ")
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::scheduling::RecordedFilter;

    fn score(node: &str, fit: i64, taint: i64) -> RecordedScore {
        let plugins: BTreeMap<String, i64> = [
            ("NodeResourcesFit".to_string(), fit),
            ("TaintToleration".to_string(), taint),
        ]
        .into();
        RecordedScore {
            node: node.into(),
            total: fit + 3 * taint,
            plugins,
        }
    }

    fn attempt(scores: Vec<RecordedScore>, chosen: &str) -> RecordedAttempt {
        let mut filter: Vec<(String, RecordedFilter)> = (1..=8)
            .map(|i| {
                (
                    format!("full-{i}"),
                    RecordedFilter {
                        status: "Unschedulable".into(),
                        plugin: Some("NodeResourcesFit".into()),
                        reason: Some("Insufficient cpu".into()),
                    },
                )
            })
            .collect();
        filter.extend(scores.iter().map(|s| {
            (
                s.node.clone(),
                RecordedFilter {
                    status: "Success".into(),
                    ..Default::default()
                },
            )
        }));
        RecordedAttempt {
            time_s: 12.5,
            pod: "default/p".into(),
            profile: "default-scheduler".into(),
            attempt: 1,
            result: "Scheduled".into(),
            node: Some(chosen.into()),
            filter,
            scores,
            weights: Some(
                [
                    ("NodeResourcesFit".to_string(), 1),
                    ("TaintToleration".to_string(), 3),
                ]
                .into(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn report_groups_rejections_ranks_scores_and_explains_the_winner() {
        let a = attempt(
            vec![score("b", 80, 100), score("a", 60, 100), score("c", 90, 90)],
            "b",
        );
        let text = render("default/p", Path::new("x/scheduling.jsonl"), &[a]);
        assert!(
            text.contains("attempt 1 at 12.500s, profile default-scheduler: Scheduled on b"),
            "{text}"
        );
        assert!(
            text.contains("filter: 11 nodes evaluated, 3 feasible, 8 rejected"),
            "{text}"
        );
        assert!(
            text.contains("NodeResourcesFit rejected 8 nodes (Unschedulable): Insufficient cpu"),
            "{text}"
        );
        assert!(
            text.contains("full-1, full-2, full-3, full-4, full-5 … and 3 more"),
            "{text}"
        );
        assert!(
            text.contains("weights: NodeResourcesFit 1, TaintToleration 3"),
            "{text}"
        );
        assert!(
            text.contains("NodeResourcesFit×1  TaintToleration×3  total"),
            "{text}"
        );
        // b 380, a 360, c 360: b first, then a and c by name.
        let rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("node"))
            .skip(1)
            .take(3)
            .map(str::trim_start)
            .collect();
        assert!(rows[0].starts_with("* b "), "{rows:?}");
        assert!(
            rows[1].starts_with("a ") && rows[2].starts_with("c "),
            "{rows:?}"
        );
        assert!(text.contains("chosen: b with total 380"), "{text}");
        assert!(
            text.contains("runner-up: a with total 360, 20 lower; the winner's weighted scores differ by: NodeResourcesFit +20 (1 × (80 - 60))"),
            "{text}"
        );
    }

    #[test]
    fn a_tie_is_put_down_to_the_seeded_draw() {
        let a = attempt(vec![score("a", 50, 100), score("b", 50, 100)], "b");
        let text = render("default/p", Path::new("f"), &[a]);
        assert!(text.contains("tie: 1 other node also scored 350 (a); the seeded random draw of the scheduler stream picked b"), "{text}");
    }

    #[test]
    fn unschedulable_attempt_shows_the_message() {
        let mut a = attempt(vec![], "x");
        a.node = None;
        a.result = "Unschedulable".into();
        a.message = Some("0/8 nodes are available: 8 Insufficient cpu.".into());
        let text = render("default/p", Path::new("f"), &[a]);
        assert!(text.contains(": Unschedulable\n"), "{text}");
        assert!(
            text.contains("FailedScheduling: 0/8 nodes are available: 8 Insufficient cpu."),
            "{text}"
        );
    }

    #[test]
    fn identical_consecutive_attempts_are_folded() {
        let failed = |n: u64, t: f64, msg: &str| {
            let mut a = attempt(vec![], "x");
            (a.node, a.attempt, a.time_s) = (None, n, t);
            a.result = "Unschedulable".into();
            a.message = Some(msg.into());
            a
        };
        let same = "0/8 nodes are available: 8 Insufficient cpu.";
        let mut last = attempt(vec![], "x");
        (last.attempt, last.time_s) = (5, 400.0);
        let attempts = [
            failed(1, 1.0, same),
            failed(2, 2.0, same),
            failed(3, 4.0, same),
            failed(4, 8.0, "0/8 nodes are available: 8 Insufficient memory."),
            last,
        ];
        let text = render("default/p", Path::new("f"), &attempts);
        assert!(
            text.contains("attempts 1-3 (3 alike) at 1.000s … 4.000s, profile default-scheduler: Unschedulable\n"),
            "{text}"
        );
        assert_eq!(text.matches("8 Insufficient cpu.").count(), 1, "{text}");
        assert!(text.contains("attempt 4 at 8.000s"), "{text}");
        assert!(text.contains("attempt 5 at 400.000s"), "{text}");
    }

    #[test]
    fn pod_argument_and_similar_names() {
        assert_eq!(parse_pod_ref("pod/default/web-1").unwrap(), "default/web-1");
        for bad in [
            "default/web",
            "pod/default",
            "pod//x",
            "node/a/b",
            "pod/a/b/c",
        ] {
            assert!(parse_pod_ref(bad).is_err(), "{bad}");
        }
        let names: Vec<String> = [
            "default/batch-1",
            "default/batch-12",
            "kube-system/agent",
            "default/report-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            similar_names("default/batch-2", &names, 2),
            ["default/batch-1", "default/batch-12"]
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
