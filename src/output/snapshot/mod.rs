//! `kubesim run --snapshot FILE`: the cluster's end state as one `kind: List` in YAML, as
//! `kubectl get -o yaml` prints a cluster, which a later run (or `kubectl apply --dry-run`)
//! reads: every live object with its spec, metadata (uids, owner references, revisions) and
//! the status a snapshot carries (a running pod's start, scheduling, readiness and restarts;
//! workloads' replica counts and conditions; quota usage; an HPA's replicas, metrics and
//! conditions). Times are RFC 3339 instants on the run's clock (`spec.startTime` plus
//! simulated time).
//!
//! What a snapshot leaves out: finished pods and Jobs (a loader would run them again), deleted
//! objects, Events, an HPA controller's memory of its recent recommendations and rescales
//! (upstream loses it on a restart too), and the Simulation itself (node pools, arrivals,
//! traffic, the scheduler's configuration and the timeline belong to the run that continues).

mod autoscaling;
mod cluster;
mod pod;
mod workloads;

use super::yaml;
use crate::api::clock::format_rfc3339_ms;
use crate::api::duration::format_duration_ms;
use crate::api::volume::{AccessModes, PersistentVolumeClaimSpec};
use crate::engine::SimTime;
use crate::observe::snapshot::Cluster;
use pod::{Obj, meta, quantity};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The first line of every snapshot: a file that starts otherwise is not kubesim's and is
/// never replaced.
pub const HEADER: &str = "# kubesim snapshot";

/// Places simulated times on the wall clock.
pub(crate) struct Clock {
    /// `spec.startTime`: the instant of t = 0, ms since the epoch.
    start_unix_ms: i64,
}

impl Clock {
    /// The instant of simulated time `t`, in RFC 3339.
    fn instant(&self, t: SimTime) -> String {
        format_rfc3339_ms(self.start_unix_ms + t.ms())
    }
}

/// What the header says of the run.
pub struct About<'a> {
    /// The Simulation's name.
    pub simulation: &'a str,
    /// Its seed.
    pub seed: u64,
    /// `spec.startTime`, ms since the epoch.
    pub start_unix_ms: i64,
    /// The simulated time of the snapshot.
    pub at: SimTime,
}

/// The cluster as a `kind: List` document, with a header saying how to continue from it.
pub fn render(c: &Cluster, about: &About) -> String {
    let clock = Clock {
        start_unix_ms: about.start_unix_ms,
    };
    let clock = &clock;
    let mut items = Vec::new();
    for ns in c.namespaces {
        let m = meta(&ns.meta, clock, None).done();
        items.push(object("v1", "Namespace", m, json!({})));
    }
    items.extend(
        c.priority_classes
            .iter()
            .map(|pc| cluster::priority_class(pc)),
    );
    items.extend(
        c.storage_classes
            .iter()
            .map(|sc| cluster::storage_class(sc)),
    );
    items.extend(c.nodes.iter().map(|n| cluster::node(n, clock)));
    items.extend(c.volumes.iter().map(|v| cluster::volume(v, clock)));
    items.extend(c.claims.iter().map(|v| cluster::claim(v, clock)));
    items.extend(c.services.iter().map(cluster::service));
    items.extend(c.pdbs.iter().map(cluster::pdb));
    items.extend(c.quotas.iter().map(cluster::quota));
    items.extend(c.limit_ranges.iter().map(cluster::limit_range));
    items.extend(
        c.deployments
            .iter()
            .map(|d| workloads::deployment(d, clock)),
    );
    items.extend(
        c.replica_sets
            .iter()
            .map(|r| workloads::replica_set(r, clock)),
    );
    items.extend(
        c.daemon_sets
            .iter()
            .map(|d| workloads::daemon_set(d, clock)),
    );
    items.extend(
        c.stateful_sets
            .iter()
            .map(|s| workloads::stateful_set(s, clock)),
    );
    items.extend(c.jobs.iter().map(|j| workloads::job(j, clock)));
    items.extend(c.hpas.iter().map(|h| autoscaling::hpa(h, clock)));
    let instant = clock.instant(about.at);
    let mut out = format!(
        "{HEADER} of simulation {:?} (seed {}) at t = {}, {instant}.\n\
         # To continue the run from here, give this file after a Simulation that declares no\n\
         # nodes and starts where this one stopped (spec.startTime: \"{instant}\").\n\
         apiVersion: v1\nitems:\n",
        about.simulation,
        about.seed,
        format_duration_ms(about.at.ms()),
    );
    for item in &items {
        yaml::list_item(&mut out, item);
    }
    // Pods share their specs: each spec is written once and copied.
    let mut specs = FxHashMap::default();
    for p in &c.pods {
        pod::write(&mut out, p, clock, &mut specs);
    }
    out.push_str("kind: List\n");
    out
}

/// A whole object: `apiVersion`, `kind`, `metadata`, and the other top-level fields (left
/// out when empty).
fn object(api_version: &str, kind: &str, metadata: Value, rest: Value) -> Value {
    let mut o = Obj::default();
    o.set("apiVersion", api_version)
        .set("kind", kind)
        .set("metadata", metadata);
    if let Value::Object(m) = rest {
        for (k, v) in m {
            o.opt(&k, v);
        }
    }
    o.done()
}

fn access_modes(m: AccessModes) -> Vec<&'static str> {
    [
        (AccessModes::READ_WRITE_ONCE, "ReadWriteOnce"),
        (AccessModes::READ_ONLY_MANY, "ReadOnlyMany"),
        (AccessModes::READ_WRITE_MANY, "ReadWriteMany"),
        (AccessModes::READ_WRITE_ONCE_POD, "ReadWriteOncePod"),
    ]
    .into_iter()
    .filter(|(mode, _)| m.contains_all(*mode))
    .map(|(_, name)| name)
    .collect()
}

/// A claim's spec (also a StatefulSet's claim template).
fn claim_spec(s: &PersistentVolumeClaimSpec) -> Value {
    let mut o = Obj::default();
    o.set("accessModes", access_modes(s.access_modes))
        .set("storageClassName", s.storage_class.as_str())
        .set(
            "resources",
            json!({"requests": {"storage": quantity("storage", s.request)}}),
        );
    o.opt("volumeName", s.volume_name.clone());
    o.done()
}

/// Checks before a run that `path` can take its snapshot: its directory exists, and it is
/// new or an earlier snapshot (kubesim replaces no other file).
pub fn check_destination(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(format!(
            "--snapshot {shown}: the directory {} does not exist",
            dir.display()
        ));
    }
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("--snapshot {shown}: {e}")),
        Ok(m) if m.is_dir() => Err(format!("--snapshot {shown}: is a directory")),
        Ok(_) => {
            let mut first = String::new();
            fs::File::open(path)
                .and_then(|f| BufReader::new(f).read_line(&mut first))
                .map_err(|e| format!("--snapshot {shown}: {e}"))?;
            if first.starts_with(HEADER) {
                Ok(())
            } else {
                Err(format!(
                    "--snapshot {shown}: the file exists and is not a kubesim snapshot; kubesim replaces only its own files (choose another name)"
                ))
            }
        }
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes the snapshot into a temporary file beside `path` and renames it into place, so
/// that `path` is never half-written.
pub fn write(path: &Path, text: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent(path).join(format!(".{name}.kubesim-tmp"));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}
