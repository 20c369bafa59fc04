//! Labels and label selectors.
//!
//! Requirement semantics and the string syntax (`app=web,tier in (a,b),!canary`)
//! follow `staging/src/k8s.io/apimachinery/pkg/labels/selector.go`; key and value
//! rules follow `staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`
//! (`IsQualifiedName`, `IsValidLabelValue`, `IsDNS1123Subdomain`).
//! One deliberate difference: in key position the words `in` and `notin` are
//! accepted as keys, so every valid selector prints to a string that parses back.

use std::collections::BTreeMap;
use std::fmt;

/// A set of labels: key -> value.
pub type Labels = BTreeMap<String, String>;

/// Error returned for an invalid label key, value, requirement or selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    message: String,
}

impl SelectorError {
    fn new(message: impl Into<String>) -> SelectorError {
        SelectorError {
            message: message.into(),
        }
    }

    /// The full error message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SelectorError {}

/// A requirement operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// The label is present and its value is one of the values.
    In,
    /// The label is absent or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label is present and, as an integer, greater than the single value.
    Gt,
    /// The label is present and, as an integer, less than the single value.
    Lt,
}

impl Operator {
    /// Parses the matchExpressions spelling (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`).
    pub fn parse(s: &str) -> Result<Operator, SelectorError> {
        Ok(match s {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            "Gt" => Operator::Gt,
            "Lt" => Operator::Lt,
            _ => return Err(unknown_operator(s)),
        })
    }

    /// The matchExpressions spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
            Operator::Gt => "Gt",
            Operator::Lt => "Lt",
        }
    }
}

fn unknown_operator(s: &str) -> SelectorError {
    SelectorError::new(format!(
        "unknown operator {s:?}: expected one of In, NotIn, Exists, DoesNotExist"
    ))
}

/// One clause of a selector: `key operator values`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub operator: Operator,
    /// The values, sorted and deduplicated.
    pub values: Vec<String>,
}

impl Requirement {
    /// Validates as upstream: key is a valid label key; In/NotIn need >= 1 value; Exists/DoesNotExist need no values; Gt/Lt need exactly one value that parses as i64; every value is a valid label value.
    pub fn new(
        key: &str,
        operator: Operator,
        mut values: Vec<String>,
    ) -> Result<Requirement, SelectorError> {
        validate_label_key(key).map_err(SelectorError::new)?;
        let op = operator.as_str();
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err(SelectorError::new(format!(
                    "requirement on {key:?}: operator {op} needs at least one value"
                )));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err(SelectorError::new(format!(
                    "requirement on {key:?}: operator {op} takes no values, got {values:?}"
                )));
            }
            Operator::Gt | Operator::Lt => match values.as_slice() {
                [v] if v.parse::<i64>().is_ok() => {}
                [v] => {
                    return Err(SelectorError::new(format!(
                        "requirement on {key:?}: operator {op} needs an integer value, got {v:?}"
                    )));
                }
                _ => {
                    return Err(SelectorError::new(format!(
                        "requirement on {key:?}: operator {op} needs exactly one value, got {values:?}"
                    )));
                }
            },
            _ => {}
        }
        for v in &values {
            validate_label_value(v).map_err(SelectorError::new)?;
        }
        values.sort_unstable();
        values.dedup();
        Ok(Requirement {
            key: key.to_owned(),
            operator,
            values,
        })
    }

    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        let in_set = |v: &String| self.values.iter().any(|x| x == v);
        let as_int = |v: &String| v.parse::<i64>().ok();
        let compare =
            |v: Option<&String>| v.and_then(as_int).zip(self.values.first().and_then(as_int));
        match self.operator {
            Operator::In => value.is_some_and(in_set),
            Operator::NotIn => !value.is_some_and(in_set),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::Gt => compare(value).is_some_and(|(l, r)| l > r),
            Operator::Lt => compare(value).is_some_and(|(l, r)| l < r),
        }
    }
}

