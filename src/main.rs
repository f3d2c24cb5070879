//! The command-line edge: parse, set up logging, run a stage, turn every error into one clear
//! message and an exit code.

mod cli;
mod config;
mod progress;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;
use clap::Parser;
use tracing::{info, warn};

use cli::{
    Cli, Command, DiffArgs, InitArgs, MergeArgs, OutputArgs, ReportArgs, RulesArgs, RulesFormat,
    ScanArgs, VerifyArgs,
};
use orgtrail::assume::AuditRole;
use orgtrail::aws::{Aws, SdkSettings};
use orgtrail::collect::CollectOptions;
use orgtrail::discover::{DiscoverError, Scope};
use orgtrail::evaluate::evaluate;
use orgtrail::findings::{Report, Severity, Status};
use orgtrail::manifest::{self, Manifest, MANIFEST_FILE, MANIFEST_SCHEMA};
use orgtrail::model::{Inventory, ScanSettings};
use orgtrail::report::{self, FileDigest, Staged, Templates};
use orgtrail::rules::{catalogue, RuleMeta};
use orgtrail::waivers::{self, Waiver, WaiverState};
use orgtrail::ScanError;

/// Exit codes, documented in the README.
mod exit {
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const ACCOUNTS_NOT_AUDITED: u8 = 3;
    pub const FINDINGS_FAILED: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

/// A user's mistake (exit 2) or a failure of the run itself (exit 1).
enum Failure {
    Usage(anyhow::Error),
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Run(error)
    }
}

/// The command line with the configuration file's options in it, for the manifest.
static RESOLVED_ARGUMENTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
static CONFIGURATION_FILE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

const SUBCOMMANDS_WITH_OPTIONS: [&str; 3] = ["scan", "report", "merge"];

/// The command line with the configuration file's options placed before the user's own, so
/// that the user's win; and what came from the file, to blame it for a bad value.
fn with_configuration(
    arguments: Vec<String>,
) -> Result<(Vec<String>, Option<config::Loaded>), String> {
    let mut config_path = std::env::var_os("ORGTRAIL_CONFIG").map(std::path::PathBuf::from);
    let mut subcommand = None;
    let mut index = 1;
    while index < arguments.len() {
        let argument = &arguments[index];
        if argument == "--config" {
            config_path = arguments.get(index + 1).map(std::path::PathBuf::from);
            index += 2;
            continue;
        }
        if let Some(path) = argument.strip_prefix("--config=") {
            config_path = Some(path.into());
        } else if !argument.starts_with('-') && subcommand.is_none() {
            subcommand = Some(index);
        }
        index += 1;
    }
    let Some(position) =
        subcommand.filter(|&i| SUBCOMMANDS_WITH_OPTIONS.contains(&arguments[i].as_str()))
    else {
        return Ok((arguments, None));
    };
    let Some(loaded) = config::load(config_path.as_deref(), &arguments[position])? else {
        return Ok((arguments, None));
    };
    let mut resolved: Vec<String> = arguments[..=position].to_vec();
    resolved.extend(
        loaded
            .options
            .iter()
            .flat_map(|o| o.arguments.iter().cloned()),
    );
    resolved.extend(arguments[position + 1..].iter().cloned());
    Ok((resolved, Some(loaded)))
}

/// When clap rejects a value that came from the configuration file, say where it was written.
fn blame_configuration(
    error: &clap::Error,
    configuration: &Option<config::Loaded>,
    arguments: &[String],
) -> Option<String> {
    let loaded = configuration.as_ref()?;
    let clap::error::ContextValue::String(argument) =
        error.get(clap::error::ContextKind::InvalidArg)?
    else {
        return None;
    };
    let flag = argument.split([' ', '=']).next()?;
    let from_file = loaded.options.iter().find(|o| o.arguments[0] == flag)?;
    // Given on the command line too: the user's value was the bad one.
    if arguments.iter().filter(|a| a.as_str() == flag).count() > 1 {
        return None;
    }
    let reason = error.to_string();
    let reason = reason
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    Some(format!(
        "{}:{}: {} = {}: {reason}",
        loaded.path.display(),
        from_file.line,
        from_file.key,
        from_file.arguments[1..].join(" ")
    ))
}

