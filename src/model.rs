//! The inventory: what AWS said, nothing judged.
//!
//! `scan` writes it as `inventory.json`; `report` reads it back, so every type here is plain serde
//! data and the only thing rules ever look at.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const INVENTORY_SCHEMA: &str = "orgtrail/inventory/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub schema: String,
    pub tool_version: String,
    pub collected_at: DateTime<Utc>,
    pub caller_arn: String,
    /// The region the scan ran from (the SDK's), where ASFF findings are imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    pub organization: Organization,
    /// The regions the audit covers; rules judge coverage against exactly these.
    pub regions: Vec<String>,
    pub accounts: Vec<AccountInventory>,
    /// How the collection went; absent in inventories made by other means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionStats>,
    /// How the scan was run (never a secret: whether an external ID was given, not its value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ScanSettings>,
    /// Set when this inventory holds one shard of the organization (`scan --shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The service control policies that apply to the audited accounts, as Organizations
    /// answered; `None` when they were not read (no organization, or an older inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_control_policies: Option<ServiceControlPolicies>,
    /// The audit period whose trail history was read; absent in inventories made before orgtrail
    /// read history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanSettings {
    pub role_name: String,
    pub session_name: String,
    pub external_id_given: bool,
    pub concurrency: u16,
    pub account_timeout_seconds: u64,
    pub max_attempts: u32,
    pub retry_mode: RetryMode,
    #[serde(default)]
    pub organizational_units: Vec<String>,
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub excluded_accounts: Vec<String>,
}

/// How the AWS SDK retries a throttled or failed call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    /// Exponential back-off with jitter; throttling and transient errors are retried.
    #[default]
    Standard,
    /// Standard, plus client-side rate limiting that slows down once AWS throttles.
    Adaptive,
}

/// Shard `index` of `count` (1-based): the accounts whose id modulo `count` is `index - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Account ids are twelve digits, so the remainder spreads accounts evenly and the same
    /// account lands in the same shard on every machine and every month.
    pub fn contains(&self, account_id: &str) -> bool {
        let number: u64 = account_id.parse().unwrap_or_else(|_| {
            account_id
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        });
        number % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// AWS Batch sets these in every child of an array job (AWS Batch user guide, "Job environment
/// variables"): the child's index counting from 0, and the array's size.
pub const ARRAY_INDEX_VARIABLE: &str = "AWS_BATCH_JOB_ARRAY_INDEX";
pub const ARRAY_SIZE_VARIABLE: &str = "AWS_BATCH_JOB_ARRAY_SIZE";

/// Why a shard could not be read from `--shard K/N` or from AWS Batch's variables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("'{0}' is not a shard: write K/N with 1 <= K <= N, e.g. 2/8")]
    NotKOfN(String),
    #[error(
        "--shard auto reads {ARRAY_INDEX_VARIABLE} and {ARRAY_SIZE_VARIABLE}, which AWS Batch sets \
         in the children of an array job; {0} is not set (run orgtrail as an array job, or give \
         --shard K/N)"
    )]
    NotInAnArrayJob(&'static str),
    #[error("{variable} is '{value}', not a number; --shard auto expects AWS Batch's values")]
    NotANumber {
        variable: &'static str,
        value: String,
    },
    #[error("{ARRAY_INDEX_VARIABLE}={index} is not below {ARRAY_SIZE_VARIABLE}={count}")]
    IndexNotBelowSize { index: u32, count: u32 },
}

