//! Plan logic: small pure functions over the state, unit-tested without
//! Terraform or AWS.

use multiregion_core::naming::{self, default_standby_domain};
use tf_provider::AttributePath;
use tf_provider::value::{Value, ValueString};

use super::state::{FailoverState, RegionState, known, string};
use super::validate::{DEFAULT_HEALTH_PATH, DEFAULT_STAGE_NAME};

/// The value a swap leaves `dns_status` at.
pub const DNS_OK: &str = "ok";

fn region_of(block: &Value<RegionState<'_>>) -> Option<String> {
    match block {
        Value::Value(b) => known(&b.region).map(str::to_owned),
        _ => None,
    }
}

/// The region of the pair that is not `active`.
pub fn other_region(state: &FailoverState<'_>, active: &str) -> Option<String> {
    let (p, s) = (region_of(&state.primary)?, region_of(&state.secondary)?);
    if active == p {
        Some(s)
    } else if active == s {
        Some(p)
    } else {
        None
    }
}

fn default_if_null<'a>(value: &mut ValueString<'a>, config: &ValueString<'_>, default: &str) {
    if config.is_null() {
        *value = string(default);
    }
}

/// Defaults of optional arguments, applied from the configuration (an
/// optional+computed argument removed from the configuration goes back to
/// its default instead of keeping its old value).
fn apply_defaults(planned: &mut FailoverState<'_>, config: &FailoverState<'_>) {
    default_if_null(
        &mut planned.health_path,
        &config.health_path,
        DEFAULT_HEALTH_PATH,
    );
    for (block, config_block) in [
        (&mut planned.primary, &config.primary),
        (&mut planned.secondary, &config.secondary),
    ] {
        if let (Value::Value(block), Value::Value(config_block)) = (block, config_block) {
            default_if_null(
                &mut block.stage_name,
                &config_block.stage_name,
                DEFAULT_STAGE_NAME,
            );
        }
    }
}

fn unknown_region_computeds(block: &mut RegionState<'_>) {
    let adopted = known(&block.existing_rest_api_id).map(str::to_owned);
    block.rest_api_id = adopted.map_or(Value::Unknown, string);
    block.invoke_url = Value::Unknown;
    block.regional_domain_name = Value::Unknown;
    block.regional_hosted_zone_id = Value::Unknown;
    block.standby_regional_domain_name = Value::Unknown;
    block.standby_regional_hosted_zone_id = Value::Unknown;
}

/// The hash of the handler package a configuration names: null without a
/// package, unknown while its path is unknown or it cannot be read (the
/// validation reports why).
pub fn package_sha256<'a>(config: &FailoverState<'_>) -> tf_provider::value::ValueString<'a> {
    match &config.handler_package {
        Value::Value(block) => match known(&block.path) {
            Some(path) => multiregion_core::package::Package::open(std::path::Path::new(path))
                .map_or(Value::Unknown, |p| string(p.sha256)),
            None => Value::Unknown,
        },
        Value::Null => Value::Null,
        Value::Unknown => Value::Unknown,
    }
}

