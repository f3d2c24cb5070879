//! The resources trails point at and that the catalogue judges: log buckets and KMS keys. They
//! often live in another account (a central log archive), so each is read with the audited
//! account's own access and, where that access stops, recorded as not verifiable from here.

use aws_sdk_cloudtrail::config::Credentials;
use aws_sdk_s3::types::{BucketLocationConstraint, Type as GranteeType};

use crate::aws::{error_code, Aws, CallError, FALLBACK_REGION};
use crate::model::{BucketAccess, LogBucket, PublicAccessBlock, Readable, TrailKey};

const EVERYONE: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const ANY_AWS_USER: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

pub async fn log_bucket(aws: &Aws, credentials: Option<Credentials>, name: &str) -> LogBucket {
    LogBucket {
        name: name.to_string(),
        access: match bucket_access(aws, credentials, name).await {
            Ok(access) => Readable::Read(access),
            Err(error) => Readable::NotVerifiable {
                reason: error.to_string(),
            },
        },
    }
}

async fn bucket_access(
    aws: &Aws,
    credentials: Option<Credentials>,
    name: &str,
) -> Result<BucketAccess, CallError> {
    // GetBucketLocation answers from any region; the other calls must go to the bucket's own.
    let located = aws
        .s3(FALLBACK_REGION, credentials.clone())
        .get_bucket_location()
        .bucket(name)
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
        s3.get_public_access_block().bucket(name).send(),
        s3.get_bucket_policy_status().bucket(name).send(),
        s3.get_bucket_acl().bucket(name).send(),
        s3.get_bucket_logging().bucket(name).send(),
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

/// `key_id` as CloudTrail reports it: a key or alias ARN, whose region is where to ask.
pub async fn trail_key(aws: &Aws, credentials: Option<Credentials>, key_id: &str) -> TrailKey {
    let region = key_id
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or(FALLBACK_REGION);
    let rotation = aws
        .kms(region, credentials)
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await;
    TrailKey {
        arn: key_id.to_string(),
        rotation: match rotation {
            Ok(answer) => Readable::Read(answer.key_rotation_enabled()),
            Err(e) => Readable::NotVerifiable {
                reason: CallError::new(format!("kms:GetKeyRotationStatus on {key_id}"), &e)
                    .to_string(),
            },
        },
    }
}
