//! The rule catalogue: metadata and mappings as data (`catalogue.toml`), each check a small pure
//! function over one account's trails, in the file of its family (`management`, `monitoring`,
//! `data_events`, `integrity`), sharing the verdict helpers of `verdict`.

mod alarms;
#[cfg(test)]
mod catalogue_tests;
mod continuity;
pub mod coverage;
mod data_events;
pub mod filter_pattern;
mod guardrails;
mod integrity;
mod management;
mod monitoring;
pub mod scp;
#[cfg(test)]
mod seed_tests;
pub mod selectors;
pub mod timeline;
#[cfg(test)]
mod unread_tests;
pub mod verdict;

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::findings::{Control, Severity};
pub use continuity::duration as duration_text;
pub use verdict::{AccountTrails, Check, PeriodHistory, Placement, Verdict};

const CATALOGUE: &str = include_str!("catalogue.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    /// A few words for a heat-map column or a chart.
    pub short: String,
    pub title: String,
    pub severity: Severity,
    pub rationale: String,
    /// General guidance; a failing finding carries a command for its own trails instead.
    pub remediation: String,
    pub controls: Arc<[Control]>,
}

pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
    /// The texts every finding of the rule repeats, allocated once.
    pub shared: SharedText,
}

pub struct SharedText {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub remediation: Arc<str>,
}

/// The registry: every catalogue id and the check that judges it. A new rule is one entry in
/// catalogue.toml, one function in its family's file and one line here.
pub const ALL: &[(&str, Check)] = &[
    (
        "cloudtrail-multi-region-management-events",
        management::multi_region_management_events,
    ),
    ("cloudtrail-cloudwatch-logs", monitoring::cloudwatch_logs),
    (
        "cloudtrail-global-service-events",
        management::global_service_events,
    ),
    (
        "cloudtrail-management-events",
        management::management_events_recorded,
    ),
    ("cloudtrail-enabled", management::trail_enabled),
    (
        "cloudtrail-region-coverage",
        management::region_coverage_complete,
    ),
    (
        "cloudtrail-log-file-validation",
        integrity::log_file_validation,
    ),
    ("cloudtrail-kms-encryption", integrity::kms_encryption),
    ("cloudtrail-kms-key-rotation", integrity::kms_key_rotation),
    (
        "cloudtrail-log-bucket-not-public",
        integrity::log_bucket_not_public,
    ),
    (
        "cloudtrail-log-bucket-access-logging",
        integrity::log_bucket_access_logging,
    ),
    (
        "cloudtrail-s3-data-events-write",
        data_events::s3_data_event_writes,
    ),
    (
        "cloudtrail-s3-data-events-read",
        data_events::s3_data_event_reads,
    ),
    (
        "cloudtrail-s3-delivery-healthy",
        monitoring::delivery_healthy,
    ),
    ("cloudtrail-insights", monitoring::insights),
    (
        "cloudtrail-sns-notifications",
        monitoring::sns_notifications,
    ),
    ("cloudtrail-protected-by-scp", guardrails::protected_by_scp),
    ("cloudtrail-changes-alarmed", alarms::changes_alarmed),
    (
        "cloudtrail-logging-continuous",
        continuity::logging_continuous,
    ),
];

pub fn by_id(id: &str) -> Option<Check> {
    ALL.iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, check)| *check)
}

/// The controls orgtrail was specified from (the seed texts), by the label auditors use and the
/// rule that judges each: what a report's headline and a trend lead with.
pub const SEED_CONTROLS: [(&str, &str); 4] = [
    ("CIS 3.1", "cloudtrail-multi-region-management-events"),
    ("CIS 3.4", "cloudtrail-cloudwatch-logs"),
    ("CT-005", "cloudtrail-global-service-events"),
    ("CT-010", "cloudtrail-management-events"),
];

/// A framework the controls name: its slug (kept in the exports) and its human name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkMeta {
    pub slug: String,
    pub name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    framework: Vec<FrameworkMeta>,
    rule: Vec<RuleMeta>,
}

fn catalogue_file() -> CatalogueFile {
    // The catalogue is compiled in and parsed by a unit test, so a failure here is a build
    // defect, not a user error.
    toml::from_str(CATALOGUE).expect("embedded catalogue parses")
}

/// Every framework the catalogue maps to, in catalogue order.
pub fn frameworks() -> &'static [FrameworkMeta] {
    static FRAMEWORKS: OnceLock<Vec<FrameworkMeta>> = OnceLock::new();
    FRAMEWORKS.get_or_init(|| catalogue_file().framework)
}

