//! A state checker outside the model: invariants that must hold after every event.

use super::{NodeId, PodId, PvId, PvcId, Store};
use crate::api::Resources;

/// Checks the store's invariants and returns every violation found (empty when sound):
/// - each pod on a node's list is bound to that node, live and not terminal;
/// - each live, bound, non-terminal pod is on its node's list;
/// - each node's kept request sums equal its pods' requests, and fit its allocatable;
/// - claims and volumes point at each other, and volumes are listed under their class;
/// - every kind's name and uid indices agree with its objects (both ways);
/// - the controller index lists exactly the live pods of each controller.
pub fn check_invariants(store: &Store) -> Vec<String> {
    let mut errors = Vec::new();
    check_nodes(store, &mut errors);
    check_bound_pods(store, &mut errors);
    check_claims(store, &mut errors);
    check_indices(store, &mut errors);
    check_controllers(store, &mut errors);
    errors
}

fn check_nodes(store: &Store, errors: &mut Vec<String>) {
    for (i, node) in store.nodes().iter().enumerate() {
        let id = NodeId(i as u32);
        let mut sum = Resources::default();
        for &pid in store.pods_on_node(id) {
            let p = store.pod(pid);
            if p.status.node != Some(id.0) {
                errors.push(format!(
                    "pod {} listed on {} but bound elsewhere",
                    p.key(),
                    node.name()
                ));
            }
            if p.phase().is_terminal() || p.status.deleted.is_some() {
                errors.push(format!(
                    "terminal or deleted pod {} still on {}",
                    p.key(),
                    node.name()
                ));
            }
            sum.add(&p.spec.requests);
        }
        if store.requested_on_node(id) != (sum.cpu_m, sum.memory) {
            errors.push(format!(
                "node {} keeps requests {:?}, its pods sum to ({}, {})",
                node.name(),
                store.requested_on_node(id),
                sum.cpu_m,
                sum.memory
            ));
        }
        let a = &node.allocatable;
        let over = sum.cpu_m > a.cpu_m
            || sum.memory > a.memory
            || sum.ephemeral_storage > a.ephemeral_storage
            || sum.scalars.iter().any(|(n, v)| *v > a.scalar(n))
            || store.pods_on_node(id).len() as i64 > a.pods;
        if over {
            errors.push(format!(
                "node {} over-committed: requests {sum} > allocatable {a}",
                node.name()
            ));
        }
    }
}

fn check_bound_pods(store: &Store, errors: &mut Vec<String>) {
    for (i, p) in store.pods().iter().enumerate() {
        if let Some(n) = p.status.node
            && p.status.deleted.is_none()
            && !p.phase().is_terminal()
            && !store.pods_on_node(NodeId(n)).contains(&PodId(i as u32))
        {
            errors.push(format!(
                "pod {} bound but missing from its node's list",
                p.key()
            ));
        }
    }
}

fn check_claims(store: &Store, errors: &mut Vec<String>) {
    for (i, pv) in store.pvs().iter().enumerate() {
        if let Some(c) = pv.claim
            && store.pvc(c).volume != Some(PvId(i as u32))
        {
            errors.push(format!(
                "volume {} bound to claim {}/{} which holds another volume",
                pv.meta.name,
                store.pvc(c).meta.namespace,
                store.pvc(c).meta.name
            ));
        }
    }
    let mut by_class = 0;
    for (class, ids) in &store.pvs_by_class {
        for &id in ids {
            by_class += 1;
            if store.pv(id).spec.storage_class != *class {
                errors.push(format!(
                    "volume {} listed under class {class:?}",
                    store.pv(id).meta.name
                ));
            }
        }
    }
    if by_class != store.pvs().len() {
        errors.push(format!(
            "{} volumes, {by_class} listed by class",
            store.pvs().len()
        ));
    }
    for (i, c) in store.pvcs().iter().enumerate() {
        if let Some(pv) = c.volume
            && store.pv(pv).claim != Some(PvcId(i as u32))
        {
            errors.push(format!(
                "claim {}/{} bound to {} which holds another claim",
                c.meta.namespace,
                c.meta.name,
                store.pv(pv).meta.name
            ));
        }
    }
}

