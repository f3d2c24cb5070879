//! Rules on what gets recorded and delivered: a trail at all, healthy delivery, S3 object-level
//! data events, every audited region covered, and the informational extras (Insights, SNS).

use super::checks::{
    create_trail_command, decided, every_trail, fix_on_logging_trail, judge, trail_command,
    verdict, FRESHNESS,
};
use super::coverage::region_coverage;
use super::selectors::s3_object_events;
use super::{AccountTrails, Verdict};
use crate::findings::TrailEvidence;

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

pub fn delivery_healthy(account: &AccountTrails) -> Verdict {
    let trails: Vec<TrailEvidence> = judge(account, |trail| {
        let status = &trail.status;
        let mut gaps = Vec::new();
        if let Some(error) = &status.latest_delivery_error {
            gaps.push(format!("latest delivery to S3 failed: {error}"));
        }
        match status.latest_delivery_time {
            None => gaps.push("no log file was ever delivered to S3".into()),
            Some(at) if account.collected_at - at > FRESHNESS => gaps.push(format!(
                "last delivery to S3 {} hours before collection",
                (account.collected_at - at).num_hours()
            )),
            Some(_) => {}
        }
        if gaps.is_empty() {
            Ok("delivering to S3 without errors within the last 24 hours".into())
        } else {
            Err(gaps)
        }
    })
    .into_iter()
    .zip(account.trails)
    .filter(|(_, trail)| trail.is_logging())
    .map(|(evidence, _)| evidence)
    .collect();
    // Only logging trails are expected to deliver; a stopped trail fails the enabled rule instead.
    if trails.is_empty() && !account.trails.is_empty() {
        return decided(
            false,
            "No trail is logging, so none delivers to S3".into(),
            Vec::new(),
            || trail_command(&account.trails[0], "start-logging", account.account_id),
        );
    }
    every_trail(
        trails,
        "S3 delivery healthy on",
        "S3 delivery failing or stale on",
        |failing| {
            let names: Vec<&str> = failing.iter().map(|t| t.name.as_str()).collect();
            format!(
                "Check each trail's bucket policy lets cloudtrail.amazonaws.com write (and the KMS key \
                 policy, if encrypted), then confirm with: aws cloudtrail get-trail-status --name <trail>   \
                 # trails: {}",
                names.join(", ")
            )
        },
    )
}

fn s3_data_events(account: &AccountTrails, writes: bool) -> Verdict {
    let kind = if writes { "writes" } else { "reads" };
    let trails = judge(account, |trail| {
        let events = s3_object_events(&trail.event_selectors);
        let recorded = if writes {
            events.all_bucket_writes
        } else {
            events.all_bucket_reads
        };
        let mut gaps = Vec::new();
        if !trail.is_multi_region {
            gaps.push(format!("single-region trail (home {})", trail.home_region));
        }
        if !trail.is_logging() {
            gaps.push("not logging".into());
        }
        if !recorded {
            gaps.push(format!("S3 object events recorded: {}", events.describe()));
        }
        if gaps.is_empty() {
            Ok(format!(
                "multi-region, logging, S3 object events: {}",
                events.describe()
            ))
        } else {
            Err(gaps)
        }
    });
    let read_only = if writes { "false" } else { "true" };
    verdict(
        trails,
        &format!("S3 object-level {kind} recorded for every bucket by"),
        &format!("No multi-region logging trail records S3 object-level {kind} for every bucket"),
        || {
            fix_on_logging_trail(account, |trail| {
                format!(
                    "{} --advanced-event-selectors '[{{\"Name\":\"Management events\",\"FieldSelectors\":[{{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]}}]}},\
                     {{\"Name\":\"S3 object {kind}\",\"FieldSelectors\":[{{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]}},\
                     {{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]}},{{\"Field\":\"readOnly\",\"Equals\":[\"{read_only}\"]}}]}}]'\n\
                     # replaces the trail's selectors: carry over any others it records today",
                    trail_command(trail, "put-event-selectors", account.account_id)
                        .replacen("--name", "--trail-name", 1)
                )
            })
        },
    )
}

pub fn s3_data_event_writes(account: &AccountTrails) -> Verdict {
    s3_data_events(account, true)
}

pub fn s3_data_event_reads(account: &AccountTrails) -> Verdict {
    s3_data_events(account, false)
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

pub fn insights(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        match (trail.is_logging(), trail.has_insight_selectors) {
            (true, true) => Ok("CloudTrail Insights selectors set".into()),
            (_, false) => Err(vec!["no Insights selectors".into()]),
            (false, true) => Err(vec!["Insights selectors set, but not logging".into()]),
        }
    });
    verdict(
        trails,
        "CloudTrail Insights on",
        "No logging trail has CloudTrail Insights",
        || {
            fix_on_logging_trail(account, |trail| {
                format!(
                    "{} --insight-selectors '[{{\"InsightType\":\"ApiCallRateInsight\"}},{{\"InsightType\":\"ApiErrorRateInsight\"}}]'",
                    trail_command(trail, "put-insight-selectors", account.account_id)
                        .replacen("--name", "--trail-name", 1)
                )
            })
        },
    )
}

pub fn sns_notifications(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        match (&trail.sns_topic_arn, trail.is_logging()) {
            (Some(topic), true) => Ok(format!("notifies {topic} of each log file")),
            (None, _) => Err(vec!["no SNS topic".into()]),
            (Some(_), false) => Err(vec!["SNS topic set, but not logging".into()]),
        }
    });
    verdict(
        trails,
        "Log file delivery notified over SNS by",
        "No logging trail notifies an SNS topic",
        || {
            fix_on_logging_trail(account, |trail| {
                format!(
                    "{} --sns-topic-name <topic-name>",
                    trail_command(trail, "update-trail", account.account_id)
                )
            })
        },
    )
}
