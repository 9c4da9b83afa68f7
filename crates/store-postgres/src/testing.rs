//! A fresh PostgreSQL database per test, dropped when the test ends.
//!
//! The server is the one `PROVISIO_TEST_POSTGRES` names (default: the machine's PostgreSQL at
//! 127.0.0.1:5432, trust auth, database `postgres`). A test that needs it and cannot reach
//! it fails: it never skips.
#![allow(clippy::expect_used, clippy::panic)]

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
// The name is ours (a fixed prefix and a uuid), never input.
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};

/// The server tests create their databases on.
pub fn admin_url() -> String {
    std::env::var("PROVISIO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Every test database's name starts so, followed by a v7 uuid (which holds its creation time).
const PREFIX: &str = "provisio_test_";
/// Test databases older than this are an earlier run's leftovers.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);
static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Drops the test databases created more than [`STALE_AFTER`] ago.
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(PREFIX)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    #[allow(clippy::disallowed_methods)] // the age of a database on the real clock
    let now = std::time::SystemTime::now();
    for name in names {
        let created = uuid::Uuid::parse_str(&name[PREFIX.len()..])
            .ok()
            .and_then(|id| id.get_timestamp())
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos)
            });
        let stale = created
            .and_then(|c| now.duration_since(c).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await;
        }
    }
}

/// A database of its own for one test; dropped (connections and all) with this value.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database (not migrated). The first call of a process also drops the
    /// test databases that earlier runs left behind (killed before they could drop theirs).
    pub async fn create() -> Self {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is needed by this test and is not reachable at {admin} ({e}); \
                 start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set \
                 PROVISIO_TEST_POSTGRES"
            )
        });
        if !SWEPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
            drop_stale(&mut conn).await;
        }
        let name = format!("{PREFIX}{}", uuid::Uuid::now_v7().simple());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("creating a test database");
        let _ = conn.close().await;
        let url = PgConnectOptions::from_str(&admin)
            .expect("PROVISIO_TEST_POSTGRES is a postgres:// URL")
            .database(&name)
            .to_url_lossy()
            .to_string();
        Self { name, url }
    }

    /// The `postgres://` URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// [`TestDatabase::create`] from synchronous code (on a thread of its own, so it works
    /// inside a test's runtime too).
    pub fn create_blocking() -> Self {
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to create the test database")
                .block_on(Self::create())
        })
        .join()
        .expect("creating the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside a test's runtime; the database goes on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropped.join();
    }
}
