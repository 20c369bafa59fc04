//! One generic arena for every kind: objects in creation order under stable typed ids, looked
//! up by namespace and name or by uid, and kept as tombstones after deletion.
//!
//! An id is an index into the arena, never reused: a deleted object stays where it was, with
//! its final state (the tombstone a deletion watcher reads), while its name and uid are freed
//! for a new object.

use crate::api::meta::Uid;
use rustc_hash::FxHashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// A typed index into an [`Arena`]: `NodeId`, `PodId`, ... (a `u32` newtype each, so an id of
/// one kind cannot be handed where another is expected).
pub trait ArenaId: Copy + Eq + Ord + Hash + Debug {
    /// The id of the `index`-th object created.
    fn from_index(index: usize) -> Self;
    /// Its index.
    fn index(self) -> usize;
}

/// Declares one typed id per kind.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl ArenaId for $name {
            fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).expect("fewer than 2^32 objects of a kind"))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

ids! {
    /// A Node.
    NodeId;
    /// A Pod. Pods stay in the arena after deletion: the outputs report every pod ever created.
    PodId;
    /// A Job.
    JobId;
    /// A PersistentVolume.
    PvId;
    /// A PersistentVolumeClaim.
    PvcId;
    /// A Service.
    ServiceId;
    /// A PodDisruptionBudget.
    PdbId;
    /// A StorageClass.
    StorageClassId;
    /// A PriorityClass.
    PriorityClassId;
    /// A Namespace.
    NamespaceId;
    /// A ReplicaSet or ReplicationController.
    ReplicaSetId;
    /// A Deployment.
    DeploymentId;
    /// A DaemonSet.
    DaemonSetId;
    /// A StatefulSet.
    StatefulSetId;
    /// A HorizontalPodAutoscaler.
    HpaId;
}

/// What the arena needs of an object of a kind.
pub trait Object {
    /// The kind's id type.
    type Id: ArenaId;
    /// Whether the arena keeps a uid index for the kind (owners are looked up by uid; pods
    /// own nothing, so theirs is not kept).
    const INDEX_UID: bool = true;
    /// Namespace (empty for cluster-scoped kinds).
    fn namespace(&self) -> &str;
    /// Name.
    fn name(&self) -> &str;
    /// Uid (`Unset` for kinds that carry none).
    fn uid(&self) -> &Uid {
        &Uid::Unset
    }
    /// Sets the uid the store assigned; kinds that carry none ignore it.
    fn set_uid(&mut self, _uid: Uid) {}
}

/// Implements [`Object`] for a kind whose metadata is a
/// [`crate::api::meta::ObjectMeta`] in field `meta`.
macro_rules! object_with_meta {
    ($ty:ty, $id:ty $(, $index_uid:expr)?) => {
        impl $crate::store::arena::Object for $ty {
            type Id = $id;
            $(const INDEX_UID: bool = $index_uid;)?
            fn namespace(&self) -> &str {
                &self.meta.namespace
            }
            fn name(&self) -> &str {
                &self.meta.name
            }
            fn uid(&self) -> &$crate::api::meta::Uid {
                &self.meta.uid
            }
            fn set_uid(&mut self, uid: $crate::api::meta::Uid) {
                self.meta.uid = uid;
            }
        }
    };
}
pub(crate) use object_with_meta;

impl<T: Object + Clone> Object for Arc<T> {
    type Id = T::Id;
    const INDEX_UID: bool = T::INDEX_UID;
    fn namespace(&self) -> &str {
        (**self).namespace()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn uid(&self) -> &Uid {
        (**self).uid()
    }
    fn set_uid(&mut self, uid: Uid) {
        Arc::make_mut(self).set_uid(uid)
    }
}

/// Objects of one kind in creation order, with their indices.
///
/// The indices are hash maps that are only looked up, never iterated, so their order cannot
/// reach behaviour.
#[derive(Clone, Debug)]
pub struct Arena<T: Object> {
    objects: Vec<T>,
    /// Tombstones: `deleted[i]` once object `i` was deleted.
    deleted: Vec<bool>,
    /// Live objects by namespace, then name (looked up by `&str`, without allocating).
    by_name: FxHashMap<String, FxHashMap<String, T::Id>>,
    /// Live objects by uid (when the kind keeps the index).
    by_uid: FxHashMap<Uid, T::Id>,
    live: usize,
}

impl<T: Object> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            objects: Vec::new(),
            deleted: Vec::new(),
            by_name: FxHashMap::default(),
            by_uid: FxHashMap::default(),
            live: 0,
        }
    }
}

