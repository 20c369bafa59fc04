//! The detail of one scheduling cycle for `--explain`: which filter rejected which node and
//! why, and the score table. The scheduler turns it into the [`crate::component::AttemptRecord`]
//! that the recorder takes.

use super::framework::Code;

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
