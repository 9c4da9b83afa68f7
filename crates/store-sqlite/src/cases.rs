//! Support cases as read: a case with its opener, company, claimer and line, its
//! conversation and attachments, lists, and an attachment's bytes. The writes (opening, and
//! a decision's effects over the case's version) are `case_writes.rs`.

use provisio_domain::{CaseId, CompanyId, SubRef};
use provisio_store::{
    AttachmentFile, CaseOrder, CaseQuery, CaseRecord, CaseSummary, EmailRecord, EventRecord, Page,
    StoreError, StoreResult,
};
use rusqlite::{Connection, params};

use crate::changes::email_columns;
use crate::lines::{email_from, event_from, page};
use crate::{rows, uuid};

/// The columns of a case with its opener, company, claimer and line.
pub(crate) const CASE_SELECT: &str =
    "SELECT c.seq, c.id, c.request_type, c.state, c.description, c.opened_at,
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

pub(crate) use provisio_store::rows::{CaseRow, case_from};
use provisio_store::rows::{comment_from, meta_from};

pub(crate) fn case_row(conn: &Connection, id: &str) -> StoreResult<Option<CaseRow>> {
    let sql = format!("{CASE_SELECT} WHERE c.id = ?");
    Ok(rows(conn, &sql, [id], |r| case_from(r))?.into_iter().next())
}

/// The case with its conversation and attachments.
pub(crate) fn record(conn: &Connection, id: CaseId) -> StoreResult<Option<CaseRecord>> {
    let id = id.to_string();
    let Some(row) = case_row(conn, &id)? else {
        return Ok(None);
    };
    let comments = rows(
        conn,
        "SELECT k.id, k.author_id, u.name AS u_name, u.email AS u_email, k.internal, k.kind,
                k.body, k.data, k.at
         FROM case_comments k LEFT JOIN users u ON u.id = k.author_id
         WHERE k.case_id = ? ORDER BY k.seq",
        [&id],
        |r| comment_from(r),
    )?;
    let attachments = rows(
        conn,
        "SELECT n, filename, content_type, size FROM case_attachments WHERE case_id = ? ORDER BY n",
        [&id],
        |r| meta_from(r),
    )?;
    Ok(Some(row.into_record(comments, attachments)))
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

/// The case's notices, newest first (the same columns as a line's emails).
pub(crate) fn emails(conn: &Connection, id: CaseId) -> StoreResult<Vec<EmailRecord>> {
    const SQL: &str = concat!(
        "SELECT ",
        email_columns!(),
        " FROM emails e WHERE e.case_id = ? ORDER BY e.seq DESC"
    );
    rows(conn, SQL, [id.to_string()], |r| email_from(r, "e_"))
}

/// The case's events, oldest first.
pub(crate) fn events(conn: &Connection, id: CaseId) -> StoreResult<Vec<EventRecord>> {
    let sql = "SELECT e.type, e.at, e.data, u.email AS actor_email, u.name AS actor_name,
                u.role AS actor_role
         FROM events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.case_id = ? ORDER BY e.seq";
    rows(conn, sql, [id.to_string()], |r| event_from(r))
}
