//! The store backends the integration tests run on: SQLite (a file in the test's directory)
//! or PostgreSQL (a database of the test's own on the machine's server). The whole suite runs
//! on the backend `PROVISIO_TEST_BACKEND` names (`sqlite`, the default, or `postgres`); CI runs
//! it on both.

use std::sync::Arc;

use provisio_store::{Maintenance, Store};
use provisio_store_postgres::PgStore;
use provisio_store_postgres::testing::TestDatabase;
use provisio_store_sqlite::SqliteStore;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Default for Backend {
    /// The backend `PROVISIO_TEST_BACKEND` names.
    fn default() -> Self {
        match std::env::var("PROVISIO_TEST_BACKEND").as_deref() {
            Ok("postgres") => Backend::Postgres,
            Ok("sqlite") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("PROVISIO_TEST_BACKEND: sqlite or postgres, not {other}"),
        }
    }
}

/// What keeps a test's database alive (the PostgreSQL database is dropped with it).
pub enum Database {
    /// In the test's directory.
    File,
    Postgres(TestDatabase),
}

impl Database {
    /// The `DATABASE_URL` a process of this test (the CLI, a second server) opens the
    /// database with; `None`: the SQLite file of the data directory.
    pub fn url(&self) -> Option<&str> {
        match self {
            Database::File => None,
            Database::Postgres(db) => Some(db.url()),
        }
    }
}

impl Backend {
    /// A fresh, migrated, empty store of this backend, its files (if any) in `dir`.
    pub async fn open(self, dir: &std::path::Path) -> (Arc<dyn Store>, Database) {
        match self {
            Backend::Sqlite => {
                let store = SqliteStore::open(&dir.join("provisio.sqlite"))
                    .await
                    .unwrap();
                store.migrate().await.unwrap();
                (Arc::new(store), Database::File)
            }
            Backend::Postgres => {
                let db = TestDatabase::create().await;
                let store = PgStore::open(db.url()).await.unwrap();
                store.migrate().await.unwrap();
                (Arc::new(store), Database::Postgres(db))
            }
        }
    }
}
