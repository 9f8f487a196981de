//! One region's API Gateway side: the REST API and its stage, the REGIONAL
//! custom domains of both names, and their base path mappings.
//!
//! `ensure` is idempotent: it finds what exists (by id, or by the
//! `multiregion:id` tag after a crash), creates what is missing, and repairs
//! what differs, so a failed apply converges on the next one. Finders turn
//! AWS not-found into `None`.

use std::collections::HashMap;

use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{Op, PatchOperation};
use multiregion_core::naming::{self, Component, Names};
use multiregion_core::{AliasTarget, Region};

mod api;
mod domains;
pub mod health;

use super::openapi;
use super::state::RegionOwnership;
use super::validate::{ApiSource, RegionSpec};
use crate::clients::RegionClients;
use crate::pacing::{Pacer, Quota};

/// Tag holding the region of what the resource creates, next to the id tag.
pub const TAG_REGION: &str = "multiregion:region";
/// Tag holding the block (`primary` or `secondary`) of what the resource
/// creates, so that a lost state is recovered with the regions in order.
pub const TAG_BLOCK: &str = "multiregion:block";
/// Tag telling a REST API of ours apart: `api` (a managed API) or `health`
/// (the separate health API beside an adopted one).
pub const TAG_ROLE: &str = "multiregion:role";

/// A failed API Gateway step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{region}: {step}: {message}")]
pub struct RegionError {
    /// The region.
    pub region: String,
    /// What was being done.
    pub step: String,
    /// What went wrong, with what to do where we know it.
    pub message: String,
}

/// What exists in a region, as far as this resource is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionDeployment {
    /// The REST API serving the names.
    pub rest_api_id: Option<String>,
    /// The stage exists.
    pub stage_ready: bool,
    /// The custom domain of the active name, if it exists and is mapped to
    /// the API's stage.
    pub active_target: Option<AliasTarget>,
    /// The same for the standby name.
    pub standby_target: Option<AliasTarget>,
    /// What the resource created here.
    pub ownership: RegionOwnership,
    /// Where the health route is, once it is there.
    pub health: Option<health::HealthTarget>,
    /// What a read found missing or different, for `apparatus_status`.
    pub problems: Vec<String>,
}

impl RegionDeployment {
    /// Whether everything is there.
    pub fn complete(&self) -> bool {
        self.rest_api_id.is_some()
            && self.stage_ready
            && self.active_target.is_some()
            && self.standby_target.is_some()
    }
}

/// Everything a region operation needs.
#[derive(Debug)]
pub struct RegionContext<'a> {
    /// The region's validated configuration.
    pub spec: &'a RegionSpec,
    /// Names derived from `name`.
    pub names: &'a Names,
    /// The resource id (tag value).
    pub id: &'a str,
    /// The public name.
    pub domain_name: &'a str,
    /// The standby name.
    pub standby_domain_name: &'a str,
    /// The health route's first segment.
    pub health_path: &'a str,
    /// The region's clients.
    pub clients: RegionClients,
    /// API Gateway quota pacing.
    pub pacer: &'a Pacer,
}

/// A `replace` patch of `path` with `value`.
fn replace(path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

fn failure(region: &Region, step: &str, message: impl Into<String>) -> RegionError {
    RegionError {
        region: region.to_string(),
        step: step.to_owned(),
        message: message.into(),
    }
}

use super::sdk_error::{deleted, sdk_message};

type ApiGwError<E> = aws_sdk_apigateway::error::SdkError<E>;

/// API Gateway's code for a thing that does not exist.
const NOT_FOUND: &str = "NotFoundException";

fn is_not_found<E: ProvideErrorMetadata>(error: &ApiGwError<E>) -> bool {
    super::sdk_error::code(error) == Some(NOT_FOUND)
}

/// The ARN of the ponger function the health route invokes.
pub fn ponger_arn(spec: &RegionSpec, names: &Names) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:{}",
        spec.region.partition().as_str(),
        spec.region,
        spec.account_id,
        names.function(Component::Ponger)
    )
}

