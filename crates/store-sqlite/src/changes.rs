//! The write path of every line action: read the line's facts inside a `BEGIN IMMEDIATE`
//! transaction, let the domain decide, write its effects (state + events + outbox rows) over
//! the version read. Also the reads of a line's emails, setup links and organizations.

use jiff::Timestamp;
use provisio_domain::{
    CompanyId, ContactEmail, Decision, Effects, EmailKind, EmailState, Event, LineFacts, LineState,
    LinkState, MailFact, NewMail, SubRef, UserId,
};
use provisio_store::{
    Decided, EmailRecord, Entity, LineContext, MailOf, Organization, SetupLink, StoreError,
    StoreResult, UpdateRequest,
};
use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::lines::{context_from, email_from, line_context_select, text};
use crate::writer::{Constraint, Tx, constraint};
use crate::{Named, db, idempotency, opt_ts, parse_ts, rows, stored, ts, uuid};

/// The ids a change needs besides the domain values, and the version the line was read at.
pub(crate) struct LineIds {
    /// The rowid, which the writes find the line by.
    pub seq: i64,
    pub line_id: String,
    pub order_id: String,
    pub version: i64,
}

/// What an event is about: an order and line, a case, or neither (a policy change).
#[derive(Default, Clone, Copy)]
pub(crate) struct EventScope<'a> {
    pub order_id: Option<&'a str>,
    pub line_id: Option<&'a str>,
    pub case_id: Option<&'a str>,
}