impl fmt::Display for Requirement {
    /// The kubectl string form (`k=v`, `k in (a,b)`, `!k`, `k>5`, ...).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        let first = self.values.first().map_or("", String::as_str);
        match (self.operator, self.values.len()) {
            (Operator::In, 1) => write!(f, "{key}={first}"),
            (Operator::NotIn, 1) => write!(f, "{key}!={first}"),
            (Operator::In, _) => write!(f, "{key} in ({})", self.values.join(",")),
            (Operator::NotIn, _) => write!(f, "{key} notin ({})", self.values.join(",")),
            (Operator::Exists, _) => write!(f, "{key}"),
            (Operator::DoesNotExist, _) => write!(f, "!{key}"),
            (Operator::Gt, _) => write!(f, "{key}>{first}"),
            (Operator::Lt, _) => write!(f, "{key}<{first}"),
        }
    }
}

/// A compiled label selector: the AND of its requirements. An empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    /// The requirements, sorted by (key, operator, values) and deduplicated.
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Builds a selector from already validated requirements (any operator), sorting them for determinism.
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> LabelSelector {
        requirements
            .sort_by(|a, b| (&a.key, a.operator, &a.values).cmp(&(&b.key, b.operator, &b.values)));
        requirements.dedup();
        LabelSelector { requirements }
    }

    /// From the string form used by kubectl -l: `app=web,tier in (a,b),!canary`, also `k==v`, `k!=v` (NotIn with one value), `k` (Exists), `k notin (a,b)`, `k>5`, `k<5` (Gt/Lt); whitespace allowed around tokens; empty string -> everything.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        Parser::new(s)
            .parse()
            .map(LabelSelector::from_requirements)
            .map_err(|e| SelectorError::new(format!("invalid label selector {s:?}: {e}")))
    }

    /// From matchLabels + matchExpressions (metav1.LabelSelector); matchLabels entries become In with one value; Gt/Lt are rejected.
    pub fn from_parts(
        match_labels: &Labels,
        match_expressions: &[(String, String, Vec<String>)],
    ) -> Result<LabelSelector, SelectorError> {
        let mut reqs = Vec::with_capacity(match_labels.len() + match_expressions.len());
        for (k, v) in match_labels {
            reqs.push(Requirement::new(k, Operator::In, vec![v.clone()])?);
        }
        for (key, op, values) in match_expressions {
            let operator = match Operator::parse(op)? {
                Operator::Gt | Operator::Lt => return Err(unknown_operator(op)),
                o => o,
            };
            reqs.push(Requirement::new(key, operator, values.clone())?);
        }
        Ok(LabelSelector::from_requirements(reqs))
    }

    /// The selector with one more requirement, `key=value` (a valid label pair: a
    /// Deployment adds its ReplicaSet's `pod-template-hash`).
    pub fn with_label(&self, key: &str, value: &str) -> LabelSelector {
        let mut requirements = self.requirements.clone();
        requirements.push(Requirement {
            key: key.to_owned(),
            operator: Operator::In,
            values: vec![value.to_owned()],
        });
        LabelSelector::from_requirements(requirements)
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Whether the selector has no requirements (and so matches everything).
    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }
}

impl fmt::Display for LabelSelector {
    /// The kubectl string form; [`LabelSelector::parse`] reads it back to an equal selector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Eq,
    NotEq,
    Not,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "{w:?}"),
            Tok::Eq => f.write_str("'='"),
            Tok::NotEq => f.write_str("'!='"),
            Tok::Not => f.write_str("'!'"),
            Tok::Gt => f.write_str("'>'"),
            Tok::Lt => f.write_str("'<'"),
            Tok::Open => f.write_str("'('"),
            Tok::Close => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
        }
    }
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'<' | b'>') || b.is_ascii_whitespace()
}

/// Recursive-descent parser over a lazily lexed token stream.
struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

