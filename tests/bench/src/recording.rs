//! A recording of what clients asked the proxy, to set up the same AWS
//! objects again in another bench.
//!
//! A test of an upgrade needs what an older provider made: its state file
//! and its objects in AWS. Building the older provider in every run costs
//! minutes, so a fixture records once what it sent while it applied, and
//! each run plays that into a fresh bench.
//!
//! The same objects need the same identifiers (the state file names them),
//! and moto draws them from one random generator, which it seeds on request
//! ([`crate::Moto::seed`]). So the recording is serial: while it runs the
//! proxy handles one request at a time, in the order they arrived, and the
//! replay sends them in that order to a moto seeded alike. Each replayed
//! request must get the status it got when it was recorded; the first that
//! does not stops the replay, naming it.

use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use aws_smithy_types::base64;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::proxy::lock;

/// One request as the client sent it, and the status it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, but `host` and `content-length` (the replay's own).
    pub headers: Vec<(String, String)>,
    /// The body: text as it is, anything else in base64.
    pub body: String,
    /// Whether `body` is base64.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base64: bool,
    /// The status answered.
    pub status: u16,
}

impl Recorded {
    /// A request as it arrived.
    pub fn new(parts: &http::request::Parts, path: &str, body: &[u8], status: u16) -> Recorded {
        let headers = parts
            .headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "host" | "content-length"))
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let (body, base64) = match std::str::from_utf8(body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (base64::encode(body), true),
        };
        Recorded {
            method: parts.method.as_str().to_owned(),
            path: path.to_owned(),
            headers,
            body,
            base64,
            status,
        }
    }

    /// The body's bytes.
    pub fn body_bytes(&self) -> Result<Bytes> {
        if self.base64 {
            Ok(Bytes::from(
                base64::decode(&self.body).context("a base64 body")?,
            ))
        } else {
            Ok(Bytes::from(self.body.clone()))
        }
    }

    /// The value of header `name`, if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The proxy's recorder: off, or the requests so far and a turn that makes
/// the proxy serial.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    entries: Mutex<Option<Vec<Recorded>>>,
    turn: tokio::sync::Mutex<()>,
}

impl Recorder {
    pub(crate) fn start(&self) {
        *lock(&self.entries) = Some(Vec::new());
    }

    pub(crate) fn take(&self) -> Vec<Recorded> {
        lock(&self.entries).take().unwrap_or_default()
    }

    pub(crate) fn recording(&self) -> bool {
        lock(&self.entries).is_some()
    }

    /// Waits for the proxy's one turn while recording.
    pub(crate) async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    pub(crate) fn push(&self, entry: Recorded) {
        if let Some(entries) = lock(&self.entries).as_mut() {
            entries.push(entry);
        }
    }
}

/// Reads a recording: one JSON object per line.
pub fn parse(text: &str) -> Result<Vec<Recorded>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).with_context(|| format!("line {} of the recording", n + 1))
        })
        .collect()
}

/// Writes a recording: one JSON object per line.
pub fn render(entries: &[Recorded]) -> Result<String> {
    let mut out = String::new();
    for entry in entries {
        out.push_str(&serde_json::to_string(entry)?);
        out.push('\n');
    }
    Ok(out)
}

/// Sends `entries` in order to the proxy at `url`, one at a time; fails at
/// the first whose status is not the recorded one.
pub async fn replay(url: &str, entries: &[Recorded]) -> Result<()> {
    let http = reqwest::Client::new();
    for (n, entry) in entries.iter().enumerate() {
        let method = reqwest::Method::from_bytes(entry.method.as_bytes())
            .with_context(|| format!("request {n}: method {}", entry.method))?;
        let mut request = http
            .request(method, format!("{url}{}", entry.path))
            .body(entry.body_bytes()?);
        for (k, v) in &entry.headers {
            request = request.header(k, v);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("replaying request {n}: {} {}", entry.method, entry.path))?;
        let status = response.status().as_u16();
        if status != entry.status {
            let text = response.text().await.unwrap_or_default();
            bail!(
                "replaying request {n} ({} {}, {}): answered {status}, recorded {}: {}",
                entry.method,
                entry.path,
                entry.header("x-amz-target").unwrap_or_default(),
                entry.status,
                text.chars().take(400).collect::<String>()
            );
        }
    }
    Ok(())
}
