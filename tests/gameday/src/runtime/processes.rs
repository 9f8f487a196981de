//! The processes a runtime test starts: the shipped bootstrap (as each handler), one
//! cargo-lambda emulator per region, and the Step Functions bridge. Every
//! child is killed when the test drops it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use multiregion_bench::Bench;
use multiregion_bench::moto::free_port;
pub use multiregion_bench::moto::workspace_root;
use multiregion_core::deployment::{Deployment, ENV_DEPLOYMENT};
use multiregion_core::naming::{Component, Names};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

use super::access_key;

/// Where the package is: `$MULTIREGION_PACKAGE_DIR`, or `target/package`.
pub fn package_dir() -> PathBuf {
    std::env::var_os("MULTIREGION_PACKAGE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/package"))
}

/// The bootstrap, unpacked from the package's zip.
#[derive(Debug)]
pub struct Package {
    dir: PathBuf,
}

impl Package {
    /// Unpacks the package's zip into `into` (the test's bench directory,
    /// removed with the bench).
    pub fn open(into: &Path) -> Result<Package> {
        let zips = package_dir();
        if !zips.join("manifest.json").exists() {
            bail!(
                "no handler package in {}: run ./scripts/package (./scripts/test does)",
                zips.display()
            );
        }
        let dir = into.join("package");
        if !dir.join("bootstrap").exists() {
            std::fs::create_dir_all(&dir)?;
            let zip = zips.join(multiregion_core::package::ZIP);
            let status = std::process::Command::new("unzip")
                .args(["-o", "-q"])
                .arg(&zip)
                .arg("-d")
                .arg(&dir)
                .status()
                .context("running unzip (./scripts/setup installs it)")?;
            if !status.success() {
                bail!("unzip {} failed", zip.display());
            }
        }
        Ok(Package { dir })
    }

    /// The shipped bootstrap, which every function runs.
    pub fn bootstrap(&self) -> PathBuf {
        self.dir.join("bootstrap")
    }
}

fn log_file(dir: &Path, name: &str) -> Result<(std::fs::File, std::fs::File)> {
    let file = std::fs::File::create(dir.join(format!("{name}.log")))?;
    Ok((file.try_clone()?, file))
}

