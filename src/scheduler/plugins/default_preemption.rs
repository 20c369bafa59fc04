//! DefaultPreemption: when no node fits, evict lower-priority pods from one node
//! (`pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`,
//! `pkg/scheduler/framework/preemption/preemption.go`).
//!
//! 1. A pod with `preemptionPolicy: Never`, or one still waiting for the victims of an earlier
//!    preemption on its nominated node, does not preempt.
//! 2. Candidates are the nodes the filters rejected as `Unschedulable` (not `...AndUnresolvable`),
//!    tried from a random offset; the dry run stops once it has a candidate without
//!    PodDisruptionBudget violations and `max(minCandidateNodesPercentage of them,
//!    minCandidateNodesAbsolute)` candidates in all (10 % and 100 by default; the plugin's
//!    args).
//! 3. On a node, every pod of strictly lower priority is removed; if the pod then passes the
//!    filters, the removed pods are added back one by one, most important first (PDB-violating
//!    ones before the others), and a pod that makes the preemptor stop fitting stays a victim.
//! 4. The node is chosen by: fewest PDB violations, lowest highest-victim priority, lowest sum
//!    of victim priorities (each shifted by 2^31), fewest victims, latest start among the
//!    highest-priority victims, then walk order.
//!
//! A pod's start time is when it was bound (upstream's `status.startTime` is set when the
//! kubelet first sees the pod, before it pulls images). The dry run reads the pods of each
//! node from the scheduler's list of bound pods ([`BoundPod`]), not from the pod objects.
//!
//! The dry run re-runs the profile's filters on the node without the victims; plugins that
//! read the index of bound pods (PodTopologySpread, InterPodAffinity) still count the victims
//! (upstream removes them through PreFilter extensions), and nominated pods are not added to
//! other pods' filters.

use super::names;
use crate::api::pod::{Pod, PreemptionPolicy};
use crate::api::scheduler_config::{DefaultPreemptionArgs, ExtensionPoint};
use crate::engine::SimTime;
use crate::scheduler::framework::{
    Code, Nomination, Plugin, PostFilterInput, PostFilterPlugin, Status,
};
use crate::scheduler::pod_index::BoundPod;
use crate::scheduler::profile::Diagnosis;
use crate::store::{NodeId, PdbId, PodId, Store};

/// Status of a node with no lower-priority pod.
pub const ERR_NO_VICTIMS: &str = "No preemption victims found for incoming pod";
/// Status of a node whose rejection no eviction can fix.
pub const ERR_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";

/// The plugin.
#[derive(Debug, Default)]
pub struct DefaultPreemption {
    args: DefaultPreemptionArgs,
}

impl DefaultPreemption {
    /// The plugin with these args.
    pub fn new(args: DefaultPreemptionArgs) -> DefaultPreemption {
        DefaultPreemption { args }
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &str {
        names::DEFAULT_PREEMPTION
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::PreEnqueue, ExtensionPoint::PostFilter])
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }
}

/// What the candidate order reads of a victim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Victim {
    id: PodId,
    priority: i32,
    start: SimTime,
}

impl Victim {
    fn of(b: &BoundPod) -> Victim {
        Victim {
            id: b.id,
            priority: b.priority,
            start: b.bound_at,
        }
    }

    /// Upstream's `MoreImportantPod` as an order (most important first): higher priority,
    /// then earlier start; the pod id settles the rest.
    fn importance(&self, other: &Victim) -> std::cmp::Ordering {
        other
            .priority
            .cmp(&self.priority)
            .then(self.start.cmp(&other.start))
            .then(self.id.cmp(&other.id))
    }
}

/// A node where evicting `victims` (most important first) makes the pod fit.
#[derive(Clone, Debug)]
struct Candidate {
    node: usize,
    victims: Vec<Victim>,
    pdb_violations: usize,
}

/// `disruptionsAllowed` of every budget, from its status as the disruption controller last
/// wrote it (`pdb.Status.DisruptionsAllowed`, read through the scheduler's informer).
fn disruptions_allowed(store: &Store) -> Vec<i64> {
    (0..store.pdbs().len())
        .map(|i| store.pdb_status(PdbId(i as u32)).disruptions_allowed)
        .collect()
}

/// Whether evicting `pod` would break a budget (decrementing the allowances it uses), as
/// upstream's `filterPodsWithPDBViolation`: a pod without labels matches no budget, a budget
/// with an empty selector guards nothing, and a pod the eviction API already counted
/// (in the budget's `disruptedPods`) takes nothing more from it.
fn violates(store: &Store, allowed: &mut [i64], pod: &Pod) -> bool {
    if pod.meta.labels.is_empty() {
        return false;
    }
    let mut violated = false;
    for (i, (b, left)) in store.pdbs().iter().zip(allowed.iter_mut()).enumerate() {
        if !b.guards(&pod.meta.namespace, &pod.meta.labels) {
            continue;
        }
        let status = store.pdb_status(PdbId(i as u32));
        if status.disrupted_pods.contains_key(&pod.meta.name) {
            continue;
        }
        *left -= 1;
        violated |= *left < 0;
    }
    violated
}

