//! Where a run's files may go, and what may be replaced there.
//!
//! A run writes only into a directory that does not exist yet, an empty one, or one that an
//! earlier kubesim run of the same kind wrote (recognised by its marker file and by holding
//! nothing but the files kubesim writes). Any other directory is refused unless the user
//! forces it, and even then only kubesim's own files are written there: nothing kubesim did
//! not make is ever deleted. The working directory, a directory above it and a directory
//! holding an input file are refused whatever the flags.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// What kind of output directory a command writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// `kubesim run`.
    Run,
    /// `kubesim compare`.
    Comparison,
}

impl OutputKind {
    /// Every file this kind of directory may hold.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            OutputKind::Run => &[
                "pods.csv",
                "events.csv",
                "metrics.csv",
                "scheduling.jsonl",
                "hpa.jsonl",
                "scenario.resolved.txt",
                "summary.json",
                "report.html",
            ],
            OutputKind::Comparison => &["runs.csv", "comparison.csv", "pending.csv", "report.html"],
        }
    }

    /// The directories this kind may hold: `plots/`, of PNG and SVG files only.
    pub fn dirs(self) -> &'static [&'static str] {
        &[PLOTS]
    }

    /// Whether `entry` (a name in the directory) is one kubesim writes: one of its files, or
    /// a `plots/` holding nothing but the plots its index lists.
    fn is_ours(self, dir: &Path, name: &str) -> io::Result<bool> {
        let path = dir.join(name);
        let kind = fs::symlink_metadata(&path)?.file_type();
        if kind.is_file() {
            return Ok(self.files().contains(&name));
        }
        if kind.is_dir() && self.dirs().contains(&name) {
            return Ok(unlisted_plots(&path)?.is_some_and(|u| u.is_empty()));
        }
        Ok(false)
    }

    /// The file that marks a directory as written by this kind, and text it always holds.
    fn marker(self) -> (&'static str, &'static str) {
        match self {
            OutputKind::Run => ("summary.json", "\"output_sha256\""),
            OutputKind::Comparison => ("comparison.csv", "scheduler,metric,mean"),
        }
    }
}

/// The directory of plots in a run's or a comparison's output.
pub const PLOTS: &str = "plots";

/// The file in `plots/` that lists the plots kubesim wrote there, one name per line.
pub const PLOTS_INDEX: &str = "index.txt";

/// The plots `plots/`'s index lists (none without an index).
fn listed_plots(dir: &Path) -> io::Result<Vec<String>> {
    match fs::read_to_string(dir.join(PLOTS_INDEX)) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| !l.is_empty() && !l.contains('/') && *l != "." && *l != "..")
            .map(String::from)
            .collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The entries of `plots/` that kubesim did not write (sorted), or `None` when it has no
/// index (then nothing in it is kubesim's).
fn unlisted_plots(dir: &Path) -> io::Result<Option<Vec<String>>> {
    if !dir.join(PLOTS_INDEX).is_file() {
        return Ok(None);
    }
    let listed = listed_plots(dir)?;
    let mut unlisted = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = entry.file_type()?.is_file() && (name == PLOTS_INDEX || listed.contains(&name));
        if !ours {
            unlisted.push(name);
        }
    }
    unlisted.sort();
    Ok(Some(unlisted))
}

/// Removes the plots `plots/`'s index lists, and the index; the directory too if nothing
/// else is left in it.
fn remove_plots(dir: &Path) -> io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for name in listed_plots(dir)? {
        remove_file(&dir.join(name))?;
    }
    remove_file(&dir.join(PLOTS_INDEX))?;
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        // Someone else's files are still in it: it stays.
        Err(_) if fs::read_dir(dir)?.next().is_some() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes a file if it is there.
fn remove_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What is at the destination before the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Nothing: the directory will be created.
    Absent,
    /// An empty directory.
    Empty,
    /// The files of an earlier run of the same kind, and nothing else.
    PreviousRun,
    /// Other files (their names, sorted): written into only when forced.
    Foreign(Vec<String>),
}

/// Checks that `dest` may receive the outputs of `kind`, before anything runs.
///
/// `inputs` are the scenario paths the command read. Returns what is there now.
pub fn check(
    dest: &Path,
    kind: OutputKind,
    inputs: &[PathBuf],
    force: bool,
) -> Result<Existing, String> {
    let shown = dest.display();
    let resolved = resolve(dest).map_err(|e| format!("{shown}: {e}"))?;
    if let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize())
        && cwd.starts_with(&resolved)
    {
        let what = if cwd == resolved {
            "is the working directory"
        } else {
            "is a directory above the working directory"
        };
        return Err(format!(
            "{shown} {what}; a run writes only into a directory of its own (e.g. --out results/my-run)"
        ));
    }
    for input in inputs {
        if let Ok(input) = resolve(input)
            && input.starts_with(&resolved)
        {
            return Err(format!(
                "{shown} holds the input {}; choose an output directory apart from the scenario",
                input.display()
            ));
        }
    }
    let existing = inspect(&resolved, kind).map_err(|e| format!("{shown}: {e}"))?;
    if let Existing::Foreign(names) = &existing
        && !force
    {
        return Err(format!(
            "{shown} exists and was not written by kubesim (it holds {}); choose another \
             --out, or pass --force to write kubesim's files into it and leave the others alone",
            list(names)
        ));
    }
    Ok(existing)
}

