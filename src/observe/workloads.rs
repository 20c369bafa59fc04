//! The replica series of every workload (`kubectl get deploy,rs,ds,sts`): for each live
//! Deployment, ReplicaSet, DaemonSet and StatefulSet, `replicas_desired`,
//! `replicas_current`, `replicas_ready`, `replicas_available` and `replicas_updated`, from
//! the status its controller wrote (a DaemonSet's count nodes: desired, scheduled, ready,
//! available, updated), and, when asked for, a Deployment's, DaemonSet's and StatefulSet's
//! `availability` (ready / desired, see [`Replicas`]); and each Service's `endpoints_ready`.

use super::{MetricSample, Replicas};
use crate::engine::SimTime;
use crate::store::{ArenaId, ServiceId, Store};
use std::sync::Arc;

/// The names of the workload objects, made once each.
#[derive(Clone, Debug, Default)]
pub struct WorkloadSeries {
    deployments: Vec<Option<Arc<str>>>,
    replica_sets: Vec<Option<Arc<str>>>,
    daemon_sets: Vec<Option<Arc<str>>>,
    stateful_sets: Vec<Option<Arc<str>>>,
    services: Vec<Option<Arc<str>>>,
    /// Also write `availability`.
    availability: bool,
}

/// `KIND/namespace/name`, kept.
fn object(names: &mut Vec<Option<Arc<str>>>, i: usize, make: impl FnOnce() -> String) -> Arc<str> {
    if names.len() <= i {
        names.resize(i + 1, None);
    }
    names[i].get_or_insert_with(|| Arc::from(make())).clone()
}

impl WorkloadSeries {
    /// Also write each Deployment's, DaemonSet's and StatefulSet's `availability`.
    pub fn write_availability(&mut self) {
        self.availability = true;
    }

    /// Appends the rows of every live workload at `time`.
    pub fn rows(&mut self, store: &Store, time: SimTime, rows: &mut Vec<MetricSample>) {
        let availability = self.availability;
        let mut push = |object: Arc<str>, values: [u32; 5], replicas: Option<Replicas>| {
            let names = [
                "replicas_desired",
                "replicas_current",
                "replicas_ready",
                "replicas_available",
                "replicas_updated",
            ];
            for (metric, value) in names.into_iter().zip(values) {
                rows.push(MetricSample {
                    time,
                    metric,
                    object: object.clone(),
                    value: f64::from(value),
                });
            }
            if let Some(r) = replicas.filter(|_| availability) {
                rows.push(MetricSample {
                    time,
                    metric: "availability",
                    object,
                    value: r.availability(),
                });
            }
        };
        for (i, d) in store.deployments().iter().enumerate() {
            if !store.deployment_is_live(crate::store::DeploymentId::from_index(i)) {
                continue;
            }
            let o = object(&mut self.deployments, i, || {
                format!("deployment/{}/{}", d.meta.namespace, d.meta.name)
            });
            let s = &d.status;
            let r = Replicas {
                ready: s.ready,
                desired: d.spec.replicas,
            };
            push(
                o,
                [d.spec.replicas, s.replicas, s.ready, s.available, s.updated],
                Some(r),
            );
        }
        for (id, rs) in store.live_replica_sets() {
            let o = object(&mut self.replica_sets, id.index(), || {
                format!(
                    "{}/{}/{}",
                    rs.spec.kind.series(),
                    rs.meta.namespace,
                    rs.meta.name
                )
            });
            let s = &rs.status;
            push(
                o,
                [
                    rs.spec.replicas,
                    s.replicas,
                    s.ready,
                    s.available,
                    s.replicas,
                ],
                None,
            );
        }
        for (id, ds) in store.live_daemon_sets() {
            let o = object(&mut self.daemon_sets, id.index(), || {
                format!("daemonset/{}/{}", ds.meta.namespace, ds.meta.name)
            });
            let s = &ds.status;
            let r = Replicas {
                ready: s.ready,
                desired: s.desired,
            };
            push(
                o,
                [s.desired, s.current, s.ready, s.available, s.updated],
                Some(r),
            );
        }
        for (id, ss) in store.live_stateful_sets() {
            let o = object(&mut self.stateful_sets, id.index(), || {
                format!("statefulset/{}/{}", ss.meta.namespace, ss.meta.name)
            });
            let s = &ss.status;
            push(
                o,
                [
                    ss.spec.replicas,
                    s.replicas,
                    s.ready,
                    s.available,
                    s.updated,
                ],
                Some(Replicas {
                    ready: s.ready,
                    desired: ss.spec.replicas,
                }),
            );
        }
        for (i, svc) in store.services().iter().enumerate() {
            let o = object(&mut self.services, i, || {
                format!("service/{}/{}", svc.namespace, svc.name)
            });
            let ready = store.endpoints(ServiceId(i as u32)).ready.len();
            rows.push(MetricSample {
                time,
                metric: "endpoints_ready",
                object: o,
                value: ready as f64,
            });
        }
    }
}
