//! HorizontalPodAutoscaler manifests: upstream's examples as loaded, and every refusal at its
//! file, line, column and field path.

use super::super::testing::*;
use crate::api::hpa::{
    Behavior, DEFAULT_CPU_UTILIZATION, HorizontalPodAutoscaler, MetricSpec, MetricTarget,
    PolicyKind, ResourceName, ScaleKind, ScalingPolicy, ScalingRules, SelectPolicy,
};

/// The walkthrough's Deployment (`php-apache`).
const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: php-apache}
spec:
  selector: {matchLabels: {run: php-apache}}
  template:
    metadata: {labels: {run: php-apache}}
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports: [{containerPort: 80}]
        resources: {requests: {cpu: 200m}, limits: {cpu: 500m}}
";

/// The walkthrough's HPA, `autoscaling/v2`
/// (`https://k8s.io/examples/application/hpa/php-apache.yaml`).
const HPA_V2: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
";

/// What `kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10` creates,
/// as `autoscaling/v1`.
const HPA_V1: &str = "apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  maxReplicas: 10
  minReplicas: 1
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  targetCPUUtilizationPercentage: 50
";

/// The Simulation, the Deployment, then `docs`, one document each.
fn scenario(docs: &[&str]) -> String {
    let mut t = format!("{}---\n{DEPLOY}", sim(""));
    for d in docs {
        t.push_str("---\n");
        t.push_str(d);
    }
    t
}

/// The HPAs of a scenario that loads.
fn hpas(docs: &[&str]) -> Vec<HorizontalPodAutoscaler> {
    let s = ok(&[("sim.yaml", &scenario(docs))]);
    s.hpas.into_iter().map(|h| h.hpa).collect()
}

/// The warnings of a scenario that loads.
fn warnings(docs: &[&str]) -> Vec<String> {
    ok(&[("sim.yaml", &scenario(docs))]).warnings
}

/// `v2` with `spec.metrics` replaced by `metrics` (indented as under `spec:`).
fn v2_metrics(metrics: &str) -> String {
    let at = HPA_V2.find("  metrics:").unwrap();
    format!("{}{metrics}", &HPA_V2[..at])
}

/// `v2` with `behavior` (indented as under `spec:`) added.
fn v2_behavior(behavior: &str) -> String {
    format!("{HPA_V2}  behavior:\n{behavior}")
}

/// Line and column of `marked` in `text`, where `marked` is a piece of it with `^` before the
/// character meant.
fn marked_at(text: &str, marked: &str) -> (u32, u32) {
    let offset = marked.find('^').expect("a ^ marks the place");
    let needle = marked.replace('^', "");
    let at = text
        .find(&needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        + offset;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = at - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line as u32, col as u32)
}

/// An error expected: the place marked as for [`marked_at`], field path, a piece of the
/// message.
type Expected<'a> = (&'a str, &'a str, &'a str);

/// Expects `docs` to fail with exactly the `expected` errors, in any order.
fn refused(docs: &[&str], expected: &[Expected]) {
    let text = scenario(docs);
    let (file, errs) = errs(&[("sim.yaml", &text)]);
    assert_eq!(errs.len(), expected.len(), "{}", display(&errs));
    for (marked, path, message) in expected {
        let (line, col) = marked_at(&text, marked);
        let want = format!("{}:{line}:{col}: {path}: ", file.display());
        assert!(
            errs.iter().any(|e| {
                let shown = e.to_string();
                shown.starts_with(&want) && e.message.contains(message)
            }),
            "no error {want}...{message}\nin:\n{}",
            display(&errs)
        );
    }
}

fn cpu(pct: i32) -> MetricSpec {
    MetricSpec::Resource {
        name: ResourceName::Cpu,
        target: MetricTarget::Utilization(pct),
    }
}

#[test]
fn the_walkthrough_hpa_loads_in_both_versions_alike() {
    for doc in [HPA_V2, HPA_V1] {
        let h = hpas(&[doc]);
        assert_eq!(h.len(), 1);
        let h = &h[0];
        assert_eq!(
            (h.namespace.as_str(), h.name.as_str()),
            ("default", "php-apache")
        );
        assert_eq!(h.spec.target.kind, ScaleKind::Deployment);
        assert_eq!(h.spec.target.name, "php-apache");
        assert_eq!((h.spec.min_replicas, h.spec.max_replicas), (1, 10));
        assert_eq!(h.spec.metrics, vec![cpu(50)]);
        assert_eq!(h.spec.behavior, None);
    }
}

#[test]
fn without_a_metric_an_hpa_aims_at_80_percent_cpu_and_min_replicas_defaults_to_1() {
    let v1 = HPA_V1
        .replace("  targetCPUUtilizationPercentage: 50\n", "")
        .replace("  minReplicas: 1\n", "");
    let v2 = v2_metrics("");
    let v2_empty = v2_metrics("  metrics: []\n").replace("  minReplicas: 1\n", "");
    for doc in [v1, v2, v2_empty] {
        let h = &hpas(&[&doc])[0];
        assert_eq!(h.spec.metrics, vec![cpu(DEFAULT_CPU_UTILIZATION)], "{doc}");
        assert_eq!(h.spec.min_replicas, 1);
    }
}

