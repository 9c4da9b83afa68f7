//! The write path of every line action: read the line inside a `BEGIN IMMEDIATE` transaction,
//! let the domain decide, write state + events + outbox row together.

use jiff::Timestamp;
use provisio_domain::{ContactEmail, Event, LinkState, SubRef, UserId};
use provisio_store::{
    Decide, Decided, Decision, EmailRecord, LineChange, LineContext, LineSnapshot, Organization,
    ResendRecord, SetupLink, StoreError, StoreResult, UpdateRequest,
};
use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use crate::lines::{context_from, email_from, line_context_select, opt_text, text};
use crate::{SqliteStore, db, idempotency, opt_ts, stored, ts, uuid};

pub(crate) type Tx = Transaction<'static, Sqlite>;

/// The ids a change needs besides the domain values.
pub(crate) struct LineIds {
    pub line_id: String,
    pub order_id: String,
}

pub(crate) async fn context_tx(
    tx: &mut Tx,
    sub_ref: &SubRef,
) -> StoreResult<Option<(LineContext, LineIds)>> {
    let row = sqlx::query(concat!(line_context_select!(), "WHERE l.sub_ref = ?"))
        .bind(sub_ref.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(|r| Ok((context_from(&r)?, ids_of(&r)?)))
        .transpose()
}

/// Several lines by reference in one query, keyed by reference.
pub(crate) async fn contexts_tx(
    tx: &mut Tx,
    sub_refs: impl IntoIterator<Item = &str>,
) -> StoreResult<HashMap<String, (LineContext, LineIds)>> {
    let refs: Vec<&str> = sub_refs.into_iter().collect();
    if refs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query(concat!(
        line_context_select!(),
        "WHERE l.sub_ref IN (SELECT value FROM json_each(?))"
    ))
    .bind(serde_json::to_string(&refs).map_err(StoreError::backend)?)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| Ok((text(r, "sub_ref")?, (context_from(r)?, ids_of(r)?))))
        .collect()
}

pub(crate) fn ids_of(row: &SqliteRow) -> StoreResult<LineIds> {
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
         e.last_reply AS e_last_reply"
    };
}
pub(crate) use email_columns;

async fn email_by_id(tx: &mut Tx, id: &str) -> StoreResult<EmailRecord> {
    let row = sqlx::query(concat!(
        "SELECT ",
        email_columns!(),
        " FROM emails e WHERE e.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound { what: "email" })?;
    email_from(&row, "e_")
}

async fn recent_resends(
    tx: &mut Tx,
    line_id: &str,
    since: Timestamp,
) -> StoreResult<Vec<ResendRecord>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        email_columns!(),
        ", e.requested_by FROM emails e
         WHERE e.line_id = ? AND e.kind = 'resend' AND e.queued_at >= ? ORDER BY e.seq"
    ))
    .bind(line_id)
    .bind(ts(since))
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(ResendRecord {
                email: email_from(r, "e_")?,
                requested_by: opt_text(r, "requested_by")?
                    .map(|id| uuid(&id).map(UserId::from_uuid))
                    .transpose()?,
            })
        })
        .collect()
}

pub(crate) async fn update_line(
    s: &SqliteStore,
    sub_ref: &SubRef,
    request: UpdateRequest,
    decide: Decide,
) -> StoreResult<Option<Decided>> {
    let mut tx = s.begin().await?;
    let Some((line, ids)) = context_tx(&mut tx, sub_ref).await? else {
        return Ok(None);
    };
    if let Some(key) = &request.idempotency
        && let Some(email_id) = idempotency::replay(&mut tx, key).await?
    {
        let email = email_by_id(&mut tx, &email_id).await?;
        tx.commit().await.map_err(db)?;
        return Ok(Some(Decided::Replayed { line, email }));
    }
    let recent_resends = recent_resends(&mut tx, &ids.line_id, request.resends_since).await?;
    let snapshot = LineSnapshot {
        line,
        recent_resends,
    };
    let decided = match decide(&snapshot) {
        Decision::Apply(change) => {
            let change = *change;
            let email = write_change(&mut tx, &ids, change, request.actor, request.now).await?;
            let email = match email {
                Some(id) => {
                    if let Some(key) = &request.idempotency {
                        idempotency::remember(&mut tx, key, "email", &id, request.now).await?;
                    }
                    Some(email_by_id(&mut tx, &id).await?)
                }
                None => None,
            };
            let (line, _) = context_tx(&mut tx, sub_ref)
                .await?
                .ok_or(StoreError::NotFound { what: "line" })?;
            Decided::Applied { line, email }
        }
        Decision::Refuse { refusal, events } => {
            write_events(&mut tx, &ids, &events, request.actor, request.now).await?;
            Decided::Refused(refusal)
        }
        Decision::Replay(email) => Decided::Replayed {
            line: snapshot.line,
            email,
        },
    };
    tx.commit().await.map_err(db)?;
    Ok(Some(decided))
}

