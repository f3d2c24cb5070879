//! What a rule check is (a pure function from one account's trails to a verdict with its
//! evidence), and the helpers every rule family shares to reach one.

use chrono::{DateTime, Duration, Utc};

use crate::findings::{Evidence, Status, TrailEvidence};
use crate::model::{LogBucket, Trail, TrailKey};

/// What a check sees: one audited account's trails, as of the moment they were collected.
pub struct AccountTrails<'a> {
    pub account_id: &'a str,
    pub trails: &'a [Trail],
    pub log_buckets: &'a [LogBucket],
    pub trail_keys: &'a [TrailKey],
    /// The audited regions.
    pub regions: &'a [String],
    /// Time-based conditions ("delivered within 24 hours") are judged against collection time,
    /// so re-evaluating an old inventory gives the verdict it had when it was taken.
    pub collected_at: DateTime<Utc>,
}

pub struct Verdict {
    /// PASS, FAIL, or ERROR when what decides could not be read from this account.
    pub status: Status,
    pub evidence: Evidence,
    /// The command that fixes this account, with its trail names filled in.
    pub fix: Option<String>,
}

pub type Check = fn(&AccountTrails) -> Verdict;

/// How recent the last delivery must be (CIS 3.4: "about one day old"; used for S3 too).
pub const FRESHNESS: Duration = Duration::hours(24);

/// A trail's judgement: `Ok(what satisfies the rule)` or `Err(what falls short)`.
type TrailJudgement = Result<String, Vec<String>>;

/// Judge every trail on its own; [`verdict`] or [`every_trail`] then judges the account.
pub fn judge(
    account: &AccountTrails,
    per_trail: impl Fn(&Trail) -> TrailJudgement,
) -> Vec<TrailEvidence> {
    account
        .trails
        .iter()
        .map(|trail| match per_trail(trail) {
            Ok(detail) => TrailEvidence::of(trail, true, detail),
            Err(gaps) => TrailEvidence::of(trail, false, gaps.join("; ")),
        })
        .collect()
}

/// The account passes when at least one trail meets the rule.
pub fn verdict(
    trails: Vec<TrailEvidence>,
    pass: &str,
    fail: &str,
    fix: impl FnOnce() -> String,
) -> Verdict {
    let passing: Vec<&str> = trails
        .iter()
        .filter(|t| t.meets_rule)
        .map(|t| t.name.as_str())
        .collect();
    let passed = !passing.is_empty();
    let summary = if passed {
        format!("{pass}: {}", passing.join(", "))
    } else if trails.is_empty() {
        format!("{fail}: {NO_TRAIL}")
    } else {
        format!("{fail} ({} trail(s) examined)", trails.len())
    };
    decided(passed, summary, trails, fix)
}

/// The account passes when it has trails and every one of them meets the rule.
pub fn every_trail(
    trails: Vec<TrailEvidence>,
    pass: &str,
    fail: &str,
    fix: impl FnOnce(&[&TrailEvidence]) -> String,
) -> Verdict {
    let failing: Vec<&TrailEvidence> = trails.iter().filter(|t| !t.meets_rule).collect();
    let passed = !trails.is_empty() && failing.is_empty();
    let summary = if passed {
        format!("{pass}: every trail ({})", trails.len())
    } else if trails.is_empty() {
        format!("{fail}: {NO_TRAIL}")
    } else {
        let names: Vec<&str> = failing.iter().map(|t| t.name.as_str()).collect();
        format!("{fail}: {}", names.join(", "))
    };
    let fix = if trails.is_empty() {
        create_trail_command()
    } else {
        fix(&failing)
    };
    decided(passed, summary, trails, || fix)
}

pub const NO_TRAIL: &str = "the account has no trail covering the audited regions";

pub fn decided(
    passed: bool,
    summary: String,
    trails: Vec<TrailEvidence>,
    fix: impl FnOnce() -> String,
) -> Verdict {
    Verdict {
        status: if passed { Status::Pass } else { Status::Fail },
        fix: (!passed).then(fix),
        evidence: Evidence {
            summary,
            trails,
            warnings: Vec::new(),
        },
    }
}

/// `aws cloudtrail <command> --name <trail> --region <home>`, noting where an organization trail
/// has to be changed from.
pub fn trail_command(trail: &Trail, command: &str, account_id: &str) -> String {
    let base = format!(
        "aws cloudtrail {command} --region {} --name {}",
        trail.home_region, trail.name
    );
    match organization_trail_owner(trail, account_id) {
        Some(owner) => format!("{base}   # organization trail: run in its owner account {owner}"),
        None => base,
    }
}

fn organization_trail_owner<'a>(trail: &'a Trail, account_id: &str) -> Option<&'a str> {
    let owner = trail.arn.split(':').nth(4)?;
    (trail.is_organization_trail && owner != account_id).then_some(owner)
}

pub fn create_trail_command() -> String {
    "aws cloudtrail create-trail --name <trail-name> --bucket-name <log-bucket> --is-multi-region-trail\n\
     aws cloudtrail start-logging --name <trail-name>"
        .to_string()
}

/// The fix applied to a logging trail; when none logs, start one first; when there is none,
/// create one.
pub fn fix_on_logging_trail(account: &AccountTrails, fix: impl Fn(&Trail) -> String) -> String {
    if let Some(trail) = account.trails.iter().find(|t| t.is_logging()) {
        return fix(trail);
    }
    match account.trails.first() {
        Some(trail) => format!(
            "{}\n{}",
            trail_command(trail, "start-logging", account.account_id),
            fix(trail)
        ),
        None => create_trail_command(),
    }
}
