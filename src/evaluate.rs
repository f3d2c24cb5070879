//! Inventory × catalogue → report. Pure: no I/O, no clock but the one passed in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::findings::Waiver;
use crate::findings::{
    AccountCoverage, AccountEntry, Evidence, Finding, Report, Status, Summary, Tally, REPORT_SCHEMA,
};
use crate::model::{AccountInventory, Audit, Inventory};
use crate::rules::coverage::region_coverage;
use crate::rules::{AccountTrails, Rule};
use crate::waivers;

/// Judge every account with every rule, then mute what the waivers cover on the report's date.
pub fn evaluate(
    inventory: &Inventory,
    rules: &[Rule],
    waivers: Vec<Waiver>,
    generated_at: DateTime<Utc>,
) -> Report {
    let findings: Vec<Finding> = inventory
        .accounts
        .par_iter()
        .flat_map_iter(|account| {
            account_findings(account, rules, &inventory.regions, inventory.collected_at)
        })
        .collect();
    let accounts: Vec<AccountEntry> = inventory
        .accounts
        .iter()
        .map(|a| AccountEntry {
            account: a.account.clone(),
            audit: a.audit.clone(),
        })
        .collect();
    let coverage = inventory
        .accounts
        .par_iter()
        .filter(|a| matches!(a.audit, Audit::Audited))
        .map(|a| AccountCoverage {
            account_id: a.account.id.clone(),
            regions: region_coverage(&a.trails, &inventory.regions),
        })
        .collect();
    let mut report = Report {
        schema: REPORT_SCHEMA.to_string(),
        generated_at,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at: inventory.collected_at,
        caller_arn: inventory.caller_arn.clone(),
        home_region: inventory.home_region.clone(),
        organization: inventory.organization.clone(),
        regions: inventory.regions.clone(),
        accounts,
        findings,
        summary: Summary::default(),
        collection: inventory.collection.clone(),
        settings: inventory.settings.clone(),
        baseline: None,
        waivers: Vec::new(),
        coverage,
        seal: None,
    };
    waivers::apply(&mut report, waivers, generated_at.date_naive());
    report.summary = summarise(&report.accounts, &report.findings, rules);
    report
}

const NOT_AUDITED_REMEDIATION: &str =
    "Give orgtrail read access to this account, then scan again: \
deploy the audit role (examples/audit-role.yaml) with a trust policy for the caller and the \
external ID passed with --external-id, or raise --account-timeout / --max-attempts if the \
account timed out or was throttled.";

/// Security Hub's way of naming a whole account as the resource of a finding.
fn account_resource(account_id: &str) -> String {
    format!("AWS::::Account:{account_id}")
}

fn account_findings(
    inventory: &AccountInventory,
    rules: &[Rule],
    regions: &[String],
    collected_at: DateTime<Utc>,
) -> Vec<Finding> {
    let account = &inventory.account;
    let account_name: Arc<str> = account.name.as_str().into();
    let finding = |rule: &Rule, status, evidence, remediation: Option<String>| Finding {
        account_id: account.id.clone(),
        account_name: account_name.clone(),
        region: None,
        resource: account_resource(&account.id),
        rule_id: rule.shared.id.clone(),
        title: rule.shared.title.clone(),
        status,
        severity: rule.meta.severity,
        controls: rule.meta.controls.clone(),
        evidence,
        remediation: remediation.map_or_else(|| rule.shared.remediation.clone(), Arc::from),
        waiver: None,
    };
    match &inventory.audit {
        // A closed or suspended account is listed in the report's accounts, not judged.
        Audit::Skipped { .. } => Vec::new(),
        Audit::Error { error } => rules
            .iter()
            .map(|rule| {
                let evidence = Evidence {
                    summary: format!("Not audited: {error}"),
                    ..Evidence::default()
                };
                finding(
                    rule,
                    Status::Error,
                    evidence,
                    Some(NOT_AUDITED_REMEDIATION.to_string()),
                )
            })
            .collect(),
        Audit::Audited => {
            let view = AccountTrails {
                account_id: &account.id,
                trails: &inventory.trails,
                log_buckets: &inventory.log_buckets,
                trail_keys: &inventory.trail_keys,
                regions,
                collected_at,
            };
            rules
                .iter()
                .map(|rule| {
                    let verdict = (rule.check)(&view);
                    finding(rule, verdict.status, verdict.evidence, verdict.fix)
                })
                .collect()
        }
    }
}

