//! Shared set-up for the core's tests against the bench: a hosted zone, and
//! optionally real REST APIs and regional custom domains in both regions.
#![allow(dead_code)]

use std::net::SocketAddr;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use multiregion_bench::Bench;
use multiregion_core::aws::{AwsSettings, route53_client_from};
use multiregion_core::{AliasTarget, Pair, Region, RegionEndpoints};

pub const EAST: &str = "us-east-1";
pub const WEST: &str = "us-west-2";
pub const ACTIVE_NAME: &str = "api.example.com";
pub const STANDBY_NAME: &str = "standby-api.example.com";

/// SDK configuration for `region`, through the bench's proxy, with the
/// access key `key` so the proxy log can tell callers apart.
pub async fn sdk(bench: &Bench, region: &str, key: &str) -> SdkConfig {
    multiregion_bench::seed::sdk_config(bench, region, key).await
}

/// A Route 53 client that makes one attempt per call (so that retries are
/// our code's, visible in the proxy log).
pub async fn route53(bench: &Bench, key: &str) -> aws_sdk_route53::Client {
    route53_client_from(&sdk(bench, EAST, key).await, &AwsSettings::default())
}

/// Creates the public zone `example.com` and returns its id.
pub async fn create_zone(route53: &aws_sdk_route53::Client) -> Result<String> {
    let zone = route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference(format!("bench-{}", std::process::id()))
        .send()
        .await?;
    Ok(zone
        .hosted_zone()
        .context("no zone")?
        .id()
        .trim_start_matches("/hostedzone/")
        .to_owned())
}

/// A pair whose endpoints are made-up regional domain names: enough for
/// Route 53 tests, which never resolve them.
pub fn pair_with_fake_endpoints(zone_id: &str) -> Pair {
    let endpoints = |region: &str| RegionEndpoints {
        region: Region::new(region).expect("known region"),
        active_target: AliasTarget {
            dns_name: format!("d-active0001.execute-api.{region}.amazonaws.com"),
            hosted_zone_id: "Z2FDTNDATAQYW2".into(),
        },
        standby_target: AliasTarget {
            dns_name: format!("d-standby001.execute-api.{region}.amazonaws.com"),
            hosted_zone_id: "Z2FDTNDATAQYW2".into(),
        },
    };
    Pair {
        hosted_zone_id: zone_id.to_owned(),
        active_name: ACTIVE_NAME.into(),
        standby_name: STANDBY_NAME.into(),
        regions: [endpoints(EAST), endpoints(WEST)],
    }
}

/// An OpenAPI body with the health route, integrated with `function`.
fn openapi_with_health(region: &str, function: &str) -> String {
    serde_json::json!({
        "openapi": "3.0.1",
        "info": { "title": "orders", "version": "1", "description": "bench API" },
        "paths": {
            "/health/ping": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": format!("arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:123456789012:function:{function}/invocations"),
                    },
                    "responses": { "200": { "description": "pong" } }
                }
            }
        }
    })
    .to_string()
}

/// Creates, in `region`, a REGIONAL REST API with the health route, a
/// `prod` stage, and REGIONAL custom domains for both names mapped to it.
/// Returns the region's endpoints as the pair needs them.
pub async fn create_region(bench: &Bench, region: &str) -> Result<RegionEndpoints> {
    let apigw = aws_sdk_apigateway::Client::new(&sdk(bench, region, "setup").await);
    let api = apigw
        .import_rest_api()
        .parameters("endpointConfigurationTypes", "REGIONAL")
        .body(aws_smithy_types::Blob::new(openapi_with_health(
            region,
            "mr-orders-ponger",
        )))
        .send()
        .await?;
    let api_id = api.id().context("no API id")?.to_owned();
    apigw
        .create_deployment()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await?;
    let mut targets = Vec::new();
    for name in [ACTIVE_NAME, STANDBY_NAME] {
        let domain = apigw
            .create_domain_name()
            .domain_name(name)
            .regional_certificate_arn(format!(
                "arn:aws:acm:{region}:123456789012:certificate/bench"
            ))
            .endpoint_configuration(
                aws_sdk_apigateway::types::EndpointConfiguration::builder()
                    .types(aws_sdk_apigateway::types::EndpointType::Regional)
                    .build(),
            )
            .send()
            .await?;
        apigw
            .create_base_path_mapping()
            .domain_name(name)
            .rest_api_id(&api_id)
            .stage("prod")
            .send()
            .await?;
        targets.push(AliasTarget {
            dns_name: domain
                .regional_domain_name()
                .context("no regional name")?
                .to_owned(),
            hosted_zone_id: domain
                .regional_hosted_zone_id()
                .context("no regional zone")?
                .to_owned(),
        });
    }
    let standby_target = targets.pop().context("two domains")?;
    let active_target = targets.pop().context("two domains")?;
    Ok(RegionEndpoints {
        region: Region::new(region)?,
        active_target,
        standby_target,
    })
}

/// A stand-in for a region's Lambda Invoke endpoint that answers as the
/// ponger of `region` would (the bench's [`multiregion_bench::pong`]).
pub async fn pong_endpoint(region: &'static str) -> Result<SocketAddr> {
    multiregion_bench::pong::serve(region).await
}

/// Sends `tracing` output to the test's captured output (shown on failure).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
}