impl<'a> From<&'a LineIds> for EventScope<'a> {
    fn from(ids: &'a LineIds) -> Self {
        Self {
            order_id: Some(&ids.order_id),
            line_id: Some(&ids.line_id),
            case_id: None,
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

/// Several lines by id in one query, keyed by id.
pub(crate) fn contexts_by_id_tx<'r>(
    tx: &Tx,
    line_ids: impl IntoIterator<Item = &'r str>,
) -> StoreResult<HashMap<String, (LineContext, LineIds)>> {
    let ids: Vec<&str> = line_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = concat!(
        line_context_select!(),
        "WHERE l.id IN (SELECT value FROM json_each(?))"
    );
    let json = serde_json::to_string(&ids).map_err(StoreError::backend)?;
    let found = rows(tx, sql, [json], |r| {
        Ok((text(r, "id")?, (context_from(r)?, ids_of(r)?)))
    })?;
    Ok(found.into_iter().collect())
}

/// From the columns `seq`, `id`, `order_id` and `version` of a line.
pub(crate) fn ids_of(row: &Named<'_, '_>) -> StoreResult<LineIds> {
    Ok(LineIds {
        seq: row.int("seq")?,
        line_id: text(row, "id")?,
        order_id: text(row, "order_id")?,
        version: row.int("version")?,
    })
}

/// The email columns [`email_from`] reads with prefix `e_`.
macro_rules! email_columns {
    () => {
        "e.id AS e_id, e.kind AS e_kind, e.recipient AS e_recipient, e.state AS e_state,
         e.attempts AS e_attempts, e.queued_at AS e_queued_at, e.sent_at AS e_sent_at,
         e.last_reply AS e_last_reply, e.recipient_name AS e_recipient_name,
         e.locale AS e_locale, e.handed_off_from AS e_handed_off_from,
         e.handed_off_to AS e_handed_off_to, e.requested_by AS e_requested_by"
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

/// The line's mail that decisions read: every email still waiting, and every one queued
/// since `since`, oldest first.
fn mail_facts(tx: &Tx, line_id: &str, since: Timestamp) -> StoreResult<Vec<MailFact>> {
    let sql = "SELECT e.id, e.kind, e.recipient, e.state, e.queued_at, e.requested_by
               FROM emails e
               WHERE e.line_id = ?1 AND (e.queued_at >= ?2 OR e.next_attempt_at IS NOT NULL)
               ORDER BY e.seq";
    rows(tx, sql, params![line_id, ts(since)], mail_fact_from)
}

fn mail_fact_from(r: &Named<'_, '_>) -> StoreResult<MailFact> {
    Ok(MailFact {
        id: uuid(&text(r, "id")?)?,
        kind: stored("email kind", EmailKind::parse(&text(r, "kind")?))?,
        to: stored(
            "recipient",
            ContactEmail::from_stored(&text(r, "recipient")?),
        )?,
        state: stored("email state", EmailState::parse(&text(r, "state")?))?,
        queued_at: parse_ts(&text(r, "queued_at")?)?,
        requested_by: r.opt_user("requested_by")?,
    })
}

/// [`mail_facts`] of many lines, by reference: what the lines' `actions` are decided on.
pub(crate) fn recent_mail(
    conn: &Connection,
    of: MailOf<'_>,
    since: Timestamp,
) -> StoreResult<Vec<(SubRef, MailFact)>> {
    // Each line's mail oldest first (the order of the lines themselves does not matter).
    macro_rules! recent_mail_of {
        ($whose:literal, $order:literal) => {
            concat!(
                "SELECT l.sub_ref, e.id, e.kind, e.recipient, e.state, e.queued_at, e.requested_by
                 FROM ",
                $whose,
                " AND (e.queued_at >= ?2 OR e.next_attempt_at IS NOT NULL OR e.state = 'sending')
                 ORDER BY ",
                $order
            )
        };
    }
    let map = |r: &Named<'_, '_>| {
        Ok((
            stored("sub_ref", SubRef::parse(&text(r, "sub_ref")?))?,
            mail_fact_from(r)?,
        ))
    };
    match of {
        MailOf::Lines([]) => Ok(vec![]),
        MailOf::Lines(lines) => {
            let refs: Vec<&str> = lines.iter().map(SubRef::as_str).collect();
            let refs = serde_json::to_string(&refs).map_err(StoreError::backend)?;
            const SQL: &str = recent_mail_of!(
                "lines l JOIN emails e ON e.line_id = l.id
                 WHERE l.sub_ref IN (SELECT value FROM json_each(?1))",
                "e.seq"
            );
            rows(conn, SQL, params![refs, ts(since)], map)
        }
        MailOf::Order(order) => {
            const SQL: &str = recent_mail_of!(
                "orders o JOIN lines l ON l.order_id = o.id JOIN emails e ON e.line_id = l.id
                 WHERE o.web_order_id = ?1",
                // The order the indexes read them in (lines_order, emails_line): no sort.
                "l.seq, e.seq"
            );
            rows(conn, SQL, params![order.as_str(), ts(since)], map)
        }
    }
}

pub(crate) fn update_line(
    tx: &Tx,
    sub_ref: &SubRef,
    request: &UpdateRequest,
    decide: &(dyn Fn(&LineFacts) -> Decision + Send + Sync),
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
    let facts = LineFacts {
        state: line.line.state.clone(),
        contact: line.contact(),
        parties: line.parties(),
        mail: mail_facts(tx, &ids.line_id, request.mail_since)?,
        cases: if request.open_cases {
            crate::case_writes::open_cases_of_line(tx, &ids.line_id)?
        } else {
            vec![]
        },
    };
    let decided = match decide(&facts) {
        Decision::Apply(effects) => {
            let queued =
                write_effects(tx, &ids, &facts.state, *effects, request.actor, request.now)?;
            if let (Some(key), Some(first)) = (&request.idempotency, queued.first()) {
                idempotency::remember(tx, key, "email", first, request.now)?;
            }
            let queued = queued
                .iter()
                .map(|id| email_by_id(tx, id))
                .collect::<StoreResult<_>>()?;
            let (line, _) =
                context_tx(tx, sub_ref)?.ok_or(StoreError::NotFound { what: Entity::Line })?;
            Decided::Applied { line, queued }
        }
        Decision::Refuse { refusal, events } => {
            write_events(tx, &ids, &events, request.actor, request.now)?;
            Decided::Refused(refusal)
        }
        Decision::Replay(id) => Decided::Replayed {
            email: email_by_id(tx, &id.to_string())?,
            line,
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
            "INSERT INTO events (order_id, line_id, case_id, type, at, actor_id, data)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .map_err(db)?;
    let (at, actor) = (ts(now), actor.map(|a| a.to_string()));
    for event in events {
        st.execute(params![
            scope.order_id,
            scope.line_id,
            scope.case_id,
            event.kind().as_str(),
            at,
            actor,
            event.stored_data()
        ])
        .map_err(db)?;
    }
    Ok(())
}

/// Persists a decision's effects, as they are, over the line's version read with its facts
/// (a writer that lost a race gets `Retryable`); returns the ids of the mail it queued.
/// `before`: the state the decision saw. A decision that changes nothing of the line itself
/// (a resend only queues mail) does not write it: what it depends on, the line's recent
/// mail, is read inside the writing transaction, which a backend serializes per line.
pub(crate) fn write_effects(
    tx: &Tx,
    ids: &LineIds,
    before: &LineState,
    effects: Effects,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Vec<String>> {
    let changes_line = effects.contact.is_some()
        || effects.organization.is_some()
        || effects.links.is_some()
        || !effects.cancel.is_empty();
    write_details(tx, ids, &effects)?;
    let mut queued = Vec::with_capacity(effects.queue.len());
    for mail in &effects.queue {
        queued.push(insert_email(tx, MailRow::line(&ids.line_id), mail, now)?);
    }
    for case in &effects.cases {
        crate::case_writes::write_case_effects(tx, case, actor, now)?;
    }
    // A lost race undoes all of the above.
    if *before != effects.state {
        write_state(tx, ids, &effects.state)?;
    } else if changes_line {
        write_version(tx, ids)?;
    }
    write_events(tx, ids, &effects.events, actor, now)?;
    Ok(queued)
}

/// Writes a line's state with the instants the domain derives from it (when the planner and
/// the sweep must look at it), over the version it was read at.
pub(crate) fn write_state(tx: &Tx, ids: &LineIds, st: &LineState) -> StoreResult<()> {
    let written = tx
        .prepare_cached(
            "UPDATE lines SET stage = ?, status = ?, closed_reason = ?, closed_at = ?,
                 first_sent_at = ?, closes_at = ?, initial_queued = ?, first_send_due_at = ?,
                 close_due_at = ?, version = version + 1
             WHERE seq = ? AND version = ?",
        )
        .and_then(|mut q| {
            q.execute(params![
                st.stage.as_str(),
                st.status.as_str(),
                st.closed_reason.map(|r| r.as_str()),
                opt_ts(st.closed_at),
                opt_ts(st.first_sent_at),
                opt_ts(st.closes_at),
                st.initial_queued,
                opt_ts(st.first_send_due_at()),
                opt_ts(st.closure_due_at()),
                ids.seq,
                ids.version
            ])
        })
        .map_err(db)?;
    lost_race(written, ids)
}

/// Claims the next version of a line whose state stays as it is (compare-and-set).
fn write_version(tx: &Tx, ids: &LineIds) -> StoreResult<()> {
    let written = tx
        .prepare_cached("UPDATE lines SET version = version + 1 WHERE seq = ? AND version = ?")
        .and_then(|mut q| q.execute(params![ids.seq, ids.version]))
        .map_err(db)?;
    lost_race(written, ids)
}

/// `Retryable` when an update over the version read wrote nothing: another writer changed
/// the line since.
fn lost_race(written: usize, ids: &LineIds) -> StoreResult<()> {
    if written == 0 {
        return Err(StoreError::Retryable(format!(
            "line {} changed since it was read",
            ids.line_id
        )));
    }
    Ok(())
}

/// Contact, organization, links and cancelled mail of a change.
fn write_details(tx: &Tx, ids: &LineIds, effects: &Effects) -> StoreResult<()> {
    if let Some(contact) = &effects.contact {
        tx.prepare_cached(
            "UPDATE lines SET contact_email = ?, contact_name = ?, locale = ? WHERE seq = ?",
        )
        .and_then(|mut q| {
            q.execute(params![
                contact.email.as_str(),
                contact.name,
                contact.locale.as_str(),
                ids.seq
            ])
        })
        .map_err(db)?;
        crate::search::reindex_line(tx, &ids.line_id)?;
    }
    if let Some(org) = &effects.organization {
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
            "UPDATE lines SET organization_id = ?, organization_name = ? WHERE seq = ?",
        )
        .and_then(|mut q| q.execute(params![org.id, org.name, ids.seq]))
        .map_err(db)?;
    }
    if let Some(link) = effects.links {
        tx.prepare_cached("UPDATE setup_links SET state = ? WHERE line_id = ? AND state = 'live'")
            .and_then(|mut q| q.execute(params![link.as_str(), ids.line_id]))
            .map_err(db)?;
    }
    // Only while it still waits (a claim may have taken it meanwhile, on another writer).
    let mut cancel = tx
        .prepare_cached(
            "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL
             WHERE id = ? AND line_id = ? AND next_attempt_at IS NOT NULL",
        )
        .map_err(db)?;
    for id in &effects.cancel {
        cancel
            .execute(params![id.to_string(), ids.line_id])
            .map_err(db)?;
    }
    Ok(())
}

/// What an outbox row is about: its line, or its case (the row's subject, as the mail's kind
/// declares it).
#[derive(Clone)]
pub(crate) struct MailRow<'a> {
    line_id: Option<&'a str>,
    case_id: Option<String>,
}

impl<'a> MailRow<'a> {
    pub(crate) fn line(line_id: &'a str) -> Self {
        Self {
            line_id: Some(line_id),
            case_id: None,
        }
    }

    /// A case notice: about the case its mail names.
    pub(crate) fn of(mail: &NewMail) -> Self {
        Self {
            line_id: None,
            case_id: mail.case.map(|c| c.case.to_string()),
        }
    }
}

/// Puts one mail into the outbox: the one statement for every subject.
pub(crate) fn insert_email(
    tx: &Tx,
    row: MailRow<'_>,
    mail: &NewMail,
    now: Timestamp,
) -> StoreResult<String> {
    let id = mail.id.to_string();
    tx.prepare_cached(
        "INSERT INTO emails (id, kind, subject, line_id, case_id, case_comment_id, for_case,
                 recipient, recipient_name, locale, requested_by, message_id, state, queued_at,
                 next_attempt_at, handed_off_from, handed_off_to, last_email)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            id,
            mail.kind.as_str(),
            mail.kind.subject().as_str(),
            row.line_id,
            row.case_id,
            mail.case.and_then(|c| c.comment).map(|c| c.to_string()),
            mail.for_case.map(|c| c.to_string()),
            mail.to.email.as_str(),
            mail.to.name,
            mail.to.locale.as_str(),
            mail.requested_by.map(|u| u.to_string()),
            mail.message_id,
            ts(now),
            ts(now),
            mail.hand_off.as_ref().map(|h| h.from.as_str()),
            mail.hand_off.as_ref().map(|h| h.to.as_str()),
            mail.kind.traits().provisioning
        ])
    })
    .map_err(|e| match constraint(&e) {
        // Another writer queued the line's initial email first.
        Some(Constraint::Unique) => StoreError::Retryable(format!(
            "line {} already has this email",
            row.line_id.unwrap_or_default()
        )),
        _ => db(e),
    })?;
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
            stored(
                "recipient",
                ContactEmail::from_stored(&text(r, "recipient")?),
            )?,
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
