//! API Gateway fidelity: what API Gateway refuses and moto accepts.
//!
//! - `DeleteRestApi` while a base path mapping of any domain in the region
//!   points at the API: 400 `BadRequestException` (DESIGN §6);
//! - a mapping on a domain whose API sits at the empty base path, or an
//!   empty-base-path mapping on a domain that has mappings: 400
//!   `BadRequestException` (a domain mapped at the empty base path serves
//!   nothing else);
//! - the fixed control-plane quotas ([`crate::quotas`]), when enabled;
//! - `GetBasePathMappings` on a domain without mappings: moto answers 500
//!   (a KeyError), API Gateway an empty list, or 404 without the domain;
//! - `DeleteDomainName` deletes the domain's base path mappings too (moto
//!   keeps them for a domain created again under the name);
//! - `UpdateDomainName`, which moto lacks: the bench answers it for the
//!   regional certificate (the only change the provider makes) and shows
//!   the new certificate in later reads of the domain.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use serde_json::Value;

use crate::faults::{Canned, error_response};
use crate::moto_client::MotoClient;
use crate::request::AwsRequest;

/// The path without its query, split into segments after the leading `/`.
fn segments(path: &str) -> Vec<String> {
    path.split('?')
        .next()
        .unwrap_or_default()
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect()
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = segment.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn items(value: &Value) -> Vec<Value> {
    value
        .get("item")
        .or_else(|| value.get("items"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Whether a mapping's base path is the empty one.
fn is_empty_base_path(base_path: Option<&str>) -> bool {
    matches!(
        base_path.map(|p| p.trim_matches('/')),
        None | Some("" | "(none)")
    )
}

/// The base path mappings of `domain` in `region` (none when moto has none
/// or the domain does not exist).
async fn mappings(moto: &MotoClient, region: &str, domain: &str) -> Vec<Value> {
    // moto answers 500 for a domain without mappings: that is none.
    match moto
        .get_json(
            "apigateway",
            region,
            &format!("/domainnames/{domain}/basepathmappings"),
        )
        .await
    {
        Ok(Some(listing)) => items(&listing),
        _ => Vec::new(),
    }
}

fn bad_request(aws: &AwsRequest, message: &str) -> Canned {
    error_response(aws.protocol(), 400, "BadRequestException", message)
}

/// A refusal API Gateway would answer instead of forwarding `aws`, if any.
pub(crate) async fn refusal(
    moto: &MotoClient,
    aws: &AwsRequest,
    path: &str,
    body: &[u8],
) -> Option<Canned> {
    if aws.service != "apigateway" {
        return None;
    }
    match aws.operation.as_str() {
        "DeleteRestApi" => {
            let api_id = segments(path).get(1).cloned().unwrap_or_default();
            let domains = moto
                .get_json("apigateway", &aws.region, "/domainnames")
                .await
                .ok()
                .flatten()
                .map(|listing| items(&listing))
                .unwrap_or_default();
            for domain in domains {
                let Some(name) = domain.get("domainName").and_then(Value::as_str) else {
                    continue;
                };
                let mapped = mappings(moto, &aws.region, name)
                    .await
                    .iter()
                    .any(|m| m.get("restApiId").and_then(Value::as_str) == Some(api_id.as_str()));
                if mapped {
                    // What API Gateway answers while a mapping points at the
                    // API (DESIGN §6); the base path mappings must go first.
                    return Some(bad_request(
                        aws,
                        "Active base path mappings reference this API. Please remove all base path mappings pointing to it before deleting the API.",
                    ));
                }
            }
            None
        }
        "CreateBasePathMapping" => {
            let domain = segments(path).get(1).cloned().unwrap_or_default();
            let wanted: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let wants_empty = is_empty_base_path(wanted.get("basePath").and_then(Value::as_str));
            let existing = mappings(moto, &aws.region, &domain).await;
            let has_empty = existing
                .iter()
                .any(|m| is_empty_base_path(m.get("basePath").and_then(Value::as_str)));
            // A domain whose API sits at the empty base path serves every
            // path, so API Gateway accepts no other mapping beside it (and
            // no empty-base-path mapping beside others).
            if has_empty || (wants_empty && !existing.is_empty()) {
                return Some(bad_request(
                    aws,
                    "Only one base path mapping is allowed if the base path is empty.",
                ));
            }
            None
        }
        _ => None,
    }
}

/// Does, before forwarding `aws` to moto, what API Gateway does with it
/// that moto does not: deleting a domain deletes its base path mappings
/// (moto keeps them, and a domain created again under the name would
/// inherit them).
pub(crate) async fn before_forward(moto: &MotoClient, aws: &AwsRequest, path: &str) {
    if aws.service != "apigateway" || aws.operation != "DeleteDomainName" {
        return;
    }
    let domain = segments(path).get(1).cloned().unwrap_or_default();
    for mapping in mappings(moto, &aws.region, &domain).await {
        let base_path = match mapping.get("basePath").and_then(Value::as_str) {
            None | Some("") => "(none)".to_owned(),
            Some(path) => path.to_owned(),
        };
        let _ = moto
            .call(
                "apigateway",
                &aws.region,
                http::Method::DELETE,
                &format!("/domainnames/{domain}/basepathmappings/{base_path}"),
                None,
            )
            .await;
    }
}

/// The regional certificates `UpdateDomainName` gave domains, by region and
/// domain name, laid over moto's domains.
#[derive(Debug, Default)]
pub(crate) struct DomainUpdates {
    certificates: Mutex<HashMap<(String, String), String>>,
}

impl DomainUpdates {
    fn certificates(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        self.certificates.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Shows the updated certificate in a domain as moto describes it.
    fn overlay(&self, region: &str, domain: &mut Value) {
        let Some(name) = domain.get("domainName").and_then(Value::as_str) else {
            return;
        };
        if let Some(arn) = self
            .certificates()
            .get(&(region.to_owned(), name.to_owned()))
        {
            domain["regionalCertificateArn"] = Value::String(arn.clone());
        }
    }

    /// Answers `UpdateDomainName` for `replace /regionalCertificateArn`.
    pub(crate) async fn update(
        &self,
        moto: &MotoClient,
        aws: &AwsRequest,
        path: &str,
        body: &[u8],
    ) -> Canned {
        let name = segments(path).get(1).cloned().unwrap_or_default();
        let Ok(Some(mut domain)) = moto
            .get_json("apigateway", &aws.region, &format!("/domainnames/{name}"))
            .await
        else {
            return error_response(
                aws.protocol(),
                404,
                "NotFoundException",
                "Invalid domain name identifier specified",
            );
        };
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let operations = request
            .get("patchOperations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for operation in &operations {
            let op = operation.get("op").and_then(Value::as_str);
            let target = operation.get("path").and_then(Value::as_str);
            let value = operation.get("value").and_then(Value::as_str);
            match (op, target, value) {
                (Some("replace"), Some("/regionalCertificateArn"), Some(arn)) => {
                    self.certificates()
                        .insert((aws.region.clone(), name.clone()), arn.to_owned());
                }
                _ => {
                    return bad_request(
                        aws,
                        &format!(
                            "the bench's UpdateDomainName supports only replace /regionalCertificateArn, not {operation}"
                        ),
                    );
                }
            }
        }
        self.overlay(&aws.region, &mut domain);
        (
            200,
            vec![("content-type".into(), "application/json".into())],
            domain.to_string(),
        )
    }

    /// Forgets the update of a domain that is deleted or created anew.
    fn forget(&self, region: &str, name: &str) {
        self.certificates()
            .remove(&(region.to_owned(), name.to_owned()));
    }
}

/// Corrects moto's answer to `aws` where it differs from API Gateway's.
pub(crate) async fn corrected(
    moto: &MotoClient,
    updates: &DomainUpdates,
    aws: &AwsRequest,
    path: &str,
    body: &[u8],
    answer: (u16, http::HeaderMap, Bytes),
) -> (u16, http::HeaderMap, Bytes) {
    if aws.service != "apigateway" {
        return answer;
    }
    match (aws.operation.as_str(), answer.0) {
        ("CreateDomainName", 200..=299) => {
            let created: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            if let Some(name) = created.get("domainName").and_then(Value::as_str) {
                updates.forget(&aws.region, name);
            }
            return answer;
        }
        ("DeleteDomainName", 200..=299) => {
            updates.forget(
                &aws.region,
                &segments(path).get(1).cloned().unwrap_or_default(),
            );
            return answer;
        }
        ("GetDomainName" | "GetDomainNames", 200) => {
            let (status, headers, bytes) = answer;
            let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
                return (status, headers, bytes);
            };
            if let Some(list) = value.get_mut("item").and_then(Value::as_array_mut) {
                for domain in list {
                    updates.overlay(&aws.region, domain);
                }
            } else {
                updates.overlay(&aws.region, &mut value);
            }
            return (status, headers, Bytes::from(value.to_string()));
        }
        ("GetBasePathMappings", 500) => {}
        _ => return answer,
    }
    let domain = segments(path).get(1).cloned().unwrap_or_default();
    match moto
        .get_json("apigateway", &aws.region, &format!("/domainnames/{domain}"))
        .await
    {
        Ok(Some(_)) => (
            200,
            headers(&[("content-type".into(), "application/json".into())]),
            Bytes::from_static(br#"{"item":[]}"#),
        ),
        _ => {
            let (status, pairs, text) = error_response(
                aws.protocol(),
                404,
                "NotFoundException",
                "Invalid domain name identifier specified",
            );
            (status, headers(&pairs), Bytes::from(text))
        }
    }
}

/// A header map from pairs.
pub(crate) fn headers(pairs: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            map.insert(k, v);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_path_segments_and_base_paths() {
        assert_eq!(
            segments("/domainnames/api.example.com/basepathmappings?limit=5"),
            ["domainnames", "api.example.com", "basepathmappings"]
        );
        assert_eq!(segments("/restapis/a%2Db")[1], "a-b");
        assert!(is_empty_base_path(None));
        assert!(is_empty_base_path(Some("(none)")));
        assert!(!is_empty_base_path(Some("v1")));
    }
}