/// Buffers the dry run reuses from node to node.
#[derive(Default)]
struct Scratch {
    /// The lower-priority pods of the node, as indices into its bound pods.
    lower: Vec<usize>,
    violating: Vec<bool>,
    left: Vec<i64>,
}

impl DefaultPreemption {
    /// The victims on one node, or why there are none.
    fn select_victims(
        &self,
        pod: &Pod,
        node: usize,
        input: &PostFilterInput<'_>,
        allowed: &[i64],
        scratch: &mut Scratch,
    ) -> Result<Candidate, Status> {
        let store = input.view.store;
        let bound = input.nodes.pods().on_node(node);
        let lower = &mut scratch.lower;
        lower.clear();
        lower.extend((0..bound.len()).filter(|&k| bound[k].priority < pod.spec.priority));
        if lower.is_empty() {
            return Err(Status::unresolvable(ERR_NO_VICTIMS));
        }
        let mut info = input.nodes.all()[node].clone();
        for &k in lower.iter() {
            info.remove_spec(&bound[k].spec);
        }
        let fits = (input.filters)(pod, &info);
        if !fits.is_success() {
            return Err(fits);
        }
        lower.sort_by(|&a, &b| Victim::of(&bound[a]).importance(&Victim::of(&bound[b])));
        scratch.violating.clear();
        if store.pdbs().is_empty() {
            scratch.violating.resize(lower.len(), false);
        } else {
            scratch.left.clear();
            scratch.left.extend_from_slice(allowed);
            for &k in lower.iter() {
                let broken = violates(store, &mut scratch.left, store.pod(bound[k].id));
                scratch.violating.push(broken);
            }
        }
        let mut victims = Vec::new();
        let mut pdb_violations = 0;
        // Reprieve the PDB-violating pods first, then the others, most important first.
        for pass in [true, false] {
            for (&k, &broken) in lower.iter().zip(&scratch.violating) {
                if broken != pass {
                    continue;
                }
                let spec = &bound[k].spec;
                info.add_spec(spec);
                if !(input.filters)(pod, &info).is_success() {
                    info.remove_spec(spec);
                    victims.push(Victim::of(&bound[k]));
                    pdb_violations += usize::from(broken);
                }
            }
        }
        victims.sort_by(Victim::importance);
        Ok(Candidate {
            node,
            victims,
            pdb_violations,
        })
    }
}

/// Upstream's `pickOneNodeForPreemption` over candidates in dry-run order.
fn pick(candidates: &[Candidate]) -> usize {
    if let Some(i) = candidates.iter().position(|c| c.victims.is_empty()) {
        return i;
    }
    let prio = |v: &Victim| i64::from(v.priority);
    let mut left: Vec<usize> = (0..candidates.len()).collect();
    let keep_min = |key: &dyn Fn(&Candidate) -> i64, left: &mut Vec<usize>| {
        if let Some(best) = left.iter().map(|&i| key(&candidates[i])).min() {
            left.retain(|&i| key(&candidates[i]) == best);
        }
    };
    keep_min(&|c| c.pdb_violations as i64, &mut left);
    keep_min(&|c| c.victims.first().map_or(i64::MIN, prio), &mut left);
    keep_min(
        &|c| c.victims.iter().map(|v| prio(v) + (1i64 << 31)).sum(),
        &mut left,
    );
    keep_min(&|c| c.victims.len() as i64, &mut left);
    // Latest start among the highest-priority victims: the most negated earliest time.
    keep_min(
        &|c| {
            let top = c.victims.first().map_or(0, prio);
            let earliest = c
                .victims
                .iter()
                .filter(|v| prio(v) == top)
                .map(|v| v.start.ms())
                .min()
                .unwrap_or(0);
            -earliest
        },
        &mut left,
    );
    left[0]
}

