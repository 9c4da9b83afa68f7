//! The scheduler's side of the store: due first sends (R1), closure by policy (R6), and the
//! outbox: claims with real-time leases and setup links, attempt results, lease release.
//! What to do with each email and line is the domain's decision (`provisio_domain::decide`,
//! `provisio_domain::delivery`); this module selects candidates by indexed columns, loads the
//! facts and writes the outcome. Every write is guarded so that several writers cannot break
//! it: a line's state over its version, a claim only of an email still due, a result only by
//! the lease holder of that attempt.

use std::collections::HashMap;

use jiff::Timestamp;
use provisio_domain::delivery::{Outcome, overtaken, record_attempt};
use provisio_domain::event::{Attempt, Overtaken};
use provisio_domain::{ContactEmail, Effects, Event, LineState, LineStatus, OfferSku};
use provisio_store::{
    ClaimRequest, ClaimedEmail, CloseRule, EmailRecord, Finished, FirstSendRule, MailSubject,
    StoreError, StoreResult,
};
use rusqlite::{OptionalExtension, params};

use crate::case_writes::{case_subject, note_answer};
use crate::changes::{
    LineIds, contexts_by_id_tx, email_columns, ids_of, write_effects, write_events,
};
use crate::lines::{email_from, state_columns, state_from, text};
use crate::settings::policies;
use crate::writer::Tx;
use crate::{db, rows, stored, ts};