impl<T: Object> Arena<T> {
    /// Adds an object under the next id. Its name and uid must be free (the loader checks
    /// manifests; controllers pick free names).
    pub fn insert(&mut self, object: T) -> T::Id {
        let id = T::Id::from_index(self.objects.len());
        debug_assert!(
            self.find(object.namespace(), object.name()).is_none(),
            "{}/{} exists",
            object.namespace(),
            object.name()
        );
        debug_assert!(
            !T::INDEX_UID || !object.uid().is_set() || !self.by_uid.contains_key(object.uid()),
            "uid {} taken",
            object.uid()
        );
        self.by_name
            .entry(object.namespace().to_string())
            .or_default()
            .insert(object.name().to_string(), id);
        if T::INDEX_UID && object.uid().is_set() {
            self.by_uid.insert(object.uid().clone(), id);
        }
        self.objects.push(object);
        self.deleted.push(false);
        self.live += 1;
        id
    }

    /// Marks an object deleted: its name and uid are freed, its final state stays readable.
    /// Returns `false` (and changes nothing) when it was deleted already.
    pub fn remove(&mut self, id: T::Id) -> bool {
        let i = id.index();
        if self.deleted[i] {
            return false;
        }
        self.deleted[i] = true;
        self.live -= 1;
        let o = &self.objects[i];
        if let Some(names) = self.by_name.get_mut(o.namespace())
            && names.get(o.name()) == Some(&id)
        {
            names.remove(o.name());
        }
        if T::INDEX_UID && self.by_uid.get(o.uid()) == Some(&id) {
            self.by_uid.remove(o.uid());
        }
        true
    }

    /// The object with this id (live or a tombstone).
    pub fn get(&self, id: T::Id) -> &T {
        &self.objects[id.index()]
    }

    /// Mutable access, for the store's own methods (which record the change).
    pub(super) fn get_mut(&mut self, id: T::Id) -> &mut T {
        &mut self.objects[id.index()]
    }

    /// Whether the object has not been deleted.
    pub fn is_live(&self, id: T::Id) -> bool {
        !self.deleted[id.index()]
    }

    /// The live object with this namespace and name.
    pub fn find(&self, namespace: &str, name: &str) -> Option<T::Id> {
        self.by_name.get(namespace)?.get(name).copied()
    }

    /// The live object with this uid.
    pub fn find_uid(&self, uid: &Uid) -> Option<T::Id> {
        debug_assert!(T::INDEX_UID, "the kind keeps no uid index");
        self.by_uid.get(uid).copied()
    }

    /// Every object ever added, tombstones included, in creation (id) order.
    pub fn all(&self) -> &[T] {
        &self.objects
    }

