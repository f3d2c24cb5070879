//! CloudTrail → per-account inventory, with bounded fan-out across accounts.
//!
//! Per account the calls are, in this order and never repeated:
//! `sts:AssumeRole` (not for the caller's own account), `ListTrails` (every trail of the account,
//! with its home region, plus organization trails that cover it) and one `DescribeTrails` naming
//! those ARNs, both in a region every account has enabled ([`listing_region`]); then
//! `GetTrailStatus` and `GetEventSelectors` once per trail that covers an audited region (or
//! carries global service events to us-east-1), each in the trail's home region. An organization
//! trail's are read once per run, with its owner's credentials, and shared by every member. Then
//! each distinct log bucket (GetBucketLocation, and its public access block, policy status, ACL
//! and access logging) and KMS key (GetKeyRotationStatus). Every call is read-only.
//!
//! What fails is kept as data at the narrowest level it concerns: an account whose trails cannot
//! be listed is an error; a trail whose status or selectors cannot be read is recorded as such
//! (`Trail::unread`) and the account's other trails still count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_cloudtrail::config::Credentials;
use aws_sdk_cloudtrail::primitives::DateTime as AwsDateTime;
use aws_sdk_cloudtrail::types as aws;
use aws_sdk_cloudtrail::Client;
use chrono::{DateTime, Utc};
use futures::stream::{Stream, StreamExt};

use crate::assume::{AssumeError, AuditRole};
use crate::aws::{Aws, CallError};
use crate::model::{
    Account, AccountInventory, AdvancedEventSelector, Audit, DataResource, EventSelector,
    EventSelectors, FieldSelector, Period, Readable, Trail, TrailCall, TrailEvent, TrailStatus,
    UnreadCall,
};
use crate::regions::{listing_region, GLOBAL_SERVICE_EVENTS_REGION};
use access::{once_cell, Once};

mod access;
mod history;
mod log_groups;
mod organization;
mod policies;
mod resources;

pub use access::{AccountAccess, Membership, OwnerUnreachable};
pub use history::LOOKUP_INTERVAL;
pub use log_groups::read_log_groups;
pub use organization::share_organization_trails;
pub use policies::{policy_targets, service_control_policies};
pub use resources::read_trail_resources;

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub regions: Vec<String>,
    pub role: AuditRole,
    pub concurrency: usize,
    /// Bound on one account's whole collection, retries included.
    pub account_timeout: Duration,
    /// The audit period: trail history is read from its start up to the scan.
    pub period: Period,
}

/// Told how a scan goes, for a progress bar or log lines.
pub trait Progress: Sync {
    /// Discovery has planned this many accounts (audited or not) so far, with this many OUs or
    /// roots still to list; none once discovery is over, and `accounts` is then the total.
    fn discovered(&self, accounts: usize, units_left: usize);
    /// Collection of this account begins (one of the `--concurrency` in flight).
    fn account_started(&self, _account: &Account) {}
    fn account_done(&self, account: &AccountInventory);
}

/// What to do with one account the organization lists.
pub enum Plan {
    Audit(Account),
    Skip(Account, String),
}

