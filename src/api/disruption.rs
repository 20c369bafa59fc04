//! PodDisruptionBudget (`policy/v1`): how many pods of a set may be disrupted at once, and
//! the status the disruption controller keeps (`staging/src/k8s.io/api/policy/v1/types.go`).

pub use super::intstr::IntOrPercent;
use super::node::ConditionStatus;
use super::selector::{LabelSelector, Labels, Operator};
use crate::engine::SimTime;
use std::collections::BTreeMap;

/// The one condition type of a budget's status.
pub const DISRUPTION_ALLOWED: &str = "DisruptionAllowed";
/// `DisruptionAllowed` is True: `disruptionsAllowed` > 0.
pub const SUFFICIENT_PODS: &str = "SufficientPods";
/// `DisruptionAllowed` is False: no disruption is allowed now.
pub const INSUFFICIENT_PODS: &str = "InsufficientPods";
/// `DisruptionAllowed` is False: the controller could not compute the status (its
/// `failSafe`), the message saying why.
pub const SYNC_FAILED: &str = "SyncFailed";

/// The `metadata.generation` of every budget: its spec is never edited in kubesim (`kubectl
/// apply` leaves an existing budget as it is), so it stays at the first generation.
pub const GENERATION: i64 = 1;

/// Exactly one of `min_available` and `max_unavailable` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodDisruptionBudget {
    /// Name.
    pub name: String,
    /// Namespace of the budget and of the pods it covers.
    pub namespace: String,
    /// The covered pods; `None` covers none.
    pub selector: Option<LabelSelector>,
    /// Pods that must stay available.
    pub min_available: Option<IntOrPercent>,
    /// Pods that may be unavailable.
    pub max_unavailable: Option<IntOrPercent>,
}

impl PodDisruptionBudget {
    /// Whether the budget selects a pod of this namespace and labels as the disruption
    /// controller and its informers read selectors (`GetPodPodDisruptionBudgets` in
    /// `staging/src/k8s.io/client-go/listers/policy/v1/poddisruptionbudget_expansion.go`):
    /// an empty selector selects every pod of the namespace, a missing one none.
    pub fn selects(&self, namespace: &str, labels: &Labels) -> bool {
        namespace == self.namespace && self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }

    /// Whether the budget guards a pod against the eviction API and preemption, which read
    /// selectors their own way (`getPodDisruptionBudgets` in
    /// `pkg/registry/core/pod/storage/eviction.go`, `filterPodsWithPDBViolation` in
    /// `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`): an empty
    /// selector, like a missing one, guards nothing.
    pub fn guards(&self, namespace: &str, labels: &Labels) -> bool {
        namespace == self.namespace
            && self
                .selector
                .as_ref()
                .is_some_and(|s| !s.is_everything() && s.matches(labels))
    }

    /// Whether `expectedPods` is the summed scale of the pods' controllers rather than the
    /// number of selected pods: `maxUnavailable`, or a percentage `minAvailable`
    /// (`getExpectedPodCount`).
    pub fn counts_scale(&self) -> bool {
        !matches!(
            (self.min_available, self.max_unavailable),
            (Some(IntOrPercent::Int(_)), None)
        )
    }

    /// `desiredHealthy` for `expected` pods (`getExpectedPodCount`): `minAvailable` (a
    /// percentage rounded up), or `expected - maxUnavailable` (rounded up), never below 0.
    pub fn desired_healthy(&self, expected: i64) -> i64 {
        match (self.min_available, self.max_unavailable) {
            (_, Some(max)) => (expected - max.scaled(expected)).max(0),
            (Some(min), None) => min.scaled(expected),
            (None, None) => 0,
        }
    }

    /// The selector as upstream's `%v` of a `*metav1.LabelSelector` prints it (the
    /// generated `String()`), as in the `UnmanagedPods` event: single-value `In`
    /// requirements are written as `matchLabels` (kubesim keeps the compiled selector, in
    /// which the two forms are one), keys sorted.
    pub fn selector_go_string(&self) -> String {
        let Some(s) = &self.selector else {
            return "nil".into();
        };
        let mut labels = String::new();
        let mut expressions = String::new();
        for r in &s.requirements {
            if r.operator == Operator::In && r.values.len() == 1 {
                labels.push_str(&format!("{}: {},", r.key, r.values[0]));
            } else {
                expressions.push_str(&format!(
                    "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                    r.key,
                    r.operator.as_str(),
                    r.values.join(" ")
                ));
            }
        }
        format!(
            "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},\
             MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
        )
    }
}

/// The `DisruptionAllowed` condition (a `metav1.Condition`; its message is empty except
/// after a failed sync).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisruptionAllowedCondition {
    /// `status`.
    pub status: ConditionStatus,
    /// `reason`: [`SUFFICIENT_PODS`], [`INSUFFICIENT_PODS`] or [`SYNC_FAILED`].
    pub reason: &'static str,
    /// `message`.
    pub message: String,
    /// `observedGeneration`.
    pub observed_generation: i64,
    /// `lastTransitionTime`: when `status` last changed.
    pub last_transition: SimTime,
}

/// A budget's `status`, as the disruption controller writes it and the eviction API
/// decrements it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PdbStatus {
    /// `observedGeneration`: 0 until the controller's first sync; the eviction API refuses
    /// while it is behind the budget's generation.
    pub observed_generation: i64,
    /// `disruptedPods`: pods the eviction API let go, by name, with when, that the
    /// controller has not yet seen being deleted.
    pub disrupted_pods: BTreeMap<String, SimTime>,
    /// `disruptionsAllowed`.
    pub disruptions_allowed: i64,
    /// `currentHealthy`.
    pub current_healthy: i64,
    /// `desiredHealthy`.
    pub desired_healthy: i64,
    /// `expectedPods`.
    pub expected_pods: i64,
    /// The `DisruptionAllowed` condition, once written.
    pub condition: Option<DisruptionAllowedCondition>,
}

