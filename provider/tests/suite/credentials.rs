//! Credentials beyond static keys: users run with SSO profiles,
//! `credential_process` and assumed roles (DESIGN.md §6). The SDK only
//! supports them with the matching `aws-config` features compiled in; a
//! `credential_process` profile can be played here, so it is.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;
use anyhow::Result;

/// The access key the credential process prints.
const PROCESS_KEY: &str = "AKIDFROMPROCESS";

/// A profile whose credentials come from `credential_process` (the SDK runs
/// the command and reads the JSON it prints, as documented for the shared
/// config file's `credential_process` setting) signs every call of plan,
/// apply and destroy with the key the process printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_process_profile_signs_every_call_with_the_printed_key() -> Result<()> {
    let world = World::new().await?;
    // No static keys, no profile from this process: only the config file.
    let workdir = world.workdir()?.without_env(&[
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
    ]);
    let dir = workdir.path().to_path_buf();
    let script = dir.join("print-credentials.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' '{{\"Version\": 1, \"AccessKeyId\": \"{PROCESS_KEY}\", \"SecretAccessKey\": \"process-secret\"}}'\n"
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    let aws_config = dir.join("aws-config");
    std::fs::write(
        &aws_config,
        format!(
            "[profile from-process]\ncredential_process = {}\n",
            script.display()
        ),
    )?;
    let workdir = workdir.with_env([
        // Should the profile not give credentials, the chain must not go on
        // to the instance metadata service: traffic stays on loopback.
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", aws_config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-credentials").display().to_string(),
        ),
    ]);
    let mut config = Config::managed(&world);
    config.provider = "  profile = \"from-process\"\n".into();
    config.write(&workdir)?;

    world.bench.proxy().clear_log();
    let apply = workdir
        .run(&["apply", "-auto-approve", "-no-color"])
        .await?;
    assert_eq!(apply.code, 0, "{}", apply.text());
    workdir.destroy().await?;
    let log = world.bench.proxy().log();
    assert!(
        log.iter().any(|e| e.operation == "CreateDomainName"),
        "{log:#?}"
    );
    let others: Vec<_> = log.iter().filter(|e| e.access_key != PROCESS_KEY).collect();
    assert!(others.is_empty(), "signed with another key: {others:#?}");
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}
