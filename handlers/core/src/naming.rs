//! Deterministic names for every piece a failover pair owns.
//!
//! A name is a pure function of the resource's `name`, the piece, and (for
//! services whose names are global, such as IAM) the region. It fits the
//! service's length limit: when the plain name is too long it is cut and ends
//! with a short stable hash of the whole, so two long names never collide and
//! the same input always gives the same name. Deterministic names and the tags
//! below are what let an apply interrupted by a crash adopt what it had
//! already created, and an orphan sweep find leftovers.

use sha2::{Digest, Sha256};

use crate::region::Region;

/// Longest `name` a resource may have. The longest derived name (an IAM role
/// name with the longest region code) still fits IAM's 64 characters.
pub const MAX_NAME_LEN: usize = 24;

/// Prefix of every derived name, so that our pieces sort together in consoles.
pub const PREFIX: &str = "mr";

/// Tag key holding the resource id (`<domain>@<zone>`) on everything created.
pub const TAG_ID: &str = "multiregion:id";
/// Tag key holding the resource's `name` on everything created.
pub const TAG_NAME: &str = "multiregion:name";

/// Label that the ledger TXT record puts before the active name.
pub const LEDGER_LABEL: &str = "_failover";

/// Length limits of the services we name things in.
pub mod limits {
    /// Lambda function names.
    pub const LAMBDA_FUNCTION: usize = 64;
    /// IAM role names.
    pub const IAM_ROLE: usize = 64;
    /// Step Functions state machine and execution names.
    pub const STATE_MACHINE: usize = 80;
    /// EventBridge rule names.
    pub const EVENT_RULE: usize = 64;
    /// SNS topic names.
    pub const SNS_TOPIC: usize = 256;
    /// CloudWatch alarm names.
    pub const ALARM: usize = 255;
    /// CloudWatch Logs log group names.
    pub const LOG_GROUP: usize = 512;
    /// API Gateway REST API names (no documented hard limit; kept readable).
    pub const REST_API: usize = 128;
    /// SQS queue names.
    pub const SQS_QUEUE: usize = 80;
}

/// Why a resource `name` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("the name is empty; use 1 to {MAX_NAME_LEN} characters from a-z, 0-9 and -")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`].
    #[error("the name is {0} characters long; use at most {MAX_NAME_LEN}")]
    TooLong(usize),
    /// The name holds a character outside `[a-z0-9-]`.
    #[error("the name contains {0:?}; use only lowercase letters a-z, digits 0-9 and -")]
    BadCharacter(char),
    /// The name does not start with a letter.
    #[error("the name must start with a lowercase letter a-z")]
    BadStart,
    /// The name ends with a hyphen or holds two in a row.
    #[error("the name must not end with - or contain --")]
    BadHyphen,
}

/// Checks a resource `name`: 1 to 24 characters of `[a-z0-9-]`, starting with a
/// letter, no trailing or doubled hyphen.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(NameError::TooLong(len));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(NameError::BadCharacter(bad));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(NameError::BadStart);
    }
    if name.ends_with('-') || name.contains("--") {
        return Err(NameError::BadHyphen);
    }
    Ok(())
}

/// A short stable hash of `input`: the first 8 hex digits of its SHA-256.
pub fn short_hash(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// Fits `full` into `limit` characters. Names that fit are returned as they
/// are; longer ones are cut and end in `-<short_hash(full)>`.
pub fn fit(full: &str, limit: usize) -> String {
    if full.len() <= limit {
        return full.to_owned();
    }
    let hash = short_hash(full);
    let keep = limit.saturating_sub(hash.len() + 1);
    let head = full[..keep].trim_end_matches(['-', '_', '.', '/']);
    format!("{head}-{hash}")
}

/// The identity of a failover resource: `<domain_name>@<hosted_zone_id>`.
/// It is the Terraform id, the value of the [`TAG_ID`] tag, and the form
/// accepted to recover lost state.
pub fn resource_id(domain_name: &str, hosted_zone_id: &str) -> String {
    format!(
        "{}@{}",
        normalize_dns_name(domain_name),
        hosted_zone_id.trim_start_matches("/hostedzone/")
    )
}

/// The pieces that run the failover in each region. Each has its own Lambda
/// function and its own IAM role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// Answers the health route with its region.
    Ponger,
    /// Watches at every tick; in the standby region it starts the state
    /// machine when the active name fails.
    Pinger,
    /// The state machine's steps: health checks, the swap, INSYNC, verify.
    Swapper,
    /// Publishes the outcome of a failover.
    Notifier,
}

impl Component {
    /// Every component, in deployment order.
    pub const ALL: [Component; 4] = [
        Component::Ponger,
        Component::Pinger,
        Component::Swapper,
        Component::Notifier,
    ];

