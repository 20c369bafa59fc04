//! Pods: creation, binding (`pods/binding`), status writes (phase, the Ready condition,
//! `nominatedNodeName`, reason, restarts), graceful and immediate deletion, and the index of
//! pods by node and by controller.

use super::{ArenaId, Change, NodeId, PodField, PodId, Store};
use crate::api::meta::{OwnerReference, Uid};
use crate::api::pod::{Phase, Pod, PodSpec};
use crate::engine::SimTime;
use std::sync::Arc;

/// The pod status reason of a pod waiting for its scheduling gates to be removed.
pub const REASON_SCHEDULING_GATED: &str = "SchedulingGated";

impl Store {
    /// Creates a pod (its name must be free in its namespace; the loader checks manifests,
    /// controllers pick free names). A pod with scheduling gates gets the `SchedulingGated`
    /// reason, as the API server sets the PodScheduled condition
    /// (`pkg/registry/core/pod/strategy.go`). Every create passes DefaultTolerationSeconds
    /// (the `not-ready` and `unreachable` NoExecute tolerations for 300 s, unless the pod
    /// has its own).
    pub fn create_pod(&mut self, mut pod: Pod) -> PodId {
        self.default_toleration_seconds(&mut pod.spec);
        if !pod.spec.scheduling_gates.is_empty() {
            pod.status.reason = Some(REASON_SCHEDULING_GATED);
        }
        self.assign_uid(&mut pod);
        let controller = pod.meta.controller().map(|o| o.uid.clone());
        let id = self.pods.insert(pod);
        if let Some(uid) = controller {
            self.pods_by_controller.entry(uid).or_default().push(id);
        }
        self.push(Change::PodCreated(id));
        id
    }

    /// Whether a pod with this namespace and name exists (deleted pods free their name).
    pub fn pod_exists(&self, namespace: &str, name: &str) -> bool {
        self.pod_id(namespace, name).is_some()
    }

