//! `orgtrail trend` and report.html's trend over three synthetic months
//! (examples/three_months.rs: five accounts whose set-ups change month by month), checked number
//! by number in trend.csv.

#[path = "../examples/three_months.rs"]
#[allow(dead_code)]
mod three_months;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{orgtrail, read_json, stderr, SEED_RULES};
use orgtrail::model::Inventory;
use serde_json::Value;

const SEP: &str = "2026-09-01T06:00:00+00:00";
const OCT: &str = "2026-10-01T06:00:00+00:00";
const NOV: &str = "2026-11-01T06:00:00+00:00";

/// The three months reported by `orgtrail report` into `dir/2026-09`, `dir/2026-10` and
/// `dir/2026-11`, each inventory edited by `edit` first; the three directories, oldest first.
fn reported_months(dir: &Path, edit: impl Fn(&str, &mut Inventory)) -> Vec<PathBuf> {
    three_months::months()
        .into_iter()
        .map(|(month, mut inventory)| {
            edit(month, &mut inventory);
            let file = dir.join(format!("{month}.json"));
            std::fs::write(&file, serde_json::to_vec(&inventory).unwrap()).unwrap();
            let out = dir.join(month);
            let output = orgtrail()
                .arg("report")
                .arg("--inventory")
                .arg(&file)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            // October has an account that could not be audited: exit 3.
            assert!(
                matches!(output.status.code(), Some(0 | 3)),
                "{}",
                stderr(&output)
            );
            out
        })
        .collect()
}

fn trend(runs: &[&Path], out: &Path) -> Output {
    orgtrail()
        .arg("trend")
        .args(runs)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// trend.csv as (collected_at, series, key) → (name, value, passed, failed), after checking it
/// is RFC 4180 with CRLF line ends and the documented columns.
type Rows = HashMap<(String, String, String), [String; 4]>;

fn read_trend_csv(out: &Path) -> (Rows, Vec<csv::StringRecord>) {
    let text = std::fs::read_to_string(out.join("trend.csv")).unwrap();
    assert_eq!(
        text.matches("\r\n").count(),
        text.matches('\n').count(),
        "every line ends in CRLF"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "collected_at",
            "series",
            "key",
            "name",
            "value",
            "passed",
            "failed"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let rows = records
        .iter()
        .map(|r| {
            (
                (r[0].to_string(), r[1].to_string(), r[2].to_string()),
                [
                    r[3].to_string(),
                    r[4].to_string(),
                    r[5].to_string(),
                    r[6].to_string(),
                ],
            )
        })
        .collect();
    (rows, records)
}

fn cell<'a>(rows: &'a Rows, at: &str, series: &str, key: &str) -> &'a [String; 4] {
    rows.get(&(at.to_string(), series.to_string(), key.to_string()))
        .unwrap_or_else(|| panic!("no {series} {key} row at {at}"))
}

fn value<'a>(rows: &'a Rows, at: &str, series: &str, key: &str) -> &'a str {
    &cell(rows, at, series, key)[1]
}

