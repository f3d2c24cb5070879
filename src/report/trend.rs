//! The trend over several runs (`orgtrail trend`): the model its two files show, and the files,
//! trend.csv (the series, one row per run and series) and trend.html (charts, through the
//! `trend.html.tera` template). [`crate::trend`] fills the model from the runs' reports.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::charts::{
    bar_chart, change, rate_chart, BarChart, BarPart, BarRun, Frame, RateChart, RatePoint,
};
use super::csv::neutralise_formula;
use super::output::{Out, RenderError};
use super::staging::WriteFile;
use super::templates::Templates;
use crate::rules::short_name;

pub const TREND_HTML: &str = "trend.html";
pub const TREND_CSV: &str = "trend.csv";

/// Several runs of one organization compared, oldest first: what trend.html draws and
/// trend.csv holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub organization: Option<String>,
    pub runs: Vec<TrendRun>,
    pub comparison: Comparison,
    /// The seed controls (CIS 3.1, CIS 3.4, CT-005, CT-010) among the shared rules.
    pub controls: Vec<Series>,
    /// Every framework the shared rules map to, counted on the shared rules only.
    pub frameworks: Vec<Series>,
    /// Accounts with a failing finding in the latest run, the longest run of failures first.
    pub longest_failing: Vec<FailingAccount>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendRun {
    pub collected_at: DateTime<Utc>,
    pub source: RunSource,
    pub tool_version: String,
    pub regions: Vec<String>,
    pub accounts_total: usize,
    pub accounts_audited: usize,
    /// Could not be audited (ERROR).
    pub accounts_errored: usize,
    /// Not audited on purpose (closed, suspended, excluded).
    pub accounts_skipped: usize,
    /// Since the run before, on the shared rules; `None` for the first run.
    pub changes: Option<RunChanges>,
}

/// Where a run's report is, as the user named it and as trend.html links to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunSource {
    pub label: String,
    /// The run's report.html relative to trend.html, URL-encoded, when there is one.
    pub report_href: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunChanges {
    /// Findings that fail now and did not in the run before.
    pub newly_failing: usize,
    /// Findings that failed in the run before and pass now.
    pub fixed: usize,
}

/// What the runs share, and so what is compared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comparison {
    /// Rules every run judged: every figure of the trend counts these only.
    pub shared_rules: Vec<String>,
    /// Rules some runs judged and others did not: left out everywhere, with how many runs
    /// judged each.
    pub left_out_rules: Vec<(String, usize)>,
    /// Regions every run audited.
    pub shared_regions: Vec<String>,
    /// Whether some run audited regions another did not.
    pub regions_differ: bool,
}

/// One line of the trend: a framework or a control, one point per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// A framework slug or a rule id.
    pub key: String,
    /// What a person calls it: "PCI DSS v4.0", "CIS 3.1".
    pub name: String,
    pub points: Vec<Decided>,
}

/// PASS and FAIL findings in one run (ERROR and MUTED decide nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decided {
    pub passed: usize,
    pub failed: usize,
}

