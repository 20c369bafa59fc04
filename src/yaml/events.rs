//! One YAML document as a flat list of node events with their positions: what the loader
//! parses once per document and then reads three times (its `kind`, the field check, the
//! typed value). Block-style manifests, nearly all real ones, are scanned by [`super::fast`];
//! anything else goes through the full YAML parser (`granit-parser`), which gives the same
//! events.

use granit_parser::{Event as GEvent, Parser, ScalarStyle};
use std::borrow::Cow;

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Plain: its type (null, bool, number, text) comes from how it reads.
    Plain,
    /// Single- or double-quoted, or a block scalar (`|`, `>`): always text.
    Quoted,
}

/// A node event.
#[derive(Clone, Debug, PartialEq)]
pub enum Ev<'a> {
    /// A scalar, its anchor (0: none) and tag (`!!str`, ...).
    Scalar {
        /// The value, unescaped.
        value: Cow<'a, str>,
        /// How it was written.
        style: Style,
        /// Anchor id (0: none).
        anchor: usize,
        /// Tag as resolved (`tag:yaml.org,2002:str`), if any.
        tag: Option<String>,
    },
    /// A mapping starts (anchor id, 0: none).
    MapStart(usize),
    /// The mapping ends.
    MapEnd,
    /// A sequence starts (anchor id, 0: none).
    SeqStart(usize),
    /// The sequence ends.
    SeqEnd,
    /// A reference to an anchored node.
    Alias(usize),
}

/// An event at a position relative to its document (1-based line and column).
#[derive(Clone, Debug, PartialEq)]
pub struct Event<'a> {
    /// What it is.
    pub ev: Ev<'a>,
    /// 1-based line within the document.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// A syntax error, at a position relative to its document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// 1-based line (0: unknown).
    pub line: u32,
    /// 1-based column (0: unknown).
    pub column: u32,
}

/// The node events of one document (empty for an empty document).
pub fn parse(doc: &str) -> Result<Vec<Event<'_>>, SyntaxError> {
    if let Some(events) = super::fast::parse(doc) {
        return Ok(events);
    }
    parse_full(doc)
}

/// The node events of a document from the fast scanner alone, `None` when the document is
/// not in the subset it reads (tests compare it with [`parse_full`]).
pub fn parse_fast(doc: &str) -> Option<Vec<Event<'_>>> {
    super::fast::parse(doc)
}

/// The node events of one document from the full YAML parser.
pub fn parse_full(doc: &str) -> Result<Vec<Event<'_>>, SyntaxError> {
    let mut out = Vec::new();
    let mut documents = 0;
    let mut parser = Parser::new_from_str(doc);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let m = e.marker();
            SyntaxError {
                message: e.info(),
                line: u32::try_from(m.line()).unwrap_or(u32::MAX),
                column: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
            }
        })?;
        let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
        let column = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
        let ev = match event {
            GEvent::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        message: "more than one document where one was expected".into(),
                        line,
                        column,
                    });
                }
                continue;
            }
            GEvent::Scalar(value, style, anchor, tag) => Ev::Scalar {
                value,
                style: match style {
                    ScalarStyle::Plain => Style::Plain,
                    _ => Style::Quoted,
                },
                anchor,
                tag: tag.map(|t| format!("{}{}", t.handle(), t.suffix())),
            },
            GEvent::MappingStart(_, anchor, _) => Ev::MapStart(anchor),
            GEvent::MappingEnd => Ev::MapEnd,
            GEvent::SequenceStart(_, anchor, _) => Ev::SeqStart(anchor),
            GEvent::SequenceEnd => Ev::SeqEnd,
            GEvent::Alias(id) => Ev::Alias(id),
            _ => continue,
        };
        out.push(Event { ev, line, column });
    }
    Ok(out)
}

/// The index just past the node starting at `i` (an alias is one event).
pub fn skip(events: &[Event<'_>], i: usize) -> usize {
    match events.get(i).map(|e| &e.ev) {
        Some(Ev::MapStart(_) | Ev::SeqStart(_)) => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(e) = events.get(j) {
                match e.ev {
                    Ev::MapStart(_) | Ev::SeqStart(_) => depth += 1,
                    Ev::MapEnd | Ev::SeqEnd => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            events.len()
        }
        _ => i + 1,
    }
}

/// Where each anchor's node starts: `(anchor id, event index)`, in document order.
pub fn anchors(events: &[Event<'_>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let anchor = match e.ev {
            Ev::Scalar { anchor, .. } | Ev::MapStart(anchor) | Ev::SeqStart(anchor) => anchor,
            _ => 0,
        };
        if anchor != 0 {
            out.push((anchor, i));
        }
    }
    out
}
