//! Fixtures for tests of every layer: objects built in one line.

use crate::api::node::{Node, NodeCondition};
use crate::api::pod::{Container, Pod, PodSpec, PodStatus, RestartPolicy};
use crate::api::{ObjectMeta, Resources};
use std::sync::Arc;

/// A pod with one container requesting this much (0 means not set).
pub fn pod(name: &str, cpu_m: i64, memory: i64) -> Pod {
    let c = Container {
        name: "main".into(),
        image: "img".into(),
        requests: Resources {
            cpu_m,
            memory,
            ..Default::default()
        },
        cpu_request_set: cpu_m != 0,
        memory_request_set: memory != 0,
        limits: Resources::default(),
        sidecar: false,
        pull_policy: crate::api::pod::PullPolicy::IfNotPresent,
        startup_probe: None,
        readiness_probe: None,
    };
    let spec = PodSpec::new(
        vec![c],
        vec![],
        Resources::default(),
        Default::default(),
        None,
        vec![],
        "default-scheduler",
        RestartPolicy::Never,
    );
    Pod {
        meta: ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            ..Default::default()
        },
        spec: Arc::new(spec),
        status: PodStatus::default(),
    }
}

/// A healthy, untainted node with this much cpu (millicores) and memory (bytes) allocatable
/// and room for `pods` pods.
pub fn node(name: &str, cpu_m: i64, memory: i64, pods: i64) -> Node {
    let r = Resources {
        cpu_m,
        memory,
        pods,
        ..Resources::default()
    };
    Node {
        meta: ObjectMeta::named("", name),
        capacity: r.clone(),
        allocatable: r,
        taints: vec![],
        unschedulable: false,
        images: vec![],
        pool: None,
        conditions: NodeCondition::healthy(),
    }
}
