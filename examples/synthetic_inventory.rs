//! Writes a synthetic inventory of N accounts to stdout, for benchmarking `orgtrail report` at
//! organization scale without AWS:
//!
//!     cargo run --release --example synthetic_inventory -- 10000 > /tmp/inventory-10k.json
//!
//! Accounts cycle through the set-ups real organizations have (a good multi-region trail, an
//! organization trail, a regional trail, a stopped trail, write-only or advanced selectors, data
//! events only, no trail, a denied role, a closed account), so every rule sees passes and failures.

use chrono::{Duration, Utc};
use orgtrail::model::{
    Account, AccountInventory, AdvancedEventSelector, Audit, CollectionStats, DataResource,
    EventSelector, EventSelectors, FieldSelector, Inventory, Organization, Period, Readable, Trail,
    TrailEvent, TrailStatus, INVENTORY_SCHEMA,
};
use orgtrail::regions::DEFAULT_REGIONS;

const MANAGEMENT: &str = "100000000000";

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("the account count is a number"))
        .unwrap_or(10_000);
    serde_json::to_writer(std::io::stdout().lock(), &inventory(count)).expect("write to stdout");
}

/// The synthetic organization of `count` accounts (tests/layout.rs reports it too).
pub fn inventory(count: usize) -> Inventory {
    let collected_at = Utc::now();
    let organization_trail = trail(MANAGEMENT, "org-trail", "us-east-1", true, collected_at);
    let accounts = (0..count)
        .map(|i| {
            let id = format!("{:012}", 100_000_000_000u64 + i as u64);
            account(i, &id, &organization_trail, collected_at)
        })
        .collect();
    Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at,
        caller_arn: format!("arn:aws:sts::{MANAGEMENT}:assumed-role/Audit/bench"),
        home_region: Some("us-east-1".to_string()),
        organization: Organization {
            id: Some("o-synthetic01".to_string()),
            management_account_id: Some(MANAGEMENT.to_string()),
        },
        regions: DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect(),
        accounts,
        collection: Some(CollectionStats::default()),
        settings: None,
        shard: None,
        service_control_policies: None,
        period: Some(Period {
            start: collected_at - Duration::days(30),
            end: collected_at,
        }),
    }
}

