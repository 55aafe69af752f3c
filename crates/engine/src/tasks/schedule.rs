//! Schedules: when a task is due. Pure functions (the clock and the time
//! zone are arguments) so the rules are unit-tested without waiting; the
//! loop that acts on them is [`super::scheduler`].
//!
//! A task's next run is computed from its *anchor*: the last time it was
//! started (by hand, by "Sync all now" or by the schedule) or, before that,
//! when its schedule was set. Missed runs therefore catch up once: after a
//! week switched off, a daily task is due at start, runs once, and its next
//! run is the next HH:MM after that run.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// How often a task runs by itself. The JSON shape is the app's
/// (`{"type":"hourly","hours":6}`, `{"type":"daily","time":"07:30"}`), so
/// the app's tasks convert without a change of format.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Schedule {
    /// Every `hours` hours after the last run.
    #[serde(rename_all = "camelCase")]
    Hourly {
        /// 1 to 168.
        hours: u32,
    },
    /// Every `minutes` minutes after the last run: what a two-way sync
    /// task made in the app gets until continuous mode watches it.
    #[serde(rename_all = "camelCase")]
    Minutes {
        /// 5 to 1440 (a day): the scheduler looks every 20 s, and a
        /// shorter interval would mostly re-list unchanged folders.
        minutes: u32,
    },
    /// Continuously: a two-way sync whose folder is watched for changes
    /// and whose storage folder is looked at every `poll_seconds`; never
    /// due by the clock ([`super::scheduler`] keeps its watcher instead).
    #[serde(rename_all = "camelCase")]
    Continuous {
        /// 10 to 3600: how often the storage is asked whether something
        /// changed there (the folder itself is watched, not polled).
        poll_seconds: u32,
    },
    /// Every day at `time` (`HH:MM`, local time).
    #[serde(rename_all = "camelCase")]
    Daily {
        /// `HH:MM`, 24-hour clock.
        time: String,
    },
}

/// A schedule a user typed that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The interval is outside 1 to 168 hours.
    #[error("the interval must be 1 to 168 hours (a week)")]
    Interval,
    /// The interval is outside 5 to 1440 minutes.
    #[error("the interval must be 5 to 1440 minutes (a day)")]
    Minutes,
    /// The time of day is not `HH:MM`.
    #[error("{0:?} is not a time like 07:30")]
    Time(String),
    /// The storage's check interval is outside 10 s to an hour.
    #[error("the storage is checked every 10 seconds to 1 hour")]
    PollInterval,
    /// Only a two-way sync watches its folders.
    #[error("only a two-way sync can run continuously; give this task a schedule instead")]
    NotTwoWay,
    /// A mount is kept mounted, not run at times.
    #[error("a mount has no schedule: it stays mounted while Fjordsync runs")]
    Mount,
    /// The interval is not a duration in hours or days.
    #[error("{0:?} is not an interval like 6h or 1d (whole hours, 1h to 7d)")]
    Duration(String),
}

const HOUR_MS: i64 = 3_600_000;

