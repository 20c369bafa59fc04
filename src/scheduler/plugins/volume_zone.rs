//! VolumeZone: the zone and region labels of a pod's bound volumes must match the node's
//! (`pkg/scheduler/framework/plugins/volumezone/volume_zone.go`). Only volume *labels* count
//! here; a volume's node affinity is VolumeBinding's business.

use super::names;
use super::volume_binding::claim_not_found;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::api::volume::{TOPOLOGY_LABELS, VolumeBindingMode, ga_topology_label, label_zones};
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterEvents, ClusterView, FilterPlugin, Plugin, PreFilterPlugin, PreFilterResult, Status,
};

/// Reason when a node's zone or region is not among its volumes'.
pub const ERR_REASON_CONFLICT: &str = "node(s) had no available volume zone";

/// The plugin; PreFilter keeps each topology label of the pod's volumes with its values.
#[derive(Debug, Default)]
pub struct VolumeZone {
    topologies: Vec<(&'static str, Vec<String>)>,
}

impl Plugin for VolumeZone {
    fn name(&self) -> &str {
        names::VOLUME_ZONE
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/volumezone/volume_zone.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::PreFilter, ExtensionPoint::Filter])
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
}

impl PreFilterPlugin for VolumeZone {
    fn pre_filter(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> (Status, PreFilterResult) {
        self.pre_filter_with(pod, nodes, ClusterView::empty())
    }

    /// Collects the topology labels of the volumes bound to the pod's claims; unbound
    /// WaitForFirstConsumer claims are skipped, other unbound claims reject the pod. Skip when
    /// no volume has a topology label.
    fn pre_filter_with(
        &mut self,
        pod: &Pod,
        _nodes: NodeSet<'_>,
        cluster: ClusterView<'_>,
    ) -> (Status, PreFilterResult) {
        self.topologies.clear();
        let store = cluster.store;
        for v in &pod.spec.volumes {
            let Some(id) = store.pvc_id(&pod.meta.namespace, &v.claim_name) else {
                return (Status::unresolvable(claim_not_found(&v.claim_name)), None);
            };
            let claim = store.pvc(id);
            let pv = match (claim.volume, &claim.spec.volume_name) {
                (Some(pv), _) => pv,
                (None, Some(name)) => match store.pv_id(name) {
                    Some(pv) => pv,
                    None => {
                        let msg = format!("persistentvolume \"{name}\" not found");
                        return (Status::unresolvable(msg), None);
                    }
                },
                (None, None) => {
                    let class_name = &claim.spec.storage_class;
                    if class_name.is_empty() {
                        let msg = "PersistentVolumeClaim had no pv name and storageClass name";
                        return (Status::unresolvable(msg), None);
                    }
                    let Some(class) = store.storage_class(class_name) else {
                        let msg = format!("storageclass.storage.k8s.io \"{class_name}\" not found");
                        return (Status::unresolvable(msg), None);
                    };
                    if class.binding_mode == VolumeBindingMode::WaitForFirstConsumer {
                        continue;
                    }
                    return (Status::unresolvable("PersistentVolume had no name"), None);
                }
            };
            let labels = &store.pv(pv).meta.labels;
            for key in TOPOLOGY_LABELS {
                if let Some(value) = labels.get(key) {
                    self.topologies.push((key, label_zones(value)));
                }
            }
        }
        if self.topologies.is_empty() {
            return (Status::skip(), None);
        }
        (Status::success(), None)
    }
}

impl FilterPlugin for VolumeZone {
    /// A node without any zone or region label passes (a single-zone cluster); otherwise each
    /// volume label must be matched by the node's label of the same key (or its GA spelling).
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        let labels = &node.node.meta.labels;
        if !TOPOLOGY_LABELS.iter().any(|k| labels.contains_key(*k)) {
            return Status::success();
        }
        for (key, values) in &self.topologies {
            let v = labels
                .get(*key)
                .or_else(|| labels.get(ga_topology_label(key)));
            if !v.is_some_and(|v| values.contains(v)) {
                return Status::unresolvable(ERR_REASON_CONFLICT);
            }
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ObjectMeta;
    use crate::api::node::LABEL_ZONE;
    use crate::api::pod::PodVolume;
    use crate::api::volume::{
        AccessModes, PersistentVolumeClaimSpec, PersistentVolumeSpec, StorageClass,
    };
    use crate::scheduler::images::ImageStates;
    use crate::scheduler::plugins::testing::{node, pod, with_labels};
    use crate::store::Store;
    use std::sync::Arc;

    fn meta(name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            labels: Arc::new(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..ObjectMeta::default()
        }
    }

    fn claim(class: &str) -> PersistentVolumeClaimSpec {
        PersistentVolumeClaimSpec {
            storage_class: class.into(),
            request: 1,
            access_modes: AccessModes::READ_WRITE_ONCE,
            volume_name: None,
        }
    }

    fn using(claim: &str) -> Pod {
        let mut p = pod("p", 100, 0);
        Arc::make_mut(&mut p.spec).volumes = vec![PodVolume {
            name: Arc::from("data"),
            claim_name: Arc::from(claim),
        }];
        p
    }

    fn run(store: &Store, p: &Pod) -> (VolumeZone, Status) {
        let images = ImageStates::new();
        let mut plugin = VolumeZone::default();
        let view = ClusterView {
            store,
            images: &images,
        };
        let s = plugin.pre_filter_with(p, NodeSet::new(&[], &[]), view).0;
        (plugin, s)
    }

    #[test]
    fn zone_labels_of_bound_volumes_filter_nodes() {
        let mut store = Store::new();
        let pv_spec = PersistentVolumeSpec {
            capacity: 10,
            access_modes: AccessModes::READ_WRITE_ONCE,
            storage_class: String::new(),
            node_affinity: None,
        };
        let beta = "failure-domain.beta.kubernetes.io/zone";
        let pv = store.create_pv(meta("pv", &[(beta, "a__b")]), pv_spec);
        let pvc = store.create_pvc(meta("data", &[]), claim(""));
        store.bind_claim(pvc, pv);
        let (plugin, s) = run(&store, &using("data"));
        assert!(s.is_success());
        let n = |z: &str| with_labels(node("n", 1, 1), &[(LABEL_ZONE, z)]);
        assert!(
            plugin.filter(&pod("p", 0, 0), &n("a")).is_success(),
            "GA label read"
        );
        assert!(plugin.filter(&pod("p", 0, 0), &n("b")).is_success());
        assert_eq!(
            plugin.filter(&pod("p", 0, 0), &n("c")),
            Status::unresolvable("node(s) had no available volume zone")
        );
        let unlabelled = node("bare", 1, 1);
        assert!(plugin.filter(&pod("p", 0, 0), &unlabelled).is_success());
        let other_key = with_labels(node("r", 1, 1), &[("topology.kubernetes.io/region", "r")]);
        assert!(!plugin.filter(&pod("p", 0, 0), &other_key).is_success());
    }

    #[test]
    fn unbound_claims_skip_or_reject_with_upstream_wording() {
        let mut store = Store::new();
        store.add_storage_class(StorageClass {
            name: "wffc".into(),
            provisioner: "csi".into(),
            binding_mode: VolumeBindingMode::WaitForFirstConsumer,
            allowed_topologies: vec![],
            is_default: false,
        });
        store.create_pvc(meta("later", &[]), claim("wffc"));
        store.create_pvc(meta("no-class", &[]), claim(""));
        store.create_pvc(meta("ghost-class", &[]), claim("ghost"));
        assert_eq!(run(&store, &using("later")).1, Status::skip());
        assert_eq!(run(&store, &pod("p", 0, 0)).1, Status::skip());
        assert_eq!(
            run(&store, &using("no-class")).1,
            Status::unresolvable("PersistentVolumeClaim had no pv name and storageClass name")
        );
        assert_eq!(
            run(&store, &using("ghost-class")).1,
            Status::unresolvable("storageclass.storage.k8s.io \"ghost\" not found")
        );
        assert_eq!(
            run(&store, &using("missing")).1,
            Status::unresolvable("persistentvolumeclaim \"missing\" not found")
        );
    }
}
