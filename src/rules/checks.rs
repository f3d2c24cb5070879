//! One pure function per rule. Each judges the whole account from its trails and says, per
//! trail, what it saw, so an auditor can follow the decision without re-running anything.

use chrono::Duration;

use super::selectors::management_events;
use super::{integrity, recording, AccountTrails, Check, Verdict};
use crate::findings::{Evidence, Status, TrailEvidence};
use crate::model::Trail;

pub const ALL: &[(&str, Check)] = &[
    (
        "cloudtrail-multi-region-management-events",
        multi_region_management_events,
    ),
    ("cloudtrail-cloudwatch-logs", cloudwatch_logs),
    ("cloudtrail-global-service-events", global_service_events),
    ("cloudtrail-management-events", management_events_recorded),
    ("cloudtrail-enabled", recording::trail_enabled),
    (
        "cloudtrail-region-coverage",
        recording::region_coverage_complete,
    ),
    (
        "cloudtrail-log-file-validation",
        integrity::log_file_validation,
    ),
    ("cloudtrail-kms-encryption", integrity::kms_encryption),
    ("cloudtrail-kms-key-rotation", integrity::kms_key_rotation),
    (
        "cloudtrail-log-bucket-not-public",
        integrity::log_bucket_not_public,
    ),
    (
        "cloudtrail-log-bucket-access-logging",
        integrity::log_bucket_access_logging,
    ),
    (
        "cloudtrail-s3-data-events-write",
        recording::s3_data_event_writes,
    ),
    (
        "cloudtrail-s3-data-events-read",
        recording::s3_data_event_reads,
    ),
    (
        "cloudtrail-s3-delivery-healthy",
        recording::delivery_healthy,
    ),
    ("cloudtrail-insights", recording::insights),
    ("cloudtrail-sns-notifications", recording::sns_notifications),
];

pub fn by_id(id: &str) -> Option<Check> {
    ALL.iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, check)| *check)
}

/// How recent the last delivery must be (CIS 3.4: "about one day old"; used for S3 too).
pub(super) const FRESHNESS: Duration = Duration::hours(24);

/// A trail's judgement: `Ok(what satisfies the rule)` or `Err(what falls short)`.
type TrailJudgement = Result<String, Vec<String>>;

/// Judge every trail on its own; [`verdict`] or [`every_trail`] then judges the account.
pub(super) fn judge(
    account: &AccountTrails,
    per_trail: impl Fn(&Trail) -> TrailJudgement,
) -> Vec<TrailEvidence> {
    account
        .trails
        .iter()
        .map(|trail| match per_trail(trail) {
            Ok(detail) => TrailEvidence::of(trail, true, detail),
            Err(gaps) => TrailEvidence::of(trail, false, gaps.join("; ")),
        })
        .collect()
}

/// The account passes when at least one trail meets the rule.
pub(super) fn verdict(
    trails: Vec<TrailEvidence>,
    pass: &str,
    fail: &str,
    fix: impl FnOnce() -> String,
) -> Verdict {
    let passing: Vec<&str> = trails
        .iter()
        .filter(|t| t.meets_rule)
        .map(|t| t.name.as_str())
        .collect();
    let passed = !passing.is_empty();
    let summary = if passed {
        format!("{pass}: {}", passing.join(", "))
    } else if trails.is_empty() {
        format!("{fail}: {NO_TRAIL}")
    } else {
        format!("{fail} ({} trail(s) examined)", trails.len())
    };
    decided(passed, summary, trails, fix)
}

/// The account passes when it has trails and every one of them meets the rule.
pub(super) fn every_trail(
    trails: Vec<TrailEvidence>,
    pass: &str,
    fail: &str,
    fix: impl FnOnce(&[&TrailEvidence]) -> String,
) -> Verdict {
    let failing: Vec<&TrailEvidence> = trails.iter().filter(|t| !t.meets_rule).collect();
    let passed = !trails.is_empty() && failing.is_empty();
    let summary = if passed {
        format!("{pass}: every trail ({})", trails.len())
    } else if trails.is_empty() {
        format!("{fail}: {NO_TRAIL}")
    } else {
        let names: Vec<&str> = failing.iter().map(|t| t.name.as_str()).collect();
        format!("{fail}: {}", names.join(", "))
    };
    let fix = if trails.is_empty() {
        create_trail_command()
    } else {
        fix(&failing)
    };
    decided(passed, summary, trails, || fix)
}

pub(super) const NO_TRAIL: &str = "the account has no trail covering the audited regions";

