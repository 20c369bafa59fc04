//! What each Deployment went through (`kubectl rollout history` and `kubectl describe`
//! together): its rollouts, each from the moment its revision appeared to the moment every
//! replica was updated and available, with the fewest pods available meanwhile; when it
//! first had all its replicas and all of them available; and every change of its
//! conditions (`Progressing`, `Available`, `ReplicaFailure`) with its time and message,
//! their removal included (see [`ConditionChange::removal`]).

use crate::api::apps::ANNOTATION_REVISION;
use crate::engine::SimTime;
use crate::store::{
    ArenaId, Change, ChangeKind, Condition, ConditionStatus, DeploymentId, Store, Watch,
};

/// One rollout of a Deployment: a revision becoming the new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    /// `deployment.kubernetes.io/revision`.
    pub revision: String,
    /// When the revision appeared.
    pub start: SimTime,
    /// When every replica was updated and available (`None`: never, or superseded first).
    pub end: Option<SimTime>,
    /// The fewest available pods while it lasted.
    pub min_available: u32,
}

/// A condition that changed, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionChange {
    /// When.
    pub time: SimTime,
    /// The condition as it became.
    pub condition: Condition,
}

impl ConditionChange {
    /// A condition of type `kind` that left `status.conditions` at `time` (`syncRolloutStatus`
    /// in `pkg/controller/deployment/progress.go` removes `ReplicaFailure` once no ReplicaSet
    /// has one, and `Progressing` without a progress deadline): recorded as the API
    /// conventions read an absent condition, status `Unknown`
    /// (`contributors/devel/sig-architecture/api-conventions.md` in kubernetes/community),
    /// with no reason and no message, both times `time`.
    pub fn removal(kind: &'static str, time: SimTime) -> Self {
        ConditionChange {
            time,
            condition: Condition {
                kind,
                status: ConditionStatus::Unknown,
                reason: "",
                message: String::new(),
                last_update: time,
                last_transition: time,
            },
        }
    }

    /// Whether this records the condition's removal.
    pub fn is_removal(&self) -> bool {
        self.condition.status == ConditionStatus::Unknown && self.condition.reason.is_empty()
    }
}

/// One Deployment's history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentHistory {
    /// Its rollouts, oldest first.
    pub rollouts: Vec<Rollout>,
    /// First time it had all its replicas (`status.replicas == spec.replicas`).
    pub desired_at: Option<SimTime>,
    /// First time all of them were available.
    pub available_at: Option<SimTime>,
    /// Its condition changes, in order.
    pub conditions: Vec<ConditionChange>,
}

/// The histories of every Deployment, by index.
#[derive(Clone, Debug, Default)]
pub struct RolloutLog {
    histories: Vec<DeploymentHistory>,
}

impl RolloutLog {
    /// The changes the log follows.
    pub const WATCHES: Watch = Watch::of(&[ChangeKind::Deployment]);

    /// Follows one change.
    pub fn on_change(&mut self, change: &Change, store: &Store, now: SimTime) {
        if let Change::Deployment { id, .. } = *change {
            self.follow(id, store, now);
        }
    }

