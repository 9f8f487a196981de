//! AWS SDK configuration shared by the Lambdas and the provider.
//!
//! One HTTPS client on rustls with the `ring` provider (no second TLS stack is
//! built), the default credential chain, `AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_<SERVICE>` honoured by the SDK itself, and
//! explicit per-service endpoint overrides on top.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::region::{Partition, Region};

/// Builds the HTTPS client every SDK client uses: rustls with `ring`.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// How to reach AWS, beyond what the environment says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// A named profile of the shared config and credentials files.
    pub profile: Option<String>,
    /// Endpoint overrides by service id (`route53`, `apigateway`, `lambda`,
    /// ...). `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` apply too.
    pub endpoints: BTreeMap<String, String>,
    /// Attempts per SDK call (1 = no SDK retries). `None`: the SDK's default.
    pub max_attempts: Option<u32>,
    /// Timeout for each attempt of an SDK call.
    pub attempt_timeout: Option<Duration>,
}

impl AwsSettings {
    /// The endpoint override for `service`, if any.
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        self.endpoints.get(service).map(String::as_str)
    }
}

/// The SDK configuration for `region`.
pub async fn sdk_config(region: &Region, settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.as_str().to_owned()))
        .http_client(https_client());
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(attempts) = settings.max_attempts {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(attempts.max(1)));
    }
    if let Some(timeout) = settings.attempt_timeout {
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .build(),
        );
    }
    loader.load().await
}

/// The region Route 53's control plane is signed for in `partition`.
pub fn route53_region(partition: Partition) -> Region {
    let code = match partition {
        Partition::Aws => "us-east-1",
        Partition::AwsCn => "cn-northwest-1",
        Partition::AwsUsGov => "us-gov-west-1",
    };
    Region::new(code).expect("a known region")
}

/// A Route 53 client for the partition of `region`.
pub async fn route53_client(region: &Region, settings: &AwsSettings) -> aws_sdk_route53::Client {
    let config = sdk_config(&route53_region(region.partition()), settings).await;
    route53_client_from(&config, settings)
}

/// A Route 53 client from an existing SDK configuration.
pub fn route53_client_from(config: &SdkConfig, settings: &AwsSettings) -> aws_sdk_route53::Client {
    let mut builder = aws_sdk_route53::config::Builder::from(config);
    if let Some(url) = settings.endpoint("route53") {
        builder = builder.endpoint_url(url);
    }
    aws_sdk_route53::Client::from_conf(builder.build())
}
