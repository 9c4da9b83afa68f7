//! API keys: stored by the SHA-256 of the key, listed without it, revoked for good, and
//! their last use (written at most once a minute per key by the app, off the request path).
//!
//! Several instances: revoking and recording a use are single conditional UPDATEs (the
//! condition is the compare-and-set: a revoked key keeps its first time, a last use never
//! moves back), so two instances doing either at once cannot undo each other.

use jiff::Timestamp;
use provisio_domain::UserId;
use provisio_store::{ApiKeyRecord, Entity, KeyActor, StoreResult};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;

use crate::directory::{insert_error, user_columns, user_from};
use crate::lines::text;
use crate::{Ts, col_opt_ts, col_ts, db, uuid};

macro_rules! key_select {
    () => {
        "SELECT id, user_id, created_at, last_used_at, revoked_at FROM api_keys"
    };
}

fn key_from(row: &PgRow) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: uuid(&text(row, "id")?)?,
        user_id: UserId::from_uuid(uuid(&text(row, "user_id")?)?),
        created_at: col_ts(row, "created_at")?,
        last_used_at: col_opt_ts(row, "last_used_at")?,
        revoked_at: col_opt_ts(row, "revoked_at")?,
    })
}

pub(crate) async fn create(
    tx: &mut PgConnection,
    user: UserId,
    key_hash: &str,
    now: Timestamp,
) -> StoreResult<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    sqlx::query("INSERT INTO api_keys (id, user_id, key_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(key_hash)
        .bind(Ts(now))
        .execute(tx)
        .await
        .map_err(insert_error(Entity::ApiKey, Entity::User))?;
    Ok(id)
}

/// On the request path of every API call: one indexed lookup by the unique hash. Revoked
/// keys and disabled users' keys find nobody.
pub(crate) async fn actor(
    conn: &mut PgConnection,
    key_hash: &str,
) -> StoreResult<Option<KeyActor>> {
    const SQL: &str = concat!(
        "SELECT k.id AS k_id, ",
        user_columns!(),
        " FROM api_keys k JOIN users u ON u.id = k.user_id
          JOIN companies c ON c.id = u.company_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.status = 'active'"
    );
    let row = sqlx::query(SQL)
        .bind(key_hash)
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.map(|r| {
        Ok(KeyActor {
            key_id: uuid(&text(&r, "k_id")?)?,
            actor: user_from(&r)?.actor(),
        })
    })
    .transpose()
}

/// Newest first (ids are UUIDv7, so id order, in bytes as SQLite compares them, breaks ties
/// of the same instant).
pub(crate) async fn of_user(
    conn: &mut PgConnection,
    user: UserId,
) -> StoreResult<Vec<ApiKeyRecord>> {
    const SQL: &str = concat!(
        key_select!(),
        " WHERE user_id = $1 ORDER BY created_at DESC, id COLLATE \"C\" DESC"
    );
    let rows = sqlx::query(SQL)
        .bind(user.to_string())
        .fetch_all(conn)
        .await
        .map_err(db)?;
    rows.iter().map(key_from).collect()
}

pub(crate) async fn by_id(
    conn: &mut PgConnection,
    id: uuid::Uuid,
) -> StoreResult<Option<ApiKeyRecord>> {
    const SQL: &str = concat!(key_select!(), " WHERE id = $1");
    let row = sqlx::query(SQL)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.as_ref().map(key_from).transpose()
}

/// Idempotent: a revoked key keeps the time it was first revoked.
/// The key after, and whether this call revoked it (it was live).
pub(crate) async fn revoke(
    tx: &mut PgConnection,
    id: uuid::Uuid,
    now: Timestamp,
) -> StoreResult<(Option<ApiKeyRecord>, bool)> {
    let revoked =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(Ts(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    Ok((by_id(tx, id).await?, revoked.rows_affected() > 0))
}

/// Never moves a last use back (two instances, or a late write, may record out of order).
pub(crate) async fn record_use(
    conn: &mut PgConnection,
    id: uuid::Uuid,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $1
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
    )
    .bind(Ts(at))
    .bind(id.to_string())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
