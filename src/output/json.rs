//! JSON documents: `summary.json` and the `scheduling.jsonl` records.

use super::{Rows, hex};
use crate::observe::AttemptRecord;
use crate::observe::{Percentiles, Summary};
use serde_json::{Map, Value, json};

/// What the run's files hold beyond the summary: which rows were written.
pub struct Written {
    /// The row selection.
    pub rows: Rows,
    /// Rows written to `pods.csv`.
    pub pod_rows: u64,
}

fn pct(p: &Percentiles) -> Value {
    json!({"count": p.count, "p50": p.p50, "p90": p.p90, "p99": p.p99, "max": p.max})
}

/// `summary.json`, pretty-printed with a trailing newline.
pub fn summary(s: &Summary, files: &[(&str, [u8; 32])], digest: &str, written: &Written) -> String {
    let i = &s.input;
    let files: Map<String, Value> = files
        .iter()
        .map(|(n, d)| (n.to_string(), Value::String(hex(d))))
        .collect();
    let descriptions: Map<String, Value> = i
        .descriptions
        .iter()
        .map(|(lang, text)| (lang.clone(), Value::String(text.clone())))
        .collect();
    let v = json!({
        "scenario": i.scenario,
        "description": descriptions,
        "seed": i.seed,
        "simulated_seconds": i.duration.as_secs_f64(),
        "wall_seconds": (i.wall_seconds * 1000.0).round() / 1000.0,
        "events_processed": i.events_processed,
        "pods": {
            "created": s.pods_created,
            "by_phase": s.pods_by_phase,
            "unscheduled_at_end": s.unscheduled_at_end,
        },
        "jobs": s.jobs,
        "scheduling_attempts": i.scheduling_attempts,
        "scheduling_latency_s": pct(&s.scheduling_latency),
        "pending_time_s": pct(&s.pending_time),
        "makespan_s": s.makespan_s,
        "allocation": {
            "cpu": {"mean": i.means[0], "peak": i.peaks[0]},
            "memory": {"mean": i.means[1], "peak": i.peaks[1]},
        },
        "usage": {
            "cpu": {"mean": i.means[2], "peak": i.peaks[2]},
            "memory": {"mean": i.means[3], "peak": i.peaks[3]},
        },
        "image_pulls": i.image_pulls,
        "hpa": i.hpas.iter().map(hpa).collect::<Vec<_>>(),
        "unserved_requests": i.flows.iter().map(|f| f.unserved).sum::<f64>().round(),
        "services": i.flows.iter().map(flow).collect::<Vec<_>>(),
        "faults_injected": i.fault_cost.faults.len(),
        "evictions": i.fault_cost.evictions,
        "restarts": i.fault_cost.restarts,
        "pods_lost": i.fault_cost.pods_lost,
        "availability": i.fault_cost.availability.iter().map(availability).collect::<Vec<_>>(),
        "faults": i.fault_cost.faults.iter().map(fault).collect::<Vec<_>>(),
        "pdbs": i.pdbs.iter().map(pdb).collect::<Vec<_>>(),
        "quiet_from_s": i.quiet_from.map(|t| t.as_secs_f64()),
        "preemptions": i.preemptions,
        "warnings": i.warnings,
        // Timeline commands run, in order, with kubectl's output, and the faults.
        "timeline": i.timeline.iter().map(|c| if c.fault {
            json!({
                "time_s": c.time.as_secs_f64(),
                "fault": c.command,
                "status": c.status.as_str(),
            })
        } else {
            json!({
                "time_s": c.time.as_secs_f64(),
                "action": c.command,
                "status": c.status.as_str(),
                "output": c.output,
            })
        }).collect::<Vec<_>>(),
        "output": {
            "events": written.rows.events.as_str(),
            "pods": written.rows.pods.text(),
            "pod_rows": written.pod_rows,
        },
        "workloads": i.workloads.iter().map(workload).collect::<Vec<_>>(),
        "files": files,
        "output_sha256": digest,
    });
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
    text.push('\n');
    text
}

/// One workload of `summary.json`'s `availability`.
fn availability(a: &crate::observe::WorkloadAvailability) -> Value {
    json!({
        "object": a.object,
        "since_s": a.since.map(|t| t.as_secs_f64()),
        "mean": a.mean,
        "downtime_s": a.downtime_s,
        "min": a.min,
    })
}

/// One fault of `summary.json`'s `faults`.
fn fault(f: &crate::observe::FaultRecovery) -> Value {
    json!({
        "time_s": f.time.as_secs_f64(),
        "fault": f.fault,
        "workloads_affected": f.workloads_affected,
        "time_to_recover_s": f.time_to_recover.map(|ms| ms as f64 / 1000.0),
    })
}

