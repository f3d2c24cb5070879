//! What every AWS-facing stage shares: one SDK configuration, and one way to say what a failed
//! call did wrong.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::retry::ErrorKind;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_runtime::retries::classifiers::THROTTLING_ERRORS;
use aws_sdk_cloudtrail::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_cloudtrail::config::retry::RetryAction;
use aws_sdk_cloudtrail::config::{ConfigBag, Credentials, Intercept, RuntimeComponents};
use aws_sdk_cloudtrail::error::BoxError;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::RetryReason;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

use crate::model::RetryMode;

/// Used when neither the environment nor the profile names a region: every audit call is
/// regional or goes to a global service reachable from here.
pub const FALLBACK_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct SdkSettings {
    /// Attempts per call, first one included.
    pub max_attempts: u32,
    pub retry_mode: RetryMode,
    /// Bound on one attempt of one call.
    pub attempt_timeout: Duration,
}

/// Clients for every stage, built from one configuration, all counting their calls.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub calls: CallCounter,
}

impl Aws {
    /// The standard credential and region chain (env, profile, SSO, IMDS), with
    /// `AWS_ENDPOINT_URL` honoured, so the same binary runs against an emulator.
    pub async fn load(settings: &SdkSettings) -> Self {
        Aws {
            config: load_sdk_config(settings).await,
            calls: CallCounter::default(),
        }
    }

    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        let config = aws_sdk_organizations::config::Builder::from(&self.config)
            .interceptor(self.calls.clone())
            .build();
        aws_sdk_organizations::Client::from_conf(config)
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::config::Builder::from(&self.config)
            .interceptor(self.calls.clone())
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// CloudTrail in `region`, as the caller (`None`) or with an assumed role's credentials.
    pub fn cloudtrail(
        &self,
        region: &str,
        credentials: Option<Credentials>,
    ) -> aws_sdk_cloudtrail::Client {
        let mut config = aws_sdk_cloudtrail::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .interceptor(self.calls.clone());
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_cloudtrail::Client::from_conf(config.build())
    }

    pub fn s3(&self, region: &str, credentials: Option<Credentials>) -> aws_sdk_s3::Client {
        let mut config = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            // Bucket names in the path: works for every bucket name, and against an emulator.
            .force_path_style(true)
            .interceptor(self.calls.clone());
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_s3::Client::from_conf(config.build())
    }

    pub fn kms(&self, region: &str, credentials: Option<Credentials>) -> aws_sdk_kms::Client {
        let mut config = aws_sdk_kms::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .interceptor(self.calls.clone());
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_kms::Client::from_conf(config.build())
    }

    pub fn cloudwatch_logs(
        &self,
        region: &str,
        credentials: Option<Credentials>,
    ) -> aws_sdk_cloudwatchlogs::Client {
        let mut config = aws_sdk_cloudwatchlogs::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .interceptor(self.calls.clone());
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_cloudwatchlogs::Client::from_conf(config.build())
    }

    pub fn cloudwatch(
        &self,
        region: &str,
        credentials: Option<Credentials>,
    ) -> aws_sdk_cloudwatch::Client {
        let mut config = aws_sdk_cloudwatch::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .interceptor(self.calls.clone());
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_cloudwatch::Client::from_conf(config.build())
    }

    pub fn sns(&self, region: &str, credentials: Option<Credentials>) -> aws_sdk_sns::Client {
        let mut config = aws_sdk_sns::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .interceptor(self.calls.clone());
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        aws_sdk_sns::Client::from_conf(config.build())
    }

    /// The region calls go to when no other is implied.
    pub fn region(&self) -> &str {
        self.config
            .region()
            .map(|r| r.as_ref())
            .unwrap_or(FALLBACK_REGION)
    }
}

/// Counts operations, the attempts they took, and which of the retries throttling cost, so a
/// run can say how much AWS throttled it; and keeps the operations still running, so a scan
/// that seems stuck can say what it waits on.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    operations: Arc<AtomicU64>,
    attempts: Arc<AtomicU64>,
    throttling_retries: Arc<AtomicU64>,
    in_flight: Arc<InFlight>,
}

/// An operation still running: `service:Operation`, the region it was sent to, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInFlight {
    pub operation: String,
    pub region: Option<String>,
    pub started: Instant,
}

#[derive(Debug, Default)]
struct InFlight {
    next_id: AtomicU64,
    calls: Mutex<HashMap<u64, CallInFlight>>,
}

/// Left in an operation's configuration while it runs: dropped with it (answered, failed, or
/// abandoned by a timeout or a stop), it takes the operation off the in-flight list.
#[derive(Debug)]
struct Running {
    id: u64,
    in_flight: Arc<InFlight>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut calls) = self.in_flight.calls.lock() {
            calls.remove(&self.id);
        }
    }
}

impl Storable for Running {
    type Storer = StoreReplace<Self>;
}

impl CallCounter {
    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    /// Every attempt after an operation's first, whatever made the SDK retry.
    pub fn retries(&self) -> u64 {
        self.attempts
            .load(Ordering::Relaxed)
            .saturating_sub(self.operations())
    }

    /// The retries that followed an answer the SDK classified as throttling.
    pub fn throttling_retries(&self) -> u64 {
        self.throttling_retries.load(Ordering::Relaxed)
    }

    /// How many operations are running, and the one that has run longest.
    pub fn in_flight(&self) -> (usize, Option<CallInFlight>) {
        let Ok(calls) = self.in_flight.calls.lock() else {
            return (0, None);
        };
        let oldest = calls.values().min_by_key(|call| call.started).cloned();
        (calls.len(), oldest)
    }

