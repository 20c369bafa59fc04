//! The DaemonSet controller (`pkg/controller/daemon/daemon_controller.go`): one pod on every
//! node its node selector, required node affinity and tolerations admit.
//!
//! The controller does not bind pods: each pod it creates carries a required node affinity
//! for its node alone (`metadata.name In [NODE]`, replacing the template's required terms)
//! and the tolerations every daemon pod gets (`not-ready` and `unreachable` NoExecute,
//! `disk-pressure`, `memory-pressure`, `pid-pressure` and `unschedulable` NoSchedule), and the
//! scheduler places it, so it may wait for room like any pod. A sync, per node:
//! a node that should run a pod and has none gets one; a failed pod is deleted (after a
//! back-off of 1 s doubling to 15 min per node) and replaced; a node that no longer admits
//! the pod (a label or a NoExecute taint) loses it; then the rolling update ([`update`]);
//! then the status, node by node from each node's oldest pod. At most 250 pods are created
//! and 250 deleted per sync (`BurstReplicas`), in slow-start batches.

mod update;

use super::pod_control::{self, controller_ref, generate_name};
use super::queue::WorkQueue;
use crate::api::Node;
use crate::api::affinity::{FIELD_NODE_NAME, NodeAffinity, NodeSelectorTerm};
use crate::api::apps::{DaemonSetUpdate, LABEL_CONTROLLER_REVISION_HASH, PodTemplate};
use crate::api::meta::OwnerReference;
use crate::api::pod::{Phase, Pod, PodSpec};
use crate::api::selector::{Operator, Requirement};
use crate::api::taint::{TaintEffect, Toleration, TolerationOperator, tolerated};
use crate::component::{Component, Context};
use crate::engine::SimTime;
use crate::store::{
    ArenaId, Change, ChangeKind, DaemonSetId, NodeId, PodId, Store, Watch, WorkloadChange,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Pods created, and deleted, per sync at most (`BurstReplicas` of the DaemonSet controller).
pub const BURST_REPLICAS: usize = 250;
/// First wait before a failed daemon pod is deleted again on the same node.
const FAILED_BACKOFF_MS: i64 = 1_000;
/// Longest such wait.
const FAILED_BACKOFF_MAX_MS: i64 = 15 * 60_000;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonSetEvent {
    /// Reconcile a DaemonSet.
    Sync(DaemonSetId),
}

/// The taints every daemon pod tolerates (`AddOrUpdateDaemonPodTolerations` in
/// `pkg/controller/daemon/util/daemonset_util.go`).
pub const DAEMON_TOLERATIONS: [(&str, TaintEffect); 6] = [
    ("node.kubernetes.io/not-ready", TaintEffect::NoExecute),
    ("node.kubernetes.io/unreachable", TaintEffect::NoExecute),
    ("node.kubernetes.io/disk-pressure", TaintEffect::NoSchedule),
    (
        "node.kubernetes.io/memory-pressure",
        TaintEffect::NoSchedule,
    ),
    ("node.kubernetes.io/pid-pressure", TaintEffect::NoSchedule),
    ("node.kubernetes.io/unschedulable", TaintEffect::NoSchedule),
];

/// A DaemonSet's template as its pods get it: the hash label and the daemon tolerations
/// added (made once per template).
struct Stamped {
    template: PodTemplate,
    hash: String,
    /// Each node's spec (its own node affinity), made on first use.
    per_node: BTreeMap<NodeId, Arc<PodSpec>>,
}

/// What the controller keeps per DaemonSet.
#[derive(Default)]
struct DsState {
    stamped: Option<Stamped>,
    owners: Option<Arc<[OwnerReference]>>,
    object: Option<Arc<str>>,
    /// Failed-pod back-off per node: the current wait and when it ends.
    backoff: BTreeMap<NodeId, (i64, SimTime)>,
}

/// The controller.
#[derive(Default)]
pub struct DaemonSetController {
    sets: Vec<DsState>,
    /// Retry delays after refused creates.
    retries: pod_control::RetryBackoff<DaemonSetId>,
    queue: WorkQueue<DaemonSetId>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, DaemonSetEvent>;

impl Component for DaemonSetController {
    type Event = DaemonSetEvent;

    fn name(&self) -> &str {
        "controllers/daemonset"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::DaemonSet,
            ChangeKind::NodeAdded,
            ChangeKind::NodeUpdated,
            ChangeKind::PodCreated,
            ChangeKind::PodBound,
            ChangeKind::PodReady,
            ChangeKind::PodPhase,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::DaemonSet { id, what } => match what {
                WorkloadChange::Created | WorkloadChange::Spec => {
                    self.state(id).stamped = None;
                    self.enqueue(id, ctx);
                }
                WorkloadChange::Status | WorkloadChange::Deleted => {}
            },
            Change::NodeAdded(_) | Change::NodeUpdated { .. } => {
                let all: Vec<DaemonSetId> =
                    ctx.store.live_daemon_sets().map(|(id, _)| id).collect();
                for ds in all {
                    self.enqueue(ds, ctx);
                }
            }
            Change::PodCreated(pod)
            | Change::PodBound { pod, .. }
            | Change::PodReady { pod, .. }
            | Change::PodPhase { pod, .. }
            | Change::PodTerminating(pod)
            | Change::PodDeleted(pod) => {
                if let Some(ds) = daemon_set_of(ctx.store, pod) {
                    self.enqueue(ds, ctx);
                    let min_ready = ctx.store.daemon_set(ds).spec.min_ready_ms;
                    if matches!(change, Change::PodReady { ready: true, .. }) && min_ready > 0 {
                        ctx.after(min_ready + 1_000, DaemonSetEvent::Sync(ds));
                    }
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: DaemonSetEvent, ctx: Ctx) {
        match event {
            DaemonSetEvent::Sync(ds) => {
                self.queue.done(ds);
                if ctx.store.daemon_set_is_live(ds) {
                    self.sync(ds, ctx);
                }
            }
        }
    }
}

/// The live DaemonSet controlling a pod.
fn daemon_set_of(store: &Store, pod: PodId) -> Option<DaemonSetId> {
    let owner = store.pod(pod).meta.controller()?;
    if &*owner.kind != "DaemonSet" {
        return None;
    }
    store.daemon_set_by_uid(&owner.uid)
}

/// Whether a node should run the DaemonSet's pod, and whether a pod already there may stay
/// (`NodeShouldRunDaemonPod`): `spec.nodeName`, the node selector and required node affinity
/// must admit it; a NoSchedule or NoExecute taint not tolerated keeps a new pod away, and a
/// NoExecute one sends a running pod away.
pub fn node_should_run(spec: &PodSpec, node: &Node) -> (bool, bool) {
    let name = node.name();
    if spec.node_name.as_deref().is_some_and(|n| n != name) {
        return (false, false);
    }
    let labels = &node.meta.labels;
    let selector_ok = spec
        .node_selector
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    let affinity_ok = spec
        .node_affinity
        .as_ref()
        .is_none_or(|a| a.required_matches(labels, name));
    if !selector_ok || !affinity_ok {
        return (false, false);
    }
    let tolerations = daemon_tolerations(&spec.tolerations);
    let (mut run, mut stay) = (true, true);
    for t in &node.taints {
        if t.effect == TaintEffect::PreferNoSchedule || tolerated(&tolerations, t) {
            continue;
        }
        run = false;
        if t.effect == TaintEffect::NoExecute {
            stay = false;
        }
    }
    (run, stay)
}

/// A pod's tolerations with the daemon ones (replacing any for the same key and effect).
fn daemon_tolerations(own: &[Toleration]) -> Vec<Toleration> {
    let mut out: Vec<Toleration> = own
        .iter()
        .filter(|t| {
            !DAEMON_TOLERATIONS
                .iter()
                .any(|(k, e)| t.key == *k && t.effect == Some(*e))
        })
        .cloned()
        .collect();
    out.extend(DAEMON_TOLERATIONS.iter().map(|(k, e)| Toleration {
        key: (*k).to_string(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(*e),
        toleration_seconds: None,
    }));
    out
}

/// The node a daemon pod is for: its node, else its node affinity's one name.
fn target_node(store: &Store, pod: &Pod) -> Option<NodeId> {
    if let Some(n) = pod.status.node {
        return Some(NodeId(n));
    }
    let name = pod.spec.node_name.clone().or_else(|| {
        let terms = pod.spec.node_affinity.as_ref()?.required.as_ref()?;
        terms.first()?.node_names()?.into_iter().next()
    })?;
    store.node_id(&name)
}

/// Whether a pod has been Ready for `min_ready` (`IsPodAvailable`).
fn available(pod: &Pod, min_ready: i64, now: SimTime) -> bool {
    pod.status.ready
        && pod
            .status
            .ready_since
            .is_some_and(|t| min_ready == 0 || t.ms() + min_ready < now.ms())
}

/// A DaemonSet's pods on one node, as a sync sees them.
#[derive(Clone, Debug, Default)]
pub(super) struct NodePods {
    /// Not finished, not being deleted; oldest first.
    pub running: Vec<PodId>,
    /// Failed or succeeded (still there).
    pub finished: Vec<PodId>,
    /// Being deleted.
    pub terminating: Vec<PodId>,
}

impl NodePods {
    fn is_empty(&self) -> bool {
        self.running.is_empty() && self.finished.is_empty() && self.terminating.is_empty()
    }
}

impl DaemonSetController {
    fn state(&mut self, ds: DaemonSetId) -> &mut DsState {
        if self.sets.len() <= ds.index() {
            self.sets.resize_with(ds.index() + 1, DsState::default);
        }
        &mut self.sets[ds.index()]
    }

    fn enqueue(&mut self, ds: DaemonSetId, ctx: Ctx) {
        self.queue.add(ds, DaemonSetEvent::Sync(ds), ctx);
    }

    /// The DaemonSet's pods by target node (pods for a node that does not exist are listed
    /// under `None`).
    fn pods_by_node(&self, ds: DaemonSetId, store: &Store) -> BTreeMap<Option<NodeId>, NodePods> {
        let mut out: BTreeMap<Option<NodeId>, NodePods> = BTreeMap::new();
        let uid = &store.daemon_set(ds).meta.uid;
        let mut pods: Vec<PodId> = store.pods_of_controller(uid).to_vec();
        // Oldest first: scheduled before unscheduled, then creation, then name
        // (`podByCreationTimestampAndPhase`).
        pods.sort_by(|&a, &b| {
            let (a, b) = (store.pod(a), store.pod(b));
            (a.status.node.is_none(), a.status.created, &a.meta.name).cmp(&(
                b.status.node.is_none(),
                b.status.created,
                &b.meta.name,
            ))
        });
        for p in pods {
            let pod = store.pod(p);
            let entry = out.entry(target_node(store, pod)).or_default();
            if pod.status.terminating.is_some() {
                entry.terminating.push(p);
            } else if pod.phase().is_terminal() {
                entry.finished.push(p);
            } else {
                entry.running.push(p);
            }
        }
        out
    }

    /// The stamped template of the current spec.
    fn stamped(&mut self, ds: DaemonSetId, store: &Store) -> (String, PodTemplate) {
        let d = store.daemon_set(ds);
        let s = self.state(ds);
        let st = s.stamped.get_or_insert_with(|| {
            let hash = d.spec.template.hash(None);
            let mut template = d.spec.template.clone();
            Arc::make_mut(&mut template.meta.labels)
                .insert(LABEL_CONTROLLER_REVISION_HASH.into(), hash.clone());
            let mut spec = (*template.spec).clone();
            spec.tolerations = daemon_tolerations(&spec.tolerations);
            template.spec = Arc::new(spec);
            Stamped {
                template,
                hash,
                per_node: BTreeMap::new(),
            }
        });
        (st.hash.clone(), st.template.clone())
    }

    /// The spec of the pod for `node`: its required node affinity is that node alone
    /// (`ReplaceDaemonSetPodNodeNameNodeAffinity`).
    fn spec_for(&mut self, ds: DaemonSetId, node: NodeId, store: &Store) -> Arc<PodSpec> {
        self.stamped(ds, store);
        let name = store.node(node).name().to_string();
        let st = self.state(ds).stamped.as_mut().expect("stamped above");
        st.per_node
            .entry(node)
            .or_insert_with(|| {
                let mut spec = (*st.template.spec).clone();
                let term = NodeSelectorTerm {
                    match_expressions: vec![],
                    match_fields: vec![Requirement {
                        key: FIELD_NODE_NAME.into(),
                        operator: Operator::In,
                        values: vec![name],
                    }],
                };
                let preferred = spec
                    .node_affinity
                    .take()
                    .map(|a| a.preferred)
                    .unwrap_or_default();
                spec.node_affinity = Some(NodeAffinity {
                    required: Some(vec![term]),
                    preferred,
                });
                Arc::new(spec)
            })
            .clone()
    }

    fn identity(&mut self, ds: DaemonSetId, store: &Store) -> (Arc<[OwnerReference]>, Arc<str>) {
        let d = store.daemon_set(ds);
        let s = self.state(ds);
        let owners = s
            .owners
            .get_or_insert_with(|| Arc::from([controller_ref("apps/v1", "DaemonSet", &d.meta)]))
            .clone();
        let object = s.object.get_or_insert_with(|| d.object().into()).clone();
        (owners, object)
    }

    fn sync(&mut self, ds: DaemonSetId, ctx: Ctx) {
        let (hash, _) = self.stamped(ds, ctx.store);
        let by_node = self.pods_by_node(ds, ctx.store);
        let template_spec = ctx.store.daemon_set(ds).spec.template.spec.clone();
        let surge = match ctx.store.daemon_set(ds).spec.update {
            DaemonSetUpdate::RollingUpdate(r) => r.max_surge.scaled(1) > 0,
            DaemonSetUpdate::OnDelete => false,
        };
        let mut create: Vec<NodeId> = Vec::new();
        let mut delete: Vec<PodId> = Vec::new();
        let mut requeue: Option<SimTime> = None;
        let now = ctx.now();
        for (i, node) in ctx.store.nodes().iter().enumerate() {
            let n = NodeId(i as u32);
            let (run, stay) = node_should_run(&template_spec, node);
            let pods = by_node.get(&Some(n)).cloned().unwrap_or_default();
            if run && pods.is_empty() {
                create.push(n);
            } else if stay {
                for &p in &pods.finished {
                    let failed = ctx.store.pod(p).phase() == Phase::Failed;
                    let st = self.state(ds);
                    let (wait, until) = st.backoff.get(&n).copied().unwrap_or((0, SimTime::ZERO));
                    if failed && now < until {
                        requeue = Some(requeue.map_or(until, |r| r.min(until)));
                        continue;
                    }
                    if failed {
                        let next = (wait * 2).clamp(FAILED_BACKOFF_MS, FAILED_BACKOFF_MAX_MS);
                        st.backoff.insert(n, (next, now + next));
                    }
                    delete.push(p);
                }
                let keep = if surge { 2 } else { 1 };
                delete.extend(pods.running.iter().skip(keep).copied());
            } else if !stay {
                delete.extend(pods.running.iter().chain(&pods.finished).copied());
            }
        }
        // Pods for nodes that are gone.
        if let Some(lost) = by_node.get(&None) {
            delete.extend(lost.running.iter().chain(&lost.finished).copied());
        }
        // The rolling update waits for the creations and deletions above to be seen (upstream
        // runs it only once the controller's expectations are met): a later sync does it.
        if create.is_empty() && delete.is_empty() {
            let (extra_delete, extra_create) =
                update::rolling_update(ds, &hash, &by_node, ctx.store, now);
            delete.extend(extra_delete);
            create.extend(extra_create);
        }
        self.sync_nodes(ds, &create, &delete, ctx);
        if let Some(at) = requeue {
            ctx.at(at, DaemonSetEvent::Sync(ds));
        }
        self.write_status(ds, &hash, ctx);
    }

    /// Creates the pods of `create` and deletes `delete`, at most [`BURST_REPLICAS`] each.
    fn sync_nodes(&mut self, ds: DaemonSetId, create: &[NodeId], delete: &[PodId], ctx: Ctx) {
        let (owners, object) = self.identity(ds, ctx.store);
        let (_, template) = self.stamped(ds, ctx.store);
        let namespace = ctx.store.daemon_set(ds).meta.namespace.clone();
        let base = format!("{}-", ctx.store.daemon_set(ds).meta.name);
        let mut nodes = create.iter();
        let mut refused = false;
        for batch in pod_control::slow_start_batches(create.len().min(BURST_REPLICAS)) {
            if refused {
                break; // a batch with a refusal ends the creations (`slowStartBatch`)
            }
            for &n in nodes.by_ref().take(batch) {
                let spec = self.spec_for(ds, n, ctx.store);
                let name = generate_name(ctx.store, ctx.rng, &namespace, &base);
                let mut pod = pod_control::pod_from_template(
                    &template,
                    &namespace,
                    name,
                    owners.clone(),
                    ctx,
                );
                pod.spec = spec;
                refused |= pod_control::create(pod, &object, ctx).is_err();
            }
        }
        if refused {
            self.retries.retry(ds, DaemonSetEvent::Sync(ds), ctx);
        } else {
            self.retries.forget(&ds);
        }
        for &p in delete.iter().take(BURST_REPLICAS) {
            pod_control::delete(p, &object, ctx);
        }
        if create.len() > BURST_REPLICAS || delete.len() > BURST_REPLICAS {
            self.enqueue(ds, ctx);
        }
    }

    /// The status, node by node from each node's oldest pod (`updateDaemonSetStatus`).
    fn write_status(&mut self, ds: DaemonSetId, hash: &str, ctx: Ctx) {
        let by_node = self.pods_by_node(ds, ctx.store);
        let d = ctx.store.daemon_set(ds);
        let (spec, min_ready, generation) = (
            d.spec.template.spec.clone(),
            d.spec.min_ready_ms,
            d.generation,
        );
        let now = ctx.now();
        let mut st = crate::store::DaemonSetStatus {
            observed_generation: generation,
            ..Default::default()
        };
        for (i, node) in ctx.store.nodes().iter().enumerate() {
            let (run, _) = node_should_run(&spec, node);
            let oldest = by_node
                .get(&Some(NodeId(i as u32)))
                .and_then(|p| p.running.first().copied());
            match (run, oldest) {
                (true, Some(p)) => {
                    let pod = ctx.store.pod(p);
                    st.desired += 1;
                    st.current += 1;
                    st.ready += u32::from(pod.status.ready);
                    st.available += u32::from(available(pod, min_ready, now));
                    st.updated += u32::from(
                        pod.meta
                            .labels
                            .get(LABEL_CONTROLLER_REVISION_HASH)
                            .map(String::as_str)
                            == Some(hash),
                    );
                }
                (true, None) => st.desired += 1,
                (false, Some(_)) => st.misscheduled += 1,
                (false, None) => {}
            }
        }
        ctx.store.update_daemon_set_status(ds, |s| *s = st);
    }
}

#[cfg(test)]
mod tests;
