//! What a trail's event selectors record, read the way CloudTrail applies them.
//!
//! Basic selectors are unioned: two selectors `ReadOnly` and `WriteOnly` record both. Advanced
//! selectors are unioned too, each one being the conjunction of its field selectors
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedEventSelector.html>).
//!
//! Fail closed: a value, field or operator that orgtrail does not know is never read as "records
//! everything". The selector that carries it counts as recording nothing, and the evidence names
//! what was not understood. CloudTrail documents `ReadWriteType` as ReadOnly, WriteOnly or All
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html>);
//! management selectors on trails as using the fields eventCategory, eventSource and readOnly,
//! with Equals the only operator for eventCategory and readOnly
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html>).

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
    /// Selectors not counted because they use a value, field or operator orgtrail does not
    /// know, each naming it.
    pub not_understood: Vec<String>,
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
        let mut text = scope.to_string();
        if !self.excluded_sources.is_empty() {
            text.push_str(&format!(", excluding {}", self.excluded_sources.join(", ")));
        }
        if !self.not_understood.is_empty() {
            text.push_str(&format!(
                " (not counted, unknown to orgtrail: {})",
                self.not_understood.join("; ")
            ));
        }
        text
    }
}

pub fn management_events(selectors: &EventSelectors) -> ManagementEvents {
    let mut recorded = ManagementEvents::default();
    for selector in selectors
        .basic
        .iter()
        .filter(|s| s.include_management_events)
    {
        let Some((reads, writes)) = read_write(&selector.read_write_type) else {
            recorded.not_understood.push(format!(
                "basic selector with ReadWriteType '{}' (CloudTrail documents ReadOnly, WriteOnly and All)",
                selector.read_write_type
            ));
            continue;
        };
        recorded.reads |= reads;
        recorded.writes |= writes;
        recorded.any = true;
        add_sources(
            &mut recorded.excluded_sources,
            &selector.exclude_management_event_sources,
        );
    }
    for selector in &selectors.advanced {
        match advanced_management(selector) {
            Ok(None) => {}
            Ok(Some(advanced)) => {
                recorded.any = true;
                if advanced.all_sources {
                    recorded.reads |= advanced.reads;
                    recorded.writes |= advanced.writes;
                }
                add_sources(&mut recorded.excluded_sources, &advanced.excluded_sources);
            }
            Err(unknown) => recorded.not_understood.push(format!(
                "advanced selector {}: {unknown}",
                selector_name(selector)
            )),
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
    /// Selectors limited to some buckets or events, or not understood: shown, but not "all S3
    /// buckets".
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
            let every_bucket = resource.values.iter().any(|v| selects_every_bucket(v));
            match read_write(&selector.read_write_type) {
                Some((reads, writes)) if every_bucket => {
                    events.all_bucket_reads |= reads;
                    events.all_bucket_writes |= writes;
                }
                Some(_) => events.limited_to.extend(resource.values.iter().cloned()),
                None => events.limited_to.push(format!(
                    "ReadWriteType '{}' not understood",
                    selector.read_write_type
                )),
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
        let Ok((reads, writes)) = advanced_read_write(selector) else {
            events.limited_to.push(format!(
                "{} (readOnly condition not understood)",
                selector_name(selector)
            ));
            continue;
        };
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
            .filter(|f| !(f.field == "resources.ARN" && starts_with_every_bucket(f)))
            .collect();
        if narrowing.is_empty() {
            events.all_bucket_reads |= reads;
            events.all_bucket_writes |= writes;
        } else {
            events.limited_to.push(format!(
                "{} ({})",
                selector_name(selector),
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

/// `resources.ARN StartsWith arn:aws:s3:::` and nothing else: every bucket.
fn starts_with_every_bucket(f: &FieldSelector) -> bool {
    !f.starts_with.is_empty()
        && f.starts_with.iter().all(|p| selects_every_bucket(p))
        && f.equals.is_empty()
        && f.not_equals.is_empty()
        && f.not_starts_with.is_empty()
        && f.ends_with.is_empty()
        && f.not_ends_with.is_empty()
        && f.other_operators.is_empty()
}

/// Reads and writes a basic selector's `ReadWriteType` admits; `None` for a value CloudTrail
/// does not document.
fn read_write(read_write_type: &str) -> Option<(bool, bool)> {
    match read_write_type {
        "ReadOnly" => Some((true, false)),
        "WriteOnly" => Some((false, true)),
        "All" => Some((true, true)),
        _ => None,
    }
}

/// A condition in an advanced selector that orgtrail does not understand, in the words the
/// evidence quotes: such a selector neither proves nor disproves that events are recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
struct NotUnderstood(String);

/// Reads and writes an advanced selector admits through its `readOnly` field; `Err` names a
/// condition orgtrail does not understand (an operator other than Equals and NotEquals, or a
/// value other than "true" and "false").
fn advanced_read_write(selector: &AdvancedEventSelector) -> Result<(bool, bool), NotUnderstood> {
    let Some(read_only) = field(selector, "readOnly") else {
        return Ok((true, true));
    };
    let unknown_operators = operators_other_than(read_only, &["Equals", "NotEquals"]);
    if !unknown_operators.is_empty() {
        return Err(NotUnderstood(format!(
            "readOnly with {} (CloudTrail documents Equals only)",
            unknown_operators.join(", ")
        )));
    }
    if let Some(value) = read_only
        .equals
        .iter()
        .chain(&read_only.not_equals)
        .find(|v| !matches!(v.as_str(), "true" | "false"))
    {
        return Err(NotUnderstood(format!(
            "readOnly value '{value}' (not \"true\" or \"false\")"
        )));
    }
    let allows = |value: &str| {
        (read_only.equals.is_empty() || read_only.equals.iter().any(|v| v == value))
            && !read_only.not_equals.iter().any(|v| v == value)
    };
    Ok((allows("true"), allows("false")))
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

/// The fields CloudTrail documents for management events on a trail.
const MANAGEMENT_FIELDS: [&str; 3] = ["eventCategory", "eventSource", "readOnly"];

/// The management events one advanced selector records: `Ok(None)` when it selects no
/// management events, `Err` naming what orgtrail does not understand in one that may.
fn advanced_management(
    selector: &AdvancedEventSelector,
) -> Result<Option<AdvancedManagement>, NotUnderstood> {
    let Some(category) = field(selector, "eventCategory") else {
        return Ok(None);
    };
    let unknown_operators = operators_other_than(category, &["Equals"]);
    if !category.equals.iter().any(|c| c == "Management") {
        if unknown_operators.is_empty() {
            return Ok(None); // data, network activity, ... events: not management events
        }
        return Err(NotUnderstood(format!(
            "eventCategory with {} (CloudTrail documents Equals only)",
            unknown_operators.join(", ")
        )));
    }
    if !unknown_operators.is_empty() {
        return Err(NotUnderstood(format!(
            "eventCategory with {} (CloudTrail documents Equals only)",
            unknown_operators.join(", ")
        )));
    }
    if let Some(unknown) = selector
        .field_selectors
        .iter()
        .find(|f| !MANAGEMENT_FIELDS.contains(&f.field.as_str()))
    {
        return Err(NotUnderstood(format!(
            "field {} (CloudTrail documents eventCategory, eventSource and readOnly for management events on trails)",
            unknown.field
        )));
    }
    let (reads, writes) = advanced_read_write(selector)?;
    if !reads && !writes {
        return Ok(None);
    }
    let (all_sources, excluded_sources) = match field(selector, "eventSource") {
        None => (true, Vec::new()),
        Some(source) => {
            let unknown_operators = operators_other_than(source, &ALL_OPERATORS);
            if !unknown_operators.is_empty() {
                return Err(NotUnderstood(format!(
                    "eventSource with {}",
                    unknown_operators.join(", ")
                )));
            }
            let only_negations = source.equals.is_empty()
                && source.starts_with.is_empty()
                && source.ends_with.is_empty();
            let mut excluded = source.not_equals.clone();
            excluded.extend(source.not_starts_with.iter().map(|p| format!("{p}*")));
            excluded.extend(source.not_ends_with.iter().map(|s| format!("*{s}")));
            (only_negations, excluded)
        }
    };
    Ok(Some(AdvancedManagement {
        reads,
        writes,
        all_sources,
        excluded_sources,
    }))
}

/// The six operators of `AdvancedFieldSelector` in the CloudTrail API.
const ALL_OPERATORS: [&str; 6] = [
    "Equals",
    "NotEquals",
    "StartsWith",
    "NotStartsWith",
    "EndsWith",
    "NotEndsWith",
];

/// The operators a field selector uses beyond `known`. A field selector with no condition at all
/// counts as using an unknown one: the AWS SDK drops an operator it does not model when it reads
/// the response, so an empty field selector is what a new operator looks like from here.
fn operators_other_than(field: &FieldSelector, known: &[&str]) -> Vec<String> {
    let used = [
        ("Equals", &field.equals),
        ("NotEquals", &field.not_equals),
        ("StartsWith", &field.starts_with),
        ("NotStartsWith", &field.not_starts_with),
        ("EndsWith", &field.ends_with),
        ("NotEndsWith", &field.not_ends_with),
    ];
    let mut other: Vec<String> = used
        .iter()
        .filter(|(name, values)| !values.is_empty() && !known.contains(name))
        .map(|(name, _)| name.to_string())
        .collect();
    other.extend(field.other_operators.keys().cloned());
    if other.is_empty() && used.iter().all(|(_, values)| values.is_empty()) {
        other.push("no operator orgtrail recognises".to_string());
    }
    other
}

fn selector_name(selector: &AdvancedEventSelector) -> String {
    match &selector.name {
        Some(name) => format!("'{name}'"),
        None => "(unnamed)".to_string(),
    }
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

#[cfg(test)]
mod fail_closed {
    //! What orgtrail does not know is never read as "records everything" (issue 14, item 8).

    use super::*;
    use crate::model::EventSelector;

    fn management(extra: FieldSelector) -> AdvancedEventSelector {
        AdvancedEventSelector {
            name: Some("management".into()),
            field_selectors: vec![
                FieldSelector {
                    field: "eventCategory".into(),
                    equals: vec!["Management".into()],
                    ..FieldSelector::default()
                },
                extra,
            ],
        }
    }

    fn advanced(selectors: Vec<AdvancedEventSelector>) -> ManagementEvents {
        management_events(&EventSelectors {
            basic: vec![],
            advanced: selectors,
        })
    }

    fn nothing_recorded(recorded: &ManagementEvents, named: &str) {
        assert!(
            !recorded.any && !recorded.reads && !recorded.writes,
            "{recorded:?}"
        );
        assert!(
            recorded.describe().contains(named),
            "{} does not name {named}",
            recorded.describe()
        );
    }

    #[test]
    fn an_unknown_read_write_type_is_not_all() {
        let recorded = management_events(&EventSelectors {
            basic: vec![EventSelector {
                read_write_type: "ReadWriteAndMore".into(),
                include_management_events: true,
                data_resources: vec![],
                exclude_management_event_sources: vec![],
            }],
            advanced: vec![],
        });
        nothing_recorded(&recorded, "ReadWriteAndMore");
    }

    #[test]
    fn a_known_selector_still_counts_next_to_an_unknown_one() {
        let basic = |t: &str| EventSelector {
            read_write_type: t.into(),
            include_management_events: true,
            data_resources: vec![],
            exclude_management_event_sources: vec![],
        };
        let recorded = management_events(&EventSelectors {
            basic: vec![basic("All"), basic("Sometimes")],
            advanced: vec![],
        });
        assert!(recorded.reads_and_writes());
        assert!(recorded.describe().contains("'Sometimes'"));
    }

    #[test]
    fn a_read_only_operator_other_than_equals_is_not_understood() {
        let recorded = advanced(vec![management(FieldSelector {
            field: "readOnly".into(),
            starts_with: vec!["t".into()],
            ..FieldSelector::default()
        })]);
        nothing_recorded(&recorded, "readOnly with StartsWith");
    }

    #[test]
    fn a_read_only_value_other_than_true_or_false_is_not_understood() {
        let recorded = advanced(vec![management(FieldSelector {
            field: "readOnly".into(),
            equals: vec!["maybe".into()],
            ..FieldSelector::default()
        })]);
        nothing_recorded(&recorded, "'maybe'");
    }

    #[test]
    fn a_field_cloudtrail_does_not_document_for_management_events_is_not_understood() {
        let recorded = advanced(vec![management(FieldSelector {
            field: "userIdentity.arn".into(),
            not_equals: vec!["arn:aws:iam::111111111111:role/noisy".into()],
            ..FieldSelector::default()
        })]);
        nothing_recorded(&recorded, "field userIdentity.arn");
    }

    #[test]
    fn an_operator_this_orgtrail_does_not_know_is_not_understood() {
        let mut unknown = FieldSelector {
            field: "eventSource".into(),
            ..FieldSelector::default()
        };
        unknown
            .other_operators
            .insert("Contains".into(), vec!["iam".into()]);
        nothing_recorded(&advanced(vec![management(unknown)]), "Contains");
    }

    #[test]
    fn a_field_selector_left_empty_by_an_operator_the_sdk_dropped_is_not_understood() {
        let recorded = advanced(vec![management(FieldSelector {
            field: "eventSource".into(),
            ..FieldSelector::default()
        })]);
        nothing_recorded(&recorded, "no operator orgtrail recognises");
    }

    #[test]
    fn an_event_category_operator_other_than_equals_is_not_understood() {
        let recorded = advanced(vec![AdvancedEventSelector {
            name: None,
            field_selectors: vec![FieldSelector {
                field: "eventCategory".into(),
                not_equals: vec!["Data".into()],
                ..FieldSelector::default()
            }],
        }]);
        nothing_recorded(&recorded, "eventCategory with NotEquals");
    }

    #[test]
    fn unknown_operators_survive_an_inventory_round_trip() {
        let text = r#"{"field":"eventSource","Contains":["iam"]}"#;
        let field: FieldSelector = serde_json::from_str(text).unwrap();
        assert_eq!(field.other_operators["Contains"], vec!["iam"]);
        let again: FieldSelector =
            serde_json::from_str(&serde_json::to_string(&field).unwrap()).unwrap();
        assert_eq!(again, field);
    }

    #[test]
    fn s3_data_selectors_fail_closed_too() {
        let events = s3_object_events(&EventSelectors {
            basic: vec![EventSelector {
                read_write_type: "Sometimes".into(),
                include_management_events: false,
                data_resources: vec![crate::model::DataResource {
                    resource_type: "AWS::S3::Object".into(),
                    values: vec!["arn:aws:s3".into()],
                }],
                exclude_management_event_sources: vec![],
            }],
            advanced: vec![AdvancedEventSelector {
                name: Some("every bucket?".into()),
                field_selectors: vec![
                    FieldSelector {
                        field: "eventCategory".into(),
                        equals: vec!["Data".into()],
                        ..FieldSelector::default()
                    },
                    FieldSelector {
                        field: "resources.type".into(),
                        equals: vec!["AWS::S3::Object".into()],
                        ..FieldSelector::default()
                    },
                    // What a resources.ARN condition with an operator the SDK dropped looks like.
                    FieldSelector {
                        field: "resources.ARN".into(),
                        ..FieldSelector::default()
                    },
                ],
            }],
        });
        assert!(
            !events.all_bucket_reads && !events.all_bucket_writes,
            "{events:?}"
        );
        assert_eq!(events.limited_to.len(), 2, "{events:?}");
    }
}
