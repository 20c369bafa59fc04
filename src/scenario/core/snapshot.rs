//! What a snapshot of a live cluster (`kubectl get pods -o yaml`) says of a pod beyond its
//! spec: its creation time, and for a running pod bound to a node, its start, when it was
//! scheduled, its Ready condition's transition time, its restarts and its pending deletion.
//! Times are RFC 3339 instants placed on the simulated clock by `spec.startTime` (the instant
//! of t = 0), so the past lands before 0. Pending pods start over (the scheduler places them);
//! finished pods are left out.

use super::super::resolver::{Doc, Resolver};
use super::super::yaml::Spanned;
use super::pod::{Pod, PodStatusRaw};
use crate::api::clock::{format_rfc3339_ms, parse_rfc3339};
use crate::api::pod::{Phase, PodSpec, PodStatus, Resume};
use crate::engine::SimTime;

/// An instant of the snapshot on the simulated clock.
pub(in super::super) fn instant(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    t: &Spanned<String>,
) -> Option<SimTime> {
    match parse_rfc3339(&t.value) {
        Ok(ms) => {
            if ms > r.start_unix_ms && !r.future_warned {
                r.future_warned = true;
                let start = format_rfc3339_ms(r.start_unix_ms);
                let msg = format!(
                    "{} is after spec.startTime {start}: a snapshot's times are in the past of t = 0; set spec.startTime to when the snapshot was taken (a kubesim snapshot names it in its header)",
                    t.value
                );
                r.warn_at(d, t, path, msg);
            }
            Some(SimTime(ms - r.start_unix_ms))
        }
        Err(e) => {
            r.at(d, t, path, e);
            None
        }
    }
}

/// The status a pod starts the run with; `None` for a finished pod (left out, with a
/// warning).
pub(in super::super) fn pod_status(
    r: &mut Resolver,
    d: Doc,
    p: &Pod,
    spec: &PodSpec,
) -> Option<PodStatus> {
    let m = &p.metadata;
    let created = match &m.creation_timestamp {
        Some(t) => instant(r, d, "metadata.creationTimestamp", t).unwrap_or(SimTime::ZERO),
        None => SimTime::ZERO,
    };
    let mut status = PodStatus {
        created,
        ..Default::default()
    };
    let Some(raw) = &p.status else {
        return Some(status);
    };
    let phase = match raw.phase.as_ref().map(|x| (x, x.value.as_str())) {
        None | Some((_, "Pending")) | Some((_, "Unknown")) => Phase::Pending,
        Some((_, "Running")) => Phase::Running,
        Some((_, "Succeeded")) | Some((_, "Failed")) => {
            r.warn(d, "status.phase: a finished pod of a snapshot is left out (its controller, if any, counts what runs)");
            return None;
        }
        Some((x, other)) => {
            let msg = format!(
                "Unsupported value: {other:?}: supported values: \"Pending\", \"Running\", \"Succeeded\", \"Failed\", \"Unknown\""
            );
            r.at(d, x, "status.phase", msg);
            return Some(status);
        }
    };
    if phase != Phase::Running || spec.node_name.is_none() {
        return Some(status); // it starts over
    }
    status.restarts = raw
        .container_statuses
        .iter()
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0);
    let started = match &raw.start_time {
        Some(t) => instant(r, d, "status.startTime", t).unwrap_or(created),
        None => created,
    };
    status.started = Some(started);
    let (scheduled, ready_since) = conditions(r, d, raw, created);
    let delete_by = match &m.deletion_timestamp {
        Some(t) => instant(r, d, "metadata.deletionTimestamp", t),
        None => None,
    };
    status.resume = Some(Box::new(Resume {
        scheduled,
        ready_since,
        delete_by,
    }));
    Some(status)
}

/// When the pod was scheduled (`PodScheduled`, else its creation) and since when it is
/// Ready, if it is.
fn conditions(
    r: &mut Resolver,
    d: Doc,
    raw: &PodStatusRaw,
    created: SimTime,
) -> (SimTime, Option<SimTime>) {
    let (mut scheduled, mut ready) = (created, None);
    for (i, c) in raw.conditions.iter().enumerate() {
        let path = format!("status.conditions[{i}].lastTransitionTime");
        let at = c
            .last_transition_time
            .as_ref()
            .and_then(|t| instant(r, d, &path, t));
        match (c.kind.as_str(), c.status.as_str()) {
            ("PodScheduled", "True") => scheduled = at.unwrap_or(created),
            ("Ready", "True") => ready = Some(at.unwrap_or(created)),
            _ => {}
        }
    }
    (scheduled, ready)
}
