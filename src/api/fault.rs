//! Faults: what goes wrong with the machines and containers under the cluster, scripted on
//! the timeline (`{at: 50m, fault: "node-crash general-3"}`) or drawn at random
//! (`spec.faults`, [`FaultGenerator`]). A fault acts on the world, not through the API
//! server: a crashed node's kubelet stops, and the control plane learns of it only as
//! upstream's does, by the heartbeats that stop coming.

use super::distribution::Distribution;
use super::duration::{format_duration_ms, parse_duration_ms};
use super::selector::LabelSelector;
use crate::engine::SimTime;

/// The exit code of a container the kernel killed (128 + SIGKILL).
pub const SIGKILL_EXIT_CODE: i32 = 137;

/// Which pods a pod fault is about.
#[derive(Clone, Debug, PartialEq)]
pub enum PodTarget {
    /// One pod by name.
    Name(String),
    /// Every running pod whose labels match.
    Selector(LabelSelector),
}

/// One fault.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The machine stops: its kubelet posts no more status, its containers are gone.
    NodeCrash {
        /// The node's name.
        node: String,
    },
    /// The machine is back (after a crash, a shutdown or a partition): its kubelet
    /// reports Ready again.
    NodeRecover {
        /// The node's name.
        node: String,
    },
    /// Every node of a zone crashes, and comes back after `for_ms`.
    ZoneOutage {
        /// The `topology.kubernetes.io/zone` label's value.
        zone: String,
        /// How long the zone stays down.
        for_ms: i64,
    },
    /// The node cannot reach the API server for `for_ms`: its heartbeats stop but its
    /// containers keep running, and its kubelet catches up when it rejoins.
    NetworkPartition {
        /// The node's name.
        node: String,
        /// How long the partition lasts.
        for_ms: i64,
    },
    /// The kubelet process restarts: a new `Starting kubelet.`, containers untouched.
    KubeletRestart {
        /// The node's name.
        node: String,
    },
    /// The machine powers off through the kubelet's graceful node shutdown: pods get the
    /// shutdown grace period, then the machine stops (`node-recover` brings it back).
    NodeShutdown {
        /// The node's name.
        node: String,
    },
    /// A spot or preemptible instance is reclaimed: a notice, then a graceful shutdown
    /// `notice_ms` later.
    SpotInterruption {
        /// The node's name.
        node: String,
        /// Time from the notice to the shutdown.
        notice_ms: i64,
    },
    /// The containers of pods exit with `exit_code`, as after a crash of the application.
    PodCrash {
        /// Namespace of the pods (`-n`; `default` otherwise).
        namespace: String,
        /// Which pods.
        target: PodTarget,
        /// The containers' exit code (`--exit-code`, 1 by default).
        exit_code: i32,
    },
}

/// The fault types, as written.
pub const FAULT_TYPES: &str = "node-crash, node-recover, zone-outage, network-partition, \
     kubelet-restart, node-shutdown, spot-interruption or pod-crash";

/// Two minutes: the notice AWS gives before reclaiming a spot instance.
pub const SPOT_NOTICE_MS: i64 = 120_000;

impl Fault {
    /// Reads `TYPE TARGET [for DURATION]` (`node-crash general-3`, `zone-outage zone-a for
    /// 30m`, `pod-crash -n shop web-7d9f-abcde --exit-code=137`, `pod-crash -l app=web`).
    pub fn parse(text: &str) -> Result<Fault, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let Some((&kind, args)) = words.split_first() else {
            return Err(format!(
                "expected a fault such as \"node-crash NODE\"; {FAULT_TYPES}"
            ));
        };
        let node = |what: &str| match args {
            [node] => Ok(node.to_string()),
            _ => Err(format!("expected \"{what} NODE\", got {text:?}")),
        };
        let lasting = |what: &str, target: &str| match args {
            [name, "for", d] => match parse_duration_ms(d) {
                Ok(ms) if ms > 0 => Ok((name.to_string(), ms)),
                Ok(_) => Err(format!("{what}: the duration must be positive, got {d:?}")),
                Err(e) => Err(format!("{what}: {e}")),
            },
            _ => Err(format!(
                "expected \"{what} {target} for DURATION\", got {text:?}"
            )),
        };
        match kind {
            "node-crash" => node(kind).map(|node| Fault::NodeCrash { node }),
            "node-recover" => node(kind).map(|node| Fault::NodeRecover { node }),
            "kubelet-restart" => node(kind).map(|node| Fault::KubeletRestart { node }),
            "node-shutdown" => node(kind).map(|node| Fault::NodeShutdown { node }),
            "zone-outage" => {
                lasting(kind, "ZONE").map(|(zone, for_ms)| Fault::ZoneOutage { zone, for_ms })
            }
            "network-partition" => {
                lasting(kind, "NODE").map(|(node, for_ms)| Fault::NetworkPartition { node, for_ms })
            }
            "spot-interruption" => spot(args, text),
            "pod-crash" => pod_crash(args, text),
            other => Err(format!("unknown fault {other:?}: expected {FAULT_TYPES}")),
        }
    }

    /// The node the fault is about, if it names one.
    pub fn node(&self) -> Option<&str> {
        match self {
            Fault::NodeCrash { node }
            | Fault::NodeRecover { node }
            | Fault::NetworkPartition { node, .. }
            | Fault::KubeletRestart { node }
            | Fault::NodeShutdown { node }
            | Fault::SpotInterruption { node, .. } => Some(node),
            Fault::ZoneOutage { .. } | Fault::PodCrash { .. } => None,
        }
    }
}

