//! What a rule check is (a pure function from one account's trails to a verdict with its
//! evidence), and the helpers every rule family shares to reach one.

use chrono::{DateTime, Duration, Utc};

use crate::findings::{Evidence, Status, TrailEvidence};
use crate::model::{
    LogBucket, LogGroup, Period, Readable, ServiceControlPolicies, Trail, TrailEvent, TrailKey,
    UnreadCall,
};

/// What a check sees: one audited account's trails, as of the moment they were collected.
pub struct AccountTrails<'a> {
    pub account_id: &'a str,
    pub trails: &'a [Trail],
    pub log_buckets: &'a [LogBucket],
    pub trail_keys: &'a [TrailKey],
    /// The trails' log groups and what watches them.
    pub log_groups: &'a [LogGroup],
    /// The audited regions.
    pub regions: &'a [String],
    /// When this account was collected: time-based conditions ("delivered within 24 hours") are
    /// judged against it, so re-evaluating an old inventory gives the verdict it had when it was
    /// taken, and an account read late in a long scan is judged at its own time.
    pub collected_at: DateTime<Utc>,
    /// Where the account sits in its organization, for the rules on what guards it.
    pub placement: Placement<'a>,
    /// The audit period and the trail changes read over it; `None` when the inventory holds no
    /// history (made before orgtrail read it).
    pub history: Option<PeriodHistory<'a>>,
}

/// The account's place in the organization and the service control policies read there.
#[derive(Default, Clone, Copy)]
pub struct Placement<'a> {
    /// The root and the OUs down to the account's parent.
    pub parent_ids: &'a [String],
    pub management_account_id: Option<&'a str>,
    /// `None` when they were not read.
    pub service_control_policies: Option<&'a ServiceControlPolicies>,
}

/// The audit period, and the account's trail changes from its start up to the scan.
#[derive(Clone, Copy)]
pub struct PeriodHistory<'a> {
    pub period: Period,
    pub events: &'a Readable<Vec<TrailEvent>>,
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

/// What one trail shows for one rule.
pub enum Judged {
    /// It satisfies the rule, for this reason.
    Meets(String),
    /// It falls short, on what was read, for these reasons.
    FallsShort(Vec<String>),
    /// Nothing read says it falls short, but what would decide could not be read: the call and
    /// its error.
    Unread(String),
}

/// Gathers what one trail shows for a rule, part by part: the gaps read, and the parts that
/// could not be read. A gap read decides (the trail falls short whatever the rest says); an
/// unread part decides nothing.
#[derive(Default)]
pub struct TrailGaps {
    gaps: Vec<String>,
    unread: Vec<String>,
}

impl TrailGaps {
    pub fn add(&mut self, gap: impl Into<String>) {
        self.gaps.push(gap.into());
    }

    pub fn when(&mut self, falls_short: bool, gap: impl FnOnce() -> String) {
        if falls_short {
            self.gaps.push(gap());
        }
    }

    /// Most rules ask it first: a trail that has stopped logging records nothing, whatever its
    /// selectors say. Noted as unread when its status could not be read.
    pub fn logging(&mut self, trail: &Trail) {
        if let Some(logging) = self.read(trail.logging()) {
            self.when(!logging, || "not logging".into());
        }
    }

    pub fn multi_region(&mut self, trail: &Trail) {
        self.when(!trail.is_multi_region, || {
            format!("single-region trail (home {})", trail.home_region)
        });
    }

    /// Something the rule needs that could not be read, in words: the call and its error.
    pub fn not_read(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        if !self.unread.contains(&reason) {
            self.unread.push(reason);
        }
    }

    /// The value, or `None` having noted that it could not be read.
    pub fn read<T>(&mut self, read: Result<T, &UnreadCall>) -> Option<T> {
        match read {
            Ok(value) => Some(value),
            Err(unread) => {
                if !self.unread.contains(&unread.error) {
                    self.unread.push(unread.error.clone());
                }
                None
            }
        }
    }

    pub fn judged(self, meets: impl FnOnce() -> String) -> Judged {
        if !self.gaps.is_empty() {
            let mut gaps = self.gaps;
            if !self.unread.is_empty() {
                gaps.push(format!("also not read: {}", self.unread.join("; ")));
            }
            Judged::FallsShort(gaps)
        } else if !self.unread.is_empty() {
            Judged::Unread(self.unread.join("; "))
        } else {
            Judged::Meets(meets())
        }
    }
}

