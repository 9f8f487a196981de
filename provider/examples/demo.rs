//! The demo: `examples/quickstart` applied with real Terraform against the
//! AWS emulator on 127.0.0.1, then planned (nothing to do), inspected and
//! destroyed. Everything it starts stops when it ends.
//!
//! `MULTIREGION_PROVIDER_DIR` names the directory of the provider binary
//! (`./scripts/demo` builds it).
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use multiregion_bench::Bench;
use multiregion_bench::seed::{sdk_config, zone_and_certificates};
use multiregion_bench::terraform::{Run, Workdir};

const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

fn show(title: &str, run: &Run) {
    println!(
        "\n$ terraform {}    # {title} ({:.1} s)",
        run.args.join(" "),
        run.elapsed.as_secs_f64()
    );
    let mut skipping = false;
    for line in run.stdout.lines() {
        // The dev_overrides notice Terraform prints on every command.
        if line.starts_with("Warning: Provider development overrides")
            || line.contains("│ Warning: Provider development overrides")
        {
            skipping = true;
        }
        if skipping {
            if line.trim_end().ends_with("releases.") {
                skipping = false;
            }
            continue;
        }
        println!("  {line}");
    }
}

async fn inventory(bench: &Bench, zone_id: &str) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for region in REGIONS {
        let apigw =
            aws_sdk_apigateway::Client::new(&sdk_config(bench, region, "demo-inspector").await);
        for api in apigw.get_rest_apis().send().await?.items() {
            let stages = apigw
                .get_stages()
                .rest_api_id(api.id().unwrap_or_default())
                .send()
                .await?;
            let stage_names: Vec<&str> = stages
                .item()
                .iter()
                .filter_map(|s| s.stage_name())
                .collect();
            lines.push(format!(
                "{region}  REST API {} {:?} stages {stage_names:?}",
                api.id().unwrap_or_default(),
                api.name().unwrap_or_default()
            ));
        }
        for domain in apigw.get_domain_names().send().await?.items() {
            let name = domain.domain_name().unwrap_or_default();
            let mappings = apigw
                .get_base_path_mappings()
                .domain_name(name)
                .send()
                .await?;
            let to: Vec<String> = mappings
                .items()
                .iter()
                .map(|m| {
                    format!(
                        "{}/{}",
                        m.rest_api_id().unwrap_or_default(),
                        m.stage().unwrap_or_default()
                    )
                })
                .collect();
            lines.push(format!(
                "{region}  custom domain {name} (REGIONAL {}) -> {}",
                domain.regional_domain_name().unwrap_or_default(),
                to.join(", ")
            ));
        }
    }
    let route53 =
        aws_sdk_route53::Client::new(&sdk_config(bench, "us-east-1", "demo-inspector").await);
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await?;
    for set in sets.resource_record_sets() {
        if matches!(set.r#type().as_str(), "NS" | "SOA") {
            continue;
        }
        let value = match (set.alias_target(), set.resource_records().first()) {
            (Some(alias), _) => format!("alias {}", alias.dns_name()),
            (None, Some(record)) => record.value().to_owned(),
            _ => String::new(),
        };
        lines.push(format!(
            "Route 53   {} {} {value}",
            set.r#type().as_str(),
            set.name()
        ));
    }
    Ok(lines)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let started = Instant::now();
    let provider_dir = PathBuf::from(
        std::env::var("MULTIREGION_PROVIDER_DIR")
            .context("MULTIREGION_PROVIDER_DIR is not set; run ./scripts/demo")?,
    );
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart");

    println!("== multiregion demo: examples/quickstart against the AWS emulator on 127.0.0.1 ==");
    let bench = Bench::start().await?;
    println!(
        "moto at {}, behind the bench's proxy at {}",
        bench.moto_url(),
        bench.endpoint_url()
    );
    let seeded = zone_and_certificates(
        &bench,
        "example.com",
        &["api.example.com", "standby-api.example.com"],
        &REGIONS,
    )
    .await?;
    println!(
        "Before: public zone example.com ({}), and an ISSUED certificate per region for api. and standby-api.example.com",
        seeded.zone_id
    );

    let workdir = Workdir::new("multiregion/multiregion", &provider_dir)?
        .with_env(bench.env())
        .with_env([
            ("MULTIREGION_API_GATEWAY_PACING", "false"),
            ("AWS_REGION", "us-east-1"),
        ]);
    workdir.copy_from(&quickstart)?;
    workdir.write(
        "terraform.tfvars.json",
        &serde_json::json!({
            "zone_name": "example.com",
            "hosted_zone_id": seeded.zone_id,
            "account_id": "123456789012",
            "certificate_arns": seeded.certificates,
        })
        .to_string(),
    )?;

    let apply = workdir.apply().await?;
    show("create both regions and the DNS records", &apply);
    let plan = workdir.plan(&[]).await?.expect(0)?;
    show("the plan after apply is empty (exit code 0)", &plan);

    println!("\nWhat the apply created, read back from the emulator:");
    for line in inventory(&bench, &seeded.zone_id).await? {
        println!("  {line}");
    }

    let destroy = workdir.destroy().await?;
    show("remove everything the resource created", &destroy);
    let left = inventory(&bench, &seeded.zone_id).await?;
    println!(
        "\nAfter destroy, left in the emulator: {}",
        if left.is_empty() {
            "nothing".to_owned()
        } else {
            left.join("; ")
        }
    );

    let mut calls: BTreeMap<(String, String), usize> = BTreeMap::new();
    for entry in bench.proxy().log() {
        *calls.entry((entry.service, entry.operation)).or_default() += 1;
    }
    println!("\nAWS calls made through the proxy (all of them, including set-up and inspection):");
    for ((service, operation), count) in calls {
        println!("  {count:>4}  {service:<10} {operation}");
    }
    println!(
        "\nDone in {:.1} s; moto and the bench stop now.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
