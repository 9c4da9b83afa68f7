//! Reading and listing orders: an order with its lines, a page of orders with their lines'
//! counts by stage and status.

use std::collections::HashMap;

use provisio_domain::{LineStatus, Locale, Stage, UserId, WebOrderId};
use provisio_store::{
    LineSort, LineWindow, Order, OrderQuery, OrderSummary, OrderWindow, Page, Person, StoreResult,
};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;

use crate::directory::company_from;
use crate::lines::{
    in_scope, line_columns, line_from, lines_from, opt_text, page, scope_binds, text,
};
use crate::search_sample::{Lookup, Reading};
use crate::{Ts, col, col_ts, db, stored, uuid};

macro_rules! order_select {
    () => {
        concat!(
            "SELECT o.seq, o.id, o.web_order_id, o.end_customer_name, o.locale, o.placed_at,
            o.placed_by, pu.name AS pu_name, pu.email AS pu_email,
            p.id AS p_id, p.name AS p_name, p.kind AS p_kind,
            d.id AS d_id, d.name AS d_name, d.kind AS d_kind, ",
            $crate::lines::serves_column!(),
            " FROM orders o
        JOIN users pu ON pu.id = o.placed_by
        JOIN companies p ON p.id = o.partner_id
        LEFT JOIN companies d ON d.id = o.distributor_id "
        )
    };
}

fn order_from(row: &PgRow) -> StoreResult<Order> {
    let distributor = match opt_text(row, "d_id")? {
        Some(_) => Some(company_from(row, "d_")?),
        None => None,
    };
    Ok(Order {
        web_order_id: stored(
            "web order id",
            WebOrderId::parse(&text(row, "web_order_id")?),
        )?,
        partner: company_from(row, "p_")?,
        distributor,
        distributor_serves_partner: col(row, "serves")?,
        end_customer: text(row, "end_customer_name")?,
        placed_by: Person {
            id: UserId::from_uuid(uuid(&text(row, "placed_by")?)?),
            name: text(row, "pu_name")?,
            email: text(row, "pu_email")?,
        },
        placed_at: col_ts(row, "placed_at")?,
        locale: stored("locale", Locale::parse(&text(row, "locale")?))?,
        lines: Vec::new(),
    })
}

/// An order read with its row's `id` (to attach its lines).
struct Found {
    id: String,
    order: Order,
}

fn found(row: &PgRow) -> StoreResult<Found> {
    Ok(Found {
        id: text(row, "id")?,
        order: order_from(row)?,
    })
}

/// Orders read, each made into a `T`, findable by their row id; the ids as the array the
/// follow-up query takes.
struct ByRowId<T> {
    items: Vec<T>,
    index: HashMap<String, usize>,
    ids: Vec<String>,
}

impl<T> ByRowId<T> {
    fn new(found: Vec<Found>, make: impl Fn(Order) -> T) -> Self {
        let mut index = HashMap::with_capacity(found.len());
        let mut ids = Vec::with_capacity(found.len());
        let mut items = Vec::with_capacity(found.len());
        for (i, f) in found.into_iter().enumerate() {
            index.insert(f.id.clone(), i);
            ids.push(f.id);
            items.push(make(f.order));
        }
        Self { items, index, ids }
    }

    fn get_mut(&mut self, row_id: &str) -> Option<&mut T> {
        let i = *self.index.get(row_id)?;
        self.items.get_mut(i)
    }
}

/// An order with its lines, all of them or a window (`LIMIT NULL`: no limit), and how many
/// it has.
pub(crate) async fn by_web_id(
    conn: &mut PgConnection,
    id: &WebOrderId,
    window: Option<LineWindow>,
) -> StoreResult<Option<OrderWindow>> {
    const SQL: &str = concat!(order_select!(), " WHERE o.web_order_id = $1");
    let row = sqlx::query(SQL)
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let Some(Found { id: row_id, order }) = row.as_ref().map(found).transpose()? else {
        return Ok(None);
    };
    const LINES: &str = concat!(
        "SELECT ",
        line_columns!(),
        lines_from!(),
        "WHERE l.order_id = $1 ORDER BY l.line_number LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(LINES)
        .bind(&row_id)
        .bind(window.map(|w| i64::from(w.limit)))
        .bind(window.map_or(0, |w| i64::from(w.offset)))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let lines = rows
        .iter()
        .map(line_from)
        .collect::<StoreResult<Vec<_>>>()?;
    let line_count = match window {
        None => lines.len() as u32,
        Some(_) => {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM lines WHERE order_id = $1")
                .bind(&row_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
            n as u32
        }
    };
    Ok(Some(OrderWindow {
        order: Order { lines, ..order },
        line_count,
    }))
}

/// The filters of an [`OrderQuery`] after [`in_scope!`], bound as $4 … $8 by [`list`]; the
/// search ($6) is [`order_search!`]'s.
macro_rules! order_filters {
    () => {
        " AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id AND l.status = $4))
           AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id AND l.stage = $5))
           AND ($7::timestamptz IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id
                                                   AND l.close_due_at <= $7))
           AND ($8::text[] IS NULL OR o.web_order_id = ANY($8))"
    };
}