/// R1: the lines whose first send is due by `now` (the domain's instant, stored with their
/// state), earliest first; `due` decides each and its effects are written.
pub(crate) fn queue_first_sends(
    tx: &Tx,
    now: Timestamp,
    limit: u32,
    due: FirstSendRule<'_>,
) -> StoreResult<usize> {
    // Only what the decision reads: the state and the contact (not the order's context).
    const SQL: &str = concat!(
        "SELECT l.contact_email, l.contact_name, l.locale, ",
        state_columns!(),
        " FROM lines l WHERE l.first_send_due_at <= ?1
          ORDER BY l.first_send_due_at, l.seq LIMIT ?2"
    );
    let candidates = rows(tx, SQL, params![ts(now), i64::from(limit)], |r| {
        let contact = provisio_store::rows::contact_from(r)?;
        Ok((state_from(r)?, contact, ids_of(r)?))
    })?;
    let mut changed = 0;
    for (state, contact, ids) in candidates {
        if let Some(effects) = due(&state, &contact) {
            write_effects(tx, &ids, &state, effects, None, now)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// R6: the lines whose closure is due by `now`, earliest first; `close` decides each.
pub(crate) fn close_lapsed(
    tx: &Tx,
    now: Timestamp,
    limit: u32,
    close: CloseRule<'_>,
) -> StoreResult<usize> {
    const SQL: &str = concat!(
        "SELECT l.offer, ",
        state_columns!(),
        " FROM lines l WHERE l.close_due_at <= ?1 ORDER BY l.close_due_at, l.seq LIMIT ?2"
    );
    let candidates = rows(tx, SQL, params![ts(now), i64::from(limit)], |r| {
        Ok((
            state_from(r)?,
            stored("offer", OfferSku::parse(&text(r, "offer")?))?,
            ids_of(r)?,
        ))
    })?;
    let mut closed = 0;
    for (state, offer, ids) in candidates {
        if let Some(effects) = close(&state, &offer) {
            closed += usize::from(effects.state.status == LineStatus::Closed);
            write_effects(tx, &ids, &state, effects, None, now)?;
        }
    }
    Ok(closed)
}

/// A due email as claimed, before its subject is attached.
struct Due {
    email: EmailRecord,
    message_id: String,
    /// The line it is about, or the case's line.
    line_id: Option<String>,
    /// The case a case notice is about, and the comment it reports.
    case_id: Option<String>,
    comment_id: Option<String>,
}

/// Emails whose lease ended (their instance is gone), by the lease's end.
const DUE_ABANDONED: &str = concat!(
    "SELECT ",
    email_columns!(),
    ", e.message_id, coalesce(e.line_id, c.line_id) AS line_id, e.case_id, e.case_comment_id
     FROM emails e LEFT JOIN cases c ON c.id = e.case_id
     WHERE e.lease_until < ?1 ORDER BY e.lease_until LIMIT ?2"
);

/// Emails due for an attempt, by when they became due.
const DUE_NOW: &str = concat!(
    "SELECT ",
    email_columns!(),
    ", e.message_id, coalesce(e.line_id, c.line_id) AS line_id, e.case_id, e.case_comment_id
     FROM emails e LEFT JOIN cases c ON c.id = e.case_id
     WHERE e.next_attempt_at <= ?1 ORDER BY e.next_attempt_at LIMIT ?2"
);

fn select_due(tx: &Tx, sql: &'static str, before: &str, limit: i64) -> StoreResult<Vec<Due>> {
    rows(tx, sql, params![before, limit], |r| {
        Ok(Due {
            email: email_from(r, "e_")?,
            message_id: text(r, "message_id")?,
            line_id: r.opt_text("line_id")?,
            case_id: r.opt_text("case_id")?,
            comment_id: r.opt_text("case_comment_id")?,
        })
    })
}

pub(crate) fn claim(tx: &Tx, claim: &ClaimRequest) -> StoreResult<Vec<ClaimedEmail>> {
    let limit = i64::try_from(claim.token_hashes.len()).unwrap_or(i64::MAX);
    if limit == 0 {
        return Ok(vec![]);
    }
    // Abandoned leases first, then due emails in due order; each query walks its partial
    // index and stops at the limit. (One UNION ordered by seq had to collect and sort every
    // due email for each claim: quadratic in a large send.)
    let mut due = select_due(tx, DUE_ABANDONED, &ts(claim.real_now), limit)?;
    let left = limit - due.len() as i64;
    if left > 0 {
        due.extend(select_due(tx, DUE_NOW, &ts(claim.now), left)?);
    }
    let lines = contexts_by_id_tx(tx, due.iter().filter_map(|d| d.line_id.as_deref()))?;
    // Taken only while it is still due or its lease has ended (compare-and-set: another
    // writer's claim of the same email leaves this one nothing to take).
    let mut take = tx
        .prepare_cached(
            "UPDATE emails SET state = 'sending', next_attempt_at = NULL, lease_owner = ?1,
                 lease_until = ?2
             WHERE id = ?3 AND (next_attempt_at <= ?4 OR lease_until < ?5)",
        )
        .map_err(db)?;
    // The link of this attempt replaces that of an earlier failed attempt (SPEC §9).
    let mut link = tx
        .prepare_cached(
            "INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
             VALUES (?, ?, ?, 'live', ?)
             ON CONFLICT (email_id) DO UPDATE SET token_hash = excluded.token_hash,
                 created_at = excluded.created_at",
        )
        .map_err(db)?;
    let (lease_until, at, real_now) = (ts(claim.lease_until), ts(claim.now), ts(claim.real_now));
    let mut claimed = Vec::with_capacity(due.len());
    let mut tokens = 0;
    for d in due {
        let email_id = d.email.id.to_string();
        if let Some(case_id) = &d.case_id {
            // A case notice: nothing about a line can overtake it.
            let taken = take
                .execute(params![claim.owner, lease_until, email_id, at, real_now])
                .map_err(db)?;
            if taken > 0 {
                let line = d.line_id.as_ref().and_then(|id| lines.get(id));
                let subject = case_subject(tx, case_id, d.comment_id.as_deref(), line)?;
                claimed.push(ClaimedEmail {
                    message_id: d.message_id,
                    token: None,
                    email: d.email,
                    subject,
                });
            }
            continue;
        }
        let Some((line, ids)) = d.line_id.as_ref().and_then(|id| lines.get(id)) else {
            continue;
        };
        let current = &line.line;
        if let Some(reason) = overtaken(
            d.email.kind,
            &current.state,
            &current.contact_email,
            &d.email.to,
        ) {
            cancel_overtaken(tx, ids, d.email.id, reason, claim)?;
            continue;
        }
        let taken = take
            .execute(params![claim.owner, lease_until, email_id, at, real_now])
            .map_err(db)?;
        if taken == 0 {
            continue;
        }
        // At most one email per hash is selected, so the hashes never run out.
        // A provisioning email carries a setup link.
        let token = if d.email.kind.traits().provisioning {
            let hash = &claim.token_hashes[tokens];
            link.execute(params![hash, email_id, ids.line_id, at])
                .map_err(db)?;
            tokens += 1;
            Some(tokens - 1)
        } else {
            None
        };
        claimed.push(ClaimedEmail {
            message_id: d.message_id,
            token,
            email: d.email,
            subject: MailSubject::Line(Box::new(line.clone())),
        });
    }
    Ok(claimed)
}

/// An email the domain found overtaken: cancelled (while it is still due: another writer's
/// claim may have taken it), its link revoked, the event written.
fn cancel_overtaken(
    tx: &Tx,
    ids: &LineIds,
    email_id: uuid::Uuid,
    reason: Overtaken,
    claim: &ClaimRequest,
) -> StoreResult<()> {
    let id = email_id.to_string();
    let now = claim.now;
    let cancelled = tx
        .prepare_cached(
            "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL, lease_owner = NULL,
                 lease_until = NULL
             WHERE id = ?1 AND (next_attempt_at <= ?2 OR lease_until < ?3)",
        )
        .and_then(|mut q| q.execute(params![&id, ts(now), ts(claim.real_now)]))
        .map_err(db)?;
    if cancelled == 0 {
        return Ok(());
    }
    tx.prepare_cached(
        "UPDATE setup_links SET state = 'revoked' WHERE email_id = ? AND state = 'live'",
    )
    .and_then(|mut q| q.execute([&id]))
    .map_err(db)?;
    let event = Event::EmailCancelled { email_id, reason };
    write_events(tx, ids, &[event], None, now)
}

pub(crate) fn finish(tx: &Tx, finished: Vec<Finished>) -> StoreResult<()> {
    if finished.is_empty() {
        return Ok(());
    }
    let policies = policies(tx)?;
    // Record every attempt first, then load the lines they touched in one query. (What the
    // attempt's event tells comes with `Finished`, as claimed: nothing to read back.) Only the
    // lease holder of this very attempt records it (fenced by owner and attempt number).
    let mut record = tx
        .prepare_cached(
            "UPDATE emails SET state = ?, attempts = attempts + 1, sent_at = ?, next_attempt_at = ?,
                 last_reply = ?, lease_owner = NULL, lease_until = NULL
             WHERE id = ? AND lease_owner = ? AND state = 'sending' AND attempts = ?
             RETURNING line_id, for_case",
        )
        .map_err(db)?;
    let mut recorded = Vec::with_capacity(finished.len());
    for f in finished {
        let (state, sent_at, next_at) = match &f.outcome {
            Outcome::Sent { .. } => ("sent", Some(ts(f.at)), None),
            Outcome::RetryAt { at, .. } => ("retrying", None, Some(ts(*at))),
            Outcome::Failed { .. } => ("failed", None, None),
        };
        let row = record
            .query_row(
                params![
                    state,
                    sent_at,
                    next_at,
                    f.outcome.reply(),
                    f.email_id.to_string(),
                    f.owner,
                    f.attempt.saturating_sub(1)
                ],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        // Lost the lease (we were too slow and someone else took over): their result counts.
        let Some((line_id, for_case)) = row else {
            continue;
        };
        if let Some(case) = for_case {
            note_answer(tx, &case, &f)?;
        }
        // A case notice: its row is its evidence; nothing else to record.
        let Some(line_id) = line_id else {
            continue;
        };
        let attempt = Attempt {
            email_id: f.email_id,
            kind: f.kind,
            to: f.to.clone(),
            attempts: f.attempt,
            reply: f.outcome.reply().to_owned(),
        };
        recorded.push((line_id, attempt, f));
    }
    let mut lines = states_tx(tx, recorded.iter().map(|(id, _, _)| id.as_str()))?;
    for (line_id, attempt, f) in recorded {
        let Some(line) = lines.get_mut(&line_id) else {
            continue;
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
        let events: Vec<Event> = done.event.into_iter().collect();
        match done.line {
            Some(state) => {
                let mut effects = Effects::new(state.clone());
                effects.events = events;
                write_effects(tx, &line.ids, &line.state, effects, None, f.at)?;
                // Later results in this batch for the same line see the new state.
                line.state = state;
                line.ids.version += 1;
            }
            None => write_events(tx, &line.ids, &events, None, f.at)?,
        }
    }
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

/// The current state of several lines by id, in one query (lighter than the full context
/// with order, companies and last email).
fn states_tx<'r>(
    tx: &Tx,
    line_ids: impl IntoIterator<Item = &'r str>,
) -> StoreResult<HashMap<String, LineNow>> {
    let ids: Vec<&str> = line_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    const SQL: &str = concat!(
        "SELECT l.offer, l.contact_email, ",
        state_columns!(),
        " FROM lines l WHERE l.id IN (SELECT value FROM json_each(?))"
    );
    let json = serde_json::to_string(&ids).map_err(StoreError::backend)?;
    let found = rows(tx, SQL, [json], |r| {
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
    })?;
    Ok(found.into_iter().collect())
}

/// Gives leases up: of `owner`, or (`None`) every one. Their emails are due again at once.
/// Renews `owner`'s leases of `emails` to end at `lease_until` (real time).
pub(crate) fn renew(
    tx: &Tx,
    owner: &str,
    emails: &[uuid::Uuid],
    lease_until: Timestamp,
) -> StoreResult<u64> {
    let ids: Vec<String> = emails.iter().map(uuid::Uuid::to_string).collect();
    let ids = serde_json::to_string(&ids).map_err(StoreError::backend)?;
    let done = tx
        .prepare_cached(
            "UPDATE emails SET lease_until = ?1
             WHERE state = 'sending' AND lease_owner = ?2
               AND id IN (SELECT value FROM json_each(?3))",
        )
        .and_then(|mut q| q.execute(params![ts(lease_until), owner, ids]))
        .map_err(db)?;
    Ok(done as u64)
}

pub(crate) fn release(tx: &Tx, owner: Option<&str>) -> StoreResult<u64> {
    let done = tx
        .prepare_cached(
            "UPDATE emails SET state = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END,
                 next_attempt_at = queued_at, lease_owner = NULL, lease_until = NULL
             WHERE state = 'sending' AND (?1 IS NULL OR lease_owner = ?1)",
        )
        .and_then(|mut q| q.execute([owner]))
        .map_err(db)?;
    Ok(done as u64)
}