/// Collect every planned account as its plan arrives, `options.concurrency` at a time, until the
/// plans end. Results come back in account id order, whatever order the plans arrived in (the
/// walk of the organization's tree has none), so two runs' inventories compare and organization
/// trails are shared from the same copy.
pub async fn collect(
    aws: &Aws,
    access: &AccountAccess,
    plans: impl Stream<Item = Plan>,
    options: &CollectOptions,
    progress: &dyn Progress,
) -> Vec<AccountInventory> {
    let shared = SharedTrails::new(aws, access);
    let mut accounts: Vec<AccountInventory> = plans
        .map(|plan| {
            let shared = &shared;
            match &plan {
                Plan::Audit(account) => access.note_listed(&account.id, true),
                Plan::Skip(account, _) => access.note_listed(&account.id, false),
            }
            async move {
                let inventory = match plan {
                    Plan::Skip(account, reason) => AccountInventory {
                        account,
                        audit: Audit::Skipped { reason },
                        trails: Vec::new(),
                        log_buckets: Vec::new(),
                        trail_keys: Vec::new(),
                        log_groups: Vec::new(),
                        collected_at: None,
                        history: None,
                    },
                    Plan::Audit(account) => {
                        progress.account_started(&account);
                        let work = collect_account(aws, access, &account.id, options, shared);
                        let (audit, collected) =
                            match tokio::time::timeout(options.account_timeout, work).await {
                                Ok(Ok(collected)) => (Audit::Audited, collected),
                                Ok(Err(error)) => (
                                    Audit::Error {
                                        error: error.to_string(),
                                    },
                                    Collected::default(),
                                ),
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
                            log_buckets: Vec::new(),
                            trail_keys: Vec::new(),
                            log_groups: Vec::new(),
                            collected_at: collected.collected_at,
                            history: collected.history,
                        }
                    }
                };
                inventory
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .inspect(|inventory| progress.account_done(inventory))
        .collect()
        .await;
    accounts.sort_by(|a, b| a.account.id.cmp(&b.account.id));
    share_organization_trails(&mut accounts);
    accounts
}

/// Why one account could not be collected; kept in the inventory as that account's error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Assume(#[from] AssumeError),
    #[error(transparent)]
    Call(#[from] CallError),
}

/// What one account's collection found.
#[derive(Default)]
struct Collected {
    trails: Vec<Trail>,
    /// When its trails had been read: the account's own time for every time-based condition.
    collected_at: Option<DateTime<Utc>>,
    history: Option<Readable<Vec<TrailEvent>>>,
}

async fn collect_account(
    aws: &Aws,
    access: &AccountAccess,
    account_id: &str,
    options: &CollectOptions,
    shared: &SharedTrails<'_>,
) -> Result<Collected, CollectError> {
    let credentials = access.credentials(account_id).await?;
    let listing = listing_region(access.caller().partition(), &options.regions, aws.region());
    let trails = collect_trails(
        aws,
        credentials.clone(),
        account_id,
        listing,
        options,
        shared,
    )
    .await?;
    // Stamped once the trails are read, so a delivery's age is never understated.
    let collected_at = Some(Utc::now());
    // Buckets and keys are read after every account's trails, each once, as its owner
    // (`read_trail_resources`).
    let history = period_history(credentials, account_id, &trails, options, shared).await;
    Ok(Collected {
        trails,
        collected_at,
        history: Some(history),
    })
}

/// The account's trail changes over the period: its own history, plus the changes of the
/// organization trails that cover it, taken from their owner's history (read once per run, as
/// the owner: a member's history does not hold calls made in the management account).
async fn period_history(
    credentials: Option<Credentials>,
    account_id: &str,
    trails: &[Trail],
    options: &CollectOptions,
    shared: &SharedTrails<'_>,
) -> Readable<Vec<TrailEvent>> {
    let regions = history_regions(&options.regions, trails);
    let own = shared
        .history(account_id, credentials, &regions, options.period)
        .await;
    let Readable::Read(mut events) = own else {
        return own;
    };
    for trail in trails {
        let Some(owner) = trail.owner_account().filter(|owner| *owner != account_id) else {
            continue;
        };
        if !trail.is_organization_trail {
            continue;
        }
        // During collection the registry's `credentials` is the one to ask (its `as_owner`
        // knows the organization only once discovery is over).
        let owner_history = match shared.access.credentials(owner).await {
            Ok(credentials) => {
                shared
                    .history(owner, credentials, &regions, options.period)
                    .await
            }
            Err(error) => Readable::NotVerifiable {
                reason: format!(
                    "the history of organization trail {} is its owner's, the management account \
                     {owner}, which could not be entered: {error}",
                    trail.name
                ),
            },
        };
        match owner_history {
            Readable::Read(owner_events) => events.extend(
                owner_events
                    .into_iter()
                    .filter(|e| e.region == trail.home_region && e.trail_name() == trail.name),
            ),
            unread => return unread,
        }
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.time));
    Readable::Read(events)
}

/// Every audited region, and the home region of every trail listed.
fn history_regions(audited: &[String], trails: &[Trail]) -> Vec<String> {
    let mut regions: Vec<String> = audited.to_vec();
    for trail in trails {
        if !regions.contains(&trail.home_region) && !trail.home_region.is_empty() {
            regions.push(trail.home_region.clone());
        }
    }
    regions
}

async fn collect_trails(
    aws: &Aws,
    credentials: Option<Credentials>,
    account_id: &str,
    listing_region: &str,
    options: &CollectOptions,
    shared: &SharedTrails<'_>,
) -> Result<Vec<Trail>, CallError> {
    let clients = RegionalClients::new(aws, credentials);
    // ListTrails answers for every region from any one of them; DescribeTrails too, given ARNs.
    let lister = clients.get(listing_region);

    let listed = lister
        .list_trails()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| CallError::new("cloudtrail:ListTrails", &e))?;
    let mut arns: Vec<String> = Vec::new();
    for trail in &listed {
        if let Some(arn) = trail.trail_arn() {
            if !arns.iter().any(|a| a == arn) {
                arns.push(arn.to_string());
            }
        }
    }
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let described = lister
        .describe_trails()
        .set_trail_name_list(Some(arns.clone()))
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| CallError::new("cloudtrail:DescribeTrails", &e))?;

    // In ListTrails' order: each trail to read, or kept as listed but not described.
    let mut found = Vec::new();
    for arn in &arns {
        let Some(trail) = described
            .trail_list()
            .iter()
            .find(|t| t.trail_arn() == Some(arn.as_str()))
        else {
            // DescribeTrails leaves out, without an error, what it cannot resolve: "information
            // is returned only if the names match"
            // (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html).
            // Such a trail is kept, unread, never dropped without a word.
            let summary = listed.iter().find(|t| t.trail_arn() == Some(arn.as_str()));
            found.push(Found::Settled(Box::new(not_described(
                arn,
                summary.and_then(|t| t.name()),
                summary.and_then(|t| t.home_region()),
                listing_region,
            ))));
            continue;
        };
        if let Some(found_trail) = to_read(trail, &options.regions) {
            found.push(found_trail);
        }
    }

    let details = found.into_iter().map(|found| {
        let clients = &clients;
        async move {
            let trail = match found {
                Found::Settled(trail) => return *trail,
                Found::Described(trail) => trail,
            };
            let client = clients.get(trail.home_region().unwrap_or(listing_region));
            let arn = trail.trail_arn().unwrap_or_default();
            let state = if trail.is_organization_trail().unwrap_or(false) {
                shared.organization_trail(&client, trail, account_id).await
            } else {
                trail_state(&client, arn).await
            };
            described_trail(trail, state)
        }
    });
    Ok(futures::future::join_all(details).await)
}

