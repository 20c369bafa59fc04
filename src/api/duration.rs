//! Go duration strings (`90s`, `1h30m`, `250ms`) at millisecond resolution.
//!
//! The syntax follows Go's `time.ParseDuration` and the output format Go's
//! `Duration.String`, both in `src/time/format.go` of the Go standard library
//! (which Kubernetes uses for every `metav1.Duration`, see
//! `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/duration.go`).
//! Unlike Go, values are held as `i64` milliseconds, so the accepted range is
//! about ±292 million years instead of ±292 years; sub-millisecond remainders
//! round toward +infinity.

use std::fmt;

/// Error returned when a string is not a valid Go duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    input: String,
    reason: String,
}

impl DurationError {
    fn new(input: &str, reason: impl Into<String>) -> DurationError {
        DurationError {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }

    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why the text was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid duration {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for DurationError {}

const NS_PER_MS: u128 = 1_000_000;
const OUT_OF_RANGE: &str = "value out of range";

/// Nanoseconds per unit, or `None` for an unknown unit.
fn unit_ns(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parse a Go duration ("90s", "5m", "1h30m", "250ms", "1.5h", "-2s", "0") into milliseconds; sub-millisecond remainders round up (toward +infinity).
pub fn parse_duration_ms(s: &str) -> Result<i64, DurationError> {
    let err = |reason: &str| DurationError::new(s, reason);
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err(
            "expected a number followed by a unit (ns, us, ms, s, m or h)",
        ));
    }
    let mut total_ns: u128 = 0;
    let mut sub_ns = false;
    while !rest.is_empty() {
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                a.split_at(n)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err(
                "expected a number followed by a unit (ns, us, ms, s, m or h)",
            ));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(err("missing unit (ns, us, ms, s, m or h)"));
        }
        let per = unit_ns(unit).ok_or_else(|| {
            err(&format!(
                "unknown unit {unit:?} (expected ns, us, \u{b5}s, ms, s, m or h)"
            ))
        })?;
        let whole = int_part
            .bytes()
            .try_fold(0u128, |acc, b| {
                acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))
            })
            .and_then(|v| v.checked_mul(per))
            .ok_or_else(|| err(OUT_OF_RANGE))?;
        // floor(0.frac * per), computed digit by digit from the right; carry < per.
        let mut carry: u128 = 0;
        for b in frac_part.bytes().rev() {
            let t = u128::from(b - b'0') * per + carry;
            sub_ns |= !t.is_multiple_of(10);
            carry = t / 10;
        }
        total_ns = total_ns
            .checked_add(whole)
            .and_then(|t| t.checked_add(carry))
            .ok_or_else(|| err(OUT_OF_RANGE))?;
        rest = after;
    }
    let mut ms = total_ns / NS_PER_MS;
    if !negative && (!total_ns.is_multiple_of(NS_PER_MS) || sub_ns) {
        ms += 1;
    }
    let ms = i128::try_from(ms).map_err(|_| err(OUT_OF_RANGE))?;
    let ms = if negative { -ms } else { ms };
    i64::try_from(ms).map_err(|_| err(OUT_OF_RANGE))
}

/// Format milliseconds as a Go duration string ("1h30m0s", "250ms", "0s") that parse_duration_ms reads back exactly.
pub fn format_duration_ms(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let mag = ms.unsigned_abs();
    if mag == 0 {
        return "0s".to_owned();
    }
    if mag < 1000 {
        return format!("{sign}{mag}ms");
    }
    let secs = mag / 1000;
    let frac = mag % 1000;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::with_capacity(24);
    out.push_str(sign);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        let digits = format!("{frac:03}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// A non-negative duration in milliseconds, deserialized from a Go duration string such as `90s` (a bare `0` is also accepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(pub i64);

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration_ms(self.0))
    }
}

const BARE_NUMBER: &str = "expected a Go duration such as 90s or 5m";

struct GoDurationVisitor;

impl GoDurationVisitor {
    fn bare<E: serde::de::Error>(is_zero: bool, shown: &dyn fmt::Display) -> Result<GoDuration, E> {
        if is_zero {
            Ok(GoDuration(0))
        } else {
            Err(E::custom(format!(
                "invalid duration {shown}: {BARE_NUMBER} (a bare number has no unit)"
            )))
        }
    }
}

