//! PodDisruptionBudgets as `kubectl get pdb` shows them: each budget's status series in
//! `metrics.csv` (`pdb/NS/NAME`: `pdb_current_healthy`, `pdb_desired_healthy`,
//! `pdb_disruptions_allowed`, `pdb_expected_pods`) and, for `summary.json`, its final status
//! and how long it allowed no disruption, timed exactly from the status changes (not from
//! the samples).

use super::MetricSample;
use crate::api::disruption::{IntOrPercent, PdbStatus};
use crate::engine::SimTime;
use crate::store::{ArenaId, Change, ChangeKind, PdbId, Store, Watch};
use std::sync::Arc;

/// One budget at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdbSummary {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.minAvailable`.
    pub min_available: Option<IntOrPercent>,
    /// `spec.maxUnavailable`.
    pub max_unavailable: Option<IntOrPercent>,
    /// Its status at the end.
    pub status: PdbStatus,
    /// Milliseconds it allowed no disruption, from its creation to the end of the run.
    pub blocked_ms: i64,
}

/// When each budget's `disruptionsAllowed` was 0, by budget index.
#[derive(Clone, Debug, Default)]
pub struct PdbLog {
    /// Time at 0 so far, and since when it is at 0 now.
    budgets: Vec<(i64, Option<SimTime>)>,
}

impl PdbLog {
    /// The changes the log follows.
    pub const WATCHES: Watch = Watch::of(&[ChangeKind::PdbCreated, ChangeKind::PdbStatus]);

    /// Follows one change.
    pub fn on_change(&mut self, change: &Change, store: &Store, now: SimTime) {
        let b = match *change {
            Change::PdbCreated(b) | Change::PdbStatus(b) => b,
            _ => return,
        };
        if self.budgets.len() <= b.index() {
            self.budgets.resize(b.index() + 1, (0, None));
        }
        let (total, since) = &mut self.budgets[b.index()];
        let blocked = store.pdb_status(b).disruptions_allowed <= 0;
        match (blocked, *since) {
            (true, None) => *since = Some(now),
            (false, Some(s)) => {
                *total += now - s;
                *since = None;
            }
            _ => {}
        }
    }

    /// Every budget at `end`, in creation order.
    pub fn summaries(&self, store: &Store, end: SimTime) -> Vec<PdbSummary> {
        (store.pdbs().iter().enumerate())
            .map(|(i, b)| {
                let (total, since) = self.budgets.get(i).copied().unwrap_or((0, None));
                PdbSummary {
                    namespace: b.namespace.clone(),
                    name: b.name.clone(),
                    min_available: b.min_available,
                    max_unavailable: b.max_unavailable,
                    status: store.pdb_status(PdbId(i as u32)).clone(),
                    blocked_ms: total + since.map_or(0, |s| (end - s).max(0)),
                }
            })
            .collect()
    }
}

/// The `pdb/NS/NAME` objects, made once each.
#[derive(Clone, Debug, Default)]
pub struct PdbSeries {
    objects: Vec<Arc<str>>,
}

impl PdbSeries {
    /// Appends every budget's rows at `time` (none when there is no budget).
    pub fn rows(&mut self, store: &Store, time: SimTime, rows: &mut Vec<MetricSample>) {
        for (i, b) in store.pdbs().iter().enumerate() {
            if self.objects.len() <= i {
                let o = format!("pdb/{}/{}", b.namespace, b.name);
                self.objects.push(Arc::from(o));
            }
            let s = store.pdb_status(PdbId(i as u32));
            let figures = [
                ("pdb_current_healthy", s.current_healthy),
                ("pdb_desired_healthy", s.desired_healthy),
                ("pdb_disruptions_allowed", s.disruptions_allowed),
                ("pdb_expected_pods", s.expected_pods),
            ];
            for (metric, value) in figures {
                rows.push(MetricSample {
                    time,
                    metric,
                    object: self.objects[i].clone(),
                    value: value as f64,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::LabelSelector;
    use crate::api::disruption::PodDisruptionBudget;

    #[test]
    fn time_without_disruptions_counts_from_creation_to_the_end() {
        let mut store = Store::new();
        let b = store.add_pdb(PodDisruptionBudget {
            name: "web".into(),
            namespace: "default".into(),
            selector: Some(LabelSelector::parse("app=web").unwrap()),
            min_available: Some(IntOrPercent::Int(1)),
            max_unavailable: None,
        });
        let mut log = PdbLog::default();
        let set = |store: &mut Store, log: &mut PdbLog, allowed: i64, t: i64| {
            let mut s = store.pdb_status(b).clone();
            s.disruptions_allowed = allowed;
            store.set_pdb_status(b, s);
            let mut changes = Vec::new();
            store.take_changes(&mut changes);
            for c in &changes {
                log.on_change(c, store, SimTime(t));
            }
        };
        set(&mut store, &mut log, 0, 10_000); // created at 10 s, nothing allowed
        set(&mut store, &mut log, 2, 25_000);
        set(&mut store, &mut log, 1, 30_000);
        set(&mut store, &mut log, 0, 40_000);
        let s = &log.summaries(&store, SimTime(100_000))[0];
        assert_eq!(s.blocked_ms, 15_000 + 60_000);
        let mut rows = Vec::new();
        PdbSeries::default().rows(&store, SimTime(100_000), &mut rows);
        let got: Vec<(&str, &str, f64)> = (rows.iter())
            .map(|r| (r.metric, &*r.object, r.value))
            .collect();
        assert_eq!(got.len(), 4);
        assert_eq!(got[2], ("pdb_disruptions_allowed", "pdb/default/web", 0.0));
    }
}
