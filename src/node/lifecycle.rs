//! Containers from creation to exit: init containers one after another, sidecars that keep
//! running, app containers with their startup and readiness probes, exits and restarts
//! (`pkg/kubelet/kuberuntime/kuberuntime_manager.go`, `pkg/kubelet/prober/`,
//! `pkg/kubelet/kubelet_pods.go`).

use super::{Ctx, Kubelet, KubeletEvent, ProbeKind, Run, app_step, step_containers};
use crate::api::event::{EventType, Message};
use crate::api::pod::{Phase, RestartPolicy};
use crate::api::probe::{Probe, StartupOutcome};
use crate::store::PodId;

/// Exit code of a container the kubelet killed (SIGKILL).
const KILLED_EXIT_CODE: i32 = 137;

impl Kubelet {
    /// The images of the step are there: `Pulled`, then `Created` for its containers, which
    /// start after the runtime's start time.
    pub(super) fn create(&mut self, pod: PodId, inc: u32, ctx: Ctx) {
        self.record_pulled(pod, ctx);
        let spec = ctx.store.pod(pod).spec.clone();
        for c in step_containers(&spec, self.run(pod).step) {
            let msg = Message::Created(c.name.clone());
            ctx.record_pod(pod, EventType::Normal, "Created", msg);
        }
        let startup = self.timings.pod_startup.sample(ctx.rng);
        ctx.after(startup, KubeletEvent::Started(pod, inc));
    }

    /// The step's containers run: `Started`; a regular init container then runs to its
    /// exit, a sidecar until its startup probe passes, app containers as the pod says.
    pub(super) fn started(&mut self, pod: PodId, inc: u32, ctx: Ctx) {
        let now = ctx.now();
        let spec = ctx.store.pod(pod).spec.clone();
        let step = self.run(pod).step;
        for c in step_containers(&spec, step) {
            let msg = Message::Started(c.name.clone());
            ctx.record_pod(pod, EventType::Normal, "Started", msg);
        }
        let Some(init) = spec.init_containers.get(usize::from(step)) else {
            return self.start_app(pod, inc, ctx);
        };
        if !init.sidecar {
            let runs = (spec.behaviour.init_duration.as_ref()).map_or(0, |d| d.sample(ctx.rng));
            ctx.after(runs, KubeletEvent::StepDone(pod, inc));
            return;
        }
        // A sidecar's process answers at once; the next init container starts when its
        // startup probe (if any) passes.
        let (startup, readiness) = (init.startup_probe, init.readiness_probe);
        let Some((started, ready)) = self.probe_times(pod, inc, 0, startup, readiness, ctx) else {
            return;
        };
        let run = self.run_mut(pod);
        run.sidecars_ready = run.sidecars_ready.max(now + ready);
        ctx.after(started, KubeletEvent::StepDone(pod, inc));
    }

    /// A snapshot's running pod, taken up as it is at time 0 (no pull, no start, no
    /// Events): Running since its start, Ready since its condition says (or once its
    /// application answers, from now), exiting after `kubesim.io/duration` from its start.
    pub(super) fn resume(&mut self, pod: PodId, ctx: Ctx) {
        let now = ctx.now();
        let p = ctx.store.pod(pod);
        let spec = p.spec.clone();
        let started = p.status.started.unwrap_or(now);
        let ready_since = p.status.resume.as_ref().and_then(|r| r.ready_since);
        let run = self.run_mut(pod);
        *run = Run {
            inc: run.inc + 1,
            step: app_step(&spec),
            sidecars_ready: now,
            ready: false,
            running: true,
        };
        let inc = run.inc;
        ctx.store.set_phase(pod, Phase::Running, now);
        match ready_since {
            Some(since) => {
                self.run_mut(pod).ready = true;
                ctx.store.restore_ready(pod, since);
            }
            None => {
                let up = spec
                    .behaviour
                    .startup
                    .as_ref()
                    .map_or(0, |d| d.sample(ctx.rng));
                ctx.after(up, KubeletEvent::Ready(pod, inc));
            }
        }
        if let Some(d) = &spec.behaviour.duration {
            let exit = started + d.sample(ctx.rng);
            ctx.at(exit.max(now), KubeletEvent::Exited(pod, inc));
        }
    }

    /// The app containers run: the pod is Running, Ready once every container's probes
    /// (and every sidecar) pass, and exits after `kubesim.io/duration`.
    fn start_app(&mut self, pod: PodId, inc: u32, ctx: Ctx) {
        let now = ctx.now();
        self.run_mut(pod).running = true;
        let spec = ctx.store.pod(pod).spec.clone();
        ctx.store.set_phase(pod, Phase::Running, now);
        // When the application answers (`kubesim.io/startup`).
        let app_up = (spec.behaviour.startup.as_ref()).map_or(0, |d| d.sample(ctx.rng));
        let mut ready = app_up;
        let mut probed = false;
        for c in &spec.containers {
            if c.startup_probe.is_none() && c.readiness_probe.is_none() {
                continue;
            }
            if !probed {
                // Probes decide readiness: a container without any is ready when started.
                probed = true;
                ready = 0;
            }
            let (startup, readiness) = (c.startup_probe, c.readiness_probe);
            match self.probe_times(pod, inc, app_up, startup, readiness, ctx) {
                Some((_, r)) => ready = ready.max(r),
                None => return, // killed before it could be ready or exit
            }
        }
        let ready_at = (now + ready).max(self.run(pod).sidecars_ready);
        ctx.at(ready_at, KubeletEvent::Ready(pod, inc));
        if let Some(d) = &spec.behaviour.duration {
            let run = d.sample(ctx.rng);
            ctx.after(run, KubeletEvent::Exited(pod, inc));
        }
    }