/// `spot-interruption NODE [--notice=DURATION]`.
fn spot(args: &[&str], text: &str) -> Result<Fault, String> {
    let usage = || format!("expected \"spot-interruption NODE [--notice=DURATION]\", got {text:?}");
    let mut node = None;
    let mut notice_ms = SPOT_NOTICE_MS;
    let mut it = args.iter();
    while let Some(&w) = it.next() {
        if let Some(v) = flag_value(w, "--notice", &mut it) {
            notice_ms = match parse_duration_ms(v.ok_or_else(usage)?) {
                Ok(ms) if ms >= 0 => ms,
                Ok(_) => return Err("spot-interruption: --notice must not be negative".into()),
                Err(e) => return Err(format!("spot-interruption: --notice: {e}")),
            };
        } else if node.is_none() && !w.starts_with('-') {
            node = Some(w.to_string());
        } else {
            return Err(usage());
        }
    }
    let node = node.ok_or_else(usage)?;
    Ok(Fault::SpotInterruption { node, notice_ms })
}

/// `pod-crash [-n NS] (NAME | -l SELECTOR) [--exit-code=N]`.
fn pod_crash(args: &[&str], text: &str) -> Result<Fault, String> {
    let usage = || {
        format!(
            "expected \"pod-crash [-n NAMESPACE] (POD | -l SELECTOR) [--exit-code=N]\", got {text:?}"
        )
    };
    let mut namespace = "default".to_string();
    let mut target = None;
    let mut exit_code = 1;
    let mut it = args.iter();
    while let Some(&w) = it.next() {
        if let Some(v) =
            flag_value(w, "-n", &mut it).or_else(|| flag_value(w, "--namespace", &mut it))
        {
            namespace = v.ok_or_else(usage)?.to_string();
        } else if let Some(v) =
            flag_value(w, "-l", &mut it).or_else(|| flag_value(w, "--selector", &mut it))
        {
            let s = v.ok_or_else(usage)?;
            let sel = LabelSelector::parse(s).map_err(|e| format!("pod-crash: -l {s:?}: {e}"))?;
            if target.replace(PodTarget::Selector(sel)).is_some() {
                return Err(usage());
            }
        } else if let Some(v) = flag_value(w, "--exit-code", &mut it) {
            let v = v.ok_or_else(usage)?;
            exit_code = match v.parse::<i32>() {
                Ok(c) if (1..=255).contains(&c) => c,
                _ => {
                    return Err(format!(
                        "pod-crash: --exit-code must be a number from 1 to 255, got {v:?}"
                    ));
                }
            };
        } else if !w.starts_with('-') && target.is_none() {
            target = Some(PodTarget::Name(w.to_string()));
        } else {
            return Err(usage());
        }
    }
    let target = target.ok_or_else(usage)?;
    Ok(Fault::PodCrash {
        namespace,
        target,
        exit_code,
    })
}

/// The value of flag `name` if `word` is it (`--name=V`, `--name V`, `-nV` for a short
/// one), `Some(None)` when its value is missing; `None` when `word` is another word.
fn flag_value<'a>(
    word: &'a str,
    name: &str,
    rest: &mut std::slice::Iter<'_, &'a str>,
) -> Option<Option<&'a str>> {
    if word == name {
        return Some(rest.next().copied());
    }
    let tail = word.strip_prefix(name)?;
    if let Some(v) = tail.strip_prefix('=') {
        Some(Some(v))
    } else if name.len() == 2 && !tail.is_empty() {
        Some(Some(tail))
    } else {
        None
    }
}

/// A fault at a time of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedFault {
    /// When.
    pub at: SimTime,
    /// As written.
    pub text: String,
    /// What happens.
    pub fault: Fault,
}

