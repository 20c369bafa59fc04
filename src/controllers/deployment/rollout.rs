//! The two strategies (`rolling.go`, `recreate.go`).
//!
//! RollingUpdate, one step per sync: grow the new ReplicaSet while the total stays within
//! `replicas + maxSurge` (and end the sync if it grew); otherwise shrink the old ones while
//! the available pods stay at least `replicas - maxUnavailable`, unhealthy pods first.
//! Recreate: scale every old ReplicaSet to 0, wait until none of their pods is left, then
//! create the new one at full size.

use super::{Ctx, DeploymentController, Sets, by_creation, size};
use crate::store::{DeploymentId, ReplicaSetId};

/// The new ReplicaSet's next size (`NewRSNewReplicas` for RollingUpdate): grown by what
/// `replicas + maxSurge` leaves over the `current` total of every ReplicaSet, never past
/// `replicas`.
pub(super) fn new_rs_replicas(replicas: i64, max_surge: i64, current: i64, new_size: i64) -> i64 {
    let max_total = replicas + max_surge;
    if current >= max_total {
        return new_size;
    }
    new_size + (max_total - current).min(replicas - new_size)
}

/// How many old pods may go (`maxScaledDown` in `reconcileOldReplicaSets`): the total less
/// the minimum available, less the new ReplicaSet's pods not available yet.
pub(super) fn max_scaled_down(
    total: i64,
    min_available: i64,
    new_size: i64,
    new_available: i64,
) -> i64 {
    total - min_available - (new_size - new_available)
}

impl DeploymentController {
    /// One sync of a RollingUpdate (`rolloutRolling`).
    pub(super) fn rollout_rolling(&mut self, d: DeploymentId, ctx: Ctx) {
        let sets = self.sets(d, true, ctx);
        let Some(new) = sets.new else {
            // The new ReplicaSet could not be made (a name collision): the next sync retries.
            return self.after_rollout(d, &sets, ctx);
        };
        if self.reconcile_new(d, &sets, new, ctx) || self.reconcile_old(d, &sets, new, ctx) {
            return self.sync_rollout_status(d, &sets, ctx);
        }
        self.after_rollout(d, &sets, ctx);
    }

    /// Clean-up once complete, then the status.
    fn after_rollout(&mut self, d: DeploymentId, sets: &Sets, ctx: Ctx) {
        if super::status::is_complete(ctx.store.deployment(d), &ctx.store.deployment(d).status) {
            self.cleanup(d, sets, ctx);
        }
        self.sync_rollout_status(d, sets, ctx);
    }

    /// Grows (or trims) the new ReplicaSet (`reconcileNewReplicaSet`); whether it scaled.
    fn reconcile_new(&mut self, d: DeploymentId, sets: &Sets, new: ReplicaSetId, ctx: Ctx) -> bool {
        let replicas = i64::from(ctx.store.deployment(d).spec.replicas);
        let new_size = size(ctx.store, new);
        if new_size == replicas {
            return false;
        }
        if new_size > replicas {
            return self.scale_if_needed(d, new, replicas, ctx);
        }
        let current: i64 = sets.all().map(|rs| size(ctx.store, rs)).sum();
        let surge = super::scale::surge(ctx.store, d);
        let to = new_rs_replicas(replicas, surge, current, new_size);
        self.scale_if_needed(d, new, to, ctx)
    }

