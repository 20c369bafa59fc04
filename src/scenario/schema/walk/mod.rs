//! One document checked against the [`Schema`] in a single pass over its YAML parse events
//! (no tree is built): unknown fields, values of the wrong shape, and fields kubesim does not
//! model; each with its path and its position in the document.

use super::{Ref, Scalar, Schema};
use crate::api::names::did_you_mean;
use granit_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;

/// Deepest nesting checked; below it everything is accepted (serde's own limits apply).
const MAX_DEPTH: usize = 200;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// A field the kind does not have.
    Unknown,
    /// A value of the wrong shape (a mapping where a list belongs, text for a boolean).
    Shape,
    /// A field kubesim accepts but does not model.
    Unmodelled,
}

/// One thing found, at a position relative to its document (line 1 is its first line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What it is.
    pub kind: FindingKind,
    /// 1-based line within the document.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Field path (`spec.containers[0].resource`).
    pub path: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// Checks the document `doc` as `root` (a kind's type); findings are appended to `out`.
pub fn check(doc: &str, root: &Ref, out: &mut Vec<Finding>) {
    let events = node_events(doc);
    let mut w = Walker {
        events,
        schema: Schema::get(),
        path: Vec::new(),
        out,
        depth: 0,
        args_at: None,
    };
    while let Some((event, span)) = w.next() {
        match event {
            Event::StreamStart | Event::DocumentStart(..) => continue,
            Event::StreamEnd | Event::DocumentEnd => return,
            node => {
                w.value(node, span, root);
                return;
            }
        }
    }
}

/// Where the field at `path` (`spec.containers[1].image`) is in `doc`: `(line, column)`
/// relative to the document (of the key for a field, of the item for a list index).
pub fn locate(doc: &str, path: &str) -> Option<(u32, u32)> {
    let wanted = parse_path(path)?;
    let mut events = node_events(doc);
    loop {
        let (event, span) = events.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(..) => continue,
            Event::StreamEnd | Event::DocumentEnd => return None,
            node => return find_in(&mut events, node, &span, &wanted),
        }
    }
}

/// The parse events of `doc` that make its nodes (comments and anchor names left out), up
/// to the first syntax error (serde reports those).
fn node_events(doc: &str) -> impl Iterator<Item = (Event<'_>, Span)> {
    let mut parser = Parser::new_from_str(doc);
    std::iter::from_fn(move || parser.next_event()?.ok())
        .filter(|(e, _)| !matches!(e, Event::Anchor(..) | Event::Comment(..)))
}

/// Looks for `wanted` below the node that `event` starts, consuming it.
fn find_in<'i>(
    events: &mut impl Iterator<Item = (Event<'i>, Span)>,
    event: Event<'i>,
    span: &Span,
    wanted: &[Seg],
) -> Option<(u32, u32)> {
    let Some((first, rest)) = wanted.split_first() else {
        return Some(position(span));
    };
    match event {
        Event::MappingStart(..) => loop {
            let (key, key_span) = events.next()?;
            if matches!(key, Event::MappingEnd) {
                return None;
            }
            let (value, value_span) = events.next()?;
            match &key {
                Event::Scalar(k, ..) if *first == Seg::Key(Cow::Borrowed(k)) => {
                    if rest.is_empty() {
                        return Some(position(&key_span));
                    }
                    return find_in(events, value, &value_span, rest);
                }
                _ => {
                    skip_node(events, &key);
                    skip_node(events, &value);
                }
            }
        },
        Event::SequenceStart(..) => {
            let mut i = 0;
            loop {
                let (item, item_span) = events.next()?;
                if matches!(item, Event::SequenceEnd) {
                    return None;
                }
                if *first == Seg::Index(i) {
                    return find_in(events, item, &item_span, rest);
                }
                skip_node(events, &item);
                i += 1;
            }
        }
        _ => None,
    }
}

/// Consumes the rest of a collection that `start` opened (nothing for a scalar).
fn skip_node<'i>(events: &mut impl Iterator<Item = (Event<'i>, Span)>, start: &Event<'i>) {
    if !matches!(start, Event::MappingStart(..) | Event::SequenceStart(..)) {
        return;
    }
    let mut depth = 1usize;
    while depth > 0 {
        let Some((event, _)) = events.next() else {
            return;
        };
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
    }
}

/// `spec.containers[0].name` as segments.
fn parse_path(path: &str) -> Option<Vec<Seg<'static>>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            segs.push(Seg::Key(Cow::Owned(name.to_owned())));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            segs.push(Seg::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
    }
    Some(segs)
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg<'i> {
    Key(Cow<'i, str>),
    Index(usize),
}

fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn position(span: &Span) -> (u32, u32) {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
    (line, column)
}

/// The parse events of one node, gathered.
type Events<'i> = Vec<(Event<'i>, Span)>;

struct Walker<'i, 'o, I: Iterator<Item = (Event<'i>, Span)>> {
    events: I,
    schema: &'static Schema,
    path: Vec<Seg<'i>>,
    out: &'o mut Vec<Finding>,
    depth: usize,
    /// Inside a plugin's args: the length of `path` up to and with `args` (unknown fields
    /// there are upstream's strict decoding errors, named by their path within the args).
    args_at: Option<usize>,
}

