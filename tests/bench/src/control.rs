//! The proxy's control API under `/__bench`, for processes outside the test
//! (the demo, scripts, the Step Functions bridge, the probe's resolver seam):
//!
//! - `GET|DELETE /log`; `POST|DELETE /faults`; `PUT /latency {millis}`;
//! - `PUT /fronts/<region>` (a [`FrontState`]); `PUT /lambda/<region> {url}`;
//! - `GET /resolve?name=` (the default resolver) and
//!   `GET /resolvers/<resolver>/resolve?name=`: `host:port` (the first
//!   address), 404 NXDOMAIN; with `&all=1`, every address of the answer,
//!   one `host:port` a line, in order;
//! - `PUT /fronts/<region>/first-address` (a [`FirstAddress`]);
//! - `GET /ca.pem`;
//! - the clock: `GET /clock` (`{now_ms, virtual}`), `POST /clock/actors`
//!   (`{id}`, a busy actor), `DELETE /clock/actors/<id>`, and
//!   `POST /clock/sleep {id, until_ms}`, which answers `{now_ms}` once the
//!   clock has reached `until_ms` (see [`crate::clock`]).

use std::time::Duration;

use http::{Method, StatusCode};
use serde::Deserialize;

use crate::dns::DEFAULT_RESOLVER;
use crate::faults::Fault;
use crate::fronts::{FirstAddress, FrontState};
use crate::proxy::{Answer, State, answer, json_answer, lock};

#[derive(Deserialize)]
struct LatencyBody {
    millis: u64,
}

#[derive(Deserialize)]
struct LambdaBody {
    url: String,
}

#[derive(Deserialize)]
struct SleepBody {
    id: u64,
    until_ms: i64,
}

fn query_param<'a>(path: &'a str, key: &str) -> Option<&'a str> {
    path.split_once('?')?
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

/// The control API.
pub(crate) async fn control(state: &State, method: &Method, path: &str, body: &[u8]) -> Answer {
    let route = path.split('?').next().unwrap_or(path);
    let bad = |message: String| json_answer(400, &serde_json::json!({ "error": message }));
    match (method.as_str(), route) {
        ("GET", "/log") => json_answer(200, &*lock(&state.log)),
        ("DELETE", "/log") => {
            lock(&state.log).clear();
            json_answer(200, &serde_json::json!({}))
        }
        ("POST", "/faults") => match serde_json::from_slice::<Fault>(body) {
            Ok(fault) => {
                lock(&state.faults).push(fault);
                json_answer(200, &serde_json::json!({}))
            }
            Err(e) => bad(e.to_string()),
        },
        ("DELETE", "/faults") => {
            lock(&state.faults).clear();
            json_answer(200, &serde_json::json!({}))
        }
        ("PUT", "/latency") => match serde_json::from_slice::<LatencyBody>(body) {
            Ok(l) => {
                *lock(&state.latency) = Duration::from_millis(l.millis);
                json_answer(200, &serde_json::json!({}))
            }
            Err(e) => bad(e.to_string()),
        },
        ("GET", "/resolve") => resolve(state, DEFAULT_RESOLVER, path).await,
        ("GET", r) if r.starts_with("/resolvers/") && r.ends_with("/resolve") => {
            let resolver = &r["/resolvers/".len()..r.len() - "/resolve".len()];
            resolve(state, resolver, path).await
        }
        ("GET", "/clock") => json_answer(
            200,
            &serde_json::json!({
                "now_ms": state.clock.now_ms(),
                "virtual": state.clock.is_virtual(),
            }),
        ),
        ("POST", "/clock/actors") => {
            json_answer(200, &serde_json::json!({ "id": state.clock.register() }))
        }
        ("DELETE", r) if r.starts_with("/clock/actors/") => {
            match r["/clock/actors/".len()..].parse::<u64>() {
                Ok(id) => {
                    state.clock.unregister(id);
                    json_answer(200, &serde_json::json!({}))
                }
                Err(e) => bad(e.to_string()),
            }
        }
        ("POST", "/clock/sleep") => match serde_json::from_slice::<SleepBody>(body) {
            Ok(sleep) => {
                let now = state.clock.sleep_until(sleep.id, sleep.until_ms).await;
                json_answer(200, &serde_json::json!({ "now_ms": now }))
            }
            Err(e) => bad(e.to_string()),
        },
        ("GET", "/ca.pem") => answer(200, vec![], state.fronts.ca_pem()),
        ("PUT", r) if r.starts_with("/fronts/") && r.ends_with("/first-address") => {
            let region = &r["/fronts/".len()..r.len() - "/first-address".len()];
            match serde_json::from_slice::<FirstAddress>(body) {
                Ok(first) => match state.fronts.set_first_address(region, first).await {
                    Ok(()) => json_answer(200, &serde_json::json!({})),
                    Err(e) => bad(e.to_string()),
                },
                Err(e) => bad(e.to_string()),
            }
        }
        ("PUT", r) if r.starts_with("/fronts/") => {
            let region = &r["/fronts/".len()..];
            match serde_json::from_slice::<FrontState>(body) {
                Ok(front) => match state.fronts.set_state(region, front).await {
                    Ok(()) => json_answer(200, &serde_json::json!({})),
                    Err(e) => bad(e.to_string()),
                },
                Err(e) => bad(e.to_string()),
            }
        }
        ("PUT", r) if r.starts_with("/lambda/") => {
            let region = &r["/lambda/".len()..];
            match serde_json::from_slice::<LambdaBody>(body) {
                Ok(l) => match state.fronts.set_lambda_endpoint(region, &l.url).await {
                    Ok(()) => json_answer(200, &serde_json::json!({})),
                    Err(e) => bad(e.to_string()),
                },
                Err(e) => bad(e.to_string()),
            }
        }
        _ => answer(
            StatusCode::NOT_FOUND.as_u16(),
            vec![],
            "no such bench route",
        ),
    }
}

async fn resolve(state: &State, resolver: &str, path: &str) -> Answer {
    let Some(name) = query_param(path, "name") else {
        return json_answer(400, &serde_json::json!({ "error": "name is required" }));
    };
    match state
        .resolvers
        .resolve(resolver, name, &state.route53.changes, &state.fronts)
        .await
    {
        Ok(Some(addresses)) => {
            let all = matches!(query_param(path, "all"), Some("1" | "true"));
            let shown = if all { addresses.len() } else { 1 };
            let lines: Vec<String> = addresses
                .iter()
                .take(shown)
                .map(ToString::to_string)
                .collect();
            answer(200, vec![], lines.join("\n"))
        }
        Ok(None) => answer(404, vec![], format!("NXDOMAIN {name}")),
        Err(e) => answer(502, vec![], format!("SERVFAIL {name}: {e:#}")),
    }
}
