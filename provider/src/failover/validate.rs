//! Validation without AWS calls: every check skips values that are unknown
//! at plan time, and runs again at apply before anything is created. Each
//! problem is an error on the attribute's path that says what to do.

use multiregion_core::Region;
use multiregion_core::naming::{self, Names};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use super::openapi;
use super::state::{FailoverState, RegionState, known};

/// Default first segment of the health route.
pub const DEFAULT_HEALTH_PATH: &str = "health";
/// Default stage.
pub const DEFAULT_STAGE_NAME: &str = "prod";

/// Where the API of a region comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiSource {
    /// Created and managed from this OpenAPI body.
    Managed {
        /// The body as configured (without the health route).
        openapi_body: String,
    },
    /// An existing API, adopted.
    Adopted {
        /// Its id.
        rest_api_id: String,
    },
}

/// One region's validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSpec {
    /// `primary` or `secondary`.
    pub block: &'static str,
    /// The region.
    pub region: Region,
    /// The certificate.
    pub certificate_arn: String,
    /// The account, from the certificate ARN (API Gateway uses certificates
    /// of its own account only).
    pub account_id: String,
    /// The stage.
    pub stage_name: String,
    /// Where the API comes from.
    pub api: ApiSource,
    /// The base path the domains map the API at (empty: the empty base path).
    pub base_path: String,
    /// How the health route reaches the ponger.
    pub health_route: HealthRoute,
    /// The notification topic the user gave, if any.
    pub notification_topic_arn: Option<String>,
}

/// How the health route `/<health_path>/ping` reaches the ponger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthRoute {
    /// The route is in the API mapped at the empty base path.
    Inject,
    /// A health API of ours is mapped at the base path `<health_path>`,
    /// beside the adopted API mapped at `base_path`.
    Separate,
}

impl HealthRoute {
    /// The value Terraform shows.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthRoute::Inject => "inject",
            HealthRoute::Separate => "separate",
        }
    }
}

impl RegionSpec {
    /// The path of an attribute of this block.
    pub fn path(&self, attribute: &'static str) -> AttributePath {
        AttributePath::new(self.block).attribute(attribute)
    }
}

/// The validated configuration, every value known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Names derived from `name`.
    pub names: Names,
    /// The public name.
    pub domain_name: String,
    /// The standby name, if configured (else the default, which needs the
    /// zone's name).
    pub standby_domain_name: Option<String>,
    /// The zone.
    pub hosted_zone_id: String,
    /// The health route's first segment.
    pub health_path: String,
    /// The region asked for, if any.
    pub active_region: Option<Region>,
    /// The primary region.
    pub primary: RegionSpec,
    /// The secondary region.
    pub secondary: RegionSpec,
    /// The handler package's directory, if the runtime is deployed.
    pub handler_package: Option<std::path::PathBuf>,
    /// The health check, failover and log settings in effect.
    pub settings: super::apparatus::settings::Settings,
}

impl Spec {
    /// Both regions' specs.
    pub fn regions(&self) -> [&RegionSpec; 2] {
        [&self.primary, &self.secondary]
    }

    /// The resource id.
    pub fn id(&self) -> String {
        naming::resource_id(&self.domain_name, &self.hosted_zone_id)
    }
}

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

