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
}

/// The per-region client cache.
#[derive(Debug)]
pub struct Clients {
    settings: AwsSettings,
    regions: Mutex<HashMap<Region, Arc<OnceCell<RegionClients>>>>,
    route53: Mutex<HashMap<&'static str, Arc<OnceCell<aws_sdk_route53::Client>>>>,
}

impl Clients {
    /// A cache for clients configured by `settings`.
    pub fn new(settings: AwsSettings) -> Self {
        Clients {
            settings,
            regions: Mutex::default(),
            route53: Mutex::default(),
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
            let mut apigateway = aws_sdk_apigateway::config::Builder::from(&config);
            if let Some(url) = self.settings.endpoint("apigateway") {
                apigateway = apigateway.endpoint_url(url);
            }
            let mut acm = aws_sdk_acm::config::Builder::from(&config);
            if let Some(url) = self.settings.endpoint("acm") {
                acm = acm.endpoint_url(url);
            }
            RegionClients {
                apigateway: aws_sdk_apigateway::Client::from_conf(apigateway.build()),
                acm: aws_sdk_acm::Client::from_conf(acm.build()),
            }
        })
        .await
        .clone()
    }

    /// The Route 53 client of `region`'s partition.
    pub async fn route53(&self, region: &Region) -> aws_sdk_route53::Client {
        let signing = route53_region(region.partition());
        let key = region.partition().as_str();
        let cell = self.route53.lock().await.entry(key).or_default().clone();
        cell.get_or_init(|| async {
            let config = self.sdk(&signing).await;
            multiregion_core::aws::route53_client_from(&config, &self.settings)
        })
        .await
        .clone()
    }
}
