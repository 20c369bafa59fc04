//! Compact resource vectors: the numbers the scheduler's hot loops compare.
//!
//! CPU is in millicores, memory and ephemeral storage in bytes, extended resources
//! (`nvidia.com/gpu`, ...) in whole units. Extended resources are few and rare, so they sit in
//! a small sorted vector rather than a map.

use std::fmt;
use std::sync::Arc;

/// The name of a resource other than cpu, memory, ephemeral-storage and pods.
pub type ResourceName = Arc<str>;

/// Well-known resource names.
pub mod names {
    /// CPU, in millicores.
    pub const CPU: &str = "cpu";
    /// Memory, in bytes.
    pub const MEMORY: &str = "memory";
    /// Local ephemeral storage, in bytes.
    pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
    /// The number of pods a node takes.
    pub const PODS: &str = "pods";
}

/// Whether `name` is an extended resource (`IsExtendedResourceName` in
/// `staging/src/k8s.io/component-helpers/scheduling/corev1/helpers.go`): a name with a domain
/// outside `kubernetes.io` (`nvidia.com/gpu`), not a native one (`cpu`, `hugepages-2Mi`,
/// `example.kubernetes.io/x`) nor a quota's `requests.` name, and valid as a quota name.
pub fn is_extended(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    !native
        && !name.starts_with("requests.")
        && super::names::qualified_name(&format!("requests.{name}")).is_empty()
}

/// An amount of each resource. `repr(C)` keeps cpu and memory, read in the scheduler's hot
/// loops, at the front.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct Resources {
    /// Millicores.
    pub cpu_m: i64,
    /// Bytes.
    pub memory: i64,
    /// Bytes.
    pub ephemeral_storage: i64,
    /// Pod count (only meaningful for node allocatable).
    pub pods: i64,
    /// Extended and other scalar resources, sorted by name, no zero entries.
    pub scalars: Vec<(ResourceName, i64)>,
}

impl Resources {
    /// The amount of the resource called `name`.
    pub fn get(&self, name: &str) -> i64 {
        match name {
            names::CPU => self.cpu_m,
            names::MEMORY => self.memory,
            names::EPHEMERAL_STORAGE => self.ephemeral_storage,
            names::PODS => self.pods,
            _ => self.scalar(name),
        }
    }

    /// The amount of a scalar resource (0 if absent).
    pub fn scalar(&self, name: &str) -> i64 {
        match self.scalars.binary_search_by(|(n, _)| (**n).cmp(name)) {
            Ok(i) => self.scalars[i].1,
            Err(_) => 0,
        }
    }

    /// Sets the amount of the resource called `name`.
    pub fn set(&mut self, name: &str, value: i64) {
        match name {
            names::CPU => self.cpu_m = value,
            names::MEMORY => self.memory = value,
            names::EPHEMERAL_STORAGE => self.ephemeral_storage = value,
            names::PODS => self.pods = value,
            _ => match self.scalars.binary_search_by(|(n, _)| (**n).cmp(name)) {
                Ok(i) if value == 0 => {
                    self.scalars.remove(i);
                }
                Ok(i) => self.scalars[i].1 = value,
                Err(_) if value == 0 => {}
                Err(i) => self.scalars.insert(i, (Arc::from(name), value)),
            },
        }
    }

    /// Adds `other` to `self`, resource by resource (saturating).
    pub fn add(&mut self, other: &Resources) {
        self.combine(other, i64::saturating_add);
    }

    /// Subtracts `other` from `self`, resource by resource (saturating).
    pub fn sub(&mut self, other: &Resources) {
        self.combine(other, i64::saturating_sub);
    }

    /// The per-resource maximum of `self` and `other`.
    pub fn max_with(&mut self, other: &Resources) {
        self.combine(other, i64::max);
    }

    fn combine(&mut self, other: &Resources, op: fn(i64, i64) -> i64) {
        self.cpu_m = op(self.cpu_m, other.cpu_m);
        self.memory = op(self.memory, other.memory);
        self.ephemeral_storage = op(self.ephemeral_storage, other.ephemeral_storage);
        self.pods = op(self.pods, other.pods);
        for (name, v) in &other.scalars {
            let cur = self.scalar(name);
            self.set(name, op(cur, *v));
        }
    }

    /// True when every amount is zero.
    pub fn is_zero(&self) -> bool {
        self.cpu_m == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.pods == 0
            && self.scalars.is_empty()
    }
}

impl fmt::Display for Resources {
    /// `cpu=500m,memory=1073741824` (zero amounts omitted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut item = |f: &mut fmt::Formatter<'_>, k: &str, v: String| {
            let r = write!(f, "{sep}{k}={v}");
            sep = ",";
            r
        };
        if self.cpu_m != 0 {
            item(f, "cpu", format!("{}m", self.cpu_m))?;
        }
        if self.memory != 0 {
            item(f, "memory", self.memory.to_string())?;
        }
        if self.ephemeral_storage != 0 {
            item(f, "ephemeral-storage", self.ephemeral_storage.to_string())?;
        }
        if self.pods != 0 {
            item(f, "pods", self.pods.to_string())?;
        }
        for (n, v) in &self.scalars {
            item(f, n, v.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_resources_are_those_outside_kubernetes_io() {
        for ext in ["nvidia.com/gpu", "example.com/foo", "a.b/c-d"] {
            assert!(is_extended(ext), "{ext}");
        }
        for native in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "pods",
            "hugepages-2Mi",
            "kubernetes.io/batch-cpu",
            "example.kubernetes.io/x",
            "requests.example.com/x",
            "example.com/a/b",
        ] {
            assert!(!is_extended(native), "{native}");
        }
    }

    #[test]
    fn scalars_stay_sorted_and_drop_zeros() {
        let mut r = Resources::default();
        r.set("nvidia.com/gpu", 2);
        r.set("example.com/foo", 1);
        assert_eq!(r.scalars[0].0.as_ref(), "example.com/foo");
        r.set("example.com/foo", 0);
        assert_eq!(r.scalars.len(), 1);
        assert_eq!(r.get("nvidia.com/gpu"), 2);
        assert_eq!(r.get("missing"), 0);
    }

    #[test]
    fn add_sub_and_max() {
        let mut a = Resources {
            cpu_m: 100,
            memory: 10,
            ..Default::default()
        };
        a.set("nvidia.com/gpu", 1);
        let mut b = Resources {
            cpu_m: 50,
            memory: 20,
            ..Default::default()
        };
        b.set("nvidia.com/gpu", 3);
        let mut s = a.clone();
        s.add(&b);
        assert_eq!(
            (s.cpu_m, s.memory, s.scalar("nvidia.com/gpu")),
            (150, 30, 4)
        );
        s.sub(&b);
        assert_eq!(s, a);
        a.max_with(&b);
        assert_eq!(
            (a.cpu_m, a.memory, a.scalar("nvidia.com/gpu")),
            (100, 20, 3)
        );
    }
}