impl Shard {
    /// The shard an AWS Batch array child audits (`--shard auto`): index `i` of an array of
    /// size `n` is shard `i+1/n`, so the children of one array job cover every account once.
    pub fn of_array_job(index: Option<&str>, size: Option<&str>) -> Result<Shard, ShardError> {
        let read = |variable: &'static str, value: Option<&str>| -> Result<u32, ShardError> {
            let value = value.ok_or(ShardError::NotInAnArrayJob(variable))?;
            value.trim().parse().map_err(|_| ShardError::NotANumber {
                variable,
                value: value.to_string(),
            })
        };
        let index = read(ARRAY_INDEX_VARIABLE, index)?;
        let count = read(ARRAY_SIZE_VARIABLE, size)?;
        if count == 0 || index >= count {
            return Err(ShardError::IndexNotBelowSize { index, count });
        }
        Ok(Shard {
            index: index + 1,
            count,
        })
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let usage = || ShardError::NotKOfN(value.to_string());
        let (index, count) = value.split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionStats {
    pub seconds: f64,
    /// AWS operations made, and how many extra attempts retries took on top of them.
    pub api_calls: u64,
    pub retries: u64,
    /// Of the retries, those that followed a throttling answer (absent from older inventories).
    #[serde(default)]
    pub throttling_retries: u64,
    /// Accounts outside the run's scope (or not audited) entered only to read resources the
    /// audited trails use: a log bucket or key they own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entered_for_resources: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("not an orgtrail inventory: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("has schema '{0}', this orgtrail reads '{INVENTORY_SCHEMA}'")]
    Schema(String),
}

impl Inventory {
    pub fn from_json(text: &str) -> Result<Self, InventoryError> {
        let inventory: Inventory = serde_json::from_str(text)?;
        if inventory.schema != INVENTORY_SCHEMA {
            return Err(InventoryError::Schema(inventory.schema));
        }
        Ok(inventory)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// Both `None` when Organizations could not be read and `--accounts` named the accounts.
    pub id: Option<String>,
    pub management_account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    /// As Organizations says it: ACTIVE, SUSPENDED, PENDING_CLOSURE.
    pub status: String,
    /// Where the account sits: "Root/Workloads/Prod".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_path: Option<String>,
    /// The ids along that path: the root first, then each OU down to the account's parent.
    /// Service control policies attached to each of them apply to the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_ids: Vec<String>,
}

impl Account {
    /// Closed, closing and not-yet-active accounts cannot be worked in; they are listed, not
    /// audited. Anything else (ACTIVE, or UNKNOWN when Organizations could not be read) is tried.
    pub fn is_auditable(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "SUSPENDED" | "PENDING_CLOSURE" | "CLOSED" | "PENDING_ACTIVATION"
        )
    }
}

/// What Organizations says of the service control policies (SCPs) in force: whether they are on,
/// which policies are attached to each root, OU and account (directly: inheritance is the
/// rules' business), and each distinct policy's document, read once per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceControlPolicies {
    /// `DescribeOrganization`'s FeatureSet: SCPs exist only in an organization with ALL features.
    /// [`NO_ORGANIZATION`] when the caller's account is in no organization.
    pub feature_set: Readable<String>,
    /// The root's status for the SERVICE_CONTROL_POLICY policy type (`ListRoots`): ENABLED,
    /// PENDING_ENABLE or PENDING_DISABLE; `None` when the type is not enabled there.
    pub root_status: Readable<Option<String>>,
    /// Target id (root, OU or account) → the ids of the SCPs attached to it directly.
    pub attached: BTreeMap<String, Readable<Vec<String>>>,
    /// Policy id → the policy.
    pub policies: BTreeMap<String, Readable<ServiceControlPolicy>>,
}

