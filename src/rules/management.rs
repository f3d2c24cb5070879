//! Rules on which management events are recorded, and where: a trail at all, one multi-region
//! trail recording reads and writes (CIS 3.1), every audited region covered, management events
//! at all (Conformity CT-010) and global service events (Conformity CT-005).

use super::coverage::region_coverage;
use super::selectors::management_events;
use super::verdict::{
    create_trail_command, decided, fix_on_logging_trail, judge, trail_command, verdict,
    AccountTrails, Verdict,
};
use crate::findings::Status;
use crate::model::Trail;

pub fn trail_enabled(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        if trail.is_logging() {
            Ok("logging".into())
        } else {
            Err(vec!["not logging".into()])
        }
    });
    verdict(
        trails,
        "Logging trail(s)",
        "No trail is logging",
        || match account.trails.first() {
            Some(trail) => trail_command(trail, "start-logging", account.account_id),
            None => create_trail_command(),
        },
    )
}

pub fn multi_region_management_events(account: &AccountTrails) -> Verdict {
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

/// Since 2021-11-22 CloudTrail records IAM, STS and CloudFront events in us-east-1, where they
/// happen: a single-Region trail homed elsewhere no longer receives them, whatever its
/// IncludeGlobalServiceEvents says (CloudTrail user guide, "Using the update-trail command").
const GLOBAL_SERVICE_EVENTS_REGION: &str = "us-east-1";

pub fn global_service_events(account: &AccountTrails) -> Verdict {
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

pub fn management_events_recorded(account: &AccountTrails) -> Verdict {
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

pub fn region_coverage_complete(account: &AccountTrails) -> Verdict {
    let coverage = region_coverage(account.trails, account.regions);
    let gaps: Vec<String> = coverage
        .iter()
        .filter(|r| !r.complete())
        .map(|r| {
            let missing = match (r.reads, r.writes) {
                (false, false) => "no management events",
                (true, false) => "no management writes",
                _ => "no management reads",
            };
            format!("{}: {missing}", r.region)
        })
        .collect();
    let passed = gaps.is_empty() && !coverage.is_empty();
    let summary = if passed {
        format!(
            "All {} audited regions record management reads and writes",
            coverage.len()
        )
    } else {
        format!(
            "{} of {} audited regions lack coverage: {}",
            gaps.len(),
            coverage.len(),
            gaps.join("; ")
        )
    };
    decided(passed, summary, Vec::new(), || {
        fix_on_logging_trail(account, |trail| {
            format!(
                "{} --is-multi-region-trail   # and record management reads and writes on it",
                trail_command(trail, "update-trail", account.account_id)
            )
        })
    })
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
