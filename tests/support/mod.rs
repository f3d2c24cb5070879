//! Test harness: a moto server per test, seeded with a scenario, and the orgtrail binary pointed at
//! it through `AWS_ENDPOINT_URL`.
//!
//! The emulator's Python environment is installed on first use into `target/moto-venv` (or
//! `$ORGTRAIL_TEST_VENV`) from the pinned `tests/emulator/requirements.txt`, by
//! `tests/emulator/install.sh`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// The caller's own credentials; moto maps unknown keys to its default (management) account.
pub const CALLER_ACCESS_KEY: &str = "AKIAORGTRAILCALLER01";
/// Base64 text like a real secret key: its `/` and `+` are what escaping changes.
pub const CALLER_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYcallerSECRET";

/// How long seeding may take before the emulator counts as hung: the dozen-account scenario
/// takes seconds; this allows for a machine busy with other tests, and still fails a hang.
const EMULATOR_START_LIMIT: Duration = Duration::from_secs(300);

/// The seed controls' rules (CIS 3.1, CIS 3.4, CT-005, CT-010), as report.json names them.
pub const SEED_RULES: [&str; 4] = [
    "cloudtrail-multi-region-management-events",
    "cloudtrail-cloudwatch-logs",
    "cloudtrail-global-service-events",
    "cloudtrail-management-events",
];

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The demo organization's inventory, as the README's first `orgtrail report` uses it.
pub fn demo_inventory() -> PathBuf {
    repo().join("examples/demo-inventory.json")
}

/// The README's example waivers, for the demo inventory.
pub fn demo_waivers() -> PathBuf {
    repo().join("examples/waivers.toml")
}

/// `orgtrail report --inventory INVENTORY --out OUT EXTRA...`, run to completion.
pub fn report(inventory: &Path, out: &Path, extra: &[&str]) -> Output {
    orgtrail()
        .arg("report")
        .arg("--inventory")
        .arg(inventory)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
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
        // Everything requirements.txt brings: a venv from before a tool was added is updated.
        let has_moto = |python: &Path| {
            Command::new(python)
                .args([
                    "-c",
                    "import moto.server, boto3, py_ocsf_models, openpyxl, junitparser, cfnlint",
                ])
                .output()
                .is_ok_and(|o| o.status.success())
                && python.with_file_name("hadolint").is_file()
        };
        if !has_moto(&python) {
            eprintln!("installing the emulator into {} ...", venv.display());
            run(Command::new("bash")
                .arg(repo().join("tests/emulator/install.sh"))
                .arg(&venv));
            assert!(
                has_moto(&python),
                "moto did not install into {}",
                venv.display()
            );
        }
        python
    })
}

