//! findings.csv: RFC 4180, UTF-8, one row per finding plus one per account that was not
//! audited, so a pivot table over it sees every account the organization lists.

use std::collections::HashMap;
use std::io::Write;

use crate::findings::Report;
use crate::model::Audit;

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
    let accounts: HashMap<&str, &crate::model::Account> = report
        .accounts
        .iter()
        .map(|a| (a.account.id.as_str(), &a.account))
        .collect();
    for finding in &report.findings {
        let account = accounts.get(finding.account_id.as_str());
        let account_status = account.map(|a| a.status.as_str()).unwrap_or_default();
        let ou_path = account
            .and_then(|a| a.ou_path.as_deref())
            .unwrap_or_default();
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
        write_row(
            &mut writer,
            [
                &finding.account_id,
                &finding.account_name,
                ou_path,
                account_status,
                finding.region.as_deref().unwrap_or(""),
                &finding.resource,
                &finding.rule_id,
                &finding.title,
                finding.status.as_str(),
                finding.severity.as_str(),
                &controls.join("; "),
                &evidence,
                &finding.remediation,
                &collected_at,
                &finding
                    .waiver
                    .as_ref()
                    .map(|w| {
                        format!(
                            "{} (approved by {}, until {})",
                            w.reason, w.approver, w.expires
                        )
                    })
                    .unwrap_or_default(),
            ],
        )?;
    }
    for entry in &report.accounts {
        if let Audit::Skipped { reason } = &entry.audit {
            write_row(
                &mut writer,
                [
                    &entry.account.id,
                    &entry.account.name,
                    entry.account.ou_path.as_deref().unwrap_or_default(),
                    &entry.account.status,
                    "",
                    "",
                    "",
                    "",
                    "NOT_AUDITED",
                    "",
                    "",
                    reason,
                    "",
                    &collected_at,
                    "",
                ],
            )?;
        }
    }
    writer.flush()?;
    Ok(())
}

fn write_row<W: Write>(
    writer: &mut csv::Writer<W>,
    cells: [&str; COLUMNS.len()],
) -> csv::Result<()> {
    writer.write_record(
        cells
            .iter()
            .map(|cell| neutralise_formula(cell).into_owned()),
    )
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
