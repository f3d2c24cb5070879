//! `--period`: the audit period a scan attests, parsed and checked against what CloudTrail's
//! event history can tell ("You can look up events that occurred in a Region within the last 90
//! days", <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::model::Period;

/// How far back LookupEvents reaches.
pub const EVENT_HISTORY_DAYS: i64 = 90;
/// The period when none is named: the 30 days ending at the scan.
pub const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "--period '{0}' is not a period: write YYYY-MM for a calendar month (UTC), or START..END \
         with dates (2026-11-01..2026-11-30, END included) or RFC 3339 instants \
         (2026-11-01T00:00:00Z..2026-11-15T12:00:00Z); END may be left out to mean now"
    )]
    Malformed(String),
    #[error(
        "--period starts {from}, further back than CloudTrail's {EVENT_HISTORY_DAYS} days of event \
         history (LookupEvents reaches back to {reach}): audit a period starting on or after \
         {earliest} (the first whole day it reaches), or read older changes from the trail's own \
         log files",
        from = shown(.start),
        reach = shown(.limit),
        earliest = (*.limit + chrono::Duration::days(1)).format("%Y-%m-%d")
    )]
    TooOld {
        start: DateTime<Utc>,
        limit: DateTime<Utc>,
    },
    #[error(
        "--period ends {until}, in the future (now is {today}): give an END no later than now, or \
         leave END out (START..) to audit up to the scan",
        until = shown(.end),
        today = shown(.now)
    )]
    Future {
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error(
        "--period is empty: it starts {from} and ends {until}; END must come after START",
        from = shown(.start),
        until = shown(.end)
    )]
    Empty {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

/// An instant as the error messages show it: RFC 3339 to the second, as `--period` accepts it back.
fn shown(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The period `value` names, as of `now`; the default period when `value` is `None`.
pub fn parse(value: Option<&str>, now: DateTime<Utc>) -> Result<Period, PeriodError> {
    let period = match value.map(str::trim) {
        None => Period {
            start: now - Duration::days(DEFAULT_DAYS),
            end: now,
        },
        Some(text) => named(text, now).ok_or_else(|| PeriodError::Malformed(text.to_string()))?,
    };
    let limit = now - Duration::days(EVENT_HISTORY_DAYS);
    if period.end <= period.start {
        return Err(PeriodError::Empty {
            start: period.start,
            end: period.end,
        });
    }
    if period.end > now {
        return Err(PeriodError::Future {
            end: period.end,
            now,
        });
    }
    if period.start < limit {
        return Err(PeriodError::TooOld {
            start: period.start,
            limit,
        });
    }
    Ok(period)
}

fn named(text: &str, now: DateTime<Utc>) -> Option<Period> {
    if let Some((start, end)) = text.split_once("..") {
        let start = instant(start.trim(), false)?;
        let end = match end.trim() {
            "" => now,
            end => instant(end, true)?,
        };
        return Some(Period { start, end });
    }
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some(Period {
        start: midnight(first),
        end: midnight(next),
    })
}

/// An RFC 3339 instant, or a date: its midnight, or the next midnight when it ends a period
/// (an END date is included).
fn instant(text: &str, is_end: bool) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(if is_end {
        midnight(date.succ_opt()?)
    } else {
        midnight(date)
    })
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-03T02:00:00Z".parse().unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_month_is_its_calendar_month_in_utc() {
        let period = parse(Some("2026-11"), now()).unwrap();
        assert_eq!(period.start, at("2026-11-01T00:00:00Z"));
        assert_eq!(period.end, at("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn dates_include_the_end_day_and_instants_are_taken_as_given() {
        let period = parse(Some("2026-11-01..2026-11-30"), now()).unwrap();
        assert_eq!(period.end, at("2026-12-01T00:00:00Z"));
        let period = parse(
            Some("2026-11-01T06:00:00+02:00..2026-11-02T00:00:00Z"),
            now(),
        )
        .unwrap();
        assert_eq!(period.start, at("2026-11-01T04:00:00Z"));
        let open = parse(Some("2026-11-20.."), now()).unwrap();
        assert_eq!(open.end, now());
    }

    #[test]
    fn the_default_is_the_thirty_days_ending_now() {
        let period = parse(None, now()).unwrap();
        assert_eq!(period.end, now());
        assert_eq!(period.start, now() - Duration::days(30));
    }

    #[test]
    fn periods_event_history_cannot_attest_are_refused_with_the_limit_and_the_fix() {
        let old = parse(Some("2026-08"), now()).unwrap_err();
        assert!(matches!(old, PeriodError::TooOld { .. }));
        assert!(old.to_string().contains("90 days"), "{old}");
        assert!(old.to_string().contains("2026-09-04"), "{old}");
        // The start it suggests is accepted until the end of the day (UTC) it was suggested on.
        let suggested = old
            .to_string()
            .split("on or after ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .map(str::to_string)
            .unwrap();
        let last_second_of_today = (now().date_naive() + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            - Duration::seconds(1);
        for later in [now(), last_second_of_today] {
            assert!(
                parse(Some(&format!("{suggested}..")), later).is_ok(),
                "{old}"
            );
        }
        let future = parse(Some("2026-12"), now()).unwrap_err();
        assert!(matches!(future, PeriodError::Future { .. }));
        assert!(future.to_string().contains("START.."), "{future}");
        let empty = parse(Some("2026-11-20..2026-11-10"), now()).unwrap_err();
        assert!(matches!(empty, PeriodError::Empty { .. }));
        for bad in ["November", "2026-13", "2026-11-01...", "2026/11", ".."] {
            assert!(
                matches!(parse(Some(bad), now()), Err(PeriodError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
