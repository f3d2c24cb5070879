//! Where the organization stands, as an auditor asks it first: the headline (each seed control
//! and each chosen framework: the share of audited accounts passing, the change since the
//! baseline) and each framework's controls as its auditors know them. Shared by report.html,
//! report.md and the workbook.

use std::collections::HashMap;

use serde::Serialize;

use crate::findings::{AccountTally, Report, Status, Summary, Tally};
use crate::rules::{framework_name, short_name, SEED_CONTROLS};

/// After the seed controls, the headline says how many accounts cannot have their trails
/// switched off quietly: guarded by an SCP, and alarmed on a change (issue 23).
const GUARD_SHARES: [(&str, &str); 2] = [
    ("Trails protected by SCP", "cloudtrail-protected-by-scp"),
    ("Changes alarmed", "cloudtrail-changes-alarmed"),
];

/// How many failing accounts a control lists before it says "and N more".
const FAILING_SHOWN: usize = 10;

#[derive(Serialize)]
pub struct Headline<'a> {
    /// One line per seed control, then one per chosen framework (`--framework`).
    pub lines: Vec<HeadlineLine<'a>>,
    pub audited: usize,
    /// Accounts that could not be audited: no verdict about them holds.
    pub not_audited: usize,
    pub has_baseline: bool,
}

#[derive(Serialize)]
pub struct HeadlineLine<'a> {
    /// "CIS 3.1", or a framework's name.
    pub label: &'a str,
    pub title: &'a str,
    /// An anchor in report.html: the rule's row, or the framework's controls.
    pub anchor: String,
    pub accounts: AccountTally,
    /// "83%", or "n/a" when no account was judged.
    pub share: String,
    /// The share as a number for a bar, 0 to 100.
    pub percent: u32,
    /// "+5 pts", "−3 pts", "±0 pts"; `None` without a baseline to compare with.
    pub change: Option<String>,
}

#[derive(Serialize)]
pub struct FrameworkView<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    /// Chosen with `--framework`: shown first and open.
    pub focus: bool,
    pub accounts: AccountTally,
    pub share: String,
    pub controls: Vec<ControlView<'a>>,
}

#[derive(Serialize)]
pub struct ControlView<'a> {
    pub id: &'a str,
    /// The rules that evidence the control, by their short names.
    pub rules: Vec<&'a str>,
    pub accounts: AccountTally,
    pub share: String,
    pub percent: u32,
    pub failing: Vec<AccountLink<'a>>,
    pub more_failing: usize,
}

#[derive(Clone, Serialize)]
pub struct AccountLink<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

fn share_of(accounts: &AccountTally) -> (String, u32) {
    match accounts.pass_share() {
        Some(share) => (format!("{share:.0}%"), share.round() as u32),
        None => ("n/a".to_string(), 0),
    }
}

/// The change of the passing share, in percentage points, from `before` to `now`.
fn change(before: Option<&AccountTally>, now: &AccountTally) -> Option<String> {
    let (before, now) = (before?.pass_share()?, now.pass_share()?);
    let points = (now - before).round() as i64;
    Some(match points {
        0 => "±0 pts".to_string(),
        p if p > 0 => format!("+{p} pts"),
        p => format!("−{} pts", -p),
    })
}

/// The frameworks in the order a reader wants them: chosen ones first, then the catalogue's.
fn ordered(report: &Report) -> Vec<&Tally> {
    let focus = &report.framework_focus;
    let mut frameworks: Vec<&Tally> = report.summary.frameworks.iter().collect();
    frameworks.sort_by_key(|t| {
        (
            focus
                .iter()
                .position(|f| *f == t.key)
                .unwrap_or(focus.len()),
            crate::rules::frameworks()
                .iter()
                .position(|f| f.slug == t.key)
                .unwrap_or(usize::MAX),
        )
    });
    frameworks
}

