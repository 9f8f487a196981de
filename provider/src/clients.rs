//! One set of AWS SDK clients per region, built once per provider process.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use multiregion_core::Region;
use multiregion_core::aws::{AwsSettings, route53_region, sdk_config};
use tokio::sync::{Mutex, OnceCell};

/// The clients of one region.
#[derive(Debug, Clone)]
pub struct RegionClients {
    /// API Gateway (REST APIs, stages, custom domains, mappings).
    pub apigateway: aws_sdk_apigateway::Client,
    /// Certificate Manager (certificate checks).
    pub acm: aws_sdk_acm::Client,
    /// Lambda (the handlers).
    pub lambda: aws_sdk_lambda::Client,
    /// CloudWatch Logs (the log groups).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// SNS (the alarm and notification topics).
    pub sns: aws_sdk_sns::Client,
    /// EventBridge (the pinger's schedule).
    pub events: aws_sdk_eventbridge::Client,
    /// Step Functions (the state machine).
    pub sfn: aws_sdk_sfn::Client,
    /// CloudWatch (the paging alarm).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// SQS (the tick relay of a sub-minute interval).
    pub sqs: aws_sdk_sqs::Client,
}

/// Clients of global services.
#[derive(Debug, Clone)]
pub struct GlobalClients {
    /// IAM.
    pub iam: aws_sdk_iam::Client,
}

/// Builds a service client from `config`, with the endpoint override of
/// `service` if there is one, and the interceptor that lets its errors name
/// their operation.
macro_rules! client {
    ($krate:ident, $config:expr, $settings:expr, $service:literal) => {{
        let mut builder = $krate::config::Builder::from($config)
            .interceptor(crate::failover::sdk_error::NameTheOperation);
        if let Some(url) = $settings.endpoint($service) {
            builder = builder.endpoint_url(url);
        }
        $krate::Client::from_conf(builder.build())
    }};
}

/// The per-region client cache.
#[derive(Debug)]
pub struct Clients {
    settings: AwsSettings,
    regions: Mutex<HashMap<Region, Arc<OnceCell<RegionClients>>>>,
    route53: Mutex<HashMap<&'static str, Arc<OnceCell<aws_sdk_route53::Client>>>>,
    global: Mutex<HashMap<&'static str, Arc<OnceCell<GlobalClients>>>>,
}

impl Clients {
    /// A cache for clients configured by `settings`.
    pub fn new(settings: AwsSettings) -> Self {
        Clients {
            settings,
            regions: Mutex::default(),
            route53: Mutex::default(),
            global: Mutex::default(),
        }
    }

    /// The settings the clients are built with.
    pub fn settings(&self) -> &AwsSettings {
        &self.settings
    }

    async fn sdk(&self, region: &Region) -> SdkConfig {
        sdk_config(region, &self.settings).await
    }

    /// The clients of `region`.
    pub async fn region(&self, region: &Region) -> RegionClients {
        let cell = self
            .regions
            .lock()
            .await
            .entry(region.clone())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            let config = self.sdk(region).await;
            let settings = &self.settings;
            RegionClients {
                apigateway: client!(aws_sdk_apigateway, &config, settings, "apigateway"),
                acm: client!(aws_sdk_acm, &config, settings, "acm"),
                lambda: client!(aws_sdk_lambda, &config, settings, "lambda"),
                logs: client!(aws_sdk_cloudwatchlogs, &config, settings, "logs"),
                sns: client!(aws_sdk_sns, &config, settings, "sns"),
                events: client!(aws_sdk_eventbridge, &config, settings, "events"),
                sfn: client!(aws_sdk_sfn, &config, settings, "sfn"),
                cloudwatch: client!(aws_sdk_cloudwatch, &config, settings, "cloudwatch"),
                sqs: client!(aws_sdk_sqs, &config, settings, "sqs"),
            }
        })
        .await
        .clone()
    }

    /// The global clients of `region`'s partition (IAM).
    pub async fn global(&self, region: &Region) -> GlobalClients {
        let signing = route53_region(region.partition());
        let cell = self
            .global
            .lock()
            .await
            .entry(region.partition().as_str())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            let config = self.sdk(&signing).await;
            GlobalClients {
                iam: client!(aws_sdk_iam, &config, &self.settings, "iam"),
            }
        })
        .await
        .clone()
    }

    /// The Route 53 client of `region`'s partition, shared by every
    /// resource: its requests are paced to the account's rate
    /// ([`crate::route53_rate`]).
    pub async fn route53(&self, region: &Region) -> aws_sdk_route53::Client {
        let signing = route53_region(region.partition());
        let key = region.partition().as_str();
        let cell = self.route53.lock().await.entry(key).or_default().clone();
        cell.get_or_init(|| async {
            let mut config = self.sdk(&signing).await;
            if let Some(http) = config.http_client() {
                config = config
                    .to_builder()
                    .http_client(crate::route53_rate::paced(http))
                    .build();
            }
            client!(aws_sdk_route53, &config, &self.settings, "route53")
        })
        .await
        .clone()
    }
}
