//! The resources trails point at and that the catalogue judges: log buckets and KMS keys. They
//! often live in another account (Control Tower's Log Archive, a central security account), so
//! each distinct one is read once per run, after every account's trails are known, with its
//! owner's access through [`AccountAccess`], and shared by every account whose trails use it.
//!
//! A key's ARN names its owner. A bucket's name does not, and S3 tells no one but the owner
//! whose a bucket is: `ListBuckets` "returns a list of all buckets owned by the authenticated
//! sender of the request" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html),
//! so the owner is the account whose own listing holds it. Accounts are asked in the order most
//! likely to hold it (an account id in the bucket's name, as Control Tower's
//! `aws-controltower-logs-<log-archive-id>-<region>` has; the trails' owners; the accounts
//! whose trails use it; then every other audited account), each at most once per run, and every
//! read of the owner's bucket then carries `ExpectedBucketOwner`, so S3 itself refuses if the
//! owner were not that account. Only a bucket no member owns, or whose owner cannot be entered,
//! is read with the audited account's own access (a bucket policy may grant it), and if that is
//! refused too the evidence names the owner and the fix.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use aws_sdk_cloudtrail::config::Credentials;
use aws_sdk_s3::types::{BucketLocationConstraint, Type as GranteeType};
use futures::stream::{self, StreamExt};

use super::access::{once_cell, AccountAccess, Membership, Once, OwnerUnreachable};
use crate::aws::{error_code, Aws, CallError, FALLBACK_REGION};
use crate::model::{
    AccountInventory, Audit, BucketAccess, LogBucket, PublicAccessBlock, Readable, TrailKey,
};

const EVERYONE: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const ANY_AWS_USER: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The S3 reads a log bucket's verdicts need, as a bucket policy must grant them.
const BUCKET_READS: [&str; 5] = [
    "s3:GetBucketLocation",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketAcl",
    "s3:GetBucketLogging",
];

/// Who uses a bucket or key: the accounts whose trails point at it, and those trails' owners.
#[derive(Default)]
struct Uses {
    readers: BTreeSet<String>,
    trail_owners: BTreeSet<String>,
}

/// Read every bucket and key the audited accounts' trails use, each once and as its owner, and
/// give each audited account the ones its trails use. Run after collection (and after
/// organization trails are shared), when the organization's accounts are known.
pub async fn read_trail_resources(
    aws: &Aws,
    access: &AccountAccess,
    accounts: &mut [AccountInventory],
    concurrency: usize,
) {
    let (mut buckets, mut keys) = (
        BTreeMap::<String, Uses>::new(),
        BTreeMap::<String, Uses>::new(),
    );
    for account in accounts
        .iter()
        .filter(|a| matches!(a.audit, Audit::Audited))
    {
        for trail in account.trails.iter().filter(|t| t.described().is_ok()) {
            let owner = trail
                .owner_account()
                .unwrap_or(&account.account.id)
                .to_string();
            for (resource, uses) in [
                (&trail.s3_bucket_name, &mut buckets),
                (&trail.kms_key_id, &mut keys),
            ] {
                if let Some(resource) = resource {
                    let used = uses.entry(resource.clone()).or_default();
                    used.readers.insert(account.account.id.clone());
                    used.trail_owners.insert(owner.clone());
                }
            }
        }
    }
    let owners = BucketOwners {
        aws,
        access,
        listings: Default::default(),
    };
    let concurrency = concurrency.max(1);
    let (read_buckets, read_keys): (Vec<LogBucket>, Vec<TrailKey>) = futures::join!(
        stream::iter(&buckets)
            .map(|(name, uses)| owners.read_bucket(name, uses))
            .buffer_unordered(concurrency)
            .collect(),
        stream::iter(&keys)
            .map(|(key, uses)| read_key(aws, access, key, uses))
            .buffer_unordered(concurrency)
            .collect(),
    );
    for account in accounts
        .iter_mut()
        .filter(|a| matches!(a.audit, Audit::Audited))
    {
        let id = &account.account.id;
        account.log_buckets = read_buckets
            .iter()
            .filter(|b| buckets[&b.name].readers.contains(id))
            .cloned()
            .collect();
        account.log_buckets.sort_by(|a, b| a.name.cmp(&b.name));
        account.trail_keys = read_keys
            .iter()
            .filter(|k| keys[&k.arn].readers.contains(id))
            .cloned()
            .collect();
        account.trail_keys.sort_by(|a, b| a.arn.cmp(&b.arn));
    }
}

/// Each account's own buckets (`ListBuckets`), listed at most once per run.
struct BucketOwners<'a> {
    aws: &'a Aws,
    access: &'a AccountAccess,
    listings: Once<Result<HashSet<String>, String>>,
}

