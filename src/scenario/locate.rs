//! Positions for errors found after parsing: resolution knows a field's path but not always
//! where it is (labels, names and other plain fields carry no position). Once loading has
//! failed, each such error's document is read again and the field found by its path, or the
//! nearest enclosing field that is there (a missing field is shown at its parent).

use super::files::{read_text, split_documents};
use super::schema::walk;
use super::yaml::{LoadError, Location, abs_line};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Gives every error without a column the position of its field, where it can be found.
pub(super) fn errors(errors: &mut [LoadError]) {
    // Each file is read and split once, however many errors it has.
    let mut docs: BTreeMap<PathBuf, Option<Vec<(String, u32)>>> = BTreeMap::new();
    for e in errors.iter_mut() {
        let Some(loc) = &e.location else {
            continue;
        };
        if loc.column != 0 || e.path.is_empty() {
            continue;
        }
        let split = docs
            .entry(e.file.clone())
            .or_insert_with(|| read_text(&e.file).ok().map(|t| split_documents(&t)));
        let Some(doc) = split
            .as_ref()
            .and_then(|d| d.iter().find(|(_, first)| *first == loc.line))
        else {
            continue;
        };
        if let Some((line, column)) = find(&doc.0, &e.path) {
            e.location = Some(Location {
                file: e.file.clone(),
                line: abs_line(doc.1, u64::from(line)),
                column,
            });
        }
    }
}

/// The position of `path`, or of the nearest enclosing field present.
fn find(doc: &str, path: &str) -> Option<(u32, u32)> {
    let mut p = path;
    loop {
        if let Some(found) = walk::locate(doc, p) {
            return Some(found);
        }
        let cut = p.rfind(['.', '['])?;
        p = &p[..cut];
    }
}

/// Orders errors as they appear: files in the order first named, then by line and column
/// (the order is stable, so errors at one place keep the order they were found in).
pub(super) fn sort(errors: &mut [LoadError]) {
    let mut files: Vec<PathBuf> = Vec::new();
    for e in errors.iter() {
        if !files.contains(&e.file) {
            files.push(e.file.clone());
        }
    }
    errors.sort_by_key(|e| {
        let file = files.iter().position(|f| *f == e.file);
        let (line, column) = e.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
        (file, line, column)
    });
}
