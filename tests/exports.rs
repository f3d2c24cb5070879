//! What orgtrail hands to other tools, checked by those tools themselves: findings.sarif by
//! Microsoft's SARIF multitool, findings.junit.xml by junitparser, signed evidence by the
//! minisign program, the AWS Batch template by cfn-lint, the Dockerfile by hadolint, and the
//! Batch run as the template wires it, against the emulator.
//!
//! The tools are installed by .ci/run (the multitool into target/sarif-multitool, minisign from
//! Debian, the Python ones into the test venv). Under CI a missing tool fails its test; on a
//! developer machine the test says so loudly and leaves that check out.

use crate::support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{
    decided, demo_inventory, demo_waivers, keygen, orgtrail, read_back, read_json, repo, report,
    stderr, Emulator, SIGN_PASSWORD as PASSWORD,
};
use serde_json::Value;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A consumer's own tool, where .ci/run installs it. `None` (after saying so loudly) on a
/// developer machine without it; a failed test under CI.
fn consumer_tool(name: &str, candidates: &[PathBuf], install: &str) -> Option<PathBuf> {
    if let Some(found) = candidates.iter().find(|path| path.is_file()) {
        return Some(found.clone());
    }
    let message = format!("{name} is not installed: {install}");
    if support::under_ci() {
        panic!("{message} (.ci/run installs it; CI must not skip this check)");
    }
    eprintln!("\n!!!!!!!!!! NOT CHECKED: {message} !!!!!!!!!!\n");
    None
}

fn on_path(program: &str) -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .collect()
        })
        .unwrap_or_default()
}

fn sarif_multitool() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("ORGTRAIL_SARIF_MULTITOOL")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(repo().join(
        "target/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool",
    ));
    consumer_tool(
        "Microsoft's SARIF multitool",
        &candidates,
        "npm ci --prefix target/sarif-multitool with tests/sarif/package*.json (see .ci/run)",
    )
}

fn minisign() -> Option<PathBuf> {
    consumer_tool("minisign", &on_path("minisign"), "apt-get install minisign")
}

// --- SARIF ---------------------------------------------------------------------------------

/// The multitool's own log of what it found wrong: it exits 0 even for an invalid file, so its
/// results are read, and any error or warning (a result without a level is a warning) fails.
fn multitool_complaints(multitool: &Path, sarif: &Path) -> Vec<String> {
    let log = sarif.with_extension("validation.sarif");
    let output = Command::new(multitool)
        .arg("validate")
        .arg(sarif)
        .arg("--output")
        .arg(&log)
        .args(["--log", "ForceOverwrite"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the multitool did not run: {}{}",
        stdout(&output),
        stderr(&output)
    );
    let log = read_json(&log);
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            matches!(
                r["level"].as_str().unwrap_or("warning"),
                "error" | "warning"
            )
        })
        .map(|r| format!("{} {}", r["ruleId"], r["message"]))
        .collect()
}

