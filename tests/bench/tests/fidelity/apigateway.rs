//! The bench's API Gateway fidelity against moto: what API Gateway refuses
//! and moto accepts, and its fixed control-plane quotas.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};
use multiregion_bench::{Bench, QuotaSettings};

const KEY: &str = "AKIDQUOTA";

async fn apigateway(bench: &Bench, region: &str, key: &str) -> aws_sdk_apigateway::Client {
    // One attempt per call: a refusal reaches the test as it is.
    aws_sdk_apigateway::Client::new(&multiregion_bench::seed::sdk_config(bench, region, key).await)
}

fn regional() -> EndpointConfiguration {
    EndpointConfiguration::builder()
        .types(EndpointType::Regional)
        .build()
}

/// Creates the REGIONAL domain `name`; on refusal, the error's code and
/// message.
async fn create_domain(client: &aws_sdk_apigateway::Client, name: &str) -> Result<(), String> {
    client
        .create_domain_name()
        .domain_name(name)
        .regional_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/bench")
        .endpoint_configuration(regional())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let e = e.into_service_error();
            format!(
                "{}: {}",
                e.code().unwrap_or("?"),
                e.message().unwrap_or("?")
            )
        })
}

#[tokio::test]
async fn an_unpaced_burst_is_refused_per_account_and_region() -> Result<()> {
    let bench = Bench::start().await?;
    let east = apigateway(&bench, "us-east-1", KEY).await;
    // Without enforcement, moto takes any burst.
    create_domain(&east, "a.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    create_domain(&east, "b.example.com")
        .await
        .map_err(anyhow::Error::msg)?;

    // AWS's own intervals: CreateDomainName is 1 per 30 s.
    bench
        .proxy()
        .set_apigateway_quotas(Some(QuotaSettings::scaled(1.0)));
    create_domain(&east, "c.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(
        create_domain(&east, "d.example.com").await,
        Err("TooManyRequestsException: Too Many Requests".to_owned())
    );
    // Another account, or another region, has its own quota.
    let other = apigateway(&bench, "us-east-1", "AKIDOTHER").await;
    create_domain(&other, "e.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    let west = apigateway(&bench, "us-west-2", KEY).await;
    create_domain(&west, "f.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    // The refused call was not created and the log shows the refusal.
    assert!(
        east.get_domain_name()
            .domain_name("d.example.com")
            .send()
            .await
            .is_err()
    );
    let refused: Vec<String> = bench
        .proxy()
        .log()
        .iter()
        .filter(|e| e.status == 429)
        .map(|e| format!("{} {} {}", e.region, e.operation, e.outcome))
        .collect();
    assert_eq!(
        refused,
        ["us-east-1 CreateDomainName TooManyRequestsException"]
    );

    // Scaled down, the same interval is 3 s: a burst is still refused, and a
    // call after the interval passes. (At the suites' 0.001 the interval is
    // 30 ms, less than two calls can take on a busy machine.)
    let scale = 0.1;
    bench
        .proxy()
        .set_apigateway_quotas(Some(QuotaSettings::scaled(scale).for_access_key(KEY)));
    create_domain(&east, "g.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(create_domain(&east, "h.example.com").await.is_err());
    tokio::time::sleep(Duration::from_secs(30).mul_f64(scale)).await;
    create_domain(&east, "h.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    // CreateRestApi of a REGIONAL API is 1 per 3 s.
    bench
        .proxy()
        .set_apigateway_quotas(Some(QuotaSettings::scaled(1.0)));
    let api = east
        .create_rest_api()
        .name("one")
        .endpoint_configuration(regional())
        .send()
        .await?;
    let second = east
        .create_rest_api()
        .name("two")
        .endpoint_configuration(regional())
        .send()
        .await;
    assert_eq!(
        second
            .map_err(|e| e.into_service_error().code().map(str::to_owned))
            .err(),
        Some(Some("TooManyRequestsException".to_owned()))
    );
    assert!(api.id().is_some());
    Ok(())
}

/// `code: message` of a service error.
fn code<E, R>(error: aws_sdk_apigateway::error::SdkError<E, R>) -> String
where
    aws_sdk_apigateway::error::SdkError<E, R>: ProvideErrorMetadata,
{
    format!(
        "{}: {}",
        error.code().unwrap_or("?"),
        error.message().unwrap_or("?")
    )
}

#[tokio::test]
async fn a_mapped_api_is_not_deleted_and_the_empty_base_path_stands_alone() -> Result<()> {
    let bench = Bench::start().await?;
    let client = apigateway(&bench, "us-east-1", KEY).await;
    let api = client
        .create_rest_api()
        .name("mapped")
        .endpoint_configuration(regional())
        .send()
        .await?
        .id()
        .context("id")?
        .to_owned();
    let other = client
        .create_rest_api()
        .name("other")
        .endpoint_configuration(regional())
        .send()
        .await?
        .id()
        .context("id")?
        .to_owned();
    create_domain(&client, "api.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    client
        .create_base_path_mapping()
        .domain_name("api.example.com")
        .rest_api_id(&api)
        .send()
        .await?;

    // Mapped at the empty base path: nothing else can be mapped beside it.
    let beside = client
        .create_base_path_mapping()
        .domain_name("api.example.com")
        .base_path("health")
        .rest_api_id(&other)
        .send()
        .await
        .map_err(code)
        .err();
    assert_eq!(
        beside.as_deref(),
        Some(
            "BadRequestException: Only one base path mapping is allowed if the base path is empty."
        )
    );
    // A mapped API is not deleted.
    let refused = client
        .delete_rest_api()
        .rest_api_id(&api)
        .send()
        .await
        .map_err(code)
        .err()
        .unwrap_or_default();
    assert!(
        refused.starts_with("BadRequestException:")
            && refused.contains("Please remove all base path mappings"),
        "{refused}"
    );
    client.get_rest_api().rest_api_id(&api).send().await?;
    // Deleting a domain deletes its mappings: created again, it has none,
    // and the API it served can go.
    create_domain(&client, "other.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    client
        .create_base_path_mapping()
        .domain_name("other.example.com")
        .rest_api_id(&other)
        .send()
        .await?;
    client
        .delete_domain_name()
        .domain_name("other.example.com")
        .send()
        .await?;
    create_domain(&client, "other.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    let left = client
        .get_base_path_mappings()
        .domain_name("other.example.com")
        .send()
        .await?;
    assert!(left.items().is_empty(), "{left:?}");
    client.delete_rest_api().rest_api_id(&other).send().await?;
    // The mapped one goes once it is unmapped.
    client
        .delete_base_path_mapping()
        .domain_name("api.example.com")
        .base_path("(none)")
        .send()
        .await?;
    client.delete_rest_api().rest_api_id(&api).send().await?;
    Ok(())
}

#[tokio::test]
async fn a_domains_certificate_is_updated_as_api_gateway_does_it() -> Result<()> {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    let bench = Bench::start().await?;
    let client = apigateway(&bench, "us-east-1", KEY).await;
    create_domain(&client, "api.example.com")
        .await
        .map_err(anyhow::Error::msg)?;
    let replaced = "arn:aws:acm:us-east-1:123456789012:certificate/renewed";
    let patch = |value: &str| {
        PatchOperation::builder()
            .op(Op::Replace)
            .path("/regionalCertificateArn")
            .value(value)
            .build()
    };
    let updated = client
        .update_domain_name()
        .domain_name("api.example.com")
        .patch_operations(patch(replaced))
        .send()
        .await?;
    assert_eq!(updated.regional_certificate_arn(), Some(replaced));
    let read = client
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await?;
    assert_eq!(read.regional_certificate_arn(), Some(replaced));
    let listed = client.get_domain_names().send().await?;
    assert_eq!(listed.items()[0].regional_certificate_arn(), Some(replaced));

    // Two updates in a row are one too many for the quota (1 per 30 s).
    bench
        .proxy()
        .set_apigateway_quotas(Some(QuotaSettings::scaled(1.0)));
    client
        .update_domain_name()
        .domain_name("api.example.com")
        .patch_operations(patch(replaced))
        .send()
        .await?;
    let again = client
        .update_domain_name()
        .domain_name("api.example.com")
        .patch_operations(patch(replaced))
        .send()
        .await;
    assert_eq!(
        again
            .map_err(|e| e.into_service_error().code().map(str::to_owned))
            .err(),
        Some(Some("TooManyRequestsException".to_owned()))
    );
    // A domain that does not exist is not found.
    bench.proxy().set_apigateway_quotas(None);
    let missing = client
        .update_domain_name()
        .domain_name("nothing.example.com")
        .patch_operations(patch(replaced))
        .send()
        .await;
    assert_eq!(
        missing
            .map_err(|e| e.into_service_error().code().map(str::to_owned))
            .err(),
        Some(Some("NotFoundException".to_owned()))
    );
    Ok(())
}
