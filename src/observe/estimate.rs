//! Means with 95% confidence intervals over replicate runs (Student t).
//!
//! For n values with mean m and sample standard deviation s (divisor n - 1), the interval is
//! m ± t(0.975, n - 1) · s / √n. The critical values for 1 to 30 degrees of freedom are the
//! two-sided 95% column of the usual Student t table (e.g. the NIST/SEMATECH e-Handbook of
//! Statistical Methods, section 1.3.6.7.2), rounded to three decimals; beyond 30 degrees of
//! freedom the normal value 1.96 is used. One value gives a mean without an interval.

/// t(0.975, df) for df = 1..=30 (index df - 1).
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The two-sided 95% critical value of Student's t with `df` degrees of freedom: the table
/// for 1 to 30, 1.96 beyond, `None` for 0.
pub fn t_975(df: usize) -> Option<f64> {
    match df {
        0 => None,
        1..=30 => Some(T_975[df - 1]),
        _ => Some(1.96),
    }
}

/// A sample mean and its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanCi {
    /// Number of values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Half-width of the 95% interval (`None` for a single value).
    pub half_width: Option<f64>,
}

impl MeanCi {
    /// Lower end of the interval.
    pub fn low(&self) -> Option<f64> {
        self.half_width.map(|h| self.mean - h)
    }

    /// Upper end of the interval.
    pub fn high(&self) -> Option<f64> {
        self.half_width.map(|h| self.mean + h)
    }
}

/// Mean and Student-t 95% interval of `values` (summed in the order given, so the result
/// does not depend on how the values were produced); `None` when there are none.
pub fn mean_ci95(values: &[f64]) -> Option<MeanCi> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let half_width = t_975(n - 1).map(|t| {
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        let sd = (ss / (n - 1) as f64).sqrt();
        t * sd / (n as f64).sqrt()
    });
    Some(MeanCi {
        n,
        mean,
        half_width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_table_edges() {
        assert_eq!(t_975(0), None);
        assert_eq!(t_975(1), Some(12.706));
        assert_eq!(t_975(4), Some(2.776));
        assert_eq!(t_975(30), Some(2.042));
        assert_eq!(t_975(31), Some(1.96));
        assert_eq!(t_975(10_000), Some(1.96));
        assert!(T_975.windows(2).all(|w| w[0] > w[1]), "decreasing in df");
    }

    #[test]
    fn interval_of_five_values() {
        // mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776: half-width 2.776 * sqrt(2.5 / 5).
        let ci = mean_ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(ci.n, 5);
        assert_eq!(ci.mean, 3.0);
        let hw = ci.half_width.unwrap();
        assert!((hw - 2.776 * 0.5f64.sqrt()).abs() < 1e-12, "{hw}");
        assert!((ci.low().unwrap() - (3.0 - hw)).abs() < 1e-12);
        assert!((ci.high().unwrap() - (3.0 + hw)).abs() < 1e-12);
    }

    #[test]
    fn one_value_has_no_interval_none_has_no_mean_equal_values_zero_width() {
        let one = mean_ci95(&[7.5]).unwrap();
        assert_eq!((one.n, one.mean, one.half_width), (1, 7.5, None));
        assert_eq!(one.low(), None);
        assert_eq!(mean_ci95(&[]), None);
        assert_eq!(mean_ci95(&[2.0, 2.0, 2.0]).unwrap().half_width, Some(0.0));
    }

    #[test]
    fn two_values_use_df_one() {
        let ci = mean_ci95(&[0.0, 2.0]).unwrap();
        // s = sqrt(2), half-width = 12.706 * sqrt(2) / sqrt(2).
        assert!((ci.half_width.unwrap() - 12.706).abs() < 1e-12);
    }
}
