//! The configuration as written and resolved: profiles, plugin sets and plugin args.

use super::super::load_scenario_checked;
use super::super::testing::*;
use super::*;
use crate::api::scheduler_config::{PluginArgs as Args, ScoringStrategyType};

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, crate::yaml::DeError> {
    crate::yaml::from_str(s)
}

#[test]
fn scheduler_config_parses() {
    let c: KubeSchedulerConfiguration = parse(
        "profiles:\n- schedulerName: s\n  plugins:\n    score:\n      enabled: [{name: NodeResourcesFit, weight: 2}]\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources: [{name: cpu, weight: 1}]\n",
    )
    .unwrap();
    let p = &c.profiles[0];
    let score = p.plugins.as_ref().unwrap().score.as_ref().unwrap();
    assert_eq!(score.enabled[0].weight.as_ref().unwrap().value, 2);
    let args = p.plugin_config[0].args.as_ref().unwrap();
    let s = args.scoring_strategy.as_ref().unwrap();
    assert_eq!(s.r#type.as_ref().unwrap().value, "MostAllocated");
    assert_eq!(
        s.resources[0].weight.as_ref().unwrap().referenced.line(),
        11
    );
}

const KSC: &str = "---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
";

#[test]
fn scheduler_configuration() {
    let config = |body: &str| format!("{}{KSC}{body}", sim(""));

    // Plugin names are checked by the scheduler (tests/scenarios.rs); the check given to
    // `load_scenario_checked` reports at the configuration document.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.yaml");
    std::fs::write(&file, config("profiles:\n- schedulerName: x\n")).unwrap();
    let e = load_scenario_checked(std::slice::from_ref(&file), &|_| {
        Err(vec!["bad plugin".into()])
    })
    .unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].file, file);
    assert!(
        e[0].location.as_ref().is_some_and(|l| l.line > 1),
        "{}",
        e[0]
    );

    // NodeResourcesFit with MostAllocated.
    let s = ok(&[(
        "sim.yaml",
        &config(
            "percentageOfNodesToScore: 50\nprofiles:\n- schedulerName: packer\n  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources: [{name: cpu, weight: 3}, {name: memory, weight: 1}]\n",
        ),
    )]);
    assert_eq!(s.scheduler.percentage_of_nodes_to_score, Some(50));
    assert_eq!(s.scheduler.profiles.len(), 1);
    let p = &s.scheduler.profiles[0];
    assert_eq!(p.scheduler_name, "packer");
    let [(name, Args::NodeResourcesFit(fit))] = p.plugin_args.as_slice() else {
        panic!("{:?}", p.plugin_args)
    };
    assert_eq!(name, "NodeResourcesFit");
    assert_eq!(fit.strategy, ScoringStrategyType::MostAllocated);
    let weights: Vec<_> = fit
        .resources
        .iter()
        .map(|w| (w.name.as_str(), w.weight))
        .collect();
    assert_eq!(weights, [("cpu", 3), ("memory", 1)]);

    // Weight out of 1..=100.
    let text = config(
        "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: LeastAllocated\n        resources:\n        - name: cpu\n          weight: 101\n",
    );
    let (file, e) = errs(&[("sim.yaml", &text)]);
    assert_eq!(e.len(), 1, "{}", display(&e));
    let (line, col) = position(&text, "101");
    let path = "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight";
    assert_eq!(e[0].path, path);
    assert_eq!(
        e[0].to_string(),
        format!(
            "{}:{line}:{col}: {path}: Invalid value: 101: resource weight of cpu not in valid range (0, 100]",
            file.display()
        )
    );

    // percentageOfNodesToScore out of range, global and per profile.
    for body in [
        "percentageOfNodesToScore: 150\n",
        "profiles:\n- percentageOfNodesToScore: 150\n",
    ] {
        let (_, e) = errs(&[("sim.yaml", &config(body))]);
        assert_eq!(e.len(), 1, "{}", display(&e));
        assert!(e[0].path.ends_with("percentageOfNodesToScore"), "{}", e[0]);
        assert_eq!(
            e[0].message,
            "Invalid value: 150: not in valid range [0-100]"
        );
    }

    // Back-off as upstream validates it; a profile's 0 is adaptive, not the global value.
    let (_, e) = errs(&[(
        "sim.yaml",
        &config("podInitialBackoffSeconds: 0\npodMaxBackoffSeconds: 5\n"),
    )]);
    assert_eq!(e[0].path, "podInitialBackoffSeconds");
    assert_eq!(e[0].message, "Invalid value: 0: must be greater than 0");
    let (_, e) = errs(&[(
        "sim.yaml",
        &config("podInitialBackoffSeconds: 4\npodMaxBackoffSeconds: 2\n"),
    )]);
    assert_eq!(
        e[0].message,
        "Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds"
    );
    let s = ok(&[(
        "sim.yaml",
        &config(
            "percentageOfNodesToScore: 30\npodInitialBackoffSeconds: 2\npodMaxBackoffSeconds: 60\nprofiles:\n- percentageOfNodesToScore: 0\n",
        ),
    )]);
    assert_eq!(
        s.scheduler.profiles[0].percentage_of_nodes_to_score,
        Some(0)
    );
    assert_eq!(
        (
            s.scheduler.pod_initial_backoff_s,
            s.scheduler.pod_max_backoff_s
        ),
        (2, 60)
    );

    // A pluginConfig for a plugin that takes no args is accepted (its args are not read); a
    // bad strategy type is not.
    let (_, e) = errs(&[(
        "sim.yaml",
        &config(
            "profiles:\n- pluginConfig:\n  - name: TaintToleration\n    args: {anything: [1]}\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: Random}}\n",
        ),
    )]);
    let got: Vec<_> = e
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [(
            "profiles[0].pluginConfig[1].args.scoringStrategy.type",
            "Unsupported value: \"Random\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
        )],
        "{}",
        display(&e)
    );

    // Pods may name a configured profile.
    let text = format!(
        "{}---\n{}",
        config("profiles:\n- schedulerName: packer\n"),
        POD.replace("spec:\n", "spec:\n  schedulerName: packer\n")
    );
    let s = ok(&[("sim.yaml", &text)]);
    assert_eq!(&*s.pods[0].spec.scheduler_name, "packer");
}

