//! The AWS emulator: moto in server mode on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// Settings applied before anything is created: Lambda without Docker, and
/// Step Functions that really execute (the switch changes stores, so it must
/// come first).
const MOTO_CONFIG: &str =
    r#"{"lambda":{"use_docker":false},"stepfunctions":{"execute_state_machine":true}}"#;

/// The workspace root, found from this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where `moto_server` is: `$MULTIREGION_MOTO_SERVER`, the project's `.venv`,
/// or the PATH.
pub fn moto_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("MULTIREGION_MOTO_SERVER") {
        return path.into();
    }
    let venv = workspace_root().join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("moto_server")
}

/// A free TCP port on 127.0.0.1, never the same twice in this process.
///
/// The port is free when this returns, but the caller binds it later: the
/// kernel may give a port just released to the next caller, so two tests
/// starting their servers at once could get the same one, and the second
/// server's readiness probe would be answered by the first's.
pub fn free_port() -> Result<u16> {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..100 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
        let port = listener.local_addr()?.port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return Ok(port);
        }
    }
    bail!("no free port that this process has not handed out already")
}

/// A running moto server, stopped when dropped.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Moto {
    /// Starts moto on a free port, waits until it answers, and applies the
    /// settings above.
    pub async fn start(log_dir: &Path) -> Result<Moto> {
        let binary = moto_server_binary();
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            // Something of another process's may answer there already; then
            // a readiness probe would not be ours.
            let taken = reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}/moto-api/data.json"))
                .timeout(Duration::from_millis(500))
                .send()
                .await
                .is_ok();
            if taken {
                continue;
            }
            let log = std::fs::File::create(log_dir.join(format!("moto-{port}.log")))?;
            let child = Command::new(&binary)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_ACM_VALIDATION_WAIT", "0")
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .with_context(|| {
                    format!(
                        "starting {} (run ./scripts/setup to install moto)",
                        binary.display()
                    )
                })?;
            let mut moto = Moto {
                child,
                url: format!("http://127.0.0.1:{port}"),
                http: reqwest::Client::new(),
            };
            match moto.wait_ready(Duration::from_secs(60)).await {
                Ok(()) => {
                    moto.configure().await?;
                    return Ok(moto);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("moto did not start")))
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("moto_server exited with {status} before answering");
            }
            let probe = self
                .http
                .get(format!("{}/moto-api/data.json", self.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("moto_server did not answer within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn configure(&self) -> Result<()> {
        let response = self
            .http
            .post(format!("{}/moto-api/config", self.url))
            .header("content-type", "application/json")
            .body(MOTO_CONFIG)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("configuring moto: HTTP {}", response.status());
        }
        Ok(())
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Seeds the generator moto draws identifiers from, so that the same
    /// requests in the same order get the same identifiers
    /// ([`crate::recording`]).
    pub async fn seed(&self, seed: u64) -> Result<()> {
        let response = self
            .http
            .post(format!("{}/moto-api/seed?a={seed}", self.url))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("seeding moto: HTTP {}", response.status());
        }
        Ok(())
    }

    /// Clears all state, keeping the settings.
    pub async fn reset(&self) -> Result<()> {
        let response = self
            .http
            .post(format!("{}/moto-api/reset", self.url))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("resetting moto: HTTP {}", response.status());
        }
        Ok(())
    }

    /// Stops moto.
    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}
