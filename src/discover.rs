//! AWS Organizations → the accounts to audit, handed on as the walk of the tree finds them.

use std::collections::{BTreeSet, HashSet};

use aws_sdk_organizations::types::Account as OrgAccount;
use aws_sdk_organizations::Client;
use futures::stream::{self, SelectAll, Stream, StreamExt};

use crate::aws::{describe_error, error_code};
use crate::model::{Account, Organization, Shard};

#[derive(Debug, Clone)]
pub struct Scope {
    /// Only these accounts (empty: all).
    pub accounts: BTreeSet<String>,
    /// Listed as skipped, not audited.
    pub exclude: BTreeSet<String>,
    /// Only accounts under these OUs or roots, at any depth (empty: the whole organization).
    pub organizational_units: Vec<String>,
    /// Only this shard of the accounts in scope.
    pub shard: Option<Shard>,
    /// OUs (or roots) listed at once while walking the tree.
    pub walk_width: usize,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            accounts: BTreeSet::new(),
            exclude: BTreeSet::new(),
            organizational_units: Vec::new(),
            shard: None,
            walk_width: DEFAULT_WALK_WIDTH,
        }
    }
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

/// OUs (or roots) listed at once unless `--walk-width` says otherwise, so at most 24
/// Organizations calls in flight. The walk costs two calls per OU and feeds collection, so it has
/// to keep pace with `--concurrency` accounts being audited: a dozen does over a 200 ms round trip
/// (BENCHMARKS.md, the wide organization), eight does not. More would mostly earn throttling:
/// every list call may answer `TooManyRequestsException`, "too many requests in too short a
/// period of time" (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html#API_ListAccountsForParent_Errors>),
/// and a few concurrent callers already meet it (awslabs/aws-deployment-framework#752 and #788,
/// org-formation/org-formation-cli#280). The SDK's retry with back-off absorbs it.
pub const DEFAULT_WALK_WIDTH: usize = 12;

/// The most a page of ListAccountsForParent or ListOrganizationalUnitsForParent may hold (the
/// API model's `MaxResults`: 1 to 20); without it the page size is "specific to the operation".
const PAGE_SIZE: i32 = 20;

