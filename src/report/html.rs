//! `report.html`: one self-contained page (plots inlined as SVG data, no script, no font or
//! file fetched; a Content-Security-Policy forbids it) that reads well on a phone and a wide
//! screen, in light and dark mode.

use super::figure::Figure;
use super::read::{FIRST_EVENTS, Run};
use base64::Engine;
use serde_json::Value;
use std::fmt::Write;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The Content-Security-Policy of every page: nothing but inline styles and data images.
pub const CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
                       img-src data:; style-src 'unsafe-inline'\">\n";

/// The pages' style sheet.
pub const STYLE: &str = "
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #ffffff; --muted: #5f6368;
  --line: #dadce0; --card: #f6f8fa; --accent: #326ce5; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8eaed; --bg: #121212; --muted: #a0a4a8; --line: #3c4043; --card: #1e1f21;
    --accent: #8ab4f8; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 24px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 1.3rem; margin: 32px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0; }
.description { background: var(--card); border-left: 4px solid var(--accent);
  padding: 8px 16px; margin: 12px 0; border-radius: 4px; }
.description h3 { margin: 4px 0; font-size: 0.9rem; color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 16px 0 24px; }
figure img { display: block; width: 100%; height: auto; background: #ffffff;
  border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 4px; }
td { overflow-wrap: anywhere; }
@media (max-width: 640px) {
  /* On a phone a plot keeps a readable size and scrolls sideways in its own box. */
  figure img { width: 640px; max-width: none; }
  th, td { padding: 4px; font-size: 0.85rem; }
  h1 { font-size: 1.4rem; }
}
a { color: var(--accent); }
pre { background: var(--card); padding: 12px; overflow-x: auto; font-size: 0.85rem;
  border-radius: 4px; }
