//! Time formats of the Jottacloud protocol (spec section 6).
//!
//! The store keeps every time as whole seconds since the Unix epoch, because the
//! service has 1-second precision (6.2): truncating once on the way in means every
//! later comparison and every rendering agrees.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// Milliseconds since the epoch, now (token bookkeeping, logs).
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

struct Parts {
    year: i16,
    month: i8,
    day: i8,
    hour: i8,
    minute: i8,
    second: i8,
    weekday: usize,
}

fn parts(secs: i64) -> Parts {
    let ts = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
    let z = ts.to_zoned(TimeZone::UTC);
    Parts {
        year: z.year(),
        month: z.month(),
        day: z.day(),
        hour: z.hour(),
        minute: z.minute(),
        second: z.second(),
        weekday: z.weekday().to_sunday_zero_offset() as usize,
    }
}

/// JottaTime as the JFS XML emits it: `2006-01-02-T15:04:05Z`, always UTC,
/// never a colon offset (Go's parser rejects `+hh:mm` in this layout).
pub fn jotta(secs: i64) -> String {
    let p = parts(secs);
    format!("{:04}-{:02}-{:02}-T{:02}:{:02}:{:02}Z", p.year, p.month, p.day, p.hour, p.minute, p.second)
}

/// RFC 3339 UTC with three fractional digits, the liststream format (4.5).
pub fn rfc3339_ms(secs: i64) -> String {
    let p = parts(secs);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z", p.year, p.month, p.day, p.hour, p.minute, p.second)
}

/// RFC 7231 date for `Last-Modified`.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let p = parts(secs);
    let month = MONTHS.get((p.month as usize).saturating_sub(1)).copied().unwrap_or("Jan");
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS.get(p.weekday).copied().unwrap_or("Sun"),
        p.day,
        month,
        p.year,
        p.hour,
        p.minute,
        p.second
    )
}

/// Parse a JottaTime (`cphash` headers): `-T` separator, offset `Z`, `+hhmm` or
/// `+hh:mm`, optional fraction, any year including 0001. Returns truncated seconds.
/// `Ok(None)` for an empty value (an empty element means "unknown").
pub fn parse_jotta(s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    // Normalise to RFC 3339: drop the '-' before 'T'.
    let mut norm = if s.len() > 11 && s.as_bytes().get(10) == Some(&b'-') {
        format!("{}{}", &s[..10], &s[11..])
    } else {
        s.to_string()
    };
    // Insert a colon into a `+hhmm` / `-hhmm` offset.
    let b = norm.as_bytes();
    if b.len() > 5 {
        let sign = b[b.len() - 5];
        if (sign == b'+' || sign == b'-') && b[b.len() - 4..].iter().all(u8::is_ascii_digit) {
            let at = norm.len() - 2;
            norm.insert(at, ':');
        }
    }
    parse_rfc3339(&norm).map(Some)
}

/// Parse an RFC 3339 time (allocate `created`/`modified`), leniently: with or
/// without fraction, or epoch milliseconds as digits. Returns truncated seconds.
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        let ms: i64 = s.parse().map_err(|_| format!("bad time {s:?}"))?;
        return Ok(ms.div_euclid(1000));
    }
    let ts: Timestamp = s.parse().map_err(|e| format!("bad time {s:?}: {e}"))?;
    Ok(ts.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(jotta(0), "1970-01-01-T00:00:00Z");
        assert_eq!(rfc3339_ms(86400), "1970-01-02T00:00:00.000Z");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn parses_jotta_variants() {
        let utc = parse_jotta("2023-06-01-T12:00:00Z").unwrap().unwrap();
        assert_eq!(parse_jotta("2023-06-01-T14:00:00+0200").unwrap(), Some(utc));
        assert_eq!(parse_jotta("2023-06-01-T14:00:00+02:00").unwrap(), Some(utc));
        assert_eq!(parse_jotta("2023-06-01-T12:00:00.999Z").unwrap(), Some(utc));
        let zero = parse_jotta("0001-01-01-T00:00:00Z").unwrap().unwrap();
        assert_eq!(jotta(zero), "0001-01-01-T00:00:00Z");
        assert_eq!(parse_jotta("").unwrap(), None);
        assert!(parse_jotta("yesterday").is_err());
    }
}
