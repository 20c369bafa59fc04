//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler/horizontal.go`).
//!
//! Each HPA is synced every `--horizontal-pod-autoscaler-sync-period` (15 s), the first time
//! one period after it was created: upstream's queue re-adds every key after the period and
//! never sooner. A sync reads the target's scale subresource, bypasses the metrics when the
//! replicas are outside `[minReplicas, maxReplicas]` (or zero with a non-zero minimum), else
//! asks every metric for a proposal ([`metrics`], [`replica_calculator`]), takes the largest,
//! refuses to scale down on partial data, normalises ([`normalize`]: stabilization and
//! bounds without `behavior`, windows and rate policies with it), writes `spec.replicas`
//! when it changed, and records the conditions, Events and an `hpa.jsonl` record in
//! upstream's words.
//!
//! Not modelled: AmbiguousSelector (two HPAs over the same pods scale independently); the
//! pods an HPA reads are its target's own (through its ReplicaSets), not every pod its
//! selector matches.

pub mod metrics;
pub mod normalize;
pub mod replica_calculator;

use crate::api::event::EventType;
use crate::api::hpa::{
    ABLE_TO_SCALE as ABLE, ControllerSettings, HorizontalPodAutoscaler, HpaStatus,
    SCALING_ACTIVE as ACTIVE, SCALING_LIMITED as LIMITED,
};
use crate::component::{Component, Context, HpaMetricRecord, HpaPodCounts, HpaRecord};
use crate::engine::SimTime;
use crate::store::load::Load;
use crate::store::metrics_api::last_scrape;
use crate::store::{Change, ChangeKind, HpaId, Watch};
use metrics::{Inputs, Outcome};
use normalize::{Recommendation, Replicas, ScaleEvent};
use replica_calculator::Tolerances;

/// The controller's timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpaEvent {
    /// Sync one HPA.
    Sync(HpaId),
}

/// What the controller keeps per HPA between syncs.
#[derive(Clone, Debug, Default)]
struct Memory {
    /// Recommendations of the last syncs (stabilization).
    recommendations: Vec<Recommendation>,
    /// Scale-ups done (with `behavior` only).
    up: Vec<ScaleEvent>,
    /// Scale-downs done.
    down: Vec<ScaleEvent>,
    /// Whether the first recommendation (the replicas when first seen) is recorded.
    seen: bool,
}

/// The controller.
pub struct HpaController {
    settings: ControllerSettings,
    memory: Vec<Memory>,
    /// The flows' load at metrics-server's last scrape, computed once per scrape.
    load: Option<(SimTime, Load)>,
}

impl HpaController {
    /// The controller with these flags.
    pub fn new(settings: ControllerSettings) -> Self {
        HpaController {
            settings,
            memory: Vec::new(),
            load: None,
        }
    }
}

type Ctx<'a, 'b> = &'a mut Context<'b, HpaEvent>;

impl Component for HpaController {
    type Event = HpaEvent;

    fn name(&self) -> &str {
        "controllers/horizontalpodautoscaler"
    }

    fn watches(&self) -> Watch {
        Watch::of(&[ChangeKind::HpaCreated])
    }

    fn on_change(&mut self, change: &Change, ctx: Ctx) {
        if let Change::HpaCreated(id) = *change {
            let i = id.0 as usize;
            if self.memory.len() <= i {
                self.memory.resize(i + 1, Memory::default());
            }
            ctx.after(self.settings.sync_period_ms, HpaEvent::Sync(id));
        }
    }

    fn handle(&mut self, event: HpaEvent, ctx: Ctx) {
        let HpaEvent::Sync(id) = event;
        self.reconcile(id, ctx);
        ctx.after(self.settings.sync_period_ms, HpaEvent::Sync(id));
    }
}

/// What a sync decided, for the status, the Event and the record.
struct Decision {
    desired: i32,
    reason: String,
    record: HpaRecord,
}

