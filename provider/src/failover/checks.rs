//! Checks that need AWS: the zone exists, is public and holds both names;
//! each certificate is ISSUED, in its block's region, and covers both
//! names; an adopted API exists and is REGIONAL with the stage. They run in
//! plan when the values are known, and again at apply before anything is
//! created. Only Get/Describe calls.
//!
//! A notification topic of the user's exists, and is not encrypted with a key
//! the paging alarm or the notifier cannot use.
//!
//! They also find what a plan should warn of: an injected health route
//! redeploys an adopted API's working copy, an adopted API's resource
//! policy or web ACL applies to the probes, and a topic's KMS key must let
//! CloudWatch publish.

use aws_sdk_acm::types::CertificateStatus;
use multiregion_core::naming::{default_standby_domain, normalize_dns_name};
use tf_provider::{AttributePath, Diagnostics};

use super::apparatus::topic_key::{self, AWS_MANAGED_ALIAS, DOCS, TopicKey};
use super::validate::{ApiSource, HealthRoute, RegionSpec, Spec};
use crate::provider::Shared;

/// The public zone's name, or an error on `hosted_zone_id`.
pub async fn zone_name(shared: &Shared, spec: &Spec, diags: &mut Diagnostics) -> Option<String> {
    let route53 = shared.clients.route53(&spec.primary.region).await;
    let path = AttributePath::new("hosted_zone_id");
    match route53
        .get_hosted_zone()
        .id(&spec.hosted_zone_id)
        .send()
        .await
    {
        Ok(zone) => {
            let Some(zone) = zone.hosted_zone() else {
                diags.error(
                    "Hosted zone not found",
                    format!("Route 53 returned no zone for {}.", spec.hosted_zone_id),
                    path,
                );
                return None;
            };
            if zone.config().is_some_and(|c| c.private_zone()) {
                diags.error(
                    "Hosted zone is private",
                    format!("{} is a private hosted zone; clients reach the API through public DNS, so use the public zone of {}.", spec.hosted_zone_id, zone.name()),
                    path,
                );
                return None;
            }
            Some(normalize_dns_name(zone.name()))
        }
        Err(e) => {
            use aws_sdk_route53::error::ProvideErrorMetadata;
            let detail = match e.as_service_error() {
                Some(s) if s.code() == Some("NoSuchHostedZone") => {
                    format!(
                        "There is no hosted zone {}; check hosted_zone_id.",
                        spec.hosted_zone_id
                    )
                }
                _ => format!(
                    "Reading hosted zone {} failed: {}",
                    spec.hosted_zone_id,
                    super::sdk_error::sdk_message(&e)
                ),
            };
            diags.error("Hosted zone not usable", detail, path);
            None
        }
    }
}

/// The standby name: configured, or the default for the zone.
pub fn standby_name(spec: &Spec, zone_name: &str) -> String {
    spec.standby_domain_name
        .clone()
        .unwrap_or_else(|| default_standby_domain(&spec.domain_name, zone_name))
}

fn inside(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// Whether a certificate name (possibly `*.`) covers `name`.
pub fn covers(certificate_name: &str, name: &str) -> bool {
    let certificate_name = normalize_dns_name(certificate_name);
    match certificate_name.strip_prefix("*.") {
        Some(parent) => name.split_once('.').is_some_and(|(_, rest)| rest == parent),
        None => certificate_name == name,
    }
}

async fn check_certificate(
    shared: &Shared,
    region: &RegionSpec,
    names: &[&str],
    diags: &mut Diagnostics,
) {
    let path = region.path("certificate_arn");
    let acm = shared.clients.region(&region.region).await.acm;
    let described = match acm
        .describe_certificate()
        .certificate_arn(&region.certificate_arn)
        .send()
        .await
    {
        Ok(d) => d,
        Err(e) => {
            use aws_sdk_acm::error::ProvideErrorMetadata;
            let detail = match e.as_service_error() {
                Some(s) if s.code() == Some("ResourceNotFoundException") => format!(
                    "There is no certificate {} in ACM in {}; request or import one there.",
                    region.certificate_arn, region.region
                ),
                _ => format!(
                    "Reading the certificate failed: {}",
                    super::sdk_error::sdk_message(&e)
                ),
            };
            diags.error("Certificate not usable", detail, path);
            return;
        }
    };
    let Some(certificate) = described.certificate() else {
        diags.error(
            "Certificate not usable",
            "ACM returned no certificate details.",
            path,
        );
        return;
    };
    if certificate.status() != Some(&CertificateStatus::Issued) {
        diags.error(
            "Certificate is not issued",
            format!(
                "{} is {}; finish its validation (ISSUED) before applying.",
                region.certificate_arn,
                certificate
                    .status()
                    .map_or("in an unknown state", |s| s.as_str())
            ),
            path.clone(),
        );
    }
    let mut certificate_names: Vec<&str> = certificate
        .subject_alternative_names()
        .iter()
        .map(String::as_str)
        .collect();
    if let Some(primary) = certificate.domain_name() {
        certificate_names.push(primary);
    }
    let uncovered: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !certificate_names.iter().any(|c| covers(c, name)))
        .collect();
    if !uncovered.is_empty() {
        diags.error(
            "Certificate does not cover both names",
            format!(
                "{} covers {} but not {}; each region's certificate must cover the public and the standby name (both as names, or a wildcard).",
                region.certificate_arn,
                certificate_names.join(", "),
                uncovered.join(", ")
            ),
            path,
        );
    }
}

