//! Creating, reading and listing orders.

use std::collections::HashMap;

use provisio_domain::search::SearchText;
use provisio_domain::{LineState, Locale, SubRef, UserId, WebOrderId};
use provisio_store::{
    Entity, ImportedOrder, LineWindow, NewOrderRecord, Order, OrderWindow, Person, StoreError,
    StoreResult, Written,
};
use rusqlite::{Connection, params};

use crate::changes::{EventScope, insert_events};
use crate::directory::company_from;
use crate::idempotency;
use crate::lines::{line_columns, line_from, lines_from};
use crate::search;
use crate::writer::{Constraint, Tx, constraint};
use crate::{Named, db, opt_ts, parse_ts, rows, stored, ts, uuid};

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

/// Writes a new order with its lines and event; or finds the order an earlier request with
/// the same idempotency key made (nothing written then). The lines' search texts are left in
/// `texts` for the caller to index ([`search::index_lines`]) once its last write is done.
fn write_order(
    tx: &Tx,
    new: &NewOrderRecord,
    texts: &mut Vec<(i64, SearchText)>,
) -> StoreResult<Written> {
    if let Some(key) = &new.idempotency
        && let Some(web_id) = idempotency::replay(tx, key)?
    {
        let id = stored("web order id", WebOrderId::parse(&web_id))?;
        return Ok(Written::Replayed(id));
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
        texts.push((tx.last_insert_rowid(), text));
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
    Ok(Written::New(ImportedOrder::numbered(
        web_order_id,
        first_ref,
        new.lines.len(),
    )))
}

/// Writes a new order with its lines, their search texts and its event; or finds the order
/// an earlier request with the same idempotency key made (nothing written then).
pub(crate) fn write(tx: &Tx, new: &NewOrderRecord) -> StoreResult<Written> {
    let mut texts = Vec::with_capacity(new.lines.len());
    let written = write_order(tx, new, &mut texts)?;
    search::index_lines(tx, &texts)?;
    Ok(written)
}

/// Writes every order of an import, failing at the first that fails (the caller's
/// transaction then writes none of them): the usual case, all of them good, without a
/// savepoint per order (each has SQLite copy every page it changes to the statement journal
/// first, and FTS5 write its pending terms), and the search texts of all their lines indexed
/// last, together.
pub(crate) fn write_every(
    tx: &Tx,
    orders: &[NewOrderRecord],
) -> StoreResult<Vec<StoreResult<ImportedOrder>>> {
    let mut texts = Vec::new();
    let written = orders
        .iter()
        .map(|new| write_order(tx, new, &mut texts).map(Written::imported))
        .collect::<StoreResult<Vec<_>>>()?;
    search::index_lines(tx, &texts)?;
    Ok(written)
}

/// Writes each order of an import inside a savepoint of `tx`: one refused leaves no trace
/// and the next goes on; any other failure fails them all.
pub(crate) fn write_all(
    tx: &Tx,
    orders: &[NewOrderRecord],
) -> StoreResult<Vec<StoreResult<ImportedOrder>>> {
    let mut results = Vec::with_capacity(orders.len());
    for new in orders {
        let written = crate::group::in_savepoint(tx, |tx| write(tx, new));
        results.push(match written {
            Ok(w) => w.imported(),
            Err(e) if e.is_refusal() => Err(e),
            Err(e) => return Err(e),
        });
    }
    Ok(results)
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

/// An order with its lines, all of them or a window (`LIMIT -1`: no limit), and how many
/// it has.
pub(crate) fn by_web_id(
    conn: &Connection,
    id: &WebOrderId,
    window: Option<LineWindow>,
) -> StoreResult<Option<OrderWindow>> {
    const SQL: &str = concat!(order_select!(), " WHERE o.web_order_id = ?");
    let Some(Found { id: row_id, order }) = rows(conn, SQL, [id.as_str()], found)?.pop() else {
        return Ok(None);
    };
    const LINES: &str = concat!(
        "SELECT ",
        line_columns!(),
        lines_from!(),
        "WHERE l.order_id = ?1 ORDER BY l.line_number LIMIT ?2 OFFSET ?3"
    );
    let (limit, offset) = window.map_or((-1, 0), |w| (i64::from(w.limit), i64::from(w.offset)));
    let lines = rows(conn, LINES, params![row_id, limit, offset], |r| {
        line_from(r)
    })?;
    let line_count = match window {
        None => lines.len() as u32,
        Some(_) => conn
            .prepare_cached("SELECT count(*) FROM lines WHERE order_id = ?")
            .and_then(|mut st| st.query_row([&row_id], |r| r.get(0)))
            .map_err(db)?,
    };
    Ok(Some(OrderWindow {
        order: Order { lines, ..order },
        line_count,
    }))
}

// Declared after the macros above, which it uses.
mod list;
pub(crate) use list::list;
