//! Helpers of the loader's tests: a minimal Simulation, files written to a temporary
//! directory and loaded, and ways to look at the result.

use super::{LoadError, Scenario, load_scenario};
use crate::api::pod::Pod;
use std::path::{Path, PathBuf};

/// A minimal Simulation: one pool of 3 nodes over zones a and b; `extra` is appended to the
/// document (indent it by two spaces to add `spec` fields).
pub(super) fn sim(extra: &str) -> String {
    format!(
        "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {{name: t}}
spec:
  duration: 1h
  cluster:
    nodePools:
    - name: pool
      count: 3
      zones: [a, b]
      template:
        status:
          capacity:
            cpu: \"4\"
            memory: 16Gi
{extra}"
    )
}

/// A Pod manifest named `p`.
pub(super) const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: 500m, memory: 1Gi}}
";

/// Writes `files` (relative name, text) into a fresh directory and loads the first one.
pub(super) fn load(
    files: &[(&str, &str)],
) -> (tempfile::TempDir, PathBuf, Result<Scenario, Vec<LoadError>>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    let main = dir.path().join(files[0].0);
    let result = load_scenario(std::slice::from_ref(&main));
    (dir, main, result)
}

/// Loads and expects no error.
pub(super) fn ok(files: &[(&str, &str)]) -> Scenario {
    let (_dir, _, result) = load(files);
    match result {
        Ok(s) => s,
        Err(errs) => panic!("unexpected errors:\n{}", display(&errs)),
    }
}

/// Loads and expects errors; checks each one's Display starts with a loaded file's path.
pub(super) fn errs(files: &[(&str, &str)]) -> (PathBuf, Vec<LoadError>) {
    let (dir, main, result) = load(files);
    let errs = match result {
        Ok(_) => panic!("expected errors for {files:?}"),
        Err(e) => e,
    };
    assert!(!errs.is_empty());
    for e in &errs {
        let shown = e.to_string();
        assert!(
            shown.starts_with(&dir.path().display().to_string()),
            "{shown}"
        );
    }
    (main, errs)
}

/// The errors, one per line.
pub(super) fn display(errs: &[LoadError]) -> String {
    errs.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The pod of that name.
pub(super) fn pod_named<'a>(s: &'a Scenario, name: &str) -> &'a Pod {
    s.pods
        .iter()
        .find(|p| p.meta.name == name)
        .unwrap_or_else(|| panic!("no pod {name}"))
}

/// Line and column (1-based) of the first occurrence of `needle` in `text`.
pub(super) fn position(text: &str, needle: &str) -> (u32, u32) {
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line.find(needle) {
            return (i as u32 + 1, c as u32 + 1);
        }
    }
    panic!("{needle:?} not in text")
}

/// Writes `text` to `dir/name` (directories created) and returns the path.
pub(super) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}
