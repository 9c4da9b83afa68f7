//! Support cases: opening (with attachments), read-decide-write of every change over the
//! case's version, the conversation, lists and attachment bytes. What a change does is the
//! domain's decision (`provisio_domain::case`); this module reads facts and writes effects.

use jiff::Timestamp;
use provisio_domain::case::{
    Answered, CaseEffects, CaseFacts, CaseText, NewComment, Note, Opener, OpeningFacts,
};
use provisio_domain::rate_limit::WINDOW;
use provisio_domain::{
    CaseId, CaseRequestType, CaseState, CompanyId, CompanyKind, ContactEmail, Locale, Recipient,
    Refusal, SubRef, UserId, WebOrderId,
};
use provisio_store::{
    AttachmentFile, AttachmentMeta, CaseOrder, CaseQuery, CaseRecord, CaseRule, CaseSummary,
    CommentRecord, Company, Entity, NewCaseRecord, OpenRule, Page, Person, StoreError, StoreResult,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::changes::{EventScope, MailRow, insert_email, insert_events};
use crate::lines::page;
use crate::writer::{Constraint, Tx, constraint};
use crate::{Named, db, opt_ts, parse_opt_ts, parse_ts, rows, stored, ts, uuid};

/// The columns of a case with its opener, company, claimer and line.
const CASE_SELECT: &str = "SELECT c.seq, c.id, c.request_type, c.state, c.description, c.opened_at,
        c.first_answer_at, c.resolved_at, c.version, c.company_id, co.name AS co_name,
        co.kind AS co_kind, c.opened_by, ou.name AS ou_name, ou.email AS ou_email,
        ou.locale AS ou_locale, c.claimed_by, cu.name AS cu_name, cu.email AS cu_email,
        o.web_order_id, l.sub_ref
    FROM cases c
    JOIN companies co ON co.id = c.company_id
    JOIN users ou ON ou.id = c.opened_by
    LEFT JOIN users cu ON cu.id = c.claimed_by
    JOIN orders o ON o.id = c.order_id
    LEFT JOIN lines l ON l.id = c.line_id ";

/// A case row as read: its facts and what lists and pages show.
struct CaseRow {
    seq: i64,
    facts: CaseFacts,
    summary: CaseSummary,
}

fn case_from(r: &Named<'_, '_>) -> StoreResult<CaseRow> {
    let id = CaseId::from_uuid(uuid(&r.text("id")?)?);
    let request_type = stored(
        "request type",
        CaseRequestType::parse(&r.text("request_type")?),
    )?;
    let state = stored("case state", CaseState::parse(&r.text("state")?))?;
    let opener = Person {
        id: UserId::from_uuid(uuid(&r.text("opened_by")?)?),
        name: r.text("ou_name")?,
        email: r.text("ou_email")?,
    };
    let company = Company {
        id: CompanyId::from_uuid(uuid(&r.text("company_id")?)?),
        name: r.text("co_name")?,
        kind: stored("company kind", CompanyKind::parse(&r.text("co_kind")?))?,
    };
    let claimed_by = match r.opt_user("claimed_by")? {
        Some(id) => Some(Person {
            id,
            name: r.text("cu_name")?,
            email: r.text("cu_email")?,
        }),
        None => None,
    };
    let line = match r.opt_text("sub_ref")? {
        Some(s) => Some(stored("sub_ref", SubRef::parse(&s))?),
        None => None,
    };
    let locale = match r.opt_text("ou_locale")? {
        Some(l) => stored("locale", Locale::parse(&l))?,
        None => Locale::En,
    };
    let first_answer_at = parse_opt_ts(r.opt_text("first_answer_at")?)?;
    let facts = CaseFacts {
        id,
        state,
        request_type,
        opener: Opener {
            user: opener.id,
            company: company.id,
            to: Recipient {
                email: stored("opener", ContactEmail::parse(&opener.email))?,
                name: Some(opener.name.clone()),
                locale,
            },
        },
        claimed_by: claimed_by.as_ref().map(|p| p.id),
        first_answer_at,
        line: line.clone(),
        version: u32::try_from(r.int("version")?).unwrap_or(u32::MAX),
        open_beside: None,
    };
    let seq = r.int("seq")?;
    let summary = CaseSummary {
        id,
        request_type,
        state,
        order: stored("web order id", WebOrderId::parse(&r.text("web_order_id")?))?,
        line,
        description: r.text("description")?,
        opened_at: parse_ts(&r.text("opened_at")?)?,
        first_answer_at,
        opener,
        company,
        claimed_by,
        position: seq,
    };
    Ok(CaseRow {
        seq,
        facts,
        summary,
    })
}

fn case_row(conn: &Connection, id: &str) -> StoreResult<Option<CaseRow>> {
    let sql = format!("{CASE_SELECT} WHERE c.id = ?");
    Ok(rows(conn, &sql, [id], case_from)?.into_iter().next())
}

/// The case with its conversation and attachments.
pub(crate) fn record(conn: &Connection, id: CaseId) -> StoreResult<Option<CaseRecord>> {
    let id = id.to_string();
    let Some(row) = case_row(conn, &id)? else {
        return Ok(None);
    };
    let resolved_at = conn
        .prepare_cached("SELECT resolved_at FROM cases WHERE id = ?")
        .and_then(|mut q| q.query_row([&id], |r| r.get::<_, Option<String>>(0)))
        .map_err(db)?;
    let comments = rows(
        conn,
        "SELECT k.id, k.author_id, u.name AS u_name, u.email AS u_email, k.internal, k.kind,
                k.body, k.data, k.at
         FROM case_comments k LEFT JOIN users u ON u.id = k.author_id
         WHERE k.case_id = ? ORDER BY k.seq",
        [&id],
        comment_from,
    )?;
    let attachments = rows(
        conn,
        "SELECT n, filename, content_type, size FROM case_attachments WHERE case_id = ? ORDER BY n",
        [&id],
        meta_from,
    )?;
    let s = row.summary;
    Ok(Some(CaseRecord {
        facts: row.facts,
        order: s.order,
        description: s.description,
        opened_at: s.opened_at,
        resolved_at: parse_opt_ts(resolved_at)?,
        opener: s.opener,
        company: s.company,
        claimed_by: s.claimed_by,
        comments,
        attachments,
    }))
}

fn meta_from(r: &Named<'_, '_>) -> StoreResult<AttachmentMeta> {
    Ok(AttachmentMeta {
        n: u32::try_from(r.int("n")?).unwrap_or(0),
        filename: r.text("filename")?,
        content_type: r.text("content_type")?,
        size: u64::try_from(r.int("size")?).unwrap_or(0),
    })
}

fn comment_from(r: &Named<'_, '_>) -> StoreResult<CommentRecord> {
    let author = match r.opt_user("author_id")? {
        Some(id) => Some(Person {
            id,
            name: r.text("u_name")?,
            email: r.text("u_email")?,
        }),
        None => None,
    };
    let data: serde_json::Value = match r.opt_text("data")? {
        Some(d) => serde_json::from_str(&d).map_err(StoreError::backend)?,
        None => serde_json::Value::Null,
    };
    let field = |k: &str| data[k].as_str().unwrap_or_default().to_owned();
    let email_id = || uuid(data["email_id"].as_str().unwrap_or_default());
    let note = match r.text("kind")?.as_str() {
        "text" => Note::Text(CaseText::stored(r.text("body")?)),
        "resend_queued" => Note::ResendQueued {
            email_id: email_id()?,
            to: field("to"),
        },
        "resend_answered" => Note::ResendAnswered {
            email_id: email_id()?,
            to: field("to"),
            result: match data["result"].as_str() {
                Some("accepted") => Answered::Accepted,
                Some("deferred") => Answered::Deferred,
                _ => Answered::Refused,
            },
            reply: data["reply"].as_str().map(str::to_owned),
        },
        "onboarded" => Note::Onboarded {
            organization: field("organization"),
        },
        other => return Err(StoreError::corrupt(format!("a comment of kind {other}"))),
    };
    Ok(CommentRecord {
        id: uuid(&r.text("id")?)?,
        author,
        internal: r.int("internal")? != 0,
        note,
        at: parse_ts(&r.text("at")?)?,
    })
}

/// A note's stored form: its kind, the person's text, the service's facts.
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
    Ok(rows(tx, &sql, [line_id], case_from)?
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
        facts.open_beside = rows(
            tx,
            "SELECT c.id FROM cases c JOIN lines l ON l.id = c.line_id
             WHERE l.sub_ref = ? AND c.request_type = ? AND c.state <> 'resolved'",
            params![line.as_str(), facts.request_type.as_str()],
            |r| Ok(CaseId::from_uuid(uuid(&r.text("id")?)?)),
        )?
        .into_iter()
        .next();
    }
    Ok(Some(facts))
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
                    email: stored("email", ContactEmail::parse(&r.text("email")?))?,
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
    // The candidate the unique key `cases_one_open` would collide with.
    let same_open = match &line_id {
        Some(line) => rows(
            tx,
            "SELECT id FROM cases WHERE line_id = ? AND request_type = ? AND state <> 'resolved'",
            params![line, new.request_type.as_str()],
            |r| Ok(CaseId::from_uuid(uuid(&r.text("id")?)?)),
        )?
        .into_iter()
        .next(),
        None => None,
    };
    let facts = OpeningFacts {
        opened_recently,
        same_open,
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

pub(crate) fn list(conn: &Connection, q: &CaseQuery) -> StoreResult<Page<CaseSummary>> {
    let states: Vec<&str> = q.states.iter().map(|s| s.as_str()).collect();
    let states = (!states.is_empty())
        .then(|| serde_json::to_string(&states))
        .transpose()
        .map_err(StoreError::backend)?;
    let (cmp, dir) = match q.order {
        CaseOrder::Newest => ("<", "DESC"),
        CaseOrder::Oldest => (">", "ASC"),
    };
    let sql = format!(
        "{CASE_SELECT}
         WHERE (?1 IS NULL OR c.company_id = ?1)
           AND (?2 IS NULL OR c.state IN (SELECT value FROM json_each(?2)))
           AND (?3 IS NULL OR c.request_type = ?3)
           AND (?4 IS NULL OR l.sub_ref = ?4)
           AND (?5 IS NULL OR c.claimed_by = ?5)
           AND (?6 = 0 OR c.claimed_by IS NULL)
           AND (?7 IS NULL OR c.seq {cmp} ?7)
         ORDER BY c.seq {dir} LIMIT ?8"
    );
    let found = rows(
        conn,
        &sql,
        params![
            q.company.map(|c| c.to_string()),
            states,
            q.request_type.map(|r| r.as_str()),
            q.line.as_ref().map(SubRef::as_str),
            q.claimed_by.map(|u| u.to_string()),
            q.unclaimed,
            q.page.after,
            i64::from(q.page.limit) + 1
        ],
        |r| {
            let row = case_from(r)?;
            Ok((row.seq, row.summary))
        },
    )?;
    Ok(page(found, q.page.limit))
}

pub(crate) fn attachment(
    conn: &Connection,
    id: CaseId,
    n: u32,
) -> StoreResult<Option<AttachmentFile>> {
    let found = rows(
        conn,
        "SELECT c.company_id, a.n, a.filename, a.content_type, a.size, a.bytes
         FROM case_attachments a JOIN cases c ON c.id = a.case_id
         WHERE a.case_id = ? AND a.n = ?",
        params![id.to_string(), n],
        |r| {
            Ok(AttachmentFile {
                company: CompanyId::from_uuid(uuid(&r.text("company_id")?)?),
                meta: meta_from(r)?,
                bytes: r.blob("bytes")?,
            })
        },
    )?;
    Ok(found.into_iter().next())
}
