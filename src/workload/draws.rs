//! Per-pod random resource requests for arrival streams: `choice(250m, 500m, 1)`,
//! `uniform(2Gi, 6Gi)` or a constant quantity.

use crate::api::pod::PodSpec;
use crate::api::quantity::Quantity;
use crate::engine::SimRng;
use rand::RngExt;

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
                .map(|a| Quantity::parse(a.trim()).map_err(|e| e.to_string()))
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
        Quantity::parse(t).map(QuantityDraw::Constant).map_err(|e| {
            format!("{e}; expected a quantity, choice(q1, q2, ...) or uniform(low, high)")
        })
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
        assert!(
            matches!(QuantityDraw::parse("choice(250m, 500m, 1)").unwrap(), QuantityDraw::Choice(v) if v.len() == 3)
        );
        assert!(QuantityDraw::parse("uniform(6Gi, 2Gi)").is_err());
        assert!(QuantityDraw::parse("choice()").is_err());
        assert!(QuantityDraw::parse("lots").is_err());
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
