//! The one registry of per-account access a run has: every read "as the owner" of something
//! (an organization trail, a log bucket, a key, a log group, a topic, an account's own history)
//! asks it for the owner's credentials.
//!
//! The caller's own account is read with the caller's credentials; every other account through
//! the audit role, assumed once per run and shared by every task that asks (concurrent callers
//! wait for the one `sts:AssumeRole`). A failure is kept as the answer too, named, and never
//! retried by another task of the same run. The registry also knows which accounts the
//! organization listed in this run, and so whether an owner is a member or outside it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_cloudtrail::config::Credentials;
use tokio::sync::OnceCell;

use crate::assume::{credentials_for, AssumeError, AuditRole, Caller};
use crate::aws::Aws;

/// One value per key, computed once by whichever task asks first.
pub(crate) type Once<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

pub(crate) fn once_cell<T>(cells: &Once<T>, key: &str) -> Arc<OnceCell<T>> {
    let mut cells = cells.lock().expect("once-per-run lock");
    cells.entry(key.to_string()).or_default().clone()
}

/// Whether an account belongs to the organization audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// Listed by Organizations in this run (audited or not), or the caller's own account.
    Member,
    /// Not a member: Organizations does not know it.
    Outside,
    /// Not listed in this run and Organizations could not say (why, in words).
    Unknown(String),
}

/// Why an account's resources cannot be read as their owner.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OwnerUnreachable {
    /// The owner is not in the organization, so orgtrail has no audit role there.
    #[error("its owner is {}, where orgtrail has no audit role", outside(.organization_id, .account))]
    Outside {
        account: String,
        organization_id: Option<String>,
    },
    /// The owner is (or may be) a member, and its audit role could not be entered.
    #[error("its owner, account {account}{}, could not be entered: {error}", membership_note(.membership))]
    NotEntered {
        account: String,
        membership: Membership,
        error: AssumeError,
    },
}

impl OwnerUnreachable {
    pub fn account(&self) -> &str {
        match self {
            OwnerUnreachable::Outside { account, .. }
            | OwnerUnreachable::NotEntered { account, .. } => account,
        }
    }
}

fn outside(organization_id: &Option<String>, account: &str) -> String {
    match organization_id {
        Some(id) => format!("an account outside organization {id} ({account})"),
        None => format!("account {account}, outside the organization"),
    }
}

fn membership_note(membership: &Membership) -> String {
    match membership {
        Membership::Member => String::new(),
        Membership::Outside => " (outside the organization)".to_string(),
        Membership::Unknown(why) => format!(" (whether it is a member is unknown: {why})"),
    }
}

/// What the run's discovery said about the organization, once it is over.
#[derive(Debug, Clone, Default)]
struct Listed {
    /// Accounts the organization listed in this run, and whether each is audited.
    accounts: HashMap<String, bool>,
    organization_id: Option<String>,
    /// Whether `accounts` is every member (no `--ou` or `--accounts` narrowed the walk).
    whole_organization: bool,
}

/// Per-account credentials for a run, each obtained once. Build one per run with
/// [`AccountAccess::new`]; share it by reference.
pub struct AccountAccess {
    sts: aws_sdk_sts::Client,
    caller: Caller,
    role: AuditRole,
    entered: Once<Result<Option<Credentials>, AssumeError>>,
    listed: Mutex<Listed>,
}

