//! Faults: what goes wrong with the machines under the cluster, scripted on the timeline
//! (`{at: 50m, fault: "node-crash general-3"}`). A fault acts on the world, not through the
//! API server: a crashed node's kubelet stops, and the control plane learns of it only as
//! upstream's does, by the heartbeats that stop coming.

use crate::engine::SimTime;

/// One fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The machine stops: its kubelet posts no more status, its containers are gone.
    NodeCrash {
        /// The node's name.
        node: String,
    },
    /// The machine is back: its kubelet registers again and reports Ready.
    NodeRecover {
        /// The node's name.
        node: String,
    },
}

impl Fault {
    /// Reads `TYPE TARGET` (`node-crash general-3`).
    pub fn parse(text: &str) -> Result<Fault, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let one = |what: &str| match words.as_slice() {
            [_, node] => Ok(node.to_string()),
            _ => Err(format!("expected \"{what} NODE\", got {text:?}")),
        };
        match words.first().copied() {
            Some("node-crash") => one("node-crash").map(|node| Fault::NodeCrash { node }),
            Some("node-recover") => one("node-recover").map(|node| Fault::NodeRecover { node }),
            Some(other) => Err(format!(
                "unknown fault {other:?}: expected node-crash or node-recover"
            )),
            None => Err("expected a fault such as \"node-crash NODE\"".to_string()),
        }
    }

    /// The node the fault is about.
    pub fn node(&self) -> &str {
        match self {
            Fault::NodeCrash { node } | Fault::NodeRecover { node } => node,
        }
    }
}

/// A fault at a time of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedFault {
    /// When.
    pub at: SimTime,
    /// As written.
    pub text: String,
    /// What happens.
    pub fault: Fault,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_read_with_their_node() {
        assert_eq!(
            Fault::parse("node-crash  general-3").unwrap(),
            Fault::NodeCrash {
                node: "general-3".into()
            }
        );
        assert_eq!(Fault::parse("node-recover n").unwrap().node(), "n");
        for bad in ["", "node-crash", "node-crash a b", "meteor a"] {
            assert!(Fault::parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            Fault::parse("meteor a")
                .unwrap_err()
                .contains("unknown fault \"meteor\"")
        );
    }
}