/// One `scheduling.jsonl` line: the pinned fields, plus `weights` (each score plugin's
/// weight in the profile, so that `total` = Σ weight × score can be checked).
pub fn attempt(r: &AttemptRecord) -> String {
    let filter: Map<String, Value> = r
        .filter
        .iter()
        .map(|(node, f)| {
            let v = json!({
                "status": f.status,
                "plugin": f.plugin,
                "reason": f.plugin.as_ref().map(|_| &f.reason),
            });
            (node.clone(), v)
        })
        .collect();
    let scores: Map<String, Value> = r
        .scores
        .iter()
        .map(|(node, s)| {
            let mut m: Map<String, Value> = s
                .plugins
                .iter()
                .map(|(p, v)| (p.clone(), json!(v)))
                .collect();
            m.insert("total".into(), json!(s.total));
            (node.clone(), Value::Object(m))
        })
        .collect();
    let weights: Map<String, Value> = r
        .weights
        .iter()
        .map(|(p, w)| (p.clone(), json!(w)))
        .collect();
    let v = json!({
        "time_s": r.time.as_secs_f64(),
        "pod": r.pod,
        "profile": r.profile,
        "attempt": r.attempt,
        "result": r.result,
        "node": r.node,
        "message": r.message,
        "filter": filter,
        "scores": scores,
        "weights": weights,
        "preemption": r.preemption.as_ref().map_or(Value::Null, |p| json!({
            "victims": p.victims,
            "nominated_node": p.nominated_node,
        })),
    });
    v.to_string()
}

/// One HPA of `summary.json`'s `hpa`.
fn hpa(h: &crate::observe::HpaSummary) -> Value {
    let t = &h.totals;
    json!({
        "name": t.name,
        "min_replicas": h.min_replicas,
        "max_replicas": h.max_replicas,
        "replicas": t.replicas.map(|(lo, hi)| json!({"min": lo, "max": hi})),
        "current_replicas": h.status.current_replicas,
        "desired_replicas": h.status.desired_replicas,
        "scale_events": t.scale_events,
        "seconds_at_max": t.seconds_at_max,
        "seconds_above_target": t.seconds_above_target,
        "unserved_requests": t.unserved_requests.round(),
        "target": h.target,
        "traffic": h.traffic,
        "metrics": h.metrics.iter().map(|(name, kind, utilization, target)| json!({
            "name": name,
            "type": kind,
            "utilization": utilization,
            "target": target,
        })).collect::<Vec<_>>(),
        "conditions": h.status.conditions.iter().map(|c| json!({
            "type": c.kind,
            "status": if c.status { "True" } else { "False" },
            "reason": c.reason,
            "message": c.message,
            "last_transition_s": c.last_transition.as_secs_f64(),
        })).collect::<Vec<_>>(),
    })
}

/// `minAvailable` or `maxUnavailable` as written: a number, or a percentage string.
fn int_or_percent(v: Option<crate::api::disruption::IntOrPercent>) -> Value {
    use crate::api::disruption::IntOrPercent;
    match v {
        Some(IntOrPercent::Int(n)) => json!(n),
        Some(p @ IntOrPercent::Percent(_)) => json!(p.to_string()),
        None => Value::Null,
    }
}

/// One PodDisruptionBudget of `summary.json`'s `pdbs`: its spec's bounds, its status at the
/// end as `kubectl get pdb -o json` shows it (times in simulated seconds), and how long it
/// allowed no disruption.
fn pdb(b: &crate::observe::PdbSummary) -> Value {
    let s = &b.status;
    let disrupted: Map<String, Value> = (s.disrupted_pods.iter())
        .map(|(pod, t)| (pod.clone(), json!(t.as_secs_f64())))
        .collect();
    json!({
        "namespace": b.namespace,
        "name": b.name,
        "min_available": int_or_percent(b.min_available),
        "max_unavailable": int_or_percent(b.max_unavailable),
        "status": {
            "observed_generation": s.observed_generation,
            "expected_pods": s.expected_pods,
            "desired_healthy": s.desired_healthy,
            "current_healthy": s.current_healthy,
            "disruptions_allowed": s.disruptions_allowed,
            "disrupted_pods": disrupted,
            "conditions": s.condition.iter().map(|c| json!({
                "type": crate::api::disruption::DISRUPTION_ALLOWED,
                "status": c.status.as_str(),
                "reason": c.reason,
                "message": c.message,
                "observed_generation": c.observed_generation,
                "last_transition_s": c.last_transition.as_secs_f64(),
            })).collect::<Vec<_>>(),
        },
        "seconds_no_disruption_allowed": b.blocked_ms as f64 / 1000.0,
    })
}

