//! CIS "CloudTrail configuration changes are monitored" (`cloudtrail-changes-alarmed`): a
//! logging multi-region trail delivers to a log group whose metric filters catch CreateTrail,
//! UpdateTrail, DeleteTrail, StartLogging and StopLogging, an alarm watches the filters' metric,
//! and the alarm notifies an SNS topic someone has confirmed a subscription to.

use super::filter_pattern::{catches, CIS_PATTERN, TRAIL_CONFIGURATION_CHANGES};
use super::selectors::management_events;
use super::verdict::{judge, verdict, AccountTrails, Judged, TrailGaps, Verdict};
use crate::model::{LogGroupWatch, MetricFilter, Readable, Trail};

/// SNS answers this in place of a subscription's ARN until the subscriber confirms it
/// (<https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html>).
const PENDING: &str = "PendingConfirmation";

pub fn changes_alarmed(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| trail_alarmed(account, trail));
    verdict(
        account,
        trails,
        "Trail configuration changes reach a subscribed SNS topic through",
        "No logging multi-region trail's log group alarms a subscribed SNS topic on every trail \
         configuration change",
        || fix(account),
    )
}

fn fix(account: &AccountTrails) -> String {
    let group = account
        .trails
        .iter()
        .find_map(|t| t.cloudwatch_logs_log_group_arn.as_deref())
        .and_then(|arn| arn.split(':').nth(6))
        .unwrap_or("<trail-log-group-name>");
    format!(
        "aws logs put-metric-filter --log-group-name {group} --filter-name cloudtrail-changes \
         --metric-transformations metricName=CloudTrailChanges,metricNamespace=CISBenchmark,metricValue=1 \
         --filter-pattern '{CIS_PATTERN}'\n\
         aws sns create-topic --name <sns-topic-name>\n\
         aws sns subscribe --topic-arn <sns-topic-arn> --protocol email --notification-endpoint <address>   # then confirm it\n\
         aws cloudwatch put-metric-alarm --alarm-name cloudtrail-changes --metric-name CloudTrailChanges \
         --namespace CISBenchmark --statistic Sum --period 300 --threshold 1 \
         --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions <sns-topic-arn>"
    )
}

fn trail_alarmed(account: &AccountTrails, trail: &Trail) -> Judged {
    let mut gaps = TrailGaps::default();
    gaps.logging(trail);
    gaps.multi_region(trail);
    if let Some(selectors) = gaps.read(trail.read_selectors()) {
        let recorded = management_events(selectors);
        gaps.when(!recorded.writes, || {
            format!(
                "records no management writes ({}), so no trail change reaches its log group",
                recorded.describe()
            )
        });
    }
    let Some(group) = trail.cloudwatch_logs_log_group_arn.as_deref() else {
        gaps.add("no CloudWatch Logs log group");
        return gaps.judged(String::new);
    };
    let watch = match account.log_groups.iter().find(|g| g.arn == group) {
        None => {
            gaps.not_read(format!("log group {group} was not read"));
            return gaps.judged(String::new);
        }
        Some(found) => match &found.watch {
            Readable::Read(watch) => watch,
            Readable::NotVerifiable { reason } => {
                gaps.not_read(reason.clone());
                return gaps.judged(String::new);
            }
        },
    };
    let mut alarmed: Vec<String> = Vec::new();
    let mut caught: Vec<&str> = Vec::new();
    let mut short: Vec<String> = Vec::new();
    let mut undecided: Vec<&str> = Vec::new();
    let mut unread: Vec<String> = Vec::new();
    for filter in &watch.metric_filters {
        let events: Vec<&str> = match events_caught(filter) {
            Ok(events) => events,
            Err(why) => {
                short.push(format!(
                    "metric filter {}: pattern not understood ({why})",
                    filter.name
                ));
                continue;
            }
        };
        if events.is_empty() {
            continue;
        }
        match notified(watch, filter) {
            Notified::Yes(path) => {
                alarmed.push(format!(
                    "filter {} ({}) → {path}",
                    filter.name,
                    events.join(", ")
                ));
                caught.extend(events);
            }
            Notified::No(why) => short.push(format!(
                "metric filter {} catches {} but {why}",
                filter.name,
                events.join(", ")
            )),
            Notified::Unread(why) => {
                unread.push(why);
                undecided.extend(events);
            }
        }
    }
    // What could not be read matters only for an event no alarm was found to catch.
    if TRAIL_CONFIGURATION_CHANGES
        .iter()
        .any(|e| !caught.contains(e))
    {
        unread.into_iter().for_each(|why| gaps.not_read(why));
    }
    // An event whose alarm could not be read is neither caught nor missed.
    let missed: Vec<&str> = TRAIL_CONFIGURATION_CHANGES
        .into_iter()
        .filter(|e| !caught.contains(e) && !undecided.contains(e))
        .collect();
    if !missed.is_empty() {
        gaps.add(format!(
            "on log group {group}, no alarmed metric filter catches {}{}",
            missed.join(", "),
            if short.is_empty() {
                format!(" ({} metric filter(s) read)", watch.metric_filters.len())
            } else {
                format!(": {}", short.join("; "))
            }
        ));
    }
    gaps.judged(|| format!("log group {group}: {}", alarmed.join("; ")))
}