type Step<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        Parser { src, pos: 0 }
    }

    /// The next token and the byte offset just past it, without consuming.
    fn lex(&self) -> Option<(Tok<'a>, usize)> {
        let bytes = self.src.as_bytes();
        let start = self.pos
            + bytes
                .get(self.pos..)?
                .iter()
                .position(|b| !b.is_ascii_whitespace())?;
        let next = bytes.get(start + 1).copied();
        let (tok, len) = match bytes.get(start).copied()? {
            b'=' if next == Some(b'=') => (Tok::Eq, 2),
            b'=' => (Tok::Eq, 1),
            b'!' if next == Some(b'=') => (Tok::NotEq, 2),
            b'!' => (Tok::Not, 1),
            b'>' => (Tok::Gt, 1),
            b'<' => (Tok::Lt, 1),
            b'(' => (Tok::Open, 1),
            b')' => (Tok::Close, 1),
            b',' => (Tok::Comma, 1),
            _ => {
                let len = bytes
                    .get(start..)?
                    .iter()
                    .position(|&b| is_special(b))
                    .unwrap_or(bytes.len() - start);
                (Tok::Word(self.src.get(start..start + len)?), len)
            }
        };
        Some((tok, start + len))
    }

    fn peek(&self) -> Option<Tok<'a>> {
        self.lex().map(|(t, _)| t)
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        let (t, end) = self.lex()?;
        self.pos = end;
        Some(t)
    }

    fn found(t: Option<Tok<'_>>) -> String {
        t.map_or_else(|| "end of input".to_owned(), |t| t.to_string())
    }

    fn parse(mut self) -> Step<Vec<Requirement>> {
        let mut reqs = Vec::new();
        if self.peek().is_none() {
            return Ok(reqs);
        }
        loop {
            reqs.push(self.requirement()?);
            match self.next() {
                None => return Ok(reqs),
                Some(Tok::Comma) => {}
                t => {
                    return Err(format!(
                        "expected ',' or end of input after a requirement, found {}",
                        Self::found(t)
                    ));
                }
            }
        }
    }

    fn requirement(&mut self) -> Step<Requirement> {
        let (key, op, values) = match self.next() {
            Some(Tok::Not) => match self.next() {
                Some(Tok::Word(key)) => (key, Operator::DoesNotExist, Vec::new()),
                t => {
                    return Err(format!(
                        "expected a label key after '!', found {}",
                        Self::found(t)
                    ));
                }
            },
            Some(Tok::Word(key)) => match self.peek() {
                None | Some(Tok::Comma) => (key, Operator::Exists, Vec::new()),
                Some(Tok::Eq) => (key, Operator::In, self.after_op()?),
                Some(Tok::NotEq) => (key, Operator::NotIn, self.after_op()?),
                Some(Tok::Gt) => (key, Operator::Gt, self.after_op()?),
                Some(Tok::Lt) => (key, Operator::Lt, self.after_op()?),
                Some(Tok::Word("in")) => (key, Operator::In, self.set()?),
                Some(Tok::Word("notin")) => (key, Operator::NotIn, self.set()?),
                t => {
                    return Err(format!(
                        "expected an operator (=, ==, !=, >, <, in, notin), ',' or end of input after key {key:?}, found {}",
                        Self::found(t)
                    ));
                }
            },
            t => {
                return Err(format!(
                    "expected a label key or '!', found {}",
                    Self::found(t)
                ));
            }
        };
        Requirement::new(key, op, values).map_err(|e| e.message)
    }

    /// Consumes a single-value operator and its (possibly empty) value.
    fn after_op(&mut self) -> Step<Vec<String>> {
        self.next();
        match self.peek() {
            Some(Tok::Word(v)) => {
                self.next();
                Ok(vec![v.to_owned()])
            }
            None | Some(Tok::Comma) => Ok(vec![String::new()]),
            t => Err(format!(
                "expected a label value after the operator, found {}",
                Self::found(t)
            )),
        }
    }

    /// Consumes `in`/`notin` and a parenthesised, comma-separated value list.
    fn set(&mut self) -> Step<Vec<String>> {
        self.next();
        match self.next() {
            Some(Tok::Open) => {}
            t => {
                return Err(format!(
                    "expected '(' after in/notin, found {}",
                    Self::found(t)
                ));
            }
        }
        let mut values = Vec::new();
        if self.peek() == Some(Tok::Close) {
            self.next();
            return Ok(values);
        }
        loop {
            match self.peek() {
                Some(Tok::Word(v)) => {
                    self.next();
                    values.push(v.to_owned());
                }
                Some(Tok::Comma | Tok::Close) => values.push(String::new()),
                t => {
                    return Err(format!(
                        "expected a label value in the list, found {}",
                        Self::found(t)
                    ));
                }
            }
            match self.next() {
                Some(Tok::Comma) => {}
                Some(Tok::Close) => return Ok(values),
                t => {
                    return Err(format!(
                        "expected ',' or ')' in the value list, found {}",
                        Self::found(t)
                    ));
                }
            }
        }
    }
}

