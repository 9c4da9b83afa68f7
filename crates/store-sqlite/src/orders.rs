//! Creating, reading and listing orders.

use std::collections::HashMap;

use provisio_domain::{LineState, Locale, SubRef, UserId, WebOrderId};
use provisio_store::{
    Created, NewOrderRecord, Order, OrderQuery, Page, Person, StoreError, StoreResult,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use crate::admin::company_from;
use crate::idempotency;
use crate::lines::{like_pattern, line_columns, line_from, lines_from, scope_binds, split_page};
use crate::{SqliteStore, db, parse_ts, stored, ts, unique_as, uuid};

/// Reserves `n` consecutive numbers of a sequence; returns the first.
async fn reserve(tx: &mut Transaction<'static, Sqlite>, name: &str, n: i64) -> StoreResult<i64> {
    let last: i64 =
        sqlx::query_scalar("UPDATE sequences SET value = value + ? WHERE name = ? RETURNING value")
            .bind(n)
            .bind(name)
            .fetch_one(&mut **tx)
            .await
            .map_err(db)?;
    Ok(last - n + 1)
}

async fn web_order_id_taken(tx: &mut Transaction<'static, Sqlite>, id: &str) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE web_order_id = ?")
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok(n > 0)
}

pub(crate) async fn create(s: &SqliteStore, new: NewOrderRecord) -> StoreResult<Created<Order>> {
    let mut tx = s.begin().await?;
    if let Some(key) = &new.idempotency
        && let Some(web_id) = idempotency::replay(&mut tx, key).await?
    {
        tx.rollback().await.map_err(db)?;
        let id = stored("web order id", WebOrderId::parse(&web_id))?;
        let order = by_web_id(&s.reader, &id)
            .await?
            .ok_or(StoreError::NotFound { what: "order" })?;
        return Ok(Created::Replayed(order));
    }
    let web_order_id = match &new.web_order_id {
        Some(id) if web_order_id_taken(&mut tx, id.as_str()).await? => {
            return Err(StoreError::AlreadyExists {
                what: "an order with this web_order_id",
            });
        }
        Some(id) => id.clone(),
        None => loop {
            // Client-chosen ids may collide with generated ones; skip those numbers.
            let n = reserve(&mut tx, "web_order_id", 1).await?;
            let id = WebOrderId::from_number(n as u64);
            if !web_order_id_taken(&mut tx, id.as_str()).await? {
                break id;
            }
        },
    };
    let order_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO orders (id, web_order_id, partner_id, distributor_id, end_customer_name, locale, placed_by, placed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&order_id)
    .bind(web_order_id.as_str())
    .bind(new.partner_id.to_string())
    .bind(new.distributor_id.map(|d| d.to_string()))
    .bind(new.end_customer.as_str())
    .bind(new.locale.as_str())
    .bind(new.placed_by.to_string())
    .bind(ts(new.placed_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound { what: "company or user" },
        _ => unique_as("an order with this web_order_id")(e),
    })?;
    let first_ref = reserve(&mut tx, "sub_ref", new.lines.len() as i64).await?;
    for (i, l) in new.lines.iter().enumerate() {
        let state = LineState::new(l.rsd_start);
        sqlx::query(
            "INSERT INTO lines (id, order_id, line_number, sub_ref, offer, quantity, requested_start_date,
                rsd_start_at, contact_email, contact_name, locale, stage, status)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&order_id)
        .bind(i as i64 + 1)
        .bind(SubRef::from_number((first_ref + i as i64) as u64).as_str())
        .bind(l.line.offer.as_str())
        .bind(i64::from(l.line.quantity))
        .bind(l.line.requested_start_date.to_string())
        .bind(ts(l.rsd_start))
        .bind(l.line.contact_email.as_str())
        .bind(l.line.contact_name.as_ref().map(|n| n.as_str()))
        .bind(l.line.locale.as_str())
        .bind(state.stage.as_str())
        .bind(state.status.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unique_as("a line with this subscription reference"))?;
    }
    sqlx::query("INSERT INTO events (order_id, type, at, actor_id, data) VALUES (?, ?, ?, ?, ?)")
        .bind(&order_id)
        .bind(new.event.kind.as_str())
        .bind(ts(new.placed_at))
        .bind(new.actor.to_string())
        .bind(new.event.data.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    if let Some(key) = &new.idempotency {
        idempotency::remember(&mut tx, key, "order", web_order_id.as_str(), new.placed_at).await?;
    }
    tx.commit().await.map_err(db)?;
    let order = by_web_id(&s.writer, &web_order_id)
        .await?
        .ok_or(StoreError::NotFound { what: "order" })?;
    Ok(Created::New(order))
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
