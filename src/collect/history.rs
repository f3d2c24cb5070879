//! The trail changes of the audit period, from CloudTrail event history (`LookupEvents`).
//!
//! Where: CloudTrail records a call "in the Region where the call was made", and a trail's
//! StartLogging, StopLogging, UpdateTrail, DeleteTrail and selector calls are made in its home
//! Region; a trail deleted during the period is no longer listed, so its home is not known from
//! today's DescribeTrails. History is therefore read in every audited region, and in the home
//! region of every trail listed, for the period's start up to the scan (the walk back from the
//! state read at the scan needs the changes after the period's end too).
//!
//! What: first ONE lookup per region with `EventSource = cloudtrail.amazonaws.com`, then, only
//! where that is not enough, one per event name. Event history holds every management event of
//! the region, reads too: "CloudTrail began logging all CloudTrail management events in Event
//! history on June 14, 2018", and the lookup attribute `ReadOnly=false` "returns write events. It
//! excludes read events such as `GetBucketLocation` and `DescribeStream`"
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-cli.html>;
//! "settings that you apply to a trail or event data store do not apply to Event history",
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html>).
//! So the event source returns CloudTrail's reads as well (DescribeTrails, GetTrailStatus, which
//! AWS Config, Security Hub and orgtrail's own scans make every day), beside the seven changes.
//! `LookupAttributes` "can contain only one item" (`EventName` or `EventSource`, not both), and a
//! page holds "a maximum of 50" events "with a token that you can use to get the next page"
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>); "If
//! no `NextToken` entry appears in the output, there are no more results to return" (the CLI
//! page above). Hence, per region:
//! - one lookup by event source, 50 a page, over the same time range. No `NextToken`: that page
//!   is every CloudTrail management event of the region in the range, and the trail changes are
//!   those of its events whose name is one of the seven, kept here. One call instead of seven, and
//!   most regions of most accounts are this quiet;
//! - a `NextToken`: a busy region, whose CloudTrail reads could fill pages without bound. The
//!   source's further pages are not read; the seven event names are looked up instead, each paged
//!   as it needs (one page unless a name has more than 50 events in the period): eight calls,
//!   bounded whatever else reads the account's CloudTrail.
//!
//! Neither path can miss a change: the first reads all of the source, the second all of each name.
//!
//! How fast: "The rate of lookup requests is limited to two per second, per account, per Region.
//! If this limit is exceeded, a throttling error occurs."
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>).
//! Regions are read in parallel and, within one, requests leave [`LOOKUP_INTERVAL`] apart, so a
//! scan stays under the limit by design; a throttling answer (another tool sharing the limit) is
//! retried by the SDK like any other. A history with a hole cannot be judged, so a lookup the
//! SDK gave up on (throttled, a 5xx, no answer) is asked again, [`EXTRA_TRIES`] times at most,
//! after a pause of a second or more: a month's verdict is worth a few seconds.

use std::time::Duration;

use aws_sdk_cloudtrail::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsOutput};
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_cloudtrail::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::aws::{CallCounter, CallError};
use crate::model::{Readable, TrailEvent, TRAIL_CHANGE_EVENTS};

/// Two requests a second per account and region is the limit; a little over half a second
/// between them keeps clear of it when answers arrive bunched.
pub const LOOKUP_INTERVAL: Duration = Duration::from_millis(550);
/// Further tries of one lookup after the SDK's own attempts, each after a longer pause.
pub const EXTRA_TRIES: u32 = 3;

/// Every trail change recorded in `regions` of `account_id` from `from` to `to`, newest first;
/// or, when any region could not be read, why (a history with a hole would pass a gap).
pub async fn trail_changes(
    clients: impl Fn(&str) -> Client,
    calls: &CallCounter,
    account_id: &str,
    regions: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Readable<Vec<TrailEvent>> {
    let reads = regions.iter().map(|region| {
        let client = clients(region);
        async move { region_changes(&client, calls, account_id, region, from, to).await }
    });
    let mut events = Vec::new();
    let mut failures = Vec::new();
    for read in futures::future::join_all(reads).await {
        match read {
            Ok(found) => events.extend(found),
            Err(error) => failures.push(error.to_string()),
        }
    }
    if !failures.is_empty() {
        return Readable::NotVerifiable {
            reason: failures.join("; "),
        };
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.time));
    Readable::Read(events)
}