impl Decided {
    /// Share of decided findings that passed, in percent; `None` when nothing was decided.
    pub fn rate(&self) -> Option<f64> {
        let decided = self.passed + self.failed;
        (decided > 0).then(|| 100.0 * self.passed as f64 / decided as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingAccount {
    pub account_id: String,
    /// As the latest run names it.
    pub account_name: String,
    /// Runs in a row, up to the latest, with at least one FAIL finding on the shared rules.
    pub runs: usize,
    /// The first run of that streak.
    pub since: DateTime<Utc>,
    /// The shared rules it fails in the latest run.
    pub failing_rules: Vec<String>,
}

/// A pass rate as trend.csv writes it: percent, one decimal; empty when nothing was decided.
fn rate_cell(decided: &Decided) -> String {
    decided
        .rate()
        .map(|rate| format!("{rate:.1}"))
        .unwrap_or_default()
}

/// The columns of trend.csv, in order (documented in the README).
const CSV_COLUMNS: [&str; 7] = [
    "collected_at",
    "series",
    "key",
    "name",
    "value",
    "passed",
    "failed",
];

/// trend.csv: RFC 4180, CRLF, one row per run and series (a long table: a pivot with `series`
/// and `name` as rows and `collected_at` as columns gives the wide one), text that could start a
/// formula neutralised as in findings.csv.
pub fn write_csv(trend: &Trend, out: &mut Out) -> Result<(), RenderError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(CSV_COLUMNS)?;
    let mut row = |collected_at: &str,
                   series: &str,
                   key: &str,
                   name: &str,
                   value: String,
                   decided: Option<&Decided>|
     -> Result<(), csv::Error> {
        let (passed, failed) = decided.map_or((String::new(), String::new()), |d| {
            (d.passed.to_string(), d.failed.to_string())
        });
        writer.write_record([
            collected_at,
            series,
            &neutralise_formula(key),
            &neutralise_formula(name),
            &value,
            &passed,
            &failed,
        ])
    };
    for (index, run) in trend.runs.iter().enumerate() {
        let at = run.collected_at.to_rfc3339();
        for (series, list) in [
            ("framework_pass_rate", &trend.frameworks),
            ("control_pass_rate", &trend.controls),
        ] {
            for line in list {
                let point = &line.points[index];
                row(
                    &at,
                    series,
                    &line.key,
                    &line.name,
                    rate_cell(point),
                    Some(point),
                )?;
            }
        }
        for (series, count) in [
            ("accounts_in_scope", run.accounts_total),
            ("accounts_audited", run.accounts_audited),
            ("accounts_could_not_be_audited", run.accounts_errored),
            ("accounts_not_audited", run.accounts_skipped),
        ] {
            row(&at, series, "", "", count.to_string(), None)?;
        }
        if let Some(changes) = run.changes {
            row(
                &at,
                "findings_newly_failing",
                "",
                "",
                changes.newly_failing.to_string(),
                None,
            )?;
            row(
                &at,
                "findings_fixed",
                "",
                "",
                changes.fixed.to_string(),
                None,
            )?;
        }
    }
    if let Some(latest) = trend.runs.last() {
        let at = latest.collected_at.to_rfc3339();
        for account in &trend.longest_failing {
            row(
                &at,
                "failing_streak",
                &account.account_id,
                &account.account_name,
                account.runs.to_string(),
                None,
            )?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// How many accounts the page lists as failing longest; trend.csv lists them all.
const FAILING_LIMIT: usize = 25;
/// How many runs the frameworks table shows as columns; the sparkline and trend.csv show all.
const TABLE_RUNS: usize = 6;

/// trend.html's view of the model: text as it is read, charts laid out.
#[derive(Serialize)]
pub struct TrendView {
    pub organization: String,
    /// What each printed page says at its foot: inside CSS, so only plain characters.
    pub print_title: String,
    pub generated_at: String,
    pub first: String,
    pub last: String,
    pub runs: Vec<RunView>,
    pub comparison: ComparisonView,
    pub controls: Vec<ControlCard>,
    /// The seed controls again, as a table with the numbers.
    pub control_rows: Vec<RateRow>,
    pub frameworks: Vec<RateRow>,
    /// Dates of the runs the frameworks table has columns for.
    pub framework_columns: Vec<String>,
    pub accounts_chart: BarChart,
    /// New failures above the axis, fixed findings below; none for a single run.
    pub changes_chart: Option<BarChart>,
    pub failing: Vec<FailingView>,
    pub failing_more: usize,
    /// The latest run's report.html, which the failing accounts' links lead to.
    pub latest_href: Option<String>,
}

#[derive(Serialize)]
pub struct RunView {
    pub date: String,
    pub collected_at: String,
    pub label: String,
    pub href: Option<String>,
    pub tool_version: String,
    pub regions: usize,
    pub accounts_total: usize,
    pub accounts_audited: usize,
    pub accounts_errored: usize,
    pub accounts_skipped: usize,
    pub newly_failing: Option<usize>,
    pub fixed: Option<usize>,
}

#[derive(Serialize)]
pub struct ComparisonView {
    /// Every run judged the same rules over the same regions.
    pub same: bool,
    pub shared_rules: usize,
    pub left_out: Vec<LeftOutRule>,
    pub regions_differ: bool,
    pub shared_regions: Vec<String>,
    /// Regions some runs audited and others did not.
    pub some_regions: Vec<String>,
    pub run_regions: Vec<RunRegions>,
}

#[derive(Serialize)]
pub struct LeftOutRule {
    pub id: String,
    pub short: String,
    pub runs: usize,
}

#[derive(Serialize)]
pub struct RunRegions {
    pub date: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct ControlCard {
    pub name: String,
    pub short: String,
    pub key: String,
    pub latest: String,
    pub change: String,
    /// "better", "worse" or "" (no change, or nothing to compare).
    pub direction: &'static str,
    pub chart: RateChart,
}

/// A series as a table row: its last runs' rates, its change and a sparkline of every run.
#[derive(Serialize)]
pub struct RateRow {
    pub name: String,
    /// Said after the name: a control's short rule name.
    pub detail: String,
    pub key: String,
    pub cells: Vec<String>,
    pub change: String,
    pub direction: &'static str,
    pub spark: RateChart,
}

#[derive(Serialize)]
pub struct FailingView {
    pub id: String,
    pub name: String,
    pub runs: usize,
    pub since: String,
    pub rules: String,
    pub href: Option<String>,
}

fn percent(decided: &Decided) -> String {
    decided
        .rate()
        .map(|rate| format!("{rate:.0}%"))
        .unwrap_or_else(|| "n/a".to_string())
}

/// The change of the last point since the one before.
fn last_change(points: &[Decided]) -> (String, &'static str) {
    match points {
        [.., before, now] => change(before.rate(), now.rate()),
        _ => (String::new(), ""),
    }
}

fn rate_points(trend: &Trend, series: &Series, labels: &[String]) -> Vec<RatePoint> {
    series
        .points
        .iter()
        .zip(&trend.runs)
        .zip(labels)
        .map(|((point, run), label)| RatePoint {
            label: label.clone(),
            rate: point.rate(),
            title: format!(
                "{}, {}: {} ({} of {} decided findings passed)",
                series.name,
                run.collected_at.format("%Y-%m-%d"),
                percent(point),
                point.passed,
                point.passed + point.failed
            ),
        })
        .collect()
}

fn date(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The runs' labels on the charts' axes: monthly runs read best as months; several runs in a
/// month need their days.
fn run_labels(trend: &Trend) -> Vec<String> {
    let months: Vec<String> = trend
        .runs
        .iter()
        .map(|r| r.collected_at.format("%Y-%m").to_string())
        .collect();
    let mut distinct = months.clone();
    distinct.dedup();
    if distinct.len() == months.len() {
        months
    } else {
        trend.runs.iter().map(|r| date(&r.collected_at)).collect()
    }
}

impl RunView {
    fn of(run: &TrendRun) -> Self {
        RunView {
            date: date(&run.collected_at),
            collected_at: run.collected_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            label: run.source.label.clone(),
            href: run.source.report_href.clone(),
            tool_version: run.tool_version.clone(),
            regions: run.regions.len(),
            accounts_total: run.accounts_total,
            accounts_audited: run.accounts_audited,
            accounts_errored: run.accounts_errored,
            accounts_skipped: run.accounts_skipped,
            newly_failing: run.changes.map(|c| c.newly_failing),
            fixed: run.changes.map(|c| c.fixed),
        }
    }
}

impl ComparisonView {
    fn of(trend: &Trend) -> Self {
        let comparison = &trend.comparison;
        let mut some_regions: Vec<String> = Vec::new();
        for region in trend.runs.iter().flat_map(|r| &r.regions) {
            if !comparison.shared_regions.contains(region) && !some_regions.contains(region) {
                some_regions.push(region.clone());
            }
        }
        ComparisonView {
            same: comparison.left_out_rules.is_empty() && !comparison.regions_differ,
            shared_rules: comparison.shared_rules.len(),
            left_out: comparison
                .left_out_rules
                .iter()
                .map(|(id, runs)| LeftOutRule {
                    short: short_name(id).to_string(),
                    id: id.clone(),
                    runs: *runs,
                })
                .collect(),
            regions_differ: comparison.regions_differ,
            shared_regions: comparison.shared_regions.clone(),
            some_regions,
            run_regions: trend
                .runs
                .iter()
                .map(|run| RunRegions {
                    date: date(&run.collected_at),
                    count: run.regions.len(),
                })
                .collect(),
        }
    }
}

impl ControlCard {
    fn of(trend: &Trend, series: &Series, labels: &[String]) -> Self {
        let (change, direction) = last_change(&series.points);
        ControlCard {
            name: series.name.clone(),
            short: short_name(&series.key).to_string(),
            key: series.key.clone(),
            latest: series.points.last().map(percent).unwrap_or_default(),
            change,
            direction,
            chart: rate_chart(&rate_points(trend, series, labels), Frame::CARD),
        }
    }
}

impl RateRow {
    /// The row of `series`, with cells for the runs from `shown` on.
    fn of(trend: &Trend, series: &Series, labels: &[String], shown: usize, detail: String) -> Self {
        let (change, direction) = last_change(&series.points);
        RateRow {
            name: series.name.clone(),
            detail,
            key: series.key.clone(),
            cells: series.points[shown..].iter().map(percent).collect(),
            change,
            direction,
            spark: rate_chart(&rate_points(trend, series, labels), Frame::SPARKLINE),
        }
    }
}

fn bar(class: &'static str, value: usize, title: String, below: bool) -> BarPart {
    BarPart {
        class,
        value,
        title,
        below,
    }
}

/// Each run's accounts: audited, could not be audited, not audited.
fn accounts_chart(trend: &Trend, labels: &[String]) -> BarChart {
    let runs: Vec<BarRun> = trend
        .runs
        .iter()
        .zip(labels)
        .map(|(run, label)| {
            let when = date(&run.collected_at);
            BarRun {
                label: label.clone(),
                parts: vec![
                    bar(
                        "audited",
                        run.accounts_audited,
                        format!("{when}: {} audited", run.accounts_audited),
                        false,
                    ),
                    bar(
                        "error",
                        run.accounts_errored,
                        format!("{when}: {} could not be audited", run.accounts_errored),
                        false,
                    ),
                    bar(
                        "skipped",
                        run.accounts_skipped,
                        format!("{when}: {} not audited", run.accounts_skipped),
                        false,
                    ),
                ],
            }
        })
        .collect();
    bar_chart(&runs, Frame::BARS)
}

/// New failures above the axis, fixed findings below, for every run after the first.
fn changes_chart(trend: &Trend, labels: &[String]) -> Option<BarChart> {
    if trend.runs.len() < 2 {
        return None;
    }
    let runs: Vec<BarRun> = trend
        .runs
        .iter()
        .zip(labels)
        .skip(1)
        .map(|(run, label)| {
            let when = date(&run.collected_at);
            let changes = run.changes.unwrap_or_default();
            BarRun {
                label: label.clone(),
                parts: vec![
                    bar(
                        "new",
                        changes.newly_failing,
                        format!("{when}: {} newly failing", changes.newly_failing),
                        false,
                    ),
                    bar(
                        "fixed",
                        changes.fixed,
                        format!("{when}: {} fixed", changes.fixed),
                        true,
                    ),
                ],
            }
        })
        .collect();
    Some(bar_chart(&runs, Frame::BARS))
}

/// The accounts failing longest, at most [`FAILING_LIMIT`], linked into the latest report.
fn failing_views(trend: &Trend, latest_href: Option<&str>) -> Vec<FailingView> {
    let compared = trend.comparison.shared_rules.len();
    trend
        .longest_failing
        .iter()
        .take(FAILING_LIMIT)
        .map(|account| FailingView {
            id: account.account_id.clone(),
            name: account.account_name.clone(),
            runs: account.runs,
            since: date(&account.since),
            rules: if account.failing_rules.len() == compared && compared > 1 {
                format!("every compared rule ({compared})")
            } else {
                account
                    .failing_rules
                    .iter()
                    .map(|id| short_name(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            href: latest_href
                .map(|href| super::present::account_page_beside(href, &account.account_id)),
        })
        .collect()
}

/// What each printed page says at its foot: inside CSS, so only plain characters.
fn print_title(organization: &str, runs: &[RunView]) -> String {
    format!(
        "CloudTrail trend, organization {organization}, {} to {}",
        runs.first().map(|r| r.date.as_str()).unwrap_or_default(),
        runs.last().map(|r| r.date.as_str()).unwrap_or_default()
    )
    .chars()
    .filter(|c| c.is_ascii_alphanumeric() || " ,.-()".contains(*c))
    .collect()
}

impl TrendView {
    pub fn new(trend: &Trend, generated_at: DateTime<Utc>) -> Self {
        let labels = run_labels(trend);
        let runs: Vec<RunView> = trend.runs.iter().map(RunView::of).collect();
        // The frameworks table's columns: the last TABLE_RUNS runs.
        let shown = trend.runs.len().saturating_sub(TABLE_RUNS);
        let control_rows = trend
            .controls
            .iter()
            .map(|s| RateRow::of(trend, s, &labels, shown, short_name(&s.key).to_string()))
            .collect();
        let frameworks = trend
            .frameworks
            .iter()
            .map(|s| RateRow::of(trend, s, &labels, shown, String::new()))
            .collect();
        let latest_href = trend.runs.last().and_then(|r| r.source.report_href.clone());
        let organization = trend
            .organization
            .clone()
            .unwrap_or_else(|| "(unknown)".to_string());
        TrendView {
            print_title: print_title(&organization, &runs),
            organization,
            generated_at: generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            first: runs.first().map(|r| r.date.clone()).unwrap_or_default(),
            last: runs.last().map(|r| r.date.clone()).unwrap_or_default(),
            framework_columns: runs[shown..].iter().map(|r| r.date.clone()).collect(),
            runs,
            comparison: ComparisonView::of(trend),
            controls: trend
                .controls
                .iter()
                .map(|s| ControlCard::of(trend, s, &labels))
                .collect(),
            control_rows,
            frameworks,
            accounts_chart: accounts_chart(trend, &labels),
            changes_chart: changes_chart(trend, &labels),
            failing_more: trend.longest_failing.len().saturating_sub(FAILING_LIMIT),
            failing: failing_views(trend, latest_href.as_deref()),
            latest_href,
        }
    }
}

/// trend.html and trend.csv, each with the writer that fills it, for [`super::Staged`].
pub fn trend_files<'a>(
    trend: &'a Trend,
    templates: &'a Templates,
    generated_at: DateTime<Utc>,
) -> Vec<(String, WriteFile<'a>)> {
    vec![
        (
            TREND_HTML.to_string(),
            Box::new(move |out: &mut Out| {
                Ok(templates.render_trend(&TrendView::new(trend, generated_at), out)?)
            }),
        ),
        (
            TREND_CSV.to_string(),
            Box::new(move |out: &mut Out| write_csv(trend, out)),
        ),
    ]
}