#[test]
fn the_multiple_metrics_example_loads_with_a_service_and_refuses_an_ingress() {
    let metrics = "  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
  - type: Pods
    pods:
      metric:
        name: packets-per-second
      target:
        type: AverageValue
        averageValue: 1k
  - type: Object
    object:
      metric:
        name: requests-per-second
      describedObject:
        apiVersion: v1
        kind: Service
        name: main-route
      target:
        type: Value
        value: 10k
";
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: main-route}\nspec:\n  selector: {run: php-apache}\n";
    let doc = v2_metrics(metrics);
    let h = &hpas(&[service, &doc])[0];
    assert_eq!(h.spec.metrics.len(), 3);
    assert_eq!(h.spec.metrics[0], cpu(50));
    let MetricSpec::Pods {
        metric,
        average_value,
    } = &h.spec.metrics[1]
    else {
        panic!("{:?}", h.spec.metrics[1])
    };
    assert_eq!(
        (metric.name.as_str(), *average_value),
        ("packets-per-second", 1_000_000)
    );
    let MetricSpec::Object {
        described,
        metric,
        target,
    } = &h.spec.metrics[2]
    else {
        panic!("{:?}", h.spec.metrics[2])
    };
    assert_eq!(
        (described.kind.as_str(), described.name.as_str()),
        ("Service", "main-route")
    );
    assert_eq!(metric.name, "requests-per-second");
    assert_eq!(*target, MetricTarget::Value(10_000_000));
    assert!(h.spec.has_object_or_external());

    let ingress = doc.replace(
        "apiVersion: v1\n        kind: Service",
        "apiVersion: networking.k8s.io/v1\n        kind: Ingress",
    );
    refused(
        &[&ingress],
        &[(
            "kind: ^Ingress",
            "spec.metrics[2].object.describedObject.kind",
            "Unsupported value: \"Ingress\": supported values: \"Deployment\", \"Service\", \"StatefulSet\" (the kinds kubesim has Object metrics of)",
        )],
    );
}

#[test]
fn quantities_are_milli_units_and_memory_counts_bytes() {
    let metrics = "  metrics:
  - type: Resource
    resource:
      name: memory
      target: {type: AverageValue, averageValue: 1Mi}
  - type: ContainerResource
    containerResource:
      name: cpu
      container: php-apache
      target: {type: AverageValue, averageValue: 500m}
  - type: External
    external:
      metric:
        name: queue_messages_ready
        selector: {matchLabels: {queue: worker_tasks}}
      target: {type: AverageValue, averageValue: \"30\"}
";
    let h = &hpas(&[&v2_metrics(metrics)])[0];
    assert_eq!(
        h.spec.metrics[0],
        MetricSpec::Resource {
            name: ResourceName::Memory,
            target: MetricTarget::AverageValue(1_048_576_000)
        }
    );
    assert_eq!(
        h.spec.metrics[1],
        MetricSpec::ContainerResource {
            name: ResourceName::Cpu,
            container: "php-apache".into(),
            target: MetricTarget::AverageValue(500)
        }
    );
    let MetricSpec::External { metric, target } = &h.spec.metrics[2] else {
        panic!()
    };
    assert_eq!(*target, MetricTarget::AverageValue(30_000));
    assert!(metric.selector.is_some());
}

fn rules(
    window: Option<i32>,
    select: SelectPolicy,
    policies: &[(PolicyKind, i32, i32)],
) -> ScalingRules {
    ScalingRules {
        stabilization_window_s: window,
        select_policy: select,
        policies: policies
            .iter()
            .map(|&(kind, value, period_s)| ScalingPolicy {
                kind,
                value,
                period_s,
            })
            .collect(),
        tolerance: None,
    }
}

#[test]
fn the_docs_behavior_examples_are_filled_field_by_field_from_the_defaults() {
    use PolicyKind::{Percent, Pods};
    let min_of_two = v2_behavior(
        "    scaleDown:
      policies:
      - type: Percent
        value: 10
        periodSeconds: 60
      - type: Pods
        value: 5
        periodSeconds: 60
      selectPolicy: Min
",
    );
    let window = v2_behavior("    scaleDown:\n      stabilizationWindowSeconds: 300\n");
    let disabled = v2_behavior("    scaleDown:\n      selectPolicy: Disabled\n");
    let defaults_written = v2_behavior(
        "    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
      - type: Percent
        value: 100
        periodSeconds: 15
    scaleUp:
      stabilizationWindowSeconds: 0
      policies:
      - type: Percent
        value: 100
        periodSeconds: 15
      - type: Pods
        value: 4
        periodSeconds: 15
      selectPolicy: Max
",
    );
    let empty = v2_behavior("    {}\n").replace("  behavior:\n    {}", "  behavior: {}");
    let up = ScalingRules::default_scale_up();
    let down = ScalingRules::default_scale_down();
    let cases = [
        (
            min_of_two,
            up.clone(),
            rules(None, SelectPolicy::Min, &[(Percent, 10, 60), (Pods, 5, 60)]),
        ),
        (
            window,
            up.clone(),
            rules(Some(300), SelectPolicy::Max, &[(Percent, 100, 15)]),
        ),
        (
            disabled,
            up.clone(),
            rules(None, SelectPolicy::Disabled, &[(Percent, 100, 15)]),
        ),
        (
            defaults_written,
            rules(
                Some(0),
                SelectPolicy::Max,
                &[(Percent, 100, 15), (Pods, 4, 15)],
            ),
            rules(Some(300), SelectPolicy::Max, &[(Percent, 100, 15)]),
        ),
        (empty, up, down),
    ];
    for (doc, scale_up, scale_down) in cases {
        let h = &hpas(&[&doc])[0];
        assert_eq!(
            h.spec.behavior,
            Some(Behavior {
                scale_up,
                scale_down
            }),
            "{doc}"
        );
    }
}

#[test]
fn tolerance_is_kept_as_if_its_gate_were_on_with_one_warning() {
    let doc = v2_behavior(
        "    scaleUp:\n      tolerance: 0.05\n    scaleDown:\n      tolerance: \"0.1\"\n",
    );
    let s = ok(&[("sim.yaml", &scenario(&[&doc]))]);
    let b = s.hpas[0].hpa.spec.behavior.as_ref().unwrap();
    assert_eq!(b.scale_up.tolerance, Some(0.05));
    assert_eq!(b.scale_down.tolerance, Some(0.1));
    let gate: Vec<&String> = s
        .warnings
        .iter()
        .filter(|w| w.contains("HPAConfigurableTolerance"))
        .collect();
    assert_eq!(gate.len(), 1, "{:?}", s.warnings);
    assert!(
        gate[0].contains("spec.behavior.scaleUp.tolerance: "),
        "{}",
        gate[0]
    );
    assert!(gate[0].contains("as if the gate were on"), "{}", gate[0]);
}

#[test]
fn kubectl_get_output_with_status_is_read_and_its_status_restored() {
    let v2 = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  creationTimestamp: \"2025-01-01T00:00:00Z\"
  name: php-apache
  namespace: default
  resourceVersion: \"1234\"
  uid: 0e8a3c2e-9f3b-4d3a-8a66-7f1e1c2b3d4e
spec:
  maxReplicas: 10
  metrics:
  - resource:
      name: cpu
      target:
        averageUtilization: 50
        type: Utilization
    type: Resource
  minReplicas: 1
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
status:
  conditions:
  - lastTransitionTime: \"2025-01-01T00:00:15Z\"
    message: recommended size matches current size
    reason: ReadyForNewScale
    status: \"True\"
    type: AbleToScale
  - lastTransitionTime: \"2025-01-01T00:00:15Z\"
    message: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)
    reason: ValidMetricFound
    status: \"True\"
    type: ScalingActive
  currentMetrics:
  - resource:
      current:
        averageUtilization: 0
        averageValue: 1m
      name: cpu
    type: Resource
  currentReplicas: 1
  desiredReplicas: 1
  lastScaleTime: \"2025-01-01T00:05:00Z\"
";
    let v1 = "apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  annotations:
    autoscaling.alpha.kubernetes.io/conditions: '[{\"type\":\"AbleToScale\",\"status\":\"True\"}]'
    autoscaling.alpha.kubernetes.io/current-metrics: '[]'
  name: php-apache
  namespace: default
spec:
  maxReplicas: 10
  minReplicas: 1
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  targetCPUUtilizationPercentage: 50
status:
  currentCPUUtilizationPercentage: 0
  currentReplicas: 1
  desiredReplicas: 1
";
    // v1 keeps its conditions and readings in annotations, which are not read: the first
    // sync sets them.
    for (doc, conditions, readings) in [(v2, 2, 1), (v1, 0, 0)] {
        let s = ok(&[("sim.yaml", &scenario(&[doc]))]);
        assert_eq!(s.hpas[0].hpa.spec.metrics, vec![cpu(50)]);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let st = s.hpas[0].status.as_ref().unwrap();
        assert_eq!((st.current_replicas, st.desired_replicas), (1, 1));
        assert_eq!(st.conditions.len(), conditions);
        assert_eq!(st.current_metrics.len(), readings);
    }
}