    fn follow(&mut self, id: DeploymentId, store: &Store, now: SimTime) {
        if self.histories.len() <= id.index() {
            self.histories
                .resize(id.index() + 1, DeploymentHistory::default());
        }
        let d = store.deployment(id);
        let h = &mut self.histories[id.index()];
        let st = &d.status;
        if let Some(rev) = d.meta.annotations.get(ANNOTATION_REVISION)
            && h.rollouts.last().is_none_or(|r| &r.revision != rev)
        {
            h.rollouts.push(Rollout {
                revision: rev.clone(),
                start: now,
                end: None,
                min_available: st.available,
            });
        }
        let complete = st.updated == d.spec.replicas
            && st.replicas == d.spec.replicas
            && st.available == d.spec.replicas
            && st.observed_generation >= d.generation;
        if let Some(r) = h.rollouts.last_mut()
            && r.end.is_none()
        {
            r.min_available = r.min_available.min(st.available);
            if complete {
                r.end = Some(now);
            }
        }
        if st.replicas == d.spec.replicas && st.observed_generation > 0 {
            h.desired_at.get_or_insert(now);
        }
        if st.available == d.spec.replicas && st.observed_generation > 0 {
            h.available_at.get_or_insert(now);
        }
        for c in &st.conditions {
            let last = h
                .conditions
                .iter()
                .rev()
                .find(|o| o.condition.kind == c.kind);
            let changed = last.is_none_or(|o| {
                (o.condition.status, o.condition.reason, &o.condition.message)
                    != (c.status, c.reason, &c.message)
            });
            if changed {
                h.conditions.push(ConditionChange {
                    time: now,
                    condition: c.clone(),
                });
            }
        }
        // The conditions recorded as present that are gone, in the order they first came.
        let mut kinds: Vec<&'static str> = Vec::new();
        for c in &h.conditions {
            if !kinds.contains(&c.condition.kind) {
                kinds.push(c.condition.kind);
            }
        }
        for kind in kinds {
            let present = st.conditions.iter().any(|c| c.kind == kind);
            let last = h.conditions.iter().rev().find(|o| o.condition.kind == kind);
            if !present && last.is_some_and(|o| !o.is_removal()) {
                h.conditions.push(ConditionChange::removal(kind, now));
            }
        }
    }

    /// The history of a Deployment (empty if it never changed).
    pub fn history(&self, id: DeploymentId) -> DeploymentHistory {
        self.histories.get(id.index()).cloned().unwrap_or_default()
    }
}

/// A workload at the end of the run, for `summary.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSummary {
    /// `Deployment`, `DaemonSet`, `StatefulSet`, `ReplicaSet` or `ReplicationController`.
    pub kind: &'static str,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Its controller, `Kind/name`.
    pub owner: Option<String>,
    /// `deployment.kubernetes.io/revision`.
    pub revision: Option<String>,
    /// `spec.replicas`, then the status: current, ready, available, updated.
    pub replicas: [u32; 5],
    /// Its conditions at the end.
    pub conditions: Vec<Condition>,
    /// A Deployment's history.
    pub history: Option<DeploymentHistory>,
}

