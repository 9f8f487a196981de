//! `multiregion_apigw_failover`: schema, validate, plan, create, read,
//! update, delete, in that order; the logic lives in the submodules.

pub mod apparatus;
mod apply;
pub mod checks;
mod context;
pub mod estimate;
pub mod import;
pub mod openapi;
pub mod plan;
mod read;
mod records;
pub mod region;
mod runtime;
pub mod schema;
pub(crate) mod sdk_error;
pub mod state;
pub mod switchover;
pub mod validate;

use std::sync::Arc;

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::provider::{Shared, SharedHandle};
use state::{FailoverState, PrivateState};

/// The resource.
#[derive(Debug)]
pub struct FailoverResource {
    shared: SharedHandle,
}

impl FailoverResource {
    /// The resource, reading the provider's configuration from `shared`.
    pub fn new(shared: SharedHandle) -> Self {
        FailoverResource { shared }
    }

    fn shared(&self, diags: &mut Diagnostics) -> Option<Arc<Shared>> {
        let shared = self
            .shared
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if shared.is_none() {
            diags.root_error_short("The multiregion provider is not configured");
        }
        shared
    }
}

/// The zone's name and the plan's warnings when every value the plan-time
/// checks need is known and the checks pass; errors go to `diags`. `None`
/// without errors: not known yet (the checks run again at apply).
async fn plan_checks(
    shared: &Shared,
    config: &FailoverState<'_>,
    diags: &mut Diagnostics,
) -> Option<checks::Checked> {
    let mut scratch = Diagnostics::default();
    let spec = validate::spec(config, &mut scratch)?;
    checks::run(shared, &spec, diags).await
}

/// Emits a plan's warnings as one (Terraform shows only one warning of a
/// resource's plan): the first summary, and every warning in the detail.
fn warn_all(diags: &mut Diagnostics, warnings: Vec<(String, String)>) {
    match warnings.len() {
        0 => {}
        1 => {
            let (summary, detail) = warnings.into_iter().next().unwrap_or_default();
            diags.root_warning(summary, detail);
        }
        n => {
            let summary = format!("{} (and {} more)", warnings[0].0, n - 1);
            let detail = warnings
                .iter()
                .map(|(s, d)| format!("{s}: {d}"))
                .collect::<Vec<_>>()
                .join("\n\n");
            diags.root_warning(summary, detail);
        }
    }
}

#[async_trait]
impl Resource for FailoverResource {
    type State<'a> = FailoverState<'a>;
    type PrivateState<'a> = PrivateState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        validate::validate(&config, diags);
        Some(())
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let shared = self.shared(diags)?;
        let checked = plan_checks(&shared, &config_state, diags).await;
        if !diags.errors.is_empty() {
            return None;
        }
        let (zone, found) = checked
            .map(|c| (Some(c.zone), c.warnings))
            .unwrap_or_default();
        let mut warnings = plan::runtime_warnings(&config_state);
        warnings.extend(found);
        warn_all(diags, warnings);
        let planned = plan::plan_create(proposed_state, &config_state, zone.as_deref());
        Some((planned, Value::Null))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        let mut warnings = plan::plan_warnings(&prior_state, &config_state);
        let (planned, replace) = plan::plan_update(&prior_state, proposed_state, &config_state);
        if replace.is_empty() && planned != prior_state {
            // Checks that need AWS run for in-place changes; a replacement
            // plans a create, which runs them.
            let shared = self.shared(diags)?;
            let checked = plan_checks(&shared, &config_state, diags).await;
            if !diags.errors.is_empty() {
                return None;
            }
            warnings.extend(checked.map(|c| c.warnings).unwrap_or_default());
        }
        warn_all(diags, warnings);
        Some((planned, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let shared = self.shared(diags)?;
        apply::create(&shared, diags, planned_state, &config_state).await
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let shared = self.shared(diags)?;
        read::read(&shared, diags, state, private_state).await
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let shared = self.shared(diags)?;
        apply::update(
            &shared,
            diags,
            &prior_state,
            planned_state,
            &config_state,
            &planned_private_state,
        )
        .await
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let shared = self.shared(diags)?;
        apply::delete(&shared, diags, &prior_state, &planned_private_state).await
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let shared = self.shared(diags)?;
        import::import(&shared, diags, &id).await
    }
}