/// Plans what Terraform shows of the runtime: the settings in effect, the
/// package hash, the status, and each region's runtime attributes.
fn plan_runtime(
    planned: &mut FailoverState<'_>,
    prior: Option<&FailoverState<'_>>,
    config: &FailoverState<'_>,
) {
    let mut scratch = tf_provider::Diagnostics::default();
    match super::validate::settings::effective(
        &config.health_check,
        &config.failover,
        &config.log_retention_days,
        &mut scratch,
    ) {
        Some(settings) => {
            planned.effective_health_check = Value::Value(settings.health_check.into());
            planned.effective_failover = Value::Value(settings.failover.into());
            planned.log_retention_days =
                Value::Value(i64::from(settings.log_retention_days).into());
        }
        None => {
            planned.effective_health_check = Value::Unknown;
            planned.effective_failover = Value::Unknown;
            if config.log_retention_days.is_null() {
                planned.log_retention_days = Value::Unknown;
            }
        }
    }
    super::estimate::plan(planned, config);
    let deployed = !config.handler_package.is_null();
    let had = prior.is_some_and(|p| !p.handler_package.is_null());
    planned.handler_package_sha256 = package_sha256(config);
    let expected_status = if deployed {
        super::runtime::STATUS_OK
    } else {
        super::runtime::STATUS_NOT_DEPLOYED
    };
    if prior.is_none_or(|p| known(&p.apparatus_status) != Some(expected_status)) {
        planned.apparatus_status = string(expected_status);
    }
    planned.automatic_failover_paused = match prior.map(|p| p.automatic_failover_paused) {
        Some(Value::Value(paused)) => Value::Value(paused),
        _ => Value::Value(false),
    };
    for (block, config_block) in [
        (&mut planned.primary, &config.primary),
        (&mut planned.secondary, &config.secondary),
    ] {
        let (Value::Value(block), Value::Value(config_block)) = (block, config_block) else {
            continue;
        };
        if config_block.health_route.is_null() {
            block.health_route = string(super::validate::HealthRoute::Inject.as_str());
        }
        let fresh = !had || block.state_machine_arn.is_null();
        block.state_machine_arn = match (deployed, fresh) {
            (false, _) => Value::Null,
            (true, true) => Value::Unknown,
            (true, false) => block.state_machine_arn.clone(),
        };
        if config_block.notification_topic_arn.is_null() {
            block.notification_topic_arn = match (deployed, fresh) {
                (false, _) => Value::Null,
                (true, true) => Value::Unknown,
                (true, false) => block.notification_topic_arn.clone(),
            };
        }
    }
}

/// The plan of a new resource. `zone_name` is the hosted zone's name when
/// the plan-time checks could read it (for the default standby name).
pub fn plan_create<'a>(
    proposed: FailoverState<'a>,
    config: &FailoverState<'_>,
    zone_name: Option<&str>,
) -> FailoverState<'a> {
    let mut planned = proposed;
    apply_defaults(&mut planned, config);
    planned.id = match (known(&planned.domain_name), known(&planned.hosted_zone_id)) {
        (Some(domain), Some(zone)) => string(naming::resource_id(domain, zone)),
        _ => Value::Unknown,
    };
    planned.ledger_record_name = known(&planned.domain_name)
        .map_or(Value::Unknown, |d| string(naming::ledger_record_name(d)));
    if config.standby_domain_name.is_null() {
        planned.standby_domain_name = match (known(&planned.domain_name), zone_name) {
            (Some(domain), Some(zone)) => string(default_standby_domain(domain, zone)),
            _ => Value::Unknown,
        };
    }
    if config.active_region.is_null() {
        planned.active_region = region_of(&planned.primary).map_or(Value::Unknown, string);
    }
    planned.standby_region = known(&planned.active_region)
        .and_then(|active| other_region(&planned, active))
        .map_or(Value::Unknown, string);
    planned.last_failover = Value::Unknown;
    planned.dns_status = Value::Unknown;
    for block in [&mut planned.primary, &mut planned.secondary] {
        if let Value::Value(block) = block {
            unknown_region_computeds(block);
        }
    }
    plan_runtime(&mut planned, None, config);
    planned
}

/// Whether an attribute forces replacement: only when the prior value is
/// known and non-null and the new one differs (so a plan after import is an
/// in-place update, never a replacement).
fn forces(prior: &ValueString<'_>, planned: &ValueString<'_>) -> bool {
    matches!(prior, Value::Value(_)) && prior != planned
}

