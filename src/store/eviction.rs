//! The eviction subresource (`pods/eviction`, `pkg/registry/core/pod/storage/eviction.go`):
//! a pod is deleted with its grace period unless the PodDisruptionBudget covering it allows
//! no disruption now. The budget's figures are what the disruption controller would report
//! (`pkg/controller/disruption/disruption.go`): healthy pods are the covered pods Ready and
//! not being deleted; the expected count is the scale of their controllers for
//! `maxUnavailable` and percentages, else the number of covered pods.

use super::{PodId, Store};
use crate::api::disruption::{IntOrPercent, PodDisruptionBudget};
use crate::api::pod::Phase;
use crate::api::{Labels, Uid};
use crate::engine::SimTime;
use std::collections::BTreeSet;

/// Why an eviction was refused, in the API server's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionRefused {
    /// 429: the budget allows no disruption now.
    Budget {
        /// `namespace/name` of the budget.
        budget: String,
        /// Healthy pods it needs.
        desired: i64,
        /// Healthy pods it has.
        healthy: i64,
    },
    /// 500: more than one budget covers the pod.
    SeveralBudgets,
}

impl std::fmt::Display for EvictionRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvictionRefused::Budget { .. } => {
                f.write_str("Cannot evict pod as it would violate the pod's disruption budget.")
            }
            EvictionRefused::SeveralBudgets => f.write_str(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ),
        }
    }
}

/// A budget's view of its pods now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetState {
    /// Pods the budget expects.
    pub expected: i64,
    /// Healthy pods it needs.
    pub desired: i64,
    /// Healthy pods it has.
    pub healthy: i64,
}

impl BudgetState {
    /// `disruptionsAllowed`.
    pub fn allowed(&self) -> i64 {
        (self.healthy - self.desired).max(0)
    }
}

impl Store {
    /// The live pods a budget covers (its namespace, its selector), not finished.
    fn covered(&self, pdb: &PodDisruptionBudget) -> Vec<PodId> {
        (0..self.pods.len())
            .map(|i| PodId(i as u32))
            .filter(|&p| self.pods.is_live(p))
            .filter(|&p| {
                let pod = self.pod(p);
                !pod.phase().is_terminal() && pdb.covers(&pod.meta.namespace, &pod.meta.labels)
            })
            .collect()
    }

    /// The scale of a pod's controller as the disruption controller finds it (`finders`:
    /// a Deployment through its ReplicaSet, a ReplicaSet, a ReplicationController, a
    /// StatefulSet), with that controller's uid; `Err` for a controller without a scale (a
    /// DaemonSet, a Job: the budget then allows nothing), `Ok(None)` for a pod without one.
    fn controller_scale(
        &self,
        owner: Option<&crate::api::OwnerReference>,
    ) -> Result<Option<(Uid, i64)>, ()> {
        let Some(owner) = owner else {
            return Ok(None);
        };
        let uid = &owner.uid;
        match &*owner.kind {
            "ReplicaSet" | "ReplicationController" => {
                let Some(rs) = self.replica_set_by_uid(uid) else {
                    return Err(());
                };
                let r = self.replica_set(rs);
                if let Some(d) = r.meta.controller()
                    && let Some(dep) = self.deployment_by_uid(&d.uid)
                {
                    return Ok(Some((
                        d.uid.clone(),
                        i64::from(self.deployment(dep).spec.replicas),
                    )));
                }
                Ok(Some((uid.clone(), i64::from(r.spec.replicas))))
            }
            "StatefulSet" => match self.stateful_set_by_uid(uid) {
                Some(ss) => Ok(Some((
                    uid.clone(),
                    i64::from(self.stateful_set(ss).spec.replicas),
                ))),
                None => Err(()),
            },
            _ => Err(()),
        }
    }

    /// A budget's expected, desired and healthy pods now.
    pub fn budget_state(&self, pdb: &PodDisruptionBudget) -> BudgetState {
        let pods = self.covered(pdb);
        let healthy = pods
            .iter()
            .filter(|&&p| {
                let s = &self.pod(p).status;
                s.ready && s.terminating.is_none()
            })
            .count() as i64;
        let by_count = matches!(pdb.min_available, Some(IntOrPercent::Int(_)));
        let expected = if by_count {
            pods.len() as i64
        } else {
            let mut seen = BTreeSet::new();
            let mut sum = 0;
            for &p in &pods {
                match self.controller_scale(self.pod(p).meta.controller()) {
                    Ok(Some((uid, scale))) => {
                        if seen.insert(uid) {
                            sum += scale;
                        }
                    }
                    // A pod without a controller counts nothing (`unmanagedPods`).
                    Ok(None) => {}
                    // A controller without a scale: the budget allows no disruption.
                    Err(()) => {
                        return BudgetState {
                            expected: 0,
                            desired: 0,
                            healthy: 0,
                        };
                    }
                }
            }
            sum
        };
        let desired = match (pdb.min_available, pdb.max_unavailable) {
            (Some(min), _) => min.scaled(expected),
            (None, Some(max)) => expected - max.scaled(expected),
            (None, None) => expected,
        };
        BudgetState {
            expected,
            desired,
            healthy,
        }
    }

    /// Evicts a pod (`POST pods/NAME/eviction`): deleted with `grace_ms` (or its own grace
    /// period) unless its budget allows no disruption. A pod finished, pending or already
    /// being deleted ignores budgets; a pod not Ready is evicted while its budget has the
    /// healthy pods it needs (`IfHealthyBudget`). `Ok(false)` when it was gone already.
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
            let (ns, labels): (&str, &Labels) = (&p.meta.namespace, &p.meta.labels);
            let budgets: Vec<&PodDisruptionBudget> = self
                .pdbs()
                .iter()
                .filter(|b| b.covers(ns, labels))
                .collect();
            if budgets.len() > 1 {
                return Err(EvictionRefused::SeveralBudgets);
            }
            if let Some(b) = budgets.first() {
                let state = self.budget_state(b);
                let ready = p.status.ready;
                let refused = if ready || state.desired == 0 {
                    state.allowed() == 0
                } else {
                    state.healthy < state.desired
                };
                if refused {
                    return Err(EvictionRefused::Budget {
                        budget: format!("{}/{}", b.namespace, b.name),
                        desired: state.desired,
                        healthy: state.healthy,
                    });
                }
            }
        }
        Ok(self.request_deletion_with_grace(pod, now, grace_ms))
    }
}
