//! Rules on where the events go and who hears of them: CloudWatch Logs (CIS 3.4), healthy S3
//! delivery (Conformity CT-011), SNS notifications and CloudTrail Insights (informational).

use super::verdict::{
    decided, every_trail, fix_on_logging_trail, judge, trail_command, verdict, AccountTrails,
    Verdict, FRESHNESS,
};
use crate::findings::TrailEvidence;

pub fn cloudwatch_logs(account: &AccountTrails) -> Verdict {
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
