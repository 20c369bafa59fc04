//! Traffic (`spec.traffic`): the request rate the outside world sends a Service or a
//! workload over time, and what each request costs a pod.
//!
//! A rate is a sum of patterns (constant, steps, ramp, diurnal, spikes, a series), never
//! below zero, times an optional multiplicative noise. The noise is piecewise constant over
//! fixed intervals, and the factor of interval `k` is read from the entry's own random stream
//! at position `k` (ChaCha is seekable), so the rate is a pure function of time: it can be
//! evaluated at any instant, in any order, as often as needed, and always gives the same
//! number. Nothing here runs per request.

use crate::engine::SimRng;
use rand_chacha::rand_core::Rng;
use std::f64::consts::TAU;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI64, AtomicU64};

/// What a traffic entry sends requests to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    /// A Service: kube-proxy splits the requests over its ready endpoints.
    Service,
    /// A Deployment's ready pods (as if behind a Service selecting them).
    Deployment,
    /// A StatefulSet's ready pods.
    StatefulSet,
}

impl TargetKind {
    /// The lower-case kind, as written in `target:`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Service => "service",
            TargetKind::Deployment => "deployment",
            TargetKind::StatefulSet => "statefulset",
        }
    }
}

/// `target: KIND/[NAMESPACE/]NAME`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrafficTarget {
    /// Its kind.
    pub kind: TargetKind,
    /// Its namespace (`default` when not written).
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl std::fmt::Display for TrafficTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.kind.as_str(), self.namespace, self.name)
    }
}

/// One short burst of extra requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// When it starts (ms).
    pub at_ms: i64,
    /// How long it lasts (ms).
    pub for_ms: i64,
    /// Requests per second it adds.
    pub rps: f64,
}

/// One pattern of a rate; an entry's patterns add up.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// The same rate throughout.
    Constant(f64),
    /// From each time on, the rate given with it (0 before the first).
    Steps(Vec<(i64, f64)>),
    /// `from` until `start`, linearly to `to` at `end`, `to` after.
    Ramp {
        /// Rate until `start_ms`.
        from: f64,
        /// Rate from `end_ms`.
        to: f64,
        /// Start of the ramp (ms).
        start_ms: i64,
        /// End of the ramp (ms, after the start).
        end_ms: i64,
    },
    /// `mean + amplitude × cos(2π (t − peak) / period)`: highest at `peak`, lowest half a
    /// period later.
    Diurnal {
        /// The mean rate.
        mean: f64,
        /// Half the swing between peak and trough.
        amplitude: f64,
        /// The period (ms).
        period_ms: i64,
        /// A time of the peak (ms).
        peak_ms: i64,
    },
    /// Extra requests during each spike.
    Spikes(Vec<Spike>),
    /// A measured series `(time ms, rps)`, linearly interpolated; the first value before its
    /// start and the last after its end.
    Series(Vec<(i64, f64)>),
}

impl Pattern {
    /// The pattern's rate at `t_ms`.
    pub fn at(&self, t_ms: i64) -> f64 {
        match self {
            Pattern::Constant(r) => *r,
            Pattern::Steps(steps) => {
                let i = steps.partition_point(|&(at, _)| at <= t_ms);
                if i == 0 { 0.0 } else { steps[i - 1].1 }
            }
            Pattern::Ramp {
                from,
                to,
                start_ms,
                end_ms,
            } => {
                if t_ms <= *start_ms {
                    *from
                } else if t_ms >= *end_ms {
                    *to
                } else {
                    let f = (t_ms - start_ms) as f64 / (end_ms - start_ms) as f64;
                    from + (to - from) * f
                }
            }
            Pattern::Diurnal {
                mean,
                amplitude,
                period_ms,
                peak_ms,
            } => {
                let phase = (t_ms - peak_ms).rem_euclid(*period_ms) as f64 / *period_ms as f64;
                mean + amplitude * (TAU * phase).cos()
            }
            Pattern::Spikes(spikes) => spikes
                .iter()
                .filter(|s| s.at_ms <= t_ms && t_ms < s.at_ms + s.for_ms)
                .map(|s| s.rps)
                .sum(),
            Pattern::Series(points) => interpolate(points, t_ms),
        }
    }
}

/// Linear interpolation in `(time, value)` points sorted by time.
fn interpolate(points: &[(i64, f64)], t_ms: i64) -> f64 {
    let i = points.partition_point(|&(at, _)| at <= t_ms);
    match (i.checked_sub(1).map(|j| points[j]), points.get(i)) {
        (None, Some(&(_, v))) => v,
        (Some((_, v)), None) => v,
        (Some((t0, v0)), Some(&(t1, v1))) => v0 + (v1 - v0) * (t_ms - t0) as f64 / (t1 - t0) as f64,
        (None, None) => 0.0,
    }
}

