//! The event queue against a bare binary heap on the same "hold" event stream: pop the
//! earliest event, push one at a random later time (the classic priority-queue benchmark).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubesim::engine::{EventQueue, RngStreams, SimTime};
use rand::Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

const PENDING: usize = 10_000;
const OPS: u64 = 100_000;

fn delays() -> Vec<i64> {
    let mut r = RngStreams::new(3).stream("bench");
    (0..(PENDING as u64 + OPS))
        .map(|_| (r.next_u64() % 100_000) as i64)
        .collect()
}

fn hold(c: &mut Criterion) {
    let d = delays();
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(OPS));
    g.bench_function("event-queue/hold", |b| {
        b.iter(|| {
            let mut q: EventQueue<u32> = EventQueue::new();
            for (i, &x) in d[..PENDING].iter().enumerate() {
                q.schedule(SimTime(x), i as u32);
            }
            for &x in &d[PENDING..] {
                let (t, e) = q.pop().expect("never empty");
                q.schedule(t + x, e);
            }
            black_box(q.now())
        })
    });
    g.bench_function("binary-heap/hold", |b| {
        b.iter(|| {
            let mut h: BinaryHeap<Reverse<(i64, u64, u32)>> = BinaryHeap::new();
            let mut seq = 0u64;
            for (i, &x) in d[..PENDING].iter().enumerate() {
                h.push(Reverse((x, seq, i as u32)));
                seq += 1;
            }
            let mut now = 0;
            for &x in &d[PENDING..] {
                let Reverse((t, _, e)) = h.pop().expect("never empty");
                now = t;
                h.push(Reverse((t + x, seq, e)));
                seq += 1;
            }
            black_box(now)
        })
    });
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
