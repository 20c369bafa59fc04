//! Kubernetes resource quantities (`cpu: 500m`, `memory: 1.5Gi`).
//!
//! The accepted syntax, the suffix table and the round-up-to-milli rule follow
//! `staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go` and
//! `staging/src/k8s.io/apimachinery/pkg/api/resource/suffix.go`.
//! Values are held exactly as integer milli-units in an `i128`; parsing rounds
//! toward +infinity to the nearest milli-unit (`0.1m` -> `1m`, `1n` -> `1m`).

use std::fmt;
use std::str::FromStr;

/// A Kubernetes quantity stored as integer milli-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    milli: i128,
}

/// Error returned when a string is not a valid quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantityError {
    input: String,
    reason: &'static str,
}

impl QuantityError {
    fn new(input: &str, reason: &'static str) -> QuantityError {
        QuantityError {
            input: input.to_owned(),
            reason,
        }
    }

    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why the text was rejected.
    pub fn reason(&self) -> &str {
        self.reason
    }
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid quantity {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for QuantityError {}

const OUT_OF_RANGE: &str = "value out of range";

/// Splits a suffix into (power of two, power of ten).
fn parse_suffix(suffix: &str) -> Result<(u32, i64), &'static str> {
    Ok(match suffix {
        "" => (0, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        _ => {
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))
                .ok_or("unknown suffix (expected n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)")?;
            (0, parse_exponent(exp)?)
        }
    })
}

/// Parses the signed integer after `e`/`E`.
fn parse_exponent(s: &str) -> Result<i64, &'static str> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("exponent must be an integer, as in 129e6 or 12e-3");
    }
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or("exponent out of range")?;
    }
    Ok(if negative { -v } else { v })
}

impl Quantity {
    /// The zero quantity.
    pub const ZERO: Quantity = Quantity { milli: 0 };

    /// A quantity of `milli` thousandths of a unit.
    pub const fn from_milli(milli: i128) -> Quantity {
        Quantity { milli }
    }

    /// A quantity of whole `units`, saturating at the `i128` milli range.
    pub const fn from_units(units: i128) -> Quantity {
        Quantity {
            milli: units.saturating_mul(1000),
        }
    }

    /// The value in milli-units.
    pub const fn milli(self) -> i128 {
        self.milli
    }

    /// Parses the Kubernetes quantity syntax, e.g. `500m`, `2`, `1.5Gi`, `129e6`.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        parse_milli(s)
            .map(Quantity::from_milli)
            .map_err(|reason| QuantityError::new(s, reason))
    }

    /// Whole units rounded up (upstream Quantity.Value()): "1.5" -> 2, "500m" -> 1, "-500m" -> 0.
    pub const fn value_ceil(self) -> i128 {
        let q = self.milli.div_euclid(1000);
        if self.milli.rem_euclid(1000) != 0 {
            q + 1
        } else {
            q
        }
    }

    /// The value in milli-units (used for cpu), or `None` if it does not fit an `i64`.
    pub fn as_milli_i64(self) -> Option<i64> {
        i64::try_from(self.milli).ok()
    }

    /// The value in whole units rounded up (used for memory and counts), or `None` if it does not fit an `i64`.
    pub fn as_units_i64(self) -> Option<i64> {
        i64::try_from(self.value_ceil()).ok()
    }
}

/// An amount of the resource `name` as upstream prints a quantity: cpu in cores or
/// millicores (`1`, `1500m`), other resources with the largest binary suffix that divides
/// them (`512Mi`, `3Gi`), else as a plain number.
pub fn format_amount(name: &str, value: i64) -> String {
    if name == crate::api::resources::names::CPU {
        return if value % 1000 == 0 {
            (value / 1000).to_string()
        } else {
            format!("{value}m")
        };
    }
    for (shift, suffix) in [
        (60, "Ei"),
        (50, "Pi"),
        (40, "Ti"),
        (30, "Gi"),
        (20, "Mi"),
        (10, "Ki"),
    ] {
        let unit = 1i64 << shift;
        if value != 0 && value % unit == 0 {
            return format!("{}{suffix}", value / unit);
        }
    }
    value.to_string()
}

