//! VolumeBinding: a pod's claims must be bound, or bindable on the node
//! (`pkg/scheduler/framework/plugins/volumebinding/volume_binding.go` and `binder.go`).
//!
//! - PreFilter: Skip without claims; a missing claim, or an unbound claim whose class binds
//!   Immediately (or with a `volumeName` not bound yet), rejects the pod on every node.
//! - Filter: a bound claim's volume must accept the node (node affinity); each
//!   WaitForFirstConsumer claim, smallest request first, takes the smallest available matching
//!   volume the node can reach, else its class must be able to provision there.
//! - PreBind: the chosen volumes are bound and the missing ones provisioned in the node's zone
//!   (the external provisioner and the volume controller act at once in kubesim).

use super::names;
use crate::api::affinity::NodeSelectorTerm;
use crate::api::event::EventType;
use crate::api::meta::ObjectMeta;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::api::selector::Labels;
use crate::api::volume::{
    PersistentVolumeClaimSpec, StorageClass, TopologyTerm, VolumeBindingMode, affinity_matches,
    provisioned_for_node,
};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ApiHandle, ClusterEvents, ClusterView, FilterPlugin, Plugin, PreBindPlugin, PreFilterPlugin,
    PreFilterResult, Status,
};
use crate::store::{NodeId, PodId, PvId, PvcId, Store};
use std::sync::Arc;

/// Reason when an unbound WaitForFirstConsumer claim finds no volume for the node.
pub const ERR_REASON_BIND_CONFLICT: &str =
    "node(s) didn't find available persistent volumes to bind";
/// Reason when a bound claim's volume cannot be reached from the node.
pub const ERR_REASON_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
/// PreFilter reason when an Immediate claim is still unbound.
pub const ERR_REASON_UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";

/// The upstream lister's message for a claim that does not exist.
pub fn claim_not_found(name: &str) -> String {
    format!("persistentvolumeclaim \"{name}\" not found")
}

type Affinity = Option<Arc<Vec<NodeSelectorTerm>>>;

/// An unbound WaitForFirstConsumer claim, prepared in PreFilter.
#[derive(Debug, Clone)]
struct DelayedClaim {
    pvc: PvcId,
    request: i64,
    /// Available volumes that match the claim apart from the node, smallest first (ties by
    /// name), with their node affinity.
    candidates: Vec<(PvId, Affinity)>,
    /// The class, when it can provision: its allowed topologies.
    provision: Option<Vec<TopologyTerm>>,
}

/// What binding the pod's claims on one node takes.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    /// A bound claim's volume does not accept the node.
    node_conflict: bool,
    /// Some unbound claim can be neither matched nor provisioned.
    bind_conflict: bool,
    /// (claim, volume) to bind.
    bindings: Vec<(PvcId, PvId)>,
    /// Claims to provision a volume for.
    provisions: Vec<PvcId>,
}

/// The plugin, with the per-cycle state PreFilter computes.
#[derive(Debug, Default)]
pub struct VolumeBinding {
    /// Node affinity of the volumes of the pod's bound claims.
    bound: Vec<Affinity>,
    /// The pod's unbound WaitForFirstConsumer claims, by increasing request.
    delayed: Vec<DelayedClaim>,
}

impl Plugin for VolumeBinding {
    fn name(&self) -> &str {
        names::VOLUME_BINDING
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/volumebinding/volume_binding.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[
            ExtensionPoint::PreFilter,
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
            ExtensionPoint::Reserve,
            ExtensionPoint::PreBind,
        ])
    }
    fn events_to_register(&self) -> ClusterEvents {
        ClusterEvents::NODE_ADD
            .or(ClusterEvents::NODE_LABEL)
            .or(ClusterEvents::NODE_TAINT)
            .or(ClusterEvents::PV_ADD_OR_UPDATE)
            .or(ClusterEvents::PVC_ADD_OR_UPDATE)
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_bind(&mut self) -> Option<&mut dyn PreBindPlugin> {
        Some(self)
    }
}

