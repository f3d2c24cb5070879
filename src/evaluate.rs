//! Inventory × catalogue → report. Pure: no I/O, no clock but the one passed in.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::findings::Waiver;
use crate::findings::{
    AccountCoverage, AccountEntry, AccountTally, ControlTally, Evidence, Finding, Report, Status,
    Summary, Tally, REPORT_SCHEMA,
};
use crate::model::{AccountInventory, Audit, Inventory, Period};
use crate::rules::coverage::region_coverage;
use crate::rules::{framework_name, frameworks, AccountTrails, PeriodHistory, Placement, Rule};
use crate::waivers;

/// Judge every account with every rule, then mute what the waivers cover on the report's date.
pub fn evaluate(
    inventory: &Inventory,
    rules: &[Rule],
    waivers: Vec<Waiver>,
    generated_at: DateTime<Utc>,
) -> Report {
    // One Vec per account, then moved into one of exact size. `flat_map_iter(..).collect()`
    // grew a Vec per worker by doubling and copied them all into a third: at 10,000 accounts
    // 113 MB of those beside the 50 MB result, a third of the report's peak heap (heaptrack,
    // issue 24).
    let per_account: Vec<Vec<Finding>> = inventory
        .accounts
        .par_iter()
        .map(|account| {
            // An account's own stamp, or the run's in inventories written before accounts had one.
            let collected_at = account.collected_at.unwrap_or(inventory.collected_at);
            let placement = Placement {
                parent_ids: &account.account.parent_ids,
                management_account_id: inventory.organization.management_account_id.as_deref(),
                service_control_policies: inventory.service_control_policies.as_ref(),
            };
            account_findings(
                account,
                rules,
                &inventory.regions,
                collected_at,
                placement,
                inventory.period,
            )
        })
        .collect();
    let mut findings = Vec::with_capacity(per_account.iter().map(Vec::len).sum());
    for account in per_account {
        findings.extend(account);
    }
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
        framework_focus: Vec::new(),
        history: Vec::new(),
        seal: None,
        period: inventory.period,
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
    placement: Placement,
    period: Option<Period>,
) -> Vec<Finding> {
    let account = &inventory.account;
    let account_name: Arc<str> = account.name.as_str().into();
    let resource: Arc<str> = account_resource(&account.id).into();
    let finding = |rule: &Rule, status, evidence, remediation: Option<String>| Finding {
        account_id: account.id.clone(),
        account_name: account_name.clone(),
        region: None,
        resource: resource.clone(),
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
                log_groups: &inventory.log_groups,
                regions,
                collected_at,
                placement,
                history: period
                    .zip(inventory.history.as_ref())
                    .map(|(period, events)| PeriodHistory { period, events }),
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

pub fn summarise(accounts: &[AccountEntry], findings: &[Finding], rules: &[Rule]) -> Summary {
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
                    title: framework_name(framework).to_string(),
                    ..Tally::default()
                })
                .absorb(tally);
        }
    }
    // An account that could not be audited has no standing on any control: it is counted
    // apart (accounts_errored), not as "not verifiable" in every share.
    let unaudited: HashSet<&str> = accounts
        .iter()
        .filter(|a| matches!(a.audit, Audit::Error { .. }))
        .map(|a| a.account.id.as_str())
        .collect();
    let (controls, framework_accounts, rule_accounts) =
        account_tallies(findings, rules, &unaudited);
    for (tally, accounts) in by_rule.iter_mut().zip(rule_accounts) {
        tally.accounts = accounts;
    }
    for tally in by_framework.values_mut() {
        tally.accounts = framework_accounts
            .get(tally.key.as_str())
            .copied()
            .unwrap_or_default();
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
        controls,
    }
}

/// "AU-6(3)" as ("AU-", 6, "(", 3, ")"): numbers compared as numbers.
fn natural_key(id: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in id.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((
                    std::mem::take(&mut text),
                    digits.parse().unwrap_or(u64::MAX),
                ));
                digits.clear();
            }
            text.push(c);
        }
    }
    key.push((text, digits.parse().unwrap_or(0)));
    key
}

