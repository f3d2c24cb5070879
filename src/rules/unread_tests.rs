//! Partial answers: what is decided when some of an account's trails could not be read (issue 14,
//! items 3, 4 and 6), and the account's own collection time (item 7). Nothing here is a PASS or
//! a FAIL built on what was not read.

use chrono::Duration;

use super::catalogue_tests::{bucket, good_bucket, now, trail, Account, ACCOUNT};
use super::{catalogue, AccountTrails};
use crate::evaluate::evaluate;
use crate::findings::Status;
use crate::model::{
    Account as OrgAccount, AccountInventory, Audit, Inventory, Organization, Trail, TrailCall,
    UnreadCall, INVENTORY_SCHEMA,
};

const CIS_3_1: &str = "cloudtrail-multi-region-management-events";
const CIS_3_4: &str = "cloudtrail-cloudwatch-logs";
const CT_005: &str = "cloudtrail-global-service-events";
const CT_010: &str = "cloudtrail-management-events";
const VALIDATION: &str = "cloudtrail-log-file-validation";
const COVERAGE: &str = "cloudtrail-region-coverage";
const DELIVERY: &str = "cloudtrail-s3-delivery-healthy";
const BUCKET_PUBLIC: &str = "cloudtrail-log-bucket-not-public";

fn denied(mut trail: Trail, call: TrailCall) -> Trail {
    trail.unread.push(UnreadCall {
        call,
        error: format!(
            "{} on {} access denied (AccessDeniedException): not authorized",
            call.operation(),
            trail.arn
        ),
    });
    trail
}

fn not_described(name: &str) -> Trail {
    let mut trail = trail(name, "us-east-1", false);
    trail.unread.push(UnreadCall {
        call: TrailCall::DescribeTrails,
        error: "cloudtrail:DescribeTrails in us-east-1 did not return this trail, which cloudtrail:ListTrails named".into(),
    });
    trail
}

fn with_second(second: Trail) -> Account {
    let mut account = Account::by_the_book();
    account
        .log_buckets
        .push(bucket(&format!("{}-logs", second.name), good_bucket()));
    account.trails.push(second);
    account
}

#[test]
fn what_a_readable_compliant_trail_proves_stands_when_a_second_trails_selectors_are_denied() {
    let account = with_second(denied(
        trail("second", "us-east-1", true),
        TrailCall::GetEventSelectors,
    ));
    for rule in [
        CIS_3_1, CIS_3_4, CT_005, CT_010, COVERAGE, VALIDATION, DELIVERY,
    ] {
        let verdict = account.run(rule);
        assert_eq!(
            verdict.status,
            Status::Pass,
            "{rule}: {}",
            verdict.evidence.summary
        );
    }
    // The denied trail is in the evidence, neither meeting nor failing, naming the call.
    let verdict = account.run(CIS_3_1);
    let second = &verdict.evidence.trails[1];
    assert!(!second.meets_rule && second.is_unread());
    assert!(
        second.detail.contains("cloudtrail:GetEventSelectors"),
        "{}",
        second.detail
    );
}

#[test]
fn a_rule_that_depends_on_the_unreadable_trail_is_an_error_naming_the_trail_and_the_call() {
    let mut account = Account::by_the_book();
    account.trails[0] = denied(account.trails[0].clone(), TrailCall::GetEventSelectors);
    for rule in [CIS_3_1, CT_010, CT_005, CIS_3_4, COVERAGE] {
        let verdict = account.run(rule);
        assert_eq!(
            verdict.status,
            Status::Error,
            "{rule}: {}",
            verdict.evidence.summary
        );
        let summary = &verdict.evidence.summary;
        assert!(
            summary.contains("main") && summary.contains("cloudtrail:GetEventSelectors"),
            "{rule}: {summary}"
        );
        let fix = verdict.fix.unwrap();
        assert!(
            fix.contains("cloudtrail:GetEventSelectors"),
            "{rule}: {fix}"
        );
    }
    // What DescribeTrails and GetTrailStatus said still decides.
    assert_eq!(account.status(VALIDATION), Status::Pass);
    assert_eq!(account.status(DELIVERY), Status::Pass);
    assert_eq!(account.status("cloudtrail-enabled"), Status::Pass);
}

#[test]
fn a_gap_that_was_read_decides_even_when_another_part_of_the_trail_was_not() {
    // Single-region: short of CIS 3.1 whatever its selectors, so FAIL, not ERROR.
    let mut account = Account::by_the_book();
    account.trails[0] = denied(
        trail("main", "eu-west-1", false),
        TrailCall::GetEventSelectors,
    );
    let verdict = account.run(CIS_3_1);
    assert_eq!(verdict.status, Status::Fail, "{}", verdict.evidence.summary);
    assert!(verdict.evidence.trails[0].detail.contains("also not read"));
}

