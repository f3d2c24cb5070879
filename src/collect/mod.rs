//! CloudTrail → per-account inventory, with bounded fan-out across accounts.
//!
//! Per account the calls are, in this order and never repeated:
//! `sts:AssumeRole` (not for the caller's own account), `ListTrails` (every trail of the account,
//! with its home region, plus organization trails that cover it), one `DescribeTrails` naming
//! those ARNs, then `GetTrailStatus` and `GetEventSelectors` once per trail that covers an
//! audited region, each in the trail's home region; an organization trail's once per run, shared
//! by every member it covers. Then each distinct log bucket (GetBucketLocation, and its public
//! access block, policy status, ACL and access logging) and KMS key (GetKeyRotationStatus).
//! Every call is read-only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudtrail::config::Credentials;
use aws_sdk_cloudtrail::primitives::DateTime as AwsDateTime;
use aws_sdk_cloudtrail::types as aws;
use aws_sdk_cloudtrail::Client;
use chrono::{DateTime, Utc};
use futures::stream::{Stream, StreamExt};
use tokio::sync::OnceCell;

use crate::assume::{credentials_for, AuditRole, Caller};
use crate::aws::{describe_error, Aws};
use crate::model::{
    Account, AccountInventory, AdvancedEventSelector, Audit, DataResource, EventSelector,
    EventSelectors, FieldSelector, LogBucket, Trail, TrailKey, TrailStatus,
};

mod resources;

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub regions: Vec<String>,
    pub role: AuditRole,
    pub concurrency: usize,
    /// Bound on one account's whole collection, retries included.
    pub account_timeout: Duration,
}

/// Told how a scan goes, for a progress bar or log lines.
pub trait Progress: Sync {
    /// Discovery has planned this many accounts (audited or not) so far, with this many OUs or
    /// roots still to list; none once discovery is over, and `accounts` is then the total.
    fn discovered(&self, accounts: usize, units_left: usize);
    fn account_done(&self, account: &AccountInventory);
}

/// What to do with one account the organization lists.
pub enum Plan {
    Audit(Account),
    Skip(Account, String),
}

