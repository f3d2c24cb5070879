//! Rules on S3 object-level data events: writes (CIS 3.10) and reads (CIS 3.11) recorded for
//! every bucket by a multi-region logging trail.

use super::selectors::s3_object_events;
use super::verdict::{
    fix_on_logging_trail, judge, trail_command, verdict, AccountTrails, TrailGaps, Verdict,
};

fn s3_data_events(account: &AccountTrails, writes: bool) -> Verdict {
    let kind = if writes { "writes" } else { "reads" };
    let trails = judge(account, |trail| {
        let mut gaps = TrailGaps::default();
        gaps.multi_region(trail);
        gaps.logging(trail);
        let events = gaps.read(trail.read_selectors()).map(s3_object_events);
        if let Some(events) = &events {
            let recorded = if writes {
                events.all_bucket_writes
            } else {
                events.all_bucket_reads
            };
            gaps.when(!recorded, || {
                format!("S3 object events recorded: {}", events.describe())
            });
        }
        gaps.judged(|| {
            let events = events.map(|e| e.describe()).unwrap_or_default();
            format!("multi-region, logging, S3 object events: {events}")
        })
    });
    let read_only = if writes { "false" } else { "true" };
    verdict(
        account,
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
