//! `spec.traffic`: request rates per Service or workload, as written and resolved (after
//! every manifest, so that each target is checked against the objects it names).
//!
//! ```yaml
//! traffic:
//!   - target: deployment/web          # service/..., statefulset/...; NAMESPACE/ may precede NAME
//!     rps: [50, {spikes: [{at: 10m, for: 5m, rps: 400}]}]   # patterns add up; 50 = {constant: 50}
//!     noise: {stddev: 0.1, every: 30s}  # or a bare number (every 15s)
//!     perRequest: {cpu: 4m, memory: 1Mi}
//!     perPod: {cpu: 20m, memory: 64Mi}
//!     capacityPerPod: 100
//!   - name: queue_messages            # a series External metrics read
//!     rps: {csv: series/queue.csv}    # time_s,rps; interpolated
//! ```

use super::super::resolver::{Doc, Resolver, quantity};
use super::super::yaml::{LoadError, QuantityText, Spanned};
use crate::api::duration::parse_duration_ms;
use crate::api::traffic::{Cost, Noise, Pattern, Spike, TargetKind, Traffic, TrafficTarget};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Default noise interval.
const NOISE_EVERY_MS: i64 = 15_000;

/// One `spec.traffic` entry as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficEntry {
    /// `KIND/[NAMESPACE/]NAME`.
    #[serde(default)]
    pub target: Option<Spanned<String>>,
    /// The name External metrics read the series by.
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// The rate: one pattern or a list of them.
    pub rps: Rps,
    /// Multiplicative noise.
    #[serde(default)]
    pub noise: Option<NoiseSpec>,
    /// Usage per request/s.
    #[serde(default)]
    pub per_request: BTreeMap<String, Spanned<QuantityText>>,
    /// Idle usage of each running pod.
    #[serde(default)]
    pub per_pod: BTreeMap<String, Spanned<QuantityText>>,
    /// Requests/s one pod serves.
    #[serde(default)]
    pub capacity_per_pod: Option<Spanned<f64>>,
}

/// `rps`: one pattern, or a list of patterns that add up.
#[derive(Clone, Debug, PartialEq)]
pub struct Rps(pub Vec<PatternSpec>);

impl<'de> Deserialize<'de> for Rps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PatternVisitor { list: true })
    }
}

/// `rps` or one of its list's items: a plain number is a constant rate (its position is found
/// from the path), a map one pattern, and at the top a list of these.
struct PatternVisitor {
    list: bool,
}

impl PatternVisitor {
    fn constant(v: f64) -> Rps {
        Rps(vec![PatternSpec {
            constant: Some(Spanned::new(v, Default::default())),
            ..PatternSpec::default()
        }])
    }
}

