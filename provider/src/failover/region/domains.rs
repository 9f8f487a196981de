//! The REGIONAL custom domains of both names and their base path mappings.

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, SecurityPolicy};
use multiregion_core::AliasTarget;

use super::{
    NOT_FOUND, RegionContext, RegionError, deleted, failure, is_not_found, replace, sdk_message,
};
use crate::pacing::Quota;

impl RegionContext<'_> {
    pub(super) async fn get_domain(
        &self,
        name: &str,
    ) -> Result<Option<(AliasTarget, bool, Option<String>)>, RegionError> {
        match self.api().get_domain_name().domain_name(name).send().await {
            Ok(domain) => {
                let target = match (
                    domain.regional_domain_name(),
                    domain.regional_hosted_zone_id(),
                ) {
                    (Some(dns), Some(zone)) => AliasTarget {
                        dns_name: dns.to_owned(),
                        hosted_zone_id: zone.to_owned(),
                    },
                    _ => {
                        return Err(failure(
                            self.region(),
                            "reading a custom domain",
                            format!(
                                "{name} exists in {} but is not REGIONAL; delete it or make it REGIONAL",
                                self.region()
                            ),
                        ));
                    }
                };
                Ok(Some((
                    target,
                    self.is_ours(domain.tags()),
                    domain.regional_certificate_arn().map(str::to_owned),
                )))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(failure(
                self.region(),
                "reading a custom domain",
                sdk_message(&e),
            )),
        }
    }

    pub(super) async fn ensure_domain(
        &self,
        name: &str,
    ) -> Result<(AliasTarget, bool), RegionError> {
        if let Some((target, ours, certificate)) = self.get_domain(name).await? {
            if certificate.as_deref() != Some(self.spec.certificate_arn.as_str()) {
                let _paced = self
                    .pacer
                    .wait(self.region(), Quota::UpdateDomainName)
                    .await;
                self.api()
                    .update_domain_name()
                    .domain_name(name)
                    .patch_operations(replace(
                        "/regionalCertificateArn",
                        &self.spec.certificate_arn,
                    ))
                    .send()
                    .await
                    .map_err(|e| {
                        failure(
                            self.region(),
                            "updating a custom domain's certificate",
                            sdk_message(&e),
                        )
                    })?;
            }
            return Ok((target, ours));
        }
        let _paced = self
            .pacer
            .wait(self.region(), Quota::CreateDomainName)
            .await;
        let created = self
            .api()
            .create_domain_name()
            .domain_name(name)
            .regional_certificate_arn(&self.spec.certificate_arn)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .security_policy(SecurityPolicy::Tls12)
            .set_tags(Some(self.tags()))
            .send()
            .await
            .map_err(|e| {
                failure(
                    self.region(),
                    "creating a custom domain",
                    format!(
                        "{name}: {} (check {}.certificate_arn)",
                        sdk_message(&e),
                        self.spec.block
                    ),
                )
            })?;
        match (
            created.regional_domain_name(),
            created.regional_hosted_zone_id(),
        ) {
            (Some(dns), Some(zone)) => Ok((
                AliasTarget {
                    dns_name: dns.to_owned(),
                    hosted_zone_id: zone.to_owned(),
                },
                true,
            )),
            _ => Err(failure(
                self.region(),
                "creating a custom domain",
                "no regional domain name returned",
            )),
        }
    }

    /// How `name` is mapped at `base_path` (empty: the empty base path):
    /// `Some(true)` to `api_id`'s `stage`, `Some(false)` elsewhere, `None`
    /// not mapped.
    pub(super) async fn mapping(
        &self,
        name: &str,
        base_path: &str,
        api_id: &str,
        stage: &str,
    ) -> Result<Option<bool>, RegionError> {
        let mappings = match self
            .api()
            .get_base_path_mappings()
            .domain_name(name)
            .send()
            .await
        {
            Ok(m) => m,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => {
                return Err(failure(
                    self.region(),
                    "reading base path mappings",
                    sdk_message(&e),
                ));
            }
        };
        Ok(mappings
            .items()
            .iter()
            .find(|m| same_base_path(m.base_path(), base_path))
            .map(|m| m.rest_api_id() == Some(api_id) && m.stage() == Some(stage)))
    }

    /// Deletes every base path mapping of `name` that points at `api_id`
    /// (none, or no such domain, is done). API Gateway refuses
    /// `DeleteRestApi` while a mapping points at the API ("Please remove all
    /// base path mappings"), so an API of ours leaves the domains that
    /// outlive it this way first.
    pub(super) async fn unmap(&self, name: &str, api_id: &str) -> Result<(), RegionError> {
        let mappings = match self
            .api()
            .get_base_path_mappings()
            .domain_name(name)
            .send()
            .await
        {
            Ok(m) => m,
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => {
                return Err(failure(
                    self.region(),
                    "reading base path mappings",
                    sdk_message(&e),
                ));
            }
        };
        for mapping in mappings
            .items()
            .iter()
            .filter(|m| m.rest_api_id() == Some(api_id))
        {
            let removed = self
                .api()
                .delete_base_path_mapping()
                .domain_name(name)
                .base_path(base_path_key(mapping.base_path()))
                .send()
                .await;
            deleted(removed, NOT_FOUND).map_err(|e| {
                failure(
                    self.region(),
                    "removing a base path mapping",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
        }
        Ok(())
    }

    /// Maps `name` at `base_path` to `api_id`'s `stage`, repairing a mapping
    /// of ours that points elsewhere.
    pub(super) async fn ensure_mapping(
        &self,
        name: &str,
        base_path: &str,
        api_id: &str,
        stage: &str,
        domain_is_ours: bool,
    ) -> Result<(), RegionError> {
        let key = if base_path.is_empty() {
            "(none)"
        } else {
            base_path
        };
        match self.mapping(name, base_path, api_id, stage).await? {
            Some(true) => Ok(()),
            Some(false) if domain_is_ours => {
                self.api()
                    .update_base_path_mapping()
                    .domain_name(name)
                    .base_path(key)
                    .patch_operations(replace("/restapiId", api_id))
                    .patch_operations(replace("/stage", stage))
                    .send()
                    .await
                    .map_err(|e| {
                        failure(
                            self.region(),
                            "updating a base path mapping",
                            sdk_message(&e),
                        )
                    })?;
                Ok(())
            }
            Some(false) => Err(failure(
                self.region(),
                "mapping a custom domain",
                format!(
                    "{name} already exists in {} and its base path `{key}` is mapped to another API or stage; map it to {api_id}/{stage} or delete it",
                    self.region()
                ),
            )),
            None => {
                let mut request = self
                    .api()
                    .create_base_path_mapping()
                    .domain_name(name)
                    .rest_api_id(api_id)
                    .stage(stage);
                if !base_path.is_empty() {
                    request = request.base_path(base_path);
                }
                request.send().await.map_err(|e| {
                    failure(self.region(), "mapping a custom domain", sdk_message(&e))
                })?;
                Ok(())
            }
        }
    }
}

/// The key of a base path in API Gateway's URLs (`(none)`: the empty one).
fn base_path_key(base_path: Option<&str>) -> String {
    match base_path.map(|p| p.trim_matches('/')) {
        None | Some("") => "(none)".to_owned(),
        Some(path) => path.to_owned(),
    }
}

/// Whether an API Gateway base path (`(none)` for the empty one) is `wanted`.
fn same_base_path(actual: Option<&str>, wanted: &str) -> bool {
    let actual = match actual {
        None | Some("(none)") => "",
        Some(path) => path.trim_matches('/'),
    };
    actual == wanted.trim_matches('/')
}
