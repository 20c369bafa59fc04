//! ImageLocality: prefer nodes that already hold the pod's images, weighed by image size and
//! by how widely each image has spread (`pkg/scheduler/framework/plugins/imagelocality/image_locality.go`).
//!
//! For each container (init containers included) whose image the node holds, the image adds
//! `size × nodes holding it / all nodes` (truncated); the sum is clamped to
//! `[23 MiB, 1000 MiB × containers]` and mapped linearly onto `0..=100`.

use super::names;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::cache::{NodeInfo, NodeSet};
use crate::scheduler::framework::{
    ClusterView, MAX_NODE_SCORE, Plugin, PreScorePlugin, ScorePlugin, Status,
};
use crate::scheduler::images::ImageId;

const MB: i64 = 1024 * 1024;
/// Below this summed size a node scores 0.
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// Per container: at or above this summed size a node scores 100.
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// The plugin. PreScore resolves the pod's images once: each known image with its scaled
/// size, and the score every node gets when no image is on some nodes but not others.
#[derive(Debug, Default)]
pub struct ImageLocality {
    /// (image, scaled size) per container whose image some node holds.
    wanted: Vec<(ImageId, i64)>,
    /// Init plus regular containers.
    containers: i64,
    /// The score of every node, when the pod's images are each on no node or on all.
    uniform: Option<i64>,
}

impl Plugin for ImageLocality {
    fn name(&self) -> &str {
        names::IMAGE_LOCALITY
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/imagelocality/image_locality.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::Score])
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// An image's size scaled by its spread: `size × (nodes holding it / all nodes)`, in f64 and
/// truncated, as upstream.
pub fn scaled_image_score(size: i64, num_nodes: u32, total_nodes: u32) -> i64 {
    if total_nodes == 0 {
        return 0;
    }
    let spread = f64::from(num_nodes) / f64::from(total_nodes);
    (size as f64 * spread) as i64
}

/// The node score for a summed scaled size: clamped to `[MIN_THRESHOLD, MAX_CONTAINER_THRESHOLD
/// × containers]`, then `100 × (sum − min) / (max − min)` in integers.
pub fn calculate_priority(sum: i64, containers: i64) -> i64 {
    let max = MAX_CONTAINER_THRESHOLD.saturating_mul(containers);
    if max <= MIN_THRESHOLD {
        return 0;
    }
    let sum = sum.clamp(MIN_THRESHOLD, max);
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
}

impl PreScorePlugin for ImageLocality {
    fn pre_score(&mut self, pod: &Pod, nodes: NodeSet<'_>) -> Status {
        self.pre_score_with(pod, nodes, ClusterView::empty())
    }

    fn pre_score_with(
        &mut self,
        pod: &Pod,
        _nodes: NodeSet<'_>,
        cluster: ClusterView<'_>,
    ) -> Status {
        let images = cluster.images;
        let total = images.total_nodes();
        self.wanted.clear();
        self.containers = (pod.spec.init_containers.len() + pod.spec.containers.len()) as i64;
        let mut on_all_nodes = 0;
        let mut uniform = true;
        for image in pod.spec.images() {
            let Some(id) = images.lookup(image) else {
                continue;
            };
            let state = images.state(id);
            let scaled = scaled_image_score(state.size, state.num_nodes, total);
            if state.num_nodes >= total {
                on_all_nodes += scaled;
            } else if state.num_nodes > 0 {
                uniform = false;
            }
            self.wanted.push((id, scaled));
        }
        self.uniform = uniform.then(|| calculate_priority(on_all_nodes, self.containers));
        Status::success()
    }
}

impl ScorePlugin for ImageLocality {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> i64 {
        let sum = self
            .wanted
            .iter()
            .filter(|(id, _)| node.images.binary_search(id).is_ok())
            .map(|(_, s)| s)
            .sum();
        calculate_priority(sum, self.containers)
    }

