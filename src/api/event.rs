//! Kubernetes Events: what `kubectl get events` shows, in upstream wording.

use crate::engine::SimTime;

/// `Normal` or `Warning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// Routine.
    Normal,
    /// Something went wrong or may need attention.
    Warning,
}

impl EventType {
    /// The upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// One Event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it happened.
    pub time: SimTime,
    /// Normal or Warning.
    pub kind: EventType,
    /// CamelCase reason (`Scheduled`, `FailedScheduling`, `Pulling`, ...).
    pub reason: &'static str,
    /// `kind/namespace/name` (`kind/name` for cluster-scoped objects); shared by the events
    /// of one object.
    pub object: std::sync::Arc<str>,
    /// The message.
    pub message: String,
}
