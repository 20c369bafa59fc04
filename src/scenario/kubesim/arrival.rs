//! `spec.arrivals`: streams of Pods or Jobs from a template (inline, or a path to a
//! manifest), and CSV traces, as written and resolved.

use super::super::batch::{self, Job, JobSpec};
use super::super::core::{self, Pod, PodSpec};
use super::super::documents;
use super::super::kinds::Manifest;
use super::super::list::KindProbe;
use super::super::meta::ObjectMeta;
use super::super::resolver::{Doc, Resolver};
use super::super::yaml::{Event, LoadError, Spanned};
use super::trace::read_csv_trace;
use crate::api::arrival::{ArrivalStream, ArrivalTemplate, QuantityDraw, RequestDraws, Source};
use crate::api::duration::parse_duration_ms;
use crate::api::pod::{Container, DEFAULT_SCHEDULER, RestartPolicy};
use crate::api::{Distribution, Labels, Resources};
use crate::engine::SimTime;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

/// A workload arrival: either generated (`template`, `count`, `every`, ...) or
/// replayed from a `trace`. All fields are optional; the caller checks which
/// combination is present.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Arrival {
    /// Arrival name (names the arrival's component and random stream).
    pub name: Option<Spanned<String>>,
    /// Object to create: inline Pod/Job or a path to a manifest file.
    pub template: Option<TemplateRef>,
    /// Number of objects.
    pub count: Option<Spanned<i64>>,
    /// Inter-arrival distribution text, e.g. `exponential(2s)`.
    pub every: Option<Spanned<String>>,
    /// Start offset (duration text).
    pub start: Option<Spanned<String>>,
    /// Request overrides as distribution text (e.g. `cpu: choice(250m, 500m, 1)`).
    pub requests: Option<BTreeMap<String, Spanned<String>>>,
    /// Replay a trace instead of generating.
    pub trace: Option<TraceSpec>,
}

/// A trace to replay.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TraceSpec {
    /// Trace format.
    pub format: Spanned<String>,
    /// Trace file path (relative to the Simulation file).
    pub path: Spanned<String>,
}

/// An arrival template: an inline manifest or a path to one.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplateRef {
    /// Inline Pod or Job.
    Inline(Box<Manifest>),
    /// Path relative to the Simulation's file (see `documents::load_template`).
    Path(String),
}

thread_local! {
    /// Kinds of the inline templates of the document being deserialized, in
    /// document order (`None` for path templates or unknown kinds). Only
    /// consulted when `spec` precedes `kind` in an inline template.
    static TEMPLATE_KIND_HINTS: RefCell<VecDeque<Option<String>>> =
        const { RefCell::new(VecDeque::new()) };
}

/// Runs `f` with the given template kind hints installed (restoring the previous ones after).
pub(in super::super) fn with_template_kind_hints<R>(
    hints: Vec<Option<String>>,
    f: impl FnOnce() -> R,
) -> R {
    let previous = TEMPLATE_KIND_HINTS.with(|h| h.replace(hints.into()));
    let result = f();
    TEMPLATE_KIND_HINTS.with(|h| h.replace(previous));
    result
}

fn next_template_kind_hint() -> Option<String> {
    TEMPLATE_KIND_HINTS.with(|h| h.borrow_mut().pop_front().flatten())
}

enum TemplateBody {
    Pod(Box<PodSpec>),
    Job(Box<JobSpec>),
}

