//! The resource's Terraform state, and the ownership kept in private state.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use tf_provider::value::{Value, ValueNumber, ValueString};

/// An optional nested block (`handler_package {}`, `health_check {}`,
/// `failover {}`): a list of zero or one element on the wire. Unlike
/// `tf_provider::value::serde_as_vec` it also carries an unknown list, which
/// Terraform sends while a `dynamic` block's `for_each` is unknown (a module
/// validated with unknown variables, for example).
pub mod optional_block {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use tf_provider::value::Value;

    /// An unknown block stays unknown; otherwise a list of zero or one.
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Value<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Value::Unknown => Value::<Vec<&T>>::Unknown.serialize(serializer),
            _ => tf_provider::value::serde_as_vec::serialize(value, serializer),
        }
    }

    /// An unknown list is an unknown block; an empty or null one, none.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Value<T>, D::Error> {
        match Value::<Vec<Value<T>>>::deserialize(deserializer)? {
            Value::Unknown => Ok(Value::Unknown),
            Value::Null => Ok(Value::Null),
            Value::Value(items) => {
                let mut items = items.into_iter();
                match (items.next(), items.next()) {
                    (None, _) => Ok(Value::Null),
                    (Some(item), None) => Ok(item),
                    (Some(_), Some(_)) => Err(D::Error::custom(
                        "a block that allows at most one was given more",
                    )),
                }
            }
        }
    }
}

/// `multiregion_apigw_failover`: configuration, plan and state share it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailoverState<'a> {
    pub id: ValueString<'a>,
    pub log_retention_days: crate::number::ConfiguredNumber,
    #[serde(with = "optional_block")]
    pub handler_package: Value<HandlerPackageBlock<'a>>,
    #[serde(with = "optional_block")]
    pub health_check: Value<super::apparatus::settings::HealthCheckBlock>,
    #[serde(with = "optional_block")]
    pub failover: Value<super::apparatus::settings::FailoverBlock>,
    pub handler_package_sha256: ValueString<'a>,
    pub effective_health_check: Value<super::apparatus::settings::EffectiveHealthCheckValue>,
    pub effective_failover: Value<super::apparatus::settings::EffectiveFailoverValue>,
    pub automatic_failover_paused: tf_provider::value::ValueBool,
    pub apparatus_status: ValueString<'a>,
    pub name: ValueString<'a>,
    pub domain_name: ValueString<'a>,
    pub standby_domain_name: ValueString<'a>,
    pub hosted_zone_id: ValueString<'a>,
    pub health_path: ValueString<'a>,
    pub active_region: ValueString<'a>,
    pub standby_region: ValueString<'a>,
    pub last_failover: Value<LastFailover<'a>>,
    pub ledger_record_name: ValueString<'a>,
    pub dns_status: ValueString<'a>,
    pub detection_time_seconds: ValueNumber,
    pub swap_budget_seconds: ValueNumber,
    pub monthly_cost_usd: Value<super::estimate::MonthlyCostValue<'a>>,
    pub primary: Value<RegionState<'a>>,
    pub secondary: Value<RegionState<'a>>,
}

/// A `primary {}` or `secondary {}` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionState<'a> {
    pub region: ValueString<'a>,
    pub certificate_arn: ValueString<'a>,
    pub stage_name: ValueString<'a>,
    pub openapi_body: ValueString<'a>,
    pub existing_rest_api_id: ValueString<'a>,
    pub rest_api_id: ValueString<'a>,
    pub invoke_url: ValueString<'a>,
    pub regional_domain_name: ValueString<'a>,
    pub regional_hosted_zone_id: ValueString<'a>,
    pub standby_regional_domain_name: ValueString<'a>,
    pub standby_regional_hosted_zone_id: ValueString<'a>,
    pub base_path: ValueString<'a>,
    pub health_route: ValueString<'a>,
    pub notification_topic_arn: ValueString<'a>,
    pub state_machine_arn: ValueString<'a>,
}

/// The `handler_package {}` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HandlerPackageBlock<'a> {
    pub path: ValueString<'a>,
}

