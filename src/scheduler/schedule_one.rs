//! One scheduling cycle and what comes of it (`pkg/scheduler/schedule_one.go`): the pod is
//! popped, its cycle runs (taking `schedulingCycle` of simulated time, one pod at a time),
//! then it is bound (after `binding`, asynchronously: assumed on its node meanwhile, as
//! upstream's scheduler cache assumes it), nominated after a preemption, or queued again.
//!
//! A cycle that takes time decides when it ends, from the cluster as it is then (upstream
//! decides from a snapshot taken when it starts); PreBind runs when the cycle ends, the
//! binding's wait comes after it.

use super::framework::{ApiHandle, ClusterView, Nomination};
use super::profile::{CycleDetail, CycleResult};
use super::queue::QueuedPodInfo;
use super::{Ctx, Outcome, Scheduler, SchedulerEvent};
use crate::api::event::{EventType, Message};
use crate::component::{AttemptRecord, FilterVerdict, NodeScores, PreemptionRecord};
use crate::engine::SimTime;
use crate::scheduler::cache::NodeSet;
use crate::store::{NodeId, PodId, Store};

impl Scheduler {
    /// Starts a cycle for the head of the active queue. A cycle that takes time
    /// (`schedulingCycle`) holds the scheduler until [`SchedulerEvent::CycleDone`]; one that
    /// takes none runs at once.
    pub(super) fn schedule_one(&mut self, ctx: Ctx) {
        let profiles = &self.profiles;
        let Some(info) = self.queue.pop(&|a, b| profiles[0].less(a, b)) else {
            return;
        };
        let pod = ctx.store.pod(info.pod);
        if pod.status.deleted.is_some() || pod.status.node.is_some() {
            return;
        }
        let took = self.timings.scheduling_cycle.sample(&mut self.timing_rng);
        if took > 0 {
            self.in_cycle = Some(info);
            self.cycle_pending = true;
            ctx.after(took, SchedulerEvent::CycleDone);
            return;
        }
        self.cycle(info, ctx);
    }

    /// The cycle under way ends: it decides for its pod now (unless the pod went meanwhile),
    /// and the next cycle may start.
    pub(super) fn cycle_done(&mut self, ctx: Ctx) {
        self.cycle_pending = false;
        let Some(info) = self.in_cycle.take() else {
            return;
        };
        let pod = ctx.store.pod(info.pod);
        if pod.status.deleted.is_some() || pod.status.node.is_some() {
            return;
        }
        self.cycle(info, ctx);
    }