    /// The component's short name, used in names and as the handler name.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Ponger => "ponger",
            Component::Pinger => "pinger",
            Component::Swapper => "swapper",
            Component::Notifier => "notifier",
        }
    }

    /// The component whose [`as_str`](Component::as_str) is `name`: the
    /// function's configured handler names the component its bootstrap runs.
    pub fn from_handler(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Names of everything one failover resource creates, derived from its `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    name: String,
}

impl Names {
    /// Names for the resource called `name`, which must pass [`validate_name`].
    pub fn new(name: &str) -> Result<Self, NameError> {
        validate_name(name)?;
        Ok(Names {
            name: name.to_owned(),
        })
    }

    /// The resource's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn base(&self) -> String {
        format!("{PREFIX}-{}", self.name)
    }

    /// The Lambda function of `component` (Lambda names are regional).
    pub fn function(&self, component: Component) -> String {
        fit(
            &format!("{}-{}", self.base(), component.as_str()),
            limits::LAMBDA_FUNCTION,
        )
    }

    /// The IAM role of `component` in `region` (IAM names are global, so the
    /// region is part of the name).
    pub fn function_role(&self, component: Component, region: &Region) -> String {
        fit(
            &format!("{}-{}-{}", self.base(), component.as_str(), region),
            limits::IAM_ROLE,
        )
    }

    /// The state machine that performs the failover in each region.
    pub fn state_machine(&self) -> String {
        fit(&format!("{}-failover", self.base()), limits::STATE_MACHINE)
    }

    /// The IAM role the state machine runs as in `region`.
    pub fn state_machine_role(&self, region: &Region) -> String {
        fit(
            &format!("{}-states-{}", self.base(), region),
            limits::IAM_ROLE,
        )
    }

    /// The execution name of the runtime failover that the pinger of the
    /// state machine `incarnation` (its creation time, in seconds since the
    /// epoch) starts at the tick `tick` (the scheduled event's time, in
    /// seconds) after ledger `generation`.
    ///
    /// Step Functions keeps a name reserved for 90 days after its execution
    /// ends, and a deployment destroyed and created again starts its ledger
    /// at generation 1 again: the incarnation keeps the new machine's names
    /// apart from the old one's. At most 43 characters (names may have 80),
    /// none of them `:`.
    pub fn execution(incarnation: i64, generation: u64, tick: i64) -> String {
        format!("i{incarnation}-g{generation}-t{tick}")
    }

    /// The CloudWatch alarm that fires when the active name stops answering.
    pub fn alarm(&self) -> String {
        fit(&format!("{}-active-unhealthy", self.base()), limits::ALARM)
    }

    /// The SNS topic failover outcomes are published to.
    pub fn notification_topic(&self) -> String {
        fit(&format!("{}-notify", self.base()), limits::SNS_TOPIC)
    }

    /// The EventBridge rule that runs the pinger on schedule.
    pub fn schedule_rule(&self) -> String {
        fit(&format!("{}-pinger", self.base()), limits::EVENT_RULE)
    }

    /// The SQS queue that relays a sub-minute interval's later ticks to the
    /// pinger (only when `interval_seconds` is below 60).
    pub fn tick_queue(&self) -> String {
        fit(&format!("{}-ticks", self.base()), limits::SQS_QUEUE)
    }

    /// The tick queue's URL in `region` of `account_id`, as SQS forms it
    /// (`https://sqs.<region>.<dns suffix>/<account>/<name>`).
    pub fn tick_queue_url(&self, region: &Region, account_id: &str) -> String {
        format!(
            "https://sqs.{region}.{}/{account_id}/{}",
            region.partition().dns_suffix(),
            self.tick_queue()
        )
    }

    /// The log group of `component`'s function (Lambda's own convention).
    pub fn function_log_group(&self, component: Component) -> String {
        format!("/aws/lambda/{}", self.function(component))
    }

    /// The log group of the state machine.
    pub fn state_machine_log_group(&self) -> String {
        fit(
            &format!("/aws/vendedlogs/states/{}", self.state_machine()),
            limits::LOG_GROUP,
        )
    }

    /// The kicker function of the first runtime (an alarm's SNS subscriber
    /// that started the state machine). The second runtime has none; the
    /// provider deletes it, its role and its log group where it finds them,
    /// so a deployment made by an older provider converges in one apply.
    pub fn retired_kicker_function(&self) -> String {
        fit(&format!("{}-kicker", self.base()), limits::LAMBDA_FUNCTION)
    }

    /// The IAM role of [`retired_kicker_function`](Names::retired_kicker_function) in `region`.
    pub fn retired_kicker_role(&self, region: &Region) -> String {
        fit(
            &format!("{}-kicker-{}", self.base(), region),
            limits::IAM_ROLE,
        )
    }

    /// The SNS topic the first runtime's alarm published to (subscribed by
    /// the kicker); deleted like the kicker.
    pub fn retired_alarm_topic(&self) -> String {
        fit(&format!("{}-alarm", self.base()), limits::SNS_TOPIC)
    }

    /// The name of a managed REST API in `region`.
    pub fn rest_api(&self, region: &Region) -> String {
        fit(&format!("{}-{}", self.base(), region), limits::REST_API)
    }
}

