//! orgtrail as a user runs it offline: the demo report, hostile input from AWS, and bad input.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::{orgtrail, read_json, repo, stderr};

fn demo_inventory() -> PathBuf {
    repo().join("examples/demo-inventory.json")
}

fn report(inventory: &Path, out: &Path, extra: &[&str]) -> Output {
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

#[test]
fn the_demo_inventory_renders_every_format_with_every_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let output = report(&demo_inventory(), dir.path(), &[]);
    // The demo has an account whose role could not be assumed: exit 3 says so.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    for file in ["report.json", "report.html", "findings.csv", "report.md"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    assert!(
        !dir.path().join("inventory.json").exists(),
        "report does not rewrite the inventory"
    );

    let report = read_json(&dir.path().join("report.json"));
    let statuses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    for status in ["PASS", "FAIL", "ERROR"] {
        assert!(statuses.contains(&status), "no {status} in the demo");
    }
    for rule in report["summary"]["rules"].as_array().unwrap() {
        assert!(rule["passed"].as_u64().unwrap() > 0, "{rule}");
        assert!(rule["failed"].as_u64().unwrap() > 0, "{rule}");
    }
    let accounts = report["accounts"].as_array().unwrap();
    assert!(accounts.iter().any(|a| a["audit"]["state"] == "skipped"));

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for account in accounts {
        assert!(html.contains(account["name"].as_str().unwrap()));
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the HTML loads nothing"
    );
    let markdown = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(markdown.contains("| cloudtrail-multi-region-management-events |"));
}

#[test]
fn only_the_requested_formats_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let output = report(&demo_inventory(), dir.path(), &["--format", "csv,json"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(dir.path().join("findings.csv").is_file());
    assert!(dir.path().join("report.json").is_file());
    assert!(!dir.path().join("report.html").exists());
    assert!(!dir.path().join("report.md").exists());
}

/// The demo inventory with a failing account renamed to something an attacker could choose.
fn hostile_inventory(dir: &Path, name: &str) -> PathBuf {
    let mut inventory = read_json(&demo_inventory());
    let account = inventory["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["account"]["name"] == "sandbox-alice")
        .unwrap();
    account["account"]["name"] = Value::String(name.to_string());
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    path
}

#[test]
fn account_names_from_aws_cannot_inject_html_markdown_or_spreadsheet_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "=HYPERLINK(\"http://evil\")<script>alert('x')</script>|\"quoted\"";
    let inventory = hostile_inventory(dir.path(), hostile);
    let out = dir.path().join("out");
    report(&inventory, &out, &[]);

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !html.contains("<script>alert"),
        "raw script tag in the HTML"
    );
    assert!(html.contains("&lt;script&gt;alert("));

    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        markdown.contains("&lt;script&gt;"),
        "the hostile name is in the failures list"
    );
    assert!(!markdown.contains("<script>"));
    assert!(
        markdown.contains("\\|\"quoted"),
        "pipes in names are escaped"
    );

    let mut csv = csv::Reader::from_path(out.join("findings.csv")).unwrap();
    let names: Vec<String> = csv.records().map(|r| r.unwrap()[1].to_string()).collect();
    assert!(
        names.iter().any(|n| n == &format!("'{hostile}")),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.starts_with('=')));
}

#[test]
fn a_failed_run_leaves_the_previous_reports_untouched() {
    let dir = tempfile::tempdir().unwrap();
    report(&demo_inventory(), dir.path(), &[]);
    let before = std::fs::read(dir.path().join("report.html")).unwrap();

    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\"schema\": \"orgtrail/inventory/v1\", \"accounts\": [",
    )
    .unwrap();
    let output = report(&broken, dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("report.html")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_input_gets_a_clear_error_and_a_usage_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let malformed = dir.path().join("malformed.json");
    std::fs::write(
        &malformed,
        "{\"schema\": \"orgtrail/inventory/v1\",\n \"accounts\": 7 }",
    )
    .unwrap();
    let demo = demo_inventory();
    let demo = demo.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();

    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "report",
                "--inventory",
                "/nonexistent/inventory.json",
                "--out",
                out,
            ],
            "cannot read the inventory /nonexistent/inventory.json",
        ),
        (
            &[
                "report",
                "--inventory",
                malformed.to_str().unwrap(),
                "--out",
                out,
            ],
            "line 2",
        ),
        (
            &[
                "report",
                "--inventory",
                demo,
                "--out",
                file.to_str().unwrap(),
            ],
            "is a file; name a directory",
        ),
        (
            &[
                "report",
                "--inventory",
                demo,
                "--out",
                out,
                "--format",
                "pdf",
            ],
            "unknown format 'pdf'",
        ),
        (
            &["scan", "--out", out, "--accounts", "12345"],
            "exactly 12 digits",
        ),
        (
            &["scan", "--out", out, "--regions", "us-east-1,moon-1"],
            "not a region name",
        ),
        (
            &["scan", "--out", out, "--ou", "Workloads"],
            "expected an OU id",
        ),
        (
            &["scan", "--out", out, "--concurrency", "0"],
            "--concurrency",
        ),
        (&["scan", "--bogus"], "unexpected argument '--bogus'"),
    ];
    for (args, expected) in cases {
        let output = orgtrail().args(*args).output().unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(
            message.contains(expected),
            "{args:?}: expected {expected:?} in {message}"
        );
        assert!(
            !message.contains("panicked") && !message.contains("RUST_BACKTRACE"),
            "{message}"
        );
    }
    assert!(!Path::new(out).join("report.json").exists());
}

