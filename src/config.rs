//! orgtrail.toml: scan and report options kept in a file, checked into a repository.
//!
//! Precedence is command line, then environment (`ORGTRAIL_*`), then the file, then defaults.
//! The file is turned into command-line arguments placed before the user's own (clap lets a
//! later occurrence override an earlier one), and a key is left out when its `ORGTRAIL_*`
//! variable is set, so the environment wins over the file as it does over the defaults.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

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
    let line = |span: std::ops::Range<usize>| text[..span.start].matches('\n').count() + 1;
    let mut options = Vec::new();
    let mut add = |key: &'static str, span: std::ops::Range<usize>, arguments: Vec<String>| {
        if subcommand != "scan" && SCAN_ONLY.contains(&key) {
            return;
        }
        let variable = format!("ORGTRAIL_{}", key.to_uppercase());
        if std::env::var_os(&variable).is_some() {
            return; // the environment beats the file
        }
        options.push(FromFile {
            key,
            line: line(span),
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
    if let Some(variable) = &file.external_id_env {
        if file.external_id.is_some() {
            return Err(ConfigError::TwoExternalIds {
                line: line(variable.span()),
                path,
            });
        }
        let Ok(value) = std::env::var(variable.get_ref()) else {
            return Err(ConfigError::VariableNotSet {
                line: line(variable.span()),
                variable: variable.get_ref().clone(),
                path,
            });
        };
        add(
            "external_id",
            variable.span(),
            vec!["--external-id".into(), value],
        );
    }
    Ok(Some(Loaded { path, options }))
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
