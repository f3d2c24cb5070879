//! orgtrail as a user runs it offline: the demo report, hostile input from AWS, and bad input.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{demo_inventory, orgtrail, read_json, repo, report, stderr};
use serde_json::Value;

/// An endpoint nothing listens on, on any machine: port 0 cannot be listened on (binding it picks
/// another), so connecting is refused; a real port such as 9 (discard) may be served.
const UNREACHABLE_ENDPOINT: &str = "http://127.0.0.1:0";

#[test]
fn the_demo_inventory_renders_every_format_with_every_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let output = report(&demo_inventory(), dir.path(), &[]);
    // The demo has an account whose role could not be assumed: the scan said so with exit 3;
    // rendering its saved inventory again succeeds.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
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
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
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
    let output = orgtrail()
        .env("AWS_ENDPOINT_URL", UNREACHABLE_ENDPOINT)
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
    // Not sent at all: refused, rather than answered or timed out by whatever listens.
    assert!(
        message.contains("sts:GetCallerIdentity could not be sent"),
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
        .env("AWS_ENDPOINT_URL", UNREACHABLE_ENDPOINT)
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
            "cloudtrail-protected-by-scp",
            "cloudtrail-changes-alarmed",
            "cloudtrail-logging-continuous",
        ]
    );
    // Every rule but the informational ones maps to at least one framework control. The SCP
    // guardrail is the exception, and says why in its rationale: no benchmark or mapping table
    // names a control for it (docs/mapping-sources.md), and none is claimed by analogy.
    for rule in rules.as_array().unwrap() {
        if rule["severity"] != "informational" && rule["id"] != "cloudtrail-protected-by-scp" {
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
    // People read this table: frameworks by the names their auditors use.
    assert!(text.contains("CIS AWS Foundations Benchmark v1.5.0: 3.4"));
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
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["schema"], "orgtrail/manifest/v1");
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed[..5],
        [
            "report.html",
            "accounts.html",
            "findings.csv",
            "report.md",
            "report.json"
        ]
    );
    // Then every account's page, each with its digest.
    assert_eq!(listed.len(), 5 + 14);
    assert!(listed[5..]
        .iter()
        .all(|name| name.starts_with("accounts/") && out.join(name).is_file()));
    assert_eq!(
        manifest["inventory"]["bytes"],
        std::fs::metadata(demo_inventory()).unwrap().len()
    );

    let verify = |dir: &Path| orgtrail().arg("verify").arg(dir).output().unwrap();
    let clean = verify(&out);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("verified: 19 files"));

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

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn waivers_mute_matching_findings_until_they_expire_and_unused_ones_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = write(
        dir.path(),
        "waivers.toml",
        r#"
[[waiver]]
rule = "cloudtrail-s3-data-events-read"
accounts = ["2*"]
reason = "collected by the data lake trail"
approver = "ciso@acme.example"
expires = 2099-06-30

[[waiver]]
rule = "cloudtrail-insights"
accounts = ["*"]
reason = "declined for cost"
approver = "ciso@acme.example"
expires = 2020-01-31

[[waiver]]
rule = "cloudtrail-kms-encryption"
accounts = ["999999999999"]
region = "eu-west-1"
reason = "an account that left the organization"
approver = "ciso@acme.example"
expires = 2099-01-01
"#,
    );
    let out = dir.path().join("out");
    let output = report(
        &demo_inventory(),
        &out,
        &["--waivers", waivers.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let findings = report["findings"].as_array().unwrap();

    let muted: Vec<&Value> = findings.iter().filter(|f| f["status"] == "MUTED").collect();
    assert!(!muted.is_empty());
    for finding in &muted {
        assert_eq!(finding["rule_id"], "cloudtrail-s3-data-events-read");
        assert!(finding["account_id"].as_str().unwrap().starts_with('2'));
        assert_eq!(finding["waiver"]["approver"], "ciso@acme.example");
    }
    // Nothing else was muted, passes stay passes, and the expired waiver muted nothing.
    assert!(findings
        .iter()
        .any(|f| f["rule_id"] == "cloudtrail-s3-data-events-read" && f["status"] == "PASS"));
    assert!(findings
        .iter()
        .any(|f| f["rule_id"] == "cloudtrail-insights" && f["status"] == "FAIL"));
    let states: Vec<(&str, u64)> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["state"].as_str().unwrap(), w["muted"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("active", muted.len() as u64),
            ("expired", 0),
            ("unused", 0)
        ]
    );
    assert_eq!(report["summary"]["findings_muted"], muted.len());
    assert!(stderr(&output).contains("is Expired") && stderr(&output).contains("is Unused"));

    // The reason shows wherever the finding does: on its account's page.
    let pages: String = std::fs::read_dir(out.join("accounts"))
        .unwrap()
        .map(|page| std::fs::read_to_string(page.unwrap().path()).unwrap())
        .collect();
    assert!(pages.contains("Muted by waiver: collected by the data lake trail"));
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("| cloudtrail-insights | \\* | declined for cost | ciso@acme.example | 2020-01-31 | expired | 0 |"));
    let mut csv = csv::Reader::from_path(out.join("findings.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (status, waiver) = (column("status"), column("waiver"));
    assert!(csv
        .records()
        .map(|r| r.unwrap())
        .any(|r| &r[status] == "MUTED"
            && r[waiver].starts_with("collected by the data lake trail (approved by")));
}

#[test]
fn a_bad_waivers_file_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let valid =
        "rule = \"cloudtrail-insights\"\naccounts = [\"*\"]\nreason = \"r\"\napprover = \"a\"\n";
    // A good waiver first: the bad one is the second, from line 8.
    let first = format!("[[waiver]]\n{valid}expires = 2027-01-01\n\n");
    let cases = [
        (
            format!("{first}[[waiver]]\n{valid}expires = 2027-01-01\nowner = \"x\"\n"),
            "line 14",
            "unknown field `owner`",
        ),
        (
            format!("{first}[[waiver]]\n{valid}expires = \"soon\"\n"),
            "line 13",
            "expires",
        ),
        (
            format!("{first}[[waiver]]\n{valid}expires = 2027-01-01T10:00:00Z\n"),
            "line 13",
            "is not a date",
        ),
        (
            format!(
                "{first}[[waiver]]\n{}expires = 2027-01-01\n",
                valid.replace("cloudtrail-insights", "cis-9.9")
            ),
            "waivers.toml:9:",
            "waiver 2 names rule 'cis-9.9'",
        ),
        (
            format!(
                "{first}[[waiver]]\n{}expires = 2027-01-01\n",
                valid.replace("reason = \"r\"", "reason = \" \"")
            ),
            "waivers.toml:11:",
            "waiver 2 has an empty reason",
        ),
    ];
    for (text, line, expected) in cases {
        let path = write(dir.path(), "waivers.toml", &text);
        let out = dir.path().join("out");
        let output = report(
            &demo_inventory(),
            &out,
            &["--waivers", path.to_str().unwrap()],
        );
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}: {message}");
        assert!(
            message.contains(expected),
            "{text}: expected {expected:?} in {message}"
        );
        assert!(message.contains("waivers.toml"), "{message}");
        assert!(
            message.contains(line),
            "{text}: expected {line:?} in {message}"
        );
        assert!(!out.join("report.json").exists());
    }
}

