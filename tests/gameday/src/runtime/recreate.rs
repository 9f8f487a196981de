//! A deployment destroyed and created again under the same name, on the
//! same bench and the same Step Functions bridge, without Terraform.
//!
//! What the provider's destroy removes goes, in this order: each region's
//! state machine (`DeleteStateMachine`), the pair's records and the ledger
//! (the core's `retire`, as destroy does), the paging alarms, and the
//! functions (their instances stop: a function created again starts new
//! ones, which remember nothing). Then the create makes them again with the
//! same names: the records with a ledger at generation 1 (reason `create`),
//! the state machines (same ARN, a new `creationDate`: the incarnation the
//! execution names carry), the alarms with their actions off, and new
//! function instances. The notification topics, their test readers and the
//! schedules stay: they are the same objects under the same names.
//!
//! The bridge keeps every execution it ever ran, under its ARN, across the
//! deletion, as Step Functions reserves an execution name for 90 days per
//! state machine ARN: a new execution that reused an old name would be
//! refused (`ExecutionAlreadyExists`), which the pinger reads as "this tick
//! was started already".
//!
//! It all happens at one instant of the virtual clock: the harness runs
//! nothing meanwhile, as if Terraform had taken no time.

use anyhow::{Context, Result, bail};
use multiregion_core::naming::Component;
use multiregion_core::statemachine::{Timing, definition_json};
use multiregion_core::{Reason, Region, RetryPolicy, SwapRequest};

use super::processes::{Emulator, Package};
use super::{ACCOUNT, EAST, Runtime, apparatus, core_support};

impl Runtime {
    /// Destroys the deployment and creates it again under the same name,
    /// `us-east-1` active, at the clock's now (see the module docs). No
    /// execution may be running.
    pub async fn destroy_and_recreate(&mut self) -> Result<()> {
        let setup_route53 = core_support::route53(&self.bench, "setup").await;
        let alarm = self.names.alarm();
        // Destroy.
        for deployed in &self.deployment.regions {
            let region = deployed.region.as_str();
            let running = self.sfn[region]
                .list_executions()
                .state_machine_arn(&deployed.state_machine_arn)
                .status_filter(aws_sdk_sfn::types::ExecutionStatus::Running)
                .send()
                .await?;
            if !running.executions().is_empty() {
                bail!("an execution is running in {region}: end it before destroying");
            }
            self.sfn[region]
                .delete_state_machine()
                .state_machine_arn(&deployed.state_machine_arn)
                .send()
                .await?;
            self.cloudwatch[region]
                .delete_alarms()
                .alarm_names(&alarm)
                .send()
                .await?;
        }
        multiregion_core::swap::retire(&setup_route53, &self.pair, false, RetryPolicy::default())
            .await
            .context("removing the records")?;
        // Dropping an emulator kills it and every instance attached to it.
        self.emulators.clear();

        // Create.
        multiregion_core::swap::swap(
            &setup_route53,
            &self.pair,
            &SwapRequest {
                target: Region::new(EAST)?,
                reason: Reason::Create,
                execution: None,
                epoch: self.bench.clock().now_ms() / 1000,
            },
            RetryPolicy::default(),
        )
        .await
        .context("creating the records")?;
        let package = Package::open(&self.dir)?;
        for deployed in &self.deployment.regions {
            let region = deployed.region.as_str();
            let created = self.sfn[region]
                .create_state_machine()
                .name(self.names.state_machine())
                .definition(definition_json(
                    &self.names,
                    &deployed.region,
                    ACCOUNT,
                    &Timing::default(),
                ))
                .role_arn(format!(
                    "arn:aws:iam::{ACCOUNT}:role/{}",
                    self.names.state_machine_role(&deployed.region)
                ))
                .send()
                .await?;
            if created.state_machine_arn() != deployed.state_machine_arn {
                bail!(
                    "the state machine came back as {}, not {}",
                    created.state_machine_arn(),
                    deployed.state_machine_arn
                );
            }
            apparatus::put_alarm(
                &self.cloudwatch[region],
                &self.names,
                &self.options.health,
                &deployed.notification_topic_arn,
            )
            .await?;
            let mut emulator = Emulator::start(&self.dir, region, &self.names).await?;
            emulator
                .attach_all(
                    &package,
                    &self.bench,
                    &self.bridge,
                    &self.deployment,
                    &self.names,
                )
                .await?;
            self.bench
                .fronts()
                .set_lambda_endpoint(region, &emulator.url())
                .await?;
            self.emulators.insert(region.to_owned(), emulator);
        }
        tracing::info!(
            pinger = %self.names.function(Component::Pinger),
            "the deployment was destroyed and created again"
        );
        Ok(())
    }

    /// The incarnation of `region`'s state machine: its `creationDate`, in
    /// whole seconds, as the pinger reads it for the execution names.
    pub async fn incarnation(&self, region: &str) -> Result<i64> {
        let described = self.sfn[region]
            .describe_state_machine()
            .state_machine_arn(self.state_machine_arn(region)?)
            .send()
            .await?;
        Ok(described.creation_date().secs())
    }
}
