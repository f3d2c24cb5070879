//! AWS Organizations → the accounts to audit.

use std::collections::BTreeSet;

use aws_sdk_organizations::types::{Account as OrgAccount, ChildType};
use aws_sdk_organizations::Client;

use crate::aws::{describe_error, error_code};
use crate::model::{Account, Organization, Shard};

#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only these accounts (empty: all).
    pub accounts: BTreeSet<String>,
    /// Listed as skipped, not audited.
    pub exclude: BTreeSet<String>,
    /// Only accounts under these OUs or roots, at any depth (empty: the whole organization).
    pub organizational_units: Vec<String>,
    /// Only this shard of the accounts in scope.
    pub shard: Option<Shard>,
}

#[derive(Debug, Clone)]
pub struct Discovery {
    pub organization: Organization,
    pub accounts: Vec<Account>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(
        "the caller's account is not in an AWS Organization ({0}); run orgtrail from the \
         management account or a delegated administrator, or pass --accounts to audit named \
         accounts without Organizations"
    )]
    NotInOrganization(String),
    #[error(
        "{0}; run orgtrail with credentials of the management account or of a delegated \
         administrator for AWS Organizations, or pass --accounts to audit named accounts \
         without Organizations"
    )]
    AccessDenied(String),
    #[error("{0}")]
    Api(String),
    #[error(
        "--accounts names {0} which the organization does not list; check the ids against \
         `aws organizations list-accounts`"
    )]
    UnknownAccounts(String),
}

pub async fn discover(client: &Client, scope: &Scope) -> Result<Discovery, DiscoverError> {
    let described = client.describe_organization().send().await.map_err(|e| {
        classify(
            describe_error("organizations:DescribeOrganization", &e),
            error_code(&e),
        )
    })?;
    let organization = described
        .organization()
        .map(|o| Organization {
            id: o.id().map(str::to_string),
            management_account_id: o.master_account_id().map(str::to_string),
        })
        .ok_or_else(|| {
            DiscoverError::Api("DescribeOrganization returned no organization".into())
        })?;

    let listed = if scope.organizational_units.is_empty() {
        list_all_accounts(client).await?
    } else {
        let mut listed = Vec::new();
        for unit in &scope.organizational_units {
            listed.extend(list_accounts_under(client, unit).await?);
        }
        listed
    };

    let mut accounts: Vec<Account> = listed.iter().map(to_account).collect();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    accounts.dedup_by(|a, b| a.id == b.id);

    if !scope.accounts.is_empty() {
        let missing: Vec<&str> = scope
            .accounts
            .iter()
            .filter(|id| !accounts.iter().any(|a| &a.id == *id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(DiscoverError::UnknownAccounts(missing.join(", ")));
        }
        accounts.retain(|a| scope.accounts.contains(&a.id));
    }
    if let Some(shard) = scope.shard {
        accounts.retain(|a| shard.contains(&a.id));
    }
    Ok(Discovery {
        organization,
        accounts,
    })
}

fn classify(message: String, code: Option<&str>) -> DiscoverError {
    match code {
        Some("AWSOrganizationsNotInUseException") => DiscoverError::NotInOrganization(message),
        Some("AccessDeniedException") | Some("AccessDenied") => {
            DiscoverError::AccessDenied(message)
        }
        _ => DiscoverError::Api(message),
    }
}

async fn list_all_accounts(client: &Client) -> Result<Vec<OrgAccount>, DiscoverError> {
    client
        .list_accounts()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map(|pages| {
            pages
                .into_iter()
                .flat_map(|p| p.accounts.unwrap_or_default())
                .collect()
        })
        .map_err(|e| {
            classify(
                describe_error("organizations:ListAccounts", &e),
                error_code(&e),
            )
        })
}

/// Every account below `parent`, walking child OUs breadth-first.
async fn list_accounts_under(
    client: &Client,
    parent: &str,
) -> Result<Vec<OrgAccount>, DiscoverError> {
    let mut accounts = Vec::new();
    let mut pending = vec![parent.to_string()];
    while let Some(unit) = pending.pop() {
        let direct = client
            .list_accounts_for_parent()
            .parent_id(&unit)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map(|pages| {
                pages
                    .into_iter()
                    .flat_map(|p| p.accounts.unwrap_or_default())
            })
            .map_err(|e| {
                let message = describe_error("organizations:ListAccountsForParent", &e);
                match error_code(&e) {
                    Some("ParentNotFoundException") => DiscoverError::Api(format!(
                        "--ou {unit}: no such OU or root in this organization ({message})"
                    )),
                    code => classify(message, code),
                }
            })?;
        accounts.extend(direct);
        let children = client
            .list_children()
            .parent_id(&unit)
            .child_type(ChildType::OrganizationalUnit)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map(|pages| {
                pages
                    .into_iter()
                    .flat_map(|p| p.children.unwrap_or_default())
                    .collect::<Vec<_>>()
            })
            .map_err(|e| {
                classify(
                    describe_error("organizations:ListChildren", &e),
                    error_code(&e),
                )
            })?;
        pending.extend(children.iter().filter_map(|c| c.id().map(str::to_string)));
    }
    Ok(accounts)
}

impl Discovery {
    /// The accounts `--accounts` names, as they are known without Organizations: by id alone.
    pub fn from_account_ids(ids: &BTreeSet<String>, shard: Option<Shard>) -> Self {
        Discovery {
            organization: Organization {
                id: None,
                management_account_id: None,
            },
            accounts: ids
                .iter()
                .filter(|id| shard.is_none_or(|s| s.contains(id)))
                .map(|id| Account {
                    id: id.clone(),
                    name: String::new(),
                    email: String::new(),
                    status: "UNKNOWN".to_string(),
                })
                .collect(),
        }
    }
}

/// Organizations retired `Status` for `State` in September 2026; read either.
fn to_account(account: &OrgAccount) -> Account {
    #[allow(deprecated)]
    let status = account
        .state()
        .map(|s| s.as_str().to_string())
        .or_else(|| account.status().map(|s| s.as_str().to_string()))
        .unwrap_or_else(|| "UNKNOWN".to_string());
    Account {
        id: account.id().unwrap_or_default().to_string(),
        name: account.name().unwrap_or_default().to_string(),
        email: account.email().unwrap_or_default().to_string(),
        status,
    }
}