/// Checks the name part of a key (or a value when non-empty): <= 63 chars of `[A-Za-z0-9_.-]`, alphanumeric at both ends.
fn check_name(s: &str) -> Result<(), &'static str> {
    if s.len() > 63 {
        return Err("must be 63 characters or less");
    }
    let alnum_ends = s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    let charset = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !(alnum_ends && charset) {
        return Err(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        );
    }
    Ok(())
}

/// Checks a DNS-1123 subdomain: <= 253 chars, dot-separated lowercase alphanumeric labels with inner '-'.
fn check_subdomain(s: &str) -> Result<(), &'static str> {
    if s.len() > 253 {
        return Err("must be 253 characters or less");
    }
    let ok = s.split('.').all(|label| {
        let b = label.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(alnum)
            && b.last().is_some_and(alnum)
            && b.iter().all(|c| alnum(c) || *c == b'-')
    });
    if !ok {
        return Err(
            "must be a DNS subdomain: lowercase alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character",
        );
    }
    Ok(())
}

/// Validates a label key: optional DNS-subdomain prefix (<= 253 chars) and '/', then a name of <= 63 chars matching `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub fn validate_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if name.contains('/') {
        return Err(format!(
            "invalid label key {key:?}: must be a name with an optional prefix and a single '/', as in example.com/name"
        ));
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err(format!(
                "invalid label key {key:?}: prefix part must be non-empty"
            ));
        }
        check_subdomain(prefix)
            .map_err(|why| format!("invalid label key {key:?}: prefix part {why}"))?;
    }
    if name.is_empty() {
        return Err(format!(
            "invalid label key {key:?}: name part must be non-empty"
        ));
    }
    check_name(name).map_err(|why| format!("invalid label key {key:?}: name part {why}"))
}

