//! `kind: List` documents (as `kubectl get -o yaml` writes them): each item is read as the
//! kind it names, and a bad item is reported with its `items[i]` path and skipped.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::documents::{Collector, KindSeed, TypeMeta};
use super::kinds::{Kind, Manifest};
use super::yaml::{Event, LoadError, Located, Spanned, abs_line, read_events};
use std::marker::PhantomData;

/// Most errors reported for a single `kind: List` document before giving up on it.
const MAX_LIST_ERRORS: usize = 100;

/// `kind`/`apiVersion` of a value if it is a mapping with string values for them.
#[derive(Default)]
pub(super) struct KindProbe {
    /// `kind`, when a string.
    pub kind: Option<String>,
    /// `apiVersion`, when a string.
    pub api_version: Option<String>,
}

/// A scalar's text if it is a string; anything else is consumed and ignored.
struct LenientStr(Option<String>);

macro_rules! ignore_other_visits {
    ($ret:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_seq(seq).map(|_| $ret)
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_enum(data).map(|_| $ret)
        }
    };
}

impl<'de> Deserialize<'de> for LenientStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientStr, E> {
                Ok(LenientStr(Some(v.to_owned())))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientStr, D::Error> {
                LenientStr::deserialize(d)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<LenientStr, D::Error> {
                LenientStr::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientStr, A::Error> {
                IgnoredAny.visit_map(map).map(|_| LenientStr(None))
            }
            ignore_other_visits!(LenientStr(None));
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for KindProbe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KindProbe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<KindProbe, E> {
                Ok(KindProbe::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<KindProbe, D::Error> {
                KindProbe::deserialize(d)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<KindProbe, D::Error> {
                KindProbe::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindProbe, A::Error> {
                let mut probe = KindProbe::default();
                while let Some(LenientStr(key)) = map.next_key()? {
                    match key.as_deref() {
                        Some("kind") => probe.kind = map.next_value::<LenientStr>()?.0,
                        Some("apiVersion") => probe.api_version = map.next_value::<LenientStr>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(probe)
            }
            ignore_other_visits!(KindProbe::default());
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListProbe {
    items: Vec<Spanned<KindProbe>>,
}

#[derive(Clone, Copy)]
enum ItemPlan {
    Skip,
    Strict,
    Kind(&'static Kind),
}

struct ListSeed<'a> {
    plans: &'a [ItemPlan],
    current: &'a Cell<Option<usize>>,
}

/// Each item read, with its index in `items`.
type Items = Vec<(usize, Manifest)>;

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Items;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Items;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a List object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                items = map.next_value_seed(ItemsSeed {
                    plans: self.plans,
                    current: self.current,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items)
    }
}

struct ItemsSeed<'a> {
    plans: &'a [ItemPlan],
    current: &'a Cell<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Items;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Items;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut index = 0usize;
        loop {
            self.current.set(Some(index));
            let plan = self.plans.get(index).copied().unwrap_or(ItemPlan::Skip);
            match seq.next_element_seed(ItemSeed(plan))? {
                Some(Some(m)) => out.push((index, m)),
                Some(None) => {}
                None => break,
            }
            index += 1;
        }
        self.current.set(None);
        Ok(out)
    }
}

struct ItemSeed(ItemPlan);

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<Manifest>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            ItemPlan::Skip => IgnoredAny::deserialize(d).map(|_| None),
            ItemPlan::Kind(k) => KindSeed(k).deserialize(d).map(Some),
            ItemPlan::Strict => {
                TypeMeta::deserialize(d)?;
                Err(de::Error::missing_field("kind"))
            }
        }
    }
}

/// Reads the items of a `kind: List` document.
pub(super) fn load_list(file: &Path, events: &[Event<'_>], first_line: u32, c: &mut Collector) {
    let probe: ListProbe = match read_events(file, events, first_line, PhantomData) {
        Ok(p) => p,
        Err(e) => {
            c.outcome.errors.push(e);
            return;
        }
    };
    let mut plans = Vec::with_capacity(probe.items.len());
    for (index, item) in probe.items.iter().enumerate() {
        let item_line = abs_line(first_line, item.referenced.line());
        let plan = match item.value.kind.as_deref() {
            None => ItemPlan::Strict,
            Some(kind) => match Kind::named(kind) {
                None => {
                    c.note_unknown(kind, item.value.api_version.as_deref(), file, item_line);
                    ItemPlan::Skip
                }
                Some(k) => match k.check_version(item.value.api_version.as_deref()) {
                    Ok(None) => ItemPlan::Kind(k),
                    Ok(Some(w)) => {
                        c.outcome.warnings.push(format!(
                            "{}:{item_line}: items[{index}]: {w}",
                            file.display()
                        ));
                        ItemPlan::Kind(k)
                    }
                    Err(msg) => {
                        let column = u32::try_from(item.referenced.column()).unwrap_or(u32::MAX);
                        let path = format!("items[{index}].apiVersion");
                        c.outcome
                            .errors
                            .push(LoadError::at(file, item_line, column, path, msg));
                        ItemPlan::Skip
                    }
                },
            },
        };
        plans.push(plan);
    }
    // Deserialize all items; when one fails, record the error, skip that item and retry.
    let mut reported: Vec<LoadError> = Vec::new();
    let mut skipped = BTreeSet::new();
    loop {
        let current = Cell::new(None);
        let seed = ListSeed {
            plans: &plans,
            current: &current,
        };
        match read_events(file, events, first_line, seed) {
            Ok(items) => {
                c.outcome
                    .manifests
                    .extend(items.into_iter().map(|(index, value)| Located {
                        value,
                        file: file.to_path_buf(),
                        line: first_line,
                        item: u32::try_from(index).ok(),
                    }));
                break;
            }
            Err(e) => {
                if !reported.contains(&e) {
                    reported.push(e);
                }
                match current.get() {
                    Some(i)
                        if i < plans.len()
                            && skipped.insert(i)
                            && reported.len() < MAX_LIST_ERRORS =>
                    {
                        if let Some(p) = plans.get_mut(i) {
                            *p = ItemPlan::Skip;
                        }
                    }
                    _ => break,
                }
            }
        }
    }
    c.outcome.errors.extend(reported);
}