    /// When a container whose application answers `app_up` after its start counts as
    /// started and as ready (ms from now), with an `Unhealthy` event queued for each failed
    /// probe; `None` when its startup probe fails (the kill is queued).
    fn probe_times(
        &mut self,
        pod: PodId,
        inc: u32,
        app_up: i64,
        startup: Option<Probe>,
        readiness: Option<Probe>,
        ctx: Ctx,
    ) -> Option<(i64, i64)> {
        let started = match startup.map(|p| (p, p.startup(app_up))) {
            None => 0,
            Some((p, StartupOutcome::Started { at, failed })) => {
                let first = at - i64::from(failed) * p.period_ms;
                for k in 0..i64::from(failed) {
                    let event = KubeletEvent::ProbeFailed(pod, inc, ProbeKind::Startup);
                    ctx.after(first + k * p.period_ms, event);
                }
                at
            }
            Some((p, StartupOutcome::Failed { at })) => {
                let failures = i64::from(p.failure_threshold.max(1));
                for k in 0..failures {
                    let event = KubeletEvent::ProbeFailed(pod, inc, ProbeKind::Startup);
                    ctx.after(at - (failures - 1 - k) * p.period_ms, event);
                }
                ctx.after(at, KubeletEvent::StartupFailed(pod, inc));
                return None;
            }
        };
        let ready = match readiness {
            None => started,
            Some(p) => {
                let r = p.readiness(started, app_up);
                for k in 0..i64::from(r.failed) {
                    let event = KubeletEvent::ProbeFailed(pod, inc, ProbeKind::Readiness);
                    ctx.after(r.first_failure + k * p.period_ms, event);
                }
                r.at
            }
        };
        Some((started, ready))
    }

    /// A startup probe failed for good: the kubelet kills the step's containers, which then
    /// restart as the restart policy says (a sidecar always does).
    pub(super) fn startup_failed(&mut self, pod: PodId, ctx: Ctx) {
        let spec = ctx.store.pod(pod).spec.clone();
        for c in step_containers(&spec, self.run(pod).step) {
            let msg = format!(
                "Container {} failed startup probe, will be restarted",
                c.name
            );
            ctx.record_pod(pod, EventType::Normal, "Killing", msg);
        }
        self.exited(pod, KILLED_EXIT_CODE, ctx);
    }

    /// The step's containers exited with `code`: the pod completes, fails, or restarts them
    /// after the crash back-off.
    pub(super) fn exited(&mut self, pod: PodId, code: i32, ctx: Ctx) {
        let now = ctx.now();
        let spec = ctx.store.pod(pod).spec.clone();
        let step = self.run(pod).step;
        let sidecar = step < app_step(&spec);
        // Its containers are not running: the pod is not Ready (upstream's status manager
        // sets ContainersReady and Ready false, `pkg/kubelet/status/generate.go`), whether it
        // completed or waits to restart.
        let run = self.run_mut(pod);
        (run.ready, run.running) = (false, false);
        ctx.store.set_ready(pod, false, now);
        let restart = sidecar
            || match spec.restart_policy {
                RestartPolicy::Always => true,
                RestartPolicy::OnFailure => code != 0,
                RestartPolicy::Never => false,
            };
        if !restart {
            // The regular containers are done: the sidecars are stopped, last one first.
            for c in spec.init_containers.iter().rev().filter(|c| c.sidecar) {
                let msg = format!("Stopping container {}", c.name);
                ctx.record_pod(pod, EventType::Normal, "Killing", msg);
            }
            let (reason, phase) = if code == 0 {
                ("Completed", Phase::Succeeded)
            } else {
                ("Error", Phase::Failed)
            };
            ctx.store.set_pod_reason(pod, Some(reason));
            ctx.store.set_phase(pod, phase, now);
            self.stop(pod);
            return;
        }
        let wait = self.backoff.entry(pod).or_default().next_delay(now);
        if wait > 0 {
            // The pod as upstream's `format.Pod` writes it: name_namespace(uid).
            let described = {
                let p = ctx.store.pod(pod);
                format!("{}_{}({})", p.meta.name, p.meta.namespace, p.meta.uid)
            };
            for c in step_containers(&spec, step) {
                let msg = format!(
                    "Back-off restarting failed container {} in pod {described}",
                    c.name
                );
                ctx.record_pod(pod, EventType::Warning, "BackOff", msg);
            }
            ctx.store.set_pod_reason(pod, Some("CrashLoopBackOff"));
        }
        let run = self.run_mut(pod);
        run.inc += 1;
        let next = run.inc;
        ctx.after(wait, KubeletEvent::Restart(pod, next));
    }
}
