//! Zones and their disruption states, which set how fast the node lifecycle controller puts
//! NoExecute taints on the nodes of a zone (`ComputeZoneState`, `setLimiterInZone`,
//! `ReducedQPSFunc` and `HealthyQPSFunc` in
//! `pkg/controller/nodelifecycle/node_lifecycle_controller.go`; the zone's rate limited queue
//! and `SwapLimiter` in `pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go`).
//!
//! A zone is a region and zone pair ([`ZoneKey`]); its state comes from the `Ready`
//! conditions of its nodes ([`zone_state`]), and sets its rate limiter ([`eviction_interval`],
//! [`Limiter`]).

use crate::api::Node;
use crate::engine::SimTime;

/// `--unhealthy-zone-threshold`: a zone with more than two nodes not ready is partially
/// disrupted from this share of not-ready nodes on (upstream compares in single precision).
pub const UNHEALTHY_ZONE_THRESHOLD: f32 = 0.55;
/// `--large-cluster-size-threshold`: a partially disrupted zone of more nodes than this goes
/// on tainting, slowly; a smaller one stops.
pub const LARGE_CLUSTER_SIZE_THRESHOLD: usize = 50;
/// One NoExecute taint per zone per this long (`--node-eviction-rate`, 0.1 nodes a second).
pub const EVICTION_INTERVAL_MS: i64 = 10_000;
/// The same in a large partially disrupted zone (`--secondary-node-eviction-rate`, 0.01).
/// Upstream's rate is a float32, whose 0.01 makes the interval 2 µs longer: below the
/// millisecond clock, and well inside the 100 ms period of upstream's tainting loop.
pub const SECONDARY_EVICTION_INTERVAL_MS: i64 = 100_000;
/// A node with this label counts in no zone's state (`isNodeExcludedFromDisruptionChecks`).
pub const LABEL_EXCLUDE_DISRUPTION: &str = "node.kubernetes.io/exclude-disruption";

/// A zone's state (upstream's `ZoneState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    /// Seen for the first time at this pass; its first state follows at once.
    Initial,
    /// Nodes not ready, if any, are few: the normal tainting rate.
    Normal,
    /// More than two nodes not ready, and at least [`UNHEALTHY_ZONE_THRESHOLD`] of them.
    PartialDisruption,
    /// No node ready, at least one not ready.
    FullDisruption,
}

/// A zone: the node's region and zone labels, each the deprecated
/// `failure-domain.beta.kubernetes.io` one when the node has it, else the
/// `topology.kubernetes.io` one (upstream `GetZoneKey`,
/// `staging/src/k8s.io/component-helpers/node/topology/helpers.go`). A node with neither is
/// in the zone of empty names.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneKey {
    /// The region label's value (empty without one).
    pub region: String,
    /// The zone label's value (empty without one).
    pub zone: String,
}

impl ZoneKey {
    /// The zone of a node.
    pub fn of(node: &Node) -> ZoneKey {
        let (region, zone) = node.region_and_zone();
        ZoneKey {
            region: region.to_string(),
            zone: zone.to_string(),
        }
    }
}

/// Whether a node is left out of its zone's state ([`LABEL_EXCLUDE_DISRUPTION`]).
pub fn excluded(node: &Node) -> bool {
    node.meta.labels.contains_key(LABEL_EXCLUDE_DISRUPTION)
}

/// The state of a zone with `ready` nodes whose `Ready` condition is True and `not_ready`
/// others (False, Unknown or missing) (`ComputeZoneState`).
pub fn zone_state(ready: usize, not_ready: usize) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        return ZoneState::FullDisruption;
    }
    if not_ready > 2 && not_ready as f32 / (ready + not_ready) as f32 >= UNHEALTHY_ZONE_THRESHOLD {
        return ZoneState::PartialDisruption;
    }
    ZoneState::Normal
}

/// How often a zone of `zone_size` counted nodes in `state` lets a NoExecute taint through;
/// `None`: never (`setLimiterInZone`). A fully disrupted zone keeps the normal rate
/// (`HealthyQPSFunc`); when every zone is, the controller stops tainting altogether, which
/// the controller decides, not this function.
pub fn eviction_interval(state: ZoneState, zone_size: usize) -> Option<i64> {
    match state {
        ZoneState::PartialDisruption => {
            (zone_size > LARGE_CLUSTER_SIZE_THRESHOLD).then_some(SECONDARY_EVICTION_INTERVAL_MS)
        }
        ZoneState::Initial | ZoneState::Normal | ZoneState::FullDisruption => {
            Some(EVICTION_INTERVAL_MS)
        }
    }
}

/// A zone's rate limiter: a token bucket holding one token (`EvictionRateLimiterBurst`),
/// refilled every `interval_ms`; without an interval it lets nothing through
/// (`NewFakeNeverRateLimiter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limiter {
    interval_ms: Option<i64>,
    /// When the token is (or will be) there.
    next: SimTime,
}

impl Default for Limiter {
    /// A new zone's: the normal rate, the token there (`addPodEvictorForNewZone`).
    fn default() -> Self {
        Limiter {
            interval_ms: Some(EVICTION_INTERVAL_MS),
            next: SimTime::ZERO,
        }
    }
}

impl Limiter {
    /// When the bucket next holds its token; `None`: never.
    pub fn next_token(&self) -> Option<SimTime> {
        self.interval_ms.map(|_| self.next)
    }

