//! `Idempotency-Key`s: per user, remembered for 24 hours, pointing at what the request created.

use jiff::Timestamp;
use provisio_store::{IdempotencyKey, StoreError, StoreResult};
use sqlx::{Row, Sqlite, Transaction};

use crate::{SqliteStore, db, parse_ts, ts};

/// Looks up an idempotency key inside the transaction: the id of what it created, or a
/// conflict when the key was used for another request.
pub(crate) async fn replay(
    tx: &mut Transaction<'static, Sqlite>,
    key: &IdempotencyKey,
) -> StoreResult<Option<String>> {
    let row = sqlx::query(
        "SELECT request_hash, resource_id, created_at FROM idempotency_keys WHERE user_id = ? AND key = ?",
    )
    .bind(key.user_id.to_string())
    .bind(&key.key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let created: String = row.try_get("created_at").map_err(db)?;
    if parse_ts(&created)? < key.not_before {
        // Expired: forget it and treat the request as new.
        sqlx::query("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?")
            .bind(key.user_id.to_string())
            .bind(&key.key)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        return Ok(None);
    }
    if row.try_get::<String, _>("request_hash").map_err(db)? != key.request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    Ok(Some(row.try_get("resource_id").map_err(db)?))
}

pub(crate) async fn remember(
    tx: &mut Transaction<'static, Sqlite>,
    key: &IdempotencyKey,
    kind: &str,
    resource_id: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, resource_kind, resource_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(key.user_id.to_string())
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(kind)
    .bind(resource_id)
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn purge(s: &SqliteStore, before: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
        .bind(ts(before))
        .execute(&s.writer)
        .await
        .map_err(db)?;
    Ok(done.rows_affected())
}
