//! Random durations for workload models (`exponential(5m)`, `uniform(1m, 3m)`, ...).
//!
//! This is a kubesim extension with no Kubernetes counterpart; its duration
//! arguments use Go duration syntax (Go's `src/time/format.go`, as used by
//! `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/duration.go`), parsed by
//! [`super::duration::parse_duration_ms`]. Sampling uses `rand_distr`.

use std::fmt;

use rand::RngExt;
use rand_distr::Distribution as _;

use super::duration::{format_duration_ms, parse_duration_ms};

/// A distribution of durations in milliseconds, written as `5m` (constant), `exponential(5m)` (mean), `uniform(1m, 3m)`, `normal(5m, 30s)` (mean, std dev), `lognormal(5m, 0.5)` (median as a duration, sigma as a plain number).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always the same number of milliseconds.
    Constant(i64),
    /// Exponential with the given mean.
    Exponential {
        /// Mean in ms.
        mean_ms: f64,
    },
    /// Uniform over the integers `low_ms..=high_ms`.
    Uniform {
        /// Smallest value in ms.
        low_ms: i64,
        /// Largest value in ms.
        high_ms: i64,
    },
    /// Normal (clamped at 0 when sampled).
    Normal {
        /// Mean in ms.
        mean_ms: f64,
        /// Standard deviation in ms.
        std_ms: f64,
    },
    /// Log-normal: `median_ms * exp(sigma * Z)` for a standard normal `Z`.
    LogNormal {
        /// Median in ms.
        median_ms: f64,
        /// Standard deviation of the underlying normal.
        sigma: f64,
    },
    /// Weibull with scale (characteristic life) `scale_ms` and shape `shape`, as
    /// reliability engineers write it (eta, beta): shape 1 is exponential, above 1 failures
    /// grow likelier with age, below 1 they come early.
    Weibull {
        /// Scale in ms.
        scale_ms: f64,
        /// Shape.
        shape: f64,
    },
}

/// Error returned when a string is not a valid distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributionError {
    input: String,
    reason: String,
}