fn events_caught(filter: &MetricFilter) -> Result<Vec<&'static str>, String> {
    let mut events = Vec::new();
    for event in TRAIL_CONFIGURATION_CHANGES {
        if catches(&filter.pattern, event)? {
            events.push(event);
        }
    }
    Ok(events)
}

enum Notified {
    /// "alarm A → topic T (n confirmed subscriptions)".
    Yes(String),
    No(String),
    Unread(String),
}

/// Whether an alarm on one of the filter's metrics notifies a topic with a confirmed
/// subscriber; if not, the nearest miss.
fn notified(watch: &LogGroupWatch, filter: &MetricFilter) -> Notified {
    let alarms: Vec<_> = watch
        .alarms
        .iter()
        .filter(|a| filter.metrics.contains(&a.metric))
        .collect();
    if alarms.is_empty() {
        let metrics: Vec<String> = filter
            .metrics
            .iter()
            .map(|m| format!("{}/{}", m.namespace, m.name))
            .collect();
        return Notified::No(format!(
            "no alarm watches its metric {}",
            metrics.join(", ")
        ));
    }
    let mut nearest = None;
    let mut unread = None;
    for alarm in alarms {
        if !alarm.actions_enabled {
            nearest.get_or_insert(format!("alarm {} has its actions disabled", alarm.name));
            continue;
        }
        let topics: Vec<&str> = alarm
            .alarm_actions
            .iter()
            .filter(|a| a.starts_with("arn:") && a.split(':').nth(2) == Some("sns"))
            .map(String::as_str)
            .collect();
        if topics.is_empty() {
            nearest.get_or_insert(format!("alarm {} notifies no SNS topic", alarm.name));
            continue;
        }
        for arn in topics {
            match watch
                .topics
                .iter()
                .find(|t| t.arn == arn)
                .map(|t| &t.subscriptions)
            {
                Some(Readable::Read(subscriptions)) => {
                    let confirmed = subscriptions.iter().filter(|s| *s != PENDING).count();
                    if confirmed > 0 {
                        return Notified::Yes(format!(
                            "alarm {} → topic {arn} ({confirmed} confirmed subscription(s))",
                            alarm.name
                        ));
                    }
                    nearest.get_or_insert(format!(
                        "alarm {}'s topic {arn} has no confirmed subscription ({} pending)",
                        alarm.name,
                        subscriptions.len()
                    ));
                }
                Some(Readable::NotVerifiable { reason }) => {
                    unread.get_or_insert(reason.clone());
                }
                None => {
                    unread.get_or_insert(format!("the subscriptions of topic {arn} were not read"));
                }
            }
        }
    }
    match (unread, nearest) {
        (Some(unread), _) => Notified::Unread(unread),
        (None, Some(nearest)) => Notified::No(nearest),
        (None, None) => Notified::No("no alarm notifies a topic".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalogue_tests::{watched_log_group, Account, CHANGES_TOPIC};
    use crate::findings::Status;
    use crate::model::{LogGroupWatch, Readable};

    const RULE: &str = "cloudtrail-changes-alarmed";

    fn watch(account: &mut Account) -> &mut LogGroupWatch {
        match &mut account.log_groups[0].watch {
            Readable::Read(watch) => watch,
            Readable::NotVerifiable { .. } => unreachable!(),
        }
    }

    #[test]
    fn cis_filter_alarm_and_subscribed_topic_pass_naming_the_chain() {
        let verdict = Account::by_the_book().run(RULE);
        assert_eq!(verdict.status, Status::Pass, "{}", verdict.evidence.summary);
        let detail = &verdict.evidence.trails[0].detail;
        assert!(
            detail.contains("alarm trail-changes → topic") && detail.contains("1 confirmed"),
            "{detail}"
        );
    }

    #[test]
    fn a_filter_missing_stop_logging_fails_naming_it() {
        let mut account = Account::by_the_book();
        watch(&mut account).metric_filters[0].pattern =
            "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }".into();
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.evidence.trails[0]
            .detail
            .contains("no alarmed metric filter catches StopLogging"));
        assert!(verdict.fix.unwrap().contains("--log-group-name main"));
    }

    #[test]
    fn a_filter_without_an_alarm_fails() {
        let mut account = Account::by_the_book();
        watch(&mut account).alarms.clear();
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.evidence.trails[0]
            .detail
            .contains("no alarm watches its metric CISBenchmark/TrailChanges"));
    }

    #[test]
    fn an_alarm_whose_topic_nobody_confirmed_fails_and_an_unread_topic_is_an_error() {
        let mut account = Account::by_the_book();
        watch(&mut account).topics[0].subscriptions =
            Readable::Read(vec!["PendingConfirmation".into()]);
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.evidence.trails[0].detail.contains(&format!(
            "topic {CHANGES_TOPIC} has no confirmed subscription (1 pending)"
        )));
        watch(&mut account).topics[0].subscriptions = Readable::NotVerifiable {
            reason: "sns:ListSubscriptionsByTopic access denied (AuthorizationError)".into(),
        };
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Error);
        assert!(verdict
            .evidence
            .summary
            .contains("sns:ListSubscriptionsByTopic"));
    }

    #[test]
    fn a_log_group_that_could_not_be_read_is_an_error_and_one_on_a_single_region_trail_fails() {
        let mut account = Account::by_the_book();
        account.log_groups[0].watch = Readable::NotVerifiable {
            reason: "logs:DescribeMetricFilters access denied (AccessDeniedException)".into(),
        };
        assert_eq!(account.run(RULE).status, Status::Error);
        let mut account = Account::by_the_book();
        account.trails[0].is_multi_region = false;
        assert_eq!(account.run(RULE).status, Status::Fail);
        // Two filters, each alarmed, together catching the five: alarmed.
        let mut account = Account::by_the_book();
        let mut second = watch(&mut account).metric_filters[0].clone();
        watch(&mut account).metric_filters[0].pattern =
            "{ $.eventName = CreateTrail || $.eventName = UpdateTrail || $.eventName = DeleteTrail }".into();
        second.name = "logging".into();
        second.pattern = "?StartLogging ?StopLogging".into();
        watch(&mut account).metric_filters.push(second);
        assert_eq!(account.run(RULE).status, Status::Pass);
        // The log group of another trail does not stand in for this one's.
        account.log_groups = vec![watched_log_group(
            "arn:aws:logs:us-east-1:111111111111:log-group:other:*",
        )];
        assert_eq!(account.run(RULE).status, Status::Error);
    }
}
