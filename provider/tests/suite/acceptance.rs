//! Acceptance tests: real Terraform, the provider as built, moto behind the
//! bench's proxy.

use crate::support::*;
use anyhow::Result;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_converge_destroy_and_nothing_is_left() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    Config::managed(&world).write(&workdir)?;
    apply_converged(&workdir).await?;

    let mut apis = 0;
    let mut domains = 0;
    for region in [EAST, WEST] {
        let apigw = world.apigateway(region).await;
        apis += apigw.get_rest_apis().send().await?.items().len();
        let names = apigw.get_domain_names().send().await?;
        for domain in names.items() {
            let mappings = apigw
                .get_base_path_mappings()
                .domain_name(domain.domain_name().unwrap_or_default())
                .send()
                .await?;
            assert_eq!(mappings.items().len(), 1, "{domain:?}");
            domains += 1;
        }
    }
    assert_eq!((apis, domains), (2, 4));
    let mut records = world.records().await?;
    records.sort();
    assert_eq!(
        records,
        [
            ("_failover.api.example.com".to_owned(), "TXT".to_owned()),
            ("api.example.com".to_owned(), "A".to_owned()),
            ("standby-api.example.com".to_owned(), "A".to_owned()),
        ]
    );
    let outputs = workdir.outputs().await?;
    assert_eq!(outputs["active_region"]["value"], EAST);
    // The computed figures of the defaults, as the plan had them:
    // 60 + 60 + 2, and 3 × 2 + 10 + 60.
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(
        (
            &values["detection_time_seconds"],
            &values["swap_budget_seconds"]
        ),
        (&serde_json::json!(122), &serde_json::json!(76))
    );

    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_openapi_body_is_imported_in_place_with_the_health_route() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    let state = workdir.state_json().await?;
    let api_id = |state: &serde_json::Value| {
        state["values"]["root_module"]["resources"][0]["values"]["secondary"]["rest_api_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let before = api_id(&state);

    // A new route in the secondary's body.
    let Api::Body(body) = &config.secondary.api else {
        unreachable!()
    };
    let with_items = body.replace("\"/orders\":", "\"/items\": { \"get\": { \"responses\": { \"200\": { \"description\": \"items\" } }, \"x-amazon-apigateway-integration\": { \"type\": \"aws_proxy\", \"httpMethod\": \"POST\", \"uri\": \"arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:items/invocations\" } } },\n    \"/orders\":");
    config.secondary.api = Api::Body(with_items);
    config.write(&workdir)?;
    let plan = workdir.plan(&[]).await?.expect(2)?;
    assert!(plan.stdout.contains("update in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    apply_converged(&workdir).await?;

    let after = api_id(&workdir.state_json().await?);
    assert_eq!(before, after, "updated in place, same API");
    let resources = world
        .apigateway(WEST)
        .await
        .get_resources()
        .rest_api_id(&after)
        .send()
        .await?;
    let mut paths: Vec<&str> = resources.items().iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(paths, ["/", "/health", "/health/ping", "/items", "/orders"]);
    let deployments = world
        .apigateway(WEST)
        .await
        .get_deployments()
        .rest_api_id(&after)
        .send()
        .await?;
    assert_eq!(
        deployments.items().len(),
        2,
        "redeployed after the new body"
    );
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_change_replaces_the_resource_and_cleans_the_old_region() -> Result<()> {
    let world = World::with_regions(&[EAST, WEST, "eu-west-1"]).await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.write(&workdir)?;
    apply_converged(&workdir).await?;

    config.secondary.region = "eu-west-1".into();
    config.secondary.certificate_arn = world.certificate("eu-west-1").to_owned();
    config.secondary.api = Api::Body(world.body("eu-west-1", "1.0"));
    config.write(&workdir)?;
    let plan = workdir.plan(&[]).await?.expect(2)?;
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    assert!(
        plan.stdout.lines().any(|l| l.contains("region")
            && l.contains("\"us-west-2\" -> \"eu-west-1\" # forces replacement")),
        "{}",
        plan.stdout
    );
    apply_converged(&workdir).await?;
    let west = world.apigateway(WEST).await;
    assert!(
        west.get_rest_apis().send().await?.items().is_empty()
            && west.get_domain_names().send().await?.items().is_empty(),
        "the old region is cleaned: {:?}",
        world.sweep().await?
    );
    let europe = world.apigateway("eu-west-1").await;
    assert_eq!(europe.get_domain_names().send().await?.items().len(), 2);
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_disappears_out_of_band_is_recreated() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    Config::managed(&world).write(&workdir)?;
    apply_converged(&workdir).await?;

    // One API deleted by hand: the plan updates in place to recreate it.
    let west = world.apigateway(WEST).await;
    let api = west.get_rest_apis().send().await?.items()[0]
        .id()
        .unwrap_or_default()
        .to_owned();
    // API Gateway deletes no API that a base path mapping points at: whoever
    // deletes it by hand unmaps it first.
    for name in [ACTIVE_NAME, STANDBY_NAME] {
        west.delete_base_path_mapping()
            .domain_name(name)
            .base_path("(none)")
            .send()
            .await?;
    }
    west.delete_rest_api().rest_api_id(&api).send().await?;
    assert_planned(&workdir, "update").await?;
    apply_converged(&workdir).await?;
    assert_eq!(west.get_rest_apis().send().await?.items().len(), 1);

    // Everything deleted by hand: the resource is gone, the plan creates it.
    for region in [EAST, WEST] {
        // The domains (with their mappings) first: API Gateway deletes no
        // API that a mapping points at.
        let apigw = world.apigateway(region).await;
        for domain in apigw.get_domain_names().send().await?.items() {
            apigw
                .delete_domain_name()
                .domain_name(domain.domain_name().unwrap_or_default())
                .send()
                .await?;
        }
        for api in apigw.get_rest_apis().send().await?.items() {
            apigw
                .delete_rest_api()
                .rest_api_id(api.id().unwrap_or_default())
                .send()
                .await?;
        }
    }
    let route53 = world.route53().await;
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(&world.seeded.zone_id)
        .send()
        .await?;
    let ours: Vec<_> = sets
        .resource_record_sets()
        .iter()
        .filter(|s| !matches!(s.r#type().as_str(), "NS" | "SOA"))
        .map(|s| {
            aws_sdk_route53::types::Change::builder()
                .action(aws_sdk_route53::types::ChangeAction::Delete)
                .resource_record_set(s.clone())
                .build()
        })
        .collect::<Result<_, _>>()?;
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&world.seeded.zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .set_changes(Some(ours))
                .build()?,
        )
        .send()
        .await?;
    assert_planned(&workdir, "create").await?;
    apply_converged(&workdir).await?;
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopted_apis_are_kept_on_destroy_and_the_name_keeps_pointing_at_the_active_region()
-> Result<()> {
    use aws_sdk_apigateway::types::EndpointType;
    let world = World::new().await?;
    let east_api = world.existing_api(EAST, EndpointType::Regional).await?;
    let west_api = world.existing_api(WEST, EndpointType::Regional).await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.primary.api = Api::Existing(east_api.clone());
    config.secondary.api = Api::Existing(west_api.clone());
    config.write(&workdir)?;
    apply_converged(&workdir).await?;

    workdir.destroy().await?;
    assert_eq!(
        world
            .apigateway(EAST)
            .await
            .get_rest_apis()
            .send()
            .await?
            .items()
            .len(),
        1
    );
    assert_eq!(
        world
            .apigateway(WEST)
            .await
            .get_rest_apis()
            .send()
            .await?
            .items()
            .len(),
        1
    );
    // The public name still serves from the active region (east): its
    // record and that region's custom domain for it stay; the rest is gone.
    assert_eq!(
        world.records().await?,
        [(ACTIVE_NAME.to_owned(), "A".to_owned())]
    );
    let east_domains = world
        .apigateway(EAST)
        .await
        .get_domain_names()
        .send()
        .await?;
    let names: Vec<&str> = east_domains
        .items()
        .iter()
        .filter_map(|d| d.domain_name())
        .collect();
    assert_eq!(names, [ACTIVE_NAME]);
    assert!(
        world
            .apigateway(WEST)
            .await
            .get_domain_names()
            .send()
            .await?
            .items()
            .is_empty()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_removes_the_injected_route_but_keeps_a_health_resource_of_the_users() -> Result<()>
{
    use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, PutMode};
    let world = World::new().await?;
    // The user's API already has GET /health, so the injected
    // /health/ping lands under a resource that is not ours.
    let mut ids = Vec::new();
    for region in [EAST, WEST] {
        let apigw = world.apigateway(region).await;
        let id = apigw
            .create_rest_api()
            .name("own-health")
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .send()
            .await?
            .id()
            .unwrap_or_default()
            .to_owned();
        let mut body: serde_json::Value = serde_json::from_str(&world.body(region, "own"))?;
        body["paths"]["/health"] = body["paths"]["/orders"].clone();
        let body = body.to_string();
        apigw
            .put_rest_api()
            .rest_api_id(&id)
            .mode(PutMode::Overwrite)
            .body(aws_smithy_types::Blob::new(body.into_bytes()))
            .send()
            .await?;
        apigw
            .create_deployment()
            .rest_api_id(&id)
            .stage_name("prod")
            .send()
            .await?;
        ids.push(id);
    }
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.primary.api = Api::Existing(ids[0].clone());
    config.secondary.api = Api::Existing(ids[1].clone());
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    workdir.destroy().await?;

    let apigw = world.apigateway(EAST).await;
    let resources = apigw
        .get_resources()
        .rest_api_id(&ids[0])
        .embed("methods")
        .send()
        .await?;
    let mut paths: Vec<&str> = resources.items().iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/", "/health", "/orders"],
        "the route goes, /health stays"
    );
    let health = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/health"))
        .expect("/health");
    assert!(
        health
            .resource_methods()
            .is_some_and(|m| m.contains_key("GET")),
        "{health:?}"
    );
    Ok(())
}