/// One region's changes: one lookup of CloudTrail's event source when it fits one page, else
/// each event name in turn, every page; requests paced.
async fn region_changes(
    client: &Client,
    calls: &CallCounter,
    account_id: &str,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TrailEvent>, CallError> {
    let mut pace = Pace::default();
    let all = Lookup {
        key: LookupAttributeKey::EventSource,
        value: CLOUDTRAIL_SOURCE,
    };
    let first = pace
        .lookup(client, calls, &all, from, to, None, region)
        .await?;
    if next_page(&first).is_none() {
        // The whole of the source in the range: the seven changes are among these events.
        return Ok(first
            .events()
            .iter()
            .filter(|event| {
                event
                    .event_name()
                    .is_some_and(|name| TRAIL_CHANGE_EVENTS.contains(&name))
            })
            .filter_map(|event| trail_event(event, account_id, region))
            .collect());
    }
    // A busy region: the seven names, each to its last page.
    let mut events = Vec::new();
    for name in TRAIL_CHANGE_EVENTS {
        let by_name = Lookup {
            key: LookupAttributeKey::EventName,
            value: name,
        };
        let mut token: Option<String> = None;
        loop {
            let answer = pace
                .lookup(client, calls, &by_name, from, to, token.take(), region)
                .await?;
            events.extend(
                answer
                    .events()
                    .iter()
                    .filter(|event| event.event_name() == Some(name))
                    .filter_map(|event| trail_event(event, account_id, region)),
            );
            match next_page(&answer) {
                Some(next) => token = Some(next.to_string()),
                None => break,
            }
        }
    }
    Ok(events)
}

/// The event source CloudTrail's own API calls are recorded under.
const CLOUDTRAIL_SOURCE: &str = "cloudtrail.amazonaws.com";

/// The one lookup attribute a request may carry.
struct Lookup<'a> {
    key: LookupAttributeKey,
    value: &'a str,
}

fn next_page(answer: &LookupEventsOutput) -> Option<&str> {
    answer.next_token().filter(|token| !token.is_empty())
}

/// One region's requests, [`LOOKUP_INTERVAL`] apart.
#[derive(Default)]
struct Pace {
    next_request: Option<tokio::time::Instant>,
}

impl Pace {
    /// One page of one lookup, after the pause the pace asks; a lookup the SDK gave up on is
    /// asked again, [`EXTRA_TRIES`] times at most.
    #[allow(clippy::too_many_arguments)]
    async fn lookup(
        &mut self,
        client: &Client,
        calls: &CallCounter,
        attribute: &Lookup<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        token: Option<String>,
        region: &str,
    ) -> Result<LookupEventsOutput, CallError> {
        // A hand-written page loop rather than the SDK's paginator: the pace is per request.
        if let Some(at) = self.next_request {
            tokio::time::sleep_until(at).await;
        }
        let mut tries = 0;
        let answer = loop {
            let answer = lookup(client, attribute, from, to, token.clone()).await;
            match answer {
                Err(error) if tries < EXTRA_TRIES && worth_another_try(&error) => {
                    tries += 1;
                    tokio::time::sleep(LOOKUP_INTERVAL * 2u32.pow(tries)).await;
                    calls.sent_again(error.code() == Some("ThrottlingException"));
                }
                answer => break answer,
            }
        };
        self.next_request = Some(tokio::time::Instant::now() + LOOKUP_INTERVAL);
        answer.map_err(|e| {
            CallError::new(
                format!(
                    "cloudtrail:LookupEvents ({} {}) in {region}",
                    attribute.key.as_str(),
                    attribute.value
                ),
                &e,
            )
        })
    }
}

type LookupAnswer = Result<LookupEventsOutput, SdkError<LookupEventsError, HttpResponse>>;

/// One page of one lookup.
async fn lookup(
    client: &Client,
    attribute: &Lookup<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    token: Option<String>,
) -> LookupAnswer {
    client
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(attribute.key.clone())
                .attribute_value(attribute.value)
                .build()
                .expect("key and value are set"),
        )
        .start_time(aws_time(from))
        .end_time(aws_time(to))
        .max_results(50)
        .set_next_token(token)
        .send()
        .await
}

/// Throttled, a server error, or no answer at all: the same request may well succeed later.
/// Anything else (denied, a bad request) will not.
fn worth_another_try(error: &SdkError<LookupEventsError, HttpResponse>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.err().code() == Some("ThrottlingException")
                || service.raw().status().as_u16() >= 500
        }
        _ => false,
    }
}

fn aws_time(time: DateTime<Utc>) -> aws_sdk_cloudtrail::primitives::DateTime {
    aws_sdk_cloudtrail::primitives::DateTime::from_secs(time.timestamp())
}

/// The SDK's event → the inventory's, from the CloudTrail record it carries
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>).
fn trail_event(
    event: &aws_sdk_cloudtrail::types::Event,
    account_id: &str,
    region: &str,
) -> Option<TrailEvent> {
    let record: Value = event
        .cloud_trail_event()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    let time = event
        .event_time()
        .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))?;
    let text = |pointer: &str| {
        record
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let parameters = record
        .get("requestParameters")
        .cloned()
        .unwrap_or(Value::Null);
    let trail = parameters
        .get("name")
        .or_else(|| parameters.get("trailName"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            event
                .resources()
                .iter()
                .find_map(|r| r.resource_name().map(str::to_string))
        })
        .unwrap_or_default();
    Some(TrailEvent {
        time,
        event_name: event.event_name()?.to_string(),
        trail,
        account_id: text("/recipientAccountId").unwrap_or_else(|| account_id.to_string()),
        region: text("/awsRegion").unwrap_or_else(|| region.to_string()),
        who: text("/userIdentity/arn"),
        source_ip: text("/sourceIPAddress"),
        user_agent: text("/userAgent"),
        request_parameters: parameters,
        event_id: event
            .event_id()
            .map(str::to_string)
            .or_else(|| text("/eventID"))
            .unwrap_or_default(),
    })
}