fn check_indices(store: &Store, errors: &mut Vec<String>) {
    let results = [
        ("nodes", store.nodes.indices_agree()),
        ("pods", store.pods.indices_agree()),
        ("jobs", store.jobs.indices_agree()),
        ("persistent volumes", store.pvs.indices_agree()),
        ("claims", store.pvcs.indices_agree()),
        ("services", store.services.indices_agree()),
        ("disruption budgets", store.pdbs.indices_agree()),
        ("storage classes", store.storage_classes.indices_agree()),
        ("priority classes", store.priority_classes.indices_agree()),
        ("namespaces", store.namespaces.indices_agree()),
    ];
    for (kind, r) in results {
        if let Err(e) = r {
            errors.push(format!("{kind}: {e}"));
        }
    }
    if store.pdb_status.len() != store.pdbs.len() {
        errors.push(format!(
            "disruption budgets: {} statuses for {} budgets",
            store.pdb_status.len(),
            store.pdbs.len()
        ));
    }
}

fn check_controllers(store: &Store, errors: &mut Vec<String>) {
    let mut indexed = 0;
    for (uid, pods) in &store.pods_by_controller {
        for &id in pods {
            indexed += 1;
            let p = store.pod(id);
            if !store.pods.is_live(id) || p.meta.controller().map(|o| &o.uid) != Some(uid) {
                errors.push(format!(
                    "pod {} listed under controller {uid} it is not a live pod of",
                    p.key()
                ));
            }
        }
    }
    let owned = store
        .pods
        .live()
        .filter(|(_, p)| p.meta.controller().is_some())
        .count();
    if owned != indexed {
        errors.push(format!(
            "{owned} live pods have a controller, {indexed} are indexed by controller"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::{OwnerReference, Uid};
    use crate::api::pod::{Phase, Pod};
    use crate::api::volume::{AccessModes, PersistentVolumeClaimSpec, PersistentVolumeSpec};
    use crate::api::{Node, ObjectMeta};
    use crate::engine::SimTime;

    fn node(name: &str, cpu_m: i64) -> Node {
        crate::api::testing::node(name, cpu_m, 1 << 30, 10)
    }

    fn pod(name: &str, cpu_m: i64, controller: Option<&str>) -> Pod {
        let mut pod = crate::api::testing::pod(name, cpu_m, 0);
        let owner = controller.map(|uid| OwnerReference {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            name: "j".into(),
            uid: Uid::Given(uid.into()),
            controller: true,
            block_owner_deletion: true,
        });
        pod.meta.owner_references = owner.into_iter().collect();
        pod
    }

    /// Two nodes, a bound pod of a controller, an unbound one, a bound claim.
    fn sound() -> (Store, PodId, PodId) {
        let mut s = Store::new();
        let n = s.add_node(node("n1", 1000));
        s.add_node(node("n2", 1000));
        let a = s.create_pod(pod("a", 400, Some("job-uid")));
        let b = s.create_pod(pod("b", 400, None));
        s.bind(a, n, SimTime::ZERO);
        let spec = PersistentVolumeSpec {
            capacity: 10,
            access_modes: AccessModes::READ_WRITE_ONCE,
            storage_class: String::new(),
            node_affinity: None,
        };
        let pv = s.create_pv(ObjectMeta::named("", "pv"), spec);
        let claim = PersistentVolumeClaimSpec {
            storage_class: String::new(),
            request: 5,
            access_modes: AccessModes::READ_WRITE_ONCE,
            volume_name: None,
        };
        let pvc = s.create_pvc(ObjectMeta::named("default", "c"), claim);
        s.bind_claim(pvc, pv);
        assert_eq!(check_invariants(&s), Vec::<String>::new());
        (s, a, b)
    }

    fn broken(edit: impl FnOnce(&mut Store, PodId, PodId)) -> String {
        let (mut s, a, b) = sound();
        edit(&mut s, a, b);
        let errors = check_invariants(&s);
        assert!(!errors.is_empty(), "the broken state went unnoticed");
        errors.join("\n")
    }

    #[test]
    fn a_sound_store_after_every_kind_of_write_passes() {
        let (mut s, a, b) = sound();
        s.set_phase(a, Phase::Running, SimTime(1));
        s.set_ready(a, true, SimTime(2));
        s.request_deletion(b, SimTime(3));
        s.set_phase(a, Phase::Succeeded, SimTime(4));
        s.delete_pod(a, SimTime(5));
        assert_eq!(check_invariants(&s), Vec::<String>::new());
        assert!(
            s.pods_of_controller(&Uid::Given("job-uid".into()))
                .is_empty()
        );
    }

    #[test]
    fn each_broken_state_is_caught() {
        let e = broken(|s, a, _| s.pods_on_node[1].push(a));
        assert!(e.contains("listed on n2 but bound elsewhere"), "{e}");
        let e = broken(|s, a, _| s.pods.get_mut(a).status.phase = Some(Phase::Failed));
        assert!(
            e.contains("terminal or deleted pod default/a still on n1"),
            "{e}"
        );
        let e = broken(|s, a, _| {
            s.pods_on_node[0].clear();
            s.requested_on_node[0] = (0, 0);
            let _ = a;
        });
        assert!(
            e.contains("pod default/a bound but missing from its node's list"),
            "{e}"
        );
        let e = broken(|s, _, _| s.requested_on_node[0] = (1, 0));
        assert!(
            e.contains("node n1 keeps requests (1, 0), its pods sum to (400, 0)"),
            "{e}"
        );
        let e = broken(|s, _, b| {
            s.bind(b, NodeId(0), SimTime::ZERO);
            let c = s.create_pod(pod("c", 400, None));
            s.bind(c, NodeId(0), SimTime::ZERO);
        });
        assert!(e.contains("node n1 over-committed"), "{e}");
        let e = broken(|s, _, _| s.pvs.get_mut(super::super::PvId(0)).claim = None);
        assert!(
            e.contains("claim default/c bound to pv which holds another claim"),
            "{e}"
        );
        let e = broken(|s, _, _| s.pvcs.get_mut(PvcId(0)).volume = None);
        assert!(
            e.contains("volume pv bound to claim default/c which holds another volume"),
            "{e}"
        );
        let e = broken(|s, _, _| s.pvs_by_class.clear());
        assert!(e.contains("1 volumes, 0 listed by class"), "{e}");
        let e = broken(|s, _, _| {
            s.pvs_by_class.insert("gold".into(), vec![PvId(0)]);
            s.pvs_by_class.remove("");
        });
        assert!(e.contains("volume pv listed under class \"gold\""), "{e}");
        let e = broken(|s, _, b| s.pods.get_mut(b).meta.name = "renamed".into());
        assert!(e.contains("pods: name index default/b"), "{e}");
        let e = broken(|s, _, _| {
            let n = s.nodes.get_mut(NodeId(1));
            std::sync::Arc::make_mut(n).meta.uid = Uid::Given("other".into());
        });
        assert!(e.contains("nodes: n2 missing from the uid index"), "{e}");
        let e = broken(|s, _, _| {
            s.pods_by_controller.clear();
        });
        assert!(
            e.contains("1 live pods have a controller, 0 are indexed"),
            "{e}"
        );
        let e = broken(|s, _, b| {
            s.pods_by_controller
                .entry(Uid::Given("job-uid".into()))
                .or_default()
                .push(b);
        });
        assert!(
            e.contains("pod default/b listed under controller job-uid"),
            "{e}"
        );
    }
}