/// The feature set recorded when `DescribeOrganization` answers AWSOrganizationsNotInUseException.
pub const NO_ORGANIZATION: &str = "NO_ORGANIZATION";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceControlPolicy {
    pub name: String,
    pub aws_managed: bool,
    /// The policy document, as JSON text.
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInventory {
    pub account: Account,
    pub audit: Audit,
    #[serde(default)]
    pub trails: Vec<Trail>,
    /// The trails' log buckets, as read with this account's access.
    #[serde(default)]
    pub log_buckets: Vec<LogBucket>,
    /// The trails' KMS keys, as read with this account's access.
    #[serde(default)]
    pub trail_keys: Vec<TrailKey>,
    /// The CloudWatch Logs groups the trails deliver to, with the metric filters, alarms and
    /// topics that watch them, read as the group's owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_groups: Vec<LogGroup>,
    /// When this account's trails were read: "delivered within 24 hours" is judged against it, so
    /// a scan (or a set of merged shards) that runs for hours never lets a stale delivery pass.
    /// Absent in inventories written before orgtrail stamped accounts: the run's time stands in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<DateTime<Utc>>,
    /// The calls that changed what a trail covering this account records during the period
    /// (CloudTrail event history), newest first, or why they could not all be read. Absent when
    /// not collected (an inventory from before orgtrail read history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Readable<Vec<TrailEvent>>>,
}

/// Something read about a resource the account may not own: what was read, or why it could not
/// be (a bucket or key in a central log-archive account is often out of the audit role's reach).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Readable<T> {
    Read(T),
    NotVerifiable { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogBucket {
    pub name: String,
    pub access: Readable<BucketAccess>,
    /// The account it was read as, when that is its owner (absent: read with the audited
    /// account's own access, or not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_as_owner: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BucketAccess {
    /// The bucket's own Block Public Access settings; `None` when none are set.
    pub public_access_block: Option<PublicAccessBlock>,
    /// S3's own judgement of the bucket policy (`GetBucketPolicyStatus`); `None` without a policy.
    pub policy_is_public: Option<bool>,
    /// ACL grants to everyone or to any authenticated AWS user, as "grantee: permission".
    #[serde(default)]
    pub public_acl_grants: Vec<String>,
    /// Where server access logs go, `None` when access logging is off.
    pub access_log_target: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn blocks_everything(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

/// A trail's CloudWatch Logs group and what watches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGroup {
    /// As the trail names it (`CloudWatchLogsLogGroupArn`).
    pub arn: String,
    pub watch: Readable<LogGroupWatch>,
}

/// The group's metric filters (`logs:DescribeMetricFilters`), the alarms on the metrics they
/// publish (`cloudwatch:DescribeAlarms` in the group's region), and the SNS topics those alarms
/// notify (`sns:ListSubscriptionsByTopic`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogGroupWatch {
    pub metric_filters: Vec<MetricFilter>,
    pub alarms: Vec<MetricAlarm>,
    pub topics: Vec<AlarmTopic>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricFilter {
    pub name: String,
    pub pattern: String,
    /// The metrics it publishes, as (namespace, name).
    pub metrics: Vec<MetricName>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetricName {
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricAlarm {
    pub name: String,
    pub metric: MetricName,
    pub actions_enabled: bool,
    /// What it does on entering ALARM: SNS topic ARNs among others.
    pub alarm_actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmTopic {
    pub arn: String,
    /// The subscriptions' ARNs; an unconfirmed one reads "PendingConfirmation".
    pub subscriptions: Readable<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailKey {
    pub arn: String,
    /// Whether automatic rotation is on.
    pub rotation: Readable<bool>,
    /// The account it was read as, when that is its owner (the account its ARN names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_as_owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Audit {
    Audited,
    Skipped { reason: String },
    Error { error: String },
}

/// [`Audit`] without its detail, ordered by how much attention an account needs: one that
/// could not be audited first, then audited ones, then those left out on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditState {
    Error,
    Audited,
    Skipped,
}

impl AuditState {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditState::Error => "error",
            AuditState::Audited => "audited",
            AuditState::Skipped => "skipped",
        }
    }
}

impl Audit {
    pub fn state(&self) -> AuditState {
        match self {
            Audit::Audited => AuditState::Audited,
            Audit::Skipped { .. } => AuditState::Skipped,
            Audit::Error { .. } => AuditState::Error,
        }
    }

    /// Why the account was skipped, or what failed.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Audit::Audited => None,
            Audit::Skipped { reason } => Some(reason),
            Audit::Error { error } => Some(error),
        }
    }
}

/// One trail as `DescribeTrails`, `GetTrailStatus` and `GetEventSelectors` returned it.
///
/// A call that failed for this trail is listed in `unread`, and what it would have told is
/// unknown: the fields it fills keep their defaults, which mean nothing. Read them through
/// [`Trail::described`], [`Trail::read_status`], [`Trail::read_selectors`] and [`Trail::logging`],
/// which say when they were not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub is_multi_region: bool,
    pub is_organization_trail: bool,
    pub include_global_service_events: bool,
    pub log_file_validation_enabled: bool,
    pub s3_bucket_name: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub sns_topic_arn: Option<String>,
    pub kms_key_id: Option<String>,
    pub cloudwatch_logs_log_group_arn: Option<String>,
    pub cloudwatch_logs_role_arn: Option<String>,
    pub has_insight_selectors: bool,
    pub status: TrailStatus,
    pub event_selectors: EventSelectors,
    /// The calls about this trail that failed, each with what AWS (or the collector) said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<UnreadCall>,
}

/// How AWS Control Tower names what it deploys.
pub const CONTROL_TOWER_PREFIX: &str = "aws-controltower-";

/// The calls that tell about one trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrailCall {
    /// Its settings: regions, bucket, key, log group, flags. When this is unread, so is the rest.
    DescribeTrails,
    /// Whether it logs, and its deliveries.
    GetTrailStatus,
    /// Which events it records.
    GetEventSelectors,
}

