//! What a trail's event selectors record, read the way CloudTrail applies them.
//!
//! Basic selectors are unioned: two selectors `ReadOnly` and `WriteOnly` record both. Advanced
//! selectors are unioned too, each one being the conjunction of its field selectors
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedEventSelector.html>).

use crate::model::{AdvancedEventSelector, EventSelectors, FieldSelector};

/// Which management events a trail records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagementEvents {
    /// Read-only management events, from every event source.
    pub reads: bool,
    /// Write management events, from every event source.
    pub writes: bool,
    /// Some management events, possibly only from a few event sources.
    pub any: bool,
    /// Event sources left out (`ExcludeManagementEventSources`, or `eventSource` NotEquals).
    pub excluded_sources: Vec<String>,
}

impl ManagementEvents {
    pub fn reads_and_writes(&self) -> bool {
        self.reads && self.writes
    }

    /// A short phrase for evidence: "reads and writes", "writes only", "none".
    pub fn describe(&self) -> String {
        let scope = match (self.reads, self.writes, self.any) {
            (true, true, _) => "reads and writes",
            (true, false, _) => "reads only",
            (false, true, _) => "writes only",
            (false, false, true) => "some event sources only",
            (false, false, false) => "none",
        };
        if self.excluded_sources.is_empty() {
            scope.to_string()
        } else {
            format!("{scope}, excluding {}", self.excluded_sources.join(", "))
        }
    }
}

pub fn management_events(selectors: &EventSelectors) -> ManagementEvents {
    let mut recorded = ManagementEvents::default();
    for selector in selectors
        .basic
        .iter()
        .filter(|s| s.include_management_events)
    {
        let (reads, writes) = read_write(&selector.read_write_type);
        recorded.reads |= reads;
        recorded.writes |= writes;
        recorded.any = true;
        add_sources(
            &mut recorded.excluded_sources,
            &selector.exclude_management_event_sources,
        );
    }
    for selector in &selectors.advanced {
        if let Some(advanced) = advanced_management(selector) {
            recorded.any = true;
            if advanced.all_sources {
                recorded.reads |= advanced.reads;
                recorded.writes |= advanced.writes;
            }
            add_sources(&mut recorded.excluded_sources, &advanced.excluded_sources);
        }
    }
    recorded
}

/// Which S3 object-level data events a trail records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3ObjectEvents {
    /// Reads (GetObject...) of objects in every bucket.
    pub all_bucket_reads: bool,
    /// Writes (PutObject, DeleteObject...) of objects in every bucket.
    pub all_bucket_writes: bool,
    /// Selectors limited to some buckets or events: recorded, but not "all S3 buckets".
    pub limited_to: Vec<String>,
}

impl S3ObjectEvents {
    pub fn describe(&self) -> String {
        let all = match (self.all_bucket_reads, self.all_bucket_writes) {
            (true, true) => "reads and writes in every bucket",
            (true, false) => "reads in every bucket",
            (false, true) => "writes in every bucket",
            (false, false) => "no S3 object events for every bucket",
        };
        if self.limited_to.is_empty() {
            all.to_string()
        } else {
            format!("{all}; limited selectors: {}", self.limited_to.join(", "))
        }
    }
}

/// `arn:aws:s3` (or the bare `arn:aws:s3:::` prefix) selects every bucket, in basic selectors
/// and as an advanced `resources.ARN` StartsWith
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html>).
fn selects_every_bucket(value: &str) -> bool {
    matches!(value, "arn:aws:s3" | "arn:aws:s3:::")
}