impl DistributionError {
    fn new(input: &str, reason: impl Into<String>) -> DistributionError {
        DistributionError {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }

    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why the text was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for DistributionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid distribution {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for DistributionError {}

const EXPECTED: &str = "expected constant, exponential(mean), uniform(low, high), normal(mean, sd), lognormal(median, sigma) or weibull(scale, shape)";

/// Parses a non-negative duration argument named `what`.
fn duration_arg(what: &str, s: &str) -> Result<i64, String> {
    let ms = parse_duration_ms(s).map_err(|e| format!("{what}: {e}"))?;
    if ms < 0 {
        return Err(format!("{what} must not be negative, got {s:?}"));
    }
    Ok(ms)
}

/// Rounds a sample to whole ms, clamping at 0 (NaN becomes 0, +inf saturates).
fn to_ms(x: f64) -> i64 {
    x.round().max(0.0) as i64
}

/// Formats a ms value as a duration; non-integral values fall back to fractional `ms`.
fn fmt_ms(f: &mut fmt::Formatter<'_>, ms: f64) -> fmt::Result {
    if ms.fract() == 0.0 && ms.abs() < 9.0e18 {
        f.write_str(&format_duration_ms(ms as i64))
    } else {
        write!(f, "{ms}ms")
    }
}

impl Distribution {
    /// Parses `5m`, `constant(5m)`, `exponential(5m)`, `uniform(1m, 3m)`, `normal(5m, 30s)` or `lognormal(5m, 0.5)`; parameters must be non-negative and uniform needs low <= high.
    pub fn parse(s: &str) -> Result<Distribution, DistributionError> {
        parse_inner(s.trim()).map_err(|reason| DistributionError::new(s, reason))
    }

    /// Draw a sample in ms: rounded to the nearest ms and clamped at 0. Uniform is inclusive of both ends (integer ms).
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        match *self {
            Distribution::Constant(ms) => ms.max(0),
            Distribution::Exponential { mean_ms } => match rand_distr::Exp::new(1.0 / mean_ms) {
                Ok(d) if mean_ms > 0.0 => to_ms(d.sample(rng)),
                _ => to_ms(mean_ms),
            },
            Distribution::Uniform { low_ms, high_ms } => {
                let (lo, hi) = (low_ms.min(high_ms), low_ms.max(high_ms));
                rng.random_range(lo..=hi).max(0)
            }
            Distribution::Normal { mean_ms, std_ms } => {
                match rand_distr::Normal::new(mean_ms, std_ms) {
                    Ok(d) => to_ms(d.sample(rng)),
                    Err(_) => to_ms(mean_ms),
                }
            }
            Distribution::LogNormal { median_ms, sigma } => {
                match rand_distr::LogNormal::new(median_ms.ln(), sigma) {
                    Ok(d) if median_ms > 0.0 => to_ms(d.sample(rng)),
                    _ => to_ms(median_ms),
                }
            }
            Distribution::Weibull { scale_ms, shape } => {
                match rand_distr::Weibull::new(scale_ms, shape) {
                    Ok(d) if scale_ms > 0.0 => to_ms(d.sample(rng)),
                    _ => to_ms(scale_ms),
                }
            }
        }
    }

    /// The mean in ms of the unclamped distribution (for lognormal, `median * exp(sigma^2 / 2)`).
    pub fn mean_ms(&self) -> f64 {
        match *self {
            Distribution::Constant(ms) => ms as f64,
            Distribution::Exponential { mean_ms } => mean_ms,
            Distribution::Uniform { low_ms, high_ms } => (low_ms as f64 + high_ms as f64) / 2.0,
            Distribution::Normal { mean_ms, .. } => mean_ms,
            Distribution::LogNormal { median_ms, sigma } => median_ms * (sigma * sigma / 2.0).exp(),
            Distribution::Weibull { scale_ms, shape } => scale_ms * gamma(1.0 + 1.0 / shape),
        }
    }
}

fn parse_inner(s: &str) -> Result<Distribution, String> {
    let Some((name, rest)) = s.split_once('(') else {
        return parse_duration_ms(s)
            .map_err(|e| format!("{}; {EXPECTED}", e.reason()))
            .and_then(|ms| {
                if ms < 0 {
                    Err(format!("a constant must not be negative, got {s:?}"))
                } else {
                    Ok(Distribution::Constant(ms))
                }
            });
    };
    let name = name.trim();
    let inner = rest
        .strip_suffix(')')
        .ok_or_else(|| format!("missing closing ')' at the end; {EXPECTED}"))?;
    let args: Vec<&str> = inner.split(',').map(str::trim).collect();
    let want = |n: usize, usage: &str| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("{usage} takes {n} argument(s), got {}", args.len()))
        }
    };
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "constant" => {
            want(1, "constant(duration)")?;
            Ok(Distribution::Constant(duration_arg("constant", arg(0))?))
        }
        "exponential" => {
            want(1, "exponential(mean)")?;
            let mean = duration_arg("exponential mean", arg(0))?;
            Ok(Distribution::Exponential {
                mean_ms: mean as f64,
            })
        }
        "uniform" => {
            want(2, "uniform(low, high)")?;
            let low_ms = duration_arg("uniform low", arg(0))?;
            let high_ms = duration_arg("uniform high", arg(1))?;
            if high_ms < low_ms {
                return Err(format!(
                    "uniform high ({}) must not be less than low ({})",
                    arg(1),
                    arg(0)
                ));
            }
            Ok(Distribution::Uniform { low_ms, high_ms })
        }
        "normal" => {
            want(2, "normal(mean, sd)")?;
            let mean = duration_arg("normal mean", arg(0))?;
            let sd = duration_arg("normal standard deviation", arg(1))?;
            Ok(Distribution::Normal {
                mean_ms: mean as f64,
                std_ms: sd as f64,
            })
        }
        "lognormal" => {
            want(2, "lognormal(median, sigma)")?;
            let median = duration_arg("lognormal median", arg(0))?;
            let sigma: f64 = arg(1).parse().map_err(|_| {
                format!(
                    "lognormal sigma must be a plain number such as 0.5, got {:?}",
                    arg(1)
                )
            })?;
            if !sigma.is_finite() || sigma < 0.0 {
                return Err(format!(
                    "lognormal sigma must be a finite non-negative number, got {:?}",
                    arg(1)
                ));
            }
            Ok(Distribution::LogNormal {
                median_ms: median as f64,
                sigma,
            })
        }
        "weibull" => {
            want(2, "weibull(scale, shape)")?;
            let scale = duration_arg("weibull scale", arg(0))?;
            let shape: f64 = arg(1).parse().map_err(|_| {
                format!(
                    "weibull shape must be a plain number such as 1.5, got {:?}",
                    arg(1)
                )
            })?;
            if !shape.is_finite() || shape <= 0.0 {
                return Err(format!(
                    "weibull shape must be a finite positive number, got {:?}",
                    arg(1)
                ));
            }
            Ok(Distribution::Weibull {
                scale_ms: scale as f64,
                shape,
            })
        }
        _ => Err(format!("unknown distribution {name:?}; {EXPECTED}")),
    }
}