/// The attributes whose change replaces the resource.
pub fn replace_paths(prior: &FailoverState<'_>, planned: &FailoverState<'_>) -> Vec<AttributePath> {
    let mut paths = Vec::new();
    for (name, p, n) in [
        ("name", &prior.name, &planned.name),
        ("domain_name", &prior.domain_name, &planned.domain_name),
        (
            "standby_domain_name",
            &prior.standby_domain_name,
            &planned.standby_domain_name,
        ),
        (
            "hosted_zone_id",
            &prior.hosted_zone_id,
            &planned.hosted_zone_id,
        ),
    ] {
        if forces(p, n) {
            paths.push(AttributePath::new(name));
        }
    }
    for (block, p, n) in [
        ("primary", &prior.primary, &planned.primary),
        ("secondary", &prior.secondary, &planned.secondary),
    ] {
        let (Value::Value(p), Value::Value(n)) = (p, n) else {
            continue;
        };
        if forces(&p.region, &n.region) {
            paths.push(AttributePath::new(block).attribute("region"));
        }
        // Changing the adopted API, or switching between adopted and
        // managed, replaces: the ownership of everything in the region
        // changes.
        let adopted_changed = forces(&p.existing_rest_api_id, &n.existing_rest_api_id);
        let became_adopted = known(&p.openapi_body).is_some() && !n.existing_rest_api_id.is_null();
        if adopted_changed || became_adopted {
            paths.push(AttributePath::new(block).attribute("existing_rest_api_id"));
        }
    }
    paths
}

/// The plan of an existing resource, and what forces its replacement.
pub fn plan_update<'a>(
    prior: &FailoverState<'_>,
    proposed: FailoverState<'a>,
    config: &FailoverState<'_>,
) -> (FailoverState<'a>, Vec<AttributePath>) {
    let mut planned = proposed;
    apply_defaults(&mut planned, config);

    // After an import nothing may have written the records yet: plan them
    // as a create does.
    if prior.active_region.is_null() && config.active_region.is_null() {
        planned.active_region = region_of(&planned.primary).map_or(Value::Unknown, string);
    }
    if prior.active_region.is_null() {
        planned.standby_region = known(&planned.active_region)
            .and_then(|active| other_region(&planned, active))
            .map_or(Value::Unknown, string);
        planned.last_failover = Value::Unknown;
        planned.dns_status = Value::Unknown;
    }
    if prior.id.is_value()
        && known(&planned.domain_name).is_some()
        && known(&planned.hosted_zone_id).is_some()
    {
        planned.id = string(naming::resource_id(
            known(&planned.domain_name).unwrap_or_default(),
            known(&planned.hosted_zone_id).unwrap_or_default(),
        ));
    }
    if planned.ledger_record_name.is_null() {
        planned.ledger_record_name = known(&planned.domain_name)
            .map_or(Value::Unknown, |d| string(naming::ledger_record_name(d)));
    }

    // active_region: unset keeps the refreshed value (the proposed state
    // carries it); set and different plans the swap.
    if let (Some(wanted), Some(current)) =
        (known(&config.active_region), known(&prior.active_region))
        && wanted != current
    {
        planned.active_region = string(wanted);
        planned.standby_region = other_region(&planned, wanted).map_or(Value::Unknown, string);
        planned.last_failover = Value::Unknown;
    }
    if config.active_region.is_unknown() {
        planned.standby_region = Value::Unknown;
        planned.last_failover = Value::Unknown;
    }

    // Broken records are repaired by the next apply.
    if known(&prior.dns_status).is_some_and(|s| s != DNS_OK) {
        planned.dns_status = string(DNS_OK);
        planned.last_failover = Value::Unknown;
    }

    // Anything found missing by the refresh is recreated by the next apply.
    for (block, prior_block) in [
        (&mut planned.primary, &prior.primary),
        (&mut planned.secondary, &prior.secondary),
    ] {
        let (Value::Value(block), Value::Value(prior_block)) = (block, prior_block) else {
            continue;
        };
        let missing = [
            &prior_block.rest_api_id,
            &prior_block.invoke_url,
            &prior_block.regional_domain_name,
            &prior_block.standby_regional_domain_name,
        ]
        .iter()
        .any(|v| v.is_null());
        let stage_changed = prior_block.stage_name != block.stage_name;
        if missing || stage_changed {
            unknown_region_computeds(block);
        }
    }
    plan_runtime(&mut planned, Some(prior), config);
    let replace = replace_paths(prior, &planned);
    (planned, replace)
}

