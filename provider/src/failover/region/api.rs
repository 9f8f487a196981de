//! The REST API: finding a managed API by its tags, creating it from its
//! OpenAPI body (with the health route), deploying its stage.

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, PutMode};
use aws_smithy_types::Blob;

use super::{RegionContext, RegionError, TAG_REGION, failure, is_not_found, sdk_message};
use crate::pacing::Quota;

impl RegionContext<'_> {
    /// Finds a managed API this resource created, by its tags.
    pub(super) async fn find_managed_api(&self) -> Result<Option<String>, RegionError> {
        let mut position = None;
        loop {
            let page = self
                .api()
                .get_rest_apis()
                .set_position(position)
                .limit(500)
                .send()
                .await
                .map_err(|e| failure(self.region(), "listing REST APIs", sdk_message(&e)))?;
            if let Some(api) = page.items().iter().find(|api| {
                self.is_ours(api.tags())
                    && api
                        .tags()
                        .and_then(|t| t.get(super::TAG_ROLE))
                        .map(String::as_str)
                        != Some("health")
                    && api
                        .tags()
                        .and_then(|t| t.get(TAG_REGION))
                        .map(String::as_str)
                        == Some(self.region().as_str())
            }) {
                return Ok(api.id().map(str::to_owned));
            }
            match page.position() {
                Some(next) if !page.items().is_empty() => position = Some(next.to_owned()),
                _ => return Ok(None),
            }
        }
    }

    /// The REST API with `id`, if it exists: whether it is REGIONAL, and
    /// whether it carries this resource's tag (the resource created it).
    pub async fn get_api(&self, id: &str) -> Result<Option<(bool, bool)>, RegionError> {
        match self.api().get_rest_api().rest_api_id(id).send().await {
            Ok(api) => Ok(Some((
                api.endpoint_configuration()
                    .map(|c| c.types().to_vec())
                    .unwrap_or_default()
                    == [EndpointType::Regional],
                self.is_ours(api.tags()),
            ))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(failure(
                self.region(),
                "reading the REST API",
                sdk_message(&e),
            )),
        }
    }

    pub(super) async fn stage_exists(&self, api_id: &str) -> Result<bool, RegionError> {
        match self
            .api()
            .get_stage()
            .rest_api_id(api_id)
            .stage_name(&self.spec.stage_name)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(failure(self.region(), "reading the stage", sdk_message(&e))),
        }
    }

    pub(super) async fn create_managed_api(&self, body: &str) -> Result<String, RegionError> {
        let deployed = self.deployed_body(body)?;
        let paced = self.pacer.wait(self.region(), Quota::CreateRestApi).await;
        let created = self
            .api()
            .create_rest_api()
            .name(self.names.rest_api(self.region()))
            .description(format!("Managed by multiregion ({})", self.id))
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .set_tags(Some(self.tags()))
            .send()
            .await
            .map_err(|e| failure(self.region(), "creating the REST API", sdk_message(&e)))?;
        drop(paced);
        let id = created
            .id()
            .ok_or_else(|| failure(self.region(), "creating the REST API", "no id returned"))?
            .to_owned();
        self.put_body(&id, &deployed).await?;
        Ok(id)
    }

    pub(super) async fn put_body(
        &self,
        api_id: &str,
        deployed_body: &str,
    ) -> Result<(), RegionError> {
        let _paced = self.pacer.wait(self.region(), Quota::PutRestApi).await;
        self.api()
            .put_rest_api()
            .rest_api_id(api_id)
            .mode(PutMode::Overwrite)
            .body(Blob::new(deployed_body.as_bytes().to_vec()))
            .send()
            .await
            .map_err(|e| {
                failure(
                    self.region(),
                    "importing the OpenAPI body",
                    format!(
                        "{} (check {}.openapi_body)",
                        sdk_message(&e),
                        self.spec.block
                    ),
                )
            })?;
        Ok(())
    }

    pub(super) async fn deploy(&self, api_id: &str) -> Result<(), RegionError> {
        let _paced = self
            .pacer
            .wait(self.region(), Quota::CreateDeployment)
            .await;
        self.api()
            .create_deployment()
            .rest_api_id(api_id)
            .stage_name(&self.spec.stage_name)
            .description("multiregion")
            .send()
            .await
            .map_err(|e| failure(self.region(), "deploying the stage", sdk_message(&e)))?;
        Ok(())
    }

    /// Replaces a managed API's body (with the health route) and redeploys.
    pub async fn update_body(&self, api_id: &str, body: &str) -> Result<(), RegionError> {
        let deployed = self.deployed_body(body)?;
        self.put_body(api_id, &deployed).await?;
        self.deploy(api_id).await
    }
}
