//! The policy API group (`policy/v1`): PodDisruptionBudgets, as written and resolved.

use super::meta::{
    IntOrString, LabelSelector, ObjectMeta, int_or_percent, label_selector, namespace,
};
use super::resolver::{Doc, Resolver};
use super::yaml::Spanned;
use crate::api;
use crate::api::names::NameRule;
use serde::Deserialize;

/// A `policy/v1` PodDisruptionBudget.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PodDisruptionBudget {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec (required).
    pub spec: PodDisruptionBudgetSpec,
}

/// PodDisruptionBudget spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodDisruptionBudgetSpec {
    /// Pods that must stay available: a count or a percentage (`"50%"`).
    #[serde(default)]
    pub min_available: Option<Spanned<IntOrString>>,
    /// Pods that may be unavailable: a count or a percentage.
    #[serde(default)]
    pub max_unavailable: Option<Spanned<IntOrString>>,
    /// The pods covered.
    #[serde(default)]
    pub selector: Option<LabelSelector>,
}

/// A PodDisruptionBudget manifest: exactly one of `minAvailable` and `maxUnavailable`.
pub(super) fn disruption_budget(r: &mut Resolver, d: Doc, p: &PodDisruptionBudget) {
    let Some(name) = r.name(d, &p.metadata.name, NameRule::Subdomain) else {
        return;
    };
    let namespace = namespace(r, d, p.metadata.namespace.as_ref());
    if r.pdbs
        .iter()
        .any(|b| b.namespace == namespace && b.name == name)
    {
        let msg = format!("duplicate PodDisruptionBudget {namespace}/{name}");
        r.doc(d, "metadata.name", msg);
        return;
    }
    let min = p
        .spec
        .min_available
        .as_ref()
        .and_then(|v| int_or_percent(r, d, "spec.minAvailable", v));
    let max = p
        .spec
        .max_unavailable
        .as_ref()
        .and_then(|v| int_or_percent(r, d, "spec.maxUnavailable", v));
    if p.spec.min_available.is_some() == p.spec.max_unavailable.is_some() {
        r.doc(
            d,
            "spec",
            "exactly one of minAvailable and maxUnavailable must be set",
        );
        return;
    }
    let selector = p
        .spec
        .selector
        .as_ref()
        .and_then(|s| label_selector(r, d, "spec.selector", s));
    r.pdbs.push(api::disruption::PodDisruptionBudget {
        name,
        namespace,
        selector,
        min_available: min,
        max_unavailable: max,
    });
}