/// Next month's inventory: sandbox-alice gets payments-prod's trail (fixed), identity-prod loses
/// its trail (new failures), old-project is gone and a new account joined.
fn next_month(dir: &Path) -> PathBuf {
    let mut inventory = read_json(&demo_inventory());
    let accounts = inventory["accounts"].as_array_mut().unwrap();
    let by_name = |accounts: &Vec<Value>, name: &str| {
        accounts
            .iter()
            .position(|a| a["account"]["name"] == name)
            .unwrap()
    };
    let payments = accounts[by_name(accounts, "payments-prod")].clone();
    let alice = by_name(accounts, "sandbox-alice");
    for field in ["trails", "log_buckets", "trail_keys"] {
        accounts[alice][field] = payments[field].clone();
    }
    let identity = by_name(accounts, "identity-prod");
    accounts[identity]["trails"] = Value::Array(vec![]);
    let old = by_name(accounts, "old-project");
    accounts.remove(old);
    let mut newcomer = accounts[by_name(accounts, "ml-training")].clone();
    newcomer["account"]["id"] = Value::from("341414141414");
    newcomer["account"]["name"] = Value::from("new-team");
    accounts.push(newcomer);
    let path = dir.join("next.json");
    std::fs::write(&path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    path
}

#[test]
fn month_over_month_lists_new_failures_fixes_and_account_changes() {
    let dir = tempfile::tempdir().unwrap();
    let last = dir.path().join("last");
    report(&demo_inventory(), &last, &[]);
    let now = dir.path().join("now");
    let baseline = last.join("report.json");
    let output = report(
        &next_month(dir.path()),
        &now,
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let changes = &read_json(&now.join("report.json"))["baseline"];
    let accounts_in = |list: &str| -> Vec<String> {
        let mut names: Vec<String> = changes[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["account_name"].as_str().unwrap().to_string())
            .collect();
        names.dedup();
        names
    };
    assert_eq!(accounts_in("fixed"), ["sandbox-alice"]);
    assert_eq!(accounts_in("new_failures"), ["identity-prod", "new-team"]);
    assert_eq!(changes["new_accounts"][0]["name"], "new-team");
    assert_eq!(changes["removed_accounts"][0]["name"], "old-project");
    assert!(changes["still_failing"].as_u64().unwrap() > 0);

    let html = std::fs::read_to_string(now.join("report.html")).unwrap();
    assert!(html.contains("id=\"changes\"") && html.contains("Removed accounts: old-project"));
    let markdown = std::fs::read_to_string(now.join("report.md")).unwrap();
    assert!(markdown.contains("## Since the run collected"));

    // The diff command says the same, as Markdown or JSON.
    let diff = orgtrail()
        .arg("diff")
        .arg(&last)
        .arg(&now)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(diff.status.success(), "{}", stderr(&diff));
    let printed: Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert_eq!(&printed, changes);
    let diff = orgtrail()
        .arg("diff")
        .arg(&last)
        .arg(&now)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&diff.stdout).contains("## Fixed"));

    let wrong = orgtrail()
        .arg("diff")
        .arg(demo_inventory())
        .arg(&now)
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("is not an orgtrail report.json"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn a_templates_directory_overrides_the_embedded_ones_and_a_broken_one_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let shipped = repo().join("examples/templates");
    let output = report(
        &demo_inventory(),
        &out,
        &["--templates", shipped.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.starts_with("> **CONFIDENTIAL"), "{markdown}");
    assert!(markdown.contains("| cloudtrail-multi-region-management-events |"));
    // The HTML, not overridden there, is the embedded one.
    assert!(std::fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("Accounts × rules"));

    // A template that does not parse: named with its line, before anything is written.
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("report.html.tera"),
        "<h1>{{ report.organization.id </h1>\n",
    )
    .unwrap();
    let fresh = dir.path().join("fresh");
    let output = report(
        &demo_inventory(),
        &fresh,
        &["--templates", broken.to_str().unwrap()],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("broken/report.html.tera") && message.contains("1:"),
        "{message}"
    );
    assert!(!fresh.join("report.json").exists());

    // One that parses but uses a variable the report does not have fails at rendering, and the
    // reports already in --out stay as they were.
    std::fs::write(broken.join("report.html.tera"), "{{ nonexistent.field }}\n").unwrap();
    let before = std::fs::read(out.join("report.html")).unwrap();
    let output = report(
        &demo_inventory(),
        &out,
        &["--templates", broken.to_str().unwrap()],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("report.html.tera") && message.contains("nonexistent"),
        "{message}"
    );
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), before);
}

