//! The report arranged the way people read it. Templates get these views and nothing else: the
//! summary page (report.html, report.md), bounded whatever the organization's size, and each
//! account on its own, for its page under accounts/ and its row in accounts.html.

use std::collections::HashMap;

use serde::Serialize;

use super::history::{history_view, HistoryView};
use super::organization::{self, OuRow};
use super::period::{period_view, PeriodView};
pub use super::present::account_page;
use super::present::coverage_mark;
use super::standing::{self, FrameworkView, Headline};
use crate::findings::{
    Control, Evidence, Finding, Report, ReportDiff, Seal, Status, Summary, Tally, Waiver, WaiverUse,
};
use crate::model::{AuditState, CollectionStats, Organization, ScanSettings};
use crate::rules::{framework_name, short_name, SEED_CONTROLS};

/// How many accounts a failure list shows before it says "and N more".
const LIST_LIMIT: usize = 25;

/// The summary's bounds, so report.html stays small and short on paper at any organization size
/// (issue 24: at most 5 MB and 60 A4 pages at 10,000 accounts): rows of the accounts × rules
/// table, the OU table and the accounts that could not be audited. accounts.html lists them all.
const HEATMAP_ROWS: usize = 40;
const OU_ROWS: usize = 50;
const NOT_AUDITED_ROWS: usize = 25;

pub struct ReportView<'a> {
    pub page: PageView<'a>,
    /// Every account, what needs attention first: one page each, and accounts.html.
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
    /// Accounts that were not audited, or could not be: the first `NOT_AUDITED_ROWS` on the
    /// page itself, and how many more accounts.html lists.
    pub not_audited: Vec<AccountRef<'a>>,
    pub more_not_audited: usize,
    /// The organization by OU, worst first: report.html shows the first `ou_rows_shown`,
    /// report.md all of them.
    pub organization: Vec<OuRow<'a>>,
    pub ou_rows_shown: usize,
    pub more_ous: usize,
    /// The chosen frameworks' names, a column each in the OU table.
    pub ou_frameworks: Vec<&'a str>,
    /// The frameworks whose controls paper shows: the chosen ones, else the seed controls'.
    pub printed_frameworks: Vec<&'a str>,
    /// Whether frameworks were chosen (`--framework`).
    pub frameworks_chosen: bool,
    /// The seed controls' labels ("CIS 3.1", ...), as the OU table counts them.
    pub seed_labels: Vec<&'static str>,
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
    pub ou: &'a str,
    pub failed: usize,
    pub cells: Vec<&'static str>,
}

/// How many accounts with a coverage gap the page shows; each account's page shows its own
/// coverage, accounts.html marks every account with a gap, report.json holds them all.
const MATRIX_LIMIT: usize = 25;

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
    pub ou: &'a str,
    pub cells: Vec<CoverageCell<'a>>,
}

/// One region of an account's coverage. The account page's table is 17 rows for each of
/// 10,000 accounts: the region and what it records come ready to print, as Tera looking up
/// `run.regions[loop.index0]` and comparing `mark` three times a row cost about 0.15 CPU s of
/// the 10,000-account `--format html` report's 3.5 user CPU s (three alternating pairs).
#[derive(Serialize)]
pub struct CoverageCell<'a> {
    pub region: &'a str,
    /// "RW" reads and writes, "R" or "W" one of them, "" none.
    pub mark: &'static str,
    /// The mark in words: "reads and writes", "reads only", "writes only", "nothing".
    pub recorded: &'static str,
    /// The trails that cover the region.
    pub trails: String,
}

