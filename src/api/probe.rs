//! Startup and readiness probes: when a container counts as started and as ready, given how
//! long its application takes to answer (`pkg/kubelet/prober/worker.go`,
//! `pkg/kubelet/prober/prober_manager.go`).
//!
//! Times are milliseconds since the container started. Upstream's probe worker ticks every
//! `periodSeconds` from when the pod was added to the kubelet; kubesim aligns the ticks of a
//! startup probe with the container's start, and (as upstream's manual trigger does) runs the
//! first readiness probe as soon as the container is started. A probe before
//! `initialDelaySeconds` (counted from the container's start) does not run; a probe succeeds
//! once the application answers.

/// A probe's timing (`v1.Probe` without its handler), defaulted as upstream
/// (`pkg/apis/core/v1/defaults.go`: period 10 s, success 1, failure 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// `initialDelaySeconds`, ms.
    pub initial_delay_ms: i64,
    /// `periodSeconds`, ms (at least 1 s).
    pub period_ms: i64,
    /// `successThreshold`: consecutive successes to pass (always 1 for a startup probe).
    pub success_threshold: u32,
    /// `failureThreshold`: consecutive failures to fail.
    pub failure_threshold: u32,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            initial_delay_ms: 0,
            period_ms: 10_000,
            success_threshold: 1,
            failure_threshold: 3,
        }
    }
}

/// What a startup probe decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartupOutcome {
    /// The container counts as started at this time, after `failed` failed probes.
    Started {
        /// When, ms since the container started.
        at: i64,
        /// Failed probes before (each one an `Unhealthy` event).
        failed: u32,
    },
    /// `failureThreshold` probes failed in a row: the kubelet kills the container at `at`.
    Failed {
        /// When the last failing probe ran, ms since the container started.
        at: i64,
    },
}

/// When a readiness probe passes: `at` after `failed` failed probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// When the container becomes ready, ms since it started.
    pub at: i64,
    /// Failed probes before it passed.
    pub failed: u32,
    /// When the first of those failures happened, ms since the container started.
    pub first_failure: i64,
}

/// The smallest `k >= 0` with `base + k * period >= target`.
fn ticks_until(base: i64, period: i64, target: i64) -> i64 {
    if base >= target {
        0
    } else {
        (target - base + period - 1) / period
    }
}

impl Probe {
    fn period(&self) -> i64 {
        self.period_ms.max(1)
    }

    /// A startup probe for an application that answers `app_up` ms after the container
    /// started.
    pub fn startup(&self, app_up: i64) -> StartupOutcome {
        let p = self.period();
        let first = ticks_until(0, p, self.initial_delay_ms);
        let success = first.max(ticks_until(0, p, app_up));
        let failed = success - first;
        let threshold = i64::from(self.failure_threshold.max(1));
        if failed >= threshold {
            StartupOutcome::Failed {
                at: (first + threshold - 1) * p,
            }
        } else {
            StartupOutcome::Started {
                at: success * p,
                failed: u32::try_from(failed).unwrap_or(u32::MAX),
            }
        }
    }

    /// A readiness probe on a container started (its startup probe passed) at `started`, for
    /// an application that answers `app_up` ms after the container started. Readiness
    /// failures never restart a container.
    pub fn readiness(&self, started: i64, app_up: i64) -> Readiness {
        let p = self.period();
        let first = ticks_until(started, p, self.initial_delay_ms);
        let success = first.max(ticks_until(started, p, app_up));
        let needed = i64::from(self.success_threshold.max(1)) - 1;
        Readiness {
            at: started + (success + needed) * p,
            failed: u32::try_from(success - first).unwrap_or(u32::MAX),
            first_failure: started + first * p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(delay_s: i64, period_s: i64, success: u32, failure: u32) -> Probe {
        Probe {
            initial_delay_ms: delay_s * 1000,
            period_ms: period_s * 1000,
            success_threshold: success,
            failure_threshold: failure,
        }
    }

    #[test]
    fn readiness_waits_for_the_initial_delay_then_the_application() {
        // No delay, app answers at once: ready when started.
        let r = probe(0, 10, 1, 3).readiness(0, 0);
        assert_eq!((r.at, r.failed), (0, 0));
        // Delay 5 s, period 10 s: the probe at 0 is skipped, the one at 10 s passes.
        let r = probe(5, 10, 1, 3).readiness(0, 0);
        assert_eq!((r.at, r.failed), (10_000, 0));
        // App answers after 25 s: probes at 0, 10, 20 fail, 30 passes.
        let r = probe(0, 10, 1, 3).readiness(0, 25_000);
        assert_eq!((r.at, r.failed, r.first_failure), (30_000, 3, 0));
        // Two successes needed: one more period.
        let r = probe(0, 10, 2, 3).readiness(0, 25_000);
        assert_eq!(r.at, 40_000);
    }

    #[test]
    fn readiness_starts_probing_when_the_container_is_started() {
        // Started at 12 s by its startup probe: the first readiness probe runs then.
        let r = probe(0, 10, 1, 3).readiness(12_000, 5_000);
        assert_eq!((r.at, r.failed), (12_000, 0));
        // The initial delay still counts from the container's start.
        let r = probe(15, 10, 1, 3).readiness(12_000, 0);
        assert_eq!(r.at, 22_000);
    }

    #[test]
    fn startup_probe_passes_or_kills_after_failure_threshold() {
        // App answers after 25 s, period 10 s, 3 failures allowed: 0, 10, 20 fail -> killed
        // at 20 s.
        assert_eq!(
            probe(0, 10, 1, 3).startup(25_000),
            StartupOutcome::Failed { at: 20_000 }
        );
        // 30 failures allowed (the upstream docs' slow-start example): started at 30 s.
        assert_eq!(
            probe(0, 10, 1, 30).startup(25_000),
            StartupOutcome::Started {
                at: 30_000,
                failed: 3
            }
        );
        // Probes before the initial delay do not count as failures.
        assert_eq!(
            probe(20, 10, 1, 1).startup(25_000),
            StartupOutcome::Failed { at: 20_000 }
        );
        assert_eq!(
            probe(20, 10, 1, 2).startup(25_000),
            StartupOutcome::Started {
                at: 30_000,
                failed: 1
            }
        );
    }
}
