//! `kubesim explain RUN_DIR hpa/NAMESPACE/NAME`: the story of one HPA, read from the run's
//! `hpa.jsonl` (written by `kubesim run --explain`): each change of replicas with what each
//! metric read and proposed, how the pods were counted, what stabilization and the bounds
//! did, and the stretches where it held still and why.

use crate::output::hpa::{RecordedMetric, RecordedSync, read_hpa_syncs, recorded_hpas};
use std::fmt::Write as _;
use std::path::Path;

/// Tells the story of HPA `namespace/name` from `file`; `Err` is the message for stderr.
pub fn story(file: &Path, hpa: &str) -> Result<String, String> {
    let syncs = read_hpa_syncs(file, hpa).map_err(|e| format!("{}: {e}", file.display()))?;
    if syncs.is_empty() {
        let known = recorded_hpas(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let list = if known.is_empty() {
            "none (the scenario has no HorizontalPodAutoscaler)".to_string()
        } else {
            known
                .iter()
                .map(|h| format!("hpa/{h}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(format!(
            "no HPA {hpa} in {}; recorded: {list}",
            file.display()
        ));
    }
    let mut out = String::new();
    let first = &syncs[0];
    let _ = writeln!(
        out,
        "HorizontalPodAutoscaler {hpa}: {} syncs from {}s to {}s",
        syncs.len(),
        secs(first.time_s),
        secs(syncs[syncs.len() - 1].time_s)
    );
    let mut held: Option<Hold> = None;
    let mut changes = 0;
    let (mut lo, mut hi) = (first.current_replicas, first.current_replicas);
    for s in &syncs {
        lo = lo.min(s.current_replicas);
        hi = hi.max(s.current_replicas);
        if s.error.is_none() {
            lo = lo.min(s.desired_replicas);
            hi = hi.max(s.desired_replicas);
        }
        if s.desired_replicas != s.current_replicas && s.error.is_none() {
            if let Some(h) = held.take() {
                h.write(&mut out);
            }
            changes += 1;
            change(&mut out, s);
            continue;
        }
        let Some(why) = hold_reason(s) else {
            continue;
        };
        // Holds for the same reason between two changes are told once, with their span.
        match &mut held {
            Some(h) if h.why == why && h.replicas == s.current_replicas => {
                h.last = s.time_s;
                h.syncs += 1;
            }
            _ => {
                if let Some(h) = held.take() {
                    h.write(&mut out);
                }
                held = Some(Hold {
                    why,
                    replicas: s.current_replicas,
                    first: s.time_s,
                    last: s.time_s,
                    syncs: 1,
                });
            }
        }
    }
    if let Some(h) = held {
        h.write(&mut out);
    }
    let _ = writeln!(
        out,
        "\n{changes} change(s) of replicas; between {lo} and {hi} replicas."
    );
    Ok(out)
}

/// Syncs that kept the replicas for one reason although the metrics asked for a change.
struct Hold {
    why: String,
    replicas: i32,
    first: f64,
    last: f64,
    syncs: usize,
}

impl Hold {
    fn write(&self, out: &mut String) {
        let span = if self.syncs == 1 {
            format!("{:>9}s", secs(self.first))
        } else {
            format!("{}s to {}s", secs(self.first), secs(self.last))
        };
        let times = if self.syncs == 1 {
            String::new()
        } else {
            format!(" ({} syncs)", self.syncs)
        };
        let _ = writeln!(
            out,
            "\n{span}  holds at {}{times}: {}",
            self.replicas, self.why
        );
    }
}

/// Seconds with up to three decimals.
fn secs(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A metric's reading, as `cpu at 205% of its request (target 50%)`.
fn reading(m: &RecordedMetric) -> String {
    let value = |v: f64| {
        if m.utilization {
            format!("{}%", secs(v))
        } else {
            secs(v)
        }
    };
    let of = if m.utilization { " of its request" } else { "" };
    match (&m.value, &m.error) {
        (Some(v), _) => format!(
            "{} ({}) at {}{of} (target {}) proposes {}",
            m.name,
            m.kind,
            value(*v),
            value(m.target),
            m.proposal.map_or("nothing".into(), |p| p.to_string())
        ),
        (None, Some(e)) => format!("{} ({}) could not be read: {e}", m.name, m.kind),
        (None, None) => format!("{} ({}) gave nothing", m.name, m.kind),
    }
}

/// One change of replicas, with its reasons.
fn change(out: &mut String, s: &RecordedSync) {
    let _ = writeln!(
        out,
        "\n{:>9}s  {} -> {} replicas",
        secs(s.time_s),
        s.current_replicas,
        s.desired_replicas
    );
    for m in &s.metrics {
        let _ = writeln!(out, "            {}", reading(m));
    }
    let p = s.pods;
    if p.ready + p.unready + p.missing + p.ignored > 0 {
        let mut parts = vec![format!("{} ready", p.ready)];
        if p.missing > 0 {
            parts.push(format!(
                "{} without metrics yet (counted at 0 when scaling up; when scaling down at \
                 the target, or at max(100%, target) of their request for a utilization)",
                p.missing
            ));
        }
        if p.unready > 0 {
            parts.push(format!(
                "{} not ready or still initializing their CPU (left out, or at 0 when scaling \
                 up)",
                p.unready
            ));
        }
        if p.ignored > 0 {
            parts.push(format!("{} being deleted or failed (left out)", p.ignored));
        }
        let _ = writeln!(out, "            pods: {}", parts.join("; "));
    }
    match s.proposal {
        Some(proposal) if proposal != s.recommendation => {
            let why = if s.recommendation > proposal {
                "a higher recommendation of the stabilization window"
            } else {
                "a lower recommendation of the scale-up stabilization window"
            };
            let _ = writeln!(
                out,
                "            largest proposal {proposal}; {why} makes it {}",
                s.recommendation
            );
        }
        _ => {}
    }
    if let Some(l) = &s.limit {
        let _ = writeln!(
            out,
            "            bounded to {} by {}: {}",
            l.replicas,
            l.reason,
            limit_words(&l.reason)
        );
    }
    if let Some(reason) = &s.reason {
        let _ = writeln!(
            out,
            "            event SuccessfulRescale: New size: {}; reason: {reason}",
            s.desired_replicas
        );
    }
}

/// What a ScalingLimited reason means.
fn limit_words(reason: &str) -> &'static str {
    match reason {
        "ScaleUpLimit" => {
            "scale-ups are paced (without behavior: at most max(2 x current, 4); with \
             behavior: its scaleUp policies)"
        }
        "ScaleDownLimit" => "scale-downs are paced by the behavior's scaleDown policies",
        "TooManyReplicas" => "maxReplicas",
        "TooFewReplicas" => "minReplicas",
        _ => "the acceptable range",
    }
}

/// Why a sync kept the replicas although something asked for a change, if so.
fn hold_reason(s: &RecordedSync) -> Option<String> {
    if let Some(e) = &s.error {
        return Some(format!("no scaling: {e}"));
    }
    let proposal = s.proposal?;
    if proposal == s.current_replicas {
        return None;
    }
    if s.recommendation == s.current_replicas {
        return Some(format!(
            "the metrics propose {proposal}, but the stabilization window holds a \
             recommendation of {}",
            s.recommendation
        ));
    }
    s.limit.as_ref().map(|l| {
        format!(
            "the metrics propose {proposal}, bounded by {} ({})",
            l.reason,
            limit_words(&l.reason)
        )
    })
}
