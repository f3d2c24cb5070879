//! findings.csv: RFC 4180, UTF-8, one row per finding plus one per account that was not
//! audited, so a pivot table over it sees every account the organization lists.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use crate::findings::Report;
use crate::model::{Account, Audit};

pub const COLUMNS: [&str; 15] = [
    "account_id",
    "account_name",
    "ou_path",
    "account_status",
    "region",
    "resource",
    "rule_id",
    "title",
    "status",
    "severity",
    "controls",
    "evidence",
    "remediation",
    "collected_at",
    "waiver",
];

pub fn render(report: &Report, out: &mut dyn Write) -> Result<(), csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(COLUMNS)?;
    let collected_at = report.collected_at.to_rfc3339();
    for row in rows(report, &collected_at) {
        writer.write_record(row.iter().map(|cell| neutralise_formula(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// A row of [`COLUMNS`], as text.
pub type Row<'a> = [Cow<'a, str>; COLUMNS.len()];

/// Every row of findings.csv before formula neutralising: one per finding, then one per
/// account not audited. The workbook's Findings sheet writes the same rows.
pub fn rows<'a>(report: &'a Report, collected_at: &'a str) -> impl Iterator<Item = Row<'a>> {
    let accounts: HashMap<&str, &Account> = report
        .accounts
        .iter()
        .map(|a| (a.account.id.as_str(), &a.account))
        .collect();
    let findings = report.findings.iter().map({
        move |finding| {
            let account = accounts.get(finding.account_id.as_str());
            let controls: Vec<String> = finding
                .controls
                .iter()
                .map(|c| format!("{} {}", c.framework, c.id))
                .collect();
            let mut evidence = finding.evidence.summary.clone();
            for warning in &finding.evidence.warnings {
                evidence.push_str("\nWARNING: ");
                evidence.push_str(warning);
            }
            let waiver = finding.waiver.as_ref().map(|w| {
                format!(
                    "{} (approved by {}, until {})",
                    w.reason, w.approver, w.expires
                )
            });
            [
                Cow::Borrowed(finding.account_id.as_str()),
                Cow::Borrowed(&*finding.account_name),
                Cow::Borrowed(
                    account
                        .and_then(|a| a.ou_path.as_deref())
                        .unwrap_or_default(),
                ),
                Cow::Borrowed(account.map(|a| a.status.as_str()).unwrap_or_default()),
                Cow::Borrowed(finding.region.as_deref().unwrap_or_default()),
                Cow::Borrowed(finding.resource.as_str()),
                Cow::Borrowed(&*finding.rule_id),
                Cow::Borrowed(&*finding.title),
                Cow::Borrowed(finding.status.as_str()),
                Cow::Borrowed(finding.severity.as_str()),
                Cow::Owned(controls.join("; ")),
                Cow::Owned(evidence),
                Cow::Borrowed(&*finding.remediation),
                Cow::Borrowed(collected_at),
                Cow::Owned(waiver.unwrap_or_default()),
            ]
        }
    });
    let not_audited = report.accounts.iter().filter_map(move |entry| {
        let Audit::Skipped { reason } = &entry.audit else {
            return None;
        };
        let account = &entry.account;
        Some([
            Cow::Borrowed(account.id.as_str()),
            Cow::Borrowed(account.name.as_str()),
            Cow::Borrowed(account.ou_path.as_deref().unwrap_or_default()),
            Cow::Borrowed(account.status.as_str()),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Borrowed("NOT_AUDITED"),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Borrowed(reason.as_str()),
            Cow::Borrowed(""),
            Cow::Borrowed(collected_at),
            Cow::Borrowed(""),
        ])
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
        for hostile in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1"] {
            assert!(neutralise_formula(hostile).starts_with('\''), "{hostile}");
        }
        assert_eq!(neutralise_formula("prod account"), "prod account");
        assert_eq!(neutralise_formula(""), "");
    }
}