/// A listed trail: described, its status and selectors to read; or settled already (not
/// described, or not readable), kept with the reason.
enum Found<'a> {
    Described(&'a aws::Trail),
    Settled(Box<Trail>),
}

/// Whether a described trail concerns the audit, and how: its status and selectors are read
/// when it covers an audited region (or carries global service events); one without a home
/// region cannot be asked (both calls answer only there), and is kept with that reason rather
/// than dropped.
fn to_read<'a>(trail: &'a aws::Trail, regions: &[String]) -> Option<Found<'a>> {
    let Some(home) = trail.home_region().filter(|h| !h.is_empty()) else {
        let arn = trail.trail_arn().unwrap_or_default();
        let state = TrailState::unread(|call| {
            format!(
                "{} on {arn} not attempted: cloudtrail:DescribeTrails gave this trail no home \
                 region, and CloudTrail answers for a trail only in its home region",
                call.operation()
            )
        });
        return Some(Found::Settled(Box::new(described_trail(trail, state))));
    };
    let covers_audited_region =
        trail.is_multi_region_trail().unwrap_or(false) || regions.iter().any(|r| r == home);
    // A single-region trail homed in us-east-1 receives the account's global service events
    // even when us-east-1 is not audited: CT-005 needs it.
    let carries_global_events = home == GLOBAL_SERVICE_EVENTS_REGION
        && trail.include_global_service_events().unwrap_or(false);
    (covers_audited_region || carries_global_events).then_some(Found::Described(trail))
}

