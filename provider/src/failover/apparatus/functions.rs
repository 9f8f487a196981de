//! The handler Lambdas on `provided.al2023`, from the handler package: every
//! function deploys the package's one zip, and its handler setting names the
//! component its bootstrap runs; the package's hash drives in-place code
//! updates; the deployment contract goes in one environment variable. Also
//! the pinger's event-invoke configuration (no asynchronous retries), and the
//! permissions for EventBridge and API Gateway to invoke the pinger and the
//! ponger.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_lambda::types::{
    Architecture, Environment, LastUpdateStatus, Runtime, State as FunctionStateKind,
};
use aws_smithy_types::Blob;
use base64::Engine;
use multiregion_core::deployment::ENV_DEPLOYMENT;
use multiregion_core::naming::Component;
use multiregion_core::package::Package;

use super::roles::Roles;
use super::settings::PINGER_TIMEOUT_SECONDS;
use super::{ApparatusContext, ApparatusError, code, deleted, sdk_message};

/// Lambda's own code hash of the package's zip (`CodeSha256`: base64 of its
/// SHA-256), from the hex digest the package already holds.
fn code_sha256(package: &Package) -> String {
    let hex = &package.sha256;
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Seconds each function may run.
pub fn timeout_seconds(component: Component) -> i32 {
    match component {
        Component::Ponger => 5,
        Component::Pinger => PINGER_TIMEOUT_SECONDS as i32,
        Component::Swapper => 60,
        Component::Notifier => 15,
    }
}

/// Function ARNs by component.
pub type Functions = BTreeMap<&'static str, String>;

/// How long to retry a call IAM's eventual consistency refuses (a role just
/// created that Lambda or Step Functions cannot assume yet).
pub(super) const ROLE_PROPAGATION: Duration = Duration::from_secs(60);

/// Lambda's retries of a failed asynchronous invocation of the pinger: none.
/// Lambda's default of two would run a failed tick again 1 and 3 minutes
/// later, on an old tick's event; the next tick is the retry.
pub const PINGER_RETRY_ATTEMPTS: i32 = 0;

/// The oldest event Lambda still delivers to the pinger, in seconds: the
/// least Lambda allows ("Minimum value of 60. Maximum value of 21600.",
/// <https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html>).
/// At every interval allowed today (60 s and up) that is at most one
/// interval, so Lambda itself drops a tick older than one interval. The
/// pinger has no clock of its own to judge an event's age by (its times come
/// from the event); sub-minute intervals would need one.
pub const PINGER_MAX_EVENT_AGE_SECONDS: i32 = 60;

impl ApparatusContext<'_> {
    fn environment(&self) -> Environment {
        Environment::builder()
            .set_variables(Some(HashMap::from([
                (ENV_DEPLOYMENT.to_owned(), self.deployment.to_json()),
                ("RUST_LOG".to_owned(), "info".to_owned()),
            ])))
            .build()
    }

    /// Waits until a function accepts the next update.
    async fn settled(&self, name: &str) -> Result<(), ApparatusError> {
        for _ in 0..120 {
            let configuration = self
                .clients
                .lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .map_err(|e| {
                    self.failure("reading a function", format!("{name}: {}", sdk_message(&e)))
                })?;
            let updating = configuration.last_update_status()
                == Some(&LastUpdateStatus::InProgress)
                || configuration.state() == Some(&FunctionStateKind::Pending);
            if !updating {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(self.failure(
            "waiting for a function",
            format!("{name} is still updating after a minute"),
        ))
    }

    async fn ensure_function(
        &self,
        component: Component,
        role_arn: &str,
    ) -> Result<String, ApparatusError> {
        let lambda = &self.clients.lambda;
        let name = self.names.function(component);
        // Read only when code is uploaded: five functions share the one zip.
        let zip = || {
            self.package
                .zip()
                .map_err(|e| self.failure("reading the handler package", e.to_string()))
        };
        let wanted_sha = code_sha256(self.package);
        let environment = self.environment();
        match lambda.get_function().function_name(&name).send().await {
            Ok(existing) => {
                let configuration = existing.configuration();
                let arn = configuration
                    .and_then(|c| c.function_arn())
                    .unwrap_or_default()
                    .to_owned();
                if configuration.and_then(|c| c.code_sha256()) != Some(wanted_sha.as_str()) {
                    self.settled(&name).await?;
                    lambda
                        .update_function_code()
                        .function_name(&name)
                        .zip_file(Blob::new(zip()?))
                        .send()
                        .await
                        .map_err(|e| {
                            self.failure(
                                "updating a function's code",
                                format!("{name}: {}", sdk_message(&e)),
                            )
                        })?;
                }
                let same_config = configuration.is_some_and(|c| {
                    c.handler() == Some(component.as_str())
                        && c.role() == Some(role_arn)
                        && c.timeout() == Some(timeout_seconds(component))
                        && c.environment().and_then(|e| e.variables()) == environment.variables()
                });
                if !same_config {
                    self.settled(&name).await?;
                    lambda
                        .update_function_configuration()
                        .function_name(&name)
                        .handler(component.as_str())
                        .role(role_arn)
                        .timeout(timeout_seconds(component))
                        .environment(environment)
                        .send()
                        .await
                        .map_err(|e| {
                            self.failure(
                                "updating a function's configuration",
                                format!("{name}: {}", sdk_message(&e)),
                            )
                        })?;
                }
                Ok(arn)
            }
            Err(e) if code(&e) == Some("ResourceNotFoundException") => {
                let deadline = tokio::time::Instant::now() + ROLE_PROPAGATION;
                let zip = zip()?;
                loop {
                    let created = lambda
                        .create_function()
                        .function_name(&name)
                        .runtime(Runtime::Providedal2023)
                        .architectures(Architecture::X8664)
                        .handler(component.as_str())
                        .role(role_arn)
                        .code(
                            aws_sdk_lambda::types::FunctionCode::builder()
                                .zip_file(Blob::new(zip.clone()))
                                .build(),
                        )
                        .timeout(timeout_seconds(component))
                        .memory_size(128)
                        .environment(environment.clone())
                        .description(format!(
                            "multiregion {} {}",
                            self.names.name(),
                            component.as_str()
                        ))
                        .set_tags(Some(self.tags()))
                        .send()
                        .await;
                    match created {
                        Ok(function) => {
                            return Ok(function.function_arn().unwrap_or_default().to_owned());
                        }
                        Err(e)
                            if code(&e) == Some("InvalidParameterValueException")
                                && sdk_message(&e).contains("assumed")
                                && tokio::time::Instant::now() < deadline =>
                        {
                            tracing::info!(%name, "the role is not assumable yet; retrying");
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        }
                        Err(e) => {
                            return Err(self.failure(
                                "creating a function",
                                format!("{name}: {}", sdk_message(&e)),
                            ));
                        }
                    }
                }
            }
            Err(e) => {
                Err(self.failure("reading a function", format!("{name}: {}", sdk_message(&e))))
            }
        }
    }

    pub(super) async fn ensure_functions(
        &self,
        roles: &Roles,
    ) -> Result<Functions, ApparatusError> {
        let mut functions = Functions::new();
        for component in Component::ALL {
            let arn = self
                .ensure_function(component, roles.function(component))
                .await?;
            functions.insert(component.as_str(), arn);
        }
        self.ensure_pinger_invoke_config().await?;
        Ok(functions)
    }

    /// The pinger's event-invoke configuration, as (maximum retry attempts,
    /// maximum event age), or `None` when it has none (Lambda's defaults:
    /// two retries, six hours).
    async fn read_pinger_invoke_config(&self) -> Result<Option<(i32, i32)>, ApparatusError> {
        let name = self.names.function(Component::Pinger);
        match self
            .clients
            .lambda
            .get_function_event_invoke_config()
            .function_name(&name)
            .send()
            .await
        {
            Ok(config) => Ok(Some((
                config.maximum_retry_attempts().unwrap_or(2),
                config.maximum_event_age_in_seconds().unwrap_or(21_600),
            ))),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(self.failure(
                "reading the pinger's asynchronous invocation settings",
                format!("{name}: {}", sdk_message(&e)),
            )),
        }
    }

    /// Puts the pinger's event-invoke configuration unless it is as wanted.
    async fn ensure_pinger_invoke_config(&self) -> Result<(), ApparatusError> {
        let wanted = (PINGER_RETRY_ATTEMPTS, PINGER_MAX_EVENT_AGE_SECONDS);
        if self.read_pinger_invoke_config().await? == Some(wanted) {
            return Ok(());
        }
        // Put replaces a configuration that exists (fields omitted take
        // their defaults), so both are given.
        self.clients
            .lambda
            .put_function_event_invoke_config()
            .function_name(self.names.function(Component::Pinger))
            .maximum_retry_attempts(wanted.0)
            .maximum_event_age_in_seconds(wanted.1)
            .send()
            .await
            .map_err(|e| {
                self.failure(
                    "configuring the pinger's asynchronous invocations",
                    sdk_message(&e),
                )
            })?;
        Ok(())
    }

    /// Lets `principal` invoke `component`'s function from `source_arn`.
    async fn ensure_permission(
        &self,
        component: Component,
        statement: &str,
        principal: &str,
        source_arn: &str,
    ) -> Result<(), ApparatusError> {
        let lambda = &self.clients.lambda;
        let name = self.names.function(component);
        let policy = match lambda.get_policy().function_name(&name).send().await {
            Ok(p) => p.policy().unwrap_or_default().to_owned(),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => String::new(),
            Err(e) => {
                return Err(self.failure(
                    "reading a function's permissions",
                    format!("{name}: {}", sdk_message(&e)),
                ));
            }
        };
        if policy.contains(statement) {
            if policy.contains(source_arn) {
                return Ok(());
            }
            lambda
                .remove_permission()
                .function_name(&name)
                .statement_id(statement)
                .send()
                .await
                .map_err(|e| {
                    self.failure(
                        "replacing a permission",
                        format!("{name}: {}", sdk_message(&e)),
                    )
                })?;
        }
        lambda
            .add_permission()
            .function_name(&name)
            .statement_id(statement)
            .action("lambda:InvokeFunction")
            .principal(principal)
            .source_arn(source_arn)
            .source_account(self.account_id)
            .send()
            .await
            .map_err(|e| {
                self.failure(
                    "granting a permission",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
        Ok(())
    }

    pub(super) async fn ensure_permissions(&self) -> Result<(), ApparatusError> {
        self.ensure_permission(
            Component::Pinger,
            "multiregion-schedule",
            "events.amazonaws.com",
            &self.schedule_rule_arn(),
        )
        .await?;
        let route = self.arn(
            "execute-api",
            &format!("{}/*/GET{}", self.health_api_id, self.health_resource_path),
        );
        self.ensure_permission(
            Component::Ponger,
            "multiregion-health-route",
            "apigateway.amazonaws.com",
            &route,
        )
        .await
    }

    /// Problems with the functions: missing, or code other than the package's.
    pub(super) async fn read_functions(&self) -> Result<Vec<String>, ApparatusError> {
        let mut problems = Vec::new();
        let wanted_sha = code_sha256(self.package);
        for component in Component::ALL {
            let name = self.names.function(component);
            match self
                .clients
                .lambda
                .get_function()
                .function_name(&name)
                .send()
                .await
            {
                Ok(function) => {
                    let configuration = function.configuration();
                    let live = configuration
                        .and_then(|c| c.code_sha256())
                        .unwrap_or_default();
                    if live != wanted_sha {
                        problems.push(format!("{name} runs other code than the handler package"));
                    } else if configuration.and_then(|c| c.handler()) != Some(component.as_str()) {
                        problems.push(format!(
                            "{name} runs the handler package's bootstrap as another handler than {}",
                            component.as_str()
                        ));
                    }
                }
                Err(e) if code(&e) == Some("ResourceNotFoundException") => {
                    problems.push(format!("{name} is missing"))
                }
                Err(e) => {
                    return Err(
                        self.failure("reading a function", format!("{name}: {}", sdk_message(&e)))
                    );
                }
            }
        }
        let name = self.names.function(Component::Pinger);
        if !problems.contains(&format!("{name} is missing")) {
            match self.read_pinger_invoke_config().await? {
                Some((PINGER_RETRY_ATTEMPTS, PINGER_MAX_EVENT_AGE_SECONDS)) => {}
                Some((retries, age)) => problems.push(format!(
                    "{name} retries a failed tick {retries} times and keeps events {age} s \
                     (wanted: {PINGER_RETRY_ATTEMPTS} retries, {PINGER_MAX_EVENT_AGE_SECONDS} s)"
                )),
                None => problems.push(format!(
                    "{name} has no event-invoke configuration (Lambda would retry a failed tick twice)"
                )),
            }
        }
        Ok(problems)
    }

    pub(super) async fn delete_functions(&self) -> Result<(), ApparatusError> {
        for component in Component::ALL {
            let name = self.names.function(component);
            let removed = self
                .clients
                .lambda
                .delete_function()
                .function_name(&name)
                .send()
                .await;
            deleted(removed, "ResourceNotFoundException").map_err(|e| {
                self.failure(
                    "deleting a function",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
        }
        Ok(())
    }
}