/// What the checks found: the zone's name, and what the plan warns of.
#[derive(Debug)]
pub struct Checked {
    /// The public zone's name.
    pub zone: String,
    /// Warnings (summary, detail) for the plan.
    pub warnings: Vec<(String, String)>,
}

/// The warnings for an injected health route in an adopted API: the
/// injection redeploys the API, and the API's resource policy and web ACL
/// see the probes. `policy` and `web_acl` are what API Gateway reports.
pub fn injected_route_warnings(
    region: &RegionSpec,
    rest_api_id: &str,
    health_path: &str,
    policy: Option<&str>,
    web_acl: Option<&str>,
) -> Vec<(String, String)> {
    let (block, stage) = (region.block, &region.stage_name);
    let mut warnings = vec![(
        "Injecting the health route redeploys the adopted API".to_owned(),
        format!(
            "{block}.health_route = \"inject\" (the default) adds /{health_path}/ping to REST API {rest_api_id} and deploys the API's current working copy to stage {stage}, \
             and does so again when destroy removes the route. Changes made to {rest_api_id} in the console or by other tools and never deployed go live with it. \
             Deploy or discard them first, or set {block}.health_route = \"separate\" and {block}.base_path to leave the API's deployments alone."
        ),
    )];
    if policy.is_some_and(|p| !p.trim().is_empty()) {
        warnings.push((
            "The adopted API has a resource policy".to_owned(),
            format!(
                "REST API {rest_api_id} in {} has a resource policy, and it applies to the probes: an anonymous GET /{health_path}/ping on stage {stage}, sent from AWS Lambda in both regions. \
                 If the policy does not allow it, API Gateway answers 403, the runtime counts this region as down and fails away from it. \
                 Allow it with a statement {{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"execute-api:Invoke\", \"Resource\": \"execute-api:/{stage}/GET/{health_path}/ping\"}} \
                 that no Deny overrides, and redeploy; or set {block}.health_route = \"separate\" and {block}.base_path, so that the probes reach a health API of the resource's own.",
                region.region
            ),
        ));
    }
    if let Some(web_acl) = web_acl.filter(|w| !w.is_empty()) {
        warnings.push((
            "The adopted API's stage has a web ACL".to_owned(),
            format!(
                "Stage {stage} of REST API {rest_api_id} in {} is protected by {web_acl}, and its rules apply to the probes (GET /{health_path}/ping from AWS Lambda in both regions, every interval). \
                 If a rule blocks them (an IP set, a geographic or a rate-based rule), the runtime counts this region as down. Exempt that path, \
                 or set {block}.health_route = \"separate\" and {block}.base_path, so that the probes reach a health API of the resource's own.",
                region.region
            ),
        ));
    }
    warnings
}

