//! The eviction subresource (`pods/eviction`, `pkg/registry/core/pod/storage/eviction.go`):
//! a pod is deleted with its grace period unless the PodDisruptionBudget guarding it allows
//! no disruption now.
//!
//! The API server reads the budget's **status**, as the disruption controller last wrote it
//! (`controllers/disruption.rs`), and takes one disruption from it (`checkAndDecrement`):
//! - a pod finished, Pending or already being deleted ignores budgets (`canIgnorePDB`);
//! - more than one budget guarding the pod is a 500 (a budget with an empty or no selector
//!   guards nothing here);
//! - a pod not Ready goes without taking a disruption while the budget has the healthy pods
//!   it wants (`currentHealthy >= desiredHealthy > 0`: the `IfHealthyBudget` policy, the
//!   default of `unhealthyPodEvictionPolicy`);
//! - otherwise: a status older than the budget (`observedGeneration` behind) is a 429, "still
//!   being processed"; more than 2,000 `disruptedPods` a 403; `disruptionsAllowed` 0 a 429;
//!   else `disruptionsAllowed` drops by one (the `DisruptionAllowed` condition turns False
//!   when it reaches 0), the pod joins `disruptedPods` with the time, and the status is
//!   written before the pod is deleted.

use super::{PdbId, PodId, Store};
use crate::api::disruption::GENERATION;
use crate::api::pod::Phase;
use crate::engine::SimTime;

/// `MaxDisruptedPodSize`: past this many unconfirmed evictions a budget refuses more.
pub const MAX_DISRUPTED_POD_SIZE: usize = 2000;

/// Why an eviction was refused, in the API server's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionRefused {
    /// 429: the budget allows no disruption now (the cause: `The disruption budget NAME needs
    /// D healthy pods and has H currently`).
    Budget {
        /// `namespace/name` of the budget.
        budget: String,
        /// Its `desiredHealthy`.
        desired: i64,
        /// Its `currentHealthy`.
        healthy: i64,
    },
    /// 429: the budget's status is older than its spec (the cause: `The disruption budget
    /// NAME is still being processed by the server.`).
    Stale {
        /// `namespace/name` of the budget.
        budget: String,
    },
    /// 403: too many evictions the disruption controller has not confirmed yet.
    TooManyDisrupted {
        /// The budget's name.
        name: String,
    },
    /// 500: more than one budget guards the pod.
    SeveralBudgets,
}

impl EvictionRefused {
    /// Whether it is a 429 (TooManyRequests), which kubectl retries; any other refusal ends
    /// the pod's eviction.
    pub fn is_retried(&self) -> bool {
        matches!(
            self,
            EvictionRefused::Budget { .. } | EvictionRefused::Stale { .. }
        )
    }
}

impl std::fmt::Display for EvictionRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvictionRefused::Budget { .. } | EvictionRefused::Stale { .. } => {
                f.write_str("Cannot evict pod as it would violate the pod's disruption budget.")
            }
            EvictionRefused::TooManyDisrupted { name } => write!(
                f,
                "poddisruptionbudget.policy {name:?} is forbidden: DisruptedPods map too big - \
                 too many evictions not confirmed by PDB controller"
            ),
            EvictionRefused::SeveralBudgets => f.write_str(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ),
        }
    }
}

impl Store {
    /// The budgets guarding a pod against evictions, in creation order.
    pub fn guarding_budgets(&self, pod: PodId) -> Vec<PdbId> {
        let p = self.pod(pod);
        (0..self.pdbs().len())
            .map(|i| PdbId(i as u32))
            .filter(|&b| self.pdb(b).guards(&p.meta.namespace, &p.meta.labels))
            .collect()
    }

