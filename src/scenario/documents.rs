//! From files to located, typed manifests.
//!
//! [`load`] expands the paths it is given, splits every file into YAML documents, reads each
//! document's `apiVersion` and `kind`, deserializes the known kinds of the [`kinds`] table
//! (unpacking `kind: List` items), and collects every error with its file, line, column and
//! field path instead of stopping at the first one. Unknown kinds are warned about once each.
//!
//! [`kinds`]: super::kinds

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

use super::LoadProgress;
use super::files::{expand_one, normalize, read_text, split_ranges};
use super::kinds::{Kind, Manifest, Stage};
use super::kubesim::{simulation_template_hints, with_template_kind_hints};
use super::list::load_list;
use super::schema::walk::{self, FindingKind};
use super::schema::{Ref, Schema, ValidateMode};
use super::yaml::{
    Event, LoadError, Located, Spanned, abs_line, abs_position, parse_events, read_events,
};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// Everything [`load`] found: manifests, warnings and all errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadOutcome {
    /// Recognised manifests in file and document order.
    pub manifests: Vec<Located<Manifest>>,
    /// Warnings (one per unsupported kind, apiVersion notes).
    pub warnings: Vec<String>,
    /// Every error encountered.
    pub errors: Vec<LoadError>,
    /// Whether a Simulation document was found but could not be read (its errors are
    /// among `errors`; "no Simulation found" would be one too many).
    pub simulation_unreadable: bool,
}

/// A document of a kind resolved last (Pods, Jobs), kept as text: it is read when its stage
/// comes and dropped once resolved, so that the raw manifests of a large cluster are never
/// all held at once.
pub(super) struct Deferred {
    file: PathBuf,
    text: String,
    line: u32,
    /// How many manifests were read before it (its place among them).
    pub after: usize,
}

/// `apiVersion` + `kind` of a document (first pass).
pub(super) struct TypeMeta {
    api_version: Option<Spanned<String>>,
    kind: Spanned<String>,
}

impl<'de> Deserialize<'de> for TypeMeta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TypeMeta;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes object (a mapping with `apiVersion` and `kind`)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TypeMeta, A::Error> {
                let mut api_version = None;
                let mut kind = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "apiVersion" => api_version = map.next_value()?,
                        "kind" => kind = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
                Ok(TypeMeta { api_version, kind })
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserializes the raw manifest of a kind of the table.
pub(super) struct KindSeed(pub &'static Kind);

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = Manifest;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Manifest, D::Error> {
        Manifest::deserialize(self.0.name, d)
    }
}

/// Objects of one unsupported kind seen so far.
struct UnknownKind {
    kind: String,
    api_version: Option<String>,
    count: usize,
    first: String,
}

#[derive(Default)]
pub(super) struct Collector {
    /// What was found so far.
    pub outcome: LoadOutcome,
    /// Documents read when their stage comes (see [`Collector::read_deferred`]).
    pub deferred: Vec<Deferred>,
    /// Whether documents of the last stage are deferred.
    defer: bool,
    /// The unsupported kinds seen.
    unknown: Vec<UnknownKind>,
    /// How unknown fields are treated.
    pub validate: ValidateMode,
    /// Unmodelled fields seen: the first place each was found, and how many more.
    unmodelled: BTreeMap<String, (String, usize)>,
}

impl Collector {
    /// Counts an object of an unsupported kind.
    pub fn note_unknown(&mut self, kind: &str, api_version: Option<&str>, file: &Path, line: u32) {
        if let Some(u) = self.unknown.iter_mut().find(|u| u.kind == kind) {
            u.count += 1;
        } else {
            self.unknown.push(UnknownKind {
                kind: kind.to_owned(),
                api_version: api_version.map(str::to_owned),
                count: 1,
                first: format!("{}:{line}", file.display()),
            });
        }
    }

