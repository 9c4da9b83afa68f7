//! Reading lines (with their order context) and their events.

use provisio_domain::{Stage, SubRef};
use provisio_store::search_sample::SearchSample;
use provisio_store::{
    EventRecord, LineContext, LineQuery, LineSort, Page, PageRequest, Scope, StoreResult,
};
use rusqlite::{Connection, params};

use crate::{Named, rows, search, ts};

pub(crate) use provisio_store::line_state_values as state_values;

/// The columns the shared row mapping's `state_from` reads, and with them the ids and
/// version a write over the version needs (one list for both backends, in `provisio_store`),
/// and the rowid the write finds the line by (by `id` each write cost one more seek in the
/// ids' index).
macro_rules! state_columns {
    () => {
        concat!("l.seq, ", provisio_store::line_state_columns!())
    };
}
pub(crate) use state_columns;

/// The columns [`line_from`] reads, from [`lines_from!`].
macro_rules! line_columns {
    () => {
        concat!(
            $crate::lines::state_columns!(),
            ", l.line_number, l.sub_ref, l.offer, l.quantity,
         l.requested_start_date, l.contact_email, l.contact_name, l.locale,
         l.organization_id, l.organization_name,
         le.id AS le_id, le.kind AS le_kind, le.recipient AS le_recipient, le.state AS le_state,
         le.attempts AS le_attempts, le.queued_at AS le_queued_at, le.sent_at AS le_sent_at,
         le.last_reply AS le_last_reply, le.recipient_name AS le_recipient_name,
         le.locale AS le_locale, le.requested_by AS le_requested_by,
         le.handed_off_from AS le_handed_off_from, le.handed_off_to AS le_handed_off_to"
        )
    };
}
pub(crate) use line_columns;

/// Lines `l` with their last email `le` (a provisioning email: never a notice about the line;
/// a `contact_changed` one may name the hand-off that caused it). `(searched)`: the lines
/// of the search index `s` (see [`found_by!`]), read from the index in its order (newest
/// first with `ORDER BY s.rowid DESC`), so a page stops the reading.
macro_rules! lines_from {
    () => {
        concat!(" FROM lines l", $crate::lines::last_email!())
    };
    (searched) => {
        concat!(
            " FROM line_search s CROSS JOIN lines l ON l.seq = s.rowid",
            $crate::lines::last_email!()
        )
    };
}
pub(crate) use lines_from;

/// Joined by `seq`, the rowid: by `id` each line cost one more seek in the ids' index.
macro_rules! last_email {
    () => {
        " LEFT JOIN emails le ON le.seq =
            (SELECT e2.seq FROM emails e2 WHERE e2.line_id = l.id AND e2.last_email = 1
             ORDER BY e2.seq DESC LIMIT 1) "
    };
}
pub(crate) use last_email;

/// Columns of a line joined with its order, partner, distributor and ordering contact;
/// `(searched)` as [`lines_from!`].
macro_rules! line_context_select {
    ($($searched:ident)?) => {
        concat!(
            "SELECT ",
            $crate::lines::line_columns!(),
            ", o.web_order_id, o.end_customer_name, o.placed_by,
                pu.name AS pu_name, pu.email AS pu_email,
                p.id AS p_id, p.name AS p_name, p.kind AS p_kind,
                d.id AS d_id, d.name AS d_name, d.kind AS d_kind, ",
            $crate::lines::serves_column!(),
            $crate::lines::lines_from!($($searched)?),
            "JOIN orders o ON o.id = l.order_id
         JOIN users pu ON pu.id = o.placed_by
         JOIN companies p ON p.id = o.partner_id
         LEFT JOIN companies d ON d.id = o.distributor_id "
        )
    };
}
pub(crate) use line_context_select;

/// Whether the order `o`'s distributor serves its partner now.
macro_rules! serves {
    () => {
        "EXISTS (SELECT 1 FROM distributor_partners dp
                 WHERE dp.distributor_id = o.distributor_id AND dp.partner_id = o.partner_id)"
    };
}

/// [`serves!`] as the column `serves` (looked up only when the order has a distributor).
macro_rules! serves_column {
    () => {
        concat!(
            "CASE WHEN o.distributor_id IS NULL THEN 0 ELSE ",
            $crate::lines::serves!(),
            " END AS serves"
        )
    };
}
pub(crate) use {serves, serves_column};

/// The orders `o` a [`provisio_store::Scope`] admits, bound as `(?1 everything, ?2 company,
/// ?3 user)` by [`scope_binds`]: the SQL form of `Scope::admits`, which selects candidates
/// (the app keeps only those the domain admits).
macro_rules! in_scope {
    () => {
        concat!(
            "(?1 OR o.partner_id = ?2 OR o.placed_by = ?3 OR (o.distributor_id = ?2 AND ",
            $crate::lines::serves!(),
            "))"
        )
    };
}
pub(crate) use in_scope;