/// The default invoke URL of a stage.
pub fn invoke_url(region: &Region, rest_api_id: &str, stage: &str) -> String {
    let suffix = match region.partition().as_str() {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    format!("https://{rest_api_id}.execute-api.{region}.{suffix}/{stage}")
}

impl RegionContext<'_> {
    fn region(&self) -> &Region {
        &self.spec.region
    }

    fn api(&self) -> &aws_sdk_apigateway::Client {
        &self.clients.apigateway
    }

    fn tags(&self) -> HashMap<String, String> {
        HashMap::from([
            (naming::TAG_ID.to_owned(), self.id.to_owned()),
            (naming::TAG_NAME.to_owned(), self.names.name().to_owned()),
            (TAG_REGION.to_owned(), self.region().to_string()),
            (TAG_BLOCK.to_owned(), self.spec.block.to_owned()),
            (TAG_ROLE.to_owned(), "api".to_owned()),
        ])
    }

    fn is_ours(&self, tags: Option<&HashMap<String, String>>) -> bool {
        tags.and_then(|t| t.get(naming::TAG_ID)).map(String::as_str) == Some(self.id)
    }

    /// The managed API's body as deployed: the configured body plus the
    /// health route.
    pub fn deployed_body(&self, body: &str) -> Result<String, RegionError> {
        openapi::with_health_route(
            body,
            self.health_path,
            self.region(),
            &ponger_arn(self.spec, self.names),
        )
        .map_err(|e| failure(self.region(), "preparing the OpenAPI body", e.to_string()))
    }

    /// Creates what is missing and repairs what differs. On failure, returns
    /// what exists so far with the error.
    pub async fn ensure(
        &self,
        prior: &RegionDeployment,
    ) -> Result<RegionDeployment, (RegionDeployment, RegionError)> {
        let mut now = RegionDeployment {
            ownership: prior.ownership.clone(),
            ..RegionDeployment::default()
        };
        macro_rules! step {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(error) => return Err((now, error)),
                }
            };
        }
        // The API and its stage.
        let api_id = match &self.spec.api {
            ApiSource::Adopted { rest_api_id } => {
                match step!(self.get_api(rest_api_id).await) {
                    Some((true, _)) => {}
                    Some((false, _)) => {
                        return Err((
                            now,
                            failure(
                                self.region(),
                                "adopting the REST API",
                                format!(
                                    "{rest_api_id} is not a REGIONAL API; only REGIONAL APIs can be adopted (set its endpoint type to REGIONAL)"
                                ),
                            ),
                        ));
                    }
                    None => {
                        return Err((
                            now,
                            failure(
                                self.region(),
                                "adopting the REST API",
                                format!(
                                    "there is no REST API {rest_api_id} in {}; check {}.existing_rest_api_id",
                                    self.region(),
                                    self.spec.block
                                ),
                            ),
                        ));
                    }
                }
                now.rest_api_id = Some(rest_api_id.clone());
                now.ownership.rest_api = false;
                if !step!(self.stage_exists(rest_api_id).await) {
                    return Err((
                        now,
                        failure(
                            self.region(),
                            "adopting the REST API",
                            format!(
                                "API {rest_api_id} has no stage {}; deploy it or set {}.stage_name",
                                self.spec.stage_name, self.spec.block
                            ),
                        ),
                    ));
                }
                rest_api_id.clone()
            }
            ApiSource::Managed { openapi_body } => {
                let existing = match &prior.rest_api_id {
                    Some(id) if step!(self.get_api(id).await).is_some() => Some(id.clone()),
                    _ => step!(self.find_managed_api().await),
                };
                let id = match existing {
                    Some(id) => id,
                    None => step!(self.create_managed_api(openapi_body).await),
                };
                now.rest_api_id = Some(id.clone());
                now.ownership.rest_api = true;
                if !step!(self.stage_exists(&id).await) {
                    step!(self.deploy(&id).await);
                }
                id
            }
        };
        now.stage_ready = true;

        // Both names' custom domains and mappings.
        for (name, active) in [(self.domain_name, true), (self.standby_domain_name, false)] {
            // Ours when we created it now or it carries our tag (created
            // by an earlier apply); a domain that existed without our tag
            // is adopted and never deleted.
            let (target, owned) = step!(self.ensure_domain(name).await);
            if active {
                now.ownership.active_domain = owned;
            } else {
                now.ownership.standby_domain = owned;
            }
            step!(
                self.ensure_mapping(
                    name,
                    &self.spec.base_path,
                    &api_id,
                    &self.spec.stage_name,
                    owned
                )
                .await
            );
            if active {
                now.active_target = Some(target);
            } else {
                now.standby_target = Some(target);
            }
        }
        let owned = [now.ownership.active_domain, now.ownership.standby_domain];
        now.health = Some(step!(self.ensure_health_route(&api_id, owned).await));
        Ok(now)
    }

    /// Reads what exists, without changing anything. Ownership comes from
    /// the `multiregion:id` tags, so it survives a lost state.
    pub async fn read(&self, prior: &RegionDeployment) -> Result<RegionDeployment, RegionError> {
        let mut now = RegionDeployment::default();
        let api_id = match &self.spec.api {
            ApiSource::Adopted { rest_api_id } => Some(rest_api_id.clone()),
            ApiSource::Managed { .. } => match &prior.rest_api_id {
                Some(id) => Some(id.clone()),
                None => self.find_managed_api().await?,
            },
        };
        if let Some(id) = &api_id
            && let Some((_, ours)) = self.get_api(id).await?
        {
            now.ownership.rest_api = ours;
            now.stage_ready = self.stage_exists(id).await?;
            now.rest_api_id = Some(id.clone());
        }
        for (name, active) in [(self.domain_name, true), (self.standby_domain_name, false)] {
            let Some((target, ours, _)) = self.get_domain(name).await? else {
                continue;
            };
            let mapped = match &now.rest_api_id {
                Some(id) => {
                    self.mapping(name, &self.spec.base_path, id, &self.spec.stage_name)
                        .await?
                        == Some(true)
                }
                None => false,
            };
            if active {
                now.ownership.active_domain = ours;
                now.active_target = mapped.then_some(target);
            } else {
                now.ownership.standby_domain = ours;
                now.standby_target = mapped.then_some(target);
            }
        }
        if let Some(id) = &now.rest_api_id
            && !self.health_route_present(id).await?
        {
            now.problems
                .push(format!("the health route is missing in {}", self.region()));
        }
        Ok(now)
    }

    /// Reads what is there now (ownership from the tags) and deletes what
    /// the resource created.
    pub async fn remove(
        &self,
        prior: &RegionDeployment,
        keep_active_domain: bool,
    ) -> Result<(), RegionError> {
        let live = self.read(prior).await?;
        self.delete(&live, keep_active_domain).await
    }

    /// Deletes what the resource created here. `keep_active_domain` keeps
    /// the public name's custom domain (so an adopted API stays reachable).
    /// Not-found counts as done.
    pub async fn delete(
        &self,
        deployment: &RegionDeployment,
        keep_active_domain: bool,
    ) -> Result<(), RegionError> {
        self.remove_health_route(deployment.rest_api_id.as_deref())
            .await?;
        let owned = &deployment.ownership;
        for (name, owned, keep) in [
            (self.domain_name, owned.active_domain, keep_active_domain),
            (self.standby_domain_name, owned.standby_domain, false),
        ] {
            if !owned || keep {
                continue;
            }
            let _paced = self
                .pacer
                .wait(self.region(), Quota::DeleteDomainName)
                .await;
            deleted(
                self.api()
                    .delete_domain_name()
                    .domain_name(name)
                    .send()
                    .await,
                NOT_FOUND,
            )
            .map_err(|e| failure(self.region(), "deleting a custom domain", sdk_message(&e)))?;
        }
        if owned.rest_api
            && let Some(id) = &deployment.rest_api_id
        {
            // A domain that outlives the resource (adopted, or kept for
            // the public name) must not point at the API any more: API
            // Gateway refuses to delete a mapped API.
            for (name, owned, keep) in [
                (self.domain_name, owned.active_domain, keep_active_domain),
                (self.standby_domain_name, owned.standby_domain, false),
            ] {
                if !owned || keep {
                    self.unmap(name, id).await?;
                }
            }
            let _paced = self.pacer.wait(self.region(), Quota::DeleteRestApi).await;
            deleted(
                self.api().delete_rest_api().rest_api_id(id).send().await,
                NOT_FOUND,
            )
            .map_err(|e| failure(self.region(), "deleting the REST API", sdk_message(&e)))?;
        }
        Ok(())
    }
}
