//! findings.csv as a spreadsheet reads it: LibreOffice Calc (Debian's, headless) opens the file
//! and saves it back as CSV; every cell must come back as written, hostile ones as inert text.
//! .ci/run installs LibreOffice; where it is missing the test says so and checks nothing else.

mod support;

use std::path::Path;
use std::process::Command;

use support::{orgtrail, read_json, repo};

fn cells(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn libreoffice_reads_findings_csv_back_cell_for_cell() {
    if Command::new("soffice").arg("--version").output().is_err() {
        eprintln!("LibreOffice (soffice) is not installed: the spreadsheet round trip was not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut inventory = read_json(&repo().join("examples/demo-inventory.json"));
    let hostile = "=HYPERLINK(\"http://evil.example\",\"click\")";
    inventory["accounts"][2]["account"]["name"] = serde_json::Value::from(hostile);
    let inventory_path = dir.path().join("inventory.json");
    std::fs::write(&inventory_path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    let out = dir.path().join("out");
    orgtrail()
        .args(["report", "--format", "csv", "--inventory"])
        .arg(&inventory_path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();

    // Import: comma, double quote, UTF-8, from line 1, account_id (column 1) as text so leading
    // zeros survive; export the same way.
    let converted = dir.path().join("converted");
    let status = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.path().display()
        ))
        .args(["--headless", "--infilter=CSV:44,34,76,1,1/2"])
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true",
        ])
        .arg("--outdir")
        .arg(&converted)
        .arg(out.join("findings.csv"))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    let written = cells(&out.join("findings.csv"));
    let read_back = cells(&converted.join("findings.csv"));
    assert_eq!(read_back.len(), written.len());
    for (row, (ours, theirs)) in written.iter().zip(&read_back).enumerate() {
        assert_eq!(ours, theirs, "row {row} changed in the spreadsheet");
    }
    // The hostile name was stored as text, not run: Calc kept the neutralising apostrophe.
    assert!(read_back.iter().any(|r| r[1] == format!("'{hostile}")));
}
