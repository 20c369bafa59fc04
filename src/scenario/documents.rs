//! From files to located, typed documents.
//!
//! [`load`] expands the paths it is given, splits every file into YAML
//! documents, dispatches each document (and each item of a `kind: List`) on
//! its `kind`, and collects every error with its file, line, column and field
//! path instead of stopping at the first one.
//!
//! Line numbers in [`LoadError`] are file lines. Line numbers inside
//! [`raw::Spanned`] leaves are relative to the document: convert them with
//! [`raw::abs_line`] and the [`Located::line`] of the manifest.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde_saphyr::MessageFormatter;

use super::raw::{self, Manifest, Spanned};

/// `apiVersion` of the Simulation document.
pub const SIMULATION_API_VERSION: &str = "kubesim.io/v1alpha1";
/// `apiVersion` of KubeSchedulerConfiguration that kubesim reads.
pub const SCHEDULER_CONFIG_API_VERSION: &str = "kubescheduler.config.k8s.io/v1";

/// Most errors reported for a single `kind: List` document before giving up on it.
const MAX_LIST_ERRORS: usize = 100;
/// Deepest directory recursion in [`expand_paths`] (guards against symlink loops).
const MAX_DIR_DEPTH: usize = 32;

/// Where something is: file, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// File.
    pub file: PathBuf,
    /// 1-based file line.
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
}

/// A loading error: `web.yaml:14:9: spec.template.spec.containers[0].resources.requests.cpu: invalid quantity "1..5"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Position in the file, when known.
    pub location: Option<Location>,
    /// File the error is about.
    pub file: PathBuf,
    /// Field path inside the document (e.g. `items[1].spec.containers[0].name`); may be empty.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    /// An error about a whole file (no position, no field path).
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        LoadError {
            location: None,
            file: file.to_path_buf(),
            path: String::new(),
            message: message.into(),
        }
    }

    /// An error at a file line and column (0 = unknown) with a field path (may be empty).
    pub fn at(
        file: &Path,
        line: u32,
        column: u32,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        LoadError {
            location: (line > 0).then(|| Location {
                file: file.to_path_buf(),
                line,
                column,
            }),
            file: file.to_path_buf(),
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(loc) = &self.location
            && loc.line > 0
        {
            write!(f, ":{}", loc.line)?;
            if loc.column > 0 {
                write!(f, ":{}", loc.column)?;
            }
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LoadError {}

/// A value with the place its document starts.
///
/// `line` is the file line of the document's first line of text; locations in
/// [`raw::Spanned`] leaves of `value` are relative to it (see [`raw::abs_line`]).
/// For items of a `kind: List` it is the List document's first line.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// File it came from.
    pub file: PathBuf,
    /// File line where its document starts.
    pub line: u32,
}

/// Everything [`load`] found: manifests, warnings and all errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadOutcome {
    /// Recognised manifests in file and document order.
    pub manifests: Vec<Located<raw::Manifest>>,
    /// Warnings (one per unsupported kind, apiVersion notes).
    pub warnings: Vec<String>,
    /// Every error encountered.
    pub errors: Vec<LoadError>,
}

// ---------------------------------------------------------------------------
// Paths

/// Expand arguments: files as given; directories -> every `*.yaml` / `*.yml`
/// inside, recursively (hidden entries skipped), sorted by path. Missing path -> [`LoadError`].
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        expand_one(p, &mut out)?;
    }
    Ok(out)
}