/// The socket of the test run's one zygote (tests/emulator/zygote.py), which forks every emulator
/// from a process that has imported moto once: about a second of CPU less per emulator, and the
/// suite starts dozens. It lives as long as the test binary, which holds its stdin: when the
/// binary exits, however it exits, the zygote sees the end of its input and stops.
fn zygote() -> &'static Path {
    static ZYGOTE: OnceLock<(Child, PathBuf)> = OnceLock::new();
    &ZYGOTE
        .get_or_init(|| {
            let mut child = Command::new(python())
                .arg(repo().join("tests/emulator/zygote.py"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start the emulators' zygote");
            let said = BufReader::new(child.stdout.take().unwrap());
            match read_line_within(said, EMULATOR_START_LIMIT) {
                Some((_, line)) if !line.trim().is_empty() => (child, PathBuf::from(line.trim())),
                _ => {
                    let _ = child.kill();
                    let exit = child.wait().ok();
                    panic!("the emulators' zygote did not start (exit {exit:?})")
                }
            }
        })
        .1
}

/// A program the test venv installs (`cfn-lint`, `hadolint`), by path.
pub fn venv_program(name: &str) -> PathBuf {
    python().with_file_name(name)
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
    /// Access keys of identities the scenario made (a delegated administrator's user...).
    #[serde(default)]
    credentials: HashMap<String, HashMap<String, String>>,
}

/// A running, seeded emulator; stopped when dropped.
pub struct Emulator {
    child: Child,
    said: BufReader<ChildStdout>,
    pub endpoint: String,
    accounts: HashMap<String, String>,
    units: HashMap<String, String>,
    credentials: HashMap<String, HashMap<String, String>>,
    request_log: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Emulator {
    pub fn start(scenario: &str) -> Self {
        Self::start_with(scenario, &[])
    }

    /// With faults armed: `--throttle 0.3`, `--deny NAME:Action`, `--slow NAME:SECONDS`, ...
    /// (tests/emulator/emulator.py --help).
    pub fn start_with(scenario: &str, faults: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let request_log = dir.path().join("requests.jsonl");
        let mut child = Command::new(python())
            .arg(repo().join("tests/emulator/fork.py"))
            .arg(zygote())
            .args(["--scenario", scenario, "--request-log"])
            .arg(&request_log)
            .args(faults)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the emulator");
        let mut said = BufReader::new(child.stdout.take().unwrap());
        let line = match read_line_within(said, EMULATOR_START_LIMIT) {
            Some((reader, line)) => {
                said = reader;
                line
            }
            None => {
                let _ = child.kill();
                panic!(
                    "the emulator did not seed {scenario} within {}s",
                    EMULATOR_START_LIMIT.as_secs()
                )
            }
        };
        let seeded: Seeded = serde_json::from_str(&line).unwrap_or_else(|e| {
            let exit = child.try_wait().ok().flatten();
            panic!("emulator did not start ({e}, exit {exit:?}): {line:?}")
        });
        Emulator {
            child,
            said,
            endpoint: seeded.endpoint,
            accounts: seeded.accounts,
            units: seeded.units,
            credentials: seeded.credentials,
            request_log,
            dir,
        }
    }

    /// Arm more faults from now on, with the same flags as [`Emulator::start_with`].
    pub fn arm(&mut self, faults: &[&str]) {
        let stdin = self.child.stdin.as_mut().expect("the emulator's stdin");
        writeln!(stdin, "{}", serde_json::to_string(faults).unwrap()).unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.said.read_line(&mut line).unwrap();
        assert!(
            line.contains("armed"),
            "the emulator did not arm {faults:?}: {line:?}"
        );
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

    /// `orgtrail scan` run with the access keys the scenario made for `identity`, not the
    /// management account's.
    pub fn scan_as(&self, identity: &str, out: &Path, extra: &[&str]) -> Output {
        let keys = self
            .credentials
            .get(identity)
            .unwrap_or_else(|| panic!("no credentials for {identity} in the scenario"));
        self.scan_command(out, extra)
            .env("AWS_ACCESS_KEY_ID", &keys["AccessKeyId"])
            .env("AWS_SECRET_ACCESS_KEY", &keys["SecretAccessKey"])
            .output()
            .unwrap()
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

/// One line from `reader`, or None when none came within `limit`.
fn read_line_within<R: BufRead + Send + 'static>(
    mut reader: R,
    limit: Duration,
) -> Option<(R, String)> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = send.send((reader, line));
    });
    receive.recv_timeout(limit).ok()
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
    /// The error code answered instead, or "connection closed without an answer".
    pub fault: Option<String>,
    /// "throttling", "server-error", "dropped" or "denied".
    pub fault_kind: Option<String>,
    /// When the request arrived (seconds since the epoch).
    pub time: f64,
    /// For an Organizations tree listing: how many the emulator held unanswered when it arrived,
    /// itself included (counted until each answer left, after any --latency).
    #[serde(default)]
    pub listings_in_flight: Option<usize>,
    /// For a LookupEvents: its one lookup attribute, "Key=Value".
    #[serde(default)]
    pub lookup_attribute: Option<String>,
}

/// What a run in `dir` decided: its accounts, and each finding's account, rule, status and
/// evidence, sorted (timings aside), so two runs that must agree can be compared.
pub fn decided(dir: &Path) -> (Value, Vec<(String, String, String, String)>) {
    let report = read_json(&dir.join("report.json"));
    let mut findings: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap().to_string();
            (
                text(&f["account_id"]),
                text(&f["rule_id"]),
                text(&f["status"]),
                text(&f["evidence"]["summary"]),
            )
        })
        .collect();
    findings.sort();
    (report["accounts"].clone(), findings)
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

