//! Reading lines (with their order context) and their events: the row mapping every module
//! shares, and the list of lines.

use provisio_domain::{LineState, Stage, SubRef, UserId};
use provisio_store::rows;
use provisio_store::{
    EmailRecord, EventRecord, Line, LineContext, LineQuery, LineSort, Page, PageRequest, Scope,
    StoreResult,
};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;

use crate::changes::LineIds;
use crate::search_sample::{Lookup, Reading};
use crate::{Pg, Ts, col, db};

/// The columns the shared row mapping's `state_from` reads, and with them the ids and
/// version a write over the version needs (one list for both backends, in `provisio_store`).
pub(crate) use provisio_store::{
    line_state_columns as state_columns, line_state_values as state_values,
};

/// The columns [`line_from`] reads, from [`lines_from!`].
macro_rules! line_columns {
    () => {
        concat!(
            $crate::lines::state_columns!(),
            ", l.seq, l.line_number, l.sub_ref, l.offer, l.quantity,
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
/// a `contact_changed` one may name the hand-off that caused it).
macro_rules! lines_from {
    () => {
        " FROM lines l LEFT JOIN LATERAL
            (SELECT e2.* FROM emails e2 WHERE e2.line_id = l.id AND e2.last_email
             ORDER BY e2.seq DESC LIMIT 1) le ON true "
    };
}
pub(crate) use lines_from;

/// Columns of a line joined with its order, partner, distributor and ordering contact.
macro_rules! line_context_select {
    () => {
        concat!(
            "SELECT ",
            $crate::lines::line_columns!(),
            ", o.web_order_id, o.end_customer_name, o.placed_by,
                pu.name AS pu_name, pu.email AS pu_email,
                p.id AS p_id, p.name AS p_name, p.kind AS p_kind,
                d.id AS d_id, d.name AS d_name, d.kind AS d_kind, ",
            $crate::lines::serves_column!(),
            $crate::lines::lines_from!(),
            "JOIN orders o ON o.id = l.order_id
         JOIN users pu ON pu.id = o.placed_by
         JOIN companies p ON p.id = o.partner_id
         LEFT JOIN companies d ON d.id = o.distributor_id "
        )
    };
}
#[allow(unused_imports)] // used by the modules not written yet
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
            "(o.distributor_id IS NOT NULL AND ",
            $crate::lines::serves!(),
            ") AS serves"
        )
    };
}
pub(crate) use {serves, serves_column};

/// The orders `o` a [`provisio_store::Scope`] admits, bound as `($1 everything, $2 company,
/// $3 user)` by [`scope_binds`]: the SQL form of `Scope::admits`, which selects candidates
/// (the app keeps only those the domain admits).
macro_rules! in_scope {
    () => {
        concat!(
            "($1::boolean OR o.partner_id = $2 OR o.placed_by = $3 OR (o.distributor_id = $2 AND ",
            $crate::lines::serves!(),
            "))"
        )
    };
}
#[allow(unused_imports)] // used by the modules not written yet
pub(crate) use in_scope;

/// The shared row mapping (`provisio_store::rows`) on PostgreSQL's rows.
pub(crate) fn context_from(row: &PgRow) -> StoreResult<LineContext> {
    rows::context_from(&Pg(row))
}
pub(crate) fn line_from(row: &PgRow) -> StoreResult<Line> {
    rows::line_from(&Pg(row))
}
pub(crate) fn state_from(row: &PgRow) -> StoreResult<LineState> {
    rows::state_from(&Pg(row))
}
pub(crate) fn email_from(row: &PgRow, prefix: &str) -> StoreResult<EmailRecord> {
    rows::email_from(&Pg(row), prefix)
}
pub(crate) fn event_from(row: &PgRow) -> StoreResult<EventRecord> {
    rows::event_from(&Pg(row))
}
pub(crate) fn opt_user(row: &PgRow, name: &str) -> StoreResult<Option<UserId>> {
    rows::opt_user(&Pg(row), name)
}

pub(crate) fn text(row: &PgRow, name: &str) -> StoreResult<String> {
    col(row, name)
}

pub(crate) fn opt_text(row: &PgRow, name: &str) -> StoreResult<Option<String>> {
    col(row, name)
}

