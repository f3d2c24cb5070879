//! findings.csv: RFC 4180, UTF-8, one row per finding plus one per account that was not
//! audited, so a pivot table over it sees every account the organization lists.

use std::borrow::Cow;
use std::collections::HashMap;

use super::output::{Out, Output, RenderError};
use super::present::{control_label, summary_with_warnings, waiver_sentence};
use crate::findings::{Finding, Report, Severity, Status};
use crate::model::{Account, Audit, Period};

/// The columns of findings.csv, in order (the workbook's Findings sheet has the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    AccountId,
    AccountName,
    OuPath,
    AccountStatus,
    Region,
    Resource,
    RuleId,
    Title,
    Status,
    Severity,
    Controls,
    Evidence,
    Remediation,
    CollectedAt,
    Waiver,
    /// The audit period, as an ISO 8601 interval (start/end).
    Period,
}

impl Column {
    pub const ALL: [Column; 16] = [
        Column::AccountId,
        Column::AccountName,
        Column::OuPath,
        Column::AccountStatus,
        Column::Region,
        Column::Resource,
        Column::RuleId,
        Column::Title,
        Column::Status,
        Column::Severity,
        Column::Controls,
        Column::Evidence,
        Column::Remediation,
        Column::CollectedAt,
        Column::Waiver,
        Column::Period,
    ];

    pub fn header(self) -> &'static str {
        match self {
            Column::AccountId => "account_id",
            Column::AccountName => "account_name",
            Column::OuPath => "ou_path",
            Column::AccountStatus => "account_status",
            Column::Region => "region",
            Column::Resource => "resource",
            Column::RuleId => "rule_id",
            Column::Title => "title",
            Column::Status => "status",
            Column::Severity => "severity",
            Column::Controls => "controls",
            Column::Evidence => "evidence",
            Column::Remediation => "remediation",
            Column::CollectedAt => "collected_at",
            Column::Waiver => "waiver",
            Column::Period => "period",
        }
    }
}

/// One row: a finding, or an account that was not audited (`finding` is then `None`).
pub struct Row<'a> {
    /// `None` only for a finding of an account the report does not list (never written by a
    /// scan, but a hand-made inventory may hold one: the finding still gets its row).
    pub account: Option<&'a Account>,
    pub finding: Option<&'a Finding>,
    /// Why the account was not audited, for a row without a finding.
    pub reason: &'a str,
    /// The report's collection time, as RFC 3339 text.
    pub collected_at: &'a str,
    pub period: Option<Period>,
}

impl<'a> Row<'a> {
    /// The row's status: a finding's, or `None` for an account that was not audited.
    pub fn status(&self) -> Option<Status> {
        self.finding.map(|f| f.status)
    }

    /// The cell's text, before formula neutralising.
    pub fn cell(&self, column: Column) -> Cow<'a, str> {
        let ou_path = || {
            Cow::Borrowed(
                self.account
                    .and_then(|a| a.ou_path.as_deref())
                    .unwrap_or(""),
            )
        };
        let account_status = || Cow::Borrowed(self.account.map_or("", |a| a.status.as_str()));
        let period = || {
            Cow::Owned(self.period.map_or_else(String::new, |p| {
                format!("{}/{}", p.start.to_rfc3339(), p.end.to_rfc3339())
            }))
        };
        let Some(finding) = self.finding else {
            return match column {
                Column::AccountId => Cow::Borrowed(self.account.map_or("", |a| a.id.as_str())),
                Column::AccountName => Cow::Borrowed(self.account.map_or("", |a| a.name.as_str())),
                Column::OuPath => ou_path(),
                Column::AccountStatus => account_status(),
                Column::Status => Cow::Borrowed("NOT_AUDITED"),
                Column::Evidence => Cow::Borrowed(self.reason),
                Column::CollectedAt => Cow::Borrowed(self.collected_at),
                Column::Period => period(),
                _ => Cow::Borrowed(""),
            };
        };
        match column {
            Column::AccountId => Cow::Borrowed(&finding.account_id),
            Column::AccountName => Cow::Borrowed(&finding.account_name),
            Column::OuPath => ou_path(),
            Column::AccountStatus => account_status(),
            Column::Region => Cow::Borrowed(finding.region.as_deref().unwrap_or_default()),
            Column::Resource => Cow::Borrowed(&finding.resource),
            Column::RuleId => Cow::Borrowed(&finding.rule_id),
            Column::Title => Cow::Borrowed(&finding.title),
            Column::Status => Cow::Borrowed(finding.status.as_str()),
            Column::Severity => Cow::Borrowed(Severity::as_str(finding.severity)),
            Column::Controls => Cow::Owned(
                finding
                    .controls
                    .iter()
                    .map(control_label)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Column::Evidence => summary_with_warnings(&finding.evidence),
            Column::Remediation => Cow::Borrowed(&finding.remediation),
            Column::CollectedAt => Cow::Borrowed(self.collected_at),
            Column::Waiver => Cow::Owned(
                finding
                    .waiver
                    .as_deref()
                    .map(waiver_sentence)
                    .unwrap_or_default(),
            ),
            Column::Period => period(),
        }
    }
}

pub struct Csv;

impl Output for Csv {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer.write_record(Column::ALL.map(Column::header))?;
        let collected_at = report.collected_at.to_rfc3339();
        for row in rows(report, &collected_at) {
            writer.write_record(
                Column::ALL.map(|column| neutralise_formula(&row.cell(column)).into_owned()),
            )?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// Every row of findings.csv: one per finding, then one per account not audited. The
/// workbook's Findings sheet writes the same rows.
pub fn rows<'a>(report: &'a Report, collected_at: &'a str) -> impl Iterator<Item = Row<'a>> {
    let accounts: HashMap<&str, &Account> = report
        .accounts
        .iter()
        .map(|a| (a.account.id.as_str(), &a.account))
        .collect();
    let findings = report.findings.iter().map(move |finding| Row {
        account: accounts.get(finding.account_id.as_str()).copied(),
        finding: Some(finding),
        reason: "",
        collected_at,
        period: report.period,
    });
    let not_audited = report.accounts.iter().filter_map(move |entry| {
        let Audit::Skipped { reason } = &entry.audit else {
            return None;
        };
        Some(Row {
            account: Some(&entry.account),
            finding: None,
            reason,
            collected_at,
            period: report.period,
        })
    });
    findings.chain(not_audited)
}

/// A spreadsheet runs a cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return that
/// hides one) as a formula; a leading apostrophe makes it text (OWASP CSV injection guidance).
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_plain_text_is_untouched() {
        for hostile in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1+1",
        ] {
            assert!(neutralise_formula(hostile).starts_with('\''), "{hostile}");
        }
        assert_eq!(neutralise_formula("prod account"), "prod account");
        assert_eq!(neutralise_formula(""), "");
    }
}
