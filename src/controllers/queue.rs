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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::event::EventType;
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
