//! Nothing lost, nothing leaked: orgtrail under the faults real organizations produce, injected
//! into the emulator (throttling, denials, slowness) or sent to the process (interrupts).

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    audit_state, read_json, says, stderr, Emulator, Request, CALLER_ACCESS_KEY, CALLER_SECRET_KEY,
};
use serde_json::{json, Value};

/// Each finding's status, by account name and rule.
fn verdicts(emulator: &Emulator, report: &Value) -> BTreeMap<(String, String), String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = emulator
                .name_of(f["account_id"].as_str().unwrap())
                .to_string();
            (
                (name, f["rule_id"].as_str().unwrap().to_string()),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Everything the reports judged: every account's audit state, every finding with its evidence
/// (summary, the trails examined, warnings), the summary and the coverage matrix. Evidence names
/// the time each account was collected, which two runs cannot share: that time alone is masked.
fn judgement(report: &Value) -> Value {
    without_collection_times(json!({
        "accounts": report["accounts"],
        "findings": report["findings"],
        "summary": report["summary"],
        "coverage": report["coverage"],
    }))
}

fn without_collection_times(value: Value) -> Value {
    const MARK: &str = "this account was collected (";
    match value {
        Value::String(text) => {
            let mut masked = String::new();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(MARK) {
                masked.push_str(&rest[..at + MARK.len()]);
                rest = &rest[at + MARK.len()..];
                rest = rest.find(')').map_or("", |end| &rest[end..]);
                masked.push_str("<time>");
            }
            masked.push_str(rest);
            Value::String(masked)
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(without_collection_times).collect())
        }
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .filter(|(key, _)| key != "collected_at")
                .map(|(key, value)| (key, without_collection_times(value)))
                .collect(),
        ),
        other => other,
    }
}

const SERVICES: [&str; 5] = ["organizations", "sts", "cloudtrail", "s3", "kms"];

