//! Every shipped scenario's output, pinned: the SHA-256 `output_sha256` that `summary.json`
//! reports over `pods.csv`, `events.csv` and `metrics.csv`. A digest changes only when
//! behaviour changes on purpose (update it here and say why in the commit) or when a
//! dependency bump changes the random draws (then investigate: runs must stay reproducible).
//! Each scenario also runs twice, and its plots and report.html must come out byte for byte
//! the same, so this is the determinism test of every scenario (the gallery's included).

mod common;

use common::{read, repo, run};
use std::path::Path;

const DIGESTS: &[(&str, &str)] = &[
    (
        "bench-batch-1k",
        "0e2e580fdc3c16f2bdb3bb829faad0e7a5925b13e4bc3eeb880c7d1bd584c737",
    ),
    (
        "bin-packing",
        "5c736b58c7591e75c7e0ecc140f805b3f2f81465a505689289a0f2d4d4426be3",
    ),
    (
        "compare-small",
        "b5b06f5ebeb71710add47928002181a1110f6a2c15efa0e00ffd00e7ae3994a7",
    ),
    (
        "hpa-capacity",
        "8779644700d1aaf5a31d7b59fca50cf29399a815c8308d90103956acafe017a0",
    ),
    (
        "pod-lifecycle",
        "fa82ba3f9875a75a2bf279f20a5dd404af4f51b394c283e62862de4242f32a55",
    ),
    (
        "pod-placement",
        "bea10529e2dce0baedcd3f9e20921ffe79e866ee3acaef9836756cea5e9844e3",
    ),
    (
        "preemption",
        "d3db7697cdb16eae85decdeb9da703cd6b99dd58df4b27850eb4d434610f873b",
    ),
    (
        "quickstart",
        "a79f842f195c260cff21c0783caa50d983b7cd19347db97a941b58ee91bb1bd2",
    ),
    (
        "research-algorithms",
        "43bcadcc15fb86ee2deac7938e2104ce8d5962ebb184a33d208545a1b20bd63f",
    ),
    (
        "rolling-update",
        "db0e3bfc65047bebea1f15c247b23419a453b64b1b4b64dd3150e8cf1adc0c59",
    ),
    (
        "trace-replay",
        "61fb3f37efbb857f1ef0905934c3ba76c320d6ebc8d99d5c687597dd9aea3a21",
    ),
    (
        "volumes-and-ports",
        "a5709530684e8b7681084348e221625c40dcddad33fb34cdf56088a7023fbd7e",
    ),
    (
        "learn/01-scheduling-insufficient-cpu",
        "82effc098de9640c453710dc4c8e34c0efbca6139c470789b057bf23d4cf0838",
    ),
    (
        "learn/02-labels-and-selectors",
        "71a28273633246657f0e603f107f9c22e4b76a3dc964fe17edd70eb43ffe1ab4",
    ),
    (
        "learn/03-taints-and-tolerations",
        "b00f5dab98909d2eb2ce06870251cb6bd92d6e93061a0a0dc36ff465d16ad775",
    ),
    (
        "learn/04-node-affinity",
        "e321abc8225b313a7faba7551520a1012186775317a347152a2823c2232b22ff",
    ),
    (
        "learn/05-pod-affinity-and-topology-spread",
        "8a4f097f3720feaf6d9151e0c666a9714e5b37fe93c038a35301c81deb2ff26e",
    ),
    (
        "learn/06-priority-and-preemption",
        "b867374cfb7a60a12dabadea9daded6d07e2dd7824e3ef8acc78657cf2de0983",
    ),
    (
        "learn/07-volumes-and-zones",
        "85c261974b06a49059a54e9c45c24d455f8fbc821fc09d295ec4c6d1f774f9b7",
    ),
    (
        "learn/08-jobs-and-retries",
        "da017d84388799497df76e56ee5051dc9425c49415639844556f292943d5016e",
    ),
    (
        "learn/09-crashloopbackoff",
        "911a6e306c1a98b5e0c697fa7c0417a173bc2e4fd866fcc352be2d10085584d5",
    ),
    (
        "learn/10-replicaset-self-healing",
        "3dc9e425caec013fda678c2f28861f85a6a98d22c658bf8c7c9400bcde6c8af8",
    ),
    (
        "learn/11-rolling-update",
        "1fd362af8ea97f636a273b788164afaf2883be73614ef4ac91363349691dcc68",
    ),
    (
        "learn/12-daemonset-growing-pool",
        "efb9fcd7b994e6f9eefaaac9d7df67ea795c4b1f2a74a1cf85e12c7dee02d7b3",
    ),
    (
        "learn/13-statefulset-ordered-scale-up",
        "af73c6429cd5c3e6d16429ed15868cbff8e38a5c015beb176b30084580448139",
    ),
    (
        "learn/14-quota-blocks-scale-up",
        "beda3c812774242c109457bcedbc1307f1e796ef94694a25ecdf8c2e1aa18f84",
    ),
    (
        "learn/15-drain-held-by-pdb",
        "28a6e187372b9bc282b3a8ea0752061fd054da70998b34b7d720a259d9acac8f",
    ),
    (
        "learn/16-hpa-traffic-spike",
        "8a728f017e59fac62751876f25864f1bc102032bb4ee48746eabad412a52fd86",
    ),
    (
        "learn/17-hpa-diurnal-day",
        "23cba023bbbe1bab9cf5b09ae47a6e381daf315050984400a3b49a37ce160be1",
    ),
    (
        "learn/18-hpa-scale-down-stabilization",
        "06089f5a1212eab544431efb47d69fe29a42efa3a75f83f58961a3704b341fc8",
    ),
    (
        "learn/19-hpa-new-pods-without-metrics",
        "8056e08eb42bfe07df55951c20db88981b7d46fe1fd57e0112f6d8f1663ff534",
    ),
    (
        "learn/20-node-crash-at-peak",
        "1c5f5c2bac3a532be1a878e261894286d40a5eb0997c810d062d8474a6c50159",
    ),
    (
        "learn/21-short-toleration-seconds",
        "92babb07a0b193cb113ff8bcb1f916dc98ee4ed290f73f29a235521f700e666f",
    ),
    (
        "learn/22-zone-outage-and-topology-spread",
        "8aa99b2cadd4f64a8fb9adc27522d6011dacd88992cfdc4199419e6a2941f627",
    ),
    (
        "learn/23-a-week-of-node-failures",
        "fd3d8a446a49e840d5b772019df52b179262f84e522df573820be3e369a8e24e",
    ),
    (
        "learn/24-spot-interruptions-under-load",
        "18dce19d0ab7e6395a6c690c07102d0c4788952b0c2a36f4bbeb0406fb5c8ee9",
    ),
];

