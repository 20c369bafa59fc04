//! Which pods a ReplicaSet deletes first when it scales down (`getPodsToDelete` and
//! `getPodsRankedByRelatedPodsOnSameNode` in `pkg/controller/replicaset/replica_set.go`,
//! `ActivePodsWithRanks.Less` in `pkg/controller/controller_utils.go`, with
//! `LogarithmicScaleDown` and `PodDeletionCost`, both on by default).

use crate::api::apps::ANNOTATION_DELETION_COST;
use crate::api::pod::{Phase, Pod};
use crate::engine::SimTime;
use crate::store::{PodId, Store};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// What the order reads of one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The pod.
    pub pod: PodId,
    /// Bound to a node.
    pub assigned: bool,
    /// Pending 0, (Unknown 1,) Running 2.
    pub phase: u8,
    /// The Ready condition.
    pub ready: bool,
    /// `controller.kubernetes.io/pod-deletion-cost` (0 when absent or not an int32).
    pub cost: i32,
    /// Active related pods on the same node (the pod itself included).
    pub rank: u32,
    /// When it became Ready (`None`: unknown, as a zero time).
    pub ready_since: Option<SimTime>,
    /// Container restarts.
    pub restarts: u32,
    /// Creation time.
    pub created: SimTime,
    /// `metadata.uid` as text: the last tie-break between equal log2 buckets.
    pub uid: String,
}

impl Candidate {
    /// The candidate for `pod`; `rank` is its count of co-located related pods.
    pub fn of(id: PodId, pod: &Pod, rank: u32) -> Candidate {
        Candidate {
            pod: id,
            assigned: pod.status.node.is_some(),
            phase: match pod.phase() {
                Phase::Pending => 0,
                _ => 2,
            },
            ready: pod.status.ready,
            cost: pod
                .meta
                .annotations
                .get(ANNOTATION_DELETION_COST)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            rank,
            ready_since: pod.status.ready_since,
            restarts: pod.status.restarts,
            created: pod.status.created,
            uid: pod.meta.uid.to_string(),
        }
    }
}

/// `floor(log2(now - t))` in nanoseconds, -1 when `t` is not before now
/// (`logarithmicRankDiff`).
fn log_rank(t: SimTime, now: SimTime) -> i32 {
    let d = (now.ms() - t.ms()).saturating_mul(1_000_000);
    if d > 0 {
        63 - d.leading_zeros() as i32
    } else {
        -1
    }
}

/// Compares two times as `ActivePodsWithRanks.Less` does: a zero (unknown) time first, then
/// the more recent one, by log2 bucket of the age, equal buckets by uid.
fn recent_first(
    a: &Candidate,
    ta: Option<SimTime>,
    b: &Candidate,
    tb: Option<SimTime>,
    now: SimTime,
) -> Ordering {
    match (ta, tb) {
        (x, y) if x == y => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => match log_rank(x, now).cmp(&log_rank(y, now)) {
            Ordering::Equal => a.uid.cmp(&b.uid),
            other => other,
        },
    }
}

/// The deletion order: earlier is deleted first.
pub fn deletion_order(a: &Candidate, b: &Candidate, now: SimTime) -> Ordering {
    // 1. Unassigned before assigned.
    a.assigned
        .cmp(&b.assigned)
        // 2. Pending before Unknown before Running.
        .then(a.phase.cmp(&b.phase))
        // 3. Not ready before ready.
        .then(a.ready.cmp(&b.ready))
        // 4. Lower deletion cost first.
        .then(a.cost.cmp(&b.cost))
        // 5. More related pods on the same node first.
        .then(b.rank.cmp(&a.rank))
        // 6. Both ready: ready more recently first.
        .then_with(|| match a.ready && b.ready {
            true => recent_first(a, a.ready_since, b, b.ready_since, now),
            false => Ordering::Equal,
        })
        // 7. More restarts first.
        .then(b.restarts.cmp(&a.restarts))
        // 8. Newer first.
        .then_with(|| recent_first(a, Some(a.created), b, Some(b.created), now))
}

/// The `count` pods of `pods` to delete, given the active pods of every ReplicaSet of the
/// same owner (`related`, `pods` among them): all of them when `count` reaches their number,
/// else the first `count` in [`deletion_order`].
pub fn pods_to_delete(
    store: &Store,
    pods: &[PodId],
    related: &[PodId],
    count: usize,
    now: SimTime,
) -> Vec<PodId> {
    if count >= pods.len() {
        return pods.to_vec();
    }
    let mut on_node: BTreeMap<Option<u32>, u32> = BTreeMap::new();
    for &p in related {
        *on_node.entry(store.pod(p).status.node).or_default() += 1;
    }
    let mut candidates: Vec<Candidate> = pods
        .iter()
        .map(|&p| {
            let pod = store.pod(p);
            Candidate::of(p, pod, on_node.get(&pod.status.node).copied().unwrap_or(0))
        })
        .collect();
    // Upstream's order is not transitive (equal times fall through to the next rule, other
    // times in one log2 bucket compare by uid), which Go's sort tolerates and Rust's may
    // panic on: a merge sort of our own gives a deterministic order and never panics.
    merge_sort_by(&mut candidates, &|a, b| deletion_order(a, b, now));
    candidates.truncate(count);
    candidates.into_iter().map(|c| c.pod).collect()
}

