//! Settings kept in the database: offer policies (with the deadlines they move) and the test
//! clock's offset (SPEC §9), shared by the CLI, a restarted server and other instances.
//!
//! Several instances:
//! - a policy change holds its policy row (the UPSERT locks it until the commit), so two
//!   changes of one offer take turns, and the second reads the lines as the first left them;
//! - it locks the offer's open lines (`FOR NO KEY UPDATE`) before it reads their states: the
//!   running ones it moves, and those whose window may start meanwhile (a first send being
//!   recorded, which computes the deadline from the policy it reads once it holds the line)
//!   either commit first and are moved here, or wait and then read the new policy. Each line
//!   is written over the version read (compare-and-set), so a lost race is `Retryable`, never
//!   a deadline moved from a stale read;
//! - the clock's offset advances in one UPSERT that adds and returns the sum: concurrent
//!   advances all count.

use super::*;
use provisio_domain::policy::window_of;
use provisio_domain::{LineState, OfferPolicies};
use sqlx::postgres::PgRow;

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

/// Sets the window and moves the deadline of every line of that offer whose window runs, as
/// the domain decides for each ([`provisio_domain::LineState::deadline_under`]).
async fn set_offer_policy(tx: &mut PgConnection, change: &PolicyChange) -> StoreResult<()> {
    let window_days = i32::try_from(change.window_days).map_err(StoreError::backend)?;
    sqlx::query(
        "INSERT INTO offer_policies (offer, window_days, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (offer) DO UPDATE SET window_days = excluded.window_days,
             updated_at = excluded.updated_at",
    )
    .bind(change.offer.as_str())
    .bind(window_days)
    .bind(Ts(change.now))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // Locked in the order of their ids, as the outbox's results lock a batch of lines, so
    // the two take turns without a deadlock; `NO KEY UPDATE`, the lock the UPDATE itself
    // takes (it serializes writers of the line without blocking rows that reference it).
    // Moved are those whose window runs (the domain's closure instant is stored for exactly
    // those, as SQLite selects them).
    const SQL: &str = concat!(
        "SELECT ",
        state_columns!(),
        ", l.close_due_at IS NOT NULL AS running
         FROM lines l WHERE l.offer = $1 AND l.status = 'open' ORDER BY l.id FOR NO KEY UPDATE"
    );
    let rows = sqlx::query(SQL)
        .bind(change.offer.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let window = window_of(change.window_days);
    let mut moved = Vec::new();
    for row in &rows {
        if !col::<bool>(row, "running")? {
            continue;
        }
        let (ids, state) = (ids_of(row)?, state_from(row)?);
        let next = LineState {
            closes_at: state.deadline_under(window),
            ..state.clone()
        };
        if next != state {
            moved.push((ids, next));
        }
    }
    let writes: Vec<StateWrite> = moved
        .iter()
        .map(|(ids, state)| StateWrite {
            ids,
            state: Some(state),
        })
        .collect();
    write_states(tx, &writes).await?;
    insert_events(
        tx,
        EventScope::default(),
        &[change.event()],
        Some(change.actor),
        change.now,
    )
    .await
}

fn running_line(r: &PgRow) -> StoreResult<RunningLine> {
    Ok(RunningLine {
        sub_ref: stored("sub ref", SubRef::parse(&text(r, "sub_ref")?))?,
        web_order_id: stored("web order id", WebOrderId::parse(&text(r, "web_order_id")?))?,
        state: state_from(r)?,
    })
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
    /// The lines [`Settings::set_offer_policy`] moves, with their order's web order id.
    async fn running_lines(&self, offer: &OfferSku) -> StoreResult<Vec<RunningLine>> {
        const SQL: &str = concat!(
            "SELECT l.sub_ref, o.web_order_id, ",
            state_columns!(),
            " FROM lines l JOIN orders o ON o.id = l.order_id
              WHERE l.offer = $1 AND l.close_due_at IS NOT NULL ORDER BY o.seq, l.line_number"
        );
        let rows = sqlx::query(SQL)
            .bind(offer.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(running_line).collect()
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
