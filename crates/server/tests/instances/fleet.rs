//! A fleet of `provisio serve` processes on one fresh PostgreSQL database, and what the tests
//! do with it: place orders, resend, kill an instance, look into the outbox.

use std::process::Stdio;
use std::time::Duration;

use provisio_store_postgres::testing::TestDatabase;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// Each instance's lease: short, so the others take over a killed one's sends soon.
const LEASE_SECS: &str = "5";

pub struct Instance {
    child: Child,
    addr: String,
    dir: TempDir,
}

pub struct Fleet {
    db: TestDatabase,
    smtp_url: String,
    instances: Vec<Instance>,
    /// A partner member who may resend.
    key: String,
    http: reqwest::Client,
}

/// `provisio` with this database and data directory, none of the caller's settings.
fn provisio(db: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provisio"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PROVISIO_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("DATABASE_URL", db)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Starts `serve` on the database `db` with a data directory and port of its own.
fn spawn(db: &str, smtp_url: &str, serve_args: &[&str], env: &[(&str, &str)]) -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let mut cmd = provisio(db, dir.path());
    cmd.args(["serve", "--listen", &addr])
        .args(serve_args)
        .envs(env.iter().copied())
        .env("PROVISIO_SMTP_URL", smtp_url)
        .env("PROVISIO_LEASE_SECS", LEASE_SECS)
        .stdout(std::fs::File::create(dir.path().join("out.log")).unwrap())
        .stderr(std::fs::File::create(dir.path().join("err.log")).unwrap());
    let child = cmd.spawn().unwrap();
    Instance { child, addr, dir }
}

/// Runs a CLI command to its end; returns stdout, panics with both outputs on failure.
pub async fn cli_ok(db: &str, dir: &std::path::Path, args: &[&str]) -> String {
    let out = provisio(db, dir).args(args).output().await.unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "provisio {args:?}: {stdout}\n{stderr}"
    );
    stdout
}

/// An order of `n` lines due today (by the real clock), contacts `{prefix}-{i}@kund.test`.
pub fn due_today_order(web_id: &str, n: usize, prefix: &str) -> Value {
    #[allow(clippy::disallowed_methods)] // the servers run on real time
    let today = jiff::Timestamp::now().to_string()[..10].to_owned();
    let lines: Vec<Value> = (0..n)
        .map(|i| {
            json!({"offer": "A-FLEX", "quantity": 1, "requested_start_date": today,
                   "provisioning_contact": {"email": format!("{prefix}-{i}@kund.test")}})
        })
        .collect();
    json!({"web_order_id": web_id, "end_customer": {"name": "Kund AB"}, "lines": lines})
}

