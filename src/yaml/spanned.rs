//! A value with the position it was written at.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// The newtype name the document deserializer recognises to hand out a position.
pub(super) const SPANNED: &str = "$kubesim::Spanned";

/// Where a value is: 1-based line (relative to its document) and column; 0 when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SpanLocation {
    line: u32,
    column: u32,
}

impl SpanLocation {
    /// A location.
    pub const fn new(line: u32, column: u32) -> Self {
        SpanLocation { line, column }
    }

    /// 1-based line within the document (0: unknown).
    pub fn line(&self) -> u64 {
        u64::from(self.line)
    }

    /// 1-based column (0: unknown).
    pub fn column(&self) -> u64 {
        u64::from(self.column)
    }
}

/// A value together with where it appears (lines relative to its document).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub referenced: SpanLocation,
}

impl<T> Spanned<T> {
    /// A value at a location.
    pub const fn new(value: T, referenced: SpanLocation) -> Self {
        Spanned { value, referenced }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
                let mut line = 0;
                let mut column = 0;
                while let Some(key) = map.next_key::<&str>()? {
                    match key {
                        "line" => line = map.next_value()?,
                        "column" => column = map.next_value()?,
                        _ => {
                            let value = map.next_value()?;
                            return Ok(Spanned::new(value, SpanLocation::new(line, column)));
                        }
                    }
                }
                Err(de::Error::missing_field("value"))
            }
            // Other deserializers: the value without a position.
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Spanned<T>, D::Error> {
                T::deserialize(d).map(|value| Spanned::new(value, SpanLocation::default()))
            }
        }
        d.deserialize_newtype_struct(SPANNED, V(PhantomData))
    }
}
