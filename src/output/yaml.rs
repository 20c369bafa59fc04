//! A YAML writer for document trees, in the block style `kubectl get -o yaml` prints: keys in
//! the tree's (sorted) order, list items at their key's indentation, strings plain where YAML
//! reads them back as the same string and double-quoted otherwise.

use serde_json::Value;
use std::fmt::Write;

/// `value` as a YAML document, ending in a newline.
#[cfg(test)]
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => map(&mut out, m, 0, false),
        Value::Array(a) if !a.is_empty() => list(&mut out, a, 0),
        v => {
            scalar(&mut out, v);
            out.push('\n');
        }
    }
    out
}

/// Appends `value` as one item of a list at the left margin (`- key: ...`).
pub fn list_item(out: &mut String, value: &Value) {
    list(out, std::slice::from_ref(value), 0);
}

/// Appends the entries of a mapping at `at` spaces (the fields of an object that is being
/// written in parts).
pub fn entries(out: &mut String, m: &serde_json::Map<String, Value>, at: usize) {
    map(out, m, at, false);
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A mapping at `at` spaces; `inline` when its first key follows a list item's `- `.
fn map(out: &mut String, m: &serde_json::Map<String, Value>, at: usize, inline: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, at);
        }
        push_string(out, k);
        out.push(':');
        entry(out, v, at, at + 2);
    }
}

/// What follows `key:` or `-`: a scalar or empty collection on the same line, else the nested
/// block (a list at the key's own indentation `list_at`, a mapping at `map_at`).
fn entry(out: &mut String, v: &Value, list_at: usize, map_at: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(out, m, map_at, false);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            list(out, a, list_at);
        }
        v => {
            out.push(' ');
            scalar(out, v);
            out.push('\n');
        }
    }
}

fn list(out: &mut String, a: &[Value], at: usize) {
    for v in a {
        indent(out, at);
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                map(out, m, at + 2, true);
            }
            v => entry(out, v, at + 2, at + 2),
        }
    }
}

fn scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => push_string(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// A string plain when that reads back as the same string, else double-quoted (JSON's escapes
/// are a subset of YAML's).
pub fn push_string(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::to_string(s).expect("a string serializes"));
    }
}

/// Conservative: letters, digits and `._/-+=@:` only (`:` never last, so never `: `),
/// starting with a letter, and not a word YAML 1.1 or 1.2 reads as a boolean or null.
fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && !s.ends_with(':')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-+=@:".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_as_kubectl_prints_it() {
        let v = json!({
            "apiVersion": "v1",
            "items": [
                {"kind": "Pod", "metadata": {"labels": {"app": "web"}, "name": "web-1"},
                 "spec": {"containers": [{"image": "nginx:1.27", "name": "c"}], "tolerations": []}},
                "x"
            ],
            "kind": "List",
            "empty": {},
        });
        assert_eq!(
            to_string(&v),
            "apiVersion: v1\nempty: {}\nitems:\n- kind: Pod\n  metadata:\n    labels:\n      app: web\n    name: web-1\n  spec:\n    containers:\n    - image: nginx:1.27\n      name: c\n    tolerations: []\n- x\nkind: List\n"
        );
    }

    #[test]
    fn strings_yaml_would_read_otherwise_are_quoted() {
        for (s, want) in [
            ("web", "web"),
            ("2026-01-01T00:00:00Z", "\"2026-01-01T00:00:00Z\""),
            ("500m", "\"500m\""),
            ("yes", "\"yes\""),
            ("Null", "\"Null\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("key:", "\"key:\""),
            ("-x", "\"-x\""),
            ("#c", "\"#c\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("kubernetes.io/hostname", "kubernetes.io/hostname"),
        ] {
            let mut out = String::new();
            push_string(&mut out, s);
            assert_eq!(out, want, "{s:?}");
        }
    }

    #[test]
    fn nested_lists_and_empty_collections() {
        let v = json!({"a": [[1, 2], [], {}], "b": []});
        assert_eq!(to_string(&v), "a:\n-\n  - 1\n  - 2\n- []\n- {}\nb: []\n");
    }
}