impl TimedFault {
    /// The fault `fault` at `at`, its text written out as on the timeline.
    pub fn generated(at: SimTime, fault: Fault) -> TimedFault {
        let text = match &fault {
            Fault::NodeCrash { node } => format!("node-crash {node}"),
            Fault::NodeRecover { node } => format!("node-recover {node}"),
            Fault::KubeletRestart { node } => format!("kubelet-restart {node}"),
            Fault::NodeShutdown { node } => format!("node-shutdown {node}"),
            Fault::ZoneOutage { zone, for_ms } => {
                format!("zone-outage {zone} for {}", format_duration_ms(*for_ms))
            }
            Fault::NetworkPartition { node, for_ms } => {
                format!(
                    "network-partition {node} for {}",
                    format_duration_ms(*for_ms)
                )
            }
            Fault::SpotInterruption { node, notice_ms } => format!(
                "spot-interruption {node} --notice={}",
                format_duration_ms(*notice_ms)
            ),
            Fault::PodCrash {
                namespace,
                target,
                exit_code,
            } => match target {
                PodTarget::Name(name) => {
                    format!("pod-crash -n {namespace} {name} --exit-code={exit_code}")
                }
                PodTarget::Selector(s) => {
                    format!("pod-crash -n {namespace} -l {s} --exit-code={exit_code}")
                }
            },
        };
        TimedFault { at, text, fault }
    }
}

/// What a `spec.faults` entry breaks, again and again.
#[derive(Clone, Debug, PartialEq)]
pub enum GeneratedKind {
    /// Nodes crash and are repaired.
    NodeCrash,
    /// Nodes shut down gracefully and come back.
    NodeShutdown,
    /// Nodes lose the API server and rejoin.
    NetworkPartition,
    /// Kubelets restart.
    KubeletRestart,
    /// Spot nodes are reclaimed (and replaced, after the repair time).
    SpotInterruption,
    /// Pods' containers crash.
    PodCrash {
        /// The exit code.
        exit_code: i32,
    },
}

/// A `spec.faults` entry: each selected node (or pod) fails after a time drawn from
/// `time_to_failure`, is repaired after one drawn from `time_to_repair`, and so on, each
/// generator drawing from its own random stream (`faults/<name>`).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultGenerator {
    /// Names the generator's component and random stream.
    pub name: String,
    /// What fails.
    pub kind: GeneratedKind,
    /// The nodes (node kinds) or pods (`pod-crash`) it acts on.
    pub selector: LabelSelector,
    /// The pods' namespace (`pod-crash`; every namespace when `None`).
    pub namespace: Option<String>,
    /// Time from start (or repair) to the next failure.
    pub time_to_failure: Distribution,
    /// Time from failure to repair (node kinds; pods restart by their own policy).
    pub time_to_repair: Distribution,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_read_with_their_target() {
        assert_eq!(
            Fault::parse("node-crash  general-3").unwrap(),
            Fault::NodeCrash {
                node: "general-3".into()
            }
        );
        assert_eq!(Fault::parse("node-recover n").unwrap().node(), Some("n"));
        assert_eq!(
            Fault::parse("zone-outage zone-a for 30m").unwrap(),
            Fault::ZoneOutage {
                zone: "zone-a".into(),
                for_ms: 1_800_000
            }
        );
        assert_eq!(
            Fault::parse("spot-interruption n-1 --notice=30s").unwrap(),
            Fault::SpotInterruption {
                node: "n-1".into(),
                notice_ms: 30_000
            }
        );
        assert_eq!(
            Fault::parse("pod-crash -n shop web-1 --exit-code 137").unwrap(),
            Fault::PodCrash {
                namespace: "shop".into(),
                target: PodTarget::Name("web-1".into()),
                exit_code: 137
            }
        );
        let Fault::PodCrash { target, .. } = Fault::parse("pod-crash -lapp=web").unwrap() else {
            panic!()
        };
        assert!(matches!(target, PodTarget::Selector(_)));
    }

    #[test]
    fn malformed_faults_say_what_was_expected() {
        for (bad, says) in [
            ("", "expected a fault"),
            ("node-crash", "expected \"node-crash NODE\""),
            ("node-crash a b", "expected \"node-crash NODE\""),
            ("meteor a", "unknown fault \"meteor\""),
            ("zone-outage a", "zone-outage ZONE for DURATION"),
            ("zone-outage a for 0s", "must be positive"),
            ("zone-outage a for soon", "zone-outage: "),
            ("pod-crash", "pod-crash [-n NAMESPACE]"),
            ("pod-crash a --exit-code=0", "from 1 to 255"),
            ("pod-crash a b", "pod-crash [-n NAMESPACE]"),
            ("spot-interruption n --notice=-1s", "must not be negative"),
        ] {
            let err = Fault::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn generated_faults_read_back_as_written() {
        for text in [
            "node-crash n-1",
            "zone-outage zone-b for 1h0m0s",
            "network-partition n-2 for 5m0s",
            "spot-interruption n-3 --notice=2m0s",
            "pod-crash -n default web-1 --exit-code=1",
        ] {
            let fault = Fault::parse(text).unwrap();
            assert_eq!(TimedFault::generated(SimTime::ZERO, fault).text, text);
        }
    }
}