fn expand_one(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let meta =
        fs::metadata(path).map_err(|e| LoadError::in_file(path, format!("cannot open: {e}")))?;
    if meta.is_dir() {
        let mut found = Vec::new();
        walk(path, 0, &mut found)?;
        found.sort();
        out.extend(found);
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    if depth > MAX_DIR_DEPTH {
        return Err(LoadError::in_file(
            dir,
            "directories nested too deeply (symlink loop?)",
        ));
    }
    let entries = fs::read_dir(dir)
        .map_err(|e| LoadError::in_file(dir, format!("cannot read directory: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| LoadError::in_file(dir, format!("cannot read directory: {e}")))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let meta = fs::metadata(&path)
            .map_err(|e| LoadError::in_file(&path, format!("cannot open: {e}")))?;
        if meta.is_dir() {
            walk(&path, depth + 1, found)?;
        } else if is_yaml_name(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_yaml_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

// ---------------------------------------------------------------------------
// Splitting

/// Split a YAML stream into documents (text + 1-based first line), on lines
/// that start with `---` (alone or followed by whitespace/comment/content) and
/// `...` document-end lines; empty/comment-only documents are dropped.
///
/// Leading blank, comment and bare `---` lines are trimmed from each document
/// (unless it has `%` directives), so the first line is normally the first
/// line of content. Line breaks are normalised to `\n`.
pub fn split_documents(text: &str) -> Vec<(String, u32)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = Vec::new();
    let mut chunk = Chunk::new(1);
    for (index, line) in split_lines(text).into_iter().enumerate() {
        let number = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
        if is_marker(line, "---") {
            if chunk.open || !chunk.has_directive {
                let done = std::mem::replace(&mut chunk, Chunk::new(number));
                done.finish(&mut docs);
            }
            chunk.lines.push(line);
            chunk.open = true;
        } else if is_marker(line, "...") {
            chunk.lines.push(line);
            let done = std::mem::replace(&mut chunk, Chunk::new(number.saturating_add(1)));
            done.finish(&mut docs);
        } else {
            if !chunk.open && line.starts_with('%') {
                chunk.has_directive = true;
            } else if !is_blank_or_comment(line) {
                chunk.open = true;
            }
            chunk.lines.push(line);
        }
    }
    chunk.finish(&mut docs);
    docs
}

struct Chunk<'a> {
    start: u32,
    lines: Vec<&'a str>,
    open: bool,
    has_directive: bool,
}

impl<'a> Chunk<'a> {
    fn new(start: u32) -> Self {
        Chunk {
            start,
            lines: Vec::new(),
            open: false,
            has_directive: false,
        }
    }

    fn finish(self, docs: &mut Vec<(String, u32)>) {
        let has_content = self.lines.iter().any(|l| {
            !(is_blank_or_comment(l)
                || is_bare_marker(l)
                || is_marker(l, "...")
                || l.starts_with('%'))
        });
        if !has_content {
            return;
        }
        let skip = if self.has_directive {
            0
        } else {
            self.lines
                .iter()
                .take_while(|l| is_blank_or_comment(l) || is_bare_marker(l))
                .count()
        };
        let rest = self.lines.get(skip..).unwrap_or_default();
        let mut text = rest.join("\n");
        text.push('\n');
        let start = self
            .start
            .saturating_add(u32::try_from(skip).unwrap_or(u32::MAX));
        docs.push((text, start));
    }
}

/// Splits on `\n`, `\r\n` and lone `\r` (YAML line breaks).
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') => {
                lines.push(text.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            Some(b'\r') => {
                lines.push(text.get(start..i).unwrap_or_default());
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(text.get(start..).unwrap_or_default());
    }
    lines
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn is_bare_marker(line: &str) -> bool {
    line.strip_prefix("---").is_some_and(|rest| {
        let rest = rest.trim_start_matches([' ', '\t']);
        rest.is_empty() || (rest.starts_with('#') && is_marker(line, "---"))
    })
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t', '\u{feff}']);
    t.is_empty() || t.starts_with('#')
}

// ---------------------------------------------------------------------------
// Parsing one document

fn saphyr_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_documents: 1_000_000,
            max_events: 200_000_000,
            max_nodes: 50_000_000,
            max_total_scalar_bytes: 1 << 30,
        },
    }
}

/// Deserialize one document's text into `T`, mapping errors to [`LoadError`]
/// with the line offset of the document added (so line numbers are those of the file).
pub fn parse_document<T: DeserializeOwned>(
    file: &Path,
    doc: &str,
    first_line: u32,
) -> Result<T, LoadError> {
    parse_with_seed(file, doc, first_line, std::marker::PhantomData::<T>)
}

fn parse_with_seed<'de, S: DeserializeSeed<'de>>(
    file: &Path,
    doc: &'de str,
    first_line: u32,
    seed: S,
) -> Result<S::Value, LoadError> {
    let mut path = String::new();
    let result =
        serde_saphyr::with_deserializer_from_str_with_options(doc, saphyr_options(), |de| {
            let mut track = serde_path_to_error::Track::new();
            let outcome = seed.deserialize(serde_path_to_error::Deserializer::new(de, &mut track));
            if outcome.is_err() {
                path = format_path(&track.path());
            }
            outcome
        });
    result.map_err(|e| convert_error(file, first_line, path, &e))
}

/// Renders a field path like `spec.containers[0].resources.requests.cpu`.
///
/// `Spanned<T>` leaves are deserialized through a synthesized map whose `value`
/// entry shows up as a trailing `value` segment; it is dropped unless the path
/// really ends in one of the plain `value` fields or string maps of `raw`.
fn format_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = path.iter().collect();
    if let Some((Segment::Map { key }, prefix)) = segments.split_last()
        && key == "value"
        && !is_plain_value_field(prefix)
    {
        segments.pop();
    }
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// Whether `<prefix>.value` names a non-`Spanned` field or string-map entry of `raw`.
fn is_plain_value_field(prefix: &[&serde_path_to_error::Segment]) -> bool {
    use serde_path_to_error::Segment;
    let key_is = |seg: Option<&&Segment>, names: &[&str]| matches!(seg, Some(Segment::Map { key }) if names.contains(&key.as_str()));
    match prefix {
        // PriorityClass.value
        [] => true,
        [.., parent]
            if key_is(
                Some(parent),
                &["labels", "annotations", "nodeSelector", "matchLabels"],
            ) =>
        {
            true
        }
        // Taint.value, Toleration.value
        [.., list, Segment::Seq { .. }] => key_is(Some(list), &["taints", "tolerations"]),
        _ => false,
    }
}

fn convert_error(
    file: &Path,
    first_line: u32,
    path: String,
    err: &serde_saphyr::Error,
) -> LoadError {
    let err = err.without_snippet();
    let raw_message = serde_saphyr::UserMessageFormatter.format_message(err);
    let mut message: String = raw_message
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if let Some(hint) = int_error_hint(&message) {
        message.push_str(hint);
    }
    let (line, column) = match err.location() {
        Some(loc) if loc.line() > 0 => (
            raw::abs_line(first_line, loc.line()),
            u32::try_from(loc.column()).unwrap_or(u32::MAX),
        ),
        // Errors raised at the document root carry no position: use the document's start.
        _ => (first_line, 0),
    };
    LoadError::at(file, line, column, path, message)
}

/// Explanation appended to serde-saphyr's terse `invalid i32`-style messages.
fn int_error_hint(message: &str) -> Option<&'static str> {
    match message {
        "invalid i8" | "invalid i16" | "invalid i32" | "invalid i64" => {
            Some(": expected an integer")
        }
        "invalid u8" | "invalid u16" | "invalid u32" | "invalid u64" => {
            Some(": expected a non-negative integer")
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Kind dispatch

/// `apiVersion` + `kind` of a document (first pass).
struct TypeMeta {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KnownKind {
    Simulation,
    Node,
    Pod,
    Job,
    PriorityClass,
    Namespace,
    SchedulerConfig,
    PodDisruptionBudget,
    Service,
    PersistentVolume,
    PersistentVolumeClaim,
    StorageClass,
}

fn known_kind(kind: &str) -> Option<KnownKind> {
    Some(match kind {
        "Simulation" => KnownKind::Simulation,
        "Node" => KnownKind::Node,
        "Pod" => KnownKind::Pod,
        "Job" => KnownKind::Job,
        "PriorityClass" => KnownKind::PriorityClass,
        "Namespace" => KnownKind::Namespace,
        "KubeSchedulerConfiguration" => KnownKind::SchedulerConfig,
        "PodDisruptionBudget" => KnownKind::PodDisruptionBudget,
        "Service" => KnownKind::Service,
        "PersistentVolume" => KnownKind::PersistentVolume,
        "PersistentVolumeClaim" => KnownKind::PersistentVolumeClaim,
        "StorageClass" => KnownKind::StorageClass,
        _ => return None,
    })
}

/// Deserializes the typed manifest of a known kind.
struct KindSeed(KnownKind);

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = Manifest;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Manifest, D::Error> {
        Ok(match self.0 {
            KnownKind::Simulation => {
                Manifest::Simulation(Box::new(raw::Simulation::deserialize(d)?))
            }
            KnownKind::Node => Manifest::Node(Box::new(raw::Node::deserialize(d)?)),
            KnownKind::Pod => Manifest::Pod(Box::new(raw::Pod::deserialize(d)?)),
            KnownKind::Job => Manifest::Job(Box::new(raw::Job::deserialize(d)?)),
            KnownKind::PriorityClass => {
                Manifest::PriorityClass(raw::PriorityClass::deserialize(d)?)
            }
            KnownKind::Namespace => Manifest::Namespace(raw::Namespace::deserialize(d)?),
            KnownKind::PodDisruptionBudget => {
                Manifest::PodDisruptionBudget(Box::new(raw::PodDisruptionBudget::deserialize(d)?))
            }
            KnownKind::Service => Manifest::Service(Box::new(raw::Service::deserialize(d)?)),
            KnownKind::SchedulerConfig => Manifest::KubeSchedulerConfiguration(Box::new(
                raw::KubeSchedulerConfiguration::deserialize(d)?,
            )),
            KnownKind::PersistentVolume => {
                Manifest::PersistentVolume(Box::new(raw::PersistentVolume::deserialize(d)?))
            }
            KnownKind::PersistentVolumeClaim => Manifest::PersistentVolumeClaim(Box::new(
                raw::PersistentVolumeClaim::deserialize(d)?,
            )),
            KnownKind::StorageClass => {
                Manifest::StorageClass(Box::new(raw::StorageClass::deserialize(d)?))
            }
        })
    }
}

/// Result of checking a document's `apiVersion` against its kind.
enum ApiVersionCheck {
    Ok,
    Warn(String),
    Error(String),
}

fn check_api_version(kind: KnownKind, api_version: Option<&str>) -> ApiVersionCheck {
    match (kind, api_version) {
        (KnownKind::Simulation, Some(SIMULATION_API_VERSION)) => ApiVersionCheck::Ok,
        (KnownKind::Simulation, Some(other)) => ApiVersionCheck::Error(format!(
            "unsupported apiVersion `{other}` for kind Simulation (expected {SIMULATION_API_VERSION})"
        )),
        (KnownKind::Simulation, None) => ApiVersionCheck::Error(format!(
            "kind Simulation needs `apiVersion: {SIMULATION_API_VERSION}`"
        )),
        (KnownKind::SchedulerConfig, Some(v)) if v != SCHEDULER_CONFIG_API_VERSION => {
            ApiVersionCheck::Warn(format!(
                "KubeSchedulerConfiguration apiVersion `{v}` is not {SCHEDULER_CONFIG_API_VERSION}; reading it as {SCHEDULER_CONFIG_API_VERSION}"
            ))
        }
        _ => ApiVersionCheck::Ok,
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
struct Collector {
    outcome: LoadOutcome,
    unknown: Vec<UnknownKind>,
}

impl Collector {
    fn note_unknown(&mut self, kind: &str, api_version: Option<&str>, file: &Path, line: u32) {
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

    fn finish(mut self) -> LoadOutcome {
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
pub fn load(paths: &[PathBuf]) -> LoadOutcome {
    let mut c = Collector::default();
    let mut files = Vec::new();
    for p in paths {
        if let Err(e) = expand_one(p, &mut files) {
            c.outcome.errors.push(e);
        }
    }
    for file in &files {
        load_file(file, &mut c);
    }
    c.finish()
}

fn read_text(file: &Path) -> Result<String, LoadError> {
    let bytes =
        fs::read(file).map_err(|e| LoadError::in_file(file, format!("cannot open: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .unwrap_or_default();
        let line = valid
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            .saturating_add(1);
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        LoadError::at(file, line, 0, "", "file is not valid UTF-8")
    })
}

fn load_file(file: &Path, c: &mut Collector) {
    let text = match read_text(file) {
        Ok(t) => t,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    for (doc, first_line) in split_documents(&text) {
        load_document(file, &doc, first_line, c);
    }
}

fn load_document(file: &Path, doc: &str, first_line: u32, c: &mut Collector) {
    let meta: TypeMeta = match parse_document(file, doc, first_line) {
        Ok(m) => m,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    let kind = meta.kind.value.as_str();
    if kind == "List" {
        load_list(file, doc, first_line, c);
        return;
    }
    let Some(known) = known_kind(kind) else {
        let api = meta.api_version.as_ref().map(|v| v.value.as_str());
        c.note_unknown(kind, api, file, first_line);
        return;
    };
    let api = meta.api_version.as_ref();
    match check_api_version(known, api.map(|v| v.value.as_str())) {
        ApiVersionCheck::Ok => {}
        ApiVersionCheck::Warn(w) => {
            let (line, col) = api.map_or((first_line, 0), |v| raw::abs_position(first_line, v));
            c.outcome
                .warnings
                .push(format!("{}:{line}:{col}: {w}", file.display()));
        }
        ApiVersionCheck::Error(msg) => {
            let (spanned_path, (line, col)) = match api {
                Some(v) => ("apiVersion", raw::abs_position(first_line, v)),
                None => ("kind", raw::abs_position(first_line, &meta.kind)),
            };
            c.outcome
                .errors
                .push(LoadError::at(file, line, col, spanned_path, msg));
            return;
        }
    }
    let result = if known == KnownKind::Simulation {
        let hints = simulation_template_hints(doc);
        raw::with_template_kind_hints(hints, || {
            parse_with_seed(file, doc, first_line, KindSeed(known))
        })
    } else {
        parse_with_seed(file, doc, first_line, KindSeed(known))
    };
    match result {
        Ok(value) => c.outcome.manifests.push(Located {
            value,
            file: file.to_path_buf(),
            line: first_line,
        }),
        Err(e) => c.outcome.errors.push(e),
    }
}

// ---------------------------------------------------------------------------
// Lenient probes (never fail on well-formed YAML)

/// `kind`/`apiVersion` of a value if it is a mapping with string values for them.
#[derive(Default)]
struct KindProbe {
    kind: Option<String>,
    api_version: Option<String>,
}

/// A scalar's text if it is a string; anything else is consumed and ignored.
struct LenientStr(Option<String>);

macro_rules! ignore_other_visits {
    ($ret:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_seq(seq).map(|_| $ret)
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_enum(data).map(|_| $ret)
        }
    };
}

impl<'de> Deserialize<'de> for LenientStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientStr, E> {
                Ok(LenientStr(Some(v.to_owned())))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientStr, D::Error> {
                LenientStr::deserialize(d)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<LenientStr, D::Error> {
                LenientStr::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientStr, A::Error> {
                IgnoredAny.visit_map(map).map(|_| LenientStr(None))
            }
            ignore_other_visits!(LenientStr(None));
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for KindProbe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KindProbe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<KindProbe, E> {
                Ok(KindProbe::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<KindProbe, D::Error> {
                KindProbe::deserialize(d)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<KindProbe, D::Error> {
                KindProbe::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindProbe, A::Error> {
                let mut probe = KindProbe::default();
                while let Some(LenientStr(key)) = map.next_key()? {
                    match key.as_deref() {
                        Some("kind") => probe.kind = map.next_value::<LenientStr>()?.0,
                        Some("apiVersion") => probe.api_version = map.next_value::<LenientStr>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(probe)
            }
            ignore_other_visits!(KindProbe::default());
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListProbe {
    items: Vec<Spanned<KindProbe>>,
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
fn simulation_template_hints(doc: &str) -> Vec<Option<String>> {
    let probe: Result<SimulationProbe, _> =
        serde_saphyr::from_str_with_options(doc, saphyr_options());
    probe
        .ok()
        .and_then(|p| p.spec)
        .and_then(|s| s.arrivals)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.template.map(|t| t.kind))
        .collect()
}

// ---------------------------------------------------------------------------
// kind: List

#[derive(Clone, Copy)]
enum ItemPlan {
    Skip,
    Strict,
    Kind(KnownKind),
}

struct ListSeed<'a> {
    plans: &'a [ItemPlan],
    current: &'a Cell<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Vec<Manifest>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Vec<Manifest>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a List object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                items = map.next_value_seed(ItemsSeed {
                    plans: self.plans,
                    current: self.current,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items)
    }
}

struct ItemsSeed<'a> {
    plans: &'a [ItemPlan],
    current: &'a Cell<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<Manifest>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Vec<Manifest>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut index = 0usize;
        loop {
            self.current.set(Some(index));
            let plan = self.plans.get(index).copied().unwrap_or(ItemPlan::Skip);
            match seq.next_element_seed(ItemSeed(plan))? {
                Some(Some(m)) => out.push(m),
                Some(None) => {}
                None => break,
            }
            index += 1;
        }
        self.current.set(None);
        Ok(out)
    }
}

struct ItemSeed(ItemPlan);

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<Manifest>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            ItemPlan::Skip => IgnoredAny::deserialize(d).map(|_| None),
            ItemPlan::Kind(k) => KindSeed(k).deserialize(d).map(Some),
            ItemPlan::Strict => {
                TypeMeta::deserialize(d)?;
                Err(de::Error::missing_field("kind"))
            }
        }
    }
}

fn load_list(file: &Path, doc: &str, first_line: u32, c: &mut Collector) {
    let probe: ListProbe = match parse_document(file, doc, first_line) {
        Ok(p) => p,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    let mut plans = Vec::with_capacity(probe.items.len());
    for (index, item) in probe.items.iter().enumerate() {
        let item_line = raw::abs_line(first_line, item.referenced.line());
        let plan = match item.value.kind.as_deref() {
            None => ItemPlan::Strict,
            Some(kind) => match known_kind(kind) {
                None => {
                    c.note_unknown(kind, item.value.api_version.as_deref(), file, item_line);
                    ItemPlan::Skip
                }
                Some(k) => match check_api_version(k, item.value.api_version.as_deref()) {
                    ApiVersionCheck::Ok => ItemPlan::Kind(k),
                    ApiVersionCheck::Warn(w) => {
                        c.outcome.warnings.push(format!(
                            "{}:{item_line}: items[{index}]: {w}",
                            file.display()
                        ));
                        ItemPlan::Kind(k)
                    }
                    ApiVersionCheck::Error(msg) => {
                        let column = u32::try_from(item.referenced.column()).unwrap_or(u32::MAX);
                        let path = format!("items[{index}].apiVersion");
                        c.outcome
                            .errors
                            .push(LoadError::at(file, item_line, column, path, msg));
                        ItemPlan::Skip
                    }
                },
            },
        };
        plans.push(plan);
    }
    // Deserialize all items; when one fails, record the error, skip that item and retry.
    let mut reported: Vec<LoadError> = Vec::new();
    let mut skipped = BTreeSet::new();
    loop {
        let current = Cell::new(None);
        let seed = ListSeed {
            plans: &plans,
            current: &current,
        };
        match parse_with_seed(file, doc, first_line, seed) {
            Ok(items) => {
                c.outcome
                    .manifests
                    .extend(items.into_iter().map(|value| Located {
                        value,
                        file: file.to_path_buf(),
                        line: first_line,
                    }));
                break;
            }
            Err(e) => {
                if !reported.contains(&e) {
                    reported.push(e);
                }
                match current.get() {
                    Some(i)
                        if i < plans.len()
                            && skipped.insert(i)
                            && reported.len() < MAX_LIST_ERRORS =>
                    {
                        if let Some(p) = plans.get_mut(i) {
                            *p = ItemPlan::Skip;
                        }
                    }
                    _ => break,
                }
            }
        }
    }
    c.outcome.errors.extend(reported);
}

// ---------------------------------------------------------------------------
// Templates given as paths

/// Load the manifest an arrival template path refers to: `rel` is resolved
/// against the directory of `base_file` (the Simulation's file). The file must
/// hold exactly one Pod or Job. Every error in the file is returned.
pub fn load_template(
    base_file: &Path,
    rel: &str,
) -> Result<Located<raw::Manifest>, Vec<LoadError>> {
    let path = base_file
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(rel);
    let mut c = Collector::default();
    if !path.is_file() {
        // Report through the usual open error for a helpful message.
        let text = read_text(&path);
        return Err(vec![match text {
            Err(e) => e,
            Ok(_) => LoadError::in_file(&path, "template path is not a file"),
        }]);
    }
    load_file(&path, &mut c);
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
    use super::*;
    use raw::TemplateRef;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: 500m}}\n";

    #[test]
    fn split_basic_stream() {
        let docs =
            split_documents("# c\n---\na: 1\n---\n# only comment\n--- # x\nb: 2\n...\n---\n\n");
        assert_eq!(
            docs,
            vec![("a: 1\n".to_string(), 3), ("b: 2\n...\n".to_string(), 7)]
        );
    }

    #[test]
    fn split_keeps_marker_with_content_and_directives() {
        let docs = split_documents(
            "%YAML 1.2\n---\na: 1\n--- |\n  text\n...\n%TAG ! tag:x,2000:\n--- !foo\nk: v\n",
        );
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], ("%YAML 1.2\n---\na: 1\n".to_string(), 1));
        assert_eq!(docs[1], ("--- |\n  text\n...\n".to_string(), 4));
        assert_eq!(docs[2].1, 7);
    }

    #[test]
    fn split_handles_crlf_cr_and_bom() {
        let docs = split_documents("\u{feff}a: 1\r\n---\r\nb: 2\rc: 3\r");
        assert_eq!(
            docs,
            vec![("a: 1\n".to_string(), 1), ("b: 2\nc: 3\n".to_string(), 3)]
        );
    }

    #[test]
    fn split_does_not_split_on_longer_dashes() {
        let docs = split_documents("a: |\n  x\n----\n");
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn load_error_display() {
        let e = LoadError::at(Path::new("web.yaml"), 14, 9, "spec.x", "bad");
        assert_eq!(e.to_string(), "web.yaml:14:9: spec.x: bad");
        let e = LoadError::at(Path::new("web.yaml"), 14, 0, "", "bad");
        assert_eq!(e.to_string(), "web.yaml:14: bad");
        assert_eq!(LoadError::in_file(Path::new("a"), "m").to_string(), "a: m");
    }

    #[test]
    fn third_document_error_has_file_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{POD}---\n{POD}---\n# comment\n{}",
            POD.replace("cpu: 500m", "cpu: [1]")
        );
        let f = write(dir.path(), "a.yaml", &text);
        let out = load(std::slice::from_ref(&f));
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
        let out = load(&[f]);
        let second = &out.manifests[1];
        let Manifest::Pod(pod) = &second.value else {
            panic!()
        };
        let cpu = &pod.spec.containers[0].resources.requests["cpu"];
        assert_eq!(cpu.referenced.line(), 7);
        assert_eq!(raw::abs_line(second.line, cpu.referenced.line()), 15);
    }

    #[test]
    fn list_item_error_has_items_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      ports: [{containerPort: http}]\n- apiVersion: v1\n  kind: Node\n  metadata: {name: n}\nmetadata: {resourceVersion: \"\"}\n";
        let f = write(dir.path(), "list.yaml", text);
        let out = load(&[f]);
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
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n";
        let f = write(dir.path(), "d.yaml", text);
        let out = load(&[f]);
        assert!(out.errors.is_empty());
        assert!(out.manifests.is_empty());
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(out.warnings[0].contains("`Deployment`"));
        assert!(out.warnings[0].contains("2 objects"));
    }

    #[test]
    fn directory_expansion_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.yaml", "kind: Namespace\n");
        write(dir.path(), "a/z.yml", "kind: Namespace\n");
        write(dir.path(), "a/y.YAML", "kind: Namespace\n");
        write(dir.path(), "c.txt", "nope");
        write(dir.path(), ".hidden/x.yaml", "kind: Namespace\n");
        let single = write(dir.path(), "other.json", "{}");
        let got = expand_paths(&[dir.path().to_path_buf(), single.clone()]).unwrap();
        let rel: Vec<_> = got
            .iter()
            .map(|p| {
                p.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(rel, ["a/y.YAML", "a/z.yml", "b.yaml", "other.json"]);
    }

    #[test]
    fn missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yaml");
        assert!(expand_paths(std::slice::from_ref(&missing)).is_err());
        let ok = write(dir.path(), "ok.yaml", "kind: Namespace\n");
        let out = load(&[missing.clone(), ok]);
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
        let out = load(std::slice::from_ref(&sim));
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let Manifest::Simulation(s) = &out.manifests[0].value else {
            panic!()
        };
        assert_eq!(s.spec.timings["podStartup"].value, "2");
        let Some(TemplateRef::Path(rel)) = &s.spec.arrivals[0].template else {
            panic!()
        };
        let t = load_template(&sim, rel).unwrap();
        assert_eq!(t.value.kind(), "Pod");
        assert_eq!(t.line, 2);
        // Inline template with `spec` before `kind` resolved through the first pass.
        assert!(
            matches!(&s.spec.arrivals[1].template, Some(TemplateRef::Inline(m)) if m.kind() == "Pod")
        );
        assert_eq!(
            s.spec.arrivals[2].trace.as_ref().unwrap().format.value,
            "alibaba"
        );
        assert!(load_template(&sim, "pods/missing.yaml").is_err());
        write(dir.path(), "sim/pods/ns.yaml", "kind: Namespace\n");
        assert!(load_template(&sim, "pods/ns.yaml").is_err());
        write(dir.path(), "sim/pods/dep.yaml", "kind: Deployment\n");
        assert!(load_template(&sim, "pods/dep.yaml").is_err());
    }

    #[test]
    fn simulation_needs_its_api_version() {
        let mut c = Collector::default();
        load_document(
            Path::new("s.yaml"),
            &SIM.replace("kubesim.io/v1alpha1", "v1"),
            3,
            &mut c,
        );
        assert_eq!(c.outcome.errors.len(), 1);
        let e = &c.outcome.errors[0];
        assert_eq!(e.path, "apiVersion");
        assert_eq!(e.location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn malformed_yaml_reports_position() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "bad.yaml",
            "kind: Namespace\n---\nkind: Pod\nspec:\n  containers: [{name: c}\n",
        );
        let out = load(std::slice::from_ref(&f));
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
        let out = load(&[f]);
        assert_eq!(out.errors[0].location.as_ref().unwrap().line, 2);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn load_text(text: &str) -> LoadOutcome {
            let mut c = Collector::default();
            for (doc, line) in split_documents(text) {
                load_document(Path::new("p.yaml"), &doc, line, &mut c);
            }
            c.finish()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                let text = String::from_utf8_lossy(&bytes);
                let _ = load_text(&text);
            }

            #[test]
            fn yamlish_text_never_panics(parts in proptest::collection::vec(prop_oneof![
                Just("---\n"), Just("...\n"), Just("kind: List\n"), Just("kind: Pod\n"), Just("kind: Job\n"),
                Just("kind: Simulation\n"), Just("apiVersion: kubesim.io/v1alpha1\n"), Just("items:\n"),
                Just("- "), Just("  "), Just("spec:\n"), Just("containers: [{name: c}]\n"), Just("template:\n"),
                Just("arrivals:\n"), Just("duration: 1h\n"), Just("&a "), Just("*a\n"), Just("<<: *a\n"),
                Just("["), Just("]"), Just("{"), Just("}"), Just(": "), Just("\n"), Just("#c\n"), Just("%YAML 1.2\n"),
                Just("\"x"), Just("'"), Just("|\n"), Just("!tag "), Just("\t"), Just("cpu: 1.5\n"), Just("\r"),
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