#[test]
fn every_trail_rules_fail_on_a_trail_read_short_and_are_undecided_only_otherwise() {
    // The unreadable trail's status decides S3 delivery health: ERROR.
    let account = with_second(denied(
        trail("second", "us-east-1", true),
        TrailCall::GetTrailStatus,
    ));
    let verdict = account.run(DELIVERY);
    assert_eq!(
        verdict.status,
        Status::Error,
        "{}",
        verdict.evidence.summary
    );
    assert!(verdict.evidence.summary.contains("second"));
    assert!(verdict
        .evidence
        .summary
        .contains("cloudtrail:GetTrailStatus"));
    // A trail read and found short fails it whatever the unread one holds.
    let mut account = account;
    account.trails[0].status.latest_delivery_error = Some("AccessDenied".into());
    assert_eq!(account.status(DELIVERY), Status::Fail);
}

#[test]
fn a_trail_listed_but_not_described_is_named_and_decides_nothing_it_cannot() {
    let account = with_second(not_described("vanished"));
    // The compliant trail still proves what "some trail" rules ask.
    for rule in [CIS_3_1, CT_005, CT_010, CIS_3_4, COVERAGE] {
        assert_eq!(account.status(rule), Status::Pass, "{rule}");
    }
    // "Every trail" rules depend on it: ERROR, naming it and DescribeTrails.
    for rule in [VALIDATION, BUCKET_PUBLIC] {
        let verdict = account.run(rule);
        assert_eq!(
            verdict.status,
            Status::Error,
            "{rule}: {}",
            verdict.evidence.summary
        );
        assert!(
            verdict.evidence.summary.contains("vanished")
                && verdict.evidence.summary.contains("DescribeTrails"),
            "{rule}: {}",
            verdict.evidence.summary
        );
    }
    // Alone, it leaves every rule undecided: no verdict is built on it.
    let alone = Account {
        trails: vec![not_described("vanished")],
        ..Account::by_the_book()
    };
    // The SCP guardrail is judged from the organization's policies, which were read.
    for rule in catalogue()
        .iter()
        .filter(|r| r.meta.id != "cloudtrail-protected-by-scp")
    {
        let verdict = alone.run(&rule.meta.id);
        assert_eq!(
            verdict.status,
            Status::Error,
            "{}: {}",
            rule.meta.id,
            verdict.evidence.summary
        );
    }
}

#[test]
fn region_coverage_names_an_unread_trail_that_might_fill_a_gap_and_still_fails_a_gap_it_cannot() {
    // Main covers us-east-1 only; the unread multi-region trail might cover eu-west-1.
    let mut account = Account::by_the_book();
    account.trails[0].is_multi_region = false;
    account.trails.push(denied(
        trail("second", "us-east-1", true),
        TrailCall::GetEventSelectors,
    ));
    let verdict = account.run(COVERAGE);
    assert_eq!(
        verdict.status,
        Status::Error,
        "{}",
        verdict.evidence.summary
    );
    let summary = &verdict.evidence.summary;
    assert!(
        summary.contains("1 of 2 audited regions lack management reads or writes (eu-west-1)")
            && summary.contains("second (cloudtrail:GetEventSelectors"),
        "{summary}"
    );
    // A single-region unread trail elsewhere cannot fill eu-west-1: a decided gap.
    account.trails[1] = denied(
        trail("second", "ap-southeast-2", false),
        TrailCall::GetEventSelectors,
    );
    assert_eq!(account.status(COVERAGE), Status::Fail);
}

