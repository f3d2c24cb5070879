//! Month over month: what changed between two reports of the same organization.

use std::collections::{HashMap, HashSet};

use crate::evaluate::summarise;
use crate::findings::{AccountChange, Change, Finding, Report, ReportDiff, Status};
use crate::rules::catalogue;

pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let before: HashMap<_, Status> = old.findings.iter().map(|f| (f.key(), f.status)).collect();
    let after: HashMap<_, Status> = new.findings.iter().map(|f| (f.key(), f.status)).collect();
    let change = |f: &Finding| Change {
        account_id: f.account_id.clone(),
        account_name: f.account_name.to_string(),
        rule_id: f.rule_id.to_string(),
        title: f.title.to_string(),
        before: before.get(&f.key()).copied(),
        after: after.get(&f.key()).copied(),
    };
    let mut new_failures = Vec::new();
    let mut still_failing = 0;
    for finding in new.findings.iter().filter(|f| f.status == Status::Fail) {
        match before.get(&finding.key()) {
            Some(Status::Fail) => still_failing += 1,
            _ => new_failures.push(change(finding)),
        }
    }
    let fixed = old
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && after.get(&f.key()) == Some(&Status::Pass))
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
        // Counted again as this version counts, so an older report.json compares like for like.
        baseline_summary: Some(summarise(&old.accounts, &old.findings, catalogue())),
    }
}
