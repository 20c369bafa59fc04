//! The args of the plugins that place pods by labels: NodeAffinity's `addedAffinity` and
//! PodTopologySpread's `defaultingType` and `defaultConstraints`.

use super::super::super::core::{inclusion_policy, selector_term, selector_terms};
use super::super::super::resolver::{Doc, Resolver};
use super::super::super::yaml::Spanned;
use super::{DefaultConstraint, PluginArgs, at, invalid, invalid_str, label_name, unsupported};
use crate::api::affinity::{NodeAffinity, PreferredTerm};
use crate::api::pod_affinity::{InclusionPolicy, TopologySpreadConstraint, WhenUnsatisfiable};
use crate::api::scheduler_config::{DefaultingType, NodeAffinityArgs, PodTopologySpreadArgs};

/// `NodeAffinityArgs`: the terms are read as a pod's are (in kubesim's words); preferred
/// weights are not range-checked, as upstream's parser does not check them.
pub(super) fn node_affinity(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    a: &PluginArgs,
) -> NodeAffinityArgs {
    let Some(na) = &a.added_affinity else {
        return NodeAffinityArgs::default();
    };
    let path = format!("{path}.addedAffinity");
    let required = na
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .map(|ns| {
            let p = format!("{path}.requiredDuringSchedulingIgnoredDuringExecution");
            selector_terms(r, d, &p, ns)
        });
    let preferred = na
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = format!("{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            PreferredTerm {
                weight: t.weight.value,
                term: selector_term(r, d, &format!("{p}.preference"), &t.preference),
            }
        })
        .collect();
    NodeAffinityArgs {
        added_affinity: Some(NodeAffinity {
            required,
            preferred,
        }),
    }
}

/// `PodTopologySpreadArgs`: `defaultingType` (default System, which takes no list) and each
/// default constraint as `ValidatePodTopologySpreadArgs` checks it.
pub(super) fn topology_spread(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    a: &PluginArgs,
) -> PodTopologySpreadArgs {
    let tpath = format!("{path}.defaultingType");
    let given = a.defaulting_type.as_ref();
    let defaulting_type = match given.map_or("", |t| t.value.as_str()) {
        "" | "System" => DefaultingType::System,
        "List" => DefaultingType::List,
        other => {
            let msg = unsupported(other, &["System", "List"]);
            at(r, d, given, &tpath, msg);
            DefaultingType::List
        }
    };
    if defaulting_type == DefaultingType::System && !a.default_constraints.is_empty() {
        let msg = invalid_str("System", "when .defaultConstraints are not empty");
        at(r, d, given, &tpath, msg);
    }
    let mut default_constraints: Vec<TopologySpreadConstraint> = Vec::new();
    for (i, c) in a.default_constraints.iter().enumerate() {
        let p = format!("{path}.defaultConstraints[{i}]");
        let tc = default_constraint(r, d, &p, c);
        let repeated = default_constraints.iter().any(|o| {
            o.topology_key == tc.topology_key && o.when_unsatisfiable == tc.when_unsatisfiable
        });
        if repeated {
            let when = c
                .when_unsatisfiable
                .as_ref()
                .map_or("", |w| w.value.as_str());
            let pair = format!("{{{}, {when}}}", tc.topology_key);
            r.doc(d, &p, format!("Duplicate value: {pair:?}"));
        }
        default_constraints.push(tc);
    }
    PodTopologySpreadArgs {
        default_constraints,
        defaulting_type,
    }
}

/// One default constraint at `path`.
fn default_constraint(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    c: &DefaultConstraint,
) -> TopologySpreadConstraint {
    let max_skew = c.max_skew.as_ref().map_or(0, |m| m.value);
    if max_skew <= 0 {
        let msg = invalid(max_skew, "not in valid range (0, inf)");
        at(r, d, c.max_skew.as_ref(), &format!("{path}.maxSkew"), msg);
    }
    let key = c.topology_key.as_ref().map_or("", |k| k.value.as_str());
    let kpath = format!("{path}.topologyKey");
    if key.is_empty() {
        at(
            r,
            d,
            c.topology_key.as_ref(),
            &kpath,
            "Required value: can not be empty".into(),
        );
    } else {
        label_name(r, d, &kpath, key);
    }
    let wpath = format!("{path}.whenUnsatisfiable");
    let when = match c
        .when_unsatisfiable
        .as_ref()
        .map_or("", |w| w.value.as_str())
    {
        "DoNotSchedule" => WhenUnsatisfiable::DoNotSchedule,
        "ScheduleAnyway" => WhenUnsatisfiable::ScheduleAnyway,
        other => {
            let msg = if other.is_empty() {
                "Required value: can not be empty".to_owned()
            } else {
                unsupported(other, &["DoNotSchedule", "ScheduleAnyway"])
            };
            at(r, d, c.when_unsatisfiable.as_ref(), &wpath, msg);
            WhenUnsatisfiable::DoNotSchedule
        }
    };
    if c.label_selector.is_some() {
        r.doc(
            d,
            &format!("{path}.labelSelector"),
            "Forbidden: constraint must not define a selector, as they deduced for each pod",
        );
    }
    let policy = |r: &mut Resolver, field: &str, v: &Option<Spanned<String>>, default| {
        inclusion_policy(r, d, &format!("{path}.{field}"), v, default)
    };
    TopologySpreadConstraint {
        max_skew,
        topology_key: key.to_owned(),
        when_unsatisfiable: when,
        label_selector: None,
        min_domains: c.min_domains,
        node_affinity_policy: policy(
            r,
            "nodeAffinityPolicy",
            &c.node_affinity_policy,
            InclusionPolicy::Honor,
        ),
        node_taints_policy: policy(
            r,
            "nodeTaintsPolicy",
            &c.node_taints_policy,
            InclusionPolicy::Ignore,
        ),
        match_label_keys: Vec::new(),
    }
}
