//! "During the period" in report.html: the headline line (logging continuous in N of M judged
//! accounts), one timeline per account that had a gap (the period as a bar, gaps marked, hover
//! for who and when), and one table of every trail change in the organization, newest first.
//! Built from the findings of `cloudtrail-logging-continuous` alone.

use std::collections::HashSet;

use serde::Serialize;

use crate::findings::{Finding, IntervalKind, Report, Status};
use crate::model::{Period, TrailEvent};

pub const CONTINUOUS_RULE: &str = "cloudtrail-logging-continuous";
/// How many trail changes the page lists before it says "and N more in report.json".
const CHANGE_LIMIT: usize = 500;
/// How many timelines the page draws before it says "and N more" (each is in the account's
/// finding too).
const TIMELINE_LIMIT: usize = 100;
/// The timeline's drawing width, in SVG user units.
const WIDTH: f64 = 1000.0;

#[derive(Serialize)]
pub struct PeriodView<'a> {
    /// "2026-11-01 00:00 UTC to 2026-12-01 00:00 UTC".
    pub period: String,
    pub continuous: usize,
    /// Accounts the rule decided (PASS, FAIL or a waived finding): an account that could not be
    /// audited, or whose history could not be read, is `undecided` instead.
    pub judged: usize,
    /// Accounts with at least one gap (FAIL), timelines shown or not.
    pub interrupted: usize,
    /// Accounts whose history could not be read or told (ERROR).
    pub undecided: usize,
    pub timelines: Vec<Timeline<'a>>,
    pub more_timelines: usize,
    pub changes: Vec<ChangeRow<'a>>,
    pub more_changes: usize,
}

#[derive(Serialize)]
pub struct Timeline<'a> {
    pub account_id: &'a str,
    pub account_name: &'a str,
    pub marks: Vec<Mark>,
}

/// One interval drawn on the bar.
#[derive(Serialize)]
pub struct Mark {
    /// "gap" or "unknown".
    pub kind: &'static str,
    pub x: String,
    pub width: String,
    /// The hover text: when, how long, what, who, from where.
    pub title: String,
}

#[derive(Serialize)]
pub struct ChangeRow<'a> {
    pub time: String,
    pub account_id: &'a str,
    pub region: &'a str,
    pub trail: &'a str,
    pub event: &'a str,
    pub who: &'a str,
    pub source_ip: &'a str,
}

/// The section, or `None` when the report holds no period (an inventory from before history).
pub fn period_view(report: &Report) -> Option<PeriodView<'_>> {
    let period = report.period?;
    let findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| &*f.rule_id == CONTINUOUS_RULE)
        .collect();
    let interrupted: Vec<&&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    let more_timelines = interrupted.len().saturating_sub(TIMELINE_LIMIT);
    let timelines = interrupted
        .into_iter()
        .take(TIMELINE_LIMIT)
        .map(|f| Timeline {
            account_id: &f.account_id,
            account_name: &f.account_name,
            marks: f
                .evidence
                .intervals
                .iter()
                .map(|interval| {
                    let (x, width) = span(period, interval.start, interval.end);
                    Mark {
                        kind: match interval.kind {
                            IntervalKind::Gap => "gap",
                            IntervalKind::Unknown => "unknown",
                        },
                        x: format!("{x:.1}"),
                        width: format!("{width:.1}"),
                        title: hover(interval),
                    }
                })
                .collect(),
        })
        .collect();
    let events = trail_changes(report);
    let more_changes = events.len().saturating_sub(CHANGE_LIMIT);
    let changes = events
        .into_iter()
        .take(CHANGE_LIMIT)
        .map(|e| ChangeRow {
            time: e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            account_id: &e.account_id,
            region: &e.region,
            trail: e.trail_name(),
            event: &e.event_name,
            who: e.who.as_deref().unwrap_or(""),
            source_ip: e.source_ip.as_deref().unwrap_or(""),
        })
        .collect();
    let count = |status: Status| findings.iter().filter(|f| f.status == status).count();
    Some(PeriodView {
        period: period.to_string(),
        continuous: count(Status::Pass),
        judged: findings.len() - count(Status::Error),
        interrupted: count(Status::Fail),
        undecided: count(Status::Error),
        timelines,
        more_timelines,
        changes,
        more_changes,
    })
}

/// Every trail change of the period in the organization, newest first. An organization trail's
/// change is in every member's evidence: listed once.
pub fn trail_changes(report: &Report) -> Vec<&TrailEvent> {
    let mut seen = HashSet::new();
    let mut events: Vec<&TrailEvent> = report
        .findings
        .iter()
        .filter(|f| &*f.rule_id == CONTINUOUS_RULE)
        .flat_map(|f| f.evidence.changes.iter())
        .filter(|e| seen.insert(e.event_id.as_str()))
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.time));
    events
}

/// Where an interval sits on the bar: its x and width in [0, WIDTH].
fn span(
    period: Period,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> (f64, f64) {
    let length = (period.end - period.start).num_seconds().max(1) as f64;
    let at = |t: chrono::DateTime<chrono::Utc>| {
        ((t - period.start).num_seconds() as f64 / length).clamp(0.0, 1.0) * WIDTH
    };
    let x = at(start);
    // At least a pixel or two, so a gap of minutes in a month still shows.
    (x, (at(end) - x).max(2.0))
}

fn hover(interval: &crate::findings::Interval) -> String {
    let mut text = format!(
        "{} → {} UTC ({})",
        interval.start.format("%Y-%m-%d %H:%M"),
        interval.end.format("%Y-%m-%d %H:%M"),
        crate::rules::duration_text(chrono::Duration::seconds(interval.seconds))
    );
    if let (Some(event), Some(trail)) = (&interval.event, &interval.trail) {
        text.push_str(&format!(": {event} on {trail}"));
    }
    if let Some(who) = &interval.who {
        text.push_str(&format!(" by {who}"));
    }
    if let Some(ip) = &interval.source_ip {
        text.push_str(&format!(" from {ip}"));
    }
    if interval.kind == IntervalKind::Unknown {
        text.push_str(&format!(" — {}", interval.detail));
    }
    text
}
