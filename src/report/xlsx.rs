//! report.xlsx: a workbook an auditor can filter. Sheets: Summary, Findings (the CSV's columns,
//! header frozen, autofilter, status coloured), Coverage, Accounts, Waivers (when given). Cells
//! are typed (times as dates, counts as numbers) and text from AWS is always written as text, so
//! an account called `=HYPERLINK(...)` stays inert. Every sheet is written in constant-memory
//! mode, row by row, so 10,000 accounts do not hold the workbook in memory.

use rust_xlsxwriter::{Color, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::csv::{rows, Column};
use super::output::{Out, Output, RenderError};
use super::period;
use super::present::coverage_mark;
use super::standing;
use crate::findings::{Report, Status, Tally};

pub struct Xlsx;

impl Output for Xlsx {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        Ok(write(report, out)?)
    }
}

fn write(report: &Report, out: &mut Out) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let collected = ExcelDateTime::from_timestamp(report.collected_at.timestamp())?;

    summary(
        workbook.add_worksheet_with_constant_memory(),
        report,
        &bold,
        &date,
        &collected,
    )?;
    controls(workbook.add_worksheet_with_constant_memory(), report, &bold)?;
    organization(workbook.add_worksheet_with_constant_memory(), report, &bold)?;
    findings(
        workbook.add_worksheet_with_constant_memory(),
        report,
        &bold,
        &date,
        &collected,
    )?;
    coverage(workbook.add_worksheet_with_constant_memory(), report, &bold)?;
    accounts(workbook.add_worksheet_with_constant_memory(), report, &bold)?;
    if !report.waivers.is_empty() {
        waivers(workbook.add_worksheet_with_constant_memory(), report, &bold)?;
    }
    if report.period.is_some() {
        trail_changes(
            workbook.add_worksheet_with_constant_memory(),
            report,
            &bold,
            &date,
        )?;
    }
    workbook.save_to_writer(out)
}

/// Every trail change of the audit period, newest first, as CloudTrail's event history holds it.
fn trail_changes(
    sheet: &mut Worksheet,
    report: &Report,
    bold: &Format,
    date: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("Trail changes")?;
    header(
        sheet,
        &[
            "time",
            "account_id",
            "region",
            "trail",
            "event",
            "who",
            "source_ip",
            "user_agent",
            "request_parameters",
            "event_id",
        ],
        bold,
    )?;
    sheet.set_freeze_panes(1, 0)?;
    for (index, event) in period::trail_changes(report).into_iter().enumerate() {
        let row = index as u32 + 1;
        let time = ExcelDateTime::from_timestamp(event.time.timestamp())?;
        sheet.write_datetime_with_format(row, 0, &time, date)?;
        let texts = [
            event.account_id.as_str(),
            event.region.as_str(),
            event.trail_name(),
            event.event_name.as_str(),
            event.who.as_deref().unwrap_or(""),
            event.source_ip.as_deref().unwrap_or(""),
            event.user_agent.as_deref().unwrap_or(""),
        ];
        for (column, text) in texts.into_iter().enumerate() {
            sheet.write_string(row, column as u16 + 1, text)?;
        }
        sheet.write_string(row, 8, event.request_parameters.to_string())?;
        sheet.write_string(row, 9, &event.event_id)?;
    }
    Ok(())
}

fn header(sheet: &mut Worksheet, titles: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (column, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *title, bold)?;
    }
    Ok(())
}

fn summary(
    sheet: &mut Worksheet,
    report: &Report,
    bold: &Format,
    date: &Format,
    collected: &ExcelDateTime,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    sheet.set_column_width(0, 48)?;
    let s = &report.summary;
    sheet.write_string_with_format(0, 0, "Organization", bold)?;
    sheet.write_string(0, 1, report.organization.id.as_deref().unwrap_or(""))?;
    sheet.write_string(1, 0, "Collected")?;
    sheet.write_datetime_with_format(1, 1, collected, date)?;
    sheet.write_string(2, 0, "Caller")?;
    sheet.write_string(2, 1, &report.caller_arn)?;
    let mut row = 3;
    for (label, value) in [
        ("Accounts in scope", s.accounts_total),
        ("Audited", s.accounts_audited),
        ("Could not be audited", s.accounts_errored),
        (
            "Not audited (closed, suspended, excluded)",
            s.accounts_skipped,
        ),
        ("Findings passed", s.findings_passed),
        ("Findings failed", s.findings_failed),
        ("Findings errored", s.findings_errored),
        ("Findings muted", s.findings_muted),
    ] {
        sheet.write_string(row, 0, label)?;
        sheet.write_number(row, 1, value as f64)?;
        row += 1;
    }
    // Rules by id, frameworks by the names their auditors use.
    for (title, tallies) in [("Rule", &s.rules), ("Framework", &s.frameworks)] {
        row += 1;
        for (column, heading) in [title, "Passed", "Failed", "Errors", "Muted", "Pass rate %"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(row, column as u16, *heading, bold)?;
        }
        row += 1;
        for tally in tallies {
            let label = if title == "Rule" {
                &tally.key
            } else {
                &tally.title
            };
            tally_row(sheet, row, label, tally)?;
            row += 1;
        }
    }
    Ok(())
}