#[test]
fn an_organization_trail_its_owner_could_not_read_is_an_error_saying_where_to_deploy_the_role() {
    let mut organization = trail("org", "eu-central-1", true);
    organization.arn = "arn:aws:cloudtrail:eu-central-1:999999999999:trail/org".into();
    organization.is_organization_trail = true;
    for call in [TrailCall::GetTrailStatus, TrailCall::GetEventSelectors] {
        organization.unread.push(UnreadCall {
            call,
            error: format!(
                "{} on {} not attempted: ... the management account 999999999999 could not be entered: \
                 sts:AssumeRole into arn:aws:iam::999999999999:role/OrgTrailAudit access denied (AccessDenied)",
                call.operation(),
                organization.arn
            ),
        });
    }
    let member = Account {
        trails: vec![organization.clone()],
        ..Account::by_the_book()
    };
    let verdict = member.run(CIS_3_1);
    assert_eq!(verdict.status, Status::Error);
    assert!(verdict.evidence.summary.contains("999999999999"));
    let fix = verdict.fix.unwrap();
    assert!(
        fix.contains("deploy the audit role to the management account 999999999999"),
        "{fix}"
    );
    // What DescribeTrails showed the member of it is still judged.
    assert_eq!(member.status(VALIDATION), Status::Pass);
    // A member's own compliant trail still proves CIS 3.1.
    let with_own = Account {
        trails: vec![trail("own", "us-east-1", true), organization],
        ..Account::by_the_book()
    };
    assert_eq!(with_own.status(CIS_3_1), Status::Pass);
}

fn inventory_with(account_collected_at: Option<chrono::DateTime<chrono::Utc>>) -> Inventory {
    let book = Account::by_the_book();
    let mut trails = book.trails.clone();
    // Delivered 20 hours before the run started.
    let run_started = now();
    trails[0].status.latest_cloudwatch_logs_delivery_time = Some(run_started - Duration::hours(20));
    Inventory {
        schema: INVENTORY_SCHEMA.into(),
        tool_version: "test".into(),
        collected_at: run_started,
        caller_arn: format!("arn:aws:iam::{ACCOUNT}:user/auditor"),
        home_region: None,
        organization: Organization {
            id: Some("o-test".into()),
            management_account_id: Some(ACCOUNT.into()),
        },
        regions: book.regions.clone(),
        accounts: vec![AccountInventory {
            account: OrgAccount {
                id: ACCOUNT.into(),
                name: "late".into(),
                email: String::new(),
                status: "ACTIVE".into(),
                ou_path: None,
                parent_ids: Vec::new(),
            },
            audit: Audit::Audited,
            trails,
            log_buckets: book.log_buckets.clone(),
            trail_keys: book.trail_keys.clone(),
            log_groups: Vec::new(),
            collected_at: account_collected_at,
            history: None,
        }],
        collection: None,
        settings: None,
        shard: None,
        service_control_policies: None,
        period: None,
    }
}

#[test]
fn freshness_is_judged_at_the_accounts_own_collection_time_and_shown() {
    // Read six hours into the run: the delivery was 26 hours old then, and fails.
    let late = now() + Duration::hours(6);
    let report = evaluate(&inventory_with(Some(late)), catalogue(), vec![], late);
    let finding = report
        .findings
        .iter()
        .find(|f| &*f.rule_id == CIS_3_4)
        .unwrap();
    assert_eq!(finding.status, Status::Fail);
    let detail = &finding.evidence.trails[0].detail;
    assert!(
        detail.contains("26 hours before this account was collected"),
        "{detail}"
    );
    assert!(detail.contains(&late.to_rfc3339()), "{detail}");
}

#[test]
fn an_inventory_without_account_stamps_falls_back_to_the_runs_time() {
    let report = evaluate(&inventory_with(None), catalogue(), vec![], now());
    let finding = report
        .findings
        .iter()
        .find(|f| &*f.rule_id == CIS_3_4)
        .unwrap();
    assert_eq!(finding.status, Status::Pass);
    assert!(finding.evidence.trails[0]
        .detail
        .contains("20 hours before this account was collected"));
}

#[test]
fn a_trail_view_never_passes_on_defaults_left_by_an_unread_call() {
    // Defaults of an unread status say "not logging" and of unread selectors "nothing": neither
    // may decide. Spelled out for the rules that read both.
    let mut trail = trail("main", "us-east-1", true);
    trail.status = Default::default();
    trail.event_selectors = Default::default();
    let trail = denied(
        denied(trail, TrailCall::GetTrailStatus),
        TrailCall::GetEventSelectors,
    );
    let view = AccountTrails {
        account_id: ACCOUNT,
        trails: std::slice::from_ref(&trail),
        log_buckets: &[],
        trail_keys: &[],
        log_groups: &[],
        regions: &["us-east-1".to_string()],
        collected_at: now(),
        placement: Default::default(),
        history: None,
    };
    for rule in [
        CIS_3_1,
        CT_005,
        CT_010,
        CIS_3_4,
        DELIVERY,
        COVERAGE,
        "cloudtrail-enabled",
    ] {
        let verdict = super::by_id(rule).unwrap()(&view);
        assert_eq!(
            verdict.status,
            Status::Error,
            "{rule}: {}",
            verdict.evidence.summary
        );
    }
}
