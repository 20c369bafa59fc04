//! What a run writes: which Events and which pods get rows (`output.events`, `output.pods`).

/// `output.events`: which Events are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventRows {
    /// Every Event.
    All,
    /// Only `Warning` Events.
    Warnings,
    /// None (the header alone).
    None,
}

impl EventRows {
    /// The value as written in a scenario.
    pub fn as_str(self) -> &'static str {
        match self {
            EventRows::All => "all",
            EventRows::Warnings => "warnings",
            EventRows::None => "none",
        }
    }
}

/// `output.pods`: which pods get a row in `pods.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodRows {
    /// Every pod.
    All,
    /// None (the header alone).
    None,
    /// A sample: the pods whose name hashes below this many parts per million, so the same
    /// pods are chosen whatever the seed, scheduler or run.
    Sample {
        /// Parts per million, 1 to 999,999.
        ppm: u32,
    },
}

impl PodRows {
    /// Whether the pod `namespace/name` gets a row.
    pub fn keeps(self, namespace: &str, name: &str) -> bool {
        match self {
            PodRows::All => true,
            PodRows::None => false,
            PodRows::Sample { ppm } => sample_point(namespace, name) < ppm,
        }
    }

    /// The value as written in a scenario (`all`, `none`, `2.5%`).
    pub fn text(self) -> String {
        match self {
            PodRows::All => "all".into(),
            PodRows::None => "none".into(),
            PodRows::Sample { ppm } => {
                let pct = format!("{:.4}", f64::from(ppm) / 10_000.0);
                format!("{}%", pct.trim_end_matches('0').trim_end_matches('.'))
            }
        }
    }

    /// Reads `all`, `none` or a percentage (`1%`, `0.5%`).
    pub fn parse(text: &str) -> Result<PodRows, String> {
        const EXPECTED: &str = "expected all, none or a percentage such as 10% or 0.5%";
        match text {
            "all" => return Ok(PodRows::All),
            "none" => return Ok(PodRows::None),
            _ => {}
        }
        let pct: f64 = text
            .strip_suffix('%')
            .and_then(|n| n.trim().parse().ok())
            .filter(|p: &f64| p.is_finite())
            .ok_or_else(|| format!("{text:?}: {EXPECTED}"))?;
        if !(pct > 0.0 && pct <= 100.0) {
            return Err(format!(
                "{text:?}: a sample must be above 0% and at most 100%"
            ));
        }
        let ppm = (pct * 10_000.0).round() as u32;
        Ok(match ppm {
            1_000_000.. => PodRows::All,
            0 => PodRows::Sample { ppm: 1 },
            ppm => PodRows::Sample { ppm },
        })
    }
}

/// Where a pod falls in [0, 1,000,000): FNV-1a of `namespace/name` mixed by SplitMix64's
/// finaliser (names that differ in one digit land far apart), so a sample is the same set of
/// pods in every run of a scenario.
fn sample_point(namespace: &str, name: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in namespace.bytes().chain([b'/']).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h % 1_000_000) as u32
}