/// From the columns `id`, `order_id` and `version` of a line.
pub(crate) fn ids_of(row: &PgRow) -> StoreResult<LineIds> {
    Ok(LineIds {
        line_id: text(row, "id")?,
        order_id: text(row, "order_id")?,
        version: col(row, "version")?,
    })
}

pub(crate) async fn by_ref(
    conn: &mut PgConnection,
    sub_ref: &SubRef,
) -> StoreResult<Option<LineContext>> {
    const SQL: &str = concat!(line_context_select!(), "WHERE l.sub_ref = $1");
    let row = sqlx::query(SQL)
        .bind(sub_ref.as_str())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.as_ref().map(context_from).transpose()
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

/// The filters of a [`LineQuery`] after [`in_scope!`], bound as $4 … $9 by [`list`]; the
/// search ($5) is [`line_search!`]'s.
macro_rules! line_filters {
    () => {
        " AND ($4::text[] IS NULL OR l.stage = ANY($4))
           AND ($6::text IS NULL OR l.status = $6)
           AND ($7::timestamptz IS NULL OR l.close_due_at <= $7)
           AND ($8::timestamptz IS NULL OR l.status = 'closed' OR l.stage = 'onboarded'
                OR l.close_due_at <= $8 OR le.state = 'failed'
                OR EXISTS (SELECT 1 FROM emails r WHERE r.line_id = l.id
                           AND r.requested_by IS NOT NULL AND r.queued_at >= $9))"
    };
}

/// The lines holding the search term, read as its [`Lookup`] says (bound by
/// [`Lookup::binds`]): `(many)` newest first, each line's text matched with the pattern $5
/// (the planner may ask the index instead when it expects few); `(few)` from the lines the
/// index finds for the patterns $5, $12, $13, each checked to hold the term $14; `(none)`
/// without a search. A statement of each, planned for its values each time.
macro_rules! line_search {
    (none) => {
        " AND $5::text IS NULL"
    };
    (many) => {
        " AND l.seq IN (SELECT ls.seq FROM line_search ls WHERE ls.search LIKE $5)"
    };
    (few) => {
        " AND l.seq = ANY(ARRAY(SELECT ls.seq FROM line_search ls
                                WHERE ls.search LIKE $5 AND ls.search LIKE $12
                                  AND ls.search LIKE $13 AND strpos(ls.search, $14) > 0))"
    };
}

/// The attention list's candidates ($8 and $9 bound), read through the indexes that hold
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
            UNION SELECT seq FROM lines WHERE close_due_at <= $8
            UNION SELECT x.seq FROM emails f JOIN lines x ON x.id = f.line_id
                WHERE f.state = 'failed' AND f.last_email
            UNION SELECT x.seq FROM emails r JOIN lines x ON x.id = r.line_id
                WHERE r.requested_by IS NOT NULL AND r.queued_at >= $9)"
    };
}

/// The statement of a list sorted `$sort`, with or without a search, of every line or of
/// the attention list's candidates.
macro_rules! line_list {
    (newest, $search:ident, $which:ident) => {
        concat!(
            line_context_select!(),
            "WHERE ",
            in_scope!(),
            line_filters!(),
            line_search!($search),
            candidates!($which),
            " AND ($11::bigint IS NULL OR l.seq < $11) ORDER BY l.seq DESC LIMIT $10"
        )
    };
    // A position: the cursor is how many lines came before.
    (deadline, $search:ident) => {
        concat!(
            line_context_select!(),
            "WHERE ",
            in_scope!(),
            line_filters!(),
            line_search!($search),
            " ORDER BY l.close_due_at IS NULL, l.close_due_at, l.seq DESC
              LIMIT $10 OFFSET coalesce($11::bigint, 0)"
        )
    };
}