    /// Evicts a pod (`POST pods/NAME/eviction`): deleted with `grace_ms` (or its own grace
    /// period) unless its budget refuses (see the module's doc). `Ok(false)` when it was
    /// gone already.
    pub fn evict(
        &mut self,
        pod: PodId,
        now: SimTime,
        grace_ms: Option<i64>,
    ) -> Result<bool, EvictionRefused> {
        let p = self.pod(pod);
        if p.status.deleted.is_some() {
            return Ok(false);
        }
        let ignores_budgets = p.phase().is_terminal()
            || p.phase() == Phase::Pending
            || p.status.terminating.is_some();
        if !ignores_budgets {
            let ready = p.status.ready;
            let budgets = self.guarding_budgets(pod);
            if budgets.len() > 1 {
                return Err(EvictionRefused::SeveralBudgets);
            }
            if let Some(&b) = budgets.first() {
                let s = self.pdb_status(b);
                let healthy_enough =
                    s.current_healthy >= s.desired_healthy && s.desired_healthy > 0;
                if ready || !healthy_enough {
                    self.take_disruption(b, pod, now)?;
                }
            }
        }
        Ok(self.request_deletion_with_grace(pod, now, grace_ms))
    }

    /// `checkAndDecrement`: takes one of budget `b`'s disruptions for `pod`, or says why not.
    fn take_disruption(
        &mut self,
        b: PdbId,
        pod: PodId,
        now: SimTime,
    ) -> Result<(), EvictionRefused> {
        let budget = self.pdb(b);
        let key = format!("{}/{}", budget.namespace, budget.name);
        let mut s = self.pdb_status(b).clone();
        if s.observed_generation < GENERATION {
            return Err(EvictionRefused::Stale { budget: key });
        }
        if s.disrupted_pods.len() > MAX_DISRUPTED_POD_SIZE {
            return Err(EvictionRefused::TooManyDisrupted {
                name: budget.name.clone(),
            });
        }
        if s.disruptions_allowed <= 0 {
            return Err(EvictionRefused::Budget {
                budget: key,
                desired: s.desired_healthy,
                healthy: s.current_healthy,
            });
        }
        s.disruptions_allowed -= 1;
        if s.disruptions_allowed == 0 {
            s.update_condition(now);
        }
        s.disrupted_pods
            .insert(self.pod(pod).meta.name.clone(), now);
        self.set_pdb_status(b, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::disruption::{IntOrPercent, PdbStatus, PodDisruptionBudget};
    use crate::api::node::ConditionStatus;
    use crate::api::{LabelSelector, Labels};
    use std::sync::Arc;

    /// A store with one node, `n` Ready `app=web` pods on it, and a budget over them with
    /// this status.
    fn cluster(n: usize, status: Option<PdbStatus>) -> (Store, PdbId, Vec<PodId>) {
        let mut s = Store::new();
        let node = s.add_node(crate::api::testing::node("n1", 8_000, 1 << 34, 110));
        let pods = (0..n)
            .map(|i| {
                let mut pod = crate::api::testing::pod(&format!("web-{i}"), 100, 0);
                pod.meta.labels = Arc::new(Labels::from([("app".into(), "web".into())]));
                let p = s.create_pod(pod);
                s.bind(p, node, SimTime::ZERO);
                s.set_phase(p, Phase::Running, SimTime::ZERO);
                s.set_ready(p, true, SimTime::ZERO);
                p
            })
            .collect();
        let b = s.add_pdb(PodDisruptionBudget {
            name: "web".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::parse("app=web").unwrap()),
            min_available: None,
            max_unavailable: Some(IntOrPercent::Int(1)),
        });
        if let Some(st) = status {
            s.set_pdb_status(b, st);
        }
        (s, b, pods)
    }

    fn synced(allowed: i64, healthy: i64, desired: i64) -> PdbStatus {
        let mut s = PdbStatus {
            observed_generation: 1,
            disruptions_allowed: allowed,
            current_healthy: healthy,
            desired_healthy: desired,
            expected_pods: desired + 1,
            ..PdbStatus::default()
        };
        s.update_condition(SimTime::ZERO);
        s
    }

    #[test]
    fn an_eviction_takes_a_disruption_and_records_the_pod() {
        let (mut s, b, pods) = cluster(3, Some(synced(1, 3, 2)));
        let now = SimTime::from_ms(5_000);
        assert_eq!(s.evict(pods[0], now, None), Ok(true));
        let st = s.pdb_status(b);
        assert_eq!(st.disruptions_allowed, 0);
        assert_eq!(st.disrupted_pods.get("web-0"), Some(&now));
        let c = st.condition.as_ref().unwrap();
        assert_eq!(
            (c.status, c.reason),
            (ConditionStatus::False, "InsufficientPods")
        );
        assert!(s.pod(pods[0]).status.terminating.is_some());
        // The next one is refused from the decremented status, with upstream's figures.
        assert_eq!(
            s.evict(pods[1], now, None),
            Err(EvictionRefused::Budget {
                budget: "default/web".into(),
                desired: 2,
                healthy: 3
            })
        );
        assert!(s.pod(pods[1]).status.terminating.is_none());
        // A pod being deleted ignores budgets.
        assert_eq!(s.evict(pods[0], now, None), Ok(false));
    }

    #[test]
    fn a_budget_not_yet_synced_refuses_as_still_being_processed() {
        let (mut s, _, pods) = cluster(3, None);
        let e = s.evict(pods[0], SimTime::ZERO, None).unwrap_err();
        assert_eq!(
            e,
            EvictionRefused::Stale {
                budget: "default/web".into()
            }
        );
        assert!(e.is_retried());
        assert_eq!(
            e.to_string(),
            "Cannot evict pod as it would violate the pod's disruption budget."
        );
    }

    #[test]
    fn an_unready_pod_goes_freely_only_while_the_budget_is_healthy() {
        // currentHealthy 2 >= desiredHealthy 2: the unready pod goes, nothing taken.
        let (mut s, b, pods) = cluster(3, Some(synced(0, 2, 2)));
        s.set_ready(pods[2], false, SimTime::ZERO);
        assert_eq!(s.evict(pods[2], SimTime::ZERO, None), Ok(true));
        assert_eq!(s.pdb_status(b).disruptions_allowed, 0);
        assert!(s.pdb_status(b).disrupted_pods.is_empty());
        // Below it, the unready pod needs a disruption like any other.
        let (mut s, _, pods) = cluster(3, Some(synced(0, 1, 2)));
        s.set_ready(pods[2], false, SimTime::ZERO);
        assert!(s.evict(pods[2], SimTime::ZERO, None).is_err());
    }

    #[test]
    fn too_many_unconfirmed_evictions_are_forbidden() {
        let mut st = synced(5, 3, 2);
        for i in 0..=MAX_DISRUPTED_POD_SIZE {
            st.disrupted_pods.insert(format!("gone-{i}"), SimTime::ZERO);
        }
        let (mut s, _, pods) = cluster(3, Some(st));
        let e = s.evict(pods[0], SimTime::ZERO, None).unwrap_err();
        assert!(!e.is_retried());
        assert_eq!(
            e.to_string(),
            "poddisruptionbudget.policy \"web\" is forbidden: DisruptedPods map too big - too \
             many evictions not confirmed by PDB controller"
        );
    }

    #[test]
    fn an_empty_selector_guards_nothing_and_two_budgets_are_an_error() {
        let (mut s, _, pods) = cluster(3, Some(synced(0, 3, 3)));
        s.add_pdb(PodDisruptionBudget {
            name: "all".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::default()),
            min_available: Some(IntOrPercent::Int(3)),
            max_unavailable: None,
        });
        assert_eq!(s.guarding_budgets(pods[0]).len(), 1);
        s.add_pdb(PodDisruptionBudget {
            name: "web-too".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::parse("app=web").unwrap()),
            min_available: Some(IntOrPercent::Int(1)),
            max_unavailable: None,
        });
        let e = s.evict(pods[0], SimTime::ZERO, None).unwrap_err();
        assert_eq!(e, EvictionRefused::SeveralBudgets);
        assert!(!e.is_retried());
    }
}
