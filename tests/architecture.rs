//! The architecture's invariants, checked on the sources (README, "Design"):
//! - imports go one way, in floors: a module imports only modules on lower floors;
//! - `output/` reads what `observe/` hands it, and no other module above the API types;
//! - `report/` reads the run's files through `output/`'s formats, nothing of the simulation;
//! - no function is longer than 150 lines;
//! - rustfmt formats every line: no line of code runs past the width rustfmt keeps (a line
//!   longer than 100 characters is a string literal rustfmt cannot break, or code rustfmt
//!   gave up on, which this test refuses).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module and its floor, bottom first.
const FLOORS: &[(&str, u8)] = &[
    ("engine", 0),
    ("yaml", 0),
    ("api", 1),
    ("store", 2),
    ("scenario", 2),
    ("component", 3),
    ("scheduler", 4),
    ("controllers", 4),
    ("node", 4),
    ("workload", 4),
    ("observe", 4),
    ("world", 5),
    ("output", 5),
    ("report", 6),
    ("cli", 7),
];

/// What `output/` may import.
const OUTPUT_READS: &[&str] = &["engine", "api", "observe"];

/// What `report/` may import: the file formats, nothing of the simulation (it draws from the
/// written files alone).
const REPORT_READS: &[&str] = &["output"];

/// The longest function allowed, in lines.
const MAX_FUNCTION_LINES: usize = 150;

/// rustfmt's `max_width`.
const MAX_WIDTH: usize = 100;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every source file of the crate, by the top-level module it belongs to (`lib`, `main` for
/// the roots).
fn sources() -> BTreeMap<String, Vec<(PathBuf, String)>> {
    let src = repo().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut by_module: BTreeMap<String, Vec<(PathBuf, String)>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        by_module.entry(module).or_default().push((f, text));
    }
    by_module
}

/// The text with every string literal's contents blanked and every comment removed (line
/// breaks kept), so that only code remains.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                // A raw string (r"..." or r#"..."#) ends at the quote and as many hashes.
                let hashes = text[..i].chars().rev().take_while(|&c| c == '#').count();
                let raw = text[..i - hashes].ends_with('r')
                    && !text[..i - hashes]
                        .trim_end_matches('r')
                        .ends_with(|c: char| c.is_alphanumeric() || c == '_');
                out.push('"');
                i += 1;
                while i < b.len() {
                    if b[i] == b'\n' {
                        out.push('\n');
                    } else if !raw && b[i] == b'\\' {
                        i += 1; // the escaped character (a line break stays one)
                        if b.get(i) == Some(&b'\n') {
                            out.push('\n');
                        }
                    } else if b[i] == b'"'
                        && (!raw || text[i + 1..].starts_with(&"#".repeat(hashes)))
                    {
                        break;
                    }
                    i += 1;
                }
                out.push('"');
                i += 1;
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                // A char literal ('"', '\'', '\n'); lifetimes have no closing quote.
                let end = text[i + 1..].find('\'').map_or(i + 1, |e| i + 1 + e);
                let end = if b.get(i + 1) == Some(&b'\\') {
                    text[i + 3..].find('\'').map_or(end, |e| i + 3 + e)
                } else {
                    end
                };
                out.push_str("' '");
                i = end + 1;
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    out
}

/// The top-level modules a file's code names as `crate::<module>`.
fn imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` in a macro, or part of a longer name
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

#[test]
fn imports_go_one_way_in_floors() {
    let floor: BTreeMap<&str, u8> = FLOORS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, files) in sources() {
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(&own) = floor.get(module.as_str()) else {
            wrong.push(format!("src/{module} has no floor in this test's FLOORS"));
            continue;
        };
        for (path, text) in files {
            for import in imports(&code_only(&text)) {
                if import == module {
                    continue;
                }
                let Some(&theirs) = floor.get(import.as_str()) else {
                    wrong.push(format!("{}: crate::{import} has no floor", path.display()));
                    continue;
                };
                if theirs >= own {
                    wrong.push(format!(
                        "{} (floor {own}) imports crate::{import} (floor {theirs})",
                        path.display()
                    ));
                }
                if module == "report" && !REPORT_READS.contains(&import.as_str()) {
                    wrong.push(format!(
                        "{}: report reads the run's files, not crate::{import}",
                        path.display()
                    ));
                }
                if module == "output" && !OUTPUT_READS.contains(&import.as_str()) {
                    wrong.push(format!(
                        "{}: output reads observe, not crate::{import}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_import_scan_sees_code_only() {
    let code = code_only(
        "//! see crate::world\nuse crate::api::Pod; // crate::cli\nlet s = \"crate::store\";\n\
         $crate::engine::x(); let c = '\"'; crate::store::Store::new();\n",
    );
    assert_eq!(imports(&code), ["api", "store"]);
    let raw = code_only("let r = r#\"a \"quoted\" crate::cli\"#; crate::node::x();");
    assert_eq!(imports(&raw), ["node"]);
    let continued = code_only("let s = \"a \\\n b\";\nx();\n");
    assert_eq!(continued.lines().count(), 3, "{continued:?}");
}

/// Functions (name, first line, length) of a rustfmt-formatted file: from the `fn` line to
/// the `}` at the same indentation.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let mut words = trimmed.split_whitespace().peekable();
        while words
            .peek()
            .is_some_and(|w| w.starts_with("pub") || *w == "const" || *w == "unsafe")
        {
            words.next();
        }
        if words.next() != Some("fn") {
            continue;
        }
        let name: String = words
            .next()
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_end();
            l.ends_with('{') || l.ends_with(';')
        }) else {
            continue;
        };
        if lines[open].trim_end().ends_with(';') {
            continue; // a declaration without a body
        }
        let close = format!("{indent}}}");
        if let Some(end) = (open + 1..lines.len()).find(|&j| lines[j] == close) {
            out.push((name, i + 1, end - i + 1));
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_150_lines() {
    let mut long = Vec::new();
    for files in sources().values() {
        for (path, text) in files {
            for (name, line, len) in functions(text) {
                if len > MAX_FUNCTION_LINES {
                    long.push(format!(
                        "{}:{line}: fn {name} has {len} lines",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

#[test]
fn the_function_scan_measures_bodies() {
    let text = "fn a() {\n    x();\n}\n\ntrait T {\n    fn b(&self);\n    fn c(\n        &self,\n    ) -> u8 {\n        1\n    }\n}\n";
    assert_eq!(
        functions(text),
        [("a".to_string(), 1, 3), ("c".to_string(), 7, 5)]
    );
}

#[test]
fn rustfmt_formats_every_line() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        rust_files(&repo().join(dir), &mut files);
    }
    let mut over = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = code_only(&text);
        for (i, (line, code_line)) in text.lines().zip(code.lines()).enumerate() {
            // A long line is fine when a string literal makes it long: rustfmt cannot break
            // one. Code alone past the width means rustfmt gave up on the statement.
            if line.chars().count() > MAX_WIDTH && code_line.trim().chars().count() > 60 {
                over.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    assert!(
        over.is_empty(),
        "rustfmt left these lines unformatted (break them up, or move code out of the macro \
         or string that stops it):\n{}",
        over.join("\n")
    );
}