#[test]
fn ocsf_findings_validate_with_a_third_party_implementation_and_keep_their_uids() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(&demo_inventory(), &out, &["--format", "ocsf,json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let file = out.join("findings.ocsf.jsonl");
    let validated = support::validate("validate_ocsf.py", std::slice::from_ref(&file));
    let said = String::from_utf8_lossy(&validated.stdout);
    assert!(validated.status.success(), "{said}{}", stderr(&validated));

    let findings = read_json(&out.join("report.json"))["findings"]
        .as_array()
        .unwrap()
        .len();
    let not_audited = not_audited_accounts(&read_json(&out.join("report.json")));
    assert!(
        !not_audited.is_empty(),
        "the demo lists a suspended account"
    );
    assert!(
        said.contains(&format!(
            "{} OCSF compliance findings valid",
            findings + not_audited.len()
        )),
        "{said}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = &records[0];
    assert_eq!(first["class_uid"], 2003);
    assert!(first["compliance"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().starts_with("cis-aws-foundations-1.5 ")));
    // Record by record, the account and the outcome are the report's.
    let report_findings = read_json(&out.join("report.json"))["findings"].clone();
    for (record, finding) in records.iter().zip(report_findings.as_array().unwrap()) {
        assert_eq!(record["cloud"]["account"]["uid"], finding["account_id"]);
        let expected = match finding["status"].as_str().unwrap() {
            "PASS" => "Pass",
            "ERROR" => "Unknown",
            _ => "Fail",
        };
        assert_eq!(record["compliance"]["status"], expected);
    }

    // Every account appears: one not audited as compliance status Unknown, with its reason.
    let accounts_in = |records: &[Value]| -> BTreeSet<String> {
        records
            .iter()
            .map(|r| r["cloud"]["account"]["uid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(accounts_in(&records), every_account(&out));
    for record in &records[findings..] {
        let id = record["cloud"]["account"]["uid"].as_str().unwrap();
        assert!(not_audited.contains(id), "{record}");
        assert_eq!(record["compliance"]["status"], "Unknown");
        assert_eq!(record["unmapped"]["orgtrail_status"], "NOT_AUDITED");
        assert!(record["message"].as_str().unwrap().contains("SUSPENDED"));
    }

    // Next month's file gives the same finding the same uid.
    let again = dir.path().join("again");
    report(&demo_inventory(), &again, &["--format", "ocsf"]);
    let uids = |path: &Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["finding_info"]["uid"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(uids(&file), uids(&again.join("findings.ocsf.jsonl")));
    let mut unique = uids(&file);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), records.len(), "uids are unique");
}

#[test]
fn asff_files_hold_at_most_a_hundred_findings_each_and_validate_against_botocore() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(&demo_inventory(), &out, &["--format", "asff,json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let findings = report["findings"].as_array().unwrap();
    let not_audited = not_audited_accounts(&report);
    let records = findings.len() + not_audited.len();
    let chunks = records.div_ceil(100);
    assert!(chunks > 1, "the demo spans several files");
    let files: Vec<PathBuf> = (1..=chunks)
        .map(|n| out.join(format!("findings.asff-{n:03}.json")))
        .collect();
    assert!(!out
        .join(format!("findings.asff-{:03}.json", chunks + 1))
        .exists());
    let validated = support::validate("validate_asff.py", &files);
    let said = String::from_utf8_lossy(&validated.stdout);
    assert!(validated.status.success(), "{said}{}", stderr(&validated));
    assert!(
        said.contains(&format!("{records} ASFF findings valid in {chunks} files")),
        "{said}"
    );
    let first: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(first.len(), 100);
    let record = &first[0];
    assert_eq!(
        record["ProductArn"],
        "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    );
    assert_eq!(
        record["GeneratorId"],
        format!("orgtrail/{}", findings[0]["rule_id"].as_str().unwrap())
    );
    assert_eq!(record["AwsAccountId"], findings[0]["account_id"]);
    assert!(record["Types"][0]
        .as_str()
        .unwrap()
        .starts_with("Software and Configuration Checks"));
    let statuses: Vec<&str> = first
        .iter()
        .map(|r| r["Compliance"]["Status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"PASSED")
            && statuses.contains(&"FAILED")
            && statuses.contains(&"NOT_AVAILABLE")
    );

    // Every account appears: one not audited as NOT_AVAILABLE, with its reason.
    let all: Vec<Value> = files
        .iter()
        .flat_map(|f| {
            serde_json::from_str::<Vec<Value>>(&std::fs::read_to_string(f).unwrap()).unwrap()
        })
        .collect();
    let accounts: BTreeSet<String> = all
        .iter()
        .map(|r| r["AwsAccountId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accounts, every_account(&out));
    for record in &all[findings.len()..] {
        assert!(not_audited.contains(record["AwsAccountId"].as_str().unwrap()));
        assert_eq!(record["Compliance"]["Status"], "NOT_AVAILABLE");
        assert_eq!(record["ProductFields"]["orgtrail/status"], "NOT_AUDITED");
        assert!(record["Description"]
            .as_str()
            .unwrap()
            .contains("SUSPENDED"));
    }
}

/// The ids of the accounts report.json lists as not audited (closed, suspended, excluded).
fn not_audited_accounts(report: &Value) -> BTreeSet<String> {
    report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["audit"]["state"] == "skipped")
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// The ids of every account report.json in `out` lists.
fn every_account(out: &Path) -> BTreeSet<String> {
    read_json(&out.join("report.json"))["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_configuration_file_holds_the_options_and_command_line_then_environment_win_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let starter = dir.path().join("orgtrail.toml");
    let init = orgtrail().arg("init").arg(&starter).output().unwrap();
    assert!(init.status.success(), "{}", stderr(&init));
    let again = orgtrail().arg("init").arg(&starter).output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "init does not overwrite without --force"
    );

    let config = write(
        dir.path(),
        "audit.toml",
        "format = [\"md\"]\nout = \"DIR/reports/{date}\"\nexternal_id_env = \"AUDIT_SECRET\"\nrole_name = \"OrgTrailAudit\"\n"
            .replace("DIR", dir.path().to_str().unwrap())
            .as_str(),
    );
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut command = orgtrail();
        // AUDIT_SECRET is not set: external_id_env is a scan-only key, which report skips.
        command
            .env_remove("AUDIT_SECRET")
            .args([
                "--config",
                config.to_str().unwrap(),
                "report",
                "--inventory",
            ])
            .arg(demo_inventory())
            .args(extra);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    // The file alone: its format, its dated output directory. The run's date is read from the
    // directory it made, and checked to be a day the run was going on: a run across midnight
    // has two.
    let before = chrono::Utc::now().date_naive();
    let output = run(&[], &[]);
    let after = chrono::Utc::now().date_naive();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let made: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    let date = chrono::NaiveDate::parse_from_str(&made[0], "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("{made:?} is not a date: {e}"));
    assert!(
        before <= date && date <= after,
        "{date} is not the run's date"
    );
    let dated = dir.path().join("reports").join(&made[0]);
    assert!(dated.join("report.md").is_file() && !dated.join("report.html").exists());
    let manifest = std::fs::read_to_string(dated.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("audit.toml"),
        "the manifest names the configuration file"
    );
    assert!(
        manifest.contains("\"md\""),
        "and records the resolved options"
    );

    // The environment beats the file; the command line beats both.
    let env_out = dir.path().join("env");
    run(
        &[("ORGTRAIL_FORMAT", "csv")],
        &["--out", env_out.to_str().unwrap()],
    );
    assert!(env_out.join("findings.csv").is_file() && !env_out.join("report.md").exists());
    let cli_out = dir.path().join("cli");
    run(
        &[("ORGTRAIL_FORMAT", "csv")],
        &["--format", "json", "--out", cli_out.to_str().unwrap()],
    );
    assert!(cli_out.join("report.json").is_file());
    assert!(!cli_out.join("findings.csv").exists() && !cli_out.join("report.md").exists());

    // scan-only keys (external_id_env, role_name) are accepted in the file and skipped by
    // report, the variable external_id_env names unset: the runs above succeeded. That `scan` sends the external ID and writes it nowhere
    // is tests/faults.rs' the_external_id_from_a_configuration_file_...
}

#[test]
fn a_bad_configuration_file_names_the_file_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "formats = [\"md\"]\n",
            vec!["line 1", "unknown field `formats`", "expected one of"],
        ),
        ("format = \"md\"\n", vec!["line 1", "expected a sequence"]),
        (
            "\nconcurrency = 0\n",
            vec![":2: concurrency = 0", "1..=256"],
        ),
        (
            "\n\nformat = [\"pdf\"]\n",
            vec![":3: format = pdf", "accepted: html"],
        ),
        (
            "external_id_env = \"NOT_SET_ANYWHERE\"\n",
            vec![":1:", "NOT_SET_ANYWHERE, which is not set"],
        ),
    ];
    for (text, expected) in cases {
        let config = write(dir.path(), "bad.toml", text);
        let output = orgtrail()
            .args(["--config", config.to_str().unwrap(), "scan", "--out"])
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}: {message}");
        assert!(message.contains("bad.toml"), "{text}: {message}");
        for part in expected {
            assert!(
                message.contains(part),
                "{text}: expected {part:?} in {message}"
            );
        }
    }
}

#[test]
fn the_readme_demo_command_ends_with_what_was_written_and_which_file_to_open() {
    let dir = tempfile::tempdir().unwrap();
    // As the README has a new user type it, from where the output directory should appear.
    let output = orgtrail()
        .current_dir(dir.path())
        .args(["report", "--inventory"])
        .arg(demo_inventory())
        .args(["--out", "demo-report"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("14 accounts: 12 audited, 1 could not be audited, 1 not audited"),
        "{said}"
    );
    assert!(said.contains("wrote 7 files to demo-report:"), "{said}");
    assert!(
        said.contains("report.html    the evidence for auditors"),
        "{said}"
    );
    assert!(
        said.contains("open demo-report/report.html first"),
        "{said}"
    );
    assert!(!said.contains("INFO"), "log lines only with -v: {said}");
    let quiet = orgtrail()
        .current_dir(dir.path())
        .args(["-q", "report", "--inventory"])
        .arg(demo_inventory())
        .args(["--out", "demo-report"])
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "", "-q prints nothing");
}

#[test]
fn a_chosen_framework_titles_the_reports_and_leads_with_its_controls() {
    let dir = tempfile::tempdir().unwrap();
    let cis = "cis-aws-foundations-1.5";
    let output = report(
        &demo_inventory(),
        dir.path(),
        &["--framework", cis, "--format", "html,md,json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["framework_focus"], serde_json::json!([cis]));

    let title = "CIS AWS Foundations Benchmark v1.5.0: CloudTrail audit of organization";
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains(&format!("<h1>{title}")),
        "the page is titled for the framework"
    );
    let first_framework = html.find("<details class=\"framework\"").unwrap();
    assert!(
        html[first_framework..].starts_with(&format!(
            "<details class=\"framework\" id=\"framework-{cis}\" open>"
        )),
        "its controls come first, open"
    );
    let markdown = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(markdown.starts_with(&format!("# {title}")));
    // The headline says where the organization stands on each seed control, from the counts
    // report.json holds: passing accounts of the audited ones.
    let audited = report["summary"]["accounts_audited"].as_u64().unwrap();
    for (label, rule) in [
        ("CIS 3.1", "cloudtrail-multi-region-management-events"),
        ("CT-010", "cloudtrail-management-events"),
    ] {
        let tally = report["summary"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == rule)
            .unwrap();
        let passed = tally["accounts"]["passed"].as_u64().unwrap();
        assert!(
            markdown.contains(&format!("| **{label}** "))
                && markdown.contains(&format!("| {passed} of {audited} |")),
            "{label}: {passed} of {audited} in\n{markdown}"
        );
    }
    let headline = &markdown[..markdown.find("## Rules").unwrap()];
    assert!(headline.contains("**CIS AWS Foundations Benchmark v1.5.0**"));
    assert!(headline.contains("**1 account(s) could not be audited**"));
    let cis_section = markdown
        .find("### CIS AWS Foundations Benchmark v1.5.0")
        .unwrap();
    let other_section = markdown.find("### PCI DSS v4.0").unwrap();
    assert!(cis_section < other_section);

    let unknown = report_with_framework(dir.path(), "cis-9");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown framework 'cis-9'"));
    assert!(stderr(&unknown).contains(cis), "{}", stderr(&unknown));
}

fn report_with_framework(dir: &Path, framework: &str) -> Output {
    report(
        &demo_inventory(),
        &dir.join("x"),
        &["--framework", framework],
    )
}

#[test]
fn report_fail_on_exits_4_and_unaudited_accounts_of_a_merge_exit_3_over_it() {
    let dir = tempfile::tempdir().unwrap();
    // The demo's failures include high ones: report (accounts not audited are not its news).
    let output = report(
        &demo_inventory(),
        &dir.path().join("report"),
        &["--format", "json", "--fail-on", "high"],
    );
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));

    // merge reports a run's news as scan does: an account not audited is exit 3, even where a
    // finding at --fail-on failed too.
    let shards = support::demo_shards(dir.path(), "o-acme0example");
    let output = orgtrail()
        .arg("merge")
        .args(&shards)
        .args(["--format", "json", "--fail-on", "informational", "--out"])
        .arg(dir.path().join("merged"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
}

#[test]
fn merge_refuses_shards_of_another_organization_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shards = support::demo_shards(dir.path(), "o-other0org");
    let out = dir.path().join("merged");
    let output = orgtrail()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("o-other0org") && message.contains("o-acme0example"),
        "{message}"
    );
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn the_starter_file_from_init_loads_and_runs_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let starter = dir.path().join("orgtrail.toml");
    let init = orgtrail().arg("init").arg(&starter).output().unwrap();
    assert!(init.status.success(), "{}", stderr(&init));
    let out = dir.path().join("out");
    // In the temporary directory: the starter's own out = "reports/{date}" is overridden here.
    let output = orgtrail()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&starter)
        .args(["report", "--inventory"])
        .arg(demo_inventory())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The starter's format = ["html", "csv", "md", "json"].
    for file in ["report.html", "findings.csv", "report.md", "report.json"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    assert!(!out.join("findings.sarif").exists());
}

#[test]
fn a_muted_finding_is_suppressed_in_ocsf_and_asff() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let waivers = support::demo_waivers();
    let output = report(
        &demo_inventory(),
        &out,
        &[
            "--format",
            "ocsf,asff,json",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let findings = read_json(&out.join("report.json"))["findings"].clone();
    let findings = findings.as_array().unwrap();
    let muted = findings.iter().filter(|f| f["status"] == "MUTED").count();
    assert!(muted > 0, "the demo's waivers mute findings");
    let ocsf: Vec<Value> = std::fs::read_to_string(out.join("findings.ocsf.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut asff: Vec<Value> = Vec::new();
    for n in 1.. {
        let Ok(text) = std::fs::read_to_string(out.join(format!("findings.asff-{n:03}.json")))
        else {
            break;
        };
        asff.extend(serde_json::from_str::<Vec<Value>>(&text).unwrap());
    }
    for (index, finding) in findings.iter().enumerate() {
        let is_muted = finding["status"] == "MUTED";
        let (record, imported) = (&ocsf[index], &asff[index]);
        assert_eq!(record["cloud"]["account"]["uid"], finding["account_id"]);
        assert_eq!(imported["AwsAccountId"], finding["account_id"]);
        assert_eq!(record["status"] == "Suppressed", is_muted, "{record}");
        assert_eq!(record["status_id"] == 3, is_muted, "{record}");
        assert_eq!(
            imported["Workflow"]["Status"] == "SUPPRESSED",
            is_muted,
            "{imported}"
        );
        if is_muted {
            // Suppressed, not passed: the control still fails.
            assert_eq!(record["compliance"]["status"], "Fail");
            assert_eq!(imported["Compliance"]["Status"], "FAILED");
            assert!(imported["ProductFields"]["orgtrail/waiver"].is_string());
        }
    }
}

#[test]
fn findings_csv_has_the_columns_the_readme_documents_in_that_order() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let listed = readme
        .split("Columns, in this order:")
        .nth(1)
        .and_then(|rest| rest.split('`').nth(1))
        .expect("README lists findings.csv's columns between backticks");
    let documented: Vec<String> = listed.split(',').map(|c| c.trim().to_string()).collect();
    assert!(documented.len() > 10, "{documented:?}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(&demo_inventory(), &out, &["--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(out.join("findings.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, documented);
}

/// The demo inventory with `copies` more accounts set up as sandbox-alice (no trail: every rule
/// fails), account ids 4000000000NN.
fn demo_with_sandboxes(dir: &Path, copies: usize) -> PathBuf {
    let mut inventory = read_json(&demo_inventory());
    let accounts = inventory["accounts"].as_array_mut().unwrap();
    let sandbox = accounts
        .iter()
        .find(|a| a["account"]["name"] == "sandbox-alice")
        .unwrap()
        .clone();
    for n in 0..copies {
        let mut copy = sandbox.clone();
        copy["account"]["id"] = format!("4000000000{n:02}").into();
        copy["account"]["name"] = format!("sandbox-{n:02}").into();
        accounts.push(copy);
    }
    let path = dir.join("sandboxes.json");
    std::fs::write(&path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    path
}

#[test]
fn report_md_shows_25_accounts_per_failing_rule_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = demo_with_sandboxes(dir.path(), 30);
    let out = dir.path().join("out");
    let output = report(&inventory, &out, &["--format", "md"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    let failures = markdown.split("\n## Failures").nth(1).unwrap();
    let failures = failures.split("\n## ").next().unwrap();
    let mut capped = 0;
    for section in failures.split("\n### ").skip(1) {
        let header = section.lines().next().unwrap();
        let count: usize = header
            .rsplit(": ")
            .next()
            .and_then(|c| c.strip_suffix(" account(s)"))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("{header}"));
        let shown = section
            .lines()
            .filter(|l| l.starts_with("- ") && !l.starts_with("- … and"))
            .count();
        assert_eq!(shown, count.min(25), "{header}");
        if count > 25 {
            capped += 1;
            let more = format!("- … and {} more (see findings.csv)", count - 25);
            assert!(section.contains(&more), "{header}: no {more:?}");
        }
    }
    assert!(capped > 0, "no rule failed in more than 25 accounts");
}

#[test]
fn account_wide_findings_have_no_region_and_the_account_as_resource() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(&demo_inventory(), &out, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let mut account_wide = 0;
    for finding in report["findings"].as_array().unwrap() {
        let account = format!("AWS::::Account:{}", finding["account_id"].as_str().unwrap());
        if finding["region"].is_null() {
            account_wide += 1;
            assert_eq!(finding["resource"], account.as_str(), "{finding}");
        } else {
            assert_ne!(finding["resource"], account.as_str(), "{finding}");
        }
    }
    assert!(account_wide > 0);
}

#[test]
fn verify_names_a_listed_file_that_is_missing_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(&demo_inventory(), &out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::remove_file(out.join("report.md")).unwrap();
    let verified = orgtrail().arg("verify").arg(&out).output().unwrap();
    let said = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(
        verified.status.code(),
        Some(1),
        "{said}{}",
        stderr(&verified)
    );
    assert!(said.contains("report.md: missing"), "{said}");
    assert!(
        stderr(&verified).contains("report.md"),
        "{}",
        stderr(&verified)
    );
}