    /// Shrinks the old ReplicaSets within the availability bound
    /// (`reconcileOldReplicaSets`); whether any shrank.
    fn reconcile_old(&mut self, d: DeploymentId, sets: &Sets, new: ReplicaSetId, ctx: Ctx) -> bool {
        let mut old: Vec<ReplicaSetId> = sets
            .old
            .iter()
            .copied()
            .filter(|&rs| size(ctx.store, rs) > 0)
            .collect();
        let old_pods: i64 = old.iter().map(|&rs| size(ctx.store, rs)).sum();
        if old_pods == 0 {
            return false;
        }
        let dep = &ctx.store.deployment(d).spec;
        let min_available = i64::from(dep.replicas) - dep.max_unavailable();
        let total: i64 = sets.all().map(|rs| size(ctx.store, rs)).sum();
        let new_available = i64::from(ctx.store.replica_set(new).status.available);
        let budget = max_scaled_down(total, min_available, size(ctx.store, new), new_available);
        if budget <= 0 {
            return false;
        }
        old.sort_by(|&a, &b| by_creation(ctx.store, a, b));
        // Unhealthy pods first: they hold no availability (`cleanupUnhealthyReplicas`).
        let mut cleaned = 0;
        for &rs in &old {
            if cleaned >= budget {
                break;
            }
            let (n, available) = (
                size(ctx.store, rs),
                i64::from(ctx.store.replica_set(rs).status.available),
            );
            if n == 0 || n == available {
                continue;
            }
            let down = (budget - cleaned).min(n - available);
            self.scale_if_needed(d, rs, n - down, ctx);
            cleaned += down;
        }
        // Then available ones, as far as the available total allows
        // (`scaleDownOldReplicaSetsForRollingUpdate`).
        let available: i64 = old
            .iter()
            .chain([&new])
            .map(|&rs| i64::from(ctx.store.replica_set(rs).status.available))
            .sum();
        let mut scaled = 0;
        if available > min_available {
            let allowed = available - min_available;
            for &rs in &old {
                if scaled >= allowed {
                    break;
                }
                let n = size(ctx.store, rs);
                if n == 0 {
                    continue;
                }
                let down = n.min(allowed - scaled);
                self.scale_if_needed(d, rs, n - down, ctx);
                scaled += down;
            }
        }
        cleaned + scaled > 0
    }

    /// One sync of a Recreate (`rolloutRecreate`).
    pub(super) fn rollout_recreate(&mut self, d: DeploymentId, sets: Sets, ctx: Ctx) {
        let mut scaled_down = false;
        for &rs in &sets.old {
            if size(ctx.store, rs) > 0 {
                scaled_down |= self.scale_if_needed(d, rs, 0, ctx);
            }
        }
        if scaled_down || old_pods_running(&sets, ctx) {
            return self.sync_rollout_status(d, &sets, ctx);
        }
        let sets = match sets.new {
            Some(_) => sets,
            None => self.sets(d, true, ctx),
        };
        if let Some(new) = sets.new {
            let replicas = i64::from(ctx.store.deployment(d).spec.replicas);
            self.scale_if_needed(d, new, replicas, ctx);
        }
        self.after_rollout(d, &sets, ctx);
    }
}

/// Whether an old ReplicaSet still has a pod not finished, being deleted or not
/// (`oldPodsRunning`).
fn old_pods_running(sets: &Sets, ctx: Ctx) -> bool {
    sets.old.iter().any(|&rs| {
        let r = ctx.store.replica_set(rs);
        r.status.replicas > 0
            || ctx
                .store
                .pods_of_controller(&r.meta.uid)
                .iter()
                .any(|&p| !ctx.store.pod(p).phase().is_terminal())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_replica_set_grows_within_the_surge() {
        // 10 replicas, surge 3: from an old ReplicaSet of 10, the new one starts at 3.
        assert_eq!(new_rs_replicas(10, 3, 10, 0), 3);
        // The total is at its bound: no growth.
        assert_eq!(new_rs_replicas(10, 3, 13, 3), 3);
        // Old ones shrank by 2: the new one grows by 2.
        assert_eq!(new_rs_replicas(10, 3, 11, 3), 5);
        // Never past replicas.
        assert_eq!(new_rs_replicas(10, 3, 9, 9), 10);
    }

    #[test]
    fn old_pods_go_only_as_far_as_availability_allows() {
        // 10 replicas, maxUnavailable 2: 13 pods, the 3 new ones not available yet.
        assert_eq!(max_scaled_down(13, 8, 3, 0), 2);
        // Once they are available, 5 may go.
        assert_eq!(max_scaled_down(13, 8, 3, 3), 5);
        // maxUnavailable 0 and nothing new available: nothing.
        assert_eq!(max_scaled_down(13, 10, 3, 0), 0);
    }
}