    /// Looks a live pod up by namespace and name.
    pub fn pod_id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.pods.find(namespace, name)
    }

    /// The pod with this id.
    pub fn pod(&self, id: PodId) -> &Pod {
        self.pods.get(id)
    }

    /// Every pod ever created, in creation order (deleted ones included).
    pub fn pods(&self) -> &[Pod] {
        self.pods.all()
    }

    /// The live pods whose controller (`ownerReferences` with `controller: true`) has this
    /// uid, in creation order.
    pub fn pods_of_controller(&self, uid: &Uid) -> &[PodId] {
        self.pods_by_controller.get(uid).map_or(&[], Vec::as_slice)
    }

    /// Replaces the spec of a pod that has ended with `empty`, keeping only what the outputs
    /// report ([`Pod::request_record`]). Not an API write: the world calls it once every
    /// watcher has seen the pod end, to bound memory.
    pub fn release_spec(&mut self, pod: PodId, empty: &Arc<PodSpec>) {
        let p = self.pods.get_mut(pod);
        if p.status.released.is_none() && (p.phase().is_terminal() || p.status.deleted.is_some()) {
            p.status.released = Some(p.request_record());
            p.spec = empty.clone();
        }
    }

    /// Removes a pod's scheduling gates (a `kubectl patch` by whoever owns them).
    pub fn remove_scheduling_gates(&mut self, pod: PodId) {
        let p = self.pods.get_mut(pod);
        if p.spec.scheduling_gates.is_empty() || p.status.released.is_some() {
            return;
        }
        Arc::make_mut(&mut p.spec).scheduling_gates.clear();
        if p.status.reason == Some(REASON_SCHEDULING_GATED) {
            p.status.reason = None;
        }
        self.push(Change::PodUngated(pod));
    }

    /// Binds a pod to a node (the `pods/binding` subresource) at `now` (a snapshot's pod: at
    /// the time its PodScheduled condition gives, before the run).
    pub fn bind(&mut self, pod: PodId, node: NodeId, now: SimTime) {
        let p = self.pods.get_mut(pod);
        debug_assert!(p.status.node.is_none(), "pod bound twice");
        p.status.node = Some(node.0);
        p.status.scheduled = Some(now);
        self.pods_on_node[node.index()].push(pod);
        let (r, sum) = (&p.spec.requests, &mut self.requested_on_node[node.index()]);
        *sum = (sum.0 + r.cpu_m, sum.1 + r.memory);
        self.push(Change::PodBound { pod, node });
    }

    /// Sets a pod's phase. A terminal phase releases the pod's place on its node.
    pub fn set_phase(&mut self, pod: PodId, phase: Phase, now: SimTime) {
        let p = self.pods.get_mut(pod);
        let from = p.phase();
        if p.status.phase == Some(phase) {
            return;
        }
        p.status.phase = Some(phase);
        match phase {
            Phase::Running if p.status.started.is_none() => p.status.started = Some(now),
            Phase::Succeeded | Phase::Failed => p.status.finished = Some(now),
            _ => {}
        }
        if phase.is_terminal() && !from.is_terminal() {
            self.unlink_from_node(pod);
            self.release_quota(pod);
        }
        self.push(Change::PodPhase {
            pod,
            from,
            to: phase,
        });
    }

    /// Takes up a snapshot pod's Ready condition as it was: True since `since` (the
    /// kubelet, resuming it).
    pub fn restore_ready(&mut self, pod: PodId, since: SimTime) {
        let st = &mut self.pods.get_mut(pod).status;
        if st.ready {
            return;
        }
        st.ready = true;
        st.ready_since = Some(since);
        st.first_ready.get_or_insert(since);
        self.push(Change::PodReady { pod, ready: true });
    }

    /// Sets a pod's Ready condition (the kubelet's readiness probe result).
    pub fn set_ready(&mut self, pod: PodId, ready: bool, now: SimTime) {
        let st = &mut self.pods.get_mut(pod).status;
        if st.ready == ready {
            return;
        }
        st.ready = ready;
        st.ready_since = ready.then_some(now);
        if ready && st.first_ready.is_none() {
            st.first_ready = Some(now);
        }
        self.push(Change::PodReady { pod, ready });
    }

    /// Sets a pod's controller (a workload adopting an orphan, `AdoptPod` in
    /// `pkg/controller/controller_ref_manager.go`) or clears it (`None`: released).
    pub fn set_pod_controller(&mut self, pod: PodId, owner: Option<OwnerReference>) {
        let p = self.pods.get_mut(pod);
        let old = p.meta.controller().map(|o| o.uid.clone());
        let mut refs: Vec<OwnerReference> = p
            .meta
            .owner_references
            .iter()
            .filter(|o| !o.controller)
            .cloned()
            .collect();
        let new = owner.as_ref().map(|o| o.uid.clone());
        refs.extend(owner);
        p.meta.owner_references = refs.into();
        let live = p.status.deleted.is_none();
        if live
            && let Some(uid) = old.filter(|o| Some(o) != new.as_ref())
            && let Some(list) = self.pods_by_controller.get_mut(&uid)
        {
            list.retain(|&q| q != pod);
            if list.is_empty() {
                self.pods_by_controller.remove(&uid);
            }
        }
        if live && let Some(uid) = new {
            let list = self.pods_by_controller.entry(uid).or_default();
            if !list.contains(&pod) {
                list.push(pod);
            }
        }
        self.push(Change::PodMeta(pod));
    }

    /// Edits a pod's labels and annotations (`kubectl label`, `kubectl annotate`); records
    /// a change when they changed.
    pub fn edit_pod_meta(
        &mut self,
        pod: PodId,
        edit: impl FnOnce(&mut crate::api::Labels, &mut std::collections::BTreeMap<String, String>),
    ) {
        let p = self.pods.get_mut(pod);
        let (mut labels, mut annotations) =
            ((*p.meta.labels).clone(), (*p.meta.annotations).clone());
        edit(&mut labels, &mut annotations);
        let changed = labels != *p.meta.labels || annotations != *p.meta.annotations;
        if changed {
            p.meta.labels = Arc::new(labels);
            p.meta.annotations = Arc::new(annotations);
            self.push(Change::PodMeta(pod));
        }
    }

    /// Sets `status.nominatedNodeName` (preemption nominates the node it freed).
    pub fn set_nominated_node(&mut self, pod: PodId, node: Option<NodeId>) {
        let st = &mut self.pods.get_mut(pod).status;
        let from = st.nominated_node.map(NodeId);
        if from == node {
            return;
        }
        st.nominated_node = node.map(|n| n.0);
        self.push(Change::PodNominated {
            pod,
            from,
            to: node,
        });
    }

    /// Sets `status.reason`.
    pub fn set_pod_reason(&mut self, pod: PodId, reason: Option<&'static str>) {
        let st = &mut self.pods.get_mut(pod).status;
        if st.reason == reason {
            return;
        }
        let from = std::mem::replace(&mut st.reason, reason);
        self.push(Change::PodStatus {
            pod,
            field: PodField::Reason { from, to: reason },
        });
    }

    /// Records the number of scheduling attempts made for a pod so far (the scheduler sets
    /// it before each attempt, so plugins read the attempt under way).
    pub fn set_scheduling_attempts(&mut self, pod: PodId, attempts: u32) {
        let st = &mut self.pods.get_mut(pod).status;
        if st.scheduling_attempts == attempts {
            return;
        }
        let from = std::mem::replace(&mut st.scheduling_attempts, attempts);
        self.push(Change::PodStatus {
            pod,
            field: PodField::SchedulingAttempts { from, to: attempts },
        });
    }

    /// Counts a container restart.
    pub fn record_restart(&mut self, pod: PodId) {
        let st = &mut self.pods.get_mut(pod).status;
        let from = st.restarts;
        st.restarts += 1;
        let to = st.restarts;
        self.push(Change::PodStatus {
            pod,
            field: PodField::Restarts { from, to },
        });
    }

    /// Requests a pod's deletion with its grace period (a `DELETE` without
    /// `gracePeriodSeconds: 0`): a bound, running pod is marked terminating and the kubelet
    /// removes it when the grace period ends; any other pod is deleted at once. Returns
    /// whether this call started a deletion (`false` for a pod already terminating or gone).
    pub fn request_deletion(&mut self, pod: PodId, now: SimTime) -> bool {
        self.request_deletion_with_grace(pod, now, None)
    }

    /// [`Store::request_deletion`] with the grace period a client asked for (ms; `None`:
    /// the pod's own).
    pub fn request_deletion_with_grace(
        &mut self,
        pod: PodId,
        now: SimTime,
        grace_ms: Option<i64>,
    ) -> bool {
        let p = self.pods.get_mut(pod);
        if p.status.deleted.is_some() || p.status.terminating.is_some() {
            return false;
        }
        let grace = grace_ms.unwrap_or(p.spec.termination_grace_ms);
        if p.status.node.is_none() || p.phase().is_terminal() || grace <= 0 {
            return self.delete_pod(pod, now);
        }
        if let Some(g) = grace_ms {
            self.deletion_grace.insert(pod, g);
        }
        p.status.terminating = Some(now);
        self.push(Change::PodTerminating(pod));
        true
    }

    /// The grace period a pod's deletion asked for, ms (`DELETE` with
    /// `gracePeriodSeconds`), else the spec's `terminationGracePeriodSeconds`.
    pub fn deletion_grace_ms(&self, pod: PodId) -> i64 {
        match self.deletion_grace.get(&pod) {
            Some(&g) => g,
            None => self.pods.get(pod).spec.termination_grace_ms,
        }
    }

    /// Deletes a pod: its record stays (a tombstone, for the outputs and the watchers), its
    /// name and node place are freed. Returns `false` when it was deleted already.
    pub fn delete_pod(&mut self, pod: PodId, now: SimTime) -> bool {
        if !self.pods.remove(pod) {
            return false;
        }
        let p = self.pods.get_mut(pod);
        p.status.deleted = Some(now);
        let terminal = p.phase().is_terminal();
        if let Some(uid) = p.meta.controller().map(|o| &o.uid)
            && let Some(list) = self.pods_by_controller.get_mut(uid)
        {
            list.retain(|&q| q != pod);
            if list.is_empty() {
                self.pods_by_controller.remove(uid);
            }
        }
        if !terminal {
            self.unlink_from_node(pod);
        }
        self.release_quota(pod);
        self.push(Change::PodDeleted(pod));
        true
    }

    fn unlink_from_node(&mut self, pod: PodId) {
        let p = self.pods.get(pod);
        if let Some(n) = p.status.node {
            let list = &mut self.pods_on_node[n as usize];
            if let Some(i) = list.iter().position(|&q| q == pod) {
                list.swap_remove(i);
                let (r, sum) = (&p.spec.requests, &mut self.requested_on_node[n as usize]);
                *sum = (sum.0 - r.cpu_m, sum.1 - r.memory);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::OwnerReference;
    use crate::store::check_invariants;

    fn store_with_node() -> (Store, NodeId) {
        let mut s = Store::new();
        let n = s.add_node(crate::api::testing::node("n1", 1000, 1 << 30, 10));
        s.take_changes(&mut Vec::new());
        (s, n)
    }

    fn owned(name: &str, uid: &str) -> Pod {
        let mut p = crate::api::testing::pod(name, 300, 0);
        p.meta.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "web".into(),
            uid: Uid::Given(uid.into()),
            controller: true,
            block_owner_deletion: true,
        }]
        .into();
        p
    }

    fn changes(s: &mut Store) -> Vec<Change> {
        let mut out = Vec::new();
        s.take_changes(&mut out);
        out
    }

    #[test]
    fn each_pod_write_records_what_changed_from_and_to() {
        let (mut s, n) = store_with_node();
        let a = s.create_pod(owned("a", "rs-1"));
        s.bind(a, n, SimTime(1));
        s.set_phase(a, Phase::Running, SimTime(2));
        s.set_phase(a, Phase::Running, SimTime(3)); // no change, nothing recorded
        s.set_ready(a, true, SimTime(4));
        s.set_nominated_node(a, Some(n));
        s.set_nominated_node(a, None);
        s.set_pod_reason(a, Some("CrashLoopBackOff"));
        s.record_restart(a);
        assert_eq!(
            changes(&mut s),
            [
                Change::PodCreated(a),
                Change::PodBound { pod: a, node: n },
                Change::PodPhase {
                    pod: a,
                    from: Phase::Pending,
                    to: Phase::Running
                },
                Change::PodReady {
                    pod: a,
                    ready: true
                },
                Change::PodNominated {
                    pod: a,
                    from: None,
                    to: Some(n)
                },
                Change::PodNominated {
                    pod: a,
                    from: Some(n),
                    to: None
                },
                Change::PodStatus {
                    pod: a,
                    field: PodField::Reason {
                        from: None,
                        to: Some("CrashLoopBackOff")
                    }
                },
                Change::PodStatus {
                    pod: a,
                    field: PodField::Restarts { from: 0, to: 1 }
                },
            ]
        );
        let st = &s.pod(a).status;
        assert_eq!(
            (st.started, st.first_ready),
            (Some(SimTime(2)), Some(SimTime(4)))
        );
        assert_eq!(s.requested_on_node(n), (300, 0));
        assert_eq!(check_invariants(&s), Vec::<String>::new());
    }

    #[test]
    fn deletion_leaves_a_tombstone_frees_the_name_and_clears_the_indices() {
        let (mut s, n) = store_with_node();
        let a = s.create_pod(owned("a", "rs-1"));
        let b = s.create_pod(owned("b", "rs-1"));
        s.bind(a, n, SimTime(1));
        assert_eq!(s.pods_of_controller(&Uid::Given("rs-1".into())), [a, b]);
        changes(&mut s);
        // A bound pod terminates first; a second request changes nothing.
        assert!(s.request_deletion(a, SimTime(2)));
        assert!(!s.request_deletion(a, SimTime(3)));
        assert_eq!(changes(&mut s), [Change::PodTerminating(a)]);
        assert!(
            s.pod_exists("default", "a"),
            "a terminating pod keeps its name"
        );
        assert!(s.delete_pod(a, SimTime(4)));
        assert!(!s.delete_pod(a, SimTime(5)));
        // An unbound pod goes at once.
        assert!(s.request_deletion(b, SimTime(6)));
        assert_eq!(
            changes(&mut s),
            [Change::PodDeleted(a), Change::PodDeleted(b)]
        );
        assert_eq!(s.pod(a).status.deleted, Some(SimTime(4)), "the tombstone");
        assert_eq!(s.pod(a).meta.name, "a");
        assert!(!s.pod_exists("default", "a"));
        assert!(s.pods_on_node(n).is_empty());
        assert_eq!(s.requested_on_node(n), (0, 0));
        assert!(s.pods_of_controller(&Uid::Given("rs-1".into())).is_empty());
        // The name is free for a new pod, under a new id.
        let a2 = s.create_pod(owned("a", "rs-1"));
        assert_ne!(a2, a);
        assert_eq!(s.pod_id("default", "a"), Some(a2));
        assert_eq!(check_invariants(&s), Vec::<String>::new());
    }

    #[test]
    fn a_terminal_phase_frees_the_node_and_the_spec_is_released_only_then() {
        let (mut s, n) = store_with_node();
        let a = s.create_pod(owned("a", "rs-1"));
        s.bind(a, n, SimTime(1));
        let empty = Arc::new(
            crate::api::testing::pod("empty", 0, 0)
                .spec
                .as_ref()
                .clone(),
        );
        s.release_spec(a, &empty);
        assert_eq!(
            s.pod(a).spec.requests.cpu_m,
            300,
            "a live pod keeps its spec"
        );
        s.set_phase(a, Phase::Succeeded, SimTime(9));
        assert!(s.pods_on_node(n).is_empty());
        assert_eq!(s.pod(a).status.finished, Some(SimTime(9)));
        s.release_spec(a, &empty);
        assert_eq!(s.pod(a).spec.requests.cpu_m, 0);
        assert_eq!(
            s.pod(a).request_record().0,
            300,
            "the outputs keep its requests"
        );
        assert_eq!(check_invariants(&s), Vec::<String>::new());
    }
}
