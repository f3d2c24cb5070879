//! The report model: findings and the summary every renderer reads.
//!
//! `report.json` is this model serialised; its shape is a contract other tools read
//! (`schema: orgtrail/report/v1`), so fields are added, never renamed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::diff::ReportDiff;
use crate::model::{Account, Audit, CollectionStats, Organization, ScanSettings};
use crate::rules::coverage::RegionCoverage;
use crate::waivers::{Waiver, WaiverUse};

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountCoverage {
    pub account_id: String,
    pub regions: Vec<RegionCoverage>,
}

impl Report {
    /// A report.json written by orgtrail, checked for its schema.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let report: Report = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if report.schema != REPORT_SCHEMA {
            return Err(format!(
                "has schema '{}', this orgtrail reads '{REPORT_SCHEMA}'",
                report.schema
            ));
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
    pub resource: String,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailEvidence {
    pub arn: String,
    pub name: String,
    pub home_region: String,
    /// Whether this trail on its own satisfies the rule.
    pub meets_rule: bool,
    pub detail: String,
}

impl TrailEvidence {
    pub fn of(trail: &crate::model::Trail, meets_rule: bool, detail: String) -> Self {
        TrailEvidence {
            arn: trail.arn.clone(),
            name: trail.name.clone(),
            home_region: trail.home_region.clone(),
            meets_rule,
            detail,
        }
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
