//! The audit log (R11): the domain's typed events, serialized, appended; never built here.

use jiff::Timestamp;
use provisio_domain::{Event, UserId};
use provisio_store::StoreResult;
use sqlx::PgConnection;

use crate::{Ts, db};

/// What an event is about: an order and line, a case, or neither (a policy change).
#[derive(Default, Clone, Copy)]
pub(crate) struct EventScope<'a> {
    pub order_id: Option<&'a str>,
    pub line_id: Option<&'a str>,
    pub case_id: Option<&'a str>,
}

/// One row of the log: an event, what it is about, who did it and when.
pub(crate) struct EventRow<'a> {
    pub scope: EventScope<'a>,
    pub event: &'a Event,
    pub actor: Option<UserId>,
    pub at: Timestamp,
}

/// Appends `events` in one statement.
pub(crate) async fn insert_events(
    tx: &mut PgConnection,
    scope: EventScope<'_>,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let rows: Vec<EventRow> = events
        .iter()
        .map(|event| EventRow {
            scope,
            event,
            actor,
            at: now,
        })
        .collect();
    insert_event_rows(tx, &rows).await
}

/// Appends the rows of several changes in one statement, in the order given (the log's
/// `seq` follows it).
pub(crate) async fn insert_event_rows(
    tx: &mut PgConnection,
    rows: &[EventRow<'_>],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut orders = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    let mut cases = Vec::with_capacity(rows.len());
    let mut kinds = Vec::with_capacity(rows.len());
    let mut at = Vec::with_capacity(rows.len());
    let mut actors = Vec::with_capacity(rows.len());
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(row.scope.order_id);
        lines.push(row.scope.line_id);
        cases.push(row.scope.case_id);
        kinds.push(row.event.kind().as_str());
        at.push(Ts(row.at));
        actors.push(row.actor.map(|a| a.to_string()));
        data.push(row.event.stored_data());
    }
    sqlx::query(
        "INSERT INTO events (order_id, line_id, case_id, type, at, actor_id, data)
         SELECT k.order_id, k.line_id, k.case_id, k.type, k.at, k.actor_id, k.data
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::text[], $7::text[])
             WITH ORDINALITY AS k (order_id, line_id, case_id, type, at, actor_id, data, n)
         ORDER BY k.n",
    )
    .bind(&orders)
    .bind(&lines)
    .bind(&cases)
    .bind(&kinds)
    .bind(&at)
    .bind(&actors)
    .bind(&data)
    .execute(tx)
    .await
    .map_err(db)?;
    Ok(())
}
