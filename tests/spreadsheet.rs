//! findings.csv as a spreadsheet reads it: LibreOffice Calc (Debian's, headless) opens the file
//! and saves it back as CSV; every cell must come back as written, hostile ones as inert text.
//! .ci/run installs LibreOffice. Under CI (`CI=true`, `CI=1`) a missing LibreOffice fails these tests; on
//! a developer's machine they say loudly what they skipped.

use crate::support;

use std::path::Path;
use std::process::Command;

use crate::support::{demo_inventory, demo_waivers, read_json, report, stderr};

/// Whether LibreOffice is there to run `check`; panics when it is not and this is CI.
fn libreoffice_for(check: &str) -> bool {
    if Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    assert!(
        !support::under_ci(),
        "LibreOffice (soffice) is not installed, and CI is set: {check} must run in CI \
         (install Debian's libreoffice-calc-nogui, as .ci/run does)"
    );
    eprintln!(
        "\n*** SKIPPED {check}: LibreOffice (soffice) is not installed; install Debian's \
         libreoffice-calc-nogui to run it (under CI its absence fails) ***\n"
    );
    false
}

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
    if !libreoffice_for("the CSV round trip through LibreOffice Calc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut inventory = read_json(&demo_inventory());
    let hostile = "=HYPERLINK(\"http://evil.example\",\"click\")";
    inventory["accounts"][2]["account"]["name"] = serde_json::Value::from(hostile);
    let inventory_path = dir.path().join("inventory.json");
    std::fs::write(&inventory_path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    let out = dir.path().join("out");
    let output = report(&inventory_path, &out, &["--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

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
    assert!(status.status.success(), "{}", stderr(&status));

    let written = cells(&out.join("findings.csv"));
    let read_back = cells(&converted.join("findings.csv"));
    assert_eq!(read_back.len(), written.len());
    for (row, (ours, theirs)) in written.iter().zip(&read_back).enumerate() {
        assert_eq!(ours, theirs, "row {row} changed in the spreadsheet");
    }
    // The hostile name was stored as text, not run: Calc kept the neutralising apostrophe.
    assert!(read_back.iter().any(|r| r[1] == format!("'{hostile}")));
}

#[test]
fn the_workbook_reads_back_like_the_csv_with_typed_cells_and_inert_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut inventory = read_json(&demo_inventory());
    let hostile = "=HYPERLINK(\"http://evil.example\",\"click\")<script>";
    inventory["accounts"][2]["account"]["name"] = serde_json::Value::from(hostile);
    let inventory_path = dir.path().join("inventory.json");
    std::fs::write(&inventory_path, serde_json::to_vec(&inventory).unwrap()).unwrap();
    let out = dir.path().join("out");
    let waivers = demo_waivers();
    let output = report(
        &inventory_path,
        &out,
        &[
            "--format",
            "xlsx,csv",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // openpyxl, a reader that is not ours, opens it.
    let read = support::read_back("read_xlsx.py", &out.join("report.xlsx"));
    assert_eq!(
        read["sheets"],
        serde_json::json!([
            "Summary",
            "Controls",
            "Organization",
            "Findings",
            "Coverage",
            "Accounts",
            "Waivers",
            "Trail changes"
        ])
    );
    // The period's trail changes, one row each under the header, newest first.
    let changes = &read["trail_changes"];
    assert_eq!(changes.as_array().unwrap().len(), 1 + 4, "{changes}");
    assert_eq!(changes[1][4], "StartLogging");
    assert_eq!(changes[1][0], "2026-11-11T01:02:40");
    assert_eq!(read["frozen"], "A2", "the header row is frozen");
    // The organization by OU: every account counted once, in its OU's row.
    let organization = read["organization"].as_array().unwrap();
    assert_eq!(organization[0][0], "OU");
    let counted: u64 = organization[1..]
        .iter()
        .map(|row| row[1].as_f64().unwrap() as u64)
        .sum();
    assert_eq!(
        counted as usize,
        inventory["accounts"].as_array().unwrap().len(),
        "{organization:?}"
    );
    assert!(read["autofilter"].as_str().unwrap().starts_with("A1:P"));

    let csv = cells(&out.join("findings.csv"));
    let workbook: Vec<Vec<String>> = serde_json::from_value(read["findings"].clone()).unwrap();
    let types: Vec<Vec<String>> = serde_json::from_value(read["types"].clone()).unwrap();
    assert_eq!(
        workbook.len(),
        csv.len(),
        "one row per finding and per account not audited"
    );
    let collected_at = csv[0].iter().position(|h| h == "collected_at").unwrap();
    for (row, (theirs, ours)) in workbook.iter().zip(&csv).enumerate() {
        assert_eq!(
            theirs.len(),
            ours.len(),
            "row {row}: the workbook has {} cells, the CSV {}",
            theirs.len(),
            ours.len()
        );
        for (column, (cell, text)) in theirs.iter().zip(ours).enumerate() {
            if row > 0 && column == collected_at {
                // A real date in the workbook, RFC 3339 text in the CSV.
                assert_eq!(types[row][column], "d");
                assert_eq!(cell[..19], text[..19], "row {row}");
            } else {
                // The CSV neutralises formula starts with an apostrophe; the workbook needs not.
                let neutralised = format!("'{cell}");
                assert!(
                    cell == text || neutralised == *text,
                    "row {row} column {column}: {cell:?} vs {text:?}"
                );
            }
        }
    }
    // The hostile name is a string cell, never a formula.
    let hostile_rows: Vec<usize> = (0..workbook.len())
        .filter(|&r| workbook[r][1] == hostile)
        .collect();
    assert!(!hostile_rows.is_empty());
    for row in hostile_rows {
        assert_eq!(types[row][1], "s");
    }

    if !libreoffice_for("the workbook's conversion by LibreOffice") {
        return;
    }
    let converted = dir.path().join("converted");
    let status = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&converted)
        .arg(out.join("report.xlsx"))
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        std::fs::metadata(converted.join("report.pdf"))
            .unwrap()
            .len()
            > 0
    );
}

/// The Controls sheet, read by openpyxl, against the same counts made here from findings.csv:
/// an account meets a control when every rule mapped to it passes; it fails when one fails,
/// else is not verifiable when one is an ERROR, else waived when one is MUTED. Accounts that
/// could not be audited at all are counted apart.
#[test]
fn the_workbook_counts_each_control_as_its_findings_say() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let waivers = demo_waivers();
    let output = report(
        &demo_inventory(),
        &out,
        &[
            "--format",
            "xlsx,csv,json",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let unaudited: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["audit"]["state"] == "error")
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        !unaudited.is_empty(),
        "the demo has an account that could not be audited"
    );

    let rows = cells(&out.join("findings.csv"));
    let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (account, status, controls) = (column("account_id"), column("status"), column("controls"));
    // (framework slug, control id) -> account -> worst status.
    let rank = |s: &str| {
        ["PASS", "MUTED", "ERROR", "FAIL"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let mut worst: std::collections::BTreeMap<
        (String, String),
        std::collections::BTreeMap<String, usize>,
    > = Default::default();
    for row in rows.iter().skip(1).filter(|r| r[status] != "NOT_AUDITED") {
        if unaudited.contains(&row[account].as_str()) {
            continue;
        }
        for control in row[controls].split("; ").filter(|c| !c.is_empty()) {
            let (framework, id) = control.split_once(' ').unwrap();
            let entry = worst
                .entry((framework.to_string(), id.to_string()))
                .or_default()
                .entry(row[account].clone())
                .or_insert(0);
            *entry = (*entry).max(rank(&row[status]));
        }
    }

    let read = support::read_back("read_xlsx.py", &out.join("report.xlsx"));
    let sheet: Vec<Vec<String>> = serde_json::from_value(read["controls"].clone()).unwrap();
    assert_eq!(sheet[0][1], "framework_slug");
    assert_eq!(
        sheet.len() - 1,
        worst.len(),
        "one row per control the findings name"
    );
    for row in &sheet[1..] {
        let by_account = &worst[&(row[1].clone(), row[2].clone())];
        let count = |r: usize| by_account.values().filter(|w| **w == r).count().to_string();
        let counted: Vec<String> = [0, 3, 2, 1].into_iter().map(count).collect();
        assert_eq!(
            row[4..8],
            counted[..],
            "{} {}: pass, fail, not verifiable, waived",
            row[1],
            row[2]
        );
        assert_ne!(row[0], row[1], "the framework by its name, not its slug");
    }
}
