//! findings.sarif: SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps,
//! any SARIF viewer). One run; the catalogue as the driver's rules; one result per finding that
//! needs attention (FAIL, ERROR, and MUTED as a suppressed result carrying its waiver).
//!
//! GitHub's upload asks for more than the SARIF schema does ("SARIF support for code scanning"):
//! every result needs a physical location with an artifact URI and a region, and
//! `partialFingerprints.primaryLocationLineHash` is what it tracks an alert by. An account has no
//! file, so the artifact is `aws/<account>/<region or global>`, the same every month, and the
//! fingerprint is a hash of the finding's stable key (account, rule, resource). The account,
//! region and resource are also logical locations, nested in `run.logicalLocations`.

use std::collections::HashMap;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::output::{Out, Output, RenderError};
use super::present::{control_label, not_audited, waiver_sentence, NOT_AUDITED_RULE};
use super::staging::hex;
use crate::findings::{Finding, Report, Severity, Status};
use crate::rules::{catalogue, RuleMeta};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Where each rule's documentation is published: the generated table of the catalogue.
const RULES_DOC: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules.md");

/// GitHub code scanning rejects a run with more results than this ("SARIF results exceed hard
/// limit"); the file is still written whole, as evidence, with a warning.
pub const GITHUB_RESULT_LIMIT: usize = 25_000;

/// GitHub rejects a rule with more than 20 tags; the widest rule maps to 31 controls, so tags
/// carry the frameworks and `properties.controls` every control.
const GITHUB_TAG_LIMIT: usize = 20;

pub struct Sarif;

impl Output for Sarif {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        let rules = driver_rules(report);
        let rule_index: HashMap<&str, usize> = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| (rule.id.as_str(), index))
            .collect();
        let reported: Vec<&Finding> = report.findings.iter().filter(|f| reported(f)).collect();
        if reported.len() > GITHUB_RESULT_LIMIT {
            tracing::warn!(
                "findings.sarif holds {} results; GitHub code scanning rejects a run of more than \
                 {GITHUB_RESULT_LIMIT}: upload the SARIF of smaller scopes (--ou, --accounts)",
                reported.len()
            );
        }
        let locations = LogicalLocations::of(report, &reported);
        let organization = report.organization.id.as_deref().unwrap_or("accounts");
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [Run {
                tool: json!({
                    "driver": {
                        "name": "orgtrail",
                        "fullName": "orgtrail: AWS CloudTrail across an AWS Organization",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": env!("CARGO_PKG_REPOSITORY"),
                        "rules": rules.iter().map(rule_descriptor).collect::<Vec<_>>(),
                    }
                }),
                // GitHub reads the part before the last '/' as the analysis category: one per
                // organization, so two organizations' uploads do not replace each other.
                automation_details: json!({
                    "id": format!("orgtrail/{organization}/{}", report.collected_at.to_rfc3339()),
                }),
                invocations: json!([{
                    "executionSuccessful": true,
                    "startTimeUtc": report.collected_at.to_rfc3339(),
                    "endTimeUtc": report.generated_at.to_rfc3339(),
                    "toolExecutionNotifications": not_audited_notifications(report, &locations),
                }]),
                column_kind: "unicodeCodePoints",
                logical_locations: &locations.table,
                results: Results {
                    findings: &reported,
                    rule_index: &rule_index,
                    locations: &locations,
                    names: &account_names(report),
                },
            }],
        };
        serde_json::to_writer(&mut *out, &log)?;
        Ok(out.write_all(b"\n")?)
    }
}

/// An account listed but not audited (closed, suspended, excluded) has no finding, so no
/// result: it is a notification of the run (SARIF 2.1.0 notification object, in the
/// invocation's toolExecutionNotifications), one per account, pointing at the account's logical
/// location, with the reason as the message.
fn not_audited_notifications(report: &Report, locations: &LogicalLocations) -> Vec<Value> {
    not_audited(report)
        .map(|(account, reason)| {
            json!({
                "descriptor": { "id": NOT_AUDITED_RULE },
                "level": "note",
                "message": {
                    "text": format!("Account {} ({}) not audited: {reason}", account.id, account.name),
                },
                "locations": [{
                    "logicalLocations": [{
                        "index": locations.index.get(&account.id),
                        "fullyQualifiedName": account.id,
                    }],
                }],
                "properties": {
                    "accountId": account.id,
                    "accountName": account.name,
                    "accountStatus": account.status,
                    "reason": reason,
                },
            })
        })
        .collect()
}

/// FAIL, ERROR and MUTED findings are results; a PASS is not.
fn reported(finding: &Finding) -> bool {
    finding.status != Status::Pass
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    automation_details: Value,
    invocations: Value,
    column_kind: &'static str,
    logical_locations: &'a [Value],
    results: Results<'a>,
}

