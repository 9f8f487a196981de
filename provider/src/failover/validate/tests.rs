//! Unit tests of the validation: every bad input at its path, and the spec.

use super::region::{check_domain_name, parse_certificate_arn};
use super::*;
use crate::failover::state::string;
use crate::number::Number;

pub(crate) fn valid<'a>() -> FailoverState<'a> {
    let block = |region: &str| RegionState {
        region: string(region),
        certificate_arn: string(format!(
            "arn:aws:acm:{region}:123456789012:certificate/abc-123"
        )),
        openapi_body: string(
            r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{}}"#,
        ),
        ..RegionState::default()
    };
    FailoverState {
        name: string("orders"),
        domain_name: string("api.example.com"),
        hosted_zone_id: string("Z0123456789"),
        primary: Value::Value(block("us-east-1")),
        secondary: Value::Value(block("us-west-2")),
        ..FailoverState::default()
    }
}

fn errors(config: &FailoverState<'_>) -> Vec<(String, String)> {
    let mut diags = Diagnostics::default();
    validate(config, &mut diags);
    diags
        .errors
        .iter()
        .map(|d| (d.attribute.to_string(), d.summary.to_string()))
        .collect()
}

#[test]
fn a_valid_configuration_has_no_errors_and_a_spec() {
    assert_eq!(errors(&valid()), vec![]);
    let mut diags = Diagnostics::default();
    let spec = spec(&valid(), &mut diags).expect("spec");
    assert_eq!(spec.primary.account_id, "123456789012");
    assert_eq!(spec.primary.stage_name, DEFAULT_STAGE_NAME);
    assert_eq!(spec.health_path, DEFAULT_HEALTH_PATH);
    assert!(matches!(spec.secondary.api, ApiSource::Managed { .. }));
}

fn block_mut<'s>(
    state: &'s mut FailoverState<'static>,
    which: &str,
) -> &'s mut RegionState<'static> {
    let value = if which == "primary" {
        &mut state.primary
    } else {
        &mut state.secondary
    };
    match value {
        Value::Value(b) => b,
        _ => panic!("no {which} block"),
    }
}

#[test]
fn each_bad_input_is_refused_at_its_path() {
    type Edit = Box<dyn Fn(&mut FailoverState<'static>)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|s| s.name = string("Orders")),
            "name",
            "Invalid name",
        ),
        (
            Box::new(|s| s.name = string("a-very-long-name-that-is-too-long")),
            "name",
            "Invalid name",
        ),
        (
            Box::new(|s| s.domain_name = string("API.example.com")),
            "domain_name",
            "Invalid domain name",
        ),
        (
            Box::new(|s| s.domain_name = string("localhost")),
            "domain_name",
            "Invalid domain name",
        ),
        (
            Box::new(|s| s.standby_domain_name = string("api.example.com")),
            "standby_domain_name",
            "Standby name equals the public name",
        ),
        (
            Box::new(|s| s.hosted_zone_id = string("Z-1")),
            "hosted_zone_id",
            "Invalid hosted zone id",
        ),
        (
            Box::new(|s| s.health_path = string("a/b")),
            "health_path",
            "Invalid health path",
        ),
        (
            Box::new(|s| {
                let b = block_mut(s, "secondary");
                b.region = string("us-east-1");
                b.certificate_arn = string("arn:aws:acm:us-east-1:123456789012:certificate/y");
            }),
            "secondary.region",
            "Both regions are the same",
        ),
        (
            Box::new(|s| block_mut(s, "primary").region = string("us-east1")),
            "primary.region",
            "Unknown region",
        ),
        (
            Box::new(|s| {
                block_mut(s, "primary").certificate_arn =
                    string("arn:aws:acm:us-east-1:123:certificate/x")
            }),
            "primary.certificate_arn",
            "Invalid certificate ARN",
        ),
        (
            Box::new(|s| {
                block_mut(s, "secondary").certificate_arn =
                    string("arn:aws:acm:us-east-1:123456789012:certificate/x")
            }),
            "secondary.certificate_arn",
            "Certificate is in another region",
        ),
        (
            Box::new(|s| block_mut(s, "primary").stage_name = string("prod stage")),
            "primary.stage_name",
            "Invalid stage name",
        ),
        (
            Box::new(|s| block_mut(s, "primary").openapi_body = Value::Null),
            "primary",
            "No API for this region",
        ),
        (
            Box::new(|s| block_mut(s, "primary").existing_rest_api_id = string("abc123defg")),
            "primary.existing_rest_api_id",
            "Two APIs for one region",
        ),
        (
            Box::new(|s| block_mut(s, "secondary").openapi_body = string("openapi: 3.0.1")),
            "secondary.openapi_body",
            "Unusable OpenAPI body",
        ),
        (
            Box::new(|s| {
                block_mut(s, "secondary").openapi_body = Value::Null;
                block_mut(s, "secondary").existing_rest_api_id = string("ABC!");
            }),
            "secondary.existing_rest_api_id",
            "Invalid REST API id",
        ),
        (
            Box::new(|s| s.active_region = string("eu-west-1")),
            "active_region",
            "active_region is not one of the two regions",
        ),
    ];
    for (edit, path, summary) in cases {
        let mut config = valid();
        edit(&mut config);
        assert_eq!(
            errors(&config),
            vec![(path.to_owned(), summary.to_owned())],
            "{path}: {summary}"
        );
        let mut diags = Diagnostics::default();
        assert!(spec(&config, &mut diags).is_none());
    }
}