/// Lower-cases a DNS name and drops the trailing dot, for comparisons.
pub fn normalize_dns_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The default standby name for `domain_name` in the zone `zone_name`:
/// `standby-` before the first label (`api.example.com` ->
/// `standby-api.example.com`), or `standby.<domain>` at the zone apex, where
/// prefixing the first label would leave the zone.
pub fn default_standby_domain(domain_name: &str, zone_name: &str) -> String {
    let domain = normalize_dns_name(domain_name);
    if domain == normalize_dns_name(zone_name) {
        format!("standby.{domain}")
    } else {
        format!("standby-{domain}")
    }
}

/// The name of the ledger TXT record that sits next to the active name.
pub fn ledger_record_name(domain_name: &str) -> String {
    format!("{LEDGER_LABEL}.{}", normalize_dns_name(domain_name))
}

/// The tags put on everything a resource creates.
pub fn tags(resource_id: &str, name: &str) -> [(&'static str, String); 2] {
    [
        (TAG_ID, resource_id.to_owned()),
        (TAG_NAME, name.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert_eq!(validate_name("orders"), Ok(()));
        assert_eq!(validate_name("a1-b2"), Ok(()));
        assert_eq!(validate_name(&"a".repeat(24)), Ok(()));
        let cases = [
            ("", NameError::Empty),
            (&*"a".repeat(25), NameError::TooLong(25)),
            ("Orders", NameError::BadCharacter('O')),
            ("or_ders", NameError::BadCharacter('_')),
            ("orders!", NameError::BadCharacter('!')),
            ("ordérs", NameError::BadCharacter('é')),
            ("1orders", NameError::BadStart),
            ("-orders", NameError::BadStart),
            ("orders-", NameError::BadHyphen),
            ("or--ders", NameError::BadHyphen),
        ];
        for (name, want) in cases {
            assert_eq!(validate_name(name), Err(want), "{name:?}");
        }
    }

    #[test]
    fn every_derived_name_fits_its_limit_for_the_longest_inputs() {
        let names = Names::new(&"n".repeat(MAX_NAME_LEN)).unwrap();
        let longest_region = Region::known()
            .max_by_key(|r| r.len())
            .map(|r| Region::new(r).unwrap())
            .unwrap();
        for component in Component::ALL {
            assert!(names.function(component).len() <= limits::LAMBDA_FUNCTION);
            let role = names.function_role(component, &longest_region);
            assert!(role.len() <= limits::IAM_ROLE, "{role}");
            assert!(
                role.ends_with(longest_region.as_str()),
                "IAM is global, so role names carry the region without cutting it: {role}"
            );
        }
        assert!(names.state_machine_role(&longest_region).len() <= limits::IAM_ROLE);
        assert!(names.state_machine().len() <= limits::STATE_MACHINE);
        assert!(names.schedule_rule().len() <= limits::EVENT_RULE);
        let longest = Names::execution(i64::MAX, u64::MAX, i64::MAX);
        assert!(longest.len() <= 80 && !longest.contains(':'), "{longest}");
    }

    #[test]
    fn fit_cuts_long_names_with_a_stable_hash() {
        assert_eq!(fit("short", 10), "short");
        let long = "x".repeat(100);
        let fitted = fit(&long, 64);
        assert_eq!(fitted.len(), 64);
        assert_eq!(fitted, fit(&long, 64), "deterministic");
        assert!(fitted.ends_with(&short_hash(&long)));
        // Two long names that share their first 64 characters still differ.
        let other = format!("{}y", "x".repeat(99));
        assert_ne!(fit(&other, 64), fitted);
    }

    #[test]
    fn names_are_deterministic_and_regional_where_iam_needs_it() {
        let names = Names::new("orders").unwrap();
        let east = Region::new("us-east-1").unwrap();
        let west = Region::new("us-west-2").unwrap();
        assert_eq!(names.function(Component::Pinger), "mr-orders-pinger");
        assert_eq!(
            names.function_role(Component::Swapper, &east),
            "mr-orders-swapper-us-east-1"
        );
        assert_ne!(
            names.function_role(Component::Swapper, &east),
            names.function_role(Component::Swapper, &west)
        );
        assert_eq!(names.retired_kicker_function(), "mr-orders-kicker");
        assert_eq!(
            names.retired_kicker_role(&west),
            "mr-orders-kicker-us-west-2"
        );
        assert_eq!(names.retired_alarm_topic(), "mr-orders-alarm");
        assert_eq!(
            names.function_log_group(Component::Swapper),
            "/aws/lambda/mr-orders-swapper"
        );
        assert_eq!(
            Names::execution(1764633600, 7, 1764637260),
            "i1764633600-g7-t1764637260"
        );
    }

    #[test]
    fn standby_domain_defaults() {
        assert_eq!(
            default_standby_domain("api.example.com", "example.com"),
            "standby-api.example.com"
        );
        assert_eq!(
            default_standby_domain("Example.com.", "example.com."),
            "standby.example.com"
        );
        assert_eq!(
            ledger_record_name("API.example.com."),
            "_failover.api.example.com"
        );
        assert_eq!(
            resource_id("api.example.com.", "/hostedzone/Z123"),
            "api.example.com@Z123"
        );
    }
}
