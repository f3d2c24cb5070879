//! Organizations → the service control policies over the audited accounts. SCPs are read from
//! the caller (the management account or a delegated administrator for Organizations), never
//! from the members: `ListPoliciesForTarget` and `DescribePolicy` "can be called only from the
//! organization's management account or by a member account that is a delegated administrator"
//! (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPoliciesForTarget.html>).
//!
//! Calls per run: `DescribeOrganization` and `ListRoots` once; `ListPoliciesForTarget` once per
//! distinct root, OU and member account on the audited accounts' paths (it lists only the
//! policies attached directly, so every level is asked); `DescribePolicy` once per distinct
//! policy, however many targets it is attached to.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::{OrganizationFeatureSet, PolicyType};
use aws_sdk_organizations::Client;
use futures::stream::{self, StreamExt};

use crate::aws::{error_code, CallError};
use crate::model::NO_ORGANIZATION;
use crate::model::{
    AccountInventory, Audit, Readable, ServiceControlPolicies, ServiceControlPolicy,
};

/// The roots, OUs and accounts whose attached SCPs apply to an audited member: every id on
/// each member's path, and the member. The management account is left out: "SCPs don't affect
/// users or roles in the management account"
/// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>).
pub fn policy_targets(
    accounts: &[AccountInventory],
    management_account_id: Option<&str>,
) -> BTreeSet<String> {
    accounts
        .iter()
        .filter(|a| matches!(a.audit, Audit::Audited))
        .filter(|a| Some(a.account.id.as_str()) != management_account_id)
        .flat_map(|a| {
            a.account
                .parent_ids
                .iter()
                .cloned()
                .chain([a.account.id.clone()])
        })
        .collect()
}

/// The SCPs attached to each of `targets` ([`policy_targets`]), and each distinct policy's
/// document. `width` bounds the calls in flight.
pub async fn service_control_policies(
    client: &Client,
    targets: BTreeSet<String>,
    width: usize,
) -> ServiceControlPolicies {
    let (feature_set, root_status) = tokio::join!(feature_set(client), root_status(client));
    // With SCPs off, nothing attached is enforced, and the rule says so without reading more.
    let enforced = matches!(&feature_set, Readable::Read(set) if set == "ALL")
        && matches!(&root_status, Readable::Read(Some(status)) if status == "ENABLED");
    if !enforced {
        return ServiceControlPolicies {
            feature_set,
            root_status,
            attached: BTreeMap::new(),
            policies: BTreeMap::new(),
        };
    }
    let attached: BTreeMap<String, Readable<Vec<String>>> = stream::iter(targets)
        .map(|target| async move {
            let attached = attached_to(client, &target).await;
            (target, attached)
        })
        .buffer_unordered(width.max(1))
        .collect()
        .await;
    let policy_ids: BTreeSet<&str> = attached
        .values()
        .filter_map(|a| match a {
            Readable::Read(ids) => Some(ids),
            Readable::NotVerifiable { .. } => None,
        })
        .flatten()
        .map(String::as_str)
        .collect();
    let policies = stream::iter(policy_ids)
        .map(|id| async move { (id.to_string(), policy(client, id).await) })
        .buffer_unordered(width.max(1))
        .collect()
        .await;
    ServiceControlPolicies {
        feature_set,
        root_status,
        attached,
        policies,
    }
}

fn unreadable<T>(error: CallError) -> Readable<T> {
    Readable::NotVerifiable {
        reason: error.to_string(),
    }
}

async fn feature_set(client: &Client) -> Readable<String> {
    match client.describe_organization().send().await {
        Ok(answer) => Readable::Read(
            answer
                .organization()
                .and_then(|o| o.feature_set())
                .unwrap_or(&OrganizationFeatureSet::All)
                .as_str()
                .to_string(),
        ),
        // "This account is not a member of an organization": no SCP can apply to it.
        Err(e) if error_code(&e) == Some("AWSOrganizationsNotInUseException") => {
            Readable::Read(NO_ORGANIZATION.to_string())
        }
        Err(e) => unreadable(CallError::new("organizations:DescribeOrganization", &e)),
    }
}

/// "To use SCPs, you must first enable the policy type for the root"; the root's PolicyTypes
/// lists the types enabled there (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_Root.html>).
async fn root_status(client: &Client) -> Readable<Option<String>> {
    let pages: Result<Vec<_>, _> = client
        .list_roots()
        .into_paginator()
        .send()
        .try_collect()
        .await;
    match pages {
        Ok(pages) => Readable::Read(
            pages
                .iter()
                .flat_map(|p| p.roots())
                .flat_map(|r| r.policy_types())
                .find(|t| t.r#type() == Some(&PolicyType::ServiceControlPolicy))
                .and_then(|t| t.status())
                .map(|s| s.as_str().to_string()),
        ),
        Err(e) => unreadable(CallError::new("organizations:ListRoots", &e)),
    }
}

async fn attached_to(client: &Client, target: &str) -> Readable<Vec<String>> {
    let pages: Result<Vec<_>, _> = client
        .list_policies_for_target()
        .target_id(target)
        .filter(PolicyType::ServiceControlPolicy)
        .into_paginator()
        .send()
        .try_collect()
        .await;
    match pages {
        Ok(pages) => Readable::Read(
            pages
                .iter()
                .flat_map(|p| p.policies())
                .filter_map(|p| p.id().map(str::to_string))
                .collect(),
        ),
        Err(e) => unreadable(CallError::new(
            format!("organizations:ListPoliciesForTarget on {target}"),
            &e,
        )),
    }
}

async fn policy(client: &Client, id: &str) -> Readable<ServiceControlPolicy> {
    match client.describe_policy().policy_id(id).send().await {
        Ok(answer) => {
            let policy = answer.policy();
            let summary = policy.and_then(|p| p.policy_summary());
            Readable::Read(ServiceControlPolicy {
                name: summary
                    .and_then(|s| s.name())
                    .unwrap_or_default()
                    .to_string(),
                aws_managed: summary.is_some_and(|s| s.aws_managed()),
                content: policy
                    .and_then(|p| p.content())
                    .unwrap_or_default()
                    .to_string(),
            })
        }
        Err(e) => unreadable(CallError::new(
            format!("organizations:DescribePolicy on {id}"),
            &e,
        )),
    }
}