fn sarif_of_demo(out: &Path) -> (Value, Value) {
    let output = report(
        &demo_inventory(),
        out,
        &[
            "--format",
            "sarif,json",
            "--waivers",
            demo_waivers().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    (
        read_json(&out.join("findings.sarif")),
        read_json(&out.join("report.json")),
    )
}

#[test]
fn sarif_passes_microsofts_multitool_and_holds_what_github_code_scanning_requires() {
    let dir = tempfile::tempdir().unwrap();
    let (sarif, report) = sarif_of_demo(&dir.path().join("first"));
    if let Some(multitool) = sarif_multitool() {
        let complaints = multitool_complaints(&multitool, &dir.path().join("first/findings.sarif"));
        assert!(complaints.is_empty(), "{complaints:#?}");
    }

    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "orgtrail");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        report["summary"]["rules"].as_array().unwrap().len()
    );
    for rule in rules {
        for text in ["shortDescription", "fullDescription", "help"] {
            assert!(
                !rule[text]["text"].as_str().unwrap().is_empty(),
                "{}: {text}",
                rule["id"]
            );
        }
        assert!(rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Remediation"));
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("/docs/rules.md"));
        assert!(rule["properties"]["tags"].as_array().unwrap().len() <= 20);
    }
    let multi_region = rules
        .iter()
        .find(|r| r["id"] == "cloudtrail-multi-region-management-events")
        .unwrap();
    assert_eq!(multi_region["properties"]["security-severity"], "8.0");
    let tags = &multi_region["properties"]["tags"];
    for tag in ["security", "cis-aws-foundations-7.0", "pci-dss-4.0"] {
        assert!(tags.as_array().unwrap().iter().any(|t| t == tag), "{tag}");
    }
    assert!(multi_region["properties"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "cis-aws-foundations-7.0 4.1"));

    // One result per FAIL, ERROR and MUTED finding; PASS is no result.
    let findings = report["findings"].as_array().unwrap();
    let reported: Vec<&Value> = findings.iter().filter(|f| f["status"] != "PASS").collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), reported.len());
    let statuses: BTreeSet<&str> = results
        .iter()
        .map(|r| r["properties"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["ERROR", "FAIL", "MUTED"]),
        "the demo with its waivers has every kind"
    );

    let logical = run["logicalLocations"].as_array().unwrap();
    for result in results {
        let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[rule_index]["id"], result["ruleId"]);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        // GitHub: a physical location with an artifact URI and a region, and the fingerprint
        // it tracks alerts by.
        let location = &result["locations"][0];
        let uri = location["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("aws/"), "{uri}");
        assert_eq!(location["physicalLocation"]["region"]["startLine"], 1);
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
        // Resource within region within account.
        let mut entry =
            &logical[location["logicalLocations"][0]["index"].as_u64().unwrap() as usize];
        assert_eq!(entry["kind"], "resource");
        assert_eq!(entry["name"], result["properties"]["resource"]);
        let mut chain = vec![entry["name"].as_str().unwrap().to_string()];
        while let Some(parent) = entry.get("parentIndex") {
            entry = &logical[parent.as_u64().unwrap() as usize];
            chain.push(entry["name"].as_str().unwrap().to_string());
        }
        assert_eq!(
            chain.last().unwrap(),
            result["properties"]["accountId"].as_str().unwrap()
        );
        if let Some(region) = result["properties"]["region"].as_str() {
            assert_eq!(chain[1], region);
        }
        // A MUTED finding is a suppressed result carrying its waiver.
        let muted = result["properties"]["status"] == "MUTED";
        assert_eq!(result.get("suppressions").is_some(), muted);
        if muted {
            let suppression = &result["suppressions"][0];
            assert_eq!(suppression["status"], "accepted");
            let justification = suppression["justification"].as_str().unwrap();
            for part in ["SEC-", "approved by", "until 2099-"] {
                assert!(justification.contains(part), "{justification}");
            }
            assert!(suppression["properties"]["approver"].is_string());
        }
    }

    // Every account appears: as a logical location of the run (an account whose findings all
    // pass has no result), and one not audited also as a notification with its reason.
    let accounts: BTreeSet<&str> = logical
        .iter()
        .filter(|l| l.get("parentIndex").is_none())
        .map(|l| l["fullyQualifiedName"].as_str().unwrap())
        .collect();
    let notifications = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    for notification in notifications {
        let id = notification["properties"]["accountId"].as_str().unwrap();
        let entry = report["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap();
        assert_eq!(entry["audit"]["state"], "skipped", "{notification}");
        assert_eq!(
            notification["descriptor"]["id"],
            "orgtrail-account-not-audited"
        );
        let location = &notification["locations"][0]["logicalLocations"][0];
        assert_eq!(
            logical[location["index"].as_u64().unwrap() as usize]["fullyQualifiedName"],
            id
        );
        assert!(notification["message"]["text"]
            .as_str()
            .unwrap()
            .contains(entry["audit"]["reason"].as_str().unwrap()));
    }
    assert_eq!(
        notifications.len(),
        report["summary"]["accounts_skipped"].as_u64().unwrap() as usize
    );
    let listed: BTreeSet<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, listed);

    // The same finding has the same fingerprint next run; no two findings share one.
    let fingerprints = |sarif: &Value| -> BTreeMap<String, String> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["fingerprints"]["orgtrail/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["partialFingerprints"]["primaryLocationLineHash"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let first = fingerprints(&sarif);
    assert_eq!(first.len(), results.len(), "fingerprints are unique");
    assert_eq!(first.values().collect::<BTreeSet<_>>().len(), results.len());
    let (again, _) = sarif_of_demo(&dir.path().join("second"));
    assert_eq!(fingerprints(&again), first);
}

