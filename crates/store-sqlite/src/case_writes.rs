//! Support cases written: opening one with its attachments (reading, inside the writing
//! transaction, what the domain's opening decision needs), and every decision's effects
//! written over the case's version (the state, the comment, the events, the notices through
//! the outbox's one insert).

use jiff::Timestamp;
use provisio_domain::case::{CaseEffects, CaseFacts, NewComment, Opener, OpeningFacts};
use provisio_domain::rate_limit::WINDOW;
use provisio_domain::{
    CaseId, CaseRequestType, CaseState, CompanyId, ContactEmail, Locale, Recipient, Refusal,
    SubRef, UserId,
};
use provisio_store::{
    CaseRule, Entity, Finished, LineContext, MailSubject, NewCaseRecord, OpenRule, StoreError,
    StoreResult,
};
use rusqlite::{OptionalExtension, params};

use crate::cases::{CASE_SELECT, case_from, case_row};
use crate::changes::{EventScope, LineIds, MailRow, insert_email, insert_events};
use crate::writer::{Constraint, Tx, constraint};
use crate::{db, opt_ts, parse_ts, rows, stored, ts, uuid};

use provisio_store::rows::note_row;

pub(crate) fn insert_comment(
    tx: &Tx,
    case: CaseId,
    comment: &NewComment,
    now: Timestamp,
) -> StoreResult<()> {
    let (body, data) = note_row(&comment.note);
    tx.prepare_cached(
        "INSERT INTO case_comments (id, case_id, author_id, internal, kind, body, data, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            comment.id.to_string(),
            case.to_string(),
            comment.author.map(|a| a.to_string()),
            comment.internal,
            comment.note.kind(),
            body,
            data,
            ts(now)
        ])
    })
    .map_err(db)?;
    Ok(())
}

/// Writes a decision's effects on a case: its state over the version read (a writer that
/// lost a race gets `Retryable`), the comment, the events, the notices.
pub(crate) fn write_case_effects(
    tx: &Tx,
    effects: &CaseEffects,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let id = effects.case.to_string();
    if let Some(w) = &effects.write {
        let written = tx
            .prepare_cached(
                "UPDATE cases SET state = ?, claimed_by = ?, first_answer_at = ?, resolved_at = ?,
                     version = version + 1
                 WHERE id = ? AND version = ?",
            )
            .and_then(|mut q| {
                q.execute(params![
                    w.state.as_str(),
                    w.claimed_by.map(|u| u.to_string()),
                    opt_ts(w.first_answer_at),
                    opt_ts(w.resolved_at),
                    id,
                    effects.version
                ])
            })
            .map_err(db)?;
        if written == 0 {
            return Err(StoreError::Retryable(format!(
                "case {id} changed since it was read"
            )));
        }
    }
    if let Some(comment) = &effects.comment {
        insert_comment(tx, effects.case, comment, now)?;
    }
    let scope = EventScope {
        case_id: Some(&id),
        ..EventScope::default()
    };
    insert_events(tx, scope, &effects.events, actor, now)?;
    for mail in &effects.queue {
        insert_email(tx, MailRow::of(mail), mail, now)?;
    }
    Ok(())
}

/// The open cases of a line: what a decision on the line reads (onboarding resolves them).
pub(crate) fn open_cases_of_line(tx: &Tx, line_id: &str) -> StoreResult<Vec<CaseFacts>> {
    let sql = format!("{CASE_SELECT} WHERE c.line_id = ? AND c.state <> 'resolved'");
    Ok(rows(tx, &sql, [line_id], |r| case_from(r))?
        .into_iter()
        .map(|c| c.facts)
        .collect())
}

/// The case facts of `id` inside a transaction.
pub(crate) fn facts_tx(tx: &Tx, id: &str) -> StoreResult<Option<CaseFacts>> {
    let Some(mut facts) = case_row(tx, id)?.map(|c| c.facts) else {
        return Ok(None);
    };
    // A resolved case: the open one of its line and request type that reopening it would
    // stand beside (the candidate the unique key `cases_one_open` would collide with).
    if let (CaseState::Resolved, Some(line)) = (facts.state, &facts.line) {
        facts.open_beside = open_case_of(tx, line, facts.request_type, facts.opener.company)?;
    }
    Ok(Some(facts))
}

/// The open case of a line and request type opened by a company: the candidate the unique
/// key `cases_one_open` would collide with.
fn open_case_of(
    tx: &Tx,
    line: &SubRef,
    request_type: CaseRequestType,
    company: CompanyId,
) -> StoreResult<Option<CaseId>> {
    let found = rows(
        tx,
        "SELECT c.id FROM cases c JOIN lines l ON l.id = c.line_id
         WHERE l.sub_ref = ? AND c.request_type = ? AND c.company_id = ?
           AND c.state <> 'resolved'",
        params![line.as_str(), request_type.as_str(), company.to_string()],
        |r| Ok(CaseId::from_uuid(uuid(&r.text("id")?)?)),
    )?;
    Ok(found.into_iter().next())
}

