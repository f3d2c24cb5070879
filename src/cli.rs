//! Argument definitions only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use orgtrail::aws::RetryMode;
use orgtrail::discover::DEFAULT_WALK_WIDTH;
use orgtrail::findings::Severity;
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
    /// Check the files of a report directory against its manifest.json.
    Verify(VerifyArgs),
    /// What changed between two runs: new failures, fixed findings, new and removed accounts.
    Diff(DiffArgs),
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
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard output directories (holding inventory.json) or inventory files, one per shard.
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
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
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
    /// Report formats, comma-separated.
    #[arg(
        long,
        action = clap::ArgAction::Set,
        value_delimiter = ',',
        default_value = "html,csv,md,json",
        value_name = "FORMAT,...",
        env = "ORGTRAIL_FORMAT"
    )]
    pub format: Vec<Format>,
    /// Directory the files are written into (created if missing).
    #[arg(long, value_name = "DIR", env = "ORGTRAIL_OUT")]
    pub out: PathBuf,
    /// A directory of templates replacing the embedded ones of the same names
    /// (report.html.tera, account.html.tera, report.md.tera).
    #[arg(long, value_name = "DIR", env = "ORGTRAIL_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Last run's report.json: the reports then show what changed since.
    #[arg(long, value_name = "REPORT", env = "ORGTRAIL_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Waivers (TOML): accepted risks that turn matching FAIL/ERROR findings into MUTED.
    #[arg(long, value_name = "FILE", env = "ORGTRAIL_WAIVERS")]
    pub waivers: Option<PathBuf>,
    /// Exit with code 4 when a finding at or above this severity fails.
    #[arg(long, value_enum, value_name = "SEVERITY", env = "ORGTRAIL_FAIL_ON")]
    pub fail_on: Option<FailOn>,
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
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
