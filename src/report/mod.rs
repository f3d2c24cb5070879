//! Report → files. One writer per format over the same [`Report`]; all files of a run are
//! rendered before any is written, and each lands by rename, so a failed or interrupted run never
//! leaves a half-written report in place of a good one.

mod asff;
mod csv;
mod ocsf;
mod templates;
mod view;
mod xlsx;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use crate::findings::Report;
use crate::rules::RuleMeta;
pub use templates::Templates;

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
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Html,
        Format::Csv,
        Format::Markdown,
        Format::Json,
        Format::Ocsf,
        Format::Asff,
        Format::Xlsx,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Html => "report.html",
            Format::Csv => "findings.csv",
            Format::Markdown => "report.md",
            Format::Json => "report.json",
            Format::Ocsf => "findings.ocsf.jsonl",
            Format::Asff => "findings.asff-001.json",
            Format::Xlsx => "report.xlsx",
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
            "ocsf" => Ok(Format::Ocsf),
            "asff" => Ok(Format::Asff),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(format!(
                "unknown format '{other}' (accepted: html, csv, md, json, ocsf, asff, xlsx)"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("rendering {file}: {message}")]
    Render { file: String, message: String },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted before the reports were complete: nothing was written")]
    Interrupted,
}

/// Raised when the process is told to stop (Ctrl-C, SIGTERM). Process-wide, as signals are.
static STOP_STAGING: AtomicBool = AtomicBool::new(false);

/// Abandon every staged write in this process, mid-render if need be: files not yet renamed
/// into place never will be, and their temporary files are removed.
pub fn stop_staging() {
    STOP_STAGING.store(true, Ordering::SeqCst);
}

/// Whether [`stop_staging`] was called.
pub fn staging_stopped() -> bool {
    STOP_STAGING.load(Ordering::SeqCst)
}

/// Render `report` as `format` into `out`, streaming where the format allows (a format that
/// spans several files, ASFF, goes through [`writers`]).
pub fn render(
    report: &Report,
    format: Format,
    templates: &Templates,
    out: &mut Out,
) -> Result<(), String> {
    match format {
        Format::Json => serde_json::to_writer(out, report).map_err(|e| e.to_string()),
        Format::Csv => csv::render(report, out).map_err(|e| e.to_string()),
        Format::Ocsf => ocsf::render(report, out),
        // ASFF spans several files; `writers` gives one writer per file.
        Format::Asff => Err("ASFF is written in files of 100 findings: use report::writers".into()),
        Format::Xlsx => xlsx::render(report, out),
        Format::Html => templates::render_html(templates, &view::ReportView::new(report), out),
        Format::Markdown => {
            templates::render_markdown(templates, &view::ReportView::new(report), out)
        }
    }
}

