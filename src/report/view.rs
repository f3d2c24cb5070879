//! The report arranged the way people read it: per account, and failures per rule. Templates get
//! this and nothing else.

use std::collections::HashMap;

use serde::Serialize;

use crate::findings::{Finding, Report, Status, Summary, Tally};
use crate::model::Audit;

/// How many accounts a failure list shows before it says "and N more".
const LIST_LIMIT: usize = 25;

#[derive(Serialize)]
pub struct ReportView<'a> {
    pub report: &'a Report,
    /// Times as people read them, to the second.
    pub collected_at: String,
    pub generated_at: String,
    pub summary: &'a Summary,
    pub accounts: Vec<AccountView<'a>>,
    pub failures: Vec<RuleFailures<'a>>,
    pub rules: Vec<TallyView<'a>>,
    pub frameworks: Vec<TallyView<'a>>,
}

#[derive(Serialize)]
pub struct AccountView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub status: &'a str,
    /// audited, skipped or error.
    pub state: &'static str,
    pub detail: Option<&'a str>,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub findings: Vec<&'a Finding>,
}

#[derive(Serialize)]
pub struct RuleFailures<'a> {
    pub rule_id: &'a str,
    pub title: &'a str,
    pub severity: &'static str,
    pub count: usize,
    pub shown: Vec<AccountRef<'a>>,
    pub more: usize,
}

#[derive(Serialize)]
pub struct AccountRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
}

#[derive(Serialize)]
pub struct TallyView<'a> {
    #[serde(flatten)]
    pub tally: &'a Tally,
    /// Rounded percentage of decided findings that passed, or "n/a".
    pub pass_rate: String,
}

impl<'a> ReportView<'a> {
    pub fn new(report: &'a Report) -> Self {
        let mut by_account: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for finding in &report.findings {
            by_account
                .entry(&finding.account_id)
                .or_default()
                .push(finding);
        }
        let mut accounts: Vec<AccountView> = report
            .accounts
            .iter()
            .map(|entry| {
                let findings = by_account
                    .remove(entry.account.id.as_str())
                    .unwrap_or_default();
                let count = |status| findings.iter().filter(|f| f.status == status).count();
                let (state, detail) = match &entry.audit {
                    Audit::Audited => ("audited", None),
                    Audit::Skipped { reason } => ("skipped", Some(reason.as_str())),
                    Audit::Error { error } => ("error", Some(error.as_str())),
                };
                AccountView {
                    id: &entry.account.id,
                    name: &entry.account.name,
                    email: &entry.account.email,
                    status: &entry.account.status,
                    state,
                    detail,
                    passed: count(Status::Pass),
                    failed: count(Status::Fail),
                    errored: count(Status::Error),
                    findings,
                }
            })
            .collect();
        // What needs attention first: accounts that could not be audited, then the most failures.
        let rank = |a: &AccountView| match a.state {
            "error" => 0,
            "audited" => 1,
            _ => 2,
        };
        accounts.sort_by(|a, b| {
            (rank(a), std::cmp::Reverse(a.failed), a.name).cmp(&(
                rank(b),
                std::cmp::Reverse(b.failed),
                b.name,
            ))
        });

        let failures = report
            .summary
            .rules
            .iter()
            .filter(|tally| tally.failed > 0)
            .map(|tally| {
                let failing: Vec<&Finding> = report
                    .findings
                    .iter()
                    .filter(|f| f.rule_id == tally.key && f.status == Status::Fail)
                    .collect();
                RuleFailures {
                    rule_id: &tally.key,
                    title: &tally.title,
                    severity: failing.first().map(|f| f.severity.as_str()).unwrap_or(""),
                    count: failing.len(),
                    more: failing.len().saturating_sub(LIST_LIMIT),
                    shown: failing
                        .iter()
                        .take(LIST_LIMIT)
                        .map(|f| AccountRef {
                            id: &f.account_id,
                            name: &f.account_name,
                            summary: &f.evidence.summary,
                        })
                        .collect(),
                }
            })
            .collect();

        let tallies = |tallies: &'a [Tally]| {
            tallies
                .iter()
                .map(|tally| TallyView {
                    tally,
                    pass_rate: tally
                        .pass_rate()
                        .map(|rate| format!("{rate:.0}%"))
                        .unwrap_or_else(|| "n/a".to_string()),
                })
                .collect()
        };
        let readable =
            |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        ReportView {
            report,
            collected_at: readable(&report.collected_at),
            generated_at: readable(&report.generated_at),
            summary: &report.summary,
            accounts,
            failures,
            rules: tallies(&report.summary.rules),
            frameworks: tallies(&report.summary.frameworks),
        }
    }
}
