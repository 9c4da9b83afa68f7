//! Settings kept in the database: the test clock's offset (SPEC §9), shared by the CLI, a
//! restarted server and other instances.

use provisio_store::StoreResult;
use sqlx::SqlitePool;

use crate::{SqliteStore, db, stored};

pub(crate) async fn clock_offset(pool: &SqlitePool) -> StoreResult<i64> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE name = 'clock_offset_micros'")
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    value.map_or(Ok(0), |v| stored("clock offset", v.parse::<i64>()))
}

pub(crate) async fn advance_clock_offset(s: &SqliteStore, micros: i64) -> StoreResult<i64> {
    let value: String = sqlx::query_scalar(
        "INSERT INTO settings (name, value) VALUES ('clock_offset_micros', ?1)
         ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ?1 AS TEXT)
         RETURNING value",
    )
    .bind(micros)
    .fetch_one(&s.writer)
    .await
    .map_err(db)?;
    stored("clock offset", value.parse::<i64>())
}
