//! Strict validation from the command line: unknown fields refused as `kubectl
//! --validate=strict` refuses them, with their position, path and a suggestion; `warn` and
//! `ignore`; names checked as the API server checks them; real `kubectl get -o yaml` output
//! accepted.

mod common;

use common::{kubesim, repo};
use std::process::Output;

fn validate(paths: &[&str], extra: &[&str]) -> Output {
    let mut c = kubesim();
    c.arg("validate");
    for p in paths {
        c.arg(repo(p));
    }
    c.args(extra).output().expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_typo_is_an_error_at_its_place() {
    let o = validate(&["tests/data/typos.yaml"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    let file = repo("tests/data/typos.yaml").display().to_string();
    for line in [
        ":8:5: spec.cluster.nodePool: unknown field \"nodePool\" (did you mean \"nodePools\"?)",
        ":11:3: spec.arrival: unknown field \"arrival\" (did you mean \"arrivals\"?)",
        ":14:5: spec.output.explian: unknown field \"explian\" (did you mean \"explain\"?)",
        ":22:3: spec.nodeSelecter: unknown field \"nodeSelecter\" (did you mean \"nodeSelector\"?)",
        ":26:7: spec.containers[0].resource: unknown field \"resource\" (did you mean \"resources\"?)",
        ":35:16: items[0].metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain",
        // The bad name does not hide the rest of the pod's errors.
        ":37:42: items[0].spec.containers[1].name: Duplicate value: \"c\"",
        ":38:7: items[0].spec.nodeName: no node is named \"nowhere\"",
    ] {
        assert!(e.contains(&format!("error: {file}{line}")), "{line}\n{e}");
    }
    assert!(e.contains("8 error(s)"), "{e}");
    assert!(!e.contains("no Simulation document"), "{e}");
}

#[test]
fn warn_and_ignore_modes() {
    let o = validate(&["tests/data/typos.yaml"], &["--validate=warn"]);
    let e = stderr(&o);
    assert!(
        e.contains("warning: ") && e.contains("unknown field \"nodeSelecter\""),
        "{e}"
    );
    assert!(
        e.contains("spec.containers[0].livenessProbe: not modelled by kubesim"),
        "{e}"
    );
    // The invalid name (and the pod's other errors) are the API server's, whatever the mode.
    assert!(e.contains("3 error(s)"), "{e}");
    let o = validate(&["tests/data/typos.yaml"], &["--validate=ignore"]);
    assert!(!stderr(&o).contains("nodeSelecter"), "{}", stderr(&o));
    let o = validate(&["tests/data/typos.yaml"], &["--validate=lax"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_kubectl_snapshot_is_accepted_as_it_is() {
    let o = validate(
        &[
            "scenarios/quickstart.yaml",
            "tests/data/kubectl-get-pods.yaml",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("unknown field"), "{}", stderr(&o));
}

#[test]
fn arrival_template_files_follow_the_validate_flag() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim.yaml");
    std::fs::write(
        &sim,
        "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: t}\nspec:\n  duration: 1m\n  cluster:\n    nodePools: [{name: n, count: 1, template: {status: {capacity: {cpu: '4', memory: 8Gi, pods: '110'}}}}]\n  arrivals:\n  - {name: a, count: 1, every: 1s, template: pod.yaml}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  nodeSelecter: {a: b}\n  containers: [{name: c, image: x:1}]\n",
    )
    .unwrap();
    let sim = sim.to_str().unwrap();
    let o = validate(&[sim], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("spec.nodeSelecter: unknown field"),
        "{}",
        stderr(&o)
    );
    let o = validate(&[sim], &["--validate=warn"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: ") && stderr(&o).contains("unknown field \"nodeSelecter\""),
        "{}",
        stderr(&o)
    );
    let o = validate(&[sim], &["--validate=ignore"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("nodeSelecter"), "{}", stderr(&o));
}

#[test]
fn bad_workloads_and_timeline_commands_are_refused_in_kubectl_words() {
    let o = validate(&["tests/data/bad-workloads.yaml"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    for line in [
        ":6:14: spec.startTime: \"2026-13-01T00:00:00Z\" is not an RFC 3339 time",
        ":11:25: spec.timeline[0].kubectl: unknown command \"scael\" for \"kubectl\" (did you mean \"scale\"?)",
        ":12:25: spec.timeline[1].kubectl: Error from server (NotFound): deployments.apps \"nope\" not found",
        ":13:25: spec.timeline[2].kubectl: required flag(s) \"replicas\" not set",
        ":14:25: spec.timeline[3].kubectl: the server doesn't have a resource type \"widgets\"",
        ":15:25: spec.timeline[4].kubectl: at least one image update is required",
        ":16:25: spec.timeline[5].kubectl: Error from server (NotFound): nodes \"n-9\" not found",
        ":17:25: spec.timeline[6].kubectl: unknown command \"frobnicate\" for \"kubectl rollout\"",
        ":18:25: spec.timeline[7].kubectl: resource(s) were provided, but no name was specified",
        ":20:25: spec.timeline[9].kubectl: the path \"missing.yaml\" does not exist",
        ":21:12: spec.timeline[10].at: invalid duration \"xx\"",
        ":22:25: spec.timeline[11].kubectl: unknown flag: --frob",
        ":28:13: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ":30:59: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
        ":32:16: spec.template.metadata.labels: Invalid value: {\"app\": \"other\"}: `selector` does not match template `labels`",
        ":40:13: spec.selector: Invalid value: {}: empty selector is invalid for deployment",
        ":44:7: spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
    ] {
        assert!(e.contains(line), "missing {line:?} in:\n{e}");
    }
    assert!(
        e.contains(
            ":19:12: spec.timeline[8].at: 9m is after the end of the run (5m0s); it never happens"
        ),
        "{e}"
    );
    assert!(e.contains("17 error(s); nothing was run"), "{e}");
}
