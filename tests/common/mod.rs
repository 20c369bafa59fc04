//! Helpers shared by the scenario tests: the binary, repository paths, a run, a file read.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `kubesim` binary under test.
pub fn kubesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubesim"))
}

/// A path inside the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `kubesim run SCENARIO --out OUT --quiet EXTRA...`, which must succeed.
pub fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    let o = kubesim()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("binary runs");
    assert!(
        o.status.success(),
        "run of {} failed: {}",
        scenario.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A file of a run directory, as text.
pub fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
}

/// The pods.csv row of the pod `name`, split into fields.
pub fn row(pods: &str, name: &str) -> Vec<String> {
    pods.lines()
        .find(|l| l.split(',').nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no pod {name}"))
        .split(',')
        .map(String::from)
        .collect()
}

/// The rows of a run's events.csv with `reason`: (time, object, message).
#[allow(dead_code)]
pub fn events_with(out: &Path, reason: &str) -> Vec<(f64, String, String)> {
    read(out, "events.csv")
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.splitn(5, ',').collect();
            (f.get(2) == Some(&reason)).then(|| {
                let message = f[4].trim_matches('"').replace("\"\"", "\"");
                (f[0].parse().unwrap(), f[3].to_string(), message)
            })
        })
        .collect()
}

/// The scenario at a repository path, loaded.
pub fn load(p: &str) -> kubesim::scenario::Scenario {
    kubesim::scenario::load_scenario(&[repo(p)]).expect("the scenario loads")
}

/// Runs a scenario through the library, with the store's invariant checker after every
/// event and no output.
pub fn run_checked(s: &kubesim::scenario::Scenario) -> kubesim::world::World {
    let registry = kubesim::scheduler::plugins::Registry::in_tree();
    let mut w = kubesim::world::World::new(s, &registry).expect("the world builds");
    w.set_check_invariants(true);
    w.run(&mut kubesim::world::NullSink, &mut |_, _| {})
        .expect("no output to fail");
    w
}

/// Runs the scenario `text` (written to `DIR/bad.yaml`) and checks that it is refused
/// before the run: exit code 1, `expected` in the errors, located at `bad.yaml:LINE:`, and
/// no output directory left behind.
pub fn refused(dir: &Path, text: &str, expected: &str, line: u32) {
    let p = dir.join("bad.yaml");
    std::fs::write(&p, text).unwrap();
    let out = dir.join("out");
    let o = kubesim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(expected), "{expected:?} not in {err}");
    assert!(err.contains(&format!("bad.yaml:{line}:")), "located: {err}");
    assert!(!out.exists());
}
