//! The seed rules (CIS 3.1 and 3.4, Conformity CT-005 and CT-010) on typed inventories, looked
//! up through the registry as the evaluator does.

use chrono::{DateTime, Duration, Utc};

use super::{by_id, AccountTrails, Verdict};
use crate::findings::Status;
use crate::model::{
    AdvancedEventSelector, EventSelector, EventSelectors, FieldSelector, Trail, TrailStatus,
};

const ACCOUNT: &str = "111111111111";

fn now() -> DateTime<Utc> {
    "2026-11-01T12:00:00Z".parse().unwrap()
}

fn selector(read_write_type: &str, management: bool) -> EventSelector {
    EventSelector {
        read_write_type: read_write_type.into(),
        include_management_events: management,
        data_resources: vec![],
        exclude_management_event_sources: vec![],
    }
}

/// A trail that satisfies every seed rule; tests take one thing away at a time.
fn good_trail(name: &str) -> Trail {
    Trail {
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"),
        home_region: "us-east-1".into(),
        is_multi_region: true,
        is_organization_trail: false,
        include_global_service_events: true,
        log_file_validation_enabled: true,
        s3_bucket_name: Some("logs".into()),
        s3_key_prefix: None,
        sns_topic_arn: None,
        kms_key_id: None,
        cloudwatch_logs_log_group_arn: Some(format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}:*"
        )),
        cloudwatch_logs_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/{name}")),
        has_insight_selectors: false,
        status: TrailStatus {
            is_logging: true,
            latest_cloudwatch_logs_delivery_time: Some(now() - Duration::hours(1)),
            ..TrailStatus::default()
        },
        event_selectors: EventSelectors {
            basic: vec![selector("All", true)],
            advanced: vec![],
        },
        unread: vec![],
    }
}

fn passes(verdict: &Verdict) -> bool {
    verdict.status == Status::Pass
}

fn run(rule: &str, trails: &[Trail]) -> Verdict {
    by_id(rule).unwrap()(&AccountTrails {
        account_id: ACCOUNT,
        trails,
        log_buckets: &[],
        trail_keys: &[],
        log_groups: &[],
        regions: &[],
        collected_at: now(),
        placement: Default::default(),
        history: None,
    })
}

const CIS_3_1: &str = "cloudtrail-multi-region-management-events";
const CIS_3_4: &str = "cloudtrail-cloudwatch-logs";
const CT_005: &str = "cloudtrail-global-service-events";
const CT_010: &str = "cloudtrail-management-events";

const SEED_RULES: [&str; 4] = [CIS_3_1, CIS_3_4, CT_005, CT_010];

#[test]
fn an_account_with_one_good_trail_passes_every_seed_rule() {
    for rule in SEED_RULES {
        let verdict = run(rule, &[good_trail("main")]);
        assert!(passes(&verdict), "{rule}: {}", verdict.evidence.summary);
        assert!(verdict.fix.is_none());
    }
}

#[test]
fn an_account_without_trails_fails_every_seed_rule_with_a_create_command() {
    for rule in SEED_RULES {
        let verdict = run(rule, &[]);
        assert!(!passes(&verdict), "{rule}");
        assert!(verdict.fix.unwrap().contains("create-trail"));
        assert!(verdict.evidence.summary.contains("no trail"));
    }
}

#[test]
fn cis_3_1_fails_a_single_region_trail_and_suggests_making_it_multi_region() {
    let mut trail = good_trail("regional");
    trail.is_multi_region = false;
    let verdict = run(CIS_3_1, &[trail]);
    assert!(!passes(&verdict));
    assert!(verdict.evidence.trails[0].detail.contains("single-region"));
    assert_eq!(
        verdict.fix.unwrap(),
        "aws cloudtrail update-trail --region us-east-1 --name regional --is-multi-region-trail"
    );
}

#[test]
fn cis_3_1_fails_a_stopped_trail_and_suggests_starting_it() {
    let mut trail = good_trail("stopped");
    trail.status.is_logging = false;
    let verdict = run(CIS_3_1, &[trail]);
    assert!(!passes(&verdict));
    assert_eq!(
        verdict.fix.unwrap(),
        "aws cloudtrail start-logging --region us-east-1 --name stopped"
    );
}