impl<'de> Deserialize<'de> for TemplateRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V {
            hint: Option<String>,
        }
        impl<'de> Visitor<'de> for V {
            type Value = TemplateRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an inline Pod or Job manifest, or a path to a manifest file")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TemplateRef::Path(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut kind: Option<String> = None;
                let mut metadata: Option<ObjectMeta> = None;
                let mut body: Option<TemplateBody> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "kind" => {
                            let k: String = map.next_value()?;
                            check_template_kind::<A::Error>(&k)?;
                            kind = Some(k);
                        }
                        "metadata" => metadata = Some(map.next_value()?),
                        "spec" => {
                            let k = kind.clone().or_else(|| self.hint.clone());
                            let k = k.ok_or_else(|| {
                                de::Error::custom(
                                    "inline template needs `kind: Pod` or `kind: Job` before `spec`",
                                )
                            })?;
                            check_template_kind::<A::Error>(&k)?;
                            body = Some(if k == "Pod" {
                                TemplateBody::Pod(map.next_value()?)
                            } else {
                                TemplateBody::Job(map.next_value()?)
                            });
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
                let metadata = metadata.unwrap_or_default();
                let manifest = match (kind.as_str(), body) {
                    ("Pod", Some(TemplateBody::Pod(spec))) => Manifest::Pod(Box::new(Pod {
                        metadata,
                        spec: *spec,
                        status: None,
                    })),
                    ("Job", Some(TemplateBody::Job(spec))) => Manifest::Job(Box::new(Job {
                        metadata,
                        spec: *spec,
                    })),
                    (_, None) => return Err(de::Error::missing_field("spec")),
                    (k, Some(_)) => {
                        return Err(de::Error::custom(format!(
                            "inline template `kind: {k}` does not match the kind its `spec` was read as"
                        )));
                    }
                };
                Ok(TemplateRef::Inline(Box::new(manifest)))
            }
        }
        let hint = next_template_kind_hint();
        d.deserialize_any(V { hint })
    }
}

fn check_template_kind<E: de::Error>(kind: &str) -> Result<(), E> {
    if kind == "Pod" || kind == "Job" {
        Ok(())
    } else {
        Err(E::custom(format!(
            "inline template must be a Pod or a Job, not `{kind}`"
        )))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SimulationProbe {
    spec: Option<SimulationSpecProbe>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SimulationSpecProbe {
    arrivals: Option<Vec<ArrivalProbe>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArrivalProbe {
    template: Option<KindProbe>,
}

/// Kinds of the inline arrival templates, in document order (empty if the probe fails).
pub(in super::super) fn simulation_template_hints(events: &[Event<'_>]) -> Vec<Option<String>> {
    let probe: Result<SimulationProbe, _> = crate::yaml::from_events(events, PhantomData);
    probe
        .ok()
        .and_then(|p| p.spec)
        .and_then(|s| s.arrivals)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.template.map(|t| t.kind))
        .collect()
}

/// `spec.arrivals`, each a source of its own; names must be unique, since each source draws
/// from the random stream of its name.
pub(super) fn arrivals(r: &mut Resolver, sd: Doc, list: &[Arrival]) -> Vec<Source> {
    let mut out: Vec<Source> = Vec::new();
    let mut streams: Vec<(String, usize)> = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let Some(source) = arrival(r, sd, i, a) else {
            continue;
        };
        let stream = source.stream_name();
        if let Some((_, first)) = streams.iter().find(|(s, _)| *s == stream) {
            let whence = match &a.name {
                Some(_) => "its `name`".to_string(),
                None if a.trace.is_some() => "its trace's file name".to_string(),
                None => "its template's metadata.name".to_string(),
            };
            let msg = format!(
                "spec.arrivals[{first}] has the same name ({stream:?}, from {whence}): each \
                 arrival is a component with a random stream of its name, so names must be \
                 unique; give one of them another `name`"
            );
            let field = format!("spec.arrivals[{i}].name");
            match &a.name {
                Some(n) => r.at(sd, n, &field, msg),
                None => r.doc(sd, &field, msg),
            }
            continue;
        }
        streams.push((stream, i));
        out.push(source);
    }
    out
}

/// One arrival: a trace, or a template with `count` and `every`.
fn arrival(r: &mut Resolver, sd: Doc, i: usize, a: &Arrival) -> Option<Source> {
    let path = format!("spec.arrivals[{i}]");
    match (&a.template, &a.trace) {
        (Some(_), Some(_)) | (None, None) => {
            let msg = "give either template (with count and every) or trace";
            r.doc(sd, &path, msg);
            None
        }
        (None, Some(t)) => trace(r, sd, &path, a.name.as_ref().map(|n| n.value.as_str()), t),
        (Some(t), None) => stream(r, sd, &path, a, t),
    }
}

/// A CSV trace, read relative to the Simulation's file: one pod per row, from a base spec
/// (one container, priority from the global default class unless the row gives one).
fn trace(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    name: Option<&str>,
    t: &TraceSpec,
) -> Option<Source> {
    if t.format.value != "csv" {
        let msg = format!("expected csv, got {:?}", t.format.value);
        r.at(sd, &t.format, &format!("{path}.trace.format"), msg);
        return None;
    }
    let base_dir = sd.file.parent().unwrap_or(Path::new("."));
    let file = base_dir.join(&t.path.value);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            let msg = format!("cannot read {}: {e}", file.display());
            r.at(sd, &t.path, &format!("{path}.trace.path"), msg);
            return None;
        }
    };
    let rows = match read_csv_trace(&text) {
        Ok(rows) => rows,
        Err(e) => {
            r.errors.push(trace_error(&file, &e));
            return None;
        }
    };
    for row in &rows {
        if let Some(ns) = &row.namespace
            && !r.namespaces.contains(ns)
        {
            r.namespaces.push(ns.clone());
        }
    }
    let c = Container {
        name: "main".into(),
        image: "kubesim.io/trace-task".into(),
        requests: Resources::default(),
        limits: Resources::default(),
        cpu_request_set: true,
        memory_request_set: true,
        sidecar: false,
        pull_policy: crate::api::pod::PullPolicy::IfNotPresent,
        startup_probe: None,
        readiness_probe: None,
    };
    let mut base = crate::api::PodSpec::new(
        vec![c],
        vec![],
        Resources::default(),
        Labels::new(),
        None,
        vec![],
        DEFAULT_SCHEDULER,
        RestartPolicy::Never,
    );
    base.priority = r
        .classes
        .values()
        .find(|c| c.global_default)
        .map_or(0, |c| c.value);
    let name = match name {
        Some(n) => n.to_string(),
        None => file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string()),
    };
    Some(Source::Trace {
        name,
        rows: Arc::new(rows),
        base: Arc::new(base),
    })
}