#[test]
fn v1_annotations_carrying_v2_fields_are_warned_about() {
    let doc = HPA_V1.replacen(
        "  name: php-apache\n",
        "  name: php-apache\n  annotations:\n    autoscaling.alpha.kubernetes.io/metrics: '[]'\n",
        1,
    );
    let w = warnings(&[&doc]);
    assert!(
        w.iter()
            .any(|w| w.contains("autoscaling.alpha.kubernetes.io/metrics]: not read")),
        "{w:?}"
    );
}

#[test]
fn every_scalable_kind_is_found_in_the_hpa_namespace() {
    let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec:\n  selector: {matchLabels: {a: rs}}\n  template:\n    metadata: {labels: {a: rs}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let rc = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  template:\n    metadata: {labels: {a: rc}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: sts}\nspec:\n  selector: {matchLabels: {a: sts}}\n  template:\n    metadata: {labels: {a: sts}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let hpa = |name: &str, api: &str, kind: &str| {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}}}\nspec:\n  scaleTargetRef: {{{api}kind: {kind}, name: {name}}}\n  maxReplicas: 3\n"
        )
    };
    let docs = [
        hpa("rs", "apiVersion: apps/v1, ", "ReplicaSet"),
        hpa("rc", "", "ReplicationController"),
        hpa("sts", "apiVersion: apps/v1, ", "StatefulSet"),
    ];
    // HPAs before their workloads: they are resolved after every workload.
    let h = hpas(&[&docs[0], &docs[1], &docs[2], rs, rc, sts]);
    let kinds: Vec<ScaleKind> = h.iter().map(|h| h.spec.target.kind).collect();
    assert_eq!(
        kinds,
        [
            ScaleKind::ReplicaSet,
            ScaleKind::ReplicationController,
            ScaleKind::StatefulSet
        ]
    );
    let rc_v1 = hpa("rc", "apiVersion: v1, ", "ReplicationController");
    assert_eq!(hpas(&[&rc_v1, rc]).len(), 1);
    // A ReplicationController is not a ReplicaSet.
    let wrong = hpa("rc", "apiVersion: apps/v1, ", "ReplicaSet");
    refused(
        &[&wrong, rc],
        &[(
            "ReplicaSet, name: ^rc}",
            "spec.scaleTargetRef.name",
            "replicasets.apps \"rc\" not found",
        )],
    );
}

#[test]
fn two_hpas_on_one_workload_load_with_a_warning() {
    let other = HPA_V2.replace("name: php-apache\nspec", "name: second\nspec");
    let w = warnings(&[HPA_V2, &other]);
    assert!(
        w.iter().any(|w| w.contains(
            "default/php-apache and default/second both scale Deployment default/php-apache"
        ) && w.contains("AmbiguousSelector")),
        "{w:?}"
    );
}

#[test]
fn an_hpa_in_a_list_loads() {
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}",
        HPA_V2.trim_end().replace('\n', "\n  ")
    );
    assert_eq!(hpas(&[&format!("{list}\n")]).len(), 1);
}

