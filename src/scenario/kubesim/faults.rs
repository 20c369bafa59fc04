//! `spec.faults`: random failures, as written and resolved (after the nodes, so that each
//! selector is checked against them).
//!
//! ```yaml
//! faults:
//!   - type: node-crash                 # node-shutdown, network-partition, kubelet-restart,
//!     selector: kubesim.io/pool=general #   spot-interruption, or pod-crash
//!     mtbf: 72h                        # a mean (exponential), or weibull(72h, 1.5), ...
//!     mttr: 30m                        # likewise
//!   - type: pod-crash
//!     selector: app=web                # pods' labels; `namespace` narrows them
//!     rate: 1/h                        # per pod; or mtbf
//!     exitCode: 137
//! ```

use super::super::resolver::{Doc, Resolver};
use super::super::yaml::Spanned;
use crate::api::Distribution;
use crate::api::duration::parse_duration_ms;
use crate::api::fault::{FaultGenerator, GeneratedKind};
use crate::api::selector::LabelSelector;
use serde::Deserialize;
use std::collections::BTreeSet;

/// One `spec.faults` entry as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultEntry {
    /// What fails.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Names the generator's random stream (default: the type and the selector).
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// Nodes' (or, for pod-crash, pods') labels; empty: all.
    #[serde(default)]
    pub selector: Option<Spanned<String>>,
    /// The pods' namespace (pod-crash).
    #[serde(default)]
    pub namespace: Option<Spanned<String>>,
    /// Time between failures: a mean, or a distribution.
    #[serde(default)]
    pub mtbf: Option<Spanned<String>>,
    /// Failures per unit of time (`2/h`): the mean time between them is its inverse.
    #[serde(default)]
    pub rate: Option<Spanned<String>>,
    /// Time to repair: a mean, or a distribution.
    #[serde(default)]
    pub mttr: Option<Spanned<String>>,
    /// The crashed containers' exit code (pod-crash).
    #[serde(default)]
    pub exit_code: Option<Spanned<i64>>,
}

const KINDS: &str = "node-crash, node-shutdown, network-partition, kubelet-restart, \
                     spot-interruption or pod-crash";

/// `spec.faults`, each entry a generator; names must be unique (each draws from the random
/// stream of its name).
pub(super) fn faults(r: &mut Resolver, sd: Doc, entries: &[FaultEntry]) -> Vec<FaultGenerator> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        let path = format!("spec.faults[{i}]");
        let Some(g) = entry(r, sd, &path, e) else {
            continue;
        };
        if !names.insert(g.name.clone()) {
            let msg = format!(
                "another entry has the name {:?}: each entry draws from the random stream of \
                 its name, so names must be unique; give this one a `name`",
                g.name
            );
            match &e.name {
                Some(n) => r.at(sd, n, &format!("{path}.name"), msg),
                None => r.at(sd, &e.kind, &format!("{path}.type"), msg),
            }
            continue;
        }
        out.push(g);
    }
    out
}

