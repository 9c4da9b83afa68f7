//! The store conformance story on PostgreSQL: a fresh database per chapter, and two handles
//! on one database as two instances open it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use async_trait::async_trait;
use provisio_store::conformance::Fresh;
use provisio_store::{Maintenance, Store};
use provisio_store_postgres::PgStore;
use provisio_store_postgres::testing::TestDatabase;

/// A fresh database per chapter, dropped after it.
struct PgDatabase(TestDatabase);

#[async_trait]
impl Fresh for PgDatabase {
    async fn fresh() -> (Self, Arc<dyn Store>) {
        let db = TestDatabase::create().await;
        let store = PgStore::open(db.url()).await.unwrap();
        store.migrate().await.unwrap();
        (PgDatabase(db), Arc::new(store))
    }
    async fn another(&self) -> Arc<dyn Store> {
        Arc::new(PgStore::open(self.0.url()).await.unwrap())
    }
}

mod story {
    provisio_store::conformance_tests!(super::PgDatabase);
}