#[test]
fn describe_shows_the_defaulted_hpa() {
    let doc = v2_behavior("    scaleDown:\n      selectPolicy: Disabled\n");
    let s = ok(&[("sim.yaml", &scenario(&[&doc]))]);
    let text = crate::scenario::describe(&s);
    let line = text
        .lines()
        .find(|l| l.starts_with("horizontalPodAutoscaler "))
        .expect("an hpa line");
    assert_eq!(
        line,
        "horizontalPodAutoscaler default/php-apache: target=Deployment/php-apache replicas=1..10 \
         metrics=[cpu utilization 50%] behavior=scaleUp(window=0s select=Max policies=[Pods \
         4/15s, Percent 100/15s] tolerance=controller) scaleDown(window=controller \
         select=Disabled policies=[Percent 100/15s] tolerance=controller)"
    );
}

#[test]
fn replica_bounds_are_refused_as_upstream_refuses_them() {
    let zero = HPA_V2.replace("minReplicas: 1", "minReplicas: 0");
    refused(
        &[&zero],
        &[
            (
                "minReplicas: ^0",
                "spec.minReplicas",
                "Invalid value: 0: must be greater than or equal to 1 (scaling to zero needs the alpha feature gate HPAScaleToZero",
            ),
            (
                "  - ^type: Resource",
                "spec.metrics",
                "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
            ),
        ],
    );
    let zero_external = v2_metrics(
        "  metrics:\n  - type: External\n    external:\n      metric: {name: queue}\n      target: {type: Value, value: \"5\"}\n",
    )
    .replace("minReplicas: 1", "minReplicas: 0");
    refused(
        &[&zero_external],
        &[("minReplicas: ^0", "spec.minReplicas", "HPAScaleToZero")],
    );
    let v1_zero = HPA_V1.replace("minReplicas: 1", "minReplicas: 0");
    refused(
        &[&v1_zero],
        &[
            (
                "minReplicas: ^0",
                "spec.minReplicas",
                "must be greater than or equal to 1",
            ),
            (
                "minReplicas: ^0",
                "spec.metrics",
                "Forbidden: must specify at least one Object",
            ),
        ],
    );
    let negative = HPA_V2.replace("minReplicas: 1", "minReplicas: -1");
    refused(
        &[&negative],
        &[(
            "minReplicas: ^-1",
            "spec.minReplicas",
            "Invalid value: -1: must be greater than or equal to 1",
        )],
    );
    let below = HPA_V2
        .replace("minReplicas: 1", "minReplicas: 5")
        .replace("maxReplicas: 10", "maxReplicas: 3");
    refused(
        &[&below],
        &[(
            "maxReplicas: ^3",
            "spec.maxReplicas",
            "Invalid value: 3: must be greater than or equal to `minReplicas`",
        )],
    );
    let max_zero = HPA_V2.replace("maxReplicas: 10", "maxReplicas: 0");
    refused(
        &[&max_zero],
        &[
            (
                "maxReplicas: ^0",
                "spec.maxReplicas",
                "Invalid value: 0: must be greater than 0",
            ),
            (
                "maxReplicas: ^0",
                "spec.maxReplicas",
                "must be greater than or equal to `minReplicas`",
            ),
        ],
    );
    let no_max = HPA_V2.replace("  maxReplicas: 10\n", "");
    refused(
        &[&no_max],
        &[
            (
                "  ^scaleTargetRef:",
                "spec.maxReplicas",
                "Invalid value: 0: must be greater than 0",
            ),
            ("  ^scaleTargetRef:", "spec.maxReplicas", "`minReplicas`"),
        ],
    );
}

#[test]
fn scale_target_refs_are_checked_and_must_exist() {
    let kind = HPA_V2.replace("kind: Deployment", "kind: DaemonSet");
    refused(
        &[&kind],
        &[(
            "kind: ^DaemonSet",
            "spec.scaleTargetRef.kind",
            "Unsupported value: \"DaemonSet\": supported values: \"Deployment\", \"ReplicaSet\", \"StatefulSet\", \"ReplicationController\" (the kinds kubesim scales)",
        )],
    );
    let missing = HPA_V2.replace("    name: php-apache\n  minReplicas", "  minReplicas");
    refused(
        &[&missing],
        &[(
            "    ^apiVersion: apps/v1",
            "spec.scaleTargetRef.name",
            "Required value",
        )],
    );
    let no_ref = HPA_V2.replace(
        "  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: php-apache\n",
        "",
    );
    refused(
        &[&no_ref],
        &[
            (
                "  ^minReplicas: 1",
                "spec.scaleTargetRef.kind",
                "Required value",
            ),
            (
                "  ^minReplicas: 1",
                "spec.scaleTargetRef.name",
                "Required value",
            ),
        ],
    );
    let slash = HPA_V2.replace("    name: php-apache\n  min", "    name: a/b\n  min");
    refused(
        &[&slash],
        &[(
            "name: ^a/b",
            "spec.scaleTargetRef.name",
            "Invalid value: \"a/b\": may not contain '/'",
        )],
    );
    let absent = HPA_V2.replace("    name: php-apache\n  min", "    name: web\n  min");
    refused(
        &[&absent],
        &[(
            "name: ^web",
            "spec.scaleTargetRef.name",
            "deployments.apps \"web\" not found",
        )],
    );
    let elsewhere = HPA_V2.replace(
        "  name: php-apache\nspec",
        "  name: php-apache\n  namespace: kube-system\nspec",
    );
    refused(
        &[&elsewhere],
        &[(
            "    name: ^php-apache\n  min",
            "spec.scaleTargetRef.name",
            "deployments.apps \"php-apache\" not found",
        )],
    );
    let group = HPA_V2.replace(
        "apiVersion: apps/v1\n    kind",
        "apiVersion: extensions/v1beta1\n    kind",
    );
    refused(
        &[&group],
        &[(
            "apiVersion: ^extensions/v1beta1",
            "spec.scaleTargetRef.apiVersion",
            "no matches for kind \"Deployment\" in group \"extensions\" (a Deployment is apps/v1)",
        )],
    );
    let no_group = HPA_V2.replace("    apiVersion: apps/v1\n    kind", "    kind");
    refused(
        &[&no_group],
        &[(
            "    ^kind: Deployment",
            "spec.scaleTargetRef.apiVersion",
            "Invalid value: \"\": apiVersion must specify API group",
        )],
    );
    let malformed = HPA_V2.replace(
        "apiVersion: apps/v1\n    kind",
        "apiVersion: a/b/c\n    kind",
    );
    refused(
        &[&malformed],
        &[(
            "apiVersion: ^a/b/c",
            "spec.scaleTargetRef.apiVersion",
            "unexpected GroupVersion string: a/b/c",
        )],
    );
}

