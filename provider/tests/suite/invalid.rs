//! Bad input is refused at plan with a diagnostic on the attribute's path
//! that says what to do, and nothing is created.

use crate::support::*;
use anyhow::Result;
use aws_sdk_apigateway::types::EndpointType;

/// A configuration edit, the attribute the error must point at (its line
/// in main.tf), and words the error must contain.
type Case = (
    &'static str,
    Box<dyn Fn(&mut Config)>,
    &'static str,
    &'static str,
);

/// The line number of `block.attribute` (or a top-level `attribute`) in HCL.
fn line_of(hcl: &str, path: &str) -> Option<usize> {
    let (block, attribute) = path
        .split_once('.')
        .map_or((None, path), |(b, a)| (Some(b), a));
    let lines: Vec<&str> = hcl.lines().collect();
    let start = match block {
        Some(block) => lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("{block} {{")))?,
        None => 0,
    };
    lines[start..]
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("{attribute} =")))
        .map(|i| start + i + 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configurations_are_refused_with_a_path_and_nothing_is_created() -> Result<()> {
    let world = World::with_regions(&[EAST, WEST]).await?;
    let expired = multiregion_bench::seed::import_expired_certificate(
        &world.bench,
        WEST,
        &[ACTIVE_NAME, STANDBY_NAME],
    )
    .await?;
    let narrow = multiregion_bench::seed::zone_and_certificates(
        &world.bench,
        "other.org",
        &["api.other.org"],
        &[EAST],
    )
    .await?;
    let narrow_certificate = narrow.certificates[EAST].clone();
    let edge_api = world.existing_api(WEST, EndpointType::Edge).await?;
    // Notification topics of the user's, encrypted with keys the paging
    // alarm or the notifier's role cannot use.
    let encrypted = [
        encrypted_topic(&world, WEST, "pager-aws-managed", "alias/aws/sns").await?,
        encrypted_topic(&world, WEST, "pager-by-alias", "alias/pager").await?,
    ];
    let topic = |arn: String| {
        move |c: &mut Config| {
            c.extra_secondary = format!("    notification_topic_arn = \"{arn}\"\n");
        }
    };
    let baseline = world.sweep().await?;
    world.bench.proxy().clear_log();

    let cases: Vec<Case> = vec![
        (
            "same regions",
            Box::new(|c| {
                c.secondary.region = EAST.into();
                c.secondary.certificate_arn = c.primary.certificate_arn.clone();
            }),
            "secondary.region",
            "Both regions are the same",
        ),
        (
            "unknown region",
            Box::new(|c| c.primary.region = "us-east-7".into()),
            "primary.region",
            "not a known AWS region",
        ),
        (
            "malformed certificate ARN",
            Box::new(|c| c.primary.certificate_arn = "arn:aws:acm:us-east-1:123:cert".into()),
            "primary.certificate_arn",
            "Invalid certificate ARN",
        ),
        (
            "certificate in another region",
            Box::new(|c| c.secondary.certificate_arn = c.primary.certificate_arn.clone()),
            "secondary.certificate_arn",
            "Certificate is in another region",
        ),
        (
            "certificate not issued",
            Box::new({
                let expired = expired.clone();
                move |c| c.secondary.certificate_arn = expired.clone()
            }),
            "secondary.certificate_arn",
            "is EXPIRED",
        ),
        (
            "certificate not covering the names",
            Box::new({
                let narrow = narrow_certificate.clone();
                move |c| c.primary.certificate_arn = narrow.clone()
            }),
            "primary.certificate_arn",
            "does not cover both names",
        ),
        (
            "name outside the zone",
            Box::new(|c| c.domain_name = "api.example.org".into()),
            "domain_name",
            "not inside the zone",
        ),
        (
            "invalid domain name",
            Box::new(|c| c.domain_name = "API.example.com".into()),
            "domain_name",
            "lower case",
        ),
        (
            "adopted API not REGIONAL",
            Box::new({
                let edge = edge_api.clone();
                move |c| c.secondary.api = Api::Existing(edge.clone())
            }),
            "secondary.existing_rest_api_id",
            "only REGIONAL APIs",
        ),
        (
            "adopted API missing",
            Box::new(|c| c.secondary.api = Api::Existing("nosuchapi1".into())),
            "secondary.existing_rest_api_id",
            "There is no REST API",
        ),
        (
            "invalid name",
            Box::new(|c| c.name = "Orders_API".into()),
            "name",
            "Invalid name",
        ),
        (
            "notification topic that does not exist",
            Box::new(topic(format!(
                "arn:aws:sns:{WEST}:123456789012:no-such-topic"
            ))),
            "secondary.notification_topic_arn",
            "There is no SNS topic",
        ),
        (
            "notification topic under the AWS managed key",
            Box::new(topic(encrypted[0].clone())),
            "secondary.notification_topic_arn",
            "cloudwatch.amazonaws.com",
        ),
        (
            "notification topic whose key is named by an alias",
            Box::new(topic(encrypted[1].clone())),
            "secondary.notification_topic_arn",
            "aws kms describe-key --key-id alias/pager",
        ),
        (
            "zone that does not exist",
            Box::new(|c| c.hosted_zone_id = "ZNOSUCHZONE".into()),
            "hosted_zone_id",
            "There is no hosted zone",
        ),
    ];
    for (what, edit, attribute, words) in cases {
        let workdir = world.workdir()?;
        let mut config = Config::managed(&world);
        edit(&mut config);
        config.write(&workdir)?;
        let run = workdir
            .run(&["apply", "-auto-approve", "-no-color"])
            .await?;
        let text = run.text();
        assert_eq!(run.code, 1, "{what}: apply must fail:\n{text}");
        assert!(
            text.contains(words),
            "{what}: expected {words:?} in:\n{text}"
        );
        // The diagnostic points at the attribute's line in main.tf.
        let line = line_of(&config.hcl(), attribute);
        let pointer = line
            .map(|n| format!("on main.tf line {n}"))
            .unwrap_or_default();
        assert!(
            text.contains(&pointer),
            "{what}: expected {pointer:?} (attribute {attribute}) in:\n{text}"
        );
        assert_eq!(world.sweep().await?, baseline, "{what}: nothing is created");
    }
    // Two API sources in one block.
    let workdir = world.workdir()?;
    let config = Config::managed(&world);
    let hcl = config.hcl().replacen(
        "    openapi_body = ",
        "    existing_rest_api_id = \"abcdefghij\"\n    openapi_body = ",
        1,
    );
    workdir.write("main.tf", &hcl)?;
    let run = workdir.run(&["plan", "-no-color"]).await?;
    assert_eq!(run.code, 1, "{}", run.text());
    assert!(
        run.text().contains("Two APIs for one region"),
        "{}",
        run.text()
    );
    assert!(
        run.text().contains("existing_rest_api_id = \"abcdefghij\""),
        "{}",
        run.text()
    );

    // Nothing but reads reached AWS.
    let log = world.bench.proxy().log();
    let writes: Vec<_> = log
        .iter()
        .filter(|e| !multiregion_bench::request::is_read_only(&e.operation))
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    Ok(())
}

/// Every setting of the optional blocks (and `log_retention_days`) is
/// checked at `terraform plan`, with its path, whether or not a runtime is
/// configured: a negative, zero, too large or out-of-range number never
/// reaches apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_settings_are_refused_at_plan_with_their_path() -> Result<()> {
    let world = World::new().await?;
    world.bench.proxy().clear_log();
    // (HCL, the attribute's path as `block.attribute`, the summary, words
    // of the detail)
    let health = |body: &str| format!("  health_check {{\n    {body}\n  }}\n");
    let failover = |body: &str| format!("  failover {{\n    {body}\n  }}\n");
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            failover("cooldown_seconds = -5"),
            "failover.cooldown_seconds",
            "Invalid cooldown",
            "cooldown_seconds is -5; use 0 to 604800",
        ),
        (
            failover("cooldown_seconds = 604801"),
            "failover.cooldown_seconds",
            "Invalid cooldown",
            "use 0 to 604800",
        ),
        (
            failover("cooldown_seconds = 1.5"),
            "failover.cooldown_seconds",
            "Invalid cooldown",
            "cooldown_seconds is 1.5; use a whole number",
        ),
        (
            failover("max_automatic_swaps_per_day = 0"),
            "failover.max_automatic_swaps_per_day",
            "Invalid circuit breaker",
            "use 1 to 10. To stop automatic failover altogether, set `automatic = false`",
        ),
        (
            failover("cooldown_seconds = 9999999999999"),
            "failover.cooldown_seconds",
            "Invalid cooldown",
            "cooldown_seconds is 9999999999999",
        ),
        (
            health("interval_seconds = -60"),
            "health_check.interval_seconds",
            "Invalid health check interval",
            "interval_seconds is -60; use 10, 20 or 30, or a multiple of 60 from 60 to 3600",
        ),
        (
            health("interval_seconds = 0"),
            "health_check.interval_seconds",
            "Invalid health check interval",
            "interval_seconds is 0",
        ),
        (
            health("interval_seconds = 90"),
            "health_check.interval_seconds",
            "Invalid health check interval",
            "interval_seconds is 90",
        ),
        (
            health("interval_seconds = 4294967340"),
            "health_check.interval_seconds",
            "Invalid health check interval",
            "interval_seconds is 4294967340",
        ),
        (
            health("evaluation_periods = -2"),
            "health_check.evaluation_periods",
            "Invalid evaluation periods",
            "evaluation_periods is -2; use 1 to 10",
        ),
        (
            health("evaluation_periods = 11"),
            "health_check.evaluation_periods",
            "Invalid evaluation periods",
            "evaluation_periods is 11; use 1 to 10",
        ),
        (
            health("datapoints_to_alarm = -1"),
            "health_check.datapoints_to_alarm",
            "Invalid datapoints to alarm",
            "datapoints_to_alarm is -1; use 1 to evaluation_periods (2)",
        ),
        (
            health("datapoints_to_alarm = 0"),
            "health_check.datapoints_to_alarm",
            "Invalid datapoints to alarm",
            "datapoints_to_alarm is 0",
        ),
        (
            health("datapoints_to_alarm = 3"),
            "health_check.datapoints_to_alarm",
            "Invalid datapoints to alarm",
            "datapoints_to_alarm is 3; use 1 to evaluation_periods (2)",
        ),
        (
            health("timeout_ms = -5000"),
            "health_check.timeout_ms",
            "Invalid probe timeout",
            "timeout_ms is -5000; use 100 to 25000",
        ),
        (
            health("timeout_ms = 2000.5"),
            "health_check.timeout_ms",
            "Invalid probe timeout",
            "timeout_ms is 2000.5; use a whole number",
        ),
        (
            health("timeout_ms = 25001"),
            "health_check.timeout_ms",
            "Invalid probe timeout",
            "timeout_ms is 25001",
        ),
        (
            "  log_retention_days = -30\n".to_owned(),
            "log_retention_days",
            "Invalid log retention",
            "log_retention_days is -30",
        ),
        (
            "  log_retention_days = 4294967326\n".to_owned(),
            "log_retention_days",
            "Invalid log retention",
            "log_retention_days is 4294967326",
        ),
    ];
    for with_runtime in [false, true] {
        for (extra, attribute, summary, words) in &cases {
            let what = format!("{} (runtime: {with_runtime})", extra.trim());
            let workdir = world.workdir()?;
            let mut config = Config::managed(&world);
            config.extra = extra.clone();
            config.package = if with_runtime {
                Some(package_dir()?)
            } else {
                None
            };
            config.write(&workdir)?;
            let run = workdir.run(&["plan", "-no-color"]).await?;
            let text = run.text();
            assert_eq!(run.code, 1, "{what}: plan must fail:\n{text}");
            assert!(
                text.contains(&format!("Error: {summary}")),
                "{what}: expected the summary {summary:?} in:\n{text}"
            );
            let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                joined.contains(words),
                "{what}: expected {words:?} in:\n{text}"
            );
            // The diagnostic points at the attribute's line in main.tf.
            let line = line_of(&config.hcl(), attribute).expect(attribute);
            assert!(
                text.contains(&format!("on main.tf line {line}")),
                "{what}: expected the line of {attribute} ({line}) in:\n{text}"
            );
            assert!(!text.contains("should not happen"), "{what}:\n{text}");
        }
    }
    // Plan only reads: nothing was written.
    let log = world.bench.proxy().log();
    let writes: Vec<_> = log
        .iter()
        .filter(|e| !multiregion_bench::request::is_read_only(&e.operation))
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    Ok(())
}