/// `pg_ctlcluster … main stop|start` on the machine's PostgreSQL, then waits for the state.
pub async fn postgres(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("the machine's PostgreSQL cluster (/etc/postgresql)")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("a PostgreSQL version in /etc/postgresql");
    let done = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .status()
        .await
        .unwrap();
    assert!(done.success(), "pg_ctlcluster {action}");
    let want_up = action == "start";
    for _ in 0..300 {
        let up = Command::new("pg_isready")
            .args(["-q", "-h", "127.0.0.1", "-p", "5432"])
            .status()
            .await
            .unwrap()
            .success();
        if up == want_up {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("PostgreSQL did not {action} within 30 s");
}

impl Fleet {
    /// `n` instances started at once on a fresh database (they migrate it together: one does,
    /// the others wait), mail to `smtp_url`; then a partner with a member who may resend.
    pub async fn start(n: usize, smtp_url: &str) -> Fleet {
        Self::start_with(n, smtp_url, &[]).await
    }

    /// [`Fleet::start`] with more arguments to `serve` (e.g. `--test-clock`).
    pub async fn start_with(n: usize, smtp_url: &str, serve_args: &[&str]) -> Fleet {
        let db = TestDatabase::create().await;
        let starting = (0..n)
            .map(|_| spawn(db.url(), smtp_url, serve_args, &[]))
            .collect();
        let mut fleet = Fleet {
            db,
            smtp_url: smtp_url.to_owned(),
            instances: starting,
            key: String::new(),
            http: reqwest::Client::new(),
        };
        for i in 0..n {
            fleet.expect_ready(i).await;
        }
        let (url, dir) = (fleet.db.url().to_owned(), fleet.instances[0].dir.path());
        cli_ok(
            &url,
            dir,
            &["company", "create", "--name", "Acme", "--kind", "partner"],
        )
        .await;
        let user = [
            "user",
            "create",
            "--company",
            "Acme",
            "--email",
            "pia@acme.test",
            "--name",
            "Pia",
            "--role",
            "member",
            "--can-resend",
        ];
        cli_ok(&url, dir, &user).await;
        let out = cli_ok(&url, dir, &["api-key", "create", "--user", "pia@acme.test"]).await;
        fleet.key = out
            .split_whitespace()
            .find(|w| w.starts_with("pvk_"))
            .expect("the new key")
            .to_owned();
        fleet
    }

    /// Starts one more instance on the fleet's database, with `env` set for its process (e.g.
    /// a clock of its own); returns its number once it is ready.
    pub async fn add_instance(&mut self, env: &[(&str, &str)]) -> usize {
        let instance = spawn(self.db.url(), &self.smtp_url, &[], env);
        self.instances.push(instance);
        let i = self.instances.len() - 1;
        self.expect_ready(i).await;
        i
    }

    fn url(&self, i: usize, path: &str) -> String {
        format!("http://{}{path}", self.instances[i].addr)
    }

    fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.instances[i].dir.path().join("err.log")).unwrap_or_default()
    }

    /// Places an order through instance `i`; returns the created order.
    pub async fn place(&self, i: usize, order: &Value) -> Value {
        let reply = self
            .http
            .post(self.url(i, "/api/v1/orders"))
            .bearer_auth(&self.key)
            .json(order)
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        let body: Value = reply.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body
    }

    /// An API key of an operator admin (made with the CLI).
    pub async fn admin_key(&self) -> String {
        let (url, dir) = (self.db.url().to_owned(), self.instances[0].dir.path());
        cli_ok(
            &url,
            dir,
            &["company", "create", "--name", "Op", "--kind", "operator"],
        )
        .await;
        let user = [
            "user",
            "create",
            "--company",
            "Op",
            "--email",
            "ada@op.test",
            "--name",
            "Ada",
            "--role",
            "admin",
        ];
        cli_ok(&url, dir, &user).await;
        let out = cli_ok(&url, dir, &["api-key", "create", "--user", "ada@op.test"]).await;
        out.split_whitespace()
            .find(|w| w.starts_with("pvk_"))
            .expect("the new key")
            .to_owned()
    }

    /// A JSON request to instance `i` with `key`: the status and the body.
    pub async fn call(
        &self,
        i: usize,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.url(i, path))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let reply = req.send().await.unwrap();
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// Resends a line through instance `i`: the status and the body.
    pub async fn resend(&self, i: usize, sub: &str, key: Option<String>) -> (u16, Value) {
        let mut req = self
            .http
            .post(self.url(i, &format!("/api/v1/lines/{sub}/resend")))
            .bearer_auth(&self.key);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let reply = req.send().await.unwrap();
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// The line's emails, through instance `i`.
    pub async fn emails(&self, i: usize, sub: &str) -> Vec<Value> {
        let reply = self
            .http
            .get(self.url(i, &format!("/api/v1/lines/{sub}/emails")))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let body: Value = reply.json().await.unwrap();
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// SIGKILL: the instance dies without releasing anything.
    pub fn kill(&mut self, i: usize) {
        self.instances[i].child.start_kill().unwrap();
    }

    async fn readyz(&self, i: usize) -> Option<u16> {
        let reply = self.http.get(self.url(i, "/readyz")).send().await.ok()?;
        Some(reply.status().as_u16())
    }

    /// Waits (30 s at most) until instance `i` says it is ready.
    pub async fn expect_ready(&self, i: usize) {
        for _ in 0..300 {
            if self.readyz(i).await == Some(200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("instance {i} not ready within 30 s: {}", self.log(i));
    }

    /// Waits (10 s at most) until instance `i` answers 503 for readiness and for an API
    /// request, as it does while the database is unreachable.
    pub async fn expect_unavailable(&self, i: usize) {
        for _ in 0..100 {
            if self.readyz(i).await == Some(503) {
                let reply = self
                    .http
                    .get(self.url(i, "/api/v1/orders"))
                    .bearer_auth(&self.key)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status().as_u16(), 503, "an API request meanwhile");
                assert!(
                    reply.headers().contains_key("retry-after"),
                    "a 503 says when to try again"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "instance {i} did not say the database is unavailable: {}",
            self.log(i)
        );
    }

    /// Waits until `sent` initial emails are sent and none is queued, retrying or leased.
    pub async fn until_nothing_waits(&self, sent: i64, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        let mut last = (0, 0);
        loop {
            if let Ok(counts) = self.outbox().await {
                last = counts;
                if counts == (sent, 0) {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "after {limit:?}: (sent, waiting) = {last:?}, want ({sent}, 0); logs:\n{}",
                (0..self.instances.len())
                    .map(|i| self.log(i))
                    .collect::<Vec<_>>()
                    .join("\n---\n")
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// (initial emails sent, emails still waiting or in flight), read from the database.
    async fn outbox(&self) -> Result<(i64, i64), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(self.db.url()).await?;
        let counts = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE kind = 'initial' AND state = 'sent'),
                    count(*) FILTER (WHERE state IN ('queued', 'retrying', 'sending'))
             FROM emails",
        )
        .fetch_one(&mut conn)
        .await;
        let _ = conn.close().await;
        counts
    }

    /// SIGTERM to every instance still running; each exits within 5 s.
    pub async fn stop(mut self) {
        for instance in &mut self.instances {
            if instance.child.try_wait().unwrap().is_some() {
                continue;
            }
            let pid = instance.child.id().unwrap().to_string();
            let sent = Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .await
                .unwrap();
            assert!(sent.success());
            let status = tokio::time::timeout(Duration::from_secs(5), instance.child.wait())
                .await
                .expect("serve exits within 5 s of SIGTERM")
                .unwrap();
            assert_eq!(status.code(), Some(0));
        }
    }
}
