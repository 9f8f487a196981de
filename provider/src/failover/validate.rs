//! Validation without AWS calls: every check skips values that are unknown
//! at plan time, and runs again at apply before anything is created. Each
//! problem is an error on the attribute's path that says what to do.

use multiregion_core::Region;
use multiregion_core::naming::{self, Names};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use super::state::{FailoverState, RegionState, known};

mod region;
pub mod settings;

use region::{
    check_domain_name, check_health_path, error, parse_certificate_arn, validate_region_block,
};

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

/// Validates a configuration, skipping unknown values. No AWS calls (the
/// handler package is read from disk).
pub fn validate(config: &FailoverState<'_>, diags: &mut Diagnostics) {
    settings::effective(
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
            settings: settings::effective(
                &config.health_check,
                &config.failover,
                &config.log_retention_days,
                &mut Diagnostics::default(),
            )?,
        })
    })();
    if spec.is_none() {
        // Every known value passed `validate`, so what is missing is a
        // value still unknown: name it. (Terraform knows every configured
        // value at apply unless another provider planned it unknown.)
        let unknown = unknown_paths(config);
        for path in &unknown {
            diags.error(
                "Value still unknown at apply",
                format!(
                    "{path} is not known yet, and the resource cannot be created or changed without it. If it comes from another resource, \
                     apply that one first (terraform apply -target=<that resource>), then apply this configuration again."
                ),
                path.clone(),
            );
        }
        if unknown.is_empty() {
            diags.root_error(
                "Configuration could not be used",
                "No argument is unknown or invalid, yet the configuration could not be turned into a plan for AWS. \
                 Run terraform validate, and report this configuration to the provider's maintainers.",
            );
        }
    }
    spec
}

/// The paths of the configured values that are unknown, in schema order.
pub fn unknown_paths(config: &FailoverState<'_>) -> Vec<AttributePath> {
    let mut paths = Vec::new();
    let mut check = |unknown: bool, path: AttributePath| {
        if unknown {
            paths.push(path);
        }
    };
    for (name, value) in [
        ("name", &config.name),
        ("domain_name", &config.domain_name),
        ("standby_domain_name", &config.standby_domain_name),
        ("hosted_zone_id", &config.hosted_zone_id),
        ("health_path", &config.health_path),
        ("active_region", &config.active_region),
    ] {
        check(value.is_unknown(), AttributePath::new(name));
    }
    check(
        config.log_retention_days.is_unknown(),
        AttributePath::new("log_retention_days"),
    );
    for (block, value) in config.blocks() {
        let path = |attribute: &'static str| AttributePath::new(block).attribute(attribute);
        match value {
            Value::Value(b) => {
                for (name, value) in [
                    ("region", &b.region),
                    ("certificate_arn", &b.certificate_arn),
                    ("stage_name", &b.stage_name),
                    ("openapi_body", &b.openapi_body),
                    ("existing_rest_api_id", &b.existing_rest_api_id),
                    ("base_path", &b.base_path),
                    ("health_route", &b.health_route),
                    ("notification_topic_arn", &b.notification_topic_arn),
                ] {
                    check(value.is_unknown(), path(name));
                }
            }
            Value::Unknown => check(true, AttributePath::new(block)),
            Value::Null => {}
        }
    }
    let in_block = |block: &'static str, attribute: &'static str| {
        AttributePath::new(block).index(0).attribute(attribute)
    };
    match &config.handler_package {
        Value::Value(b) => check(b.path.is_unknown(), in_block("handler_package", "path")),
        Value::Unknown => check(true, AttributePath::new("handler_package")),
        Value::Null => {}
    }
    match &config.health_check {
        Value::Value(b) => {
            for (name, value) in [
                ("interval_seconds", &b.interval_seconds),
                ("evaluation_periods", &b.evaluation_periods),
                ("datapoints_to_alarm", &b.datapoints_to_alarm),
                ("timeout_ms", &b.timeout_ms),
            ] {
                check(value.is_unknown(), in_block("health_check", name));
            }
        }
        Value::Unknown => check(true, AttributePath::new("health_check")),
        Value::Null => {}
    }
    match &config.failover {
        Value::Value(b) => {
            check(b.automatic.is_unknown(), in_block("failover", "automatic"));
            check(
                b.cooldown_seconds.is_unknown(),
                in_block("failover", "cooldown_seconds"),
            );
            check(
                b.force_switchover.is_unknown(),
                in_block("failover", "force_switchover"),
            );
        }
        Value::Unknown => check(true, AttributePath::new("failover")),
        Value::Null => {}
    }
    paths
}

#[cfg(test)]
mod tests;
