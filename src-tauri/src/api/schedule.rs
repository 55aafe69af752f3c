//! Schedules: when a task is due. Pure functions (the clock and the time
//! zone are arguments) so the rules are unit-tested; the loop that acts on
//! them is [`super::Api::run_scheduler`].
//!
//! A task's next run is computed from its *anchor*: the last time it was
//! started (by hand, by "Sync all now" or by the schedule) or, before that,
//! when its schedule was set. Missed runs therefore catch up once: after a
//! week switched off, a daily task is due at start, runs once, and its next
//! run is the next HH:MM after that run.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// How often a task runs by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ScheduleDto {
    /// Every `hours` hours after the last run.
    #[serde(rename_all = "camelCase")]
    Hourly {
        /// 1 to 168.
        hours: u32,
    },
    /// Every day at `time` (`HH:MM`, local time).
    #[serde(rename_all = "camelCase")]
    Daily {
        /// `HH:MM`, 24-hour clock.
        time: String,
    },
}

const HOUR_MS: i64 = 3_600_000;

impl ScheduleDto {
    /// Checks the values a user typed.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            ScheduleDto::Hourly { hours } if (1..=168).contains(hours) => Ok(()),
            ScheduleDto::Hourly { .. } => Err("the interval must be 1 to 168 hours".into()),
            ScheduleDto::Daily { time } => parse_hhmm(time).map(|_| ()),
        }
    }

    /// The nominal interval (a day for daily schedules), in milliseconds.
    pub fn interval_ms(&self) -> i64 {
        match self {
            ScheduleDto::Hourly { hours } => i64::from(*hours) * HOUR_MS,
            ScheduleDto::Daily { .. } => 24 * HOUR_MS,
        }
    }
}

/// `"07:30"` as (7, 30).
pub fn parse_hhmm(s: &str) -> Result<(i8, i8), String> {
    let bad = || format!("{s:?} is not a time like 07:30");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok((h, m))
}

/// The first time (Unix ms) after `anchor_ms` the schedule wants a run.
pub fn next_run_ms(schedule: &ScheduleDto, anchor_ms: i64, tz: &TimeZone) -> Option<i64> {
    match schedule {
        ScheduleDto::Hourly { .. } => Some(anchor_ms.saturating_add(schedule.interval_ms())),
        ScheduleDto::Daily { time } => {
            let (h, m) = parse_hhmm(time).ok()?;
            let anchor = Timestamp::from_millisecond(anchor_ms).ok()?;
            let mut date = anchor.to_zoned(tz.clone()).date();
            // Today's HH:MM if it is still ahead, else tomorrow's (a DST gap
            // moves the time forward, never skips the day).
            for _ in 0..3 {
                let at = date.at(h, m, 0, 0).to_zoned(tz.clone()).ok()?.timestamp();
                if at > anchor {
                    return Some(at.as_millisecond());
                }
                date = date.tomorrow().ok()?;
            }
            None
        }
    }
}

/// True when the task should start now.
pub fn is_due(schedule: &ScheduleDto, anchor_ms: i64, now_ms: i64, tz: &TimeZone) -> bool {
    next_run_ms(schedule, anchor_ms, tz).is_some_and(|next| now_ms >= next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str, tz: &TimeZone) -> i64 {
        s.parse::<jiff::civil::DateTime>().unwrap().to_zoned(tz.clone()).unwrap().timestamp().as_millisecond()
    }

    #[test]
    fn hourly_is_due_interval_after_the_anchor() {
        let tz = TimeZone::UTC;
        let s = ScheduleDto::Hourly { hours: 6 };
        let a = ms("2026-03-01T10:00", &tz);
        assert_eq!(next_run_ms(&s, a, &tz), Some(ms("2026-03-01T16:00", &tz)));
        assert!(!is_due(&s, a, ms("2026-03-01T15:59", &tz), &tz));
        assert!(is_due(&s, a, ms("2026-03-01T16:00", &tz), &tz));
    }

    #[test]
    fn daily_is_the_next_local_time_after_the_anchor() {
        let tz = TimeZone::get("Europe/Oslo").unwrap();
        let s = ScheduleDto::Daily { time: "07:30".into() };
        // Before 07:30: today; after: tomorrow (local time, not UTC).
        assert_eq!(next_run_ms(&s, ms("2026-06-10T06:00", &tz), &tz), Some(ms("2026-06-10T07:30", &tz)));
        assert_eq!(next_run_ms(&s, ms("2026-06-10T07:30", &tz), &tz), Some(ms("2026-06-11T07:30", &tz)));
        // Across the spring DST change the local time stays 07:30.
        assert_eq!(next_run_ms(&s, ms("2026-03-28T08:00", &tz), &tz), Some(ms("2026-03-29T07:30", &tz)));
        // A time inside the DST gap (02:30 does not exist on 29 March) still runs that day.
        let gap = ScheduleDto::Daily { time: "02:30".into() };
        let next = next_run_ms(&gap, ms("2026-03-29T00:00", &tz), &tz).unwrap();
        assert_eq!(Timestamp::from_millisecond(next).unwrap().to_zoned(tz.clone()).date().day(), 29);
    }

    #[test]
    fn missed_runs_catch_up_once() {
        let tz = TimeZone::UTC;
        let s = ScheduleDto::Daily { time: "12:00".into() };
        // Off for a week: due now...
        let anchor = ms("2026-01-01T13:00", &tz);
        let now = ms("2026-01-08T09:00", &tz);
        assert!(is_due(&s, anchor, now, &tz));
        // ...and once it ran (the anchor moves to now), the next is today's noon, not seven more.
        assert!(!is_due(&s, now, now + 60_000, &tz));
        assert_eq!(next_run_ms(&s, now, &tz), Some(ms("2026-01-08T12:00", &tz)));
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(ScheduleDto::Hourly { hours: 0 }.validate().is_err());
        assert!(ScheduleDto::Hourly { hours: 169 }.validate().is_err());
        assert!(ScheduleDto::Daily { time: "24:00".into() }.validate().is_err());
        assert!(ScheduleDto::Daily { time: "7".into() }.validate().is_err());
        assert!(ScheduleDto::Daily { time: "7:05".into() }.validate().is_ok());
        let json = serde_json::to_value(ScheduleDto::Daily { time: "07:05".into() }).unwrap();
        assert_eq!(json, serde_json::json!({"type": "daily", "time": "07:05"}));
    }
}