/// The catalogue's rules, and any rule a finding names that this catalogue lacks (a report of
/// an older orgtrail), so every result has its rule.
fn driver_rules(report: &Report) -> Vec<RuleMeta> {
    let mut rules: Vec<RuleMeta> = catalogue().iter().map(|rule| rule.meta.clone()).collect();
    for finding in &report.findings {
        if !rules.iter().any(|rule| *rule.id == *finding.rule_id) {
            rules.push(RuleMeta {
                id: finding.rule_id.to_string(),
                short: finding.rule_id.to_string(),
                title: finding.title.to_string(),
                severity: finding.severity,
                rationale: finding.title.to_string(),
                remediation: finding.remediation.to_string(),
                controls: finding.controls.clone(),
            });
        }
    }
    rules
}

/// `cloudtrail-kms-key-rotation` → `CloudtrailKmsKeyRotation`, SARIF's preferred rule name.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

/// GitHub's scale: over 9.0 critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low; an
/// informational rule has none and is not a security result.
fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Informational => None,
    }
}

/// The SARIF level a failing finding of this severity gets.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "note",
    }
}

/// `security` (for rules with a severity score), then each framework the rule maps to.
fn tags(rule: &RuleMeta) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    if security_severity(rule.severity).is_some() {
        tags.push("security".into());
    }
    tags.push("cloudtrail".into());
    for control in rule.controls.iter() {
        if !tags.contains(&control.framework) {
            tags.push(control.framework.clone());
        }
    }
    tags.truncate(GITHUB_TAG_LIMIT);
    tags
}

fn rule_descriptor(rule: &RuleMeta) -> Value {
    let controls: Vec<String> = rule.controls.iter().map(control_label).collect();
    let controls_line = if controls.is_empty() {
        "Controls: none (informational).".to_string()
    } else {
        format!("Controls: {}.", controls.join(", "))
    };
    let mut properties = json!({
        "tags": tags(rule),
        "controls": controls,
        "severity": rule.severity.as_str(),
    });
    if let Some(score) = security_severity(rule.severity) {
        properties["security-severity"] = score.into();
    }
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.rationale },
        "help": {
            "text": format!("{}\n\nRemediation:\n{}\n\n{controls_line}", rule.rationale, rule.remediation),
            "markdown": format!(
                "{}\n\n**Remediation**\n\n```text\n{}\n```\n\n{controls_line}\n\nSee [the rule catalogue]({RULES_DOC}).",
                rule.rationale, rule.remediation
            ),
        },
        "helpUri": RULES_DOC,
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": properties,
    })
}

fn account_names(report: &Report) -> HashMap<&str, &str> {
    report
        .accounts
        .iter()
        .map(|entry| (entry.account.id.as_str(), entry.account.name.as_str()))
        .collect()
}

/// Account ⊃ region ⊃ resource, each once, as `run.logicalLocations`; results point into it.
struct LogicalLocations {
    table: Vec<Value>,
    index: HashMap<String, usize>,
}

impl LogicalLocations {
    fn of(report: &Report, findings: &[&Finding]) -> Self {
        let names = account_names(report);
        let mut locations = LogicalLocations {
            table: Vec::new(),
            index: HashMap::new(),
        };
        // Every account the organization lists, first: one whose findings all pass has no
        // result, and still appears in the run.
        for entry in &report.accounts {
            let id = &entry.account.id;
            locations.add(id.clone(), id, "namespace", None, Some(&entry.account.name));
        }
        for finding in findings {
            let account = locations.add(
                finding.account_id.clone(),
                &finding.account_id,
                "namespace",
                None,
                names.get(finding.account_id.as_str()).copied(),
            );
            let parent = match &finding.region {
                Some(region) => locations.add(
                    format!("{}/{region}", finding.account_id),
                    region,
                    "namespace",
                    Some(account),
                    None,
                ),
                None => account,
            };
            let parent_name = locations.table[parent]["fullyQualifiedName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            locations.add(
                format!("{parent_name}/{}", finding.resource),
                &finding.resource,
                "resource",
                Some(parent),
                None,
            );
        }
        locations
    }

    fn add(
        &mut self,
        qualified: String,
        name: &str,
        kind: &str,
        parent: Option<usize>,
        account_name: Option<&str>,
    ) -> usize {
        if let Some(&index) = self.index.get(&qualified) {
            return index;
        }
        let mut location = json!({ "name": name, "fullyQualifiedName": qualified, "kind": kind });
        if let Some(parent) = parent {
            location["parentIndex"] = parent.into();
        }
        if let Some(account_name) = account_name {
            location["properties"] = json!({ "accountName": account_name });
        }
        let index = self.table.len();
        self.table.push(location);
        self.index.insert(qualified, index);
        index
    }

