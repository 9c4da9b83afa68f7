//! One provisio under test: a fresh data directory (and, on PostgreSQL, a fresh database) set
//! up through the CLI, and one or more `serve --test-clock` sending into the sink.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// The operator's admin (Ada): the clock is advanced and offer policies are set with her key,
/// and `--sweeps` reads the policy preview signed in as her (with [`ADMIN_PASSWORD`]).
pub const ADMIN: &str = "admin@operator.example";
/// Ada's password for the web sign-in (at least 10 characters).
pub const ADMIN_PASSWORD: &str = "bench-admin-password-1234";
/// The ordering contact of every benchmark order; resends are made with her key, and the web
/// pages are read signed in as her (with [`PIA_PASSWORD`]).
pub const PIA: &str = "pia@partner.example";
/// Pia's password for the web sign-in (at least 10 characters).
pub const PIA_PASSWORD: &str = "bench-password-1234";
/// Lines per order (the most one order may hold).
const PER_ORDER: usize = 1000;
/// Orders per `provisio order import` (500,000 lines).
const ORDERS_PER_IMPORT: usize = 500;

pub struct Instance {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// `DATABASE_URL` (PostgreSQL); `None`: the SQLite file in the data directory.
    database_url: Option<String>,
    pub admin_key: String,
    pub pia_key: String,
    pub order_ids: Vec<String>,
}

impl Instance {
    /// A data directory with an operator admin, a partner with a member and `lines` lines
    /// whose requested start date is tomorrow (UTC), imported through `provisio order import`
    /// into the database `database_url` names (default: SQLite in the data directory).
    pub async fn prepare(
        bin: &Path,
        lines: usize,
        database_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let mut me = Instance {
            bin: bin.to_owned(),
            dir: data_dir()?,
            database_url: database_url.map(str::to_owned),
            admin_key: String::new(),
            pia_key: String::new(),
            order_ids: Vec::new(),
        };
        me.cli(&[
            "company", "create", "--name", "Operator", "--kind", "operator",
        ])
        .await?;
        me.cli(&[
            "company", "create", "--name", "Partner", "--kind", "partner",
        ])
        .await?;
        let (admin, pia) = (
            [
                "--company",
                "Operator",
                "--email",
                ADMIN,
                "--name",
                "Ada",
                "--role",
                "admin",
            ],
            [
                "--company",
                "Partner",
                "--email",
                PIA,
                "--name",
                "Pia",
                "--role",
                "member",
            ],
        );
        me.cli_with_stdin(
            &[&["user", "create"][..], &admin, &["--password-stdin"]].concat(),
            &format!("{ADMIN_PASSWORD}\n"),
        )
        .await?;
        me.cli_with_stdin(
            &[&["user", "create"][..], &pia, &["--password-stdin"]].concat(),
            &format!("{PIA_PASSWORD}\n"),
        )
        .await?;
        me.admin_key = last_line(&me.cli(&["api-key", "create", "--user", ADMIN]).await?);
        me.pia_key = last_line(&me.cli(&["api-key", "create", "--user", PIA]).await?);

        let tomorrow = jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .tomorrow()?;
        // Imported a part at a time: the file of 10,000,000 lines, and the orders built for
        // it, would not fit in memory at once.
        let mut orders = Vec::new();
        let mut left = lines;
        let mut part = 0;
        while left > 0 {
            let n = left.min(PER_ORDER);
            let id = format!("B{}", me.order_ids.len() + 1);
            let lines: Vec<Value> = (0..n)
                .map(|i| {
                    json!({"offer": "A-FLEX", "quantity": 1,
                           "requested_start_date": tomorrow.to_string(),
                           "provisioning_contact": {"email": format!("c{i}@{id}.customer.example"),
                                                    "name": "Kim"}})
                })
                .collect();
            orders.push(
                json!({"web_order_id": id, "end_customer": {"name": "Kund AB"},
                               "locale": "sv", "lines": lines}),
            );
            me.order_ids.push(id);
            left -= n;
            if orders.len() == ORDERS_PER_IMPORT || left == 0 {
                part += 1;
                let file = me.dir.path().join(format!("orders-{part}.json"));
                std::fs::write(&file, serde_json::to_vec(&orders)?)?;
                orders.clear();
                let file = file.to_string_lossy().into_owned();
                me.cli(&["order", "import", &file, "--as", PIA]).await?;
                std::fs::remove_file(&file)?;
            }
        }
        Ok(me)
    }

    /// `provisio` on this installation's database with the data directory `dir`, none of the
    /// caller's settings.
    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PROVISIO_") {
                cmd.env_remove(&key);
            }
        }
        match &self.database_url {
            Some(url) => cmd.env("DATABASE_URL", url),
            None => cmd.env_remove("DATABASE_URL"),
        };
        cmd.arg("--data-dir").arg(dir).kill_on_drop(true);
        cmd
    }

    async fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command(self.dir.path())
            .args(args)
            .output()
            .await
            .with_context(|| format!("running {}", self.bin.display()))?;
        cli_output(args, out)
    }

    /// [`Self::cli`] with `input` on its standard input (e.g. a password for
    /// `--password-stdin`).
    async fn cli_with_stdin(&self, args: &[&str], input: &str) -> anyhow::Result<String> {
        let mut child = self
            .command(self.dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", self.bin.display()))?;
        let mut stdin = child.stdin.take().context("the CLI's standard input")?;
        stdin.write_all(input.as_bytes()).await?;
        // Closed, so that a reader of the whole input sees its end.
        drop(stdin);
        let out = child.wait_with_output().await?;
        cli_output(args, out)
    }

    /// `count` processes of `provisio serve --test-clock` sending to `smtp_url`, started at
    /// once; ready when each answers `/healthz`. The first runs in the data directory the CLI
    /// used, the others each in one of their own (several need PostgreSQL: on SQLite the
    /// second would refuse the file the first holds).
    pub async fn serve(&self, smtp_url: &str, count: usize) -> anyhow::Result<Fleet> {
        let mut servers = Vec::with_capacity(count);
        for i in 0..count {
            let own = if i == 0 { None } else { Some(data_dir()?) };
            let dir = own
                .as_ref()
                .map_or(self.dir.path(), |d| d.path())
                .to_owned();
            let addr = format!("127.0.0.1:{}", crate::postfix::free_port()?);
            let child = self
                .command(&dir)
                .args(["serve", "--test-clock", "--listen", &addr])
                .env("PROVISIO_SMTP_URL", smtp_url)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(dir.join("serve.log"))?)
                .stderr(std::fs::File::create(dir.join("serve.err"))?)
                .spawn()
                .context("starting provisio serve")?;
            servers.push(Server {
                child,
                base: format!("http://{addr}"),
                http: reqwest::Client::new(),
                admin_key: self.admin_key.clone(),
                dir,
                _own_dir: own,
            });
        }
        for server in &servers {
            server.ready().await?;
        }
        Ok(Fleet { servers })
    }
}

