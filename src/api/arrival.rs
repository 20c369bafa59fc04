//! Sources of work arriving over time, as the Simulation's `spec.arrivals` gives them once
//! resolved: streams of Pods or Jobs from a template (with per-pod request draws such as
//! `choice(250m, 500m, 1)` or `uniform(2Gi, 6Gi)`), and trace rows replayed one pod each.
//! Plain data: the loader builds it, the arrival components read it.

use crate::api::meta::ObjectMeta;
use crate::api::pod::{Behaviour, Pod, PodSpec, PodStatus};
use crate::api::quantity::Quantity;
use crate::api::{Distribution, JobSpec, Labels};
use crate::engine::{SimRng, SimTime};
use rand::RngExt;
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
        /// Name (the arrival's `name`, else the file name).
        name: String,
        /// Rows sorted by arrival time.
        rows: Arc<Vec<TraceRow>>,
        /// Spec every trace pod starts from (requests and duration are per row).
        base: Arc<PodSpec>,
    },
}

impl Source {
    /// The name of the random stream the source draws from, and of its component:
    /// `arrivals/<name>` for a stream, `trace/<name>` for a trace.
    pub fn stream_name(&self) -> String {
        match self {
            Source::Stream(a) => format!("arrivals/{}", a.name),
            Source::Trace { name, .. } => format!("trace/{name}"),
        }
    }
}

/// One row of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRow {
    /// Arrival, ms from the start.
    pub arrival_ms: i64,
    /// Run time, ms (`None` when the cell is empty: runs until the end).
    pub duration_ms: Option<i64>,
    /// CPU request, millicores.
    pub cpu_m: i64,
    /// Memory request, bytes.
    pub memory: i64,
    /// Pod name (default `trace-<row>`).
    pub name: Option<String>,
    /// Namespace (default `default`).
    pub namespace: Option<String>,
    /// Priority.
    pub priority: Option<i32>,
    /// Labels.
    pub labels: Labels,
}

impl TraceRow {
    /// The pod this row creates, from a base spec.
    pub fn to_pod(&self, base: &Arc<PodSpec>, n: u64, now: SimTime) -> Pod {
        let mut spec = (**base).clone();
        if let Some(c) = spec.containers.first_mut() {
            c.requests.cpu_m = self.cpu_m;
            c.requests.memory = self.memory;
            c.cpu_request_set = true;
            c.memory_request_set = true;
        }
        spec.behaviour = Behaviour {
            duration: self.duration_ms.map(Distribution::Constant),
            ..spec.behaviour
        };
        if let Some(p) = self.priority {
            spec.priority = p;
        }
        spec.recompute_requests();
        Pod {
            meta: ObjectMeta {
                name: self.name.clone().unwrap_or_else(|| format!("trace-{n}")),
                namespace: self.namespace.clone().unwrap_or_else(|| "default".into()),
                labels: Arc::new(self.labels.clone()),
                ..Default::default()
            },
            spec: Arc::new(spec),
            status: PodStatus {
                created: now,
                ..Default::default()
            },
        }
    }
}

/// A random quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuantityDraw {
    /// Always this.
    Constant(Quantity),
    /// One of these, equally likely.
    Choice(Vec<Quantity>),
    /// Uniform between the two (inclusive), in milli-units.
    Uniform(Quantity, Quantity),
}

impl QuantityDraw {
    /// Parses `2Gi`, `choice(a, b, ...)` or `uniform(low, high)`.
    pub fn parse(s: &str) -> Result<QuantityDraw, String> {
        let t = s.trim();
        let args = |inner: &str| -> Result<Vec<Quantity>, String> {
            inner
                .split(',')
                .map(|a| match Quantity::parse(a.trim()) {
                    Ok(q) if q.milli() < 0 => {
                        Err(format!("must not be negative, got {:?}", a.trim()))
                    }
                    Ok(q) => Ok(q),
                    Err(e) => Err(e.to_string()),
                })
                .collect()
        };
        if let Some(inner) = t.strip_prefix("choice(").and_then(|r| r.strip_suffix(')')) {
            let v = args(inner)?;
            if v.is_empty() {
                return Err("choice() needs at least one quantity".into());
            }
            return Ok(QuantityDraw::Choice(v));
        }
        if let Some(inner) = t.strip_prefix("uniform(").and_then(|r| r.strip_suffix(')')) {
            let v = args(inner)?;
            return match v.as_slice() {
                [lo, hi] if lo <= hi => Ok(QuantityDraw::Uniform(*lo, *hi)),
                [_, _] => Err(format!(
                    "uniform({inner}): the low end is above the high end"
                )),
                _ => Err(format!("uniform({inner}) takes two quantities")),
            };
        }
        match Quantity::parse(t) {
            Ok(q) if q.milli() < 0 => Err(format!("must not be negative, got {t:?}")),
            Ok(q) => Ok(QuantityDraw::Constant(q)),
            Err(e) => Err(format!(
                "{e}; expected a quantity, choice(q1, q2, ...) or uniform(low, high)"
            )),
        }
    }

