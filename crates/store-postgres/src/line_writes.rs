//! The write path every line change shares (line actions, first sends, closure, results,
//! policy changes): a decision's effects persisted as they are, the line's state written over
//! the version it was read at, mail put into the outbox.
//!
//! What keeps two instances from breaking a line, here: every write of a line's state is a
//! compare-and-set over `version` (a writer that lost the race gets `Retryable` and its
//! transaction rolls back whole); cancelling mail is conditional on it still waiting; an
//! organization id is claimed under a transaction-scoped advisory lock on that id; the
//! schema's `emails_one_initial` keeps a line to one initial email. A line action also holds
//! its line's row lock from its read on (`changes.rs`).

use jiff::Timestamp;
use provisio_domain::{Effects, Event, LineState, NewMail, UserId};
use provisio_store::{Entity, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::events::{EventScope, insert_events};
use crate::{Ts, db, opt_ts};

/// The ids a change needs besides the domain values, and the version the line was read at.
pub(crate) struct LineIds {
    pub line_id: String,
    pub order_id: String,
    pub version: i64,
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

/// Writes a line's events.
pub(crate) async fn write_events(
    tx: &mut PgConnection,
    ids: &LineIds,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    insert_events(tx, ids.into(), events, actor, now).await
}

/// Persists a decision's effects, as they are, over the line's version read with its facts
/// (a writer that lost a race gets `Retryable`); returns the ids of the mail it queued.
/// `before`: the state the decision saw. A decision that changes nothing of the line itself
/// (a resend only queues mail) does not write it: what it depends on, the line's recent
/// mail, is read under the line's row lock that a line action takes (`changes.rs`).
///
/// The version is claimed first: a writer that lost the race learns it before writing
/// anything else, and from then on holds the line's row lock, so what follows cannot
/// interleave with another change of the line.
pub(crate) async fn write_effects(
    tx: &mut PgConnection,
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
    // A lost race rolls back all that follows.
    if *before != effects.state {
        write_state(tx, ids, &effects.state).await?;
    } else if changes_line {
        write_version(tx, ids).await?;
    }
    write_details(tx, ids, &effects).await?;
    let mut queued = Vec::with_capacity(effects.queue.len());
    for mail in &effects.queue {
        queued.push(insert_email(tx, MailRow::line(&ids.line_id), mail, now).await?);
    }
    for case in &effects.cases {
        crate::case_writes::write_case_effects(tx, case, actor, now).await?;
    }
    write_events(tx, ids, &effects.events, actor, now).await?;
    Ok(queued)
}

/// Writes a line's state with the instants the domain derives from it (when the planner and
/// the sweep must look at it), over the version it was read at (compare-and-set: a writer
/// that changed the line meanwhile makes this one `Retryable`; one still writing makes it
/// wait for its commit, then find the version gone).
pub(crate) async fn write_state(
    tx: &mut PgConnection,
    ids: &LineIds,
    st: &LineState,
) -> StoreResult<()> {
    let written = sqlx::query(
        "UPDATE lines SET stage = $1, status = $2, closed_reason = $3, closed_at = $4,
             first_sent_at = $5, closes_at = $6, initial_queued = $7, first_send_due_at = $8,
             close_due_at = $9, version = version + 1
         WHERE id = $10 AND version = $11",
    )
    .bind(st.stage.as_str())
    .bind(st.status.as_str())
    .bind(st.closed_reason.map(|r| r.as_str()))
    .bind(opt_ts(st.closed_at))
    .bind(opt_ts(st.first_sent_at))
    .bind(opt_ts(st.closes_at))
    .bind(st.initial_queued)
    .bind(opt_ts(st.first_send_due_at()))
    .bind(opt_ts(st.closure_due_at()))
    .bind(&ids.line_id)
    .bind(ids.version)
    .execute(tx)
    .await
    .map_err(db)?;
    lost_race(written.rows_affected(), ids)
}

/// Claims the next version of a line whose state stays as it is (compare-and-set).
async fn write_version(tx: &mut PgConnection, ids: &LineIds) -> StoreResult<()> {
    let written =
        sqlx::query("UPDATE lines SET version = version + 1 WHERE id = $1 AND version = $2")
            .bind(&ids.line_id)
            .bind(ids.version)
            .execute(tx)
            .await
            .map_err(db)?;
    lost_race(written.rows_affected(), ids)
}

/// `Retryable` when an update over the version read wrote nothing: another writer changed
/// the line since.
fn lost_race(written: u64, ids: &LineIds) -> StoreResult<()> {
    if written == 0 {
        return Err(StoreError::Retryable(format!(
            "line {} changed since it was read",
            ids.line_id
        )));
    }
    Ok(())
}

/// Contact, organization, links and cancelled mail of a change.
async fn write_details(tx: &mut PgConnection, ids: &LineIds, effects: &Effects) -> StoreResult<()> {
    if let Some(contact) = &effects.contact {
        sqlx::query(
            "UPDATE lines SET contact_email = $1, contact_name = $2, locale = $3 WHERE id = $4",
        )
        .bind(contact.email.as_str())
        .bind(contact.name.as_deref())
        .bind(contact.locale.as_str())
        .bind(&ids.line_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    if let Some(org) = &effects.organization {
        claim_organization(tx, ids, &org.id).await?;
        sqlx::query("UPDATE lines SET organization_id = $1, organization_name = $2 WHERE id = $3")
            .bind(&org.id)
            .bind(&org.name)
            .bind(&ids.line_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    if let Some(link) = effects.links {
        sqlx::query("UPDATE setup_links SET state = $1 WHERE line_id = $2 AND state = 'live'")
            .bind(link.as_str())
            .bind(&ids.line_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    if !effects.cancel.is_empty() {
        // Only while it still waits (a claim may have taken it meanwhile, on another instance).
        let cancel: Vec<String> = effects.cancel.iter().map(|id| id.to_string()).collect();
        sqlx::query(
            "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL
             WHERE id = ANY($1::text[]) AND line_id = $2 AND next_attempt_at IS NOT NULL",
        )
        .bind(&cancel)
        .bind(&ids.line_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// An organization id belongs to the partner (tenant) whose line it was first reported for:
/// another partner's line cannot take it. Two tenants' lines racing for one new id on two
/// instances would both find it free (each statement sees what was committed when it began),
/// so the check and the write that follows run under a transaction-scoped advisory lock on
/// the id: the second waits for the first to commit, then sees its line.
async fn claim_organization(tx: &mut PgConnection, ids: &LineIds, org_id: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('organization:' || $1, 0))")
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let taken: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM lines l JOIN orders o ON o.id = l.order_id
         WHERE l.organization_id = $1
           AND o.partner_id <> (SELECT partner_id FROM orders WHERE id = $2)
         LIMIT 1",
    )
    .bind(org_id)
    .bind(&ids.order_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    match taken {
        Some(_) => Err(StoreError::NotFound {
            what: Entity::Organization,
        }),
        None => Ok(()),
    }
}

/// What an outbox row is about: its line, or its case (the row's subject, as the mail's kind
/// declares it).
#[derive(Clone)]
pub(crate) struct MailRow<'a> {
    pub line_id: Option<&'a str>,
    pub case_id: Option<String>,
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

/// Puts one mail into the outbox: the one statement for every subject. A unique violation
/// (`emails_one_initial`: another writer queued the line's initial email first) is
/// `Retryable`: run again, the decision sees that email.
pub(crate) async fn insert_email(
    tx: &mut PgConnection,
    row: MailRow<'_>,
    mail: &NewMail,
    now: Timestamp,
) -> StoreResult<String> {
    let id = mail.id.to_string();
    sqlx::query(
        "INSERT INTO emails (id, kind, subject, line_id, case_id, case_comment_id, for_case,
                 recipient, recipient_name, locale, requested_by, message_id, state, queued_at,
                 next_attempt_at, handed_off_from, handed_off_to, last_email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'queued', $13, $13, $14, $15,
                 $16)",
    )
    .bind(&id)
    .bind(mail.kind.as_str())
    .bind(mail.kind.subject().as_str())
    .bind(row.line_id)
    .bind(row.case_id.as_deref())
    .bind(mail.case.and_then(|c| c.comment).map(|c| c.to_string()))
    .bind(mail.for_case.map(|c| c.to_string()))
    .bind(mail.to.email.as_str())
    .bind(mail.to.name.as_deref())
    .bind(mail.to.locale.as_str())
    .bind(mail.requested_by.map(|u| u.to_string()))
    .bind(&mail.message_id)
    .bind(Ts(now))
    .bind(mail.hand_off.as_ref().map(|h| h.from.as_str()))
    .bind(mail.hand_off.as_ref().map(|h| h.to.as_str()))
    .bind(mail.kind.traits().provisioning)
    .execute(tx)
    .await
    .map_err(|e| match crate::unique_violation(&e) {
        // Another writer queued the line's initial email first (as SQLite, any unique key
        // of the outbox that a new row breaks is a lost race).
        Some(_) => StoreError::Retryable(format!(
            "line {} already has this email",
            row.line_id.unwrap_or_default()
        )),
        None => db(e),
    })?;
    Ok(id)
}
