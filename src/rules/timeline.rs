//! The audit period, reconstructed: from the trails as read at the scan and the trail changes
//! CloudTrail's event history holds, when was every audited region recorded by a logging trail
//! recording management reads and writes (the CIS 3.1 condition), when not, and when that
//! cannot be known. Pure: no I/O, no clock.
//!
//! The walk goes back from the scan. After a trail's last change of a property (its existence,
//! whether it logs, whether it is multi-region, what its selectors record) the property is what
//! the scan read; between two changes it is what the earlier change set; before its first change
//! in the history it is not known — except before a `CreateTrail`, when the trail did not exist —
//! and is reported as such rather than guessed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::selectors::management_events;
use crate::findings::{Interval, IntervalKind};
use crate::model::{
    AdvancedEventSelector, DataResource, EventSelector, EventSelectors, FieldSelector, Period,
    Trail, TrailEvent,
};

/// Yes, no, or not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Yes,
    No,
    Unknown,
}

impl Known {
    fn of(value: bool) -> Known {
        if value {
            Known::Yes
        } else {
            Known::No
        }
    }

    fn and(self, other: Known) -> Known {
        match (self, other) {
            (Known::No, _) | (_, Known::No) => Known::No,
            (Known::Yes, Known::Yes) => Known::Yes,
            _ => Known::Unknown,
        }
    }

    fn or(self, other: Known) -> Known {
        match (self, other) {
            (Known::Yes, _) | (_, Known::Yes) => Known::Yes,
            (Known::No, Known::No) => Known::No,
            _ => Known::Unknown,
        }
    }
}

/// What a trail is at one moment, property by property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TrailState {
    exists: Known,
    logging: Known,
    multi_region: Known,
    /// Its selectors record management reads and writes.
    reads_and_writes: Known,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Property {
    Exists,
    Logging,
    MultiRegion,
    ReadsAndWrites,
}

const PROPERTIES: [Property; 4] = [
    Property::Exists,
    Property::Logging,
    Property::MultiRegion,
    Property::ReadsAndWrites,
];

impl TrailState {
    fn get(&self, property: Property) -> Known {
        match property {
            Property::Exists => self.exists,
            Property::Logging => self.logging,
            Property::MultiRegion => self.multi_region,
            Property::ReadsAndWrites => self.reads_and_writes,
        }
    }

    fn set(&mut self, property: Property, value: Known) {
        match property {
            Property::Exists => self.exists = value,
            Property::Logging => self.logging = value,
            Property::MultiRegion => self.multi_region = value,
            Property::ReadsAndWrites => self.reads_and_writes = value,
        }
    }

    /// Whether the trail records management reads and writes made in `region`.
    fn records(&self, home_region: &str, region: &str) -> Known {
        let reaches = if home_region == region {
            Known::Yes
        } else {
            self.multi_region
        };
        self.exists
            .and(self.logging)
            .and(self.reads_and_writes)
            .and(reaches)
    }

    /// As the scan read it.
    fn read(trail: &Trail) -> TrailState {
        let Ok(described) = trail.described() else {
            return TrailState {
                exists: Known::Yes,
                logging: Known::Unknown,
                multi_region: Known::Unknown,
                reads_and_writes: Known::Unknown,
            };
        };
        TrailState {
            exists: Known::Yes,
            logging: trail.logging().map_or(Known::Unknown, Known::of),
            multi_region: Known::of(described.is_multi_region),
            reads_and_writes: trail.read_selectors().map_or(Known::Unknown, |selectors| {
                Known::of(management_events(selectors).reads_and_writes())
            }),
        }
    }
}