#[test]
fn a_storm_of_faults_on_every_service_at_the_default_retry_settings_changes_no_judgement() {
    let mut emulator = Emulator::start("dozen");
    let calm_out = emulator.dir.path().join("calm");
    // One audit period for both scans: the default ends at each scan's own start.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let period = format!("{}..{yesterday}", yesterday - chrono::Duration::days(29));
    let output = emulator.scan(
        &calm_out,
        &["--external-id", "orgtrail-test", "--period", &period],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let calm = read_json(&calm_out.join("report.json"));

    // Three calls in ten fail, on every service: throttled in the service's own words (S3's 503
    // SlowDown, KMS's ThrottlingException, ...), answered with a 500, or dropped unanswered; the
    // first call to each service meets all three in turn. No call fails more than four times in
    // a row, which the default five attempts must ride out (the emulator knows a call's retries
    // by the SDK's invocation id). A LookupEvents may also meet CloudTrail's two lookups a second
    // and fail a fifth time: the history asks such a call again (collect/history.rs).
    emulator.arm(&[
        "--throttle",
        "0.2",
        "--server-errors",
        "0.05",
        "--drops",
        "0.05",
        "--faults-in-a-row",
        "4",
        "--each-fault-first",
    ]);
    let calm_requests = emulator.requests().len();
    let out = emulator.dir.path().join("stormy");
    // No --max-attempts, no --retry-mode: the defaults.
    let output = emulator.scan(
        &out,
        &["--external-id", "orgtrail-test", "--period", &period],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    let faults: Vec<Request> = emulator
        .requests()
        .into_iter()
        .skip(calm_requests)
        .filter(|r| r.fault_kind.is_some())
        .collect();
    for service in SERVICES {
        for kind in ["throttling", "server-error", "dropped"] {
            assert!(
                faults
                    .iter()
                    .any(|r| r.service == service && r.fault_kind.as_deref() == Some(kind)),
                "no {kind} fault on {service}"
            );
        }
    }
    let throttle_codes = |service: &str| -> Vec<&str> {
        let mut codes: Vec<&str> = faults
            .iter()
            .filter(|r| r.service == service && r.fault_kind.as_deref() == Some("throttling"))
            .map(|r| r.fault.as_deref().unwrap())
            .collect();
        codes.dedup();
        codes
    };
    assert_eq!(throttle_codes("s3"), ["SlowDown"]);
    assert_eq!(throttle_codes("kms"), ["ThrottlingException"]);

    let report = read_json(&out.join("report.json"));
    assert_eq!(
        judgement(&report),
        judgement(&calm),
        "the storm changed what the reports say"
    );

    // Retries are counted whatever caused them: every attempt beyond one per call, as the
    // emulator saw them. Each fault caused one; a retry the emulator caused by itself (a 500 of
    // moto's own) is counted too, and does not break this.
    let attempts = emulator.requests().len() - calm_requests;
    let calls = report["collection"]["api_calls"].as_u64().unwrap() as usize;
    let retries = report["collection"]["retries"].as_u64().unwrap() as usize;
    assert_eq!(retries, attempts - calls, "retries counted");
    assert!(
        retries >= faults.len(),
        "{retries} retries, {} faults",
        faults.len()
    );
    // Throttling answers come from the storm alone: their retries are counted exactly.
    let throttled = faults
        .iter()
        .filter(|r| r.fault_kind.as_deref() == Some("throttling"))
        .count();
    assert_eq!(report["collection"]["throttling_retries"], throttled);
    let message = stderr(&output);
    let summary = format!("{retries} retries ({throttled} after throttling)");
    assert!(
        says(&message, &summary),
        "expected {summary:?} in {message}"
    );
}

/// Every account but `faulted` as a calm scan leaves it: audited, but for the one whose role is
/// missing (an error) and the closed one (not audited).
fn assert_the_others_audited(emulator: &Emulator, report: &Value, faulted: &str) {
    for name in emulator.account_names() {
        let expected = match name {
            _ if name == faulted => continue,
            "role-missing" => "error",
            "closed" => "skipped",
            _ => "audited",
        };
        let state = &audit_state(report, emulator.account(name))["state"];
        assert_eq!(state, expected, "{name}");
    }
}

#[test]
fn throttling_past_the_retry_limit_is_an_error_naming_it_and_the_run_goes_on() {
    let emulator = Emulator::start_with("dozen", &["--throttle-always", "compliant:ListTrails"]);
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(
        &out,
        &["--external-id", "orgtrail-test", "--max-attempts", "2"],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let throttled = audit_state(&report, emulator.account("compliant"));
    assert_eq!(throttled["state"], "error");
    let error = throttled["error"].as_str().unwrap();
    assert!(
        error.contains("cloudtrail:ListTrails throttled past the retry limit"),
        "{error}"
    );
    let attempts = emulator
        .requests()
        .iter()
        .filter(|r| r.action == "ListTrails" && r.account == emulator.account("compliant"))
        .count();
    assert_eq!(attempts, 2, "--max-attempts bounds the retries");
    assert_the_others_audited(&emulator, &report, "compliant");
}

#[test]
fn a_denied_trail_call_is_an_error_on_what_depends_on_it_and_the_others_are_audited() {
    // One trail's GetEventSelectors denied: the account is still audited; the rules that need its
    // selectors are ERROR naming the trail and the call, the others are decided (issue 14).
    let emulator = Emulator::start_with("dozen", &["--deny", "compliant:GetEventSelectors"]);
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--external-id", "orgtrail-test"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        audit_state(&report, emulator.account("compliant"))["state"],
        "audited"
    );
    let verdicts = verdicts(&emulator, &report);
    let compliant = |rule: &str| verdicts[&("compliant".to_string(), rule.to_string())].as_str();
    assert_eq!(
        compliant("cloudtrail-multi-region-management-events"),
        "ERROR"
    );
    assert_eq!(compliant("cloudtrail-log-file-validation"), "PASS");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["account_id"] == emulator.account("compliant")
                && f["rule_id"] == "cloudtrail-multi-region-management-events"
        })
        .unwrap();
    let summary = finding["evidence"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("cloudtrail:GetEventSelectors"),
        "{summary}"
    );
    assert!(
        summary.contains("access denied (AccessDeniedException)"),
        "{summary}"
    );
    assert_the_others_audited(&emulator, &report, "compliant");
}

