//! The report arranged the way people read it. Templates get these views and nothing else: the
//! page (summary, rules, frameworks, failures per rule) and, one at a time, each account, so a
//! report of 10,000 accounts is rendered without building one context holding all of them.

use std::collections::HashMap;

use serde::Serialize;

use super::history::{history_view, HistoryView};
use super::period::{period_view, PeriodView};
use super::present::coverage_mark;
use super::standing::{self, FrameworkView, Headline};
use crate::findings::{
    Control, Evidence, Finding, Report, ReportDiff, Seal, Status, Summary, Tally, Waiver, WaiverUse,
};
use crate::model::{AuditState, CollectionStats, Organization, ScanSettings};
use crate::rules::{framework_name, short_name};

/// How many accounts a failure list shows before it says "and N more".
const LIST_LIMIT: usize = 25;

pub struct ReportView<'a> {
    pub page: PageView<'a>,
    pub accounts: Vec<AccountView<'a>>,
}

#[derive(Serialize)]
pub struct PageView<'a> {
    /// "CloudTrail audit of organization o-…", led by the chosen frameworks' names.
    pub title: String,
    /// Organization and collection date for the printed page's running header, reduced to
    /// characters that are safe inside a CSS string.
    pub print_header: String,
    /// Where the organization stands, before any table.
    pub headline: Headline<'a>,
    /// Every framework with its controls, chosen ones first.
    pub standing: Vec<FrameworkView<'a>>,
    pub report: ReportHeader<'a>,
    pub summary: &'a Summary,
    /// Times as people read them, to the second.
    pub collected_at: String,
    pub generated_at: String,
    pub rules: Vec<RuleView<'a>>,
    pub frameworks: Vec<TallyView<'a>>,
    pub failures: Vec<RuleFailures<'a>>,
    /// Warnings on findings of any status (a pass with a delivery error, duplicated global
    /// events...): the first `LIST_LIMIT`, and how many more there are.
    pub warnings: Vec<WarningRef<'a>>,
    pub more_warnings: usize,
    /// Accounts that were not audited, or could not be: listed on the page itself.
    pub not_audited: Vec<AccountRef<'a>>,
    pub coverage: CoverageView<'a>,
    pub waivers: &'a [WaiverUse],
    pub baseline: Option<&'a ReportDiff>,
    pub heatmap: Heatmap<'a>,
    /// This run and the earlier ones the report holds, when it holds any: report.html's trend.
    pub history: Option<HistoryView>,
    /// "During the period" (templates/period.html.tera); `None` without a period.
    pub period: Option<PeriodView<'a>>,
}

/// Accounts × rules, one status per cell, worst accounts first.
#[derive(Serialize)]
pub struct Heatmap<'a> {
    pub rules: Vec<&'a str>,
    /// The columns by name: short for the heading, the title on hover.
    pub columns: Vec<HeatmapColumn<'a>>,
    pub rows: Vec<HeatmapRow<'a>>,
    /// Audited accounts beyond the page's limit.
    pub more: usize,
}

#[derive(Serialize)]
pub struct HeatmapColumn<'a> {
    pub id: &'a str,
    pub short: &'a str,
    pub title: &'a str,
}

#[derive(Serialize)]
pub struct HeatmapRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub failed: usize,
    pub cells: Vec<&'static str>,
}

/// How many rows of the coverage matrix the page shows; report.json holds them all.
const MATRIX_LIMIT: usize = 1000;

#[derive(Serialize)]
pub struct CoverageView<'a> {
    pub regions: Vec<RegionTally<'a>>,
    /// Accounts with a gap in some region, one cell per region.
    pub gaps: Vec<CoverageRow<'a>>,
    pub more_gaps: usize,
    pub gap_accounts: usize,
    pub complete_accounts: usize,
}

#[derive(Serialize)]
pub struct RegionTally<'a> {
    pub region: &'a str,
    pub complete: usize,
    pub partial: usize,
    pub uncovered: usize,
}

#[derive(Serialize)]
pub struct CoverageRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub cells: Vec<CoverageCell>,
}

#[derive(Serialize)]
pub struct CoverageCell {
    /// "RW" reads and writes, "R" or "W" one of them, "" none.
    pub mark: &'static str,
    /// The trails that cover the region.
    pub trails: String,
}

/// The report's own fields, without its (large) account and finding lists.
#[derive(Serialize)]
pub struct ReportHeader<'a> {
    pub organization: &'a Organization,
    pub caller_arn: &'a str,
    pub tool_version: &'a str,
    pub regions: &'a [String],
    pub collection: Option<&'a CollectionStats>,
    pub settings: Option<&'a ScanSettings>,
    pub seal: Option<&'a Seal>,
}

#[derive(Serialize)]
pub struct AccountView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub status: &'a str,
    pub state: AuditState,
    pub detail: Option<&'a str>,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub muted: usize,
    pub findings: Vec<FindingView<'a>>,
}