/// A CLI run's standard output, or its standard error as the error.
fn cli_output(args: &[&str], out: std::process::Output) -> anyhow::Result<String> {
    if !out.status.success() {
        bail!(
            "provisio {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A fresh data directory (kept, and named, with `PROVISIO_BENCH_KEEP`).
fn data_dir() -> anyhow::Result<tempfile::TempDir> {
    let mut dir = tempfile::tempdir().context("creating a data directory")?;
    if std::env::var_os("PROVISIO_BENCH_KEEP").is_some() {
        dir.disable_cleanup(true);
        eprintln!("data directory (kept): {}", dir.path().display());
    }
    Ok(dir)
}

/// The `serve` processes of one installation.
pub struct Fleet {
    pub servers: Vec<Server>,
}

impl Fleet {
    /// The instance the clock is advanced through and orders are read from.
    pub fn first(&self) -> anyhow::Result<&Server> {
        self.servers.first().context("no server running")
    }

    /// Each instance's base URL (`http://127.0.0.1:port`).
    pub fn bases(&self) -> Vec<String> {
        self.servers.iter().map(|s| s.base.clone()).collect()
    }

    /// CPU time (user + system) all instances have used so far.
    pub fn cpu_time(&self) -> Duration {
        self.servers.iter().map(Server::cpu_time).sum()
    }

    /// The process ids (for `perf record -p`).
    pub fn pids(&self) -> Vec<u32> {
        self.servers.iter().filter_map(|s| s.child.id()).collect()
    }

    /// Stops every instance (SIGTERM), all at once, and waits for each.
    pub async fn stop(self) -> anyhow::Result<()> {
        futures::future::try_join_all(self.servers.into_iter().map(Server::stop)).await?;
        Ok(())
    }
}

pub struct Server {
    child: Child,
    pub base: String,
    http: reqwest::Client,
    admin_key: String,
    /// Its data directory (its logs are there).
    dir: PathBuf,
    /// The data directory it alone uses, removed with it.
    _own_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Waits until `/healthz` answers (30 s at most).
    async fn ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = self.http.get(format!("{}/healthz", self.base)).send().await;
            if ok.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let err = std::fs::read_to_string(self.dir.join("serve.err")).unwrap_or_default();
                bail!(
                    "provisio serve ({}) did not answer /healthz within 30 s: {}",
                    self.base,
                    err.trim()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let reply = req.bearer_auth(&self.admin_key).send().await?;
        let status = reply.status();
        let body: Value = reply.json().await?;
        if !status.is_success() {
            bail!("{status}: {body}");
        }
        Ok(body)
    }

    /// Seconds from the service's now to the start of tomorrow (UTC), plus one.
    pub async fn seconds_to_tomorrow(&self) -> anyhow::Result<f64> {
        let clock = self
            .call(self.http.get(format!("{}/api/v1/clock", self.base)))
            .await?;
        let now: jiff::Timestamp = clock["now"].as_str().context("clock.now")?.parse()?;
        let zoned = now.to_zoned_datetime(jiff::tz::TimeZone::UTC);
        let start = zoned
            .date()
            .tomorrow()?
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)?;
        Ok(start.timestamp().duration_since(now).as_secs_f64() + 1.0)
    }

    pub async fn advance(&self, seconds: f64) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/clock/advance", self.base);
        self.call(self.http.post(url).json(&json!({ "seconds": seconds })))
            .await?;
        Ok(())
    }

    /// The subscription references of an order.
    pub async fn sub_refs(&self, order_id: &str) -> anyhow::Result<Vec<String>> {
        let url = format!("{}/api/v1/orders/{order_id}", self.base);
        let order = self.call(self.http.get(url)).await?;
        let lines = order["lines"].as_array().context("order.lines")?;
        Ok(lines
            .iter()
            .filter_map(|l| l["subscription_ref"].as_str().map(str::to_owned))
            .collect())
    }

    /// CPU time (user + system) the server has used so far (see [`cpu_of`]).
    pub fn cpu_time(&self) -> Duration {
        self.child.id().and_then(cpu_of).unwrap_or_default()
    }

    /// SIGTERM, then wait for the exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        Ok(())
    }
}

/// CPU time (user + system) process `pid` has used so far, from /proc (Linux; USER_HZ is
/// 100). Less sensitive to a noisy machine than wall time. `None` when it has gone.
pub fn cpu_of(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the name.
    Some(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

fn last_line(out: &str) -> String {
    out.lines().last().unwrap_or_default().trim().to_owned()
}
