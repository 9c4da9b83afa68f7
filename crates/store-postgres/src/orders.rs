//! Placing orders (with idempotency keys) and reading orders and lines (the order reads are
//! in `order_reads.rs`, those of lines in `lines.rs`).
//!
//! Numbers come from the `sequences` table, reserved by an UPDATE: its row lock makes orders
//! placed on several instances take turns for it until they commit, as SQLite's one writer
//! did. The unique keys of `orders` and `lines` stay the last line of defence.

use provisio_domain::LineState;
use provisio_domain::search::SearchText;
use provisio_store::{Entity, ImportedOrder, Written};

use super::*;
use crate::events::{EventScope, insert_events};
use crate::{idempotency, lines, order_reads};

#[async_trait]
impl Orders for PgStore {
    async fn create_order(&self, new: NewOrderRecord) -> StoreResult<Created<Order>> {
        let mut tx = self.begin().await?;
        let written = write(&mut tx, &new, None).await?;
        let order = order_reads::by_web_id(&mut tx, written.web_order_id(), None)
            .await?
            .map(|w| w.order)
            .ok_or(StoreError::NotFound {
                what: Entity::Order,
            })?;
        tx.commit().await.map_err(db)?;
        Ok(if written.replayed() {
            Created::Replayed(order)
        } else {
            Created::New(order)
        })
    }
    async fn import_orders(
        &self,
        orders: &[NewOrderRecord],
    ) -> StoreResult<Vec<StoreResult<ImportedOrder>>> {
        // The batch's references reserved first, in a statement of its own: reserved inside
        // the batch's transaction, the row lock on the sequence would make a second import
        // (or an order placed through the API) wait for the whole batch. An order refused
        // leaves a gap in the numbering.
        let lines: usize = orders.iter().map(|o| o.lines.len()).sum();
        let mut next_ref = {
            let mut conn = self.pool.acquire().await.map_err(db)?;
            reserve(&mut conn, "sub_ref", lines as i64).await?
        };
        let mut tx = self.begin().await?;
        let mut results = Vec::with_capacity(orders.len());
        for new in orders {
            let first_ref = next_ref;
            next_ref += new.lines.len() as i64;
            // Each order in a savepoint: one refused (a failed statement aborts the whole
            // transaction otherwise) is undone alone and the next goes on.
            sqlx::query("SAVEPOINT import_order")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            let end = match write(&mut tx, new, Some(first_ref)).await {
                Ok(w) => {
                    results.push(w.imported());
                    "RELEASE SAVEPOINT import_order"
                }
                Err(e) if e.is_refusal() => {
                    results.push(Err(e));
                    "ROLLBACK TO SAVEPOINT import_order"
                }
                Err(e) => return Err(e),
            };
            sqlx::query(end).execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(results)
    }
    async fn order(&self, web_order_id: &WebOrderId) -> StoreResult<Option<Order>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let found = order_reads::by_web_id(&mut conn, web_order_id, None).await?;
        Ok(found.map(|w| w.order))
    }
    async fn order_window(
        &self,
        web_order_id: &WebOrderId,
        window: LineWindow,
    ) -> StoreResult<Option<OrderWindow>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        order_reads::by_web_id(&mut conn, web_order_id, Some(window)).await
    }
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<OrderSummary>> {
        let lookup = self.lookup(query.q.as_ref()).await?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        order_reads::list(&mut conn, query, lookup.as_ref()).await
    }
    async fn line(&self, sub_ref: &SubRef) -> StoreResult<Option<LineContext>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        lines::by_ref(&mut conn, sub_ref).await
    }
    async fn list_lines(&self, query: &LineQuery) -> StoreResult<Page<LineContext>> {
        let lookup = self.lookup(query.q.as_ref()).await?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        lines::list(&mut conn, query, lookup.as_ref()).await
    }
    async fn line_events(&self, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        lines::events(&mut conn, sub_ref).await
    }
}

