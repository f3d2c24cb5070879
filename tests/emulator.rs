//! orgtrail against a real AWS emulator (moto server, extended to AWS's documented behaviour by
//! tests/emulator/emulator.py).

mod support;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use support::{audit_state, read_json, stderr, Emulator};

const CIS_3_1: &str = "cloudtrail-multi-region-management-events";
const CIS_3_4: &str = "cloudtrail-cloudwatch-logs";
const CT_005: &str = "cloudtrail-global-service-events";
const CT_010: &str = "cloudtrail-management-events";
const RULES: [&str; 4] = [CIS_3_1, CIS_3_4, CT_005, CT_010];

/// account name → rule → status, from report.json.
fn verdicts(emulator: &Emulator, report: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut verdicts: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        let name = emulator.name_of(finding["account_id"].as_str().unwrap());
        verdicts.entry(name.to_string()).or_default().insert(
            finding["rule_id"].as_str().unwrap().to_string(),
            finding["status"].as_str().unwrap().to_string(),
        );
    }
    verdicts
}

fn finding_of(emulator: &Emulator, report: &Value, account: &str, rule: &str) -> Value {
    let id = emulator.account(account);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account_id"] == id && f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding for {account}"))
        .clone()
}

#[test]
fn a_dozen_account_organization_gets_the_right_verdict_for_every_seed_rule() {
    let emulator = Emulator::start("dozen");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--external-id", "orgtrail-test"]);
    // Exit 3: the run finished, and some account (role-missing) could not be audited.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    for file in [
        "inventory.json",
        "report.json",
        "report.html",
        "findings.csv",
        "report.md",
    ] {
        assert!(out.join(file).is_file(), "{file} was not written");
    }
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["schema"], "orgtrail/report/v1");
    assert_eq!(
        report["organization"]["management_account_id"],
        "123456789012"
    );

    let (pass, fail, error) = ("PASS", "FAIL", "ERROR");
    let expected: &[(&str, [&str; 4])] = &[
        // account              CIS 3.1  CIS 3.4  CT-005  CT-010
        ("management", [pass, pass, pass, pass]),
        ("compliant", [pass, pass, pass, pass]),
        ("no-trails", [fail, fail, fail, fail]),
        // Single-region outside us-east-1: no global service events since 2021-11-22.
        ("regional-only", [fail, pass, fail, pass]),
        ("not-logging", [fail, fail, fail, fail]),
        ("write-only", [fail, fail, pass, pass]),
        ("advanced-union", [pass, fail, pass, pass]),
        ("stale-cloudwatch", [pass, fail, pass, pass]),
        ("no-global-events", [fail, fail, fail, pass]),
        ("duplicate-global", [pass, fail, pass, pass]),
        // No management events recorded, so no global service events either.
        ("data-events-only", [fail, fail, fail, fail]),
        ("role-missing", [error, error, error, error]),
        ("external-id", [fail, fail, fail, fail]),
    ];
    let verdicts = verdicts(&emulator, &report);
    for (account, statuses) in expected {
        let got = &verdicts[*account];
        for (rule, status) in RULES.iter().zip(statuses) {
            assert_eq!(&got[*rule], status, "{account} / {rule}");
        }
    }
    assert_eq!(
        verdicts.len(),
        expected.len(),
        "only the closed account has no findings"
    );

    // Every account the organization lists is in the report: the closed one as not audited.
    let listed = report["accounts"].as_array().unwrap();
    assert_eq!(listed.len(), emulator.account_names().count());
    let closed = audit_state(&report, emulator.account("closed"));
    assert_eq!(closed["state"], "skipped");
    assert!(closed["reason"].as_str().unwrap().contains("SUSPENDED"));

    // The unassumable role is named as the reason, on the account and on every finding.
    let missing = audit_state(&report, emulator.account("role-missing"));
    assert_eq!(missing["state"], "error");
    assert!(
        missing["error"].as_str().unwrap().contains("AccessDenied"),
        "{missing}"
    );

    // Evidence names the trails that decided, and the duplicate global events are flagged.
    let finding = |account: &str, rule: &str| finding_of(&emulator, &report, account, rule);
    let duplicate = finding("duplicate-global", CT_005);
    assert!(duplicate["evidence"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("first, second"));
    let regional = finding("regional-only", CIS_3_1);
    assert_eq!(
        regional["evidence"]["trails"][0]["home_region"],
        "eu-west-1"
    );
    assert!(regional["remediation"]
        .as_str()
        .unwrap()
        .contains("update-trail --region eu-west-1 --name eu-trail --is-multi-region-trail"));
    let regional_global = finding("regional-only", CT_005);
    assert!(regional_global["evidence"]["trails"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("in us-east-1 only"));
    assert!(regional_global["remediation"]
        .as_str()
        .unwrap()
        .contains("--is-multi-region-trail"));
    let stale = finding("stale-cloudwatch", CIS_3_4);
    assert!(stale["evidence"]["trails"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("hours before collection"));

    // The CSV has one row per finding plus one per account not audited.
    let mut csv = csv::Reader::from_path(out.join("findings.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let findings = report["findings"].as_array().unwrap().len();
    assert_eq!(rows.len(), findings + 1);
    assert!(rows
        .iter()
        .any(|r| &r[column("account_id")] == emulator.account("closed")
            && &r[column("status")] == "NOT_AUDITED"
            && !r[column("ou_path")].is_empty()));

    // The saved inventory re-evaluates offline to the same findings.
    let again = emulator.dir.path().join("again");
    let output = support::orgtrail()
        .args(["report", "--format", "json", "--inventory"])
        .arg(out.join("inventory.json"))
        .arg("--out")
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(
        read_json(&again.join("report.json"))["findings"],
        report["findings"]
    );

    // Every export, from a scan, passes the third-party readers: OCSF (py-ocsf-models), ASFF
    // (botocore's BatchImportFindings model), XLSX (openpyxl).
    let exports = emulator.dir.path().join("exports");
    let output = emulator.scan(
        &exports,
        &[
            "--external-id",
            "orgtrail-test",
            "--format",
            "ocsf,asff,xlsx",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let validated = support::validate("validate_ocsf.py", &[exports.join("findings.ocsf.jsonl")]);
    assert!(
        validated.status.success(),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );
    let asff: Vec<std::path::PathBuf> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("findings.asff-"))
        .collect();
    assert_eq!(
        asff.len(),
        report["findings"].as_array().unwrap().len().div_ceil(100)
    );
    let validated = support::validate("validate_asff.py", &asff);
    assert!(
        validated.status.success(),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );
    let workbook = support::read_back("read_xlsx.py", &exports.join("report.xlsx"));
    assert_eq!(
        workbook["findings"].as_array().unwrap().len(),
        report["findings"].as_array().unwrap().len() + 2,
        "a header, every finding and the closed account"
    );
}

#[test]
fn only_read_only_calls_are_made_and_an_account_with_one_trail_costs_five() {
    let emulator = Emulator::start("dozen");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--external-id", "orgtrail-test"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    let requests = emulator.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        let read_only = ["List", "Describe", "Get"]
            .iter()
            .any(|prefix| request.action.starts_with(prefix))
            || request.action == "AssumeRole";
        assert!(read_only, "orgtrail called {request:?}");
    }

    // The permissions the README and the audit-role template list are the ones orgtrail used.
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let role = std::fs::read_to_string(support::repo().join("examples/audit-role.yaml")).unwrap();
    for request in &requests {
        // IAM names one S3 action differently from its API operation.
        let action = match request.action.as_str() {
            "GetPublicAccessBlock" => "GetBucketPublicAccessBlock",
            action => action,
        };
        let permission = format!("{}:{action}", request.service);
        if permission != "sts:GetCallerIdentity" {
            assert!(
                readme.contains(&format!("`{permission}`")),
                "README lacks {permission}"
            );
        }
        if request.service == "cloudtrail" {
            assert!(
                role.contains(&format!("- {permission}\n")),
                "audit-role.yaml lacks {permission}"
            );
        }
    }

    let mut per_account: HashMap<&str, usize> = HashMap::new();
    for request in requests.iter().filter(|r| r.service == "cloudtrail") {
        *per_account.entry(request.account.as_str()).or_default() += 1;
    }
    // ListTrails, DescribeTrails, GetTrailStatus, GetEventSelectors; with its AssumeRole, five.
    assert_eq!(per_account[emulator.account("compliant")], 4);
    // Two trails: two more calls, never one per region.
    assert_eq!(per_account[emulator.account("duplicate-global")], 6);
    // No trail at all: ListTrails alone.
    assert_eq!(per_account[emulator.account("no-trails")], 1);
    // One AssumeRole per member that is audited (the closed account is not tried).
    let members_tried = emulator
        .account_names()
        .filter(|n| !matches!(*n, "management" | "closed"))
        .count();
    assert_eq!(
        requests.iter().filter(|r| r.action == "AssumeRole").count(),
        members_tried
    );
}

#[test]
fn an_organization_trail_covers_a_member_without_trails_of_its_own() {
    let emulator = Emulator::start("organization-trail");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let verdicts = verdicts(&emulator, &report);
    for rule in RULES {
        assert_eq!(verdicts["covered-by-org-trail"][rule], "PASS", "{rule}");
    }
    // The organization trail's bucket and key live in the management account: a member's audit
    // role cannot read them, and that is reported, not guessed.
    for rule in [
        "cloudtrail-log-bucket-not-public",
        "cloudtrail-log-bucket-access-logging",
        "cloudtrail-kms-key-rotation",
    ] {
        assert_eq!(verdicts["covered-by-org-trail"][rule], "ERROR", "{rule}");
        assert_eq!(verdicts["management"][rule], "PASS", "{rule}");
        let finding = finding_of(&emulator, &report, "covered-by-org-trail", rule);
        assert!(
            finding["evidence"]["summary"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("not verifiable"),
            "{finding}"
        );
    }
    let inventory = read_json(&out.join("inventory.json"));
    let member = inventory["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"]["id"] == emulator.account("covered-by-org-trail"))
        .unwrap();
    let trail = &member["trails"][0];
    assert_eq!(trail["is_organization_trail"], true);
    assert_eq!(trail["home_region"], "eu-central-1");
    assert!(trail["arn"]
        .as_str()
        .unwrap()
        .contains(":123456789012:trail/org-trail"));
}

#[test]
fn scoping_by_ou_accounts_and_exclusions_audits_only_what_was_asked() {
    let emulator = Emulator::start("dozen");

    // --ou walks nested OUs: Workloads holds regional-only, not-logging and the Prod OU.
    let out = emulator.dir.path().join("ou");
    let output = emulator.scan(
        &out,
        &[
            "--ou",
            emulator.unit("Workloads"),
            "--external-id",
            "orgtrail-test",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let mut names: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| emulator.name_of(a["id"].as_str().unwrap()))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "compliant",
            "external-id",
            "no-trails",
            "not-logging",
            "regional-only"
        ]
    );

    // --accounts without the external ID: the account whose trust policy asks for one is an ERROR;
    // --exclude-accounts lists the excluded account without auditing it.
    let out = emulator.dir.path().join("accounts");
    let wanted = format!(
        "{},{}",
        emulator.account("external-id"),
        emulator.account("compliant")
    );
    let output = emulator.scan(
        &out,
        &[
            "--accounts",
            &wanted,
            "--exclude-accounts",
            emulator.account("compliant"),
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["accounts"].as_array().unwrap().len(), 2);
    assert_eq!(
        audit_state(&report, emulator.account("external-id"))["state"],
        "error"
    );
    let excluded = audit_state(&report, emulator.account("compliant"));
    assert_eq!(excluded["state"], "skipped");
    assert!(excluded["reason"]
        .as_str()
        .unwrap()
        .contains("--exclude-accounts"));
}

#[test]
fn an_account_id_the_organization_does_not_list_is_a_clear_error() {
    let emulator = Emulator::start("organization-trail");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--accounts", "000000000000"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("000000000000 which the organization does not list"));
    assert!(!out.join("report.json").exists());
}

#[test]
fn shards_merged_report_exactly_what_one_scan_reports() {
    let emulator = Emulator::start("dozen");
    let dir = emulator.dir.path();
    let scan = |out: &str, extra: &[&str]| {
        let mut args = vec!["--external-id", "orgtrail-test"];
        args.extend_from_slice(extra);
        let output = emulator.scan(&dir.join(out), &args);
        // 3 where the shard holds the account whose role is missing.
        assert!(
            matches!(output.status.code(), Some(0 | 3)),
            "{}",
            stderr(&output)
        );
    };
    scan("whole", &[]);
    scan("shard-1", &["--shard", "1/2"]);
    scan("shard-2", &["--shard", "2/2"]);

    let accounts_of = |out: &str| -> Vec<String> {
        read_json(&dir.join(out).join("inventory.json"))["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["account"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, second) = (accounts_of("shard-1"), accounts_of("shard-2"));
    assert!(!first.is_empty() && !second.is_empty());
    assert!(
        first.iter().all(|id| !second.contains(id)),
        "shards overlap"
    );

    let output = support::orgtrail()
        .arg("merge")
        .arg(dir.join("shard-1"))
        .arg(dir.join("shard-2"))
        .arg("--out")
        .arg(dir.join("merged"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(dir.join("merged/inventory.json").is_file());

    // Everything but timings: the same accounts and the same findings, decided the same way.
    let decided = |out: &str| -> (Value, Vec<(String, String, String, String)>) {
        let report = read_json(&dir.join(out).join("report.json"));
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
    };
    assert_eq!(decided("merged"), decided("whole"));

    // A missing shard is refused, not silently reported as a smaller organization.
    let output = support::orgtrail()
        .arg("merge")
        .arg(dir.join("shard-2"))
        .args(["--out"])
        .arg(dir.join("partial"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("expected 1..=2 of 2 once each, got 2/2"),
        "{}",
        stderr(&output)
    );
}