fn account(
    i: usize,
    id: &str,
    organization_trail: &Trail,
    now: chrono::DateTime<Utc>,
) -> AccountInventory {
    let region = DEFAULT_REGIONS[i % DEFAULT_REGIONS.len()];
    let mut audit = Audit::Audited;
    let mut status = "ACTIVE";
    let trails = match i % 10 {
        0 => vec![trail(id, "main", region, true, now)],
        1 => vec![organization_trail.clone()],
        2 => vec![trail(id, "regional", region, false, now)],
        3 => {
            let mut stopped = trail(id, "stopped", region, true, now);
            stopped.status.is_logging = false;
            vec![stopped]
        }
        4 => {
            let mut writes = trail(id, "writes", region, true, now);
            writes.event_selectors.basic[0].read_write_type = "WriteOnly".into();
            writes.cloudwatch_logs_log_group_arn = None;
            vec![writes, trail(id, "regional", "eu-west-1", false, now)]
        }
        5 => {
            let mut advanced = trail(id, "advanced", region, true, now);
            advanced.event_selectors = EventSelectors {
                basic: vec![],
                advanced: vec![AdvancedEventSelector {
                    name: Some("management".into()),
                    field_selectors: vec![FieldSelector {
                        field: "eventCategory".into(),
                        equals: vec!["Management".into()],
                        ..FieldSelector::default()
                    }],
                }],
            };
            advanced.status.latest_cloudwatch_logs_delivery_time = Some(now - Duration::hours(30));
            vec![advanced]
        }
        6 => {
            let mut data = trail(id, "data", region, true, now);
            data.event_selectors.basic[0].include_management_events = false;
            data.event_selectors.basic[0].data_resources = vec![DataResource {
                resource_type: "AWS::S3::Object".into(),
                values: vec!["arn:aws:s3".into()],
            }];
            vec![data]
        }
        7 => Vec::new(),
        8 => {
            audit = Audit::Error {
                error: format!(
                    "sts:AssumeRole into arn:aws:iam::{id}:role/Audit access denied (AccessDenied)"
                ),
            };
            Vec::new()
        }
        _ if i % 20 == 9 => {
            status = "SUSPENDED";
            audit = Audit::Skipped {
                reason: "account is SUSPENDED in Organizations".into(),
            };
            Vec::new()
        }
        _ => vec![
            trail(id, "main", region, true, now),
            organization_trail.clone(),
        ],
    };
    // One account in fifty had its trail stopped for two hours during the period.
    let history = match trails.first() {
        Some(stopped) if i % 50 == 10 && matches!(audit, Audit::Audited) => {
            let change = |event: &str, hours_ago: i64| TrailEvent {
                time: now - Duration::hours(hours_ago),
                event_name: event.to_string(),
                trail: stopped.name.clone(),
                account_id: id.to_string(),
                region: stopped.home_region.clone(),
                who: Some(format!("arn:aws:iam::{id}:user/operator")),
                source_ip: Some("198.51.100.7".to_string()),
                user_agent: Some("aws-cli/2.17.0".to_string()),
                request_parameters: serde_json::json!({ "name": stopped.name }),
                event_id: format!("{id}-{event}"),
            };
            vec![change("StartLogging", 98), change("StopLogging", 100)]
        }
        _ => Vec::new(),
    };
    AccountInventory {
        account: Account {
            id: id.to_string(),
            name: format!("workload-{i:05}"),
            email: format!("aws+workload-{i:05}@example.com"),
            status: status.to_string(),
            // Every 97th account directly under the root, as management and security accounts sit.
            ou_path: Some(if i % 97 == 0 {
                "Root".to_string()
            } else {
                format!("Root/Workloads/Team-{:03}", i % 300)
            }),
            parent_ids: Vec::new(),
        },
        audit,
        trails,
        log_buckets: Vec::new(),
        trail_keys: Vec::new(),
        log_groups: Vec::new(),
        collected_at: Some(now),
        history: Some(Readable::Read(history)),
    }
}

fn trail(
    account: &str,
    name: &str,
    region: &str,
    multi_region: bool,
    now: chrono::DateTime<Utc>,
) -> Trail {
    Trail {
        name: name.to_string(),
        arn: format!("arn:aws:cloudtrail:{region}:{account}:trail/{name}"),
        home_region: region.to_string(),
        is_multi_region: multi_region,
        is_organization_trail: name == "org-trail",
        include_global_service_events: true,
        log_file_validation_enabled: true,
        s3_bucket_name: Some(format!("cloudtrail-{account}")),
        s3_key_prefix: None,
        sns_topic_arn: None,
        kms_key_id: None,
        cloudwatch_logs_log_group_arn: Some(format!(
            "arn:aws:logs:{region}:{account}:log-group:{name}:*"
        )),
        cloudwatch_logs_role_arn: Some(format!("arn:aws:iam::{account}:role/{name}-logs")),
        has_insight_selectors: false,
        status: TrailStatus {
            is_logging: true,
            latest_delivery_time: Some(now - Duration::minutes(5)),
            latest_cloudwatch_logs_delivery_time: Some(now - Duration::minutes(5)),
            start_logging_time: Some(now - Duration::days(400)),
            ..TrailStatus::default()
        },
        event_selectors: EventSelectors {
            basic: vec![EventSelector {
                read_write_type: "All".into(),
                include_management_events: true,
                data_resources: vec![],
                exclude_management_event_sources: vec![],
            }],
            advanced: vec![],
        },
        unread: vec![],
    }
}