/// The gamma function for `x > 0` (Lanczos, g = 7, nine terms: about 15 digits).
fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

impl fmt::Display for Distribution {
    /// The textual form, which [`Distribution::parse`] reads back (exactly, for values it produced).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Distribution::Constant(ms) => f.write_str(&format_duration_ms(ms)),
            Distribution::Exponential { mean_ms } => {
                f.write_str("exponential(")?;
                fmt_ms(f, mean_ms)?;
                f.write_str(")")
            }
            Distribution::Uniform { low_ms, high_ms } => write!(
                f,
                "uniform({}, {})",
                format_duration_ms(low_ms),
                format_duration_ms(high_ms)
            ),
            Distribution::Normal { mean_ms, std_ms } => {
                f.write_str("normal(")?;
                fmt_ms(f, mean_ms)?;
                f.write_str(", ")?;
                fmt_ms(f, std_ms)?;
                f.write_str(")")
            }
            Distribution::LogNormal { median_ms, sigma } => {
                f.write_str("lognormal(")?;
                fmt_ms(f, median_ms)?;
                write!(f, ", {sigma})")
            }
            Distribution::Weibull { scale_ms, shape } => {
                f.write_str("weibull(")?;
                fmt_ms(f, scale_ms)?;
                write!(f, ", {shape})")
            }
        }
    }
}

struct DistributionVisitor;

impl DistributionVisitor {
    fn bare<E: serde::de::Error>(
        is_zero: bool,
        shown: &dyn fmt::Display,
    ) -> Result<Distribution, E> {
        if is_zero {
            Ok(Distribution::Constant(0))
        } else {
            Err(E::custom(format!(
                "invalid distribution {shown}: a bare number has no unit; expected a duration such as 5m or a distribution such as exponential(5m)"
            )))
        }
    }
}

