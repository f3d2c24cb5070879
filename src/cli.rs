//! The command line: clap definitions of every subcommand and option, and the parsers that
//! check a value (an account id, a region, an OU id) before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use orgtrail::discover::DEFAULT_WALK_WIDTH;
use orgtrail::findings::Severity;
use orgtrail::model::RetryMode;
use orgtrail::model::Shard;
use orgtrail::regions::KNOWN_REGIONS;
use orgtrail::report::Format;

#[derive(Parser, Debug)]
#[command(
    args_override_self = true,
    name = "orgtrail",
    version,
    about = "Audit AWS CloudTrail across an AWS Organization and write the evidence"
)]
pub struct Cli {
    /// More log output (-v: per-account progress, -vv: everything orgtrail logs).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on standard error.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// A configuration file (TOML) holding scan and report options [default: ./orgtrail.toml
    /// when present]. Command line beats environment (ORGTRAIL_*), which beats the file.
    #[arg(long, global = true, value_name = "FILE", env = "ORGTRAIL_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit the organization: writes inventory.json and the reports into --out.
    Scan(ScanArgs),
    /// Re-evaluate a saved inventory offline and write the reports.
    Report(ReportArgs),
    /// Combine the inventories of `scan --shard K/N` runs into one and write the reports.
    Merge(MergeArgs),
    /// Print the rule catalogue with its framework mappings.
    Rules(RulesArgs),
    /// Write a commented starter orgtrail.toml.
    Init(InitArgs),
    /// Check the files of a report directory against its manifest.json, and its signature.
    Verify(VerifyArgs),
    /// Make a minisign key pair for signing evidence (--sign-key) and checking it (verify).
    Keygen(KeygenArgs),
    /// What changed between two runs: new failures, fixed findings, new and removed accounts.
    Diff(DiffArgs),
    /// The trend over several runs: writes trend.html (charts) and trend.csv (the series) into --out.
    Trend(TrendArgs),
}