/// Multiplicative noise: the rate times `max(0, 1 + stddev × Z)`, `Z` standard normal and
/// drawn anew every `every_ms`.
#[derive(Clone, Debug)]
pub struct Noise {
    /// Relative standard deviation (0.1 is ±10 %).
    pub stddev: f64,
    /// How long one factor holds (ms).
    pub every_ms: i64,
    /// The entry's stream (`traffic/<target>`), set when the world is built.
    pub stream: Option<SimRng>,
    /// The last factor drawn (a factor holds over many reads).
    pub last: Memo,
}

/// The last noise factor drawn, by interval. Atomics only so that `Noise` stays `Sync`: a
/// world reads its own copy, from one thread.
#[derive(Debug)]
pub struct Memo {
    interval: AtomicI64,
    factor: AtomicU64,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            interval: AtomicI64::new(i64::MIN),
            factor: AtomicU64::new(0),
        }
    }
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo {
            interval: AtomicI64::new(self.interval.load(Relaxed)),
            factor: AtomicU64::new(self.factor.load(Relaxed)),
        }
    }
}

impl PartialEq for Noise {
    fn eq(&self, other: &Noise) -> bool {
        self.stddev == other.stddev && self.every_ms == other.every_ms
    }
}

/// Words of the stream each interval reads (two u64 for one Box–Muller pair).
const WORDS_PER_INTERVAL: u128 = 4;

impl Noise {
    /// The factor at `t_ms` (1 without a stream).
    pub fn factor(&self, t_ms: i64) -> f64 {
        let Some(stream) = &self.stream else {
            return 1.0;
        };
        let k = t_ms.div_euclid(self.every_ms.max(1));
        if self.last.interval.load(Relaxed) == k {
            return f64::from_bits(self.last.factor.load(Relaxed));
        }
        let mut rng = stream.clone();
        // Intervals before 0 (a snapshot's past) fold onto positive positions.
        let position = (k.unsigned_abs() as u128) * 2 + u128::from(k < 0);
        rng.set_word_pos(position * WORDS_PER_INTERVAL);
        let u1 = unit(rng.next_u64());
        let u2 = unit(rng.next_u64());
        let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (TAU * u2).cos();
        let f = (1.0 + self.stddev * z).max(0.0);
        // Factor first: the interval marks it valid.
        self.last.factor.store(f.to_bits(), Relaxed);
        self.last.interval.store(k, Relaxed);
        f
    }
}

/// A uniform number in [0, 1) from 53 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// CPU (millicores) and memory (bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    /// CPU, millicores.
    pub cpu_m: f64,
    /// Memory, bytes.
    pub memory: f64,
}

/// One `spec.traffic` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    /// Where the requests go; `None` for a series only External metrics read.
    pub target: Option<TrafficTarget>,
    /// The name External metrics read it by (`name:`), if any.
    pub name: Option<String>,
    /// The patterns, added up.
    pub rps: Vec<Pattern>,
    /// Optional noise.
    pub noise: Option<Noise>,
    /// `perRequest`: usage per request/s a pod serves.
    pub per_request: Cost,
    /// `perPod`: usage of each running pod of the target, idle.
    pub per_pod: Cost,
    /// `capacityPerPod`: requests/s one pod serves at most (else its CPU limit decides).
    pub capacity_per_pod: Option<f64>,
}

impl Traffic {
    /// Requests per second offered at `t_ms`.
    pub fn rate(&self, t_ms: i64) -> f64 {
        let factor = self.noise.as_ref().map_or(1.0, |n| n.factor(t_ms));
        self.base(t_ms) * factor
    }

    /// The patterns' sum at `t_ms`, never below zero (before noise).
    fn base(&self, t_ms: i64) -> f64 {
        self.rps.iter().map(|p| p.at(t_ms)).sum::<f64>().max(0.0)
    }

    /// The mean rate over `(from_ms, to_ms]`: about what a counter read at both ends would
    /// say. Midpoints of segments five seconds long at most (exact for linear stretches; a
    /// step at either end of the window weighs nothing, as it should).
    pub fn mean_rate(&self, from_ms: i64, to_ms: i64) -> f64 {
        if to_ms <= from_ms {
            return self.rate(to_ms);
        }
        let steps = ((to_ms - from_ms) / 5_000).clamp(1, 64);
        let dt = (to_ms - from_ms) as f64 / steps as f64;
        let sum: f64 = (0..steps)
            .map(|i| self.rate(from_ms + ((i as f64 + 0.5) * dt).round() as i64))
            .sum();
        sum / steps as f64
    }

