//! The scheduler's index of bound pods, for the plugins that count pods: PodTopologySpread and
//! InterPodAffinity.
//!
//! Upstream walks every pod on every node in each cycle's PreFilter and PreScore. kubesim
//! keeps the same counts up to date as pods bind and leave instead, so a cycle costs
//! O(nodes), not O(pods):
//! - a [`Matcher`] (namespaces and a label selector, or the AND of several) is registered the
//!   first time a pod needs it, and from then on the index knows how many bound pods it
//!   matches on every node;
//! - each topology key (`topology.kubernetes.io/zone`, ...) maps every node to a domain id;
//! - the (anti-)affinity terms that bound pods *carry* are grouped, with the number of
//!   carriers per node, for the symmetric checks (an existing pod's anti-affinity repels the
//!   incoming pod);
//! - every node lists its bound pods as [`BoundPod`]s (upstream `NodeInfo.Pods`), with what
//!   preemption orders victims by, packed together so that a dry run over hundreds of nodes
//!   does not visit every pod object.
//!
//! Registrations are never dropped: a run with many distinct selectors pays one selector test
//! per registered matcher per bind.

use crate::api::Labels;
use crate::api::node::Node;
use crate::api::node::{LABEL_HOSTNAME, LABEL_ZONE};
use crate::api::pod::{Pod, PodSpec};
use crate::api::pod_affinity::{
    InclusionPolicy, PodAffinityTerm, TopologySpreadConstraint, WhenUnsatisfiable,
};
use crate::api::selector::{LabelSelector, Operator, Requirement};
use crate::api::service::Service;
use crate::engine::SimTime;
use crate::store::PodId;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The label every namespace carries with its own name.
pub const LABEL_NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";

/// Which namespaces a term looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Namespaces {
    /// These namespaces (sorted, distinct).
    Only(Vec<String>),
    /// Every namespace (`namespaceSelector: {}`).
    All,
    /// The named ones and those whose labels match the selector.
    Selected(Vec<String>, LabelSelector),
}

/// Pods in some namespaces with matching labels: the AND of its parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Matcher {
    parts: Vec<(Namespaces, LabelSelector)>,
}

impl Matcher {
    /// Pods of `namespace` matching `selector`.
    pub fn in_namespace(namespace: &str, selector: LabelSelector) -> Matcher {
        Matcher {
            parts: vec![(Namespaces::Only(vec![namespace.to_string()]), selector)],
        }
    }

    /// The matcher of a spread constraint of `pod` (its namespace, its selector with the
    /// `matchLabelKeys` values of the pod ANDed in); `None` when the constraint has no selector
    /// and so counts no pod.
    pub fn for_spread(pod: &Pod, c: &TopologySpreadConstraint) -> Option<Matcher> {
        let mut selector = c.label_selector.clone()?;
        if !c.match_label_keys.is_empty() {
            let mut reqs = selector.requirements;
            for k in &c.match_label_keys {
                // A key the pod does not carry is ignored, as upstream.
                if let Some(v) = pod.meta.labels.get(k)
                    && let Ok(r) = Requirement::new(k, Operator::In, vec![v.clone()])
                {
                    reqs.push(r);
                }
            }
            selector = LabelSelector::from_requirements(reqs);
        }
        Some(Matcher::in_namespace(&pod.meta.namespace, selector))
    }

    /// The matcher of an affinity term written in a pod of namespace `own`; `None` when the
    /// term has no selector and so matches no pod.
    pub fn for_term(own: &str, t: &PodAffinityTerm) -> Option<Matcher> {
        let selector = t.label_selector.clone()?;
        let mut names = t.namespaces.clone();
        names.sort();
        names.dedup();
        let ns = match &t.namespace_selector {
            None if names.is_empty() => Namespaces::Only(vec![own.to_string()]),
            None => Namespaces::Only(names),
            Some(s) if s.is_everything() => Namespaces::All,
            Some(s) => Namespaces::Selected(names, s.clone()),
        };
        Some(Matcher {
            parts: vec![(ns, selector)],
        })
    }

    /// The AND of several matchers; `None` if any is `None`.
    pub fn all_of(ms: impl IntoIterator<Item = Option<Matcher>>) -> Option<Matcher> {
        let mut parts = Vec::new();
        for m in ms {
            parts.extend(m?.parts);
        }
        Some(Matcher { parts })
    }

