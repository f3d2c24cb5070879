//! orgtrail: audit AWS CloudTrail across an AWS Organization.
//!
//! The pipeline, one module per stage: [`discover`] (Organizations → accounts), [`assume`]
//! (STS → credentials), [`collect`] (CloudTrail → [`model::Inventory`]), [`evaluate`]
//! (inventory × [`rules`] → [`findings::Report`]) and [`report`] (report → files).

pub mod assume;
pub mod aws;
pub mod collect;
pub mod diff;
pub mod discover;
pub mod evaluate;
pub mod findings;
pub mod manifest;
pub mod merge;
pub mod model;
pub mod regions;
pub mod report;
pub mod rules;
pub mod waivers;

use std::time::Instant;

use chrono::Utc;
use futures::FutureExt;

use crate::assume::caller_identity;
use crate::aws::Aws;
use crate::collect::{CollectOptions, Plan, Progress};
use crate::discover::{discover, DiscoverError, Scope};
use crate::model::{Account, CollectionStats, Inventory, INVENTORY_SCHEMA};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("could not identify the caller: {0}\nCheck the AWS credentials (environment, profile or SSO session) and, when testing, AWS_ENDPOINT_URL")]
    Caller(String),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
}

/// Discover, assume and collect: everything AWS says about the organization's trails.
///
/// Accounts go to collection as the walk of the organization finds them. When discovery fails
/// half-way the scan fails as a whole and collection stops: no inventory leaves out an account
/// the organization lists.
pub async fn scan(
    aws: &Aws,
    scope: &Scope,
    options: &CollectOptions,
    progress: &dyn Progress,
) -> Result<Inventory, ScanError> {
    let collected_at = Utc::now();
    let started = Instant::now();
    let caller = caller_identity(&aws.sts())
        .await
        .map_err(ScanError::Caller)?;

    let (planned, plans) = futures::channel::mpsc::unbounded();
    let organizations = aws.organizations();
    let discovering = async move {
        let mut found = |account: Account| {
            // Unbounded: the walk never waits for collection, whose own bound is --concurrency.
            // Sending fails only once collection has stopped, and then the scan is failing.
            let _ = planned.unbounded_send(plan(scope, account));
        };
        let walked = |accounts, units_left| progress.discovered(accounts, units_left);
        let organization = discover(&organizations, scope, &mut found, &walked).await?;
        // `planned` is dropped here: the plans end, and collection finishes its last accounts.
        Ok::<_, ScanError>(organization)
    };
    let collecting =
        collect::collect(aws, &caller, plans, options, progress).map(Ok::<_, ScanError>);
    let (organization, mut accounts) = futures::try_join!(discovering, collecting)?;
    // In id order whatever order the walk found them in, so two runs' inventories compare.
    accounts.sort_by(|a, b| a.account.id.cmp(&b.account.id));
    Ok(Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at,
        caller_arn: caller.arn,
        home_region: Some(aws.region().to_string()),
        organization,
        regions: options.regions.clone(),
        accounts,
        collection: Some(CollectionStats {
            seconds: started.elapsed().as_secs_f64(),
            api_calls: aws.calls.operations(),
            retries: aws.calls.retries(),
        }),
        settings: None,
        shard: scope.shard,
    })
}

/// Excluded and closed accounts are listed, not audited.
fn plan(scope: &Scope, account: Account) -> Plan {
    if scope.exclude.contains(&account.id) {
        Plan::Skip(account, "excluded by --exclude-accounts".to_string())
    } else if !account.is_auditable() {
        let reason = format!("account is {} in Organizations", account.status);
        Plan::Skip(account, reason)
    } else {
        Plan::Audit(account)
    }
}
