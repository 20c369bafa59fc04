//! Pods by phase and the resources running pods use, kept up to date from the store's changes
//! (each phase change says what it changed from and to).

use crate::api::pod::{Phase, Pod};
use crate::store::{Change, ChangeKind, Store, Watch};

/// Live pods by phase, and the cpu and memory that running pods use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodTally {
    /// Pending, Running, Succeeded, Failed (deleted pods leave their count).
    counts: [u64; 4],
    /// Millicores and bytes used by the running pods of each node, by node index (the
    /// cluster's is their sum).
    node_usage: Vec<(i64, i64)>,
}

impl PodTally {
    /// The changes the tally follows.
    pub const WATCHES: Watch = Watch::of(&[
        ChangeKind::PodCreated,
        ChangeKind::PodPhase,
        ChangeKind::PodDeleted,
    ]);

    /// Counts a change (the pod as the store holds it after the change).
    pub fn on_change(&mut self, change: &Change, store: &Store) {
        match *change {
            Change::PodCreated(_) => self.counts[Phase::Pending as usize] += 1,
            Change::PodPhase { pod, from, to } => {
                let c = &mut self.counts;
                c[from as usize] = c[from as usize].saturating_sub(1);
                c[to as usize] += 1;
                let p = store.pod(pod);
                if to == Phase::Running {
                    self.add(p, 1);
                } else if from == Phase::Running {
                    self.add(p, -1);
                }
            }
            Change::PodDeleted(pod) => {
                let p = store.pod(pod);
                let phase = p.phase();
                if !phase.is_terminal() {
                    let c = &mut self.counts[phase as usize];
                    *c = c.saturating_sub(1);
                    if phase == Phase::Running {
                        self.add(p, -1);
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds (`sign` 1) or removes (-1) a running pod's usage.
    fn add(&mut self, p: &Pod, sign: i64) {
        let (cpu, memory) = usage_of(p);
        if let Some(n) = p.status.node {
            let n = n as usize;
            if self.node_usage.len() <= n {
                self.node_usage.resize(n + 1, (0, 0));
            }
            self.node_usage[n].0 += sign * cpu;
            self.node_usage[n].1 += sign * memory;
        }
    }

    /// Pods Pending, Running, Succeeded and Failed.
    pub fn by_phase(&self) -> [u64; 4] {
        self.counts
    }

    /// Millicores and bytes used by the running pods on node `index`.
    pub fn usage_on(&self, index: usize) -> (i64, i64) {
        self.node_usage.get(index).copied().unwrap_or_default()
    }
}

/// CPU (millicores) and memory (bytes) a running pod uses: its `kubesim.io/*-usage`
/// annotations, or its requests.
fn usage_of(p: &Pod) -> (i64, i64) {
    let b = &p.spec.behaviour;
    (
        b.cpu_usage_m.unwrap_or(p.spec.requests.cpu_m),
        b.memory_usage.unwrap_or(p.spec.requests.memory),
    )
}