/// What one change sets, property by property (`None`: left as it was).
fn effect(event: &TrailEvent, property: Property) -> Option<Known> {
    let parameters = &event.request_parameters;
    let flag = |name: &str| parameters.get(name).and_then(serde_json::Value::as_bool);
    match (event.event_name.as_str(), property) {
        ("CreateTrail", Property::Exists) => Some(Known::Yes),
        // CreateTrail does not start logging: "StartLogging ... Starts the recording of AWS API
        // calls and log file delivery for a trail"
        // (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartLogging.html).
        ("CreateTrail", Property::Logging) => Some(Known::No),
        ("CreateTrail", Property::MultiRegion) => {
            Some(Known::of(flag("isMultiRegionTrail").unwrap_or(false)))
        }
        // A new trail has the default selector: all management events, reads and writes.
        ("CreateTrail", Property::ReadsAndWrites) => Some(Known::Yes),
        ("DeleteTrail", Property::Exists) => Some(Known::No),
        ("StartLogging", Property::Logging) => Some(Known::Yes),
        ("StopLogging", Property::Logging) => Some(Known::No),
        ("UpdateTrail", Property::MultiRegion) => flag("isMultiRegionTrail").map(Known::of),
        ("PutEventSelectors", Property::ReadsAndWrites) => Some(
            recorded_selectors(parameters).map_or(Known::Unknown, |selectors| {
                Known::of(management_events(&selectors).reads_and_writes())
            }),
        ),
        _ => None,
    }
}

/// A trail's identity across its changes: the account that owns it, its home region (where its
/// changes are recorded) and its name.
type TrailKey = (String, String, String);

fn key_of_trail(trail: &Trail, account_id: &str) -> TrailKey {
    (
        trail.owner_account().unwrap_or(account_id).to_string(),
        trail.home_region.clone(),
        trail.name.clone(),
    )
}

fn key_of_event(event: &TrailEvent) -> TrailKey {
    (
        event.account_id.clone(),
        event.region.clone(),
        event.trail_name().to_string(),
    )
}

/// One trail through the period: as the scan read it (if it still existed) and its changes,
/// oldest first.
struct TrailStory<'a> {
    name: String,
    home_region: String,
    at_scan: Option<TrailState>,
    changes: Vec<&'a TrailEvent>,
}

impl TrailStory<'_> {
    /// The property at `time`, counting changes made at or before it.
    fn property_at(&self, property: Property, time: DateTime<Utc>) -> Known {
        let touching: Vec<&&TrailEvent> = self
            .changes
            .iter()
            .filter(|e| effect(e, property).is_some())
            .collect();
        let Some(first) = touching.first() else {
            return self
                .at_scan
                .map_or(Known::Unknown, |state| state.get(property));
        };
        match touching.iter().rposition(|e| e.time <= time) {
            // After the last change the scan's reading is the better witness, when there is one.
            Some(last) if last + 1 == touching.len() && self.at_scan.is_some() => {
                self.at_scan.map_or(Known::Unknown, |s| s.get(property))
            }
            Some(index) => effect(touching[index], property).unwrap_or(Known::Unknown),
            None if first.event_name == "CreateTrail" && property == Property::Exists => Known::No,
            None => Known::Unknown,
        }
    }

    fn state_at(&self, time: DateTime<Utc>) -> TrailState {
        let mut state = TrailState {
            exists: Known::Unknown,
            logging: Known::Unknown,
            multi_region: Known::Unknown,
            reads_and_writes: Known::Unknown,
        };
        for property in PROPERTIES {
            state.set(property, self.property_at(property, time));
        }
        state
    }

    /// The first change before which this trail's state is not known, when one is.
    fn unknown_before(&self) -> Option<&TrailEvent> {
        self.changes.first().copied()
    }
}

/// The period, reconstructed for one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Gaps and unknown stretches, in time order.
    pub intervals: Vec<Interval>,
    /// How many trail changes fell inside the period.
    pub changes_in_period: usize,
}

impl Timeline {
    pub fn gaps(&self) -> impl Iterator<Item = &Interval> {
        self.intervals
            .iter()
            .filter(|i| i.kind == IntervalKind::Gap)
    }

