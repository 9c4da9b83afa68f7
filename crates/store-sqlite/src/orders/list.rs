//! Listing orders: the filters of an [`OrderQuery`], newest first or by deadline, searched
//! through the lines' search index, with their line counts.

use provisio_domain::{LineStatus, Stage, WebOrderId};
use provisio_store::search_sample::SearchSample;
use provisio_store::{LineSort, OrderQuery, OrderSummary, Page, StoreError, StoreResult};
use rusqlite::{Connection, params};

use super::{ByRowId, Found, found};
use crate::lines::{in_scope, page, scope_binds};
use crate::search;
use crate::{Columns, Named, db, rows, stored, ts};

/// The filters of an [`OrderQuery`] after [`in_scope!`], bound as ?4 … ?9 by [`list`]; the
/// search (?6, ?11) is [`found_by_search!`]'s or [`searched_lines!`]'s.
macro_rules! order_filters {
    () => {
        " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id AND l.status = ?4))
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id AND l.stage = ?5))
           AND (?7 IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id
                                      AND l.close_due_at <= ?7))
           AND (?8 IS NULL OR o.web_order_id IN (SELECT value FROM json_each(?8)))"
    };
}

/// The orders with a line the search finds, every one of them gathered first: through the
/// index (`matched`: ?6 the FTS5 query of [`search::Lookup`]) or by the check alone
/// (`scanned`), each line checked for the whole folded term (?11).
macro_rules! found_by_search {
    // ?11 is unbound (NULL) then, yet named: a statement takes every parameter it is given.
    (none) => {
        " AND ?11 IS NULL"
    };
    (matched) => {
        " AND o.id IN (SELECT l.order_id FROM line_search s CROSS JOIN lines l ON l.seq = s.rowid
                       WHERE s.line_search MATCH ?6 AND instr(s.search, ?11) > 0)"
    };
    (scanned) => {
        " AND o.id IN (SELECT l.order_id FROM line_search s CROSS JOIN lines l ON l.seq = s.rowid
                       WHERE instr(s.search, ?11) > 0)"
    };
}

/// The lines a search finds, each with its order, read from the index newest first: `$by` as
/// in [`found_by_search!`].
macro_rules! searched_lines {
    (matched) => {
        concat!(
            order_select!(searched),
            "WHERE s.line_search MATCH ?6 AND instr(s.search, ?11) > 0 AND ",
            in_scope!(),
            order_filters!(),
            " AND (?10 IS NULL OR s.rowid < ?10) ORDER BY s.rowid DESC"
        )
    };
    (scanned) => {
        concat!(
            order_select!(searched),
            "WHERE instr(s.search, ?11) > 0 AND ",
            in_scope!(),
            order_filters!(),
            " AND (?10 IS NULL OR s.rowid < ?10) ORDER BY s.rowid DESC"
        )
    };
}

/// An order list sorted by the nearest deadline of its lines; the cursor is a position.
macro_rules! by_deadline {
    ($by:ident) => {
        concat!(
            order_select!(),
            "WHERE ",
            in_scope!(),
            order_filters!(),
            found_by_search!($by),
            " ORDER BY (SELECT min(l.close_due_at) FROM lines l WHERE l.order_id = o.id) IS NULL,
                       (SELECT min(l.close_due_at) FROM lines l WHERE l.order_id = o.id),
                       o.seq DESC
              LIMIT ?9 OFFSET coalesce(?10, 0)"
        )
    };
}