/// Reserves `n` consecutive numbers of a sequence; returns the first. The sequence's row
/// stays locked until the transaction ends.
async fn reserve(tx: &mut PgConnection, name: &str, n: i64) -> StoreResult<i64> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE sequences SET value = value + $1 WHERE name = $2 RETURNING value",
    )
    .bind(n)
    .bind(name)
    .fetch_one(tx)
    .await
    .map_err(db)?;
    Ok(last - n + 1)
}

async fn web_order_id_taken(tx: &mut PgConnection, id: &str) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE web_order_id = $1)")
        .bind(id)
        .fetch_one(tx)
        .await
        .map_err(db)
}

/// An instant as the text `timestamptz` reads exactly (to the microsecond, as [`Ts`] binds
/// it), for arrays of instants: sqlx binds no array of [`Ts`].
fn instant_text(t: Timestamp) -> StoreResult<String> {
    let micros = Timestamp::from_microsecond(t.as_microsecond()).map_err(StoreError::backend)?;
    Ok(micros.to_string())
}

/// Writes a new order with its lines and event; or finds the order an earlier request with
/// the same idempotency key made (nothing written then). Its lines' references follow
/// `first_ref` when the caller reserved them, else the next ones, reserved now.
async fn write(
    tx: &mut PgConnection,
    new: &NewOrderRecord,
    first_ref: Option<i64>,
) -> StoreResult<Written> {
    if let Some(key) = &new.idempotency
        && let Some(web_id) = idempotency::replay(tx, key).await?
    {
        let id = stored("web order id", WebOrderId::parse(&web_id))?;
        return Ok(Written::Replayed(id));
    }
    let (web_order_id, generated) = match &new.web_order_id {
        Some(id) if web_order_id_taken(tx, id.as_str()).await? => {
            return Err(StoreError::AlreadyExists {
                what: Entity::Order,
            });
        }
        Some(id) => (id.clone(), false),
        None => loop {
            // Client-chosen ids may collide with generated ones; skip those numbers.
            let n = reserve(tx, "web_order_id", 1).await?;
            let id = WebOrderId::from_number(n as u64);
            if !web_order_id_taken(tx, id.as_str()).await? {
                break (id, true);
            }
        },
    };
    let order_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO orders (id, web_order_id, partner_id, distributor_id, end_customer_name,
             locale, placed_by, placed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&order_id)
    .bind(web_order_id.as_str())
    .bind(new.permit.partner().to_string())
    .bind(new.permit.distributor().map(|d| d.to_string()))
    .bind(new.end_customer.as_str())
    .bind(new.locale.as_str())
    .bind(new.permit.placed_by().to_string())
    .bind(Ts(new.placed_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if crate::foreign_key_violation(&e).is_some() {
            StoreError::NotFound {
                what: Entity::OrderParty,
            }
        } else if crate::unique_violation(&e).is_some() && generated {
            // Another instance placed an order with this very id, chosen by its client,
            // after this one found it free: a new number is another run away.
            StoreError::Retryable(format!("web order id {web_order_id} taken meanwhile"))
        } else if crate::unique_violation(&e).is_some() {
            StoreError::AlreadyExists {
                what: Entity::Order,
            }
        } else {
            db(e)
        }
    })?;
    let first_ref = insert_lines(tx, &order_id, web_order_id.as_str(), new, first_ref).await?;
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
    )
    .await?;
    if let Some(key) = &new.idempotency {
        idempotency::remember(tx, key, "order", web_order_id.as_str(), new.placed_at).await?;
    }
    Ok(Written::New(ImportedOrder::numbered(
        web_order_id,
        first_ref,
        new.lines.len(),
    )))
}