/// A trail `ListTrails` named and `DescribeTrails` did not return: only its name, ARN and home
/// region are known.
fn not_described(
    arn: &str,
    name: Option<&str>,
    home_region: Option<&str>,
    listing_region: &str,
) -> Trail {
    Trail {
        name: name
            .map(str::to_string)
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_string()),
        arn: arn.to_string(),
        home_region: home_region
            .map(str::to_string)
            .unwrap_or_else(|| arn.split(':').nth(3).unwrap_or_default().to_string()),
        is_multi_region: false,
        is_organization_trail: false,
        include_global_service_events: false,
        log_file_validation_enabled: false,
        s3_bucket_name: None,
        s3_key_prefix: None,
        sns_topic_arn: None,
        kms_key_id: None,
        cloudwatch_logs_log_group_arn: None,
        cloudwatch_logs_role_arn: None,
        has_insight_selectors: false,
        status: TrailStatus::default(),
        event_selectors: EventSelectors::default(),
        unread: vec![UnreadCall {
            call: TrailCall::DescribeTrails,
            error: format!(
                "cloudtrail:DescribeTrails in {listing_region} did not return this trail, which \
                 cloudtrail:ListTrails named (deleted or replaced during the scan, or not \
                 describable by this account): its settings, status and event selectors are unknown"
            ),
        }],
    }
}

/// A trail's status and selectors, each as read or as the failure that kept it unread.
#[derive(Clone)]
struct TrailState {
    status: Result<TrailStatus, UnreadCall>,
    selectors: Result<EventSelectors, UnreadCall>,
}

impl TrailState {
    /// Neither read, for one reason.
    fn unread(reason: impl Fn(TrailCall) -> String) -> Self {
        TrailState {
            status: Err(UnreadCall {
                call: TrailCall::GetTrailStatus,
                error: reason(TrailCall::GetTrailStatus),
            }),
            selectors: Err(UnreadCall {
                call: TrailCall::GetEventSelectors,
                error: reason(TrailCall::GetEventSelectors),
            }),
        }
    }
}

/// Organization trails are owned by the management account and apply to every member. A
/// member's GetTrailStatus and GetEventSelectors on the owner's ARN are refused
/// (CloudTrailARNInvalidException, "AccountID in ARN is wrong": reported in
/// turbot/steampipe-plugin-aws#577 and Cloud Custodian PR #6394; Security Hub too "can only
/// generate findings for the account that owns the trail",
/// https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html), so their
/// state is read once per run with the owner's credentials (the caller's when the caller owns
/// it, else the audit role assumed in the owner) and shared with every member. A failure is kept
/// too: members are never asked instead.
struct SharedTrails<'a> {
    aws: &'a Aws,
    access: &'a AccountAccess,
    fetched: Once<TrailState>,
    /// Each account's trail history over the period, read once.
    histories: Once<Readable<Vec<TrailEvent>>>,
}

impl<'a> SharedTrails<'a> {
    fn new(aws: &'a Aws, access: &'a AccountAccess) -> Self {
        SharedTrails {
            aws,
            access,
            fetched: Mutex::default(),
            histories: Mutex::default(),
        }
    }

    /// The organization trail's state, read as its owner. `reader` is the account whose
    /// collection asks, and `reader_client` its client in the trail's home region: used only when
    /// that account owns the trail.
    async fn organization_trail(
        &self,
        reader_client: &Client,
        trail: &aws::Trail,
        reader: &str,
    ) -> TrailState {
        let arn = trail.trail_arn().unwrap_or_default();
        let owner = arn.split(':').nth(4).unwrap_or_default().to_string();
        let home = trail.home_region().unwrap_or_default().to_string();
        once_cell(&self.fetched, arn)
            .get_or_init(|| async {
                if owner == reader {
                    return trail_state(reader_client, arn).await;
                }
                match self.access.credentials(&owner).await {
                    Ok(credentials) => {
                        let client = self.aws.cloudtrail(&home, credentials);
                        trail_state(&client, arn).await
                    }
                    // One reason for both calls, so the evidence states it once.
                    Err(error) => TrailState::unread(|_| {
                        format!(
                            "cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors on {arn} \
                             not attempted: an organization trail's status and event selectors \
                             can be read only with its owner's credentials (CloudTrail refuses \
                             members with CloudTrailARNInvalidException), and its owner, the \
                             management account {owner}, could not be entered: {error}"
                        )
                    }),
                }
            })
            .await
            .clone()
    }

