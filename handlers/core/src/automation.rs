//! Whether automatic failover is on in a region.
//!
//! The flag is a tag on the region's failover state machine, [`TAG`]. The
//! pinger reads it before it starts a failover, and the state machine's
//! target check reads it before every swap, so a pause set during an outage
//! holds the execution that is already running. A tag needs no extra AWS
//! object, costs nothing to read, and is written in each region's own
//! control plane:
//!
//! - disabling the pinger's schedule instead would page (its alarm counts
//!   missing data as breaching);
//! - a flag in the ledger would need Route 53's control plane to write,
//!   which is the part of AWS a failover must not depend on.
//!
//! Values: absent means on. [`OFF`] is Terraform's (`failover { automatic =
//! false }`); apply writes and removes only that value. [`PAUSED`] is a
//! person's pause (or the circuit breaker's): apply never removes it, and
//! the provider reports it as `automatic_failover_paused`. The circuit
//! breaker sets [`CIRCUIT_BREAKER`], a pause like a person's. Any other
//! value counts as paused: someone set it on purpose.

/// The tag key on each region's state machine.
pub const TAG: &str = "multiregion:automatic-failover";

/// The value a person (or the circuit breaker) sets to pause automation.
pub const PAUSED: &str = "paused";

/// The value the circuit breaker sets.
pub const CIRCUIT_BREAKER: &str = "circuit-breaker";

/// The value Terraform sets for `failover { automatic = false }`.
pub const OFF: &str = "off";

/// What the flag says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automation {
    /// No flag: the runtime fails over by itself.
    On,
    /// Terraform turned automation off ([`OFF`]).
    Off,
    /// Paused by hand or by the circuit breaker ([`PAUSED`], or any other
    /// value, kept here).
    Paused(String),
}

impl Automation {
    /// The flag read from the state machine's tag value.
    pub fn from_tag(value: Option<&str>) -> Automation {
        match value {
            None => Automation::On,
            Some(OFF) => Automation::Off,
            Some(other) => Automation::Paused(other.to_owned()),
        }
    }

    /// Whether the runtime may start and complete failovers.
    pub fn is_on(&self) -> bool {
        *self == Automation::On
    }

    /// Whether a person (not Terraform) paused automation.
    pub fn paused_by_hand(&self) -> bool {
        matches!(self, Automation::Paused(_))
    }

    /// What a log line or a notification says.
    pub fn describe(&self) -> String {
        match self {
            Automation::On => "automatic failover is on".into(),
            Automation::Off => format!(
                "automatic failover is off in Terraform (the state machine's tag {TAG} is {OFF:?})"
            ),
            Automation::Paused(value) => format!(
                "automatic failover is paused (the state machine's tag {TAG} is {value:?}; \
                 remove the tag in both regions to resume)"
            ),
        }
    }

    /// The tag `(key, value)` Terraform writes for `automatic`, or `None`
    /// when Terraform removes its own value. A person's pause is never
    /// Terraform's to remove: `current` is the tag's value now.
    pub fn terraform_tag(automatic: bool, current: Option<&str>) -> TagChange {
        match (automatic, current) {
            (false, None) => TagChange::Set(OFF),
            (false, Some(_)) => TagChange::Keep,
            (true, Some(OFF)) => TagChange::Remove,
            (true, _) => TagChange::Keep,
        }
    }
}

/// What apply does to the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    /// Leave it as it is.
    Keep,
    /// Set it to this value.
    Set(&'static str),
    /// Remove it.
    Remove,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_on_and_any_value_but_terraforms_is_a_pause() {
        assert!(Automation::from_tag(None).is_on());
        assert_eq!(Automation::from_tag(Some("off")), Automation::Off);
        assert!(!Automation::from_tag(Some("off")).paused_by_hand());
        for value in ["paused", "yes", ""] {
            let flag = Automation::from_tag(Some(value));
            assert!(!flag.is_on() && flag.paused_by_hand(), "{value:?}");
        }
    }

    #[test]
    fn apply_never_removes_a_pause_by_hand() {
        assert_eq!(
            Automation::terraform_tag(true, Some(PAUSED)),
            TagChange::Keep
        );
        assert_eq!(
            Automation::terraform_tag(false, Some(PAUSED)),
            TagChange::Keep
        );
        assert_eq!(
            Automation::terraform_tag(true, Some(OFF)),
            TagChange::Remove
        );
        assert_eq!(Automation::terraform_tag(false, None), TagChange::Set(OFF));
        assert_eq!(Automation::terraform_tag(true, None), TagChange::Keep);
        assert_eq!(Automation::terraform_tag(false, Some(OFF)), TagChange::Keep);
    }
}