/// Where a bucket's owner was looked for, when it was not found.
struct NotFound {
    listed: usize,
    unlisted: Vec<String>,
}

impl BucketOwners<'_> {
    async fn read_bucket(&self, name: &str, uses: &Uses) -> LogBucket {
        let owner = self.find_owner(name, uses).await;
        let why_not_as_owner = match &owner {
            Ok(owner) => match self.access.as_owner(owner).await {
                Ok(credentials) => {
                    let read = bucket_access(self.aws, credentials, name, Some(owner)).await;
                    return LogBucket {
                        name: name.to_string(),
                        access: read.map_or_else(
                            |error| Readable::NotVerifiable {
                                reason: format!(
                                    "read as its owner, account {owner}: {error}; the audit role \
                                     there needs {}",
                                    BUCKET_READS.join(", ")
                                ),
                            },
                            Readable::Read,
                        ),
                        read_as_owner: Some(owner.clone()),
                    };
                }
                Err(unreachable) => unreachable.to_string(),
            },
            Err(not_found) => self.not_found(name, not_found).await,
        };
        // A bucket policy may still grant the audited account these reads.
        let reader = fallback_reader(uses);
        let read = match self.access.credentials(&reader).await {
            Ok(credentials) => bucket_access(self.aws, credentials, name, None)
                .await
                .map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        LogBucket {
            name: name.to_string(),
            access: read.map_or_else(
                |error| Readable::NotVerifiable {
                    reason: format!(
                        "{why_not_as_owner}; read with account {reader}'s access instead: \
                         {error}. Fix: {}",
                        self.bucket_fix(name, &reader, owner.as_ref().ok())
                    ),
                },
                Readable::Read,
            ),
            read_as_owner: None,
        }
    }

    /// The account whose own `ListBuckets` holds `name`, asking the likeliest first.
    async fn find_owner(&self, name: &str, uses: &Uses) -> Result<String, NotFound> {
        let mut likely: Vec<String> = Vec::new();
        for id in account_ids_in(name) {
            if self.access.membership(&id).await == Membership::Member {
                likely.push(id);
            }
        }
        likely.extend(uses.trail_owners.iter().cloned());
        likely.extend(uses.readers.iter().cloned());
        let mut asked = HashSet::new();
        let mut not_found = NotFound {
            listed: 0,
            unlisted: Vec::new(),
        };
        for account in likely {
            if !asked.insert(account.clone()) {
                continue;
            }
            match self.listing(&account).await {
                Ok(owned) if owned.contains(name) => return Ok(account),
                Ok(_) => not_found.listed += 1,
                Err(error) => not_found.unlisted.push(error),
            }
        }
        let rest: Vec<String> = self
            .access
            .audited_accounts()
            .into_iter()
            .filter(|a| !asked.contains(a))
            .collect();
        let listings: Vec<(String, Result<bool, String>)> = stream::iter(rest)
            .map(|account| async move {
                let owns = self
                    .listing(&account)
                    .await
                    .map(|owned| owned.contains(name));
                (account, owns)
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut owners: Vec<&String> = Vec::new();
        for (account, owns) in &listings {
            match owns {
                Ok(true) => owners.push(account),
                Ok(false) => not_found.listed += 1,
                Err(error) => not_found.unlisted.push(error.clone()),
            }
        }
        match owners.into_iter().min() {
            Some(owner) => Ok(owner.clone()),
            None => {
                not_found.unlisted.sort();
                Err(not_found)
            }
        }
    }

    /// The buckets `account` owns, read once per run.
    async fn listing(&self, account: &str) -> Result<HashSet<String>, String> {
        once_cell(&self.listings, account)
            .get_or_init(|| async {
                let credentials = self
                    .access
                    .credentials(account)
                    .await
                    .map_err(|e| format!("account {account}: {e}"))?;
                self.aws
                    .s3(FALLBACK_REGION, credentials)
                    .list_buckets()
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Vec<_>>()
                    .await
                    .into_iter()
                    .map(|bucket| {
                        bucket
                            .map(|b| b.name().unwrap_or_default().to_string())
                            .map_err(Box::new)
                    })
                    .collect::<Result<HashSet<String>, _>>()
                    .map_err(|e| {
                        format!(
                            "account {account}: {}",
                            CallError::new("s3:ListBuckets", &*e)
                        )
                    })
            })
            .await
            .clone()
    }

    /// Why no owner was found, in words: outside the organization when every member was asked.
    async fn not_found(&self, name: &str, not_found: &NotFound) -> String {
        let suggested: Vec<String> = account_ids_in(name);
        let named = match suggested.first() {
            Some(id) => format!(" (its name suggests account {id})"),
            None => String::new(),
        };
        let organization = self
            .access
            .organization_id()
            .unwrap_or_else(|| "the organization".to_string());
        if not_found.unlisted.is_empty() && self.access.every_member_audited() {
            format!(
                "its owner is an account outside organization {organization}{named}: none of \
                 the organization's {} accounts owns it (each one's s3:ListBuckets)",
                not_found.listed
            )
        } else {
            let mut words = format!(
                "its owner was not found among the {} accounts of {organization} whose buckets \
                 were listed (s3:ListBuckets){named}",
                not_found.listed
            );
            if !not_found.unlisted.is_empty() {
                words.push_str(&format!("; not listed: {}", not_found.unlisted.join("; ")));
            }
            if !self.access.every_member_audited() {
                words.push_str("; accounts not audited in this run were not asked");
            }
            words
        }
    }

    /// Deploy the audit role in the owner, or grant the reader the reads in the bucket policy.
    fn bucket_fix(&self, name: &str, reader: &str, owner: Option<&String>) -> String {
        let statement = serde_json::json!({
            "Sid": "OrgtrailAuditRead",
            "Effect": "Allow",
            "Principal": {"AWS": self.access.principal(reader)},
            "Action": BUCKET_READS,
            "Resource": format!("arn:{}:s3:::{name}", self.access.caller().partition()),
        });
        let policy = format!("add this statement to the bucket policy of {name}: {statement}");
        match owner {
            Some(owner) => format!(
                "deploy the audit role in account {owner} (the StackSet's target accounts or \
                 OUs; a stack of its own in the management account, which StackSets skip), or {policy}"
            ),
            None => policy,
        }
    }
}

/// The account whose access reads a resource its owner's access cannot: the trail's owner
/// first (the management account for an organization trail), else the first user.
fn fallback_reader(uses: &Uses) -> String {
    uses.trail_owners
        .iter()
        .find(|owner| uses.readers.contains(*owner))
        .or_else(|| uses.readers.iter().next())
        .cloned()
        .unwrap_or_default()
}

/// Twelve-digit runs in a bucket name: the account ids naming conventions put there
/// (`aws-controltower-logs-<log-archive-id>-<region>`, `cloudtrail-<account-id>`).
fn account_ids_in(name: &str) -> Vec<String> {
    let mut ids: Vec<String> = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 12)
        .map(str::to_string)
        .collect();
    ids.dedup();
    ids
}

/// The bucket's public exposure and access logging. With `owner`, every call carries
/// `ExpectedBucketOwner`: S3 answers 403 if the bucket is not that account's, so what is read
/// "as the owner" is the owner's bucket
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
async fn bucket_access(
    aws: &Aws,
    credentials: Option<Credentials>,
    name: &str,
    owner: Option<&String>,
) -> Result<BucketAccess, CallError> {
    let owner = owner.cloned();
    // GetBucketLocation answers from any region; the other calls must go to the bucket's own.
    let located = aws
        .s3(FALLBACK_REGION, credentials.clone())
        .get_bucket_location()
        .bucket(name)
        .set_expected_bucket_owner(owner.clone())
        .send()
        .await
        .map_err(|e| CallError::new(format!("s3:GetBucketLocation on {name}"), &e))?;
    let region = match located.location_constraint() {
        None => FALLBACK_REGION.to_string(),
        Some(BucketLocationConstraint::Eu) => "eu-west-1".to_string(),
        Some(constraint) if constraint.as_str().is_empty() => FALLBACK_REGION.to_string(),
        Some(constraint) => constraint.as_str().to_string(),
    };
    let s3 = aws.s3(&region, credentials);
    let (block, policy, acl, logging) = tokio::join!(
        s3.get_public_access_block()
            .bucket(name)
            .set_expected_bucket_owner(owner.clone())
            .send(),
        s3.get_bucket_policy_status()
            .bucket(name)
            .set_expected_bucket_owner(owner.clone())
            .send(),
        s3.get_bucket_acl()
            .bucket(name)
            .set_expected_bucket_owner(owner.clone())
            .send(),
        s3.get_bucket_logging()
            .bucket(name)
            .set_expected_bucket_owner(owner.clone())
            .send(),
    );
    let public_access_block = match block {
        Ok(answer) => answer
            .public_access_block_configuration()
            .map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            }),
        Err(e) if error_code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => None,
        Err(e) => {
            return Err(CallError::new(
                format!("s3:GetBucketPublicAccessBlock on {name}"),
                &e,
            ))
        }
    };
    let policy_is_public = match policy {
        Ok(answer) => answer.policy_status().and_then(|s| s.is_public()),
        Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => None,
        Err(e) => {
            return Err(CallError::new(
                format!("s3:GetBucketPolicyStatus on {name}"),
                &e,
            ))
        }
    };
    let acl = acl.map_err(|e| CallError::new(format!("s3:GetBucketAcl on {name}"), &e))?;
    let public_acl_grants = acl
        .grants()
        .iter()
        .filter_map(|grant| {
            let grantee = grant.grantee()?;
            let uri = grantee
                .uri()
                .filter(|_| grantee.r#type() == &GranteeType::Group)?;
            let who = match uri {
                EVERYONE => "everyone (AllUsers)",
                ANY_AWS_USER => "any AWS user (AuthenticatedUsers)",
                _ => return None,
            };
            let permission = grant.permission().map(|p| p.as_str()).unwrap_or("?");
            Some(format!("{who}: {permission}"))
        })
        .collect();
    let logging =
        logging.map_err(|e| CallError::new(format!("s3:GetBucketLogging on {name}"), &e))?;
    Ok(BucketAccess {
        public_access_block,
        policy_is_public,
        public_acl_grants,
        access_log_target: logging
            .logging_enabled()
            .map(|l| format!("s3://{}/{}", l.target_bucket(), l.target_prefix())),
    })
}