#[test]
fn a_caller_denied_list_accounts_is_told_where_to_run_from_or_to_name_accounts() {
    let emulator = Emulator::start_with("dozen", &["--deny", "management:ListAccountsForParent"]);
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("organizations:ListAccountsForParent access denied"),
        "{message}"
    );
    assert!(
        message.contains("management account or of a delegated administrator"),
        "{message}"
    );
    assert!(message.contains("--accounts"), "{message}");
    assert!(!out.join("report.json").exists());

    // Naming the accounts gets them audited without Organizations.
    let output = emulator.scan(&out, &["--accounts", emulator.account("compliant")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        audit_state(&report, emulator.account("compliant"))["state"],
        "audited"
    );
}

#[test]
fn a_caller_outside_any_organization_gets_a_clear_message() {
    let emulator = Emulator::start("no-organization");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("not in an AWS Organization"), "{message}");
    assert!(
        message.contains("AWSOrganizationsNotInUseException"),
        "{message}"
    );
    assert!(
        message.contains("management account or a delegated administrator"),
        "{message}"
    );
    assert!(message.contains("--accounts"), "{message}");
    assert!(!out.join("report.json").exists());

    // Naming the account gets it audited, by id alone: every rule judged on what it holds.
    let output = emulator.scan(&out, &["--accounts", "123456789012"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let accounts = report["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["id"], "123456789012");
    assert_eq!(accounts[0]["audit"]["state"], "audited");
    let findings = report["findings"].as_array().unwrap();
    let rules = support::orgtrail()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&rules.stdout).unwrap();
    assert_eq!(
        findings.len(),
        rules.as_array().unwrap().len(),
        "one per rule"
    );
    // The account has no trail at all: nothing can pass.
    for finding in findings {
        assert_eq!(finding["account_id"], "123456789012");
        assert_eq!(finding["status"], "FAIL", "{finding}");
    }
}

#[test]
fn a_hung_account_becomes_a_timeout_error_and_the_run_finishes() {
    // The hung account's calls answer after an hour. No wall-clock premise about the others: what
    // each healthy account is owed follows from what the emulator's request log shows of it.
    const BUDGET: f64 = 10.0;
    let emulator = Emulator::start_with("dozen", &["--slow", "not-logging:3600"]);
    let out = emulator.dir.path().join("out");
    let scope = ["not-logging", "compliant", "stale-cloudwatch"]
        .map(|name| emulator.account(name))
        .join(",");
    let output = emulator.scan(
        &out,
        &[
            "--accounts",
            &scope,
            "--external-id",
            "orgtrail-test",
            "--account-timeout",
            "10",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let hung = audit_state(&report, emulator.account("not-logging"));
    assert_eq!(hung["state"], "error");
    let error = hung["error"].as_str().unwrap();
    assert!(error.contains("timed out after 10s"), "{error}");

    let requests = emulator.requests();
    for healthy in ["compliant", "stale-cloudwatch"] {
        let id = emulator.account(healthy);
        let times: Vec<f64> = requests
            .iter()
            .filter(|r| r.account == id)
            .map(|r| r.time)
            .collect();
        let first = times.iter().copied().fold(f64::INFINITY, f64::min);
        let last = times.iter().copied().fold(0.0, f64::max);
        let state = audit_state(&report, id);
        // Its calls arrived within half the budget (none hangs for it; the other half covers
        // what orgtrail does before its first call and after its last): it must have been
        // audited, whatever the hung account did meanwhile.
        if last - first < BUDGET / 2.0 {
            assert_eq!(state["state"], "audited", "{healthy}: {state}");
            continue;
        }
        // The machine was so loaded that its own calls took that long: then it may have run out
        // of budget too, and if it did, it is the same timeout error, never anything else.
        eprintln!(
            "{healthy}: its calls spanned {:.1}s of the {BUDGET}s budget on this machine",
            last - first
        );
        if state["state"] != "audited" {
            assert!(
                state["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("timed out after 10s")),
                "{healthy}: {state}"
            );
        }
    }
}

/// Every file in `out` (temporary ones included: they start with a dot), with its bytes.
fn snapshot(out: &Path) -> BTreeMap<String, Vec<u8>> {
    support::files_under(out)
}

/// Send `signal` to a running orgtrail and wait for it to exit, a minute at most.
fn signal_and_wait(mut child: Child, signal: &str) -> ExitStatus {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("orgtrail was still running a minute after {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A report.md template that writes for hours: the run is still writing, its files staged
/// beside the reports, whenever the signal comes.
fn endless_template(dir: &Path) -> PathBuf {
    let templates = dir.join("endless-templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("report.md.tera"),
        "{% for a in range(end=100000) %}{% for b in range(end=100000) %}.{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    templates
}

/// Whether `name` is being written in the run's staging directory in `out` (report/staging.rs).
fn staging(out: &Path, name: &str) -> bool {
    std::fs::read_dir(out).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(".orgtrail-")
                && std::fs::metadata(entry.path().join(name)).is_ok_and(|m| m.len() > 0)
        })
    })
}

fn assert_unchanged(out: &Path, before: &BTreeMap<String, Vec<u8>>, when: &str) {
    let after = snapshot(out);
    let left_over: Vec<&String> = after.keys().filter(|n| !before.contains_key(*n)).collect();
    assert!(left_over.is_empty(), "{when} left {left_over:?} in --out");
    assert!(after == *before, "{when} changed the previous reports");
}

#[test]
fn interrupting_or_killing_a_run_while_it_collects_or_writes_leaves_out_as_it_was() {
    let emulator = Emulator::start_with("dozen", &["--slow", "not-logging:3600"]);
    let hung = emulator.account("not-logging");
    let out = emulator.dir.path().join("out");
    // Last month's reports, in place (the hung account left out).
    let output = emulator.scan(
        &out,
        &["--external-id", "orgtrail-test", "--exclude-accounts", hung],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let before = snapshot(&out);
    let pages = before.keys().filter(|n| n.starts_with("accounts/")).count();
    assert!(pages > 0, "{:?}", before.keys());
    assert_eq!(
        before.len() - pages,
        7,
        "five reports, accounts.html and the manifest"
    );

    let spawn = |command: &mut Command| -> Child {
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let cloudtrail_calls_to_hung = || {
        emulator
            .requests()
            .iter()
            .filter(|r| r.account == hung && r.service == "cloudtrail")
            .count()
    };
    let endless = endless_template(emulator.dir.path());
    let endless = endless.to_str().unwrap();
    for signal in ["-INT", "-TERM"] {
        // While collecting: the scan waits on the hung account.
        let reached = cloudtrail_calls_to_hung();
        let child = spawn(&mut emulator.scan_command(&out, &["--external-id", "orgtrail-test"]));
        wait_until("the scan reaching the hung account", || {
            cloudtrail_calls_to_hung() > reached
        });
        let status = signal_and_wait(child, signal);
        assert_eq!(status.code(), Some(130), "{signal} while collecting");
        assert_unchanged(&out, &before, &format!("{signal} while collecting"));

        // While writing: every account collected, report.md being rendered.
        let child = spawn(&mut emulator.scan_command(
            &out,
            &[
                "--external-id",
                "orgtrail-test",
                "--exclude-accounts",
                hung,
                "--templates",
                endless,
            ],
        ));
        wait_until("the scan writing its reports", || {
            staging(&out, "report.md")
        });
        let status = signal_and_wait(child, signal);
        assert_eq!(status.code(), Some(130), "{signal} while writing");
        assert_unchanged(&out, &before, &format!("{signal} while writing"));

        // `report` too, which writes the same way without collecting first.
        let child = spawn(
            support::orgtrail()
                .arg("report")
                .arg("--inventory")
                .arg(out.join("inventory.json"))
                .args(["--templates", endless, "--out"])
                .arg(&out),
        );
        wait_until("report writing its reports", || staging(&out, "report.md"));
        let status = signal_and_wait(child, signal);
        assert_eq!(status.code(), Some(130), "{signal} while `report` wrote");
        assert_unchanged(&out, &before, &format!("{signal} while `report` wrote"));
    }
}

/// A templates directory whose `file` renders for hours.
fn endless(dir: &Path, file: &str) -> PathBuf {
    let templates = dir.join(format!("endless-{file}"));
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join(file),
        "{% for a in range(end=100000) %}{% for b in range(end=100000) %}.{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    templates
}

#[test]
fn interrupting_trend_or_merge_exits_130_and_leaves_out_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let shards = support::demo_shards(dir.path(), "o-acme0example");
    let merged = dir.path().join("merged");
    let output = support::orgtrail()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    // The demo has accounts that could not be audited: exit 3, the reports written.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let trend_out = dir.path().join("trend");
    let output = support::orgtrail()
        .args(["trend", "--out"])
        .arg(&trend_out)
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (merged_before, trend_before) = (snapshot(&merged), snapshot(&trend_out));

    let endless_trend = endless(dir.path(), "trend.html.tera");
    let endless_markdown = endless(dir.path(), "report.md.tera");
    for signal in ["-INT", "-TERM"] {
        let child = support::orgtrail()
            .args(["trend", "--out"])
            .arg(&trend_out)
            .arg(&merged)
            .arg("--templates")
            .arg(&endless_trend)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until("trend writing trend.html", || {
            staging(&trend_out, "trend.html")
        });
        let status = signal_and_wait(child, signal);
        assert_eq!(status.code(), Some(130), "{signal} while trend wrote");
        assert_unchanged(
            &trend_out,
            &trend_before,
            &format!("{signal} while trend wrote"),
        );

        let child = support::orgtrail()
            .arg("merge")
            .args(&shards)
            .arg("--out")
            .arg(&merged)
            .arg("--templates")
            .arg(&endless_markdown)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until("merge writing report.md", || staging(&merged, "report.md"));
        let status = signal_and_wait(child, signal);
        assert_eq!(status.code(), Some(130), "{signal} while merge wrote");
        assert_unchanged(
            &merged,
            &merged_before,
            &format!("{signal} while merge wrote"),
        );
    }
}

#[test]
fn a_stalled_scan_says_every_ten_seconds_which_account_and_which_call_it_waits_on() {
    // compliant's GetTrailStatus does not answer for an hour; every other account finishes.
    let emulator = Emulator::start_with("dozen", &["--stall", "compliant:GetTrailStatus"]);
    let stalled = emulator.account("compliant").to_string();
    let out = emulator.dir.path().join("out");
    let mut child = emulator
        .scan_command(&out, &["--external-id", "orgtrail-test"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, said) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // Two lines naming the stalled account and the stalled call: the heartbeat, not a line an
    // account finishing happened to bring.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut heartbeats = Vec::new();
    let mut everything = Vec::new();
    while heartbeats.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = said.recv_timeout(left) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "no two heartbeats in two minutes; the scan said:\n{}",
                everything.join("\n")
            );
        };
        if line.contains("progress:")
            && line.contains(&format!(
                "waiting on 1 account(s): {stalled} (compliant) for"
            ))
            && line.contains("the slowest cloudtrail:GetTrailStatus in us-east-1, running")
        {
            heartbeats.push(line.clone());
        }
        everything.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    let requests = emulator.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.account == stalled && r.action == "GetTrailStatus"),
        "the stalled call was made"
    );
}

/// Which of `secrets` (and in what form) appear in any of `places` (name, text).
fn leaks(secrets: &[String], places: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for secret in secrets {
        for form in support::written_forms(secret) {
            for (name, text) in places {
                if text.contains(&form) {
                    found.push(format!("{name} holds {form:?}"));
                }
            }
        }
    }
    found
}

/// Every file in `out` and what the run printed, as text; a workbook (a zip) part by part,
/// uncompressed.
fn written_and_printed(out: &Path, output: &std::process::Output) -> Vec<(String, String)> {
    let mut places: Vec<(String, String)> = Vec::new();
    for (name, bytes) in snapshot(out) {
        if name.ends_with(".xlsx") {
            let file = out.join(&name);
            let unzipped = support::run_python("zip_parts.py", &[file.to_str().unwrap()]);
            assert!(unzipped.status.success(), "{}", stderr(&unzipped));
            let parts: BTreeMap<String, String> = serde_json::from_slice(&unzipped.stdout).unwrap();
            assert!(parts.contains_key("xl/worksheets/sheet1.xml"), "{parts:?}");
            places.extend(
                parts
                    .into_iter()
                    .map(|(part, text)| (format!("{name}:{part}"), text)),
            );
        } else {
            places.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    places.push(("stderr".into(), stderr(output)));
    places.push((
        "stdout".into(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ));
    places
}

/// A session token like AWS's: base64, with `/`, `+` and `=` in it.
const CALLER_SESSION_TOKEN: &str =
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+caller/session+TOKEN/for+tests==";

/// Every format orgtrail writes.
const EVERY_FORMAT: &str = "html,csv,md,json,ocsf,asff,xlsx,sarif,junit";

#[test]
fn no_credential_reaches_a_report_or_the_log_in_any_form() {
    let emulator = Emulator::start("dozen");
    let out = emulator.dir.path().join("out");
    // -vv: orgtrail's trace; ORGTRAIL_LOG=debug: the SDK's own debug logs too. Every format.
    let scan = |out: &Path, verbosity: Option<&str>, log: Option<&str>| {
        let mut command = emulator.scan_command(
            out,
            &["--external-id", "orgtrail-test", "--format", EVERY_FORMAT],
        );
        command.env("AWS_SESSION_TOKEN", CALLER_SESSION_TOKEN);
        command.args(verbosity);
        if let Some(log) = log {
            command.env("ORGTRAIL_LOG", log);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        output
    };
    let output = scan(&out, Some("-vv"), None);
    let debug_out = emulator.dir.path().join("debug");
    let debug_output = scan(&debug_out, None, Some("debug"));
    assert!(
        stderr(&debug_output).contains("DEBUG"),
        "ORGTRAIL_LOG=debug logged nothing at debug level"
    );

    let mut secrets = emulator.issued_credentials();
    assert!(
        secrets.len() >= 30,
        "expected the credentials of each assumed role"
    );
    secrets.push(CALLER_ACCESS_KEY.to_string());
    secrets.push(CALLER_SECRET_KEY.to_string());
    secrets.push(CALLER_SESSION_TOKEN.to_string());
    // Escaping changes `/` and `+`: the secrets must hold them for the forms to differ.
    let escapable = secrets
        .iter()
        .filter(|s| s.contains('/') && s.contains('+'))
        .count();
    assert!(
        escapable >= 20,
        "only {escapable} secrets hold both / and +"
    );
    let mut places = written_and_printed(&out, &output);
    places.extend(written_and_printed(&debug_out, &debug_output));
    for name in [
        "findings.sarif",
        "findings.junit.xml",
        "report.xlsx:xl/worksheets/sheet1.xml",
    ] {
        assert!(places.iter().any(|(n, _)| n == name), "{name} not searched");
    }
    let found = leaks(&secrets, &places);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_external_id_from_a_configuration_file_reaches_sts_and_nothing_written_or_printed() {
    // The external-id member's trust policy asks for this one: the scan must send it.
    let external_id = "orgtrail/ext+ID=2026";
    let emulator = Emulator::start_with("dozen", &["--external-id", external_id]);
    let config = emulator.dir.path().join("audit.toml");
    std::fs::write(
        &config,
        "external_id_env = \"AUDIT_EXTERNAL_ID\"   # the secret stays in the environment\n",
    )
    .unwrap();
    let out = emulator.dir.path().join("out");
    let output = emulator
        .scan_command(&out, &["-vv", "--format", EVERY_FORMAT])
        .env("ORGTRAIL_CONFIG", &config)
        .env("AUDIT_EXTERNAL_ID", external_id)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        audit_state(&report, emulator.account("external-id"))["state"],
        "audited",
        "the external ID from the file did not reach sts:AssumeRole"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("audit.toml"), "{manifest}");

    let found = leaks(
        &[external_id.to_string()],
        &written_and_printed(&out, &output),
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn fail_on_turns_failed_findings_at_a_severity_into_exit_code_4() {
    let emulator = Emulator::start("dozen");
    let out = emulator.dir.path().join("out");
    // advanced-union fails medium and low rules only (no KMS, no data events, no access logs).
    let advanced = emulator.account("advanced-union");
    let run = |threshold: &str| {
        emulator
            .scan(&out, &["--accounts", advanced, "--fail-on", threshold])
            .status
            .code()
    };
    assert_eq!(run("medium"), Some(4));
    assert_eq!(run("high"), Some(0), "nothing high or critical fails there");
    let compliant = emulator.account("compliant");
    let output = emulator.scan(
        &out,
        &["--accounts", compliant, "--fail-on", "informational"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
