//! How a command fails: the exit codes, the policy that picks one for a run that wrote its
//! reports, and the two kinds of failure the edge tells apart.

use std::collections::BTreeSet;

use orgtrail::findings::{Finding, Report, Severity, Status};

/// Exit codes, documented in the README.
pub mod exit {
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const ACCOUNTS_NOT_AUDITED: u8 = 3;
    pub const FINDINGS_FAILED: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

/// A user's mistake (exit 2) or a failure of the run itself (exit 1).
pub enum Failure {
    Usage(anyhow::Error),
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Run(error)
    }
}

/// 3 when accounts of a scan could not be audited, which outranks 4: a finding at or above
/// `--fail-on` failed.
pub fn exit_code(report: &Report, unaudited_is_failure: bool, fail_on: Option<Severity>) -> u8 {
    if unaudited_is_failure {
        return exit::ACCOUNTS_NOT_AUDITED;
    }
    // With a baseline, a pipeline gates on what got worse: only failures new since then count.
    let new_since_baseline: Option<BTreeSet<(&str, &str)>> = report.baseline.as_ref().map(|diff| {
        diff.new_failures
            .iter()
            .map(|c| (c.account_id.as_str(), c.rule_id.as_str()))
            .collect()
    });
    let counts = |f: &&Finding| match &new_since_baseline {
        Some(new) => new.contains(&(f.account_id.as_str(), &*f.rule_id)),
        None => true,
    };
    let failing = |threshold: Severity| {
        report
            .findings
            .iter()
            .filter(counts)
            .any(|f| f.status == Status::Fail && f.severity >= threshold)
    };
    match fail_on {
        Some(threshold) if failing(threshold) => exit::FINDINGS_FAILED,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use orgtrail::findings::{Change, ReportDiff};
    use orgtrail::model::Inventory;
    use orgtrail::Judging;

    use super::*;

    /// The demo organization judged: high findings fail, and one account could not be audited.
    fn demo() -> Report {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-inventory.json");
        let inventory = Inventory::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        orgtrail::judge(&inventory, Judging::default(), Utc::now())
    }

    #[test]
    fn unaudited_accounts_exit_3_even_when_a_finding_at_fail_on_failed() {
        let report = demo();
        assert!(report.summary.accounts_errored > 0);
        assert_eq!(
            exit_code(&report, true, Some(Severity::Informational)),
            exit::ACCOUNTS_NOT_AUDITED
        );
        assert_eq!(exit_code(&report, true, None), exit::ACCOUNTS_NOT_AUDITED);
    }

    #[test]
    fn a_failed_finding_at_or_above_fail_on_exits_4_and_below_it_0() {
        let mut report = demo();
        report
            .findings
            .retain(|f| f.status != Status::Fail || f.severity == Severity::Medium);
        assert_eq!(
            exit_code(&report, false, Some(Severity::Medium)),
            exit::FINDINGS_FAILED
        );
        assert_eq!(
            exit_code(&report, false, Some(Severity::Low)),
            exit::FINDINGS_FAILED
        );
        assert_eq!(exit_code(&report, false, Some(Severity::High)), 0);
        assert_eq!(exit_code(&report, false, None), 0);
    }

    #[test]
    fn with_a_baseline_only_new_failures_count() {
        let mut report = demo();
        report.baseline = Some(ReportDiff {
            baseline_collected_at: report.collected_at,
            new_failures: Vec::new(),
            fixed: Vec::new(),
            still_failing: 0,
            new_accounts: Vec::new(),
            removed_accounts: Vec::new(),
            baseline_summary: None,
        });
        assert_eq!(exit_code(&report, false, Some(Severity::Informational)), 0);
        let failed = report
            .findings
            .iter()
            .find(|f| f.status == Status::Fail)
            .unwrap();
        let change = Change {
            account_id: failed.account_id.clone(),
            account_name: failed.account_name.to_string(),
            rule_id: failed.rule_id.to_string(),
            title: failed.title.to_string(),
            before: None,
            after: Some(Status::Fail),
        };
        let severity = failed.severity;
        report.baseline.as_mut().unwrap().new_failures.push(change);
        assert_eq!(
            exit_code(&report, false, Some(severity)),
            exit::FINDINGS_FAILED
        );
    }
}
