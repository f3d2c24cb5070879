//! The audit period (issue 22): what happened to each trail during it, read from CloudTrail
//! event history in the emulator, where the scenario's trail changes were recorded back-dated
//! as AWS would have recorded them weeks ago.

use crate::support;

use crate::support::{orgtrail, read_json, stderr, Emulator};
use serde_json::Value;

const CONTINUOUS: &str = "cloudtrail-logging-continuous";
const DAY: i64 = 24 * 3600;

fn finding(emulator: &Emulator, report: &Value, account: &str) -> Value {
    let id = emulator.account(account);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account_id"] == id && f["rule_id"] == CONTINUOUS)
        .unwrap_or_else(|| panic!("no {CONTINUOUS} finding for {account}"))
        .clone()
}

/// The gaps of a finding: (seconds, event that opened it, trail), in time order.
fn gaps(finding: &Value) -> Vec<(i64, Option<String>, Option<String>)> {
    finding["evidence"]["intervals"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|i| i["kind"] == "gap")
                .map(|i| {
                    (
                        i["seconds"].as_i64().unwrap(),
                        i["event"].as_str().map(str::to_string),
                        i["trail"].as_str().map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn change_names(finding: &Value) -> Vec<String> {
    finding["evidence"]["changes"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|c| c["event_name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[test]
fn every_case_of_the_period_is_judged_with_the_intervals_that_decide_it() {
    let emulator = Emulator::start("history");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--regions", "us-east-1,eu-west-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    let period = &report["period"];
    let (start, end) = (time(&period["start"]), time(&period["end"]));
    assert_eq!((end - start).num_days(), 30, "the default period: {period}");
    let status = |account: &str| finding(&emulator, &report, account)["status"].clone();

    // Nothing happened in the period, or only before it: the state read at the scan holds.
    for account in ["steady", "stopped-before-period", "management"] {
        assert_eq!(status(account), "PASS", "{account}");
    }

    // Stopped on day -10, restarted on day -8: today's state passes, the period does not.
    let restarted = finding(&emulator, &report, "stopped-and-restarted");
    assert_eq!(restarted["status"], "FAIL");
    assert_eq!(
        gaps(&restarted),
        vec![(2 * DAY, Some("StopLogging".into()), Some("main".into()))]
    );
    let gap = &restarted["evidence"]["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "gap")
        .unwrap()
        .clone();
    assert!(
        gap["who"]
            .as_str()
            .unwrap()
            .ends_with(":assumed-role/OrganizationAccountAccessRole/seed"),
        "{gap}"
    );
    assert!(gap["source_ip"].is_string(), "{gap}");
    let stop = restarted["evidence"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["event_name"] == "StopLogging")
        .unwrap()
        .clone();
    assert_eq!(time(&gap["start"]), time(&stop["time"]));
    assert_eq!(change_names(&restarted), ["StartLogging", "StopLogging"]);
    let summary = restarted["evidence"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("(2d 0h): StopLogging on trail main"),
        "{summary}"
    );

    // Stopped on day -5 and still stopped: the gap runs to the end of the period.
    let still = finding(&emulator, &report, "still-stopped");
    assert_eq!(still["status"], "FAIL");
    let still_gaps = still["evidence"]["intervals"].as_array().unwrap();
    let last = still_gaps.iter().rfind(|i| i["kind"] == "gap").unwrap();
    assert_eq!(time(&last["end"]), end);
    assert_eq!(last["event"], "StopLogging");
    assert!(
        (last["seconds"].as_i64().unwrap() - 5 * DAY).abs() < 600,
        "{last}"
    );

    // One of two compliant trails stopped for a day while the other kept logging: no gap.
    let two = finding(&emulator, &report, "one-of-two-stopped");
    assert_eq!(two["status"], "PASS", "{two}");
    assert!(gaps(&two).is_empty());
    assert_eq!(change_names(&two), ["StartLogging", "StopLogging"]);
    assert!(two["evidence"]["summary"]
        .as_str()
        .unwrap()
        .contains("2 trail change(s) in the period, none opened a gap"));

    // Narrowed to writes for three days, then restored.
    let narrowed = finding(&emulator, &report, "narrowed-to-writes");
    assert_eq!(narrowed["status"], "FAIL");
    assert_eq!(
        gaps(&narrowed),
        vec![(
            3 * DAY,
            Some("PutEventSelectors".into()),
            Some("main".into())
        )]
    );

    // Deleted on day -7, recreated a day later and logging an hour after that.
    let recreated = finding(&emulator, &report, "deleted-and-recreated");
    assert_eq!(recreated["status"], "FAIL");
    assert_eq!(
        gaps(&recreated),
        vec![(DAY + 3600, Some("DeleteTrail".into()), Some("main".into()))]
    );
    assert_eq!(
        change_names(&recreated),
        ["StartLogging", "CreateTrail", "DeleteTrail"]
    );

    // CloudWatch Logs added: listed, not failed.
    let benign = finding(&emulator, &report, "cloudwatch-added");
    assert_eq!(benign["status"], "PASS");
    assert_eq!(change_names(&benign), ["UpdateTrail"]);

    // The inventory holds the events, so a report made offline judges the same.
    let offline = emulator.dir.path().join("offline");
    let output = support::report(&out.join("inventory.json"), &offline, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let again = read_json(&offline.join("report.json"));
    for account in [
        "stopped-and-restarted",
        "deleted-and-recreated",
        "one-of-two-stopped",
    ] {
        assert_eq!(
            finding(&emulator, &again, account)["evidence"],
            finding(&emulator, &report, account)["evidence"],
            "{account}"
        );
    }

    // History is read in each audited region with one lookup of CloudTrail's event source: these
    // regions are quiet, every CloudTrail event of the period fits its one page.
    for account in ["steady", "stopped-and-restarted", "deleted-and-recreated"] {
        let lookups = lookups_by_region(&emulator, account);
        assert_eq!(
            lookups,
            [
                ("eu-west-1".to_string(), vec![BY_SOURCE.to_string()]),
                ("us-east-1".to_string(), vec![BY_SOURCE.to_string()])
            ]
            .into(),
            "{account}: two regions, one call each"
        );
    }
}

const BY_SOURCE: &str = "EventSource=cloudtrail.amazonaws.com";

/// An account's LookupEvents, by region, each as its lookup attribute, in the order sent.
fn lookups_by_region(
    emulator: &Emulator,
    account: &str,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut lookups = std::collections::BTreeMap::<String, Vec<String>>::new();
    for request in emulator.requests() {
        if request.action == "LookupEvents" && request.account == emulator.account(account) {
            lookups
                .entry(request.region)
                .or_default()
                .push(request.lookup_attribute.unwrap_or_default());
        }
    }
    lookups
}

#[test]
fn a_busy_region_falls_back_to_the_seven_names_and_still_finds_the_gap() {
    // A SIEM polled the trails of stopped-and-restarted in us-east-1, where its StopLogging and
    // StartLogging were recorded: more CloudTrail events in the period than one page holds.
    let emulator = Emulator::start_with(
        "history",
        &["--busy-history", "stopped-and-restarted:us-east-1"],
    );
    let out = emulator.dir.path().join("out");
    let accounts = [
        emulator.account("stopped-and-restarted"),
        emulator.account("still-stopped"),
    ]
    .join(",");
    let output = emulator.scan(
        &out,
        &["--regions", "us-east-1,eu-west-1", "--accounts", &accounts],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));

    // The busy region: the event source's first page has a NextToken, so the seven names are
    // looked up instead, one page each; the quiet region: the one call.
    let by_name = |name: &str| format!("EventName={name}");
    let mut busy = vec![BY_SOURCE.to_string()];
    busy.extend(
        [
            "CreateTrail",
            "DeleteTrail",
            "StartLogging",
            "StopLogging",
            "UpdateTrail",
            "PutEventSelectors",
            "PutInsightSelectors",
        ]
        .map(by_name),
    );
    assert_eq!(
        lookups_by_region(&emulator, "stopped-and-restarted"),
        [
            ("eu-west-1".to_string(), vec![BY_SOURCE.to_string()]),
            ("us-east-1".to_string(), busy),
        ]
        .into()
    );
    // The gap is still found, from the StopLogging and StartLogging lookups.
    let restarted = finding(&emulator, &report, "stopped-and-restarted");
    assert_eq!(restarted["status"], "FAIL");
    assert_eq!(
        gaps(&restarted),
        vec![(2 * DAY, Some("StopLogging".into()), Some("main".into()))]
    );
    assert_eq!(change_names(&restarted), ["StartLogging", "StopLogging"]);

    // A quiet region finds its gap with its one call: still-stopped's StopLogging in us-east-1.
    assert_eq!(
        lookups_by_region(&emulator, "still-stopped"),
        [
            ("eu-west-1".to_string(), vec![BY_SOURCE.to_string()]),
            ("us-east-1".to_string(), vec![BY_SOURCE.to_string()]),
        ]
        .into()
    );
    let still = finding(&emulator, &report, "still-stopped");
    assert_eq!(still["status"], "FAIL");
    assert_eq!(change_names(&still), ["StopLogging"]);
    let still_gaps = gaps(&still);
    assert_eq!(still_gaps.len(), 1, "{still_gaps:?}");
    assert!((still_gaps[0].0 - 5 * DAY).abs() < 600, "{still_gaps:?}");
}

#[test]
fn an_organization_trail_stopped_for_two_hours_fails_every_member_it_covered_read_once() {
    let emulator = Emulator::start("history-organization-trail");
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--regions", "us-east-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&out.join("report.json"));
    for account in ["covered-by-org-trail", "also-covered", "management"] {
        let found = finding(&emulator, &report, account);
        assert_eq!(found["status"], "FAIL", "{account}");
        assert_eq!(
            gaps(&found),
            vec![(
                2 * 3600,
                Some("StopLogging".into()),
                Some("org-trail".into())
            )],
            "{account}"
        );
    }
    // Its own trail kept logging: the organization trail's stop opened no gap there.
    let own = finding(&emulator, &report, "own-trail-too");
    assert_eq!(own["status"], "PASS", "{own}");
    assert_eq!(change_names(&own), ["StartLogging", "StopLogging"]);

    // The management account's history was read once: one lookup per region (both quiet), for
    // its own audit and for every member the organization trail covers.
    assert_eq!(
        lookups_by_region(&emulator, "management"),
        [
            ("eu-central-1".to_string(), vec![BY_SOURCE.to_string()]),
            ("us-east-1".to_string(), vec![BY_SOURCE.to_string()]),
        ]
        .into(),
        "us-east-1 and the trail's home eu-central-1"
    );
}

#[test]
fn a_history_throttled_past_two_requests_a_second_is_still_complete() {
    // Another client uses one of the account's two lookups a second: orgtrail's paced requests
    // meet ThrottlingException and are retried until the history is whole. The region of the
    // changes is busy, so that its history takes the eight paced lookups (a quiet region's one
    // lookup meets no limit).
    let emulator = Emulator::start_with(
        "history",
        &[
            "--lookup-shared",
            "stopped-and-restarted",
            "--busy-history",
            "stopped-and-restarted:us-east-1",
        ],
    );
    let out = emulator.dir.path().join("out");
    let account = emulator.account("stopped-and-restarted").to_string();
    let output = emulator.scan(
        &out,
        &[
            "--regions",
            "us-east-1,eu-west-1",
            "--accounts",
            &account,
            "--max-attempts",
            "10",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let inventory = read_json(&out.join("inventory.json"));
    assert!(
        inventory["collection"]["throttling_retries"]
            .as_u64()
            .unwrap()
            > 0,
        "{}",
        inventory["collection"]
    );
    let report = read_json(&out.join("report.json"));
    let restarted = finding(&emulator, &report, "stopped-and-restarted");
    assert_eq!(
        gaps(&restarted),
        vec![(2 * DAY, Some("StopLogging".into()), Some("main".into()))]
    );
    assert_eq!(change_names(&restarted), ["StartLogging", "StopLogging"]);
}

#[test]
fn a_period_event_history_cannot_attest_exits_2_naming_the_limit_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    for (period, says) in [
        ("2020-01", "90 days"),
        ("2999-01", "in the future"),
        ("2026-11-20..2026-11-10", "END must come after START"),
        ("last month", "YYYY-MM"),
    ] {
        let output = orgtrail()
            .args(["scan", "--out"])
            .arg(dir.path().join("out"))
            .args(["--period", period])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{period}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(says),
            "{period}: {}",
            stderr(&output)
        );
    }
}