#[derive(Args, Debug)]
pub struct TrendArgs {
    /// Report directories written by scan, report or merge (or their report.json files), in
    /// any order: they are sorted by collection time.
    #[arg(required = true, value_name = "DIR")]
    pub runs: Vec<PathBuf>,
    /// Directory trend.html and trend.csv are written into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A directory whose trend.html.tera replaces the embedded template.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier report.json (or the directory holding it).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later report.json (or the directory holding it).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "md")]
    pub format: RulesFormat,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(default_value = "orgtrail.toml", value_name = "FILE")]
    pub path: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A directory written by scan, report or merge.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Also check manifest.json.minisig with this minisign public key (`orgtrail keygen`,
    /// `minisign -G`): who signed the manifest, not only whether the files match it.
    #[arg(long, value_name = "FILE", env = "ORGTRAIL_PUBLIC_KEY")]
    pub public_key: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the public key (give it to whoever verifies the evidence).
    #[arg(long, default_value = "orgtrail.pub", value_name = "FILE")]
    pub public_key: PathBuf,
    /// Where to write the secret key, encrypted with the password in ORGTRAIL_SIGN_PASSWORD (or
    /// asked for on a terminal).
    #[arg(long, default_value = "orgtrail.key", value_name = "FILE")]
    pub secret_key: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard output directories (holding inventory.json), inventory files, or a directory whose
    /// subdirectories are the shards' output directories.
    #[arg(required = true, value_name = "DIR")]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Role assumed in each member account.
    #[arg(
        long,
        default_value = "OrganizationAccountAccessRole",
        value_name = "NAME",
        env = "ORGTRAIL_ROLE_NAME"
    )]
    pub role_name: String,
    /// External ID the audit role's trust policy asks for.
    #[arg(long, env = "ORGTRAIL_EXTERNAL_ID", hide_env_values = true)]
    pub external_id: Option<String>,
    /// Session name, as it will show in the members' CloudTrail.
    #[arg(long, default_value = "orgtrail", env = "ORGTRAIL_SESSION_NAME")]
    pub session_name: String,
    /// Regions to audit, comma-separated [default: the 17 default-enabled commercial regions].
    #[arg(
        action = clap::ArgAction::Set,
        long,
        value_delimiter = ',',
        value_name = "REGION,...",
        value_parser = region,
        env = "ORGTRAIL_REGIONS",
    )]
    pub regions: Vec<String>,
    /// Audit only these account ids.
    #[arg(
        action = clap::ArgAction::Set,
        long,
        value_delimiter = ',',
        value_name = "ID,...",
        value_parser = account_id,
        env = "ORGTRAIL_ACCOUNTS",
    )]
    pub accounts: Vec<String>,
    /// List these accounts as excluded instead of auditing them.
    #[arg(
        action = clap::ArgAction::Set,
        long,
        value_delimiter = ',',
        value_name = "ID,...",
        value_parser = account_id,
        env = "ORGTRAIL_EXCLUDE_ACCOUNTS",
    )]
    pub exclude_accounts: Vec<String>,
    /// Audit only accounts under these OUs or roots (any depth).
    #[arg(
        action = clap::ArgAction::Set,
        long,
        value_delimiter = ',',
        value_name = "OU,...",
        value_parser = organizational_unit,
        env = "ORGTRAIL_OU",
    )]
    pub ou: Vec<String>,
    /// Accounts collected at the same time.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256), env = "ORGTRAIL_CONCURRENCY")]
    pub concurrency: u16,
    /// OUs listed at the same time while walking the organization (AWS Organizations throttles
    /// early: lower it if the summary shows many retries).
    #[arg(long, default_value_t = DEFAULT_WALK_WIDTH as u16, value_parser = clap::value_parser!(u16).range(1..=64), env = "ORGTRAIL_WALK_WIDTH")]
    pub walk_width: u16,
    /// Audit only shard K of N (accounts by id modulo N); combine the shards with `orgtrail merge`.
    /// `auto`: K and N from AWS_BATCH_JOB_ARRAY_INDEX (from 0) and AWS_BATCH_JOB_ARRAY_SIZE, as
    /// AWS Batch sets them in each child of an array job.
    #[arg(long, value_name = "K/N|auto", env = "ORGTRAIL_SHARD")]
    pub shard: Option<ShardArg>,
    /// The audit period whose trail changes are read and judged: YYYY-MM (a calendar month,
    /// UTC) or START..END (dates, END included, or RFC 3339 instants; no END: up to now), within
    /// CloudTrail's 90 days of event history [default: the 30 days ending at the scan].
    #[arg(long, value_name = "YYYY-MM|START..END", env = "ORGTRAIL_PERIOD")]
    pub period: Option<String>,
    /// Seconds one account may take, retries included, before it is reported as an ERROR.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600), env = "ORGTRAIL_ACCOUNT_TIMEOUT")]
    pub account_timeout: u64,
    /// Attempts per AWS call, the first included (throttling is retried with back-off).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20), env = "ORGTRAIL_MAX_ATTEMPTS")]
    pub max_attempts: u32,
    /// standard: back-off with jitter; adaptive: also slows the client down once throttled.
    #[arg(
        long,
        value_enum,
        default_value = "standard",
        env = "ORGTRAIL_RETRY_MODE"
    )]
    pub retry_mode: RetryModeArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--shard K/N`, or `auto` for the shard of an AWS Batch array child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardArg {
    Fixed(Shard),
    Auto,
}

impl std::str::FromStr for ShardArg {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.trim().eq_ignore_ascii_case("auto") {
            return Ok(ShardArg::Auto);
        }
        value
            .parse()
            .map(ShardArg::Fixed)
            .map_err(|e| format!("{e}, or auto"))
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RetryModeArg {
    Standard,
    Adaptive,
}

impl From<RetryModeArg> for RetryMode {
    fn from(value: RetryModeArg) -> Self {
        match value {
            RetryModeArg::Standard => RetryMode::Standard,
            RetryModeArg::Adaptive => RetryMode::Adaptive,
        }
    }
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// An inventory.json written by `orgtrail scan`.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Report formats, comma-separated: html, csv, md, json, ocsf (OCSF JSON Lines), asff
    /// (Security Hub), xlsx (workbook), sarif (code scanning), junit (CI test reports).
    #[arg(
        long,
        action = clap::ArgAction::Set,
        value_delimiter = ',',
        default_value = "html,csv,md,json",
        value_name = "FORMAT,...",
        env = "ORGTRAIL_FORMAT"
    )]
    pub format: Vec<Format>,
    /// Directory the files are written into (created if missing). In a sharded scan, `{shard}`
    /// in it becomes `K-of-N`.
    #[arg(long, value_name = "DIR", env = "ORGTRAIL_OUT")]
    pub out: PathBuf,
    /// A directory of templates replacing the embedded ones of the same names
    /// (report.html.tera, account.html.tera, report.md.tera).
    #[arg(long, value_name = "DIR", env = "ORGTRAIL_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Last run's report.json: the reports then show what changed since.
    #[arg(long, value_name = "REPORT", env = "ORGTRAIL_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Earlier runs' report directories (or report.json files), repeatable or comma-separated:
    /// report.html then draws the trend of the seed controls over them (the last 12).
    #[arg(
        long,
        action = clap::ArgAction::Append,
        value_delimiter = ',',
        value_name = "DIR,...",
        env = "ORGTRAIL_HISTORY"
    )]
    pub history: Vec<PathBuf>,
    /// Waivers (TOML): accepted risks that turn matching FAIL/ERROR findings into MUTED.
    #[arg(long, value_name = "FILE", env = "ORGTRAIL_WAIVERS")]
    pub waivers: Option<PathBuf>,
    /// Frameworks the reports open on and are titled for (a slug from `orgtrail rules --format
    /// json`, e.g. cis-aws-foundations-1.5; repeatable or comma-separated).
    #[arg(
        long,
        action = clap::ArgAction::Append,
        value_delimiter = ',',
        value_name = "SLUG,...",
        value_parser = framework,
        env = "ORGTRAIL_FRAMEWORK"
    )]
    pub framework: Vec<String>,
    /// Exit with code 4 when a finding at or above this severity fails; with --baseline, when
    /// one fails that did not fail in the baseline (a new failure).
    #[arg(long, value_enum, value_name = "SEVERITY", env = "ORGTRAIL_FAIL_ON")]
    pub fail_on: Option<FailOn>,
    /// Sign manifest.json with this minisign secret key, writing manifest.json.minisig; a
    /// password-protected key's password is read from ORGTRAIL_SIGN_PASSWORD (never a flag).
    #[arg(long, value_name = "FILE", env = "ORGTRAIL_SIGN_KEY")]
    pub sign_key: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl From<FailOn> for Severity {
    fn from(value: FailOn) -> Self {
        match value {
            FailOn::Informational => Severity::Informational,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "md")]
    pub format: RulesFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RulesFormat {
    Json,
    Md,
}

fn account_id(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err("an AWS account id is exactly 12 digits, e.g. 123456789012".to_string())
    }
}