fn digest(scenario: &str, out: &Path) -> String {
    run(&repo(&format!("scenarios/{scenario}.yaml")), out, &[]);
    let summary: serde_json::Value = serde_json::from_str(&read(out, "summary.json")).unwrap();
    summary["output_sha256"].as_str().unwrap().to_string()
}

/// The report and every plot of a run: name and bytes, sorted.
fn pictures(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![(
        "report.html".to_string(),
        std::fs::read(out.join("report.html")).expect("plots are on by default"),
    )];
    for e in std::fs::read_dir(out.join("plots")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        files.push((name, std::fs::read(&p).unwrap()));
    }
    files.sort();
    files
}

/// `NAME` of every `scenarios/NAME.yaml` and `learn/NAME` of `scenarios/learn/NAME.yaml`.
fn shipped() -> Vec<String> {
    let mut names = Vec::new();
    for (dir, prefix) in [("scenarios", ""), ("scenarios/learn", "learn/")] {
        for e in std::fs::read_dir(repo(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                let stem = p.file_stem().unwrap().to_string_lossy();
                names.push(format!("{prefix}{stem}"));
            }
        }
    }
    names.sort();
    names
}

#[test]
fn every_shipped_scenario_is_pinned() {
    let mut pinned: Vec<&str> = DIGESTS.iter().map(|(s, _)| *s).collect();
    pinned.sort();
    assert_eq!(shipped(), pinned, "a scenario without a pinned digest");
}

#[test]
fn every_scenario_gives_its_pinned_bytes_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (scenario, want) in DIGESTS {
        let (one, two) = (
            tmp.path().join(format!("{scenario}-1")),
            tmp.path().join(format!("{scenario}-2")),
        );
        let first = digest(scenario, &one);
        let second = digest(scenario, &two);
        assert_eq!(first, second, "{scenario}: two runs differ");
        let (a, b) = (pictures(&one), pictures(&two));
        assert!(a.len() > 2, "{scenario}: no plots");
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{scenario}: {name} differs between two runs");
        }
        assert_eq!(
            a.len(),
            b.len(),
            "{scenario}: the runs drew different plots"
        );
        if first != *want {
            wrong.push(format!("{scenario}: {first}"));
        }
    }
    assert!(wrong.is_empty(), "digests changed:\n{}", wrong.join("\n"));
}
