//! Record sets and changes the bench's own tests build.
#![allow(dead_code)]

use aws_sdk_route53::types::{AliasTarget, Change, ChangeAction, ResourceRecordSet, RrType};

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