impl serde::de::Visitor<'_> for GoDurationVisitor {
    type Value = GoDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(BARE_NUMBER)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<GoDuration, E> {
        let ms = parse_duration_ms(v).map_err(E::custom)?;
        if ms < 0 {
            return Err(E::custom(DurationError::new(v, "must not be negative")));
        }
        Ok(GoDuration(ms))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<GoDuration, E> {
        Self::bare(v == 0, &v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<GoDuration, E> {
        Self::bare(v == 0, &v)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<GoDuration, E> {
        Self::bare(v == 0.0, &v)
    }
}

impl<'de> serde::Deserialize<'de> for GoDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<GoDuration, D::Error> {
        deserializer.deserialize_any(GoDurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> i64 {
        match parse_duration_ms(s) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(p("90s"), 90_000);
        assert_eq!(p("5m"), 300_000);
        assert_eq!(p("1h30m"), 5_400_000);
        assert_eq!(p("250ms"), 250);
        assert_eq!(p("1.5h"), 5_400_000);
        assert_eq!(p("-2s"), -2000);
        assert_eq!(p("+2s"), 2000);
        assert_eq!(p("0"), 0);
        assert_eq!(p("-0"), 0);
        assert_eq!(p("0s"), 0);
        assert_eq!(p(".5s"), 500);
        assert_eq!(p("5.s"), 5000);
        assert_eq!(p("1h1m1s1ms"), 3_661_001);
        assert_eq!(p("2000us"), 2);
        assert_eq!(p("2000\u{b5}s"), 2);
        assert_eq!(p("2000\u{3bc}s"), 2);
        assert_eq!(p("3000000ns"), 3);
        assert_eq!(p("1s1s"), 2000);
    }

    #[test]
    fn rounds_toward_positive_infinity() {
        assert_eq!(p("1ns"), 1);
        assert_eq!(p("1.0001ms"), 2);
        assert_eq!(p("0.0000000000001ns"), 1);
        assert_eq!(p("-1ns"), 0);
        assert_eq!(p("-1.5ms"), -1);
        assert_eq!(p("0.000s"), 0);
    }

    #[test]
    fn rejects_bad_input() {
        for s in [
            "", "5", "5 m", "1x", "h", ".s", "-", "+", "--1s", " 1s", "1s ", "1.2.3s", "1h5", "s5",
            "0x", "00", "1S", "µ",
        ] {
            assert!(parse_duration_ms(s).is_err(), "{s:?} should be rejected");
        }
        assert!(parse_duration_ms("9999999999999999999999999999999999999999h").is_err());
        assert!(parse_duration_ms("3000000000000000h").is_err());
        assert_eq!(
            parse_duration_ms("5 min").unwrap_err().to_string(),
            "invalid duration \"5 min\": unknown unit \" min\" (expected ns, us, \u{b5}s, ms, s, m or h)"
        );
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration_ms(0), "0s");
        assert_eq!(format_duration_ms(250), "250ms");
        assert_eq!(format_duration_ms(-250), "-250ms");
        assert_eq!(format_duration_ms(1500), "1.5s");
        assert_eq!(format_duration_ms(90_000), "1m30s");
        assert_eq!(format_duration_ms(5_400_000), "1h30m0s");
        assert_eq!(format_duration_ms(3_600_250), "1h0m0.25s");
        assert_eq!(format_duration_ms(1001), "1.001s");
        for v in [i64::MIN, i64::MAX, -1, 1, 999, 1000, 59_999, 60_000] {
            assert_eq!(p(&format_duration_ms(v)), v);
        }
    }

    #[derive(serde::Deserialize, Debug)]
    struct Cfg {
        d: GoDuration,
    }

    fn yaml(s: &str) -> Result<GoDuration, String> {
        crate::yaml::from_str::<Cfg>(s)
            .map(|c| c.d)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn deserializes() {
        assert_eq!(yaml("d: 90s"), Ok(GoDuration(90_000)));
        assert_eq!(yaml("d: \"1h30m\""), Ok(GoDuration(5_400_000)));
        assert_eq!(yaml("d: 0"), Ok(GoDuration(0)));
        let e = yaml("d: 30").unwrap_err();
        assert!(
            e.contains("expected a Go duration such as 90s or 5m"),
            "{e}"
        );
        let e = yaml("d: -5s").unwrap_err();
        assert!(e.contains("must not be negative"), "{e}");
        let e = yaml("d: 5 min").unwrap_err();
        assert!(e.contains("invalid duration \"5 min\""), "{e}");
        assert_eq!(GoDuration(90_000).to_string(), "1m30s");
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in ".*") {
            let _ = parse_duration_ms(&s);
        }

        #[test]
        fn duration_like_strings_never_panic(s in "[+-]?([0-9]{0,22}\\.?[0-9]{0,22}(ns|us|µs|μs|ms|s|m|h|x)?){0,4}") {
            if let Ok(ms) = parse_duration_ms(&s) {
                prop_assert_eq!(parse_duration_ms(&format_duration_ms(ms)), Ok(ms));
            }
        }

        #[test]
        fn format_round_trips(ms in any::<i64>()) {
            prop_assert_eq!(parse_duration_ms(&format_duration_ms(ms)), Ok(ms));
        }
    }
}
