//! findings.ocsf.jsonl: one OCSF Compliance Finding (class 2003, schema 1.5.0) per line, for a
//! SIEM or security data lake. Stable uids: the same account, rule and resource give the same
//! finding uid every month.

use serde::Serialize;
use serde_json::{json, Value};

use super::output::{Out, Output, RenderError};
use super::present::{control_label, not_audited, summary_with_warnings, NOT_AUDITED_RULE};
use crate::findings::{Finding, Report, Severity, Status};
use crate::model::Account;

const OCSF_VERSION: &str = "1.5.0";

pub struct Ocsf;

impl Output for Ocsf {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        let time = report.collected_at.timestamp_millis();
        for finding in &report.findings {
            serde_json::to_writer(&mut *out, &record(report, finding, time))?;
            out.write_all(b"\n")?;
        }
        for (account, reason) in not_audited(report) {
            serde_json::to_writer(
                &mut *out,
                &not_audited_record(report, account, reason, time),
            )?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Record<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u16,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    time: i64,
    time_dt: String,
    message: &'a str,
    metadata: serde_json::Value,
    finding_info: serde_json::Value,
    compliance: serde_json::Value,
    cloud: serde_json::Value,
    resources: serde_json::Value,
    remediation: serde_json::Value,
    unmapped: serde_json::Value,
}

fn record<'a>(report: &'a Report, finding: &'a Finding, time: i64) -> Record<'a> {
    let (severity_id, severity) = match finding.severity {
        Severity::Informational => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    };
    // OCSF compliance status: 1 Pass, 3 Fail, 0 Unknown (could not be evaluated). A muted
    // finding still fails its control; its finding status says it is suppressed.
    let (compliance_status_id, compliance_status) = match finding.status {
        Status::Pass => (1, "Pass"),
        Status::Fail | Status::Muted => (3, "Fail"),
        Status::Error => (0, "Unknown"),
    };
    let (status_id, status) = match finding.status {
        Status::Muted => (3, "Suppressed"),
        _ => (1, "New"),
    };
    // `orgtrail:<account>:<rule>:<resource>`: the same finding next month has the same uid.
    let uid = finding.key().uid(':');
    let mut standards: Vec<&str> = finding
        .controls
        .iter()
        .map(|c| c.framework.as_str())
        .collect();
    standards.sort_unstable();
    standards.dedup();
    Record {
        activity_id: 1,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2003,
        class_name: "Compliance Finding",
        type_uid: 200301,
        type_name: "Compliance Finding: Create",
        severity_id,
        severity,
        status_id,
        status,
        time,
        time_dt: report.collected_at.to_rfc3339(),
        message: &finding.evidence.summary,
        metadata: json!({
            "version": OCSF_VERSION,
            "uid": uid,
            "event_code": finding.rule_id,
            "product": {
                "name": "orgtrail",
                "vendor_name": "orgtrail",
                "version": report.tool_version,
                "uid": "orgtrail",
            },
        }),
        finding_info: json!({
            "uid": uid,
            "title": finding.title,
            "desc": summary_with_warnings(&finding.evidence),
            "types": ["Software and Configuration Checks"],
            "created_time": time,
            "created_time_dt": report.collected_at.to_rfc3339(),
        }),
        compliance: json!({
            "control": finding.rule_id,
            "standards": standards,
            "requirements": finding
                .controls
                .iter()
                .map(control_label)
                .collect::<Vec<_>>(),
            "status_id": compliance_status_id,
            "status": compliance_status,
            "desc": finding.title,
        }),
        cloud: json!({
            "provider": "AWS",
            "region": finding.region,
            "account": {
                "uid": finding.account_id,
                "name": finding.account_name,
                "type_id": 10,
                "type": "AWS Account",
            },
            "org": { "uid": report.organization.id },
        }),
        resources: json!([{
            "uid": finding.resource,
            "type": "AwsAccount",
            "cloud_partition": "aws",
            "region": finding.region,
        }]),
        remediation: json!({ "desc": finding.remediation }),
        unmapped: json!({
            "orgtrail_status": finding.status.as_str(),
            "evidence": finding.evidence,
            "waiver": finding.waiver,
        }),
    }
}

/// An account listed but not audited (closed, suspended, excluded): no control was evaluated,
/// so its compliance status is 0 Unknown, and its reason is the message.
fn not_audited_record(report: &Report, account: &Account, reason: &str, time: i64) -> Value {
    let resource = format!("AWS::::Account:{}", account.id);
    let uid = format!("orgtrail:{}:{NOT_AUDITED_RULE}:{resource}", account.id);
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2003,
        "class_name": "Compliance Finding",
        "type_uid": 200301,
        "type_name": "Compliance Finding: Create",
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 1,
        "status": "New",
        "time": time,
        "time_dt": report.collected_at.to_rfc3339(),
        "message": format!("Not audited: {reason}"),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": uid,
            "event_code": NOT_AUDITED_RULE,
            "product": {
                "name": "orgtrail",
                "vendor_name": "orgtrail",
                "version": report.tool_version,
                "uid": "orgtrail",
            },
        },
        "finding_info": {
            "uid": uid,
            "title": "Account not audited",
            "desc": format!("Not audited: {reason}"),
            "types": ["Software and Configuration Checks"],
            "created_time": time,
            "created_time_dt": report.collected_at.to_rfc3339(),
        },
        "compliance": {
            "control": NOT_AUDITED_RULE,
            "standards": [],
            "status_id": 0,
            "status": "Unknown",
            "desc": "Account not audited",
        },
        "cloud": {
            "provider": "AWS",
            "account": {
                "uid": account.id,
                "name": account.name,
                "type_id": 10,
                "type": "AWS Account",
            },
            "org": { "uid": report.organization.id },
        },
        "resources": [{
            "uid": resource,
            "type": "AwsAccount",
            "cloud_partition": "aws",
        }],
        "unmapped": {
            "orgtrail_status": "NOT_AUDITED",
            "reason": reason,
            "account_status": account.status,
        },
    })
}