    /// The stream name of the entry's noise: `traffic/<kind>/<ns>/<name>`, or
    /// `traffic/<name>` for a named series without a target.
    pub fn stream_name(&self) -> String {
        match (&self.target, &self.name) {
            (Some(t), _) => format!("traffic/{t}"),
            (None, Some(n)) => format!("traffic/{n}"),
            (None, None) => "traffic".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn traffic(rps: Vec<Pattern>) -> Traffic {
        Traffic {
            target: None,
            name: Some("t".into()),
            rps,
            noise: None,
            per_request: Cost::default(),
            per_pod: Cost::default(),
            capacity_per_pod: None,
        }
    }

    #[test]
    fn each_pattern_at_its_edges() {
        let steps = Pattern::Steps(vec![(0, 100.0), (600_000, 600.0), (2_400_000, 150.0)]);
        assert_eq!(steps.at(-1), 0.0);
        assert_eq!(steps.at(0), 100.0);
        assert_eq!(steps.at(599_999), 100.0);
        assert_eq!(steps.at(600_000), 600.0);
        assert_eq!(steps.at(9_999_999), 150.0);
        let ramp = Pattern::Ramp {
            from: 10.0,
            to: 110.0,
            start_ms: 1_000,
            end_ms: 11_000,
        };
        assert_eq!(
            (ramp.at(0), ramp.at(6_000), ramp.at(20_000)),
            (10.0, 60.0, 110.0)
        );
        let day = Pattern::Diurnal {
            mean: 100.0,
            amplitude: 50.0,
            period_ms: 86_400_000,
            peak_ms: 14 * 3_600_000,
        };
        assert!((day.at(14 * 3_600_000) - 150.0).abs() < 1e-9);
        assert!(
            (day.at(2 * 3_600_000) - 50.0).abs() < 1e-9,
            "trough half a period away"
        );
        assert!((day.at(8 * 3_600_000) - 100.0).abs() < 1e-9);
        let spikes = Pattern::Spikes(vec![Spike {
            at_ms: 1_000,
            for_ms: 500,
            rps: 7.0,
        }]);
        assert_eq!(
            (spikes.at(999), spikes.at(1_000), spikes.at(1_500)),
            (0.0, 7.0, 0.0)
        );
        let series = Pattern::Series(vec![(0, 10.0), (10_000, 20.0)]);
        assert_eq!(
            (series.at(-5), series.at(5_000), series.at(60_000)),
            (10.0, 15.0, 20.0)
        );
    }

    #[test]
    fn patterns_add_up_and_never_go_negative() {
        let t = traffic(vec![
            Pattern::Constant(100.0),
            Pattern::Steps(vec![(1_000, -300.0)]),
        ]);
        assert_eq!(t.rate(0), 100.0);
        assert_eq!(t.rate(1_000), 0.0);
        let mean = traffic(vec![Pattern::Ramp {
            from: 0.0,
            to: 100.0,
            start_ms: 0,
            end_ms: 10_000,
        }])
        .mean_rate(0, 10_000);
        assert!((mean - 50.0).abs() < 1e-9, "{mean}");
    }

    #[test]
    fn noise_is_a_pure_function_of_time_from_its_own_stream() {
        let stream = RngStreams::new(7).stream("traffic/service/default/web");
        let noise = Noise {
            stddev: 0.2,
            every_ms: 15_000,
            stream: Some(stream),
            last: Memo::default(),
        };
        let mut t = traffic(vec![Pattern::Constant(100.0)]);
        t.noise = Some(noise);
        let later = t.rate(3_600_000);
        let first = t.rate(0);
        assert_eq!(t.rate(0), first, "evaluating again gives the same");
        assert_eq!(t.rate(14_999), first, "one factor per interval");
        assert_eq!(t.rate(3_600_000), later);
        // Over many intervals the factor averages 1 with the given spread.
        let xs: Vec<f64> = (0..4_000).map(|k| t.rate(k * 15_000) / 100.0).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!((mean - 1.0).abs() < 0.02, "{mean}");
        assert!((var.sqrt() - 0.2).abs() < 0.02, "{}", var.sqrt());
        assert!(xs.iter().all(|&x| x >= 0.0));
    }
}