fn entry(r: &mut Resolver, sd: Doc, path: &str, e: &FaultEntry) -> Option<FaultGenerator> {
    let pods = e.kind.value == "pod-crash";
    let kind = match e.kind.value.as_str() {
        "node-crash" => GeneratedKind::NodeCrash,
        "node-shutdown" => GeneratedKind::NodeShutdown,
        "network-partition" => GeneratedKind::NetworkPartition,
        "kubelet-restart" => GeneratedKind::KubeletRestart,
        "spot-interruption" => GeneratedKind::SpotInterruption,
        "pod-crash" => GeneratedKind::PodCrash {
            exit_code: exit_code(r, sd, path, e.exit_code.as_ref())?,
        },
        other => {
            let msg = format!("unknown fault type {other:?}; expected {KINDS}");
            r.at(sd, &e.kind, &format!("{path}.type"), msg);
            return None;
        }
    };
    if !pods && let Some(c) = &e.exit_code {
        let msg = "exitCode applies to pod-crash only";
        r.at(sd, c, &format!("{path}.exitCode"), msg);
    }
    if !pods && let Some(ns) = &e.namespace {
        let msg = "namespace applies to pod-crash only (nodes have none)";
        r.at(sd, ns, &format!("{path}.namespace"), msg);
    }
    let selector = match &e.selector {
        None => LabelSelector::default(),
        Some(s) => match LabelSelector::parse(&s.value) {
            Ok(sel) => sel,
            Err(err) => {
                r.at(sd, s, &format!("{path}.selector"), err.to_string());
                return None;
            }
        },
    };
    if !pods && !r.nodes.iter().any(|n| selector.matches(&n.meta.labels)) {
        let msg = format!(
            "selects no node: {:?} matches none; this entry does nothing",
            selector.to_string()
        );
        match &e.selector {
            Some(s) => r.warn_at(sd, s, &format!("{path}.selector"), msg),
            None => r.warn(sd, format!("{path}: {msg}")),
        }
    }
    let time_to_failure = match (&e.mtbf, &e.rate) {
        (Some(m), None) => between(r, sd, &format!("{path}.mtbf"), m)?,
        (None, Some(rate)) => per(r, sd, &format!("{path}.rate"), rate)?,
        _ => {
            r.at(sd, &e.kind, path, "give exactly one of `mtbf` and `rate`");
            return None;
        }
    };
    let repairs = !matches!(
        kind,
        GeneratedKind::PodCrash { .. } | GeneratedKind::KubeletRestart
    );
    let time_to_repair = match (&e.mttr, repairs) {
        (Some(m), true) => between(r, sd, &format!("{path}.mttr"), m)?,
        (None, true) => {
            let msg = format!("`mttr` is required: how long a {} lasts", e.kind.value);
            r.at(sd, &e.kind, path, msg);
            return None;
        }
        (Some(m), false) => {
            let msg = format!(
                "{} has no repair time (the {} restarts by itself); remove `mttr`",
                e.kind.value,
                if pods { "container" } else { "kubelet" }
            );
            r.at(sd, m, &format!("{path}.mttr"), msg);
            return None;
        }
        (None, false) => Distribution::Constant(0),
    };
    let name = match &e.name {
        Some(n) => n.value.clone(),
        None if selector.is_everything() => e.kind.value.clone(),
        None => format!("{} {selector}", e.kind.value),
    };
    Some(FaultGenerator {
        name,
        kind,
        selector,
        namespace: e.namespace.as_ref().map(|n| n.value.clone()),
        time_to_failure,
        time_to_repair,
    })
}

/// A pod-crash's exit code: 1 to 255, 1 by default.
fn exit_code(r: &mut Resolver, sd: Doc, path: &str, c: Option<&Spanned<i64>>) -> Option<i32> {
    match c {
        None => Some(1),
        Some(c) if (1..=255).contains(&c.value) => Some(c.value as i32),
        Some(c) => {
            let msg = format!("must be from 1 to 255 (a crash), got {}", c.value);
            r.at(sd, c, &format!("{path}.exitCode"), msg);
            None
        }
    }
}

/// A time between events: a plain duration is the mean of an exponential distribution
/// (failures and repairs as Poisson processes); a distribution is taken as written. Its
/// mean must be positive.
fn between(r: &mut Resolver, sd: Doc, path: &str, v: &Spanned<String>) -> Option<Distribution> {
    let text = v.value.trim();
    let parsed = if text.contains('(') {
        Distribution::parse(text).map_err(|e| e.to_string())
    } else {
        parse_duration_ms(text)
            .map(|ms| Distribution::Exponential { mean_ms: ms as f64 })
            .map_err(|e| e.to_string())
    };
    match parsed {
        Ok(d) if d.mean_ms() > 0.0 => Some(d),
        Ok(_) => {
            let msg = format!("must be a positive duration (a mean) or distribution, got {text:?}");
            r.at(sd, v, path, msg);
            None
        }
        Err(e) => {
            r.at(sd, v, path, format!("{e}; expected a duration such as 72h (a mean) or a distribution such as weibull(72h, 1.5)"));
            None
        }
    }
}

/// A rate, `N/DURATION` (`1/h`, `3/24h`, `0.5/30m`): exponential times between events with
/// a mean of DURATION / N.
fn per(r: &mut Resolver, sd: Doc, path: &str, v: &Spanned<String>) -> Option<Distribution> {
    let text = v.value.trim();
    let parsed = text.split_once('/').and_then(|(n, unit)| {
        let n: f64 = n.trim().parse().ok()?;
        let unit = unit.trim();
        let unit = if unit.starts_with(|c: char| c.is_ascii_digit()) {
            unit.to_string()
        } else {
            format!("1{unit}")
        };
        let ms = parse_duration_ms(&unit).ok()?;
        (n > 0.0 && n.is_finite() && ms > 0).then(|| ms as f64 / n)
    });
    match parsed {
        Some(mean_ms) => Some(Distribution::Exponential { mean_ms }),
        None => {
            let msg = format!("expected a positive rate such as 1/h or 3/24h, got {text:?}");
            r.at(sd, v, path, msg);
            None
        }
    }
}