pub(super) fn decided(
    passed: bool,
    summary: String,
    trails: Vec<TrailEvidence>,
    fix: impl FnOnce() -> String,
) -> Verdict {
    Verdict {
        status: if passed { Status::Pass } else { Status::Fail },
        fix: (!passed).then(fix),
        evidence: Evidence {
            summary,
            trails,
            warnings: Vec::new(),
        },
    }
}

/// `aws cloudtrail <command> --name <trail> --region <home>`, noting where an organization trail
/// has to be changed from.
pub(super) fn trail_command(trail: &Trail, command: &str, account_id: &str) -> String {
    let base = format!(
        "aws cloudtrail {command} --region {} --name {}",
        trail.home_region, trail.name
    );
    match organization_trail_owner(trail, account_id) {
        Some(owner) => format!("{base}   # organization trail: run in its owner account {owner}"),
        None => base,
    }
}

fn organization_trail_owner<'a>(trail: &'a Trail, account_id: &str) -> Option<&'a str> {
    let owner = trail.arn.split(':').nth(4)?;
    (trail.is_organization_trail && owner != account_id).then_some(owner)
}

pub(super) fn create_trail_command() -> String {
    "aws cloudtrail create-trail --name <trail-name> --bucket-name <log-bucket> --is-multi-region-trail\n\
     aws cloudtrail start-logging --name <trail-name>"
        .to_string()
}

/// The fix applied to a logging trail; when none logs, start one first; when there is none,
/// create one.
pub(super) fn fix_on_logging_trail(
    account: &AccountTrails,
    fix: impl Fn(&Trail) -> String,
) -> String {
    if let Some(trail) = account.trails.iter().find(|t| t.is_logging()) {
        return fix(trail);
    }
    match account.trails.first() {
        Some(trail) => format!(
            "{}\n{}",
            trail_command(trail, "start-logging", account.account_id),
            fix(trail)
        ),
        None => create_trail_command(),
    }
}

fn put_management_selectors(trail: &Trail, account_id: &str) -> String {
    let mut command = trail_command(trail, "put-event-selectors", account_id).replacen(
        "--name",
        "--trail-name",
        1,
    );
    command.push_str(
        " --event-selectors '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'\n\
         # replaces the trail's selectors: carry over any data resources it records today",
    );
    command
}

fn multi_region_management_events(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let recorded = management_events(&trail.event_selectors);
        let mut gaps = Vec::new();
        if !trail.is_multi_region {
            gaps.push(format!("single-region trail (home {})", trail.home_region));
        }
        if !trail.is_logging() {
            gaps.push("not logging".to_string());
        }
        if !recorded.reads_and_writes() {
            gaps.push(format!(
                "management events recorded: {}",
                recorded.describe()
            ));
        }
        if gaps.is_empty() {
            Ok(format!(
                "multi-region, logging, management events: {}",
                recorded.describe()
            ))
        } else {
            Err(gaps)
        }
    });
    let mut result = verdict(
        trails,
        "Multi-region logging trail recording management reads and writes",
        "No multi-region logging trail records management events for both reads and writes",
        || {
            // Fix the trail closest to compliance rather than ask for a new one.
            let multi_region = account.trails.iter().find(|t| t.is_multi_region);
            match (multi_region, account.trails.first()) {
                (Some(trail), _) if !trail.is_logging() => {
                    trail_command(trail, "start-logging", account.account_id)
                }
                (Some(trail), _) => put_management_selectors(trail, account.account_id),
                (None, Some(trail)) => format!(
                    "{} --is-multi-region-trail",
                    trail_command(trail, "update-trail", account.account_id)
                ),
                (None, None) => create_trail_command(),
            }
        },
    );
    if result.status == Status::Pass {
        for trail in account.trails {
            let excluded = management_events(&trail.event_selectors).excluded_sources;
            if !excluded.is_empty() {
                result.evidence.warnings.push(format!(
                    "trail {} excludes management events from {}: CIS passes, but these are not recorded",
                    trail.name,
                    excluded.join(", ")
                ));
            }
        }
    }
    result
}

