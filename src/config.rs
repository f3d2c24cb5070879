//! orgtrail.toml: scan and report options kept in a file, checked into a repository.
//!
//! Precedence is command line, then environment (`ORGTRAIL_*`), then the file, then defaults.
//! The file is turned into command-line arguments placed before the user's own (clap lets a
//! later occurrence override an earlier one), and a key is left out when its `ORGTRAIL_*`
//! variable is set, so the environment wins over the file as it does over the defaults.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde::Deserialize;
use toml::Spanned;

use crate::cli::Cli;

pub const DEFAULT_FILE: &str = "orgtrail.toml";

/// Every key the file may hold; an unknown key is an error (with the accepted ones listed).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    role_name: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    /// The name of an environment variable holding the external ID, so the file holds no secret.
    external_id_env: Option<Spanned<String>>,
    session_name: Option<Spanned<String>>,
    regions: Option<Spanned<Vec<String>>>,
    accounts: Option<Spanned<Vec<String>>>,
    exclude_accounts: Option<Spanned<Vec<String>>>,
    ou: Option<Spanned<Vec<String>>>,
    concurrency: Option<Spanned<u16>>,
    walk_width: Option<Spanned<u16>>,
    account_timeout: Option<Spanned<u64>>,
    max_attempts: Option<Spanned<u32>>,
    retry_mode: Option<Spanned<String>>,
    format: Option<Spanned<Vec<String>>>,
    framework: Option<Spanned<Vec<String>>>,
    /// May hold `{date}`, replaced by the run's date (YYYY-MM-DD, UTC).
    out: Option<Spanned<String>>,
    templates: Option<Spanned<String>>,
    baseline: Option<Spanned<String>>,
    /// Earlier runs' report directories, for report.html's trend.
    history: Option<Spanned<Vec<String>>>,
    waivers: Option<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    /// `K/N`, or `auto` in an AWS Batch array child.
    shard: Option<Spanned<String>>,
    /// The audit period: `YYYY-MM` or `START..END`.
    period: Option<Spanned<String>>,
    /// A minisign secret key; its password comes from ORGTRAIL_SIGN_PASSWORD, never the file.
    sign_key: Option<Spanned<String>>,
}

/// One option taken from the file: the argument it becomes, and where it was written.
#[derive(Debug, Clone)]
pub struct FromFile {
    pub key: &'static str,
    pub line: usize,
    pub arguments: Vec<String>,
}

#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub options: Vec<FromFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Malformed {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{}:{line}: external_id_env and external_id both set; keep one (external_id_env keeps the secret out of the file)", path.display())]
    TwoExternalIds { path: PathBuf, line: usize },
    #[error("{}:{line}: external_id_env names {variable}, which is not set in the environment", path.display())]
    VariableNotSet {
        path: PathBuf,
        line: usize,
        variable: String,
    },
}

/// Options `scan` takes that `report` and `merge` do not: those skip them.
const SCAN_ONLY: &[&str] = &[
    "role_name",
    "external_id",
    "session_name",
    "regions",
    "accounts",
    "exclude_accounts",
    "ou",
    "concurrency",
    "walk_width",
    "account_timeout",
    "max_attempts",
    "retry_mode",
    "shard",
    "period",
];

/// Read `path` (or ./orgtrail.toml when `path` is `None` and it exists) into the arguments it
/// stands for, for `subcommand`.
pub fn load(path: Option<&Path>, subcommand: &str) -> Result<Option<Loaded>, ConfigError> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
        None => return Ok(None),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(ConfigError::Unreadable { path, source }),
    };
    let file: ConfigFile = match toml::from_str(&text) {
        Ok(file) => file,
        Err(source) => return Err(ConfigError::Malformed { path, source }),
    };
    let mut options = file_options(&file, &text);
    if subcommand == "scan" {
        options.extend(external_id_from_environment(&file, &text, &path)?);
    } else {
        check_one_external_id(&file, &text, &path)?;
    }
    options.retain(|option| {
        let skipped = subcommand != "scan" && SCAN_ONLY.contains(&option.key);
        let variable = format!("ORGTRAIL_{}", option.key.to_uppercase());
        // The environment beats the file.
        !skipped && std::env::var_os(&variable).is_none()
    });
    Ok(Some(Loaded { path, options }))
}

/// The line of `text` a value's span starts on, 1-based.
fn line_of(text: &str, span: std::ops::Range<usize>) -> usize {
    text[..span.start].matches('\n').count() + 1
}