/// Walk the organization's tree and hand each account in scope to `found` as soon as the page
/// listing it has been read, so that collection starts after the first page rather than after
/// the whole tree. `walked` is told after every page how many accounts were handed on so far
/// and how many OUs or roots are still to be listed (0 once discovery is over).
///
/// Each account is handed on once. When Organizations cannot be read (no organization, or the
/// caller is denied) and `--accounts` names accounts, those not already found are handed on by
/// id alone.
pub async fn discover(
    client: &Client,
    scope: &Scope,
    found: &mut dyn FnMut(Account),
    walked: &dyn Fn(usize, usize),
) -> Result<Organization, DiscoverError> {
    let mut in_scope = InScope {
        scope,
        found,
        seen: HashSet::new(),
        named_seen: 0,
        handed_on: 0,
    };
    let organization = match walk_organization(client, scope, &mut in_scope, walked).await {
        Ok(organization) => {
            let missing = in_scope.missing();
            if !missing.is_empty() {
                return Err(DiscoverError::UnknownAccounts(missing.join(", ")));
            }
            organization
        }
        Err(error @ (DiscoverError::NotInOrganization(_) | DiscoverError::AccessDenied(_)))
            if !scope.accounts.is_empty() =>
        {
            tracing::warn!("{error}\nauditing the accounts --accounts names, by id alone");
            for id in &scope.accounts {
                in_scope.offer(Account {
                    id: id.clone(),
                    name: String::new(),
                    email: String::new(),
                    status: "UNKNOWN".to_string(),
                    ou_path: None,
                    parent_ids: Vec::new(),
                });
            }
            Organization {
                id: None,
                management_account_id: None,
            }
        }
        Err(error) => return Err(error),
    };
    walked(in_scope.handed_on, 0);
    Ok(organization)
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

async fn walk_organization(
    client: &Client,
    scope: &Scope,
    in_scope: &mut InScope<'_>,
    walked: &dyn Fn(usize, usize),
) -> Result<Organization, DiscoverError> {
    // The walk's starting points are asked for alongside the organization: one round trip less
    // before the first account. The organization's answer is looked at first, so that a caller
    // outside any organization is told so whichever answer came back first.
    let starts = async {
        if scope.organizational_units.is_empty() {
            roots(client).await
        } else {
            futures::future::try_join_all(scope.organizational_units.iter().map(|unit| async {
                let (path, ids) =
                    futures::try_join!(unit_name(client, unit), ancestry(client, unit))?;
                Ok(Unit {
                    id: unit.clone(),
                    path,
                    ids,
                })
            }))
            .await
        }
    };
    let (described, starts) = futures::join!(client.describe_organization().send(), starts);
    let described = described.map_err(|e| {
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

    // The walk gives every account its OU path. ListAccounts would list accounts in fewer calls
    // (20 a page) but says nothing of where they sit: the path would then cost a ListParents
    // per account on top of listing every OU, more calls than the walk's two per OU unless OUs
    // far outnumber accounts.
    walk(client, starts?, scope.walk_width, in_scope, walked).await?;
    Ok(organization)
}

/// The walk's accounts on their way to collection: each once, and only those in scope.
struct InScope<'a> {
    scope: &'a Scope,
    found: &'a mut dyn FnMut(Account),
    seen: HashSet<String>,
    /// How many of the accounts `--accounts` names have been seen.
    named_seen: usize,
    handed_on: usize,
}

impl InScope<'_> {
    fn offer(&mut self, account: Account) {
        if !self.seen.insert(account.id.clone()) {
            return;
        }
        if !self.scope.accounts.is_empty() {
            if !self.scope.accounts.contains(&account.id) {
                return;
            }
            self.named_seen += 1;
        }
        if self.scope.shard.is_none_or(|s| s.contains(&account.id)) {
            self.handed_on += 1;
            (self.found)(account);
        }
    }

    /// Once every account `--accounts` names has been seen, the rest of the tree adds nothing.
    fn all_named_seen(&self) -> bool {
        !self.scope.accounts.is_empty() && self.named_seen == self.scope.accounts.len()
    }

    fn missing(&self) -> Vec<&str> {
        self.scope
            .accounts
            .iter()
            .filter(|id| !self.seen.contains(*id))
            .map(String::as_str)
            .collect()
    }
}

/// A root or OU to list, with the path of names that leads to it ("Root/Workloads/Prod") and
/// the ids along it, its own last: the targets whose service control policies its accounts
/// inherit.
struct Unit {
    id: String,
    path: String,
    ids: Vec<String>,
}

/// What one page of a parent's listings held.
enum Listed {
    Accounts(Vec<Account>),
    Units(Vec<Unit>),
    /// Both listings of the parent are complete.
    Finished,
}

/// Lists `width` parents at a time, each parent's accounts and child OUs side by side, page by
/// page; every page is acted on as it arrives. Parents waiting for a slot are taken last found
/// first, so the walk reaches the leaves, where accounts usually sit, early on.
async fn walk(
    client: &Client,
    starts: Vec<Unit>,
    width: usize,
    in_scope: &mut InScope<'_>,
    walked: &dyn Fn(usize, usize),
) -> Result<(), DiscoverError> {
    let mut waiting = starts;
    let mut listed_once = HashSet::new();
    let mut listings = SelectAll::new();
    let mut in_progress = 0;
    loop {
        while in_progress < width.max(1) {
            let Some(unit) = waiting.pop() else { break };
            // --ou may name an OU and another inside it.
            if listed_once.insert(unit.id.clone()) {
                listings.push(list_parent(client, unit).boxed());
                in_progress += 1;
            }
        }
        let Some(page) = listings.next().await else {
            return Ok(());
        };
        match page? {
            Listed::Accounts(accounts) => accounts.into_iter().for_each(|a| in_scope.offer(a)),
            Listed::Units(units) => waiting.extend(units),
            Listed::Finished => in_progress -= 1,
        }
        walked(in_scope.handed_on, in_progress + waiting.len());
        if in_scope.all_named_seen() {
            return Ok(());
        }
    }
}

/// The pages of a parent's accounts and of its child OUs, as each arrives, then `Finished`.
fn list_parent(
    client: &Client,
    unit: Unit,
) -> impl Stream<Item = Result<Listed, DiscoverError>> + Send + 'static {
    let Unit { id, path, ids } = unit;
    let mut account_pages = client
        .list_accounts_for_parent()
        .parent_id(&id)
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let mut unit_pages = client
        .list_organizational_units_for_parent()
        .parent_id(&id)
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let account_path = path.clone();
    let unit_ids = ids.clone();
    let accounts = stream::poll_fn(move |cx| account_pages.poll_next(cx)).map(move |page| {
        let page = page.map_err(|e| {
            let message = describe_error("organizations:ListAccountsForParent", &e);
            match error_code(&e) {
                Some("ParentNotFoundException") => DiscoverError::Api(format!(
                    "--ou {id}: no such OU or root in this organization ({message})"
                )),
                code => classify(message, code),
            }
        })?;
        Ok(Listed::Accounts(
            page.accounts()
                .iter()
                .map(|a| Account {
                    ou_path: Some(account_path.clone()),
                    parent_ids: ids.clone(),
                    ..to_account(a)
                })
                .collect(),
        ))
    });
    let units = stream::poll_fn(move |cx| unit_pages.poll_next(cx)).map(move |page| {
        let page = page.map_err(|e| {
            classify(
                describe_error("organizations:ListOrganizationalUnitsForParent", &e),
                error_code(&e),
            )
        })?;
        Ok(Listed::Units(
            page.organizational_units()
                .iter()
                .filter_map(|u| {
                    let name = u.name().unwrap_or_else(|| u.id().unwrap_or("?"));
                    let id = u.id()?.to_string();
                    Some(Unit {
                        path: format!("{path}/{name}"),
                        ids: [unit_ids.as_slice(), std::slice::from_ref(&id)].concat(),
                        id,
                    })
                })
                .collect(),
        ))
    });
    stream::select(accounts, units).chain(stream::once(async { Ok(Listed::Finished) }))
}

async fn roots(client: &Client) -> Result<Vec<Unit>, DiscoverError> {
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
            Some(Unit {
                path: r.name().unwrap_or("Root").to_string(),
                ids: vec![id.clone()],
                id,
            })
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

/// The ids from the root down to `unit` (itself included), by `ListParents` upwards: an OU
/// given with --ou inherits the service control policies of every OU above it. One call per
/// level, for the few OUs --ou names.
async fn ancestry(client: &Client, unit: &str) -> Result<Vec<String>, DiscoverError> {
    let mut ids = vec![unit.to_string()];
    while !ids[0].starts_with("r-") {
        let parents = client
            .list_parents()
            .child_id(&ids[0])
            .send()
            .await
            .map_err(|e| {
                classify(
                    describe_error("organizations:ListParents", &e),
                    error_code(&e),
                )
            })?;
        let Some(parent) = parents.parents().first().and_then(|p| p.id()) else {
            break;
        };
        ids.insert(0, parent.to_string());
    }
    Ok(ids)
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
        parent_ids: Vec::new(),
    }
}