impl<'a> CoverageCell<'a> {
    fn new(region: &'a crate::findings::RegionCoverage) -> Self {
        let mark = coverage_mark(region);
        CoverageCell {
            region: &region.region,
            mark,
            recorded: match mark {
                "RW" => "reads and writes",
                "R" => "reads only",
                "W" => "writes only",
                _ => "nothing",
            },
            trails: region.trails.join(", "),
        }
    }
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
    pub ou: &'a str,
    pub email: &'a str,
    pub status: &'a str,
    pub state: AuditState,
    pub detail: Option<&'a str>,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub muted: usize,
    pub findings: Vec<FindingView<'a>>,
    /// The rules the account fails: accounts.html lists them and filters on them.
    pub failing_rules: Vec<RuleName<'a>>,
    /// Region by region, what the account records (audited accounts); `None` otherwise.
    pub coverage: Option<Vec<CoverageCell<'a>>>,
    /// A region without management reads and writes recorded.
    pub coverage_gap: bool,
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

/// A rule by its id and by the short name tables use.
#[derive(Serialize)]
pub struct RuleName<'a> {
    pub id: &'a str,
    pub short: &'a str,
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
    pub ou: &'a str,
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
        let accounts = account_views(report);
        let (not_audited, more_not_audited) = not_audited(&accounts);
        let (warnings, more_warnings) = warnings(report);
        let organization = organization::by_ou(report);
        let more_ous = organization.len().saturating_sub(OU_ROWS);
        let page = PageView {
            title: title(report),
            print_header: print_header(report),
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
            rules: rule_views(report),
            frameworks: report
                .summary
                .frameworks
                .iter()
                .map(TallyView::new)
                .collect(),
            failures: rule_failures(report),
            warnings,
            more_warnings,
            not_audited,
            more_not_audited,
            organization,
            ou_rows_shown: OU_ROWS,
            more_ous,
            ou_frameworks: organization::framework_columns(report),
            printed_frameworks: printed_frameworks(report),
            frameworks_chosen: !report.framework_focus.is_empty(),
            seed_labels: SEED_CONTROLS.iter().map(|(label, _)| *label).collect(),
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

fn readable(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "CloudTrail audit of organization o-…", led by the chosen frameworks' names.
fn title(report: &Report) -> String {
    let organization = report.organization.id.as_deref().unwrap_or("(unknown)");
    let title = format!("CloudTrail audit of organization {organization}");
    let focus: Vec<&str> = report
        .framework_focus
        .iter()
        .map(|slug| framework_name(slug))
        .collect();
    if focus.is_empty() {
        title
    } else {
        format!("{}: {title}", focus.join(", "))
    }
}

/// The printed page's running header: organization and collection date, reduced to characters
/// that are safe inside a CSS string.
fn print_header(report: &Report) -> String {
    format!(
        "orgtrail · {} · collected {}",
        report.organization.id.as_deref().unwrap_or("(unknown)"),
        report.collected_at.format("%Y-%m-%d")
    )
    .chars()
    .filter(|c| c.is_ascii_alphanumeric() || " -·:.()".contains(*c))
    .collect()
}

/// Each account with its findings and coverage: accounts that could not be audited first, then
/// the most failures.
fn account_views(report: &Report) -> Vec<AccountView<'_>> {
    let mut by_account: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for finding in &report.findings {
        by_account
            .entry(&finding.account_id)
            .or_default()
            .push(finding);
    }
    let coverage: HashMap<&str, &crate::findings::AccountCoverage> = report
        .coverage
        .iter()
        .map(|c| (c.account_id.as_str(), c))
        .collect();
    let mut accounts: Vec<AccountView> = report
        .accounts
        .iter()
        .map(|entry| {
            let id = entry.account.id.as_str();
            let findings = by_account.remove(id).unwrap_or_default();
            let count = |status| findings.iter().filter(|f| f.status == status).count();
            let regions = coverage.get(id);
            AccountView {
                id,
                name: &entry.account.name,
                ou: organization::ou_of(entry.account.ou_path.as_deref()),
                email: &entry.account.email,
                status: &entry.account.status,
                state: entry.audit.state(),
                detail: entry.audit.detail(),
                passed: count(Status::Pass),
                failed: count(Status::Fail),
                errored: count(Status::Error),
                muted: count(Status::Muted),
                failing_rules: findings
                    .iter()
                    .filter(|f| f.status == Status::Fail)
                    .map(|f| RuleName {
                        id: &f.rule_id,
                        short: short_name(&f.rule_id),
                    })
                    .collect(),
                findings: findings.into_iter().map(FindingView::new).collect(),
                coverage_gap: regions.is_some_and(|c| !c.regions.iter().all(|r| r.complete())),
                coverage: regions.map(|c| c.regions.iter().map(CoverageCell::new).collect()),
            }
        })
        .collect();
    accounts.sort_by(|a, b| {
        (a.state, std::cmp::Reverse(a.failed), a.name).cmp(&(
            b.state,
            std::cmp::Reverse(b.failed),
            b.name,
        ))
    });
    accounts
}

/// Per rule, the accounts failing it: the first `LIST_LIMIT`, and how many more.
fn rule_failures(report: &Report) -> Vec<RuleFailures<'_>> {
    let names: HashMap<&str, &str> = report
        .accounts
        .iter()
        .map(|a| {
            (
                a.account.id.as_str(),
                organization::ou_of(a.account.ou_path.as_deref()),
            )
        })
        .collect();
    let mut failing_by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for finding in report.findings.iter().filter(|f| f.status == Status::Fail) {
        failing_by_rule
            .entry(&finding.rule_id)
            .or_default()
            .push(finding);
    }
    report
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
                        ou: names
                            .get(f.account_id.as_str())
                            .copied()
                            .unwrap_or(organization::UNKNOWN_OU),
                        summary: &f.evidence.summary,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Warnings on findings of any status (a pass with a delivery error, duplicated global
/// events...): the first `LIST_LIMIT`, and how many more there are.
fn warnings(report: &Report) -> (Vec<WarningRef<'_>>, usize) {
    let mut warnings = report.findings.iter().flat_map(|f| {
        f.evidence.warnings.iter().map(|warning| WarningRef {
            id: &f.account_id,
            name: &f.account_name,
            title: &f.title,
            status: f.status.as_str(),
            warning,
        })
    });
    let shown: Vec<WarningRef> = warnings.by_ref().take(LIST_LIMIT).collect();
    (shown, warnings.count())
}

/// The accounts that were not audited or could not be, with the reason: the first
/// `NOT_AUDITED_ROWS`, and how many more.
fn not_audited<'a>(accounts: &[AccountView<'a>]) -> (Vec<AccountRef<'a>>, usize) {
    let mut all = accounts
        .iter()
        .filter(|a| a.state != AuditState::Audited)
        .map(|a| AccountRef {
            id: a.id,
            name: a.name,
            ou: a.ou,
            summary: a.detail.unwrap_or(a.state.as_str()),
        });
    let shown: Vec<AccountRef> = all.by_ref().take(NOT_AUDITED_ROWS).collect();
    (shown, all.count())
}

/// Each rule's tally with the framework controls it evidences.
fn rule_views(report: &Report) -> Vec<RuleView<'_>> {
    let controls_of = |rule: &str| {
        report
            .findings
            .iter()
            .find(|f| &*f.rule_id == rule)
            .map(|f| &f.controls[..])
            .unwrap_or(&[])
    };
    report
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
        .collect()
}