    /// `account`'s trail history over `period` (up to now), read once per run.
    async fn history(
        &self,
        account: &str,
        credentials: Option<Credentials>,
        regions: &[String],
        period: Period,
    ) -> Readable<Vec<TrailEvent>> {
        once_cell(&self.histories, account)
            .get_or_init(|| {
                history::trail_changes(
                    |region| self.aws.cloudtrail(region, credentials.clone()),
                    &self.aws.calls,
                    account,
                    regions,
                    period.start,
                    Utc::now().max(period.end),
                )
            })
            .await
            .clone()
    }
}

/// The SDK's trail and what its status and selectors calls said → the inventory's trail.
fn described_trail(trail: &aws::Trail, state: TrailState) -> Trail {
    let mut unread = Vec::new();
    let status = state.status.unwrap_or_else(|failed| {
        unread.push(failed);
        TrailStatus::default()
    });
    let event_selectors = state.selectors.unwrap_or_else(|failed| {
        unread.push(failed);
        EventSelectors::default()
    });
    Trail {
        name: trail.name().unwrap_or_default().to_string(),
        arn: trail.trail_arn().unwrap_or_default().to_string(),
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
        unread,
    }
}

/// `GetTrailStatus` and `GetEventSelectors` on one trail, in its home region; each failure is
/// kept as that call's answer, not the account's.
async fn trail_state(client: &Client, arn: &str) -> TrailState {
    let (status, selectors) = tokio::join!(
        client.get_trail_status().name(arn).send(),
        client.get_event_selectors().trail_name(arn).send(),
    );
    let status = status
        .map(|status| TrailStatus {
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
        })
        .map_err(|e| UnreadCall {
            call: TrailCall::GetTrailStatus,
            error: CallError::new(format!("cloudtrail:GetTrailStatus on {arn}"), &e).to_string(),
        });
    let selectors = selectors
        .map(|selectors| EventSelectors {
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
        })
        .map_err(|e| UnreadCall {
            call: TrailCall::GetEventSelectors,
            error: CallError::new(format!("cloudtrail:GetEventSelectors on {arn}"), &e).to_string(),
        });
    TrailState { status, selectors }
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
                // The SDK drops an operator it does not model; an empty field selector is how
                // that shows, and the rules count it as not understood.
                other_operators: Default::default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trail_described_without_a_home_region_is_kept_with_the_reason_not_dropped() {
        let trail = aws::Trail::builder()
            .name("nowhere")
            .trail_arn("arn:aws:cloudtrail:eu-west-1:111111111111:trail/nowhere")
            .is_multi_region_trail(true)
            .s3_bucket_name("logs")
            .build();
        let Some(Found::Settled(kept)) = to_read(&trail, &["eu-west-1".to_string()]) else {
            panic!("a trail without a home region must be kept, settled");
        };
        assert_eq!(kept.name, "nowhere");
        // What DescribeTrails said is kept; what could not be asked is unread, with the reason.
        assert_eq!(kept.s3_bucket_name.as_deref(), Some("logs"));
        assert!(kept.described().is_ok());
        let status = kept.read_status().unwrap_err();
        assert!(status.error.contains("no home region"), "{}", status.error);
        assert!(kept.read_selectors().is_err());
    }

    #[test]
    fn a_trail_with_a_home_region_outside_the_audit_is_not_read() {
        let trail = aws::Trail::builder()
            .name("elsewhere")
            .home_region("ap-south-1")
            .is_multi_region_trail(false)
            .build();
        assert!(to_read(&trail, &["eu-west-1".to_string()]).is_none());
        let regions = ["ap-south-1".to_string()];
        assert!(matches!(
            to_read(&trail, &regions),
            Some(Found::Described(_))
        ));
    }
}
