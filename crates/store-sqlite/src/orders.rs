//! Creating, reading and listing orders.

use std::collections::HashMap;

use provisio_domain::search::SearchText;
use provisio_domain::{LineState, LineStatus, Locale, Stage, SubRef, UserId, WebOrderId};
use provisio_store::{
    Entity, LineSort, NewOrderRecord, Order, OrderQuery, OrderSummary, Page, Person, StoreError,
    StoreResult,
};
use rusqlite::{Connection, params};

use crate::changes::{EventScope, insert_events};
use crate::directory::company_from;
use crate::idempotency;
use crate::lines::{in_scope, line_columns, line_from, lines_from, page, scope_binds};
use crate::search;
use crate::writer::{Constraint, Tx, constraint};
use crate::{Columns, Named, db, opt_ts, parse_ts, rows, stored, ts, uuid};

/// Reserves `n` consecutive numbers of a sequence; returns the first.
fn reserve(tx: &Tx, name: &str, n: i64) -> StoreResult<i64> {
    let last: i64 = tx
        .prepare_cached("UPDATE sequences SET value = value + ? WHERE name = ? RETURNING value")
        .and_then(|mut q| q.query_row(params![n, name], |r| r.get(0)))
        .map_err(db)?;
    Ok(last - n + 1)
}

fn web_order_id_taken(tx: &Tx, id: &str) -> StoreResult<bool> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM orders WHERE web_order_id = ?")
        .and_then(|mut q| q.query_row([id], |r| r.get(0)))
        .map_err(db)?;
    Ok(n > 0)
}

/// Writes a new order with its lines and event; returns its web order id and whether an
/// earlier request with the same idempotency key had made it (nothing written then).
pub(crate) fn write(tx: &Tx, new: &NewOrderRecord) -> StoreResult<(WebOrderId, bool)> {
    if let Some(key) = &new.idempotency
        && let Some(web_id) = idempotency::replay(tx, key)?
    {
        let id = stored("web order id", WebOrderId::parse(&web_id))?;
        return Ok((id, true));
    }
    let web_order_id = match &new.web_order_id {
        Some(id) if web_order_id_taken(tx, id.as_str())? => {
            return Err(StoreError::AlreadyExists {
                what: Entity::Order,
            });
        }
        Some(id) => id.clone(),
        None => loop {
            // Client-chosen ids may collide with generated ones; skip those numbers.
            let n = reserve(tx, "web_order_id", 1)?;
            let id = WebOrderId::from_number(n as u64);
            if !web_order_id_taken(tx, id.as_str())? {
                break id;
            }
        },
    };
    let order_id = uuid::Uuid::now_v7().to_string();
    tx.prepare_cached(
        "INSERT INTO orders (id, web_order_id, partner_id, distributor_id, end_customer_name, locale, placed_by, placed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            order_id,
            web_order_id.as_str(),
            new.permit.partner().to_string(),
            new.permit.distributor().map(|d| d.to_string()),
            new.end_customer.as_str(),
            new.locale.as_str(),
            new.permit.placed_by().to_string(),
            ts(new.placed_at)
        ])
    })
    .map_err(|e| match constraint(&e) {
        Some(Constraint::ForeignKey) => StoreError::NotFound {
            what: Entity::OrderParty,
        },
        Some(Constraint::Unique) => StoreError::AlreadyExists {
            what: Entity::Order,
        },
        None => db(e),
    })?;
    let first_ref = reserve(tx, "sub_ref", new.lines.len() as i64)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO lines (id, order_id, line_number, sub_ref, offer, quantity, requested_start_date,
                rsd_start_at, contact_email, contact_name, locale, stage, status, first_send_due_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .map_err(db)?;
    for (i, l) in new.lines.iter().enumerate() {
        let state = LineState::new(l.rsd_start);
        let sub_ref = SubRef::from_number((first_ref + i as i64) as u64);
        insert
            .execute(params![
                uuid::Uuid::now_v7().to_string(),
                order_id,
                i as i64 + 1,
                sub_ref.as_str(),
                l.line.offer.as_str(),
                i64::from(l.line.quantity),
                l.line.requested_start_date.to_string(),
                ts(l.rsd_start),
                l.line.contact_email.as_str(),
                l.line.contact_name.as_ref().map(|n| n.as_str()),
                l.line.locale.as_str(),
                state.stage.as_str(),
                state.status.as_str(),
                opt_ts(state.first_send_due_at())
            ])
            .map_err(|e| match constraint(&e) {
                Some(Constraint::Unique) => StoreError::AlreadyExists { what: Entity::Line },
                _ => db(e),
            })?;
        let text = SearchText::of_line(
            sub_ref.as_str(),
            l.line.contact_email.as_str(),
            web_order_id.as_str(),
            new.end_customer.as_str(),
        );
        search::index_line(tx, tx.last_insert_rowid(), &text)?;
    }
    let scope = EventScope {
        order_id: Some(&order_id),
        ..EventScope::default()
    };
    insert_events(
        tx,
        scope,
        std::slice::from_ref(&new.event),
        Some(new.permit.actor()),
        new.placed_at,
    )?;
    if let Some(key) = &new.idempotency {
        idempotency::remember(tx, key, "order", web_order_id.as_str(), new.placed_at)?;
    }
    Ok((web_order_id, false))
}

