//! Report → files. One [`Output`] per format over the same [`Report`]; every file of a run is
//! staged and renamed into place only when all are complete ([`Staged`]).

mod asff;
mod charts;
mod csv;
mod direct;
mod history;
mod junit;
mod markdown;
mod ocsf;
mod organization;
mod output;
mod pages;
mod period;
mod present;
mod sarif;
mod staging;
mod standing;
mod templates;
mod trend;
mod view;
mod xlsx;

use std::str::FromStr;

pub use markdown::{catalogue_markdown, diff_markdown};
pub use output::{Out, Output, RenderError};
pub use staging::{
    digest_file, hex, is_run_file_name, staging_stopped, stop_staging, FileDigest, StageError,
    Staged, WriteFile, ACCOUNTS_DIR,
};
pub use templates::{TemplateError, Templates};
pub use trend::{
    trend_files, Comparison, Decided, FailingAccount, RunChanges, RunSource, Series, Trend,
    TrendRun, TREND_CSV, TREND_HTML,
};

use crate::findings::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Html,
    Csv,
    Markdown,
    Json,
    /// OCSF Compliance Findings, JSON Lines.
    Ocsf,
    /// AWS Security Finding Format, 100 findings to a file.
    Asff,
    /// An Excel workbook.
    Xlsx,
    /// SARIF 2.1.0, for code scanning dashboards.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
}

/// Every format: the names `--format` accepts (the first is its own), the file it writes, and
/// what that file is for.
const FORMATS: [(Format, &[&str], &str, &str); 9] = [
    (
        Format::Html,
        &["html"],
        "report.html",
        "the evidence for auditors: where the organization stands, by OU (prints to PDF)",
    ),
    (
        Format::Csv,
        &["csv"],
        "findings.csv",
        "one row per finding, for spreadsheets and pivot tables",
    ),
    (
        Format::Markdown,
        &["md", "markdown"],
        "report.md",
        "the summary for tickets and pull requests",
    ),
    (
        Format::Json,
        &["json"],
        "report.json",
        "every finding, for other tools and next month's --baseline",
    ),
    (
        Format::Ocsf,
        &["ocsf"],
        "findings.ocsf.jsonl",
        "OCSF compliance findings, for a SIEM or security data lake",
    ),
    (
        Format::Asff,
        &["asff"],
        asff::FILE_PATTERN,
        "Security Hub findings, 100 to a file",
    ),
    (
        Format::Xlsx,
        &["xlsx"],
        "report.xlsx",
        "the workbook: summary, controls, findings, coverage",
    ),
    (
        Format::Sarif,
        &["sarif"],
        "findings.sarif",
        "SARIF 2.1.0, for GitHub code scanning and other SARIF viewers",
    ),
    (
        Format::Junit,
        &["junit"],
        "findings.junit.xml",
        "JUnit XML, for CI dashboards: a suite per rule, a case per account",
    ),
];

/// What a file a run writes is for, by its name.
pub fn describe_file(name: &str) -> Option<&'static str> {
    let ours = FORMATS
        .iter()
        .find(|(format, _, _, _)| format.is_file(name))
        .map(|(_, _, _, what)| *what);
    let pages = match name {
        pages::INDEX_FILE => {
            Some("every account, a row each (OU, failing rules), linking to its page")
        }
        ACCOUNTS_DIR => Some("one self-contained, printable page per account: its full evidence"),
        _ => None,
    };
    pages.or(ours).or(match name {
        "inventory.json" => {
            Some("what AWS returned, nothing judged: `orgtrail report` re-reads it")
        }
        "manifest.json" => Some("size and SHA-256 of every file: `orgtrail verify` checks them"),
        _ => None,
    })
}

/// Whether `name`, in an output directory, is something a report run writes: a format's file,
/// or the directory of account pages.
pub fn is_report_output(name: &str) -> bool {
    name == ACCOUNTS_DIR || Format::all().any(|format| format.is_file(name))
}

impl Format {
    pub fn all() -> impl Iterator<Item = Format> {
        FORMATS.iter().map(|(format, _, _, _)| *format)
    }

    /// The name `--format` knows it by.
    pub fn name(self) -> &'static str {
        self.entry().1[0]
    }

    fn entry(self) -> &'static (Format, &'static [&'static str], &'static str, &'static str) {
        FORMATS
            .iter()
            .find(|(format, _, _, _)| *format == self)
            .expect("every format is in FORMATS")
    }

    /// Whether `name` is a file this format writes.
    fn is_file(self, name: &str) -> bool {
        match self {
            Format::Asff => asff::is_file_name(name),
            Format::Html => self.entry().2 == name || name == pages::INDEX_FILE,
            _ => self.entry().2 == name,
        }
    }

    /// The name of the format's file number `part` (ASFF numbers its files from 001).
    pub fn file_name(self, part: usize) -> String {
        match self {
            Format::Asff => asff::file_name(part),
            _ => self.entry().2.to_string(),
        }
    }

    /// The writer of this format.
    pub fn output(self, templates: &Templates) -> Box<dyn Output + '_> {
        match self {
            Format::Html => Box::new(pages::Html(templates)),
            Format::Markdown => Box::new(pages::Markdown(templates)),
            Format::Csv => Box::new(csv::Csv),
            Format::Json => Box::new(Json),
            Format::Ocsf => Box::new(ocsf::Ocsf),
            Format::Asff => Box::new(asff::Asff),
            Format::Xlsx => Box::new(xlsx::Xlsx),
            Format::Sarif => Box::new(sarif::Sarif),
            Format::Junit => Box::new(junit::Junit),
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim().to_ascii_lowercase();
        FORMATS
            .iter()
            .find(|(_, names, _, _)| names.contains(&value.as_str()))
            .map(|(format, _, _, _)| *format)
            .ok_or_else(|| {
                let accepted: Vec<&str> = FORMATS.iter().map(|(_, names, _, _)| names[0]).collect();
                format!(
                    "unknown format '{value}' (accepted: {})",
                    accepted.join(", ")
                )
            })
    }
}

/// Every file `formats` make of `report`, each with the writer that fills it.
pub fn files<'a>(
    report: &'a Report,
    formats: &[Format],
    templates: &'a Templates,
) -> Vec<(String, WriteFile<'a>)> {
    let mut files: Vec<(String, WriteFile<'a>)> = Vec::new();
    let mut account_pages = Vec::new();
    for &format in formats {
        if format == Format::Html {
            let mut html = pages::html_files(report, templates);
            // The summary and accounts.html in the format's place, the pages after every
            // format (the writers take files in order: the large formats start first).
            account_pages = html.split_off(html.len().min(2));
            files.extend(html);
            continue;
        }
        let output: std::sync::Arc<dyn Output + 'a> = format.output(templates).into();
        for part in 0..output.parts(report) {
            let output = output.clone();
            files.push((
                format.file_name(part),
                Box::new(move |out| output.write(report, part, out)),
            ));
        }
    }
    files.extend(account_pages);
    files
}

/// report.json: the report model as it is, the contract other tools read.
struct Json;

impl Output for Json {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        Ok(serde_json::to_writer(out, report)?)
    }
}