pub(crate) fn open(
    tx: &Tx,
    new: &NewCaseRecord,
    decide: OpenRule<'_>,
) -> StoreResult<Result<CaseId, Refusal>> {
    let order_id: String = tx
        .prepare_cached("SELECT id FROM orders WHERE web_order_id = ?")
        .and_then(|mut q| q.query_row([new.order.as_str()], |r| r.get(0)).optional())
        .map_err(db)?
        .ok_or(StoreError::NotFound {
            what: Entity::Order,
        })?;
    let line_id: Option<String> = match &new.line {
        Some(sub_ref) => Some(
            tx.prepare_cached("SELECT id FROM lines WHERE sub_ref = ? AND order_id = ?")
                .and_then(|mut q| {
                    q.query_row(params![sub_ref.as_str(), order_id], |r| r.get(0))
                        .optional()
                })
                .map_err(db)?
                .ok_or(StoreError::NotFound { what: Entity::Line })?,
        ),
        None => None,
    };
    let opener = rows(
        tx,
        "SELECT company_id, email, name, locale FROM users WHERE id = ?",
        [new.opener.to_string()],
        |r| {
            let locale = match r.opt_text("locale")? {
                Some(l) => stored("locale", Locale::parse(&l))?,
                None => Locale::En,
            };
            Ok(Opener {
                user: new.opener,
                company: CompanyId::from_uuid(uuid(&r.text("company_id")?)?),
                to: Recipient {
                    email: stored("email", ContactEmail::from_stored(&r.text("email")?))?,
                    name: Some(r.text("name")?),
                    locale,
                },
            })
        },
    )?
    .into_iter()
    .next()
    .ok_or(StoreError::NotFound { what: Entity::User })?;
    let opened_recently = rows(
        tx,
        "SELECT opened_at FROM cases WHERE opened_by = ? AND opened_at > ?",
        params![new.opener.to_string(), ts(new.now - WINDOW)],
        |r| parse_ts(&r.text("opened_at")?),
    )?;
    // The candidates: the open cases of the line and request type, by company.
    let open_for_line = match &line_id {
        Some(line) => rows(
            tx,
            "SELECT id, company_id FROM cases
             WHERE line_id = ? AND request_type = ? AND state <> 'resolved'",
            params![line, new.request_type.as_str()],
            |r| {
                Ok((
                    CaseId::from_uuid(uuid(&r.text("id")?)?),
                    CompanyId::from_uuid(uuid(&r.text("company_id")?)?),
                ))
            },
        )?,
        None => vec![],
    };
    let facts = OpeningFacts {
        opened_recently,
        open_for_line,
    };
    let opened = match decide(&facts, opener) {
        Ok(o) => o,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let case = &opened.case;
    tx.prepare_cached(
        "INSERT INTO cases (id, request_type, state, company_id, opened_by, order_id, line_id,
             description, opened_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            case.id.to_string(),
            case.request_type.as_str(),
            case.state.as_str(),
            case.opener.company.to_string(),
            case.opener.user.to_string(),
            order_id,
            line_id,
            new.description,
            ts(new.now)
        ])
    })
    .map_err(|e| match constraint(&e) {
        // Another opener's case for the same line and request committed first.
        Some(Constraint::Unique) => StoreError::Retryable("an open case was opened first".into()),
        _ => db(e),
    })?;
    let mut attach = tx
        .prepare_cached(
            "INSERT INTO case_attachments (case_id, n, filename, content_type, size, bytes)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .map_err(db)?;
    for (i, a) in new.attachments.iter().enumerate() {
        attach
            .execute(params![
                case.id.to_string(),
                i64::try_from(i + 1).unwrap_or(i64::MAX),
                a.filename,
                a.content_type,
                i64::try_from(a.bytes.len()).unwrap_or(i64::MAX),
                a.bytes
            ])
            .map_err(db)?;
    }
    write_case_effects(tx, &opened.effects, Some(new.opener), new.now)?;
    Ok(Ok(case.id))
}

pub(crate) fn update(
    tx: &Tx,
    id: CaseId,
    actor: Option<UserId>,
    now: Timestamp,
    decide: CaseRule<'_>,
) -> StoreResult<Option<Result<(), Refusal>>> {
    let Some(facts) = facts_tx(tx, &id.to_string())? else {
        return Ok(None);
    };
    match decide(&facts) {
        Ok(effects) => {
            write_case_effects(tx, &effects, actor, now)?;
            Ok(Some(Ok(())))
        }
        Err(refusal) => Ok(Some(Err(refusal))),
    }
}

/// What a claimed case notice is about: the case as it stands, the comment it reports, the
/// case's line (already loaded with the claim's other lines).
pub(crate) fn case_subject(
    tx: &Tx,
    case_id: &str,
    comment: Option<&str>,
    line: Option<&(LineContext, LineIds)>,
) -> StoreResult<MailSubject> {
    let case = crate::cases::record(tx, CaseId::from_uuid(uuid(case_id)?))?
        .ok_or(StoreError::NotFound { what: Entity::Case })?;
    Ok(MailSubject::Case {
        case: Box::new(case),
        comment: comment.map(uuid).transpose()?,
        line: line.map(|(l, _)| Box::new(l.clone())),
    })
}

/// The SMTP server answered a resend support made from a case: the domain says whether the
/// case gets a note (the acceptance, the refusal, the first deferral).
pub(crate) fn note_answer(tx: &Tx, case: &str, f: &Finished) -> StoreResult<()> {
    if let Some(note) = provisio_store::resend_answer_note(f) {
        let case = CaseId::from_uuid(uuid(case)?);
        insert_comment(tx, case, &note, f.at)?;
    }
    Ok(())
}
