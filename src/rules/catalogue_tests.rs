//! Every rule of the catalogue on typed inventories: one account set up by the book, then one
//! thing taken away at a time, including the traps each rule's text warns about.

use chrono::{DateTime, Duration, Utc};

use super::verdict::PeriodHistory;
use super::{catalogue, AccountTrails, Placement, Verdict};
use crate::findings::Status;
use crate::model::{
    AdvancedEventSelector, AlarmTopic, BucketAccess, DataResource, EventSelector, EventSelectors,
    FieldSelector, LogBucket, LogGroup, LogGroupWatch, MetricAlarm, MetricFilter, MetricName,
    Period, PublicAccessBlock, Readable, ServiceControlPolicies, ServiceControlPolicy, Trail,
    TrailEvent, TrailKey, TrailStatus,
};

pub(super) const ACCOUNT: &str = "111111111111";
pub(super) const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/1234abcd";

pub(super) fn now() -> DateTime<Utc> {
    "2026-11-01T12:00:00Z".parse().unwrap()
}

/// One account with everything the catalogue asks for.
pub(super) struct Account {
    pub(super) trails: Vec<Trail>,
    pub(super) log_buckets: Vec<LogBucket>,
    pub(super) trail_keys: Vec<TrailKey>,
    pub(super) log_groups: Vec<LogGroup>,
    pub(super) regions: Vec<String>,
    /// The root and OU above the account, and the SCPs the organization has there.
    pub(super) parent_ids: Vec<String>,
    pub(super) policies: ServiceControlPolicies,
    /// The trail changes of the period (none: nothing changed).
    pub(super) history: Readable<Vec<TrailEvent>>,
}

impl Account {
    pub(super) fn by_the_book() -> Self {
        Account {
            trails: vec![trail("main", "us-east-1", true)],
            log_buckets: vec![bucket("main-logs", good_bucket())],
            trail_keys: vec![TrailKey {
                arn: KEY.into(),
                rotation: Readable::Read(true),
                read_as_owner: None,
            }],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            log_groups: vec![watched_log_group(
                "arn:aws:logs:us-east-1:111111111111:log-group:main:*",
            )],
            parent_ids: vec![ROOT.into(), OU.into()],
            policies: guarded_organization(),
            history: Readable::Read(Vec::new()),
        }
    }

    pub(super) fn run(&self, rule: &str) -> Verdict {
        run_as(self, ACCOUNT, rule)
    }

    pub(super) fn status(&self, rule: &str) -> Status {
        self.run(rule).status
    }
}

/// `rule` on `account` as if it were the account `account_id`.
pub(super) fn run_as(account: &Account, account_id: &str, rule: &str) -> Verdict {
    let rule = catalogue()
        .iter()
        .find(|r| r.meta.id == rule)
        .expect("rule exists");
    (rule.check)(&AccountTrails {
        account_id,
        trails: &account.trails,
        log_buckets: &account.log_buckets,
        trail_keys: &account.trail_keys,
        log_groups: &account.log_groups,
        regions: &account.regions,
        collected_at: now(),
        placement: Placement {
            parent_ids: &account.parent_ids,
            management_account_id: Some(MANAGEMENT),
            service_control_policies: Some(&account.policies),
        },
        history: Some(PeriodHistory {
            period: Period {
                start: now() - Duration::days(30),
                end: now(),
            },
            events: &account.history,
        }),
    })
}

pub(super) const CHANGES_TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:security-alerts";

/// A log group with CIS's filter for trail changes, an alarm on its metric and a topic someone
/// confirmed a subscription to.
pub(super) fn watched_log_group(arn: &str) -> LogGroup {
    let metric = MetricName {
        namespace: "CISBenchmark".into(),
        name: "TrailChanges".into(),
    };
    LogGroup {
        arn: arn.into(),
        watch: Readable::Read(LogGroupWatch {
            metric_filters: vec![MetricFilter {
                name: "trail-changes".into(),
                pattern: super::filter_pattern::CIS_PATTERN.into(),
                metrics: vec![metric.clone()],
            }],
            alarms: vec![MetricAlarm {
                name: "trail-changes".into(),
                metric,
                actions_enabled: true,
                alarm_actions: vec![CHANGES_TOPIC.into()],
            }],
            topics: vec![AlarmTopic {
                arn: CHANGES_TOPIC.into(),
                subscriptions: Readable::Read(vec![format!("{CHANGES_TOPIC}:0f3c")]),
            }],
        }),
    }
}