#[test]
fn three_synthetic_months_give_the_series_of_trend_csv_number_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let months = reported_months(dir.path(), |_, _| {});
    let out = dir.path().join("trend");
    // Any order: the runs are sorted by collection time.
    let output = trend(
        &[&months[2], &months[0].join("report.json"), &months[1]],
        &out,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (rows, records) = read_trend_csv(&out);

    // Audited accounts passing: September bravo and delta of four, October charlie of three
    // (delta could not be audited), November charlie of four.
    for (rule, label) in SEED_RULES
        .iter()
        .zip(["CIS 3.1", "CIS 3.4", "CT-005", "CT-010"])
    {
        for (at, rate, passed, failed) in [
            (SEP, "50.0", "2", "2"),
            (OCT, "33.3", "1", "2"),
            (NOV, "25.0", "1", "3"),
        ] {
            assert_eq!(
                cell(&rows, at, "control_pass_rate", rule),
                &[label, rate, passed, failed].map(String::from),
                "{label} {at}"
            );
        }
    }
    // Every rule passes for a good account and fails for a bare one, so each framework's
    // rate is the accounts' share too; its counts are each month's summary.frameworks.
    for (at, month, rate) in [
        (SEP, &months[0], "50.0"),
        (OCT, &months[1], "33.3"),
        (NOV, &months[2], "25.0"),
    ] {
        let report = read_json(&month.join("report.json"));
        let frameworks = report["summary"]["frameworks"].as_array().unwrap();
        assert_eq!(frameworks.len(), 17);
        for framework in frameworks {
            let key = framework["key"].as_str().unwrap();
            let [name, value, passed, failed] = cell(&rows, at, "framework_pass_rate", key);
            assert_eq!(name, framework["title"].as_str().unwrap());
            assert_eq!(value, rate, "{key} {at}");
            assert_eq!(passed, &framework["passed"].to_string(), "{key} {at}");
            assert_eq!(failed, &framework["failed"].to_string(), "{key} {at}");
        }
    }
    assert_eq!(
        cell(&rows, NOV, "framework_pass_rate", "pci-dss-4.0")[0],
        "PCI DSS v4.0"
    );

    for (at, in_scope, audited, errored, skipped) in [
        (SEP, "5", "4", "0", "1"),
        (OCT, "5", "3", "1", "1"),
        (NOV, "5", "4", "0", "1"),
    ] {
        assert_eq!(value(&rows, at, "accounts_in_scope", ""), in_scope);
        assert_eq!(value(&rows, at, "accounts_audited", ""), audited);
        assert_eq!(
            value(&rows, at, "accounts_could_not_be_audited", ""),
            errored
        );
        assert_eq!(value(&rows, at, "accounts_not_audited", ""), skipped);
    }

    // October: bravo's 19 rules fail, charlie's 19 are fixed (delta's ERRORs are neither).
    // November: delta's 19 fail again after October's ERRORs.
    assert!(!rows.contains_key(&(SEP.into(), "findings_newly_failing".into(), "".into())));
    assert_eq!(value(&rows, OCT, "findings_newly_failing", ""), "19");
    assert_eq!(value(&rows, OCT, "findings_fixed", ""), "19");
    assert_eq!(value(&rows, NOV, "findings_newly_failing", ""), "19");
    assert_eq!(value(&rows, NOV, "findings_fixed", ""), "0");

    // Longest first; delta's streak starts in November, after the run that could not audit it.
    let streaks: Vec<(&str, &str, &str)> = records
        .iter()
        .filter(|r| &r[1] == "failing_streak")
        .map(|r| {
            assert_eq!(&r[0], NOV);
            (&r[2], &r[3], &r[4])
        })
        .collect();
    assert_eq!(
        streaks,
        [
            ("101010101010", "alpha", "3"),
            ("202020202020", "bravo", "2"),
            ("404040404040", "delta", "1"),
        ]
    );
    assert_eq!(records.len(), 3 * (17 + 4 + 4) + 2 * 2 + 3);

    let html = std::fs::read_to_string(out.join("trend.html")).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains(" src="),
        "trend.html loads nothing"
    );
    assert!(html.contains("<svg") && html.contains("<polyline"));
    assert!(html.contains("the runs compare like for like"));
    // The failing accounts link to their page in the latest run, which is there (Tera escapes
    // the slashes of attribute values; a browser reads them back).
    let html = html.replace("&#x2F;", "/");
    assert!(
        html.contains("href=\"../2026-11/accounts/101010101010.html\""),
        "{html}"
    );
    assert!(html.contains("href=\"../2026-09/report.html\""));
    assert!(months[2].join("accounts/101010101010.html").is_file());
}