/// A trace reader's error (`line 12: cpu: invalid quantity "x"`) as a located error: the
/// file line, and the column's name as the field path.
fn trace_error(file: &Path, e: &str) -> LoadError {
    const COLUMNS: [&str; 8] = [
        "arrival_s",
        "duration_s",
        "cpu",
        "memory",
        "name",
        "namespace",
        "priority",
        "labels",
    ];
    let Some((line, rest)) = e
        .strip_prefix("line ")
        .and_then(|r| r.split_once(": "))
        .and_then(|(n, rest)| Some((n.parse::<u32>().ok()?, rest)))
    else {
        return LoadError::in_file(file, e);
    };
    match rest.split_once(": ") {
        Some((column, msg)) if COLUMNS.contains(&column) => {
            LoadError::at(file, line, 0, column, msg)
        }
        _ => LoadError::at(file, line, 0, "", rest),
    }
}

/// A stream of objects from a template: `count` of them, `every` apart, from `start`.
fn stream(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    a: &Arrival,
    tref: &TemplateRef,
) -> Option<Source> {
    // Every field is checked, so that all their errors show at once.
    let template = template(r, sd, path, tref);
    let count = match &a.count {
        Some(c) if c.value < 0 => {
            let msg = format!("must not be negative, got {}", c.value);
            r.at(sd, c, &format!("{path}.count"), msg);
            None
        }
        Some(c) => Some(c.value as u64),
        None => {
            r.doc(sd, &format!("{path}.count"), "is required with a template");
            None
        }
    };
    let every = match &a.every {
        Some(e) => Distribution::parse(&e.value)
            .map_err(|err| r.at(sd, e, &format!("{path}.every"), err.to_string()))
            .ok(),
        None => {
            r.doc(sd, &format!("{path}.every"), "is required with a template");
            None
        }
    };
    let start = match &a.start {
        Some(s) => match parse_duration_ms(&s.value) {
            Ok(ms) if ms >= 0 => SimTime(ms),
            Ok(_) => {
                r.at(sd, s, &format!("{path}.start"), "must not be negative");
                SimTime::ZERO
            }
            Err(e) => {
                r.at(sd, s, &format!("{path}.start"), e.to_string());
                SimTime::ZERO
            }
        },
        None => SimTime::ZERO,
    };
    let requests = request_draws(r, sd, path, a.requests.as_ref());
    let (template, count, every) = (template?, count?, every?);
    if let (ArrivalTemplate::Pod { spec, .. }, Some(draws)) = (&template, &requests) {
        draws_within_limits(r, sd, path, a, spec, draws);
    }
    let name = match &a.name {
        Some(n) => n.value.clone(),
        None => match &template {
            ArrivalTemplate::Pod { meta, .. } | ArrivalTemplate::Job { meta, .. } => {
                meta.name.clone()
            }
        },
    };
    Some(Source::Stream(Box::new(ArrivalStream {
        name,
        template,
        count,
        every,
        start,
        requests,
    })))
}