    /// Whether a pod with this namespace and labels matches.
    pub fn matches(&self, namespace: &str, labels: &Labels, ns_labels: &NamespaceLabels) -> bool {
        self.parts.iter().all(|(ns, sel)| {
            let in_ns = match ns {
                Namespaces::Only(names) => names.iter().any(|n| n == namespace),
                Namespaces::All => true,
                Namespaces::Selected(names, s) => {
                    names.iter().any(|n| n == namespace) || s.matches(&ns_labels.get(namespace))
                }
            };
            in_ns && sel.matches(labels)
        })
    }
}

/// Namespace labels, for `namespaceSelector`. A namespace always carries
/// `kubernetes.io/metadata.name`.
#[derive(Clone, Debug, Default)]
pub struct NamespaceLabels {
    labels: BTreeMap<String, Labels>,
}

impl NamespaceLabels {
    /// From the scenario's Namespace objects.
    pub fn new(labels: BTreeMap<String, Labels>) -> NamespaceLabels {
        NamespaceLabels { labels }
    }

    /// The labels of `namespace`, with its name label.
    pub fn get(&self, namespace: &str) -> Labels {
        let mut l = self.labels.get(namespace).cloned().unwrap_or_default();
        l.insert(LABEL_NAMESPACE_NAME.to_string(), namespace.to_string());
        l
    }
}

/// Index of a registered [`Matcher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatcherId(u32);

/// Index of a registered topology key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(u32);

/// Domain id of a node without the key.
pub const NO_DOMAIN: u32 = u32::MAX;

/// What kind of term a bound pod carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CarriedKind {
    /// A required affinity term (scored with hardPodAffinityWeight).
    RequiredAffinity,
    /// A required anti-affinity term (filters).
    RequiredAntiAffinity,
    /// A preferred affinity term of this weight.
    PreferredAffinity(i32),
    /// A preferred anti-affinity term of this weight.
    PreferredAntiAffinity(i32),
}

/// A pod bound to a node, as preemption reads it.
#[derive(Clone, Debug)]
pub struct BoundPod {
    /// The pod.
    pub id: PodId,
    /// Its priority (a copy of `spec.priority`).
    pub priority: i32,
    /// When it was bound: its start time for preemption's ordering (upstream's
    /// `status.startTime` is set when the kubelet first sees the pod, before image pulls).
    pub bound_at: SimTime,
    /// Its spec, for the requests a dry run takes off the node.
    pub spec: Arc<PodSpec>,
}

/// Bound pods carrying the same term: how many on each node.
#[derive(Clone, Debug)]
pub struct CarriedGroup {
    /// The kind of term.
    pub kind: CarriedKind,
    /// Which pods the term is about (namespaces resolved against the carriers' namespace).
    pub matcher: Matcher,
    /// The term's topology key.
    pub key: KeyId,
    /// Carriers per node.
    pub per_node: Vec<u32>,
    /// Carriers in all.
    pub total: u64,
}

#[derive(Clone, Debug)]
struct Counts {
    matcher: Matcher,
    /// Matching bound pods per node.
    per_node: Vec<u32>,
    /// Those of them not terminating (what PodTopologySpread counts).
    live: Vec<u32>,
    total: u64,
}

#[derive(Clone, Debug)]
struct KeyDomains {
    key: String,
    node_domain: Vec<u32>,
    names: Vec<String>,
    ids: BTreeMap<String, u32>,
}

impl KeyDomains {
    fn assign(&mut self, labels: &Labels) -> u32 {
        match labels.get(&self.key) {
            None => NO_DOMAIN,
            Some(v) => {
                if let Some(&id) = self.ids.get(v) {
                    return id;
                }
                let id = self.names.len() as u32;
                self.names.push(v.clone());
                self.ids.insert(v.clone(), id);
                id
            }
        }
    }
}

/// The index (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct PodIndex {
    ns_labels: NamespaceLabels,
    node_labels: Vec<Arc<Labels>>,
    counts: Vec<Counts>,
    count_ids: FxHashMap<Matcher, MatcherId>,
    keys: Vec<KeyDomains>,
    key_ids: FxHashMap<String, KeyId>,
    carried: Vec<CarriedGroup>,
    carried_ids: FxHashMap<(CarriedKind, Matcher, KeyId), usize>,
    on_node: Vec<Vec<BoundPod>>,
}

impl PodIndex {
    /// An empty index.
    pub fn new(ns_labels: NamespaceLabels) -> PodIndex {
        PodIndex {
            ns_labels,
            ..PodIndex::default()
        }
    }

