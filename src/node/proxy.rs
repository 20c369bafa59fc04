//! kube-proxy (`pkg/proxy/`): programs each node's rules from the EndpointSlices, so that a
//! Service's new connections go to its ready endpoints in equal shares (the iptables
//! proxier's `--probability 1/(n-i)` chain; nftables and IPVS round robin share the same
//! way), or, when none is ready, to its serving endpoints being deleted
//! (`CategorizeEndpoints` in `pkg/proxy/topology.go`).
//!
//! Rules follow endpoint changes after `spec.timings.kubeProxySync` (default 1 s, the
//! `minSyncPeriod` of its bounded-frequency runner: changes are coalesced into one sync).
//! One model component stands for the kube-proxy of every node: they watch the same slices.

use crate::api::Distribution;
use crate::component::{Component, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, PodId, ServiceId, Watch};
use std::collections::BTreeSet;
use std::sync::Arc;

/// kube-proxy's one event: a sync of its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxySync;

/// kube-proxy.
pub struct KubeProxy {
    delay: Distribution,
    /// Services whose endpoints changed since the last sync.
    dirty: BTreeSet<ServiceId>,
    pending: bool,
    last_sync: Option<SimTime>,
}

impl KubeProxy {
    /// kube-proxy, its rules following endpoint changes after `delay`.
    pub fn new(delay: Distribution) -> Self {
        KubeProxy {
            delay,
            dirty: BTreeSet::new(),
            pending: false,
            last_sync: None,
        }
    }
}

/// At most one sync per second (`minSyncPeriod`).
const MIN_SYNC_PERIOD_MS: i64 = 1_000;

impl Component for KubeProxy {
    type Event = ProxySync;

    fn name(&self) -> &str {
        "kube-proxy"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[ChangeKind::Endpoints])
    }

    fn on_change(&mut self, change: &Change, ctx: &mut Context<'_, ProxySync>) {
        let Change::Endpoints(svc) = *change else {
            return;
        };
        self.dirty.insert(svc);
        if !self.pending {
            self.pending = true;
            let delay = self.delay.sample(ctx.rng).max(0);
            let earliest = self
                .last_sync
                .map_or(SimTime::ZERO, |t| t + MIN_SYNC_PERIOD_MS);
            let at = (ctx.now() + delay).max(earliest);
            ctx.at(at, ProxySync);
        }
    }

    fn handle(&mut self, _: ProxySync, ctx: &mut Context<'_, ProxySync>) {
        self.pending = false;
        self.last_sync = Some(ctx.now());
        for svc in std::mem::take(&mut self.dirty) {
            let e = ctx.store.endpoints(svc);
            let pods: Arc<[PodId]> = if e.ready.is_empty() {
                Arc::from(e.serving_terminating.as_slice())
            } else {
                Arc::from(e.ready.as_slice())
            };
            ctx.store.set_proxy_endpoints(svc, pods);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::Service;
    use crate::component::Harness;
    use crate::store::Endpoints;

    #[test]
    fn rules_follow_endpoints_a_second_later_coalesced_with_a_terminating_fallback() {
        let mut h = Harness::new(KubeProxy::new(Distribution::Constant(1_000)));
        let svc = h.store.add_service(Service {
            name: "web".into(),
            namespace: "default".into(),
            selector: [("app".to_string(), "web".to_string())].into(),
        });
        let e = |ready: &[u32], terminating: &[u32]| Endpoints {
            ready: ready.iter().map(|&i| PodId(i)).collect(),
            serving_terminating: terminating.iter().map(|&i| PodId(i)).collect(),
            not_ready: vec![],
        };
        h.store.set_endpoints(svc, e(&[1, 2], &[]));
        h.run_until(SimTime(500));
        assert!(h.store.proxy_endpoints(svc).is_empty(), "not yet");
        h.store.set_endpoints(svc, e(&[1, 2, 3], &[]));
        h.run_until(SimTime(1_000));
        assert_eq!(
            &**h.store.proxy_endpoints(svc),
            [PodId(1), PodId(2), PodId(3)]
        );
        // Nothing ready: the terminating pods that still serve take the traffic.
        h.store.set_endpoints(svc, e(&[], &[3]));
        h.run_until(SimTime(1_500));
        assert_eq!(
            h.store.proxy_endpoints(svc).len(),
            3,
            "at most one sync a second"
        );
        h.run_until(SimTime(2_500));
        assert_eq!(&**h.store.proxy_endpoints(svc), [PodId(3)]);
    }
}
