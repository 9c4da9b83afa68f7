//! The scheduler's side of the store: due first sends (R1), closure by policy (R6), and the
//! outbox: claims with leases and setup links (`outbox_claims.rs`), attempt results
//! (`outbox_results.rs`), lease release and take-over. What to do with each email and line is
//! the domain's decision (`provisio_domain::decide`, `provisio_domain::delivery`); this
//! module selects candidates by indexed columns, loads the facts and writes the outcome.
//!
//! What several instances need: the planner and the sweep lock their candidate lines
//! (`FOR NO KEY UPDATE SKIP LOCKED`), so two instances' planners take different lines and
//! never wait on each other or on a line action; the effects are written over the version
//! read, and the unique key `emails_one_initial` keeps one initial email per line
//! regardless. Leases end at an instant of the database's clock (`lease_now!`).

use provisio_domain::{LineStatus, OfferSku};
use sqlx::postgres::PgRow;

use super::*;
use crate::changes::{LineChange, write_changes};
use crate::lines::{ids_of, state_columns, state_from, text};

/// The instant leases are measured against, as a scalar subquery (evaluated once per
/// statement, so the partial index on `lease_until` can use it): the database's clock
/// (`clock_timestamp()`), never an instance's. Instances' clocks may differ: one whose clock
/// runs ahead must not take over a live lease, one whose clock runs late must not write a
/// lease that ends early. `$n` (microseconds, [`ahead_of_clock`]) moves it on by as much as
/// the caller's real time is ahead of this process's own clock: nothing in a server, whose
/// real time is its clock; the time a test lets pass by naming a later instant (the
/// conformance story).
macro_rules! lease_now {
    ($n:literal) => {
        concat!(
            "(SELECT clock_timestamp() + $",
            $n,
            "::bigint * interval '1 microsecond')"
        )
    };
}
pub(crate) use lease_now;

/// How far the caller's real time is ahead of this process's clock, in microseconds (never
/// negative: a real time read a moment ago is not ahead), for [`lease_now!`].
pub(crate) fn ahead_of_clock(real_now: Timestamp) -> i64 {
    // The store's one read of the wall clock (STYLE habit 3 keeps time a parameter): not to
    // know the time, which is the database's, but how much later than it the caller's real
    // time claims to be; the server's real time is this very clock, so nothing.
    #[allow(clippy::disallowed_methods)]
    let ahead = real_now.duration_since(Timestamp::now()).as_micros();
    i64::try_from(ahead).unwrap_or(i64::MAX).max(0)
}

