//! Rules on which management events are recorded, and where: a trail at all, one multi-region
//! trail recording reads and writes (CIS 3.1), every audited region covered, management events
//! at all (Conformity CT-010) and global service events (Conformity CT-005).

use super::coverage::region_coverage;
use super::selectors::management_events;
use super::verdict::{
    create_trail_command, decided, fix_on_logging_trail, judge, trail_command, undecided, verdict,
    AccountTrails, Judged, TrailGaps, Verdict,
};
use crate::findings::{Status, TrailEvidence};
use crate::model::Trail;
use crate::regions::GLOBAL_SERVICE_EVENTS_REGION;

pub fn trail_enabled(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let mut gaps = TrailGaps::default();
        gaps.logging(trail);
        gaps.judged(|| "logging".into())
    });
    verdict(
        account,
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
        let mut gaps = TrailGaps::default();
        // What DescribeTrails said decides first: a single-region trail falls short whatever
        // its status and selectors, so a failed read of those cannot leave it undecided.
        gaps.multi_region(trail);
        gaps.logging(trail);
        let recorded = gaps.read(trail.read_selectors()).map(management_events);
        if let Some(recorded) = &recorded {
            gaps.when(!recorded.reads_and_writes(), || {
                format!("management events recorded: {}", recorded.describe())
            });
        }
        gaps.judged(|| {
            let recorded = recorded.map(|r| r.describe()).unwrap_or_default();
            format!("multi-region, logging, management events: {recorded}")
        })
    });
    let mut result = verdict(
        account,
        trails,
        "Multi-region logging trail recording management reads and writes",
        "No multi-region logging trail records management events for both reads and writes",
        || {
            // Fix the trail closest to compliance rather than ask for a new one.
            let multi_region = account
                .trails
                .iter()
                .find(|t| t.described().is_ok_and(|t| t.is_multi_region));
            match (multi_region, account.trails.first()) {
                (Some(trail), _) if !trail.is_known_logging() => {
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
            let Ok(selectors) = trail.read_selectors() else {
                continue;
            };
            let excluded = management_events(selectors).excluded_sources;
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

/// Whether a trail receives IAM, STS and CloudFront events. Since 2021-11-22 CloudTrail records
/// them in us-east-1 only, so a single-region trail homed elsewhere receives none whatever its
/// IncludeGlobalServiceEvents says ("As of November 22, 2021 ... convert single-Region trails
/// using global service events outside of US East (N. Virginia) into multi-Region trails":
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail-by-using-the-aws-cli-update-trail.html>,
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events>).
/// Those calls are management events, and a trail logs only the events its selectors match
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html>), so
/// a trail that records no management events receives none either.
fn global_service_events_carried(trail: &Trail) -> Judged {
    let mut gaps = TrailGaps::default();
    gaps.when(!trail.include_global_service_events, || {
        "IncludeGlobalServiceEvents is false".into()
    });
    let reaches_us_east_1 =
        trail.is_multi_region || trail.home_region == GLOBAL_SERVICE_EVENTS_REGION;
    gaps.when(!reaches_us_east_1, || {
        format!(
            "single-region trail homed in {}: since 2021-11-22 CloudTrail records global service \
             events (IAM, STS, CloudFront) in {GLOBAL_SERVICE_EVENTS_REGION} only, so this trail \
             receives none whatever IncludeGlobalServiceEvents says",
            trail.home_region
        )
    });
    gaps.logging(trail);
    if let Some(selectors) = gaps.read(trail.read_selectors()) {
        let recorded = management_events(selectors);
        gaps.when(!recorded.any, || {
            format!(
                "records no management events ({}), so no global service events either: IAM, STS \
                 and CloudFront calls are management events",
                recorded.describe()
            )
        });
    }
    gaps.judged(|| {
        if trail.is_multi_region {
            "logging, multi-region, includes global service events".to_string()
        } else {
            format!(
                "logging, single-region in {GLOBAL_SERVICE_EVENTS_REGION} where global service \
                 events are recorded (the few that CloudTrail logs as occurring in another region \
                 reach only multi-region trails)"
            )
        }
    })
}

pub fn global_service_events(account: &AccountTrails) -> Verdict {
    let trails = judge(account, global_service_events_carried);
    // Only trails that actually receive the events can duplicate them.
    let carriers: Vec<String> = trails
        .iter()
        .filter(|t| t.meets_rule)
        .map(|t| t.name.clone())
        .collect();
    let mut result = verdict(
        account,
        trails,
        "Global service events recorded by",
        "No logging trail records global service events",
        || global_service_events_fix(account),
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

/// Make one logging trail a carrier: multi-region if it is a single-region trail outside
/// us-east-1 (which turns global service events on with it), the flag otherwise, and management
/// events if it records none.
fn global_service_events_fix(account: &AccountTrails) -> String {
    fix_on_logging_trail(account, |trail| {
        let update = trail_command(trail, "update-trail", account.account_id);
        let mut commands = Vec::new();
        if !trail.is_multi_region && trail.home_region != GLOBAL_SERVICE_EVENTS_REGION {
            commands.push(format!(
                "{update} --is-multi-region-trail --include-global-service-events   \
                 # global service events are recorded in {GLOBAL_SERVICE_EVENTS_REGION} only"
            ));
        } else if !trail.include_global_service_events {
            commands.push(format!("{update} --include-global-service-events"));
        }
        if trail
            .read_selectors()
            .is_ok_and(|s| !management_events(s).any)
        {
            commands.push(put_management_selectors(trail, account.account_id));
        }
        if commands.is_empty() {
            commands.push(format!("{update} --include-global-service-events"));
        }
        commands.join("\n")
    })
}

pub fn management_events_recorded(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let mut gaps = TrailGaps::default();
        gaps.logging(trail);
        let recorded = gaps.read(trail.read_selectors()).map(management_events);
        if let Some(recorded) = &recorded {
            gaps.when(!recorded.any, || {
                format!("records no management events ({})", recorded.describe())
            });
        }
        gaps.judged(|| {
            let recorded = recorded.map(|r| r.describe()).unwrap_or_default();
            format!("logging, management events: {recorded}")
        })
    });
    verdict(
        account,
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
    let missing = |reads: bool, writes: bool| match (reads, writes) {
        (false, false) => "no management events",
        (true, false) => "no management writes",
        _ => "no management reads",
    };
    // A region short of reads or writes on what was read is a gap, whatever unread trails hold
    // only when no unread trail could fill it.
    let gaps: Vec<String> = coverage
        .iter()
        .filter(|r| !r.complete() && r.unread.is_empty())
        .map(|r| format!("{}: {}", r.region, missing(r.reads, r.writes)))
        .collect();
    // Regions a trail that could not be read might fill: undecided, the trails named once below.
    let undecided_regions: Vec<&str> = coverage
        .iter()
        .filter(|r| !r.complete() && !r.unread.is_empty())
        .map(|r| r.region.as_str())
        .collect();
    if gaps.is_empty() && !undecided_regions.is_empty() {
        let trails: Vec<TrailEvidence> = account
            .trails
            .iter()
            .filter_map(|trail| {
                let unread = trail.unread.first()?;
                Some(TrailEvidence::unread(trail, unread.error.clone()))
            })
            .collect();
        return undecided(
            account,
            &format!(
                "on the trails read, {} of {} audited regions lack management reads or writes ({})",
                undecided_regions.len(),
                coverage.len(),
                undecided_regions.join(", ")
            ),
            trails,
        );
    }
    let passed = gaps.is_empty() && !coverage.is_empty();
    let summary = if passed {
        format!(
            "All {} audited regions record management reads and writes",
            coverage.len()
        )
    } else {
        let mut summary = format!(
            "{} of {} audited regions lack coverage: {}",
            gaps.len(),
            coverage.len(),
            gaps.join("; ")
        );
        if !undecided_regions.is_empty() {
            let unread: Vec<&str> = coverage
                .iter()
                .flat_map(|r| r.unread.iter().map(String::as_str))
                .fold(Vec::new(), |mut names, name| {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                    names
                });
            summary.push_str(&format!(
                "; undecided in {}, which trails not read may cover: {}",
                undecided_regions.join(", "),
                unread.join(", ")
            ));
        }
        summary
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

pub(super) fn put_management_selectors(trail: &Trail, account_id: &str) -> String {
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
