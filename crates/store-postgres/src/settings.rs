//! Settings kept in the database: offer policies (with the deadlines they move) and the test
//! clock's offset (SPEC §9), shared by the CLI, a restarted server and other instances.
//!
//! Several instances:
//! - a policy change writes its policy row and marks the offer's lines as moving; batches
//!   ([`move_deadlines`]) then hold that row while they move the next lines, so batches of
//!   several instances take turns, and a newer change waits for a batch, then starts over;
//! - a batch locks its open lines (`FOR NO KEY UPDATE`) before it reads their states: the
//!   running ones it moves, and those whose window may start meanwhile (a first send being
//!   recorded, which computes the deadline from the policy it reads once it holds the line)
//!   either commit first and are moved here, or wait and then read the new policy. Each line
//!   is written over the version read (compare-and-set), so a lost race is `Retryable`, never
//!   a deadline moved from a stale read;
//! - the clock's offset advances in one UPSERT that adds and returns the sum: concurrent
//!   advances all count.

use super::*;
use provisio_domain::OfferPolicies;
use provisio_store::{FollowRule, PolicyMoves};

use crate::events::{EventScope, insert_events};
use crate::line_states::{StateWrite, write_states};
use crate::lines::{ids_of, state_columns, state_from, text};

/// The name of the clock's offset in `settings`.
const CLOCK_OFFSET: &str = "clock_offset_micros";

/// Every stored policy, by offer (in bytes, as SQLite orders them).
pub(crate) async fn offer_policies(conn: &mut PgConnection) -> StoreResult<Vec<(OfferSku, u32)>> {
    let rows =
        sqlx::query("SELECT offer, window_days FROM offer_policies ORDER BY offer COLLATE \"C\"")
            .fetch_all(conn)
            .await
            .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok((
                stored("offer", OfferSku::parse(&text(r, "offer")?))?,
                stored("window", u32::try_from(col::<i32>(r, "window_days")?))?,
            ))
        })
        .collect()
}

/// The policies as the rules use them. A transaction that computes a deadline from them
/// reads them after it locked the line, so that a concurrent policy change (which locks the
/// offer's open lines, [`set_offer_policy`]) either sees its deadline or it sees the change.
pub(crate) async fn policies(conn: &mut PgConnection) -> StoreResult<OfferPolicies> {
    Ok(OfferPolicies::from_entries(offer_policies(conn).await?))
}

/// Sets the window; the deadlines of the offer's lines follow in batches ([`move_deadlines`]).
async fn set_offer_policy(tx: &mut PgConnection, change: &PolicyChange) -> StoreResult<()> {
    let window_days = i32::try_from(change.window_days).map_err(StoreError::backend)?;
    sqlx::query(
        "INSERT INTO offer_policies (offer, window_days, updated_at, moving_after)
         VALUES ($1, $2, $3, 0)
         ON CONFLICT (offer) DO UPDATE SET window_days = excluded.window_days,
             updated_at = excluded.updated_at, moving_after = 0",
    )
    .bind(change.offer.as_str())
    .bind(window_days)
    .bind(Ts(change.now))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    insert_events(
        tx,
        EventScope::default(),
        &[change.event()],
        Some(change.actor),
        change.now,
    )
    .await
}

