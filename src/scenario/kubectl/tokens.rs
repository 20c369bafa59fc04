//! A kubectl command line split into words, as a shell would (quotes and backslashes), and
//! its flags read as kubectl's flag library reads them (`--name=value`, `--name value`,
//! `-n value`, `-nvalue`, boolean flags alone).

use std::collections::BTreeMap;

/// Splits `line` into words: whitespace separates, `'...'` and `"..."` quote, `\` escapes.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => word.extend(chars.next()),
                        Some(x) => word.push(x),
                        None => return Err(format!("unterminated {c} quote")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A flag a command takes: its long name, its one-letter short name, and whether it takes
/// a value.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    /// `--long`.
    pub long: &'static str,
    /// `-s`.
    pub short: Option<char>,
    /// Whether it takes a value (boolean flags take `--flag=false` too).
    pub value: bool,
}

/// Shorthand for a flag table entry.
pub const fn flag(long: &'static str, short: Option<char>, value: bool) -> Flag {
    Flag { long, short, value }
}

/// The words that are not flags, and the flags given (by long name; the last one wins,
/// except that a flag given several times keeps every value in `repeated`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// Positional words, in order.
    pub positional: Vec<String>,
    /// Flag values by long name (`"true"` for a boolean flag given alone).
    pub flags: BTreeMap<&'static str, String>,
}

impl Args {
    /// The value of a flag.
    pub fn get(&self, long: &str) -> Option<&str> {
        self.flags.get(long).map(String::as_str)
    }

    /// A boolean flag: given alone or `=true`.
    pub fn on(&self, long: &str) -> Result<bool, String> {
        match self.get(long) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(format!(
                "invalid argument {v:?} for \"--{long}\" flag: parse error"
            )),
        }
    }
}

/// Reads `words` against the flags a command takes (kubectl's error for another flag).
pub fn parse(words: &[String], flags: &[Flag]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "--" {
            args.positional.extend(words[i..].iter().cloned());
            break;
        }
        let (f, inline) = if let Some(long) = w.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let f = flags
                .iter()
                .find(|f| f.long == name)
                .ok_or_else(|| format!("unknown flag: --{name}"))?;
            (f, inline)
        } else if let Some(short) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            let c = short.chars().next().unwrap_or('-');
            let f = flags
                .iter()
                .find(|f| f.short == Some(c))
                .ok_or_else(|| format!("unknown shorthand flag: '{c}' in {w}"))?;
            let rest = &short[c.len_utf8()..];
            let inline = match rest.strip_prefix('=') {
                Some(v) => Some(v.to_string()),
                None if rest.is_empty() => None,
                None => Some(rest.to_string()),
            };
            (f, inline)
        } else {
            args.positional.push(w.clone());
            continue;
        };
        let value = match (inline, f.value) {
            (Some(v), _) => v,
            (None, false) => "true".to_string(),
            (None, true) => {
                let v = words
                    .get(i)
                    .ok_or_else(|| format!("flag needs an argument: --{}", f.long))?;
                i += 1;
                v.clone()
            }
        };
        args.flags.insert(f.long, value);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        split(s).unwrap()
    }

    #[test]
    fn words_split_as_a_shell_splits_them() {
        assert_eq!(
            w("scale  deployment/web --replicas=3"),
            ["scale", "deployment/web", "--replicas=3"]
        );
        assert_eq!(
            w(r#"label pod p 'a=b c' "d=\"e\"" f\ g"#),
            ["label", "pod", "p", "a=b c", "d=\"e\"", "f g"]
        );
        assert!(split("set image 'x").is_err());
        assert!(w("").is_empty());
    }

    #[test]
    fn flags_take_values_every_way_kubectl_does() {
        const FLAGS: [Flag; 3] = [
            flag("namespace", Some('n'), true),
            flag("replicas", None, true),
            flag("overwrite", None, false),
        ];
        for line in [
            "a -n prod b --replicas=3",
            "a --namespace prod b --replicas 3",
            "a -nprod b --replicas=3",
            "a -n=prod b --replicas=3",
        ] {
            let args = parse(&w(line), &FLAGS).unwrap();
            assert_eq!(args.positional, ["a", "b"], "{line}");
            assert_eq!(args.get("namespace"), Some("prod"), "{line}");
            assert_eq!(args.get("replicas"), Some("3"), "{line}");
        }
        let args = parse(&w("x --overwrite"), &FLAGS).unwrap();
        assert_eq!(args.on("overwrite"), Ok(true));
        assert_eq!(
            parse(&w("x --force"), &FLAGS).unwrap_err(),
            "unknown flag: --force"
        );
        assert_eq!(
            parse(&w("x -f y"), &FLAGS).unwrap_err(),
            "unknown shorthand flag: 'f' in -f"
        );
        assert_eq!(
            parse(&w("x --replicas"), &FLAGS).unwrap_err(),
            "flag needs an argument: --replicas"
        );
    }
}