impl HpaController {
    /// One sync (`reconcileAutoscaler`).
    fn reconcile(&mut self, id: HpaId, ctx: Ctx) {
        let now = ctx.now();
        let a = ctx.store.hpa(id);
        let (hpa, mut status, object) = (a.hpa.clone(), a.status.clone(), a.object());
        let mut record = HpaRecord {
            time: now,
            hpa: format!("{}/{}", hpa.namespace, hpa.name),
            current_replicas: 0,
            metrics: Vec::new(),
            pods: HpaPodCounts::default(),
            proposal: None,
            recommendation: 0,
            limit: None,
            desired_replicas: 0,
            reason: None,
            error: None,
        };
        let Some(target) = ctx.store.scale_target(id) else {
            let t = &hpa.spec.target;
            let err = format!("{} {:?} not found", t.kind.resource(), t.name);
            status.set_condition(
                ABLE,
                false,
                "FailedGetScale",
                format!("the HPA controller was unable to get the target's current scale: {err}"),
                now,
            );
            ctx.record(EventType::Warning, "FailedGetScale", object, err.clone());
            ctx.store.set_hpa_status(id, status);
            record.current_replicas = ctx.store.hpa(id).status.current_replicas;
            record.desired_replicas = record.current_replicas;
            record.error = Some(err);
            ctx.recorder.hpa_sync(record);
            return;
        };
        let scale = ctx.store.scale(target);
        status.set_condition(
            ABLE,
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale".into(),
            now,
        );
        let current = scale.spec_replicas;
        record.current_replicas = current;
        let memory = &mut self.memory[id.0 as usize];
        if !memory.seen {
            memory.seen = true;
            memory.recommendations.push(Recommendation {
                timestamp_ms: now.ms(),
                replicas: current,
            });
        }
        let spec = &hpa.spec;
        let decided = if current == 0 && spec.min_replicas != 0 {
            status.set_condition(
                ACTIVE,
                false,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero".into(),
                now,
            );
            status.current_metrics.clear();
            Some(Decision {
                desired: 0,
                reason: String::new(),
                record,
            })
        } else if current > spec.max_replicas || current < spec.min_replicas {
            status.current_metrics.clear();
            let (desired, reason) = if current > spec.max_replicas {
                (
                    spec.max_replicas,
                    "Current number of replicas above Spec.MaxReplicas",
                )
            } else {
                (
                    spec.min_replicas,
                    "Current number of replicas below Spec.MinReplicas",
                )
            };
            Some(Decision {
                desired,
                reason: reason.into(),
                record,
            })
        } else {
            let settings = &self.settings;
            let load = load_at(&mut self.load, settings, now, ctx);
            let inputs = Inputs {
                store: ctx.store,
                hpa: &hpa,
                scale: &scale,
                load,
                tick: last_scrape(now, settings.metric_resolution_ms),
                now,
                settings,
                tolerances: Tolerances::for_hpa(settings.tolerance, spec.behavior.as_ref()),
            };
            let outcomes: Vec<Outcome> = spec.metrics.iter().map(|m| inputs.outcome(m)).collect();
            let memory = &mut self.memory[id.0 as usize];
            from_metrics(
                &hpa,
                &outcomes,
                memory,
                &self.settings,
                &mut status,
                record,
                now,
                ctx,
            )
        };
        let Some(d) = decided else {
            ctx.store.set_hpa_status(id, status);
            return;
        };
        self.apply(id, target, &hpa, status, d, ctx);
    }

    /// Rescales when the decision differs from the current replicas, and writes the status.
    fn apply(
        &mut self,
        id: HpaId,
        target: crate::store::autoscalers::ScaleTarget,
        hpa: &HorizontalPodAutoscaler,
        mut status: HpaStatus,
        d: Decision,
        ctx: Ctx,
    ) {
        let now = ctx.now();
        let current = d.record.current_replicas;
        let mut record = d.record;
        record.desired_replicas = d.desired;
        if d.desired != current {
            ctx.store.set_scale(target, d.desired);
            let object = ctx.store.hpa(id).object();
            let message = format!("New size: {}; reason: {}", d.desired, d.reason);
            ctx.record(EventType::Normal, "SuccessfulRescale", object, message);
            status.set_condition(
                ABLE,
                true,
                "SucceededRescale",
                format!(
                    "the HPA controller was able to update the target scale to {}",
                    d.desired
                ),
                now,
            );
            status.last_scale_time = Some(now);
            if let Some(b) = &hpa.spec.behavior {
                let m = &mut self.memory[id.0 as usize];
                normalize::record_rescale(&mut m.up, &mut m.down, b, now.ms(), current, d.desired);
            }
            record.reason = Some(d.reason);
        }
        status.current_replicas = current;
        status.desired_replicas = d.desired;
        ctx.store.set_hpa_status(id, status);
        ctx.recorder.hpa_sync(record);
    }
}

/// The flows' load at metrics-server's last scrape, computed once per scrape into `cache`.
fn load_at<'a>(
    cache: &'a mut Option<(SimTime, Load)>,
    settings: &ControllerSettings,
    now: SimTime,
    ctx: Ctx,
) -> &'a Load {
    let tick = last_scrape(now, settings.metric_resolution_ms);
    if cache.as_ref().is_none_or(|(t, _)| *t != tick) {
        *cache = Some((tick, ctx.store.load(tick, settings.metric_resolution_ms)));
    }
    &cache.as_ref().expect("just computed").1
}

