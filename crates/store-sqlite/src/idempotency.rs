//! `Idempotency-Key`s: per user, remembered for 24 hours, pointing at what the request created.

use jiff::Timestamp;
use provisio_store::{IdempotencyKey, StoreError, StoreResult};
use rusqlite::{OptionalExtension, params};

use crate::writer::Tx;
use crate::{db, parse_ts, ts};

/// Looks up an idempotency key inside the transaction: the id of what it created, or a
/// conflict when the key was used for another request.
pub(crate) fn replay(tx: &Tx, key: &IdempotencyKey) -> StoreResult<Option<String>> {
    let user = key.user_id.to_string();
    let row: Option<(String, String, String)> = tx
        .prepare_cached(
            "SELECT request_hash, resource_id, created_at FROM idempotency_keys WHERE user_id = ? AND key = ?",
        )
        .and_then(|mut q| {
            q.query_row(params![user, key.key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })
        .map_err(db)?;
    let Some((request_hash, resource_id, created)) = row else {
        return Ok(None);
    };
    if parse_ts(&created)? < key.not_before {
        // Expired: forget it and treat the request as new.
        tx.prepare_cached("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?")
            .and_then(|mut q| q.execute(params![user, key.key]))
            .map_err(db)?;
        return Ok(None);
    }
    if request_hash != key.request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    Ok(Some(resource_id))
}

pub(crate) fn remember(
    tx: &Tx,
    key: &IdempotencyKey,
    kind: &str,
    resource_id: &str,
    now: Timestamp,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, resource_kind, resource_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            key.user_id.to_string(),
            key.key,
            key.request_hash,
            kind,
            resource_id,
            ts(now)
        ])
    })
    .map_err(db)?;
    Ok(())
}

pub(crate) fn purge(tx: &Tx, before: Timestamp) -> StoreResult<u64> {
    let done = tx
        .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?")
        .and_then(|mut q| q.execute([ts(before)]))
        .map_err(db)?;
    Ok(done as u64)
}
