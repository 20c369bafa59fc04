//! The PersistentVolume controller, for claims of Immediate classes: it binds each new claim
//! to the smallest available volume that matches it (ties by name), or has the class's
//! provisioner create one (`pkg/controller/volume/persistentvolume/pv_controller.go`,
//! `syncUnboundClaim`). Claims of WaitForFirstConsumer classes wait for the scheduler.
//!
//! Everything happens the instant the claim is created; volumes created later are not matched
//! against claims still pending.

use crate::api::event::EventType;
use crate::api::meta::ObjectMeta;
use crate::api::volume::{VolumeBindingMode, provisioned_immediately, smallest_matching};
use crate::component::{Component, Context};
use crate::store::{Change, ChangeKind, PvcId, Watch};

/// Event message for a claim that waits for its first pod.
pub const MSG_WAIT_FOR_FIRST_CONSUMER: &str =
    "waiting for first consumer to be created before binding";
/// Event message for a claim with no class and no matching volume.
pub const MSG_NO_VOLUME_NO_CLASS: &str =
    "no persistent volumes available for this claim and no storage class is set";

/// The controller (it keeps no state: the store has it all).
#[derive(Debug, Default)]
pub struct VolumeController;

impl Component for VolumeController {
    /// It acts only on changes.
    type Event = ();

    fn name(&self) -> &str {
        "controllers/persistentvolume"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[ChangeKind::PvcCreated])
    }

    /// A new claim is bound, provisioned or left waiting.
    fn on_change(&mut self, change: &Change, ctx: &mut Context<'_, ()>) {
        if let Change::PvcCreated(id) = *change {
            sync_unbound_claim(id, ctx);
        }
    }

    fn handle(&mut self, _: (), _: &mut Context<'_, ()>) {}
}