/// Warnings a plan carries: `active_region` set pins the region, and a
/// pinned region that is not the active one means the plan fails back.
pub fn plan_warnings(
    prior: &FailoverState<'_>,
    config: &FailoverState<'_>,
) -> Vec<(String, String)> {
    let mut warnings = runtime_warnings(config);
    let Some(pinned) = known(&config.active_region) else {
        return warnings;
    };
    let current = known(&prior.active_region);
    if current.is_some_and(|c| c != pinned) {
        warnings.push((
            format!("This plan moves traffic to {pinned}"),
            format!(
                "active_region is set to {pinned} and {} is active now (after a runtime failover, or a planned switchover). \
                 Apply performs the swap after checking that {pinned} is healthy. If you did not mean to fail back, remove active_region: \
                 removing it changes nothing.",
                current.unwrap_or_default()
            ),
        ));
    } else {
        warnings.push((
            format!("active_region pins the active region to {pinned}"),
            "While active_region is set, every plan after a runtime failover proposes to fail back to it. Set it for a switchover, then remove it (removing it changes nothing)."
                .to_owned(),
        ));
    }
    warnings
}

/// Warnings about the runtime a configuration asks for.
pub fn runtime_warnings(config: &FailoverState<'_>) -> Vec<(String, String)> {
    let mut warnings = Vec::new();
    if config.handler_package.is_null() {
        warnings.push((
            "No handler package: nothing fails over by itself".to_owned(),
            "Without handler_package no runtime (pingers, paging alarms, state machines) is deployed: the records can only be swapped by setting active_region.".to_owned(),
        ));
    }
    if let Value::Value(package) = &config.handler_package
        && let Some(path) = known(&package.path)
        && let Ok(opened) = multiregion_core::package::Package::open(std::path::Path::new(path))
        && opened.manifest.build == multiregion_core::package::Build::Development
    {
        warnings.push((
            "handler_package is a development build".to_owned(),
            format!(
                "{path} was built by scripts/package --dev: unoptimized and linked for the machine that built it, for the local emulator only. \
                 On AWS Lambda, deploy the release package (scripts/package, or the one shipped with this provider's release)."
            ),
        ));
    }
    if let Value::Value(failover) = &config.failover
        && failover.force_switchover == Value::Value(true)
    {
        warnings.push((
            "failover.force_switchover is set".to_owned(),
            "A planned switchover (active_region) will move traffic even if the target region's standby name does not answer from it at each of the 3 probes apply makes over 10 s. \
             Remove force_switchover once the switchover is done."
                .to_owned(),
        ));
    }
    warnings
}

