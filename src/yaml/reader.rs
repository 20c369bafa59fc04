//! serde over a document's [`Event`]s: the typed manifests are read from the events the
//! document was parsed into once. Plain scalars are typed by the YAML 1.2 core schema (null,
//! booleans, integers, floats); merge keys (`<<: *base`) and aliases are followed within a
//! budget, so that no document can make the loader work without bound. An error carries the
//! position and field path of the node it is about.

use super::events::{Ev, Event, Style, anchors, skip};
use super::spanned::SPANNED;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use std::cell::Cell;
use std::fmt;

/// Nodes read (aliases count each time they are followed) before the loader gives up.
const BUDGET: u64 = 50_000_000;
/// Deepest nesting read.
const MAX_DEPTH: u32 = 256;

/// A deserialization error at a node: position relative to its document, field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    /// What is wrong.
    pub message: String,
    /// 1-based line, 0 until the error is placed.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Field path (`spec.containers[0].name`), set when the error is placed.
    pub path: Option<String>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.path.as_deref().filter(|p| !p.is_empty()) {
            write!(f, "{p}: ")?;
        }
        f.write_str(&self.message)?;
        if self.line > 0 {
            write!(f, " at line {} column {}", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            line: 0,
            column: 0,
            path: None,
        }
    }
}

/// One step of a field path, linked to its parent on the stack.
#[derive(Clone, Copy)]
struct PathNode<'p> {
    parent: Option<&'p PathNode<'p>>,
    seg: Seg<'p>,
    depth: u32,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Key(&'p str),
    Index(usize),
}

impl PathNode<'_> {
    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            segs.push(n.seg);
            node = n.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// What every deserializer of one document shares.
struct Doc<'e, 'a> {
    events: &'e [Event<'a>],
    anchors: Vec<(usize, usize)>,
    budget: Cell<u64>,
}

impl Doc<'_, '_> {
    /// The node an alias at `i` stands for (the latest anchor of its id before it).
    fn resolve(&self, i: usize) -> usize {
        match self.events.get(i).map(|e| &e.ev) {
            Some(Ev::Alias(id)) => self
                .anchors
                .iter()
                .rev()
                .find(|&&(a, at)| a == *id && at < i)
                .map_or(i, |&(_, at)| at),
            _ => i,
        }
    }
}

/// Reads `seed` from a whole document's events.
pub fn from_events<'de, S: DeserializeSeed<'de>>(
    events: &[Event<'de>],
    seed: S,
) -> Result<S::Value, DeError> {
    let doc = Doc {
        events,
        anchors: anchors(events),
        budget: Cell::new(BUDGET),
    };
    let root = PathNode {
        parent: None,
        seg: Seg::Root,
        depth: 0,
    };
    if events.is_empty() {
        // An empty document reads as null.
        return seed.deserialize(().into_deserializer());
    }
    let de = De {
        doc: &doc,
        at: 0,
        path: &root,
    };
    seed.deserialize(de).map_err(|e| place(e, &doc, 0, &root))
}

/// Places an error that has no position yet at the node `at`.
fn place(mut e: DeError, doc: &Doc<'_, '_>, at: usize, path: &PathNode<'_>) -> DeError {
    if e.path.is_none() {
        let ev = &doc.events[at.min(doc.events.len().saturating_sub(1))];
        e.line = ev.line;
        e.column = ev.column;
        e.path = Some(path.render());
    }
    e
}

/// The deserializer of the node at event `at`.
#[derive(Clone, Copy)]
struct De<'d, 'e, 'a, 'p> {
    doc: &'d Doc<'e, 'a>,
    at: usize,
    path: &'p PathNode<'p>,
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn as_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn as_int(s: &str) -> Option<i128> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i128::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -value } else { value })
}

fn as_float(s: &str) -> Option<f64> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let ok = body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if ok { s.parse().ok() } else { None }
}

impl<'d, 'e, 'a, 'p> De<'d, 'e, 'a, 'p> {
    fn event(&self) -> &'d Event<'a> {
        &self.doc.events[self.at]
    }

