//! STS → credentials inside each member account.

use aws_sdk_sts::config::Credentials;
use aws_sdk_sts::Client;

use crate::aws::CallError;

#[derive(Debug, Clone)]
pub struct AuditRole {
    pub role_name: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

impl AuditRole {
    pub fn arn(&self, account_id: &str) -> String {
        format!("arn:aws:iam::{account_id}:role/{}", self.role_name)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AssumeError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("sts:AssumeRole into {0} returned no credentials")]
    NoCredentials(String),
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub arn: String,
}

impl Caller {
    /// The partition of the caller's ARN (`aws`, `aws-cn`, `aws-us-gov`), `aws` when unknown.
    pub fn partition(&self) -> &str {
        self.arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
    }
}

pub async fn caller_identity(client: &Client) -> Result<Caller, CallError> {
    let identity = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CallError::new("sts:GetCallerIdentity", &e))?;
    Ok(Caller {
        account_id: identity.account().unwrap_or_default().to_string(),
        arn: identity.arn().unwrap_or_default().to_string(),
    })
}

/// Credentials for `account_id`: `None` means "use the caller's own", which is how the caller's
/// account is audited (no role needed there, and none may exist).
pub async fn credentials_for(
    client: &Client,
    caller: &Caller,
    account_id: &str,
    role: &AuditRole,
) -> Result<Option<Credentials>, AssumeError> {
    if account_id == caller.account_id {
        return Ok(None);
    }
    let role_arn = role.arn(account_id);
    let assumed = client
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name(&role.session_name)
        .set_external_id(role.external_id.clone())
        .send()
        .await
        .map_err(|e| CallError::new(format!("sts:AssumeRole into {role_arn}"), &e))?;
    let credentials = assumed
        .credentials()
        .ok_or_else(|| AssumeError::NoCredentials(role_arn.clone()))?;
    let expiry = std::time::SystemTime::try_from(*credentials.expiration()).ok();
    Ok(Some(Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_string()),
        expiry,
        "orgtrail-assume-role",
    )))
}