impl Schedule {
    /// Checks the values a user typed.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        match self {
            Schedule::Hourly { hours } if (1..=168).contains(hours) => Ok(()),
            Schedule::Hourly { .. } => Err(ScheduleError::Interval),
            Schedule::Minutes { minutes } if (5..=1440).contains(minutes) => Ok(()),
            Schedule::Minutes { .. } => Err(ScheduleError::Minutes),
            Schedule::Continuous { poll_seconds } if (10..=3600).contains(poll_seconds) => Ok(()),
            Schedule::Continuous { .. } => Err(ScheduleError::PollInterval),
            Schedule::Daily { time } => parse_hhmm(time).map(|_| ()),
        }
    }

    /// `--every`: `6h` or `1d` (`N` hours or days). Whole hours only,
    /// because that is what the schedule keeps (and what the app offers).
    pub fn every(s: &str) -> Result<Schedule, ScheduleError> {
        let t = s.trim();
        let bad = || ScheduleError::Duration(s.to_string());
        let (num, hours_per) = match t.char_indices().last() {
            Some((i, 'h')) => (&t[..i], 1),
            Some((i, 'd')) => (&t[..i], 24),
            _ => return Err(bad()),
        };
        let n: u32 = num.trim().parse().map_err(|_| bad())?;
        let schedule = Schedule::Hourly { hours: n.checked_mul(hours_per).ok_or_else(bad)? };
        schedule.validate()?;
        Ok(schedule)
    }

    /// `--daily HH:MM`.
    pub fn daily(s: &str) -> Result<Schedule, ScheduleError> {
        let (h, m) = parse_hhmm(s)?;
        Ok(Schedule::Daily { time: format!("{h:02}:{m:02}") })
    }

    /// The nominal interval (a day for daily schedules, the storage's
    /// check interval for continuous ones), in milliseconds.
    pub fn interval_ms(&self) -> i64 {
        match self {
            Schedule::Hourly { hours } => i64::from(*hours) * HOUR_MS,
            Schedule::Minutes { minutes } => i64::from(*minutes) * 60_000,
            Schedule::Continuous { poll_seconds } => i64::from(*poll_seconds) * 1000,
            Schedule::Daily { .. } => 24 * HOUR_MS,
        }
    }

    /// True for [`Schedule::Continuous`]: watched, not timed.
    pub fn is_continuous(&self) -> bool {
        matches!(self, Schedule::Continuous { .. })
    }

    /// Checks the values and that the schedule suits a task of `kind`
    /// (only a two-way sync runs continuously).
    pub fn validate_for(&self, kind: super::model::JobKind) -> Result<(), ScheduleError> {
        self.validate()?;
        if kind == super::model::JobKind::Mount {
            return Err(ScheduleError::Mount);
        }
        if self.is_continuous() && kind != super::model::JobKind::Bisync {
            return Err(ScheduleError::NotTwoWay);
        }
        Ok(())
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Hourly { hours: 1 } => write!(f, "every hour"),
            Schedule::Hourly { hours } => write!(f, "every {hours} hours"),
            Schedule::Minutes { minutes } => write!(f, "every {minutes} minutes"),
            Schedule::Continuous { poll_seconds } => {
                write!(f, "continuously (the storage checked every {})", seconds_in_words(*poll_seconds))
            }
            Schedule::Daily { time } => write!(f, "daily at {time}"),
        }
    }
}

/// `30` as "30 s", `120` as "2 min", `90` as "90 s".
fn seconds_in_words(s: u32) -> String {
    if s >= 60 && s.is_multiple_of(60) { format!("{} min", s / 60) } else { format!("{s} s") }
}

/// `"07:30"` as (7, 30).
pub fn parse_hhmm(s: &str) -> Result<(i8, i8), ScheduleError> {
    let bad = || ScheduleError::Time(s.to_string());
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok((h, m))
}