fn check_health_path(path: &str) -> Result<(), String> {
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

fn error(diags: &mut Diagnostics, path: AttributePath, summary: &str, detail: String) {
    diags.error(summary.to_owned(), detail, path);
}

fn validate_region_block(
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

/// Validates a configuration, skipping unknown values. No AWS calls (the
/// handler package is read from disk).
pub fn validate(config: &FailoverState<'_>, diags: &mut Diagnostics) {
    super::apparatus::settings::effective(
        &config.health_check,
        &config.failover,
        &config.log_retention_days,
        diags,
    );
    if let Value::Value(package) = &config.handler_package
        && let Some(path) = known(&package.path)
        && let Err(e) = multiregion_core::package::Package::open(std::path::Path::new(path))
    {
        error(
            diags,
            AttributePath::new("handler_package")
                .index(0)
                .attribute("path"),
            "Unusable handler package",
            format!(
                "{e}. Build it with scripts/package, or use the package shipped with this provider's release."
            ),
        );
    }
    if let Some(name) = known(&config.name)
        && let Err(e) = naming::validate_name(name)
    {
        error(
            diags,
            AttributePath::new("name"),
            "Invalid name",
            format!("{e}."),
        );
    }
    let domain = known(&config.domain_name);
    if let Some(domain) = domain
        && let Err(e) = check_domain_name(domain)
    {
        error(
            diags,
            AttributePath::new("domain_name"),
            "Invalid domain name",
            format!("{e}."),
        );
    }
    if let Some(standby) = known(&config.standby_domain_name) {
        if let Err(e) = check_domain_name(standby) {
            error(
                diags,
                AttributePath::new("standby_domain_name"),
                "Invalid domain name",
                format!("{e}."),
            );
        } else if domain
            .is_some_and(|d| naming::normalize_dns_name(d) == naming::normalize_dns_name(standby))
        {
            error(
                diags,
                AttributePath::new("standby_domain_name"),
                "Standby name equals the public name",
                "standby_domain_name must be a second name (for example standby-api.example.com); remove it to use the default.".into(),
            );
        }
    }
    if let Some(zone) = known(&config.hosted_zone_id) {
        let bare = zone.trim_start_matches("/hostedzone/");
        if bare.is_empty() || bare.len() > 32 || !bare.bytes().all(|b| b.is_ascii_alphanumeric()) {
            error(
                diags,
                AttributePath::new("hosted_zone_id"),
                "Invalid hosted zone id",
                format!("`{zone}` is not a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ."),
            );
        }
    }
    let health_path = match &config.health_path {
        Value::Value(path) => match check_health_path(path) {
            Ok(()) => Some(path.as_ref()),
            Err(e) => {
                error(
                    diags,
                    AttributePath::new("health_path"),
                    "Invalid health path",
                    format!("{e}."),
                );
                None
            }
        },
        Value::Null => Some(DEFAULT_HEALTH_PATH),
        Value::Unknown => None,
    };
    for (block, value) in config.blocks() {
        if let Value::Value(region) = value {
            validate_region_block(diags, block, region, health_path);
        }
    }
    let region_of = |block: &Value<RegionState<'_>>| match block {
        Value::Value(b) => known(&b.region).map(str::to_owned),
        _ => None,
    };
    let (primary, secondary) = (region_of(&config.primary), region_of(&config.secondary));
    if let (Some(p), Some(s)) = (&primary, &secondary)
        && p == s
    {
        error(
            diags,
            AttributePath::new("secondary").attribute("region"),
            "Both regions are the same",
            format!(
                "primary.region and secondary.region are both {p}; failover needs two different regions."
            ),
        );
    }
    if let Some(active) = known(&config.active_region)
        && let (Some(p), Some(s)) = (&primary, &secondary)
        && active != p
        && active != s
    {
        error(
            diags,
            AttributePath::new("active_region"),
            "active_region is not one of the two regions",
            format!("active_region is {active}; set it to {p} or {s}, or remove it."),
        );
    }
}

fn region_spec(block: &'static str, config: &Value<RegionState<'_>>) -> Option<RegionSpec> {
    let Value::Value(config) = config else {
        return None;
    };
    let certificate_arn = known(&config.certificate_arn)?.to_owned();
    let account_id = parse_certificate_arn(&certificate_arn).ok()?.account_id;
    let api = match (
        known(&config.openapi_body),
        known(&config.existing_rest_api_id),
    ) {
        (Some(body), None) => ApiSource::Managed {
            openapi_body: body.to_owned(),
        },
        (None, Some(id)) => ApiSource::Adopted {
            rest_api_id: id.to_owned(),
        },
        _ => return None,
    };
    if config.openapi_body.is_unknown() || config.existing_rest_api_id.is_unknown() {
        return None;
    }
    Some(RegionSpec {
        block,
        region: Region::new(known(&config.region)?).ok()?,
        certificate_arn,
        account_id,
        stage_name: match &config.stage_name {
            Value::Value(s) => s.to_string(),
            Value::Null => DEFAULT_STAGE_NAME.to_owned(),
            Value::Unknown => return None,
        },
        api,
        base_path: match &config.base_path {
            Value::Value(s) => s.trim_matches('/').to_owned(),
            Value::Null => String::new(),
            Value::Unknown => return None,
        },
        health_route: match &config.health_route {
            Value::Value(s) if s == "separate" => HealthRoute::Separate,
            Value::Value(_) | Value::Null => HealthRoute::Inject,
            Value::Unknown => return None,
        },
        notification_topic_arn: match &config.notification_topic_arn {
            Value::Value(s) => Some(s.to_string()),
            Value::Null => None,
            Value::Unknown => return None,
        },
    })
}

/// The validated configuration, when every value is known and valid;
/// otherwise `None` with the problems in `diags`.
pub fn spec(config: &FailoverState<'_>, diags: &mut Diagnostics) -> Option<Spec> {
    let errors_before = diags.errors.len();
    validate(config, diags);
    if diags.errors.len() > errors_before {
        return None;
    }
    let optional = |v: &tf_provider::value::ValueString<'_>| match v {
        Value::Value(s) => Some(Some(s.to_string())),
        Value::Null => Some(None),
        Value::Unknown => None,
    };
    let spec = (|| {
        Some(Spec {
            names: Names::new(known(&config.name)?).ok()?,
            domain_name: naming::normalize_dns_name(known(&config.domain_name)?),
            standby_domain_name: optional(&config.standby_domain_name)?
                .map(|s| naming::normalize_dns_name(&s)),
            hosted_zone_id: known(&config.hosted_zone_id)?
                .trim_start_matches("/hostedzone/")
                .to_owned(),
            health_path: optional(&config.health_path)?
                .unwrap_or_else(|| DEFAULT_HEALTH_PATH.to_owned()),
            active_region: match optional(&config.active_region)? {
                Some(code) => Some(Region::new(&code).ok()?),
                None => None,
            },
            primary: region_spec("primary", &config.primary)?,
            secondary: region_spec("secondary", &config.secondary)?,
            handler_package: match &config.handler_package {
                Value::Value(block) => Some(std::path::PathBuf::from(known(&block.path)?)),
                Value::Null => None,
                Value::Unknown => return None,
            },
            settings: super::apparatus::settings::effective(
                &config.health_check,
                &config.failover,
                &config.log_retention_days,
                &mut Diagnostics::default(),
            )?,
        })
    })();
    if spec.is_none() {
        diags.root_error(
            "Configuration is not fully known",
            "Some arguments are still unknown at apply time; this should not happen. Run terraform apply again.",
        );
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failover::state::string;

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
}
