//! A controller's work queue (`client-go/util/workqueue`): an object asked for by many
//! changes in one instant is synced once, then.

use crate::component::Context;
use crate::store::ArenaId;
use std::marker::PhantomData;

/// Which objects (by id) have a sync queued.
#[derive(Clone, Debug)]
pub struct WorkQueue<I> {
    queued: Vec<bool>,
    kind: PhantomData<I>,
}

impl<I> Default for WorkQueue<I> {
    fn default() -> Self {
        WorkQueue {
            queued: Vec::new(),
            kind: PhantomData,
        }
    }
}

impl<I: ArenaId> WorkQueue<I> {
    /// Queues `event` (the sync of `id`) now, unless a sync of `id` is queued already.
    pub fn add<E>(&mut self, id: I, event: E, ctx: &mut Context<'_, E>) {
        if self.queued.len() <= id.index() {
            self.queued.resize(id.index() + 1, false);
        }
        if !self.queued[id.index()] {
            self.queued[id.index()] = true;
            ctx.after(0, event);
        }
    }

    /// The queued sync of `id` is being run: a later change queues a new one.
    pub fn done(&mut self, id: I) {
        if let Some(q) = self.queued.get_mut(id.index()) {
            *q = false;
        }
    }
}

/// The default controller rate limiter's shared part (`workqueue.DefaultControllerRateLimiter`:
/// the larger of a per-item exponential delay, 5 ms after a successful sync, and a token
/// bucket of 10 per second with a burst of 100 shared by every item): when an item re-queued
/// "rate limited" now is handed out again.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    /// Tokens left (fractional), as of `at`.
    tokens: f64,
    /// When `tokens` was computed (ms).
    at: i64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            tokens: Self::BURST,
            at: 0,
        }
    }
}

impl RateLimiter {
    /// The bucket's size.
    const BURST: f64 = 100.0;
    /// Tokens a second.
    const RATE: f64 = 10.0;
    /// The per-item base delay (a sync that succeeded resets the item's failures).
    pub const BASE_MS: i64 = 5;

    /// The delay (ms) of an item re-queued rate limited at `now_ms`; takes a token (or
    /// reserves the next, as `rate.Limiter.Reserve` does).
    pub fn delay(&mut self, now_ms: i64) -> i64 {
        let elapsed = (now_ms - self.at).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * Self::RATE).min(Self::BURST) - 1.0;
        self.at = now_ms.max(self.at);
        let wait = if self.tokens >= 0.0 {
            0
        } else {
            (-self.tokens / Self::RATE * 1000.0).ceil() as i64
        };
        wait.max(Self::BASE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::event::EventType;

    #[test]
    fn the_bucket_lets_a_burst_through_then_ten_a_second() {
        let mut l = RateLimiter::default();
        let delays: Vec<i64> = (0..102).map(|_| l.delay(1_000)).collect();
        assert!(
            delays[..100].iter().all(|&d| d == 5),
            "the burst: 5 ms each"
        );
        assert_eq!((delays[100], delays[101]), (100, 200), "then 10 a second");
        // A second later ten tokens are back.
        assert_eq!(l.delay(3_200), 5);
    }
    use crate::component::{Component, Harness};
    use crate::store::{ReplicaSetId, Watch};

    /// Adds its item twice at 10 ms, and once more while that sync runs.
    #[derive(Default)]
    struct Adder {
        queue: WorkQueue<ReplicaSetId>,
        runs: u32,
    }

    #[derive(Clone, Copy, Debug)]
    enum Ev {
        Kick,
        Sync(ReplicaSetId),
    }

    impl Component for Adder {
        type Event = Ev;
        fn name(&self) -> &str {
            "test/adder"
        }
        fn watches(&self) -> Watch {
            Watch::of(&[])
        }
        fn start(&mut self, ctx: &mut Context<'_, Ev>) {
            ctx.after(10, Ev::Kick);
        }
        fn handle(&mut self, event: Ev, ctx: &mut Context<'_, Ev>) {
            let id = ReplicaSetId(0);
            match event {
                Ev::Kick => {
                    self.queue.add(id, Ev::Sync(id), ctx);
                    self.queue.add(id, Ev::Sync(id), ctx);
                }
                Ev::Sync(id) => {
                    self.queue.done(id);
                    self.runs += 1;
                    let msg = format!("run {} at {}", self.runs, ctx.now().ms());
                    ctx.record(EventType::Normal, "Synced", "X/ns/x", msg);
                    if self.runs == 1 {
                        self.queue.add(id, Ev::Sync(id), ctx);
                    }
                }
            }
        }
    }

    #[test]
    fn an_item_is_queued_once_until_its_sync_runs() {
        let mut h = Harness::new(Adder::default());
        h.run_until(crate::engine::SimTime::from_ms(100));
        assert_eq!(
            h.events(),
            ["Synced X/ns/x: run 1 at 10", "Synced X/ns/x: run 2 at 10"]
        );
    }
}