pub(crate) use provisio_store::rows::{
    context_from, email_from, event_from, line_from, state_from,
};

pub(crate) fn text(row: &Named<'_, '_>, col: &str) -> StoreResult<String> {
    row.text(col)
}

pub(crate) fn by_ref(conn: &Connection, sub_ref: &SubRef) -> StoreResult<Option<LineContext>> {
    const SQL: &str = concat!(line_context_select!(), "WHERE l.sub_ref = ?");
    Ok(rows(conn, SQL, [sub_ref.as_str()], |r| context_from(r))?
        .into_iter()
        .next())
}

/// The bind values for a scope: (everything, company id, user id).
pub(crate) fn scope_binds(scope: &Scope) -> (bool, String, String) {
    match scope {
        Scope::Everything => (true, String::new(), String::new()),
        Scope::Company {
            company_id,
            user_id,
        } => (false, company_id.to_string(), user_id.to_string()),
    }
}

/// The filters of a [`LineQuery`] after [`in_scope!`], bound as ?4 … ?10 by [`list`]; the
/// search (?5) is the index's, in the searched forms of the query.
macro_rules! line_filters {
    () => {
        " AND (?4 IS NULL OR l.stage IN (SELECT value FROM json_each(?4)))
           AND (?6 IS NULL OR l.status = ?6)
           AND (?7 IS NULL OR l.close_due_at <= ?7)
           AND (?8 IS NULL OR l.status = 'closed' OR l.stage = 'onboarded'
                OR l.close_due_at <= ?8 OR le.state = 'failed'
                OR EXISTS (SELECT 1 FROM emails r WHERE r.line_id = l.id
                           AND r.requested_by IS NOT NULL AND r.queued_at >= ?9))"
    };
}

/// The attention list's candidates (?8 and ?9 bound), read through the indexes that hold
/// each kind: onboarded lines and lines closed while provisioning runs (a partial index),
/// lines whose window closes soon, lines with a failed provisioning email, lines a person
/// resent lately. A statement of their own, so the few candidates drive the reading, not
/// every line; [`line_filters!`] then keeps those that match its finer terms, and the domain
/// decides which need a person.
macro_rules! candidates {
    (all) => {
        ""
    };
    (attention) => {
        " AND l.seq IN (
            SELECT seq FROM lines WHERE stage = 'onboarded'
                OR (status = 'closed' AND stage IN ('scheduled', 'awaiting_provisioning'))
            UNION SELECT seq FROM lines WHERE close_due_at <= ?8
            UNION SELECT x.seq FROM emails f JOIN lines x ON x.id = f.line_id
                WHERE f.state = 'failed' AND f.last_email = 1
            UNION SELECT x.seq FROM emails r JOIN lines x ON x.id = r.line_id
                WHERE r.requested_by IS NOT NULL AND r.queued_at >= ?9)"
    };
}

/// How a list's lines are found: all of them (`none`), or those of a search, from the index
/// (`matched`: ?5 the FTS5 query of [`search::Lookup`]) or by the check alone (`scanned`),
/// each checked for the whole folded term (?12).
macro_rules! found_by {
    // ?12 is unbound (NULL) then, yet named: a statement takes every parameter it is given.
    (none) => {
        concat!(line_context_select!(), "WHERE ?12 IS NULL AND ")
    };
    (matched) => {
        concat!(
            line_context_select!(searched),
            "WHERE s.line_search MATCH ?5 AND instr(s.search, ?12) > 0 AND "
        )
    };
    (scanned) => {
        concat!(
            line_context_select!(searched),
            "WHERE instr(s.search, ?12) > 0 AND "
        )
    };
}

/// The statement of a list sorted `$sort`, its lines found `$by` ([`found_by!`]), of every
/// line or of the attention list's candidates ([`candidates!`]). Newest first, a searched
/// list is read from the index in its order, so a full page stops the reading.
macro_rules! line_list {
    (newest, none, $which:ident) => {
        concat!(
            found_by!(none),
            in_scope!(),
            line_filters!(),
            candidates!($which),
            " AND (?11 IS NULL OR l.seq < ?11) ORDER BY l.seq DESC LIMIT ?10"
        )
    };
    (newest, $by:ident, $which:ident) => {
        concat!(
            found_by!($by),
            in_scope!(),
            line_filters!(),
            candidates!($which),
            " AND (?11 IS NULL OR s.rowid < ?11) ORDER BY s.rowid DESC LIMIT ?10"
        )
    };
    // A position: the cursor is how many lines came before.
    (deadline, $by:ident) => {
        concat!(
            found_by!($by),
            in_scope!(),
            line_filters!(),
            " ORDER BY l.close_due_at IS NULL, l.close_due_at, l.seq DESC
              LIMIT ?10 OFFSET coalesce(?11, 0)"
        )
    };
}