/// A drawn request may not exceed the first container's limit, as a request written in the
/// template may not (the API server would refuse each pod).
fn draws_within_limits(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    a: &Arrival,
    spec: &crate::api::PodSpec,
    draws: &RequestDraws,
) {
    let Some(c) = spec.containers.first() else {
        return;
    };
    let cpu_max = draws.cpu.as_ref().map(QuantityDraw::max_milli);
    let memory_max = match (&draws.memory, &draws.memory_per_cpu) {
        (Some(m), _) => Some((m.max_milli() + 999) / 1000),
        (None, Some(per_cpu)) => {
            let cpu = cpu_max.unwrap_or(i128::from(c.requests.cpu_m));
            Some((per_cpu.max_milli() * cpu / 1000 + 999) / 1000)
        }
        (None, None) => None,
    };
    let checks = [
        ("cpu", "cpu", cpu_max, c.limits.cpu_m, "m"),
        ("memory", "memory", memory_max, c.limits.memory, ""),
    ];
    for (key, resource, max, limit, unit) in checks {
        let Some(max) = max else {
            continue;
        };
        if limit > 0 && max > i128::from(limit) {
            // The draw that decides it: `memory`, else `memoryPerCpu`.
            let field = match key {
                "memory" if draws.memory.is_none() => "memoryPerCpu",
                k => k,
            };
            let msg = format!(
                "a drawn {resource} request can reach {max}{unit}, above the template's {resource} \
                 limit of {limit}{unit}: requests may not exceed limits"
            );
            let leaf = a.requests.as_ref().and_then(|m| m.get(field));
            match leaf {
                Some(l) => r.at(sd, l, &format!("{path}.requests.{field}"), msg),
                None => r.doc(sd, &format!("{path}.requests.{field}"), msg),
            }
        }
    }
}

/// The Pod or Job a stream creates. Field paths run from the Simulation for an inline
/// template, from the template's own document for a template in a file (where the error's
/// location is).
fn template(r: &mut Resolver, sd: Doc, path: &str, tref: &TemplateRef) -> Option<ArrivalTemplate> {
    let located;
    let (manifest, d, prefix) = match tref {
        TemplateRef::Inline(m) => (m.as_ref(), sd, format!("{path}.template.")),
        TemplateRef::Path(rel) => {
            match documents::load_template(sd.file, rel, r.validate, &mut r.warnings) {
                Ok(l) => {
                    located = l;
                    (&located.value, Doc::of(&located), String::new())
                }
                Err(e) => {
                    r.errors.extend(e);
                    return None;
                }
            }
        }
    };
    match manifest {
        Manifest::Pod(p) => {
            let (meta, spec) = core::pod(r, d, &p.metadata, &p.spec, &prefix, false)?;
            Some(ArrivalTemplate::Pod {
                meta,
                spec: Arc::new(spec),
            })
        }
        Manifest::Job(j) => {
            let job = batch::job(r, d, &prefix, j)?;
            Some(ArrivalTemplate::Job {
                meta: job.meta,
                spec: job.spec,
            })
        }
        other => {
            let msg = format!("must be a Pod or a Job, got {}", other.kind());
            r.doc(d, &format!("{path}.template"), msg);
            None
        }
    }
}

