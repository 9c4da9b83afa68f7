//! The read-decide-write of line actions: lock the line, read its facts, let the domain
//! decide, write its effects (state + events + outbox rows, `line_writes.rs`) over the version
//! read, in one transaction. Also the reads of a line's emails, setup links and organizations.
//!
//! SQLite had one writer, so a line action's read and write were serialized for free. Here
//! several instances act at once (READ COMMITTED), so a line action takes its line's row lock
//! before it reads anything: two actions on one line take turns, and the second reads what
//! the first committed. That is what makes the rate limits and the double-click rule hold
//! across instances, also for a resend, which writes no column of the line.

use std::collections::HashMap;

use provisio_domain::{Decision, EmailKind, EmailState, LineFacts, LinkState};
use provisio_store::{Entity, MailOf};
use sqlx::postgres::PgRow;

use super::*;
use crate::idempotency;
use crate::lines::{context_from, email_from, ids_of, line_context_select, text};

// The shared write path, where the outbox, settings and cases find it.
pub(crate) use crate::line_writes::{
    LineChange, LineIds, write_changes, write_effects, write_events,
};
pub(crate) use crate::mail_rows::{MailRow, insert_email};

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
#[allow(unused_imports)] // used by the modules not written yet
pub(crate) use email_columns;

#[async_trait]
impl LineActions for PgStore {
    async fn update_line(
        &self,
        sub_ref: &SubRef,
        request: UpdateRequest,
        decide: Decide,
    ) -> StoreResult<Option<Decided>> {
        let mut tx = self.begin().await?;
        let decided = update_line(&mut tx, sub_ref, &request, decide.as_ref()).await?;
        tx.commit().await.map_err(db)?;
        Ok(decided)
    }
    async fn line_emails(&self, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>> {
        const SQL: &str = concat!(
            "SELECT ",
            email_columns!(),
            " FROM emails e JOIN lines l ON l.id = e.line_id WHERE l.sub_ref = $1
              ORDER BY e.seq DESC"
        );
        let rows = sqlx::query(SQL)
            .bind(sub_ref.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(|r| email_from(r, "e_")).collect()
    }
    async fn recent_mail(
        &self,
        of: MailOf<'_>,
        since: Timestamp,
    ) -> StoreResult<Vec<(SubRef, MailFact)>> {
        macro_rules! recent_mail_of {
            ($whose:literal) => {
                concat!(
                    "SELECT l.sub_ref, e.id, e.kind, e.recipient, e.state, e.queued_at,
                            e.requested_by
                     FROM ",
                    $whose,
                    " AND (e.queued_at >= $2 OR e.next_attempt_at IS NOT NULL
                          OR e.state = 'sending')
                     ORDER BY e.seq"
                )
            };
        }
        let rows = match of {
            MailOf::Lines([]) => return Ok(vec![]),
            MailOf::Lines(lines) => {
                let refs: Vec<&str> = lines.iter().map(SubRef::as_str).collect();
                sqlx::query(recent_mail_of!(
                    "lines l JOIN emails e ON e.line_id = l.id WHERE l.sub_ref = ANY($1::text[])"
                ))
                .bind(refs)
                .bind(Ts(since))
                .fetch_all(&self.pool)
                .await
            }
            MailOf::Order(order) => {
                sqlx::query(recent_mail_of!(
                    "orders o JOIN lines l ON l.order_id = o.id JOIN emails e ON e.line_id = l.id
                     WHERE o.web_order_id = $1"
                ))
                .bind(order.as_str())
                .bind(Ts(since))
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok((
                    stored("sub_ref", SubRef::parse(&text(r, "sub_ref")?))?,
                    mail_fact_from(r)?,
                ))
            })
            .collect()
    }
    async fn setup_link(&self, token_hash: &str) -> StoreResult<Option<SetupLink>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let row = sqlx::query(
            "SELECT s.email_id, s.state, e.recipient, l.sub_ref
             FROM setup_links s JOIN emails e ON e.id = s.email_id
                 JOIN lines l ON l.id = s.line_id
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let email_id = uuid(&text(&r, "email_id")?)?;
        let link = stored("link state", LinkState::parse(&text(&r, "state")?))?;
        let sent_to = stored(
            "recipient",
            ContactEmail::from_stored(&text(&r, "recipient")?),
        )?;
        let sub_ref = stored("sub_ref", SubRef::parse(&text(&r, "sub_ref")?))?;
        let (line, _) = context_tx(&mut conn, &sub_ref)
            .await?
            .ok_or(StoreError::NotFound { what: Entity::Line })?;
        Ok(Some(SetupLink {
            email_id,
            sent_to,
            link,
            line,
        }))
    }
    async fn organizations_of(
        &self,
        contact: &ContactEmail,
        partner: CompanyId,
    ) -> StoreResult<Vec<Organization>> {
        // Ordered by bytes, as SQLite's BINARY collation orders them (whatever the
        // database's collation).
        let rows = sqlx::query(
            r#"SELECT DISTINCT l.organization_id, l.organization_name COLLATE "C" AS organization_name
               FROM lines l JOIN orders o ON o.id = l.order_id
               WHERE l.contact_email = $1 AND l.organization_id IS NOT NULL AND o.partner_id = $2
               ORDER BY 2"#,
        )
        .bind(contact.as_str())
        .bind(partner.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Organization {
                    id: text(r, "organization_id")?,
                    name: text(r, "organization_name")?,
                })
            })
            .collect()
    }
}

