//! A Deployment's status and conditions (`sync.go`, `progress.go`, `deployment_util.go`):
//! replica counts summed over its ReplicaSets; `Available` when at least
//! `replicas - maxUnavailable` pods are; `Progressing` while a rollout moves
//! (`ReplicaSetUpdated`), once it is complete (`NewReplicaSetAvailable`), and when it has
//! not moved for `progressDeadlineSeconds` (`ProgressDeadlineExceeded`, checked again one
//! second after the deadline, as upstream re-queues a stuck Deployment).

use super::{Ctx, DeploymentController, Sets, size};
use crate::engine::SimTime;
use crate::store::{Condition, ConditionStatus, Deployment, DeploymentId, DeploymentStatus, Store};

/// A condition as `NewDeploymentCondition` makes it, now.
fn condition(
    kind: &'static str,
    status: ConditionStatus,
    reason: &'static str,
    message: String,
    now: SimTime,
) -> Condition {
    Condition {
        kind,
        status,
        reason,
        message,
        last_update: now,
        last_transition: now,
    }
}

/// `SetDeploymentCondition`: nothing when the status and reason are the same; the
/// transition time kept when only the reason changed.
fn set(status: &mut DeploymentStatus, mut c: Condition) {
    if let Some(current) = status.condition(c.kind) {
        if current.status == c.status && current.reason == c.reason {
            return;
        }
        if current.status == c.status {
            c.last_transition = current.last_transition;
        }
    }
    status.conditions.retain(|o| o.kind != c.kind);
    status.conditions.push(c);
}

/// Writes one condition of a Deployment's status.
pub(super) fn set_condition(
    d: DeploymentId,
    kind: &'static str,
    status: ConditionStatus,
    reason: &'static str,
    message: String,
    ctx: Ctx,
) {
    let c = condition(kind, status, reason, message, ctx.now());
    ctx.store.update_deployment_status(d, |st| set(st, c));
}

/// `Progressing` says `DeploymentPaused` while paused and `DeploymentResumed` once resumed
/// (`checkPausedConditions`), unless the rollout has timed out.
pub(super) fn check_paused_conditions(d: DeploymentId, ctx: Ctx) {
    let dep = ctx.store.deployment(d);
    if dep.spec.progress_deadline_ms.is_none() {
        return;
    }
    let reason = dep.status.condition("Progressing").map(|c| c.reason);
    if reason == Some("ProgressDeadlineExceeded") {
        return;
    }
    let paused_shown = reason == Some("DeploymentPaused");
    let (new_reason, msg) = match (dep.spec.paused, paused_shown) {
        (true, false) => ("DeploymentPaused", "Deployment is paused"),
        (false, true) => ("DeploymentResumed", "Deployment is resumed"),
        _ => return,
    };
    set_condition(
        d,
        "Progressing",
        ConditionStatus::Unknown,
        new_reason,
        msg.into(),
        ctx,
    );
}

/// The counts over the ReplicaSets and the `Available` condition (`calculateStatus`).
fn calculate(store: &Store, d: DeploymentId, sets: &Sets, now: SimTime) -> DeploymentStatus {
    let dep = store.deployment(d);
    let sum = |f: fn(&crate::store::ReplicaSet) -> u32| -> u32 {
        sets.all().map(|rs| f(store.replica_set(rs))).sum()
    };
    let available = sum(|r| r.status.available);
    let total: i64 = sets.all().map(|rs| size(store, rs)).sum();
    let mut st = DeploymentStatus {
        replicas: sum(|r| r.status.replicas),
        updated: sets
            .new
            .map_or(0, |rs| store.replica_set(rs).status.replicas),
        ready: sum(|r| r.status.ready),
        available,
        unavailable: (total - i64::from(available)).max(0) as u32,
        observed_generation: dep.generation,
        collision_count: dep.status.collision_count,
        conditions: dep.status.conditions.clone(),
    };
    let min = i64::from(dep.spec.replicas) - dep.spec.max_unavailable();
    let c = if i64::from(available) >= min {
        condition(
            "Available",
            ConditionStatus::True,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
            now,
        )
    } else {
        condition(
            "Available",
            ConditionStatus::False,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
            now,
        )
    };
    set(&mut st, c);
    st
}

/// Every replica updated, present and available, for the current generation
/// (`DeploymentComplete`).
pub(super) fn is_complete(dep: &Deployment, st: &DeploymentStatus) -> bool {
    let n = dep.spec.replicas;
    st.updated == n
        && st.replicas == n
        && st.available == n
        && st.observed_generation >= dep.generation
}

/// Whether the rollout moved since the stored status (`DeploymentProgressing`).
fn progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let old_pods = |s: &DeploymentStatus| i64::from(s.replicas) - i64::from(s.updated);
    new.updated > old.updated
        || old_pods(new) < old_pods(old)
        || new.ready > old.ready
        || new.available > old.available
}

