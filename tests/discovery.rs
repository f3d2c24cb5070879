//! Discovery against the emulator: a nested organization whose OUs and accounts span more than
//! one page is walked several OUs at a time, every account is found once with its OU path, and
//! auditing starts before the walk ends.

use std::collections::BTreeMap;

use crate::support::{read_json, stderr, Emulator, Request};
use serde_json::Value;

/// Added to every answer of the emulator, so that calls in flight together show in its log.
const LATENCY_MS: u32 = 100;
const MANAGEMENT: &str = "123456789012";

fn is_tree_listing(request: &Request) -> bool {
    request.service == "organizations"
        && matches!(
            request.action.as_str(),
            "ListAccountsForParent" | "ListOrganizationalUnitsForParent"
        )
}

/// The most tree listings in flight at once, as the emulator counted them: each listing's arrival
/// notes how many it held unanswered then, itself included, an answer counting until it left. An
/// ordering of arrivals and answers, not a window of wall-clock time: a walk that waited for each
/// answer before its next request shows 1, whatever the machine's load.
fn most_listings_in_flight(requests: &[Request]) -> usize {
    requests
        .iter()
        .filter(|r| is_tree_listing(r))
        .map(|r| {
            r.listings_in_flight
                .expect("the emulator counts tree listings")
        })
        .max()
        .unwrap_or(0)
}

/// Where the scenario put each account (tests/emulator/emulator.py, seed_nested_pages).
fn expected_path(name: &str) -> String {
    if name == "management" {
        "Root".to_string()
    } else if let Some(team) = name.strip_prefix("team-") {
        format!("Root/Wide/Team-{team}")
    } else if name.starts_with("leaf-") {
        "Root/Deep/Mid/Leaf".to_string()
    } else {
        panic!("unexpected account {name} in the scenario")
    }
}

#[test]
fn a_nested_organization_is_walked_several_ous_at_a_time_and_every_account_found_once_with_its_path(
) {
    let latency = LATENCY_MS.to_string();
    let emulator = Emulator::start_with("nested-pages", &["--latency", &latency]);
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--walk-width", "4", "--regions", "us-east-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let inventory = read_json(&out.join("inventory.json"));
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in inventory["accounts"].as_array().unwrap() {
        let account = &entry["account"];
        let name = emulator
            .name_of(account["id"].as_str().unwrap())
            .to_string();
        found
            .entry(name)
            .or_default()
            .push(account["ou_path"].as_str().unwrap_or("(none)").to_string());
    }
    let mut seeded: Vec<&str> = emulator.account_names().collect();
    seeded.sort_unstable();
    assert_eq!(found.keys().map(String::as_str).collect::<Vec<_>>(), seeded);
    for (name, paths) in &found {
        assert_eq!(paths, &[expected_path(name)], "{name}");
    }

    let requests = emulator.requests();
    // 28 parents (the root and 27 OUs), each listed once; Wide's 23 OUs and Leaf's 23 accounts
    // take a second page.
    for action in ["ListAccountsForParent", "ListOrganizationalUnitsForParent"] {
        let calls = requests.iter().filter(|r| r.action == action).count();
        assert_eq!(calls, 28 + 1, "{action}");
    }
    let in_flight = most_listings_in_flight(&requests);
    assert!(
        (3..=8).contains(&in_flight),
        "--walk-width 4 lists up to 4 OUs at once, each OU's accounts and child OUs side by side: \
         {in_flight} listings were in flight together"
    );
    // Auditing began while the tree was still being walked.
    let last_listing = requests
        .iter()
        .filter(|r| is_tree_listing(r))
        .map(|r| r.time)
        .fold(f64::MIN, f64::max);
    assert!(requests
        .iter()
        .any(|r| r.service == "sts" && r.action == "AssumeRole" && r.time < last_listing));

    // One OU at a time: at most its own two listings overlap.
    let before = requests.len();
    let out = emulator.dir.path().join("narrow");
    let output = emulator.scan(&out, &["--walk-width", "1", "--regions", "us-east-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let in_flight = most_listings_in_flight(&emulator.requests()[before..]);
    assert!(
        in_flight <= 2,
        "--walk-width 1: {in_flight} listings in flight together"
    );
    assert_eq!(
        accounts_and_audits(&read_json(&out.join("inventory.json"))),
        accounts_and_audits(&inventory)
    );

    // --ou naming an OU and another inside it: the inner one is listed, and its account audited,
    // once.
    let before = emulator.requests().len();
    let out = emulator.dir.path().join("overlap");
    let units = format!("{},{}", emulator.unit("Wide"), emulator.unit("Team-03"));
    let output = emulator.scan(&out, &["--ou", &units, "--regions", "us-east-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut names: Vec<String> = read_json(&out.join("inventory.json"))["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            emulator
                .name_of(a["account"]["id"].as_str().unwrap())
                .to_string()
        })
        .collect();
    names.sort_unstable();
    let teams: Vec<String> = (0..23).map(|i| format!("team-{i:02}")).collect();
    assert_eq!(names, teams);
    let listed = emulator.requests()[before..]
        .iter()
        .filter(|r| r.action == "ListAccountsForParent")
        .count();
    assert_eq!(listed, 1 + 23, "Wide and each of its 23 OUs");
}

#[test]
fn discovery_failing_after_auditing_began_fails_the_run_and_writes_nothing() {
    let latency = LATENCY_MS.to_string();
    let emulator = Emulator::start_with("nested-pages", &["--latency", &latency]);
    let out = emulator.dir.path().join("out");
    // The management account sits in the root, on the walk's first page, and is audited at once;
    // the unknown id is known to be missing only when the whole tree has been walked.
    let output = emulator.scan(
        &out,
        &[
            "--accounts",
            &format!("{MANAGEMENT},000000000000"),
            "--regions",
            "us-east-1",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("000000000000 which the organization does not list"));
    let written: Vec<_> = std::fs::read_dir(&out)
        .map(|dir| dir.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "{written:?}");

    let requests = emulator.requests();
    let last_listing = requests
        .iter()
        .filter(|r| is_tree_listing(r))
        .map(|r| r.time)
        .fold(f64::MIN, f64::max);
    assert!(
        requests
            .iter()
            .any(|r| r.service == "cloudtrail" && r.account == MANAGEMENT && r.time < last_listing),
        "the management account was audited while the walk went on"
    );
}

/// Each account as the organization lists it and how its audit went: what a walk of the tree
/// decides (each account's own collection time does not compare).
fn accounts_and_audits(inventory: &Value) -> Vec<(Value, Value)> {
    inventory["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["account"].clone(), entry["audit"].clone()))
        .collect()
}

#[test]
fn discovery_failing_part_way_exits_1_names_the_call_and_writes_nothing() {
    // The walk's listings of OUs are denied: the walk has begun (the root was read), the OUs
    // below the root cannot be listed. Whether the root's own accounts were listed first is a
    // race (discover.rs lists a parent's accounts and its OUs side by side, and the first error
    // ends the walk), so the test holds on to the root.
    let emulator = Emulator::start_with(
        "nested-pages",
        &[
            "--deny",
            &format!("{MANAGEMENT}:ListOrganizationalUnitsForParent"),
        ],
    );
    let out = emulator.dir.path().join("out");
    let output = emulator.scan(&out, &["--regions", "us-east-1"]);
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("ListOrganizationalUnitsForParent"), "{said}");
    let written: Vec<_> = std::fs::read_dir(&out)
        .map(|dir| dir.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "{written:?}");
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.action == "ListRoots" && r.fault.is_none()),
        "the walk had begun: the root was read before the failure"
    );
}