/// Judge every trail on its own; [`verdict`] or [`every_trail`] then judges the account. A trail
/// `DescribeTrails` did not return is unread for every rule, without asking the rule.
pub fn judge(account: &AccountTrails, per_trail: impl Fn(&Trail) -> Judged) -> Vec<TrailEvidence> {
    account
        .trails
        .iter()
        .map(|trail| match trail.described().map(&per_trail) {
            Err(unread) => TrailEvidence::unread(trail, unread.error.clone()),
            Ok(Judged::Meets(detail)) => TrailEvidence::of(trail, true, detail),
            Ok(Judged::FallsShort(gaps)) => TrailEvidence::of(trail, false, gaps.join("; ")),
            Ok(Judged::Unread(unread)) => TrailEvidence::unread(trail, unread),
        })
        .collect()
}

/// The account passes when at least one trail meets the rule. When none of the trails read
/// does, and some trail could not be read, nothing is decided: ERROR, naming what failed.
pub fn verdict(
    account: &AccountTrails,
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
    if !passed && trails.iter().any(TrailEvidence::is_unread) {
        return undecided(
            account,
            &format!("{} among the trails read", lower_first(fail)),
            trails,
        );
    }
    let summary = if passed {
        format!("{pass}: {}", passing.join(", "))
    } else if trails.is_empty() {
        format!("{fail}: {NO_TRAIL}")
    } else {
        format!("{fail} ({} trail(s) examined)", trails.len())
    };
    decided(passed, summary, trails, fix)
}

/// The account passes when it has trails and every one of them meets the rule. A trail read
/// and found short fails it whatever the unread ones hold; otherwise an unread trail leaves the
/// rule undecided.
pub fn every_trail(
    account: &AccountTrails,
    trails: Vec<TrailEvidence>,
    pass: &str,
    fail: &str,
    fix: impl FnOnce(&[&TrailEvidence]) -> String,
) -> Verdict {
    let failing: Vec<&TrailEvidence> = trails.iter().filter(|t| t.falls_short()).collect();
    if failing.is_empty() && trails.iter().any(TrailEvidence::is_unread) {
        return undecided(account, "every trail read meets the rule", trails);
    }
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
            ..Evidence::default()
        },
    }
}

/// ERROR: the answer depends on trails that could not be read. The summary says what the trails
/// read show (`known`), then names each unread trail and the call that failed; the fix says how
/// to let orgtrail read them.
pub fn undecided(account: &AccountTrails, known: &str, trails: Vec<TrailEvidence>) -> Verdict {
    let unread: Vec<&TrailEvidence> = trails.iter().filter(|t| t.is_unread()).collect();
    let named: Vec<String> = unread
        .iter()
        .map(|t| format!("{} ({})", t.name, t.unread.as_deref().unwrap_or_default()))
        .collect();
    let summary = format!(
        "Undecided: {known}, but the answer depends on {} trail(s) that could not be read: {}",
        unread.len(),
        named.join("; ")
    );
    let fix = unread
        .iter()
        .filter_map(|evidence| account.trails.iter().find(|t| t.arn == evidence.arn))
        .map(|trail| read_access_fix(trail, account.account_id))
        .collect::<Vec<_>>()
        .join("\n");
    Verdict {
        status: Status::Error,
        fix: Some(fix),
        evidence: Evidence {
            summary,
            trails,
            warnings: Vec::new(),
            ..Evidence::default()
        },
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How to let orgtrail read a trail it could not.
fn read_access_fix(trail: &Trail, account_id: &str) -> String {
    if let Some(owner) = organization_trail_owner(trail, account_id) {
        // CloudTrail refuses a member's GetTrailStatus/GetEventSelectors on the management
        // account's organization-trail ARN (CloudTrailARNInvalidException), so orgtrail reads
        // them as the owner; a service-managed StackSet never deploys to the management account
        // (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html).
        return format!(
            "Organization trail {}: deploy the audit role to the management account {owner} \
             (a service-managed StackSet does not deploy to the management account), or run orgtrail \
             from the management account; then scan again",
            trail.name
        );
    }
    let calls: Vec<&str> = trail.unread.iter().map(|u| u.call.operation()).collect();
    format!(
        "Trail {} ({}): let the audit role call {} on it (examples/audit-role.yaml), or, if the trail \
         was deleted or replaced during the scan, scan again",
        trail.name,
        trail.arn,
        calls.join(" and ")
    )
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
    let owner = trail.owner_account()?;
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
    if let Some(trail) = account.trails.iter().find(|t| t.is_known_logging()) {
        return fix(trail);
    }
    match account.trails.iter().find(|t| t.described().is_ok()) {
        Some(trail) => format!(
            "{}\n{}",
            trail_command(trail, "start-logging", account.account_id),
            fix(trail)
        ),
        None => create_trail_command(),
    }
}
