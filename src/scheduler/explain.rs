//! Per-attempt records for `scheduling.jsonl` (`--explain`): which filter rejected which node
//! and why, and the score table. Plain data; `output/` turns it into JSON.

use super::framework::Code;
use crate::engine::SimTime;

/// One node's filter verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterEntry {
    /// Node index (resolved to a name when written).
    pub node: usize,
    /// Success, Unschedulable or UnschedulableAndUnresolvable.
    pub code: Code,
    /// The plugin that rejected the node.
    pub plugin: Option<String>,
    /// Its reasons.
    pub reason: String,
}

/// One feasible node's scores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreEntry {
    /// Node index.
    pub node: usize,
    /// Each score plugin's normalized score, before weighting.
    pub plugins: Vec<(String, i64)>,
    /// The weighted sum.
    pub total: i64,
}

/// One scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// When.
    pub time: SimTime,
    /// `namespace/name`.
    pub pod: String,
    /// Profile (`schedulerName`).
    pub profile: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `Scheduled`, `Unschedulable` or `Error`.
    pub result: &'static str,
    /// Chosen node name.
    pub node: Option<String>,
    /// FailedScheduling message or error.
    pub message: Option<String>,
    /// Filter verdicts by node name.
    pub filter: Vec<(String, FilterEntry)>,
    /// Scores by node name.
    pub scores: Vec<(String, ScoreEntry)>,
    /// The profile's score plugins and their weights (`total` = Σ weight × score).
    pub weights: Vec<(String, i64)>,
    /// What PostFilter (preemption) did, when it ran.
    pub preemption: Option<PreemptionRecord>,
}

/// The outcome of preemption in one attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreemptionRecord {
    /// The node freed for the pod (`None` when preemption found nothing).
    pub nominated_node: Option<String>,
    /// The evicted pods (`namespace/name`), most important first.
    pub victims: Vec<String>,
}
