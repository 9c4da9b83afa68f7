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

/// A database of its own for one test; dropped (connections and all) with this value.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database (not migrated).
    pub async fn create() -> Self {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is needed by this test and is not reachable at {admin} ({e}); \
                 start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set \
                 PROVISIO_TEST_POSTGRES"
            )
        });
        let name = format!("provisio_test_{}", uuid::Uuid::now_v7().simple());
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