pub(crate) async fn write_events(
    tx: &mut Tx,
    ids: &LineIds,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    for event in events {
        sqlx::query(
            "INSERT INTO events (order_id, line_id, type, at, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&ids.order_id)
        .bind(&ids.line_id)
        .bind(event.kind.as_str())
        .bind(ts(now))
        .bind(actor.map(|a| a.to_string()))
        .bind(event.data.to_string())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Writes one decided change; returns the id of the email it queued.
pub(crate) async fn write_change(
    tx: &mut Tx,
    ids: &LineIds,
    change: LineChange,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Option<String>> {
    let st = &change.state;
    sqlx::query(
        "UPDATE lines SET stage = ?, status = ?, closed_reason = ?, closed_at = ?, first_sent_at = ?,
             closes_at = ?
         WHERE id = ?",
    )
    .bind(st.stage.as_str())
    .bind(st.status.as_str())
    .bind(st.closed_reason.map(|r| r.as_str()))
    .bind(opt_ts(st.closed_at))
    .bind(opt_ts(st.first_sent_at))
    .bind(opt_ts(st.closes_at))
    .bind(&ids.line_id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    if let Some(contact) = &change.contact {
        sqlx::query(
            "UPDATE lines SET contact_email = ?, contact_name = ?, locale = ? WHERE id = ?",
        )
        .bind(contact.email.as_str())
        .bind(&contact.name)
        .bind(contact.locale.as_str())
        .bind(&ids.line_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    if let Some(org) = &change.organization {
        sqlx::query("UPDATE lines SET organization_id = ?, organization_name = ? WHERE id = ?")
            .bind(&org.id)
            .bind(&org.name)
            .bind(&ids.line_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    if let Some(link) = change.links {
        sqlx::query("UPDATE emails SET link = ? WHERE line_id = ? AND link = 'live'")
            .bind(link.as_str())
            .bind(&ids.line_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    if change.cancel_pending {
        sqlx::query(
            "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL
             WHERE line_id = ? AND state IN ('queued', 'retrying')",
        )
        .bind(&ids.line_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    let mut queued = None;
    if let Some(email) = &change.email {
        let id = email.id.to_string();
        sqlx::query(
            "INSERT INTO emails (id, line_id, kind, recipient, recipient_name, locale, requested_by,
                 message_id, state, queued_at, next_attempt_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
        )
        .bind(&id)
        .bind(&ids.line_id)
        .bind(email.kind.as_str())
        .bind(email.to.as_str())
        .bind(&email.to_name)
        .bind(email.locale.as_str())
        .bind(email.requested_by.map(|u| u.to_string()))
        .bind(&email.message_id)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        queued = Some(id);
    }
    write_events(tx, ids, &change.events, actor, now).await?;
    Ok(queued)
}

pub(crate) async fn line_emails(
    pool: &SqlitePool,
    sub_ref: &SubRef,
) -> StoreResult<Vec<EmailRecord>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        email_columns!(),
        " FROM emails e JOIN lines l ON l.id = e.line_id WHERE l.sub_ref = ? ORDER BY e.seq DESC"
    ))
    .bind(sub_ref.as_str())
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter().map(|r| email_from(r, "e_")).collect()
}

pub(crate) async fn setup_link(
    pool: &SqlitePool,
    token_hash: &str,
) -> StoreResult<Option<SetupLink>> {
    let row = sqlx::query(
        "SELECT e.id, e.link, l.sub_ref FROM emails e JOIN lines l ON l.id = e.line_id
         WHERE e.token_hash = ?",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let sub_ref = stored("sub_ref", SubRef::parse(&text(&row, "sub_ref")?))?;
    let line = crate::lines::by_ref(pool, &sub_ref)
        .await?
        .ok_or(StoreError::NotFound { what: "line" })?;
    Ok(Some(SetupLink {
        email_id: uuid(&text(&row, "id")?)?,
        link: stored("link state", LinkState::parse(&text(&row, "link")?))?,
        line,
    }))
}

pub(crate) async fn organizations_of(
    pool: &SqlitePool,
    contact: &ContactEmail,
) -> StoreResult<Vec<Organization>> {
    let rows = sqlx::query(
        "SELECT DISTINCT organization_id, organization_name FROM lines
         WHERE contact_email = ? AND organization_id IS NOT NULL ORDER BY organization_name",
    )
    .bind(contact.as_str())
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Organization {
                id: r.try_get("organization_id").map_err(db)?,
                name: r.try_get("organization_name").map_err(db)?,
            })
        })
        .collect()
}

pub(crate) async fn clock_offset(pool: &SqlitePool) -> StoreResult<i64> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE name = 'clock_offset_micros'")
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    value.map_or(Ok(0), |v| stored("clock offset", v.parse::<i64>()))
}

pub(crate) async fn advance_clock_offset(s: &SqliteStore, micros: i64) -> StoreResult<i64> {
    let value: String = sqlx::query_scalar(
        "INSERT INTO settings (name, value) VALUES ('clock_offset_micros', ?1)
         ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ?1 AS TEXT)
         RETURNING value",
    )
    .bind(micros)
    .fetch_one(&s.writer)
    .await
    .map_err(db)?;
    stored("clock offset", value.parse::<i64>())
}
