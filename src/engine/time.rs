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
        f.write_str(self.format(&mut TimeBuf::default()))
    }
}

/// Room for any [`SimTime`] printed as seconds (`-9223372036854775.808`).
#[derive(Default)]
pub struct TimeBuf([u8; 24]);

impl SimTime {
    /// Prints the time as the output files do (`12.345`) into `buf`, without allocating: the
    /// output writers print millions of times.
    pub fn format(self, buf: &mut TimeBuf) -> &str {
        let abs = self.0.unsigned_abs();
        let mut secs = itoa::Buffer::new();
        let secs = secs.format(abs / 1000).as_bytes();
        let ms = abs % 1000;
        let b = &mut buf.0;
        let mut n = 0;
        if self.0 < 0 {
            b[0] = b'-';
            n = 1;
        }
        b[n..n + secs.len()].copy_from_slice(secs);
        n += secs.len();
        b[n] = b'.';
        b[n + 1] = b'0' + (ms / 100) as u8;
        b[n + 2] = b'0' + (ms / 10 % 10) as u8;
        b[n + 3] = b'0' + (ms % 10) as u8;
        // Only ASCII digits, a sign and a point were written.
        std::str::from_utf8(&b[..n + 4]).unwrap_or_default()
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
        assert_eq!(SimTime(1_912_694).to_string(), "1912.694");
        assert_eq!(SimTime(256).to_string(), "0.256");
        assert_eq!(SimTime(i64::MAX).to_string(), "9223372036854775.807");
        assert_eq!(SimTime(i64::MIN).to_string(), "-9223372036854775.808");
    }

    #[test]
    fn the_fast_format_agrees_with_plain_formatting() {
        let reference = |ms: i64| {
            let abs = ms.unsigned_abs();
            let sign = if ms < 0 { "-" } else { "" };
            format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000i64 {
            // Every millisecond of the first 20 s, then scattered values of every size.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for ms in [i, -i, (x >> (i % 64)) as i64] {
                assert_eq!(SimTime(ms).to_string(), reference(ms), "{ms}");
            }
        }
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::NEVER + 5, SimTime::NEVER);
        assert_eq!(SimTime(10) - SimTime(4), 6);
    }
}
