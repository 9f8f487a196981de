//! The health probe along the bench's data plane: name -> alias record in
//! moto -> the region's front -> custom domain -> REST API -> health route ->
//! the region's Lambda endpoint.

mod support;

use std::time::Duration;

use anyhow::Result;
use multiregion_bench::{Bench, FirstAddress, FrontState};
use multiregion_core::probe::{ProbeError, ProbeSettings, Prober, Resolver, Trust};
use multiregion_core::{Pair, Reason, Region, RetryPolicy, SwapRequest, swap::swap};
use support::*;

fn prober(bench: &Bench) -> Result<Prober> {
    let settings = ProbeSettings {
        resolver: Resolver::TestService {
            url: bench.resolver_url(),
        },
        trust: Trust::TestCa {
            pem: bench.ca_path().to_path_buf(),
        },
        ..ProbeSettings::new("health", Duration::from_secs(3))
    };
    Ok(Prober::new(settings)?)
}

async fn deployed() -> Result<(Bench, aws_sdk_route53::Client, Pair)> {
    init_logs();
    let bench = Bench::start().await?;
    let route53 = route53(&bench, "tester").await;
    let zone = create_zone(&route53).await?;
    let east = create_region(&bench, EAST).await?;
    let west = create_region(&bench, WEST).await?;
    for region in [EAST, WEST] {
        let lambda = pong_endpoint(region).await?;
        bench
            .fronts()
            .set_lambda_endpoint(region, &format!("http://{lambda}"))
            .await?;
    }
    let pair = Pair {
        hosted_zone_id: zone,
        active_name: ACTIVE_NAME.into(),
        standby_name: STANDBY_NAME.into(),
        regions: [east, west],
    };
    let create = SwapRequest {
        target: Region::new(EAST)?,
        reason: Reason::Create,
        execution: None,
        epoch: 1,
    };
    swap(&route53, &pair, &create, RetryPolicy::ONCE).await?;
    Ok((bench, route53, pair))
}

#[tokio::test]
async fn the_probe_follows_the_records_to_the_answering_region() -> Result<()> {
    let (bench, route53, pair) = deployed().await?;
    let prober = prober(&bench)?;

    let active = prober.probe(ACTIVE_NAME).await?;
    assert_eq!(active.region.as_str(), EAST);
    assert!(active.latency > Duration::ZERO && active.latency < Duration::from_secs(3));
    assert_eq!(prober.probe(STANDBY_NAME).await?.region.as_str(), WEST);

    // After a swap the public name answers from the other region.
    let to_west = SwapRequest {
        target: Region::new(WEST)?,
        reason: Reason::Runtime,
        execution: None,
        epoch: 2,
    };
    swap(&route53, &pair, &to_west, RetryPolicy::ONCE).await?;
    assert_eq!(prober.probe(ACTIVE_NAME).await?.region.as_str(), WEST);
    assert_eq!(prober.probe(STANDBY_NAME).await?.region.as_str(), EAST);
    Ok(())
}

#[tokio::test]
async fn a_region_whose_front_is_off_fails_the_probe_and_the_other_still_answers() -> Result<()> {
    let (bench, _route53, _pair) = deployed().await?;
    let prober = prober(&bench)?;

    bench.fronts().set_state(EAST, FrontState::Refuse).await?;
    let error = prober.probe(ACTIVE_NAME).await.unwrap_err();
    assert!(
        matches!(
            error,
            ProbeError::Tls { .. } | ProbeError::Http(_) | ProbeError::Connect { .. }
        ),
        "{error:?}"
    );
    assert_eq!(prober.probe(STANDBY_NAME).await?.region.as_str(), WEST);

    bench
        .fronts()
        .set_state(EAST, FrontState::Status(503))
        .await?;
    assert_eq!(
        prober.probe(ACTIVE_NAME).await,
        Err(ProbeError::Status(503))
    );

    bench.fronts().set_state(EAST, FrontState::Hang).await?;
    let short = Prober::new(ProbeSettings {
        timeout: Duration::from_millis(300),
        ..prober.settings().clone()
    })?;
    assert_eq!(
        short.probe(ACTIVE_NAME).await,
        Err(ProbeError::Timeout(Duration::from_millis(300)))
    );

    bench.fronts().set_state(EAST, FrontState::Up).await?;
    assert_eq!(prober.probe(ACTIVE_NAME).await?.region.as_str(), EAST);
    Ok(())
}