impl serde::de::Visitor<'_> for DistributionVisitor {
    type Value = Distribution;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration distribution such as 5m or exponential(5m)")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Distribution, E> {
        Distribution::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Distribution, E> {
        Self::bare(v == 0, &v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Distribution, E> {
        Self::bare(v == 0, &v)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Distribution, E> {
        Self::bare(v == 0.0, &v)
    }
}

impl<'de> serde::Deserialize<'de> for Distribution {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Distribution, D::Error> {
        deserializer.deserialize_any(DistributionVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn d(s: &str) -> Distribution {
        match Distribution::parse(s) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn weibull_has_its_textbook_mean() {
        // Γ(1 + 1/1) = 1 (exponential); Γ(1 + 1/2) = √π / 2; Γ(1 + 1/1.5) ≈ 0.902745.
        let mean = |s: &str| d(s).mean_ms();
        assert!((mean("weibull(1h, 1)") - 3_600_000.0).abs() < 1e-6);
        let half = std::f64::consts::PI.sqrt() / 2.0;
        assert!((mean("weibull(1s, 2)") - 1000.0 * half).abs() < 1e-9);
        assert!((mean("weibull(1s, 1.5)") - 902.745_292_950_934).abs() < 1e-6);
        assert_eq!(d("weibull(72h, 1.5)").to_string(), "weibull(72h0m0s, 1.5)");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let w = d("weibull(1h, 1.5)");
        let n = 20_000;
        let avg = (0..n).map(|_| w.sample(&mut rng) as f64).sum::<f64>() / f64::from(n);
        assert!((avg / w.mean_ms() - 1.0).abs() < 0.02, "{avg}");
        for bad in [
            "weibull(1h)",
            "weibull(1h, 0)",
            "weibull(1h, x)",
            "weibull(-1h, 2)",
        ] {
            assert!(Distribution::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_all_forms() {
        assert_eq!(d("5m"), Distribution::Constant(300_000));
        assert_eq!(d(" constant( 5m ) "), Distribution::Constant(300_000));
        assert_eq!(d("0"), Distribution::Constant(0));
        assert_eq!(
            d("exponential(5m)"),
            Distribution::Exponential { mean_ms: 300_000.0 }
        );
        assert_eq!(
            d("uniform(1m, 3m)"),
            Distribution::Uniform {
                low_ms: 60_000,
                high_ms: 180_000
            }
        );
        assert_eq!(
            d("uniform(1m,1m)"),
            Distribution::Uniform {
                low_ms: 60_000,
                high_ms: 60_000
            }
        );
        assert_eq!(
            d("normal(5m, 30s)"),
            Distribution::Normal {
                mean_ms: 300_000.0,
                std_ms: 30_000.0
            }
        );
        assert_eq!(
            d("lognormal(5m, 0.5)"),
            Distribution::LogNormal {
                median_ms: 300_000.0,
                sigma: 0.5
            }
        );
        assert_eq!(
            d("Exponential(1s)"),
            Distribution::Exponential { mean_ms: 1000.0 }
        );
    }

    #[test]
    fn rejects_bad_input() {
        for s in [
            "",
            "5",
            "-5m",
            "poisson(5m)",
            "exponential(-5m)",
            "exponential()",
            "exponential(5m",
            "exponential(5m))",
            "uniform(3m, 1m)",
            "uniform(1m)",
            "normal(5m, -1s)",
            "normal(5m)",
            "lognormal(5m, -0.5)",
            "lognormal(5m, 1s)",
            "lognormal(5m, inf)",
            "lognormal(5m, NaN)",
            "uniform(1m, 2m, 3m)",
            "(5m)",
            "exponential(5m)x",
        ] {
            assert!(Distribution::parse(s).is_err(), "{s:?} should be rejected");
        }
        let e = Distribution::parse("poisson(5m)").unwrap_err().to_string();
        assert!(e.starts_with("invalid distribution \"poisson(5m)\""), "{e}");
        assert!(e.contains(EXPECTED), "{e}");
    }

    #[test]
    fn display_round_trips_and_reads_well() {
        for s in [
            "5m0s",
            "exponential(5m0s)",
            "uniform(1m0s, 3m0s)",
            "normal(5m0s, 30s)",
            "lognormal(5m0s, 0.5)",
            "0s",
            "250ms",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
    }

    #[test]
    fn sampling_is_deterministic() {
        let dist = d("lognormal(5m, 0.5)");
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..100).map(|_| dist.sample(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn exponential_mean_is_close() {
        let dist = d("exponential(5m)");
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let n = 20_000;
        let sum: i64 = (0..n).map(|_| dist.sample(&mut rng)).sum();
        let mean = sum as f64 / f64::from(n);
        let rel = (mean - dist.mean_ms()).abs() / dist.mean_ms();
        assert!(rel < 0.05, "sample mean {mean}");
    }

    #[test]
    fn samples_respect_bounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let u = d("uniform(1s, 3s)");
        let mut seen = (false, false);
        for _ in 0..5000 {
            let v = u.sample(&mut rng);
            assert!((1000..=3000).contains(&v));
            seen.0 |= v == 1000;
            seen.1 |= v == 3000;
        }
        assert_eq!(seen, (true, true));
        let tiny = d("uniform(0s, 1ms)");
        let vals: Vec<i64> = (0..200).map(|_| tiny.sample(&mut rng)).collect();
        assert!(vals.contains(&0) && vals.contains(&1));
        let n = d("normal(1s, 10s)");
        assert!((0..1000).all(|_| n.sample(&mut rng) >= 0));
        assert_eq!(d("7s").sample(&mut rng), 7000);
        assert_eq!(d("exponential(0s)").sample(&mut rng), 0);
        assert_eq!(d("lognormal(0s, 1)").sample(&mut rng), 0);
        assert_eq!(d("normal(2s, 0s)").sample(&mut rng), 2000);
        // Hand-built odd values never panic.
        for odd in [
            Distribution::Constant(-5),
            Distribution::Exponential { mean_ms: f64::NAN },
            Distribution::Exponential { mean_ms: -1.0 },
            Distribution::Uniform {
                low_ms: 5,
                high_ms: -5,
            },
            Distribution::Uniform {
                low_ms: i64::MIN,
                high_ms: i64::MAX,
            },
            Distribution::Normal {
                mean_ms: f64::INFINITY,
                std_ms: f64::NAN,
            },
            Distribution::LogNormal {
                median_ms: 1e300,
                sigma: 1e300,
            },
            Distribution::LogNormal {
                median_ms: -1.0,
                sigma: 1.0,
            },
        ] {
            assert!(odd.sample(&mut rng) >= 0);
            let _ = odd.to_string();
        }
    }

    #[test]
    fn means() {
        assert_eq!(d("5s").mean_ms(), 5000.0);
        assert_eq!(d("uniform(1s, 3s)").mean_ms(), 2000.0);
        assert_eq!(d("normal(4s, 1s)").mean_ms(), 4000.0);
        let ln = d("lognormal(1s, 1)").mean_ms();
        assert!((ln - 1000.0 * 0.5f64.exp()).abs() < 1e-9);
    }

    #[derive(serde::Deserialize, Debug)]
    struct Cfg {
        d: Distribution,
    }

    fn yaml(s: &str) -> Result<Distribution, String> {
        crate::yaml::from_str::<Cfg>(s)
            .map(|c| c.d)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn deserializes() {
        assert_eq!(
            yaml("d: exponential(5m)"),
            Ok(Distribution::Exponential { mean_ms: 300_000.0 })
        );
        assert_eq!(
            yaml("d: \"uniform(1m, 3m)\""),
            Ok(Distribution::Uniform {
                low_ms: 60_000,
                high_ms: 180_000
            })
        );
        assert_eq!(yaml("d: 90s"), Ok(Distribution::Constant(90_000)));
        assert_eq!(yaml("d: 0"), Ok(Distribution::Constant(0)));
        assert!(yaml("d: 5").unwrap_err().contains("bare number"));
        assert!(
            yaml("d: poisson(1s)")
                .unwrap_err()
                .contains("expected constant")
        );
    }

    fn dist_strategy() -> impl Strategy<Value = Distribution> {
        let ms = 0i64..10_000_000_000;
        prop_oneof![
            ms.clone().prop_map(Distribution::Constant),
            ms.clone()
                .prop_map(|m| Distribution::Exponential { mean_ms: m as f64 }),
            (ms.clone(), ms.clone()).prop_map(|(a, b)| Distribution::Uniform {
                low_ms: a.min(b),
                high_ms: a.max(b)
            }),
            (ms.clone(), ms.clone()).prop_map(|(a, b)| Distribution::Normal {
                mean_ms: a as f64,
                std_ms: b as f64
            }),
            (ms, 0.0f64..10.0).prop_map(|(a, s)| Distribution::LogNormal {
                median_ms: a as f64,
                sigma: s
            }),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in ".*") {
            let _ = Distribution::parse(&s);
        }

        #[test]
        fn distribution_like_strings_never_panic(
            s in "(constant|exponential|uniform|normal|lognormal|x)?\\(?[0-9a-z.,() -]{0,20}\\)?"
        ) {
            if let Ok(dist) = Distribution::parse(&s) {
                prop_assert_eq!(Distribution::parse(&dist.to_string()), Ok(dist));
            }
        }

        #[test]
        fn display_round_trips(dist in dist_strategy()) {
            prop_assert_eq!(Distribution::parse(&dist.to_string()), Ok(dist));
        }
    }
}