    /// Checks a document (or a List) against the schema of `api_version`/`kind`.
    /// `parse_errors` are the errors deserializing it gave: a wrong shape found at one of
    /// them is the same cause, reported once.
    pub fn check_fields(
        &mut self,
        file: &Path,
        events: &[Event<'_>],
        first_line: u32,
        root: Option<Ref>,
        parse_errors: &[LoadError],
    ) {
        let Some(root) = root.filter(|_| self.validate != ValidateMode::Ignore) else {
            return;
        };
        let mut findings = Vec::new();
        walk::check_events(events, &root, &mut findings);
        for f in findings {
            let line = abs_line(first_line, u64::from(f.line));
            let same_place = parse_errors
                .iter()
                .any(|e| e.location.as_ref().is_some_and(|l| l.line == line));
            let kind = f.kind;
            let e = LoadError::at(file, line, f.column, f.path, f.message);
            match (kind, self.validate) {
                (FindingKind::Unmodelled, _) => {
                    let at = e.to_string();
                    self.unmodelled.entry(e.message).or_insert((at, 0)).1 += 1;
                }
                (FindingKind::Shape, _) if same_place => {}
                (_, ValidateMode::Strict) => self.outcome.errors.push(e),
                _ => self.outcome.warnings.push(e.to_string()),
            }
        }
    }

    /// Keeps a document to read when its stage comes, in its place among the manifests.
    fn set_aside(&mut self, file: &Path, text: String, line: u32) {
        let after = self.outcome.manifests.len();
        self.deferred.push(Deferred {
            file: file.to_path_buf(),
            text,
            line,
            after,
        });
    }

    /// Reads a deferred document: its manifest, or `None` (its errors are collected).
    pub fn read_deferred(&mut self, d: Deferred) -> Option<Located<Manifest>> {
        let before = self.outcome.manifests.len();
        load_document(&d.file, d.text, d.line, self);
        (self.outcome.manifests.len() > before)
            .then(|| self.outcome.manifests.pop())
            .flatten()
    }

    /// Every warning and error found, unmodelled fields and unknown kinds summed up.
    pub fn finish(mut self) -> LoadOutcome {
        for (at, more) in std::mem::take(&mut self.unmodelled).into_values() {
            let others = match more {
                1 => String::new(),
                2 => " (and in 1 more place)".to_owned(),
                n => format!(" (and in {} more places)", n - 1),
            };
            self.outcome.warnings.push(format!("{at}{others}"));
        }
        for u in self.unknown {
            let api = u.api_version.map(|v| format!(" ({v})")).unwrap_or_default();
            let plural = if u.count == 1 { "" } else { "s" };
            self.outcome.warnings.push(format!(
                "{}: unsupported kind `{}`{api} ignored ({} object{plural})",
                u.first, u.kind, u.count
            ));
        }
        self.outcome
    }
}

/// Load every document of every file, dispatching on `kind`.
///
/// Each document is read twice: first for `apiVersion`/`kind` only, then as
/// the typed struct, so error locations and field paths survive. `kind: List`
/// documents are unpacked item by item (paths like `items[3].spec...`).
/// Unknown kinds produce one warning per kind and are skipped. All errors are
/// collected; loading continues with the next document (or List item).
#[cfg(test)]
pub fn load(paths: &[PathBuf], validate: ValidateMode) -> LoadOutcome {
    collect(paths, validate, false, None).finish()
}

/// [`load`] without summing up; with `defer`, Pods and Jobs are left as [`Deferred`] text.
/// `progress` is told the bytes read so far.
pub(super) fn collect(
    paths: &[PathBuf],
    validate: ValidateMode,
    defer: bool,
    progress: Option<LoadProgress<'_>>,
) -> Collector {
    let mut c = Collector {
        validate,
        defer,
        ..Default::default()
    };
    let mut files = Vec::new();
    for p in paths {
        if let Err(e) = expand_one(p, &mut files) {
            c.outcome.errors.push(e);
        }
    }
    let mut reading = Reading {
        progress,
        done: 0,
        total: files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum(),
    };
    for file in &files {
        load_file(file, &mut c, &mut reading);
    }
    // What is read from now on (the deferred documents) is read in full.
    c.defer = false;
    c
}

/// Bytes read so far, for progress.
struct Reading<'a> {
    progress: Option<LoadProgress<'a>>,
    done: u64,
    total: u64,
}

impl Reading<'_> {
    /// `bytes` more were read; reported every megabyte or so.
    fn advance(&mut self, bytes: u64) {
        let before = self.done >> 20;
        self.done += bytes;
        if let Some(p) = self.progress.filter(|_| self.done >> 20 != before) {
            p("reading", self.done.min(self.total), self.total);
        }
    }
}

