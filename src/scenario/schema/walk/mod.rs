//! One document checked against the [`Schema`] in a single pass over its YAML node events
//! (no tree is built): unknown fields, values of the wrong shape, and fields kubesim does not
//! model; each with its path and its position in the document.

use super::{Ref, Scalar, Schema};
use crate::api::names::did_you_mean;
use crate::yaml::events::{self, Ev, Event, Style};
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
    if let Ok(events) = events::parse(doc) {
        check_events(&events, root, out);
    }
}

/// Checks a document already parsed into `events` as `root`.
pub fn check_events(events: &[Event<'_>], root: &Ref, out: &mut Vec<Finding>) {
    let mut w = Walker {
        events: events.iter(),
        schema: Schema::get(),
        path: Vec::new(),
        out,
        depth: 0,
        args_at: None,
    };
    if let Some(event) = w.next() {
        w.value(event, root);
    }
}

/// Where the field at `path` (`spec.containers[1].image`) is in `doc`: `(line, column)`
/// relative to the document (of the key for a field, of the item for a list index).
pub fn locate(doc: &str, path: &str) -> Option<(u32, u32)> {
    let wanted = parse_path(path)?;
    let events = events::parse(doc).ok()?;
    let mut iter = events.iter();
    let first = iter.next()?;
    find_in(&mut iter, first, &wanted)
}

/// Looks for `wanted` below the node that `event` starts, consuming it.
fn find_in<'e, 'i: 'e>(
    events: &mut impl Iterator<Item = &'e Event<'i>>,
    event: &'e Event<'i>,
    wanted: &[Seg],
) -> Option<(u32, u32)> {
    let Some((first, rest)) = wanted.split_first() else {
        return Some(position(event));
    };
    match event.ev {
        Ev::MapStart(_) => loop {
            let key = events.next()?;
            if key.ev == Ev::MapEnd {
                return None;
            }
            let value = events.next()?;
            match &key.ev {
                Ev::Scalar { value: k, .. } if *first == Seg::Key(Cow::Borrowed(k)) => {
                    if rest.is_empty() {
                        return Some(position(key));
                    }
                    return find_in(events, value, rest);
                }
                _ => {
                    skip_node(events, key);
                    skip_node(events, value);
                }
            }
        },
        Ev::SeqStart(_) => {
            let mut i = 0;
            loop {
                let item = events.next()?;
                if item.ev == Ev::SeqEnd {
                    return None;
                }
                if *first == Seg::Index(i) {
                    return find_in(events, item, rest);
                }
                skip_node(events, item);
                i += 1;
            }
        }
        _ => None,
    }
}