/// The `last_failover` object: the ledger's latest entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastFailover<'a> {
    pub generation: ValueNumber,
    pub active_region: ValueString<'a>,
    pub time: ValueString<'a>,
    pub reason: ValueString<'a>,
    pub execution: ValueString<'a>,
}

/// What the resource created in one region, so that destroy removes only
/// that. Kept in private state; rebuilt from tags on import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionOwnership {
    /// The REST API (and so its stages and deployments) was created here.
    pub rest_api: bool,
    /// The custom domain of the active name was created here.
    pub active_domain: bool,
    /// The custom domain of the standby name was created here.
    pub standby_domain: bool,
}

/// Ownership in both regions, and of the records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    /// The primary region.
    pub primary: RegionOwnership,
    /// The secondary region.
    pub secondary: RegionOwnership,
}

/// The private state: ownership, or nothing (first plan, older states).
pub type PrivateState = Value<Ownership>;

/// An owned string value.
pub fn string<'a>(s: impl Into<String>) -> ValueString<'a> {
    Value::Value(Cow::Owned(s.into()))
}

/// An optional owned string value (`None` is null).
pub fn opt_string<'a>(s: Option<impl Into<String>>) -> ValueString<'a> {
    match s {
        Some(s) => string(s),
        None => Value::Null,
    }
}

/// A copy of a string value that borrows nothing.
pub fn owned<'b>(value: &ValueString<'_>) -> ValueString<'b> {
    match value {
        Value::Value(s) => string(s.to_string()),
        Value::Null => Value::Null,
        Value::Unknown => Value::Unknown,
    }
}

impl LastFailover<'_> {
    /// A copy that borrows nothing.
    pub fn to_owned_value<'b>(&self) -> LastFailover<'b> {
        LastFailover {
            generation: self.generation,
            active_region: owned(&self.active_region),
            time: owned(&self.time),
            reason: owned(&self.reason),
            execution: owned(&self.execution),
        }
    }
}

/// The known string of a value, if it is known and not null.
pub fn known<'v>(value: &'v ValueString<'_>) -> Option<&'v str> {
    match value {
        Value::Value(s) => Some(s.as_ref()),
        _ => None,
    }
}

fn settle<T>(value: &mut Value<T>) {
    if value.is_unknown() {
        *value = Value::Null;
    }
}

impl<'a> FailoverState<'a> {
    /// Turns what is still unknown into null: apply must not return
    /// unknown values, also when it stops half-way.
    pub fn settle_unknowns(&mut self) {
        settle(&mut self.id);
        settle(&mut self.standby_domain_name);
        settle(&mut self.active_region);
        settle(&mut self.standby_region);
        settle(&mut self.last_failover);
        settle(&mut self.ledger_record_name);
        settle(&mut self.dns_status);
        settle(&mut self.handler_package_sha256);
        settle(&mut self.effective_health_check);
        settle(&mut self.effective_failover);
        settle(&mut self.automatic_failover_paused);
        settle(&mut self.apparatus_status);
        settle(&mut self.log_retention_days);
        settle(&mut self.health_path);
        settle(&mut self.detection_time_seconds);
        settle(&mut self.swap_budget_seconds);
        settle(&mut self.monthly_cost_usd);
        for block in [&mut self.primary, &mut self.secondary] {
            if let Value::Value(b) = block {
                settle(&mut b.rest_api_id);
                settle(&mut b.invoke_url);
                settle(&mut b.regional_domain_name);
                settle(&mut b.regional_hosted_zone_id);
                settle(&mut b.standby_regional_domain_name);
                settle(&mut b.standby_regional_hosted_zone_id);
                settle(&mut b.stage_name);
                settle(&mut b.health_route);
                settle(&mut b.notification_topic_arn);
                settle(&mut b.state_machine_arn);
            }
        }
    }

    /// The region blocks with their names, for loops.
    pub fn blocks(&self) -> [(&'static str, &Value<RegionState<'a>>); 2] {
        [("primary", &self.primary), ("secondary", &self.secondary)]
    }
}