/// The frameworks whose controls the printed summary shows: the chosen ones (`--framework`),
/// else the newest CIS AWS Foundations version the catalogue maps, the framework of the seed
/// controls. Every other framework is one line on paper.
fn printed_frameworks(report: &Report) -> Vec<&str> {
    if !report.framework_focus.is_empty() {
        return report.framework_focus.iter().map(String::as_str).collect();
    }
    let seed_rules: Vec<&str> = SEED_CONTROLS.iter().map(|(_, rule)| *rule).collect();
    let cis = report
        .summary
        .controls
        .iter()
        .filter(|c| c.framework.starts_with("cis-aws-foundations"))
        .filter(|c| c.rules.iter().any(|r| seed_rules.contains(&r.as_str())))
        .map(|c| c.framework.as_str())
        .max_by(|a, b| version_order(a, b));
    cis.into_iter().collect()
}

/// "cis-aws-foundations-4.0.1" before "cis-aws-foundations-5.0": by the numbers, not the text.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let numbers = |slug: &str| -> Vec<u32> {
        slug.rsplit('-')
            .next()
            .unwrap_or("")
            .split('.')
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    numbers(a).cmp(&numbers(b))
}

fn heatmap<'a>(report: &'a Report, accounts: &[AccountView<'a>]) -> Heatmap<'a> {
    let rules: Vec<&str> = report
        .summary
        .rules
        .iter()
        .map(|t| t.key.as_str())
        .collect();
    // Audited accounts only, the most failures first (the order `accounts` has): an account that
    // could not be audited is all ERROR, and is listed with its reason above.
    let judged = accounts
        .iter()
        .filter(|a| a.state == AuditState::Audited && !a.findings.is_empty());
    let rows: Vec<HeatmapRow> = judged
        .clone()
        .take(HEATMAP_ROWS)
        .map(|account| HeatmapRow {
            id: account.id,
            name: account.name,
            ou: account.ou,
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
    let names: HashMap<&str, (&str, &str)> = report
        .accounts
        .iter()
        .map(|a| {
            (
                a.account.id.as_str(),
                (
                    a.account.name.as_str(),
                    organization::ou_of(a.account.ou_path.as_deref()),
                ),
            )
        })
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
            let (name, ou) = names
                .get(account.account_id.as_str())
                .copied()
                .unwrap_or(("", organization::UNKNOWN_OU));
            gaps.push(CoverageRow {
                id: &account.account_id,
                name,
                ou,
                cells: account.regions.iter().map(CoverageCell::new).collect(),
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
