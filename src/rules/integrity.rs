//! Rules on how the logs are protected once written: integrity validation, encryption and its
//! key's rotation, and the log bucket's exposure and access logging.

use super::checks::{every_trail, judge, trail_command};
use super::{AccountTrails, Verdict};
use crate::findings::{Evidence, Status, TrailEvidence};
use crate::model::{BucketAccess, Readable, Trail};

pub fn log_file_validation(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| {
        if trail.log_file_validation_enabled {
            Ok("log file validation enabled (digest files are delivered)".into())
        } else {
            Err(vec!["log file validation disabled".into()])
        }
    });
    every_trail(
        trails,
        "Log file validation enabled on",
        "Log file validation disabled on",
        |failing| {
            commands(account, failing, |trail| {
                format!(
                    "{} --enable-log-file-validation",
                    trail_command(trail, "update-trail", account.account_id)
                )
            })
        },
    )
}

pub fn kms_encryption(account: &AccountTrails) -> Verdict {
    let trails = judge(account, |trail| match &trail.kms_key_id {
        Some(key) => Ok(format!("encrypted with {key}")),
        None => Err(vec![
            "logs encrypted only with S3-managed keys (no KmsKeyId)".into(),
        ]),
    });
    every_trail(
        trails,
        "Logs encrypted with a KMS key on",
        "Logs not encrypted with a KMS key on",
        |failing| {
            commands(account, failing, |trail| {
                format!(
                    "{} --kms-key-id <kms-key-arn>   # the key policy must let cloudtrail.amazonaws.com use it",
                    trail_command(trail, "update-trail", account.account_id)
                )
            })
        },
    )
}

