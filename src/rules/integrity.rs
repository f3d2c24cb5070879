//! Rules on how the logs are protected once written: integrity validation, encryption and its
//! key's rotation, and the log bucket's exposure and access logging.

use super::verdict::{
    create_trail_command, every_trail, judge, trail_command, AccountTrails, Judged, Verdict,
    NO_TRAIL,
};
use crate::findings::{Evidence, Status, TrailEvidence};
use crate::model::{BucketAccess, LogBucket, Readable, Trail};

pub fn log_file_validation(account: &AccountTrails) -> Verdict {
    every_trail_setting(
        account,
        |trail| match trail.log_file_validation_enabled {
            true => {
                Standing::Meets("log file validation enabled (digest files are delivered)".into())
            }
            false => Standing::Misses("log file validation disabled".into()),
        },
        (
            "Log file validation enabled on",
            "Log file validation disabled on",
        ),
        "--enable-log-file-validation",
    )
}

pub fn kms_encryption(account: &AccountTrails) -> Verdict {
    every_trail_setting(
        account,
        |trail| match &trail.kms_key_id {
            Some(key) => Standing::Meets(format!("encrypted with {key}")),
            None => {
                Standing::Misses("logs encrypted only with S3-managed keys (no KmsKeyId)".into())
            }
        },
        (
            "Logs encrypted with a KMS key on",
            "Logs not encrypted with a KMS key on",
        ),
        "--kms-key-id <kms-key-arn>   # the key policy must let cloudtrail.amazonaws.com use it",
    )
}

/// Where one trail's setting or one resource stands against a rule, and why: read, so it
/// decides (what could not be read is [`Readable::NotVerifiable`], decided elsewhere).
pub enum Standing {
    Meets(String),
    Misses(String),
}

