//! The web workspace's sessions and failed sign-ins. A session names its signed-in user, so
//! disabling the user ends every session of theirs in the same transaction, and none is
//! stored for a disabled user (SPEC §11).
//!
//! Several instances: a session of a user is written only while holding a share lock of the
//! user's row (`FOR SHARE`), taken when its status is read. Disabling updates that row, so the
//! two take turns: a save that came first is deleted by the disabling transaction's
//! `end_all_of`; one that came second waits for the disable to commit, then reads `disabled`
//! and stores nothing. (The foreign key's own `KEY SHARE` lock does not conflict with a
//! status update, so it would not be enough.)

use super::*;

/// Whether `session` names a disabled user, who has no sessions (SPEC §11); locks the user's
/// row against a change of status until the transaction ends.
async fn of_disabled_user(tx: &mut PgConnection, session: &SessionRecord) -> StoreResult<bool> {
    let Some(user) = session.user_id else {
        return Ok(false);
    };
    let disabled: Option<bool> =
        sqlx::query_scalar("SELECT status = 'disabled' FROM users WHERE id = $1 FOR SHARE")
            .bind(user.to_string())
            .fetch_optional(tx)
            .await
            .map_err(db)?;
    Ok(disabled.unwrap_or(false))
}

fn user(session: &SessionRecord) -> Option<String> {
    session.user_id.map(|u| u.to_string())
}

/// Ends every session of a user (who is being disabled), in the caller's transaction.
pub(crate) async fn end_all_of(tx: &mut PgConnection, user: UserId) -> StoreResult<()> {
    sqlx::query("DELETE FROM web_sessions WHERE user_id = $1")
        .bind(user.to_string())
        .execute(tx)
        .await
        .map_err(db)?;
    Ok(())
}

async fn delete(conn: &mut PgConnection, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl WebSessions for PgStore {
    async fn create_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if of_disabled_user(&mut tx, session).await? {
            return Ok(true);
        }
        let inserted = sqlx::query(
            "INSERT INTO web_sessions (id_hash, data, expires_at, user_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(id_hash)
        .bind(&session.data)
        .bind(Ts(session.expires_at))
        .bind(user(session))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(inserted.rows_affected() == 1)
    }
    async fn save_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if of_disabled_user(&mut tx, session).await? {
            delete(&mut tx, id_hash).await?;
        } else {
            sqlx::query(
                "INSERT INTO web_sessions (id_hash, data, expires_at, user_id)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data,
                     expires_at = excluded.expires_at, user_id = excluded.user_id",
            )
            .bind(id_hash)
            .bind(&session.data)
            .bind(Ts(session.expires_at))
            .bind(user(session))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
    async fn load_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT data, expires_at, user_id FROM web_sessions
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(Ts(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(SessionRecord {
                data: col(&r, "data")?,
                expires_at: col_ts(&r, "expires_at")?,
                user_id: crate::lines::opt_user(&r, "user_id")?,
            })
        })
        .transpose()
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        delete(&mut conn, id_hash).await
    }
    async fn record_sign_in_failure(&self, account: &str, at: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO sign_in_failures (account, at) VALUES ($1, $2)")
            .bind(account)
            .bind(Ts(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
    async fn sign_in_failures(
        &self,
        account: &str,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timestamp>> {
        let found: Vec<Ts> = sqlx::query_scalar(
            "SELECT at FROM sign_in_failures WHERE account = $1 AND at >= $2
             ORDER BY at DESC LIMIT $3",
        )
        .bind(account)
        .bind(Ts(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(found.into_iter().map(|t| t.0).collect())
    }
    /// Both deletes in one transaction, as on SQLite.
    async fn purge_web(
        &self,
        sessions_before: Timestamp,
        failures_before: Timestamp,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let sessions = sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(Ts(sessions_before))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let failures = sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(Ts(failures_before))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(sessions.rows_affected() + failures.rows_affected())
    }
}
