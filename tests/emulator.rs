//! orgtrail against a real AWS emulator (moto server, extended to AWS's documented behaviour by
//! tests/emulator/emulator.py).

use crate::support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::support::{audit_state, decided, read_json, stderr, Emulator};
use serde_json::Value;

const CIS_3_1: &str = "cloudtrail-multi-region-management-events";
const CIS_3_4: &str = "cloudtrail-cloudwatch-logs";
const CT_005: &str = "cloudtrail-global-service-events";
const CT_010: &str = "cloudtrail-management-events";
const SEED_RULES: [&str; 4] = [CIS_3_1, CIS_3_4, CT_005, CT_010];

/// The catalogue, in its order: the columns of the verdict table.
const RULES: [&str; 19] = [
    CIS_3_1,
    CIS_3_4,
    CT_005,
    CT_010,
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
    SCP_GUARDRAIL,
    CHANGES_ALARMED,
    "cloudtrail-logging-continuous",
];
const SCP_GUARDRAIL: &str = "cloudtrail-protected-by-scp";
const CHANGES_ALARMED: &str = "cloudtrail-changes-alarmed";

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
fn a_dozen_account_organization_gets_the_right_verdict_for_every_rule_and_account() {
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

    // One letter per rule, in RULES' order: Pass, Fail, Error. The seeds (emulator.py,
    // seed_dozen) decide them; the comments say why where it is not plain.
    let expected: &[(&str, &str)] = &[
        //                   CIS 3.1, CloudWatch, CT-005, CT-010, enabled, coverage,
        //                   validation, KMS, rotation, not public, access logs,
        //                   S3 writes, S3 reads, delivery, Insights, SNS, SCP guardrail
        //                   changes alarmed, continuous over the period (no change in it:
        //                   as CIS 3.1)
        // (SCPs on, FullAWSAccess everywhere and the guardrail attached to compliant alone:
        // every other member fails it; the management account is not restricted by SCPs and
        // passes as not applicable. Only the two accounts set up by the book alarm on trail
        // changes.)
        ("management", "PPPP PP PPPPP PPP PP PP P"),
        ("compliant", "PPPP PP PPPPP PPP PP PP P"),
        // No trail: nothing passes, not even "no public bucket".
        ("no-trails", "FFFF FF FFFFF FFF FF FF F"),
        // A single-Region trail in eu-west-1 with a log group: it misses us-east-1, where the
        // global service events are, and every other region; its bucket has no grants.
        ("regional-only", "FPFP PF PFFPF FFP FF FF F"),
        // Stopped: only its (private) bucket passes.
        ("not-logging", "FFFF FF FFFPF FFF FF FF F"),
        // Writes only, management and S3 objects; a key without rotation.
        ("write-only", "FFPP PF FPFPF PFP FF FF F"),
        // Reads and writes from two advanced selectors: a union that covers every region.
        ("advanced-union", "PFPP PP FFFPF FFP FF FF P"),
        // Last CloudWatch delivery 48 hours before collection; a public-read bucket.
        ("stale-cloudwatch", "PFPP PP FFFFF FFP FF FF P"),
        // Single-Region, in us-east-1, without global service events.
        ("no-global-events", "FFFP PF FFFPF FFP FF FF F"),
        // Two multi-Region trails (both carry global events: a warning); "first" failed to
        // deliver to S3.
        ("duplicate-global", "PFPP PP FFFPF FFF FF FF P"),
        // S3 objects, read and written, and no management events: so no global service events
        // either, and its log group carries no management events.
        ("data-events-only", "FFFF PF FFFPF PPP FF FF F"),
        // Its audit role is gone: every rule is an ERROR naming AssumeRole.
        ("role-missing", "EEEE EE EEEEE EEE EE EE E"),
        // Audited with the external ID its trust policy asks for; it has no trail.
        ("external-id", "FFFF FF FFFFF FFF FF FF F"),
    ];
    let verdicts = verdicts(&emulator, &report);
    for (account, letters) in expected {
        let letters: Vec<char> = letters.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(letters.len(), RULES.len(), "{account}: one letter per rule");
        let got = &verdicts[*account];
        assert_eq!(got.len(), RULES.len(), "{account}: one finding per rule");
        for (rule, letter) in RULES.iter().zip(letters) {
            let status = match letter {
                'P' => "PASS",
                'F' => "FAIL",
                _ => "ERROR",
            };
            assert_eq!(got[*rule], status, "{account} / {rule}");
        }
    }
    assert_eq!(
        verdicts.len(),
        expected.len(),
        "only the closed account has no findings"
    );

    // The table covers the whole catalogue.
    let catalogue = support::orgtrail()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let catalogue: Vec<String> = serde_json::from_slice::<Value>(&catalogue.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(catalogue, RULES);

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
        .contains("hours before this account was collected"));

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

    // The saved inventory re-evaluates offline to the same findings; the unaudited account was
    // the scan's news (its exit 3), rendering again succeeds.
    let again = emulator.dir.path().join("again");
    let output = support::orgtrail()
        .args(["report", "--format", "json", "--inventory"])
        .arg(out.join("inventory.json"))
        .arg("--out")
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
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
    // A record per finding and per account not audited (the closed one), 100 to a file.
    assert_eq!(
        asff.len(),
        (report["findings"].as_array().unwrap().len() + 1).div_ceil(100)
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
            || request.action == "AssumeRole"
            // CloudTrail's event history: a read (the API reference lists it with the reads).
            || request.action == "LookupEvents";
        assert!(read_only, "orgtrail called {request:?}");
    }

    // The permissions the README and the audit-role template list are exactly the ones orgtrail
    // needs: a scan scoped by OU too, for the calls only --ou makes.
    let scoped = emulator.dir.path().join("scoped");
    let output = emulator.scan(
        &scoped,
        &[
            "--ou",
            emulator.unit("Workloads"),
            "--external-id",
            "orgtrail-test",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for request in emulator.requests().iter().skip(requests.len()) {
        assert!(
            ["List", "Describe", "Get"]
                .iter()
                .any(|prefix| request.action.starts_with(prefix))
                || request.action == "AssumeRole"
                || request.action == "LookupEvents",
            "orgtrail called {request:?}"
        );
    }
    let permission = |request: &support::Request| {
        // IAM names one S3 action differently from its API operation (S3 API reference,
        // GetPublicAccessBlock: "you must have the s3:GetBucketPublicAccessBlock permission").
        let action = match request.action.as_str() {
            "GetPublicAccessBlock" => "GetBucketPublicAccessBlock",
            // ListBuckets: "you must have the s3:ListAllMyBuckets permission" (S3 API reference).
            "ListBuckets" => "ListAllMyBuckets",
            action => action,
        };
        format!("{}:{action}", request.service)
    };
    // A bucket whose owner neither its name nor its trail names is found by ListBuckets: the
    // Control Tower layout has one.
    let landing_zone = Emulator::start("control-tower");
    let output = landing_zone.scan(&landing_zone.dir.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let called: BTreeSet<String> = emulator
        .requests()
        .iter()
        .chain(landing_zone.requests().iter())
        .map(permission)
        // "No permissions are required to perform this operation" (STS API reference).
        .filter(|p| p != "sts:GetCallerIdentity")
        .collect();
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let section = readme
        .split("### Permissions")
        .nth(1)
        .and_then(|rest| rest.split("\n#").next())
        .expect("README has a Permissions section");
    let listed: BTreeSet<String> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| quoted.contains(':') && !quoted.contains(' '))
        .map(str::to_string)
        .collect();
    assert_eq!(
        listed.difference(&called).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "the README lists permissions orgtrail never uses"
    );
    assert_eq!(
        called.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "orgtrail uses permissions the README does not list"
    );
    // The member role: what orgtrail reads inside an account, CloudTrail, S3 and KMS.
    let role = std::fs::read_to_string(support::repo().join("examples/audit-role.yaml")).unwrap();
    let granted: BTreeSet<String> = role
        .split("Policies:")
        .nth(1)
        .expect("audit-role.yaml has Policies")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- "))
        .filter(|item| item.contains(':') && !item.contains(' '))
        .map(str::to_string)
        .collect();
    let read_in_members: BTreeSet<String> = called
        .iter()
        .filter(|p| {
            ["cloudtrail:", "s3:", "kms:", "logs:", "cloudwatch:", "sns:"]
                .iter()
                .any(|s| p.starts_with(s))
        })
        .cloned()
        .collect();
    assert_eq!(
        granted.difference(&read_in_members).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "audit-role.yaml grants permissions orgtrail never uses"
    );
    assert_eq!(
        read_in_members.difference(&granted).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "orgtrail uses permissions audit-role.yaml does not grant"
    );
    for service in [
        "organizations",
        "sts",
        "cloudtrail",
        "s3",
        "kms",
        "logs",
        "cloudwatch",
        "sns",
    ] {
        assert!(
            called.iter().any(|p| p.starts_with(&format!("{service}:"))),
            "no {service} call was made: the check above proves nothing for it"
        );
    }

    let mut per_account: HashMap<&str, usize> = HashMap::new();
    for request in requests
        .iter()
        .filter(|r| r.service == "cloudtrail" && r.action != "LookupEvents")
    {
        *per_account.entry(request.account.as_str()).or_default() += 1;
    }
    // ListTrails, DescribeTrails, GetTrailStatus, GetEventSelectors; with its AssumeRole, five.
    assert_eq!(per_account[emulator.account("compliant")], 4);
    // Two trails: two more calls, never one per region.
    assert_eq!(per_account[emulator.account("duplicate-global")], 6);
    // No trail at all: ListTrails alone.
    assert_eq!(per_account[emulator.account("no-trails")], 1);
    // The period's history: in each of the 17 audited regions, one lookup of CloudTrail's event
    // source, whose one page holds every CloudTrail event of these quiet regions
    // (duplicate-global's second trail is homed in ap-southeast-2, an audited region).
    for account in ["compliant", "duplicate-global", "no-trails"] {
        let lookups: Vec<_> = requests
            .iter()
            .filter(|r| r.action == "LookupEvents" && r.account == emulator.account(account))
            .collect();
        assert_eq!(lookups.len(), 17, "{account}");
        assert!(
            lookups
                .iter()
                .all(|r| r.lookup_attribute.as_deref()
                    == Some("EventSource=cloudtrail.amazonaws.com")),
            "{account}: {lookups:?}"
        );
    }
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
    for rule in SEED_RULES {
        assert_eq!(verdicts["covered-by-org-trail"][rule], "PASS", "{rule}");
    }
    // The organization trail's bucket and key live in the management account: a member's audit
    // role could not read them, so they are read there, as their owner, and judged.
    for rule in [
        "cloudtrail-log-bucket-not-public",
        "cloudtrail-log-bucket-access-logging",
        "cloudtrail-kms-key-rotation",
    ] {
        assert_eq!(verdicts["covered-by-org-trail"][rule], "PASS", "{rule}");
        assert_eq!(verdicts["management"][rule], "PASS", "{rule}");
        let finding = finding_of(&emulator, &report, "covered-by-org-trail", rule);
        assert!(
            finding["evidence"]["trails"][0]["detail"]
                .as_str()
                .unwrap()
                .ends_with("(read as its owner, account 123456789012)"),
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
    // One audit period for every run, as a month's shards would be given: the default ends at
    // each scan's own start.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let period = format!("{}..{yesterday}", yesterday - chrono::Duration::days(29));
    let scan = |out: &str, extra: &[&str]| {
        let mut args = vec!["--external-id", "orgtrail-test", "--period", &period];
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
    assert_eq!(decided(&dir.join("merged")), decided(&dir.join("whole")));

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

// --- Verdicts true to AWS as it behaves today (issue 14) ------------------------------------
// Each test seeds one AWS set-up next to accounts that must be audited as usual.

const VALIDATION: &str = "cloudtrail-log-file-validation";
const KMS: &str = "cloudtrail-kms-encryption";
const DELIVERY: &str = "cloudtrail-s3-delivery-healthy";
const ENABLED: &str = "cloudtrail-enabled";

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// Scan and read report.json, checking the exit code.
fn scanned(emulator: &Emulator, out: &str, extra: &[&str], code: i32) -> Value {
    let out = emulator.dir.path().join(out);
    let period = one_period();
    let mut extra = extra.to_vec();
    extra.extend(["--period", &period]);
    let output = emulator.scan(&out, &extra);
    assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
    read_json(&out.join("report.json"))
}

/// The same audit period for every scan a test compares (the default ends at each scan's start):
/// the 30 days up to today, 00:00 UTC.
fn one_period() -> String {
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    format!("{}..{yesterday}", yesterday - chrono::Duration::days(29))
}

/// One account's findings as (rule, status, summary): how it was decided, without timings, and
/// with the account's id (which the emulator draws at random, in bucket names) left out.
fn decisions(report: &Value, account_id: &str) -> Vec<(String, String, String)> {
    let mut decided: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["account_id"] == account_id)
        .map(|f| {
            (
                text(&f["rule_id"]).to_string(),
                text(&f["status"]).to_string(),
                text(&f["evidence"]["summary"]).replace(account_id, "<account>"),
            )
        })
        .collect();
    decided.sort();
    assert!(!decided.is_empty(), "no findings for {account_id}");
    decided
}

fn inventory_trail<'a>(inventory: &'a Value, account_id: &str, trail: &str) -> &'a Value {
    inventory["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"]["id"] == account_id)
        .and_then(|a| {
            a["trails"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == trail)
        })
        .unwrap_or_else(|| panic!("no trail {trail} in {account_id}'s inventory"))
}

#[test]
fn global_service_events_reach_only_multi_region_trails_and_trails_homed_in_us_east_1() {
    let emulator = Emulator::start("global-events");
    let report = scanned(&emulator, "out", &[], 0);
    let decided = verdicts(&emulator, &report);
    for (account, expected) in [
        ("management", "PASS"),
        ("compliant", "PASS"),
        ("eu-single-region", "FAIL"),
        ("us-east-1-single-region", "PASS"),
        ("no-management-events", "FAIL"),
        ("carrier-and-eu-regional", "PASS"),
    ] {
        assert_eq!(decided[account][CT_005], expected, "{account}");
    }
    let finding = |account: &str| finding_of(&emulator, &report, account, CT_005);
    let eu = finding("eu-single-region");
    let detail = text(&eu["evidence"]["trails"][0]["detail"]);
    assert!(
        detail.contains("single-region trail homed in eu-west-1")
            && detail.contains("in us-east-1 only"),
        "{detail}"
    );
    assert!(
        text(&eu["remediation"])
            .contains("update-trail --region eu-west-1 --name eu-trail --is-multi-region-trail"),
        "{eu}"
    );
    let data = finding("no-management-events");
    assert!(
        text(&data["evidence"]["trails"][0]["detail"]).contains("no global service events either")
    );
    // The regional trail outside us-east-1 is no second carrier.
    let carrier = finding("carrier-and-eu-regional");
    assert_eq!(carrier["evidence"]["warnings"], serde_json::json!([]));

    // With us-east-1 left out of --regions, the us-east-1 trail still carries the account's
    // global service events: collected, and counted.
    let out = emulator.dir.path().join("eu-only");
    let output = emulator.scan(&out, &["--regions", "eu-west-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let decided = verdicts(&emulator, &report);
    assert_eq!(decided["us-east-1-single-region"][CT_005], "PASS");
    assert_eq!(decided["eu-single-region"][CT_005], "FAIL");
    assert_eq!(decided["compliant"][CT_005], "PASS");
    let inventory = read_json(&out.join("inventory.json"));
    let trail = inventory_trail(
        &inventory,
        emulator.account("us-east-1-single-region"),
        "use1-trail",
    );
    assert_eq!(trail["home_region"], "us-east-1");
}

#[test]
fn cloudwatch_counts_on_the_management_events_trail_and_a_delivery_error_is_a_warning_everywhere() {
    let emulator = Emulator::start("cloudwatch");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--format", "html,csv,md,json,ocsf,asff,xlsx"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let verdicts = verdicts(&emulator, &report);
    for (account, expected) in [
        ("management", "PASS"),
        ("compliant", "PASS"),
        ("logs-on-data-trail", "FAIL"),
        ("fresh-with-error", "PASS"),
        ("stale-with-error", "FAIL"),
    ] {
        assert_eq!(verdicts[account][CIS_3_4], expected, "{account}");
    }
    let split = finding_of(&emulator, &report, "logs-on-data-trail", CIS_3_4);
    let data = split["evidence"]["trails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "data")
        .unwrap();
    assert!(
        text(&data["detail"]).contains("records no management events"),
        "{data}"
    );
    assert!(
        text(&split["remediation"]).contains("--name management --cloud-watch-logs-log-group-arn"),
        "{split}"
    );
    let stale = finding_of(&emulator, &report, "stale-with-error", CIS_3_4);
    assert!(text(&stale["evidence"]["trails"][0]["detail"]).contains("ResourceNotFoundException"));

    // The passing finding's warning, in every format.
    let fresh = finding_of(&emulator, &report, "fresh-with-error", CIS_3_4);
    let warning = text(&fresh["evidence"]["warnings"][0]).to_string();
    assert!(
        warning.contains("AccessDeniedException: role cannot write"),
        "{warning}"
    );
    let needle = "AccessDeniedException: role cannot write to the log group";
    // report.html's account sections are each account's page now.
    let page = format!("accounts/{}.html", emulator.account("fresh-with-error"));
    for file in [
        page.as_str(),
        "findings.csv",
        "report.md",
        "findings.ocsf.jsonl",
    ] {
        let written = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(written.contains(needle), "{file} lacks the warning");
    }
    let asff: String = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("findings.asff-"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(asff.contains(needle), "ASFF lacks the warning");
    let workbook = support::read_back("read_xlsx.py", &out.join("report.xlsx"));
    assert!(
        workbook["findings"].to_string().contains(needle),
        "the workbook lacks the warning"
    );
}

#[test]
fn one_unreadable_trail_does_not_sink_the_account_and_every_other_account_is_audited_as_usual() {
    let calm = Emulator::start("partial");
    let calm_report = scanned(&calm, "out", &[], 0);
    let emulator = Emulator::start_with(
        "partial",
        &[
            "--deny-trail",
            "second-denied:GetEventSelectors:second",
            "--deny-trail",
            "only-trail-denied:GetEventSelectors:main",
            "--deny-trail",
            "status-denied:GetTrailStatus:second",
            "--delete-trail-after",
            "deleted-mid-scan:DescribeTrails:second",
        ],
    );
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--period", &one_period()]);
    // Every account audited: exit 0, not 3.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let inventory = read_json(&out.join("inventory.json"));
    for account in emulator.account_names() {
        assert_eq!(
            audit_state(&report, emulator.account(account))["state"],
            "audited",
            "{account}"
        );
    }
    let verdicts = verdicts(&emulator, &report);
    let summary = |account: &str, rule: &str| {
        text(&finding_of(&emulator, &report, account, rule)["evidence"]["summary"]).to_string()
    };

    // The compliant multi-region trail was read: what it proves stands.
    for rule in SEED_RULES {
        assert_eq!(
            verdicts["second-denied"][rule], "PASS",
            "second-denied {rule}"
        );
    }
    let second = inventory_trail(&inventory, emulator.account("second-denied"), "second");
    assert_eq!(second["unread"][0]["call"], "GetEventSelectors");
    assert!(text(&second["unread"][0]["error"]).contains("AccessDeniedException"));

    // The only trail's selectors denied: what depends on them is ERROR naming trail and call.
    for rule in [CIS_3_1, CT_010, CT_005, CIS_3_4] {
        assert_eq!(
            verdicts["only-trail-denied"][rule], "ERROR",
            "only-trail-denied {rule}"
        );
        let summary = summary("only-trail-denied", rule);
        assert!(
            summary.contains("main") && summary.contains("cloudtrail:GetEventSelectors"),
            "{rule}: {summary}"
        );
    }
    // What DescribeTrails and GetTrailStatus said still decides.
    assert_eq!(verdicts["only-trail-denied"][VALIDATION], "PASS");
    assert_eq!(verdicts["only-trail-denied"][ENABLED], "PASS");

    // A second trail's status denied: "every logging trail delivers" depends on it.
    assert_eq!(verdicts["status-denied"][DELIVERY], "ERROR");
    let delivery = summary("status-denied", DELIVERY);
    assert!(
        delivery.contains("second") && delivery.contains("cloudtrail:GetTrailStatus"),
        "{delivery}"
    );
    assert_eq!(verdicts["status-denied"][CIS_3_1], "PASS");

    // A trail deleted between DescribeTrails and its status: AWS's TrailNotFoundException.
    let doomed = inventory_trail(&inventory, emulator.account("deleted-mid-scan"), "second");
    assert!(
        text(&doomed["unread"][0]["error"]).contains("TrailNotFoundException"),
        "{doomed}"
    );
    assert_eq!(verdicts["deleted-mid-scan"][CIS_3_1], "PASS");
    assert_eq!(verdicts["deleted-mid-scan"][DELIVERY], "ERROR");

    // Nobody else noticed.
    for account in ["management", "compliant"] {
        assert_eq!(
            decisions(&report, emulator.account(account)),
            decisions(&calm_report, calm.account(account)),
            "{account}"
        );
    }
}

#[test]
fn a_trail_listed_but_not_described_is_recorded_with_the_reason_and_decides_nothing_it_cannot() {
    let calm = Emulator::start("partial");
    let calm_report = scanned(&calm, "out", &[], 0);
    // Deleted once ListTrails has named it: DescribeTrails then leaves it out, without an error.
    let emulator = Emulator::start_with(
        "partial",
        &[
            "--delete-trail-after",
            "listed-not-described:ListTrails:second",
        ],
    );
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--period", &one_period()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let inventory = read_json(&out.join("inventory.json"));
    let account = emulator.account("listed-not-described");
    let ghost = inventory_trail(&inventory, account, "second");
    assert_eq!(ghost["unread"][0]["call"], "DescribeTrails");
    assert!(text(&ghost["unread"][0]["error"]).contains("cloudtrail:ListTrails named"));
    assert_eq!(ghost["home_region"], "eu-west-1");

    let verdicts = verdicts(&emulator, &report);
    // What the described trail proves stands; "every trail" rules wait on the other.
    for rule in SEED_RULES {
        assert_eq!(verdicts["listed-not-described"][rule], "PASS", "{rule}");
    }
    for rule in [VALIDATION, KMS] {
        assert_eq!(verdicts["listed-not-described"][rule], "ERROR", "{rule}");
        let finding = finding_of(&emulator, &report, "listed-not-described", rule);
        let summary = text(&finding["evidence"]["summary"]);
        assert!(
            summary.contains("second") && summary.contains("DescribeTrails"),
            "{summary}"
        );
    }
    // Nothing was asked about a trail that could not be described.
    assert!(!emulator.requests().iter().any(|r| r.account == account
        && matches!(r.action.as_str(), "GetTrailStatus" | "GetEventSelectors")
        && r.region == "eu-west-1"));
    for other in ["management", "compliant", "second-denied"] {
        assert_eq!(
            decisions(&report, emulator.account(other)),
            decisions(&calm_report, calm.account(other)),
            "{other}"
        );
    }
}

#[test]
fn a_scan_from_an_opt_in_region_lists_every_members_trails_in_a_region_they_all_have() {
    // Only the caller (the management account) has enabled me-central-1.
    let emulator = Emulator::start_with(
        "dozen",
        &[
            "--refuse-disabled-opt-in-regions",
            "--enable-opt-in-region",
            "management:me-central-1",
        ],
    );
    let baseline = scanned(
        &emulator,
        "us-east-1",
        &["--external-id", "orgtrail-test"],
        3,
    );
    let out = emulator.dir.path().join("me-central-1");
    let output = emulator
        .scan_command(&out, &["--external-id", "orgtrail-test"])
        .env("AWS_REGION", "me-central-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    // The same verdicts as from us-east-1: no member lost to UnrecognizedClientException.
    assert_eq!(verdicts(&emulator, &report), verdicts(&emulator, &baseline));
    let missing = audit_state(&report, emulator.account("role-missing"));
    assert!(
        text(&missing["error"]).contains("AccessDenied"),
        "{missing}"
    );
    // Every account's listing went to us-east-1.
    for request in emulator
        .requests()
        .iter()
        .filter(|r| matches!(r.action.as_str(), "ListTrails" | "DescribeTrails"))
    {
        assert_eq!(request.region, "us-east-1", "{request:?}");
    }

    // And the test has teeth: the emulator refuses a member's request signed for me-central-1,
    // as AWS does, and answers the same request signed for us-east-1.
    let probe = |region: &str| {
        let output = support::run_python(
            "probe_region.py",
            &[&emulator.endpoint, emulator.account("compliant"), region],
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    assert_eq!(probe("me-central-1"), "UnrecognizedClientException");
    assert_eq!(probe("us-east-1"), "ok");
}

#[test]
fn an_organization_trail_members_do_not_list_still_covers_them_and_is_read_once_as_its_owner() {
    let emulator = Emulator::start_with(
        "organization-trail",
        &["--hide-organization-trails-from-member-listings"],
    );
    let report = scanned(&emulator, "out", &[], 0);
    let verdicts = verdicts(&emulator, &report);
    for member in ["covered-by-org-trail", "also-covered", "covered-too"] {
        for rule in SEED_RULES {
            assert_eq!(verdicts[member][rule], "PASS", "{member} {rule}");
        }
    }
    let management = emulator.account("management");
    for action in ["GetTrailStatus", "GetEventSelectors"] {
        let reads: Vec<_> = emulator
            .requests()
            .into_iter()
            .filter(|r| r.action == action)
            .collect();
        assert_eq!(reads.len(), 1, "{action}: {reads:?}");
        assert_eq!(reads[0].account, management, "{action} read as the owner");
    }
}

#[test]
fn from_a_delegated_administrator_without_the_audit_role_in_the_management_account() {
    let emulator = Emulator::start("delegated-admin");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan_as("delegated-admin", &out, &[]);
    // The management account cannot be entered: exit 3, and it is named.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        report["caller_arn"].as_str().unwrap().split(':').nth(4),
        Some(emulator.account("delegated-admin"))
    );
    let management = audit_state(&report, emulator.account("management"));
    assert_eq!(management["state"], "error");
    assert!(
        text(&management["error"]).contains("AccessDenied"),
        "{management}"
    );

    let verdicts = verdicts(&emulator, &report);
    for member in ["org-trail-only", "also-org-trail-only", "delegated-admin"] {
        assert_eq!(
            audit_state(&report, emulator.account(member))["state"],
            "audited"
        );
        for rule in SEED_RULES {
            assert_eq!(verdicts[member][rule], "ERROR", "{member} {rule}");
        }
        let finding = finding_of(&emulator, &report, member, CIS_3_1);
        let summary = text(&finding["evidence"]["summary"]);
        assert!(
            summary.contains("org-trail") && summary.contains("management account 123456789012"),
            "{summary}"
        );
        let fix = text(&finding["remediation"]);
        assert!(
            fix.contains("deploy the audit role to the management account 123456789012"),
            "{fix}"
        );
        // What the member's DescribeTrails showed of the organization trail is still judged.
        assert_eq!(verdicts[member][VALIDATION], "PASS", "{member}");
    }
    // A member's own trail still proves what it proves.
    for rule in SEED_RULES {
        assert_eq!(verdicts["own-trail"][rule], "PASS", "own-trail {rule}");
    }
    // No member was asked for the organization trail's status or selectors (AWS refuses them).
    let org_trail_reads = emulator
        .requests()
        .into_iter()
        .filter(|r| matches!(r.action.as_str(), "GetTrailStatus" | "GetEventSelectors"))
        .filter(|r| r.account != emulator.account("own-trail"))
        .count();
    assert_eq!(org_trail_reads, 0);
}

#[test]
fn from_a_delegated_administrator_with_the_audit_role_in_the_management_account() {
    let emulator = Emulator::start("delegated-admin-role-in-management");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan_as("delegated-admin", &out, &["--period", &one_period()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let as_admin = read_json(&out.join("report.json"));
    let reads_as_admin: Vec<String> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.action == "GetEventSelectors")
        .map(|r| r.account)
        .collect();
    // The organization trail was read once, inside the management account.
    let management = emulator.account("management").to_string();
    assert_eq!(
        reads_as_admin.iter().filter(|a| **a == management).count(),
        1,
        "{reads_as_admin:?}"
    );
    // Exactly what a run from the management account finds.
    let as_management = scanned(&emulator, "as-management", &[], 0);
    for account in emulator.account_names() {
        let id = emulator.account(account);
        assert_eq!(
            decisions(&as_admin, id),
            decisions(&as_management, id),
            "{account}"
        );
    }
}

#[test]
fn a_delivery_fresh_when_the_scan_started_but_stale_when_its_account_was_read_fails() {
    // read-late's CloudWatch delivery turns 24 hours old one second after its first CloudTrail
    // call arrives (the scan had started before that call), and each of its CloudTrail answers
    // is held back 4 s: its status is read at least 8 s after that call. Orderings, which a
    // loaded machine cannot undo.
    let emulator = Emulator::start_with(
        "cloudwatch",
        &[
            "--cloudwatch-stale-once-called",
            "read-late",
            "--slow",
            "read-late:4",
        ],
    );
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let inventory = read_json(&out.join("inventory.json"));
    let account = emulator.account("read-late");
    let stamp = |value: &Value| {
        chrono::DateTime::parse_from_rfc3339(text(value))
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let run_started = stamp(&inventory["collected_at"]);
    let entry = inventory["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"]["id"] == account)
        .unwrap();
    let collected = stamp(&entry["collected_at"]);
    let delivered = stamp(&entry["trails"][0]["status"]["latest_cloudwatch_logs_delivery_time"]);
    // Fresh against the run's start, stale against the account's own time.
    assert!(
        run_started - delivered < chrono::Duration::hours(24),
        "the premise did not hold"
    );
    assert!(collected - delivered > chrono::Duration::hours(24));

    let verdicts = verdicts(&emulator, &report);
    assert_eq!(verdicts["read-late"][CIS_3_4], "FAIL");
    assert_eq!(verdicts["compliant"][CIS_3_4], "PASS");
    let finding = finding_of(&emulator, &report, "read-late", CIS_3_4);
    let detail = text(&finding["evidence"]["trails"][0]["detail"]);
    assert!(
        detail.contains("24 hours before this account was collected")
            && detail.contains(text(&entry["collected_at"]).split('.').next().unwrap()),
        "{detail}"
    );
}

#[test]
fn selectors_with_values_fields_or_operators_orgtrail_does_not_know_count_as_not_recording() {
    let emulator = Emulator::start("unknown-selectors");
    let report = scanned(&emulator, "out", &[], 0);
    let verdicts = verdicts(&emulator, &report);
    for rule in SEED_RULES {
        assert_eq!(verdicts["compliant"][rule], "PASS", "compliant {rule}");
    }
    for (account, named) in [
        ("unknown-read-write-type", "'ReadAndSomeWrites'"),
        ("unknown-field", "field eventName"),
        ("read-only-starts-with", "readOnly with StartsWith"),
        ("unknown-operator", "no operator orgtrail recognises"),
    ] {
        for rule in [CIS_3_1, CT_010] {
            assert_eq!(verdicts[account][rule], "FAIL", "{account} {rule}");
            let finding = finding_of(&emulator, &report, account, rule);
            let detail = text(&finding["evidence"]["trails"][0]["detail"]);
            assert!(detail.contains(named), "{account} {rule}: {detail}");
        }
    }
}

/// The findings of one rule for one account: its status, summary and each trail's detail.
fn rule_evidence(
    emulator: &Emulator,
    report: &Value,
    account: &str,
    rule: &str,
) -> (String, String) {
    let finding = finding_of(emulator, report, account, rule);
    let details: Vec<&str> = finding["evidence"]["trails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| text(&t["detail"]))
        .collect();
    (
        text(&finding["status"]).to_string(),
        format!(
            "{} | {}",
            text(&finding["evidence"]["summary"]),
            details.join(" | ")
        ),
    )
}

const BUCKET_RULES: [&str; 2] = [
    "cloudtrail-log-bucket-not-public",
    "cloudtrail-log-bucket-access-logging",
];
const KEY_ROTATION: &str = "cloudtrail-kms-key-rotation";

#[test]
fn a_control_tower_landing_zone_is_judged_on_buckets_and_keys_read_as_their_owners() {
    let emulator = Emulator::start("control-tower");
    let report = scanned(&emulator, "out", &[], 0);
    let verdicts = verdicts(&emulator, &report);
    let log_archive = emulator.account("log-archive").to_string();
    let central = emulator.account("central-logging").to_string();
    let management = emulator.account("management").to_string();

    // The organization trail's bucket lives in the Log Archive, its key in the management
    // account: every member covered only by it passes on data read there, said so.
    for member in [
        "management",
        "log-archive",
        "audit",
        "workload-a",
        "workload-b",
        "central-logging",
    ] {
        for rule in BUCKET_RULES {
            let (status, evidence) = rule_evidence(&emulator, &report, member, rule);
            assert_eq!(status, "PASS", "{member} {rule}: {evidence}");
            assert!(
                evidence.contains(&format!("read as its owner, account {log_archive}")),
                "{member} {rule}: {evidence}"
            );
            assert!(
                evidence.contains("[the trail AWS Control Tower deployed]"),
                "{evidence}"
            );
        }
        let (status, evidence) = rule_evidence(&emulator, &report, member, KEY_ROTATION);
        assert_eq!(status, "PASS", "{member}: {evidence}");
        assert!(evidence.contains(&format!("read as its owner, account {management}")));
    }

    // A member writing to another member's bucket, with that member's key: judged on what the
    // owner's access read (no access logging, no rotation there).
    let (status, evidence) = rule_evidence(
        &emulator,
        &report,
        "shared-writer",
        "cloudtrail-log-bucket-access-logging",
    );
    assert_eq!(status, "FAIL", "{evidence}");
    assert!(evidence.contains(&format!(
        "shared-trail-logs: server access logging off (read as its owner, account {central})"
    )));
    assert_eq!(
        verdicts["shared-writer"]["cloudtrail-log-bucket-not-public"],
        "PASS"
    );
    let (status, evidence) = rule_evidence(&emulator, &report, "shared-writer", KEY_ROTATION);
    assert_eq!(status, "FAIL", "{evidence}");
    assert!(evidence.contains(&format!(
        "automatic rotation off (read as its owner, account {central})"
    )));

    // A member's own public bucket fails, read as itself.
    let (status, evidence) = rule_evidence(
        &emulator,
        &report,
        "public-bucket",
        "cloudtrail-log-bucket-not-public",
    );
    assert_eq!(status, "FAIL", "{evidence}");
    assert!(evidence.contains("everyone (AllUsers): READ"), "{evidence}");

    // A bucket outside the organization is the one ERROR: its owner named, the refused call, the
    // statement to add.
    let organization = text(&report["organization"]["id"]).to_string();
    for rule in BUCKET_RULES {
        let (status, evidence) = rule_evidence(&emulator, &report, "outside-writer", rule);
        assert_eq!(status, "ERROR", "{rule}: {evidence}");
        for words in [
            format!("vendor-logs-999999999999: not verifiable: its owner is an account outside organization {organization} (its name suggests account 999999999999)"),
            "s3:GetBucketLocation on vendor-logs-999999999999 access denied (AccessDenied)".to_string(),
            "add this statement to the bucket policy of vendor-logs-999999999999".to_string(),
            format!("\"Principal\":{{\"AWS\":\"arn:aws:iam::{}:role/OrganizationAccountAccessRole\"}}", emulator.account("outside-writer")),
        ] {
            assert!(evidence.contains(&words), "{rule}: missing «{words}» in {evidence}");
        }
    }

    // The call budget: each bucket and key read once, as its owner; owners found with at most one
    // ListBuckets per account; nobody entered twice; no account outside the organization tried.
    let requests = emulator.requests();
    let count = |action: &str| requests.iter().filter(|r| r.action == action).count();
    let accounts = emulator.account_names().count();
    // Each bucket's configuration read once (the outside one refused before it).
    for action in [
        "GetPublicAccessBlock",
        "GetBucketPolicyStatus",
        "GetBucketAcl",
        "GetBucketLogging",
    ] {
        assert_eq!(count(action), 3, "{action}");
    }
    // GetBucketLocation is also how a likely owner is asked (ExpectedBucketOwner as itself):
    // the Log Archive's and the public member's buckets answered their first ask; the shared
    // bucket's writer and the outside bucket's writer were refused, the owner of one then found
    // by ListBuckets; the outside one read again with the writer's own access, refused again.
    assert_eq!(count("GetBucketLocation"), 6);
    assert_eq!(count("GetKeyRotationStatus"), 2, "two distinct keys");
    let key_readers: BTreeSet<&str> = requests
        .iter()
        .filter(|r| r.action == "GetKeyRotationStatus")
        .map(|r| r.account.as_str())
        .collect();
    assert_eq!(
        key_readers,
        BTreeSet::from([management.as_str(), central.as_str()])
    );
    let mut listings: HashMap<&str, usize> = HashMap::new();
    for r in requests.iter().filter(|r| r.action == "ListBuckets") {
        *listings.entry(r.account.as_str()).or_default() += 1;
    }
    assert!(listings.values().all(|n| *n == 1), "{listings:?}");
    // Every member was listed once here: the outside bucket is owned by none of them.
    assert_eq!(listings.len(), accounts, "{listings:?}");
    assert!(listings.contains_key(log_archive.as_str()));
    assert_eq!(
        count("AssumeRole"),
        accounts - 1,
        "each member entered once"
    );
    let mut refused: Vec<(&str, &str)> = requests
        .iter()
        .filter(|r| r.fault.is_some())
        .map(|r| (emulator.name_of(&r.account), r.action.as_str()))
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        [
            ("outside-writer", "GetBucketLocation"),
            ("outside-writer", "GetBucketLocation"),
            ("shared-writer", "GetBucketLocation"),
        ]
    );
}

#[test]
fn the_scp_guardrail_protects_the_ou_it_is_attached_to_names_the_exempt_role_and_reads_each_policy_once(
) {
    let emulator = Emulator::start("guardrails");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    // Findings failed, every account audited: exit 0 (exit codes: src/failure.rs).
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let verdicts = verdicts(&emulator, &report);
    let scp = |account: &str| verdicts[account][SCP_GUARDRAIL].as_str();
    // Guarded/Inner inherits the Deny attached to Guarded, two levels up.
    assert_eq!(scp("guarded"), "PASS");
    assert_eq!(scp("guarded-too"), "PASS");
    let guarded = finding_of(&emulator, &report, "guarded", SCP_GUARDRAIL);
    let summary = guarded["evidence"]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("OU {}", emulator.unit("Guarded")))
            && summary.contains("except for principals arn:aws:iam::*:role/TrailAdmin"),
        "{summary}"
    );
    // FullAWSAccess alone, at every level of Open's path.
    assert_eq!(scp("open"), "FAIL");
    let open = finding_of(&emulator, &report, "open", SCP_GUARDRAIL);
    assert!(open["remediation"]
        .as_str()
        .unwrap()
        .contains(r#""ArnNotLike":{"aws:PrincipalArn""#));
    // A Deny that holds only for principals without a tag: not counted, not guessed.
    assert_eq!(scp("tagged"), "ERROR");
    assert!(
        finding_of(&emulator, &report, "tagged", SCP_GUARDRAIL)["evidence"]["summary"]
            .as_str()
            .unwrap()
            .contains("aws:PrincipalTag/team")
    );
    // SCPs never restrict the management account: its finding says so, and it is no failure.
    assert_eq!(scp("management"), "PASS");
    assert!(
        finding_of(&emulator, &report, "management", SCP_GUARDRAIL)["evidence"]["summary"]
            .as_str()
            .unwrap()
            .contains("management account, which service control policies never restrict")
    );

    // The call budget: one ListPoliciesForTarget per root, OU and member on the audited paths
    // (root, Guarded, Inner, Open, Tagged, and four members), one DescribePolicy per distinct
    // policy (FullAWSAccess and the two guardrails), all from the caller.
    let requests = emulator.requests();
    let count = |action: &str| requests.iter().filter(|r| r.action == action).count();
    assert_eq!(count("ListPoliciesForTarget"), 5 + 4);
    assert_eq!(count("DescribePolicy"), 3);
    assert!(requests
        .iter()
        .filter(|r| r.action == "ListPoliciesForTarget" || r.action == "DescribePolicy")
        .all(|r| r.account == emulator.account("management")));
}

#[test]
fn changes_are_alarmed_only_through_a_filter_an_alarm_and_a_confirmed_subscriber() {
    let emulator = Emulator::start("alarms");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let verdicts = verdicts(&emulator, &report);
    let detail = |account: &str| {
        let finding = finding_of(&emulator, &report, account, CHANGES_ALARMED);
        finding["evidence"]["trails"][0]["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(verdicts["alarmed"][CHANGES_ALARMED], "PASS");
    assert!(
        detail("alarmed").contains("alarm cloudtrail-changes → topic")
            && detail("alarmed").contains("1 confirmed subscription"),
        "{}",
        detail("alarmed")
    );
    assert_eq!(verdicts["filter-only"][CHANGES_ALARMED], "FAIL");
    assert!(
        detail("filter-only")
            .contains("no alarm watches its metric CISBenchmark/CloudTrailChanges"),
        "{}",
        detail("filter-only")
    );
    // An email subscriber who never confirmed receives nothing (SNS answers PendingConfirmation).
    assert_eq!(verdicts["unsubscribed"][CHANGES_ALARMED], "FAIL");
    assert!(
        detail("unsubscribed").contains("has no confirmed subscription (1 pending)"),
        "{}",
        detail("unsubscribed")
    );
    assert_eq!(verdicts["misses-stop"][CHANGES_ALARMED], "FAIL");
    assert!(
        detail("misses-stop").contains("no alarmed metric filter catches StopLogging"),
        "{}",
        detail("misses-stop")
    );
    let remediation = finding_of(&emulator, &report, "filter-only", CHANGES_ALARMED)["remediation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        remediation.contains("($.eventName = StopLogging)"),
        "{remediation}"
    );
}

#[test]
fn a_scan_that_excludes_the_log_archive_still_reads_its_bucket_there_and_says_so() {
    let emulator = Emulator::start("control-tower");
    let log_archive = emulator.account("log-archive").to_string();
    let report = scanned(&emulator, "out", &["--exclude-accounts", &log_archive], 0);
    for rule in BUCKET_RULES {
        let (status, evidence) = rule_evidence(&emulator, &report, "workload-a", rule);
        assert_eq!(status, "PASS", "{evidence}");
        assert!(evidence.contains(&format!("read as its owner, account {log_archive}")));
    }
    assert_eq!(
        report["collection"]["entered_for_resources"],
        serde_json::json!([log_archive])
    );
    let html = std::fs::read_to_string(emulator.dir.path().join("out/report.html")).unwrap();
    assert!(html.contains(&format!(
        "accounts entered only to read resources the audited trails use: {log_archive}"
    )));
}

#[test]
fn an_organization_trails_log_group_is_read_once_as_its_owner_for_every_member() {
    let emulator = Emulator::start("alarmed-organization-trail");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let verdicts = verdicts(&emulator, &report);
    for account in [
        "management",
        "org-trail-only-0",
        "org-trail-only-1",
        "org-trail-only-2",
    ] {
        assert_eq!(verdicts[account][CHANGES_ALARMED], "PASS", "{account}");
    }
    let requests = emulator.requests();
    for action in [
        "DescribeMetricFilters",
        "DescribeAlarms",
        "ListSubscriptionsByTopic",
    ] {
        let calls: Vec<_> = requests.iter().filter(|r| r.action == action).collect();
        assert_eq!(calls.len(), 1, "{action}: {calls:?}");
        assert_eq!(calls[0].account, emulator.account("management"), "{action}");
    }
}
