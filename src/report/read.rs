//! Reads a finished run back from its files: `summary.json`, `pods.csv`, `events.csv`,
//! `metrics.csv` and `scenario.resolved.txt`. Nothing else goes into the plots and the report,
//! so `kubesim plot` redraws exactly what the run drew.
//!
//! Every file is checked against the SHA-256 that `summary.json` recorded for it, so a
//! truncated or edited file is named rather than plotted.

use crate::output::{EVENTS_HEADER, METRICS_HEADER, PODS_HEADER, hex};
use rustc_hash::FxHashMap;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a run could not be read: the file, the line when one is to blame, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    /// The file.
    pub file: PathBuf,
    /// Its 1-based line.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// One row of `pods.csv`, the columns the plots use.
#[derive(Clone, Debug, PartialEq)]
pub struct PodRecord {
    /// `namespace/name`.
    pub key: String,
    /// `Kind/name` of the controller, or empty.
    pub owner: String,
    /// The node it was bound to, or empty.
    pub node: String,
    /// Created, bound, started, finished and deleted, in seconds.
    pub created: f64,
    /// Bound.
    pub scheduled: Option<f64>,
    /// First container started.
    pub started: Option<f64>,
    /// Succeeded or Failed.
    pub finished: Option<f64>,
    /// Deleted.
    pub deleted: Option<f64>,
    /// Last phase.
    pub phase: String,
    /// Priority.
    pub priority: i64,
}

/// One Event row.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    /// Seconds.
    pub time: f64,
    /// `Normal` or `Warning`.
    pub kind: String,
    /// Reason.
    pub reason: String,
    /// `Kind/namespace/name`.
    pub object: String,
    /// Message.
    pub message: String,
}

/// What the report keeps of `events.csv`: counts, the first few of each reason, and the
/// Events the plots draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Events {
    /// Rows read.
    pub total: u64,
    /// Per (type, reason): the count and the first [`FIRST_EVENTS`] Events, in first-seen
    /// order.
    pub by_reason: Vec<ReasonEvents>,
    /// FailedScheduling Events: time and message.
    pub failed_scheduling: Vec<(f64, String)>,
    /// Pod disruptions to mark: time, pod (`namespace/name`), reason.
    pub disruptions: Vec<(f64, String, String)>,
}

/// Events of one reason.
#[derive(Clone, Debug, PartialEq)]
pub struct ReasonEvents {
    /// `Normal` or `Warning`.
    pub kind: String,
    /// Reason.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The first few.
    pub first: Vec<EventRecord>,
}

/// How many Events of each reason the report shows.
pub const FIRST_EVENTS: usize = 3;

/// Reasons marked on the Gantt chart: the pod was taken off its node.
pub const DISRUPTION_REASONS: &[&str] = &["Preempted", "Evicted", "TaintManagerEviction"];

/// A metric series: (time, value) in file order.
pub type SeriesPoints = Vec<(f64, f64)>;

/// The series of `metrics.csv` by object, then metric, in first-seen order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Objects in first-seen order, each with its metrics in first-seen order.
    pub objects: Vec<(String, Vec<(String, SeriesPoints)>)>,
    /// Where each object is in `objects` (looked up, never iterated).
    index: FxHashMap<String, usize>,
}

impl Metrics {
    /// Adds a point to `metric` of `object`.
    pub fn push(&mut self, object: &str, metric: &str, point: (f64, f64)) {
        let o = match self.index.get(object) {
            Some(&o) => o,
            None => {
                self.objects.push((object.to_string(), Vec::new()));
                self.index
                    .insert(object.to_string(), self.objects.len() - 1);
                self.objects.len() - 1
            }
        };
        let series = &mut self.objects[o].1;
        match series.iter_mut().find(|(m, _)| m == metric) {
            Some((_, points)) => points.push(point),
            None => series.push((metric.to_string(), vec![point])),
        }
    }

    /// The series `metric` of `object`, if written.
    pub fn series(&self, object: &str, metric: &str) -> Option<&SeriesPoints> {
        let (_, metrics) = &self.objects[*self.index.get(object)?];
        metrics.iter().find(|(m, _)| m == metric).map(|(_, p)| p)
    }