#[test]
fn ci_1_counts_as_ci_as_ci_true_does() {
    for value in ["true", "1", "yes", "TRUE"] {
        assert!(support::ci_value_means_ci(Some(value)), "CI={value}");
    }
    for value in [None, Some(""), Some("false"), Some("0")] {
        assert!(!support::ci_value_means_ci(value), "CI={value:?}");
    }
}

#[test]
fn the_multitool_does_complain_about_a_broken_sarif_file() {
    // The check above is only worth something if the multitool's complaints are really read.
    let Some(multitool) = sarif_multitool() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.sarif");
    std::fs::write(
        &broken,
        r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]}"#,
    )
    .unwrap();
    let complaints = multitool_complaints(&multitool, &broken);
    assert!(complaints.len() >= 2, "{complaints:#?}");
}

// --- JUnit ---------------------------------------------------------------------------------

/// findings.csv's rows counted by status.
fn csv_counts(path: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let mut reader = csv::Reader::from_path(path).unwrap();
    let status = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "status")
        .unwrap();
    for record in reader.records() {
        *counts
            .entry(record.unwrap()[status].to_string())
            .or_default() += 1;
    }
    counts
}

#[test]
fn junit_read_back_by_junitparser_counts_what_the_csv_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = report(
        &demo_inventory(),
        &out,
        &[
            "--format",
            "junit,csv",
            "--waivers",
            demo_waivers().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let junit = read_back("read_junit.py", &out.join("findings.junit.xml"));
    let csv = csv_counts(&out.join("findings.csv"));
    let count = |status: &str| csv.get(status).copied().unwrap_or(0);
    assert!(count("MUTED") > 0 && count("NOT_AUDITED") > 0 && count("ERROR") > 0);

    let root = &junit["root"];
    assert_eq!(root["tests"], csv.values().sum::<u64>(), "{csv:?}");
    assert_eq!(root["failures"], count("FAIL"));
    assert_eq!(root["errors"], count("ERROR"));
    assert_eq!(root["skipped"], count("MUTED") + count("NOT_AUDITED"));
    // The attributes say what the cases hold.
    let counted = &junit["counted"];
    assert_eq!(counted["tests"], root["tests"]);
    assert_eq!(counted["failure"], root["failures"]);
    assert_eq!(counted["error"], root["errors"]);
    assert_eq!(counted["skipped"], root["skipped"]);
    assert_eq!(counted["passed"], count("PASS"));

    // A suite per rule, a case per account in each; the accounts not audited in a suite of
    // their own.
    let suites = junit["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 19 + 1);
    for suite in suites {
        let cases = suite["cases"].as_array().unwrap();
        assert_eq!(suite["tests"], cases.len());
        for (attribute, result) in [
            ("failures", "failure"),
            ("errors", "error"),
            ("skipped", "skipped"),
        ] {
            let n = cases.iter().filter(|c| c["result"] == result).count();
            assert_eq!(suite[attribute], n, "{} {attribute}", suite["name"]);
        }
        let accounts: BTreeSet<&str> = cases
            .iter()
            .map(|c| c["name"].as_str().unwrap().split(' ').next().unwrap())
            .collect();
        assert_eq!(accounts.len(), cases.len(), "one case per account");
    }
    let muted = suites
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .find(|c| c["result"] == "skipped" && c["classname"] != "accounts-not-audited")
        .unwrap();
    assert!(muted["message"]
        .as_str()
        .unwrap()
        .starts_with("muted by waiver: "));
}

#[test]
fn hostile_account_names_stay_text_in_the_junit_xml() {
    let dir = tempfile::tempdir().unwrap();
    let mut inventory = read_json(&demo_inventory());
    let hostile = "]]></failure><script>x</script>\u{1b}&amp;\"'";
    for account in inventory["accounts"].as_array_mut().unwrap() {
        if account["account"]["name"] == "sandbox-alice" {
            account["account"]["name"] = Value::String(hostile.to_string());
        }
    }
    let path = dir.path().join("hostile.json");
    std::fs::write(&path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    let out = dir.path().join("out");
    report(&path, &out, &["--format", "junit,sarif"]);
    let junit = read_back("read_junit.py", &out.join("findings.junit.xml"));
    let expected = hostile.replace('\u{1b}', "\u{FFFD}");
    assert!(
        junit["suites"][0]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"].as_str().unwrap().ends_with(&expected)),
        "{:#}",
        junit["suites"][0]
    );
    if let Some(multitool) = sarif_multitool() {
        let complaints = multitool_complaints(&multitool, &out.join("findings.sarif"));
        assert!(complaints.is_empty(), "{complaints:#?}");
    }
}

// --- Signed evidence -----------------------------------------------------------------------

fn key_id(public: &Path) -> String {
    let text = std::fs::read_to_string(public).unwrap();
    text.lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string()
}

fn verify(dir: &Path, public: &Path) -> Output {
    orgtrail()
        .arg("verify")
        .arg(dir)
        .arg("--public-key")
        .arg(public)
        .output()
        .unwrap()
}

/// Verification with standard tools only, as an auditor without orgtrail would do it: minisign
/// checks the manifest's signature, then sha256sum checks every file against the manifest.
/// Which of the two failed, if any.
fn standard_verification(minisign: &Path, dir: &Path, public: &Path) -> Result<(), String> {
    let signature = Command::new(minisign)
        .args(["-V", "-p"])
        .arg(public)
        .arg("-m")
        .arg(dir.join("manifest.json"))
        .output()
        .unwrap();
    if !signature.status.success() {
        return Err(format!(
            "minisign: {}{}",
            stdout(&signature),
            stderr(&signature)
        ));
    }
    let manifest = read_json(&dir.join("manifest.json"));
    let sums: String = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}  {}\n",
                f["sha256"].as_str().unwrap(),
                f["name"].as_str().unwrap()
            )
        })
        .collect();
    let mut check = Command::new("sha256sum")
        .args(["--check", "--strict", "-"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(sums.as_bytes())
        .unwrap();
    let check = check.wait_with_output().unwrap();
    if !check.status.success() {
        return Err(format!("sha256sum: {}", stdout(&check)));
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn signed_evidence_verifies_with_orgtrail_and_minisign_and_one_changed_byte_fails_both() {
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = keygen(dir.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is its owner's alone");
    }
    let id = key_id(&public);
    let out = dir.path().join("evidence");
    let output = orgtrail()
        .env("ORGTRAIL_SIGN_PASSWORD", PASSWORD)
        .args(["report", "--inventory"])
        .arg(demo_inventory())
        .args(["--format", "html,csv,md,json,sarif,junit", "--sign-key"])
        .arg(&secret)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains(&format!("signed with minisign key {id}")));
    assert!(
        !String::from_utf8_lossy(&std::fs::read(out.join("manifest.json")).unwrap())
            .contains(PASSWORD)
    );

    // orgtrail's own verifier: signature, then every file.
    let verified = verify(&out, &public);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(stdout(&verified).contains(&format!("signature: valid, minisign key {id}")));

    // The standard minisign program, with the trusted comment naming organization, run and
    // version; then sha256sum over the files the signed manifest lists.
    let inventory_sha = read_json(&out.join("manifest.json"))["inventory"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let minisign = minisign();
    if let Some(minisign) = &minisign {
        let checked = Command::new(minisign)
            .args(["-V", "-p"])
            .arg(&public)
            .arg("-m")
            .arg(out.join("manifest.json"))
            .output()
            .unwrap();
        assert!(checked.status.success(), "{}", stderr(&checked));
        let said = stdout(&checked);
        assert!(
            said.contains("Signature and comment signature verified"),
            "{said}"
        );
        assert!(
            said.contains("Trusted comment: org:o-acme0example run:20")
                && said.contains(&format!(
                    "orgtrail:{} inventory-sha256:{inventory_sha}",
                    env!("CARGO_PKG_VERSION")
                )),
            "{said}"
        );
        standard_verification(minisign, &out, &public).unwrap();
    }

    // The reports carry what ties a printed copy to the files: the key id and the inventory's
    // digest, which the signed manifest lists and the trusted comment repeats.
    for page in ["report.html", "report.md"] {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.contains(&id), "{page} names the key");
        assert!(
            text.contains(&inventory_sha),
            "{page} shows the inventory digest"
        );
    }
    assert_eq!(
        read_json(&out.join("report.json"))["seal"]["signing_key_id"],
        id.as_str()
    );

    // One byte changed in any report or in the manifest fails both verifiers.
    let manifest = read_json(&out.join("manifest.json"));
    let mut targets: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    // Every report, and one account's page standing for the others.
    let first_page = targets.iter().position(|t| t.starts_with("accounts/"));
    let mut index = 0;
    targets.retain(|t| {
        index += 1;
        !t.starts_with("accounts/") || Some(index - 1) == first_page
    });
    assert!(
        first_page.is_some(),
        "the account pages are listed and signed"
    );
    targets.push("manifest.json".to_string());
    for (n, target) in targets.iter().enumerate() {
        let copy = dir.path().join(format!("tampered-{n}"));
        copy_dir(&out, &copy);
        let path = copy.join(target);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = if target == "manifest.json" {
            // A digest's hex digit: the manifest still parses, and now lies about a file.
            let text = String::from_utf8(bytes.clone()).unwrap();
            text.find("\"sha256\": \"").unwrap() + 11
        } else {
            bytes.len() / 2
        };
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(&path, bytes).unwrap();

        let ours = verify(&copy, &public);
        assert_eq!(ours.status.code(), Some(1), "{target}: {}", stdout(&ours));
        let said = format!("{}{}", stdout(&ours), stderr(&ours));
        if target == "manifest.json" {
            assert!(said.contains("signature: FAILED"), "{said}");
        } else {
            assert!(said.contains(&format!("{target}: changed")), "{said}");
        }
        if let Some(minisign) = &minisign {
            let theirs = standard_verification(minisign, &copy, &public).unwrap_err();
            if target == "manifest.json" {
                assert!(theirs.starts_with("minisign:"), "{theirs}");
            } else {
                assert!(theirs.contains(&format!("{target}: FAILED")), "{theirs}");
            }
        }
    }

    // Without the public key, verify still checks the files and says the signature was not.
    let output = orgtrail().arg("verify").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains(&format!(
        "not checked (signed with minisign key {id}; pass --public-key"
    )));

    // An unsigned run into the same directory takes the old signature away with it.
    let output = report(&demo_inventory(), &out, &["--format", "md"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!out.join("manifest.json.minisig").exists());
    let verified = verify(&out, &public);
    assert_eq!(verified.status.code(), Some(1));
    assert!(stdout(&verified).contains("signature: MISSING"));
}

#[test]
fn a_signing_key_without_its_password_stops_the_run_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (_, secret) = keygen(dir.path());
    let out = dir.path().join("out");
    let run = |password: Option<&str>| {
        let mut command = orgtrail();
        if let Some(password) = password {
            command.env("ORGTRAIL_SIGN_PASSWORD", password);
        }
        command
            .args(["report", "--inventory"])
            .arg(demo_inventory())
            .arg("--sign-key")
            .arg(&secret)
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let output = run(None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("set ORGTRAIL_SIGN_PASSWORD"),
        "{}",
        stderr(&output)
    );
    let output = run(Some("not the password"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("wrong password"),
        "{}",
        stderr(&output)
    );
    assert!(!out.join("manifest.json").exists());

    // keygen keeps existing keys unless told otherwise.
    let output = orgtrail()
        .env("ORGTRAIL_SIGN_PASSWORD", PASSWORD)
        .arg("keygen")
        .arg("--public-key")
        .arg(dir.path().join("audit.pub"))
        .arg("--secret-key")
        .arg(&secret)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--force"));
}

#[test]
fn a_key_made_by_minisign_itself_signs_evidence_minisign_accepts() {
    let Some(minisign) = minisign() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = (dir.path().join("cli.pub"), dir.path().join("cli.key"));
    // -W: no password (minisign's own password-protected keys take 1 GiB to decrypt).
    let made = Command::new(&minisign)
        .args(["-G", "-W", "-p"])
        .arg(&public)
        .arg("-s")
        .arg(&secret)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let out = dir.path().join("out");
    let output = report(
        &demo_inventory(),
        &out,
        &["--format", "json", "--sign-key", secret.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    standard_verification(&minisign, &out, &public).unwrap();
    assert_eq!(verify(&out, &public).status.code(), Some(0));
}

// --- AWS Batch: the template, the image, the run -------------------------------------------

#[test]
fn the_batch_template_and_the_audit_role_template_pass_cfn_lint() {
    for template in [
        "examples/aws-batch/orgtrail-batch.yaml",
        "examples/audit-role.yaml",
    ] {
        let output = Command::new(support::venv_program("cfn-lint"))
            .arg(repo().join(template))
            .output()
            .unwrap();
        // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
        let code = output.status.code().unwrap();
        assert_eq!(code & 2, 0, "{template}: {}", stdout(&output));
        assert_eq!(code, 0, "{template} has warnings: {}", stdout(&output));
    }
}

#[test]
fn the_dockerfile_passes_hadolint() {
    let output = Command::new(support::venv_program("hadolint"))
        .arg(repo().join("Dockerfile"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("\nFROM scratch\n"), "a minimal base");
    assert!(
        dockerfile.contains("\nUSER 65532:65532\n"),
        "a non-root user"
    );
}

/// The template's commands for a run, as Step Functions and Batch would fill them in, with the
/// work area's /evidence under `root`.
fn batch_commands(shards: u32, run: &str, role: &str, root: &Path) -> HashMap<String, Value> {
    let output = Command::new(support::venv_program("python"))
        .arg(repo().join("tests/emulator/batch_commands.py"))
        .arg(repo().join("examples/aws-batch/orgtrail-batch.yaml"))
        .arg(serde_json::json!({ "shards": shards, "run": run }).to_string())
        .arg(role)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut commands: HashMap<String, Value> = serde_json::from_slice(&output.stdout).unwrap();
    for job in commands.values_mut() {
        for argument in job["command"].as_array_mut().unwrap() {
            let text = argument.as_str().unwrap();
            if let Some(rest) = text.strip_prefix("/evidence") {
                *argument = Value::String(format!("{}{rest}", root.display()));
            }
        }
    }
    commands
}

fn arguments(job: &Value) -> Vec<String> {
    job["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_batch_run_as_the_template_wires_it_merges_to_what_one_scan_reports() {
    let emulator = Emulator::start("dozen");
    let dir = emulator.dir.path();
    let whole = dir.join("whole");
    // One audit period for the whole scan and every child, as a month's run gives them (the
    // default ends at each process's own start).
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let period = format!("{}..{yesterday}", yesterday - chrono::Duration::days(29));
    let output = emulator.scan(
        &whole,
        &["--external-id", "orgtrail-test", "--period", &period],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    let shards = 3;
    let run = "2026-12-01T03:00:00Z";
    let work = dir.join("evidence");
    let commands = batch_commands(shards, run, "OrganizationAccountAccessRole", &work);
    assert_eq!(commands["Scan"]["array_size"], shards);

    // The array job: every child the same command, told apart by the variables Batch sets; the
    // external ID from the environment, as the job definition's secret puts it there.
    let children: Vec<_> = (0..shards)
        .map(|index| {
            orgtrail()
                .env("AWS_ENDPOINT_URL", &emulator.endpoint)
                .env("AWS_ACCESS_KEY_ID", support::CALLER_ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", support::CALLER_SECRET_KEY)
                .env("AWS_REGION", "us-east-1")
                .env("ORGTRAIL_EXTERNAL_ID", "orgtrail-test")
                .env("ORGTRAIL_PERIOD", &period)
                .env("AWS_BATCH_JOB_ARRAY_INDEX", index.to_string())
                .env("AWS_BATCH_JOB_ARRAY_SIZE", shards.to_string())
                .args(arguments(&commands["Scan"]))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 3)),
            "{}",
            stderr(&output)
        );
    }
    let shard_dirs: Vec<_> = std::fs::read_dir(work.join(format!("runs/{run}/shards")))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(shard_dirs, ["shard-1-of-3", "shard-2-of-3", "shard-3-of-3"]);

    let merge = arguments(&commands["Merge"]);
    let output = orgtrail().args(&merge).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let merged = PathBuf::from(merge.last().unwrap());
    assert_eq!(decided(&merged), decided(&whole));
    for file in [
        "findings.sarif",
        "findings.junit.xml",
        "report.html",
        "manifest.json",
    ] {
        assert!(merged.join(file).is_file(), "{file}");
    }
    // The archive job copies exactly what the merge wrote.
    let archive = arguments(&commands["Archive"]);
    assert!(
        archive.contains(&merged.display().to_string()),
        "{archive:?}"
    );
    assert!(archive.last().unwrap().ends_with(&format!("/runs/{run}/")));
}

#[test]
fn shard_auto_outside_an_array_job_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let output = orgtrail()
        .env("AWS_REGION", "us-east-1")
        .args(["scan", "--shard", "auto", "--out"])
        .arg(dir.path().join("shard-{shard}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("AWS_BATCH_JOB_ARRAY_INDEX is not set"),
        "{}",
        stderr(&output)
    );
    let output = orgtrail()
        .args(["scan", "--out"])
        .arg(dir.path().join("shard-{shard}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("only a sharded scan fills in"));
}

#[test]
fn the_help_lists_the_new_formats_and_commands() {
    let help = stdout(&orgtrail().arg("--help").output().unwrap());
    for command in ["keygen", "verify", "merge"] {
        assert!(help.contains(command), "{command}: {help}");
    }
    let help = stdout(&orgtrail().args(["report", "--help"]).output().unwrap());
    for option in ["sarif", "junit", "--sign-key", "ORGTRAIL_SIGN_PASSWORD"] {
        assert!(help.contains(option), "{option}: {help}");
    }
    let help = stdout(&orgtrail().args(["scan", "--help"]).output().unwrap());
    assert!(help.contains("AWS_BATCH_JOB_ARRAY_INDEX"), "{help}");
    let help = stdout(&orgtrail().args(["verify", "--help"]).output().unwrap());
    assert!(help.contains("--public-key"), "{help}");
}

// --- A pipeline that fails on new failures -------------------------------------------------

/// The demo inventory without some accounts.
fn demo_without(dir: &Path, name: &str, accounts: &[&str]) -> PathBuf {
    let mut inventory = read_json(&demo_inventory());
    inventory["accounts"]
        .as_array_mut()
        .unwrap()
        .retain(|a| !accounts.contains(&a["account"]["id"].as_str().unwrap()));
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    path
}

#[test]
fn with_a_baseline_fail_on_fails_the_build_only_on_new_failures() {
    let dir = tempfile::tempdir().unwrap();
    // Without the account that could not be audited (that is exit 3, whatever --fail-on says).
    let unreachable = "311111111111";
    let sandbox = "220202020202"; // no trail at all: high failures
    let last_month = demo_without(dir.path(), "last.json", &[unreachable, sandbox]);
    let this_month = demo_without(dir.path(), "now.json", &[unreachable]);
    let code = |inventory: &Path, out: &str, extra: &[&str]| {
        let output = report(inventory, &dir.path().join(out), extra);
        output.status.code().unwrap()
    };
    assert_eq!(code(&last_month, "last", &["--format", "json"]), 0);
    let baseline = dir.path().join("last/report.json");

    // The README's pipeline step: the sandbox account's failures are new, so the build fails.
    let step = [
        "--format",
        "json,junit,sarif",
        "--fail-on",
        "high",
        "--baseline",
        baseline.to_str().unwrap(),
    ];
    assert_eq!(code(&this_month, "now", &step), 4);
    // Next month nothing new fails: the build passes, though old high failures remain...
    let now = dir.path().join("now/report.json");
    assert_eq!(
        code(
            &this_month,
            "next",
            &["--fail-on", "high", "--baseline", now.to_str().unwrap()]
        ),
        0
    );
    // ...which --fail-on alone, without a baseline, still fails on.
    assert_eq!(code(&this_month, "plain", &["--fail-on", "high"]), 4);
}

#[test]
fn the_configuration_file_takes_the_signing_key_and_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = keygen(dir.path());
    let config = dir.path().join("orgtrail.toml");
    std::fs::write(
        &config,
        format!(
            "sign_key = {:?}\nshard = \"auto\"\nformat = [\"json\"]\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = orgtrail()
        .env("ORGTRAIL_SIGN_PASSWORD", PASSWORD)
        .arg("--config")
        .arg(&config)
        .args(["report", "--inventory"])
        .arg(demo_inventory())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(verify(&out, &public).status.code(), Some(0));
    // `shard` is a scan option: it reaches scan, which asks for AWS Batch's variables.
    let output = orgtrail()
        .arg("--config")
        .arg(&config)
        .arg("scan")
        .arg("--out")
        .arg(dir.path().join("scan"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("AWS_BATCH_JOB_ARRAY_INDEX"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sarif_levels_and_security_severities_follow_each_findings_severity() {
    let dir = tempfile::tempdir().unwrap();
    let (sarif, _) = sarif_of_demo(&dir.path().join("out"));
    let run = &sarif["runs"][0];
    let mut levels = BTreeSet::new();
    for result in run["results"].as_array().unwrap() {
        let expected = match (
            result["properties"]["status"].as_str().unwrap(),
            result["properties"]["severity"].as_str().unwrap(),
        ) {
            // A check that could not be made is worth a look, whatever the rule's weight.
            ("ERROR", _) => "warning",
            (_, "critical" | "high") => "error",
            (_, "medium") => "warning",
            (_, "low" | "informational") => "note",
            other => panic!("{other:?}"),
        };
        assert_eq!(result["level"], expected, "{result}");
        levels.insert(expected);
    }
    assert_eq!(levels, BTreeSet::from(["error", "note", "warning"]));
    // README: security-severity 9.5 / 8.0 / 5.5 / 3.0 for critical / high / medium / low.
    let mut scored = BTreeSet::new();
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let severity = rule["properties"]["severity"]
            .as_str()
            .or_else(|| rule["defaultConfiguration"]["level"].as_str())
            .unwrap_or_default();
        let score = rule["properties"]["security-severity"].as_str();
        let expected = match severity {
            "critical" => Some("9.5"),
            "high" => Some("8.0"),
            "medium" => Some("5.5"),
            "low" => Some("3.0"),
            _ => None,
        };
        if !severity.is_empty() && severity != "informational" {
            assert_eq!(score, expected, "{}", rule["id"]);
            scored.insert(severity.to_string());
        }
    }
    assert!(scored.len() >= 3, "{scored:?}");
}
