//! Reading one YAML document into typed, located values: the leaf types every manifest
//! shares (a value with its position, quantities kept as written), and the errors that name
//! file, line, column and field path.
//!
//! **Locations in [`Spanned`] leaves are relative to their document**, not to the file: line
//! 1 is the first line of the document (the `line` of its [`Located`] wrapper). Use
//! [`abs_line`] or [`abs_position`] to turn them into file lines.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, Visitor};

pub use crate::yaml::{DeError, Event, SpanLocation, Spanned, from_str};
use crate::yaml::{events, from_events};

/// Converts a document-relative line (as found in [`Spanned`]) into a file line.
///
/// `doc_first_line` is the file line of the document's first line (the
/// `line` of `Located`). A relative line of 0 means "unknown" and yields 0.
pub fn abs_line(doc_first_line: u32, rel_line: u64) -> u32 {
    if rel_line == 0 {
        return 0;
    }
    let rel = u32::try_from(rel_line).unwrap_or(u32::MAX);
    doc_first_line.saturating_add(rel - 1)
}

/// File line and column of a [`Spanned`] leaf, given its document's first line.
pub fn abs_position<T>(doc_first_line: u32, leaf: &Spanned<T>) -> (u32, u32) {
    let column = u32::try_from(leaf.referenced.column()).unwrap_or(u32::MAX);
    (abs_line(doc_first_line, leaf.referenced.line()), column)
}

/// Text of a Kubernetes quantity; accepts a YAML string, integer or float and
/// keeps the spelling (`cpu: 0.5` -> `"0.5"`, `memory: 128974848` -> `"128974848"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct QuantityText(pub String);

impl QuantityText {
    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QuantityText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for QuantityText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = QuantityText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity (a string or a number, e.g. 500m, 2, 1Gi)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(QuantityText(v.to_string()))
            }
        }
        // The YAML deserializer hands any scalar's original text to a string
        // request; other deserializers may call the numeric visitors.
        d.deserialize_string(V)
    }
}

/// Resource quantities by resource name (`cpu`, `memory`, `nvidia.com/gpu`, ...).
pub type Quantities = BTreeMap<String, Spanned<QuantityText>>;

/// Marker for a field that is accepted but not modelled yet; only its presence is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IgnoredPresence;

impl<'de> Deserialize<'de> for IgnoredPresence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| IgnoredPresence)
    }
}

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
/// [`Spanned`] leaves of `value` are relative to it (see [`abs_line`]).
/// For items of a `kind: List` it is the List document's first line.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// File it came from.
    pub file: PathBuf,
    /// File line where its document starts.
    pub line: u32,
    /// Its index in the `items` of a `kind: List` document (field paths start `items[i].`).
    pub item: Option<u32>,
}

/// The node events of one document, or its syntax error (placed in the file).
pub fn parse_events<'a>(
    file: &Path,
    doc: &'a str,
    first_line: u32,
) -> Result<Vec<Event<'a>>, LoadError> {
    events::parse(doc).map_err(|e| {
        let message = format!("invalid YAML: {}", e.message);
        LoadError::at(
            file,
            abs_line(first_line, u64::from(e.line)),
            e.column,
            "",
            message,
        )
    })
}

/// Reads `seed` from a document's events, its error placed in the file.
pub fn read_events<'de, S: DeserializeSeed<'de>>(
    file: &Path,
    events: &[Event<'de>],
    first_line: u32,
    seed: S,
) -> Result<S::Value, LoadError> {
    from_events(events, seed).map_err(|e| {
        let line = if e.line == 0 {
            first_line
        } else {
            abs_line(first_line, u64::from(e.line))
        };
        LoadError::at(file, line, e.column, e.path.unwrap_or_default(), e.message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abs_line_adds_offset() {
        assert_eq!(abs_line(10, 1), 10);
        assert_eq!(abs_line(10, 5), 14);
        assert_eq!(abs_line(10, 0), 0);
        assert_eq!(abs_line(u32::MAX, u64::MAX), u32::MAX);
    }

    #[derive(Debug, Deserialize)]
    struct Requirements {
        #[serde(default)]
        requests: Quantities,
        #[serde(default)]
        limits: Quantities,
    }

    #[test]
    fn quantities_accept_numbers_and_keep_text() {
        let r: Requirements =
            from_str("requests:\n  cpu: 0.5\n  memory: 128974848\n  gpu: '1'\nlimits: {cpu: 2}\n")
                .unwrap();
        assert_eq!(r.requests["cpu"].value.as_str(), "0.5");
        assert_eq!(r.requests["memory"].value.as_str(), "128974848");
        assert_eq!(r.requests["gpu"].value.as_str(), "1");
        assert_eq!(r.limits["cpu"].value.to_string(), "2");
        assert_eq!(r.requests["memory"].referenced.line(), 3);
        assert_eq!(r.requests["memory"].referenced.column(), 11);
        assert!(from_str::<Requirements>("requests: {cpu: {a: 1}}\n").is_err());
    }

    #[test]
    fn load_error_display() {
        let e = LoadError::at(Path::new("web.yaml"), 14, 9, "spec.x", "bad");
        assert_eq!(e.to_string(), "web.yaml:14:9: spec.x: bad");
        let e = LoadError::at(Path::new("web.yaml"), 14, 0, "", "bad");
        assert_eq!(e.to_string(), "web.yaml:14: bad");
        assert_eq!(LoadError::in_file(Path::new("a"), "m").to_string(), "a: m");
    }
}