/// Whether `text` says `phrase`, where a phrase starting with a number must not be the tail of a
/// longer one: "12 retries" is not said by "112 retries".
pub fn says(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        !text[..at]
            .chars()
            .next_back()
            .is_some_and(|before| before.is_ascii_digit())
    })
}

/// The forms a secret takes wherever it could be written: raw, HTML-escaped (Tera escapes `/`
/// as `&#x2F;`), JSON-escaped (`\/`, `\u002b`) and URL-encoded; and the runs of its characters
/// between those two, which any escaping leaves intact.
pub fn written_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    for (slash, plus) in [
        ("&#x2F;", "+"),
        ("&#x2F;", "&#x2B;"),
        ("&#47;", "&#43;"),
        ("\\/", "+"),
        ("\\/", "\\u002b"),
        ("\\u002f", "\\u002b"),
        ("\\u002F", "\\u002B"),
        ("%2F", "%2B"),
        ("%2f", "%2b"),
    ] {
        forms.push(secret.replace('/', slash).replace('+', plus));
    }
    // Base64 runs of 12 characters and more do not turn up in a report by chance.
    forms.extend(
        secret
            .split(['/', '+', '='])
            .filter(|run| run.len() >= 12)
            .map(str::to_string),
    );
    forms.sort();
    forms.dedup();
    forms
}

/// The password the tests' minisign keys are made with (`ORGTRAIL_SIGN_PASSWORD`).
pub const SIGN_PASSWORD: &str = "correct horse battery staple";

/// A minisign key pair made with `orgtrail keygen` in `dir`: (public key, secret key).
pub fn keygen(dir: &Path) -> (PathBuf, PathBuf) {
    let (public, secret) = (dir.join("audit.pub"), dir.join("audit.key"));
    let output = orgtrail()
        .env("ORGTRAIL_SIGN_PASSWORD", SIGN_PASSWORD)
        .arg("keygen")
        .arg("--public-key")
        .arg(&public)
        .arg("--secret-key")
        .arg(&secret)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    (public, secret)
}

/// Every file under `dir`, at any depth, by its path relative to `dir`, with its bytes.
pub fn files_under(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Run a helper of the test venv (tests/emulator/*.py) with arguments; its output.
pub fn run_python(script: &str, args: &[&str]) -> Output {
    Command::new(python())
        .arg(repo().join("tests/emulator").join(script))
        .args(args)
        .output()
        .unwrap()
}

/// The demo inventory cut into the two shards `scan --shard 1/2` and `--shard 2/2` would have
/// written (`dir/shard-1/inventory.json`, `dir/shard-2/...`), the second claimed by
/// `second_organization`; the two shard directories.
pub fn demo_shards(dir: &Path, second_organization: &str) -> [PathBuf; 2] {
    let demo: Value = serde_json::from_slice(&std::fs::read(demo_inventory()).unwrap()).unwrap();
    [1u64, 2].map(|index| {
        let mut shard = demo.clone();
        shard["shard"] = serde_json::json!({"index": index, "count": 2});
        // Shard K of N holds the accounts whose id modulo N is K - 1 (model.rs, Shard).
        shard["accounts"].as_array_mut().unwrap().retain(|a| {
            a["account"]["id"].as_str().unwrap().parse::<u64>().unwrap() % 2 == index - 1
        });
        if index == 2 {
            shard["organization"]["id"] = second_organization.into();
        }
        let out = dir.join(format!("shard-{index}"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join("inventory.json"),
            serde_json::to_vec(&shard).unwrap(),
        )
        .unwrap();
        out
    })
}

/// Whether these tests run under CI, where a missing consumer tool fails its test instead of
/// being skipped: `CI` set to anything but empty, `false` or `0` (`CI=true`, GitHub's and
/// GitLab's; `CI=1`, others').
pub fn under_ci() -> bool {
    ci_value_means_ci(std::env::var("CI").ok().as_deref())
}

pub fn ci_value_means_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0"
    })
}
