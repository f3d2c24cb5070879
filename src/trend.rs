//! The trend over months: several reports of one organization → the series `orgtrail trend`
//! writes ([`Trend`]), and the earlier runs report.html draws ([`crate::findings::RunPoint`]).
//!
//! Pure: reports in, series out; reading files is the caller's. Runs are compared only on what
//! they share: a rule that some runs did not judge (another catalogue) is left out of every
//! figure, and regions that differ are named, since region-wide verdicts were judged on each
//! run's own regions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::diff::diff;
use crate::findings::{Report, RunPoint, Status};
use crate::report::{
    Comparison, Decided, FailingAccount, RunChanges, RunSource, Series, Trend, TrendRun,
};
use crate::rules::{framework_name, SEED_CONTROLS};

/// How many earlier runs a report keeps for report.html's trend.
pub const HISTORY_LIMIT: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum TrendError {
    #[error("no report given: name the report directories (or report.json files) of the runs to compare")]
    Empty,
    #[error("{first} and {second} hold the same run (collected {at}); pass only one of them")]
    SameRun {
        first: String,
        second: String,
        at: DateTime<Utc>,
    },
    #[error("{first} is a run of organization {first_organization} and {second} of {second_organization}: a trend follows one organization")]
    Organizations {
        first: String,
        first_organization: String,
        second: String,
        second_organization: String,
    },
    #[error("{0} was collected before the run added ahead of it: add runs oldest first")]
    OutOfOrder(String),
}

/// What the trend keeps of one run once its report is dropped: every rule's counts, so that
/// only the rules all runs share are summed when the last run is in.
struct RunDigest {
    run: TrendRun,
    organization: Option<String>,
    /// The rules the run judged (its catalogue), in its order.
    rules: Vec<String>,
    rule_counts: HashMap<String, Decided>,
    /// PASS and FAIL findings per framework and rule: a framework's rate over the shared rules
    /// is the sum over those rules, each finding once per framework as `summary.frameworks`
    /// counts it.
    framework_counts: BTreeMap<String, HashMap<String, Decided>>,
    /// Against the run before, per rule.
    changes: HashMap<String, RunChanges>,
    /// Accounts with FAIL findings, and the rules that fail (the findings' own shared ids).
    failing: HashMap<String, BTreeSet<Arc<str>>>,
    names: HashMap<String, String>,
}

fn add(decided: &mut Decided, status: Status) {
    match status {
        Status::Pass => decided.passed += 1,
        Status::Fail => decided.failed += 1,
        Status::Error | Status::Muted => {}
    }
}

impl RunDigest {
    fn of(report: &Report, source: RunSource, previous: Option<&Report>) -> Self {
        let summary = &report.summary;
        let mut framework_counts: BTreeMap<String, HashMap<String, Decided>> = BTreeMap::new();
        let mut failing: HashMap<String, BTreeSet<Arc<str>>> = HashMap::new();
        for finding in &report.findings {
            let frameworks: BTreeSet<&str> = finding
                .controls
                .iter()
                .map(|c| c.framework.as_str())
                .collect();
            for framework in frameworks {
                let counts = framework_counts.entry(framework.to_string()).or_default();
                add(
                    counts.entry(finding.rule_id.to_string()).or_default(),
                    finding.status,
                );
            }
            if finding.status == Status::Fail {
                failing
                    .entry(finding.account_id.clone())
                    .or_default()
                    .insert(finding.rule_id.clone());
            }
        }
        let mut changes: HashMap<String, RunChanges> = HashMap::new();
        if let Some(previous) = previous {
            let since = diff(previous, report);
            for change in &since.new_failures {
                changes
                    .entry(change.rule_id.clone())
                    .or_default()
                    .newly_failing += 1;
            }
            for change in &since.fixed {
                changes.entry(change.rule_id.clone()).or_default().fixed += 1;
            }
        }
        RunDigest {
            run: TrendRun {
                collected_at: report.collected_at,
                source,
                tool_version: report.tool_version.clone(),
                regions: report.regions.clone(),
                accounts_total: summary.accounts_total,
                accounts_audited: summary.accounts_audited,
                accounts_errored: summary.accounts_errored,
                accounts_skipped: summary.accounts_skipped,
                changes: None,
            },
            organization: report.organization.id.clone(),
            rules: summary.rules.iter().map(|t| t.key.clone()).collect(),
            rule_counts: summary
                .rules
                .iter()
                .map(|t| {
                    let counts = Decided {
                        passed: t.passed,
                        failed: t.failed,
                    };
                    (t.key.clone(), counts)
                })
                .collect(),
            framework_counts,
            changes,
            failing,
            names: report
                .accounts
                .iter()
                .map(|a| (a.account.id.clone(), a.account.name.clone()))
                .collect(),
        }
    }
}

