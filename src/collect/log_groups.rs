//! A trail's CloudWatch Logs group and what watches it, for CIS "CloudTrail configuration
//! changes are monitored": the group's metric filters (`logs:DescribeMetricFilters`), the
//! metric alarms of its region (`cloudwatch:DescribeAlarms`, kept when they watch a metric the
//! filters publish), and the subscriptions of the SNS topics those alarms notify
//! (`sns:ListSubscriptionsByTopic`). Read with the credentials of the account that owns the
//! group (the management account, for an organization trail's); a group without metric
//! filters costs one call.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudtrail::config::Credentials;
use futures::stream::{self, StreamExt};

use super::AccountAccess;
use crate::aws::{Aws, CallError};
use crate::model::{
    AccountInventory, AlarmTopic, Audit, LogGroup, LogGroupWatch, MetricAlarm, MetricFilter,
    MetricName, Readable,
};

/// Every log group the audited accounts' trails deliver to, read once per run as the account
/// its ARN names (an organization trail's group, in the management account, serves every
/// member), then given to each account whose trails name it.
pub async fn read_log_groups(
    aws: &Aws,
    access: &AccountAccess,
    accounts: &mut [AccountInventory],
    concurrency: usize,
) {
    let mut readers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for account in accounts
        .iter()
        .filter(|a| matches!(a.audit, Audit::Audited))
    {
        for arn in account
            .trails
            .iter()
            .filter_map(|t| t.cloudwatch_logs_log_group_arn.as_deref())
        {
            readers
                .entry(arn.to_string())
                .or_default()
                .insert(account.account.id.clone());
        }
    }
    let read: Vec<LogGroup> = stream::iter(readers.keys())
        .map(|arn| async move {
            let owner = arn.split(':').nth(4).unwrap_or_default();
            match access.as_owner(owner).await {
                Ok(credentials) => log_group(aws, credentials, arn).await,
                Err(unreachable) => LogGroup {
                    arn: arn.clone(),
                    watch: Readable::NotVerifiable {
                        reason: format!("log group {arn} is read as its owner, and {unreachable}"),
                    },
                },
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for account in accounts
        .iter_mut()
        .filter(|a| matches!(a.audit, Audit::Audited))
    {
        let id = &account.account.id;
        account.log_groups = read
            .iter()
            .filter(|g| readers[&g.arn].contains(id))
            .cloned()
            .collect();
        account.log_groups.sort_by(|a, b| a.arn.cmp(&b.arn));
    }
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>:*` → (region, name).
fn region_and_name(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        [_, _, "logs", region, _, "log-group", name, ..] => Some((region, name)),
        _ => None,
    }
}

pub async fn log_group(aws: &Aws, credentials: Option<Credentials>, arn: &str) -> LogGroup {
    let watch = match region_and_name(arn) {
        None => Readable::NotVerifiable {
            reason: format!("{arn} is not a CloudWatch Logs log group ARN"),
        },
        Some((region, name)) => match watch(aws, credentials, region, name).await {
            Ok(watch) => Readable::Read(watch),
            Err(error) => Readable::NotVerifiable {
                reason: error.to_string(),
            },
        },
    };
    LogGroup {
        arn: arn.to_string(),
        watch,
    }
}

async fn watch(
    aws: &Aws,
    credentials: Option<Credentials>,
    region: &str,
    name: &str,
) -> Result<LogGroupWatch, CallError> {
    let filters: Vec<_> = aws
        .cloudwatch_logs(region, credentials.clone())
        .describe_metric_filters()
        .log_group_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| CallError::new(format!("logs:DescribeMetricFilters on {name}"), &e))?;
    let metric_filters: Vec<MetricFilter> = filters
        .iter()
        .map(|f| MetricFilter {
            name: f.filter_name().unwrap_or_default().to_string(),
            pattern: f.filter_pattern().unwrap_or_default().to_string(),
            metrics: f
                .metric_transformations()
                .iter()
                .map(|t| MetricName {
                    namespace: t.metric_namespace().to_string(),
                    name: t.metric_name().to_string(),
                })
                .collect(),
        })
        .collect();
    if metric_filters.is_empty() {
        return Ok(LogGroupWatch::default());
    }
    let published: BTreeSet<&MetricName> = metric_filters.iter().flat_map(|f| &f.metrics).collect();
    let pages: Vec<_> = aws
        .cloudwatch(region, credentials.clone())
        .describe_alarms()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| CallError::new(format!("cloudwatch:DescribeAlarms in {region}"), &e))?;
    let alarms: Vec<MetricAlarm> = pages
        .iter()
        .flat_map(|page| page.metric_alarms())
        .filter_map(|alarm| {
            let metric = MetricName {
                namespace: alarm.namespace()?.to_string(),
                name: alarm.metric_name()?.to_string(),
            };
            published.contains(&metric).then(|| MetricAlarm {
                name: alarm.alarm_name().unwrap_or_default().to_string(),
                metric,
                actions_enabled: alarm.actions_enabled().unwrap_or(true),
                alarm_actions: alarm.alarm_actions().to_vec(),
            })
        })
        .collect();
    let topic_arns: BTreeSet<&str> = alarms
        .iter()
        .flat_map(|a| &a.alarm_actions)
        .map(String::as_str)
        .filter(|a| a.split(':').nth(2) == Some("sns"))
        .collect();
    let topics = futures::future::join_all(
        topic_arns
            .into_iter()
            .map(|arn| topic(aws, credentials.clone(), arn)),
    )
    .await;
    Ok(LogGroupWatch {
        metric_filters,
        alarms,
        topics,
    })
}

async fn topic(aws: &Aws, credentials: Option<Credentials>, arn: &str) -> AlarmTopic {
    let region = arn.split(':').nth(3).unwrap_or(crate::aws::FALLBACK_REGION);
    let listed: Result<Vec<_>, _> = aws
        .sns(region, credentials)
        .list_subscriptions_by_topic()
        .topic_arn(arn)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    AlarmTopic {
        arn: arn.to_string(),
        subscriptions: match listed {
            Ok(subscriptions) => Readable::Read(
                subscriptions
                    .iter()
                    .map(|s| s.subscription_arn().unwrap_or_default().to_string())
                    .collect(),
            ),
            Err(e) => Readable::NotVerifiable {
                reason: CallError::new(format!("sns:ListSubscriptionsByTopic on {arn}"), &e)
                    .to_string(),
            },
        },
    }
}
