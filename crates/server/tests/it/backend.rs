//! The store backends the integration tests run on.

use std::sync::Arc;

use provisio_store::{Maintenance, Store};
use provisio_store_sqlite::SqliteStore;

/// The store a [`TestApp`] runs on. Every test runs on SQLite today; a backend added later
/// (PostgreSQL) is one more variant, and the same tests run on it.
#[derive(Debug, Clone, Copy, Default)]
pub enum Backend {
    #[default]
    Sqlite,
}

impl Backend {
    /// A fresh, migrated, empty store of this backend, its files (if any) in `dir`.
    pub async fn open(self, dir: &std::path::Path) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite => {
                let store = SqliteStore::open(&dir.join("provisio.sqlite"))
                    .await
                    .unwrap();
                store.migrate().await.unwrap();
                Arc::new(store)
            }
        }
    }
}
