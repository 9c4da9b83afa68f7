//! `Idempotency-Key`s: per user, remembered for 24 hours, pointing at what the request created.

use jiff::Timestamp;
use provisio_store::{IdempotencyKey, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::{Ts, db};

/// Looks up an idempotency key inside the transaction: the id of what it created, or a
/// conflict when the key was used for another request. The key's row stays locked until the
/// transaction ends, so a second request with the same key on another instance waits for the
/// first to commit, then replays it.
pub(crate) async fn replay(
    tx: &mut PgConnection,
    key: &IdempotencyKey,
) -> StoreResult<Option<String>> {
    let user = key.user_id.to_string();
    let row: Option<(String, String, Ts)> = sqlx::query_as(
        "SELECT request_hash, resource_id, created_at FROM idempotency_keys
         WHERE user_id = $1 AND key = $2 FOR UPDATE",
    )
    .bind(&user)
    .bind(&key.key)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some((request_hash, resource_id, created)) = row else {
        return Ok(None);
    };
    if created.0 < key.not_before {
        // Expired: forget it and treat the request as new.
        sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2")
            .bind(&user)
            .bind(&key.key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        return Ok(None);
    }
    if request_hash != key.request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    Ok(Some(resource_id))
}

/// Remembers what the key created. Two instances racing with one new key: the second's insert
/// breaks the primary key, its transaction is retried and then replays the first's.
pub(crate) async fn remember(
    tx: &mut PgConnection,
    key: &IdempotencyKey,
    kind: &str,
    resource_id: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys
             (user_id, key, request_hash, resource_kind, resource_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.user_id.to_string())
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(kind)
    .bind(resource_id)
    .bind(Ts(now))
    .execute(tx)
    .await
    .map_err(|e| match crate::unique_violation(&e) {
        Some(_) => StoreError::Retryable(format!("idempotency key {} taken meanwhile", key.key)),
        None => db(e),
    })?;
    Ok(())
}