    /// One scheduling cycle for the popped pod `info`, and what comes of it: the pod is bound
    /// (after `binding`, assumed on its node meanwhile), or nominated after a preemption, or
    /// queued again.
    fn cycle(&mut self, mut info: QueuedPodInfo, ctx: Ctx) {
        let now = ctx.now();
        let store = &mut *ctx.store;
        let pod_id = info.pod;
        info.attempts += 1;
        store.set_scheduling_attempts(pod_id, info.attempts);
        self.stats.attempts += 1;
        let pod = store.pod(pod_id);
        let Some(&pi) = self.profile_by_name.get(&*pod.spec.scheduler_name) else {
            return;
        };
        if self.order_stale {
            self.order = self.tree.list();
            self.order_stale = false;
        }
        self.index_selectors(pod_id, pi, store);
        // Pods nominated to a node by preemption, of at least this pod's priority, hold their
        // place there while this pod is filtered (upstream's RunFilterPluginsWithNominatedPods).
        let holding: Vec<(PodId, usize)> = self
            .nominated
            .iter()
            .filter(|&(&p, _)| p != pod_id && store.pod(p).spec.priority >= pod.spec.priority)
            .map(|(&p, &n)| (p, n))
            .collect();
        for &(p, n) in &holding {
            self.nodes[n].add_pod(store.pod(p));
        }
        let mut detail = self.explain.then(CycleDetail::default);
        let cluster = NodeSet::new(&self.nodes, &self.order)
            .with_facts(self.facts)
            .with_pods(&self.pods);
        let view = ClusterView {
            store: &*store,
            images: &self.images,
        };
        let mut result = self.profiles[pi].run_cycle(
            pod,
            cluster,
            view,
            &mut self.next_start,
            ctx.rng,
            detail.as_mut(),
        );
        // PostFilter (preemption) when no node fits.
        let post = match &result {
            CycleResult::Unschedulable(diag) => {
                self.profiles[pi].post_filter(pod, cluster, view, diag, ctx.rng)
            }
            _ => None,
        };
        for &(p, n) in &holding {
            self.nodes[n].remove_pod(store.pod(p));
        }
        // The binding cycle: PreBind plugins make their API changes before the pod is bound.
        if let CycleResult::Scheduled(ni) = result {
            let mut api = ApiHandle {
                store: &mut *ctx.store,
                recorder: &mut *ctx.recorder,
                now,
            };
            if let Err(e) = self.profiles[pi].pre_bind(pod_id, NodeId(ni as u32), &mut api) {
                result = CycleResult::Error(e);
            }
        }
        let mut preemption = None;
        let (result_str, node_name, message) = match result {
            CycleResult::Scheduled(ni) => {
                let node = self.node_names[ni].clone();
                let binding = self.timings.binding.sample(&mut self.timing_rng);
                if binding > 0 {
                    self.assume(pod_id, ni, ctx.store, now);
                    ctx.after(binding, SchedulerEvent::Bind(pod_id));
                } else {
                    self.bind(pod_id, ni, ctx);
                }
                ("Scheduled", Some(node), None)
            }
            CycleResult::Unschedulable(diag) => {
                self.stats.unschedulable += 1;
                let mut msg = diag.message();
                match post {
                    Some((status, Some(nomination))) if status.is_success() => {
                        preemption = Some(self.nominate(pod_id, nomination, ctx));
                    }
                    Some((status, _)) => {
                        // Upstream's FitError appends the PostFilter message as " %v.".
                        msg = format!("{msg} {}.", status.reasons.join(", "));
                        preemption = Some(PreemptionRecord::default());
                    }
                    None => {}
                }
                info.requeue_on = diag.requeue_on;
                self.queue.add_unschedulable(info.clone(), now);
                ctx.store.set_pod_reason(pod_id, Some("Unschedulable"));
                let reason = "FailedScheduling";
                ctx.record_pod(pod_id, EventType::Warning, reason, msg.clone());
                ("Unschedulable", None, Some(msg))
            }
            CycleResult::Error(e) => {
                self.stats.errors += 1;
                self.queue.add_backoff(info.clone(), now);
                ctx.record_pod(pod_id, EventType::Warning, "FailedScheduling", e.clone());
                ("Error", None, Some(e))
            }
        };
        if let Some(d) = detail {
            let outcome = Outcome {
                result: result_str,
                node: node_name,
                message,
                preemption,
            };
            self.record_attempt(ctx, pod_id, pi, info.attempts, d, outcome);
        }
    }

    /// Binds a pod to node `ni` (upstream's binding cycle ends: the Scheduled event).
    fn bind(&mut self, pod_id: PodId, ni: usize, ctx: Ctx) {
        self.stats.scheduled += 1;
        ctx.store.bind(pod_id, NodeId(ni as u32), ctx.now());
        ctx.store.set_pod_reason(pod_id, None);
        let object = ctx.pod_object(pod_id);
        let node = self.node_names[ni].clone();
        let msg = Message::Assigned { object, node };
        ctx.record_pod(pod_id, EventType::Normal, "Scheduled", msg);
    }

    /// Counts a pod on node `ni` before it is bound (upstream's `assume`): the next cycles
    /// see it there while its binding is under way.
    fn assume(&mut self, id: PodId, ni: usize, store: &Store, now: SimTime) {
        self.nominated.remove(&id);
        self.assumed.insert(id, ni);
        self.count_on_node(id, store.pod(id), ni, now);
    }

    /// The binding of an assumed pod ends: it is bound, unless it was deleted meanwhile
    /// (then it is no longer assumed).
    pub(super) fn binding_done(&mut self, pod_id: PodId, ctx: Ctx) {
        if let Some(ni) = self.assumed.remove(&pod_id) {
            self.bind(pod_id, ni, ctx);
        }
    }

