//! Nothing lost, nothing leaked: orgtrail under the faults real organizations produce, injected
//! into the emulator (throttling, denials, slowness) or sent to the process (interrupts).

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{audit_state, read_json, stderr, Emulator, CALLER_ACCESS_KEY, CALLER_SECRET_KEY};

/// (account name, rule) → status.
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

#[test]
fn under_heavy_throttling_every_account_is_present_and_every_verdict_is_right() {
    let calm = Emulator::start("dozen");
    let calm_out = calm.dir.path().join("out");
    let output = calm.scan(&calm_out, &["--external-id", "orgtrail-test"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    // Three calls in ten answer ThrottlingException (or the service's equivalent).
    let stormy = Emulator::start_with("dozen", &["--throttle", "0.3"]);
    let out = stormy.dir.path().join("out");
    let output = stormy.scan(
        &out,
        &["--external-id", "orgtrail-test", "--max-attempts", "10"],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    let throttled = stormy
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert!(throttled > 10, "only {throttled} calls were throttled");
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        verdicts(&stormy, &report),
        verdicts(&calm, &read_json(&calm_out.join("report.json")))
    );
    assert_eq!(
        report["accounts"].as_array().unwrap().len(),
        stormy.account_names().count()
    );
    // Every injected throttle cost exactly one retry, and the report says how many.
    assert_eq!(report["collection"]["retries"], throttled);
    assert!(stderr(&output).contains(&format!("{throttled} retries")));
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
    assert_eq!(
        audit_state(&report, emulator.account("stale-cloudwatch"))["state"],
        "audited"
    );
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
    assert_eq!(
        audit_state(&report, emulator.account("stale-cloudwatch"))["state"],
        "audited"
    );
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

    let output = emulator.scan(&out, &["--accounts", "123456789012"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_hung_account_becomes_a_timeout_error_and_the_run_finishes() {
    let emulator = Emulator::start_with("dozen", &["--slow", "not-logging:60"]);
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(
        &out,
        &["--external-id", "orgtrail-test", "--account-timeout", "2"],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let hung = audit_state(&report, emulator.account("not-logging"));
    assert_eq!(hung["state"], "error");
    assert!(hung["error"]
        .as_str()
        .unwrap()
        .contains("timed out after 2s"));
    assert_eq!(
        audit_state(&report, emulator.account("compliant"))["state"],
        "audited"
    );
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Start a scan that will hang on one account, wait until it is collecting, then signal it.
fn interrupt_mid_scan(emulator: &Emulator, out: &Path, signal: &str) -> std::process::ExitStatus {
    let hung = emulator.account("not-logging").to_string();
    let reached = || {
        emulator
            .requests()
            .iter()
            .filter(|r| r.account == hung && r.service == "cloudtrail")
            .count()
    };
    let earlier = reached();
    let mut child = emulator
        .scan_command(out, &["--external-id", "orgtrail-test"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while reached() == earlier {
        assert!(
            Instant::now() < deadline,
            "the scan never reached the slow account"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}

#[test]
fn interrupting_or_killing_a_scan_leaves_the_previous_reports_intact() {
    let emulator = Emulator::start_with("dozen", &["--slow", "not-logging:60"]);
    let out = emulator.dir.path().join("out");
    // Last month's reports, in place.
    let output = emulator.scan(
        &out,
        &["--external-id", "orgtrail-test", "--account-timeout", "1"],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let before = snapshot(&out);
    assert_eq!(before.len(), 6, "five reports and the manifest");

    let status = interrupt_mid_scan(&emulator, &out, "-INT");
    assert_eq!(status.code(), Some(130), "Ctrl-C exits at once with 130");
    assert_eq!(
        snapshot(&out),
        before,
        "Ctrl-C changed the previous reports"
    );

    let status = interrupt_mid_scan(&emulator, &out, "-TERM");
    assert!(!status.success());
    assert_eq!(
        snapshot(&out),
        before,
        "a kill changed the previous reports"
    );
}

#[test]
fn no_credential_reaches_a_report_or_the_log() {
    let emulator = Emulator::start("dozen");
    let out = emulator.dir.path().join("out");
    // -vv: debug logs from the SDK too, the most orgtrail ever prints.
    let output = emulator.scan(&out, &["--external-id", "orgtrail-test", "-vv"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    let mut secrets = emulator.issued_credentials();
    assert!(
        secrets.len() >= 30,
        "expected the credentials of each assumed role"
    );
    secrets.push(CALLER_ACCESS_KEY.to_string());
    secrets.push(CALLER_SECRET_KEY.to_string());
    let mut haystacks: Vec<(String, String)> = snapshot(&out)
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
        .collect();
    haystacks.push(("stderr".into(), stderr(&output)));
    haystacks.push((
        "stdout".into(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ));
    for (name, text) in &haystacks {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} contains a credential"
            );
        }
    }
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
