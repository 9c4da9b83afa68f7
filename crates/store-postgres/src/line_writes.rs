//! The write path every line change shares (line actions, first sends, closure, results,
//! policy changes): decisions' effects persisted as they are, each line's state written over
//! the version it was read at, mail put into the outbox. Many changes are written together
//! (a planner's batch, a batch of results) in a few statements, not a few per line: what
//! PostgreSQL's round trips would otherwise make the delivery rate.
//!
//! What keeps two instances from breaking a line, here: every write of a line's state is a
//! compare-and-set over `version` (a writer that lost the race gets `Retryable` and its
//! transaction rolls back whole, `line_states.rs`); cancelling mail is conditional on it
//! still waiting; an organization id is claimed under a transaction-scoped advisory lock on
//! that id; the schema's `emails_one_initial` keeps a line to one initial email. A line
//! action also holds its line's row lock from its read on (`changes.rs`).

use std::collections::HashMap;

use jiff::Timestamp;
use provisio_domain::{Effects, Event, LineState, UserId};
use provisio_store::{EmailRecord, Entity, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::db;
use crate::events::{EventRow, EventScope, insert_event_rows, insert_events};
use crate::line_states::{StateWrite, write_states};
use crate::mail_rows::{MailRow, QueuedMail, insert_emails};

/// The ids a change needs besides the domain values, and the version the line was read at.
#[derive(Clone)]
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

/// A decision's effects on one line: `before`, the state the decision saw, read at
/// `ids.version`; `actor` and `now`, who and when, as its events record them.
pub(crate) struct LineChange {
    pub ids: LineIds,
    pub before: LineState,
    pub effects: Effects,
    pub actor: Option<UserId>,
    pub now: Timestamp,
}

impl LineChange {
    /// A change the service decided (the planner, the closure sweep, a result): no actor.
    pub(crate) fn by_service(
        ids: LineIds,
        before: LineState,
        effects: Effects,
        now: Timestamp,
    ) -> Self {
        Self {
            ids,
            before,
            effects,
            actor: None,
            now,
        }
    }

    /// Whether the change writes the line's row: a new state, contact or organization,
    /// links or cancelled mail (its version then moves on). A resend only queues mail.
    pub(crate) fn writes_line(&self) -> bool {
        let e = &self.effects;
        self.before != e.state
            || e.contact.is_some()
            || e.organization.is_some()
            || e.links.is_some()
            || !e.cancel.is_empty()
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

/// Persists one decision's effects ([`write_changes`]); returns the mail it queued.
pub(crate) async fn write_effects(
    tx: &mut PgConnection,
    change: LineChange,
) -> StoreResult<Vec<EmailRecord>> {
    let mut queued = write_changes(tx, std::slice::from_ref(&change)).await?;
    Ok(queued.pop().unwrap_or_default())
}

/// Persists decisions' effects, as they are, each over its line's version read with its
/// facts (a writer that lost a race gets `Retryable`, and the transaction rolls back whole);
/// returns, for each change, the mail it queued as written. A decision that changes nothing
/// of the line itself (a resend only queues mail) does not write it: what it depends on,
/// the line's recent mail, is read under the line's row lock that a line action takes
/// (`changes.rs`). Several changes of one line in one batch (results of two attempts) are
/// written as one: its last state, over the version first read.
///
/// The versions are claimed first: a writer that lost the race learns it before writing
/// anything else, and from then on holds the lines' row locks, so what follows cannot
/// interleave with another change of them. Then each change's details, the mail of all in
/// one statement, the cases, and the events of all in one statement, in the changes' order.
/// Changes that write nothing but states and events (results, closures) write both in one.
pub(crate) async fn write_changes(
    tx: &mut PgConnection,
    changes: &[LineChange],
) -> StoreResult<Vec<Vec<EmailRecord>>> {
    let mut states: Vec<StateWrite> = Vec::new();
    // Where each line's write is in `states` (a batch holds up to hundreds of lines).
    let mut at: HashMap<&str, usize> = HashMap::new();
    for c in changes {
        if !c.writes_line() {
            continue;
        }
        let state = (c.before != c.effects.state).then_some(&c.effects.state);
        match at.get(c.ids.line_id.as_str()) {
            Some(&i) => states[i].state = state.or(states[i].state),
            None => {
                at.insert(&c.ids.line_id, states.len());
                states.push(StateWrite { ids: &c.ids, state });
            }
        }
    }
    let events: Vec<EventRow> = changes
        .iter()
        .flat_map(|c| {
            c.effects.events.iter().map(|event| EventRow {
                scope: (&c.ids).into(),
                event,
                actor: c.actor,
                at: c.now,
            })
        })
        .collect();
    // Nothing to write but states and events (a batch of results, a closure): one statement.
    if changes.iter().all(|c| only_state_and_events(&c.effects)) {
        write_states(tx, &states, &events).await?;
        return Ok(changes.iter().map(|_| vec![]).collect());
    }
    write_states(tx, &states, &[]).await?;
    for c in changes {
        write_details(tx, &c.ids, &c.effects).await?;
    }
    let mail: Vec<QueuedMail> = changes
        .iter()
        .flat_map(|c| {
            c.effects.queue.iter().map(|mail| QueuedMail {
                row: MailRow::line(&c.ids.line_id),
                mail,
                at: c.now,
            })
        })
        .collect();
    let mut written = insert_emails(tx, &mail).await?.into_iter();
    let queued = changes
        .iter()
        .map(|c| written.by_ref().take(c.effects.queue.len()).collect())
        .collect();
    for c in changes {
        for case in &c.effects.cases {
            crate::case_writes::write_case_effects(tx, case, c.actor, c.now).await?;
        }
    }
    insert_event_rows(tx, &events).await?;
    Ok(queued)
}

/// Whether a change writes nothing but the line's state and its events: no contact,
/// organization, links, cancelled or queued mail, cases.
fn only_state_and_events(e: &Effects) -> bool {
    e.contact.is_none()
        && e.organization.is_none()
        && e.links.is_none()
        && e.cancel.is_empty()
        && e.queue.is_empty()
        && e.cases.is_empty()
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
        crate::search::reindex_line(tx, &ids.line_id).await?;
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
