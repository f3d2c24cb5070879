//! The command-line edge: parse, set up logging, run a stage, turn every error into one clear
//! message and an exit code.

mod cli;
mod config;
mod evidence;
mod failure;
mod progress;
mod runs;
mod shards;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;
use clap::Parser;
use tracing::{debug, info};

use failure::{exit, Failure};

use cli::{
    Cli, Command, DiffArgs, InitArgs, MergeArgs, OutputArgs, ReportArgs, RulesArgs, RulesFormat,
    ScanArgs, TrendArgs,
};
use orgtrail::assume::AuditRole;
use orgtrail::aws::{Aws, SdkSettings};
use orgtrail::collect::CollectOptions;
use orgtrail::discover::{DiscoverError, Scope};
use orgtrail::findings::{Report, Severity};
use orgtrail::manifest::MANIFEST_FILE;
use orgtrail::model::{Inventory, ScanSettings};
use orgtrail::report::{self, RunSource, Templates, TREND_HTML};
use orgtrail::rules::{catalogue, RuleMeta};
use orgtrail::signing::{self, SigningKey};
use orgtrail::trend::{EarlierRun, TrendBuilder};
use orgtrail::{waivers, InventorySource, Judging, Outputs, RunRecord, ScanError};

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

fn main() -> ExitCode {
    let started_at = Utc::now();
    let (arguments, configuration) = match config::with_configuration(std::env::args().collect()) {
        Ok(resolved) => resolved,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let cli = match Cli::try_parse_from(&arguments) {
        Ok(cli) => cli,
        Err(error) => {
            if let Some(message) = config::blame_configuration(&error, &configuration, &arguments) {
                eprintln!("error: {message}");
                return ExitCode::from(exit::USAGE);
            }
            error.exit()
        }
    };
    init_tracing(cli.verbose, cli.quiet);
    let run = RunRecord {
        configuration_file: configuration.map(|c| c.path.display().to_string()),
        arguments,
        started_at,
    };
    let outcome = match cli.command {
        Command::Scan(args) => run_async(scan(args, cli.quiet, &run)),
        // Under run_async too, as are merge and trend: it is what makes Ctrl-C and SIGTERM
        // leave --out as it was.
        Command::Report(args) => run_async(async { report_from_inventory(args, &run, cli.quiet) }),
        Command::Merge(args) => run_async(async { merge_shards(args, &run, cli.quiet) }),
        Command::Rules(args) => print_rules(args),
        Command::Verify(args) => evidence::verify(args),
        Command::Keygen(args) => evidence::keygen(args),
        Command::Init(args) => init(args),
        Command::Diff(args) => print_diff(args),
        Command::Trend(args) => run_async(async { write_trend(args) }),
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

/// The SDK logs each call's endpoint parameters at debug level, and with them the identity it
/// signs with: the access key ID (the secret key is redacted). Credentials never reach the log,
/// whatever ORGTRAIL_LOG asks for.
const QUIETER_WHATEVER_ASKED: [&str; 1] =
    ["aws_smithy_runtime::client::orchestrator::endpoints=info"];

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,orgtrail=info",
        (false, 1) => "warn,orgtrail=debug",
        _ => "info,orgtrail=trace",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("ORGTRAIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    for directive in QUIETER_WHATEVER_ASKED {
        filter = filter.add_directive(directive.parse().expect("a valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn run_async(work: impl std::future::Future<Output = Result<u8, Failure>>) -> Result<u8, Failure> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let stopped = {
        let _entered = runtime.enter();
        // Listening before any work starts: a signal's default action would kill the process
        // with staged files left in --out.
        let signals = stop_signals().context("listening for Ctrl-C and SIGTERM")?;
        let (tell, stopped) = tokio::sync::oneshot::channel::<()>();
        // On a worker thread of its own, so it runs while the reports are rendered (which
        // blocks the thread `work` runs on): the staged files are abandoned there and then.
        runtime.spawn(async move {
            signals.await;
            report::stop_staging();
            let _ = tell.send(());
        });
        stopped
    };
    runtime.block_on(async {
        tokio::select! {
            biased;
            outcome = work => match outcome {
                // Whatever the stop made fail, nothing was renamed into place.
                Err(_) if report::staging_stopped() => Ok(interrupted()),
                // A stop that came once the files were landing: they all landed.
                outcome => outcome,
            },
            _ = stopped => Ok(interrupted()),
        }
    })
}

fn interrupted() -> u8 {
    eprintln!("interrupted: nothing was written; reports already in --out are unchanged");
    exit::INTERRUPTED
}

/// Ctrl-C, and the SIGTERM a scheduler (systemd, Kubernetes, AWS Batch) sends to stop a job.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

async fn scan(mut args: ScanArgs, quiet: bool, run: &RunRecord) -> Result<u8, Failure> {
    let shard = args.shard.map(shards::resolve).transpose()?;
    args.output.out = shards::out_directory(&args.output.out, shard)?;
    check_output_dir(&args.output.out)?;
    let judging = load_judging(&args.output)?;
    let period = orgtrail::period::parse(args.period.as_deref(), chrono::Utc::now())
        .map_err(|e| Failure::Usage(anyhow!(e)))?;
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
        retry_mode: args.retry_mode.into(),
        organizational_units: args.ou.clone(),
        accounts: args.accounts.clone(),
        excluded_accounts: args.exclude_accounts.clone(),
    };
    let scope = Scope {
        accounts: args.accounts.into_iter().collect(),
        exclude: args.exclude_accounts.into_iter().collect(),
        organizational_units: dedup(args.ou),
        shard,
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
        period,
    };
    let aws = Aws::load(&SdkSettings {
        max_attempts: args.max_attempts,
        retry_mode: args.retry_mode.into(),
        attempt_timeout: Duration::from_secs(30),
    })
    .await;

    let progress =
        progress::ScanProgress::new(std::io::stderr().is_terminal(), quiet, aws.calls.clone());
    let inventory = progress
        .beating(orgtrail::scan(&aws, &scope, &options, &progress))
        .await;
    progress.finish();
    let mut inventory = inventory.map_err(|e| match e {
        ScanError::Discover(DiscoverError::UnknownAccounts(_)) => Failure::Usage(anyhow!(e)),
        e => Failure::Run(anyhow!(e)),
    })?;
    inventory.settings = Some(settings);
    if let Some(stats) = &inventory.collection {
        debug!(
            "collected {} accounts in {:.1}s: {} AWS calls, {} retries ({} after throttling)",
            inventory.accounts.len(),
            stats.seconds,
            stats.api_calls,
            stats.retries,
            stats.throttling_retries
        );
    }
    write_reports(
        InventorySource::Written(&inventory),
        &inventory,
        &args.output,
        judging,
        run,
        quiet,
    )
}

fn report_from_inventory(args: ReportArgs, run: &RunRecord, quiet: bool) -> Result<u8, Failure> {
    let inventory = read_inventory(&args.inventory).map_err(Failure::Usage)?;
    check_output_dir(&args.output.out)?;
    let judging = load_judging(&args.output)?;
    write_reports(
        InventorySource::Read(&args.inventory),
        &inventory,
        &args.output,
        judging,
        run,
        quiet,
    )
}

fn merge_shards(args: MergeArgs, run: &RunRecord, quiet: bool) -> Result<u8, Failure> {
    let files = shards::inventories(&args.shards)?;
    let mut parts = Vec::with_capacity(files.len());
    for file in &files {
        parts.push(read_inventory(file).map_err(Failure::Usage)?);
    }
    let inventory = orgtrail::merge::merge(parts)
        .context("cannot merge these inventories")
        .map_err(Failure::Usage)?;
    check_output_dir(&args.output.out)?;
    let judging = load_judging(&args.output)?;
    write_reports(
        InventorySource::Written(&inventory),
        &inventory,
        &args.output,
        judging,
        run,
        quiet,
    )
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

/// What judging and rendering need besides the inventory, read before any long work so a bad
/// file fails fast.
struct Prepared {
    judging: Judging,
    templates: Templates,
    signer: Option<SigningKey>,
}

fn load_judging(output: &OutputArgs) -> Result<Prepared, Failure> {
    let waivers = match &output.waivers {
        None => Vec::new(),
        Some(path) => waivers::load(path, catalogue()).map_err(|e| Failure::Usage(anyhow!(e)))?,
    };
    let baseline = match &output.baseline {
        None => None,
        Some(path) => Some(runs::read_report(path).map_err(Failure::Usage)?),
    };
    // One report at a time, kept only as the point the trend needs: a year of large reports
    // is never in memory at once.
    let mut history = Vec::with_capacity(output.history.len());
    for path in &output.history {
        let report = runs::read_report(path).map_err(Failure::Usage)?;
        history.push(EarlierRun::of(&report, path.display().to_string()));
    }
    let templates = load_templates(output.templates.as_deref())?;
    let signer = output
        .sign_key
        .as_deref()
        .map(evidence::load_signer)
        .transpose()?;
    Ok(Prepared {
        judging: Judging {
            waivers,
            baseline,
            history,
            framework_focus: dedup(output.framework.clone()),
        },
        templates,
        signer,
    })
}

fn load_templates(dir: Option<&Path>) -> Result<Templates, Failure> {
    let templates = match dir {
        None => Templates::default(),
        Some(dir) => Templates::with_overrides(dir).map_err(|e| Failure::Usage(anyhow!(e)))?,
    };
    for file in templates.overridden() {
        info!("template {} replaces the embedded one", file.display());
    }
    Ok(templates)
}

fn write_trend(args: TrendArgs) -> Result<u8, Failure> {
    let templates = load_templates(args.templates.as_deref())?;
    let mut dated = Vec::with_capacity(args.runs.len());
    for path in &args.runs {
        dated.push((runs::collected_at(path).map_err(Failure::Usage)?, path));
    }
    dated.sort_by_key(|(at, _)| *at);
    check_output_dir(&args.out)?;
    let out = std::fs::canonicalize(&args.out)
        .with_context(|| format!("resolving --out {}", args.out.display()))?;
    let mut builder = TrendBuilder::new();
    for (_, path) in dated {
        let report = runs::read_report(path).map_err(Failure::Usage)?;
        let page = runs::report_file(path).with_file_name("report.html");
        let source = RunSource {
            label: path.display().to_string(),
            // Written with --format json only, a run has no page to link to.
            report_href: std::fs::canonicalize(&page)
                .ok()
                .filter(|page| page.is_file())
                .map(|page| runs::relative_href(&out, &page)),
        };
        builder
            .push(report, source)
            .map_err(|e| Failure::Usage(anyhow!(e)))?;
    }
    let trend = builder.finish().map_err(|e| Failure::Usage(anyhow!(e)))?;
    let written = orgtrail::write_trend(&trend, &args.out, &templates).map_err(|e| anyhow!(e))?;
    for path in written {
        info!("wrote {}", path.display());
    }
    info!(
        "the trend of {} runs: open {}",
        trend.runs.len(),
        args.out.join(TREND_HTML).display()
    );
    Ok(0)
}

fn print_diff(args: DiffArgs) -> Result<u8, Failure> {
    let old = runs::read_report(&args.old).map_err(Failure::Usage)?;
    let new = runs::read_report(&args.new).map_err(Failure::Usage)?;
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
    source: InventorySource,
    inventory: &Inventory,
    output: &OutputArgs,
    prepared: Prepared,
    run: &RunRecord,
    quiet: bool,
) -> Result<u8, Failure> {
    // A saved inventory's unaudited accounts were the scan's news, reported with exit 3 then;
    // re-rendering it succeeded, so `report` exits 0 (or 4 with --fail-on).
    let collected_now = matches!(source, InventorySource::Written(_));
    let mut report = orgtrail::judge(inventory, prepared.judging, Utc::now());
    let outputs = Outputs {
        dir: &output.out,
        formats: &dedup(output.format.clone()),
        templates: &prepared.templates,
        signer: prepared.signer.as_ref(),
    };
    let written = orgtrail::write(&mut report, source, &outputs, run).map_err(|e| anyhow!(e))?;
    for path in &written.files {
        debug!("wrote {}", path.display());
    }
    if !quiet {
        eprint!("{}", closing_summary(&report, &output.out, &written.files));
        // The line to quote in a ticket: the manifest stands for every file, and the
        // inventory's digest is the one the reports print (they cannot print the manifest's,
        // which lists them).
        eprintln!(
            "evidence: {MANIFEST_FILE} sha256 {}, {}; the reports show inventory sha256 {}",
            written.manifest.sha256,
            match &written.seal.signing_key_id {
                Some(id) => format!(
                    "signed with minisign key {id} ({})",
                    signing::SIGNATURE_FILE
                ),
                None => "not signed".to_string(),
            },
            written.seal.inventory_sha256
        );
    }
    let unaudited_is_failure = collected_now && report.summary.accounts_errored > 0;
    Ok(failure::exit_code(
        &report,
        unaudited_is_failure,
        output.fail_on.map(Severity::from),
    ))
}

/// What a person reads when the run ends: what was audited, what was written where, and which
/// file to open first.
fn closing_summary(report: &Report, out: &Path, written: &[std::path::PathBuf]) -> String {
    let s = &report.summary;
    let mut text = format!(
        "\n{} accounts: {} audited, {} could not be audited, {} not audited (closed, suspended or excluded)\n\
         findings: {} passed, {} failed, {} errors, {} muted\n",
        s.accounts_total,
        s.accounts_audited,
        s.accounts_errored,
        s.accounts_skipped,
        s.findings_passed,
        s.findings_failed,
        s.findings_errored,
        s.findings_muted
    );
    if let Some(stats) = &report.collection {
        text.push_str(&format!(
            "the scan took {:.1} s: {} AWS calls, {} retries ({} after throttling)\n",
            stats.seconds, stats.api_calls, stats.retries, stats.throttling_retries
        ));
    }
    text.push_str(&format!(
        "\nwrote {} files to {}:\n",
        written.len(),
        out.display()
    ));
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    for name in &names {
        let what = report::describe_file(name).unwrap_or("");
        text.push_str(&format!("  {name:width$}  {what}\n"));
    }
    let first = names
        .iter()
        .find(|n| *n == "report.html")
        .or_else(|| names.iter().find(|n| *n == "report.md"));
    if let Some(first) = first {
        text.push_str(&format!("\nopen {} first\n", out.join(first).display()));
    }
    if s.accounts_errored > 0 {
        text.push_str(&format!(
            "{} account(s) could not be audited: each is listed with its reason in the report\n",
            s.accounts_errored
        ));
    }
    text
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