/// An alias answer for an API Gateway regional domain carries several
/// addresses (DESIGN §6); when the first is unreachable, the others still
/// serve the name, and the probe must not call it down.
#[tokio::test]
async fn a_dead_first_address_leaves_the_name_to_the_others() -> Result<()> {
    let (bench, _route53, _pair) = deployed().await?;
    // A short budget, so that the black hole costs little: each address is
    // given an equal share of what is left.
    let prober = Prober::new(ProbeSettings {
        timeout: Duration::from_secs(1),
        ..prober(&bench)?.settings().clone()
    })?;
    let addresses = bench.fronts().addresses(EAST).await?;
    assert_eq!(addresses.len(), 2, "{addresses:?}");
    let (_, first) = prober.probe_with_address(ACTIVE_NAME).await?;
    assert_eq!(first, addresses[0], "all up: the first address answers");

    for dead in [FirstAddress::Refused, FirstAddress::Silent] {
        bench.fronts().set_first_address(EAST, dead).await?;
        let answer = prober.probe(ACTIVE_NAME).await;
        assert_eq!(
            answer.as_ref().map(|a| a.region.as_str()),
            Ok(EAST),
            "first address {dead:?}: {answer:?}"
        );
        let (_, address) = prober.probe_with_address(ACTIVE_NAME).await?;
        assert_eq!(address, addresses[1], "first address {dead:?}");
    }

    // With every address gone the name is down.
    bench
        .fronts()
        .set_first_address(EAST, FirstAddress::Refused)
        .await?;
    bench.fronts().set_state(EAST, FrontState::Refuse).await?;
    assert!(prober.probe(ACTIVE_NAME).await.is_err());
    Ok(())
}

/// An API's resource policy applies to the probes, which call anonymously
/// (DESIGN §6): API Gateway answers 403 unless a statement allows them.
#[tokio::test]
async fn a_resource_policy_that_does_not_allow_the_probe_fails_it() -> Result<()> {
    let (bench, _route53, _pair) = deployed().await?;
    let prober = prober(&bench)?;
    let apigw = aws_sdk_apigateway::Client::new(&sdk(&bench, EAST, "setup").await);
    let mappings = apigw
        .get_base_path_mappings()
        .domain_name(ACTIVE_NAME)
        .send()
        .await?;
    let api_id = mappings.items()[0]
        .rest_api_id()
        .unwrap_or_default()
        .to_owned();
    let set_policy = |policy: serde_json::Value| {
        apigw
            .update_rest_api()
            .rest_api_id(&api_id)
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/policy")
                    .value(policy.to_string())
                    .build(),
            )
            .send()
    };
    let statement = |effect: &str, resource: &str| {
        serde_json::json!({ "Effect": effect, "Principal": "*",
            "Action": "execute-api:Invoke", "Resource": resource })
    };
    // Only a VPC endpoint may call: the probes come over the internet.
    set_policy(serde_json::json!({ "Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": { "StringEquals": { "aws:SourceVpce": "vpce-1a2b3c4d" } } }] }))
    .await?;
    assert_eq!(
        prober.probe(ACTIVE_NAME).await,
        Err(ProbeError::Status(403))
    );
    assert_eq!(prober.probe(STANDBY_NAME).await?.region.as_str(), WEST);

    // The statement the plan's warning names lets them through.
    set_policy(serde_json::json!({ "Version": "2012-10-17", "Statement": [
        statement("Allow", "execute-api:/prod/GET/health/ping"),
    ] }))
    .await?;
    assert_eq!(prober.probe(ACTIVE_NAME).await?.region.as_str(), EAST);
    // ... unless a Deny overrides it.
    set_policy(serde_json::json!({ "Version": "2012-10-17", "Statement": [
        statement("Allow", "execute-api:/prod/GET/health/ping"),
        statement("Deny", "execute-api:/prod/*"),
    ] }))
    .await?;
    assert_eq!(
        prober.probe(ACTIVE_NAME).await,
        Err(ProbeError::Status(403))
    );
    Ok(())
}

#[tokio::test]
async fn names_without_records_and_untrusted_certificates_fail() -> Result<()> {
    let (bench, _route53, _pair) = deployed().await?;
    let prober = prober(&bench)?;
    assert!(matches!(
        prober.probe("nothing.example.com").await,
        Err(ProbeError::Resolve { .. })
    ));
    // Without the bench CA the front's certificate is not trusted.
    let untrusting = Prober::new(ProbeSettings {
        trust: Trust::WebPki,
        ..prober.settings().clone()
    })?;
    assert!(matches!(
        untrusting.probe(ACTIVE_NAME).await,
        Err(ProbeError::Tls { .. })
    ));
    Ok(())
}

#[test]
fn production_settings_use_system_dns_and_the_web_pki() {
    let settings = ProbeSettings::new("/health/", Duration::from_secs(2));
    assert_eq!(settings.resolver, Resolver::System);
    assert_eq!(settings.trust, Trust::WebPki);
    assert_eq!(settings.path(), "/health/ping");
}