/// Audited accounts counted by their worst finding over each control's rules, over each
/// framework's rules and over each rule. Controls come framework by framework in catalogue
/// order, each framework's in the order the catalogue first names them.
fn account_tallies<'r>(
    findings: &[Finding],
    rules: &'r [Rule],
    unaudited: &HashSet<&str>,
) -> (
    Vec<ControlTally>,
    HashMap<&'r str, AccountTally>,
    Vec<AccountTally>,
) {
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.meta.id.as_str(), i))
        .collect();
    let mut standing: HashMap<&str, Vec<Option<Status>>> = HashMap::new();
    for finding in findings
        .iter()
        .filter(|f| !unaudited.contains(f.account_id.as_str()))
    {
        if let Some(&rule) = index.get(&*finding.rule_id) {
            standing
                .entry(&finding.account_id)
                .or_insert_with(|| vec![None; rules.len()])[rule] = Some(finding.status);
        }
    }
    let worst = |statuses: &[Option<Status>], over: &[usize]| {
        over.iter()
            .filter_map(|&rule| statuses[rule])
            .reduce(Status::worst)
    };
    let tally = |over: &[usize]| {
        let mut tally = AccountTally::default();
        for statuses in standing.values() {
            if let Some(status) = worst(statuses, over) {
                tally.add(status);
            }
        }
        tally
    };

    let mut controls: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    let mut by_framework: Vec<(&str, Vec<usize>)> = Vec::new();
    for framework in frameworks() {
        for (rule_index, rule) in rules.iter().enumerate() {
            for control in rule.meta.controls.iter() {
                if control.framework != framework.slug {
                    continue;
                }
                match controls
                    .iter_mut()
                    .find(|(f, id, _)| *f == control.framework && *id == control.id)
                {
                    Some((_, _, mapped)) if !mapped.contains(&rule_index) => {
                        mapped.push(rule_index)
                    }
                    Some(_) => {}
                    None => controls.push((&control.framework, &control.id, vec![rule_index])),
                }
                match by_framework
                    .iter_mut()
                    .find(|(f, _)| *f == control.framework)
                {
                    Some((_, mapped)) if !mapped.contains(&rule_index) => mapped.push(rule_index),
                    Some(_) => {}
                    None => by_framework.push((&control.framework, vec![rule_index])),
                }
            }
        }
    }
    // Within a framework, controls in the order its text numbers them: 3.2 before 3.10.
    let framework_order = |slug: &str| frameworks().iter().position(|f| f.slug == slug);
    controls.sort_by_cached_key(|(framework, control, _)| {
        (framework_order(framework), natural_key(control))
    });
    let controls = controls
        .into_iter()
        .map(|(framework, control, mapped)| ControlTally {
            framework: framework.to_string(),
            control: control.to_string(),
            rules: mapped.iter().map(|&i| rules[i].meta.id.clone()).collect(),
            accounts: tally(&mapped),
        })
        .collect();
    let frameworks = by_framework
        .into_iter()
        .map(|(framework, mapped)| (framework, tally(&mapped)))
        .collect();
    let by_rule = (0..rules.len()).map(|rule| tally(&[rule])).collect();
    (controls, frameworks, by_rule)
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
                parent_ids: Vec::new(),
            },
            audit,
            trails: vec![],
            log_buckets: vec![],
            trail_keys: vec![],
            log_groups: Vec::new(),
            collected_at: None,
            history: Some(crate::model::Readable::Read(Vec::new())),
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
            service_control_policies: None,
            period: Some(Period {
                start: Utc::now() - chrono::Duration::days(30),
                end: Utc::now(),
            }),
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

    /// Accounts with no trail fail nearly everything; set the findings by hand to reach each
    /// standing: a pass on every rule, one failure, one unverifiable rule, one waived finding.
    #[test]
    fn a_control_counts_each_audited_account_once_by_its_worst_rule() {
        let ids = [
            "100000000001",
            "100000000002",
            "100000000003",
            "100000000004",
        ];
        let mut inv = inventory(ids.iter().map(|id| account(id, Audit::Audited)).collect());
        inv.accounts.push(account(
            "100000000005",
            Audit::Error {
                error: "sts:AssumeRole denied".into(),
            },
        ));
        let mut report = evaluate(&inv, catalogue(), Vec::new(), Utc::now());
        let cis_3_1 = [
            "cloudtrail-multi-region-management-events",
            "cloudtrail-region-coverage",
        ];
        for finding in &mut report.findings {
            let rule = &*finding.rule_id;
            finding.status = match (finding.account_id.as_str(), rule) {
                ("100000000005", _) => Status::Error,
                ("100000000002", "cloudtrail-region-coverage") => Status::Fail,
                // A failure outweighs what could not be verified.
                ("100000000002", "cloudtrail-multi-region-management-events") => Status::Error,
                ("100000000003", "cloudtrail-multi-region-management-events") => Status::Error,
                ("100000000004", "cloudtrail-region-coverage") => Status::Muted,
                _ => Status::Pass,
            };
        }
        let summary = summarise(&report.accounts, &report.findings, catalogue());
        let control = |framework: &str, id: &str| {
            summary
                .controls
                .iter()
                .find(|c| c.framework == framework && c.control == id)
                .unwrap_or_else(|| panic!("{framework} {id}"))
        };
        let cis = control("cis-aws-foundations-1.5", "3.1");
        assert_eq!(cis.rules, cis_3_1, "CIS 3.1 is evidenced by both rules");
        assert_eq!(
            cis.accounts,
            AccountTally {
                passed: 1,
                failed: 1,
                errored: 1,
                muted: 1
            },
            "the unaudited account is counted apart, not as not verifiable"
        );
        // A control only the multi-region rule evidences: accounts 1 and 4 pass, 2 and 3 are
        // not verifiable.
        let pci = control("pci-dss-4.0", "10.2.1.1");
        assert_eq!(pci.rules, ["cloudtrail-multi-region-management-events"]);
        assert_eq!((pci.accounts.passed, pci.accounts.errored), (2, 2));
        // Rules count accounts as their findings do; the framework takes every mapped rule.
        let rule = &summary.rules[0];
        assert_eq!(rule.key, cis_3_1[0]);
        assert_eq!((rule.accounts.passed, rule.accounts.errored), (2, 2));
        assert_eq!(
            (rule.passed, rule.errored),
            (2, 3),
            "findings still count all five"
        );
        let framework = summary
            .frameworks
            .iter()
            .find(|f| f.key == "cis-aws-foundations-1.5")
            .unwrap();
        assert_eq!(framework.title, "CIS AWS Foundations Benchmark v1.5.0");
        assert_eq!(framework.accounts.total(), 4);
        assert_eq!(framework.accounts.passed, 1);
        // 3.2 before 3.10: controls in the order the framework numbers them.
        let order: Vec<&str> = summary
            .controls
            .iter()
            .filter(|c| c.framework == "cis-aws-foundations-1.5")
            .map(|c| c.control.as_str())
            .collect();
        let position = |id| order.iter().position(|c| *c == id).unwrap();
        assert!(position("3.2") < position("3.10"), "{order:?}");
    }
}