/// Consumes the rest of a collection that `start` opened (nothing for a scalar).
fn skip_node<'e, 'i: 'e>(events: &mut impl Iterator<Item = &'e Event<'i>>, start: &Event<'i>) {
    if !matches!(start.ev, Ev::MapStart(_) | Ev::SeqStart(_)) {
        return;
    }
    let mut depth = 1usize;
    while depth > 0 {
        let Some(event) = events.next() else {
            return;
        };
        match event.ev {
            Ev::MapStart(_) | Ev::SeqStart(_) => depth += 1,
            Ev::MapEnd | Ev::SeqEnd => depth -= 1,
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

fn position(event: &Event<'_>) -> (u32, u32) {
    (event.line, event.column)
}

struct Walker<'e, 'i: 'e, 'o, I: Iterator<Item = &'e Event<'i>>> {
    events: I,
    schema: &'static Schema,
    path: Vec<Seg<'e>>,
    out: &'o mut Vec<Finding>,
    depth: usize,
    /// Inside a plugin's args: the length of `path` up to and with `args` (unknown fields
    /// there are upstream's strict decoding errors, named by their path within the args).
    args_at: Option<usize>,
}

impl<'e, 'i: 'e, I: Iterator<Item = &'e Event<'i>>> Walker<'e, 'i, '_, I> {
    fn next(&mut self) -> Option<&'e Event<'i>> {
        self.events.next()
    }

    fn find(&mut self, kind: FindingKind, at: &Event<'_>, path: String, message: String) {
        let (line, column) = position(at);
        self.out.push(Finding {
            kind,
            line,
            column,
            path,
            message,
        });
    }

    /// Checks one node, whose first event is `event`, as `ty`.
    fn value(&mut self, event: &'e Event<'i>, ty: &Ref) {
        if self.depth > MAX_DEPTH {
            self.skip(event);
            return;
        }
        self.depth += 1;
        match &event.ev {
            Ev::MapStart(_) => match ty {
                Ref::Object(t) => self.object(*t),
                Ref::Map(inner) => self.map(inner),
                Ref::Manifest => self.manifest(),
                Ref::Any | Ref::PluginArgs => self.skip(event),
                Ref::Scalar(s) => self.wrong_shape(s.expected(), "a mapping", event),
                Ref::List(_) => self.wrong_shape("a list", "a mapping", event),
            },
            Ev::SeqStart(_) => match ty {
                Ref::List(inner) => self.list(inner),
                Ref::Any => self.skip(event),
                other => self.wrong_shape(expected(other), "a list", event),
            },
            Ev::Scalar { value, style, .. } => self.scalar(value, *style, event, ty),
            _ => {}
        }
        self.depth -= 1;
    }

    fn scalar(&mut self, text: &str, style: Style, at: &Event<'_>, ty: &Ref) {
        let plain = style == Style::Plain;
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
            self.find(FindingKind::Shape, at, render(&self.path), message);
        }
    }

    fn wrong_shape(&mut self, expected: &str, got: &str, start: &Event<'i>) {
        let message = format!("expected {expected}, got {got}");
        self.find(FindingKind::Shape, start, render(&self.path), message);
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
        let mut plugin: Option<&'e str> = None;
        let mut args: Option<(&'e str, Vec<&'e Event<'i>>)> = None;
        while let Some(event) = self.next() {
            let key: &'e str = match &event.ev {
                Ev::MapEnd => break,
                Ev::Scalar { value, .. } => value,
                _ => {
                    // A complex key: skip it and its value.
                    self.skip(event);
                    if let Some(value) = self.next() {
                        self.skip(value);
                    }
                    continue;
                }
            };
            let Some(value) = self.next() else {
                return;
            };
            match ty.field(key) {
                Some(Ref::PluginArgs) => args = Some((key, self.gather(value))),
                Some(field) => {
                    if let (true, Ev::Scalar { value: name, .. }) = (key == "name", &value.ev) {
                        plugin = Some(name);
                    }
                    let harmless = match &value.ev {
                        Ev::Scalar { value: v, .. } => super::MODELLED_VALUES
                            .iter()
                            .any(|(f, m)| *f == key && m == v),
                        _ => false,
                    };
                    if let Some(why) = schema.unmodelled(t, key).filter(|_| !harmless) {
                        let mut path = render(&self.path);
                        push_key(&mut path, key);
                        let message = format!("not modelled by kubesim: {why}");
                        self.find(FindingKind::Unmodelled, event, path, message);
                    }
                    self.path.push(Seg::Key(Cow::Borrowed(key)));
                    self.value(value, field);
                    self.path.pop();
                }
                None if key == "<<" => self.skip(value),
                None => {
                    let mut path = render(&self.path);
                    push_key(&mut path, key);
                    let mut message = match self.args_at {
                        Some(at) => {
                            let mut within = render(&self.path[at..]);
                            push_key(&mut within, key);
                            format!("strict decoding error: unknown field {within:?}")
                        }
                        None => format!("unknown field {key:?}"),
                    };
                    if let Some(near) = did_you_mean(key, ty.field_names()) {
                        message.push_str(&format!(" (did you mean {near:?}?)"));
                    }
                    self.find(FindingKind::Unknown, event, path, message);
                    self.skip(value);
                }
            }
        }
        if let Some((key, events)) = args {
            self.plugin_args(plugin.unwrap_or(""), key, events);
        }
    }

    /// The events of the node `first` starts (all of it, nested collections included).
    fn gather(&mut self, first: &'e Event<'i>) -> Vec<&'e Event<'i>> {
        let mut depth = usize::from(matches!(first.ev, Ev::MapStart(_) | Ev::SeqStart(_)));
        let mut events = vec![first];
        while depth > 0 {
            let Some(event) = self.next() else {
                break;
            };
            match event.ev {
                Ev::MapStart(_) | Ev::SeqStart(_) => depth += 1,
                Ev::MapEnd | Ev::SeqEnd => depth -= 1,
                _ => {}
            }
            events.push(event);
        }
        events
    }

    /// `pluginConfig[].args` (under the field `key`) as the args type of `plugin`, strictly
    /// as upstream decodes them; the args of a plugin without an args type (TaintToleration,
    /// an out-of-tree plugin) are not looked at, as upstream leaves them undecoded
    /// (`staging/src/k8s.io/kube-scheduler/config/v1/types.go`, `decodeNestedObjects`).
    fn plugin_args(&mut self, plugin: &str, key: &'e str, events: Vec<&'e Event<'i>>) {
        let Some(root) = self.schema.plugin_args(plugin) else {
            return;
        };
        let mut events = events.into_iter();
        let Some(first) = events.next() else {
            return;
        };
        self.path.push(Seg::Key(Cow::Borrowed(key)));
        let mut sub = Walker {
            events,
            schema: self.schema,
            path: std::mem::take(&mut self.path),
            out: &mut *self.out,
            depth: self.depth,
            args_at: None,
        };
        sub.args_at = Some(sub.path.len());
        sub.value(first, &root);
        self.path = sub.path;
        self.path.pop();
    }

    fn map(&mut self, inner: &Ref) {
        while let Some(event) = self.next() {
            let key = match &event.ev {
                Ev::MapEnd => return,
                Ev::Scalar { value, .. } => Seg::Key(Cow::Borrowed(&**value)),
                _ => {
                    self.skip(event);
                    Seg::Key(Cow::Borrowed("?"))
                }
            };
            let Some(value) = self.next() else {
                return;
            };
            self.path.push(key);
            self.value(value, inner);
            self.path.pop();
        }
    }

    fn list(&mut self, inner: &Ref) {
        let mut i = 0;
        while let Some(event) = self.next() {
            if event.ev == Ev::SeqEnd {
                return;
            }
            self.path.push(Seg::Index(i));
            self.value(event, inner);
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
        let mut key_at_top: Option<&str> = None;
        let mut expect_key = true;
        while depth > 0 {
            let Some(event) = self.next() else {
                return;
            };
            match &event.ev {
                Ev::MapStart(_) | Ev::SeqStart(_) => {
                    if depth == 1 {
                        expect_key = !expect_key;
                    }
                    depth += 1;
                }
                Ev::MapEnd | Ev::SeqEnd => depth -= 1,
                Ev::Scalar { value: text, .. } if depth == 1 => {
                    if expect_key {
                        key_at_top = Some(text);
                    } else {
                        match key_at_top {
                            Some("apiVersion") => api = Some(text.to_string()),
                            Some("kind") => kind = Some(text.to_string()),
                            _ => {}
                        }
                    }
                    expect_key = !expect_key;
                }
                Ev::Alias(_) if depth == 1 => expect_key = !expect_key,
                _ => {}
            }
            events.push(event);
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