impl PostFilterPlugin for DefaultPreemption {
    fn post_filter(
        &self,
        pod: &Pod,
        input: &mut PostFilterInput<'_>,
    ) -> (Status, Option<Nomination>) {
        let store = input.view.store;
        if pod.spec.preemption_policy == PreemptionPolicy::Never {
            return (
                Status::unschedulable("preemption: not eligible due to preemptionPolicy=Never."),
                None,
            );
        }
        if let Some(n) = pod.status.nominated_node {
            let waiting = store.pods_on_node(NodeId(n)).iter().any(|&v| {
                let p = store.pod(v);
                p.status.terminating.is_some() && p.spec.priority < pod.spec.priority
            });
            if waiting {
                return (
                    Status::unschedulable(
                        "preemption: not eligible due to a terminating pod on the nominated node.",
                    ),
                    None,
                );
            }
        }
        let all = input.nodes.indices();
        let unschedulable: Vec<bool> = {
            let mut v = vec![false; input.nodes.all().len()];
            for &(n, code) in input.statuses {
                if code == Code::Unschedulable {
                    v[n] = true;
                }
            }
            v
        };
        let potential: Vec<usize> = all.iter().copied().filter(|&n| unschedulable[n]).collect();
        let mut diag = Diagnosis {
            num_all_nodes: all.len(),
            ..Default::default()
        };
        let not_helpful = |diag: &mut Diagnosis, except: &[usize]| {
            for &n in all {
                if !except.contains(&n) {
                    diag.rejected
                        .push((n, Status::unresolvable(ERR_NOT_HELPFUL)));
                }
            }
        };
        if potential.is_empty() {
            not_helpful(&mut diag, &[]);
            return (
                Status::unschedulable(format!("preemption: {}", diag.message())),
                None,
            );
        }
        let allowed = disruptions_allowed(store);
        let len = potential.len();
        let wanted = self.args.num_candidates(len);
        let offset = (input.draw)(len);
        let mut candidates = Vec::new();
        let mut without_violations = 0;
        let mut scratch = Scratch::default();
        for j in 0..len {
            let node = potential[(offset + j) % len];
            match self.select_victims(pod, node, input, &allowed, &mut scratch) {
                Ok(c) => {
                    without_violations += usize::from(c.pdb_violations == 0);
                    candidates.push(c);
                    if without_violations > 0 && candidates.len() >= wanted {
                        break;
                    }
                }
                Err(s) => diag.rejected.push((node, s)),
            }
        }
        if candidates.is_empty() {
            not_helpful(&mut diag, &potential);
            return (
                Status::unschedulable(format!("preemption: {}", diag.message())),
                None,
            );
        }
        let chosen = pick(&candidates);
        let best = candidates.swap_remove(chosen);
        (
            Status::success(),
            Some(Nomination {
                node: best.node,
                victims: best.victims.iter().map(|v| v.id).collect(),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::pod;
    use std::sync::Arc;

    /// Victims of the given (priority, start second), with ids in order.
    fn victims(pods: &[(i32, i64)]) -> Vec<Victim> {
        pods.iter()
            .enumerate()
            .map(|(i, &(priority, start))| Victim {
                id: PodId(i as u32),
                priority,
                start: SimTime(start * 1000),
            })
            .collect()
    }

    fn cand(node: usize, victims: &[Victim], pdb_violations: usize) -> Candidate {
        Candidate {
            node,
            victims: victims.to_vec(),
            pdb_violations,
        }
    }

    #[test]
    fn candidate_order_follows_upstream_criteria() {
        let p = victims(&[(10, 0), (5, 0), (5, 0), (1, 0), (5, 7), (5, 3)]);
        // Fewest PDB violations first.
        let cs = [cand(0, &[p[3]], 1), cand(1, &[p[0]], 0)];
        assert_eq!(pick(&cs), 1);
        // Then the lowest highest-victim priority.
        let cs = [cand(0, &[p[0]], 0), cand(1, &[p[1], p[2]], 0)];
        assert_eq!(pick(&cs), 1);
        // Then the smallest priority sum.
        let cs = [cand(0, &[p[1], p[2]], 0), cand(1, &[p[1], p[3]], 0)];
        assert_eq!(pick(&cs), 1);
        // Then the latest start among the highest-priority victims.
        let cs = [cand(0, &[p[5]], 0), cand(1, &[p[4]], 0)];
        assert_eq!(pick(&cs), 1);
        // A node without victims wins at once.
        let cs = [cand(0, &[p[3]], 0), cand(1, &[], 0)];
        assert_eq!(pick(&cs), 1);
        // On a full tie, the first candidate in dry-run order.
        let cs = [cand(0, &[p[1]], 0), cand(1, &[p[2]], 0)];
        assert_eq!(pick(&cs), 0);
    }

    #[test]
    fn importance_is_priority_then_earlier_start() {
        let p = victims(&[(5, 9), (7, 9), (5, 2), (5, 2)]);
        let mut order = p.clone();
        order.sort_by(Victim::importance);
        let ids: Vec<u32> = order.iter().map(|v| v.id.0).collect();
        assert_eq!(ids, [1, 2, 3, 0]);
    }

    #[test]
    fn a_budget_is_broken_only_past_its_allowance() {
        use crate::api::disruption::{IntOrPercent, PodDisruptionBudget};
        use crate::api::selector::LabelSelector;
        let mut store = Store::new();
        let b = store.add_pdb(PodDisruptionBudget {
            name: "b".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::parse("app=db").unwrap()),
            min_available: Some(IntOrPercent::Int(1)),
            max_unavailable: None,
        });
        let mut db = pod("db", 100, 0);
        let mut labels = crate::api::Labels::new();
        labels.insert("app".into(), "db".into());
        db.meta.labels = Arc::new(labels);
        let mut allowed = vec![1];
        assert!(!violates(&store, &mut allowed, &db));
        assert!(violates(&store, &mut allowed, &db));
        // Other pods are not covered.
        assert!(!violates(&store, &mut allowed, &pod("web", 100, 0)));
        // A pod the eviction API already counted takes nothing more.
        let mut status = store.pdb_status(b).clone();
        status.disrupted_pods.insert("db".into(), SimTime::ZERO);
        store.set_pdb_status(b, status);
        let mut allowed = vec![0];
        assert!(!violates(&store, &mut allowed, &db));
        assert_eq!(allowed, [0]);
    }
}