/// A page of orders; `sample`: the store's sample of the search texts (how a search asks the
/// index), there when the query has a term.
pub(crate) fn list(
    conn: &Connection,
    query: &OrderQuery,
    sample: Option<&SearchSample>,
) -> StoreResult<Page<OrderSummary>> {
    let (everything, company, user) = scope_binds(&query.scope);
    let limit = i64::from(query.page.limit);
    let only = match &query.only {
        Some(ids) => {
            let ids: Vec<&str> = ids.iter().map(WebOrderId::as_str).collect();
            Some(serde_json::to_string(&ids).map_err(StoreError::backend)?)
        }
        None => None,
    };
    let lookup = search::lookup_of(conn, query.q.as_ref(), sample)?;
    if let Some(search::Lookup::Nothing) = lookup {
        return Ok(Page {
            items: vec![],
            next: None,
        });
    }
    let binds = params![
        everything,
        company,
        user,
        query.status.map(|s| s.as_str()),
        query.stage.map(|s| s.as_str()),
        lookup.as_ref().and_then(search::Lookup::query),
        query.closing_by.map(ts),
        only,
        limit + 1,
        query.page.after,
        lookup.as_ref().and_then(search::Lookup::term),
    ];
    let found = match (query.sort, &lookup) {
        (LineSort::Newest, Some(lookup)) => {
            let sql = match lookup {
                search::Lookup::Scanned { .. } => searched_lines!(scanned),
                _ => searched_lines!(matched),
            };
            return searched_newest(conn, sql, binds, query.page.limit);
        }
        (LineSort::Newest, None) => {
            const SQL: &str = concat!(
                order_select!(),
                "WHERE ",
                in_scope!(),
                order_filters!(),
                found_by_search!(none),
                " AND (?10 IS NULL OR o.seq < ?10) ORDER BY o.seq DESC LIMIT ?9"
            );
            rows(conn, SQL, binds, |r| Ok((r.int("seq")?, found(r)?)))?
        }
        (LineSort::Deadline, lookup) => {
            let sql = match lookup {
                None => by_deadline!(none),
                Some(search::Lookup::Scanned { .. }) => by_deadline!(scanned),
                Some(_) => by_deadline!(matched),
            };
            let mut n = query.page.after.unwrap_or(0);
            rows(conn, sql, binds, |r| {
                n += 1;
                Ok((n, found(r)?))
            })?
        }
    };
    let Page { items, next } = page(found, query.page.limit);
    Ok(Page {
        items: summarized(conn, items)?,
        next,
    })
}

/// The newest orders with a line the search finds: the index's lines read newest first, each
/// new order kept, until a page and one more are found, so reading stops early however many
/// lines match. The lines of an order are written together, after those of every older order
/// (one writer), so they come one order at a time; the cursor is the line at which the next
/// page's first order was met.
fn searched_newest(
    conn: &Connection,
    sql: &str,
    binds: &[&dyn rusqlite::ToSql],
    limit: u32,
) -> StoreResult<Page<OrderSummary>> {
    let mut st = conn.prepare_cached(sql).map_err(db)?;
    let columns = Columns::of(&st);
    let mut rows = st.query(binds).map_err(db)?;
    let mut seen = Vec::new();
    let mut kept = Vec::new();
    let mut next = None;
    while let Some(row) = rows.next().map_err(db)? {
        let row = Named {
            row,
            columns: &columns,
        };
        let seq = row.int("seq")?;
        if seen.contains(&seq) {
            continue;
        }
        if kept.len() == limit as usize {
            next = Some(row.int("line_seq")? + 1);
            break;
        }
        seen.push(seq);
        kept.push(found(&row)?);
    }
    drop(rows);
    Ok(Page {
        items: summarized(conn, kept)?,
        next,
    })
}

/// Orders with their line counts by stage and status, in one more query.
fn summarized(conn: &Connection, found: Vec<Found>) -> StoreResult<Vec<OrderSummary>> {
    let mut summaries = ByRowId::new(found, |order| OrderSummary {
        order,
        line_count: 0,
        lines_by_stage: Vec::new(),
        lines_by_status: Vec::new(),
    })?;
    if summaries.items.is_empty() {
        return Ok(summaries.items);
    }
    const SQL: &str = "SELECT order_id, stage, status, COUNT(*) AS n FROM lines
                       WHERE order_id IN (SELECT value FROM json_each(?))
                       GROUP BY order_id, stage, status ORDER BY order_id, stage, status";
    let counts = rows(conn, SQL, [&summaries.ids_json], |r| {
        Ok((
            r.text("order_id")?,
            stored("stage", Stage::parse(&r.text("stage")?))?,
            stored("status", LineStatus::parse(&r.text("status")?))?,
            u32::try_from(r.int("n")?).map_err(StoreError::backend)?,
        ))
    })?;
    for (order_id, stage, status, n) in counts {
        let Some(s) = summaries.get_mut(&order_id) else {
            continue;
        };
        s.add_lines(stage, status, n);
    }
    Ok(summaries.items)
}