/// R1: the lines whose first send is due by `now` (the domain's instant, stored with their
/// state), earliest first, each locked (another instance's planner skips it); `due` decides
/// each and its effects are written.
async fn queue_first_sends(
    tx: &mut PgConnection,
    now: Timestamp,
    limit: u32,
    due: FirstSendRule<'_>,
) -> StoreResult<usize> {
    // Only what the decision reads: the state and the contact (not the order's context).
    const SQL: &str = concat!(
        "SELECT l.contact_email, l.contact_name, l.locale, ",
        state_columns!(),
        " FROM lines l WHERE l.first_send_due_at <= $1
          ORDER BY l.first_send_due_at, l.seq LIMIT $2
          FOR NO KEY UPDATE SKIP LOCKED"
    );
    let rows = sqlx::query(SQL)
        .bind(Ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let candidates = rows
        .iter()
        .map(|r| {
            let contact = provisio_store::rows::contact_from(&crate::Pg(r))?;
            Ok((state_from(r)?, contact, ids_of(r)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let changes: Vec<LineChange> = candidates
        .into_iter()
        .filter_map(|(state, contact, ids)| {
            let effects = due(&state, &contact)?;
            Some(LineChange::by_service(ids, state, effects, now))
        })
        .collect();
    write_changes(tx, &changes).await?;
    Ok(changes.len())
}

/// R6: the lines whose closure is due by `now`, earliest first, each locked as the planner's;
/// `close` decides each.
async fn close_lapsed(
    tx: &mut PgConnection,
    now: Timestamp,
    limit: u32,
    close: CloseRule<'_>,
) -> StoreResult<usize> {
    const SQL: &str = concat!(
        "SELECT l.offer, ",
        state_columns!(),
        " FROM lines l WHERE l.close_due_at <= $1 ORDER BY l.close_due_at, l.seq LIMIT $2
          FOR NO KEY UPDATE SKIP LOCKED"
    );
    let rows = sqlx::query(SQL)
        .bind(Ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let candidates = rows
        .iter()
        .map(|r: &PgRow| {
            Ok((
                state_from(r)?,
                stored("offer", OfferSku::parse(&text(r, "offer")?))?,
                ids_of(r)?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let changes: Vec<LineChange> = candidates
        .into_iter()
        .filter_map(|(state, offer, ids)| {
            let effects = close(&state, &offer)?;
            Some(LineChange::by_service(ids, state, effects, now))
        })
        .collect();
    write_changes(tx, &changes).await?;
    Ok(changes
        .iter()
        .filter(|c| c.effects.state.status == LineStatus::Closed)
        .count())
}

/// Gives leases up: their emails are due again at once. `WHERE` names which (a lease is
/// held while `lease_until` is set: the partial index `emails_leased`).
macro_rules! release {
    ($($which:tt)+) => {
        concat!(
            "UPDATE emails SET state = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END,
                 next_attempt_at = queued_at, lease_owner = NULL, lease_until = NULL
             WHERE state = 'sending' AND ",
            $($which)+
        )
    };
}

#[async_trait]
impl Outbox for PgStore {
    async fn queue_first_sends(
        &self,
        now: Timestamp,
        limit: u32,
        due: FirstSendRule<'_>,
    ) -> StoreResult<usize> {
        let mut tx = self.begin().await?;
        let changed = queue_first_sends(&mut tx, now, limit, due).await?;
        tx.commit().await.map_err(db)?;
        Ok(changed)
    }
    async fn close_lapsed(
        &self,
        now: Timestamp,
        limit: u32,
        close: CloseRule<'_>,
    ) -> StoreResult<usize> {
        let mut tx = self.begin().await?;
        let changed = close_lapsed(&mut tx, now, limit, close).await?;
        tx.commit().await.map_err(db)?;
        Ok(changed)
    }
    async fn claim_emails(&self, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>> {
        let mut tx = self.begin().await?;
        let claimed = crate::outbox_claims::claim(&mut tx, &claim).await?;
        tx.commit().await.map_err(db)?;
        Ok(claimed)
    }
    /// Several results in one transaction: delivery records each attempt as it ends, and
    /// the scheduler hands over the results that ended together.
    async fn finish_emails(&self, finished: Vec<Finished>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let done = crate::outbox_results::finish(&mut tx, finished).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }
    async fn release_leases(&self, owner: &str) -> StoreResult<u64> {
        const SQL: &str = release!("lease_until IS NOT NULL AND lease_owner = $1");
        let done = sqlx::query(SQL)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
    /// The new end is the database's clock plus the lease's length (`lease_until - real_now`).
    async fn renew_leases(
        &self,
        owner: &str,
        emails: &[uuid::Uuid],
        real_now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<u64> {
        const SQL: &str = concat!(
            "UPDATE emails SET lease_until = ",
            lease_now!(1),
            " + $2 * interval '1 microsecond'
             WHERE state = 'sending' AND lease_owner = $3 AND id = ANY($4::text[])"
        );
        let ids: Vec<String> = emails.iter().map(uuid::Uuid::to_string).collect();
        let lease = i64::try_from(lease_until.duration_since(real_now).as_micros())
            .unwrap_or(i64::MAX)
            .max(0);
        let done = sqlx::query(SQL)
            .bind(ahead_of_clock(real_now))
            .bind(lease)
            .bind(owner)
            .bind(&ids)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
    /// Several instances share the database, so only leases that can no longer be live are
    /// taken over: those that ended before the database's clock ([`lease_now!`]).
    async fn take_over_leases(&self, real_now: Timestamp) -> StoreResult<u64> {
        const SQL: &str = release!(concat!("lease_until < ", lease_now!(1)));
        let done = sqlx::query(SQL)
            .bind(ahead_of_clock(real_now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
