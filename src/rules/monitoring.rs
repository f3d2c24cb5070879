//! Rules on where the events go and who hears of them: CloudWatch Logs (CIS 3.4), healthy S3
//! delivery (Conformity CT-011), SNS notifications and CloudTrail Insights (informational).

use chrono::{DateTime, Utc};

use super::selectors::management_events;
use super::verdict::{
    decided, every_trail, fix_on_logging_trail, judge, trail_command, verdict, AccountTrails,
    TrailGaps, Verdict, FRESHNESS,
};
use crate::findings::TrailEvidence;
use crate::model::Trail;

/// "N hours before this account was collected (time)": the age of a delivery, against the
/// account's own collection time, which the evidence shows so the judgement can be checked.
fn before_collection(account: &AccountTrails, at: DateTime<Utc>) -> String {
    let age = account.collected_at - at;
    let amount = if age.num_hours() >= 1 {
        format!("{} hours", age.num_hours())
    } else {
        format!("{} minutes", age.num_minutes().max(0))
    };
    format!(
        "{amount} before this account was collected ({})",
        account.collected_at.to_rfc3339()
    )
}

/// CIS 3.4 / Security Hub CloudTrail.5, read as: a logging trail that records management events
/// delivers to a CloudWatch Logs log group, last within 24 hours of collection. "CloudTrail sends
/// only the events that match your trail settings. For example, if you configure your trail to
/// log data events only, your trail sends data events only to your CloudWatch Logs log group"
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html>),
/// and the CIS monitoring controls build their metric filters on the log group of the trail
/// recording management events
/// (<https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html>): a log
/// group on a data-events-only trail does not count.
fn cloudwatch_delivery(account: &AccountTrails, trail: &Trail) -> super::verdict::Judged {
    let mut gaps = TrailGaps::default();
    let group = trail.cloudwatch_logs_log_group_arn.as_deref();
    if group.is_none() {
        gaps.add("no CloudWatch Logs log group");
    }
    let mut delivered = None;
    if let Some(status) = gaps.read(trail.read_status()) {
        gaps.when(!status.is_logging, || "not logging".into());
        let error = status
            .latest_cloudwatch_logs_delivery_error
            .as_deref()
            .map(|e| format!(" (latest delivery error: {e})"))
            .unwrap_or_default();
        match (group, status.latest_cloudwatch_logs_delivery_time) {
            (None, _) => {}
            (Some(group), None) => gaps.add(format!(
                "log group {group} set, but nothing was ever delivered{error}"
            )),
            (Some(group), Some(at)) if account.collected_at - at > FRESHNESS => gaps.add(format!(
                "last delivery to {group} at {}, {}{error}",
                at.to_rfc3339(),
                before_collection(account, at)
            )),
            (Some(_), Some(at)) => delivered = Some(at),
        }
    }
    if let Some(selectors) = gaps.read(trail.read_selectors()) {
        let recorded = management_events(selectors);
        gaps.when(!recorded.any, || {
            format!(
                "records no management events ({}): CloudTrail sends a log group only the events \
                 the trail records, so the monitoring alarms on it see no account activity",
                recorded.describe()
            )
        });
    }
    gaps.judged(|| match (group, delivered) {
        (Some(group), Some(at)) => format!(
            "delivers management events to {group}, last at {}, {}",
            at.to_rfc3339(),
            before_collection(account, at)
        ),
        // Not reached: a trail without a group or a recent delivery has a gap.
        _ => "delivers to CloudWatch Logs".to_string(),
    })
}

pub fn cloudwatch_logs(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| cloudwatch_delivery(account, trail));
    let erring: Vec<(&Trail, &str)> = trails
        .iter()
        .filter(|t| t.meets_rule)
        .filter_map(|evidence| account.trails.iter().find(|t| t.arn == evidence.arn))
        .filter_map(|trail| {
            let error = trail
                .status
                .latest_cloudwatch_logs_delivery_error
                .as_deref()?;
            Some((trail, error))
        })
        .collect();
    let mut result = verdict(
        account,
        trails,
        "Delivering management events to CloudWatch Logs within the last 24 hours",
        "No logging trail recording management events delivered to CloudWatch Logs within the last 24 hours",
        || cloudwatch_fix(account),
    );
    // A recent delivery counts, but an error CloudTrail reports next to it is never dropped.
    for (trail, error) in erring {
        result.evidence.warnings.push(format!(
            "trail {} reports a CloudWatch Logs delivery error ({error}) although it delivered \
             within 24 hours: check the log group and the role CloudTrail writes with ({})",
            trail.name,
            trail
                .cloudwatch_logs_role_arn
                .as_deref()
                .unwrap_or("no role set")
        ));
    }
    result
}

/// Attach the log group to the trail that records management events (starting it, or recording
/// them, when none does).
fn cloudwatch_fix(account: &AccountTrails) -> String {
    let attach = |trail: &Trail| {
        format!(
            "{} --cloud-watch-logs-log-group-arn <log-group-arn> --cloud-watch-logs-role-arn <role-arn>",
            trail_command(trail, "update-trail", account.account_id)
        )
    };
    let records_management = |trail: &Trail| {
        trail
            .read_selectors()
            .is_ok_and(|s| management_events(s).any)
    };
    if let Some(trail) = account
        .trails
        .iter()
        .find(|t| t.is_known_logging() && records_management(t))
    {
        return attach(trail);
    }
    fix_on_logging_trail(account, |trail| {
        if records_management(trail) {
            attach(trail)
        } else {
            format!(
                "{}\n{}",
                super::management::put_management_selectors(trail, account.account_id),
                attach(trail)
            )
        }
    })
}

pub fn delivery_healthy(account: &AccountTrails) -> Verdict {
    let trails: Vec<TrailEvidence> = judge(account, |trail| {
        let mut gaps = TrailGaps::default();
        if let Some(status) = gaps.read(trail.read_status()) {
            if let Some(error) = &status.latest_delivery_error {
                gaps.add(format!("latest delivery to S3 failed: {error}"));
            }
            match status.latest_delivery_time {
                None => gaps.add("no log file was ever delivered to S3"),
                Some(at) if account.collected_at - at > FRESHNESS => gaps.add(format!(
                    "last delivery to S3 at {}, {}",
                    at.to_rfc3339(),
                    before_collection(account, at)
                )),
                Some(_) => {}
            }
        }
        gaps.judged(|| "delivering to S3 without errors within the last 24 hours".into())
    })
    .into_iter()
    .zip(account.trails)
    .filter(|(_, trail)| trail.logging() != Ok(false))
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
        account,
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

pub fn insights(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        let mut gaps = TrailGaps::default();
        gaps.when(!trail.has_insight_selectors, || {
            "no Insights selectors".into()
        });
        gaps.logging(trail);
        gaps.judged(|| "CloudTrail Insights selectors set".into())
    });
    verdict(
        account,
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
        let mut gaps = TrailGaps::default();
        gaps.when(trail.sns_topic_arn.is_none(), || "no SNS topic".into());
        gaps.logging(trail);
        gaps.judged(|| {
            format!(
                "notifies {} of each log file",
                trail.sns_topic_arn.as_deref().unwrap_or_default()
            )
        })
    });
    verdict(
        account,
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