#[test]
fn a_workload_with_its_own_error_is_not_also_not_found() {
    let text = scenario(&[HPA_V2]).replace("cpu: 200m", "cpu: lots");
    let (_, errs) = errs(&[("sim.yaml", &text)]);
    assert_eq!(errs.len(), 1, "{}", display(&errs));
    assert!(
        errs[0].path.ends_with("resources.requests.cpu"),
        "{}",
        errs[0]
    );
}

#[test]
fn metric_types_and_resource_sources_are_checked_as_upstream_checks_them() {
    let m = |s: &str| v2_metrics(&format!("  metrics:\n{s}"));
    let cases: Vec<(String, Vec<Expected>)> = vec![
        (
            m(
                "  - type: Foo\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 5}}\n",
            ),
            vec![(
                "type: ^Foo",
                "spec.metrics[0].type",
                "Unsupported value: \"Foo\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"",
            )],
        ),
        (
            m("  - resource: {name: cpu, target: {type: Utilization, averageUtilization: 5}}\n"),
            vec![(
                "  - ^resource:",
                "spec.metrics[0].type",
                "Required value: must specify a metric source type",
            )],
        ),
        (
            m(
                "  - type: Pods\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 5}}\n",
            ),
            vec![(
                "  - ^type: Pods",
                "spec.metrics[0].pods",
                "Required value: must populate information for the given metric source",
            )],
        ),
        (
            m(
                "  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 5}}\n    pods: {metric: {name: x}, target: {type: AverageValue, averageValue: 1}}\n",
            ),
            vec![(
                "pods: ^{metric",
                "spec.metrics[0].pods",
                "Forbidden: must populate the given metric source only",
            )],
        ),
        (
            m("  - type: Resource\n    resource: {name: cpu, target: {averageUtilization: 5}}\n"),
            vec![(
                "target: ^{averageUtilization",
                "spec.metrics[0].resource.target.type",
                "Required value: must specify a metric target type",
            )],
        ),
        (
            m(
                "  - type: Resource\n    resource: {name: cpu, target: {type: Percent, averageUtilization: 5}}\n",
            ),
            vec![(
                "type: ^Percent",
                "spec.metrics[0].resource.target.type",
                "Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue",
            )],
        ),
        (
            m(
                "  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}\n",
            ),
            vec![(
                "averageUtilization: ^0",
                "spec.metrics[0].resource.target.averageUtilization",
                "Invalid value: 0: must be greater than 0",
            )],
        ),
        (
            m("  - type: Resource\n    resource: {name: cpu, target: {type: Utilization}}\n"),
            vec![(
                "target: ^{type",
                "spec.metrics[0].resource.target.averageUtilization",
                "Required value: must set either a target raw value or a target utilization",
            )],
        ),
        (
            m(
                "  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 5, averageValue: 100m}}\n",
            ),
            vec![(
                "averageValue: ^100m",
                "spec.metrics[0].resource.target.averageValue",
                "Forbidden: may not set both a target raw value and a target utilization",
            )],
        ),
        (
            m(
                "  - type: Resource\n    resource: {name: nvidia.com/gpu, target: {type: Utilization, averageUtilization: 5}}\n",
            ),
            vec![(
                "name: ^nvidia.com/gpu",
                "spec.metrics[0].resource.name",
                "Unsupported value: \"nvidia.com/gpu\": supported values: \"cpu\", \"memory\" (kubesim models the cpu and memory pods use",
            )],
        ),
        (
            m(
                "  - type: Resource\n    resource: {target: {type: Utilization, averageUtilization: 5}}\n",
            ),
            vec![(
                "resource: ^{target",
                "spec.metrics[0].resource.name",
                "Required value: must specify a resource name",
            )],
        ),
        (
            m(
                "  - type: ContainerResource\n    containerResource: {name: cpu, target: {type: Utilization, averageUtilization: 5}}\n",
            ),
            vec![(
                "containerResource: ^{name",
                "spec.metrics[0].containerResource.container",
                "Required value: must specify a container",
            )],
        ),
    ];
    for (doc, expected) in cases {
        refused(&[&doc], &expected);
    }
}

