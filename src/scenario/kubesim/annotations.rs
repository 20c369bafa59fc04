//! kubesim's own annotations on pods and pod templates: how long the containers run, how
//! they exit, what they use, when their scheduling gates are lifted.

use super::super::resolver::{Doc, Resolver};
use crate::api::Distribution;
use crate::api::pod::Behaviour;
use crate::api::quantity::Quantity;
use std::collections::BTreeMap;

/// Annotation that removes a pod's scheduling gates this long after it is created.
pub const ANNOTATION_UNGATE_AFTER: &str = "kubesim.io/ungate-after";

/// The behaviour the annotations under `meta_path` give.
pub(in super::super) fn behaviour(
    r: &mut Resolver,
    d: Doc,
    meta_path: &str,
    ann: &BTreeMap<String, String>,
) -> Behaviour {
    let mut b = Behaviour::default();
    let dist = |r: &mut Resolver, key: &str| -> Option<Distribution> {
        let v = ann.get(key)?;
        Distribution::parse(v)
            .map_err(|e| r.doc(d, &format!("{meta_path}.annotations.{key}"), e.to_string()))
            .ok()
    };
    b.duration = dist(r, "kubesim.io/duration");
    b.startup = dist(r, "kubesim.io/startup");
    b.ungate_after = dist(r, ANNOTATION_UNGATE_AFTER);
    b.init_duration = dist(r, "kubesim.io/init-duration");
    if let Some(v) = ann.get("kubesim.io/exit-code") {
        match v.parse::<i32>() {
            Ok(c) => b.exit_code = c,
            Err(_) => r.doc(
                d,
                &format!("{meta_path}.annotations.kubesim.io/exit-code"),
                format!("expected an integer, got {v:?}"),
            ),
        }
    }
    for (key, milli) in [
        ("kubesim.io/cpu-usage", true),
        ("kubesim.io/memory-usage", false),
    ] {
        if let Some(v) = ann.get(key) {
            let q = Quantity::parse(v).ok().and_then(|q| {
                if milli {
                    q.as_milli_i64()
                } else {
                    q.as_units_i64()
                }
            });
            match q {
                Some(x) if x >= 0 => {
                    if milli {
                        b.cpu_usage_m = Some(x)
                    } else {
                        b.memory_usage = Some(x)
                    }
                }
                _ => r.doc(
                    d,
                    &format!("{meta_path}.annotations.{key}"),
                    format!("invalid quantity {v:?}"),
                ),
            }
        }
    }
    b
}