/// The order's lines in one statement, numbered from 1 in the order given, with the next
/// subscription references (from `first_ref` when reserved already), and their search
/// texts; returns the first line's reference number (the others follow it).
async fn insert_lines(
    tx: &mut PgConnection,
    order_id: &str,
    web_order_id: &str,
    new: &NewOrderRecord,
    first_ref: Option<i64>,
) -> StoreResult<i64> {
    let count = new.lines.len();
    let first_ref = match first_ref {
        Some(first) => first,
        None => reserve(tx, "sub_ref", count as i64).await?,
    };
    let mut ids = Vec::with_capacity(count);
    let mut sub_refs = Vec::with_capacity(count);
    let mut offers = Vec::with_capacity(count);
    let mut quantities = Vec::with_capacity(count);
    let mut dates = Vec::with_capacity(count);
    let mut rsd_starts = Vec::with_capacity(count);
    let mut contacts = Vec::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    let mut locales = Vec::with_capacity(count);
    let mut stages = Vec::with_capacity(count);
    let mut statuses = Vec::with_capacity(count);
    let mut first_sends = Vec::with_capacity(count);
    let mut texts = Vec::with_capacity(count);
    for (i, l) in new.lines.iter().enumerate() {
        let state = LineState::new(l.rsd_start);
        ids.push(uuid::Uuid::now_v7().to_string());
        let sub_ref = SubRef::from_number((first_ref + i as i64) as u64);
        let text = SearchText::of_line(
            sub_ref.as_str(),
            l.line.contact_email.as_str(),
            web_order_id,
            new.end_customer.as_str(),
        );
        texts.push(text.as_str().to_owned());
        sub_refs.push(sub_ref.as_str().to_owned());
        offers.push(l.line.offer.as_str().to_owned());
        quantities.push(stored("quantity", i32::try_from(l.line.quantity))?);
        dates.push(l.line.requested_start_date.to_string());
        rsd_starts.push(instant_text(l.rsd_start)?);
        contacts.push(l.line.contact_email.as_str().to_owned());
        names.push(l.line.contact_name.as_ref().map(|n| n.as_str().to_owned()));
        locales.push(l.line.locale.as_str().to_owned());
        stages.push(state.stage.as_str().to_owned());
        statuses.push(state.status.as_str().to_owned());
        first_sends.push(state.first_send_due_at().map(instant_text).transpose()?);
    }
    sqlx::query(
        "WITH inserted AS (
         INSERT INTO lines (id, order_id, line_number, sub_ref, offer, quantity,
             requested_start_date, rsd_start_at, contact_email, contact_name, locale, stage,
             status, first_send_due_at)
         SELECT n.id, $1, n.line_number::integer, n.sub_ref, n.offer, n.quantity,
             n.requested_start_date, n.rsd_start_at::timestamptz, n.contact_email,
             n.contact_name, n.locale, n.stage, n.status, n.first_send_due_at::timestamptz
         FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
             WITH ORDINALITY
             AS n (id, sub_ref, offer, quantity, requested_start_date, rsd_start_at,
                   contact_email, contact_name, locale, stage, status, first_send_due_at,
                   line_number)
         ORDER BY n.line_number
         RETURNING seq, line_number)
         INSERT INTO line_search (seq, search)
         SELECT i.seq, t.search FROM inserted i
         JOIN unnest($14::text[]) WITH ORDINALITY AS t (search, line_number)
             ON t.line_number = i.line_number",
    )
    .bind(order_id)
    .bind(&ids)
    .bind(&sub_refs)
    .bind(&offers)
    .bind(&quantities)
    .bind(&dates)
    .bind(&rsd_starts)
    .bind(&contacts)
    .bind(&names)
    .bind(&locales)
    .bind(&stages)
    .bind(&statuses)
    .bind(&first_sends)
    .bind(&texts)
    .execute(tx)
    .await
    .map_err(|e| match crate::unique_violation(&e) {
        Some(_) => StoreError::AlreadyExists { what: Entity::Line },
        None => db(e),
    })?;
    Ok(first_ref)
}
