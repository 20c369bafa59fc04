//! The kubelet and container runtime of every node: admission, image pulls, container start,
//! readiness, exits, restarts with back-off (`pkg/kubelet/`).
//!
//! Wording of the Events follows the kubelet (`pkg/kubelet/events/event.go` reasons).

mod backoff;

pub use backoff::CrashLoopBackoff;

use crate::api::ContainerImage;
use crate::api::duration::format_duration_ms;
use crate::api::event::{EventType, Message};
pub use crate::api::kubelet::KubeletTimings;
use crate::api::node::normalized_image_name;
use crate::api::pod::{Phase, RestartPolicy};
use crate::component::{Component, ComponentMetrics, Context};
use crate::engine::SimTime;
use crate::store::{Change, ChangeKind, NodeId, PodId, Watch};
use std::collections::{BTreeMap, BTreeSet};

/// The kubelet's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletEvent {
    /// The images of a pod are on the node: create and start its containers.
    ImagesReady(PodId, u32),
    /// The containers are running.
    Started(PodId, u32),
    /// The readiness probe passes.
    Ready(PodId, u32),
    /// The containers exited.
    Exited(PodId, u32),
    /// The grace period of a terminating pod ended: the pod is removed.
    GraceExpired(PodId),
    /// A pull finished: the node reports the image (an index into the kubelet's image names)
    /// in its `status.images`.
    ImagePulled(NodeId, u32),
}

#[derive(Default)]
struct NodeState {
    /// Images on the node (normalized names), pulled.
    images: BTreeSet<String>,
    /// Images being pulled, with when each pull ends.
    pulling: BTreeMap<String, SimTime>,
    pulls_busy_until: SimTime,
}

/// The kubelets of all nodes.
pub struct Kubelet {
    timings: KubeletTimings,
    nodes: Vec<NodeState>,
    /// Incarnation of each pod's containers: events carrying an older one are stale.
    /// Incarnation by pod id (0: no containers to track).
    incarnation: Vec<u32>,
    backoff: BTreeMap<PodId, CrashLoopBackoff>,
    pulled: BTreeMap<PodId, Vec<String>>,
    image_pulls: u64,
    /// Image sizes from the nodes' `status.images` (normalized names): a pulled image takes
    /// the size some node already reported for it, else 0 (unknown).
    sizes: BTreeMap<String, i64>,
    /// Names of pulled images, indexed by [`KubeletEvent::ImagePulled`].
    image_names: Vec<String>,
    image_ids: BTreeMap<String, u32>,
}

impl Kubelet {
    /// Kubelets with these timings.
    pub fn new(timings: KubeletTimings) -> Self {
        Kubelet {
            timings,
            nodes: Vec::new(),
            incarnation: Vec::new(),
            backoff: BTreeMap::new(),
            pulled: BTreeMap::new(),
            image_pulls: 0,
            sizes: BTreeMap::new(),
            image_names: Vec::new(),
            image_ids: BTreeMap::new(),
        }
    }

    fn incarnation_of(&self, pod: PodId) -> u32 {
        self.incarnation.get(pod.0 as usize).copied().unwrap_or(0)
    }

    fn set_incarnation(&mut self, pod: PodId, inc: u32) {
        let i = pod.0 as usize;
        if self.incarnation.len() <= i {
            self.incarnation.resize(i + 1, 0);
        }
        self.incarnation[i] = inc;
    }
}

type Ctx<'a, 'b> = &'a mut Context<'b, KubeletEvent>;

impl Component for Kubelet {
    type Event = KubeletEvent;