/// The metrics path of a sync (`computeReplicasForMetrics`, then normalisation): the
/// decision, or `None` when the metrics forbid scaling (all failed, or some failed and the
/// rest would scale down).
#[allow(clippy::too_many_arguments)]
fn from_metrics(
    hpa: &HorizontalPodAutoscaler,
    outcomes: &[Outcome],
    memory: &mut Memory,
    settings: &ControllerSettings,
    status: &mut HpaStatus,
    mut record: HpaRecord,
    now: SimTime,
    ctx: Ctx,
) -> Option<Decision> {
    let current = record.current_replicas;
    let object = format!("HorizontalPodAutoscaler/{}/{}", hpa.namespace, hpa.name);
    let mut best: Option<(i32, &str)> = None;
    let mut first_failure = None;
    let mut invalid = 0;
    status.current_metrics.clear();
    for o in outcomes {
        let (value, proposal, error) = match &o.result {
            Ok(r) => {
                if best.is_none_or(|(b, _)| r.replicas > b) {
                    best = Some((r.replicas, &r.described));
                }
                if record.pods == HpaPodCounts::default()
                    && let Some(c) = r.counts
                {
                    record.pods = HpaPodCounts {
                        ready: c.ready,
                        unready: c.unready,
                        missing: c.missing,
                        ignored: c.ignored,
                    };
                }
                status.current_metrics.push(Some(r.status.clone()));
                (Some(r.value), Some(r.replicas), None)
            }
            Err(f) => {
                invalid += 1;
                first_failure.get_or_insert(f);
                ctx.record(
                    EventType::Warning,
                    f.reason,
                    object.clone(),
                    f.message.clone(),
                );
                status.current_metrics.push(None);
                (None, None, Some(f.message.clone()))
            }
        };
        record.metrics.push(HpaMetricRecord {
            name: o.name.clone(),
            kind: o.kind,
            value,
            target: o.target,
            utilization: o.utilization,
            proposal,
            error,
        });
    }
    let n = outcomes.len();
    if let Some(f) = first_failure
        && (invalid == n || best.is_some_and(|(b, _)| b < current))
    {
        let err = format!(
            "invalid metrics ({invalid} invalid out of {n}), first error is: {}",
            f.wrapped
        );
        status.set_condition(
            ACTIVE,
            false,
            f.reason,
            format!(
                "the HPA was unable to compute the replica count: {}",
                f.message
            ),
            now,
        );
        ctx.record(
            EventType::Warning,
            "FailedComputeMetricsReplicas",
            object,
            err.clone(),
        );
        status.current_replicas = current;
        record.desired_replicas = status.desired_replicas;
        record.error = Some(err);
        ctx.recorder.hpa_sync(record);
        return None;
    }
    let (proposal, described) = best.unwrap_or((0, ""));
    status.set_condition(
        ACTIVE,
        true,
        "ValidMetricFound",
        format!("the HPA was able to successfully calculate a replica count from {described}"),
        now,
    );
    let reason = match proposal.cmp(&current) {
        std::cmp::Ordering::Greater => format!("{described} above target"),
        std::cmp::Ordering::Less => "All metrics below target".to_string(),
        std::cmp::Ordering::Equal => String::new(),
    };
    let replicas = Replicas {
        current,
        desired: proposal,
        min: hpa.spec.min_replicas,
        max: hpa.spec.max_replicas,
    };
    let recs = &mut memory.recommendations;
    let normalized = match &hpa.spec.behavior {
        None => normalize::without_behavior(
            recs,
            now.ms(),
            settings.downscale_stabilization_ms,
            replicas,
        ),
        Some(b) => normalize::with_behavior(
            recs,
            &memory.up,
            &memory.down,
            now.ms(),
            b,
            settings.downscale_stabilization_ms,
            replicas,
        ),
    };
    let (able_reason, able_message) = normalized.able;
    status.set_condition(ABLE, true, able_reason, able_message.into(), now);
    let l = normalized.limited;
    status.set_condition(LIMITED, l.limited, l.reason, l.message.into(), now);
    record.proposal = Some(proposal);
    record.recommendation = normalized.stabilized;
    record.limit = l.limited.then_some((normalized.replicas, l.reason));
    Some(Decision {
        desired: normalized.replicas,
        reason,
        record,
    })
}