#[test]
fn cis_3_1_fails_write_only_management_events() {
    let mut trail = good_trail("writes");
    trail.event_selectors.basic = vec![selector("WriteOnly", true)];
    let verdict = run(CIS_3_1, &[trail]);
    assert!(!passes(&verdict));
    assert!(verdict.evidence.trails[0].detail.contains("writes only"));
    assert!(verdict
        .fix
        .unwrap()
        .contains("put-event-selectors --region us-east-1 --trail-name writes"));
}

#[test]
fn cis_3_1_passes_on_the_union_of_advanced_read_and_write_selectors() {
    let management = |read_only: &str| AdvancedEventSelector {
        name: None,
        field_selectors: vec![
            FieldSelector {
                field: "eventCategory".into(),
                equals: vec!["Management".into()],
                ..FieldSelector::default()
            },
            FieldSelector {
                field: "readOnly".into(),
                equals: vec![read_only.into()],
                ..FieldSelector::default()
            },
        ],
    };
    let mut trail = good_trail("advanced");
    trail.event_selectors = EventSelectors {
        basic: vec![],
        advanced: vec![management("true"), management("false")],
    };
    assert!(passes(&run(CIS_3_1, &[trail.clone()])));
    trail.event_selectors.advanced.pop();
    assert!(!passes(&run(CIS_3_1, &[trail])));
}

#[test]
fn cis_3_1_needs_one_trail_with_everything_not_pieces_spread_over_trails() {
    let mut regional_full = good_trail("regional");
    regional_full.is_multi_region = false;
    let mut multi_region_writes = good_trail("writes");
    multi_region_writes.event_selectors.basic = vec![selector("WriteOnly", true)];
    assert!(!passes(&run(
        CIS_3_1,
        &[regional_full, multi_region_writes]
    )));
}

#[test]
fn cis_3_1_passes_on_an_organization_trail_and_points_fixes_at_its_owner() {
    let mut trail = good_trail("org");
    trail.arn = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org".into();
    trail.is_organization_trail = true;
    assert!(passes(&run(CIS_3_1, &[trail.clone()])));
    trail.status.is_logging = false;
    let fix = run(CIS_3_1, &[trail]).fix.unwrap();
    assert!(fix.contains("owner account 999999999999"), "{fix}");
}

#[test]
fn cis_3_1_warns_about_excluded_management_event_sources() {
    let mut trail = good_trail("main");
    trail.event_selectors.basic[0].exclude_management_event_sources =
        vec!["kms.amazonaws.com".into()];
    let verdict = run(CIS_3_1, &[trail]);
    assert!(passes(&verdict));
    assert!(verdict.evidence.warnings[0].contains("kms.amazonaws.com"));
}

#[test]
fn cis_3_4_fails_when_the_last_delivery_is_older_than_a_day() {
    let mut trail = good_trail("stale");
    trail.status.latest_cloudwatch_logs_delivery_time = Some(now() - Duration::hours(25));
    let verdict = run(CIS_3_4, &[trail]);
    assert!(!passes(&verdict));
    assert!(verdict.evidence.trails[0].detail.contains("25 hours"));
}

#[test]
fn cis_3_4_fails_a_log_group_that_never_received_anything() {
    let mut trail = good_trail("never");
    trail.status.latest_cloudwatch_logs_delivery_time = None;
    let verdict = run(CIS_3_4, &[trail]);
    assert!(!passes(&verdict));
    assert!(verdict.evidence.trails[0].detail.contains("never"));
}

#[test]
fn cis_3_4_fails_without_a_log_group() {
    let mut trail = good_trail("nolog");
    trail.cloudwatch_logs_log_group_arn = None;
    assert!(!passes(&run(CIS_3_4, &[trail])));
}