/// Every file the formats make, each with the writer that fills it (ASFF takes a file per 100
/// findings).
pub fn writers<'a>(
    report: &'a Report,
    formats: &[Format],
    templates: &'a Templates,
) -> Vec<(String, Writer<'a>)> {
    let mut writers: Vec<(String, Writer<'a>)> = Vec::new();
    for &format in formats {
        if format == Format::Asff {
            for (index, name) in asff::file_names(report.findings.len())
                .into_iter()
                .enumerate()
            {
                writers.push((
                    name,
                    Box::new(move |out| asff::render_chunk(report, index, out)),
                ));
            }
        } else {
            let write: Writer<'a> = Box::new(move |out| render(report, format, templates, out));
            writers.push((format.file_name().to_string(), write));
        }
    }
    writers
}

/// Files written side by side in one directory: each is written in full to a temporary file
/// there, and only when every one is complete are they renamed into place. Dropped before
/// [`Staged::commit`], the temporary files are removed and nothing in the directory changes.
pub struct Staged {
    dir: PathBuf,
    files: Vec<(tempfile::NamedTempFile, PathBuf)>,
    digests: Vec<FileDigest>,
}

impl Staged {
    pub fn new(dir: &Path) -> Result<Self, ReportError> {
        fs::create_dir_all(dir).map_err(|source| ReportError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Staged {
            dir: dir.to_path_buf(),
            files: Vec::new(),
            digests: Vec::new(),
        })
    }

    pub fn add(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut Out) -> Result<(), String>,
    ) -> Result<(), ReportError> {
        let staged = stage(&self.dir, name, write)?;
        self.push(staged);
        Ok(())
    }

    /// Several files at once, written by one thread per core (the formats of a large report take
    /// about as long each), kept in the order given.
    pub fn add_all<'w>(&mut self, files: Vec<(String, Writer<'w>)>) -> Result<(), ReportError> {
        let dir = &self.dir;
        let count = files.len();
        let queue = std::sync::Mutex::new(files.into_iter().enumerate());
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(count);
        let mut results: Vec<(usize, Result<StagedFile, ReportError>)> =
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut done = Vec::new();
                            loop {
                                let next = queue.lock().expect("writer queue").next();
                                let Some((index, (name, write))) = next else {
                                    return done;
                                };
                                done.push((index, stage(dir, &name, write)));
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|worker| worker.join().expect("a report writer panicked"))
                    .collect()
            });
        results.sort_by_key(|(index, _)| *index);
        for (_, result) in results {
            self.push(result?);
        }
        Ok(())
    }

    fn push(&mut self, (temp, path, digest): StagedFile) {
        self.files.push((temp, path));
        self.digests.push(digest);
    }

    /// Name, size and SHA-256 of every file added so far, as written.
    pub fn digests(&self) -> &[FileDigest] {
        &self.digests
    }

    /// Rename every file into place (each rename is atomic). A stop requested before this
    /// begins lands nothing; once renaming has begun it finishes, so the directory never holds
    /// some files of this run and some of the last.
    pub fn commit(self) -> Result<Vec<PathBuf>, ReportError> {
        if staging_stopped() {
            return Err(ReportError::Interrupted);
        }
        let mut written = Vec::with_capacity(self.files.len());
        for (temp, path) in self.files {
            temp.persist(&path).map_err(|e| ReportError::Write {
                path: path.clone(),
                source: e.error,
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileDigest {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A writer that hashes and counts what passes through it.
struct Digesting<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Digesting<W> {
    fn new(inner: W) -> Self {
        Digesting {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self, name: &str) -> FileDigest {
        FileDigest {
            name: name.to_string(),
            bytes: self.bytes,
            sha256: hex(&self.hasher.finalize()),
        }
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if staging_stopped() {
            // Not ErrorKind::Interrupted: `write_all` would retry that forever.
            return Err(std::io::Error::other("interrupted"));
        }
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file on disk, as lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut HashWriter(&mut hasher))?;
    Ok((bytes, hex(&hasher.finalize())))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes one file's content; sent to a thread of its own by [`Staged::add_all`].
pub type Writer<'w> = Box<dyn FnOnce(&mut Out) -> Result<(), String> + Send + 'w>;

/// What a writer writes into: a file on its way to disk (the XLSX writer needs it `Send`).
pub type Out = dyn Write + Send;

type StagedFile = (tempfile::NamedTempFile, PathBuf, FileDigest);

/// Write `name` in full into a temporary file in `dir`, hashing it on the way.
fn stage(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut Out) -> Result<(), String>,
) -> Result<StagedFile, ReportError> {
    let path = dir.join(name);
    let io_error = |source| ReportError::Write {
        path: path.clone(),
        source,
    };
    if staging_stopped() {
        return Err(ReportError::Interrupted);
    }
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_error)?;
    let file = temp.as_file().try_clone().map_err(io_error)?;
    let mut out = Digesting::new(std::io::BufWriter::new(file));
    // A stop makes the next write fail (see `Digesting`), so the renderer gives up at once; the
    // temporary file goes with `temp`.
    let written = write(&mut out);
    if staging_stopped() {
        return Err(ReportError::Interrupted);
    }
    written.map_err(|message| ReportError::Render {
        file: name.to_string(),
        message,
    })?;
    out.flush().map_err(io_error)?;
    let digest = out.finish(name);
    readable_by_others(temp.as_file())
        .and_then(|_| temp.as_file().sync_all())
        .map_err(io_error)?;
    Ok((temp, path, digest))
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

/// The catalogue as a Markdown table, one row per rule, controls grouped by framework.
pub fn catalogue_markdown(rules: &[&RuleMeta]) -> String {
    let escape = templates::escape_markdown;
    let mut out =
        String::from("| Rule | Title | Severity | Controls |\n| --- | --- | --- | --- |\n");
    for rule in rules {
        let mut frameworks: Vec<(String, Vec<&str>)> = Vec::new();
        for control in rule.controls.iter() {
            match frameworks.iter_mut().find(|(f, _)| *f == control.framework) {
                Some((_, ids)) => ids.push(&control.id),
                None => frameworks.push((control.framework.clone(), vec![&control.id])),
            }
        }
        let controls: Vec<String> = frameworks
            .iter()
            .map(|(framework, ids)| format!("{}: {}", escape(framework), escape(&ids.join(", "))))
            .collect();
        let controls = if controls.is_empty() {
            "none (informational)".to_string()
        } else {
            controls.join("<br>")
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            escape(&rule.id),
            escape(&rule.title),
            rule.severity.as_str(),
            controls
        ));
    }
    out
}

/// `orgtrail diff` as GitHub-flavoured Markdown.
pub fn diff_markdown(changes: &crate::diff::ReportDiff) -> String {
    let escape = templates::escape_markdown;
    let mut out = format!(
        "# Changes since the run collected {}\n\n{} new failures, {} fixed, {} still failing; {} new accounts, {} removed.\n",
        changes.baseline_collected_at.format("%Y-%m-%d %H:%M UTC"),
        changes.new_failures.len(),
        changes.fixed.len(),
        changes.still_failing,
        changes.new_accounts.len(),
        changes.removed_accounts.len()
    );
    for (heading, list) in [
        ("New failures", &changes.new_failures),
        ("Fixed", &changes.fixed),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {heading}\n\n| Account | Rule | Before | Now |\n| --- | --- | --- | --- |\n"
        ));
        for change in list {
            let status =
                |s: Option<crate::findings::Status>| s.map(|s| s.as_str()).unwrap_or("(none)");
            out.push_str(&format!(
                "| {} ({}) | {} | {} | {} |\n",
                escape(&change.account_name),
                change.account_id,
                escape(&change.title),
                status(change.before),
                status(change.after)
            ));
        }
    }
    for (heading, list) in [
        ("New accounts", &changes.new_accounts),
        ("Removed accounts", &changes.removed_accounts),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("\n## {heading}\n\n"));
            for account in list {
                out.push_str(&format!("- {} ({})\n", escape(&account.name), account.id));
            }
        }
    }
    out
}