/// Runs added one at a time, oldest first, holding at most two reports at once (the diff
/// needs the run before) and of the others only their counts and failing accounts.
#[derive(Default)]
pub struct TrendBuilder {
    digests: Vec<RunDigest>,
    previous: Option<Report>,
}

impl TrendBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next run; it must have been collected after the one added before it.
    pub fn push(&mut self, report: Report, source: RunSource) -> Result<(), TrendError> {
        if let Some(last) = self.digests.last() {
            if report.collected_at == last.run.collected_at {
                return Err(TrendError::SameRun {
                    first: last.run.source.label.clone(),
                    second: source.label,
                    at: report.collected_at,
                });
            }
            if report.collected_at < last.run.collected_at {
                return Err(TrendError::OutOfOrder(source.label));
            }
        }
        // Every run added so far is of one organization (or of an unknown one).
        let known = self.digests.iter().find(|d| d.organization.is_some());
        if let (Some(organization), Some(other)) = (&report.organization.id, known) {
            if other.organization.as_ref() != Some(organization) {
                return Err(TrendError::Organizations {
                    first: other.run.source.label.clone(),
                    first_organization: other.organization.clone().unwrap_or_default(),
                    second: source.label,
                    second_organization: organization.clone(),
                });
            }
        }
        let digest = RunDigest::of(&report, source, self.previous.as_ref());
        self.digests.push(digest);
        self.previous = Some(report);
        Ok(())
    }

    pub fn finish(self) -> Result<Trend, TrendError> {
        let digests = self.digests;
        let Some(latest) = digests.last() else {
            return Err(TrendError::Empty);
        };
        let comparison = compare(&digests);
        let shared: BTreeSet<&str> = comparison.shared_rules.iter().map(String::as_str).collect();
        Ok(Trend {
            organization: digests.iter().rev().find_map(|d| d.organization.clone()),
            runs: runs_with_changes(&digests, &shared),
            controls: seed_control_series(&digests, &shared),
            frameworks: framework_series(&digests, &shared),
            longest_failing: longest_failing(&digests, latest, &comparison.shared_rules),
            comparison,
        })
    }
}

/// Each run, with what changed since the run before on the rules every run judged.
fn runs_with_changes(digests: &[RunDigest], shared: &BTreeSet<&str>) -> Vec<TrendRun> {
    digests
        .iter()
        .enumerate()
        .map(|(index, digest)| {
            let mut run = digest.run.clone();
            if index > 0 {
                let mut changes = RunChanges::default();
                for (rule, change) in &digest.changes {
                    if shared.contains(rule.as_str()) {
                        changes.newly_failing += change.newly_failing;
                        changes.fixed += change.fixed;
                    }
                }
                run.changes = Some(changes);
            }
            run
        })
        .collect()
}

/// The seed controls every run judged, run by run.
fn seed_control_series(digests: &[RunDigest], shared: &BTreeSet<&str>) -> Vec<Series> {
    SEED_CONTROLS
        .iter()
        .filter(|(_, rule)| shared.contains(rule))
        .map(|&(label, rule)| Series {
            key: rule.to_string(),
            name: label.to_string(),
            points: digests
                .iter()
                .map(|d| d.rule_counts.get(rule).copied().unwrap_or_default())
                .collect(),
        })
        .collect()
}

