//! Creating, reading and listing orders.

use std::collections::HashMap;

use provisio_domain::{LineState, Locale, SubRef, UserId, WebOrderId};
use provisio_store::{
    Created, NewOrderRecord, Order, OrderQuery, Page, Person, StoreError, StoreResult,
};
use rusqlite::params;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::admin::company_from;
use crate::idempotency;
use crate::lines::{like_pattern, line_columns, line_from, lines_from, scope_binds, split_page};
use crate::writer::{Constraint, Tx, constraint};
use crate::{SqliteStore, db, parse_ts, stored, ts, uuid};

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

pub(crate) async fn create(s: &SqliteStore, new: NewOrderRecord) -> StoreResult<Created<Order>> {
    let written = s.writer_tx(|tx| write(tx, &new))?;
    let (web_order_id, replayed) = match written {
        Written::New(id) => (id, false),
        Written::Replayed(id) => (id, true),
    };
    let order = by_web_id(&s.reader, &web_order_id)
        .await?
        .ok_or(StoreError::NotFound { what: "order" })?;
    Ok(if replayed {
        Created::Replayed(order)
    } else {
        Created::New(order)
    })
}

enum Written {
    New(WebOrderId),
    Replayed(WebOrderId),
}

fn write(tx: &Tx, new: &NewOrderRecord) -> StoreResult<Written> {
    if let Some(key) = &new.idempotency
        && let Some(web_id) = idempotency::replay(tx, key)?
    {
        let id = stored("web order id", WebOrderId::parse(&web_id))?;
        return Ok(Written::Replayed(id));
    }
    let web_order_id = match &new.web_order_id {
        Some(id) if web_order_id_taken(tx, id.as_str())? => {
            return Err(StoreError::AlreadyExists {
                what: "an order with this web_order_id",
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
            new.partner_id.to_string(),
            new.distributor_id.map(|d| d.to_string()),
            new.end_customer.as_str(),
            new.locale.as_str(),
            new.placed_by.to_string(),
            ts(new.placed_at)
        ])
    })
    .map_err(|e| match constraint(&e) {
        Some(Constraint::ForeignKey) => StoreError::NotFound {
            what: "company or user",
        },
        Some(Constraint::Unique) => StoreError::AlreadyExists {
            what: "an order with this web_order_id",
        },
        None => db(e),
    })?;
    let first_ref = reserve(tx, "sub_ref", new.lines.len() as i64)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO lines (id, order_id, line_number, sub_ref, offer, quantity, requested_start_date,
                rsd_start_at, contact_email, contact_name, locale, stage, status)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .map_err(db)?;
    for (i, l) in new.lines.iter().enumerate() {
        let state = LineState::new(l.rsd_start);
        insert
            .execute(params![
                uuid::Uuid::now_v7().to_string(),
                order_id,
                i as i64 + 1,
                SubRef::from_number((first_ref + i as i64) as u64).as_str(),
                l.line.offer.as_str(),
                i64::from(l.line.quantity),
                l.line.requested_start_date.to_string(),
                ts(l.rsd_start),
                l.line.contact_email.as_str(),
                l.line.contact_name.as_ref().map(|n| n.as_str()),
                l.line.locale.as_str(),
                state.stage.as_str(),
                state.status.as_str()
            ])
            .map_err(|e| match constraint(&e) {
                Some(Constraint::Unique) => StoreError::AlreadyExists {
                    what: "a line with this subscription reference",
                },
                _ => db(e),
            })?;
    }
    tx.prepare_cached(
        "INSERT INTO events (order_id, type, at, actor_id, data) VALUES (?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            order_id,
            new.event.kind.as_str(),
            ts(new.placed_at),
            new.actor.to_string(),
            new.event.data.to_string()
        ])
    })
    .map_err(db)?;
    if let Some(key) = &new.idempotency {
        idempotency::remember(tx, key, "order", web_order_id.as_str(), new.placed_at)?;
    }
    Ok(Written::New(web_order_id))
}