    pub fn unknown(&self) -> impl Iterator<Item = &Interval> {
        self.intervals
            .iter()
            .filter(|i| i.kind == IntervalKind::Unknown)
    }
}

/// Reconstruct `period` for the account `account_id` from `trails` (read at the scan) and
/// `events` (every trail change from the period's start up to the scan, in any order).
pub fn reconstruct(
    account_id: &str,
    trails: &[Trail],
    events: &[TrailEvent],
    regions: &[String],
    period: Period,
) -> Timeline {
    let mut stories: BTreeMap<TrailKey, TrailStory> = BTreeMap::new();
    for trail in trails {
        stories.insert(
            key_of_trail(trail, account_id),
            TrailStory {
                name: trail.name.clone(),
                home_region: trail.home_region.clone(),
                at_scan: Some(TrailState::read(trail)),
                changes: Vec::new(),
            },
        );
    }
    let mut sorted: Vec<&TrailEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.time);
    for event in &sorted {
        stories
            .entry(key_of_event(event))
            .or_insert_with(|| TrailStory {
                name: event.trail_name().to_string(),
                home_region: event.region.clone(),
                at_scan: None,
                changes: Vec::new(),
            })
            .changes
            .push(event);
    }

    let mut boundaries: Vec<DateTime<Utc>> = vec![period.start, period.end];
    boundaries.extend(
        sorted
            .iter()
            .map(|e| e.time)
            .filter(|t| *t > period.start && *t < period.end),
    );
    boundaries.sort();
    boundaries.dedup();

    let mut intervals: Vec<Interval> = Vec::new();
    for window in boundaries.windows(2) {
        let (start, end) = (window[0], window[1]);
        let recorded = regions.iter().fold(Known::Yes, |all, region| {
            let covered = stories.values().fold(Known::No, |any, story| {
                any.or(story.state_at(start).records(&story.home_region, region))
            });
            all.and(covered)
        });
        let kind = match recorded {
            Known::Yes => continue,
            Known::No => IntervalKind::Gap,
            Known::Unknown => IntervalKind::Unknown,
        };
        if let Some(last) = intervals.last_mut() {
            if last.kind == kind && last.end == start {
                last.end = end;
                last.seconds = (end - last.start).num_seconds();
                continue;
            }
        }
        intervals.push(open_interval(kind, start, end, &sorted, &stories));
    }

    Timeline {
        intervals,
        changes_in_period: sorted
            .iter()
            .filter(|e| e.time >= period.start && e.time <= period.end)
            .count(),
    }
}

/// An interval starting at `start`: named after the change made then, if any.
fn open_interval(
    kind: IntervalKind,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    events: &[&TrailEvent],
    stories: &BTreeMap<TrailKey, TrailStory>,
) -> Interval {
    let opened_by = events.iter().rev().find(|e| e.time == start);
    let detail = match (kind, opened_by) {
        (IntervalKind::Gap, Some(event)) => format!(
            "{} on trail {} left no logging trail recording management reads and writes in \
             every audited region",
            event.event_name,
            event.trail_name()
        ),
        (IntervalKind::Gap, None) => "from the start of the period, no logging trail recorded \
             management reads and writes in every audited region"
            .to_string(),
        (IntervalKind::Unknown, _) => {
            let unknown: Vec<String> = stories
                .values()
                .filter_map(|story| {
                    let first = story.unknown_before()?;
                    (first.time > start).then(|| {
                        format!(
                            "trail {} before its first change in the history ({} at {})",
                            story.name,
                            first.event_name,
                            first.time.format("%Y-%m-%d %H:%M:%S UTC")
                        )
                    })
                })
                .collect();
            if unknown.is_empty() {
                "what the trails recorded cannot be told from the scan and the history".to_string()
            } else {
                format!(
                    "not known from the scan and the history: {}",
                    unknown.join("; ")
                )
            }
        }
    };
    Interval {
        kind,
        start,
        end,
        seconds: (end - start).num_seconds(),
        trail: opened_by.map(|e| e.trail_name().to_string()),
        event: opened_by.map(|e| e.event_name.clone()),
        who: opened_by.and_then(|e| e.who.clone()),
        source_ip: opened_by.and_then(|e| e.source_ip.clone()),
        detail,
    }
}

