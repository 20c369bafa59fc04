//! Property tests of the scenario loader: whatever the input, `load_scenario` never panics,
//! and when it fails every error names the file it is about.

use kubesim::scenario::load_scenario;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const QUICKSTART: &str = include_str!("../scenarios/quickstart.yaml");

/// Tokens put in place of a scalar: numbers out of range, malformed quantities, distributions
/// and durations, YAML flow openers and nulls.
const TOKENS: &[&str] = &[
    "-1",
    "0",
    "1..5",
    "[",
    "]",
    "{}",
    "[]",
    "null",
    "~",
    "exponential(",
    "uniform(1s)",
    "choice()",
    "99999999999999999999Gi",
    "1e309",
    "-0.5",
    "\"\"",
    "'",
    "&a",
    "*a",
    "!!binary x",
    "true",
    "Always",
    "---",
    "#",
    "yes: no",
];

/// Writes `text` to `dir/s.yaml` and loads it.
fn check(dir: &Path, text: &[u8]) -> Result<(), TestCaseError> {
    let file: PathBuf = dir.join("s.yaml");
    std::fs::write(&file, text).unwrap();
    match load_scenario(std::slice::from_ref(&file)) {
        Ok(_) => {}
        Err(errors) => {
            prop_assert!(!errors.is_empty(), "Err with no errors");
            let prefix = file.display().to_string();
            for e in &errors {
                let shown = e.to_string();
                prop_assert!(shown.starts_with(&prefix), "{shown}");
            }
        }
    }
    Ok(())
}

/// Byte ranges of the scalar values of `key: value` lines and `- value` items.
fn scalar_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let trimmed = body.trim_start();
        if !trimmed.starts_with('#') {
            let start = if let Some(i) = body.find(": ") {
                Some(i + 2)
            } else {
                trimmed
                    .strip_prefix("- ")
                    .map(|_| body.len() - trimmed.len() + 2)
            };
            if let Some(start) = start {
                let end = body[start..]
                    .find(" #")
                    .map_or(body.len(), |e| start + e)
                    .max(start);
                if end > start {
                    spans.push((offset + start, offset + end));
                }
            }
        }
        offset += line.len();
    }
    spans
}

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    ReplaceScalar(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(s, t)| Mutation::ReplaceScalar(s, t)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    match *m {
        Mutation::DeleteLine(i) | Mutation::DuplicateLine(i) => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            let i = i % lines.len();
            if matches!(m, Mutation::DeleteLine(_)) {
                lines.remove(i);
            } else {
                lines.insert(i, lines[i]);
            }
            lines.concat()
        }
        Mutation::ReplaceScalar(s, t) => {
            let spans = scalar_spans(text);
            let (a, b) = spans[s % spans.len()];
            format!("{}{}{}", &text[..a], TOKENS[t], &text[b..])
        }
    }
}

#[test]
fn quickstart_loads_unmutated() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, QUICKSTART).unwrap();
    let s = load_scenario(&[file]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(s.name, "quickstart");
    assert!(scalar_spans(QUICKSTART).len() > 50);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), &bytes)?;
    }

    #[test]
    fn arbitrary_text_after_a_simulation_never_panics(
        tail in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = b"apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: x}\nspec:\n  duration: 1h\n".to_vec();
        text.extend_from_slice(&tail);
        check(dir.path(), &text)?;
    }

    #[test]
    fn mutated_quickstart_never_panics(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = QUICKSTART.to_string();
        for m in &mutations {
            text = apply(&text, m);
        }
        check(dir.path(), text.as_bytes())?;
    }
}