    /// The node itself (aliases followed), counted against the budget.
    fn node(&self) -> Result<(usize, &'d Ev<'a>), DeError> {
        let left = self.doc.budget.get();
        if left == 0 {
            return Err(de::Error::custom(
                "the document expands to too many nodes (aliases)",
            ));
        }
        self.doc.budget.set(left - 1);
        if self.path.depth > MAX_DEPTH {
            return Err(de::Error::custom("the document is nested too deeply"));
        }
        let at = self.doc.resolve(self.at);
        Ok((at, &self.doc.events[at].ev))
    }

    /// The scalar's text and style, or `None` for a collection.
    fn scalar(&self) -> Result<Option<(&'d str, Style)>, DeError> {
        Ok(match self.node()?.1 {
            Ev::Scalar { value, style, .. } => Some((value, *style)),
            _ => None,
        })
    }

    fn unexpected(&self) -> Result<Unexpected<'d>, DeError> {
        Ok(match self.node()?.1 {
            Ev::Scalar { value, style, .. } => match style {
                Style::Plain if is_null(value) => Unexpected::Unit,
                _ => Unexpected::Str(value),
            },
            Ev::MapStart(_) => Unexpected::Map,
            Ev::SeqStart(_) => Unexpected::Seq,
            _ => Unexpected::Other("the end of a collection"),
        })
    }

    fn invalid<V>(&self, exp: &dyn de::Expected) -> Result<V, DeError> {
        Err(de::Error::invalid_type(self.unexpected()?, exp))
    }

    fn integer<V: Visitor<'a>>(self, visitor: V, unsigned: bool) -> Result<V::Value, DeError> {
        let what = if unsigned {
            "a non-negative integer"
        } else {
            "an integer"
        };
        match self.scalar()? {
            Some((s, Style::Plain)) => match as_int(s) {
                Some(v) if v >= 0 => match u64::try_from(v) {
                    Ok(v) => visitor.visit_u64(v),
                    Err(_) => Err(de::Error::custom(format!("{s} is too large"))),
                },
                Some(v) => match i64::try_from(v) {
                    Ok(v) => visitor.visit_i64(v),
                    Err(_) => Err(de::Error::custom(format!("{s} is too small"))),
                },
                None => Err(de::Error::custom(format!("expected {what}, got {s:?}"))),
            },
            Some((s, Style::Quoted)) => {
                Err(de::Error::custom(format!("expected {what}, got {s:?}")))
            }
            None => self.invalid(&what),
        }
    }

    /// Deserializes the node at `at` under `seg`, placing its errors there.
    fn child<'q, T: DeserializeSeed<'a>>(
        &self,
        at: usize,
        seg: Seg<'q>,
        seed: T,
    ) -> Result<T::Value, DeError>
    where
        'p: 'q,
    {
        let node = PathNode {
            parent: Some(self.path),
            seg,
            depth: self.path.depth + 1,
        };
        let de = De {
            doc: self.doc,
            at,
            path: &node,
        };
        seed.deserialize(de)
            .map_err(|e| place(e, self.doc, at, &node))
    }
}