/// Classifies what is at `dir`.
pub fn inspect(dir: &Path, kind: OutputKind) -> io::Result<Existing> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Err(io::Error::other("exists and is not a directory"));
    }
    let mut foreign = Vec::new();
    let mut any = false;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        any = true;
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_ours(dir, &name)? {
            continue;
        }
        match unlisted_plots(&dir.join(&name)) {
            Ok(Some(unlisted)) if kind.dirs().contains(&name.as_str()) => {
                foreign.extend(unlisted.into_iter().map(|u| format!("{name}/{u}")));
            }
            _ => foreign.push(name),
        }
    }
    if !any {
        return Ok(Existing::Empty);
    }
    let (marker, text) = kind.marker();
    let marked = fs::read_to_string(dir.join(marker)).is_ok_and(|s| s.contains(text));
    if foreign.is_empty() && marked {
        return Ok(Existing::PreviousRun);
    }
    if !marked && foreign.is_empty() {
        // kubesim's file names without its marker: somebody else's files.
        foreign = kind
            .files()
            .iter()
            .filter(|f| dir.join(f).exists())
            .map(|f| f.to_string())
            .collect();
    }
    foreign.sort();
    Ok(Existing::Foreign(foreign))
}

/// Moves the finished files of `tmp` (a directory kubesim made) to `dest`.
///
/// A new or empty destination receives the whole directory in one rename. Otherwise each file
/// replaces its namesake (and `plots/` the old `plots/`), the marker last. With
/// [`Install::Everything`], files of an earlier run that this one did not write again are
/// removed; nothing else is touched.
pub fn install(tmp: &Path, dest: &Path, kind: OutputKind, what: Install) -> io::Result<()> {
    let existing = inspect(dest, kind)?;
    if matches!(existing, Existing::Absent | Existing::Empty) {
        return fs::rename(tmp, dest);
    }
    let (marker, _) = kind.marker();
    let mut written: Vec<String> = Vec::new();
    for entry in fs::read_dir(tmp)? {
        written.push(entry?.file_name().to_string_lossy().into_owned());
    }
    written.sort_by_key(|n| n == marker);
    if existing == Existing::PreviousRun && what == Install::Everything {
        for stale in kind.files() {
            if !written.iter().any(|w| w == stale) {
                remove_file(&dest.join(stale))?;
            }
        }
        for stale in kind.dirs() {
            if !written.iter().any(|w| w == stale) {
                remove_plots(&dest.join(stale))?;
            }
        }
    }
    for name in &written {
        let (from, target) = (tmp.join(name), dest.join(name));
        if kind.dirs().contains(&name.as_str()) && target.is_dir() {
            // kubesim's old plots make way; anything else in the directory stays.
            remove_plots(&target)?;
            if target.is_dir() {
                for entry in fs::read_dir(&from)? {
                    let file = entry?.file_name();
                    fs::rename(from.join(&file), target.join(&file))?;
                }
                fs::remove_dir(&from)?;
                continue;
            }
        }
        fs::rename(from, target)?;
    }
    fs::remove_dir(tmp)
}

/// What [`install`] replaces at a destination that holds an earlier run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Install {
    /// The whole run: kubesim files not written again are removed.
    Everything,
    /// Only the files written (`kubesim plot`: the plots and the report).
    Written,
}

/// Removes the temporary directories that killed kubesim runs left beside `dest`
/// (`.NAME.tmp-PID` whose process is gone, holding only kubesim's files).
pub fn sweep_debris(dest: &Path, kind: OutputKind) {
    let (Some(parent), Some(base)) = (dest.parent(), dest.file_name()) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!(".{}.tmp-", base.to_string_lossy());
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(&prefix) else {
            continue;
        };
        let alive = pid.parse::<u32>().map_or(true, process_alive);
        if alive {
            continue;
        }
        let path = entry.path();
        let only_ours = fs::read_dir(&path).is_ok_and(|files| {
            files.flatten().all(|f| {
                let n = f.file_name().to_string_lossy().into_owned();
                kind.is_ours(&path, &n).unwrap_or(false)
            })
        });
        if only_ours {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Whether a process with this id is running (always true where that cannot be told).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || pid == std::process::id() || proc.join(pid.to_string()).exists()
}

/// The absolute path `path` names: its longest existing prefix with symbolic links resolved,
/// then the rest with `.` and `..` applied.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest: Vec<Component> = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(base) => {
                let mut out = base;
                for c in rest.into_iter().rev() {
                    match c {
                        Component::ParentDir => {
                            out.pop();
                        }
                        Component::CurDir => {}
                        other => out.push(other),
                    }
                }
                return Ok(out);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(last)) =
                    (existing.parent(), existing.components().next_back())
                else {
                    return Err(e);
                };
                rest.push(last);
                existing = parent;
            }
            Err(e) => return Err(e),
        }
    }
}

