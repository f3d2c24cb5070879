//! The report model: findings and the summary every renderer reads.
//!
//! `report.json` is this model serialised; its shape is a contract other tools read
//! (`schema: orgtrail/report/v1`), so fields are added, never renamed. Every type report.json
//! holds lives here or in [`crate::model`], and this module imports nothing else of the crate:
//! the stages that fill it in (evaluate, waivers, diff) depend on it, never the reverse.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use crate::model::{
    Account, Audit, CollectionStats, Organization, Period, ScanSettings, Trail, TrailEvent,
};

pub const REPORT_SCHEMA: &str = "orgtrail/report/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub generated_at: DateTime<Utc>,
    pub tool_version: String,
    pub collected_at: DateTime<Utc>,
    pub caller_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    pub organization: Organization,
    pub regions: Vec<String>,
    pub accounts: Vec<AccountEntry>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionStats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ScanSettings>,
    /// What changed since the baseline report, when one was given (`--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<ReportDiff>,
    /// Every waiver given, and what became of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverUse>,
    /// Region by region, what each audited account records: the coverage matrix.
    #[serde(default)]
    pub coverage: Vec<AccountCoverage>,
    /// Framework slugs the reader is audited against (`--framework`): the reports open on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub framework_focus: Vec<String>,
    /// Earlier runs of the same organization, oldest first, for the small trend report.html
    /// shows (`--history`, `--baseline`); this run's own figures are in `summary`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<RunPoint>,
    /// What ties this report, printed or not, to the files of its run; set when they are
    /// written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<Seal>,
    /// The audit period the history was read over (`--period`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// One earlier run, reduced to what a trend needs: when it was collected and its pass rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPoint {
    pub collected_at: DateTime<Utc>,
    pub accounts_audited: usize,
    /// That run's `summary.rules` and `summary.frameworks`, as it counted them.
    pub rules: Vec<Tally>,
    pub frameworks: Vec<Tally>,
}

impl RunPoint {
    pub fn of(report: &Report) -> Self {
        RunPoint {
            collected_at: report.collected_at,
            accounts_audited: report.summary.accounts_audited,
            rules: report.summary.rules.clone(),
            frameworks: report.summary.frameworks.clone(),
        }
    }
}

/// How a report is tied to the evidence it was filed with. A report cannot show the digest of
/// manifest.json, which lists the report's own digest; it shows the digest of the inventory it
/// was evaluated from, which the manifest lists and the signature's trusted comment repeats,
/// and the key that signed the manifest. `orgtrail verify` prints both next to the manifest's
/// own digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// SHA-256 of the inventory.json the findings were evaluated from.
    pub inventory_sha256: String,
    /// The minisign key id manifest.json is signed with; `None` when it is not signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountCoverage {
    pub account_id: String,
    pub regions: Vec<RegionCoverage>,
}

/// Which logging trails cover one audited region, and whether management reads and writes are
/// recorded there: one cell of the region coverage matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionCoverage {
    pub region: String,
    /// Logging trails recording management events there, as "name (multi-region)",
    /// "name (organization)" or "name (regional)".
    pub trails: Vec<String>,
    /// Reads and writes may come from different trails: the union is what the region records.
    pub reads: bool,
    pub writes: bool,
    /// Trails that may record the region but could not be read, as "name (call that failed)":
    /// while the region is not complete without them, its coverage is undecided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

