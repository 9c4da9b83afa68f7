//! Support cases written: every decision's effects written over the case's version (the
//! state, the comment, the events, the notices through the outbox's one insert), the changes
//! of a case, and the notes on what a case's resend got from the SMTP server. Opening one is
//! `case_open.rs`.
//!
//! What several instances need: a change of a case locks the case's row while it reads its
//! facts, and writes over the version read (compare-and-set); a line's decision locks the
//! line's open cases it reads; the unique key `cases_one_open` stays the last line of
//! defence (a reopening that would break it is retried).

use jiff::Timestamp;
use provisio_domain::case::{CaseEffects, CaseFacts, NewComment};
use provisio_domain::{CaseId, CaseRequestType, CaseState, CompanyId, Refusal, SubRef, UserId};
use provisio_store::{
    CaseRule, Entity, Finished, LineContext, MailSubject, StoreError, StoreResult,
};
use sqlx::PgConnection;

use crate::cases::{case_from, case_select};
use crate::changes::{LineIds, MailRow, insert_email};
use crate::events::{EventScope, insert_events};
use crate::{Ts, db, unique_violation, uuid};

use provisio_store::rows::note_row;

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
        insert_email(tx, MailRow::of(mail), mail, now).await?;
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
    if let Some(note) = provisio_store::resend_answer_note(f) {
        let case = CaseId::from_uuid(uuid(case)?);
        insert_comment(tx, case, &note, f.at).await?;
    }
    Ok(())
}
