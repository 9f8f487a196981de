//! Terraform and the runtime agree on the active region: a failover made
//! outside Terraform shows as drift and as a warning on every plan until an
//! apply records it, and no resource action is ever planned for it; broken
//! records plan a repair; a split brain warns. The same steps run on
//! Terraform 1.11 and on 1.0.3.

use std::path::Path;

use crate::support::*;
use anyhow::Result;
use multiregion_bench::terraform::{oldest_terraform_binary, planned_actions, terraform_binary};
use multiregion_core::{Reason, Region};

async fn drift_steps(terraform: &Path) -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir_with(terraform)?;
    Config::managed(&world).write(&workdir)?;
    apply_converged(&workdir).await?;
    let values = resource_values(&workdir.state_json().await?);
    runtime_failover(&world, &values, WEST).await?;

    // A refresh-only plan shows active_region and last_failover changing.
    let refresh = workdir
        .run(&["plan", "-refresh-only", "-no-color"])
        .await?
        .expect(0)?;
    let text = squash(&refresh.text());
    assert!(
        text.contains("~ active_region = \"us-east-1\" -> \"us-west-2\""),
        "{text}"
    );
    assert!(text.contains("~ last_failover"), "{text}");
    assert!(
        text.contains("The runtime failed over: us-east-1 -> us-west-2"),
        "{text}"
    );

    // A normal plan carries the warning and the output change, and plans no
    // resource action.
    let plan = workdir.run(&["plan", "-no-color"]).await?.expect(0)?;
    let text = squash(&plan.text());
    assert!(
        text.contains("The runtime failed over: us-east-1 -> us-west-2"),
        "{text}"
    );
    assert!(text.contains(EXECUTION), "{text}");
    assert!(text.contains("Changes to Outputs"), "{text}");
    assert!(
        text.contains("~ active_region = \"us-east-1\" -> \"us-west-2\""),
        "{text}"
    );
    let saved = workdir.plan_json(&[]).await?;
    let actions = planned_actions(&saved);
    assert!(
        actions.iter().all(|(_, a)| a == &["no-op"]),
        "no resource action: {actions:?}"
    );
    assert_eq!(
        saved["output_changes"]["active_region"]["actions"],
        serde_json::json!(["update"])
    );

    // Terraform never fails back on its own; an apply records the failover
    // and the warning goes.
    workdir.apply().await?;
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["active_region"], WEST);
    assert_eq!(values["last_failover"]["reason"], "runtime");
    let after = workdir.plan(&[]).await?.expect(0)?;
    assert!(!after.text().contains("failed over"), "{}", after.text());
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_failover_shows_as_drift_and_a_warning_until_recorded() -> Result<()> {
    drift_steps(&terraform_binary()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_failover_shows_as_drift_on_terraform_1_0_3() -> Result<()> {
    drift_steps(&oldest_terraform_binary()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_records_plan_a_repair_and_a_split_brain_warns() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    Config::managed(&world).write(&workdir)?;
    apply_converged(&workdir).await?;
    let values = resource_values(&workdir.state_json().await?);
    let pair = pair_of(&values);
    let route53 = world.route53().await;
    let zone = world.seeded.zone_id.clone();

    // Both names on one region: the standby name re-pointed by hand at the
    // active region's standby domain.
    let (snapshot, _) = multiregion_core::dns::read_active(&route53, &pair).await?;
    let mut repointed = snapshot.standby[0].clone();
    repointed.alias_target = Some(
        aws_sdk_route53::types::AliasTarget::builder()
            .dns_name(&pair.regions[0].standby_target.dns_name)
            .hosted_zone_id(&pair.regions[0].standby_target.hosted_zone_id)
            .evaluate_target_health(false)
            .build()?,
    );
    let change = |action, set| {
        aws_sdk_route53::types::Change::builder()
            .action(action)
            .resource_record_set(set)
            .build()
    };
    multiregion_core::swap::submit(
        &route53,
        &pair,
        vec![
            change(
                aws_sdk_route53::types::ChangeAction::Delete,
                snapshot.standby[0].clone(),
            )?,
            change(aws_sdk_route53::types::ChangeAction::Create, repointed)?,
        ],
        "by hand",
    )
    .await?;
    let plan = workdir.run(&["plan", "-no-color"]).await?.expect(0)?;
    assert!(
        squash(&plan.stdout).contains("~ dns_status = \"both_on_one_region\" -> \"ok\""),
        "{}",
        plan.stdout
    );
    apply_converged(&workdir).await?;
    let (_, view) = multiregion_core::dns::read_active(&route53, &pair).await?;
    assert_eq!(view.status, multiregion_core::DnsStatus::Ok);
    assert_eq!(view.last_swap().map(|l| l.reason), Some(Reason::Repair));

    // A ledger that names the other region: a split brain warning.
    let (snapshot, _) = multiregion_core::dns::read_active(&route53, &pair).await?;
    let wrong = multiregion_core::Ledger::new(Region::new(WEST)?, 50, 1, Reason::Manual, None)?;
    let mut ledger = snapshot.ledger[0].clone();
    ledger.resource_records = Some(vec![
        aws_sdk_route53::types::ResourceRecord::builder()
            .value(wrong.to_txt_value())
            .build()?,
    ]);
    multiregion_core::swap::submit(
        &route53,
        &pair,
        vec![
            change(
                aws_sdk_route53::types::ChangeAction::Delete,
                snapshot.ledger[0].clone(),
            )?,
            change(aws_sdk_route53::types::ChangeAction::Create, ledger)?,
        ],
        "by hand",
    )
    .await?;
    let _ = zone;
    let plan = workdir.run(&["plan", "-no-color"]).await?;
    assert!(
        plan.text()
            .contains("The ledger disagrees with the DNS records (split brain)"),
        "{}",
        plan.text()
    );
    workdir.destroy().await?;
    Ok(())
}