/// A trail's KMS key, read as the owner its ARN names; when that account cannot be entered,
/// with the audited account's access (the key policy may name it), else not verifiable with the
/// owner, the refused call and the fix.
async fn read_key(aws: &Aws, access: &AccountAccess, key_id: &str, uses: &Uses) -> TrailKey {
    let owner = key_id
        .split(':')
        .nth(4)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .or_else(|| uses.trail_owners.iter().next().cloned())
        .unwrap_or_default();
    let unreachable: OwnerUnreachable = match access.as_owner(&owner).await {
        Ok(credentials) => {
            return TrailKey {
                arn: key_id.to_string(),
                rotation: key_rotation(aws, credentials, key_id).await.map_or_else(
                    |error| Readable::NotVerifiable {
                        reason: format!(
                            "read as its owner, account {owner}: {error}; the audit role \
                                 there needs kms:GetKeyRotationStatus and the key policy must \
                                 let the account's IAM policies grant it"
                        ),
                    },
                    Readable::Read,
                ),
                read_as_owner: Some(owner),
            }
        }
        Err(unreachable) => unreachable,
    };
    let reader = fallback_reader(uses);
    let read = match access.credentials(&reader).await {
        Ok(credentials) => key_rotation(aws, credentials, key_id)
            .await
            .map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    TrailKey {
        arn: key_id.to_string(),
        rotation: read.map_or_else(
            |error| {
                let statement = serde_json::json!({
                    "Sid": "OrgtrailAuditRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": access.principal(&reader)},
                    "Action": "kms:GetKeyRotationStatus",
                    "Resource": "*",
                });
                let policy =
                    format!("add this statement to the key policy of {key_id}: {statement}");
                let fix = match &unreachable {
                    OwnerUnreachable::Outside { .. } => policy,
                    OwnerUnreachable::NotEntered { account, .. } => format!(
                        "deploy the audit role in account {account} (the StackSet's target \
                         accounts or OUs; a stack of its own in the management account, which \
                         StackSets skip), or {policy}"
                    ),
                };
                Readable::NotVerifiable {
                    reason: format!(
                        "{unreachable}; read with account {reader}'s access instead: {error}. \
                         Fix: {fix}"
                    ),
                }
            },
            Readable::Read,
        ),
        read_as_owner: None,
    }
}

/// `key_id` as CloudTrail reports it: a key ARN, whose region is where to ask.
async fn key_rotation(
    aws: &Aws,
    credentials: Option<Credentials>,
    key_id: &str,
) -> Result<bool, CallError> {
    let region = key_id
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or(FALLBACK_REGION);
    aws.kms(region, credentials)
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .map(|answer| answer.key_rotation_enabled())
        .map_err(|e| CallError::new(format!("kms:GetKeyRotationStatus on {key_id}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_in_a_bucket_name_are_twelve_digit_runs() {
        assert_eq!(
            account_ids_in("aws-controltower-logs-222222222222-us-east-1"),
            vec!["222222222222"]
        );
        assert!(account_ids_in("logs-1234567890123-x").is_empty());
        assert!(account_ids_in("org-logs").is_empty());
    }

    #[test]
    fn the_trail_owner_reads_first_when_the_owner_cannot() {
        let uses = Uses {
            readers: ["111111111111", "222222222222"].map(String::from).into(),
            trail_owners: ["222222222222"].map(String::from).into(),
        };
        assert_eq!(fallback_reader(&uses), "222222222222");
    }
}