fn tally_row(sheet: &mut Worksheet, row: u32, label: &str, tally: &Tally) -> Result<(), XlsxError> {
    sheet.write_string(row, 0, label)?;
    for (column, count) in [tally.passed, tally.failed, tally.errored, tally.muted]
        .into_iter()
        .enumerate()
    {
        sheet.write_number(row, column as u16 + 1, count as f64)?;
    }
    if let Some(rate) = tally.pass_rate() {
        sheet.write_number(row, 5, (rate * 10.0).round() / 10.0)?;
    }
    Ok(())
}

fn findings(
    sheet: &mut Worksheet,
    report: &Report,
    bold: &Format,
    date: &Format,
    collected: &ExcelDateTime,
) -> Result<(), XlsxError> {
    sheet.set_name("Findings")?;
    let widths = [14, 24, 24, 12, 12, 28, 36, 40, 9, 13, 40, 60, 60, 20, 40];
    for (column, width) in widths.into_iter().enumerate() {
        sheet.set_column_width(column as u16, width)?;
    }
    header(sheet, &Column::ALL.map(Column::header), bold)?;
    sheet.set_freeze_panes(1, 0)?;
    let coloured = |colour: u32| {
        Format::new()
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(colour))
    };
    let (pass, fail, error, muted) = (
        coloured(0x1A7F37),
        coloured(0xCF222E),
        coloured(0x9A6700),
        coloured(0x8250DF),
    );
    let mut row = 1;
    // The collected_at column is written as a date below, so its text is not needed.
    for cells in rows(report, "") {
        let status_format = match cells.status() {
            Some(Status::Pass) => Some(&pass),
            Some(Status::Fail) => Some(&fail),
            Some(Status::Error) => Some(&error),
            Some(Status::Muted) => Some(&muted),
            None => None,
        };
        for (index, column) in Column::ALL.into_iter().enumerate() {
            let index = index as u16;
            match (column, status_format) {
                (Column::CollectedAt, _) => {
                    sheet.write_datetime_with_format(row, index, collected, date)?;
                }
                (Column::Status, Some(format)) => {
                    sheet.write_string_with_format(row, index, cells.cell(column), format)?;
                }
                _ => {
                    sheet.write_string(row, index, cells.cell(column))?;
                }
            }
        }
        row += 1;
    }
    sheet.autofilter(
        0,
        0,
        row.saturating_sub(1).max(1),
        Column::ALL.len() as u16 - 1,
    )?;
    Ok(())
}

/// Each framework's controls as its auditors know them, chosen frameworks first.
fn controls(sheet: &mut Worksheet, report: &Report, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Controls")?;
    header(
        sheet,
        &[
            "framework",
            "framework_slug",
            "control",
            "evidenced_by",
            "accounts_passing",
            "accounts_failing",
            "accounts_not_verifiable",
            "accounts_waived",
            "share_passing_%",
        ],
        bold,
    )?;
    sheet.set_freeze_panes(1, 0)?;
    for (column, width) in [44, 26, 12, 40, 10, 10, 10, 10, 10].into_iter().enumerate() {
        sheet.set_column_width(column as u16, width)?;
    }
    let mut row = 1;
    for framework in standing::frameworks(report) {
        for control in &framework.controls {
            sheet.write_string(row, 0, framework.name)?;
            sheet.write_string(row, 1, framework.slug)?;
            sheet.write_string(row, 2, control.id)?;
            sheet.write_string(row, 3, control.rules.join(", "))?;
            let accounts = control.accounts;
            for (column, count) in [
                accounts.passed,
                accounts.failed,
                accounts.errored,
                accounts.muted,
            ]
            .into_iter()
            .enumerate()
            {
                sheet.write_number(row, column as u16 + 4, count as f64)?;
            }
            if let Some(share) = accounts.pass_share() {
                sheet.write_number(row, 8, (share * 10.0).round() / 10.0)?;
            }
            row += 1;
        }
    }
    Ok(())
}