    /// Indexes the selectors a pod that counts other pods needs (its affinity terms, spread
    /// constraints and the Services selecting it for profile `pi`'s default constraints),
    /// before its cycle.
    fn index_selectors(&mut self, pod_id: PodId, pi: usize, store: &Store) {
        let pod = store.pod(pod_id);
        if pod.spec.pod_affinity.is_some()
            || !pod.spec.topology_spread_constraints.is_empty()
            || !store.services().is_empty()
        {
            let defaults = self.profiles[pi].spread_defaults();
            for m in self.pods.prepare(pod, store.services(), defaults) {
                let (counted, assumed) = (&self.counted, &self.assumed);
                let bound = counted
                    .iter()
                    .enumerate()
                    .filter(|&(_, c)| *c)
                    .filter_map(|(i, _)| {
                        let id = PodId(i as u32);
                        let p = store.pod(id);
                        let node = p.status.node.map(|n| n as usize);
                        node.or_else(|| assumed.get(&id).copied()).map(|n| (p, n))
                    });
                self.pods.ensure_matcher(&m, bound);
            }
        }
    }

    /// Records an attempt in detail (`--explain`).
    fn record_attempt(
        &self,
        ctx: Ctx,
        pod_id: PodId,
        pi: usize,
        attempt: u32,
        d: CycleDetail,
        outcome: Outcome,
    ) {
        let name = |i: usize| self.nodes[i].name().to_string();
        let filter = d.filter.into_iter().map(|f| {
            let verdict = FilterVerdict {
                status: f.code.as_str(),
                plugin: f.plugin,
                reason: f.reason,
            };
            (name(f.node), verdict)
        });
        let scores = d.scores.into_iter().map(|s| {
            let scores = NodeScores {
                plugins: s.plugins,
                total: s.total,
            };
            (name(s.node), scores)
        });
        ctx.recorder.attempt(AttemptRecord {
            time: ctx.now(),
            pod: ctx.store.pod(pod_id).key(),
            profile: self.profiles[pi].name.clone(),
            attempt,
            result: outcome.result,
            node: outcome.node.map(|n| n.to_string()),
            message: outcome.message,
            filter: filter.collect(),
            scores: scores.collect(),
            weights: self.profiles[pi].score_weights(),
            preemption: outcome.preemption,
        });
    }