/// Collect every planned account as its plan arrives, `options.concurrency` at a time, until the
/// plans end; results come back in the order they were planned.
pub async fn collect(
    aws: &Aws,
    caller: &Caller,
    plans: impl Stream<Item = Plan>,
    options: &CollectOptions,
    progress: &dyn Progress,
) -> Vec<AccountInventory> {
    let sts = aws.sts();
    let shared = SharedTrails::default();
    let mut results: Vec<(usize, AccountInventory)> = plans
        .enumerate()
        .map(|(index, plan)| {
            let (sts, shared) = (&sts, &shared);
            async move {
                let inventory = match plan {
                    Plan::Skip(account, reason) => AccountInventory {
                        account,
                        audit: Audit::Skipped { reason },
                        trails: Vec::new(),
                        log_buckets: Vec::new(),
                        trail_keys: Vec::new(),
                    },
                    Plan::Audit(account) => {
                        let work = collect_account(aws, sts, caller, &account.id, options, shared);
                        let (audit, collected) =
                            match tokio::time::timeout(options.account_timeout, work).await {
                                Ok(Ok(collected)) => (Audit::Audited, collected),
                                Ok(Err(error)) => (Audit::Error { error }, Collected::default()),
                                Err(_) => (
                                    Audit::Error {
                                        error: format!(
                                            "timed out after {}s (--account-timeout)",
                                            options.account_timeout.as_secs()
                                        ),
                                    },
                                    Collected::default(),
                                ),
                            };
                        AccountInventory {
                            account,
                            audit,
                            trails: collected.trails,
                            log_buckets: collected.log_buckets,
                            trail_keys: collected.trail_keys,
                        }
                    }
                };
                (index, inventory)
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .inspect(|(_, inventory)| progress.account_done(inventory))
        .collect()
        .await;
    results.sort_by_key(|(index, _)| *index);
    results
        .into_iter()
        .map(|(_, inventory)| inventory)
        .collect()
}

/// What one account's collection found.
#[derive(Default)]
struct Collected {
    trails: Vec<Trail>,
    log_buckets: Vec<LogBucket>,
    trail_keys: Vec<TrailKey>,
}

async fn collect_account(
    aws: &Aws,
    sts: &aws_sdk_sts::Client,
    caller: &Caller,
    account_id: &str,
    options: &CollectOptions,
    shared: &SharedTrails,
) -> Result<Collected, String> {
    let credentials = credentials_for(sts, caller, account_id, &options.role).await?;
    let trails = collect_trails(aws, credentials.clone(), options, shared).await?;

    // Each distinct bucket and key once, read with this account's access.
    let mut bucket_names: Vec<&str> = trails
        .iter()
        .filter_map(|t| t.s3_bucket_name.as_deref())
        .collect();
    bucket_names.sort_unstable();
    bucket_names.dedup();
    let mut key_ids: Vec<&str> = trails
        .iter()
        .filter_map(|t| t.kms_key_id.as_deref())
        .collect();
    key_ids.sort_unstable();
    key_ids.dedup();
    let (log_buckets, trail_keys) = tokio::join!(
        futures::future::join_all(bucket_names.iter().map(|name| resources::log_bucket(
            aws,
            credentials.clone(),
            name
        ))),
        futures::future::join_all(key_ids.iter().map(|key| resources::trail_key(
            aws,
            credentials.clone(),
            key
        ))),
    );
    Ok(Collected {
        trails,
        log_buckets,
        trail_keys,
    })
}

async fn collect_trails(
    aws: &Aws,
    credentials: Option<Credentials>,
    options: &CollectOptions,
    shared: &SharedTrails,
) -> Result<Vec<Trail>, String> {
    let clients = RegionalClients::new(aws, credentials);
    // ListTrails answers for every region from any one of them.
    let listing_region = aws.region();
    let lister = clients.get(listing_region);

    let listed = lister
        .list_trails()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| describe_error("cloudtrail:ListTrails", &e))?;
    let arns: Vec<String> = listed
        .iter()
        .filter_map(|t| t.trail_arn().map(str::to_string))
        .collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let described = lister
        .describe_trails()
        .set_trail_name_list(Some(arns))
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| describe_error("cloudtrail:DescribeTrails", &e))?;

    let mut seen = Vec::new();
    let mut in_scope = Vec::new();
    for trail in described.trail_list() {
        let (Some(arn), Some(home)) = (trail.trail_arn(), trail.home_region()) else {
            continue;
        };
        let covers_audited_region = trail.is_multi_region_trail().unwrap_or(false)
            || options.regions.iter().any(|r| r == home);
        if covers_audited_region && !seen.contains(&arn) {
            seen.push(arn);
            in_scope.push(trail);
        }
    }

    let details = in_scope.iter().map(|trail| {
        let client = clients.get(trail.home_region().unwrap_or(listing_region));
        async move { trail_details(&client, trail, shared).await }
    });
    futures::future::try_join_all(details).await
}

/// A trail's status and selectors: what `GetTrailStatus` and `GetEventSelectors` say.
type TrailState = (TrailStatus, EventSelectors);

/// Organization trails live in the management account and cover every member: their state is
/// fetched once per run, by whichever account asks first, and shared with the others.
#[derive(Default)]
struct SharedTrails {
    fetched: Mutex<HashMap<String, Arc<OnceCell<TrailState>>>>,
}

impl SharedTrails {
    fn cell(&self, arn: &str) -> Arc<OnceCell<TrailState>> {
        let mut fetched = self.fetched.lock().expect("shared trail lock");
        fetched.entry(arn.to_string()).or_default().clone()
    }
}

async fn trail_details(
    client: &Client,
    trail: &aws::Trail,
    shared: &SharedTrails,
) -> Result<Trail, String> {
    let arn = trail.trail_arn().unwrap_or_default();
    let (status, event_selectors) = if trail.is_organization_trail().unwrap_or(false) {
        // A failed fetch is not kept: the next member tries again with its own access.
        shared
            .cell(arn)
            .get_or_try_init(|| trail_state(client, arn))
            .await?
            .clone()
    } else {
        trail_state(client, arn).await?
    };
    Ok(Trail {
        name: trail.name().unwrap_or_default().to_string(),
        arn: arn.to_string(),
        home_region: trail.home_region().unwrap_or_default().to_string(),
        is_multi_region: trail.is_multi_region_trail().unwrap_or(false),
        is_organization_trail: trail.is_organization_trail().unwrap_or(false),
        include_global_service_events: trail.include_global_service_events().unwrap_or(false),
        log_file_validation_enabled: trail.log_file_validation_enabled().unwrap_or(false),
        s3_bucket_name: non_empty(trail.s3_bucket_name()),
        s3_key_prefix: non_empty(trail.s3_key_prefix()),
        sns_topic_arn: non_empty(trail.sns_topic_arn()),
        kms_key_id: non_empty(trail.kms_key_id()),
        cloudwatch_logs_log_group_arn: non_empty(trail.cloud_watch_logs_log_group_arn()),
        cloudwatch_logs_role_arn: non_empty(trail.cloud_watch_logs_role_arn()),
        has_insight_selectors: trail.has_insight_selectors().unwrap_or(false),
        status,
        event_selectors,
    })
}

async fn trail_state(client: &Client, arn: &str) -> Result<TrailState, String> {
    let (status, selectors) = tokio::join!(
        client.get_trail_status().name(arn).send(),
        client.get_event_selectors().trail_name(arn).send(),
    );
    let status =
        status.map_err(|e| describe_error(&format!("cloudtrail:GetTrailStatus on {arn}"), &e))?;
    let selectors = selectors
        .map_err(|e| describe_error(&format!("cloudtrail:GetEventSelectors on {arn}"), &e))?;
    Ok((
        TrailStatus {
            is_logging: status.is_logging().unwrap_or(false),
            latest_delivery_time: time(status.latest_delivery_time()),
            latest_delivery_error: non_empty(status.latest_delivery_error()),
            latest_cloudwatch_logs_delivery_time: time(
                status.latest_cloud_watch_logs_delivery_time(),
            ),
            latest_cloudwatch_logs_delivery_error: non_empty(
                status.latest_cloud_watch_logs_delivery_error(),
            ),
            start_logging_time: time(status.start_logging_time()),
            stop_logging_time: time(status.stop_logging_time()),
        },
        EventSelectors {
            basic: selectors
                .event_selectors()
                .iter()
                .map(basic_selector)
                .collect(),
            advanced: selectors
                .advanced_event_selectors()
                .iter()
                .map(advanced_selector)
                .collect(),
        },
    ))
}

/// One CloudTrail client per region for one account, built on first use and reused.
struct RegionalClients<'a> {
    aws: &'a Aws,
    credentials: Option<Credentials>,
    built: std::sync::Mutex<HashMap<String, Client>>,
}