    /// Objects whose name starts with `prefix` (e.g. `nodepool/`), in first-seen order.
    pub fn objects_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a (String, Vec<(String, SeriesPoints)>)> + 'a {
        self.objects
            .iter()
            .filter(move |(o, _)| o.starts_with(prefix))
    }
}

/// A finished run, as its files hold it.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// `summary.json`.
    pub summary: Value,
    /// `scenario.resolved.txt`.
    pub resolved: String,
    /// `pods.csv`.
    pub pods: Vec<PodRecord>,
    /// `events.csv`.
    pub events: Events,
    /// `metrics.csv`.
    pub metrics: Metrics,
}

impl Run {
    /// Simulated seconds.
    pub fn simulated(&self) -> f64 {
        self.summary["simulated_seconds"].as_f64().unwrap_or(0.0)
    }

    /// Where time axes end: the run's end, or soon after it went quiet when that was early
    /// (nothing changes after; a week-long axis would squeeze the minutes that matter).
    pub fn duration(&self) -> f64 {
        let end = self.simulated();
        match self.quiet_from() {
            Some(q) if q < end * 0.6 => (q + (q * 0.25).max(60.0)).min(end),
            _ => end,
        }
    }

    /// ` (a 10% sample: 3 of 48 pods)` when pods.csv holds a sample, else nothing: for the
    /// titles of plots drawn from it.
    pub fn sample_title(&self) -> String {
        match self.summary["output"]["pods"].as_str() {
            Some(p) if p != "all" => format!(
                " (a {p} sample: {} of {} pods)",
                self.pods.len(),
                self.summary["pods"]["created"]
            ),
            _ => String::new(),
        }
    }

    /// A sentence saying pods.csv holds a sample, or nothing.
    pub fn sample_note(&self) -> String {
        match self.summary["output"]["pods"].as_str() {
            Some(p) if p != "all" => {
                format!(" Drawn from the {p} sample of pods written to pods.csv.")
            }
            _ => String::new(),
        }
    }

    /// When the run went quiet, if it did.
    pub fn quiet_from(&self) -> Option<f64> {
        self.summary["quiet_from_s"].as_f64()
    }

    /// Timeline actions and faults: time and what.
    pub fn markers(&self) -> Vec<(f64, String)> {
        let Some(list) = self.summary["timeline"].as_array() else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|m| {
                let t = m["time_s"].as_f64()?;
                let what = m["action"].as_str().or(m["fault"].as_str())?;
                Some((t, what.to_string()))
            })
            .collect()
    }
}

/// Whether a run's files are checked against the SHA-256 its summary recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Every CSV file (`kubesim plot`: the files may have changed since).
    Hashes,
    /// None: the files were just written by this process, and hashed then (`kubesim run`).
    JustWritten,
}

/// Reads the run in `dir`.
pub fn read_run(dir: &Path, check: Check) -> Result<Run, ReadError> {
    let summary_path = dir.join("summary.json");
    let text = read_file(&summary_path, dir)?;
    let summary: Value = serde_json::from_str(&text).map_err(|e| ReadError {
        file: summary_path.clone(),
        line: Some(e.line() as u64),
        message: format!("not valid JSON: {e}"),
    })?;
    if summary["output_sha256"].as_str().is_none() {
        return Err(ReadError {
            file: summary_path,
            line: None,
            message: "has no output_sha256: not the summary of a kubesim run".into(),
        });
    }
    let resolved_path = dir.join("scenario.resolved.txt");
    let resolved = read_file(&resolved_path, dir)?;
    let summary_to_check = (check == Check::Hashes).then_some(&summary);
    let pods = read_csv(dir, summary_to_check, "pods.csv", read_pods)?;
    let events = read_csv(dir, summary_to_check, "events.csv", read_events)?;
    let metrics = read_csv(dir, summary_to_check, "metrics.csv", read_metrics)?;
    Ok(Run {
        summary,
        resolved,
        pods,
        events,
        metrics,
    })
}