impl VolumeBinding {
    /// Matches the claims against one node (upstream `FindPodVolumes`).
    fn plan(&self, labels: &Labels, node_name: &str) -> Plan {
        let mut plan = Plan {
            node_conflict: self
                .bound
                .iter()
                .any(|a| !affinity_matches(a.as_deref(), labels, node_name)),
            ..Plan::default()
        };
        let mut unmatched: Vec<&DelayedClaim> = Vec::new();
        for claim in &self.delayed {
            let found = claim.candidates.iter().find(|(pv, affinity)| {
                !plan.bindings.iter().any(|(_, chosen)| chosen == pv)
                    && affinity_matches(affinity.as_deref(), labels, node_name)
            });
            match found {
                Some((pv, _)) => plan.bindings.push((claim.pvc, *pv)),
                None => unmatched.push(claim),
            }
        }
        for claim in unmatched {
            let provisionable = claim.provision.as_ref().is_some_and(|topologies| {
                topologies.is_empty() || topologies.iter().any(|t| t.matches(labels))
            });
            if provisionable {
                plan.provisions.push(claim.pvc);
            } else {
                plan.bind_conflict = true;
            }
        }
        if plan.bind_conflict {
            plan.provisions.clear();
        }
        plan
    }

    fn delayed_claim(store: &Store, pvc: PvcId, class: &StorageClass) -> DelayedClaim {
        let spec = &store.pvc(pvc).spec;
        let mut candidates: Vec<(i64, &str, PvId)> = store
            .pvs_of_class(&spec.storage_class)
            .iter()
            .map(|&id| (id, store.pv(id)))
            .filter(|(_, pv)| pv.claim.is_none() && spec.accepts(&pv.spec))
            .map(|(id, pv)| (pv.spec.capacity, pv.meta.name.as_str(), id))
            .collect();
        candidates.sort();
        DelayedClaim {
            pvc,
            request: spec.request,
            candidates: candidates
                .into_iter()
                .map(|(_, _, id)| (id, store.pv(id).spec.node_affinity.clone()))
                .collect(),
            provision: class
                .can_provision()
                .then(|| class.allowed_topologies.clone()),
        }
    }
}

impl PreFilterPlugin for VolumeBinding {
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        self.pre_filter_with(pod, nodes, ClusterView::empty())
    }

    fn pre_filter_with(
        &mut self,
        pod: &Pod,
        _nodes: NodeSet<'_>,
        cluster: ClusterView<'_>,
    ) -> (Status, PreFilterResult) {
        self.bound.clear();
        self.delayed.clear();
        if pod.spec.volumes.is_empty() {
            return (Status::skip(), None);
        }
        let store = cluster.store;
        let mut claims = Vec::with_capacity(pod.spec.volumes.len());
        for v in &pod.spec.volumes {
            match store.pvc_id(&pod.meta.namespace, &v.claim_name) {
                Some(id) => claims.push(id),
                None => return (Status::unresolvable(claim_not_found(&v.claim_name)), None),
            }
        }
        for id in claims {
            let claim = store.pvc(id);
            if let Some(pv) = claim.volume {
                self.bound.push(store.pv(pv).spec.node_affinity.clone());
                continue;
            }
            let delayed_class = store
                .storage_class(&claim.spec.storage_class)
                .filter(|c| c.binding_mode == VolumeBindingMode::WaitForFirstConsumer);
            match delayed_class {
                Some(class) if claim.spec.volume_name.is_none() => {
                    self.delayed.push(Self::delayed_claim(store, id, class));
                }
                _ => return (Status::unresolvable(ERR_REASON_UNBOUND_IMMEDIATE), None),
            }
        }
        // Smallest request first; equal requests keep the pod's volume order.
        self.delayed.sort_by_key(|c| c.request);
        (Status::success(), None)
    }
}

impl FilterPlugin for VolumeBinding {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        if self.bound.is_empty() && self.delayed.is_empty() {
            return Status::success();
        }
        let plan = self.plan(&node.node.meta.labels, node.name());
        let mut reasons = crate::scheduler::framework::Reasons::new();
        if plan.node_conflict {
            reasons.push(ERR_REASON_NODE_CONFLICT.into());
        }
        if plan.bind_conflict {
            reasons.push(ERR_REASON_BIND_CONFLICT.into());
        }
        if reasons.is_empty() {
            Status::success()
        } else {
            Status {
                code: crate::scheduler::framework::Code::UnschedulableAndUnresolvable,
                reasons,
            }
        }
    }
}

