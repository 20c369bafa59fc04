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