/// `a, b and 3 more`.
fn list(names: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str, text: &str) {
        fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn classifies_what_is_there() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("run");
        assert_eq!(inspect(&d, OutputKind::Run).unwrap(), Existing::Absent);
        fs::create_dir(&d).unwrap();
        assert_eq!(inspect(&d, OutputKind::Run).unwrap(), Existing::Empty);
        touch(&d, "pods.csv", "x");
        // kubesim's names without the marker are somebody else's.
        assert_eq!(
            inspect(&d, OutputKind::Run).unwrap(),
            Existing::Foreign(vec!["pods.csv".into()])
        );
        touch(&d, "summary.json", "{\"output_sha256\": \"ab\"}");
        assert_eq!(inspect(&d, OutputKind::Run).unwrap(), Existing::PreviousRun);
        touch(&d, "notes.md", "mine");
        assert_eq!(
            inspect(&d, OutputKind::Run).unwrap(),
            Existing::Foreign(vec!["notes.md".into()])
        );
        touch(root.path(), "file", "");
        assert!(inspect(&root.path().join("file"), OutputKind::Run).is_err());
    }

    #[test]
    fn refuses_foreign_directories_unless_forced() {
        let root = tempfile::tempdir().unwrap();
        touch(root.path(), "BENCHMARKS.md", "figures");
        let err = check(root.path(), OutputKind::Run, &[], false).unwrap_err();
        assert!(
            err.contains("was not written by kubesim (it holds BENCHMARKS.md)"),
            "{err}"
        );
        assert!(err.contains("--force"), "{err}");
        assert_eq!(
            check(root.path(), OutputKind::Run, &[], true).unwrap(),
            Existing::Foreign(vec!["BENCHMARKS.md".into()])
        );
    }

    #[test]
    fn refuses_a_directory_holding_an_input() {
        let root = tempfile::tempdir().unwrap();
        let input = root.path().join("s.yaml");
        touch(root.path(), "s.yaml", "");
        let err = check(root.path(), OutputKind::Run, &[input], true).unwrap_err();
        assert!(err.contains("holds the input"), "{err}");
    }

    #[test]
    fn refuses_the_working_directory_and_its_parents() {
        for dest in [".", "..", "/", "./x/../.."] {
            let err = check(Path::new(dest), OutputKind::Run, &[], true).unwrap_err();
            assert!(err.contains("working directory"), "{dest}: {err}");
        }
    }

    #[test]
    fn install_replaces_only_kubesim_files() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("out");
        fs::create_dir(&dest).unwrap();
        touch(&dest, "summary.json", "\"output_sha256\" old");
        touch(&dest, "scheduling.jsonl", "old");
        touch(&dest, "notes.md", "mine");
        let tmp = root.path().join(".out.tmp-1");
        fs::create_dir(&tmp).unwrap();
        touch(&tmp, "pods.csv", "new");
        touch(&tmp, "summary.json", "\"output_sha256\" new");
        install(&tmp, &dest, OutputKind::Run, Install::Everything).unwrap();
        assert!(!tmp.exists());
        assert_eq!(fs::read_to_string(dest.join("notes.md")).unwrap(), "mine");
        assert_eq!(fs::read_to_string(dest.join("pods.csv")).unwrap(), "new");
        // Foreign files present: a stale kubesim file is not removed either.
        assert!(dest.join("scheduling.jsonl").exists());

        fs::remove_file(dest.join("notes.md")).unwrap();
        fs::create_dir(&tmp).unwrap();
        touch(&tmp, "summary.json", "\"output_sha256\" newer");
        install(&tmp, &dest, OutputKind::Run, Install::Everything).unwrap();
        let mut left: Vec<String> = fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["summary.json"]);
    }

    #[test]
    fn sweeps_only_dead_runs_debris() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("out");
        let dead = root.path().join(".out.tmp-4000000000");
        let alive = root.path().join(format!(".out.tmp-{}", std::process::id()));
        let other = root.path().join(".out.tmp-4000000001");
        for d in [&dead, &alive, &other] {
            fs::create_dir(d).unwrap();
            touch(d, "pods.csv", "");
        }
        touch(&other, "mine.txt", "");
        sweep_debris(&dest, OutputKind::Run);
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(other.exists());
    }
}
