//! Every shipped scenario's output, pinned: the SHA-256 `output_sha256` that `summary.json`
//! reports over `pods.csv`, `events.csv` and `metrics.csv`. A digest changes only when
//! behaviour changes on purpose (update it here and say why in the commit) or when a
//! dependency bump changes the random draws (then investigate: runs must stay reproducible).
//! Each scenario also runs twice, so this is the determinism test of every scenario.

mod common;

use common::{read, repo, run};

const DIGESTS: &[(&str, &str)] = &[
    (
        "bench-batch-1k",
        "00e3644a36bd2a4b3c01e9dfcf85a3171f06048f37977bdb4a94f5bfc9573473",
    ),
    (
        "bin-packing",
        "2e734727c59c345d1f8329728e2acc31094389ee6ac2ebd92519d728bc02886d",
    ),
    (
        "compare-small",
        "0794ef7d1e850c2a8ca31b8dd2fae842928254e09032fa66f1af73f44e995a5f",
    ),
    (
        "pod-lifecycle",
        "9b051fd0a82b613dc8accc86671a0e96bf8251b196dbb1e0682530f5c9bd6790",
    ),
    (
        "pod-placement",
        "520106b877530c85aa175ee860b03d9871d85007580ffbeb4ed1e22b65af1ac8",
    ),
    (
        "preemption",
        "ab04cbbc48d0186735e67b72e88ba98e906f349fbc6f2a35029f80cbb75ea627",
    ),
    (
        "quickstart",
        "e9d0b2c1d84edfbc97ecf3d6dbe6ddf546aeff0461b9e45687660594d51249a8",
    ),
    (
        "research-algorithms",
        "aa283cf050d2318568d18f1e77ed1e9e23183cee12997619ce7077f7776fb1b8",
    ),
    (
        "trace-replay",
        "372bba21bfc90abe9581c49253ca30e4bfa75d8987ebe2f4dfae89722b9cd3c9",
    ),
    (
        "volumes-and-ports",
        "b978eac81b5b91ff5be57e256b4285465b0dffc48c7a5ce865b2d0b5c7ca400d",
    ),
];

fn digest(scenario: &str, out: &std::path::Path) -> String {
    run(&repo(&format!("scenarios/{scenario}.yaml")), out, &[]);
    let summary: serde_json::Value = serde_json::from_str(&read(out, "summary.json")).unwrap();
    summary["output_sha256"].as_str().unwrap().to_string()
}

#[test]
fn every_shipped_scenario_is_pinned() {
    let mut shipped: Vec<String> = std::fs::read_dir(repo("scenarios"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "yaml").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    shipped.sort();
    let pinned: Vec<&str> = DIGESTS.iter().map(|(s, _)| *s).collect();
    assert_eq!(shipped, pinned, "a scenario without a pinned digest");
}

#[test]
fn every_scenario_gives_its_pinned_bytes_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (scenario, want) in DIGESTS {
        let first = digest(scenario, &tmp.path().join(format!("{scenario}-1")));
        let second = digest(scenario, &tmp.path().join(format!("{scenario}-2")));
        assert_eq!(first, second, "{scenario}: two runs differ");
        if first != *want {
            wrong.push(format!("{scenario}: {first}"));
        }
    }
    assert!(wrong.is_empty(), "digests changed:\n{}", wrong.join("\n"));
}