fn load_file(file: &Path, c: &mut Collector, reading: &mut Reading<'_>) {
    let text = match read_text(file) {
        Ok(t) => t,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    // Each document is copied out, so that the file's text is freed once it is split.
    let text = normalize(&text);
    for (range, first_line) in split_ranges(&text) {
        reading.advance(range.len() as u64);
        load_document(file, &text[range], first_line, c);
    }
}

/// Whether a document is, at a glance, a Pod or Job of a version read (its `kind:` and
/// `apiVersion:` lines at the top level): such documents are set aside unparsed and read when
/// their stage comes. Anything unusual is parsed at once.
fn is_deferred_kind(doc: &str) -> bool {
    let (mut kind, mut api) = (None, None);
    // Usually the first two lines. A document is read in full when its stage comes, so a
    // second `kind:` (a duplicate key) is found then.
    for line in doc.lines() {
        let field = |name: &str| {
            let v = line.strip_prefix(name)?.strip_prefix(':')?;
            let v = v.split(" #").next().unwrap_or("").trim();
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'.')
                .then_some(v)
        };
        if kind.is_none() {
            kind = field("kind");
        }
        if api.is_none() {
            api = field("apiVersion");
        }
        if kind.is_some() && api.is_some() {
            break;
        }
    }
    let Some(known) = kind.and_then(Kind::named) else {
        return false;
    };
    known.stage == Stage::Workloads && matches!(known.check_version(api), Ok(None))
}

