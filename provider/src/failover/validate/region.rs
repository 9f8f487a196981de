//! The checks of one region block (`primary {}`, `secondary {}`) and of the
//! names and ids they hold. No AWS calls.

use multiregion_core::Region;
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use super::super::openapi;
use super::super::state::{RegionState, known};

/// Checks a DNS name as a custom domain name: lower case, labels of 1 to 63
/// characters of `a-z0-9-` (no hyphen at either end), at least two labels,
/// at most 253 characters.
pub fn check_domain_name(name: &str) -> Result<(), String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > 253 {
        return Err(format!("`{name}` is longer than 253 characters"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "`{name}` has upper-case letters; write it in lower case"
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "`{name}` is not a fully qualified name such as api.example.com"
        ));
    }
    for label in labels {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "`{name}` has an empty label or one longer than 63 characters"
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "`{name}` has a character outside a-z, 0-9, - and . (internationalized names must be given in punycode)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("`{name}` has a label that starts or ends with -"));
        }
    }
    Ok(())
}

/// The parts of an ACM certificate ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateArn {
    /// Partition.
    pub partition: String,
    /// Region.
    pub region: String,
    /// Account id.
    pub account_id: String,
}

/// Parses `arn:<partition>:acm:<region>:<account>:certificate/<id>`.
pub fn parse_certificate_arn(arn: &str) -> Result<CertificateArn, String> {
    let expected = "arn:aws:acm:<region>:<12-digit account>:certificate/<id>";
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_tag, partition, service, region, account, resource] = parts[..] else {
        return Err(format!(
            "`{arn}` is not an ACM certificate ARN ({expected})"
        ));
    };
    let id = resource.strip_prefix("certificate/").unwrap_or("");
    let partition_ok = ["aws", "aws-cn", "aws-us-gov"].contains(&partition);
    if arn_tag != "arn"
        || !partition_ok
        || service != "acm"
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || id.is_empty()
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!(
            "`{arn}` is not an ACM certificate ARN ({expected})"
        ));
    }
    Ok(CertificateArn {
        partition: partition.to_owned(),
        region: region.to_owned(),
        account_id: account.to_owned(),
    })
}

fn check_stage_name(stage: &str) -> Result<(), String> {
    let ok = !stage.is_empty()
        && stage.len() <= 128
        && stage
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{stage}` is not a stage name: use 1 to 128 characters of a-z, A-Z, 0-9, _ and -"
        ))
    }
}

pub(super) fn check_health_path(path: &str) -> Result<(), String> {
    let ok = !path.is_empty()
        && path.len() <= 64
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{path}` is not a single path segment: use 1 to 64 characters of a-z, A-Z, 0-9, _ and - (no slashes); the probes call /{path}/ping"
        ))
    }
}

fn check_rest_api_id(id: &str) -> Result<(), String> {
    if !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not a REST API id (10 characters of a-z and 0-9, as in the API's invoke URL)"
        ))
    }
}

pub(super) fn error(diags: &mut Diagnostics, path: AttributePath, summary: &str, detail: String) {
    diags.error(summary.to_owned(), detail, path);
}