    fn name(&self) -> &str {
        "kubelet"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[
            ChangeKind::NodeAdded,
            ChangeKind::PodBound,
            ChangeKind::PodTerminating,
            ChangeKind::PodDeleted,
        ])
    }

    /// A node joining, a pod bound to a node, a pod terminating or deleted.
    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        match *change {
            Change::NodeAdded(id) => {
                let node = ctx.store.node(id);
                let mut images = BTreeSet::new();
                for image in &node.images {
                    for name in &image.names {
                        let name = normalized_image_name(name).into_owned();
                        let size = self.sizes.entry(name.clone()).or_default();
                        if *size == 0 {
                            *size = image.size_bytes.max(0);
                        }
                        images.insert(name);
                    }
                }
                debug_assert_eq!(id.0 as usize, self.nodes.len());
                self.nodes.push(NodeState {
                    images,
                    ..NodeState::default()
                });
            }
            Change::PodBound { pod, node } => self.admit(pod, node, ctx),
            Change::PodTerminating(pod) => {
                // SIGTERM now; the pod keeps its node until the grace period ends
                // (`terminationGracePeriodSeconds`, the upper bound of a real shutdown).
                let spec = ctx.store.pod(pod).spec.clone();
                for c in &spec.containers {
                    let msg = format!("Stopping container {}", c.name);
                    ctx.record_pod(pod, EventType::Normal, "Killing", msg);
                }
                ctx.after(spec.termination_grace_ms, KubeletEvent::GraceExpired(pod));
            }
            Change::PodDeleted(pod) => {
                let p = ctx.store.pod(pod);
                if p.status.node.is_some()
                    && !p.phase().is_terminal()
                    && p.status.terminating.is_none()
                {
                    let spec = p.spec.clone();
                    for c in &spec.containers {
                        let msg = format!("Stopping container {}", c.name);
                        ctx.record_pod(pod, EventType::Normal, "Killing", msg);
                    }
                }
                self.set_incarnation(pod, 0);
                self.backoff.remove(&pod);
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: KubeletEvent, ctx: Ctx) {
        self.handle_event(event, ctx);
    }

    fn export(&self, metrics: &mut ComponentMetrics) {
        metrics.image_pulls += self.image_pulls;
    }
}

