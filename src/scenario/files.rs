//! From paths to document texts: directories expanded to their YAML files (sorted), files
//! read as UTF-8, and each file split into its `---`-separated documents with the file line
//! each starts on.

use std::borrow::Cow;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::yaml::LoadError;

/// Deepest directory recursion in [`expand_paths`].
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
        let mut ancestors = Vec::new();
        walk(path, &mut ancestors, &mut found)?;
        found.sort();
        // A directory reached twice through links gives its files once.
        let mut seen = std::collections::BTreeSet::new();
        found.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
        out.extend(found);
    } else {
        check_regular(path, &meta)?;
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// A file to read must be a regular file: reading a FIFO or a device would wait forever or
/// never end.
fn check_regular(path: &Path, meta: &fs::Metadata) -> Result<(), LoadError> {
    if meta.is_file() {
        return Ok(());
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else {
            "not a file"
        }
    };
    #[cfg(not(unix))]
    let what = "not a file";
    Err(LoadError::in_file(
        path,
        format!("cannot read: it is {what}, not a regular file"),
    ))
}

/// Collects the YAML files under `dir`; `ancestors` are the directories (resolved) being
/// walked, so that a link back to one of them is reported as the loop it is.
fn walk(
    dir: &Path,
    ancestors: &mut Vec<PathBuf>,
    found: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let real = dir
        .canonicalize()
        .map_err(|e| LoadError::in_file(dir, format!("cannot open: {e}")))?;
    if let Some(up) = ancestors.iter().find(|a| **a == real) {
        return Err(LoadError::in_file(
            dir,
            format!(
                "symbolic link loop: this directory is {}, which contains it",
                up.display()
            ),
        ));
    }
    if ancestors.len() > MAX_DIR_DEPTH {
        return Err(LoadError::in_file(dir, "directories nested too deeply"));
    }
    ancestors.push(real);
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
            walk(&path, ancestors, found)?;
        } else if is_yaml_name(&path) {
            check_regular(&path, &meta)?;
            found.push(path);
        }
    }
    ancestors.pop();
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
    let text = normalize(text);
    split_ranges(&text)
        .into_iter()
        .map(|(range, line)| {
            let mut doc = text[range].to_string();
            if !doc.ends_with('\n') {
                doc.push('\n');
            }
            (doc, line)
        })
        .collect()
}

/// The text with a leading byte-order mark dropped and every line break (`\r\n`, `\r`)
/// written `\n`; borrowed when it has neither.
pub fn normalize(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// [`split_documents`] of a [`normalize`]d text, as byte ranges of it (each ending after its
/// last line break, if it has one) with their first lines.
pub fn split_ranges(text: &str) -> Vec<(Range<usize>, u32)> {
    let mut docs = Vec::new();
    let mut chunk = Chunk::new(1, 0);
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
        let end = offset + line.len();
        let line = line.strip_suffix('\n').unwrap_or(line);
        if is_marker(line, "---") {
            if chunk.open || !chunk.has_directive {
                let done = std::mem::replace(&mut chunk, Chunk::new(number, offset));
                done.finish(&mut docs);
            }
            chunk.push(line, number, offset, end);
            chunk.open = true;
        } else if is_marker(line, "...") {
            chunk.push(line, number, offset, end);
            let done = std::mem::replace(&mut chunk, Chunk::new(number.saturating_add(1), end));
            done.finish(&mut docs);
        } else {
            if !chunk.open && line.starts_with('%') {
                chunk.has_directive = true;
            } else if !is_blank_or_comment(line) {
                chunk.open = true;
            }
            chunk.push(line, number, offset, end);
        }
        offset = end;
    }
    chunk.finish(&mut docs);
    docs
}

/// The lines of one document being gathered.
struct Chunk {
    /// Line and offset of its first line.
    start: (u32, usize),
    /// Line and offset of its first line that is not blank, a comment or a bare `---`.
    content: Option<(u32, usize)>,
    /// Where its last line ends.
    end: usize,
    /// Whether it has a line of content.
    has_content: bool,
    open: bool,
    has_directive: bool,
}

impl Chunk {
    fn new(line: u32, offset: usize) -> Self {
        Chunk {
            start: (line, offset),
            content: None,
            end: offset,
            has_content: false,
            open: false,
            has_directive: false,
        }
    }

    fn push(&mut self, line: &str, number: u32, offset: usize, end: usize) {
        if self.content.is_none() && !(is_blank_or_comment(line) || is_bare_marker(line)) {
            self.content = Some((number, offset));
        }
        self.has_content |= !(is_blank_or_comment(line)
            || is_bare_marker(line)
            || is_marker(line, "...")
            || line.starts_with('%'));
        self.end = end;
    }

    fn finish(self, docs: &mut Vec<(Range<usize>, u32)>) {
        if !self.has_content {
            return;
        }
        let (line, offset) = if self.has_directive {
            self.start
        } else {
            self.content.unwrap_or(self.start)
        };
        docs.push((offset..self.end, line));
    }
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

    #[cfg(unix)]
    #[test]
    fn links_and_special_files_are_refused_clearly() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "s/a.yaml", "kind: Namespace\n");
        // A link back to an enclosing directory is a loop, said as one.
        symlink(d.join("s"), d.join("s/again")).unwrap();
        let e = expand_paths(&[d.join("s")]).unwrap_err().to_string();
        assert!(e.contains("symbolic link loop"), "{e}");
        std::fs::remove_file(d.join("s/again")).unwrap();
        // A directory reached twice gives its files once.
        write(d, "t/b.yaml", "kind: Namespace\n");
        symlink(d.join("t"), d.join("s/t1")).unwrap();
        symlink(d.join("t"), d.join("s/t2")).unwrap();
        assert_eq!(expand_paths(&[d.join("s")]).unwrap().len(), 2);
        // A file linked to itself.
        symlink(d.join("self.yaml"), d.join("self.yaml")).unwrap();
        let e = expand_paths(&[d.join("self.yaml")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic links"), "{e}");
        // A FIFO would block a reader forever.
        let fifo = d.join("pipe.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = expand_paths(&[fifo]).unwrap_err().to_string();
            assert!(e.contains("it is a FIFO, not a regular file"), "{e}");
        }
    }
}
