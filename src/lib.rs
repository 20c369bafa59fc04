//! kubesim (partial build)
pub mod api;
pub mod engine;
pub mod scheduler;
pub mod store;
