//! Object metadata shared by every kind: name, namespace, uid, labels, annotations and owner
//! references (`staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`).

use super::selector::Labels;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// An object's unique id (`metadata.uid`): the text a manifest gave (a snapshot keeps the
/// uids that its `ownerReferences` point at), or one the store assigned when it created the
/// object. Upstream assigns a random UUID; kubesim's are UUID-shaped, distinct for distinct
/// objects (up to 2^62 of them), and depend only on the order objects were created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Uid {
    /// Not assigned yet: the object has not reached the store.
    #[default]
    Unset,
    /// Given in a manifest.
    Given(Arc<str>),
    /// Assigned by the store: the n-th object it created without a uid.
    Assigned(u64),
}

impl Uid {
    /// Whether the object has a uid.
    pub fn is_set(&self) -> bool {
        !matches!(self, Uid::Unset)
    }
}

/// Odd multipliers and shifts of a bijection of the 62-bit integers (each step of a SplitMix
/// finalizer is invertible modulo 2^62), so distinct counters print as distinct uids.
fn mix62(mut x: u64) -> u64 {
    const MASK: u64 = (1 << 62) - 1;
    x &= MASK;
    x = (x ^ (x >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9) & MASK;
    x = (x ^ (x >> 29)).wrapping_mul(0x94d0_49bb_1331_11eb) & MASK;
    x ^ (x >> 32)
}

impl fmt::Display for Uid {
    /// The text given, or an assigned uid as a version-4 UUID: `3f0c81a2-5d7e-4b19-a6c4-...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uid::Unset => Ok(()),
            Uid::Given(s) => f.write_str(s),
            Uid::Assigned(n) => {
                let low = mix62(*n); // 62 bits: the variant's 14 and the last group's 48
                let high = mix62(n.rotate_left(17) ^ 0x2545_f491_4f6c_dd1d); // 60 bits shown
                write!(
                    f,
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                    (high >> 32) & 0xffff_ffff,
                    (high >> 16) & 0xffff,
                    high & 0xfff,
                    0x8000 | ((low >> 48) & 0x3fff),
                    low & 0xffff_ffff_ffff
                )
            }
        }
    }
}

/// An entry of `metadata.ownerReferences`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerReference {
    /// `apiVersion` of the owner, e.g. `batch/v1`.
    pub api_version: Arc<str>,
    /// `kind` of the owner, e.g. `Job`.
    pub kind: Arc<str>,
    /// `name` of the owner, in the same namespace.
    pub name: Arc<str>,
    /// `uid` of the owner.
    pub uid: Uid,
    /// `controller`: this owner manages the object (at most one reference has it).
    pub controller: bool,
    /// `blockOwnerDeletion`.
    pub block_owner_deletion: bool,
}

impl fmt::Display for OwnerReference {
    /// `Kind/name`, as `pods.csv` prints the controller.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// Name, namespace, uid, labels, annotations and owners of an object.
///
/// Labels, annotations and owner references sit behind `Arc` because thousands of pods
/// stamped from one template share them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (`default` when absent for namespaced kinds, empty for
    /// cluster-scoped ones).
    pub namespace: String,
    /// `metadata.uid`.
    pub uid: Uid,
    /// `metadata.labels`.
    pub labels: Arc<Labels>,
    /// `metadata.annotations`.
    pub annotations: Arc<BTreeMap<String, String>>,
    /// `metadata.ownerReferences`.
    pub owner_references: Arc<[OwnerReference]>,
}

impl ObjectMeta {
    /// Metadata with just a name and namespace.
    pub fn named(namespace: &str, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.to_string(),
            namespace: namespace.to_string(),
            ..ObjectMeta::default()
        }
    }

    /// The managing owner: the reference with `controller: true`
    /// (`metav1.GetControllerOf`).
    pub fn controller(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|o| o.controller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn assigned_uids_are_distinct_uuid_v4_text() {
        let mut seen = BTreeSet::new();
        for n in (0..20_000).chain([u64::MAX / 8, (1 << 62) - 1]) {
            let s = Uid::Assigned(n).to_string();
            assert_eq!(s.len(), 36, "{s}");
            let groups: Vec<&str> = s.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(groups[2].starts_with('4'), "version 4: {s}");
            assert!("89ab".contains(&groups[3][..1]), "RFC 4122 variant: {s}");
            assert!(seen.insert(s));
        }
        assert_eq!(Uid::Given("abc".into()).to_string(), "abc");
        assert!(!Uid::Unset.is_set());
    }

    #[test]
    fn the_controller_is_the_reference_marked_controller() {
        let owner = |kind: &str, controller| OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: "web".into(),
            uid: Uid::Given("u".into()),
            controller,
            block_owner_deletion: false,
        };
        let mut m = ObjectMeta::named("default", "p");
        assert!(m.controller().is_none());
        m.owner_references = Arc::from([owner("Service", false), owner("ReplicaSet", true)]);
        assert_eq!(m.controller().unwrap().to_string(), "ReplicaSet/web");
    }
}
