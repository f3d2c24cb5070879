//! The organization by OU, as a CISO asks it first: which part of the organization is failing?
//! One row per OU holding accounts directly (accounts under the root form a row of their own),
//! each with the share of its audited accounts passing every seed control and each chosen
//! framework, worst first. Shared by report.html, report.md and the workbook.

use std::collections::HashMap;

use serde::Serialize;

use crate::findings::{AccountTally, Report, Status};
use crate::model::AuditState;
use crate::rules::{framework_name, SEED_CONTROLS};

/// The row of accounts whose OU the inventory does not know (a hand-made inventory, or
/// Organizations not readable).
pub const UNKNOWN_OU: &str = "(OU not known)";

#[derive(Debug, Serialize)]
pub struct OuRow<'a> {
    /// "Root/Workloads/Prod"; "Root" for the accounts directly under the root.
    pub path: &'a str,
    /// How deep the OU sits below the root (0 for the root itself), for indenting a tree.
    pub depth: usize,
    /// Accounts in the OU (directly), audited or not.
    pub accounts: usize,
    /// Accounts that were not audited, or could not be (no verdict about them holds).
    pub not_audited: usize,
    /// The audited accounts by their worst status over the seed controls' rules.
    pub seed: AccountTally,
    pub seed_share: String,
    pub seed_percent: u32,
    /// One per chosen framework (`--framework`), in that order: accounts meeting every control.
    pub frameworks: Vec<OuFramework<'a>>,
}

#[derive(Debug, Serialize)]
pub struct OuFramework<'a> {
    pub name: &'a str,
    pub accounts: AccountTally,
    pub share: String,
}

/// The chosen frameworks' names, in the order each row lists them.
pub fn framework_columns(report: &Report) -> Vec<&str> {
    report
        .framework_focus
        .iter()
        .map(|slug| framework_name(slug))
        .collect()
}

/// The OU an account is listed under, as the rows name it.
pub fn ou_of(path: Option<&str>) -> &str {
    match path {
        Some(path) if !path.is_empty() => path,
        _ => UNKNOWN_OU,
    }
}

/// Every OU with accounts, worst seed-control share first (OUs with no audited account last),
/// then by path.
pub fn by_ou(report: &Report) -> Vec<OuRow<'_>> {
    let seed_rules: Vec<&str> = SEED_CONTROLS.iter().map(|(_, rule)| *rule).collect();
    let framework_rules: Vec<Vec<&str>> = report
        .framework_focus
        .iter()
        .map(|slug| {
            report
                .summary
                .controls
                .iter()
                .filter(|c| &c.framework == slug)
                .flat_map(|c| c.rules.iter().map(String::as_str))
                .collect()
        })
        .collect();
    // Each account's worst status over the seed rules, and over each chosen framework's rules.
    let mut worst: HashMap<&str, (Option<Status>, Vec<Option<Status>>)> = HashMap::new();
    for finding in &report.findings {
        let entry = worst
            .entry(finding.account_id.as_str())
            .or_insert_with(|| (None, vec![None; framework_rules.len()]));
        let fold = |slot: &mut Option<Status>| {
            *slot = Some(slot.map_or(finding.status, |s| s.worst(finding.status)));
        };
        if seed_rules.contains(&&*finding.rule_id) {
            fold(&mut entry.0);
        }
        for (slot, rules) in entry.1.iter_mut().zip(&framework_rules) {
            if rules.contains(&&*finding.rule_id) {
                fold(slot);
            }
        }
    }

    let mut rows: Vec<OuRow> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let names = framework_columns(report);
    for entry in &report.accounts {
        let path = ou_of(entry.account.ou_path.as_deref());
        let row = *index.entry(path).or_insert_with(|| {
            rows.push(OuRow {
                path,
                depth: path.matches('/').count(),
                accounts: 0,
                not_audited: 0,
                seed: AccountTally::default(),
                seed_share: String::new(),
                seed_percent: 0,
                frameworks: names
                    .iter()
                    .map(|name| OuFramework {
                        name,
                        accounts: AccountTally::default(),
                        share: String::new(),
                    })
                    .collect(),
            });
            rows.len() - 1
        });
        let row = &mut rows[row];
        row.accounts += 1;
        if entry.audit.state() != AuditState::Audited {
            row.not_audited += 1;
            continue;
        }
        let Some((seed, frameworks)) = worst.get(entry.account.id.as_str()) else {
            continue;
        };
        count(&mut row.seed, *seed);
        for (column, status) in row.frameworks.iter_mut().zip(frameworks) {
            count(&mut column.accounts, *status);
        }
    }
    for row in &mut rows {
        (row.seed_share, row.seed_percent) = share(&row.seed);
        for column in &mut row.frameworks {
            column.share = share(&column.accounts).0;
        }
    }
    rows.sort_by(|a, b| {
        let rank = |row: &OuRow| row.seed.pass_share().unwrap_or(f64::INFINITY);
        rank(a).total_cmp(&rank(b)).then(a.path.cmp(b.path))
    });
    rows
}

fn count(tally: &mut AccountTally, worst: Option<Status>) {
    if let Some(worst) = worst {
        tally.add(worst);
    }
}

fn share(tally: &AccountTally) -> (String, u32) {
    match tally.pass_share() {
        Some(share) => (format!("{share:.0}%"), share.round() as u32),
        None => ("n/a".to_string(), 0),
    }
}
