//! What every AWS-facing stage shares: one SDK configuration, and one way to say what a failed
//! call did wrong.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Used when neither the environment nor the profile names a region: every audit call is
/// regional or goes to a global service reachable from here.
pub const FALLBACK_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct SdkSettings {
    /// Attempts per call, first one included, with the SDK's standard retry mode (exponential
    /// back-off with jitter; throttling errors are retried).
    pub max_attempts: u32,
    /// Bound on one attempt of one call.
    pub attempt_timeout: Duration,
}

/// The standard credential and region chain (env, profile, SSO, IMDS), with `AWS_ENDPOINT_URL`
/// honoured, so the same binary runs against an emulator.
pub async fn load_sdk_config(settings: &SdkSettings) -> SdkConfig {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(settings.attempt_timeout)
                .build(),
        )
        .load()
        .await;
    if config.region().is_some() {
        config
    } else {
        config
            .into_builder()
            .region(Region::new(FALLBACK_REGION))
            .build()
    }
}

/// One line that names the call, what AWS answered, and nothing secret.
pub fn describe_error<E, R>(operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("unknown error");
            let message = err.message().unwrap_or("");
            let kind = if is_throttling(code) {
                "throttled past the retry limit"
            } else if is_access_denied(code) {
                "access denied"
            } else {
                "failed"
            };
            format!("{operation} {kind} ({code}): {message}")
                .trim_end_matches([':', ' '])
                .to_string()
        }
        SdkError::TimeoutError(_) => format!("{operation} timed out"),
        SdkError::DispatchFailure(_) => {
            format!(
                "{operation} could not be sent: {}",
                DisplayErrorContext(error)
            )
        }
        other => format!("{operation} failed: {}", DisplayErrorContext(other)),
    }
}

pub fn error_code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}

fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "RequestThrottled"
    )
}

fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
    )
}