/// Orders `o` with their parties. `(searched)`: each line `l` of the search index `s` with its
/// order (see [`searched_lines!`]).
macro_rules! order_select {
    () => {
        concat!(order_columns!(), " FROM orders o", order_parties!())
    };
    (searched) => {
        concat!(
            order_columns!(),
            ", s.rowid AS line_seq FROM line_search s CROSS JOIN lines l ON l.seq = s.rowid
             JOIN orders o ON o.id = l.order_id",
            order_parties!()
        )
    };
}

macro_rules! order_columns {
    () => {
        concat!(
            "SELECT o.seq, o.id, o.web_order_id, o.end_customer_name, o.locale, o.placed_at,
            o.placed_by, pu.name AS pu_name, pu.email AS pu_email,
            p.id AS p_id, p.name AS p_name, p.kind AS p_kind,
            d.id AS d_id, d.name AS d_name, d.kind AS d_kind, ",
            $crate::lines::serves_column!(),
        )
    };
}

macro_rules! order_parties {
    () => {
        "
        JOIN users pu ON pu.id = o.placed_by
        JOIN companies p ON p.id = o.partner_id
        LEFT JOIN companies d ON d.id = o.distributor_id "
    };
}

fn order_from(row: &Named<'_, '_>) -> StoreResult<Order> {
    let distributor = match row.opt_text("d_id")? {
        Some(_) => Some(company_from(row, "d_")?),
        None => None,
    };
    Ok(Order {
        web_order_id: stored(
            "web order id",
            WebOrderId::parse(&row.text("web_order_id")?),
        )?,
        partner: company_from(row, "p_")?,
        distributor,
        distributor_serves_partner: row.int("serves")? != 0,
        end_customer: row.text("end_customer_name")?,
        placed_by: Person {
            id: UserId::from_uuid(uuid(&row.text("placed_by")?)?),
            name: row.text("pu_name")?,
            email: row.text("pu_email")?,
        },
        placed_at: parse_ts(&row.text("placed_at")?)?,
        locale: stored("locale", Locale::parse(&row.text("locale")?))?,
        lines: Vec::new(),
    })
}

/// An order read with its row's `id` (to attach its lines).
struct Found {
    id: String,
    order: Order,
}

fn found(row: &Named<'_, '_>) -> StoreResult<Found> {
    Ok(Found {
        id: row.text("id")?,
        order: order_from(row)?,
    })
}

/// Orders read, each made into a `T`, findable by their row id; the ids as the JSON array
/// the follow-up query's `json_each` takes.
struct ByRowId<T> {
    items: Vec<T>,
    index: HashMap<String, usize>,
    ids_json: String,
}

impl<T> ByRowId<T> {
    fn new(found: Vec<Found>, make: impl Fn(Order) -> T) -> StoreResult<Self> {
        let mut index = HashMap::with_capacity(found.len());
        let mut ids = Vec::with_capacity(found.len());
        let mut items = Vec::with_capacity(found.len());
        for (i, f) in found.into_iter().enumerate() {
            index.insert(f.id.clone(), i);
            ids.push(f.id);
            items.push(make(f.order));
        }
        let ids_json = serde_json::to_string(&ids).map_err(StoreError::backend)?;
        Ok(Self {
            items,
            index,
            ids_json,
        })
    }

    fn get_mut(&mut self, row_id: &str) -> Option<&mut T> {
        let i = *self.index.get(row_id)?;
        self.items.get_mut(i)
    }
}

/// Attaches their lines to orders in one more query.
fn with_lines(conn: &Connection, found: Vec<Found>) -> StoreResult<Vec<Order>> {
    let mut orders = ByRowId::new(found, |o| o)?;
    if orders.items.is_empty() {
        return Ok(orders.items);
    }
    const SQL: &str = concat!(
        "SELECT ",
        line_columns!(),
        lines_from!(),
        "WHERE l.order_id IN (SELECT value FROM json_each(?)) ORDER BY l.order_id, l.line_number"
    );
    let lines = rows(conn, SQL, [&orders.ids_json], |r| {
        Ok((r.text("order_id")?, line_from(r)?))
    })?;
    for (order_id, line) in lines {
        if let Some(order) = orders.get_mut(&order_id) {
            order.lines.push(line);
        }
    }
    Ok(orders.items)
}

pub(crate) fn by_web_id(conn: &Connection, id: &WebOrderId) -> StoreResult<Option<Order>> {
    const SQL: &str = concat!(order_select!(), " WHERE o.web_order_id = ?");
    let found = rows(conn, SQL, [id.as_str()], found)?;
    Ok(with_lines(conn, found)?.into_iter().next())
}

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

pub(crate) fn list(conn: &Connection, query: &OrderQuery) -> StoreResult<Page<OrderSummary>> {
    let (everything, company, user) = scope_binds(&query.scope);
    let limit = i64::from(query.page.limit);
    let only = match &query.only {
        Some(ids) => {
            let ids: Vec<&str> = ids.iter().map(WebOrderId::as_str).collect();
            Some(serde_json::to_string(&ids).map_err(StoreError::backend)?)
        }
        None => None,
    };
    let lookup = match &query.q {
        Some(q) => Some(search::lookup(conn, q)?),
        None => None,
    };
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