impl TrailCall {
    pub fn operation(self) -> &'static str {
        match self {
            TrailCall::DescribeTrails => "cloudtrail:DescribeTrails",
            TrailCall::GetTrailStatus => "cloudtrail:GetTrailStatus",
            TrailCall::GetEventSelectors => "cloudtrail:GetEventSelectors",
        }
    }
}

/// A call about a trail that did not answer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadCall {
    pub call: TrailCall,
    /// What failed, in words: the operation, AWS's error code and message, or the collector's
    /// reason for not being able to ask.
    pub error: String,
}

impl Trail {
    /// The failure of `call`, or of `DescribeTrails` which every other read depends on.
    pub fn unread_call(&self, call: TrailCall) -> Option<&UnreadCall> {
        self.unread
            .iter()
            .find(|u| u.call == TrailCall::DescribeTrails)
            .or_else(|| self.unread.iter().find(|u| u.call == call))
    }

    /// Whether `DescribeTrails` answered for this trail, so its settings are known.
    pub fn described(&self) -> Result<&Self, &UnreadCall> {
        match self.unread_call(TrailCall::DescribeTrails) {
            Some(unread) => Err(unread),
            None => Ok(self),
        }
    }

    pub fn read_status(&self) -> Result<&TrailStatus, &UnreadCall> {
        match self.unread_call(TrailCall::GetTrailStatus) {
            Some(unread) => Err(unread),
            None => Ok(&self.status),
        }
    }

    pub fn read_selectors(&self) -> Result<&EventSelectors, &UnreadCall> {
        match self.unread_call(TrailCall::GetEventSelectors) {
            Some(unread) => Err(unread),
            None => Ok(&self.event_selectors),
        }
    }

    pub fn logging(&self) -> Result<bool, &UnreadCall> {
        self.read_status().map(|status| status.is_logging)
    }

    /// Known to be logging: `false` when it is not, or when that could not be read.
    pub fn is_known_logging(&self) -> bool {
        self.logging() == Ok(true)
    }

    /// Whether the trail records events that happen in `region`.
    pub fn covers(&self, region: &str) -> Result<bool, &UnreadCall> {
        self.described()
            .map(|trail| trail.is_multi_region || trail.home_region == region)
    }

    /// Whether AWS Control Tower deployed it: its baseline trail is `aws-controltower-BaselineCloudTrail`,
    /// and every resource Control Tower creates is named `aws-controltower-...` (Control Tower user
    /// guide, "Logging and monitoring in AWS Control Tower" and "Resources created").
    pub fn deployed_by_control_tower(&self) -> bool {
        self.name.starts_with(CONTROL_TOWER_PREFIX)
    }

