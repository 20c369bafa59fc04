//! The scheduling API group (`scheduling.k8s.io/v1`): PriorityClasses, as written and
//! resolved (the built-in `system-` classes are always there).

use super::meta::ObjectMeta;
use super::resolver::{Doc, Resolver};
use crate::api;
use crate::api::names::NameRule;
use crate::api::pod::PreemptionPolicy;
use serde::Deserialize;

/// A `scheduling.k8s.io/v1` PriorityClass.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorityClass {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Priority value (required).
    pub value: i32,
    /// Default for pods without a class.
    #[serde(default)]
    pub global_default: bool,
    /// `PreemptLowerPriority` or `Never` (unchecked).
    #[serde(default)]
    pub preemption_policy: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A PriorityClass manifest (user classes take values up to one billion).
pub(super) fn priority_class(r: &mut Resolver, d: Doc, pc: &PriorityClass) {
    let Some(name) = r.name(d, &pc.metadata.name, NameRule::Subdomain) else {
        return;
    };
    if pc.value > 1_000_000_000 {
        r.doc(
            d,
            "value",
            format!(
                "must not exceed 1000000000 for user classes, got {}",
                pc.value
            ),
        );
    }
    let policy = match pc.preemption_policy.as_deref() {
        None | Some("PreemptLowerPriority") => PreemptionPolicy::PreemptLowerPriority,
        Some("Never") => PreemptionPolicy::Never,
        Some(o) => {
            r.doc(
                d,
                "preemptionPolicy",
                format!("expected PreemptLowerPriority or Never, got {o:?}"),
            );
            PreemptionPolicy::PreemptLowerPriority
        }
    };
    if r.classes.contains_key(&name) {
        let what = if name.starts_with("system-") {
            "is reserved for the built-in classes"
        } else {
            "is defined twice"
        };
        r.doc(d, "metadata.name", format!("PriorityClass {name:?} {what}"));
        return;
    }
    if pc.global_default && r.classes.values().any(|c| c.global_default) {
        r.doc(
            d,
            "globalDefault",
            "only one PriorityClass may be the global default",
        );
    }
    r.classes.insert(
        name.clone(),
        api::PriorityClass {
            name,
            value: pc.value,
            global_default: pc.global_default,
            preemption_policy: policy,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::api::arrival::{ArrivalTemplate, Source};

    #[test]
    fn global_default_priority_class_applies_and_explicit_priority_wins() {
        let text = format!(
            "{}---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: batch}}
value: 500
globalDefault: true
preemptionPolicy: Never
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {{name: high}}
value: 1000
---
{}---
{}---
{}",
            sim(
                "  arrivals:\n  - {count: 1, every: 1s, template: {kind: Pod, metadata: {name: s}, spec: {containers: [{name: c, image: x}]}}}\n"
            ),
            POD.replace("name: p}", "name: plain}"),
            POD.replace("name: p}", "name: explicit}")
                .replace("spec:\n", "spec:\n  priority: 7\n"),
            POD.replace("name: p}", "name: classed}")
                .replace("spec:\n", "spec:\n  priorityClassName: high\n"),
        );
        let s = ok(&[("sim.yaml", &text)]);
        let plain = pod_named(&s, "plain");
        assert_eq!(plain.spec.priority, 500);
        assert_eq!(plain.spec.preemption_policy, PreemptionPolicy::Never);
        assert_eq!(pod_named(&s, "explicit").spec.priority, 7);
        let classed = pod_named(&s, "classed");
        assert_eq!(classed.spec.priority, 1000);
        assert_eq!(
            classed.spec.preemption_policy,
            PreemptionPolicy::PreemptLowerPriority
        );
        let Source::Stream(stream) = &s.arrivals[0] else {
            panic!("expected a stream")
        };
        let ArrivalTemplate::Pod { spec, .. } = &stream.template else {
            panic!("expected a Pod template")
        };
        assert_eq!(spec.priority, 500);
        assert!(
            s.priority_classes
                .iter()
                .any(|c| c.name == "batch" && c.global_default)
        );
    }

    #[test]
    fn two_global_defaults_are_an_error() {
        let pc = |n: &str| {
            format!(
                "---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: {n}}}\nvalue: 5\nglobalDefault: true\n"
            )
        };
        let text = format!("{}{}{}", sim(""), pc("a"), pc("b"));
        let (_, errs) = errs(&[("sim.yaml", &text)]);
        assert_eq!(errs.len(), 1, "{}", display(&errs));
        assert_eq!(errs[0].path, "globalDefault");
    }
}
