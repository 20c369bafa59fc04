//! Admission, as the API server runs it on a create: LimitRanger fills a pod's missing
//! requests and limits from its namespace's LimitRanges and checks their bounds, then
//! ResourceQuota checks the namespace's quotas and charges them; DefaultTolerationSeconds
//! runs on every pod created ([`Store::create_pod`]), whatever the path. A refusal is the API
//! server's `Forbidden` (`pods "web-7d9c-x2x4v" is forbidden: exceeded quota: ...`), which
//! a controller reports as `FailedCreate`. A quota's usage is given back when a pod ends or
//! is deleted, and when a counted object is deleted.

use super::{PodId, Store};
use crate::api::admission::{
    LimitRange, ResourceQuota, apply_defaults, check_limits, check_quota, pod_usage,
};
use crate::api::pod::{Pod, PodSpec};
use crate::api::taint::default_tolerations;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// A quota and what its namespace's objects use of it.
#[derive(Clone, Debug)]
pub struct QuotaState {
    /// The quota.
    pub quota: ResourceQuota,
    /// `status.used`, by resource name (those of `hard` only).
    pub used: Vec<(String, i64)>,
}

impl QuotaState {
    fn charge(&mut self, adds: &[(&str, i64)], sign: i64) {
        for (name, hard) in &self.quota.hard {
            let _ = hard;
            if let Some(&(_, v)) = adds.iter().find(|(n, _)| n == name) {
                match self.used.iter_mut().find(|(n, _)| n == name) {
                    Some((_, u)) => *u = (*u + sign * v).max(0),
                    None if sign > 0 => self.used.push((name.clone(), v)),
                    None => {}
                }
            }
        }
    }
}

/// A spec as the LimitRanges make it, with the annotation saying what they set, or their
/// refusal.
type Defaulted = Result<(Arc<PodSpec>, Option<String>), String>;

/// The admission state the store keeps.
#[derive(Clone, Debug, Default)]
pub struct Admission {
    quotas: Vec<QuotaState>,
    limit_ranges: Vec<LimitRange>,
    /// Specs defaulted by the LimitRanges, by the spec they came from (kept alive here, so
    /// that its address names it), with the annotation saying what was set, or the
    /// refusal of their bounds.
    defaulted: Vec<(Arc<PodSpec>, Defaulted)>,
    /// What each pod was charged (by pod index), to give back.
    charged: Vec<bool>,
    /// Shared specs given DefaultTolerationSeconds' tolerations, by the address of the spec
    /// they came from (kept alive here), so that the pods of one template keep sharing one
    /// spec. Only looked up, never iterated.
    tolerated: FxHashMap<usize, (Arc<PodSpec>, Arc<PodSpec>)>,
}

impl Store {
    /// Adds a ResourceQuota, charged with what its namespace's live objects already use.
    pub fn add_quota(&mut self, quota: ResourceQuota) {
        let mut q = QuotaState {
            quota,
            used: Vec::new(),
        };
        let n = self.pods.len();
        if self.admission.charged.len() < n {
            self.admission.charged.resize(n, false);
        }
        for i in 0..n {
            let id = PodId(i as u32);
            let p = self.pods.get(id);
            if self.pods.is_live(id)
                && !p.phase().is_terminal()
                && p.meta.namespace == q.quota.namespace
            {
                q.charge(&pod_usage(&p.spec), 1);
                self.admission.charged[i] = true;
            }
        }
        self.admission.quotas.push(q);
    }

    /// Adds a LimitRange (for pods created from now on).
    pub fn add_limit_range(&mut self, lr: LimitRange) {
        self.admission.limit_ranges.push(lr);
        self.admission.defaulted.clear();
    }

    /// The LimitRanges, in creation order.
    pub fn limit_ranges(&self) -> &[LimitRange] {
        &self.admission.limit_ranges
    }

    /// The quotas with their usage, in creation order.
    pub fn quotas(&self) -> &[QuotaState] {
        &self.admission.quotas
    }

    /// Admits and creates a pod (`POST pods`): LimitRanger, then ResourceQuota. The
    /// refusal is the API server's message.
    pub fn admit_pod(&mut self, mut pod: Pod) -> Result<PodId, String> {
        if self.admission.quotas.is_empty() && self.admission.limit_ranges.is_empty() {
            return Ok(self.create_pod(pod));
        }
        let ns = pod.meta.namespace.clone();
        let forbidden =
            |pod: &Pod, why: String| format!("pods {:?} is forbidden: {why}", pod.meta.name);
        if self
            .admission
            .limit_ranges
            .iter()
            .any(|l| l.namespace == ns)
        {
            match self.limit_ranged(&pod.spec, &ns) {
                Ok((spec, note)) => {
                    pod.spec = spec;
                    if let Some(note) = note {
                        Arc::make_mut(&mut pod.meta.annotations)
                            .insert("kubernetes.io/limit-ranger".into(), note);
                    }
                }
                Err(why) => return Err(forbidden(&pod, why)),
            }
        }
        let usage = pod_usage(&pod.spec);
        for q in self
            .admission
            .quotas
            .iter()
            .filter(|q| q.quota.namespace == ns)
        {
            if let Err(why) = check_quota(&q.quota, &q.used, &usage, Some(&pod.spec)) {
                return Err(forbidden(&pod, why));
            }
        }
        let charged = self
            .admission
            .quotas
            .iter()
            .any(|q| q.quota.namespace == ns);
        for q in self
            .admission
            .quotas
            .iter_mut()
            .filter(|q| q.quota.namespace == ns)
        {
            q.charge(&usage, 1);
        }
        let id = self.create_pod(pod);
        if !charged {
            return Ok(id);
        }
        let i = super::ArenaId::index(id);
        if self.admission.charged.len() <= i {
            self.admission.charged.resize(i + 1, false);
        }
        self.admission.charged[i] = true;
        Ok(id)
    }