/// A region of the `aws` partition; whether the account has it enabled is for AWS to say.
fn region(value: &str) -> Result<String, String> {
    let value = value.trim();
    let parts: Vec<&str> = value.split('-').collect();
    let shaped = parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !shaped {
        return Err(
            "not a region name; expected something like us-east-1 or eu-west-2".to_string(),
        );
    }
    if KNOWN_REGIONS.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(format!(
            "unknown region '{value}' (orgtrail audits the aws partition); known regions: {}",
            KNOWN_REGIONS.join(", ")
        ))
    }
}

fn framework(value: &str) -> Result<String, String> {
    let value = value.trim();
    let known = orgtrail::rules::frameworks();
    if known.iter().any(|f| f.slug == value) {
        return Ok(value.to_string());
    }
    let slugs: Vec<&str> = known.iter().map(|f| f.slug.as_str()).collect();
    Err(format!(
        "unknown framework '{value}'; the catalogue maps to: {}",
        slugs.join(", ")
    ))
}

fn organizational_unit(value: &str) -> Result<String, String> {
    let value = value.trim();
    let valid = |rest: &str| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    match (value.strip_prefix("ou-"), value.strip_prefix("r-")) {
        (Some(rest), _) if valid(rest) && rest.contains('-') => Ok(value.to_string()),
        (_, Some(rest)) if valid(rest) => Ok(value.to_string()),
        _ => Err("expected an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgtrail::regions::DEFAULT_REGIONS;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(account_id("123456789012").is_ok());
        assert!(account_id("12345678901").is_err());
        assert!(account_id("12345678901a").is_err());
    }

    #[test]
    fn region_names_are_checked_for_shape() {
        for good in ["us-east-1", "eu-west-2", "ap-southeast-5"] {
            assert!(region(good).is_ok(), "{good}");
        }
        assert!(region("us-gov-west-1")
            .unwrap_err()
            .contains("aws partition"));
        for bad in ["useast1", "us-east", "US-EAST-1", "us-east-1a", ""] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn organizational_units_and_roots_are_accepted() {
        assert!(organizational_unit("ou-ab12-cdef3456").is_ok());
        assert!(organizational_unit("r-ab12").is_ok());
        assert!(organizational_unit("Workloads").is_err());
    }

    #[test]
    fn default_regions_are_seventeen_valid_names() {
        assert_eq!(DEFAULT_REGIONS.len(), 17);
        assert!(DEFAULT_REGIONS.iter().all(|r| region(r).is_ok()));
        assert!(KNOWN_REGIONS.iter().all(|r| region(r).is_ok()));
    }

    #[test]
    fn the_help_names_every_format() {
        use clap::CommandFactory;
        let mut command = Cli::command();
        let help = command
            .find_subcommand_mut("report")
            .unwrap()
            .render_help()
            .to_string();
        for format in Format::all() {
            assert!(help.contains(format.name()), "{} missing", format.name());
        }
    }

    #[test]
    fn a_shard_is_k_of_n_or_auto() {
        assert_eq!("auto".parse::<ShardArg>(), Ok(ShardArg::Auto));
        assert_eq!(
            "2/4".parse::<ShardArg>(),
            Ok(ShardArg::Fixed(Shard { index: 2, count: 4 }))
        );
        assert!("5/4".parse::<ShardArg>().unwrap_err().contains("or auto"));
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