/// The orders with a line holding the search term, read as its [`Lookup`] says (bound by
/// [`Lookup::binds`] as $6, $11, $12, $13; see `lines::line_search!`): `(many)` newest first,
/// each order checked for a line whose text matches $6; `(few)` from the orders of the lines
/// the index finds, collected first (checked against every order instead, a few lines found
/// among 10,000 orders cost 10,000,000 comparisons: 0.84 s); `(none)` without a search.
macro_rules! order_search {
    (none) => {
        " AND $6::text IS NULL"
    };
    (many) => {
        " AND o.id IN (SELECT l.order_id FROM line_search ls JOIN lines l ON l.seq = ls.seq
                       WHERE ls.search LIKE $6)"
    };
    (few) => {
        " AND o.id = ANY(ARRAY(SELECT DISTINCT l.order_id FROM line_search ls
                                JOIN lines l ON l.seq = ls.seq
                               WHERE ls.search LIKE $6 AND ls.search LIKE $11
                                 AND ls.search LIKE $12 AND strpos(ls.search, $13) > 0))"
    };
}

/// The statement of a list sorted `$sort`, with or without a search.
macro_rules! order_list {
    (newest, $search:ident) => {
        concat!(
            order_select!(),
            "WHERE ",
            in_scope!(),
            order_filters!(),
            order_search!($search),
            " AND ($10::bigint IS NULL OR o.seq < $10) ORDER BY o.seq DESC LIMIT $9"
        )
    };
    // A position: the cursor is how many orders came before.
    (deadline, $search:ident) => {
        concat!(
            order_select!(),
            "WHERE ",
            in_scope!(),
            order_filters!(),
            order_search!($search),
            " ORDER BY (SELECT min(l.close_due_at) FROM lines l WHERE l.order_id = o.id) IS NULL,
                       (SELECT min(l.close_due_at) FROM lines l WHERE l.order_id = o.id),
                       o.seq DESC
              LIMIT $9 OFFSET coalesce($10::bigint, 0)"
        )
    };
}

/// A page of orders; `lookup`: how to read the lines holding the query's search term (there
/// is one exactly when the query has a term).
pub(crate) async fn list(
    conn: &mut PgConnection,
    query: &OrderQuery,
    lookup: Option<&Lookup>,
) -> StoreResult<Page<OrderSummary>> {
    let (everything, company, user) = scope_binds(&query.scope);
    let limit = i64::from(query.page.limit);
    let only: Option<Vec<&str>> = query
        .only
        .as_ref()
        .map(|ids| ids.iter().map(WebOrderId::as_str).collect());
    let sql = match (query.sort, lookup.map(Lookup::reading)) {
        (LineSort::Newest, None) => order_list!(newest, none),
        (LineSort::Newest, Some(Reading::Many)) => order_list!(newest, many),
        (LineSort::Newest, Some(Reading::Few)) => order_list!(newest, few),
        (LineSort::Deadline, None) => order_list!(deadline, none),
        (LineSort::Deadline, Some(Reading::Many)) => order_list!(deadline, many),
        (LineSort::Deadline, Some(Reading::Few)) => order_list!(deadline, few),
    };
    let (pattern, second, third, term) = Lookup::binds(lookup);
    let rows = sqlx::query(sql)
        .bind(everything)
        .bind(company)
        .bind(user)
        .bind(query.status.map(|s| s.as_str()))
        .bind(query.stage.map(|s| s.as_str()))
        .bind(pattern)
        .bind(query.closing_by.map(Ts))
        .bind(only)
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
        .fetch_all(&mut *conn)
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
            Ok((key, found(r)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let Page { items, next } = page(found, query.page.limit);
    Ok(Page {
        items: summarized(conn, items).await?,
        next,
    })
}

/// Orders with their line counts by stage and status, in one more query.
async fn summarized(conn: &mut PgConnection, found: Vec<Found>) -> StoreResult<Vec<OrderSummary>> {
    let mut summaries = ByRowId::new(found, |order| OrderSummary {
        order,
        line_count: 0,
        lines_by_stage: Vec::new(),
        lines_by_status: Vec::new(),
    });
    if summaries.items.is_empty() {
        return Ok(summaries.items);
    }
    // Ordered by bytes, as SQLite's BINARY collation orders them: the counts come out in
    // the same order on both backends, whatever the database's collation.
    let rows = sqlx::query(
        r#"SELECT order_id, stage, status, count(*) AS n FROM lines
           WHERE order_id = ANY($1::text[])
           GROUP BY order_id, stage, status
           ORDER BY order_id COLLATE "C", stage COLLATE "C", status COLLATE "C""#,
    )
    .bind(&summaries.ids)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    for r in &rows {
        let order_id = text(r, "order_id")?;
        let stage = stored("stage", Stage::parse(&text(r, "stage")?))?;
        let status = stored("status", LineStatus::parse(&text(r, "status")?))?;
        let n = stored("line count", u32::try_from(col::<i64>(r, "n")?))?;
        let Some(s) = summaries.get_mut(&order_id) else {
            continue;
        };
        s.add_lines(stage, status, n);
    }
    Ok(summaries.items)
}
