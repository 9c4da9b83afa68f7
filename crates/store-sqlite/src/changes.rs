//! The write path of every line action: read the line inside a `BEGIN IMMEDIATE` transaction,
//! let the domain decide, write state + events + outbox row together. Also the reads of a
//! line's emails, setup links and organizations.

use jiff::Timestamp;
use provisio_domain::{CompanyId, ContactEmail, Event, LineState, LinkState, SubRef, UserId};
use provisio_store::{
    Decided, Decision, EmailRecord, Entity, LineChange, LineContext, LineSnapshot, NewEmail,
    Organization, ResendRecord, SetupLink, StoreError, StoreResult, UpdateRequest,
};
use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::lines::{context_from, email_from, line_context_select, opt_text, text};
use crate::writer::Tx;
use crate::{Named, db, idempotency, opt_ts, rows, stored, ts, uuid};

/// The ids a change needs besides the domain values.
pub(crate) struct LineIds {
    pub line_id: String,
    pub order_id: String,
}

/// What an event is about: an order and line, or neither (a policy change).
#[derive(Default, Clone, Copy)]
pub(crate) struct EventScope<'a> {
    pub order_id: Option<&'a str>,
    pub line_id: Option<&'a str>,
}

impl<'a> From<&'a LineIds> for EventScope<'a> {
    fn from(ids: &'a LineIds) -> Self {
        Self {
            order_id: Some(&ids.order_id),
            line_id: Some(&ids.line_id),
        }
    }
}

pub(crate) fn context_tx(
    tx: &Connection,
    sub_ref: &SubRef,
) -> StoreResult<Option<(LineContext, LineIds)>> {
    let sql = concat!(line_context_select!(), "WHERE l.sub_ref = ?");
    let found = rows(tx, sql, [sub_ref.as_str()], |r| {
        Ok((context_from(r)?, ids_of(r)?))
    })?;
    Ok(found.into_iter().next())
}

/// Several lines by reference in one query, keyed by reference.
pub(crate) fn contexts_tx<'r>(
    tx: &Tx,
    sub_refs: impl IntoIterator<Item = &'r str>,
) -> StoreResult<HashMap<String, (LineContext, LineIds)>> {
    let refs: Vec<&str> = sub_refs.into_iter().collect();
    if refs.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = concat!(
        line_context_select!(),
        "WHERE l.sub_ref IN (SELECT value FROM json_each(?))"
    );
    let json = serde_json::to_string(&refs).map_err(StoreError::backend)?;
    let found = rows(tx, sql, [json], |r| {
        Ok((text(r, "sub_ref")?, (context_from(r)?, ids_of(r)?)))
    })?;
    Ok(found.into_iter().collect())
}

pub(crate) fn ids_of(row: &Named<'_, '_>) -> StoreResult<LineIds> {
    Ok(LineIds {
        line_id: text(row, "id")?,
        order_id: text(row, "order_id")?,
    })
}

/// The email columns [`email_from`] reads with prefix `e_`.
macro_rules! email_columns {
    () => {
        "e.id AS e_id, e.kind AS e_kind, e.recipient AS e_recipient, e.state AS e_state,
         e.attempts AS e_attempts, e.queued_at AS e_queued_at, e.sent_at AS e_sent_at,
         e.last_reply AS e_last_reply, e.recipient_name AS e_recipient_name,
         e.locale AS e_locale, e.handed_off_from AS e_handed_off_from,
         e.handed_off_to AS e_handed_off_to"
    };
}
pub(crate) use email_columns;

fn email_by_id(tx: &Tx, id: &str) -> StoreResult<EmailRecord> {
    let sql = concat!("SELECT ", email_columns!(), " FROM emails e WHERE e.id = ?");
    rows(tx, sql, [id], |r| email_from(r, "e_"))?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound {
            what: Entity::Email,
        })
}

fn recent_resends(tx: &Tx, line_id: &str, since: Timestamp) -> StoreResult<Vec<ResendRecord>> {
    let sql = concat!(
        "SELECT ",
        email_columns!(),
        ", e.requested_by FROM emails e
         WHERE e.line_id = ? AND e.kind = 'resend' AND e.queued_at >= ? ORDER BY e.seq"
    );
    rows(tx, sql, params![line_id, ts(since)], |r| {
        Ok(ResendRecord {
            email: email_from(r, "e_")?,
            requested_by: opt_text(r, "requested_by")?
                .map(|id| uuid(&id).map(UserId::from_uuid))
                .transpose()?,
        })
    })
}

