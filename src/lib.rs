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

use crate::assume::caller_identity;
use crate::aws::Aws;
use crate::collect::{CollectOptions, Plan, Progress};
use crate::discover::{discover, DiscoverError, Discovery, Scope};
use crate::model::{CollectionStats, Inventory, INVENTORY_SCHEMA};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("could not identify the caller: {0}\nCheck the AWS credentials (environment, profile or SSO session) and, when testing, AWS_ENDPOINT_URL")]
    Caller(String),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
}

/// Discover, assume and collect: everything AWS says about the organization's trails.
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
    let discovery = match discover(&aws.organizations(), scope).await {
        Ok(discovery) => discovery,
        Err(error @ (DiscoverError::NotInOrganization(_) | DiscoverError::AccessDenied(_)))
            if !scope.accounts.is_empty() =>
        {
            tracing::warn!("{error}\nauditing the accounts --accounts names, by id alone");
            Discovery::from_account_ids(&scope.accounts, scope.shard)
        }
        Err(error) => return Err(error.into()),
    };

    let plans = discovery
        .accounts
        .into_iter()
        .map(|account| {
            if scope.exclude.contains(&account.id) {
                Plan::Skip(account, "excluded by --exclude-accounts".to_string())
            } else if !account.is_auditable() {
                let reason = format!("account is {} in Organizations", account.status);
                Plan::Skip(account, reason)
            } else {
                Plan::Audit(account)
            }
        })
        .collect();
    let accounts = collect::collect(aws, &caller, plans, options, progress).await;
    Ok(Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at,
        caller_arn: caller.arn,
        home_region: Some(aws.region().to_string()),
        organization: discovery.organization,
        regions: options.regions.clone(),
        accounts,
        collection: Some(CollectionStats {
            seconds: started.elapsed().as_secs_f64(),
            api_calls: aws.calls.operations(),
            retries: aws.calls.retries(),
            throttling_retries: aws.calls.throttling_retries(),
        }),
        settings: None,
        shard: scope.shard,
    })
}