    /// The resource's entry, the innermost of the three.
    fn resource(&self, finding: &Finding) -> (usize, &str) {
        let qualified = match &finding.region {
            Some(region) => format!("{}/{region}/{}", finding.account_id, finding.resource),
            None => format!("{}/{}", finding.account_id, finding.resource),
        };
        let index = self.index[&qualified];
        let name = self.table[index]["fullyQualifiedName"]
            .as_str()
            .unwrap_or_default();
        (index, name)
    }
}

/// The results, streamed one by one into the file.
struct Results<'a> {
    findings: &'a [&'a Finding],
    rule_index: &'a HashMap<&'a str, usize>,
    locations: &'a LogicalLocations,
    names: &'a HashMap<&'a str, &'a str>,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.findings.len()))?;
        for finding in self.findings {
            seq.serialize_element(&self.result(finding))?;
        }
        seq.end()
    }
}

impl Results<'_> {
    fn result(&self, finding: &Finding) -> Value {
        let account_name = self
            .names
            .get(finding.account_id.as_str())
            .copied()
            .unwrap_or(&finding.account_name);
        let place = match &finding.region {
            Some(region) => format!("{} ({account_name}), {region}", finding.account_id),
            None => format!("{} ({account_name})", finding.account_id),
        };
        let summary = if finding.evidence.summary.is_empty() {
            &*finding.title
        } else {
            &finding.evidence.summary
        };
        let mut text = match finding.status {
            Status::Error => format!("{place}: could not be evaluated: {summary}"),
            _ => format!("{place}: {summary}"),
        };
        for warning in &finding.evidence.warnings {
            text.push_str("\nWarning: ");
            text.push_str(warning);
        }
        if finding.status == Status::Fail && !finding.remediation.is_empty() {
            text.push_str("\nRemediation: ");
            text.push_str(&finding.remediation);
        }
        // An ERROR is a check that could not be made: worth a look, whatever the rule's weight.
        let level = match finding.status {
            Status::Error => "warning",
            _ => level(finding.severity),
        };
        let uid = finding.key().uid('/');
        let digest = hex(&Sha256::digest(uid.as_bytes()));
        let (location, qualified) = self.locations.resource(finding);
        let mut result = json!({
            "ruleId": finding.rule_id,
            "kind": "fail",
            "level": level,
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": format!(
                            "aws/{}/{}",
                            finding.account_id,
                            finding.region.as_deref().unwrap_or("global")
                        ),
                    },
                    "region": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 },
                },
                "logicalLocations": [{ "index": location, "fullyQualifiedName": qualified }],
            }],
            "partialFingerprints": { "primaryLocationLineHash": format!("{}:1", &digest[..16]) },
            "fingerprints": { "orgtrail/v1": uid },
            "properties": {
                "status": finding.status.as_str(),
                "severity": finding.severity.as_str(),
                "accountId": finding.account_id,
                "accountName": account_name,
                "region": finding.region,
                "resource": finding.resource,
            },
        });
        if let Some(&index) = self.rule_index.get(&*finding.rule_id) {
            result["ruleIndex"] = index.into();
        }
        if let Some(waiver) = &finding.waiver {
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": waiver_sentence(waiver),
                "properties": {
                    "reason": waiver.reason,
                    "approver": waiver.approver,
                    "expires": waiver.expires.to_string(),
                },
            }]);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(
            pascal_case("cloudtrail-kms-key-rotation"),
            "CloudtrailKmsKeyRotation"
        );
    }

    #[test]
    fn every_rule_fits_github_limits_and_security_rules_are_tagged_so() {
        for rule in catalogue() {
            let descriptor = rule_descriptor(&rule.meta);
            let tags = descriptor["properties"]["tags"].as_array().unwrap();
            assert!(tags.len() <= GITHUB_TAG_LIMIT, "{}", rule.meta.id);
            let frameworks: std::collections::BTreeSet<&str> = rule
                .meta
                .controls
                .iter()
                .map(|c| c.framework.as_str())
                .collect();
            assert!(
                frameworks.iter().all(|f| tags.iter().any(|t| t == f)),
                "{}: every framework is a tag",
                rule.meta.id
            );
            assert_eq!(
                descriptor["properties"]["controls"]
                    .as_array()
                    .unwrap()
                    .len(),
                rule.meta.controls.len()
            );
            let short = descriptor["shortDescription"]["text"].as_str().unwrap();
            assert!(!short.is_empty() && short.chars().count() <= 1024);
            assert!(!descriptor["fullDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty());
            assert!(!descriptor["help"]["text"].as_str().unwrap().is_empty());
            match descriptor["properties"].get("security-severity") {
                // GitHub reads a string holding a number in (0, 10].
                Some(score) => {
                    let score: f64 = score.as_str().unwrap().parse().unwrap();
                    assert!(score > 0.0 && score <= 10.0);
                    assert_eq!(tags[0], "security");
                }
                None => assert_eq!(rule.meta.severity, Severity::Informational),
            }
        }
    }
}