/// One document, parsed once: its `kind`, its fields checked, its typed value read from the
/// same events.
fn load_document(file: &Path, text: impl Into<String>, first_line: u32, c: &mut Collector) {
    let text: String = text.into();
    if c.defer && is_deferred_kind(&text) {
        return c.set_aside(file, text, first_line);
    }
    let doc = text.as_str();
    let events = match parse_events(file, doc, first_line) {
        Ok(events) => events,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    let meta: TypeMeta = match read_events(file, &events, first_line, PhantomData) {
        Ok(m) => m,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    let kind = meta.kind.value.as_str();
    let schema = Schema::get();
    if kind == "List" {
        let errors_before = c.outcome.errors.len();
        load_list(file, &events, first_line, c);
        let parse_errors = c.outcome.errors[errors_before..].to_vec();
        let root = schema.kind("v1", "List");
        c.check_fields(file, &events, first_line, root, &parse_errors);
        return;
    }
    let Some(known) = Kind::named(kind) else {
        let api = meta.api_version.as_ref().map(|v| v.value.as_str());
        c.note_unknown(kind, api, file, first_line);
        return;
    };
    let api = meta.api_version.as_ref();
    match known.check_version(api.map(|v| v.value.as_str())) {
        Ok(None) => {}
        Ok(Some(w)) => {
            let (line, col) = api.map_or((first_line, 0), |v| abs_position(first_line, v));
            c.outcome
                .warnings
                .push(format!("{}:{line}:{col}: {w}", file.display()));
        }
        Err(msg) => {
            let (spanned_path, (line, col)) = match api {
                Some(v) => ("apiVersion", abs_position(first_line, v)),
                None => ("kind", abs_position(first_line, &meta.kind)),
            };
            c.outcome
                .errors
                .push(LoadError::at(file, line, col, spanned_path, msg));
            c.outcome.simulation_unreadable |= known.name == "Simulation";
            return;
        }
    }
    if c.defer && known.stage == Stage::Workloads {
        // Written unusually (the glance missed it): read when its stage comes all the same.
        drop(events);
        return c.set_aside(file, text, first_line);
    }
    let result = if known.name == "Simulation" {
        let hints = simulation_template_hints(&events);
        with_template_kind_hints(hints, || {
            read_events(file, &events, first_line, KindSeed(known))
        })
    } else {
        read_events(file, &events, first_line, KindSeed(known))
    };
    let root = match api {
        Some(v) => schema.kind(&v.value, known.name),
        None => schema.kind_any_version(known.name),
    };
    c.check_fields(
        file,
        &events,
        first_line,
        root,
        result
            .as_ref()
            .err()
            .map(std::slice::from_ref)
            .unwrap_or_default(),
    );
    match result {
        Ok(value) => c.outcome.manifests.push(Located {
            value,
            file: file.to_path_buf(),
            line: first_line,
            item: None,
        }),
        Err(e) => {
            c.outcome.simulation_unreadable |= known.name == "Simulation";
            c.outcome.errors.push(e);
        }
    }
}

/// Load the manifest an arrival template path refers to: `rel` is resolved
/// against the directory of `base_file` (the Simulation's file). The file must
/// hold exactly one Pod or Job. Every error in the file is returned; its fields are checked
/// as `validate` says, and the warnings are appended to `warnings`.
pub fn load_template(
    base_file: &Path,
    rel: &str,
    validate: ValidateMode,
    warnings: &mut Vec<String>,
) -> Result<Located<Manifest>, Vec<LoadError>> {
    let path = base_file
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(rel);
    let mut c = Collector {
        validate,
        ..Collector::default()
    };
    if !path.is_file() {
        // Report through the usual open error for a helpful message.
        let text = read_text(&path);
        return Err(vec![match text {
            Err(e) => e,
            Ok(_) => LoadError::in_file(&path, "template path is not a file"),
        }]);
    }
    let mut reading = Reading {
        progress: None,
        done: 0,
        total: 0,
    };
    load_file(&path, &mut c, &mut reading);
    warnings.append(&mut c.outcome.warnings);
    if !c.outcome.errors.is_empty() {
        return Err(c.outcome.errors);
    }
    if let Some(u) = c.unknown.first() {
        return Err(vec![LoadError::in_file(
            &path,
            format!(
                "template must be a Pod or a Job, found kind `{}` ({})",
                u.kind, u.first
            ),
        )]);
    }
    let mut manifests = c.outcome.manifests;
    if manifests.len() != 1 {
        return Err(vec![LoadError::in_file(
            &path,
            format!(
                "template file must hold exactly one Pod or Job, found {} objects",
                manifests.len()
            ),
        )]);
    }
    let located = manifests
        .pop()
        .ok_or_else(|| vec![LoadError::in_file(&path, "template file is empty")])?;
    match located.value {
        Manifest::Pod(_) | Manifest::Job(_) => Ok(located),
        ref other => Err(vec![LoadError::at(
            &path,
            located.line,
            0,
            "kind",
            format!("template must be a Pod or a Job, not `{}`", other.kind()),
        )]),
    }
}

#[cfg(test)]
mod tests {
    use super::super::files::expand_paths;
    use super::super::kubesim::TemplateRef;
    use super::super::testing::write;
    use super::super::yaml::abs_line;
    use super::*;
    use std::fs;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: 500m}}\n";

    #[test]
    fn third_document_error_has_file_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{POD}---\n{POD}---\n# comment\n{}",
            POD.replace("cpu: 500m", "cpu: [1]")
        );
        let f = write(dir.path(), "a.yaml", &text);
        let out = load(std::slice::from_ref(&f), ValidateMode::Strict);
        assert_eq!(out.manifests.len(), 2);
        assert_eq!(out.manifests[1].line, 9);
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        let e = &out.errors[0];
        assert_eq!(e.path, "spec.containers[0].resources.requests.cpu");
        let loc = e.location.as_ref().unwrap();
        // Document 3 starts at line 18 (after `---` and the comment); requests at its line 7.
        assert_eq!(loc.line, 24);
        assert_eq!(loc.column, 33);
        assert!(
            e.to_string()
                .starts_with(&format!("{}:24:33: spec.containers[0]", f.display()))
        );
    }

    #[test]
    fn spanned_lines_are_document_relative() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(dir.path(), "a.yaml", &format!("{POD}---\n{POD}"));
        let out = load(&[f], ValidateMode::Strict);
        let second = &out.manifests[1];
        let Manifest::Pod(pod) = &second.value else {
            panic!()
        };
        let cpu = &pod.spec.containers[0].resources.requests["cpu"];
        assert_eq!(cpu.referenced.line(), 7);
        assert_eq!(abs_line(second.line, cpu.referenced.line()), 15);
    }

    #[test]
    fn list_item_error_has_items_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      ports: [{containerPort: http}]\n- apiVersion: v1\n  kind: Node\n  metadata: {name: n}\nmetadata: {resourceVersion: \"\"}\n";
        let f = write(dir.path(), "list.yaml", text);
        let out = load(&[f], ValidateMode::Strict);
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        let e = &out.errors[0];
        assert_eq!(e.path, "items[1].spec.containers[0].ports[0].containerPort");
        assert_eq!(e.location.as_ref().unwrap().line, 13);
        let kinds: Vec<_> = out.manifests.iter().map(|m| m.value.kind()).collect();
        assert_eq!(kinds, ["Namespace", "Node"]);
    }

    #[test]
    fn list_reports_every_bad_item_and_missing_kind() {
        let text = "kind: List\nitems:\n- kind: Pod\n  spec: {}\n- metadata: {name: x}\n- kind: Pod\n  spec: {containers: 3}\n- kind: Namespace\n";
        let mut c = Collector::default();
        load_document(Path::new("l.yaml"), text, 1, &mut c);
        let paths: Vec<_> = c.outcome.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["items[0].spec", "items[1]", "items[2].spec.containers"],
            "{:?}",
            c.outcome.errors
        );
        assert!(c.outcome.errors[1].message.contains("missing field `kind`"));
        assert_eq!(c.outcome.manifests.len(), 1);
    }

    #[test]
    fn unknown_kind_warned_once() {
        let dir = tempfile::tempdir().unwrap();
        let text = "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: b}\n";
        let f = write(dir.path(), "d.yaml", text);
        let out = load(&[f], ValidateMode::Strict);
        assert!(out.errors.is_empty());
        assert!(out.manifests.is_empty());
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(out.warnings[0].contains("`ControllerRevision`"));
        assert!(out.warnings[0].contains("2 objects"));
    }

    #[test]
    fn missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yaml");
        assert!(expand_paths(std::slice::from_ref(&missing)).is_err());
        let ok = write(dir.path(), "ok.yaml", "kind: Namespace\n");
        let out = load(&[missing.clone(), ok], ValidateMode::Strict);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].file, missing);
        assert!(out.errors[0].to_string().contains("cannot open"));
        assert_eq!(out.manifests.len(), 1);
    }

    #[test]
    fn quantity_given_as_integer() {
        let text = "kind: Node\nmetadata: {name: n}\nstatus:\n  capacity: {cpu: 4, memory: 128974848, pods: 110}\n";
        let mut c = Collector::default();
        load_document(Path::new("n.yaml"), text, 1, &mut c);
        let Manifest::Node(node) = &c.outcome.manifests[0].value else {
            panic!()
        };
        assert_eq!(node.status.capacity["memory"].value.as_str(), "128974848");
        assert_eq!(node.status.capacity["cpu"].value.as_str(), "4");
    }

    const SIM: &str = "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n  duration: 1h\n  timings:\n    podStartup: 2\n    imagePull: lognormal(3s, 1s)\n  arrivals:\n  - template: pods/web.yaml\n    count: 10\n    every: exponential(2s)\n  - template:\n      spec:\n        containers: [{name: c}]\n      kind: Pod\n    count: 1\n    every: 1s\n  - trace: {format: alibaba, path: t.csv}\n";

    #[test]
    fn template_given_as_path() {
        let dir = tempfile::tempdir().unwrap();
        let sim = write(dir.path(), "sim/sim.yaml", SIM);
        write(dir.path(), "sim/pods/web.yaml", &format!("# web\n{POD}"));
        let out = load(std::slice::from_ref(&sim), ValidateMode::Strict);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let Manifest::Simulation(s) = &out.manifests[0].value else {
            panic!()
        };
        assert_eq!(s.spec.timings["podStartup"].value, "2");
        let Some(TemplateRef::Path(rel)) = &s.spec.arrivals[0].template else {
            panic!()
        };
        let t = load_template(&sim, rel, ValidateMode::Strict, &mut Vec::new()).unwrap();
        assert_eq!(t.value.kind(), "Pod");
        assert_eq!(t.line, 2);
        // Inline template with `spec` before `kind` resolved through the first pass.
        let second = &s.spec.arrivals[1].template;
        assert!(matches!(second, Some(TemplateRef::Inline(m)) if m.kind() == "Pod"));
        assert_eq!(
            s.spec.arrivals[2].trace.as_ref().unwrap().format.value,
            "alibaba"
        );
        assert!(
            load_template(
                &sim,
                "pods/missing.yaml",
                ValidateMode::Strict,
                &mut Vec::new()
            )
            .is_err()
        );
        write(dir.path(), "sim/pods/ns.yaml", "kind: Namespace\n");
        assert!(
            load_template(&sim, "pods/ns.yaml", ValidateMode::Strict, &mut Vec::new()).is_err()
        );
        write(dir.path(), "sim/pods/dep.yaml", "kind: Deployment\n");
        assert!(
            load_template(&sim, "pods/dep.yaml", ValidateMode::Strict, &mut Vec::new()).is_err()
        );
    }

    #[test]
    fn simulation_needs_its_api_version() {
        let mut c = Collector::default();
        load_document(
            Path::new("s.yaml"),
            SIM.replace("kubesim.io/v1alpha1", "v1"),
            3,
            &mut c,
        );
        assert_eq!(c.outcome.errors.len(), 1);
        let e = &c.outcome.errors[0];
        assert_eq!(e.path, "apiVersion");
        assert_eq!(e.location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn a_kind_under_a_version_it_is_not_served_under_is_refused() {
        let mut c = Collector::default();
        let pod = POD.replace("apiVersion: v1", "apiVersion: apps/v1");
        load_document(Path::new("p.yaml"), &pod, 1, &mut c);
        assert!(c.outcome.manifests.is_empty());
        let e = &c.outcome.errors[0];
        assert_eq!(
            e.to_string(),
            "p.yaml:1:13: apiVersion: no matches for kind \"Pod\" in version \"apps/v1\" \
             (kubesim reads v1)"
        );
        let mut c = Collector::default();
        let pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: b}\n\
                   spec: {minAvailable: 1}\n";
        load_document(Path::new("b.yaml"), pdb, 1, &mut c);
        assert!(
            c.outcome.errors[0]
                .message
                .contains("in version \"policy/v1beta1\"")
        );
    }

    #[test]
    fn malformed_yaml_reports_position() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "bad.yaml",
            "kind: Namespace\n---\nkind: Pod\nspec:\n  containers: [{name: c}\n",
        );
        let out = load(std::slice::from_ref(&f), ValidateMode::Strict);
        assert_eq!(out.manifests.len(), 1);
        assert_eq!(out.errors.len(), 1);
        let e = &out.errors[0];
        let loc = e.location.as_ref().unwrap();
        assert!(loc.line >= 5, "{e}");
        assert!(loc.column > 0, "{e}");
        assert!(e.to_string().starts_with(&format!(
            "{}:{}:{}: ",
            f.display(),
            loc.line,
            loc.column
        )));
    }

    #[test]
    fn missing_kind_and_non_mapping_documents() {
        let mut c = Collector::default();
        load_document(Path::new("x.yaml"), "metadata: {name: a}\n", 4, &mut c);
        load_document(Path::new("x.yaml"), "- a\n- b\n", 10, &mut c);
        load_document(Path::new("x.yaml"), "hello\n", 20, &mut c);
        let errs = &c.outcome.errors;
        assert_eq!(errs.len(), 3);
        assert!(
            errs[0].message.contains("missing field `kind`"),
            "{}",
            errs[0]
        );
        assert_eq!(errs[0].location.as_ref().unwrap().line, 4);
        assert!(errs[1].message.contains("Kubernetes object"), "{}", errs[1]);
        assert_eq!(errs[1].location.as_ref().unwrap().line, 10);
        assert!(errs[2].message.contains("Kubernetes object"), "{}", errs[2]);
    }

    #[test]
    fn integer_errors_are_explained() {
        let mut c = Collector::default();
        load_document(
            Path::new("x.yaml"),
            "kind: PriorityClass\nvalue: high\n",
            1,
            &mut c,
        );
        assert_eq!(c.outcome.errors[0].path, "value");
        assert!(
            c.outcome.errors[0].message.contains("integer"),
            "{}",
            c.outcome.errors[0]
        );
    }

    #[test]
    fn scheduler_config_other_version_warns() {
        let mut c = Collector::default();
        let text = "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\nprofiles: [{schedulerName: s}]\n";
        load_document(Path::new("k.yaml"), text, 1, &mut c);
        assert_eq!(c.outcome.manifests.len(), 1);
        assert_eq!(c.outcome.warnings.len(), 1);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.yaml");
        fs::write(&f, b"kind: Namespace\nx: \xff\n").unwrap();
        let out = load(&[f], ValidateMode::Strict);
        assert_eq!(out.errors[0].location.as_ref().unwrap().line, 2);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn load_text(text: &str) -> LoadOutcome {
            let mut c = Collector::default();
            for (doc, line) in crate::scenario::files::split_documents(text) {
                load_document(Path::new("p.yaml"), &doc, line, &mut c);
            }
            c.finish()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn arbitrary_bytes_never_panic(
                bytes in proptest::collection::vec(any::<u8>(), 0..400),
            ) {
                let text = String::from_utf8_lossy(&bytes);
                let _ = load_text(&text);
            }

            #[test]
            fn yamlish_text_never_panics(parts in proptest::collection::vec(prop_oneof![
                Just("---\n"), Just("...\n"), Just("kind: List\n"), Just("kind: Pod\n"),
                Just("kind: Job\n"), Just("kind: Simulation\n"),
                Just("apiVersion: kubesim.io/v1alpha1\n"), Just("items:\n"), Just("- "), Just("  "),
                Just("spec:\n"), Just("containers: [{name: c}]\n"), Just("template:\n"),
                Just("arrivals:\n"), Just("duration: 1h\n"), Just("&a "), Just("*a\n"),
                Just("<<: *a\n"), Just("["), Just("]"), Just("{"), Just("}"), Just(": "),
                Just("\n"), Just("#c\n"), Just("%YAML 1.2\n"), Just("\"x"), Just("'"), Just("|\n"),
                Just("!tag "), Just("\t"), Just("cpu: 1.5\n"), Just("\r"),
                "[a-z0-9:]{0,6}".prop_map(|s| Box::leak(s.into_boxed_str()) as &str),
            ], 0..60)) {
                let text: String = parts.concat();
                let out = load_text(&text);
                for e in &out.errors {
                    if let Some(loc) = &e.location {
                        prop_assert!(loc.line >= 1);
                    }
                }
            }
        }
    }
}