pub fn s3_object_events(selectors: &EventSelectors) -> S3ObjectEvents {
    let mut events = S3ObjectEvents::default();
    for selector in &selectors.basic {
        for resource in selector
            .data_resources
            .iter()
            .filter(|r| r.resource_type == "AWS::S3::Object")
        {
            if resource.values.iter().any(|v| selects_every_bucket(v)) {
                let (reads, writes) = read_write(&selector.read_write_type);
                events.all_bucket_reads |= reads;
                events.all_bucket_writes |= writes;
            } else {
                events.limited_to.extend(resource.values.iter().cloned());
            }
        }
    }
    for selector in &selectors.advanced {
        let Some(category) = field(selector, "eventCategory") else {
            continue;
        };
        let s3_objects = field(selector, "resources.type")
            .is_some_and(|f| f.equals.iter().any(|t| t == "AWS::S3::Object"));
        if !category.equals.iter().any(|c| c == "Data") || !s3_objects {
            continue;
        }
        let (reads, writes) = advanced_read_write(selector);
        // Any other condition (bucket ARNs, event names, principals) narrows the selector.
        let narrowing: Vec<&FieldSelector> = selector
            .field_selectors
            .iter()
            .filter(|f| {
                !matches!(
                    f.field.as_str(),
                    "eventCategory" | "resources.type" | "readOnly"
                )
            })
            .filter(|f| {
                !(f.field == "resources.ARN"
                    && f.equals.is_empty()
                    && f.starts_with.iter().all(|p| selects_every_bucket(p))
                    && f.not_equals.is_empty()
                    && f.not_starts_with.is_empty()
                    && f.ends_with.is_empty()
                    && f.not_ends_with.is_empty())
            })
            .collect();
        if narrowing.is_empty() {
            events.all_bucket_reads |= reads;
            events.all_bucket_writes |= writes;
        } else {
            events.limited_to.push(format!(
                "{} ({})",
                selector.name.as_deref().unwrap_or("unnamed selector"),
                narrowing
                    .iter()
                    .map(|f| f.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    events
}

fn read_write(read_write_type: &str) -> (bool, bool) {
    match read_write_type {
        "ReadOnly" => (true, false),
        "WriteOnly" => (false, true),
        _ => (true, true),
    }
}

/// Reads and writes an advanced selector admits through its `readOnly` field.
fn advanced_read_write(selector: &AdvancedEventSelector) -> (bool, bool) {
    match field(selector, "readOnly") {
        None => (true, true),
        Some(read_only) => {
            let allows = |value: &str| {
                (read_only.equals.is_empty() || read_only.equals.iter().any(|v| v == value))
                    && !read_only.not_equals.iter().any(|v| v == value)
            };
            (allows("true"), allows("false"))
        }
    }
}

fn add_sources(into: &mut Vec<String>, sources: &[String]) {
    for source in sources {
        if !into.contains(source) {
            into.push(source.clone());
        }
    }
}

struct AdvancedManagement {
    reads: bool,
    writes: bool,
    all_sources: bool,
    excluded_sources: Vec<String>,
}

/// The management events one advanced selector records, or `None` when it records none.
fn advanced_management(selector: &AdvancedEventSelector) -> Option<AdvancedManagement> {
    let category = field(selector, "eventCategory")?;
    if !category.equals.iter().any(|c| c == "Management") {
        return None;
    }
    let (reads, writes) = advanced_read_write(selector);
    if !reads && !writes {
        return None;
    }
    let (all_sources, excluded_sources) = match field(selector, "eventSource") {
        None => (true, Vec::new()),
        Some(source) => {
            let only_negations = source.equals.is_empty()
                && source.starts_with.is_empty()
                && source.ends_with.is_empty();
            let mut excluded = source.not_equals.clone();
            excluded.extend(source.not_starts_with.iter().map(|p| format!("{p}*")));
            excluded.extend(source.not_ends_with.iter().map(|s| format!("*{s}")));
            (only_negations, excluded)
        }
    };
    Some(AdvancedManagement {
        reads,
        writes,
        all_sources,
        excluded_sources,
    })
}

fn field<'a>(selector: &'a AdvancedEventSelector, name: &str) -> Option<&'a FieldSelector> {
    selector.field_selectors.iter().find(|f| f.field == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DataResource, EventSelector};

    fn basic(read_write_type: &str, management: bool) -> EventSelector {
        EventSelector {
            read_write_type: read_write_type.into(),
            include_management_events: management,
            data_resources: vec![],
            exclude_management_event_sources: vec![],
        }
    }

    fn advanced(fields: &[(&str, &[&str], &[&str])]) -> AdvancedEventSelector {
        AdvancedEventSelector {
            name: None,
            field_selectors: fields
                .iter()
                .map(|(field, equals, not_equals)| FieldSelector {
                    field: field.to_string(),
                    equals: equals.iter().map(|s| s.to_string()).collect(),
                    not_equals: not_equals.iter().map(|s| s.to_string()).collect(),
                    ..FieldSelector::default()
                })
                .collect(),
        }
    }

    fn of(basic: Vec<EventSelector>, advanced: Vec<AdvancedEventSelector>) -> ManagementEvents {
        management_events(&EventSelectors { basic, advanced })
    }

    #[test]
    fn basic_all_records_reads_and_writes() {
        assert!(of(vec![basic("All", true)], vec![]).reads_and_writes());
    }

    #[test]
    fn basic_read_only_and_write_only_selectors_union_to_both() {
        let recorded = of(
            vec![basic("ReadOnly", true), basic("WriteOnly", true)],
            vec![],
        );
        assert!(recorded.reads_and_writes());
    }

    #[test]
    fn basic_selector_without_management_events_records_none() {
        let recorded = of(vec![basic("All", false)], vec![]);
        assert!(!recorded.any && !recorded.reads && !recorded.writes);
    }

    #[test]
    fn no_selectors_record_nothing() {
        assert_eq!(of(vec![], vec![]), ManagementEvents::default());
    }

    #[test]
    fn advanced_management_without_read_only_field_records_both() {
        let recorded = of(
            vec![],
            vec![advanced(&[("eventCategory", &["Management"], &[])])],
        );
        assert!(recorded.reads_and_writes());
    }

    #[test]
    fn advanced_read_only_true_and_false_selectors_union_to_both() {
        let recorded = of(
            vec![],
            vec![
                advanced(&[
                    ("eventCategory", &["Management"], &[]),
                    ("readOnly", &["true"], &[]),
                ]),
                advanced(&[
                    ("eventCategory", &["Management"], &[]),
                    ("readOnly", &["false"], &[]),
                ]),
            ],
        );
        assert!(recorded.reads_and_writes());
    }

    #[test]
    fn advanced_read_only_true_alone_records_reads_only() {
        let recorded = of(
            vec![],
            vec![advanced(&[
                ("eventCategory", &["Management"], &[]),
                ("readOnly", &["true"], &[]),
            ])],
        );
        assert!(recorded.reads && !recorded.writes);
    }

    #[test]
    fn advanced_read_only_not_equals_true_records_writes() {
        let recorded = of(
            vec![],
            vec![advanced(&[
                ("eventCategory", &["Management"], &[]),
                ("readOnly", &[], &["true"]),
            ])],
        );
        assert!(!recorded.reads && recorded.writes);
    }

    #[test]
    fn advanced_data_selector_records_no_management_events() {
        let recorded = of(
            vec![],
            vec![advanced(&[
                ("eventCategory", &["Data"], &[]),
                ("resources.type", &["AWS::S3::Object"], &[]),
            ])],
        );
        assert!(!recorded.any);
    }

    #[test]
    fn advanced_exclusions_are_reported_but_still_cover_reads_and_writes() {
        let recorded = of(
            vec![],
            vec![advanced(&[
                ("eventCategory", &["Management"], &[]),
                ("eventSource", &[], &["kms.amazonaws.com"]),
            ])],
        );
        assert!(recorded.reads_and_writes());
        assert_eq!(recorded.excluded_sources, vec!["kms.amazonaws.com"]);
    }

    #[test]
    fn advanced_selector_limited_to_some_sources_does_not_cover_all_management_events() {
        let recorded = of(
            vec![],
            vec![advanced(&[
                ("eventCategory", &["Management"], &[]),
                ("eventSource", &["iam.amazonaws.com"], &[]),
            ])],
        );
        assert!(recorded.any && !recorded.reads_and_writes());
    }

    fn s3_resource(values: &[&str]) -> DataResource {
        DataResource {
            resource_type: "AWS::S3::Object".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn basic_s3_selector_for_every_bucket_records_its_read_write_type() {
        let mut selector = basic("WriteOnly", true);
        selector.data_resources = vec![s3_resource(&["arn:aws:s3"])];
        let events = s3_object_events(&EventSelectors {
            basic: vec![selector],
            advanced: vec![],
        });
        assert!(events.all_bucket_writes && !events.all_bucket_reads);
    }

    #[test]
    fn basic_s3_selector_for_some_buckets_is_limited() {
        let mut selector = basic("All", true);
        selector.data_resources = vec![s3_resource(&["arn:aws:s3:::payments/"])];
        let events = s3_object_events(&EventSelectors {
            basic: vec![selector],
            advanced: vec![],
        });
        assert!(!events.all_bucket_writes && !events.all_bucket_reads);
        assert_eq!(events.limited_to, vec!["arn:aws:s3:::payments/"]);
    }

    #[test]
    fn advanced_s3_read_and_write_selectors_union_to_both() {
        let data = |read_only: &str| {
            advanced(&[
                ("eventCategory", &["Data"], &[]),
                ("resources.type", &["AWS::S3::Object"], &[]),
                ("readOnly", &[read_only], &[]),
            ])
        };
        let events = s3_object_events(&EventSelectors {
            basic: vec![],
            advanced: vec![data("true"), data("false")],
        });
        assert!(events.all_bucket_reads && events.all_bucket_writes);
    }

    #[test]
    fn advanced_s3_selector_narrowed_to_a_bucket_is_limited() {
        let events = s3_object_events(&EventSelectors {
            basic: vec![],
            advanced: vec![advanced(&[
                ("eventCategory", &["Data"], &[]),
                ("resources.type", &["AWS::S3::Object"], &[]),
                ("resources.ARN", &["arn:aws:s3:::payments/"], &[]),
            ])],
        });
        assert!(!events.all_bucket_writes);
        assert_eq!(events.limited_to.len(), 1);
    }

    #[test]
    fn basic_exclusions_are_collected_once() {
        let mut selector = basic("All", true);
        selector.exclude_management_event_sources = vec!["rdsdata.amazonaws.com".into()];
        let recorded = of(vec![selector.clone(), selector], vec![]);
        assert_eq!(recorded.excluded_sources, vec!["rdsdata.amazonaws.com"]);
        assert_eq!(
            recorded.describe(),
            "reads and writes, excluding rdsdata.amazonaws.com"
        );
    }
}
