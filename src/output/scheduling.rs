//! Reading `scheduling.jsonl` back (for `kubesim explain`): the records of one pod, streamed
//! line by line so that large files are never held in memory.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// One node's filter verdict as recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RecordedFilter {
    /// `Success`, `Unschedulable` or `UnschedulableAndUnresolvable`.
    #[serde(default)]
    pub status: String,
    /// The rejecting plugin (`None` on success).
    #[serde(default)]
    pub plugin: Option<String>,
    /// Its reasons.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One scored node as recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedScore {
    /// Node name.
    pub node: String,
    /// Each score plugin's normalized score, by plugin name.
    pub plugins: BTreeMap<String, i64>,
    /// The weighted sum.
    pub total: i64,
}

/// The preemption part of a record (PostFilter), when present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedPreemption {
    /// The victims (`namespace/name`, or the recorded value as JSON text).
    pub victims: Vec<String>,
    /// The nominated node.
    pub nominated_node: Option<String>,
    /// Anything else recorded, as JSON text.
    pub other: Option<String>,
}

/// One scheduling attempt as recorded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordedAttempt {
    /// Simulated seconds.
    pub time_s: f64,
    /// `namespace/name`.
    pub pod: String,
    /// Profile.
    pub profile: String,
    /// 1 for the first attempt.
    pub attempt: u64,
    /// `Scheduled`, `Unschedulable` or `Error`.
    pub result: String,
    /// Chosen node.
    pub node: Option<String>,
    /// FailedScheduling message or error.
    pub message: Option<String>,
    /// Filter verdicts by node name, sorted by name.
    pub filter: Vec<(String, RecordedFilter)>,
    /// Scored nodes, sorted by name.
    pub scores: Vec<RecordedScore>,
    /// Score plugin weights, when recorded (files from before they were added have none).
    pub weights: Option<BTreeMap<String, i64>>,
    /// Preemption, when PostFilter ran.
    pub preemption: Option<RecordedPreemption>,
}

#[derive(Deserialize)]
struct Line {
    time_s: f64,
    pod: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    attempt: u64,
    #[serde(default)]
    result: String,
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    filter: BTreeMap<String, RecordedFilter>,
    #[serde(default)]
    scores: BTreeMap<String, BTreeMap<String, i64>>,
    #[serde(default)]
    weights: Option<BTreeMap<String, i64>>,
    #[serde(default)]
    preemption: Option<Value>,
}

#[derive(Deserialize)]
struct PodOnly {
    pod: String,
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(io::Error),
    /// A line is not a valid record: (1-based line number, reason).
    Malformed(usize, String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Malformed(line, why) => write!(f, "line {line}: {why}"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

fn preemption(v: Value) -> Option<RecordedPreemption> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => match (o.get("namespace"), o.get("name"), o.get("pod")) {
            (_, _, Some(Value::String(p))) => p.clone(),
            (Some(Value::String(ns)), Some(Value::String(n)), _) => format!("{ns}/{n}"),
            _ => v.to_string(),
        },
        _ => v.to_string(),
    };
    match v {
        Value::Null => None,
        Value::Object(mut o) => {
            let victims = match o.remove("victims") {
                Some(Value::Array(a)) => a.iter().map(text).collect(),
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![text(&other)],
            };
            let nominated_node = ["nominated_node", "nominatedNode", "node"]
                .iter()
                .find_map(|k| o.remove(*k))
                .and_then(|v| match v {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    other => Some(other.to_string()),
                });
            let other = (!o.is_empty()).then(|| Value::Object(o).to_string());
            Some(RecordedPreemption {
                victims,
                nominated_node,
                other,
            })
        }
        other => Some(RecordedPreemption {
            other: Some(other.to_string()),
            ..Default::default()
        }),
    }
}

impl From<Line> for RecordedAttempt {
    fn from(l: Line) -> Self {
        let scores = l
            .scores
            .into_iter()
            .map(|(node, mut plugins)| {
                let total = plugins.remove("total").unwrap_or(0);
                RecordedScore {
                    node,
                    plugins,
                    total,
                }
            })
            .collect();
        RecordedAttempt {
            time_s: l.time_s,
            pod: l.pod,
            profile: l.profile,
            attempt: l.attempt,
            result: l.result,
            node: l.node,
            message: l.message,
            filter: l.filter.into_iter().collect(),
            scores,
            weights: l.weights,
            preemption: l.preemption.and_then(preemption),
        }
    }
}

/// Every record of pod `key` (`namespace/name`) in `path`, in file order.
pub fn read_pod_attempts(path: &Path, key: &str) -> Result<Vec<RecordedAttempt>, ReadError> {
    // A cheap test on the raw line first: only lines that mention the pod are parsed.
    let needle = format!("{key}\"");
    let mut found = Vec::new();
    for (i, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        if !line.contains(&needle) {
            continue;
        }
        let rec: Line =
            serde_json::from_str(&line).map_err(|e| ReadError::Malformed(i + 1, e.to_string()))?;
        if rec.pod == key {
            found.push(rec.into());
        }
    }
    Ok(found)
}

/// The distinct pods with records in `path`, sorted.
pub fn recorded_pods(path: &Path) -> Result<Vec<String>, ReadError> {
    let mut pods = std::collections::BTreeSet::new();
    for (i, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: PodOnly =
            serde_json::from_str(&line).map_err(|e| ReadError::Malformed(i + 1, e.to_string()))?;
        pods.insert(rec.pod);
    }
    Ok(pods.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_pods_records_with_and_without_weights_and_preemption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scheduling.jsonl");
        let lines = [
            r#"{"time_s":1.5,"pod":"default/a","profile":"p","attempt":1,"result":"Scheduled","node":"n2","message":null,"filter":{"n1":{"status":"Unschedulable","plugin":"NodeResourcesFit","reason":"Insufficient cpu"},"n2":{"status":"Success","plugin":null,"reason":null}},"scores":{},"preemption":null}"#,
            r#"{"time_s":2,"pod":"default/ab","profile":"p","attempt":1,"result":"Scheduled","node":"n1","message":null,"filter":{},"scores":{"n1":{"X":10,"total":20}},"weights":{"X":2},"preemption":{"victims":["default/v",{"namespace":"ns","name":"w"}],"nominated_node":"n1"}}"#,
        ];
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let a = read_pod_attempts(&path, "default/a").unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].filter.len(), 2);
        assert_eq!(a[0].filter[0].1.plugin.as_deref(), Some("NodeResourcesFit"));
        assert_eq!(a[0].weights, None);
        assert_eq!(a[0].preemption, None);
        let ab = read_pod_attempts(&path, "default/ab").unwrap();
        assert_eq!(ab[0].scores[0].total, 20);
        assert_eq!(ab[0].scores[0].plugins["X"], 10);
        assert_eq!(ab[0].weights.as_ref().unwrap()["X"], 2);
        let p = ab[0].preemption.as_ref().unwrap();
        assert_eq!(p.victims, ["default/v", "ns/w"]);
        assert_eq!(p.nominated_node.as_deref(), Some("n1"));
        assert!(read_pod_attempts(&path, "default/none").unwrap().is_empty());
        assert_eq!(recorded_pods(&path).unwrap(), ["default/a", "default/ab"]);

        std::fs::write(&path, "{\"pod\":\"default/a\", broken\n").unwrap();
        match read_pod_attempts(&path, "default/a") {
            Err(ReadError::Malformed(1, _)) => {}
            other => panic!("{other:?}"),
        }
    }
}