async fn wait_for_port(port: u16, what: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if tokio::time::Instant::now() > deadline {
            bail!("{what} did not listen on 127.0.0.1:{port} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// The Python tools' bin directory (cargo-lambda).
fn venv_bin() -> PathBuf {
    workspace_root().join(".venv/bin")
}

/// One region's Lambda: a cargo-lambda emulator and the bootstrap attached as each handler.
#[derive(Debug)]
pub struct Emulator {
    region: String,
    port: u16,
    dir: PathBuf,
    /// Held: the emulator is killed when this is dropped.
    _process: Child,
    functions: Vec<Child>,
}

impl Emulator {
    /// Starts the emulator of `region`. It serves the functions named in a
    /// stub Cargo manifest (it never builds them: the bootstraps attach).
    pub async fn start(dir: &Path, region: &str, names: &Names) -> Result<Emulator> {
        let stub = dir.join(format!("emulator-{region}"));
        std::fs::create_dir_all(stub.join("src"))?;
        let mut manifest = String::from(
            "[package]\nname = \"emulator-stub\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
        );
        for component in Component::ALL {
            manifest.push_str(&format!(
                "\n[[bin]]\nname = \"{}\"\npath = \"src/main.rs\"\n",
                names.function(component)
            ));
        }
        std::fs::write(stub.join("Cargo.toml"), manifest)?;
        std::fs::write(stub.join("src/main.rs"), "fn main() {}\n")?;
        let port = free_port()?;
        let (out, err) = log_file(dir, &format!("emulator-{region}"))?;
        let path = format!(
            "{}:{}",
            venv_bin().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let emulator = Command::new(venv_bin().join("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
            ])
            .arg(port.to_string())
            .current_dir(&stub)
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .context("starting cargo lambda watch (./scripts/setup installs cargo-lambda)")?;
        wait_for_port(port, "cargo lambda watch").await?;
        Ok(Emulator {
            region: region.to_owned(),
            port,
            dir: dir.to_owned(),
            _process: emulator,
            functions: Vec::new(),
        })
    }

    /// The Lambda Invoke endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Attaches the shipped bootstrap as every handler; the swapper twice, so two
    /// executions' steps can run at once (as Lambda scales out).
    pub async fn attach_all(
        &mut self,
        package: &super::processes::Package,
        bench: &Bench,
        bridge: &Bridge,
        deployment: &Deployment,
        names: &Names,
    ) -> Result<()> {
        for component in Component::ALL {
            let copies = if component == Component::Swapper {
                2
            } else {
                1
            };
            for copy in 0..copies {
                let function = names.function(component);
                let log = if copy == 0 {
                    format!("{}-{}", self.region, component.as_str())
                } else {
                    format!("{}-{}-{copy}", self.region, component.as_str())
                };
                let (out, err) = log_file(&self.dir, &log)?;
                let child = Command::new(package.bootstrap())
                    .env_clear()
                    // The function's handler setting, as Lambda passes it
                    // to a custom runtime: which component the bootstrap runs.
                    .env("_HANDLER", component.as_str())
                    .env(
                        "AWS_LAMBDA_RUNTIME_API",
                        format!("http://127.0.0.1:{}/.rt/{function}", self.port),
                    )
                    .env("AWS_LAMBDA_FUNCTION_NAME", &function)
                    .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                    .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                    .env("AWS_REGION", &self.region)
                    .env("AWS_DEFAULT_REGION", &self.region)
                    .env("AWS_ACCESS_KEY_ID", access_key(&self.region))
                    .env("AWS_SECRET_ACCESS_KEY", "runtime-secret")
                    .env("AWS_EC2_METADATA_DISABLED", "true")
                    .env("AWS_ENDPOINT_URL_SFN", bridge.url())
                    .envs(bench.env().into_iter().filter(|(k, _)| {
                        !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET")
                    }))
                    // The region's functions share one resolver (its cache).
                    .env(
                        multiregion_core::probe::ENV_TEST_RESOLVER,
                        bench.resolver_url_for(&self.region),
                    )
                    .env(ENV_DEPLOYMENT, deployment.to_json())
                    .env("RUST_LOG", "info")
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    .kill_on_drop(true)
                    .spawn()
                    .with_context(|| format!("starting the {component:?} bootstrap"))?;
                self.functions.push(child);
            }
        }
        Ok(())
    }
}

/// The Step Functions bridge (`tests/sfn/bridge.mjs`).
#[derive(Debug)]
pub struct Bridge {
    port: u16,
    /// Held: the bridge is killed when this is dropped.
    _process: Child,
    http: reqwest::Client,
}

/// The project-local Node 22 and npm tools.
pub fn sfn_dir() -> PathBuf {
    workspace_root().join("tests/sfn")
}

impl Bridge {
    /// Starts the bridge with `config` and waits for its port.
    pub async fn start(dir: &Path, config: &Value) -> Result<Bridge> {
        let node = sfn_dir().join("node_modules/.bin/node");
        let (_, err) = log_file(dir, "bridge")?;
        let mut child = Command::new(&node)
            .arg(sfn_dir().join("bridge.mjs"))
            .arg(config.to_string())
            .current_dir(sfn_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("starting {} (./scripts/setup installs it)", node.display())
            })?;
        let stdout = child.stdout.take().context("bridge stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .context("the bridge did not start within 30 s")??
            .context("the bridge exited")?;
        let port = serde_json::from_str::<Value>(&line)?["port"]
            .as_u64()
            .context("no port")? as u16;
        Ok(Bridge {
            port,
            _process: child,
            http: reqwest::Client::new(),
        })
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The endpoint (`AWS_ENDPOINT_URL_SFN`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn post(&self, route: &str, body: &Value) -> Result<()> {
        let response = self
            .http
            .post(format!("{}/__bridge/{route}", self.url()))
            .json(body)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("bridge {route}: HTTP {}", response.status());
        }
        Ok(())
    }

    /// Wait states to 200 ms (from 10 s) and Retry pauses to 20 ms.
    pub async fn shorten_waits(&self) -> Result<()> {
        use multiregion_core::statemachine::states::*;
        let retry: serde_json::Map<String, Value> = [
            CONFIRM,
            CHECK_TARGET,
            SWAP,
            CHECK_SYNC,
            VERIFY,
            HOLD,
            NOTIFY_HOLD,
            NOTIFY,
        ]
        .iter()
        .map(|s| ((*s).to_owned(), Value::from(20)))
        .collect();
        self.post(
            "overrides",
            &serde_json::json!({
                "waitMs": { WAIT_FOR_SYNC: 200, WAIT_TO_CONFIRM: 200, WAIT_TO_RETRY: 200 },
                "retryMs": retry,
            }),
        )
        .await
    }

    /// New executions wait for [`Bridge::resume`] (a pause between the kick
    /// and the first step).
    pub async fn hold(&self, hold: bool) -> Result<()> {
        self.post("hold", &serde_json::json!({ "hold": hold }))
            .await
    }

    /// Starts a held execution.
    pub async fn resume(&self, execution: &str) -> Result<()> {
        self.post("resume", &serde_json::json!({ "executionArn": execution }))
            .await
    }
}