/// The first time (Unix ms) after `anchor_ms` the schedule wants a run.
pub fn next_run_ms(schedule: &Schedule, anchor_ms: i64, tz: &TimeZone) -> Option<i64> {
    match schedule {
        Schedule::Hourly { .. } | Schedule::Minutes { .. } => Some(anchor_ms.saturating_add(schedule.interval_ms())),
        Schedule::Continuous { .. } => None,
        Schedule::Daily { time } => {
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
pub fn is_due(schedule: &Schedule, anchor_ms: i64, now_ms: i64, tz: &TimeZone) -> bool {
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
        let s = Schedule::Hourly { hours: 6 };
        let a = ms("2026-03-01T10:00", &tz);
        assert_eq!(next_run_ms(&s, a, &tz), Some(ms("2026-03-01T16:00", &tz)));
        assert!(!is_due(&s, a, ms("2026-03-01T15:59", &tz), &tz));
        assert!(is_due(&s, a, ms("2026-03-01T16:00", &tz), &tz));
    }

    #[test]
    fn minutes_are_due_interval_after_the_anchor() {
        let tz = TimeZone::UTC;
        let s = Schedule::Minutes { minutes: 15 };
        let a = ms("2026-03-01T10:00", &tz);
        assert_eq!(next_run_ms(&s, a, &tz), Some(ms("2026-03-01T10:15", &tz)));
        assert!(s.validate().is_ok());
        assert_eq!(Schedule::Minutes { minutes: 4 }.validate(), Err(ScheduleError::Minutes));
        assert_eq!(Schedule::Minutes { minutes: 1441 }.validate(), Err(ScheduleError::Minutes));
        assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!({"type": "minutes", "minutes": 15}));
        assert_eq!(s.to_string(), "every 15 minutes");
    }

    #[test]
    fn continuous_is_never_due_by_the_clock_and_only_for_two_way_sync() {
        use crate::tasks::model::JobKind;
        let tz = TimeZone::UTC;
        let s = Schedule::Continuous { poll_seconds: 30 };
        assert_eq!(next_run_ms(&s, 0, &tz), None);
        assert!(!is_due(&s, 0, i64::MAX / 2, &tz));
        assert_eq!(s.validate_for(JobKind::Bisync), Ok(()));
        assert_eq!(s.validate_for(JobKind::Sync), Err(ScheduleError::NotTwoWay));
        assert_eq!(Schedule::Continuous { poll_seconds: 9 }.validate(), Err(ScheduleError::PollInterval));
        assert_eq!(Schedule::Continuous { poll_seconds: 3601 }.validate(), Err(ScheduleError::PollInterval));
        assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!({"type": "continuous", "pollSeconds": 30}));
        assert_eq!(s.to_string(), "continuously (the storage checked every 30 s)");
        assert_eq!(
            Schedule::Continuous { poll_seconds: 120 }.to_string(),
            "continuously (the storage checked every 2 min)"
        );
    }

    #[test]
    fn daily_is_the_next_local_time_after_the_anchor() {
        let tz = TimeZone::get("Europe/Oslo").unwrap();
        let s = Schedule::Daily { time: "07:30".into() };
        // Before 07:30: today; after: tomorrow (local time, not UTC).
        assert_eq!(next_run_ms(&s, ms("2026-06-10T06:00", &tz), &tz), Some(ms("2026-06-10T07:30", &tz)));
        assert_eq!(next_run_ms(&s, ms("2026-06-10T07:30", &tz), &tz), Some(ms("2026-06-11T07:30", &tz)));
        // Across the spring DST change the local time stays 07:30.
        assert_eq!(next_run_ms(&s, ms("2026-03-28T08:00", &tz), &tz), Some(ms("2026-03-29T07:30", &tz)));
        // A time inside the DST gap (02:30 does not exist on 29 March) still runs that day.
        let gap = Schedule::Daily { time: "02:30".into() };
        let next = next_run_ms(&gap, ms("2026-03-29T00:00", &tz), &tz).unwrap();
        assert_eq!(Timestamp::from_millisecond(next).unwrap().to_zoned(tz.clone()).date().day(), 29);
    }

    #[test]
    fn missed_runs_catch_up_once() {
        let tz = TimeZone::UTC;
        let s = Schedule::Daily { time: "12:00".into() };
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
        assert!(Schedule::Hourly { hours: 0 }.validate().is_err());
        assert!(Schedule::Hourly { hours: 169 }.validate().is_err());
        assert!(Schedule::Daily { time: "24:00".into() }.validate().is_err());
        assert!(Schedule::Daily { time: "7".into() }.validate().is_err());
        assert!(Schedule::Daily { time: "7:05".into() }.validate().is_ok());
        let json = serde_json::to_value(Schedule::Daily { time: "07:05".into() }).unwrap();
        assert_eq!(json, serde_json::json!({"type": "daily", "time": "07:05"}));
    }

    #[test]
    fn typed_schedules_parse() {
        assert_eq!(Schedule::every("6h"), Ok(Schedule::Hourly { hours: 6 }));
        assert_eq!(Schedule::every("1d"), Ok(Schedule::Hourly { hours: 24 }));
        assert_eq!(Schedule::every("8d"), Err(ScheduleError::Interval));
        for bad in ["30m", "h", "6", "-1h", "1.5h"] {
            assert!(matches!(Schedule::every(bad), Err(ScheduleError::Duration(_))), "{bad}");
        }
        assert_eq!(Schedule::daily("7:05"), Ok(Schedule::Daily { time: "07:05".into() }));
        assert!(Schedule::daily("25:00").is_err());
        assert_eq!(Schedule::Hourly { hours: 6 }.to_string(), "every 6 hours");
    }
}
