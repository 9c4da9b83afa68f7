//! The web workspace's sessions and failed sign-ins. A session names its signed-in user, so
//! disabling the user ends every session of theirs in the same transaction, and none is
//! stored for a disabled user (SPEC §11).

use jiff::Timestamp;
use provisio_domain::UserId;
use provisio_store::{SessionRecord, StoreResult};
use rusqlite::{Connection, params};

use crate::writer::Tx;
use crate::{db, parse_ts, rows, ts};

/// Whether `session` names a disabled user, who has no sessions (SPEC §11).
fn of_disabled_user(tx: &Tx, session: &SessionRecord) -> StoreResult<bool> {
    let Some(user) = session.user_id else {
        return Ok(false);
    };
    tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND status = 'disabled')")
        .and_then(|mut q| q.query_row([user.to_string()], |r| r.get::<_, bool>(0)))
        .map_err(db)
}

pub(crate) fn save(tx: &Tx, id_hash: &str, session: &SessionRecord) -> StoreResult<()> {
    if of_disabled_user(tx, session)? {
        return delete(tx, id_hash);
    }
    tx.prepare_cached(
        "INSERT INTO web_sessions (id_hash, data, expires_at, user_id) VALUES (?, ?, ?, ?)
         ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data,
             expires_at = excluded.expires_at, user_id = excluded.user_id",
    )
    .and_then(|mut q| {
        q.execute(params![
            id_hash,
            session.data,
            ts(session.expires_at),
            user(session)
        ])
    })
    .map_err(db)?;
    Ok(())
}

pub(crate) fn create(tx: &Tx, id_hash: &str, session: &SessionRecord) -> StoreResult<bool> {
    if of_disabled_user(tx, session)? {
        return Ok(true);
    }
    let inserted = tx
        .prepare_cached(
            "INSERT INTO web_sessions (id_hash, data, expires_at, user_id) VALUES (?, ?, ?, ?)
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .and_then(|mut q| {
            q.execute(params![
                id_hash,
                session.data,
                ts(session.expires_at),
                user(session)
            ])
        })
        .map_err(db)?;
    Ok(inserted == 1)
}

fn user(session: &SessionRecord) -> Option<String> {
    session.user_id.map(|u| u.to_string())
}

pub(crate) fn load(
    conn: &Connection,
    id_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<SessionRecord>> {
    let sql = "SELECT data, expires_at, user_id FROM web_sessions
               WHERE id_hash = ? AND expires_at > ?";
    let found = rows(conn, sql, params![id_hash, ts(now)], |r| {
        Ok(SessionRecord {
            data: r.text("data")?,
            expires_at: parse_ts(&r.text("expires_at")?)?,
            user_id: r.opt_user("user_id")?,
        })
    })?;
    Ok(found.into_iter().next())
}

/// Ends every session of a user (who is being disabled).
pub(crate) fn end_all_of(tx: &Tx, user: UserId) -> StoreResult<()> {
    tx.prepare_cached("DELETE FROM web_sessions WHERE user_id = ?")
        .and_then(|mut q| q.execute([user.to_string()]))
        .map_err(db)?;
    Ok(())
}

pub(crate) fn delete(tx: &Tx, id_hash: &str) -> StoreResult<()> {
    tx.prepare_cached("DELETE FROM web_sessions WHERE id_hash = ?")
        .and_then(|mut q| q.execute([id_hash]))
        .map_err(db)?;
    Ok(())
}

pub(crate) fn record_failure(tx: &Tx, account: &str, at: Timestamp) -> StoreResult<()> {
    tx.prepare_cached("INSERT INTO sign_in_failures (account, at) VALUES (?, ?)")
        .and_then(|mut q| q.execute(params![account, ts(at)]))
        .map_err(db)?;
    Ok(())
}

pub(crate) fn failures(
    conn: &Connection,
    account: &str,
    since: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Timestamp>> {
    let sql = "SELECT at FROM sign_in_failures WHERE account = ? AND at >= ?
               ORDER BY at DESC LIMIT ?";
    rows(conn, sql, params![account, ts(since), limit], |r| {
        parse_ts(&r.text("at")?)
    })
}

pub(crate) fn purge(
    tx: &Tx,
    sessions_before: Timestamp,
    failures_before: Timestamp,
) -> StoreResult<u64> {
    let sessions = tx
        .prepare_cached("DELETE FROM web_sessions WHERE expires_at < ?")
        .and_then(|mut q| q.execute([ts(sessions_before)]))
        .map_err(db)?;
    let failures = tx
        .prepare_cached("DELETE FROM sign_in_failures WHERE at < ?")
        .and_then(|mut q| q.execute([ts(failures_before)]))
        .map_err(db)?;
    Ok((sessions + failures) as u64)
}