#[test]
fn runs_with_another_catalogue_or_other_regions_are_compared_on_what_they_share() {
    let dir = tempfile::tempdir().unwrap();
    let months = reported_months(dir.path(), |_, _| {});
    // September as an older orgtrail wrote it, without the SNS rule; October audited three
    // regions fewer.
    let edit = |month: &Path, change: &dyn Fn(&mut Value)| {
        let file = month.join("report.json");
        let mut report = read_json(&file);
        change(&mut report);
        std::fs::write(&file, serde_json::to_vec(&report).unwrap()).unwrap();
    };
    edit(&months[0], &|report| {
        let sns = |v: &Value| {
            v["rule_id"] == "cloudtrail-sns-notifications"
                || v["key"] == "cloudtrail-sns-notifications"
        };
        report["findings"]
            .as_array_mut()
            .unwrap()
            .retain(|f| !sns(f));
        report["summary"]["rules"]
            .as_array_mut()
            .unwrap()
            .retain(|r| !sns(r));
    });
    edit(&months[1], &|report| {
        report["regions"].as_array_mut().unwrap().truncate(14);
    });
    let out = dir.path().join("trend");
    let output = trend(&[&months[0], &months[1], &months[2]], &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (rows, _) = read_trend_csv(&out);

    // Changes count the 18 shared rules only: without the SNS rule in September, October's
    // bravo and charlie would have shown 19 newly failing and 18 fixed.
    assert_eq!(value(&rows, OCT, "findings_newly_failing", ""), "18");
    assert_eq!(value(&rows, OCT, "findings_fixed", ""), "18");
    assert_eq!(value(&rows, NOV, "findings_newly_failing", ""), "18");
    // A framework counts the same rules every month: four audited accounts in September and
    // November decide as many findings.
    let decided = |at: &str, key: &str| -> usize {
        let [_, _, passed, failed] = cell(&rows, at, "framework_pass_rate", key);
        passed.parse::<usize>().unwrap() + failed.parse::<usize>().unwrap()
    };
    let report = read_json(&months[2].join("report.json"));
    for framework in report["summary"]["frameworks"].as_array().unwrap() {
        let key = framework["key"].as_str().unwrap();
        assert_eq!(decided(SEP, key), decided(NOV, key), "{key}");
    }
    for rule in SEED_RULES {
        assert_eq!(value(&rows, NOV, "control_pass_rate", rule), "25.0");
    }

    let html = std::fs::read_to_string(out.join("trend.html")).unwrap();
    assert!(html.contains("compared only on what they share"), "{html}");
    assert!(
        html.contains("SNS notices (<code>cloudtrail-sns-notifications</code>, in 2 of 3 runs)")
    );
    assert!(html.contains(
        "The runs audited different regions (17 on 2026-09-01, 14 on 2026-10-01, 17 on 2026-11-01). Every run audited these 14"
    ));
    assert!(html.contains("only some audited ap-southeast-2, ap-south-1, sa-east-1."));
}

#[test]
fn hostile_names_stay_inert_in_trend_html_and_trend_csv() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "=HYPERLINK(\"http://evil\")<script>alert('x')</script>";
    let months = reported_months(dir.path(), |_, inventory| {
        inventory.accounts[0].account.name = hostile.to_string();
        inventory.organization.id = Some("o-x\"}</style><script>alert(1)</script>".to_string());
    });
    let out = dir.path().join("trend");
    let output = trend(&[&months[0], &months[1], &months[2]], &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let html = std::fs::read_to_string(out.join("trend.html")).unwrap();
    assert!(!html.contains("<script>"), "a raw script tag in trend.html");
    assert!(
        !html.contains("</style><"),
        "the print footer cannot end the style sheet"
    );
    assert!(html.contains("&lt;script&gt;alert("));

    let (_, records) = read_trend_csv(&out);
    let alpha = records
        .iter()
        .find(|r| &r[1] == "failing_streak" && &r[2] == "101010101010")
        .unwrap();
    assert_eq!(&alpha[3], format!("'{hostile}"));
    assert!(records
        .iter()
        .all(|r| r.iter().all(|cell| !cell.starts_with(['=', '+', '-', '@']))));
}

#[test]
fn bad_input_to_trend_is_a_usage_error_that_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let months = reported_months(dir.path(), |_, _| {});
    let out = dir.path().join("trend");
    let failing = |runs: &[&Path], expected: &str| {
        let output = trend(runs, &out);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains(expected),
            "expected '{expected}' in: {}",
            stderr(&output)
        );
        assert!(!out.join("trend.html").exists() && !out.join("trend.csv").exists());
    };

    let none = orgtrail()
        .args(["trend", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2), "no report given");
    assert!(stderr(&none).contains("<DIR>"), "{}", stderr(&none));

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    failing(&[&months[0], &empty], "no report in");
    let inventory = dir.path().join("2026-09.json");
    failing(&[&months[0], &inventory], "is not an orgtrail report.json");
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "not json").unwrap();
    failing(&[&garbage], "is not an orgtrail report.json");
    failing(&[&dir.path().join("missing")], "cannot read the report");
    failing(
        &[&months[0], &months[0].join("report.json")],
        "hold the same run",
    );
}