/// One flow of `summary.json`'s `services`: requests offered and unserved, and the
/// distribution of its per-sample latency estimates.
fn flow(f: &crate::observe::FlowTotals) -> Value {
    let share = if f.offered > 0.0 {
        f.unserved / f.offered
    } else {
        0.0
    };
    let p50: Vec<f64> = f.latencies.iter().map(|l| l.0).collect();
    let p99: Vec<f64> = f.latencies.iter().map(|l| l.1).collect();
    // Nearest-rank percentiles of the per-sample estimates.
    let spread = |xs: &[f64]| {
        if xs.is_empty() {
            return Value::Null;
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let rank = |p: f64| v[(((p / 100.0) * n as f64).ceil() as usize).clamp(1, n) - 1];
        let mean = v.iter().sum::<f64>() / n as f64;
        json!({"mean": mean, "p50": rank(50.0), "p99": rank(99.0), "max": v[n - 1]})
    };
    json!({
        "object": f.object,
        "offered_requests": f.offered.round(),
        "unserved_requests": f.unserved.round(),
        "unserved_share": share,
        "latency_p50_s": spread(&p50),
        "latency_p99_s": spread(&p99),
    })
}

/// One `hpa.jsonl` line: the pinned fields, plus `proposal` (the largest metric proposal,
/// before stabilization), `reason` (the SuccessfulRescale reason when it scaled) and
/// `error` (why it could not compute or scale).
pub fn hpa_sync(r: &crate::observe::HpaRecord) -> String {
    let metrics: Vec<Value> = r
        .metrics
        .iter()
        .map(|m| {
            let mut v = json!({
                "name": m.name,
                "type": m.kind,
                "value": m.value,
                "target": m.target,
                "utilization": m.utilization,
                "proposal": m.proposal,
            });
            if let Some(e) = &m.error {
                v["error"] = json!(e);
            }
            v
        })
        .collect();
    json!({
        "time_s": r.time.as_secs_f64(),
        "hpa": r.hpa,
        "current_replicas": r.current_replicas,
        "metrics": metrics,
        "pods": {
            "ready": r.pods.ready,
            "unready": r.pods.unready,
            "missing": r.pods.missing,
            "ignored": r.pods.ignored,
        },
        "proposal": r.proposal,
        "recommendation": r.recommendation,
        "limit": r.limit.map(|(replicas, reason)| json!({"replicas": replicas, "reason": reason})),
        "desired_replicas": r.desired_replicas,
        "reason": r.reason,
        "error": r.error,
    })
    .to_string()
}

/// A condition as `kubectl get -o json` shows it (times in simulated seconds).
fn condition(c: &crate::observe::Condition) -> Value {
    json!({
        "type": c.kind,
        "status": c.status.as_str(),
        "reason": c.reason,
        "message": c.message,
        "last_update_s": c.last_update.as_secs_f64(),
        "last_transition_s": c.last_transition.as_secs_f64(),
    })
}

/// One workload of `summary.json`'s `workloads`.
fn workload(w: &crate::observe::WorkloadSummary) -> Value {
    let [desired, current, ready, available, updated] = w.replicas;
    let mut v = json!({
        "kind": w.kind,
        "namespace": w.namespace,
        "name": w.name,
        "owner": w.owner,
        "revision": w.revision,
        "replicas": {
            "desired": desired,
            "current": current,
            "ready": ready,
            "available": available,
            "updated": updated,
        },
        "conditions": w.conditions.iter().map(condition).collect::<Vec<_>>(),
    });
    if let Some(h) = &w.history {
        let secs = |t: Option<crate::engine::SimTime>| t.map(|t| t.as_secs_f64());
        v["time_to_desired_s"] = json!(secs(h.desired_at));
        v["time_to_available_s"] = json!(secs(h.available_at));
        v["rollouts"] = h
            .rollouts
            .iter()
            .map(|r| {
                json!({
                    "revision": r.revision,
                    "start_s": r.start.as_secs_f64(),
                    "end_s": secs(r.end),
                    "duration_s": r.end.map(|e| (e - r.start) as f64 / 1000.0),
                    "min_available": r.min_available,
                })
            })
            .collect();
        v["condition_changes"] = h
            .conditions
            .iter()
            .map(|c| {
                let mut x = condition(&c.condition);
                x["time_s"] = json!(c.time.as_secs_f64());
                x
            })
            .collect();
    }
    v
}
