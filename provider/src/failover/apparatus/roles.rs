//! The IAM roles (one per function, one for the state machine), with the
//! least-privilege inline policies of [`super::iam`]. IAM is global, so role
//! names carry the region.

use std::collections::BTreeMap;

use multiregion_core::naming::Component;

use super::iam::{function_policy, state_machine_policy, trust_policy};
use super::{ApparatusContext, ApparatusError, code, deleted, sdk_message};

/// The inline policy's name on every role.
pub const POLICY_NAME: &str = "multiregion";

/// Role ARNs by what assumes them.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    /// Each function's role.
    pub functions: BTreeMap<&'static str, String>,
    /// The state machine's role.
    pub state_machine: String,
}

impl Roles {
    /// The role of `component`.
    pub fn function(&self, component: Component) -> &str {
        self.functions
            .get(component.as_str())
            .map(String::as_str)
            .unwrap_or_default()
    }
}

impl ApparatusContext<'_> {
    /// Every role: (name, service that assumes it, permission policy), with
    /// the notifier granted `notification_key_arn`.
    pub(super) fn role_specs(
        &self,
        notification_key_arn: Option<String>,
    ) -> Vec<(String, &'static str, serde_json::Value)> {
        let policies = self.policy_context(notification_key_arn);
        let mut specs: Vec<(String, &'static str, serde_json::Value)> = Component::ALL
            .iter()
            .map(|c| {
                (
                    self.names.function_role(*c, self.region),
                    "lambda",
                    function_policy(*c, &policies),
                )
            })
            .collect();
        specs.push((
            self.names.state_machine_role(self.region),
            "states",
            state_machine_policy(&policies),
        ));
        specs
    }

    async fn ensure_role(
        &self,
        name: &str,
        service: &str,
        policy: &serde_json::Value,
    ) -> Result<String, ApparatusError> {
        let iam = &self.global.iam;
        let trust = trust_policy(service, self.account_id).to_string();
        let tags: Vec<aws_sdk_iam::types::Tag> = self
            .tags()
            .into_iter()
            .filter_map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .ok()
            })
            .collect();
        let arn = match iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(&trust)
            .description(format!(
                "multiregion {} in {}",
                self.names.name(),
                self.region
            ))
            .set_tags(Some(tags))
            .send()
            .await
        {
            Ok(created) => created
                .role()
                .map(|r| r.arn().to_owned())
                .unwrap_or_default(),
            Err(e) if code(&e) == Some("EntityAlreadyExists") => {
                let existing = iam.get_role().role_name(name).send().await.map_err(|e| {
                    self.failure("reading a role", format!("{name}: {}", sdk_message(&e)))
                })?;
                iam.update_assume_role_policy()
                    .role_name(name)
                    .policy_document(&trust)
                    .send()
                    .await
                    .map_err(|e| {
                        self.failure(
                            "updating a role's trust",
                            format!("{name}: {}", sdk_message(&e)),
                        )
                    })?;
                existing
                    .role()
                    .map(|r| r.arn().to_owned())
                    .unwrap_or_default()
            }
            Err(e) => {
                return Err(self.failure("creating a role", format!("{name}: {}", sdk_message(&e))));
            }
        };
        iam.put_role_policy()
            .role_name(name)
            .policy_name(POLICY_NAME)
            .policy_document(policy.to_string())
            .send()
            .await
            .map_err(|e| {
                self.failure(
                    "putting a role's policy",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
        Ok(arn)
    }

    pub(super) async fn ensure_roles(&self) -> Result<Roles, ApparatusError> {
        let mut roles = Roles::default();
        let key = self.notification_key_arn().await?;
        for (component, (name, service, policy)) in Component::ALL
            .iter()
            .map(Some)
            .chain([None])
            .zip(self.role_specs(key))
        {
            let arn = self.ensure_role(&name, service, &policy).await?;
            match component {
                Some(c) => {
                    roles.functions.insert(c.as_str(), arn);
                }
                None => roles.state_machine = arn,
            }
        }
        Ok(roles)
    }

    pub(super) async fn delete_roles(&self) -> Result<(), ApparatusError> {
        for (name, _, _) in self.role_specs(None) {
            self.delete_role(&name).await?;
        }
        Ok(())
    }

    /// Deletes a role of ours with its inline policies (IAM refuses to
    /// delete a role that has any); not-found is done.
    pub(super) async fn delete_role(&self, name: &str) -> Result<(), ApparatusError> {
        let iam = &self.global.iam;
        let inline = match iam.list_role_policies().role_name(name).send().await {
            Ok(listed) => listed.policy_names().to_vec(),
            Err(e) if code(&e) == Some("NoSuchEntity") => return Ok(()),
            Err(e) => {
                return Err(self.failure(
                    "listing a role's policies",
                    format!("{name}: {}", sdk_message(&e)),
                ));
            }
        };
        for policy in inline {
            let removed = iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
                .await;
            deleted(removed, "NoSuchEntity").map_err(|e| {
                self.failure(
                    "deleting a role's policy",
                    format!("{name} {policy}: {}", sdk_message(&e)),
                )
            })?;
        }
        deleted(
            iam.delete_role().role_name(name).send().await,
            "NoSuchEntity",
        )
        .map_err(|e| self.failure("deleting a role", format!("{name}: {}", sdk_message(&e))))
    }
}