#[test]
fn custom_and_external_metric_sources_are_checked_as_upstream_checks_them() {
    let m = |s: &str| v2_metrics(&format!("  metrics:\n{s}"));
    let cases: Vec<(String, Vec<Expected>)> = vec![
        (
            m(
                "  - type: Pods\n    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: \"0\"}}\n",
            ),
            vec![(
                "averageValue: ^\"0\"",
                "spec.metrics[0].pods.target.averageValue",
                "Invalid value: \"0\": must be positive",
            )],
        ),
        (
            m(
                "  - type: Pods\n    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: 1..5}}\n",
            ),
            vec![(
                "averageValue: ^1..5",
                "spec.metrics[0].pods.target.averageValue",
                "invalid quantity \"1..5\"",
            )],
        ),
        (
            m("  - type: Pods\n    pods: {metric: {name: qps}, target: {type: AverageValue}}\n"),
            vec![(
                "target: ^{type: AverageValue}",
                "spec.metrics[0].pods.target.averageValue",
                "Required value: must specify a positive target averageValue",
            )],
        ),
        (
            m(
                "  - type: Pods\n    pods: {metric: {}, target: {type: AverageValue, averageValue: 1}}\n",
            ),
            vec![(
                "metric: ^{}",
                "spec.metrics[0].pods.metric.name",
                "Required value: must specify a metric name",
            )],
        ),
        (
            m(
                "  - type: Pods\n    pods: {metric: {name: a/b}, target: {type: AverageValue, averageValue: 1}}\n",
            ),
            vec![(
                "name: ^a/b",
                "spec.metrics[0].pods.metric.name",
                "Invalid value: \"a/b\": may not contain '/'",
            )],
        ),
        (
            m(
                "  - type: Object\n    object:\n      describedObject: {apiVersion: apps/v1, kind: Deployment, name: php-apache}\n      metric: {name: qps}\n      target: {type: Value}\n",
            ),
            vec![(
                "target: ^{type: Value}",
                "spec.metrics[0].object.target.averageValue",
                "Required value: must set either a target value or averageValue",
            )],
        ),
        (
            m(
                "  - type: Object\n    object:\n      describedObject: {apiVersion: apps/v1, kind: Deployment, name: php-apache}\n      metric: {name: qps}\n      target: {type: Utilization, value: 5}\n",
            ),
            vec![(
                "type: ^Utilization, value",
                "spec.metrics[0].object.target.type",
                "invalid object metric source: neither a value target nor an average value target was set",
            )],
        ),
        (
            m(
                "  - type: Object\n    object:\n      describedObject: {kind: Deployment, name: php-apache}\n      metric: {name: qps}\n      target: {type: Value, value: 5}\n",
            ),
            vec![(
                "describedObject: ^{kind",
                "spec.metrics[0].object.describedObject.apiVersion",
                "no matches for kind \"Deployment\" in group \"\" (a Deployment is apps/v1)",
            )],
        ),
        (
            m("  - type: External\n    external: {metric: {name: q}, target: {type: Value}}\n"),
            vec![(
                "target: ^{type: Value}",
                "spec.metrics[0].external.target.averageValue",
                "Required value: must set either a target value for metric or a per-pod target",
            )],
        ),
        (
            m(
                "  - type: External\n    external: {metric: {name: q}, target: {type: Value, value: 1, averageValue: 2}}\n",
            ),
            vec![(
                "value: ^1, averageValue",
                "spec.metrics[0].external.target.value",
                "Forbidden: may not set both a target value for metric and a per-pod target",
            )],
        ),
    ];
    for (doc, expected) in cases {
        refused(&[&doc], &expected);
    }
}

#[test]
fn a_target_type_the_controller_does_not_read_is_warned_about() {
    let doc = v2_metrics(
        "  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Value, averageValue: 100m}}\n",
    );
    let s = ok(&[("sim.yaml", &scenario(&[&doc]))]);
    assert_eq!(
        s.hpas[0].hpa.spec.metrics,
        vec![MetricSpec::Resource {
            name: ResourceName::Cpu,
            target: MetricTarget::AverageValue(100)
        }]
    );
    assert!(
        s.warnings.iter().any(|w| w.contains(
            "spec.metrics[0].resource.target.type: target type Value but averageValue is given"
        )),
        "{:?}",
        s.warnings
    );
}

#[test]
fn behavior_is_checked_as_upstream_checks_it() {
    let b = |s: &str| v2_behavior(s);
    let cases: Vec<(String, Vec<Expected>)> = vec![
        (
            b("    scaleDown: {stabilizationWindowSeconds: -1}\n"),
            vec![(
                "stabilizationWindowSeconds: ^-1",
                "spec.behavior.scaleDown.stabilizationWindowSeconds",
                "Invalid value: -1: must be greater than or equal to zero",
            )],
        ),
        (
            b("    scaleUp: {stabilizationWindowSeconds: 3601}\n"),
            vec![(
                "stabilizationWindowSeconds: ^3601",
                "spec.behavior.scaleUp.stabilizationWindowSeconds",
                "Invalid value: 3601: must be less than or equal to 3600",
            )],
        ),
        (
            b("    scaleUp: {selectPolicy: Median}\n"),
            vec![(
                "selectPolicy: ^Median",
                "spec.behavior.scaleUp.selectPolicy",
                "Unsupported value: \"Median\": supported values: \"Disabled\", \"Max\", \"Min\"",
            )],
        ),
        (
            b("    scaleDown:\n      policies: []\n"),
            vec![(
                "policies: ^[]",
                "spec.behavior.scaleDown.policies",
                "Required value: must specify at least one Policy",
            )],
        ),
        (
            b(
                "    scaleDown:\n      policies:\n      - {type: Replicas, value: 1, periodSeconds: 60}\n",
            ),
            vec![(
                "type: ^Replicas",
                "spec.behavior.scaleDown.policies[0].type",
                "Unsupported value: \"Replicas\": supported values: \"Percent\", \"Pods\"",
            )],
        ),
        (
            b(
                "    scaleDown:\n      policies:\n      - {type: Pods, value: 0, periodSeconds: 60}\n",
            ),
            vec![(
                "value: ^0",
                "spec.behavior.scaleDown.policies[0].value",
                "Invalid value: 0: must be greater than zero",
            )],
        ),
        (
            b("    scaleDown:\n      policies:\n      - {type: Pods, value: 1}\n"),
            vec![(
                "      - ^{type: Pods",
                "spec.behavior.scaleDown.policies[0].periodSeconds",
                "Invalid value: 0: must be greater than zero",
            )],
        ),
        (
            b(
                "    scaleUp:\n      policies:\n      - {type: Percent, value: 50, periodSeconds: 1801}\n",
            ),
            vec![(
                "periodSeconds: ^1801",
                "spec.behavior.scaleUp.policies[0].periodSeconds",
                "Invalid value: 1801: must be less than or equal to 1800",
            )],
        ),
        (
            b("    scaleUp: {tolerance: -0.1}\n"),
            vec![(
                "tolerance: ^-0.1",
                "spec.behavior.scaleUp.tolerance",
                "Invalid value: \"-0.1\": must be greater than or equal to 0",
            )],
        ),
    ];
    for (doc, expected) in cases {
        refused(&[&doc], &expected);
    }
}

