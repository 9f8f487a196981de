//! The provider: its configuration and what it shares with the resource.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use multiregion_core::aws::AwsSettings;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use tf_provider::value::{self, Value, ValueBool, ValueEmpty, ValueString};
use tf_provider::{AttributePath, Diagnostics, DynamicResource, Provider, map};

use crate::clients::Clients;
use crate::failover::FailoverResource;
use crate::pacing::{Pacer, scale_from_env};

/// Services whose endpoint the `endpoints` block can override.
pub const ENDPOINT_SERVICES: &[(&str, &str)] = &[
    ("apigateway", "API Gateway"),
    ("acm", "Certificate Manager"),
    ("route53", "Route 53"),
    ("lambda", "Lambda"),
    ("iam", "IAM"),
    ("cloudwatch", "CloudWatch"),
    ("logs", "CloudWatch Logs"),
    ("sns", "SNS"),
    ("events", "EventBridge"),
    ("sfn", "Step Functions"),
    ("sqs", "SQS"),
    ("sts", "STS"),
];

/// Environment fallback of `api_gateway_pacing`: `false` turns it off, and
/// a number between 0 and 1 paces at that fraction of AWS's intervals (for
/// tests against an emulator that enforces the same fraction).
pub const ENV_PACING: &str = "MULTIREGION_API_GATEWAY_PACING";

/// Default SDK retries per call.
pub const DEFAULT_MAX_RETRIES: i64 = 5;

/// What the resource needs from the provider's configuration.
#[derive(Debug)]
pub struct Shared {
    /// SDK clients per region.
    pub clients: Clients,
    /// API Gateway quota pacing.
    pub pacer: Pacer,
    /// Bound on each region's part of a refresh.
    pub read_timeout: Duration,
}

/// Filled in by `configure`; read by the resource.
pub type SharedHandle = Arc<RwLock<Option<Arc<Shared>>>>;

/// The `provider "multiregion"` block.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ProviderConfig<'a> {
    /// Shared config profile.
    pub profile: ValueString<'a>,
    /// SDK retries per call.
    pub max_retries: crate::number::ConfiguredNumber,
    /// Pace API Gateway's fixed-rate calls.
    pub api_gateway_pacing: ValueBool,
    /// Seconds each region's part of a refresh may take.
    pub read_timeout_seconds: crate::number::ConfiguredNumber,
    /// Endpoint overrides.
    #[serde(with = "value::serde_as_vec")]
    pub endpoints: Value<BTreeMap<String, ValueString<'a>>>,
}

/// The provider.
#[derive(Debug, Default)]
pub struct MultiregionProvider {
    shared: SharedHandle,
}

fn attribute(kind: AttributeType, constraint: AttributeConstraint, description: &str) -> Attribute {
    Attribute {
        attr_type: kind,
        description: Description::markdown(description.to_owned()),
        constraint,
        ..Default::default()
    }
}

