//! AWS Organizations → the accounts to audit.

use std::collections::BTreeSet;

use aws_sdk_organizations::types::Account as OrgAccount;
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

    // Walking the tree (rather than ListAccounts) gives every account its OU path as well.
    let starts: Vec<(String, String)> = if scope.organizational_units.is_empty() {
        roots(client).await?
    } else {
        let mut starts = Vec::new();
        for unit in &scope.organizational_units {
            starts.push((unit.clone(), unit_name(client, unit).await?));
        }
        starts
    };
    let mut accounts = Vec::new();
    for (id, name) in starts {
        accounts.extend(accounts_under(client, &id, &name).await?);
    }
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

async fn roots(client: &Client) -> Result<Vec<(String, String)>, DiscoverError> {
    let pages: Vec<_> = client
        .list_roots()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            classify(
                describe_error("organizations:ListRoots", &e),
                error_code(&e),
            )
        })?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.roots.unwrap_or_default())
        .filter_map(|r| {
            let id = r.id()?.to_string();
            Some((id, r.name().unwrap_or("Root").to_string()))
        })
        .collect())
}

/// The name of an OU given with --ou (a root is called by its id).
async fn unit_name(client: &Client, unit: &str) -> Result<String, DiscoverError> {
    if unit.starts_with("r-") {
        return Ok(unit.to_string());
    }
    let described = client
        .describe_organizational_unit()
        .organizational_unit_id(unit)
        .send()
        .await
        .map_err(|e| {
            let message = describe_error("organizations:DescribeOrganizationalUnit", &e);
            match error_code(&e) {
                Some("OrganizationalUnitNotFoundException") => DiscoverError::Api(format!(
                    "--ou {unit}: no such OU in this organization ({message})"
                )),
                code => classify(message, code),
            }
        })?;
    Ok(described
        .organizational_unit()
        .and_then(|u| u.name())
        .unwrap_or(unit)
        .to_string())
}

/// Every account below `parent` at any depth, each with its OU path ("Root/Workloads/Prod").
async fn accounts_under(
    client: &Client,
    parent: &str,
    parent_path: &str,
) -> Result<Vec<Account>, DiscoverError> {
    let mut accounts = Vec::new();
    let mut pending = vec![(parent.to_string(), parent_path.to_string())];
    while let Some((unit, path)) = pending.pop() {
        let direct: Vec<_> = client
            .list_accounts_for_parent()
            .parent_id(&unit)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| {
                let message = describe_error("organizations:ListAccountsForParent", &e);
                match error_code(&e) {
                    Some("ParentNotFoundException") => DiscoverError::Api(format!(
                        "--ou {unit}: no such OU or root in this organization ({message})"
                    )),
                    code => classify(message, code),
                }
            })?;
        accounts.extend(
            direct
                .into_iter()
                .flat_map(|p| p.accounts.unwrap_or_default())
                .map(|a| Account {
                    ou_path: Some(path.clone()),
                    ..to_account(&a)
                }),
        );
        let children: Vec<_> = client
            .list_organizational_units_for_parent()
            .parent_id(&unit)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| {
                classify(
                    describe_error("organizations:ListOrganizationalUnitsForParent", &e),
                    error_code(&e),
                )
            })?;
        pending.extend(
            children
                .into_iter()
                .flat_map(|p| p.organizational_units.unwrap_or_default())
                .filter_map(|u| {
                    let name = u.name().unwrap_or_else(|| u.id().unwrap_or("?"));
                    Some((u.id()?.to_string(), format!("{path}/{name}")))
                }),
        );
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
                    ou_path: None,
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
        ou_path: None,
    }
}