#[test]
fn unknown_values_are_skipped_at_plan_and_block_the_spec() {
    let mut config = valid();
    config.domain_name = Value::Unknown;
    block_mut(&mut config, "primary").certificate_arn = Value::Unknown;
    block_mut(&mut config, "secondary").region = Value::Unknown;
    assert_eq!(errors(&config), vec![]);
    let mut diags = Diagnostics::default();
    assert!(spec(&config, &mut diags).is_none());
}

#[test]
fn domain_names_and_certificate_arns() {
    assert_eq!(check_domain_name("api.example.com."), Ok(()));
    assert!(check_domain_name("-a.example.com").is_err());
    assert!(check_domain_name("a..example.com").is_err());
    assert!(check_domain_name("ex_ample.com").is_err());
    assert_eq!(
        parse_certificate_arn("arn:aws-cn:acm:cn-north-1:123456789012:certificate/1-2")
            .map(|c| c.region),
        Ok("cn-north-1".to_owned())
    );
    assert!(parse_certificate_arn("arn:aws:iam::123456789012:role/x").is_err());
}

/// The hole a new user found: a negative setting (here without a handler
/// package) planned fine and only failed at apply. Every bad setting is
/// an error of `validate`, at its path, and leaves no spec.
#[test]
fn bad_settings_are_refused_by_validate_at_their_path() {
    use crate::failover::apparatus::settings::{FailoverBlock, HealthCheckBlock};
    type Edit = Box<dyn Fn(&mut FailoverState<'static>)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|s| {
                s.failover = Value::Value(FailoverBlock {
                    cooldown_seconds: Value::Value(Number::Whole(-5)),
                    ..FailoverBlock::default()
                })
            }),
            "failover[0].cooldown_seconds",
            "Invalid cooldown",
        ),
        (
            Box::new(|s| {
                s.health_check = Value::Value(HealthCheckBlock {
                    timeout_ms: Value::Value(Number::Whole(-1)),
                    ..HealthCheckBlock::default()
                })
            }),
            "health_check[0].timeout_ms",
            "Invalid probe timeout",
        ),
        (
            Box::new(|s| {
                s.health_check = Value::Value(HealthCheckBlock {
                    interval_seconds: Value::Value(Number::Whole(i64::from(u32::MAX) + 61)),
                    ..HealthCheckBlock::default()
                })
            }),
            "health_check[0].interval_seconds",
            "Invalid health check interval",
        ),
        (
            Box::new(|s| s.log_retention_days = Value::Value(Number::Whole(-7))),
            "log_retention_days",
            "Invalid log retention",
        ),
    ];
    for (edit, path, summary) in cases {
        let mut config = valid();
        edit(&mut config);
        assert_eq!(
            errors(&config),
            vec![(path.to_owned(), summary.to_owned())],
            "{path}"
        );
        let mut diags = Diagnostics::default();
        assert!(spec(&config, &mut diags).is_none());
        assert_eq!(diags.errors.len(), 1, "{path}: one error, not a second one");
    }
}

/// A value still unknown when the spec is built (at apply) is named, with
/// what to do; no internal message.
#[test]
fn a_value_unknown_at_apply_is_named_with_what_to_do() {
    use crate::failover::apparatus::settings::FailoverBlock;
    let mut config = valid();
    config.failover = Value::Value(FailoverBlock {
        cooldown_seconds: Value::Unknown,
        ..FailoverBlock::default()
    });
    block_mut(&mut config, "secondary").certificate_arn = Value::Unknown;
    let mut diags = Diagnostics::default();
    assert!(spec(&config, &mut diags).is_none());
    let found: Vec<(String, String)> = diags
        .errors
        .iter()
        .map(|d| (d.attribute.to_string(), d.summary.to_string()))
        .collect();
    let unknown = "Value still unknown at apply".to_owned();
    assert_eq!(
        found,
        [
            ("secondary.certificate_arn".to_owned(), unknown.clone()),
            ("failover[0].cooldown_seconds".to_owned(), unknown),
        ]
    );
    for d in &diags.errors {
        assert!(
            d.detail.contains("terraform apply -target="),
            "{}",
            d.detail
        );
        assert!(!d.detail.contains("should not happen"), "{}", d.detail);
    }
    assert!(unknown_paths(&valid()).is_empty());
}
