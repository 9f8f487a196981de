//! An API's resource policy, as API Gateway applies it to an anonymous call
//! (which the probes are): an explicit Deny wins, then an Allow for every
//! principal lets the call through, and without one the call is denied
//! (403, `AccessDeniedException`). moto stores the policy and ignores it.
//!
//! What is evaluated: `Effect`, `Principal` (`"*"` or `{"AWS": "*"}`;
//! named principals never match an anonymous caller), `Action` and
//! `NotAction`, `Resource` and `NotResource` with IAM's `*` and `?`, in full
//! ARN form or API Gateway's `execute-api:/<stage>/<method>/<path>`
//! shorthand, and the conditions `IpAddress` / `NotIpAddress` on
//! `aws:SourceIp` and `StringEquals` / `StringNotEquals` on the keys an
//! anonymous public call does not carry (`aws:SourceVpce`, `aws:SourceVpc`,
//! ...). A condition of another kind makes its statement not apply, so an
//! Allow the bench cannot evaluate does not let the probes through.

use std::net::Ipv4Addr;

use serde_json::Value;

/// One call to an API's method.
#[derive(Debug, Clone)]
pub(super) struct Call<'a> {
    pub(super) region: &'a str,
    pub(super) account: &'a str,
    pub(super) api_id: &'a str,
    pub(super) stage: &'a str,
    pub(super) method: &'a str,
    /// The resource path, `/health/ping`.
    pub(super) path: &'a str,
    pub(super) source_ip: Ipv4Addr,
}

impl Call<'_> {
    /// The ARN the call is authorized against.
    pub(super) fn arn(&self) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
            self.region,
            self.account,
            self.api_id,
            self.stage,
            self.method,
            self.path.trim_start_matches('/')
        )
    }

    fn resource(&self, pattern: &str) -> String {
        match pattern.strip_prefix("execute-api:") {
            Some(rest) => format!(
                "arn:aws:execute-api:{}:{}:{}{}",
                self.region, self.account, self.api_id, rest
            ),
            None => pattern.to_owned(),
        }
    }
}

/// Whether the policy lets the anonymous call through. A policy that is not
/// JSON denies everything, as no statement of it can apply.
pub(super) fn allows(policy: &str, call: &Call<'_>) -> bool {
    let Ok(document) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let statements = match &document["Statement"] {
        Value::Array(statements) => statements.clone(),
        statement @ Value::Object(_) => vec![statement.clone()],
        _ => Vec::new(),
    };
    let applying = |effect: &str| {
        statements
            .iter()
            .any(|s| s["Effect"].as_str() == Some(effect) && applies(s, call))
    };
    !applying("Deny") && applying("Allow")
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn applies(statement: &Value, call: &Call<'_>) -> bool {
    let everyone = match &statement["Principal"] {
        Value::String(s) => s == "*",
        Value::Object(map) => map.get("AWS").is_some_and(|p| strings(p) == ["*"]),
        _ => false,
    };
    let action = |patterns: &Value| {
        strings(patterns)
            .iter()
            .any(|p| glob(&p.to_ascii_lowercase(), "execute-api:invoke"))
    };
    let action = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(a), _) => action(a),
        (None, Some(n)) => !action(n),
        (None, None) => false,
    };
    let arn = call.arn();
    let resource = |patterns: &Value| {
        strings(patterns)
            .iter()
            .any(|p| glob(&call.resource(p), &arn))
    };
    let resource = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(r), _) => resource(r),
        (None, Some(n)) => !resource(n),
        (None, None) => false,
    };
    everyone && action && resource && conditions_hold(&statement["Condition"], call)
}

fn conditions_hold(conditions: &Value, call: &Call<'_>) -> bool {
    let Some(operators) = conditions.as_object() else {
        return conditions.is_null();
    };
    operators.iter().all(|(operator, keys)| {
        keys.as_object().is_some_and(|keys| {
            keys.iter().all(|(key, values)| {
                let values = strings(values);
                let key = key.to_ascii_lowercase();
                match (operator.as_str(), key.as_str()) {
                    ("IpAddress", "aws:sourceip") => {
                        values.iter().any(|c| in_cidr(c, call.source_ip))
                    }
                    ("NotIpAddress", "aws:sourceip") => {
                        !values.iter().any(|c| in_cidr(c, call.source_ip))
                    }
                    // An anonymous call over the internet carries no VPC
                    // keys: StringEquals fails, StringNotEquals holds.
                    ("StringEquals", "aws:sourcevpce" | "aws:sourcevpc") => false,
                    ("StringNotEquals", "aws:sourcevpce" | "aws:sourcevpc") => true,
                    _ => false,
                }
            })
        })
    })
}

fn in_cidr(cidr: &str, ip: Ipv4Addr) -> bool {
    let (address, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let (Ok(address), Ok(bits)) = (address.parse::<Ipv4Addr>(), bits.parse::<u32>()) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    };
    u32::from(address) & mask == u32::from(ip) & mask
}

/// IAM's wildcards: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn probe() -> Call<'static> {
        Call {
            region: "us-east-1",
            account: "123456789012",
            api_id: "abc123",
            stage: "prod",
            method: "GET",
            path: "/health/ping",
            source_ip: Ipv4Addr::new(127, 0, 0, 1),
        }
    }

    fn policy(statements: Value) -> String {
        json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
    }

    #[test]
    fn an_allow_for_everyone_lets_the_probe_through() {
        let open = policy(json!([{ "Effect": "Allow", "Principal": "*",
            "Action": "execute-api:Invoke", "Resource": "execute-api:/*" }]));
        assert!(allows(&open, &probe()));
        let exact = policy(json!([{ "Effect": "Allow", "Principal": { "AWS": "*" },
            "Action": ["execute-api:Invoke"],
            "Resource": "arn:aws:execute-api:*:*:abc123/prod/GET/health/ping" }]));
        assert!(allows(&exact, &probe()));
    }

    #[test]
    fn without_an_allow_or_with_a_deny_the_probe_is_refused() {
        assert!(!allows(&policy(json!([])), &probe()));
        assert!(!allows("not json", &probe()));
        let other_path = policy(json!([{ "Effect": "Allow", "Principal": "*",
            "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/GET/orders" }]));
        assert!(!allows(&other_path, &probe()));
        let named = policy(json!([{ "Effect": "Allow",
            "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
            "Action": "execute-api:Invoke", "Resource": "execute-api:/*" }]));
        assert!(!allows(&named, &probe()));
        let denied = policy(json!([
            { "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*" },
            { "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/*" },
        ]));
        assert!(!allows(&denied, &probe()));
    }

    #[test]
    fn address_and_vpc_endpoint_conditions() {
        let office_only = policy(json!([
            { "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*" },
            { "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
              "Condition": { "NotIpAddress": { "aws:SourceIp": ["203.0.113.0/24"] } } },
        ]));
        assert!(!allows(&office_only, &probe()));
        let loopback = office_only.replace("203.0.113.0/24", "127.0.0.0/8");
        assert!(allows(&loopback, &probe()));
        let endpoint_only = policy(json!([
            { "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
              "Condition": { "StringEquals": { "aws:SourceVpce": "vpce-1a2b3c4d" } } },
        ]));
        assert!(!allows(&endpoint_only, &probe()));
    }

    #[test]
    fn wildcards() {
        assert!(glob(
            "arn:*:abc/*/GET/*",
            "arn:aws:abc/prod/GET/health/ping"
        ));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "abbc"));
        assert!(!glob("arn:*/POST/*", "arn:aws:abc/prod/GET/health/ping"));
    }
}