/// The errors of one pluginConfig entry (`profiles[0].pluginConfig[0]`, `args` in flow
/// style), each `(path within the args, message)`; every one is at a line and column.
fn arg_errors(plugin: &str, args: &str) -> Vec<(String, String)> {
    let text = format!(
        "{}{KSC}profiles:\n- pluginConfig:\n  - name: {plugin}\n    args: {args}\n",
        sim("")
    );
    let (_, e) = errs(&[("sim.yaml", &text)]);
    e.iter()
        .map(|e| {
            let loc = e.location.as_ref().expect("located");
            assert!(loc.line > 1 && loc.column > 0, "{e}");
            let path = e.path.strip_prefix("profiles[0].pluginConfig[0].args");
            let path = path.unwrap_or(&e.path).trim_start_matches('.');
            (path.to_string(), e.message.clone())
        })
        .collect()
}

/// A pluginConfig case: plugin, args, the errors expected (path within the args, message).
type ArgsCase<'a> = (&'a str, &'a str, Vec<(&'a str, String)>);

/// Checks each case with [`arg_errors`].
fn check_args(cases: Vec<ArgsCase<'_>>) {
    for (plugin, args, want) in cases {
        let got = arg_errors(plugin, args);
        let want: Vec<(String, String)> =
            want.into_iter().map(|(p, m)| (p.to_string(), m)).collect();
        assert_eq!(got, want, "{plugin} {args}");
    }
}