    /// The live objects with their ids, in creation order.
    pub fn live(&self) -> impl Iterator<Item = (T::Id, &T)> {
        self.objects
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, d))| !**d)
            .map(|(i, (o, _))| (T::Id::from_index(i), o))
    }

    /// Number of live objects.
    pub fn live_count(&self) -> usize {
        self.live
    }

    /// Number of objects ever added.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether no object was ever added.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Whether the indices agree with the objects (for the invariant checker): every live
    /// object is found by its name (and uid), and every index entry names a live object of
    /// that name (and uid).
    pub fn indices_agree(&self) -> Result<(), String> {
        let mut named = 0;
        for (ns, names) in &self.by_name {
            for (name, &id) in names {
                named += 1;
                let o = self
                    .objects
                    .get(id.index())
                    .ok_or("name index past the end")?;
                if !self.is_live(id) || o.namespace() != ns || o.name() != name {
                    return Err(format!("name index {ns}/{name} -> {id:?} is stale"));
                }
            }
        }
        if named != self.live {
            return Err(format!("{} live objects, {named} names indexed", self.live));
        }
        if !T::INDEX_UID {
            return Ok(());
        }
        let mut with_uid = 0;
        for (id, o) in self.live() {
            if !o.uid().is_set() {
                continue;
            }
            with_uid += 1;
            if self.by_uid.get(o.uid()) != Some(&id) {
                return Err(format!("{} missing from the uid index", key(o)));
            }
        }
        for (uid, &id) in &self.by_uid {
            let o = self
                .objects
                .get(id.index())
                .ok_or("uid index past the end")?;
            if !self.is_live(id) || o.uid() != uid {
                return Err(format!("uid index {uid} -> {id:?} is stale"));
            }
        }
        if with_uid != self.by_uid.len() {
            return Err(format!(
                "{with_uid} live objects have a uid, {} uids indexed",
                self.by_uid.len()
            ));
        }
        Ok(())
    }
}

/// `namespace/name`, or `name` for a cluster-scoped object.
fn key<T: Object>(o: &T) -> String {
    match o.namespace() {
        "" => o.name().to_string(),
        ns => format!("{ns}/{}", o.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::ObjectMeta;

    #[derive(Clone, Debug)]
    struct Thing {
        meta: ObjectMeta,
    }
    object_with_meta!(Thing, JobId);

    fn thing(ns: &str, name: &str, uid: Uid) -> Thing {
        Thing {
            meta: ObjectMeta {
                uid,
                ..ObjectMeta::named(ns, name)
            },
        }
    }

    #[test]
    fn ids_are_stable_and_tombstones_free_the_name_and_uid() {
        let mut a: Arena<Thing> = Arena::default();
        let x = a.insert(thing("ns", "x", Uid::Assigned(1)));
        let y = a.insert(thing("ns", "y", Uid::Assigned(2)));
        assert_eq!((x, y), (JobId(0), JobId(1)));
        assert_eq!(a.find("ns", "x"), Some(x));
        assert_eq!(a.find("other", "x"), None);
        assert_eq!(a.find_uid(&Uid::Assigned(2)), Some(y));
        assert!(a.remove(x));
        assert!(!a.remove(x), "a second deletion changes nothing");
        assert!(!a.is_live(x));
        assert_eq!(
            a.get(x).meta.name,
            "x",
            "the tombstone keeps the final state"
        );
        assert_eq!(a.find("ns", "x"), None);
        assert_eq!(a.find_uid(&Uid::Assigned(1)), None);
        let x2 = a.insert(thing("ns", "x", Uid::Assigned(3)));
        assert_eq!(x2, JobId(2), "ids are never reused");
        assert_eq!(a.find("ns", "x"), Some(x2));
        assert_eq!((a.len(), a.live_count()), (3, 2));
        let live: Vec<JobId> = a.live().map(|(id, _)| id).collect();
        assert_eq!(live, [y, x2]);
        assert_eq!(a.indices_agree(), Ok(()));
    }

    #[test]
    fn a_stale_index_is_reported() {
        let mut a: Arena<Thing> = Arena::default();
        let x = a.insert(thing("ns", "x", Uid::Assigned(1)));
        a.get_mut(x).meta.name = "renamed".into();
        assert!(a.indices_agree().unwrap_err().contains("name index ns/x"));
        let mut a: Arena<Thing> = Arena::default();
        let x = a.insert(thing("ns", "x", Uid::Assigned(1)));
        a.get_mut(x).meta.uid = Uid::Assigned(2);
        assert_eq!(
            a.indices_agree().unwrap_err(),
            "ns/x missing from the uid index"
        );
        a.get_mut(x).meta.uid = Uid::Assigned(1);
        a.by_uid.insert(Uid::Assigned(9), x);
        let e = a.indices_agree().unwrap_err();
        assert!(
            e.starts_with("uid index ") && e.ends_with("is stale"),
            "{e}"
        );
        a.by_uid.remove(&Uid::Assigned(9));
        assert_eq!(a.indices_agree(), Ok(()));
    }
}
