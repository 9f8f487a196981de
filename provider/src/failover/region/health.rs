//! The health route of an adopted API, `/<health_path>/ping`, chosen by the
//! block's `health_route`:
//!
//! - `inject`: merged into the adopted API (`PutRestApi` in merge mode) and
//!   redeployed to its stage; removed again (and redeployed) on destroy;
//! - `separate`: a small health API of the resource's own, mapped at the base
//!   path `<health_path>` of both domains, beside the adopted API mapped at
//!   `base_path` (a domain whose API sits at the empty base path accepts no
//!   other mapping). Its route is `/ping` under that base path.
//!
//! A managed API carries the route in its body (see `openapi`).

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, PutMode, Resource};
use aws_smithy_types::Blob;

use super::super::openapi::{health_document, health_route};
use super::super::validate::{ApiSource, HealthRoute};
use super::{
    NOT_FOUND, RegionContext, RegionError, TAG_ROLE, deleted, failure, ponger_arn, sdk_message,
};
use crate::pacing::Quota;

/// The stage of a separate health API.
pub const HEALTH_STAGE: &str = "health";

/// Where the ponger is invoked from: the API and the route's resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthTarget {
    /// The API serving the route.
    pub api_id: String,
    /// The route's resource path in that API.
    pub resource_path: String,
}

