//! The subset of the Amazon States Language the failover uses, as typed
//! serde structs: a definition is built in Rust and serialized, never written
//! as JSON by hand.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// A state machine definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    /// What it does.
    pub comment: String,
    /// The first state.
    pub start_at: String,
    /// The states, in the order written.
    pub states: States,
}

/// Named states in the order they were added (ASL keeps a JSON object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct States(pub Vec<(String, State)>);

impl States {
    /// Adds `state` under `name`.
    pub fn add(&mut self, name: &str, state: impl Into<State>) {
        self.0.push((name.to_owned(), state.into()));
    }

    /// The state called `name`.
    pub fn get(&self, name: &str) -> Option<&State> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// The state names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

impl Serialize for States {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, state) in &self.0 {
            map.serialize_entry(name, state)?;
        }
        map.end()
    }
}

/// One state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    /// Runs a Lambda function.
    Task(Task),
    /// Branches on the data.
    Choice(Choice),
    /// Waits without running anything (and without cost beyond the transition).
    Wait(Wait),
    /// Ends the execution successfully.
    Succeed(Succeed),
    /// Ends the execution as failed.
    Fail(Fail),
}

macro_rules! into_state {
    ($($kind:ident),*) => {$(
        impl From<$kind> for State {
            fn from(state: $kind) -> State {
                State::$kind(state)
            }
        }
    )*};
}
into_state!(Task, Choice, Wait, Succeed, Fail);

/// Where a state goes next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Transition {
    /// To the named state.
    Next(String),
    /// The execution ends here.
    End(bool),
}

impl Transition {
    /// To `state`.
    pub fn to(state: &str) -> Self {
        Transition::Next(state.to_owned())
    }
}

/// A Task state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The Lambda function ARN.
    pub resource: String,
    /// The payload sent to the function (a payload template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Where the result goes in the state's data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<String>,
    /// Seconds before the task fails with `States.Timeout`.
    pub timeout_seconds: u32,
    /// Retries, first match wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    /// Catchers, first match wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    /// Where to go next.
    #[serde(flatten)]
    pub transition: Transition,
}

/// A Retry rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    /// Error names it matches.
    pub error_equals: Vec<String>,
    /// Seconds before the first retry.
    pub interval_seconds: u32,
    /// Retries after the first attempt.
    pub max_attempts: u32,
    /// Multiplier of the interval after each retry.
    pub backoff_rate: f64,
}

impl Retrier {
    /// A rule for `errors`.
    pub fn new(errors: &[&str], interval_seconds: u32, max_attempts: u32, backoff: f64) -> Self {
        Retrier {
            error_equals: errors.iter().map(|e| (*e).to_owned()).collect(),
            interval_seconds,
            max_attempts,
            backoff_rate: backoff,
        }
    }
}

/// A Catch rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Catcher {
    /// Error names it matches.
    pub error_equals: Vec<String>,
    /// Where the error (`{Error, Cause}`) goes in the state's data.
    pub result_path: String,
    /// Where to go.
    pub next: String,
}

impl Catcher {
    /// A rule for `errors`, putting the error at `result_path`.
    pub fn new(errors: &[&str], result_path: &str, next: &str) -> Self {
        Catcher {
            error_equals: errors.iter().map(|e| (*e).to_owned()).collect(),
            result_path: result_path.to_owned(),
            next: next.to_owned(),
        }
    }
}

/// A Choice state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Choice {
    /// What it decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Rules, first match wins.
    pub choices: Vec<ChoiceRule>,
    /// Where to go when no rule matches.
    pub default: String,
}

/// One rule of a Choice state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChoiceRule {
    /// The path compared.
    pub variable: String,
    /// The comparison.
    #[serde(flatten)]
    pub test: Test,
    /// Where to go when it holds.
    pub next: String,
}

/// A comparison of a Choice rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Test {
    /// The value is this string.
    StringEquals(String),
    /// The value is this boolean.
    BooleanEquals(bool),
    /// The path exists (true) or not (false).
    IsPresent(bool),
}

impl ChoiceRule {
    /// `variable` passes `test`: go to `next`.
    pub fn new(variable: &str, test: Test, next: &str) -> Self {
        ChoiceRule {
            variable: variable.to_owned(),
            test,
            next: next.to_owned(),
        }
    }
}

/// A Wait state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Wait {
    /// What it waits for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// How long, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    /// Where in the data the number of seconds is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds_path: Option<String>,
    /// Where to go next.
    #[serde(flatten)]
    pub transition: Transition,
}

/// A Succeed state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Succeed {
    /// What it means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A Fail state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fail {
    /// What it means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The execution's error name.
    pub error: String,
    /// The execution's cause.
    pub cause: String,
}