fn io_error(path: &Path, dir: &Path, e: std::io::Error) -> ReadError {
    let message = if e.kind() == std::io::ErrorKind::NotFound {
        if dir.join("summary.json").exists() {
            "is missing from the run directory".to_string()
        } else {
            format!(
                "not found: {} is not the output directory of a kubesim run",
                dir.display()
            )
        }
    } else {
        e.to_string()
    };
    ReadError {
        file: path.to_path_buf(),
        line: None,
        message,
    }
}

fn read_file(path: &Path, dir: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, dir, e))
}

/// A file's bytes as they are read, hashed on the way when a hash is wanted.
struct Hashed<R> {
    inner: R,
    hash: Option<Sha256>,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hash {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The CSV reader `parse` is given over one of the run's files.
type CsvReader = csv::Reader<Hashed<File>>;

/// Reads `name` in `dir` with `parse`, streaming, then, given the summary, checks the file
/// is the one the run wrote (a parse error in a changed file is reported as the change).
fn read_csv<T>(
    dir: &Path,
    summary: Option<&Value>,
    name: &str,
    parse: fn(&Path, &mut CsvReader) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    let path = dir.join(name);
    let file = File::open(&path).map_err(|e| io_error(&path, dir, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 16)
        .from_reader(Hashed {
            inner: file,
            hash: summary.map(|_| Sha256::new()),
        });
    let parsed = parse(&path, &mut reader);
    let Some(summary) = summary else {
        return parsed;
    };
    // Hash what was not read (after an error) so a changed file is named as changed.
    let mut rest = reader.into_inner();
    let drained = std::io::copy(&mut rest, &mut std::io::sink());
    let hash = rest.hash.take().unwrap_or_default();
    let digest = check_digest(summary, name, &path, hash.finalize().into());
    match (parsed, drained) {
        (Ok(v), Ok(_)) => digest.map(|()| v),
        (_, Err(e)) => Err(io_error(&path, dir, e)),
        (Err(mut e), _) => {
            if digest.is_err() {
                e.message
                    .push_str("; the file is not the one the run wrote (its SHA-256 differs)");
            }
            Err(e)
        }
    }
}

/// Refuses a file whose SHA-256 is not the one the run recorded.
fn check_digest(
    summary: &Value,
    name: &str,
    path: &Path,
    digest: [u8; 32],
) -> Result<(), ReadError> {
    let Some(recorded) = summary["files"][name].as_str() else {
        return Err(ReadError {
            file: path.to_path_buf(),
            line: None,
            message: "summary.json records no SHA-256 for it (a run of an older kubesim, or \
                      an edited summary): run the scenario again to plot it"
                .into(),
        });
    };
    let actual = hex(&digest);
    if actual != recorded {
        return Err(ReadError {
            file: path.to_path_buf(),
            line: None,
            message: format!(
                "was changed after the run (its SHA-256 is {}…, summary.json recorded {}…); \
                 run the scenario again to plot it",
                &actual[..12],
                &recorded[..recorded.len().min(12)]
            ),
        });
    }
    Ok(())
}

/// Checks the header starts with `header`.
fn check_header(path: &Path, r: &mut CsvReader, header: &str) -> Result<(), ReadError> {
    let found = r.byte_headers().map_err(|e| csv_error(path, e))?;
    if found.is_empty() {
        return Err(ReadError {
            file: path.to_path_buf(),
            line: None,
            message: format!("is empty; a run writes at least its header {header:?}"),
        });
    }
    let expected: Vec<&str> = header.split(',').collect();
    let ok = found.len() >= expected.len()
        && expected
            .iter()
            .zip(found.iter())
            .all(|(e, f)| e.as_bytes() == f);
    if !ok {
        return Err(ReadError {
            file: path.to_path_buf(),
            line: Some(1),
            message: format!("expected the header {header:?}"),
        });
    }
    Ok(())
}

/// A CSV reader's error, in the words of the other errors: file, line, what is wrong.
pub fn csv_error(path: &Path, e: csv::Error) -> ReadError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} columns, found {len} (is the file truncated?)"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        _ => e.to_string(),
    };
    ReadError {
        file: path.to_path_buf(),
        line,
        message,
    }
}

/// Reads one field of a row, naming the column when it is not what it should be.
struct Row<'a> {
    path: &'a Path,
    record: &'a csv::ByteRecord,
    columns: &'a [&'a str],
}