impl<'a> RegionalClients<'a> {
    fn new(aws: &'a Aws, credentials: Option<Credentials>) -> Self {
        Self {
            aws,
            credentials,
            built: Default::default(),
        }
    }

    fn get(&self, region: &str) -> Client {
        let mut built = self.built.lock().expect("client cache lock");
        built
            .entry(region.to_string())
            .or_insert_with(|| self.aws.cloudtrail(region, self.credentials.clone()))
            .clone()
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_string)
}

fn time(value: Option<&AwsDateTime>) -> Option<DateTime<Utc>> {
    value.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

fn basic_selector(selector: &aws::EventSelector) -> EventSelector {
    EventSelector {
        // AWS's default when the field is absent.
        read_write_type: selector
            .read_write_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(|| "All".to_string()),
        include_management_events: selector.include_management_events().unwrap_or(true),
        data_resources: selector
            .data_resources()
            .iter()
            .map(|r| DataResource {
                resource_type: r.r#type().unwrap_or_default().to_string(),
                values: r.values().to_vec(),
            })
            .collect(),
        exclude_management_event_sources: selector.exclude_management_event_sources().to_vec(),
    }
}

fn advanced_selector(selector: &aws::AdvancedEventSelector) -> AdvancedEventSelector {
    AdvancedEventSelector {
        name: selector.name().map(str::to_string),
        field_selectors: selector
            .field_selectors()
            .iter()
            .map(|f| FieldSelector {
                field: f.field().to_string(),
                equals: f.equals().to_vec(),
                not_equals: f.not_equals().to_vec(),
                starts_with: f.starts_with().to_vec(),
                not_starts_with: f.not_starts_with().to_vec(),
                ends_with: f.ends_with().to_vec(),
                not_ends_with: f.not_ends_with().to_vec(),
            })
            .collect(),
    }
}