    /// The spec as the namespace's LimitRanges make it, or their refusal (made once per
    /// template).
    fn limit_ranged(&mut self, spec: &Arc<PodSpec>, ns: &str) -> Defaulted {
        if let Some((_, r)) = self
            .admission
            .defaulted
            .iter()
            .find(|(s, _)| Arc::ptr_eq(s, spec))
        {
            return r.clone();
        }
        let ranges: Vec<LimitRange> = self
            .admission
            .limit_ranges
            .iter()
            .filter(|l| l.namespace == ns)
            .cloned()
            .collect();
        let (out, note) = match apply_defaults(spec, &ranges) {
            Some((s, note)) => (Arc::new(s), Some(note)),
            None => (spec.clone(), None),
        };
        let result = check_limits(&out, &ranges).map(|()| (out, note));
        self.admission
            .defaulted
            .push((spec.clone(), result.clone()));
        result
    }

    /// DefaultTolerationSeconds, run on every pod created
    /// (`plugin/pkg/admission/defaulttolerationseconds/admission.go`): the `not-ready` and
    /// `unreachable` NoExecute tolerations for 300 s a spec does not have
    /// ([`default_tolerations`]) appended. A spec shared by several pods (a template's) is
    /// copied once.
    pub(super) fn default_toleration_seconds(&mut self, spec: &mut Arc<PodSpec>) {
        if Arc::strong_count(spec) == 1 {
            let added = default_tolerations(&spec.tolerations);
            if !added.is_empty() {
                Arc::make_mut(spec).tolerations.extend(added);
            }
            return;
        }
        let key = Arc::as_ptr(spec) as usize;
        if let Some((_, done)) = self.admission.tolerated.get(&key) {
            *spec = done.clone();
            return;
        }
        let added = default_tolerations(&spec.tolerations);
        let done = if added.is_empty() {
            spec.clone()
        } else {
            let mut s = PodSpec::clone(spec);
            s.tolerations.extend(added);
            Arc::new(s)
        };
        self.admission
            .tolerated
            .insert(key, (spec.clone(), done.clone()));
        *spec = done;
    }

    /// Gives a pod's charge back when it ends or is deleted.
    pub(super) fn release_quota(&mut self, pod: PodId) {
        let i = super::ArenaId::index(pod);
        if !self.admission.charged.get(i).copied().unwrap_or(false) {
            return;
        }
        self.admission.charged[i] = false;
        let p = self.pods.get(pod);
        let usage = pod_usage(&p.spec);
        let ns = p.meta.namespace.clone();
        for q in self
            .admission
            .quotas
            .iter_mut()
            .filter(|q| q.quota.namespace == ns)
        {
            q.charge(&usage, -1);
        }
    }

    /// Checks and charges the object-count quotas (`count/deployments.apps`, ...) of a
    /// new object; its refusal as the API server words it (`resource` is the plural,
    /// `deployments.apps`).
    pub fn admit_count(
        &mut self,
        ns: &str,
        resource: &str,
        name: &str,
        counts: &[&str],
    ) -> Result<(), String> {
        let adds: Vec<(&str, i64)> = counts.iter().map(|c| (*c, 1)).collect();
        for q in self
            .admission
            .quotas
            .iter()
            .filter(|q| q.quota.namespace == ns)
        {
            if let Err(why) = check_quota(&q.quota, &q.used, &adds, None) {
                return Err(format!("{resource} {name:?} is forbidden: {why}"));
            }
        }
        for q in self
            .admission
            .quotas
            .iter_mut()
            .filter(|q| q.quota.namespace == ns)
        {
            q.charge(&adds, 1);
        }
        Ok(())
    }

    /// Gives an object-count charge back (the object was deleted).
    pub fn release_count(&mut self, ns: &str, counts: &[&str]) {
        let adds: Vec<(&str, i64)> = counts.iter().map(|c| (*c, 1)).collect();
        for q in self
            .admission
            .quotas
            .iter_mut()
            .filter(|q| q.quota.namespace == ns)
        {
            q.charge(&adds, -1);
        }
    }
}

/// The plural resource of a kind and the object-count quota names a new object of it is
/// charged to (`count/<resource>.<group>`, and the legacy names of the core kinds).
pub fn object_counts(kind: &str) -> (&'static str, &'static [&'static str]) {
    match kind {
        "Deployment" => ("deployments.apps", &["count/deployments.apps"]),
        "ReplicaSet" => ("replicasets.apps", &["count/replicasets.apps"]),
        "ReplicationController" => (
            "replicationcontrollers",
            &["count/replicationcontrollers", "replicationcontrollers"],
        ),
        "DaemonSet" => ("daemonsets.apps", &["count/daemonsets.apps"]),
        "StatefulSet" => ("statefulsets.apps", &["count/statefulsets.apps"]),
        "Job" => ("jobs.batch", &["count/jobs.batch"]),
        "Service" => ("services", &["count/services", "services"]),
        _ => ("", &[]),
    }
}
