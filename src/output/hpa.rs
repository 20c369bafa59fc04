//! Reading `hpa.jsonl` back (for `kubesim explain RUN_DIR hpa/NAMESPACE/NAME`): the sync
//! records of one HPA, streamed line by line.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// One metric of a recorded sync.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct RecordedMetric {
    /// Column-free name.
    pub name: String,
    /// `Resource`, `ContainerResource`, `Pods`, `Object`, `External`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its reading (percent for utilization, else base units), if it read one.
    pub value: Option<f64>,
    /// Its target.
    pub target: f64,
    /// Whether value and target are percentages of the request.
    #[serde(default)]
    pub utilization: bool,
    /// Its proposal.
    pub proposal: Option<i32>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
}

/// How the pods were counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RecordedPods {
    /// Counted.
    pub ready: u32,
    /// Not yet ready.
    pub unready: u32,
    /// Without metrics.
    pub missing: u32,
    /// Left out.
    pub ignored: u32,
}

/// A bound that changed the recommendation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RecordedLimit {
    /// The bounded count.
    pub replicas: i32,
    /// `ScaleUpLimit`, `TooManyReplicas`, ...
    pub reason: String,
}

/// One recorded HPA sync.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct RecordedSync {
    /// Simulated seconds.
    pub time_s: f64,
    /// `namespace/name`.
    pub hpa: String,
    /// The target's replicas.
    pub current_replicas: i32,
    /// Each metric.
    pub metrics: Vec<RecordedMetric>,
    /// The pods as counted.
    pub pods: RecordedPods,
    /// The largest proposal.
    #[serde(default)]
    pub proposal: Option<i32>,
    /// After stabilization.
    pub recommendation: i32,
    /// The bound applied.
    pub limit: Option<RecordedLimit>,
    /// What it set.
    pub desired_replicas: i32,
    /// The rescale reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Why it could not compute or scale.
    #[serde(default)]
    pub error: Option<String>,
}

/// Why `hpa.jsonl` could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file.
    Io(io::Error),
    /// A line that is not a record.
    Line(usize, String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Line(n, e) => write!(f, "line {n}: {e}"),
        }
    }
}

/// Every line's record, handed to `each` (stops at the first bad line).
fn for_each(file: &Path, mut each: impl FnMut(RecordedSync)) -> Result<(), ReadError> {
    let reader = BufReader::new(File::open(file).map_err(ReadError::Io)?);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(ReadError::Io)?;
        if line.trim().is_empty() {
            continue;
        }
        let r: RecordedSync =
            serde_json::from_str(&line).map_err(|e| ReadError::Line(i + 1, e.to_string()))?;
        each(r);
    }
    Ok(())
}

/// The syncs of HPA `namespace/name`, in time order.
pub fn read_hpa_syncs(file: &Path, hpa: &str) -> Result<Vec<RecordedSync>, ReadError> {
    let mut out = Vec::new();
    for_each(file, |r| {
        if r.hpa == hpa {
            out.push(r);
        }
    })?;
    Ok(out)
}

/// The HPAs recorded, sorted.
pub fn recorded_hpas(file: &Path) -> Result<Vec<String>, ReadError> {
    let mut names = BTreeSet::new();
    for_each(file, |r| {
        names.insert(r.hpa);
    })?;
    Ok(names.into_iter().collect())
}