/// The selectors a `PutEventSelectors` call wrote, from its recorded request parameters
/// (`eventSelectors` or `advancedEventSelectors`, lowerCamelCase as CloudTrail records them).
pub fn recorded_selectors(parameters: &serde_json::Value) -> Option<EventSelectors> {
    let text = |value: &serde_json::Value, name: &str| -> Option<String> {
        value.get(name).and_then(|v| v.as_str()).map(str::to_string)
    };
    let strings = |value: &serde_json::Value, name: &str| -> Vec<String> {
        value
            .get(name)
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let list = |name: &str| parameters.get(name).and_then(|v| v.as_array());
    if let Some(basic) = list("eventSelectors").filter(|l| !l.is_empty()) {
        let basic = basic
            .iter()
            .map(|s| EventSelector {
                read_write_type: text(s, "readWriteType").unwrap_or_else(|| "All".to_string()),
                include_management_events: s
                    .get("includeManagementEvents")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(true),
                data_resources: s
                    .get("dataResources")
                    .and_then(|v| v.as_array())
                    .map(|resources| {
                        resources
                            .iter()
                            .map(|r| DataResource {
                                resource_type: text(r, "type").unwrap_or_default(),
                                values: strings(r, "values"),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                exclude_management_event_sources: strings(s, "excludeManagementEventSources"),
            })
            .collect();
        return Some(EventSelectors {
            basic,
            advanced: Vec::new(),
        });
    }
    let advanced = list("advancedEventSelectors").filter(|l| !l.is_empty())?;
    let advanced = advanced
        .iter()
        .map(|s| AdvancedEventSelector {
            name: text(s, "name"),
            field_selectors: s
                .get("fieldSelectors")
                .and_then(|v| v.as_array())
                .map(|fields| {
                    fields
                        .iter()
                        .map(|f| FieldSelector {
                            field: text(f, "field").unwrap_or_default(),
                            equals: strings(f, "equals"),
                            not_equals: strings(f, "notEquals"),
                            starts_with: strings(f, "startsWith"),
                            not_starts_with: strings(f, "notStartsWith"),
                            ends_with: strings(f, "endsWith"),
                            not_ends_with: strings(f, "notEndsWith"),
                            other_operators: Default::default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Some(EventSelectors {
        basic: Vec::new(),
        advanced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TrailStatus;
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    const ACCOUNT: &str = "111111111111";

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap()
    }

    fn november() -> Period {
        Period {
            start: day(1),
            end: day(30),
        }
    }

    fn regions() -> Vec<String> {
        vec!["us-east-1".into(), "eu-west-1".into()]
    }

    fn trail(name: &str, logging: bool) -> Trail {
        Trail {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"),
            home_region: "us-east-1".into(),
            is_multi_region: true,
            is_organization_trail: false,
            include_global_service_events: true,
            log_file_validation_enabled: true,
            s3_bucket_name: Some("logs".into()),
            s3_key_prefix: None,
            sns_topic_arn: None,
            kms_key_id: None,
            cloudwatch_logs_log_group_arn: None,
            cloudwatch_logs_role_arn: None,
            has_insight_selectors: false,
            status: TrailStatus {
                is_logging: logging,
                ..TrailStatus::default()
            },
            event_selectors: EventSelectors {
                basic: vec![EventSelector {
                    read_write_type: "All".into(),
                    include_management_events: true,
                    data_resources: Vec::new(),
                    exclude_management_event_sources: Vec::new(),
                }],
                advanced: Vec::new(),
            },
            unread: Vec::new(),
        }
    }

    fn event(
        name: &str,
        trail: &str,
        time: DateTime<Utc>,
        parameters: serde_json::Value,
    ) -> TrailEvent {
        TrailEvent {
            time,
            event_name: name.into(),
            trail: trail.into(),
            account_id: ACCOUNT.into(),
            region: "us-east-1".into(),
            who: Some("arn:aws:iam::111111111111:user/mallory".into()),
            source_ip: Some("203.0.113.7".into()),
            user_agent: None,
            request_parameters: parameters,
            event_id: format!("{name}-{time}"),
        }
    }

    fn spans(timeline: &Timeline, kind: IntervalKind) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        timeline
            .intervals
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| (i.start, i.end))
            .collect()
    }

    #[test]
    fn a_trail_stopped_and_restarted_inside_the_period_leaves_that_gap() {
        let events = [
            event("StopLogging", "main", day(10), json!({"name": "main"})),
            event("StartLogging", "main", day(12), json!({"name": "main"})),
        ];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            november(),
        );
        assert_eq!(
            spans(&timeline, IntervalKind::Gap),
            vec![(day(10), day(12))]
        );
        let gap = timeline.gaps().next().unwrap();
        assert_eq!(gap.event.as_deref(), Some("StopLogging"));
        assert_eq!(
            gap.who.as_deref(),
            Some("arn:aws:iam::111111111111:user/mallory")
        );
        assert_eq!(gap.source_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(gap.seconds, Duration::days(2).num_seconds());
        // Before the first StopLogging nothing in the history says whether it logged.
        assert_eq!(
            spans(&timeline, IntervalKind::Unknown),
            vec![(day(1), day(10))]
        );
        assert_eq!(timeline.changes_in_period, 2);
    }

    #[test]
    fn no_change_in_the_period_leaves_the_state_read_at_the_scan() {
        let timeline = reconstruct(ACCOUNT, &[trail("main", true)], &[], &regions(), november());
        assert!(timeline.intervals.is_empty());
        let stopped = reconstruct(
            ACCOUNT,
            &[trail("main", false)],
            &[],
            &regions(),
            november(),
        );
        assert_eq!(spans(&stopped, IntervalKind::Gap), vec![(day(1), day(30))]);
        assert_eq!(stopped.intervals[0].event, None);
    }

    #[test]
    fn a_trail_stopped_during_the_period_and_still_stopped_is_a_gap_to_its_end() {
        let events = [event(
            "StopLogging",
            "main",
            day(20),
            json!({"name": "main"}),
        )];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", false)],
            &events,
            &regions(),
            november(),
        );
        assert_eq!(
            spans(&timeline, IntervalKind::Gap),
            vec![(day(20), day(30))]
        );
    }

    #[test]
    fn one_of_two_trails_stopped_while_the_other_logged_is_no_gap() {
        let events = [
            event("StopLogging", "first", day(10), json!({"name": "first"})),
            event("StartLogging", "first", day(11), json!({"name": "first"})),
        ];
        let trails = [trail("first", true), trail("second", true)];
        let timeline = reconstruct(ACCOUNT, &trails, &events, &regions(), november());
        assert!(timeline.intervals.is_empty(), "{timeline:?}");
        assert_eq!(timeline.changes_in_period, 2);
    }

    #[test]
    fn selectors_narrowed_to_writes_then_restored_leave_the_narrowed_days() {
        let writes = json!({"trailName": "main", "eventSelectors": [
            {"readWriteType": "WriteOnly", "includeManagementEvents": true}]});
        let all = json!({"trailName": "main", "eventSelectors": [
            {"readWriteType": "All", "includeManagementEvents": true}]});
        let events = [
            event("PutEventSelectors", "main", day(5), writes),
            event("PutEventSelectors", "main", day(8), all),
        ];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            november(),
        );
        assert_eq!(spans(&timeline, IntervalKind::Gap), vec![(day(5), day(8))]);
    }

    #[test]
    fn a_trail_deleted_and_recreated_is_a_gap_until_it_logs_again() {
        let arn = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main");
        let events = [
            event("DeleteTrail", &arn, day(7), json!({"name": arn})),
            event(
                "CreateTrail",
                "main",
                day(8),
                json!({"name": "main", "isMultiRegionTrail": true}),
            ),
            event("StartLogging", "main", day(9), json!({"name": "main"})),
        ];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            november(),
        );
        assert_eq!(spans(&timeline, IntervalKind::Gap), vec![(day(7), day(9))]);
    }

    #[test]
    fn a_trail_created_in_the_period_did_not_exist_before() {
        let events = [
            event(
                "CreateTrail",
                "main",
                day(8),
                json!({"name": "main", "isMultiRegionTrail": true}),
            ),
            event(
                "StartLogging",
                "main",
                day(8) + Duration::minutes(1),
                json!({"name": "main"}),
            ),
        ];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            november(),
        );
        assert_eq!(
            spans(&timeline, IntervalKind::Gap),
            vec![(day(1), day(8) + Duration::minutes(1))]
        );
        assert_eq!(spans(&timeline, IntervalKind::Unknown), vec![]);
    }

    #[test]
    fn a_single_region_update_opens_a_gap_in_the_other_regions() {
        let events = [
            event(
                "UpdateTrail",
                "main",
                day(3),
                json!({"name": "main", "isMultiRegionTrail": false}),
            ),
            event(
                "UpdateTrail",
                "main",
                day(4),
                json!({"name": "main", "isMultiRegionTrail": true}),
            ),
        ];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            november(),
        );
        assert_eq!(spans(&timeline, IntervalKind::Gap), vec![(day(3), day(4))]);
    }

    #[test]
    fn a_benign_change_is_counted_and_opens_nothing() {
        let events = [event(
            "UpdateTrail",
            "main",
            day(4),
            json!({"name": "main", "cloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:1:log-group:x:*"}),
        )];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            november(),
        );
        assert!(timeline.intervals.is_empty());
        assert_eq!(timeline.changes_in_period, 1);
    }

    #[test]
    fn changes_after_the_period_are_walked_back_through_but_not_counted() {
        // October's audit, scanned in November: the trail stopped on 20 Oct and restarted on
        // 2 Nov; the scan reads it logging.
        let october = Period {
            start: Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
            end: day(1),
        };
        let stop = Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap();
        let events = [
            event("StopLogging", "main", stop, json!({"name": "main"})),
            event("StartLogging", "main", day(2), json!({"name": "main"})),
        ];
        let timeline = reconstruct(
            ACCOUNT,
            &[trail("main", true)],
            &events,
            &regions(),
            october,
        );
        assert_eq!(spans(&timeline, IntervalKind::Gap), vec![(stop, day(1))]);
        assert_eq!(timeline.changes_in_period, 1);
    }

    #[test]
    fn an_unreadable_status_at_the_scan_is_unknown_not_a_gap() {
        let mut unread = trail("main", true);
        unread.unread.push(crate::model::UnreadCall {
            call: crate::model::TrailCall::GetTrailStatus,
            error: "AccessDenied".into(),
        });
        let timeline = reconstruct(ACCOUNT, &[unread], &[], &regions(), november());
        assert_eq!(
            spans(&timeline, IntervalKind::Unknown),
            vec![(day(1), day(30))]
        );
        assert_eq!(spans(&timeline, IntervalKind::Gap), vec![]);
    }

    #[test]
    fn advanced_selectors_are_read_from_the_recorded_parameters() {
        let parameters = json!({"trailName": "main", "advancedEventSelectors": [
            {"name": "management", "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Management"]}]}]});
        let selectors = recorded_selectors(&parameters).unwrap();
        assert!(management_events(&selectors).reads_and_writes());
        assert_eq!(recorded_selectors(&json!({"trailName": "main"})), None);
    }
}
