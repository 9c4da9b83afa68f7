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

/// After a bulk write the planner knows the tables as they are: `refresh_statistics` analyzes
/// them (`reltuples` is -1 until a table was first analyzed).
#[tokio::test]
async fn refreshed_statistics_describe_the_tables() {
    let db = TestDatabase::create().await;
    let store = PgStore::open(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db.url())
        .await
        .unwrap();
    let never_analyzed = "SELECT count(*) FROM pg_class
         WHERE relname IN ('orders', 'lines', 'emails', 'events', 'setup_links')
           AND reltuples < 0";
    let before: i64 = sqlx::query_scalar(never_analyzed)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(before, 5, "a fresh database has no statistics");
    store.refresh_statistics().await.unwrap();
    let after: i64 = sqlx::query_scalar(never_analyzed)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(after, 0, "every table that grows with orders was analyzed");
}

/// A connection the database ended while it sat idle in the pool (a restart, an operator's
/// `pg_terminate_backend`) is found out before it is handed out: the next statement runs on a
/// new one instead of failing.
#[tokio::test]
async fn a_connection_ended_while_idle_is_not_handed_out() {
    let db = TestDatabase::create().await;
    let store = PgStore::open(db.url()).await.unwrap();
    let backend = || async {
        sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let before = backend().await;
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(db.url())
        .await
        .unwrap();
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(before)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(ended, "the connection that answered ended");
    // Idle for longer than a connection is handed out unchecked (`PING_IDLE`, 1 s): the
    // wait is the condition itself, not a guess at how long something takes.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_ne!(backend().await, before, "answered on a new connection");
}