/// Every key the file sets, as the arguments it stands for, in the file's key order.
fn file_options(file: &ConfigFile, text: &str) -> Vec<FromFile> {
    let mut options = Vec::new();
    let mut add = |key: &'static str, span: std::ops::Range<usize>, arguments: Vec<String>| {
        options.push(FromFile {
            key,
            line: line_of(text, span),
            arguments,
        });
    };
    let flag = |key: &str| format!("--{}", key.replace('_', "-"));
    macro_rules! single {
        ($field:ident) => {
            if let Some(value) = &file.$field {
                add(
                    stringify!($field),
                    value.span(),
                    vec![flag(stringify!($field)), value.get_ref().to_string()],
                );
            }
        };
    }
    macro_rules! list {
        ($field:ident) => {
            if let Some(value) = &file.$field {
                add(
                    stringify!($field),
                    value.span(),
                    vec![flag(stringify!($field)), value.get_ref().join(",")],
                );
            }
        };
    }
    single!(role_name);
    single!(external_id);
    single!(session_name);
    list!(regions);
    list!(accounts);
    list!(exclude_accounts);
    list!(ou);
    single!(concurrency);
    single!(walk_width);
    single!(account_timeout);
    single!(max_attempts);
    single!(retry_mode);
    list!(format);
    list!(framework);
    single!(templates);
    single!(baseline);
    list!(history);
    single!(waivers);
    single!(fail_on);
    single!(shard);
    single!(period);
    single!(sign_key);
    if let Some(out) = &file.out {
        let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
        add(
            "out",
            out.span(),
            vec!["--out".into(), out.get_ref().replace("{date}", &date)],
        );
    }
    options
}

