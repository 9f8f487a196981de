//! Record sets and changes the bench's own tests build.
#![allow(dead_code)]

use anyhow::{Context, Result};
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType,
};

/// An A alias record at `name` to the regional domain `target`.
pub fn alias(name: &str, target: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(target)
                .hosted_zone_id("Z2FDTNDATAQYW2")
                .evaluate_target_health(false)
                .build()
                .expect("alias"),
        )
        .build()
        .expect("record")
}

/// One change of a batch.
pub fn change(action: ChangeAction, set: ResourceRecordSet) -> Change {
    Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .expect("change")
}

/// Creates the zone example.com; returns its id.
pub async fn zone(client: &aws_sdk_route53::Client) -> Result<String> {
    let created = client
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("fidelity")
        .send()
        .await?;
    Ok(created.hosted_zone().context("zone")?.id().to_owned())
}

/// Applies `changes` to `zone`; an error as "Code: message".
pub async fn apply(
    client: &aws_sdk_route53::Client,
    zone: &str,
    changes: Vec<Change>,
) -> Result<(), String> {
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            use aws_sdk_route53::error::ProvideErrorMetadata;
            let service = e.into_service_error();
            format!(
                "{}: {}",
                service.code().unwrap_or("?"),
                service.message().unwrap_or("?")
            )
        })
}
