//! What every workload controller does to pods the same way: stamp one from a template under
//! a generated name and create it, with the `SuccessfulCreate` Event (`RealPodControl` in
//! `pkg/controller/controller_utils.go`), and delete one with `SuccessfulDelete`.

use crate::api::apps::PodTemplate;
use crate::api::event::EventType;
use crate::api::meta::{ObjectMeta, OwnerReference, Uid};
use crate::api::pod::{Pod, PodStatus};
use crate::component::Context;
use crate::engine::SimRng;
use crate::store::{PodId, Store};
use rand::RngExt;
use std::sync::Arc;

/// Longest `generateName` base the API server keeps: 63 characters less the 5 it appends
/// (`staging/src/k8s.io/apiserver/pkg/storage/names/generate.go`).
const MAX_GENERATED_BASE: usize = 58;

/// Five characters from the alphabet upstream's `generateName` uses (no vowels, no
/// look-alike digits).
pub fn random_suffix(rng: &mut SimRng) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A free name `BASE` + 5 random characters, the base truncated as the API server truncates
/// it (a colliding name is drawn again, as `RetryGenerateName` does).
pub fn generate_name(store: &Store, rng: &mut SimRng, namespace: &str, base: &str) -> String {
    let base = &base[..floor_char_boundary(base, MAX_GENERATED_BASE)];
    loop {
        let name = format!("{base}{}", random_suffix(rng));
        if !store.pod_exists(namespace, &name) {
            return name;
        }
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// The controller reference a workload puts on what it creates.
pub fn controller_ref(api_version: &str, kind: &str, meta: &ObjectMeta) -> OwnerReference {
    OwnerReference {
        api_version: api_version.into(),
        kind: kind.into(),
        name: meta.name.as_str().into(),
        uid: meta.uid.clone(),
        controller: true,
        block_owner_deletion: true,
    }
}

/// A pod stamped from `template`, named `name`, owned by `owners` (shared by the owner's
/// pods), created now.
pub fn pod_from_template<E>(
    template: &PodTemplate,
    namespace: &str,
    name: String,
    owners: Arc<[OwnerReference]>,
    ctx: &Context<'_, E>,
) -> Pod {
    Pod {
        meta: ObjectMeta {
            name,
            namespace: namespace.to_string(),
            uid: Uid::Unset,
            labels: template.meta.labels.clone(),
            annotations: template.meta.annotations.clone(),
            owner_references: owners,
        },
        spec: template.spec.clone(),
        status: PodStatus {
            created: ctx.now(),
            ..Default::default()
        },
    }
}

/// Creates `pod` for the workload `object` (`Kind/namespace/name`) through admission, with
/// its `SuccessfulCreate` Event (`Created pod: NAME`), or the `FailedCreate` one
/// (`Error creating: ...`) and the API server's refusal.
pub fn create<E>(pod: Pod, object: &Arc<str>, ctx: &mut Context<'_, E>) -> Result<PodId, String> {
    let name = pod.meta.name.clone();
    match ctx.store.admit_pod(pod) {
        Ok(id) => {
            let msg = format!("Created pod: {name}");
            ctx.record(EventType::Normal, "SuccessfulCreate", object.clone(), msg);
            Ok(id)
        }
        Err(e) => {
            let msg = format!("Error creating: {e}");
            ctx.record(EventType::Warning, "FailedCreate", object.clone(), msg);
            Err(e)
        }
    }
}

/// The per-item retry delays of a controller's work queue after errors
/// (`DefaultControllerRateLimiter`'s exponential part: 5 ms doubling to 1,000 s).
#[derive(Clone, Debug)]
pub struct RetryBackoff<K: Ord> {
    failures: std::collections::BTreeMap<K, u32>,
    /// The retry queued for each key, and when (one at a time, as the work queue keeps an
    /// item once).
    pending: std::collections::BTreeMap<K, crate::engine::SimTime>,
}

impl<K: Ord> Default for RetryBackoff<K> {
    fn default() -> Self {
        RetryBackoff {
            failures: std::collections::BTreeMap::new(),
            pending: std::collections::BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy> RetryBackoff<K> {
    /// The delay before the next retry of `key`, counting this failure.
    pub fn next_delay(&mut self, key: K) -> i64 {
        let n = self.failures.entry(key).or_insert(0);
        let delay = (5_i64 << (*n).min(30)).min(1_000_000);
        *n += 1;
        delay
    }

    /// `key` failed: its retry `event` is queued after the back-off, unless a retry of it is
    /// queued already (`AddRateLimited`).
    pub fn retry<E>(&mut self, key: K, event: E, ctx: &mut Context<'_, E>) {
        let delay = self.next_delay(key);
        let now = ctx.now();
        if self.pending.get(&key).is_some_and(|&at| at > now) {
            return;
        }
        let at = now + delay;
        self.pending.insert(key, at);
        ctx.at(at, event);
    }

    /// `key` succeeded: its next failure starts again at 5 ms.
    pub fn forget(&mut self, key: &K) {
        self.failures.remove(key);
    }
}

/// Deletes `pod` with its grace period for the workload `object`, with its
/// `SuccessfulDelete` Event (`Deleted pod: NAME`).
pub fn delete<E>(pod: PodId, object: &Arc<str>, ctx: &mut Context<'_, E>) {
    let now = ctx.now();
    if ctx.store.request_deletion(pod, now) {
        let msg = format!("Deleted pod: {}", ctx.store.pod(pod).meta.name);
        ctx.record(EventType::Normal, "SuccessfulDelete", object.clone(), msg);
    }
}

/// Batch sizes of upstream's `slowStartBatch`: 1, 2, 4, ... until `count` (a batch with a
/// failure ends the creations: callers stop there).
pub fn slow_start_batches(count: usize) -> impl Iterator<Item = usize> {
    let mut done = 0;
    let mut size = 1;
    std::iter::from_fn(move || {
        if done >= count {
            return None;
        }
        let batch = size.min(count - done);
        done += batch;
        size *= 2;
        Some(batch)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_double_until_the_count() {
        let b: Vec<usize> = slow_start_batches(10).collect();
        assert_eq!(b, [1, 2, 4, 3]);
        assert_eq!(slow_start_batches(0).count(), 0);
        assert_eq!(slow_start_batches(1).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn generated_names_keep_58_characters_of_the_base() {
        let store = Store::new();
        let mut rng = crate::engine::RngStreams::new(1).stream("t");
        let long = format!("{}-", "a".repeat(70));
        let name = generate_name(&store, &mut rng, "default", &long);
        assert_eq!(name.len(), 63);
        assert!(name.starts_with(&"a".repeat(58)));
        let short = generate_name(&store, &mut rng, "default", "web-");
        assert_eq!(short.len(), 9);
        assert!(
            short[4..]
                .chars()
                .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c))
        );
    }
}
