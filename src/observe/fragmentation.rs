//! Resource fragmentation: free CPU stranded on nodes where a typical pod no longer fits.
//!
//! Definition. At each metric sample, every node's free CPU and memory are its allocatable
//! minus the summed requests of the pods bound to it (negative values count as 0). Given a
//! *reference pod* (a cpu and a memory request), a node is *fragmented* when the reference pod
//! does not fit its free resources (free cpu < reference cpu, or free memory < reference
//! memory). The sample's stranded share is
//!
//! ```text
//! Σ free cpu of fragmented nodes / Σ free cpu of all nodes
//! ```
//!
//! and the run's fragmentation is the mean of that share over the samples (taken every
//! `metricsInterval`, so it is a time average). Samples with no free CPU at all have no share
//! and are left out; a run without any free CPU has fragmentation 0. Only cpu and memory are
//! considered: taints, selectors and the pod-count limit are not.
//!
//! The reference pod is, unless given, the median (nearest rank, as the percentiles) cpu
//! request and the median memory request over every pod of the run, taken separately.

use crate::store::Store;

/// Requests of the pod used to judge whether free resources are usable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferencePod {
    /// CPU request, millicores.
    pub cpu_m: i64,
    /// Memory request, bytes.
    pub memory: i64,
}

impl ReferencePod {
    /// The median cpu and median memory request (nearest rank, each taken separately) over
    /// every pod in `store`; zero when there are no pods.
    pub fn median_of(store: &Store) -> ReferencePod {
        let mut cpu: Vec<i64> = Vec::with_capacity(store.pods().len());
        let mut memory: Vec<i64> = Vec::with_capacity(store.pods().len());
        for p in store.pods() {
            let (c, m, _) = p.request_record();
            cpu.push(c);
            memory.push(m);
        }
        ReferencePod {
            cpu_m: median(&mut cpu),
            memory: median(&mut memory),
        }
    }

    /// Whether this pod fits in `free` (cpu millicores, memory bytes).
    pub fn fits(&self, free: (i64, i64)) -> bool {
        free.0 >= self.cpu_m && free.1 >= self.memory
    }
}

/// Nearest-rank median (the smaller middle value of an even count); 0 for no values.
fn median(v: &mut [i64]) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

/// Free (cpu millicores, memory bytes) of every node at each sample, kept only when asked
/// for (see [`crate::observe::Sampler::keep_node_free`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FreeHistory {
    free: Vec<(i64, i64)>,
    /// End offset in `free` of each sample.
    ends: Vec<usize>,
    /// How many sampling times each sample stands for (more than one once the run is quiet).
    weights: Vec<u64>,
}

impl FreeHistory {
    /// Appends one sample.
    pub fn push_sample(&mut self, nodes: impl IntoIterator<Item = (i64, i64)>) {
        self.free.extend(nodes);
        self.ends.push(self.free.len());
        self.weights.push(1);
    }

    /// Counts the last sample `k` more times (the run is quiet: later samples would repeat it).
    pub fn repeat_last(&mut self, k: u64) {
        if let Some(w) = self.weights.last_mut() {
            *w += k;
        }
    }

    /// The samples in time order, each a slice with one entry per node.
    pub fn samples(&self) -> impl Iterator<Item = &[(i64, i64)]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.free[start..end];
            start = end;
            s
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no sample was taken.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The run's fragmentation for `reference`: the mean stranded share over the sampling
    /// times that have free CPU (0 when none has).
    pub fn fragmentation(&self, reference: ReferencePod) -> f64 {
        let (mut sum, mut n) = (0.0, 0u64);
        for (s, &w) in self.samples().zip(&self.weights) {
            if let Some(share) = stranded_cpu_share(s, reference) {
                sum += share * w as f64;
                n += w;
            }
        }
        if n == 0 { 0.0 } else { sum / n as f64 }
    }
}

/// Share of the free CPU that sits on nodes where `reference` does not fit, for one sample
/// of per-node free (cpu millicores, memory bytes); `None` when no node has free CPU.
pub fn stranded_cpu_share(free: &[(i64, i64)], reference: ReferencePod) -> Option<f64> {
    let (mut total, mut stranded) = (0i128, 0i128);
    for &(cpu, memory) in free {
        let (cpu, memory) = (cpu.max(0), memory.max(0));
        total += i128::from(cpu);
        if !reference.fits((cpu, memory)) {
            stranded += i128::from(cpu);
        }
    }
    (total > 0).then(|| stranded as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GI: i64 = 1 << 30;
    const REF: ReferencePod = ReferencePod {
        cpu_m: 1000,
        memory: 2 * GI,
    };

    #[test]
    fn stranded_share_counts_free_cpu_where_the_reference_does_not_fit() {
        // 500m free: too little cpu. 3000m free but 1Gi: too little memory. 2000m/4Gi fits.
        let free = [(500, 8 * GI), (3000, GI), (2000, 4 * GI)];
        let share = stranded_cpu_share(&free, REF).unwrap();
        assert!((share - 3500.0 / 5500.0).abs() < 1e-12, "{share}");
        assert_eq!(
            stranded_cpu_share(&[(1000, 2 * GI)], REF),
            Some(0.0),
            "exact fit"
        );
        assert_eq!(stranded_cpu_share(&[(999, 2 * GI)], REF), Some(1.0));
        assert_eq!(
            stranded_cpu_share(&[(0, GI), (-200, 0)], REF),
            None,
            "no free cpu"
        );
        assert_eq!(stranded_cpu_share(&[], REF), None);
    }

    #[test]
    fn packed_free_space_is_not_fragmented_spread_free_space_is() {
        // The same 4 free cores: on one node (packed) or a core on each of four (spread).
        let packed = [(4000, 16 * GI), (0, 0), (0, 0), (0, 0)];
        let spread = [(1000, 4 * GI); 4];
        let big = ReferencePod {
            cpu_m: 2000,
            memory: GI,
        };
        assert_eq!(stranded_cpu_share(&packed, big), Some(0.0));
        assert_eq!(stranded_cpu_share(&spread, big), Some(1.0));
    }

    #[test]
    fn time_average_skips_samples_without_free_cpu() {
        let mut h = FreeHistory::default();
        assert_eq!(h.fragmentation(REF), 0.0);
        h.push_sample([(500, 8 * GI), (1500, 8 * GI)]); // 0.25
        h.push_sample([(0, 0), (0, 0)]); // full: no share
        h.push_sample([(2000, 8 * GI), (2000, 8 * GI)]); // 0
        h.push_sample([(200, 8 * GI), (0, 0)]); // 1
        assert_eq!(h.len(), 4);
        let lens: Vec<usize> = h.samples().map(|s| s.len()).collect();
        assert_eq!(lens, [2, 2, 2, 2]);
        let f = h.fragmentation(REF);
        assert!((f - (0.25 + 0.0 + 1.0) / 3.0).abs() < 1e-12, "{f}");
    }

    #[test]
    fn median_is_nearest_rank() {
        assert_eq!(median(&mut []), 0);
        assert_eq!(median(&mut [5]), 5);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2);
        assert_eq!(median(&mut [3, 1, 2]), 2);
    }
}