/// The organization by OU, as report.html and report.md show it: worst first.
fn organization(sheet: &mut Worksheet, report: &Report, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Organization")?;
    let frameworks = super::organization::framework_columns(report);
    let mut titles: Vec<String> = [
        "OU",
        "Accounts",
        "Not audited",
        "Pass the seed controls",
        "Judged on them",
        "Share %",
    ]
    .map(String::from)
    .to_vec();
    for name in &frameworks {
        titles.push(format!("{name}: meet every control"));
        titles.push(format!("{name}: judged"));
    }
    let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
    header(sheet, &titles, bold)?;
    sheet.set_freeze_panes(1, 1)?;
    sheet.set_column_width(0, 40)?;
    for (row, ou) in super::organization::by_ou(report).iter().enumerate() {
        let row = row as u32 + 1;
        sheet.write_string(row, 0, ou.path)?;
        let mut numbers = vec![
            ou.accounts as f64,
            ou.not_audited as f64,
            ou.seed.passed as f64,
            ou.seed.total() as f64,
        ];
        numbers.push(
            ou.seed
                .pass_share()
                .map_or(f64::NAN, |s| (s * 10.0).round() / 10.0),
        );
        for framework in &ou.frameworks {
            numbers.push(framework.accounts.passed as f64);
            numbers.push(framework.accounts.total() as f64);
        }
        for (column, number) in numbers.into_iter().enumerate() {
            if !number.is_nan() {
                sheet.write_number(row, column as u16 + 1, number)?;
            }
        }
    }
    Ok(())
}

fn coverage(sheet: &mut Worksheet, report: &Report, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Coverage")?;
    let mut titles = vec!["Account"];
    titles.extend(report.regions.iter().map(String::as_str));
    header(sheet, &titles, bold)?;
    sheet.set_freeze_panes(1, 1)?;
    sheet.set_column_width(0, 16)?;
    for (row, account) in report.coverage.iter().enumerate() {
        let row = row as u32 + 1;
        sheet.write_string(row, 0, &account.account_id)?;
        for (column, region) in account.regions.iter().enumerate() {
            sheet.write_string(row, column as u16 + 1, coverage_mark(region))?;
        }
    }
    Ok(())
}

fn accounts(sheet: &mut Worksheet, report: &Report, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Accounts")?;
    header(
        sheet,
        &[
            "account_id",
            "account_name",
            "email",
            "ou_path",
            "status",
            "audit",
            "detail",
        ],
        bold,
    )?;
    sheet.set_freeze_panes(1, 0)?;
    for (row, entry) in report.accounts.iter().enumerate() {
        let row = row as u32 + 1;
        let account = &entry.account;
        let (state, detail) = (
            entry.audit.state().as_str(),
            entry.audit.detail().unwrap_or(""),
        );
        let cells = [
            account.id.as_str(),
            &account.name,
            &account.email,
            account.ou_path.as_deref().unwrap_or(""),
            &account.status,
            state,
            detail,
        ];
        for (column, value) in cells.into_iter().enumerate() {
            sheet.write_string(row, column as u16, value)?;
        }
    }
    Ok(())
}

fn waivers(sheet: &mut Worksheet, report: &Report, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("Waivers")?;
    header(
        sheet,
        &[
            "rule", "accounts", "region", "resource", "reason", "approver", "expires", "state",
            "muted",
        ],
        bold,
    )?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (row, used) in report.waivers.iter().enumerate() {
        let row = row as u32 + 1;
        let waiver = &used.waiver;
        let cells = [
            waiver.rule.as_str(),
            &waiver.accounts.join(", "),
            waiver.region.as_deref().unwrap_or(""),
            waiver.resource.as_deref().unwrap_or(""),
            &waiver.reason,
            &waiver.approver,
        ];
        for (column, value) in cells.into_iter().enumerate() {
            sheet.write_string(row, column as u16, value)?;
        }
        let expires = ExcelDateTime::parse_from_str(&waiver.expires.to_string())?;
        sheet.write_datetime_with_format(row, 6, &expires, &date)?;
        sheet.write_string(row, 7, used.state.as_str())?;
        sheet.write_number(row, 8, used.muted as f64)?;
    }
    Ok(())
}