/// A page of lines; `sample`: the store's sample of the search texts (how a search asks the
/// index), there when the query has a term.
pub(crate) fn list(
    conn: &Connection,
    query: &LineQuery,
    sample: Option<&SearchSample>,
) -> StoreResult<Page<LineContext>> {
    let (everything, company, user) = scope_binds(&query.scope);
    let limit = i64::from(query.page.limit);
    // The attention list's candidates: lines that are closed, onboarded, closing soon, whose
    // last email failed, or that a person resent lately; the domain decides which need one.
    let (closing_soon, resent_since) = match &query.attention {
        Some(c) => (Some(ts(c.closing_before)), Some(ts(c.resent_since))),
        None => (None, None),
    };
    let lookup = search::lookup_of(conn, query.q.as_ref(), sample)?;
    if let Some(search::Lookup::Nothing) = lookup {
        return Ok(Page {
            items: vec![],
            next: None,
        });
    }
    let by = match &lookup {
        None => Found::All,
        Some(search::Lookup::Scanned { .. }) => Found::Scanned,
        Some(_) => Found::Matched,
    };
    let filters = params![
        everything,
        company,
        user,
        stages_json(&query.stages)?,
        lookup.as_ref().and_then(search::Lookup::query),
        query.status.map(|s| s.as_str()),
        query.closing_by.map(ts),
        closing_soon,
        resent_since,
        limit + 1,
        query.page.after,
        lookup.as_ref().and_then(search::Lookup::term),
    ];
    let attention = query.attention.is_some();
    let found = match query.sort {
        LineSort::Newest => {
            let sql = match (by, attention) {
                (Found::All, false) => line_list!(newest, none, all),
                (Found::All, true) => line_list!(newest, none, attention),
                (Found::Matched, false) => line_list!(newest, matched, all),
                (Found::Matched, true) => line_list!(newest, matched, attention),
                (Found::Scanned, false) => line_list!(newest, scanned, all),
                (Found::Scanned, true) => line_list!(newest, scanned, attention),
            };
            rows(conn, sql, filters, |r| {
                Ok((r.int("seq")?, context_from(r)?))
            })?
        }
        LineSort::Deadline => {
            let sql = match by {
                Found::All => line_list!(deadline, none),
                Found::Matched => line_list!(deadline, matched),
                Found::Scanned => line_list!(deadline, scanned),
            };
            let skipped = query.page.after.unwrap_or(0);
            let mut n = skipped;
            rows(conn, sql, filters, |r| {
                n += 1;
                Ok((n, context_from(r)?))
            })?
        }
    };
    Ok(page(found, query.page.limit))
}

/// How a list's lines are found (see [`found_by!`]).
#[derive(Clone, Copy)]
enum Found {
    All,
    Matched,
    Scanned,
}

/// The stages a query asks for as a JSON array (`None`: every stage).
pub(crate) fn stages_json(stages: &[Stage]) -> StoreResult<Option<String>> {
    if stages.is_empty() {
        return Ok(None);
    }
    let words: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
    serde_json::to_string(&words)
        .map(Some)
        .map_err(provisio_store::StoreError::backend)
}

/// Keeps the first `limit` of `limit + 1` fetched `(seq, item)`s; the cursor is the last kept
/// item's `seq` when a further one shows there is another page.
pub(crate) fn page<T>(mut found: Vec<(i64, T)>, limit: u32) -> Page<T> {
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next = match found.last() {
        Some((seq, _)) if more => Some(*seq),
        _ => None,
    };
    Page {
        items: found.into_iter().map(|(_, item)| item).collect(),
        next,
    }
}

pub(crate) fn events(conn: &Connection, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>> {
    let sql = "SELECT e.type, e.at, e.data, u.email AS actor_email, u.name AS actor_name,
                u.role AS actor_role
         FROM lines l JOIN events e ON e.order_id = l.order_id AND (e.line_id IS NULL OR e.line_id = l.id)
         LEFT JOIN users u ON u.id = e.actor_id
         WHERE l.sub_ref = ? ORDER BY e.seq";
    rows(conn, sql, [sub_ref.as_str()], |r| event_from(r))
}

/// The events about no order (administration), newest first.
pub(crate) fn admin_events(conn: &Connection, req: &PageRequest) -> StoreResult<Page<EventRecord>> {
    let sql = "SELECT e.seq, e.type, e.at, e.data, u.email AS actor_email, u.name AS actor_name,
                u.role AS actor_role
         FROM events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.order_id IS NULL AND e.line_id IS NULL AND e.case_id IS NULL
           AND (?1 IS NULL OR e.seq < ?1)
         ORDER BY e.seq DESC LIMIT ?2";
    let found = rows(
        conn,
        sql,
        params![req.after, i64::from(req.limit) + 1],
        |r| Ok((r.int("seq")?, event_from(r)?)),
    )?;
    Ok(page(found, req.limit))
}