impl<'de> Visitor<'de> for PatternVisitor {
    type Value = Rps;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a rate (N, or {constant: N}), a pattern ({steps: ...}, {ramp: ...}, \
             {diurnal: ...}, {spikes: ...}, {csv: PATH})",
        )?;
        if self.list {
            f.write_str(" or a list of them")?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rps, A::Error> {
        if !self.list {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut v = Vec::new();
        while let Some(OnePattern(p)) = seq.next_element()? {
            v.push(p);
        }
        Ok(Rps(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Rps, A::Error> {
        let p = PatternSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Rps(vec![p]))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Rps, E> {
        Ok(Self::constant(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rps, E> {
        Ok(Self::constant(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rps, E> {
        Ok(Self::constant(v as f64))
    }
}

/// One item of an `rps` list.
struct OnePattern(PatternSpec);

impl<'de> Deserialize<'de> for OnePattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Rps(mut v) = d.deserialize_any(PatternVisitor { list: false })?;
        Ok(OnePattern(v.pop().unwrap_or_default()))
    }
}

/// One pattern as written: exactly one field set.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// `{constant: N}`.
    #[serde(default)]
    pub constant: Option<Spanned<f64>>,
    /// `{steps: [[T, N], ...]}`.
    #[serde(default)]
    pub steps: Option<Vec<(Spanned<String>, Spanned<f64>)>>,
    /// `{ramp: {from, to, start, end}}`.
    #[serde(default)]
    pub ramp: Option<RampSpec>,
    /// `{diurnal: {mean, amplitude | trough, period, peak}}`.
    #[serde(default)]
    pub diurnal: Option<DiurnalSpec>,
    /// `{spikes: [{at, for, rps}]}`.
    #[serde(default)]
    pub spikes: Option<Vec<SpikeSpec>>,
    /// `{csv: PATH}` (relative to the Simulation's file).
    #[serde(default)]
    pub csv: Option<Spanned<String>>,
}

/// `ramp`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RampSpec {
    /// Rate before the start.
    pub from: Spanned<f64>,
    /// Rate after the end.
    pub to: Spanned<f64>,
    /// Start (duration).
    pub start: Spanned<String>,
    /// End (duration).
    pub end: Spanned<String>,
}

/// `diurnal`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiurnalSpec {
    /// The mean rate.
    pub mean: Spanned<f64>,
    /// Half the peak-to-trough swing (or give `trough`).
    #[serde(default)]
    pub amplitude: Option<Spanned<f64>>,
    /// The lowest rate (instead of `amplitude`).
    #[serde(default)]
    pub trough: Option<Spanned<f64>>,
    /// The period (default 24h).
    #[serde(default)]
    pub period: Option<Spanned<String>>,
    /// When the peak is (default 0s).
    #[serde(default)]
    pub peak: Option<Spanned<String>>,
}

/// One spike.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    /// Start (duration).
    pub at: Spanned<String>,
    /// Length (duration).
    #[serde(rename = "for")]
    pub for_: Spanned<String>,
    /// Extra requests/s.
    pub rps: Spanned<f64>,
}

/// `noise`: a relative standard deviation, or `{stddev, every}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum NoiseSpec {
    /// `noise: 0.1`.
    Stddev(Spanned<f64>),
    /// `noise: {stddev: 0.1, every: 1m}`.
    Full {
        /// Relative standard deviation.
        stddev: Spanned<f64>,
        /// How long one draw holds.
        #[serde(default)]
        every: Option<Spanned<String>>,
    },
}

/// Resolves `spec.traffic`: every target must name an object, every rate be a number ≥ 0.
pub(super) fn traffic(r: &mut Resolver, sd: Doc, entries: &[TrafficEntry]) -> Vec<Traffic> {
    let services: Vec<(String, String)> = r
        .services
        .iter()
        .map(|s| (s.namespace.clone(), s.name.clone()))
        .collect();
    let deployments: Vec<(String, String)> = r
        .deployments
        .iter()
        .map(|d| (d.meta.namespace.clone(), d.meta.name.clone()))
        .collect();
    let stateful_sets: Vec<(String, String)> = r
        .stateful_sets
        .iter()
        .map(|d| (d.meta.namespace.clone(), d.meta.name.clone()))
        .collect();
    let mut out: Vec<Traffic> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let path = format!("spec.traffic[{i}]");
        let Some(t) = entry(r, sd, &path, e, &[&services, &deployments, &stateful_sets]) else {
            continue;
        };
        if let Some(first) = out.iter().position(|o| o.stream_name() == t.stream_name()) {
            let what = t.target.as_ref().map_or_else(
                || format!("name {:?}", t.name.as_deref().unwrap_or("")),
                |t| t.to_string(),
            );
            r.doc(
                sd,
                &path,
                format!(
                    "a second entry for {what} (the first is spec.traffic[{first}]); list both \
                     patterns under one entry's rps, where they add up"
                ),
            );
            continue;
        }
        out.push(t);
    }
    out
}

/// One entry.
fn entry(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    e: &TrafficEntry,
    known: &[&Vec<(String, String)>; 3],
) -> Option<Traffic> {
    let target = match &e.target {
        Some(t) => Some(target(r, sd, &format!("{path}.target"), t, known)?),
        None if e.name.is_none() => {
            r.doc(
                sd,
                path,
                "needs a target (KIND/NAME) or a name (a series for External metrics)",
            );
            return None;
        }
        None => None,
    };
    let mut rps = Vec::new();
    if e.rps.0.is_empty() {
        r.doc(sd, &format!("{path}.rps"), "needs at least one pattern");
    }
    for (j, p) in e.rps.0.iter().enumerate() {
        let ppath = if e.rps.0.len() == 1 {
            format!("{path}.rps")
        } else {
            format!("{path}.rps[{j}]")
        };
        rps.extend(pattern(r, sd, &ppath, p));
    }
    let noise = e
        .noise
        .as_ref()
        .and_then(|n| noise(r, sd, &format!("{path}.noise"), n));
    let per_request = cost(r, sd, &format!("{path}.perRequest"), &e.per_request);
    let per_pod = cost(r, sd, &format!("{path}.perPod"), &e.per_pod);
    let capacity_per_pod = e.capacity_per_pod.as_ref().and_then(|c| {
        if c.value > 0.0 && c.value.is_finite() {
            Some(c.value)
        } else {
            r.at(
                sd,
                c,
                &format!("{path}.capacityPerPod"),
                "must be a positive number",
            );
            None
        }
    });
    Some(Traffic {
        target,
        name: e.name.as_ref().map(|n| n.value.clone()),
        rps,
        noise,
        per_request,
        per_pod,
        capacity_per_pod,
    })
}

/// `KIND/[NAMESPACE/]NAME`, naming an object that exists.
fn target(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    t: &Spanned<String>,
    known: &[&Vec<(String, String)>; 3],
) -> Option<TrafficTarget> {
    let parts: Vec<&str> = t.value.split('/').collect();
    let (kind, namespace, name) = match parts.as_slice() {
        [k, n] => (*k, "default", *n),
        [k, ns, n] => (*k, *ns, *n),
        _ => {
            r.at(
                sd,
                t,
                path,
                format!("{:?}: expected KIND/NAME or KIND/NAMESPACE/NAME", t.value),
            );
            return None;
        }
    };
    let (kind, objects, label) = match kind.to_ascii_lowercase().as_str() {
        "service" | "services" | "svc" => (TargetKind::Service, known[0], "Service"),
        "deployment" | "deployments" | "deploy" => (TargetKind::Deployment, known[1], "Deployment"),
        "statefulset" | "statefulsets" | "sts" => {
            (TargetKind::StatefulSet, known[2], "StatefulSet")
        }
        other => {
            r.at(
                sd,
                t,
                path,
                format!("{other:?}: traffic goes to a service, deployment or statefulset"),
            );
            return None;
        }
    };
    if !objects.iter().any(|(ns, n)| ns == namespace && n == name) {
        r.at(
            sd,
            t,
            path,
            format!("matches nothing: no {label} {name:?} in namespace {namespace:?}"),
        );
        return None;
    }
    Some(TrafficTarget {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
    })
}

/// A rate written in the scenario: a finite number ≥ 0.
fn rate(r: &mut Resolver, sd: Doc, path: &str, v: &Spanned<f64>) -> Option<f64> {
    if v.value.is_finite() && v.value >= 0.0 {
        Some(v.value)
    } else {
        r.at(
            sd,
            v,
            path,
            format!("a rate must be a number ≥ 0, got {}", v.value),
        );
        None
    }
}

/// A duration written in the scenario.
fn duration(r: &mut Resolver, sd: Doc, path: &str, v: &Spanned<String>) -> Option<i64> {
    match parse_duration_ms(&v.value) {
        Ok(ms) => Some(ms),
        Err(e) => {
            r.at(sd, v, path, e.to_string());
            None
        }
    }
}

/// One pattern: exactly one of its fields.
fn pattern(r: &mut Resolver, sd: Doc, path: &str, p: &PatternSpec) -> Option<Pattern> {
    let given = [
        p.constant.is_some(),
        p.steps.is_some(),
        p.ramp.is_some(),
        p.diurnal.is_some(),
        p.spikes.is_some(),
        p.csv.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() != 1 {
        r.doc(
            sd,
            path,
            "give exactly one of constant, steps, ramp, diurnal, spikes and csv (a list of \
             patterns adds them up)",
        );
        return None;
    }
    if let Some(c) = &p.constant {
        return rate(r, sd, &format!("{path}.constant"), c).map(Pattern::Constant);
    }
    if let Some(steps) = &p.steps {
        let mut out = Vec::new();
        for (k, (t, v)) in steps.iter().enumerate() {
            let at = duration(r, sd, &format!("{path}.steps[{k}][0]"), t)?;
            let v = rate(r, sd, &format!("{path}.steps[{k}][1]"), v)?;
            if out.last().is_some_and(|&(prev, _)| prev >= at) {
                r.at(
                    sd,
                    t,
                    &format!("{path}.steps[{k}][0]"),
                    "steps must be in time order",
                );
                return None;
            }
            out.push((at, v));
        }
        return Some(Pattern::Steps(out));
    }
    if let Some(ramp) = &p.ramp {
        let from = rate(r, sd, &format!("{path}.ramp.from"), &ramp.from)?;
        let to = rate(r, sd, &format!("{path}.ramp.to"), &ramp.to)?;
        let start_ms = duration(r, sd, &format!("{path}.ramp.start"), &ramp.start)?;
        let end_ms = duration(r, sd, &format!("{path}.ramp.end"), &ramp.end)?;
        if end_ms <= start_ms {
            r.at(
                sd,
                &ramp.end,
                &format!("{path}.ramp.end"),
                "must be after the start",
            );
            return None;
        }
        return Some(Pattern::Ramp {
            from,
            to,
            start_ms,
            end_ms,
        });
    }
    if let Some(d) = &p.diurnal {
        return diurnal(r, sd, &format!("{path}.diurnal"), d);
    }
    if let Some(spikes) = &p.spikes {
        let mut out = Vec::new();
        for (k, s) in spikes.iter().enumerate() {
            let sp = format!("{path}.spikes[{k}]");
            let at_ms = duration(r, sd, &format!("{sp}.at"), &s.at)?;
            let for_ms = duration(r, sd, &format!("{sp}.for"), &s.for_)?;
            let rps = rate(r, sd, &format!("{sp}.rps"), &s.rps)?;
            out.push(Spike { at_ms, for_ms, rps });
        }
        return Some(Pattern::Spikes(out));
    }
    let csv = p.csv.as_ref()?;
    series(r, sd, &format!("{path}.csv"), csv)
}

/// `diurnal`: `amplitude` or `trough`, not both; never below zero.
fn diurnal(r: &mut Resolver, sd: Doc, path: &str, d: &DiurnalSpec) -> Option<Pattern> {
    let mean = rate(r, sd, &format!("{path}.mean"), &d.mean)?;
    let amplitude = match (&d.amplitude, &d.trough) {
        (Some(a), None) => rate(r, sd, &format!("{path}.amplitude"), a)?,
        (None, Some(t)) => mean - rate(r, sd, &format!("{path}.trough"), t)?,
        _ => {
            r.doc(sd, path, "give exactly one of amplitude and trough");
            return None;
        }
    };
    if amplitude > mean || amplitude < 0.0 {
        r.doc(
            sd,
            path,
            format!("the trough must lie between 0 and the mean {mean} (amplitude {amplitude})"),
        );
        return None;
    }
    let period_ms = match &d.period {
        Some(p) => duration(r, sd, &format!("{path}.period"), p)?,
        None => 86_400_000,
    };
    if period_ms <= 0 {
        r.doc(sd, &format!("{path}.period"), "must be positive");
        return None;
    }
    let peak_ms = match &d.peak {
        Some(p) => duration(r, sd, &format!("{path}.peak"), p)?,
        None => 0,
    };
    Some(Pattern::Diurnal {
        mean,
        amplitude,
        period_ms,
        peak_ms,
    })
}

/// `{csv: PATH}`: `time_s,rps` rows, the times increasing.
fn series(r: &mut Resolver, sd: Doc, path: &str, csv: &Spanned<String>) -> Option<Pattern> {
    let base_dir = sd.file.parent().unwrap_or(Path::new("."));
    let file = base_dir.join(&csv.value);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            r.at(
                sd,
                csv,
                path,
                format!("cannot read {}: {e}", file.display()),
            );
            return None;
        }
    };
    match read_series(&text) {
        Ok(points) => Some(Pattern::Series(points)),
        Err((line, column, msg)) => {
            r.errors.push(LoadError::at(&file, line, 0, column, msg));
            None
        }
    }
}

/// Where a series is malformed: line, column name, message.
type SeriesError = (u32, &'static str, String);

/// Reads `time_s,rps` rows (a header first).
fn read_series(text: &str) -> Result<Vec<(i64, f64)>, SeriesError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| (1, "", e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(tc), Some(rc)) = (col("time_s"), col("rps")) else {
        let found = headers.iter().collect::<Vec<_>>().join(",");
        return Err((
            1,
            "",
            format!("the header must name time_s and rps; found {found}"),
        ));
    };
    let mut points: Vec<(i64, f64)> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = u32::try_from(i + 2).unwrap_or(u32::MAX);
        let rec = rec.map_err(|e| (line, "", e.to_string()))?;
        let num = |c: usize, name: &'static str| -> Result<f64, SeriesError> {
            let v = rec.get(c).unwrap_or("");
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| (line, name, format!("{v:?}: expected a number")))
        };
        let t = num(tc, "time_s")?;
        let v = num(rc, "rps")?;
        if v < 0.0 {
            return Err((line, "rps", format!("a rate must be ≥ 0, got {v}")));
        }
        let ms = (t * 1000.0).round() as i64;
        if points.last().is_some_and(|&(prev, _)| prev >= ms) {
            return Err((line, "time_s", "times must increase from row to row".into()));
        }
        points.push((ms, v));
    }
    if points.is_empty() {
        return Err((1, "", "no rows: a series needs at least one".into()));
    }
    Ok(points)
}