#[test]
fn cis_3_4_judges_freshness_at_collection_time_not_now() {
    // An inventory re-evaluated years later keeps the verdict it had when collected: pinned
    // far enough back that judging against the clock would fail it whenever this runs.
    let collected_at: DateTime<Utc> = "2019-06-01T12:00:00Z".parse().unwrap();
    let mut trail = good_trail("main");
    trail.status.latest_cloudwatch_logs_delivery_time = Some(collected_at - Duration::hours(1));
    let verdict = by_id(CIS_3_4).unwrap()(&AccountTrails {
        account_id: ACCOUNT,
        trails: &[trail],
        log_buckets: &[],
        trail_keys: &[],
        log_groups: &[],
        regions: &[],
        collected_at,
        placement: Default::default(),
        history: None,
    });
    assert!(passes(&verdict), "{}", verdict.evidence.summary);
}

#[test]
fn ct_005_passes_with_a_second_trail_without_global_events() {
    let mut second = good_trail("second");
    second.include_global_service_events = false;
    let verdict = run(CT_005, &[good_trail("main"), second]);
    assert!(passes(&verdict));
    assert!(verdict.evidence.warnings.is_empty());
}

#[test]
fn ct_005_warns_when_two_logging_trails_carry_global_events() {
    let verdict = run(CT_005, &[good_trail("first"), good_trail("second")]);
    assert!(passes(&verdict));
    assert!(verdict.evidence.warnings[0].contains("first, second"));
}

#[test]
fn ct_005_ignores_trails_that_are_not_logging_and_says_to_start_one() {
    let mut stopped = good_trail("stopped");
    stopped.status.is_logging = false;
    let verdict = run(CT_005, &[stopped]);
    assert!(!passes(&verdict));
    let fix = verdict.fix.unwrap();
    assert!(
        fix.starts_with("aws cloudtrail start-logging --region us-east-1 --name stopped\n"),
        "{fix}"
    );
    assert!(!fix.contains("create-trail"), "{fix}");
}

#[test]
fn ct_010_passes_on_reads_or_writes_alone() {
    let mut trail = good_trail("writes");
    trail.event_selectors.basic = vec![selector("WriteOnly", true)];
    assert!(passes(&run(CT_010, &[trail])));
}

#[test]
fn ct_010_fails_a_data_events_only_trail() {
    let mut trail = good_trail("data");
    trail.event_selectors.basic = vec![selector("All", false)];
    let verdict = run(CT_010, &[trail]);
    assert!(!passes(&verdict));
    assert!(verdict.evidence.trails[0]
        .detail
        .contains("no management events"));
}

// Global service events since 2021-11-22 (issue 14, item 1).

#[test]
fn ct_005_fails_a_single_region_trail_homed_outside_us_east_1_and_makes_it_multi_region() {
    let mut regional = good_trail("eu");
    regional.is_multi_region = false;
    regional.home_region = "eu-west-1".into();
    let verdict = run(CT_005, &[regional]);
    assert_eq!(verdict.status, Status::Fail);
    let detail = &verdict.evidence.trails[0].detail;
    assert!(
        detail.contains("homed in eu-west-1") && detail.contains("in us-east-1 only"),
        "{detail}"
    );
    let fix = verdict.fix.unwrap();
    assert!(
        fix.starts_with(
            "aws cloudtrail update-trail --region eu-west-1 --name eu --is-multi-region-trail"
        ),
        "{fix}"
    );
}

#[test]
fn ct_005_passes_a_single_region_trail_homed_in_us_east_1() {
    let mut regional = good_trail("use1");
    regional.is_multi_region = false;
    let verdict = run(CT_005, &[regional]);
    assert!(passes(&verdict), "{}", verdict.evidence.summary);
    assert!(verdict.evidence.trails[0]
        .detail
        .contains("single-region in us-east-1"));
}

#[test]
fn ct_005_fails_a_trail_that_records_no_management_events_whatever_its_flag() {
    let mut data_only = good_trail("data");
    data_only.event_selectors.basic = vec![selector("All", false)];
    let verdict = run(CT_005, &[data_only]);
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.evidence.trails[0]
        .detail
        .contains("no global service events either"));
    assert!(verdict.fix.unwrap().contains("put-event-selectors"));
}