fn summarise(accounts: &[AccountEntry], findings: &[Finding], rules: &[Rule]) -> Summary {
    let mut by_rule: Vec<Tally> = rules
        .iter()
        .map(|r| Tally {
            key: r.meta.id.clone(),
            title: r.meta.title.clone(),
            ..Tally::default()
        })
        .collect();
    let mut total = Tally::default();
    for finding in findings {
        total.add(finding.status);
        if let Some(tally) = by_rule.iter_mut().find(|t| *t.key == *finding.rule_id) {
            tally.add(finding.status);
        }
    }
    // A framework tallies the findings of every rule mapped to it, each finding once however
    // many of the framework's controls its rule maps to.
    let mut by_framework: BTreeMap<&str, Tally> = BTreeMap::new();
    for (rule, tally) in rules.iter().zip(&by_rule) {
        let frameworks: BTreeSet<&str> = rule
            .meta
            .controls
            .iter()
            .map(|c| c.framework.as_str())
            .collect();
        for framework in frameworks {
            by_framework
                .entry(framework)
                .or_insert_with(|| Tally {
                    key: framework.to_string(),
                    title: framework.to_string(),
                    ..Tally::default()
                })
                .absorb(tally);
        }
    }
    let count = |wanted: fn(&Audit) -> bool| accounts.iter().filter(|a| wanted(&a.audit)).count();
    Summary {
        accounts_total: accounts.len(),
        accounts_audited: count(|a| matches!(a, Audit::Audited)),
        accounts_skipped: count(|a| matches!(a, Audit::Skipped { .. })),
        accounts_errored: count(|a| matches!(a, Audit::Error { .. })),
        findings_passed: total.passed,
        findings_failed: total.failed,
        findings_errored: total.errored,
        findings_muted: total.muted,
        rules: by_rule,
        frameworks: by_framework.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, Organization, INVENTORY_SCHEMA};
    use crate::rules::catalogue;

    fn account(id: &str, audit: Audit) -> AccountInventory {
        AccountInventory {
            account: Account {
                id: id.into(),
                name: format!("account {id}"),
                email: format!("{id}@example.com"),
                status: if matches!(audit, Audit::Skipped { .. }) {
                    "SUSPENDED".into()
                } else {
                    "ACTIVE".into()
                },
                ou_path: None,
            },
            audit,
            trails: vec![],
            log_buckets: vec![],
            trail_keys: vec![],
        }
    }

    fn inventory(accounts: Vec<AccountInventory>) -> Inventory {
        Inventory {
            schema: INVENTORY_SCHEMA.into(),
            tool_version: "test".into(),
            collected_at: Utc::now(),
            caller_arn: "arn:aws:iam::111111111111:user/auditor".into(),
            home_region: None,
            organization: Organization {
                id: Some("o-test".into()),
                management_account_id: Some("111111111111".into()),
            },
            regions: vec!["us-east-1".into()],
            accounts,
            collection: None,
            settings: None,
            shard: None,
        }
    }

    #[test]
    fn an_account_that_could_not_be_audited_gets_an_error_finding_for_every_rule() {
        let inv = inventory(vec![account(
            "222222222222",
            Audit::Error {
                error: "sts:AssumeRole denied (AccessDenied)".into(),
            },
        )]);
        let report = evaluate(&inv, catalogue(), Vec::new(), Utc::now());
        assert_eq!(report.findings.len(), catalogue().len());
        for finding in &report.findings {
            assert_eq!(finding.status, Status::Error);
            assert!(finding.evidence.summary.contains("AccessDenied"));
        }
        assert_eq!(report.summary.accounts_errored, 1);
    }

    #[test]
    fn a_closed_account_is_listed_but_not_judged() {
        let inv = inventory(vec![account(
            "333333333333",
            Audit::Skipped {
                reason: "account is SUSPENDED".into(),
            },
        )]);
        let report = evaluate(&inv, catalogue(), Vec::new(), Utc::now());
        assert!(report.findings.is_empty());
        assert_eq!(report.accounts.len(), 1);
        assert_eq!(report.summary.accounts_skipped, 1);
    }

    #[test]
    fn framework_tallies_count_a_finding_once_per_framework() {
        let inv = inventory(vec![account("444444444444", Audit::Audited)]);
        let report = evaluate(&inv, catalogue(), Vec::new(), Utc::now());
        let pci = report
            .summary
            .frameworks
            .iter()
            .find(|t| t.key == "pci-dss-4.0")
            .unwrap();
        // No trails: the two rules mapped to PCI DSS both fail, each counted once.
        let pci_rules = catalogue()
            .iter()
            .filter(|r| r.meta.controls.iter().any(|c| c.framework == "pci-dss-4.0"))
            .count();
        assert_eq!((pci.passed, pci.failed), (0, pci_rules));
    }
}
