//! Job: run pods until a number of them succeed (`pkg/controller/job/job_controller.go`).

use super::meta::ObjectMeta;
use super::pod::PodSpec;
use std::sync::Arc;

/// Label the API server adds to a Job's pod template (unless `manualSelector`), and so to
/// its pods (`pkg/registry/batch/job/strategy.go`).
pub const LABEL_JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// The older spelling of the same label, still set upstream.
pub const LABEL_JOB_NAME_LEGACY: &str = "job-name";
/// Label with the Job's uid, added with [`LABEL_JOB_NAME`].
pub const LABEL_CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
/// The older spelling of the same label.
pub const LABEL_CONTROLLER_UID_LEGACY: &str = "controller-uid";

/// Annotation and label with an Indexed Job pod's completion index
/// (`staging/src/k8s.io/api/batch/v1/types.go`).
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// The parts of a Job spec the simulator acts on.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// Pods running at once (default 1).
    pub parallelism: u32,
    /// Successful pods needed. `None` is upstream's work-queue mode: the Job is complete once
    /// one pod has succeeded and none is still active.
    pub completions: Option<u32>,
    /// Failed pods tolerated before the Job fails (default 6).
    pub backoff_limit: u32,
    /// Wall limit for the whole Job, ms.
    pub active_deadline_ms: Option<i64>,
    /// `completionMode: Indexed`: each pod has an index in `0..completions`, and the Job is
    /// complete when every index has succeeded once.
    pub indexed: bool,
    /// Metadata stamped on each pod.
    pub template_meta: ObjectMeta,
    /// Spec of each pod.
    pub template: Arc<PodSpec>,
}

/// A set of completion indexes as ordered, disjoint, non-adjacent intervals
/// (`orderedIntervals` in `pkg/controller/job/indexed_job_utils.go`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Indexes(Vec<(u32, u32)>);

impl Indexes {
    /// Whether `i` is in the set.
    pub fn contains(&self, i: u32) -> bool {
        let at = self.0.partition_point(|&(_, last)| last < i);
        self.0.get(at).is_some_and(|&(first, _)| first <= i)
    }

    /// Adds `i`; false if it was there.
    pub fn insert(&mut self, i: u32) -> bool {
        if self.contains(i) {
            return false;
        }
        let at = self.0.partition_point(|&(_, last)| last < i);
        let joins_before = at > 0 && self.0[at - 1].1 + 1 == i;
        let joins_after = self.0.get(at).is_some_and(|&(first, _)| first == i + 1);
        match (joins_before, joins_after) {
            (true, true) => {
                self.0[at - 1].1 = self.0[at].1;
                self.0.remove(at);
            }
            (true, false) => self.0[at - 1].1 = i,
            (false, true) => self.0[at].0 = i,
            (false, false) => self.0.insert(at, (i, i)),
        }
        true
    }

    /// How many indexes the set holds.
    pub fn len(&self) -> u32 {
        self.0.iter().map(|&(a, b)| b - a + 1).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Upstream's `status.completedIndexes`: `1,3-5`; two neighbours are written `1,2`.
impl std::fmt::Display for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, &(first, last)) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(",")?;
            }
            match last - first {
                0 => write!(f, "{first}")?,
                1 => write!(f, "{first},{last}")?,
                _ => write!(f, "{first}-{last}")?,
            }
        }
        Ok(())
    }
}

/// The `generateName` of a Job's pods, within 58 characters: `<job>-` cut there, or
/// `<job>-<index>-` for an Indexed Job with the Job's name cut (`podGenerateNameWithIndex`
/// in `pkg/controller/job/indexed_job_utils.go`; `names.MaxGeneratedNameLength`).
pub fn pod_generate_name(job: &str, index: Option<u32>) -> String {
    const MAX: usize = 58;
    // Names are ASCII (RFC 1123), so any byte is a boundary.
    match index {
        Some(i) => {
            let tail = format!("-{i}-");
            let keep = job.len().min(MAX.saturating_sub(tail.len()));
            format!("{}{tail}", &job[..keep])
        }
        // The API server cuts the whole prefix (`SimpleNameGenerator`).
        None => {
            let mut name = format!("{job}-");
            name.truncate(MAX);
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_indexes_print_as_upstream() {
        let mut s = Indexes::default();
        for i in [5, 1, 3, 4] {
            assert!(s.insert(i));
        }
        assert!(!s.insert(4));
        assert_eq!(s.to_string(), "1,3-5");
        assert_eq!(s.len(), 4);
        let mut s = Indexes::default();
        s.insert(2);
        s.insert(1);
        assert_eq!(s.to_string(), "1,2");
        for i in [0, 7] {
            s.insert(i);
        }
        assert_eq!(s.to_string(), "0-2,7");
        assert!(s.contains(7) && s.contains(0) && !s.contains(3));
    }

    #[test]
    fn generated_names_are_cut_to_58_characters() {
        assert_eq!(pod_generate_name("pi", Some(3)), "pi-3-");
        assert_eq!(pod_generate_name("pi", None), "pi-");
        let long = "a".repeat(63);
        assert_eq!(pod_generate_name(&long, Some(12)).len(), 58);
        assert!(pod_generate_name(&long, Some(12)).ends_with("a-12-"));
        assert_eq!(pod_generate_name(&long, None).len(), 58);
    }
}