impl Kubelet {
    fn admit(&mut self, pod: PodId, node: NodeId, ctx: Ctx) {
        let now = ctx.now();
        // Admission: the node must still have room (it may not when the pod came pre-bound).
        let store = &*ctx.store;
        let alloc = &store.node(node).allocatable;
        let want = &store.pod(pod).spec.requests;
        // What the other pods on the node request (the pod itself is already counted).
        let (mut used_cpu, mut used_memory) = store.requested_on_node(node);
        if store.pods_on_node(node).contains(&pod) {
            used_cpu -= want.cpu_m;
            used_memory -= want.memory;
        }
        let short = [
            ("cpu", want.cpu_m, used_cpu, alloc.cpu_m),
            ("memory", want.memory, used_memory, alloc.memory),
        ]
        .into_iter()
        .find(|(_, w, u, a)| *w > 0 && w + u > *a);
        if let Some((res, w, u, a)) = short {
            let reason: &'static str = if res == "cpu" {
                "OutOfcpu"
            } else {
                "OutOfmemory"
            };
            let msg = format!(
                "Node didn't have enough resource: {res}, requested: {w}, used: {u}, capacity: {a}"
            );
            ctx.record_pod(pod, EventType::Warning, reason, msg);
            ctx.store.set_pod_reason(pod, Some(reason));
            ctx.store.set_phase(pod, Phase::Failed, now);
            return;
        }
        // Pull what the node lacks, one image at a time per node (serializeImagePulls).
        let spec = ctx.store.pod(pod).spec.clone();
        let mut images: Vec<&std::sync::Arc<str>> =
            Vec::with_capacity(spec.containers.len() + spec.init_containers.len());
        for image in spec.images() {
            if !images.contains(&image) {
                images.push(image);
            }
        }
        let mut ready_at = now;
        for image in images {
            let name = normalized_image_name(image);
            let state = &mut self.nodes[node.0 as usize];
            if state.images.contains(&*name) {
                let msg = Message::ImagePresent(image.clone());
                ctx.record_pod(pod, EventType::Normal, "Pulled", msg);
                continue;
            }
            let start = state.pulls_busy_until.max(now);
            let (took, done) = if state.pulling.contains_key(&*name) {
                // Another pod's pull of this image is under way: this pod's request waits in
                // the serialized queue and finds the image there (no second transfer).
                (0, start)
            } else {
                let took = self.timings.image_pull.sample(ctx.rng);
                let done = start + took;
                state.pulls_busy_until = done;
                state.pulling.insert(name.to_string(), done);
                self.image_pulls += 1;
                let index = self.intern(&name);
                ctx.at(done, KubeletEvent::ImagePulled(node, index));
                (took, done)
            };
            let msg = Message::Pulling(image.clone());
            ctx.record_pod(pod, EventType::Normal, "Pulling", msg);
            let msg = format!(
                "Successfully pulled image \"{image}\" in {} ({} including waiting)",
                format_duration_ms(took),
                format_duration_ms(done - now)
            );
            // Written when the images are ready, so the log stays in time order.
            self.pulled.entry(pod).or_default().push(msg);
            ready_at = ready_at.max(done);
        }
        let inc = self.incarnation_of(pod) + 1;
        self.set_incarnation(pod, inc);
        ctx.at(ready_at, KubeletEvent::ImagesReady(pod, inc));
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.image_ids.get(name) {
            return i;
        }
        let i = u32::try_from(self.image_names.len()).unwrap_or(u32::MAX);
        self.image_names.push(name.to_string());
        self.image_ids.insert(name.to_string(), i);
        i
    }

    fn handle_event(&mut self, event: KubeletEvent, ctx: Ctx) {
        let now = ctx.now();
        let (pod, inc) = match event {
            KubeletEvent::ImagePulled(node, index) => {
                if let Some(name) = self.image_names.get(index as usize) {
                    let state = &mut self.nodes[node.0 as usize];
                    state.pulling.remove(name);
                    state.images.insert(name.clone());
                    let image = ContainerImage {
                        names: vec![name.clone()],
                        size_bytes: self.sizes.get(name).copied().unwrap_or(0),
                    };
                    ctx.store.add_node_image(node, image);
                }
                return;
            }
            KubeletEvent::GraceExpired(pod) => {
                ctx.store.delete_pod(pod, now);
                return;
            }
            KubeletEvent::ImagesReady(p, i)
            | KubeletEvent::Started(p, i)
            | KubeletEvent::Ready(p, i)
            | KubeletEvent::Exited(p, i) => (p, i),
        };
        if inc == 0 || self.incarnation_of(pod) != inc {
            return; // stale: the pod was deleted or restarted since
        }
        {
            let p = ctx.store.pod(pod);
            if p.status.deleted.is_some() || p.phase().is_terminal() {
                return;
            }
        }
        match event {
            KubeletEvent::ImagePulled(..) | KubeletEvent::GraceExpired(_) => {}
            KubeletEvent::ImagesReady(..) => {
                for msg in self.pulled.remove(&pod).unwrap_or_default() {
                    ctx.record_pod(pod, EventType::Normal, "Pulled", msg);
                }
                let spec = ctx.store.pod(pod).spec.clone();
                for c in spec.containers.iter() {
                    let msg = Message::Created(c.name.clone());
                    ctx.record_pod(pod, EventType::Normal, "Created", msg);
                }
                let startup = self.timings.pod_startup.sample(ctx.rng);
                ctx.after(startup, KubeletEvent::Started(pod, inc));
            }
            KubeletEvent::Started(..) => self.start(pod, inc, ctx),
            KubeletEvent::Ready(..) => ctx.store.set_ready(pod, true, now),
            KubeletEvent::Exited(..) => self.exited(pod, inc, ctx),
        }
    }

    fn start(&mut self, pod: PodId, inc: u32, ctx: Ctx) {
        let now = ctx.now();
        let spec = ctx.store.pod(pod).spec.clone();
        for c in &spec.containers {
            let msg = Message::Started(c.name.clone());
            ctx.record_pod(pod, EventType::Normal, "Started", msg);
        }
        ctx.store.set_phase(pod, Phase::Running, now);
        let to_ready = spec
            .behaviour
            .startup
            .as_ref()
            .map_or(0, |d| d.sample(ctx.rng));
        ctx.after(to_ready, KubeletEvent::Ready(pod, inc));
        if let Some(d) = &spec.behaviour.duration {
            let run = d.sample(ctx.rng);
            ctx.after(run, KubeletEvent::Exited(pod, inc));
        }
    }

    fn exited(&mut self, pod: PodId, inc: u32, ctx: Ctx) {
        let now = ctx.now();
        let spec = ctx.store.pod(pod).spec.clone();
        // Its containers are not running: the pod is not Ready (upstream's status manager
        // sets ContainersReady and Ready false, `pkg/kubelet/status/generate.go`), whether it
        // completed or waits to restart.
        ctx.store.set_ready(pod, false, now);
        let code = spec.behaviour.exit_code;
        let restart = match spec.restart_policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => code != 0,
            RestartPolicy::Never => false,
        };
        if !restart {
            let (reason, phase) = if code == 0 {
                ("Completed", Phase::Succeeded)
            } else {
                ("Error", Phase::Failed)
            };
            ctx.store.set_pod_reason(pod, Some(reason));
            ctx.store.set_phase(pod, phase, now);
            self.set_incarnation(pod, 0);
            self.backoff.remove(&pod);
            return;
        }
        let wait = self.backoff.entry(pod).or_default().next_delay(now);
        if wait > 0 {
            let (ns, name) = {
                let p = ctx.store.pod(pod);
                (p.meta.namespace.clone(), p.meta.name.clone())
            };
            for c in &spec.containers {
                let msg = format!(
                    "Back-off restarting failed container {} in pod {name}_{ns}",
                    c.name
                );
                ctx.record_pod(pod, EventType::Warning, "BackOff", msg);
            }
            ctx.store.set_pod_reason(pod, Some("CrashLoopBackOff"));
        }
        ctx.store.record_restart(pod);
        let next = inc + 1;
        self.set_incarnation(pod, next);
        ctx.after(wait, KubeletEvent::ImagesReady(pod, next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Pod;
    use crate::api::{Distribution, Node};
    use crate::component::Harness;
    use crate::store::{PodField, check_invariants};
    use std::sync::Arc;

    fn node(name: &str) -> Node {
        crate::api::testing::node(name, 4000, 8 << 30, 110)
    }

    /// A pod that runs for `duration` and exits with `exit_code`, restarting as `restart`.
    fn pod(name: &str, duration_ms: i64, exit_code: i32, restart: RestartPolicy) -> Pod {
        let mut p = crate::api::testing::pod(name, 500, 0);
        let spec = Arc::make_mut(&mut p.spec);
        spec.restart_policy = restart;
        spec.behaviour.duration = Some(Distribution::Constant(duration_ms));
        spec.behaviour.exit_code = exit_code;
        p
    }

    fn kubelet() -> Harness<Kubelet> {
        let timings = KubeletTimings {
            pod_startup: Distribution::Constant(1_000),
            image_pull: Distribution::Constant(5_000),
        };
        let mut h = Harness::new(Kubelet::new(timings));
        h.store.add_node(node("n1"));
        h.settle();
        h.record_changes();
        h
    }

    /// The pod changes recorded, as text.
    fn pod_changes(h: &mut Harness<Kubelet>) -> Vec<String> {
        h.changes()
            .into_iter()
            .filter_map(|c| match c {
                Change::PodPhase { from, to, .. } => Some(format!("{from:?}->{to:?}")),
                Change::PodReady { ready, .. } => Some(format!("ready={ready}")),
                Change::PodStatus { field, .. } => Some(match field {
                    PodField::Reason { to, .. } => format!("reason={}", to.unwrap_or("")),
                    PodField::Restarts { to, .. } => format!("restarts={to}"),
                    PodField::SchedulingAttempts { to, .. } => format!("attempts={to}"),
                }),
                Change::PodDeleted(_) => Some("deleted".into()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_pod_runs_through_the_store_pull_start_ready_and_exit_each_a_change() {
        let mut h = kubelet();
        let id = h
            .store
            .create_pod(pod("p", 60_000, 0, RestartPolicy::Never));
        h.store.bind(id, NodeId(0), SimTime::ZERO);
        h.run_until(SimTime(3_600_000));
        assert_eq!(
            pod_changes(&mut h),
            [
                "Pending->Running",
                "ready=true",
                "ready=false",
                "reason=Completed",
                "Running->Succeeded"
            ]
        );
        let events = h.events();
        let reasons: Vec<&str> = events
            .iter()
            .map(|e| e.split(' ').next().unwrap())
            .collect();
        assert_eq!(reasons, ["Pulling", "Pulled", "Created", "Started"]);
        let st = &h.store.pod(id).status;
        assert_eq!(st.started, Some(SimTime(6_000)), "5 s pull, then 1 s start");
        assert_eq!(st.first_ready, Some(SimTime(6_000)));
        assert_eq!(st.finished, Some(SimTime(66_000)));
        assert_eq!(check_invariants(&h.store), Vec::<String>::new());
    }

    #[test]
    fn a_pod_placed_during_a_pull_waits_for_it() {
        let mut h = kubelet();
        let a = h
            .store
            .create_pod(pod("a", 60_000, 0, RestartPolicy::Never));
        h.store.bind(a, NodeId(0), SimTime::ZERO);
        h.run_until(SimTime(2_000));
        let b = h
            .store
            .create_pod(pod("b", 60_000, 0, RestartPolicy::Never));
        h.store.bind(b, NodeId(0), SimTime(2_000));
        h.run_until(SimTime(3_600_000));
        // The image is there when the first pull ends (5 s), not when it starts.
        assert_eq!(h.store.pod(b).status.started, Some(SimTime(6_000)));
        let events = h.events();
        let b_events: Vec<&String> = events
            .iter()
            .filter(|e| e.contains("Pod/default/b"))
            .collect();
        assert!(b_events[0].starts_with("Pulling "), "{b_events:?}");
        assert!(
            b_events[1].ends_with("in 0s (5s including waiting)"),
            "{b_events:?}"
        );
        assert!(
            !events.iter().any(|e| e.contains("already present")),
            "{events:?}"
        );
        // A pod placed after the pull finds the image present.
        let c = h
            .store
            .create_pod(pod("c", 60_000, 0, RestartPolicy::Never));
        h.store.bind(c, NodeId(0), h.now());
        h.run_until(SimTime(7_200_000));
        assert!(
            h.events()
                .iter()
                .any(|e| e.contains("already present on machine"))
        );
    }

    #[test]
    fn a_failing_container_restarts_with_back_off_and_each_restart_is_a_change() {
        let mut h = kubelet();
        let id = h
            .store
            .create_pod(pod("crash", 1_000, 1, RestartPolicy::Always));
        h.store.bind(id, NodeId(0), SimTime::ZERO);
        h.run_until(SimTime(60_000));
        let changes = pod_changes(&mut h);
        let restarts = changes
            .iter()
            .filter(|c| c.starts_with("restarts="))
            .count();
        assert!(restarts >= 2, "{changes:?}");
        assert_eq!(h.store.pod(id).status.restarts as usize, restarts);
        assert!(changes.contains(&"ready=false".to_string()), "{changes:?}");
        assert!(changes.contains(&"restarts=2".to_string()), "{changes:?}");
        assert!(
            h.events().iter().any(|e| e.starts_with("BackOff Pod/default/crash: Back-off restarting failed container main in pod crash_default")),
        );
        assert_eq!(h.store.pod(id).status.reason, Some("CrashLoopBackOff"));
    }
}