    /// The account that owns the trail: the management account, for an organization trail seen
    /// from a member.
    pub fn owner_account(&self) -> Option<&str> {
        self.arn.split(':').nth(4).filter(|id| !id.is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailStatus {
    pub is_logging: bool,
    pub latest_delivery_time: Option<DateTime<Utc>>,
    pub latest_delivery_error: Option<String>,
    pub latest_cloudwatch_logs_delivery_time: Option<DateTime<Utc>>,
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
    pub start_logging_time: Option<DateTime<Utc>>,
    pub stop_logging_time: Option<DateTime<Utc>>,
}

/// A trail has either basic or advanced selectors, never both (AWS keeps them exclusive).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventSelectors {
    #[serde(default)]
    pub basic: Vec<EventSelector>,
    #[serde(default)]
    pub advanced: Vec<AdvancedEventSelector>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSelector {
    /// ReadOnly, WriteOnly or All.
    pub read_write_type: String,
    pub include_management_events: bool,
    #[serde(default)]
    pub data_resources: Vec<DataResource>,
    #[serde(default)]
    pub exclude_management_event_sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataResource {
    pub resource_type: String,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvancedEventSelector {
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldSelector {
    pub field: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_starts_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ends_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ends_with: Vec<String>,
    /// Operators this orgtrail does not know, kept so that they are judged (as not recording)
    /// rather than silently dropped when an inventory is read back.
    #[serde(flatten, default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_operators: BTreeMap<String, Vec<String>>,
}

/// The audit period: from `start` to `end` (UTC), what `--period` named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to {}",
            self.start.format("%Y-%m-%d %H:%M UTC"),
            self.end.format("%Y-%m-%d %H:%M UTC")
        )
    }
}

/// The calls that change what a trail records: the event names orgtrail reads from CloudTrail
/// event history. `PutInsightSelectors` changes no management-event recording and is listed,
/// never judged.
pub const TRAIL_CHANGE_EVENTS: [&str; 7] = [
    "CreateTrail",
    "DeleteTrail",
    "StartLogging",
    "StopLogging",
    "UpdateTrail",
    "PutEventSelectors",
    "PutInsightSelectors",
];

/// One call that changed a trail, as CloudTrail's event history recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailEvent {
    pub time: DateTime<Utc>,
    /// One of [`TRAIL_CHANGE_EVENTS`].
    pub event_name: String,
    /// The trail as the call named it (`name` or `trailName`): a name or an ARN.
    pub trail: String,
    /// The account whose history holds the event: the trail's owner.
    pub account_id: String,
    /// Where the call was made, and so recorded: a trail's home region.
    pub region: String,
    /// Who: `userIdentity.arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `requestParameters` as recorded (lowerCamelCase names, `eventSelectors`, `isMultiRegionTrail`).
    #[serde(default)]
    pub request_parameters: serde_json::Value,
    pub event_id: String,
}

impl TrailEvent {
    /// The trail's name, whether the call named it or gave its ARN.
    pub fn trail_name(&self) -> &str {
        match self.trail.split_once(":trail/") {
            Some((_, name)) => name,
            None => &self.trail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_child_audits_the_shard_of_its_index() {
        let shard = |i, n| Shard::of_array_job(i, n);
        assert_eq!(
            shard(Some("0"), Some("4")),
            Ok(Shard { index: 1, count: 4 })
        );
        assert_eq!(
            shard(Some("3"), Some("4")),
            Ok(Shard { index: 4, count: 4 })
        );
        assert_eq!(
            shard(Some("4"), Some("4")),
            Err(ShardError::IndexNotBelowSize { index: 4, count: 4 })
        );
        assert_eq!(
            "0/4".parse::<Shard>(),
            Err(ShardError::NotKOfN("0/4".to_string()))
        );
        let said = |i, n| Shard::of_array_job(i, n).unwrap_err().to_string();
        assert!(said(Some("4"), Some("4")).contains("not below"));
        assert!(said(None, Some("4")).contains("AWS_BATCH_JOB_ARRAY_INDEX is not set"));
        assert!(said(Some("0"), None).contains("AWS_BATCH_JOB_ARRAY_SIZE is not set"));
        assert!(said(Some("x"), Some("4")).contains("not a number"));
    }
}