/// Validates a label value: empty, or <= 63 chars matching `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub fn validate_label_value(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    check_name(v).map_err(|why| format!("invalid label value {v:?}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn sel(s: &str) -> LabelSelector {
        match LabelSelector::parse(s) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        }
    }

    fn req(k: &str, op: Operator, vals: &[&str]) -> Requirement {
        Requirement::new(k, op, vals.iter().map(|v| (*v).to_owned()).collect()).unwrap()
    }

    #[test]
    fn parses_the_kubectl_syntax() {
        let s = sel("app=web,tier in (b, a),!canary");
        assert_eq!(
            s.requirements,
            vec![
                req("app", Operator::In, &["web"]),
                req("canary", Operator::DoesNotExist, &[]),
                req("tier", Operator::In, &["a", "b"]),
            ]
        );
        assert_eq!(sel("k==v"), sel("k=v"));
        assert_eq!(
            sel("k!=v").requirements,
            vec![req("k", Operator::NotIn, &["v"])]
        );
        assert_eq!(sel("k").requirements, vec![req("k", Operator::Exists, &[])]);
        assert_eq!(
            sel(" k notin ( a , b ) ").requirements,
            vec![req("k", Operator::NotIn, &["a", "b"])]
        );
        assert_eq!(
            sel("k>5").requirements,
            vec![req("k", Operator::Gt, &["5"])]
        );
        assert_eq!(
            sel("k < 5").requirements,
            vec![req("k", Operator::Lt, &["5"])]
        );
        assert_eq!(sel("k=").requirements, vec![req("k", Operator::In, &[""])]);
        assert_eq!(
            sel("k in (a,)").requirements,
            vec![req("k", Operator::In, &["", "a"])]
        );
        assert_eq!(sel("in in (in),notin").requirements.len(), 2);
        assert_eq!(
            sel("example.com/app=x").requirements[0].key,
            "example.com/app"
        );
        assert!(sel("").is_everything());
        assert!(sel("  \t ").is_everything());
    }

    #[test]
    fn rejects_bad_selectors() {
        for s in [
            "a=b,",
            ",",
            "a b",
            "a in b",
            "a in (b",
            "a in ()",
            "a notin ()",
            "!",
            "!a=b",
            "=b",
            "a=(b)",
            "a=b=c",
            "A/b=c",
            "a=-b",
            "a>b",
            "a>",
            "a<1.5",
            "a in (b c)",
            "-a",
            "a,,b",
            "a=b)",
            "a in (b,(c))",
            "ä=b",
        ] {
            assert!(LabelSelector::parse(s).is_err(), "{s:?} should be rejected");
        }
        let e = LabelSelector::parse("a b").unwrap_err().to_string();
        assert!(e.contains("\"a b\"") && e.contains("\"b\""), "{e}");
    }

    #[test]
    fn matching() {
        let l = labels(&[("app", "web"), ("tier", "b"), ("n", "10")]);
        assert!(sel("app=web,tier in (a,b),!canary").matches(&l));
        assert!(!sel("app=web,canary").matches(&l));
        assert!(sel("app!=db").matches(&l));
        assert!(sel("missing notin (x)").matches(&l));
        assert!(!sel("app notin (web)").matches(&l));
        assert!(sel("n>9,n<11").matches(&l));
        assert!(!sel("n>10").matches(&l));
        assert!(!sel("app>1").matches(&l));
        assert!(!sel("missing<1").matches(&l));
        assert!(sel("").matches(&l));
        assert!(LabelSelector::default().matches(&Labels::new()));
    }

    #[test]
    fn requirement_validation() {
        use Operator::*;
        assert!(Requirement::new("k", In, vec![]).is_err());
        assert!(Requirement::new("k", NotIn, vec![]).is_err());
        assert!(Requirement::new("k", Exists, vec!["a".into()]).is_err());
        assert!(Requirement::new("k", DoesNotExist, vec!["a".into()]).is_err());
        assert!(Requirement::new("k", Gt, vec![]).is_err());
        assert!(Requirement::new("k", Gt, vec!["1".into(), "2".into()]).is_err());
        assert!(Requirement::new("k", Lt, vec!["x".into()]).is_err());
        assert!(Requirement::new("k", Lt, vec!["99999999999999999999".into()]).is_err());
        assert!(Requirement::new("", Exists, vec![]).is_err());
        let r = Requirement::new("k", In, vec!["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(r.values, vec!["a", "b"]);
    }

    #[test]
    fn from_parts() {
        let ml = labels(&[("app", "web")]);
        let exprs = vec![
            ("tier".to_owned(), "In".to_owned(), vec!["a".to_owned()]),
            ("canary".to_owned(), "DoesNotExist".to_owned(), vec![]),
        ];
        let s = LabelSelector::from_parts(&ml, &exprs).unwrap();
        assert_eq!(s, sel("app=web,tier=a,!canary"));
        let bad = vec![("n".to_owned(), "Gt".to_owned(), vec!["1".to_owned()])];
        assert_eq!(
            LabelSelector::from_parts(&Labels::new(), &bad)
                .unwrap_err()
                .to_string(),
            "unknown operator \"Gt\": expected one of In, NotIn, Exists, DoesNotExist"
        );
        let bad = vec![("n".to_owned(), "Foo".to_owned(), vec![])];
        assert_eq!(
            LabelSelector::from_parts(&Labels::new(), &bad)
                .unwrap_err()
                .to_string(),
            "unknown operator \"Foo\": expected one of In, NotIn, Exists, DoesNotExist"
        );
        let bad_label = labels(&[("app", "-web")]);
        assert!(LabelSelector::from_parts(&bad_label, &[]).is_err());
        assert!(
            LabelSelector::from_parts(&Labels::new(), &[])
                .unwrap()
                .is_everything()
        );
    }

    #[test]
    fn operator_spellings() {
        for op in [
            Operator::In,
            Operator::NotIn,
            Operator::Exists,
            Operator::DoesNotExist,
            Operator::Gt,
            Operator::Lt,
        ] {
            assert_eq!(Operator::parse(op.as_str()), Ok(op));
        }
        assert!(Operator::parse("in").is_err());
    }

    #[test]
    fn key_and_value_validation() {
        for k in [
            "a",
            "A",
            "a.b_c-d",
            "example.com/a",
            "a-b.c/Z9",
            "in",
            &"a".repeat(63),
            &format!("{}/a", "a".repeat(253)),
        ] {
            assert_eq!(validate_label_key(k), Ok(()), "{k}");
        }
        for k in [
            "",
            "/a",
            "a/",
            "a/b/c",
            "-a",
            "a-",
            "Example.com/a",
            "a..b/c",
            "a_b/c",
            ".a/b",
            "a b",
            &"a".repeat(64),
            &format!("{}/a", "a".repeat(254)),
        ] {
            assert!(validate_label_key(k).is_err(), "{k}");
        }
        assert_eq!(validate_label_value(""), Ok(()));
        assert_eq!(validate_label_value("v1.2_3-x"), Ok(()));
        assert!(validate_label_value("a/b").is_err());
        assert!(validate_label_value("_a").is_err());
        assert!(validate_label_value(&"a".repeat(64)).is_err());
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("in".to_owned()),
            Just("notin".to_owned()),
            "[A-Za-z0-9]([A-Za-z0-9_.-]{0,8}[A-Za-z0-9])?",
            "[a-z0-9]([a-z0-9-]{0,5}[a-z0-9])?(\\.[a-z0-9]{1,4})?/[A-Za-z0-9]([A-Za-z0-9_.-]{0,8}[A-Za-z0-9])?",
        ]
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("in".to_owned()),
            "[A-Za-z0-9]([A-Za-z0-9_.-]{0,6}[A-Za-z0-9])?",
        ]
    }

    fn requirement_strategy() -> impl Strategy<Value = Requirement> {
        (
            key_strategy(),
            0usize..6,
            prop::collection::vec(value_strategy(), 1..4),
            0i64..100_000,
        )
            .prop_map(|(key, op, values, n)| {
                let (op, values) = match op {
                    0 => (Operator::In, values),
                    1 => (Operator::NotIn, values),
                    2 => (Operator::Exists, vec![]),
                    3 => (Operator::DoesNotExist, vec![]),
                    4 => (Operator::Gt, vec![n.to_string()]),
                    _ => (Operator::Lt, vec![n.to_string()]),
                };
                Requirement::new(&key, op, values).unwrap()
            })
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in ".*") {
            let _ = LabelSelector::parse(&s);
            let _ = validate_label_key(&s);
            let _ = validate_label_value(&s);
            let _ = Operator::parse(&s);
        }

        #[test]
        fn selector_like_strings_never_panic(s in "[a-z!=<>(), \t0-9/.-]{0,40}") {
            if let Ok(sel) = LabelSelector::parse(&s) {
                prop_assert_eq!(LabelSelector::parse(&sel.to_string()), Ok(sel));
            }
        }

        #[test]
        fn display_round_trips(reqs in prop::collection::vec(requirement_strategy(), 0..5)) {
            let sel = LabelSelector::from_requirements(reqs);
            let text = sel.to_string();
            prop_assert_eq!(LabelSelector::parse(&text), Ok(sel), "{}", text);
        }
    }
}