/// A finding as an account section shows it: everything but its control list, which the rules
/// table shows once (serialising it 160,000 times for 10,000 accounts was most of the work).
#[derive(Serialize)]
pub struct FindingView<'a> {
    pub rule_id: &'a str,
    pub title: &'a str,
    pub status: &'static str,
    pub severity: &'static str,
    pub evidence: &'a Evidence,
    pub remediation: &'a str,
    pub waiver: Option<&'a Waiver>,
}

impl<'a> FindingView<'a> {
    fn new(finding: &'a Finding) -> Self {
        FindingView {
            rule_id: &finding.rule_id,
            title: &finding.title,
            status: finding.status.as_str(),
            severity: finding.severity.as_str(),
            evidence: &finding.evidence,
            remediation: &finding.remediation,
            waiver: finding.waiver.as_deref(),
        }
    }
}

#[derive(Serialize)]
pub struct RuleView<'a> {
    #[serde(flatten)]
    pub tally: TallyView<'a>,
    pub controls: Vec<ControlName<'a>>,
}

/// A control as a person reads it: the framework by its name.
#[derive(Serialize)]
pub struct ControlName<'a> {
    pub framework: &'a str,
    pub slug: &'a str,
    pub id: &'a str,
}

#[derive(Serialize)]
pub struct RuleFailures<'a> {
    pub rule_id: &'a str,
    pub title: &'a str,
    pub severity: &'static str,
    pub count: usize,
    pub shown: Vec<AccountRef<'a>>,
    pub more: usize,
}

#[derive(Serialize)]
pub struct WarningRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub status: &'static str,
    pub warning: &'a str,
}

#[derive(Serialize)]
pub struct AccountRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
}

#[derive(Serialize)]
pub struct TallyView<'a> {
    #[serde(flatten)]
    pub tally: &'a Tally,
    /// Rounded percentage of decided findings that passed, or "n/a".
    pub pass_rate: String,
    /// The same as a number from 0 to 100, for a bar.
    pub pass_percent: u32,
    /// The human name of a framework tally; the rule's title for a rule.
    pub name: &'a str,
}

impl<'a> TallyView<'a> {
    fn new(tally: &'a Tally) -> Self {
        TallyView {
            tally,
            pass_rate: tally
                .pass_rate()
                .map(|rate| format!("{rate:.0}%"))
                .unwrap_or_else(|| "n/a".to_string()),
            pass_percent: tally.pass_rate().map_or(0, |rate| rate.round() as u32),
            name: framework_name(&tally.key),
        }
    }
}

impl<'a> ReportView<'a> {
    pub fn new(report: &'a Report) -> Self {
        let mut by_account: HashMap<&str, Vec<&Finding>> = HashMap::new();
        let mut failing_by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for finding in &report.findings {
            by_account
                .entry(&finding.account_id)
                .or_default()
                .push(finding);
            if finding.status == Status::Fail {
                failing_by_rule
                    .entry(&finding.rule_id)
                    .or_default()
                    .push(finding);
            }
        }
        let mut accounts: Vec<AccountView> = report
            .accounts
            .iter()
            .map(|entry| {
                let findings = by_account
                    .remove(entry.account.id.as_str())
                    .unwrap_or_default();
                let count = |status| findings.iter().filter(|f| f.status == status).count();
                let (passed, failed, errored, muted) = (
                    count(Status::Pass),
                    count(Status::Fail),
                    count(Status::Error),
                    count(Status::Muted),
                );
                let findings: Vec<FindingView> =
                    findings.into_iter().map(FindingView::new).collect();
                AccountView {
                    id: &entry.account.id,
                    name: &entry.account.name,
                    email: &entry.account.email,
                    status: &entry.account.status,
                    state: entry.audit.state(),
                    detail: entry.audit.detail(),
                    passed,
                    failed,
                    errored,
                    muted,
                    findings,
                }
            })
            .collect();
        // What needs attention first: accounts that could not be audited, then the most failures.
        accounts.sort_by(|a, b| {
            (a.state, std::cmp::Reverse(a.failed), a.name).cmp(&(
                b.state,
                std::cmp::Reverse(b.failed),
                b.name,
            ))
        });

        let failures = report
            .summary
            .rules
            .iter()
            .filter_map(|tally| {
                let failing = failing_by_rule.get(tally.key.as_str())?;
                Some(RuleFailures {
                    rule_id: &tally.key,
                    title: &tally.title,
                    severity: failing[0].severity.as_str(),
                    count: failing.len(),
                    more: failing.len().saturating_sub(LIST_LIMIT),
                    shown: failing
                        .iter()
                        .take(LIST_LIMIT)
                        .map(|f| AccountRef {
                            id: &f.account_id,
                            name: &f.account_name,
                            summary: &f.evidence.summary,
                        })
                        .collect(),
                })
            })
            .collect();

        let mut warnings = report.findings.iter().flat_map(|f| {
            f.evidence.warnings.iter().map(|warning| WarningRef {
                id: &f.account_id,
                name: &f.account_name,
                title: &f.title,
                status: f.status.as_str(),
                warning,
            })
        });
        let shown_warnings: Vec<WarningRef> = warnings.by_ref().take(LIST_LIMIT).collect();
        let more_warnings = warnings.count();

        let not_audited = accounts
            .iter()
            .filter(|a| a.state != AuditState::Audited)
            .map(|a| AccountRef {
                id: a.id,
                name: a.name,
                summary: a.detail.unwrap_or(a.state.as_str()),
            })
            .collect();
        let controls_of = |rule: &str| {
            report
                .findings
                .iter()
                .find(|f| &*f.rule_id == rule)
                .map(|f| &f.controls[..])
                .unwrap_or(&[])
        };
        let readable =
            |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let organization = report.organization.id.as_deref().unwrap_or("(unknown)");
        let mut title = format!("CloudTrail audit of organization {organization}");
        let focus: Vec<&str> = report
            .framework_focus
            .iter()
            .map(|slug| framework_name(slug))
            .collect();
        if !focus.is_empty() {
            title = format!("{}: {title}", focus.join(", "));
        }
        let print_header: String = format!(
            "orgtrail · {organization} · collected {}",
            report.collected_at.format("%Y-%m-%d")
        )
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " -·:.()".contains(*c))
        .collect();
        let page = PageView {
            title,
            print_header,
            headline: standing::headline(report),
            standing: standing::frameworks(report),
            report: ReportHeader {
                organization: &report.organization,
                caller_arn: &report.caller_arn,
                tool_version: &report.tool_version,
                regions: &report.regions,
                collection: report.collection.as_ref(),
                settings: report.settings.as_ref(),
                seal: report.seal.as_ref(),
            },
            summary: &report.summary,
            collected_at: readable(&report.collected_at),
            generated_at: readable(&report.generated_at),
            rules: report
                .summary
                .rules
                .iter()
                .map(|tally| RuleView {
                    tally: TallyView::new(tally),
                    controls: controls_of(&tally.key)
                        .iter()
                        .map(|c: &Control| ControlName {
                            framework: framework_name(&c.framework),
                            slug: &c.framework,
                            id: &c.id,
                        })
                        .collect(),
                })
                .collect(),
            frameworks: report
                .summary
                .frameworks
                .iter()
                .map(TallyView::new)
                .collect(),
            failures,
            warnings: shown_warnings,
            more_warnings,
            not_audited,
            coverage: coverage_view(report),
            waivers: &report.waivers,
            baseline: report.baseline.as_ref(),
            heatmap: heatmap(report, &accounts),
            history: history_view(report),
            period: period_view(report),
        };
        ReportView { page, accounts }
    }
}