impl<'de, 'd, 'e, 'p> Deserializer<'de> for De<'d, 'e, 'de, 'p> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (at, ev) = self.node()?;
        match ev {
            Ev::Scalar { value, style, .. } => {
                if *style == Style::Quoted {
                    return visitor.visit_str(value);
                }
                if is_null(value) {
                    return visitor.visit_unit();
                }
                if let Some(b) = as_bool(value) {
                    return visitor.visit_bool(b);
                }
                if let Some(i) = as_int(value) {
                    if let Ok(u) = u64::try_from(i) {
                        return visitor.visit_u64(u);
                    }
                    if let Ok(i) = i64::try_from(i) {
                        return visitor.visit_i64(i);
                    }
                }
                if let Some(f) = as_float(value) {
                    return visitor.visit_f64(f);
                }
                visitor.visit_str(value)
            }
            Ev::MapStart(_) => visitor.visit_map(Map::new(&self, at)?),
            Ev::SeqStart(_) => visitor.visit_seq(Seq::new(&self, at)),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar()? {
            Some((s, Style::Plain)) if as_bool(s).is_some() => {
                visitor.visit_bool(as_bool(s).unwrap_or_default())
            }
            Some((s, _)) => Err(de::Error::custom(format!(
                "expected true or false, got {s:?}"
            ))),
            None => self.invalid(&visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, false)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, false)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, false)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, false)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, true)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, true)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, true)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.integer(v, true)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar()? {
            Some((s, Style::Plain)) => match as_float(s) {
                Some(f) => visitor.visit_f64(f),
                None => Err(de::Error::custom(format!("expected a number, got {s:?}"))),
            },
            Some((s, Style::Quoted)) => {
                Err(de::Error::custom(format!("expected a number, got {s:?}")))
            }
            None => self.invalid(&visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar()? {
            Some((s, _)) => visitor.visit_str(s),
            None => self.invalid(&visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar()? {
            Some((s, Style::Plain)) if is_null(s) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar()? {
            Some((s, Style::Plain)) if is_null(s) => visitor.visit_unit(),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED {
            self.node()?;
            let e = self.event();
            return visitor.visit_map(SpanAccess {
                de: Some(self),
                line: e.line,
                column: e.column,
                step: 0,
            });
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (at, ev) = self.node()?;
        match ev {
            Ev::SeqStart(_) => visitor.visit_seq(Seq::new(&self, at)),
            Ev::Scalar { value, style, .. } if *style == Style::Plain && is_null(value) => {
                visitor.visit_seq(Seq::empty(&self))
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (at, ev) = self.node()?;
        match ev {
            Ev::MapStart(_) => visitor.visit_map(Map::new(&self, at)?),
            Ev::Scalar { value, style, .. } if *style == Style::Plain && is_null(value) => {
                visitor.visit_map(Map::empty(&self))
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (at, ev) = self.node()?;
        match ev {
            Ev::Scalar { value, .. } => visitor.visit_enum(value.as_ref().into_deserializer()),
            Ev::MapStart(_) => {
                let map = Map::new(&self, at)?;
                if map.entries.len() != 1 {
                    return Err(de::Error::custom(
                        "expected a mapping with exactly one key (an enum variant)",
                    ));
                }
                visitor.visit_enum(map)
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.node()?;
        visitor.visit_unit()
    }
}

/// A mapping's entries, merge keys expanded: `(key event, value event)`.
struct Map<'d, 'e, 'a, 'p> {
    de: De<'d, 'e, 'a, 'p>,
    entries: Vec<(usize, usize)>,
    next: usize,
}

impl<'d, 'e, 'a, 'p> Map<'d, 'e, 'a, 'p> {
    fn new(de: &De<'d, 'e, 'a, 'p>, at: usize) -> Result<Self, DeError> {
        let mut entries = Vec::new();
        collect_entries(de.doc, at, &mut entries, 0)?;
        Ok(Map {
            de: *de,
            entries,
            next: 0,
        })
    }

    fn empty(de: &De<'d, 'e, 'a, 'p>) -> Self {
        Map {
            de: *de,
            entries: Vec::new(),
            next: 0,
        }
    }

    fn key_text(&self, key: usize) -> Option<&'d str> {
        match &self.de.doc.events[self.de.doc.resolve(key)].ev {
            Ev::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// Appends the entries of the mapping at `at`: its own keys first, then those of the
/// mappings it merges (`<<`) that it does not set itself.
fn collect_entries(
    doc: &Doc<'_, '_>,
    at: usize,
    out: &mut Vec<(usize, usize)>,
    depth: u32,
) -> Result<(), DeError> {
    if depth > 32 {
        return Err(de::Error::custom("merge keys nested too deeply"));
    }
    let events = doc.events;
    let start = out.len();
    let mut merges = Vec::new();
    let mut i = at + 1;
    while i < events.len() && events[i].ev != Ev::MapEnd {
        let key = i;
        let value = skip(events, key);
        let is_merge = matches!(&events[key].ev,
            Ev::Scalar { value, style: Style::Plain, .. } if value == "<<");
        if is_merge {
            merges.push(value);
        } else {
            out.push((key, value));
        }
        i = skip(events, value);
    }
    for m in merges {
        let m = doc.resolve(m);
        let mut sources = Vec::new();
        match events[m].ev {
            Ev::MapStart(_) => sources.push(m),
            Ev::SeqStart(_) => {
                let mut j = m + 1;
                while j < events.len() && events[j].ev != Ev::SeqEnd {
                    sources.push(doc.resolve(j));
                    j = skip(events, j);
                }
            }
            _ => {
                return Err(de::Error::custom(
                    "a merge key (<<) takes a mapping or a list of mappings",
                ));
            }
        }
        for s in sources {
            if !matches!(events[s].ev, Ev::MapStart(_)) {
                return Err(de::Error::custom(
                    "a merge key (<<) takes a mapping or a list of mappings",
                ));
            }
            let mut merged = Vec::new();
            collect_entries(doc, s, &mut merged, depth + 1)?;
            for (k, v) in merged {
                let text = |i: usize| match &events[doc.resolve(i)].ev {
                    Ev::Scalar { value, .. } => Some(value.as_ref()),
                    _ => None,
                };
                let taken = out[start..].iter().any(|&(o, _)| text(o) == text(k));
                if !taken {
                    out.push((k, v));
                }
            }
        }
    }
    Ok(())
}

impl<'de, 'd, 'e, 'p> MapAccess<'de> for Map<'d, 'e, 'de, 'p> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(&(key, _)) = self.entries.get(self.next) else {
            return Ok(None);
        };
        let de = De { at: key, ..self.de };
        seed.deserialize(de)
            .map(Some)
            .map_err(|e| place(e, self.de.doc, key, self.de.path))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, value) = self.entries[self.next];
        self.next += 1;
        let seg = match self.key_text(key) {
            Some(k) => Seg::Key(k),
            None => Seg::Key("?"),
        };
        self.de.child(value, seg, seed)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

impl<'de, 'd, 'e, 'p> EnumAccess<'de> for Map<'d, 'e, 'de, 'p> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        mut self,
        seed: S,
    ) -> Result<(S::Value, Self), DeError> {
        let value = self.next_key_seed(seed)?;
        match value {
            Some(v) => Ok((v, self)),
            None => Err(de::Error::custom("expected an enum variant")),
        }
    }
}

impl<'de, 'd, 'e, 'p> VariantAccess<'de> for Map<'d, 'e, 'de, 'p> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        mut self,
        seed: T,
    ) -> Result<T::Value, DeError> {
        self.next_value_seed(seed)
    }

    fn tuple_variant<V: Visitor<'de>>(
        mut self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.next_value_seed(SeqSeed(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        mut self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.next_value_seed(MapSeed(visitor))
    }
}

struct SeqSeed<V>(V);
impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for SeqSeed<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_seq(self.0)
    }
}

struct MapSeed<V>(V);
impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for MapSeed<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(self.0)
    }
}

/// A sequence's items.
struct Seq<'d, 'e, 'a, 'p> {
    de: De<'d, 'e, 'a, 'p>,
    next: usize,
    index: usize,
}

impl<'d, 'e, 'a, 'p> Seq<'d, 'e, 'a, 'p> {
    fn new(de: &De<'d, 'e, 'a, 'p>, at: usize) -> Self {
        Seq {
            de: *de,
            next: at + 1,
            index: 0,
        }
    }

    fn empty(de: &De<'d, 'e, 'a, 'p>) -> Self {
        Seq {
            de: *de,
            next: usize::MAX,
            index: 0,
        }
    }
}

impl<'de, 'd, 'e, 'p> SeqAccess<'de> for Seq<'d, 'e, 'de, 'p> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let events = self.de.doc.events;
        match events.get(self.next) {
            None | Some(Event { ev: Ev::SeqEnd, .. }) => Ok(None),
            Some(_) => {
                let at = self.next;
                self.next = skip(events, at);
                let index = self.index;
                self.index += 1;
                self.de.child(at, Seg::Index(index), seed).map(Some)
            }
        }
    }
}

/// The synthesized mapping a [`super::Spanned`] reads: `line`, `column`, then `value`.
struct SpanAccess<'d, 'e, 'a, 'p> {
    de: Option<De<'d, 'e, 'a, 'p>>,
    line: u32,
    column: u32,
    step: u8,
}

impl<'de, 'd, 'e, 'p> MapAccess<'de> for SpanAccess<'d, 'e, 'de, 'p> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let key = match self.step {
            0 => "line",
            1 => "column",
            2 => "value",
            _ => return Ok(None),
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        self.step += 1;
        match self.step {
            1 => seed.deserialize(self.line.into_deserializer()),
            2 => seed.deserialize(self.column.into_deserializer()),
            _ => match self.de.take() {
                Some(de) => seed.deserialize(de),
                None => Err(de::Error::custom("value read twice")),
            },
        }
    }
}
