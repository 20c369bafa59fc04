//! Kubernetes Events: what `kubectl get events` shows, in upstream wording.

use crate::engine::SimTime;
use std::sync::Arc;

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
    pub message: Message,
}

/// An Event message. The frequent ones are kept as their parts and written out only when the
/// event log is written (no string is formatted per event in the simulation loop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Any text.
    Text(String),
    /// `Successfully assigned <namespace/name> to <node>` (the object is `Pod/namespace/name`).
    Assigned {
        /// The pod's event object name.
        object: Arc<str>,
        /// The node.
        node: Arc<str>,
    },
    /// `Container image "<image>" already present on machine`.
    ImagePresent(Arc<str>),
    /// `Pulling image "<image>"`.
    Pulling(Arc<str>),
    /// `Created container: <name>`.
    Created(Arc<str>),
    /// `Started container <name>`.
    Started(Arc<str>),
}

impl From<String> for Message {
    fn from(s: String) -> Message {
        Message::Text(s)
    }
}

impl Message {
    /// The message as pieces to write one after the other (unused ones are empty), so that
    /// the event log is written without formatting machinery.
    pub fn pieces(&self) -> [&str; 4] {
        match self {
            Message::Text(s) => [s, "", "", ""],
            Message::Assigned { object, node } => {
                let key = object.strip_prefix("Pod/").unwrap_or(object);
                ["Successfully assigned ", key, " to ", node]
            }
            Message::ImagePresent(i) => {
                ["Container image \"", i, "\" already present on machine", ""]
            }
            Message::Pulling(i) => ["Pulling image \"", i, "\"", ""],
            Message::Created(c) => ["Created container: ", c, "", ""],
            Message::Started(c) => ["Started container ", c, "", ""],
        }
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pieces().iter().try_for_each(|p| f.write_str(p))
    }
}