impl AccountAccess {
    pub fn new(aws: &Aws, caller: &Caller, role: &AuditRole) -> Self {
        AccountAccess {
            sts: aws.sts(),
            caller: caller.clone(),
            role: role.clone(),
            entered: Mutex::default(),
            listed: Mutex::default(),
        }
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The organization listed `account_id` in this run; `audited` unless it was left out
    /// (excluded, suspended, ...).
    pub fn note_listed(&self, account_id: &str, audited: bool) {
        let mut listed = self.listed.lock().expect("listed lock");
        listed.accounts.insert(account_id.to_string(), audited);
    }

    /// Discovery is over: its organization, and whether it walked all of it.
    pub fn note_organization(&self, organization_id: Option<&str>, whole_organization: bool) {
        let mut listed = self.listed.lock().expect("listed lock");
        listed.organization_id = organization_id.map(str::to_string);
        listed.whole_organization = whole_organization && organization_id.is_some();
    }

    pub fn organization_id(&self) -> Option<String> {
        self.listed
            .lock()
            .expect("listed lock")
            .organization_id
            .clone()
    }

    /// The accounts this run audits, in id order.
    pub fn audited_accounts(&self) -> Vec<String> {
        let listed = self.listed.lock().expect("listed lock");
        let audited: BTreeSet<&String> = listed
            .accounts
            .iter()
            .filter(|(_, audited)| **audited)
            .map(|(id, _)| id)
            .collect();
        audited.into_iter().cloned().collect()
    }

    /// Whether this run audits every member of the organization (no `--ou`, `--accounts`,
    /// `--exclude-accounts` or shard, and no member left out as suspended or closed).
    pub fn every_member_audited(&self) -> bool {
        let listed = self.listed.lock().expect("listed lock");
        listed.whole_organization && listed.accounts.values().all(|audited| *audited)
    }

    /// Who reads as `account_id`, as a resource policy names it: the audit role there, or the
    /// caller's own account.
    pub fn principal(&self, account_id: &str) -> String {
        if account_id == self.caller.account_id {
            format!("arn:{}:iam::{account_id}:root", self.caller.partition())
        } else {
            format!(
                "arn:{}:iam::{account_id}:role/{}",
                self.caller.partition(),
                self.role.role_name
            )
        }
    }

    fn is_audited(&self, account_id: &str) -> bool {
        let listed = self.listed.lock().expect("listed lock");
        listed.accounts.get(account_id) == Some(&true)
    }

    /// Credentials in `account_id`: `None` means the caller's own. The audit role is assumed at
    /// most once per run per account; its failure is the answer for the rest of the run.
    pub async fn credentials(&self, account_id: &str) -> Result<Option<Credentials>, AssumeError> {
        once_cell(&self.entered, account_id)
            .get_or_init(|| credentials_for(&self.sts, &self.caller, account_id, &self.role))
            .await
            .clone()
    }

    /// Credentials to read something `owner` owns, or why that cannot be done, in words an
    /// auditor can act on. An account outside the organization is not tried.
    pub async fn as_owner(&self, owner: &str) -> Result<Option<Credentials>, OwnerUnreachable> {
        let membership = self.membership(owner).await;
        if membership == Membership::Outside {
            return Err(OwnerUnreachable::Outside {
                account: owner.to_string(),
                organization_id: self.organization_id(),
            });
        }
        self.credentials(owner)
            .await
            .map_err(|error| OwnerUnreachable::NotEntered {
                account: owner.to_string(),
                membership,
                error,
            })
    }

    /// Whether `account_id` is a member, as this run's listing tells: a run that walked the whole
    /// organization knows its members; a scoped one (`--ou`, `--accounts`, `--shard`) knows only
    /// those in scope, and says so rather than ask Organizations for more.
    pub async fn membership(&self, account_id: &str) -> Membership {
        if account_id == self.caller.account_id {
            return Membership::Member;
        }
        let listed = self.listed.lock().expect("listed lock");
        if listed.accounts.contains_key(account_id) {
            Membership::Member
        } else if listed.whole_organization {
            Membership::Outside
        } else {
            Membership::Unknown(
                "not in this run's scope, and a scoped run knows only the accounts in scope"
                    .to_string(),
            )
        }
    }

    /// Accounts entered this run only to read what the audited trails use (outside `--ou` or
    /// `--exclude-accounts`, or outside the listing), in id order.
    pub fn entered_outside_scope(&self) -> Vec<String> {
        let entered: Vec<(String, Arc<OnceCell<_>>)> = {
            let cells = self.entered.lock().expect("once-per-run lock");
            cells.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut outside: Vec<String> = entered
            .into_iter()
            .filter(|(id, cell)| {
                matches!(cell.get(), Some(Ok(Some(_))))
                    && *id != self.caller.account_id
                    && !self.is_audited(id)
            })
            .map(|(id, _)| id)
            .collect();
        outside.sort();
        outside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_outside_the_organization_is_named_with_the_organization() {
        let error = OwnerUnreachable::Outside {
            account: "999999999999".into(),
            organization_id: Some("o-abc".into()),
        };
        assert_eq!(
            error.to_string(),
            "its owner is an account outside organization o-abc (999999999999), where orgtrail \
             has no audit role"
        );
        assert_eq!(error.account(), "999999999999");
    }

    #[test]
    fn a_member_whose_role_is_refused_is_named_with_the_refused_call() {
        let error = OwnerUnreachable::NotEntered {
            account: "222222222222".into(),
            membership: Membership::Member,
            error: AssumeError::NoCredentials("arn:aws:iam::222222222222:role/audit".into()),
        };
        assert_eq!(
            error.to_string(),
            "its owner, account 222222222222, could not be entered: sts:AssumeRole into \
             arn:aws:iam::222222222222:role/audit returned no credentials"
        );
    }
}