pub fn kms_key_rotation(account: &AccountTrails) -> Verdict {
    let mut trails = Vec::new();
    let mut unreadable = Vec::new();
    let mut not_rotating = Vec::new();
    for trail in account.trails {
        let (meets_rule, detail) = match &trail.kms_key_id {
            None => (false, "no KMS key: nothing to rotate".to_string()),
            Some(key) => match account
                .trail_keys
                .iter()
                .find(|k| &k.arn == key)
                .map(|k| &k.rotation)
            {
                Some(Readable::Read(true)) => (true, format!("{key}: automatic rotation on")),
                Some(Readable::Read(false)) => {
                    not_rotating.push(key.clone());
                    (false, format!("{key}: automatic rotation off"))
                }
                Some(Readable::NotVerifiable { reason }) => {
                    unreadable.push(key.clone());
                    (
                        false,
                        format!("{key}: not verifiable from this account: {reason}"),
                    )
                }
                None => {
                    unreadable.push(key.clone());
                    (false, format!("{key}: not read"))
                }
            },
        };
        trails.push(TrailEvidence::of(trail, meets_rule, detail));
    }
    let keyless = account
        .trails
        .iter()
        .filter(|t| t.kms_key_id.is_none())
        .count();
    let status = if account.trails.is_empty() || keyless > 0 || !not_rotating.is_empty() {
        Status::Fail
    } else if !unreadable.is_empty() {
        Status::Error
    } else {
        Status::Pass
    };
    let summary = match status {
        Status::Pass => "Automatic rotation on for every trail's KMS key".to_string(),
        Status::Error => format!(
            "Rotation not verifiable from this account for {}",
            unreadable.join(", ")
        ),
        Status::Fail if account.trails.is_empty() => {
            "No trail, so no KMS key to rotate".to_string()
        }
        Status::Fail if !not_rotating.is_empty() => {
            format!("Automatic rotation off for {}", not_rotating.join(", "))
        }
        _ => format!("{keyless} trail(s) use no KMS key, so none to rotate"),
    };
    let fix = if not_rotating.is_empty() {
        "Encrypt the trail with a customer managed KMS key, then: aws kms enable-key-rotation --key-id <key-arn>".to_string()
    } else {
        not_rotating
            .iter()
            .map(|key| {
                let region = key.split(':').nth(3).unwrap_or("us-east-1");
                format!("aws kms enable-key-rotation --region {region} --key-id {key}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    Verdict {
        status,
        fix: (status == Status::Fail).then_some(fix),
        evidence: Evidence {
            summary,
            trails,
            warnings: Vec::new(),
        },
    }
}

/// Judge each trail's bucket with `judge_bucket`; a bucket this account cannot read makes the
/// finding an ERROR ("not verifiable from this account") unless another bucket already fails.
fn bucket_rule(
    account: &AccountTrails,
    judge_bucket: impl Fn(&BucketAccess) -> Result<String, String>,
    pass: &str,
    fail: &str,
    fix: impl Fn(&str) -> String,
) -> Verdict {
    let mut trails = Vec::new();
    let (mut failing, mut unreadable) = (Vec::new(), Vec::new());
    for trail in account.trails {
        let Some(bucket) = &trail.s3_bucket_name else {
            trails.push(TrailEvidence::of(trail, false, "no S3 bucket".into()));
            continue;
        };
        let access = account
            .log_buckets
            .iter()
            .find(|b| &b.name == bucket)
            .map(|b| &b.access);
        let (meets_rule, detail) = match access {
            Some(Readable::Read(access)) => match judge_bucket(access) {
                Ok(detail) => (true, format!("s3://{bucket}: {detail}")),
                Err(detail) => {
                    failing.push(bucket.clone());
                    (false, format!("s3://{bucket}: {detail}"))
                }
            },
            Some(Readable::NotVerifiable { reason }) => {
                unreadable.push(bucket.clone());
                (
                    false,
                    format!("s3://{bucket}: not verifiable from this account: {reason}"),
                )
            }
            None => {
                unreadable.push(bucket.clone());
                (false, format!("s3://{bucket}: not read"))
            }
        };
        trails.push(TrailEvidence::of(trail, meets_rule, detail));
    }
    failing.dedup();
    unreadable.dedup();
    let status = if account.trails.is_empty() || !failing.is_empty() {
        Status::Fail
    } else if !unreadable.is_empty() {
        Status::Error
    } else {
        Status::Pass
    };
    let summary = match status {
        Status::Pass => pass.to_string(),
        Status::Error => format!(
            "Not verifiable from this account: {} (often a central log-archive bucket; audit it from its owner account)",
            unreadable.join(", ")
        ),
        Status::Fail if account.trails.is_empty() => {
            "No trail, so no log bucket to judge".to_string()
        }
        _ => format!("{fail}: {}", failing.join(", ")),
    };
    Verdict {
        status,
        fix: (status == Status::Fail).then(|| {
            if failing.is_empty() {
                super::checks::create_trail_command()
            } else {
                failing
                    .iter()
                    .map(|b| fix(b))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }),
        evidence: Evidence {
            summary,
            trails,
            warnings: Vec::new(),
        },
    }
}

/// Public through its ACL or its policy, unless the bucket's Block Public Access neutralises it
/// (IgnorePublicAcls, RestrictPublicBuckets), as S3 itself decides.
pub fn bucket_exposure(access: &BucketAccess) -> Result<String, String> {
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
        (false, _) => Err(format!("publicly accessible: {}", exposures.join("; "))),
        (true, true) => Ok("Block Public Access on (all four settings)".to_string()),
        (true, false) => Ok("no public ACL grant or public policy".to_string()),
    }
}

pub fn log_bucket_not_public(account: &AccountTrails) -> Verdict {
    bucket_rule(
        account,
        bucket_exposure,
        "No log bucket is publicly accessible",
        "Publicly accessible log bucket",
        |bucket| {
            format!(
                "aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration \
                 BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
            )
        },
    )
}

pub fn log_bucket_access_logging(account: &AccountTrails) -> Verdict {
    bucket_rule(
        account,
        |access| match &access.access_log_target {
            Some(target) => Ok(format!("server access logs go to {target}")),
            None => Err("server access logging off".to_string()),
        },
        "Server access logging on for every log bucket",
        "Server access logging off on",
        |bucket| {
            format!(
                "aws s3api put-bucket-logging --bucket {bucket} --bucket-logging-status \
                 '{{\"LoggingEnabled\":{{\"TargetBucket\":\"<access-log-bucket>\",\"TargetPrefix\":\"{bucket}/\"}}}}'"
            )
        },
    )
}

/// One command per failing trail, in the order the evidence lists them.
fn commands(
    account: &AccountTrails,
    failing: &[&TrailEvidence],
    command: impl Fn(&Trail) -> String,
) -> String {
    failing
        .iter()
        .filter_map(|evidence| account.trails.iter().find(|t| t.arn == evidence.arn))
        .map(command)
        .collect::<Vec<_>>()
        .join("\n")
}
