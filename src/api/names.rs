//! Object names as the API server checks them, in its words
//! (`k8s.io/apimachinery/pkg/util/validation/validation.go`, `IsDNS1123Subdomain`,
//! `IsDNS1123Label`, `IsDNS1035Label`; which kind takes which rule:
//! `pkg/apis/core/validation/validation.go`).

/// The rule a kind's names follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// RFC 1123 subdomain, at most 253 characters (Pods, Nodes, Jobs, most kinds).
    Subdomain,
    /// RFC 1123 label, at most 63 characters (Namespaces, container names).
    Label,
    /// RFC 1035 label, at most 63 characters, starting with a letter (Services).
    Dns1035Label,
}

const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

impl NameRule {
    /// What is wrong with `name` under this rule, in upstream's words (empty when valid).
    pub fn check(self, name: &str) -> Vec<String> {
        let mut why = Vec::new();
        let max = match self {
            NameRule::Subdomain => 253,
            NameRule::Label | NameRule::Dns1035Label => 63,
        };
        if name.len() > max {
            why.push(format!("must be no more than {max} characters"));
        }
        let ok = match self {
            NameRule::Subdomain => name.split('.').all(is_label),
            NameRule::Label => is_label(name),
            NameRule::Dns1035Label => is_label(name) && name.as_bytes()[0].is_ascii_lowercase(),
        };
        if !ok {
            why.push(match self {
                NameRule::Subdomain => SUBDOMAIN.to_owned(),
                NameRule::Label if name.split('.').all(is_label) => {
                    "must not contain dots".to_owned()
                }
                NameRule::Label => LABEL.to_owned(),
                NameRule::Dns1035Label => DNS1035.to_owned(),
            });
        }
        why
    }

    /// Each problem of `name` as a field error body: `Invalid value: "Bad_Name": ...`.
    pub fn invalid(self, name: &str) -> Vec<String> {
        self.check(name)
            .into_iter()
            .map(|why| format!("Invalid value: {name:?}: {why}"))
            .collect()
    }
}

const QUALIFIED: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/// What is wrong with `value` as a qualified name (a label key: an optional DNS subdomain
/// prefix and `/`, then a name of at most 63 characters), in upstream's words (empty when
/// valid) (`IsQualifiedName` in `k8s.io/apimachinery/pkg/util/validation/validation.go`).
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut why = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                why.push("prefix part must be non-empty".to_owned());
            } else {
                let problems = NameRule::Subdomain.check(prefix);
                why.extend(problems.into_iter().map(|p| format!("prefix part {p}")));
            }
            *name
        }
        _ => {
            why.push(format!(
                "a qualified name {QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ));
            return why;
        }
    };
    if name.is_empty() {
        why.push("name part must be non-empty".to_owned());
    } else if name.len() > 63 {
        why.push("name part must be no more than 63 characters".to_owned());
    }
    let b = name.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    let ok = b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter()
            .all(|c| alnum(c) || matches!(c, b'-' | b'_' | b'.'));
    if !ok {
        why.push(format!("name part {QUALIFIED}"));
    }
    why
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate `wanted` was most likely meant to be: the same but for case, or the nearest
/// within a third of its length in edits (ties: the first).
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c.eq_ignore_ascii_case(wanted) {
            return Some(c);
        }
        let d = edit_distance(wanted, c);
        if d <= (wanted.chars().count() / 3).max(1) && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_as_upstream_checks_them() {
        for ok in ["a", "example.com/MyName", "my.name", "123-abc", "A_b"] {
            assert!(qualified_name(ok).is_empty(), "{ok}");
        }
        assert_eq!(
            qualified_name("a/b/c")[0],
            format!(
                "a qualified name {QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            )
        );
        assert_eq!(qualified_name("/x"), ["prefix part must be non-empty"]);
        assert_eq!(
            qualified_name("Ex.com/x"),
            [format!("prefix part {SUBDOMAIN}")]
        );
        assert_eq!(
            qualified_name(""),
            [
                "name part must be non-empty".to_owned(),
                format!("name part {QUALIFIED}")
            ]
        );
        assert_eq!(
            qualified_name(&"a".repeat(64)),
            ["name part must be no more than 63 characters"]
        );
        assert_eq!(qualified_name("-a"), [format!("name part {QUALIFIED}")]);
    }

    #[test]
    fn near_names_are_suggested() {
        let fields = ["nodeSelector", "nodeName", "resources", "restartPolicy"];
        assert_eq!(did_you_mean("nodeSelecter", fields), Some("nodeSelector"));
        assert_eq!(did_you_mean("resource", fields), Some("resources"));
        assert_eq!(did_you_mean("NodeName", fields), Some("nodeName"));
        assert_eq!(did_you_mean("explian", ["explain"]), Some("explain"));
        assert_eq!(did_you_mean("zzz", fields), None);
    }

    #[test]
    fn names_as_the_api_server_checks_them() {
        use NameRule::*;
        for ok in ["a", "web-1", "a.b-c.d", "0abc"] {
            assert!(Subdomain.check(ok).is_empty(), "{ok}");
        }
        for bad in [
            "",
            "Bad_Name",
            "..",
            "../../x",
            "-a",
            "a-",
            "a..b",
            "Not Valid",
        ] {
            assert_eq!(Subdomain.check(bad), [SUBDOMAIN], "{bad}");
        }
        let long = "a".repeat(254);
        assert_eq!(
            Subdomain.check(&long),
            ["must be no more than 253 characters"]
        );
        assert!(Label.check(&"a".repeat(63)).is_empty());
        assert_eq!(Label.check(&"a".repeat(64)).len(), 1);
        assert_eq!(Label.check("a.b"), ["must not contain dots"]);
        assert_eq!(Label.check("Not Valid"), [LABEL]);
        assert!(Dns1035Label.check("web").is_empty());
        assert_eq!(Dns1035Label.check("1web"), [DNS1035]);
        assert_eq!(
            Subdomain.invalid("Bad_Name")[0],
            format!("Invalid value: \"Bad_Name\": {SUBDOMAIN}")
        );
    }
}