async fn check_adopted_api(
    shared: &Shared,
    spec: &Spec,
    region: &RegionSpec,
    diags: &mut Diagnostics,
    warnings: &mut Vec<(String, String)>,
) {
    let ApiSource::Adopted { rest_api_id } = &region.api else {
        return;
    };
    use aws_sdk_apigateway::error::ProvideErrorMetadata;
    use aws_sdk_apigateway::types::EndpointType;
    let path = region.path("existing_rest_api_id");
    let apigw = shared.clients.region(&region.region).await.apigateway;
    let policy = match apigw.get_rest_api().rest_api_id(rest_api_id).send().await {
        Ok(api) => {
            let types = api
                .endpoint_configuration()
                .map(|c| c.types().to_vec())
                .unwrap_or_default();
            if types != [EndpointType::Regional] {
                diags.error(
                    "Adopted API is not REGIONAL",
                    format!(
                        "{rest_api_id} has endpoint type {}; only REGIONAL APIs can be adopted. Change its endpoint type to REGIONAL first.",
                        types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    path,
                );
                return;
            }
            api.policy().map(str::to_owned)
        }
        Err(e) => {
            let detail = match e.as_service_error() {
                Some(s) if s.code() == Some("NotFoundException") => {
                    format!(
                        "There is no REST API {rest_api_id} in {}; check the id and the region.",
                        region.region
                    )
                }
                _ => format!(
                    "Reading REST API {rest_api_id} failed: {}",
                    super::sdk_error::sdk_message(&e)
                ),
            };
            diags.error("Adopted API not found", detail, path);
            return;
        }
    };
    match apigw
        .get_stage()
        .rest_api_id(rest_api_id)
        .stage_name(&region.stage_name)
        .send()
        .await
    {
        Ok(stage) => {
            if region.health_route == HealthRoute::Inject {
                warnings.extend(injected_route_warnings(
                    region,
                    rest_api_id,
                    &spec.health_path,
                    policy.as_deref(),
                    stage.web_acl_arn(),
                ));
            }
        }
        Err(e) => {
            let missing = e.as_service_error().and_then(|s| s.code()) == Some("NotFoundException");
            let detail = if missing {
                format!(
                    "{rest_api_id} has no stage {}; deploy it, or set {}.stage_name to an existing stage.",
                    region.stage_name, region.block
                )
            } else {
                format!(
                    "Reading stage {} failed: {}",
                    region.stage_name,
                    super::sdk_error::sdk_message(&e)
                )
            };
            diags.error(
                "Adopted API has no such stage",
                detail,
                region.path("stage_name"),
            );
        }
    }
}

/// A topic the user gave must exist, and its encryption must let both the
/// notifier and the paging alarm (CloudWatch) publish to it
/// ([`topic_key`]).
async fn check_notification_topic(
    shared: &Shared,
    region: &RegionSpec,
    diags: &mut Diagnostics,
    warnings: &mut Vec<(String, String)>,
) {
    let Some(topic) = &region.notification_topic_arn else {
        return;
    };
    let path = region.path("notification_topic_arn");
    let sns = shared.clients.region(&region.region).await.sns;
    let key = match topic_key::read(&sns, topic).await {
        Ok(key) => key,
        Err(e) => {
            use aws_sdk_sns::error::ProvideErrorMetadata;
            let detail = match e.as_service_error() {
                Some(s) if s.code() == Some("NotFound") => format!(
                    "There is no SNS topic {topic} in {}; create it there, or leave {}.notification_topic_arn unset and subscribe to the topic the resource creates.",
                    region.region, region.block
                ),
                _ => format!(
                    "Reading topic {topic} failed: {}",
                    super::sdk_error::sdk_message(&e)
                ),
            };
            diags.error("Notification topic not usable", detail, path);
            return;
        }
    };
    match key {
        None => {}
        Some(TopicKey::AwsManaged) => diags.error(
            "Notification topic encrypted with the AWS managed key",
            format!(
                "{topic} is encrypted with {AWS_MANAGED_ALIAS}. The paging alarm publishes to it as CloudWatch, and that key's policy cannot be changed to let CloudWatch use it: every page would be lost. \
                 Encrypt the topic with a customer managed key whose key policy allows the service principal cloudwatch.amazonaws.com kms:GenerateDataKey* and kms:Decrypt, or turn its encryption off. See {DOCS}."
            ),
            path,
        ),
        Some(TopicKey::Alias(alias)) => diags.error(
            "Notification topic's key is named by an alias",
            format!(
                "{topic} names its KMS key by the alias {alias}. The notifier's role is granted the key by its exact ARN, and a grant cannot be scoped to an alias. \
                 Set the topic's KmsMasterKeyId to the key's ARN (aws kms describe-key --key-id {alias} --query KeyMetadata.Arn): the topic stays encrypted with the same key."
            ),
            path,
        ),
        Some(TopicKey::Key(arn)) => warnings.push((
            "The notification topic is encrypted with a KMS key".to_owned(),
            format!(
                "{topic} is encrypted with {arn}. The notifier's role in {} is granted kms:GenerateDataKey and kms:Decrypt on that key, through SNS only. \
                 The paging alarm publishes as CloudWatch: the key's policy must allow the service principal cloudwatch.amazonaws.com kms:GenerateDataKey* and kms:Decrypt, \
                 or every page is lost (an AWS managed key's policy cannot). See {DOCS}.",
                region.region
            ),
        )),
    }
}

/// Runs every AWS check; returns the zone's name and the plan's warnings
/// when they pass.
pub async fn run(shared: &Shared, spec: &Spec, diags: &mut Diagnostics) -> Option<Checked> {
    let mut warnings = Vec::new();
    let errors_before = diags.errors.len();
    let zone = zone_name(shared, spec, diags).await?;
    let standby = standby_name(spec, &zone);
    for (name, attribute) in [
        (&spec.domain_name, "domain_name"),
        (&standby, "standby_domain_name"),
    ] {
        if !inside(name, &zone) {
            diags.error(
                "Name outside the hosted zone",
                format!("{name} is not inside the zone {zone} ({}); use a name ending in .{zone}, or the zone that holds it.", spec.hosted_zone_id),
                AttributePath::new(attribute),
            );
        }
    }
    for region in spec.regions() {
        check_certificate(shared, region, &[&spec.domain_name, &standby], diags).await;
        check_adopted_api(shared, spec, region, diags, &mut warnings).await;
        check_notification_topic(shared, region, diags, &mut warnings).await;
    }
    (diags.errors.len() == errors_before).then_some(Checked { zone, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.example.com", "api.example.com"));
        assert!(covers("*.example.com", "standby-api.example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(covers("API.example.com.", "api.example.com"));
        assert!(inside("api.example.com", "example.com"));
        assert!(!inside("api.badexample.com", "example.com"));
    }
}
