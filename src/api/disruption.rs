//! PodDisruptionBudget (`policy/v1`): how many pods of a set may be disrupted at once.

pub use super::intstr::IntOrPercent;
use super::selector::{LabelSelector, Labels};

/// Exactly one of `min_available` and `max_unavailable` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodDisruptionBudget {
    /// Name.
    pub name: String,
    /// Namespace of the budget and of the pods it covers.
    pub namespace: String,
    /// The covered pods; `None` covers none.
    pub selector: Option<LabelSelector>,
    /// Pods that must stay available.
    pub min_available: Option<IntOrPercent>,
    /// Pods that may be unavailable.
    pub max_unavailable: Option<IntOrPercent>,
}

impl PodDisruptionBudget {
    /// Whether the budget covers a pod of this namespace and labels.
    pub fn covers(&self, namespace: &str, labels: &Labels) -> bool {
        namespace == self.namespace && self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }

    /// `disruptionsAllowed` for `expected` covered pods of which `healthy` are ready
    /// (`pkg/controller/disruption/disruption.go`): `max(0, healthy - desiredHealthy)`.
    pub fn disruptions_allowed(&self, expected: i64, healthy: i64) -> i64 {
        let desired = match (self.min_available, self.max_unavailable) {
            (Some(min), _) => min.scaled(expected),
            (None, Some(max)) => expected - max.scaled(expected),
            (None, None) => expected,
        };
        (healthy - desired).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdb(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PodDisruptionBudget {
        PodDisruptionBudget {
            name: "b".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::parse("app=db").unwrap()),
            min_available: min,
            max_unavailable: max,
        }
    }

    #[test]
    fn disruptions_allowed_table() {
        use IntOrPercent::*;
        assert_eq!(pdb(Some(Int(2)), None).disruptions_allowed(3, 3), 1);
        assert_eq!(pdb(Some(Int(2)), None).disruptions_allowed(3, 2), 0);
        // 50% of 3 rounds up to 2.
        assert_eq!(pdb(Some(Percent(50)), None).disruptions_allowed(3, 3), 1);
        assert_eq!(pdb(None, Some(Int(1))).disruptions_allowed(4, 4), 1);
        assert_eq!(pdb(None, Some(Percent(25))).disruptions_allowed(4, 3), 0);
        let mut l = Labels::new();
        l.insert("app".into(), "db".into());
        assert!(pdb(None, None).covers("default", &l));
        assert!(!pdb(None, None).covers("other", &l));
    }
}