    /// Takes the token if it is there (`TryAccept`).
    pub fn try_accept(&mut self, now: SimTime) -> bool {
        match self.interval_ms {
            Some(interval) if now >= self.next => {
                self.next = now + interval;
                true
            }
            _ => false,
        }
    }

    /// Sets a new rate (`SwapLimiter`): nothing changes if it is the same; otherwise the new
    /// bucket starts full, unless the old one had no token now, in which case it starts
    /// empty (upstream drains it).
    pub fn swap(&mut self, interval_ms: Option<i64>, now: SimTime) {
        if interval_ms == self.interval_ms {
            return;
        }
        let had_token = self.try_accept(now);
        self.interval_ms = interval_ms;
        if let Some(interval) = interval_ms {
            self.next = if had_token { now } else { now + interval };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::LABEL_ZONE;
    use ZoneState::*;

    #[test]
    fn zone_state_table() {
        // (ready, not ready, state), from upstream's rules and its float32 comparison.
        let cases = [
            (0, 0, Normal),
            (4, 0, Normal),
            (0, 1, FullDisruption),
            (0, 4, FullDisruption),
            (1, 2, Normal),             // two not ready are never a partial disruption
            (0, 2, FullDisruption),     // ... but none ready is a full one
            (1, 3, PartialDisruption),  // 0.75
            (3, 3, Normal),             // 0.5
            (9, 11, PartialDisruption), // 0.55 exactly: at the threshold
            (10, 11, Normal),           // 0.5238
            (20, 40, PartialDisruption),
            (1, 100, PartialDisruption),
        ];
        for (ready, not_ready, want) in cases {
            assert_eq!(
                zone_state(ready, not_ready),
                want,
                "{ready} ready, {not_ready} not"
            );
        }
    }

    #[test]
    fn eviction_interval_table() {
        let cases = [
            (Normal, 4, Some(EVICTION_INTERVAL_MS)),
            (Normal, 500, Some(EVICTION_INTERVAL_MS)),
            (PartialDisruption, 4, None),
            (PartialDisruption, 50, None),
            (PartialDisruption, 51, Some(SECONDARY_EVICTION_INTERVAL_MS)),
            (FullDisruption, 4, Some(EVICTION_INTERVAL_MS)),
        ];
        for (state, size, want) in cases {
            assert_eq!(eviction_interval(state, size), want, "{state:?} {size}");
        }
    }

    #[test]
    fn zone_key_prefers_the_beta_labels_as_upstream() {
        let node = |labels: &[(&str, &str)]| {
            let mut n = crate::api::testing::node("n", 0, 0, 0);
            n.meta.labels = std::sync::Arc::new(
                (labels.iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
            n
        };
        let key = |region: &str, zone: &str| ZoneKey {
            region: region.into(),
            zone: zone.into(),
        };
        assert_eq!(ZoneKey::of(&node(&[])), key("", ""));
        assert_eq!(ZoneKey::of(&node(&[(LABEL_ZONE, "a")])), key("", "a"));
        let both = node(&[
            (LABEL_ZONE, "new"),
            ("failure-domain.beta.kubernetes.io/zone", "old"),
            ("topology.kubernetes.io/region", "r"),
        ]);
        assert_eq!(ZoneKey::of(&both), key("r", "old"));
        assert!(!excluded(&both));
        assert!(excluded(&node(&[(LABEL_EXCLUDE_DISRUPTION, "")])));
    }

    #[test]
    fn the_limiter_lets_one_through_per_interval() {
        let mut l = Limiter::default();
        let t = SimTime::from_secs;
        assert!(l.try_accept(t(655)));
        assert!(!l.try_accept(t(660)));
        assert_eq!(l.next_token(), Some(t(665)));
        assert!(l.try_accept(t(665)));
        // The bucket holds one token: idle for a minute, it lets one through, not six.
        assert!(l.try_accept(t(725)));
        assert!(!l.try_accept(t(725)));
    }

    #[test]
    fn a_swapped_in_limiter_is_drained_when_the_old_one_had_no_token() {
        let t = SimTime::from_secs;
        // Stopped (partial disruption of a small zone), then back to normal: the never
        // limiter had no token, so the new bucket starts empty.
        let mut l = Limiter::default();
        l.swap(None, t(655));
        assert_eq!(l.next_token(), None);
        assert!(!l.try_accept(t(900)));
        l.swap(None, t(900)); // the same rate: nothing changes
        l.swap(Some(EVICTION_INTERVAL_MS), t(1200));
        assert_eq!(l.next_token(), Some(t(1210)));
        // Normal with its token, then the secondary rate: the new bucket starts full.
        let mut l = Limiter::default();
        l.swap(Some(SECONDARY_EVICTION_INTERVAL_MS), t(655));
        assert!(l.try_accept(t(655)));
        assert_eq!(l.next_token(), Some(t(755)));
        // Normal without its token (one taken 5 s ago): the new bucket starts empty.
        let mut l = Limiter::default();
        assert!(l.try_accept(t(650)));
        l.swap(Some(SECONDARY_EVICTION_INTERVAL_MS), t(655));
        assert_eq!(l.next_token(), Some(t(755)));
        // Swapping to the same rate keeps the bucket as it is.
        l.swap(Some(SECONDARY_EVICTION_INTERVAL_MS), t(700));
        assert_eq!(l.next_token(), Some(t(755)));
    }
}
