//! `kubectl drain` (`staging/src/k8s.io/kubectl/pkg/drain/`): cordon the node, then evict
//! its pods through the eviction API, which refuses while a PodDisruptionBudget allows no
//! disruption; refused evictions are retried every 5 s until `--timeout`; the drain is
//! done when every evicted pod is gone. DaemonSet pods stay with `--ignore-daemonsets` (or
//! stop the drain); pods without a controller need `--force`. Each pod's first attempt,
//! first refusal and eviction are printed once (kubectl repeats the refusal every retry).

use super::{Ctx, Kubectl, KubectlEvent, Output};
use crate::api::kubectl::Drain;
use crate::component::{CommandStatus, Timer};
use crate::store::{EvictionRefused, PodId};
use std::collections::BTreeSet;

/// kubectl's wait between refused evictions.
const RETRY_MS: i64 = 5_000;

/// A drain under way.
pub(super) struct DrainState {
    record: usize,
    drain: Drain,
    /// Evicted, waiting to be gone.
    waiting: Vec<PodId>,
    /// Refused by a budget: retried.
    refused: Vec<PodId>,
    /// Refusals printed already.
    told: BTreeSet<PodId>,
    /// Evictions the API server refused outright (several budgets): not retried, the drain
    /// fails.
    failed: Vec<String>,
    retry: Option<Timer>,
}

