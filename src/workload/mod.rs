//! The outside world submitting work: streams of pods or Jobs from a template, and recorded
//! traces replayed row by row.

mod draws;
mod trace;

pub use draws::{QuantityDraw, RequestDraws};
pub use trace::{TraceRow, read_csv_trace};

use crate::api::meta::ObjectMeta;
use crate::api::pod::{Pod, PodSpec, PodStatus};
use crate::api::{Distribution, JobSpec};
use crate::engine::{Outbox, RngStreams, SimRng, SimTime};
use crate::store::Store;
use std::sync::Arc;

/// What each arrival creates.
#[derive(Clone, Debug)]
pub enum ArrivalTemplate {
    /// A pod (named `<name>-<n>`).
    Pod {
        /// Metadata stamped on each pod (name is the prefix).
        meta: ObjectMeta,
        /// Spec shared by the pods unless requests are drawn per pod.
        spec: Arc<PodSpec>,
    },
    /// A Job (named `<name>-<n>`).
    Job {
        /// Metadata of each Job.
        meta: ObjectMeta,
        /// Its spec.
        spec: JobSpec,
    },
}

/// One stream of arrivals.
#[derive(Clone, Debug)]
pub struct ArrivalStream {
    /// Stream name (names its random stream).
    pub name: String,
    /// What arrives.
    pub template: ArrivalTemplate,
    /// How many.
    pub count: u64,
    /// Inter-arrival time.
    pub every: Distribution,
    /// When the first arrives.
    pub start: SimTime,
    /// Per-pod request draws (pods only).
    pub requests: Option<RequestDraws>,
}

/// A source of work.
#[derive(Clone, Debug)]
pub enum Source {
    /// A templated stream.
    Stream(Box<ArrivalStream>),
    /// A recorded trace.
    Trace {
        /// Name (the file name).
        name: String,
        /// Rows sorted by arrival time.
        rows: Arc<Vec<TraceRow>>,
        /// Spec every trace pod starts from (requests and duration are per row).
        base: Arc<PodSpec>,
    },
}

/// The arrivals component's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrivalEvent {
    /// The next arrival of source `i`.
    Next(usize),
}

struct SourceState {
    rng: SimRng,
    emitted: u64,
}

/// Turns sources into objects in the store over time.
pub struct Arrivals {
    sources: Vec<Source>,
    state: Vec<SourceState>,
}

impl Arrivals {
    /// Arrivals for these sources, each with its own random stream.
    pub fn new(sources: Vec<Source>, streams: &RngStreams) -> Self {
        let state = sources
            .iter()
            .map(|s| {
                let name = match s {
                    Source::Stream(a) => format!("arrivals/{}", a.name),
                    Source::Trace { name, .. } => format!("trace/{name}"),
                };
                SourceState {
                    rng: streams.stream(&name),
                    emitted: 0,
                }
            })
            .collect();
        Arrivals { sources, state }
    }

    /// Objects still to be created: stream arrivals and trace rows not yet emitted.
    pub fn remaining(&self) -> u64 {
        self.sources
            .iter()
            .zip(&self.state)
            .map(|(s, st)| {
                let total = match s {
                    Source::Stream(a) => a.count,
                    Source::Trace { rows, .. } => rows.len() as u64,
                };
                total.saturating_sub(st.emitted)
            })
            .sum()
    }

    /// Schedules the first arrival of every source.
    pub fn start(&mut self, out: &mut Outbox<ArrivalEvent>) {
        for (i, s) in self.sources.iter().enumerate() {
            match s {
                Source::Stream(a) if a.count > 0 => out.at(a.start, ArrivalEvent::Next(i)),
                Source::Trace { rows, .. } if !rows.is_empty() => {
                    out.at(SimTime(rows[0].arrival_ms), ArrivalEvent::Next(i))
                }
                _ => {}
            }
        }
    }

    /// Creates the next object of a source and schedules the one after.
    pub fn handle(
        &mut self,
        event: ArrivalEvent,
        store: &mut Store,
        out: &mut Outbox<ArrivalEvent>,
    ) {
        let ArrivalEvent::Next(i) = event;
        let now = out.now();
        let st = &mut self.state[i];
        st.emitted += 1;
        let n = st.emitted;
        match &self.sources[i] {
            Source::Stream(a) => {
                match &a.template {
                    ArrivalTemplate::Pod { meta, spec } => {
                        let spec = match &a.requests {
                            Some(d) => Arc::new(d.apply(spec, &mut st.rng)),
                            None => spec.clone(),
                        };
                        let name = unique_name(store, &meta.namespace, &meta.name, n);
                        let pod = Pod {
                            meta: ObjectMeta {
                                name,
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
                        let name = format!("{}-{n}", meta.name);
                        store.create_job(
                            ObjectMeta {
                                name,
                                ..meta.clone()
                            },
                            spec.clone(),
                            now,
                        );
                    }
                }
                if n < a.count {
                    let gap = a.every.sample(&mut st.rng);
                    out.after(gap, ArrivalEvent::Next(i));
                }
            }
            Source::Trace { rows, base, .. } => {
                let row = &rows[(n - 1) as usize];
                let pod = row.to_pod(base, n, now);
                // The row's name (or `trace-<row>`) when it is free; else `<name>-<row>`.
                let name = if !store.pod_exists(&pod.meta.namespace, &pod.meta.name) {
                    pod.meta.name.clone()
                } else {
                    unique_name(store, &pod.meta.namespace, &pod.meta.name, n)
                };
                store.create_pod(Pod {
                    meta: ObjectMeta { name, ..pod.meta },
                    ..pod
                });
                if let Some(next) = rows.get(n as usize) {
                    out.at(SimTime(next.arrival_ms).max(now), ArrivalEvent::Next(i));
                }
            }
        }
    }
}

/// `prefix-n`, or `prefix-n-k` when that name is taken.
fn unique_name(store: &Store, namespace: &str, prefix: &str, n: u64) -> String {
    let mut digits = itoa::Buffer::new();
    let mut name = [prefix, "-", digits.format(n)].concat();
    let mut k = 1;
    while store.pod_exists(namespace, &name) {
        k += 1;
        name = format!("{prefix}-{n}-{k}");
    }
    name
}