pub(crate) fn update_line(
    tx: &Tx,
    sub_ref: &SubRef,
    request: &UpdateRequest,
    decide: &(dyn Fn(&LineSnapshot) -> Decision + Send + Sync),
) -> StoreResult<Option<Decided>> {
    let Some((line, ids)) = context_tx(tx, sub_ref)? else {
        return Ok(None);
    };
    if let Some(key) = &request.idempotency
        && let Some(email_id) = idempotency::replay(tx, key)?
    {
        let email = email_by_id(tx, &email_id)?;
        return Ok(Some(Decided::Replayed { line, email }));
    }
    let recent_resends = recent_resends(tx, &ids.line_id, request.resends_since)?;
    let snapshot = LineSnapshot {
        line,
        recent_resends,
    };
    let decided = match decide(&snapshot) {
        Decision::Apply(change) => {
            let before = Some(&snapshot.line.line.state);
            let email = write_change(tx, &ids, before, *change, request.actor, request.now)?;
            let email = match email {
                Some(id) => {
                    if let Some(key) = &request.idempotency {
                        idempotency::remember(tx, key, "email", &id, request.now)?;
                    }
                    Some(email_by_id(tx, &id)?)
                }
                None => None,
            };
            let (line, _) =
                context_tx(tx, sub_ref)?.ok_or(StoreError::NotFound { what: Entity::Line })?;
            Decided::Applied { line, email }
        }
        Decision::Refuse { refusal, events } => {
            write_events(tx, &ids, &events, request.actor, request.now)?;
            Decided::Refused(refusal)
        }
        Decision::Replay(email) => Decided::Replayed {
            line: snapshot.line,
            email,
        },
    };
    Ok(Some(decided))
}

/// Writes a line's events.
pub(crate) fn write_events(
    tx: &Tx,
    ids: &LineIds,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    insert_events(tx, ids.into(), events, actor, now)
}

/// Appends audit events: the domain's typed event, serialized, never built here.
pub(crate) fn insert_events(
    tx: &Tx,
    scope: EventScope<'_>,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let mut st = tx
        .prepare_cached(
            "INSERT INTO events (order_id, line_id, type, at, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .map_err(db)?;
    let (at, actor) = (ts(now), actor.map(|a| a.to_string()));
    for event in events {
        st.execute(params![
            scope.order_id,
            scope.line_id,
            event.kind().as_str(),
            at,
            actor,
            event.data().to_string()
        ])
        .map_err(db)?;
    }
    Ok(())
}

/// Writes one decided change; returns the id of the email it queued. The line's state is
/// written unless it equals `before` (a first send only queues mail, for example).
pub(crate) fn write_change(
    tx: &Tx,
    ids: &LineIds,
    before: Option<&LineState>,
    change: LineChange,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Option<String>> {
    let st = &change.state;
    if before != Some(st) {
        write_state(tx, ids, st)?;
    }
    write_details(tx, ids, &change)?;
    let mut queued = None;
    if let Some(email) = &change.email {
        queued = Some(insert_email(tx, ids, email, now)?);
    }
    if let Some(notice) = &change.notice {
        insert_email(tx, ids, notice, now)?;
    }
    write_events(tx, ids, &change.events, actor, now)?;
    Ok(queued)
}

fn write_state(tx: &Tx, ids: &LineIds, st: &LineState) -> StoreResult<()> {
    tx.prepare_cached(
        "UPDATE lines SET stage = ?, status = ?, closed_reason = ?, closed_at = ?, first_sent_at = ?,
             closes_at = ?
         WHERE id = ?",
    )
    .and_then(|mut q| {
        q.execute(params![
            st.stage.as_str(),
            st.status.as_str(),
            st.closed_reason.map(|r| r.as_str()),
            opt_ts(st.closed_at),
            opt_ts(st.first_sent_at),
            opt_ts(st.closes_at),
            ids.line_id
        ])
    })
    .map_err(db)?;
    Ok(())
}

/// Contact, organization and links of a change.
fn write_details(tx: &Tx, ids: &LineIds, change: &LineChange) -> StoreResult<()> {
    if let Some(contact) = &change.contact {
        tx.prepare_cached(
            "UPDATE lines SET contact_email = ?, contact_name = ?, locale = ? WHERE id = ?",
        )
        .and_then(|mut q| {
            q.execute(params![
                contact.email.as_str(),
                contact.name,
                contact.locale.as_str(),
                ids.line_id
            ])
        })
        .map_err(db)?;
    }
    if let Some(org) = &change.organization {
        // An organization id belongs to the partner (tenant) whose line it was first
        // reported for: another partner's line cannot take it (checked inside the write, so
        // two tenants racing for one id cannot both get it).
        let taken = tx
            .prepare_cached(
                "SELECT 1 FROM lines l JOIN orders o ON o.id = l.order_id
                 WHERE l.organization_id = ?1
                   AND o.partner_id <> (SELECT partner_id FROM orders WHERE id = ?2)
                 LIMIT 1",
            )
            .and_then(|mut q| q.exists(params![org.id, ids.order_id]))
            .map_err(db)?;
        if taken {
            return Err(StoreError::NotFound {
                what: Entity::Organization,
            });
        }
        tx.prepare_cached(
            "UPDATE lines SET organization_id = ?, organization_name = ? WHERE id = ?",
        )
        .and_then(|mut q| q.execute(params![org.id, org.name, ids.line_id]))
        .map_err(db)?;
    }
    if let Some(link) = change.links {
        tx.prepare_cached("UPDATE setup_links SET state = ? WHERE line_id = ? AND state = 'live'")
            .and_then(|mut q| q.execute(params![link.as_str(), ids.line_id]))
            .map_err(db)?;
    }
    if change.cancel_pending {
        tx.prepare_cached(
            "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL
             WHERE line_id = ? AND state IN ('queued', 'retrying') AND kind <> 'handed_off'",
        )
        .and_then(|mut q| q.execute([&ids.line_id]))
        .map_err(db)?;
    }
    Ok(())
}

fn insert_email(tx: &Tx, ids: &LineIds, email: &NewEmail, now: Timestamp) -> StoreResult<String> {
    let id = email.id.to_string();
    tx.prepare_cached(
        "INSERT INTO emails (id, kind, subject, line_id, recipient, recipient_name, locale,
                 requested_by, message_id, state, queued_at, next_attempt_at, handed_off_from,
                 handed_off_to)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            id,
            email.kind.as_str(),
            email.kind.subject().as_str(),
            ids.line_id,
            email.to.as_str(),
            email.to_name,
            email.locale.as_str(),
            email.requested_by.map(|u| u.to_string()),
            email.message_id,
            ts(now),
            ts(now),
            email.hand_off.as_ref().map(|h| h.from.as_str()),
            email.hand_off.as_ref().map(|h| h.to.as_str())
        ])
    })
    .map_err(db)?;
    Ok(id)
}