/// `noise`.
fn noise(r: &mut Resolver, sd: Doc, path: &str, n: &NoiseSpec) -> Option<Noise> {
    let (stddev, every) = match n {
        NoiseSpec::Stddev(s) => (s, None),
        NoiseSpec::Full { stddev, every } => (stddev, every.as_ref()),
    };
    if !(stddev.value.is_finite() && stddev.value >= 0.0) {
        r.at(
            sd,
            stddev,
            path,
            "the standard deviation must be a number ≥ 0",
        );
        return None;
    }
    let every_ms = match every {
        Some(e) => match duration(r, sd, &format!("{path}.every"), e)? {
            ms if ms > 0 => ms,
            _ => {
                r.at(sd, e, &format!("{path}.every"), "must be positive");
                return None;
            }
        },
        None => NOISE_EVERY_MS,
    };
    Some(Noise {
        stddev: stddev.value,
        every_ms,
        stream: None,
        last: Default::default(),
    })
}

/// `perRequest` / `perPod`: cpu and memory quantities.
fn cost(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    given: &BTreeMap<String, Spanned<QuantityText>>,
) -> Cost {
    let mut c = Cost::default();
    for (name, q) in given {
        let p = format!("{path}.{name}");
        match name.as_str() {
            "cpu" => c.cpu_m = quantity(r, sd, &p, "cpu", q).unwrap_or(0) as f64,
            "memory" => c.memory = quantity(r, sd, &p, "memory", q).unwrap_or(0) as f64,
            _ => r.at(sd, q, &p, "traffic costs cpu and memory only"),
        }
    }
    c
}

#[cfg(test)]
mod tests;
