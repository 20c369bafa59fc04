//! `kubectl drain` (`staging/src/k8s.io/kubectl/pkg/drain/`): cordon the node, then evict
//! its pods through the eviction API, which refuses while a PodDisruptionBudget allows no
//! disruption; refused evictions are retried every 5 s until `--timeout`; the drain is
//! done when every evicted pod is gone. DaemonSet pods stay with `--ignore-daemonsets` (or
//! stop the drain); pods without a controller need `--force`. Each pod's first attempt,
//! first refusal and eviction are printed once (kubectl repeats the attempt and the refusal
//! every retry). With `--disable-eviction` the pods are deleted instead, with no attempt
//! line, and each is printed `deleted`.
//!
//! A drain that fails ends as `RunDrain` and `deleteOrEvictPodsSimple` end it
//! (`staging/src/k8s.io/kubectl/pkg/cmd/drain/drain.go`): the pods still on the node (after
//! an eviction error: `There are pending pods in node ...`, then `pod/NAME` each, in the API
//! server's list order), `error: unable to drain node "N" due to error: ..., continuing
//! command...`, `There are pending nodes to be drained:` and ` N`, then the command's error
//! as `CheckErr` prints it (`staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go`): each error
//! of the aggregate `evictPods` returns on its own line, or `error: ` and the one error.
//! `--timeout` ends each pod still at work with its error (`evictPods` in
//! `staging/src/k8s.io/kubectl/pkg/drain/drain.go`): `error when evicting pods/"NAME" -n
//! "NS": global timeout reached: 2m0s` for one still refused, `error when waiting for pod
//! "NAME" in namespace "NS" to terminate: global timeout reached: 2m0s` for one evicted and
//! not yet gone, and, with `--disable-eviction`, `timed out waiting for the condition`
//! (`wait.PollImmediate`). kubesim prints it all at the timeout (kubectl notices it at each
//! pod's next retry or poll, up to 5 s later), the pods' errors after any refused outright,
//! in the order the drain listed the pods.

use super::{Ctx, Kubectl, KubectlEvent, Output};
use crate::api::kubectl::Drain;
use crate::component::{CommandStatus, Timer};
use crate::store::{NodeId, PodId, Store};
use std::collections::BTreeSet;

/// kubectl's wait between refused evictions.
const RETRY_MS: i64 = 5_000;

/// A drain under way.
pub(super) struct DrainState {
    record: usize,
    drain: Drain,
    /// The pods it evicts (or deletes), in the order it listed them.
    pods: Vec<PodId>,
    /// Evicted, waiting to be gone.
    waiting: Vec<PodId>,
    /// Refused by a budget: retried.
    refused: Vec<PodId>,
    /// Refusals printed already.
    told: BTreeSet<PodId>,
    /// Evictions the API server refused outright (not a 429): not retried, the drain
    /// fails with these errors.
    failed: Vec<String>,
    retry: Option<Timer>,
}

/// How the error a drain fails with is printed.
enum DrainError {
    /// `utilerrors.NewAggregate` of these (`evictPods`, `GetPodsForDeletion`).
    Aggregate(Vec<String>),
    /// One plain error (`wait.PollImmediate`'s timeout, with `--disable-eviction`).
    Plain(String),
}

impl DrainError {
    /// `err.Error()`: an aggregate of one is that error; of several, the distinct ones in
    /// brackets (`staging/src/k8s.io/apimachinery/pkg/util/errors/errors.go`).
    fn message(&self) -> String {
        match self {
            DrainError::Plain(e) => e.clone(),
            DrainError::Aggregate(errors) => {
                let mut seen: Vec<&str> = Vec::new();
                for e in errors {
                    if !seen.contains(&e.as_str()) {
                        seen.push(e);
                    }
                }
                match (errors.len(), seen.len()) {
                    (0, _) => String::new(),
                    (1, _) | (_, 1) => seen[0].to_string(),
                    _ => format!("[{}]", seen.join(", ")),
                }
            }
        }
    }