/// The warning a refresh carries when the ledger records a swap this state
/// has not recorded yet: (summary, detail), or `None`.
pub fn unrecorded_failover(
    prior: &FailoverState<'_>,
    ledger: &multiregion_core::Ledger,
) -> Option<(String, String)> {
    let Value::Value(recorded) = &prior.last_failover else {
        return None;
    };
    let recorded_generation = match recorded.generation {
        Value::Value(g) => u64::try_from(g).unwrap_or(0),
        _ => return None,
    };
    if ledger.generation <= recorded_generation {
        return None;
    }
    let from = known(&prior.active_region).unwrap_or("(unknown)");
    let what = match ledger.reason {
        multiregion_core::Reason::Runtime => "The runtime failed over",
        multiregion_core::Reason::Manual => "A manual failover moved traffic",
        _ => "Traffic moved outside this Terraform state",
    };
    Some((
        format!("{what}: {from} -> {}", ledger.active_region),
        format!(
            "The ledger records generation {} at {} (reason {}, execution {}). Terraform has not recorded it yet: this warning stays on every plan until an apply (or apply -refresh-only) records it. Terraform never fails back on its own; set active_region to fail back.",
            ledger.generation,
            multiregion_core::ledger::rfc3339(ledger.epoch),
            ledger.reason,
            ledger.execution.as_deref().unwrap_or("-"),
        ),
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::failover::state::LastFailover;

    /// A valid configuration of two managed APIs (also the estimate tests').
    pub(crate) fn config<'a>() -> FailoverState<'a> {
        let block = |region: &str| RegionState {
            region: string(region),
            certificate_arn: string(format!("arn:aws:acm:{region}:123456789012:certificate/x")),
            openapi_body: string("{}"),
            ..RegionState::default()
        };
        FailoverState {
            name: string("orders"),
            domain_name: string("api.example.com"),
            hosted_zone_id: string("Z1"),
            primary: Value::Value(block("us-east-1")),
            secondary: Value::Value(block("us-west-2")),
            ..FailoverState::default()
        }
    }

    /// The state after a create, as apply returns it.
    fn applied<'a>() -> FailoverState<'a> {
        let mut state = plan_create(config(), &config(), Some("example.com"));
        state.last_failover = Value::Value(LastFailover {
            generation: Value::Value(1),
            active_region: string("us-east-1"),
            time: string("2026-11-24T00:00:00Z"),
            reason: string("create"),
            execution: string("terraform"),
        });
        state.dns_status = string(DNS_OK);
        for (block, r) in [(&mut state.primary, "e"), (&mut state.secondary, "w")] {
            if let Value::Value(b) = block {
                b.rest_api_id = string(format!("api{r}"));
                b.invoke_url = string("https://x");
                b.regional_domain_name = string(format!("d-{r}"));
                b.regional_hosted_zone_id = string("Z");
                b.standby_regional_domain_name = string(format!("d-s{r}"));
                b.standby_regional_hosted_zone_id = string("Z");
            }
        }
        state
    }

    #[test]
    fn create_plans_the_primary_active_and_the_defaults() {
        let planned = plan_create(config(), &config(), Some("example.com"));
        assert_eq!(known(&planned.active_region), Some("us-east-1"));
        assert_eq!(known(&planned.standby_region), Some("us-west-2"));
        assert_eq!(
            known(&planned.standby_domain_name),
            Some("standby-api.example.com")
        );
        assert_eq!(known(&planned.health_path), Some("health"));
        assert_eq!(known(&planned.id), Some("api.example.com@Z1"));
        assert_eq!(
            known(&planned.ledger_record_name),
            Some("_failover.api.example.com")
        );
        assert!(planned.last_failover.is_unknown());
        let Value::Value(primary) = &planned.primary else {
            panic!()
        };
        assert_eq!(known(&primary.stage_name), Some("prod"));
        assert!(primary.rest_api_id.is_unknown());

        // Without the zone's name the default standby name is not known yet.
        let planned = plan_create(config(), &config(), None);
        assert!(planned.standby_domain_name.is_unknown());

        // Asked for the secondary at create.
        let mut asked = config();
        asked.active_region = string("us-west-2");
        let planned = plan_create(asked.clone(), &asked, Some("example.com"));
        assert_eq!(known(&planned.active_region), Some("us-west-2"));
        assert_eq!(known(&planned.standby_region), Some("us-east-1"));
    }

    #[test]
    fn an_unset_active_region_keeps_the_refreshed_value_and_never_fails_back() {
        let mut prior = applied();
        // The runtime failed over; refresh saw it.
        prior.active_region = string("us-west-2");
        prior.standby_region = string("us-east-1");
        // What Terraform proposes: the configuration plus the prior
        // (refreshed) computed values.
        let proposed = prior.clone();
        let (planned, replace) = plan_update(&prior, proposed, &config());
        assert_eq!(planned, prior, "no change planned");
        assert!(replace.is_empty());
    }

    #[test]
    fn a_set_active_region_plans_the_swap() {
        let prior = applied();
        let mut wanted = config();
        wanted.active_region = string("us-west-2");
        let mut proposed = prior.clone();
        proposed.active_region = string("us-west-2");
        let (planned, replace) = plan_update(&prior, proposed, &wanted);
        assert_eq!(known(&planned.active_region), Some("us-west-2"));
        assert_eq!(known(&planned.standby_region), Some("us-east-1"));
        assert!(planned.last_failover.is_unknown());
        assert!(replace.is_empty());
    }

    #[test]
    fn replacement_only_on_a_change_of_a_known_value() {
        let prior = applied();
        let mut moved = prior.clone();
        if let Value::Value(b) = &mut moved.secondary {
            b.region = string("eu-west-1");
        }
        moved.hosted_zone_id = string("Z2");
        let paths: Vec<String> = replace_paths(&prior, &moved)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(paths, ["hosted_zone_id", "secondary.region"]);

        // After import, optional values Terraform did not know are null: no
        // replacement, an update.
        let mut imported = prior.clone();
        imported.standby_domain_name = Value::Null;
        if let Value::Value(b) = &mut imported.primary {
            b.existing_rest_api_id = Value::Null;
        }
        assert!(replace_paths(&imported, &prior).is_empty());

        // Adopting instead of managing replaces.
        let mut adopted = prior.clone();
        if let Value::Value(b) = &mut adopted.primary {
            b.openapi_body = Value::Null;
            b.existing_rest_api_id = string("abc123defg");
        }
        let paths: Vec<String> = replace_paths(&prior, &adopted)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(paths, ["primary.existing_rest_api_id"]);
    }

    #[test]
    fn a_development_package_is_deployed_with_a_warning() {
        use multiregion_core::package::{Build, Manifest, ZIP};
        let dir = std::env::temp_dir().join(format!("mr-dev-package-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(ZIP), "code").unwrap();
        let mut config = config();
        config.handler_package = Value::Value(crate::failover::state::HandlerPackageBlock {
            path: string(dir.display().to_string()),
        });
        let summaries = |manifest: &Manifest| -> Vec<String> {
            std::fs::write(
                dir.join("manifest.json"),
                serde_json::to_vec(manifest).unwrap(),
            )
            .unwrap();
            runtime_warnings(&config).into_iter().map(|w| w.0).collect()
        };
        let mut manifest = Manifest::current();
        assert!(summaries(&manifest).is_empty());
        manifest.build = Build::Development;
        assert_eq!(
            summaries(&manifest),
            ["handler_package is a development build"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn warnings_for_pins_failbacks_and_unrecorded_failovers() {
        let prior = applied();
        let summaries = |config: &FailoverState<'_>| -> Vec<String> {
            plan_warnings(&prior, config)
                .into_iter()
                .map(|w| w.0)
                .collect()
        };
        assert_eq!(
            summaries(&config()),
            ["No handler package: nothing fails over by itself"]
        );
        let mut pinned = config();
        pinned.handler_package = Value::Value(crate::failover::state::HandlerPackageBlock {
            path: string("/nowhere"),
        });
        assert!(summaries(&pinned).is_empty());
        pinned.active_region = string("us-east-1");
        assert_eq!(
            summaries(&pinned),
            ["active_region pins the active region to us-east-1"]
        );
        pinned.active_region = string("us-west-2");
        assert_eq!(summaries(&pinned), ["This plan moves traffic to us-west-2"]);
        pinned.failover = Value::Value(crate::failover::apparatus::settings::FailoverBlock {
            force_switchover: Value::Value(true),
            ..Default::default()
        });
        assert_eq!(
            summaries(&pinned),
            [
                "failover.force_switchover is set",
                "This plan moves traffic to us-west-2"
            ]
        );

        let region = |r: &str| multiregion_core::Region::new(r).unwrap();
        let runtime = multiregion_core::Ledger::new(
            region("us-west-2"),
            2,
            100,
            multiregion_core::Reason::Runtime,
            Some("x".into()),
        )
        .unwrap();
        let (summary, detail) = unrecorded_failover(&prior, &runtime).unwrap();
        assert_eq!(summary, "The runtime failed over: us-east-1 -> us-west-2");
        assert!(detail.contains("generation 2"));
        let same = multiregion_core::Ledger::new(
            region("us-east-1"),
            1,
            0,
            multiregion_core::Reason::Create,
            None,
        )
        .unwrap();
        assert_eq!(unrecorded_failover(&prior, &same), None);
    }

    #[test]
    fn missing_pieces_and_broken_records_plan_an_update() {
        let mut prior = applied();
        if let Value::Value(b) = &mut prior.secondary {
            b.regional_domain_name = Value::Null;
        }
        prior.dns_status = string("both_on_one_region");
        let (planned, _) = plan_update(&prior, prior.clone(), &config());
        let Value::Value(secondary) = &planned.secondary else {
            panic!()
        };
        assert!(secondary.regional_domain_name.is_unknown());
        assert_eq!(known(&planned.dns_status), Some("ok"));
    }
}
