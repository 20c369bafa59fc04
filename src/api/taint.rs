//! Taints and tolerations (`staging/src/k8s.io/api/core/v1/toleration.go`, `taint.go`).

use std::fmt;

/// What a taint does to pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaintEffect {
    /// New pods are not scheduled onto the node.
    NoSchedule,
    /// The scheduler avoids the node when it can.
    PreferNoSchedule,
    /// Running pods are evicted, new ones not scheduled.
    NoExecute,
}

impl TaintEffect {
    /// Parses the manifest spelling.
    pub fn parse(s: &str) -> Option<TaintEffect> {
        match s {
            "NoSchedule" => Some(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Some(TaintEffect::PreferNoSchedule),
            "NoExecute" => Some(TaintEffect::NoExecute),
            _ => None,
        }
    }

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A node taint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (may be empty).
    pub value: String,
    /// Its effect.
    pub effect: TaintEffect,
    /// `timeAdded`: when the taint was put on the node. The node lifecycle controller writes
    /// it on the taints it adds; kubectl and the API server leave it unset; the taint
    /// eviction controller does not read it.
    pub time_added: Option<crate::engine::SimTime>,
}

impl fmt::Display for Taint {
    /// `{key: value}`, as the scheduler's "untolerated taint" reason prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}: {}}}", self.key, self.value)
    }
}

/// A toleration's operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TolerationOperator {
    /// Value must equal the taint's (the default).
    Equal,
    /// Any value.
    Exists,
}

/// A pod toleration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Toleration {
    /// Key; empty with `Exists` tolerates every key.
    pub key: String,
    /// `Equal` or `Exists`.
    pub operator: TolerationOperator,
    /// Value compared under `Equal`.
    pub value: String,
    /// Effect tolerated; `None` tolerates all effects.
    pub effect: Option<TaintEffect>,
    /// For NoExecute: how long the pod stays after the taint appears.
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// Whether this toleration tolerates `taint` (`ToleratesTaint` upstream).
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(e) = self.effect
            && e != taint.effect
        {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.key == taint.key && self.value == taint.value,
        }
    }
}

/// True when some toleration in `tolerations` tolerates `taint`.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// The NoExecute taint the node lifecycle controller puts on a node whose `Ready` is False.
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The NoExecute taint the node lifecycle controller puts on a node whose `Ready` is Unknown.
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The `tolerationSeconds` DefaultTolerationSeconds gives both (upstream's flags
/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`).
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// The tolerations the DefaultTolerationSeconds admission plugin adds to a pod on create
/// (`plugin/pkg/admission/defaulttolerationseconds/admission.go`): `not-ready` and
/// `unreachable`, operator Exists, effect NoExecute, for [`DEFAULT_TOLERATION_SECONDS`],
/// each unless the pod has a toleration whose key is that taint's or empty and whose effect
/// is NoExecute or empty (the operator and value are not looked at). Empty when the pod has
/// both already.
pub fn default_tolerations(tolerations: &[Toleration]) -> Vec<Toleration> {
    let has = |key: &str| {
        tolerations.iter().any(|t| {
            (t.key == key || t.key.is_empty())
                && t.effect.is_none_or(|e| e == TaintEffect::NoExecute)
        })
    };
    [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]
        .into_iter()
        .filter(|key| !has(key))
        .map(|key| Toleration {
            key: key.to_string(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(k: &str, v: &str, e: TaintEffect) -> Taint {
        Taint {
            key: k.into(),
            value: v.into(),
            effect: e,
            time_added: None,
        }
    }
    fn tol(k: &str, op: TolerationOperator, v: &str, e: Option<TaintEffect>) -> Toleration {
        Toleration {
            key: k.into(),
            operator: op,
            value: v.into(),
            effect: e,
            toleration_seconds: None,
        }
    }

    #[test]
    fn toleration_matching_table() {
        use TaintEffect::*;
        use TolerationOperator::*;
        let t = taint("dedicated", "gpu", NoSchedule);
        let cases = [
            (
                "equal key value effect",
                tol("dedicated", Equal, "gpu", Some(NoSchedule)),
                true,
            ),
            (
                "equal wrong value",
                tol("dedicated", Equal, "cpu", Some(NoSchedule)),
                false,
            ),
            (
                "exists key any value",
                tol("dedicated", Exists, "", None),
                true,
            ),
            (
                "empty key exists matches all",
                tol("", Exists, "", None),
                true,
            ),
            (
                "empty key exists wrong effect",
                tol("", Exists, "", Some(NoExecute)),
                false,
            ),
            ("other key", tol("other", Exists, "", None), false),
            (
                "empty key with Equal matches nothing",
                tol("", Equal, "gpu", None),
                false,
            ),
        ];
        for (name, toleration, want) in cases {
            assert_eq!(toleration.tolerates(&t), want, "{name}");
        }
    }

    #[test]
    fn default_toleration_seconds_table() {
        use TaintEffect::*;
        use TolerationOperator::*;
        let keys = |added: Vec<Toleration>| -> Vec<String> {
            assert!(added.iter().all(|t| t.operator == Exists
                && t.effect == Some(NoExecute)
                && t.toleration_seconds == Some(300)));
            added.into_iter().map(|t| t.key).collect()
        };
        let both = [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE];
        let cases: [(&str, Vec<Toleration>, &[&str]); 7] = [
            ("none of its own", vec![], &both),
            (
                "an unrelated toleration",
                vec![tol("dedicated", Exists, "", Some(NoExecute))],
                &both,
            ),
            (
                "its own not-ready NoExecute (any seconds) keeps it",
                vec![tol(TAINT_NODE_NOT_READY, Exists, "", Some(NoExecute))],
                &[TAINT_NODE_UNREACHABLE],
            ),
            (
                "an unreachable toleration of every effect",
                vec![tol(TAINT_NODE_UNREACHABLE, Equal, "x", None)],
                &[TAINT_NODE_NOT_READY],
            ),
            (
                "a not-ready NoSchedule toleration does not count",
                vec![tol(TAINT_NODE_NOT_READY, Exists, "", Some(NoSchedule))],
                &both,
            ),
            (
                "the empty key counts for both",
                vec![tol("", Exists, "", Some(NoExecute))],
                &[],
            ),
            (
                "the empty key of every effect counts for both",
                vec![tol("", Exists, "", None)],
                &[],
            ),
        ];
        for (name, tolerations, want) in cases {
            assert_eq!(keys(default_tolerations(&tolerations)), want, "{name}");
        }
    }

    #[test]
    fn taint_prints_like_upstream_reason() {
        assert_eq!(
            taint("k", "v", TaintEffect::NoSchedule).to_string(),
            "{k: v}"
        );
        assert_eq!(taint("k", "", TaintEffect::NoSchedule).to_string(), "{k: }");
    }
}
