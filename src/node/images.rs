//! The image step of each container start: the pull policy, one pull at a time per node
//! (`serializeImagePulls`), and a pull under way shared by the pods that wait for it
//! (`pkg/kubelet/images/image_manager.go`, `pkg/kubelet/images/puller.go`).

use super::{Ctx, Kubelet, KubeletEvent, step_containers};
use crate::api::ContainerImage;
use crate::api::duration::format_duration_ms;
use crate::api::event::{EventType, Message};
use crate::api::node::normalized_image_name;
use crate::api::pod::PullPolicy;
use crate::engine::SimTime;
use crate::store::{NodeId, PodId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a node's runtime holds.
#[derive(Default)]
pub(super) struct NodeState {
    /// Images on the node (normalized names), pulled.
    images: BTreeSet<String>,
    /// Images being pulled, with when each pull ends.
    pulling: BTreeMap<String, SimTime>,
    pulls_busy_until: SimTime,
}

impl NodeState {
    /// A node that holds these images.
    pub(super) fn with_images(images: BTreeSet<String>) -> Self {
        NodeState {
            images,
            ..NodeState::default()
        }
    }
}

impl Kubelet {
    /// Ensures the images of the pod's current step, then creates its containers: at once
    /// when every image is present, after the pulls otherwise. A `Never` image the node lacks
    /// stops the pod there (`ErrImageNeverPull`).
    pub(super) fn begin_step(&mut self, pod: PodId, node: NodeId, ctx: Ctx) {
        let now = ctx.now();
        let run = self.run(pod);
        let spec = ctx.store.pod(pod).spec.clone();
        let mut images: Vec<(&Arc<str>, PullPolicy)> = Vec::new();
        for c in step_containers(&spec, run.step) {
            if !c.image.is_empty() && !images.iter().any(|(i, _)| *i == &c.image) {
                images.push((&c.image, c.pull_policy));
            }
        }
        let mut ready_at = now;
        for (image, policy) in images {
            let name = normalized_image_name(image);
            let state = &mut self.nodes[node.0 as usize];
            let present = state.images.contains(&*name);
            match policy {
                PullPolicy::IfNotPresent | PullPolicy::Never if present => {
                    let msg = Message::ImagePresent(image.clone());
                    ctx.record_pod(pod, EventType::Normal, "Pulled", msg);
                    continue;
                }
                PullPolicy::Never => {
                    let msg = format!(
                        "Container image \"{image}\" is not present with pull policy of Never"
                    );
                    ctx.record_pod(pod, EventType::Warning, "ErrImageNeverPull", msg);
                    let msg = "Error: ErrImageNeverPull".to_string();
                    ctx.record_pod(pod, EventType::Warning, "Failed", msg);
                    ctx.store.set_pod_reason(pod, Some("ErrImageNeverPull"));
                    self.pulled.remove(&pod);
                    return;
                }
                PullPolicy::Always | PullPolicy::IfNotPresent => {}
            }
            let start = state.pulls_busy_until.max(now);
            let (took, done) = if present {
                // `Always` with the image at hand: the registry is asked, nothing transferred.
                (0, start)
            } else if state.pulling.contains_key(&*name) {
                // Another pod's pull of this image is under way: this pod's request waits in
                // the serialized queue and finds the image there (no second transfer).
                let done = start.max(state.pulling[&*name]);
                (0, done)
            } else {
                let took = self.timings.image_pull.sample(ctx.rng);
                let done = start + took;
                state.pulls_busy_until = done;
                state.pulling.insert(name.to_string(), done);
                self.image_pulls += 1;
                let index = self.intern(&name);
                ctx.at(done, KubeletEvent::ImagePulled(node, index));
                (took, done)
            };
            let msg = Message::Pulling(image.clone());
            ctx.record_pod(pod, EventType::Normal, "Pulling", msg);
            let msg = format!(
                "Successfully pulled image \"{image}\" in {} ({} including waiting)",
                format_duration_ms(took),
                format_duration_ms(done - now)
            );
            // Written when the images are ready, so the log stays in time order.
            self.pulled.entry(pod).or_default().push(msg);
            ready_at = ready_at.max(done);
        }
        ctx.at(ready_at, KubeletEvent::ImagesReady(pod, run.inc));
    }

    /// A pull ended: the node holds the image and reports it in `status.images`.
    pub(super) fn image_pulled(&mut self, node: NodeId, index: u32, ctx: Ctx) {
        let Some(name) = self.image_names.get(index as usize) else {
            return;
        };
        let state = &mut self.nodes[node.0 as usize];
        state.pulling.remove(name);
        state.images.insert(name.clone());
        let image = ContainerImage {
            names: vec![name.clone()],
            size_bytes: self.sizes.get(name).copied().unwrap_or(0),
        };
        ctx.store.add_node_image(node, image);
    }

    /// `Pulled` for each image the step pulled.
    pub(super) fn record_pulled(&mut self, pod: PodId, ctx: Ctx) {
        for msg in self.pulled.remove(&pod).unwrap_or_default() {
            ctx.record_pod(pod, EventType::Normal, "Pulled", msg);
        }
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.image_ids.get(name) {
            return i;
        }
        let i = u32::try_from(self.image_names.len()).unwrap_or(u32::MAX);
        self.image_names.push(name.to_string());
        self.image_ids.insert(name.to_string(), i);
        i
    }
}