/// A stable top-down merge sort that needs no total order.
fn merge_sort_by<T: Clone>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    if v.len() <= 1 {
        return;
    }
    let mid = v.len() / 2;
    merge_sort_by(&mut v[..mid], cmp);
    merge_sort_by(&mut v[mid..], cmp);
    let (left, right) = (v[..mid].to_vec(), v[mid..].to_vec());
    let (mut i, mut j) = (0, 0);
    for slot in v.iter_mut() {
        let take_left =
            j >= right.len() || (i < left.len() && cmp(&right[j], &left[i]) != Ordering::Less);
        if take_left {
            *slot = left[i].clone();
            i += 1;
        } else {
            *slot = right[j].clone();
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intransitive_order_sorts_without_panicking() {
        // Equal times fall through; other times of one bucket compare by uid: a = b, b < c,
        // c < a. Sorting must neither panic nor lose a pod.
        let now = SimTime(100_000);
        let mut v: Vec<Candidate> = (0..64)
            .map(|i| {
                let mut x = c(i);
                x.ready_since = Some(SimTime(60_000 + (i as i64 % 3) * 7));
                x.uid = format!("{:02}", (i * 37) % 64);
                x
            })
            .collect();
        merge_sort_by(&mut v, &|a, b| deletion_order(a, b, now));
        let mut pods: Vec<u32> = v.iter().map(|c| c.pod.0).collect();
        pods.sort_unstable();
        assert_eq!(pods, (0..64).collect::<Vec<_>>());
    }

    fn c(n: u32) -> Candidate {
        Candidate {
            pod: PodId(n),
            assigned: true,
            phase: 2,
            ready: true,
            cost: 0,
            rank: 1,
            ready_since: Some(SimTime(1_000)),
            restarts: 0,
            created: SimTime(0),
            uid: format!("uid-{n}"),
        }
    }

    fn first(
        mut a: Candidate,
        mut b: Candidate,
        edit: impl Fn(&mut Candidate, &mut Candidate),
    ) -> u32 {
        edit(&mut a, &mut b);
        let now = SimTime(3_600_000);
        match deletion_order(&a, &b, now) {
            Ordering::Less => a.pod.0,
            Ordering::Greater => b.pod.0,
            Ordering::Equal => u32::MAX,
        }
    }

    #[test]
    fn each_rule_decides_when_the_earlier_ones_tie() {
        let (a, b) = (c(1), c(2));
        // 1. An unassigned pod goes first, whatever comes after.
        assert_eq!(
            first(a.clone(), b.clone(), |a, b| {
                a.assigned = false;
                b.ready = false;
                b.phase = 0
            }),
            1
        );
        // 2. Pending before Running.
        assert_eq!(first(a.clone(), b.clone(), |_, b| b.phase = 0), 2);
        // 3. Not ready before ready.
        assert_eq!(
            first(a.clone(), b.clone(), |a, b| {
                a.ready = false;
                b.cost = -5
            }),
            1
        );
        // 4. Lower deletion cost first, over co-location.
        assert_eq!(
            first(a.clone(), b.clone(), |a, b| {
                a.cost = -1;
                b.rank = 9
            }),
            1
        );
        // 5. More co-located related pods first.
        assert_eq!(first(a.clone(), b.clone(), |_, b| b.rank = 3), 2);
        // 6. Ready more recently first, in log2 buckets of the age.
        assert_eq!(
            first(a.clone(), b.clone(), |_, b| b.ready_since =
                Some(SimTime(3_000_000))),
            2
        );
        // Ages of 3,599 s and 3,598 s share a bucket: the uid decides.
        assert_eq!(
            first(a.clone(), b.clone(), |a, _| a.ready_since =
                Some(SimTime(2_000))),
            1
        );
        // An unknown ready time counts as the most recent.
        assert_eq!(first(a.clone(), b.clone(), |_, b| b.ready_since = None), 2);
        // 7. More restarts first.
        assert_eq!(first(a.clone(), b.clone(), |a, _| a.restarts = 2), 1);
        // 8. Newer first.
        assert_eq!(
            first(a.clone(), b.clone(), |_, b| b.created = SimTime(3_000_000)),
            2
        );
        // Nothing differs but the uid at the end.
        assert_eq!(first(a.clone(), b.clone(), |_, _| {}), u32::MAX);
    }

    #[test]
    fn log_ranks_are_floor_log2_of_nanoseconds() {
        assert_eq!(log_rank(SimTime(0), SimTime(0)), -1);
        assert_eq!(log_rank(SimTime(0), SimTime(1)), 19); // 1e6 ns: 2^19 < 1e6 < 2^20
        assert_eq!(log_rank(SimTime(5), SimTime(1)), -1);
    }
}
