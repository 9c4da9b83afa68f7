//! The store backends the integration tests run on: SQLite (a file in the test's directory)
//! or PostgreSQL (a database of the test's own on the machine's server). The whole suite runs
//! on the backend `PROVISIO_TEST_BACKEND` names (`sqlite`, the default, or `postgres`); CI runs
//! it on both.
//!
//! Every data directory of a test has its database: on SQLite the file in it, on PostgreSQL
//! one created at its first use ([`database_of`]). So a [`crate::helpers::TestApp`] and the CLI
//! processes a test runs on its directory share their data on both backends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use provisio_store::Store;
use provisio_store_postgres::PgStore;
use provisio_store_postgres::testing::TestDatabase;
use provisio_store_sqlite::SqliteStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The PostgreSQL databases of data directories.
static DATABASES: LazyLock<Mutex<HashMap<PathBuf, TestDatabase>>> =
    LazyLock::new(Mutex::default);

/// The `DATABASE_URL` of a data directory's database when the tests run on PostgreSQL
/// (created at its first use, dropped with [`Database`] or, for directories only the CLI
/// used, by a later run's sweep); `None` on SQLite (the file in the directory).
pub fn database_of(dir: &Path) -> Option<String> {
    if Backend::default() != Backend::Postgres {
        return None;
    }
    let mut dbs = DATABASES.lock().unwrap();
    let db = dbs
        .entry(dir.to_path_buf())
        .or_insert_with(TestDatabase::create_blocking);
    Some(db.url().to_owned())
}

/// Drops a data directory's PostgreSQL database with the [`crate::helpers::TestApp`] using it.
pub struct Database(PathBuf);

impl Drop for Database {
    fn drop(&mut self) {
        let db = DATABASES.lock().ok().and_then(|mut dbs| dbs.remove(&self.0));
        drop(db);
    }
}

impl Backend {
    /// A migrated store on the data directory `dir`'s database: fresh for a new directory,
    /// the CLI's data for one the CLI used already.
    pub async fn open(self, dir: &Path) -> (Arc<dyn Store>, Database) {
        (self.open_store(dir).await, Database(dir.to_path_buf()))
    }

    /// The migrated store of `dir`'s database, which lives on after it.
    async fn open_store(self, dir: &Path) -> Arc<dyn Store> {
        let store: Arc<dyn Store> = match self {
            Backend::Sqlite => Arc::new(SqliteStore::open(&dir.join("provisio.sqlite")).await.unwrap()),
            Backend::Postgres => {
                let url = database_of(dir).expect("the tests run on PostgreSQL");
                Arc::new(PgStore::open(&url).await.unwrap())
            }
        };
        store.migrate().await.unwrap();
        store
    }
}

/// The store of a data directory the CLI or a `serve` process made (migrated), on the
/// backend the tests run on.
pub async fn store_of(dir: &Path) -> Arc<dyn Store> {
    Backend::default().open_store(dir).await
}
