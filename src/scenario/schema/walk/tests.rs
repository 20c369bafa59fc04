//! The field walk on small documents: unknown fields, shapes, unmodelled fields, Lists,
//! plugin args, and locating fields by path.

use super::*;

fn findings(doc: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let root = Schema::get().kind("v1", "Pod").unwrap();
    check(doc, &root, &mut out);
    out
}

#[test]
fn unknown_fields_are_found_with_path_position_and_suggestion() {
    let doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  nodeSelecter: {a: b}\n  containers:\n  - name: c\n    image: x\n    resource: {requests: {cpu: 1}}\n  hostNetwork: true\n";
    let f = findings(doc);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(
        (f[0].line, f[0].column, f[0].path.as_str()),
        (5, 3, "spec.nodeSelecter")
    );
    assert_eq!(
        f[0].message,
        "unknown field \"nodeSelecter\" (did you mean \"nodeSelector\"?)"
    );
    assert_eq!(
        (f[1].line, f[1].column, f[1].path.as_str()),
        (9, 5, "spec.containers[0].resource")
    );
    assert!(f[1].message.contains("did you mean \"resources\""));
}

#[test]
fn shapes_and_unmodelled_fields() {
    let doc = "kind: Pod\nspec:\n  hostNetwork: {a: 1}\n  priority: high\n  containers:\n  - name: c\n    livenessProbe: {periodSeconds: 5}\n  tolerations: {key: a}\n";
    let f = findings(doc);
    let kinds: Vec<_> = f.iter().map(|f| (f.kind, f.path.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (FindingKind::Shape, "spec.hostNetwork"),
            (FindingKind::Shape, "spec.priority"),
            (FindingKind::Unmodelled, "spec.containers[0].livenessProbe"),
            (FindingKind::Shape, "spec.tolerations"),
        ]
    );
    assert_eq!(f[1].message, "expected an integer, got \"high\"");
    assert_eq!(f[3].message, "expected a list, got a mapping");
}

#[test]
fn an_eviction_policy_other_than_the_modelled_one_is_reported() {
    let root = Schema::get()
        .kind("policy/v1", "PodDisruptionBudget")
        .unwrap();
    let doc = |policy: &str| {
        format!(
            "kind: PodDisruptionBudget\nspec:\n  maxUnavailable: 1\n  unhealthyPodEvictionPolicy: {policy}\n"
        )
    };
    let mut out = Vec::new();
    check(&doc("IfHealthyBudget"), &root, &mut out);
    assert_eq!(out, []);
    check(&doc("AlwaysAllow"), &root, &mut out);
    let kinds: Vec<_> = out.iter().map(|f| (f.kind, f.path.as_str())).collect();
    assert_eq!(
        kinds,
        [(FindingKind::Unmodelled, "spec.unhealthyPodEvictionPolicy")]
    );
}

#[test]
fn list_items_and_templates_are_checked_as_their_kind() {
    let schema = Schema::get();
    let doc = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec: {nodeNme: a}\n- kind: Widget\n  spec: {anything: 1}\n- kind: Node\n  spec: {taint: []}\n";
    let mut out = Vec::new();
    check(doc, &schema.kind("v1", "List").unwrap(), &mut out);
    let paths: Vec<_> = out.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["items[0].spec.nodeNme", "items[2].spec.taint"]);
    assert!(
        out[1].message.contains("did you mean \"taints\""),
        "{out:?}"
    );
}

#[test]
fn merge_keys_aliases_and_nulls_pass() {
    let doc = "kind: Pod\nmetadata: &m {name: a}\nspec:\n  nodeName: ~\n  containers:\n  - &c {name: c, image: x}\n  - *c\n  - <<: *c\n    name: d\n";
    assert_eq!(findings(doc), []);
}

#[test]
fn plugin_args_are_checked_as_the_named_plugins_args_strictly() {
    let root = Schema::get()
        .kind(
            "kubescheduler.config.k8s.io/v1",
            "KubeSchedulerConfiguration",
        )
        .unwrap();
    // `args` before and after `name`; a plugin without an args type is not looked at.
    let doc = "profiles:\n- pluginConfig:\n  - args: {scoringStrategy: {resources: [{Name: cpu}]}}\n    name: NodeResourcesFit\n  - name: DefaultPreemption\n    args: {minCandidateNodesPercent: 5, minCandidateNodesAbsolute: x}\n  - name: TaintToleration\n    args: {anything: 1}\n  - name: InterPodAffinity\n    args: 5\n";
    let mut out = Vec::new();
    check(doc, &root, &mut out);
    let got: Vec<_> = out
        .iter()
        .map(|f| (f.line, f.column, f.path.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                3,
                43,
                "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].Name",
                "strict decoding error: unknown field \"scoringStrategy.resources[0].Name\" (did you mean \"name\"?)"
            ),
            (
                6,
                12,
                "profiles[0].pluginConfig[1].args.minCandidateNodesPercent",
                "strict decoding error: unknown field \"minCandidateNodesPercent\" (did you mean \"minCandidateNodesPercentage\"?)"
            ),
            (
                6,
                68,
                "profiles[0].pluginConfig[1].args.minCandidateNodesAbsolute",
                "expected an integer, got \"x\""
            ),
            (
                10,
                11,
                "profiles[0].pluginConfig[3].args",
                "expected a mapping, got \"5\""
            ),
        ]
    );
}

#[test]
fn fields_are_located_by_path() {
    let doc = "kind: Pod\nspec:\n  containers:\n  - name: a\n  - name: b\n    image: x\n  nodeName: n\nitems:\n- {a: 1}\n";
    assert_eq!(locate(doc, "spec.containers[1].image"), Some((6, 5)));
    assert_eq!(locate(doc, "spec.containers[1]"), Some((5, 5)));
    assert_eq!(locate(doc, "spec.nodeName"), Some((7, 3)));
    assert_eq!(locate(doc, "items[0].a"), Some((9, 4)));
    assert_eq!(locate(doc, "spec.missing"), None);
}