    /// Namespace labels.
    pub fn namespace_labels(&self) -> &NamespaceLabels {
        &self.ns_labels
    }

    /// Counts a new node (the next node index).
    pub fn add_node(&mut self, node: &Node) {
        self.node_labels.push(node.meta.labels.clone());
        for k in &mut self.keys {
            let d = k.assign(&node.meta.labels);
            k.node_domain.push(d);
        }
        for c in &mut self.counts {
            c.per_node.push(0);
            c.live.push(0);
        }
        for g in &mut self.carried {
            g.per_node.push(0);
        }
        self.on_node.push(Vec::new());
    }

    /// Takes node `node`'s new labels: under every registered key it moves to the domain of
    /// its new label value. The counts are kept per node and summed by domain when read, so
    /// the pods bound there move with it.
    pub fn update_node(&mut self, node: usize, new: &Node) {
        if Arc::ptr_eq(&self.node_labels[node], &new.meta.labels) {
            return;
        }
        self.node_labels[node] = new.meta.labels.clone();
        for k in &mut self.keys {
            k.node_domain[node] = k.assign(&new.meta.labels);
        }
    }

    /// Lists pod `id` (which must be `pod`) on node `node`, bound (or assumed) there at
    /// `bound_at`; the scheduler calls this with [`PodIndex::pod_bound`].
    pub fn list_bound(&mut self, id: PodId, pod: &Pod, node: usize, bound_at: SimTime) {
        self.on_node[node].push(BoundPod {
            id,
            priority: pod.spec.priority,
            bound_at,
            spec: pod.spec.clone(),
        });
    }

    /// Takes pod `id` off the list of node `node` (the order of the others may change).
    pub fn unlist_bound(&mut self, id: PodId, node: usize) {
        let list = &mut self.on_node[node];
        if let Some(i) = list.iter().position(|b| b.id == id) {
            list.swap_remove(i);
        }
    }

    /// The pods bound to node `node`, in no particular order.
    pub fn on_node(&self, node: usize) -> &[BoundPod] {
        self.on_node.get(node).map_or(&[], Vec::as_slice)
    }

    /// Registers a topology key (idempotent).
    pub fn ensure_key(&mut self, key: &str) -> KeyId {
        if let Some(&id) = self.key_ids.get(key) {
            return id;
        }
        let mut k = KeyDomains {
            key: key.to_string(),
            node_domain: Vec::with_capacity(self.node_labels.len()),
            names: Vec::new(),
            ids: BTreeMap::new(),
        };
        for l in &self.node_labels {
            let d = k.assign(l);
            k.node_domain.push(d);
        }
        let id = KeyId(self.keys.len() as u32);
        self.keys.push(k);
        self.key_ids.insert(key.to_string(), id);
        id
    }

    /// Registers a matcher (idempotent), counting the bound pods `(pod, node index)` it matches.
    pub fn ensure_matcher<'p>(
        &mut self,
        m: &Matcher,
        bound: impl Iterator<Item = (&'p Pod, usize)>,
    ) -> MatcherId {
        if let Some(&id) = self.count_ids.get(m) {
            return id;
        }
        let mut c = Counts {
            matcher: m.clone(),
            per_node: vec![0; self.node_labels.len()],
            live: vec![0; self.node_labels.len()],
            total: 0,
        };
        for (pod, node) in bound {
            if m.matches(&pod.meta.namespace, &pod.meta.labels, &self.ns_labels) {
                c.per_node[node] += 1;
                c.live[node] += u32::from(pod.status.terminating.is_none());
                c.total += 1;
            }
        }
        let id = MatcherId(self.counts.len() as u32);
        self.counts.push(c);
        self.count_ids.insert(m.clone(), id);
        id
    }

