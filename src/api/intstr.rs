//! `IntOrString` fields that hold a count or a percentage (`maxSurge`, `maxUnavailable`,
//! `minAvailable`), scaled as upstream's `GetScaledValueFromIntOrPercent`
//! (`staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go`).

/// A count or a percentage of a total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    /// An absolute number.
    Int(i64),
    /// A percentage (0-100) of the total.
    Percent(i64),
}

impl IntOrPercent {
    /// The number for `total`, percentages rounded up (disruption budgets, DaemonSets,
    /// a Deployment's `maxSurge`).
    pub fn scaled(self, total: i64) -> i64 {
        self.scaled_rounding(total, true)
    }

    /// The number for `total`, percentages rounded up or down (a Deployment's
    /// `maxUnavailable` rounds down).
    pub fn scaled_rounding(self, total: i64, up: bool) -> i64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) if up => (p * total + 99).div_euclid(100),
            IntOrPercent::Percent(p) => (p * total).div_euclid(100),
        }
    }
}

impl std::fmt::Display for IntOrPercent {
    /// `3` or `25%`, as written.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IntOrPercent::*;

    #[test]
    fn percentages_round_as_asked() {
        assert_eq!(Percent(25).scaled(10), 3);
        assert_eq!(Percent(25).scaled_rounding(10, false), 2);
        assert_eq!(Percent(0).scaled(10), 0);
        assert_eq!(Percent(100).scaled_rounding(7, false), 7);
        assert_eq!(Int(4).scaled_rounding(10, false), 4);
        assert_eq!(Percent(25).to_string(), "25%");
    }
}
