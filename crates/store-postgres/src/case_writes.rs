//! Support cases written: opening one with its attachments (reading, inside the writing
//! transaction, what the domain's opening decision needs), and every decision's effects
//! written over the case's version (the state, the comment, the events, the notices through
//! the outbox's one insert).
//!
//! What several instances need: the line's row is locked while its open cases are read, the
//! opener's row while their openings of the last hour are counted (the rate limit holds
//! across instances) (an opening and a line action, or two openings, take turns); a change of a
//! case locks the case's row while it reads its facts and writes over the version read
//! (compare-and-set); the unique key `cases_one_open` stays the last line of defence.

use jiff::Timestamp;
use provisio_domain::case::OpeningFacts;
use provisio_domain::case::resend_answered;
use provisio_domain::case::{Answered, CaseEffects, CaseFacts, NewComment, Note, Opener};
use provisio_domain::delivery::Outcome;
use provisio_domain::rate_limit::WINDOW;
use provisio_domain::{
    CaseId, CaseRequestType, CaseState, CompanyId, ContactEmail, Locale, Recipient, Refusal,
    SubRef, UserId,
};
use provisio_store::{
    CaseRule, Entity, Finished, LineContext, MailSubject, NewCaseRecord, OpenRule, StoreError,
    StoreResult,
};
use serde_json::json;
use sqlx::PgConnection;

use crate::cases::{case_from, case_select};
use crate::changes::{LineIds, MailRow, insert_email};
use crate::events::{EventScope, insert_events};
use crate::lines::{opt_text, text};
use crate::{Ts, col_ts, db, stored, unique_violation, uuid};

/// A note's stored form: the person's text, or the service's facts.
fn note_row(note: &Note) -> (Option<&str>, Option<String>) {
    match note {
        Note::Text(t) => (Some(t.as_str()), None),
        Note::ResendQueued { email_id, to } => (
            None,
            Some(json!({"email_id": email_id.to_string(), "to": to}).to_string()),
        ),
        Note::ResendAnswered {
            email_id,
            to,
            result,
            reply,
        } => {
            let result = match result {
                Answered::Accepted => "accepted",
                Answered::Refused => "refused",
                Answered::Deferred => "deferred",
            };
            let data = json!({"email_id": email_id.to_string(), "to": to, "result": result,
                              "reply": reply});
            (None, Some(data.to_string()))
        }
        Note::Onboarded { organization } => (
            None,
            Some(json!({"organization": organization}).to_string()),
        ),
    }
}

