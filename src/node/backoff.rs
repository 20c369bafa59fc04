//! Container restart back-off (CrashLoopBackOff): 10 s doubling to 300 s, reset after 10
//! minutes of running (`pkg/kubelet/kuberuntime/kuberuntime_manager.go`,
//! `staging/src/k8s.io/client-go/util/flowcontrol/backoff.go`).

use crate::engine::SimTime;

/// Initial restart back-off.
pub const INITIAL_MS: i64 = 10_000;
/// Maximum restart back-off.
pub const MAX_MS: i64 = 300_000;

/// The back-off entry of one pod's containers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashLoopBackoff {
    current_ms: i64,
    last_update: Option<SimTime>,
}

impl CrashLoopBackoff {
    /// The wait before restarting containers that exited at `now`, advancing the entry. The
    /// first restart is immediate; then 10 s, 20 s, ... 300 s. An entry untouched for twice the
    /// maximum starts over.
    pub fn next_delay(&mut self, now: SimTime) -> i64 {
        match self.last_update {
            Some(t) if now - t <= 2 * MAX_MS => {
                let wait = self.current_ms;
                self.current_ms = if self.current_ms == 0 {
                    INITIAL_MS
                } else {
                    (self.current_ms * 2).min(MAX_MS)
                };
                self.last_update = Some(now);
                wait
            }
            _ => {
                self.current_ms = INITIAL_MS;
                self.last_update = Some(now);
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_to_five_minutes() {
        let mut b = CrashLoopBackoff::default();
        let mut t = SimTime::ZERO;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let w = b.next_delay(t);
            waits.push(w / 1000);
            t = t + w + 1_000; // crashes one second after each restart
        }
        assert_eq!(waits, [0, 10, 20, 40, 80, 160, 300, 300]);
    }

    #[test]
    fn resets_after_ten_quiet_minutes() {
        let mut b = CrashLoopBackoff::default();
        b.next_delay(SimTime::ZERO);
        assert_eq!(b.next_delay(SimTime::from_secs(5)), 10_000);
        assert_eq!(b.next_delay(SimTime::from_secs(5 + 601)), 0);
    }
}