    /// A call the caller sends again itself once the SDK has given up on it (the period's
    /// history does): counted as a retry of that call, not as another call.
    pub fn sent_again(&self, after_throttling: bool) {
        self.operations.fetch_sub(1, Ordering::Relaxed);
        if after_throttling {
            self.throttling_retries.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Left in an operation's configuration by one attempt for the next: whether the SDK classified
/// its answer as throttling. The next attempt, if there is one, is a retry throttling cost.
#[derive(Debug, Clone, Copy)]
struct AnsweredWithThrottling(bool);

impl Storable for AnsweredWithThrottling {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "orgtrail::CallCounter"
    }

    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.operations.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Once per operation, as read_before_execution, but after the operation's own
    /// configuration (which names it) is in place: a client's interceptors see the operation's
    /// execution begin before that.
    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = match cfg.load::<Metadata>() {
            // "CloudTrail" + "GetTrailStatus": named as CallError names it.
            Some(metadata) => format!("{}:{}", metadata.service().to_lowercase(), metadata.name()),
            None => "an AWS call".to_string(),
        };
        let call = CallInFlight {
            operation,
            region: cfg.load::<Region>().map(|r| r.to_string()),
            started: Instant::now(),
        };
        let id = self.in_flight.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut calls) = self.in_flight.calls.lock() {
            calls.insert(id, call);
        }
        cfg.interceptor_state().store_put(Running {
            id,
            in_flight: self.in_flight.clone(),
        });
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if cfg
            .load::<AnsweredWithThrottling>()
            .is_some_and(|previous| previous.0)
        {
            self.throttling_retries.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The classifiers the SDK's retry strategy itself consults, so whatever it backs off
        // from as throttling (an error code in aws-runtime's THROTTLING_ERRORS, S3's 503
        // SlowDown among them, or an error modelled as throttling) is counted as throttling.
        let verdict =
            run_classifiers_on_ctx(runtime_components.retry_classifiers(), context.inner());
        let throttled = matches!(
            verdict,
            RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                ..
            })
        );
        cfg.interceptor_state()
            .store_put(AnsweredWithThrottling(throttled));
        Ok(())
    }
}

async fn load_sdk_config(settings: &SdkSettings) -> SdkConfig {
    let retry = match settings.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    };
    let config = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry.with_max_attempts(settings.max_attempts))
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

/// A failed AWS call: which operation, and what AWS (or the network) answered. Never holds a
/// credential: only the operation, the error code and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} {failure}")]
pub struct CallError {
    pub operation: String,
    pub failure: CallFailure,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// AWS answered with an error code.
    Service {
        code: String,
        message: String,
    },
    TimedOut,
    NotSent(String),
    Other(String),
}

impl CallError {
    pub fn new<E, R>(operation: impl Into<String>, error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let failure = match error {
            SdkError::ServiceError(service) => CallFailure::Service {
                code: service.err().code().unwrap_or("unknown error").to_string(),
                message: service.err().message().unwrap_or("").to_string(),
            },
            SdkError::TimeoutError(_) => CallFailure::TimedOut,
            SdkError::DispatchFailure(_) => CallFailure::NotSent(causes(error)),
            other => CallFailure::Other(causes(other)),
        };
        CallError {
            operation: operation.into(),
            failure,
        }
    }

    /// The error code AWS answered with, if it answered.
    pub fn code(&self) -> Option<&str> {
        match &self.failure {
            CallFailure::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallFailure::Service { code, message } => {
                let kind = if is_throttling(code) {
                    "throttled past the retry limit"
                } else if is_access_denied(code) {
                    "access denied"
                } else {
                    "failed"
                };
                write!(f, "{kind} ({code})")?;
                let message = message.trim_end_matches([':', ' ']);
                if message.is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {message}")
                }
            }
            CallFailure::TimedOut => f.write_str("timed out"),
            CallFailure::NotSent(causes) => write!(f, "could not be sent: {causes}"),
            CallFailure::Other(causes) => write!(f, "failed: {causes}"),
        }
    }
}

/// One line that names the call, what AWS answered, and nothing secret.
pub fn describe_error<E, R>(operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    CallError::new(operation, error).to_string()
}

/// Each cause in the chain once, in words (the SDK's own rendering ends in a Debug dump).
fn causes(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

pub fn error_code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}

/// The error codes the SDK retries as throttling (aws-runtime's `THROTTLING_ERRORS`, used by its
/// `AwsErrorCodeClassifier`): S3's `SlowDown`, EC2's `RequestLimitExceeded`, ... as well as the
/// usual `ThrottlingException`, so a message never calls throttling a plain failure.
fn is_throttling(code: &str) -> bool {
    THROTTLING_ERRORS.contains(&code)
}

fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_sdk_retries_as_throttling_is_called_throttling() {
        // S3 answers 503 SlowDown, EC2 RequestLimitExceeded, KMS ThrottlingException: all are
        // throttling to the SDK's retry strategy, so all are to the messages.
        for code in [
            "SlowDown",
            "ThrottlingException",
            "Throttling",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "ThrottledException",
            "ProvisionedThroughputExceededException",
            "BandwidthLimitExceeded",
            "PriorRequestNotComplete",
        ] {
            assert!(is_throttling(code), "{code}");
        }
        for code in ["AccessDeniedException", "InternalFailure", "InternalError"] {
            assert!(!is_throttling(code), "{code}");
        }
    }
}
