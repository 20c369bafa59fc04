//! The outside world submitting work: streams of pods or Jobs from a template, and recorded
//! traces replayed row by row; and the user typing the timeline's kubectl commands.

pub mod faults;
pub mod kubectl;

pub use kubectl::{Kubectl, KubectlEvent};

use crate::api::arrival::{ArrivalTemplate, Source};
use crate::api::meta::{ObjectMeta, Uid};
use crate::api::pod::{Pod, PodStatus};
use crate::component::{Component, ComponentMetrics, Context};
use crate::engine::SimTime;
use crate::store::Watch;
use std::sync::Arc;

/// An arrival source's one event: its next object is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextArrival;

/// One source of work turning into objects in the store over time: a component of its own,
/// drawing from its own random stream (`arrivals/<name>` for a stream, `trace/<file>` for a
/// trace).
pub struct Arrivals {
    source: Source,
    stream: String,
    emitted: u64,
}

impl Arrivals {
    /// The component of one source.
    pub fn new(source: Source) -> Self {
        let stream = source.stream_name();
        Arrivals {
            source,
            stream,
            emitted: 0,
        }
    }

    /// Objects of the source in all.
    fn total(&self) -> u64 {
        match &self.source {
            Source::Stream(a) => a.count,
            Source::Trace { rows, .. } => rows.len() as u64,
        }
    }
}

impl Component for Arrivals {
    type Event = NextArrival;

    fn name(&self) -> &str {
        &self.stream
    }

    fn watches(&self) -> Watch {
        Watch::NONE
    }

    /// Schedules the first arrival.
    fn start(&mut self, ctx: &mut Context<'_, NextArrival>) {
        match &self.source {
            Source::Stream(a) if a.count > 0 => {
                ctx.at(a.start, NextArrival);
            }
            Source::Trace { rows, .. } if !rows.is_empty() => {
                ctx.at(SimTime(rows[0].arrival_ms), NextArrival);
            }
            _ => {}
        }
    }

    /// Creates the next object and schedules the one after.
    fn handle(&mut self, _: NextArrival, ctx: &mut Context<'_, NextArrival>) {
        let now = ctx.now();
        self.emitted += 1;
        let n = self.emitted;
        let store = &mut *ctx.store;
        match &self.source {
            Source::Stream(a) => {
                match &a.template {
                    ArrivalTemplate::Pod { meta, spec } => {
                        let spec = match &a.requests {
                            Some(d) => Arc::new(d.apply(spec, ctx.rng)),
                            None => spec.clone(),
                        };
                        let ns = &meta.namespace;
                        let name = unique_name(&meta.name, n, |x| store.pod_exists(ns, x));
                        let pod = Pod {
                            // Each object gets a uid of its own from the store.
                            meta: ObjectMeta {
                                name,
                                uid: Uid::Unset,
                                ..meta.clone()
                            },
                            spec,
                            status: PodStatus {
                                created: now,
                                ..Default::default()
                            },
                        };
                        store.create_pod(pod);
                    }
                    ArrivalTemplate::Job { meta, spec } => {
                        let ns = &meta.namespace;
                        let name = unique_name(&meta.name, n, |x| store.job_id(ns, x).is_some());
                        store.create_job(
                            ObjectMeta {
                                name,
                                uid: Uid::Unset,
                                ..meta.clone()
                            },
                            spec.clone(),
                            now,
                        );
                    }
                }
                if n < a.count {
                    let gap = a.every.sample(ctx.rng);
                    ctx.after(gap, NextArrival);
                }
            }
            Source::Trace { rows, base, .. } => {
                let row = &rows[(n - 1) as usize];
                let pod = row.to_pod(base, n, now);
                // The row's name (or `trace-<row>`) when it is free; else `<name>-<row>`.
                let name = if !store.pod_exists(&pod.meta.namespace, &pod.meta.name) {
                    pod.meta.name.clone()
                } else {
                    let ns = &pod.meta.namespace;
                    unique_name(&pod.meta.name, n, |x| store.pod_exists(ns, x))
                };
                store.create_pod(Pod {
                    meta: ObjectMeta { name, ..pod.meta },
                    ..pod
                });
                if let Some(next) = rows.get(n as usize) {
                    ctx.at(SimTime(next.arrival_ms).max(now), NextArrival);
                }
            }
        }
    }

    fn export(&self, metrics: &mut ComponentMetrics) {
        metrics.arrivals_remaining += self.total().saturating_sub(self.emitted);
    }
}

/// `prefix-n`, or `prefix-n-k` when that name is taken.
fn unique_name(prefix: &str, n: u64, taken: impl Fn(&str) -> bool) -> String {
    let mut digits = itoa::Buffer::new();
    let mut name = [prefix, "-", digits.format(n)].concat();
    let mut k = 1;
    while taken(&name) {
        k += 1;
        name = format!("{prefix}-{n}-{k}");
    }
    name
}