impl RegionContext<'_> {
    /// The API's resources, with their methods when `with_methods`.
    async fn resources(
        &self,
        api_id: &str,
        with_methods: bool,
    ) -> Result<Vec<Resource>, RegionError> {
        let mut request = self.api().get_resources().rest_api_id(api_id).limit(500);
        if with_methods {
            request = request.embed("methods");
        }
        let resources = request.send().await.map_err(|e| {
            failure(
                self.region(),
                "reading the API's resources",
                sdk_message(&e),
            )
        })?;
        Ok(resources.items().to_vec())
    }

    async fn resource_id(&self, api_id: &str, path: &str) -> Result<Option<String>, RegionError> {
        Ok(id_at(&self.resources(api_id, false).await?, path))
    }

    /// Finds or creates the separate health API.
    async fn health_api(&self) -> Result<String, RegionError> {
        let existing = self
            .api()
            .get_rest_apis()
            .limit(500)
            .send()
            .await
            .map_err(|e| failure(self.region(), "listing REST APIs", sdk_message(&e)))?;
        if let Some(id) = existing
            .items()
            .iter()
            .find(|a| {
                self.is_ours(a.tags())
                    && a.tags().and_then(|t| t.get(TAG_ROLE)).map(String::as_str) == Some("health")
            })
            .and_then(|a| a.id())
        {
            return Ok(id.to_owned());
        }
        let mut tags = self.tags();
        tags.insert(TAG_ROLE.to_owned(), "health".to_owned());
        let paced = self.pacer.wait(self.region(), Quota::CreateRestApi).await;
        let created = self
            .api()
            .create_rest_api()
            .name(format!("{}-health", self.names.rest_api(self.region())))
            .description(format!("The multiregion health route of {}", self.id))
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| failure(self.region(), "creating the health API", sdk_message(&e)))?;
        drop(paced);
        let id = created.id().unwrap_or_default().to_owned();
        let paced = self.pacer.wait(self.region(), Quota::PutRestApi).await;
        self.api()
            .put_rest_api()
            .rest_api_id(&id)
            .mode(PutMode::Overwrite)
            .body(Blob::new(health_document(
                "/ping",
                self.region(),
                &ponger_arn(self.spec, self.names),
            )))
            .send()
            .await
            .map_err(|e| failure(self.region(), "importing the health API", sdk_message(&e)))?;
        drop(paced);
        let _paced = self
            .pacer
            .wait(self.region(), Quota::CreateDeployment)
            .await;
        self.api()
            .create_deployment()
            .rest_api_id(&id)
            .stage_name(HEALTH_STAGE)
            .send()
            .await
            .map_err(|e| failure(self.region(), "deploying the health API", sdk_message(&e)))?;
        Ok(id)
    }

    /// Makes the health route reachable on both names; returns where it is.
    pub(super) async fn ensure_health_route(
        &self,
        api_id: &str,
        owned_domains: [bool; 2],
    ) -> Result<HealthTarget, RegionError> {
        let route = health_route(self.health_path);
        match (&self.spec.api, self.spec.health_route) {
            (ApiSource::Managed { .. }, _) => Ok(HealthTarget {
                api_id: api_id.to_owned(),
                resource_path: route,
            }),
            (ApiSource::Adopted { .. }, HealthRoute::Inject) => {
                if self.resource_id(api_id, &route).await?.is_none() {
                    let paced = self.pacer.wait(self.region(), Quota::PutRestApi).await;
                    self.api()
                        .put_rest_api()
                        .rest_api_id(api_id)
                        .mode(PutMode::Merge)
                        .body(Blob::new(health_document(
                            &route,
                            self.region(),
                            &ponger_arn(self.spec, self.names),
                        )))
                        .send()
                        .await
                        .map_err(|e| {
                            failure(
                                self.region(),
                                "adding the health route to the adopted API",
                                sdk_message(&e),
                            )
                        })?;
                    drop(paced);
                    self.deploy(api_id).await?;
                }
                Ok(HealthTarget {
                    api_id: api_id.to_owned(),
                    resource_path: route,
                })
            }
            (ApiSource::Adopted { .. }, HealthRoute::Separate) => {
                let health_api = self.health_api().await?;
                for (name, owned) in [self.domain_name, self.standby_domain_name]
                    .into_iter()
                    .zip(owned_domains)
                {
                    self.ensure_mapping(name, self.health_path, &health_api, HEALTH_STAGE, owned)
                        .await?;
                }
                Ok(HealthTarget {
                    api_id: health_api,
                    resource_path: "/ping".to_owned(),
                })
            }
        }
    }

    /// Whether the health route is there (read only).
    pub(super) async fn health_route_present(&self, api_id: &str) -> Result<bool, RegionError> {
        match (&self.spec.api, self.spec.health_route) {
            (ApiSource::Adopted { .. }, HealthRoute::Separate) => {
                let apis = self
                    .api()
                    .get_rest_apis()
                    .limit(500)
                    .send()
                    .await
                    .map_err(|e| failure(self.region(), "listing REST APIs", sdk_message(&e)))?;
                Ok(apis.items().iter().any(|a| {
                    self.is_ours(a.tags())
                        && a.tags().and_then(|t| t.get(TAG_ROLE)).map(String::as_str)
                            == Some("health")
                }))
            }
            _ => Ok(self
                .resource_id(api_id, &health_route(self.health_path))
                .await?
                .is_some()),
        }
    }

    /// Removes what the health route added to an adopted API.
    pub(super) async fn remove_health_route(
        &self,
        api_id: Option<&str>,
    ) -> Result<(), RegionError> {
        match (&self.spec.api, self.spec.health_route) {
            (ApiSource::Managed { .. }, _) => Ok(()),
            (ApiSource::Adopted { .. }, HealthRoute::Inject) => {
                let Some(api_id) = api_id else { return Ok(()) };
                let route = health_route(self.health_path);
                let resources = self.resources(api_id, true).await?;
                let Some(resource) = id_at(&resources, &route) else {
                    return Ok(());
                };
                // The injection also made `/<health_path>` unless the API
                // had it: it goes too when the route was all it held.
                let parent = bare_parent(&resources, &resource);
                for id in std::iter::once(resource).chain(parent) {
                    let removed = self
                        .api()
                        .delete_resource()
                        .rest_api_id(api_id)
                        .resource_id(&id)
                        .send()
                        .await;
                    deleted(removed, NOT_FOUND).map_err(|e| {
                        failure(
                            self.region(),
                            "removing the health route from the adopted API",
                            sdk_message(&e),
                        )
                    })?;
                }
                self.deploy(api_id).await
            }
            (ApiSource::Adopted { .. }, HealthRoute::Separate) => {
                let apis = self
                    .api()
                    .get_rest_apis()
                    .limit(500)
                    .send()
                    .await
                    .map_err(|e| failure(self.region(), "listing REST APIs", sdk_message(&e)))?;
                for api in apis.items().iter().filter(|a| {
                    self.is_ours(a.tags())
                        && a.tags().and_then(|t| t.get(TAG_ROLE)).map(String::as_str)
                            == Some("health")
                }) {
                    let health_api = api.id().unwrap_or_default();
                    // API Gateway refuses to delete an API while a base path
                    // mapping points at it, and the active name's domain
                    // outlives the resource when the APIs are adopted: the
                    // `<health_path>` mappings go first, on both names.
                    for name in [self.domain_name, self.standby_domain_name] {
                        self.unmap(name, health_api).await?;
                    }
                    let _paced = self.pacer.wait(self.region(), Quota::DeleteRestApi).await;
                    let removed = self
                        .api()
                        .delete_rest_api()
                        .rest_api_id(health_api)
                        .send()
                        .await;
                    deleted(removed, NOT_FOUND).map_err(|e| {
                        failure(self.region(), "deleting the health API", sdk_message(&e))
                    })?;
                }
                Ok(())
            }
        }
    }
}

/// The id of the resource at `path`.
fn id_at(resources: &[Resource], path: &str) -> Option<String> {
    resources
        .iter()
        .find(|r| r.path() == Some(path))
        .and_then(|r| r.id().map(str::to_owned))
}

/// The parent of the resource `child` when nothing but `child` is in it:
/// no methods, no other children, and not the root. `resources` carry their
/// methods.
fn bare_parent(resources: &[Resource], child: &str) -> Option<String> {
    let parent_id = resources
        .iter()
        .find(|r| r.id() == Some(child))
        .and_then(|r| r.parent_id())?;
    let parent = resources.iter().find(|r| r.id() == Some(parent_id))?;
    let is_root = parent.parent_id().is_none() || parent.path() == Some("/");
    let has_methods = parent.resource_methods().is_some_and(|m| !m.is_empty());
    let siblings = resources
        .iter()
        .any(|r| r.parent_id() == Some(parent_id) && r.id() != Some(child));
    (!is_root && !has_methods && !siblings).then(|| parent_id.to_owned())
}