/// A setting every trail must have, fixed trail by trail with `update-trail <option>`.
fn every_trail_setting(
    account: &AccountTrails,
    setting: impl Fn(&Trail) -> Standing,
    (pass, fail): (&str, &str),
    option: &str,
) -> Verdict {
    let trails = judge(account, |trail| match setting(trail) {
        Standing::Meets(detail) => Judged::Meets(detail),
        Standing::Misses(gap) => Judged::FallsShort(vec![gap]),
    });
    every_trail(account, trails, pass, fail, |failing| {
        failing
            .iter()
            .filter_map(|evidence| account.trails.iter().find(|t| t.arn == evidence.arn))
            .map(|trail| {
                format!(
                    "{} {option}",
                    trail_command(trail, "update-trail", account.account_id)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

pub fn kms_key_rotation(account: &AccountTrails) -> Verdict {
    resource_rule(
        account,
        ResourceRule {
            resource_of: |trail: &Trail| trail.kms_key_id.clone(),
            read: |key: &str| {
                account
                    .trail_keys
                    .iter()
                    .find(|k| k.arn == key)
                    .map(|k| (&k.rotation, k.read_as_owner.as_deref()))
            },
            judge: |rotating: &bool| {
                if *rotating {
                    Standing::Meets("automatic rotation on".to_string())
                } else {
                    Standing::Misses("automatic rotation off".to_string())
                }
            },
            missing: "no KMS key: nothing to rotate",
            pass: "Automatic rotation on for every trail's KMS key",
            fail: "Automatic rotation off, or no key to rotate, for",
            fix: |failing: &[String]| {
                failing
                    .iter()
                    .map(|key| match key.split(':').nth(3) {
                        Some(region) => {
                            format!("aws kms enable-key-rotation --region {region} --key-id {key}")
                        }
                        None => format!(
                            "Encrypt trail {key} with a customer managed KMS key, then: aws kms enable-key-rotation --key-id <key-arn>"
                        ),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        },
    )
}

/// A rule on a resource each trail points at (its log bucket, its KMS key), read as its owner
/// where orgtrail could enter the owner, else with the audited account's access.
struct ResourceRule<'r, T, Of, Read, Judge, Fix>
where
    T: 'r,
    Of: Fn(&Trail) -> Option<String>,
    Read: Fn(&str) -> Option<(&'r Readable<T>, Option<&'r str>)>,
    Judge: Fn(&T) -> Standing,
    Fix: Fn(&[String]) -> String,
{
    resource_of: Of,
    read: Read,
    judge: Judge,
    /// The evidence for a trail without such a resource (which fails the rule).
    missing: &'static str,
    pass: &'static str,
    fail: &'static str,
    /// The commands for the failing resources (a trail without one is named by its trail).
    fix: Fix,
}

/// FAIL when a resource fails or a trail has none; else ERROR ("not verifiable") when one could
/// not be read, as its owner or otherwise; else PASS. A failure outranks an unreadable resource.
fn resource_rule<'r, T, Of, Read, Judge, Fix>(
    account: &AccountTrails,
    rule: ResourceRule<'r, T, Of, Read, Judge, Fix>,
) -> Verdict
where
    Of: Fn(&Trail) -> Option<String>,
    Read: Fn(&str) -> Option<(&'r Readable<T>, Option<&'r str>)>,
    Judge: Fn(&T) -> Standing,
    Fix: Fn(&[String]) -> String,
{
    let (mut trails, mut failing, mut unreadable) = (Vec::new(), Vec::new(), Vec::new());
    let mut undescribed = Vec::new();
    for trail in account.trails {
        // A trail DescribeTrails did not return has no known bucket or key: undecided, like a
        // resource that could not be read.
        if let Err(unread) = trail.described() {
            undescribed.push(format!("{} ({})", trail.name, unread.error));
            trails.push(TrailEvidence::unread(trail, unread.error.clone()));
            continue;
        }
        let Some(resource) = (rule.resource_of)(trail) else {
            failing.push(trail.name.clone());
            trails.push(TrailEvidence::of(trail, false, rule.missing.to_string()));
            continue;
        };
        let (meets_rule, detail) = match (rule.read)(&resource) {
            Some((Readable::Read(state), read_as)) => {
                let (meets, detail) = match (rule.judge)(state) {
                    Standing::Meets(detail) => (true, detail),
                    Standing::Misses(detail) => {
                        failing.push(resource.clone());
                        (false, detail)
                    }
                };
                (meets, format!("{detail} ({})", read_as_words(read_as)))
            }
            Some((Readable::NotVerifiable { reason }, _)) => {
                unreadable.push(resource.clone());
                (false, format!("not verifiable: {reason}"))
            }
            None => {
                unreadable.push(resource.clone());
                (false, "not read".to_string())
            }
        };
        trails.push(TrailEvidence::of(
            trail,
            meets_rule,
            format!("{resource}: {detail}"),
        ));
    }
    failing.sort();
    failing.dedup();
    unreadable.sort();
    unreadable.dedup();
    let (status, summary) = if account.trails.is_empty() {
        (Status::Fail, format!("{}: {NO_TRAIL}", rule.fail))
    } else if !failing.is_empty() {
        (
            Status::Fail,
            format!("{} {}", rule.fail, failing.join(", ")),
        )
    } else if !unreadable.is_empty() || !undescribed.is_empty() {
        let mut parts = Vec::new();
        if !unreadable.is_empty() {
            parts.push(format!(
                "Not verifiable: {} (neither its owner's access nor this account's could read \
                 it; the evidence names the owner, the refused call and the fix)",
                unreadable.join(", ")
            ));
        }
        if !undescribed.is_empty() {
            parts.push(format!(
                "Undecided: trail(s) not described, so their bucket or key is unknown: {}",
                undescribed.join("; ")
            ));
        }
        (Status::Error, parts.join(". "))
    } else {
        (Status::Pass, rule.pass.to_string())
    };
    Verdict {
        status,
        fix: (status == Status::Fail).then(|| {
            if account.trails.is_empty() {
                create_trail_command()
            } else {
                (rule.fix)(&failing)
            }
        }),
        evidence: Evidence {
            summary,
            trails,
            warnings: Vec::new(),
            ..Evidence::default()
        },
    }
}

/// Public through its ACL or its policy, unless the bucket's Block Public Access neutralises it
/// (IgnorePublicAcls, RestrictPublicBuckets), as S3 itself decides.
pub fn bucket_exposure(access: &BucketAccess) -> Standing {
    let block = access.public_access_block.unwrap_or_default();
    let mut exposures = Vec::new();
    if !access.public_acl_grants.is_empty() && !block.ignore_public_acls {
        exposures.push(format!(
            "ACL grants {}",
            access.public_acl_grants.join(", ")
        ));
    }
    if access.policy_is_public == Some(true) && !block.restrict_public_buckets {
        exposures.push("bucket policy is public".to_string());
    }
    match (exposures.is_empty(), block.blocks_everything()) {
        (false, _) => Standing::Misses(format!("publicly accessible: {}", exposures.join("; "))),
        (true, true) => Standing::Meets("Block Public Access on (all four settings)".to_string()),
        (true, false) => Standing::Meets("no public ACL grant or public policy".to_string()),
    }
}

/// Whose access a verdict's data was read with: the owner's makes it the resource's own state.
fn read_as_words(read_as: Option<&str>) -> String {
    match read_as {
        Some(owner) => format!("read as its owner, account {owner}"),
        None => "read with this account's access".to_string(),
    }
}

fn bucket_of(trail: &Trail) -> Option<String> {
    trail.s3_bucket_name.clone()
}

fn log_bucket<'r>(
    buckets: &'r [LogBucket],
    name: &str,
) -> Option<(&'r Readable<BucketAccess>, Option<&'r str>)> {
    buckets
        .iter()
        .find(|b| b.name == name)
        .map(|b| (&b.access, b.read_as_owner.as_deref()))
}

pub fn log_bucket_not_public(account: &AccountTrails) -> Verdict {
    resource_rule(
        account,
        ResourceRule {
            resource_of: bucket_of,
            read: |bucket: &str| log_bucket(account.log_buckets, bucket),
            judge: bucket_exposure,
            missing: "no S3 bucket",
            pass: "No log bucket is publicly accessible",
            fail: "Publicly accessible log bucket",
            fix: |buckets: &[String]| {
                buckets
                    .iter()
                    .map(|bucket| {
                        format!(
                            "aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration \
                             BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        },
    )
}

pub fn log_bucket_access_logging(account: &AccountTrails) -> Verdict {
    resource_rule(
        account,
        ResourceRule {
            resource_of: bucket_of,
            read: |bucket: &str| log_bucket(account.log_buckets, bucket),
            judge: |access: &BucketAccess| match &access.access_log_target {
                Some(target) => Standing::Meets(format!("server access logs go to {target}")),
                None => Standing::Misses("server access logging off".to_string()),
            },
            missing: "no S3 bucket",
            pass: "Server access logging on for every log bucket",
            fail: "Server access logging off on",
            fix: |buckets: &[String]| {
                buckets
                    .iter()
                    .map(|bucket| {
                        format!(
                            "aws s3api put-bucket-logging --bucket {bucket} --bucket-logging-status \
                             '{{\"LoggingEnabled\":{{\"TargetBucket\":\"<access-log-bucket>\",\"TargetPrefix\":\"{bucket}/\"}}}}'"
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        },
    )
}
