//! The scheduler's side of the store: due first sends (R1), closure by policy (R6), and the
//! outbox: claims with real-time leases, attempt results, lease release.

use jiff::Timestamp;
use provisio_domain::delivery::Outcome;
use provisio_domain::{ContactEmail, Event, EventType, Locale, OfferPolicies};
use provisio_store::{
    ClaimRequest, ClaimedEmail, Finished, LineChange, LineContext, LineRule, StoreResult,
};
use serde_json::json;
use sqlx::Row;

use crate::changes::{LineIds, Tx, contexts_tx, email_columns, ids_of, write_change, write_events};
use crate::lines::{context_from, email_from, line_context_select, opt_text, text};
use crate::{SqliteStore, db, stored, ts};

/// Applies `apply` to each candidate row in one transaction; returns how many changed.
async fn apply_each(
    s: &SqliteStore,
    sql: &'static str,
    now: Timestamp,
    limit: u32,
    apply: LineRule<'_>,
) -> StoreResult<usize> {
    let mut tx = s.begin().await?;
    let rows = sqlx::query(sql)
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let mut changed = 0;
    for row in &rows {
        let line = context_from(row)?;
        if let Some(change) = apply(&line) {
            write_change(&mut tx, &ids_of(row)?, change, None, now).await?;
            changed += 1;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(changed)
}

pub(crate) async fn queue_first_sends(
    s: &SqliteStore,
    now: Timestamp,
    limit: u32,
    due: LineRule<'_>,
) -> StoreResult<usize> {
    const SQL: &str = concat!(
        line_context_select!(),
        "WHERE l.stage = 'scheduled' AND l.rsd_start_at <= ?1
           AND NOT EXISTS (SELECT 1 FROM emails x WHERE x.line_id = l.id AND x.state <> 'cancelled')
         ORDER BY l.rsd_start_at, l.seq LIMIT ?2"
    );
    apply_each(s, SQL, now, limit, due).await
}

pub(crate) async fn close_lapsed(
    s: &SqliteStore,
    now: Timestamp,
    limit: u32,
    close: LineRule<'_>,
) -> StoreResult<usize> {
    const SQL: &str = concat!(
        line_context_select!(),
        "WHERE l.status = 'open' AND l.closes_at <= ?1
           AND l.stage NOT IN ('provisioned', 'cancelled')
         ORDER BY l.closes_at, l.seq LIMIT ?2"
    );
    apply_each(s, SQL, now, limit, close).await
}

pub(crate) async fn claim(s: &SqliteStore, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>> {
    let limit = i64::try_from(claim.token_hashes.len()).unwrap_or(i64::MAX);
    if limit == 0 {
        return Ok(vec![]);
    }
    let mut tx = s.begin().await?;
    let rows = sqlx::query(concat!(
        "SELECT * FROM (
           SELECT ",
        email_columns!(),
        ", e.seq, e.recipient_name, e.locale AS e_locale,
                  e.message_id, l.sub_ref
           FROM emails e JOIN lines l ON l.id = e.line_id WHERE e.next_attempt_at <= ?1
           UNION ALL
           SELECT ",
        email_columns!(),
        ", e.seq, e.recipient_name, e.locale AS e_locale,
                  e.message_id, l.sub_ref
           FROM emails e JOIN lines l ON l.id = e.line_id WHERE e.lease_until < ?2
         ) ORDER BY seq LIMIT ?3"
    ))
    .bind(ts(claim.now))
    .bind(ts(claim.real_now))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let refs: Vec<String> = rows
        .iter()
        .map(|r| text(r, "sub_ref"))
        .collect::<StoreResult<_>>()?;
    let lines = contexts_tx(&mut tx, refs.iter().map(String::as_str)).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for (row, sub_ref) in rows.iter().zip(&refs) {
        let email = email_from(row, "e_")?;
        let Some((line, ids)) = lines.get(sub_ref) else {
            continue;
        };
        if let Some(reason) = overtaken(line, &email.to) {
            cancel_overtaken(&mut tx, ids, &email.id.to_string(), reason, claim.now).await?;
            continue;
        }
        let token = claimed.len();
        sqlx::query(
            "UPDATE emails SET state = 'sending', next_attempt_at = NULL, lease_owner = ?,
                 lease_until = ?, token_hash = ?
             WHERE id = ?",
        )
        .bind(&claim.owner)
        .bind(ts(claim.lease_until))
        .bind(&claim.token_hashes[token])
        .bind(email.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        claimed.push(ClaimedEmail {
            to_name: opt_text(row, "recipient_name")?,
            locale: stored("locale", Locale::parse(&text(row, "e_locale")?))?,
            message_id: text(row, "message_id")?,
            token,
            email,
            line: line.clone(),
        });
    }
    tx.commit().await.map_err(db)?;
    Ok(claimed)
}

/// Why a waiting email must not go out any more (SPEC §9), if it must not.
fn overtaken(line: &LineContext, to: &ContactEmail) -> Option<&'static str> {
    let stage = line.line.state.stage;
    if stage == provisio_domain::Stage::Cancelled {
        Some("line_cancelled")
    } else if stage.past_point_of_no_return() {
        Some("past_point_of_no_return")
    } else if &line.line.contact_email != to {
        Some("contact_changed")
    } else {
        None
    }
}

async fn cancel_overtaken(
    tx: &mut Tx,
    ids: &LineIds,
    email_id: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL, lease_owner = NULL,
             lease_until = NULL, link = CASE link WHEN 'live' THEN 'revoked' ELSE link END
         WHERE id = ?",
    )
    .bind(email_id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    let event = Event::new(
        EventType::EmailCancelled,
        json!({ "email_id": email_id, "reason": reason }),
    );
    write_events(tx, ids, &[event], None, now).await
}

pub(crate) async fn finish(s: &SqliteStore, finished: Vec<Finished>) -> StoreResult<()> {
    if finished.is_empty() {
        return Ok(());
    }
    let mut tx = s.begin().await?;
    let policies = OfferPolicies::from_entries(crate::admin::offer_policies(&mut *tx).await?);
    // Record every attempt first, then load the lines they touched in one query.
    let mut recorded = Vec::with_capacity(finished.len());
    for f in finished {
        let (state, sent_at, next_at) = match &f.outcome {
            Outcome::Sent { .. } => ("sent", Some(ts(f.at)), None),
            Outcome::RetryAt { at, .. } => ("retrying", None, Some(ts(*at))),
            Outcome::Failed { .. } => ("failed", None, None),
        };
        let row = sqlx::query(
            "UPDATE emails SET state = ?, attempts = attempts + 1, sent_at = ?, next_attempt_at = ?,
                 last_reply = ?, lease_owner = NULL, lease_until = NULL
             WHERE id = ? AND lease_owner = ? AND state = 'sending'
             RETURNING kind, recipient, attempts,
                 (SELECT sub_ref FROM lines WHERE lines.id = emails.line_id) AS sub_ref",
        )
        .bind(state)
        .bind(sent_at)
        .bind(next_at)
        .bind(f.outcome.reply())
        .bind(f.email_id.to_string())
        .bind(&f.owner)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        // Lost the lease (we were too slow and someone else took over): their result counts.
        let Some(row) = row else { continue };
        let data = json!({
            "email_id": f.email_id.to_string(),
            "kind": text(&row, "kind")?,
            "to": text(&row, "recipient")?,
            "attempts": row.try_get::<i64, _>("attempts").map_err(db)?,
            "reply": f.outcome.reply(),
        });
        recorded.push((text(&row, "sub_ref")?, data, f));
    }
    let mut lines = contexts_tx(&mut tx, recorded.iter().map(|(r, _, _)| r.as_str())).await?;
    for (sub_ref, mut data, f) in recorded {
        let Some((line, ids)) = lines.get_mut(&sub_ref) else {
            continue;
        };
        match &f.outcome {
            Outcome::Sent { .. } => {
                let window = policies.window(&line.line.offer);
                match line.line.state.record_handoff(f.at, window) {
                    Some(t) => {
                        // The first hand-off's event also tells how the stage moved; the
                        // recipient keeps the "to" key of every email event.
                        let mut events = t.events;
                        for e in &mut events {
                            let stage = std::mem::take(&mut e.data);
                            e.data = data.clone();
                            e.data["stage"] = stage;
                        }
                        // Later results in this batch for the same line see the new state.
                        line.line.state = t.line.clone();
                        let mut change = LineChange::new(t.line);
                        change.events = events;
                        write_change(&mut tx, ids, change, None, f.at).await?;
                    }
                    None => {
                        let event = Event::new(EventType::EmailSent, data.take());
                        write_events(&mut tx, ids, &[event], None, f.at).await?;
                    }
                }
            }
            Outcome::Failed { .. } => {
                let event = Event::new(EventType::EmailFailed, data.take());
                write_events(&mut tx, ids, &[event], None, f.at).await?;
            }
            Outcome::RetryAt { .. } => {}
        }
    }
    tx.commit().await.map_err(db)
}

pub(crate) async fn release(s: &SqliteStore, owner: Option<&str>) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE emails SET state = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END,
             next_attempt_at = queued_at, lease_owner = NULL, lease_until = NULL
         WHERE state = 'sending' AND (?1 IS NULL OR lease_owner = ?1)",
    )
    .bind(owner)
    .execute(&s.writer)
    .await
    .map_err(db)?;
    Ok(done.rows_affected())
}