fn sync_unbound_claim(id: PvcId, ctx: &mut Context<'_, ()>) {
    let store = &mut *ctx.store;
    let claim = store.pvc(id);
    if claim.volume.is_some() {
        return;
    }
    let object = claim.object();
    let spec = claim.spec.clone();
    if let Some(name) = &spec.volume_name {
        // Pre-bound by the user: take that volume if it is free and fits.
        if let Some(pv) = store.pv_id(name)
            && store.pv(pv).claim.is_none()
            && spec.accepts(&store.pv(pv).spec)
        {
            store.bind_claim(id, pv);
        }
        return;
    }
    let class = store.storage_class(&spec.storage_class).cloned();
    if class
        .as_ref()
        .is_some_and(|c| c.binding_mode == VolumeBindingMode::WaitForFirstConsumer)
    {
        let msg = MSG_WAIT_FOR_FIRST_CONSUMER.to_string();
        ctx.record(EventType::Normal, "WaitForFirstConsumer", object, msg);
        return;
    }
    let candidates = store
        .pvs_of_class(&spec.storage_class)
        .iter()
        .map(|&pv| (pv, store.pv(pv).meta.name.as_str(), &store.pv(pv).spec));
    let found = smallest_matching(candidates, |&pv, s| {
        store.pv(pv).claim.is_none() && spec.accepts(s)
    });
    if let Some(pv) = found {
        store.bind_claim(id, pv);
        return;
    }
    match class {
        None if spec.storage_class.is_empty() => {
            let msg = MSG_NO_VOLUME_NO_CLASS.to_string();
            ctx.record(EventType::Normal, "FailedBinding", object, msg);
        }
        Some(c) if c.can_provision() => {
            let claim = store.pvc(id);
            let base = format!("pvc-{}-{}", claim.meta.namespace, claim.meta.name);
            let name = store.free_pv_name(&base);
            let meta = ObjectMeta {
                name: name.clone(),
                ..ObjectMeta::default()
            };
            let pv = store.create_pv(meta, provisioned_immediately(&spec, &c));
            store.bind_claim(id, pv);
            let msg = format!("Successfully provisioned volume {name}");
            ctx.record(EventType::Normal, "ProvisioningSucceeded", object, msg);
        }
        // A class that cannot provision, or a class that does not exist: the claim stays
        // Pending (upstream waits for an administrator to create a volume).
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::volume::{
        AccessModes, PersistentVolumeClaimSpec, PersistentVolumeSpec, StorageClass,
    };
    use crate::component::Harness;

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            ..ObjectMeta::default()
        }
    }

    fn claim(class: &str, request: i64, volume: Option<&str>) -> PersistentVolumeClaimSpec {
        PersistentVolumeClaimSpec {
            storage_class: class.into(),
            request,
            access_modes: AccessModes::READ_WRITE_ONCE,
            volume_name: volume.map(String::from),
        }
    }

    fn pv(class: &str, capacity: i64) -> PersistentVolumeSpec {
        PersistentVolumeSpec {
            capacity,
            access_modes: AccessModes::READ_WRITE_ONCE,
            storage_class: class.into(),
            node_affinity: None,
        }
    }

    fn class(name: &str, mode: VolumeBindingMode, provisioner: &str) -> StorageClass {
        StorageClass {
            name: name.into(),
            provisioner: provisioner.into(),
            binding_mode: mode,
            allowed_topologies: vec![],
            is_default: false,
        }
    }

    fn harness() -> Harness<VolumeController> {
        Harness::new(VolumeController)
    }

    #[test]
    fn immediate_claims_bind_to_the_smallest_fit_by_name_or_wait() {
        let mut h = harness();
        let s = &mut h.store;
        s.create_pv(meta("pv-b"), pv("", 10));
        s.create_pv(meta("pv-a"), pv("", 10));
        s.create_pv(meta("pv-big"), pv("", 100));
        let first = s.create_pvc(meta("first"), claim("", 5, None));
        let second = s.create_pvc(meta("second"), claim("", 5, None));
        let third = s.create_pvc(meta("third"), claim("", 50, None));
        let fourth = s.create_pvc(meta("fourth"), claim("", 50, None));
        h.settle();
        let events = h.events();
        let s = &h.store;
        let name = |c: PvcId| s.pvc(c).volume.map(|v| s.pv(v).meta.name.clone());
        assert_eq!(name(first).as_deref(), Some("pv-a"));
        assert_eq!(name(second).as_deref(), Some("pv-b"));
        assert_eq!(name(third).as_deref(), Some("pv-big"));
        assert_eq!(name(fourth), None);
        assert_eq!(
            events,
            [
                "FailedBinding PersistentVolumeClaim/default/fourth: no persistent volumes available for this claim and no storage class is set"
            ]
        );
    }

    #[test]
    fn classes_wait_provision_or_honour_a_volume_name() {
        let mut h = harness();
        let s = &mut h.store;
        s.add_storage_class(class(
            "wffc",
            VolumeBindingMode::WaitForFirstConsumer,
            "csi",
        ));
        s.add_storage_class(class("std", VolumeBindingMode::Immediate, "csi"));
        s.create_pv(meta("reserved"), pv("", 10));
        s.create_pv(meta("small"), pv("", 1));
        let later = s.create_pvc(meta("later"), claim("wffc", 5, None));
        let now = s.create_pvc(meta("now"), claim("std", 5, None));
        let named = s.create_pvc(meta("named"), claim("", 5, Some("reserved")));
        let too_big = s.create_pvc(meta("too-big"), claim("", 5, Some("small")));
        h.settle();
        let events = h.events();
        let s = &h.store;
        assert!(s.pvc(later).volume.is_none());
        let provisioned = s.pvc(now).volume.expect("provisioned");
        assert_eq!(s.pv(provisioned).meta.name, "pvc-default-now");
        assert_eq!(s.pv(provisioned).spec.capacity, 5);
        assert_eq!(s.pvc(named).volume, s.pv_id("reserved"));
        assert!(s.pvc(too_big).volume.is_none());
        assert_eq!(
            events,
            [
                "WaitForFirstConsumer PersistentVolumeClaim/default/later: waiting for first consumer to be created before binding",
                "ProvisioningSucceeded PersistentVolumeClaim/default/now: Successfully provisioned volume pvc-default-now",
            ]
        );
    }
}