pub(super) const MANAGEMENT: &str = "999999999999";
pub(super) const ROOT: &str = "r-root";
pub(super) const OU: &str = "ou-root-workloads";
pub(super) const FULL_AWS_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// SCPs on, FullAWSAccess at every level, and the guardrail against trail changes at the root.
pub(super) fn guarded_organization() -> ServiceControlPolicies {
    let policy = |name: &str, content: &str| {
        Readable::Read(ServiceControlPolicy {
            name: name.into(),
            aws_managed: name == "FullAWSAccess",
            content: content.into(),
        })
    };
    let attached = |ids: &[&str]| Readable::Read(ids.iter().map(|id| id.to_string()).collect());
    ServiceControlPolicies {
        feature_set: Readable::Read("ALL".into()),
        root_status: Readable::Read(Some("ENABLED".into())),
        attached: [
            (ROOT.to_string(), attached(&["p-FullAWSAccess", "p-guard"])),
            (OU.to_string(), attached(&["p-FullAWSAccess"])),
            (ACCOUNT.to_string(), attached(&["p-FullAWSAccess"])),
        ]
        .into(),
        policies: [
            (
                "p-FullAWSAccess".to_string(),
                policy("FullAWSAccess", FULL_AWS_ACCESS),
            ),
            (
                "p-guard".to_string(),
                policy("protect-trails", super::guardrails::MINIMAL_STATEMENT),
            ),
        ]
        .into(),
    }
}

pub(super) fn trail(name: &str, home: &str, multi_region: bool) -> Trail {
    Trail {
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:{home}:{ACCOUNT}:trail/{name}"),
        home_region: home.into(),
        is_multi_region: multi_region,
        is_organization_trail: false,
        include_global_service_events: true,
        log_file_validation_enabled: true,
        s3_bucket_name: Some(format!("{name}-logs")),
        s3_key_prefix: None,
        sns_topic_arn: Some(format!("arn:aws:sns:{home}:{ACCOUNT}:trail-events")),
        kms_key_id: Some(KEY.into()),
        cloudwatch_logs_log_group_arn: Some(format!(
            "arn:aws:logs:{home}:{ACCOUNT}:log-group:{name}:*"
        )),
        cloudwatch_logs_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/{name}")),
        has_insight_selectors: true,
        status: TrailStatus {
            is_logging: true,
            latest_delivery_time: Some(now() - Duration::minutes(10)),
            latest_cloudwatch_logs_delivery_time: Some(now() - Duration::minutes(10)),
            ..TrailStatus::default()
        },
        event_selectors: EventSelectors {
            basic: vec![EventSelector {
                read_write_type: "All".into(),
                include_management_events: true,
                data_resources: vec![DataResource {
                    resource_type: "AWS::S3::Object".into(),
                    values: vec!["arn:aws:s3".into()],
                }],
                exclude_management_event_sources: vec![],
            }],
            advanced: vec![],
        },
        unread: vec![],
    }
}

pub(super) fn good_bucket() -> BucketAccess {
    BucketAccess {
        public_access_block: Some(PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        }),
        policy_is_public: Some(false),
        public_acl_grants: vec![],
        access_log_target: Some("s3://access-logs/main-logs/".into()),
    }
}

pub(super) fn bucket(name: &str, access: BucketAccess) -> LogBucket {
    LogBucket {
        name: name.into(),
        access: Readable::Read(access),
        read_as_owner: None,
    }
}

#[test]
fn an_account_set_up_by_the_book_passes_every_rule() {
    let account = Account::by_the_book();
    for rule in catalogue() {
        let verdict = account.run(&rule.meta.id);
        assert_eq!(
            verdict.status,
            Status::Pass,
            "{}: {}",
            rule.meta.id,
            verdict.evidence.summary
        );
        assert!(verdict.fix.is_none(), "{}", rule.meta.id);
    }
}

