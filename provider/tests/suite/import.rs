//! Import: adopting APIs created outside Terraform, recovering a lost state
//! from records and tags, and import blocks with generated configuration.

use crate::support::*;
use anyhow::{Context, Result};
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};

/// A single-region setup made with the SDK, as a user has it before
/// multiregion: an API per region, and in the primary a custom domain for
/// the public name mapped to the API, with an alias record pointing at it.
async fn existing_setup(world: &World) -> Result<(String, String)> {
    let east = world.existing_api(EAST, EndpointType::Regional).await?;
    let west = world.existing_api(WEST, EndpointType::Regional).await?;
    let apigw = world.apigateway(EAST).await;
    let domain = apigw
        .create_domain_name()
        .domain_name(ACTIVE_NAME)
        .regional_certificate_arn(world.certificate(EAST))
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .send()
        .await?;
    apigw
        .create_base_path_mapping()
        .domain_name(ACTIVE_NAME)
        .rest_api_id(&east)
        .stage("prod")
        .send()
        .await?;
    let record = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(ACTIVE_NAME)
        .r#type(aws_sdk_route53::types::RrType::A)
        .alias_target(
            aws_sdk_route53::types::AliasTarget::builder()
                .dns_name(domain.regional_domain_name().context("regional name")?)
                .hosted_zone_id(domain.regional_hosted_zone_id().context("zone")?)
                .evaluate_target_health(false)
                .build()?,
        )
        .build()?;
    world
        .route53()
        .await
        .change_resource_record_sets()
        .hosted_zone_id(&world.seeded.zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Create)
                        .resource_record_set(record)
                        .build()?,
                )
                .build()?,
        )
        .send()
        .await?;
    Ok((east, west))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apis_made_outside_terraform_are_adopted_and_converge_in_one_apply() -> Result<()> {
    let world = World::new().await?;
    let (east, west) = existing_setup(&world).await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.primary.api = Api::Existing(east.clone());
    config.secondary.api = Api::Existing(west.clone());
    config.write(&workdir)?;
    let id = format!("{EAST}/{east},{WEST}/{west}");
    workdir
        .run(&["import", "-no-color", "multiregion_apigw_failover.api", &id])
        .await?
        .expect(0)?;

    // Read filled in what exists.
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["domain_name"], ACTIVE_NAME);
    assert_eq!(values["hosted_zone_id"], world.seeded.zone_id.as_str());
    assert_eq!(values["primary"]["existing_rest_api_id"], east.as_str());
    assert_eq!(
        values["primary"]["certificate_arn"],
        world.certificate(EAST)
    );
    assert_eq!(values["primary"]["stage_name"], "prod");
    assert_eq!(values["secondary"]["rest_api_id"], west.as_str());

    // The next plan is an in-place update that adds only what is missing.
    assert_planned(&workdir, "update").await?;
    apply_converged(&workdir).await?;
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["active_region"], EAST);
    assert_eq!(values["dns_status"], "ok");
    assert_eq!(values["last_failover"]["reason"], "create");

    // Destroy keeps the adopted APIs, and the public name still points at
    // the active region through its (adopted) custom domain.
    workdir.destroy().await?;
    for (region, api) in [(EAST, &east), (WEST, &west)] {
        world
            .apigateway(region)
            .await
            .get_rest_api()
            .rest_api_id(api)
            .send()
            .await?;
    }
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
    assert_eq!(
        east_domains
            .items()
            .iter()
            .filter_map(|d| d.domain_name())
            .collect::<Vec<_>>(),
        [ACTIVE_NAME]
    );
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

