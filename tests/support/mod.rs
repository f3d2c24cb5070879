//! Test harness: a moto server per test, seeded with a scenario, and the orgtrail binary pointed at
//! it through `AWS_ENDPOINT_URL`.
//!
//! The emulator's Python environment is installed on first use into `target/moto-venv` (or
//! `$ORGTRAIL_TEST_VENV`) from the pinned `tests/emulator/requirements.txt`.

#![allow(dead_code)] // each test binary uses its own part of the harness

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

/// The caller's own credentials; moto maps unknown keys to its default (management) account.
pub const CALLER_ACCESS_KEY: &str = "AKIAORGTRAILCALLER01";
pub const CALLER_SECRET_KEY: &str = "caller-secret-that-must-never-be-printed";

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The orgtrail binary, with no AWS configuration from the machine it runs on.
pub fn orgtrail() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgtrail"));
    for variable in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(variable);
    }
    // No ORGTRAIL_* setting, and no ./orgtrail.toml, from the machine the tests run on.
    for (variable, _) in std::env::vars_os() {
        if variable.to_string_lossy().starts_with("ORGTRAIL_") {
            command.env_remove(variable);
        }
    }
    command.current_dir(std::env::temp_dir());
    command
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = std::env::var_os("ORGTRAIL_TEST_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("target/moto-venv"));
        let python = venv.join("bin/python");
        let has_moto = |python: &Path| {
            Command::new(python)
                .args(["-c", "import moto.server, boto3, py_ocsf_models, openpyxl"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !has_moto(&python) {
            eprintln!("installing the emulator into {} ...", venv.display());
            run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
            run(Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(repo().join("tests/emulator/requirements.txt")));
            assert!(
                has_moto(&python),
                "moto did not install into {}",
                venv.display()
            );
        }
        python
    })
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

#[derive(Deserialize)]
struct Seeded {
    endpoint: String,
    accounts: HashMap<String, String>,
    units: HashMap<String, String>,
}

/// A running, seeded emulator; stopped when dropped.
pub struct Emulator {
    child: Child,
    pub endpoint: String,
    accounts: HashMap<String, String>,
    units: HashMap<String, String>,
    request_log: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Emulator {
    pub fn start(scenario: &str) -> Self {
        Self::start_with(scenario, &[])
    }

    /// With faults armed: `--throttle 0.3`, `--deny NAME:Action`, `--slow NAME:SECONDS`.
    pub fn start_with(scenario: &str, faults: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let request_log = dir.path().join("requests.jsonl");
        let mut child = Command::new(python())
            .arg(repo().join("tests/emulator/emulator.py"))
            .args(["--scenario", scenario, "--request-log"])
            .arg(&request_log)
            .args(faults)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let seeded: Seeded = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("emulator did not start ({e}): {line:?}"));
        Emulator {
            child,
            endpoint: seeded.endpoint,
            accounts: seeded.accounts,
            units: seeded.units,
            request_log,
            dir,
        }
    }

    pub fn account(&self, name: &str) -> &str {
        self.accounts
            .get(name)
            .unwrap_or_else(|| panic!("no account {name} in the scenario"))
    }

    pub fn account_names(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    pub fn name_of(&self, account_id: &str) -> &str {
        self.accounts
            .iter()
            .find(|(_, id)| *id == account_id)
            .map(|(name, _)| name.as_str())
            .unwrap_or_else(|| panic!("account {account_id} is not in the scenario"))
    }

    pub fn unit(&self, name: &str) -> &str {
        &self.units[name]
    }

    /// `orgtrail scan` against this emulator, writing into `out`.
    pub fn scan(&self, out: &Path, extra: &[&str]) -> Output {
        self.scan_command(out, extra).output().unwrap()
    }

    pub fn scan_command(&self, out: &Path, extra: &[&str]) -> Command {
        let mut command = orgtrail();
        command
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", CALLER_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", CALLER_SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .arg("scan")
            .arg("--out")
            .arg(out)
            .args(extra);
        command
    }

    /// Every credential the emulator issued through sts:AssumeRole (key id, secret, token).
    pub fn issued_credentials(&self) -> Vec<String> {
        let path = self.request_log.with_extension("jsonl.credentials");
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .flat_map(|line| serde_json::from_str::<Vec<String>>(line).unwrap())
            .collect()
    }

    /// Every call the emulator answered after seeding.
    pub fn requests(&self) -> Vec<Request> {
        std::fs::read_to_string(&self.request_log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Deserialize)]
pub struct Request {
    pub account: String,
    pub service: String,
    pub action: String,
    pub region: String,
    /// The error class injected instead of an answer, if any.
    pub fault: Option<String>,
    /// When the request arrived (seconds since the epoch).
    pub time: f64,
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `audit` entry of an account in report.json.
pub fn audit_state<'a>(report: &'a Value, account_id: &str) -> &'a Value {
    &report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == account_id)
        .unwrap_or_else(|| panic!("account {account_id} missing from report.json"))["audit"]
}

/// Run one of the test venv's validators (tests/emulator/validate_*.py) on files.
pub fn validate(validator: &str, files: &[PathBuf]) -> Output {
    Command::new(python())
        .arg(repo().join("tests/emulator").join(validator))
        .args(files)
        .output()
        .unwrap()
}

/// Run one of the test venv's readers (tests/emulator/read_*.py) on a file; its JSON output.
pub fn read_back(reader: &str, file: &Path) -> Value {
    let output = Command::new(python())
        .arg(repo().join("tests/emulator").join(reader))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{reader}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