/// A value in milli-units as upstream prints a decimal quantity (`DecimalSI`): `500m`, `2`,
/// `10k`, `3M`; it parses back to the same milli-units.
pub fn format_milli(milli: i64) -> String {
    if milli % 1000 != 0 {
        return format!("{milli}m");
    }
    let units = milli / 1000;
    for (pow, suffix) in [
        (18, "E"),
        (15, "P"),
        (12, "T"),
        (9, "G"),
        (6, "M"),
        (3, "k"),
    ] {
        let unit = 10i64.pow(pow);
        if units != 0 && units % unit == 0 {
            return format!("{}{suffix}", units / unit);
        }
    }
    units.to_string()
}

/// Core parser: returns milli-units rounded toward +infinity.
fn parse_milli(s: &str) -> Result<i128, &'static str> {
    if s.is_empty() {
        return Err("empty string");
    }
    let (negative, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let num_len = rest
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at_checked(num_len).ok_or("expected a number")?;
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if frac_part.contains('.') {
        return Err("more than one decimal point");
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return Err("expected a number, optionally followed by a suffix such as m, Ki or Gi");
    }
    let (pow2, pow10) = parse_suffix(suffix)?;

    let digits = || {
        int_part
            .bytes()
            .chain(frac_part.bytes())
            .map(|b| u128::from(b - b'0'))
    };
    if digits().all(|d| d == 0) {
        return Ok(0);
    }
    let total_digits = int_part.len() + frac_part.len();
    let frac_len = i64::try_from(frac_part.len()).map_err(|_| OUT_OF_RANGE)?;
    // value * 1000 = D * 2^pow2 * 10^e10, where D is all mantissa digits as an integer.
    let e10 = pow10
        .checked_add(3)
        .and_then(|e| e.checked_sub(frac_len))
        .ok_or(OUT_OF_RANGE)?;
    let base: u128 = 1u128 << pow2;

    let accumulate = |acc: Option<u128>, d: u128| acc?.checked_mul(10)?.checked_add(d);
    let (magnitude, inexact) = if e10 >= 0 {
        let exp = u32::try_from(e10).map_err(|_| OUT_OF_RANGE)?;
        let mag = digits()
            .try_fold(0u128, |acc, d| accumulate(Some(acc), d))
            .and_then(|d| d.checked_mul(base))
            .and_then(|d| d.checked_mul(10u128.checked_pow(exp)?))
            .ok_or(OUT_OF_RANGE)?;
        (mag, false)
    } else {
        // The last `n` digits sit behind the milli point. Multiply that fraction by
        // `base` digit by digit from the right; `carry` stays below `base`.
        let n = e10.unsigned_abs();
        let low_len = usize::try_from(n).map_or(total_digits, |n| n.min(total_digits));
        let high_len = total_digits - low_len;
        let mut carry: u128 = 0;
        let mut inexact = false;
        for d in digits().rev().take(low_len) {
            let t = d * base + carry;
            inexact |= !t.is_multiple_of(10);
            carry = t / 10;
        }
        // Virtual leading zeros of the fraction: carry reaches 0 within 20 steps.
        let extra = n.saturating_sub(total_digits as u64).min(40);
        for _ in 0..extra {
            inexact |= !carry.is_multiple_of(10);
            carry /= 10;
        }
        let high = digits()
            .take(high_len)
            .try_fold(0u128, |acc, d| accumulate(Some(acc), d))
            .ok_or(OUT_OF_RANGE)?;
        let mag = high
            .checked_mul(base)
            .and_then(|h| h.checked_add(carry))
            .ok_or(OUT_OF_RANGE)?;
        (mag, inexact)
    };

    if negative {
        // Rounding toward +infinity truncates a negative value.
        0i128.checked_sub_unsigned(magnitude).ok_or(OUT_OF_RANGE)
    } else {
        let mag = magnitude
            .checked_add(u128::from(inexact))
            .ok_or(OUT_OF_RANGE)?;
        i128::try_from(mag).map_err(|_| OUT_OF_RANGE)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    /// Whole units when exact (`2`), otherwise milli-units (`500m`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli % 1000 == 0 {
            write!(f, "{}", self.milli / 1000)
        } else {
            write!(f, "{}m", self.milli)
        }
    }
}

struct QuantityVisitor;

impl QuantityVisitor {
    fn units<E: serde::de::Error>(units: i128, shown: &dyn fmt::Display) -> Result<Quantity, E> {
        units
            .checked_mul(1000)
            .map(Quantity::from_milli)
            .ok_or_else(|| E::custom(QuantityError::new(&shown.to_string(), OUT_OF_RANGE)))
    }
}