fn init(args: InitArgs) -> Result<u8, Failure> {
    if args.path.exists() && !args.force {
        return Err(Failure::Usage(anyhow!(
            "{} exists; pass --force to replace it",
            args.path.display()
        )));
    }
    std::fs::write(&args.path, config::STARTER)
        .with_context(|| format!("writing {}", args.path.display()))?;
    println!(
        "wrote {}: edit it, then run `orgtrail scan`",
        args.path.display()
    );
    Ok(0)
}

/// When this run began, for the manifest.
static STARTED_AT: std::sync::OnceLock<chrono::DateTime<Utc>> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    STARTED_AT.get_or_init(Utc::now);
    let (arguments, configuration) = match with_configuration(std::env::args().collect()) {
        Ok(resolved) => resolved,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let cli = match Cli::try_parse_from(&arguments) {
        Ok(cli) => cli,
        Err(error) => {
            if let Some(message) = blame_configuration(&error, &configuration, &arguments) {
                eprintln!("error: {message}");
                return ExitCode::from(exit::USAGE);
            }
            error.exit()
        }
    };
    RESOLVED_ARGUMENTS.get_or_init(|| arguments.clone());
    CONFIGURATION_FILE.get_or_init(|| configuration.as_ref().map(|c| c.path.display().to_string()));
    init_tracing(cli.verbose, cli.quiet);
    let outcome = match cli.command {
        Command::Scan(args) => run_async(scan(args, cli.quiet)),
        Command::Report(args) => report_from_inventory(args),
        Command::Merge(args) => merge_shards(args),
        Command::Rules(args) => print_rules(args),
        Command::Verify(args) => verify(args),
        Command::Init(args) => init(args),
        Command::Diff(args) => print_diff(args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::USAGE)
        }
        Err(Failure::Run(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,orgtrail=info",
        (false, 1) => "warn,orgtrail=debug",
        _ => "info,orgtrail=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ORGTRAIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn run_async(work: impl std::future::Future<Output = Result<u8, Failure>>) -> Result<u8, Failure> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        tokio::select! {
            outcome = work => outcome,
            _ = tokio::signal::ctrl_c() => {
                // Reports are written only once complete, so leaving now keeps the previous ones.
                eprintln!("interrupted: nothing was written; reports already in --out are unchanged");
                Ok(exit::INTERRUPTED)
            }
        }
    })
}

async fn scan(args: ScanArgs, quiet: bool) -> Result<u8, Failure> {
    check_output_dir(&args.output.out)?;
    let judging = load_judging(&args.output)?;
    let regions = if args.regions.is_empty() {
        orgtrail::regions::DEFAULT_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect()
    } else {
        dedup(args.regions)
    };
    let settings = ScanSettings {
        role_name: args.role_name.clone(),
        session_name: args.session_name.clone(),
        external_id_given: args.external_id.is_some(),
        concurrency: args.concurrency,
        account_timeout_seconds: args.account_timeout,
        max_attempts: args.max_attempts,
        retry_mode: format!("{:?}", args.retry_mode).to_lowercase(),
        organizational_units: args.ou.clone(),
        accounts: args.accounts.clone(),
        excluded_accounts: args.exclude_accounts.clone(),
    };
    let scope = Scope {
        accounts: args.accounts.into_iter().collect(),
        exclude: args.exclude_accounts.into_iter().collect(),
        organizational_units: dedup(args.ou),
        shard: args.shard,
        walk_width: usize::from(args.walk_width),
    };
    let options = CollectOptions {
        regions,
        role: AuditRole {
            role_name: args.role_name,
            external_id: args.external_id,
            session_name: args.session_name,
        },
        concurrency: usize::from(args.concurrency),
        account_timeout: Duration::from_secs(args.account_timeout),
    };
    let aws = Aws::load(&SdkSettings {
        max_attempts: args.max_attempts,
        retry_mode: args.retry_mode.into(),
        attempt_timeout: Duration::from_secs(30),
    })
    .await;

    let progress = progress::ScanProgress::new(std::io::stderr().is_terminal(), quiet);
    let inventory = orgtrail::scan(&aws, &scope, &options, &progress).await;
    progress.finish();
    let mut inventory = inventory.map_err(|e| match e {
        ScanError::Discover(DiscoverError::UnknownAccounts(_)) => Failure::Usage(anyhow!(e)),
        e => Failure::Run(anyhow!(e)),
    })?;
    inventory.settings = Some(settings);
    if let Some(stats) = &inventory.collection {
        info!(
            "collected {} accounts in {:.1}s: {} AWS calls, {} retries",
            inventory.accounts.len(),
            stats.seconds,
            stats.api_calls,
            stats.retries
        );
    }
    write_reports(&inventory, &args.output, judging, InventorySource::Written)
}