pub(super) fn validate_region_block(
    diags: &mut Diagnostics,
    block: &'static str,
    config: &RegionState<'_>,
    health_path: Option<&str>,
) {
    let path = |attribute: &'static str| AttributePath::new(block).attribute(attribute);
    let region = known(&config.region);
    if let Some(code) = region
        && let Err(e) = Region::new(code)
    {
        error(diags, path("region"), "Unknown region", format!("{e}."));
    }
    if let Some(arn) = known(&config.certificate_arn) {
        match parse_certificate_arn(arn) {
            Err(e) => error(
                diags,
                path("certificate_arn"),
                "Invalid certificate ARN",
                format!("{e}."),
            ),
            Ok(parsed) => {
                if let Some(region) = region.filter(|r| Region::new(r).is_ok())
                    && parsed.region != region
                {
                    error(
                        diags,
                        path("certificate_arn"),
                        "Certificate is in another region",
                        format!(
                            "The certificate is in {}, but REGIONAL custom domains in {region} need a certificate from ACM in {region}. \
                             Request or import one in {region} and use its ARN.",
                            parsed.region
                        ),
                    );
                }
                if let Some(region) = region.and_then(|r| Region::new(r).ok())
                    && region.partition().as_str() != parsed.partition
                {
                    error(
                        diags,
                        path("certificate_arn"),
                        "Certificate is in another partition",
                        format!(
                            "The ARN's partition is {}, but {region} is in {}.",
                            parsed.partition,
                            region.partition().as_str()
                        ),
                    );
                }
            }
        }
    }
    if let Some(stage) = known(&config.stage_name)
        && let Err(e) = check_stage_name(stage)
    {
        error(
            diags,
            path("stage_name"),
            "Invalid stage name",
            format!("{e}."),
        );
    }
    match (&config.openapi_body, &config.existing_rest_api_id) {
        (Value::Null, Value::Null) => error(
            diags,
            AttributePath::new(block),
            "No API for this region",
            format!(
                "Set exactly one of {block}.openapi_body (an API the resource creates) and {block}.existing_rest_api_id (an existing API to adopt)."
            ),
        ),
        (Value::Value(_), Value::Value(_)) => error(
            diags,
            path("existing_rest_api_id"),
            "Two APIs for one region",
            format!(
                "Set only one of {block}.openapi_body and {block}.existing_rest_api_id: the first creates an API, the second adopts one."
            ),
        ),
        _ => {}
    }
    if let (Some(body), Some(health)) = (known(&config.openapi_body), health_path)
        && let Err(e) = openapi::check(body, health)
    {
        error(
            diags,
            path("openapi_body"),
            "Unusable OpenAPI body",
            format!("{}: {e}.", capitalize(block)),
        );
    }
    validate_health_route(diags, block, config);
    if let (Some(arn), Some(region)) = (known(&config.notification_topic_arn), region)
        && (!arn.starts_with("arn:")
            || !arn.contains(":sns:")
            || !arn.contains(&format!(":{region}:")))
    {
        error(
            diags,
            path("notification_topic_arn"),
            "Invalid notification topic",
            format!(
                "`{arn}` is not the ARN of an SNS topic in {region}; the state machine of {region} publishes there."
            ),
        );
    }
    if let Some(id) = known(&config.existing_rest_api_id)
        && let Err(e) = check_rest_api_id(id)
    {
        error(
            diags,
            path("existing_rest_api_id"),
            "Invalid REST API id",
            format!("{e}."),
        );
    }
}

/// Health route and base path: only the combinations that can carry the
/// probe are accepted.
fn validate_health_route(diags: &mut Diagnostics, block: &'static str, config: &RegionState<'_>) {
    let path = |attribute: &'static str| AttributePath::new(block).attribute(attribute);
    let adopted = !config.existing_rest_api_id.is_null();
    let managed = !config.openapi_body.is_null();
    let base = known(&config.base_path).map(|b| b.trim_matches('/'));
    let route = known(&config.health_route);
    if let Some(route) = route
        && route != "inject"
        && route != "separate"
    {
        return error(
            diags,
            path("health_route"),
            "Invalid health route",
            format!("`{route}` is neither `inject` nor `separate`."),
        );
    }
    if let Some(base) = base
        && (base.is_empty()
            || !base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)))
    {
        return error(
            diags,
            path("base_path"),
            "Invalid base path",
            format!(
                "`{base}` is not a base path: use one path segment of letters, digits and - . _ ~, or leave base_path unset."
            ),
        );
    }
    match (managed, adopted, route, base) {
        (true, _, Some("separate"), _) => error(
            diags,
            path("health_route"),
            "A managed API carries its own health route",
            format!(
                "{block}.openapi_body gets the health route added; health_route = \"separate\" is only for an adopted API (existing_rest_api_id)."
            ),
        ),
        (true, _, _, Some(_)) => error(
            diags,
            path("base_path"),
            "A managed API is mapped at the empty base path",
            format!(
                "Remove {block}.base_path: the probes call /<health_path>/ping on the managed API."
            ),
        ),
        (_, true, Some("separate"), None) => error(
            diags,
            path("base_path"),
            "A separate health API needs a base path for the adopted API",
            format!(
                "Set {block}.base_path (for example \"v1\"): a domain whose API is mapped at the empty base path accepts no other mapping."
            ),
        ),
        (_, true, None | Some("inject"), Some(_)) => error(
            diags,
            path("base_path"),
            "An injected health route needs the empty base path",
            format!(
                "With {block}.base_path the injected route would be under /<base_path>/, where the probes do not look; set health_route = \"separate\" or remove base_path."
            ),
        ),
        _ => {}
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
