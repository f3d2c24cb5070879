//! The trail changes of the audit period, from CloudTrail event history (`LookupEvents`).
//!
//! Where: CloudTrail records a call "in the Region where the call was made", and a trail's
//! StartLogging, StopLogging, UpdateTrail, DeleteTrail and selector calls are made in its home
//! Region; a trail deleted during the period is no longer listed, so its home is not known from
//! today's DescribeTrails. History is therefore read in every audited region, and in the home
//! region of every trail listed, for the period's start up to the scan (the walk back from the
//! state read at the scan needs the changes after the period's end too).
//!
//! What: one lookup per event name (`LookupAttributes` holds "only one item"), not one per event
//! source. `EventSource = cloudtrail.amazonaws.com` would also return every CloudTrail *read*
//! (DescribeTrails, GetTrailStatus, LookupEvents itself — event history holds read-only
//! management events too), which AWS Config, Security Hub and orgtrail's own scans make every
//! day: pages without bound. Seven event names cost seven calls per region, one page each unless
//! a name has more than 50 events in the period, whatever else the account does.
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
use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError;
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

/// One region's changes: each event name in turn, every page, paced.
async fn region_changes(
    client: &Client,
    calls: &CallCounter,
    account_id: &str,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TrailEvent>, CallError> {
    let mut events = Vec::new();
    let mut next_request = tokio::time::Instant::now();
    for name in TRAIL_CHANGE_EVENTS {
        let mut token: Option<String> = None;
        loop {
            // A hand-written page loop rather than the SDK's paginator: the pace is per request.
            tokio::time::sleep_until(next_request).await;
            let mut tries = 0;
            let answer = loop {
                let answer = lookup(client, name, from, to, token.clone()).await;
                match answer {
                    Err(error) if tries < EXTRA_TRIES && worth_another_try(&error) => {
                        tries += 1;
                        tokio::time::sleep(LOOKUP_INTERVAL * 2u32.pow(tries)).await;
                        calls.sent_again(error.code() == Some("ThrottlingException"));
                    }
                    answer => break answer,
                }
            };
            next_request = tokio::time::Instant::now() + LOOKUP_INTERVAL;
            let answer = answer.map_err(|e| {
                CallError::new(format!("cloudtrail:LookupEvents ({name}) in {region}"), &e)
            })?;
            events.extend(
                answer
                    .events()
                    .iter()
                    .filter_map(|event| trail_event(event, account_id, region)),
            );
            match answer.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok(events)
}

type LookupAnswer = Result<
    aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput,
    SdkError<LookupEventsError, HttpResponse>,
>;

/// One page of one event name's lookup.
async fn lookup(
    client: &Client,
    name: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    token: Option<String>,
) -> LookupAnswer {
    client
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value(name)
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