#[test]
fn versions_keep_their_own_fields() {
    let v1_target = HPA_V1.replace(
        "targetCPUUtilizationPercentage: 50",
        "targetCPUUtilizationPercentage: 0",
    );
    refused(
        &[&v1_target],
        &[(
            "targetCPUUtilizationPercentage: ^0",
            "spec.targetCPUUtilizationPercentage",
            "Invalid value: 0: must be greater than 0",
        )],
    );
    // A v2 field under v1, and a v1 field under v2, are unknown fields.
    let v1_metrics = HPA_V2.replace("autoscaling/v2", "autoscaling/v1");
    refused(
        &[&v1_metrics],
        &[("  ^metrics:", "spec.metrics", "unknown field")],
    );
    let v2_pct = HPA_V1.replace("autoscaling/v1", "autoscaling/v2");
    refused(
        &[&v2_pct],
        &[(
            "  ^targetCPUUtilizationPercentage",
            "spec.targetCPUUtilizationPercentage",
            "unknown field",
        )],
    );
    let beta = HPA_V2.replace("autoscaling/v2", "autoscaling/v2beta2");
    refused(
        &[&beta],
        &[(
            "apiVersion: ^autoscaling/v2beta2",
            "apiVersion",
            "no matches for kind \"HorizontalPodAutoscaler\" in version \"autoscaling/v2beta2\"",
        )],
    );
}

#[test]
fn a_second_hpa_of_the_same_name_is_a_duplicate() {
    let text = scenario(&[HPA_V2, HPA_V1]);
    let (_, errs) = errs(&[("sim.yaml", &text)]);
    assert_eq!(errs.len(), 1, "{}", display(&errs));
    assert_eq!(errs[0].path, "metadata.name");
    assert_eq!(
        errs[0].message,
        "duplicate HorizontalPodAutoscaler default/php-apache"
    );
}

#[test]
fn with_validate_warn_a_v2_field_of_a_v1_hpa_is_dropped_as_the_api_server_drops_it() {
    use crate::scenario::{LoadOptions, ValidateMode, load_scenario_with};
    let doc = HPA_V1.replace(
        "  targetCPUUtilizationPercentage: 50\n",
        "  metrics:\n  - type: Resource\n    resource: {name: memory, target: {type: Utilization, averageUtilization: 60}}\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "sim.yaml", &scenario(&[&doc]));
    let options = LoadOptions {
        validate: ValidateMode::Warn,
        ..Default::default()
    };
    let s = load_scenario_with(&[path], &|_| Ok(Vec::new()), options).expect("loads");
    assert_eq!(
        s.hpas[0].hpa.spec.metrics,
        vec![cpu(DEFAULT_CPU_UTILIZATION)]
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("spec.metrics: unknown field")),
        "{:?}",
        s.warnings
    );
}

/// The walkthrough's HPA as a snapshot holds it, with `status` (indented as under the
/// document) added.
fn v2_with_status(status: &str) -> String {
    let doc = HPA_V2.replace(
        "metadata:\n  name: php-apache\n",
        "metadata:\n  name: php-apache\n  creationTimestamp: \"2025-12-31T23:00:00Z\"\n",
    );
    format!("{doc}status:\n{status}")
}

/// The HPA manifests of a scenario that loads, with what they restore.
fn manifests(docs: &[&str]) -> Vec<crate::scenario::HpaManifest> {
    ok(&[("sim.yaml", &scenario(docs))]).hpas
}

/// `lastTransitionTime`s and the like, on the clock of [`sim`] (t = 0 at 2026-01-01T00:00Z).
fn before_start(minutes: i64) -> crate::engine::SimTime {
    crate::engine::SimTime::from_secs(-60 * minutes)
}

const STATUS: &str = "  currentReplicas: 3
  desiredReplicas: 4
  lastScaleTime: \"2025-12-31T23:55:00Z\"
  currentMetrics:
  - type: Resource
    resource:
      name: cpu
      current: {averageUtilization: 105, averageValue: 210m}
  conditions:
  - type: AbleToScale
    status: \"True\"
    lastTransitionTime: \"2025-12-31T23:55:00Z\"
    reason: SucceededRescale
    message: the HPA controller was able to update the target scale to 4
  - type: ScalingActive
    status: \"True\"
    lastTransitionTime: \"2025-12-31T23:00:15Z\"
    reason: ValidMetricFound
    message: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)
  - type: ScalingLimited
    status: \"False\"
    lastTransitionTime: \"2025-12-31T23:00:15Z\"
    reason: DesiredWithinRange
    message: the desired count is within the acceptable range
";

