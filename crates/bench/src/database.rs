//! A fresh PostgreSQL database per benchmark run (`provisio_bench_<uuid>`), dropped after it,
//! and the CPU time of the PostgreSQL backends that serve it.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
// The database's name is ours (a fixed prefix and a uuid), never input.
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};

/// Every benchmark database's name starts so, followed by a v7 uuid (its creation time).
const PREFIX: &str = "provisio_bench_";
/// Benchmark databases older than this are a killed run's leftovers.
const STALE_AFTER: Duration = Duration::from_secs(3600);

pub struct BenchDatabase {
    /// The server's URL (of a database we may create databases from).
    admin: String,
    name: String,
    url: String,
    /// Set once dropped (or kept): nothing left for `Drop`.
    done: bool,
}

impl BenchDatabase {
    /// Creates an empty database on the server `admin` names (not migrated: the CLI's first
    /// command does that). Drops earlier runs' leftovers first.
    pub async fn create(admin: &str) -> anyhow::Result<Self> {
        let mut conn = PgConnection::connect(admin).await.with_context(|| {
            format!("connecting to PostgreSQL at {admin} (give another with --postgres)")
        })?;
        drop_stale(&mut conn).await;
        let name = format!("{PREFIX}{}", uuid::Uuid::now_v7().simple());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("creating the database {name}"))?;
        let _ = conn.close().await;
        let url = PgConnectOptions::from_str(admin)
            .context("--postgres: a postgres:// URL")?
            .database(&name)
            .to_url_lossy()
            .to_string();
        Ok(Self {
            admin: admin.to_owned(),
            name,
            url,
            done: false,
        })
    }

    /// The `postgres://` URL of this database (for `DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database (with `PROVISIO_BENCH_KEEP` set: keeps it and says where it is).
    pub async fn drop_now(mut self) -> anyhow::Result<()> {
        self.done = true;
        if std::env::var_os("PROVISIO_BENCH_KEEP").is_some() {
            eprintln!("database (kept): {}", self.url);
            return Ok(());
        }
        drop_database(&self.admin, &self.name).await
    }

    /// CPU time (user + system) used so far by each PostgreSQL backend connected to this
    /// database, by process id. Backends run as processes of their own, so this is the
    /// database's share of the work that SQLite does inside `serve`. (PostgreSQL's shared
    /// processes, the WAL writer and the checkpointer, are not in it.)
    pub async fn backend_cpu(&self) -> anyhow::Result<BackendCpu> {
        let mut conn = PgConnection::connect(&self.admin).await?;
        let pids: Vec<i32> =
            sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(&self.name)
                .fetch_all(&mut conn)
                .await?;
        let _ = conn.close().await;
        Ok(BackendCpu(
            pids.into_iter()
                .filter_map(|pid| u32::try_from(pid).ok())
                .filter_map(|pid| crate::instance::cpu_of(pid).map(|cpu| (pid, cpu)))
                .collect(),
        ))
    }
}

impl Drop for BenchDatabase {
    /// A run that failed midway still drops its database (on a thread of its own: this runs
    /// inside the benchmark's runtime).
    fn drop(&mut self) {
        if self.done || std::env::var_os("PROVISIO_BENCH_KEEP").is_some() {
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let _ = rt.block_on(drop_database(&admin, &name));
        });
        let _ = dropped.join();
    }
}

/// The CPU time of a database's backends at one moment.
pub struct BackendCpu(HashMap<u32, Duration>);

impl BackendCpu {
    /// The CPU time spent since `before` (a backend that started meanwhile counts whole; one
    /// that ended meanwhile is missing: the servers' pools keep theirs for 60 s idle).
    pub fn since(&self, before: &BackendCpu) -> Duration {
        self.0
            .iter()
            .map(|(pid, cpu)| cpu.saturating_sub(before.0.get(pid).copied().unwrap_or_default()))
            .sum()
    }
}

async fn drop_database(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin).await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .with_context(|| format!("dropping the database {name}"))?;
    let _ = conn.close().await;
    Ok(())
}

/// Drops the benchmark databases created more than [`STALE_AFTER`] ago (runs killed before
/// they could drop theirs).
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(PREFIX)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let now = std::time::SystemTime::now();
    for name in names {
        let created = uuid::Uuid::parse_str(&name[PREFIX.len()..])
            .ok()
            .and_then(|id| id.get_timestamp())
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                std::time::UNIX_EPOCH + Duration::new(secs, nanos)
            });
        let stale = created
            .and_then(|c| now.duration_since(c).ok())
            .is_some_and(|age| age > STALE_AFTER);
        // Only names that parsed as our uuid get here: safe to put into the statement.
        if stale {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await;
        }
    }
}