impl<'i, I: Iterator<Item = (Event<'i>, Span)>> Walker<'i, '_, I> {
    fn next(&mut self) -> Option<(Event<'i>, Span)> {
        self.events.next()
    }

    fn find(&mut self, kind: FindingKind, span: &Span, path: String, message: String) {
        let (line, column) = position(span);
        self.out.push(Finding {
            kind,
            line,
            column,
            path,
            message,
        });
    }

    /// Checks one node, whose first event is `event`, as `ty`.
    fn value(&mut self, event: Event<'i>, span: Span, ty: &Ref) {
        if self.depth > MAX_DEPTH {
            self.skip(&event);
            return;
        }
        self.depth += 1;
        match event {
            Event::MappingStart(..) => match ty {
                Ref::Object(t) => self.object(*t),
                Ref::Map(inner) => self.map(inner),
                Ref::Manifest => self.manifest(),
                Ref::Any | Ref::PluginArgs => self.skip(&event),
                Ref::Scalar(s) => self.wrong_shape(&span, s.expected(), "a mapping", &event),
                Ref::List(_) => self.wrong_shape(&span, "a list", "a mapping", &event),
            },
            Event::SequenceStart(..) => match ty {
                Ref::List(inner) => self.list(inner),
                Ref::Any => self.skip(&event),
                other => {
                    let expected = expected(other);
                    self.wrong_shape(&span, expected, "a list", &event)
                }
            },
            Event::Scalar(text, style, ..) => self.scalar(&text, style, &span, ty),
            _ => {}
        }
        self.depth -= 1;
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, span: &Span, ty: &Ref) {
        let plain = style == ScalarStyle::Plain;
        if plain && matches!(text, "" | "~" | "null" | "Null" | "NULL") {
            return;
        }
        let fits = match ty {
            // A manifest may be given as a path (an arrival's template file).
            Ref::Any
            | Ref::Manifest
            | Ref::Scalar(Scalar::String | Scalar::IntOrString | Scalar::Quantity) => true,
            Ref::Scalar(Scalar::Int) => plain && text.parse::<i64>().is_ok(),
            Ref::Scalar(Scalar::Number) => plain && text.parse::<f64>().is_ok(),
            Ref::Scalar(Scalar::Bool) => {
                plain && matches!(text, "true" | "false" | "True" | "False" | "TRUE" | "FALSE")
            }
            Ref::Object(_) | Ref::Map(_) | Ref::List(_) | Ref::PluginArgs => false,
        };
        if !fits {
            let shown: String = text.chars().take(40).collect();
            let message = format!("expected {}, got {shown:?}", expected(ty));
            self.find(FindingKind::Shape, span, render(&self.path), message);
        }
    }

    fn wrong_shape(&mut self, span: &Span, expected: &str, got: &str, start: &Event<'i>) {
        let message = format!("expected {expected}, got {got}");
        self.find(FindingKind::Shape, span, render(&self.path), message);
        self.skip(start);
    }

    /// Consumes the rest of a collection that `start` opened (nothing for a scalar).
    fn skip(&mut self, start: &Event<'i>) {
        skip_node(&mut self.events, start);
    }

    fn object(&mut self, t: usize) {
        let schema = self.schema;
        let ty = schema.ty(t);
        // A plugin's args are checked once the mapping is read: its `name` may come after.
        let mut plugin: Option<Cow<'i, str>> = None;
        let mut args: Option<(Cow<'i, str>, Events<'i>)> = None;
        while let Some((event, span)) = self.next() {
            let key = match event {
                Event::MappingEnd => break,
                Event::Scalar(key, ..) => key,
                other => {
                    // A complex key: skip it and its value.
                    self.skip(&other);
                    if let Some((value, _)) = self.next() {
                        self.skip(&value);
                    }
                    continue;
                }
            };
            let Some((value, value_span)) = self.next() else {
                return;
            };
            match ty.field(&key) {
                Some(Ref::PluginArgs) => args = Some((key, self.gather(value, value_span))),
                Some(field) => {
                    if let (true, Event::Scalar(name, ..)) = (key == "name", &value) {
                        plugin = Some(name.clone());
                    }
                    let harmless = match &value {
                        Event::Scalar(v, ..) => super::MODELLED_VALUES
                            .iter()
                            .any(|(f, m)| *f == key && m == v),
                        _ => false,
                    };
                    if let Some(why) = schema.unmodelled(t, &key).filter(|_| !harmless) {
                        let mut path = render(&self.path);
                        push_key(&mut path, &key);
                        let message = format!("not modelled by kubesim: {why}");
                        self.find(FindingKind::Unmodelled, &span, path, message);
                    }
                    self.path.push(Seg::Key(key));
                    self.value(value, value_span, field);
                    self.path.pop();
                }
                None if key == "<<" => self.skip(&value),
                None => {
                    let mut path = render(&self.path);
                    push_key(&mut path, &key);
                    let mut message = match self.args_at {
                        Some(at) => {
                            let mut within = render(&self.path[at..]);
                            push_key(&mut within, &key);
                            format!("strict decoding error: unknown field {within:?}")
                        }
                        None => format!("unknown field {key:?}"),
                    };
                    if let Some(near) = did_you_mean(&key, ty.field_names()) {
                        message.push_str(&format!(" (did you mean {near:?}?)"));
                    }
                    self.find(FindingKind::Unknown, &span, path, message);
                    self.skip(&value);
                }
            }
        }
        if let Some((key, events)) = args {
            self.plugin_args(plugin.as_deref().unwrap_or(""), key, events);
        }
    }