/// `IsQualifiedName`'s pattern message.
const QUALIFIED: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/// DefaultPreemption, InterPodAffinity, BalancedAllocation and NodeResourcesFit args checked
/// as upstream's `validation_pluginargs.go` checks them, in its words.
#[test]
fn preemption_affinity_and_resource_args_are_checked_in_upstreams_words() {
    let q = QUALIFIED;
    check_args(vec![
        (
            "DefaultPreemption",
            "{minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0}",
            vec![
                (
                    "minCandidateNodesPercentage",
                    "Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute".into(),
                ),
                (
                    "minCandidateNodesAbsolute",
                    "Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage".into(),
                ),
            ],
        ),
        (
            "DefaultPreemption",
            "{minCandidateNodesPercentage: 101, minCandidateNodesAbsolute: -1}",
            vec![
                ("minCandidateNodesPercentage", "Invalid value: 101: not in valid range [0, 100]".into()),
                ("minCandidateNodesAbsolute", "Invalid value: -1: not in valid range [0, inf)".into()),
            ],
        ),
        (
            "DefaultPreemption",
            "{kind: InterPodAffinityArgs}",
            vec![(
                "kind",
                "args for plugin DefaultPreemption were not of type DefaultPreemptionArgs.kubescheduler.config.k8s.io, got InterPodAffinityArgs.kubescheduler.config.k8s.io".into(),
            )],
        ),
        (
            "InterPodAffinity",
            "{hardPodAffinityWeight: 101}",
            vec![("hardPodAffinityWeight", "Invalid value: 101: not in valid range [0, 100]".into())],
        ),
        (
            "NodeResourcesBalancedAllocation",
            "{resources: [{name: cpu, weight: 2}, {name: cpu}]}",
            vec![
                ("resources[0].weight", "Invalid value: 2: must be 1".into()),
                ("resources[1].name", "Duplicate value: \"cpu\"".into()),
            ],
        ),
        (
            "NodeResourcesFit",
            "{ignoredResources: [a/b/c], ignoredResourceGroups: [example.com/gpu]}",
            vec![
                (
                    "ignoredResources[0]",
                    format!("Invalid value: \"a/b/c\": a qualified name {q} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
                ),
                (
                    "ignoredResourceGroups[0]",
                    "Invalid value: \"example.com/gpu\": resource group name can't contain '/'".into(),
                ),
            ],
        ),
        (
            "NodeResourcesFit",
            "{scoringStrategy: {type: RequestedToCapacityRatio}}",
            vec![(
                "scoringStrategy.requestedToCapacityRatio",
                "Required value: must be specified when type is RequestedToCapacityRatio".into(),
            )],
        ),
        (
            "NodeResourcesFit",
            "{scoringStrategy: {type: MostAllocated, requestedToCapacityRatio: {shape: [{utilization: 0, score: 0}]}}}",
            vec![(
                "scoringStrategy.requestedToCapacityRatio",
                "Forbidden: must be nil when type is not RequestedToCapacityRatio".into(),
            )],
        ),
        (
            "NodeResourcesFit",
            "{scoringStrategy: {type: RequestedToCapacityRatio, requestedToCapacityRatio: {shape: [{utilization: 50, score: 11}, {utilization: 50, score: 0}]}}}",
            vec![
                (
                    "scoringStrategy.requestedToCapacityRatio.shape[0].score",
                    "Invalid value: 11: not in valid range [0, 10]".into(),
                ),
                (
                    "scoringStrategy.requestedToCapacityRatio.shape[1].utilization",
                    "Invalid value: 50: values must be sorted in increasing order".into(),
                ),
            ],
        ),
        (
            "NodeResourcesFit",
            "{scoringStrategy: {resources: [{name: cpu, weight: -1}]}}",
            vec![
                (
                    "scoringStrategy.type",
                    "Unsupported value: \"\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"".into(),
                ),
                (
                    "scoringStrategy.resources[0].weight",
                    "Invalid value: -1: resource weight of cpu not in valid range (0, 100]".into(),
                ),
            ],
        ),
        (
            "NodeResourcesFit",
            "{hardPodAffinityWeight: 1}",
            vec![(
                "hardPodAffinityWeight",
                "strict decoding error: unknown field \"hardPodAffinityWeight\"".into(),
            )],
        ),
    ]);
}

/// PodTopologySpread, VolumeBinding, DynamicResources and NodeAffinity args, likewise.
#[test]
fn spread_volume_and_affinity_args_are_checked_in_upstreams_words() {
    let q = QUALIFIED;
    check_args(vec![
        (
            "PodTopologySpread",
            "{defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}",
            vec![(
                "defaultingType",
                "Invalid value: \"System\": when .defaultConstraints are not empty".into(),
            )],
        ),
        (
            "PodTopologySpread",
            "{defaultingType: Zone}",
            vec![(
                "defaultingType",
                "Unsupported value: \"Zone\": supported values: \"System\", \"List\"".into(),
            )],
        ),
        (
            "PodTopologySpread",
            "{defaultingType: List, defaultConstraints: [{maxSkew: 0, topologyKey: '', whenUnsatisfiable: Sometimes, labelSelector: {}}, {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}, {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}, {maxSkew: 1, topologyKey: 'a/b/c', whenUnsatisfiable: ''}]}",
            vec![
                ("defaultConstraints[0].maxSkew", "Invalid value: 0: not in valid range (0, inf)".into()),
                ("defaultConstraints[0].topologyKey", "Required value: can not be empty".into()),
                (
                    "defaultConstraints[0].whenUnsatisfiable",
                    "Unsupported value: \"Sometimes\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"".into(),
                ),
                (
                    "defaultConstraints[0].labelSelector",
                    "Forbidden: constraint must not define a selector, as they deduced for each pod".into(),
                ),
                ("defaultConstraints[2]", "Duplicate value: \"{zone, ScheduleAnyway}\"".into()),
                (
                    "defaultConstraints[3].topologyKey",
                    format!("Invalid value: \"a/b/c\": a qualified name {q} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
                ),
                ("defaultConstraints[3].whenUnsatisfiable", "Required value: can not be empty".into()),
            ],
        ),
        (
            "VolumeBinding",
            "{bindTimeoutSeconds: -1, shape: [{utilization: 0, score: 10}]}",
            vec![
                (
                    "bindTimeoutSeconds",
                    "Invalid value: -1: invalid BindTimeoutSeconds, should not be a negative value".into(),
                ),
                (
                    "shape",
                    "Invalid value: []config.UtilizationShapePoint{config.UtilizationShapePoint{Utilization:0, Score:10}}: unexpected field `shape`, remove it or turn on the feature gate StorageCapacityScoring".into(),
                ),
            ],
        ),
        (
            "DynamicResources",
            "{filterTimeout: -1s}",
            vec![("filterTimeout", "Invalid value: -1s: must be zero or positive".into())],
        ),
    ]);
    // Node affinity terms are read as a pod's are.
    let got = arg_errors(
        "NodeAffinity",
        "{addedAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Near}]}]}}}",
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].0,
        "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"
    );
}

/// Defaults as upstream's: every args kind resolves, a weight of 0 or none is 1, and the
/// args given reach the profile; a second pluginConfig of one plugin is a duplicate.
#[test]
fn plugin_args_are_defaulted_and_a_plugin_configured_twice_is_a_duplicate() {
    use crate::api::scheduler_config::DefaultingType;
    let text = format!(
        "{}{KSC}profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args: {{scoringStrategy: {{type: MostAllocated, resources: [{{name: cpu, weight: 0}}, {{name: memory}}]}}}}\n  - name: DefaultPreemption\n    args: {{minCandidateNodesAbsolute: 5}}\n  - name: InterPodAffinity\n    args: {{ignorePreferredTermsOfExistingPods: true}}\n  - name: PodTopologySpread\n    args: {{defaultingType: List, defaultConstraints: [{{maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}}]}}\n  - name: NodeAffinity\n    args: {{addedAffinity: {{preferredDuringSchedulingIgnoredDuringExecution: [{{weight: 7, preference: {{matchExpressions: [{{key: tier, operator: In, values: [a]}}]}}}}]}}}}\n  - name: VolumeBinding\n  - name: TaintToleration\n    args: {{}}\n",
        sim("")
    );
    let s = ok(&[("sim.yaml", &text)]);
    let args = &s.scheduler.profiles[0].plugin_args;
    let names: Vec<&str> = args.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "NodeResourcesFit",
            "DefaultPreemption",
            "InterPodAffinity",
            "PodTopologySpread",
            "NodeAffinity",
            "VolumeBinding"
        ]
    );
    let Args::NodeResourcesFit(fit) = &args[0].1 else {
        panic!()
    };
    assert_eq!(
        fit.resources.iter().map(|w| w.weight).collect::<Vec<_>>(),
        [1, 1]
    );
    let Args::DefaultPreemption(p) = &args[1].1 else {
        panic!()
    };
    assert_eq!(
        (
            p.min_candidate_nodes_percentage,
            p.min_candidate_nodes_absolute
        ),
        (10, 5)
    );
    let Args::InterPodAffinity(a) = &args[2].1 else {
        panic!()
    };
    assert!(a.ignore_preferred_terms_of_existing_pods);
    assert_eq!(a.hard_pod_affinity_weight, 1);
    let Args::PodTopologySpread(t) = &args[3].1 else {
        panic!()
    };
    assert_eq!(t.defaulting_type, DefaultingType::List);
    assert_eq!(t.default_constraints[0].max_skew, 2);
    assert_eq!(t.default_constraints[0].label_selector, None);
    let Args::NodeAffinity(n) = &args[4].1 else {
        panic!()
    };
    let added = n.added_affinity.as_ref().unwrap();
    assert_eq!(
        (added.required.is_none(), added.preferred[0].weight),
        (true, 7)
    );
    let Args::VolumeBinding(v) = &args[5].1 else {
        panic!()
    };
    assert_eq!(v.bind_timeout_seconds, 600);

    let text = format!(
        "{}{KSC}profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n  - name: TaintToleration\n  - name: NodeResourcesFit\n    args: {{ignoredResources: ['-x']}}\n",
        sim("")
    );
    let (_, e) = errs(&[("sim.yaml", &text)]);
    let got: Vec<_> = e
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{}", display(&e));
    assert_eq!(
        got[0],
        (
            "profiles[0].pluginConfig[2]",
            "Duplicate value: \"NodeResourcesFit\""
        )
    );
    // The duplicate's args are still checked.
    assert_eq!(
        got[1].0,
        "profiles[0].pluginConfig[2].args.ignoredResources[0]"
    );
}

/// The schema's `args` table and the resolver agree: every plugin with an args type has its
/// args resolved, and no other plugin does.
#[test]
fn every_args_type_of_the_schema_is_resolved() {
    use super::super::resolver::{Doc, Resolver};
    let schema = super::super::schema::Schema::get();
    let file = std::path::Path::new("x.yaml");
    let d = Doc {
        file,
        line: 1,
        item: None,
    };
    let with_args: Vec<&str> = schema.plugins_with_args().collect();
    assert_eq!(with_args.len(), 8, "{with_args:?}");
    let without = ["TaintToleration", "ImageLocality", "example.com/Mine"];
    for name in with_args.into_iter().chain(without) {
        let mut r = Resolver::default();
        let got = args::resolve(&mut r, d, "p", name, &PluginArgs::default());
        assert_eq!(got.is_some(), schema.plugin_args(name).is_some(), "{name}");
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
    }
}