impl PreBindPlugin for VolumeBinding {
    /// Binds each WaitForFirstConsumer claim to its chosen volume, or provisions one for it
    /// reachable from the node (named `pvc-<namespace>-<claim>`, with a ProvisioningSucceeded
    /// event on the claim).
    fn pre_bind(&mut self, _pod: PodId, node: NodeId, api: &mut ApiHandle<'_>) -> Status {
        let store = &mut *api.store;
        if self.delayed.is_empty() {
            return Status::success();
        }
        let n = store.node(node).clone();
        let plan = self.plan(&n.meta.labels, n.name());
        self.delayed.clear();
        if plan.node_conflict || plan.bind_conflict {
            return Status::error(format!("volumes no longer fit node {}", n.name()));
        }
        for (pvc, pv) in plan.bindings {
            if !store.bind_claim(pvc, pv) {
                return Status::error(format!(
                    "binding volume {} to its claim failed",
                    store.pv(pv).meta.name
                ));
            }
        }
        for pvc in plan.provisions {
            let claim = store.pvc(pvc);
            let spec: PersistentVolumeClaimSpec = claim.spec.clone();
            let base = format!("pvc-{}-{}", claim.meta.namespace, claim.meta.name);
            let object = claim.object();
            let name = store.free_pv_name(&base);
            let meta = ObjectMeta {
                name: name.clone(),
                ..ObjectMeta::default()
            };
            let pv = store.create_pv(meta, provisioned_for_node(&spec, &n.meta.labels, n.name()));
            store.bind_claim(pvc, pv);
            api.recorder.event(
                api.now,
                EventType::Normal,
                "ProvisioningSucceeded",
                object,
                format!("Successfully provisioned volume {name}"),
            );
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::LABEL_ZONE;
    use crate::api::pod::PodVolume;
    use crate::api::volume::{AccessModes, PersistentVolumeSpec, pinned_to};
    use crate::scheduler::framework::Code;
    use crate::scheduler::images::ImageStates;
    use crate::scheduler::plugins::testing::{node, pod, with_labels};

    const GI: i64 = 1 << 30;

    fn class(name: &str, mode: VolumeBindingMode, provisioner: &str) -> StorageClass {
        StorageClass {
            name: name.into(),
            provisioner: provisioner.into(),
            binding_mode: mode,
            allowed_topologies: vec![],
            is_default: false,
        }
    }

    fn claim(class: &str, request: i64) -> PersistentVolumeClaimSpec {
        PersistentVolumeClaimSpec {
            storage_class: class.into(),
            request,
            access_modes: AccessModes::READ_WRITE_ONCE,
            volume_name: None,
        }
    }

    fn volume(class: &str, capacity: i64, zone: Option<&str>) -> PersistentVolumeSpec {
        PersistentVolumeSpec {
            capacity,
            access_modes: AccessModes::READ_WRITE_ONCE,
            storage_class: class.into(),
            node_affinity: zone.and_then(|z| pinned_to(LABEL_ZONE, z)),
        }
    }

    fn named(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            ..ObjectMeta::default()
        }
    }

    fn using(claims: &[&str]) -> Pod {
        let mut p = pod("p", 100, 0);
        Arc::make_mut(&mut p.spec).volumes = claims
            .iter()
            .map(|c| PodVolume {
                name: Arc::from("data"),
                claim_name: Arc::from(*c),
            })
            .collect();
        p
    }

    fn zone_node(name: &str, zone: &str) -> NodeInfo {
        with_labels(node(name, 4000, 8 * GI), &[(LABEL_ZONE, zone)])
    }

    fn pre_filter(plugin: &mut VolumeBinding, store: &Store, p: &Pod) -> Status {
        let images = ImageStates::new();
        let view = ClusterView {
            store,
            images: &images,
        };
        plugin.pre_filter_with(p, NodeSet::new(&[], &[]), view).0
    }

    #[test]
    fn prefilter_skips_rejects_missing_and_unbound_immediate_claims() {
        let mut store = Store::new();
        store.add_storage_class(class("std", VolumeBindingMode::Immediate, "csi"));
        store.create_pvc(named("pending"), claim("std", GI));
        let mut plugin = VolumeBinding::default();
        assert_eq!(
            pre_filter(&mut plugin, &store, &pod("p", 0, 0)),
            Status::skip()
        );
        assert_eq!(
            pre_filter(&mut plugin, &store, &using(&["nope"])),
            Status::unresolvable("persistentvolumeclaim \"nope\" not found")
        );
        assert_eq!(
            pre_filter(&mut plugin, &store, &using(&["pending", "nope"])),
            Status::unresolvable("persistentvolumeclaim \"nope\" not found"),
            "every claim is looked up before any is classified"
        );
        assert_eq!(
            pre_filter(&mut plugin, &store, &using(&["pending"])),
            Status::unresolvable("pod has unbound immediate PersistentVolumeClaims")
        );
    }

    #[test]
    fn bound_volumes_pin_the_pod_to_their_zone() {
        let mut store = Store::new();
        let pv = store.create_pv(named("pv-a"), volume("", 10 * GI, Some("a")));
        let pvc = store.create_pvc(named("data"), claim("", GI));
        assert!(store.bind_claim(pvc, pv));
        let mut plugin = VolumeBinding::default();
        let p = using(&["data"]);
        assert!(pre_filter(&mut plugin, &store, &p).is_success());
        assert!(plugin.filter(&p, &zone_node("n1", "a")).is_success());
        assert_eq!(
            plugin.filter(&p, &zone_node("n2", "b")),
            Status::unresolvable("node(s) had volume node affinity conflict")
        );
    }

    #[test]
    fn wait_for_first_consumer_claims_take_the_smallest_reachable_volume() {
        let mut store = Store::new();
        store.add_storage_class(class(
            "local",
            VolumeBindingMode::WaitForFirstConsumer,
            "kubernetes.io/no-provisioner",
        ));
        let big_a = store.create_pv(named("big-a"), volume("local", 100 * GI, Some("a")));
        let small_a = store.create_pv(named("small-a"), volume("local", 10 * GI, Some("a")));
        store.create_pv(named("tiny-a"), volume("local", GI / 2, Some("a")));
        store.create_pv(named("other-class"), volume("fast", 10 * GI, Some("b")));
        let pvc = store.create_pvc(named("data"), claim("local", 5 * GI));
        let mut plugin = VolumeBinding::default();
        let p = using(&["data"]);
        assert!(pre_filter(&mut plugin, &store, &p).is_success());
        let a = zone_node("n1", "a");
        assert!(plugin.filter(&p, &a).is_success());
        assert_eq!(
            plugin.filter(&p, &zone_node("n2", "b")),
            Status {
                code: Code::UnschedulableAndUnresolvable,
                reasons: smallvec::smallvec![ERR_REASON_BIND_CONFLICT.into()],
            }
        );
        let plan = plugin.plan(&a.node.meta.labels, a.name());
        assert_eq!(plan.bindings, [(pvc, small_a)]);
        // Two claims on one node cannot share a volume: the second takes the next smallest.
        let second = store.create_pvc(named("more"), claim("local", 5 * GI));
        let p2 = using(&["data", "more"]);
        assert!(pre_filter(&mut plugin, &store, &p2).is_success());
        let plan = plugin.plan(&a.node.meta.labels, a.name());
        assert_eq!(plan.bindings, [(pvc, small_a), (second, big_a)]);
    }

    #[test]
    fn prebind_binds_or_provisions_in_the_node_zone() {
        let mut store = Store::new();
        store.add_node(zone_node("n1", "a").node.as_ref().clone());
        store.add_storage_class(class(
            "gp3",
            VolumeBindingMode::WaitForFirstConsumer,
            "ebs.csi.aws.com",
        ));
        let pvc = store.create_pvc(named("data"), claim("gp3", 8 * GI));
        let mut plugin = VolumeBinding::default();
        let p = using(&["data"]);
        assert!(pre_filter(&mut plugin, &store, &p).is_success());
        let n1 = zone_node("n1", "a");
        assert!(
            plugin.filter(&p, &n1).is_success(),
            "provisionable anywhere"
        );
        let mut recorder = crate::component::Recorder::default();
        let mut api = ApiHandle {
            store: &mut store,
            recorder: &mut recorder,
            now: crate::engine::SimTime::ZERO,
        };
        assert!(plugin.pre_bind(PodId(0), NodeId(0), &mut api).is_success());
        let pv = store.pvc(pvc).volume.expect("bound to a new volume");
        let pv = store.pv(pv);
        assert_eq!(pv.meta.name, "pvc-default-data");
        assert_eq!(pv.spec.capacity, 8 * GI);
        assert!(pv.spec.node_affinity_matches(&n1.node.meta.labels, "n1"));
        assert!(
            !pv.spec
                .node_affinity_matches(&zone_node("x", "b").node.meta.labels, "x")
        );
        let mut events = Vec::new();
        recorder.take_events(&mut events);
        assert_eq!(events[0].reason, "ProvisioningSucceeded");
        assert_eq!(
            events[0].message.to_string(),
            "Successfully provisioned volume pvc-default-data"
        );
        // Bound now: the next pod using the claim follows the volume's zone.
        assert!(pre_filter(&mut plugin, &store, &p).is_success());
        assert!(!plugin.filter(&p, &zone_node("n3", "b")).is_success());
    }
}