impl Row<'_> {
    fn err(&self, i: usize, expected: &str) -> ReadError {
        let got = String::from_utf8_lossy(self.record.get(i).unwrap_or_default());
        ReadError {
            file: self.path.to_path_buf(),
            line: self.record.position().map(|p| p.line()),
            message: format!(
                "column {}: expected {expected}, got {got:?}",
                self.columns[i]
            ),
        }
    }

    fn text(&self, i: usize) -> Result<&str, ReadError> {
        std::str::from_utf8(self.record.get(i).unwrap_or_default())
            .map_err(|_| self.err(i, "UTF-8 text"))
    }

    fn number(&self, i: usize) -> Result<f64, ReadError> {
        self.text(i)?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.err(i, "a number"))
    }

    fn time(&self, i: usize) -> Result<Option<f64>, ReadError> {
        if self.record.get(i).is_some_and(|f| f.is_empty()) {
            return Ok(None);
        }
        self.number(i).map(Some)
    }
}

/// Checks the header, then hands every row to `f`.
fn each_row(
    path: &Path,
    r: &mut CsvReader,
    header: &str,
    mut f: impl FnMut(&Row) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let columns: Vec<&str> = header.split(',').collect();
    check_header(path, r, header)?;
    let mut record = csv::ByteRecord::new();
    while r
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        f(&Row {
            path,
            record: &record,
            columns: &columns,
        })?;
    }
    Ok(())
}

fn read_pods(path: &Path, r: &mut CsvReader) -> Result<Vec<PodRecord>, ReadError> {
    let mut pods = Vec::new();
    each_row(path, r, PODS_HEADER, |row| {
        pods.push(PodRecord {
            key: format!("{}/{}", row.text(0)?, row.text(1)?),
            owner: row.text(2)?.to_string(),
            node: row.text(3)?.to_string(),
            phase: row.text(4)?.to_string(),
            created: row.number(5)?,
            scheduled: row.time(6)?,
            started: row.time(7)?,
            finished: row.time(9)?,
            deleted: row.time(10)?,
            priority: row.number(15)? as i64,
        });
        Ok(())
    })?;
    Ok(pods)
}

fn read_events(path: &Path, r: &mut CsvReader) -> Result<Events, ReadError> {
    let mut events = Events::default();
    each_row(path, r, EVENTS_HEADER, |row| {
        let time = row.number(0)?;
        let (kind, reason) = (row.text(1)?, row.text(2)?);
        events.total += 1;
        // Reasons are few: a search beats a map keyed by new strings per row.
        let found = events
            .by_reason
            .iter()
            .position(|g| g.reason == reason && g.kind == kind);
        let i = found.unwrap_or_else(|| {
            events.by_reason.push(ReasonEvents {
                kind: kind.to_string(),
                reason: reason.to_string(),
                count: 0,
                first: Vec::new(),
            });
            events.by_reason.len() - 1
        });
        let group = &mut events.by_reason[i];
        group.count += 1;
        if group.first.len() < FIRST_EVENTS {
            group.first.push(EventRecord {
                time,
                kind: kind.to_string(),
                reason: reason.to_string(),
                object: row.text(3)?.to_string(),
                message: row.text(4)?.to_string(),
            });
        }
        if reason == "FailedScheduling" {
            events
                .failed_scheduling
                .push((time, row.text(4)?.to_string()));
        } else if DISRUPTION_REASONS.contains(&reason)
            && let Some(pod) = row.text(3)?.strip_prefix("Pod/")
        {
            events
                .disruptions
                .push((time, pod.to_string(), reason.to_string()));
        }
        Ok(())
    })?;
    Ok(events)
}

fn read_metrics(path: &Path, r: &mut CsvReader) -> Result<Metrics, ReadError> {
    let mut metrics = Metrics::default();
    each_row(path, r, METRICS_HEADER, |row| {
        let time = row.number(0)?;
        let (metric, object) = (row.text(1)?, row.text(2)?);
        metrics.push(object, metric, (time, row.number(3)?));
        Ok(())
    })?;
    Ok(metrics)
}