fn report_from_inventory(args: ReportArgs) -> Result<u8, Failure> {
    let inventory = read_inventory(&args.inventory).map_err(Failure::Usage)?;
    check_output_dir(&args.output.out)?;
    let judging = load_judging(&args.output)?;
    write_reports(
        &inventory,
        &args.output,
        judging,
        InventorySource::Read(&args.inventory),
    )
}

fn merge_shards(args: MergeArgs) -> Result<u8, Failure> {
    let mut parts = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let file = if path.is_dir() {
            path.join("inventory.json")
        } else {
            path.clone()
        };
        parts.push(read_inventory(&file).map_err(Failure::Usage)?);
    }
    let inventory = orgtrail::merge::merge(parts)
        .context("cannot merge these inventories")
        .map_err(Failure::Usage)?;
    check_output_dir(&args.output.out)?;
    let judging = load_judging(&args.output)?;
    write_reports(&inventory, &args.output, judging, InventorySource::Written)
}

fn read_inventory(path: &Path) -> Result<Inventory> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the inventory {}; pass the inventory.json that `orgtrail scan` wrote",
            path.display()
        )
    })?;
    Inventory::from_json(&text).with_context(|| {
        format!(
            "{} cannot be read as an inventory; pass the inventory.json that `orgtrail scan` wrote",
            path.display()
        )
    })
}

/// Fail before a long scan, not after it, when the reports could not be written.
fn check_output_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::Usage(anyhow!(
            "--out {} is a file; name a directory (it is created if missing)",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .and_then(|_| tempfile::tempfile_in(dir).map(drop))
        .map_err(|e| {
            Failure::Usage(anyhow!(
                "--out {} is not writable ({e}); choose a directory you can write to",
                dir.display()
            ))
        })
}

/// Where the reports come from: a fresh or merged inventory written alongside them, or one read
/// from a file (whose digest the manifest records).
enum InventorySource<'a> {
    Written,
    Read(&'a Path),
}

/// What judging and rendering need besides the inventory, read before any long work so a bad
/// file fails fast.
struct Judging {
    waivers: Vec<Waiver>,
    baseline: Option<Report>,
    templates: Templates,
}

fn load_judging(output: &OutputArgs) -> Result<Judging, Failure> {
    let waivers = match &output.waivers {
        None => Vec::new(),
        Some(path) => waivers::load(path, catalogue()).map_err(|e| Failure::Usage(anyhow!(e)))?,
    };
    let baseline = match &output.baseline {
        None => None,
        Some(path) => Some(read_report(path).map_err(Failure::Usage)?),
    };
    let templates = match &output.templates {
        None => Templates::default(),
        Some(dir) => Templates::with_overrides(dir).map_err(|e| Failure::Usage(anyhow!(e)))?,
    };
    Ok(Judging {
        waivers,
        baseline,
        templates,
    })
}

fn read_report(path: &Path) -> Result<Report> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read the report {}", file.display()))?;
    Report::from_json(&text).map_err(|e| {
        anyhow!(
            "{} is not an orgtrail report.json: {e}; pass the report.json a previous run wrote",
            file.display()
        )
    })
}

fn print_diff(args: DiffArgs) -> Result<u8, Failure> {
    let old = read_report(&args.old).map_err(Failure::Usage)?;
    let new = read_report(&args.new).map_err(Failure::Usage)?;
    let changes = orgtrail::diff::diff(&old, &new);
    let text = match args.format {
        RulesFormat::Json => {
            serde_json::to_string_pretty(&changes).context("serialising the diff")?
        }
        RulesFormat::Md => report::diff_markdown(&changes),
    };
    println!("{text}");
    Ok(0)
}