    /// The largest value it can draw, in milli-units.
    pub fn max_milli(&self) -> i128 {
        match self {
            QuantityDraw::Constant(q) => q.milli(),
            QuantityDraw::Choice(v) => v.iter().map(|q| q.milli()).max().unwrap_or(0),
            QuantityDraw::Uniform(_, hi) => hi.milli(),
        }
    }

    /// Draws one value, in milli-units.
    pub fn sample(&self, rng: &mut SimRng) -> i128 {
        match self {
            QuantityDraw::Constant(q) => q.milli(),
            QuantityDraw::Choice(v) => v[rng.random_range(0..v.len())].milli(),
            QuantityDraw::Uniform(lo, hi) => {
                let (a, b) = (lo.milli() as f64, hi.milli() as f64);
                (a + (b - a) * rng.random::<f64>()).round() as i128
            }
        }
    }
}

impl std::fmt::Display for QuantityDraw {
    /// As written: `2Gi`, `choice(250m, 500m)`, `uniform(2Gi, 6Gi)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuantityDraw::Constant(q) => write!(f, "{q}"),
            QuantityDraw::Choice(v) => {
                let items: Vec<String> = v.iter().map(|q| q.to_string()).collect();
                write!(f, "choice({})", items.join(", "))
            }
            QuantityDraw::Uniform(lo, hi) => write!(f, "uniform({lo}, {hi})"),
        }
    }
}

/// Draws that override the first container's requests of each arriving pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestDraws {
    /// CPU request.
    pub cpu: Option<QuantityDraw>,
    /// Memory request.
    pub memory: Option<QuantityDraw>,
    /// Memory per CPU core (multiplied by the drawn cpu).
    pub memory_per_cpu: Option<QuantityDraw>,
}

impl RequestDraws {
    /// A copy of `spec` with drawn requests (cpu first, then memory, from the same stream).
    pub fn apply(&self, spec: &PodSpec, rng: &mut SimRng) -> PodSpec {
        let mut s = spec.clone();
        let Some(c) = s.containers.first_mut() else {
            return s;
        };
        if let Some(d) = &self.cpu {
            c.requests.cpu_m = d.sample(rng).clamp(0, i64::MAX as i128) as i64;
            c.cpu_request_set = true;
        }
        let mem_milli = match (&self.memory, &self.memory_per_cpu) {
            (Some(d), _) => Some(d.sample(rng)),
            (None, Some(d)) => Some(d.sample(rng) * i128::from(c.requests.cpu_m) / 1000),
            _ => None,
        };
        if let Some(m) = mem_milli {
            // Milli-bytes to bytes, rounding up as a quantity's Value() does.
            c.requests.memory = ((m + 999) / 1000).clamp(0, i64::MAX as i128) as i64;
            c.memory_request_set = true;
        }
        s.recompute_requests();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn parse_table() {
        assert_eq!(
            QuantityDraw::parse("2Gi").unwrap(),
            QuantityDraw::Constant(Quantity::parse("2Gi").unwrap())
        );
        let choice = QuantityDraw::parse("choice(250m, 500m, 1)").unwrap();
        assert!(matches!(choice, QuantityDraw::Choice(v) if v.len() == 3));
        assert!(QuantityDraw::parse("uniform(6Gi, 2Gi)").is_err());
        assert!(QuantityDraw::parse("choice()").is_err());
        assert!(QuantityDraw::parse("lots").is_err());
        // A negative request was silently drawn as 0.
        for bad in ["-1", "choice(1, -500m)", "uniform(-1Gi, 2Gi)"] {
            let e = QuantityDraw::parse(bad).unwrap_err();
            assert!(e.starts_with("must not be negative, got \"-"), "{bad}: {e}");
        }
    }

    #[test]
    fn draws_stay_in_range() {
        let mut rng = RngStreams::new(7).stream("t");
        let u = QuantityDraw::parse("uniform(2Gi, 6Gi)").unwrap();
        let c = QuantityDraw::parse("choice(1, 2)").unwrap();
        for _ in 0..1000 {
            let v = u.sample(&mut rng);
            assert!(((2i128 << 30) * 1000..=(6i128 << 30) * 1000).contains(&v));
            assert!([1000, 2000].contains(&c.sample(&mut rng)));
        }
    }
}
