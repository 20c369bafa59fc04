//! Reading a generic CSV trace (the only CSV the loader reads): one pod per row, with a header row naming the columns
//! `arrival_s,duration_s,cpu,memory[,name,namespace,priority,labels]` in any order.
//! `cpu` and `memory` are Kubernetes quantities; `labels` is `k=v;k2=v2`.

use crate::api::Labels;
use crate::api::arrival::TraceRow;
use crate::api::quantity::Quantity;

/// Reads a trace. Errors name the line and column (`line 12: cpu: invalid quantity "x"`).
/// Rows are returned sorted by arrival time (stable for equal times).
pub fn read_csv_trace(text: &str) -> Result<Vec<TraceRow>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| format!("header: {e}"))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(arr), Some(dur), Some(cpu), Some(mem)) = (
        col("arrival_s"),
        col("duration_s"),
        col("cpu"),
        col("memory"),
    ) else {
        return Err(format!(
            "line 1: the header must name arrival_s, duration_s, cpu and memory; found {}",
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    };
    let (name, ns, prio, labels) = (
        col("name"),
        col("namespace"),
        col("priority"),
        col("labels"),
    );
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let get = |c: usize| rec.get(c).unwrap_or("");
        let secs = |c: usize, what: &str| -> Result<Option<i64>, String> {
            let v = get(c);
            if v.is_empty() {
                return Ok(None);
            }
            match v.parse::<f64>() {
                Ok(x) if (0.0..9.0e15).contains(&x) => Ok(Some((x * 1000.0).round() as i64)),
                _ => Err(format!(
                    "line {line}: {what}: expected a non-negative number of seconds, got {v:?}"
                )),
            }
        };
        let qty = |c: usize, what: &str, milli: bool| -> Result<i64, String> {
            let q = Quantity::parse(get(c)).map_err(|e| format!("line {line}: {what}: {e}"))?;
            let v = if milli {
                q.as_milli_i64()
            } else {
                q.as_units_i64()
            };
            match v {
                Some(v) if v >= 0 => Ok(v),
                _ => Err(format!(
                    "line {line}: {what}: must be a non-negative quantity, got {:?}",
                    get(c)
                )),
            }
        };
        let arrival_ms =
            secs(arr, "arrival_s")?.ok_or_else(|| format!("line {line}: arrival_s: missing"))?;
        let mut label_map = Labels::new();
        if let Some(c) = labels {
            for pair in get(c).split(';').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').ok_or_else(|| {
                    format!(
                        "line {line}: labels: expected k=v pairs separated by ';', got {pair:?}"
                    )
                })?;
                crate::api::selector::validate_label_key(k)
                    .map_err(|e| format!("line {line}: labels: {e}"))?;
                crate::api::selector::validate_label_value(v)
                    .map_err(|e| format!("line {line}: labels: {e}"))?;
                label_map.insert(k.to_string(), v.to_string());
            }
        }
        let priority =
            match prio.map(get).filter(|s| !s.is_empty()) {
                None => None,
                Some(p) => Some(p.parse::<i32>().map_err(|_| {
                    format!("line {line}: priority: expected an integer, got {p:?}")
                })?),
            };
        rows.push(TraceRow {
            arrival_ms,
            duration_ms: secs(dur, "duration_s")?,
            cpu_m: qty(cpu, "cpu", true)?,
            memory: qty(mem, "memory", false)?,
            name: name.map(get).filter(|s| !s.is_empty()).map(str::to_string),
            namespace: ns.map(get).filter(|s| !s.is_empty()).map(str::to_string),
            priority,
            labels: label_map,
        });
    }
    rows.sort_by_key(|r| r.arrival_ms);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_in_any_order() {
        let t = "cpu,memory,arrival_s,duration_s,name,labels\n500m,1Gi,2.5,60,a,app=x;tier=y\n1,2Gi,1,,b,\n";
        let rows = read_csv_trace(t).unwrap();
        assert_eq!(rows[0].name.as_deref(), Some("b"), "sorted by arrival");
        assert_eq!(rows[0].duration_ms, None);
        assert_eq!(rows[1].arrival_ms, 2500);
        assert_eq!(rows[1].cpu_m, 500);
        assert_eq!(rows[1].memory, 1 << 30);
        assert_eq!(rows[1].labels.get("tier").map(String::as_str), Some("y"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = read_csv_trace("arrival_s,duration_s,cpu,memory\n1,1,1..5,1Gi\n").unwrap_err();
        assert!(e.starts_with("line 2: cpu: invalid quantity"), "{e}");
        let e = read_csv_trace("arrival,cpu\n").unwrap_err();
        assert!(e.contains("must name arrival_s"), "{e}");
        let e = read_csv_trace("arrival_s,duration_s,cpu,memory\n-1,1,1,1\n").unwrap_err();
        assert!(e.contains("non-negative"), "{e}");
    }
}
