//! API keys: stored by the SHA-256 of the key, listed without it, revoked for good, and
//! their last use (written at most once a minute per key by the app, off the request path).

use jiff::Timestamp;
use provisio_domain::UserId;
use provisio_store::{ApiKeyRecord, Entity, KeyActor, StoreResult};
use rusqlite::{Connection, params};

use crate::directory::{insert_error, user_columns, user_from};
use crate::writer::Tx;
use crate::{Named, db, parse_opt_ts, parse_ts, rows, ts, uuid};

const KEY_COLUMNS: &str = "id, user_id, created_at, last_used_at, revoked_at";

fn key_from(row: &Named<'_, '_>) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: uuid(&row.text("id")?)?,
        user_id: UserId::from_uuid(uuid(&row.text("user_id")?)?),
        created_at: parse_ts(&row.text("created_at")?)?,
        last_used_at: parse_opt_ts(row.opt_text("last_used_at")?)?,
        revoked_at: parse_opt_ts(row.opt_text("revoked_at")?)?,
    })
}

pub(crate) fn create(
    tx: &Tx,
    user: UserId,
    key_hash: &str,
    now: Timestamp,
) -> StoreResult<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    tx.prepare_cached(
        "INSERT INTO api_keys (id, user_id, key_hash, created_at) VALUES (?, ?, ?, ?)",
    )
    .and_then(|mut q| q.execute(params![id.to_string(), user.to_string(), key_hash, ts(now)]))
    .map_err(insert_error(Entity::ApiKey, Entity::User))?;
    Ok(id)
}

/// On the request path of every API call: one indexed lookup by the unique hash. Revoked
/// keys and disabled users' keys find nobody.
pub(crate) fn actor(conn: &Connection, key_hash: &str) -> StoreResult<Option<KeyActor>> {
    const SQL: &str = concat!(
        "SELECT k.id AS k_id, ",
        user_columns!(),
        " FROM api_keys k JOIN users u ON u.id = k.user_id
          JOIN companies c ON c.id = u.company_id
          WHERE k.key_hash = ? AND k.revoked_at IS NULL AND u.status = 'active'"
    );
    let found = rows(conn, SQL, [key_hash], |r| {
        Ok(KeyActor {
            key_id: uuid(&r.text("k_id")?)?,
            actor: user_from(r)?.actor(),
        })
    })?;
    Ok(found.into_iter().next())
}

/// Newest first (ids are UUIDv7, so id order breaks ties of the same instant).
pub(crate) fn of_user(conn: &Connection, user: UserId) -> StoreResult<Vec<ApiKeyRecord>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id DESC"
    );
    rows(conn, &sql, [user.to_string()], key_from)
}

pub(crate) fn by_id(conn: &Connection, id: uuid::Uuid) -> StoreResult<Option<ApiKeyRecord>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?");
    Ok(rows(conn, &sql, [id.to_string()], key_from)?
        .into_iter()
        .next())
}

/// Idempotent: a revoked key keeps the time it was first revoked.
/// The key after, and whether this call revoked it (it was live).
pub(crate) fn revoke(
    tx: &Tx,
    id: uuid::Uuid,
    now: Timestamp,
) -> StoreResult<(Option<ApiKeyRecord>, bool)> {
    let revoked = tx
        .prepare_cached("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .and_then(|mut q| q.execute(params![ts(now), id.to_string()]))
        .map_err(db)?;
    Ok((by_id(tx, id)?, revoked > 0))
}

/// Never moves a last use back (two instances, or a late write, may record out of order).
pub(crate) fn record_use(tx: &Tx, id: uuid::Uuid, at: Timestamp) -> StoreResult<()> {
    tx.prepare_cached(
        "UPDATE api_keys SET last_used_at = ?1
         WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)",
    )
    .and_then(|mut q| q.execute(params![ts(at), id.to_string()]))
    .map_err(db)?;
    Ok(())
}