fn heatmap<'a>(report: &'a Report, accounts: &[AccountView<'a>]) -> Heatmap<'a> {
    let rules: Vec<&str> = report
        .summary
        .rules
        .iter()
        .map(|t| t.key.as_str())
        .collect();
    let judged = accounts.iter().filter(|a| !a.findings.is_empty());
    let rows: Vec<HeatmapRow> = judged
        .clone()
        .take(MATRIX_LIMIT)
        .map(|account| HeatmapRow {
            id: account.id,
            name: account.name,
            failed: account.failed,
            cells: rules
                .iter()
                .map(|rule| {
                    account
                        .findings
                        .iter()
                        .find(|f| f.rule_id == *rule)
                        .map(|f| f.status)
                        .unwrap_or("")
                })
                .collect(),
        })
        .collect();
    let columns = report
        .summary
        .rules
        .iter()
        .map(|tally| HeatmapColumn {
            id: &tally.key,
            short: short_name(&tally.key),
            title: &tally.title,
        })
        .collect();
    Heatmap {
        more: judged.count() - rows.len(),
        rules,
        columns,
        rows,
    }
}

fn coverage_view(report: &Report) -> CoverageView<'_> {
    let names: HashMap<&str, &str> = report
        .accounts
        .iter()
        .map(|a| (a.account.id.as_str(), a.account.name.as_str()))
        .collect();
    let mut regions: Vec<RegionTally> = report
        .regions
        .iter()
        .map(|region| RegionTally {
            region,
            complete: 0,
            partial: 0,
            uncovered: 0,
        })
        .collect();
    let mut gaps = Vec::new();
    let mut gap_count = 0;
    for account in &report.coverage {
        for (tally, cell) in regions.iter_mut().zip(&account.regions) {
            match (cell.reads, cell.writes) {
                (true, true) => tally.complete += 1,
                (false, false) => tally.uncovered += 1,
                _ => tally.partial += 1,
            }
        }
        if account.regions.iter().all(|r| r.complete()) {
            continue;
        }
        gap_count += 1;
        if gaps.len() < MATRIX_LIMIT {
            gaps.push(CoverageRow {
                id: &account.account_id,
                name: names
                    .get(account.account_id.as_str())
                    .copied()
                    .unwrap_or(""),
                cells: account
                    .regions
                    .iter()
                    .map(|r| CoverageCell {
                        mark: coverage_mark(r),
                        trails: r.trails.join(", "),
                    })
                    .collect(),
            });
        }
    }
    CoverageView {
        regions,
        more_gaps: gap_count - gaps.len(),
        gap_accounts: gap_count,
        gaps,
        complete_accounts: report.coverage.len() - gap_count,
    }
}
