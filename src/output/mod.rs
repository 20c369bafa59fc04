//! Writes a run's files: `pods.csv`, `events.csv`, `metrics.csv`, `summary.json` and, when
//! explaining, `scheduling.jsonl`; writes the files of `kubesim compare` ([`compare`]) and
//! reads `scheduling.jsonl` back for `kubesim explain` ([`scheduling`]). The only module that
//! knows CSV and JSON.
//!
//! Files are written into a temporary directory beside the destination and renamed into place
//! when the run has finished, so a failed or interrupted run leaves nothing half-written.

pub mod compare;
pub mod destination;
pub mod hpa;
mod json;
pub mod scheduling;
pub mod snapshot;
mod yaml;

use crate::api::event::{Event, EventType, Message};
use crate::api::output::{EventRows, PodRows};
use crate::engine::{SimTime, TimeBuf};
use crate::observe::{AttemptRecord, MetricSample, PodRow, Sink, Summary};
use destination::{Install, OutputKind};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Column header of `pods.csv` (pinned).
pub const PODS_HEADER: &str = "namespace,name,owner,node,phase,created_s,scheduled_s,started_s,ready_s,finished_s,deleted_s,scheduling_attempts,restarts,cpu_request_m,memory_request_bytes,priority,reason";
/// Column header of `events.csv` (pinned).
pub const EVENTS_HEADER: &str = "time_s,type,reason,object,message";
/// Column header of `metrics.csv` (pinned).
pub const METRICS_HEADER: &str = "time_s,metric,object,value";

/// A writer that hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
    /// Bytes written so far.
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

type CsvOut = csv::Writer<Hashing<BufWriter<File>>>;

fn csv_file(dir: &Path, name: &str, header: &str) -> io::Result<CsvOut> {
    let file = File::create(dir.join(name))?;
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Hashing {
            inner: BufWriter::with_capacity(1 << 16, file),
            hash: Sha256::new(),
            bytes: 0,
        });
    w.write_record(header.split(','))?;
    Ok(w)
}

fn finish_csv(w: CsvOut) -> io::Result<[u8; 32]> {
    let mut h = w.into_inner().map_err(|e| e.into_error())?;
    h.flush()?;
    Ok(h.hash.finalize().into())
}

/// An output directory being written.
pub struct RunOutput {
    tmp: PathBuf,
    dest: PathBuf,
    events: Option<CsvOut>,
    metrics: Option<CsvOut>,
    explain: Option<BufWriter<File>>,
    /// `hpa.jsonl`, when explaining.
    hpa_explain: Option<BufWriter<File>>,
    /// Bytes of `scheduling.jsonl` and `hpa.jsonl` written so far.
    explain_bytes: u64,
    /// Most bytes the files may take (`--max-output`).
    limit: u64,
    done: bool,
    /// Reused to write messages without a new string per row.
    message_buf: String,
    /// Which Events and pods get rows.
    rows: Rows,
}

/// Which Events and pods a run writes (`output.events`, `output.pods`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rows {
    /// Events.
    pub events: EventRows,
    /// Pods.
    pub pods: PodRows,
}

impl Default for Rows {
    fn default() -> Self {
        Rows {
            events: EventRows::All,
            pods: PodRows::All,
        }
    }
}

/// Writes `12.345`, or an empty field for `None`.
fn write_time(w: &mut CsvOut, x: Option<SimTime>) -> csv::Result<()> {
    match x {
        Some(t) => w.write_field(t.format(&mut TimeBuf::default())),
        None => w.write_field(""),
    }
}

/// Writes an integer field.
fn write_int(w: &mut CsvOut, x: impl itoa::Integer) -> csv::Result<()> {
    w.write_field(itoa::Buffer::new().format(x))
}

impl RunOutput {
    /// Starts writing a run whose files will end up in `dest`.
    pub fn create(dest: &Path, explain: bool, rows: Rows) -> io::Result<RunOutput> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        let base = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        destination::sweep_debris(dest, OutputKind::Run);
        let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        let mut out = RunOutput {
            tmp: tmp.clone(),
            dest: dest.to_path_buf(),
            events: None,
            metrics: None,
            explain: None,
            hpa_explain: None,
            explain_bytes: 0,
            limit: u64::MAX,
            done: false,
            message_buf: String::new(),
            rows,
        };
        out.events = Some(csv_file(&tmp, "events.csv", EVENTS_HEADER)?);
        out.metrics = Some(csv_file(&tmp, "metrics.csv", METRICS_HEADER)?);
        if explain {
            out.explain = Some(BufWriter::with_capacity(
                1 << 16,
                File::create(tmp.join("scheduling.jsonl"))?,
            ));
            out.hpa_explain = Some(BufWriter::new(File::create(tmp.join("hpa.jsonl"))?));
        }
        Ok(out)
    }

    /// Stops the run with an error once its files take more than `bytes`.
    pub fn limit_bytes(&mut self, bytes: u64) {
        self.limit = bytes;
    }

    /// Bytes written so far (buffered ones included).
    fn written(&self) -> u64 {
        let csv = |w: &Option<CsvOut>| w.as_ref().map_or(0, |w| w.get_ref().bytes);
        csv(&self.events) + csv(&self.metrics) + self.explain_bytes
    }

    fn check_limit(&self) -> io::Result<()> {
        if self.written() > self.limit {
            return Err(io::Error::other(format!(
                "the outputs reached the limit of {} bytes (--max-output); the run was stopped",
                self.limit
            )));
        }
        Ok(())
    }

    /// Writes `pods.csv` and `summary.json` and closes every file, still in the temporary
    /// directory: [`Finished::install`] moves them into place.
    pub fn finish<'a>(
        mut self,
        pods: impl Iterator<Item = PodRow<'a>>,
        summary: &Summary,
        resolved: &str,
    ) -> io::Result<Finished> {
        let mut out = csv_file(&self.tmp, "pods.csv", PODS_HEADER)?;
        let keep = self.rows.pods;
        let mut pod_rows = 0;
        for p in pods.filter(|p| keep.keeps(p.namespace, p.name)) {
            write_pod(&mut out, &p)?;
            pod_rows += 1;
        }
        let hashes = [
            ("pods.csv", finish_csv(out)?),
            (
                "events.csv",
                finish_csv(self.events.take().expect("events writer open until finish"))?,
            ),
            (
                "metrics.csv",
                finish_csv(
                    self.metrics
                        .take()
                        .expect("metrics writer open until finish"),
                )?,
            ),
        ];
        if let Some(mut e) = self.explain.take() {
            e.flush()?;
        }
        if let Some(mut e) = self.hpa_explain.take() {
            e.flush()?;
        }
        let digest = output_digest(&hashes);
        let written = json::Written {
            rows: self.rows,
            pod_rows,
        };
        let json = json::summary(summary, &hashes, &digest, &written);
        fs::write(self.tmp.join("summary.json"), json)?;
        fs::write(self.tmp.join("scenario.resolved.txt"), resolved)?;
        // The temporary directory passes to `Finished`, which removes it unless installed.
        self.done = true;
        Ok(Finished {
            tmp: std::mem::take(&mut self.tmp),
            dest: std::mem::take(&mut self.dest),
            digest,
            installed: false,
        })
    }
}