/// A line action in its transaction: the line locked, its facts read, the domain's decision
/// written. `None`: no such line.
async fn update_line(
    tx: &mut PgConnection,
    sub_ref: &SubRef,
    request: &UpdateRequest,
    decide: &(dyn Fn(&LineFacts) -> Decision + Send + Sync),
) -> StoreResult<Option<Decided>> {
    // The lock first, in a statement of its own: every statement after it sees what the
    // line's previous writer committed (a locking read that waited returns the line's new
    // row, but what it joins as of before the wait). `NO KEY UPDATE`, the lock an UPDATE of
    // the line takes, is enough to order line actions, and lets other transactions insert
    // rows that refer to the line meanwhile (a claim's events), so they cannot deadlock on it.
    let locked: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM lines WHERE sub_ref = $1 FOR NO KEY UPDATE")
            .bind(sub_ref.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    if locked.is_none() {
        return Ok(None);
    }
    let Some((line, ids)) = context_tx(tx, sub_ref).await? else {
        return Ok(None);
    };
    if let Some(key) = &request.idempotency
        && let Some(email_id) = idempotency::replay(tx, key).await?
    {
        let email = email_by_id(tx, &email_id).await?;
        return Ok(Some(Decided::Replayed { line, email }));
    }
    let facts = LineFacts {
        state: line.line.state.clone(),
        contact: line.contact(),
        parties: line.parties(),
        mail: mail_facts(tx, &ids.line_id, request.mail_since).await?,
        cases: if request.open_cases {
            crate::case_writes::open_cases_of_line(tx, &ids.line_id).await?
        } else {
            vec![]
        },
    };
    let decided = match decide(&facts) {
        Decision::Apply(effects) => {
            let change = LineChange {
                ids,
                before: facts.state,
                effects: *effects,
                actor: request.actor,
                now: request.now,
            };
            // A change that leaves the line's row as it is (a resend) leaves the line read
            // under its lock as it is: nothing to read again.
            let writes_line = change.writes_line();
            let queued = write_effects(tx, change).await?;
            if let (Some(key), Some(first)) = (&request.idempotency, queued.first()) {
                idempotency::remember(tx, key, "email", &first.id.to_string(), request.now).await?;
            }
            let line = if writes_line {
                context_tx(tx, sub_ref)
                    .await?
                    .ok_or(StoreError::NotFound { what: Entity::Line })?
                    .0
            } else {
                line
            };
            Decided::Applied { line, queued }
        }
        Decision::Refuse { refusal, events } => {
            write_events(tx, &ids, &events, request.actor, request.now).await?;
            Decided::Refused(refusal)
        }
        Decision::Replay(id) => Decided::Replayed {
            email: email_by_id(tx, &id.to_string()).await?,
            line,
        },
    };
    Ok(Some(decided))
}

/// A line with its order's context, and the ids a change needs, as the transaction sees it.
pub(crate) async fn context_tx(
    tx: &mut PgConnection,
    sub_ref: &SubRef,
) -> StoreResult<Option<(LineContext, LineIds)>> {
    const SQL: &str = concat!(line_context_select!(), "WHERE l.sub_ref = $1");
    let row = sqlx::query(SQL)
        .bind(sub_ref.as_str())
        .fetch_optional(tx)
        .await
        .map_err(db)?;
    row.as_ref()
        .map(|r| Ok((context_from(r)?, ids_of(r)?)))
        .transpose()
}

/// Several lines by id in one query, keyed by id (read, not locked: a writer of their state
/// goes through [`crate::line_states::write_states`]'s compare-and-set).
pub(crate) async fn contexts_by_id<'r>(
    tx: &mut PgConnection,
    line_ids: impl IntoIterator<Item = &'r str>,
) -> StoreResult<HashMap<String, (LineContext, LineIds)>> {
    let ids: Vec<&str> = line_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    const SQL: &str = concat!(line_context_select!(), "WHERE l.id = ANY($1::text[])");
    let rows = sqlx::query(SQL)
        .bind(&ids)
        .fetch_all(tx)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| Ok((text(r, "id")?, (context_from(r)?, ids_of(r)?))))
        .collect()
}

async fn email_by_id(tx: &mut PgConnection, id: &str) -> StoreResult<EmailRecord> {
    const SQL: &str = concat!(
        "SELECT ",
        email_columns!(),
        " FROM emails e WHERE e.id = $1"
    );
    let row = sqlx::query(SQL)
        .bind(id)
        .fetch_optional(tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound {
            what: Entity::Email,
        })?;
    email_from(&row, "e_")
}

/// The line's mail that decisions read: every email still waiting, and every one queued
/// since `since`, oldest first.
async fn mail_facts(
    tx: &mut PgConnection,
    line_id: &str,
    since: Timestamp,
) -> StoreResult<Vec<MailFact>> {
    let rows = sqlx::query(
        "SELECT e.id, e.kind, e.recipient, e.state, e.queued_at, e.requested_by
         FROM emails e
         WHERE e.line_id = $1 AND (e.queued_at >= $2 OR e.next_attempt_at IS NOT NULL)
         ORDER BY e.seq",
    )
    .bind(line_id)
    .bind(Ts(since))
    .fetch_all(tx)
    .await
    .map_err(db)?;
    rows.iter().map(mail_fact_from).collect()
}

fn mail_fact_from(r: &PgRow) -> StoreResult<MailFact> {
    Ok(MailFact {
        id: uuid(&text(r, "id")?)?,
        kind: stored("email kind", EmailKind::parse(&text(r, "kind")?))?,
        to: stored(
            "recipient",
            ContactEmail::from_stored(&text(r, "recipient")?),
        )?,
        state: stored("email state", EmailState::parse(&text(r, "state")?))?,
        queued_at: col_ts(r, "queued_at")?,
        requested_by: crate::lines::opt_user(r, "requested_by")?,
    })
}
