//! The automation flag, the tag `multiregion:automatic-failover` on each
//! region's state machine: Terraform's `off` for `failover { automatic =
//! false }`, and a person's `paused`, which apply never removes.

use crate::support::*;
use anyhow::Result;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_false_tags_the_state_machines_and_a_pause_by_hand_survives_apply() -> Result<()>
{
    let (world, workdir, mut config) = deployed_with_runtime().await?;
    for region in [EAST, WEST] {
        assert_eq!(automation_tag(&world, region).await?, None, "{region}");
    }

    // Terraform's own value: `automatic = false` tags both machines `off`,
    // which is no pause by hand.
    config.extra = "  failover {\n    automatic = false\n  }\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    for region in [EAST, WEST] {
        assert_eq!(
            automation_tag(&world, region).await?.as_deref(),
            Some("off"),
            "{region}"
        );
    }
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["automatic_failover_paused"], false);
    assert_eq!(values["apparatus_status"], "ok");

    // `true` again removes Terraform's value.
    config.extra = String::new();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    for region in [EAST, WEST] {
        assert_eq!(automation_tag(&world, region).await?, None, "{region}");
    }

    // A person pauses one region; the refresh shows it, and neither an
    // apply that changes the runtime nor `automatic = false` then `true`
    // removes it. The state machine keeps the resource's own tags too.
    pause_by_hand(&world, EAST).await?;
    let refresh = workdir
        .run(&["plan", "-refresh-only", "-no-color"])
        .await?
        .expect(0)?;
    assert!(
        squash(&refresh.text()).contains("~ automatic_failover_paused = false -> true"),
        "{}",
        refresh.text()
    );
    config.extra = "  health_check {\n    evaluation_periods = 3\n  }\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    config.extra =
        "  health_check {\n    evaluation_periods = 3\n  }\n  failover {\n    automatic = false\n  }\n"
            .into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    config.extra = "  health_check {\n    evaluation_periods = 3\n  }\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    assert_eq!(
        automation_tag(&world, EAST).await?.as_deref(),
        Some("paused")
    );
    assert_eq!(automation_tag(&world, WEST).await?, None);
    let sfn = aws_sdk_sfn::Client::new(&world.sdk(EAST).await);
    let tags = sfn
        .list_tags_for_resource()
        .resource_arn(MACHINE.replace(WEST, EAST))
        .send()
        .await?;
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("multiregion:id")),
        "{tags:?}"
    );
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["automatic_failover_paused"], true);
    assert_eq!(values["apparatus_status"], "ok");

    // Resuming by hand (removing the tag) shows at the next refresh.
    sfn.untag_resource()
        .resource_arn(MACHINE.replace(WEST, EAST))
        .tag_keys(multiregion_core::automation::TAG)
        .send()
        .await?;
    let refresh = workdir
        .run(&["plan", "-refresh-only", "-no-color"])
        .await?
        .expect(0)?;
    assert!(
        squash(&refresh.text()).contains("~ automatic_failover_paused = true -> false"),
        "{}",
        refresh.text()
    );
    destroy_and_sweep(&world, &workdir).await
}
