//! Month over month: what changed between two reports of the same organization.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::findings::{Report, Status};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    pub baseline_collected_at: DateTime<Utc>,
    /// Findings that FAIL now and did not before (passed, muted, errored, or were not there).
    pub new_failures: Vec<Change>,
    /// Findings that failed before and pass now.
    pub fixed: Vec<Change>,
    /// Failures in both reports.
    pub still_failing: usize,
    pub new_accounts: Vec<AccountChange>,
    pub removed_accounts: Vec<AccountChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub account_id: String,
    pub account_name: String,
    pub rule_id: String,
    pub title: String,
    pub before: Option<Status>,
    pub after: Option<Status>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountChange {
    pub id: String,
    pub name: String,
}

pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let key = |f: &crate::findings::Finding| {
        (f.account_id.clone(), f.rule_id.clone(), f.resource.clone())
    };
    let before: HashMap<_, Status> = old.findings.iter().map(|f| (key(f), f.status)).collect();
    let after: HashMap<_, Status> = new.findings.iter().map(|f| (key(f), f.status)).collect();
    let change = |f: &crate::findings::Finding| Change {
        account_id: f.account_id.clone(),
        account_name: f.account_name.to_string(),
        rule_id: f.rule_id.to_string(),
        title: f.title.to_string(),
        before: before.get(&key(f)).copied(),
        after: after.get(&key(f)).copied(),
    };
    let mut new_failures = Vec::new();
    let mut still_failing = 0;
    for finding in new.findings.iter().filter(|f| f.status == Status::Fail) {
        match before.get(&key(finding)) {
            Some(Status::Fail) => still_failing += 1,
            _ => new_failures.push(change(finding)),
        }
    }
    let fixed = old
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && after.get(&key(f)) == Some(&Status::Pass))
        .map(|f| Change {
            after: Some(Status::Pass),
            ..change(f)
        })
        .collect();
    let ids = |report: &Report| -> HashSet<String> {
        report
            .accounts
            .iter()
            .map(|a| a.account.id.clone())
            .collect()
    };
    let (old_ids, new_ids) = (ids(old), ids(new));
    let accounts = |report: &Report, other: &HashSet<String>| {
        report
            .accounts
            .iter()
            .filter(|a| !other.contains(&a.account.id))
            .map(|a| AccountChange {
                id: a.account.id.clone(),
                name: a.account.name.clone(),
            })
            .collect()
    };
    ReportDiff {
        baseline_collected_at: old.collected_at,
        new_failures,
        fixed,
        still_failing,
        new_accounts: accounts(new, &old_ids),
        removed_accounts: accounts(old, &new_ids),
    }
}