/// `requests`: per-pod draws of the first container's requests.
fn request_draws(
    r: &mut Resolver,
    sd: Doc,
    path: &str,
    given: Option<&BTreeMap<String, Spanned<String>>>,
) -> Option<RequestDraws> {
    let mut draws = RequestDraws::default();
    let mut any = false;
    for (key, v) in given.into_iter().flatten() {
        let slot = match key.as_str() {
            "cpu" => &mut draws.cpu,
            "memory" => &mut draws.memory,
            "memoryPerCpu" => &mut draws.memory_per_cpu,
            _ => {
                let msg = "unknown key; expected cpu, memory or memoryPerCpu";
                r.at(sd, v, &format!("{path}.requests.{key}"), msg);
                continue;
            }
        };
        match QuantityDraw::parse(&v.value) {
            Ok(q) => {
                *slot = Some(q);
                any = true;
            }
            Err(e) => r.at(sd, v, &format!("{path}.requests.{key}"), e),
        }
    }
    any.then_some(draws)
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::*;
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, crate::yaml::DeError> {
        crate::yaml::from_str(s)
    }

    #[test]
    fn template_ref_path_and_inline() {
        let a: Arrival = parse("template: pods/web.yaml\n").unwrap();
        assert_eq!(
            a.template.unwrap(),
            TemplateRef::Path("pods/web.yaml".into())
        );
        let a: Arrival = parse(
            "template:\n  apiVersion: batch/v1\n  kind: Job\n  spec:\n    template:\n      spec:\n        containers: [{name: c}]\n",
        )
        .unwrap();
        match a.template.unwrap() {
            TemplateRef::Inline(m) => assert_eq!(m.kind(), "Job"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn template_spec_before_kind_uses_hint_or_errors() {
        let yaml = "template:\n  spec:\n    containers: [{name: c}]\n  kind: Pod\n";
        assert!(parse::<Arrival>(yaml).is_err());
        let a: Arrival =
            with_template_kind_hints(vec![Some("Pod".into())], || parse(yaml)).unwrap();
        assert!(matches!(
            a.template.unwrap(),
            TemplateRef::Inline(m) if m.kind() == "Pod"
        ));
    }

    #[test]
    fn template_of_other_kind_is_rejected() {
        let e = parse::<Arrival>("template: {kind: Deployment, spec: {}}\n").unwrap_err();
        assert!(e.to_string().contains("Pod or a Job"), "{e}");
    }

    #[test]
    fn trace_arrival_loads_relative_to_the_simulation_file() {
        let text = sim("  arrivals:\n  - trace: {format: csv, path: traces/day1.csv}\n");
        let csv =
            "arrival_s,duration_s,cpu,memory,name,namespace\n0,10,500m,1Gi,a,batch\n2.5,,1,2Gi,,\n";
        let s = ok(&[("sim/sim.yaml", &text), ("sim/traces/day1.csv", csv)]);
        assert_eq!(s.arrivals.len(), 1);
        let Source::Trace { name, rows, base } = &s.arrivals[0] else {
            panic!("expected a trace")
        };
        assert_eq!(name, "day1.csv");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cpu_m, 500);
        assert_eq!(rows[0].memory, 1 << 30);
        assert_eq!(rows[0].duration_ms, Some(10_000));
        assert_eq!(rows[1].arrival_ms, 2_500);
        assert_eq!(rows[1].duration_ms, None);
        assert_eq!(&*base.scheduler_name, DEFAULT_SCHEDULER);
        assert!(s.namespaces.iter().any(|n| n == "batch"));
    }

    #[test]
    fn two_arrivals_with_one_name_are_an_error() {
        let stream = |name: &str| {
            format!(
                "  - name: {name}\n    count: 2\n    every: 1s\n    template:\n      kind: Pod\n      \
                 metadata: {{name: x}}\n      spec: {{containers: [{{name: c, image: i}}]}}\n"
            )
        };
        let text = sim(&format!("  arrivals:\n{}{}", stream("web"), stream("web")));
        let (_, e) = errs(&[("sim.yaml", &text)]);
        let shown = display(&e);
        assert_eq!(e.len(), 1, "{shown}");
        // The second arrival's name: its line and the column of its value.
        let at = text.rfind("name: web").unwrap();
        let second_line = text[..at].lines().count();
        let col = at - text[..at].rfind('\n').unwrap() + "name: ".len();
        assert!(
            shown.contains(&format!(
                "sim.yaml:{second_line}:{col}: spec.arrivals[1].name: spec.arrivals[0] has the \
                 same name (\"arrivals/web\", from its `name`)"
            )),
            "{shown}"
        );
        // Unnamed streams take their template's name, and traces their file's name.
        let text = sim(&format!("  arrivals:\n{}{}", stream("a"), stream("b")));
        assert_eq!(ok(&[("sim.yaml", &text)]).arrivals.len(), 2);
        let traces = sim(
            "  arrivals:\n  - trace: {format: csv, path: t.csv}\n  - trace: {format: csv, path: t.csv}\n",
        );
        let csv = "arrival_s,duration_s,cpu,memory\n1,1,1,1Gi\n";
        let (_, e) = errs(&[("sim.yaml", &traces), ("t.csv", csv)]);
        assert!(
            display(&e).contains("(\"trace/t.csv\", from its trace's file name)"),
            "{}",
            display(&e)
        );
        let named = traces.replacen("  - trace", "  - name: second\n    trace", 1);
        assert_eq!(
            ok(&[("sim.yaml", &named), ("t.csv", csv)]).arrivals.len(),
            2
        );
    }

    #[test]
    fn drawn_requests_may_not_exceed_the_template_limits() {
        let arrival = |requests: &str| {
            sim(&format!(
                "  arrivals:\n  - count: 2\n    every: 1s\n    requests: {requests}\n    \
                 template:\n      kind: Pod\n      metadata: {{name: x}}\n      spec:\n        \
                 containers: [{{name: c, image: i, resources: {{limits: {{cpu: \"1\", memory: 4Gi}}}}}}]\n"
            ))
        };
        let fine = arrival("{cpu: \"choice(250m, 1)\", memoryPerCpu: 4Gi}");
        assert_eq!(ok(&[("sim.yaml", &fine)]).arrivals.len(), 1);
        let text = arrival("{cpu: \"choice(500m, 3)\", memory: \"uniform(1Gi, 5Gi)\"}");
        let (_, e) = errs(&[("sim.yaml", &text)]);
        let shown = display(&e);
        assert_eq!(e.len(), 2, "{shown}");
        assert!(
            shown.contains(
                "spec.arrivals[0].requests.cpu: a drawn cpu request can reach 3000m, above the \
                 template's cpu limit of 1000m"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("spec.arrivals[0].requests.memory: a drawn memory"),
            "{shown}"
        );
        let per_cpu = arrival("{cpu: \"1\", memoryPerCpu: 8Gi}");
        let (_, e) = errs(&[("sim.yaml", &per_cpu)]);
        assert!(
            display(&e).contains("requests.memoryPerCpu"),
            "{}",
            display(&e)
        );
    }

    #[test]
    fn every_field_of_an_arrival_is_checked_at_once() {
        let text = sim(
            "  arrivals:\n  - count: -1\n    every: soon\n    start: later\n    template: \
             {kind: Pod, spec: {containers: [{name: c, image: i}]}}\n",
        );
        let (_, e) = errs(&[("sim.yaml", &text)]);
        let paths: Vec<&str> = e.iter().map(|e| e.path.as_str()).collect();
        for want in [
            "spec.arrivals[0].template.metadata.name",
            "spec.arrivals[0].count",
            "spec.arrivals[0].every",
            "spec.arrivals[0].start",
        ] {
            assert!(paths.contains(&want), "{want} missing from {paths:?}");
        }
    }

    #[test]
    fn trace_errors() {
        let missing = sim("  arrivals:\n  - trace: {format: csv, path: nope.csv}\n");
        let (_, e) = errs(&[("sim.yaml", &missing)]);
        assert_eq!(e[0].path, "spec.arrivals[0].trace.path");
        assert!(e[0].message.contains("cannot read"), "{}", e[0]);

        let format = sim("  arrivals:\n  - trace: {format: parquet, path: t.csv}\n");
        let (_, e) = errs(&[("sim.yaml", &format), ("t.csv", "arrival_s\n")]);
        assert_eq!(e[0].path, "spec.arrivals[0].trace.format");

        let bad = sim("  arrivals:\n  - trace: {format: csv, path: t.csv}\n");
        let (dir, _, r) = load(&[
            ("sim.yaml", &bad),
            ("t.csv", "arrival_s,duration_s,cpu,memory\n0,1,lots,1Gi\n"),
        ]);
        let e = r.unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file, dir.path().join("t.csv"));
        let shown = e[0].to_string();
        assert!(
            shown.contains("t.csv:2: cpu: invalid quantity \"lots\": expected a number"),
            "{shown}"
        );

        let both =
            sim("  arrivals:\n  - trace: {format: csv, path: t.csv}\n    template: p.yaml\n");
        let (_, e) = errs(&[("sim.yaml", &both)]);
        assert_eq!(e[0].path, "spec.arrivals[0]");
    }

    #[test]
    fn arrival_template_given_as_a_path() {
        let text = sim(
            "  arrivals:\n  - count: 5\n    every: exponential(2s)\n    start: 1m\n    template: pods/web.yaml\n    requests: {cpu: \"choice(250m, 500m)\"}\n",
        );
        let s = ok(&[("sim.yaml", &text), ("pods/web.yaml", POD)]);
        let Source::Stream(stream) = &s.arrivals[0] else {
            panic!("expected a stream")
        };
        assert_eq!(stream.name, "p");
        assert_eq!(stream.count, 5);
        assert_eq!(stream.start, SimTime(60_000));
        assert!(stream.requests.as_ref().unwrap().cpu.is_some());
        let ArrivalTemplate::Pod { meta, spec } = &stream.template else {
            panic!("expected a Pod template")
        };
        assert_eq!(meta.name, "p");
        assert_eq!(spec.containers[0].requests.cpu_m, 500);
        // The template file is not a manifest of the scenario.
        assert!(s.pods.is_empty());
    }

    #[test]
    fn errors_in_a_template_file_point_into_that_file() {
        let text = sim("  arrivals:\n  - {count: 5, every: 1s, template: pods/web.yaml}\n");
        let web = format!("# web\n{}", POD.replace("cpu: 500m", "cpu: 5x"));
        let (dir, _, r) = load(&[("sim.yaml", &text), ("pods/web.yaml", &web)]);
        let e = r.unwrap_err();
        assert_eq!(e.len(), 1, "{}", display(&e));
        let (line, col) = position(&web, "5x");
        assert_eq!(
            e[0].to_string(),
            format!(
                "{}:{line}:{col}: spec.containers[0].resources.requests.cpu: {}",
                dir.path().join("pods/web.yaml").display(),
                e[0].message
            )
        );

        let (_, e) = errs(&[("sim.yaml", &text)]);
        assert!(e[0].message.contains("cannot open"), "{}", e[0]);
    }

    #[test]
    fn inline_template_errors_carry_the_arrival_path() {
        let pod = sim(
            "  arrivals:\n  - count: 1\n    every: 1s\n    template:\n      kind: Pod\n      metadata:\n        annotations: {kubesim.io/duration: forever}\n      spec:\n        containers: [{name: c, image: x}]\n",
        );
        let (_, e) = errs(&[("sim.yaml", &pod)]);
        let paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        // The missing name does not hide the annotation's error.
        assert_eq!(
            paths,
            [
                "spec.arrivals[0].template.metadata.name",
                "spec.arrivals[0].template.metadata.annotations.kubesim.io/duration"
            ],
            "{}",
            display(&e)
        );

        let job = sim(
            "  arrivals:\n  - count: 1\n    every: 1s\n    template:\n      kind: Job\n      metadata: {name: j}\n      spec:\n        parallelism: -1\n        template:\n          metadata:\n            annotations: {kubesim.io/duration: forever}\n          spec:\n            restartPolicy: Always\n            containers: [{name: c, image: x}]\n",
        );
        let (_, e) = errs(&[("sim.yaml", &job)]);
        let mut paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "spec.arrivals[0].template.spec.parallelism",
                "spec.arrivals[0].template.spec.template.metadata.annotations.kubesim.io/duration",
                "spec.arrivals[0].template.spec.template.spec.restartPolicy",
            ],
            "{}",
            display(&e)
        );
    }
}
