//! Node affinity: required and preferred node selector terms
//! (`staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`).

use super::selector::{Labels, Operator, Requirement};

/// One node selector term: all expressions and all field requirements must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    pub match_expressions: Vec<Requirement>,
    /// Requirements on node fields; only `metadata.name` exists.
    pub match_fields: Vec<Requirement>,
}

impl NodeSelectorTerm {
    /// Whether a node with these labels and this name satisfies the term. A term with no
    /// requirements at all matches nothing, as upstream.
    pub fn matches(&self, labels: &Labels, node_name: &str) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false;
        }
        self.match_expressions.iter().all(|r| r.matches(labels))
            && self
                .match_fields
                .iter()
                .all(|r| field_matches(r, node_name))
    }

    /// The node names the term is restricted to by `metadata.name In [...]` field requirements
    /// (intersected), or `None` when it has no such requirement.
    pub fn node_names(&self) -> Option<Vec<String>> {
        let mut names: Option<Vec<String>> = None;
        for r in &self.match_fields {
            if r.key == FIELD_NODE_NAME && r.operator == Operator::In {
                names = Some(match names {
                    None => r.values.clone(),
                    Some(prev) => prev.into_iter().filter(|n| r.values.contains(n)).collect(),
                });
            }
        }
        names
    }
}

/// The only field a node selector may name.
pub const FIELD_NODE_NAME: &str = "metadata.name";

fn field_matches(r: &Requirement, node_name: &str) -> bool {
    let has = r.values.iter().any(|v| v == node_name);
    match r.operator {
        Operator::In => has,
        Operator::NotIn => !has,
        // Validation admits only In and NotIn for fields.
        _ => false,
    }
}

/// A weighted preferred term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreferredTerm {
    /// 1..=100.
    pub weight: i32,
    /// The preference.
    pub term: NodeSelectorTerm,
}

/// `spec.affinity.nodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms` (OR-ed); `None` means
    /// no constraint.
    pub required: Option<Vec<NodeSelectorTerm>>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<PreferredTerm>,
}

impl NodeAffinity {
    /// Whether a node passes the required terms.
    pub fn required_matches(&self, labels: &Labels, node_name: &str) -> bool {
        match &self.required {
            None => true,
            Some(terms) => terms.iter().any(|t| t.matches(labels, node_name)),
        }
    }

    /// Sum of the weights of the preferred terms the node matches.
    pub fn preferred_score(&self, labels: &Labels, node_name: &str) -> i64 {
        self.preferred
            .iter()
            .filter(|p| p.term.matches(labels, node_name))
            .map(|p| i64::from(p.weight))
            .sum()
    }
}

/// Whether every `nodeSelector` pair is among the node's labels.
pub fn node_selector_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn req(k: &str, op: Operator, vals: &[&str]) -> Requirement {
        Requirement::new(k, op, vals.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    #[test]
    fn terms_are_ored_and_requirements_anded() {
        let zone_a = NodeSelectorTerm {
            match_expressions: vec![
                req("zone", Operator::In, &["a"]),
                req("gpu", Operator::Exists, &[]),
            ],
            match_fields: vec![],
        };
        let named = NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![req(FIELD_NODE_NAME, Operator::In, &["n3"])],
        };
        let aff = NodeAffinity {
            required: Some(vec![zone_a, named]),
            preferred: vec![],
        };
        assert!(aff.required_matches(&labels(&[("zone", "a"), ("gpu", "1")]), "n1"));
        assert!(!aff.required_matches(&labels(&[("zone", "a")]), "n1"));
        assert!(aff.required_matches(&labels(&[]), "n3"));
        assert!(
            !NodeSelectorTerm::default().matches(&labels(&[]), "n1"),
            "empty term matches nothing"
        );
    }

    #[test]
    fn gt_lt_compare_integers() {
        let t = NodeSelectorTerm {
            match_expressions: vec![req("cores", Operator::Gt, &["8"])],
            match_fields: vec![],
        };
        assert!(t.matches(&labels(&[("cores", "16")]), "n"));
        assert!(!t.matches(&labels(&[("cores", "8")]), "n"));
        assert!(!t.matches(&labels(&[("cores", "x")]), "n"));
    }

    #[test]
    fn preferred_weights_sum() {
        let aff = NodeAffinity {
            required: None,
            preferred: vec![
                PreferredTerm {
                    weight: 5,
                    term: NodeSelectorTerm {
                        match_expressions: vec![req("a", Operator::Exists, &[])],
                        match_fields: vec![],
                    },
                },
                PreferredTerm {
                    weight: 7,
                    term: NodeSelectorTerm {
                        match_expressions: vec![req("b", Operator::Exists, &[])],
                        match_fields: vec![],
                    },
                },
            ],
        };
        assert_eq!(
            aff.preferred_score(&labels(&[("a", ""), ("b", "")]), "n"),
            12
        );
        assert_eq!(aff.preferred_score(&labels(&[("b", "")]), "n"), 7);
    }

    #[test]
    fn node_name_prefilter_set() {
        let t = NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![
                req(FIELD_NODE_NAME, Operator::In, &["a", "b"]),
                req(FIELD_NODE_NAME, Operator::In, &["b", "c"]),
            ],
        };
        assert_eq!(t.node_names(), Some(vec!["b".to_string()]));
    }
}