/// Writes the status when it changed, without judging progress (`syncDeploymentStatus`).
pub(super) fn sync_status(d: DeploymentId, sets: &Sets, ctx: Ctx) {
    let st = calculate(ctx.store, d, sets, ctx.now());
    ctx.store.update_deployment_status(d, |s| *s = st);
}

/// The status with the `Progressing` condition (`syncRolloutStatus`), and the
/// `ReplicaFailure` of a ReplicaSet that cannot create its pods.
fn rollout_status(d: DeploymentId, sets: &Sets, ctx: Ctx) -> DeploymentStatus {
    let now = ctx.now();
    let mut st = calculate(ctx.store, d, sets, now);
    let dep = ctx.store.deployment(d);
    let deadline = dep.spec.progress_deadline_ms;
    if deadline.is_none() {
        st.conditions.retain(|c| c.kind != "Progressing");
    }
    let current = dep.status.condition("Progressing").cloned();
    let done = st.replicas == st.updated
        && current
            .as_ref()
            .is_some_and(|c| c.reason == "NewReplicaSetAvailable");
    let subject = match sets.new {
        Some(rs) => format!("ReplicaSet {:?}", ctx.store.replica_set(rs).meta.name),
        None => format!("Deployment {:?}", dep.meta.name),
    };
    if let Some(deadline) = deadline
        && !done
    {
        if is_complete(dep, &st) {
            let msg = format!("{subject} has successfully progressed.");
            set(
                &mut st,
                condition(
                    "Progressing",
                    ConditionStatus::True,
                    "NewReplicaSetAvailable",
                    msg,
                    now,
                ),
            );
        } else if progressing(&dep.status, &st) {
            let msg = format!("{subject} is progressing.");
            let mut c = condition(
                "Progressing",
                ConditionStatus::True,
                "ReplicaSetUpdated",
                msg,
                now,
            );
            if let Some(cur) = current
                .as_ref()
                .filter(|c| c.status == ConditionStatus::True)
            {
                c.last_transition = cur.last_transition;
            }
            st.conditions.retain(|o| o.kind != "Progressing");
            set(&mut st, c);
        } else if timed_out(&st, deadline, now) {
            let msg = format!("{subject} has timed out progressing.");
            set(
                &mut st,
                condition(
                    "Progressing",
                    ConditionStatus::False,
                    "ProgressDeadlineExceeded",
                    msg,
                    now,
                ),
            );
        }
    }
    // The new ReplicaSet's failure first (`getReplicaFailures`).
    let failure = sets
        .new
        .into_iter()
        .chain(sets.old.iter().copied())
        .find_map(|rs| ctx.store.replica_set(rs).status.failure.clone());
    match failure {
        Some(f) => set(
            &mut st,
            Condition {
                kind: "ReplicaFailure",
                ..f
            },
        ),
        None => st.conditions.retain(|c| c.kind != "ReplicaFailure"),
    }
    st
}

/// Whether the `Progressing` condition has not moved for the deadline
/// (`DeploymentTimedOut`: strictly past it).
fn timed_out(st: &DeploymentStatus, deadline: i64, now: SimTime) -> bool {
    match st.condition("Progressing") {
        None => false,
        Some(c) if c.reason == "NewReplicaSetAvailable" => false,
        Some(c) if c.reason == "ProgressDeadlineExceeded" => true,
        Some(c) => c.last_update.ms() + deadline < now.ms(),
    }
}

impl DeploymentController {
    /// Writes the status with the `Progressing` condition, and re-checks a rollout that
    /// may time out.
    pub(super) fn sync_rollout_status(&mut self, d: DeploymentId, sets: &Sets, ctx: Ctx) {
        let st = rollout_status(d, sets, ctx);
        ctx.store.update_deployment_status(d, |s| *s = st);
        self.requeue_if_stuck(d, ctx);
    }

    /// A rollout neither complete nor timed out is looked at again one second after its
    /// deadline (`requeueStuckDeployment`), or, when that is less than a second away (or
    /// past: a scale-up of a complete Deployment keeps its old condition), re-queued rate
    /// limited (5 ms, or later once the controller's 10-a-second bucket is spent).
    pub(super) fn requeue_if_stuck(&mut self, d: DeploymentId, ctx: Ctx) {
        let dep = ctx.store.deployment(d);
        let (Some(deadline), Some(c)) = (
            dep.spec.progress_deadline_ms,
            dep.status.condition("Progressing"),
        ) else {
            return;
        };
        if is_complete(dep, &dep.status) || c.reason == "ProgressDeadlineExceeded" {
            return;
        }
        self.memo_mut(d).requeued = true;
        let due = c.last_update.ms() + deadline;
        let now = ctx.now().ms();
        let at = if due - now < 1_000 {
            now + self.limiter.delay(now)
        } else {
            due + 1_000
        };
        self.check_at(d, SimTime(at), ctx);
    }
}