    /// Registers the topology keys the constraints and terms of `pod` need, and returns the
    /// matchers they need that are not registered yet (to pass to
    /// [`PodIndex::ensure_matcher`] with the bound pods). `spread_defaults` are the default
    /// spread constraints of the pod's profile (see [`default_constraints`]).
    pub fn prepare(
        &mut self,
        pod: &Pod,
        services: &[Service],
        spread_defaults: &[TopologySpreadConstraint],
    ) -> Vec<Matcher> {
        let mut missing: Vec<Matcher> = Vec::new();
        let mut need = |idx: &PodIndex, m: Option<Matcher>| {
            if let Some(m) = m
                && idx.matcher(&m).is_none()
                && !missing.contains(&m)
            {
                missing.push(m);
            }
        };
        let defaults = default_constraints(pod, services, spread_defaults);
        for c in pod.spec.topology_spread_constraints.iter().chain(&defaults) {
            self.ensure_key(&c.topology_key);
            need(self, Matcher::for_spread(pod, c));
        }
        let Some(pa) = &pod.spec.pod_affinity else {
            return missing;
        };
        let ns = &pod.meta.namespace;
        let terms = pa
            .affinity
            .required
            .iter()
            .chain(&pa.anti_affinity.required)
            .chain(pa.affinity.preferred.iter().map(|w| &w.term))
            .chain(pa.anti_affinity.preferred.iter().map(|w| &w.term));
        for t in terms {
            self.ensure_key(&t.topology_key);
            need(self, Matcher::for_term(ns, t));
        }
        if !pa.affinity.required.is_empty() {
            need(self, all_required_affinity(pod));
        }
        missing
    }

    /// Counts a pod that was bound to node `node`.
    pub fn pod_bound(&mut self, pod: &Pod, node: usize) {
        self.update(pod, node, true);
    }

    /// Stops counting a pod that left node `node`.
    pub fn pod_unbound(&mut self, pod: &Pod, node: usize) {
        self.update(pod, node, false);
    }

    /// A counted pod on node `node` began terminating: it no longer counts as live. Call it
    /// once, when its `status.terminating` is set (a pod counted or uncounted while
    /// terminating is not counted live).
    pub fn pod_terminating(&mut self, pod: &Pod, node: usize) {
        let (ns, labels) = (&pod.meta.namespace, &pod.meta.labels);
        for c in &mut self.counts {
            if c.matcher.matches(ns, labels, &self.ns_labels) {
                c.live[node] = c.live[node].saturating_sub(1);
            }
        }
    }

    fn update(&mut self, pod: &Pod, node: usize, add: bool) {
        let live = pod.status.terminating.is_none();
        let bump = |per_node: &mut [u32], total: &mut u64| {
            if add {
                per_node[node] += 1;
                *total += 1;
            } else {
                per_node[node] = per_node[node].saturating_sub(1);
                *total = total.saturating_sub(1);
            }
        };
        let (ns, labels) = (&pod.meta.namespace, &pod.meta.labels);
        for c in &mut self.counts {
            if c.matcher.matches(ns, labels, &self.ns_labels) {
                bump(&mut c.per_node, &mut c.total);
                if live {
                    let n = &mut c.live[node];
                    *n = if add { *n + 1 } else { n.saturating_sub(1) };
                }
            }
        }
        let Some(pa) = &pod.spec.pod_affinity else {
            return;
        };
        let carried = pa
            .affinity
            .required
            .iter()
            .map(|t| (CarriedKind::RequiredAffinity, t))
            .chain(
                pa.anti_affinity
                    .required
                    .iter()
                    .map(|t| (CarriedKind::RequiredAntiAffinity, t)),
            )
            .chain(
                pa.affinity
                    .preferred
                    .iter()
                    .map(|w| (CarriedKind::PreferredAffinity(w.weight), &w.term)),
            )
            .chain(
                pa.anti_affinity
                    .preferred
                    .iter()
                    .map(|w| (CarriedKind::PreferredAntiAffinity(w.weight), &w.term)),
            );
        for (kind, t) in carried {
            let Some(matcher) = Matcher::for_term(ns, t) else {
                continue;
            };
            let key = self.ensure_key(&t.topology_key);
            let gk = (kind, matcher, key);
            let gi = match self.carried_ids.get(&gk) {
                Some(&i) => i,
                None => {
                    let i = self.carried.len();
                    self.carried.push(CarriedGroup {
                        kind,
                        matcher: gk.1.clone(),
                        key,
                        per_node: vec![0; self.node_labels.len()],
                        total: 0,
                    });
                    self.carried_ids.insert(gk, i);
                    i
                }
            };
            let g = &mut self.carried[gi];
            bump(&mut g.per_node, &mut g.total);
        }
    }

    /// The id of a registered matcher.
    pub fn matcher(&self, m: &Matcher) -> Option<MatcherId> {
        self.count_ids.get(m).copied()
    }

    /// Matching bound pods per node.
    pub fn per_node(&self, id: MatcherId) -> &[u32] {
        &self.counts[id.0 as usize].per_node
    }