fn cloudwatch_logs(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let Some(group) = &trail.cloudwatch_logs_log_group_arn else {
            return Err(vec!["no CloudWatch Logs log group".to_string()]);
        };
        let mut gaps = Vec::new();
        if !trail.is_logging() {
            gaps.push("not logging".to_string());
        }
        match trail.status.latest_cloudwatch_logs_delivery_time {
            None => gaps.push(format!(
                "log group {group} set, but nothing was ever delivered"
            )),
            Some(at) if account.collected_at - at > FRESHNESS => gaps.push(format!(
                "last delivery to {group} at {} ({} hours before collection)",
                at.to_rfc3339(),
                (account.collected_at - at).num_hours()
            )),
            Some(at) => {
                if gaps.is_empty() {
                    return Ok(format!("delivers to {group}, last at {}", at.to_rfc3339()));
                }
            }
        }
        if let Some(error) = &trail.status.latest_cloudwatch_logs_delivery_error {
            gaps.push(format!("latest delivery error: {error}"));
        }
        Err(gaps)
    });
    verdict(
        trails,
        "Delivering to CloudWatch Logs within the last 24 hours",
        "No logging trail delivered to CloudWatch Logs within the last 24 hours",
        || {
            fix_on_logging_trail(account, |trail| {
                format!(
                    "{} --cloud-watch-logs-log-group-arn <log-group-arn> --cloud-watch-logs-role-arn <role-arn>",
                    trail_command(trail, "update-trail", account.account_id)
                )
            })
        },
    )
}

/// Since 2021-11-22 CloudTrail records IAM, STS and CloudFront events in us-east-1, where they
/// happen: a single-Region trail homed elsewhere no longer receives them, whatever its
/// IncludeGlobalServiceEvents says (CloudTrail user guide, "Using the update-trail command").
const GLOBAL_SERVICE_EVENTS_REGION: &str = "us-east-1";

fn global_service_events(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let reached = trail.covers(GLOBAL_SERVICE_EVENTS_REGION);
        match (
            trail.is_logging(),
            trail.include_global_service_events,
            reached,
        ) {
            (true, true, true) => Ok("logging, includes global service events".to_string()),
            (logging, global, reached) => Err([
                (!logging).then(|| "not logging".to_string()),
                (!global).then(|| "IncludeGlobalServiceEvents is false".to_string()),
                (!reached).then(|| {
                    format!(
                        "single-Region trail homed in {}: global service events are recorded \
                         in {GLOBAL_SERVICE_EVENTS_REGION} only",
                        trail.home_region
                    )
                }),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    });
    let carriers: Vec<String> = trails
        .iter()
        .filter(|t| t.meets_rule)
        .map(|t| t.name.clone())
        .collect();
    let mut result = verdict(
        trails,
        "Global service events recorded by",
        "No logging trail records global service events",
        || {
            fix_on_logging_trail(account, |trail| {
                let reach = if trail.covers(GLOBAL_SERVICE_EVENTS_REGION) {
                    ""
                } else {
                    " --is-multi-region-trail"
                };
                format!(
                    "{} --include-global-service-events{reach}",
                    trail_command(trail, "update-trail", account.account_id)
                )
            })
        },
    );
    if carriers.len() > 1 {
        result.evidence.warnings.push(format!(
            "{} logging trails carry global service events ({}): every global event is recorded {} times; \
             Conformity recommends exactly one",
            carriers.len(),
            carriers.join(", "),
            carriers.len()
        ));
    }
    result
}

fn management_events_recorded(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let recorded = management_events(&trail.event_selectors);
        match (trail.is_logging(), recorded.any) {
            (true, true) => Ok(format!(
                "logging, management events: {}",
                recorded.describe()
            )),
            (logging, any) => Err([
                (!logging).then(|| "not logging".to_string()),
                (!any).then(|| "records no management events".to_string()),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    });
    verdict(
        trails,
        "Management events recorded by",
        "No logging trail records management events",
        || {
            fix_on_logging_trail(account, |trail| {
                put_management_selectors(trail, account.account_id)
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AdvancedEventSelector, EventSelector, EventSelectors, FieldSelector, TrailStatus,
    };
    use chrono::{DateTime, Utc};

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
            regions: &[],
            collected_at: now(),
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
            regions: &[],
            collected_at,
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
    fn ct_005_fails_a_single_region_trail_homed_outside_us_east_1() {
        let mut regional = good_trail("eu");
        regional.is_multi_region = false;
        regional.home_region = "eu-west-1".into();
        let verdict = run(CT_005, &[regional.clone()]);
        assert!(!passes(&verdict));
        assert!(
            verdict.evidence.trails[0]
                .detail
                .contains("recorded in us-east-1 only"),
            "{}",
            verdict.evidence.trails[0].detail
        );
        assert!(verdict
            .fix
            .unwrap()
            .ends_with("--include-global-service-events --is-multi-region-trail"));
        // Homed in us-east-1, or multi-Region, it receives them.
        regional.home_region = "us-east-1".into();
        assert!(passes(&run(CT_005, &[regional])));
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
}
