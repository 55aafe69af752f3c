//! The service's time formats (spec 6.1).
//!
//! * JottaTime (`2006-01-02-T15:04:05Z0700`) in JFS XML and `cphash` headers.
//!   We parse leniently: `Z`, `+hhmm`, `+hh:mm`, optional fraction, plain
//!   RFC 3339 without the extra dash, and an empty string meaning "no time".
//! * RFC 3339 with milliseconds in liststream (parsed by the same function).
//! * RFC 3339 with seconds for allocate (what we send).
//!
//! The service keeps 1-second precision, so formatting truncates.

use jiff::Timestamp;

/// Parse a JottaTime or RFC 3339 value. Empty → `Ok(None)`.
pub fn parse_jotta_time(raw: &str) -> Result<Option<Timestamp>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut t = String::with_capacity(s.len() + 1);
    // Drop the dash before `T` (`2018-07-24-T20:41:10Z`).
    if s.len() > 11 && s.as_bytes()[10] == b'-' && matches!(s.as_bytes()[11], b'T' | b't') {
        t.push_str(&s[..10]);
        t.push_str(&s[11..]);
    } else {
        t.push_str(s);
    }
    // `+hhmm` / `-hhmm` → `+hh:mm` (jiff wants the colon).
    let b = t.as_bytes();
    let n = b.len();
    if n >= 5
        && matches!(b[n - 5], b'+' | b'-')
        && b[n - 4..].iter().all(u8::is_ascii_digit)
        // the sign must be after the time part (position > 'T')
        && t.find(['T', 't']).is_some_and(|p| p < n - 5)
    {
        t.insert(n - 2, ':');
    }
    t.parse::<Timestamp>().map(Some).map_err(|e| format!("bad time {raw:?}: {e}"))
}

/// Truncate to whole seconds, as the service stores times.
pub fn truncate_to_seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// Format as JottaTime in UTC (`2018-07-24-T20:41:10Z`), for `cphash` headers.
pub fn format_jotta_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d-T%H:%M:%SZ").to_string()
}

/// The zero time rclone sends when it has no times (`0001-01-01-T00:00:00Z`).
pub fn zero_jotta_time() -> &'static str {
    "0001-01-01-T00:00:00Z"
}

/// Format as RFC 3339 with whole seconds in UTC, for allocate.
pub fn format_rfc3339_seconds(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> i64 {
        parse_jotta_time(s).unwrap().unwrap().as_second()
    }

    #[test]
    fn jotta_time_variants() {
        let base = p("2018-07-24-T20:41:10Z");
        assert_eq!(base, 1532464870);
        assert_eq!(p("2018-07-24-T22:41:10+0200"), base);
        assert_eq!(p("2018-07-24-T22:41:10+02:00"), base);
        assert_eq!(p("2018-07-24-T20:41:10.123Z"), base);
        assert_eq!(p("2018-07-24T20:41:10.000Z"), base);
        assert_eq!(p("2018-07-24-T19:41:10-0100"), base);
        assert!(parse_jotta_time("").unwrap().is_none());
        assert!(parse_jotta_time("  ").unwrap().is_none());
        assert!(parse_jotta_time("0001-01-01-T00:00:00Z").unwrap().is_some());
        assert!(parse_jotta_time("yesterday").is_err());
        assert!(parse_jotta_time("2018-13-99-T99:00:00Z").is_err());
    }

    #[test]
    fn formats() {
        let t = parse_jotta_time("2023-06-01T12:00:00.700Z").unwrap().unwrap();
        assert_eq!(format_jotta_time(t), "2023-06-01-T12:00:00Z");
        assert_eq!(format_rfc3339_seconds(t), "2023-06-01T12:00:00Z");
        assert_eq!(truncate_to_seconds(t).subsec_nanosecond(), 0);
        let z = parse_jotta_time(zero_jotta_time()).unwrap().unwrap();
        assert_eq!(format_jotta_time(z), zero_jotta_time());
    }
}