impl PdbStatus {
    /// Sets the `DisruptionAllowed` condition as `apimeta.SetStatusCondition` does (the
    /// transition time moves only when the status flips), `now`.
    pub fn set_condition(
        &mut self,
        status: ConditionStatus,
        reason: &'static str,
        message: String,
        now: SimTime,
    ) {
        let last_transition = match &self.condition {
            Some(c) if c.status == status => c.last_transition,
            _ => now,
        };
        self.condition = Some(DisruptionAllowedCondition {
            status,
            reason,
            message,
            observed_generation: self.observed_generation,
            last_transition,
        });
    }

    /// The condition that follows from `disruptionsAllowed`
    /// (`UpdateDisruptionAllowedCondition`, `staging/src/k8s.io/component-helpers/apps/
    /// poddisruptionbudget/helpers.go`): True `SufficientPods` when positive, else False
    /// `InsufficientPods`.
    pub fn update_condition(&mut self, now: SimTime) {
        if self.disruptions_allowed > 0 {
            self.set_condition(ConditionStatus::True, SUFFICIENT_PODS, String::new(), now);
        } else {
            self.set_condition(
                ConditionStatus::False,
                INSUFFICIENT_PODS,
                String::new(),
                now,
            );
        }
    }

    /// Whether the condition says what `disruptionsAllowed` says (`ConditionsAreUpToDate`).
    pub fn condition_up_to_date(&self) -> bool {
        self.condition.as_ref().is_some_and(|c| {
            let want = if self.disruptions_allowed > 0 {
                (ConditionStatus::True, SUFFICIENT_PODS)
            } else {
                (ConditionStatus::False, INSUFFICIENT_PODS)
            };
            (c.status, c.reason) == want
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdb(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PodDisruptionBudget {
        PodDisruptionBudget {
            name: "b".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::parse("app=db").unwrap()),
            min_available: min,
            max_unavailable: max,
        }
    }

    #[test]
    fn desired_healthy_table() {
        use IntOrPercent::*;
        // (minAvailable, maxUnavailable, expected pods) -> desiredHealthy, counts scale
        let cases = [
            (Some(Int(2)), None, 3, 2, false),
            (Some(Int(5)), None, 3, 5, false),
            // 50% of 3 rounds up to 2.
            (Some(Percent(50)), None, 3, 2, true),
            (Some(Percent(100)), None, 4, 4, true),
            (None, Some(Int(1)), 4, 3, true),
            // 25% of 3 rounds up to 1 unavailable.
            (None, Some(Percent(25)), 3, 2, true),
            // Never below 0.
            (None, Some(Int(5)), 3, 0, true),
            (None, Some(Percent(100)), 0, 0, true),
        ];
        for (min, max, expected, desired, scale) in cases {
            let b = pdb(min, max);
            assert_eq!(
                b.desired_healthy(expected),
                desired,
                "{min:?} {max:?} {expected}"
            );
            assert_eq!(b.counts_scale(), scale, "{min:?} {max:?}");
        }
    }

    #[test]
    fn empty_selectors_select_everything_but_guard_nothing() {
        let mut l = Labels::new();
        l.insert("app".into(), "db".into());
        let b = pdb(None, Some(IntOrPercent::Int(1)));
        assert!(b.selects("default", &l) && b.guards("default", &l));
        assert!(!b.selects("other", &l) && !b.guards("other", &l));
        let empty = PodDisruptionBudget {
            selector: Some(LabelSelector::default()),
            ..b.clone()
        };
        assert!(empty.selects("default", &l) && !empty.guards("default", &l));
        let none = PodDisruptionBudget {
            selector: None,
            ..b
        };
        assert!(!none.selects("default", &l) && !none.guards("default", &l));
    }

    #[test]
    fn the_selector_prints_as_go_prints_it() {
        let b = PodDisruptionBudget {
            selector: Some(LabelSelector::parse("app=web,tier in (a,b),!canary").unwrap()),
            ..pdb(None, None)
        };
        assert_eq!(
            b.selector_go_string(),
            "&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:\
             []LabelSelectorRequirement{LabelSelectorRequirement{Key:canary,Operator:\
             DoesNotExist,Values:[],},LabelSelectorRequirement{Key:tier,Operator:In,\
             Values:[a b],},},}"
        );
    }

    #[test]
    fn the_condition_moves_its_transition_time_only_when_it_flips() {
        let mut s = PdbStatus {
            observed_generation: 1,
            disruptions_allowed: 1,
            ..PdbStatus::default()
        };
        assert!(!s.condition_up_to_date());
        s.update_condition(SimTime(1_000));
        assert!(s.condition_up_to_date());
        s.update_condition(SimTime(2_000));
        let c = s.condition.clone().unwrap();
        assert_eq!(
            (c.reason, c.last_transition),
            (SUFFICIENT_PODS, SimTime(1_000))
        );
        s.disruptions_allowed = 0;
        assert!(!s.condition_up_to_date());
        s.update_condition(SimTime(3_000));
        let c = s.condition.unwrap();
        assert_eq!(
            (c.status, c.reason, c.last_transition, c.observed_generation),
            (ConditionStatus::False, INSUFFICIENT_PODS, SimTime(3_000), 1)
        );
    }
}
