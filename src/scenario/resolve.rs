//! (being written)
use super::{LoadError, Scenario};
/// Loads a scenario.
pub fn load_scenario(_paths: &[std::path::PathBuf]) -> Result<Scenario, Vec<LoadError>> {
    Err(vec![])
}