#[test]
fn an_account_without_trails_fails_every_rule() {
    let mut account = Account::by_the_book();
    account.trails.clear();
    // The guardrail is the organization's: it holds whether or not the account has a trail yet.
    for rule in catalogue()
        .iter()
        .filter(|r| r.meta.id != "cloudtrail-protected-by-scp")
    {
        let verdict = account.run(&rule.meta.id);
        assert_eq!(verdict.status, Status::Fail, "{}", rule.meta.id);
        assert!(verdict.fix.is_some(), "{} gives no fix", rule.meta.id);
    }
}

#[test]
fn log_file_validation_must_be_on_for_every_trail() {
    let mut account = Account::by_the_book();
    let mut second = trail("second", "eu-west-1", false);
    second.log_file_validation_enabled = false;
    account.trails.push(second);
    account
        .log_buckets
        .push(bucket("second-logs", good_bucket()));
    let verdict = account.run("cloudtrail-log-file-validation");
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.evidence.summary.ends_with("second"));
    assert_eq!(
        verdict.fix.unwrap(),
        "aws cloudtrail update-trail --region eu-west-1 --name second --enable-log-file-validation"
    );
}

#[test]
fn kms_encryption_fails_a_trail_with_s3_managed_keys_only() {
    let mut account = Account::by_the_book();
    account.trails[0].kms_key_id = None;
    assert_eq!(account.status("cloudtrail-kms-encryption"), Status::Fail);
    assert_eq!(account.status("cloudtrail-kms-key-rotation"), Status::Fail);
}

#[test]
fn key_rotation_off_fails_and_an_unreadable_key_is_not_verifiable() {
    let mut account = Account::by_the_book();
    account.trail_keys[0].rotation = Readable::Read(false);
    let verdict = account.run("cloudtrail-kms-key-rotation");
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(
        verdict.fix.unwrap(),
        format!("aws kms enable-key-rotation --region us-east-1 --key-id {KEY}")
    );

    account.trail_keys[0].rotation = Readable::NotVerifiable {
        reason: "kms:GetKeyRotationStatus access denied (AccessDeniedException)".into(),
    };
    let verdict = account.run("cloudtrail-kms-key-rotation");
    assert_eq!(verdict.status, Status::Error);
    assert!(verdict.evidence.summary.contains("Not verifiable: "));
    assert!(verdict.fix.is_none());
}

#[test]
fn a_public_acl_or_policy_makes_the_log_bucket_public_unless_block_public_access_neutralises_it() {
    let mut account = Account::by_the_book();
    let access =
        |block: Option<PublicAccessBlock>, grants: &[&str], policy: Option<bool>| BucketAccess {
            public_access_block: block,
            policy_is_public: policy,
            public_acl_grants: grants.iter().map(|g| g.to_string()).collect(),
            access_log_target: None,
        };
    let ignore_acls = PublicAccessBlock {
        ignore_public_acls: true,
        ..PublicAccessBlock::default()
    };
    let cases = [
        (
            access(None, &["everyone (AllUsers): READ"], None),
            Status::Fail,
        ),
        (
            access(Some(ignore_acls), &["everyone (AllUsers): READ"], None),
            Status::Pass,
        ),
        (access(None, &[], Some(true)), Status::Fail),
        (access(Some(ignore_acls), &[], Some(true)), Status::Fail),
        (access(None, &[], None), Status::Pass),
    ];
    for (bucket_access, expected) in cases {
        account.log_buckets = vec![bucket("main-logs", bucket_access.clone())];
        assert_eq!(
            account.status("cloudtrail-log-bucket-not-public"),
            expected,
            "{bucket_access:?}"
        );
    }
}