#[test]
fn an_unreachable_endpoint_fails_the_scan_clearly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 9 of loopback.
    let output = orgtrail()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
        .env("AWS_SECRET_ACCESS_KEY", "secret-that-must-not-leak")
        .env("AWS_REGION", "us-east-1")
        .args(["scan", "--max-attempts", "1", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("could not identify the caller"),
        "{message}"
    );
    assert!(message.contains("AWS_ENDPOINT_URL"), "{message}");
    assert!(!message.contains("secret-that-must-not-leak"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn missing_credentials_are_named_with_the_places_they_were_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let output = orgtrail()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .args(["scan", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("no credentials found"), "{message}");
    assert!(message.contains("Check the AWS credentials"), "{message}");
    assert!(
        !message.contains("ProviderAttempt"),
        "no Debug dump: {message}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_rules_command_prints_the_catalogue_with_its_mappings() {
    let output = orgtrail()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let rules: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cloudtrail-multi-region-management-events",
            "cloudtrail-cloudwatch-logs",
            "cloudtrail-global-service-events",
            "cloudtrail-management-events",
            "cloudtrail-enabled",
            "cloudtrail-region-coverage",
            "cloudtrail-log-file-validation",
            "cloudtrail-kms-encryption",
            "cloudtrail-kms-key-rotation",
            "cloudtrail-log-bucket-not-public",
            "cloudtrail-log-bucket-access-logging",
            "cloudtrail-s3-data-events-write",
            "cloudtrail-s3-data-events-read",
            "cloudtrail-s3-delivery-healthy",
            "cloudtrail-insights",
            "cloudtrail-sns-notifications",
        ]
    );
    // Every rule but the informational ones maps to at least one framework control.
    for rule in rules.as_array().unwrap() {
        if rule["severity"] != "informational" {
            assert!(
                !rule["controls"].as_array().unwrap().is_empty(),
                "{}",
                rule["id"]
            );
        }
    }
    let markdown = orgtrail().args(["rules"]).output().unwrap();
    let text = String::from_utf8(markdown.stdout).unwrap();
    assert!(text.contains("| cloudtrail-cloudwatch-logs |"));
    assert!(text.contains("cis-aws-foundations-1.5: 3.4"));
    let published = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    assert_eq!(
        text, published,
        "docs/rules.md is stale: regenerate it with `orgtrail rules --format md > docs/rules.md`"
    );
}

#[test]
fn every_run_writes_a_manifest_that_verify_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(&demo_inventory(), &out, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["schema"], "orgtrail/manifest/v1");
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["report.html", "findings.csv", "report.md", "report.json"]
    );
    assert_eq!(
        manifest["inventory"]["bytes"],
        std::fs::metadata(demo_inventory()).unwrap().len()
    );

    let verify = |dir: &Path| orgtrail().arg("verify").arg(dir).output().unwrap();
    let clean = verify(&out);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("verified: 4 files"));

    // One byte changed in the CSV is caught and named.
    let mut csv = std::fs::read(out.join("findings.csv")).unwrap();
    csv[10] ^= 1;
    std::fs::write(out.join("findings.csv"), csv).unwrap();
    let tampered = verify(&out);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&tampered.stdout).contains("findings.csv: changed"));

    let missing = verify(dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("manifest.json"));
}