fn check_one_external_id(file: &ConfigFile, text: &str, path: &Path) -> Result<(), ConfigError> {
    match (&file.external_id_env, &file.external_id) {
        (Some(variable), Some(_)) => Err(ConfigError::TwoExternalIds {
            line: line_of(text, variable.span()),
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// `--external-id` from the variable `external_id_env` names; read for `scan` only, the one
/// command that assumes roles, so an unset variable cannot stop `report` or `merge`.
fn external_id_from_environment(
    file: &ConfigFile,
    text: &str,
    path: &Path,
) -> Result<Option<FromFile>, ConfigError> {
    check_one_external_id(file, text, path)?;
    let Some(variable) = &file.external_id_env else {
        return Ok(None);
    };
    let line = line_of(text, variable.span());
    let Ok(value) = std::env::var(variable.get_ref()) else {
        return Err(ConfigError::VariableNotSet {
            line,
            variable: variable.get_ref().clone(),
            path: path.to_path_buf(),
        });
    };
    Ok(Some(FromFile {
        key: "external_id",
        line,
        arguments: vec!["--external-id".into(), value],
    }))
}

const SUBCOMMANDS_WITH_OPTIONS: [&str; 3] = ["scan", "report", "merge"];

/// The command line with the configuration file's options placed before the user's own, so
/// that the user's win; and what came from the file, to blame it for a bad value. clap reads
/// `--config` (or ORGTRAIL_CONFIG) and the subcommand in a first, forgiving pass: the options
/// a file supplies (a required `--out`, say) are not on the command line yet.
pub fn with_configuration(
    arguments: Vec<String>,
) -> Result<(Vec<String>, Option<Loaded>), ConfigError> {
    let Ok(matches) = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&arguments)
    else {
        return Ok((arguments, None)); // --help or --version: the real parse prints them
    };
    let Some(subcommand) = matches
        .subcommand_name()
        .filter(|name| SUBCOMMANDS_WITH_OPTIONS.contains(name))
    else {
        return Ok((arguments, None));
    };
    let config_path = matches.get_one::<std::path::PathBuf>("config");
    let Some(mut loaded) = load(config_path.map(|p| p.as_path()), subcommand)? else {
        return Ok((arguments, None));
    };
    // The command line beats the file: an option given there is not taken from the file.
    loaded.options.retain(|option| {
        let flag = &option.arguments[0];
        !arguments
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    });
    // The subcommand's own word: the first that is neither a global flag nor --config's value.
    let mut position = 1;
    while arguments.get(position).is_some_and(|a| a != subcommand) {
        position += if arguments[position] == "--config" {
            2
        } else {
            1
        };
    }
    if position >= arguments.len() {
        return Ok((arguments, None));
    }
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
pub fn blame_configuration(
    error: &clap::Error,
    configuration: &Option<Loaded>,
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

/// The commented starter file `orgtrail init` writes.
pub const STARTER: &str = r#"# orgtrail configuration: every key is optional. The command line beats ORGTRAIL_* environment
# variables (ORGTRAIL_ROLE_NAME, ORGTRAIL_REGIONS, ...), which beat this file, which beats the
# defaults. orgtrail reads ./orgtrail.toml, or the file given with --config.

# The role assumed in each member account, and how.
role_name = "OrganizationAccountAccessRole"
# external_id_env = "ORGTRAIL_AUDIT_EXTERNAL_ID"   # the name of a variable holding the external ID
session_name = "orgtrail"

# What to audit (default: every account, the 17 default-enabled regions).
# regions = ["us-east-1", "eu-west-1"]
# ou = ["ou-ab12-cdef3456"]
# accounts = ["111122223333"]
# exclude_accounts = ["444455556666"]

# How hard to push.
concurrency = 16
walk_width = 12                # OUs listed at once while discovering accounts
account_timeout = 120          # seconds per account, retries included
max_attempts = 5               # per AWS call, the first included
retry_mode = "standard"        # or "adaptive"

# What to write, and where ({date} becomes the run's date, YYYY-MM-DD).
format = ["html", "csv", "md", "json"]   # also "ocsf", "asff", "xlsx", "sarif", "junit"
out = "reports/{date}"
# waivers = "waivers.toml"
# baseline = "reports/2026-10-01/report.json"
# history = ["reports/2026-08-01", "reports/2026-09-01"]   # earlier runs: report.html draws their trend
# templates = "branding/"
# framework = ["cis-aws-foundations-1.5"]   # the reports open on these frameworks' controls
# fail_on = "high"             # exit 4 when a finding this severe fails (with baseline: newly)
# sign_key = "orgtrail.key"    # sign manifest.json (password in ORGTRAIL_SIGN_PASSWORD)
# shard = "auto"               # in an AWS Batch array job: this child's share of the accounts
"#;

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn arguments(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn report_and_merge_skip_an_external_id_variable_that_is_not_set() {
        let (_dir, path) = file(
            "external_id_env = \"ORGTRAIL_UNIT_TEST_NEVER_SET\"\nformat = [\"md\"]\nrole_name = \"Audit\"\n",
        );
        for subcommand in ["report", "merge"] {
            let loaded = load(Some(&path), subcommand).unwrap().unwrap();
            let keys: Vec<&str> = loaded.options.iter().map(|o| o.key).collect();
            assert_eq!(keys, ["format"], "{subcommand}");
        }
        let error = load(Some(&path), "scan").unwrap_err().to_string();
        assert!(
            error.contains(
                ":1: external_id_env names ORGTRAIL_UNIT_TEST_NEVER_SET, which is not set"
            ),
            "{error}"
        );
    }

    #[test]
    fn the_file_goes_after_the_subcommand_and_the_command_line_wins() {
        let (_dir, path) = file("format = [\"md\"]\nout = \"from-file\"\n");
        let path = path.to_str().unwrap();
        let given = arguments(&[
            "orgtrail",
            "-v",
            "--config",
            path,
            "report",
            "--inventory",
            "i.json",
            "--out",
            "mine",
        ]);
        let (resolved, loaded) = with_configuration(given).unwrap();
        assert_eq!(
            resolved,
            arguments(&[
                "orgtrail",
                "-v",
                "--config",
                path,
                "report",
                "--format",
                "md",
                "--inventory",
                "i.json",
                "--out",
                "mine",
            ])
        );
        assert_eq!(
            loaded.unwrap().options.len(),
            1,
            "--out from the file dropped"
        );
    }

    #[test]
    fn commands_without_options_are_left_alone() {
        let (_dir, path) = file("format = [\"md\"]\n");
        let given = arguments(&["orgtrail", "--config", path.to_str().unwrap(), "rules"]);
        let (resolved, loaded) = with_configuration(given.clone()).unwrap();
        assert_eq!((resolved, loaded.is_none()), (given, true));
    }

    #[test]
    fn a_bad_value_from_the_file_is_blamed_on_its_line() {
        let (_dir, path) = file("\nconcurrency = 0\n");
        let given = arguments(&[
            "orgtrail",
            "--config",
            path.to_str().unwrap(),
            "scan",
            "--out",
            "x",
        ]);
        let (resolved, loaded) = with_configuration(given).unwrap();
        let error = Cli::try_parse_from(&resolved).unwrap_err();
        let blamed = blame_configuration(&error, &loaded, &resolved).unwrap();
        assert!(
            blamed.contains("audit.toml:2: concurrency = 0:"),
            "{blamed}"
        );
    }

    #[test]
    fn the_starter_file_loads_for_every_command_with_options() {
        let (_dir, path) = file(STARTER);
        for subcommand in SUBCOMMANDS_WITH_OPTIONS {
            let loaded = load(Some(&path), subcommand).unwrap().unwrap();
            assert!(
                loaded.options.iter().any(|o| o.key == "format"),
                "{subcommand}"
            );
        }
    }
}
