//! Simulated time: integer milliseconds since the start of the run.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in simulated time, in milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub i64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any run ends.
    pub const NEVER: SimTime = SimTime(i64::MAX);

    /// From milliseconds.
    pub const fn from_ms(ms: i64) -> SimTime {
        SimTime(ms)
    }

    /// From whole seconds.
    pub const fn from_secs(s: i64) -> SimTime {
        SimTime(s * 1000)
    }

    /// Milliseconds since the start.
    pub const fn ms(self) -> i64 {
        self.0
    }

    /// Seconds since the start, as a float (for statistics only, never for ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This time plus `ms` milliseconds, saturating at [`SimTime::NEVER`].
    pub fn plus_ms(self, ms: i64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
}

impl Add<i64> for SimTime {
    type Output = SimTime;
    fn add(self, ms: i64) -> SimTime {
        self.plus_ms(ms)
    }
}

impl Sub for SimTime {
    type Output = i64;
    fn sub(self, rhs: SimTime) -> i64 {
        self.0 - rhs.0
    }
}

/// Seconds with millisecond precision, as every output file prints times: `12.345`.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        let sign = if ms < 0 { "-" } else { "" };
        let abs = ms.unsigned_abs();
        write!(f, "{sign}{}.{:03}", abs / 1000, abs % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_seconds_with_millis() {
        assert_eq!(SimTime(0).to_string(), "0.000");
        assert_eq!(SimTime(12_345).to_string(), "12.345");
        assert_eq!(SimTime(-5).to_string(), "-0.005");
        assert_eq!(SimTime::from_secs(90).to_string(), "90.000");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::NEVER + 5, SimTime::NEVER);
        assert_eq!(SimTime(10) - SimTime(4), 6);
    }
}