const ORDER_SELECT: &str =
    "SELECT o.seq, o.id, o.web_order_id, o.end_customer_name, o.locale, o.placed_at,
        o.placed_by, pu.name AS pu_name, pu.email AS pu_email,
        p.id AS p_id, p.name AS p_name, p.kind AS p_kind,
        d.id AS d_id, d.name AS d_name, d.kind AS d_kind
    FROM orders o
    JOIN users pu ON pu.id = o.placed_by
    JOIN companies p ON p.id = o.partner_id
    LEFT JOIN companies d ON d.id = o.distributor_id ";

fn order_from(row: &SqliteRow) -> StoreResult<Order> {
    let text = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let distributor = match row.try_get::<Option<String>, _>("d_id").map_err(db)? {
        Some(_) => Some(company_from(row, "d_")?),
        None => None,
    };
    Ok(Order {
        web_order_id: stored("web order id", WebOrderId::parse(&text("web_order_id")?))?,
        partner: company_from(row, "p_")?,
        distributor,
        end_customer: text("end_customer_name")?,
        placed_by: Person {
            id: UserId::from_uuid(uuid(&text("placed_by")?)?),
            name: text("pu_name")?,
            email: text("pu_email")?,
        },
        placed_at: parse_ts(&text("placed_at")?)?,
        locale: stored("locale", Locale::parse(&text("locale")?))?,
        lines: Vec::new(),
    })
}

/// Loads orders from rows and attaches their lines in one more query.
async fn with_lines(pool: &SqlitePool, rows: &[SqliteRow]) -> StoreResult<Vec<Order>> {
    let mut orders = Vec::with_capacity(rows.len());
    let mut index = HashMap::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let id: String = row.try_get("id").map_err(db)?;
        index.insert(id.clone(), i);
        ids.push(id);
        orders.push(order_from(row)?);
    }
    if ids.is_empty() {
        return Ok(orders);
    }
    let line_rows = sqlx::query(concat!(
        "SELECT ",
        line_columns!(),
        lines_from!(),
        "WHERE l.order_id IN (SELECT value FROM json_each(?)) ORDER BY l.order_id, l.line_number"
    ))
    .bind(serde_json::to_string(&ids).map_err(StoreError::backend)?)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    for row in &line_rows {
        let order_id: String = row.try_get("order_id").map_err(db)?;
        if let Some(&i) = index.get(&order_id) {
            orders[i].lines.push(line_from(row)?);
        }
    }
    Ok(orders)
}

pub(crate) async fn by_web_id(pool: &SqlitePool, id: &WebOrderId) -> StoreResult<Option<Order>> {
    let sql = sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE o.web_order_id = ?"));
    let rows = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_all(pool)
        .await
        .map_err(db)?;
    Ok(with_lines(pool, &rows).await?.into_iter().next())
}

pub(crate) async fn list(pool: &SqlitePool, query: &OrderQuery) -> StoreResult<Page<Order>> {
    let (everything, company, user) = scope_binds(&query.scope);
    let limit = i64::from(query.page.limit);
    let sql = sqlx::AssertSqlSafe(format!(
        "{ORDER_SELECT}
         WHERE (?1 OR o.partner_id = ?2 OR o.distributor_id = ?2 OR o.placed_by = ?3)
           AND (?4 IS NULL OR o.seq < ?4)
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id AND l.status = ?5))
           AND (?6 IS NULL OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id AND l.stage = ?6))
           AND (?7 IS NULL OR o.web_order_id LIKE ?7 ESCAPE '\\' OR o.end_customer_name LIKE ?7 ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM lines l WHERE l.order_id = o.id
                           AND (l.sub_ref LIKE ?7 ESCAPE '\\' OR l.contact_email LIKE ?7 ESCAPE '\\')))
         ORDER BY o.seq DESC LIMIT ?8"
    ));
    let rows = sqlx::query(sql)
        .bind(everything)
        .bind(company)
        .bind(user)
        .bind(query.page.after)
        .bind(query.status.map(|s| s.as_str()))
        .bind(query.stage.map(|s| s.as_str()))
        .bind(like_pattern(&query.q))
        .bind(limit + 1)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let (page, next) = split_page(rows, query.page.limit)?;
    Ok(Page {
        items: with_lines(pool, &page).await?,
        next,
    })
}