pub(crate) fn line_emails(conn: &Connection, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>> {
    const SQL: &str = concat!(
        "SELECT ",
        email_columns!(),
        " FROM emails e JOIN lines l ON l.id = e.line_id WHERE l.sub_ref = ? ORDER BY e.seq DESC"
    );
    rows(conn, SQL, [sub_ref.as_str()], |r| email_from(r, "e_"))
}

pub(crate) fn setup_link(conn: &Connection, token_hash: &str) -> StoreResult<Option<SetupLink>> {
    let sql = "SELECT s.email_id, s.state, e.recipient, l.sub_ref
               FROM setup_links s JOIN emails e ON e.id = s.email_id JOIN lines l ON l.id = s.line_id
               WHERE s.token_hash = ?";
    let found = rows(conn, sql, [token_hash], |r| {
        Ok((
            uuid(&text(r, "email_id")?)?,
            stored("link state", LinkState::parse(&text(r, "state")?))?,
            stored("recipient", ContactEmail::parse(&text(r, "recipient")?))?,
            stored("sub_ref", SubRef::parse(&text(r, "sub_ref")?))?,
        ))
    })?;
    let Some((email_id, link, sent_to, sub_ref)) = found.into_iter().next() else {
        return Ok(None);
    };
    let (line, _) =
        context_tx(conn, &sub_ref)?.ok_or(StoreError::NotFound { what: Entity::Line })?;
    Ok(Some(SetupLink {
        email_id,
        sent_to,
        link,
        line,
    }))
}

pub(crate) fn organizations_of(
    conn: &Connection,
    contact: &ContactEmail,
    partner: CompanyId,
) -> StoreResult<Vec<Organization>> {
    let sql = "SELECT DISTINCT l.organization_id, l.organization_name
               FROM lines l JOIN orders o ON o.id = l.order_id
               WHERE l.contact_email = ? AND l.organization_id IS NOT NULL AND o.partner_id = ?
               ORDER BY l.organization_name";
    rows(
        conn,
        sql,
        params![contact.as_str(), partner.to_string()],
        |r| {
            Ok(Organization {
                id: text(r, "organization_id")?,
                name: text(r, "organization_name")?,
            })
        },
    )
}