/// Each framework a shared rule maps to, run by run, summed over the shared rules only.
fn framework_series(digests: &[RunDigest], shared: &BTreeSet<&str>) -> Vec<Series> {
    let frameworks: BTreeSet<&str> = digests
        .iter()
        .flat_map(|d| {
            d.framework_counts
                .iter()
                .filter(|(_, rules)| rules.keys().any(|r| shared.contains(r.as_str())))
                .map(|(framework, _)| framework.as_str())
        })
        .collect();
    frameworks
        .into_iter()
        .map(|framework| Series {
            key: framework.to_string(),
            name: framework_name(framework).to_string(),
            points: digests
                .iter()
                .map(|d| {
                    let mut sum = Decided::default();
                    for (rule, counts) in d.framework_counts.get(framework).into_iter().flatten() {
                        if shared.contains(rule.as_str()) {
                            sum.passed += counts.passed;
                            sum.failed += counts.failed;
                        }
                    }
                    sum
                })
                .collect(),
        })
        .collect()
}

/// The accounts failing a shared rule in the latest run, longest-failing first: for how many
/// runs in a row, since when, and which rules.
fn longest_failing(
    digests: &[RunDigest],
    latest: &RunDigest,
    shared_rules: &[String],
) -> Vec<FailingAccount> {
    let failing_on_shared = |digest: &RunDigest, account: &str| -> Vec<String> {
        let rules = digest.failing.get(account);
        shared_rules
            .iter()
            .filter(|rule| rules.is_some_and(|r| r.contains(rule.as_str())))
            .cloned()
            .collect()
    };
    let mut longest: Vec<FailingAccount> = latest
        .failing
        .keys()
        .filter_map(|account| {
            let failing_rules = failing_on_shared(latest, account);
            if failing_rules.is_empty() {
                return None;
            }
            let runs = digests
                .iter()
                .rev()
                .take_while(|d| !failing_on_shared(d, account).is_empty())
                .count();
            Some(FailingAccount {
                account_id: account.clone(),
                account_name: latest.names.get(account).cloned().unwrap_or_default(),
                runs,
                since: digests[digests.len() - runs].run.collected_at,
                failing_rules,
            })
        })
        .collect();
    longest.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.runs),
            std::cmp::Reverse(a.failing_rules.len()),
            &a.account_name,
            &a.account_id,
        )
            .cmp(&(
                std::cmp::Reverse(b.runs),
                std::cmp::Reverse(b.failing_rules.len()),
                &b.account_name,
                &b.account_id,
            ))
    });
    longest
}

/// The rules every run judged (in the latest run's order), the others with how many runs
/// judged them, and the regions every run audited.
fn compare(digests: &[RunDigest]) -> Comparison {
    let latest = digests.last().expect("at least one run");
    let judged_by = |rule: &str| {
        digests
            .iter()
            .filter(|d| d.rules.iter().any(|r| r == rule))
            .count()
    };
    let shared_rules: Vec<String> = latest
        .rules
        .iter()
        .filter(|rule| judged_by(rule) == digests.len())
        .cloned()
        .collect();
    let mut left_out_rules: Vec<(String, usize)> = Vec::new();
    for rule in digests.iter().flat_map(|d| &d.rules) {
        if !shared_rules.contains(rule) && !left_out_rules.iter().any(|(r, _)| r == rule) {
            left_out_rules.push((rule.clone(), judged_by(rule)));
        }
    }
    let shared_regions: Vec<String> = latest
        .run
        .regions
        .iter()
        .filter(|region| digests.iter().all(|d| d.run.regions.contains(region)))
        .cloned()
        .collect();
    let regions_differ = digests
        .iter()
        .any(|d| d.run.regions.len() != shared_regions.len());
    Comparison {
        shared_rules,
        left_out_rules,
        shared_regions,
        regions_differ,
    }
}