#[test]
fn a_snapshot_status_comes_back_with_its_conditions_and_replicas() {
    use crate::api::hpa::{HpaCondition, MetricStatus};
    let doc = v2_with_status(STATUS);
    let m = &manifests(&[&doc])[0];
    assert_eq!(m.created, before_start(60));
    let st = m.status.as_ref().expect("status restored");
    assert_eq!((st.current_replicas, st.desired_replicas), (3, 4));
    assert_eq!(st.last_scale_time, Some(before_start(5)));
    assert_eq!(
        st.current_metrics,
        vec![Some(MetricStatus {
            name: "cpu".into(),
            value: 210,
            utilization: Some(105),
        })]
    );
    let condition = |kind, status, reason, message: &str, at| HpaCondition {
        kind,
        status,
        reason,
        message: message.into(),
        last_transition: at,
    };
    assert_eq!(
        st.conditions,
        vec![
            condition(
                "AbleToScale",
                true,
                "SucceededRescale",
                "the HPA controller was able to update the target scale to 4",
                before_start(5)
            ),
            condition(
                "ScalingActive",
                true,
                "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from cpu resource \
                 utilization (percentage of request)",
                before_start(60) + crate::engine::SimTime::from_secs(15).ms()
            ),
            condition(
                "ScalingLimited",
                false,
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
                before_start(60) + crate::engine::SimTime::from_secs(15).ms()
            ),
        ]
    );
    assert!(warnings(&[&doc]).is_empty(), "{:?}", warnings(&[&doc]));
    // Without a status nor a creation time: created at 0, the first sync writes the status.
    let m = &manifests(&[HPA_V2])[0];
    assert_eq!(
        (m.created, &m.status),
        (crate::engine::SimTime::ZERO, &None)
    );
}

#[test]
fn every_kind_of_reading_and_a_failed_one_come_back() {
    use crate::api::hpa::MetricStatus;
    let metrics = "  metrics:
  - type: ContainerResource
    containerResource:
      name: memory
      container: php-apache
      target: {type: AverageValue, averageValue: 100Mi}
  - type: Pods
    pods:
      metric: {name: rps}
      target: {type: AverageValue, averageValue: \"20\"}
  - type: Object
    object:
      describedObject: {apiVersion: v1, kind: Service, name: web}
      metric: {name: rps}
      target: {type: Value, value: \"100\"}
  - type: External
    external:
      metric: {name: queue}
      target: {type: AverageValue, averageValue: 500m}
status:
  currentReplicas: 2
  desiredReplicas: 2
  currentMetrics:
  - type: ContainerResource
    containerResource:
      name: memory
      container: php-apache
      current: {averageValue: 64Mi}
  - type: Pods
    pods:
      metric: {name: rps}
      current: {averageValue: 16667m}
  - type: Object
    object:
      describedObject: {apiVersion: v1, kind: Service, name: web}
      metric: {name: rps}
      current: {value: \"50\"}
  - type: \"\"
";
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {run: php-apache}\n";
    let m = &manifests(&[service, &v2_metrics(metrics)])[0];
    let reading = |name: &str, value| {
        Some(MetricStatus {
            name: name.into(),
            value,
            utilization: None,
        })
    };
    assert_eq!(
        m.status.as_ref().unwrap().current_metrics,
        vec![
            reading("php-apache:memory", 64 * 1024 * 1024 * 1000),
            reading("rps", 16_667),
            reading("rps", 50_000),
            None,
        ]
    );
}

#[test]
fn an_unknown_reason_is_left_out_with_one_warning() {
    let status = "  currentReplicas: 1
  desiredReplicas: 1
  conditions:
  - type: AbleToScale
    status: \"True\"
    reason: SucceededGetScale
    message: ok
  - type: ScalingActive
    status: \"False\"
    reason: SomethingNew
    message: a reason of a later release
  - type: ScalingLimited
    status: \"Unknown\"
    reason: DesiredWithinRange
    message: unknown
  - type: AbleToScale
    status: \"True\"
    reason: SucceededGetScale
    message: twice
";
    let doc = v2_with_status(status);
    let st = manifests(&[&doc])[0].status.clone().unwrap();
    let kept: Vec<_> = st.conditions.iter().map(|c| (c.kind, c.reason)).collect();
    assert_eq!(kept, [("AbleToScale", "SucceededGetScale")]);
    assert_eq!(st.conditions[0].message, "ok");
    let w = warnings(&[&doc]);
    assert_eq!(w.len(), 1, "{w:?}");
    let text = scenario(&[&doc]);
    let (line, col) = marked_at(&text, "reason: ^SomethingNew");
    assert!(
        w[0].contains(&format!(":{line}:{col}: status.conditions[1].reason: condition \"ScalingActive\" with reason \"SomethingNew\" is not one the HPA controller sets: left out")),
        "{w:?}"
    );
}

#[test]
fn readings_that_do_not_match_the_metrics_are_left_out() {
    let status = "  currentReplicas: 1
  desiredReplicas: 1
  currentMetrics:
  - type: Pods
    pods:
      metric: {name: rps}
      current: {averageValue: \"3\"}
";
    let doc = v2_with_status(status);
    let st = manifests(&[&doc])[0].status.clone().unwrap();
    assert!(st.current_metrics.is_empty());
    assert_eq!(st.current_replicas, 1);
    let w = warnings(&[&doc]);
    assert!(
        w.len() == 1
            && w[0].contains(
                "status.currentMetrics: readings of types [Pods] do not match spec.metrics \
                 [Resource] one for one: left out"
            ),
        "{w:?}"
    );
    // None at all is what a sync that skips the metrics writes.
    let doc = v2_with_status("  currentReplicas: 1\n  desiredReplicas: 1\n  currentMetrics: []\n");
    assert!(warnings(&[&doc]).is_empty());
}

#[test]
fn a_status_that_cannot_be_read_is_refused_where_it_is() {
    let status = "  currentReplicas: -1
  desiredReplicas: 1
  lastScaleTime: yesterday
  currentMetrics:
  - type: Resources
    resource: {name: cpu, current: {averageValue: 1}}
";
    refused(
        &[&v2_with_status(status)],
        &[
            (
                "currentReplicas: ^-1",
                "status.currentReplicas",
                "must be greater than or equal to 0",
            ),
            ("lastScaleTime: ^yesterday", "status.lastScaleTime", ""),
            (
                "type: ^Resources",
                "status.currentMetrics[0].type",
                "Unsupported value: \"Resources\"",
            ),
        ],
    );
}