pub(crate) async fn insert_comment(
    tx: &mut PgConnection,
    case: CaseId,
    comment: &NewComment,
    now: Timestamp,
) -> StoreResult<()> {
    let (body, data) = note_row(&comment.note);
    sqlx::query(
        "INSERT INTO case_comments (id, case_id, author_id, internal, kind, body, data, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(comment.id.to_string())
    .bind(case.to_string())
    .bind(comment.author.map(|a| a.to_string()))
    .bind(comment.internal)
    .bind(comment.note.kind())
    .bind(body)
    .bind(data)
    .bind(Ts(now))
    .execute(tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes a decision's effects on a case: its state over the version read (a writer that
/// lost a race gets `Retryable`), the comment, the events, the notices.
pub(crate) async fn write_case_effects(
    tx: &mut PgConnection,
    effects: &CaseEffects,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let id = effects.case.to_string();
    if let Some(w) = &effects.write {
        let written = sqlx::query(
            "UPDATE cases SET state = $1, claimed_by = $2, first_answer_at = $3,
                 resolved_at = $4, version = version + 1
             WHERE id = $5 AND version = $6",
        )
        .bind(w.state.as_str())
        .bind(w.claimed_by.map(|u| u.to_string()))
        .bind(w.first_answer_at.map(Ts))
        .bind(w.resolved_at.map(Ts))
        .bind(&id)
        .bind(i64::from(effects.version))
        .execute(&mut *tx)
        .await
        .map_err(|e| match unique_violation(&e) {
            // A reopening beside a case of the same line that another instance opened
            // meanwhile (`cases_one_open`): run again, the decision sees it.
            Some(_) => StoreError::Retryable(format!("case {id}: an open case was opened first")),
            None => db(e),
        })?;
        if written.rows_affected() == 0 {
            return Err(StoreError::Retryable(format!(
                "case {id} changed since it was read"
            )));
        }
    }
    if let Some(comment) = &effects.comment {
        insert_comment(tx, effects.case, comment, now).await?;
    }
    let scope = EventScope {
        case_id: Some(&id),
        ..EventScope::default()
    };
    insert_events(tx, scope, &effects.events, actor, now).await?;
    for mail in &effects.queue {
        // A case notice: about the case its mail names.
        let row = MailRow {
            line_id: None,
            case_id: mail.case.map(|c| c.case.to_string()),
        };
        insert_email(tx, row, mail, now).await?;
    }
    Ok(())
}

/// The open cases of a line: what a decision on the line reads (onboarding resolves them).
/// Locked until the line's transaction ends, so a change of one of them waits for it.
pub(crate) async fn open_cases_of_line(
    tx: &mut PgConnection,
    line_id: &str,
) -> StoreResult<Vec<CaseFacts>> {
    const SQL: &str = concat!(
        case_select!(),
        "WHERE c.line_id = $1 AND c.state <> 'resolved' ORDER BY c.seq FOR NO KEY UPDATE OF c"
    );
    let rows = sqlx::query(SQL)
        .bind(line_id)
        .fetch_all(tx)
        .await
        .map_err(db)?;
    rows.iter().map(|r| Ok(case_from(r)?.facts)).collect()
}

/// The case facts of `id` inside a transaction, the case's row locked until it ends: a
/// decision on it and its write take their turn against another instance's.
async fn facts_tx(tx: &mut PgConnection, id: &str) -> StoreResult<Option<CaseFacts>> {
    const SQL: &str = concat!(case_select!(), "WHERE c.id = $1 FOR NO KEY UPDATE OF c");
    let row = sqlx::query(SQL)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let Some(mut facts) = row.as_ref().map(case_from).transpose()?.map(|c| c.facts) else {
        return Ok(None);
    };
    // A resolved case: the open one of its line and request type that reopening it would
    // stand beside (the candidate the unique key `cases_one_open` would collide with).
    if let (CaseState::Resolved, Some(line)) = (facts.state, &facts.line) {
        facts.open_beside =
            open_case_of(tx, line, facts.request_type, facts.opener.company).await?;
    }
    Ok(Some(facts))
}

/// The open case of a line and request type opened by a company: the candidate the unique
/// key `cases_one_open` would collide with.
async fn open_case_of(
    tx: &mut PgConnection,
    line: &SubRef,
    request_type: CaseRequestType,
    company: CompanyId,
) -> StoreResult<Option<CaseId>> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT c.id FROM cases c JOIN lines l ON l.id = c.line_id
         WHERE l.sub_ref = $1 AND c.request_type = $2 AND c.company_id = $3
           AND c.state <> 'resolved'
         LIMIT 1",
    )
    .bind(line.as_str())
    .bind(request_type.as_str())
    .bind(company.to_string())
    .fetch_optional(tx)
    .await
    .map_err(db)?;
    found
        .map(|id| Ok(CaseId::from_uuid(uuid(&id)?)))
        .transpose()
}

/// The opener, their row locked until the opening's transaction ends: two openings by one
/// person (on two instances) take turns, so the second counts the first.
async fn opener(tx: &mut PgConnection, user: UserId) -> StoreResult<Opener> {
    let row = sqlx::query(
        "SELECT company_id, email, name, locale FROM users WHERE id = $1 FOR NO KEY UPDATE",
    )
    .bind(user.to_string())
    .fetch_optional(tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound { what: Entity::User })?;
    let locale = match opt_text(&row, "locale")? {
        Some(l) => stored("locale", Locale::parse(&l))?,
        None => Locale::En,
    };
    Ok(Opener {
        user,
        company: CompanyId::from_uuid(uuid(&text(&row, "company_id")?)?),
        to: Recipient {
            email: stored("email", ContactEmail::parse(&text(&row, "email")?))?,
            name: Some(text(&row, "name")?),
            locale,
        },
    })
}

/// What the opening decision reads: the opener's openings of the last hour, and the open
/// cases of the line and request type by company (the line's row locked meanwhile).
async fn opening_facts(
    tx: &mut PgConnection,
    new: &NewCaseRecord,
    line_id: Option<&str>,
) -> StoreResult<OpeningFacts> {
    let opened_recently =
        sqlx::query("SELECT opened_at FROM cases WHERE opened_by = $1 AND opened_at > $2")
            .bind(new.opener.to_string())
            .bind(Ts(new.now - WINDOW))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
            .iter()
            .map(|r| col_ts(r, "opened_at"))
            .collect::<StoreResult<Vec<_>>>()?;
    let open_for_line = match line_id {
        Some(line) => sqlx::query_as::<_, (String, String)>(
            "SELECT id, company_id FROM cases
             WHERE line_id = $1 AND request_type = $2 AND state <> 'resolved'
             ORDER BY seq",
        )
        .bind(line)
        .bind(new.request_type.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .into_iter()
        .map(|(id, company)| {
            Ok((
                CaseId::from_uuid(uuid(&id)?),
                CompanyId::from_uuid(uuid(&company)?),
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?,
        None => vec![],
    };
    Ok(OpeningFacts {
        opened_recently,
        open_for_line,
    })
}

pub(crate) async fn open(
    tx: &mut PgConnection,
    new: &NewCaseRecord,
    decide: OpenRule<'_>,
) -> StoreResult<Result<CaseId, Refusal>> {
    let order_id: String = sqlx::query_scalar("SELECT id FROM orders WHERE web_order_id = $1")
        .bind(new.order.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound {
            what: Entity::Order,
        })?;
    let line_id: Option<String> = match &new.line {
        Some(sub_ref) => Some(
            sqlx::query_scalar(
                "SELECT id FROM lines WHERE sub_ref = $1 AND order_id = $2 FOR NO KEY UPDATE",
            )
            .bind(sub_ref.as_str())
            .bind(&order_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound { what: Entity::Line })?,
        ),
        None => None,
    };
    let opener = opener(tx, new.opener).await?;
    let facts = opening_facts(tx, new, line_id.as_deref()).await?;
    let opened = match decide(&facts, opener) {
        Ok(o) => o,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let case = &opened.case;
    let case_id = case.id.to_string();
    sqlx::query(
        "INSERT INTO cases (id, request_type, state, company_id, opened_by, order_id, line_id,
             description, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&case_id)
    .bind(case.request_type.as_str())
    .bind(case.state.as_str())
    .bind(case.opener.company.to_string())
    .bind(case.opener.user.to_string())
    .bind(&order_id)
    .bind(&line_id)
    .bind(&new.description)
    .bind(Ts(new.now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match unique_violation(&e) {
        // Another opener's case for the same line and request committed first.
        Some(_) => StoreError::Retryable("an open case was opened first".into()),
        None => db(e),
    })?;
    if !new.attachments.is_empty() {
        let n: Vec<i32> = (1..=new.attachments.len())
            .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
            .collect();
        let names: Vec<&str> = new
            .attachments
            .iter()
            .map(|a| a.filename.as_str())
            .collect();
        let types: Vec<&str> = new
            .attachments
            .iter()
            .map(|a| a.content_type.as_str())
            .collect();
        let sizes: Vec<i32> = new
            .attachments
            .iter()
            .map(|a| i32::try_from(a.bytes.len()).unwrap_or(i32::MAX))
            .collect();
        let bytes: Vec<&[u8]> = new.attachments.iter().map(|a| a.bytes.as_slice()).collect();
        sqlx::query(
            "INSERT INTO case_attachments (case_id, n, filename, content_type, size, bytes)
             SELECT $1, a.n, a.filename, a.content_type, a.size, a.bytes
             FROM unnest($2::integer[], $3::text[], $4::text[], $5::integer[], $6::bytea[])
                 AS a (n, filename, content_type, size, bytes)",
        )
        .bind(&case_id)
        .bind(&n)
        .bind(&names)
        .bind(&types)
        .bind(&sizes)
        .bind(&bytes)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    write_case_effects(tx, &opened.effects, Some(new.opener), new.now).await?;
    Ok(Ok(case.id))
}

pub(crate) async fn update(
    tx: &mut PgConnection,
    id: CaseId,
    actor: Option<UserId>,
    now: Timestamp,
    decide: CaseRule<'_>,
) -> StoreResult<Option<Result<(), Refusal>>> {
    let Some(facts) = facts_tx(tx, &id.to_string()).await? else {
        return Ok(None);
    };
    match decide(&facts) {
        Ok(effects) => {
            write_case_effects(tx, &effects, actor, now).await?;
            Ok(Some(Ok(())))
        }
        Err(refusal) => Ok(Some(Err(refusal))),
    }
}

/// What a claimed case notice is about: the case as it stands, the comment it reports, the
/// case's line (already loaded with the claim's other lines).
pub(crate) async fn case_subject(
    tx: &mut PgConnection,
    case_id: &str,
    comment: Option<&str>,
    line: Option<&(LineContext, LineIds)>,
) -> StoreResult<MailSubject> {
    let case = crate::cases::record(tx, CaseId::from_uuid(uuid(case_id)?))
        .await?
        .ok_or(StoreError::NotFound { what: Entity::Case })?;
    Ok(MailSubject::Case {
        case: Box::new(case),
        comment: comment.map(uuid).transpose()?,
        line: line.map(|(l, _)| Box::new(l.clone())),
    })
}

/// The SMTP server answered a resend support made from a case: the domain says whether the
/// case gets a note (the acceptance, the refusal, the first deferral).
pub(crate) async fn note_answer(
    tx: &mut PgConnection,
    case: &str,
    f: &Finished,
) -> StoreResult<()> {
    let result = match &f.outcome {
        Outcome::Sent { .. } => Answered::Accepted,
        Outcome::RetryAt { .. } => Answered::Deferred,
        Outcome::Failed { .. } => Answered::Refused,
    };
    let mut ids = || provisio_domain::MailId {
        id: uuid::Uuid::now_v7(),
        message_id: String::new(),
    };
    let reply = Some(f.outcome.reply()).filter(|r| !r.is_empty());
    if let Some(note) = resend_answered(
        f.email_id,
        f.to.as_str(),
        result,
        f.attempt,
        reply,
        &mut ids,
    ) {
        let case = CaseId::from_uuid(uuid(case)?);
        insert_comment(tx, case, &note, f.at).await?;
    }
    Ok(())
}
