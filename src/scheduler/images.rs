//! The scheduler cache's image states: for every image name some node holds, its size and how
//! many nodes hold it (upstream `ImageStateSummary`, kept by
//! `pkg/scheduler/backend/cache/cache.go`). Names are interned to [`ImageId`]s so that each
//! node's image list is a short sorted vector of integers.

use super::cache::NodeInfo;
use crate::api::ContainerImage;
use crate::api::node::normalized_image_name;
use rustc_hash::FxHashMap;

/// An interned image name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(pub u32);

/// Size and spread of one image name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageState {
    /// Size in bytes, as the first node that reported it gave it (0 when unknown).
    pub size: i64,
    /// Nodes holding the image.
    pub num_nodes: u32,
}

/// Every image name known on some node, and the number of nodes.
#[derive(Clone, Debug, Default)]
pub struct ImageStates {
    /// Interned names; only looked up, never iterated.
    by_name: FxHashMap<Box<str>, ImageId>,
    states: Vec<ImageState>,
    total_nodes: u32,
}

impl ImageStates {
    /// No images, no nodes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of an image name as a pod spells it (normalized first), if some node holds it.
    pub fn lookup(&self, image: &str) -> Option<ImageId> {
        self.by_name.get(&*normalized_image_name(image)).copied()
    }

    /// The state of an image.
    pub fn state(&self, id: ImageId) -> ImageState {
        self.states[id.0 as usize]
    }

    /// Nodes in the cluster (every node counts, as upstream's snapshot list does).
    pub fn total_nodes(&self) -> u32 {
        self.total_nodes
    }

    /// Counts a new node and the images it starts with.
    pub fn add_node(&mut self, info: &mut NodeInfo, images: &[ContainerImage]) {
        self.total_nodes += 1;
        for image in images {
            self.add_image(info, image);
        }
    }

    /// Records that `info`'s node holds `image` (each of its names; a name already held is not
    /// counted twice).
    pub fn add_image(&mut self, info: &mut NodeInfo, image: &ContainerImage) {
        for name in &image.names {
            let name = normalized_image_name(name);
            let next = ImageId(self.states.len() as u32);
            let id = *self.by_name.entry(name.into()).or_insert(next);
            if id == next {
                self.states.push(ImageState::default());
            }
            if let Err(pos) = info.images.binary_search(&id) {
                info.images.insert(pos, id);
                let s = &mut self.states[id.0 as usize];
                s.num_nodes += 1;
                if s.size == 0 {
                    s.size = image.size_bytes.max(0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::node;

    fn image(names: &[&str], size: i64) -> ContainerImage {
        ContainerImage {
            names: names.iter().map(|n| n.to_string()).collect(),
            size_bytes: size,
        }
    }

    #[test]
    fn names_are_normalized_interned_and_counted_once_per_node() {
        let mut states = ImageStates::new();
        let mut a = node("a", 1000, 1 << 30);
        let mut b = node("b", 1000, 1 << 30);
        states.add_node(&mut a, &[image(&["nginx", "nginx@sha256:01"], 100)]);
        states.add_node(&mut b, &[image(&["nginx:latest"], 200)]);
        states.add_image(&mut b, &image(&["nginx:latest"], 300));
        let id = states.lookup("nginx").expect("known");
        assert_eq!(states.lookup("nginx:latest"), Some(id));
        assert_eq!(
            states.state(id),
            ImageState {
                size: 100,
                num_nodes: 2
            }
        );
        assert_eq!(states.total_nodes(), 2);
        assert_eq!(a.images.len(), 2);
        assert_eq!(b.images, [id]);
        assert!(states.lookup("redis").is_none());
    }
}
