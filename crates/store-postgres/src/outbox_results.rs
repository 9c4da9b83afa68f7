//! Attempt results: the ends of a batch of attempts recorded together, each only by the lease
//! holder of that very attempt, and what each means for its line
//! ([`provisio_domain::delivery::record_attempt`]) or its case (a note on a resend's answer).
//!
//! What several instances need: one statement records the whole batch, fenced by lease owner,
//! attempt number and state (`lease_owner = owner AND attempts = attempt - 1 AND state =
//! 'sending'`), so a late result from an instance that lost its lease, or the same batch
//! recorded again, changes nothing; the same statement reads the lines the recorded attempts
//! touch, locked (`FOR NO KEY UPDATE`, in the order of their ids), and their effects are
//! written over the version read, with their events, in one more.

use std::collections::{HashMap, HashSet};

use sqlx::Row;
use sqlx::postgres::PgRow;

use provisio_domain::delivery::{Outcome, record_attempt};
use provisio_domain::event::Attempt;
use provisio_domain::{ContactEmail, Effects, LineState, OfferSku};

use super::*;
use crate::case_writes::note_answer;
use crate::changes::{LineChange, LineIds, write_changes};
use crate::lines::{ids_of, opt_text, state_columns, state_from, text};
use crate::settings::policies;

/// An instant as `timestamptz` input text (RFC 3339, microseconds kept).
fn instant(t: Timestamp) -> String {
    t.to_string()
}

/// What recording a batch found: the attempts recorded (the others' leases were lost, or
/// they were recorded before), in the batch's order, each with its line and the case whose
/// resend it was; and those lines as they are now, locked.
struct Recorded {
    attempts: Vec<(usize, Option<String>, Option<String>)>,
    lines: HashMap<String, LineNow>,
}

/// Records every attempt of the batch and locks the lines they touched, in one statement
/// (one round trip where there were two; every send waits for its batch's commit). The
/// lines are locked in the order of their ids, so two batches touching the same lines take
/// turns without a deadlock; a line whose lock had to wait is read as its writer committed
/// it (the locking read returns the row's newest version, and joins nothing).
async fn record(tx: &mut PgConnection, batch: &[Finished]) -> StoreResult<Recorded> {
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
    const SQL: &str = concat!(
        "WITH recorded AS (
             UPDATE emails e SET state = f.state, attempts = e.attempts + 1,
                 sent_at = f.sent_at::timestamptz, next_attempt_at = f.next_at::timestamptz,
                 last_reply = f.reply, lease_owner = NULL, lease_until = NULL
             FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[],
                         $6::text[], $7::text[])
                 WITH ORDINALITY AS f (id, owner, before, state, sent_at, next_at, reply, n)
             WHERE e.id = f.id AND e.lease_owner = f.owner AND e.state = 'sending'
               AND e.attempts = f.before
             RETURNING f.n, e.line_id, e.for_case),
         locked AS MATERIALIZED (
             SELECT l.offer, l.contact_email, ",
        state_columns!(),
        " FROM lines l WHERE l.id IN (SELECT line_id FROM recorded)
             ORDER BY l.id FOR NO KEY UPDATE)
         SELECT r.n, r.line_id AS recorded_line, r.for_case, locked.*
         FROM recorded r LEFT JOIN locked ON locked.id = r.line_id"
    );
    let rows = sqlx::query(SQL)
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
    let mut recorded = Recorded {
        attempts: Vec::with_capacity(rows.len()),
        lines: HashMap::new(),
    };
    for r in &rows {
        let n: i64 = r.try_get("n").map_err(db)?;
        let Some(i) = usize::try_from(n - 1).ok().filter(|i| *i < batch.len()) else {
            continue;
        };
        let line = opt_text(r, "recorded_line")?;
        if let Some(id) = &line
            && !recorded.lines.contains_key(id)
            && let Some(now) = line_now(r)?
        {
            recorded.lines.insert(id.clone(), now);
        }
        recorded.attempts.push((i, line, opt_text(r, "for_case")?));
    }
    recorded.attempts.sort_by_key(|(i, _, _)| *i);
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
    // What the attempt's event tells comes with `Finished`, as claimed: nothing to read back.
    let Recorded {
        attempts,
        mut lines,
    } = record(tx, &batch).await?;
    let mut touched = Vec::with_capacity(attempts.len());
    for (i, line_id, for_case) in attempts {
        let f = &batch[i];
        if let Some(case) = for_case {
            note_answer(tx, &case, f).await?;
        }
        // A case notice: its row is its evidence; nothing else to record.
        if let Some(line_id) = line_id {
            touched.push((line_id, f));
        }
    }
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

/// A locked line as [`record`]'s statement returns it beside an attempt (`None`: the attempt
/// has no line, or its line is gone).
fn line_now(r: &PgRow) -> StoreResult<Option<LineNow>> {
    if opt_text(r, "id")?.is_none() {
        return Ok(None);
    }
    Ok(Some(LineNow {
        state: state_from(r)?,
        contact: stored(
            "contact",
            ContactEmail::from_stored(&text(r, "contact_email")?),
        )?,
        offer: stored("offer", OfferSku::parse(&text(r, "offer")?))?,
        ids: ids_of(r)?,
    }))
}