    /// Carries out a preemption: the victims are deleted with their grace period and told
    /// why, lower-priority pods nominated to the node lose their nomination, and the pod is
    /// nominated (it is not bound in this cycle).
    fn nominate(&mut self, pod_id: PodId, nomination: Nomination, ctx: Ctx) -> PreemptionRecord {
        let now = ctx.now();
        let node = nomination.node;
        let node_name = self.node_names[node].clone();
        let preemptor = ctx.store.pod(pod_id).key();
        let priority = ctx.store.pod(pod_id).spec.priority;
        let mut victims = Vec::with_capacity(nomination.victims.len());
        for &v in &nomination.victims {
            victims.push(ctx.store.pod(v).key());
            if ctx.store.pod(v).status.terminating.is_none() {
                let msg = format!("Preempted by pod {preemptor} on node {node_name}");
                ctx.record_pod(v, EventType::Normal, "Preempted", msg);
                ctx.store.set_pod_reason(v, Some("Preempted"));
                if ctx.store.request_deletion(v, now) {
                    self.stats.preemptions += 1;
                }
            }
        }
        let losing: Vec<PodId> = self
            .nominated
            .iter()
            .filter(|&(&p, &n)| {
                n == node && p != pod_id && ctx.store.pod(p).spec.priority < priority
            })
            .map(|(&p, _)| p)
            .collect();
        for p in losing {
            self.nominated.remove(&p);
            ctx.store.set_nominated_node(p, None);
        }
        self.nominated.insert(pod_id, node);
        ctx.store
            .set_nominated_node(pod_id, Some(NodeId(node as u32)));
        PreemptionRecord {
            nominated_node: Some(node_name.to_string()),
            victims,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Distribution;
    use crate::api::kubelet::SchedulerTimings;
    use crate::component::Harness;
    use crate::scheduler::config::SchedulerConfig;
    use crate::scheduler::plugins::Registry;
    use crate::scheduler::plugins::testing::{node, pod};

    /// A scheduler whose cycles take `cycle_ms` and bindings `binding_ms`, with two nodes of
    /// 4 cpu, in a harness.
    fn harness(cycle_ms: i64, binding_ms: i64) -> Harness<Scheduler> {
        let (mut sched, _) =
            Scheduler::new(&SchedulerConfig::default(), &Registry::in_tree(), 1, false).unwrap();
        sched.set_timings(SchedulerTimings {
            scheduling_cycle: Distribution::Constant(cycle_ms),
            binding: Distribution::Constant(binding_ms),
        });
        let mut h = Harness::new(sched);
        for name in ["n1", "n2"] {
            h.store.add_node((*node(name, 4000, 8 << 30).node).clone());
        }
        h
    }

    /// One cycle at a time, each taking its time; each binding after its cycle, while the
    /// next cycle runs; an assumed pod holds its place on its node.
    #[test]
    fn cycles_take_turns_and_bindings_follow_them() {
        let mut h = harness(5, 10);
        let ids: Vec<PodId> = (0..3)
            .map(|i| h.store.create_pod(pod(&format!("p{i}"), 3000, 0)))
            .collect();
        h.run_until(SimTime(1000));
        let bound: Vec<Option<i64>> = ids
            .iter()
            .map(|&id| h.store.pod(id).status.scheduled.map(|t| t.ms()))
            .collect();
        // Cycles end at 5 and 10 ms; bindings 10 ms later. The third pod fits nowhere (its
        // cycle ends at 15 ms): the first two, assumed, already hold both nodes.
        assert_eq!(bound, [Some(15), Some(20), None]);
        let nodes: Vec<_> = ids[..2]
            .iter()
            .map(|&id| h.store.pod(id).status.node)
            .collect();
        assert_ne!(nodes[0], nodes[1]);
        // At 15 ms the first binding (due since 5 ms) comes before the third cycle's end.
        let events = h.events();
        assert!(
            events[0].starts_with("Scheduled Pod/default/p0"),
            "{events:?}"
        );
        assert!(
            events[1].starts_with("FailedScheduling Pod/default/p2: 0/2 nodes are available"),
            "{events:?}"
        );
    }

    /// A pod deleted while its binding is under way is never bound, and its place on the
    /// node is free again.
    #[test]
    fn a_pod_deleted_before_its_binding_frees_its_node() {
        let mut h = harness(0, 100);
        let first = h.store.create_pod(pod("first", 3000, 0));
        let second = h.store.create_pod(pod("second", 3000, 0));
        // Both are assumed at 0 ms (the harness's clock stays there until the bindings).
        h.run_until(SimTime(50));
        assert_eq!(h.now(), SimTime::ZERO);
        h.store.delete_pod(first, h.now());
        let third = h.store.create_pod(pod("third", 3000, 0));
        h.run_until(SimTime(1000));
        assert_eq!(h.store.pod(first).status.node, None);
        assert_eq!(h.store.pod(second).status.scheduled, Some(SimTime(100)));
        // Had `first` kept its place, `third` would fit nowhere.
        assert_eq!(h.store.pod(third).status.scheduled, Some(SimTime(100)));
        assert_ne!(
            h.store.pod(third).status.node,
            h.store.pod(second).status.node
        );
    }

    /// Without timings nothing takes time: every pod is bound when it is created.
    #[test]
    fn without_timings_a_burst_is_bound_at_once() {
        let mut h = harness(0, 0);
        let ids: Vec<PodId> = (0..4)
            .map(|i| h.store.create_pod(pod(&format!("p{i}"), 100, 0)))
            .collect();
        h.run_until(SimTime(1000));
        for id in ids {
            assert_eq!(h.store.pod(id).status.scheduled, Some(SimTime::ZERO));
        }
    }
}