#[test]
fn a_log_bucket_this_account_cannot_read_is_not_verifiable_rather_than_passed_or_failed() {
    let mut account = Account::by_the_book();
    account.log_buckets = vec![LogBucket {
        name: "main-logs".into(),
        access: Readable::NotVerifiable {
            reason: "s3:GetBucketLocation on main-logs access denied (AccessDenied)".into(),
        },
        read_as_owner: None,
    }];
    for rule in [
        "cloudtrail-log-bucket-not-public",
        "cloudtrail-log-bucket-access-logging",
    ] {
        let verdict = account.run(rule);
        assert_eq!(verdict.status, Status::Error, "{rule}");
        assert!(verdict.evidence.summary.contains("Not verifiable: "));
    }
    // But a bucket that can be read and fails still fails the account.
    let mut public = good_bucket();
    public.public_access_block = None;
    public.public_acl_grants = vec!["everyone (AllUsers): READ".into()];
    account.trails.push(trail("second", "us-east-1", true));
    account.log_buckets.push(bucket("second-logs", public));
    assert_eq!(
        account.status("cloudtrail-log-bucket-not-public"),
        Status::Fail
    );
}

#[test]
fn access_logging_off_on_the_log_bucket_fails() {
    let mut account = Account::by_the_book();
    let mut access = good_bucket();
    access.access_log_target = None;
    account.log_buckets = vec![bucket("main-logs", access)];
    let verdict = account.run("cloudtrail-log-bucket-access-logging");
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict
        .fix
        .unwrap()
        .contains("put-bucket-logging --bucket main-logs"));
}

#[test]
fn s3_data_events_count_per_direction_and_only_for_every_bucket_on_a_multi_region_trail() {
    let mut account = Account::by_the_book();
    account.trails[0].event_selectors.basic[0].read_write_type = "WriteOnly".into();
    assert_eq!(
        account.status("cloudtrail-s3-data-events-write"),
        Status::Pass
    );
    assert_eq!(
        account.status("cloudtrail-s3-data-events-read"),
        Status::Fail
    );

    account.trails[0].event_selectors.basic[0].read_write_type = "All".into();
    account.trails[0].event_selectors.basic[0].data_resources[0].values =
        vec!["arn:aws:s3:::payments/".into()];
    let verdict = account.run("cloudtrail-s3-data-events-write");
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.evidence.trails[0]
        .detail
        .contains("arn:aws:s3:::payments/"));

    let mut regional = Account::by_the_book();
    regional.trails[0].is_multi_region = false;
    assert_eq!(
        regional.status("cloudtrail-s3-data-events-write"),
        Status::Fail
    );
}

#[test]
fn s3_data_events_from_advanced_selectors_union_reads_and_writes() {
    let data = |read_only: &str| AdvancedEventSelector {
        name: Some(format!("S3 readOnly={read_only}")),
        field_selectors: vec![
            FieldSelector {
                field: "eventCategory".into(),
                equals: vec!["Data".into()],
                ..FieldSelector::default()
            },
            FieldSelector {
                field: "resources.type".into(),
                equals: vec!["AWS::S3::Object".into()],
                ..FieldSelector::default()
            },
            FieldSelector {
                field: "readOnly".into(),
                equals: vec![read_only.into()],
                ..FieldSelector::default()
            },
        ],
    };
    let mut account = Account::by_the_book();
    account.trails[0].event_selectors = EventSelectors {
        basic: vec![],
        advanced: vec![data("true"), data("false")],
    };
    assert_eq!(
        account.status("cloudtrail-s3-data-events-write"),
        Status::Pass
    );
    assert_eq!(
        account.status("cloudtrail-s3-data-events-read"),
        Status::Pass
    );
}

#[test]
fn delivery_fails_on_an_error_or_a_stale_delivery_and_ignores_stopped_trails() {
    let mut account = Account::by_the_book();
    account.trails[0].status.latest_delivery_error = Some("AccessDenied".into());
    assert_eq!(
        account.status("cloudtrail-s3-delivery-healthy"),
        Status::Fail
    );

    let mut stale = Account::by_the_book();
    stale.trails[0].status.latest_delivery_time = Some(now() - Duration::hours(30));
    let verdict = stale.run("cloudtrail-s3-delivery-healthy");
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.evidence.trails[0].detail.contains("30 hours"));

    let mut stopped = trail("old", "us-east-1", false);
    stopped.status.is_logging = false;
    stopped.status.latest_delivery_time = None;
    let mut with_stopped = Account::by_the_book();
    with_stopped.trails.push(stopped);
    assert_eq!(
        with_stopped.status("cloudtrail-s3-delivery-healthy"),
        Status::Pass
    );
}