/// With the health route beside the adopted APIs (`health_route =
/// "separate"`), destroy keeps the active region's domain for the public
/// name, and API Gateway deletes no API that a base path mapping points at:
/// the health API's `<health_path>` mappings must go before it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_beside_adopted_apis_unmaps_and_deletes_the_health_apis() -> Result<()> {
    let world = World::new().await?;
    let east = world.existing_api(EAST, EndpointType::Regional).await?;
    let west = world.existing_api(WEST, EndpointType::Regional).await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.primary.api = Api::Existing(east.clone());
    config.secondary.api = Api::Existing(west.clone());
    let separate = "    health_route = \"separate\"\n    base_path = \"v1\"\n";
    config.extra_primary = separate.into();
    config.extra_secondary = separate.into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    for (region, api) in [(EAST, &east), (WEST, &west)] {
        let bases = mappings(&world, region, ACTIVE_NAME).await?;
        assert_eq!(bases.len(), 2, "{region}: {bases:?}");
        assert_eq!(bases[0].0, "health", "{region}: {bases:?}");
        assert_eq!(bases[1], ("v1".to_owned(), api.clone()));
    }

    workdir.destroy().await?;
    // The adopted APIs stay, and nothing else: the health APIs are gone.
    for (region, api) in [(EAST, &east), (WEST, &west)] {
        let apis = world
            .apigateway(region)
            .await
            .get_rest_apis()
            .send()
            .await?;
        let ids: Vec<&str> = apis.items().iter().filter_map(|a| a.id()).collect();
        assert_eq!(ids, [api.as_str()], "{region}");
    }
    // The public name still points at the active region's custom domain,
    // which serves the adopted API under /v1 and has no health mapping left.
    let east_apigw = world.apigateway(EAST).await;
    let domains = east_apigw.get_domain_names().send().await?;
    let names: Vec<&str> = domains
        .items()
        .iter()
        .filter_map(|d| d.domain_name())
        .collect();
    assert_eq!(names, [ACTIVE_NAME]);
    assert_eq!(
        mappings(&world, EAST, ACTIVE_NAME).await?,
        [("v1".to_owned(), east.clone())]
    );
    let target = domains.items()[0]
        .regional_domain_name()
        .context("regional name")?
        .to_owned();
    let sets = world
        .route53()
        .await
        .list_resource_record_sets()
        .hosted_zone_id(&world.seeded.zone_id)
        .send()
        .await?;
    let aliases: Vec<(String, String)> = sets
        .resource_record_sets()
        .iter()
        .filter(|s| !matches!(s.r#type().as_str(), "NS" | "SOA"))
        .map(|s| {
            (
                s.name().trim_end_matches('.').to_owned(),
                s.alias_target()
                    .map(|a| a.dns_name().trim_end_matches('.').to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(aliases, [(ACTIVE_NAME.to_owned(), target)]);
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
async fn bad_import_ids_name_the_expected_form() -> Result<()> {
    let world = World::new().await?;
    let (east, west) = existing_setup(&world).await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.primary.api = Api::Existing(east.clone());
    config.secondary.api = Api::Existing(west.clone());
    config.write(&workdir)?;
    let cases = [
        (
            "malformed",
            "abc123".to_owned(),
            "us-east-1/a1b2c3d4e5,us-west-2/f6g7h8i9j0",
        ),
        (
            "missing API",
            format!("{EAST}/{east},{WEST}/nosuchapi9"),
            "There is no REST API nosuchapi9 in us-west-2",
        ),
        (
            "regions swapped",
            format!("{EAST}/{west},{WEST}/{east}"),
            "the regions are swapped",
        ),
        (
            "bad recover form",
            "api.example.com@".to_owned(),
            "api.example.com@Z0123456789ABCDEFGHIJ",
        ),
        (
            "unknown zone",
            "api.example.com@ZNOPE".to_owned(),
            "There is no hosted zone ZNOPE",
        ),
    ];
    for (what, id, words) in cases {
        let run = workdir
            .run(&["import", "-no-color", "multiregion_apigw_failover.api", &id])
            .await?;
        assert_eq!(run.code, 1, "{what}: {}", run.text());
        assert!(
            run.text().replace('\n', " ").contains(words),
            "{what}: expected {words:?} in {}",
            run.text()
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_state_is_recovered_by_domain_and_zone() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let config = Config::managed(&world);
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    let before = resource_values(&workdir.state_json().await?);
    workdir
        .run(&["state", "rm", "multiregion_apigw_failover.api"])
        .await?
        .expect(0)?;

    let id = format!("{ACTIVE_NAME}@{}", world.seeded.zone_id);
    workdir
        .run(&["import", "-no-color", "multiregion_apigw_failover.api", &id])
        .await?
        .expect(0)?;
    let imported = resource_values(&workdir.state_json().await?);
    for key in [
        "name",
        "domain_name",
        "standby_domain_name",
        "hosted_zone_id",
        "id",
    ] {
        assert_eq!(imported[key], before[key], "{key}");
    }
    for block in ["primary", "secondary"] {
        for key in [
            "region",
            "certificate_arn",
            "rest_api_id",
            "regional_domain_name",
            "stage_name",
        ] {
            assert_eq!(imported[block][key], before[block][key], "{block}.{key}");
        }
    }
    // Only the unreadable openapi_body differs: an in-place update.
    assert_planned(&workdir, "update").await?;
    apply_converged(&workdir).await?;
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_blocks_generate_a_config_that_plans_once_the_body_is_filled_in() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let config = Config::managed(&world);
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    workdir
        .run(&["state", "rm", "multiregion_apigw_failover.api"])
        .await?
        .expect(0)?;

    // Only an import block: Terraform writes the resource block.
    let hcl = config.hcl();
    let head = hcl
        .split("resource \"multiregion_apigw_failover\"")
        .next()
        .unwrap_or_default();
    workdir.write(
        "main.tf",
        &format!(
            "{head}import {{\n  to = multiregion_apigw_failover.api\n  id = \"{ACTIVE_NAME}@{}\"\n}}\n",
            world.seeded.zone_id
        ),
    )?;
    // Terraform writes the configuration, and the plan names what must be
    // filled in: the managed APIs' bodies, which cannot be read back.
    let generation = workdir
        .run(&["plan", "-no-color", "-generate-config-out=generated.tf"])
        .await?;
    assert_eq!(generation.code, 1, "{}", generation.text());
    assert!(
        generation
            .text()
            .contains("Set exactly one of primary.openapi_body"),
        "{}",
        generation.text()
    );
    let generated = std::fs::read_to_string(workdir.path().join("generated.tf"))?;
    assert!(
        generated.contains("name                = \"orders\"")
            || generated.contains("name = \"orders\""),
        "{generated}"
    );
    assert!(generated.contains("active_region"), "{generated}");

    // As the docs say: fill in openapi_body, delete the active_region line.
    let filled: String = generated
        .lines()
        .filter(|l| !l.trim_start().starts_with("active_region"))
        .collect::<Vec<_>>()
        .join("\n");
    let filled = fill_bodies(&world, &filled);
    workdir.write("generated.tf", &filled)?;
    let plan = workdir.plan(&[]).await?;
    assert!(plan.code == 0 || plan.code == 2, "{}", plan.text());
    apply_converged(&workdir).await?;
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["active_region"], EAST);
    // Without the active_region line, a runtime failover is never undone.
    runtime_failover(&world, &values, WEST).await?;
    assert_planned(&workdir, "no-op").await?;
    let plan = workdir.plan(&[]).await?.expect(0)?;
    assert!(
        plan.text()
            .contains("The runtime failed over: us-east-1 -> us-west-2"),
        "{}",
        plan.text()
    );
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

/// Replaces the generated `openapi_body = null` of each block with the body
/// of its region (the block's region follows in the generated text).
fn fill_bodies(world: &World, generated: &str) -> String {
    let mut out = Vec::new();
    let mut pending: Option<usize> = None;
    for line in generated.lines() {
        if line.trim_start().starts_with("openapi_body") {
            pending = Some(out.len());
            out.push(String::new());
            continue;
        }
        if let (Some(at), Some(region)) = (pending, line.trim_start().strip_prefix("region")) {
            let region = region
                .trim_start_matches([' ', '='])
                .trim()
                .trim_matches('"')
                .to_owned();
            out[at] = format!(
                "    openapi_body = {}",
                hcl_string(&world.body(&region, "1.0"))
            );
            pending = None;
        }
        out.push(line.to_owned());
    }
    out.join("\n")
}

/// An adopted API's own settings reach the probes (DESIGN §6): injecting the
/// route redeploys the API's working copy, and its resource policy applies to
/// the anonymous probe. The plan says so, with the statement to allow; with
/// a separate health API neither applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_warn_of_what_an_adopted_api_does_to_the_probes() -> Result<()> {
    let world = World::new().await?;
    let east = world.existing_api(EAST, EndpointType::Regional).await?;
    let west = world.existing_api(WEST, EndpointType::Regional).await?;
    let only_the_office = serde_json::json!({ "Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": { "IpAddress": { "aws:SourceIp": "203.0.113.0/24" } } }] });
    world
        .apigateway(EAST)
        .await
        .update_rest_api()
        .rest_api_id(&east)
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path("/policy")
                .value(only_the_office.to_string())
                .build(),
        )
        .send()
        .await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.primary.api = Api::Existing(east.clone());
    config.secondary.api = Api::Existing(west.clone());
    config.write(&workdir)?;
    let plan = workdir.run(&["plan", "-no-color"]).await?.expect(0)?;
    // Terraform wraps diagnostics at 80 columns.
    let text = squash(&plan.text().replace('\n', " "));
    for wanted in [
        "Injecting the health route redeploys the adopted API",
        &format!(
            "primary.health_route = \"inject\" (the default) adds /health/ping to REST API {east}"
        ),
        &format!(
            "secondary.health_route = \"inject\" (the default) adds /health/ping to REST API {west}"
        ),
        &format!("REST API {east} in {EAST} has a resource policy"),
        "\"Resource\": \"execute-api:/prod/GET/health/ping\"",
    ] {
        assert!(text.contains(wanted), "missing {wanted:?} in {text}");
    }
    assert!(
        !text.contains(&format!("REST API {west} in {WEST} has a resource policy")),
        "{text}"
    );

    let separate = "    health_route = \"separate\"\n    base_path = \"v1\"\n";
    config.extra_primary = separate.into();
    config.extra_secondary = separate.into();
    config.write(&workdir)?;
    let plan = workdir.run(&["plan", "-no-color"]).await?.expect(0)?;
    // Terraform wraps diagnostics at 80 columns.
    let text = squash(&plan.text().replace('\n', " "));
    assert!(!text.contains("redeploys the adopted API"), "{text}");
    assert!(!text.contains("resource policy"), "{text}");
    Ok(())
}