details { margin: 8px 0; }
.warning { color: #b3261e; }
@media (prefers-color-scheme: dark) { .warning { color: #f28b82; } }
footer { color: var(--muted); font-size: 0.85rem; padding: 32px 16px; }
";

/// The page for `run` and its drawn `figures` (each with its SVG text).
pub fn page(run: &Run, figures: &[(&Figure, &str)]) -> String {
    let s = &run.summary;
    let name = s["scenario"].as_str().unwrap_or("run");
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(CSP);
    let _ = writeln!(h, "<title>{} · kubesim report</title>", escape(name));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", escape(name));
    let _ = writeln!(
        h,
        "<p class=\"meta\">seed {} · {} simulated · {} events processed · output sha256 \
         <code>{}</code></p>\n</header>\n<main>",
        s["seed"],
        duration_text(s["simulated_seconds"].as_f64().unwrap_or(0.0)),
        s["events_processed"],
        escape(
            &s["output_sha256"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(16)
                .collect::<String>()
        ),
    );
    descriptions(&mut h, s);
    summary_table(&mut h, s);
    let quiet = (run.duration() < run.simulated()).then(|| {
        format!(
            "Nothing changed after {} (the run went quiet), so the time axes end at {} rather \
             than at {}.",
            duration_text(run.quiet_from().unwrap_or_default()),
            duration_text(run.duration()),
            duration_text(run.simulated())
        )
    });
    plots(&mut h, figures, quiet.as_deref());
    warnings(&mut h, s);
    events(&mut h, run);
    let _ = writeln!(
        h,
        "<h2 id=\"parameters\">Resolved parameters</h2>\n<details><summary>The scenario as \
         kubesim resolved it (scenario.resolved.txt)</summary>\n<pre>{}</pre>\n</details>",
        escape(&run.resolved)
    );
    let _ = writeln!(
        h,
        "</main>\n<footer>Written by kubesim {} from the run's files; <code>kubesim plot \
         DIR</code> draws it again.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// `1h30m`, `10m`, `45s`.
fn duration_text(seconds: f64) -> String {
    let s = seconds.round() as u64;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut t = String::new();
    if h > 0 {
        let _ = write!(t, "{h}h");
    }
    if m > 0 {
        let _ = write!(t, "{m}m");
    }
    if sec > 0 || t.is_empty() {
        let _ = write!(t, "{sec}s");
    }
    t
}

/// Language names of the descriptions the gallery carries.
fn language_name(tag: &str) -> &str {
    match tag {
        "en" => "English",
        "zh-Hans" | "zh-CN" => "简体中文",
        other => other,
    }
}

fn descriptions(h: &mut String, s: &Value) {
    let Some(map) = s["description"].as_object().filter(|m| !m.is_empty()) else {
        return;
    };
    h.push_str("<section id=\"about\">\n");
    // English first, then the translations by tag (the map is sorted).
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(tag, _)| *tag != "en");
    for (tag, text) in entries {
        let _ = write!(
            h,
            "<div class=\"description\" lang=\"{}\">\n<h3>{}</h3>\n",
            escape(tag),
            escape(language_name(tag))
        );
        for para in text.as_str().unwrap_or("").split("\n\n") {
            let _ = writeln!(h, "<p>{}</p>", escape(para.trim()));
        }
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
}

fn number(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{x:.3}"),
        None => "–".into(),
    }
}

fn percent(v: &Value) -> String {
    v.as_f64()
        .map_or("–".into(), |x| format!("{:.1}%", x * 100.0))
}

fn summary_table(h: &mut String, s: &Value) {
    let mut rows: Vec<(String, String)> =
        vec![("Pods created".into(), number(&s["pods"]["created"]))];
    if let Some(phases) = s["pods"]["by_phase"].as_object() {
        for (phase, n) in phases {
            rows.push((format!("Pods {phase} at the end"), number(n)));
        }
    }
    rows.push((
        "Pods never bound".into(),
        number(&s["pods"]["unscheduled_at_end"]),
    ));
    rows.push((
        "Scheduling attempts".into(),
        number(&s["scheduling_attempts"]),
    ));
    rows.push(("Preemption victims".into(), number(&s["preemptions"])));
    rows.push(("Image pulls".into(), number(&s["image_pulls"])));
    for (key, what) in [
        ("scheduling_latency_s", "Scheduling latency (s)"),
        ("pending_time_s", "Pending time (s)"),
    ] {
        let p = &s[key];
        rows.push((
            what.into(),
            format!(
                "p50 {} · p90 {} · p99 {} · max {} ({} pods)",
                number(&p["p50"]),
                number(&p["p90"]),
                number(&p["p99"]),
                number(&p["max"]),
                number(&p["count"])
            ),
        ));
    }
    for (key, what) in [("allocation", "requested"), ("usage", "used")] {
        for r in ["cpu", "memory"] {
            let v = &s[key][r];
            rows.push((
                format!(
                    "{} {what} (of allocatable)",
                    if r == "cpu" { "CPU" } else { "Memory" }
                ),
                format!(
                    "mean {} · peak {}",
                    percent(&v["mean"]),
                    percent(&v["peak"])
                ),
            ));
        }
    }
    if let Some(jobs) = s["jobs"].as_object().filter(|j| !j.is_empty()) {
        let text: Vec<String> = jobs
            .iter()
            .map(|(k, v)| format!("{} {k}", number(v)))
            .collect();
        rows.push(("Jobs".into(), text.join(" · ")));
    }
    fault_rows(&mut rows, s);
    if !s["makespan_s"].is_null() {
        rows.push(("Last pod finished at (s)".into(), number(&s["makespan_s"])));
    }
    if !s["quiet_from_s"].is_null() {
        rows.push((
            "Nothing left to happen from (s)".into(),
            number(&s["quiet_from_s"]),
        ));
    }
    let o = &s["output"];
    if o.is_object() {
        let pods = match o["pods"].as_str().unwrap_or("all") {
            "all" => "every pod".to_string(),
            "none" => "no pod".to_string(),
            sample => format!("a {sample} sample of pods"),
        };
        let events = match o["events"].as_str().unwrap_or("all") {
            "all" => "every Event",
            "warnings" => "Warning Events only",
            _ => "no Event",
        };
        rows.push((
            "Rows written".into(),
            format!(
                "pods.csv: {} rows, {pods} · events.csv: {events}",
                number(&o["pod_rows"])
            ),
        ));
    }
    h.push_str("<h2 id=\"summary\">Summary</h2>\n<div class=\"scroll\"><table>\n");
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", escape(&k), escape(&v));
    }
    h.push_str("</table></div>\n");
}

/// The summary rows of a run with faults: what they cost, each fault's time to recover and
/// the workloads that were short longest.
fn fault_rows(rows: &mut Vec<(String, String)>, s: &Value) {
    if s["faults_injected"].as_u64().unwrap_or(0) == 0 {
        return;
    }
    rows.push((
        "Faults".into(),
        format!(
            "{} injected · {} pods lost · {} evictions · {} container restarts",
            number(&s["faults_injected"]),
            number(&s["pods_lost"]),
            number(&s["evictions"]),
            number(&s["restarts"])
        ),
    ));
    for f in s["faults"].as_array().into_iter().flatten() {
        let recovered = match f["time_to_recover_s"].as_f64() {
            Some(_) => format!("recovered in {} s", number(&f["time_to_recover_s"])),
            None => "not recovered by the end".into(),
        };
        let affected = match f["workloads_affected"].as_u64().unwrap_or(0) {
            0 => "no workload lost availability".to_string(),
            1 => format!("1 workload lost availability, {recovered}"),
            n => format!("{n} workloads lost availability, {recovered}"),
        };
        rows.push((
            format!("Fault at {} s", number(&f["time_s"])),
            format!("{} · {affected}", f["fault"].as_str().unwrap_or("")),
        ));
    }
    let mut short: Vec<&Value> = s["availability"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["downtime_s"].as_f64().unwrap_or(0.0) > 0.0)
        .collect();
    short.sort_by(|a, b| {
        let d = |v: &Value| v["downtime_s"].as_f64().unwrap_or(0.0);
        d(b).total_cmp(&d(a))
    });
    for a in short.iter().take(5) {
        rows.push((
            format!("Availability of {}", a["object"].as_str().unwrap_or("")),
            format!(
                "mean {} · lowest {} · {} s short of ready replicas",
                percent(&a["mean"]),
                percent(&a["min"]),
                number(&a["downtime_s"])
            ),
        ));
    }
}

/// The plots section: each figure inlined, with links to its PNG and SVG files.
pub fn plots(h: &mut String, figures: &[(&Figure, &str)], note: Option<&str>) {
    if figures.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"plots\">Plots</h2>\n");
    if let Some(note) = note {
        let _ = writeln!(h, "<p>{}</p>", escape(note));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    for (fig, svg) in figures {
        let _ = writeln!(
            h,
            "<figure id=\"{file}\">\n<div class=\"scroll\"><a href=\"plots/{file}.svg\"><img \
             src=\"data:image/svg+xml;base64,{data}\" alt=\"{title}\" width=\"{w}\" \
             height=\"{hh}\"></a></div>\n<figcaption>{caption} <a href=\"plots/{file}.png\">PNG</a> \
             · <a href=\"plots/{file}.svg\">SVG</a></figcaption>\n</figure>",
            file = escape(&fig.file),
            data = b64.encode(svg.as_bytes()),
            title = escape(&fig.title),
            w = super::draw::WIDTH,
            hh = super::draw::HEIGHT,
            caption = escape(&fig.caption),
        );
    }
}

fn warnings(h: &mut String, s: &Value) {
    let Some(list) = s["warnings"].as_array().filter(|l| !l.is_empty()) else {
        return;
    };
    h.push_str("<h2 id=\"warnings\">Warnings</h2>\n<ul>\n");
    for w in list {
        let _ = writeln!(
            h,
            "<li class=\"warning\">{}</li>",
            escape(w.as_str().unwrap_or_default())
        );
    }
    h.push_str("</ul>\n");
}

fn events(h: &mut String, run: &Run) {
    let e = &run.events;
    if e.by_reason.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h2 id=\"events\">Events</h2>\n<p>{} Events in events.csv, by reason, with the first \
         {FIRST_EVENTS} of each.</p>\n<div class=\"scroll\"><table>\n<tr><th>type</th><th>reason\
         </th><th>count</th><th>first Events (time s, object, message)</th></tr>",
        e.total
    );
    for r in &e.by_reason {
        let class = if r.kind == "Warning" {
            " class=\"warning\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><td{class}>{}</td><td>{}</td><td class=\"num\">{}</td><td>",
            escape(&r.kind),
            escape(&r.reason),
            r.count
        );
        for ev in &r.first {
            let _ = write!(
                h,
                "<div>{:.3} · {} · {}</div>",
                ev.time,
                escape(&ev.object),
                escape(&ev.message)
            );
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</table></div>\n");
}