/// The provider's schema.
pub fn provider_schema() -> Schema {
    let endpoints = ENDPOINT_SERVICES
        .iter()
        .map(|(id, name)| {
            (
                (*id).to_owned(),
                attribute(
                    AttributeType::String,
                    AttributeConstraint::Optional,
                    &format!("Endpoint URL for {name} calls, instead of the default (`AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` are honoured too)."),
                ),
            )
        })
        .collect::<HashMap<_, _>>();
    Schema {
        version: 1,
        block: Block {
            description: Description::markdown(
                "The `multiregion` provider manages `multiregion_apigw_failover`: an API Gateway + Lambda API in two AWS regions with automatic failover between them. \
                 Credentials come from the default AWS credential chain (environment, shared config and credentials files, SSO, web identity, container and instance roles).",
            ),
            attributes: map! {
                "profile" => attribute(AttributeType::String, AttributeConstraint::Optional,
                    "Named profile of the shared AWS config and credentials files. Default: `AWS_PROFILE`, else `default`."),
                "max_retries" => attribute(AttributeType::Number, AttributeConstraint::Optional,
                    "Retries of each AWS call after a throttling or transient error, with exponential backoff. Default: `5`."),
                "api_gateway_pacing" => attribute(AttributeType::Bool, AttributeConstraint::Optional,
                    "Space API Gateway's fixed-rate management calls as its quotas require, per account and region (CreateDomainName, UpdateDomainName and DeleteDomainName 1 per 30 s, DeleteRestApi 1 per 30 s, CreateRestApi and ImportRestApi 1 per 3 s, CreateDeployment 1 per 5 s, PutRestApi 1 per s), instead of running into `TooManyRequestsException`. \
                     These quotas cannot be raised, so large applies take minutes: every pair creates two custom domains in each region, so a first apply of 12 pairs in one account needs 24 CreateDomainName calls per region, about 12 minutes, and a certificate change updates both domains of a region 30 s apart. Each wait is logged at INFO to the provider's log (the file `PLUGIN_LOG_FILE` names) with the operation, the quota and the seconds left. \
                     Default: `true`, or `MULTIREGION_API_GATEWAY_PACING` when set (`false` turns it off). Turn it off only against an emulator."),
                "read_timeout_seconds" => attribute(AttributeType::Number, AttributeConstraint::Optional,
                    "How long each region's part of a refresh may take. A region that does not answer in time keeps its previous values, with a warning naming it, so that a plan still works while a region is down. Default: `20`."),
            },
            blocks: map! {
                "endpoints" => NestedBlock::Optional(Block {
                    description: Description::markdown("Endpoint overrides per service, for example to run against an emulator."),
                    attributes: endpoints,
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
    }
}

impl MultiregionProvider {
    /// Builds the shared state from a configuration. Public for tests.
    pub fn shared_from(config: &ProviderConfig<'_>) -> Shared {
        let endpoints = match &config.endpoints {
            Value::Value(map) => map
                .iter()
                .filter_map(|(k, v)| v.as_ref_option().map(|url| (k.clone(), url.to_string())))
                .collect(),
            _ => BTreeMap::new(),
        };
        let retries = whole_or(config.max_retries, DEFAULT_MAX_RETRIES).clamp(0, 20);
        let settings = AwsSettings {
            profile: config.profile.as_ref_option().map(|p| p.to_string()),
            endpoints,
            max_attempts: Some(u32::try_from(retries).unwrap_or(5) + 1),
            attempt_timeout: Some(Duration::from_secs(30)),
        };
        let read_timeout = whole_or(config.read_timeout_seconds, 20).clamp(1, 600);
        Shared {
            clients: Clients::new(settings),
            pacer: match config.api_gateway_pacing.as_ref_option() {
                Some(enabled) => Pacer::new(*enabled),
                None => Pacer::scaled(scale_from_env(std::env::var(ENV_PACING).ok().as_deref())),
            },
            read_timeout: Duration::from_secs(read_timeout as u64),
        }
    }
}

/// A configured whole number, or `default` when it is null, unknown or not
/// whole (validate has refused those).
fn whole_or(value: crate::number::ConfiguredNumber, default: i64) -> i64 {
    match value {
        Value::Value(n) => n.whole().unwrap_or(default),
        _ => default,
    }
}

#[async_trait]
impl Provider for MultiregionProvider {
    type Config<'a> = ProviderConfig<'a>;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(provider_schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        if let Value::Value(retries) = config.max_retries
            && !retries.whole().is_some_and(|n| (0..=20).contains(&n))
        {
            diags.error(
                "max_retries is out of range",
                format!("max_retries is {retries}; use a whole number from 0 to 20."),
                AttributePath::new("max_retries"),
            );
        }
        if let Value::Value(timeout) = config.read_timeout_seconds
            && !timeout.whole().is_some_and(|n| (1..=600).contains(&n))
        {
            diags.error(
                "read_timeout_seconds is out of range",
                format!(
                    "read_timeout_seconds is {timeout}; use a whole number of seconds from 1 to 600."
                ),
                AttributePath::new("read_timeout_seconds"),
            );
        }
        if let Value::Value(endpoints) = &config.endpoints {
            for (service, url) in endpoints {
                if let Value::Value(url) = url
                    && !(url.starts_with("http://") || url.starts_with("https://"))
                {
                    diags.error(
                        "Endpoint is not a URL",
                        format!("`{url}` does not start with http:// or https://."),
                        AttributePath::new("endpoints")
                            .index(0)
                            .attribute(service.clone()),
                    );
                }
            }
        }
        Some(())
    }

    async fn configure<'a>(
        &self,
        _diags: &mut Diagnostics,
        terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        tracing::info!(%terraform_version, "configuring the multiregion provider");
        let shared = Arc::new(Self::shared_from(&config));
        *self.shared.write().unwrap_or_else(|p| p.into_inner()) = Some(shared);
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(map! {
            "apigw_failover" => FailoverResource::new(self.shared.clone()),
        })
    }
}