impl serde::de::Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes quantity such as \"500m\", 2 or \"1Gi\"")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
        Quantity::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
        Self::units(i128::from(v), &v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
        Self::units(i128::from(v), &v)
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Quantity, E> {
        Self::units(v, &v)
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Quantity, E> {
        match i128::try_from(v) {
            Ok(units) => Self::units(units, &v),
            Err(_) => Err(E::custom(QuantityError::new(&v.to_string(), OUT_OF_RANGE))),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
        // Rust's `Display` for f64 is plain decimal (never exponent notation).
        let text = v.to_string();
        if !v.is_finite() {
            return Err(E::custom(QuantityError::new(&text, "not a finite number")));
        }
        Quantity::parse(&text).map_err(E::custom)
    }
}

impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> i128 {
        match Quantity::parse(s) {
            Ok(q) => q.milli(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn parses_upstream_examples() {
        assert_eq!(m("500m"), 500);
        assert_eq!(m("2"), 2000);
        assert_eq!(m("1.5Gi"), 1_610_612_736_000);
        assert_eq!(m("2e3"), 2_000_000);
        assert_eq!(m("12e-3"), 12);
        assert_eq!(m("128974848"), 128_974_848_000);
        assert_eq!(m("129e6"), 129_000_000_000);
        assert_eq!(m("129M"), 129_000_000_000);
        assert_eq!(m("123Mi"), 123 * 1024 * 1024 * 1000);
        assert_eq!(m("1Ki"), 1_024_000);
        assert_eq!(m("0"), 0);
        assert_eq!(m("-1"), -1000);
        assert_eq!(m("+1.5"), 1500);
        assert_eq!(m(".5"), 500);
        assert_eq!(m("5."), 5000);
        assert_eq!(m("1E"), 1_000_000_000_000_000_000_000);
        assert_eq!(m("1E3"), 1_000_000);
        assert_eq!(m("1e+3"), 1_000_000);
        assert_eq!(m("8Ei"), 8 * (1i128 << 60) * 1000);
        assert_eq!(m("100u"), 1);
        assert_eq!(m("0e999999999"), 0);
        assert_eq!(m("-0"), 0);
    }

    #[test]
    fn format_milli_prints_decimal_quantities_as_upstream_does() {
        for (milli, want) in [
            (500, "500m"),
            (1500, "1500m"),
            (2000, "2"),
            (0, "0"),
            (120_000, "120"),
            (10_000_000, "10k"),
            (3_000_000_000, "3M"),
            (-2000, "-2"),
        ] {
            assert_eq!(format_milli(milli), want);
            assert_eq!(m(want), i128::from(milli));
        }
    }

    #[test]
    fn rounds_toward_positive_infinity() {
        assert_eq!(m("0.1m"), 1);
        assert_eq!(m("1n"), 1);
        assert_eq!(m("1e-300"), 1);
        assert_eq!(m("1.0001"), 1001);
        assert_eq!(m("0.5Ki"), 512_000);
        assert_eq!(m("0.001Ki"), 1024);
        assert_eq!(m("0.0001Ki"), 103);
        assert_eq!(m("-0.1m"), 0);
        assert_eq!(m("-1.5m"), -1);
        assert_eq!(m("-1e-300"), 0);
        assert_eq!(m("1.000000000000000000000000000000000000000000001"), 1001);
    }

    #[test]
    fn rejects_bad_syntax() {
        for s in [
            "", " ", " 1", "1 ", "1..5", "Gi", "1Gb", "1.5.5", "e3", "1e", "--1", "+-1", ".", "-",
            "1K", "1ki", "1e3.5", "1e-", "1Gi5", "1mi", "١",
        ] {
            assert!(Quantity::parse(s).is_err(), "{s:?} should be rejected");
        }
        assert!(Quantity::parse("1e40").is_err());
        assert!(Quantity::parse("1e99999999999999999999").is_err());
        assert!(Quantity::parse(&"9".repeat(60)).is_err());
    }

    #[test]
    fn error_display() {
        let e = Quantity::parse("1..5").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid quantity \"1..5\": more than one decimal point"
        );
        assert_eq!(e.input(), "1..5");
    }

    #[test]
    fn range_edges() {
        let max = Quantity::from_milli(i128::MAX);
        assert_eq!(Quantity::parse(&max.to_string()), Ok(max));
        let min = Quantity::from_milli(i128::MIN);
        assert_eq!(Quantity::parse(&min.to_string()), Ok(min));
        assert!(Quantity::parse("170141183460469231731687303715884105728m").is_err());
        assert_eq!(Quantity::from_units(i128::MAX).milli(), i128::MAX);
        // Exabytes fit comfortably.
        assert_eq!(m("16Ei"), 16 * (1i128 << 60) * 1000);
    }

    #[test]
    fn conversions() {
        assert_eq!(Quantity::from_milli(1500).value_ceil(), 2);
        assert_eq!(Quantity::from_milli(500).value_ceil(), 1);
        assert_eq!(Quantity::from_milli(-500).value_ceil(), 0);
        assert_eq!(Quantity::from_milli(-1500).value_ceil(), -1);
        assert_eq!(Quantity::from_milli(2000).value_ceil(), 2);
        assert_eq!(
            Quantity::from_milli(i128::MAX).value_ceil(),
            i128::MAX / 1000 + 1
        );
        assert_eq!(Quantity::from_milli(250).as_milli_i64(), Some(250));
        assert_eq!(Quantity::from_milli(1001).as_units_i64(), Some(2));
        assert_eq!(Quantity::from_units(1i128 << 70).as_units_i64(), None);
        assert_eq!(Quantity::from_milli(1i128 << 70).as_milli_i64(), None);
        assert_eq!("3".parse::<Quantity>(), Ok(Quantity::from_units(3)));
    }

    #[test]
    fn display() {
        assert_eq!(Quantity::from_milli(500).to_string(), "500m");
        assert_eq!(Quantity::from_milli(2000).to_string(), "2");
        assert_eq!(Quantity::from_milli(-1500).to_string(), "-1500m");
        assert_eq!(Quantity::ZERO.to_string(), "0");
    }

    #[derive(serde::Deserialize, Debug)]
    struct Res {
        cpu: Quantity,
        memory: Quantity,
    }

    fn yaml(s: &str) -> Result<Res, String> {
        crate::yaml::from_str::<Res>(s).map_err(|e| e.to_string())
    }

    #[test]
    fn deserializes_strings_integers_and_floats() {
        let r = yaml("cpu: 500m\nmemory: 1Gi\n").unwrap();
        assert_eq!(r.cpu.milli(), 500);
        assert_eq!(r.memory.milli(), (1i128 << 30) * 1000);
        let r = yaml("cpu: 2\nmemory: 128974848\n").unwrap();
        assert_eq!(r.cpu.milli(), 2000);
        assert_eq!(r.memory.milli(), 128_974_848_000);
        let r = yaml("cpu: 0.5\nmemory: \"129e6\"\n").unwrap();
        assert_eq!(r.cpu.milli(), 500);
        assert_eq!(r.memory.milli(), 129_000_000_000);
        let r = yaml("cpu: 0.0001\nmemory: -1\n").unwrap();
        assert_eq!(r.cpu.milli(), 1);
        assert_eq!(r.memory.milli(), -1000);
        let err = yaml("cpu: 1..5\nmemory: 1\n").unwrap_err();
        assert!(err.contains("invalid quantity \"1..5\""), "{err}");
        assert!(yaml("cpu: .inf\nmemory: 1\n").is_err());
        assert!(yaml("cpu: [1]\nmemory: 1\n").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in ".*") {
            let _ = Quantity::parse(&s);
        }

        #[test]
        fn quantity_like_strings_never_panic(
            s in "[+-]?[0-9]{0,45}\\.?[0-9]{0,45}([eE][+-]?[0-9]{0,25}|[numkMGTPE]|[KMGTPE]i)?"
        ) {
            if let Ok(q) = Quantity::parse(&s) {
                prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q));
            }
        }

        #[test]
        fn format_milli_round_trips(milli in any::<i64>()) {
            prop_assert_eq!(m(&format_milli(milli)), i128::from(milli));
        }

        #[test]
        fn display_round_trips(milli in any::<i128>()) {
            let q = Quantity::from_milli(milli);
            prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q));
        }

        #[test]
        fn small_decimals_match_integer_math(
            units in -1_000_000i64..1_000_000,
            frac in 0u32..1000,
        ) {
            let s = format!("{units}.{frac:03}");
            let sign = if s.starts_with('-') { -1 } else { 1 };
            let expect = i128::from(units) * 1000 + sign * i128::from(frac);
            prop_assert_eq!(m(&s), expect);
        }
    }
}
