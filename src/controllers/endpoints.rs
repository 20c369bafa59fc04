//! The EndpointSlice controller (`pkg/controller/endpointslice/`,
//! `staging/src/k8s.io/endpointslice/`): a Service's endpoints are the pods of its namespace
//! its selector matches that have an address (bound, not finished), each `ready` when the
//! pod is Ready and not being deleted, `serving` when Ready, `terminating` when being
//! deleted. Published in the same instant as the pod change (`endpointUpdatesBatchPeriod`
//! 0, the default), at most once per instant per Service.
//!
//! Pods are matched to Services through an index of each Service's first selector pair, so
//! a pod change costs a few lookups, not a pass over every Service.

use crate::component::{Component, Context};
use crate::store::{ArenaId, Change, ChangeKind, Endpoints, PodId, ServiceId, Store, Watch};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointsEvent {
    /// Publish a Service's endpoints.
    Sync(ServiceId),
}

/// The controller.
#[derive(Default)]
pub struct EndpointSliceController {
    /// Services by (namespace, first selector key, its value). Only looked up.
    index: FxHashMap<(String, String, String), Vec<ServiceId>>,
    /// Each Service's pods (by service index).
    members: Vec<BTreeSet<PodId>>,
    /// The Services each pod belongs to (by pod index).
    memberships: Vec<Vec<ServiceId>>,
    queue: super::queue::WorkQueue<ServiceId>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, EndpointsEvent>;

impl Component for EndpointSliceController {
    type Event = EndpointsEvent;

    fn name(&self) -> &str {
        "controllers/endpointslice"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::ServiceCreated,
            ChangeKind::PodCreated,
            ChangeKind::PodBound,
            ChangeKind::PodReady,
            ChangeKind::PodPhase,
            ChangeKind::PodMeta,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::ServiceCreated(svc) => self.service_created(svc, ctx),
            Change::PodCreated(pod)
            | Change::PodBound { pod, .. }
            | Change::PodReady { pod, .. }
            | Change::PodPhase { pod, .. }
            | Change::PodMeta(pod)
            | Change::PodTerminating(pod)
            | Change::PodDeleted(pod) => self.pod_changed(pod, ctx),
            _ => {}
        }
    }

    fn handle(&mut self, event: EndpointsEvent, ctx: Ctx) {
        match event {
            EndpointsEvent::Sync(svc) => {
                self.queue.done(svc);
                let e = endpoints(ctx.store, &self.members[svc.index()]);
                ctx.store.set_endpoints(svc, e);
            }
        }
    }
}

/// The endpoints of these pods.
fn endpoints(store: &Store, pods: &BTreeSet<PodId>) -> Endpoints {
    let mut e = Endpoints::default();
    for &p in pods {
        let s = &store.pod(p).status;
        if s.node.is_none() || s.deleted.is_some() || store.pod(p).phase().is_terminal() {
            continue;
        }
        match (s.ready, s.terminating.is_some()) {
            (true, false) => e.ready.push(p),
            (true, true) => e.serving_terminating.push(p),
            _ => e.not_ready.push(p),
        }
    }
    e
}

impl EndpointSliceController {
    fn service_created(&mut self, svc: ServiceId, ctx: Ctx) {
        let s = ctx.store.service(svc);
        if self.members.len() <= svc.index() {
            self.members.resize_with(svc.index() + 1, BTreeSet::new);
        }
        let Some((k, v)) = s.selector.iter().next() else {
            return; // no selector: endpoints are managed by hand, which kubesim does not model
        };
        let key = (s.namespace.clone(), k.clone(), v.clone());
        self.index.entry(key).or_default().push(svc);
        let pods: Vec<PodId> = (0..ctx.store.pods().len())
            .map(|i| PodId(i as u32))
            .filter(|&p| {
                let pod = ctx.store.pod(p);
                pod.status.deleted.is_none() && s.selects(&pod.meta.namespace, &pod.meta.labels)
            })
            .collect();
        for p in pods {
            self.pod_changed(p, ctx);
        }
        self.enqueue(svc, ctx);
    }

    /// The Services that select a live pod now.
    fn selecting(&self, pod: PodId, store: &Store) -> Vec<ServiceId> {
        let p = store.pod(pod);
        if p.status.deleted.is_some() {
            return Vec::new();
        }
        let ns = &p.meta.namespace;
        let mut out = Vec::new();
        for (k, v) in p.meta.labels.iter() {
            let key = (ns.clone(), k.clone(), v.clone());
            for &svc in self.index.get(&key).into_iter().flatten() {
                if store.service(svc).selects(ns, &p.meta.labels) {
                    out.push(svc);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn pod_changed(&mut self, pod: PodId, ctx: Ctx) {
        if self.index.is_empty() {
            return;
        }
        let now = self.selecting(pod, ctx.store);
        if self.memberships.len() <= pod.index() {
            self.memberships.resize_with(pod.index() + 1, Vec::new);
        }
        let before = std::mem::replace(&mut self.memberships[pod.index()], now.clone());
        for &svc in &before {
            if !now.contains(&svc) {
                self.members[svc.index()].remove(&pod);
            }
        }
        for &svc in &now {
            self.members[svc.index()].insert(pod);
        }
        for svc in before.into_iter().chain(now) {
            self.enqueue(svc, ctx);
        }
    }

    fn enqueue(&mut self, svc: ServiceId, ctx: Ctx) {
        self.queue.add(svc, EndpointsEvent::Sync(svc), ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::Service;
    use crate::component::Harness;
    use crate::engine::SimTime;
    use std::sync::Arc;

    #[test]
    fn endpoints_follow_binding_readiness_deletion_and_labels() {
        let mut h = Harness::new(EndpointSliceController::default());
        let node = h
            .store
            .add_node(crate::api::testing::node("n1", 4_000, 1 << 34, 110));
        let svc = h.store.add_service(Service {
            name: "web".into(),
            namespace: "default".into(),
            selector: [("app".to_string(), "web".to_string())].into(),
        });
        let mut pod = crate::api::testing::pod("web-1", 100, 0);
        pod.meta.labels = Arc::new([("app".to_string(), "web".to_string())].into());
        let p = h.store.create_pod(pod);
        let mut other = crate::api::testing::pod("db-1", 100, 0);
        other.meta.labels = Arc::new([("app".to_string(), "db".to_string())].into());
        h.store.create_pod(other);
        h.run_until(SimTime::ZERO);
        assert!(
            h.store.endpoints(svc).is_empty(),
            "no address before binding"
        );
        h.store.bind(p, node, SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        assert_eq!(h.store.endpoints(svc).not_ready, [p]);
        h.store.set_ready(p, true, SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        assert_eq!(h.store.endpoints(svc).ready, [p]);
        assert_eq!(h.store.endpoints(svc).slices(), 1);
        h.store.request_deletion(p, SimTime::ZERO);
        h.run_until(SimTime::ZERO);
        assert_eq!(h.store.endpoints(svc).serving_terminating, [p]);
        h.store.edit_pod_meta(p, |l, _| {
            l.insert("app".into(), "debug".into());
        });
        h.run_until(SimTime::ZERO);
        assert!(h.store.endpoints(svc).is_empty(), "no longer selected");
    }
}