#[test]
fn ct_005_does_not_count_a_regional_trail_outside_us_east_1_as_a_duplicate_carrier() {
    let mut regional = good_trail("eu");
    regional.is_multi_region = false;
    regional.home_region = "eu-west-1".into();
    let verdict = run(CT_005, &[good_trail("main"), regional]);
    assert!(passes(&verdict));
    assert!(
        verdict.evidence.warnings.is_empty(),
        "{:?}",
        verdict.evidence.warnings
    );
}

// CloudWatch Logs on the trail that matters (issue 14, item 2).

#[test]
fn cis_3_4_does_not_count_a_log_group_on_a_data_events_only_trail() {
    let mut management = good_trail("management");
    management.cloudwatch_logs_log_group_arn = None;
    let mut data_only = good_trail("data");
    data_only.event_selectors.basic = vec![selector("All", false)];
    let verdict = run(CIS_3_4, &[management, data_only]);
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.evidence.trails[1]
        .detail
        .contains("records no management events"));
    // The fix attaches the log group to the trail recording management events.
    assert!(verdict
        .fix
        .unwrap()
        .contains("update-trail --region us-east-1 --name management --cloud-watch-logs"));
}

#[test]
fn cis_3_4_passes_a_recent_delivery_that_reports_an_error_with_a_warning() {
    let mut trail = good_trail("main");
    trail.status.latest_cloudwatch_logs_delivery_error = Some("AccessDeniedException".into());
    let verdict = run(CIS_3_4, &[trail]);
    assert!(passes(&verdict));
    assert_eq!(verdict.evidence.warnings.len(), 1);
    assert!(verdict.evidence.warnings[0].contains("AccessDeniedException"));
}

#[test]
fn cis_3_4_fails_a_stale_delivery_and_names_its_error() {
    let mut trail = good_trail("main");
    trail.status.latest_cloudwatch_logs_delivery_time = Some(now() - Duration::hours(30));
    trail.status.latest_cloudwatch_logs_delivery_error = Some("LogGroupNotFound".into());
    let verdict = run(CIS_3_4, &[trail]);
    assert_eq!(verdict.status, Status::Fail);
    let detail = &verdict.evidence.trails[0].detail;
    assert!(
        detail.contains("30 hours before this account was collected"),
        "{detail}"
    );
    assert!(detail.contains("LogGroupNotFound"), "{detail}");
    assert!(verdict.evidence.warnings.is_empty());
}

#[test]
fn cis_3_4_fails_a_stopped_trail_with_a_fresh_group() {
    let mut trail = good_trail("main");
    trail.status.is_logging = false;
    assert_eq!(run(CIS_3_4, &[trail]).status, Status::Fail);
}

// Fail closed on selectors orgtrail does not know (issue 14, item 8).

#[test]
fn an_unknown_read_write_type_records_nothing_and_is_named() {
    let mut trail = good_trail("main");
    trail.event_selectors.basic = vec![selector("Sometimes", true)];
    for rule in [CIS_3_1, CT_010, CT_005, CIS_3_4] {
        let verdict = run(rule, &[trail.clone()]);
        assert_eq!(verdict.status, Status::Fail, "{rule}");
        assert!(
            verdict.evidence.trails[0].detail.contains("'Sometimes'"),
            "{rule}: {}",
            verdict.evidence.trails[0].detail
        );
    }
}

#[test]
fn an_unknown_advanced_field_on_a_management_selector_records_nothing() {
    let mut trail = good_trail("main");
    trail.event_selectors = EventSelectors {
        basic: vec![],
        advanced: vec![AdvancedEventSelector {
            name: Some("console logins".into()),
            field_selectors: vec![
                FieldSelector {
                    field: "eventCategory".into(),
                    equals: vec!["Management".into()],
                    ..FieldSelector::default()
                },
                FieldSelector {
                    field: "eventName".into(),
                    equals: vec!["ConsoleLogin".into()],
                    ..FieldSelector::default()
                },
            ],
        }],
    };
    let verdict = run(CIS_3_1, &[trail.clone()]);
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.evidence.trails[0]
        .detail
        .contains("field eventName"));
    assert_eq!(run(CT_010, &[trail]).status, Status::Fail);
}
