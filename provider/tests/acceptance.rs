//! Acceptance tests: real Terraform, the provider as built, moto behind the
//! bench's proxy.

mod support;

use anyhow::Result;
use support::*;

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

    workdir.destroy().await?;
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}
