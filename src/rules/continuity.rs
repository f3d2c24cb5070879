//! Over the audit period rather than at the scan: was logging ever interrupted? The intervals
//! come from [`timeline::reconstruct`]; this file turns them into a verdict.

use chrono::Duration;

use super::timeline::{reconstruct, Timeline};
use super::verdict::{AccountTrails, Verdict};
use crate::findings::{Evidence, Interval, IntervalKind, Status};
use crate::model::{Readable, TrailEvent};

pub fn logging_continuous(account: &AccountTrails) -> Verdict {
    let Some(history) = account.history else {
        return not_read(
            "the trail history of the audit period is not in this inventory (made by an orgtrail \
             that did not read it)"
                .to_string(),
        );
    };
    let events = match history.events {
        Readable::Read(events) => events,
        Readable::NotVerifiable { reason } => {
            return not_read(format!(
                "the trail history of {} could not be read: {reason}",
                history.period
            ))
        }
    };
    let timeline = reconstruct(
        account.account_id,
        account.trails,
        events,
        account.regions,
        history.period,
    );
    let mut changes: Vec<TrailEvent> = events
        .iter()
        .filter(|e| e.time >= history.period.start && e.time <= history.period.end)
        .cloned()
        .collect();
    changes.sort_by_key(|e| std::cmp::Reverse(e.time));
    let gaps: Vec<&Interval> = timeline.gaps().collect();
    let unknown: Vec<&Interval> = timeline.unknown().collect();
    let (status, summary, fix) = if !gaps.is_empty() {
        let named: Vec<String> = gaps.iter().map(|g| describe(g)).collect();
        (
            Status::Fail,
            format!(
                "Logging was interrupted {} time(s) during {}: {}",
                gaps.len(),
                history.period,
                named.join("; ")
            ),
            Some(
                "Find out why each interval happened and who was behind it (the change, its \
                 caller and source IP are named); restart logging where it is still off \
                 (aws cloudtrail start-logging), and alarm on StopLogging, DeleteTrail, \
                 UpdateTrail and PutEventSelectors (CIS: a metric filter and alarm for CloudTrail \
                 configuration changes) so that the next gap is seen the day it opens"
                    .to_string(),
            ),
        )
    } else if !unknown.is_empty() {
        let named: Vec<String> = unknown.iter().map(|u| describe(u)).collect();
        (
            Status::Error,
            format!(
                "Undecided: no gap is shown over {}, but whether logging was on cannot be told \
                 for {}",
                history.period,
                named.join("; ")
            ),
            Some(
                "Read the trail's earlier state from its logs (the S3 log files or a CloudTrail \
                 Lake event data store) for the interval named, or audit a period that starts \
                 after the trail's first change"
                    .to_string(),
            ),
        )
    } else {
        (
            Status::Pass,
            format!(
                "Logging continuous over {}: {} trail change(s) in the period, none opened a gap",
                history.period, timeline.changes_in_period
            ),
            None,
        )
    };
    let mut evidence = Evidence {
        summary,
        changes,
        ..Evidence::default()
    };
    if status == Status::Fail {
        evidence.warnings = unknown.iter().map(|u| describe(u)).collect();
    }
    evidence.intervals = intervals(timeline);
    Verdict {
        status,
        evidence,
        fix,
    }
}

fn intervals(timeline: Timeline) -> Vec<Interval> {
    timeline.intervals
}

fn not_read(reason: String) -> Verdict {
    Verdict {
        status: Status::Error,
        evidence: Evidence {
            summary: format!("Not read: {reason}"),
            ..Evidence::default()
        },
        fix: Some(
            "Let the audit role call cloudtrail:LookupEvents in every audited region \
             (examples/audit-role.yaml), and the management account's role too for an \
             organization trail; then scan again"
                .to_string(),
        ),
    }
}

/// "2026-11-10 00:00 → 2026-11-12 00:00 UTC (2d 0h): StopLogging on trail main by <arn> from <ip>".
fn describe(interval: &Interval) -> String {
    let mut text = format!(
        "{} → {} ({})",
        interval.start.format("%Y-%m-%d %H:%M:%S"),
        interval.end.format("%Y-%m-%d %H:%M:%S UTC"),
        duration(Duration::seconds(interval.seconds))
    );
    if let (Some(event), Some(trail)) = (&interval.event, &interval.trail) {
        text.push_str(&format!(": {event} on trail {trail}"));
        if let Some(who) = &interval.who {
            text.push_str(&format!(" by {who}"));
        }
        if let Some(ip) = &interval.source_ip {
            text.push_str(&format!(" from {ip}"));
        }
    } else if interval.kind == IntervalKind::Gap {
        text.push_str(": already so when the period began");
    }
    if interval.kind == IntervalKind::Unknown {
        text.push_str(&format!(" — {}", interval.detail));
    }
    text
}

/// "3d 4h", "2h 0m", "45m".
pub fn duration(length: Duration) -> String {
    let minutes = length.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else {
        format!("{minutes}m")
    }
}