/// A run's files, complete in their temporary directory.
pub struct Finished {
    tmp: PathBuf,
    dest: PathBuf,
    digest: String,
    installed: bool,
}

impl Finished {
    /// The directory holding the files (to draw plots from them before they are installed).
    pub fn dir(&self) -> &Path {
        &self.tmp
    }

    /// The output hash (`output_sha256`).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Moves the files into place ([`destination::install`]: an older run's files are
    /// replaced, nothing else is touched). Returns the output hash.
    pub fn install(mut self) -> io::Result<String> {
        destination::install(&self.tmp, &self.dest, OutputKind::Run, Install::Everything)?;
        self.installed = true;
        Ok(std::mem::take(&mut self.digest))
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        if !self.installed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// One row of `pods.csv`.
fn write_pod(w: &mut CsvOut, p: &PodRow) -> csv::Result<()> {
    w.write_field(p.namespace)?;
    w.write_field(p.name)?;
    match p.owner {
        Some(o) => w.write_field(o.to_string())?,
        None => w.write_field("")?,
    }
    w.write_field(p.node.unwrap_or(""))?;
    w.write_field(p.phase.as_str())?;
    write_time(w, Some(p.created))?;
    for x in [p.scheduled, p.started, p.ready, p.finished, p.deleted] {
        write_time(w, x)?;
    }
    write_int(w, p.scheduling_attempts)?;
    write_int(w, p.restarts)?;
    write_int(w, p.cpu_request_m)?;
    write_int(w, p.memory_request)?;
    write_int(w, p.priority)?;
    w.write_field(p.reason.unwrap_or(""))?;
    w.write_record(None::<&[u8]>)
}

/// SHA-256 over lines `<file> <sha256 hex>` of the three CSV files, in the order pods, events,
/// metrics (what `sha256sum pods.csv events.csv metrics.csv` prints, with one space).
pub fn output_digest(files: &[(&str, [u8; 32])]) -> String {
    let mut h = Sha256::new();
    for (name, d) in files {
        h.update(format!("{name} {}\n", hex(d)).as_bytes());
    }
    hex(&h.finalize())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Drop for RunOutput {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

impl Sink for RunOutput {
    fn event(&mut self, e: &Event) -> io::Result<()> {
        let written = match self.rows.events {
            EventRows::All => true,
            EventRows::Warnings => e.kind == EventType::Warning,
            EventRows::None => false,
        };
        if !written {
            return Ok(());
        }
        let message: &str = match &e.message {
            Message::Text(s) => s,
            other => {
                self.message_buf.clear();
                other
                    .pieces()
                    .iter()
                    .for_each(|p| self.message_buf.push_str(p));
                &self.message_buf
            }
        };
        let w = self.events.as_mut().expect("events writer open");
        w.write_field(e.time.format(&mut TimeBuf::default()))?;
        w.write_field(e.kind.as_str())?;
        w.write_field(e.reason)?;
        w.write_field(&*e.object)?;
        w.write_field(message)?;
        w.write_record(None::<&[u8]>)?;
        self.check_limit()
    }

    fn metric(&mut self, m: &MetricSample) -> io::Result<()> {
        let w = self.metrics.as_mut().expect("metrics writer open");
        w.write_record([
            m.time.format(&mut TimeBuf::default()),
            m.metric,
            &m.object,
            &format_value(m.value),
        ])?;
        self.check_limit()
    }

    fn attempt(&mut self, r: &AttemptRecord) -> io::Result<()> {
        if let Some(w) = &mut self.explain {
            let line = json::attempt(r);
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
            self.explain_bytes += line.len() as u64 + 1;
        }
        self.check_limit()
    }

    fn hpa_sync(&mut self, r: &crate::observe::HpaRecord) -> io::Result<()> {
        if let Some(w) = &mut self.hpa_explain {
            let line = json::hpa_sync(r);
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
            self.explain_bytes += line.len() as u64 + 1;
        }
        self.check_limit()
    }
}

/// Metric values: integers without a fraction, others with up to 6 decimals.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