    /// Matching bound pods per node that are not terminating: what PodTopologySpread counts
    /// (`countPodsMatchSelector` in `pkg/scheduler/framework/plugins/podtopologyspread/
    /// common.go` passes over pods with a deletion timestamp; InterPodAffinity counts them).
    pub fn live_per_node(&self, id: MatcherId) -> &[u32] {
        &self.counts[id.0 as usize].live
    }

    /// Matching bound pods in all.
    pub fn total(&self, id: MatcherId) -> u64 {
        self.counts[id.0 as usize].total
    }

    /// The id of a registered key.
    pub fn key(&self, key: &str) -> Option<KeyId> {
        self.key_ids.get(key).copied()
    }

    /// Each node's domain under a key ([`NO_DOMAIN`] without the key).
    pub fn domains(&self, key: KeyId) -> &[u32] {
        &self.keys[key.0 as usize].node_domain
    }

    /// How many distinct domains a key has seen.
    pub fn domain_count(&self, key: KeyId) -> usize {
        self.keys[key.0 as usize].names.len()
    }

    /// The groups of terms carried by bound pods.
    pub fn carried(&self) -> &[CarriedGroup] {
        &self.carried
    }

    /// Whether any bound pod carries an affinity or anti-affinity term.
    pub fn any_carried(&self) -> bool {
        self.carried.iter().any(|g| g.total > 0)
    }

    /// Sums `per_node` by the domain of each node under `key`, over the nodes `eligible`
    /// accepts: a vector indexed by domain id.
    pub fn sum_by_domain(
        &self,
        per_node: &[u32],
        key: KeyId,
        mut eligible: impl FnMut(usize) -> bool,
    ) -> Vec<u64> {
        let domains = self.domains(key);
        let mut out = vec![0u64; self.domain_count(key)];
        for (n, (&d, &c)) in domains.iter().zip(per_node).enumerate() {
            if d != NO_DOMAIN && c > 0 && eligible(n) {
                out[d as usize] += u64::from(c);
            }
        }
        out
    }
}

/// The system default spread constraints (`systemDefaultConstraints` in
/// `pkg/scheduler/framework/plugins/podtopologyspread/plugin.go`): ScheduleAnyway over
/// hostnames (maxSkew 3) and zones (maxSkew 5), without selectors (see
/// [`default_constraints`]).
pub fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    [(LABEL_HOSTNAME, 3), (LABEL_ZONE, 5)]
        .into_iter()
        .map(|(key, max_skew)| TopologySpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
            label_selector: None,
            min_domains: None,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
            match_label_keys: Vec::new(),
        })
        .collect()
}

/// The constraints `defaults` (the system defaults or a profile's `defaultConstraints`)
/// give a pod without constraints of its own (`buildDefaultConstraints` in
/// `pkg/scheduler/framework/plugins/podtopologyspread/common.go`): each counts the pods
/// matched by the merged selectors of the Services that select the pod (upstream's
/// `DefaultSelector`, which also merges ReplicaSets, StatefulSets and
/// ReplicationControllers, not modelled yet); none when nothing selects it.
pub fn default_constraints(
    pod: &Pod,
    services: &[Service],
    defaults: &[TopologySpreadConstraint],
) -> Vec<TopologySpreadConstraint> {
    if !pod.spec.topology_spread_constraints.is_empty() || defaults.is_empty() {
        return Vec::new();
    }
    let mut merged = Labels::new();
    for s in services {
        if s.selects(&pod.meta.namespace, &pod.meta.labels) {
            merged.extend(s.selector.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    if merged.is_empty() {
        return Vec::new();
    }
    let Ok(selector) = LabelSelector::from_parts(&merged, &[]) else {
        return Vec::new();
    };
    defaults
        .iter()
        .map(|c| TopologySpreadConstraint {
            label_selector: Some(selector.clone()),
            match_label_keys: Vec::new(),
            ..c.clone()
        })
        .collect()
}

/// The AND of a pod's required affinity terms (upstream counts, for required affinity, the
/// pods that match every term at once).
pub fn all_required_affinity(pod: &Pod) -> Option<Matcher> {
    let pa = pod.spec.pod_affinity.as_ref()?;
    Matcher::all_of(
        pa.affinity
            .required
            .iter()
            .map(|t| Matcher::for_term(&pod.meta.namespace, t)),
    )
}

#[cfg(test)]
mod tests;
