//! Loading many manifests: pods and Jobs are read in their document order whatever the
//! kinds around them, equal specs are shared, progress is reported, and a manifest the
//! quick glance at its kind cannot read is still read.

use kubesim::scenario::{LoadOptions, ValidateMode, load_scenario_with};
use std::cell::RefCell;
use std::sync::Arc;

const SIM: &str = "apiVersion: kubesim.io/v1alpha1\nkind: Simulation\nmetadata: {name: load}\nspec:\n  duration: 1m\n  cluster:\n    nodePools: [{name: n, count: 2, template: {status: {capacity: {cpu: '64', memory: 256Gi, pods: '110'}}}}]\n";

fn pod(name: &str, cpu: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: web}}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    resources:\n      requests: {{cpu: {cpu}, memory: 128Mi}}\n"
    )
}

fn load(
    text: &str,
    progress: Option<kubesim::scenario::LoadProgress<'_>>,
) -> kubesim::scenario::Scenario {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, text).unwrap();
    let options = LoadOptions {
        validate: ValidateMode::Strict,
        progress,
        create_namespaces: false,
    };
    load_scenario_with(&[path], &|_| Ok(Vec::new()), options).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn pods_keep_their_document_order_among_lists_and_unusual_manifests() {
    let list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: in-list}, spec: {containers: [{name: c, image: x:1}]}}\n";
    // Flow style: the glance at `kind:` lines misses it, the parser reads it at once.
    let flow = "{apiVersion: v1, kind: Pod, metadata: {name: flow}, spec: {containers: [{name: c, image: x:1}]}}\n";
    let text = [
        SIM.to_string(),
        pod("first", "100m"),
        list.to_string(),
        pod("second", "100m"),
        flow.to_string(),
        pod("third", "200m"),
    ]
    .join("---\n");
    let s = load(&text, None);
    let names: Vec<&str> = s.pods.iter().map(|p| p.meta.name.as_str()).collect();
    assert_eq!(names, ["first", "in-list", "second", "flow", "third"]);
    // Equal specs are one spec; a different request is another.
    assert!(Arc::ptr_eq(&s.pods[0].spec, &s.pods[2].spec));
    assert!(!Arc::ptr_eq(&s.pods[0].spec, &s.pods[4].spec));
    assert_eq!(s.pods[4].spec.requests.cpu_m, 200);
}

#[test]
fn progress_is_reported_while_reading_and_resolving() {
    let mut text = SIM.to_string();
    for i in 0..6000 {
        text.push_str("---\n");
        text.push_str(&pod(&format!("p-{i}"), "100m"));
    }
    let seen = RefCell::new(Vec::new());
    let report =
        |what: &'static str, done: u64, total: u64| seen.borrow_mut().push((what, done, total));
    let s = load(&text, Some(&report));
    assert_eq!(s.pods.len(), 6000);
    let seen = seen.into_inner();
    let reading: Vec<_> = seen.iter().filter(|(w, ..)| *w == "reading").collect();
    assert!(!reading.is_empty(), "{seen:?}");
    assert!(
        reading
            .iter()
            .all(|(_, done, total)| done <= total && *total == text.len() as u64)
    );
    let resolving: Vec<_> = seen.iter().filter(|(w, ..)| *w == "resolving").collect();
    assert_eq!(resolving.len(), 6, "one report per 1,024 pods: {seen:?}");
    assert!(resolving.iter().all(|(_, _, total)| *total == 6000));
}

#[test]
fn errors_in_set_aside_pods_are_reported_at_their_place() {
    let bad = pod("bad", "100m").replace("name: c", "name: c\n    nodeSelecter: {a: b}");
    let text = [SIM.to_string(), pod("ok", "100m"), bad].join("---\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, &text).unwrap();
    let errors = load_scenario_with(&[path], &|_| Ok(Vec::new()), LoadOptions::default())
        .map(|_| ())
        .unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0]
            .ends_with(":29:5: spec.containers[0].nodeSelecter: unknown field \"nodeSelecter\""),
        "{shown:?}"
    );
}