fn write_reports(
    inventory: &Inventory,
    output: &OutputArgs,
    judging: Judging,
    source: InventorySource,
) -> Result<u8, Failure> {
    let started_at = *STARTED_AT.get_or_init(Utc::now);
    let mut report = evaluate(inventory, catalogue(), judging.waivers, Utc::now());
    report.baseline = judging
        .baseline
        .map(|old| orgtrail::diff::diff(&old, &report));
    for unused in report
        .waivers
        .iter()
        .filter(|u| u.state != WaiverState::Active)
    {
        warn!(
            "waiver for {} on {} is {:?}: {}",
            unused.waiver.rule,
            unused.waiver.accounts.join(", "),
            unused.state,
            unused.waiver.reason
        );
    }
    let mut staged = Staged::new(&output.out).map_err(|e| anyhow!(e))?;
    if let InventorySource::Written = source {
        staged
            .add("inventory.json", |out| {
                serde_json::to_writer_pretty(out, inventory).map_err(|e| e.to_string())
            })
            .map_err(|e| anyhow!(e))?;
    }
    for file in judging.templates.overridden() {
        info!("template {file} replaces the embedded one");
    }
    let formats = dedup(output.format.clone());
    let writers = report::writers(&report, &formats, &judging.templates);
    staged.add_all(writers).map_err(|e| anyhow!(e))?;
    let inventory_digest = match source {
        InventorySource::Written => staged.digests()[0].clone(),
        InventorySource::Read(path) => {
            let (bytes, sha256) =
                report::sha256_file(path).with_context(|| format!("hashing {}", path.display()))?;
            FileDigest {
                name: path.display().to_string(),
                bytes,
                sha256,
            }
        }
    };
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: manifest::redact(RESOLVED_ARGUMENTS.get().cloned().unwrap_or_default()),
        configuration_file: CONFIGURATION_FILE.get().cloned().flatten(),
        started_at,
        finished_at: Utc::now(),
        caller_arn: inventory.caller_arn.clone(),
        inventory: inventory_digest,
        files: staged.digests().to_vec(),
    };
    staged
        .add(MANIFEST_FILE, |out| {
            serde_json::to_writer_pretty(out, &manifest).map_err(|e| e.to_string())
        })
        .map_err(|e| anyhow!(e))?;
    for path in staged.commit().map_err(|e| anyhow!(e))? {
        info!("wrote {}", path.display());
    }
    print_summary(&report);
    Ok(exit_code(&report, output.fail_on.map(Severity::from)))
}

fn verify(args: VerifyArgs) -> Result<u8, Failure> {
    match manifest::verify(&args.dir).map_err(|e| Failure::Usage(anyhow!(e)))? {
        Ok(matched) => {
            for line in &matched {
                println!("{line}");
            }
            println!("verified: {} files match {}", matched.len(), MANIFEST_FILE);
            Ok(0)
        }
        Err(problems) => {
            for line in &problems {
                println!("{line}");
            }
            eprintln!(
                "error: {} file(s) in {} do not match {MANIFEST_FILE}",
                problems.len(),
                args.dir.display()
            );
            Ok(exit::FAILED)
        }
    }
}

fn print_summary(report: &Report) {
    let s = &report.summary;
    info!(
        "{} accounts: {} audited, {} could not be audited, {} not audited; findings: {} passed, {} failed, {} errors, {} muted",
        s.accounts_total,
        s.accounts_audited,
        s.accounts_errored,
        s.accounts_skipped,
        s.findings_passed,
        s.findings_failed,
        s.findings_errored,
        s.findings_muted
    );
}

fn exit_code(report: &Report, fail_on: Option<Severity>) -> u8 {
    if report.summary.accounts_errored > 0 {
        return exit::ACCOUNTS_NOT_AUDITED;
    }
    let failing = |threshold: Severity| {
        report
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity >= threshold)
    };
    match fail_on {
        Some(threshold) if failing(threshold) => exit::FINDINGS_FAILED,
        _ => 0,
    }
}

fn print_rules(args: RulesArgs) -> Result<u8, Failure> {
    let rules: Vec<&RuleMeta> = catalogue().iter().map(|r| &r.meta).collect();
    let text = match args.format {
        RulesFormat::Json => {
            serde_json::to_string_pretty(&rules).context("serialising the catalogue")?
        }
        RulesFormat::Md => report::catalogue_markdown(&rules),
    };
    println!("{text}");
    Ok(0)
}

fn dedup<T: Ord + Clone>(items: Vec<T>) -> Vec<T> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}