#[test]
fn region_coverage_names_the_regions_a_regional_trail_leaves_out() {
    let mut account = Account::by_the_book();
    account.trails[0].is_multi_region = false;
    let verdict = account.run("cloudtrail-region-coverage");
    assert_eq!(verdict.status, Status::Fail);
    assert!(
        verdict.evidence.summary.contains("1 of 2"),
        "{}",
        verdict.evidence.summary
    );
    assert!(verdict
        .evidence
        .summary
        .contains("eu-west-1: no management events"));
}

#[test]
fn region_coverage_takes_reads_and_writes_from_different_trails_and_organization_trails() {
    let mut account = Account::by_the_book();
    account.trails[0].event_selectors.basic[0].read_write_type = "ReadOnly".into();
    let mut writes = trail("org", "eu-west-1", true);
    writes.arn = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org".into();
    writes.is_organization_trail = true;
    writes.event_selectors.basic[0].read_write_type = "WriteOnly".into();
    account.trails.push(writes);
    assert_eq!(account.status("cloudtrail-region-coverage"), Status::Pass);
    let coverage = super::coverage::region_coverage(&account.trails, &account.regions);
    assert_eq!(
        coverage[1].trails,
        vec!["main (multi-region)", "org (organization)"]
    );
}

#[test]
fn insights_and_sns_are_informational_and_fail_only_their_own_rules() {
    let mut account = Account::by_the_book();
    account.trails[0].has_insight_selectors = false;
    account.trails[0].sns_topic_arn = None;
    for rule in catalogue() {
        let expected = match rule.meta.id.as_str() {
            "cloudtrail-insights" | "cloudtrail-sns-notifications" => Status::Fail,
            _ => Status::Pass,
        };
        assert_eq!(account.status(&rule.meta.id), expected, "{}", rule.meta.id);
    }
}

#[test]
fn a_bucket_and_key_read_as_their_owner_say_so_and_decide_the_verdict() {
    let mut account = Account::by_the_book();
    account.log_buckets[0].read_as_owner = Some("222222222222".into());
    account.trail_keys[0].read_as_owner = Some("111111111111".into());
    for (rule, owner) in [
        ("cloudtrail-log-bucket-not-public", "222222222222"),
        ("cloudtrail-log-bucket-access-logging", "222222222222"),
        ("cloudtrail-kms-key-rotation", "111111111111"),
    ] {
        let verdict = account.run(rule);
        assert_eq!(verdict.status, Status::Pass, "{rule}");
        let detail = &verdict.evidence.trails[0].detail;
        assert!(
            detail.ends_with(&format!("(read as its owner, account {owner})")),
            "{rule}: {detail}"
        );
    }
    // Read with the audited account's own access (a policy granted it): said as such.
    account.log_buckets[0].read_as_owner = None;
    let verdict = account.run("cloudtrail-log-bucket-not-public");
    assert!(verdict.evidence.trails[0]
        .detail
        .ends_with("(read with this account's access)"));
}

#[test]
fn a_bucket_whose_owner_is_out_of_reach_is_an_error_carrying_the_owner_and_the_fix() {
    let mut account = Account::by_the_book();
    let reason = "its owner is an account outside organization o-abc (999999999999), where \
                  orgtrail has no audit role; read with account 111111111111's access instead: \
                  s3:GetBucketLocation on main-logs access denied (AccessDenied). Fix: add this \
                  statement to the bucket policy of main-logs: {}";
    account.log_buckets[0].access = Readable::NotVerifiable {
        reason: reason.into(),
    };
    let verdict = account.run("cloudtrail-log-bucket-not-public");
    assert_eq!(verdict.status, Status::Error);
    assert_eq!(
        verdict.evidence.trails[0].detail,
        format!("main-logs: not verifiable: {reason}")
    );
    assert!(verdict
        .evidence
        .summary
        .starts_with("Not verifiable: main-logs"));
    assert!(!verdict.evidence.summary.contains("from this account"));
}