impl Kubectl {
    /// Starts draining: cordon, the checks, the first evictions.
    pub(super) fn drain(&mut self, i: usize, record: usize, d: &Drain, ctx: Ctx) {
        let mut out = Output {
            index: record,
            failed: false,
        };
        super::edit::cordon(&d.node, true, &mut out, ctx);
        let Some(node) = ctx.store.node_id(&d.node) else {
            return out.finish(ctx);
        };
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        let daemons: Vec<PodId> = pods
            .iter()
            .copied()
            .filter(|&p| {
                ctx.store
                    .pod(p)
                    .meta
                    .controller()
                    .is_some_and(|o| &*o.kind == "DaemonSet")
            })
            .collect();
        let unmanaged: Vec<PodId> = pods
            .iter()
            .copied()
            .filter(|&p| ctx.store.pod(p).meta.controller().is_none())
            .collect();
        let list = |ps: &[PodId], store: &crate::store::Store| {
            ps.iter()
                .map(|&p| store.pod(p).key())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut problems = Vec::new();
        if !daemons.is_empty() && !d.ignore_daemonsets {
            problems.push(format!(
                "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
                list(&daemons, ctx.store)
            ));
        }
        if !unmanaged.is_empty() && !d.force {
            problems.push(format!(
                "cannot delete Pods that declare no controller (use --force to override): {}",
                list(&unmanaged, ctx.store)
            ));
        }
        if !problems.is_empty() {
            let msg = format!(
                "unable to drain node {:?} due to error: {}, continuing command...",
                d.node,
                problems.join(", ")
            );
            out.error(msg, ctx);
            return out.finish(ctx);
        }
        if !daemons.is_empty() {
            out.line(
                format!(
                    "Warning: ignoring DaemonSet-managed Pods: {}",
                    list(&daemons, ctx.store)
                ),
                ctx,
            );
        }
        if !unmanaged.is_empty() {
            out.line(
                format!(
                    "Warning: deleting Pods that declare no controller: {}",
                    list(&unmanaged, ctx.store)
                ),
                ctx,
            );
        }
        let mut state = DrainState {
            record,
            drain: d.clone(),
            waiting: Vec::new(),
            refused: Vec::new(),
            told: BTreeSet::new(),
            failed: Vec::new(),
            retry: None,
        };
        for p in pods.into_iter().filter(|p| !daemons.contains(p)) {
            let line = format!("evicting pod {}", ctx.store.pod(p).key());
            ctx.recorder
                .command_output(record, line, CommandStatus::Running);
            attempt(&mut state, p, ctx);
        }
        if let Some(t) = d.timeout_ms {
            ctx.after(t, KubectlEvent::DrainTimeout(i));
        }
        self.drains.push((i, state));
        self.settle_drain(i, ctx);
    }

    /// Retries the refused evictions of drain `i`.
    pub(super) fn drain_retry(&mut self, i: usize, ctx: Ctx) {
        let Some((_, state)) = self.drains.iter_mut().find(|(c, _)| *c == i) else {
            return;
        };
        state.retry = None;
        for p in std::mem::take(&mut state.refused) {
            attempt(state, p, ctx);
        }
        self.settle_drain(i, ctx);
    }

    /// `--timeout` passed: a drain not done fails.
    pub(super) fn drain_timeout(&mut self, i: usize, ctx: Ctx) {
        let Some(at) = self.drains.iter().position(|(c, _)| *c == i) else {
            return;
        };
        let (_, state) = self.drains.remove(at);
        if let Some(t) = state.retry {
            ctx.cancel(t);
        }
        let timeout = crate::api::duration::format_duration_ms(state.drain.timeout_ms.unwrap_or(0));
        let msg = format!(
            "error: unable to drain node {:?} due to error: global timeout reached: {timeout}, continuing command...",
            state.drain.node
        );
        ctx.recorder
            .command_output(state.record, msg, CommandStatus::Failed);
    }

    /// A pod is gone: the drains waiting for it print it evicted.
    pub(super) fn pod_gone(&mut self, pod: PodId, ctx: Ctx) {
        let waiting: Vec<usize> = self
            .drains
            .iter()
            .filter(|(_, s)| s.waiting.contains(&pod))
            .map(|(i, _)| *i)
            .collect();
        for i in waiting {
            if let Some((_, s)) = self.drains.iter_mut().find(|(c, _)| *c == i) {
                s.waiting.retain(|&p| p != pod);
                let line = format!("pod/{} evicted", ctx.store.pod(pod).meta.name);
                ctx.recorder
                    .command_output(s.record, line, CommandStatus::Running);
            }
            self.settle_drain(i, ctx);
        }
    }

    /// Ends drain `i` when nothing is left, or schedules its next retry.
    fn settle_drain(&mut self, i: usize, ctx: Ctx) {
        let Some(at) = self.drains.iter().position(|(c, _)| *c == i) else {
            return;
        };
        let state = &mut self.drains[at].1;
        if state.waiting.is_empty() && state.refused.is_empty() {
            let (line, status) = match state.failed.is_empty() {
                true => (
                    format!("node/{} drained", state.drain.node),
                    CommandStatus::Done,
                ),
                false => (
                    format!(
                        "error: unable to drain node {:?} due to error: {}, continuing command...",
                        state.drain.node,
                        state.failed.join(", ")
                    ),
                    CommandStatus::Failed,
                ),
            };
            ctx.recorder.command_output(state.record, line, status);
            self.drains.remove(at);
        } else if !state.refused.is_empty() && state.retry.is_none() {
            state.retry = Some(ctx.after(RETRY_MS, KubectlEvent::DrainRetry(i)));
        }
    }
}

/// One eviction (or deletion, with `--disable-eviction`).
fn attempt(state: &mut DrainState, pod: PodId, ctx: Ctx) {
    let now = ctx.now();
    let grace = state.drain.grace_ms;
    let result = if state.drain.disable_eviction {
        ctx.store.request_deletion_with_grace(pod, now, grace);
        Ok(true)
    } else {
        ctx.store.evict(pod, now, grace)
    };
    match result {
        Ok(_) if ctx.store.pod(pod).status.deleted.is_some() => {
            let line = format!("pod/{} evicted", ctx.store.pod(pod).meta.name);
            ctx.recorder
                .command_output(state.record, line, CommandStatus::Running);
        }
        Ok(_) => state.waiting.push(pod),
        Err(e @ EvictionRefused::SeveralBudgets) => {
            // A 500: kubectl gives up on the pod at once.
            let p = ctx.store.pod(pod);
            let msg = format!(
                "error when evicting pods/{:?} -n {:?}: {e}",
                p.meta.name, p.meta.namespace
            );
            ctx.recorder
                .command_output(state.record, msg.clone(), CommandStatus::Running);
            state.failed.push(msg);
        }
        Err(e) => {
            if state.told.insert(pod) {
                let p = ctx.store.pod(pod);
                let line = format!(
                    "error when evicting pods/{:?} -n {:?} (will retry after 5s): {e}",
                    p.meta.name, p.meta.namespace
                );
                ctx.recorder
                    .command_output(state.record, line, CommandStatus::Running);
            }
            state.refused.push(pod);
        }
    }
}