impl RegionCoverage {
    pub fn complete(&self) -> bool {
        self.reads && self.writes
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    #[error(transparent)]
    Malformed(#[from] serde_json::Error),
    #[error("has schema '{0}', this orgtrail reads '{REPORT_SCHEMA}'")]
    Schema(String),
}

impl Report {
    /// A report.json written by orgtrail, checked for its schema.
    pub fn from_json(text: &str) -> Result<Self, ReportFileError> {
        let report: Report = serde_json::from_str(text)?;
        if report.schema != REPORT_SCHEMA {
            return Err(ReportFileError::Schema(report.schema));
        }
        Ok(report)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountEntry {
    #[serde(flatten)]
    pub account: Account,
    pub audit: Audit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub account_id: String,
    pub account_name: Arc<str>,
    /// `None` for account-wide findings.
    pub region: Option<String>,
    // Shared by the account's findings: one allocation per account, not per finding.
    pub resource: Arc<str>,
    // Shared with the rule and the account: 10,000 accounts x 16 rules repeat them 160,000 times.
    pub rule_id: Arc<str>,
    pub title: Arc<str>,
    pub status: Status,
    pub severity: Severity,
    /// Shared with the rule: thousands of findings carry the same list.
    pub controls: Arc<[Control]>,
    pub evidence: Evidence,
    pub remediation: Arc<str>,
    /// The waiver that mutes this finding, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Arc<Waiver>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Fail,
    Error,
    /// A FAIL or ERROR that an unexpired waiver covers; the waiver travels with the finding.
    Muted,
}

/// What makes a finding the same finding next month: its account, rule and resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FindingKey<'a> {
    pub account_id: &'a str,
    pub rule_id: &'a str,
    pub resource: &'a str,
}

impl FindingKey<'_> {
    /// `orgtrail<sep>account<sep>rule<sep>resource`: the stable id the exports carry.
    pub fn uid(&self, separator: char) -> String {
        let FindingKey {
            account_id,
            rule_id,
            resource,
        } = self;
        format!("orgtrail{separator}{account_id}{separator}{rule_id}{separator}{resource}")
    }
}

impl Finding {
    pub fn key(&self) -> FindingKey<'_> {
        FindingKey {
            account_id: &self.account_id,
            rule_id: &self.rule_id,
            resource: &self.resource,
        }
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Muted => "MUTED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Control {
    pub framework: String,
    pub id: String,
}

/// Why a rule decided as it did: every trail it looked at, and what it saw in each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub summary: String,
    #[serde(default)]
    pub trails: Vec<TrailEvidence>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// For a rule over the audit period: the intervals it found, in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intervals: Vec<Interval>,
    /// For a rule over the audit period: the trail changes it walked through, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<TrailEvent>,
}

/// A stretch of the audit period in which the account was not (or not known to be) recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub kind: IntervalKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub seconds: i64,
    /// The trail whose change opened it, the change, who made it and from where; all `None`
    /// when the interval runs from the start of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// In words, for a reader: what was not recorded, or what is not known.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalKind {
    /// No logging trail recorded management reads and writes in every audited region.
    Gap,
    /// What the trails recorded cannot be known from the state read and the history.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailEvidence {
    pub arn: String,
    pub name: String,
    pub home_region: String,
    /// Whether this trail on its own satisfies the rule.
    pub meets_rule: bool,
    pub detail: String,
    /// Set when what the rule needs of this trail could not be read: the call and its error.
    /// Such a trail neither meets nor fails the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
}

impl TrailEvidence {
    pub fn of(trail: &Trail, meets_rule: bool, detail: String) -> Self {
        TrailEvidence {
            arn: trail.arn.clone(),
            name: trail.name.clone(),
            home_region: trail.home_region.clone(),
            meets_rule,
            // Said on every verdict, so an auditor of a landing zone knows whose trail it is.
            detail: if trail.deployed_by_control_tower() {
                format!("{detail} [the trail AWS Control Tower deployed]")
            } else {
                detail
            },
            unread: None,
        }
    }

    /// A trail the rule could not judge, because `unread` (the call and its error) failed.
    pub fn unread(trail: &Trail, unread: String) -> Self {
        TrailEvidence {
            detail: format!("not read: {unread}"),
            unread: Some(unread),
            ..TrailEvidence::of(trail, false, String::new())
        }
    }

    /// Neither met nor failed: the rule could not read what it needs of this trail.
    pub fn is_unread(&self) -> bool {
        self.unread.is_some()
    }