/// The next batch of a changed policy's lines: its offer's open lines after the last one
/// looked at, as `follow` decides each. The last batch (fewer than `limit`) ends the move.
async fn move_deadlines(
    tx: &mut PgConnection,
    limit: u32,
    follow: FollowRule<'_>,
) -> StoreResult<Option<usize>> {
    // The policy row is held to the commit: batches of several instances take turns, and a
    // newer change of the offer waits, then starts the move over.
    let moving = sqlx::query(
        "SELECT offer, window_days, moving_after FROM offer_policies
         WHERE moving_after IS NOT NULL ORDER BY offer LIMIT 1 FOR UPDATE",
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(moving) = moving else {
        return Ok(None);
    };
    let offer = text(&moving, "offer")?;
    let days = stored("window", u32::try_from(col::<i32>(&moving, "window_days")?))?;
    let after = col::<i64>(&moving, "moving_after")?;
    // Open lines, not only running ones, are locked (in the order of their ids, as the
    // outbox's results lock theirs, so the two take turns without a deadlock): a first send
    // being recorded meanwhile read the policy before this change committed; the lock waits
    // for it, and the line is then read as it left it (running, under the old window).
    const SQL: &str = concat!(
        "SELECT l.seq, ",
        state_columns!(),
        " FROM lines l WHERE l.id IN (SELECT id FROM lines WHERE offer = $1 AND status = 'open'
                                       AND seq > $2 ORDER BY seq LIMIT $3)
          ORDER BY l.id FOR NO KEY UPDATE"
    );
    // Planned for its values each time (an unnamed statement): the generic plan of a prepared
    // one, not knowing the limit, read every line and hashed the batch (1.2 s a batch at
    // 1,000,000 lines, against 8.5 ms through the primary key).
    let rows = sqlx::query(SQL)
        .bind(&offer)
        .bind(after)
        .bind(i64::from(limit))
        .persistent(false)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let mut last = None;
    let mut moved = Vec::new();
    for row in &rows {
        last = last.max(Some(col::<i64>(row, "seq")?));
        let state = state_from(row)?;
        if let Some(next) = follow(&state, days) {
            moved.push((ids_of(row)?, next));
        }
    }
    let writes: Vec<StateWrite> = moved
        .iter()
        .map(|(ids, state)| StateWrite {
            ids,
            state: Some(state),
        })
        .collect();
    write_states(tx, &writes, &[]).await?;
    let next = last.filter(|_| rows.len() == limit as usize);
    sqlx::query("UPDATE offer_policies SET moving_after = $1 WHERE offer = $2")
        .bind(next)
        .bind(&offer)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    Ok(Some(moved.len()))
}

/// The offset stored as text, as on SQLite.
fn offset_of(value: Option<String>) -> StoreResult<i64> {
    value.map_or(Ok(0), |v| stored("clock offset", v.parse::<i64>()))
}

#[async_trait]
impl Settings for PgStore {
    async fn offer_policies(&self) -> StoreResult<Vec<(OfferSku, u32)>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        offer_policies(&mut conn).await
    }
    async fn set_offer_policy(&self, change: PolicyChange) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        set_offer_policy(&mut tx, &change).await?;
        tx.commit().await.map_err(db)
    }
    async fn move_deadlines(
        &self,
        limit: u32,
        follow: FollowRule<'_>,
    ) -> StoreResult<Option<usize>> {
        let mut tx = self.begin().await?;
        let moved = move_deadlines(&mut tx, limit, follow).await?;
        tx.commit().await.map_err(db)?;
        Ok(moved)
    }
    async fn moving_policies(&self) -> StoreResult<Vec<OfferSku>> {
        let rows = sqlx::query(
            "SELECT offer FROM offer_policies WHERE moving_after IS NOT NULL
             ORDER BY offer COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| stored("offer", OfferSku::parse(&text(r, "offer")?)))
            .collect()
    }
    /// The running lines read in parts side by side (`preview.rs`).
    async fn policy_moves(
        &self,
        offer: &OfferSku,
        window_days: u32,
        follow: FollowRule<'_>,
        listed: usize,
    ) -> StoreResult<PolicyMoves> {
        crate::preview::policy_moves(&self.pool, offer, (window_days, follow), listed).await
    }
    async fn clock_offset(&self) -> StoreResult<i64> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(CLOCK_OFFSET)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        offset_of(value)
    }
    /// One statement: the row lock of the UPSERT orders concurrent advances, and each adds
    /// to the value the one before committed.
    async fn advance_clock_offset(&self, micros: i64) -> StoreResult<i64> {
        let value: String = sqlx::query_scalar(
            "INSERT INTO settings (name, value) VALUES ($1, $2::bigint::text)
             ON CONFLICT (name) DO UPDATE
                 SET value = (settings.value::bigint + $2::bigint)::text
             RETURNING value",
        )
        .bind(CLOCK_OFFSET)
        .bind(micros)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        offset_of(Some(value))
    }
}