    /// Every node scores the same when each of the pod's images is on no node or on every
    /// node (a fleet-wide base image, say).
    fn uniform_score(&self, _pod: &Pod, _nodes: NodeSet<'_>) -> Option<i64> {
        self.uniform
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ContainerImage;
    use crate::api::pod::Container;
    use crate::scheduler::images::ImageStates;
    use crate::scheduler::plugins::testing::{node, pod};
    use crate::store::Store;
    use std::sync::Arc;

    fn pod_with_images(images: &[&str]) -> Pod {
        let mut p = pod("p", 100, 0);
        let spec = Arc::make_mut(&mut p.spec);
        let c = spec.containers[0].clone();
        spec.containers = images
            .iter()
            .map(|i| Container {
                image: Arc::from(*i),
                ..c.clone()
            })
            .collect();
        p
    }

    fn img(name: &str, size: i64) -> ContainerImage {
        ContainerImage {
            names: vec![name.into()],
            size_bytes: size,
        }
    }

    #[test]
    fn priority_clamps_and_scales_per_container() {
        assert_eq!(calculate_priority(0, 1), 0);
        assert_eq!(calculate_priority(MIN_THRESHOLD, 1), 0);
        assert_eq!(calculate_priority(MAX_CONTAINER_THRESHOLD, 1), 100);
        assert_eq!(calculate_priority(5 * MAX_CONTAINER_THRESHOLD, 2), 100);
        // (500 MiB - 23 MiB) * 100 / (1000 MiB - 23 MiB) = 48.8 -> 48
        assert_eq!(calculate_priority(500 * MB, 1), 48);
        // Two containers double the ceiling: (500 - 23) * 100 / (2000 - 23) = 24.1 -> 24
        assert_eq!(calculate_priority(500 * MB, 2), 24);
        assert_eq!(scaled_image_score(300 * MB, 1, 3), 100 * MB);
        assert_eq!(scaled_image_score(10, 1, 3), 3, "truncated");
        assert_eq!(scaled_image_score(10, 0, 0), 0);
    }

    #[test]
    fn scores_follow_the_reference_formula_and_spread() {
        // Three nodes: a has the 250 MiB app image and the 300 MiB sidecar, b only the app
        // image, c nothing.
        let mut images = ImageStates::new();
        let mut nodes = vec![node("a", 1, 1), node("b", 1, 1), node("c", 1, 1)];
        images.add_node(
            &mut nodes[0],
            &[img("app:1", 250 * MB), img("side:1", 300 * MB)],
        );
        images.add_node(&mut nodes[1], &[img("app:1", 250 * MB)]);
        images.add_node(&mut nodes[2], &[]);
        let store = Store::new();
        let view = ClusterView {
            store: &store,
            images: &images,
        };
        let p = pod_with_images(&["app:1", "side:1", "unknown:2"]);
        let mut plugin = ImageLocality::default();
        let which = [0, 1, 2];
        plugin.pre_score_with(&p, NodeSet::new(&nodes, &which), view);
        assert_eq!(plugin.uniform_score(&p, NodeSet::new(&nodes, &which)), None);
        let scores: Vec<i64> = nodes.iter().map(|n| plugin.score(&p, n)).collect();
        // a: 250*2/3 + 300*1/3 = 266.67 MiB; max 3000 MiB -> (266.67-23)*100/2977 = 8
        // b: 166.67 MiB -> (166.67-23)*100/2977 = 4; c: 0
        let a = 250 * MB * 2 / 3 + 100 * MB;
        assert_eq!(
            scores[0],
            100 * (a - MIN_THRESHOLD) / (3000 * MB - MIN_THRESHOLD)
        );
        assert_eq!(scores, [8, 4, 0]);
    }

    #[test]
    fn images_on_every_node_or_none_give_a_uniform_score() {
        let mut images = ImageStates::new();
        let mut nodes = vec![node("a", 1, 1), node("b", 1, 1)];
        images.add_node(&mut nodes[0], &[img("base:1", 600 * MB)]);
        images.add_node(&mut nodes[1], &[img("base:1", 600 * MB)]);
        let store = Store::new();
        let view = ClusterView {
            store: &store,
            images: &images,
        };
        let mut plugin = ImageLocality::default();
        let which = [0, 1];
        let set = NodeSet::new(&nodes, &which);
        let p = pod_with_images(&["base:1", "nowhere"]);
        plugin.pre_score_with(&p, set, view);
        let expected = calculate_priority(600 * MB, 2);
        assert_eq!(plugin.uniform_score(&p, set), Some(expected));
        assert!(nodes.iter().all(|n| plugin.score(&p, n) == expected));
        plugin.pre_score(&p, set);
        assert_eq!(plugin.uniform_score(&p, set), Some(0), "no image table");
    }
}