    /// The events of the node `first` starts (all of it, nested collections included).
    fn gather(&mut self, first: Event<'i>, span: Span) -> Events<'i> {
        let mut depth = usize::from(matches!(
            first,
            Event::MappingStart(..) | Event::SequenceStart(..)
        ));
        let mut events = vec![(first, span)];
        while depth > 0 {
            let Some((event, span)) = self.next() else {
                break;
            };
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                Event::MappingEnd | Event::SequenceEnd => depth -= 1,
                _ => {}
            }
            events.push((event, span));
        }
        events
    }

    /// `pluginConfig[].args` (under the field `key`) as the args type of `plugin`, strictly
    /// as upstream decodes them; the args of a plugin without an args type (TaintToleration,
    /// an out-of-tree plugin) are not looked at, as upstream leaves them undecoded
    /// (`staging/src/k8s.io/kube-scheduler/config/v1/types.go`, `decodeNestedObjects`).
    fn plugin_args(&mut self, plugin: &str, key: Cow<'i, str>, events: Events<'i>) {
        let Some(root) = self.schema.plugin_args(plugin) else {
            return;
        };
        let mut events = events.into_iter();
        let Some((first, span)) = events.next() else {
            return;
        };
        self.path.push(Seg::Key(key));
        let mut sub = Walker {
            events,
            schema: self.schema,
            path: std::mem::take(&mut self.path),
            out: &mut *self.out,
            depth: self.depth,
            args_at: None,
        };
        sub.args_at = Some(sub.path.len());
        sub.value(first, span, &root);
        self.path = sub.path;
        self.path.pop();
    }

    fn map(&mut self, inner: &Ref) {
        while let Some((event, _)) = self.next() {
            let key = match event {
                Event::MappingEnd => return,
                Event::Scalar(key, ..) => Seg::Key(key),
                other => {
                    self.skip(&other);
                    Seg::Key(Cow::Borrowed("?"))
                }
            };
            let Some((value, span)) = self.next() else {
                return;
            };
            self.path.push(key);
            self.value(value, span, inner);
            self.path.pop();
        }
    }

    fn list(&mut self, inner: &Ref) {
        let mut i = 0;
        while let Some((event, span)) = self.next() {
            if matches!(event, Event::SequenceEnd) {
                return;
            }
            self.path.push(Seg::Index(i));
            self.value(event, span, inner);
            self.path.pop();
            i += 1;
        }
    }

    /// A manifest: its events are gathered to read its `apiVersion` and `kind`, then checked
    /// as that kind (not at all if the kind is unknown: that is warned about elsewhere).
    fn manifest(&mut self) {
        let mut events = Vec::new();
        let mut depth = 1usize;
        let (mut api, mut kind) = (None, None);
        let mut key_at_top: Option<Cow<'i, str>> = None;
        let mut expect_key = true;
        while depth > 0 {
            let Some((event, span)) = self.next() else {
                return;
            };
            match &event {
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    if depth == 1 {
                        expect_key = !expect_key;
                    }
                    depth += 1;
                }
                Event::MappingEnd | Event::SequenceEnd => depth -= 1,
                Event::Scalar(text, ..) if depth == 1 => {
                    if expect_key {
                        key_at_top = Some(text.clone());
                    } else {
                        match key_at_top.as_deref() {
                            Some("apiVersion") => api = Some(text.to_string()),
                            Some("kind") => kind = Some(text.to_string()),
                            _ => {}
                        }
                    }
                    expect_key = !expect_key;
                }
                Event::Alias(..) if depth == 1 => expect_key = !expect_key,
                _ => {}
            }
            events.push((event, span));
        }
        let Some(kind) = kind else {
            return;
        };
        let root = match &api {
            Some(api) => self.schema.kind(api, &kind),
            None => self.schema.kind_any_version(&kind),
        };
        let Some(Ref::Object(t)) = root else {
            return;
        };
        let mut sub = Walker {
            events: events.into_iter(),
            schema: self.schema,
            path: std::mem::take(&mut self.path),
            out: &mut *self.out,
            depth: self.depth,
            args_at: None,
        };
        sub.object(t);
        self.path = sub.path;
    }
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn expected(ty: &Ref) -> &'static str {
    match ty {
        Ref::Scalar(s) => s.expected(),
        Ref::Any => "anything",
        Ref::Object(_) | Ref::Map(_) | Ref::Manifest | Ref::PluginArgs => "a mapping",
        Ref::List(_) => "a list",
    }
}

#[cfg(test)]
mod tests;
