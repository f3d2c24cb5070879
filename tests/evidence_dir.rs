//! The evidence directory as a whole (issue 21, items 1 and 2): a run replaces the last one all
//! or nothing, takes away the formats it no longer writes, and `orgtrail verify` reads only the
//! files inside the directory and reports any file the manifest does not list.

use crate::support;

use std::path::Path;

use crate::support::{demo_inventory, files_under, orgtrail, read_json, report, stderr};
use sha2::{Digest, Sha256};

fn verify(dir: &Path) -> std::process::Output {
    orgtrail().arg("verify").arg(dir).output().unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_move_failing_half_way_through_the_commit_leaves_the_earlier_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let first = report(&demo_inventory(), out, &["--format", "html,csv,json"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // A directory where this run's report.md goes: its move into place fails after report.html,
    // accounts/, findings.csv and report.json have moved.
    std::fs::create_dir(out.join("report.md")).unwrap();
    std::fs::write(out.join("report.md/notes.txt"), "mine").unwrap();
    let before = files_under(out);

    let waivers = support::demo_waivers();
    let second = report(
        &demo_inventory(),
        out,
        &[
            "--format",
            "html,csv,json,md",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    assert_ne!(second.status.code(), Some(0));
    let said = stderr(&second);
    assert!(said.contains("report.md"), "{said}");
    assert!(said.contains("nothing was changed"), "{said}");
    // Every file as the first run left it, nothing of the second, no staging left behind.
    assert_eq!(files_under(out), before);
    std::fs::remove_dir_all(out.join("report.md")).unwrap();
    let verified = verify(out);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
}

#[test]
fn formats_an_earlier_run_wrote_and_this_one_does_not_are_taken_away() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let first = report(&demo_inventory(), out, &["--format", "html,csv,ocsf,asff"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(out.join("findings.ocsf.jsonl").is_file() && out.join("accounts").is_dir());
    std::fs::write(out.join("notes.txt"), "the auditor's own file").unwrap();

    let second = report(&demo_inventory(), out, &["--format", "csv"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["findings.csv", "manifest.json", "notes.txt"]);
    // What is left is this run's, and verify says the one file nobody listed is there.
    let verified = verify(out);
    assert_eq!(verified.status.code(), Some(1));
    assert!(stdout(&verified).contains("notes.txt: not listed"));
}

/// The run's manifest.json with `entry` appended to its files.
fn list_in_manifest(out: &Path, name: &str, content: &[u8]) {
    let path = out.join("manifest.json");
    let mut manifest = read_json(&path);
    manifest["files"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "name": name,
            "bytes": content.len(),
            "sha256": orgtrail::report::hex(&Sha256::digest(content)),
        }));
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

#[test]
fn verify_refuses_manifest_names_that_leave_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let written = report(&demo_inventory(), &out, &["--format", "csv"]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    // A file outside, listed with its true digest: it would "match" if verify read it.
    let outside = b"not evidence";
    std::fs::write(dir.path().join("outside.txt"), outside).unwrap();
    for name in [
        "../outside.txt",
        dir.path().join("outside.txt").to_str().unwrap(),
        "accounts/../../outside.txt",
    ] {
        let copy = dir.path().join("copy");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir(&copy).unwrap();
        for file in ["findings.csv", "manifest.json"] {
            std::fs::copy(out.join(file), copy.join(file)).unwrap();
        }
        list_in_manifest(&copy, name, outside);
        let verified = verify(&copy);
        assert_eq!(
            verified.status.code(),
            Some(1),
            "{name}: {}",
            stdout(&verified)
        );
        assert!(
            stdout(&verified).contains(&format!("{name}: refused")),
            "{name}: {}",
            stdout(&verified)
        );
        assert!(stderr(&verified).contains(name), "{}", stderr(&verified));
    }
}

#[cfg(unix)]
#[test]
fn verify_does_not_follow_a_symbolic_link_out_of_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let written = report(&demo_inventory(), &out, &["--format", "csv"]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    // The listed file swapped for a link to a copy kept elsewhere: same bytes, not in DIR.
    std::fs::rename(out.join("findings.csv"), dir.path().join("kept.csv")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("kept.csv"), out.join("findings.csv")).unwrap();
    let verified = verify(&out);
    assert_eq!(verified.status.code(), Some(1));
    assert!(stdout(&verified).contains("findings.csv: refused"));
}

#[test]
fn verify_reports_a_file_the_manifest_does_not_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let written = report(&demo_inventory(), out, &["--format", "html"]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    assert_eq!(verify(out).status.code(), Some(0));

    // A page slipped in among the accounts' after the run.
    std::fs::write(out.join("accounts/999999999999.html"), "<p>all good</p>").unwrap();
    let verified = verify(out);
    assert_eq!(verified.status.code(), Some(1));
    assert!(
        stdout(&verified).contains("accounts/999999999999.html: not listed"),
        "{}",
        stdout(&verified)
    );
    assert!(stderr(&verified).contains("accounts/999999999999.html"));
}