#[test]
fn report_html_draws_the_seed_controls_over_the_earlier_runs_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let months = reported_months(dir.path(), |_, _| {});
    let november = dir.path().join("2026-11.json");
    let report = |out: &Path, extra: &[&std::ffi::OsStr]| -> Value {
        let output = orgtrail()
            .arg("report")
            .arg("--inventory")
            .arg(&november)
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        read_json(&out.join("report.json"))
    };
    let dates = |report: &Value| -> Vec<String> {
        report["history"]
            .as_array()
            .map(|points| {
                points
                    .iter()
                    .map(|p| p["collected_at"].as_str().unwrap()[..10].to_string())
                    .collect()
            })
            .unwrap_or_default()
    };

    // Without earlier runs, report.json is as before: no history field at all.
    let plain = report(&dir.path().join("plain"), &[]);
    assert!(plain.get("history").is_none());

    let with_history = dir.path().join("with-history");
    let both = format!("{},{}", months[1].display(), months[0].display());
    let given = report(&with_history, &["--history".as_ref(), both.as_ref()]);
    assert_eq!(dates(&given), ["2026-09-01", "2026-10-01"], "oldest first");
    let point = &given["history"][1];
    let cis_3_1 = point["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == SEED_RULES[0])
        .unwrap();
    assert_eq!(
        (cis_3_1["passed"].as_u64(), cis_3_1["failed"].as_u64()),
        (Some(1), Some(2))
    );
    let html = std::fs::read_to_string(with_history.join("report.html")).unwrap();
    assert!(html.contains("id=\"history\""));
    assert!(html.contains("Seed controls over the last 3 runs, 2026-09-01 to 2026-11-01"));
    assert_eq!(html.matches("class=\"history-item\"").count(), 4);

    // The baseline is an earlier run too, counted once when --history names it as well.
    let baseline = months[1].join("report.json");
    let repeated = report(
        &dir.path().join("baseline"),
        &[
            "--baseline".as_ref(),
            baseline.as_os_str(),
            "--history".as_ref(),
            months[1].as_os_str(),
        ],
    );
    assert_eq!(dates(&repeated), ["2026-10-01"]);

    // Or from the configuration file.
    let config = dir.path().join("orgtrail.toml");
    std::fs::write(
        &config,
        format!(
            "history = [{:?}, {:?}]\n",
            months[0].display().to_string(),
            months[1].display().to_string()
        ),
    )
    .unwrap();
    let configured = report(
        &dir.path().join("configured"),
        &["--config".as_ref(), config.as_os_str()],
    );
    assert_eq!(dates(&configured), ["2026-09-01", "2026-10-01"]);

    let missing = orgtrail()
        .arg("report")
        .arg("--inventory")
        .arg(&november)
        .arg("--out")
        .arg(dir.path().join("missing"))
        .arg("--history")
        .arg(dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read the report"),
        "{}",
        stderr(&missing)
    );
}
