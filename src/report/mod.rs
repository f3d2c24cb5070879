//! Report → files. One writer per format over the same [`Report`]; all files of a run are
//! rendered before any is written, and each lands by rename, so a failed or interrupted run never
//! leaves a half-written report in place of a good one.

mod csv;
mod templates;
mod view;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::findings::Report;
use crate::rules::RuleMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Html,
    Csv,
    Markdown,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Html, Format::Csv, Format::Markdown, Format::Json];

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Html => "report.html",
            Format::Csv => "findings.csv",
            Format::Markdown => "report.md",
            Format::Json => "report.json",
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "html" => Ok(Format::Html),
            "csv" => Ok(Format::Csv),
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format '{other}' (accepted: html, csv, md, json)"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("rendering {file}: {message}")]
    Render { file: &'static str, message: String },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ReportError> {
    let failed = |message: String| ReportError::Render {
        file: format.file_name(),
        message,
    };
    match format {
        Format::Json => serde_json::to_vec_pretty(report).map_err(|e| failed(e.to_string())),
        Format::Csv => csv::render(report).map_err(|e| failed(e.to_string())),
        Format::Html => templates::render_html(&view::ReportView::new(report))
            .map(String::into_bytes)
            .map_err(failed),
        Format::Markdown => templates::render_markdown(&view::ReportView::new(report))
            .map(String::into_bytes)
            .map_err(failed),
    }
}

/// Temporary files are created private; a report is meant to be shared like any other file.
#[cfg(unix)]
fn readable_by_others(file: &fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_others(_: &fs::File) -> std::io::Result<()> {
    Ok(())
}

/// Write every file into `dir`, each through a temporary file renamed into place.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>, ReportError> {
    let write_error = |path: &Path, source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| write_error(dir, e))?;
        temp.write_all(bytes)
            .and_then(|_| readable_by_others(temp.as_file()))
            .and_then(|_| temp.as_file().sync_all())
            .map_err(|e| write_error(temp.path(), e))?;
        staged.push((temp, dir.join(name)));
    }
    // Everything is on disk; only renames remain, each atomic.
    let mut written = Vec::with_capacity(staged.len());
    for (temp, path) in staged {
        temp.persist(&path)
            .map_err(|e| write_error(&path, e.error))?;
        written.push(path);
    }
    Ok(written)
}

/// The catalogue as a Markdown table, one row per rule, controls grouped by framework.
pub fn catalogue_markdown(rules: &[&RuleMeta]) -> String {
    let escape = templates::escape_markdown;
    let mut out =
        String::from("| Rule | Title | Severity | Controls |\n| --- | --- | --- | --- |\n");
    for rule in rules {
        let mut frameworks: Vec<(String, Vec<&str>)> = Vec::new();
        for control in &rule.controls {
            match frameworks.iter_mut().find(|(f, _)| *f == control.framework) {
                Some((_, ids)) => ids.push(&control.id),
                None => frameworks.push((control.framework.clone(), vec![&control.id])),
            }
        }
        let controls: Vec<String> = frameworks
            .iter()
            .map(|(framework, ids)| format!("{}: {}", escape(framework), escape(&ids.join(", "))))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            escape(&rule.id),
            escape(&rule.title),
            rule.severity.as_str(),
            controls.join("<br>")
        ));
    }
    out
}
