//! Three months of a small organization, as three inventories, for trying `orgtrail trend`:
//!
//!     cargo run --example three_months -- /tmp/months/inventories
//!     for m in 2026-09 2026-10 2026-11; do
//!       orgtrail report --inventory /tmp/months/inventories/$m.json --out /tmp/months/$m
//!     done
//!     orgtrail trend /tmp/months/2026-* --out /tmp/months/trend
//!
//! tests/trend.rs checks the trend of these same months number by number, and
//! tests/visual/screenshots.sh renders it. Each account is, month by month, `good` (the demo's
//! payments-prod set-up: every rule passes), `bare` (no trail, outside the guarded OU: every rule
//! fails), `denied` (the
//! audit role could not be assumed: ERROR) or `closed` (listed, not audited):
//!
//! | account | 2026-09 | 2026-10 | 2026-11 | in the trend                                       |
//! | ------- | ------- | ------- | ------- | -------------------------------------------------- |
//! | alpha   | bare    | bare    | bare    | failing 3 runs in a row                            |
//! | bravo   | good    | bare    | bare    | newly failing in October, failing 2 runs in a row  |
//! | charlie | bare    | good    | good    | fixed in October                                   |
//! | delta   | good    | denied  | bare    | failing 1 run: the run it was not audited ends it  |
//! | echo    | closed  | closed  | closed  | not audited                                        |

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use orgtrail::model::{AccountInventory, Audit, Inventory, Period, Readable};

const DEMO: &str = include_str!("demo-inventory.json");
/// payments-prod, the demo account every rule passes.
const GOOD: &str = "210101010101";

#[derive(Clone, Copy)]
pub enum State {
    Good,
    Bare,
    Denied,
    Closed,
}

/// (id, name, state in each month)
pub const ACCOUNTS: [(&str, &str, [State; 3]); 5] = {
    use State::*;
    [
        ("101010101010", "alpha", [Bare, Bare, Bare]),
        ("202020202020", "bravo", [Good, Bare, Bare]),
        ("303030303030", "charlie", [Bare, Good, Good]),
        ("404040404040", "delta", [Good, Denied, Bare]),
        ("505050505050", "echo", [Closed, Closed, Closed]),
    ]
};

pub const MONTHS: [&str; 3] = ["2026-09", "2026-10", "2026-11"];

/// The three months' inventories, oldest first, each with its label (`2026-09`, ...).
pub fn months() -> Vec<(&'static str, Inventory)> {
    let demo = Inventory::from_json(DEMO).expect("the demo inventory parses");
    let good = demo
        .accounts
        .iter()
        .find(|a| a.account.id == GOOD)
        .expect("payments-prod is in the demo");
    MONTHS
        .iter()
        .enumerate()
        .map(|(month, label)| {
            let collected_at: DateTime<Utc> = format!("{label}-01T06:00:00Z").parse().unwrap();
            let accounts = ACCOUNTS
                .iter()
                .map(|(id, name, states)| account(good, id, name, states[month], collected_at))
                .collect();
            let mut inventory = Inventory {
                collected_at,
                accounts,
                collection: None,
                // Each month audits the 30 days before its collection.
                period: Some(Period {
                    start: collected_at - Duration::days(30),
                    end: collected_at,
                }),
                ..demo.clone()
            };
            // Each account's own attachment (FullAWSAccess): the SCP guardrail is decided on
            // what was read, from the OU the account sits in.
            if let Some(policies) = inventory.service_control_policies.as_mut() {
                for (id, _, _) in ACCOUNTS {
                    policies.attached.insert(
                        id.to_string(),
                        Readable::Read(vec!["p-FullAWSAccess".to_string()]),
                    );
                }
            }
            (*label, inventory)
        })
        .collect()
}

fn account(
    good: &AccountInventory,
    id: &str,
    name: &str,
    state: State,
    collected_at: DateTime<Utc>,
) -> AccountInventory {
    // The good set-up under this account's id (its trail, bucket and key ARNs name the account).
    let text = serde_json::to_string(good).unwrap().replace(GOOD, id);
    let mut account: AccountInventory = serde_json::from_str(&text).unwrap();
    account.account.name = name.to_string();
    account.account.email = format!("aws+{name}@example.com");
    // No trail changed during the month: each account stands as its state says all month.
    account.history = Some(Readable::Read(Vec::new()));
    for trail in &mut account.trails {
        // Delivered an hour before this month's collection, as a healthy trail is.
        trail.status.latest_delivery_time = Some(collected_at - Duration::hours(1));
        trail.status.latest_cloudwatch_logs_delivery_time = Some(collected_at - Duration::hours(1));
        trail.status.start_logging_time = Some(collected_at - Duration::days(200));
    }
    match state {
        State::Good => {}
        State::Bare => {
            account.trails.clear();
            account.log_buckets.clear();
            account.trail_keys.clear();
            account.log_groups.clear();
            // Outside the OU whose SCP guards trails.
            account.account.parent_ids =
                vec!["r-acme".to_string(), "ou-acme-workloads".to_string()];
        }
        State::Denied => {
            account.trails.clear();
            account.log_buckets.clear();
            account.trail_keys.clear();
            account.audit = Audit::Error {
                error: format!(
                    "sts:AssumeRole into arn:aws:iam::{id}:role/OrgTrailAudit denied (AccessDenied)"
                ),
            };
        }
        State::Closed => {
            account.trails.clear();
            account.log_buckets.clear();
            account.trail_keys.clear();
            account.account.status = "SUSPENDED".to_string();
            account.audit = Audit::Skipped {
                reason: "account is SUSPENDED in Organizations".to_string(),
            };
        }
    }
    account
}

#[allow(dead_code)] // tests/trend.rs includes this file for `months()`
fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: three_months DIR (the inventories are written there)"),
    );
    std::fs::create_dir_all(&dir).expect("create the directory");
    for (label, inventory) in months() {
        let path = dir.join(format!("{label}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&inventory).unwrap()).expect("write");
        println!("{}", path.display());
    }
}