    /// What `CheckErr` prints of it, a line each: an aggregate's errors as they are, a
    /// plain error after `error: `.
    fn final_lines(&self) -> Vec<String> {
        match self {
            DrainError::Aggregate(errors) => errors.clone(),
            DrainError::Plain(e) if e.starts_with("error: ") => vec![e.clone()],
            DrainError::Plain(e) => vec![format!("error: {e}")],
        }
    }
}

/// The pods of `node` a drain deletes, and the errors of those it may not
/// (`GetPodsForDeletion` with the filters of `staging/src/k8s.io/kubectl/pkg/drain/filters.go`:
/// DaemonSet pods without `--ignore-daemonsets`, pods without a controller without `--force`).
fn pods_for_deletion(store: &Store, node: NodeId, d: &Drain) -> (Vec<PodId>, Vec<String>) {
    let pods: Vec<PodId> = store.pods_on_node(node).to_vec();
    let is_daemon = |p: PodId| {
        store
            .pod(p)
            .meta
            .controller()
            .is_some_and(|o| &*o.kind == "DaemonSet")
    };
    let unmanaged = |p: PodId| store.pod(p).meta.controller().is_none();
    let (mut deletable, mut daemons, mut orphans) = (Vec::new(), Vec::new(), Vec::new());
    for p in pods {
        if is_daemon(p) {
            daemons.push(p);
        } else if unmanaged(p) && !d.force {
            orphans.push(p);
        } else {
            deletable.push(p);
        }
    }
    let mut errors = Vec::new();
    let keys = |ps: &[PodId]| {
        ps.iter()
            .map(|&p| store.pod(p).key())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !daemons.is_empty() && !d.ignore_daemonsets {
        errors.push(format!(
            "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
            keys(&daemons)
        ));
    }
    if !orphans.is_empty() {
        errors.push(format!(
            "cannot delete Pods that declare no controller (use --force to override): {}",
            keys(&orphans)
        ));
    }
    (deletable, errors)
}

/// Prints the end of drain `record`, failed with `err` (see the module's doc); `evicting`:
/// the error came from the evictions, so the pods left on the node are listed.
fn fail(record: usize, drain: &Drain, err: &DrainError, evicting: bool, ctx: Ctx) {
    let node = &drain.node;
    let msg = err.message();
    let mut lines = Vec::new();
    let mut unable =
        format!("error: unable to drain node {node:?} due to error: {msg}, continuing command...");
    if evicting && let Some(id) = ctx.store.node_id(node) {
        let (mut pending, problems) = pods_for_deletion(ctx.store, id, drain);
        let store = &*ctx.store;
        pending.sort_by(|&a, &b| {
            let (a, b) = (&store.pod(a).meta, &store.pod(b).meta);
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        if !pending.is_empty() {
            lines.push(format!(
                "There are pending pods in node {node:?} when an error occurred: {msg}"
            ));
            for p in pending {
                lines.push(format!("pod/{}", ctx.store.pod(p).meta.name));
            }
        }
        if !problems.is_empty() {
            // kubectl ends this message without a newline: its next line follows on it.
            lines
                .push("Following errors occurred while getting the list of pods to delete:".into());
            unable = format!("{}{unable}", DrainError::Aggregate(problems).message());
        }
    }
    lines.push(unable);
    lines.push("There are pending nodes to be drained:".into());
    lines.push(format!(" {node}"));
    lines.extend(err.final_lines());
    for line in lines {
        ctx.recorder
            .command_output(record, line, CommandStatus::Failed);
    }
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
        let (pods, problems) = pods_for_deletion(ctx.store, node, d);
        if !problems.is_empty() {
            return fail(record, d, &DrainError::Aggregate(problems), false, ctx);
        }
        let on_node: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        let list = |ps: &[PodId], store: &Store| {
            ps.iter()
                .map(|&p| store.pod(p).key())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let daemons: Vec<PodId> = on_node
            .iter()
            .copied()
            .filter(|p| !pods.contains(p))
            .collect();
        let unmanaged: Vec<PodId> = pods
            .iter()
            .copied()
            .filter(|&p| ctx.store.pod(p).meta.controller().is_none())
            .collect();
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
            pods: pods.clone(),
            waiting: Vec::new(),
            refused: Vec::new(),
            told: BTreeSet::new(),
            failed: Vec::new(),
            retry: None,
        };
        for p in pods {
            if !d.disable_eviction {
                let line = format!("evicting pod {}", ctx.store.pod(p).key());
                ctx.recorder
                    .command_output(record, line, CommandStatus::Running);
            }
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

    /// `--timeout` passed: a drain not done fails, each pod still at work with its error.
    pub(super) fn drain_timeout(&mut self, i: usize, ctx: Ctx) {
        let Some(at) = self.drains.iter().position(|(c, _)| *c == i) else {
            return;
        };
        let (_, state) = self.drains.remove(at);
        if let Some(t) = state.retry {
            ctx.cancel(t);
        }
        let d = &state.drain;
        let timeout = crate::api::duration::format_duration_ms(d.timeout_ms.unwrap_or(0));
        let err = if d.disable_eviction {
            DrainError::Plain("timed out waiting for the condition".into())
        } else {
            let mut errors = state.failed.clone();
            for &p in &state.pods {
                let pod = ctx.store.pod(p);
                let (name, ns) = (&pod.meta.name, &pod.meta.namespace);
                if state.refused.contains(&p) {
                    errors.push(format!(
                        "error when evicting pods/{name:?} -n {ns:?}: global timeout reached: {timeout}"
                    ));
                } else if state.waiting.contains(&p) {
                    errors.push(format!(
                        "error when waiting for pod {name:?} in namespace {ns:?} to terminate: global timeout reached: {timeout}"
                    ));
                }
            }
            DrainError::Aggregate(errors)
        };
        fail(state.record, d, &err, true, ctx);
    }

    /// A pod is gone: the drains waiting for it print it evicted (or deleted).
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
                let line = gone_line(&s.drain, ctx.store, pod);
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
            let (_, state) = self.drains.remove(at);
            if state.failed.is_empty() {
                let line = format!("node/{} drained", state.drain.node);
                ctx.recorder
                    .command_output(state.record, line, CommandStatus::Done);
            } else {
                let err = DrainError::Aggregate(state.failed.clone());
                fail(state.record, &state.drain, &err, true, ctx);
            }
        } else if !state.refused.is_empty() && state.retry.is_none() {
            state.retry = Some(ctx.after(RETRY_MS, KubectlEvent::DrainRetry(i)));
        }
    }
}

/// kubectl's line for a pod of the drain that is gone: `pod/NAME evicted`, or `deleted`
/// with `--disable-eviction` (`onPodDeletionOrEvictionFinished`).
fn gone_line(d: &Drain, store: &Store, pod: PodId) -> String {
    let verb = if d.disable_eviction {
        "deleted"
    } else {
        "evicted"
    };
    format!("pod/{} {verb}", store.pod(pod).meta.name)
}

/// One eviction (or deletion, with `--disable-eviction`).
fn attempt(state: &mut DrainState, pod: PodId, ctx: Ctx) {
    let now = ctx.now();
    let grace = state.drain.grace_ms;
    let result = if state.drain.disable_eviction {
        ctx.store.request_deletion_with_grace(pod, now, grace);
        Ok(true)
    } else {
        let result = ctx.store.evict(pod, now, grace);
        if result == Ok(true) {
            ctx.recorder.evicted(pod);
        }
        result
    };
    match result {
        Ok(_) if ctx.store.pod(pod).status.deleted.is_some() => {
            let line = gone_line(&state.drain, ctx.store, pod);
            ctx.recorder
                .command_output(state.record, line, CommandStatus::Running);
        }
        Ok(_) => state.waiting.push(pod),
        Err(e) if !e.is_retried() => {
            // Not a 429 (several budgets, a 500; too many unconfirmed evictions, a 403):
            // kubectl gives up on the pod at once, and says so only when the drain ends (the
            // error is one of those `evictPods` returns).
            let p = ctx.store.pod(pod);
            state.failed.push(format!(
                "error when evicting pods/{:?} -n {:?}: {e}",
                p.meta.name, p.meta.namespace
            ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::disruption::PodDisruptionBudget;
    use crate::api::intstr::IntOrPercent;
    use crate::api::kubectl::{Command, TimedCommand};
    use crate::api::meta::{OwnerReference, Uid};
    use crate::api::pod::Phase;
    use crate::api::{LabelSelector, Labels};
    use crate::component::Harness;
    use crate::engine::SimTime;
    use std::sync::Arc;

    fn drain(timeout_ms: Option<i64>, ignore_daemonsets: bool, disable_eviction: bool) -> Drain {
        Drain {
            node: "n1".into(),
            ignore_daemonsets,
            force: false,
            grace_ms: None,
            timeout_ms,
            disable_eviction,
        }
    }

    /// A cluster of one node, and kubectl to run `d` at 0.
    fn harness(d: Drain) -> Harness<Kubectl> {
        let text = "drain n1".to_string();
        let command = TimedCommand {
            at: SimTime::ZERO,
            text,
            command: Command::Drain(d),
        };
        let mut h = Harness::new(Kubectl::new(vec![command], 0));
        h.store
            .add_node(crate::api::testing::node("n1", 8_000, 1 << 34, 110));
        h
    }

    /// A Ready pod on n1, in `ns`, labelled `app=NAME-BEFORE-DASH`, of a controller `kind`.
    fn running(h: &mut Harness<Kubectl>, ns: &str, name: &str, kind: &str) -> PodId {
        let mut pod = crate::api::testing::pod(name, 100, 0);
        let app = name.split('-').next().unwrap().to_string();
        pod.meta.namespace = ns.into();
        pod.meta.labels = Arc::new(Labels::from([("app".to_string(), app)]));
        pod.meta.owner_references = Arc::from([OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: "owner".into(),
            uid: Uid::Unset,
            controller: true,
            block_owner_deletion: true,
        }]);
        let p = h.store.create_pod(pod);
        let node = h.store.node_id("n1").unwrap();
        h.store.bind(p, node, SimTime::ZERO);
        h.store.set_phase(p, Phase::Running, SimTime::ZERO);
        h.store.set_ready(p, true, SimTime::ZERO);
        p
    }

    /// A budget that lets no `app=db` pod go, with the status its controller would write
    /// for one healthy pod (no disruption controller runs here).
    fn db_budget(h: &mut Harness<Kubectl>) {
        let labels = Labels::from([("app".to_string(), "db".to_string())]);
        let b = h.store.add_pdb(PodDisruptionBudget {
            name: "db".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::from_parts(&labels, &[]).unwrap()),
            min_available: Some(IntOrPercent::Int(1)),
            max_unavailable: None,
        });
        let mut status = crate::api::disruption::PdbStatus {
            observed_generation: 1,
            current_healthy: 1,
            desired_healthy: 1,
            expected_pods: 1,
            ..Default::default()
        };
        status.update_condition(SimTime::ZERO);
        h.store.set_pdb_status(b, status);
    }

    fn output(h: &Harness<Kubectl>) -> (Vec<String>, CommandStatus) {
        let c = &h.commands()[0];
        (c.output.clone(), c.status)
    }

    #[test]
    fn a_timeout_ends_each_pod_with_its_error_then_lists_what_is_left() {
        let mut h = harness(drain(Some(120_000), true, false));
        running(&mut h, "default", "db-1", "ReplicaSet");
        // No kubelet here: the evicted web pod stays terminating.
        running(&mut h, "default", "web-1", "ReplicaSet");
        db_budget(&mut h);
        h.run_until(SimTime::from_ms(119_999));
        assert_eq!(output(&h).1, CommandStatus::Running);
        h.run_until(SimTime::from_ms(600_000));
        let db = "error when evicting pods/\"db-1\" -n \"default\": global timeout reached: 2m0s";
        let web = "error when waiting for pod \"web-1\" in namespace \"default\" to terminate: global timeout reached: 2m0s";
        let both = format!("[{db}, {web}]");
        assert_eq!(
            output(&h),
            (
                vec![
                    "node/n1 cordoned".to_string(),
                    "evicting pod default/db-1".into(),
                    "error when evicting pods/\"db-1\" -n \"default\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.".into(),
                    "evicting pod default/web-1".into(),
                    format!("There are pending pods in node \"n1\" when an error occurred: {both}"),
                    "pod/db-1".into(),
                    "pod/web-1".into(),
                    format!("error: unable to drain node \"n1\" due to error: {both}, continuing command..."),
                    "There are pending nodes to be drained:".into(),
                    " n1".into(),
                    db.into(),
                    web.into(),
                ],
                CommandStatus::Failed
            )
        );
    }

    #[test]
    fn one_error_is_printed_as_itself_and_last_without_a_prefix() {
        let mut h = harness(drain(Some(60_000), true, false));
        running(&mut h, "default", "db-1", "ReplicaSet");
        db_budget(&mut h);
        h.run_until(SimTime::from_ms(600_000));
        let db = "error when evicting pods/\"db-1\" -n \"default\": global timeout reached: 1m0s";
        let (out, status) = output(&h);
        assert_eq!(status, CommandStatus::Failed);
        assert_eq!(
            out[3..],
            [
                format!("There are pending pods in node \"n1\" when an error occurred: {db}"),
                "pod/db-1".into(),
                format!(
                    "error: unable to drain node \"n1\" due to error: {db}, continuing command..."
                ),
                "There are pending nodes to be drained:".into(),
                " n1".into(),
                db.to_string(),
            ]
        );
    }

    #[test]
    fn deleting_instead_of_evicting_times_out_waiting_for_the_condition() {
        let mut h = harness(drain(Some(30_000), true, true));
        running(&mut h, "default", "web-1", "ReplicaSet");
        h.run_until(SimTime::from_ms(600_000));
        let e = "timed out waiting for the condition";
        assert_eq!(
            output(&h),
            (
                vec![
                    "node/n1 cordoned".to_string(),
                    format!("There are pending pods in node \"n1\" when an error occurred: {e}"),
                    "pod/web-1".into(),
                    format!(
                        "error: unable to drain node \"n1\" due to error: {e}, continuing command..."
                    ),
                    "There are pending nodes to be drained:".into(),
                    " n1".into(),
                    format!("error: {e}"),
                ],
                CommandStatus::Failed
            )
        );
    }

    #[test]
    fn pods_it_may_not_delete_stop_it_before_any_eviction() {
        let mut h = harness(drain(None, false, false));
        running(&mut h, "kube-system", "agent-1", "DaemonSet");
        running(&mut h, "default", "web-1", "ReplicaSet");
        h.run_until(SimTime::from_ms(600_000));
        let e = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/agent-1";
        assert_eq!(
            output(&h),
            (
                vec![
                    "node/n1 cordoned".to_string(),
                    format!(
                        "error: unable to drain node \"n1\" due to error: {e}, continuing command..."
                    ),
                    "There are pending nodes to be drained:".into(),
                    " n1".into(),
                    e.into(),
                ],
                CommandStatus::Failed
            )
        );
    }
}
