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

/// Appends `events` in one statement.
pub(crate) async fn insert_events(
    tx: &mut PgConnection,
    scope: EventScope<'_>,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = events.iter().map(|e| e.kind().as_str()).collect();
    let data: Vec<String> = events.iter().map(|e| e.data().to_string()).collect();
    sqlx::query(
        "INSERT INTO events (order_id, line_id, case_id, type, at, actor_id, data)
         SELECT $1, $2, $3, k.type, $4, $5, k.data
         FROM unnest($6::text[], $7::text[]) WITH ORDINALITY AS k (type, data, n)
         ORDER BY k.n",
    )
    .bind(scope.order_id)
    .bind(scope.line_id)
    .bind(scope.case_id)
    .bind(Ts(now))
    .bind(actor.map(|a| a.to_string()))
    .bind(&kinds)
    .bind(&data)
    .execute(tx)
    .await
    .map_err(db)?;
    Ok(())
}