/// A page of lines; `lookup`: how to read those holding the query's search term (there is
/// one exactly when the query has a term).
pub(crate) async fn list(
    conn: &mut PgConnection,
    query: &LineQuery,
    lookup: Option<&Lookup>,
) -> StoreResult<Page<LineContext>> {
    let (everything, company, user) = scope_binds(&query.scope);
    let limit = i64::from(query.page.limit);
    // The attention list's candidates: lines that are closed, onboarded, closing soon, whose
    // last email failed, or that a person resent lately; the domain decides which need one.
    let (closing_soon, resent_since) = match &query.attention {
        Some(c) => (Some(Ts(c.closing_before)), Some(Ts(c.resent_since))),
        None => (None, None),
    };
    let attention = query.attention.is_some();
    let sql = match (query.sort, lookup.map(Lookup::reading)) {
        (LineSort::Newest, None) if attention => line_list!(newest, none, attention),
        (LineSort::Newest, None) => line_list!(newest, none, all),
        (LineSort::Newest, Some(Reading::Many)) if attention => {
            line_list!(newest, many, attention)
        }
        (LineSort::Newest, Some(Reading::Many)) => line_list!(newest, many, all),
        (LineSort::Newest, Some(Reading::Few)) if attention => line_list!(newest, few, attention),
        (LineSort::Newest, Some(Reading::Few)) => line_list!(newest, few, all),
        (LineSort::Deadline, None) => line_list!(deadline, none),
        (LineSort::Deadline, Some(Reading::Many)) => line_list!(deadline, many),
        (LineSort::Deadline, Some(Reading::Few)) => line_list!(deadline, few),
    };
    let (pattern, second, third, term) = Lookup::binds(lookup);
    let rows = sqlx::query(sql)
        .bind(everything)
        .bind(company)
        .bind(user)
        .bind(stages(&query.stages))
        .bind(pattern)
        .bind(query.status.map(|s| s.as_str()))
        .bind(query.closing_by.map(Ts))
        .bind(closing_soon)
        .bind(resent_since)
        .bind(limit + 1)
        .bind(query.page.after)
        .bind(second)
        .bind(third)
        .bind(term)
        // A search is planned for its term each time (an unnamed statement): a statement
        // prepared once gets PostgreSQL's generic plan after five runs, which cannot know
        // how rare the term's trigrams are and reads every line newest first instead of
        // asking the index (33 ms instead of 6 for a reference at 100,000 lines).
        .persistent(lookup.is_none())
        .fetch_all(conn)
        .await
        .map_err(db)?;
    let mut n = query.page.after.unwrap_or(0);
    let found = rows
        .iter()
        .map(|r| {
            let key = match query.sort {
                LineSort::Newest => col::<i64>(r, "seq")?,
                LineSort::Deadline => {
                    n += 1;
                    n
                }
            };
            Ok((key, context_from(r)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(found, query.page.limit))
}

/// The stages a query asks for (`None`: every stage).
pub(crate) fn stages(stages: &[Stage]) -> Option<Vec<String>> {
    (!stages.is_empty()).then(|| stages.iter().map(|s| s.as_str().to_owned()).collect())
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

pub(crate) async fn events(
    conn: &mut PgConnection,
    sub_ref: &SubRef,
) -> StoreResult<Vec<EventRecord>> {
    let sql = "SELECT e.type, e.at, e.data, u.email AS actor_email, u.name AS actor_name,
                u.role AS actor_role
         FROM lines l JOIN events e ON e.order_id = l.order_id AND (e.line_id IS NULL OR e.line_id = l.id)
         LEFT JOIN users u ON u.id = e.actor_id
         WHERE l.sub_ref = $1 ORDER BY e.seq";
    let rows = sqlx::query(sql)
        .bind(sub_ref.as_str())
        .fetch_all(conn)
        .await
        .map_err(db)?;
    rows.iter().map(event_from).collect()
}

/// The events about no order (administration), newest first.
pub(crate) async fn admin_events(
    conn: &mut PgConnection,
    req: &PageRequest,
) -> StoreResult<Page<EventRecord>> {
    let sql = "SELECT e.seq, e.type, e.at, e.data, u.email AS actor_email, u.name AS actor_name,
                u.role AS actor_role
         FROM events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.order_id IS NULL AND e.line_id IS NULL AND e.case_id IS NULL
           AND ($1::bigint IS NULL OR e.seq < $1)
         ORDER BY e.seq DESC LIMIT $2";
    let rows = sqlx::query(sql)
        .bind(req.after)
        .bind(i64::from(req.limit) + 1)
        .fetch_all(conn)
        .await
        .map_err(db)?;
    let found = rows
        .iter()
        .map(|r| Ok((col::<i64>(r, "seq")?, event_from(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(found, req.limit))
}
