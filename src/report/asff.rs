//! findings.asff-NNN.json: the findings in the AWS Security Finding Format, 100 to a file (the
//! limit of `aws securityhub batch-import-findings`), for a custom integration in the caller's
//! account. orgtrail only writes the files; importing them is the user's call.

use serde_json::{json, Value};

use super::output::{Out, Output, RenderError};
use super::present::{
    control_label, not_audited, summary_with_warnings, waiver_sentence, NOT_AUDITED_RULE,
};
use crate::findings::{Finding, Report, Severity, Status};
use crate::model::Account;

/// BatchImportFindings takes at most 100 findings per call.
pub const CHUNK: usize = 100;

pub const FILE_PATTERN: &str = "findings.asff-NNN.json";

/// findings.asff-001.json, findings.asff-002.json, ... for parts 0, 1, ...
pub fn file_name(part: usize) -> String {
    format!("findings.asff-{:03}.json", part + 1)
}

pub fn is_file_name(name: &str) -> bool {
    name.strip_prefix("findings.asff-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .is_some_and(|number| number.len() >= 3 && number.bytes().all(|b| b.is_ascii_digit()))
}

pub struct Asff;

impl Output for Asff {
    /// A file per 100 records (the findings, then an account not audited each), and one
    /// (empty) file when there are none.
    fn parts(&self, report: &Report) -> usize {
        files_for(report.findings.len() + not_audited(report).count())
    }

    fn write(&self, report: &Report, part: usize, out: &mut Out) -> Result<(), RenderError> {
        Ok(render_chunk(report, part, out)?)
    }
}

fn files_for(findings: usize) -> usize {
    findings.div_ceil(CHUNK).max(1)
}

/// Chunk `index` (0-based) as a JSON array, ready for `--findings file://...`.
fn render_chunk(report: &Report, index: usize, out: &mut Out) -> Result<(), serde_json::Error> {
    let caller_account = report.caller_arn.split(':').nth(4).unwrap_or_default();
    let region = report.home_region.as_deref().unwrap_or("us-east-1");
    let product_arn =
        format!("arn:aws:securityhub:{region}:{caller_account}:product/{caller_account}/default");
    let findings = report
        .findings
        .iter()
        .map(|finding| record(report, finding, &product_arn, region));
    let accounts = not_audited(report)
        .map(|(account, reason)| not_audited_record(report, account, reason, &product_arn, region));
    let chunk: Vec<Value> = findings
        .chain(accounts)
        .skip(index * CHUNK)
        .take(CHUNK)
        .collect();
    serde_json::to_writer_pretty(out, &chunk)
}

/// `text` cut to `limit` characters, the most ASFF keeps in that field.
fn at_most(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}

fn record(report: &Report, finding: &Finding, product_arn: &str, region: &str) -> Value {
    let severity = match finding.severity {
        Severity::Informational => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    };
    let (compliance, workflow) = match finding.status {
        Status::Pass => ("PASSED", "RESOLVED"),
        Status::Fail => ("FAILED", "NEW"),
        Status::Muted => ("FAILED", "SUPPRESSED"),
        Status::Error => ("NOT_AVAILABLE", "NEW"),
    };
    // RelatedRequirements holds at most 32 entries; the catalogue's longest list is 31.
    let requirements: Vec<String> = finding
        .controls
        .iter()
        .take(32)
        .map(|c| at_most(&control_label(c), 128))
        .collect();
    let mut product_fields = serde_json::Map::new();
    product_fields.insert("orgtrail/status".into(), finding.status.as_str().into());
    product_fields.insert("orgtrail/rule".into(), finding.rule_id.to_string().into());
    if let Some(waiver) = &finding.waiver {
        product_fields.insert(
            "orgtrail/waiver".into(),
            at_most(&waiver_sentence(waiver), 1024).into(),
        );
    }
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": finding.key().uid('/'),
        "ProductArn": product_arn,
        "GeneratorId": format!("orgtrail/{}", finding.rule_id),
        "AwsAccountId": finding.account_id,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": report.collected_at.to_rfc3339(),
        "UpdatedAt": report.generated_at.to_rfc3339(),
        "Severity": { "Label": severity },
        "Title": at_most(&finding.title, 256),
        "Description": at_most(&summary_with_warnings(&finding.evidence), 1024),
        "Remediation": { "Recommendation": { "Text": at_most(&finding.remediation, 512) } },
        "ProductFields": product_fields,
        "Resources": [{
            "Type": "AwsAccount",
            "Id": finding.resource,
            "Partition": "aws",
            "Region": finding.region.as_deref().unwrap_or(region),
        }],
        "Compliance": { "Status": compliance, "RelatedRequirements": requirements },
        "Workflow": { "Status": workflow },
        "RecordState": "ACTIVE",
    })
}

/// An account listed but not audited (closed, suspended, excluded): Compliance.Status
/// NOT_AVAILABLE, which the Security Hub API Reference ("Compliance") gives a check that "could
/// not be performed", with the reason as its description.
fn not_audited_record(
    report: &Report,
    account: &Account,
    reason: &str,
    product_arn: &str,
    region: &str,
) -> Value {
    let resource = format!("AWS::::Account:{}", account.id);
    let mut product_fields = serde_json::Map::new();
    product_fields.insert("orgtrail/status".into(), "NOT_AUDITED".into());
    product_fields.insert(
        "orgtrail/account-status".into(),
        account.status.clone().into(),
    );
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("orgtrail/{}/{NOT_AUDITED_RULE}/{resource}", account.id),
        "ProductArn": product_arn,
        "GeneratorId": format!("orgtrail/{NOT_AUDITED_RULE}"),
        "AwsAccountId": account.id,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": report.collected_at.to_rfc3339(),
        "UpdatedAt": report.generated_at.to_rfc3339(),
        "Severity": { "Label": "INFORMATIONAL" },
        "Title": at_most(&format!("Account not audited: {}", account.name), 256),
        "Description": at_most(&format!("Not audited: {reason}"), 1024),
        "ProductFields": product_fields,
        "Resources": [{
            "Type": "AwsAccount",
            "Id": resource,
            "Partition": "aws",
            "Region": region,
        }],
        "Compliance": { "Status": "NOT_AVAILABLE" },
        "Workflow": { "Status": "NEW" },
        "RecordState": "ACTIVE",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_split_into_files_of_at_most_a_hundred() {
        assert_eq!((files_for(0), files_for(100), files_for(101)), (1, 1, 2));
        assert_eq!(file_name(0), "findings.asff-001.json");
        assert_eq!(file_name(1), "findings.asff-002.json");
    }

    #[test]
    fn long_text_is_cut_to_the_field_limit() {
        assert_eq!(at_most("short", 10), "short");
        let cut = at_most(&"é".repeat(300), 256);
        assert_eq!(cut.chars().count(), 256);
        assert!(cut.ends_with('…'));
    }
}
