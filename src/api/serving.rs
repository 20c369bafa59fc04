//! How the pods behind a Service serve the requests it is offered: the queueing model.
//!
//! kube-proxy picks an endpoint at random for each new connection, in equal shares, so a
//! Poisson stream of rate λ over `n` ready endpoints reaches each as a Poisson stream of
//! rate λ/n. Each pod is modelled as an **M/M/1 queue** with service rate μ, its capacity
//! (`capacityPerPod`, or what its CPU limit allows): a request's time in the pod is
//! exponential with rate μ − λ, so its p-quantile is `−ln(1 − p) / (μ − λ)`. A pod offered
//! more than μ serves μ and the rest is unserved (shed or timed out); it answers like a pod
//! at [`SATURATED`] utilization. Pods of different capacities make a mixture of
//! exponentials, whose quantiles are found by bisection. With no capacity known (no
//! `capacityPerPod` and no CPU limit) every request is served and no latency is estimated.

/// The utilization a saturated pod is taken to answer at.
pub const SATURATED: f64 = 0.99;

/// What one group of identical endpoints does with its share of the requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodLoad {
    /// Requests/s offered to each pod.
    pub offered: f64,
    /// Requests/s each pod serves.
    pub served: f64,
    /// Each pod's service rate μ (requests/s), if known.
    pub capacity: Option<f64>,
}

impl PodLoad {
    /// A pod of `capacity` offered `offered` requests/s.
    pub fn new(offered: f64, capacity: Option<f64>) -> PodLoad {
        let served = capacity.map_or(offered, |c| offered.min(c.max(0.0)));
        PodLoad {
            offered,
            served,
            capacity,
        }
    }

    /// The rate of the exponential response time (μ − λ), if a capacity is known and
    /// positive.
    fn response_rate(&self) -> Option<f64> {
        let mu = self.capacity.filter(|&c| c > 0.0)?;
        let rho = (self.served / mu).min(SATURATED);
        Some(mu * (1.0 - rho))
    }
}

/// The `q`-quantile (0 < q < 1) of the response time, in seconds, of requests spread over
/// `groups` (each `(pods, load)`), weighted by what each group serves; `None` when no
/// group has a capacity or nothing is served.
pub fn latency_quantile(groups: &[(u32, PodLoad)], q: f64) -> Option<f64> {
    let parts: Vec<(f64, f64)> = groups
        .iter()
        .filter_map(|(n, l)| Some((f64::from(*n) * l.served, l.response_rate()?)))
        .filter(|&(w, _)| w > 0.0)
        .collect();
    let total: f64 = parts.iter().map(|(w, _)| w).sum();
    if parts.is_empty() || total <= 0.0 {
        return None;
    }
    let tail = |x: f64| parts.iter().map(|(w, r)| w * (-r * x).exp()).sum::<f64>() / total;
    // The quantile lies between those of the fastest and the slowest group.
    let quantile = |r: f64| -(1.0 - q).ln() / r;
    let (mut lo, mut hi) = parts.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &(_, r)| {
        (lo.min(quantile(r)), hi.max(quantile(r)))
    });
    for _ in 0..100 {
        if hi - lo <= 1e-12 * hi.max(1e-9) {
            break;
        }
        let mid = (lo + hi) / 2.0;
        if tail(mid) > 1.0 - q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((lo + hi) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pod_is_an_mm1_queue() {
        // μ = 100, λ = 50: response time ~ Exp(50); median ln 2 / 50, p99 ln 100 / 50.
        let l = PodLoad::new(50.0, Some(100.0));
        let p50 = latency_quantile(&[(1, l)], 0.5).unwrap();
        let p99 = latency_quantile(&[(3, l)], 0.99).unwrap();
        assert!((p50 - 2f64.ln() / 50.0).abs() < 1e-9, "{p50}");
        assert!((p99 - 100f64.ln() / 50.0).abs() < 1e-9, "{p99}");
    }

    #[test]
    fn a_saturated_pod_serves_its_capacity_and_answers_at_99_percent() {
        let l = PodLoad::new(300.0, Some(100.0));
        assert_eq!(l.served, 100.0);
        let p50 = latency_quantile(&[(1, l)], 0.5).unwrap();
        assert!((p50 - 2f64.ln() / 1.0).abs() < 1e-9, "{p50}");
    }

    #[test]
    fn mixtures_lie_between_their_parts_and_unknown_capacity_has_no_latency() {
        let fast = PodLoad::new(10.0, Some(110.0)); // Exp(100)
        let slow = PodLoad::new(10.0, Some(20.0)); // Exp(10)
        let p50 = latency_quantile(&[(1, fast), (1, slow)], 0.5).unwrap();
        // F(x) = 1 - (e^-100x + e^-10x)/2 = 0.5.
        let f = ((-100.0 * p50).exp() + (-10.0 * p50).exp()) / 2.0;
        assert!((f - 0.5).abs() < 1e-9, "{p50} {f}");
        assert_eq!(latency_quantile(&[(2, PodLoad::new(5.0, None))], 0.5), None);
        assert_eq!(
            latency_quantile(&[(2, PodLoad::new(0.0, Some(5.0)))], 0.5),
            None
        );
        assert_eq!(PodLoad::new(7.0, None).served, 7.0);
    }
}
