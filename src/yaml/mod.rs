//! YAML documents as kubesim reads them: parsed once into a flat list of node events
//! ([`events`]), by a fast scanner for the block style nearly every manifest is written in
//! and by the full YAML parser otherwise, then read into typed values by serde ([`from_events`])
//! with each error placed at its node and field path, and leaves that keep their position
//! ([`Spanned`]).

pub mod events;
mod fast;
mod reader;
mod spanned;

pub use events::Event;
pub use reader::{DeError, from_events};
pub use spanned::{SpanLocation, Spanned};

/// `T` from one YAML document's text (positions relative to it).
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DeError> {
    let events = events::parse(text).map_err(|e| DeError {
        message: format!("invalid YAML: {}", e.message),
        line: e.line,
        column: e.column,
        path: Some(String::new()),
    })?;
    from_events(&events, std::marker::PhantomData::<T>)
}