    /// Known to fall short of the rule, on what was read.
    pub fn falls_short(&self) -> bool {
        !self.meets_rule && self.unread.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub accounts_total: usize,
    pub accounts_audited: usize,
    pub accounts_skipped: usize,
    pub accounts_errored: usize,
    pub findings_passed: usize,
    pub findings_failed: usize,
    pub findings_errored: usize,
    #[serde(default)]
    pub findings_muted: usize,
    pub rules: Vec<Tally>,
    pub frameworks: Vec<Tally>,
    /// Every framework control the catalogue maps to, with the accounts that meet it.
    #[serde(default)]
    pub controls: Vec<ControlTally>,
}

/// One framework control as its auditors know it: the rules that evidence it and how many
/// audited accounts meet it. An account meets a control when every rule mapped to it passes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlTally {
    pub framework: String,
    /// The control's id as the framework writes it ("3.1", "CloudTrail.1", "AU-2").
    pub control: String,
    pub rules: Vec<String>,
    pub accounts: AccountTally,
}

/// PASS/FAIL/ERROR counts for one rule or one framework across the organization.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub key: String,
    pub title: String,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    #[serde(default)]
    pub muted: usize,
    /// The audited accounts, each once, by its worst finding among the rules tallied (accounts
    /// that could not be audited are counted apart, in the summary's `accounts_errored`).
    #[serde(default)]
    pub accounts: AccountTally,
}

/// Accounts counted by their worst finding over a set of rules: failing if any fails, else not
/// verifiable if any is an ERROR, else waived if any is MUTED, else passing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTally {
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub muted: usize,
}

impl AccountTally {
    pub fn add(&mut self, worst: Status) {
        match worst {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Error => self.errored += 1,
            Status::Muted => self.muted += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.errored + self.muted
    }

    /// Share of the accounts counted that pass, in percent; `None` when none were counted.
    pub fn pass_share(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| 100.0 * self.passed as f64 / total as f64)
    }
}

impl Status {
    /// The worse of two statuses, as an account's standing on several rules: a failure
    /// outweighs what could not be verified, which outweighs an accepted risk, then a pass.
    pub fn worst(self, other: Status) -> Status {
        let rank = |s: Status| match s {
            Status::Pass => 0,
            Status::Muted => 1,
            Status::Error => 2,
            Status::Fail => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl Tally {
    pub fn absorb(&mut self, other: &Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.errored += other.errored;
        self.muted += other.muted;
    }

    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Error => self.errored += 1,
            Status::Muted => self.muted += 1,
        }
    }

    /// Share of decided findings that passed, in percent; `None` when nothing was decided.
    pub fn pass_rate(&self) -> Option<f64> {
        let decided = self.passed + self.failed;
        (decided > 0).then(|| 100.0 * self.passed as f64 / decided as f64)
    }
}

/// An accepted risk, approved by someone until a date: it turns the FAIL or ERROR findings it
/// matches into MUTED.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// A rule id from `orgtrail rules`.
    pub rule: String,
    /// Account ids, or patterns where `*` stands for any digits (`1111*`, `*`).
    pub accounts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
    pub approver: String,
    /// The last day the waiver mutes anything.
    pub expires: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverUse {
    pub waiver: Arc<Waiver>,
    pub state: WaiverState,
    /// How many findings it muted.
    pub muted: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverState {
    Active,
    Expired,
    /// Unexpired, but matched no FAIL or ERROR finding.
    Unused,
}

impl WaiverState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Active => "active",
            WaiverState::Expired => "expired",
            WaiverState::Unused => "unused",
        }
    }
}

/// What changed between a baseline report and this one (`--baseline`, `orgtrail diff`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    pub baseline_collected_at: DateTime<Utc>,
    /// Findings that FAIL now and did not before (passed, muted, errored, or were not there).
    pub new_failures: Vec<Change>,
    /// Findings that failed before and pass now.
    pub fixed: Vec<Change>,
    /// Failures in both reports.
    pub still_failing: usize,
    pub new_accounts: Vec<AccountChange>,
    pub removed_accounts: Vec<AccountChange>,
    /// The baseline's summary, counted the way this report counts, for "change since".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_summary: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub account_id: String,
    pub account_name: String,
    pub rule_id: String,
    pub title: String,
    pub before: Option<Status>,
    pub after: Option<Status>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountChange {
    pub id: String,
    pub name: String,
}