impl RolloutLog {
    /// Every live workload at the end: Deployments, DaemonSets, StatefulSets, then
    /// ReplicaSets, in creation order.
    pub fn summaries(&self, store: &Store) -> Vec<WorkloadSummary> {
        let mut out = Vec::new();
        for (i, d) in store.deployments().iter().enumerate() {
            let id = DeploymentId::from_index(i);
            if !store.deployment_is_live(id) {
                continue;
            }
            let s = &d.status;
            out.push(WorkloadSummary {
                kind: "Deployment",
                namespace: d.meta.namespace.clone(),
                name: d.meta.name.clone(),
                owner: None,
                revision: d.meta.annotations.get(ANNOTATION_REVISION).cloned(),
                replicas: [d.spec.replicas, s.replicas, s.ready, s.available, s.updated],
                conditions: s.conditions.clone(),
                history: Some(self.history(id)),
            });
        }
        for (_, ds) in store.live_daemon_sets() {
            let s = &ds.status;
            out.push(WorkloadSummary {
                kind: "DaemonSet",
                namespace: ds.meta.namespace.clone(),
                name: ds.meta.name.clone(),
                owner: None,
                revision: None,
                replicas: [s.desired, s.current, s.ready, s.available, s.updated],
                conditions: Vec::new(),
                history: None,
            });
        }
        for (_, ss) in store.live_stateful_sets() {
            let s = &ss.status;
            out.push(WorkloadSummary {
                kind: "StatefulSet",
                namespace: ss.meta.namespace.clone(),
                name: ss.meta.name.clone(),
                owner: None,
                revision: Some(s.update_revision.clone()).filter(|r| !r.is_empty()),
                replicas: [
                    ss.spec.replicas,
                    s.replicas,
                    s.ready,
                    s.available,
                    s.updated,
                ],
                conditions: Vec::new(),
                history: None,
            });
        }
        for (_, rs) in store.live_replica_sets() {
            let s = &rs.status;
            out.push(WorkloadSummary {
                kind: rs.spec.kind.kind(),
                namespace: rs.meta.namespace.clone(),
                name: rs.meta.name.clone(),
                owner: rs.meta.controller().map(|o| o.to_string()),
                revision: rs.meta.annotations.get(ANNOTATION_REVISION).cloned(),
                replicas: [
                    rs.spec.replicas,
                    s.replicas,
                    s.ready,
                    s.available,
                    s.replicas,
                ],
                conditions: s.failure.iter().cloned().collect(),
                history: None,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::{DeploymentSpec, DeploymentStrategy, PodTemplate, RollingUpdate};
    use crate::api::meta::ObjectMeta;
    use crate::api::{LabelSelector, Labels};

    fn deployment(store: &mut Store) -> DeploymentId {
        let labels: Labels = [("app".to_string(), "web".to_string())].into();
        let spec = DeploymentSpec {
            replicas: 2,
            selector: LabelSelector::from_parts(&labels, &[]).unwrap(),
            template: PodTemplate {
                meta: ObjectMeta {
                    labels: std::sync::Arc::new(labels),
                    ..ObjectMeta::default()
                },
                spec: crate::api::testing::pod("t", 100, 0).spec,
            },
            strategy: DeploymentStrategy::RollingUpdate(RollingUpdate::default()),
            min_ready_ms: 0,
            revision_history_limit: 10,
            progress_deadline_ms: Some(600_000),
            paused: false,
        };
        store.create_deployment(ObjectMeta::named("default", "web"), spec, SimTime::ZERO)
    }

    fn condition(kind: &'static str, reason: &'static str, message: &str, t: SimTime) -> Condition {
        Condition {
            kind,
            status: ConditionStatus::True,
            reason,
            message: message.into(),
            last_update: t,
            last_transition: t,
        }
    }

    #[test]
    fn a_condition_that_disappears_is_recorded_once_and_again_when_it_returns() {
        let mut store = Store::new();
        let id = deployment(&mut store);
        let mut log = RolloutLog::default();
        let change = Change::Deployment {
            id,
            what: crate::store::WorkloadChange::Status,
        };
        let mut at = |store: &mut Store, ms: i64, conditions: Vec<Condition>| {
            let t = SimTime::from_ms(ms);
            store.update_deployment_status(id, |st| st.conditions = conditions);
            log.on_change(&change, store, t);
        };
        let failure = |t| condition("ReplicaFailure", "FailedCreate", "quota", t);
        let progressing = |t| condition("Progressing", "ReplicaSetUpdated", "going", t);
        at(&mut store, 0, vec![progressing(SimTime::ZERO)]);
        let t1 = SimTime::from_ms(60_000);
        at(
            &mut store,
            60_000,
            vec![progressing(SimTime::ZERO), failure(t1)],
        );
        // ReplicaFailure gone: one removal entry, not repeated by later changes.
        at(&mut store, 90_000, vec![progressing(SimTime::ZERO)]);
        at(&mut store, 95_000, vec![progressing(SimTime::ZERO)]);
        // It comes back: a change again.
        let t3 = SimTime::from_ms(120_000);
        at(
            &mut store,
            120_000,
            vec![progressing(SimTime::ZERO), failure(t3)],
        );
        let h = log.history(id);
        let seen: Vec<(i64, &str, &str, &str)> = h
            .conditions
            .iter()
            .map(|c| {
                let k = &c.condition;
                (c.time.ms(), k.kind, k.status.as_str(), k.reason)
            })
            .collect();
        assert_eq!(
            seen,
            [
                (0, "Progressing", "True", "ReplicaSetUpdated"),
                (60_000, "ReplicaFailure", "True", "FailedCreate"),
                (90_000, "ReplicaFailure", "Unknown", ""),
                (120_000, "ReplicaFailure", "True", "FailedCreate"),
            ]
        );
        let removal = &h.conditions[2];
        assert!(removal.is_removal());
        assert_eq!(removal.condition.message, "");
        assert_eq!(
            (
                removal.condition.last_update,
                removal.condition.last_transition
            ),
            (SimTime::from_ms(90_000), SimTime::from_ms(90_000))
        );
        assert!(!h.conditions[1].is_removal());
    }
}