pub fn headline(report: &Report) -> Headline<'_> {
    let before: Option<&Summary> = report
        .baseline
        .as_ref()
        .and_then(|b| b.baseline_summary.as_ref());
    let rule_before =
        |key: &str| before.and_then(|s| s.rules.iter().find(|t| t.key == key).map(|t| &t.accounts));
    let framework_before = |key: &str| {
        before.and_then(|s| {
            s.frameworks
                .iter()
                .find(|t| t.key == key)
                .map(|t| &t.accounts)
        })
    };
    let mut lines = Vec::new();
    for (label, rule_id) in SEED_CONTROLS.into_iter().chain(GUARD_SHARES) {
        let Some(tally) = report.summary.rules.iter().find(|t| t.key == rule_id) else {
            continue;
        };
        let (share, percent) = share_of(&tally.accounts);
        lines.push(HeadlineLine {
            label,
            title: &tally.title,
            anchor: format!("rule-{}", tally.key),
            accounts: tally.accounts,
            share,
            percent,
            change: change(rule_before(&tally.key), &tally.accounts),
        });
    }
    for tally in ordered(report)
        .into_iter()
        .filter(|t| report.framework_focus.contains(&t.key))
    {
        let (share, percent) = share_of(&tally.accounts);
        lines.push(HeadlineLine {
            label: framework_name(&tally.key),
            title: "accounts meeting every control",
            anchor: format!("framework-{}", tally.key),
            accounts: tally.accounts,
            share,
            percent,
            change: change(framework_before(&tally.key), &tally.accounts),
        });
    }
    Headline {
        lines,
        audited: report.summary.accounts_audited,
        not_audited: report.summary.accounts_errored,
        has_baseline: before.is_some(),
    }
}

/// Every framework with its controls, chosen frameworks first; each control with the accounts
/// that fail it (the first few by account id, linked).
pub fn frameworks(report: &Report) -> Vec<FrameworkView<'_>> {
    let failing = failing_accounts(report);
    ordered(report)
        .into_iter()
        .map(|tally| {
            let (share, _) = share_of(&tally.accounts);
            FrameworkView {
                slug: &tally.key,
                name: framework_name(&tally.key),
                focus: report.framework_focus.contains(&tally.key),
                accounts: tally.accounts,
                share,
                controls: report
                    .summary
                    .controls
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.framework == tally.key)
                    .map(|(index, control)| {
                        let (share, percent) = share_of(&control.accounts);
                        let shown = &failing[index];
                        ControlView {
                            id: &control.control,
                            rules: control.rules.iter().map(|r| short_name(r)).collect(),
                            accounts: control.accounts,
                            share,
                            percent,
                            more_failing: control.accounts.failed.saturating_sub(shown.len()),
                            failing: shown.clone(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// For each control of `summary.controls`, the first accounts (by id) that fail it. An account
/// fails a control when its worst finding over the control's rules is a FAIL.
fn failing_accounts(report: &Report) -> Vec<Vec<AccountLink<'_>>> {
    let controls = &report.summary.controls;
    let rule_index: HashMap<&str, usize> = report
        .summary
        .rules
        .iter()
        .enumerate()
        .map(|(i, t)| (t.key.as_str(), i))
        .collect();
    let mapped: Vec<Vec<usize>> = controls
        .iter()
        .map(|c| {
            c.rules
                .iter()
                .filter_map(|r| rule_index.get(r.as_str()).copied())
                .collect()
        })
        .collect();
    // Each account's status per rule, by the rules' positions.
    let mut standing: HashMap<&str, Vec<Option<Status>>> = HashMap::new();
    for finding in &report.findings {
        if let Some(&rule) = rule_index.get(&*finding.rule_id) {
            standing
                .entry(&finding.account_id)
                .or_insert_with(|| vec![None; rule_index.len()])[rule] = Some(finding.status);
        }
    }
    let mut accounts: Vec<(&str, &[Option<Status>])> = standing
        .iter()
        .map(|(id, statuses)| (*id, statuses.as_slice()))
        .collect();
    accounts.sort_unstable_by_key(|(id, _)| *id);
    let names: HashMap<&str, &str> = report
        .accounts
        .iter()
        .map(|a| (a.account.id.as_str(), a.account.name.as_str()))
        .collect();

    let mut failing: Vec<Vec<AccountLink>> = vec![Vec::new(); controls.len()];
    for (id, statuses) in accounts {
        for (shown, rules) in failing.iter_mut().zip(&mapped) {
            if shown.len() == FAILING_SHOWN {
                continue;
            }
            let worst = rules
                .iter()
                .filter_map(|&rule| statuses[rule])
                .reduce(Status::worst);
            if worst == Some(Status::Fail) {
                shown.push(AccountLink {
                    id,
                    name: names.get(id).copied().unwrap_or(""),
                });
            }
        }
    }
    failing
}
