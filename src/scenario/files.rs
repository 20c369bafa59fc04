//! From paths to document texts: directories expanded to their YAML files (sorted), files
//! read as UTF-8, and each file split into its `---`-separated documents with the file line
//! each starts on.

use std::fs;
use std::path::{Path, PathBuf};

use super::yaml::LoadError;

/// Deepest directory recursion in [`expand_paths`] (guards against symlink loops).
const MAX_DIR_DEPTH: usize = 32;

// Paths

/// Expand arguments: files as given; directories -> every `*.yaml` / `*.yml`
/// inside, recursively (hidden entries skipped), sorted by path. Missing path -> [`LoadError`].
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        expand_one(p, &mut out)?;
    }
    Ok(out)
}

pub(super) fn expand_one(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let meta =
        fs::metadata(path).map_err(|e| LoadError::in_file(path, format!("cannot open: {e}")))?;
    if meta.is_dir() {
        let mut found = Vec::new();
        walk(path, 0, &mut found)?;
        found.sort();
        out.extend(found);
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    if depth > MAX_DIR_DEPTH {
        return Err(LoadError::in_file(
            dir,
            "directories nested too deeply (symlink loop?)",
        ));
    }
    let entries = fs::read_dir(dir)
        .map_err(|e| LoadError::in_file(dir, format!("cannot read directory: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| LoadError::in_file(dir, format!("cannot read directory: {e}")))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let meta = fs::metadata(&path)
            .map_err(|e| LoadError::in_file(&path, format!("cannot open: {e}")))?;
        if meta.is_dir() {
            walk(&path, depth + 1, found)?;
        } else if is_yaml_name(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_yaml_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Split a YAML stream into documents (text + 1-based first line), on lines
/// that start with `---` (alone or followed by whitespace/comment/content) and
/// `...` document-end lines; empty/comment-only documents are dropped.
///
/// Leading blank, comment and bare `---` lines are trimmed from each document
/// (unless it has `%` directives), so the first line is normally the first
/// line of content. Line breaks are normalised to `\n`.
pub fn split_documents(text: &str) -> Vec<(String, u32)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = Vec::new();
    let mut chunk = Chunk::new(1);
    for (index, line) in split_lines(text).into_iter().enumerate() {
        let number = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
        if is_marker(line, "---") {
            if chunk.open || !chunk.has_directive {
                let done = std::mem::replace(&mut chunk, Chunk::new(number));
                done.finish(&mut docs);
            }
            chunk.lines.push(line);
            chunk.open = true;
        } else if is_marker(line, "...") {
            chunk.lines.push(line);
            let done = std::mem::replace(&mut chunk, Chunk::new(number.saturating_add(1)));
            done.finish(&mut docs);
        } else {
            if !chunk.open && line.starts_with('%') {
                chunk.has_directive = true;
            } else if !is_blank_or_comment(line) {
                chunk.open = true;
            }
            chunk.lines.push(line);
        }
    }
    chunk.finish(&mut docs);
    docs
}

struct Chunk<'a> {
    start: u32,
    lines: Vec<&'a str>,
    open: bool,
    has_directive: bool,
}

impl<'a> Chunk<'a> {
    fn new(start: u32) -> Self {
        Chunk {
            start,
            lines: Vec::new(),
            open: false,
            has_directive: false,
        }
    }

    fn finish(self, docs: &mut Vec<(String, u32)>) {
        let has_content = self.lines.iter().any(|l| {
            !(is_blank_or_comment(l)
                || is_bare_marker(l)
                || is_marker(l, "...")
                || l.starts_with('%'))
        });
        if !has_content {
            return;
        }
        let skip = if self.has_directive {
            0
        } else {
            self.lines
                .iter()
                .take_while(|l| is_blank_or_comment(l) || is_bare_marker(l))
                .count()
        };
        let rest = self.lines.get(skip..).unwrap_or_default();
        let mut text = rest.join("\n");
        text.push('\n');
        let start = self
            .start
            .saturating_add(u32::try_from(skip).unwrap_or(u32::MAX));
        docs.push((text, start));
    }
}

/// Splits on `\n`, `\r\n` and lone `\r` (YAML line breaks).
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') => {
                lines.push(text.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            Some(b'\r') => {
                lines.push(text.get(start..i).unwrap_or_default());
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(text.get(start..).unwrap_or_default());
    }
    lines
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn is_bare_marker(line: &str) -> bool {
    line.strip_prefix("---").is_some_and(|rest| {
        let rest = rest.trim_start_matches([' ', '\t']);
        rest.is_empty() || (rest.starts_with('#') && is_marker(line, "---"))
    })
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t', '\u{feff}']);
    t.is_empty() || t.starts_with('#')
}

/// A file's text; an error names the line of the first byte that is not UTF-8.
pub(super) fn read_text(file: &Path) -> Result<String, LoadError> {
    let bytes =
        fs::read(file).map_err(|e| LoadError::in_file(file, format!("cannot open: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .unwrap_or_default();
        let line = valid
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            .saturating_add(1);
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        LoadError::at(file, line, 0, "", "file is not valid UTF-8")
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::write;
    use super::*;

    #[test]
    fn split_basic_stream() {
        let docs =
            split_documents("# c\n---\na: 1\n---\n# only comment\n--- # x\nb: 2\n...\n---\n\n");
        assert_eq!(
            docs,
            vec![("a: 1\n".to_string(), 3), ("b: 2\n...\n".to_string(), 7)]
        );
    }

    #[test]
    fn split_keeps_marker_with_content_and_directives() {
        let docs = split_documents(
            "%YAML 1.2\n---\na: 1\n--- |\n  text\n...\n%TAG ! tag:x,2000:\n--- !foo\nk: v\n",
        );
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], ("%YAML 1.2\n---\na: 1\n".to_string(), 1));
        assert_eq!(docs[1], ("--- |\n  text\n...\n".to_string(), 4));
        assert_eq!(docs[2].1, 7);
    }

    #[test]
    fn split_handles_crlf_cr_and_bom() {
        let docs = split_documents("\u{feff}a: 1\r\n---\r\nb: 2\rc: 3\r");
        assert_eq!(
            docs,
            vec![("a: 1\n".to_string(), 1), ("b: 2\nc: 3\n".to_string(), 3)]
        );
    }

    #[test]
    fn split_does_not_split_on_longer_dashes() {
        let docs = split_documents("a: |\n  x\n----\n");
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn directory_expansion_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.yaml", "kind: Namespace\n");
        write(dir.path(), "a/z.yml", "kind: Namespace\n");
        write(dir.path(), "a/y.YAML", "kind: Namespace\n");
        write(dir.path(), "c.txt", "nope");
        write(dir.path(), ".hidden/x.yaml", "kind: Namespace\n");
        let single = write(dir.path(), "other.json", "{}");
        let got = expand_paths(&[dir.path().to_path_buf(), single.clone()]).unwrap();
        let rel: Vec<_> = got
            .iter()
            .map(|p| {
                p.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(rel, ["a/y.YAML", "a/z.yml", "b.yaml", "other.json"]);
    }
}