/// The name people know a framework by; the slug itself for one the catalogue does not name
/// (a report written by another version of orgtrail).
pub fn framework_name(slug: &str) -> &str {
    frameworks()
        .iter()
        .find(|f| f.slug == slug)
        .map_or(slug, |f| f.name.as_str())
}

/// A rule's short name (`meta.short`); the id itself for a rule this catalogue does not hold
/// (a report written by another version of orgtrail).
pub fn short_name(id: &str) -> &str {
    catalogue()
        .iter()
        .find(|r| r.meta.id == id)
        .map_or(id, |r| r.meta.short.as_str())
}

/// Every rule, in catalogue order.
pub fn catalogue() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        catalogue_file()
            .rule
            .into_iter()
            .map(|meta| {
                let check = by_id(&meta.id)
                    .unwrap_or_else(|| panic!("catalogue rule {} has no check", meta.id));
                let shared = SharedText {
                    id: meta.id.as_str().into(),
                    title: meta.title.as_str().into(),
                    remediation: meta.remediation.as_str().into(),
                };
                Rule {
                    meta,
                    check,
                    shared,
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_catalogue_rule_has_a_check_and_a_unique_id() {
        let rules = catalogue();
        let ids: HashSet<_> = rules.iter().map(|r| r.meta.id.as_str()).collect();
        assert_eq!(ids.len(), rules.len());
        assert_eq!(ids, ALL.iter().map(|(id, _)| *id).collect::<HashSet<_>>());
    }

    #[test]
    fn seed_rules_carry_the_mappings_their_source_texts_name() {
        let has = |rule: &str, framework: &str, id: &str| {
            catalogue()
                .iter()
                .find(|r| r.meta.id == rule)
                .unwrap()
                .meta
                .controls
                .iter()
                .any(|c| c.framework == framework && c.id == id)
        };
        let multi_region = "cloudtrail-multi-region-management-events";
        assert!(has(multi_region, "cis-aws-foundations-1.5", "3.1"));
        assert!(has(multi_region, "cis-aws-foundations-6.0", "4.1"));
        assert!(has(
            "cloudtrail-cloudwatch-logs",
            "cis-aws-foundations-1.5",
            "3.4"
        ));
        assert!(!has(
            "cloudtrail-cloudwatch-logs",
            "cis-aws-foundations-3.0",
            "3.4"
        ));
        for framework in [
            "trend-conformity",
            "pci-dss-4.0",
            "gdpr-2016-679",
            "apra-cpg-234",
        ] {
            assert!(
                catalogue()
                    .iter()
                    .find(|r| r.meta.id == "cloudtrail-global-service-events")
                    .unwrap()
                    .meta
                    .controls
                    .iter()
                    .any(|c| c.framework == framework),
                "CT-005 lacks {framework}"
            );
        }
        assert!(has(
            "cloudtrail-management-events",
            "trend-conformity",
            "CT-010"
        ));
        assert!(!catalogue()
            .iter()
            .find(|r| r.meta.id == "cloudtrail-management-events")
            .unwrap()
            .meta
            .controls
            .iter()
            .any(|c| c.framework == "pci-dss-4.0"));
    }

    #[test]
    fn every_framework_slug_in_the_catalogue_has_a_human_name() {
        for rule in catalogue() {
            for control in rule.meta.controls.iter() {
                assert!(
                    frameworks().iter().any(|f| f.slug == control.framework),
                    "{} maps to {}, which has no [[framework]] name",
                    rule.meta.id,
                    control.framework
                );
            }
        }
        let mut slugs: Vec<&str> = frameworks().iter().map(|f| f.slug.as_str()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(
            slugs.len(),
            frameworks().len(),
            "a framework is named twice"
        );
        assert_eq!(
            framework_name("pci-dss-4.0"),
            "PCI DSS v4.0",
            "the human name is what a person reads"
        );
    }

    #[test]
    fn the_seed_controls_name_catalogue_rules_that_map_to_them() {
        for (label, rule) in SEED_CONTROLS {
            let meta = &catalogue()
                .iter()
                .find(|r| r.meta.id == rule)
                .unwrap_or_else(|| panic!("{label}: {rule} is not in the catalogue"))
                .meta;
            let id = label.trim_start_matches("CIS ");
            assert!(meta.controls.iter().any(|c| c.id == id), "{label} {rule}");
        }
    }

    #[test]
    fn framework_slugs_are_lowercase() {
        for rule in catalogue() {
            for control in rule.meta.controls.iter() {
                assert_eq!(control.framework, control.framework.to_lowercase());
            }
        }
    }
}