/// The trend of runs given in any order: sorted by collection time, then added oldest first.
pub fn trend(mut runs: Vec<(Report, RunSource)>) -> Result<Trend, TrendError> {
    runs.sort_by_key(|(report, _)| report.collected_at);
    let mut builder = TrendBuilder::new();
    for (report, source) in runs {
        builder.push(report, source)?;
    }
    builder.finish()
}

/// An earlier run as `--history` or `--baseline` gives it to a new report.
#[derive(Debug, Clone)]
pub struct EarlierRun {
    /// Where it came from, to name it in a warning.
    pub label: String,
    pub organization: Option<String>,
    pub point: RunPoint,
}

impl EarlierRun {
    pub fn of(report: &Report, label: String) -> Self {
        EarlierRun {
            label,
            organization: report.organization.id.clone(),
            point: RunPoint::of(report),
        }
    }
}

/// The earlier runs `report` keeps for report.html's trend: those of its organization collected
/// before it, each once (`--baseline` is often among `--history` too), oldest first, the last
/// [`HISTORY_LIMIT`]. Also what was set aside, and why, for a warning.
pub fn history(earlier: Vec<EarlierRun>, report: &Report) -> (Vec<RunPoint>, Vec<String>) {
    let mut kept: BTreeMap<DateTime<Utc>, RunPoint> = BTreeMap::new();
    let mut set_aside = Vec::new();
    for run in earlier {
        let organization = report.organization.id.as_deref();
        if run.organization.is_some()
            && organization.is_some()
            && run.organization.as_deref() != organization
        {
            set_aside.push(format!(
                "{} is a run of organization {}, not {}: left out of the trend",
                run.label,
                run.organization.unwrap_or_default(),
                organization.unwrap_or_default()
            ));
        } else if run.point.collected_at >= report.collected_at {
            set_aside.push(format!(
                "{} was not collected before this run: left out of the trend",
                run.label
            ));
        } else {
            kept.insert(run.point.collected_at, run.point);
        }
    }
    let skip = kept.len().saturating_sub(HISTORY_LIMIT);
    (kept.into_values().skip(skip).collect(), set_aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{
        AccountEntry, Control, Evidence, Finding, Severity, Summary, Tally, REPORT_SCHEMA,
    };
    use crate::model::{Account, Audit, Organization};

    const RULES: [&str; 5] = [
        "cloudtrail-multi-region-management-events", // CIS 3.1
        "cloudtrail-cloudwatch-logs",                // CIS 3.4
        "cloudtrail-global-service-events",          // CT-005
        "cloudtrail-management-events",              // CT-010
        "cloudtrail-sns-notifications",
    ];

    /// Every rule maps to `fw-all` (rule 0 twice, counted once); rules 0, 2 and 4 to `fw-even`.
    fn controls(rule: &str) -> Arc<[Control]> {
        let index = RULES.iter().position(|r| *r == rule).unwrap();
        let control = |framework: &str, id: &str| Control {
            framework: framework.into(),
            id: id.into(),
        };
        let mut list = vec![control("fw-all", "1")];
        if index == 0 {
            list.push(control("fw-all", "2"));
        }
        if index % 2 == 0 {
            list.push(control("fw-even", "1"));
        }
        list.into()
    }

    /// A report of `accounts`, each `(id, verdicts)`: one letter per rule of `rules` (P, F, E
    /// or M), or "-" for an account that was not audited.
    fn run(
        at: &str,
        rules: &[&str],
        regions: &[&str],
        accounts: &[(&str, &str)],
    ) -> (Report, RunSource) {
        let mut findings = Vec::new();
        let mut entries = Vec::new();
        for (id, verdicts) in accounts {
            let audit = match *verdicts {
                "-" => Audit::Skipped {
                    reason: "closed".into(),
                },
                v if v.chars().all(|c| c == 'E') => Audit::Error {
                    error: "denied".into(),
                },
                _ => Audit::Audited,
            };
            entries.push(AccountEntry {
                account: Account {
                    id: id.to_string(),
                    name: format!("name of {id}"),
                    email: String::new(),
                    status: "ACTIVE".into(),
                    ou_path: None,
                    parent_ids: Vec::new(),
                },
                audit,
            });
            for (rule, verdict) in rules.iter().zip(verdicts.chars().filter(|c| *c != '-')) {
                findings.push(Finding {
                    account_id: id.to_string(),
                    account_name: format!("name of {id}").into(),
                    region: None,
                    resource: format!("AWS::::Account:{id}").into(),
                    rule_id: (*rule).into(),
                    title: (*rule).into(),
                    status: match verdict {
                        'P' => Status::Pass,
                        'F' => Status::Fail,
                        'E' => Status::Error,
                        _ => Status::Muted,
                    },
                    severity: Severity::High,
                    controls: controls(rule),
                    evidence: Evidence::default(),
                    remediation: "".into(),
                    waiver: None,
                });
            }
        }
        let tally = |rule: &str| {
            let mut tally = Tally {
                key: rule.to_string(),
                ..Tally::default()
            };
            for finding in findings.iter().filter(|f| &*f.rule_id == rule) {
                tally.add(finding.status);
            }
            tally
        };
        let count = |state| entries.iter().filter(|e| e.audit.state() == state).count();
        let summary = Summary {
            accounts_total: entries.len(),
            accounts_audited: count(crate::model::AuditState::Audited),
            accounts_skipped: count(crate::model::AuditState::Skipped),
            accounts_errored: count(crate::model::AuditState::Error),
            rules: rules.iter().map(|r| tally(r)).collect(),
            ..Summary::default()
        };
        let collected_at: DateTime<Utc> = at.parse().unwrap();
        let report = Report {
            schema: REPORT_SCHEMA.into(),
            generated_at: collected_at,
            tool_version: "test".into(),
            collected_at,
            caller_arn: String::new(),
            home_region: None,
            organization: Organization {
                id: Some("o-test".into()),
                management_account_id: None,
            },
            regions: regions.iter().map(|r| r.to_string()).collect(),
            accounts: entries,
            findings,
            summary,
            collection: None,
            settings: None,
            baseline: None,
            waivers: Vec::new(),
            coverage: Vec::new(),
            history: Vec::new(),
            framework_focus: Vec::new(),
            seal: None,
            period: None,
        };
        let source = RunSource {
            label: at[..7].to_string(),
            report_href: Some(format!("../{}/report.html", &at[..7])),
        };
        (report, source)
    }

    fn rates(series: &Series) -> Vec<Option<String>> {
        series
            .points
            .iter()
            .map(|p| p.rate().map(|r| format!("{r:.1}")))
            .collect()
    }

    fn counts(series: &Series) -> Vec<(usize, usize)> {
        series.points.iter().map(|p| (p.passed, p.failed)).collect()
    }

    fn series<'a>(list: &'a [Series], key: &str) -> &'a Series {
        list.iter().find(|s| s.key == key).unwrap()
    }

    const EAST: &[&str] = &["us-east-1"];

    /// a1 fails throughout, a2 starts failing CIS 3.1 in October, a3 is closed, then cannot be
    /// audited, then fails everything; a1 fixes CIS 3.1 in November.
    fn three_months() -> Vec<(Report, RunSource)> {
        vec![
            run(
                "2026-11-01T00:00:00Z",
                &RULES,
                EAST,
                &[("a1", "PFFFF"), ("a2", "FPPPP"), ("a3", "FFFFF")],
            ),
            run(
                "2026-09-01T00:00:00Z",
                &RULES,
                EAST,
                &[("a1", "FFFFF"), ("a2", "PPPPP"), ("a3", "-")],
            ),
            run(
                "2026-10-01T00:00:00Z",
                &RULES,
                EAST,
                &[("a1", "FFFFF"), ("a2", "FPPPP"), ("a3", "EEEEE")],
            ),
        ]
    }

    #[test]
    fn three_months_in_any_order_give_rates_counts_changes_and_streaks() {
        let trend = trend(three_months()).unwrap();
        let months: Vec<&str> = trend.runs.iter().map(|r| r.source.label.as_str()).collect();
        assert_eq!(months, ["2026-09", "2026-10", "2026-11"]);

        let names: Vec<&str> = trend.controls.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["CIS 3.1", "CIS 3.4", "CT-005", "CT-010"]);
        let cis_3_1 = series(&trend.controls, RULES[0]);
        assert_eq!(counts(cis_3_1), [(1, 1), (0, 2), (1, 2)]);
        assert_eq!(
            rates(cis_3_1),
            [Some("50.0".into()), Some("0.0".into()), Some("33.3".into())]
        );
        assert_eq!(
            counts(series(&trend.controls, RULES[1])),
            [(1, 1), (1, 1), (1, 2)]
        );

        // fw-all counts every finding once, though rule 0 maps to two of its controls.
        let all = series(&trend.frameworks, "fw-all");
        assert_eq!(counts(all), [(5, 5), (4, 6), (5, 10)]);
        assert_eq!(
            counts(series(&trend.frameworks, "fw-even")),
            [(3, 3), (2, 4), (3, 6)]
        );
        assert_eq!(
            all.name, "fw-all",
            "a slug the catalogue does not name stays a slug"
        );

        let accounts: Vec<_> = trend
            .runs
            .iter()
            .map(|r| {
                (
                    r.accounts_total,
                    r.accounts_audited,
                    r.accounts_errored,
                    r.accounts_skipped,
                )
            })
            .collect();
        assert_eq!(accounts, [(3, 2, 0, 1), (3, 2, 1, 0), (3, 3, 0, 0)]);

        let changes: Vec<_> = trend.runs.iter().map(|r| r.changes).collect();
        assert_eq!(
            changes,
            [
                None,
                // a2's CIS 3.1 fails; a3's errors are no failures.
                Some(RunChanges {
                    newly_failing: 1,
                    fixed: 0
                }),
                // a3's five rules fail after an ERROR; a1's CIS 3.1 passes.
                Some(RunChanges {
                    newly_failing: 5,
                    fixed: 1
                }),
            ]
        );

        let streaks: Vec<_> = trend
            .longest_failing
            .iter()
            .map(|a| {
                (
                    a.account_id.as_str(),
                    a.runs,
                    a.since.format("%Y-%m").to_string(),
                    a.failing_rules.len(),
                )
            })
            .collect();
        assert_eq!(
            streaks,
            [
                ("a1", 3, "2026-09".to_string(), 4),
                ("a2", 2, "2026-10".to_string(), 1),
                // The October run could not audit a3: its streak starts in November.
                ("a3", 1, "2026-11".to_string(), 5),
            ]
        );
        assert_eq!(trend.longest_failing[0].account_name, "name of a1");
        assert!(trend.comparison.left_out_rules.is_empty());
        assert!(!trend.comparison.regions_differ);
    }

    #[test]
    fn runs_with_another_catalogue_or_other_regions_are_compared_on_what_they_share() {
        let runs = vec![
            // An older catalogue without the SNS rule, and one more region.
            run(
                "2026-09-01T00:00:00Z",
                &RULES[..4],
                &["us-east-1", "eu-west-1"],
                &[("a1", "FFFF"), ("a2", "PPPP")],
            ),
            run(
                "2026-10-01T00:00:00Z",
                &RULES,
                EAST,
                &[("a1", "FFFFF"), ("a2", "PPPPF")],
            ),
            run(
                "2026-11-01T00:00:00Z",
                &RULES,
                EAST,
                &[("a1", "FFFFP"), ("a2", "PPPPF")],
            ),
        ];
        let trend = trend(runs).unwrap();
        let comparison = &trend.comparison;
        assert_eq!(comparison.shared_rules, RULES[..4]);
        assert_eq!(
            comparison.left_out_rules,
            [("cloudtrail-sns-notifications".to_string(), 2)]
        );
        assert_eq!(comparison.shared_regions, ["us-east-1"]);
        assert!(comparison.regions_differ);

        // The SNS rule counts nowhere: not in the frameworks, not in the changes.
        assert_eq!(
            counts(series(&trend.frameworks, "fw-all")),
            [(4, 4), (4, 4), (4, 4)]
        );
        let changes: Vec<_> = trend.runs.iter().filter_map(|r| r.changes).collect();
        assert_eq!(changes, [RunChanges::default(), RunChanges::default()]);
        let failing = &trend.longest_failing[0];
        assert_eq!((failing.account_id.as_str(), failing.runs), ("a1", 3));
        assert_eq!(failing.failing_rules, RULES[..4]);
        assert_eq!(trend.longest_failing.len(), 1, "a2 fails only the SNS rule");
    }

    #[test]
    fn framework_rates_equal_the_reports_own_summary_when_the_catalogue_is_the_same() {
        let inventory =
            crate::model::Inventory::from_json(include_str!("../examples/demo-inventory.json"))
                .unwrap();
        let report = crate::evaluate::evaluate(
            &inventory,
            crate::rules::catalogue(),
            Vec::new(),
            inventory.collected_at,
        );
        let summary = report.summary.clone();
        let trend = trend(vec![(report, RunSource::default())]).unwrap();
        assert_eq!(trend.frameworks.len(), summary.frameworks.len());
        for tally in &summary.frameworks {
            let series = series(&trend.frameworks, &tally.key);
            assert_eq!(
                counts(series),
                [(tally.passed, tally.failed)],
                "{}",
                tally.key
            );
            assert_eq!(series.name, tally.title);
        }
        for (_, rule) in SEED_CONTROLS {
            let tally = summary.rules.iter().find(|t| t.key == rule).unwrap();
            assert_eq!(
                counts(series(&trend.controls, rule)),
                [(tally.passed, tally.failed)]
            );
        }
    }

    #[test]
    fn the_same_run_twice_another_organization_or_no_run_is_refused() {
        let mut twice = three_months();
        twice.push(twice[0].clone());
        assert!(matches!(trend(twice), Err(TrendError::SameRun { .. })));

        let mut other = three_months();
        other[1].0.organization.id = Some("o-other".into());
        let error = trend(other).unwrap_err();
        assert!(error.to_string().contains("o-other"), "{error}");

        let mut unknown = three_months();
        unknown[1].0.organization.id = None;
        assert!(
            trend(unknown).is_ok(),
            "a run without an organization id is not another one"
        );

        assert!(matches!(trend(Vec::new()), Err(TrendError::Empty)));
    }

    #[test]
    fn a_report_keeps_earlier_runs_of_its_organization_once_oldest_first() {
        let (current, _) = run("2027-12-01T00:00:00Z", &RULES, EAST, &[("a1", "PPPPP")]);
        let month = |m: u32| {
            let (report, _) = run(
                &format!("2026-{m:02}-01T00:00:00Z"),
                &RULES,
                EAST,
                &[("a1", "FFFFF")],
            );
            EarlierRun::of(&report, format!("2026-{m:02}"))
        };
        let mut earlier: Vec<EarlierRun> = (1..=12).rev().map(month).collect();
        earlier.push(month(12)); // the baseline, also among --history
        let (later, _) = run("2028-01-01T00:00:00Z", &RULES, EAST, &[]);
        earlier.push(EarlierRun::of(&later, "later".into()));
        let (mut foreign, _) = run("2025-01-01T00:00:00Z", &RULES, EAST, &[]);
        foreign.organization.id = Some("o-other".into());
        earlier.push(EarlierRun::of(&foreign, "foreign".into()));
        let (older, _) = run("2025-12-01T00:00:00Z", &RULES, EAST, &[]);
        earlier.push(EarlierRun::of(&older, "older".into()));

        let (history, set_aside) = history(earlier, &current);
        let months: Vec<String> = history
            .iter()
            .map(|p| p.collected_at.format("%Y-%m").to_string())
            .collect();
        let expected: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
        assert_eq!(months, expected, "the last twelve, oldest first, each once");
        assert_eq!(set_aside.len(), 2, "{set_aside:?}");
        assert!(set_aside[0].starts_with("later") && set_aside[1].contains("o-other"));
        assert_eq!(history[0].rules[0].failed, 1);
    }
}
