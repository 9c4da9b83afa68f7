//! Attempt results: the ends of a batch of attempts recorded together, each only by the lease
//! holder of that very attempt, and what each means for its line
//! ([`provisio_domain::delivery::record_attempt`]) or its case (a note on a resend's answer).
//!
//! What several instances need: one statement records the whole batch, fenced by lease owner,
//! attempt number and state (`lease_owner = owner AND attempts = attempt - 1 AND state =
//! 'sending'`), so a late result from an instance that lost its lease, or the same batch
//! recorded again, changes nothing; the lines the recorded attempts touch are then read
//! locked (`FOR NO KEY UPDATE`, in the order of their ids) and their effects written over the
//! version read.

use std::collections::{HashMap, HashSet};

use provisio_domain::delivery::{Outcome, record_attempt};
use provisio_domain::event::Attempt;
use provisio_domain::{ContactEmail, Effects, LineState, OfferSku};

use super::*;
use crate::case_writes::note_answer;
use crate::changes::{LineChange, LineIds, write_changes};
use crate::lines::{ids_of, state_columns, state_from, text};
use crate::settings::policies;

/// An instant as `timestamptz` input text (RFC 3339, microseconds kept).
fn instant(t: Timestamp) -> String {
    t.to_string()
}

/// Records every attempt of the batch in one statement; returns those recorded (the others'
/// leases were lost, or they were recorded before), in the batch's order, with their line
/// and the case whose resend they were.
async fn record(
    tx: &mut PgConnection,
    batch: &[Finished],
) -> StoreResult<Vec<(usize, Option<String>, Option<String>)>> {
    let mut cols = Columns::default();
    for f in batch {
        let (state, sent_at, next_at) = match &f.outcome {
            Outcome::Sent { .. } => ("sent", Some(instant(f.at)), None),
            Outcome::RetryAt { at, .. } => ("retrying", None, Some(instant(*at))),
            Outcome::Failed { .. } => ("failed", None, None),
        };
        cols.ids.push(f.email_id.to_string());
        cols.owners.push(f.owner.clone());
        // The attempts recorded before this one; no row has more than an integer's.
        cols.before
            .push(i32::try_from(f.attempt.saturating_sub(1)).unwrap_or(-1));
        cols.states.push(state);
        cols.sent_at.push(sent_at);
        cols.next_at.push(next_at);
        cols.replies.push(f.outcome.reply().to_owned());
    }
    let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "UPDATE emails e SET state = f.state, attempts = e.attempts + 1,
             sent_at = f.sent_at::timestamptz, next_attempt_at = f.next_at::timestamptz,
             last_reply = f.reply, lease_owner = NULL, lease_until = NULL
         FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[],
                     $7::text[])
             WITH ORDINALITY AS f (id, owner, before, state, sent_at, next_at, reply, n)
         WHERE e.id = f.id AND e.lease_owner = f.owner AND e.state = 'sending'
           AND e.attempts = f.before
         RETURNING f.n, e.line_id, e.for_case",
    )
    .bind(&cols.ids)
    .bind(&cols.owners)
    .bind(&cols.before)
    .bind(&cols.states)
    .bind(&cols.sent_at)
    .bind(&cols.next_at)
    .bind(&cols.replies)
    .fetch_all(tx)
    .await
    .map_err(db)?;
    let mut recorded = rows
        .into_iter()
        .map(|(n, line, case)| (usize::try_from(n - 1).unwrap_or(usize::MAX), line, case))
        .filter(|(i, _, _)| *i < batch.len())
        .collect::<Vec<_>>();
    recorded.sort_by_key(|(i, _, _)| *i);
    Ok(recorded)
}

/// The batch as the columns of [`record`]'s statement.
#[derive(Default)]
struct Columns {
    ids: Vec<String>,
    owners: Vec<String>,
    before: Vec<i32>,
    states: Vec<&'static str>,
    sent_at: Vec<Option<String>>,
    next_at: Vec<Option<String>>,
    replies: Vec<String>,
}

pub(crate) async fn finish(tx: &mut PgConnection, finished: Vec<Finished>) -> StoreResult<()> {
    // The same result twice in a batch counts once (the first), as one after the other.
    let mut seen = HashSet::new();
    let batch: Vec<Finished> = finished
        .into_iter()
        .filter(|f| seen.insert((f.email_id, f.owner.clone(), f.attempt)))
        .collect();
    if batch.is_empty() {
        return Ok(());
    }
    // Record every attempt first, then load the lines they touched in one query. (What the
    // attempt's event tells comes with `Finished`, as claimed: nothing to read back.)
    let recorded = record(tx, &batch).await?;
    let mut touched = Vec::with_capacity(recorded.len());
    for (i, line_id, for_case) in recorded {
        let f = &batch[i];
        if let Some(case) = for_case {
            note_answer(tx, &case, f).await?;
        }
        // A case notice: its row is its evidence; nothing else to record.
        if let Some(line_id) = line_id {
            touched.push((line_id, f));
        }
    }
    let mut lines = states_tx(tx, touched.iter().map(|(id, _)| id.clone()).collect()).await?;
    // Read after the lines are locked: a policy change (which locks the offer's open lines)
    // has committed before, or waits for this transaction.
    let policies = policies(tx).await?;
    let mut changes = Vec::with_capacity(touched.len());
    for (line_id, f) in touched {
        let Some(line) = lines.get_mut(&line_id) else {
            continue;
        };
        let attempt = Attempt {
            email_id: f.email_id,
            kind: f.kind,
            to: f.to.clone(),
            attempts: f.attempt,
            reply: f.outcome.reply().to_owned(),
        };
        let window = policies.window(&line.offer);
        let done = record_attempt(
            &line.state,
            &line.contact,
            attempt,
            &f.outcome,
            window,
            f.at,
        );
        let mut effects = Effects::new(done.line.clone().unwrap_or_else(|| line.state.clone()));
        effects.events = done.event.into_iter().collect();
        changes.push(LineChange::by_service(
            line.ids.clone(),
            line.state.clone(),
            effects,
            f.at,
        ));
        // Later results in this batch for the same line see the new state (the changes of
        // one line are written as one, over the version read).
        if let Some(state) = done.line {
            line.state = state;
        }
    }
    write_changes(tx, &changes).await?;
    Ok(())
}

/// What recording a result needs of a line: its state and contact as they are now, offer
/// and ids.
struct LineNow {
    state: LineState,
    contact: ContactEmail,
    offer: OfferSku,
    ids: LineIds,
}

/// The current state of several lines by id, in one query, locked until the results'
/// transaction ends (in the order of their ids, so two batches touching the same lines take
/// turns without a deadlock).
async fn states_tx(
    tx: &mut PgConnection,
    mut line_ids: Vec<String>,
) -> StoreResult<HashMap<String, LineNow>> {
    if line_ids.is_empty() {
        return Ok(HashMap::new());
    }
    line_ids.sort();
    line_ids.dedup();
    const SQL: &str = concat!(
        "SELECT l.offer, l.contact_email, ",
        state_columns!(),
        " FROM lines l WHERE l.id = ANY($1::text[]) ORDER BY l.id FOR NO KEY UPDATE"
    );
    let rows = sqlx::query(SQL)
        .bind(&line_ids)
        .fetch_all(tx)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let line = LineNow {
                state: state_from(r)?,
                contact: stored(
                    "contact",
                    ContactEmail::from_stored(&text(r, "contact_email")?),
                )?,
                offer: stored("offer", OfferSku::parse(&text(r, "offer")?))?,
                ids: ids_of(r)?,
            };
            Ok((text(r, "id")?, line))
        })
        .collect()
}
